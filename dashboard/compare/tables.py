"""Tables of formatted strings for the tumour-board page: one column per strategy.

Every number comes from a ``Comparison`` (``simulation.analysis`` output); this module only
chooses rows and formats cells.
"""

from __future__ import annotations

import pandas as pd

from simulation.present.formats import HEADLINE, number, percent_mcse, risk_cell

from .view import Comparison


def _wide(rows: list[dict], labels: dict[str, str], first: str) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    return frame[[first, *labels.values()]] if not frame.empty else frame


def outcome_table(c: Comparison) -> pd.DataFrame:
    """Median (5th-95th percentile) and mean (95% CI of the simulation estimate) per outcome."""
    s = c.summary.set_index(["strategy", "outcome"])
    rows = []
    for shown in HEADLINE:
        typical = {"Outcome": shown.title, "Statistic": "median (5–95%)"}
        mean = {"Outcome": "", "Statistic": "mean (95% CI)"}
        for name, label in c.labels.items():
            r = s.loc[(name, shown.column)]
            typical[label] = f"{shown.fmt(r['median'])} ({shown.fmt(r.p5)}–{shown.fmt(r.p95)})"
            mean[label] = f"{shown.fmt(r['mean'])} ({shown.fmt(r.ci_low)}–{shown.fmt(r.ci_high)})"
        rows += [typical, mean]
    frame = pd.DataFrame(rows)
    return frame[["Outcome", "Statistic", *c.labels.values()]]


def risk_table(c: Comparison) -> pd.DataFrame:
    """Probability ± Monte Carlo standard error, and the run's range in brackets (the honest range when the run
    draws parameters and centres), for each risk in ``c.risk_labels``; as ``resectsim compare`` prints it."""
    h = c.honest.set_index(["strategy", "outcome"])
    rows = []
    for column, text in c.risk_labels.items():
        row = {"Risk": text}
        for name, label in c.labels.items():
            r = h.loc[(name, column)]
            row[label] = risk_cell(r["mean"], r.mcse, r.honest_low, r.honest_high)
        rows.append(row)
    return _wide(rows, c.labels, "Risk")


def exceedance_table(c: Comparison) -> pd.DataFrame:
    """How often the worst cases happen: share ± Monte Carlo standard error, and the run's range in brackets
    (the honest range when the run draws parameters and centres), as ``risk_table`` shows a risk."""
    rows = []
    for question, g in c.exceedance.groupby("question", sort=False):
        by = g.set_index("strategy")
        rows.append({"Probability of": question, **{
            label: risk_cell(by.p[name], by.mcse[name], by.honest_low[name], by.honest_high[name])
            for name, label in c.labels.items()}})
    return _wide(rows, c.labels, "Probability of")


def differences_table(diffs: pd.DataFrame, labels: dict[str, str], reference: str) -> pd.DataFrame:
    """Reference minus each plan: mean paired difference (95% CI) and how often each plan does better
    (± Monte Carlo standard error)."""
    ref = labels[reference]
    rows = []
    for strategy, g in diffs.groupby("strategy", sort=False):
        for i, d in enumerate(g.itertuples()):
            rows.append({
                "Compared with": labels[strategy] if i == 0 else "",
                "Outcome": d.title,
                "Mean difference (95% CI)": (f"{number(d.mean_difference, d.digits)} "
                                             f"({number(d.ci_low, d.digits)} to {number(d.ci_high, d.digits)})"),
                f"{ref} better": percent_mcse(d.p_reference_better, d.mcse_p_reference_better),
                "Other plan better": percent_mcse(d.p_reference_worse, d.mcse_p_reference_worse),
                "Same": percent_mcse(d.p_tie, d.mcse_p_tie),
            })
    return pd.DataFrame(rows)
