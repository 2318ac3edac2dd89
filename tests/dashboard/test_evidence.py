"""The evidence page: the register (every sourced number with its basis and labels), each phase plan, the references."""

import json

import pytest
from dashboard_helpers import no_exceptions

from dashboard.evidence import patient_table
from simulation import load_scenario
from simulation.evidence.register import phase_plan, register


@pytest.fixture(scope="module")
def seed():
    return load_scenario("seed-case")


def _sourced(node, where=()) -> set:
    """An independent oracle on the dumped scenario: (phase id or path, mapping) for each mapping
    with a source or an assumption; phases are keyed by id, as one library phase recurs."""
    found = set()
    if isinstance(node, dict):
        if isinstance(node.get("source"), str) or isinstance(node.get("assumption"), str):  # not widening.assumption
            return {(where, json.dumps(node, sort_keys=True))}
        if "id" in node and "duration_min" in node:
            where = ("phase", node["id"])
        for key, value in node.items():
            found |= _sourced(value, where + (key,))
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            found |= _sourced(value, where if where[:1] == ("phase",) else where + (i,))
    return found


def test_every_parameter_has_a_basis_and_a_citation_or_sentence(seed):
    table = register(seed)
    assert set(table.Basis) == {"source", "assumption"}
    assert table["Source or assumption"].str.len().min() > 10
    expected = _sourced(seed.parameters.model_dump(by_alias=True))
    for strategy in seed.strategies:
        expected |= _sourced(strategy.model_dump(by_alias=True), ("strategy", strategy.name))
    assert len(table) == len(expected)


def test_known_entries(seed):
    table = register(seed).set_index("Parameter")
    trigger = table.loc["transfusion.trigger_hb_g_dl"]
    assert (trigger.Value, trigger.Unit, trigger.Basis) == ("7", "g/dL", "source")
    assert "Lacroix" in trigger["Source or assumption"]
    durotomy = table.loc["laminectomy.events[0].probability"]
    assert durotomy.Value == "533 / 3684 (14.5%)" and durotomy.Unit == "probability"
    lam = table.loc["laminectomy.duration_min"]
    assert lam.Unit == "min" and lam.Basis == "assumption" and "–" in lam["5–95%"]
    assert table.index.is_unique  # a library phase used by several strategies is listed once


def test_patient_assumptions_and_case_report(seed):
    table = patient_table(seed).set_index("Field")
    assert table.loc["weight_kg", "Basis"] == "assumption"
    assert table.loc["levels", "Basis"] == "case report"
    assert "Gupta" in table.loc["levels", "Source or assumption"]


def test_phase_plan_applies_this_patients_conditions(seed):
    child = phase_plan(seed, "single-stage-three-exposure")
    adult = phase_plan(load_scenario("adult-primary"), "single-stage-three-exposure")
    assert "Removal of retained implants" in set(child.Phase)
    assert "Removal of retained implants" not in set(adult.Phase)  # requires implants
    exposure = "Posterior midline exposure"
    assert float(child.set_index("Phase").loc[exposure, "Duration ×"]) > 1
    assert float(adult.set_index("Phase").loc[exposure, "Duration ×"]) == 1
    assert child["Events, P(at least one) for this patient"].str.contains("Durotomy").any()


def test_evidence_page(app):
    app.run()
    app.switch_page("views/3_Evidence.py").run()
    no_exceptions(app)
    counts = {m.label: int(m.value) for m in app.metric}
    assert counts["Numbers in the model"] == counts["From a published source"] + counts["Assumptions"]
    assert counts["Assumptions"] > counts["From a published source"]
    app.text_input(key="evidence_query").set_value("trigger").run()
    assert any("**Transfusion: trigger Hb**  \n`transfusion.trigger_hb_g_dl`" in t.value.Parameter.iloc[0] for t in app.table)
    # the rationale of the phase times, hidden in the phase library's header, is on the page
    assert any("No published source gives phase-level times" in m.value for m in app.markdown)


def test_parameters_have_names_for_people_beside_their_paths(seed):
    from dashboard.evidence import names
    from simulation.present.formats import parameter_name

    known = names(seed)
    assert parameter_name("complications.types.wound_infection.odds_ratios.revision_severity", known) == \
        "Wound infection: odds ratio for revision severity"
    assert parameter_name("laminectomy.events[0].probability", known) == "Laminectomy and dural release: Durotomy, risk"
    assert parameter_name("closure.bleeding_ml_per_min", known) == "Closure in layers over drains: bleeding rate"
    assert parameter_name("modifiers.scar.heavy.duration", known) == "Patient conditions: scar, heavy, duration multiplier"


def test_every_source_states_its_design_and_size_or_not_reported(seed):
    from dashboard.evidence import readable

    shown = readable(register(seed), seed)
    sourced = shown[shown.Basis == "source"]
    assert (sourced.Study != "").all()
    assert sourced.Study.str.contains("N=").any() and sourced.Study.str.contains("N not reported").any()
    assert (shown[shown.Basis == "assumption"].Study == "").all()


def test_evidence_page_filters_by_label_and_lists_the_references(app):
    app.run()
    app.switch_page("views/3_Evidence.py").run()
    app.selectbox(key="evidence_label").set_value("adult-to-child").run()
    no_exceptions(app)
    shown = [t.value for t in app.table if "Labels" in t.value.columns]
    assert shown and all(t.Labels.str.contains("adult-to-child").all() for t in shown)
    assert any(t.Parameter.str.contains("`complications.types.csf_leak.baseline`").any() for t in shown)
    (references,) = [d.value.set_index("Reference") for d in app.dataframe if "Reference" in d.value.columns]
    assert references.loc["kanazawa2021", "N"] == "307" and references.loc["kanazawa2021", "Parameters"] > 0
    assert (references.N == "not reported").any() and (references.Design != "").all()
