"""``resectsim compare`` and ``resectsim run``: simulate strategies for one patient, print or write the results.

Numbers are written through ``simulation.present.formats`` (the dashboard and reports use the same).
"""


from __future__ import annotations

import json
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich import box
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from .. import __version__
from ..calibration.centre import load_profile
from ..calibration.uncertainty import RunUncertainty, for_run
from ..present.formats import (
    DEFAULT_REPLICATIONS,
    DEFAULT_SEED,
    DIFFERENCES,
    DISCLAIMER,
    HEADLINE,
    MAIN_STRATEGIES,
    SHOWN,
    honest_caption,
    honest_range,
    interval_name,
    oncology_note,
    percent,
    percent_mcse,
    provenance_line,
    risk_cell,
    risk_labels,
    shown,
)
from ..runs import analysis
from ..runs.analysis import Z
from ..runs.limits import LimitError, check_workers, held_bytes, megabytes, memory_budget
from ..runs.precision import (
    DEFAULT_ABSOLUTE,
    DEFAULT_MAXIMUM,
    Precision,
    PrecisionResults,
    SettingError,
    run_to_precision,
)
from ..runs.runner import Results, run_to_files
from ..runs.runner import run as run_model
from ..runs.uncertainty import honest_differences, honest_summary, parts_on, probability_best
from ..scenario.errors import ScenarioError
from ..scenario.feasibility import contraindications, planned_deficit
from ..scenario.schema import Scenario
from .common import checked_outputs, fail, load, write_together

PROGRESS_AFTER_S = 1.0
BEST_PATIENTS = 30  # simulated patients per draw in --best
HONEST_COLUMNS = ["mcse", "sd_patient", "sd_centre", "sd_parameter", "honest_low", "honest_high"]


def _run(scenario: Scenario, reps: int, seed: int, workers: int, target: Precision | None = None,
         drawn: RunUncertainty | None = None) -> tuple[Results, PrecisionResults | None]:
    """``reps`` replications, or with a ``target`` a precision run whose pilot is ``reps``; ``drawn``: the
    parameter and centre draws (None: the scenario's numbers as they stand)."""
    unc, note = (drawn.uncertainty, drawn.note) if drawn else (None, "")
    with _LazyProgress() as progress:
        try:
            if target is None:
                return run_model(scenario, reps, seed, workers=workers, progress=progress, uncertainty=unc, note=note), None
            done = run_to_precision(scenario, seed, target, _targeted(scenario), workers=workers, progress=progress,
                                    uncertainty=unc, note=note)
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


def _workers(workers: int, allow_oversubscribe: bool) -> int:
    try:
        return check_workers(workers, allow_oversubscribe)
    except LimitError as err:
        raise fail([str(err)]) from None


def _held(replications: int, strategies: int, instead: str) -> None:
    """Refuse a run whose records would not fit in memory; ``instead`` says how to get them."""
    try:
        need, budget = held_bytes(replications * strategies), memory_budget()
    except LimitError as err:
        raise fail([str(err)]) from None
    if need > budget:
        raise fail([
            f"--reps: {replications:,} replications x {strategies} strateg{'y' if strategies == 1 else 'ies'} would hold about "
            f"{megabytes(need)} of records in memory, over the budget of {megabytes(budget)} ($RESECTSIM_MEMORY_MB); "
            f"ask for fewer, or {instead}"
        ])


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


# --- tables --------------------------------------------------------------------------------------
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


def _targeted(scenario: Scenario) -> list[str]:
    """The outcomes the tables show, which a precision run must make precise."""
    return [*SHOWN, *risk_labels(scenario)]


def _summary_tables(scenario: Scenario, results: Results) -> list[Table]:
    codes = _codes(scenario)
    risks = risk_labels(scenario)
    records = results.records
    summary = analysis.summarise(records, _targeted(scenario)).set_index(["outcome", "strategy"])
    honest = honest_summary(records, results.uncertainty, _targeted(scenario)).set_index(["outcome", "strategy"])
    interval = interval_name(parts_on(results.uncertainty))

    values = _table("Outcomes per strategy", "Outcome", "", "Median", "5th–95th pct", "Mean ± MC error",
                    interval[0].upper() + interval[1:])
    for s in HEADLINE:
        for i, (name, code) in enumerate(codes.items()):
            x, h = summary.loc[(s.column, name)], honest.loc[(s.column, name)]
            values.add_row(
                s.title if i == 0 else "", code, s.fmt(x["median"]), f"{s.fmt(x.p5)}–{s.fmt(x.p95)}",
                f"{s.fmt(h['mean'])} ± {s.fmt(Z * h.mcse)}", honest_range(h.honest_low, h.honest_high, s.fmt),
                end_section=i == len(codes) - 1,
            )

    risk = _table(f"Risks: % of simulated patients ± Monte Carlo error (1 SE), and the {interval}",
                  "Outcome", *codes.values())
    for column, label in risks.items():
        cells = []
        for n in codes:
            h = honest.loc[(column, n)]
            cells.append(risk_cell(h['mean'], h.mcse, h.honest_low, h.honest_high))
        risk.add_row(Text(label), *cells)
    return [values, risk]


def _difference_rows(scenario: Scenario, results: Results) -> pd.DataFrame:
    """Paired differences (first strategy minus each other) with their honest ranges."""
    first, records = scenario.strategies[0].name, results.records
    frames = []
    for s in scenario.strategies[1:]:
        d = analysis.paired_differences(records, first, s.name, list(DIFFERENCES))
        h = honest_differences(records, first, s.name, results.uncertainty, list(DIFFERENCES))
        frames.append(d.assign(mcse=h.mcse.to_numpy(), honest_low=h.honest_low.to_numpy(), honest_high=h.honest_high.to_numpy()))
    if not frames:
        return pd.DataFrame()
    return pd.concat(frames, ignore_index=True)


def _difference_table(scenario: Scenario, diffs: pd.DataFrame, parts: tuple[str, ...]) -> Table:
    codes = _codes(scenario)
    first, *others = codes.items()
    table = _table(
        f"Paired differences on the same simulated patients: {first[1]} minus each other strategy "
        f"(risks in percentage points); P(better): share of patients better off with {first[1]} "
        "(less time, blood loss, transfusion, stay or risk; higher lowest haemoglobin)",
        "Outcome", "", "Mean difference ± MC error", interval_name(parts), "P(better) ± MCSE",
    )
    by = diffs.set_index(["outcome", "b"])
    for column in DIFFERENCES:
        fmt = partial(DIFFERENCES[column].fmt, sign=True)
        for i, (name, code) in enumerate(others):
            d = by.loc[(column, name)]
            table.add_row(
                shown(column).title if i == 0 else "", f"{first[1]} − {code}",
                f"{fmt(d.mean_difference)} ± {DIFFERENCES[column].fmt(Z * d.mcse)}",
                f"{fmt(d.honest_low)} to {fmt(d.honest_high)}",
                f"{percent(d.p_a_better)}% ± {percent(d.mcse_p_a_better)}",
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
    labels = risk_labels(scenario)
    for column in dict.fromkeys(done.table.outcome):
        first = by.loc[(column, names[0])]
        relative = first.scale == "relative"
        half_width = (lambda x: f"±{100 * x:.1f}%") if relative else (lambda x: f"±{100 * x:.1f} pp")
        table.add_row(
            Text(labels.get(column) or shown(column).title),
            half_width(first.target),
            *(Text(half_width(r.achieved) + ("" if r.reached else " not reached"), style="" if r.reached else "bold")
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
        "uncertainty": results.uncertainty_note,
        "uncertainty_parts": ["monte_carlo", "patient", *parts_on(results.uncertainty)],
        "seed": results.seed,
        "replications": results.replications,
        "patient": scenario.patient.name,
        "strategies": [s.name for s in scenario.strategies],
    }


def flagged_plans(scenario: Scenario) -> dict[str, list[str]]:
    """Strategy name -> the reasons it would not be offered to this patient (only flagged strategies)."""
    return {s.name: why for s in scenario.strategies if (why := contraindications(s, scenario.patient))}


def feasibility_lines(scenario: Scenario) -> list[str]:
    """One line per flagged plan, then the planned deficit of the roots cut on purpose."""
    labels = {s.name: s.label for s in scenario.strategies}
    lines = [f"NOT USUALLY OFFERED for this patient - {labels[name]} ({name}): {' '.join(why)} (simulated for research only)"
             for name, why in flagged_plans(scenario).items()]
    deficit = planned_deficit(scenario.patient)
    if deficit:
        lines.append("Planned deficit (certain, from the roots cut on purpose): " + "; ".join(deficit))
    return lines


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
WorkersOpt = Annotated[int, typer.Option(
    help="Worker processes (results do not depend on it); at most the machine's cores.")]
OversubscribeOpt = Annotated[bool, typer.Option(
    "--allow-oversubscribe", help="Allow more --workers than this machine's cores.")]
CentreOpt = Annotated[Path | None, typer.Option(
    "--centre", metavar="PROFILE", help="A calibrated centre's profile (resectsim centre fit): its effect replaces "
    "'a centre like those published'.")]
FixedOpt = Annotated[bool, typer.Option(
    "--fixed-parameters", help="Research: the scenario's numbers as they stand, patient variability only (no "
    "parameter or centre uncertainty).")]
BestOpt = Annotated[int | None, typer.Option(
    "--best", metavar="DRAWS", min=2, help="Also the probability that each plan is best on each outcome: DRAWS parameter "
    f"and centre draws x {BEST_PATIENTS} patients each (needs the posterior or --centre).")]
CalibratedOpt = Annotated[bool, typer.Option(
    "--calibrated", help="Draw parameters from the stored calibrated posterior and a centre like those published "
    "(the default, as scenarios/calibration/settings.yaml says; kept for scripts).")]
PosteriorOpt = Annotated[Path | None, typer.Option(
    "--posterior", help="Posterior draws (.parquet) to use instead of scenarios/calibration/posterior-v1.parquet.")]
MaxRepsOpt = Annotated[int | None, typer.Option(
    "--max-reps", metavar="N", help=f"With --precision: stop at N replications per strategy (default {DEFAULT_MAXIMUM:,}) "
    "and report the targets not reached.")]


def compare(
    patient: PatientArg,
    strategy: Annotated[list[str] | None, typer.Option(
        "--strategy", "-s",
        help="Bundled strategy name or YAML file; repeat for several. The first is compared with "
        f"each other. Default: {', '.join(MAIN_STRATEGIES)}.")] = None,
    reps: RepsOpt = DEFAULT_REPLICATIONS,
    seed: SeedOpt = DEFAULT_SEED,
    workers: WorkersOpt = 1,
    allow_oversubscribe: OversubscribeOpt = False,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Write the per-replication records here (.parquet or .csv).")] = None,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print summaries, paired differences and provenance as JSON instead of tables.")] = False,
    precision: PrecisionOpt = None,
    risk_precision: RiskPrecisionOpt = None,
    max_reps: MaxRepsOpt = None,
    centre: CentreOpt = None,
    fixed_parameters: FixedOpt = False,
    posterior: PosteriorOpt = None,
    calibrated: CalibratedOpt = False,
    best: BestOpt = None,
) -> None:
    """Compare strategies for one patient: outcome distributions, risks, paired differences, each mean with
    its Monte Carlo error and its honest 95% range (parameters from the stored posterior, a centre like those
    published or --centre; --fixed-parameters for patient variability alone)."""
    target = _precision(precision, risk_precision, reps, max_reps)
    _workers(workers, allow_oversubscribe)
    checked_outputs(out)
    scenario = load(patient, list(strategy or MAIN_STRATEGIES))
    drawn = drawn_uncertainty(scenario, posterior, centre, fixed_parameters, calibrated)
    if best is not None and not parts_on(drawn.uncertainty):
        raise fail([f"--best: needs parameter or centre draws; this run has none (parameters: {drawn.note})"])
    _held(target.maximum if target else reps, len(scenario.strategies),
          "write each strategy's records to a file block by block: resectsim run PATIENT -s STRATEGY --reps N --out FILE.parquet")
    results, done = _run(scenario, reps, seed, workers, target, drawn)
    if out is not None:
        write_together([(results.records, out, "records")])
    diffs = _difference_rows(scenario, results)
    chances = _probability_best(scenario, drawn, seed, best) if best is not None else None
    if as_json:
        summaries = analysis.summarise(results.records)
        honest = honest_summary(results.records, results.uncertainty, list(dict.fromkeys(summaries.outcome)))
        summaries[HONEST_COLUMNS] = honest[HONEST_COLUMNS].to_numpy()
        summaries["ci_low"], summaries["ci_high"] = summaries["mean"] - Z * summaries.mcse, summaries["mean"] + Z * summaries.mcse
        doc = {
            "provenance": _provenance(scenario, results),
            "summaries": _json_rows(summaries),
            "paired_differences": _json_rows(diffs),
            "contraindications": flagged_plans(scenario),
            "planned_deficit": planned_deficit(scenario.patient),
        }
        if done is not None:
            doc["precision"] = _precision_json(done)
        if chances is not None:
            doc["probability_best"] = _json_rows(chances)
        typer.echo(json.dumps(doc, indent=2, allow_nan=False))
        return
    console = Console()
    p = _provenance(scenario, results)
    console.print(Text(f"{scenario.patient.name}: " + provenance_line(
        p["resectsim_version"], p["scenario_digest"], p["seed"], p["replications"], uncertainty=p["uncertainty"])), style="bold")
    console.print(_legend(scenario))
    for line in feasibility_lines(scenario):
        console.print(Text(line), style="bold red" if line.startswith("NOT") else "bold")
    if done is not None:
        console.print(_precision_table(scenario, done))
        console.print(_precision_line(done), style="bold")
    for table in _summary_tables(scenario, results):
        console.print(table)
    console.print(oncology_note(scenario), style="dim")
    if len(scenario.strategies) > 1:
        console.print(_difference_table(scenario, diffs, parts_on(results.uncertainty)))
    if chances is not None:
        console.print(_best_table(scenario, chances, best))
    console.print(honest_caption(parts_on(results.uncertainty), results.uncertainty_note), style="dim")
    console.print(DISCLAIMER, style="dim")


def _probability_best(scenario: Scenario, drawn: RunUncertainty, seed: int, draws: int) -> pd.DataFrame:
    with _LazyProgress() as progress:
        return probability_best(scenario, drawn.uncertainty, seed, draws, BEST_PATIENTS, outcomes=list(DIFFERENCES),
                                progress=progress)


def _best_table(scenario: Scenario, chances: pd.DataFrame, draws: int) -> Table:
    codes = _codes(scenario)
    table = _table(f"Probability that each plan is best (best mean over {draws:,} parameter and centre draws x "
                   f"{BEST_PATIENTS} patients) ± Monte Carlo error", "Outcome", *codes.values())
    by = chances.set_index(["outcome", "strategy"])
    for column in DIFFERENCES:
        table.add_row(shown(column).title, *(percent_mcse(by.loc[(column, n)].p_best, by.loc[(column, n)].mcse) for n in codes))
    return table


def drawn_uncertainty(scenario: Scenario, posterior: Path | None, centre: Path | None, fixed: bool,
                      calibrated: bool = False) -> RunUncertainty:
    """The run's parameter and centre draws from the options, or exit with one line per problem."""
    if fixed and (centre or posterior or calibrated):
        other = "--centre" if centre else "--posterior" if posterior else "--calibrated"
        raise fail([f"--fixed-parameters: cannot be combined with {other} "
                    "(fixed parameters draw no parameters and no centre)"])
    if posterior is not None and not posterior.is_file():
        raise fail([f"--posterior: {posterior}: no such file"])
    try:
        profile = load_profile(centre) if centre is not None else None
        drawn = for_run(scenario, posterior, profile, fixed, calibrated=calibrated)
    except ScenarioError as err:
        raise fail(str(err).splitlines()) from None
    except (OSError, ValueError) as err:
        raise fail([f"--posterior: {err}"]) from None
    return drawn


def run_command(
    patient: PatientArg,
    strategy: Annotated[str, typer.Option("--strategy", "-s", help="Bundled strategy name or YAML file.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Per-replication records (.parquet or .csv).")],
    reps: RepsOpt = DEFAULT_REPLICATIONS,
    seed: SeedOpt = DEFAULT_SEED,
    stages: Annotated[Path | None, typer.Option(
        help="Also write one row per (replication, stage) here (.parquet or .csv).")] = None,
    workers: WorkersOpt = 1,
    allow_oversubscribe: OversubscribeOpt = False,
    precision: PrecisionOpt = None,
    risk_precision: RiskPrecisionOpt = None,
    max_reps: MaxRepsOpt = None,
    centre: CentreOpt = None,
    fixed_parameters: FixedOpt = False,
    posterior: PosteriorOpt = None,
    calibrated: CalibratedOpt = False,
) -> None:
    """Run one strategy and write the raw per-replication records (block by block, so any number of
    replications runs in bounded memory; with --precision they are held in memory). Parameters and
    centres are drawn as in ``compare``."""
    target = _precision(precision, risk_precision, reps, max_reps)
    _workers(workers, allow_oversubscribe)
    checked_outputs(out, stages)
    scenario = load(patient, [strategy])
    drawn = drawn_uncertainty(scenario, posterior, centre, fixed_parameters, calibrated)
    if target is None:
        _stream(scenario, reps, seed, workers, out, stages, drawn.uncertainty)
        typer.echo(f"parameters: {drawn.note}", err=True)
        return
    _held(target.maximum, 1, "run without --precision, which writes the records block by block")
    results, done = _run(scenario, reps, seed, workers, target, drawn)
    console = Console(stderr=True)  # stdout stays empty, as without --precision; the report goes with the other messages
    console.print(_legend(scenario))
    console.print(_precision_table(scenario, done))
    console.print(_precision_line(done), style="bold")
    write_together([(results.records, out, "records")] + ([(results.stages, stages, "stage rows")] if stages else []))


def _stream(scenario: Scenario, reps: int, seed: int, workers: int, out: Path, stages: Path | None, uncertainty) -> None:
    """``run`` without a precision target: records (and stage rows) to their files block by block."""
    with _LazyProgress() as progress:
        try:
            rows = run_to_files(scenario, scenario.strategies[0].name, reps, seed, out, stages, workers, progress, uncertainty)
        except ValueError as err:  # e.g. replications < 1
            raise fail(str(err).splitlines()) from None
        except OSError as err:
            raise fail([f"{err.filename or out}: could not write: {err.strerror or err}"]) from None
    typer.echo(f"wrote {rows[0]} records to {out}", err=True)
    if stages is not None:
        typer.echo(f"wrote {rows[1]} stage rows to {stages}", err=True)
