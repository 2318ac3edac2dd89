"""Reproducibility and common random numbers.

Same seed -> identical frames whatever the number of processes, the block size or the subset of
replications run; different seed -> different frames; the same strategy under two names gets
identical outcomes; different strategies share the patient's complication uniforms, and the
paired comparison is much tighter than an unpaired one.
"""

import gc
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd
import pytest
from helpers import SEED, variant

import simulation
from simulation.runs.analysis import paired_differences
from simulation.runs.pools import started_pool
from simulation.runs.runner import simulate_block

SINGLE = "single-stage-three-exposure"
TWO = "two-stage-posterior-then-anterior"
RULE = "single-stage-with-stop-rule"
STRATEGIES = [SINGLE, TWO, RULE]
R = 120


@pytest.fixture(scope="module")
def reference(seed_scenario):
    return simulation.run(seed_scenario, R, SEED, strategies=STRATEGIES)


def assert_same(a, b):
    pd.testing.assert_frame_equal(a.records, b.records, check_exact=True)
    pd.testing.assert_frame_equal(a.stages, b.stages, check_exact=True)


def test_same_seed_gives_identical_frames(seed_scenario, reference):
    assert_same(reference, simulation.run(seed_scenario, R, SEED, strategies=STRATEGIES))
    assert reference.scenario_digest == seed_scenario.digest()


def test_different_seed_gives_different_frames(seed_scenario, reference):
    other = simulation.run(seed_scenario, R, SEED + 1, strategies=STRATEGIES).records
    assert (other.operative_time_min != reference.records.operative_time_min).all()
    assert not other.blood_loss_ml.equals(reference.records.blood_loss_ml)


def test_process_pool_is_bit_identical_to_serial(seed_scenario, reference):
    calls = []
    pooled = simulation.run(seed_scenario, R, SEED, strategies=STRATEGIES, workers=2, block_size=25,
                            progress=lambda done, total: calls.append((done, total)))
    assert_same(reference, pooled)
    total = R * len(STRATEGIES)
    assert calls == [(done * len(STRATEGIES), total) for done in (25, 50, 75, 100, 120)]


def test_a_reused_forkserver_pool_is_bit_identical_to_serial(seed_scenario, reference):
    """A long-lived pool (as a server keeps) gives the same frames, run after run."""
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        for _ in range(2):
            assert_same(reference, simulation.run(seed_scenario, R, SEED, strategies=STRATEGIES, block_size=40, executor=pool))


def test_block_size_does_not_matter(seed_scenario, reference):
    """The reference ran in one block of 500; blocks of 7 and of 1 give the same frames."""
    assert_same(reference, simulation.run(seed_scenario, R, SEED, strategies=STRATEGIES, block_size=7))
    ones = simulation.run(seed_scenario, 30, SEED, strategies=STRATEGIES, block_size=1)
    first = reference.records[reference.records.replication < 30].reset_index(drop=True)
    pd.testing.assert_frame_equal(ones.records, first, check_exact=True)


def test_a_subset_of_replications_equals_the_same_rows_of_a_full_run(seed_scenario, reference):
    subset = [3, 57, 58, 119]
    records, stages = simulate_block(seed_scenario, STRATEGIES, SEED, subset)
    full, full_stages = reference.records, reference.stages
    pd.testing.assert_frame_equal(records, full[full.replication.isin(subset)].reset_index(drop=True), check_exact=True)
    pd.testing.assert_frame_equal(
        stages, full_stages[full_stages.replication.isin(subset)].reset_index(drop=True), check_exact=True
    )


def test_a_strategy_run_alone_equals_its_rows_in_a_joint_run(seed_scenario, reference):
    """Strategies share raw draws within a block; each one's results must not depend on the others."""
    for strategy in STRATEGIES:
        alone = simulation.run(seed_scenario, R, SEED, strategies=[strategy]).records
        joint = reference.records[reference.records.strategy == strategy].reset_index(drop=True)
        pd.testing.assert_frame_equal(alone.astype({"strategy": str}), joint.astype({"strategy": str}), check_exact=True)


def test_trace_reproduces_the_record(seed_scenario, reference):
    course = simulation.trace(seed_scenario, SINGLE, SEED, 57)
    row = reference.records.query("strategy == @SINGLE and replication == 57").iloc[0]
    assert sum(s.operative_min for s in course.stages) == row.operative_time_min
    assert sum(s.blood_loss_ml for s in course.stages) == row.blood_loss_ml
    assert sum(e.get("units", 0) for e in course.timeline) <= row.rbc_units


def test_sweep_point_changes_the_numbers(seed_scenario):
    a, _ = simulate_block(seed_scenario, SINGLE, SEED, range(10), point=0)
    b, _ = simulate_block(seed_scenario, SINGLE, SEED, range(10), point=1)
    c, _ = simulate_block(seed_scenario, SINGLE, SEED, range(10), point=1)
    assert (a.operative_time_min != b.operative_time_min).all()
    pd.testing.assert_frame_equal(b, c, check_exact=True)


# --- common random numbers ---------------------------------------------------------------------------
def test_same_strategy_under_two_names_gives_identical_outcomes(seed_scenario):
    twin = seed_scenario.strategy(SINGLE).model_copy(update={"name": "twin", "label": "Twin"})
    sc = seed_scenario.model_copy(update={"strategies": (seed_scenario.strategy(SINGLE), twin)})
    rec = simulation.run(sc, 200, SEED).records
    a = rec[rec.strategy == SINGLE].drop(columns="strategy").reset_index(drop=True)
    b = rec[rec.strategy == "twin"].drop(columns="strategy").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_different_strategies_share_complication_uniforms(seed_scenario):
    """With every odds ratio, between-stage hazard and death chain removed, each complication's
    probability is its baseline under every strategy, so shared uniforms must give identical
    complications though the courses differ."""

    def edit(d):
        for ct in d["parameters"]["complications"]["types"].values():
            ct["odds_ratios"], ct["per_event"], ct["hazard_per_day_between_stages"] = {}, {}, None
        death = d["parameters"]["complications"]["death"]
        death["lethality_per_event"] = {}
        death["lethality_per_major_complication"] = {"p": 0.0, "assumption": "Test."}

    sc = variant(seed_scenario, edit)
    rec = simulation.run(sc, 300, SEED, strategies=[SINGLE, TWO, "posterior-only"]).records
    cols = [c for c in rec.columns if c.startswith("complication_")] + ["any_complication", "major_complications"]
    single = rec[rec.strategy == SINGLE].reset_index(drop=True)
    assert single.any_complication.mean() > 0.15  # enough complications to compare (child baselines: about 21%)
    for other in (TWO, "posterior-only"):
        o = rec[rec.strategy == other].reset_index(drop=True)
        assert (o.operative_time_min != single.operative_time_min).mean() > 0.99
        pd.testing.assert_frame_equal(o[cols], single[cols], check_exact=True)


def test_paired_differences_are_much_tighter_than_unpaired(seed_scenario):
    rec = simulation.run(seed_scenario, 1000, SEED, strategies=[SINGLE, TWO]).records
    # any_major_complication, not any_complication: in the seed case any complication is near 80% under
    # both plans and their per-stage insults differ, so the shared uniforms pair it less than the others
    outcomes = ["operative_time_min", "blood_loss_ml", "los_days", "any_major_complication"]
    paired = paired_differences(rec, SINGLE, TWO, outcomes).set_index("outcome")
    for col in outcomes:
        a = rec.loc[rec.strategy == SINGLE, col].astype(float)
        b = rec.loc[rec.strategy == TWO, col].astype(float)
        unpaired_width = 2 * 1.959964 * np.sqrt(a.var() / len(a) + b.var() / len(b))
        width = paired.loc[col, "ci_high"] - paired.loc[col, "ci_low"]
        assert width < 0.5 * unpaired_width, (col, width / unpaired_width)


def test_pool_workers_start_with_their_imports_frozen():
    """A worker's full garbage collections skip what it held at start (``pools.guard`` freezes it, the
    forkserver's preloaded model with it)."""
    pool, started = started_pool(2)
    with pool:
        for future in started:
            future.result()
        frozen = [pool.submit(gc.get_freeze_count).result() for _ in range(4)]
    assert min(frozen) > 10_000  # the model, NumPy, SciPy, pandas and SimPy: about 120,000 objects
