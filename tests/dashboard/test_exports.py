"""Self-explaining exports of the tumour-board page: every chart file carries the plans' key, the
patient and the provenance; the board PDF (two landscape pages); the tables as CSV; the column file
with the complication severity codes."""

import html
import io
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
from pypdf import PdfReader

from dashboard import charts
from dashboard.compare import board, decision
from dashboard.compare import charts as compare_charts
from simulation.present.formats import MAIN_STRATEGIES, interval_name, patient_line, provenance_line

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def _svg_text(svg: bytes) -> str:
    """The text an SVG shows, one string (vl-convert writes a line as a <text>, or a <tspan> of one)."""
    return " ".join(html.unescape(t) for t in re.findall(r"<(?:text|tspan)[^>]*>([^<]+)<", svg.decode()))


def test_every_chart_export_carries_its_key_the_patient_and_the_provenance(comparison, scenario):
    catalogue = compare_charts.catalogue(comparison, scenario, MAIN_STRATEGIES[0])
    assert len(catalogue) >= 3 * 8 + 1 + len(MAIN_STRATEGIES)  # three kinds x eight outcomes, differences, timelines
    provenance = provenance_line(comparison.version, comparison.scenario_digest, 2018, 200, uncertainty=comparison.uncertainty_note)
    for name, build in catalogue.items():
        text = _svg_text(charts.export(build(), "svg"))
        shown = [label for strategy, label in comparison.labels.items()
                 if not name.startswith("Typical operation") or name.endswith(label)]
        assert shown and all(label in text for label in shown), name
        assert "Plans" in text and provenance in text, name
        assert f"{scenario.patient.name}: {patient_line(scenario)}" in text, name


def test_a_timeline_export_keeps_the_screen_colours_of_each_stage(comparison, scenario):
    """Stages are stacked with independent colour scales: a stage without a repair must not shift the
    colours of the next (a shared scale gave the surgical phases the repair colour)."""
    staged = MAIN_STRATEGIES[2]
    spec = compare_charts.catalogue(comparison, scenario, MAIN_STRATEGIES[0])[f"Typical operation: {comparison.labels[staged]}"]()
    spec = spec.to_dict()
    assert spec["vconcat"][0]["resolve"]["scale"]["color"] == "independent"
    for stage in spec["vconcat"][0]["vconcat"]:
        gantt = stage["layer"][2]["encoding"]["color"]["scale"]
        for name, colour in zip(gantt["domain"], gantt["range"]):
            expected = {"Surgical phase": charts.colour(staged)}.get(name) or next(
                c for label, c in charts.TIMELINE_KINDS.values() if label == name)
            assert colour == expected, name


def test_the_board_pdf_is_two_landscape_pages_with_everything_the_board_reads(comparison, scenario):
    a, b = decision.default_pair(comparison)
    data = board.board_report(comparison, scenario, a, b, "2026-11-29")
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 2
    for page in reader.pages:
        assert page.mediabox.width > page.mediabox.height  # landscape
    first, second = (" ".join(p.extract_text().split()) for p in reader.pages)
    assert scenario.patient.name in first and "Hb 12.0 g/dL" in first
    for label in comparison.labels.values():
        assert label in first
    for sentence in decision.decision_sentences(comparison, a, b):
        words = sentence.split(": ", 1)[1].split(" (")[0]  # the difference in words, without the plans
        assert words in first, words
    assert interval_name(comparison.uncertainty_parts) in first and "Key risks" in second and "Wound infection" in second
    assert len(reader.pages[0].images) == 1  # the at-a-glance chart
    provenance = provenance_line(comparison.version, comparison.scenario_digest, 2018, 200, "2026-11-29",
                                 uncertainty=comparison.uncertainty_note)
    assert provenance in first and provenance in second
    if shutil.which("pdftoppm"):  # the pages as pictures, to look at
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "board-report.pdf").write_bytes(data)
        subprocess.run(["pdftoppm", "-r", "80", "-png", str(ARTIFACTS / "board-report.pdf"), str(ARTIFACTS / "board-report")],
                       check=True, timeout=60)
        assert (ARTIFACTS / "board-report-1.png").is_file()


def test_tables_download_as_csv_as_shown(comparison):
    a, b = decision.default_pair(comparison)
    found = board.csv_tables(comparison, a, b)
    assert list(found) == ["decision", "outcomes", "risks", "worst-cases"]
    risks = pd.read_csv(io.BytesIO(found["risks"]))
    assert list(risks.columns) == ["Risk", *comparison.labels.values()]
    assert risks.Risk.str.contains("Wound infection").any()
    assert risks.iloc[0, 1].endswith("%") is False and "±" in risks.iloc[0, 1]
    table = decision.decision_table(comparison, a, b)
    assert pd.read_csv(io.BytesIO(found["decision"])).equals(table)
    assert "decision" not in board.csv_tables(comparison, a, a)


def test_the_column_file_documents_every_column_and_the_severity_codes(comparison, scenario):
    columns = [*comparison.records.columns, *comparison.stages.columns]
    meaning = pd.read_csv(io.BytesIO(board.dictionary_csv(columns, scenario)), keep_default_na=False)
    assert list(meaning.Column) == columns
    assert (meaning.Meaning != "").all(), meaning[meaning.Meaning == ""]
    infection = meaning.set_index("Column").loc["complication_wound_infection"]
    assert infection.Values == "0 = none, 1 = minor, 2 = major"
    assert "within 30 days" in infection.Meaning
    assert meaning.set_index("Column").loc["death", "Values"] == "1 = yes, 0 = no"
