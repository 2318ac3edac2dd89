"""Honest intervals: the nested variance split, the honest range against the Monte Carlo error,
paired differences on common draws, and the probability that each plan is best."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers import write_synthetic

from simulation.calibration.parameters import load_parameters
from simulation.calibration.uncertainty import for_run
from simulation.model.uncertainty import Effect, Uncertainty
from simulation.runs.analysis import Z
from simulation.runs.runner import run
from simulation.runs.uncertainty import honest_differences, honest_summary, parts, parts_on, probability_best

SEED = 5
PLANS = ["single-stage-three-exposure", "posterior-only"]
HEADLINE = ["operative_time_min", "blood_loss_ml", "any_major_complication"]


def _nested(patients: int, centres: int) -> Uncertainty:
    return Uncertainty(np.zeros((2, 1)), (Effect(0, "complication", "x"),), np.repeat(np.eye(3)[None], 2, 0), patients=patients,
                       centres=centres)


def test_the_nested_split_recovers_known_variance_components():
    """x = a_draw + b_centre + e_patient with SDs 2, 1 and 3: the method of moments finds them."""
    rng = np.random.default_rng(1)
    unc = _nested(10, 4)
    reps = np.arange(400 * 40)
    draw, centre = unc.groups(reps)
    a, b = rng.normal(0, 2, draw.max() + 1), rng.normal(0, 1, centre.max() + 1)
    x = 50 + a[draw] + b[centre] + rng.normal(0, 3, len(reps))
    got = parts(x, reps, unc)
    assert got["sd_parameter"] == pytest.approx(2, rel=0.1)
    assert got["sd_centre"] == pytest.approx(1, rel=0.15)
    assert got["sd_patient"] == pytest.approx(3, rel=0.02)
    # Monte Carlo SE of the mean: independent draws, each a mean of 40 patients
    assert got["mcse"] == pytest.approx(np.sqrt(4 + 1 / 4 + 9 / 40) / np.sqrt(400), rel=0.1)
    # honest range: where a centre's mean lies, sd sqrt(2^2 + 1^2) about the mean
    assert (got["honest_high"] - got["honest_low"]) / (2 * Z) == pytest.approx(np.sqrt(5), rel=0.1)


def test_without_parameter_or_centre_draws_the_range_is_the_monte_carlo_interval():
    x = np.random.default_rng(2).normal(10, 2, 500)
    got = parts(x, np.arange(500), None)
    se = x.std(ddof=1) / np.sqrt(500)
    assert (got["mcse"], got["honest_low"], got["honest_high"]) == pytest.approx((se, x.mean() - Z * se, x.mean() + Z * se))
    assert got["sd_centre"] == got["sd_parameter"] == 0.0
    assert parts_on(None) == ()


@pytest.fixture(scope="module")
def posterior(tmp_path_factory):
    params = load_parameters()[0]
    rows = np.random.default_rng(3).normal(0, [p.prior.sd / 2 for p in params], (200, len(params)))
    folder = tmp_path_factory.mktemp("posterior")
    return {
        "both": write_synthetic(folder / "both.parquet", rows, params, (0.28, 0.36, 0.48), 0.3),
        "parameters": write_synthetic(folder / "parameters.parquet", rows, params),
        "centre": write_synthetic(folder / "centre.parquet", np.zeros((1, len(params))), params, (0.28, 0.36, 0.48)),
    }


@pytest.mark.parametrize("mode", ["both", "parameters", "centre"])
def test_the_stated_range_is_wider_than_the_monte_carlo_error_when_uncertainty_is_on(seed_scenario, posterior, mode):
    drawn = for_run(seed_scenario, posterior[mode])
    assert set(parts_on(drawn.uncertainty)) == {"both": {"parameter", "centre"}, "parameters": {"parameter"},
                                                "centre": {"centre"}}[mode]
    results = run(seed_scenario, 400, SEED, PLANS, uncertainty=drawn.uncertainty)
    h = honest_summary(results.records, results.uncertainty, HEADLINE)
    width, mc_width = h.honest_high - h.honest_low, 2 * Z * h.mcse
    assert (width > mc_width).all(), h[["outcome", "honest_low", "honest_high", "mcse"]]
    continuous = h.outcome != "any_major_complication"  # time and blood loss move with every parameter and the centre
    assert (width[continuous] > 2 * mc_width[continuous]).all()
    assert (h.honest_low <= h["mean"]).all() and (h["mean"] <= h.honest_high).all()


def test_paired_differences_keep_common_draws(seed_scenario, posterior):
    drawn = for_run(seed_scenario, posterior["both"])
    records = run(seed_scenario, 400, SEED, PLANS, uncertainty=drawn.uncertainty).records
    d = honest_differences(records, *PLANS, drawn.uncertainty, ["operative_time_min"]).iloc[0]
    each = honest_summary(records, drawn.uncertainty, ["operative_time_min"]).set_index("strategy").mcse
    # the plans meet the same patients, parameters and centres: the difference is far more precise
    assert d.mcse < 0.5 * np.hypot(*each.to_numpy())
    a = records[records.strategy == PLANS[0]].operative_time_min.to_numpy()
    b = records[records.strategy == PLANS[1]].operative_time_min.to_numpy()
    assert d["mean"] == pytest.approx((a - b).mean())


def test_probability_best_sums_to_one_and_reports_progress(seed_scenario, posterior):
    drawn = for_run(seed_scenario, posterior["both"])
    seen = []
    pb = probability_best(seed_scenario, drawn.uncertainty, SEED, draws=8, patients=25, strategies=PLANS,
                          outcomes=["operative_time_min", "rbc_units"], progress=lambda done, total: seen.append((done, total)))
    assert pb.groupby("outcome").p_best.sum().to_numpy() == pytest.approx([1.0, 1.0])
    assert seen[-1] == (8 * 25 * 2, 8 * 25 * 2) and all(a <= b for (a, _), (b, _) in zip(seen, seen[1:]))
    # posterior-only leaves out two exposures: shorter at (nearly) every draw of 25 patients
    time = pb[pb.outcome == "operative_time_min"].set_index("strategy").p_best
    assert time["posterior-only"] >= 7 / 8
    with pytest.raises(ValueError, match="draws must be at least 2"):
        probability_best(seed_scenario, drawn.uncertainty, SEED, draws=1)


def test_honest_summary_of_a_fixed_run_matches_the_plain_summary(seed_scenario):
    from simulation.runs.analysis import summarise

    records = run(seed_scenario, 100, SEED, PLANS).records
    h = honest_summary(records, None, HEADLINE).set_index(["strategy", "outcome"])
    s = summarise(records, HEADLINE).set_index(["strategy", "outcome"])
    pd.testing.assert_series_equal(h.mcse, s.mcse)
    pd.testing.assert_series_equal(h.honest_low.rename("ci_low"), s.ci_low.clip(lower=0))
