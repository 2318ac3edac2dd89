"""Sweep specifications (``scenarios/sweeps/*.yaml``) -> a checked ``SweepPlan``: the points to run.

A spec names a base patient and strategies (bundled names, or files relative to the spec), the
parameters to vary (by path, see ``simulation.sweep_paths``), a design, the replications per
point, the outcomes of interest and a master seed::

    name: seed-case-one-way            # the sweep's id in the results database
    patient: seed-case
    strategies: [single-stage-three-exposure, two-stage-posterior-then-anterior]
    design: one-way                    # grid | one-way | latin-hypercube | sobol | morris | psa
    parameters:
      - {path: transfusion.trigger_hb, range: [6, 8]}
      - {path: phases.vessel_dissection.duration, range: [0.5, 2], label: Vessel dissection time (x)}
    replications: 40
    outcomes: [operative_time_min, blood_loss_ml, rbc_units]
    seed: 2018

Per design, a parameter takes: ``grid`` - ``values: [...]`` or ``range: [low, high]`` with
``levels`` (default 5) evenly spaced values; ``one-way`` - ``range`` and an optional ``base``
(default: the scenario's value, 1 for a scaled distribution); ``latin-hypercube``, ``sobol``,
``morris`` - ``range`` (sampled uniformly), plus the spec's ``samples`` (points; Saltelli base N,
a power of 2; Morris trajectories); ``psa`` - ``distribution`` (any scenario distribution), or
``range`` (uniform), or nothing: then the uncertainty is the scenario's own, a ``Value``'s
``ci95`` as a lognormal (median = value, 95% interval = ci95) and a ``Probability`` given as
events/n as Beta(k + 1, n - k + 1).

Seeds: replication ``r`` of point ``i`` draws from ``SeedSequence(seed, spawn_key=(i, r, stream))``
(``simulation.runner.simulate_block(..., point=i)``), so a point's results depend on nothing but
the spec. With ``common_random_numbers: true`` every point reuses the same patients
(``spawn_key=(r, stream)``, as ``simulation.run``): differences between points are then due to
the parameters alone, which sharpens tornado, Sobol and Morris estimates at few replications.

Checking a spec validates every field (errors name the file, field, value and what is allowed),
resolves every path and re-validates the scenario with each parameter at each end of its range
(the others at base), so an invalid end - a transfusion trigger above the target - is reported
before anything runs. Points inside the ranges are validated when they run.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field, field_validator

from ..evidence.labels import WidenedBeta, widened_lognormal, widening_at
from ..scenario.distributions import FROZEN, Distribution, Uniform
from ..scenario.errors import Issue, ScenarioError, validate
from ..scenario.loader import BUNDLED, bundled, load_scenario, read_yaml
from ..scenario.published import Z975, lognormal_from_ratio_ci
from ..scenario.records import outcome_columns
from ..scenario.schema import Scenario
from . import designs
from .paths import Mode, PathError, Target, apply, resolve

DESIGNS = ("grid", "one-way", "latin-hypercube", "sobol", "morris", "psa")
SAMPLED = ("latin-hypercube", "sobol", "morris", "psa")
MAX_POINTS = 1_000_000
GRID_LEVELS = 5


MAX_SEED = 2**63  # seeds are stored in DuckDB; keep them within a signed 64-bit integer


class ParameterSpec(BaseModel):
    """One varied parameter of a sweep."""

    model_config = FROZEN

    path: str = Field(min_length=1, description="Where the number lives in the scenario (see simulation.sweep_paths).")
    label: str | None = Field(None, min_length=1, description="Display name; default: the path.")
    range: tuple[float, float] | None = Field(None, description="[low, high]; a multiplier for a distribution.")
    values: tuple[float, ...] | None = Field(None, description="grid: the values to run.")
    levels: int | None = Field(None, ge=2, le=1000, description=f"grid with a range: evenly spaced values (default {GRID_LEVELS}).")
    base: float | None = Field(None, description="one-way: the base value; default the scenario's.")
    distribution: Distribution | None = Field(None, description="psa: the parameter's uncertainty distribution.")

    @field_validator("range", mode="before")
    @classmethod
    def _pair(cls, v):
        if v is not None and (not isinstance(v, (list, tuple)) or len(v) != 2):
            raise ValueError("range needs two numbers, [low, high]")
        return v

    @field_validator("range")
    @classmethod
    def _ordered(cls, v):
        if v is not None and not v[0] < v[1]:
            raise ValueError(f"range low ({v[0]:g}) must be below high ({v[1]:g})")
        return v

    @field_validator("values", mode="before")
    @classmethod
    def _some(cls, v):
        if v is not None and (not isinstance(v, (list, tuple)) or len(v) == 0):
            raise ValueError("values must list at least one number, e.g. [6, 7, 8]")
        return v

    @property
    def name(self) -> str:
        return self.label or self.path


class SweepSpec(BaseModel):
    """A sweep: base patient and strategies, varied parameters, design, replications, outcomes, seed."""

    model_config = FROZEN

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", description="The sweep's id: lower-case letters, digits, dashes.")
    description: str = ""
    patient: str = Field(min_length=1, description="A bundled patient or a patient file (relative to the spec).")
    strategies: tuple[str, ...] | None = Field(None, min_length=1, description="Bundled strategies or files; default all bundled.")
    design: Literal[DESIGNS]
    parameters: tuple[ParameterSpec, ...] = Field(min_length=1)
    samples: int | None = Field(
        None, ge=1, le=MAX_POINTS, description="Points (latin-hypercube, psa), Saltelli N (sobol), trajectories (morris).")
    morris_levels: int = Field(4, ge=2, le=100, description="morris: grid levels per parameter (even).")
    replications: int = Field(ge=2, le=1_000_000, description="Replications (simulated patients) per point and strategy.")
    outcomes: tuple[str, ...] = Field(min_length=1, description="Record columns to summarise, e.g. blood_loss_ml.")
    seed: int = Field(ge=0, lt=MAX_SEED, description="Master seed, 0 to 2**63 - 1 (stored as a 64-bit integer).")
    common_random_numbers: bool = Field(False, description="Every point reuses the same simulated patients.")
    keep_records: bool = Field(False, description="Also store every replication's record (Parquet).")


def _design_issues(spec: SweepSpec, file: str) -> list[Issue]:
    """Cross-field rules that depend on the design."""
    issues: list[Issue] = []
    d = spec.design
    if d in SAMPLED and spec.samples is None:
        what = {"sobol": "the Saltelli base N (a power of 2, e.g. 32)", "morris": "the number of trajectories (e.g. 10)"}
        issues.append(Issue(file, "samples", f"design '{d}' needs samples: {what.get(d, 'the number of points')}"))
    if d not in SAMPLED and spec.samples is not None:
        issues.append(Issue(file, "samples", f"design '{d}' takes no samples (used by: {', '.join(SAMPLED)})", spec.samples))
    if d == "sobol" and spec.samples is not None and spec.samples & (spec.samples - 1):
        issues.append(Issue(file, "samples", "sobol (Saltelli) sampling needs a power of 2, e.g. 16, 32, 64", spec.samples))
    if d == "morris" and spec.morris_levels % 2:
        issues.append(Issue(file, "morris_levels", "Morris levels must be even (e.g. 4 or 6)", spec.morris_levels))
    allowed = {
        "grid": {"values", "range", "levels"},
        "one-way": {"range", "base"},
        "latin-hypercube": {"range"}, "sobol": {"range"}, "morris": {"range"},
        "psa": {"range", "distribution"},
    }[d]
    needs = {"grid": "values: [...] or range: [low, high]", "one-way": "range: [low, high]", "psa": ""}.get(d, "range: [low, high]")
    for i, p in enumerate(spec.parameters):
        where = f"parameters[{i}]"
        given = {k for k in ("values", "range", "levels", "base", "distribution") if getattr(p, k) is not None}
        for key in sorted(given - allowed):
            issues.append(Issue(file, f"{where}.{key}",
                                f"design '{d}' does not use {key}; a parameter here takes: {', '.join(sorted(allowed))}"))
        if given & allowed and not given - allowed:
            if {"values", "range"} <= given or {"distribution", "range"} <= given:
                both = "values" if "values" in given else "distribution"
                issues.append(Issue(file, where, f"give range or {both}, not both"))
            if "levels" in given and "range" not in given:
                issues.append(Issue(file, f"{where}.levels", "levels spreads a range; with values, list the values instead"))
        if needs and not given & {"values", "range"}:
            issues.append(Issue(file, where, f"design '{d}' needs {needs}"))
    for key in ("path", "name"):
        seen: dict[str, int] = {}
        for i, p in enumerate(spec.parameters):
            v = getattr(p, key)
            if v in seen:
                what = "path" if key == "path" else "label (or path)"
                issues.append(Issue(file, f"parameters[{i}]", f"repeats the {what} of parameters[{seen[v]}]", v))
            seen.setdefault(v, i)
    return issues


def load_spec(spec: str | Path, text: str | None = None, root: Path = BUNDLED) -> tuple[SweepSpec, str]:
    """Read and validate a sweep spec (a bundled sweep name or a file); returns (spec, file)."""
    known = bundled("sweeps", root)
    path = known.get(str(spec), Path(spec))
    file = str(path)
    data = read_yaml(path, text)
    spec_model = validate(SweepSpec, data, file)
    issues = _design_issues(spec_model, file)
    if issues:
        raise ScenarioError(issues)
    return spec_model, file


@dataclass(frozen=True)
class Parameter:
    """A resolved parameter: its target in the scenario and the values it takes."""

    label: str
    target: Target
    low: float  # for psa: the 2.5th percentile
    base: float
    high: float  # for psa: the 97.5th percentile
    axis: tuple[float, ...] = ()  # grid values
    distribution: object | None = None  # psa: a scenario distribution of the swept number


@dataclass(frozen=True)
class SweepPlan:
    """A checked sweep: the base scenario, the resolved parameters and the design's points."""

    spec: SweepSpec
    file: str
    scenario: Scenario
    tree: dict  # the base scenario, dumped (model_dump(mode="json", by_alias=True))
    parameters: tuple[Parameter, ...]
    points: np.ndarray  # [points, parameters] swept values
    spec_hash: str

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def strategies(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.scenario.strategies)

    @property
    def targets(self) -> tuple[Target, ...]:
        return tuple(p.target for p in self.parameters)

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(p.label for p in self.parameters)

    def scenario_at(self, point: int) -> Scenario:
        """The validated scenario of one point; ``ScenarioError`` naming the point if invalid."""
        return point_scenario(self.scenario, self.targets, self.points[point], self.file, point, self.labels)


def point_scenario(base: Scenario, targets, values, file: str, point: int | None, labels=()) -> Scenario:
    """The base scenario with ``values`` applied to ``targets``, validated where they changed
    (``sweep_paths.apply``); ``ScenarioError`` naming the point and its values if invalid."""
    try:
        return validate(Scenario, apply(base, targets, values), file)
    except ScenarioError as exc:
        at = ", ".join(f"{n} = {v:g}" for n, v in zip(labels or [t.path for t in targets], values))
        where = f"point {point} ({at})" if point is not None else at
        raise ScenarioError([Issue(file, where, f"invalid scenario: {i.path}: {i.message}") for i in exc.issues]) from None


def _locate(item: str, kind: str, spec_file: str, field: str, root: Path) -> str:
    if item in bundled(kind, root):
        return item
    path = Path(item)
    if not path.is_absolute():
        path = Path(spec_file).parent / path
    if not path.is_file():
        known = ", ".join(bundled(kind, root))
        raise ScenarioError([Issue(spec_file, field, f"not a bundled {kind[:-1]} or a file next to the spec; bundled: {known}", item)])
    return str(path)


def _inferred(target: Target, tree: dict, scenario: Scenario):
    """The scenario's own uncertainty about a target: ci95 -> lognormal, events/n -> beta, each
    widened by the factors of the target's evidence labels (``simulation.evidence``); ``tree`` is
    ``scenario`` dumped."""
    node = tree
    for key in target.locations[0]:
        node = node[key]
    prov = ({"source": node["source"]} if node.get("source")
            else {"assumption": f"Uncertainty of {target.canonical} as given in the scenario."})
    factor = widening_at(node, scenario)
    if target.mode is Mode.VALUE and node.get("ci95") and node["ci95"][0] > 0:
        sigma = lognormal_from_ratio_ci(node["value"], *node["ci95"]).sigma
        return widened_lognormal(node["value"], sigma, factor, **prov)
    if target.mode is Mode.PROBABILITY and node.get("events") is not None:
        return WidenedBeta(node["events"], node["n"], factor)
    return None


def _spec_hash(spec: SweepSpec, scenario: Scenario) -> str:
    text = json.dumps({"spec": spec.model_dump(mode="json", by_alias=True), "scenario": scenario.digest()}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def plan_sweep(spec: SweepSpec, file: str, root: Path = BUNDLED) -> SweepPlan:
    """Resolve paths, check outcomes and range ends, and build the design's points."""
    patient = _locate(spec.patient, "patients", file, "patient", root)
    strategies = None
    if spec.strategies is not None:
        strategies = [_locate(s, "strategies", file, f"strategies[{i}]", root) for i, s in enumerate(spec.strategies)]
    scenario = load_scenario(patient, strategies, root)
    tree = scenario.model_dump(mode="json", by_alias=True)
    issues: list[Issue] = []

    allowed = outcome_columns(scenario)
    for j, outcome in enumerate(spec.outcomes):
        if outcome not in allowed:
            issues.append(Issue(file, f"outcomes[{j}]", f"unknown outcome; allowed: {', '.join(allowed)}", outcome))
    if len(set(spec.outcomes)) < len(spec.outcomes):
        issues.append(Issue(file, "outcomes", "lists an outcome twice", list(spec.outcomes)))

    params: list[Parameter] = []
    for i, p in enumerate(spec.parameters):
        where = f"parameters[{i}]"
        try:
            target = resolve(tree, p.path)
        except PathError as exc:
            issues.append(Issue(file, f"{where}.path", str(exc), p.path))
            continue
        param = _parameter(spec, p, target, tree, scenario, file, where, issues)
        if param is not None:
            params.append(param)
    if issues:
        raise ScenarioError(issues)

    targets = tuple(p.target for p in params)
    base = [p.base for p in params]
    for i, p in enumerate(params):
        ends = ((("low", p.low), ("high", p.high)) if spec.design != "grid"
                else (("lowest value", min(p.axis)), ("highest value", max(p.axis))))
        for end, x in ends:
            values = list(base)
            values[i] = x
            try:
                point_scenario(scenario, targets, values, file, None)
            except ScenarioError as exc:
                field = "values" if spec.design == "grid" and spec.parameters[i].values else "range"
                if spec.design == "psa":
                    field = "distribution" if spec.parameters[i].distribution else "range" if spec.parameters[i].range else "path"
                for issue in exc.issues:
                    message = issue.message.removeprefix("invalid scenario: ")
                    issues.append(Issue(file, f"parameters[{i}].{field}", f"the scenario is invalid at the {end} {x:g}: {message}"))
    count = designs.point_count(spec.design, len(params), spec.samples, [len(p.axis) for p in params])
    if count > MAX_POINTS:
        issues.append(Issue(file, "design", f"{count:,} points is more than the limit of {MAX_POINTS:,}; use fewer values or samples"))
    if issues:
        raise ScenarioError(issues)
    return SweepPlan(spec, file, scenario, tree, tuple(params), _points(spec, params), _spec_hash(spec, scenario))


def _parameter(spec, p: ParameterSpec, target: Target, tree, scenario, file, where, issues) -> Parameter | None:
    positive = target.mode is Mode.SCALE
    unit = target.mode is Mode.PROBABILITY
    what = "a multiplier (scale of a distribution)" if positive else "a probability"

    def bad(x: float) -> bool:
        return (positive and x <= 0) or (unit and not 0 <= x <= 1)

    if spec.design == "psa":
        dist = p.distribution
        if dist is None and p.range is not None:
            dist = Uniform(dist="uniform", min=p.range[0], max=p.range[1], assumption="Uniform over the sweep's range.")
        if dist is None:
            dist = _inferred(target, tree, scenario)
        if dist is None:
            issues.append(Issue(file, where, f"no uncertainty for '{target.canonical}': the scenario gives no ci95 or "
                                             "events/n here; give distribution: or range:"))
            return None
        lo, mid, hi = (float(dist.ppf_normal(np.array([z]))[0]) for z in (-Z975, 0.0, Z975))
        if bad(lo) or bad(hi):
            issues.append(Issue(file, where, f"the distribution's 95% range [{lo:g}, {hi:g}] must hold {what}"))
            return None
        return Parameter(p.name, target, lo, mid, hi, (), dist)
    axis: tuple[float, ...] = ()
    if spec.design == "grid":
        axis = tuple(p.values) if p.values is not None else tuple(np.linspace(*p.range, p.levels or GRID_LEVELS).tolist())
        lo, hi = min(axis), max(axis)
        base = target.base
    else:
        lo, hi = p.range
        base = p.base if p.base is not None else target.base
    field = "values" if p.values is not None else "range"
    if bad(lo) or bad(hi):
        issues.append(Issue(file, f"{where}.{field}", f"'{p.path}' takes {what}; got [{lo:g}, {hi:g}]"))
        return None
    if spec.design == "one-way" and not lo <= base <= hi:
        origin = "base" if p.base is not None else f"the scenario's value ({base:g}); widen the range or give base:"
        issues.append(Issue(file, f"{where}.range", f"range [{lo:g}, {hi:g}] must contain {origin}"))
        return None
    return Parameter(p.name, target, lo, base, hi, axis)


def _points(spec: SweepSpec, params: list[Parameter]) -> np.ndarray:
    names = [p.label for p in params]
    bounds = [(p.low, p.high) for p in params]
    rng = designs.design_rng(spec.seed)
    if spec.design == "grid":
        return designs.grid([p.axis for p in params])
    if spec.design == "one-way":
        return designs.one_way([p.low for p in params], [p.base for p in params], [p.high for p in params])
    if spec.design == "latin-hypercube":
        return designs.latin_hypercube(bounds, spec.samples, rng)
    if spec.design == "sobol":
        return designs.saltelli(names, bounds, spec.samples, rng)
    if spec.design == "morris":
        return designs.morris(names, bounds, spec.samples, spec.morris_levels, rng)
    return designs.probabilistic([p.distribution for p in params], spec.samples, rng)


def load_plan(spec: str | Path, root: Path = BUNDLED) -> SweepPlan:
    """``load_spec`` then ``plan_sweep``: a checked plan, or ``ScenarioError``."""
    model, file = load_spec(spec, root=root)
    return plan_sweep(model, file, root)


__all__ = [
    "DESIGNS", "Parameter", "ParameterSpec", "SweepPlan", "SweepSpec", "load_plan", "load_spec",
    "plan_sweep", "point_scenario",
]
