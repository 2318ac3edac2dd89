"""The SimPy model of one operation (all its stages) for one replication.

Processes are verbs: ``operate`` walks stages -> exposures -> phases (with induction,
emergence, repositioning, event repairs, the stop-and-stage rule and the inter-stage
interval); ``transfuse`` orders red cells from a blood bank that is a SimPy resource with a
delivery delay. Haemoglobin is not polled: between changes of bleeding rate it follows
isovolaemic haemodilution, ``Hb(t) = Hb0 * exp(-V_net(t) / EBV)``, so the moment it reaches the
trigger is computed and scheduled as an event (only when it falls before the current segment
ends, since the rate changes then), and rescheduled whenever the rate changes or units arrive.
A red-cell unit (or, for a small child, an aliquot of at most ``max_dose_ml_per_kg``) raises Hb
by ``(dose_mL / weight_kg) * Hct_unit / 3`` g/dL (Davies et al. 2007).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import simpy

from .plan import Plan
from .sampling import DELAY_SLOTS, Draws

MAX_EVENTS = 100_000
"""Simulation events one replication may take (a safety limit, not a model input). The bundled plans
need a few hundred (phases, repairs, orders and deliveries of blood); only inputs the schema should
have refused (a bleeding rate no transfusion keeps up with, a phase of endless duration) come near."""


class RunawayOperation(ValueError):
    """A replication did not finish within ``MAX_EVENTS`` events: the inputs describe an operation without end."""


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
        self.plan, self.trace = plan, trace
        self.env = simpy.Environment()
        self.blood_bank = simpy.Resource(self.env, capacity=1)
        # this replication's draws as plain lists (fast scalar access)
        self.duration = draws.duration_min[row].tolist()
        self.bleeding = draws.bleeding_ml_per_min[row].tolist()
        self.counts = draws.event_counts[row].tolist()
        self.repair = draws.repair_min[row].tolist()
        self.event_loss = draws.event_loss_ml[row].tolist()
        self.induction = draws.induction_min[row].tolist()
        self.emergence = draws.emergence_min[row].tolist()
        self.turnover = draws.turnover_min[row].tolist()
        self.delays = draws.delivery_delay_min[row].tolist()
        self.intervals = draws.interval_days[row].tolist()
        self.operative = plan.operative
        # physiology and policy (worked out once per plan)
        blood = plan.blood
        self.ebv_ml = blood.ebv_ml
        self.trigger = blood.trigger_hb_g_dl
        self.target = blood.target_hb_g_dl
        self.unit_rise = blood.unit_rise_g_dl
        self.kept = blood.kept_fraction
        self.theatre_units = blood.units_in_theatre
        self.pack = blood.units_per_delivery
        self.reorder_level = blood.reorder_level_units
        # state
        self.hb = self.lowest_hb = blood.baseline_hb_g_dl
        self.t_ref = 0.0
        self.segment_end = 0.0
        self.rate = 0.0  # gross bleeding, mL/min
        self.waiting = 0  # units needed now but not in theatre
        self.on_order = False  # a pack is on its way from the blood bank
        self.token = 0
        self.orders = 0
        self.stage = StageCourse()
        self.stage_start = 0.0
        self.stages: list[StageCourse] = []
        self.event_counts = np.zeros(len(plan.event_names), dtype=np.int64)
        self.converted = False
        self.between_stages = False
        self.interval_days = 0.0
        self.timeline: list[dict] = []

    # --- haemoglobin and transfusion -------------------------------------------------------
    def _advance(self) -> None:
        """Bring haemoglobin and blood loss up to the current time."""
        now = self.env.now
        dt = now - self.t_ref
        if dt > 0 and self.rate > 0:
            self.hb *= math.exp(-self.rate * self.kept * dt / self.ebv_ml)
            self.stage.blood_loss_ml += self.rate * dt
            if self.hb < self.lowest_hb:
                self.lowest_hb = self.hb
        self.t_ref = now

    def _schedule_trigger(self) -> None:
        """Schedule the moment Hb reaches the trigger, if it falls within the current segment."""
        self.token += 1
        if self.waiting:
            return
        if self.hb <= self.trigger:
            self._order()
            return
        net = self.rate * self.kept
        if net <= 0:
            return
        delay = self.ebv_ml * math.log(self.hb / self.trigger) / net
        if self.env.now + delay < self.segment_end:
            token = self.token
            self.env.timeout(delay).callbacks.append(lambda _event: self._on_trigger(token))

    def _on_trigger(self, token: int) -> None:
        if token == self.token:
            self._advance()
            self._order()

    def _order(self) -> None:
        """Hb has reached the trigger: give what is needed from theatre stock, wait for the rest."""
        needed = max(1, math.ceil((self.target - self.hb) / self.unit_rise))
        now = min(needed, self.theatre_units)
        if now:
            self.theatre_units -= now
            self._give(now)
        self.waiting = needed - now
        self._restock()
        if not self.waiting:
            self._schedule_trigger()

    def _restock(self) -> None:
        """Order a pack from the blood bank when theatre stock runs low and none is on its way."""
        if not self.on_order and self.theatre_units - self.waiting < self.reorder_level:
            self.on_order = True
            self.blood_bank.request().callbacks.append(self._dispatch)

    def _dispatch(self, request: simpy.Event) -> None:
        """The blood bank has taken the order: the pack arrives after the delivery delay."""
        delay = self.delays[self.orders % DELAY_SLOTS]
        self.orders += 1
        self.env.timeout(delay).callbacks.append(lambda _event: self._receive(request))

    def _receive(self, request: simpy.Event) -> None:
        """A pack arrives: give any units still needed, keep the rest in theatre."""
        self.blood_bank.release(request)
        self.on_order = False
        self._advance()
        self.theatre_units += self.pack
        now = min(self.waiting, self.theatre_units)
        if now:
            self.theatre_units -= now
            self._give(now)
            self.waiting -= now
        self._restock()
        self._schedule_trigger()

    def _give(self, units: int) -> None:
        """Transfuse ``units``; between stages they count to the stage just finished (recovery)."""
        self.hb += units * self.unit_rise
        stage = self.stages[-1] if self.between_stages else self.stage
        stage.rbc_units += units
        if self.trace:
            number = len(self.stages) + (0 if self.between_stages else 1)
            self.timeline.append({"kind": "transfusion", "stage": number, "start": self.env.now, "units": units})

    # --- the operation ---------------------------------------------------------------------
    def _begin(self, minutes: float, rate_ml_per_min: float) -> simpy.Timeout:
        """Start a segment: bring Hb up to now, set the new bleeding rate, return its timeout."""
        self._advance()
        self.rate = rate_ml_per_min
        self.segment_end = self.t_ref + minutes
        self._schedule_trigger()
        return self.env.timeout(minutes)

    def _log(self, kind: str, exposure: str, label: str, minutes: float) -> None:
        self.timeline.append(
            {"kind": kind, "stage": len(self.stages) + 1, "exposure": exposure, "label": label,
             "start": self.env.now - minutes, "end": self.env.now}
        )

    def perform(self, j: int):
        """Phase ``j`` of ``plan.all_phases``, then the repair of any events it caused."""
        minutes = self.duration[j]
        yield self._begin(minutes, self.bleeding[j])
        if self.operative[j]:
            self.stage.operative_min += minutes
        if self.trace:
            p = self.plan.all_phases[j]
            self._log("phase", p.exposure, p.label, minutes)
        for s in self.plan.slots_by_phase[j]:
            if self.counts[s]:
                yield from self.repair_event(j, s)

    def repair_event(self, j: int, s: int):
        """Repair the events of slot ``s`` (phase ``j``): extra time, and blood lost meanwhile."""
        k, e = self.counts[s], self.plan.event_slots[s][1]
        self.event_counts[e] += k
        minutes = self.repair[s]
        yield self._begin(minutes, self.event_loss[s] / minutes if minutes > 0 else 0.0)
        self.stage.operative_min += minutes
        if self.trace:
            name = self.plan.scenario.parameters.events[self.plan.event_names[e]].label
            self._log("event", self.plan.all_phases[j].exposure, f"{name} repair" + (f" x{k}" if k > 1 else ""), minutes)

    def anaesthetise(self):
        """Induction for a new stage."""
        self.stage_start = self.env.now
        minutes = self.induction[len(self.stages)]
        yield self._begin(minutes, 0.0)
        if self.trace:
            self._log("anaesthesia", "Anaesthesia", "Induction", minutes)

    def finish_stage(self):
        """Emergence, then close the books on this stage."""
        n = len(self.stages)
        minutes = self.emergence[n]
        yield self._begin(minutes, 0.0)
        if self.trace:
            self._log("anaesthesia", "Anaesthesia", "Emergence", minutes)
        self._advance()
        st = self.stage
        st.anaesthesia_min = self.env.now - self.stage_start
        st.or_min = st.anaesthesia_min + self.turnover[n]
        self.stages.append(st)
        self.stage = StageCourse()

    def wait_between_stages(self):
        days = self.intervals[len(self.stages) - 1]
        self.interval_days += days
        self.between_stages = True
        yield self._begin(days * 1440.0, 0.0)
        self.between_stages = False

    def _rule_fires(self) -> bool:
        self._advance()
        return (
            self.stage.blood_loss_ml >= self.plan.rule_max_blood_volumes * self.ebv_ml
            or self.stage.operative_min >= self.plan.rule_max_minutes
        )

    def operate(self):
        """The whole plan: stages -> exposures -> phases, staging when the rule says so."""
        plan = self.plan
        yield from self.anaesthetise()
        for j in range(len(plan.phases)):
            if plan.starts_stage[j]:
                yield from self.next_stage()
            yield from self.perform(j)
            if plan.may_stop_after[j] and not self.converted and self._rule_fires():
                yield from self.restage()
        yield from self.finish_stage()

    def next_stage(self):
        yield from self.finish_stage()
        yield from self.wait_between_stages()
        yield from self.anaesthetise()

    def restage(self):
        """The rule fired: close now, and carry on with the rest of the plan in a new stage."""
        self.converted = True
        close, *reopen = range(len(self.plan.phases), len(self.plan.all_phases))
        yield from self.perform(close)
        yield from self.next_stage()
        for r in reopen:
            yield from self.perform(r)

    def run(self) -> Course:
        done, step = self.env.process(self.operate()), self.env.step
        for _ in range(MAX_EVENTS):  # env.run(until=done), but never without end
            if done.processed:
                break
            step()
        else:
            if not done.processed:
                raise RunawayOperation(
                    f"strategy '{self.plan.strategy}': one simulated operation had not ended after {MAX_EVENTS:,} "
                    f"events (at {self.env.now:.4g} min, {self.orders:,} blood orders); check its phase durations, "
                    "bleeding rates and the transfusion settings")
        if self.waiting:  # units needed at the very end are given in recovery
            self.stages[-1].rbc_units += self.waiting
        return Course(
            stages=self.stages,
            event_counts=self.event_counts,
            lowest_hb_g_dl=self.lowest_hb,
            converted_to_staged=self.converted,
            interval_days=self.interval_days,
            timeline=self.timeline,
        )
