"""Validation cohorts, the comparison logic and ``resectsim validate``. (The staged-vs-single
directions of Daher 2024 are reported, not tested: docs/staging.md, ``resectsim staging-report``.)

The comparison logic is checked against distributions whose intervals are known by hand; the
cohort files through the real loader; the CLI in a real process.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from helpers import SEED, script

from simulation.model.uncertainty import Uncertainty
from simulation.runs import analysis
from simulation.scenario.errors import ScenarioError
from simulation.scenario.loader import load_references
from simulation.validation.cohorts import cohort_files, load_cohort, load_cohorts
from simulation.validation.compare import PATIENTS_PER_CENTRE, _centre_rates, compare, run_validation, shares, simulate
from simulation.validation.report import write_report
from simulation.validation.texts import tally

SMALL = ["seed-case", "huang-2018", "kanazawa-2021"]


# --- cohort files ----------------------------------------------------------------------------------
def test_every_cohort_file_loads_and_the_seed_case_comes_first():
    cohorts = load_cohorts()
    assert [c.name for c in cohorts][0] == "seed-case"
    assert {c.name for c in cohorts} >= {"paraspinal-2018", "huang-2018", "luzzati-2014", "issls-2024",
                                         "boriani-2010-untreated", "boriani-2010-revision", "kanazawa-2021"}
    references = load_references()
    for cohort in cohorts:
        assert cohort.spec.reference in references
        assert sum(g.n for g in cohort.groups) == cohort.spec.n
    seed = cohorts[0]
    assert seed.strategy == "single-stage-three-exposure" and seed.groups[0].scenario.patient.name == "seed-case"
    assert {f.outcome: f.value for f in seed.spec.figures} == {
        "operative_time_min": 840, "blood_loss_ml": 6000, "rbc_units": 12, "event_durotomy": 3,
        "icu_days": 2, "los_days": 14,
    }


def test_subgroups_change_the_patient_and_share_out_replications():
    luzzati = load_cohort(cohort_files()["luzzati-2014"])
    assert [len(g.scenario.patient.level_list) for g in luzzati.groups] == [4, 5]
    assert shares([6, 3], 1000) == [667, 333] and shares([210, 97], 10) == [7, 3] and shares([1, 1000], 5) == [1, 4]
    records = simulate(luzzati, 30, SEED)
    assert records.replication.tolist() == list(range(30)) and (records.group == "four levels").sum() == 20


def _write(tmp_path: Path, changes: dict, drop: tuple[str, ...] = ()) -> Path:
    data = yaml.safe_load(cohort_files()["huang-2018"].read_text())
    data.update(changes)
    for key in drop:
        data.pop(key)
    path = tmp_path / "cohort.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize("changes, where, words", [
    ({"role": "proof"}, "role", ["'calibration'", "'validation'", "'proof'"]),
    ({"colour": "red"}, "colour", ["unknown field", "allowed here", "figures"]),
    ({"reference": "nobody2020"}, "reference", ["unknown reference id", "'nobody2020'"]),
    ({"strategy": "front-only"}, "strategy", ["unknown strategy", "posterior-only", "posterior-then-anterior-one-stage"]),
    ({"overrides": {"levels": "L9"}}, "patient.levels", ["'L9' is not a vertebral level", "L1-L5"]),
    ({"figures": [{"outcome": "blood_loss_l", "statistic": "mean", "value": 2.4, "source": "huang2018"}]},
     "figures[0].outcome", ["unknown outcome", "blood_loss_ml", "'blood_loss_l'"]),
    ({"figures": [{"outcome": "blood_loss_ml", "statistic": "proportion", "events": 3, "source": "huang2018"}]},
     "figures[0].outcome", ["a proportion needs a yes/no or complication column"]),
    ({"figures": [{"outcome": "death", "statistic": "proportion", "value": 0.1, "source": "huang2018"}]},
     "figures[0]", ["given as 'events'"]),
    ({"figures": [{"outcome": "death", "statistic": "proportion", "events": 12, "source": "huang2018"}]},
     "figures[0].events", ["more events than patients (n = 9)", "12"]),
    ({"subgroups": [{"label": "a", "n": 4}]}, "", ["subgroup sizes add up to 4, not the cohort's n = 9"]),
])
def test_a_bad_cohort_file_names_file_field_value_and_what_is_allowed(tmp_path, changes, where, words):
    path = _write(tmp_path, changes)
    with pytest.raises(ScenarioError) as err:
        load_cohort(path)
    line = str(err.value)
    assert len(line.splitlines()) == 1, line
    assert line.startswith(f"{path}: {where}"), line
    for word in words:
        assert word in line, line


def test_a_missing_field_is_named(tmp_path):
    path = _write(tmp_path, {}, drop=("strategy",))
    with pytest.raises(ScenarioError, match=r"cohort.yaml: strategy: Field required"):
        load_cohort(path)


def test_unknown_cohort_names_list_the_known_ones():
    with pytest.raises(ScenarioError, match=r"cohort: unknown cohort; allowed: seed-case, .*\(got 'nope'\)"):
        load_cohorts(["seed-case", "nope"])


# --- comparison logic against hand-known distributions ------------------------------------------------
def test_one_patient_is_judged_against_the_percentile_interval():
    values = np.arange(1, 10_001, dtype=float)  # 2.5th and 97.5th percentiles: 250.975 and 9750.025
    rng = np.random.default_rng(0)
    inside, outside = compare(values, "case", 9750, 1, rng), compare(values, "case", 9751, 1, rng)
    assert inside.pi_low == pytest.approx(250.975) and inside.pi_high == pytest.approx(9750.025)
    assert inside.model_median == pytest.approx(5000.5)
    assert inside.inside and not outside.inside
    assert compare(values, "case", 250, 1, rng).inside is False


def test_a_cohort_mean_is_judged_against_the_distribution_of_means_of_n():
    """Values 0/1 half each: the mean of 100 is Binomial(100, 0.5)/100, central 95% = [0.40, 0.60].
    A single patient's interval is [0, 1], so 0.65 is inside for one patient but not for a mean."""
    values = np.repeat([0.0, 1.0], 5000)
    rng = np.random.default_rng(1)
    mean = compare(values, "mean", 0.65, 100, rng, draws=20_000)
    assert mean.interval_low == pytest.approx(0.40, abs=0.011) and mean.interval_high == pytest.approx(0.60, abs=0.011)
    assert not mean.inside and compare(values, "case", 0.65, 1, rng).inside
    assert mean.pi_low == 0 and mean.pi_high == 1  # the individual interval is still reported
    assert compare(values, "mean", 0.55, 100, rng).inside


def test_events_among_n_use_the_binomial_interval():
    """p = 0.3, N = 100: Binomial central 95% is 21..39 (scipy ppf), so 20/100 is outside, 21/100 inside."""
    values = np.r_[np.ones(300), np.zeros(700)]
    rng = np.random.default_rng(2)
    low = compare(values, "proportion", 0.21, 100, rng)
    assert low.rate == pytest.approx(0.3)
    assert (low.interval_low, low.interval_high) == (pytest.approx(0.21), pytest.approx(0.39))
    assert low.inside and not compare(values, "proportion", 0.20, 100, rng).inside
    assert (low.rate_low, low.rate_high) == pytest.approx(analysis.wilson(0.3, 1000))
    assert analysis.wilson(0.3, 1000) == pytest.approx((0.27241, 0.32913), abs=1e-5)  # by hand: (0.301921 -+ 0.028470) / 1.0038416


# --- the whole run, the CLI and the report ------------------------------------------------------------
@pytest.fixture(scope="module")
def small_validation():
    return run_validation(load_cohorts(SMALL), replications=300, seed=SEED)


def test_the_table_has_one_row_per_figure_with_the_seed_case_first(small_validation):
    table = small_validation.table
    assert table.cohort.iloc[0] == "seed-case" and table.outcome.iloc[0] == "operative_time_min"
    assert len(table) == 6 + 2 + 8 == len(small_validation.distributions)
    assert table.inside.dtype == bool and set(table.compared_with) == {
        "one patient", "mean of N patients", "events among N patients"}
    continuous = table[table.statistic != "proportion"]
    assert (continuous.pi_low <= continuous.model_median).all() and (continuous.model_median <= continuous.pi_high).all()
    means = table[table.statistic == "mean"]  # a mean of 9 patients varies less than one patient
    assert ((means.interval_high - means.interval_low) < (means.pi_high - means.pi_low)).all()
    again = run_validation(load_cohorts(["huang-2018"]), replications=300, seed=SEED).table
    assert again.drop(columns="note").equals(table[table.cohort == "huang-2018"].reset_index(drop=True).drop(columns="note"))


def test_the_tally_keeps_independent_and_calibration_figures_apart(small_validation):
    table = small_validation.table
    independent = table[table.role == "validation"]
    text = tally(table)
    assert text.startswith(f"{int(independent.inside.sum())} of {len(independent)} independent figure")
    assert f"of {int((table.role == 'calibration').sum())} calibration targets" in text
    assert "of 16 " not in text  # never one pooled count


def test_the_report_names_every_figure_and_has_its_chart(small_validation, tmp_path):
    files = write_report(small_validation, tmp_path)
    markdown = (tmp_path / "validation.md").read_text()
    html = (tmp_path / "validation.html").read_text()
    assert "not a validated prediction rule" in markdown
    for _, row in small_validation.table.iterrows():
        chart = tmp_path / f"{row.cohort}-{row.outcome}.png"
        assert chart in files and chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"### {row.cohort_label}: {row.figure}" in markdown and f"]({chart.name})" in markdown
        assert f'src="{chart.name}"' in html
    assert not list(tmp_path.glob(".*.tmp"))  # atomic writes leave no temporary files


def test_validate_command_runs_in_a_real_process(tmp_path):
    report = tmp_path / "report"
    done = script("validate", "--reps", "200", "--cohort", "seed-case", "--cohort", "huang-2018", "--report", report)
    assert done.returncode == 0, done.stderr
    for text in ("seed-case (calibration)", "Operative time", "840 min (case)", "mean 2,421 mL, N=9", "mean of 9:",
                 "inside", "not a validated prediction rule", "independent figures"):
        assert text in " ".join(done.stdout.split()), text  # Rich wraps lines at the terminal width
    assert (report / "validation.md").exists() and (report / "validation.html").exists()
    assert "wrote 10 files" in done.stderr


@pytest.mark.parametrize("args, message", [
    (["--cohort", "nope"], "cohort: unknown cohort; allowed: seed-case"),
    (["--reps", "3"], "--reps: must be at least 10 (got 3)"),
    (["--report", "/no/such/folder/report"], "folder '/no/such/folder' does not exist"),
])
def test_validate_bad_input_is_one_line_and_exit_2(args, message):
    done = script("validate", *args, timeout=60)
    assert done.returncode == 2
    assert done.stderr.count("error:") == 1 and message in done.stderr, done.stderr
    assert "Traceback" not in done.stderr




# --- the calibrated model: a new centre per simulated series ---------------------------------------
def _centres(time_sd=0.3, bleeding_sd=0.3, complication_sd=0.5):
    """Centre effects only (no parameter draws): log time, log blood loss and complication logit."""
    return lambda scenario: Uncertainty(np.zeros((1, 0)), (), np.diag([time_sd, bleeding_sd, complication_sd])[None] ** 2)


def test_with_centres_each_simulated_series_holds_the_whole_mix_at_one_centre():
    luzzati = load_cohort(cohort_files()["luzzati-2014"])  # 6 four-level and 3 five-level resections
    records = simulate(luzzati, 400, SEED, _centres())
    assert records.centre.nunique() == 400 // PATIENTS_PER_CENTRE
    per_centre = records.groupby("centre").group.value_counts().unstack()
    assert (per_centre["four levels"] == 27).all() and (per_centre["five levels"] == 13).all()  # 40 split 2:1
    assert records.replication.is_unique


def test_centre_effects_widen_the_interval_of_a_series_mean_not_its_centre():
    huang = load_cohorts(["huang-2018"])
    fixed = run_validation(huang, 2000, SEED).table.set_index("outcome")
    drawn = run_validation(huang, 2000, SEED, uncertainty=_centres()).table.set_index("outcome")
    width = drawn.interval_high / drawn.interval_low
    for outcome in ("operative_time_min", "blood_loss_ml"):
        # a mean of 9 at one centre varies by the centre's +-1.96 x 0.3 on the log scale (x1.8 each way)
        assert width[outcome] > 1.8 * (fixed.interval_high / fixed.interval_low)[outcome], outcome
        assert abs(np.log(drawn.loc[outcome, "model_median"] / fixed.loc[outcome, "model_median"])) < 0.15


def test_centre_rates_shrink_their_binomial_noise_away():
    rng = np.random.default_rng(SEED)
    centres = np.repeat(np.arange(200), 40)
    same = rng.random(len(centres)) < 0.2  # no difference between centres: only binomial noise
    assert np.ptp(_centre_rates(same.astype(float), centres)) < 0.05
    truth = np.repeat(rng.choice([0.1, 0.4], 200), 40)  # real differences survive the shrinkage
    shrunk = _centre_rates((rng.random(len(centres)) < truth).astype(float), centres)
    assert np.corrcoef(shrunk, truth[::40])[0, 1] > 0.85 and shrunk.std() > 0.1


def test_series_the_posterior_was_fitted_to_count_as_calibration():
    table = run_validation(load_cohorts(["huang-2018"]), 200, SEED, calibrated=frozenset({"huang-2018"})).table
    assert set(table.role) == {"calibration"}
    assert tally(table).startswith("No independent figures here")
