"""Nightly-size fuzz run (``make fuzz``): hostile files through every command, and a tally.

    python -m tests.fuzz.tally [--files N] [--seed S] [--jobs J] [--timeout T] [--out DIR]
    python tests/fuzz/tally.py ...                      (the same, as a script)

Writes the files to DIR/files (default tests/artifacts/fuzz), runs ``check``, ``compare`` and
the dashboard loader on each (``test_hostile_files.run_command``: prlimit, timeout, process
group killed), at most J commands at a time, then prints the tally (files, commands, clean
refusals, accepted, tracebacks, hangs, memory kills, ...) and the first failures of each
category, and writes DIR/tally.md and DIR/runs.jsonl. Exit status 1 if any command failed.
Defaults: FUZZ_FILES (400), FUZZ_SEED (14), FUZZ_JOBS (2), FUZZ_TIMEOUT (30 CPU seconds per command).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # hostile, test_hostile_files: as pytest imports them

import test_hostile_files as harness  # noqa: E402
from hostile import REPO, hostile_files, parse_name  # noqa: E402

ORDER = ("refused", "accepted", *harness.FAILURES)
LABELS = {
    "refused": "clean refusals", "accepted": "accepted", "traceback": "tracebacks", "hang": "hangs",
    "memory": "memory kills", "crash": "crashes (signal)", "unclean-refusal": "unclean refusals",
    "bad-exit": "other exit codes", "nonsense-accepted": "nonsense accepted", "wrongly-refused": "valid files refused",
    "code-execution": "YAML tags executed",
}
FIRST = 5  # failures listed per category


def tally_text(runs: list[harness.Run], files: int, seconds: float, args) -> str:
    by = Counter(r.category for r in runs)
    by_cmd = {c: Counter(r.category for r in runs if r.command == c) for c in ("check", "compare", "dashboard")}
    failed_files = {r.file for r in runs if r.category in harness.FAILURES}
    lines = [
        f"# Fuzz tally: {files} files, {len(runs)} commands, seed {args.seed}, "
        f"{args.timeout:g} s CPU limit per command, {harness.MEMORY_LIMIT >> 20} MB address-space limit, "
        f"{harness.RSS_BUDGET_KB // 1024} MB RSS budget, at most {harness.MAX_ERROR_LINES} error line(s) per refusal; "
        f"{seconds / 60:.1f} min",
        "",
        f"- files: {files} ({files - len(failed_files)} with no failing command)",
        f"- commands: {len(runs)}",
    ]
    for cat in ORDER:
        lines.append(f"- {LABELS[cat]}: {by.get(cat, 0)}")
    multi = sum(1 for r in runs if r.category == "unclean-refusal" and r.reason.startswith("multi-line"))
    if multi:
        lines.append(f"  (of the unclean refusals, {multi} are several well-formed `error:` lines, one per problem)")
    lines += ["", "| category | check | compare | dashboard | total |", "|---|---:|---:|---:|---:|"]
    for cat in ORDER:
        if by.get(cat):
            lines.append(f"| {LABELS[cat]} | " + " | ".join(str(by_cmd[c].get(cat, 0)) for c in by_cmd)
                         + f" | {by[cat]} |")
    kinds = Counter((parse_name(r.file)[0], r.category) for r in runs)
    lines += ["", "By file kind: " + "; ".join(
        f"{k}: " + ", ".join(f"{LABELS[c]} {kinds[(k, c)]}" for c in ORDER if kinds.get((k, c)))
        for k in ("patient", "strategy"))]
    slowest = max(runs, key=lambda r: r.cpu_seconds, default=None)
    biggest = max(runs, key=lambda r: r.peak_rss_kb, default=None)
    if slowest and biggest:
        lines += [f"Slowest command: {slowest.cpu_seconds:.1f} s CPU ({slowest.command} {Path(slowest.file).name}); "
                  f"largest peak RSS: {biggest.peak_rss_kb // 1024} MB ({biggest.command} {Path(biggest.file).name})."]
    lines += ["", "## First failures per category", ""]
    for cat in harness.FAILURES:
        hits = [r for r in runs if r.category == cat]
        if not hits:
            continue
        lines.append(f"### {LABELS[cat]} ({len(hits)})")
        for r in hits[:FIRST]:
            lines.append(f"- `{r.command} {Path(r.file).name}`: exit {r.returncode}, {r.seconds:.1f} s "
                         f"({r.cpu_seconds:.1f} s CPU), "
                         f"peak {r.peak_rss_kb // 1024} MB; {r.reason or r.first_line()}"[:400])
        lines.append("")
    return "\n".join(lines)


def _terminated(*_) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # once is enough
    harness.kill_active()
    sys.exit(143)


def _run_all(work, jobs: int, args, runs: list, start: float) -> None:
    pool = ThreadPoolExecutor(max_workers=jobs)
    try:
        futures = [pool.submit(harness.run_command, path, name, cmd, args.timeout) for path, name, cmd in work]
        for done, fut in enumerate(as_completed(futures), 1):
            runs.append(fut.result())
            if done % 50 == 0 or done == len(futures):
                c = Counter(r.category for r in runs)
                print(f"  {done}/{len(futures)} commands, {time.monotonic() - start:.0f} s: "
                      + ", ".join(f"{k} {v}" for k, v in sorted(c.items())), file=sys.stderr)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--files", type=int, default=int(os.environ.get("FUZZ_FILES", "400")))
    p.add_argument("--seed", type=int, default=int(os.environ.get("FUZZ_SEED", "14")))
    p.add_argument("--jobs", type=int, default=int(os.environ.get("FUZZ_JOBS", "2")))
    p.add_argument("--timeout", type=float, default=float(os.environ.get("FUZZ_TIMEOUT", "30")))
    p.add_argument("--out", type=Path, default=REPO / "tests" / "artifacts" / "fuzz")
    args = p.parse_args(argv)
    if harness.PRLIMIT is None:
        print("error: prlimit (util-linux) not found; it bounds the memory of every command", file=sys.stderr)
        return 2
    jobs = max(1, min(args.jobs, 4))  # a few processes at most
    folder = args.out / "files"
    shutil.rmtree(folder, ignore_errors=True)
    paths = hostile_files(folder, args.files, args.seed)
    work = [(path, name, cmd) for path in paths for name, cmd in harness.commands(path)]
    print(f"{len(paths)} files, {len(work)} commands, {jobs} at a time, {args.timeout:g} s CPU limit", file=sys.stderr)
    start = time.monotonic()
    runs: list[harness.Run] = []
    signal.signal(signal.SIGTERM, _terminated)
    try:
        _run_all(work, jobs, args, runs, start)
    finally:  # interrupted or killed by SIGTERM: no command outlives the tally
        harness.kill_active()
    order = {(str(path), name): i for i, (path, name, _) in enumerate(work)}

    runs.sort(key=lambda r: order[(r.file, r.command)])
    text = tally_text(runs, len(paths), time.monotonic() - start, args)
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "tally.md").write_text(text + "\n")
    with open(args.out / "runs.jsonl", "w") as fh:
        for r in runs:
            fh.write(json.dumps({
                "file": Path(r.file).name, "command": r.command, "category": r.category, "reason": r.reason,
                "exit": r.returncode, "seconds": round(r.seconds, 2), "cpu_seconds": round(r.cpu_seconds, 2),
                "peak_rss_mb": r.peak_rss_kb // 1024,
                "first_line": r.first_line(), "last_line": r.last_line(),
            }) + "\n")
    return 1 if any(r.category in harness.FAILURES for r in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
