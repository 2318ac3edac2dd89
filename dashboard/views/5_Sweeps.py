"""Sweeps: parameter sweeps stored in the results database, with their sensitivity analyses.

Presentation only: sweeps are run from the command line (``resectsim sweep run SPEC``); this page
offers the databases of the results folder (``dashboard.results``: ``$RESECTSIM_RESULTS`` or
``results/``) and opens no other path. It reads the database (short read-only connections, so a running sweep keeps writing) and draws
the charts of ``simulation.sensitivity`` with ``simulation.sweep_charts``.
"""

import duckdb
import streamlit as st

from dashboard.results import RESULTS_ENV, databases, results_folder
from simulation.scenario.records import label
from simulation.sweeps import charts as sweep_charts
from simulation.sweeps import sensitivity
from simulation.sweeps.store import Store, StoreError


@st.cache_data(max_entries=8, show_spinner=False)
def _tables(db: str, sweep_id: str, analysis: str, updated, _store: Store, _data):
    """The analysis's tables (a tornado's from the stored records), once per state of the sweep
    (``updated`` changes with every stored chunk): choosing another outcome reruns the page."""
    records = _store.records(sweep_id) if analysis == "tornado" else None
    return sensitivity.tables(_data, analysis, records)

st.title("Parameter sweeps")
st.caption(
    "Sensitivity analyses of the model's assumptions. Run a sweep from the command line, e.g. "
    "`resectsim sweep run seed-case-one-way` (specs in `scenarios/sweeps/`), then choose it here."
)
folder = results_folder()
found = databases(folder)
if not found:
    st.info(f"No sweep databases (*.duckdb) in the results folder yet. Run a sweep with "
            f"`resectsim sweep run SPEC --db {folder.name}/NAME.duckdb` from the repository root, or set "
            f"{RESULTS_ENV} to the folder that holds them before starting the dashboard.")
    st.stop()
chosen_db = st.selectbox("Results database", list(found), key="sweeps_db",
                         help=f"The sweep databases in the results folder ({RESULTS_ENV}).")
db = str(found[chosen_db])
store = Store(db, lock_timeout_s=10)
try:
    listing = store.sweeps()
except (StoreError, duckdb.Error) as exc:  # not a sweep database, held by a writer, another DuckDB version
    st.info(str(exc).splitlines()[0].replace(db, chosen_db))
    st.stop()
if listing.empty:
    st.info(f"No sweeps stored in {chosen_db} yet.")
    st.stop()

overview = listing.assign(
    points=lambda d: d.points_done.astype(str) + " / " + d.n_points.astype(str),
    strategies=lambda d: d.strategies.map(len),
)[["sweep_id", "design", "status", "points", "replications", "strategies", "updated"]]
st.dataframe(overview, hide_index=True, width="stretch")

sweep_id = st.selectbox("Sweep", listing.sweep_id.tolist(), index=len(listing) - 1, key="sweeps_sweep")
if st.button("Refresh", help="Read the database again (a sweep may still be running)."):
    st.rerun()
try:
    data = store.load(sweep_id)
    info = data.info
except StoreError as exc:
    st.error(str(exc))
    st.stop()

done, total = int(info["points_done"]), int(info["n_points"])
st.markdown(
    f"**{sweep_id}**: {info['design']} design, {done} of {total} points done ({info['status']}); "
    f"{info['replications']} replications per point and strategy; seed {info['seed']}; "
    f"resectsim {info['version']}, scenario {info['scenario_digest']}."
)
if done < total:
    st.progress(done / total)
if info["message"]:
    st.warning(info["message"])
with st.expander("Parameters"):
    st.dataframe(data.parameters.drop(columns=["idx"]), hide_index=True, width="stretch")

fitting = [name for name, designs in sensitivity.ANALYSES.items() if info["design"] in designs]
default = sensitivity.default_analysis(info["design"], len(data.labels))
analysis = st.radio("Analysis", fitting, index=fitting.index(default), horizontal=True)
outcomes = list(info["outcomes"])
outcome = st.selectbox("Outcome", outcomes, format_func=label, key="sweeps_outcome")

try:
    tables = _tables(db, sweep_id, analysis, info["updated"], store, data)
except sensitivity.AnalysisError as exc:
    st.warning(str(exc))
    st.stop()

chart = sweep_charts.outcome_chart(analysis, tables, outcome, data.labels)
if chart is not None:
    st.altair_chart(chart, theme=None)  # the chart's own size (width="content" squeezes layered charts)
summary = sweep_charts.overview_chart(analysis, tables)
if summary is not None:
    st.altair_chart(summary, theme=None)
for name, table in tables.items():
    shown = table[table.outcome == outcome] if "outcome" in table else table
    st.subheader(name.replace("_", " ").capitalize())
    st.dataframe(shown, hide_index=True, width="stretch")
    st.download_button(
        f"Download {name}.csv", table.to_csv(index=False).encode(), file_name=f"{sweep_id}-{name}.csv",
        mime="text/csv", key=f"download-{name}",
    )
