"""What a plan may not be offered for, and what is certain: contraindications and the planned deficit.

Both are deterministic functions of the scenario inputs (no simulation): the views and the CLI show
them beside the simulated risks. The root-to-function table is standard myotome anatomy (an
assumption stated here, not a figure from the evidence register); what a family is told is the
expected deficit of roots cut on purpose, not a probability.
"""

from __future__ import annotations

from .patient import Patient
from .procedure import Condition, Strategy

# Motor function carried mainly by each root (textbook myotomes; assumption). Thoracic roots T2-T12
# supply the trunk only: cutting them leaves a band of numbness and no limb weakness.
ROOT_FUNCTION = {
    "C5": "shoulder abduction and elbow flexion", "C6": "wrist extension", "C7": "elbow extension",
    "C8": "finger flexion", "T1": "hand intrinsic muscles",
    "L1": "hip flexion (part)", "L2": "hip flexion", "L3": "knee extension (quadriceps)",
    "L4": "knee extension and ankle dorsiflexion", "L5": "ankle and big-toe dorsiflexion (foot drop)",
    "S1": "ankle plantar flexion", "S2": "bladder, bowel and sexual function (with S3-S4)",
    "S3": "bladder, bowel and sexual function", "S4": "bladder, bowel and sexual function",
}
# Roots whose loss makes a walking aid or orthosis likely at first (quadriceps, dorsiflexion, push-off).
WALKING_ROOTS = frozenset({"L3", "L4", "L5", "S1"})


def has_condition(patient: Patient, condition: Condition) -> bool:
    """Whether the patient has a contraindicating condition."""
    if condition == "heavy_scar":
        return patient.scar_severity == "heavy"
    if condition == "more_than_two_levels":
        return len(patient.level_list) > 2
    return bool(getattr(patient, condition))


def contraindications(strategy: Strategy, patient: Patient) -> list[str]:
    """The reasons this plan would not be offered to this patient (empty if none); it still runs."""
    return [c.reason for c in strategy.contraindications if has_condition(patient, c.when)]


def planned_deficit(patient: Patient) -> list[str]:
    """The certain consequences of the roots cut on purpose (empty when none are cut), one line each."""
    if patient.roots_sacrificed == "none":
        return []
    side = "on both sides" if patient.roots_sacrificed == "both sides" else "on one side"
    lines = []
    for level in patient.level_list:
        what = ROOT_FUNCTION.get(level, "trunk sensation only (a band of numbness)")
        lines.append(f"{level} root cut {side}: weakness or loss of {what}" if level in ROOT_FUNCTION
                     else f"{level} root cut {side}: {what}")
    if WALKING_ROOTS & set(patient.level_list):
        lines.append("A walking aid (frame, crutches or orthosis) is to be expected, at least at first.")
    return lines
