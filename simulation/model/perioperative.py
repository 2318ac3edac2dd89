"""Record and stage-row columns of the peri-operative blood course and of where stages ended.

``outcomes.assemble`` passes these through; the columns are declared in ``scenario.records``
(``RESULT_FIELDS``, ``PERIOPERATIVE_STAGE_FIELDS``, ``STAGE_END_FIELDS``).
"""

from __future__ import annotations

import numpy as np

from ..scenario.records import PERIOPERATIVE_STAGE_FIELDS, STAGE_END_FIELDS
from .operation import Course

_RECORDED = {  # record column -> StageCourse field summed over stages
    "ebl_ml": "ebl_ml",
    "postop_blood_loss_ml": "postop_blood_loss_ml",
    "plasma_units": "plasma_units",
    "platelet_doses": "platelet_doses",
    "fibrinogen_doses": "fibrinogen_doses",
    "salvaged_ml": "salvaged_ml",
    "alerts": "alerts",
}


def record_columns(courses: list[Course]) -> dict[str, np.ndarray]:
    """One value per replication: totals over stages (added stage by stage, as ``sum`` adds), whether
    any stage was coagulopathic, and whether a stop-and-stage trigger fired."""
    stages = range(max(len(c.stages) for c in courses))
    out = {}
    for col, f in _RECORDED.items():
        total = 0
        for k in stages:
            total = total + np.array([getattr(c.stages[k], f) if k < len(c.stages) else 0 for c in courses])
        out[col] = total
    for col in ("plasma_units", "platelet_doses", "fibrinogen_doses", "alerts"):
        out[col] = out[col].astype(np.int64)
    out["coagulopathy"] = np.array([any(st.coagulopathic for st in c.stages) for c in courses], dtype=bool)
    out["stop_rule_triggered"] = np.array([c.rule_triggered for c in courses], dtype=bool)
    return out


def stage_columns(courses: list[Course]) -> dict[str, list]:
    """One value per (replication, stage), replications then stages in order (as the stage rows)."""
    return {f: [getattr(st, f) for c in courses for st in c.stages] for f in (*PERIOPERATIVE_STAGE_FIELDS, *STAGE_END_FIELDS)}
