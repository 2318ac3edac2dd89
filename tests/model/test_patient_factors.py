"""Patient, tumour and policy inputs (issue 11): each input's direction and size against a hand
calculation from parameters.yaml, embolisation only for hypervascular tumours, lower lumbar against
thoracic, and random valid combinations staying finite and non-negative."""

from __future__ import annotations

import math
import typing

import numpy as np
import pytest
from helpers import variant
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation import load_scenario, run
from simulation.model import factors, outcomes
from simulation.model.plan import compile_plan
from simulation.scenario.parameters import Covariate
from simulation.scenario.patient import Histology

EN_BLOC = "En bloc removal by rotation from behind (posterior-only)"
REPS = 300


@pytest.fixture(scope="module")
def adult():
    return load_scenario("adult-primary", ["posterior-only", "posterior-only-embolised", "posterior-only-embolised-late",
                                           "posterior-only-tranexamic-acid", "two-stage-posterior-then-anterior"])


def with_patient(scenario, **changes):
    return scenario.model_copy(update={"patient": scenario.patient.model_copy(update=changes)})


def size(scenario) -> float:
    """The body-size factor on every phase's bleeding, by hand: per doubling ** log2(EBV / reference)."""
    mods = scenario.parameters.modifiers
    return mods.per_doubling_blood_volume.bleeding.value ** math.log2(scenario.blood_volume_ml / mods.reference_blood_volume_ml.value)


def with_policies(scenario, strategy: str, **changes):
    s = scenario.strategy(strategy)
    s = s.model_copy(update={"policies": s.policies.model_copy(update=changes)})
    return scenario.model_copy(update={"strategies": (s,)})


def phase(scenario, strategy: str, label: str = EN_BLOC):
    return next(p for p in compile_plan(scenario, strategy).phases if p.label == label)


def mean_loss(scenario, strategy: str) -> float:
    records = run(scenario.model_copy(update={"strategies": (scenario.strategy(strategy),)}), REPS, seed=11).records
    return float(records.blood_loss_ml.mean())


def odds(p):
    return p / (1 - p)


def risk_of(scenario, strategy: str, key: str) -> float:
    """Probability of complication ``key`` at zero covariates of the course (the patient's own and the policies' set)."""
    x = {c: np.zeros(1) for c in typing.get_args(Covariate)} | {"interval_days": np.zeros(1)}
    x |= factors.covariates(scenario, scenario.strategy(strategy), 1)
    levels, cm = scenario.patient.level_list, scenario.parameters.complications
    x |= {"cord_level": np.array([float(any(lv in cm.cord_levels for lv in levels))]),
          "more_than_two_levels": np.array([float(len(levels) > 2)]),
          "revision_severity": np.array([outcomes.revision_severity(scenario)])}
    events = np.zeros((1, len(scenario.parameters.events)))
    return float(outcomes.risk(scenario, key, x, events, list(scenario.parameters.events))[0])


# --- region ----------------------------------------------------------------------------------------
def test_region_follows_the_middle_level(adult):
    region = {lv: with_patient(adult, levels=lv).patient.region for lv in ("C5", "T8", "T12-L2", "L3", "L2-L4", "L4", "L4-L5", "S1")}
    assert region == {"C5": "cervical", "T8": "thoracic", "T12-L2": "thoracolumbar", "L3": "lumbar", "L2-L4": "lumbar",
                      "L4": "lower_lumbar", "L4-L5": "lower_lumbar", "S1": "sacral"}


def test_lower_lumbar_bleeds_more_than_thoracic_for_the_same_plan(adult):
    pf = adult.parameters.patient_factors.region
    low, thor = with_patient(adult, levels="L5"), with_patient(adult, levels="T8")
    ratio = phase(low, "posterior-only").bleeding_multiplier / phase(thor, "posterior-only").bleeding_multiplier
    assert ratio == pytest.approx(pf["lower_lumbar"].bleeding.value / pf["thoracic"].bleeding.value)  # 1.5 / 0.8
    assert mean_loss(low, "posterior-only") > 1.2 * mean_loss(thor, "posterior-only")


def test_hardware_failure_rises_from_thoracic_to_lumbar_by_the_centred_odds_ratios(adult):
    cf = adult.parameters.complication_factors.types["hardware_failure"]
    thor, tl, lum = (risk_of(with_patient(adult, levels=lv), "posterior-only", "hardware_failure") for lv in ("T8", "L1", "L3"))
    assert odds(tl) / odds(thor) == pytest.approx(cf["region_thoracolumbar"].value)
    assert odds(lum) / odds(thor) == pytest.approx(cf["region_lumbar"].value)
    child = load_scenario("seed-case", ["posterior-only"])
    assert factors.patient_covariates(child, child.strategies[0])["region_lumbar"] == 0.0  # child baselines: not centred


def test_neurological_risk_is_higher_next_to_the_cord(adult):
    cord = adult.parameters.complications.types["neurological"].odds_ratios["cord_level"].value
    ratio = odds(risk_of(with_patient(adult, levels="C5"), "posterior-only", "neurological")) / odds(
        risk_of(adult, "posterior-only", "neurological"))
    assert ratio == pytest.approx(cord)


# --- histology, vascularity, embolisation ------------------------------------------------------------
def test_histology_sets_the_vascularity_and_an_angiogram_overrides_it(adult):
    pf = adult.parameters.patient_factors.vascularity
    renal = with_patient(adult, histology="renal_cell")
    assert phase(renal, "posterior-only").bleeding_multiplier == pytest.approx(pf["high"].bleeding.value * size(adult))
    graded = with_patient(adult, histology="renal_cell", vascularity_grade="low")
    assert phase(graded, "posterior-only").bleeding_multiplier == pytest.approx(pf["low"].bleeding.value * size(adult))
    rods = phase(renal, "posterior-only", "Posterior rods placed and secured")  # not a tumour phase: body size only
    assert rods.bleeding_multiplier == pytest.approx(size(adult))


@pytest.mark.parametrize("histology", ["unspecified", "chordoma", "osteosarcoma"])
def test_embolisation_does_not_lower_bleeding_unless_the_tumour_is_hypervascular(adult, histology):
    sc = with_patient(adult, histology=histology)
    assert mean_loss(sc, "posterior-only-embolised") == pytest.approx(mean_loss(sc, "posterior-only"), rel=1e-12)


def test_embolisation_lowers_bleeding_of_a_hypervascular_tumour_more_within_24_hours(adult):
    emb = adult.parameters.policies.embolisation
    sc = with_patient(adult, histology="thyroid")
    m = {s: phase(sc, s).bleeding_multiplier for s in ("posterior-only", "posterior-only-embolised", "posterior-only-embolised-late")}
    high = emb.by_vascularity["high"].bleeding.value
    assert m["posterior-only-embolised"] / m["posterior-only"] == pytest.approx(high)  # 0.7
    assert m["posterior-only-embolised-late"] / m["posterior-only"] == pytest.approx(high ** emb.late_fraction.value)
    loss = {s: mean_loss(sc, s) for s in m}
    assert loss["posterior-only-embolised"] < loss["posterior-only-embolised-late"] < 0.97 * loss["posterior-only"]


def test_embolisation_adds_its_stay_and_its_neurological_odds(adult):
    sc = with_patient(adult, histology="renal_cell")
    neuro = adult.parameters.complication_factors.types["neurological"]["embolised"].value
    ratio = odds(risk_of(sc, "posterior-only-embolised", "neurological")) / odds(risk_of(sc, "posterior-only", "neurological"))
    assert ratio == pytest.approx(neuro)
    low = with_patient(adult, histology="chordoma")  # no bleeding benefit to offset the day (renal: less bleeding, fewer days)
    both = run(low.model_copy(update={"strategies": (low.strategy("posterior-only"), low.strategy("posterior-only-embolised"))}),
               100, seed=3).records
    by = both.groupby("strategy").los_days.mean()
    assert by["posterior-only-embolised"] - by["posterior-only"] >= adult.parameters.policies.embolisation.stay_days.value - 1e-9


# --- tumour volume ----------------------------------------------------------------------------------
@pytest.mark.parametrize("volume", [25.0, 100.0, 400.0])
def test_tumour_volume_scales_bleeding_per_doubling(adult, volume):
    pf = adult.parameters.patient_factors
    doublings = math.log2(volume / pf.reference_tumour_volume_cm3.value)
    m = phase(with_patient(adult, tumour_volume_cm3=volume), "posterior-only")
    assert m.bleeding_multiplier == pytest.approx(pf.per_doubling_tumour_volume.bleeding.value ** doublings * size(adult))
    assert m.duration_multiplier == pytest.approx(pf.per_doubling_tumour_volume.duration.value ** doublings)


# --- body size ----------------------------------------------------------------------------------------
def test_the_reference_sized_child_has_no_body_size_factor_and_a_heavier_patient_bleeds_more_per_minute():
    child = load_scenario("seed-case", ["single-stage-three-exposure"])
    mods = child.parameters.modifiers
    assert child.blood_volume_ml == pytest.approx(mods.reference_blood_volume_ml.value)  # the library is written for her
    assert size(child) == pytest.approx(1.0)
    bigger = with_patient(child, weight_kg=56.0)  # twice her blood volume (same age band, same mL/kg)
    for a, b in zip(compile_plan(child, "single-stage-three-exposure").phases,
                    compile_plan(bigger, "single-stage-three-exposure").phases, strict=True):
        assert b.bleeding_multiplier == pytest.approx(a.bleeding_multiplier * mods.per_doubling_blood_volume.bleeding.value)
        assert b.duration_multiplier == pytest.approx(a.duration_multiplier)  # size moves bleeding, not time


@pytest.mark.parametrize("per_doubling", [1.0, 1.41, 2.0])
def test_adult_loss_grows_with_blood_volume_as_the_per_doubling_factor_says(adult, per_doubling):
    """At 1.0 a 50 kg and a 100 kg adult bleed alike (no size effect); above it the heavier one bleeds more."""
    sc = variant(adult, lambda d: d["parameters"]["modifiers"]["per_doubling_blood_volume"]["bleeding"].update(value=per_doubling))
    light, heavy = (with_patient(sc, weight_kg=w) for w in (50.0, 100.0))  # no height: 67.5 mL/kg, one doubling apart
    ratio = mean_loss(heavy, "posterior-only") / mean_loss(light, "posterior-only")
    assert ratio == pytest.approx(per_doubling, rel=0.03)  # common random numbers: only the cap on post-operative loss differs


# --- height, BMI, blood volume ----------------------------------------------------------------------
def test_nadler_blood_volume_for_an_adult_with_a_height(adult):
    sc = with_patient(adult, height_cm=176.0, weight_kg=82.0)
    assert sc.blood_volume_ml == pytest.approx(1000 * (0.3669 * 1.76**3 + 0.03219 * 82 + 0.6041))  # 5,244 mL
    obese = with_patient(adult, height_cm=175.0, weight_kg=125.0)
    assert obese.blood_volume_ml / 125.0 < 55 < adult.blood_volume_ml_per_kg  # not 67.5 mL/kg of fat
    child = load_scenario("seed-case", ["posterior-only"])
    assert with_patient(child, height_cm=130.0).blood_volume_ml == child.blood_volume_ml  # children: by age


def test_bmi_raises_wound_infection_vte_and_visual_loss_by_their_odds_ratios(adult):
    cf = adult.parameters.complication_factors.types
    obese = with_patient(adult, height_cm=175.0, weight_kg=125.0)  # BMI 40.8
    per5 = (125.0 / 1.75**2 - 25.0) / 5.0
    for key, expected in (("wound_infection", cf["wound_infection"]["bmi_per_5_above_reference"].value ** per5),
                          ("vte", cf["vte"]["obese"].value), ("visual_loss", cf["visual_loss"]["obese"].value)):
        got = odds(risk_of(obese, "posterior-only", key)) / odds(risk_of(adult, "posterior-only", key))
        assert got == pytest.approx(expected), key
    lean = with_patient(adult, height_cm=190.0, weight_kg=70.0)  # BMI 19: no effect below the reference
    assert risk_of(lean, "posterior-only", "wound_infection") == pytest.approx(risk_of(adult, "posterior-only", "wound_infection"))


# --- frailty, ASA, anaemia, radiotherapy, chemotherapy ------------------------------------------------
@pytest.mark.parametrize(("change", "key", "covariate", "times"), [
    ({"frailty_mfi5": 3}, "death", "frailty_mfi5", 3),
    ({"frailty_mfi5": 2}, "respiratory", "frailty_mfi5", 2),
    ({"asa_class": 4}, "death", "asa_above_2", 2),
    ({"baseline_hb_g_dl": 11.0}, "death", "anaemia", 1),
    ({"prior_radiotherapy": True}, "dehiscence", "prior_radiotherapy", 1),
    ({"chemotherapy_weeks_before_surgery": 2.0}, "wound_infection", "recent_chemotherapy", 1),
    ({"chemotherapy_weeks_before_surgery": 6.0}, "wound_infection", "recent_chemotherapy", 0),
])
def test_each_comorbidity_multiplies_the_odds_by_its_ratio(adult, change, key, covariate, times):
    ratio = adult.parameters.complication_factors.types[key][covariate].value
    got = odds(risk_of(with_patient(adult, **change), "posterior-only", key)) / odds(risk_of(adult, "posterior-only", key))
    assert got == pytest.approx(ratio**times)


def test_frailty_asa_and_anaemia_do_not_act_in_a_child():
    child = load_scenario("seed-case", ["posterior-only"])
    sick = with_patient(child, frailty_mfi5=4, asa_class=4, baseline_hb_g_dl=8.0)
    assert risk_of(sick, "posterior-only", "death") == pytest.approx(risk_of(child, "posterior-only", "death"))


# --- systemic policies and blood stock -----------------------------------------------------------------
def test_tranexamic_acid_scales_every_phase_and_leaves_vte_odds_at_its_ratio(adult):
    txa = adult.parameters.policies.tranexamic_acid.bleeding.value
    plain, with_txa = compile_plan(adult, "posterior-only"), compile_plan(adult, "posterior-only-tranexamic-acid")
    for a, b in zip(plain.phases, with_txa.phases):
        assert b.bleeding_multiplier == pytest.approx(a.bleeding_multiplier * txa)
    assert mean_loss(adult, "posterior-only-tranexamic-acid") < 0.9 * mean_loss(adult, "posterior-only")


def test_controlled_hypotension_lowers_bleeding_and_carries_its_visual_loss_odds(adult):
    sc = with_policies(adult, "posterior-only", controlled_hypotension=True)
    eff = adult.parameters.policies.controlled_hypotension.bleeding.value
    assert phase(sc, "posterior-only").bleeding_multiplier == pytest.approx(phase(adult, "posterior-only").bleeding_multiplier * eff)
    ratio = odds(risk_of(sc, "posterior-only", "visual_loss")) / odds(risk_of(adult, "posterior-only", "visual_loss"))
    assert ratio == pytest.approx(adult.parameters.complication_factors.types["visual_loss"]["controlled_hypotension"].value)


def test_cell_salvage_and_blood_stock_are_plan_policies(adult):
    centre = compile_plan(adult, "posterior-only").blood
    sc = with_policies(adult, "posterior-only", cell_salvage=True, units_in_theatre=6, units_per_delivery=8)
    own = compile_plan(sc, "posterior-only").blood
    assert (centre.salvage, centre.units_in_theatre, centre.units_per_delivery) == (False, 2, 4)
    assert (own.salvage, own.units_in_theatre, own.units_per_delivery) == (True, 6, 8)
    salvaged = run(sc, 100, seed=5).records
    assert salvaged.salvaged_ml.mean() > 0


# --- labels follow the patient ---------------------------------------------------------------------
def test_labels_name_revision_and_psoas_only_for_a_patient_who_has_them(adult):
    seed = load_scenario("seed-case", ["single-stage-three-exposure"])
    primary = adult.model_copy(update={"strategies": seed.strategies})
    texts = {name: {(p.exposure, p.label) for p in compile_plan(sc, "single-stage-three-exposure").phases}
             for name, sc in (("seed", seed), ("primary", primary))}
    flat = {k: " ".join(" ".join(t) for t in v) for k, v in texts.items()}
    assert "(revision)" in flat["seed"] and "(with psoas)" in flat["seed"]
    assert "(revision)" not in flat["primary"] and "(with psoas)" not in flat["primary"]


# --- random valid combinations -------------------------------------------------------------------------
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    levels=st.sampled_from(["C5", "T4", "T8-T9", "T12-L2", "L3", "L4-L5", "S1"]),
    histology=st.sampled_from(typing.get_args(Histology)),
    grade=st.sampled_from([None, "low", "moderate", "high"]),
    volume=st.one_of(st.none(), st.floats(5, 1000)),
    height=st.one_of(st.none(), st.floats(150, 200)),
    frailty=st.one_of(st.none(), st.integers(0, 5)),
    asa=st.integers(1, 5),
    hb=st.floats(7, 17),
    rt=st.booleans(),
    chemo=st.one_of(st.none(), st.floats(0, 104)),
    emb=st.booleans(), hours=st.floats(0, 720), txa=st.booleans(), hypo=st.booleans(),
)
def test_random_valid_inputs_give_finite_non_negative_outcomes(adult, levels, histology, grade, volume, height, frailty,
                                                              asa, hb, rt, chemo, emb, hours, txa, hypo):
    sc = with_patient(adult, levels=levels, histology=histology, vascularity_grade=grade, tumour_volume_cm3=volume,
                      height_cm=height, frailty_mfi5=frailty, asa_class=asa, baseline_hb_g_dl=hb, prior_radiotherapy=rt,
                      chemotherapy_weeks_before_surgery=chemo)
    sc = with_policies(sc, "two-stage-posterior-then-anterior", embolisation=emb, embolisation_hours_before_surgery=hours,
                       tranexamic_acid=txa, controlled_hypotension=hypo)
    records = run(sc, 20, seed=1).records
    numbers = records.select_dtypes("number")
    assert np.isfinite(numbers.to_numpy(dtype=float)).all()
    assert (numbers.to_numpy(dtype=float) >= 0).all()
