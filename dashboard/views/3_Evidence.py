"""Evidence and assumptions: every number of the current scenario and where it comes from."""

import pandas as pd
import streamlit as st

from dashboard import evidence, state, ui
from simulation import Scenario, ScenarioError
from simulation.evidence.labels import LABELS
from simulation.evidence.register import (
    modifier_table,
    phase_plan,
    references_table,
    register,
    with_label,
)
from simulation.scenario.loader import BUNDLED


@st.cache_data(max_entries=8, show_spinner=False)
def _register(digest: str, _scenario: Scenario):
    """The register and the reference table (each walks every number of the scenario), once per
    scenario rather than on every rerun the filters below cause."""
    return register(_scenario), references_table(_scenario)


inputs = state.inputs()
st.title("Evidence and assumptions")
if not inputs.ready:
    ui.inputs_not_ready()
    st.stop()
try:
    scenario = state.scenario(inputs.patient, list(inputs.library.values()))
except ScenarioError as exc:
    ui.show_issues(exc)
    st.stop()
table, references = _register(scenario.digest(), scenario)
assumed = int((table.Basis == "assumption").sum())
left, middle, right = st.columns(3)
left.metric("Numbers in the model", len(table))
middle.metric("From a published source", len(table) - assumed)
right.metric("Assumptions", assumed, help="Stated in a sentence next to the number in the scenario files.")
st.markdown(
    f"Scenario **{scenario.digest()}** (the current patient with every available strategy). Most phase-level times, "
    "bleeding rates and event risks are **assumptions**, calibrated so that the index case and published series fall "
    "inside the simulated ranges; treat them as the team's best estimates, not measurements. "
    "**Labels** mark numbers to trust less: *assumption* (no source), *inferred* (derived from a source by "
    "arithmetic), *abstract-only* (the source was read in an abstract only) and *adult-to-child* (an adult "
    f"figure applied to {'this child' if scenario.is_child else 'a child; not for this adult patient'}). "
    "In probabilistic sensitivity analysis their uncertainty is widened by the factor shown (factors multiply)."
)

params, patient, plans, refs = st.tabs(["Parameters", "Patient", "Phase plans", "References"])
with params:
    with st.expander("Why these numbers: the notes at the head of the scenario files"):
        for file in ("parameters.yaml", "phases.yaml"):
            st.markdown(f"**{file}**")
            st.markdown(evidence.file_header(BUNDLED / file))
    left, middle, right = st.columns([2, 1, 2])
    basis = left.radio("Show", ("All", "Published source", "Assumption"), horizontal=True, key="evidence_basis")
    label = middle.selectbox("Label", ("Any", *LABELS), key="evidence_label")
    query = right.text_input("Filter", placeholder="e.g. durotomy, transfusion, vessel", key="evidence_query")
    shown = table if basis == "All" else table[table.Basis == ("source" if basis == "Published source" else "assumption")]
    if label != "Any":
        shown = with_label(shown, label)
    if query:
        mask = shown.apply(lambda row: query.lower() in " ".join(map(str, row.values)).lower(), axis=1)
        shown = shown[mask]
    st.caption(f"{len(shown)} of {len(table)} numbers. Each parameter in words, then its path in the scenario files and "
               "what it means. 5–95%: the middle 90% of a distribution as the model samples it. Study: the source's design "
               f"and number of patients, or '{evidence.NOT_REPORTED}' where the reference does not give them.")
    known = evidence.names(scenario)
    for section, rows in shown.groupby("Section", sort=False):
        with st.expander(f"{evidence.section_name(section, known)} ({len(rows)})", expanded=len(shown) <= 40):
            if section == "phases":  # every phase time and rate points to this header for its rationale
                st.caption(evidence.file_header(BUNDLED / "phases.yaml"))
            st.table(evidence.readable(rows, scenario), hide_index=True)
with patient:
    st.markdown(f"**{scenario.patient.name}**: {scenario.patient.description}")
    st.table(evidence.patient_table(scenario), hide_index=True)
    st.subheader("Patient conditions that change the phases")
    st.table(modifier_table(scenario), hide_index=True)
    st.caption("Multipliers compound once per extra level or implanted level; each phase lists the conditions it scales with.")
with plans:
    name = st.selectbox("Strategy", list(inputs.library), format_func=lambda n: inputs.library[n].label, key="evidence_strategy")
    st.markdown(scenario.strategy(name).description)
    st.table(phase_plan(scenario, name), hide_index=True)
    st.caption(
        "Durations and bleeding rates are written for a one-level primary resection (reference patient); the "
        "multipliers give this patient's. Event risks are per phase, after this patient's odds ratios."
    )
with refs:
    references = references.assign(
        N=[f"{int(n):,}" if pd.notna(n) else evidence.NOT_REPORTED for n in references.N],
        Design=references.Design.fillna(evidence.NOT_REPORTED).replace("", evidence.NOT_REPORTED),
    )
    st.dataframe(
        references, hide_index=True,
        column_config={"Link": st.column_config.LinkColumn("Link"), "Taken": st.column_config.TextColumn("Taken", width="large"),
                       "Citation": st.column_config.TextColumn("Citation", width="large"),
                       "Reference": st.column_config.TextColumn("Reference", pinned=True)},
    )
    st.caption(
        "N: patients (studies for a meta-analysis without a patient total). Confidence: the evidence flag of the "
        "figures taken. Access: what was read. Parameters: numbers of this scenario that cite the reference."
    )
    for key, ref in scenario.references.items():
        if ref.note:
            st.markdown(f"**{key}** — {ref.citation}  \n*{ref.note}*")
