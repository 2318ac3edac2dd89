"""``resectsim centre``: calibrate a centre to its own case log.

    resectsim centre template [--out FILE]
    resectsim centre fit CASELOG.csv --out centre.yaml [--name NAME] [--posterior FILE] [--reps N]

The profile (a small YAML of aggregates, no patient rows) is used with ``resectsim compare --centre``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..calibration import caselog
from ..present.formats import centre_effect_line
from ..scenario.errors import ScenarioError
from .common import fail, warn

centre_app = typer.Typer(help="Calibrate a centre to its own case log (local calibration).", no_args_is_help=True)
TEMPORAL_MINIMUM = 10  # dated operations before the temporal check is worth printing


@centre_app.command("template")
def template_command(
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the template here (default: print it).")] = None,
) -> None:
    """The case-log CSV template: the columns, one example row, and what each column means."""
    if out is None:
        typer.echo(caselog.template(), nl=False)
        return
    try:
        out.write_text(caselog.template(), encoding="utf-8")
    except OSError as err:
        raise fail([f"{out}: could not write: {err.strerror or err}"]) from None
    typer.echo(f"wrote the case-log template to {out}", err=True)


@centre_app.command("fit")
def fit_command(
    log: Annotated[Path, typer.Argument(help="The centre's case log (CSV; see `resectsim centre template`).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The centre profile to write (.yaml).")],
    name: Annotated[str | None, typer.Option("--name", help="The centre's name (default: the log's file name).")] = None,
    posterior: Annotated[Path | None, typer.Option("--posterior", help="Published posterior (default: the stored one).")] = None,
    reps: Annotated[int | None, typer.Option("--reps", min=20, help="Simulated patients per case type (default: centre.yaml).")] = None,
) -> None:
    """Fit the centre's effects on time, blood loss and complications to its case log, shrunk toward the published centres."""
    if out.suffix not in (".yaml", ".yml"):
        raise fail([f"--out: {out}: the profile is YAML; give a .yaml file"])
    if not out.parent.is_dir():
        raise fail([f"--out: {out.parent}: no such folder"])
    try:
        rows = caselog.read_caselog(log)
        tau, label = caselog.centre_sds(posterior)
        predictions = caselog.predict(caselog.case_types(rows), posterior, reps)
        profile = caselog.fit_centre(rows, predictions, name or log.stem, tau, label)
    except ScenarioError as err:
        raise fail(str(err).splitlines()) from None
    profile.write(out)
    for axis, e in profile.effects.items():
        typer.echo(centre_effect_line(axis, e.mean, e.sd, e.prior_sd, e.cases))
    if profile.absent_case_types:
        warn([f"case types absent from the log (the centre's effect is extrapolated to them): {', '.join(profile.absent_case_types)}"])
    warn(list(profile.warnings))
    if rows.date.notna().sum() >= TEMPORAL_MINIMUM:
        z = caselog.temporal_check(rows, predictions, tau)
        typer.echo(f"temporal check: fitted on the earlier two thirds, the later operations' operative time is {z:+.1f} SD "
                   "from what the fit predicts" + (" (the centre may have changed)" if abs(z) > 2 else ""))
    typer.echo(f"wrote the centre profile to {out} (use: resectsim compare PATIENT --centre {out})", err=True)
