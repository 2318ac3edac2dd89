"""Counselling: natural frequencies with time frames, icon arrays, no relative risks."""

import re

import pytest
from dashboard_helpers import no_exceptions

from dashboard.compare.view import build_comparison
from dashboard.counselling.family import family_summary, in_100, per_100
from simulation import load_scenario

PLANS = ["single-stage-three-exposure", "two-stage-posterior-then-anterior"]


@pytest.mark.parametrize("p, words", [
    (0.0, "fewer than 1 in 100"), (0.0049, "fewer than 1 in 100"), (0.005, "about 1 in 100"),
    (0.184, "about 18 in 100"), (0.185, "about 19 in 100"), (0.994, "about 99 in 100"),
    (0.995, "more than 99 in 100"), (1.0, "100 in 100"),
])
def test_natural_frequencies(p, words):
    assert in_100(p) == words


def test_figures_filled_match_the_words():
    for p in (0.0, 0.004, 0.005, 0.5, 0.994, 1.0):
        n = per_100(p)
        assert 0 <= n <= 100
        assert (f"about {n} in 100" == in_100(p)) or in_100(p).startswith(("fewer", "more", "100"))


@pytest.fixture(scope="module")
def summary():
    scenario = load_scenario("seed-case", PLANS)
    comparison = build_comparison(scenario, PLANS, 300, 11)
    return family_summary(scenario, comparison, "2026-01-02"), comparison


def test_time_frames_follow_each_plan(summary):
    fs, _ = summary
    single, staged = fs.plans
    transfusion = [r for r in single.main if r.key == "massive_transfusion"][0]
    assert transfusion.time_frame == "during the operation"
    assert [r for r in staged.main if r.key == "massive_transfusion"][0].time_frame == "across both operations"
    assert [r for r in single.main if r.key == "death"][0].time_frame == "within 2 months"
    assert staged.operations.startswith("two operations, about")


def test_frequencies_are_the_simulated_shares(summary):
    fs, c = summary
    for plan in fs.plans:
        records = c.records[c.records.strategy == plan.name]
        major = [r for r in plan.main if r.key == "any_major_complication"][0]
        assert major.p == pytest.approx(records.any_major_complication.mean())
        icu = [r for r in plan.main if r.key == "icu"][0]
        assert icu.p == pytest.approx((records.icu_days > 0).mean())
        assert [r.label for r in plan.others] == [r.label for r in fs.plans[0].others]


def test_monte_carlo_error_is_kept_but_never_shown_as_the_uncertainty(summary):
    fs, c = summary
    n = c.replications
    for plan in fs.plans:
        records = c.records[c.records.strategy == plan.name]
        major = next(r for r in plan.main if r.key == "any_major_complication")
        p = records.any_major_complication.mean()
        if not c.uncertainty_parts:  # independent patients: the binomial Monte Carlo error
            assert major.mcse == pytest.approx((p * (1 - p) / (n - 1)) ** 0.5, rel=1e-9)
        assert not hasattr(major, "margin")
    assert "give or take" not in fs.prose and "not from chance" not in fs.prose and "How sure" in fs.how_sure


def test_one_time_frame_per_headline_risk_and_blood_in_words(summary):
    fs, _ = summary
    single = fs.plans[0]
    major = next(r for r in single.main if r.key == "any_major_complication")
    assert major.time_frame == "within about 2 years"  # the longest of the complications it collects
    transfusion = next(r for r in single.main if r.key == "massive_transfusion")
    assert "mL" not in transfusion.label and "of the blood in the body" in transfusion.label


def test_the_difference_between_the_plans_in_words(summary):
    fs, _ = summary
    single, staged = fs.plans
    for i, (a, b) in enumerate(zip(single.main, staged.main)):
        n = round(abs(100 * (b.p - a.p)))
        text = fs.difference(i)
        assert text == "About the same with both plans" if n == 0 else text.startswith(f"About {n} ")
        assert n == 0 or ("more" in text) == (b.p > a.p)


def test_planned_deficit_and_oncological_outcomes_reach_the_family(summary):
    """The seed case's roots cut on one side at L2-L4 are a certain outcome (not a risk), listed level by
    level; the margin, local recurrence and a late start of adjuvant therapy are frequencies out of 100."""
    fs, c = summary
    assert fs.deficit[:3] == (
        "L2 root cut on one side: weakness or loss of hip flexion",
        "L3 root cut on one side: weakness or loss of knee extension (quadriceps)",
        "L4 root cut on one side: weakness or loss of knee extension and ankle dorsiflexion",
    )
    assert "walking aid" in fs.deficit[-1]
    for plan in fs.plans:
        records = c.records[c.records.strategy == plan.name]
        by_key = {r.key: r for r in plan.others}
        assert by_key["appropriate_margin"].p == pytest.approx(records.appropriate_margin.mean())
        assert by_key["local_recurrence_risk"].p == pytest.approx(records.local_recurrence_risk.mean() / 100)
        assert by_key["adjuvant_delayed"].p == pytest.approx(records.adjuvant_delayed.mean())
        assert by_key["adjuvant_delayed"].time_frame == "more than 21 days after the first operation"
        assert plan.adjuvant.startswith("about ")


def test_no_deficit_when_no_root_is_cut():
    scenario = load_scenario("adult-primary", PLANS[:1])
    fs = family_summary(scenario, build_comparison(scenario, PLANS[:1], 50, 1), "2026-01-02")
    assert fs.deficit == ()


def test_the_stop_rule_split_is_a_risk_with_its_error():
    plans = ["single-stage-with-stop-rule"]
    scenario = load_scenario("seed-case", plans)
    c = build_comparison(scenario, plans, 200, 4)
    (plan,) = family_summary(scenario, c, "2026-01-02").plans
    p = c.records.converted_to_staged.mean()
    assert 0 < p < 1 and plan.staging.p == pytest.approx(p) and plan.staging.mcse == pytest.approx((p * (1 - p) / 200) ** 0.5)
    assert f"split into two if the agreed limits are reached ({plan.staging.words})" in plan.operations


def test_counselling_page_in_plain_words(app):
    app.run()
    app.switch_page("views/2_Counselling.py").run()
    no_exceptions(app)
    assert app.selectbox(key="counsel_plan").value == PLANS[0]
    assert app.selectbox(key="counsel_other").value == PLANS[1]
    html = " ".join(h.proto.body for h in app.get("html"))
    assert html.count("data:image/svg+xml") == 8  # four main risks, two plans
    assert len(re.findall(r"\b(about \d{1,3}|fewer than 1|more than 99) in 100\b", html)) >= 8
    assert "give or take" not in html and "Monte Carlo" not in html  # simulation error is not the uncertainty
    assert html.count("rs-difference") == 4  # the difference under each pair of icon arrays
    text = html + " ".join(m.value for m in app.markdown)
    assert not re.search(r"\b(times (more|less|as)|relative risk|twice as|half as|% (more|less))", text, re.I)
    table = app.table[0].value
    assert list(table.columns[2:]) == ["One long operation", "Two operations"]
    assert all(re.fullmatch(r"(about \d{1,3}|fewer than 1|more than 99|100) in 100", cell) for cell in table.iloc[:, 2])
    assert any(b.proto.label == "Printable report (PDF)" for b in app.get("download_button"))
    assert any("frequencies below are rough" in w.value for w in app.warning)  # 200 replications in tests


def test_one_plan_alone(app):
    app.run()
    app.switch_page("views/2_Counselling.py").run()
    app.selectbox(key="counsel_other").set_value("(no second plan)").run()
    no_exceptions(app)
    html = " ".join(h.proto.body for h in app.get("html"))
    assert html.count("data:image/svg+xml") == 4


def test_a_rerun_with_the_same_inputs_keeps_the_result(app):
    app.run()
    app.switch_page("views/2_Counselling.py").run()
    kept = app.session_state["result:counsel"]
    app.run()
    no_exceptions(app)
    assert app.session_state["result:counsel"] is kept  # not copied out of the cache again


def test_a_sidebar_edit_does_not_re_simulate(app):
    app.run()
    app.switch_page("views/2_Counselling.py").run()
    kept = app.session_state["result:counsel"]
    app.number_input(key="pt_weight_kg").set_value(30.0).run()
    no_exceptions(app)
    assert app.session_state["result:counsel"] is kept  # the last result stays on screen ...
    assert any("Out of date" in w.value for w in app.warning)  # ... marked as such
    html = " ".join(h.proto.body for h in app.get("html"))
    assert html.count("data:image/svg+xml") == 8
    app.button(key="counsel_run").click().run()
    assert app.session_state["result:counsel"] is not kept
    assert not any("Out of date" in w.value for w in app.warning)


def test_families_read_the_honest_range_never_the_monte_carlo_error(tmp_path):
    """With parameter and centre uncertainty the page and the handout state the honest range of the headline
    risk, and it is wider than the Monte Carlo interval."""
    import numpy as np
    from helpers import write_synthetic

    from simulation import uncertainty
    from simulation.calibration.parameters import load_parameters

    params = load_parameters()[0]
    rows = np.random.default_rng(1).normal(0, [p.prior.sd / 2 for p in params], (100, len(params)))
    path = write_synthetic(tmp_path / "p.parquet", rows, params, (0.28, 0.36, 0.48))
    scenario = load_scenario("seed-case", PLANS)
    c = build_comparison(scenario, PLANS, 300, 11, drawn=uncertainty(scenario, path))
    fs = family_summary(scenario, c, "2026-01-02")
    risk = fs.plans[0].main[0]
    assert c.uncertainty_parts == ("parameter", "centre")
    assert risk.high - risk.low > 2 * 1.96 * risk.mcse
    words = fs.how_sure
    assert f"about {round(100 * risk.p)} in 100" in words
    assert f"from {round(100 * risk.low)} to {round(100 * risk.high)} in 100" in words
    assert "give or take" not in fs.prose and words in fs.prose
    assert "centre like those published" in fs.provenance.line
