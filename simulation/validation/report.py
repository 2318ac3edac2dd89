"""Validation report: one chart per published figure, and the table, as Markdown and HTML.

Each chart shows the distribution the figure was compared with (one patient, the mean or
median of N patients, or the share with the event among N patients) with its 95% interval
shaded and the published value marked. Every file is written atomically (``io.write_bytes``).
"""

from __future__ import annotations

import html
from pathlib import Path

import altair as alt
import numpy as np
import pandas as pd
import vl_convert as vlc

from ..runs.files import write_bytes
from .compare import Validation
from .texts import CAVEAT, VERDICT, display_table, interval_text, model_text, published_text, summary

INSIDE_COLOUR, OUTSIDE_COLOUR, BAND = "#0072B2", "#D55E00", "#BDBDBD"
BINS = 40
TAIL_PERCENTILE = 99.5  # continuous charts stop here so one extreme replication does not squash the rest


def chart_file(row: pd.Series) -> str:
    return f"{row.cohort}-{row.outcome}.png"


def histogram(row: pd.Series, distribution: np.ndarray) -> tuple[pd.DataFrame, float]:
    """Bars of the compared distribution as shares of all simulations (integer-valued figures get one
    bar per value; continuous ones stop at the 99.5th percentile), and the half-width of a counted
    value's bar (0 for continuous figures)."""
    x = np.asarray(distribution, dtype=float)
    scale = row.n if row.statistic == "proportion" else 1
    counted = row.statistic in ("proportion", "case") and np.allclose(x * scale, np.round(x * scale))
    if counted and len(np.unique(x)) <= 60:
        values, counts = np.unique(x, return_counts=True)
        width = np.min(np.diff(values)) if len(values) > 1 else 1.0 / scale
        return pd.DataFrame({"low": values - width / 2, "high": values + width / 2, "share": counts / len(x)}), width / 2
    counts, edges = np.histogram(x, bins=BINS, range=(x.min(), np.percentile(x, TAIL_PERCENTILE)))
    return pd.DataFrame({"low": edges[:-1], "high": edges[1:], "share": counts / len(x)}), 0.0


def chart(row: pd.Series, distribution: np.ndarray) -> alt.LayerChart:
    """The compared distribution, its 95% interval (grey band) and the published value (rule).

    Counted figures read on a count axis: k of N patients as patients (not a percentage), and a
    counted case value (units, events) in whole numbers."""
    counted = row.statistic == "proportion"
    scale = row.n if counted else 1  # a share of N patients -> patients
    what = {"case": "one simulated patient", "mean": f"mean of {row.n} simulated patients",
            "median": f"median of {row.n} simulated patients",
            "proportion": f"patients with it among {row.n} simulated patients"}[row.statistic]
    bins, half = histogram(row, distribution)
    values = np.asarray(distribution, dtype=float)  # a counted case value (units, events) stays whole on a wide histogram too
    whole = counted or (row.statistic == "case" and np.allclose(values, np.round(values)))
    axis = alt.Axis(format="d", tickMinStep=1) if whole else alt.Axis()
    bars = alt.Chart(bins.assign(low=bins.low * scale, high=bins.high * scale)).mark_rect(color="#56B4E9", opacity=0.8).encode(
        x=alt.X("low:Q", title=f"{row.figure}: {what}", axis=axis, scale=alt.Scale(zero=False)),
        x2="high:Q", y=alt.Y("share:Q", title="share of simulations", axis=alt.Axis(format="%")),
    )
    band = alt.Chart(pd.DataFrame({"a": [(row.interval_low - half) * scale], "b": [(row.interval_high + half) * scale]})).mark_rect(
        color=BAND, opacity=0.35).encode(x="a:Q", x2="b:Q")
    marker = pd.DataFrame({"x": [row.published * scale], "label": [f"published {published_text(row)}"]})
    colour = INSIDE_COLOUR if row.inside else OUTSIDE_COLOUR
    rule = alt.Chart(marker).mark_rule(color=colour, strokeWidth=3).encode(x="x:Q")
    # the label on the side of the marker with more room, so that it never runs off the chart
    ends = [bins.low.min() * scale, bins.high.max() * scale, (row.interval_low - half) * scale, (row.interval_high + half) * scale]
    right_half = row.published * scale > (min(ends) + max(ends + [row.published * scale])) / 2
    text = alt.Chart(marker).mark_text(align="right" if right_half else "left", dx=-5 if right_half else 5, dy=-5,
                                       color=colour, fontWeight="bold").encode(x="x:Q", y=alt.value(10), text="label:N")
    return alt.layer(band, bars, rule, text).properties(
        width=520, height=220, title=f"{row.cohort_label}: {row.figure} ({VERDICT[row.inside]} the 95% interval)")


def png(chart_: alt.TopLevelMixin) -> bytes:
    return vlc.vegalite_to_png(chart_.to_json(), scale=2)


def _markdown(validation: Validation, title: str) -> str:
    table, shown = validation.table, display_table(validation.table)
    lines = [f"# {title}", "", f"> {CAVEAT}", "", summary(table), "",
             "| " + " | ".join(shown.columns) + " |", "|" + "---|" * len(shown.columns)]
    lines += ["| " + " | ".join(str(v) for v in r) + " |" for r in shown.itertuples(index=False)]
    lines += ["", "## Figures", ""]
    for _, row in table.iterrows():
        lines += [f"### {row.cohort_label}: {row.figure}", "",
                  f"Published {published_text(row)} ({row.source}); model {model_text(row)}; compared with "
                  f"{row.compared_with}: {interval_text(row)} -> **{VERDICT[row.inside]}**."
                  + (f" {row.note}" if row.note else ""),
                  "", f"![{row.cohort_label}: {row.figure}]({chart_file(row)})", ""]
    return "\n".join(lines)


def _html(validation: Validation, title: str) -> str:
    table, shown = validation.table, display_table(validation.table)
    esc = html.escape
    head = "".join(f"<th>{esc(c)}</th>" for c in shown.columns)
    body = "".join("<tr>" + "".join(f"<td>{esc(str(v))}</td>" for v in r) + "</tr>" for r in shown.itertuples(index=False))
    figures = "".join(
        f"<h3>{esc(row.cohort_label)}: {esc(row.figure)}</h3><p>{esc(row.note)}</p>"
        f"<img src=\"{esc(chart_file(row))}\" alt=\"{esc(row.cohort_label)}: {esc(row.figure)}\" width=\"640\">"
        for _, row in table.iterrows()
    )
    return (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{esc(title)}</title>"
            "<style>body{font-family:Helvetica,Arial,sans-serif;max-width:1100px;margin:2em auto}"
            "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}</style>"
            f"</head><body><h1>{esc(title)}</h1><p><em>{esc(CAVEAT)}</em></p>"
            f"<p>{esc(summary(table))}</p>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table><h2>Figures</h2>{figures}</body></html>")


def write_report(validation: Validation, folder: Path, title: str = "ResectSim validation") -> list[Path]:
    """``validation.md``, ``validation.html`` and one PNG per figure in ``folder`` (which must exist)."""
    files = []
    for (_, row), dist in zip(validation.table.iterrows(), validation.distributions):
        files.append(write_bytes(png(chart(row, dist)), folder / chart_file(row)))
    files.append(write_bytes(_markdown(validation, title).encode(), folder / "validation.md"))
    files.append(write_bytes(_html(validation, title).encode(), folder / "validation.html"))
    return files
