"""Complications cluster in the same patients through a latent frailty (``latent.complications``).

A Gaussian copula keeps each type's own rate and only moves how types co-occur, so a larger share
must leave every per-type rate where it was, raise the spread of complications per patient and
lower the share of patients with at least one.
"""

import numpy as np
import pytest
from helpers import SEED, variant
from pydantic import ValidationError

import simulation
from simulation.model.plan import compile_plan
from simulation.model.sampling import draw

REPS = 4000


def _with_share(scenario, share):
    def edit(d):
        d["parameters"]["latent"]["complications"]["value"] = share
    return variant(scenario, edit)


@pytest.fixture(scope="module")
def by_share(adult_scenario):
    return {s: simulation.run(_with_share(adult_scenario, s), REPS, SEED, ["posterior-only"]).records for s in (0.0, 0.5, 1.0)}


def test_each_type_keeps_its_rate(by_share, adult_scenario):
    cm = adult_scenario.parameters.complications
    for key in (k for k in cm.types if k != cm.death_type):  # death depends on the major complications, by design
        rates = [(by_share[s][f"complication_{key}"] > 0).mean() for s in (0.0, 0.5, 1.0)]
        se = max(np.sqrt(max(r * (1 - r), 1e-4) / REPS) for r in rates)
        assert max(rates) - min(rates) < 5 * se + 0.005, (key, rates)  # same uniforms' marginals, CRN


def test_clustering_lowers_any_and_widens_the_count(by_share):
    any_rate = [by_share[s].any_complication.mean() for s in (0.0, 0.5, 1.0)]
    spread = [(by_share[s].major_complications + by_share[s].minor_complications).std() for s in (0.0, 0.5, 1.0)]
    assert any_rate[0] > any_rate[1] + 0.03 > any_rate[2] + 0.06
    assert spread[0] < spread[1] < spread[2]


def test_share_one_gives_every_type_the_same_uniform_and_zero_independent_ones(adult_scenario):
    for share, check in ((1.0, lambda u: np.ptp(u, axis=1).max() == 0), (0.0, lambda u: abs(np.corrcoef(u.T)[0, 1]) < 0.05)):
        plan = compile_plan(_with_share(adult_scenario, share), "posterior-only")
        u = draw(plan, SEED, range(2000)).complication_u
        assert check(u), share


@pytest.mark.parametrize("share", [-0.1, 1.5])
def test_share_outside_zero_one_is_refused(adult_scenario, share):
    with pytest.raises(ValidationError, match=rf"complications: share {share:g} must be between 0 \(independent\) and 1 \(identical\)"):
        _with_share(adult_scenario, share)
