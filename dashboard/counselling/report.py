"""The printable family handout (A4): ``build_report(summary) -> PDF bytes``.

It draws a ``family.FamilySummary`` (plain strings and numbers) with fpdf2, in plain words: the
patient, each plan, how long, icon arrays of 100 figures for the main risks (dark figures in
blocks of 25, so that they survive a greyscale printer) with the difference between the plans
under each pair, the other complications as "N in 100", what the numbers mean and how sure they
are, room for the clinician's name and contact, the family's questions and next steps; then a
last section for the surgical team with the clinical wording. A printed warning when fewer than
``STEADY_REPLICATIONS`` operations were simulated; the provenance line on every page. It never
sees the model.
"""

from __future__ import annotations

from pathlib import Path

from fpdf.enums import XPos, YPos

from simulation.present.formats import DISCLAIMER, FAMILY_DISCLAIMER, ROUGH_WARNING

from ..pdf import FONT_DIR, GREY, HEADINGS, ReportPDF
from .family import DEFICIT_HEADING, DEFICIT_INTRO, HOW_LONG, MEANING, STEADY_REPLICATIONS, FamilySummary, Plan, Risk

RULE = (230, 159, 0)
FIGURE_W, FIGURE_H, GAP_X, GAP_Y, BLOCK = 2.1, 3.0, 0.6, 0.42, 1.2  # one figure of an icon array; gap between blocks, mm
ARRAY_W, ARRAY_H = 10 * FIGURE_W + 9 * GAP_X + BLOCK, 10 * FIGURE_H + 9 * GAP_Y + BLOCK
AFFECTED, OUTLINE = (30, 30, 30), (120, 120, 120)  # dark figures on white: they survive greyscale printing


class _Report(ReportPDF):
    """The family handout's page: the shared report page with the icon-array figures."""

    def figure(self, x: float, y: float, filled: bool) -> None:
        """One person: a round head over a rounded body; dark when affected, outlined when not."""
        self.set_fill_color(*(AFFECTED if filled else (255, 255, 255)))
        self.set_draw_color(*(AFFECTED if filled else OUTLINE))
        self.set_line_width(0.15)
        head = FIGURE_W * 0.62
        self.ellipse(x + (FIGURE_W - head) / 2, y, head, head, style="DF")
        self.rect(x, y + head + 0.15, FIGURE_W, FIGURE_H - head - 0.15, style="DF", round_corners=True, corner_radius=0.5)

    def icon_array(self, x: float, y: float, affected: int) -> None:
        """100 figures in four blocks of 25 (5 x 5), the first ``affected`` dark."""
        for i in range(100):
            row, col = divmod(i, 10)
            self.figure(x + col * (FIGURE_W + GAP_X) + BLOCK * (col >= 5), y + row * (FIGURE_H + GAP_Y) + BLOCK * (row >= 5),
                        i < affected)


def _plans(pdf: _Report, plans: tuple[Plan, ...]) -> None:
    pdf.heading("The plans" if len(plans) > 1 else "The plan")
    for plan in plans:
        pdf.set_x(pdf.l_margin + 6)
        pdf.use(11, bold=True)
        pdf.multi_cell(0, 5.6, pdf.text_of(plan.label), new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")
        pdf.set_x(pdf.l_margin + 6)
        pdf.use(9.5, colour=GREY)
        pdf.multi_cell(0, 4.6, pdf.text_of(plan.description), new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")
        pdf.ln(1.5)


def _deficit(pdf: _Report, summary: FamilySummary) -> None:
    """The planned deficit from nerve roots cut on purpose: certain, before any risk."""
    if not summary.deficit:
        return
    pdf.heading(DEFICIT_HEADING)
    pdf.para(DEFICIT_INTRO, 10, height=4.8)
    for line in summary.deficit:
        pdf.para(f"•  {line}" if pdf.unicode else f"-  {line}", 9.5, height=4.5)
    pdf.ln(1)


def _how_long(pdf: _Report, plans: tuple[Plan, ...]) -> None:
    pdf.heading("How long")
    pdf.use(9.5)
    pdf.set_fill_color(255, 255, 255)
    first = 44
    rest = (pdf.epw - first) / len(plans)
    with pdf.table(col_widths=(first, *[rest] * len(plans)), line_height=4.8, padding=1.2,
                   headings_style=HEADINGS, first_row_as_headings=True, text_align="LEFT", borders_layout="HORIZONTAL_LINES") as table:
        head = table.row()
        head.cell("")
        for plan in plans:
            head.cell(pdf.text_of(plan.label))
        for title, attr in HOW_LONG:
            row = table.row()
            row.cell(title)
            for plan in plans:
                row.cell(pdf.text_of(getattr(plan, attr)))


def _main_risks(pdf: _Report, summary: FamilySummary) -> None:
    pdf.heading(f"The main risks, out of 100 {summary.people} like this one", keep=ARRAY_H + 22)  # with its first pair
    plans = summary.plans
    column = pdf.epw / len(plans)
    for i in range(len(plans[0].main)):
        risks: list[Risk] = [plan.main[i] for plan in plans]
        shared = len({r.time_frame for r in risks}) == 1
        pdf.ensure(ARRAY_H + 22)
        pdf.para(risks[0].label, 11, bold=True)
        if shared:
            pdf.para(risks[0].time_frame, 9, colour=GREY)
        top = pdf.get_y() + 1.5
        for k, plan in enumerate(plans):
            r = plan.main[i]
            x = pdf.l_margin + k * column
            pdf.icon_array(x, top, r.per_100)
            pdf.set_xy(x + ARRAY_W + 4, top + 6)
            pdf.use(16, bold=True)
            pdf.multi_cell(column - ARRAY_W - 6, 7, pdf.text_of(r.words), new_x=XPos.LEFT, new_y=YPos.NEXT, align="L")
            pdf.set_x(x + ARRAY_W + 4)
            pdf.use(9, colour=GREY)
            caption = plan.label if shared else f"{plan.label}, {r.time_frame}"
            pdf.multi_cell(column - ARRAY_W - 6, 4.3, pdf.text_of(caption), new_x=XPos.LEFT, new_y=YPos.NEXT, align="L")
        pdf.set_y(top + ARRAY_H + 2.5)
        difference = summary.difference(i)
        if difference:
            pdf.para(f"{difference}.", 10.5, bold=True)
            pdf.ln(1)
    pdf.ensure(20)
    pdf.para(summary.how_sure, 9.5, height=4.5)


def _other_risks(pdf: _Report, summary: FamilySummary) -> None:
    plans = summary.plans
    pdf.ensure(12 + 6 * len(plans[0].others))
    pdf.heading(f"Other things that can happen, out of 100 {summary.people}")
    pdf.use(8.5)
    pdf.set_fill_color(255, 255, 255)
    first, when = 68, 40
    rest = (pdf.epw - first - when) / len(plans)
    with pdf.table(col_widths=(first, when, *[rest] * len(plans)), line_height=4.0, padding=0.8,
                   headings_style=HEADINGS, first_row_as_headings=True, text_align="LEFT", borders_layout="HORIZONTAL_LINES") as table:
        head = table.row()
        for text in ("", "When", *(p.label for p in plans)):
            head.cell(pdf.text_of(text))
        for i, risk in enumerate(plans[0].others):
            row = table.row()
            row.cell(pdf.text_of(risk.label))
            row.cell(pdf.text_of(risk.time_frame))
            for plan in plans:
                row.cell(pdf.text_of(plan.others[i].words))


def _meaning(pdf: _Report, summary: FamilySummary) -> None:
    pdf.ensure(50)
    pdf.heading("What these numbers mean, and what they don't")
    for line in MEANING:
        pdf.para(f"•  {line}" if pdf.unicode else f"-  {line}", 9, height=4.3)
        pdf.ln(0.4)
    pdf.ln(1)
    pdf.para(summary.how_made, 9, colour=GREY, height=4.3)


WRITE_IN = (("Your questions", 5), ("Next steps", 4))  # side by side, ruled lines 7 mm apart
CARE_TEAM_MM = 11 + 2 * 13 + 11 + 7 * max(n for _, n in WRITE_IN)  # heading, two labelled lines, the columns


def _care_team(pdf: _Report) -> None:
    """Room to write, kept on one page: who to call, then the family's questions and the next steps side by side."""
    pdf.ensure(CARE_TEAM_MM)
    pdf.heading("Your care team")
    for label in ("Name of the doctor or nurse", "How to reach them"):
        pdf.para(f"{label}:", 10, bold=True)
        pdf.ln(6)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + pdf.epw, pdf.get_y())
        pdf.ln(2)
    top, gap = pdf.get_y() + 3, 8.0
    width, bottom = (pdf.epw - gap) / 2, 0.0
    for k, (title, lines) in enumerate(WRITE_IN):
        x = pdf.l_margin + k * (width + gap)
        pdf.set_xy(x, top)
        pdf.use(13, bold=True)
        pdf.cell(width, 6.2, pdf.text_of(title))
        y = top + 7.2
        for _ in range(lines):
            y += 7
            pdf.line(x, y, x + width, y)
        bottom = max(bottom, y)
    pdf.set_xy(pdf.l_margin, bottom)


def _for_the_team(pdf: _Report, summary: FamilySummary) -> None:
    """The clinical wording, last and apart: the patient line and each plan as the board wrote it."""
    pdf.add_page()
    pdf.heading("For the surgical team")
    pdf.para(f"Patient: {summary.patient_clinical}", 9, height=4.4)
    pdf.ln(1)
    for plan in summary.plans:
        pdf.para(f"{plan.label} = {plan.clinical_label}: {plan.clinical_description}", 9, height=4.4)
        pdf.ln(1)
    pdf.para(DISCLAIMER, 8.5, colour=GREY, height=4.2)


def build_report(summary: FamilySummary, font_dir: Path = FONT_DIR) -> bytes:
    """The family report as PDF bytes (in DejaVu Sans when ``font_dir`` has it, else Latin-1 Helvetica)."""
    pdf = _Report(summary.provenance.line, font_dir)
    pdf.add_page()
    pdf.para("Planning the operation", 20, bold=True, height=9)
    one = "an adult" if summary.people == "adults" else "a child"
    pdf.para(f"What a computer simulation suggests for {one} like this one", 12, colour=GREY, height=6)
    pdf.ln(2)
    if summary.rough:
        pdf.para(ROUGH_WARNING.format(n=summary.provenance.replications, steady=STEADY_REPLICATIONS), 11, bold=True, height=5.4)
        pdf.ln(1)
    pdf.para(summary.patient, 10.5, height=5)
    pdf.ln(2)
    y = pdf.get_y()
    pdf.set_x(pdf.l_margin + 3)
    pdf.para(FAMILY_DISCLAIMER, 9.5, colour=GREY, height=4.5)
    pdf.set_fill_color(*RULE)
    pdf.rect(pdf.l_margin, y, 1.2, pdf.get_y() - y, style="F")
    _plans(pdf, summary.plans)
    _deficit(pdf, summary)
    _how_long(pdf, summary.plans)
    _main_risks(pdf, summary)
    _other_risks(pdf, summary)
    _meaning(pdf, summary)
    _care_team(pdf)
    _for_the_team(pdf, summary)
    return bytes(pdf.output())
