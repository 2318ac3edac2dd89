"""Speed and memory of the model, against a naive polling baseline (``make bench``).

Each section is a small function returning ``{figure name: Figure}``; ``main`` prints one table
per section. This is a report, not a test: it exits 0 whatever the figures. Targets (issue 2),
all for the bundled seed-case patient:

* >= 5,000 replications/s per core for single-stage-three-exposure;
* >= 10x the replications/s of the polling reference (``polling_reference.py``) on that procedure;
* < 1 GiB peak memory for 100,000 replications x 4 strategies on 2 processes;
* with parameter and centre uncertainty (issue 12): 4 x 1,000 in the dashboard within 1.5 s, and the
  nested probability-best analysis within 10 s (against a fixed-parameter run measured in the same run).

``--quick`` divides every count by 10; ``--skip-memory`` leaves out the memory run.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import platform
import pstats
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import simpy
from polling_reference import neutral_blood
from polling_reference import simulate as simulate_reference
from rich.console import Console
from rich.table import Table

import simulation
from simulation.model.plan import compile_plan
from simulation.model.sampling import draw
from simulation.runs.pools import SERVER_WORKERS as WORKERS  # the dashboard server's warm workers
from simulation.runs.runner import BLOCK

PATIENT = "seed-case"
PROCEDURE = "single-stage-three-exposure"
MEMORY_STRATEGIES = simulation.MAIN_STRATEGIES
SEED = 2018
TARGET_PER_CORE_PER_S = 5_000
TARGET_RATIO = 10.0
TARGET_PEAK_MIB = 1024.0
MEMORY_WORKERS = 2

# Full-run counts; --quick divides them by 10.
THROUGHPUT_REPLICATIONS = 5_000
REFERENCE_REPLICATIONS = 500
MEMORY_REPLICATIONS = 100_000
BEST_DRAWS, BEST_PATIENTS = 100, 30  # the nested probability-best analysis: parameter-and-centre draws x patients

# Run in a fresh interpreter so its peak RSS belongs to this run alone. Its workers start from a
# forkserver (``pools.process_pool``), so they are the forkserver's children, not this process's: the
# peak RSS (VmHWM) of every process the run started is read from /proc (Linux) before the pool closes.
MEMORY_CHILD = """
import json, os, resource, sys
import simulation
from simulation.runs.pools import process_pool


def started(pid):
    \"\"\"(pid, parent, peak RSS in KiB) of every live process below ``pid``.\"\"\"
    found = []
    for entry in filter(str.isdigit, os.listdir('/proc')):
        try:
            status = dict(line.split(':', 1) for line in open(f'/proc/{entry}/status').read().splitlines() if ':' in line)
        except OSError:
            continue
        if int(status['PPid']) == pid:
            found += [(int(entry), pid, int(status.get('VmHWM', '0 kB').split()[0]))] + started(int(entry))
    return found


replications, workers, strategies = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
with process_pool(workers) as pool:
    results = simulation.run(simulation.load_scenario('seed-case', strategies), replications, 2018, executor=pool)
    others = started(os.getpid())
print(json.dumps({
    'main_kib': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    'worker_kib': max(kib for _, parent, kib in others if parent != os.getpid()),  # forked by the forkserver
    'others_kib': sum(kib for _, _, kib in others),  # workers, forkserver, resource tracker
    'others': len(others),
    'records_bytes': int(results.records.memory_usage(deep=True).sum()),
    'records_rows': len(results.records),
    'stages_bytes': int(results.stages.memory_usage(deep=True).sum()),
    'stages_rows': len(results.stages),
}))
"""


@dataclass(frozen=True)
class Figure:
    value: float
    unit: str
    note: str = ""


def _seconds(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "BELOW TARGET"


def throughput(scenario: simulation.Scenario, replications: int) -> dict[str, Figure]:
    """Replications/s of every bundled strategy on 1 and on 2 processes."""
    figures = {}
    blocks = -(-replications // BLOCK)
    for strategy in scenario.strategies:
        name = strategy.name
        one = replications / _seconds(lambda name=name: simulation.run(scenario, replications, SEED, [name], workers=1))
        two = replications / _seconds(lambda name=name: simulation.run(scenario, replications, SEED, [name], workers=2))
        figures[f"{name}, 1 process"] = Figure(one, "replications/s")
        note = f"speed-up {two / one:.2f}x over 1 process"
        if blocks < 2:
            note += f"; a single block of {BLOCK}: nothing to share, pool start-up only"
        figures[f"{name}, 2 processes"] = Figure(two, "replications/s", note)
    four = list(MEMORY_STRATEGIES)
    together = replications * len(four) / _seconds(lambda: simulation.run(scenario, replications, SEED, four, workers=1))
    figures["the 4 main strategies together, 1 process"] = Figure(
        together, "operations/s", "a tumour-board comparison: strategies share each replication's draws"
    )
    return figures


def against_reference(scenario: simulation.Scenario, model_replications: int, reference_replications: int) -> dict[str, Figure]:
    """The model and the polling reference on the same procedure (cell salvage off, no coagulopathic
    speed-up: the bleeding the reference reproduces), one process each, back to back."""
    scenario = neutral_blood(scenario)
    model = model_replications / _seconds(
        lambda: simulation.run(scenario, model_replications, SEED, [PROCEDURE], workers=1)
    )
    reference = reference_replications / _seconds(
        lambda: simulate_reference(scenario, PROCEDURE, SEED, range(reference_replications))
    )
    ratio = model / reference
    # Both draw the same random inputs (``sampling.draw``: every stream of a block of
    # replications, then each phase's distribution); without that shared cost the comparison
    # is event-scheduled Hb against minute-by-minute polling.
    plan = compile_plan(scenario, PROCEDURE)
    draw_s = _seconds(lambda: draw(plan, SEED, range(model_replications))) / model_replications
    sim_ratio = (1 / reference - draw_s) / (1 / model - draw_s)
    return {
        f"model, {PROCEDURE}, 1 process ({model_replications:,} reps)": Figure(
            model, "replications/s/core",
            f"target >= {TARGET_PER_CORE_PER_S:,}: {_verdict(model >= TARGET_PER_CORE_PER_S)}",
        ),
        f"polling reference, 1 process ({reference_replications:,} reps)": Figure(reference, "replications/s"),
        "model / polling reference": Figure(ratio, "x", f"target >= {TARGET_RATIO:g}x: {_verdict(ratio >= TARGET_RATIO)}"),
        "drawing the random inputs (shared by both)": Figure(draw_s * 1e6, "us/replication"),
        "model / polling reference, draws excluded": Figure(sim_ratio, "x", "the simulation proper"),
        **simpy_floor(scenario, 1 / reference, draw_s),
    }


def _event_counts(scenario: simulation.Scenario, replications: int) -> tuple[float, float]:
    """SimPy events processed and process resumptions per replication of the model (profiler counts)."""
    profile = cProfile.Profile()
    profile.runcall(simulation.run, scenario, replications, SEED, [PROCEDURE])
    calls = {(Path(f).name, name): n for (f, _, name), (_, n, *_rest) in pstats.Stats(profile).stats.items()}
    return calls[("core.py", "step")] / replications, calls[("events.py", "_resume")] / replications


def _skeleton(resumes: int, callbacks: int) -> None:
    """Bare SimPy: one process resumed ``resumes`` times, ``callbacks`` timeouts with a no-op callback."""
    env = simpy.Environment()

    def process():
        for _ in range(resumes):
            yield env.timeout(1.0)

    for i in range(callbacks):
        env.timeout(i + 0.5).callbacks.append(lambda _event: None)
    env.run(until=env.process(process()))


def simpy_floor(scenario: simulation.Scenario, reference_s: float, draw_s: float) -> dict[str, Figure]:
    """What SimPy alone costs for the model's events (a floor under any SimPy process model of
    it), and what the ratio target leaves for everything else, given the reference's and the
    shared draws' seconds per replication."""
    steps, resumes = _event_counts(scenario, 1_000)
    n = 20_000
    floor_s = _seconds(lambda: [_skeleton(round(resumes), round(steps - resumes)) for _ in range(n)]) / n
    budget = reference_s / TARGET_RATIO - floor_s - draw_s
    return {
        "SimPy events per replication (model)": Figure(steps, "events", f"{resumes:.0f} of them resume the operation process"),
        "bare SimPy with those events": Figure(floor_s * 1e6, "us/replication", "no model logic: a floor"),
        f"left for model logic, outcomes and records at {TARGET_RATIO:g}x": Figure(
            budget * 1e6, "us/replication", f"reference / {TARGET_RATIO:g} - floor - shared draws"
        ),
    }


def peak_memory(replications: int) -> dict[str, Figure]:
    """Peak RSS of ``replications`` x 4 strategies on 2 processes, run in a fresh interpreter."""
    command = [sys.executable, "-c", MEMORY_CHILD, str(replications), str(MEMORY_WORKERS), *MEMORY_STRATEGIES]
    start = time.perf_counter()
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    wall_s = time.perf_counter() - start
    m = json.loads(out.splitlines()[-1])
    mib = 1024.0  # ru_maxrss is in KiB on Linux
    main_mib, worker_mib = m["main_kib"] / mib, m["worker_kib"] / mib
    bound_mib = main_mib + m["others_kib"] / mib
    total = replications * len(MEMORY_STRATEGIES)
    return {
        f"wall time, {replications:,} reps x {len(MEMORY_STRATEGIES)} strategies": Figure(
            wall_s, "s", f"{total / wall_s:,.0f} replications/s on {MEMORY_WORKERS} processes, start-up included"
        ),
        "peak RSS, main process": Figure(main_mib, "MiB"),
        "peak RSS, largest pool worker": Figure(worker_mib, "MiB"),
        f"peak RSS bound, main + the {m['others']} processes it started": Figure(
            bound_mib, "MiB",
            f"target < {TARGET_PEAK_MIB:,.0f} MiB: {'PASS' if bound_mib < TARGET_PEAK_MIB else 'ABOVE TARGET'}"
            f" ({MEMORY_WORKERS} workers, their forkserver, the resource tracker; an upper bound: shared pages"
            " count once per process)",
        ),
        f"records frame, {m['records_rows']:,} rows": Figure(m["records_bytes"] / mib**2, "MiB", "memory_usage(deep=True)"),
        f"stages frame, {m['stages_rows']:,} rows": Figure(m["stages_bytes"] / mib**2, "MiB", "memory_usage(deep=True)"),
    }


def warm_pool(scenario: simulation.Scenario):
    """The dashboard server's warm workers (``pools.SERVER_WORKERS`` started processes, as
    ``dashboard.state.warm_workers`` keeps them), having run a small job once; shut it down after use."""
    from simulation.runs.pools import started_pool

    pool, started = started_pool(WORKERS)
    for answer in started:
        answer.result()
    simulation.run(scenario, 100, SEED, list(MEMORY_STRATEGIES), executor=pool, block_size=50)
    return pool


def dashboard_timing(scenario: simulation.Scenario, counts: tuple[int, ...], pool) -> dict[str, Figure]:
    """What the dashboard does after *Run*: the run (on the server's two warm workers), the tables and
    the Summary chart (issue 3).

    Targets: 4 x 1,000 visible within 1.5 s; 4 x 10,000 within 10 s. The browser's own drawing
    is in ``browser_timing``.
    """
    from dashboard.compare.charts import bench as dashboard_bench

    figures = {}
    for reps in counts:
        t = dashboard_bench(scenario, list(MEMORY_STRATEGIES), reps, SEED, workers=(pool, WORKERS))
        target = 1.5 if reps <= 1_000 else 10.0
        figures[f"4 x {reps:,}: run"] = Figure(t["run_s"], "s")
        figures[f"4 x {reps:,}: tables and chart"] = Figure(t["charts_s"], "s")
        figures[f"4 x {reps:,}: total"] = Figure(
            t["total_s"], "s", f"target <= {target:g} s: {_verdict(t['total_s'] <= target)}"
        )
    return figures


def browser_timing(replications: int) -> dict[str, Figure]:
    """Click on *Run* to drawn charts in Chromium at 1280x720 (``bench_browser``), 4 strategies."""
    from bench_browser import CHROMIUM, click_to_charts, summary

    if not CHROMIUM.exists():
        return {"Chromium": Figure(float("nan"), "", f"{CHROMIUM} not found: section skipped")}
    timings = click_to_charts(replications)
    load = os.getloadavg()[0]
    found = {f"4 x {replications:,}: {name}": Figure(value, "s", note) for name, (value, note) in summary(timings).items()}
    found["load average during the runs (1 min)"] = Figure(load, "", f"{os.cpu_count()} CPUs; above it, runs wait for a core")
    return found


def _posterior(scenario: simulation.Scenario, folder: Path) -> tuple[simulation.RunUncertainty, str]:
    """The stored posterior's draws, or (none stored) a stand-in of the same shape: 1,000 draws from half
    the parameters' prior SDs and the review's centre SDs, so the cost is measured either way."""
    import numpy as np
    import pandas as pd

    from simulation.calibration.parameters import load_parameters
    from simulation.calibration.posterior import default_path, write_posterior

    if default_path().is_file():
        return simulation.uncertainty(scenario), "the stored posterior"
    params = load_parameters()[0]
    rng = np.random.default_rng(SEED)
    frame = {p.name: p.natural(rng.normal(0, p.prior.sd / 2, 1_000)) for p in params}
    frame |= {f"centre_sd_{a}": np.full(1_000, sd) for a, sd in (("time", 0.28), ("bleeding", 0.36), ("complication", 0.48))}
    info = {"targets_hash": "bench", "parameters": [
        {"name": p.name, "label": p.label, "transform": p.transform, "prior_mean": p.prior.mean, "prior_sd": p.prior.sd,
         "paths": list(p.paths)} for p in params]}
    path = write_posterior(pd.DataFrame(frame), folder / "posterior-bench.parquet", info)
    return simulation.uncertainty(scenario, path), "a stand-in posterior (none stored; same shape)"


def uncertainty_timing(scenario: simulation.Scenario, replications: int, draws: int, patients: int,
                       pool) -> dict[str, Figure]:
    """Parameter and centre uncertainty (issue 12): the cost of drawing them per replication against the same
    run with fixed parameters (the baseline, measured here), the honest summary, the dashboard after *Run*
    (target 1.5 s for 4 x 1,000), and the nested probability-best analysis (target 10 s)."""
    import tempfile

    from dashboard.compare.charts import bench as dashboard_bench

    four = list(MEMORY_STRATEGIES)
    with tempfile.TemporaryDirectory() as folder:
        drawn, what = _posterior(scenario, Path(folder))
        unc = drawn.uncertainty
        fixed = _seconds(lambda: simulation.run(scenario, replications, SEED, four))
        results = None

        def with_uncertainty():
            nonlocal results
            results = simulation.run(scenario, replications, SEED, four, uncertainty=unc, note=drawn.note)

        drawn_s = _seconds(with_uncertainty)
        honest_s = _seconds(lambda: simulation.honest_summary(results.records, unc))
        board = dashboard_bench(scenario, four, replications, SEED, drawn=drawn, workers=(pool, WORKERS))
        best_s = _seconds(lambda: simulation.probability_best(scenario, unc, SEED, draws, patients, four))
    target = 1.5 if replications <= 1_000 else 10.0
    return {
        f"4 x {replications:,}, fixed parameters (baseline)": Figure(fixed, "s"),
        f"4 x {replications:,}, parameters and centre drawn": Figure(drawn_s, "s", f"{drawn_s / fixed:.2f}x the baseline; {what}"),
        "honest summary (variance split, every outcome)": Figure(honest_s, "s"),
        f"dashboard after Run, 4 x {replications:,} with uncertainty": Figure(
            board["total_s"], "s", f"target <= {target:g} s: {_verdict(board['total_s'] <= target)}"),
        f"probability best: {draws} draws x {patients} patients x 4 plans": Figure(
            best_s, "s", f"{best_s / fixed:.2f}x the baseline; target <= 10 s: {_verdict(best_s <= 10.0)}"),
    }


def _revision() -> str:
    here = Path(__file__).resolve().parent
    git = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=here, capture_output=True, text=True)
    return git.stdout.strip() or "unknown"


def _table(title: str, figures: dict[str, Figure]) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_column("unit")
    table.add_column("note")
    for name, f in figures.items():
        table.add_row(name, f"{f.value:,.2f}" if f.value < 100 else f"{f.value:,.0f}", f.unit, f.note)
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="divide every replication count by 10")
    parser.add_argument("--skip-memory", action="store_true", help="leave out the memory run")
    args = parser.parse_args(argv)
    scale = 10 if args.quick else 1
    n_model, n_reference, n_memory = (
        THROUGHPUT_REPLICATIONS // scale, REFERENCE_REPLICATIONS // scale, MEMORY_REPLICATIONS // scale
    )

    console = Console(width=max(Console().width, 132))  # no truncated names when piped
    console.print(
        f"ResectSim bench, {datetime.now().isoformat(timespec='seconds')}, revision {_revision()}, "
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs, load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}, patient {PATIENT}, seed {SEED}"
        + (", QUICK (counts / 10)" if args.quick else "")
    )
    scenario = simulation.load_scenario(PATIENT)
    simulation.run(scenario, 50, SEED, [PROCEDURE])  # warm-up: lazy imports, caches
    simulate_reference(scenario, PROCEDURE, SEED, range(5))

    pool = warm_pool(scenario)
    sections: list[tuple[str, Callable[[], dict[str, Figure]]]] = [
        (f"Throughput, {n_model:,} replications per strategy", lambda: throughput(scenario, n_model)),
        (f"Model against the polling reference ({PROCEDURE})", lambda: against_reference(scenario, n_model, n_reference)),
        ("Dashboard: after a click on Run (two warm workers)",
         lambda: dashboard_timing(scenario, (1_000 // scale, 10_000 // scale), pool)),
        ("Dashboard in Chromium, 1280x720: click on Run to drawn charts", lambda: browser_timing(1_000 // scale)),
        ("Parameter and centre uncertainty", lambda: uncertainty_timing(
            scenario, 1_000 // scale, BEST_DRAWS // scale, BEST_PATIENTS, pool)),
    ]
    if not args.skip_memory:
        sections.append((
            f"Peak memory, {n_memory:,} replications x {len(MEMORY_STRATEGIES)} strategies, {MEMORY_WORKERS} processes",
            lambda: peak_memory(n_memory),
        ))
    with pool:
        for title, section in sections:
            console.print(_table(title, section()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
