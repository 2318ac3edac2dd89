"""Stage breaks happen only where a spine-tumour surgeon would stop (issue 10, F1).

Property test over many random runs (``simulation.trace`` and its timeline): no stage ever ends
between en bloc removal and reconstruction, or with the great vessels dissected and the column
unreconstructed; an unplanned break follows a phase marked ``stage_break_allowed`` and reports it.
"""

import pytest
from helpers import variant
from hypothesis import given, settings
from hypothesis import strategies as st

import simulation
from simulation.model.plan import compile_plan

RULE = "single-stage-with-stop-rule"
REMOVAL = {"en_bloc_removal", "posterior_en_bloc_removal"}  # the column is cut through
VESSELS = {"vessel_dissection", "posterior_en_bloc_removal"}  # the great vessels are dissected off the spine
RECONSTRUCTION = {"cage_reconstruction", "posterior_cage"}  # the anterior column is rebuilt

TRIGGERS = [  # limits that make the rule fire early, late or not at all
    {"max_hours": 0.3},
    {"max_hours": 4},
    {"max_blood_volumes": 0.05},
    {"max_blood_volumes": 0.8},
    {"max_blood_volumes_without_plasma": 0.5},
    {"on_alert": True},
    {"max_blood_volumes": 2.0, "max_hours": 10, "max_blood_volumes_without_plasma": 1.5, "on_alert": True},
]
_SCENARIOS: dict = {}


def ruled(patient: str, limits: dict):
    """The bundled patient with the stop-rule strategy's triggers replaced by ``limits`` (cached)."""
    key = (patient, tuple(sorted(limits.items())))
    if key not in _SCENARIOS:
        base = simulation.load_scenario(patient, [RULE])

        def edit(d):
            d["strategies"][0]["stop_and_stage"] = {"assumption": "Test limits.", **limits}

        _SCENARIOS[key] = variant(base, edit)
    return _SCENARIOS[key]


def stage_ends(course, plan):
    """For each stage but the last: the ids of the planned phases performed up to its end."""
    done, ends = [], []
    stages = sorted({e["stage"] for e in course.timeline if e["kind"] == "phase"})
    for s in stages[:-1]:
        done += [plan.phases[e["planned"]].phase.id for e in course.timeline
                 if e["kind"] == "phase" and e["stage"] == s and e["planned"] >= 0]
        ends.append(list(done))
    return ends


@settings(max_examples=120, deadline=None)
@given(
    patient=st.sampled_from(["seed-case", "adult-primary"]),
    limits=st.sampled_from(TRIGGERS),
    seed=st.integers(0, 2**31 - 1),
    replication=st.integers(0, 10**6),
)
def test_no_stage_ends_with_the_column_cut_or_the_vessels_freed_and_unreconstructed(patient, limits, seed, replication):
    sc = ruled(patient, limits)
    plan = compile_plan(sc, RULE)
    course = simulation.trace(sc, RULE, seed, replication)
    for done in stage_ends(course, plan):
        reconstructed = bool(RECONSTRUCTION & set(done))
        assert not (REMOVAL & set(done)) or reconstructed, f"stage ended after en bloc removal, before reconstruction: {done[-1]}"
        assert not (VESSELS & set(done)) or reconstructed, f"stage ended with the vessels dissected: {done[-1]}"
    if course.converted_to_staged:
        first = course.stages[0]
        assert first.ended_by.startswith("rule: ")
        last = next(p for p in plan.phases if f"{p.exposure}: {p.label}" == first.ended_after)
        assert last.phase.stage_break_allowed, first.ended_after


def test_bundled_phases_default_to_no_break_and_mark_the_posterior_release():
    sc = simulation.load_scenario("seed-case")
    plan = compile_plan(sc, RULE)
    allowed = [p.phase.id for p, ok in zip(plan.phases, plan.may_stop_after) if ok]
    assert allowed == ["posterior_rods"]
    assert not any(p.phase.stage_break_allowed for p in plan.phases if p.phase.id in REMOVAL | VESSELS)


def test_a_break_before_a_lateral_exposure_preps_lateral_and_skips_the_repositioning():
    sc = ruled("seed-case", {"max_hours": 0.3})
    plan = compile_plan(sc, RULE)
    j = [p.phase.id for p in plan.phases].index("posterior_rods")
    added = [plan.all_phases[k].phase.id for k in plan.restage_after(j)]
    assert added == ["temporary_closure", "prep_lateral"]  # the flank is a new wound: nothing to reopen
    assert plan.phases[plan.resume_at[j]].phase.id == "thoracoabdominal_exposure"
    course = simulation.trace(sc, RULE, 1, 0)
    labels = [e["label"] for e in course.timeline if e["kind"] == "phase"]
    assert "Positioning lateral, prep and drape" in labels
    assert "Wound covered, repositioned in the same sterile field" not in labels
    assert course.stages[0].ended_after == "Posterior midline: Posterior rods placed and secured"
    assert course.stages[0].ended_by == "rule: stage duration"


@pytest.mark.parametrize("limits, reason", [({"on_alert": True}, "rule: alert"), ({"max_hours": 0.3}, "rule: stage duration")])
def test_stage_rows_record_where_and_why_the_stage_ended(limits, reason):
    res = simulation.run(ruled("seed-case", limits), 300, 5, strategies=[RULE])
    rows = res.stages
    converted = res.records.set_index("replication").converted_to_staged
    first = rows[rows.stage == 1].set_index("replication")
    assert (first.loc[converted[converted].index, "ended_by"] == reason).all()
    assert (first.loc[converted[~converted].index, "ended_by"] == "plan").all()
    assert set(first.loc[converted[converted].index, "ended_after"]) == {"Posterior midline: Posterior rods placed and secured"}
    if limits.get("on_alert"):  # an alert before the rods converts; one after them cannot (no safe break follows)
        assert 0 < converted.mean() < res.records.stop_rule_triggered.mean() + 1e-12
