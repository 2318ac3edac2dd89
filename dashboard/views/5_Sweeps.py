"""Sweeps: run a bundled sweep from the app (same backends as ``resectsim sweep run``) or open a
results database, then read its sensitivity analyses as Compare reads results (plan labels and
colours, hours, per 100 patients).

Databases live in the results folder only (``dashboard.results``: ``$RESECTSIM_RESULTS`` or
``results/``); a run from the page writes ``<spec>.duckdb`` there, and no path typed by a visitor
reaches the server's file system. Reading uses short read-only connections, so a running sweep keeps
writing; the charts are ``simulation.sweeps.charts`` recoloured by ``dashboard.sweeps``.
"""

import duckdb
import streamlit as st

from dashboard import state
from dashboard import sweeps as reading
from dashboard.results import RESULTS_ENV, databases, results_folder
from simulation import ScenarioError
from simulation.present.formats import SWEEP_TABLES, outcome_title
from simulation.runs.limits import LimitError, cores
from simulation.scenario.loader import BUNDLED, bundled
from simulation.sweeps import charts as sweep_charts
from simulation.sweeps import sensitivity
from simulation.sweeps.backends import BackendError, DaskCluster, ProcessPool
from simulation.sweeps.budget import estimate
from simulation.sweeps.run import run_sweep
from simulation.sweeps.spec import load_plan
from simulation.sweeps.store import Store, StoreError

BACKENDS = ("Process pool", "Dask (local cluster)")
PARAMETER_COLUMNS = {"label": "Parameter", "path": "Path in the spec", "canonical": "Path in the scenario", "mode": "Varied as",
                     "places": "Places", "low": "Low", "base": "Base", "high": "High"}


@st.cache_data(max_entries=8, show_spinner=False)
def _tables(db: str, sweep_id: str, analysis: str, updated, _store: Store, _data):
    """The analysis's tables (a tornado's from the stored records), once per state of the sweep
    (``updated`` changes with every stored chunk): choosing another outcome reruns the page."""
    records = _store.records(sweep_id) if analysis == "tornado" else None
    return sensitivity.tables(_data, analysis, records)


@st.cache_resource(show_spinner=False)
def _plan(name: str):
    return load_plan(name)


def _cancel() -> None:
    if st.session_state.pop("sweep_running", False):  # a run was going: this click stopped it
        st.session_state["sweep_cancelled"] = True


def _run(plan, db, backend_name: str, workers: int) -> None:
    """Run (or resume) ``plan`` into ``db`` with a progress bar; *Cancel* stops it between chunks
    (finished points stay stored, and running it again resumes)."""
    backend = ProcessPool(workers) if backend_name == BACKENDS[0] else DaskCluster(workers=workers)
    bar = st.progress(0.0, text=f"Starting {backend.describe()}…")
    control: list[BaseException] = []

    def progress(done: int, total: int) -> None:
        try:
            bar.progress(done / total, text=f"{plan.name}: {done} of {total} points on {backend.describe()}")
        except BaseException as exc:  # Streamlit stopping this script (Cancel pressed): the sweep is interrupted
            control.append(exc)
            raise KeyboardInterrupt from None

    st.session_state["sweep_running"] = True
    try:
        with backend:
            report = run_sweep(plan, Store(db), backend, None, progress)
    except KeyboardInterrupt:
        if control:
            raise control[0] from None  # let Streamlit rerun the page (it shows the cancelled state)
        raise
    finally:
        if not control:
            st.session_state.pop("sweep_running", None)
    bar.empty()
    st.success(f"Ran {report.points_run} points in {report.wall_s:.0f} s into {db.name}." if report.points_run
               else f"{plan.name} was already complete in {db.name}.")


def run_section(folder) -> None:
    """Pick a bundled spec, see what it will cost, run it on a process pool or Dask."""
    specs = list(bundled("sweeps", BUNDLED))
    left, right = st.columns([2, 1])
    name = left.selectbox("Bundled sweep", specs, key="sweeps_spec", help="The specs in scenarios/sweeps/.")
    try:
        plan = _plan(name)
    except ScenarioError as exc:
        st.error(str(exc))
        return
    backend_name = right.radio("Run on", BACKENDS, key="sweeps_backend", horizontal=True,
                               help="The backends of `resectsim sweep run` (--workers N, or --dask local).")
    workers = right.number_input("Workers", 1, cores(), min(2, cores()), key="sweeps_workers")
    spec = plan.spec
    cost = estimate(plan, int(workers))
    known = state.bundled_strategies()
    plans = ", ".join(known[s].label if s in known else s for s in plan.strategies)
    st.markdown(
        f"**{spec.name}**: {spec.design} design over {len(plan.parameters)} parameters "
        f"({', '.join(p.label for p in plan.parameters)}); plans: {plans}; "
        f"outcomes: {', '.join(outcome_title(o) for o in spec.outcomes)}."
    )
    st.caption("  \n".join(cost.lines()))
    problems = cost.problems()
    for problem in problems:
        st.error(problem)
    db = folder / f"{spec.name}.duckdb"
    run, stop, _ = st.columns([1, 1, 6])
    stop.button("Cancel", key="sweep_cancel", icon=":material/stop:", on_click=_cancel, width="stretch",
                help="Stop the sweep that is running after its current chunk; finished points are kept and Run resumes.")
    if run.button("Run", type="primary", icon=":material/play_arrow:", disabled=bool(problems), key="sweeps_run",
                  width="stretch", help=f"Writes {db.name} in the results folder; a sweep already there is resumed."):
        st.session_state.pop("sweep_cancelled", None)
        folder.mkdir(parents=True, exist_ok=True)
        try:
            _run(plan, db, backend_name, int(workers))
        except (ScenarioError, StoreError, BackendError, LimitError, OSError, duckdb.Error) as exc:
            st.error(str(exc).splitlines()[0])
            return
        st.session_state["sweeps_db"], st.session_state["sweeps_sweep"] = db.name, spec.name
    if st.session_state.get("sweep_cancelled"):
        st.info(f"**Sweep cancelled.** Finished points are stored in {db.name}; press **Run** to resume.",
                icon=":material/stop_circle:")


st.title("Parameter sweeps")
st.caption(
    "Sensitivity analyses of the model's assumptions: run a bundled sweep here (or "
    "`resectsim sweep run SPEC --db results/NAME.duckdb` on the command line), then read it below."
)
folder = results_folder()
with st.expander("Run a bundled sweep", expanded=not databases(folder)):
    run_section(folder)

found = databases(folder)
if not found:
    st.info(f"No sweep databases (*.duckdb) in the results folder yet. Run a sweep above, or set "
            f"{RESULTS_ENV} to the folder that holds them before starting the dashboard.")
    st.stop()
if st.session_state.get("sweeps_db") not in found:
    st.session_state["sweeps_db"] = next(iter(found))
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
st.dataframe(overview.rename(columns={"sweep_id": "Sweep", "design": "Design", "status": "Status", "points": "Points done",
                                      "replications": "Replications", "strategies": "Plans", "updated": "Updated (UTC)"}),
             hide_index=True, width="stretch")

if st.session_state.get("sweeps_sweep") not in listing.sweep_id.tolist():
    st.session_state["sweeps_sweep"] = listing.sweep_id.iloc[-1]
sweep_id = st.selectbox("Sweep", listing.sweep_id.tolist(), key="sweeps_sweep")
if st.button("Refresh", help="Read the database again (a sweep may still be running)."):
    st.rerun()
try:
    data = store.load(sweep_id)
    info = data.info
except StoreError as exc:
    st.error(str(exc))
    st.stop()

known = state.bundled_strategies()
labels = {s: known[s].label if s in known else s for s in info["strategies"]}
done, total = int(info["points_done"]), int(info["n_points"])
st.markdown(
    f"**{sweep_id}**: {info['design']} design, {done} of {total} points done ({info['status']}); "
    f"{info['replications']} replications per point and plan; seed {info['seed']}; "
    f"resectsim {info['version']}, scenario {info['scenario_digest']}."
)
if done < total:
    st.progress(done / total)
if info["message"]:
    st.warning(info["message"])
with st.expander("Parameters"):
    st.dataframe(data.parameters.drop(columns=["idx"]).rename(columns=PARAMETER_COLUMNS), hide_index=True, width="stretch")

fitting = [name for name, designs in sensitivity.ANALYSES.items() if info["design"] in designs]
default = sensitivity.default_analysis(info["design"], len(data.labels))
analysis = st.radio("Analysis", fitting, index=fitting.index(default), horizontal=True, key=f"sweeps_analysis:{sweep_id}")
outcomes = list(info["outcomes"])
outcome = st.selectbox("Outcome", outcomes, format_func=outcome_title, key="sweeps_outcome")

try:
    raw = _tables(db, sweep_id, analysis, info["updated"], store, data)
except sensitivity.AnalysisError as exc:
    st.warning(str(exc))
    st.stop()
tables = {name: reading.in_display_units(table, labels) for name, table in raw.items()}

chart = sweep_charts.outcome_chart(analysis, tables, outcome, data.labels)
if chart is not None:
    st.vega_lite_chart(reading.coloured(chart, labels, outcome), theme=None)  # the chart's own size
summary = sweep_charts.overview_chart(analysis, tables)
if summary is not None:
    st.vega_lite_chart(reading.coloured(summary, labels), theme=None)
for name, table in tables.items():
    shown = table[table.outcome == outcome] if "outcome" in table else table
    st.subheader(SWEEP_TABLES.get(name, name.replace("_", " ").capitalize())
                 + (f": {outcome_title(outcome)}" if "outcome" in table else ""))
    st.dataframe(reading.readable(shown), hide_index=True, width="stretch")
    st.download_button(
        f"Download {name}.csv (all outcomes, record units)", raw[name].to_csv(index=False).encode(),
        file_name=f"{sweep_id}-{name}.csv", mime="text/csv", key=f"download-{name}",
    )
