"""Counselling (families): one or two plans in plain words, natural frequencies, icon arrays, PDF."""

import datetime
import html

import streamlit as st

from dashboard import charts, state, ui
from dashboard.counselling.family import (
    DEFICIT_HEADING,
    DEFICIT_INTRO,
    HOW_LONG,
    MEANING,
    STEADY_REPLICATIONS,
    FamilySummary,
    family_summary,
)
from dashboard.counselling.report import build_report
from simulation import ScenarioError
from simulation.present.formats import MAIN_STRATEGIES, family_plan_label

PAGE = "counsel"
NONE = "(no second plan)"


def _how_long(summary: FamilySummary) -> None:
    st.header("How long")
    for col, plan in zip(st.columns(len(summary.plans)), summary.plans):
        with col:
            st.markdown(f"**{plan.label}**")
            rows = "<br>".join(f"<b>{title}:</b> {html.escape(getattr(plan, attr))}" for title, attr in HOW_LONG)
            st.html(f'<div class="rs-big">{rows}</div>')


def _plans(summary: FamilySummary) -> None:
    st.header("The plans" if len(summary.plans) > 1 else "The plan")
    for col, plan in zip(st.columns(len(summary.plans)), summary.plans):
        with col:
            ui.legend({plan.name: plan.label})
            st.html(f'<div class="rs-big">{html.escape(plan.description)}</div>')
            with st.expander("Clinical description"):
                st.markdown(f"**{plan.clinical_label}**: {plan.clinical_description}")


def _deficit(summary: FamilySummary) -> None:
    """The planned deficit: certain, shown before any risk (nothing when no nerve root is cut)."""
    if summary.deficit:
        st.header(DEFICIT_HEADING)
        st.html(f'<div class="rs-big">{html.escape(DEFICIT_INTRO)}<ul>'
                + "".join(f"<li>{html.escape(line)}</li>" for line in summary.deficit) + "</ul></div>")


def _main_risks(summary: FamilySummary) -> None:
    st.header(f"The main risks, out of 100 {summary.people} like this one")
    st.caption("Each figure is one of 100 made-up patients; the coloured ones had it. Figures come in blocks of 25.")
    for i, first in enumerate(summary.plans[0].main):
        frames = {plan.main[i].time_frame for plan in summary.plans}
        st.subheader(first.label)
        if len(frames) == 1:
            st.markdown(f"*{first.time_frame}*")
        for col, plan in zip(st.columns(len(summary.plans)), summary.plans):
            risk = plan.main[i]
            when = "" if len(frames) == 1 else f"<br><i>{html.escape(risk.time_frame)}</i>"
            col.html(
                '<div style="display:flex; flex-wrap:wrap; gap:1.0rem; align-items:center">'
                f"{charts.icon_array_img(risk.per_100, plan.name, f'{risk.label}: {risk.words}', width_px=170)}"
                f'<div><div style="font-size:1.9rem; font-weight:700">{html.escape(risk.words)}</div>'
                f'<div style="font-size:1.05rem; color:#222">{html.escape(plan.label)}{when}</div></div></div>'
            )
        difference = summary.difference(i)
        if difference:
            st.html(f'<div class="rs-big rs-difference"><b>{html.escape(difference)}.</b></div>')
    st.info(summary.how_sure, icon=":material/help:")


def _other_risks(summary: FamilySummary) -> None:
    st.header(f"Other things that can happen, out of 100 {summary.people}")
    rows = []
    for i, risk in enumerate(summary.plans[0].others):
        rows.append({"": risk.label, "When": risk.time_frame, **{p.label: p.others[i].words for p in summary.plans}})
    st.table(rows, hide_index=True)


def _meaning(summary: FamilySummary) -> None:
    st.header("What these numbers mean, and what they don't")
    st.html('<div class="rs-big"><ul>' + "".join(f"<li>{html.escape(m)}</li>" for m in MEANING) + "</ul></div>")
    st.markdown(
        f"**How these numbers were made.** {summary.how_made} The icon arrays and frequencies use all "
        f"{summary.provenance.replications:,} simulated operations per plan, scaled to 100, rather than only the "
        "first 100, so that the numbers are steadier."
    )


inputs = state.inputs()
ui.header("Counselling")
st.markdown("For talking with a family: what each plan may mean for a patient like this one, in plain words.")
options = list(inputs.library)
if st.session_state.get("counsel_plan") not in options:
    st.session_state["counsel_plan"] = MAIN_STRATEGIES[0] if MAIN_STRATEGIES[0] in options else options[0]
left, right, run, stop = st.columns([3, 3, 1, 1], vertical_alignment="bottom")
def _named(n: str) -> str:
    """The family's name of a plan with the board's beside it, so both sides of the table can find it."""
    s = inputs.library[n]
    return s.label if family_plan_label(s) == s.label else f"{family_plan_label(s)} ({s.label})"


plan = left.selectbox("Plan", options, key="counsel_plan", format_func=_named)
others = [NONE] + [n for n in options if n != plan]
if st.session_state.get("counsel_other") not in others:
    st.session_state["counsel_other"] = MAIN_STRATEGIES[2] if MAIN_STRATEGIES[2] in others else NONE
other = right.selectbox("Compare with", others, key="counsel_other",
                        format_func=lambda n: n if n == NONE else _named(n))
clicked = run.button("Run", key="counsel_run", type="primary", width="stretch", disabled=not inputs.ready,
                     icon=":material/play_arrow:")
state.cancel_button(PAGE, stop)
names = (plan,) if other == NONE else (plan, other)
scenario = None
if not inputs.ready:
    ui.inputs_not_ready()
else:
    try:
        scenario = state.scenario(inputs.patient, [inputs.library[n] for n in names])
    except ScenarioError as exc:
        ui.show_issues(exc)
# simulate on Run, or when the plans chosen on this page change; a sidebar edit never re-simulates
last = state.latest(PAGE)
automatic = (last is None or last.strategies != names) and not state.cancelled(PAGE)
result = state.result(PAGE, scenario, names, inputs.replications, inputs.seed,
                      run_now=clicked or automatic) if scenario is not None else state.kept(PAGE)
if state.cancelled(PAGE):
    ui.run_cancelled()
if result is None:
    st.stop()
if not result.current:
    ui.out_of_date()
comparison = result.comparison
if comparison.replications < STEADY_REPLICATIONS:
    st.warning(
        f"Only {comparison.replications:,} simulated operations per plan: the frequencies below are rough. "
        f"Use at least {STEADY_REPLICATIONS:,} (sidebar) before showing them to a family."
    )
summary = family_summary(result.scenario, comparison, datetime.date.today().isoformat())
st.html(f'<div class="rs-big"><b>The patient:</b> {html.escape(summary.patient)}</div>')
with st.expander("Clinical description of the patient"):
    st.markdown(summary.patient_clinical)
st.download_button(
    "Printable report (PDF)", lambda: build_report(summary), f"resectsim-family-report-{comparison.scenario_digest}.pdf",
    "application/pdf", on_click="ignore", type="primary", icon=":material/picture_as_pdf:",
)
_plans(summary)
_deficit(summary)
_how_long(summary)
_main_risks(summary)
_other_risks(summary)
_meaning(summary)
st.caption(summary.provenance.line)
