"""The posterior in the draw step: per-replication multipliers and shifts equal a rebuilt scenario.

A posterior of one row with no centre effect must give the same records as the scenario rebuilt at
that row's values by the sweep engine (``point_scenario``), for every calibrated path kind (phase
durations and bleeding, modifier multipliers, complication baselines, phase events); strategies
keep common random numbers; a missing posterior falls back to fixed parameters and says so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers import write_synthetic

import simulation
from simulation.calibration.centre import AxisEffect, CentreProfile
from simulation.calibration.parameters import load_parameters, place, sweep_values
from simulation.calibration.uncertainty import effects, for_run
from simulation.model.uncertainty import Uncertainty
from simulation.runs.runner import run, simulate_block
from simulation.scenario.errors import ScenarioError
from simulation.sweeps.spec import point_scenario

SEED = 31
STRATEGIES = ["single-stage-three-exposure", "posterior-only"]


def _values(params) -> np.ndarray:
    """One row well away from 0 for every parameter (unconstrained scale)."""
    return np.array([0.3 if p.transform == "multiply" else 0.8 for p in params])


@pytest.fixture(scope="module")
def params():
    return load_parameters()[0]


def test_one_posterior_row_equals_the_rebuilt_scenario(tmp_path, seed_scenario, params):
    z = _values(params)
    path = write_synthetic(tmp_path / "one.parquet", z[None, :], params)
    drawn = for_run(seed_scenario, path)
    assert drawn.uncertainty.parameters_on is False  # one row: no parameter spread ...
    kinds = {e.kind for e in drawn.uncertainty.effects}
    assert kinds == {"phase_duration", "phase_bleeding", "modifier_duration", "modifier_bleeding", "complication", "event"}
    placed, _ = place(params, seed_scenario, "test")
    rebuilt = point_scenario(seed_scenario, tuple(pl.target for pl in placed), sweep_values(params, placed, z[None, :])[0], "t", None)
    mine, _ = simulate_block(seed_scenario, STRATEGIES, SEED, range(60), uncertainty=drawn.uncertainty)
    theirs, _ = simulate_block(rebuilt, STRATEGIES, SEED, range(60))
    plain, _ = simulate_block(seed_scenario, STRATEGIES, SEED, range(60))
    pd.testing.assert_frame_equal(mine, theirs, check_exact=False, rtol=1e-9)
    # ... and the row did move the numbers (time x e^0.3 on most phases, logit shifts of 0.8)
    assert mine.operative_time_min.mean() > 1.2 * plain.operative_time_min.mean()
    assert mine.any_complication.mean() > plain.any_complication.mean()


def test_fixed_uncertainty_changes_nothing(seed_scenario):
    plain, _ = simulate_block(seed_scenario, STRATEGIES, SEED, range(30))
    none, _ = simulate_block(seed_scenario, STRATEGIES, SEED, range(30), uncertainty=simulation.uncertainty(
        seed_scenario, fixed_parameters=True).uncertainty)
    pd.testing.assert_frame_equal(plain, none)


def test_strategies_share_each_replications_parameters_and_centre(tmp_path, seed_scenario, params):
    rng = np.random.default_rng(0)
    path = write_synthetic(tmp_path / "many.parquet", rng.normal(0, 0.3, (50, len(params))), params, (0.3, 0.4, 0.5), 0.3)
    unc = for_run(seed_scenario, path).uncertainty
    rows, centre = unc.draw(SEED, np.arange(40))
    again_rows, again_centre = unc.draw(SEED, np.arange(20, 40))  # another block: the same numbers
    np.testing.assert_array_equal(rows[20:], again_rows)
    np.testing.assert_array_equal(centre[20:], again_centre)
    # nested: 10 patients per centre, 2 centres per draw
    assert (np.diff(centre[:10], axis=0) == 0).all() and not np.allclose(centre[9], centre[10])
    assert (rows[:20] == rows[0]).all() and not np.allclose(rows[19], rows[20])
    # the same replication of two strategies: one run alone equals its part of a joint run
    both, _ = simulate_block(seed_scenario, STRATEGIES, SEED, range(40), uncertainty=unc)
    alone, _ = simulate_block(seed_scenario, STRATEGIES[1], SEED, range(40), uncertainty=unc)
    pd.testing.assert_frame_equal(both[both.strategy == STRATEGIES[1]].reset_index(drop=True), alone, check_categorical=False)


def test_the_centre_effect_is_drawn_with_the_posterior_covariance(tmp_path, seed_scenario, params):
    path = write_synthetic(tmp_path / "c.parquet", np.zeros((5, len(params))), params, (0.3, 0.4, 0.5), 0.6)
    unc = for_run(seed_scenario, path).uncertainty.nested(1, 1)
    _, u = unc.draw(SEED, np.arange(20_000))
    assert u.std(axis=0) == pytest.approx([0.3, 0.4, 0.5], rel=0.03)
    assert np.corrcoef(u[:, 0], u[:, 1])[0, 1] == pytest.approx(0.6, abs=0.03)
    assert abs(np.corrcoef(u[:, 0], u[:, 2])[0, 1]) < 0.03


def test_a_calibrated_centre_shifts_time_by_its_effect(tmp_path, seed_scenario, params):
    path = write_synthetic(tmp_path / "c.parquet", np.zeros((3, len(params))), params, (0.3, 0.4, 0.5))
    axis = dict(sd=1e-9, prior_mean=0.0, prior_sd=0.3, cases=20, minimum_cases=5)
    profile = CentreProfile(centre="Slow General", posterior="test", cases=20, effects={
        "time": AxisEffect(mean=np.log(1.5), **axis), "bleeding": AxisEffect(mean=0.0, **axis),
        "complication": AxisEffect(mean=0.0, **axis)})
    drawn = for_run(seed_scenario, path, profile)
    assert "Slow General" in drawn.note and profile.digest() in drawn.note
    slow, _ = simulate_block(seed_scenario, "posterior-only", SEED, range(40), uncertainty=drawn.uncertainty)
    plain, _ = simulate_block(seed_scenario, "posterior-only", SEED, range(40))
    # every phase and every repair 1.5 times as long: skin-to-skin time is 1.5 times as long
    ratio = slow.operative_time_min / plain.operative_time_min
    assert ratio.to_numpy() == pytest.approx(1.5, rel=1e-6)
    # blood loss is the centre's bleeding effect (here none), not rate x a longer time
    assert (slow.blood_loss_ml / plain.blood_loss_ml).median() == pytest.approx(1.0, abs=0.05)


def test_a_missing_posterior_falls_back_to_fixed_parameters_and_says_so(tmp_path, seed_scenario):
    drawn = for_run(seed_scenario, tmp_path / "absent.parquet")
    assert not drawn.uncertainty.parameters_on and not drawn.uncertainty.centre_on
    assert "no stored posterior" in drawn.note
    results = run(seed_scenario, 20, SEED, ["posterior-only"], uncertainty=drawn.uncertainty, note=drawn.note)
    assert results.scenario_digest == seed_scenario.digest() and results.uncertainty_note == drawn.note


def test_the_uncertainty_enters_the_run_digest(tmp_path, seed_scenario, params):
    path = write_synthetic(tmp_path / "m.parquet", np.zeros((4, len(params))), params, (0.3, 0.4, 0.5))
    drawn = for_run(seed_scenario, path)
    results = run(seed_scenario, 20, SEED, ["posterior-only"], uncertainty=drawn.uncertainty)
    assert results.scenario_digest.startswith(seed_scenario.digest() + "+")


def test_a_path_that_cannot_act_per_replication_is_one_clear_error(seed_scenario):
    from simulation.calibration.parameters import ParameterSpec, Prior

    bad = (ParameterSpec(name="trigger", label="Trigger", transform="multiply", paths=("transfusion.trigger_hb_g_dl",),
                         prior=Prior(mean=0, sd=0.1), assumption="test"),)
    with pytest.raises(ScenarioError) as err:
        effects(bad, seed_scenario, "p.yaml")
    assert len(err.value.issues) == 1 and "cannot act per replication" in str(err.value)


def test_an_uncertainty_without_rows_is_refused_in_a_nested_design():
    with pytest.raises(ValueError, match="at least 1"):
        Uncertainty(np.zeros((1, 0)), (), np.zeros((1, 3, 3))).nested(0, 1)


def test_the_discrepancy_terms_shift_the_prediction_like_a_centre(tmp_path, seed_scenario, params):
    """Reality = simulator + discrepancy: a row's discrepancy on log time lengthens every phase by exp(delta)."""
    path = write_synthetic(tmp_path / "d.parquet", np.zeros((2, len(params))), params)
    frame = pd.read_parquet(path).assign(discrepancy_time=np.log(1.25), discrepancy_stay=-0.4)
    from simulation.calibration.posterior import provenance, write_posterior

    write_posterior(frame, path, provenance(path))
    with_delta = for_run(seed_scenario, path)
    without = for_run(seed_scenario, path, discrepancy=False)
    assert "model discrepancy" in with_delta.note and "model discrepancy" not in without.note
    a, _ = simulate_block(seed_scenario, "posterior-only", SEED, range(30), uncertainty=with_delta.uncertainty)
    b, _ = simulate_block(seed_scenario, "posterior-only", SEED, range(30), uncertainty=without.uncertainty)
    assert (a.operative_time_min / b.operative_time_min).to_numpy() == pytest.approx(1.25, rel=1e-6)


def test_a_calibrated_centre_without_a_stored_posterior_shifts_the_fixed_model(tmp_path, seed_scenario):
    axis = dict(sd=0.0, prior_mean=0.0, prior_sd=0.3, cases=20, minimum_cases=5)
    profile = CentreProfile(centre="Quick", posterior="none", cases=20, effects={
        "time": AxisEffect(mean=np.log(0.8), **axis), "bleeding": AxisEffect(mean=0.0, **axis),
        "complication": AxisEffect(mean=0.0, **axis)})
    drawn = for_run(seed_scenario, tmp_path / "absent.parquet", profile)
    assert "no stored posterior" in drawn.note and "centre Quick" in drawn.note
    assert drawn.uncertainty.centre_on and not drawn.uncertainty.parameters_on
    fast, _ = simulate_block(seed_scenario, "posterior-only", SEED, range(20), uncertainty=drawn.uncertainty)
    plain, _ = simulate_block(seed_scenario, "posterior-only", SEED, range(20))
    assert (fast.operative_time_min / plain.operative_time_min).to_numpy() == pytest.approx(0.8, rel=1e-9)
