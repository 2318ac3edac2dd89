"""``resectsim validate``: run the validation cohorts and compare the model with published figures.

    resectsim validate [--reps N] [--seed S] [--report DIR] [--cohort NAME ...]

Prints one row per published figure: cohort, figure, published value, the model's median and
95% predictive interval (or its rate with a 95% CI), the interval the figure is judged against
and whether it lies inside. ``--report DIR`` also writes Markdown, HTML and one PNG per figure.
Bad input (an unknown cohort, a broken cohort file, a bad option) prints one line per problem
and exits with status 2.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..calibration.uncertainty import ValidationModel, validation_model
from ..scenario.errors import ScenarioError
from ..validation.cohorts import load_cohorts
from ..validation.compare import DEFAULT_REPLICATIONS, DEFAULT_SEED, run_validation
from ..validation.texts import CAVEAT, display_table, summary
from .common import fail

MIN_REPLICATIONS = 10  # fewer cannot give a 2.5th-97.5th percentile interval

validate_app = typer.Typer(help="Compare the model with published cohorts (scenarios/validation).", add_completion=False)
out = Console()
err = Console(stderr=True)


def _report_folder(report: Path) -> Path:
    """``report`` if it is a folder or can be made one (its parent exists); else one error line."""
    if report.exists() and not report.is_dir():
        raise fail([f"--report: {report} is a file, not a folder"])
    if not report.parent.is_dir():
        raise fail([f"--report: {report}: folder '{report.parent}' does not exist"])
    return report


def calibrated_model(posterior: Path | None, fixed: bool, calibrated: bool) -> ValidationModel:
    """The model to validate from the options, or exit with one line."""
    if posterior is not None and not posterior.is_file():
        raise fail([f"--posterior: {posterior}: no such file"])
    if fixed and (posterior is not None or calibrated):
        raise fail([f"--fixed-parameters: cannot be combined with {'--posterior' if posterior else '--calibrated'}"])
    try:
        return validation_model(posterior, fixed, calibrated)
    except (OSError, ValueError) as err:
        raise fail([f"--posterior: {err}"]) from None


def table(validation) -> Table:
    """The validation table as a Rich table; rows outside their interval in bold."""
    t = validation.table
    shown = display_table(t, cohort="cohort")
    result = Table(title="Validation", box=box.SIMPLE_HEAD, title_justify="left")
    for column in shown.columns:
        result.add_column(column, overflow="fold")
    for inside, row in zip(t.inside, shown.itertuples(index=False)):
        result.add_row(*(Text(str(v)) for v in row), style="" if inside else "bold")
    return result


@validate_app.callback(invoke_without_command=True)
def validate(
    reps: int = typer.Option(DEFAULT_REPLICATIONS, "--reps", help="Simulated patients per cohort."),
    seed: int = typer.Option(DEFAULT_SEED, "--seed", help="Random seed (same seed, same table)."),
    report: Path | None = typer.Option(None, "--report", help="Folder for validation.md, validation.html and charts."),
    cohort: list[str] | None = typer.Option(None, "--cohort", help="Cohort name (repeat for several); default all."),
    fixed_parameters: bool = typer.Option(False, "--fixed-parameters", help="The scenario's numbers as they stand "
                                          "(the uncalibrated model), patient variability only."),
    calibrated: bool = typer.Option(False, "--calibrated", help="The calibrated model: the stored posterior, a new "
                                    "centre per simulated series (the default, as scenarios/calibration/settings.yaml says)."),
    posterior: Path | None = typer.Option(None, "--posterior", help="Posterior draws (.parquet) instead of "
                                          "scenarios/calibration/posterior-v1.parquet."),
) -> None:
    """Run the validation cohorts and compare the model with the published figures; with --calibrated (or
    --posterior) the calibrated model (parameters from the posterior, a new centre per simulated series), whose
    target series are reported as calibration figures."""
    if reps < MIN_REPLICATIONS:
        raise fail([f"--reps: must be at least {MIN_REPLICATIONS} (got {reps})"])
    if seed < 0:
        raise fail([f"--seed: must be 0 or more (got {seed})"])
    folder = _report_folder(report) if report is not None else None
    if folder is not None:
        try:
            from ..validation.report import write_report
        except ModuleNotFoundError as missing:  # charts need the `dashboard` extra
            raise fail([f"--report needs {missing.name}: pip install 'resectsim[reports]'"]) from None
    try:
        cohorts = load_cohorts(cohort or None)
    except ScenarioError as exc:
        raise fail(str(exc).splitlines()) from None
    model = calibrated_model(posterior, fixed_parameters, calibrated)
    validation = run_validation(cohorts, reps, seed, uncertainty=model.uncertainty, calibrated=model.calibrated)
    out.print(table(validation))
    out.print(f"Model: {model.note}. {summary(validation.table)} {CAVEAT}", highlight=False)
    if folder is not None:
        try:
            folder.mkdir(exist_ok=True)
            files = write_report(validation, folder)
        except OSError as exc:
            raise fail([f"--report: could not write to {folder}: {exc.strerror or exc}"]) from None
        err.print(f"wrote {len(files)} files to {folder}", highlight=False)
