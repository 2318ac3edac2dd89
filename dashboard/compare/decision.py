"""The tumour board's decision table: plan A vs plan B, per outcome, in words.

Differences are paired by simulated patient (common random numbers) through
``simulation.runs.analysis.paired_differences``; every string comes from
``simulation.present.formats`` (``difference_words``, ``interval_words``, ``better_plan``), so the
page, the CSV and the board PDF read the same.
"""

from __future__ import annotations

import pandas as pd

from simulation.present.formats import (
    DECISION,
    better_plan,
    difference_sentence,
    difference_value,
    difference_words,
    interval_name,
    interval_words,
    share_words,
    short_labels,
)
from simulation.runs.analysis import paired_differences
from simulation.runs.uncertainty import honest_differences

from .view import Comparison

BETTER = "Better with"


def default_pair(c: Comparison) -> tuple[str, str]:
    """The pair the board sees first: the second plan against the first (posterior-only vs single stage)."""
    return (c.strategies[1], c.strategies[0]) if len(c.strategies) > 1 else (c.strategies[0], c.strategies[0])


def decision_rows(c: Comparison, a: str, b: str) -> pd.DataFrame:
    """One row per ``DECISION`` outcome: A minus B in display units with its honest 95% range (the Monte
    Carlo interval when the run drew no parameters or centre), and the shares of simulated patients better
    off with each plan."""
    d = paired_differences(c.records, a, b, list(DECISION))
    if c.uncertainty_parts:
        h = honest_differences(c.records, a, b, c.uncertainty, list(DECISION))
        d["ci_low"], d["ci_high"] = h.honest_low.to_numpy(), h.honest_high.to_numpy()
    rows = []
    for r in d.itertuples():
        mean, low, high = (difference_value(r.outcome, v) for v in (r.mean_difference, r.ci_low, r.ci_high))
        rows.append({"outcome": r.outcome, "mean": mean, "low": low, "high": high,
                     "p_a_better": r.p_a_better, "p_b_better": r.p_a_worse})
    return pd.DataFrame(rows)


def decision_table(c: Comparison, a: str, b: str) -> pd.DataFrame:
    """The table the board reads: one sentence per outcome with its honest range, which plan
    the interval favours, and how many simulated patients were better off with each plan."""
    short = short_labels(list(c.labels.values()))
    la, lb = short[c.labels[a]], short[c.labels[b]]
    out = []
    for r in decision_rows(c, a, b).itertuples():
        out.append({
            f"{la} vs {lb} ({interval_name(c.uncertainty_parts)})":
                f"{difference_words(r.outcome, r.mean)} ({interval_words(r.outcome, r.low, r.high)})",
            BETTER: better_plan(r.outcome, r.low, r.high, la, lb),
            f"Simulated patients better off: {la} / {lb}": f"{share_words(r.p_a_better)} / {share_words(r.p_b_better)}",
        })
    return pd.DataFrame(out)


def decision_sentences(c: Comparison, a: str, b: str) -> list[str]:
    """The table as sentences (the board PDF and the CSV): ``'Posterior only vs Single stage: 2.5 fewer ...'``."""
    short = short_labels(list(c.labels.values()))
    la, lb = short[c.labels[a]], short[c.labels[b]]
    return [difference_sentence(la, lb, r.outcome, r.mean, r.low, r.high) for r in decision_rows(c, a, b).itertuples()]
