"""The plan editor: start from a bundled plan, edit it in the page, validate it like the CLI, run it."""

import yaml
from dashboard_helpers import no_exceptions

from dashboard import plans
from simulation import load_scenario
from simulation.scenario.loader import read_yaml, strategy_from


def _open(app):
    app.run()
    app.switch_page("views/7_Plans.py").run()
    no_exceptions(app)
    return app


def _row_keys(app, field):
    """The widget keys of one field, row by row (rows as the page keeps them)."""
    return [f"plan_{row['uid']}_{field}" for row in app.session_state["plan_rows"]]


def test_a_bundled_plan_round_trips_through_the_editor():
    """Every exposure comes back as it was: approach, label, position, phases and its labels for a revision."""
    for name in ("posterior-only", "two-stage-posterior-then-anterior", "single-stage-with-stop-rule",
                 "single-stage-three-exposure"):
        base = load_scenario("seed-case", [name]).strategies[0]
        data = plans.raw_plan(plans.rows(base).assign(), base.name, base.label, base.description, plans.overrides(name),
                              None, base.stop_and_stage.model_dump(exclude_none=True) if base.stop_and_stage else None,
                              plans.exposure_labels(base))
        again = plans.check_plan(data)
        assert [[e.model_dump() for e in s.exposures] for s in again.stages] == \
               [[e.model_dump() for e in s.exposures] for s in base.stages]
        reread = strategy_from(read_yaml("x.yaml", text=plans.to_yaml(data)), "x.yaml", *_library_and_refs())
        assert reread == again


def _library_and_refs():
    from simulation.scenario.loader import load_library, load_references

    return load_library(), load_references()


def test_edit_a_plan_in_the_page_and_run_it(app):
    _open(app)
    app.selectbox(key="plan_base").set_value("posterior-only").run()
    app.text_input(key="plan_name").set_value("posterior-two-stages")
    app.text_input(key="plan_label").set_value("Posterior, in two stages")
    app.button(key="plan_add").click().run()  # a second exposure ...
    (stage_2,) = [k for k in _row_keys(app, "stage")][1:]
    app.number_input(key=stage_2).set_value(2)  # ... in a second anaesthetic
    app.text_input(key=_row_keys(app, "phases")[1]).set_value("prep_prone, posterior_exposure, closure")
    app.toggle(key="plan_rule").set_value(True).run()
    no_exceptions(app)
    assert not app.error, [e.value for e in app.error]
    download = next(b for b in app.get("download_button") if b.proto.label == "Download plan (YAML)")
    assert not download.proto.disabled
    app.button(key="plan_use").click().run()
    assert any("Posterior, in two stages" in s.value for s in app.success)
    strategy = app.session_state["uploaded_strategies"]["posterior-two-stages"]
    assert len(strategy.stages) == 2 and strategy.stop_and_stage.max_hours == 10.0
    assert [p.id for p in strategy.stages[1].exposures[0].phases] == ["prep_prone", "posterior_exposure", "closure"]
    app.switch_page("views/1_Compare.py").run()
    assert "posterior-two-stages" in app.multiselect(key="compare_strategies").value
    next(b for b in app.button if b.label == "Run").click().run()
    no_exceptions(app)
    outcomes = next(t.value for t in app.table if t.value.columns[0] == "Outcome")
    assert "Posterior, in two stages" in outcomes.columns


def test_a_bad_edit_is_refused_as_the_cli_refuses_it(app):
    _open(app)
    app.text_input(key=_row_keys(app, "phases")[0]).set_value("prep_prone, laminectomie").run()
    no_exceptions(app)
    assert any("laminectomie" in e.value and "unknown phase id" in e.value for e in app.error)
    assert next(b for b in app.get("download_button") if b.proto.label == "Download plan (YAML)").proto.disabled


def test_rows_move_and_go(app):
    _open(app)
    app.selectbox(key="plan_base").set_value("single-stage-three-exposure").run()
    labels = [app.session_state[k] for k in _row_keys(app, "label")]
    assert len(labels) == 3
    down = next(b for b in app.button if b.label == "↓")
    down.click().run()
    moved = [r["label"] for r in app.session_state["plan_rows"]]
    assert moved == [labels[1], labels[0], labels[2]]
    next(b for b in app.button if b.label == "✕").click().run()
    assert [r["label"] for r in app.session_state["plan_rows"]] == [labels[0], labels[2]]
    assert yaml.safe_load(plans.to_yaml({"a": 1})) == {"a": 1}


def test_a_plan_with_policies_keeps_them_when_edited(app):
    """Issue 11: editing an embolised plan keeps its embolisation (the page copies the starting plan's policies)."""
    _open(app)
    app.selectbox(key="plan_base").set_value("posterior-only-embolised").run()
    app.text_input(key="plan_name").set_value("embolised-variant")
    app.text_input(key="plan_label").set_value("Embolised, edited").run()
    no_exceptions(app)
    app.button(key="plan_use").click().run()
    strategy = app.session_state["uploaded_strategies"]["embolised-variant"]
    assert strategy.policies.embolisation and strategy.policies.embolisation_hours_before_surgery == 18


def test_policies_are_edited_in_the_page(app):
    """Tranexamic acid on, embolisation 48 h before, salvage off: the added plan carries them, and turning
    embolisation off again removes it from the plan."""
    _open(app)
    app.selectbox(key="plan_base").set_value("posterior-only").run()
    app.text_input(key="plan_name").set_value("po-policies").run()
    app.toggle(key="plan_txa").set_value(True).run()
    app.toggle(key="plan_embolisation").set_value(True).run()
    app.number_input(key="plan_embolisation_hours").set_value(48.0).run()
    app.radio(key="plan_salvage").set_value("off").run()
    no_exceptions(app)
    app.button(key="plan_use").click().run()
    p = app.session_state["uploaded_strategies"]["po-policies"].policies
    assert p.tranexamic_acid and p.embolisation and p.embolisation_hours_before_surgery == 48 and p.cell_salvage is False
    assert not p.controlled_hypotension
    app.toggle(key="plan_embolisation").set_value(False).run()
    app.text_input(key="plan_name").set_value("po-txa").run()
    app.button(key="plan_use").click().run()
    assert not app.session_state["uploaded_strategies"]["po-txa"].policies.embolisation


def test_an_edited_plan_keeps_its_labels_for_the_patient():
    """The anterior exposure reads "(revision)" for a revision case and not for a primary one, after
    editing as before; an exposure given a new label loses the old one's patient labels."""
    from simulation.model.plan import compile_plan

    base = load_scenario("seed-case", ["two-stage-posterior-then-anterior"]).strategies[0]
    table = plans.rows(base)
    data = plans.raw_plan(table, "edited", "Edited", base.description, plans.overrides(base.name), None, None,
                          plans.exposure_labels(base))
    edited = plans.check_plan(data)
    revision, primary = load_scenario("seed-case"), load_scenario("adult-primary")
    assert revision.patient.revision and not primary.patient.revision

    def exposures(scenario):
        sc = load_scenario(scenario.patient, [edited])
        return {p.exposure for p in compile_plan(sc, "edited").all_phases}

    assert "Left thoracoabdominal (revision)" in exposures(revision)
    assert not any("(revision)" in e for e in exposures(primary))
    renamed = table.assign(label=table.label.replace({"Left thoracoabdominal": "Anterior"}))
    data = plans.raw_plan(renamed, "edited", "Edited", base.description, plans.overrides(base.name), None, None,
                          plans.exposure_labels(base))
    assert all("label_when" not in e for s in data["stages"] for e in s["exposures"])
