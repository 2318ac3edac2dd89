"""The printable family report (A4, one or two pages): ``build_report(summary) -> PDF bytes``.

It draws a ``family.FamilySummary`` (plain strings and numbers) with fpdf2: the patient, each
plan's operations, operating time, time under anaesthesia and hospital stay, icon arrays of 100 figures for
the main risks, each with its Monte Carlo "give or take", the other complications as "N in 100",
what the numbers mean and do not mean (with the largest Monte Carlo error), and the provenance
line on every page. It never sees the model.
"""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from simulation.present.formats import DISCLAIMER

from .family import HOW_LONG, MEANING, FamilySummary, Plan, Risk

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")  # fonts-dejavu-core (.ci/run installs it)
INK, GREY, LIGHT, RULE = (25, 25, 25), (95, 95, 95), (217, 217, 217), (230, 159, 0)
FIGURE_W, FIGURE_H, GAP_X, GAP_Y = 2.1, 3.0, 0.6, 0.42  # one figure of an icon array, mm
HEADINGS = FontFace(emphasis="BOLD", color=INK, fill_color=(242, 242, 242))
ARRAY_W, ARRAY_H = 10 * FIGURE_W + 9 * GAP_X, 10 * FIGURE_H + 9 * GAP_Y


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


class _Report(FPDF):
    def __init__(self, provenance: str, font_dir: Path):
        super().__init__(format="A4")
        self.provenance = provenance
        self.unicode = (font_dir / "DejaVuSans.ttf").is_file() and (font_dir / "DejaVuSans-Bold.ttf").is_file()
        if self.unicode:
            self.add_font("body", "", str(font_dir / "DejaVuSans.ttf"))
            self.add_font("body", "B", str(font_dir / "DejaVuSans-Bold.ttf"))
        self.set_margins(15, 14, 15)
        self.set_auto_page_break(True, margin=18)

    def text_of(self, text: str) -> str:
        """Text the current font can show (Helvetica is Latin-1 only)."""
        if self.unicode:
            return text
        return text.replace("–", "-").replace("·", "-").replace("’", "'").encode("latin-1", "replace").decode("latin-1")

    def use(self, size: float, bold: bool = False, colour=INK) -> None:
        self.set_font("body" if self.unicode else "helvetica", "B" if bold else "", size)
        self.set_text_color(*colour)

    def para(self, text: str, size: float = 10, bold: bool = False, colour=INK, height: float | None = None) -> None:
        self.use(size, bold, colour)
        self.multi_cell(0, height or size * 0.48, self.text_of(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")

    def heading(self, text: str) -> None:
        self.ln(3)
        self.para(text, 13, bold=True)
        self.ln(1)

    def footer(self) -> None:
        self.set_y(-13)
        self.use(7.5, colour=GREY)
        self.cell(0, 4, self.text_of(f"{self.provenance} · page {self.page_no()} of {{nb}}"))

    def figure(self, x: float, y: float, filled: bool, colour: tuple[int, int, int]) -> None:
        """One person: a round head over a rounded body."""
        self.set_fill_color(*(colour if filled else LIGHT))
        head = FIGURE_W * 0.62
        self.ellipse(x + (FIGURE_W - head) / 2, y, head, head, style="F")
        self.rect(x, y + head + 0.15, FIGURE_W, FIGURE_H - head - 0.15, style="F", round_corners=True, corner_radius=0.5)

    def icon_array(self, x: float, y: float, affected: int, colour: tuple[int, int, int]) -> None:
        for i in range(100):
            row, col = divmod(i, 10)
            self.figure(x + col * (FIGURE_W + GAP_X), y + row * (FIGURE_H + GAP_Y), i < affected, colour)

    def ensure(self, height: float) -> None:
        if self.get_y() + height > self.page_break_trigger:
            self.add_page()


def _plans(pdf: _Report, plans: tuple[Plan, ...]) -> None:
    pdf.heading("The plans" if len(plans) > 1 else "The plan")
    for plan in plans:
        y = pdf.get_y()
        pdf.set_fill_color(*_rgb(plan.colour))
        pdf.rect(pdf.l_margin, y + 0.8, 4, 4, style="F")
        pdf.set_x(pdf.l_margin + 6)
        pdf.use(11, bold=True)
        pdf.multi_cell(0, 5.6, pdf.text_of(plan.label), new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")
        pdf.set_x(pdf.l_margin + 6)
        pdf.use(9.5, colour=GREY)
        pdf.multi_cell(0, 4.6, pdf.text_of(plan.description), new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")
        pdf.ln(1.5)


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
    pdf.heading(f"The main risks, out of 100 {summary.people} like this one")
    plans = summary.plans
    column = pdf.epw / len(plans)
    for i in range(len(plans[0].main)):
        risks: list[Risk] = [plan.main[i] for plan in plans]
        shared = len({r.time_frame for r in risks}) == 1
        pdf.ensure(ARRAY_H + 16)
        pdf.para(risks[0].label, 11, bold=True)
        if shared:
            pdf.para(risks[0].time_frame, 9, colour=GREY)
        top = pdf.get_y() + 1.5
        for k, plan in enumerate(plans):
            r = plan.main[i]
            x = pdf.l_margin + k * column
            pdf.icon_array(x, top, r.per_100, _rgb(plan.colour))
            pdf.set_xy(x + ARRAY_W + 4, top + 6)
            pdf.use(16, bold=True)
            pdf.multi_cell(column - ARRAY_W - 6, 7, pdf.text_of(r.words), new_x=XPos.LEFT, new_y=YPos.NEXT, align="L")
            pdf.set_x(x + ARRAY_W + 4)
            pdf.use(8, colour=GREY)
            pdf.multi_cell(column - ARRAY_W - 6, 4.0, pdf.text_of(r.margin), new_x=XPos.LEFT, new_y=YPos.NEXT, align="L")
            pdf.set_x(x + ARRAY_W + 4)
            pdf.use(9, colour=GREY)
            caption = plan.label if shared else f"{plan.label}, {r.time_frame}"
            pdf.multi_cell(column - ARRAY_W - 6, 4.3, pdf.text_of(caption), new_x=XPos.LEFT, new_y=YPos.NEXT, align="L")
        pdf.set_y(top + ARRAY_H + 2.5)


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
    pdf.para(summary.chance_note, 8, colour=GREY, height=3.6)


def build_report(summary: FamilySummary, font_dir: Path = FONT_DIR) -> bytes:
    """The family report as PDF bytes (in DejaVu Sans when ``font_dir`` has it, else Latin-1 Helvetica)."""
    pdf = _Report(summary.provenance.line, font_dir)
    pdf.add_page()
    pdf.para("Planning the operation", 20, bold=True, height=9)
    one = "an adult" if summary.people == "adults" else "a child"
    pdf.para(f"What a computer simulation suggests for {one} like this one", 12, colour=GREY, height=6)
    pdf.ln(2)
    pdf.para(f"Patient: {summary.patient}", 10, height=4.8)
    pdf.ln(2)
    y = pdf.get_y()
    pdf.set_x(pdf.l_margin + 3)
    pdf.para(DISCLAIMER, 9, colour=GREY, height=4.4)
    pdf.set_fill_color(*RULE)
    pdf.rect(pdf.l_margin, y, 1.2, pdf.get_y() - y, style="F")
    _plans(pdf, summary.plans)
    _how_long(pdf, summary.plans)
    _main_risks(pdf, summary)
    _other_risks(pdf, summary)
    _meaning(pdf, summary)
    return bytes(pdf.output())
