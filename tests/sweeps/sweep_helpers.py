"""Helpers for the sweep tests (a uniquely named module: tests/ has no packages): tiny specs, table comparison."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

from simulation.sweeps.store import Store

VENV_BIN = Path(__file__).resolve().parents[2] / ".venv" / "bin"

TINY = dict(
    name="tiny",
    patient="seed-case",
    strategies=["single-stage-three-exposure", "two-stage-posterior-then-anterior"],
    design="one-way",
    parameters=[
        {"path": "transfusion.trigger_hb", "range": [6, 8]},
        {"path": "phases.vessel_dissection.duration", "range": [0.5, 2], "label": "Vessel dissection time (x)"},
    ],
    replications=20,
    outcomes=["operative_time_min", "blood_loss_ml", "rbc_units", "complication_vte"],
    seed=7,
)


def write_spec(folder: Path, **changes) -> Path:
    """A spec file: the tiny one-way sweep with ``changes`` applied."""
    spec = {**TINY, **changes}
    path = Path(folder) / f"{spec['name']}.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def assert_same_sweep(db_a: Path, db_b: Path, sweep_id: str) -> None:
    """Two databases hold exactly the same points, results and contrasts for ``sweep_id``."""
    a, b = Store(db_a).load(sweep_id), Store(db_b).load(sweep_id)
    assert a.points.done.all() and b.points.done.all()
    pd.testing.assert_frame_equal(a.points.drop(columns="compute_s"), b.points.drop(columns="compute_s"), check_exact=True)
    pd.testing.assert_frame_equal(a.results, b.results, check_exact=True)
    pd.testing.assert_frame_equal(a.contrasts, b.contrasts, check_exact=True)
    assert a.info["spec_hash"] == b.info["spec_hash"]

