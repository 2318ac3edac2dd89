"""The Sweeps dashboard page lists stored sweeps and draws their analyses (Streamlit AppTest)."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from sweep_helpers import write_spec

from simulation.sweeps.backends import ProcessPool
from simulation.sweeps.run import run_sweep
from simulation.sweeps.spec import load_plan
from simulation.sweeps.store import Store

PAGE = Path(__file__).resolve().parents[2] / "dashboard" / "views" / "5_Sweeps.py"


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    folder = tmp_path_factory.mktemp("page")
    db = folder / "page.duckdb"
    with ProcessPool(1) as backend:
        for spec in (write_spec(folder, name="page-one-way", replications=10),
                     write_spec(folder, name="page-grid", design="grid", replications=10, parameters=[
                         {"path": "patient.weight_kg", "values": [22, 32]},
                         {"path": "phases.vessel_dissection.bleeding", "values": [0.5, 2]}])):
            run_sweep(load_plan(spec), Store(db), backend)
    return db


def _page(db) -> AppTest:
    at = AppTest.from_file(str(PAGE), default_timeout=60)
    at.run()
    at.text_input[0].set_value(str(db)).run()
    return at


def test_page_lists_sweeps_and_draws_the_default_analysis(db):
    at = _page(db)
    assert not at.exception
    listing = at.dataframe[0].value
    assert set(listing.sweep_id) == {"page-one-way", "page-grid"} and set(listing.points) == {"5 / 5", "4 / 4"}
    at.selectbox[0].set_value("page-grid").run()
    assert not at.exception
    assert at.radio[0].value == "two-way"
    assert len(at.get("vega_lite_chart")) == 1
    at.selectbox[0].set_value("page-one-way").run()
    assert at.radio[0].value == "tornado" and not at.exception
    at.selectbox[1].set_value("rbc_units").run()
    assert not at.exception and len(at.get("vega_lite_chart")) == 1


def test_page_explains_a_missing_database(tmp_path):
    at = _page(tmp_path / "none.duckdb")
    assert not at.exception
    assert "no sweep database" in at.info[0].value
