"""The page every printed report of the dashboard shares (fpdf2, A4): DejaVu when installed (else Helvetica,
Latin-1 only), margins, paragraph and heading helpers, and the provenance line in every footer."""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")  # fonts-dejavu-core (.ci/run installs it)
INK, GREY = (25, 25, 25), (95, 95, 95)
KEEP_WITH_HEADING = 10.0  # mm (about two lines) of a section's content kept on the page of its heading
HEADINGS = FontFace(emphasis="BOLD", color=INK, fill_color=(242, 242, 242))


class ReportPDF(FPDF):
    """An A4 report whose every page carries ``provenance`` in its footer."""

    def __init__(self, provenance: str, font_dir: Path, orientation: str = "portrait"):
        super().__init__(orientation=orientation, format="A4")
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

    def heading(self, text: str, keep: float = KEEP_WITH_HEADING) -> None:
        """A section heading, on a new page unless ``keep`` mm of what follows fit under it (never alone at a foot)."""
        self.ensure(11 + keep)
        self.ln(3)
        self.para(text, 13, bold=True)
        self.ln(1)

    def footer(self) -> None:
        """The provenance line on every page, wrapped inside the margins (never cut off at the edge)."""
        self.set_y(-15)
        self.use(7.5, colour=GREY)
        self.multi_cell(0, 3.4, self.text_of(f"{self.provenance} · page {self.page_no()} of {{nb}}"))

    def ensure(self, height: float) -> None:
        if self.get_y() + height > self.page_break_trigger:
            self.add_page()
