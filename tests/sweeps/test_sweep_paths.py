"""Parameter paths: short forms, named items, phase-library paths, what varying a leaf means, errors."""

import numpy as np
import pytest

from simulation.scenario.schema import Scenario
from simulation.sweeps.paths import Mode, PathError, apply, resolve, tokens
from simulation.sweeps.spec import load_plan


@pytest.fixture(scope="module")
def tree(seed_scenario):
    return seed_scenario.model_dump(mode="json", by_alias=True)


def _at(tree, loc):
    for key in loc:
        tree = tree[key]
    return tree


def test_tokens_split_keys_and_indices():
    assert tokens("strategies.a-b.stages[0].exposures[2].phases[4].bleeding") == [
        "strategies", "a-b", "stages", 0, "exposures", 2, "phases", 4, "bleeding"
    ]
    with pytest.raises(PathError, match="empty key"):
        tokens("patient..weight_kg")


@pytest.mark.parametrize(
    "short, full",
    [
        ("transfusion.trigger_hb", "parameters.transfusion.trigger_hb_g_dl.value"),
        ("parameters.transfusion.trigger_hb_g_dl", "parameters.transfusion.trigger_hb_g_dl.value"),
        ("icu.admission", "parameters.icu.admission.p"),
        ("patient.weight", "patient.weight_kg"),
        (
            "strategies.single-stage-three-exposure.stages[0].exposures[2].phases[4].bleeding",
            "strategies.single-stage-three-exposure.stages[0].exposures[2].phases[4].bleeding_ml_per_min",
        ),
    ],
)
def test_short_forms_resolve_to_the_full_path(tree, short, full):
    a, b = resolve(tree, short), resolve(tree, full)
    assert a.canonical == full
    assert a.locations == b.locations and a.mode == b.mode and a.base == b.base


def test_items_by_name_equal_items_by_index(tree):
    by_name = resolve(tree, "strategies.single-stage-three-exposure.stages[0].exposures[2].phases.en_bloc_removal.duration")
    index = [s["name"] for s in tree["strategies"]].index("single-stage-three-exposure")
    by_index = resolve(tree, f"strategies[{index}].stages[0].exposures[2].phases[2].duration")
    assert by_name.locations == by_index.locations


def test_phase_library_path_addresses_every_use(tree):
    target = resolve(tree, "phases.vessel_dissection.duration")
    uses = [
        loc for s, st in enumerate(tree["strategies"]) for i, stage in enumerate(st["stages"])
        for j, ex in enumerate(stage["exposures"]) for k, ph in enumerate(ex["phases"])
        if ph["id"] == "vessel_dissection"
        for loc in [("strategies", s, "stages", i, "exposures", j, "phases", k, "duration_min")]
    ]
    assert target.mode is Mode.SCALE and target.base == 1.0
    assert sorted(target.locations) == sorted(uses) and len(uses) >= 4
    changed = apply(tree, [target], [2.0])
    for loc in uses:
        assert _at(changed, loc)["median"] == 2 * _at(tree, loc)["median"]
    other = ("strategies", 0, "stages", 0, "exposures", 0, "phases", 1, "duration_min")
    assert _at(changed, other) == _at(tree, other)


def test_scaling_a_distribution_scales_the_random_variable(tree, seed_scenario):
    """k x (median, p95) for a lognormal: every quantile is multiplied by k, so the CV stays."""
    target = resolve(tree, "strategies.single-stage-three-exposure.stages[0].exposures[2].phases[4].bleeding")
    scaled = Scenario.model_validate(apply(tree, [target], [1.7]))
    before = seed_scenario.strategy("single-stage-three-exposure").stages[0].exposures[2].phases[4].bleeding_ml_per_min
    after = scaled.strategy("single-stage-three-exposure").stages[0].exposures[2].phases[4].bleeding_ml_per_min
    z = np.linspace(-3, 3, 13)
    np.testing.assert_allclose(after.ppf_normal(z), 1.7 * before.ppf_normal(z), rtol=1e-12)


def test_named_distribution_key_is_set_not_scaled(tree):
    target = resolve(tree, "phases.vessel_dissection.duration.median")
    assert target.mode is Mode.SET
    changed = apply(tree, [target], [25.0])
    assert all(_at(changed, loc) == 25.0 for loc in target.locations)


def test_value_probability_and_integer_leaves(tree):
    value = resolve(tree, "modifiers.revision.event_odds.durotomy")  # has a ci95
    prob = resolve(tree, "icu.admission")  # events/n
    asa = resolve(tree, "patient.asa_class")
    assert (value.mode, prob.mode, asa.mode, asa.integer) == (Mode.VALUE, Mode.PROBABILITY, Mode.SET, True)
    assert prob.base == pytest.approx(32 / 113)
    changed = apply(tree, [value, prob, asa], [4.0, 0.5, 3.6])
    assert _at(changed, value.locations[0]) == {**_at(tree, value.locations[0]), "value": 4.0, "ci95": None}
    assert _at(changed, prob.locations[0])["p"] == 0.5 and _at(changed, prob.locations[0])["events"] is None
    assert changed["patient"]["asa_class"] == 4
    scenario = Scenario.model_validate(changed)  # a value outside its old ci95 is valid once ci95 is dropped
    assert scenario.parameters.icu.admission.value == 0.5
    assert tree["patient"]["asa_class"] == 3  # the input is not modified


@pytest.mark.parametrize(
    "path, message",
    [
        ("transfusion.trigger_hbx", "no key 'trigger_hbx' under 'parameters.transfusion'; valid keys: active_bleeding_ml_per_kg_h, "),
        ("patient.weight_kgs", "valid keys: age_years, "),
        ("strategies.nope.stages", "no item named 'nope' under 'strategies'; items: posterior-only, "),
        ("strategies.posterior-only.stages[3]", "index [3] is out of range"),
        ("phases.nope.duration", "no phase with id 'nope' in this scenario; phase ids used: anterior_discectomy, "),
        ("transfusion.cell_salvage", "is a group, not a number; continue the path with one of: min_collected_ml, processing_min, recovery"),
        ("transfusion.unit", "is ambiguous; it starts unit_haematocrit, unit_volume_ml"),
        ("patient.revision", "not a number a sweep can vary"),
        ("nothing", "no key 'nothing' under the top"),
    ],
)
def test_bad_paths_say_where_and_what_is_valid(tree, path, message):
    with pytest.raises(PathError) as err:
        resolve(tree, path)
    assert message in str(err.value)


@pytest.mark.parametrize("sweep", ["seed-case-one-way", "seed-case-psa", "seed-case-two-way"])
def test_applied_to_the_scenario_validates_as_the_whole_dump_does(sweep):
    """Changing the validated Scenario (its models kept off the changed paths) gives, at every
    point, the scenario that re-validating the whole changed dump gives."""
    plan = load_plan(sweep)
    for values in plan.points:
        whole = Scenario.model_validate(apply(plan.tree, plan.targets, values))
        changed = Scenario.model_validate(apply(plan.scenario, plan.targets, values))
        assert changed == whole and changed.digest() == whole.digest()
