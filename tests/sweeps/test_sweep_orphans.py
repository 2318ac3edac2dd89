"""A coordinator killed with SIGKILL takes its worker processes with it: no forkserver, worker or
resource tracker survives a few seconds later (real processes; Linux /proc, no psutil)."""

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

from helpers import CLI_ENV, COMMAND
from sweep_helpers import write_spec

PARAMS = [{"path": "transfusion.trigger_hb", "values": [6, 6.25, 6.5, 6.75, 7, 7.25, 7.5, 7.75]}]


def _children() -> dict[int, int]:
    """pid -> parent pid of every process (from /proc)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            found[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    return found


def _descendants(pid: int) -> set[int]:
    parents, found, todo = _children(), set(), [pid]
    while todo:
        p = todo.pop()
        kids = {c for c, pp in parents.items() if pp == p}
        todo += list(kids - found)
        found |= kids
    return found


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for a parent that does not reap counts as gone)."""
    try:
        return (Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]) != "Z"
    except OSError:
        return False


def _kill_coordinator_once_it_has_workers(args: list[str], cwd: Path, workers: int) -> set[int]:
    """Start the coordinator, wait for ``workers`` worker processes below it, SIGKILL only it; its descendants."""
    proc = subprocess.Popen(["timeout", "-s", "KILL", "240", *COMMAND, *args], cwd=cwd, env={**os.environ, **CLI_ENV},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        coordinator = None
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and proc.poll() is None:
            kids = _descendants(proc.pid)  # timeout -> coordinator -> (forkserver ->) workers, resource tracker
            direct = [c for c in kids if _children().get(c) == proc.pid]
            if direct and len(kids) >= workers + 1 + (args[0] == "sweep"):
                coordinator = direct[0]
                break
            time.sleep(0.2)
        assert coordinator is not None, "the workers never started"
        time.sleep(1.0)  # the workers are busy with their first tasks
        family = _descendants(coordinator)
        os.kill(coordinator, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(p) for p in family):
            time.sleep(0.2)
        return {p for p in family if _alive(p)}
    finally:
        with contextlib.suppress(ProcessLookupError):  # whatever this test started and is still there
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)


def test_a_killed_process_pool_sweep_leaves_no_process_behind(tmp_path):
    spec = write_spec(tmp_path, name="orphans", design="grid", parameters=PARAMS, replications=2000)
    survivors = _kill_coordinator_once_it_has_workers(
        ["sweep", "run", str(spec), "--db", str(tmp_path / "o.duckdb"), "--workers", "2", "--chunk", "1"], tmp_path, workers=2)
    assert not survivors, survivors


def test_a_killed_compare_with_workers_leaves_no_process_behind(tmp_path):
    survivors = _kill_coordinator_once_it_has_workers(
        ["compare", "seed-case", "--reps", "20000", "--workers", "2"], tmp_path, workers=2)
    assert not survivors, survivors


def test_a_killed_compare_to_precision_with_workers_leaves_no_process_behind(tmp_path):
    survivors = _kill_coordinator_once_it_has_workers(
        ["compare", "seed-case", "--reps", "2000", "--precision", "0.001", "--workers", "2"], tmp_path, workers=2)
    assert not survivors, survivors
