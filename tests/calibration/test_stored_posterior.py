"""The posterior stored in the repository (scenarios/calibration/posterior-v1.parquet, written by
`make calibrate`) is the one every default run draws from: it must belong to today's model and
targets, and its sampler diagnostics must pass. When this fails after a change to the model or the
targets, re-run `make calibrate` and commit the new file."""

from simulation.calibration import posterior, targets
from simulation.calibration.settings import load_settings

MAX_R_HAT = 1.01  # rank-normalised split R-hat (Vehtari et al. 2021)
MIN_ESS = 200  # bulk effective sample size of the least-mixed site


def test_the_stored_posterior_belongs_to_todays_model_and_targets():
    info = posterior.provenance(posterior.default_path())
    current = targets.load_targets(None, load_settings())
    assert info["targets_hash"] == targets.targets_hash(current), "the target files changed: run make calibrate"
    assert info["scenario_hash"] == targets.scenario_hash(current), "the model's inputs changed: run make calibrate"
    assert info["targets"] == [t.name for t in current]


def test_the_stored_posterior_passes_its_diagnostics():
    info = posterior.provenance(posterior.default_path())
    d = info["diagnostics"]
    assert d["max_r_hat"] < MAX_R_HAT and d["min_ess_bulk"] >= MIN_ESS and d["divergent"] == 0, d
    draws = posterior.posterior_draws(posterior.default_path())
    assert len(draws) == d["chains"] * d["draws_per_chain"] >= 1000
    assert draws.notna().all().all()
