"""Per-replication records: the operative course plus complications, ICU days and hospital stay.

The post-operative risk models are logistic: ``logit p = logit(baseline) + sum(log OR * x)``,
with covariates taken from the simulated course (operative hours and blood volumes lost above
the reference, transfusion, extra stages, intra-operative events) and the patient (revision,
more than two levels). A complication is major when its uniform falls below
``p * major_fraction``, minor when it falls between that and ``p``: one uniform per type,
shared by all strategies, so the same simulated patient is compared under each plan.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

from ..scenario.procedure import MAX_STAGES
from ..scenario.records import STAGE_FIELDS
from . import perioperative
from .operation import Course
from .plan import Plan
from .sampling import Draws


def _logit(p):
    return special.logit(np.clip(p, 1e-12, 1 - 1e-12))


def complications(plan: Plan, draws: Draws, x: dict[str, np.ndarray], events: np.ndarray) -> dict[str, np.ndarray]:
    """Severity per type (0 none, 1 minor, 2 major), columns ``complication_<key>``."""
    sc = plan.scenario
    cm = sc.parameters.complications
    child = sc.is_child
    out = {}
    for t, (key, ct) in enumerate(cm.types.items()):
        base = ct.baseline_child if child and ct.baseline_child else ct.baseline
        lp = np.full(len(draws.replications), _logit(base.value))
        for cov, ratio in ct.odds_ratios.items():
            lp += np.log(ratio.value) * x[cov]
        for ev, ratio in ct.per_event.items():
            lp += np.log(ratio.value) * events[:, plan.event_names.index(ev)]
        p = special.expit(lp)
        u = draws.complication_u[:, t]
        out[f"complication_{key}"] = np.where(u < p * ct.major_fraction.value, 2, np.where(u < p, 1, 0))
    return out


def assemble(plan: Plan, draws: Draws, courses: list[Course]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Records (one row per replication) and stage rows (one per replication and stage)."""
    sc = plan.scenario
    p = sc.parameters
    R = len(courses)
    n_st = np.array([len(c.stages) for c in courses])
    grid = np.zeros((len(STAGE_FIELDS), R, MAX_STAGES))
    for i, c in enumerate(courses):
        for s, st in enumerate(c.stages):
            grid[:, i, s] = (st.operative_min, st.anaesthesia_min, st.or_min, st.blood_loss_ml, st.rbc_units)
    op, an, orr, bl, units = grid.sum(axis=2)
    ebv, weight, unit_ml = plan.blood.ebv_ml, sc.patient.weight_kg, plan.blood.dose_ml
    massive_ml_kg = p.transfusion.massive_transfusion_ml_per_kg.value
    events = np.array([c.event_counts for c in courses]).reshape(R, len(plan.event_names))
    rbc_ml_kg = units * unit_ml / weight
    massive = rbc_ml_kg > massive_ml_kg
    cm = p.complications
    x = {
        "per_operative_hour": op / 60.0 - cm.reference_operative_hours.value,
        "per_blood_volume_lost": bl / ebv - cm.reference_blood_volumes.value,
        "revision": np.full(R, float(sc.patient.revision)),
        "more_than_two_levels": np.full(R, float(len(sc.patient.level_list) > 2)),
        "per_extra_stage": n_st - 1.0,
        "transfused": (units > 0).astype(float),
        "massive_transfusion": massive.astype(float),
    }
    comp = complications(plan, draws, x, events)
    sev = np.array(list(comp.values()))
    n_major, n_minor = (sev == 2).sum(axis=0), (sev == 1).sum(axis=0)

    icu = p.icu
    mix = draws.stay_x
    stage_massive = grid[4] * unit_ml / weight > massive_ml_kg
    lp = (
        _logit(icu.admission.value)
        + np.log(icu.odds_ratios["per_blood_volume_lost"].value) * (grid[3] / ebv - cm.reference_blood_volumes.value)
        + np.log(icu.odds_ratios["massive_transfusion"].value) * stage_massive
        + np.log(icu.odds_ratios["major_complication"].value) * (n_major > 0)[:, None]
    )
    admitted = special.ndtr(draws.stay_z[:, :MAX_STAGES]) < special.expit(lp)
    performed = np.arange(MAX_STAGES)[None, :] < n_st[:, None]
    icu_stage = np.where(admitted & performed, icu.days_if_admitted.ppf_normal(mix[:, MAX_STAGES : 2 * MAX_STAGES]), 0.0)
    ward = (
        p.stay.ward_days.ppf_normal(mix[:, 2 * MAX_STAGES])
        + p.stay.extra_days_major.value * n_major
        + p.stay.extra_days_minor.value * n_minor
    )
    gaps = np.where(np.arange(MAX_STAGES - 1)[None, :] < (n_st - 1)[:, None], draws.interval_days, 0.0)
    last_icu = icu_stage[np.arange(R), n_st - 1]
    los = np.maximum(gaps, icu_stage[:, : MAX_STAGES - 1]).sum(axis=1) + last_icu + ward

    records = pd.DataFrame(
        {
            "strategy": plan.strategy,
            "replication": draws.replications,
            "operative_time_min": op,
            "anaesthesia_time_min": an,
            "longest_anaesthetic_min": grid[1].max(axis=1),
            "or_time_min": orr,
            "blood_loss_ml": bl,
            "blood_loss_bv": bl / ebv,
            **perioperative.record_columns(courses),
            "rbc_units": units.astype(np.int64),
            "rbc_ml_per_kg": rbc_ml_kg,
            "massive_transfusion": massive,
            "lowest_hb_g_dl": [c.lowest_hb_g_dl for c in courses],
            "anaesthetics": n_st,
            "planned_stages": plan.n_planned_stages,
            "converted_to_staged": [c.converted_to_staged for c in courses],
            "interval_days": [c.interval_days for c in courses],
            **{f"event_{k}": events[:, e] for e, k in enumerate(plan.event_names)},
            **comp,
            "any_complication": (n_major + n_minor) > 0,
            "any_major_complication": n_major > 0,
            "major_complications": n_major,
            "minor_complications": n_minor,
            "death": comp.get("complication_death", np.zeros(R)) > 0,
            "icu_days": icu_stage.sum(axis=1),
            "los_days": los,
        }
    )
    rows, cols = np.nonzero(performed)
    stages = pd.DataFrame(
        {
            "strategy": plan.strategy,
            "replication": draws.replications[rows],
            "stage": cols + 1,
            **{f: grid[k, rows, cols] for k, f in enumerate(STAGE_FIELDS)},
            **perioperative.stage_columns(courses),
        }
    )
    stages["rbc_units"] = stages["rbc_units"].astype(np.int64)
    return records, stages
