"""Shared inputs, cached scenarios and cached runs.

``app.py`` puts the sidebar's ``Inputs`` in session state; every page reads them with
``inputs()``. A run is cached by (scenario digest, strategies, replications, seed, version)
with ``st.cache_data`` and the page's latest result is kept in session state, so re-drawing a
chart never re-runs the model.
"""

from __future__ import annotations

import gc
import os
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

import streamlit as st

import simulation
from simulation import Patient, Scenario, Strategy, load_scenario
from simulation.present.formats import MAIN_STRATEGIES, MAX_REPLICATIONS
from simulation.runs.pools import SERVER_WORKERS, started_pool

from .compare.view import Comparison, build_comparison

_INPUTS = "inputs"
WORKERS = SERVER_WORKERS  # warm worker processes of the server (on a machine of at least that many cores)
CENTRE_KEY = "centre_profile"  # a calibrated centre (Your centre page): runs draw its effect
# Widgets that live on one page but should keep their value while another page is shown
PAGE_WIDGETS = (
    "compare_strategies", "compare_chart_kind", "compare_outcomes", "compare_reference",
    "counsel_plan", "counsel_other",
)


@dataclass(frozen=True)
class Inputs:
    """What the sidebar holds: the patient (None while the form has errors) and run settings."""

    patient: Patient | None
    library: dict[str, Strategy]  # bundled and uploaded strategies by name
    replications: int
    seed: int

    @property
    def replication_error(self) -> str | None:
        if self.replications > MAX_REPLICATIONS:
            return (
                f"Replications are limited to {MAX_REPLICATIONS:,} per strategy (got {self.replications:,}); "
                "more would not change the picture and would take minutes."
            )
        return None

    @property
    def ready(self) -> bool:
        return self.patient is not None and self.replication_error is None


def keep_page_widgets() -> None:
    """Streamlit forgets a widget's value when its page is not shown; re-assigning keeps it."""
    for key in PAGE_WIDGETS:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def publish(inputs: Inputs) -> None:
    st.session_state[_INPUTS] = inputs


def inputs() -> Inputs:
    return st.session_state[_INPUTS]


@st.cache_resource(show_spinner=False)
def bundled_strategies() -> dict[str, Strategy]:
    """The bundled strategy files, validated once per server: the four main ones first."""
    found = {s.name: s for s in load_scenario("seed-case").strategies}
    return {**{name: found[name] for name in MAIN_STRATEGIES if name in found}, **found}


@st.cache_resource(max_entries=64, show_spinner=False)
def _scenario(patient_json: str, strategy_jsons: tuple[str, ...]) -> Scenario:
    return load_scenario(
        Patient.model_validate_json(patient_json), [Strategy.model_validate_json(s) for s in strategy_jsons]
    )


def scenario(patient: Patient, strategies: list[Strategy]) -> Scenario:
    """The validated scenario (cached; raises ``ScenarioError`` like ``load_scenario``)."""
    return _scenario(patient.model_dump_json(by_alias=True), tuple(s.model_dump_json(by_alias=True) for s in strategies))


@st.cache_resource(show_spinner=False)
def _warm_pool() -> tuple[ProcessPoolExecutor, list[Future]] | None:
    """``WORKERS`` processes started once per server, so that a run on two cores does not pay for starting them."""
    return started_pool(WORKERS) if (os.cpu_count() or 1) >= WORKERS else None


@st.cache_resource(show_spinner=False)
def freeze_imports() -> None:
    """Once per server, after its first page: freeze what the server holds (``gc.freeze``: the modules of
    the app and their objects, about 240,000). Python's full collections, which otherwise walked them all
    for 120-170 ms now and then during a run, then look only at what was made since. The price: what the
    first visitor's session held at that moment is never collected as cyclic garbage (a few MB)."""
    gc.freeze()


def warm_workers() -> tuple[Executor, int] | None:
    """The server's warm pool and its size once its workers have started (None until then, if they
    could not start, and on a one-core machine: runs stay in the server). The first call starts them
    (``app.py`` does, at once)."""
    warm = _warm_pool()
    if warm is None or not all(f.done() and f.exception() is None for f in warm[1]):
        return None
    return warm[0], WORKERS


@st.cache_data(max_entries=8, show_spinner=False)
def _comparison(digest: str, strategies: tuple[str, ...], replications: int, seed: int, version: str, centre: str,
                _scenario: Scenario, _profile=None) -> Comparison:
    bar = st.progress(0.0, text="Simulating…")

    def progress(done: int, total: int) -> None:
        bar.progress(done / total, text=f"Simulating… {done:,} of {total:,} operations")

    drawn = simulation.uncertainty(_scenario, centre=_profile) if _profile is not None else None
    try:
        result = build_comparison(_scenario, strategies, replications, seed, progress=progress, drawn=drawn,
                                  workers=warm_workers())
    except BrokenProcessPool:  # a worker died (killed, out of memory): start new ones, run this one here
        _warm_pool.clear()
        _warm_pool()  # new workers start at once, ready for the next run
        result = build_comparison(_scenario, strategies, replications, seed, progress=progress, drawn=drawn)
    bar.empty()
    return result


@dataclass(frozen=True)
class Result:
    """A page's kept run: the comparison, the scenario it was run on, and whether it is for the
    inputs now on screen (False: out of date, kept on screen until the next Run)."""

    comparison: Comparison
    scenario: Scenario
    current: bool


def _cancel(page: str) -> None:
    """*Cancel* pressed: marks the page's run cancelled if one was going (pressing it stopped that run)."""
    if st.session_state.pop(f"running:{page}", False):
        st.session_state[f"cancelled:{page}"] = True


def cancel_button(page: str, where=st) -> None:
    """The page's *Cancel* button, beside *Run* and always on screen (a button that appears only during
    a run and then goes made Streamlit reset other widgets). Pressing it while a run goes makes Streamlit
    stop the script at the next progress update and rerun it with ``cancelled(page)`` set; pressing it
    with no run going does nothing."""
    where.button("Cancel", key=f"cancel:{page}", icon=":material/stop:", on_click=_cancel, args=(page,), width="stretch",
                 help="Stop the run that is going; the last result (if any) stays on screen.")


def cancelled(page: str) -> bool:
    """Whether the page's last run was cancelled (cleared by the next *Run*)."""
    return st.session_state.get(f"cancelled:{page}", False)


def result(page: str, sc: Scenario, strategies: tuple[str, ...], replications: int, seed: int, run_now: bool) -> Result | None:
    """The page's result: run (or fetch from cache) when asked and the kept one is for other
    inputs; otherwise the kept one, marked out of date when the inputs have changed since; None
    before the first run.

    A page thus never re-simulates on a sidebar edit, and copies a cached result out of
    ``st.cache_data`` only when asked to run. A run can be stopped with ``cancel_button``."""
    profile = st.session_state.get(CENTRE_KEY)
    key = (sc.digest(), tuple(strategies), replications, seed, simulation.__version__, profile.digest() if profile else "")
    slot = f"result:{page}"
    kept = st.session_state.get(slot)
    st.session_state.pop(f"running:{page}", None)  # a run stopped otherwise (another page opened) is over
    if run_now and (kept is None or kept[0] != key):
        st.session_state.pop(f"cancelled:{page}", None)
        st.session_state[f"running:{page}"] = True
        kept = st.session_state[slot] = (key, _comparison(*key, _scenario=sc, _profile=profile), sc)
        st.session_state.pop(f"running:{page}", None)
    return None if kept is None else Result(kept[1], kept[2], kept[0] == key)


def has_result(page: str) -> bool:
    return f"result:{page}" in st.session_state




def latest(page: str) -> Comparison | None:
    """The page's most recent result, whatever inputs it was for."""
    kept = st.session_state.get(f"result:{page}")
    return kept[1] if kept else None


def kept(page: str) -> Result | None:
    """The page's kept run, out of date (the current inputs cannot be simulated)."""
    found = st.session_state.get(f"result:{page}")
    return None if found is None else Result(found[1], found[2], False)
