"""Validation: the model against the index case and published series (scenarios/validation)."""

import streamlit as st

from dashboard import ui
from simulation import ScenarioError
from simulation.calibration.settings import load_settings
from simulation.calibration.uncertainty import validation_model
from simulation.present.formats import validation_headline
from simulation.validation.cohorts import load_cohorts
from simulation.validation.compare import (
    DEFAULT_REPLICATIONS,
    DEFAULT_SEED,
    Validation,
    run_validation,
)
from simulation.validation.report import chart
from simulation.validation.texts import CAVEAT, counts, display_table, summary


@st.cache_data(show_spinner="Running the validation cohorts…", max_entries=4)
def validation(replications: int, seed: int, calibrated: bool) -> tuple[Validation, str]:
    """The validation table, each figure's compared distribution and what the model drew (cached per settings)."""
    model = validation_model(calibrated=calibrated, fixed_parameters=not calibrated)
    return run_validation(load_cohorts(), replications, seed, uncertainty=model.uncertainty,
                          calibrated=model.calibrated), model.note


st.title("Validation")
st.markdown(f"**{CAVEAT}**")
DEFAULT_CALIBRATED = load_settings().predictions.use_stored_posterior  # the model every prediction uses comes first
calibrated = st.radio(
    "Model", [DEFAULT_CALIBRATED, not DEFAULT_CALIBRATED], horizontal=True, key="validation_model",
    format_func=lambda c: ("Calibrated" if c else "As written")
    + (" (the default for every prediction)" if c == DEFAULT_CALIBRATED else ""),
    help="As written: the phase library and parameters of the scenario files, patient variability only. Calibrated: "
    "parameters drawn from the stored posterior, a new centre for each simulated series; every series it was fitted "
    "to then counts as calibration, and the independent check is leave-one-series-out (docs/calibration.md).",
)
try:
    result, model_note = validation(DEFAULT_REPLICATIONS, DEFAULT_SEED, calibrated)
except ScenarioError as exc:
    ui.show_issues(exc)
    st.stop()
st.caption(f"Model: {model_note}.")

table = result.table
independent = table.role != "calibration"
# misses first, independent figures before calibration targets (a stable sort keeps the cohorts' order within)
order = table.assign(_miss=~table.inside, _independent=independent).sort_values(
    ["_miss", "_independent"], ascending=False, kind="stable").index
split = counts(table)
left, middle, right = st.columns(3)
left.metric("Independent figures inside the 95% interval", f"{split[0][0]} of {split[0][1]}" if split[0][1] else "none here",
            help="Published figures the parameters were not set from: the validation proper.")
middle.metric("Calibration targets inside", f"{split[1][0]} of {split[1][1]}",
              help="Used to set the parameters: a consistency check, not validation.")
right.metric("Misses (OUTSIDE)", int((~table.inside).sum()), help="Listed first in the table below.")
st.markdown(
    f"{validation_headline(*split)} "
    f"{summary(table).split('. ')[0]}. A value from one patient is "
    "judged against one simulated patient's 95% predictive interval; a series **mean** against the 95% interval of "
    "the mean of N simulated patients; k of N patients against the Binomial(N, model rate) interval. "
    "What was changed after this comparison and why the misses remain: `docs/validation.md`."
)
shown = display_table(table.loc[order])
shown = shown[["Result", *[c for c in shown.columns if c != "Result"]]]  # the verdict first: never scrolled away
st.dataframe(shown, hide_index=True, width="stretch",
             column_config={"Result": st.column_config.TextColumn("Result", pinned=True, width="small"),
                            "Cohort": st.column_config.TextColumn("Cohort", pinned=True)})

st.subheader("Each figure against the model")
names = list(dict.fromkeys(table.loc[order, "cohort"]))
labels = dict(zip(table.cohort, table.cohort_label))
name = st.selectbox("Cohort", names, format_func=labels.get, key="validation_cohort",
                    help="Cohorts with a miss come first.")
for i in order[table.loc[order, "cohort"] == name]:
    row = table.loc[i]
    st.altair_chart(chart(row, result.distributions[i]), width="stretch")
    if row.note:
        st.caption(f"{row.note} Source: {row.source}.")
