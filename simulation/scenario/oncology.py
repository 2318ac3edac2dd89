"""The oncological layer's inputs (``scenarios/parameters.yaml``, ``oncology``).

* **Margin.** The chance of an Enneking-appropriate margin is an expert judgement, not a published
  figure: for each approach class (``Strategy.margin_approach``) the file gives SHELF-style quartiles
  (lower quartile, median, upper quartile) of the probability for a reference patient and for the
  same patient with one anatomical condition. A Beta is fitted to each set of quartiles by least
  squares on the cumulative probabilities (as SHELF's ``fitdist``), then widened on the log-odds
  scale like any number with no source (``ElicitedProbability.widened_ppf``); conditions combine additively on the log-odds
  scale (``simulation.model.oncology``). Consequences are Fisher 2011's local recurrence and
  mortality by margin.
* **Adjuvant therapy.** Days from the last operation until the wound is healed and the patient fit
  for chemotherapy or radiotherapy, extra days per wound complication, and the 21-day threshold of
  Imran 2009 (osteosarcoma).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, get_args

import numpy as np
from pydantic import BaseModel, Field, model_validator
from scipy import optimize, special, stats

from .distributions import FROZEN, Number, Probability, Sourced, Value, within
from .procedure import MAX_DAYS, ApproachClass, Condition, Days

APPROACH_CLASSES: tuple[str, ...] = get_args(ApproachClass)
QUARTILES = (0.25, 0.5, 0.75)


@lru_cache(maxsize=256)
def fit_beta(q1: float, median: float, q3: float) -> tuple[float, float]:
    """Beta (a, b) whose cumulative probabilities at ``q1, median, q3`` are nearest 0.25, 0.5, 0.75
    (least squares on the log shapes, as SHELF's ``fitdist``)."""
    x, p = np.array([q1, median, q3]), np.array(QUARTILES)

    def loss(log_ab):
        return float(((stats.beta.cdf(x, *np.exp(log_ab)) - p) ** 2).sum())

    # Start from a method-of-moments guess: mean ~ median, SD ~ IQR / 1.35.
    m, sd = median, max((q3 - q1) / 1.35, 1e-3)
    n = max(m * (1 - m) / sd**2 - 1, 0.5)
    res = optimize.minimize(loss, np.log([m * n, (1 - m) * n]), method="Nelder-Mead",
                            options={"xatol": 1e-8, "fatol": 1e-12, "maxiter": 4000})
    a, b = np.exp(res.x)
    return float(a), float(b)


class ElicitedProbability(Sourced):
    """A probability judged by experts as quartiles: P(p < q1) = 0.25, P(p < median) = 0.5,
    P(p < q3) = 0.75 (SHELF quartile method)."""

    q1: Number = Field(gt=0, lt=1, description="Lower quartile of the judged probability, 0-1.")
    median: Number = Field(gt=0, lt=1, description="Median of the judged probability, 0-1.")
    q3: Number = Field(gt=0, lt=1, description="Upper quartile of the judged probability, 0-1.")

    @model_validator(mode="after")
    def _ordered(self):
        if not self.q1 < self.median < self.q3:
            raise ValueError(f"quartiles must rise: q1 {self.q1:g} < median {self.median:g} < q3 {self.q3:g}")
        return self

    @property
    def beta(self) -> tuple[float, float]:
        """Shapes (a, b) of the fitted Beta."""
        return fit_beta(self.q1, self.median, self.q3)

    def widened_ppf(self, u: np.ndarray, factor: float) -> np.ndarray:
        """Quantiles at probabilities ``u`` of the fitted Beta widened on the log-odds scale: each
        quantile's distance from the fitted median's log-odds is multiplied by ``factor`` (the median
        stays; ``factor = 1`` is the fitted Beta), as a ratio's log-SD is widened."""
        a, b = self.beta
        centre = special.logit(stats.beta.median(a, b))
        return special.expit(centre + factor * (special.logit(stats.beta.ppf(u, a, b)) - centre))

    def ppf_normal(self, z: np.ndarray) -> np.ndarray:
        """Quantile of the fitted (unwidened) Beta at the standard-normal score ``z``."""
        return stats.beta.ppf(special.ndtr(z), *self.beta)


class MarginJudgement(BaseModel):
    """The judged chance of an Enneking-appropriate margin for one approach class."""

    model_config = FROZEN

    reference: ElicitedProbability = Field(
        description="Primary tumour of one or two levels, no great-vessel adhesion, no soft-tissue extension, "
        "no previous surgery: P(Enneking-appropriate margin), 0-1.")
    with_condition: dict[Condition, ElicitedProbability] = Field(
        default_factory=dict,
        description="The reference patient with this one condition: P(Enneking-appropriate margin), 0-1; "
        "several conditions add on the log-odds scale.")


class Margin(BaseModel):
    """Enneking-appropriate margin: expert judgement by approach and anatomy, consequences from Fisher 2011."""

    model_config = FROZEN

    method: str = Field(min_length=1, description="How the judgements were made (who, how, when).")
    by_approach: dict[ApproachClass, MarginJudgement] = Field(description="One judgement per approach class.")
    local_recurrence_appropriate: Probability = Field(
        description="Local recurrence over follow-up with an Enneking-appropriate margin, 0-1.")
    local_recurrence_inappropriate: Probability = Field(
        description="Local recurrence over follow-up with an Enneking-inappropriate margin, 0-1.")
    follow_up: str = Field(min_length=1, description="The follow-up over which the recurrence figures apply.")
    mortality_hazard_ratio_inappropriate: Value = Field(
        description="Hazard ratio of death, inappropriate vs appropriate margin.")

    @model_validator(mode="after")
    def _every_class(self):
        missing = [c for c in APPROACH_CLASSES if c not in self.by_approach]
        if missing:
            raise ValueError(f"by_approach needs a judgement for every approach class; missing: {', '.join(missing)}")
        return self


DelayDays = Annotated[Value, within(0, MAX_DAYS, "days")]
"""Extra days (and their 95% CI): 0 (a complication never speeds healing) to 365 (a year)."""


class WoundDelay(BaseModel):
    """Extra days before adjuvant therapy when a wound complication of this type happens."""

    model_config = FROZEN

    minor: DelayDays = Field(description="Extra days after a minor complication of this type, 0-365 days.")
    major: DelayDays = Field(description="Extra days after a major complication of this type, 0-365 days.")


class Adjuvant(BaseModel):
    """When the patient is fit for adjuvant therapy: discharged and the last wound healed."""

    model_config = FROZEN

    healing_days: Days = Field(
        description="Days from the last operation until the wound is healed and the patient fit for adjuvant "
        "therapy, without a wound complication; 99.9th percentile at most 365.")
    delay_threshold_days: Value = Field(description="A longer delay is associated with worse survival, days.")
    survival_hazard_ratio_if_delayed: Value = Field(
        description="Hazard ratio of death when adjuvant chemotherapy resumes later than the threshold "
        "(osteosarcoma; shown in the wording, not applied to other histologies).")
    wound_delay_days: dict[str, WoundDelay] = Field(
        default_factory=dict, description="Complication type -> extra days (minor, major) before adjuvant therapy.")


class Oncology(BaseModel):
    """The oncological and functional layer: margin and adjuvant therapy."""

    model_config = FROZEN

    margin: Margin
    adjuvant: Adjuvant
