"""Local calibration from a centre's case log: reading the CSV, recovering known centre effects, coverage
of their intervals over many synthetic centres, a temporal split, and every bad file refused line by line."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
import yaml
from helpers import invoke, write_synthetic

from simulation.calibration import caselog
from simulation.calibration.centre import load_profile
from simulation.calibration.parameters import load_parameters
from simulation.calibration.uncertainty import for_run
from simulation.model.uncertainty import Uncertainty
from simulation.runs.runner import run
from simulation.scenario.errors import ScenarioError

KINDS = [("L3", False, "combined", 1, "lumbar"), ("L2-L4", True, "combined", 1, "lumbar"),
         ("T11-T12", False, "posterior", 1, "thoracic"), ("L1", False, "combined", 2, "lumbar")]
TAU = {"time": 0.28, "bleeding": 0.36, "complication": 0.48}


@pytest.fixture(scope="module")
def posterior(tmp_path_factory):
    params = load_parameters()[0]
    rows = np.random.default_rng(4).normal(0, [p.prior.sd / 4 for p in params], (100, len(params)))
    return write_synthetic(tmp_path_factory.mktemp("post") / "p.parquet", rows, params, tuple(TAU.values()))


def _log(n: int) -> pd.DataFrame:
    """``n`` operations cycling through ``KINDS``, dated 20 days apart, outcomes still blank."""
    rows = []
    for i in range(n):
        levels, revision, approach, stages, region = KINDS[i % len(KINDS)]
        rows.append(dict(date=(pd.Timestamp("2020-01-01") + pd.Timedelta(days=20 * i)).date().isoformat(), age_years=50.0,
                         sex="male", weight_kg=78.0, levels=levels, region=region, approach=approach, stages=stages,
                         revision=revision, histology="primary_malignant", embolisation=True, txa=True, cell_salvage=False,
                         operative_time_min=None, blood_loss_ml=None, blood_loss_measured="measured", rbc_units=None,
                         complication_grade=None, complication_time_frame_days=30, los_days=None))
    log = pd.DataFrame(rows)
    log["strategy"] = [caselog.STRATEGY[(a, s)] for a, s in zip(log.approach, log.stages)]
    return log


def simulated_log(posterior, u_true, n: int, seed: int) -> pd.DataFrame:
    """A centre simulated by the model itself: one parameter draw for the whole centre, its effect ``u_true``."""
    log = _log(n)
    for _, g in log.groupby(caselog.TYPE_KEYS, sort=False):
        scenario = caselog._scenario(caselog.case_types(g).iloc[0], caselog.BUNDLED)
        d = for_run(scenario, posterior).uncertainty
        unc = Uncertainty(d.z, d.effects, np.zeros_like(d.centre_cov), np.asarray(u_true, float), patients=10**6, centres=1)
        rec = run(scenario, len(g), seed, uncertainty=unc).records
        log.loc[g.index, "operative_time_min"] = rec.operative_time_min.to_numpy()
        log.loc[g.index, "blood_loss_ml"] = rec.blood_loss_ml.to_numpy()
        log.loc[g.index, "complication_grade"] = np.where(rec.any_major_complication, 3, 0)
    return log


def to_csv(log: pd.DataFrame, path) -> None:
    out = log[list(caselog.COLUMNS)].copy()
    for c in ("revision", "embolisation", "txa", "cell_salvage"):
        out[c] = out[c].map({True: "yes", False: "no"})
    out.to_csv(path, index=False)


@pytest.fixture(scope="module")
def predictions(posterior):
    return caselog.predict(caselog.case_types(_log(4)), posterior, replications=100)


def test_the_template_reads_back_as_one_operation():
    log = caselog.read_caselog("template.csv", caselog.template())
    assert len(log) == 1 and log.strategy.iloc[0] == "single-stage-three-exposure"
    assert log.revision.iloc[0] is np.False_ or log.revision.iloc[0] is False


def test_a_simulated_centre_is_recovered_within_its_interval(posterior, predictions):
    truth = {"time": math.log(1.3), "bleeding": math.log(0.75), "complication": 0.6}
    log = simulated_log(posterior, list(truth.values()), 80, seed=11)
    profile = caselog.fit_centre(log, predictions, "synthetic", TAU, "test")
    for axis, u in truth.items():
        e = profile.effects[axis]
        assert e.mean - 1.96 * e.sd < u < e.mean + 1.96 * e.sd, (axis, e, u)
        assert e.sd < e.prior_sd  # the data moved the estimate and narrowed it
    assert profile.effects["time"].mean > 0.5 * truth["time"]  # time has 80 operations: mostly data, little shrinkage


def test_interval_coverage_over_many_synthetic_centres(predictions):
    """Centres drawn from the model's assumptions (u ~ N(0, tau), a common parameter error, patient noise):
    the 95% intervals of the centre effects cover the truth about 95% of the time."""
    rng = np.random.default_rng(7)
    base = _log(24).merge(predictions.drop(columns=["age_years", "weight_kg", "sex", "n"]), on=caselog.TYPE_KEYS)
    hits = {"time": [], "bleeding": [], "complication": []}
    for _ in range(300):
        u = {a: rng.normal(0, TAU[a]) for a in hits}
        log = base.copy()
        for axis, col in (("time", "operative_time_min"), ("bleeding", "blood_loss_ml")):
            delta = rng.normal(0, base[f"p_{axis}"].mean())
            log[col] = np.exp(base[f"m_{axis}"] + u[axis] + delta + base[f"s_{axis}"] * rng.normal(size=len(base)))
        delta = rng.normal(0, base.p_complication.mean())
        major = rng.random(len(base)) < 1 / (1 + np.exp(-(base.m_complication + u["complication"] + delta)))
        log["complication_grade"] = np.where(major, 3, 0)
        profile = caselog.fit_centre(log[list(caselog.COLUMNS) + ["strategy"]], predictions, "c", TAU, "test")
        for axis in hits:
            e = profile.effects[axis]
            hits[axis].append(abs(e.mean - u[axis]) < 1.96 * e.sd)
    for axis, h in hits.items():
        assert 0.91 <= np.mean(h) <= 0.985, (axis, np.mean(h))


def test_temporal_split_tells_a_steady_centre_from_one_that_changed(posterior, predictions):
    log = simulated_log(posterior, [0.0, 0.0, 0.0], 60, seed=3)
    assert abs(caselog.temporal_check(log, predictions, TAU)) < 2
    slower = log.copy()
    late = slower.index >= 40
    slower.loc[late, "operative_time_min"] *= 1.8  # the last third took 80% longer (new team, new technique)
    assert caselog.temporal_check(slower, predictions, TAU) > 2


def test_the_profile_holds_aggregates_only_and_enters_the_run(tmp_path, posterior, predictions):
    log = simulated_log(posterior, [0.2, 0.0, 0.0], 12, seed=5)
    csv = tmp_path / "log.csv"
    to_csv(log, csv)
    out = tmp_path / "centre.yaml"
    result = invoke("centre", "fit", csv, "--out", out, "--name", "St Elsewhere", "--posterior", posterior, "--reps", 40)
    assert result.exit_code == 0, result.stderr
    assert "Operative time: x" in result.stdout and "moved it" in result.stdout
    assert "at least 50 advised" in result.stderr  # complications from 12 operations
    text = out.read_text()
    assert len(text) < 3000 and "2020-01-01 to" in text
    data = yaml.safe_load(text)
    numbers = re.findall(r"(?<![\d.])\d+(?:\.\d+)?(?![\d.])", text)  # every number written, whole (not digits inside one)
    assert not any(abs(float(n) - v) < 0.5 for n in numbers for v in log.operative_time_min)  # no patient rows
    assert set(data) == {"centre", "posterior", "effects", "cases", "period", "absent_case_types", "warnings"}
    assert "sacral" not in data["absent_case_types"] and "revision" not in data["absent_case_types"]
    profile = load_profile(out)
    assert profile.cases == 12
    compared = invoke("compare", "adult-primary", "-s", "posterior-only", "--reps", 40, "--centre", out, "--posterior", posterior)
    assert compared.exit_code == 0, compared.stderr
    assert "centre St Elsewhere" in compared.stdout.replace("\n", " ") and profile.digest()[:6] in compared.stdout.replace("\n", "")


HEADER = ",".join(caselog.COLUMNS)
GOOD = caselog.template().splitlines()[1]


@pytest.mark.parametrize(("text", "lines", "fragment"), [
    ("", 1, "not a readable CSV"),
    (HEADER + "\n", 1, "no operations"),
    (HEADER.replace("operative_time_min,", "") + "\n" + GOOD.replace(",610,", ","), 1, "operative_time_min: missing column"),
    (HEADER.replace("los_days", "los_dayz") + "\n" + GOOD, 2, "los_dayz: unknown column"),
    (HEADER + "\n" + GOOD.replace(",610,", ",six hundred,"), 1, "line 2, operative_time_min: must be a number"),
    (HEADER + "\n" + GOOD.replace(",610,", ",-5,"), 1, "must be between 30 and 3000"),
    (HEADER + "\n" + GOOD.replace(",lumbar,", ",pelvis,").replace(",male,", ",unknown,"), 2, "must be one of"),
    (HEADER + "\n" + GOOD.replace(",L3,", ",L9,"), 1, "is not a vertebral level"),
    (HEADER + "\n" + GOOD.replace(",estimated,", ",,"), 1, "must say estimated or measured"),
    (HEADER + "\n" + GOOD.replace("combined,1", "posterior,2"), 1, "posterior-only resection in several stages"),
    (HEADER + "\n" + (GOOD.replace(",610,", ",x,") + "\n") * 80, caselog.MAX_PROBLEMS + 1, "and 30 more problems"),
])
def test_every_bad_case_log_gives_one_line_per_problem_and_changes_nothing(tmp_path, text, lines, fragment):
    csv = tmp_path / "log.csv"
    csv.write_text(text)
    out = tmp_path / "centre.yaml"
    out.write_text("kept: true\n")
    result = invoke("centre", "fit", csv, "--out", out)
    assert result.exit_code == 2, result.stdout
    errors = result.stderr.splitlines()
    assert len(errors) == lines and all(e.startswith("error: ") for e in errors), errors
    assert fragment in result.stderr and "Traceback" not in result.stderr
    assert out.read_text() == "kept: true\n"


def test_a_huge_or_binary_case_log_is_refused_in_one_line(tmp_path):
    big = tmp_path / "big.csv"
    big.write_bytes(b"x" * (caselog.MAX_BYTES + 1))
    with pytest.raises(ScenarioError, match="larger than 5 MB") as err:
        caselog.read_caselog(big)
    assert len(err.value.issues) == 1
    binary = tmp_path / "bin.csv"
    binary.write_bytes(HEADER.encode() + b"\n\xff\xfe\x00")
    with pytest.raises(ScenarioError, match="not UTF-8") as err:
        caselog.read_caselog(binary)
    assert len(err.value.issues) == 1
    rows = tmp_path / "rows.csv"
    rows.write_text(HEADER + "\n" + (GOOD + "\n") * (caselog.MAX_ROWS + 1))
    with pytest.raises(ScenarioError, match="at most 20,000 operations"):
        caselog.read_caselog(rows)
