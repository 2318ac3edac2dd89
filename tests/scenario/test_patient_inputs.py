"""The patient and policy inputs of issue 11 in files: bad values refused in one line naming the field,
the bundled patients that use them accepted by the CLI, and every new number in the evidence register."""

from __future__ import annotations

import pytest
import yaml
from helpers import invoke, one_clean_error, script

from simulation import ScenarioError, check_file, load_scenario
from simulation.evidence.register import register
from simulation.scenario.loader import BUNDLED

NEW_PATIENTS = ("renal-l5", "thoracic-chordoma-frail", "obese-lumbar-sarcoma")


def patient_file(folder, **changes):
    data = {**yaml.safe_load((BUNDLED / "patients/renal-l5.yaml").read_text(encoding="utf-8")), **changes}
    path = folder / "case.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.parametrize(("field", "value", "fragment"), [
    ("height_cm", 300, "less than or equal to 230"),
    ("height_cm", 100, "BMI of 82.0"),  # 82 kg at 1 m: a typing error
    ("tumour_volume_cm3", 2000, "less than or equal to 1000"),
    ("tumour_volume_cm3", 0, "greater than or equal to 5"),
    ("frailty_mfi5", 6, "less than or equal to 5"),
    ("frailty_mfi5", 1.5, "valid integer"),
    ("histology", "adenoma", "renal_cell"),
    ("vascularity_grade", "very high", "'low', 'moderate' or 'high'"),
    ("chemotherapy_weeks_before_surgery", -1, "greater than or equal to 0"),
    ("prior_radiotherapy", "maybe", "boolean"),
])
def test_a_bad_value_is_one_issue_naming_the_field(tmp_path, field, value, fragment):
    with pytest.raises(ScenarioError) as info:
        check_file(patient_file(tmp_path, **{field: value}))
    (issue,) = info.value.issues
    assert field in f"{issue.path} {issue.message}" and fragment in issue.message, str(issue)


def test_a_bad_policy_is_one_issue_naming_the_field(tmp_path):
    data = yaml.safe_load((BUNDLED / "strategies/posterior-only-embolised.yaml").read_text(encoding="utf-8"))
    data["policies"]["embolisation_hours_before_surgery"] = 1000
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        check_file(path)
    (issue,) = info.value.issues
    assert issue.path == "policies.embolisation_hours_before_surgery" and "720" in issue.message


def test_the_cli_refuses_a_bad_new_field_in_one_line(tmp_path):
    line = one_clean_error(script("compare", patient_file(tmp_path, tumour_volume_cm3=5000), "--reps", 5))
    assert "tumour_volume_cm3" in line


@pytest.mark.parametrize("name", NEW_PATIENTS)
def test_compare_accepts_the_new_bundled_patients(name):
    result = invoke("compare", name, "-s", "posterior-only", "-s", "posterior-only-embolised", "--reps", 20)
    assert result.exit_code == 0, result.output[-2000:]
    assert "Outcomes per strategy" in result.output


def test_every_new_number_is_in_the_evidence_register_with_its_source_or_assumption():
    table = register(load_scenario("renal-l5", ["posterior-only-embolised"]))
    new = table[table.Section.str.contains("patient_factors|policies|complication_factors")]
    parameters = set(new.Parameter)
    for expected in ("region.lower_lumbar.bleeding", "vascularity.high.bleeding", "embolisation.late_fraction",
                     "tranexamic_acid.bleeding", "controlled_hypotension.bleeding", "types.hardware_failure.region_lumbar",
                     "types.death.frailty_mfi5", "types.vte.obese", "adult_blood_volume_l.male.per_weight_kg"):
        assert any(p.endswith(expected) for p in parameters), expected
    assert len(new) >= 60
    assert (new["Source or assumption"].str.len() > 0).all()
    assert set(new.Basis) == {"source", "assumption"}
