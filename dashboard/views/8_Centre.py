"""Your centre: upload a case log, see how far it moves the centre's effects, use the profile here."""

import streamlit as st
import yaml

from dashboard import state
from dashboard.centre import fit_upload
from simulation.calibration import caselog

st.title("Your centre")
st.markdown(
    "Upload your centre's case log (one row per operation) to calibrate the model's centre effects on operating "
    "time, blood loss and major complications to your own results, adjusted for your case mix and shrunk toward "
    "the published centres. Only aggregates are kept (no patient rows); the profile enters the scenario hash and "
    "every provenance line."
)
st.download_button("Download the case-log template (CSV)", caselog.template(), file_name="caselog-template.csv",
                   mime="text/csv")
name = st.text_input("Centre name", key="centre_name")
upload = st.file_uploader("Case log (CSV)", type=["csv"], key="centre_upload")
if upload is not None and st.button("Fit my centre", type="primary"):
    with st.spinner("Simulating each case type in the log and fitting…"):
        fitted = fit_upload(upload.getvalue(), upload.name, name)
    if fitted.profile is None:
        for line in fitted.problems:
            st.error(line)
    else:
        st.session_state[state.CENTRE_KEY] = fitted.profile
        st.session_state["centre_lines"] = fitted.lines
profile = st.session_state.get(state.CENTRE_KEY)
if profile is not None:
    st.subheader(f"{profile.centre}: {profile.cases:,} operations{f', {profile.period}' if profile.period else ''}")
    for line in st.session_state.get("centre_lines", ()):
        st.markdown(f"- {line}")
    for warning in profile.warnings:
        st.warning(warning)
    if profile.absent_case_types:
        st.warning("Case types absent from the log (the centre's effect is extrapolated to them): "
                   + ", ".join(profile.absent_case_types))
    st.download_button("Download the centre profile (YAML)", yaml.safe_dump(profile.model_dump(mode="json"), sort_keys=False),
                       file_name=f"{profile.centre}.yaml", mime="application/x-yaml")
    st.info("Compare and Counselling now draw this centre's effect instead of a centre like those published.")
    if st.button("Stop using this centre"):
        del st.session_state[state.CENTRE_KEY]
        st.rerun()
