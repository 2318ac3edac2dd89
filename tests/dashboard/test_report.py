"""The printable family report: text extracted with pypdf names the plans, risks as N in 100,
and carries the provenance line; it fits on two pages."""

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


def test_report_names_both_plans_risks_and_provenance(two_plans):
    scenario, summary = two_plans
    pdf = build_report(summary)
    assert pdf.startswith(b"%PDF")
    text, pages = _text(pdf)
    assert pages <= 2
    for label in ("Single stage, three exposures", "Two stages, posterior then anterior"):
        assert label in text
    assert len(re.findall(r"\b(about \d{1,3}|fewer than 1|more than 99) in 100\b", text)) >= 2 * (4 + 7)
    assert f"ResectSim {simulation.__version__}" in text
    assert f"scenario {scenario.digest()}" in text
    assert "seed 2018" in text and "300 simulated operations per plan" in text and "2026-03-04" in text
    assert "not a validated clinical prediction rule" in text
    assert "What these numbers mean" in text
    # every main risk with its Monte Carlo error, and the largest error of any number in a line
    for plan in summary.plans:
        for risk in plan.main:
            assert risk.margin in text
    assert summary.chance_note in text


def test_report_without_the_unicode_font_uses_latin1(two_plans, tmp_path):
    _, summary = two_plans
    text, pages = _text(build_report(summary, font_dir=tmp_path))
    assert pages <= 2
    assert "Two stages, posterior then anterior" in text
    assert "ResectSim" in text and "seed 2018" in text


def test_single_plan_report():
    scenario = load_scenario("adult-primary", ["posterior-only"])
    summary = family_summary(scenario, build_comparison(scenario, ["posterior-only"], 200, 5), "2026-03-04")
    text, pages = _text(build_report(summary))
    assert pages <= 2
    assert "Posterior only (one stage)" in text and "for an adult like this one" in text


def test_the_wordiest_pair_still_fits_two_pages():
    plans = ["single-stage-with-stop-rule", "three-stage-posterior-anterior-posterior"]
    scenario = load_scenario("seed-case", plans)
    summary = family_summary(scenario, build_comparison(scenario, plans, 100, 3), "2026-03-04")
    text, pages = _text(build_report(summary))
    assert pages == 2
    assert "split into two if the agreed limits are reached" in text and "across all 3 operations" in text
