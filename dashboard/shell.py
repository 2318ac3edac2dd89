"""The frame around every page: page config, style, the shared sidebar and the disclaimer.

``app.py`` draws it before running the selected page. A page calls ``page_inputs()``, which
draws the frame itself when the entry script did not run first: Streamlit runs a page file
directly when a ``pages/`` folder exists and the very first request of a server process (or
an ``AppTest`` rerun) names that page.
"""

from __future__ import annotations

import streamlit as st

from . import sidebar, state, ui

_DRAWN = "frame_drawn"


def draw() -> state.Inputs:
    st.set_page_config(page_title="ResectSim", page_icon=":material/monitor_heart:", layout="wide")
    state.keep_page_widgets()
    ui.style()
    inputs = sidebar.render()
    ui.disclaimer()
    st.session_state[_DRAWN] = True
    return inputs


def forget() -> None:
    """End of a run: the next run starts without a frame."""
    st.session_state.pop(_DRAWN, None)


def page_inputs() -> state.Inputs:
    """The sidebar's inputs for the page being drawn (drawing the frame first if needed)."""
    if not st.session_state.pop(_DRAWN, False):
        draw()
        st.session_state.pop(_DRAWN)
    return state.inputs()
