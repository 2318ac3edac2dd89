"""Scenario files -> validated ``Scenario``, with errors that name file, field, value and what is allowed.

Layout of a scenario folder (the bundled one is ``scenarios/`` at the project root):
``references.yaml`` (source keys), ``parameters.yaml`` (model-wide parameters),
``phases.yaml`` (the phase library), ``patients/*.yaml`` and ``strategies/*.yaml``.
A strategy lists phases by library id, as ``{use: id, <field>: override}``, or in full.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from .errors import Issue, ScenarioError, validate
from .kept import per_version
from .parameters import Parameters
from .patient import Patient
from .procedure import Phase, Strategy, strategy_event_keys
from .schema import Reference, Scenario, source_keys
from .yamlfile import MAX_FILE_BYTES, read_yaml  # noqa: F401  (MAX_FILE_BYTES re-exported for the upload limit)


def _bundled_folder() -> Path:
    """The bundled scenario files: ``simulation/bundled`` in an installed wheel (package data),
    ``scenarios/`` beside the package in a source tree or an editable install."""
    package = Path(__file__).resolve().parents[1]
    installed = package / "bundled"
    return installed if installed.is_dir() else package.parent / "scenarios"


BUNDLED = Path(os.environ.get("RESECTSIM_SCENARIOS") or _bundled_folder())


# --- files ---------------------------------------------------------------------------------------
def load_references(root: Path = BUNDLED) -> dict[str, Reference]:
    """The evidence register: reference id -> ``Reference``; every bad entry is reported at once.
    The file is read and validated once per version of it (the dashboard asks on every rerun)."""
    return dict(_references(root / "references.yaml"))


@per_version
def _references(path: Path) -> dict[str, Reference]:
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise ScenarioError([Issue(str(path), "", "expected a mapping of reference id -> entry (citation, n, design, ...)")])
    references, issues = {}, []
    for key, entry in data.items():
        try:
            references[str(key)] = validate(Reference, entry, str(path), str(key))
        except ScenarioError as exc:
            issues += exc.issues
    if issues:
        raise ScenarioError(issues)
    return references


def _without_notes(data: Any) -> Any:
    """Drop top-level ``x-...`` keys (a home for YAML anchors shared by several entries)."""
    if isinstance(data, dict):
        return {k: v for k, v in data.items() if not str(k).startswith("x-")}
    return data


def load_library(root: Path = BUNDLED) -> dict[str, dict]:
    """The phase library: id -> raw phase mapping (validated when used)."""
    path = root / "phases.yaml"
    data = _without_notes(read_yaml(path))
    if not isinstance(data, dict):
        raise ScenarioError([Issue(str(path), "", "expected a mapping of phase id -> phase")])
    for pid, raw in data.items():
        validate(Phase, {"id": pid, **(raw or {})}, str(path), pid)
    return data


def _resolve_phase(entry: Any, library: dict[str, dict], file: str, path: str) -> Any:
    if isinstance(entry, str):
        entry = {"use": entry}
    if isinstance(entry, dict) and "use" in entry:
        pid = entry["use"]
        if not isinstance(pid, str) or pid not in library:
            known = ", ".join(sorted(library))
            raise ScenarioError([Issue(file, f"{path}.use", f"unknown phase id; known: {known}", pid)])
        return {"id": pid, **library[pid], **{k: v for k, v in entry.items() if k != "use"}}
    return entry


def _extended(data: Any, file: str, root: Path, chain: tuple[str, ...] = ()) -> dict:
    """``data`` on top of the bundled strategy it ``extends``, which may itself extend another; a cycle is refused."""
    if not isinstance(data, dict):
        raise ScenarioError([Issue(file, "", "expected a strategy mapping (name, label, stages)", data)])
    if "extends" not in data:
        return data
    known = bundled("strategies", root)
    base = data["extends"]
    if not isinstance(base, str) or base not in known:
        raise ScenarioError([Issue(file, "extends", f"unknown strategy; bundled: {', '.join(known)}", base)])
    if base in chain:
        raise ScenarioError([Issue(file, "extends", f"extends cycle: {' -> '.join((*chain, base))}", base)])
    parent = _extended(read_yaml(known[base]), str(known[base]), root, (*chain, base))
    return {**parent, **{k: v for k, v in data.items() if k != "extends"}}


def resolve_strategy(data: Any, library: dict[str, dict], file: str, root: Path = BUNDLED) -> Any:
    """Resolve ``extends: <bundled strategy>`` (a chain of them) and replace phase-library references by full phases.

    Returns a new mapping; anything not shaped as expected is passed on for pydantic to report.
    """
    data = _extended(data, file, root)
    stages = data.get("stages")
    if not isinstance(stages, list):
        return dict(data)
    new_stages = []
    for i, st in enumerate(stages):
        exposures = st.get("exposures") if isinstance(st, dict) else None
        if isinstance(exposures, list):
            st = dict(st, exposures=[
                dict(ex, phases=[
                    _resolve_phase(ph, library, file, f"stages[{i}].exposures[{j}].phases[{k}]")
                    for k, ph in enumerate(ex["phases"])
                ]) if isinstance(ex, dict) and isinstance(ex.get("phases"), list) else ex
                for j, ex in enumerate(exposures)
            ])
        new_stages.append(st)
    return dict(data, stages=new_stages)


def _check_sources(model: BaseModel, references: dict[str, Reference], file: str) -> None:
    issues = [
        Issue(file, path, "unknown source key; add it to references.yaml", key)
        for path, key in source_keys(model)
        if key not in references
    ]
    if issues:
        raise ScenarioError(sorted(issues, key=lambda i: i.path))


def patient_from(data: Any, file: str, references: dict[str, Reference]) -> Patient:
    patient = validate(Patient, data, file)
    _check_sources(patient, references, file)
    return patient


def strategy_from(
    data: Any,
    file: str,
    library: dict[str, dict],
    references: dict[str, Reference],
    root: Path = BUNDLED,
    events: Iterable[str] | None = None,
) -> Strategy:
    """A validated strategy; ``events`` are the known event keys (default: the bundled parameters)."""
    strategy = validate(Strategy, resolve_strategy(data, library, file, root), file)
    _check_sources(strategy, references, file)
    known = set(events) if events is not None else set(load_parameters(root, references).events)
    for path, key in strategy_event_keys(strategy):
        if key not in known:
            raise ScenarioError([Issue(file, path, f"unknown event; known: {', '.join(sorted(known))}", key)])
    return strategy


def load_parameters(
    root: Path = BUNDLED, references: dict[str, Reference] | None = None, library: dict[str, dict] | None = None
) -> Parameters:
    """``parameters.yaml`` validated; ``references`` and the phase ``library`` are loaded if not given."""
    path = root / "parameters.yaml"
    data = _without_notes(read_yaml(path))
    library = library if library is not None else load_library(root)
    if isinstance(data, dict) and isinstance(data.get("staging"), dict):
        restage = data["staging"].get("restage_phases")
        if isinstance(restage, list):
            data["staging"]["restage_phases"] = [
                _resolve_phase(ph, library, str(path), f"staging.restage_phases[{k}]") for k, ph in enumerate(restage)
            ]
    params = validate(Parameters, data, str(path))
    _check_sources(params, references if references is not None else load_references(root), str(path))
    return params


def bundled(kind: str, root: Path = BUNDLED) -> dict[str, Path]:
    """Bundled ``patients`` or ``strategies``: name -> file."""
    return {p.stem: p for p in sorted((root / kind).glob("*.yaml"), key=lambda p: p.stem)}  # by name: a before a-b


def _locate(item: str | Path, kind: str, root: Path) -> Path:
    known = bundled(kind, root)
    if str(item) in known:
        return known[str(item)]
    path = Path(item)
    if path.suffix in (".yaml", ".yml") or path.exists():
        return path
    singular = {"patients": "patient", "strategies": "strategy"}[kind]
    raise ScenarioError([Issue(str(item), "", f"not a file or a bundled {singular}; bundled: {', '.join(known)}")])


def load_scenario(
    patient: str | Path | Patient,
    strategies: list[str | Path | Strategy] | None = None,
    root: Path = BUNDLED,
) -> Scenario:
    """A scenario from a patient and strategies, each a bundled name, a file, or a model."""
    references = load_references(root)
    library = load_library(root)
    parameters = load_parameters(root, references, library)
    if not isinstance(patient, Patient):
        path = _locate(patient, "patients", root)
        patient = patient_from(read_yaml(path), str(path), references)
    chosen = []
    for item in strategies if strategies is not None else list(bundled("strategies", root)):
        if not isinstance(item, Strategy):
            path = _locate(item, "strategies", root)
            item = strategy_from(read_yaml(path), str(path), library, references, root, parameters.events)
        chosen.append(item)
    # validated parts go in as they are; only the scenario's own cross-checks run here
    data = {"patient": patient, "strategies": chosen, "parameters": parameters, "references": references}
    return validate(Scenario, data, "scenario")
