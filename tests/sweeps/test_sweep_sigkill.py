"""A sweep whose coordinating process is killed with SIGKILL mid-run, then resumed, ends with exactly
the rows of an uninterrupted run: no lost points, no duplicates (real DuckDB file, real subprocess)."""

import os
import signal
import subprocess
import sys
import time

from sweep_helpers import assert_same_sweep, write_spec
from typer.testing import CliRunner

from simulation.cli.sweep import sweep_app
from simulation.sweeps.backends import ProcessPool
from simulation.sweeps.run import run_sweep
from simulation.sweeps.spec import load_plan
from simulation.sweeps.store import Store, StoreError

PARAMS = [  # a 5 x 5 grid: 25 points of about 0.1 s each, a wide window to kill in
    {"path": "transfusion.trigger_hb", "values": [6, 6.5, 7, 7.5, 8]},
    {"path": "phases.vessel_dissection.duration", "range": [0.5, 2], "levels": 5},
]


def _points_done(store: Store, name: str) -> int | None:
    try:
        return store.info(name)["points_done"]
    except StoreError:  # no file, no tables or no sweep row yet
        return None


def test_sigkill_then_resume_equals_an_uninterrupted_run(tmp_path):
    spec = write_spec(tmp_path, name="killed", design="grid", parameters=PARAMS, replications=60, keep_records=True)
    plan = load_plan(spec)
    total = len(plan.points)  # 25
    db = tmp_path / "killed.duckdb"
    store = Store(db)
    args = [sys.executable, "-m", "simulation.cli.sweep", "run", str(spec), "--db", str(db), "--workers", "1", "--chunk", "1"]
    with open(tmp_path / "run.log", "w") as log:
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            seen = None
            deadline = time.monotonic() + 120
            while proc.poll() is None and time.monotonic() < deadline:
                seen = _points_done(store, plan.name)
                if seen is not None and 2 <= seen <= total - 8:
                    os.kill(proc.pid, signal.SIGKILL)
                    break
                time.sleep(0.02)
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)  # the process group this test started
                proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, (tmp_path / "run.log").read_text()

    info = store.info(plan.name)
    assert info["status"] == "running"  # killed: nobody marked it finished
    assert seen <= info["points_done"] < total
    partial = store.load(plan.name)
    done = set(partial.points.point[partial.points.done])
    assert set(partial.results.point) == done == set(partial.contrasts.point)  # only whole points
    assert set(store.records(plan.name).point) == done

    result = CliRunner().invoke(sweep_app, ["run", str(spec), "--db", str(db), "--workers", "2"])
    assert result.exit_code == 0, result.output
    assert f"ran {total - info['points_done']} points ({info['points_done']} were already done)" in result.output

    reference = tmp_path / "uninterrupted.duckdb"
    with ProcessPool(1) as backend:
        run_sweep(plan, Store(reference), backend)
    assert_same_sweep(reference, db, plan.name)
    records, expected = store.records(plan.name), Store(reference).records(plan.name)
    assert len(records) == total * 2 * 60 and not records.duplicated(["point", "strategy", "replication"]).any()
    key = ["point", "strategy", "replication"]
    assert records.sort_values(key).reset_index(drop=True).equals(expected.sort_values(key).reset_index(drop=True))
    assert store.info(plan.name)["status"] == "complete"
