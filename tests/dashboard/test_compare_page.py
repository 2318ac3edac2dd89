"""The tumour-board page in AppTest: default run on the seed case, tabs, re-use of results."""

import re

import pytest
from dashboard_helpers import TEST_REPLICATIONS, charts, no_exceptions

from simulation import RESULT_FIELDS, load_scenario
from simulation.present.formats import HEADLINE, MAIN_STRATEGIES, interval_name, short_labels

LABELS = [s.label for s in load_scenario("seed-case", list(MAIN_STRATEGIES)).strategies]
SINGLE = LABELS[0]


def _first_number(cell: str) -> float:
    return float(cell.split(" ")[0].replace(",", ""))


def _table(at, first_column: str):
    return next(t.value for t in at.table if t.value.columns[0] == first_column)


def _open_tab(at, tab: str):
    at.session_state["compare_tab"] = tab
    return at.run()


@pytest.fixture
def compared(app):
    """The page as it opens: the seed case, the four main strategies, run once automatically."""
    app.run()
    no_exceptions(app)
    return app


def test_opens_on_the_seed_case_with_the_four_main_strategies(compared):
    assert compared.sidebar.selectbox(key="pt_base").value == "seed-case"
    assert compared.multiselect(key="compare_strategies").value == list(MAIN_STRATEGIES)
    outcomes = _table(compared, "Outcome")
    assert list(outcomes.columns[2:]) == LABELS
    assert any(f"{TEST_REPLICATIONS:,} simulated operations per plan" in c.value for c in compared.caption)


def test_seed_case_single_stage_figures_are_plausible(compared):
    outcomes = _table(compared, "Outcome").set_index(["Outcome", "Statistic"])
    operative_h = _first_number(outcomes.loc[("Operative time (skin to skin) (h)", "median (5–95%)"), SINGLE])
    assert 8 <= operative_h <= 20
    loss_ml = _first_number(outcomes.loc[("Blood loss (mL)", "median (5–95%)"), SINGLE])
    assert 2000 <= loss_ml <= 15000


def test_summary_shows_risks_with_mcse_and_exceedance(compared):
    risks = _table(compared, "Risk")
    assert {RESULT_FIELDS["any_major_complication"].label, "Death (within 2 months)"} <= set(risks.Risk)
    assert all("±" in cell for cell in risks[SINGLE])
    exceed = _table(compared, "Probability of")
    assert "Blood loss > 2 blood volumes" in set(exceed["Probability of"])
    assert list(exceed.columns[1:]) == LABELS
    for cell in exceed[SINGLE]:
        assert 0 <= _first_number(cell.replace("%", "")) <= 100


def test_overview_chart_has_every_strategy_and_outcome(compared):
    (spec, frames), = charts(compared)
    data = frames[0]
    assert set(data.label) == set(short_labels(LABELS).values())  # each row named on the chart, not by colour alone
    assert {"Single stage", "Posterior only", "Two stages", "Three stages"} == set(data.label)
    single = data[(data.label == "Single stage") & (data.title == "Operative time|(skin to skin) (h)")].iloc[0]
    assert single.p5 <= single.p25 <= single["median"] <= single.p75 <= single.p95
    assert 8 <= single["median"] <= 20


@pytest.mark.parametrize("kind", ["Ranges", "Histograms", "Cumulative"])
def test_distribution_charts_one_per_outcome(compared, kind):
    compared.session_state["compare_chart_kind"] = kind
    at = _open_tab(compared, "Distributions")
    no_exceptions(at)
    drawn = charts(at)
    assert len(drawn) == len(HEADLINE)
    for _spec, frames in drawn:
        assert set(frames[0].label) == set(LABELS)
        assert len(frames[0]) <= 2000  # pre-aggregated, never the raw replications


def test_paired_differences_single_stage_minus_each_other_plan(compared):
    at = _open_tab(compared, "Paired differences")
    no_exceptions(at)
    table = _table(at, "Compared with")
    assert set(table["Compared with"]) - {""} == set(LABELS[1:])
    assert f"{SINGLE} better" in table.columns
    for column in (f"{SINGLE} better", "Other plan better", "Same"):  # every share ± its Monte Carlo error
        assert all(re.fullmatch(r"\d+\.\d% ± \d+\.\d", cell) for cell in table[column]), table[column]
    (spec, frames), = charts(at)
    assert set(frames[0].label) == set(LABELS[1:])


def test_typical_operation_has_one_gantt_per_stage(compared):
    at = _open_tab(compared, "Typical operation")
    no_exceptions(at)
    stages = {s.label: len(s.stages) for s in load_scenario("seed-case", list(MAIN_STRATEGIES)).strategies}
    drawn = charts(at)
    assert len(drawn) == sum(stages.values())
    titles = [spec["title"] if isinstance(spec["title"], str) else spec["title"]["text"] for spec, _ in drawn]
    assert sum(t.startswith("Stage 2") for t in titles) == 2  # the two- and three-stage plans
    for _spec, frames in drawn:
        assert max(f.end_h.max() for f in frames if "end_h" in f) < 30  # hours from induction, not days


def test_downloads_tab_offers_records_and_charts(compared):
    at = _open_tab(compared, "Downloads")
    no_exceptions(at)
    labels = [b.proto.label for b in at.get("download_button")]
    assert {"Records (CSV)", "Records (Parquet)", "PNG", "SVG", "What the columns mean (CSV)",
            "Decision", "Outcomes", "Risks", "Worst cases"} <= set(labels)
    assert any("0 = none, 1 = minor, 2 = major" in c.value for c in at.caption)


def test_the_board_pdf_is_one_click_beside_the_pair(compared):
    assert "Board PDF" in [b.proto.label for b in compared.get("download_button")]


def test_changing_a_chart_option_keeps_the_run(compared):
    kept = compared.session_state["result:compare"]
    compared.session_state["compare_chart_kind"] = "Cumulative"
    at = _open_tab(compared, "Distributions")
    assert at.session_state["result:compare"] is kept


def test_changed_inputs_keep_the_last_result_until_run(compared):
    kept = compared.session_state["result:compare"]
    compared.number_input(key="seed").set_value(7).run()
    assert any("Out of date" in w.value for w in compared.warning)
    assert charts(compared) and compared.session_state["result:compare"] is kept  # still on screen, not re-run
    assert any("seed 2018" in c.value for c in compared.caption)
    run = next(b for b in compared.button if b.label == "Run")
    run.click().run()
    no_exceptions(compared)
    assert any("seed 7" in c.value for c in compared.caption)
    assert not any("Out of date" in w.value for w in compared.warning)


def test_the_decision_table_reads_in_words(compared):
    parts = compared.session_state["result:compare"][1].uncertainty_parts
    table = _table(compared, f"Posterior only vs Single stage ({interval_name(parts)})")  # honest once a posterior is stored
    first = table.iloc[:, 0]
    assert first[0].startswith("no clear difference in patients with a major complication") or \
        first[0].split(" in 100 ")[1].startswith("patients with a major complication")
    assert all(re.search(r"\b(fewer|more|less|higher|lower|no clear difference)\b", cell) for cell in first)
    assert not any(re.match(r"[+-]\d", cell) for cell in first)  # no sign to decode
    assert set(table["Better with"]) <= {"Posterior only", "Single stage", "Neither clearly"}


def test_too_many_replications_is_refused_with_a_message(app):
    app.session_state["reps"] = 50_000
    app.run()
    no_exceptions(app)
    assert any("20,000" in e.value for e in app.sidebar.error)
    assert "result:compare" not in app.session_state


def test_the_board_pickers_are_drawn_with_the_plans_the_table_compares(compared):
    """Each picker's default in the page is its current plan (a browser drawing it anew shows that plan,
    not the first one); a pick is kept across runs, and forgotten when its plan is no longer compared."""
    def shown(at):
        a, b = at.selectbox(key="board_a"), at.selectbox(key="board_b")
        for picker in (a, b):
            assert picker.options[picker.proto.default] == picker.format_func(picker.value)
        header = next(t.value for t in at.table if " vs " in t.value.columns[0]).columns[0]
        return a.value, b.value, header

    a, b, header = shown(compared)
    assert (a, b) == ("posterior-only", "single-stage-three-exposure") and header.startswith("Posterior only vs Single stage")
    compared.selectbox(key="board_a").set_value("two-stage-posterior-then-anterior").run()
    assert shown(compared)[0] == "two-stage-posterior-then-anterior"
    assert shown(compared.run())[2].startswith("Two stages vs Single stage")
    compared.multiselect(key="compare_strategies").set_value(["single-stage-three-exposure", "posterior-only"]).run()
    next(b for b in compared.button if b.label == "Run").click().run()
    no_exceptions(compared)
    assert shown(compared)[:2] == ("posterior-only", "single-stage-three-exposure")  # the default pair again
