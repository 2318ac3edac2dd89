"""Tables for the evidence page: every sourced number of a scenario, and each strategy's phase plan.

``parameter_table`` walks the validated scenario generically: every object carrying a
``source`` or an ``assumption`` (``simulation.distributions.Sourced``) becomes a row with its
value in words, its unit, and the citation or the assumption sentence. ``phase_plan`` reads the
plan ``simulation.plan.compile_plan`` compiles for the patient (multipliers and event rates).
"""

from __future__ import annotations

from typing import Any, Iterator

import numpy as np
import pandas as pd
from pydantic import BaseModel

from simulation import Scenario
from simulation.distributions import Z95, BetaEvents, Fixed, LogNormal, Probability, Sourced, Triangular, Uniform, Value
from simulation.plan import compile_plan, modifier_exposures
from simulation.scenario import BloodVolumeBand, CellSalvage, Phase, StagingRule

UNIT_SUFFIXES = (  # longest first
    ("_ml_per_min", "mL/min"), ("_ml_per_kg", "mL/kg"), ("_g_dl", "g/dL"), ("_min", "min"), ("_ml", "mL"),
    ("_kg", "kg"), ("_days", "days"), ("_hours", "h"), ("_years", "years"), ("_units", "units"),
    ("_levels", "levels"), ("_haematocrit", "fraction (0–1)"),
)
RATIO_PARENTS = {"odds_ratios": "odds ratio", "event_odds": "odds ratio", "per_event": "odds ratio"}


def _g(x: float) -> str:
    return f"{x:,.3g}" if abs(x) < 1000 else f"{x:,.0f}"


def describe(obj: Sourced) -> str:
    """The number or distribution in words, as written in the scenario file."""
    if isinstance(obj, Fixed):
        return f"fixed {_g(obj.value)}"
    if isinstance(obj, LogNormal):
        if obj.p95 is not None:
            return f"lognormal, median {_g(obj.median)}, 95th percentile {_g(obj.p95)}"
        if obj.n is not None:
            return f"lognormal, median {_g(obj.median)}, range {_g(obj.min)}–{_g(obj.max)} in {obj.n}"
        return f"lognormal, mean {_g(obj.mean_)}, SD {_g(obj.sd)}"
    if isinstance(obj, Triangular):
        return f"triangular, min {_g(obj.min)}, mode {_g(obj.mode)}, max {_g(obj.max)}"
    if isinstance(obj, Uniform):
        return f"uniform {_g(obj.min)}–{_g(obj.max)}"
    if isinstance(obj, BetaEvents):
        return f"Beta from {obj.events} events in {obj.n}"
    if isinstance(obj, Probability):
        return f"{obj.events} / {obj.n} ({100 * obj.value:.1f}%)" if obj.p is None else f"{_g(obj.p)}"
    if isinstance(obj, BloodVolumeBand):
        return f"{_g(obj.value)} (up to age {_g(obj.max_age_years)} years)"
    if isinstance(obj, Value):
        return _g(obj.value) + (f" (95% CI {_g(obj.ci95[0])}–{_g(obj.ci95[1])})" if obj.ci95 else "")
    if isinstance(obj, StagingRule):
        limits = [f"{_g(obj.max_blood_volumes)} blood volumes" if obj.max_blood_volumes else "",
                  f"{_g(obj.max_hours)} h of operating" if obj.max_hours else ""]
        return "stop and stage at " + " or ".join(t for t in limits if t)
    if isinstance(obj, CellSalvage):
        return f"{'on' if obj.enabled else 'off'}; returns {100 * obj.recovery_fraction:.0f}% of shed red cells when on"
    return ", ".join(f"{k} {v}" for k, v in obj.model_dump(exclude={"source", "assumption"}).items())


def middle_90(obj: Sourced) -> str:
    """5th-95th percentile of a distribution (blank for fixed numbers)."""
    if isinstance(obj, Fixed) or not hasattr(obj, "ppf_normal"):
        return ""
    lo, hi = obj.ppf_normal(np.array([-Z95, Z95]))
    return f"{_g(float(lo))}–{_g(float(hi))}"


def _unit(path: tuple[str, ...], obj: Sourced) -> str:
    if isinstance(obj, (Probability, BetaEvents)):
        return "probability"
    for part in reversed(path):
        if part in RATIO_PARENTS:
            return RATIO_PARENTS[part]
        for suffix, unit in UNIT_SUFFIXES:
            if part.split("[")[0].endswith(suffix):
                return unit
    if "modifiers" in path and path[-1] in ("duration", "bleeding"):
        return "multiplier"
    if "latent" in path or path[-1].endswith("fraction"):
        return "share (0–1)"
    return ""


def _walk(obj: Any, path: tuple[str, ...], meaning: str) -> Iterator[tuple[tuple[str, ...], Sourced, str]]:
    if isinstance(obj, Sourced):
        yield path, obj, meaning
        return
    if isinstance(obj, Phase):  # the same library phase recurs in strategies: name it by id
        path = ("phases", obj.id)
    if isinstance(obj, BaseModel):
        for name, field in type(obj).model_fields.items():
            yield from _walk(getattr(obj, name), path + (name,), field.description or "")
    elif isinstance(obj, dict):
        for key, value in obj.items():
            yield from _walk(value, path + (str(key),), meaning)
    elif isinstance(obj, (list, tuple)):
        for i, value in enumerate(obj):
            yield from _walk(value, path[:-1] + (f"{path[-1]}[{i}]",), meaning)


def parameter_table(scenario: Scenario) -> pd.DataFrame:
    """One row per sourced number in the scenario's parameters, phases and strategies."""
    roots = [(scenario.parameters, ("parameters",))] + [(s, ("strategy", s.name)) for s in scenario.strategies]
    rows = []
    for model, root in roots:
        for path, obj, meaning in _walk(model, root, ""):
            source = obj.source
            rows.append({
                "Section": path[0] if path[0] == "phases" else f"{path[0]}: {path[1].split('[')[0]}",
                "Parameter": ".".join(path[1:]),
                "Meaning": meaning,
                "Value": describe(obj),
                "5–95%": middle_90(obj),
                "Unit": _unit(path, obj),
                "Basis": "source" if source else "assumption",
                "Source or assumption": scenario.references[source].citation if source else obj.assumption,
            })
    table = pd.DataFrame(rows)
    return table.drop_duplicates(subset=["Parameter", "Value", "Source or assumption"], ignore_index=True)


def readable(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows of ``parameter_table`` for reading: the meaning under the parameter, no section column."""
    name = [f"{p} — {m}" if m else p for p, m in zip(rows.Parameter, rows.Meaning)]
    return rows.drop(columns=["Section", "Parameter", "Meaning"]).assign(Parameter=name)[
        ["Parameter", "Value", "5–95%", "Unit", "Basis", "Source or assumption"]
    ]


def patient_table(scenario: Scenario) -> pd.DataFrame:
    """The patient's values; assumed ones carry their sentence, a published case its citation."""
    p = scenario.patient
    case = scenario.references[p.source].citation if p.source else ""
    rows = []
    for name, field in type(p).model_fields.items():
        if name in ("name", "description", "source", "assumptions"):
            continue
        assumed = p.assumptions.get(name)
        value = getattr(p, name)
        if name == "blood_volume_ml_per_kg" and value is None:
            value, assumed = f"{scenario.blood_volume_ml_per_kg:g} (by age)", "Default for the age band in parameters.blood_volume_ml_per_kg."
        rows.append({
            "Field": name, "Meaning": field.description or "", "Value": str(value),
            "Basis": "assumption" if assumed else ("case report" if case else "as entered"),
            "Source or assumption": assumed or case,
        })
    return pd.DataFrame(rows)


def modifier_table(scenario: Scenario) -> pd.DataFrame:
    """Patient conditions that scale phases, and how many times each applies to this patient."""
    rows = []
    for family, (mod, times) in modifier_exposures(scenario).items():
        if times <= 0:
            continue
        rows.append({
            "Condition": family.replace("_", " "),
            "Applies": f"{times:g}×",
            "Duration multiplier": _g(mod.duration.value ** times) if mod.duration else "",
            "Bleeding multiplier": _g(mod.bleeding.value ** times) if mod.bleeding else "",
            "Event odds ratios": ", ".join(f"{k} {_g(v.value ** times)}" for k, v in mod.event_odds.items()),
        })
    return pd.DataFrame(rows)


def phase_plan(scenario: Scenario, strategy: str) -> pd.DataFrame:
    """The strategy's phases as this patient meets them: distributions, multipliers, event risks."""
    plan = compile_plan(scenario, strategy)
    events = scenario.parameters.events
    rows = []
    for p in plan.phases:
        rows.append({
            "Stage": p.stage + 1,
            "Exposure": p.exposure,
            "Phase": p.label,
            "Duration (min), reference patient": describe(p.phase.duration_min),
            "Bleeding (mL/min), reference patient": describe(p.phase.bleeding_ml_per_min),
            "Duration ×": _g(p.duration_multiplier),
            "Bleeding ×": _g(p.bleeding_multiplier),
            "Events, P(at least one) for this patient": "; ".join(
                f"{events[e].label} {100 * prob:.1f}%" for e, prob in p.event_probabilities
            ),
            "Before incision": "yes" if p.phase.before_incision else "",
        })
    return pd.DataFrame(rows)
