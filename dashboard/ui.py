"""Small Streamlit pieces every page uses: the disclaimer, the strategy legend, issue lists."""

from __future__ import annotations

import html

import streamlit as st

from simulation import ScenarioError
from simulation.present.formats import DISCLAIMER

from .charts import SHAPES, colour
from .uploads import issue_text

CSS = """
<style>
  .rs-disclaimer {font-size: 0.8rem; color: #444; border-left: 4px solid #E69F00;
                  padding: 0 0.6rem; margin: 0;}
  .rs-legend {display: flex; flex-wrap: wrap; gap: 0.4rem 1.4rem; margin: 0.2rem 0 0.8rem 0;}
  .rs-chip {display: inline-flex; align-items: center; gap: 0.45rem; font-size: 1.0rem;}
  .rs-swatch {width: 1.1rem; height: 1.1rem; border-radius: 3px; display: inline-block;}
  .rs-big {font-size: 1.35rem; line-height: 1.5;}
  .rs-head {display: flex; align-items: baseline; gap: 1rem; margin: 0; min-width: 0;}
  .rs-head h1 {font-size: 1.35rem; font-weight: 700; margin: 0; padding: 0; color: #111; white-space: nowrap;}
  .rs-head .rs-patient {font-size: 1.0rem; color: #111; white-space: nowrap; overflow: hidden; text-overflow: ellipsis;
                        min-width: 0;}
  @media (max-width: 640px) {  /* a phone: the patient line wraps instead of being cut */
    .rs-head {flex-wrap: wrap;} .rs-head .rs-patient {white-space: normal;}
  }
  .rs-prov {font-size: 0.85rem; color: #444;}
  .rs-vs {font-size: 1.2rem; font-weight: 700; text-align: center; padding-bottom: 0.4rem;}
  /* the board on a projector: less padding, dark large type in tables */
  .block-container, [data-testid="stMainBlockContainer"] {padding-top: 3.5rem; padding-bottom: 2rem;}
  [data-testid="stMainBlockContainer"] [data-testid="stVerticalBlock"] {gap: 0.6rem;}
  [data-testid="stTable"] td, [data-testid="stTable"] th {padding: 0.25rem 0.5rem; max-width: none !important;}
  [data-testid="stTable"] td [data-testid="stMarkdownContainer"] {max-width: none !important; width: auto !important;}
  [data-testid="stTable"] td, [data-testid="stTable"] th {font-size: 1.02rem; color: #111;}
  @media (min-width: 1000px) {  /* the board's figures with their intervals on one line; labels (first column) wrap */
    .st-key-compare_tab [data-testid="stTable"] td:not(:first-child) * {white-space: nowrap !important;}
  }
  /* a chart wider than the page (the six-panel overview beside an open sidebar) shrinks to fit: no cut panels */
  [data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg.marks {max-width: 100%; height: auto !important;}
  /* While a run goes, Streamlit fades what it will replace (from 0.5 s, over 1 s) and slides the progress bar.
     Without a GPU Chromium redraws the whole page on every frame of those animations, about a fifth of a core
     taken from the run; the page now dims in one step at 0.5 s, and the bar moves without sliding. */
  [data-stale="true"], [role="tablist"] {transition: opacity 0s linear 0.5s !important;}
  [data-testid="stProgressBarTrack"] * {transition: none !important;}
</style>
"""


def style() -> None:
    st.html(CSS)


def disclaimer() -> None:
    st.html(f'<div class="rs-disclaimer">{html.escape(DISCLAIMER)}</div>')


SHAPE_GLYPHS = {"circle": "●", "square": "■", "triangle-up": "▲", "diamond": "◆", "cross": "✚",
                "triangle-down": "▼", "wedge": "◀", "arrow": "➤"}


def legend(labels: dict[str, str], provenance: str = "") -> None:
    """Chips naming each strategy with its colour and marker shape (the charts label their rows too),
    and the provenance line after them."""
    chips = "".join(
        f'<span class="rs-chip"><span style="color:{colour(name)}; font-size:1.25rem">'
        f'{SHAPE_GLYPHS[SHAPES[i % len(SHAPES)]]}</span>{html.escape(label)}</span>'
        for i, (name, label) in enumerate(labels.items())
    )
    prov = f'<span class="rs-prov">{html.escape(provenance)}</span>' if provenance else ""
    st.html(f'<div class="rs-legend">{chips}{prov}</div>')


def header(title: str, patient: str = "", line: str = "") -> None:
    """A one-line page header: the title, then the patient (name in bold, then its line)."""
    text = f"{patient}: {line}" if line else patient
    rest = ": " + html.escape(line) if line else ""
    who = f'<span class="rs-patient" title="{html.escape(text)}"><b>{html.escape(patient)}</b>{rest}</span>' if patient else ""
    st.html(f'<div class="rs-head"><h1>{html.escape(title)}</h1>{who}</div>')


def out_of_date() -> None:
    st.warning("**Out of date**: the inputs have changed since these results were simulated. "
               "Press **Run** to simulate the new ones.", icon=":material/history:")


def run_cancelled() -> None:
    st.info("**Run cancelled.** Press **Run** to simulate again.", icon=":material/stop_circle:")


def show_issues(exc: ScenarioError) -> None:
    """One ``st.error`` per issue, naming the file and field."""
    for issue in exc.issues:
        st.error(f"{issue.file}: {issue_text(issue)}")


def inputs_not_ready() -> None:
    st.warning("Fix the highlighted inputs in the sidebar to see results.", icon=":material/edit:")
