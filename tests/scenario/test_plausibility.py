"""The patient form's plausibility note: weights far outside the age's band are flagged, never refused."""

import pytest

from simulation import Patient
from simulation.checks import check_file
from simulation.present.formats import weight_note
from simulation.scenario.loader import BUNDLED
from simulation.scenario.plausibility import implausible_weight, load_plausibility

BANDS = load_plausibility()


def _patient(age: float, weight: float) -> Patient:
    return Patient(name="p", age_years=age, sex="male", weight_kg=weight, baseline_hb_g_dl=13, levels="L3", revision=False)


@pytest.mark.parametrize("age, weight", [(58, 12), (9, 120), (0.5, 40), (30, 20)])
def test_impossible_combinations_are_flagged(age, weight):
    band = implausible_weight(_patient(age, weight), BANDS)
    assert band is not None and not band.min_kg <= weight <= band.max_kg
    note = weight_note(age, weight, band.min_kg, band.max_kg)
    assert f"{age:g}-year-old weighing {weight:g} kg" in note and "still runs" in note


@pytest.mark.parametrize("age, weight", [(9, 28), (58, 80), (16, 55), (1.5, 11), (45, 150)])
def test_ordinary_patients_are_not(age, weight):
    assert implausible_weight(_patient(age, weight), BANDS) is None


def test_bands_cover_every_age_the_schema_allows_without_gaps():
    bands = sorted(BANDS.weight_for_age, key=lambda b: b.age_from)
    assert bands[0].age_from == 0 and bands[-1].age_to > Patient.model_fields["age_years"].metadata[1].le
    assert all(a.age_to == b.age_from for a, b in zip(bands, bands[1:]))
    assert BANDS.assumption and check_file(BUNDLED / "plausibility.yaml") == "plausibility bands"
