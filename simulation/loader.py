"""Scenario files -> validated ``Scenario``, with errors that name file, field, value and what is allowed.

Layout of a scenario folder (the bundled one is ``scenarios/`` at the project root):
``references.yaml`` (source keys), ``parameters.yaml`` (model-wide parameters),
``phases.yaml`` (the phase library), ``patients/*.yaml`` and ``strategies/*.yaml``.
A strategy lists phases by library id, as ``{use: id, <field>: override}``, or in full.
"""

from __future__ import annotations

import os
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import yaml
from pydantic import BaseModel, ValidationError

from .distributions import DIST_KINDS
from .scenario import Parameters, Patient, Phase, Reference, Scenario, Strategy, source_keys, strategy_event_keys

BUNDLED = Path(os.environ.get("RESECTSIM_SCENARIOS", Path(__file__).resolve().parent.parent / "scenarios"))
MAX_FILE_BYTES = 1_000_000
# The four plans the tool compares by default (issue 2); the other bundled strategies are variants.
MAIN_STRATEGIES = (
    "single-stage-three-exposure",
    "posterior-only",
    "two-stage-posterior-then-anterior",
    "three-stage-posterior-anterior-posterior",
)
_MISSING = object()


@dataclass(frozen=True)
class Issue:
    file: str
    path: str
    message: str
    value: Any = _MISSING

    def __str__(self) -> str:
        where = f"{self.file}: {self.path}: " if self.path else f"{self.file}: "
        got = "" if self.value is _MISSING else f" (got {_short(self.value)})"
        return f"{where}{self.message}{got}"


class ScenarioError(ValueError):
    """Invalid scenario input; ``issues`` lists each problem, ``str()`` gives one line per issue."""

    def __init__(self, issues: list[Issue]):
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# --- pydantic errors -> issues ------------------------------------------------------------------
def _models_in(annotation) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found = []
    for arg in typing.get_args(annotation):
        found += _models_in(arg)
    return found


def _describe(model: type[BaseModel], loc: tuple) -> tuple[str, list[str] | None]:
    """Readable path for ``loc`` (union tags dropped) and the allowed keys of its last model."""
    parts: list[str] = []
    current: list[type[BaseModel]] = [model]
    for elem in loc:
        if isinstance(elem, int):
            parts.append(f"[{elem}]")
            continue
        tagged = [m for m in current if "dist" in m.model_fields and elem in typing.get_args(m.model_fields["dist"].annotation)]
        if tagged:
            current = tagged
            continue
        owner = next((m for m in current if elem in m.model_fields or any(f.alias == elem for f in m.model_fields.values())), None)
        parts.append(f".{elem}" if parts else str(elem))
        if owner is None:
            current = []  # a mapping key (strategy names, event names...)
            continue
        field = owner.model_fields.get(elem) or next(f for f in owner.model_fields.values() if f.alias == elem)
        current = _models_in(field.annotation) or current
    allowed = None
    if current:
        allowed = sorted({f.alias or k for m in current for k, f in m.model_fields.items()})
    return "".join(parts), allowed


def _issues(exc: ValidationError, model: type[BaseModel], file: str, prefix: str = "") -> list[Issue]:
    errors = exc.errors()
    locs = [tuple(e["loc"]) for e in errors]
    issues = []
    for err in errors:
        loc = tuple(err["loc"])
        if any(other != loc and other[: len(loc)] == loc for other in locs):
            continue  # a container's echo of an error reported at a deeper field
        kind = err["type"]
        if kind == "extra_forbidden":
            path, allowed = _describe(model, loc[:-1])
            key_path = f"{path}.{loc[-1]}" if path else str(loc[-1])
            msg = f"unknown field '{loc[-1]}'; allowed here: {', '.join(allowed or [])}"
            issues.append(Issue(file, _join(prefix, key_path), msg))
            continue
        path, _ = _describe(model, loc)
        value = err.get("input", _MISSING)
        if kind in ("union_tag_not_found", "union_tag_invalid"):
            tag = err.get("ctx", {}).get("discriminator", "'dist'").strip("'")
            path = f"{path}.{tag}" if path else tag
            msg = f"missing or unknown '{tag}'; allowed: {', '.join(DIST_KINDS)}"
            value = value.get(tag, _MISSING) if isinstance(value, dict) else value
        else:
            msg = err["msg"].removeprefix("Value error, ")
        if isinstance(value, dict) or kind == "missing":
            value = _MISSING  # the whole parent mapping says nothing the path does not
        issues.append(Issue(file, _join(prefix, path), msg, value))
    return issues


def _join(prefix: str, path: str) -> str:
    if not prefix:
        return path
    return f"{prefix}{path}" if path.startswith("[") else f"{prefix}.{path}" if path else prefix


def validate(model: type[BaseModel], data: Any, file: str, prefix: str = ""):
    """``model.model_validate(data)``, turning pydantic errors into a ``ScenarioError``."""
    if not isinstance(data, dict):
        raise ScenarioError([Issue(file, prefix, f"expected a mapping of {model.__name__} fields", data)])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_issues(exc, model, file, prefix)) from None


# --- files ---------------------------------------------------------------------------------------
_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when PyYAML was built with it: ~10x faster


def read_yaml(path: Path | str, text: str | None = None) -> Any:
    """Parse a YAML file (or ``text`` labelled ``path``); malformed or oversized input -> ScenarioError."""
    label = str(path)
    if text is None:
        p = Path(path)
        if not p.is_file():
            raise ScenarioError([Issue(label, "", "file not found")])
        if p.stat().st_size > MAX_FILE_BYTES:
            raise ScenarioError([Issue(label, "", f"file is larger than {MAX_FILE_BYTES // 1000} kB")])
        text = p.read_text(encoding="utf-8", errors="replace")
    elif len(text.encode()) > MAX_FILE_BYTES:
        raise ScenarioError([Issue(label, "", f"file is larger than {MAX_FILE_BYTES // 1000} kB")])
    try:
        return yaml.load(text, Loader=_FAST_LOADER)
    except yaml.YAMLError:
        pass  # parsed again below: the pure-Python parser words the errors users see
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise ScenarioError([Issue(label, where, f"malformed YAML: {problem}")]) from None


def load_references(root: Path = BUNDLED) -> dict[str, Reference]:
    """The evidence register: reference id -> ``Reference``; every bad entry is reported at once."""
    path = root / "references.yaml"
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


def resolve_strategy(data: Any, library: dict[str, dict], file: str, root: Path = BUNDLED) -> Any:
    """Resolve ``extends: <bundled strategy>`` and replace phase-library references by full phases.

    Returns a new mapping; anything not shaped as expected is passed on for pydantic to report.
    """
    if not isinstance(data, dict):
        raise ScenarioError([Issue(file, "", "expected a strategy mapping (name, label, stages)", data)])
    if "extends" in data:
        known = bundled("strategies", root)
        base = data["extends"]
        if not isinstance(base, str) or base not in known:
            raise ScenarioError([Issue(file, "extends", f"unknown strategy; bundled: {', '.join(known)}", base)])
        parent = read_yaml(known[base])
        data = {**(parent if isinstance(parent, dict) else {}), **{k: v for k, v in data.items() if k != "extends"}}
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
    return {p.stem: p for p in sorted((root / kind).glob("*.yaml"))}


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


def check_file(path: str | Path, root: Path = BUNDLED) -> str:
    """Validate any scenario file; returns what it is. Raises ScenarioError."""
    path = Path(path)
    data = read_yaml(path)
    references = load_references(root)
    if path.name == "references.yaml":
        load_references(path.parent)
        return "references"
    if path.name == "parameters.yaml":
        load_parameters(path.parent, load_references(path.parent))
        return "parameters"
    if path.name == "phases.yaml":
        load_library(path.parent)
        return "phase library"
    if isinstance(data, dict) and ("stages" in data or "extends" in data):
        strategy_from(data, str(path), load_library(root), references, root)
        return "strategy"
    if isinstance(data, dict) and "age_years" in data:
        patient_from(data, str(path), references)
        return "patient"
    if isinstance(data, dict) and "design" in data:
        from .sweep import load_plan  # sweeps need the `distributed` extra (SALib)

        load_plan(path, root)
        return "sweep"
    raise ScenarioError([Issue(str(path), "", "not a patient (age_years, ...), strategy (stages, ...) or sweep (design, ...) file")])
