"""The record contract is the one list of outputs: every column the model writes is declared once,
and no column falls through a summary path (summaries, paired differences, compare --json, sweeps,
display formats); the CLI and the dashboard write every column the same way."""

from __future__ import annotations

import json

import pytest
from helpers import invoke
from rich.console import Console

from simulation import MAIN_STRATEGIES, load_scenario, paired_differences, run, summarise
from simulation.present.formats import HEADLINE, risk_labels, shown
from simulation.scenario.records import RESULT_FIELDS, column, is_probability, outcome_columns, record_columns

REPS, SEED = 60, 11


@pytest.fixture(scope="module")
def scenario():
    return load_scenario("seed-case", list(MAIN_STRATEGIES[:2]))


@pytest.fixture(scope="module")
def results(scenario):
    return run(scenario, REPS, SEED)


def test_the_model_writes_exactly_the_declared_columns(scenario, results):
    written = [c for c in results.records.columns if c not in ("strategy", "replication")]
    assert sorted(written) == sorted(outcome_columns(scenario))
    assert record_columns(results.records) == written


def test_every_column_has_a_kind_a_direction_and_a_display(scenario):
    for key in outcome_columns(scenario):
        c = column(key)
        assert c.label and c.unit and c.kind in ("continuous", "count", "yes/no", "severity")
        assert c.better in ("lower", "higher", "neither")
        s = shown(key)
        assert s.title and s.fmt(1234.5678) and s.fmt(float("nan")) == "–"
    with pytest.raises(KeyError, match="not a record column"):
        column("blood_loss_litres")


def test_summaries_cover_every_column_by_default(scenario, results):
    table = summarise(results.records)
    assert set(table.outcome) == set(outcome_columns(scenario))
    probability = table[table.outcome.map(is_probability)]
    assert probability["mean"].between(0, 1).all()


def test_paired_differences_cover_every_column_with_a_direction(scenario, results):
    a, b = (s.name for s in scenario.strategies)
    table = paired_differences(results.records, a, b)
    directed = {k for k in outcome_columns(scenario) if column(k).better != "neither"}
    assert set(table.outcome) == directed
    assert {"planned_stages", "interval_days"}.isdisjoint(table.outcome)


def test_compare_json_summarises_every_column(scenario):
    out = invoke("compare", "seed-case", "-s", MAIN_STRATEGIES[0], "-s", MAIN_STRATEGIES[1], "--reps", REPS, "--json")
    assert out.exit_code == 0, out.stderr
    summaries = json.loads(out.stdout)["summaries"]
    assert {row["outcome"] for row in summaries} == set(outcome_columns(scenario))


def test_a_sweep_accepts_and_stores_every_column(scenario, tmp_path):
    from simulation.sweeps.backends import ProcessPool
    from simulation.sweeps.run import run_sweep
    from simulation.sweeps.spec import load_plan
    from simulation.sweeps.store import Store

    spec = tmp_path / "all-columns.yaml"
    spec.write_text(json.dumps({
        "name": "all-columns", "patient": "seed-case", "strategies": list(MAIN_STRATEGIES[:2]), "design": "one-way",
        "parameters": [{"path": "transfusion.trigger_hb", "range": [6, 8]}], "replications": 5, "seed": 3,
        "outcomes": list(outcome_columns(scenario)),
    }))
    plan = load_plan(spec)
    with ProcessPool(1) as backend:
        run_sweep(plan, Store(tmp_path / "s.duckdb"), backend)
    stored = Store(tmp_path / "s.duckdb").load(plan.name).results
    assert set(stored.outcome) == set(outcome_columns(scenario))


def test_cli_and_dashboard_write_every_headline_number_identically(scenario, results):
    """The same records through the CLI's tables and the dashboard's tables give the same strings."""
    from dashboard.compare.tables import outcome_table, risk_table
    from dashboard.compare.view import Comparison
    from simulation import honest_summary
    from simulation.cli.compare import _summary_tables

    names = [s.name for s in scenario.strategies]
    summary = summarise(results.records, [*(s.column for s in HEADLINE), *risk_labels(scenario)])
    c = Comparison(results.scenario_digest, "test", tuple(names), {s.name: s.label for s in scenario.strategies}, REPS, SEED,
                   results.records, results.stages, summary, exceedance=None, quantiles=None,
                   risk_labels=risk_labels(scenario),
                   honest=honest_summary(results.records, results.uncertainty, list(risk_labels(scenario))))
    console = Console(width=400, record=True)
    for table in _summary_tables(scenario, results):
        console.print(table)
    cli = console.export_text()
    board = outcome_table(c)
    for s in HEADLINE:
        row = board[board.Outcome == s.title]
        assert len(row) == 1, s.title  # the dashboard labels the row as the CLI does
        assert s.title in cli
        for label in c.labels.values():
            median = row[label].iloc[0].split(" (")[0]
            assert median in cli
    risks = risk_table(c)
    for label in c.labels.values():
        for cell in risks[label]:
            assert cell in cli  # '23.4% ± 1.3' in both


def test_yes_no_and_severity_columns_are_probabilities():
    assert all(is_probability(k) for k, c in RESULT_FIELDS.items() if c.kind == "yes/no")
    assert is_probability("complication_vte") and not is_probability("event_durotomy")
