"""Experimental designs: the matrix of parameter values a sweep runs (one row per point).

Every design is a pure function of its arguments and, where random, of a ``Generator`` built
from the sweep's master seed by ``design_rng`` (its own spawn key, so the design never shares
numbers with the simulation streams, which are keyed by (point, replication, stream)).

* ``grid``: every combination of each parameter's values (row-major, last parameter fastest);
* ``one_way``: the base point, then each parameter at its low and at its high value with the
  others at base (rows ``1 + 2i`` and ``2 + 2i``) - the input of a tornado diagram;
* ``latin_hypercube``: ``n`` points, one in each of ``n`` equal slices of every range
  (McKay, Beckman & Conover 1979, doi:10.1080/00401706.1979.10489755), via ``scipy.stats.qmc``;
* ``saltelli``: the ``N * (k + 2)`` points of Saltelli's scheme for first- and total-order Sobol
  indices, via ``SALib.sample.sobol`` (Saltelli et al. 2010, doi:10.1016/j.cpc.2009.09.018);
* ``morris``: ``N`` one-at-a-time trajectories of ``k + 1`` points on a ``levels``-level grid,
  via ``SALib.sample.morris`` (Morris 1991, doi:10.1080/00401706.1991.10484804);
* ``probabilistic``: ``n`` independent draws from each parameter's uncertainty distribution
  (Monte Carlo probabilistic sensitivity analysis; Briggs et al. 2012, doi:10.1177/0272989X12458348).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
from scipy.stats import qmc

DESIGN_SPAWN_KEY = (0x5EED0,)  # never change: designs of stored sweeps depend on it


def design_rng(seed: int) -> np.random.Generator:
    """The generator a design draws from, for master seed ``seed``."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=DESIGN_SPAWN_KEY))


def problem(names: Sequence[str], bounds: Sequence[tuple[float, float]]) -> dict:
    """The SALib problem dictionary."""
    return {"num_vars": len(names), "names": list(names), "bounds": [list(map(float, b)) for b in bounds]}


def grid(axes: Sequence[Sequence[float]]) -> np.ndarray:
    return np.array(list(itertools.product(*axes)), dtype=float).reshape(-1, len(axes))


def one_way(low: Sequence[float], base: Sequence[float], high: Sequence[float]) -> np.ndarray:
    k = len(base)
    rows = [np.asarray(base, dtype=float)]
    for i in range(k):
        for end in (low, high):
            row = np.asarray(base, dtype=float).copy()
            row[i] = end[i]
            rows.append(row)
    return np.vstack(rows)


def _scaled(unit: np.ndarray, bounds: Sequence[tuple[float, float]]) -> np.ndarray:
    lo = np.array([b[0] for b in bounds], dtype=float)
    hi = np.array([b[1] for b in bounds], dtype=float)
    return lo + unit * (hi - lo)


def latin_hypercube(bounds: Sequence[tuple[float, float]], n: int, rng: np.random.Generator) -> np.ndarray:
    return _scaled(qmc.LatinHypercube(d=len(bounds), rng=rng).random(n), bounds)


def saltelli(names: Sequence[str], bounds: Sequence[tuple[float, float]], n: int, rng: np.random.Generator) -> np.ndarray:
    """Saltelli points for first- and total-order indices (no second order); ``n`` a power of 2."""
    from SALib.sample import sobol

    return sobol.sample(problem(names, bounds), n, calc_second_order=False, scramble=True, seed=rng)


def morris(
    names: Sequence[str], bounds: Sequence[tuple[float, float]], n: int, levels: int, rng: np.random.Generator
) -> np.ndarray:
    from SALib.sample import morris as morris_sample

    return morris_sample.sample(problem(names, bounds), n, num_levels=levels, seed=rng)


def probabilistic(distributions: Sequence, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` draws of each distribution (anything with ``ppf_normal(z)``), independent across columns."""
    z = rng.standard_normal((n, len(distributions)))
    return np.column_stack([d.ppf_normal(z[:, j]) for j, d in enumerate(distributions)]).reshape(n, len(distributions))


def point_count(design: str, k: int, samples: int | None, levels: Sequence[int] = ()) -> int:
    """How many points a design has, without building it."""
    if design == "grid":
        return int(np.prod(levels))
    if design == "one-way":
        return 1 + 2 * k
    if design == "sobol":
        return samples * (k + 2)
    if design == "morris":
        return samples * (k + 1)
    return samples
