"""The one folder whose sweep databases the dashboard may open.

The Sweeps page lists the ``*.duckdb`` files directly in this folder and opens only those: a path
typed by a visitor never reaches the server's file system. The folder is ``$RESECTSIM_RESULTS``,
or ``results/`` in the repository (where ``resectsim sweep run`` writes by default when started
from the repository root).
"""

from __future__ import annotations

import os
from pathlib import Path

RESULTS_ENV = "RESECTSIM_RESULTS"
DEFAULT_FOLDER = Path(__file__).resolve().parents[1] / "results"


def results_folder() -> Path:
    """The results folder (it may not exist yet)."""
    return Path(os.environ.get(RESULTS_ENV) or DEFAULT_FOLDER).resolve()


def databases(folder: Path) -> dict[str, Path]:
    """File name -> path of each sweep database directly in ``folder`` (regular files, symbolic
    links that lead out of the folder left out), sorted by name."""
    if not folder.is_dir():
        return {}
    found = {}
    for path in sorted(folder.glob("*.duckdb")):
        if path.is_file() and path.resolve().parent == folder:
            found[path.name] = path
    return found
