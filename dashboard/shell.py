"""The frame around every page: page config, style, the shared sidebar and the disclaimer.

``app.py`` draws it before running the selected page (pages live in ``views/``, not in a
``pages/`` folder, so Streamlit never runs a page without ``app.py``); a page reads the
sidebar's inputs with ``state.inputs()``.
"""

from __future__ import annotations

import streamlit as st

from . import sidebar, state, ui


def draw() -> None:
    st.set_page_config(page_title="ResectSim", page_icon=":material/monitor_heart:", layout="wide")
    state.keep_page_widgets()
    ui.style()
    sidebar.render()
    ui.disclaimer()
