"""Running sweeps on the process pool: identical results for any workers and chunking, seeds keyed by
point, resuming after an interruption, refusing a changed spec, kept records, failing points."""

import numpy as np
import pandas as pd
import pytest
from sweep_helpers import assert_same_sweep, write_spec
from typer.testing import CliRunner

from simulation.cli.sweep import sweep_app
from simulation.runs.runner import simulate_block
from simulation.scenario.errors import ScenarioError
from simulation.sweeps.backends import ProcessPool
from simulation.sweeps.run import run_sweep
from simulation.sweeps.spec import load_plan
from simulation.sweeps.store import Store, StoreError


def _run(plan, db, workers=1, chunk=None, progress=None):
    with ProcessPool(workers) as backend:
        return run_sweep(plan, Store(db), backend, chunk, progress)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """The tiny one-way sweep run serially, one point per task: the reference database."""
    folder = tmp_path_factory.mktemp("tiny")
    plan = load_plan(write_spec(folder))
    db = folder / "reference.duckdb"
    report = _run(plan, db, workers=1, chunk=1)
    assert (report.points_run, report.chunks) == (5, 5)
    return plan, db


def test_pool_of_two_with_other_chunks_gives_identical_results(tiny, tmp_path):
    plan, reference = tiny
    report = _run(plan, tmp_path / "pool.duckdb", workers=2, chunk=2)
    assert report.chunks == 3
    assert_same_sweep(reference, tmp_path / "pool.duckdb", plan.name)


def test_stored_rows_are_complete_and_keyed_by_point(tiny):
    plan, db = tiny
    data = Store(db).load(plan.name)
    n_points, n_strategies, n_outcomes = 5, 2, 4
    assert len(data.results) == n_points * n_strategies * n_outcomes
    assert len(data.contrasts) == n_points * 1 * n_outcomes  # one strategy pair
    assert not data.results.duplicated(["point", "strategy", "outcome"]).any()
    assert (data.results.n == 20).all()
    np.testing.assert_array_equal(data.points[list(plan.labels)].to_numpy(), plan.points)
    assert data.info["status"] == "complete" and data.info["version"] and data.info["spec_hash"] == plan.spec_hash


def test_a_point_is_simulate_block_with_the_point_in_the_seed(tiny):
    """Point i, strategy s = simulate_block(scenario at i, s, seed, range(R), point=i)."""
    plan, db = tiny
    res = Store(db).load(plan.name).results.set_index(["point", "strategy", "outcome"])
    for point in (0, 3):
        scenario = plan.scenario_at(point)
        for strategy in plan.strategies:
            records, _ = simulate_block(scenario, strategy, plan.spec.seed, range(20), point=point)
            assert res.loc[(point, strategy, "operative_time_min"), "mean"] == records.operative_time_min.mean()
            assert res.loc[(point, strategy, "complication_vte"), "mean"] == (records.complication_vte > 0).mean()


def test_contrasts_are_paired_differences(tiny):
    plan, db = tiny
    data = Store(db).load(plan.name)
    a, b = plan.strategies
    row = data.contrasts.query("point == 2 and outcome == 'blood_loss_ml'").iloc[0]
    ra, _ = simulate_block(plan.scenario_at(2), a, plan.spec.seed, range(20), point=2)
    rb, _ = simulate_block(plan.scenario_at(2), b, plan.spec.seed, range(20), point=2)
    d = ra.blood_loss_ml.to_numpy() - rb.blood_loss_ml.to_numpy()
    assert (row.a, row.b) == (a, b)
    assert row.mean_difference == pytest.approx(d.mean(), rel=1e-12)
    assert row.se == pytest.approx(d.std(ddof=1) / np.sqrt(20), rel=1e-12)
    assert row.p_a_better == np.mean(d < 0)


def test_interrupted_sweep_resumes_to_the_same_rows(tiny, tmp_path):
    plan, reference = tiny
    db = tmp_path / "resumed.duckdb"

    def stop_after_two(done, total):
        if done >= 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _run(plan, db, chunk=1, progress=stop_after_two)
    info = Store(db).info(plan.name)
    assert (info["status"], info["points_done"]) == ("interrupted", 2)
    report = _run(plan, db, workers=2, chunk=2)
    assert report.points_run == 3
    assert_same_sweep(reference, db, plan.name)
    assert _run(plan, db).points_run == 0  # complete: nothing left to run


def test_changed_spec_under_the_same_name_is_refused(tiny, tmp_path):
    plan, reference = tiny
    changed = load_plan(write_spec(tmp_path, replications=21))
    with pytest.raises(StoreError, match="already in .* with a different spec or scenario"):
        _run(changed, reference)
    result = CliRunner().invoke(sweep_app, ["run", str(write_spec(tmp_path, replications=21)), "--db", str(reference), "--workers", "1"])
    assert result.exit_code == 2 and "give the spec a new name" in result.output and "Traceback" not in result.output


def test_kept_records_match_the_summaries(tmp_path):
    plan = load_plan(write_spec(tmp_path, name="kept", keep_records=True))
    db = tmp_path / "kept.duckdb"
    _run(plan, db, workers=2, chunk=2)
    store = Store(db)
    records = store.records(plan.name)
    assert len(records) == 5 * 2 * 20
    means = records.groupby(["point", "strategy"]).operative_time_min.mean()
    res = store.load(plan.name).results.query("outcome == 'operative_time_min'").set_index(["point", "strategy"])["mean"]
    pd.testing.assert_series_equal(means.sort_index(), res.sort_index(), check_names=False, check_index_type=False, rtol=1e-12)
    files = store.export(plan.name, tmp_path / "export")
    assert {f.name for f in files} == {"sweep.parquet", "parameters.parquet", "points.parquet", "results.parquet",
                                       "contrasts.parquet", "records.parquet"}
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "export" / "results.parquet"), store.load(plan.name).results)
    folder = store.records_dir / plan.name
    (folder / ".points-0-1.parquet.0123abcd.tmp").write_bytes(b"a write killed half way")
    store.delete(plan.name)
    assert not folder.exists()
    with pytest.raises(StoreError, match="no sweep 'kept'"):
        store.info(plan.name)


def test_common_random_numbers_make_an_irrelevant_parameter_exactly_flat(tmp_path):
    """The transfusion trigger cannot change operative time: with CRN every point shows the same mean."""
    for crn in (True, False):
        plan = load_plan(write_spec(tmp_path, name=f"crn-{str(crn).lower()}", common_random_numbers=crn))
        db = tmp_path / f"{plan.name}.duckdb"
        _run(plan, db)
        res = Store(db).load(plan.name).results.query("outcome == 'operative_time_min'")
        trigger_points = res[res.point.isin([0, 1, 2])].groupby("strategy")["mean"].nunique()
        assert (trigger_points == 1).all() if crn else (trigger_points == 3).all()


def test_an_invalid_point_inside_the_ranges_fails_the_sweep_clearly(tmp_path):
    """Ends are valid (others at base), but somewhere inside the trigger exceeds the target."""
    params = [{"path": "transfusion.trigger_hb", "range": [6, 8.9]}, {"path": "transfusion.target_hb", "range": [7.5, 10]}]
    plan = load_plan(write_spec(tmp_path, name="clash", design="latin-hypercube", samples=12, parameters=params))
    bad = np.flatnonzero(plan.points[:, 0] >= plan.points[:, 1])
    assert len(bad) and len(bad) < 12
    db = tmp_path / "clash.duckdb"
    with pytest.raises(ScenarioError) as err:
        _run(plan, db, chunk=1)
    assert f"point {bad[0]} (transfusion.trigger_hb = " in str(err.value)
    assert "target_hb_g_dl" in str(err.value) and "must exceed trigger_hb_g_dl" in str(err.value)
    info = Store(db).info(plan.name)
    assert info["status"] == "failed" and "must exceed" in info["message"]
