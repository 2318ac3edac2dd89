"""Uploaded or pasted YAML -> a validated ``Patient`` or ``Strategy``, or the loader's issues.

Validation is the CLI's: ``simulation.loader.read_yaml`` (size limit, YAML syntax),
``patient_from`` and ``strategy_from`` (schema, sources, phase library). The only rule of its own
is ``clash``: an uploaded strategy may not take a bundled strategy's name or another strategy's label.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from simulation import Patient, ScenarioError, Strategy
from simulation.scenario.errors import Issue
from simulation.scenario.loader import (
    MAX_FILE_BYTES,
    load_library,
    load_references,
    patient_from,
    read_yaml,
    strategy_from,
)

Kind = Literal["patient", "strategy"]


@dataclass(frozen=True)
class Upload:
    """The outcome of reading one file: a model, or the issues that stopped it."""

    file_name: str
    model: Patient | Strategy | None
    issues: tuple[Issue, ...] = ()

    @property
    def ok(self) -> bool:
        return self.model is not None


YAML_SUFFIXES = (".yaml", ".yml")
# A top-level key that only the other kind of file has (as ``resectsim check`` tells the kinds apart)
KIND_KEYS = {"strategy": ("stages", "extends"), "patient": ("age_years",)}
PLACE = {"patient": "the Patient file box (or paste it as a patient)", "strategy": "Strategy files (or paste it as a strategy)"}


def _refused(file_name: str, message: str) -> Upload:
    return Upload(file_name, None, (Issue(file_name, "", message),))


def _size(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB" if n >= 1_000_000 else f"{n / 1000:.0f} kB"


def read_upload(data: bytes, file_name: str, kind: Kind) -> Upload:
    """Validate the bytes of a patient or strategy YAML file exactly as the CLI would; a file refused
    before validation says why (not YAML by its name, too large, not text, the other kind of file)."""
    suffix = Path(file_name).suffix.lower()
    if suffix and suffix not in YAML_SUFFIXES:
        return _refused(file_name, f"is a {suffix} file; a {kind} file is YAML text ending in .yaml or .yml")
    if len(data) > MAX_FILE_BYTES:
        return _refused(file_name, f"is {_size(len(data))}; scenario files are limited to {_size(MAX_FILE_BYTES)} "
                                   "(a patient or strategy file is a few kB)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return _refused(file_name, f"not a UTF-8 text file (undecodable byte at position {exc.start}); save it as UTF-8 text")
    try:
        raw = read_yaml(file_name, text=text)
        other = "strategy" if kind == "patient" else "patient"
        found = [key for key in KIND_KEYS[other] if isinstance(raw, dict) and key in raw]
        if found and not any(key in raw for key in KIND_KEYS[kind]):
            return _refused(file_name, f"is a {other} file (it has {found[0]}:), not a {kind} file: load it under {PLACE[other]}")
        references = load_references()
        if kind == "patient":
            return Upload(file_name, patient_from(raw, file_name, references))
        return Upload(file_name, strategy_from(raw, file_name, load_library(), references))
    except ScenarioError as exc:
        return Upload(file_name, None, tuple(exc.issues))


def same_label(label: str) -> str:
    """The form in which two labels count as the same: case, spaces and their runs ignored."""
    return " ".join(label.split()).casefold()


def clash(upload: Upload, bundled: dict[str, Strategy], uploaded: dict[str, Strategy]) -> Upload:
    """``upload`` refused if it takes a bundled strategy's name, or the label of any other strategy
    (strategies are identified by name; a label must tell them apart on every chart and table).
    An upload with the name of an earlier upload replaces it."""
    if not upload.ok:
        return upload
    model, file = upload.model, upload.file_name
    if model.name in bundled:
        return Upload(file, None, (Issue(file, "name", "is the name of a bundled strategy; choose another", model.name),))
    for name, other in {**bundled, **uploaded}.items():
        if name != model.name and same_label(other.label) == same_label(model.label):
            return Upload(file, None, (Issue(file, "label", f"is the label of strategy '{name}'; choose another label", model.label),))
    return upload


def issue_text(issue: Issue) -> str:
    """One issue as Markdown: the field in bold, then the loader's message (file name omitted)."""
    text = str(issue).removeprefix(f"{issue.file}: ")
    if issue.path:
        text = text.removeprefix(f"{issue.path}: ")
        return f"**{issue.path}**: {text}"
    return text
