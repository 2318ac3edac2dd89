"""A typical simulated operation per strategy, as tables a Gantt chart can draw.

"Typical" is the replication whose operative time is closest to the strategy's median; its
course is re-simulated with ``simulation.trace``. Times are converted to hours from the start
of each stage's induction, because stages are days apart and phases last minutes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulation import Scenario, trace

ANAESTHESIA = "Anaesthesia"  # the exposure label simulation.trace gives induction and emergence


@dataclass(frozen=True)
class Timeline:
    """One replication's course: bars (phases and repairs), transfusions, exposure spans, stages."""

    replication: int
    bars: pd.DataFrame  # stage, exposure, label, kind (phase|event|anaesthesia), start_h, end_h
    transfusions: pd.DataFrame  # stage, at_h, units
    exposures: pd.DataFrame  # stage, exposure, start_h, end_h
    stages: pd.DataFrame  # stage, day (start, days after the first induction), hours (induction to emergence)


def typical_replication(records: pd.DataFrame, strategy: str) -> int:
    """The replication whose operative time is closest to the strategy's median (lowest on ties)."""
    g = records[records.strategy == strategy]
    op = g.operative_time_min.to_numpy()
    gap = np.abs(op - np.median(op))
    return int(g.replication.to_numpy()[np.lexsort((g.replication.to_numpy(), gap))[0]])


def typical_timeline(scenario: Scenario, strategy: str, seed: int, records: pd.DataFrame, uncertainty=None) -> Timeline:
    """The typical replication's timeline, traced with the run's parameter and centre draws (``uncertainty``)."""
    replication = typical_replication(records, strategy)
    return timeline_of(trace(scenario, strategy, seed, replication, uncertainty).timeline, replication)


def timeline_of(entries: list[dict], replication: int) -> Timeline:
    """Tables from a ``Course.timeline`` (minutes since the first induction)."""
    segments = pd.DataFrame([e for e in entries if e["kind"] != "transfusion"])
    segments[["start", "end"]] = segments[["start", "end"]].astype(float)
    bounds = segments.groupby("stage").agg(first=("start", "min"), last=("end", "max"))
    segments = segments.join(bounds, on="stage")
    bars = pd.DataFrame({
        "stage": segments.stage.astype(int),
        "exposure": segments.exposure,
        "label": segments.label,
        "kind": np.where(segments.exposure == ANAESTHESIA, "anaesthesia", segments.kind),
        "start_h": (segments.start - segments["first"]) / 60.0,
        "end_h": (segments.end - segments["first"]) / 60.0,
    }).sort_values(["stage", "start_h"], kind="stable", ignore_index=True)
    given = [e for e in entries if e["kind"] == "transfusion"]
    stage_of = np.array([int(e["stage"]) for e in given], dtype=int)
    at = np.array([float(e["start"]) for e in given])
    transfusions = pd.DataFrame({
        "stage": stage_of,
        "at_h": (at - bounds["first"].reindex(stage_of).to_numpy()) / 60.0 if given else [],
        "units": [int(e["units"]) for e in given],
    })
    surgical = bars[bars.kind != "anaesthesia"]
    exposures = (
        surgical.groupby(["stage", "exposure"], sort=False).agg(start_h=("start_h", "min"), end_h=("end_h", "max")).reset_index()
    )
    stages = pd.DataFrame({
        "stage": bounds.index.astype(int),
        "day": (bounds["first"] - bounds["first"].iloc[0]).to_numpy() / 1440.0,
        "hours": (bounds["last"] - bounds["first"]).to_numpy() / 60.0,
    })
    return Timeline(replication, bars, transfusions, exposures, stages)
