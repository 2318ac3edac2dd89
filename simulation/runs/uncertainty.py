"""Honest intervals: the uncertainty of a summary split into Monte Carlo, patient, centre and parameter parts.

A run with uncertainty is a nested design (``model.uncertainty``): parameter draws, centres within
a draw, patients within a centre. A nested analysis of variance (method of moments) of any outcome
then gives

* ``sd_patient``: the spread between patients at one centre with fixed parameters;
* ``sd_centre``: the spread of a centre's mean outcome between centres (same parameters);
* ``sd_parameter``: the spread of the mean outcome over the posterior of the parameters;
* ``mcse``: the Monte Carlo standard error of the overall mean (draws are independent, so
  ``sqrt(MS_draws / N)``; with nesting it exceeds the naive ``sd / sqrt(N)``).

The **honest 95% range** of a mean (a risk, an average time) is where the mean outcome of this
patient lies at a centre like those published, given what the calibration learnt: the 2.5th-97.5th
percentiles of the centres' means, shrunk toward the overall mean so that their variance is
``sd_centre² + sd_parameter²`` (keeps the skew of, e.g., blood loss), and never narrower than the
Monte Carlo interval. With fixed parameters and no centre effect it is the Monte Carlo interval
alone, and ``parts_on`` says so: that interval is **not** the uncertainty of a prediction.

Paired differences use the same analysis on the per-replication difference (common random numbers
and common parameter and centre draws). ``probability_best`` runs draws x patients and counts, per
outcome, how often each plan has the best mean at a draw (Monte Carlo noise within a draw makes it
slightly less decisive than the truth; more patients per draw reduce that).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..model.uncertainty import Uncertainty
from ..scenario.records import HIGHER_IS_BETTER, column, label, record_columns
from ..scenario.schema import Scenario
from .analysis import Z, exceedance, outcome_values, pair_rows, paired, strategy_rows
from .runner import check_strategies, collect, iter_blocks

Q = (0.025, 0.975)


@dataclass(frozen=True)
class Groups:
    """The nesting of a set of replications: each one's centre and parameter draw (compact indices)."""

    centre: np.ndarray  # [N] centre index
    draw_of_centre: np.ndarray  # [centres] draw index of each centre
    n_centre: np.ndarray  # [centres] replications per centre
    n_draw: np.ndarray  # [draws] replications per draw

    @classmethod
    def of(cls, replications: np.ndarray, uncertainty: Uncertainty) -> Groups:
        draw, centre = uncertainty.groups(replications)
        keys, first, inverse = np.unique(centre, return_index=True, return_inverse=True)
        _, d_inverse = np.unique(draw[first], return_inverse=True)
        n_centre = np.bincount(inverse)
        return cls(inverse, d_inverse, n_centre, np.bincount(d_inverse, weights=n_centre))


def parts(x: np.ndarray, replications: np.ndarray, uncertainty: Uncertainty | None, groups: Groups | None = None) -> dict[str, float]:
    """Mean, Monte Carlo SE, the three SDs and the honest 95% range of the mean of ``x`` (per replication);
    ``groups`` (``Groups.of``) may be given when many outcomes share the replications."""
    x = np.asarray(x, dtype=float)
    n = len(x)
    mean = float(x.mean())
    nested = uncertainty is not None and (uncertainty.parameters_on or uncertainty.centre_on)
    if not nested or n < 2:
        se = float(x.std(ddof=1) / np.sqrt(n)) if n > 1 else np.nan
        return dict(mean=mean, mcse=se, sd_patient=float(x.std(ddof=1)) if n > 1 else np.nan, sd_centre=0.0,
                    sd_parameter=0.0, honest_low=mean - Z * se, honest_high=mean + Z * se)
    g = groups or Groups.of(replications, uncertainty)
    n_c, n_g = len(g.n_centre), len(g.n_draw)
    m_c = np.bincount(g.centre, weights=x) / g.n_centre
    m_g = np.bincount(g.draw_of_centre, weights=m_c * g.n_centre) / g.n_draw
    resid = x - m_c[g.centre]
    ms_w = float(resid @ resid / (n - n_c)) if n > n_c else 0.0
    ms_c = float((g.n_centre * (m_c - m_g[g.draw_of_centre]) ** 2).sum() / (n_c - n_g)) if n_c > n_g else ms_w
    ms_g = float((g.n_draw * (m_g - mean) ** 2).sum() / (n_g - 1)) if n_g > 1 else np.nan
    per_c, per_g = n / n_c, n / n_g
    var_c = max((ms_c - ms_w) / per_c, 0.0)
    var_p = max((ms_g - ms_c) / per_g, 0.0) if n_g > 1 else 0.0
    se = float(np.sqrt(ms_g / n)) if n_g > 1 else np.nan
    spread = float(m_c.var(ddof=1)) if n_c > 1 else 0.0
    shrink = np.sqrt((var_c + var_p) / spread) if spread > 0 else 0.0
    low, high = np.quantile(mean + shrink * (m_c - mean), Q)
    return dict(mean=mean, mcse=se, sd_patient=float(np.sqrt(ms_w)), sd_centre=float(np.sqrt(var_c)),
                sd_parameter=float(np.sqrt(var_p)), honest_low=float(min(low, mean - Z * se)),
                honest_high=float(max(high, mean + Z * se)))


def parts_on(uncertainty: Uncertainty | None) -> tuple[str, ...]:
    """Which parts beyond patients and Monte Carlo a run's intervals carry: 'parameter', 'centre'."""
    if uncertainty is None:
        return ()
    return tuple(p for p, on in (("parameter", uncertainty.parameters_on), ("centre", uncertainty.centre_on)) if on)


def _clip(row: dict, x: np.ndarray, col: str) -> dict:
    """A probability's range stays within 0-1, a never-negative outcome's at or above 0."""
    if x.min() >= 0:
        row["honest_low"] = max(row["honest_low"], 0.0)
    if column(col).is_probability:
        row["honest_high"] = min(row["honest_high"], 1.0)
    return row


def honest_summary(records: pd.DataFrame, uncertainty: Uncertainty | None, outcomes: list[str] | None = None) -> pd.DataFrame:
    """Per (strategy, outcome): n, mean, Monte Carlo SE, patient / centre / parameter SDs, honest 95% range."""
    outcomes = outcomes or record_columns(records)
    values, replications = {col: outcome_values(records, col) for col in outcomes}, records.replication.to_numpy()
    rows = []
    for strategy, at in strategy_rows(records).items():
        reps = replications[at]
        groups = Groups.of(reps, uncertainty) if parts_on(uncertainty) else None
        for col in outcomes:
            x = values[col][at]
            row = dict(strategy=strategy, outcome=col, label=label(col), n=len(at))
            rows.append(_clip(row | parts(x, reps, uncertainty, groups), x, col))
    return pd.DataFrame(rows)


def honest_exceedance(records: pd.DataFrame, column: str, threshold: float, uncertainty: Uncertainty | None) -> pd.DataFrame:
    """``analysis.exceedance`` (P(column > threshold) per strategy, Monte Carlo SE) with the honest 95%
    range of that share (``honest_low``, ``honest_high``, within 0-1), as ``honest_summary`` gives a risk."""
    at, replications = strategy_rows(records), records.replication.to_numpy()
    hit = (records[column].to_numpy() > threshold).astype(float)
    ranges = [parts(hit[rows], replications[rows], uncertainty,
                    Groups.of(replications[rows], uncertainty) if parts_on(uncertainty) else None) for rows in at.values()]
    return exceedance(records, column, threshold, at).assign(
        honest_low=[max(r["honest_low"], 0.0) for r in ranges], honest_high=[min(r["honest_high"], 1.0) for r in ranges])


def honest_differences(records: pd.DataFrame, a: str, b: str, uncertainty: Uncertainty | None,
                       outcomes: list[str] | None = None) -> pd.DataFrame:
    """Per outcome: mean of (a - b) over the same replications, its parts and honest 95% range."""
    outcomes = outcomes or [c for c in record_columns(records) if column(c).better != "neither"]
    aligned = pair_rows(records, a, b)
    reps = records.replication.to_numpy()[aligned[0]]
    groups = Groups.of(reps, uncertainty) if parts_on(uncertainty) else None
    rows = []
    for col in outcomes:
        xa, xb = paired(records, a, b, col, aligned)
        rows.append(dict(a=a, b=b, outcome=col, label=label(col), n=len(xa)) | parts(xa - xb, reps, uncertainty, groups))
    return pd.DataFrame(rows)


def probability_best(
    scenario: Scenario,
    uncertainty: Uncertainty,
    seed: int,
    draws: int = 100,
    patients: int = 30,
    strategies: Sequence[str] | None = None,
    outcomes: list[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """P(each plan has the best mean outcome) over ``draws`` parameter-and-centre draws of ``patients`` each.

    Returns one row per (outcome, strategy) with ``p_best`` and its Monte Carlo SE over draws.
    ``progress(done, total)`` is called after each block with the operations simulated so far.
    """
    if draws < 2 or patients < 1:
        raise ValueError(f"draws must be at least 2 and patients at least 1 (got {draws}, {patients})")
    names = check_strategies(scenario, strategies)
    design = uncertainty.nested(patients, 1)
    total, reps = draws * patients, range(draws * patients)
    block = max(patients, (500 // patients) * patients)
    parts_, done = [], 0
    for blk, part in iter_blocks(scenario, names, seed, reps, block_size=block, uncertainty=design):
        parts_.append(part)
        done += len(blk) * len(names)
        if progress:
            progress(done, total * len(names))
    records = collect(parts_, scenario, seed, total, design).records
    outcomes = outcomes or [c for c in record_columns(records) if column(c).better != "neither"]
    group = records.replication.to_numpy() // patients
    rows = []
    for col in outcomes:
        frame = pd.DataFrame({"s": records.strategy.astype(str).to_numpy(), "g": group, "x": outcome_values(records, col)})
        means = frame.pivot_table(index="g", columns="s", values="x", aggfunc="mean")[names].to_numpy()
        best = means.max(axis=1, keepdims=True) if col in HIGHER_IS_BETTER else means.min(axis=1, keepdims=True)
        hit = np.isclose(means, best)
        share = hit / hit.sum(axis=1, keepdims=True)  # ties share the win
        for k, name in enumerate(names):
            p = float(share[:, k].mean())
            rows.append(dict(outcome=col, label=label(col), strategy=name, p_best=p,
                             mcse=float(share[:, k].std(ddof=1) / np.sqrt(draws))))
    return pd.DataFrame(rows)
