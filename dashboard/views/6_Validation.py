"""Validation: the model against the index case and published series (scenarios/validation)."""

import streamlit as st

from dashboard import ui
from simulation import ScenarioError
from simulation.validation.cohorts import load_cohorts
from simulation.validation.compare import (
    DEFAULT_REPLICATIONS,
    DEFAULT_SEED,
    Validation,
    run_validation,
)
from simulation.validation.report import chart
from simulation.validation.texts import CAVEAT, display_table, summary


@st.cache_data(show_spinner="Running the validation cohorts…", max_entries=4)
def validation(replications: int, seed: int) -> Validation:
    """The validation table and each figure's compared distribution (cached per run settings)."""
    return run_validation(load_cohorts(), replications, seed)


st.title("Validation")
st.markdown(f"**{CAVEAT}**")
try:
    result = validation(DEFAULT_REPLICATIONS, DEFAULT_SEED)
except ScenarioError as exc:
    ui.show_issues(exc)
    st.stop()

table = result.table
left, middle, right = st.columns(3)
left.metric("Published figures", len(table))
middle.metric("Inside the model's 95% interval", int(table.inside.sum()))
right.metric("Of them calibration targets", int((table.role == "calibration").sum()),
             help="Used to set the parameters: a consistency check, not validation.")
st.markdown(
    f"{summary(table)} A value from one patient is "
    "judged against one simulated patient's 95% predictive interval; a series **mean** against the 95% interval of "
    "the mean of N simulated patients; k of N patients against the Binomial(N, model rate) interval. "
    "What was changed after this comparison and why the misses remain: `docs/validation.md`."
)
st.dataframe(display_table(table), hide_index=True, use_container_width=True)

st.subheader("Each figure against the model")
names = list(dict.fromkeys(table.cohort))
labels = dict(zip(table.cohort, table.cohort_label))
name = st.selectbox("Cohort", names, format_func=labels.get, key="validation_cohort")
for i in table.index[table.cohort == name]:
    row = table.loc[i]
    st.altair_chart(chart(row, result.distributions[i]), use_container_width=True)
    if row.note:
        st.caption(f"{row.note} Source: {row.source}.")
