"""ResectSim dashboard entry point: ``streamlit run dashboard/app.py`` (``make run``).

Navigation, then the frame every page shares (``shell``: sidebar with the patient form,
uploads and run settings; the disclaimer), then the selected page from ``views/``.
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:  # `streamlit run` puts only this folder on the path
    sys.path.insert(0, str(HERE.parent))

import streamlit as st  # noqa: E402

from dashboard import shell, state

PAGES = (
    ("views/1_Compare.py", "Compare strategies", ":material/view_column:"),
    ("views/2_Counselling.py", "Counselling", ":material/family_restroom:"),
    ("views/7_Plans.py", "Edit a plan", ":material/edit_note:"),
    ("views/8_Centre.py", "Your centre", ":material/local_hospital:"),
    ("views/3_Evidence.py", "Evidence and assumptions", ":material/menu_book:"),
    ("views/5_Sweeps.py", "Sweeps", ":material/tune:"),
    ("views/6_Validation.py", "Validation", ":material/fact_check:"),
    ("views/4_About.py", "About", ":material/info:"),
)

if __name__ == "__main__":  # not in a worker process, which imports this file as its main module
    page = st.navigation(
        [st.Page(path, title=title, icon=icon, default=i == 0) for i, (path, title, icon) in enumerate(PAGES)],
        position="top",
    )
    state.warm_workers()  # starts the server's worker processes on the first visit
    shell.draw()
    page.run()
    state.freeze_imports()  # after the first page has imported what it needs
