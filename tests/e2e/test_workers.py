"""The server's warm worker processes (``dashboard.state.warm_workers``), as a user meets them: a run
on them shows its result, and a worker that dies (killed, out of memory) costs the user nothing -
the run is done in the server and new workers start for the next one."""

import os
import signal
import time
from pathlib import Path

import pytest
from e2e_helpers import ARTIFACTS, no_problems, open_with_sidebar, settle

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]


def _processes() -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, command line) of every process (Linux /proc)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue  # ended meanwhile
            found[int(entry.name)] = (int(stat.rsplit(")", 1)[1].split()[1]), cmdline)
    return found


def _pool_workers(port: str) -> set[int]:
    """The worker processes of the dashboard server on ``port``: children of its forkserver."""
    procs = _processes()
    server = {pid for pid, (_, cmd) in procs.items() if "streamlit run" in cmd and f"--server.port {port}" in cmd}
    forkservers = {pid for pid, (parent, cmd) in procs.items() if parent in server and "forkserver" in cmd}
    return {pid for pid, (parent, _) in procs.items() if parent in forkservers}


def _wait_for_workers(port: str, count: int, other_than: set[int] = frozenset(), timeout_s: float = 60) -> set[int]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        workers = _pool_workers(port) - other_than
        if len(workers) >= count:
            return workers
        time.sleep(0.3)
    raise AssertionError(f"{count} worker processes did not start within {timeout_s} s (found {_pool_workers(port)})")


def _run_with_seed(tab, seed: int) -> None:
    box = tab.get_by_role("spinbutton", name="Seed")
    box.fill(str(seed))
    box.press("Enter")
    tab.get_by_text("Out of date").first.wait_for()
    settle(tab)
    tab.get_by_role("button", name="Run", exact=True).click()
    tab.get_by_text(f"seed {seed} · 1,000 simulated operations per plan").first.wait_for()
    settle(tab)
    assert tab.get_by_text("Out of date").count() == 0
    no_problems(tab)


def test_a_killed_worker_costs_the_user_nothing(browser, tmp_path):
    from dashboard.served import served

    with served(ARTIFACTS / "streamlit-workers.log", {"RESECTSIM_CASES": str(tmp_path)}) as url:
        port = url.rsplit(":", 1)[1]
        tab = open_with_sidebar(browser, url)
        workers = _wait_for_workers(port, 2)
        _run_with_seed(tab, 41)  # 4 plans x 1,000 on the warm workers

        os.kill(min(workers), signal.SIGKILL)
        _run_with_seed(tab, 42)  # the pool is broken: this run is done in the server
        _wait_for_workers(port, 2, other_than=workers)  # and new workers have started for the next
        _run_with_seed(tab, 43)
        tab.close()
