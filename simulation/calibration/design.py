"""The simulation design: a Latin hypercube over the parameters, run through the sweep engine.

Each target's patient groups (a series with subgroups has several) become one sweep each
(``simulation.sweeps``): the same design points, written into that group's scenario at every
path its parameters address, ``common_random_numbers`` on (every point simulates the same
patients, so differences between points come from the parameters alone). The sweeps go to one
DuckDB store, so a killed run resumes where it stopped; a sweep's name carries a hash of its
points and scenario, so a changed model or design starts fresh sweeps instead of mixing results.
``collect`` turns the stored summaries into one emulator training value per observation and point.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import logit

from ..sweeps import designs
from ..sweeps.run import run_sweep
from ..sweeps.spec import Parameter, ParameterSpec, SweepPlan, SweepSpec
from ..validation.compare import shares
from .parameters import place, prior_arrays, sweep_values
from .settings import Settings
from .targets import Target

MIN_REPLICATIONS = 10  # per patient group and point, so a small subgroup still has a spread
Z95 = 1.6448536269514722  # standard-normal 95th percentile: p5-p95 spans 2 x Z95 SDs


def design_z(params, settings: Settings) -> np.ndarray:
    """[points, parameters] Latin hypercube over prior mean +- ``design_width_sd`` prior SDs (unconstrained scale)."""
    mean, sd = prior_arrays(params)
    w = settings.run.design_width_sd
    bounds = list(zip(mean - w * sd, mean + w * sd))
    return designs.latin_hypercube(bounds, settings.run.design_points, designs.design_rng(settings.run.seed))


@dataclass(frozen=True)
class GroupPlan:
    """The sweep of one patient group of one target."""

    target: str
    group: int
    n: int  # patients of the group in the published series
    plan: SweepPlan


def _hash(*parts) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(np.ascontiguousarray(p).tobytes() if isinstance(p, np.ndarray) else repr(p).encode())
    return h.hexdigest()[:10]


def group_plans(targets: list[Target], params, z: np.ndarray, settings: Settings, file: str) -> list[GroupPlan]:
    """One checked sweep plan per target group for design ``z``."""
    out = []
    for t in targets:
        outcomes = tuple(dict.fromkeys(o.outcome for o in t.observations))
        reps = shares([g.n for g in t.cohort.groups], settings.run.replications)
        for gi, (group, count) in enumerate(zip(t.cohort.groups, reps)):
            placed, _ = place(params, group.scenario, file)
            values = sweep_values(params, placed, z)
            moving = [k for k in range(values.shape[1]) if np.ptp(values[:, k]) > 0]
            placed, values = [placed[k] for k in moving], values[:, moving]
            count = max(count, MIN_REPLICATIONS)
            key = _hash(values, group.scenario.digest(), outcomes, count, settings.run.seed)
            labels = [f"{params[pl.parameter].name}|{pl.target.path}" for pl in placed]
            spec = SweepSpec(
                name=f"calibration-{t.name}-{gi}-{key}", patient=t.name, design="latin-hypercube",
                parameters=tuple(ParameterSpec(path=pl.target.path, label=lab, range=(float(values[:, k].min()), float(values[:, k].max())))
                                 for k, (pl, lab) in enumerate(zip(placed, labels))),
                samples=len(z), replications=count, outcomes=outcomes, seed=settings.run.seed, common_random_numbers=True,
            )
            resolved = tuple(Parameter(lab, pl.target, float(values[:, k].min()), pl.target.base, float(values[:, k].max()))
                             for k, (pl, lab) in enumerate(zip(placed, labels)))
            plan = SweepPlan(spec, t.file, group.scenario, group.scenario.model_dump(mode="json", by_alias=True), resolved,
                             values, key)
            out.append(GroupPlan(t.name, gi, group.n, plan))
    return out


def run_design(plans: list[GroupPlan], store, backend, progress=None) -> list:
    """Run every group's sweep (only points not yet stored); ``progress(done, total)`` counts sweeps."""
    reports = []
    for done, gp in enumerate(plans):
        if progress:
            progress(done, len(plans))
        reports.append(run_sweep(gp.plan, store, backend))
    if progress:
        progress(len(plans), len(plans))
    return reports


def _pooled(rows: pd.DataFrame) -> pd.Series:
    """A target's summary at one point and outcome from its groups' rows (weights: published group sizes).

    The mean and spread are those of the mixture; the median is the weighted mean of group medians
    (exact for one group, an approximation for a mix)."""
    w = rows.weight.to_numpy() / rows.weight.sum()
    mean = float(w @ rows["mean"])
    second = float(w @ (rows.sd**2 + rows["mean"] ** 2))
    log_sd = float(w @ ((np.log(np.maximum(rows.p95, 1e-9)) - np.log(np.maximum(rows.p5, 1e-9))) / (2 * Z95)))
    return pd.Series({"mean": mean, "sd": np.sqrt(max(second - mean**2, 0.0)), "median": float(w @ rows["median"]),
                      "log_sd": log_sd, "reps": int(rows.n.sum())})


def collect(plans: list[GroupPlan], targets: list[Target], store) -> pd.DataFrame:
    """Emulator training data: one row per (point, observation key) with the simulated summary
    ``value`` on the observation's scale, and the simulated within-series ``cv`` and ``log_sd``."""
    frames = []
    for gp in plans:
        res = store.load(gp.plan.name).results.assign(target=gp.target, weight=gp.n)
        frames.append(res)
    res = pd.concat(frames, ignore_index=True)
    pooled = res.groupby(["target", "outcome", "point"]).apply(_pooled, include_groups=False).reset_index()
    rows = []
    for t in targets:
        for o in t.observations:
            sub = pooled[(pooled.target == t.name) & (pooled.outcome == o.outcome)].sort_values("point")
            if o.summary == "logit_rate":
                value = logit((sub["mean"] * sub.reps + 0.5) / (sub.reps + 1))
            elif o.summary == "log_mean":
                value = np.log(np.maximum(sub["mean"], 1e-9))
            else:
                value = np.log(np.maximum(sub["median"], 1e-9))
            rows.append(pd.DataFrame({"point": sub.point.to_numpy(), "key": o.key, "value": np.asarray(value),
                                      "cv": (sub.sd / sub["mean"].clip(lower=1e-9)).to_numpy(), "log_sd": sub.log_sd.to_numpy()}))
    return pd.concat(rows, ignore_index=True)
