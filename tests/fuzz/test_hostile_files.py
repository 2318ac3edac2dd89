"""Issue 14: hostile and absurd scenario files never hang, exhaust memory or end in a traceback.

Every file from ``hostile.hostile_files`` goes, each in its own subprocess under ``prlimit
--as`` (address space) and a time limit, through

* ``resectsim check FILE``;
* ``resectsim compare FILE --reps 20`` (a patient file) or
  ``resectsim compare seed-case --strategy FILE --reps 20`` (a strategy file);
* the dashboard's upload / paste loader (``DASHBOARD_LOADER`` below), called by a small driver.

Each run must exit 0 (accepted) or 2 (refused); a refusal is ``error:`` line(s) on stderr (one
by default); no ``Traceback`` anywhere; no kill by the time limit (``FUZZ_TIMEOUT`` CPU seconds,
or five times as many wall-clock seconds) or the memory limit; peak RSS under the budget. Files
the generator marks ``refuse`` (nonsense) must not be accepted, and files marked ``accept`` (the
bundled files, a two-level ``extends``) must not be refused.

Size: ``FUZZ_FILES`` (default 40) files; ``make fuzz`` runs the nightly size through
``tests/fuzz/tally.py``, which uses the functions below. Other knobs: ``FUZZ_SEED``,
``FUZZ_TIMEOUT`` (CPU s per command), ``FUZZ_MEMORY_MB`` (address-space limit), ``FUZZ_RSS_MB``
(peak-RSS budget), ``FUZZ_MAX_ERROR_LINES`` (error lines allowed in one refusal).

Only two seams into the project: the installed ``resectsim`` console script, and the one import
of the dashboard loader named in ``DASHBOARD_LOADER``.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hostile import EXECUTED_MARKER, REPO, hostile_specs, parse_name, write_one

# ================================================================================================
# THE ONE SEAM INTO THE DASHBOARD: the function its upload box and paste box parse YAML with.
# "module:function", imported only inside the driver subprocess. Update here after a restructure.
# Called as FUNCTION(data: bytes, file_name: str, kind: "patient" | "strategy"); the result has
# ``.ok`` (bool) and ``.issues`` (each shown to the user with str()).
DASHBOARD_LOADER = "dashboard.uploads:read_upload"
# ================================================================================================

DRIVER = """
import importlib, sys
target, path, kind = sys.argv[1:4]
module, _, name = target.partition(":")
load = getattr(importlib.import_module(module), name)
with open(path, "rb") as fh:
    data = fh.read()
result = load(data, path.rsplit("/", 1)[-1], kind)
if result.ok:
    print("ok:", path)
    sys.exit(0)
for issue in result.issues:
    print("error:", str(issue), file=sys.stderr)  # what the page shows, one message per issue
sys.exit(2)
"""

FILES = int(os.environ.get("FUZZ_FILES", "40"))
SEED = int(os.environ.get("FUZZ_SEED", "14"))
TIMEOUT_S = float(os.environ.get("FUZZ_TIMEOUT", "30"))  # CPU seconds per command
WALL_FACTOR = 5  # ... and at most this many times as many wall-clock seconds
MEMORY_LIMIT = int(float(os.environ.get("FUZZ_MEMORY_MB", "1536")) * 2**20)  # prlimit --as, bytes
RSS_BUDGET_KB = int(float(os.environ.get("FUZZ_RSS_MB", "768")) * 1024)  # peak resident set, kB
MAX_ERROR_LINES = int(os.environ.get("FUZZ_MAX_ERROR_LINES", "20"))  # one clean error: line per problem
MAX_LINE_CHARS = 1000
REPS = "20"
PRLIMIT = shutil.which("prlimit")
_SCRIPT = Path(sys.executable).with_name("resectsim")  # the console script of this environment
RESECTSIM = [str(_SCRIPT) if _SCRIPT.exists() else shutil.which("resectsim") or "resectsim"]
ENV = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "PYTHONPATH": str(REPO), "PYTHONDONTWRITEBYTECODE": "1"}

# Outcome categories; the first two are fine, every other one is a failure.
OK = ("refused", "accepted")
FAILURES = ("traceback", "hang", "memory", "crash", "unclean-refusal", "bad-exit", "nonsense-accepted",
            "wrongly-refused", "code-execution")


@dataclass
class Run:
    """One command on one file and what came of it."""

    file: str
    command: str  # check, compare or dashboard
    argv: list[str]
    returncode: int | None
    seconds: float  # wall clock
    cpu_seconds: float
    peak_rss_kb: int
    timed_out: bool
    stdout: str
    stderr: str
    category: str = ""
    reason: str = ""
    extra: dict = field(default_factory=dict)

    def first_line(self) -> str:
        text = (self.stderr.strip() or self.stdout.strip()).splitlines()
        return (text[0] if text else "")[:200]

    def last_line(self) -> str:
        text = (self.stderr.strip() or self.stdout.strip()).splitlines()
        return (text[-1] if text else "")[:200]

    def describe(self) -> str:
        return (f"{self.category}: {self.command} {Path(self.file).name}: exit {self.returncode}, "
                f"{self.seconds:.1f} s ({self.cpu_seconds:.1f} s CPU), peak {self.peak_rss_kb // 1024} MB"
                f"{', ' + self.reason if self.reason else ''}"
                f" | {self.first_line()!r} ... {self.last_line()!r}")


def _head_tail(fh, head: int = 1 << 20, tail: int = 1 << 16) -> str:
    fh.seek(0, os.SEEK_END)
    size = fh.tell()
    fh.seek(0)
    data = fh.read(head)
    if size > head:
        fh.seek(max(head, size - tail))
        data += b"\n[...]\n" + fh.read()
    return data.decode("utf-8", errors="replace")


ACTIVE: set[int] = set()  # process groups of the commands running now (tally.py kills them on exit)


def kill_active() -> None:
    for pgid in list(ACTIVE):
        try:
            os.killpg(pgid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _cpu_seconds(pid: int) -> float:
    """CPU seconds used so far by ``pid`` (and its reaped children), from /proc; 0 if unreadable."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
        return sum(int(x) for x in fields[11:15]) / _TICKS  # utime, stime, cutime, cstime
    except (OSError, IndexError, ValueError):
        return 0.0


_TICKS = os.sysconf("SC_CLK_TCK")


def _peak_rss_kb(pid: int) -> int:
    """The high-water mark of ``pid``'s resident memory since its exec (VmHWM), kB; 0 if gone.

    Not ``wait4``'s ``ru_maxrss``: that also counts the pages the child shared with this (possibly
    large) test process between fork and exec."""
    try:
        with open(f"/proc/{pid}/status", "rb") as fh:
            line = next(ln for ln in fh if ln.startswith(b"VmHWM:"))
        return int(line.split()[1])
    except (OSError, StopIteration, ValueError, IndexError):
        return 0


def run_limited(argv: list[str], cwd: Path, timeout: float = TIMEOUT_S) -> tuple:
    """``argv`` under ``prlimit --as`` in its own process group; the whole group is killed once the
    command has used ``timeout`` CPU seconds (a measure a busy machine does not inflate) or
    ``WALL_FACTOR * timeout`` wall-clock seconds (a command that sleeps or waits forever).
    Returns (exit code or -signal, wall s, CPU s, peak RSS kB, timed out, stdout, stderr)."""
    # --cpu: a backstop that ends a spinning command even if this process dies before killing it
    cmd = [PRLIMIT, f"--as={MEMORY_LIMIT}", f"--cpu={int(2 * timeout) + 10}", "--core=0", *argv]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.monotonic()
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=err, cwd=cwd, env=ENV,
                                start_new_session=True)
        ACTIVE.add(proc.pid)
        timed_out, peak_kb = False, 0
        while True:
            peak_kb = max(peak_kb, _peak_rss_kb(proc.pid))
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if _cpu_seconds(proc.pid) > timeout or time.monotonic() - start > WALL_FACTOR * timeout:
                timed_out = True
                os.killpg(proc.pid, signal.SIGKILL)
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.05)
        seconds = time.monotonic() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        try:  # anything the command left behind in its group (forkserver, workers)
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        ACTIVE.discard(proc.pid)
        cpu = usage.ru_utime + usage.ru_stime
        return proc.returncode, seconds, cpu, peak_kb, timed_out, _head_tail(out), _head_tail(err)


def classify(run: Run, expect: str, timeout: float = TIMEOUT_S) -> None:
    """Set ``run.category`` (and ``run.reason``) from what the command did."""
    text = run.stdout + run.stderr
    rc = run.returncode
    if EXECUTED_MARKER in run.stdout:
        run.category, run.reason = "code-execution", "a YAML python tag was executed"
    elif run.timed_out:  # a run killed while its memory grew past half the budget (~2x a normal run) is a memory kill
        over = run.peak_rss_kb > RSS_BUDGET_KB // 2
        run.category = "memory" if over else "hang"
        run.reason = (f"killed after {run.cpu_seconds:.0f} s CPU / {run.seconds:.0f} s wall (limit {timeout:g} s CPU)"
                      + (f", memory growing ({run.peak_rss_kb >> 10} MB)" if over else ""))
    elif any(s in text for s in ("MemoryError", "Cannot allocate memory", "bad_alloc", "out of memory")):
        run.category, run.reason = "memory", f"allocation failed under the {MEMORY_LIMIT >> 20} MB limit"
    elif rc is not None and rc < 0:
        run.category, run.reason = "crash", f"killed by {signal.Signals(-rc).name}"
    elif run.peak_rss_kb > RSS_BUDGET_KB:
        run.category, run.reason = "memory", f"peak RSS over the {RSS_BUDGET_KB // 1024} MB budget"
    elif "Traceback" in text:
        run.category = "traceback"
        lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith((" ", "│", "╰", "╭"))]
        run.reason = lines[-1][:200] if lines else ""
    elif rc == 0:
        run.category = "nonsense-accepted" if expect == "refuse" else "accepted"
    elif rc == 2 and expect == "accept":
        run.category, run.reason = "wrongly-refused", run.first_line()[:160]
    elif rc == 2:
        lines = [ln for ln in run.stderr.splitlines() if ln.strip()]
        bad = [ln for ln in lines if not ln.startswith("error:")]
        if not lines:
            run.category, run.reason = "unclean-refusal", "exit 2 with nothing on stderr"
        elif bad:
            run.category, run.reason = "unclean-refusal", f"not an error: line: {bad[0][:120]!r}"
        elif max(len(ln) for ln in lines) > MAX_LINE_CHARS:
            run.category, run.reason = "unclean-refusal", f"an error line of {max(map(len, lines))} characters"
        elif len(lines) > MAX_ERROR_LINES:
            run.category, run.reason = "unclean-refusal", f"multi-line: {len(lines)} error: lines"
        else:
            run.category = "refused"
    else:
        run.category, run.reason = "bad-exit", f"exit code {rc}"


def commands(path: Path) -> list[tuple[str, list[str]]]:
    """(name, argv) of every command a file goes through."""
    kind, _, _ = parse_name(path)
    name = path.name
    compare = ([*RESECTSIM, "compare", name, "--reps", REPS] if kind == "patient"
               else [*RESECTSIM, "compare", "seed-case", "--strategy", name, "--reps", REPS])
    return [
        ("check", [*RESECTSIM, "check", name]),
        ("dashboard", [sys.executable, "-c", DRIVER, DASHBOARD_LOADER, str(path), kind]),
        ("compare", compare),
    ]


def run_command(path: Path, command: str, argv: list[str], timeout: float = TIMEOUT_S) -> Run:
    _, expect, _ = parse_name(path)
    rc, seconds, cpu, rss, timed_out, out, err = run_limited(argv, path.parent, timeout)
    run = Run(str(path), command, argv, rc, seconds, cpu, rss, timed_out, out, err)
    classify(run, expect, timeout)
    return run


def run_file(path: Path, timeout: float = TIMEOUT_S) -> list[Run]:
    return [run_command(path, name, argv, timeout) for name, argv in commands(path)]


# --- the test ---------------------------------------------------------------------------------------
SPECS = hostile_specs(FILES, SEED)


@pytest.mark.skipif(PRLIMIT is None, reason="needs prlimit (util-linux) to bound memory")
@pytest.mark.parametrize("index", range(len(SPECS)), ids=[f"{i:03d}-{h.kind}-{h.slug}" for i, h in enumerate(SPECS)])
def test_hostile_file(index, tmp_path):
    path = write_one(tmp_path, index, SPECS[index])
    for name, argv in commands(path):  # stops at the first failing command (make fuzz runs them all)
        run = run_command(path, name, argv)
        assert run.category in OK, run.describe()


def test_generator_is_deterministic_and_varied(tmp_path):
    """Same seed, same bytes; the named attack kinds the issue lists are all there."""
    from hostile import named_attacks

    again = hostile_specs(FILES, SEED)
    assert [h.data for h in again] == [h.data for h in SPECS]
    cats = {h.category for h in named_attacks()}
    for needed in ("alias-bomb", "deep-nesting", "huge-number", "bool-for-number", "duplicate-keys", "binary",
                   "encoding", "yaml-tags", "path-names", "empty", "huge-file", "many-stages", "extends", "implants",
                   "absurd-patient", "control"):
        assert needed in cats
    paths = [write_one(tmp_path, i, h) for i, h in enumerate(SPECS)]
    assert len({p.name for p in paths}) == len(SPECS)
    assert {parse_name(p)[0] for p in paths} == {"patient", "strategy"}
