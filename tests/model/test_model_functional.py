"""Functional tests of the model: deterministic runs equal hand calculations, and the model moves
the right way when an input moves (more levels, more scar, higher trigger, staging, salvage).

Every scenario here is a bundled scenario edited as a file would be (``tests/helpers.py``); the
expected numbers are computed by hand from ``scenarios/parameters.yaml``, not by the model's own
code. Seeds are fixed, so every assertion is deterministic.
"""

import math

import numpy as np
import pandas as pd
import pytest
from helpers import (
    SEED,
    fix_anaesthesia,
    fix_blood,
    fix_phases,
    fixed,
    one_phase_strategy,
    phases_of,
    probability,
    set_transfusion,
    variant,
)
from pydantic import ValidationError
from scipy import stats

import simulation
from simulation import load_scenario
from simulation.runs.runner import simulate_block

SINGLE = "single-stage-three-exposure"
TWO = "two-stage-posterior-then-anterior"
THREE = "three-stage-posterior-anterior-posterior"
POSTERIOR = "posterior-only"
RULE = "single-stage-with-stop-rule"
ALL = [SINGLE, POSTERIOR, TWO, THREE, RULE]


def runs(scenario, replications, strategies=None, seed=SEED):
    return simulation.run(scenario, replications, seed, strategies=strategies).records


def of(records, strategy):
    return records[records.strategy == strategy].reset_index(drop=True)


# --- (1) zero bleeding ------------------------------------------------------------------------------
def test_zero_bleeding_means_no_loss_no_transfusion_and_baseline_hb(seed_scenario):
    def edit(d):
        for ph in phases_of(d):
            ph["bleeding_ml_per_min"] = fixed(0)
        for ev in d["parameters"]["events"].values():
            ev["blood_loss_ml"] = fixed(0)

    sc = variant(seed_scenario, edit)
    res = simulation.run(sc, 200, SEED)
    rec = res.records
    assert len(rec) == 200 * len(ALL)
    assert (rec.blood_loss_ml == 0).all() and (rec.blood_loss_bv == 0).all()
    assert (rec.rbc_units == 0).all() and not rec.massive_transfusion.any()
    assert (rec.lowest_hb_g_dl == sc.patient.baseline_hb_g_dl).all()
    assert (res.stages.blood_loss_ml == 0).all()
    # events still happened (with zero loss), so their repair path was exercised
    assert rec.filter(like="event_").to_numpy().sum() > 0


# --- (2) deterministic run = hand calculation ------------------------------------------------------
def duration_of(phase_id: str) -> float:
    """A distinct fixed duration (min) per library phase, so a phase mix-up shows."""
    return 10.0 + sum(map(ord, phase_id)) % 37


def rate_of(phase_id: str) -> float:
    """A distinct fixed bleeding rate (mL/min) per library phase."""
    return 0.5 + (sum(map(ord, phase_id)) % 11) / 4


INDUCTION, EMERGENCE, TURNOVER = 41.0, 23.0, 37.0

# Patient multipliers (duration, bleeding) per modifier family, by hand from parameters.yaml.
SEED_CASE = {  # revision, L2-L4 (3 levels, reference 1), implants L1-L5 (5 levels), heavy scar, IVC, psoas
    "revision": (1.25, 1.2),
    "levels": (1.2**2, 1.15**2),
    "implants": (1.15**4, 1.0),
    "scar": (1.3, 1.2),
    "vessel_adhesion": (1.5, 1.3),
    "psoas_extension": (1.3, 1.2),
}
REVISION_TWO_LEVELS = {  # adult, revision, L3-L4, moderate scar, no implants
    "revision": (1.25, 1.2),
    "levels": (1.2, 1.15),
    "scar": (1.15, 1.15),
}
PATIENTS = {
    "seed-case": ({}, SEED_CASE),
    "adult-primary": ({}, {}),
    "adult-revision": ({"revision": True, "levels": "L2-L3", "scar_severity": "moderate"}, REVISION_TWO_LEVELS),
}


def hand_course(scenario, strategy, factors):
    """Operative, anaesthesia and OR minutes and blood loss (mL) by hand for fixed inputs."""
    has_implants = scenario.patient.retained_implants is not None
    operative = anaesthesia = loss = 0.0
    stages = scenario.strategy(strategy).stages
    mods = scenario.parameters.modifiers  # body size acts on every phase's bleeding
    size = mods.per_doubling_blood_volume.bleeding.value ** math.log2(scenario.blood_volume_ml / mods.reference_blood_volume_ml.value)
    for stage in stages:
        anaesthesia += INDUCTION + EMERGENCE
        for exposure in stage.exposures:
            for ph in exposure.phases:
                if ph.requires == "implants" and not has_implants:
                    continue
                minutes = duration_of(ph.id) * math.prod(factors.get(f, (1, 1))[0] for f in ph.scales_with)
                bleeding = rate_of(ph.id) * math.prod(factors.get(f, (1, 1))[1] for f in ph.scales_with) * size
                anaesthesia += minutes
                operative += 0 if ph.before_incision else minutes
                loss += minutes * bleeding
    return operative, anaesthesia, anaesthesia + TURNOVER * len(stages), loss, len(stages)


@pytest.fixture(scope="module")
def fixed_runs():
    """Each patient of PATIENTS with every duration, rate and anaesthesia time fixed and no events."""
    out = {}
    for name, (changes, factors) in PATIENTS.items():
        base = load_scenario("adult-primary" if name == "adult-revision" else name, [SINGLE, POSTERIOR, TWO, THREE])

        def edit(d, changes=changes):
            d["patient"].update(changes)
            fix_phases(d, duration_of, rate_of, event_p=0.0)
            fix_anaesthesia(d, INDUCTION, EMERGENCE, TURNOVER, body_size=True)  # the hand calculation has it

        sc = variant(base, edit)
        out[name] = (sc, factors, simulation.run(sc, 5, SEED))
    return out


@pytest.mark.parametrize("patient", list(PATIENTS))
@pytest.mark.parametrize("strategy", [SINGLE, POSTERIOR, TWO, THREE])
def test_fixed_inputs_give_the_hand_calculation(fixed_runs, patient, strategy):
    sc, factors, res = fixed_runs[patient]
    rec = of(res.records, strategy)
    op, an, orr, loss, n_stages = hand_course(sc, strategy, factors)
    np.testing.assert_allclose(rec.operative_time_min, op, rtol=1e-9)
    np.testing.assert_allclose(rec.anaesthesia_time_min, an, rtol=1e-9)
    np.testing.assert_allclose(rec.or_time_min, orr, rtol=1e-9)
    np.testing.assert_allclose(rec.blood_loss_ml, loss, rtol=1e-9)
    np.testing.assert_allclose(rec.blood_loss_bv, loss / sc.blood_volume_ml, rtol=1e-9)
    assert (rec.anaesthetics == n_stages).all() and (rec.planned_stages == n_stages).all()
    assert (rec.filter(like="event_") == 0).all().all()
    np.testing.assert_allclose(rec.interval_days, 7.0 * (n_stages - 1), rtol=1e-12)


def test_hand_multipliers_are_not_trivial(fixed_runs):
    """Guard: the seed case's fixed run differs from the same plan without patient modifiers."""
    sc, _, res = fixed_runs["seed-case"]
    op_plain = hand_course(sc, SINGLE, {})[0]
    assert of(res.records, SINGLE).operative_time_min.iloc[0] > 1.5 * op_plain


def test_stage_rows_add_up_to_the_record(fixed_runs):
    sc, factors, res = fixed_runs["seed-case"]
    per = res.stages.groupby(["strategy", "replication"], sort=False)[
        ["operative_time_min", "anaesthesia_time_min", "or_time_min", "blood_loss_ml", "rbc_units"]
    ].sum().reset_index()
    merged = res.records.merge(per, on=["strategy", "replication"], suffixes=("", "_stages"))
    assert len(merged) == len(res.records)
    for col in ("operative_time_min", "anaesthesia_time_min", "or_time_min", "blood_loss_ml", "rbc_units"):
        np.testing.assert_allclose(merged[col], merged[f"{col}_stages"], rtol=1e-12)
    # two-stage: stage 1 is the posterior stage, by hand
    two = res.stages[(res.stages.strategy == TWO) & (res.stages.replication == 0)]
    stage1 = sc.strategy(TWO).stages[0]
    expected = sum(
        duration_of(ph.id) * math.prod(factors.get(f, (1, 1))[0] for f in ph.scales_with)
        for ex in stage1.exposures for ph in ex.phases if not ph.before_incision
    )
    assert two.stage.tolist() == [1, 2]
    assert two.operative_time_min.iloc[0] == pytest.approx(expected, rel=1e-9)


# --- (2b) transfusion = hand calculation of the haemodilution model --------------------------------
def transfusion_scenario(adult_scenario, weight_kg, theatre_units, delay_min, minutes=300.0, rate=10.0):
    def edit(d):
        # a child's age for a child's weight (weight for age is checked); blood volume is fixed, so age changes no number here
        d["patient"].update(weight_kg=weight_kg, age_years=8.0 if weight_kg < 25 else 52.0, blood_volume_ml_per_kg=70,
                            baseline_hb_g_dl=12.0)
        d["strategies"] = [one_phase_strategy("bleed", fixed(minutes), fixed(rate))]
        fix_anaesthesia(d, INDUCTION, EMERGENCE, TURNOVER, delivery_delay_min=delay_min)
        set_transfusion(d, trigger_hb_g_dl=7, target_hb_g_dl=9, adult_trigger_hb_g_dl=7, adult_target_hb_g_dl=9,
                        anticipation_min=0, unit_volume_ml=250, unit_haematocrit=0.6,
                        units_in_theatre=theatre_units, units_per_delivery=4, reorder_level_units=2)

    return variant(adult_scenario, edit)


def hand_transfusion(weight_kg, delay_min, minutes=300.0, rate=10.0):
    """Units and lowest Hb: Hb(t) = Hb0 exp(-V/EBV); trigger 7, target 9; rise = (250/kg)·0.6/3 (Davies).

    With no units in theatre only the first order waits ``delay_min`` for a pack of 4; later
    units come from the pack, and the standing re-order (below 2 units) arrives before they are
    needed when the delay is shorter than one trigger-to-trigger cycle.
    """
    hb0, trigger, target, ebv = 12.0, 7.0, 9.0, 70.0 * weight_kg
    rise = 250.0 / weight_kg * 0.6 / 3
    k = math.ceil((target - trigger) / rise)  # units per order
    t = ebv * math.log(hb0 / trigger) / rate  # first time Hb reaches the trigger
    if t >= minutes:
        return 0, hb0 * math.exp(-rate * minutes / ebv)
    lowest = trigger * math.exp(-rate * delay_min / ebv)  # Hb when the first units arrive
    cycle = ebv * math.log((trigger + k * rise) / trigger) / rate
    assert delay_min < cycle
    t += delay_min + ebv * math.log((lowest + k * rise) / trigger) / rate
    orders = 1
    while t < minutes:
        orders += 1
        t += cycle
    return k * orders, lowest


@pytest.mark.parametrize(
    "weight_kg, theatre_units, delay_min, units",
    [
        (20, 100, 0.0, 6),  # rise 2.5 g/dL: 1 unit per order; 75.5 min to trigger, then every 42.7 min
        (40, 100, 0.0, 4),  # rise 1.25 g/dL: 2 units per order
        (20, 0, 0.0, 6),  # the same units through the blood bank with no delay
        (20, 0, 10.0, 6),  # a 10-minute wait for the first pack: Hb falls below the trigger meanwhile
        (200, 100, 0.0, 0),  # EBV 14 L: 3000 mL never brings 12 g/dL down to 7
    ],
)
def test_transfusion_matches_the_haemodilution_hand_calculation(adult_scenario, weight_kg, theatre_units, delay_min, units):
    sc = transfusion_scenario(adult_scenario, weight_kg, theatre_units, delay_min)
    rec = runs(sc, 3)
    hand_units, lowest = hand_transfusion(weight_kg, delay_min)
    assert hand_units == units  # the table above, checked against the closed form
    assert (rec.rbc_units == units).all()
    np.testing.assert_allclose(rec.lowest_hb_g_dl, lowest, rtol=1e-9)
    np.testing.assert_allclose(rec.rbc_ml_per_kg, units * 250 / weight_kg, rtol=1e-12)
    np.testing.assert_allclose(rec.blood_loss_ml, 3000.0, rtol=1e-12)


def test_transfusion_timeline_shows_units_when_hb_reaches_the_trigger(adult_scenario):
    sc = transfusion_scenario(adult_scenario, 20, 100, 0.0)
    course = simulation.trace(sc, "bleed", SEED, 0)
    given = [e for e in course.timeline if e["kind"] == "transfusion"]
    ebv = 1400.0
    first = INDUCTION + ebv * math.log(12 / 7) / 10
    cycle = 0.1 * ebv * math.log(9.5 / 7)
    np.testing.assert_allclose([e["start"] for e in given], first + cycle * np.arange(6), rtol=1e-9)
    assert [e["units"] for e in given] == [1] * 6


# --- (3) more levels, heavier scar -> longer and bloodier -------------------------------------------
@pytest.mark.parametrize(
    "lighter, heavier",
    [({"levels": "L3"}, {"levels": "L2-L4"}), ({"scar_severity": "none"}, {"scar_severity": "heavy"})],
    ids=["levels", "scar"],
)
def test_more_levels_or_scar_is_longer_and_bloodier(seed_scenario, lighter, heavier):
    recs = []
    for changes in (lighter, heavier):
        sc = variant(seed_scenario, lambda d, c=changes: d["patient"].update(c))
        recs.append(of(runs(sc, 400, [SINGLE]), SINGLE))
    lo, hi = recs
    for col in ("operative_time_min", "blood_loss_ml"):
        assert hi[col].median() > 1.1 * lo[col].median()
        assert stats.mannwhitneyu(hi[col], lo[col], alternative="greater").pvalue < 1e-6
        # under common random numbers every replication is at least as long and bloody
        assert (hi[col] >= lo[col] - 1e-9).all()
    assert hi.rbc_units.mean() > lo.rbc_units.mean()


# --- (4) higher trigger -> more units ----------------------------------------------------------------
def test_mean_units_rise_with_the_trigger(seed_scenario):
    means = []
    for trigger in (6, 7, 8, 9):
        sc = variant(seed_scenario, lambda d, t=trigger: set_transfusion(d, trigger_hb_g_dl=t, target_hb_g_dl=t + 2))
        means.append(runs(sc, 300, [SINGLE]).rbc_units.mean())
    assert all(b > a for a, b in zip(means, means[1:])), means


# --- (5) staging -> more anaesthetics and anaesthesia time ------------------------------------------
@pytest.mark.parametrize("staged, n", [(TWO, 2), (THREE, 3)])
def test_staged_strategy_has_more_anaesthetics_and_anaesthesia_time(seed_scenario, staged, n):
    rec = runs(seed_scenario, 400, [SINGLE, staged])
    single, multi = of(rec, SINGLE), of(rec, staged)
    assert (single.anaesthetics == 1).all() and (multi.anaesthetics == n).all()
    assert (multi.interval_days > 0).all() and (single.interval_days == 0).all()
    longer = (multi.anaesthesia_time_min > single.anaesthesia_time_min).mean()
    assert longer > 0.9, longer
    assert multi.anaesthesia_time_min.mean() > single.anaesthesia_time_min.mean() + 60


# --- (6) cell salvage -> fewer units -----------------------------------------------------------------
def test_cell_salvage_reduces_units(seed_scenario):
    off = variant(seed_scenario, lambda d: fix_blood(d, postop_loss_fraction=0.5))  # bleeding not faster when coagulopathic
    on = variant(off, lambda d: set_transfusion(d, cell_salvage=True))
    off_rec, on_rec = of(runs(off, 400, [SINGLE]), SINGLE), of(runs(on, 400, [SINGLE]), SINGLE)
    assert on_rec.rbc_units.mean() < 0.8 * off_rec.rbc_units.mean()
    assert (on_rec.rbc_units <= off_rec.rbc_units).mean() > 0.95
    # salvage returns red cells, it does not stop the bleeding
    np.testing.assert_allclose(on_rec.blood_loss_ml, off_rec.blood_loss_ml, rtol=1e-12)


# --- (7) stop-and-stage rule ----------------------------------------------------------------------
def with_rule(scenario, **limits):
    def edit(d):
        rule = next(s for s in d["strategies"] if s["name"] == RULE)
        rule["stop_and_stage"] = {"max_blood_volumes": None, "max_hours": None, "assumption": "Test limit.", **limits}

    return variant(scenario, edit)


def test_tiny_stage_limit_always_converts(seed_scenario):
    rec = of(runs(with_rule(seed_scenario, max_hours=0.5), 300, [RULE]), RULE)
    assert rec.converted_to_staged.all()
    assert (rec.anaesthetics == 2).all() and (rec.planned_stages == 1).all()
    assert (rec.interval_days > 0).all()


def test_tiny_blood_limit_always_converts(seed_scenario):
    rec = of(runs(with_rule(seed_scenario, max_blood_volumes=0.01), 300, [RULE]), RULE)
    assert rec.converted_to_staged.all() and (rec.anaesthetics == 2).all()


def test_huge_limit_never_converts_and_equals_the_plain_plan(seed_scenario):
    sc = with_rule(seed_scenario, max_hours=72, max_blood_volumes=50)  # the largest limits the schema allows
    rec = runs(sc, 300, [SINGLE, RULE])
    plain, ruled = of(rec, SINGLE), of(rec, RULE)
    assert not ruled.converted_to_staged.any() and (ruled.anaesthetics == 1).all()
    pd.testing.assert_frame_equal(ruled.drop(columns="strategy"), plain.drop(columns="strategy"))


def test_bundled_rule_converts_some_but_not_all_seed_case_operations(seed_scenario):
    rec = of(runs(seed_scenario, 400, [RULE]), RULE)
    share = rec.converted_to_staged.mean()
    assert 0.05 < share < 0.95, share
    assert (rec.anaesthetics == 1 + rec.converted_to_staged).all()


# --- (8) extreme inputs ---------------------------------------------------------------------------
EXTREMES = {
    "2 kg neonate": {"weight_kg": 2, "age_years": 0.05},
    "250 kg adult": {"weight_kg": 250, "age_years": 40},
    "Hb 5": {"baseline_hb_g_dl": 5},
    "Hb 20": {"baseline_hb_g_dl": 20},
    "2 kg, fast bleeding": {"weight_kg": 2, "age_years": 0.05, "fast": True},
    "250 kg, fast bleeding": {"weight_kg": 250, "age_years": 40, "fast": True},
}


def assert_sane(records):
    numeric = records.drop(columns=["strategy"]).astype(float)
    values = numeric.to_numpy()
    assert np.isfinite(values).all(), numeric.columns[~np.isfinite(values).all(axis=0)].tolist()
    assert (values >= 0).all(), numeric.columns[(values < 0).any(axis=0)].tolist()
    assert (records.lowest_hb_g_dl > 0).all()
    assert (records.rbc_units == records.rbc_units.round()).all()
    assert (records.any_complication | ~records.any_major_complication).all()


@pytest.mark.parametrize("case", list(EXTREMES))
def test_extreme_inputs_give_finite_non_negative_outputs(seed_scenario, case):
    changes = dict(EXTREMES[case])
    fast = changes.pop("fast", False)

    def edit(d):
        d["patient"].update(changes)
        if fast:
            for ph in phases_of(d):
                ph["bleeding_ml_per_min"] = fixed(300)

    rec = runs(variant(seed_scenario, edit), 20)
    assert len(rec) == 20 * len(ALL)
    assert_sane(rec)
    if fast:
        assert (rec.blood_loss_bv > 1).all()


def test_hb_below_the_trigger_at_the_start_is_transfused_before_incision(seed_scenario):
    sc = variant(seed_scenario, lambda d: d["patient"].update(baseline_hb_g_dl=5))
    course = simulation.trace(sc, SINGLE, SEED, 0)
    first = next(e for e in course.timeline if e["kind"] == "transfusion")
    assert first["start"] == 0.0 and first["units"] == 2  # (9 - 5) / (250/28·0.6/3 = 1.79) -> 3, 2 in theatre


def test_lowest_hb_stays_positive_for_a_2_kg_patient_with_six_levels(seed_scenario):
    """A 2 kg patient with six levels resected (the most the model accepts)."""
    sc = variant(seed_scenario, lambda d: d["patient"].update(weight_kg=2, age_years=0.05, levels="L1-S1"))
    rec, _ = simulate_block(sc, POSTERIOR, SEED, range(20))
    assert np.isfinite(rec.lowest_hb_g_dl).all()
    assert (rec.lowest_hb_g_dl > 0).all(), rec.lowest_hb_g_dl.min()


def test_more_levels_than_the_model_covers_are_refused(seed_scenario):
    with pytest.raises(ValidationError, match="29 levels is outside the model's range"):
        variant(seed_scenario, lambda d: d["patient"].update(levels="C1-S5"))


# --- (9) impossible and certain events --------------------------------------------------------------
def test_zero_probability_event_never_happens_and_certain_event_always_does(adult_scenario):
    def edit(d):
        d["patient"].update(revision=True, scar_severity="heavy", great_vessel_adhesion=True)
        d["strategies"] = [
            one_phase_strategy(
                "events", fixed(60), fixed(2),
                events=[("durotomy", probability(0.0)), ("vascular_injury", probability(0.95)),
                        ("pleural_tear", {"events": 0, "n": 50, "assumption": "Test."})],
                scales_with=["revision", "scar", "vessel_adhesion"],
            )
        ]

    rec = runs(variant(adult_scenario, edit), 500)
    assert (rec.event_durotomy == 0).all()  # odds ratios (2.28 x 2.0) cannot raise p = 0
    assert (rec.event_pleural_tear == 0).all()  # 0 of 50 is p = 0
    # 0.95 is the most a phase may carry; odds ratios cannot push it higher
    hit = (rec.event_vascular_injury >= 1).mean()
    assert abs(hit - 0.95) < 4 * (0.95 * 0.05 / len(rec)) ** 0.5
    assert (rec.event_ureter_injury == 0).all()  # not a risk of this phase


def test_a_certain_event_is_refused(adult_scenario):
    def edit(d):
        d["strategies"] = [one_phase_strategy("events", fixed(60), fixed(2), events=[("vascular_injury", probability(1.0))])]

    with pytest.raises(ValidationError, match="above 0.95"):
        variant(adult_scenario, edit)


def test_a_small_child_is_transfused_in_weight_based_aliquots(adult_scenario):
    """10 kg: one "unit" is 15 mL/kg = 150 mL (not 250 mL), rising Hb by (150/10)*0.6/3 = 3.0 g/dL;
    a 20 kg child still gets whole 250 mL units (15 mL/kg would be 300 mL)."""
    small = transfusion_scenario(adult_scenario, 10, 100, 0.0)
    assert small.red_cell_dose_ml == pytest.approx(150.0)
    assert transfusion_scenario(adult_scenario, 20, 100, 0.0).red_cell_dose_ml == pytest.approx(250.0)
    rec = runs(small, 3)
    assert (rec.rbc_units > 0).all()
    np.testing.assert_allclose(rec.rbc_ml_per_kg, rec.rbc_units * 15.0, rtol=1e-12)
    course = simulation.trace(small, "bleed", SEED, 0)
    # the first order at the trigger: ceil((9 - 7) / 3.0) = 1 aliquot
    first = next(e for e in course.timeline if e["kind"] == "transfusion")
    assert first["units"] == 1
    assert (rec.lowest_hb_g_dl > 0).all()
