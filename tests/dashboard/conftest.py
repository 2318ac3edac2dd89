"""Fixtures for the dashboard tests: AppTest runs of ``dashboard/app.py`` with small runs."""

import pytest
from dashboard_helpers import APP, TEST_REPLICATIONS
from streamlit.testing.v1 import AppTest

from dashboard.compare.view import build_comparison
from simulation import load_scenario
from simulation.present.formats import MAIN_STRATEGIES


@pytest.fixture
def app():
    """A fresh dashboard session on the seed case, with 200 replications per strategy."""
    at = AppTest.from_file(str(APP), default_timeout=180)
    at.session_state["reps"] = TEST_REPLICATIONS
    return at


@pytest.fixture(scope="session")
def scenario():
    """The seed case with the four main strategies."""
    return load_scenario("seed-case", list(MAIN_STRATEGIES))


@pytest.fixture(scope="session")
def comparison(scenario):
    """The four main strategies, 200 replications each, seed 2018 (as the tumour-board page builds it)."""
    return build_comparison(scenario, MAIN_STRATEGIES, 200, 2018)
