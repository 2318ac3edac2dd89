"""Sweep specs: every bundled spec plans; bad specs give clear errors (API) and exit 2 (CLI); designs."""

import numpy as np
import pytest
from scipy import stats
from sweep_helpers import TINY, write_spec
from typer.testing import CliRunner

from simulation.cli.sweep import sweep_app
from simulation.scenario.errors import ScenarioError
from simulation.scenario.loader import bundled
from simulation.sweeps import designs
from simulation.sweeps.spec import load_plan, load_spec, plan_sweep

runner = CliRunner()


@pytest.mark.parametrize("name", sorted(bundled("sweeps")))
def test_bundled_specs_plan(name):
    plan = load_plan(name)
    spec = plan.spec
    k = len(plan.parameters)
    assert plan.points.shape[1] == k
    expected = {"one-way": 1 + 2 * k, "sobol": (spec.samples or 0) * (k + 2), "morris": (spec.samples or 0) * (k + 1)}
    assert len(plan.points) == expected.get(spec.design, len(plan.points))
    # a point is a valid scenario carrying the point's values
    plan.scenario_at(len(plan.points) - 1)
    # small enough to run as an example: under ~60 s at 1,000 simulated operations/s
    assert len(plan.points) * len(plan.strategies) * spec.replications <= 60_000


def _issues(tmp_path, **changes):
    spec, file = load_spec(write_spec(tmp_path, **changes))
    with pytest.raises(ScenarioError) as err:
        plan_sweep(spec, file)
    return err.value


def _load_issues(tmp_path, **changes):
    with pytest.raises(ScenarioError) as err:
        load_spec(write_spec(tmp_path, **changes))
    return err.value


def test_unknown_path_names_file_field_value_and_valid_keys(tmp_path):
    params = [{"path": "transfusion.trigger_hbx", "range": [6, 8]}]
    err = _issues(tmp_path, parameters=params)
    (issue,) = err.issues
    assert issue.file.endswith("tiny.yaml") and issue.path == "parameters[0].path"
    assert issue.value == "transfusion.trigger_hbx"
    assert "valid keys: active_bleeding_ml_per_kg_h, adult_target_hb_g_dl" in issue.message and "trigger_hb_g_dl" in issue.message


@pytest.mark.parametrize(
    "changes, path, message",
    [
        ({"parameters": [{"path": "transfusion.trigger_hb", "range": []}]}, "parameters[0].range", "range needs two numbers, [low, high]"),
        ({"parameters": [{"path": "transfusion.trigger_hb", "range": [8, 6]}]},
          "parameters[0].range", "range low (8) must be below high (6)"),
        ({"design": "factorial"}, "design", "Input should be 'grid', 'one-way', 'latin-hypercube', 'sobol', 'morris' or 'psa'"),
        ({"design": "grid", "parameters": [{"path": "patient.weight_kg", "values": []}]},
          "parameters[0].values", "values must list at least one number"),
        ({"design": "sobol"}, "samples", "design 'sobol' needs samples"),
        ({"design": "sobol", "samples": 24}, "samples", "needs a power of 2"),
        ({"samples": 10}, "samples", "design 'one-way' takes no samples"),
        ({"parameters": [{"path": "patient.weight_kg", "values": [20, 30]}]},
          "parameters[0].values", "design 'one-way' does not use values"),
        ({"replications": 1}, "replications", "greater than or equal to 2"),
        ({"speed": 3}, "speed", "unknown field 'speed'; allowed here: common_random_numbers, description, design"),
    ],
)
def test_bad_fields_are_named(tmp_path, changes, path, message):
    err = _load_issues(tmp_path, **changes)
    assert [i.path for i in err.issues] == [path]
    assert message in err.issues[0].message


def test_invalid_range_end_fails_before_anything_runs(tmp_path):
    """A trigger above the target (9 g/dL) is caught at the range end, with the schema's reason."""
    err = _issues(tmp_path, parameters=[{"path": "transfusion.trigger_hb", "range": [6, 9.5]}])
    (issue,) = err.issues
    assert issue.path == "parameters[0].range"
    assert "invalid at the high 9.5" in issue.message and "must exceed trigger_hb_g_dl 9.5" in issue.message


@pytest.mark.parametrize(
    "changes, path, message",
    [
        ({"outcomes": ["operative_time_min", "blood_loss"]}, "outcomes[1]", "unknown outcome; allowed: operative_time_min"),
        ({"parameters": [{"path": "phases.vessel_dissection.bleeding", "range": [-1, 2]}]}, "parameters[0].range", "takes a multiplier"),
        ({"parameters": [{"path": "icu.admission", "range": [0.2, 1.5]}]}, "parameters[0].range", "takes a probability"),
        ({"parameters": [{"path": "transfusion.trigger_hb", "range": [7.5, 8]}]},
          "parameters[0].range", "must contain the scenario's value (7)"),
        ({"patient": "no-such-patient"}, "patient", "not a bundled patient or a file next to the spec"),
        ({"design": "psa", "samples": 5, "parameters": [{"path": "transfusion.trigger_hb"}]}, "parameters[0]", "no uncertainty for"),
    ],
)
def test_scenario_dependent_errors(tmp_path, changes, path, message):
    err = _issues(tmp_path, **changes)
    assert [i.path for i in err.issues] == [path]
    assert message in err.issues[0].message


@pytest.mark.parametrize(
    "changes, fragment",
    [
        ({"parameters": [{"path": "transfusion.trigger_hbx", "range": [6, 8]}]}, "no key 'trigger_hbx'"),
        ({"parameters": [{"path": "transfusion.trigger_hb", "range": []}]}, "range needs two numbers"),
        ({"parameters": [{"path": "transfusion.trigger_hb", "range": [8, 6]}]}, "range low (8) must be below high (6)"),
        ({"design": "factorial"}, "Input should be 'grid'"),
    ],
)
@pytest.mark.parametrize("command", ["check", "run"])
def test_cli_bad_spec_exit_2_without_traceback(tmp_path, changes, fragment, command):
    path = write_spec(tmp_path, **changes)
    args = [command, str(path)] + (["--db", str(tmp_path / "r.duckdb")] if command == "run" else [])
    result = runner.invoke(sweep_app, args)
    assert result.exit_code == 2
    assert fragment in result.output and "tiny.yaml" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "r.duckdb").exists()


def test_cli_check_shows_the_design(tmp_path):
    result = runner.invoke(sweep_app, ["check", str(write_spec(tmp_path))])
    assert result.exit_code == 0, result.output
    assert "one-way design, 5 points x 2 strategies x 20 replications" in result.output
    assert "ok" in result.output


# --- designs ---------------------------------------------------------------------------------
def test_grid_is_every_combination():
    pts = designs.grid([[1, 2, 3], [10, 20]])
    assert pts.tolist() == [[1, 10], [1, 20], [2, 10], [2, 20], [3, 10], [3, 20]]


def test_one_way_changes_one_parameter_at_a_time():
    pts = designs.one_way([1, 10], [2, 20], [3, 30])
    assert pts.tolist() == [[2, 20], [1, 20], [3, 20], [2, 10], [2, 30]]


def test_latin_hypercube_has_one_point_per_slice():
    n = 17
    pts = designs.latin_hypercube([(0, 1), (10, 20)], n, designs.design_rng(3))
    for j, (lo, hi) in enumerate([(0, 1), (10, 20)]):
        slices = np.floor((pts[:, j] - lo) / (hi - lo) * n).astype(int)
        assert sorted(slices) == list(range(n))


def test_saltelli_and_morris_shapes_and_determinism():
    names, bounds = ["a", "b", "c"], [(0, 1), (1, 2), (5, 9)]
    s = designs.saltelli(names, bounds, 8, designs.design_rng(1))
    assert s.shape == (8 * 5, 3)
    np.testing.assert_array_equal(s, designs.saltelli(names, bounds, 8, designs.design_rng(1)))
    m = designs.morris(names, bounds, 4, 4, designs.design_rng(1))
    assert m.shape == (4 * 4, 3)
    steps = np.abs(np.diff(m.reshape(4, 4, 3), axis=1)) > 0  # within a trajectory one parameter moves per step
    assert (steps.sum(axis=2) == 1).all()


def test_psa_uses_the_scenarios_own_uncertainty(tmp_path):
    """events/n -> Beta(k' + 1, n' - k' + 1), n' = n / f^2; ci95 -> lognormal with that 95% interval's
    log-SD times f; f the product of the evidence widening factors (the seed case is a child)."""
    params = [
        {"path": "icu.admission", "label": "icu"},  # 32/113, charest_morin2020: abstract-only, adult-to-child
        {"path": "modifiers.revision.event_odds.durotomy", "label": "or"},  # 2.28 [1.84, 2.83], alshameeri2021: adult-to-child
    ]
    spec, file = load_spec(write_spec(tmp_path, design="psa", samples=4000, parameters=params))
    plan = plan_sweep(spec, file)
    icu, odds = plan.points[:, 0], plan.points[:, 1]
    widening = plan.scenario.parameters.widening
    f_icu, f_or = widening.abstract_only.value * widening.adult_to_child.value, widening.adult_to_child.value
    beta = stats.beta(32 / f_icu**2 + 1, (113 - 32) / f_icu**2 + 1)
    assert icu.mean() == pytest.approx(beta.mean(), abs=4 * beta.std() / np.sqrt(4000))
    # median = the point estimate 2.28, log-SD from the ci95 (2.28 is not quite its geometric centre)
    half = f_or * (np.log(2.83) - np.log(1.84)) / 2
    assert np.percentile(odds, [2.5, 97.5]) == pytest.approx(2.28 * np.exp([-half, half]), rel=0.03)
    assert [plan.parameters[1].low, plan.parameters[1].high] == pytest.approx(2.28 * np.exp([-half, half]), rel=0.005)


def test_design_depends_on_the_seed_only(tmp_path):
    a = load_plan(write_spec(tmp_path, design="latin-hypercube", samples=6))
    b = load_plan(write_spec(tmp_path, design="latin-hypercube", samples=6))
    c = load_plan(write_spec(tmp_path, design="latin-hypercube", samples=6, seed=TINY["seed"] + 1))
    np.testing.assert_array_equal(a.points, b.points)
    assert not np.array_equal(a.points, c.points)
    assert a.spec_hash == b.spec_hash != c.spec_hash
