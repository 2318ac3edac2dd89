"""The one-click board PDF (A4 landscape, two pages) and the CSV tables of the tumour-board page.

Page 1: the patient, the plans (colour and shape as on screen), the decision table for the pair the
board picked and the at-a-glance chart; page 2: the key risks, the operation-and-stay table, the
plans' clinical descriptions and the disclaimer. The provenance line is at the foot of both pages.
Every table is the page's own (``tables``, ``decision``) and every string comes from
``simulation.present.formats``.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
from fpdf.enums import XPos, YPos

from simulation import Scenario
from simulation.present.formats import (
    BOARD_INTERVAL_NOTE,
    BOARD_TITLE,
    DISCLAIMER,
    RANGES_KEY,
    column_dictionary,
    honest_caption,
    interval_name,
    patient_line,
    provenance_line,
    short_labels,
)

from .. import charts
from ..pdf import FONT_DIR, GREY, HEADINGS, ReportPDF
from . import charts as compare_charts
from . import decision, tables
from .view import Comparison

CHART_W = 150  # mm: the at-a-glance chart on page 1 (the right half of a landscape page)
MARKS = {"circle": "●", "square": "■", "triangle-up": "▲", "diamond": "◆", "cross": "✚", "triangle-down": "▼",
         "wedge": "◀", "arrow": "➤"}


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))


def _table(pdf: ReportPDF, frame: pd.DataFrame, widths: tuple[float, ...], size: float = 8.5) -> None:
    """A formatted frame as a table with a heading row (strings as the page shows them)."""
    pdf.use(size)
    pdf.set_fill_color(255, 255, 255)
    with pdf.table(col_widths=widths, width=min(sum(widths), pdf.epw), align="LEFT", line_height=size * 0.45, padding=0.9,
                   headings_style=HEADINGS, first_row_as_headings=True, text_align="LEFT",
                   borders_layout="HORIZONTAL_LINES") as table:
        head = table.row()
        for name in frame.columns:
            head.cell(pdf.text_of(str(name)))
        for values in frame.itertuples(index=False):
            row = table.row()
            for value in values:
                row.cell(pdf.text_of(str(value)))


def _plans(pdf: ReportPDF, c: Comparison, width: float) -> None:
    pdf.para("Plans", 11, bold=True)
    for i, (name, label) in enumerate(c.labels.items()):
        mark = MARKS[charts.SHAPES[i % len(charts.SHAPES)]] if pdf.unicode else "-"
        pdf.use(10, bold=True, colour=_rgb(charts.colour(name)))
        pdf.cell(5, 5, mark)
        pdf.use(10)
        pdf.multi_cell(width - 5, 5, pdf.text_of(label), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def board_report(c: Comparison, scenario: Scenario, a: str, b: str, date: str, font_dir: Path = FONT_DIR) -> bytes:
    """The board's PDF for plans ``a`` vs ``b`` of ``c`` (run on ``scenario``), dated ``date``."""
    provenance = provenance_line(c.version, c.scenario_digest, c.seed, c.replications, date, uncertainty=c.uncertainty_note)
    pdf = ReportPDF(provenance, font_dir, orientation="landscape")
    pdf.set_margins(12, 10, 12)
    pdf.set_auto_page_break(True, margin=14)
    pdf.add_page()
    pdf.para(BOARD_TITLE.format(name=scenario.patient.name), 16, bold=True, height=7.5)
    pdf.para(patient_line(scenario), 10, height=5)
    pdf.ln(2)
    top = pdf.get_y()
    left_w = pdf.epw - CHART_W - 6
    png = charts.export(compare_charts.overview(c, columns=2), "png")
    pdf.image(io.BytesIO(png), x=pdf.l_margin + left_w + 6, y=top, w=CHART_W)
    margin = pdf.r_margin
    pdf.set_right_margin(margin + CHART_W + 6)  # the left column flows beside the chart
    _plans(pdf, c, left_w)
    if len(c.strategies) > 1 and a != b:
        pdf.ln(2)
        pdf.para("Decision", 11, bold=True)
        _table(pdf, decision.decision_table(c, a, b), (left_w * 0.56, left_w * 0.17, left_w * 0.27), size=8)
        pdf.ln(1)
        pdf.para(BOARD_INTERVAL_NOTE.format(interval=interval_name(c.uncertainty_parts))
                 + honest_caption(c.uncertainty_parts, c.uncertainty_note), 7.5, colour=GREY, height=3.6)
    pdf.set_right_margin(margin)
    pdf.set_xy(pdf.l_margin + left_w + 6, pdf.page_break_trigger - 8)
    pdf.use(7.5, colour=GREY)
    pdf.multi_cell(CHART_W, 3.6, pdf.text_of(f"At a glance: {RANGES_KEY}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    pdf.add_page()
    short = short_labels(list(c.labels.values()))
    first = 95
    rest = (pdf.epw - first) / len(c.labels)
    pdf.para(f"Key risks: share of simulated patients ± Monte Carlo standard error (in brackets: the "
             f"{interval_name(c.uncertainty_parts)})", 11, bold=True)
    _table(pdf, tables.risk_table(c).rename(columns=short), (first, *[rest] * len(c.labels)), size=7.5)
    pdf.ln(2.5)
    pdf.para("Operation and stay: median (5th–95th percentile) of simulated patients", 11, bold=True)
    outcomes = tables.outcome_table(c)
    typical = outcomes[outcomes.Statistic.str.startswith("median")].drop(columns="Statistic").rename(columns=short)
    _table(pdf, typical, (first, *[rest] * len(c.labels)), size=7.5)
    pdf.ln(2)
    for name, label in c.labels.items():
        pdf.para(f"{label}: {scenario.strategy(name).description}", 7, colour=GREY, height=3.2)
    pdf.ln(1)
    pdf.para(DISCLAIMER, 8, bold=True, height=3.8)
    return bytes(pdf.output())


def csv_tables(c: Comparison, a: str, b: str) -> dict[str, bytes]:
    """The page's tables as CSV files, as formatted on screen: decision (plans ``a`` vs ``b``), outcomes, risks,
    how often the worst cases happen."""
    frames = {"outcomes": tables.outcome_table(c), "risks": tables.risk_table(c), "worst-cases": tables.exceedance_table(c)}
    if len(c.strategies) > 1 and a != b:
        frames = {"decision": decision.decision_table(c, a, b), **frames}
    return {name: frame.to_csv(index=False).encode() for name, frame in frames.items()}


def dictionary_csv(columns: list[str], scenario: Scenario) -> bytes:
    """What each column of a records or stages download means, with the complication severity codes."""
    return pd.DataFrame(column_dictionary(columns, scenario)).to_csv(index=False).encode()
