"""Cross-field plausibility of a patient: impossible combinations (errors) and extreme ones (warnings).

Schema limits, not model inputs: they keep typing errors out (a 110-year-old of 2 kg) and flag
inputs the evidence barely covers, without changing any simulated number.

* Weight for age. Bands follow the shape of the WHO (0-5 years) and CDC (2-20 years) weight-for-age
  charts, read approximately and widened: an **error** lies far outside the 0.1st-99.9th centiles
  (no patient weighs that at that age), a **warning** outside roughly the 1st-99th.
* Resected levels are one block: contiguous (an en bloc specimen cannot skip a vertebra).
* Retained implants lie within ``IMPLANT_REACH`` levels of the resection (assumption: a posterior
  construct spans two or three levels above and below the levels it fixed; implants farther away
  are not removed in this operation, and each implanted level lengthens implant removal).
* Levels outside T1-L5 are a warning: the bundled phase library describes thoracic and lumbar approaches.
"""

from __future__ import annotations

from collections.abc import Sequence

IMPLANT_REACH = 4  # levels between a retained implant and the nearest resected level
OLDEST_TYPICAL_YEARS = 85  # assumption: few en bloc series include older patients

# (age below, years; error below, error above, warn below, warn above; kg)
WEIGHT_FOR_AGE = (
    (1, 1.0, 20.0, 3.0, 12.0),
    (3, 4.0, 40.0, 7.0, 18.0),
    (6, 7.0, 70.0, 10.0, 30.0),
    (10, 10.0, 120.0, 15.0, 55.0),
    (14, 15.0, 180.0, 22.0, 85.0),
    (float("inf"), 25.0, 300.0, 40.0, 150.0),
)


def _band(age_years: float) -> tuple[float, ...]:
    return next(b for b in WEIGHT_FOR_AGE if age_years < b[0])


def _age_words(age_years: float, below: float) -> str:
    previous = max((b[0] for b in WEIGHT_FOR_AGE if b[0] <= age_years), default=0)
    return f"age {previous:g} and over" if below == float("inf") else f"age {previous:g} to under {below:g}"


BMI_RANGE = (10.0, 80.0)  # kg/m2: outside it, weight or height is mistyped (no adult or child lives there)


def bmi_error(weight_kg: float, height_cm: float | None, bmi: float | None) -> str | None:
    if bmi is not None and not BMI_RANGE[0] <= bmi <= BMI_RANGE[1]:
        return (f"height_cm: {height_cm:g} cm with {weight_kg:g} kg gives a BMI of {bmi:.1f} kg/m2, outside "
                f"{BMI_RANGE[0]:g} to {BMI_RANGE[1]:g}; check the height and the weight")
    return None


def weight_error(age_years: float, weight_kg: float) -> str | None:
    below, low, high, _, _ = _band(age_years)
    if not low <= weight_kg <= high:
        return (f"weight_kg: {weight_kg:g} kg is not a possible weight at {age_years:g} years "
                f"({_age_words(age_years, below)}: {low:g} to {high:g} kg)")
    return None


def level_errors(levels: Sequence[str], implants: Sequence[str], order: Sequence[str]) -> list[str]:
    """Non-contiguous resected levels, and implants beyond ``IMPLANT_REACH`` of the resection."""
    errors = []
    idx = sorted(order.index(v) for v in levels)
    if idx and idx[-1] - idx[0] + 1 != len(idx):
        missing = [order[i] for i in range(idx[0], idx[-1]) if i not in idx]
        errors.append(f"levels: an en bloc resection is one block; the levels skip {', '.join(missing)}")
    far = [v for v in implants if idx and min(abs(order.index(v) - i) for i in idx) > IMPLANT_REACH]
    if far:
        errors.append(f"retained_implants: {', '.join(far[:3])}{' ...' if len(far) > 3 else ''} lie more than "
                      f"{IMPLANT_REACH} levels from the resected levels ({levels[0]}-{levels[-1]}); implants removed "
                      "in this operation sit at or next to the resection")
    return errors


def warnings(age_years: float, weight_kg: float, levels: Sequence[str]) -> list[tuple[str, str]]:
    """(field, message) for inputs that are possible but outside what the evidence covers well."""
    found = []
    below, _, _, warn_low, warn_high = _band(age_years)
    if not warn_low <= weight_kg <= warn_high:
        found.append(("weight_kg", f"{weight_kg:g} kg is extreme at {age_years:g} years (usual range for "
                                   f"{_age_words(age_years, below)}: {warn_low:g} to {warn_high:g} kg); blood volume "
                                   "and transfusion doses scale with it"))
    if age_years > OLDEST_TYPICAL_YEARS:
        found.append(("age_years", f"{age_years:g} years is older than the patients of the series the risks come "
                                   f"from (few en bloc series include patients over {OLDEST_TYPICAL_YEARS})"))
    outside = [v for v in levels if v[0] in "CS"]
    if outside:
        found.append(("levels", f"{', '.join(outside)} lie outside T1-L5; the bundled phase library describes "
                                "thoracic and lumbar approaches"))
    return found
