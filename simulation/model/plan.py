"""Compile (scenario, strategy) into a flat operative plan with the patient's modifiers applied.

This is pure and deterministic: the multipliers and event rates a patient's revision status,
scarring, vessel adhesion, psoas extension, levels and implants imply, computed once per
strategy, so the replication loop only has to draw and simulate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

from ..scenario.distributions import Distribution
from ..scenario.parameters import Modifier
from ..scenario.procedure import MAX_EVENT_PROBABILITY, Phase, Strategy
from ..scenario.schema import Scenario
from . import factors


@dataclass(frozen=True)
class PlannedPhase:
    """A phase as this patient will meet it."""

    stage: int  # planned stage index, 0-based (-1 for the phases an unplanned break adds)
    exposure: str  # exposure label
    approach: str  # exposure approach, e.g. posterior_midline ("" for unplanned-break phases)
    label: str
    phase: Phase
    duration_multiplier: float
    bleeding_multiplier: float
    event_rates: tuple[tuple[str, float], ...]  # (event key, expected count per phase)

    @property
    def event_probabilities(self) -> tuple[tuple[str, float], ...]:
        """(event key, probability of at least one in this phase) for this patient."""
        return tuple((name, -math.expm1(-rate)) for name, rate in self.event_rates)


@dataclass(frozen=True)
class BloodPolicy:
    """The patient's blood volume and the transfusion and haemostasis policy as the model uses them."""

    ebv_ml: float  # estimated blood volume, mL
    dose_ml: float  # one transfused unit, or a child's aliquot of it, mL
    baseline_hb_g_dl: float
    trigger_hb_g_dl: float  # of the patient's age group
    target_hb_g_dl: float  # of the patient's age group
    unit_rise_g_dl: float  # Hb rise per unit: (dose mL / kg) * Hct / 3 (Davies 2007)
    hb_rise_per_ml_red_cells: float  # g/dL per mL of red cells at the unit haematocrit (salvage returns)
    active_bleeding_ml_per_min: float  # at or above: active haemorrhage, anticipate the trigger
    anticipation_min: float
    pre_stage_hb_g_dl: float
    postop_loss_max_ml: float
    iron_rise_g_dl_per_day: float
    salvage: bool
    salvage_min_collected_ml: float
    salvage_processing_min: float
    plasma_after_ml: float  # coagulopathy proxy thresholds as mL of unmatched loss
    plasma_units_per_dose: int
    plasma_per_red_cell: float
    plasma_thaw_min: float
    fibrinogen_after_ml: float
    fibrinogen_covers_ml: float
    platelets_every_ml: float
    coagulopathy_after_ml: float
    coagulopathy_multiplier: float
    units_in_theatre: int
    units_per_delivery: int
    reorder_level_units: int

    @cached_property
    def haemostasis_from_ml(self) -> float:
        """Stage loss below which no haemostasis threshold can be reached (unmatched loss is at most the loss), mL."""
        return min(self.plasma_after_ml, self.fibrinogen_after_ml, self.coagulopathy_after_ml, self.platelets_every_ml)

    @classmethod
    def of(cls, scenario: Scenario, strategy: Strategy | None = None) -> BloodPolicy:
        """The centre's policy (parameters.transfusion), with the strategy's own cell salvage and blood
        stock where it sets them."""
        tp = scenario.parameters.transfusion
        pol = strategy.policies if strategy is not None else None
        hs, cs = tp.haemostasis, tp.cell_salvage
        ebv, weight = scenario.blood_volume_ml, scenario.patient.weight_kg
        group = "" if scenario.is_child else "adult_"
        dose = scenario.red_cell_dose_ml
        hct = tp.unit_haematocrit.value
        return cls(
            ebv_ml=ebv,
            dose_ml=dose,
            baseline_hb_g_dl=scenario.patient.baseline_hb_g_dl,
            trigger_hb_g_dl=getattr(tp, f"{group}trigger_hb_g_dl").value,
            target_hb_g_dl=getattr(tp, f"{group}target_hb_g_dl").value,
            unit_rise_g_dl=dose / weight * hct / 3.0,
            hb_rise_per_ml_red_cells=1.0 / weight / 3.0,
            active_bleeding_ml_per_min=tp.active_bleeding_ml_per_kg_h.value * weight / 60.0,
            anticipation_min=tp.anticipation_min.value,
            pre_stage_hb_g_dl=tp.pre_stage_hb_g_dl.value,
            postop_loss_max_ml=tp.postop_loss_max_blood_volumes.value * ebv,
            iron_rise_g_dl_per_day=tp.iron_rise_g_dl_per_day.value,
            salvage=cs.enabled if pol is None or pol.cell_salvage is None else pol.cell_salvage,
            salvage_min_collected_ml=cs.min_collected_ml.value,
            salvage_processing_min=cs.processing_min.value,
            plasma_after_ml=hs.plasma_after_blood_volumes.value * ebv,
            plasma_units_per_dose=max(1, math.ceil(hs.plasma_dose_ml_per_kg.value * weight / dose - 1e-9)),
            plasma_per_red_cell=hs.plasma_to_red_cell_ratio.value,
            plasma_thaw_min=hs.plasma_thaw_min.value,
            fibrinogen_after_ml=hs.fibrinogen_after_blood_volumes.value * ebv,
            fibrinogen_covers_ml=hs.fibrinogen_covers_blood_volumes.value * ebv,
            platelets_every_ml=hs.platelets_after_blood_volumes.value * ebv,
            coagulopathy_after_ml=hs.coagulopathy_after_blood_volumes.value * ebv,
            coagulopathy_multiplier=hs.coagulopathy_bleeding_multiplier.value,
            units_in_theatre=int(tp.units_in_theatre.value if pol is None or pol.units_in_theatre is None
                                 else pol.units_in_theatre),
            units_per_delivery=int(tp.units_per_delivery.value if pol is None or pol.units_per_delivery is None
                                   else pol.units_per_delivery),
            reorder_level_units=int(tp.reorder_level_units.value),
        )


@dataclass(frozen=True, eq=False)
class Plan:
    """Everything one strategy's simulation needs, already adjusted for the patient."""

    strategy: str
    phases: tuple[PlannedPhase, ...]
    restage_phases: tuple[PlannedPhase, ...]
    n_planned_stages: int
    max_stages: int  # planned stages plus one if a stop-and-stage rule may add one
    event_names: tuple[str, ...]
    scenario: Scenario
    interval_days: Distribution  # days between stages
    blood: BloodPolicy
    rule_max_blood_volumes: float  # inf when no rule
    rule_max_minutes: float  # inf when no rule
    rule_max_unmatched_blood_volumes: float  # coagulopathy proxy limit; inf when none
    rule_on_alert: bool
    restage_by_approach: dict  # approach -> (close, prep, reopen) indices into all_phases

    @cached_property
    def has_rule(self) -> bool:
        limits = (self.rule_max_blood_volumes, self.rule_max_minutes, self.rule_max_unmatched_blood_volumes)
        return self.rule_on_alert or any(math.isfinite(v) for v in limits)

    @cached_property
    def all_phases(self) -> tuple[PlannedPhase, ...]:
        """Planned phases followed by the phases an unplanned restaging adds."""
        return self.phases + self.restage_phases

    @cached_property
    def starts_stage(self) -> tuple[bool, ...]:
        """Whether each planned phase opens a new planned stage (after the first)."""
        return tuple(j > 0 and p.stage != self.phases[j - 1].stage for j, p in enumerate(self.phases))

    @cached_property
    def resume_at(self) -> tuple[int | None, ...]:
        """For each planned phase, the planned phase an unplanned break after it resumes with: the next
        one, past any repositioning (the new stage's prep replaces it); None if the stage ends anyway."""
        out: list[int | None] = []
        for j, p in enumerate(self.phases):
            k = j + 1
            while k < len(self.phases) and self.phases[k].stage == p.stage and self.phases[k].phase.repositions:
                k += 1
            out.append(k if k < len(self.phases) and self.phases[k].stage == p.stage else None)
        return tuple(out)

    @cached_property
    def may_stop_after(self) -> tuple[bool, ...]:
        """Whether the stop-and-stage rule may end the stage after each planned phase: the strategy has
        a rule, the phase is a safe break point, and more of the same stage follows."""
        return tuple(
            self.has_rule and p.phase.stage_break_allowed and self.resume_at[j] is not None
            for j, p in enumerate(self.phases)
        )

    def restage_after(self, j: int) -> tuple[int, ...]:
        """Indices (into ``all_phases``) of the phases an unplanned break after planned phase ``j`` adds:
        close the wound of phase ``j``; in the new stage, prep for the phase it resumes with, and reopen
        if that phase carries on in the same wound."""
        nxt = self.phases[self.resume_at[j]]
        here = self.phases[j]
        close = self.restage_by_approach[here.approach][0]
        prep, reopen = self.restage_by_approach[nxt.approach][1:]
        same_wound = nxt.exposure == here.exposure and nxt.approach == here.approach
        return (close, prep, reopen) if same_wound else (close, prep)

    @cached_property
    def alert_probabilities(self) -> tuple[float, ...]:
        """Probability of an intra-operative alert in each phase of ``all_phases``."""
        return tuple(p.phase.alert.value if p.phase.alert else 0.0 for p in self.all_phases)

    @cached_property
    def names(self) -> tuple[str, ...]:
        """``'exposure: phase'`` for each phase of ``all_phases`` (where a stage ended)."""
        return tuple(f"{p.exposure}: {p.label}" for p in self.all_phases)

    @cached_property
    def operative(self) -> tuple[bool, ...]:
        """Whether each phase of ``all_phases`` counts as operative (skin-to-skin) time."""
        return tuple(not p.phase.before_incision for p in self.all_phases)

    @cached_property
    def event_slots(self) -> tuple[tuple[int, int, float], ...]:
        """(phase index, event index, expected count) over ``all_phases``."""
        return tuple(
            (j, self.event_names.index(name), rate)
            for j, p in enumerate(self.all_phases)
            for name, rate in p.event_rates
        )

    @cached_property
    def slots_by_phase(self) -> tuple[tuple[int, ...], ...]:
        """Indices into ``event_slots`` for each phase of ``all_phases``."""
        return tuple(
            tuple(s for s, (k, _, _) in enumerate(self.event_slots) if k == j) for j in range(len(self.all_phases))
        )


def modifier_exposures(scenario: Scenario) -> dict[str, tuple[Modifier, float]]:
    """For each modifier family, the modifier and how many times it applies to this patient
    (region, vascularity and tumour volume: ``factors.patient_exposures``)."""
    pt, mods = scenario.patient, scenario.parameters.modifiers
    found = {
        "revision": (mods.revision, float(pt.revision)),
        "vessel_adhesion": (mods.vessel_adhesion, float(pt.great_vessel_adhesion)),
        "psoas_extension": (mods.psoas_extension, float(pt.psoas_extension)),
        "levels": (mods.per_extra_level, len(pt.level_list) - mods.reference_levels.value),
        "implants": (mods.per_implant_level, len(pt.implant_levels) - mods.reference_levels.value),
        factors.BODY_SIZE: (mods.per_doubling_blood_volume, math.log2(scenario.blood_volume_ml / mods.reference_blood_volume_ml.value)),
    }
    if pt.scar_severity != "none":
        found["scar"] = (mods.scar[pt.scar_severity], 1.0)
    return {**found, **factors.patient_exposures(scenario)}


def _patient_label(labels: dict[str, str], default: str, exposures: dict[str, tuple[Modifier, float]]) -> str:
    """The label for this patient: the first ``label_when`` condition the patient has, else ``default``."""
    return next((text for cond, text in labels.items() if exposures.get(cond, (None, 0.0))[1] > 0), default)


def _with_odds(p: float, odds_ratio: float) -> float:
    """``p`` (below 1, as EventRisk guarantees) with its odds multiplied by ``odds_ratio``."""
    odds = odds_ratio * p / (1.0 - p)
    return odds / (1.0 + odds)


def _plan_phase(
    phase: Phase, stage: int, exposure: str, approach: str, exposures: dict[str, tuple[Modifier, float]]
) -> PlannedPhase:
    """``phase`` with the multipliers and event odds of the modifiers it lists in ``scales_with``, the
    embolisation where it scales with vascularity, and what acts on every phase (``factors.EVERY_PHASE``)."""
    dur = bleed = 1.0
    odds: dict[str, float] = {}
    with_policy = (factors.WITH_VASCULARITY,) if "vascularity" in phase.scales_with else ()
    for family in (*phase.scales_with, *with_policy, *factors.EVERY_PHASE):
        if family not in exposures:
            continue
        mod, times = exposures[family]
        dur *= mod.duration.value ** times if mod.duration else 1.0
        bleed *= mod.bleeding.value ** times if mod.bleeding else 1.0
        for ev, ratio in mod.event_odds.items():
            odds[ev] = odds.get(ev, 1.0) * ratio.value**times
    rates = []
    for risk in phase.events:
        p = min(_with_odds(risk.probability.value, odds.get(risk.event, 1.0)), MAX_EVENT_PROBABILITY)
        rates.append((risk.event, -math.log1p(-p)))  # Poisson mean with P(at least one) = p
    label = _patient_label(phase.label_when, phase.label, exposures)
    return PlannedPhase(stage, exposure, approach, label, phase, dur, bleed, tuple(rates))


def compile_plan(scenario: Scenario, strategy: Strategy | str) -> Plan:
    """The plan of ``strategy`` for the scenario's patient."""
    if isinstance(strategy, str):
        strategy = scenario.strategy(strategy)
    has_implants = bool(scenario.patient.implant_levels)
    exposures = {**modifier_exposures(scenario), **factors.policy_exposures(scenario, strategy)}
    phases = tuple(
        _plan_phase(ph, i, _patient_label(ex.label_when, ex.label, exposures), ex.approach, exposures)
        for i, stage in enumerate(strategy.stages)
        for ex in stage.exposures
        for ph in ex.phases
        if ph.requires != "implants" or has_implants
    )
    staging = scenario.parameters.staging
    restage = tuple(_plan_phase(ph, -1, "Unplanned staging", "", exposures) for ph in staging.restage_phases)
    index = {ph.id: len(phases) + k for k, ph in enumerate(staging.restage_phases)}
    by_approach = {a: (index[r.close], index[r.prep], index[r.reopen]) for a, r in staging.restage.items()}
    rule = strategy.stop_and_stage
    max_bv = rule.max_blood_volumes if rule and rule.max_blood_volumes else math.inf
    max_min = rule.max_hours * 60.0 if rule and rule.max_hours else math.inf
    max_unmatched = rule.max_blood_volumes_without_plasma if rule and rule.max_blood_volumes_without_plasma else math.inf
    n = len(strategy.stages)
    return Plan(
        strategy=strategy.name,
        phases=phases,
        restage_phases=restage,
        n_planned_stages=n,
        max_stages=n + (1 if rule else 0),
        event_names=tuple(scenario.parameters.events),
        scenario=scenario,
        interval_days=strategy.interval_days or scenario.parameters.staging.interval_days,
        blood=BloodPolicy.of(scenario, strategy),
        rule_max_blood_volumes=max_bv,
        rule_max_minutes=max_min,
        rule_max_unmatched_blood_volumes=max_unmatched,
        rule_on_alert=bool(rule and rule.on_alert),
        restage_by_approach=by_approach,
    )
