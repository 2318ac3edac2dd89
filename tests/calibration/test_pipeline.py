"""End to end on a tiny synthetic target set whose true scale factors are known.

Two synthetic series (posterior-only resections of one and of three levels) are simulated at
time x1.3 and bleeding x0.8 of the posterior phases (a fresh seed, 400 patients each); the
pipeline then runs its design through the sweep engine, fits and checks the emulators,
history-matches and samples the posterior. The 95% posterior intervals must cover the truth.
"""

import math
import time

import numpy as np
import pytest
import yaml

from simulation.calibration import pipeline
from simulation.calibration.parameters import place, sweep_values
from simulation.calibration.posterior import draws_frame, posterior_draws, provenance, write_posterior
from simulation.calibration.settings import load_settings
from simulation.runs.runner import simulate_block
from simulation.scenario.loader import bundled, load_references, load_scenario, patient_from, read_yaml
from simulation.sweeps.backends import ProcessPool
from simulation.sweeps.spec import point_scenario
from simulation.sweeps.store import Store

pytest.importorskip("numpyro")
pytest.importorskip("sklearn")

TRUTH = {"time_posterior": math.log(1.3), "bleeding_posterior": math.log(0.8)}
N = 400  # patients per synthetic series
PARAMETERS = {"parameters": [
    {"name": "time_posterior", "label": "Posterior time", "transform": "multiply", "prior": {"mean": 0, "sd": 0.4},
     "assumption": "test", "paths": ["phases.posterior_exposure.duration", "phases.laminectomy.duration",
                                     "phases.posterior_en_bloc_removal.duration", "phases.pedicle_screws.duration"]},
    {"name": "bleeding_posterior", "label": "Posterior bleeding", "transform": "multiply", "prior": {"mean": 0, "sd": 0.4},
     "assumption": "test", "paths": ["phases.posterior_exposure.bleeding", "phases.laminectomy.bleeding",
                                     "phases.posterior_en_bloc_removal.bleeding", "phases.pedicle_screws.bleeding"]},
]}


def _settings():
    s = load_settings()
    run = s.run.model_copy(update={"design_points": 24, "replications": 60, "chains": 2, "warmup": 200, "draws": 200,
                                   "history_samples": 2000, "holdout_fraction": 0.25})
    small = {name: o.model_copy(update={"discrepancy_sd": o.discrepancy_sd.model_copy(update={"value": 0.02})})
             for name, o in s.outputs.items()}
    return s.model_copy(update={"run": run, "outputs": small, "centre_sd": s.centre_sd.model_copy(update={"value": 0.05})})


def _synthetic_series(folder, params, levels: str, name: str):
    """A target file of N patients simulated at the true scale factors (seed 777, not the design's)."""
    data = {**read_yaml(bundled("patients")["adult-primary"]), "levels": levels, "name": name}
    scenario = load_scenario(patient_from(data, "test", load_references()), ["posterior-only"])
    placed, _ = place(params, scenario, "test")
    z = np.array([[TRUTH[p.name] for p in params]])
    truth = point_scenario(scenario, tuple(pl.target for pl in placed), sweep_values(params, placed, z)[0], "test", None)
    records, _ = simulate_block(truth, "posterior-only", 777, range(N))
    figures = [{"outcome": c, "statistic": "mean", "value": float(records[c].mean()), "sd": float(records[c].std()),
                "source": "huang2018"} for c in ("operative_time_min", "blood_loss_ml")]
    (folder / f"{name}.yaml").write_text(yaml.safe_dump({
        "name": name, "label": name, "reference": "huang2018", "n": N, "patient": "adult-primary",
        "overrides": {"name": name, "levels": levels}, "strategy": "posterior-only",
        "case_mix": {"levels": 1 if "-" not in levels else 3}, "definitions": {"blood_loss": "measured"}, "figures": figures}))


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory):
    folder = tmp_path_factory.mktemp("calibration")
    targets = folder / "targets"
    targets.mkdir()
    (folder / "parameters.yaml").write_text(yaml.safe_dump(PARAMETERS))
    from simulation.calibration.parameters import load_parameters

    params, _ = load_parameters(folder / "parameters.yaml")
    _synthetic_series(targets, params, "L3", "one-level")
    _synthetic_series(targets, params, "L2-L4", "three-level")
    inputs = pipeline.load_inputs(targets, settings=_settings(), parameters=folder / "parameters.yaml")
    store = Store(folder / "design.duckdb")
    start = time.perf_counter()
    z, training = pipeline.simulate_design(inputs, store, ProcessPool(1))
    design_s = time.perf_counter() - start
    result = pipeline.calibrate(inputs, z, training)
    return {"result": result, "store": store, "inputs": inputs, "training": training, "folder": folder, "design_s": design_s}


def test_the_posterior_covers_the_true_scale_factors(calibrated):
    r = calibrated["result"]
    z = r.fit.flat("z")
    for i, p in enumerate(r.inputs.params):
        lo, hi = np.percentile(z[:, i], [2.5, 97.5])
        assert lo <= TRUTH[p.name] <= hi, (p.name, lo, TRUTH[p.name], hi)
        assert z[:, i].std() < 0.4 * 0.5  # the data moved it: posterior SD under half the prior's


def test_diagnostics_are_reported_and_pass(calibrated):
    d = calibrated["result"].fit.diagnostics
    assert {"site", "r_hat", "ess_bulk", "ess_tail"} <= set(d.columns)
    assert set(d.site) == {"z", "tau", "delta"}
    assert d.r_hat.max() < 1.05 and d.ess_bulk.min() > 50  # 2 x 200 draws: a looser bar than make calibrate's 1.01


def test_the_emulator_is_checked_on_held_out_points(calibrated):
    check = calibrated["result"].check
    assert (check.held_out == 6).all() and len(check) == 4
    assert check.within_2sd.mean() >= 0.75
    assert (check.r2 > 0.8).all()  # log-mean time and bleeding are smooth in the multipliers


def test_history_matching_rules_out_a_clearly_implausible_region(calibrated):
    r = calibrated["result"]
    h = r.history
    t = [p.name for p in r.inputs.params].index("time_posterior")
    far = np.abs(h.z[:, t] - TRUTH["time_posterior"]) > 0.6  # time x2.4 or x0.7 of the truth
    near = np.abs(h.z[:, t] - TRUTH["time_posterior"]) < 0.1
    assert far.any() and not h.keep[far].any()
    assert h.keep[near].mean() > 0.2
    assert not h.targets.misfit.any()


def test_the_design_is_resumable_and_reproducible(calibrated):
    inputs, store = calibrated["inputs"], calibrated["store"]
    start = time.perf_counter()
    z, again = pipeline.simulate_design(inputs, store, ProcessPool(1))
    assert time.perf_counter() - start < calibrated["design_s"] / 2 + 1
    assert (store.sweeps().status == "complete").all()
    assert np.allclose(again.value, calibrated["training"].value)


def test_posterior_file_round_trips_with_provenance(calibrated, tmp_path):
    r = calibrated["result"]
    frame = draws_frame(r.fit, r.inputs.params, r.inputs.settings)
    assert len(frame) == 400 and (frame.time_posterior > 0).all()
    path = write_posterior(frame, tmp_path / "posterior-v1.parquet", r.provenance())
    back = posterior_draws(path)
    assert back.equals(frame)
    info = provenance(path)
    assert info["targets"] == ["one-level", "three-level"] and info["diagnostics"]["max_r_hat"] < 1.05
    assert len(info["targets_hash"]) == 16 and len(info["scenario_hash"]) == 16 and "within_2sd" in info["emulator_check"]


@pytest.mark.slow
def test_the_report_writes_every_check(calibrated, tmp_path):
    from simulation.calibration.report import write_report

    path = write_report(calibrated["result"], tmp_path, sbc_replicates=2)
    text = path.read_text()
    for section in ("Emulator check", "Posterior against prior", "Leave-one-series-out coverage", "Simulation-based calibration"):
        assert f"## {section}" in text
    import pandas as pd

    loo = pd.read_csv(tmp_path / "leave-one-out.csv")
    assert sorted(loo.series.unique()) == ["one-level", "three-level"] and loo.pit.between(0, 1).all()
    cov = pd.read_csv(tmp_path / "leave-one-out-coverage.csv")
    assert cov.interval.tolist() == ["50%", "80%", "95%"]
    ranks = pd.read_csv(tmp_path / "sbc-ranks.csv")
    assert len(ranks) == 2 * 2 and ranks["rank"].between(0, 99).all()
    contraction = pd.read_csv(tmp_path / "contraction.csv").set_index("parameter")
    assert (contraction.contraction > 0.5).all()  # 400-patient synthetic series pin both factors down
