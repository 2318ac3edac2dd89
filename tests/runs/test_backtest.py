"""Golden back-test: today's numbers, pinned, so that a refactor cannot change them by accident.

Stored: the summaries of the seed case x the four main strategies x 200 replications (seed 1),
every record column, and the results table of one tiny one-way sweep. A change that alters the
model's numbers on purpose regenerates the golden file with one command:

    RESECTSIM_REGENERATE_GOLDEN=1 .venv/bin/python -m pytest tests/runs/test_backtest.py

and says why in its commit message.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest

from simulation import MAIN_STRATEGIES, load_scenario, run
from simulation.runs.analysis import summarise
from simulation.scenario.records import outcome_columns
from simulation.sweeps.backends import ProcessPool
from simulation.sweeps.run import run_sweep
from simulation.sweeps.spec import load_plan
from simulation.sweeps.store import Store

GOLDEN = Path(__file__).with_name("golden") / "backtest.json"
REGENERATE = os.environ.get("RESECTSIM_REGENERATE_GOLDEN") == "1"
RTOL = 1e-9  # same inputs, same code path: only the last bits of a float sum may differ

TINY_SWEEP = """\
name: backtest-tiny
patient: seed-case
strategies: [single-stage-three-exposure, two-stage-posterior-then-anterior]
design: one-way
parameters:
  - {path: transfusion.trigger_hb, range: [6, 8]}
  - {path: phases.vessel_dissection.duration, range: [0.5, 2]}
replications: 20
outcomes: [operative_time_min, blood_loss_ml, rbc_units, complication_vte]
seed: 7
"""


def _summaries() -> list[dict]:
    scenario = load_scenario("seed-case", list(MAIN_STRATEGIES))
    results = run(scenario, 200, seed=1)
    table = summarise(results.records, list(outcome_columns(scenario)))
    return table.drop(columns="label").to_dict("records")


def _sweep(folder: Path) -> list[dict]:
    spec = folder / "backtest-tiny.yaml"
    spec.write_text(TINY_SWEEP)
    plan = load_plan(spec)
    db = folder / "backtest.duckdb"
    with ProcessPool(1) as backend:
        run_sweep(plan, Store(db), backend)
    results = Store(db).load(plan.name).results
    return results.sort_values(["point", "strategy", "outcome"]).to_dict("records")


@pytest.fixture(scope="module")
def now(tmp_path_factory) -> dict:
    return {"summaries": _summaries(), "sweep": _sweep(tmp_path_factory.mktemp("sweep"))}


@pytest.fixture(scope="module")
def golden(now) -> dict:
    if REGENERATE:
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(now, indent=1, default=str) + "\n")
    return json.loads(GOLDEN.read_text())


def _frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows).astype({"strategy": str})


@pytest.mark.parametrize("part", ["summaries", "sweep"])
def test_numbers_unchanged(now, golden, part):
    expected, got = _frame(golden[part]), _frame(now[part])
    assert list(got.columns) == list(expected.columns)
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=RTOL, check_dtype=False)
