"""``resectsim sweep ...``: run, inspect, analyse and export parameter sweeps.

    resectsim sweep check SPEC [--workers N] [--force]  validate a spec, show its design and its cost
    resectsim sweep run SPEC [--dask local | --scheduler ADDR] [--workers N] [--db FILE] [--force]
    resectsim sweep list | status ID | delete ID
    resectsim sweep analyze ID [--tornado|--two-way|--sobol|--morris|--psa|--table] [--out DIR]
    resectsim sweep export ID --parquet DIR

SPEC is a file or the name of a bundled sweep (``scenarios/sweeps/*.yaml``). Bad input (a spec
error, an unknown sweep, a changed spec under a stored name, an analysis that does not fit the
design, a sweep over the work limits of ``sweeps.budget``, a database or folder that cannot be
written: read-only, full, locked by another run) prints one line per problem and exits with status 2.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from ..runs.files import write_table
from ..runs.limits import LimitError, cores
from ..scenario.errors import ScenarioError
from ..sweeps.store import DEFAULT_DB, Store, StoreError
from .common import fail

sweep_app = typer.Typer(help="Parameter sweeps and sensitivity analysis.", no_args_is_help=True, add_completion=False)
out = Console()
err = Console(stderr=True)

DB_OPTION = typer.Option(DEFAULT_DB, "--db", help="The sweep database (DuckDB file).")
ANALYSES = ("tornado", "two-way", "sobol", "morris", "psa", "table")


@contextmanager
def _user_errors():
    """Input and file-system problems -> one line each on stderr, exit status 2 (no traceback)."""
    import duckdb

    from ..sweeps.backends import BackendError
    from ..sweeps.sensitivity import AnalysisError

    try:
        yield
    except (ScenarioError, StoreError, AnalysisError, BackendError, LimitError) as exc:
        raise fail(str(exc).splitlines()) from None
    except OSError as exc:  # a read-only folder, a full disk, a path through a file
        where = f"{exc.filename}: " if exc.filename else ""
        raise fail([f"{where}cannot write results: {exc.strerror or exc}"]) from None
    except duckdb.IOException as exc:  # DuckDB's own file errors (full disk while writing)
        raise fail([f"the sweep database: {str(exc).splitlines()[0]}"]) from None


def _affordable(plan, workers: int, force: bool) -> None:
    """Print the sweep's estimated cost; exit 2 if it is over the limits (``sweeps.budget``)."""
    from ..sweeps.budget import estimate

    with _user_errors():
        cost = estimate(plan, workers)
        for line in cost.lines():
            out.print(f"  {line}", highlight=False)
        problems = cost.problems(force)
    if problems:
        raise fail(problems)


def _describe_plan(plan) -> None:
    spec = plan.spec
    out.print(f"[bold]{spec.name}[/bold]: {spec.design} design, {len(plan.points)} points x "
              f"{len(plan.strategies)} strategies x {spec.replications} replications = "
              f"{len(plan.points) * len(plan.strategies) * spec.replications:,} simulated operations", highlight=False)
    table = Table("parameter", "varies", "low", "base", "high")
    table.add_column("path (resolved)", overflow="fold")
    for p in plan.parameters:
        where = p.target.canonical + (f"  ({p.target.places} places)" if p.target.places > 1 else "")
        how = {"scale": "x multiplier", "probability": "probability", "value": "value", "set": "number"}[p.target.mode.value]
        table.add_row(p.label, how, f"{p.low:.4g}", f"{p.base:.4g}", f"{p.high:.4g}", where)
    out.print(table)
    out.print(f"strategies: {', '.join(plan.strategies)}", highlight=False)
    out.print(f"outcomes: {', '.join(spec.outcomes)}; seed {spec.seed}"
              + ("; common random numbers" if spec.common_random_numbers else ""), highlight=False)


FORCE_OPTION = typer.Option(False, "--force", help="Run a sweep over the limit of simulated operations for one sweep.")


def choose_backend(dask: str | None, scheduler: str | None, workers: int | None, allow_oversubscribe: bool = False):
    """The backend the --dask / --scheduler / --workers options ask for (not started), or exit 2."""
    from ..sweeps.backends import BackendError, DaskCluster, ProcessPool

    if dask is not None and dask != "local":
        raise fail([f"--dask takes 'local' (got {dask!r}); to use a running cluster give --scheduler tcp://HOST:PORT"])
    if dask and scheduler:
        raise fail(["give --dask local or --scheduler ADDR, not both"])
    if scheduler and workers:
        raise fail(["--workers applies to the process pool and --dask local; a cluster at --scheduler has its own workers"])
    n = workers or cores()
    try:
        if scheduler:
            return DaskCluster(scheduler)
        if dask:
            return DaskCluster(workers=n, allow_oversubscribe=allow_oversubscribe)
        return ProcessPool(n, allow_oversubscribe)
    except (LimitError, BackendError) as exc:
        raise fail([str(exc)]) from None


@sweep_app.command()
def check(
    spec: str = typer.Argument(..., help="Sweep spec file or bundled sweep name."),
    workers: int | None = typer.Option(None, "--workers", min=1, help="Workers to estimate the time for; default: CPU cores."),
    force: bool = FORCE_OPTION,
):
    """Validate a sweep spec (paths, ranges, outcomes, range ends), show its design and its estimated cost."""
    from ..sweeps.spec import load_plan

    with _user_errors():
        plan = load_plan(spec)
    _describe_plan(plan)
    _affordable(plan, workers or cores(), force)
    out.print("[green]ok[/green]")


@sweep_app.command()
def run(
    spec: str = typer.Argument(..., help="Sweep spec file or bundled sweep name."),
    dask: str | None = typer.Option(None, "--dask", help="'local': run on a new Dask LocalCluster."),
    scheduler: str | None = typer.Option(None, "--scheduler", help="Run on the Dask cluster at this address (tcp://host:port)."),
    workers: int | None = typer.Option(
        None, "--workers", min=1, help="Worker processes (process pool or --dask local); default and most: the CPU cores."),
    allow_oversubscribe: bool = typer.Option(False, "--allow-oversubscribe", help="Allow more --workers than CPU cores."),
    db: Path = DB_OPTION,
    chunk: int | None = typer.Option(None, "--chunk", min=1, help="Points per task (default: about a second of work)."),
    force: bool = FORCE_OPTION,
):
    """Run a sweep (or resume it: points already stored are skipped)."""
    from ..sweeps.run import run_sweep
    from ..sweeps.spec import load_plan

    backend = choose_backend(dask, scheduler, workers, allow_oversubscribe)
    with _user_errors():
        plan = load_plan(spec)
    _describe_plan(plan)
    _affordable(plan, 1 if scheduler else (workers or cores()), force)  # a cluster's workers are on their own machines: one worker's memory
    store = Store(db)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("points"),
               TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TextColumn("{task.fields[eta]}"))
    started = time.perf_counter()
    first_done: list[int] = []  # points done when this run started
    try:
        with _user_errors(), backend, Progress(*columns, console=out, transient=False) as bar:
            task = bar.add_task(plan.name, total=len(plan.points), rate="", eta="")

            def progress(done: int, total: int) -> None:
                if not first_done:
                    first_done.append(done)
                elapsed = time.perf_counter() - started
                rate = (done - first_done[0]) / elapsed if elapsed > 0 else 0.0
                eta = f"ETA {timedelta(seconds=round((total - done) / rate))}" if rate > 0 else ""
                bar.update(task, completed=done, rate=f"{rate:.2f} points/s" if rate > 0 else "", eta=eta)

            out.print(f"running on {backend.describe()}; results to {db}", highlight=False)
            report = run_sweep(plan, store, backend, chunk, progress)
    except KeyboardInterrupt:
        err.print("interrupted: finished points are stored; run the same command to resume")
        raise typer.Exit(130) from None
    if report.points_run == 0:
        out.print(f"sweep '{plan.name}' was already complete in {db}; nothing to run", highlight=False)
    else:
        resumed = f" ({report.points_total - report.points_run} were already done)" if report.points_run < report.points_total else ""
        rate = report.simulations / report.wall_s if report.wall_s else float("nan")
        out.print(f"ran {report.points_run} points{resumed} in {report.wall_s:.1f} s: {report.points_run / report.wall_s:.2f} points/s, "
                  f"{rate:,.0f} simulated operations/s", highlight=False)
    out.print(f"next: resectsim sweep analyze {plan.name} --db {db}", highlight=False)


@sweep_app.command("list")
def list_(db: Path = DB_OPTION):
    """List the sweeps stored in the database."""
    with _user_errors():
        frame = Store(db).sweeps()
    if frame.empty:
        out.print(f"no sweeps in {db}")
        return
    table = Table()
    table.add_column("id", no_wrap=True)
    for name in ("design", "status", "points", "reps", "updated (UTC)"):
        table.add_column(name)
    for r in frame.itertuples():
        status = r.status if r.points_done == r.n_points or r.status != "running" else "running or interrupted"
        table.add_row(r.sweep_id, r.design, status, f"{r.points_done}/{r.n_points}", str(r.replications), f"{r.updated:%m-%d %H:%M}")
    out.print(table)


@sweep_app.command()
def status(sweep_id: str = typer.Argument(..., metavar="ID"), db: Path = DB_OPTION):
    """Show one sweep: progress, design, parameters."""
    with _user_errors():
        data = Store(db).load(sweep_id)
    info = data.info
    done, total = info["points_done"], info["n_points"]
    out.print(f"[bold]{sweep_id}[/bold] ({info['design']}): {info['status']}, {done}/{total} points done "
              f"({100 * done / total:.0f}%), {info['compute_s']:.1f} s of worker time", highlight=False)
    if info["message"]:
        out.print(f"message: {info['message']}", highlight=False)
    out.print(f"replications per point: {info['replications']}; seed {info['seed']}; strategies: "
              f"{', '.join(info['strategies'])}; outcomes: {', '.join(info['outcomes'])}", highlight=False)
    out.print(f"spec {info['spec_file']} (hash {info['spec_hash']}), scenario {info['scenario_digest']}, "
              f"resectsim {info['version']}; created {info['created']:%Y-%m-%d %H:%M:%S}, updated {info['updated']:%Y-%m-%d %H:%M:%S}",
              highlight=False)
    table = Table("parameter", "mode", "low", "base", "high")
    table.add_column("path", overflow="fold")
    for p in data.parameters.itertuples():
        table.add_row(p.label, p.mode, f"{p.low:.4g}", f"{p.base:.4g}", f"{p.high:.4g}", p.canonical)
    out.print(table)


def _charts(analysis: str, tables: dict, labels: list[str], outcomes: list[str], folder: Path) -> list[Path]:
    from ..sweeps import charts as charts

    files: list[Path] = []
    for outcome in outcomes:
        chart = charts.outcome_chart(analysis, tables, outcome, labels)
        if chart is not None:
            files += charts.save(chart, folder / f"{analysis}-{outcome}")
    overview = charts.overview_chart(analysis, tables)
    if overview is not None:
        files += charts.save(overview, folder / f"{analysis}-preferred")
    return files


@sweep_app.command()
def analyze(
    sweep_id: str = typer.Argument(..., metavar="ID"),
    tornado: bool = typer.Option(False, "--tornado", help="Tornado diagram (one-way design)."),
    two_way: bool = typer.Option(False, "--two-way", help="Preferred-strategy map (grid of two parameters)."),
    sobol: bool = typer.Option(False, "--sobol", help="Sobol first- and total-order indices (sobol design)."),
    morris: bool = typer.Option(False, "--morris", help="Morris mu* and sigma (morris design)."),
    psa: bool = typer.Option(False, "--psa", help="PSA: distribution of means, P(preferred), variance split (psa design)."),
    table: bool = typer.Option(False, "--table", help="Every point's means with its parameter values (any design)."),
    outcome: list[str] | None = typer.Option(None, "--outcome", help="Only these outcomes (repeatable)."),
    out_dir: Path | None = typer.Option(None, "--out", help="Folder for CSV tables and PNG/SVG charts; default results/sweeps/ID."),
    db: Path = DB_OPTION,
):
    """Analyse a stored sweep: CSV tables and PNG/SVG charts (default: the analysis its design fits)."""
    from ..sweeps.sensitivity import default_analysis
    from ..sweeps.sensitivity import tables as analysis_tables

    chosen = [name for name, flag in zip(ANALYSES, (tornado, two_way, sobol, morris, psa, table)) if flag]
    if len(chosen) > 1:
        raise fail([f"choose one analysis (got {', '.join('--' + c for c in chosen)})"])
    with _user_errors():
        store = Store(db)
        data = store.load(sweep_id)
        analysis = chosen[0] if chosen else default_analysis(data.info["design"], len(data.labels))
        outcomes = list(outcome or data.info["outcomes"])
        unknown = [o for o in outcomes if o not in data.info["outcomes"]]
        if unknown:
            raise StoreError(f"outcome {', '.join(unknown)} is not in sweep '{sweep_id}'; its outcomes: {', '.join(data.info['outcomes'])}")
        records = store.records(sweep_id) if analysis == "tornado" else None
        tables = analysis_tables(data, analysis, records)
    folder = out_dir or Path(db).parent / "sweeps" / sweep_id
    files = []
    with _user_errors():
        folder.mkdir(parents=True, exist_ok=True)
        for name, frame in tables.items():
            frame = frame[frame.outcome.isin(outcomes)] if "outcome" in frame else frame
            tables[name] = frame
            files.append(write_table(frame, folder / f"{name}.csv"))
        files += _charts(analysis, tables, data.labels, outcomes, folder)
    _print_summary(analysis, tables)
    out.print(f"{analysis} of '{sweep_id}': wrote {len(files)} files to {folder}", highlight=False)
    for f in files:
        out.print(f"  {f}", highlight=False)


def _print_summary(analysis: str, tables: dict) -> None:
    """A few readable lines per analysis on the console."""
    if analysis == "tornado":
        t = tables["tornado"]
        for (o, s), g in t.groupby(["outcome_label", "strategy"], sort=False):
            top = g.sort_values("swing", ascending=False).iloc[0]
            out.print(f"{o}, {s}: widest swing {top.parameter} ({top.low_mean:.4g} to {top.high_mean:.4g}; "
                      f"base {top.base_mean:.4g})", highlight=False)
    elif analysis == "two-way":
        t = tables["two_way"]
        for o, g in t.groupby("outcome_label", sort=False):
            counts = g.preferred.value_counts()
            out.print(f"{o}: preferred in " + ", ".join(f"{k} {v}/{len(g)} cells" for k, v in counts.items())
                      + f"; {int(g.decided.sum())} cells decided", highlight=False)
    elif analysis in ("sobol", "morris"):
        t = tables[analysis]
        key = "ST" if analysis == "sobol" else "mu_star"
        for (o, s), g in t.groupby(["outcome_label", "strategy"], sort=False):
            parts = ", ".join(f"{r.parameter} {getattr(r, key):.3g}" for r in g.sort_values(key, ascending=False).itertuples())
            out.print(f"{o}, {s}: {key} {parts}", highlight=False)
    elif analysis == "psa":
        for o, g in tables["psa_preferred"].groupby("outcome_label", sort=False):
            out.print(f"{o}: P(preferred) " + ", ".join(f"{r.strategy} {r.p_preferred:.2f}" for r in g.itertuples()), highlight=False)
        for r in tables["psa_summary"].itertuples():
            out.print(f"{r.outcome_label}, {r.strategy}: mean {r.mean:.4g} (95% of draws {r.mean_p2_5:.4g} to {r.mean_p97_5:.4g}); "
                      f"variance from parameters {r.parameter_var:.4g}, between patients {r.within_var:.4g}", highlight=False)


@sweep_app.command()
def export(
    sweep_id: str = typer.Argument(..., metavar="ID"),
    parquet: Path = typer.Option(..., "--parquet", help="Folder for the Parquet files."),
    db: Path = DB_OPTION,
):
    """Export a sweep's tables (and kept records) as Parquet files."""
    with _user_errors():
        files = Store(db).export(sweep_id, parquet)
    for f in files:
        out.print(f"  {f}", highlight=False)


@sweep_app.command()
def delete(
    sweep_id: str = typer.Argument(..., metavar="ID"),
    db: Path = DB_OPTION,
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
):
    """Delete a stored sweep (its points, results and records)."""
    with _user_errors():
        info = Store(db).info(sweep_id)
        if not yes and not typer.confirm(f"delete sweep '{sweep_id}' ({info['points_done']} points done)?"):
            raise typer.Exit(1)
        Store(db).delete(sweep_id)
    out.print(f"deleted '{sweep_id}' from {db}", highlight=False)


if __name__ == "__main__":
    sweep_app(prog_name="resectsim sweep")
