"""Property tests: any valid patient and transfusion policy gives a sane record.

Hypothesis draws patients across the ranges the schema allows (age, a possible weight for that
age, Hb 5-20 g/dL, blood volume, levels, implants near them, scar, booleans) and a random trigger/target, runs every
bundled strategy for a few replications and checks invariants that must hold for any input.
Run derandomised under the ``ci`` profile (tests/conftest.py).

Levels are drawn as ranges of 1 to 6 vertebrae, the most the schema accepts (the largest
published en bloc resections are 4-5 levels).
"""

import math

import numpy as np
import pytest
from helpers import dump, set_transfusion
from hypothesis import given
from hypothesis import strategies as st

import simulation
from simulation import Scenario
from simulation.scenario.distributions import LogNormal
from simulation.scenario.patient import VERTEBRAE
from simulation.scenario.plausibility import IMPLANT_REACH, WEIGHT_FOR_AGE

REPLICATIONS = 2


@st.composite
def level_ranges(draw, max_levels):
    n = draw(st.integers(1, max_levels))
    start = draw(st.integers(0, len(VERTEBRAE) - n))
    lo, hi = VERTEBRAE[start], VERTEBRAE[start + n - 1]
    return lo if n == 1 else f"{lo}-{hi}"


@st.composite
def ages_and_weights(draw):
    """An age, and a weight the schema accepts at that age (weight for age is checked)."""
    age = draw(st.floats(0.01, 110))
    _, low, high, _, _ = next(band for band in WEIGHT_FOR_AGE if age < band[0])
    return {"age_years": age, "weight_kg": draw(st.floats(max(2.0, low), high))}


@st.composite
def implants_near(draw, levels: str):
    """None, or a range of implants within IMPLANT_REACH levels of ``levels``."""
    if draw(st.booleans()):
        return None
    lo, hi = (VERTEBRAE.index(v) for v in (levels.split("-") * 2)[:2])
    start = draw(st.integers(max(0, lo - IMPLANT_REACH), min(len(VERTEBRAE) - 1, hi + IMPLANT_REACH)))
    stop = draw(st.integers(start, min(len(VERTEBRAE) - 1, hi + IMPLANT_REACH, start + 5)))
    return VERTEBRAE[start] if start == stop else f"{VERTEBRAE[start]}-{VERTEBRAE[stop]}"


def _with_implants(patient: dict) -> st.SearchStrategy:
    return implants_near(patient["levels"]).map(lambda implants: {**patient, "retained_implants": implants})


patients = st.fixed_dictionaries(
    {
        "sex": st.sampled_from(["female", "male"]),
        "baseline_hb_g_dl": st.floats(5, 20),
        "blood_volume_ml_per_kg": st.none() | st.floats(40, 110),
        "levels": level_ranges(6),
        "revision": st.booleans(),
        "scar_severity": st.sampled_from(["none", "mild", "moderate", "heavy"]),
        "great_vessel_adhesion": st.booleans(),
        "psoas_extension": st.booleans(),
        "asa_class": st.integers(1, 5),
    }
).flatmap(_with_implants).flatmap(lambda p: ages_and_weights().map(lambda aw: {**p, **aw}))
policies = st.fixed_dictionaries(
    {
        "trigger_hb_g_dl": st.floats(3, 15),
        "target_gap": st.floats(0.1, 5),
        "units_in_theatre": st.integers(0, 4),
        "cell_salvage": st.booleans(),
    }
)


def build(base: dict, patient: dict, policy: dict) -> Scenario:
    data = {**base, "patient": {**base["patient"], **patient}}
    data["parameters"] = {**base["parameters"], "transfusion": dict(base["parameters"]["transfusion"])}
    data["parameters"]["transfusion"]["cell_salvage"] = dict(data["parameters"]["transfusion"]["cell_salvage"])
    gap = policy["target_gap"]
    set_transfusion(
        data, trigger_hb_g_dl=policy["trigger_hb_g_dl"], target_hb_g_dl=policy["trigger_hb_g_dl"] + gap,
        units_in_theatre=policy["units_in_theatre"], cell_salvage=policy["cell_salvage"],
    )
    return Scenario.model_validate(data)


def check_records(sc: Scenario, res) -> None:
    rec = res.records
    assert len(rec) == REPLICATIONS * len(sc.strategies)
    values = rec.drop(columns="strategy").astype(float).to_numpy()
    assert np.isfinite(values).all()
    assert (values >= 0).all()
    assert (rec.lowest_hb_g_dl > 0).all()
    assert (rec.lowest_hb_g_dl <= sc.patient.baseline_hb_g_dl).all()
    assert np.issubdtype(rec.rbc_units.dtype, np.integer) and (rec.rbc_units >= 0).all()
    assert (~rec.any_major_complication | rec.any_complication).all()
    assert (rec.any_complication == (rec.major_complications + rec.minor_complications > 0)).all()
    assert (rec.operative_time_min <= rec.anaesthesia_time_min).all()
    assert (rec.anaesthesia_time_min <= rec.or_time_min).all()
    assert (rec.anaesthetics == rec.planned_stages + rec.converted_to_staged).all()
    np.testing.assert_allclose(rec.blood_loss_bv * sc.blood_volume_ml, rec.blood_loss_ml, rtol=1e-9)
    np.testing.assert_allclose(
        rec.rbc_ml_per_kg, rec.rbc_units * sc.red_cell_dose_ml / sc.patient.weight_kg,
        rtol=1e-9,
    )
    per_stage = res.stages.groupby(["strategy", "replication"], sort=False).size()
    assert (per_stage.to_numpy() == rec.anaesthetics.to_numpy()).all()


@given(patient=patients, policy=policies, seed=st.integers(0, 2**32 - 1))
def test_any_valid_patient_and_policy_gives_sane_records(seed_scenario, patient, policy, seed):
    sc = build(dump(seed_scenario), patient, policy)
    check_records(sc, simulation.run(sc, REPLICATIONS, seed))


@given(
    median=st.floats(0.01, 1e4),
    spread=st.floats(1.001, 50),
    z=st.floats(-6, 6),
)
def test_lognormal_median_p95_round_trip(median, spread, z):
    d = LogNormal(dist="lognormal", median=median, p95=median * spread, assumption="Property test.")
    assert d.ppf_normal(np.array([0.0]))[0] == pytest.approx(median, rel=1e-9)
    assert d.ppf_normal(np.array([1.6448536269514722]))[0] == pytest.approx(median * spread, rel=1e-9)
    x = d.ppf_normal(np.array([z]))[0]
    assert math.isfinite(x) and x > 0

