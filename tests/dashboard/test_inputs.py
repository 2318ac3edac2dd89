"""Input handling: uploaded/pasted YAML through the loader's validation, the patient form's
per-field errors, and bundled files as templates. Errors are shown, never raised."""

from pathlib import Path

import pytest
from dashboard_helpers import APP, TEST_REPLICATIONS, no_exceptions
from streamlit.testing.v1 import AppTest

from dashboard.cases import to_yaml
from dashboard.uploads import issue_text, read_upload
from simulation import Patient, Strategy, bundled
from simulation.scenario.loader import MAX_FILE_BYTES

SEED_CASE = bundled("patients")["seed-case"].read_bytes()
SINGLE = bundled("strategies")["single-stage-three-exposure"].read_bytes()


# --- read_upload: bytes -> model or issues ----------------------------------------------------------
@pytest.mark.parametrize("kind, data, model", [("patient", SEED_CASE, Patient), ("strategy", SINGLE, Strategy)])
def test_bundled_files_are_valid_uploads(kind, data, model):
    upload = read_upload(data, f"{kind}.yaml", kind)
    assert upload.ok and isinstance(upload.model, model) and not upload.issues


def test_malformed_yaml_names_line_and_column():
    upload = read_upload(b"name: x\nage_years: [9\n", "bad.yaml", "patient")
    assert not upload.ok
    (issue,) = upload.issues
    assert issue.file == "bad.yaml" and issue.path.startswith("line ") and "malformed YAML" in issue.message


def test_schema_errors_name_each_field_and_value():
    text = SEED_CASE.decode().replace("weight_kg: 28", "weight_kg: 1").replace("levels: L2-L4", "levels: L2-Q4")
    upload = read_upload(text.encode(), "child.yaml", "patient")
    paths = {i.path: i for i in upload.issues}
    assert set(paths) == {"weight_kg", "levels"}
    assert "1" in issue_text(paths["weight_kg"]) and "**weight_kg**" in issue_text(paths["weight_kg"])
    assert "L2-Q4" in paths["levels"].message


def test_unknown_phase_in_a_strategy_lists_the_known_ones():
    text = SINGLE.decode().replace("laminectomy,", "laminectomie,")
    (issue,) = read_upload(text.encode(), "plan.yaml", "strategy").issues
    assert issue.path.endswith(".use") and issue.value == "laminectomie" and "laminectomy" in issue.message


def test_binary_and_oversized_files_are_refused():
    assert "UTF-8" in read_upload(b"\xff\xfe\x00", "x.yaml", "patient").issues[0].message
    big = read_upload(b"#" * (2 * MAX_FILE_BYTES + 1), "big.yaml", "patient")
    assert big.issues[0].message.startswith("is 2.0 MB; scenario files are limited to 1.0 MB")


@pytest.mark.parametrize("name", ["scan.pdf", "notes.TXT", "patient.json"])
def test_a_file_that_is_not_yaml_by_its_name_says_so(name):
    (issue,) = read_upload(SEED_CASE, name, "patient").issues
    suffix = name.rsplit(".", 1)[1].lower()
    assert issue.message == f"is a .{suffix} file; a patient file is YAML text ending in .yaml or .yml"
    assert read_upload(SEED_CASE, "seed-case.YML", "patient").ok


def test_a_strategy_file_uploaded_as_a_patient_is_told_so():
    (issue,) = read_upload(SINGLE, "single.yaml", "patient").issues
    assert issue.message.startswith("is a strategy file (it has stages:), not a patient file: load it under Strategy files")
    (issue,) = read_upload(SEED_CASE, "seed-case.yaml", "strategy").issues
    assert issue.message.startswith("is a patient file (it has age_years:), not a strategy file: load it under the Patient file")




# --- the sidebar in AppTest --------------------------------------------------------------------------
def _paste(at, text: str, kind: str):
    at.text_area(key="paste_text").set_value(text)
    at.radio(key="paste_kind").set_value(kind)
    return at.button(key="paste_use").click().run()


def test_bad_pasted_yaml_shows_errors_not_a_traceback(app):
    app.run()
    _paste(app, "age_years: [9\nsex: female\n", "patient")
    no_exceptions(app)
    assert any("malformed YAML" in e.value for e in app.sidebar.error)
    assert app.sidebar.selectbox(key="pt_base").value == "seed-case"


def test_pasted_patient_becomes_the_base_and_fills_the_form(app):
    app.run()
    text = bundled("patients")["adult-primary"].read_text().replace("weight_kg: 78", "weight_kg: 81")
    _paste(app, text, "patient")
    no_exceptions(app)
    assert app.sidebar.selectbox(key="pt_base").value == "adult-primary (uploaded)"
    assert app.number_input(key="pt_weight_kg").value == 81
    assert app.text_input(key="pt_levels").value == "L3"


def test_pasted_strategy_joins_the_comparison(app):
    app.run()
    text = "name: posterior-only-short-interval\nextends: posterior-only\nlabel: Posterior only, variant\n"
    _paste(app, text, "strategy")
    no_exceptions(app)
    assert "posterior-only-short-interval" in app.multiselect(key="compare_strategies").value
    assert "Posterior only, variant" in app.multiselect(key="compare_strategies").options


def test_a_strategy_may_not_take_a_bundled_name(app):
    app.run()
    _paste(app, "name: posterior-only\nextends: posterior-only\nlabel: Again\n", "strategy")
    assert any("bundled strategy" in e.value for e in app.sidebar.error)


def test_form_errors_appear_under_their_field(app):
    app.run()
    app.number_input(key="pt_weight_kg").set_value(1.0)
    app.text_input(key="pt_levels").set_value("L4-L2").run()
    no_exceptions(app)
    errors = [e.value for e in app.sidebar.error]
    assert any(e.startswith("**Weight (kg)**") and "you entered 1" in e for e in errors)  # the form's words
    assert any(e.startswith("**Levels resected**") and "backwards" in e for e in errors)
    assert not any("weight_kg" in e for e in errors)
    assert any("Fix the highlighted inputs" in w.value for w in app.warning)
    app.number_input(key="pt_weight_kg").set_value(28.0)
    app.text_input(key="pt_levels").set_value("L2-L4").run()
    assert not app.sidebar.error  # cleared when fixed


def test_an_impossible_combination_is_refused_under_its_field(app):
    app.run()
    app.number_input(key="pt_age_years").set_value(58.0)
    app.number_input(key="pt_weight_kg").set_value(12.0).run()
    no_exceptions(app)
    assert any("Weight (kg)" in e.value and "not a possible weight at 58 years" in e.value for e in app.sidebar.error)
    assert app.session_state["inputs"].patient is None


def test_a_possible_but_extreme_combination_gets_a_note(app):
    app.run()
    app.number_input(key="pt_age_years").set_value(58.0)
    app.number_input(key="pt_weight_kg").set_value(35.0).run()
    no_exceptions(app)
    assert any("Weight (kg)" in w.value and "extreme at 58 years" in w.value for w in app.sidebar.warning)
    assert app.session_state["inputs"].patient is not None  # a note, not an error


def test_a_named_case_is_saved_downloaded_and_reopened(app, tmp_path, monkeypatch):
    monkeypatch.setenv("RESECTSIM_CASES", str(tmp_path))
    app.run()
    app.text_input(key="pt_name").set_value("Mrs B")
    app.number_input(key="pt_weight_kg").set_value(31.0).run()
    assert any(b.proto.label == "YAML" for b in app.sidebar.get("download_button"))
    app.button(key="case_save").click().run()
    no_exceptions(app)
    saved = tmp_path / "mrs-b.yaml"
    assert saved.is_file()
    again = read_upload(saved.read_bytes(), saved.name, "patient")
    assert again.ok and again.model.name == "Mrs B" and again.model.weight_kg == 31.0
    assert app.query_params["case"] in ("mrs-b", ["mrs-b"])  # the address keeps the case across a reload
    assert app.sidebar.selectbox(key="pt_base").value == "mrs-b (saved)"
    fresh = AppTest.from_file(str(APP), default_timeout=180)  # a reload: a new session with the same address
    fresh.session_state["reps"] = TEST_REPLICATIONS
    fresh.query_params["case"] = "mrs-b"
    fresh.run()
    assert fresh.sidebar.selectbox(key="pt_base").value == "mrs-b (saved)"
    assert fresh.text_input(key="pt_name").value == "Mrs B" and fresh.number_input(key="pt_weight_kg").value == 31.0


def test_edited_fields_are_recorded_as_entered(app):
    app.run()
    app.number_input(key="pt_weight_kg").set_value(30.0).run()
    patient = app.session_state["inputs"].patient
    assert patient.weight_kg == 30.0
    assert "dashboard form" in patient.assumptions["weight_kg"]
    assert "28" in patient.assumptions["weight_kg"]


def test_the_patient_template_is_the_forms_patient(app):
    app.run()
    app.number_input(key="pt_weight_kg").set_value(30.0).run()
    names = {b.proto.label for b in app.sidebar.get("download_button")}
    assert {"Patient", "Strategy", "YAML"} <= names
    assert to_yaml(app.session_state["form_patient"]).count("weight_kg: 30.0") == 1
    assert Path(bundled("patients")["seed-case"]).is_file()


def test_uploaded_patient_file_with_errors_is_reported_per_field(app):
    app.run()
    bad = SEED_CASE.decode().replace("baseline_hb_g_dl: 12.0", "baseline_hb_g_dl: 30").encode()
    app.file_uploader(key="upload_patient").set_value(("child.yaml", bad, "application/x-yaml")).run()
    no_exceptions(app)
    assert any(e.value.startswith("child.yaml: **baseline_hb_g_dl**") and "30" in e.value for e in app.sidebar.error)
    assert app.sidebar.selectbox(key="pt_base").value == "seed-case"


def test_uploaded_strategy_files(app):
    app.run()
    variant = b"name: two-stage-short\nextends: two-stage-posterior-then-anterior\nlabel: Two stages, 3 days apart\n" \
              b"interval_days: {dist: fixed, value: 3, assumption: 'A shorter interval to compare.'}\n"
    files = [("variant.yaml", variant, "application/x-yaml"), ("broken.yaml", b"stages: [", "application/x-yaml")]
    app.file_uploader(key="upload_strategies").set_value(files).run()
    no_exceptions(app)
    assert any("variant.yaml: loaded" in s.value for s in app.sidebar.success)
    assert any(e.value.startswith("broken.yaml:") and "malformed YAML" in e.value for e in app.sidebar.error)
    assert "two-stage-short" in app.multiselect(key="compare_strategies").value
    next(b for b in app.button if b.label == "Run").click().run()
    no_exceptions(app)
    outcomes = next(t.value for t in app.table if t.value.columns[0] == "Outcome")
    assert "Two stages, 3 days apart" in outcomes.columns


def test_an_edited_age_drops_the_files_family_description(app):
    app.run()
    assert app.session_state["inputs"].patient.family_description  # the seed case's plain-words text
    app.number_input(key="pt_age_years").set_value(12.0).run()
    patient = app.session_state["inputs"].patient
    assert patient.family_description is None and patient.family_label is None  # written from the fields instead



def test_the_tumour_and_comorbidity_inputs_reach_the_patient(app):
    """Issue 11: the new inputs start 'not known' for the seed case and flow into the validated patient."""
    app.run()
    assert app.number_input(key="pt_height_cm").value is None
    assert app.selectbox(key="pt_vascularity_grade").value == "not known"
    app.selectbox(key="pt_histology").set_value("renal_cell")
    app.selectbox(key="pt_vascularity_grade").set_value("high")
    app.number_input(key="pt_tumour_volume_cm3").set_value(70.0)
    app.number_input(key="pt_height_cm").set_value(130.0)
    app.selectbox(key="pt_frailty_mfi5").set_value(2).run()
    no_exceptions(app)
    patient = app.session_state["inputs"].patient
    assert (patient.histology, patient.vascularity_grade, patient.tumour_volume_cm3, patient.height_cm,
            patient.frailty_mfi5) == ("renal_cell", "high", 70.0, 130.0, 2)
    assert patient.assumptions["histology"].startswith("Entered in the dashboard form")


def test_a_bad_new_input_is_shown_under_its_field(app):
    app.run()
    app.number_input(key="pt_height_cm").set_value(50.0).run()  # 28 kg at 50 cm: BMI 112
    no_exceptions(app)
    assert any(e.value.startswith("**Height (cm)**") and "BMI" in e.value for e in app.sidebar.error)
    assert app.session_state["inputs"].patient is None
