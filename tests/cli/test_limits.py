"""Caps on work: workers at most the cores (unless asked), records beyond the memory budget refused
with the way to get them, and ``run --out`` streaming records to disk in bounded memory (real
processes under ``prlimit`` and ``timeout``, so a regression cannot exhaust the machine)."""

import os
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
from helpers import CLI_ENV, COMMAND, invoke

from simulation import load_scenario
from simulation.runs.limits import cores
from simulation.runs.runner import iter_blocks, run

ABUSE = ["prlimit", "--as=4000000000", "timeout", "-s", "KILL", "120"]  # 4 GB of address space, 2 minutes at most


def _abuse(*args, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([*ABUSE, *COMMAND, *map(str, args)], capture_output=True, text=True, timeout=150,
                          env={**os.environ, **CLI_ENV, **kw.pop("env", {})}, **kw)


def _one_clean_error(result, *words):
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and "Traceback" not in result.stderr, result.stderr
    for word in words:
        assert word in lines[0], lines[0]


def test_a_thousand_workers_are_refused_before_any_process_starts(tmp_path):
    started = time.monotonic()
    for command in (["compare", "seed-case"], ["run", "seed-case", "-s", "posterior-only", "--out", tmp_path / "x.csv"]):
        _one_clean_error(_abuse(*command, "--workers", 1000), "--workers", f"at most {cores()}", "--allow-oversubscribe")
    assert time.monotonic() - started < 120
    assert not list(tmp_path.iterdir())


def test_oversubscribing_is_allowed_when_asked_and_changes_nothing():
    workers = cores() + 1
    asked = invoke("compare", "seed-case", "-s", "posterior-only", "--reps", 30, "--workers", workers, "--allow-oversubscribe", "--json")
    serial = invoke("compare", "seed-case", "-s", "posterior-only", "--reps", 30, "--json")
    assert asked.exit_code == 0, asked.stderr
    assert asked.stdout == serial.stdout


def test_compare_refuses_records_beyond_the_memory_budget_and_says_how_to_get_them():
    result = _abuse("compare", "seed-case", "--reps", 100_000_000)
    _one_clean_error(result, "100,000,000 replications x 4 strategies", "memory", "resectsim run", "--out")


def test_the_budget_is_a_setting(monkeypatch):
    monkeypatch.setenv("RESECTSIM_MEMORY_MB", "1")  # 1 MB: about a thousand operations
    refused = invoke("compare", "seed-case", "-s", "posterior-only", "--reps", 2000)
    assert refused.exit_code == 2 and "over the budget of 1 MB" in refused.stderr
    assert invoke("compare", "seed-case", "-s", "posterior-only", "--reps", 200).exit_code == 0
    monkeypatch.setenv("RESECTSIM_MEMORY_MB", "lots")
    bad = invoke("compare", "seed-case", "-s", "posterior-only", "--reps", 200)
    assert bad.exit_code == 2 and "RESECTSIM_MEMORY_MB" in bad.stderr and "Traceback" not in bad.stderr


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def test_run_out_streams_a_hundred_million_replications_to_disk_in_bounded_memory(tmp_path):
    """Records reach the (temporary) file while the run goes on, and memory stays flat."""
    out = tmp_path / "huge.parquet"
    proc = subprocess.Popen([*ABUSE, *COMMAND, "run", "seed-case", "-s", "posterior-only", "--reps", "100000000",
                             "--out", str(out)], env={**os.environ, **CLI_ENV}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline, temporary = time.monotonic() + 100, []
        while not temporary and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
            temporary = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
        assert temporary, "the run never started writing"
        python = int(subprocess.run(["pgrep", "-n", "-s", str(proc.pid), "-f", "run seed-case"], capture_output=True,
                                    text=True).stdout.split()[0])
        time.sleep(4)
        size_1, rss_1 = temporary[0].stat().st_size, _rss_kb(python)
        time.sleep(8)
        size_2, rss_2 = temporary[0].stat().st_size, _rss_kb(python)
        assert proc.poll() is None  # still running: nothing refused, nothing killed
        assert size_2 > size_1 > 0  # blocks of records are on disk as they come
        assert rss_2 - rss_1 < 20_000, (rss_1, rss_2)  # kB: flat, not growing with the replications
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    assert not out.exists()  # an interrupted run never leaves a partial file under the target's name


def test_blocks_in_flight_are_bounded_and_the_result_is_unchanged():
    scenario = load_scenario("seed-case", ["posterior-only"])

    class Counting(ThreadPoolExecutor):
        submitted = 0

        def submit(self, *args, **kw):
            Counting.submitted += 1
            return super().submit(*args, **kw)

    in_flight = []
    with Counting(max_workers=2) as pool:
        parts = []
        for yielded, (_, part) in enumerate(iter_blocks(scenario, ["posterior-only"], 3, range(230), pool, block_size=10, window=3), 1):
            in_flight.append(Counting.submitted - yielded)
            parts.append(part[0])
    assert max(in_flight) <= 2 and Counting.submitted == 23  # the window (3) minus the block just yielded
    expected = run(scenario, 230, 3).records
    pd.testing.assert_frame_equal(pd.concat(parts, ignore_index=True), expected, check_categorical=False)
