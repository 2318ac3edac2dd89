"""The Sweeps dashboard page lists stored sweeps and draws their analyses (Streamlit AppTest)."""

import os
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from sweep_helpers import write_spec

from dashboard.results import RESULTS_ENV
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


def _page(db, monkeypatch) -> AppTest:
    """The page with ``db``'s folder as the results folder, ``db`` chosen."""
    monkeypatch.setenv(RESULTS_ENV, str(db.parent))
    at = AppTest.from_file(str(PAGE), default_timeout=60)
    at.run()
    if at.selectbox(key="sweeps_db").value != db.name:
        at.selectbox(key="sweeps_db").set_value(db.name).run()
    return at


def test_page_lists_sweeps_and_draws_the_default_analysis(db, monkeypatch):
    at = _page(db, monkeypatch)
    assert not at.exception
    listing = at.dataframe[0].value
    assert set(listing.Sweep) == {"page-one-way", "page-grid"} and set(listing["Points done"]) == {"5 / 5", "4 / 4"}
    at.selectbox(key="sweeps_sweep").set_value("page-grid").run()
    assert not at.exception
    assert at.radio(key="sweeps_analysis:page-grid").value == "two-way"
    assert len(at.get("vega_lite_chart")) == 1
    at.selectbox(key="sweeps_sweep").set_value("page-one-way").run()
    assert at.radio(key="sweeps_analysis:page-one-way").value == "tornado" and not at.exception
    at.selectbox(key="sweeps_outcome").set_value("rbc_units").run()
    assert not at.exception and len(at.get("vega_lite_chart")) == 1


def test_page_explains_an_empty_results_folder(tmp_path, monkeypatch):
    monkeypatch.setenv(RESULTS_ENV, str(tmp_path / "none"))
    at = AppTest.from_file(str(PAGE), default_timeout=60).run()
    assert not at.exception
    assert "No sweep databases" in at.info[0].value and RESULTS_ENV in at.info[0].value
    assert not at.text_input  # nowhere to type a path


def test_page_offers_only_the_databases_in_the_results_folder(db, tmp_path, monkeypatch):
    """No typed path: the pick-list holds the folder's *.duckdb files, not other files, not a
    symbolic link that leads out of the folder, not the server's /proc files."""
    folder = tmp_path / "results"
    folder.mkdir()
    (folder / "copy.duckdb").write_bytes(db.read_bytes())
    (folder / "notes.txt").write_text("not a database")
    (folder / "escape.duckdb").symlink_to(db)  # a real database, outside the folder
    (folder / "environ.duckdb").symlink_to("/proc/self/environ")
    (folder / "broken.duckdb").write_bytes(b"not a duckdb file at all")
    monkeypatch.setenv(RESULTS_ENV, str(folder))
    at = AppTest.from_file(str(PAGE), default_timeout=60).run()
    assert not at.exception
    assert not at.text_input
    assert at.selectbox(key="sweeps_db").options == ["broken.duckdb", "copy.duckdb"]
    at.selectbox(key="sweeps_db").set_value("copy.duckdb").run()
    assert not at.exception and set(at.dataframe[0].value.Sweep) == {"page-one-way", "page-grid"}
    at.selectbox(key="sweeps_db").set_value("broken.duckdb").run()
    assert not at.exception
    shown = " ".join(i.value for i in at.info)
    assert "broken.duckdb" in shown and str(folder) not in shown and str(os.getpid()) not in shown
