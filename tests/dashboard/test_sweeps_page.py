"""The Sweeps page from the app: a bundled sweep run on the CLI's backends with a progress bar,
then read as Compare reads results (plan labels and colours, hours, per 100 patients, words)."""

import re

import pytest
from dashboard_helpers import no_exceptions

from dashboard import charts
from dashboard import sweeps as reading
from dashboard.results import RESULTS_ENV
from simulation.sweeps import charts as sweep_charts
from simulation.sweeps import sensitivity
from simulation.sweeps.store import Store

SPEC = "seed-case-latin-hypercube"  # the smallest bundled sweep (30 points x 3 plans x 40 replications)


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    """The page after running the bundled sweep from it, in an empty results folder."""
    from dashboard_helpers import APP
    from streamlit.testing.v1 import AppTest

    folder = tmp_path_factory.mktemp("results")
    mp = pytest.MonkeyPatch()
    mp.setenv(RESULTS_ENV, str(folder))
    try:
        at = AppTest.from_file(str(APP), default_timeout=600)
        at.session_state["reps"] = 200
        at.session_state["compare_strategies"] = []  # the Compare page does not run
        at.run()
        at.switch_page("views/5_Sweeps.py").run()
        assert any("No sweep databases" in i.value for i in at.info)
        at.selectbox(key="sweeps_spec").set_value(SPEC)
        at.number_input(key="sweeps_workers").set_value(1)
        at.button(key="sweeps_run").click().run()
        yield at, folder
    finally:
        mp.undo()


def test_a_bundled_sweep_runs_from_the_page_and_is_read_at_once(ran):
    at, folder = ran
    no_exceptions(at)
    assert any(f"into {SPEC}.duckdb" in s.value for s in at.success)
    info = Store(folder / f"{SPEC}.duckdb").info(SPEC)
    assert info["status"] == "complete" and info["points_done"] == info["n_points"] == 30
    assert at.selectbox(key="sweeps_db").value == f"{SPEC}.duckdb" and at.selectbox(key="sweeps_sweep").value == SPEC
    assert any("Plan" in d.value.columns for d in at.dataframe)  # its table of points, read at once


def test_sweep_tables_read_like_compare(ran):
    at, folder = ran
    headings = [h.value for h in at.subheader]
    assert not any("Psa summary" in h or "_" in h for h in headings), headings
    for frame in (d.value for d in at.dataframe[1:]):
        assert not any(re.search(r"_(p2_5|p97_5|var|mean|se)$|^mean_", str(c)) for c in frame.columns), frame.columns
    # operative time in hours with one decimal, as on Compare (not minutes with four decimals)
    at.selectbox(key="sweeps_outcome").set_value("operative_time_min").run()
    table = next(d.value for d in at.dataframe if "Mean" in d.value.columns)
    store = Store(folder / f"{SPEC}.duckdb")
    raw = sensitivity.tables(store.load(SPEC), at.radio(key=f"sweeps_analysis:{SPEC}").value)
    first = next(iter(raw.values()))
    minutes = first[first.outcome == "operative_time_min"]["mean"].iloc[0]
    assert table["Mean"].iloc[0] == f"{minutes / 60:.1f}"
    assert "Single stage, three exposures" in set(table.Plan)


def test_sweep_charts_use_the_app_colours_and_units(ran):
    _, folder = ran
    store = Store(folder / f"{SPEC}.duckdb")
    data = store.load(SPEC)
    labels = {"single-stage-three-exposure": "Single stage, three exposures",
              "two-stage-posterior-then-anterior": "Two stages, posterior then anterior",
              "three-stage-posterior-anterior-posterior": "Three stages, posterior-anterior-posterior"}
    points = reading.in_display_units(sensitivity.tables(data, "table")["points"], labels)
    # the PSA chart of each draw's mean (drawn here from the points of this sweep, which have its columns)
    spec = reading.coloured(sweep_charts.psa_means(points, "operative_time_min"), labels, "operative_time_min")
    text = str(spec)
    assert "(min)" not in text and "Operative time (skin to skin) (h)" in text
    scales = [layer["encoding"]["color"]["scale"] for layer in spec["layer"] if "color" in layer.get("encoding", {})]
    assert scales and all(s["range"] == [charts.colour(n) for n in labels] for s in scales)
    assert charts.colour("two-stage-posterior-then-anterior") in scales[0]["range"]  # orange, as on Compare
