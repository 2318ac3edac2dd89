"""The frame around every page: page config, style, the shared sidebar and the disclaimer.

``app.py`` draws it before running the selected page (pages live in ``views/``, not in a
``pages/`` folder, so Streamlit never runs a page without ``app.py``); a page reads the
sidebar's inputs with ``state.inputs()``.
"""

from __future__ import annotations

import streamlit as st

from . import sidebar, state, ui


def draw() -> None:
    # the sidebar (patient form, settings) starts folded so that a projector shows the decision; » opens it
    st.set_page_config(page_title="ResectSim", page_icon=":material/monitor_heart:", layout="wide",
                       initial_sidebar_state="collapsed")
    state.keep_page_widgets()
    ui.style()
    sidebar.render()
    ui.disclaimer()
