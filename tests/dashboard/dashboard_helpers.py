"""Helpers for the dashboard tests (a module name no other test folder uses)."""

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "dashboard" / "app.py"
TEST_REPLICATIONS = 200


def no_exceptions(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def charts(at: AppTest) -> list[tuple[dict, list[pd.DataFrame]]]:
    """Each chart drawn in the last run: its Vega-Lite spec and its data sets as frames."""
    found = []
    for el in at.get("vega_lite_chart"):
        frames = [pa.ipc.open_stream(d.data.data).read_all().to_pandas() for d in el.proto.datasets]
        found.append((json.loads(el.proto.spec), frames))
    return found
