"""Two runners on one database: the second is refused with one clear line while the first works,
and nothing a later run does changes a complete sweep's status (real processes, real DuckDB)."""

import os
import re
import subprocess
import time

from helpers import CLI_ENV, COMMAND
from sweep_helpers import write_spec

from simulation.sweeps.spec import load_plan
from simulation.sweeps.store import Store, StoreError

PARAMS = [{"path": "transfusion.trigger_hb", "values": [6, 6.5, 7, 7.5, 8]}]


def _sweep(*args, **kw):
    return subprocess.Popen(["timeout", "-s", "KILL", "240", *COMMAND, "sweep", *map(str, args)], env={**os.environ, **CLI_ENV},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def test_a_second_runner_is_refused_and_the_first_completes(tmp_path):
    spec = write_spec(tmp_path, name="locked", design="grid", parameters=PARAMS, replications=1500)  # a minute or so here
    db = tmp_path / "l.duckdb"
    first = _sweep("run", spec, "--db", db, "--workers", 1, "--chunk", 1)
    store, name = Store(db), load_plan(spec).name
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and first.poll() is None:
        try:
            if store.info(name)["points_done"] >= 1:
                break
        except StoreError:
            pass
        time.sleep(0.1)
    second = _sweep("run", spec, "--db", db, "--workers", 1)
    _, err = second.communicate(timeout=200)
    assert second.returncode == 2, err
    errors = [line for line in err.splitlines() if line.strip()]
    assert len(errors) == 1 and "Traceback" not in err
    assert re.search(r"error: .*l\.duckdb is in use by another sweep run or delete \(process \d+\); wait", errors[0]), errors
    assert first.poll() is None  # the first was still working when the second gave up
    first.communicate(timeout=200)
    assert first.returncode == 0
    assert store.info(name)["status"] == "complete" and store.info(name)["points_done"] == 5


def test_a_complete_sweep_stays_complete(tmp_path):
    spec = write_spec(tmp_path, name="done", design="grid", parameters=PARAMS[:1], replications=10)
    db = tmp_path / "d.duckdb"
    run = _sweep("run", spec, "--db", db, "--workers", 1)
    run.communicate(timeout=200)
    assert run.returncode == 0
    store = Store(db)
    store.finish("done", "failed", "ConstraintException: a late runner died")  # what a second runner's death did
    assert store.info("done")["status"] == "complete" and store.info("done")["message"] is None
    again = _sweep("run", spec, "--db", db, "--workers", 1)
    out, _ = again.communicate(timeout=200)
    assert again.returncode == 0 and "already complete" in out
    assert store.info("done")["status"] == "complete"
