"""Fixtures for the dashboard tests: AppTest runs of ``dashboard/app.py`` with small runs."""

import pytest
from dashboard_helpers import APP, TEST_REPLICATIONS
from streamlit.testing.v1 import AppTest


@pytest.fixture
def app():
    """A fresh dashboard session on the seed case, with 200 replications per strategy."""
    at = AppTest.from_file(str(APP), default_timeout=180)
    at.session_state["reps"] = TEST_REPLICATIONS
    return at
