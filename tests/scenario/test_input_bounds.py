"""Absurd numbers and combinations (issue 14, defects 2, 3, 5, 10 and 15): refused in one line naming the
field and the allowed range, or warned about; never a hang, an overflow or a silent misreading."""

from __future__ import annotations

import pytest
import yaml
from helpers import limited_script, one_clean_error

from simulation import ScenarioError, check_file, load_scenario
from simulation.scenario.loader import BUNDLED
from simulation.scenario.patient import Patient
from simulation.scenario.procedure import MAX_STAGES

PHASE = "stages[0].exposures[0].phases[1]"  # prep_prone in the single-stage plan


def bundled_yaml(relative: str) -> dict:
    return yaml.safe_load((BUNDLED / relative).read_text(encoding="utf-8"))


def patient(**changes) -> dict:
    return {**bundled_yaml("patients/seed-case.yaml"), **changes}


def strategy_with(phase_changes: dict) -> dict:
    data = bundled_yaml("strategies/single-stage-three-exposure.yaml")
    data["stages"][0]["exposures"][0]["phases"][1] = {"use": "prep_prone", **phase_changes}
    return data


def write(folder, data, name="case.yaml", text: str | None = None):
    path = folder / name
    path.write_text(text if text is not None else yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def issues(path, root=BUNDLED):
    with pytest.raises(ScenarioError) as info:
        check_file(path, root)
    return info.value.issues


FIXED = {"assumption": "Test value."}


# --- defect 2: infinite and enormous durations and rates ---------------------------------------------
@pytest.mark.parametrize("field, spec, fragment", [
    ("duration_min", {"dist": "fixed", "value": float("inf"), **FIXED}, "must be a finite number"),
    ("duration_min", {"dist": "fixed", "value": 1e300, **FIXED}, "must lie between 0 and 1440 min"),
    ("duration_min", {"dist": "uniform", "min": 10, "max": float("inf"), **FIXED}, "must be a finite number"),
    ("duration_min", {"dist": "lognormal", "median": 60, "p95": 1e6, **FIXED}, "must lie between 0 and 1440 min"),
    ("bleeding_ml_per_min", {"dist": "fixed", "value": 5000, **FIXED}, "must lie between 0 and 1000 mL/min"),
    ("bleeding_ml_per_min", {"dist": "fixed", "value": float("nan"), **FIXED}, "must be a finite number"),
])
def test_endless_or_enormous_phases_are_refused(tmp_path, field, spec, fragment):
    (issue, *_) = issues(write(tmp_path, strategy_with({field: spec})))
    assert issue.path.startswith(f"{PHASE}.{field}") and fragment in issue.message, str(issue)


def test_an_endless_phase_ends_compare_in_one_line(tmp_path):
    """Before: `compare` with a phase of `.inf` minutes never finished (the blood bank kept ordering)."""
    path = write(tmp_path, None, text=yaml.safe_dump(strategy_with({"duration_min": {"dist": "fixed", "value": 1e300, **FIXED}})))
    line = one_clean_error(limited_script("compare", "seed-case", "-s", path, "--reps", 5))
    assert f"{PHASE}.duration_min: " in line and "1440 min" in line


def test_a_replication_that_will_not_end_stops_with_a_clear_error(monkeypatch):
    """The last line of defence: whatever the inputs, a replication takes at most MAX_EVENTS events."""
    from simulation import run
    from simulation.model import operation

    monkeypatch.setattr(operation, "MAX_EVENTS", 10)  # the bundled plans need 50-140
    with pytest.raises(operation.RunawayOperation, match=r"strategy 'posterior-only': one simulated operation had not "
                                                         r"ended after 10 events"):
        run(load_scenario("seed-case", ["posterior-only"]), 2, seed=1)


def test_the_event_limit_leaves_room_for_every_bundled_plan():
    from simulation import run
    from simulation.model import operation

    results = run(load_scenario("seed-case"), 50, seed=7)  # would raise RunawayOperation
    assert len(results.records) == 50 * len(load_scenario("seed-case").strategies)
    assert operation.MAX_EVENTS >= 100_000


# --- defect 3: more stages than the model simulates ---------------------------------------------------
def test_seven_stages_end_compare_in_one_line(tmp_path):
    data = bundled_yaml("strategies/single-stage-three-exposure.yaml")
    data["stages"] = data["stages"] * (MAX_STAGES + 1)
    line = one_clean_error(limited_script("compare", "seed-case", "-s", write(tmp_path, data), "--reps", 5))
    assert "stages: " in line and f"at most {MAX_STAGES}" in line


# --- defect 5: schema-valid nonsense ------------------------------------------------------------------
@pytest.mark.parametrize("field, value, message", [
    ("age_years", True, "must be a number, not true/false"),
    ("weight_kg", "70", "must be a number, not text"),
    ("asa_class", False, "must be a whole number, not true/false"),
    ("age_years", float("inf"), "must be a finite number"),
])
def test_numbers_are_numbers(tmp_path, field, value, message):
    (issue,) = issues(write(tmp_path, patient(**{field: value})))
    assert (issue.path, issue.message) == (field, message)


def test_a_count_is_not_true(tmp_path):
    data = strategy_with({"events": [{"event": "durotomy", "probability": {"events": True, "n": 10, **FIXED}}]})
    (issue,) = issues(write(tmp_path, data))
    assert issue.path.endswith("probability.events") and issue.message == "must be a whole number, not true/false"


@pytest.mark.parametrize("changes, fragment", [
    ({"age_years": 110, "weight_kg": 2}, "weight_kg: 2 kg is not a possible weight at 110 years (age 14 and over: 25 to 300 kg)"),
    ({"age_years": 2, "weight_kg": 90}, "weight_kg: 90 kg is not a possible weight at 2 years (age 1 to under 3: 4 to 40 kg)"),
    ({"retained_implants": "C1-S5"}, "retained_implants: C1, C2, C3 ... lie more than 4 levels from the resected levels"),
    ({"levels": "L2, L4"}, "levels: an en bloc resection is one block; the levels skip L3"),
])
def test_implausible_patients_are_refused_with_the_rule(tmp_path, changes, fragment):
    (issue,) = issues(write(tmp_path, patient(**changes)))
    assert fragment in issue.message, str(issue)


def test_implants_next_to_the_resection_are_fine():
    base = patient(levels="L2-L4")
    assert Patient.model_validate({**base, "retained_implants": "T10-S1"}).implant_levels[0] == "T10"


def test_extreme_but_possible_inputs_warn_and_still_pass(tmp_path):
    path = write(tmp_path, patient(age_years=95, weight_kg=160))
    result = limited_script("check", path)
    assert result.returncode == 0 and result.stdout.strip() == f"ok: {path} (patient)"
    lines = result.stderr.strip().splitlines()
    assert [line.split(": ")[2] for line in lines] == ["weight_kg", "age_years"], lines
    assert all(line.startswith(f"warning: {path}: ") for line in lines)


def test_bundled_patients_give_no_warnings():
    assert all(not load_scenario(name, ["posterior-only"]).patient.warnings() for name in ("seed-case", "adult-primary"))


# --- defect 10: overflow -------------------------------------------------------------------------------
def test_a_lognormal_sd_of_1e300_is_one_line(tmp_path):
    spec = {"dist": "lognormal", "mean": 30, "sd": 1e300, **FIXED}
    line = one_clean_error(limited_script("check", write(tmp_path, strategy_with({"duration_min": spec}))))
    assert f"{PHASE}.duration_min: mean and sd are too far apart to describe a distribution" in line


# --- defect 15: extends chains ---------------------------------------------------------------------------
def test_a_two_level_extends_resolves(tmp_path):
    path = write(tmp_path, {"extends": "single-stage-with-stop-rule", "name": "my-plan", "label": "My plan"})
    assert check_file(path) == "strategy"
    mine, parent = load_scenario("seed-case", [path, "single-stage-with-stop-rule"]).strategies
    assert mine.stages == parent.stages and mine.stop_and_stage == parent.stop_and_stage and mine.name == "my-plan"


def test_an_extends_cycle_is_refused(tmp_path, scenario_copy):
    base = scenario_copy / "strategies" / "single-stage-three-exposure.yaml"
    base.write_text("extends: single-stage-with-stop-rule\n" + base.read_text(encoding="utf-8"), encoding="utf-8")
    path = write(tmp_path, {"extends": "single-stage-with-stop-rule", "name": "my-plan", "label": "My plan"})
    (issue,) = issues(path, scenario_copy)
    assert issue.path == "extends" and issue.message == (
        "extends cycle: single-stage-with-stop-rule -> single-stage-three-exposure -> single-stage-with-stop-rule")
