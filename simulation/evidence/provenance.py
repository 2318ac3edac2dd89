"""Provenance checks of a scenario folder: every number names a source or an assumption."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel

from ..scenario.errors import Issue, ScenarioError, validate
from ..scenario.loader import (
    BUNDLED,
    bundled,
    load_library,
    load_parameters,
    load_references,
    patient_from,
    read_yaml,
    strategy_from,
)
from ..scenario.patient import Patient
from ..scenario.procedure import Phase
from ..scenario.schema import Reference
from .labels import sourced_numbers


# --- completeness of the bundled files -----------------------------------------------------------
def _blank_sentences(model: BaseModel, file: str, prefix: tuple[str, ...] = ()) -> list[Issue]:
    issues = []
    for path, obj, _ in sourced_numbers(model, prefix):
        where = ".".join(path)
        for field in ("assumption", "inferred"):
            text = getattr(obj, field)
            if text is not None and not text.strip():
                issues.append(Issue(file, f"{where}.{field}", f"'{field}' must be a sentence, not blank", text))
    return issues


def _checked(issues: list[Issue], load, *args):
    """``load(*args)``, or None with its ``ScenarioError`` issues added to ``issues``."""
    try:
        return load(*args)
    except ScenarioError as exc:
        issues += exc.issues
        return None


def provenance_issues(root: Path = BUNDLED) -> list[Issue]:
    """Problems with the provenance of the numbers in a scenario folder (empty: all is well).

    Every number of the phase library, the parameters, each patient and each strategy must name
    a source that is a key of references.yaml or state a non-blank assumption; a patient's
    ``assumptions`` must name patient fields and be sentences. Each problem names file and path.
    """
    issues: list[Issue] = []
    references = _checked(issues, load_references, root)
    if references is None:
        return issues
    phases_file = str(root / "phases.yaml")
    raw = read_yaml(root / "phases.yaml")
    for pid, entry in (raw.items() if isinstance(raw, dict) else ()):
        if str(pid).startswith("x-"):
            continue
        phase = _checked(issues, validate, Phase, {"id": pid, **(entry or {})}, phases_file, str(pid))
        if phase is not None:
            issues += _unknown_sources(phase, references, phases_file, (str(pid),))
            issues += _blank_sentences(phase, phases_file, (str(pid),))
    library = _checked(issues, load_library, root)
    parameters = _checked(issues, load_parameters, root, references)
    if parameters is not None:
        issues += _blank_sentences(parameters, str(root / "parameters.yaml"))
    for path in bundled("patients", root).values():
        patient = _checked(issues, patient_from, read_yaml(path), str(path), references)
        if patient is not None:
            for name, text in patient.assumptions.items():
                if name not in Patient.model_fields:
                    issues.append(Issue(str(path), f"assumptions.{name}", "not a patient field", name))
                elif not text.strip():
                    issues.append(Issue(str(path), f"assumptions.{name}", "must be a sentence, not blank", text))
    if library is not None and parameters is not None:
        for path in bundled("strategies", root).values():
            strategy = _checked(issues, strategy_from, read_yaml(path), str(path), library, references, root, parameters.events)
            if strategy is not None:
                issues += _blank_sentences(strategy, str(path))
    return issues


def _unknown_sources(model: BaseModel, references: Mapping[str, Reference], file: str, prefix: tuple[str, ...]) -> list[Issue]:
    return [
        Issue(file, ".".join(path) + ".source", "unknown reference id; add it to references.yaml", obj.source)
        for path, obj, _ in sourced_numbers(model, prefix)
        if obj.source and obj.source not in references
    ]
