"""Chart builders (Altair, and SVG icon arrays) and the strategy palette: Okabe-Ito,
colour-blind safe, one fixed colour per strategy name across the app.

Every builder takes small pre-aggregated frames (see ``compare_view``) and returns a chart;
none computes a statistic of its own.
"""

from __future__ import annotations

import base64
import html
import json
import zlib
from functools import lru_cache

import altair as alt
import numpy as np
import pandas as pd
import vl_convert as vlc

from simulation.present.formats import Shown

from .compare.timeline import Timeline

OKABE_ITO = {
    "orange": "#E69F00", "sky_blue": "#56B4E9", "green": "#009E73", "yellow": "#F0E442",
    "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7", "black": "#000000",
}
STRATEGY_COLOURS = {
    "single-stage-three-exposure": OKABE_ITO["blue"],
    "posterior-only": OKABE_ITO["green"],
    "two-stage-posterior-then-anterior": OKABE_ITO["orange"],
    "three-stage-posterior-anterior-posterior": OKABE_ITO["purple"],
    "single-stage-with-stop-rule": OKABE_ITO["sky_blue"],
}
SPARE_COLOURS = (OKABE_ITO["black"], "#7F7F7F", OKABE_ITO["yellow"])  # uploaded strategies, by name
ALERT = OKABE_ITO["vermillion"]  # unplanned repairs; never a strategy colour
NEUTRAL = "#BDBDBD"
FONT = "Source Sans Pro, Helvetica, Arial, sans-serif"
CHROME_PX = 70  # title and x axis: a chart drawn to the container's width fits them into its height


def colour(strategy: str) -> str:
    """The fixed colour of a strategy name (bundled names have their own; others hash to a spare)."""
    return STRATEGY_COLOURS.get(strategy) or SPARE_COLOURS[zlib.crc32(strategy.encode()) % len(SPARE_COLOURS)]


def strategy_scale(labels: dict[str, str]) -> alt.Scale:
    """Colour scale on strategy labels, in the given order."""
    return alt.Scale(domain=list(labels.values()), range=[colour(s) for s in labels])


# Marker shapes by position on the page: a second key beside colour that survives greyscale and
# colour-blindness (deuteranopia merges orange and green).
DASHES = ([1, 0], [8, 4], [2, 3], [10, 3, 2, 3], [4, 4], [1, 5], [12, 2], [6, 2, 2, 2])
SHAPES = ("circle", "square", "triangle-up", "diamond", "cross", "triangle-down", "wedge", "arrow")


def shape_scale(labels: dict[str, str]) -> alt.Scale:
    return alt.Scale(domain=list(labels.values()), range=[SHAPES[i % len(SHAPES)] for i in range(len(labels))])


def shape(strategy_label: str, labels: dict[str, str]) -> str:
    """The marker shape of a plan on this page (the legend chips and the PDF use the same)."""
    return SHAPES[list(labels.values()).index(strategy_label) % len(SHAPES)]


INK = "#111111"  # dark type for a projector


def styled(chart: alt.TopLevelMixin, size: int = 15) -> alt.TopLevelMixin:
    """Large dark type for a wall screen (one ``configure`` call: each call copies the chart)."""
    return chart.configure(
        font=FONT,
        axis={"labelFontSize": size - 1, "titleFontSize": size, "gridOpacity": 0.4, "labelColor": INK, "titleColor": INK},
        legend={"labelFontSize": size - 1, "titleFontSize": size, "orient": "bottom", "labelLimit": 400, "columns": 2,
                "labelColor": INK},
        header={"labelFontSize": size, "titleFontSize": size, "labelColor": INK},
        title={"fontSize": size + 2, "anchor": "start", "color": INK},
        view={"strokeWidth": 0},
    )


def _labelled(frame: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    return frame[frame.strategy.isin(list(labels))].assign(label=lambda f: f.strategy.map(labels))


def _strategy_colour(labels: dict[str, str], legend: alt.Legend | None = None) -> alt.Color:
    """Colour by strategy label; no legend unless given (the page shows one above the charts)."""
    return alt.Color("label:N", title=None, scale=strategy_scale(labels), legend=legend)


RANGE_POINTS = {"p5": 0.05, "p25": 0.25, "median": 0.5, "p75": 0.75, "p95": 0.95}


def _ranges(quantiles: pd.DataFrame, shown: list[Shown], labels: dict[str, str]) -> pd.DataFrame:
    """Percentiles per outcome and strategy read off the quantile function, with the outcome's title
    (outcomes in the order given, strategies in the order of ``quantiles``)."""
    outcome, strategy = quantiles.outcome.to_numpy(), quantiles.strategy.to_numpy()
    q, value = quantiles.q.to_numpy(), quantiles.value.to_numpy()
    rows = []
    for s in shown:
        of_outcome = outcome == s.column
        for name in pd.unique(strategy[of_outcome]):
            if name in labels:
                at = of_outcome & (strategy == name)
                rows.append({"label": labels[name], "title": s.title,
                             **{k: float(np.interp(p, q[at], value[at])) for k, p in RANGE_POINTS.items()}})
    return pd.DataFrame(rows)


def _range_marks(data: pd.DataFrame, labels: dict[str, str], label_limit: int = 320) -> alt.LayerChart:
    """Each plan on its own labelled row (direct labels: colour is never the only key)."""
    y = alt.Y("label:N", sort=list(labels.values()), title=None, axis=alt.Axis(labelLimit=label_limit, labelOverlap=False))
    base = alt.Chart(data).encode(y=y, color=_strategy_colour(labels))
    tip = [alt.Tooltip("label:N", title="Strategy")] + [
        alt.Tooltip(f"{c}:Q", title=t, format=",.2~f")
        for c, t in (("median", "Median"), ("p25", "25th percentile"), ("p75", "75th percentile"),
                     ("p5", "5th percentile"), ("p95", "95th percentile"))
    ]
    thin = base.mark_rule(strokeWidth=2).encode(x=alt.X("p5:Q", title=None, axis=alt.Axis(tickCount=4)), x2="p95:Q", tooltip=tip)
    thick = base.mark_bar(height=14, opacity=0.55).encode(x="p25:Q", x2="p75:Q", tooltip=tip)
    dot = base.mark_point(filled=True, size=150, opacity=1, stroke="black", strokeWidth=1).encode(
        x="median:Q", shape=alt.Shape("label:N", scale=shape_scale(labels), legend=None), tooltip=tip)
    return alt.layer(thin, thick, dot)


def ranges_chart(quantiles: pd.DataFrame, shown: Shown, labels: dict[str, str]) -> alt.TopLevelMixin:
    """Median (dot), middle half (thick bar) and 5th-95th percentile (thin line) per strategy."""
    return _range_marks(_ranges(quantiles, [shown], labels), labels).properties(
        title=shown.title, height=CHROME_PX + 34 * len(labels)
    )


def _two_lines(title: str) -> str:
    """``'Blood loss (mL)' -> 'Blood loss|(mL)'``: a facet header on two lines (split before the first bracket)."""
    head, bracket, rest = title.partition(" (")
    return f"{head}|({rest}" if bracket else f"{title}| "


def overview_data(quantiles: pd.DataFrame, shown: list[Shown], labels: dict[str, str]) -> pd.DataFrame:
    """The at-a-glance chart's rows: ``_ranges``, with panel titles on two lines ("Operative time (skin
    to skin)" / "(h)") so that narrow panels keep them whole."""
    data = _ranges(quantiles, shown, labels)
    data["title"] = data.title.map(_two_lines)
    return data


def _overview(data: pd.DataFrame | alt.NamedData, shown: list[Shown], labels: dict[str, str], width: int, columns: int,
              label_limit: int) -> alt.TopLevelMixin:
    header = alt.Header(labelAngle=0, labelOrient="top", labelAnchor="start", labelFontWeight="bold", labelPadding=4,
                        labelExpr="split(datum.label, '|')", labelLimit=width + 10)
    return (
        _range_marks(data, labels, label_limit)
        .properties(width=width, height=20 * len(labels))
        .facet(facet=alt.Facet("title:N", sort=[_two_lines(s.title) for s in shown], title=None, header=header), columns=columns,
               spacing={"row": 14, "column": 16})
        .resolve_scale(x="independent")
    )


def overview_chart(quantiles: pd.DataFrame, shown: list[Shown], labels: dict[str, str], width: int = 170,
                   columns: int = 3, label_limit: int = 240) -> alt.TopLevelMixin:
    """``ranges_chart`` for several outcomes as small panels, each with its own axis; every row
    names its plan (the first panel of each row carries the labels, shapes repeat the key).

    About ``label_limit + columns * (width + 30)`` pixels wide: the defaults fit a 940 px page."""
    return _overview(overview_data(quantiles, shown, labels), shown, labels, width, columns, label_limit)


OVERVIEW_DATA = "ranges"  # the at-a-glance chart's named dataset in ``overview_spec``


@lru_cache(maxsize=32)
def _overview_layout(shown: tuple[Shown, ...], labels: tuple[tuple[str, str], ...], width: int, columns: int,
                     label_limit: int, size: int) -> str:
    """The styled at-a-glance chart as Vega-Lite JSON, its rows left out (the named dataset ``OVERVIEW_DATA``)."""
    chart = _overview(alt.NamedData(OVERVIEW_DATA), list(shown), dict(labels), width, columns, label_limit)
    return json.dumps(styled(chart, size).to_dict())


def overview_spec(quantiles: pd.DataFrame, shown: list[Shown], labels: dict[str, str], width: int = 170,
                  columns: int = 3, label_limit: int = 240, size: int = 15) -> dict:
    """``styled(overview_chart(...), size)`` as a Vega-Lite spec with its rows, for ``st.vega_lite_chart``.

    The layout (plans, panels, sizes) is built and validated by Altair once and kept; a new run adds
    only its rows. Building the Altair chart and checking it against the schema took 0.1-0.2 s after
    every click on *Run*."""
    spec = json.loads(_overview_layout(tuple(shown), tuple(labels.items()), width, columns, label_limit, size))
    spec["datasets"] = {OVERVIEW_DATA: overview_data(quantiles, shown, labels).to_dict("records")}
    return spec


def histogram_chart(histograms: pd.DataFrame, shown: Shown, labels: dict[str, str], width: int = 460) -> alt.TopLevelMixin:
    """One row per strategy (shared axis); the dashed line marks the median."""
    h = _labelled(histograms[histograms.outcome == shown.column], labels)
    h = h.assign(first=~h.duplicated("strategy"))
    base = alt.Chart(h)
    bars = base.mark_bar(opacity=0.85, binSpacing=0).encode(
        x=alt.X("bin_start:Q", bin="binned", title=shown.title, scale=alt.Scale(nice=False)),
        x2="bin_end:Q",
        y=alt.Y("share:Q", title=None, axis=alt.Axis(format="%", tickCount=2)),
        color=_strategy_colour(labels),
        tooltip=[
            alt.Tooltip("label:N", title="Strategy"),
            alt.Tooltip("bin_start:Q", title="From", format=f",.{shown.digits}f"),
            alt.Tooltip("bin_end:Q", title="To", format=f",.{shown.digits}f"),
            alt.Tooltip("share:Q", title="Share of simulated patients", format=".1%"),
        ],
    )
    median = base.transform_filter("datum.first").mark_rule(strokeDash=[5, 3], strokeWidth=2, color="black").encode(
        x="median:Q", tooltip=[alt.Tooltip("median:Q", title="Median", format=f",.{shown.digits}f")]
    )
    header = alt.Header(labelAngle=0, labelOrient="top", labelAnchor="start", labelFontWeight="bold", labelPadding=2)
    return (
        alt.layer(bars, median)
        .properties(width=width, height=60)
        .facet(row=alt.Row("label:N", sort=list(labels.values()), title=None, header=header), spacing=6)
        .properties(title=shown.title)
    )


def ecdf_chart(quantiles: pd.DataFrame, shown: Shown, labels: dict[str, str]) -> alt.TopLevelMixin:
    """Share of simulated patients at or below each value (cumulative distribution)."""
    q = _labelled(quantiles[quantiles.outcome == shown.column], labels)
    order = {label: i for i, label in enumerate(labels.values())}
    # each line named where it crosses its own share (staggered so that the names do not overlap)
    at = q.assign(target=q.label.map(lambda lab: 0.15 + 0.7 * order[lab] / max(1, len(labels) - 1)))
    named = at.loc[(at.q - at.target).abs().groupby(at.label).idxmin()]
    lines = alt.Chart(q).mark_line(strokeWidth=2.5, interpolate="step-after").encode(
        x=alt.X("value:Q", title=shown.title),
        y=alt.Y("q:Q", title="Share at or below", axis=alt.Axis(format="%")),
        color=_strategy_colour(labels),
        strokeDash=alt.StrokeDash("label:N", scale=alt.Scale(domain=list(labels.values()), range=DASHES), legend=None),
        tooltip=[
            alt.Tooltip("label:N", title="Strategy"),
            alt.Tooltip("value:Q", title=shown.title, format=f",.{shown.digits}f"),
            alt.Tooltip("q:Q", title="Share at or below", format=".0%"),
        ],
    )
    names = alt.Chart(named).mark_text(align="left", dx=8, fontSize=13, fontWeight="bold").encode(
        x="value:Q", y="q:Q", text="label:N", color=_strategy_colour(labels)
    )
    return alt.layer(lines, names).properties(title=shown.title, height=CHROME_PX + 340)


def differences_chart(diffs: pd.DataFrame, labels: dict[str, str], reference_label: str) -> alt.TopLevelMixin:
    """Mean paired difference (reference minus each plan) with its 95% CI, one panel per outcome."""
    d = _labelled(diffs, labels)
    base = alt.Chart(d).encode(
        y=alt.Y("label:N", sort=list(labels.values()), title=None, axis=alt.Axis(labelLimit=260)),
        color=_strategy_colour(labels),
    )
    tip = [
        alt.Tooltip("label:N", title="Compared with"),
        alt.Tooltip("mean_difference:Q", title="Mean difference", format=",.2f"),
        alt.Tooltip("ci_low:Q", title="95% CI from", format=",.2f"),
        alt.Tooltip("ci_high:Q", title="95% CI to", format=",.2f"),
        alt.Tooltip("p_reference_better:Q", title=f"P({reference_label} better)", format=".1%"),
        alt.Tooltip("mcse_p_reference_better:Q", title="± Monte Carlo standard error", format=".1%"),
    ]
    bar = base.mark_rule(strokeWidth=3).encode(x=alt.X("ci_low:Q", title=None), x2="ci_high:Q", tooltip=tip)
    dot = base.mark_point(filled=True, size=110, opacity=1, stroke="black", strokeWidth=1).encode(
        x="mean_difference:Q", shape=alt.Shape("label:N", scale=shape_scale(labels), legend=None), tooltip=tip)
    zero = alt.Chart(d).mark_rule(color="black", strokeDash=[3, 3]).encode(x=alt.datum(0))
    return (
        alt.layer(zero, bar, dot)
        .properties(width=250, height=28 * max(1, d.strategy.nunique()))
        .facet(facet=alt.Facet("title:N", title=None, sort=list(dict.fromkeys(d.title))), columns=3, spacing=18)
        .resolve_scale(x="independent")
        .properties(title=f"{reference_label} minus each plan (left of the dashed line: {reference_label} lower)")
    )


TIMELINE_KINDS = {
    "anaesthesia": ("Anaesthesia (induction, emergence)", NEUTRAL),
    "phase": ("Surgical phase", None),  # the strategy's colour
    "event": ("Unplanned repair (intra-operative event)", ALERT),
}
TRANSFUSION_ROW = "Red-cell units given"
EXPOSURE_LINE_PX = 15


def timeline_chart(tl: Timeline, stage: int, strategy: str, title: str) -> alt.TopLevelMixin:
    """Gantt of one stage: phases on hours since induction, exposures shaded, transfusions marked."""
    bars = tl.bars[tl.bars.stage == stage].copy()
    bars["kind_label"] = bars.kind.map(lambda k: TIMELINE_KINDS[k][0])
    bars["minutes"] = (bars.end_h - bars.start_h) * 60.0
    given = tl.transfusions[tl.transfusions.stage == stage]
    # the units are in the row's name and the tooltips: labels on closely spaced markers would overlap
    given = given.assign(row=f"{TRANSFUSION_ROW} ({int(given.units.sum())} in all)")
    rows = list(dict.fromkeys(bars.label)) + ([given.row.iloc[0]] if len(given) else [])
    # an explicit domain keeps the plan order: layers from different data lose a custom sort
    y = alt.Y("label:N", scale=alt.Scale(domain=rows), title=None, axis=alt.Axis(labelLimit=340, labelFontSize=12))
    x = alt.X("start_h:Q", title="Hours since induction", scale=alt.Scale(domainMin=0, nice=False))
    kinds = [k for k in TIMELINE_KINDS if k in set(bars.kind)]
    kind_scale = alt.Scale(
        domain=[TIMELINE_KINDS[k][0] for k in kinds], range=[TIMELINE_KINDS[k][1] or colour(strategy) for k in kinds]
    )
    spans = tl.exposures[tl.exposures.stage == stage].reset_index(drop=True)
    # exposure names above the plot, alternately on two lines so that neighbours never overlap
    spans = spans.assign(shade=[i % 2 for i in range(len(spans))], mid_h=(spans.start_h + spans.end_h) / 2,
                         name_px=[-4 - EXPOSURE_LINE_PX * (i % 2) for i in range(len(spans))])
    band = alt.Chart(spans).mark_rect(opacity=0.08, color="black").encode(
        x="start_h:Q", x2="end_h:Q", opacity=alt.Opacity("shade:O", scale=alt.Scale(range=[0.03, 0.09]), legend=None),
        tooltip=[alt.Tooltip("exposure:N", title="Exposure")],
    )
    band_text = alt.Chart(spans).mark_text(align="center", baseline="bottom", fontSize=12, fontWeight="bold").encode(
        x="mid_h:Q", y=alt.Y("name_px:Q", scale=None), text="exposure:N"
    )
    gantt = alt.Chart(bars).mark_bar(height=12, cornerRadius=2).encode(
        x=x, x2="end_h:Q", y=y,
        color=alt.Color("kind_label:N", title=None, scale=kind_scale, legend=alt.Legend(orient="bottom")),
        tooltip=[
            alt.Tooltip("label:N", title="Phase"), alt.Tooltip("exposure:N", title="Exposure"),
            alt.Tooltip("start_h:Q", title="Starts at (h)", format=".1f"),
            alt.Tooltip("minutes:Q", title="Lasts (min)", format=".0f"),
        ],
    )
    layers = [band, band_text, gantt]
    if len(given):
        marks = alt.Chart(given).encode(x="at_h:Q", y=alt.Y("row:N", scale=alt.Scale(domain=rows)))
        layers += [
            marks.mark_point(shape="triangle-down", filled=True, size=130, color="black", opacity=1).encode(
                tooltip=[alt.Tooltip("at_h:Q", title="At (h)", format=".1f"), alt.Tooltip("units:Q", title="Units")]
            ),
        ]
    return alt.layer(*layers).properties(title=alt.TitleParams(title, offset=8 + 2 * EXPOSURE_LINE_PX),
                                         height=CHROME_PX + 80 + 24 * len(rows))


BLOCK_GAP = 4  # px between blocks of 5 x 5 figures (viewBox units)


def icon_array_svg(affected: int, strategy: str, width_px: int = 200) -> str:
    """100 figures (10 x 10, in four blocks of 25) as inline SVG, the first ``affected`` in the
    strategy's colour with a dark outline, the others light grey."""
    fill, empty = colour(strategy), "#E3E3E3"
    figures = []
    for i in range(100):
        row, col = divmod(i, 10)
        x, y = col * 10 + BLOCK_GAP * (col >= 5), row * 14 + BLOCK_GAP * (row >= 5)
        tint, edge = (fill, "#111") if i < affected else (empty, "#9E9E9E")
        figures.append(
            f'<g fill="{tint}" stroke="{edge}" stroke-width="0.5"><circle cx="{x + 4}" cy="{y + 2.6}" r="2.4"/>'
            f'<rect x="{x + 0.8}" y="{y + 5.6}" width="6.4" height="7.4" rx="1.6"/></g>'
        )
    w, h = 98 + BLOCK_GAP, 140 + BLOCK_GAP
    return f'<svg viewBox="0 0 {w} {h}" width="{width_px}" xmlns="http://www.w3.org/2000/svg">{"".join(figures)}</svg>'


def icon_array_img(affected: int, strategy: str, label: str, width_px: int = 200) -> str:
    """``icon_array_svg`` as an ``<img>`` with a data URI (Streamlit's HTML sanitiser drops inline SVG)."""
    data = base64.b64encode(icon_array_svg(affected, strategy, width_px).encode()).decode()
    return f'<img src="data:image/svg+xml;base64,{data}" width="{width_px}" alt="{html.escape(label)}">'


def key_chart(labels: dict[str, str]) -> alt.Chart:
    """The plans' key for an exported chart: each plan's marker, in its colour and shape, beside its label."""
    data = pd.DataFrame({"label": list(labels.values()), "row": range(len(labels))})
    y = alt.Y("row:O", axis=None)
    marks = alt.Chart(data).encode(y=y)
    dots = marks.mark_point(filled=True, size=150, opacity=1, stroke="black", strokeWidth=1).encode(
        x=alt.value(8), color=_strategy_colour(labels), shape=alt.Shape("label:N", scale=shape_scale(labels), legend=None))
    names = marks.mark_text(align="left", dx=0, fontSize=14, color=INK).encode(x=alt.value(22), text="label:N")
    return alt.layer(dots, names).properties(height=22 * len(labels), width=420, title="Plans")


def exportable(chart: alt.TopLevelMixin, labels: dict[str, str], lines: list[str]) -> alt.TopLevelMixin:
    """A chart that explains itself out of the page: the plans' key under it, and ``lines`` (the patient,
    the provenance) at the foot."""
    footer = alt.TitleParams(text=lines, orient="bottom", anchor="start", fontSize=12, fontWeight="normal", color=INK,
                             offset=14)
    return alt.vconcat(chart, key_chart(labels), spacing=18).resolve_scale(color="independent", shape="independent").properties(
        title=footer)


def export(chart: alt.TopLevelMixin, fmt: str) -> bytes:
    """A chart as PNG (2x scale) or SVG bytes, rendered by vl-convert as in the browser."""
    spec = styled(chart).to_json()
    if fmt == "png":
        return vlc.vegalite_to_png(spec, scale=2)
    if fmt == "svg":
        return vlc.vegalite_to_svg(spec).encode("utf-8")
    raise ValueError(f"format must be 'png' or 'svg' (got {fmt!r})")
