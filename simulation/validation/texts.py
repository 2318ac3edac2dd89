"""The validation table in words: published figures, model results and verdicts as people read them
(no chart library here, so ``resectsim validate`` needs no plotting extra)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..present.formats import validation_headline

CAVEAT = (
    "ResectSim is a decision-support and education tool, not a validated prediction rule. Most phase-level "
    "times, bleeding rates and event risks are assumptions calibrated to a few small published series; rows "
    "marked 'calibration' were used to set the parameters and are consistency checks, not validation."
)
VERDICT = {True: "inside", False: "OUTSIDE"}


def published_text(row: pd.Series) -> str:
    """The published figure as read: '840 min (case)', 'mean 464 min, N=5', '45/307 (14.7%)'."""
    if row.statistic == "proportion":
        return f"{int(row.events)}/{row.n} ({row.published:.1%})"
    value = f"{row.published:,.0f} {row.unit}" if row.unit not in ("count", "share") else f"{row.published:g}"
    return f"{value} (case)" if row.statistic == "case" else f"{row.statistic} {value}, N={row.n}"


def model_text(row: pd.Series) -> str:
    """Model summary: median and 95% predictive interval, or the rate with its 95% CI."""
    if row.statistic == "proportion":
        return f"{row.rate:.1%} (95% CI {row.rate_low:.1%}–{row.rate_high:.1%})"
    return f"{row.model_median:,.0f} (95% PI {row.pi_low:,.0f}–{row.pi_high:,.0f})"


def interval_text(row: pd.Series) -> str:
    """The interval the figure was judged against, in the figure's own terms."""
    if row.statistic == "proportion":
        return f"{row.interval_low * row.n:.0f}–{row.interval_high * row.n:.0f} of {row.n}"
    if row.statistic == "case":
        return f"{row.interval_low:,.0f}–{row.interval_high:,.0f}"
    return f"{row.statistic} of {row.n}: {row.interval_low:,.0f}–{row.interval_high:,.0f}"


def counts(table: pd.DataFrame) -> tuple[tuple[int, int], tuple[int, int]]:
    """((inside, of) independent figures, (inside, of) calibration figures)."""
    independent = (table.role == "validation").to_numpy()
    return ((int(table.inside[independent].sum()), int(independent.sum())),
            (int(table.inside[~independent].sum()), int((~independent).sum())))


def tally(table: pd.DataFrame) -> str:
    """Independent figures first, calibration figures apart (``formats.validation_headline``)."""
    return validation_headline(*counts(table))


def summary(table: pd.DataFrame) -> str:
    """The run and its result in two sentences, as the CLI, the report and the dashboard state them."""
    return f"{table.replications.iloc[0]:,} simulated patients per cohort, seed {table.seed.iloc[0]}. " + tally(table)


def display_table(table: pd.DataFrame, cohort: str = "cohort_label") -> pd.DataFrame:
    """The comparison as people read it: one row per figure, texts instead of numbers. ``cohort`` is
    the column shown as the cohort (the CLI shows ``cohort``, the names ``--cohort`` takes)."""
    return pd.DataFrame({
        "Cohort": table[cohort] + np.where(table.role == "calibration", " (calibration)", ""),
        "Figure": table.figure,
        "Published": table.apply(published_text, axis=1),
        "Model (median, 95% PI / rate, 95% CI)": table.apply(model_text, axis=1),
        "Compared with (95%)": table.apply(interval_text, axis=1),
        "Result": table.inside.map(VERDICT),
    })
