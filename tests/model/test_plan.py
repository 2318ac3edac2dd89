"""Compiling a plan: every patient-modifier family a phase may scale with has a patient exposure, so a
new family cannot be declared in the schema and silently ignored by the model."""

from typing import get_args

from simulation.model import factors
from simulation.model.plan import modifier_exposures
from simulation.scenario.procedure import ModifierFamily


def test_every_modifier_family_has_an_exposure(seed_scenario):
    patient = seed_scenario.patient.model_copy(update={"scar_severity": "heavy", "psoas_extension": True,
                                                      "great_vessel_adhesion": True, "revision": True})
    scenario = seed_scenario.model_copy(update={"patient": patient})
    # every family a phase can list in scales_with, and body size, which acts on every phase's bleeding
    assert set(modifier_exposures(scenario)) == set(get_args(ModifierFamily)) | {factors.BODY_SIZE}
