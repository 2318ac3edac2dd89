"""Small Streamlit pieces every page uses: the disclaimer, the strategy legend, issue lists."""

from __future__ import annotations

import html

import streamlit as st

from simulation import ScenarioError
from simulation.present.formats import DISCLAIMER

from .charts import colour
from .uploads import issue_text

CSS = """
<style>
  .rs-disclaimer {font-size: 0.85rem; color: #555; border-left: 4px solid #E69F00;
                  padding: 0.2rem 0.6rem; margin: 0 0 0.8rem 0;}
  .rs-legend {display: flex; flex-wrap: wrap; gap: 0.4rem 1.4rem; margin: 0.2rem 0 0.8rem 0;}
  .rs-chip {display: inline-flex; align-items: center; gap: 0.45rem; font-size: 1.0rem;}
  .rs-swatch {width: 1.1rem; height: 1.1rem; border-radius: 3px; display: inline-block;}
  .rs-big {font-size: 1.35rem; line-height: 1.5;}
</style>
"""


def style() -> None:
    st.html(CSS)


def disclaimer() -> None:
    st.html(f'<div class="rs-disclaimer">{html.escape(DISCLAIMER)}</div>')


def legend(labels: dict[str, str]) -> None:
    """Coloured chips naming each strategy: the key to every chart and table on the page."""
    chips = "".join(
        f'<span class="rs-chip"><span class="rs-swatch" style="background:{colour(name)}"></span>{html.escape(label)}</span>'
        for name, label in labels.items()
    )
    st.html(f'<div class="rs-legend">{chips}</div>')


def show_issues(exc: ScenarioError) -> None:
    """One ``st.error`` per issue, naming the file and field."""
    for issue in exc.issues:
        st.error(f"{issue.file}: {issue_text(issue)}")


def inputs_not_ready() -> None:
    st.warning("Fix the highlighted inputs in the sidebar to see results.", icon=":material/edit:")
