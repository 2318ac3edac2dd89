"""Dask backends give bit-identical results to the process pool: a LocalCluster of 2 worker
processes, a worker killed mid-sweep (Dask re-runs its tasks), and a separately started
``dask scheduler`` + ``dask worker`` used through ``resectsim sweep run --scheduler``."""

import json
import os
import signal
import subprocess
import time

import pytest
from sweep_helpers import VENV_BIN, assert_same_sweep, write_spec
from typer.testing import CliRunner

from simulation.cli.sweep import sweep_app
from simulation.sweeps.backends import BackendError, DaskCluster, ProcessPool
from simulation.sweeps.run import run_sweep
from simulation.sweeps.spec import load_plan
from simulation.sweeps.store import Store

PARAMS = [
    {"path": "transfusion.trigger_hb", "range": [6, 8]},
    {"path": "phases.vessel_dissection.duration", "range": [0.5, 2]},
    {"path": "patient.weight_kg", "range": [22, 32]},
    {"path": "icu.admission", "range": [0.1, 0.5]},
]


@pytest.fixture(scope="session")
def reference(tmp_path_factory):
    """A 9-point sweep run on the process pool (2 workers)."""
    folder = tmp_path_factory.mktemp("dask")
    spec = write_spec(folder, name="on-dask", parameters=PARAMS, replications=30)
    plan = load_plan(spec)
    db = folder / "pool.duckdb"
    with ProcessPool(2) as backend:
        run_sweep(plan, Store(db), backend, chunk_points=2)
    return spec, plan, db


def test_local_cluster_matches_the_process_pool(reference, tmp_path):
    spec, plan, pool_db = reference
    db = tmp_path / "local.duckdb"
    with DaskCluster(workers=2) as backend:
        assert backend.workers == 2 and len(backend.client.scheduler_info()["workers"]) == 2
        report = run_sweep(plan, Store(db), backend, chunk_points=1)
    assert report.chunks == 9
    assert_same_sweep(pool_db, db, plan.name)


def test_worker_killed_mid_sweep_still_gives_identical_results(reference, tmp_path):
    spec, plan, pool_db = reference
    db = tmp_path / "killed-worker.duckdb"
    killed = []

    with DaskCluster(workers=2) as backend:
        client = backend.client

        def kill_a_busy_worker(done, total):
            if done >= 1 and not killed:
                busy = {addr: keys for addr, keys in client.processing().items() if keys}
                assert busy, "no worker had a task in flight"
                addr = sorted(busy)[0]
                pid = client.run(os.getpid, workers=[addr])[addr]
                os.kill(pid, signal.SIGKILL)
                killed.append((addr, pid, len(busy[addr])))

        run_sweep(plan, Store(db), backend, chunk_points=1, progress=kill_a_busy_worker)
        client.wait_for_workers(2, timeout=60)  # the nanny restarted the killed worker
        pids = set(client.run(os.getpid).values())
    assert killed and killed[0][2] >= 1
    assert killed[0][1] not in pids
    assert_same_sweep(pool_db, db, plan.name)


def _start(args, log, procs):
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    procs.append(proc)
    return proc


def _stop(procs):
    for proc in reversed(procs):
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in reversed(procs):
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the process group this test started
            proc.wait(timeout=10)


@pytest.fixture
def external_cluster(tmp_path):
    """``dask scheduler`` on 127.0.0.1 (port 0) and ``dask worker`` with 2 processes, always stopped."""
    from distributed import Client

    scheduler_file = tmp_path / "scheduler.json"
    procs: list[subprocess.Popen] = []
    with open(tmp_path / "dask.log", "w") as log:
        try:
            _start([str(VENV_BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                    "--scheduler-file", str(scheduler_file)], log, procs)
            deadline = time.monotonic() + 60
            while not scheduler_file.exists():
                assert procs[0].poll() is None, (tmp_path / "dask.log").read_text()
                assert time.monotonic() < deadline, "scheduler did not start"
                time.sleep(0.1)
            address = json.loads(scheduler_file.read_text())["address"]
            _start([str(VENV_BIN / "dask"), "worker", address, "--nworkers", "2", "--nthreads", "1",
                    "--no-dashboard", "--host", "127.0.0.1"], log, procs)
            with Client(address, timeout="30s") as client:
                client.wait_for_workers(2, timeout=60)
            yield address
            with Client(address, timeout="30s") as client:
                client.shutdown()  # scheduler, nannies and workers close; the processes exit
            for proc in procs:
                proc.wait(timeout=30)
        finally:
            _stop(procs)
    assert all(p.poll() is not None for p in procs)


def test_cli_on_a_separately_started_scheduler_matches_the_pool(reference, external_cluster, tmp_path):
    spec, plan, pool_db = reference
    assert external_cluster.startswith("tcp://127.0.0.1:")
    db = tmp_path / "external.duckdb"
    result = CliRunner().invoke(sweep_app, ["run", str(spec), "--scheduler", external_cluster, "--db", str(db), "--chunk", "2"])
    assert result.exit_code == 0, result.output
    assert f"Dask scheduler {external_cluster}, 2 worker threads" in result.output
    assert "ran 9 points" in result.output
    assert_same_sweep(pool_db, db, plan.name)


def test_cli_rejects_conflicting_backends(reference, tmp_path):
    spec = str(reference[0])
    for args, message in (
        (["--dask", "remote"], "--dask takes 'local'"),
        (["--dask", "local", "--scheduler", "tcp://127.0.0.1:1"], "not both"),
        (["--scheduler", "tcp://127.0.0.1:1", "--workers", "2"], "has its own workers"),
    ):
        result = CliRunner().invoke(sweep_app, ["run", spec, "--db", str(tmp_path / "x.duckdb"), *args])
        assert result.exit_code == 2 and message in result.output


def test_unreachable_scheduler_is_a_clear_error():
    with pytest.raises(BackendError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:9"):
        with DaskCluster("tcp://127.0.0.1:9", connect_timeout_s=1):
            pass
