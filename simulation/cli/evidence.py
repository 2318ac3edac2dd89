"""``resectsim evidence``: the evidence register of a scenario as a table.

    resectsim evidence [--patient NAME] [--strategy S ...] [--references] [--label LABEL] [--deaths] [--csv FILE]

One row per number (parameter, value, source, confidence, labels, widening factor), or with
``--references`` one row per reference (N, design, confidence, access, population, numbers using
it), or with ``--deaths`` the simulated deaths per 100 of each strategy and how many come from
each assumption chain (other causes, intra-operative injury, major complication). Bad input prints
one line and exits with status 2, as every ``resectsim`` command.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich import box
from rich.console import Console
from rich.table import Table

from ..evidence import register as register_module
from ..evidence.deaths import CHAINS, death_chains_table
from ..evidence.labels import LABELS
from .common import checked_outputs, fail, load, write

PARAMETER_COLUMNS = ("Parameter", "Value", "Unit", "Source", "N", "Confidence", "Labels", "Widening")
REFERENCE_COLUMNS = ("Reference", "N", "Design", "Confidence", "Access", "Population", "Parameters")


def _rich(title: str, frame, columns: tuple[str, ...]) -> Table:
    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold", justify="right" if column in ("N", "Widening", "Parameters") else "left")
    for row in frame[list(columns)].itertuples(index=False):
        table.add_row(*("" if pd.isna(v) else register_module.number(v) if isinstance(v, float) else str(v) for v in row))
    return table


def evidence(
    patient: Annotated[str, typer.Option(
        "--patient", "--scenario", "-p", help="A bundled patient or a patient file (the scenario: with --strategy).")] = "seed-case",
    strategy: Annotated[list[str] | None, typer.Option("--strategy", "-s", help="Strategies (repeat); default all bundled.")] = None,
    references: Annotated[bool, typer.Option("--references", help="List the references instead of the numbers.")] = False,
    label: Annotated[str | None, typer.Option("--label", help=f"Only numbers with this label: {', '.join(LABELS)}.")] = None,
    deaths: Annotated[bool, typer.Option(
        "--deaths", help="Deaths per 100 by assumption chain (2000 simulated patients, seed 2018).")] = False,
    csv: Annotated[Path | None, typer.Option("--csv", help="Also write the table to this CSV file.")] = None,
) -> None:
    """The evidence register: every number, its source, confidence flag, labels and PSA widening."""
    if label is not None and label not in LABELS:
        raise fail([f"--label: '{label}' is not a label; allowed: {', '.join(LABELS)}"])
    if label is not None and references:
        raise fail(["--label: filters numbers; it cannot be combined with --references"])
    if csv is not None and csv.suffix.lower() != ".csv":
        raise fail([f"--csv: {csv}: the file name must end in .csv"])
    checked_outputs(csv)
    scenario = load(patient, strategy or None)
    who = f"{scenario.patient.name} ({'child' if scenario.is_child else 'adult'}), scenario {scenario.digest()}"
    if deaths:
        frame = death_chains_table(scenario, strategies=strategy or None)
        title = f"Deaths per 100 within 2 months, by assumption chain: {who}"
        columns = tuple(frame.columns)
        Console().print(_rich(title, frame, columns))
        for label in CHAINS.values():
            Console().print(f"  {label}")
        if csv is not None:
            write(frame, csv, "rows")
        return
    if references:
        frame, title, columns = register_module.references_table(scenario), f"References: {who}", REFERENCE_COLUMNS
    else:
        frame = register_module.register(scenario)
        if label is not None:
            frame = register_module.with_label(frame, label)
        title, columns = f"Evidence register: {who}" + (f"; label {label}" if label else ""), PARAMETER_COLUMNS
    Console().print(_rich(title, frame, columns))
    if csv is not None:
        write(frame, csv, "rows")
