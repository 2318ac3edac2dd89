"""The naive baseline: a single-stage operation in SimPy with haemoglobin polled every minute.

One process walks the phases with ``env.timeout(duration)``; a second wakes every simulated
minute, lowers haemoglobin by isovolaemic haemodilution over that minute at the current
bleeding rate, ``Hb *= exp(-rate * (1 - salvage) * 1 min / EBV)``, and orders red cells when
Hb is at or below the trigger: units in theatre first, the rest when the next pack arrives from
a blood bank (a SimPy resource, after a delivery delay) that restocks theatre whenever stock
runs low, as in the model.

It reads the same inputs as the model (``compile_plan`` + ``draw``), so its durations and blood
loss equal the model's when cell salvage is off and dilutional coagulopathy does not speed the
bleeding (``neutral_blood``). It transfuses at the trigger only: the model also anticipates the
trigger in active haemorrhage, gives plasma, fibrinogen and platelets, and adds post-operative loss,
so units differ. It exists to be timed against (``bench.py``) and is not part of the package.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import pandas as pd
import simpy

from simulation.model.plan import Plan, compile_plan
from simulation.model.sampling import DELAY_SLOTS, Draws, draw
from simulation.scenario.schema import Scenario

POLL_MIN = 1.0  # minutes between haemoglobin checks


def neutral_blood(scenario: Scenario) -> Scenario:
    """``scenario`` with cell salvage off and no coagulopathic speed-up: the bleeding the reference reproduces."""
    data = scenario.model_dump(by_alias=True)
    data["parameters"]["transfusion"]["cell_salvage"]["enabled"] = False
    data["parameters"]["transfusion"]["haemostasis"]["coagulopathy_bleeding_multiplier"]["value"] = 1.0
    return Scenario.model_validate(data)


class PolledOperation:
    """One replication of a single-stage plan; haemoglobin is checked every ``POLL_MIN``."""

    def __init__(self, plan: Plan, draws: Draws, row: int):
        blood = plan.blood  # the same physiology and policy as the model
        self.plan, self.d, self.row = plan, draws, row
        self.env = simpy.Environment()
        self.blood_bank = simpy.Resource(self.env, capacity=1)
        self.ebv_ml = blood.ebv_ml
        self.trigger = blood.trigger_hb_g_dl
        self.target = blood.target_hb_g_dl
        self.unit_rise = blood.unit_rise_g_dl
        self.kept = 1.0  # no cell salvage: the reference is timed on plans without it (see the module docstring)
        self.theatre_units = blood.units_in_theatre
        self.pack = blood.units_per_delivery
        self.reorder_level = blood.reorder_level_units
        self.hb = self.lowest_hb = blood.baseline_hb_g_dl
        self.rate = 0.0  # current gross bleeding, mL/min
        self.operative_min = 0.0
        self.blood_loss_ml = 0.0
        self.units = 0
        self.waiting = 0  # units needed now but not in theatre
        self.on_order = False
        self.delays_used = 0

    def bleed(self, minutes: float, rate_ml_per_min: float, operative: bool):
        """Spend ``minutes`` bleeding at ``rate_ml_per_min``."""
        self.rate = rate_ml_per_min
        yield self.env.timeout(minutes)
        self.blood_loss_ml += rate_ml_per_min * minutes
        if operative:
            self.operative_min += minutes

    def operate(self):
        """Induction, each phase followed by the repair of its events, emergence."""
        d, row = self.d, self.row
        yield from self.bleed(d.induction_min[row, 0], 0.0, False)
        for j, p in enumerate(self.plan.phases):
            yield from self.bleed(d.duration_min[row, j], d.bleeding_ml_per_min[row, j], not p.phase.before_incision)
            for s, (phase, _, _) in enumerate(self.plan.event_slots):
                if phase == j and d.event_counts[row, s]:
                    minutes = d.repair_min[row, s]
                    yield from self.bleed(minutes, d.event_loss_ml[row, s] / minutes, True)
        yield from self.bleed(d.emergence_min[row, 0], 0.0, False)
        self.rate = 0.0

    def monitor_haemoglobin(self):
        """Every minute: haemodilution over the minute, then a transfusion if Hb is at the trigger."""
        while True:
            yield self.env.timeout(POLL_MIN)
            self.hb *= math.exp(-self.rate * self.kept * POLL_MIN / self.ebv_ml)
            self.lowest_hb = min(self.lowest_hb, self.hb)
            if self.hb <= self.trigger and not self.waiting:
                self.order()

    def order(self) -> None:
        """Give what is needed from theatre stock; the rest waits for the next pack."""
        needed = max(1, math.ceil((self.target - self.hb) / self.unit_rise))
        now = min(needed, self.theatre_units)
        self.theatre_units -= now
        self.give(now)
        self.waiting = needed - now
        self.restock()

    def restock(self) -> None:
        if not self.on_order and self.theatre_units - self.waiting < self.reorder_level:
            self.on_order = True
            self.env.process(self.deliver())

    def deliver(self):
        """A pack from the blood bank: give the units still needed, keep the rest in theatre."""
        with self.blood_bank.request() as request:
            yield request
            delay_min = self.d.delivery_delay_min[self.row, self.delays_used % DELAY_SLOTS]
            self.delays_used += 1
            yield self.env.timeout(delay_min)
        self.on_order = False
        self.theatre_units += self.pack
        now = min(self.waiting, self.theatre_units)
        self.theatre_units -= now
        self.give(now)
        self.waiting -= now
        self.restock()

    def give(self, units: int) -> None:
        self.hb += units * self.unit_rise
        self.units += units

    def run(self) -> dict:
        self.env.process(self.monitor_haemoglobin())
        self.env.run(until=self.env.process(self.operate()))
        return {
            "operative_time_min": self.operative_min,
            "anaesthesia_time_min": self.env.now,
            "blood_loss_ml": self.blood_loss_ml,
            "rbc_units": self.units + self.waiting,  # units still needed at the end are given in recovery
            "lowest_hb_g_dl": self.lowest_hb,
        }


def simulate(scenario: Scenario, strategy: str, seed: int, replications: Iterable[int]) -> pd.DataFrame:
    """One row per replication of a single-stage ``strategy`` without a stop-and-stage rule."""
    plan = compile_plan(scenario, strategy)
    if plan.n_planned_stages != 1 or plan.has_rule:
        raise ValueError(
            f"polling reference: strategy {strategy!r} has {plan.n_planned_stages} stage(s)"
            f"{' and a stop-and-stage rule' if plan.has_rule else ''}; only single-stage strategies"
            " without a rule are supported"
        )
    draws = draw(plan, seed, replications)
    rows = [PolledOperation(plan, draws, i).run() for i in range(len(draws.replications))]
    frame = pd.DataFrame(rows)
    frame.insert(0, "replication", draws.replications)
    frame.insert(0, "strategy", plan.strategy)
    return frame
