"""What every ``resectsim`` command does with bad input and output files: one ``error:`` line per
problem on stderr and exit status 2 (no traceback), outputs checked before any work and written
atomically."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import typer

from ..runs.files import OutputPathError, check_table_path, write_tables
from ..scenario.errors import ScenarioError
from ..scenario.loader import load_scenario
from ..scenario.schema import Scenario

EXIT_BAD_INPUT = 2


def fail(lines: list[str]) -> typer.Exit:
    """Print one ``error:`` line per problem to stderr; the caller raises the returned Exit."""
    for line in lines:
        typer.echo(f"{typer.style('error:', fg='red')} {line}", err=True)
    return typer.Exit(EXIT_BAD_INPUT)


def warn(lines: list[str]) -> None:
    """Print one ``warning:`` line per possible-but-extreme input to stderr (the command carries on)."""
    for line in lines:
        typer.echo(f"{typer.style('warning:', fg='yellow')} {line}", err=True)


def load(patient: str, strategies: list[str] | None) -> Scenario:
    """``load_scenario``, or exit with its problems; warns of extreme patient inputs."""
    try:
        scenario = load_scenario(patient, strategies)
    except ScenarioError as err:
        raise fail(str(err).splitlines()) from None
    warn([f"{patient}: {field}: {message}" for field, message in scenario.patient.warnings()])
    return scenario


def checked_outputs(*paths: Path | None) -> None:
    """Fail before any work if an output path has the wrong extension or no directory."""
    given = [p for p in paths if p is not None]
    if len({p.resolve() for p in given}) < len(given):
        raise fail([f"{given[-1]}: the same file is given for two outputs; give each output its own file"])
    try:
        for path in given:
            check_table_path(path)
    except OutputPathError as err:
        raise fail([str(err)]) from None


def write_together(tables: list[tuple[pd.DataFrame, Path, str]]) -> None:
    """Write each (frame, path, what) so the files replace their targets together
    (``files.write_tables``), and say so on stderr; or exit with the reason."""
    try:
        write_tables(*((df, path) for df, path, _ in tables))
    except OSError as err:
        raise fail([f"{err.filename or tables[0][1]}: could not write: {err.strerror or err}"]) from None
    for df, path, what in tables:
        typer.echo(f"wrote {len(df)} {what} to {path}", err=True)


def write(df: pd.DataFrame, path: Path, what: str) -> None:
    """Write ``df`` atomically and say so on stderr, or exit with the reason."""
    write_together([(df, path, what)])
