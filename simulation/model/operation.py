"""The SimPy model of one operation (all its stages) for one replication.

Processes are verbs: ``operate`` walks stages -> exposures -> phases (with induction,
emergence, repositioning, event repairs, the stop-and-stage rule and the inter-stage
interval); red cells are given from theatre stock, and a pack is ordered from the blood bank
(one order on its way at a time) that arrives after a delivery delay. Haemoglobin is not polled: between changes of bleeding rate it follows
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
    """What happened in one stage (one anaesthetic and its recovery until the next)."""

    operative_min: float = 0.0  # skin-to-skin, minutes
    anaesthesia_min: float = 0.0  # induction start to end of emergence, minutes
    or_min: float = 0.0  # anaesthesia plus room turnover, minutes
    blood_loss_ml: float = 0.0  # true intra-operative loss (drives Hb)
    rbc_units: int = 0  # red cells, peri-operative (in theatre, in recovery and before the next stage)
    ebl_ml: float = 0.0  # the estimated blood loss the team records
    postop_blood_loss_ml: float = 0.0  # drain and hidden loss after the stage (drives Hb)
    plasma_units: int = 0
    platelet_doses: int = 0
    fibrinogen_doses: int = 0
    salvaged_ml: float = 0.0  # shed blood whose red cells cell salvage returned, mL
    plasma_ml: float = 0.0  # plasma given (for the coagulopathy proxy)
    fibrinogen_cover_ml: float = 0.0  # dilution the fibrinogen given makes good, mL
    coagulopathic: bool = False  # the proxy passed the coagulopathy threshold
    plasma_protocol: bool = False  # the first plasma has arrived: plasma follows the red cells
    plasma_owed: float = 0.0  # plasma units due by the ratio, not yet given
    alerts: int = 0  # intra-operative alerts
    ended_after: str = ""  # "exposure: phase" of the last planned phase performed
    ended_by: str = "plan"  # "plan", or "rule: <trigger>" for an unplanned break


@dataclass
class Course:
    """The simulated intra-operative course of one replication."""

    stages: list[StageCourse]
    event_counts: np.ndarray  # per event type
    lowest_hb_g_dl: float
    converted_to_staged: bool
    interval_days: float  # total days between stages
    rule_triggered: bool = False  # a stop-and-stage trigger fired (a safe break may not have followed)
    timeline: list[dict] = field(default_factory=list)  # filled only when traced


ROW_DRAWS = {  # Operation attribute -> the ``Draws`` field it holds one replication's row of
    "duration": "duration_min", "bleeding": "bleeding_ml_per_min", "counts": "event_counts", "repair": "repair_min",
    "event_loss": "event_loss_ml", "induction": "induction_min", "emergence": "emergence_min",
    "turnover": "turnover_min", "delays": "delivery_delay_min", "intervals": "interval_days", "alert": "alert",
    "recovery": "salvage_recovery", "postop_fraction": "postop_loss_fraction", "ebl_ratio": "ebl_ratio",
}


def simulate(plan: Plan, draws: Draws) -> list[Course]:
    """Every replication (row) of ``draws``, in order."""
    lists = draws.as_lists(*ROW_DRAWS.values())  # converted once for the block
    return [Operation(plan, draws, row, lists=lists).run() for row in range(len(draws.replications))]


class Operation:
    """One simulated operation: state lives here, processes are its methods."""

    def __init__(self, plan: Plan, draws: Draws, row: int, trace: bool = False, lists: list[list] | None = None):
        """Replication ``row`` of ``draws`` (``lists``: ``draws.as_lists(*ROW_DRAWS.values())``, if already made)."""
        self.plan, self.trace = plan, trace
        self.env = simpy.Environment()
        # this replication's draws as plain lists (fast scalar access)
        row_values = ([values[row] for values in lists] if lists is not None
                      else [getattr(draws, name)[row].tolist() for name in ROW_DRAWS.values()])
        for attribute, value in zip(ROW_DRAWS, row_values):
            setattr(self, attribute, value)
        self.operative = plan.operative
        # physiology and policy (worked out once per plan)
        self.blood = blood = plan.blood
        self.ebv_ml = blood.ebv_ml
        self.trigger = blood.trigger_hb_g_dl
        self.target = blood.target_hb_g_dl
        self.unit_rise = blood.unit_rise_g_dl
        self.theatre_units = blood.units_in_theatre
        self.pack = blood.units_per_delivery
        self.reorder_level = blood.reorder_level_units
        # state
        self.hb = self.lowest_hb = blood.baseline_hb_g_dl
        self.t_ref = 0.0
        self.segment_end = 0.0
        self.rate = 0.0  # gross bleeding, mL/min
        self.trigger_now = self.trigger  # the (anticipated) trigger at this rate, g/dL
        self.salvage = blood.salvage
        self.waiting = 0  # units needed now but not in theatre
        self.on_order = False  # a pack is on its way from the blood bank
        self.plasma_on_order = False
        self.reservoir = 0.0  # cell salvage: shed volume collected since the last batch, mL
        self.reservoir_hb = 0.0  # Hb mass in it, (g/dL) x mL of blood volume
        self.processing = False  # a salvage batch is being washed
        self.token = 0
        self.orders = 0
        self.stage = StageCourse()
        self.stage_start = 0.0
        self.stages: list[StageCourse] = []
        self.event_counts = np.zeros(len(plan.event_names), dtype=np.int64)
        self.converted = False
        self.triggered = False
        self.between_stages = False
        self.interval_days = 0.0
        self.timeline: list[dict] = []

    # --- haemoglobin and transfusion -------------------------------------------------------
    def _advance(self) -> None:
        """Bring haemoglobin, blood loss and the salvage reservoir up to the current time."""
        now = self.env.now
        dt = now - self.t_ref
        rate = self.rate
        if dt > 0 and rate > 0:
            before = self.hb
            self.hb = hb = before * math.exp(-rate * dt / self.ebv_ml)
            self.stage.blood_loss_ml += rate * dt
            if self.salvage and not self.between_stages:
                self.reservoir += rate * dt
                self.reservoir_hb += self.ebv_ml * (before - hb)  # the Hb mass that left the circulation
            if hb < self.lowest_hb:
                self.lowest_hb = hb
        self.t_ref = now

    def _trigger_for(self, rate: float) -> float:
        """The Hb at which to transfuse while bleeding at ``rate`` mL/min: the trigger, or in active
        haemorrhage the Hb that the loss would take to the trigger within the anticipation time (at
        most the target)."""
        if rate >= self.blood.active_bleeding_ml_per_min:
            anticipated = self.trigger * math.exp(rate * self.blood.anticipation_min / self.ebv_ml)
            return anticipated if anticipated < self.target else self.target
        return self.trigger

    def _schedule_trigger(self) -> None:
        """Schedule the moment Hb reaches the (anticipated) trigger, if within the current segment."""
        self.token += 1
        if self.waiting or self.between_stages:
            return
        hb, trigger, rate = self.hb, self.trigger_now, self.rate
        if hb <= trigger:
            self._order()
            return
        if rate <= 0:
            return
        delay = self.ebv_ml * math.log(hb / trigger) / rate
        if self.t_ref + delay < self.segment_end:  # t_ref is now: every caller has just advanced
            self.env.timeout(delay, self.token).callbacks.append(self._on_trigger)

    def _on_trigger(self, event: simpy.Timeout) -> None:
        """A scheduled trigger time: transfuse, unless the rate or Hb has changed since (a newer token)."""
        if event.value == self.token:
            self._advance()
            self._order()

    def _order(self) -> None:
        """Hb has reached the trigger: give what is needed from theatre stock, wait for the rest."""
        needed = math.ceil((self.target - self.hb) / self.unit_rise)
        if needed < 1:
            needed = 1
        now = needed if needed < self.theatre_units else self.theatre_units
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
            delay = self.delays[self.orders % DELAY_SLOTS]
            self.orders += 1
            self.env.timeout(delay).callbacks.append(self._receive)

    def _receive(self, _event: simpy.Event) -> None:
        """A pack arrives: give any units still needed, keep the rest in theatre."""
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
        if stage.plasma_protocol and not self.between_stages:
            stage.plasma_owed += units * self.blood.plasma_per_red_cell
            self._give_plasma(stage, int(stage.plasma_owed))
        if self.trace:
            number = len(self.stages) + (0 if self.between_stages else 1)
            self.timeline.append({"kind": "transfusion", "stage": number, "start": self.env.now, "units": units})

    # --- cell salvage and haemostasis ------------------------------------------------------
    def _salvage(self) -> None:
        """Start washing a batch once the reservoir holds the minimum volume; its cells return later."""
        if self.processing or self.reservoir < self.blood.salvage_min_collected_ml:
            return
        volume, mass = self.reservoir, self.reservoir_hb
        self.reservoir = self.reservoir_hb = 0.0
        self.processing = True
        stage = self.stage
        self.env.timeout(self.blood.salvage_processing_min).callbacks.append(
            lambda _event: self._return_cells(stage, volume, mass)
        )

    def _return_cells(self, stage: StageCourse, volume: float, mass: float) -> None:
        """A washed batch goes back: Hb rises by the returned share of the Hb mass collected."""
        self._advance()
        self.processing = False
        self.hb += self.recovery * mass / self.ebv_ml
        stage.salvaged_ml += self.recovery * volume
        self._salvage()
        self._schedule_trigger()

    def _unmatched_ml(self) -> float:
        """Coagulopathy proxy: blood lost in this stage not matched by plasma or fibrinogen, mL."""
        st = self.stage
        return st.blood_loss_ml - st.plasma_ml - st.fibrinogen_cover_ml

    def _haemostasis(self) -> bool:
        """At the start of a segment, once the stage's loss has reached the lowest threshold
        (``BloodPolicy.haemostasis_from_ml``): order plasma, give fibrinogen and platelets by the
        thresholds; returns whether the stage is coagulopathic now."""
        b, st = self.blood, self.stage
        unmatched = self._unmatched_ml()
        if unmatched >= b.plasma_after_ml and not self.plasma_on_order:
            self.plasma_on_order = True
            self.env.timeout(b.plasma_thaw_min).callbacks.append(lambda _event: self._plasma_arrives(st))
        if unmatched >= b.fibrinogen_after_ml:
            st.fibrinogen_doses += 1
            st.fibrinogen_cover_ml += b.fibrinogen_covers_ml
            unmatched = self._unmatched_ml()
        while st.blood_loss_ml >= (st.platelet_doses + 1) * b.platelets_every_ml:
            st.platelet_doses += 1
        if unmatched >= b.coagulopathy_after_ml:
            st.coagulopathic = True
            return True
        return False

    def _plasma_arrives(self, stage: StageCourse) -> None:
        """The first (or a threshold) plasma dose arrives; from now on plasma follows the red cells."""
        self.plasma_on_order = False
        if stage is self.stage:  # the stage is still going on
            self._advance()
            stage.plasma_protocol = True
            stage.plasma_owed += self.blood.plasma_units_per_dose
            self._give_plasma(stage, int(stage.plasma_owed))

    def _give_plasma(self, stage: StageCourse, units: int) -> None:
        stage.plasma_owed -= units
        stage.plasma_units += units
        stage.plasma_ml += units * self.blood.dose_ml

    # --- the operation ---------------------------------------------------------------------
    def _begin(self, minutes: float, rate_ml_per_min: float) -> simpy.Timeout:
        """Start a segment: bring Hb up to now, set the new bleeding rate (faster while coagulopathic),
        return its timeout."""
        self._advance()
        if self.salvage:
            self._salvage()
        coagulopathic = self.stage.blood_loss_ml >= self.blood.haemostasis_from_ml and self._haemostasis()
        self.rate = rate = rate_ml_per_min * (self.blood.coagulopathy_multiplier if coagulopathic else 1.0)
        self.trigger_now = self._trigger_for(rate)
        self.segment_end = self.t_ref + minutes
        self._schedule_trigger()
        return self.env.timeout(minutes)

    def _log(self, kind: str, exposure: str, label: str, minutes: float, **extra) -> None:
        self.timeline.append(
            {"kind": kind, "stage": len(self.stages) + 1, "exposure": exposure, "label": label,
             "start": self.env.now - minutes, "end": self.env.now, **extra}
        )

    def perform(self, j: int):
        """Phase ``j`` of ``plan.all_phases``, then the repair of any events it caused."""
        minutes = self.duration[j]
        yield self._begin(minutes, self.bleeding[j])
        plan, stage = self.plan, self.stage
        if self.operative[j]:
            stage.operative_min += minutes
        if self.trace:  # planned: the index into plan.phases (-1 for the phases an unplanned break adds)
            p = plan.all_phases[j]
            self._log("phase", p.exposure, p.label, minutes, planned=j if p.stage >= 0 else -1, alert=self.alert[j])
        stage.alerts += self.alert[j]
        if j < len(plan.phases):  # a planned phase
            stage.ended_after = plan.names[j]
        for s in plan.slots_by_phase[j]:
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
        """Emergence, then close the books on this stage: post-operative loss, the surgeon's
        estimate, and red cells in recovery if Hb is below the trigger (or units are still awaited)."""
        n = len(self.stages)
        minutes = self.emergence[n]
        yield self._begin(minutes, 0.0)
        if self.trace:
            self._log("anaesthesia", "Anaesthesia", "Emergence", minutes)
        self._advance()
        st = self.stage
        st.anaesthesia_min = self.env.now - self.stage_start
        st.or_min = st.anaesthesia_min + self.turnover[n]
        st.ebl_ml = st.blood_loss_ml * self.ebl_ratio[n]
        st.postop_blood_loss_ml = min(st.blood_loss_ml * self.postop_fraction[n], self.blood.postop_loss_max_ml)
        # the post-operative loss is gradual and Hb is watched: it is transfused at the trigger, not below
        self.hb *= math.exp(-st.postop_blood_loss_ml / self.ebv_ml)
        self.lowest_hb = min(self.lowest_hb, max(self.hb, self.trigger))
        self.stages.append(st)
        self.stage = StageCourse()
        self.between_stages = True
        self.reservoir = self.reservoir_hb = 0.0  # shed blood short of a batch is discarded
        units = max(self.waiting, math.ceil((self.target - self.hb) / self.unit_rise) if self.hb < self.trigger else 0)
        self.waiting = 0
        if units:
            self._give(units)
        self.token += 1  # no trigger is pending after the stage

    def wait_between_stages(self):
        """The interval: Hb recovers with iron, then red cells make up what is short of the pre-stage target."""
        days = self.intervals[len(self.stages) - 1]
        self.interval_days += days
        yield self._begin(days * 1440.0, 0.0)
        self.hb = max(self.hb, min(self.blood.baseline_hb_g_dl, self.hb + self.blood.iron_rise_g_dl_per_day * days))
        if self.hb < self.blood.pre_stage_hb_g_dl:
            self._give(math.ceil((self.blood.pre_stage_hb_g_dl - self.hb) / self.unit_rise))
        self.between_stages = False

    def _trigger_reason(self) -> str | None:
        """Which stop-and-stage trigger has fired in this stage, if any."""
        self._advance()
        plan, st = self.plan, self.stage
        if st.blood_loss_ml >= plan.rule_max_blood_volumes * self.ebv_ml:
            return "blood volumes"
        if self._unmatched_ml() >= plan.rule_max_unmatched_blood_volumes * self.ebv_ml:
            return "coagulopathy"
        if st.operative_min >= plan.rule_max_minutes:
            return "stage duration"
        if plan.rule_on_alert and st.alerts:
            return "alert"
        return None

    def operate(self):
        """The whole plan: stages -> exposures -> phases; when a rule trigger fires, the stage ends at
        the next safe break point (if one comes before the planned end of the stage)."""
        plan = self.plan
        pending: str | None = None
        resume = 0
        yield from self.anaesthetise()
        for j in range(len(plan.phases)):
            if j < resume:
                continue  # a repositioning the unplanned break replaced
            if plan.starts_stage[j]:
                pending = None  # the planned break came first
                yield from self.next_stage()
            yield from self.perform(j)
            if plan.has_rule and not self.converted:
                pending = pending or self._trigger_reason()
                self.triggered = self.triggered or pending is not None
                if pending and plan.may_stop_after[j]:
                    yield from self.restage(j, pending)
                    resume = plan.resume_at[j]
        yield from self.finish_stage()

    def next_stage(self):
        yield from self.finish_stage()
        yield from self.wait_between_stages()
        yield from self.anaesthetise()

    def restage(self, j: int, reason: str):
        """The rule fired and phase ``j`` is a safe break: close now, and carry on with the rest of the
        plan in a new stage (prep, and reopen if it carries on in the same wound)."""
        self.converted = True
        close, *reopen = self.plan.restage_after(j)
        yield from self.perform(close)
        self.stage.ended_by = f"rule: {reason}"
        yield from self.next_stage()
        for r in reopen:
            yield from self.perform(r)

    def run(self) -> Course:
        done, step = self.env.process(self.operate()), self.env.step
        for _ in range(MAX_EVENTS):  # env.run(until=done), but never without end
            step()
            if done.callbacks is None:  # done.processed, without the property call
                break
        else:
            if not done.processed:
                raise RunawayOperation(
                    f"strategy '{self.plan.strategy}': one simulated operation had not ended after {MAX_EVENTS:,} "
                    f"events (at {self.env.now:.4g} min, {self.orders:,} blood orders); check its phase durations, "
                    "bleeding rates and the transfusion settings")
        return Course(
            stages=self.stages,
            event_counts=self.event_counts,
            lowest_hb_g_dl=self.lowest_hb,
            converted_to_staged=self.converted,
            interval_days=self.interval_days,
            rule_triggered=self.triggered,
            timeline=self.timeline,
        )
