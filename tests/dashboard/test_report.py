"""The printable family handout: text extracted with pypdf names the plans in plain words, risks as
N in 100 with the difference between plans, no jargon on page 1, a readable grade, the provenance."""

import io
import re

import pytest
from pypdf import PdfReader

import simulation
from dashboard.compare.view import build_comparison
from dashboard.counselling.family import family_summary
from dashboard.counselling.report import build_report
from simulation import load_scenario

PLANS = ["single-stage-three-exposure", "two-stage-posterior-then-anterior"]


@pytest.fixture(scope="module")
def two_plans():
    scenario = load_scenario("seed-case", PLANS)
    return scenario, family_summary(scenario, build_comparison(scenario, PLANS, 300, 2018), "2026-03-04")


def _text(pdf: bytes) -> tuple[str, int]:
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages), len(reader.pages)


def _pages(pdf: bytes) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages]


def test_report_names_both_plans_risks_and_provenance(two_plans):
    scenario, summary = two_plans
    pdf = build_report(summary)
    assert pdf.startswith(b"%PDF")
    text, pages = _text(pdf)
    assert pages <= 4
    for label in ("One long operation", "Two operations"):  # the family labels ...
        assert label in text
    assert "Single stage, three exposures" in text.split("For the surgical team")[1]  # ... the clinical ones last
    assert len(re.findall(r"\b(about \d{1,3}|fewer than 1|more than 99) in 100\b", text)) >= 2 * (4 + 7)
    assert f"ResectSim {simulation.__version__}" in text
    assert f"scenario {scenario.digest()}" in text
    assert "seed 2018" in text and "300 simulated operations per plan" in text and "2026-03-04" in text
    assert "not a validated clinical prediction rule" in text
    assert "What these numbers mean" in text
    assert "give or take" not in text and "Monte Carlo" not in text and "not from chance" not in text
    assert "How sure are these numbers?" in text
    for heading in ("Your care team", "Your questions", "Next steps", "How to reach them"):
        assert heading in text


def test_the_planned_deficit_is_printed_as_certain_before_the_risks(two_plans):
    _, summary = two_plans
    text, _ = _text(build_report(summary))
    assert "What will certainly happen" in text and "not a risk" in text
    assert text.index("What will certainly happen") < text.index("The main risks")
    for line in summary.deficit:
        assert " ".join(line.split()) in text
    assert "Until ready for chemotherapy or radiotherapy" in text and "The tumour coming back in the same place" in text


def test_page_one_is_in_plain_words_and_the_difference_is_stated(two_plans):
    _, summary = two_plans
    pages = _pages(build_report(summary))
    for jargon in ("g/dL", "psoas", "thoracoabdominal"):
        assert jargon not in pages[0].lower() if jargon != "g/dL" else jargon not in pages[0]
    statements = [summary.difference(i) for i in range(len(summary.plans[0].main))]
    assert all(s and (s.startswith("About the same") or " in 100 with two operations than with one long operation" in s)
               for s in statements)
    text = " ".join(pages)
    assert all(s in text for s in statements)  # under each pair of icon arrays


def test_the_family_text_reads_at_grade_8_or_below(two_plans):
    textstat = pytest.importorskip("textstat")
    _, summary = two_plans
    assert textstat.flesch_kincaid_grade(summary.prose) <= 8
    scenario = load_scenario("adult-primary", ["posterior-only", "single-stage-with-stop-rule"])
    adult = family_summary(scenario, build_comparison(scenario, ["posterior-only", "single-stage-with-stop-rule"], 100, 1), "2026-03-04")
    assert textstat.flesch_kincaid_grade(adult.prose) <= 8


def test_a_rough_run_prints_a_warning_and_a_steady_one_does_not(two_plans):
    _, summary = two_plans  # 300 simulated operations per plan
    assert "only 300 operations were acted out" in _pages(build_report(summary))[0]
    scenario = load_scenario("seed-case", PLANS[:1])
    steady = family_summary(scenario, build_comparison(scenario, PLANS[:1], 1_000, 1), "2026-03-04")
    assert "acted out for each plan, so these numbers are rough" not in _text(build_report(steady))[0]


def test_report_without_the_unicode_font_uses_latin1(two_plans, tmp_path):
    _, summary = two_plans
    text, pages = _text(build_report(summary, font_dir=tmp_path))
    assert pages <= 4
    assert "Two stages, posterior then anterior" in text
    assert "ResectSim" in text and "seed 2018" in text


def test_single_plan_report():
    scenario = load_scenario("adult-primary", ["posterior-only"])
    summary = family_summary(scenario, build_comparison(scenario, ["posterior-only"], 200, 5), "2026-03-04")
    text, pages = _text(build_report(summary))
    assert pages <= 4
    assert "One operation from the back" in text and "for an adult like this one" in text
    assert "A 52-year-old man" in text


def test_the_wordiest_pair_still_fits_four_pages():
    plans = ["single-stage-with-stop-rule", "three-stage-posterior-anterior-posterior"]
    scenario = load_scenario("seed-case", plans)
    summary = family_summary(scenario, build_comparison(scenario, plans, 100, 3), "2026-03-04")
    text, pages = _text(build_report(summary))
    assert pages <= 4
    assert "split into two if the agreed limits are reached" in text and "across all 3 operations" in text


def test_the_default_handout_of_the_seed_case_states_the_honest_range(two_plans):
    """The stored posterior is the default: the seed case's handout says how sure the estimate is with the honest
    range (parameter and centre uncertainty), wider than the Monte Carlo interval, and never 'give or take'."""
    _, summary = two_plans  # built with no posterior named: the default
    assert "centre like those published" in summary.provenance.line
    risk = summary.plans[0].main[0]
    assert risk.high - risk.low > 2 * 1.96 * risk.mcse
    text, _ = _text(build_report(summary))
    assert f"from {round(100 * risk.low)} to {round(100 * risk.high)} in 100" in text
    assert "give or take" not in text
