"""Summaries of per-replication records: per strategy, exceedance, and paired (CRN) differences.

Which direction is better comes from the record contract (``scenario.records``): lower, except
the lowest haemoglobin; by default every record column is summarised. Monte Carlo
standard errors are for the simulation estimate, not for the clinical parameters: with more
replications they shrink; the predictive interval (5th-95th percentile) does not.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..scenario.published import Z975 as Z
from ..scenario.records import HIGHER_IS_BETTER, column, label, record_columns


def share_mcse(p: np.ndarray | float, n: np.ndarray | int) -> np.ndarray:
    """Monte Carlo standard error of a simulated share ``p`` of ``n`` replications: sqrt(p(1-p)/n)
    (``p`` clipped to 0-1: a share computed as 1 minus others can be -1e-16)."""
    p = np.clip(np.asarray(p, dtype=float), 0.0, 1.0)
    return np.sqrt(p * (1 - p) / n)


def wilson(p: np.ndarray | float, n: np.ndarray | int) -> tuple[np.ndarray, np.ndarray]:
    """The 95% Wilson score interval (low, high) of a proportion ``p`` seen in ``n`` trials; unlike
    p +- 1.96 MCSE it has a width when p is 0 or 1 (Wilson 1927, doi:10.1080/01621459.1927.10502953)."""
    p = np.asarray(p, dtype=float)
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z * np.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / (1 + Z * Z / n)
    return centre - half, centre + half


def strategy_rows(records: pd.DataFrame) -> dict[str, np.ndarray]:
    """The row numbers of each strategy's records, in the order of the records (a summary reads each
    column once and takes every strategy's values from it, instead of copying a frame per strategy)."""
    return records.groupby("strategy", sort=False, observed=True).indices


def outcome_values(records: pd.DataFrame, column: str) -> np.ndarray:
    """A record column as the summaries read it: floats; complications count any severity (0/1)."""
    x = records[column].to_numpy()
    return (x > 0).astype(float) if column.startswith("complication_") else x.astype(float)


def better_worse(d: np.ndarray, column: str) -> tuple[float, float]:
    """Shares of paired differences ``d = a - b`` where a is better, and where a is worse."""
    lower, higher = float((d < 0).mean()), float((d > 0).mean())
    return (higher, lower) if column in HIGHER_IS_BETTER else (lower, higher)


def summarise(records: pd.DataFrame, outcomes: list[str] | None = None) -> pd.DataFrame:
    """Per (strategy, outcome): n, mean with 95% CI, median, 5th and 95th percentiles.

    For yes/no and complication columns the mean is a probability (complications count any
    severity) and ``mcse`` its Monte Carlo standard error.
    """
    outcomes = outcomes or record_columns(records)
    values = {col: outcome_values(records, col) for col in outcomes}
    rows = []
    for strategy, at in strategy_rows(records).items():
        n = len(at)
        for col in outcomes:
            x = values[col][at]
            mean = x.mean()
            se = x.std(ddof=1) / np.sqrt(n) if n > 1 else np.nan
            p5, median, p95 = np.percentile(x, [5, 50, 95])
            rows.append(
                dict(strategy=strategy, outcome=col, label=label(col), n=n, mean=mean, mcse=se,
                     ci_low=mean - Z * se, ci_high=mean + Z * se, median=median, p5=p5, p95=p95)
            )
    return pd.DataFrame(rows)


def exceedance(records: pd.DataFrame, column: str, threshold: float,
               rows_of: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    """P(column > threshold) per strategy with its Monte Carlo standard error (``rows_of``:
    ``strategy_rows(records)``, if already known)."""
    rows, x = [], records[column].to_numpy()
    for strategy, at in (rows_of if rows_of is not None else strategy_rows(records)).items():
        hit = (x[at] > threshold).astype(float)
        p, n = hit.mean(), len(hit)
        rows.append(dict(strategy=strategy, outcome=column, threshold=threshold, p=p, mcse=share_mcse(p, n), n=n))
    return pd.DataFrame(rows)


def pair_rows(records: pd.DataFrame, a: str, b: str) -> tuple[np.ndarray, np.ndarray]:
    """Row numbers of ``a``'s and ``b``'s records, aligned by replication (those both have, in order)."""
    strategy, replication = records.strategy.to_numpy(), records.replication.to_numpy()
    rows_a, rows_b = np.flatnonzero(strategy == a), np.flatnonzero(strategy == b)
    if not len(rows_a) or not len(rows_b):
        raise KeyError(f"strategies {a!r} and {b!r} must both be in the records")
    _, at_a, at_b = np.intersect1d(replication[rows_a], replication[rows_b], assume_unique=True, return_indices=True)
    return rows_a[at_a], rows_b[at_b]


def paired(records: pd.DataFrame, a: str, b: str, column: str,
           rows: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Values of ``column`` (as ``outcome_values`` reads it) for ``a`` and ``b``, aligned by replication
    (``rows``: ``pair_rows(records, a, b)``, if already known)."""
    rows_a, rows_b = rows if rows is not None else pair_rows(records, a, b)
    x = outcome_values(records, column)
    return x[rows_a], x[rows_b]


def paired_differences(records: pd.DataFrame, a: str, b: str, outcomes: list[str] | None = None) -> pd.DataFrame:
    """Mean of (a - b) per replication with 95% CI, and P(a better than b) per replication.

    Better means lower, except for ``HIGHER_IS_BETTER`` outcomes.

    Replications of both strategies share their random numbers (common random numbers), so
    the paired CI is much narrower than comparing two independent means.
    """
    outcomes = outcomes or [c for c in record_columns(records) if column(c).better != "neither"]
    rows, aligned = [], pair_rows(records, a, b)
    for col in outcomes:
        xa, xb = paired(records, a, b, col, aligned)
        d = xa - xb
        n = len(d)
        mean, se = d.mean(), d.std(ddof=1) / np.sqrt(n) if n > 1 else np.nan
        better, worse = better_worse(d, col)
        tie = max(1.0 - better - worse, 0.0)  # 1 - better - worse can come out as -1e-16
        rows.append(
            dict(a=a, b=b, outcome=col, label=label(col), n=n, mean_difference=mean, ci_low=mean - Z * se,
                 ci_high=mean + Z * se, p_a_better=better, p_a_worse=worse, p_tie=tie,
                 mcse_p_a_better=share_mcse(better, n), mcse_p_a_worse=share_mcse(worse, n), mcse_p_tie=share_mcse(tie, n))
        )
    return pd.DataFrame(rows)
