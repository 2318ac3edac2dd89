"""resectsim compare with parameter and centre draws: the options, the honest range beside the Monte Carlo
error, the probability that each plan is best, and one clear line for every conflicting option."""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers import invoke, write_synthetic

from simulation.calibration.parameters import load_parameters

PLANS = ["-s", "single-stage-three-exposure", "-s", "posterior-only"]


@pytest.fixture(scope="module")
def posterior(tmp_path_factory):
    params = load_parameters()[0]
    rows = np.random.default_rng(2).normal(0, [p.prior.sd / 2 for p in params], (60, len(params)))
    return write_synthetic(tmp_path_factory.mktemp("p") / "p.parquet", rows, params, (0.28, 0.36, 0.48))


def test_compare_json_carries_the_split_and_the_probability_best(posterior):
    result = invoke("compare", "seed-case", *PLANS, "--reps", 200, "--posterior", posterior, "--best", 4, "--json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["provenance"]["uncertainty_parts"] == ["monte_carlo", "patient", "parameter", "centre"]
    assert "a centre like those published" in doc["provenance"]["uncertainty"]
    time = next(r for r in doc["summaries"] if r["outcome"] == "operative_time_min")
    assert time["honest_high"] - time["honest_low"] > 2 * 1.96 * time["mcse"] > 0
    assert time["sd_centre"] > 0 and time["sd_parameter"] > 0 and time["sd_patient"] > 0
    best = doc["probability_best"]
    for outcome in {r["outcome"] for r in best}:
        assert sum(r["p_best"] for r in best if r["outcome"] == outcome) == pytest.approx(1.0)


def test_compare_tables_show_the_honest_range_beside_the_monte_carlo_error(posterior):
    result = invoke("compare", "seed-case", *PLANS, "--reps", 100, "--posterior", posterior)
    assert result.exit_code == 0, result.stderr
    out = " ".join(result.stdout.split())
    assert "Mean ± MC error" in out and "Honest 95% range" in out
    assert "covers the Monte Carlo error, what the published series leave uncertain and how much hospitals differ" in out
    fixed = " ".join(invoke("compare", "seed-case", *PLANS, "--reps", 100, "--fixed-parameters").stdout.split())
    assert "Honest 95% range" not in fixed and "the ranges are Monte Carlo 95% intervals only" in fixed
    assert "parameters: fixed (patient variability only)" in fixed


@pytest.mark.parametrize(("args", "fragment"), [
    (["--fixed-parameters", "--centre", "c.yaml"], "--fixed-parameters: cannot be combined with --centre"),
    (["--posterior", "no-such.parquet"], "--posterior: no-such.parquet: no such file"),
    (["--fixed-parameters", "--best", "5"], "--best: needs parameter or centre draws"),
    (["--centre", "no-such.yaml"], "no-such.yaml"),
])
def test_conflicting_or_missing_uncertainty_options_give_one_line(args, fragment):
    result = invoke("compare", "seed-case", "--reps", 10, *args)
    assert result.exit_code == 2 and result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and fragment in lines[0], lines
