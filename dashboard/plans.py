"""The plan editor's model: a strategy as rows (one per exposure) and back to a strategy file.

A row is (stage, order, approach, label, position, phases), ``phases`` a comma-separated list of
phase-library ids; ``raw_plan`` builds the mapping a strategy YAML file holds and ``check_plan``
validates it with the CLI's loader (``strategy_from``), so the editor refuses what the CLI refuses.
Phase overrides of the starting plan (``{use: id, label: ..., scales_with: ...}``) are kept for
the phases that stay in an exposure of the same label, and an exposure's labels for the patient
(``label_when``: "Left thoracoabdominal (revision)" for a revision) for an exposure that keeps its label.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import yaml

from simulation import Strategy, bundled
from simulation.scenario.loader import load_library, load_references, read_yaml, strategy_from

COLUMNS = ("stage", "order", "approach", "label", "position", "phases")
FILE = "plan editor"


def rows(strategy: Strategy) -> pd.DataFrame:
    """One row per exposure, in plan order."""
    out = []
    for i, stage in enumerate(strategy.stages, 1):
        for j, ex in enumerate(stage.exposures, 1):
            out.append({"stage": i, "order": j, "approach": ex.approach, "label": ex.label, "position": ex.position,
                        "phases": ", ".join(ph.id for ph in ex.phases)})
    return pd.DataFrame(out, columns=list(COLUMNS))


def overrides(name: str) -> dict[tuple[str, str], dict]:
    """(exposure label, phase id) -> the starting plan's override entry (``{use: ..., ...}``), following
    ``extends``: the same phase may be changed in one exposure and not in another."""
    found: dict[tuple[str, str], dict] = {}
    files = bundled("strategies")
    while name in files:
        raw = read_yaml(files[name])
        for stage in raw.get("stages") or []:
            for ex in stage.get("exposures") or []:
                for entry in ex.get("phases") or []:
                    if isinstance(entry, dict) and "use" in entry:
                        found.setdefault((ex.get("label", ""), entry["use"]), entry)
        name = raw.get("extends")
    return found


def exposure_labels(strategy: Strategy) -> dict[str, dict[str, str]]:
    """Exposure label -> its ``label_when`` (the label for a patient with a condition), where it has one."""
    return {ex.label: dict(ex.label_when) for stage in strategy.stages for ex in stage.exposures if ex.label_when}


def raw_plan(table: pd.DataFrame, name: str, label: str, description: str, kept: dict[tuple[str, str], dict],
             interval: tuple[float, str] | None, rule: dict | None,
             label_when: dict[str, dict[str, str]] | None = None) -> dict[str, Any]:
    """The strategy file for the edited rows (stages in ``stage`` order, exposures in ``order``);
    ``label_when``: ``exposure_labels`` of the starting plan."""
    stages = []
    clean = table.dropna(subset=["stage"]).copy()
    clean["stage"] = clean.stage.astype(int)
    for k, (_, group) in enumerate(clean.sort_values(["stage", "order"], kind="stable").groupby("stage", sort=True), 1):
        exposures = []
        for r in group.itertuples():
            ids = [p.strip() for p in str(r.phases or "").split(",") if p.strip()]
            exposure = {"approach": str(r.approach or ""), "label": str(r.label or "")}
            if when := (label_when or {}).get(exposure["label"]):
                exposure["label_when"] = when
            exposures.append({**exposure, "position": str(r.position or ""),
                              "phases": [kept.get((exposure["label"], i), i) for i in ids]})
        stages.append({"label": f"Stage {k}" if clean.stage.nunique() > 1 else "Single stage", "exposures": exposures})
    data: dict[str, Any] = {"name": name, "label": label, "description": description, "stages": stages}
    if interval is not None:
        data["interval_days"] = {"dist": "fixed", "value": interval[0], "assumption": interval[1]}
    if rule is not None:
        data["stop_and_stage"] = rule
    return data


def check_plan(data: dict[str, Any]) -> Strategy:
    """Validate like ``resectsim check`` (``ScenarioError`` with file, field and value otherwise)."""
    return strategy_from(data, FILE, load_library(), load_references())


def to_yaml(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110)
