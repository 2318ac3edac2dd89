"""Run replications until every requested estimate is as precise as asked (sequential stopping).

``run_to_precision`` runs a pilot of ``minimum`` replications of every strategy, then adds
replications in batches until, for **every** (strategy, outcome), the half-width of the 95%
confidence interval of the mean reaches its target, or ``maximum`` replications are done.

Targets
    * continuous outcomes (times, blood, units, days, counts): **relative** to the mean,
      ``Z · MCSE <= relative · |mean|`` (``relative=0.02``: the mean is known to ±2%);
    * probabilities (yes/no columns and complications, which count any severity):
      **absolute**, half the width of the 95% Wilson score interval ``<= absolute``
      (``absolute=0.01``: ±1 percentage point). Wilson rather than ``Z · MCSE`` so that a risk
      seen 0 times in the pilot is not taken as known exactly (its Wald half-width is 0).

Stopping rule
    After the pilot and after each batch, with n replications done: stop if every target is
    met, or if n = ``maximum``. Otherwise project the replications the worst estimate needs,
    n · (h / t)² for half-width h and target t (half-widths shrink as 1/√n), and go to
    ``min(maximum, 2n, ceil(1.1 · n · max (h/t)²))``: at least 10% more, at most double.
    Every strategy runs the same replications (common random numbers), so paired differences
    stay paired.

Caveat
    The stopping time depends on the data, so the CIs reported after stopping are approximate:
    stopping when an estimated variance happens to be small biases the half-width slightly
    downwards (Law, *Simulation Modeling and Analysis*, 5th ed., 2015, section 9.4.1). The pilot
    minimum (200 by default) keeps the variance estimate from being a handful of values; for
    rare risks it is still the Wilson interval, not the pilot, that protects against
    stopping on zero events.

Because a replication's numbers depend only on (seed, replication, stream), the ``Results`` of
a precision run equal ``simulation.run(scenario, n_used, seed)`` exactly.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..model.uncertainty import Uncertainty
from ..scenario.records import RESULT_FIELDS, is_probability
from ..scenario.schema import Scenario
from . import analysis
from .analysis import Z
from .pools import process_pool
from .runner import BLOCK, Results, check_strategies, collect, simulate_range
from .uncertainty import honest_summary, parts_on

DEFAULT_RELATIVE = 0.02  # ±2% of the mean
DEFAULT_ABSOLUTE = 0.01  # ±1 percentage point
DEFAULT_MINIMUM = 200
DEFAULT_MAXIMUM = 50_000
FINEST = 1e-4  # finest target either way: ±0.01% or ±0.01 percentage points already needs ~10^8 replications
GROWTH_MARGIN = 1.1  # aim 10% past the projected need, so that the next check usually passes
MAX_GROWTH = 2.0


class SettingError(ValueError):
    """A precision setting out of range: ``field``, ``value`` and what is ``allowed``."""

    def __init__(self, field: str, value: object, allowed: str):
        super().__init__(f"{field} must be {allowed} (got {value})")
        self.field, self.value, self.allowed = field, value, allowed


@dataclass(frozen=True)
class Precision:
    """Targets and limits of a precision run (checked on construction; raises ``SettingError``).

    ``relative``: CI half-width as a fraction of the mean for continuous outcomes (None: no
    target for them). ``absolute``: CI half-width of probabilities, 0-1 (None: no target).
    ``minimum``: pilot replications; ``maximum``: the most replications per strategy.
    """

    relative: float | None = DEFAULT_RELATIVE
    absolute: float | None = DEFAULT_ABSOLUTE
    minimum: int = DEFAULT_MINIMUM
    maximum: int = DEFAULT_MAXIMUM

    def __post_init__(self):
        if self.relative is not None and not (math.isfinite(self.relative) and self.relative >= FINEST):
            raise SettingError("relative", self.relative, f"a number of at least {FINEST:g} (0.02 = ±2% of the mean)")
        if self.absolute is not None and not (FINEST <= self.absolute < 1):
            raise SettingError("absolute", self.absolute,
                               f"at least {FINEST:g} and less than 1 (0.01 = ±1 percentage point)")
        if self.relative is None and self.absolute is None:
            raise SettingError("relative", None, "given when absolute is not")
        if self.minimum < 2:
            raise SettingError("minimum", self.minimum, "at least 2 (a standard error needs two replications)")
        if self.maximum < self.minimum:
            raise SettingError("maximum", self.maximum, f"at least the minimum ({self.minimum})")

    def target(self, column: str) -> tuple[str, float | None]:
        """('absolute', target) for a probability column, ('relative', target) otherwise."""
        return ("absolute", self.absolute) if is_probability(column) else ("relative", self.relative)


@dataclass(frozen=True)
class PrecisionResults:
    """The run (``results``, identical to ``simulation.run`` with ``replications``) and ``table``:
    one row per (strategy, outcome) with a target: scale ('relative' or 'absolute'), target,
    mean, mcse, half_width (outcome units), achieved (half-width on the target's scale),
    replications, reached. ``checkpoints``: the replication counts at which the rule looked."""

    results: Results
    table: pd.DataFrame
    precision: Precision
    checkpoints: tuple[int, ...]

    @property
    def replications(self) -> int:
        return self.results.replications

    @property
    def reached(self) -> bool:
        return bool(self.table.reached.all())


def wilson_half_width(p: np.ndarray | float, n: int) -> np.ndarray:
    """Half the width of the 95% Wilson score interval (``analysis.wilson``) of a proportion ``p`` of ``n``."""
    low, high = analysis.wilson(p, n)
    return (high - low) / 2


def precision_table(records: pd.DataFrame, outcomes: Iterable[str], precision: Precision,
                    uncertainty: Uncertainty | None = None) -> pd.DataFrame:
    """Half-widths reached by ``records`` against the targets of ``precision`` (outcomes with no target are left out).
    With parameter or centre draws the Monte Carlo SE is the nested design's (``uncertainty.parts``), and a
    risk's half-width is the larger of Wilson's and 1.96 of it."""
    wanted = [c for c in outcomes if precision.target(c)[1] is not None]
    s = analysis.summarise(records, wanted)
    nested = bool(parts_on(uncertainty))
    if nested and len(s):
        s["mcse"] = honest_summary(records, uncertainty, wanted).mcse.to_numpy()
    scale, target = zip(*(precision.target(c) for c in s.outcome)) if len(s) else ((), ())
    s["scale"], s["target"] = list(scale), list(target)
    absolute = s.scale == "absolute"
    wilson = wilson_half_width(s["mean"].clip(0, 1), s.n.to_numpy())
    if nested:
        wilson = np.maximum(wilson, Z * s.mcse.fillna(0.0))
    s["half_width"] = np.where(absolute, wilson, Z * s.mcse.fillna(0.0))
    # relative: half-width over |mean|; a zero-variance outcome is exact whatever its mean
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = np.where(s.half_width == 0, 0.0, s.half_width / s["mean"].abs())
    s["achieved"] = np.where(absolute, s.half_width, relative)
    s["reached"] = s.achieved <= s.target
    s = s.rename(columns={"n": "replications"})
    return s[["strategy", "outcome", "label", "scale", "target", "mean", "mcse", "half_width", "achieved",
              "replications", "reached"]]


def next_replications(table: pd.DataFrame, n: int, maximum: int) -> int:
    """The stopping rule's next total: ``min(maximum, 2n, ceil(1.1 · n · max (achieved/target)²))``."""
    short = table[~table.reached]
    ratio = float((short.achieved / short.target).max())  # inf when a relative target has mean 0
    projected = GROWTH_MARGIN * n * ratio * ratio  # a product: overflows to inf, where ** 2 would raise
    return int(min(maximum, MAX_GROWTH * n, math.ceil(projected) if math.isfinite(projected) else math.inf))


def run_to_precision(
    scenario: Scenario,
    seed: int,
    precision: Precision = Precision(),
    outcomes: Iterable[str] | None = None,
    strategies: Iterable[str] | None = None,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
    uncertainty: Uncertainty | None = None,
    note: str = "",
) -> PrecisionResults:
    """Replications of each strategy until every outcome's 95% CI half-width meets its target.

    ``outcomes`` default: every declared column with a better direction, and every complication.
    ``progress(done, total)`` is called after each block, with ``total`` the most that could be
    run (``maximum`` per strategy). See the module docstring for the stopping rule and its caveat.
    """
    names = check_strategies(scenario, strategies)
    types = scenario.parameters.complications.types
    outcomes = list(outcomes) if outcomes is not None else [
        *(k for k, c in RESULT_FIELDS.items() if c.better != "neither"), *(f"complication_{k}" for k in types)]
    parts: list[tuple[pd.DataFrame, pd.DataFrame]] = []
    total, counted = precision.maximum * len(names), 0

    def count(k: int) -> None:
        nonlocal counted
        counted += k * len(names)
        if progress:
            progress(counted, total)

    def extend(pool: Executor | None, start: int, stop: int) -> None:
        parts.extend(simulate_range(scenario, names, seed, range(start, stop), pool, BLOCK, count, uncertainty))

    pool = process_pool(workers) if workers > 1 else None
    try:
        checkpoints = [precision.minimum]
        extend(pool, 0, precision.minimum)
        while True:
            n = checkpoints[-1]
            so_far = collect(parts, scenario, seed, n, uncertainty, note)  # ordered as simulation.run orders them
            table = precision_table(so_far.records, outcomes, precision, uncertainty)
            if table.reached.all() or n >= precision.maximum:
                return PrecisionResults(so_far, table, precision, tuple(checkpoints))
            checkpoints.append(next_replications(table, n, precision.maximum))
            extend(pool, n, checkpoints[-1])
    finally:
        if pool is not None:
            pool.shutdown()
