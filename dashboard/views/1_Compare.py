"""Compare strategies (tumour board): several plans for one patient, side by side."""

import datetime
import io

import streamlit as st

from dashboard import charts, state, ui
from dashboard.compare import board, decision, tables
from dashboard.compare import charts as compare_charts
from dashboard.compare.timeline import typical_timeline
from dashboard.compare.view import Comparison, differences
from simulation import Scenario, ScenarioError
from simulation.present.formats import (
    HEADLINE,
    KIND_VALUES,
    MAIN_STRATEGIES,
    RANGES_KEY,
    SHOWN,
    honest_caption,
    interval_name,
    number,
    patient_line,
    provenance_line,
)

PAGE = "compare"
TABS = ("Summary", "Distributions", "Paired differences", "Typical operation", "Downloads")


@st.cache_data(max_entries=16, show_spinner=False)
def _differences(key: tuple, reference: str, _c: Comparison):
    return differences(_c, reference)


@st.cache_data(max_entries=16, show_spinner=False)
def _decision(key: tuple, a: str, b: str, _c: Comparison):
    return decision.decision_table(_c, a, b)


@st.cache_data(max_entries=32, show_spinner=False)
def _timeline(key: tuple, strategy: str, _scenario: Scenario, _c: Comparison):
    return typical_timeline(_scenario, strategy, _c.seed, _c.records, _c.uncertainty)


def _draw(chart, stretch: bool = True, size: int = 14) -> None:
    st.altair_chart(charts.styled(chart, size), width="stretch" if stretch else "content")


def _kept_index(key: str, options: tuple[str, ...], default: str) -> int:
    """Where a keyed selectbox starts: its kept choice while still offered, else ``default`` (a kept choice
    no longer offered is forgotten). Given as the widget's index rather than written to session state
    first, it is also what the browser shows whenever it draws the widget anew; otherwise a selectbox
    drawn again could show its first option beside a table of the plan actually chosen."""
    if st.session_state.get(key) not in options:
        st.session_state.pop(key, None)
    return options.index(st.session_state.get(key, default))


def _pair_widgets(c: Comparison, scenario: Scenario) -> tuple[str, str]:
    """The two plans the decision table compares (any pair the board picks), and the board PDF for them."""
    a, b = decision.default_pair(c)
    left, mid, right, pdf = st.columns([5, 1, 5, 2], vertical_alignment="bottom")
    a = left.selectbox("Plan", c.strategies, index=_kept_index("board_a", c.strategies, a), key="board_a",
                       format_func=c.labels.get, label_visibility="collapsed")
    mid.html('<div class="rs-vs">vs</div>')
    b = right.selectbox("Compared with", c.strategies, index=_kept_index("board_b", c.strategies, b), key="board_b",
                        format_func=c.labels.get, label_visibility="collapsed")
    pdf.download_button("Board PDF", lambda: board.board_report(c, scenario, a, b, datetime.date.today().isoformat()),
                        f"resectsim-board-{c.scenario_digest}.pdf", "application/pdf", on_click="ignore",
                        icon=":material/picture_as_pdf:", width="stretch", disabled=a == b,
                        help="Two landscape pages for the board: patient, plans, this decision table, the chart, "
                             "the key risks and the provenance.")
    return a, b


def decision_section(c: Comparison, scenario: Scenario) -> None:
    """The decision in words for the chosen pair, then the at-a-glance chart: the first screen."""
    if len(c.strategies) < 2:
        st.info("Choose at least two strategies to see the decision table.")
        return
    a, b = _pair_widgets(c, scenario)
    if a == b:
        st.info("Pick two different plans.")
        return
    st.table(_decision(c.key, a, b, c), hide_index=True)


def summary_tab(c: Comparison, scenario: Scenario) -> None:
    decision_section(c, scenario)
    st.vega_lite_chart(compare_charts.overview_spec(c), width="content")
    if len(c.strategies) > 1:
        st.caption(
            f"Decision table: A = {c.labels[st.session_state['board_a']]}, B = {c.labels[st.session_state['board_b']]}, "
            f"paired on the same simulated patients. In brackets: the {interval_name(c.uncertainty_parts)}. "
            + honest_caption(c.uncertainty_parts, c.uncertainty_note)
        )
    st.caption(f"At a glance: {RANGES_KEY[0].lower()}{RANGES_KEY[1:]} "
               f"{provenance_line(c.version, c.scenario_digest, c.seed, c.replications, uncertainty=c.uncertainty_note)}.")
    st.subheader("Operation and stay")
    st.table(tables.outcome_table(c), hide_index=True)
    st.caption(
        "Median and 5th–95th percentile: what to expect for a patient like this one. Mean with 95% CI: how "
        "precisely the simulation estimates the average (narrows with more replications)."
    )
    st.subheader("Risks")  # full width: in half a page, five columns broke every figure over three lines
    st.table(tables.risk_table(c), hide_index=True)
    st.caption("Share of simulated patients ± Monte Carlo standard error; in brackets the "
               f"{interval_name(c.uncertainty_parts)}. Complications count any severity.")
    if c.oncology_note:
        st.caption(c.oncology_note)
    st.subheader("How often the worst cases happen")
    st.table(tables.exceedance_table(c), hide_index=True)
    st.caption("Share of simulated patients above each threshold ± Monte Carlo standard error; in brackets the "
               f"{interval_name(c.uncertainty_parts)}.")


def distributions_tab(c: Comparison) -> None:
    left, right = st.columns([1, 2])
    kind = left.radio("Chart", compare_charts.CHART_KINDS, key="compare_chart_kind", horizontal=True,
                      help="Ranges: median, middle half and 5–95%. Histograms: one row per plan. "
                           "Cumulative: share of simulated patients at or below each value.")
    st.session_state.setdefault("compare_outcomes", [s.column for s in HEADLINE])
    outcomes = right.multiselect("Outcomes", [s.column for s in HEADLINE], key="compare_outcomes",
                                 format_func=lambda col: SHOWN[col].title)
    grid = st.columns(2)
    for i, chart in enumerate(compare_charts.distributions(c, kind, outcomes).values()):
        with grid[i % 2]:
            _draw(chart, stretch=kind != "Histograms")
    if kind == "Histograms":
        st.caption("Bars share common bins across plans; the last bar collects the longest 0.5%. Dashed line: median.")


def _reference_widget(c: Comparison) -> str:
    if st.session_state.get("compare_reference") not in c.strategies:
        st.session_state["compare_reference"] = MAIN_STRATEGIES[0] if MAIN_STRATEGIES[0] in c.strategies else c.strategies[0]
    return st.selectbox("Reference plan (usually the single-stage one)", c.strategies, key="compare_reference",
                        format_func=lambda n: c.labels[n])


def differences_tab(c: Comparison) -> None:
    if len(c.strategies) < 2:
        st.info("Choose at least two strategies to compare them pairwise.")
        return
    reference = _reference_widget(c)
    diffs = _differences(c.key, reference, c)
    st.markdown(
        f"**{c.labels[reference]} minus each other plan**, for the same simulated patients. Each simulated patient "
        "meets every plan with the same random numbers (common random numbers), so most chance differences between "
        "patients cancel out; the bars show how precisely the simulation estimates each difference (Monte Carlo "
        "error only, not the uncertainty of the clinical figures). Negative: the reference plan is lower (shorter, "
        "less blood, fewer complications)."
    )
    _draw(compare_charts.paired(c, reference, diffs), stretch=False)
    st.table(tables.differences_table(diffs, c.labels, reference), hide_index=True)


def timeline_tab(c: Comparison, scenario: Scenario) -> None:
    st.markdown(
        "One **typical** simulated operation per plan: the simulated patient whose operative time is closest to the "
        "plan's median. Each stage has its own time axis, from induction, because stages are days apart."
    )
    records = c.records.set_index(["strategy", "replication"])
    for name, label in c.labels.items():
        tl = _timeline(c.key, name, scenario, c)
        r = records.loc[(name, tl.replication)]
        ui.legend({name: label})
        st.caption(
            f"Simulated patient #{tl.replication}: operative time {SHOWN['operative_time_min'].fmt(r.operative_time_min)} h, "
            f"blood loss {number(r.blood_loss_ml)} mL, {int(r.rbc_units)} red-cell units."
        )
        for chart in compare_charts.timelines(c, name, tl).values():
            _draw(chart, size=13)


def _parquet(frame) -> bytes:
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    return buf.getvalue()


def downloads_tab(c: Comparison, scenario: Scenario) -> None:
    st.markdown("**Results**: one row per strategy and replication (records) or per stage (stages).")
    stem = f"resectsim-{c.scenario_digest}-seed{c.seed}-n{c.replications}"
    files = (
        ("Records (CSV)", lambda: c.records.to_csv(index=False).encode(), "records.csv", "text/csv"),
        ("Records (Parquet)", lambda: _parquet(c.records), "records.parquet", "application/vnd.apache.parquet"),
        ("Stages (CSV)", lambda: c.stages.to_csv(index=False).encode(), "stages.csv", "text/csv"),
        ("Stages (Parquet)", lambda: _parquet(c.stages), "stages.parquet", "application/vnd.apache.parquet"),
    )
    for col, (label, data, suffix, mime) in zip(st.columns(5), files):
        col.download_button(label, data, f"{stem}-{suffix}", mime, on_click="ignore", icon=":material/download:")
    st.download_button("What the columns mean (CSV)", lambda: board.dictionary_csv([*c.records.columns, *c.stages.columns], scenario),
                       f"{stem}-columns.csv", "text/csv", on_click="ignore", icon=":material/description:")
    st.caption(f"Complication columns (complication_…) hold a severity code: {KIND_VALUES['severity']}; "
               "their time frames and definitions are in the column file. Yes/no columns: 1 = yes, 0 = no.")
    st.markdown("**Tables** as on the Summary tab (CSV):")
    a, b = st.session_state.get("board_a"), st.session_state.get("board_b")
    found = board.csv_tables(c, a, b)
    for col, (name, data) in zip(st.columns(len(found) + 1), found.items()):
        col.download_button(name.replace("-", " ").capitalize(), data, f"{stem}-{name}.csv", "text/csv",
                            on_click="ignore", icon=":material/table:", key=f"table-{name}")
    st.markdown("**Charts** (PNG or SVG, drawn as on screen):")
    reference = st.session_state.get("compare_reference")
    catalogue = compare_charts.catalogue(c, scenario, reference if reference in c.strategies else c.strategies[0])
    name = st.selectbox("Chart", list(catalogue), key="compare_export")
    build = catalogue[name]
    slug = "".join(ch if ch.isalnum() else "-" for ch in name.lower()).strip("-")
    left, right, _ = st.columns([1, 1, 4])
    left.download_button("PNG", lambda: charts.export(build(), "png"), f"{slug}.png", "image/png",
                         on_click="ignore", icon=":material/image:")
    right.download_button("SVG", lambda: charts.export(build(), "svg"), f"{slug}.svg", "image/svg+xml",
                          on_click="ignore", icon=":material/image:")


inputs = state.inputs()
options = list(inputs.library)
st.session_state["compare_strategies"] = [
    s for s in st.session_state.get("compare_strategies", MAIN_STRATEGIES) if s in options
]
head = st.empty()
left, right, stop = st.columns([6, 1, 1], vertical_alignment="bottom")
chosen = left.multiselect("Strategies", options, key="compare_strategies", format_func=lambda n: inputs.library[n].label,
                          label_visibility="collapsed", placeholder="Choose the plans to compare")
clicked = right.button("Run", type="primary", width="stretch", disabled=not (chosen and inputs.ready),
                       icon=":material/play_arrow:")
state.cancel_button(PAGE, stop)
scenario = None
if not inputs.ready:
    ui.inputs_not_ready()
elif chosen:
    try:
        scenario = state.scenario(inputs.patient, [inputs.library[n] for n in chosen])
    except ScenarioError as exc:
        ui.show_issues(exc)
first_run = not state.has_result(PAGE) and not state.cancelled(PAGE)  # the page opens on a result, unless cancelled
result = state.result(PAGE, scenario, tuple(chosen), inputs.replications, inputs.seed,
                      run_now=clicked or first_run) if scenario is not None else state.kept(PAGE)
if state.cancelled(PAGE):
    ui.run_cancelled()
if result is None:
    with head.container():
        ui.header("Compare strategies")
    if not chosen:
        st.info("Choose at least one strategy.")
    st.stop()
comparison, scenario = result.comparison, result.scenario
with head.container():
    ui.header("Compare strategies", scenario.patient.name, patient_line(scenario))
if not result.current:
    ui.out_of_date()
tabs = dict(zip(TABS, st.tabs(TABS, key="compare_tab", on_change="rerun")))
with tabs["Summary"]:
    if tabs["Summary"].open:
        summary_tab(comparison, scenario)
with tabs["Distributions"]:
    if tabs["Distributions"].open:
        ui.legend(comparison.labels)
        distributions_tab(comparison)
with tabs["Paired differences"]:
    if tabs["Paired differences"].open:
        ui.legend(comparison.labels)
        differences_tab(comparison)
with tabs["Typical operation"]:
    if tabs["Typical operation"].open:
        timeline_tab(comparison, scenario)
with tabs["Downloads"]:
    if tabs["Downloads"].open:
        downloads_tab(comparison, scenario)
