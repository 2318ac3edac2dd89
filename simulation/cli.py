"""The ``resectsim`` command line: compare strategies for a patient, write raw runs, check files.

A thin view over the package: it loads a scenario, calls ``simulation.run`` and
``simulation.analysis``, and formats what they return. Bad input of any kind ends with one
line per problem on stderr (file, field, value, what is allowed) and exit code 2.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Annotated, Callable

import pandas as pd
import typer
from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from . import __version__, analysis, loader
from .evidence_cli import evidence
from .cli_common import checked_outputs, fail, load, write
from .loader import MAIN_STRATEGIES, ScenarioError
from .outcomes import RESULT_FIELDS
from .precision import DEFAULT_ABSOLUTE, DEFAULT_MAXIMUM, Precision, PrecisionResults, SettingError, run_to_precision
from .runner import Results, run as run_model
from .scenario import Scenario
from .validation_cli import validate_app

DEFAULT_STRATEGIES = MAIN_STRATEGIES
# Outcomes shown in the tables (all outcomes go to --json and --out).
SHOWN = (
    "operative_time_min", "anaesthesia_time_min", "blood_loss_ml", "blood_loss_bv", "rbc_units",
    "lowest_hb_g_dl", "icu_days", "los_days",
)
DIFFERENCES = (*SHOWN, "any_major_complication", "massive_transfusion", "death")
DECIMALS = {"h": 1, "mL": 0, "blood volumes": 2, "units": 1, "g/dL": 1, "days": 1}
PROGRESS_AFTER_S = 1.0

app = typer.Typer(
    name="resectsim",
    help="Monte Carlo comparison of single- vs multi-stage en bloc spine tumour resection "
    "(decision support and education, not a validated prediction rule).",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)

try:  # sweeps need the `distributed` extra (DuckDB, Dask, SALib)
    from .sweep_cli import sweep_app
except ModuleNotFoundError as missing:
    sweep_app = typer.Typer(help=f"Parameter sweeps (unavailable: {missing.name} is not installed; "
                            "pip install 'resectsim[distributed]').")
app.add_typer(sweep_app, name="sweep")
app.add_typer(validate_app, name="validate")
app.command("evidence")(evidence)


def _run(scenario: Scenario, reps: int, seed: int, workers: int, target: Precision | None = None
         ) -> tuple[Results, PrecisionResults | None]:
    """``reps`` replications, or with a ``target`` a precision run whose pilot is ``reps``."""
    with _LazyProgress() as progress:
        try:
            if target is None:
                return run_model(scenario, reps, seed, workers=workers, progress=progress), None
            done = run_to_precision(scenario, seed, target, _targeted(scenario), workers=workers, progress=progress)
            return done.results, done
        except ValueError as err:  # e.g. replications < 1
            raise fail(str(err).splitlines()) from None


PRECISION_OPTIONS = {"relative": "--precision", "absolute": "--risk-precision", "minimum": "--reps", "maximum": "--max-reps"}


def _precision(relative: float | None, absolute: float | None, reps: int, max_reps: int | None) -> Precision | None:
    """The precision target the options ask for (None: a fixed number of replications)."""
    if relative is None and absolute is None:
        if max_reps is not None:
            raise fail([f"--max-reps: only used with --precision or --risk-precision (got {max_reps})"])
        return None
    if relative is not None and absolute is None:
        absolute = DEFAULT_ABSOLUTE
    try:
        return Precision(relative, absolute, reps, max_reps if max_reps is not None else max(reps, DEFAULT_MAXIMUM))
    except SettingError as err:
        allowed = f"at least --reps ({reps})" if err.field == "maximum" else err.allowed
        raise fail([f"{PRECISION_OPTIONS[err.field]}: must be {allowed} (got {err.value})"]) from None


class _LazyProgress:
    """``progress(done, total)`` callback that shows a bar on a terminal once a run passes 1 s."""

    def __init__(self):
        self.start, self.bar = time.monotonic(), None
        self.console = Console(stderr=True)

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            if not self.console.is_terminal or time.monotonic() - self.start < PROGRESS_AFTER_S:
                return
            self.bar = Progress(
                TextColumn("simulating"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                console=self.console, transient=True,
            )
            self.task = self.bar.add_task("run", total=total, completed=done)
            self.bar.start()
        else:
            self.bar.update(self.task, completed=done)

    def __enter__(self) -> Callable[[int, int], None]:
        return self

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()


# --- formatting ----------------------------------------------------------------------------------
def _unit(column: str) -> tuple[str, float]:
    """Display unit and factor from the record unit: minutes read better as hours."""
    unit = RESULT_FIELDS[column][1]
    return ("h", 1 / 60) if unit == "min" else (unit, 1.0)


def _row_label(column: str) -> str:
    name, (unit, _) = RESULT_FIELDS[column][0], _unit(column)
    return name if name.lower().endswith(unit.lower()) or unit in ("yes/no", "count") else f"{name} ({unit})"


def _num(x: float, column: str, sign: bool = False) -> str:
    unit, factor = _unit(column)
    return _fmt(x * factor, DECIMALS.get(unit, 1), sign)


def _pct(p: float, digits: int = 1, sign: bool = False) -> str:
    return _fmt(100 * p, digits, sign)


def _fmt(x: float, digits: int, sign: bool) -> str:
    if not math.isfinite(x):
        return "–"
    text = f"{x:{'+' if sign else ''},.{digits}f}"
    return text[1:] if text[0] in "+-" and float(text.replace(",", "")) == 0 else text  # no "-0.0"


def _table(title: str, *columns: str) -> Table:
    """A table whose first column (the outcome) wraps and whose numbers never do."""
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column(columns[0], overflow="fold", ratio=1)
    for name in columns[1:]:
        table.add_column(name, justify="right", no_wrap=True)
    return table


def _codes(scenario: Scenario) -> dict[str, str]:
    """Strategy name -> short column code (A, B, ...); the legend gives the labels."""
    return {s.name: chr(ord("A") + i) if i < 26 else str(i + 1) for i, s in enumerate(scenario.strategies)}


def _legend(scenario: Scenario) -> Table:
    table = Table(title="Strategies", title_justify="left", box=None, pad_edge=False, show_header=False)
    table.add_column(no_wrap=True)
    table.add_column(overflow="fold")
    table.add_column(overflow="fold", style="dim")
    for s, code in zip(scenario.strategies, _codes(scenario).values()):
        table.add_row(code, Text(s.label), Text(s.name))
    return table


def _risk_rows(scenario: Scenario) -> list[tuple[str, str]]:
    """(column, label) of the yes/no outcomes shown: complications by type, with their time frame."""
    types = scenario.parameters.complications.types
    rows = [("any_major_complication", RESULT_FIELDS["any_major_complication"][0])]
    rows += [(f"complication_{key}", f"{meta.label} ({meta.time_frame})") for key, meta in types.items()]
    return [*rows, ("massive_transfusion", RESULT_FIELDS["massive_transfusion"][0])]


def _targeted(scenario: Scenario) -> list[str]:
    """The outcomes the tables show, which a precision run must make precise."""
    return [*SHOWN, *(c for c, _ in _risk_rows(scenario))]


def _summary_tables(scenario: Scenario, records: pd.DataFrame) -> list[Table]:
    codes = _codes(scenario)
    risks = _risk_rows(scenario)
    summary = analysis.summarise(records, _targeted(scenario)).set_index(["outcome", "strategy"])

    values = _table("Outcomes per strategy", "Outcome", "", "Median", "5th–95th pct", "Mean [95% CI]")
    for column in SHOWN:
        for i, (name, code) in enumerate(codes.items()):
            x = summary.loc[(column, name)]
            values.add_row(
                _row_label(column) if i == 0 else "", code, _num(x["median"], column),
                f"{_num(x.p5, column)}–{_num(x.p95, column)}",
                f"{_num(x['mean'], column)} [{_num(x.ci_low, column)}–{_num(x.ci_high, column)}]",
                end_section=i == len(codes) - 1,
            )

    risk = _table("Risks: % of simulated patients ± Monte Carlo standard error", "Outcome", *codes.values())
    for column, label in risks:
        risk.add_row(Text(label), *(f"{_pct(summary.loc[(column, n)]['mean'])} ± {_pct(summary.loc[(column, n)].mcse)}"
                                    for n in codes))
    return [values, risk]


def _difference_rows(scenario: Scenario, records: pd.DataFrame) -> pd.DataFrame:
    first = scenario.strategies[0].name
    frames = [analysis.paired_differences(records, first, s.name, list(DIFFERENCES))
              for s in scenario.strategies[1:]]
    if not frames:
        return pd.DataFrame()
    return pd.concat(frames, ignore_index=True)


def _difference_table(scenario: Scenario, diffs: pd.DataFrame) -> Table:
    codes = _codes(scenario)
    first, *others = codes.items()
    table = _table(
        f"Paired differences on the same simulated patients: {first[1]} minus each other strategy "
        f"(risks in percentage points); P(better): share of patients better off with {first[1]} "
        "(less time, blood loss, transfusion, stay or risk; higher lowest haemoglobin)",
        "Outcome", "", "Mean difference [95% CI]", "P(better) ± MCSE",
    )
    by = diffs.set_index(["outcome", "b"])
    for column in DIFFERENCES:
        fmt = (lambda x: _num(x, column, sign=True)) if column in SHOWN else (lambda x: _pct(x, sign=True))
        for i, (name, code) in enumerate(others):
            d = by.loc[(column, name)]
            table.add_row(
                _row_label(column) if i == 0 else "", f"{first[1]} − {code}",
                f"{fmt(d.mean_difference)} [{fmt(d.ci_low)} to {fmt(d.ci_high)}]",
                f"{_pct(d.p_a_better)}% ± {_pct(d.mcse_p_a_better)}",
                end_section=i == len(others) - 1,
            )
    return table


def _precision_table(scenario: Scenario, done: PrecisionResults) -> Table:
    """Half-width reached per outcome and strategy, against its target."""
    p, codes = done.precision, _codes(scenario)
    names = [n for n in codes if n in set(done.table.strategy)]
    goals = [f"±{100 * p.relative:g}% of the mean" if p.relative is not None else "",
             f"±{100 * p.absolute:g} percentage point{'' if p.absolute == 0.01 else 's'} (pp) for risks"
             if p.absolute is not None else ""]
    table = _table(
        f"Precision: 95% CI half-width reached after {done.replications:,} simulated patients per strategy "
        f"(pilot {p.minimum:,}, at most {p.maximum:,}); target {' and '.join(g for g in goals if g)}",
        "Outcome", "Target", *(codes[n] for n in names),
    )
    by = done.table.set_index(["outcome", "strategy"])
    labels = dict(_risk_rows(scenario))
    for column in dict.fromkeys(done.table.outcome):
        first = by.loc[(column, names[0])]
        relative = first.scale == "relative"
        shown = (lambda x: f"±{100 * x:.1f}%") if relative else (lambda x: f"±{100 * x:.1f} pp")
        table.add_row(
            Text(labels.get(column) or _row_label(column)),
            shown(first.target),
            *(Text(shown(r.achieved) + ("" if r.reached else " not reached"), style="" if r.reached else "bold")
              for r in (by.loc[(column, n)] for n in names)),
        )
    return table


def _precision_line(done: PrecisionResults) -> str:
    short = done.table[~done.table.reached]
    if short.empty:
        return f"Every precision target reached with {done.replications:,} simulated patients per strategy."
    return (f"{len(short)} precision target(s) NOT reached at the maximum of {done.replications:,} simulated patients "
            f"per strategy: {', '.join(dict.fromkeys(short.outcome))}.")


def _precision_json(done: PrecisionResults) -> dict:
    p = done.precision
    return {
        "replications": done.replications, "pilot_replications": p.minimum, "max_replications": p.maximum,
        "checkpoints": list(done.checkpoints), "relative_target": p.relative, "risk_target": p.absolute,
        "reached": done.reached,
        "outcomes": _json_rows(done.table),
    }


def _provenance(scenario: Scenario, results: Results) -> dict:
    return {
        "resectsim_version": __version__,
        "scenario_digest": results.scenario_digest,
        "seed": results.seed,
        "replications": results.replications,
        "patient": scenario.patient.name,
        "strategies": [s.name for s in scenario.strategies],
    }


def _json_rows(df: pd.DataFrame) -> list[dict]:
    """Rows of ``df`` as plain JSON values (NaN -> null)."""
    return json.loads(df.to_json(orient="records", double_precision=15))


# --- commands ------------------------------------------------------------------------------------
PatientArg = Annotated[str, typer.Argument(help="Bundled patient name (see `resectsim list`) or a patient YAML file.")]
RepsOpt = Annotated[int, typer.Option(
    "--reps", "-n", help="Replications (simulated patients) per strategy; with --precision, the pilot (minimum).")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Random seed; the same seed gives identical results.")]
PrecisionOpt = Annotated[float | None, typer.Option(
    "--precision", metavar="REL",
    help="Run until the 95% CI half-width of each shown continuous outcome is at most REL times its mean "
    "(0.02 = ±2%); --reps is then the pilot. See simulation/precision.py for the stopping rule.")]
RiskPrecisionOpt = Annotated[float | None, typer.Option(
    "--risk-precision", metavar="ABS",
    help=f"... and that of each shown risk at most ABS (0.01 = ±1 percentage point; default "
    f"{DEFAULT_ABSOLUTE} with --precision).")]
MaxRepsOpt = Annotated[int | None, typer.Option(
    "--max-reps", metavar="N", help=f"With --precision: stop at N replications per strategy (default {DEFAULT_MAXIMUM:,}) "
    "and report the targets not reached.")]


def _version(show: bool) -> None:
    if show:
        typer.echo(f"resectsim {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[bool | None, typer.Option(
        "--version", callback=_version, is_eager=True, help="Show the version and exit.")] = None,
) -> None:
    """Monte Carlo comparison of single- vs multi-stage en bloc spine tumour resection."""


@app.command()
def compare(
    patient: PatientArg,
    strategy: Annotated[list[str] | None, typer.Option(
        "--strategy", "-s",
        help="Bundled strategy name or YAML file; repeat for several. The first is compared with "
        f"each other. Default: {', '.join(DEFAULT_STRATEGIES)}.")] = None,
    reps: RepsOpt = 1000,
    seed: SeedOpt = 1,
    workers: Annotated[int, typer.Option(help="Worker processes (results do not depend on it).")] = 1,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Write the per-replication records here (.parquet or .csv).")] = None,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print summaries, paired differences and provenance as JSON instead of tables.")] = False,
    precision: PrecisionOpt = None,
    risk_precision: RiskPrecisionOpt = None,
    max_reps: MaxRepsOpt = None,
) -> None:
    """Compare strategies for one patient: outcome distributions, risks, paired differences."""
    target = _precision(precision, risk_precision, reps, max_reps)
    checked_outputs(out)
    scenario = load(patient, list(strategy or DEFAULT_STRATEGIES))
    results, done = _run(scenario, reps, seed, workers, target)
    if out is not None:
        write(results.records, out, "records")
    diffs = _difference_rows(scenario, results.records)
    if as_json:
        doc = {
            "provenance": _provenance(scenario, results),
            "summaries": _json_rows(analysis.summarise(results.records)),
            "paired_differences": _json_rows(diffs),
        }
        if done is not None:
            doc["precision"] = _precision_json(done)
        typer.echo(json.dumps(doc, indent=2, allow_nan=False))
        return
    console = Console()
    p = _provenance(scenario, results)
    console.print(Text(
        f"{scenario.patient.name}: {p['replications']} simulated patients per strategy, seed {p['seed']}, "
        f"scenario {p['scenario_digest']}, resectsim {p['resectsim_version']}"), style="bold")
    console.print(_legend(scenario))
    if done is not None:
        console.print(_precision_table(scenario, done))
        console.print(_precision_line(done), style="bold")
    for table in _summary_tables(scenario, results.records):
        console.print(table)
    if len(scenario.strategies) > 1:
        console.print(_difference_table(scenario, diffs))
    console.print("Model estimates for decision support and teaching, not a validated prediction rule.",
                  style="dim")


@app.command("run")
def run_command(
    patient: PatientArg,
    strategy: Annotated[str, typer.Option("--strategy", "-s", help="Bundled strategy name or YAML file.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Per-replication records (.parquet or .csv).")],
    reps: RepsOpt = 1000,
    seed: SeedOpt = 1,
    stages: Annotated[Path | None, typer.Option(
        help="Also write one row per (replication, stage) here (.parquet or .csv).")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes (results do not depend on it).")] = 1,
    precision: PrecisionOpt = None,
    risk_precision: RiskPrecisionOpt = None,
    max_reps: MaxRepsOpt = None,
) -> None:
    """Run one strategy and write the raw per-replication records."""
    target = _precision(precision, risk_precision, reps, max_reps)
    checked_outputs(out, stages)
    scenario = load(patient, [strategy])
    results, done = _run(scenario, reps, seed, workers, target)
    if done is not None:  # stdout stays empty, as without --precision; the report goes with the other messages
        console = Console(stderr=True)
        console.print(_legend(scenario))
        console.print(_precision_table(scenario, done))
        console.print(_precision_line(done), style="bold")
    write(results.records, out, "records")
    if stages is not None:
        write(results.stages, stages, "stage rows")


@app.command()
def check(
    files: Annotated[list[Path], typer.Argument(help="Scenario files: patients, strategies, parameters, phases.")],
) -> None:
    """Validate scenario files; print each problem as file: field: message (got value)."""
    problems: list[str] = []
    for path in files:
        try:
            kind = loader.check_file(path)
        except ScenarioError as err:
            problems += str(err).splitlines()
        else:
            typer.echo(f"ok: {path} ({kind})")
    if problems:
        raise fail(problems)


@app.command("list")
def list_command() -> None:
    """Bundled patients and strategies."""
    try:
        references, library = loader.load_references(), loader.load_library()
        events = loader.load_parameters(references=references, library=library).events
        patients = [loader.patient_from(loader.read_yaml(p), str(p), references)
                    for p in loader.bundled("patients").values()]
        strategies = [loader.strategy_from(loader.read_yaml(p), str(p), library, references, events=events)
                      for p in loader.bundled("strategies").values()]
    except ScenarioError as err:
        raise fail(str(err).splitlines()) from None
    console = Console()
    table = Table(title="Patients", title_justify="left", show_lines=True)
    table.add_column("name", no_wrap=True)
    table.add_column("description")
    for p in patients:
        table.add_row(p.name, Text(p.description))
    console.print(table)
    table = Table(title="Strategies", title_justify="left", show_lines=True)
    table.add_column("name", no_wrap=True)
    table.add_column("label / description")
    for s in strategies:
        table.add_row(s.name, Text.assemble((s.label, "bold"), "\n", s.description))
    console.print(table)


if __name__ == "__main__":
    app()
