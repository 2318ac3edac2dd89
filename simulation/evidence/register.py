"""The evidence register: every number of a scenario, where it comes from, and how far to trust it.

``register(scenario)`` walks the validated scenario generically: every object carrying a
``source`` or an ``assumption`` (``simulation.distributions.Sourced``) becomes a row with its
value in words, its unit, its reference (citation, N, design, confidence flag) and its labels:

* ``assumption``: the number has no source, only a sentence;
* ``inferred``: derived from its source by arithmetic (``inferred:`` says how; evidence flag I);
* ``abstract-only``: its reference was read in an abstract only (``access: abstract``);
* ``adult-to-child``: the patient is a child (``Scenario.is_child``) and the reference studied adults.

Labelled numbers get wider parameter uncertainty in probabilistic sensitivity analysis: each
label has a factor (``parameters.widening``) and the factors of all labels that apply multiply
(``widening``). A ratio's lognormal log-SD is multiplied by the product (``widened_lognormal``);
an events/n proportion keeps its point value k/n while its effective sample size becomes
n / product^2 (``WidenedBeta``), which multiplies its SD by about the product.

``provenance_issues(root)`` checks the bundled scenario files: every number of every patient,
strategy, the phase library and the parameters has a source that exists in references.yaml or a
non-blank assumption.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..model.plan import compile_plan, modifier_exposures
from ..scenario.distributions import (
    Z95,
    BetaEvents,
    Fixed,
    Gamma,
    LogNormal,
    Probability,
    Sourced,
    Triangular,
    Uniform,
    Value,
)
from ..scenario.oncology import ElicitedProbability
from ..scenario.parameters import BloodVolumeBand, CellSalvage
from ..scenario.procedure import StagingRule
from ..scenario.schema import Scenario
from .labels import (
    LABELS,
    WidenedBeta,
    labels,
    sourced_numbers,
    widened_lognormal,
    widening,
    widening_at,
)
from .provenance import provenance_issues

UNIT_SUFFIXES = (  # longest first
    ("_ml_per_min", "mL/min"), ("_ml_per_kg", "mL/kg"), ("_g_dl", "g/dL"), ("_min", "min"), ("_ml", "mL"),
    ("_kg", "kg"), ("_days", "days"), ("_hours", "h"), ("_years", "years"), ("_units", "units"),
    ("_levels", "levels"), ("_haematocrit", "fraction (0–1)"),
)
RATIO_PARENTS = {"odds_ratios": "odds ratio", "event_odds": "odds ratio", "per_event": "odds ratio"}
COLUMNS = (
    "Section", "Parameter", "Meaning", "Value", "5–95%", "Unit", "Basis", "Source", "Source or assumption",
    "N", "Design", "Confidence", "Labels", "Widening",
)


# --- numbers in words ----------------------------------------------------------------------------
def number(x: float) -> str:
    """Three significant figures, thousands separated (a whole number from 1000 up)."""
    return f"{x:,.3g}" if abs(x) < 1000 else f"{x:,.0f}"


def describe(obj: Sourced) -> str:
    """The number or distribution in words, as written in the scenario file."""
    if isinstance(obj, Fixed):
        return f"fixed {number(obj.value)}"
    if isinstance(obj, LogNormal):
        if obj.p95 is not None:
            return f"lognormal, median {number(obj.median)}, 95th percentile {number(obj.p95)}"
        if obj.min is not None:
            return f"lognormal, median {number(obj.median)}, range {number(obj.min)}–{number(obj.max)} in {obj.n}"
        if obj.q1 is not None:
            series = f" in {obj.n}" if obj.n is not None else ""
            return f"lognormal, median {number(obj.median)}, quartiles {number(obj.q1)}–{number(obj.q3)}{series}"
        return f"lognormal, mean {number(obj.mean_)}, SD {number(obj.sd)}"
    if isinstance(obj, Gamma):
        return f"gamma, mean {number(obj.mean_)}, SD {number(obj.sd)}"
    if isinstance(obj, Triangular):
        return f"triangular, min {number(obj.min)}, mode {number(obj.mode)}, max {number(obj.max)}"
    if isinstance(obj, Uniform):
        return f"uniform {number(obj.min)}–{number(obj.max)}"
    if isinstance(obj, BetaEvents):
        return f"Beta from {obj.events} events in {obj.n}"
    if isinstance(obj, ElicitedProbability):
        return f"judged quartiles {number(obj.q1)}, {number(obj.median)}, {number(obj.q3)} (Beta fitted)"
    if isinstance(obj, Probability):
        return f"{obj.events} / {obj.n} ({100 * obj.value:.1f}%)" if obj.p is None else f"{number(obj.p)}"
    if isinstance(obj, BloodVolumeBand):
        return f"{number(obj.value)} (up to age {number(obj.max_age_years)} years)"
    if isinstance(obj, Value):
        return number(obj.value) + (f" (95% CI {number(obj.ci95[0])}–{number(obj.ci95[1])})" if obj.ci95 else "")
    if isinstance(obj, StagingRule):
        limits = [f"{number(obj.max_blood_volumes)} blood volumes" if obj.max_blood_volumes else "",
                  f"{number(obj.max_hours)} h of operating" if obj.max_hours else "",
                  f"{number(obj.max_blood_volumes_without_plasma)} blood volumes without plasma"
                  if obj.max_blood_volumes_without_plasma else "",
                  "an intra-operative alert" if obj.on_alert else ""]
        return "stop and stage at the next safe break after " + " or ".join(t for t in limits if t)
    if isinstance(obj, CellSalvage):
        return (f"{'on' if obj.enabled else 'off'}; returns a share of shed red cells (mean {100 * obj.recovery.mean():.0f}%) "
                f"in batches of {number(obj.min_collected_ml.value)} mL after {number(obj.processing_min.value)} min when on")
    return ", ".join(f"{k} {v}" for k, v in obj.model_dump(exclude={"source", "assumption", "inferred"}).items())


def middle_90(obj: Sourced) -> str:
    """5th-95th percentile of a distribution (blank for fixed numbers)."""
    if isinstance(obj, Fixed) or not hasattr(obj, "ppf_normal"):
        return ""
    lo, hi = obj.ppf_normal(np.array([-Z95, Z95]))
    return f"{number(float(lo))}–{number(float(hi))}"


def unit(path: tuple[str, ...], obj: Sourced) -> str:
    """The unit of the number at ``path``, read from the field names (``_min``, ``_ml_per_kg``, ...)."""
    if isinstance(obj, (Probability, BetaEvents, ElicitedProbability)):
        return "probability"
    if len(path) > 1 and path[-2] in RATIO_PARENTS:  # keyed by what it applies to, e.g. more_than_two_levels
        return RATIO_PARENTS[path[-2]]
    for part in reversed(path):
        if part in RATIO_PARENTS:
            return RATIO_PARENTS[part]
        for suffix, name in UNIT_SUFFIXES:
            if part.split("[")[0].endswith(suffix):
                return name
    if "modifiers" in path and path[-1] in ("duration", "bleeding"):
        return "multiplier"
    if "widening" in path:
        return "factor"
    if "latent" in path or path[-1].endswith("fraction"):
        return "share (0–1)"
    return ""


# --- the register --------------------------------------------------------------------------------
def register(scenario: Scenario) -> pd.DataFrame:
    """One row per number of the scenario's parameters, phases and strategies (a library phase once)."""
    roots = [(scenario.parameters, ("parameters",))] + [(s, ("strategy", s.name)) for s in scenario.strategies]
    refs, child, factors = scenario.references, scenario.is_child, scenario.parameters.widening
    rows = []
    for model, root in roots:
        for path, obj, meaning in sourced_numbers(model, root):
            ref = refs[obj.source] if obj.source else None
            found = labels(obj, refs, child)
            rows.append({
                "Section": path[0] if path[0] == "phases" else f"{path[0]}: {path[1].split('[')[0]}",
                "Parameter": ".".join(path[1:]),
                "Meaning": meaning,
                "Value": describe(obj),
                "5–95%": middle_90(obj),
                "Unit": unit(path, obj),
                "Basis": "source" if ref else "assumption",
                "Source": obj.source or "",
                "Source or assumption": ref.citation if ref else obj.assumption,
                "N": ref.n if ref else None,
                "Design": ref.design if ref else "",
                "Confidence": ("inferred" if obj.inferred else ref.confidence) if ref else "",
                "Labels": ", ".join(found),
                "Widening": widening(found, factors),
            })
    table = pd.DataFrame(rows, columns=list(COLUMNS)).astype({"N": "Int64"})
    return table.drop_duplicates(subset=["Parameter", "Value", "Source or assumption"], ignore_index=True)


def with_label(table: pd.DataFrame, label: str) -> pd.DataFrame:
    """Rows of ``register`` that carry ``label``; ``ValueError`` naming the labels for any other word."""
    if label not in LABELS:
        raise ValueError(f"'{label}' is not a label; labels are {', '.join(LABELS)}")
    return table[table.Labels.str.split(", ").apply(lambda found: label in found)]


def references_table(scenario: Scenario) -> pd.DataFrame:
    """One row per reference of the register, with how many of the scenario's numbers use it."""
    uses = register(scenario).Source.value_counts()
    rows = [{
        "Reference": key, "Citation": ref.citation, "N": ref.n, "Design": ref.design, "Taken": ref.taken,
        "Confidence": ref.confidence, "Access": ref.access, "Population": ref.population,
        "Link": f"https://doi.org/{ref.doi}" if ref.doi else (ref.url or ""),
        "Parameters": int(uses.get(key, 0)),
    } for key, ref in scenario.references.items()]
    return pd.DataFrame(rows).astype({"N": "Int64"})


__all__ = [
    "LABELS", "WidenedBeta", "describe", "labels", "middle_90", "provenance_issues", "references_table",
    "register", "sourced_numbers", "unit", "widened_lognormal", "widening", "widening_at", "with_label",
]


def modifier_table(scenario: Scenario) -> pd.DataFrame:
    """Patient conditions that scale phases, and how many times each applies to this patient."""
    rows = []
    for family, (mod, times) in modifier_exposures(scenario).items():
        if times <= 0:
            continue
        rows.append({
            "Condition": family.replace("_", " "),
            "Applies": f"{times:g}×",
            "Duration multiplier": number(mod.duration.value ** times) if mod.duration else "",
            "Bleeding multiplier": number(mod.bleeding.value ** times) if mod.bleeding else "",
            "Event odds ratios": ", ".join(f"{k} {number(v.value ** times)}" for k, v in mod.event_odds.items()),
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
            "Duration ×": number(p.duration_multiplier),
            "Bleeding ×": number(p.bleeding_multiplier),
            "Events, P(at least one) for this patient": "; ".join(
                f"{events[e].label} {100 * prob:.1f}%" for e, prob in p.event_probabilities
            ),
            "Before incision": "yes" if p.phase.before_incision else "",
        })
    return pd.DataFrame(rows)
