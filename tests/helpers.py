"""Builders shared by the behavioural tests: scenario variants made from the real scenario files.

A variant is the bundled scenario dumped to a dict (``by_alias=True``, so LogNormal's ``mean``
keeps its alias), edited, and validated again as a ``Scenario``: the model sees exactly what a
user file would give it, and nothing is monkeypatched.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from typer.testing import CliRunner

from simulation import Scenario
from simulation.cli.app import app

SEED = 20240601
CLI_ENV = {"COLUMNS": "250", "NO_COLOR": "1"}  # wide, plain tables: no wrapped or coloured words
_SCRIPT = Path(sys.executable).with_name("resectsim")
COMMAND = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "simulation.cli.app"]


def invoke(*args):
    """``resectsim ARGS`` in process (Typer's CliRunner)."""
    return CliRunner().invoke(app, [str(a) for a in args], env=CLI_ENV)


def script(*args, cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """``resectsim ARGS`` as the installed console script, in a real subprocess."""
    return subprocess.run([*COMMAND, *map(str, args)], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **CLI_ENV}, cwd=cwd)
ASSUMED = "Test fixture value."

Number = float | Callable[[str], float]


def fixed(value: float) -> dict:
    """A degenerate (fixed) distribution in file form."""
    return {"dist": "fixed", "value": float(value), "assumption": ASSUMED}


def probability(p: float) -> dict:
    return {"p": float(p), "assumption": ASSUMED}


def dump(scenario: Scenario) -> dict:
    return scenario.model_dump(by_alias=True)


def variant(scenario: Scenario, edit: Callable[[dict], None]) -> Scenario:
    """``scenario`` with ``edit(data)`` applied to its dumped dict, validated again."""
    data = dump(scenario)
    edit(data)
    return Scenario.model_validate(data)


def phases_of(data: dict) -> Iterable[dict]:
    """Every phase dict of a dumped scenario: strategy phases and the unplanned-staging phases."""
    for strategy in data["strategies"]:
        for stage in strategy["stages"]:
            for exposure in stage["exposures"]:
                yield from exposure["phases"]
    yield from data["parameters"]["staging"]["restage_phases"]


def _value(spec: Number, phase_id: str) -> float:
    return spec(phase_id) if callable(spec) else spec


def fix_phases(data: dict, duration_min: Number, bleeding_ml_per_min: Number, event_p: float | None = 0.0) -> None:
    """Fixed durations and rates for every phase; every event risk set to ``event_p`` (None keeps it)."""
    for ph in phases_of(data):
        ph["duration_min"] = fixed(_value(duration_min, ph["id"]))
        ph["bleeding_ml_per_min"] = fixed(_value(bleeding_ml_per_min, ph["id"]))
        if event_p is not None:
            for risk in ph["events"]:
                risk["probability"] = probability(event_p)


def fix_anaesthesia(data: dict, induction_min=40.0, emergence_min=20.0, turnover_min=30.0, interval_days=7.0,
                    delivery_delay_min=0.0, body_size=False) -> None:
    """Fixed anaesthesia, turnover, inter-stage interval and blood-bank delay, and ``fix_blood``."""
    an = data["parameters"]["anaesthesia"]
    an["induction_min"], an["emergence_min"], an["turnover_min"] = (
        fixed(induction_min), fixed(emergence_min), fixed(turnover_min)
    )
    data["parameters"]["staging"]["interval_days"] = fixed(interval_days)
    for strategy in data["strategies"]:
        strategy["interval_days"] = None
    data["parameters"]["transfusion"]["delivery_delay_min"] = fixed(delivery_delay_min)
    fix_blood(data, body_size=body_size)


def fix_blood(data: dict, postop_loss_fraction=0.0, ebl_ratio=1.0, coagulopathy_multiplier=1.0, body_size=False) -> None:
    """Deterministic peri-operative blood: fixed post-operative loss and EBL ratio, and (by default)
    no post-operative loss, no faster bleeding when coagulopathic and no body-size factor (a phase's
    rate is then this patient's mL/min)."""
    if not body_size:
        data["parameters"]["modifiers"]["per_doubling_blood_volume"]["bleeding"] = {"value": 1.0, "assumption": ASSUMED}
    tp = data["parameters"]["transfusion"]
    tp["postop_loss_fraction"] = fixed(postop_loss_fraction)
    tp["ebl_ratio"] = fixed(ebl_ratio)
    tp["haemostasis"]["coagulopathy_bleeding_multiplier"] = {"value": coagulopathy_multiplier, "assumption": ASSUMED}


def set_transfusion(data: dict, **values: float | bool) -> None:
    """Set transfusion policy values by field name (``trigger_hb_g_dl=8``, ``cell_salvage=True`` ...)."""
    tp = data["parameters"]["transfusion"]
    for key, value in values.items():
        if key == "cell_salvage":
            tp["cell_salvage"]["enabled"] = bool(value)
        else:
            tp[key] = {"value": float(value), "assumption": ASSUMED}


def one_phase_strategy(name: str, duration_min: dict, bleeding_ml_per_min: dict, events=(), scales_with=()) -> dict:
    """A strategy of one stage, one exposure and one operative phase (file form)."""
    phase = {
        "id": "only_phase", "label": "The only phase", "duration_min": duration_min,
        "bleeding_ml_per_min": bleeding_ml_per_min, "scales_with": list(scales_with),
        "events": [{"event": ev, "probability": p} for ev, p in events],
    }
    exposure = {"approach": "posterior_midline", "label": "Posterior", "position": "prone", "phases": [phase]}
    return {"name": name, "label": name, "stages": [{"label": "Single stage", "exposures": [exposure]}]}


MEMORY_LIMIT_BYTES = 2_000_000_000  # address space a hostile-input command may use (prlimit --as)


def limited_script(*args, cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """``script(ARGS)`` under ``prlimit --as`` and a timeout: a regression fails the test, never exhausts the machine."""
    return subprocess.run(["prlimit", f"--as={MEMORY_LIMIT_BYTES}", *COMMAND, *map(str, args)], capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, **CLI_ENV}, cwd=cwd)


def one_clean_error(result: subprocess.CompletedProcess) -> str:
    """Assert ``result`` is one ``error:`` line on stderr, exit 2 and no traceback; return the line."""
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr and "Error:" not in result.stderr.replace("error:", ""), result.stderr[-2000:]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr[-2000:]
    return lines[0]


def write_synthetic(path, rows, params, centre_sd=(0.0, 0.0, 0.0), corr=0.0):
    """A posterior file with ``rows`` (unconstrained scale, one column per parameter of ``params``) and
    constant centre SDs (time, bleeding, complication) and time-bleeding correlation."""
    import numpy as np
    import pandas as pd

    from simulation.calibration.posterior import write_posterior

    frame = {"chain": np.zeros(len(rows), int), "draw": np.arange(len(rows))}
    for i, p in enumerate(params):
        frame[p.name] = p.natural(rows[:, i])
    for a, sd in zip(("time", "bleeding", "complication"), centre_sd):
        frame[f"centre_sd_{a}"] = np.full(len(rows), sd)
    frame["centre_corr_time_bleeding"] = np.full(len(rows), corr)
    info = {"targets_hash": "test", "parameters": [
        {"name": p.name, "label": p.label, "transform": p.transform, "prior_mean": p.prior.mean, "prior_sd": p.prior.sd,
         "paths": list(p.paths)} for p in params]}
    return write_posterior(pd.DataFrame(frame), path, info)
