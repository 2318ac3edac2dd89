"""Uploaded or pasted YAML -> a validated ``Patient`` or ``Strategy``, or the loader's issues.

Validation is the CLI's: ``simulation.loader.read_yaml`` (size limit, YAML syntax),
``patient_from`` and ``strategy_from`` (schema, sources, phase library). Nothing here checks a
field of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from simulation import Patient, ScenarioError, Strategy
from simulation.scenario.errors import Issue
from simulation.scenario.loader import (
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


def read_upload(data: bytes, file_name: str, kind: Kind) -> Upload:
    """Validate the bytes of a patient or strategy YAML file exactly as the CLI would."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Upload(file_name, None, (Issue(file_name, "", f"not a UTF-8 text file (undecodable byte at position {exc.start})"),))
    try:
        raw = read_yaml(file_name, text=text)
        references = load_references()
        if kind == "patient":
            return Upload(file_name, patient_from(raw, file_name, references))
        return Upload(file_name, strategy_from(raw, file_name, load_library(), references))
    except ScenarioError as exc:
        return Upload(file_name, None, tuple(exc.issues))


def issue_text(issue: Issue) -> str:
    """One issue as Markdown: the field in bold, then the loader's message (file name omitted)."""
    text = str(issue).removeprefix(f"{issue.file}: ")
    if issue.path:
        text = text.removeprefix(f"{issue.path}: ")
        return f"**{issue.path}**: {text}"
    return text
