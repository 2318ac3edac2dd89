"""Shared fixtures. Hypothesis runs derandomised under the `ci` profile (HYPOTHESIS_PROFILE=ci)."""

import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", derandomize=True, max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=40, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture(scope="session")
def seed_scenario():
    """The bundled seed-case patient with every bundled strategy."""
    from simulation import load_scenario

    return load_scenario("seed-case")


@pytest.fixture(scope="session")
def adult_scenario():
    from simulation import load_scenario

    return load_scenario("adult-primary")
