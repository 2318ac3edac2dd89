"""Per-replication records: the operative course plus complications by time frame, death, ICU days
and hospital stay.

Complication risk (``complications``) is logistic, then a hazard over the days in bed between stages::

    logit p = reference log-odds + sum(log OR_c * x_c) + sum(log OR_e * events_e)
    P       = 1 - (1 - p) * exp(-hazard_per_day * days between stages)

The covariates x_c (``covariates``) come from the simulated course, stage by stage, and the patient.
Each stage's physiological insult enters convexly, ``sum_s max(0, x_s - threshold) ** k`` for the
operative hours and the blood volumes lost in stage s, beside linear cumulative terms over all stages;
each term has its own odds ratio, so the data decide whether splitting an operation lowers risk
(per-stage terms dominate) or raises it (cumulative terms dominate). A type whose baseline is a
cohort average (``cohort``) is centred: its reference log-odds subtract each covariate's cohort mean
times its log odds ratio, so the reference patient is a one-level, cauda-equina resection and levels
are not counted twice.

Death within 2 months combines independent chains: ``P(alive) = (1 - p_other) * prod_e (1 - L_e) **
events_e * (1 - L_major) ** major early complications``; each chain's share of the risk is reported
(``death_risk_*``, per 100) by splitting ``-log P(alive)`` between the chains.

A complication is major when its uniform falls below ``P * major_fraction``, minor when it falls
between that and ``P``: one uniform per type, shared by all strategies, so the same simulated
patient is compared under each plan.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from ..scenario.procedure import MAX_STAGES, Strategy
from ..scenario.records import STAGE_FIELDS
from ..scenario.schema import Scenario
from . import factors, oncology, perioperative
from .operation import Course
from .plan import Plan
from .sampling import Draws


def _logit(p):
    return special.logit(np.clip(p, 1e-12, 1 - 1e-12))


def _is_chest(approach: str) -> bool:
    """An approach that opens the chest or takes the diaphragm down (thoracoabdominal, thoracotomy)."""
    return "thoraco" in approach


@dataclass(frozen=True)
class Approach:
    """What the strategy's exposures imply for the complication model (planned stages)."""

    combined: bool  # posterior and anterior exposures
    chest_opened: bool  # at least one exposure opens the chest
    bilateral_chest_one_stage: bool  # two different chest-opening exposures in one planned stage
    prone_stage: tuple[bool, ...]  # per planned stage: any exposure prone

    @classmethod
    def of(cls, strategy: Strategy) -> Approach:
        approaches = [ex.approach for st in strategy.stages for ex in st.exposures]
        return cls(
            combined=any(a.startswith("posterior") for a in approaches) and any(not a.startswith("posterior") for a in approaches),
            chest_opened=any(_is_chest(a) for a in approaches),
            bilateral_chest_one_stage=any(
                len({ex.approach for ex in st.exposures if _is_chest(ex.approach)}) > 1 for st in strategy.stages
            ),
            prone_stage=tuple(any(ex.position == "prone" for ex in st.exposures) for st in strategy.stages),
        )


def revision_severity(scenario: Scenario) -> float:
    """One factor for previous surgery and scar: the larger of the revision score and the scar score."""
    rs = scenario.parameters.complications.revision_severity
    pt = scenario.patient
    return max(rs.revision.value * pt.revision, rs.scar[pt.scar_severity].value)


def covariates(plan: Plan, grid: np.ndarray, n_stages: np.ndarray, interval_days: np.ndarray) -> dict[str, np.ndarray]:
    """Every covariate of the complication model, one value per replication.

    ``grid`` is [STAGE_FIELDS, R, MAX_STAGES] (zeros for stages not performed); ``n_stages`` [R].
    A performed stage beyond the planned ones (the stop-and-stage rule) takes the position of the
    last planned stage (a simplification: the rule may split a stage that mixes positions).
    """
    sc = plan.scenario
    cm = sc.parameters.complications
    R = len(n_stages)
    strategy = sc.strategy(plan.strategy)
    performed = np.arange(MAX_STAGES)[None, :] < n_stages[:, None]
    hours = grid[0] / 60.0
    blood_volumes = grid[3] / plan.blood.ebv_ml
    ins = cm.stage_insult
    k = ins.convexity.value
    stage_ml_kg = grid[4] * plan.blood.dose_ml / sc.patient.weight_kg
    massive_ml_kg = sc.parameters.transfusion.massive_transfusion_ml_per_kg.value
    approach = Approach.of(strategy)
    planned = np.minimum(np.arange(MAX_STAGES), len(approach.prone_stage) - 1)
    prone = np.array(approach.prone_stage)[planned][None, :] & performed
    anaesthesia_h = grid[1] / 60.0
    levels = sc.patient.level_list

    def const(v: float) -> np.ndarray:
        return np.full(R, float(v))

    return {
        "stage_hours_insult": (np.maximum(0.0, hours - ins.threshold_hours.value) ** k * performed).sum(axis=1),
        "stage_blood_insult": (np.maximum(0.0, blood_volumes - ins.threshold_blood_volumes.value) ** k * performed).sum(axis=1),
        "cumulative_operative_hours": hours.sum(axis=1) - cm.reference_operative_hours.value,
        "cumulative_blood_volumes": blood_volumes.sum(axis=1) - cm.reference_blood_volumes.value,
        "revision_severity": const(revision_severity(sc)),
        "more_than_two_levels": const(len(levels) > 2),
        "cord_level": const(any(lv in cm.cord_levels for lv in levels)),
        "staged": (n_stages > 1).astype(float),
        "transfused": (grid[4].sum(axis=1) > 0).astype(float),
        "massive_transfusion": (stage_ml_kg > massive_ml_kg).any(axis=1).astype(float),
        "combined_approach": const(approach.combined),
        "chest_opened": const(approach.chest_opened),
        "bilateral_chest_one_stage": const(approach.bilateral_chest_one_stage),
        "longest_prone_anaesthetic_hours": np.where(prone, anaesthesia_h, 0.0).max(axis=1) - cm.reference_operative_hours.value,
        "interval_days": np.asarray(interval_days, dtype=float),
        **factors.covariates(sc, strategy, R),
    }


def reference_logit(scenario: Scenario, key: str) -> float:
    """Log-odds of type ``key`` at zero covariates: the (child) baseline, centred on its cohort's means.

    A child's early type without a child baseline takes the adult one times ``child_early_odds_ratio``
    (a transfer from adults, calibrated to the paediatric en bloc series)."""
    cm = scenario.parameters.complications
    ct = cm.types[key]
    child = scenario.is_child and ct.baseline_child is not None
    lp = float(_logit((ct.baseline_child if child else ct.baseline).value))
    if ct.cohort is not None and not child:
        means = cm.cohorts[ct.cohort]
        lp -= sum(np.log(ratio.value) * means[c].value for c, ratio in ct.odds_ratios.items() if c in means)
        cf = scenario.parameters.complication_factors
        factor_means = cf.cohorts.get(ct.cohort, {})
        lp -= sum(np.log(r.value) * factor_means[c].value for c, r in cf.types.get(key, {}).items() if c in factor_means)
    transferred = scenario.is_child and not child and ct.period == "early" and key != cm.death_type
    if transferred and cm.child_early_odds_ratio is not None:
        lp += float(np.log(cm.child_early_odds_ratio.value))
    return lp


def risk(
    scenario: Scenario, key: str, x: dict[str, np.ndarray], events: np.ndarray, event_names, shift: np.ndarray | float = 0.0
) -> np.ndarray:
    """Probability of complication ``key`` (before any death chains) for each replication; ``shift``
    is added to its log-odds (calibrated parameters and the centre effect, ``Draws.complication_shift``)."""
    ct = scenario.parameters.complications.types[key]
    lp = reference_logit(scenario, key) + shift + np.zeros(len(x["staged"]))
    for cov, ratio in (*ct.odds_ratios.items(), *scenario.parameters.complication_factors.types.get(key, {}).items()):
        lp = lp + np.log(ratio.value) * x[cov]
    for ev, ratio in ct.per_event.items():
        lp = lp + np.log(ratio.value) * events[:, list(event_names).index(ev)]
    p = special.expit(lp)
    if ct.hazard_per_day_between_stages is not None:
        p = 1.0 - (1.0 - p) * np.exp(-ct.hazard_per_day_between_stages.value * x["interval_days"])
    return p


def death_chains(scenario: Scenario, p_other: np.ndarray, events: np.ndarray, event_names, n_major: np.ndarray) -> dict[str, np.ndarray]:
    """Death risk per chain (probabilities that add up to the total): other causes, intra-operative
    injuries, major complications. The split is by each chain's share of ``-log P(alive)``."""
    dc = scenario.parameters.complications.death
    log_alive = {
        "other_causes": np.log1p(-np.clip(p_other, 0.0, 1.0 - 1e-12)),
        "injury": sum(
            (np.log1p(-lethality.value) * events[:, list(event_names).index(ev)] for ev, lethality in dc.lethality_per_event.items()),
            np.zeros(len(p_other)),
        ),
        "major_complication": np.log1p(-dc.lethality_per_major_complication.value) * n_major,
    }
    total = sum(log_alive.values())
    p_death = -np.expm1(total)
    share = np.divide(p_death, total, out=np.zeros_like(p_death), where=total < 0)
    return {chain: share * la for chain, la in log_alive.items()}


def _severity(u: np.ndarray, p: np.ndarray, major_fraction: float) -> np.ndarray:
    return np.where(u < p * major_fraction, 2, np.where(u < p, 1, 0))


def complications(
    plan: Plan, draws: Draws, x: dict[str, np.ndarray], events: np.ndarray
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Severity per type (0 none, 1 minor, 2 major), columns ``complication_<key>``, and the death
    risk of each chain (``death_chains``). Death comes last: it depends on the early major complications."""
    sc = plan.scenario
    cm = sc.parameters.complications
    keys = list(cm.types)
    out: dict[str, np.ndarray] = {}
    for t, key in enumerate(keys):
        if key != cm.death_type:
            ct = cm.types[key]
            p = risk(sc, key, x, events, plan.event_names, draws.complication_shift[:, t])
            out[key] = _severity(draws.complication_u[:, t], p, ct.major_fraction.value)
    n_major = sum((out[k] == 2 for k in out if cm.types[k].period == "early"), np.zeros(len(events), dtype=np.int64))
    d = keys.index(cm.death_type)
    p_other = risk(sc, cm.death_type, x, events, plan.event_names, draws.complication_shift[:, d])
    chains = death_chains(sc, p_other, events, plan.event_names, n_major)
    out[cm.death_type] = _severity(draws.complication_u[:, d], sum(chains.values()), cm.types[cm.death_type].major_fraction.value)
    return {f"complication_{k}": out[k] for k in keys}, chains


def assemble(plan: Plan, draws: Draws, courses: list[Course]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Records (one row per replication) and stage rows (one per replication and stage)."""
    sc = plan.scenario
    p = sc.parameters
    cm = p.complications
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
    interval = np.array([c.interval_days for c in courses], dtype=float)
    x = covariates(plan, grid, n_st, interval)
    comp, chains = complications(plan, draws, x, events)
    early = [f"complication_{k}" for k, ct in cm.types.items() if ct.period == "early" and k != cm.death_type]
    late = [f"complication_{k}" for k, ct in cm.types.items() if ct.period == "late"]
    sev = np.array([comp[k] for k in early]).reshape(len(early), R)
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
        + p.stay.ward_days_per_day_between_stages.value * interval
    )
    gaps = np.where(np.arange(MAX_STAGES - 1)[None, :] < (n_st - 1)[:, None], draws.interval_days, 0.0)
    last_icu = icu_stage[np.arange(R), n_st - 1]
    last_operation_day = np.maximum(gaps, icu_stage[:, : MAX_STAGES - 1]).sum(axis=1)
    los = last_operation_day + last_icu + ward

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
            "rbc_ml_per_kg": units * unit_ml / weight,
            "massive_transfusion": stage_massive.any(axis=1),
            "lowest_hb_g_dl": [c.lowest_hb_g_dl for c in courses],
            "anaesthetics": n_st,
            "planned_stages": plan.n_planned_stages,
            "converted_to_staged": [c.converted_to_staged for c in courses],
            "interval_days": interval,
            **{f"event_{k}": events[:, e] for e, k in enumerate(plan.event_names)},
            "any_intraoperative_event": events.sum(axis=1) > 0,
            **comp,
            "any_complication": (n_major + n_minor) > 0,
            "any_major_complication": n_major > 0,
            "major_complications": n_major,
            "minor_complications": n_minor,
            "any_late_complication": np.array([comp[k] for k in late]).reshape(len(late), R).any(axis=0),
            "death": comp[f"complication_{cm.death_type}"] > 0,
            **{f"death_risk_{chain}": 100.0 * v for chain, v in chains.items()},
            "icu_days": icu_stage.sum(axis=1),
            "los_days": los + factors.extra_stay_days(sc, sc.strategy(plan.strategy)),  # embolisation: before surgery
            **oncology.record_columns(sc, sc.strategy(plan.strategy), draws, comp, los, last_operation_day),
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
