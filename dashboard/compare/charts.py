"""The charts of the tumour-board page, tab by tab, from a ``Comparison``; and ``bench``.

The page draws only the open tab, so each function here builds one tab's charts.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import altair as alt
import pandas as pd

from simulation import Scenario
from simulation.present.formats import HEADLINE, RANGES_KEY, SHOWN, patient_line, provenance_line, short_labels

from .. import charts
from .timeline import Timeline, typical_timeline
from .view import Comparison, build_comparison, differences

CHART_KINDS = ("Ranges", "Histograms", "Cumulative")
EXPORT_TIMELINE_PX = 760  # a timeline's plot width in an exported file (on screen it fills the page)
OVERVIEW = ("operative_time_min", "anaesthesia_time_min", "blood_loss_ml", "rbc_units", "icu_days", "los_days")


def _overview_arguments(c: Comparison, columns: int) -> dict:
    short = short_labels(list(c.labels.values()))
    return dict(quantiles=c.quantiles, shown=[SHOWN[col] for col in OVERVIEW], labels={n: short[x] for n, x in c.labels.items()},
                columns=columns, width=130 if columns >= 6 else 200, label_limit=150)


def overview(c: Comparison, columns: int = 6) -> alt.TopLevelMixin:
    """The at-a-glance chart: one row of six small panels for the board's first screen (plans named by
    their short labels on each row), or ``columns=3`` for an export."""
    return charts.overview_chart(**_overview_arguments(c, columns))


def overview_spec(c: Comparison, size: int = 14) -> dict:
    """The board's first-screen ``overview`` styled at ``size`` points, as a Vega-Lite spec whose layout
    is kept between runs (``charts.overview_spec``)."""
    return charts.overview_spec(**_overview_arguments(c, 6), size=size)


def distributions(c: Comparison, kind: str, outcomes: list[str]) -> dict[str, alt.TopLevelMixin]:
    """One chart per outcome, of the given kind, keyed by a name for export."""
    build = {
        "Ranges": lambda s: charts.ranges_chart(c.quantiles, s, c.labels),
        "Histograms": lambda s: charts.histogram_chart(c.histograms, s, c.labels),
        "Cumulative": lambda s: charts.ecdf_chart(c.quantiles, s, c.labels),
    }[kind]
    return {f"{SHOWN[col].title}, {kind.lower()}": build(SHOWN[col]) for col in outcomes}


def paired(c: Comparison, reference: str, diffs: pd.DataFrame) -> alt.TopLevelMixin:
    return charts.differences_chart(diffs, c.labels, c.labels[reference])


def timelines(c: Comparison, strategy: str, tl: Timeline) -> dict[str, alt.TopLevelMixin]:
    """One Gantt chart per stage of a strategy's typical operation."""
    out = {}
    for stage in tl.stages.itertuples():
        day = f" — day {stage.day:.0f}" if stage.stage > 1 else ""
        title = f"Stage {stage.stage}{day} ({stage.hours:.1f} h under anaesthesia)"
        out[f"Timeline: {c.labels[strategy]}, stage {stage.stage}"] = charts.timeline_chart(tl, stage.stage, strategy, title)
    return out


def catalogue(c: Comparison, scenario: Scenario, reference: str) -> dict[str, Callable[[], alt.TopLevelMixin]]:
    """Every chart the page can draw, by name, as a builder (run on demand, for the chart downloads);
    each carries the plans' key, the patient and the provenance (``charts.exportable``)."""
    provenance = provenance_line(c.version, c.scenario_digest, c.seed, c.replications, uncertainty=c.uncertainty_note)
    lines = [f"{scenario.patient.name}: {patient_line(scenario)}", provenance]

    def keyed(build: Callable[[], alt.TopLevelMixin], labels: dict[str, str] = c.labels, note: str = "") -> Callable[[], alt.TopLevelMixin]:
        return lambda: charts.exportable(build(), labels, [note, *lines] if note else lines)

    found = {"At a glance": keyed(lambda: overview(c, columns=3), note=RANGES_KEY)}
    for kind in CHART_KINDS:
        for shown in HEADLINE:
            found[f"{shown.title}, {kind.lower()}"] = keyed(
                lambda kind=kind, col=shown.column: next(iter(distributions(c, kind, [col]).values())),
                note=RANGES_KEY if kind == "Ranges" else "",
            )
    if len(c.strategies) > 1:
        found["Paired differences"] = keyed(lambda: paired(c, reference, differences(c, reference)))
    for s in c.strategies:
        found[f"Typical operation: {c.labels[s]}"] = keyed(
            lambda s=s: alt.vconcat(*(t.properties(width=EXPORT_TIMELINE_PX)
                                      for t in timelines(c, s, typical_timeline(scenario, s, c.seed, c.records,
                                                                                c.uncertainty)).values()),
                                    spacing=24)
            .resolve_scale(color="independent"),
            {s: c.labels[s]},
        )
    return found


def bench(scenario: Scenario, strategies: list[str], replications: int, seed: int, drawn=None,
          workers=None) -> dict[str, float]:
    """Seconds to run and to build what the browser receives after *Run* (the Summary tab's
    chart spec, as the page builds it: its layout is kept from an earlier run of the same plans);
    ``drawn`` and ``workers`` (the server's warm pool) as ``build_comparison`` takes them."""
    t0 = time.perf_counter()
    c = build_comparison(scenario, strategies, replications, seed, drawn=drawn, workers=workers)
    overview_spec(c)  # the layout, built at the first run of these plans and kept (not timed)
    t1 = time.perf_counter()
    json.dumps(overview_spec(c))
    t2 = time.perf_counter()
    return {"run_s": t1 - t0, "charts_s": t2 - t1, "total_s": t2 - t0}
