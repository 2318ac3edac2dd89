"""The ``resectsim`` command: wiring of every sub-command, ``--version``, ``check`` and ``list``."""


from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from .. import __version__
from ..checks import check_file, file_warnings
from ..scenario import loader
from ..scenario.errors import ScenarioError
from .calibrate import calibrate
from .centre import centre_app
from .common import fail, warn
from .compare import compare, run_command
from .evidence import evidence
from .validate import validate_app

app = typer.Typer(
    name="resectsim",
    help="Monte Carlo comparison of single- vs multi-stage en bloc spine tumour resection "
    "(decision support and education, not a validated prediction rule).",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)

try:  # sweeps need the `sweeps` extra (DuckDB, Dask, SALib)
    from .sweep import sweep_app
except ModuleNotFoundError as missing:
    sweep_app = typer.Typer(help=f"Parameter sweeps (unavailable: {missing.name} is not installed; "
                            "pip install 'resectsim[sweeps]').")
app.add_typer(sweep_app, name="sweep")
app.add_typer(validate_app, name="validate")
app.add_typer(centre_app, name="centre")
app.command("evidence")(evidence)
app.command()(compare)
app.command("run")(run_command)
app.command("calibrate")(calibrate)


@app.command("staging-report")
def staging_report(
    out: Annotated[Path, typer.Option("--out", help="Markdown file to write, e.g. docs/staging.md.")] = Path("docs/staging.md"),
    reps: Annotated[int, typer.Option("--reps", min=100, help="Simulated patients per strategy and setting.")] = 2000,
    seed: Annotated[int, typer.Option("--seed", help="Master seed.")] = 2018,
) -> None:
    """When staging wins: paired staged-vs-single differences by patient, regime and stage length."""
    from ..sweeps.staging import report

    if not out.parent.is_dir():
        raise fail([f"--out: {out}: folder '{out.parent}' does not exist"])
    out.write_text(report(reps, seed))
    typer.echo(f"wrote {out}")


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
def check(
    files: Annotated[list[Path], typer.Argument(help="Scenario files: patients, strategies, parameters, phases.")],
) -> None:
    """Validate scenario files; print each problem as file: field: message (got value)."""
    problems: list[str] = []
    for path in files:
        try:
            kind = check_file(path)
        except ScenarioError as err:
            problems += str(err).splitlines()
        else:
            typer.echo(f"ok: {path} ({kind})")
            warn(file_warnings(path, kind))
    if problems:
        raise fail(problems)


@app.command("dashboard")
def dashboard_command(
    address: Annotated[str, typer.Option(
        envvar="STREAMLIT_SERVER_ADDRESS",
        help="Address to serve on. The default serves this computer only; give the machine's address (or set "
        "STREAMLIT_SERVER_ADDRESS) to serve a hospital network (see README: Serving the dashboard).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port.")] = 8501,
) -> None:
    """Start the Streamlit dashboard on the bundled seed case (needs the `dashboard` extra)."""
    import subprocess
    import sys
    from importlib.util import find_spec

    app_file = Path(find_spec("dashboard").origin).with_name("app.py") if find_spec("dashboard") else None
    if app_file is None or find_spec("streamlit") is None:
        raise fail(["dashboard: the dashboard extra is not installed; pip install 'resectsim[dashboard]'"])
    command = [sys.executable, "-m", "streamlit", "run", str(app_file), "--server.address", address,
               "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    raise typer.Exit(subprocess.call(command))


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
