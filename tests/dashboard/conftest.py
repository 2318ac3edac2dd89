"""Fixtures for the dashboard tests: AppTest runs of ``dashboard/app.py`` with small runs."""

import pytest
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest, app_test

from dashboard_helpers import APP, TEST_REPLICATIONS


class _ServerPagesManager(PagesManager):
    """``AppTest`` resets ``PagesManager.uses_pages_directory`` before every run, so in an app with
    a ``pages/`` folder every rerun after the first runs the page file alone (Streamlit's old
    multipage mode). A real server sets the flag to False at its first ``st.navigation`` call
    and keeps it; this reproduces that, so each test run goes through ``app.py`` as in the browser."""

    def __init__(self, *args, **kwargs):
        PagesManager.uses_pages_directory = False
        super().__init__(*args, **kwargs)


@pytest.fixture(autouse=True)
def _navigation_as_on_a_server(monkeypatch):
    monkeypatch.setattr(app_test, "PagesManager", _ServerPagesManager)


@pytest.fixture
def app():
    """A fresh dashboard session on the seed case, with 200 replications per strategy."""
    at = AppTest.from_file(str(APP), default_timeout=180)
    at.session_state["reps"] = TEST_REPLICATIONS
    return at
