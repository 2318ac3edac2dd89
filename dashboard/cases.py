"""Saved cases: the patient form's patient as YAML in a local folder, reopened by name.

The folder is ``cases/`` at the project root (``RESECTSIM_CASES`` overrides it); each case is a
patient file the CLI reads too (``resectsim compare --patient cases/<name>.yaml``), validated by
the loader like an upload when it is read back.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import yaml

from simulation import Patient, ScenarioError
from simulation.runs.files import write_bytes
from simulation.scenario.loader import load_references, patient_from, read_yaml

ROOT = Path(__file__).resolve().parents[1]


def folder() -> Path:
    return Path(os.environ.get("RESECTSIM_CASES") or ROOT / "cases")


def slug(name: str) -> str:
    """A file stem for a case name: ``'Mrs B, 58'`` -> ``'mrs-b-58'``."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "case"


def to_yaml(patient: Patient) -> str:
    """The patient as a patient file (the loader reads it back to the same patient)."""
    return yaml.safe_dump(patient.model_dump(mode="json", exclude_none=True), sort_keys=False, allow_unicode=True)


def save(patient: Patient) -> Path:
    """Write the case (replacing one of the same name); returns its path."""
    path = folder() / f"{slug(patient.name)}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes(to_yaml(patient).encode("utf-8"), path)
    return path


def saved() -> dict[str, Patient]:
    """Every readable saved case by file stem (a file the loader refuses is left out)."""
    found = {}
    references = load_references()
    for path in sorted(folder().glob("*.yaml")):
        try:
            found[path.stem] = patient_from(read_yaml(path), str(path), references)
        except ScenarioError:
            continue
    return found
