"""Altair charts of sweep analyses (the tables of ``simulation.sensitivity``), and saving them.

Presentation only: every function takes an analysis table and one outcome and returns an
``alt.Chart``; ``save`` writes PNG and SVG through vl-convert. The CLI and the dashboard page
draw the same charts.
"""

from __future__ import annotations

from pathlib import Path

import altair as alt
import pandas as pd

from ..runs.analysis import Z
from ..scenario.records import label

WIDTH = 420


def _one(table: pd.DataFrame, outcome: str) -> pd.DataFrame:
    part = table[table.outcome == outcome]
    if part.empty:
        raise ValueError(f"no rows for outcome '{outcome}'; outcomes: {', '.join(table.outcome.unique())}")
    return part


def tornado(table: pd.DataFrame, outcome: str) -> alt.Chart:
    """Bars from the base mean to the mean at each parameter's low and high value, widest on top."""
    part = _one(table, outcome)
    title = part.outcome_label.iloc[0]
    rows = []
    for r in part.itertuples():
        for end in ("low", "high"):
            mean, mcse = getattr(r, f"{end}_mean"), getattr(r, f"{end}_change_se")
            rows.append(dict(strategy=r.strategy, parameter=r.parameter, rank=r.rank, end=f"{end} value",
                             value=getattr(r, f"{end}_value"), base=r.base_mean, mean=mean,
                             lo=mean - Z * mcse, hi=mean + Z * mcse))
    long = pd.DataFrame(rows)
    order = part.sort_values("rank").parameter.drop_duplicates().tolist()
    y = alt.Y("parameter:N", sort=order, title=None)
    bars = alt.Chart().mark_bar(opacity=0.8).encode(
        y=y, x=alt.X("base:Q", title=title, scale=alt.Scale(zero=False)), x2="mean:Q",
        color=alt.Color("end:N", title="Parameter at", scale=alt.Scale(domain=["low value", "high value"], range=["#4c78a8", "#e45756"])),
        tooltip=["parameter", "end", alt.Tooltip("value:Q", format=".3g"), alt.Tooltip("mean:Q", format=".4g"),
                 alt.Tooltip("lo:Q", title="95% MC low", format=".4g"), alt.Tooltip("hi:Q", title="95% MC high", format=".4g")],
    )
    errors = alt.Chart().mark_rule(color="black").encode(y=y, x="lo:Q", x2="hi:Q")
    base = alt.Chart().mark_rule(strokeDash=[4, 3], color="gray").encode(x="base:Q")
    return alt.layer(bars, errors, base, data=long).properties(width=WIDTH, height=28 * len(order)).facet(
        row=alt.Row("strategy:N", title=None)
    ).properties(title=[f"Tornado: {title}", f"black lines: 95% Monte Carlo interval of the change from base ({part.se_method.iloc[0]})"])


def two_way(table: pd.DataFrame, outcome: str, x: str, y: str) -> alt.Chart:
    """Preferred strategy per cell; faded cells are not decided at these replications."""
    part = _one(table, outcome).copy()
    title = part.outcome_label.iloc[0]
    part["confidence"] = part.decided.map({True: "decided", False: "not decided (95% CI includes 0)"})
    part["text"] = part.apply(lambda r: f"{r.margin:.3g} ± {Z * r.margin_se:.2g}", axis=1)
    enc = dict(x=alt.X(f"{x}:O", title=x, axis=alt.Axis(format=".3g")),
               y=alt.Y(f"{y}:O", title=y, sort="descending", axis=alt.Axis(format=".3g")))
    cells = alt.Chart(part).mark_rect().encode(
        **enc, color=alt.Color("preferred:N", title="Preferred strategy", legend=alt.Legend(orient="bottom", direction="vertical")),
        opacity=alt.Opacity("confidence:N", title=None,
                            scale=alt.Scale(domain=["decided", "not decided (95% CI includes 0)"], range=[1.0, 0.35])),
        tooltip=[alt.Tooltip(f"{x}:Q", format=".3g"), alt.Tooltip(f"{y}:Q", format=".3g"), "preferred", "runner_up",
                 alt.Tooltip("preferred_mean:Q", format=".4g"), alt.Tooltip("margin:Q", format=".3g"),
                 alt.Tooltip("margin_ci_low:Q", format=".3g"), alt.Tooltip("margin_ci_high:Q", format=".3g")],
    )
    text = alt.Chart(part).mark_text(fontSize=10).encode(**enc, text="text:N")
    return (cells + text).properties(
        width=WIDTH, height=WIDTH * 0.8,
        title=[f"Preferred strategy: {title}", "cell text: margin over the runner-up ± 95% Monte Carlo error"],
    )


def sobol(table: pd.DataFrame, outcome: str) -> alt.Chart:
    part = _one(table, outcome)
    title = part.outcome_label.iloc[0]
    long = pd.concat([
        part.assign(index=name, value=part[key], lo=part[key] - part[f"{key}_conf"], hi=part[key] + part[f"{key}_conf"])
        for key, name in (("S1", "first order"), ("ST", "total"))
    ])
    y = alt.Y("parameter:N", title=None)
    y_off = alt.YOffset("index:N")
    bars = alt.Chart().mark_bar().encode(
        y=y, yOffset=y_off, x=alt.X("value:Q", title="Sobol index"), color=alt.Color("index:N", title="Index"),
        tooltip=["parameter", "index", alt.Tooltip("value:Q", format=".3f"), alt.Tooltip("lo:Q", format=".3f"),
                 alt.Tooltip("hi:Q", format=".3f")],
    )
    errors = alt.Chart().mark_rule(color="black").encode(y=y, yOffset=y_off, x="lo:Q", x2="hi:Q")
    return alt.layer(bars, errors, data=long).properties(width=WIDTH, height=40 * part.parameter.nunique()).facet(
        row=alt.Row("strategy:N", title=None)
    ).properties(title=f"Sobol indices: {title} (black lines: 95% bootstrap CI)")


def morris(table: pd.DataFrame, outcome: str) -> alt.Chart:
    part = _one(table, outcome)
    title = part.outcome_label.iloc[0]
    base = alt.Chart().encode(
        x=alt.X("mu_star:Q", title="μ* (mean |elementary effect|)"), y=alt.Y("sigma:Q", title="σ (interaction / non-linearity)"),
    )
    points = base.mark_circle(size=80).encode(
        color=alt.Color("parameter:N", title="Parameter"),
        tooltip=["parameter", alt.Tooltip("mu_star:Q", format=".4g"), alt.Tooltip("mu_star_conf:Q", format=".3g"),
                 alt.Tooltip("mu:Q", format=".4g"), alt.Tooltip("sigma:Q", format=".4g")],
    )
    errors = alt.Chart().transform_calculate(
        lo="datum.mu_star - datum.mu_star_conf", hi="datum.mu_star + datum.mu_star_conf"
    ).mark_rule().encode(x="lo:Q", x2="hi:Q", y="sigma:Q", color="parameter:N")
    return alt.layer(errors, points, data=part).properties(width=WIDTH, height=WIDTH * 0.7).facet(
        column=alt.Column("strategy:N", title=None)
    ).properties(title=f"Morris screening: {title} (lines: 95% CI of μ*)")


def psa_means(table: pd.DataFrame, outcome: str) -> alt.Chart:
    """Distribution of each strategy's mean over the parameter draws."""
    part = _one(table, outcome)
    title = label(outcome)
    box = alt.Chart().mark_boxplot(extent="min-max", opacity=0.4).encode(
        y=alt.Y("strategy:N", title=None), x=alt.X("mean:Q", title=f"Mean {title}", scale=alt.Scale(zero=False)),
    )
    dots = alt.Chart().mark_tick(opacity=0.5).encode(
        y="strategy:N", x="mean:Q", color=alt.Color("strategy:N", legend=None), tooltip=["point", alt.Tooltip("mean:Q", format=".4g")],
    )
    return alt.layer(box, dots, data=part).properties(
        width=WIDTH, height=50 * part.strategy.nunique(),
        title=f"PSA: mean {title} over {part.point.nunique()} parameter draws",
    )


def psa_preferred(table: pd.DataFrame) -> alt.Chart:
    """Probability each strategy is preferred, per outcome, with ±1.96 MCSE (``analysis.Z``)."""
    data = table.assign(lo=lambda d: (d.p_preferred - Z * d.mcse).clip(0, 1), hi=lambda d: (d.p_preferred + Z * d.mcse).clip(0, 1))
    y = alt.Y("outcome_label:N", title=None)
    bars = alt.Chart().mark_bar().encode(
        y=y, yOffset="strategy:N", x=alt.X("p_preferred:Q", title="Probability preferred", scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("strategy:N", title="Strategy", legend=alt.Legend(orient="bottom", direction="vertical")),
        tooltip=["outcome_label", "strategy", alt.Tooltip("p_preferred:Q", format=".2f"), alt.Tooltip("mcse:Q", format=".3f")],
    )
    errors = alt.Chart().mark_rule(color="black").encode(y=y, yOffset="strategy:N", x="lo:Q", x2="hi:Q")
    return alt.layer(bars, errors, data=data).properties(
        width=WIDTH, height=22 * data.strategy.nunique() * data.outcome.nunique(),
        title="PSA: probability each strategy is preferred (lowest mean)",
    )


def outcome_chart(analysis: str, tables: dict[str, pd.DataFrame], outcome: str, labels: list[str]) -> alt.Chart | None:
    """The chart of ``analysis`` (a ``simulation.sensitivity.tables`` result) for one outcome, if it has one."""
    if analysis == "tornado":
        return tornado(tables["tornado"], outcome)
    if analysis == "two-way":
        return two_way(tables["two_way"], outcome, *labels)
    if analysis == "sobol":
        return sobol(tables["sobol"], outcome)
    if analysis == "morris":
        return morris(tables["morris"], outcome)
    if analysis == "psa":
        return psa_means(tables["psa_means"], outcome)
    return None


def overview_chart(analysis: str, tables: dict[str, pd.DataFrame]) -> alt.Chart | None:
    """A chart over all outcomes, for analyses that have one (PSA preferences)."""
    return psa_preferred(tables["psa_preferred"]) if analysis == "psa" else None


def save(chart: alt.Chart, stem: Path, formats: tuple[str, ...] = ("png", "svg")) -> list[Path]:
    """Write ``stem.png`` / ``stem.svg`` (vl-convert); returns the paths."""
    paths = []
    for fmt in formats:
        path = Path(f"{stem}.{fmt}")
        chart.save(str(path), scale_factor=2) if fmt == "png" else chart.save(str(path))
        paths.append(path)
    return paths
