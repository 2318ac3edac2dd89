"""Oncological and functional record columns: the margin (expert judgement), its consequences
(Fisher 2011), and the days until the patient is fit for adjuvant therapy.

Margin. For the plan's approach class (``scenario.procedure.margin_approach``), the judged
probability of an Enneking-appropriate margin is read at one quantile ``u`` per replication, the
same for every plan and condition (common random numbers)::

    logit p = logit P_ref(u) + sum over the patient's conditions c of (logit P_c(u) - logit P_ref(u))

where P_ref and P_c are the widened elicited Betas (``scenario.oncology.ElicitedProbability``).
The margin is appropriate when a second uniform falls below p. The consequences are expectations
over the margin's chance, as a tumour board would state them before the operation::

    local recurrence risk = p * LR_appropriate + (1 - p) * LR_inappropriate      (per 100)
    margin death hazard ratio = p * 1 + (1 - p) * HR_inappropriate               (vs appropriate)

Adjuvant therapy. Counted from the first operation: the later of discharge and the last
operation's wound healed (drawn days, plus extra days per wound complication by severity)::

    days = max(hospital stay, day of the last operation + healing days + wound delays)

so a wound complication never shortens it. A patient who dies is not handled apart.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from ..scenario.feasibility import has_condition
from ..scenario.procedure import Strategy, margin_approach
from ..scenario.records import COMPLICATION
from ..scenario.schema import Scenario
from .sampling import Draws

MARGIN_QUANTILE, MARGIN_OUTCOME, HEALING = range(3)  # columns of Draws.oncology_z


def margin_probability(scenario: Scenario, strategy: Strategy, u: np.ndarray) -> np.ndarray:
    """P(Enneking-appropriate margin) of ``strategy`` for the scenario's patient at judgement quantiles ``u``."""
    judgement = scenario.parameters.oncology.margin.by_approach[margin_approach(strategy)]
    factor = scenario.parameters.widening.assumption.value

    def log_odds(elicited) -> np.ndarray:
        return special.logit(elicited.widened_ppf(u, factor if elicited.assumption else 1.0))

    reference = log_odds(judgement.reference)
    lp = reference + sum(
        (log_odds(e) - reference for c, e in judgement.with_condition.items() if has_condition(scenario.patient, c)),
        np.zeros(len(u)),
    )
    return special.expit(lp)


def wound_delay_days(scenario: Scenario, severities: dict[str, np.ndarray], R: int) -> np.ndarray:
    """Extra days before adjuvant therapy from wound complications (``severities``: record columns
    ``complication_<key>``, 0 none, 1 minor, 2 major)."""
    delay = np.zeros(R)
    for key, d in scenario.parameters.oncology.adjuvant.wound_delay_days.items():
        sev = severities[f"{COMPLICATION}{key}"]
        delay += np.where(sev == 2, d.major.value, np.where(sev == 1, d.minor.value, 0.0))
    return delay


def record_columns(
    scenario: Scenario, strategy: Strategy, draws: Draws, severities: dict[str, np.ndarray],
    los_days: np.ndarray, last_operation_day: np.ndarray,
) -> dict[str, np.ndarray]:
    """The oncological columns of ``scenario.records`` for one plan (``los_days`` and
    ``last_operation_day`` counted from the first operation, days)."""
    onc = scenario.parameters.oncology
    mg, adj = onc.margin, onc.adjuvant
    z = draws.oncology_z
    p = margin_probability(scenario, strategy, special.ndtr(z[:, MARGIN_QUANTILE]))
    healed = last_operation_day + adj.healing_days.ppf_normal(z[:, HEALING]) + wound_delay_days(
        scenario, severities, len(p)
    )
    days = np.maximum(los_days, healed)
    return {
        "appropriate_margin": special.ndtr(z[:, MARGIN_OUTCOME]) < p,
        "local_recurrence_risk": 100.0 * (p * mg.local_recurrence_appropriate.value
                                          + (1.0 - p) * mg.local_recurrence_inappropriate.value),
        "margin_death_hazard_ratio": p + (1.0 - p) * mg.mortality_hazard_ratio_inappropriate.value,
        "days_to_adjuvant": days,
        "adjuvant_delayed": days > adj.delay_threshold_days.value,
    }
