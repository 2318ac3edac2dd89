"""The SimPy model of one operation (all its stages) for one replication.

Processes are verbs: ``operate`` walks stages -> exposures -> phases (with induction,
emergence, repositioning, event repairs, the stop-and-stage rule and the inter-stage
interval); ``transfuse`` orders red cells from a blood bank that is a SimPy resource with a
delivery delay. Haemoglobin is not polled: between changes of bleeding rate it follows
isovolaemic haemodilution, ``Hb(t) = Hb0 * exp(-V_net(t) / EBV)``, so the moment it reaches the
trigger is computed and scheduled as an event, and rescheduled whenever the rate changes or
units arrive. A red-cell unit raises Hb by ``(unit_mL / weight_kg) * Hct_unit / 3`` g/dL
(Davies et al. 2007).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import simpy

from .plan import Plan
from .sampling import DELAY_SLOTS, Draws


@dataclass
class StageCourse:
    """What happened in one stage (one anaesthetic)."""

    operative_min: float = 0.0  # skin-to-skin, minutes
    anaesthesia_min: float = 0.0  # induction start to end of emergence, minutes
    or_min: float = 0.0  # anaesthesia plus room turnover, minutes
    blood_loss_ml: float = 0.0
    rbc_units: int = 0


@dataclass
class Course:
    """The simulated intra-operative course of one replication."""

    stages: list[StageCourse]
    event_counts: np.ndarray  # per event type
    lowest_hb_g_dl: float
    converted_to_staged: bool
    interval_days: float  # total days between stages
    timeline: list[dict] = field(default_factory=list)  # filled only when traced


class Operation:
    """One simulated operation: state lives here, processes are its methods."""

    def __init__(self, plan: Plan, draws: Draws, row: int, trace: bool = False):
        sc = plan.scenario
        tp = sc.parameters.transfusion
        self.plan, self.d, self.row, self.trace = plan, draws, row, trace
        self.env = simpy.Environment()
        self.blood_bank = simpy.Resource(self.env, capacity=1)
        self.ebv_ml = sc.blood_volume_ml
        self.trigger = tp.trigger_hb_g_dl.value
        self.target = tp.target_hb_g_dl.value
        self.unit_rise = tp.unit_volume_ml.value / sc.patient.weight_kg * tp.unit_haematocrit.value / 3.0
        self.returned = tp.cell_salvage.recovery_fraction if tp.cell_salvage.enabled else 0.0
        self.theatre_units = int(tp.units_in_theatre.value)
        self.hb = self.lowest_hb = sc.patient.baseline_hb_g_dl
        self.t_ref = 0.0
        self.rate = 0.0  # gross bleeding, mL/min
        self.blood_loss_ml = 0.0  # gross, cumulative at t_ref
        self.units = 0
        self.pending = 0  # units ordered from the bank and not yet given
        self.token = 0
        self.delays_used = 0
        self.stage = StageCourse()
        self.stages: list[StageCourse] = []
        self.event_counts = np.zeros(len(plan.event_names), dtype=np.int64)
        self.converted = False
        self.interval_days = 0.0
        self.timeline: list[dict] = []
        self.slots_by_phase: dict[int, list[int]] = {}
        for s, (j, _, _) in enumerate(plan.event_slots):
            self.slots_by_phase.setdefault(j, []).append(s)

    # --- haemoglobin and transfusion -------------------------------------------------------
    def _advance(self) -> None:
        """Bring haemoglobin and blood loss up to the current time."""
        dt = self.env.now - self.t_ref
        if dt > 0 and self.rate > 0:
            self.hb *= math.exp(-self.rate * (1.0 - self.returned) * dt / self.ebv_ml)
            self.blood_loss_ml += self.rate * dt
            self.stage.blood_loss_ml += self.rate * dt
            if self.hb < self.lowest_hb:
                self.lowest_hb = self.hb
        self.t_ref = self.env.now

    def bleed_at(self, rate_ml_per_min: float) -> None:
        """Change the bleeding rate now and reschedule the haemoglobin trigger."""
        self._advance()
        self.rate = rate_ml_per_min
        self._schedule_trigger()

    def _schedule_trigger(self) -> None:
        self.token += 1
        if self.pending:
            return
        if self.hb <= self.trigger:
            self._order()
            return
        net = self.rate * (1.0 - self.returned)
        if net <= 0:
            return
        token = self.token
        delay = self.ebv_ml * math.log(self.hb / self.trigger) / net
        self.env.timeout(delay).callbacks.append(lambda _ev: self._on_trigger(token))

    def _on_trigger(self, token: int) -> None:
        if token == self.token:
            self._advance()
            self._order()

    def _order(self) -> None:
        """Hb has reached the trigger: give units in theatre, order the rest from the bank."""
        needed = max(1, math.ceil((self.target - self.hb) / self.unit_rise))
        now = min(needed, self.theatre_units)
        if now:
            self.theatre_units -= now
            self._give(now)
        if needed > now:
            self.pending = needed - now
            self.env.process(self.transfuse(needed - now))
        else:
            self._schedule_trigger()

    def transfuse(self, units: int):
        """Order ``units`` from the blood bank; give them when they arrive."""
        with self.blood_bank.request() as request:
            yield request
            delay = self.d.delivery_delay_min[self.row, self.delays_used % DELAY_SLOTS]
            self.delays_used += 1
            yield self.env.timeout(delay)
        self._advance()
        self._give(units)
        self.pending = 0
        self._schedule_trigger()

    def _give(self, units: int) -> None:
        self.hb += units * self.unit_rise
        self.units += units
        self.stage.rbc_units += units
        if self.trace:
            self.timeline.append({"kind": "transfusion", "start": self.env.now, "units": units})

    # --- the operation ---------------------------------------------------------------------
    def _segment(self, label: str, exposure: str, minutes: float, rate: float, operative: bool, kind="phase"):
        start = self.env.now
        self.bleed_at(rate)
        yield self.env.timeout(minutes)
        if operative:
            self.stage.operative_min += minutes
        if self.trace:
            self.timeline.append(
                {"kind": kind, "stage": len(self.stages) + 1, "exposure": exposure, "label": label,
                 "start": start, "end": self.env.now}
            )

    def perform(self, j: int):
        """Phase ``j`` of the plan (restage phases follow the planned ones), then any repairs."""
        p = (self.plan.phases + self.plan.restage_phases)[j]
        d, row = self.d, self.row
        yield from self._segment(
            p.label, p.exposure, d.duration_min[row, j], d.bleeding_ml_per_min[row, j], not p.phase.before_incision
        )
        for s in self.slots_by_phase.get(j, ()):
            k = d.event_counts[row, s]
            if k:
                e = self.plan.event_slots[s][1]
                self.event_counts[e] += k
                minutes = d.repair_min[row, s]
                name = self.plan.scenario.parameters.events[self.plan.event_names[e]].label
                yield from self._segment(
                    f"{name} repair" + (f" ×{k}" if k > 1 else ""), p.exposure, minutes,
                    d.event_loss_ml[row, s] / minutes if minutes > 0 else 0.0, True, kind="event",
                )

    def anaesthetise(self):
        """Induction for a new stage."""
        self.stage_start = self.env.now
        n = len(self.stages)
        yield from self._segment("Induction", "Anaesthesia", self.d.induction_min[self.row, n], 0.0, False)

    def finish_stage(self):
        """Emergence, then close the books on this stage."""
        n = len(self.stages)
        yield from self._segment("Emergence", "Anaesthesia", self.d.emergence_min[self.row, n], 0.0, False)
        self.bleed_at(0.0)
        st = self.stage
        st.anaesthesia_min = self.env.now - self.stage_start
        st.or_min = st.anaesthesia_min + self.d.turnover_min[self.row, n]
        self.stages.append(st)
        self.stage = StageCourse()

    def wait_between_stages(self):
        days = self.d.interval_days[self.row, len(self.stages) - 1]
        self.interval_days += days
        yield self.env.timeout(days * 1440.0)

    def _rule_fires(self) -> bool:
        plan = self.plan
        return (
            self.stage.blood_loss_ml >= plan.rule_max_blood_volumes * self.ebv_ml
            or self.stage.operative_min >= plan.rule_max_minutes
        )

    def operate(self):
        """The whole plan: stages -> exposures -> phases, staging when the rule says so."""
        phases = self.plan.phases
        n_planned = len(phases)
        restage = range(n_planned, n_planned + len(self.plan.restage_phases))
        yield from self.anaesthetise()
        for j, p in enumerate(phases):
            if j and p.stage != phases[j - 1].stage:
                yield from self.finish_stage()
                yield from self.wait_between_stages()
                yield from self.anaesthetise()
            yield from self.perform(j)
            more_in_stage = j + 1 < n_planned and phases[j + 1].stage == p.stage
            if self.plan.has_rule and not self.converted and more_in_stage and p.phase.stage_break_allowed:
                self._advance()
                if self._rule_fires():
                    self.converted = True
                    close, *reopen = restage
                    yield from self.perform(close)
                    yield from self.finish_stage()
                    yield from self.wait_between_stages()
                    yield from self.anaesthetise()
                    for r in reopen:
                        yield from self.perform(r)
        yield from self.finish_stage()

    def run(self) -> Course:
        self.env.run(until=self.env.process(self.operate()))
        if self.pending:  # units ordered near the end are given in recovery
            self.units += self.pending
            self.stages[-1].rbc_units += self.pending
        return Course(
            stages=self.stages,
            event_counts=self.event_counts,
            lowest_hb_g_dl=self.lowest_hb,
            converted_to_staged=self.converted,
            interval_days=self.interval_days,
            timeline=self.timeline,
        )
