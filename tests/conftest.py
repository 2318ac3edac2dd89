"""Shared fixtures. Hypothesis runs derandomised under the `ci` profile (HYPOTHESIS_PROFILE=ci)."""

import os
import shutil
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", derandomize=True, max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=40, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture()
def scenario_copy(tmp_path) -> Path:
    """A writable copy of the bundled scenario folder."""
    from simulation import BUNDLED

    root = tmp_path / "scenarios"
    shutil.copytree(BUNDLED, root)
    return root


CORE_STRATEGIES = ("posterior-only", "single-stage-three-exposure", "single-stage-with-stop-rule",
                   "three-stage-posterior-anterior-posterior", "two-stage-posterior-then-anterior")
"""The bundled plans without peri-operative policies (the policy variants: tests/model/test_patient_factors.py)."""


@pytest.fixture(scope="session")
def seed_scenario():
    """The bundled seed-case patient with the core bundled strategies."""
    from simulation import load_scenario

    return load_scenario("seed-case", list(CORE_STRATEGIES))


@pytest.fixture(scope="session")
def adult_scenario():
    from simulation import load_scenario

    return load_scenario("adult-primary")


@pytest.fixture(autouse=True)
def _keep_main_module():
    """Streamlit's AppTest leaves ``sys.modules['__main__']`` at the last page it ran; a
    forkserver or spawn worker started later would import that page. Put it back."""
    main = sys.modules["__main__"]
    yield
    sys.modules["__main__"] = main
