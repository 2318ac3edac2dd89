"""Precision control (``simulation.precision``): run until each 95% CI half-width meets its target.

Checked on real runs with fixed seeds: a zero-variance outcome stops at the pilot; a noisy one
needs more replications, and more for a tighter target; the rule stops at the first checkpoint
that meets every target (the one before did not); the maximum is reported as not reached; the
results equal ``simulation.run`` with the replications used, bit for bit; and the CLI options.
"""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest
from helpers import SEED, fix_anaesthesia, fix_phases, invoke, variant
from scipy import stats

import simulation
from simulation.runs.analysis import Z
from simulation.runs.precision import (
    Precision,
    SettingError,
    next_replications,
    precision_table,
    run_to_precision,
    wilson_half_width,
)
from simulation.scenario.records import is_probability

POSTERIOR = "posterior-only"
TWO = "two-stage-posterior-then-anterior"


@pytest.fixture(scope="module")
def pair():
    return simulation.load_scenario("seed-case", [POSTERIOR, TWO])


# --- the arithmetic -----------------------------------------------------------------------------
@pytest.mark.parametrize("k, n", [(0, 200), (3, 200), (50, 100), (180, 200), (200, 200)])
def test_wilson_half_width_is_half_scipys_wilson_interval(k, n):
    ci = stats.binomtest(k, n).proportion_ci(0.95, method="wilson")
    assert wilson_half_width(k / n, n) == pytest.approx((ci.high - ci.low) / 2, rel=1e-6)


def test_wilson_half_width_is_never_zero_for_a_risk_not_seen():
    # 0 events in 200: the Wald half-width would be 0; Wilson's is about 1.92 / n
    assert wilson_half_width(0.0, 200) == pytest.approx(Z**2 / 2 / (200 + Z**2), rel=1e-12)


def test_next_replications_projects_the_worst_estimate_at_most_doubling():
    table = pd.DataFrame({"achieved": [0.021, 0.010], "target": [0.02, 0.02], "reached": [False, True]})
    assert next_replications(table, 200, 50_000) == math.ceil(1.1 * 200 * (0.021 / 0.02) ** 2)  # 243
    table.loc[0, "achieved"] = 0.04  # needs 4x: capped at double
    assert next_replications(table, 200, 50_000) == 400
    assert next_replications(table, 200, 300) == 300  # and at the maximum
    table.loc[0, "achieved"] = math.inf  # a relative target on a mean of 0
    assert next_replications(table, 200, 50_000) == 400


def test_probabilities_are_binary_and_complication_columns():
    assert all(map(is_probability, ("death", "massive_transfusion", "any_major_complication", "complication_vte")))
    assert not any(map(is_probability, ("blood_loss_ml", "rbc_units", "event_durotomy", "anaesthetics")))


@pytest.mark.parametrize("settings, field", [
    (dict(relative=0.0), "relative"), (dict(relative=-0.1), "relative"), (dict(relative=math.nan), "relative"),
    (dict(absolute=0.0), "absolute"), (dict(absolute=1.0), "absolute"), (dict(absolute=math.nan), "absolute"),
    (dict(relative=None, absolute=None), "relative"), (dict(minimum=1), "minimum"),
    (dict(minimum=500, maximum=499), "maximum"),
])
def test_settings_out_of_range_name_the_field(settings, field):
    with pytest.raises(SettingError) as err:
        Precision(**settings)
    assert err.value.field == field and f"(got {err.value.value})" in str(err.value)


# --- runs ---------------------------------------------------------------------------------------
def test_zero_variance_outcomes_stop_at_the_pilot(seed_scenario):
    """Fixed durations, bleeding and no events: times and blood loss are the same in every replication."""
    def edit(d):
        fix_phases(d, 30.0, 2.0, event_p=0.0)
        fix_anaesthesia(d)

    sc = variant(seed_scenario, edit)
    done = run_to_precision(sc, SEED, Precision(relative=1e-4, absolute=None, minimum=50, maximum=10_000),
                            outcomes=["operative_time_min", "anaesthesia_time_min", "blood_loss_ml"],
                            strategies=[POSTERIOR, TWO])
    assert done.replications == 50 and done.checkpoints == (50,) and done.reached
    # the same value every time (up to the last bits of floating-point sums)
    assert (done.table.half_width <= 1e-12 * done.table["mean"]).all()
    assert set(done.table.strategy) == {POSTERIOR, TWO} and len(done.table) == 6


def test_noisy_outcome_needs_more_and_a_tighter_target_needs_still_more(pair):
    used = []
    for relative in (0.05, 0.03, 0.02):
        done = run_to_precision(pair, SEED, Precision(relative, None, minimum=200, maximum=20_000),
                                outcomes=["blood_loss_ml"])
        assert done.reached and (done.table.achieved <= relative).all()
        # the rule stops at the first checkpoint that meets every target: the one before did not
        if len(done.checkpoints) > 1:
            before = simulation.run(pair, done.checkpoints[-2], SEED).records
            assert not precision_table(before, ["blood_loss_ml"], done.precision).reached.all()
        used.append(done.replications)
    assert 200 < used[0] < used[1] < used[2], used
    # half-widths shrink as 1/sqrt(n): blood loss has a CV near 1, so ±2% needs thousands
    assert used[2] > 2_000


def test_half_widths_are_z_mcse_for_means_and_wilson_for_risks(pair):
    done = run_to_precision(pair, SEED, Precision(0.05, 0.03, minimum=200, maximum=5_000),
                            outcomes=["blood_loss_ml", "any_major_complication", "complication_death"])
    n = done.replications
    for row in done.table.itertuples():
        x = done.results.records.loc[done.results.records.strategy == row.strategy, row.outcome].to_numpy(dtype=float)
        x = (x > 0).astype(float) if row.outcome.startswith("complication_") else x
        assert row.replications == n and row.mean == pytest.approx(x.mean(), rel=1e-12)
        if row.scale == "relative":
            assert row.half_width == pytest.approx(Z * x.std(ddof=1) / math.sqrt(n), rel=1e-9)
            assert row.achieved == pytest.approx(row.half_width / row.mean, rel=1e-12)
        else:
            assert row.half_width == pytest.approx(wilson_half_width(x.mean(), n), rel=1e-12)
            assert row.achieved == row.half_width
        assert row.reached == (row.achieved <= row.target)


def test_precision_run_equals_run_with_the_replications_used(pair):
    done = run_to_precision(pair, SEED, Precision(0.04, 0.04, minimum=200, maximum=5_000))
    assert len(done.checkpoints) > 1  # it really ran in several batches
    again = simulation.run(pair, done.replications, SEED)
    pd.testing.assert_frame_equal(done.results.records, again.records, check_exact=True)
    pd.testing.assert_frame_equal(done.results.stages, again.stages, check_exact=True)
    assert (done.results.replications, done.results.seed, done.results.scenario_digest) == (
        again.replications, again.seed, again.scenario_digest)
    # ... and through the process pool
    pooled = run_to_precision(pair, SEED, Precision(0.04, 0.04, minimum=200, maximum=5_000), workers=2)
    assert pooled.checkpoints == done.checkpoints
    pd.testing.assert_frame_equal(pooled.results.records, again.records, check_exact=True)


def test_the_maximum_stops_the_run_and_says_which_targets_were_missed(pair):
    calls = []
    done = run_to_precision(pair, SEED, Precision(0.001, 0.001, minimum=100, maximum=250),
                            outcomes=["blood_loss_ml", "massive_transfusion", "anaesthetics"],
                            progress=lambda d, t: calls.append((d, t)))
    assert done.replications == 250 and done.checkpoints == (100, 200, 250) and not done.reached
    missed = done.table.set_index(["strategy", "outcome"]).reached
    assert not missed[(POSTERIOR, "blood_loss_ml")] and not missed[(TWO, "massive_transfusion")]
    assert missed[(TWO, "anaesthetics")]  # always 2 anaesthetics: exact
    assert calls[-1] == (250 * 2, 250 * 2) and [d for d, _ in calls] == sorted(d for d, _ in calls)


# --- the command line ---------------------------------------------------------------------------


BAD = {
    "--precision 0": (["--precision", "0"], "--precision: must be a number of at least 0.0001", "(got 0.0)"),
    "--precision -0.5": (["--precision", "-0.5"], "--precision: must be a number of at least 0.0001", "(got -0.5)"),
    # issue 14, defect 10: a target this fine overflowed the projection of the replications needed
    "--precision 1e-300": (["--precision", "1e-300"], "--precision: must be a number of at least 0.0001", "(got 1e-300)"),
    "--risk-precision 1": (["--risk-precision", "1"], "--risk-precision: must be at least 0.0001 and less than 1", "(got 1.0)"),
    "--risk-precision 0": (["--precision", "0.02", "--risk-precision", "0"], "--risk-precision: must be at least 0.0001", "(got 0.0)"),
    "--max-reps below --reps": (["--precision", "0.02", "--reps", "300", "--max-reps", "299"],
                                "--max-reps: must be at least --reps (300)", "(got 299)"),
    "--max-reps alone": (["--max-reps", "500"], "--max-reps: only used with --precision or --risk-precision", "(got 500)"),
    "--reps 1": (["--precision", "0.02", "--reps", "1"], "--reps: must be at least 2", "(got 1)"),
}


@pytest.mark.parametrize("command", ["compare", "run"])
@pytest.mark.parametrize("case", list(BAD))
def test_bad_precision_options_give_one_line_and_exit_2(tmp_path, command, case):
    args, *fragments = BAD[case]
    where = ["-s", POSTERIOR, "--out", tmp_path / "x.csv"] if command == "run" else []
    result = invoke(command, "seed-case", *where, *args)
    assert result.exit_code == 2 and result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: ") and all(f in line for f in fragments), line
    assert not (tmp_path / "x.csv").exists()


def test_compare_json_reports_the_replications_used(pair):
    result = invoke("compare", "seed-case", "-s", POSTERIOR, "-s", TWO, "--reps", 100, "--seed", SEED,
                    "--precision", 0.1, "--risk-precision", 0.05, "--json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    expected = run_to_precision(pair, SEED, Precision(0.1, 0.05, minimum=100, maximum=50_000),
                                outcomes=doc_outcomes(doc), **_drawn(pair))
    p = doc["precision"]
    assert p["replications"] == doc["provenance"]["replications"] == expected.replications > 100
    assert p["checkpoints"] == list(expected.checkpoints) and p["pilot_replications"] == 100
    assert (p["relative_target"], p["risk_target"], p["max_replications"], p["reached"]) == (0.1, 0.05, 50_000, True)
    rows = {(r["strategy"], r["outcome"]): r for r in p["outcomes"]}
    for r in expected.table.itertuples():
        assert rows[(r.strategy, r.outcome)]["half_width"] == pytest.approx(r.half_width, rel=1e-12)
        assert rows[(r.strategy, r.outcome)]["reached"] is True
    # the summaries are those of the replications used
    assert {r["n"] for r in doc["summaries"]} == {expected.replications}


def _drawn(scenario) -> dict:
    """The parameter and centre draws the CLI uses by default (the stored posterior, or none)."""
    drawn = simulation.uncertainty(scenario)
    return {"uncertainty": drawn.uncertainty, "note": drawn.note}


def doc_outcomes(doc: dict) -> list[str]:
    """The outcomes the CLI targets: those its tables show (in the JSON's order)."""
    return list(dict.fromkeys(r["outcome"] for r in doc["precision"]["outcomes"]))


def test_compare_table_says_which_targets_were_not_reached():
    result = invoke("compare", "seed-case", "-s", POSTERIOR, "--reps", 100, "--seed", SEED,
                    "--precision", 0.01, "--max-reps", 150)
    assert result.exit_code == 0, result.stderr
    out, words = result.stdout, " ".join(result.stdout.split())
    assert "95% CI half-width reached after 150 simulated patients per strategy (pilot 100, at most 150)" in words
    assert "not reached" in next(line for line in out.splitlines() if line.lstrip().startswith("Blood loss (mL)"))
    assert "precision target(s) NOT reached at the maximum of 150" in words
    assert "Anaesthesia time" in out and "Massive transfusion" in out


def test_run_with_precision_writes_the_records_of_the_replications_used(tmp_path, pair):
    out = tmp_path / "records.csv"
    result = invoke("run", "seed-case", "-s", POSTERIOR, "--reps", 100, "--seed", SEED, "--risk-precision", 0.05,
                    "--out", out)
    assert result.exit_code == 0, result.stderr
    expected = run_to_precision(pair, SEED, Precision(None, 0.05, minimum=100, maximum=50_000), strategies=[POSTERIOR],
                                outcomes=doc_outcomes_of_run(), **_drawn(pair))
    assert len(pd.read_csv(out)) == expected.replications > 100
    assert "Every precision target reached" in result.stderr and result.stdout == ""


def doc_outcomes_of_run() -> list[str]:
    from simulation.cli.compare import _targeted

    return _targeted(simulation.load_scenario("seed-case", [POSTERIOR]))
