"""Patient, tumour and policy factors: how often each multiplier applies to this patient and plan, and
the covariates of their complication odds ratios (``parameters.patient_factors``, ``parameters.policies``,
``parameters.complication_factors``).

An input left unset is the reference: no multiplier (exponent 0 or a ratio of 1) and covariate 0, so a
patient file without the new fields simulates exactly as before.
"""

from __future__ import annotations

import math

import numpy as np

from ..scenario.parameters import Modifier
from ..scenario.procedure import Phase, Strategy
from ..scenario.schema import Scenario

SYSTEMIC = ("tranexamic_acid", "controlled_hypotension")
"""Policies that act on every phase (a drug or an anaesthetic target), not through ``scales_with``."""
BODY_SIZE = "body_size"
"""The patient's size (estimated blood volume against the library's reference) scales every phase's bleeding."""
EVERY_PHASE = (BODY_SIZE, *SYSTEMIC)


def acts_on(phase: Phase, family: str) -> bool:
    """Whether ``family``'s multipliers act on ``phase``: listed in its ``scales_with``, or acting on every phase."""
    return family in phase.scales_with or family in EVERY_PHASE
WITH_VASCULARITY = "embolisation"
"""The policy that acts on the phases that scale with ``vascularity``."""
_LUMBAR = ("lumbar", "lower_lumbar", "sacral")


def vascularity(scenario: Scenario) -> str:
    """The tumour's vascularity class: the angiographic grade if given, else the histology's usual class."""
    pt = scenario.patient
    return pt.vascularity_grade or scenario.parameters.patient_factors.histology[pt.histology].vascularity


def patient_exposures(scenario: Scenario) -> dict[str, tuple[Modifier, float]]:
    """Region, vascularity and tumour volume: the modifier and how many times it applies."""
    pt, pf = scenario.patient, scenario.parameters.patient_factors
    doublings = 0.0 if pt.tumour_volume_cm3 is None else math.log2(pt.tumour_volume_cm3 / pf.reference_tumour_volume_cm3.value)
    return {
        "region": (pf.region[pt.region], 1.0),
        "vascularity": (pf.vascularity[vascularity(scenario)], 1.0),
        "tumour_volume": (pf.per_doubling_tumour_volume, doublings),
    }


def embolisation_times(scenario: Scenario, strategy: Strategy) -> float:
    """How much of the embolisation effect applies: 1 within the full-effect window, the late fraction
    after it, 0 without embolisation."""
    pol, emb = strategy.policies, scenario.parameters.policies.embolisation
    if not pol.embolisation:
        return 0.0
    return 1.0 if pol.embolisation_hours_before_surgery <= emb.full_effect_within_hours.value else emb.late_fraction.value


def policy_exposures(scenario: Scenario, strategy: Strategy) -> dict[str, tuple[Modifier, float]]:
    """The strategy's peri-operative policies: the modifier and how many times it applies."""
    pol, eff = strategy.policies, scenario.parameters.policies
    return {
        WITH_VASCULARITY: (eff.embolisation.by_vascularity[vascularity(scenario)], embolisation_times(scenario, strategy)),
        "tranexamic_acid": (eff.tranexamic_acid, float(pol.tranexamic_acid)),
        "controlled_hypotension": (eff.controlled_hypotension, float(pol.controlled_hypotension)),
    }


def anaemic(scenario: Scenario) -> bool:
    """Baseline Hb below the anaemia threshold of the patient's sex and age."""
    pt = scenario.parameters.patient_factors
    bands = sorted(pt.anaemia_below_hb_g_dl[scenario.patient.sex], key=lambda b: b.max_age_years)
    band = next((b for b in bands if scenario.patient.age_years <= b.max_age_years), bands[-1])
    return scenario.patient.baseline_hb_g_dl < band.value


def patient_covariates(scenario: Scenario, strategy: Strategy) -> dict[str, float]:
    """Every covariate of ``parameters.complication_factors`` for this patient and plan (constants)."""
    pt, pf = scenario.patient, scenario.parameters.patient_factors
    adult = not scenario.is_child
    bmi = pt.bmi
    chemo = pt.chemotherapy_weeks_before_surgery
    pol = strategy.policies
    return {
        "region_thoracolumbar": float(adult and pt.region == "thoracolumbar"),
        "region_lumbar": float(adult and pt.region in _LUMBAR),
        "bmi_per_5_above_reference": 0.0 if bmi is None else max(0.0, bmi - pf.bmi_reference.value) / 5.0,
        "obese": float(bmi is not None and bmi >= pf.obesity_bmi.value),
        "frailty_mfi5": float(pt.frailty_mfi5 or 0) if adult else 0.0,
        "asa_above_2": float(max(0, pt.asa_class - 2)) if adult else 0.0,
        "anaemia": float(adult and anaemic(scenario)),
        "prior_radiotherapy": float(pt.prior_radiotherapy),
        "recent_chemotherapy": float(chemo is not None and chemo < pf.recent_chemotherapy_weeks.value),
        "embolised": float(pol.embolisation),
        "tranexamic_acid": float(pol.tranexamic_acid),
        "controlled_hypotension": float(pol.controlled_hypotension),
    }


def covariates(scenario: Scenario, strategy: Strategy, replications: int) -> dict[str, np.ndarray]:
    """``patient_covariates`` as arrays of one value per replication."""
    return {k: np.full(replications, v) for k, v in patient_covariates(scenario, strategy).items()}


def extra_stay_days(scenario: Scenario, strategy: Strategy) -> float:
    """Hospital days the plan's policies add (embolisation before surgery)."""
    return scenario.parameters.policies.embolisation.stay_days.value if strategy.policies.embolisation else 0.0
