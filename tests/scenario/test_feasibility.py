"""Contraindications and the planned deficit: deterministic functions of the inputs (issue 10, item 6)."""

import json

import pytest
from helpers import invoke

import simulation
from simulation.scenario.feasibility import contraindications, planned_deficit


def test_posterior_only_is_flagged_for_the_seed_case_but_not_for_the_adult():
    seed = simulation.load_scenario("seed-case", ["posterior-only", "single-stage-three-exposure"])
    adult = simulation.load_scenario("adult-primary", ["posterior-only"])
    why = contraindications(seed.strategy("posterior-only"), seed.patient)
    assert len(why) == 2 and "adherent" in why[0] and "psoas" in why[1]
    assert contraindications(seed.strategy("single-stage-three-exposure"), seed.patient) == []
    assert contraindications(adult.strategy("posterior-only"), adult.patient) == []


def test_planned_deficit_follows_the_levels_and_the_roots_cut():
    seed = simulation.load_scenario("seed-case", ["posterior-only"]).patient
    lines = planned_deficit(seed)
    assert [line.split()[0] for line in lines[:3]] == ["L2", "L3", "L4"]
    assert "hip flexion" in lines[0] and "knee extension" in lines[1] and "walking aid" in lines[-1]
    assert planned_deficit(seed.model_copy(update={"roots_sacrificed": "none"})) == []
    thoracic = seed.model_copy(update={"levels": "T8", "roots_sacrificed": "both sides"})
    assert planned_deficit(thoracic) == ["T8 root cut on both sides: trunk sensation only (a band of numbness)"]


@pytest.mark.parametrize("as_json", [False, True])
def test_compare_flags_the_plan_plainly(as_json):
    args = ["compare", "seed-case", "--reps", "5", "-s", "single-stage-three-exposure", "-s", "posterior-only"]
    result = invoke(*args, *(["--json"] if as_json else []))
    assert result.exit_code == 0, result.output
    if as_json:
        doc = json.loads(result.output)
        assert list(doc["contraindications"]) == ["posterior-only"]
        assert doc["planned_deficit"][0].startswith("L2 root cut on one side")
    else:
        text = " ".join(result.output.split())
        assert text.count("NOT USUALLY OFFERED") == 1 and "(posterior-only)" in text
        assert "Planned deficit (certain" in text
