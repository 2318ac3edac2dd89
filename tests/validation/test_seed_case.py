"""The index case and a back test against published series.

The seed case (Gupta et al. 2018: 14 h operative time, about 6000 mL blood loss, 12 units) is a
CALIBRATION TARGET, NOT AN INDEPENDENT VALIDATION: the phase-library times and rates in
scenarios/phases.yaml were chosen so that this case falls inside the single-stage strategy's
distribution. Passing this test shows the calibration still holds after a change; it says
nothing about how well the model predicts other patients.

The back test runs the adult-primary patient (one level, primary) through the posterior-only
plan and compares the medians with published one-level posterior TES series (evidence.md:
operative-time means 232.5-500 min; blood loss 970-2421 mL, so a 500-2500 mL band). Those series
also informed the calibration, so this too is a consistency check, not external validation.
"""

import numpy as np
import pytest
from helpers import SEED

import simulation

REPLICATIONS = 2000


@pytest.fixture(scope="module")
def seed_case_records(seed_scenario):
    return simulation.run(seed_scenario, REPLICATIONS, SEED, strategies=["single-stage-three-exposure"]).records


@pytest.mark.parametrize(
    "column, observed",
    [("operative_time_min", 14 * 60), ("blood_loss_ml", 6000), ("rbc_units", 12)],
)
def test_seed_case_lies_inside_the_95_percent_predictive_interval(seed_case_records, column, observed):
    """Each published figure lies between the 2.5th and 97.5th percentile of 2000 replications."""
    low, high = np.percentile(seed_case_records[column], [2.5, 97.5])
    assert low <= observed <= high, (column, low, high)


def test_seed_case_needs_transfusion_and_loses_more_than_a_blood_volume(seed_case_records, seed_scenario):
    """Sanity for the calibration: almost every simulated seed case is transfused, and the median
    loss exceeds one blood volume (6000 mL is about 3 blood volumes for 28 kg at 72.5 mL/kg)."""
    assert (seed_case_records.rbc_units > 0).mean() > 0.95
    assert seed_case_records.blood_loss_bv.median() > 1.0
    assert 6000 / seed_scenario.blood_volume_ml == pytest.approx(2.96, abs=0.01)


BACK_TEST_REPLICATIONS = 4000


@pytest.fixture(scope="module")
def adult_posterior_records(adult_scenario):
    return simulation.run(adult_scenario, BACK_TEST_REPLICATIONS, SEED, strategies=["posterior-only"]).records


def median_interval(x, z=3.0):
    """Distribution-free interval for the median from order statistics (about 99.7% at z = 3)."""
    x = np.sort(np.asarray(x))
    n = len(x)
    half = z * np.sqrt(n) / 2
    return x[int(np.floor(n / 2 - half))], x[int(np.ceil(n / 2 + half))]


def test_back_test_adult_posterior_only_operative_time(adult_posterior_records):
    """Median operative time within the published one-level posterior TES range, 232-500 min.

    The model's median sits close to the lower end (about 232 min), so the check allows for
    Monte Carlo error: the range must overlap the 99.7% order-statistic interval of the median
    (about +-3 min at 4000 replications). The published figures are series means, so the mean
    must lie inside the range outright.
    """
    x = adult_posterior_records.operative_time_min
    low, high = median_interval(x)
    assert high >= 232 and low <= 500, (low, x.median(), high)
    assert 232 <= x.mean() <= 500, x.mean()


def test_back_test_adult_posterior_only_blood_loss(adult_posterior_records):
    """Median blood loss within 500-2500 mL (published one-level posterior means 970-2421 mL)."""
    median = adult_posterior_records.blood_loss_ml.median()
    assert 500 <= median <= 2500, median
