"""The Sweeps page's reading of sweep tables, as Compare reads its results: plan labels and colours,
display units (hours, per 100 patients) and digits, column names in words.

The analyses are ``simulation.sweeps.sensitivity`` and the charts ``simulation.sweeps.charts``; this
module converts their tables before they are drawn or shown, and recolours the plans of a chart
with the app's fixed palette (``charts.colour``).
"""

from __future__ import annotations

import json

import altair as alt
import pandas as pd

from simulation.present.formats import (
    SWEEP_COLUMNS,
    SWEEP_VALUE_COLUMNS,
    SWEEP_VARIANCE_COLUMNS,
    number,
    outcome_display,
    outcome_title,
)
from simulation.scenario.records import label

from .charts import colour

PLAN_FIELDS = ("strategy", "preferred", "runner_up")


def in_display_units(table: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    """A sweep table with plan labels for names and every outcome value in its display unit
    (``outcome_label`` with the display unit)."""
    out = table.copy()
    for field in PLAN_FIELDS:
        if field in out:
            out[field] = out[field].map(lambda n: labels.get(n, n))
    if "outcome" not in out:
        return out
    scale = out.outcome.map(lambda k: outcome_display(k).scale)
    for col in SWEEP_VALUE_COLUMNS:
        if col in out and not (col == "mcse" and "p_preferred" in out):  # there: the error of a probability
            out[col] = out[col] * scale
    for col in SWEEP_VARIANCE_COLUMNS:
        if col in out:
            out[col] = out[col] * scale**2
    out["outcome_label"] = out.outcome.map(outcome_title)
    return out


def readable(table: pd.DataFrame) -> pd.DataFrame:
    """A table in display units (``in_display_units``) for reading: the outcome's digits, shares as
    percentages, column names in words; the outcome columns dropped (the page names the outcome)."""
    out = table.drop(columns=[c for c in ("outcome", "outcome_label") if c in table])
    digits = outcome_display(table.outcome.iloc[0]).digits if "outcome" in table and len(table) else 2
    shares = "p_preferred" in out  # there mcse is the error of a probability
    for col in out.columns:
        if col in SWEEP_VALUE_COLUMNS and not (col == "mcse" and shares):
            places = digits + (1 if col.endswith(("se", "conf")) else 0)
            out[col] = [number(v, places) for v in out[col]]
        elif col in SWEEP_VARIANCE_COLUMNS:
            out[col] = [f"{v:,.3g}" for v in out[col]]
        elif col in ("parameter_share", "p_preferred") or (col == "mcse" and shares):
            sign = "± " if col == "mcse" else ""
            out[col] = [f"{sign}{100 * v:.1f}%" for v in out[col]]
        elif pd.api.types.is_float_dtype(out[col]):
            out[col] = [f"{v:,.3g}" for v in out[col]]
    return out.rename(columns=SWEEP_COLUMNS)


def _recolour(node, labels: dict[str, str]) -> None:
    """Give every colour encoding of a plan field the app's colours (in place, over a chart's dict)."""
    if isinstance(node, dict):
        enc = node.get("encoding", {})
        col = enc.get("color") if isinstance(enc, dict) else None
        if isinstance(col, dict) and col.get("field") in PLAN_FIELDS:
            col["scale"] = {"domain": list(labels.values()), "range": [colour(n) for n in labels]}
        for value in node.values():
            _recolour(value, labels)
    elif isinstance(node, list):
        for value in node:
            _recolour(value, labels)


def coloured(chart: alt.TopLevelMixin, labels: dict[str, str], outcome: str | None = None) -> dict:
    """A sweep chart as a Vega-Lite dict with the plans in the app's colours, and the outcome's
    recorded label (e.g. '(min)') replaced by its display title where a chart writes it."""
    spec = chart.to_dict()
    _recolour(spec, labels)
    if outcome is None:
        return spec
    return json.loads(json.dumps(spec).replace(label(outcome), outcome_title(outcome)))
