"""Plain-language summaries for families: natural frequencies with time frames, no relative risks.

``family_summary`` turns a ``Comparison`` of one or two plans into plain data (strings and
numbers) that both the counselling page and the PDF report draw, so the two never disagree.
Frequencies are the simulated shares scaled to 100; all plans are run on the same simulated
patients (common random numbers).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulation import Scenario
from simulation.present.formats import (
    FAMILY_DISCLAIMER,
    HOW_SURE,
    SHOWN,
    blood_share_words,
    family_difference,
    family_patient_line,
    family_plan_description,
    family_plan_label,
    family_range,
    longest_time_frame,
    patient_line,
    provenance_line,
)
from simulation.runs.analysis import exceedance
from simulation.scenario.feasibility import planned_deficit

from ..charts import colour
from ..compare.view import Comparison

ORDINAL_OPERATIONS = {1: "one operation", 2: "two operations", 3: "three operations", 4: "four operations"}


@dataclass(frozen=True)
class Risk:
    key: str
    label: str  # plain words
    time_frame: str
    p: float  # simulated share, 0-1
    mcse: float
    low: float | None = None  # honest 95% range of the share (Monte Carlo, centre and parameter parts), 0-1
    high: float | None = None

    @property
    def per_100(self) -> int:
        """Figures to fill in an icon array of 100 (0 < p < 0.5% shows none, and says so)."""
        return per_100(self.p)

    @property
    def words(self) -> str:
        return in_100(self.p)


def per_100(p: float) -> int:
    """A share as a whole number out of 100, halves rounded up."""
    return min(100, max(0, math.floor(100 * p + 0.5)))


def in_100(p: float) -> str:
    """A share as a natural frequency: ``'about 18 in 100'``, ``'fewer than 1 in 100'``."""
    if p < 0.005:
        return "fewer than 1 in 100"
    if 0.995 <= p < 1:
        return "more than 99 in 100"
    if p == 1:
        return "100 in 100"
    return f"about {per_100(p)} in 100"


@dataclass(frozen=True)
class Plan:
    name: str
    label: str  # for families (the strategy's family_label)
    description: str  # for families
    clinical_label: str
    clinical_description: str
    colour: str
    operations: str  # "two operations, about 7 days apart"
    operating: str  # "about 14 hours (9 in 10 between 9 and 22 hours)"
    anaesthesia: str  # "about 15 hours in total (9 in 10 between 11 and 21 hours)"
    stay: str  # "about 3 weeks (9 in 10 between 2 and 7 weeks)"
    adjuvant: str  # days from the first operation until fit for chemotherapy or radiotherapy, as ``stay``
    main: tuple[Risk, ...]
    others: tuple[Risk, ...]
    staging: Risk | None = None  # the stop-and-stage rule splitting the operation, when the plan has one

    @property
    def risks(self) -> tuple[Risk, ...]:
        return (*self.main, *self.others, *((self.staging,) if self.staging else ()))


@dataclass(frozen=True)
class Provenance:
    version: str
    scenario_digest: str
    seed: int
    replications: int
    date: str
    uncertainty: str = ""  # what the run drew (the run's uncertainty note)

    @property
    def line(self) -> str:
        return provenance_line(self.version, self.scenario_digest, self.seed, self.replications, self.date, self.uncertainty)


@dataclass(frozen=True)
class FamilySummary:
    patient: str  # in plain words
    patient_clinical: str  # the clinical patient line (one click away on the page, last page of the handout)
    people: str  # "children" or "adults"
    plans: tuple[Plan, ...]
    provenance: Provenance
    deficit: tuple[str, ...] = ()  # the certain loss from nerve roots cut on purpose (empty when none)

    @property
    def how_made(self) -> str:
        return (
            f"A computer acted out {self.provenance.replications:,} operations for each plan. "
            + ("It tried each plan on the same made-up patients, to make the plans easy to compare. " if len(self.plans) > 1 else "")
            + f"'About 18 in 100' means about 18 of every 100 made-up {self.people} like this one."
        )

    @property
    def how_sure(self) -> str:
        """How sure the estimates are, in words: the honest range of the first plan's headline risk when the
        run drew parameters or a centre; never the Monte Carlo error."""
        risk = self.plans[0].main[0]
        if risk.low is None:
            return HOW_SURE
        return family_range(risk.label[0].lower() + risk.label[1:], risk.p, risk.low, risk.high)

    def difference(self, i: int) -> str | None:
        """Under the i-th pair of icon arrays: the second plan against the first, in words."""
        if len(self.plans) < 2:
            return None
        first, second = self.plans[0].main[i], self.plans[1].main[i]
        return family_difference(first.p, second.p, self.plans[0].label, self.plans[1].label)

    @property
    def prose(self) -> str:
        """The handout's sentences for families (what a readability score should judge)."""
        differences = [d for i in range(len(self.plans[0].main)) if (d := self.difference(i))]
        parts = [FAMILY_DISCLAIMER, self.patient, *(p.description for p in self.plans), *differences,
                 self.how_sure, *MEANING, self.how_made]
        return " ".join(p if p.endswith(".") else f"{p}." for p in parts)

    @property
    def rough(self) -> bool:
        """Too few simulated operations for a handout (the PDF prints a warning)."""
        return self.provenance.replications < STEADY_REPLICATIONS


HOW_LONG = (  # (row title, Plan attribute), as the page and the report show them
    ("Operations", "operations"),
    ("Time in surgery (first cut to closing)", "operating"),
    ("Time asleep (under anaesthetic)", "anaesthesia"),
    ("Time in hospital", "stay"),
    ("Until ready for chemotherapy or radiotherapy (from the first operation)", "adjuvant"),
)
DEFICIT_HEADING = "What will certainly happen"
DEFICIT_INTRO = ("To take the tumour out in one piece, the surgeons plan to cut some nerves on purpose. "
                 "This is expected with every plan, not a risk:")
STEADY_REPLICATIONS = 1_000  # below this, "N in 100" can move by several figures from seed to seed
MEANING = (
    "These numbers come from a computer. They do not come from a study of people like this one.",
    "Most of what the computer was told is the team's best guess.",
    "They show what tends to happen to many people like this one. No one can say which of the 100 your child "
    "or you would be.",
    "They leave out things the computer does not know, like how the tumour responds to treatment.",
    "They are here to help you talk with the surgical team. They do not replace that talk.",
)


def _summary_row(c: Comparison, name: str, column: str) -> pd.Series:
    return c.summary[(c.summary.strategy == name) & (c.summary.outcome == column)].iloc[0]


def _span(c: Comparison, name: str, column: str) -> tuple[str, str]:
    """Typical value and 90% range of ``column`` (from the run's summary) in words: hours, days or weeks."""
    row, shown = _summary_row(c, name, column), SHOWN[column]
    lo, mid, hi = (float(row[k]) * shown.scale for k in ("p5", "median", "p95"))
    if shown.unit == "h":
        return f"about {mid:.0f} hours", f"9 in 10 between {lo:.0f} and {hi:.0f} hours"
    if mid >= 14:
        return f"about {mid / 7:.0f} weeks", f"9 in 10 between {lo / 7:.0f} and {hi / 7:.0f} weeks"
    return f"about {mid:.0f} days", f"9 in 10 between {lo:.0f} and {hi:.0f} days"


def _staging(c: Comparison, scenario: Scenario, name: str) -> Risk | None:
    """How often the stop-and-stage rule splits the operation (None when the plan has no rule)."""
    if scenario.strategy(name).stop_and_stage is None:
        return None
    split = exceedance(c.records, "converted_to_staged", 0.5).set_index("strategy").loc[name]
    return Risk("converted_to_staged", "Split into two", "during the operation", float(split.p), float(split.mcse))


def _oncology(scenario: Scenario, c: Comparison, name: str) -> tuple[Risk, ...]:
    """The margin (the surgeons' estimate), the cancer coming back where it was, and a late start of
    chemotherapy or radiotherapy, as frequencies out of 100."""
    onc = scenario.parameters.oncology
    recurrence = _summary_row(c, name, "local_recurrence_risk")
    return (
        _risk(c, name, "appropriate_margin", "All of the tumour out with a rim of healthy tissue (the surgeons' best guess)",
              "at the operation"),
        Risk("local_recurrence_risk", "The tumour coming back in the same place", f"over about {onc.margin.follow_up}",
             float(recurrence["mean"]) / 100, float(recurrence.mcse) / 100),
        _risk(c, name, "adjuvant_delayed", "Chemotherapy or radiotherapy starting late",
              f"more than {onc.adjuvant.delay_threshold_days.value:g} days after the first operation"),
    )


def _operations(scenario: Scenario, name: str, g, staging: Risk | None) -> str:
    n = len(scenario.strategy(name).stages)
    text = ORDINAL_OPERATIONS.get(n, f"{n} operations")
    if n > 1:
        gap = np.median(g.interval_days) / (n - 1)
        text += f", about {gap:.0f} days apart"
    if staging is not None:
        text += f"; split into two if the agreed limits are reached ({staging.words})"
    return text


def _risk(c: Comparison, name: str, column: str, label: str, time_frame: str) -> Risk:
    row = _summary_row(c, name, column)
    if not c.uncertainty_parts:
        return Risk(column, label, time_frame, float(row["mean"]), float(row.mcse))
    h = c.honest[(c.honest.strategy == name) & (c.honest.outcome == column)].iloc[0]
    return Risk(column, label, time_frame, float(h["mean"]), float(h.mcse), float(h.honest_low), float(h.honest_high))


def family_summary(scenario: Scenario, c: Comparison, date: str) -> FamilySummary:
    types = scenario.parameters.complications.types
    massive = scenario.parameters.transfusion.massive_transfusion_ml_per_kg.value
    people = "children" if scenario.is_child else "adults"
    icu_stays = exceedance(c.records, "icu_days", 0.0).set_index("strategy")
    plans = []
    for name in c.strategies:
        g = c.records[c.records.strategy == name]
        n = len(scenario.strategy(name).stages)
        if scenario.strategy(name).stop_and_stage is not None:
            during, after = "during the operation (both parts, if it is split)", "after the operation (either part)"
        elif n == 1:
            during, after = "during the operation", "after the operation"
        else:
            during = "across both operations" if n == 2 else f"across all {n} operations"
            after = "after any of the operations"
        icu = icu_stays.loc[name]
        blood = blood_share_words(massive * scenario.patient.weight_kg, scenario.blood_volume_ml)
        main = (
            _risk(c, name, "any_major_complication", "A serious problem of any kind",
                  longest_time_frame([t.time_frame for t in types.values()])),
            _risk(c, name, "massive_transfusion", f"A very large blood transfusion (donated blood equal to {blood})", during),
            Risk("icu", "A stay in intensive care", after, float(icu.p), float(icu.mcse)),
            _risk(c, name, "death", types["death"].plain_label.capitalize() if "death" in types else "Death",
                  types["death"].time_frame if "death" in types else "in hospital"),
        )
        others = tuple(
            _risk(c, name, f"complication_{k}", t.plain_label.capitalize(), t.time_frame)
            for k, t in types.items() if k != "death"
        ) + _oncology(scenario, c, name)
        operating, operating_range = _span(c, name, "operative_time_min")
        total, total_range = _span(c, name, "anaesthesia_time_min")
        stay, stay_range = _span(c, name, "los_days")
        adjuvant, adjuvant_range = _span(c, name, "days_to_adjuvant")
        staging = _staging(c, scenario, name)
        per_stage = c.stages[c.stages.strategy == name].groupby("stage").anaesthesia_time_min.median() / 60.0
        split = " + ".join(f"{h:.0f}" for h in per_stage.iloc[:n]) + " hours" if n > 1 else ""
        strategy = scenario.strategy(name)
        plans.append(Plan(
            name=name, label=family_plan_label(strategy), description=family_plan_description(strategy),
            clinical_label=c.labels[name], clinical_description=strategy.description, colour=colour(name),
            operations=_operations(scenario, name, g, staging),
            operating=f"{operating}{' in total' if n > 1 else ''} ({operating_range})",
            anaesthesia=f"{total} in total ({split + ', ' if split else ''}{total_range})",
            stay=f"{stay} ({stay_range})",
            adjuvant=f"{adjuvant} ({adjuvant_range})",
            main=main, others=others, staging=staging,
        ))
    provenance = Provenance(c.version, c.scenario_digest, c.seed, c.replications, date, c.uncertainty_note)
    return FamilySummary(family_patient_line(scenario), patient_line(scenario), people, tuple(plans), provenance,
                         tuple(planned_deficit(scenario.patient)))

