"""The oncological layer: the judged margin flows through by approach and anatomy, its consequences
are Fisher 2011's figures weighted by the margin's chance, and the days until fit for adjuvant
therapy never precede discharge and never fall with a wound complication.

Expected numbers are computed by hand from ``scenarios/parameters.yaml`` (``oncology``)."""

import json

import numpy as np
import pytest
from helpers import invoke, variant
from hypothesis import given
from hypothesis import strategies as st
from scipy import special

import simulation
from simulation.model import oncology
from simulation.model.plan import compile_plan
from simulation.model.sampling import draw
from simulation.scenario.procedure import margin_approach
from simulation.scenario.records import RESULT_FIELDS

POSTERIOR, COMBINED = "posterior-only", "single-stage-three-exposure"
COLUMNS = ("appropriate_margin", "local_recurrence_risk", "margin_death_hazard_ratio", "days_to_adjuvant", "adjuvant_delayed")
SEED, REPS = 7, 2000
LR_APPROPRIATE, LR_INAPPROPRIATE, HR = 14 / 70, 57 / 77, 3.10  # Fisher 2011, as in parameters.yaml


def _patient(scenario, **conditions):
    def edit(data):
        data["patient"].update(conditions)

    return variant(scenario, edit)


@pytest.fixture(scope="module")
def adhesion(adult_scenario):
    """The bundled adult (primary L3) with great vessels adherent to the tumour, nothing else."""
    return _patient(adult_scenario, great_vessel_adhesion=True)


def test_approach_class_is_derived_from_the_exposures_unless_declared(seed_scenario):
    assert margin_approach(seed_scenario.strategy(POSTERIOR)) == "posterior_only"
    for name in (COMBINED, "two-stage-posterior-then-anterior", "three-stage-posterior-anterior-posterior"):
        assert margin_approach(seed_scenario.strategy(name)) == "combined"
    declared = seed_scenario.strategy(POSTERIOR).model_copy(update={"approach_class": "combined"})
    assert margin_approach(declared) == "combined"


def test_at_the_median_judgement_one_condition_gives_its_judged_median(adhesion):
    """With one condition, logit p = logit P_ref + (logit P_c - logit P_ref) = logit P_c: at the median
    quantile (which widening leaves in place) p is the median of that condition's fitted Beta, within
    0.005 of the judged median (the least-squares fit does not pass exactly through the quartiles)."""
    u = np.array([0.5])
    assert oncology.margin_probability(adhesion, adhesion.strategy(POSTERIOR), u)[0] == pytest.approx(0.20, abs=0.005)
    assert oncology.margin_probability(adhesion, adhesion.strategy(COMBINED), u)[0] == pytest.approx(0.78, abs=0.005)


def test_conditions_add_on_the_log_odds_scale(adult_scenario):
    sc = _patient(adult_scenario, great_vessel_adhesion=True, psoas_extension=True)
    expected = special.expit(special.logit(0.80) + (special.logit(0.20) - special.logit(0.80))
                             + (special.logit(0.45) - special.logit(0.80)))  # = 0.0487
    got = oncology.margin_probability(sc, sc.strategy(POSTERIOR), np.array([0.5]))[0]
    assert got == pytest.approx(expected, abs=0.002) and expected == pytest.approx(0.0487, abs=1e-3)


def test_posterior_only_with_vessel_adhesion_gives_fewer_appropriate_margins_than_a_combined_approach(adhesion):
    """The elicited inputs flow through the whole run: 2000 patients, seed 7. At the medians the
    chances are 0.20 and 0.78; the widened judgements move the means (about 0.25 and 0.70), and
    the Monte Carlo SE of each share is at most 0.011, so a gap above 0.35 cannot be chance."""
    rec = simulation.run(adhesion, REPS, SEED, strategies=(POSTERIOR, COMBINED)).records
    share = rec.groupby("strategy").appropriate_margin.mean()
    assert share[POSTERIOR] < share[COMBINED] - 0.35
    assert 0.1 < share[POSTERIOR] < 0.4 and 0.55 < share[COMBINED] < 0.85
    # Common random numbers: the same patient's judgement quantile is shared, so no patient gets a
    # clean margin from behind who would not get one from a combined approach.
    wide = rec.pivot(index="replication", columns="strategy", values="appropriate_margin")
    assert not (wide[POSTERIOR] & ~wide[COMBINED]).any()


def test_local_recurrence_risk_by_hand_from_the_margin_probability(adhesion):
    strategy = adhesion.strategy(POSTERIOR)
    res = simulation.run(adhesion, 200, SEED, strategies=(POSTERIOR,))
    draws = draw(compile_plan(adhesion, strategy), SEED, range(200))
    p = oncology.margin_probability(adhesion, strategy, special.ndtr(draws.oncology_z[:, oncology.MARGIN_QUANTILE]))
    rec = res.records
    np.testing.assert_allclose(rec.local_recurrence_risk, 100 * (p * LR_APPROPRIATE + (1 - p) * LR_INAPPROPRIATE), rtol=1e-12)
    np.testing.assert_allclose(rec.margin_death_hazard_ratio, p + (1 - p) * HR, rtol=1e-12)
    # At the median judgement (p = 0.20): 100 * (0.2 * 0.2 + 0.8 * 57/77) = 63.22 per 100.
    assert 100 * (0.2 * LR_APPROPRIATE + 0.8 * LR_INAPPROPRIATE) == pytest.approx(63.22, abs=0.01)


def test_days_to_adjuvant_is_never_before_discharge(seed_scenario):
    rec = simulation.run(seed_scenario, 300, SEED).records
    assert (rec.days_to_adjuvant >= rec.los_days - 1e-9).all()
    assert (rec.adjuvant_delayed == (rec.days_to_adjuvant > 21)).all()
    # Staging adds its interval: the three-stage plan is fit later than the single stage on average.
    mean = rec.groupby("strategy").days_to_adjuvant.mean()
    assert mean["three-stage-posterior-anterior-posterior"] > mean[COMBINED]


def _columns(sc, severity: int, los, last_operation_day):
    strategy = sc.strategy(COMBINED)
    draws = draw(compile_plan(sc, strategy), SEED, range(len(los)))
    sev = {f"complication_{k}": np.full(len(los), severity) for k in sc.parameters.complications.types}
    return oncology.record_columns(sc, strategy, draws, sev, los, last_operation_day)


def test_a_wound_complication_never_shortens_the_days_to_adjuvant(seed_scenario):
    """Same patients, same discharge day: none, minor (+7 days per wound type) and major (+21) wound
    complications give non-decreasing days, and strictly more when healing, not discharge, decides."""
    los, last_op = np.full(500, 10.0), np.full(500, 5.0)
    none, minor, major = (_columns(seed_scenario, s, los, last_op)["days_to_adjuvant"] for s in (0, 1, 2))
    assert (none <= minor).all() and (minor <= major).all()
    healing_decides = none > los
    np.testing.assert_allclose(minor[healing_decides] - none[healing_decides], 2 * 7.0)  # infection + dehiscence
    assert (major > none).all()  # 5 + healing + 42 > 10 days of stay


@given(
    u=st.floats(1e-6, 1 - 1e-6),
    conditions=st.fixed_dictionaries({k: st.booleans() for k in ("great_vessel_adhesion", "psoas_extension", "revision")}),
    strategy=st.sampled_from([POSTERIOR, COMBINED]),
    declared=st.sampled_from([None, "posterior_only", "combined", "anterior_only"]),
)
def test_margin_and_its_consequences_stay_in_range(seed_scenario, u, conditions, strategy, declared):
    sc = seed_scenario.model_copy(update={"patient": seed_scenario.patient.model_copy(update=conditions)})
    s = sc.strategy(strategy).model_copy(update={"approach_class": declared})
    p = oncology.margin_probability(sc, s, np.array([u]))[0]
    assert np.isfinite(p) and 0 <= p <= 1
    lr = 100 * (p * LR_APPROPRIATE + (1 - p) * LR_INAPPROPRIATE)
    assert 100 * LR_APPROPRIATE - 1e-9 <= lr <= 100 * LR_INAPPROPRIATE + 1e-9


@given(
    los=st.floats(0, 365), gap=st.floats(0, 365), severity=st.integers(0, 2),
)
def test_days_to_adjuvant_are_finite_and_not_negative(seed_scenario, los, gap, severity):
    last_op = np.array([min(gap, los)])
    cols = _columns(seed_scenario, severity, np.array([los]), last_op)
    assert np.isfinite(cols["days_to_adjuvant"]).all() and (cols["days_to_adjuvant"] >= los).all()
    assert (cols["margin_death_hazard_ratio"] >= 1).all() and (cols["local_recurrence_risk"] >= 0).all()


def test_the_21_day_label_matches_the_threshold(seed_scenario):
    threshold = seed_scenario.parameters.oncology.adjuvant.delay_threshold_days.value
    assert f"{threshold:g} days" in RESULT_FIELDS["adjuvant_delayed"].label


def test_the_new_columns_reach_compare_json_and_the_dashboard_summary(seed_scenario):
    out = invoke("compare", "seed-case", "-s", POSTERIOR, "-s", COMBINED, "--reps", 40, "--json")
    assert out.exit_code == 0, out.stderr
    summaries = {row["outcome"] for row in json.loads(out.stdout)["summaries"]}
    assert set(COLUMNS) <= summaries

    from dashboard.compare.tables import outcome_table, risk_table
    from dashboard.compare.view import build_comparison

    c = build_comparison(seed_scenario, (POSTERIOR, COMBINED), 40, SEED)
    assert {"appropriate_margin", "adjuvant_delayed", "days_to_adjuvant", "local_recurrence_risk"} <= set(c.summary.outcome)
    assert any(t.startswith("Days from the first operation until fit for adjuvant therapy") for t in outcome_table(c).Outcome)
    assert any(t.startswith("Enneking-appropriate margin") for t in risk_table(c).Risk)


def test_the_compare_tables_say_the_margin_is_judgement():
    out = invoke("compare", "adult-primary", "-s", POSTERIOR, "-s", COMBINED, "--reps", 30)
    assert out.exit_code == 0, out.stderr
    text = " ".join(out.stdout.split())
    assert "Enneking-appropriate margin (expert judgement; at the operation)" in text
    assert "is expert judgement (SHELF-style quartiles by approach and anatomy, widened), not data" in text
    assert "Days from the first operation until fit for adjuvant therapy" in text
