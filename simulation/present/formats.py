"""One wording for every view (CLI, dashboard, PDF and validation reports).

Display units, digits and labels are derived from the record contract (``scenario.records``);
this module adds how numbers are written (thousands separators, an en dash for a missing value,
no "-0.0"), which outcomes the views lead with, the risk labels with their time frames, the
patient line, the disclaimer, the provenance line and the run defaults. Strings only: no UI
library is imported here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..scenario.records import RESULT_FIELDS, column
from ..scenario.schema import Scenario

# --- run defaults (the CLI, the dashboard and the bench use the same) ------------------------------
# The four plans the tool compares by default (issue 2); the other bundled strategies are variants.
MAIN_STRATEGIES = (
    "single-stage-three-exposure",
    "posterior-only",
    "two-stage-posterior-then-anterior",
    "three-stage-posterior-anterior-posterior",
)
DEFAULT_SEED = 2018  # the year of the index case; any integer >= 0 works
DEFAULT_REPLICATIONS = 1_000
MAX_REPLICATIONS = 20_000  # per strategy in the dashboard: keeps a run under about 10 s on 2 cores

DISCLAIMER = (
    "Decision support and education only: a simulation built mostly on assumptions, "
    "not a validated clinical prediction rule."
)


# --- numbers ---------------------------------------------------------------------------------------
def number(value: float | None, digits: int = 0, sign: bool = False) -> str:
    """``1234.5 -> '1,234'``; a missing or infinite value -> an en dash; never ``'-0.0'``."""
    if value is None or not math.isfinite(value):
        return "–"
    text = f"{value:{'+' if sign else ''},.{digits}f}"
    return text[1:] if text[0] in "+-" and float(text.replace(",", "")) == 0 else text


def percent(p: float, digits: int = 1, sign: bool = False) -> str:
    """A probability as a percentage without the sign: ``0.234 -> '23.4'``."""
    return number(100 * p, digits, sign)


def percent_mcse(p: float, mcse: float) -> str:
    """A simulated probability with its Monte Carlo standard error: ``'23.4% ± 1.3'``."""
    return f"{percent(p)}% ± {percent(mcse)}"


@dataclass(frozen=True)
class Shown:
    """A record column as displayed: ``value * scale`` in ``unit`` with ``digits`` decimals."""

    column: str
    unit: str
    scale: float = 1.0
    digits: int = 0

    @property
    def label(self) -> str:
        return column(self.column).label

    @property
    def title(self) -> str:
        """The label with the display unit (none for yes/no, counts and severities)."""
        c = column(self.column)
        if c.kind != "continuous" or self.label.lower().endswith(self.unit.lower()):
            return self.label
        return f"{self.label} ({self.unit})"

    def fmt(self, value: float, sign: bool = False) -> str:
        return number(value * self.scale, self.digits, sign)


def shown(key: str) -> Shown:
    """How any record column is displayed, from its contract."""
    c = column(key)
    return Shown(key, c.shown_unit, c.scale, c.digits)


def risk_shown(key: str) -> Shown:
    """A probability column displayed as percentage points (paired differences of risks)."""
    return Shown(key, "percentage points", 100.0, 1)


# Outcomes every view leads with: measured outcomes, then the headline risks.
HEADLINE = tuple(shown(k) for k in (
    "operative_time_min", "anaesthesia_time_min", "blood_loss_ml", "blood_loss_bv", "rbc_units",
    "lowest_hb_g_dl", "icu_days", "los_days", "days_to_adjuvant", "local_recurrence_risk",
))
SHOWN = {s.column: s for s in HEADLINE}
HEADLINE_RISKS = ("any_major_complication", "massive_transfusion", "death", "appropriate_margin", "adjuvant_delayed")
DIFFERENCES = {s.column: s for s in (*HEADLINE, *(risk_shown(c) for c in HEADLINE_RISKS))}


def risk_labels(scenario: Scenario) -> dict[str, str]:
    """Risk columns in display order, labelled with their time frame where the scenario gives one."""
    types = scenario.parameters.complications.types
    massive = scenario.parameters.transfusion.massive_transfusion_ml_per_kg.value
    labels = {
        "any_major_complication": RESULT_FIELDS["any_major_complication"].label,
        "massive_transfusion": f"{RESULT_FIELDS['massive_transfusion'].label} (> {massive:g} mL/kg of red cells)",
        "death": f"Death ({types['death'].time_frame})" if "death" in types else "Death",
    }
    adj = scenario.parameters.oncology.adjuvant
    hr = adj.survival_hazard_ratio_if_delayed
    labels["appropriate_margin"] = RESULT_FIELDS["appropriate_margin"].label
    labels["adjuvant_delayed"] = (
        f"{RESULT_FIELDS['adjuvant_delayed'].label} (osteosarcoma: overall-survival hazard ratio {hr.value:g}"
        + (f", 95% CI {hr.ci95[0]:g}–{hr.ci95[1]:g}" if hr.ci95 else "") + ")"
    )
    for key, t in types.items():
        if key != "death":
            labels[f"complication_{key}"] = f"{t.label} ({t.time_frame})"
    return labels


def oncology_note(scenario: Scenario) -> str:
    """How to read the oncological outputs: what is judgement, what is data, and over what time."""
    mg, adj = scenario.parameters.oncology.margin, scenario.parameters.oncology.adjuvant
    return (
        "The chance of an Enneking-appropriate margin is expert judgement (SHELF-style quartiles by approach "
        f"and anatomy, widened), not data. Local recurrence over {mg.follow_up}: "
        f"{percent(mg.local_recurrence_appropriate.value, 0)} in 100 with an appropriate margin, "
        f"{percent(mg.local_recurrence_inappropriate.value, 0)} in 100 with an inappropriate one; death hazard ratio "
        f"{mg.mortality_hazard_ratio_inappropriate.value:g} for an inappropriate margin. Days until fit for adjuvant "
        "therapy count from the first operation to the later of discharge and the last wound healed; beyond "
        f"{adj.delay_threshold_days.value:g} days, overall survival in osteosarcoma is worse (hazard ratio "
        f"{adj.survival_hazard_ratio_if_delayed.value:g})."
    )


# --- people and provenance -------------------------------------------------------------------------
REGION_WORDS = {"cervical": "cervical", "thoracic": "thoracic", "thoracolumbar": "thoracolumbar", "lumbar": "lumbar",
                "lower_lumbar": "lower lumbar", "sacral": "sacral"}
HISTOLOGY_WORDS = {
    "renal_cell": "renal-cell carcinoma", "thyroid": "thyroid carcinoma", "hepatocellular": "hepatocellular carcinoma",
    "myeloma": "myeloma", "chordoma": "chordoma", "chondrosarcoma": "chondrosarcoma", "osteosarcoma": "osteosarcoma",
    "ewing_sarcoma": "Ewing sarcoma", "giant_cell": "giant-cell tumour", "breast": "breast cancer",
    "lung": "lung cancer", "prostate": "prostate cancer", "other": "other tumour type",
}


def _tumour_facts(patient) -> list[str]:
    """The tumour and comorbidity inputs a patient file states (none for a file without them)."""
    facts = []
    if patient.histology in HISTOLOGY_WORDS:
        facts.append(HISTOLOGY_WORDS[patient.histology])
    if patient.vascularity_grade:
        facts.append(f"{patient.vascularity_grade} vascularity on angiography")
    if patient.tumour_volume_cm3 is not None:
        facts.append(f"tumour {patient.tumour_volume_cm3:g} cm³")
    if patient.bmi is not None:
        facts.append(f"BMI {patient.bmi:.0f} kg/m²")
    if patient.frailty_mfi5 is not None:
        facts.append(f"frailty mFI-5 {patient.frailty_mfi5}")
    if patient.prior_radiotherapy:
        facts.append("radiotherapy to the site before")
    if patient.chemotherapy_weeks_before_surgery is not None:
        facts.append(f"last chemotherapy {patient.chemotherapy_weeks_before_surgery:g} weeks before")
    return facts


def patient_line(scenario: Scenario) -> str:
    """``'9-year-old girl, 28 kg, Hb 12.0 g/dL; L2-L4 (3 levels), revision, ...'``; a region other than
    lumbar and the tumour inputs the file states are named."""
    patient, blood_volume_ml, young = scenario.patient, scenario.blood_volume_ml, scenario.is_child
    noun = {("female", True): "girl", ("male", True): "boy", ("female", False): "woman", ("male", False): "man"}
    region = "" if patient.region == "lumbar" else f", {REGION_WORDS[patient.region]}"
    facts = [
        f"{patient.age_years:g}-year-old {noun[patient.sex, young]}, {patient.weight_kg:g} kg, "
        f"Hb {patient.baseline_hb_g_dl:.1f} g/dL",
        f"{patient.levels} ({len(patient.level_list)} level{'s' if len(patient.level_list) > 1 else ''}{region})",
        "revision surgery" if patient.revision else "first operation at the site",
    ]
    if patient.retained_implants:
        facts.append(f"implants {patient.retained_implants} to remove")
    if patient.scar_severity != "none":
        facts.append(f"{patient.scar_severity} scarring")
    if patient.great_vessel_adhesion:
        facts.append("great vessels adherent")
    if patient.psoas_extension:
        facts.append("psoas extension")
    facts += _tumour_facts(patient)
    facts.append(f"estimated blood volume {number(blood_volume_ml)} mL")
    return "; ".join([facts[0], ", ".join(facts[1:])])


def provenance_line(version: str, scenario_digest: str, seed: int, replications: int, date: str | None = None,
                    uncertainty: str = "") -> str:
    """``'ResectSim 0.1.0 · scenario 1a2b3c · seed 2018 · 1,000 simulated operations per plan'``, then what
    the run drew (``uncertainty``: the run's uncertainty note) and the date when given."""
    parts = [f"ResectSim {version}", f"scenario {scenario_digest}", f"seed {seed}",
             f"{replications:,} simulated operations per plan"]
    return " · ".join(parts + ([f"parameters: {uncertainty}"] if uncertainty else []) + ([date] if date else []))


# --- differences between two plans, in words (the tumour board's decision table) --------------------
# How a per-100 risk is counted in a sentence ("2.5 fewer in 100 patients with a major complication");
# any other yes/no or complication column reads "in 100 patients with: <label>".
COUNTED = {
    "any_major_complication": "patients with a major complication",
    "any_complication": "patients with any complication",
    "massive_transfusion": "patients with a massive transfusion",
    "death": "deaths",
    "converted_to_staged": "operations split into stages",
}
# Outcomes the decision table shows, risks first (what the board decides on), then burden.
DECISION = ("any_major_complication", "massive_transfusion", "death", "operative_time_min", "blood_loss_ml", "los_days")
MONTE_CARLO_INTERVAL = "Monte Carlo 95% interval"
HONEST_INTERVAL = "honest 95% range"
HONEST_PARTS = {"parameter": "what the published series leave uncertain", "centre": "how much hospitals differ"}


def honest_caption(parts: tuple[str, ...], note: str) -> str:
    """What the honest 95% range includes, for the board and the CLI: ``parts`` from
    ``runs.uncertainty.parts_on``, ``note`` the run's uncertainty note."""
    if not parts:
        return (f"Parameters {note}: the ranges are {MONTE_CARLO_INTERVAL}s only. They say how precisely the computer "
                "estimated the average, not how sure the prediction is (they leave out how much hospitals differ and "
                "what the published series leave uncertain).")
    return (f"The {HONEST_INTERVAL} covers the Monte Carlo error, {' and '.join(HONEST_PARTS[p] for p in parts)} "
            f"(parameters: {note}); the Monte Carlo interval alone only says how precisely the computer estimated the average.")


def interval_name(parts: tuple[str, ...]) -> str:
    """The name of a run's range column: the honest range when it carries parameter or centre uncertainty."""
    return HONEST_INTERVAL if parts else MONTE_CARLO_INTERVAL


def honest_range(low: float, high: float, fmt=number) -> str:
    """``'620–1,450'`` (an en dash between two numbers already formatted by ``fmt``)."""
    return f"{fmt(low)}–{fmt(high)}"


def risk_cell(p: float, mcse: float, low: float, high: float) -> str:
    """A simulated risk in a table: ``'23.4% ± 1.3 (12.0–41.0)'``, Monte Carlo SE, then the run's range in brackets."""
    return f"{percent_mcse(p, mcse)} ({honest_range(low, high, percent)})"


def short_label(label: str) -> str:
    """A plan label as it reads inside a sentence: ``'Posterior only (one stage)' -> 'Posterior only'``,
    ``'Two stages, posterior then anterior' -> 'Two stages'``."""
    return label.split(" (")[0].split(", ")[0]


def short_labels(labels: list[str] | tuple[str, ...]) -> dict[str, str]:
    """Label -> its ``short_label`` where that is unique among ``labels``, else the label itself."""
    shorts = [short_label(x) for x in labels]
    return {x: s if shorts.count(s) == 1 else x for x, s in zip(labels, shorts)}


def _magnitude(key: str, value: float, unit: bool = True) -> str:
    """``|value|`` (in the column's display units, or per 100 for a risk), with its unit if asked."""
    c = column(key)
    if c.is_probability:
        return number(abs(value), 1)
    s = shown(key)
    return number(abs(value), s.digits) + (f" {s.unit}" if unit and c.kind != "count" else "")


def _direction(key: str, value: float) -> str:
    """The comparative word for a difference ``value`` (plan A minus plan B)."""
    c = column(key)
    if c.is_probability:
        return "fewer" if value < 0 else "more"
    if c.better == "higher":
        return "lower" if value < 0 else "higher"
    return "less" if value < 0 else "more"


def _thing(key: str) -> str:
    """What is compared: ``'in 100 patients with a major complication'``, ``'operative time (skin to skin)'``."""
    c = column(key)
    if c.is_probability:
        return f"in 100 {COUNTED.get(key, 'patients with: ' + c.label.lower())}"
    return c.label if c.label[:2].isupper() else c.label[0].lower() + c.label[1:]  # "ICU stay" keeps its capitals


def difference_value(key: str, value: float) -> float:
    """A difference of record units -> display units (a risk per 100 patients)."""
    return value * (100.0 if column(key).is_probability else shown(key).scale)


def difference_words(key: str, mean: float) -> str:
    """A difference in display units as words, no sign to decode: ``'2.5 fewer in 100 patients with a
    major complication'``, ``'1.3 h less operative time (skin to skin)'``, ``'no difference in deaths'``."""
    if _magnitude(key, mean, unit=False).strip("0.,") == "":
        thing = _thing(key).removeprefix("in 100 ")
        return f"no clear difference in {thing}"
    return f"{_magnitude(key, mean)} {_direction(key, mean)} {_thing(key)}"


def interval_words(key: str, low: float, high: float) -> str:
    """An interval of differences in words: ``'1.3 to 3.7 fewer'``, ``'0.4 fewer to 1.2 more'``; both ends too
    small to show: ``'about 0 either way'`` (not ``'0.0 to 0.0 more'``)."""
    if all(_magnitude(key, v, unit=False).strip("0.,") == "" for v in (low, high)):
        return "about 0 either way"
    if low < 0 < high:
        return f"{_magnitude(key, low)} {_direction(key, low)} to {_magnitude(key, high)} {_direction(key, high)}"
    near, far = sorted((low, high), key=abs)
    return f"{_magnitude(key, near, unit=False)} to {_magnitude(key, far)} {_direction(key, far)}"


def better_plan(key: str, low: float, high: float, label_a: str, label_b: str) -> str:
    """Which plan the interval favours (lower is better unless the contract says higher), in words."""
    if low < 0 < high or (low == 0 and high == 0):
        return "Neither clearly"
    a_lower = high < 0 or (high == 0 and low < 0)
    a_better = a_lower != (column(key).better == "higher")
    return label_a if a_better else label_b


def difference_sentence(label_a: str, label_b: str, key: str, mean: float, low: float, high: float) -> str:
    """Plan A vs plan B for one outcome, as the board reads it aloud.

    ``mean``, ``low`` and ``high`` are A minus B in display units (``difference_value``):
    ``'Posterior only vs Single stage: 2.5 fewer in 100 patients with a major complication (1.3 to 3.7 fewer)'``.
    """
    return f"{label_a} vs {label_b}: {difference_words(key, mean)} ({interval_words(key, low, high)})"


def share_words(p: float) -> str:
    """A share of simulated patients: ``0.624 -> '62 in 100'``; below one half in 100 -> ``'under 1 in 100'``."""
    return "under 1 in 100" if 0 < p < 0.005 else f"{number(100 * p)} in 100"


# --- families (counselling page and handout: about grade 6-8 reading level) --------------------------
REGIONS = {"C": "neck", "T": "upper back", "L": "lower back", "S": "bottom of the spine"}
NUMBER_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine"}
FRACTIONS = ((0.25, "a quarter"), (1 / 3, "a third"), (0.5, "half"), (2 / 3, "two thirds"), (0.75, "three quarters"),
             (1.0, "all"), (1.5, "one and a half times all"), (2.0, "twice all"))
TIME_UNITS_DAYS = {"day": 1, "week": 7, "month": 30, "year": 365}  # to order time frames, not to compute with
FAMILY_DISCLAIMER = (
    "This is a computer estimate to help you talk with the surgical team. It is not a promise of what will happen."
)
ROUGH_WARNING = (
    "Warning: only {n:,} operations were acted out for each plan, so these numbers are rough. "
    "Ask the team to print this again with at least {steady:,}."
)
HOW_SURE_RANGE = (
    "How sure are these numbers? For {what}, our best guess is {best}. Hospitals differ, and the studies the "
    "computer learnt from leave a lot unknown, so the real chance could be anywhere from {low} to {high} in 100. "
    "What is more certain is which plan tends to have more or fewer problems."
)
HOW_SURE = (
    "How sure are these numbers? Not very. Most of what the computer was told comes from the team's best guesses, "
    "not from studies of children and adults like this one. The real chances could be quite a bit higher or lower. "
    "What is more certain is which plan tends to have more or fewer problems."
)


def in_words(n: int) -> str:
    """``3 -> 'three'`` (1-9), else the digits."""
    return NUMBER_WORDS.get(n, f"{n:,}")


def family_patient_line(scenario: Scenario) -> str:
    """The patient in plain words: the file's ``family_description``, or one written from the fields
    (no haemoglobin, no anatomy words): ``'A 9-year-old girl. The operation will take out three bones
    of the lower back. She has had an operation there before.'``."""
    patient = scenario.patient
    if patient.family_description:
        return patient.family_description
    noun = {("female", True): "girl", ("male", True): "boy", ("female", False): "woman", ("male", False): "man"}
    they = {"female": "She", "male": "He"}[patient.sex]
    regions = list(dict.fromkeys(REGIONS.get(level[0], "spine") for level in patient.level_list))
    n = len(patient.level_list)
    text = (f"A {patient.age_years:g}-year-old {noun[patient.sex, scenario.is_child]}. The operation will take out "
            f"{in_words(n)} bone{'s' if n > 1 else ''} of the {' and '.join(regions)}.")
    if patient.revision:
        text += f" {they} has had an operation there before."
    if patient.retained_implants:
        text += " The metal rods and screws from before will be taken out too."
    return text


def family_plan_label(strategy) -> str:
    """A plan's name for families (``family_label``), else its clinical label."""
    return strategy.family_label or strategy.label


def family_plan_description(strategy) -> str:
    return strategy.family_description or strategy.description


def blood_share_words(ml: float, blood_volume_ml: float) -> str:
    """A volume as a share of the body's blood: ``1,120 mL of 2,030 mL -> 'about half of all the blood in the body'``."""
    ratio = ml / blood_volume_ml
    _, words = min(FRACTIONS, key=lambda f: abs(f[0] - ratio))
    return f"about {words} {'of ' if not words.endswith('all') else ''}the blood in the body"


def longest_time_frame(frames: list[str] | tuple[str, ...]) -> str:
    """The longest of several time frames (``'within 30 days'``, ``'within about 2 years'``, ``'in hospital'``):
    one time frame for a headline risk that collects several."""
    def days(frame: str) -> float:
        words = frame.replace("about ", "").split()
        for i, w in enumerate(words[1:], 1):
            unit = w.rstrip("s")
            if unit in TIME_UNITS_DAYS and words[i - 1].isdigit():
                return int(words[i - 1]) * TIME_UNITS_DAYS[unit]
        return 0.0  # "in hospital", "during the operation"
    return max(frames, key=days)


def family_difference(p_first: float, p_second: float, first_label: str, second_label: str) -> str:
    """The difference between two plans under a pair of icon arrays, as a natural frequency:
    ``'About 1 more in 100 with two operations than with one long operation'``."""
    d = 100 * (p_second - p_first)
    n = math.floor(abs(d) + 0.5)
    if n == 0:
        return "About the same with both plans"
    return (f"About {n} {'more' if d > 0 else 'fewer'} in 100 with {_lower_first(second_label)} "
            f"than with {_lower_first(first_label)}")


def _lower_first(text: str) -> str:
    return text[0].lower() + text[1:] if text[1:2].islower() else text


# --- exports (tumour-board downloads: CSV tables, the data dictionary, the board PDF) ---------------
SEVERITY_CODES = {0: "none", 1: "minor", 2: "major"}
KIND_VALUES = {
    "yes/no": "1 = yes, 0 = no",
    "severity": ", ".join(f"{code} = {word}" for code, word in SEVERITY_CODES.items()),
    "count": "whole numbers (a mean over patients may be fractional)",
    "continuous": "a measured value",
}


def column_dictionary(columns: list[str] | tuple[str, ...], scenario: Scenario) -> list[dict[str, str]]:
    """What each column of the records download means: label, recorded unit, how to read its values
    (complication columns: severity codes with the complication's time frame and definition)."""
    types = scenario.parameters.complications.types
    rows = []
    for key in columns:
        try:
            c = column(key)
        except KeyError:  # identifiers: strategy, replication, ...
            rows.append({"Column": key, "Meaning": KEY_COLUMNS.get(key, ""), "Unit": "", "Values": ""})
            continue
        meaning = c.label
        kind = key.removeprefix("complication_")
        if c.kind == "severity" and kind in types:
            t = types[kind]
            meaning = f"{t.label} ({t.time_frame}): {t.definition}"
        rows.append({"Column": key, "Meaning": meaning, "Unit": "" if c.unit in ("yes/no", "severity", "count") else c.unit,
                     "Values": KIND_VALUES[c.kind]})
    return rows


KEY_COLUMNS = {
    "strategy": "Strategy (plan) name",
    "replication": "Simulated patient number (the same number meets every plan with the same random numbers)",
    "stage": "Stage (anaesthetic) number, from 1",
    "ended_after": "Where the stage ended (exposure: phase)",
    "ended_by": "Why it ended there: plan, or rule: <trigger> for an unplanned break",
}
BOARD_TITLE = "Tumour board: {name}"
RANGES_KEY = "Shape = median; thick bar = middle half of simulated patients; thin line = 5th to 95th percentile."
BOARD_INTERVAL_NOTE = "Decision table: A minus B for the same simulated patients. In brackets: the {interval}. "


# --- validation page ---------------------------------------------------------------------------------
def validation_headline(independent: tuple[int, int], calibration: tuple[int, int]) -> str:
    """The validation result split by role, independent figures first: ``(inside, of)`` each.
    ``'2 of 8 independent figures lie inside the model's 95% interval; 14 of 14 calibration targets do
    (a consistency check: they set the parameters).'`` With no independent figure (the calibrated model,
    fitted to every series shown), it says where the independent check is."""
    (k, n), (kc, nc) = independent, calibration
    first = (f"{k} of {n} independent figure{'s' if n != 1 else ''} lie{'s' if n == 1 else ''} inside the model's 95% interval"
             if n else "No independent figures here: every series shown was a calibration target (the independent check "
             "of the calibrated model is leave-one-series-out, docs/calibration.md)")
    rest = (f"; {kc} of {nc} calibration target{'s' if nc != 1 else ''} "
            f"{('does' if nc == 1 else 'do') if n else ('lies' if nc == 1 else 'lie') + ' inside the 95% interval'} "
            "(a consistency check: they set the parameters)") if nc else ""
    return first + rest + "."


# --- the evidence register for people --------------------------------------------------------------
PATH_WORDS = {
    "odds_ratios": "odds ratio for", "event_odds": "odds ratio of", "per_event": "odds ratio per",
    "hazard_per_day_between_stages": "risk per day between stages", "major_fraction": "share counted as major",
    "baseline": "baseline risk", "baseline_child": "baseline risk in children", "probability": "risk",
    "alert": "risk of an alert", "duration": "duration multiplier", "bleeding": "bleeding multiplier",
    "blood_volume_ml_per_kg": "blood volume per kg, by age", "worst_cases": "worst-case threshold",
    "stop_and_stage": "stop-and-stage rule", "restage": "restage", "latent": "shared patient factor",
    "modifiers": "patient conditions", "widening": "uncertainty widening (PSA)", "icu": "ICU stay", "stay": "hospital stay",
}
ABBREVIATIONS = {"hb": "Hb", "icu": "ICU", "ebl": "EBL", "csf": "CSF", "vte": "VTE", "iv": "IV", "or": "OR"}
RATIO_WORDS = ("odds ratio for", "odds ratio of", "odds ratio per")
UNIT_ENDINGS = ("_ml_per_kg_h", "_ml_per_min", "_ml_per_kg", "_g_dl_per_day", "_g_dl", "_min", "_ml", "_kg", "_days",
                "_hours", "_years", "_units")


def _path_word(part: str, names: dict[str, str]) -> str:
    if part in names:
        return names[part]
    if part in PATH_WORDS:
        return PATH_WORDS[part]
    for ending in UNIT_ENDINGS:  # the unit has its own column
        if part.endswith(ending) and part != ending:
            part = part.removesuffix(ending)
            break
    return " ".join(ABBREVIATIONS.get(w, w) for w in part.split("_"))


def parameter_name(path: str, names: dict[str, str]) -> str:
    """A register path in words, with ``names`` (phase, event and complication ids, and indexed paths such as
    ``'laminectomy.events[0]'``, -> their labels):
    ``'complications.types.wound_infection.odds_ratios.revision_severity'`` -> ``'Wound infection: odds ratio
    for revision severity'``; ``'transfusion.trigger_hb_g_dl'`` -> ``'Transfusion: trigger Hb'``."""
    raw = path.split(".")
    words = []
    for i, part in enumerate(raw):
        prefix = ".".join(raw[: i + 1])
        if prefix in names:  # an indexed item named by its content, e.g. a phase's events[0]
            words.append(names[prefix])
        elif not (i < 2 and raw[:2] == ["complications", "types"]) and not (part.split("[")[0] == "events" and "[" in part):
            word = _path_word(part.split("[")[0], names)
            words.append(word + (" rate" if part.endswith("_per_min") else ""))
    head, rest = words[0], words[1:]
    text = head[0].upper() + head[1:]
    for i, w in enumerate(rest):
        sep = ": " if i == 0 else (" " if rest[i - 1] in RATIO_WORDS else ", ")
        text += sep + w
    return text


# --- sweeps (the researchers' page reads as Compare does) ---------------------------------------------
SWEEP_TABLES = {
    "tornado": "One-way sensitivity (tornado)", "two_way": "Two-way: preferred plan per cell",
    "sobol": "Sobol indices", "morris": "Morris screening", "psa_summary": "PSA: each plan's mean over the parameter draws",
    "psa_preferred": "PSA: how often each plan is preferred", "psa_means": "PSA: each parameter draw", "points": "Every point",
}
SWEEP_COLUMNS = {
    "strategy": "Plan", "parameter": "Parameter", "point": "Point", "draws": "Parameter draws", "n": "Simulated patients",
    "mean": "Mean", "mean_p2_5": "Mean: 2.5th percentile over draws", "mean_p97_5": "Mean: 97.5th percentile over draws",
    "median": "Median", "p5": "5th percentile", "p95": "95th percentile", "sd": "SD", "mcse": "± Monte Carlo SE",
    "between_var": "Variance of the mean between draws", "mc_var": "… of it Monte Carlo", "parameter_var": "… of it parameters",
    "within_var": "Variance within a draw", "parameter_share": "Share of the variance from the parameters",
    "p_preferred": "Probability preferred", "low_value": "Low value", "base_value": "Base value", "high_value": "High value",
    "base_mean": "Mean at base", "low_mean": "Mean at low", "high_mean": "Mean at high", "low_change_se": "SE of change (low)",
    "high_change_se": "SE of change (high)", "se_method": "SE method", "swing": "Swing", "rank": "Rank",
    "preferred": "Preferred", "runner_up": "Runner-up", "preferred_mean": "Preferred plan's mean", "margin": "Margin",
    "margin_se": "SE of margin", "margin_ci_low": "Margin, 95% CI from", "margin_ci_high": "Margin, 95% CI to",
    "decided": "Decided", "S1": "First-order index", "S1_conf": "± 95% CI", "ST": "Total index", "ST_conf": "± 95% CI (total)",
    "mu": "μ", "mu_star": "μ*", "mu_star_conf": "± 95% CI of μ*", "sigma": "σ",
}
# Columns in the outcome's unit (shown in display units), and variances (in its square)
SWEEP_VALUE_COLUMNS = ("mean", "mean_p2_5", "mean_p97_5", "median", "p5", "p95", "sd", "mcse", "base_mean", "low_mean",
                       "high_mean", "low_change_se", "high_change_se", "swing", "preferred_mean", "margin", "margin_se",
                       "margin_ci_low", "margin_ci_high", "mu", "mu_star", "mu_star_conf", "sigma")
SWEEP_VARIANCE_COLUMNS = ("between_var", "mc_var", "parameter_var", "within_var")


def outcome_display(key: str) -> Shown:
    """How a sweep shows an outcome, as Compare does: hours for times, per 100 patients for a risk."""
    if column(key).is_probability:
        return Shown(key, "per 100 patients", 100.0, 1)
    return shown(key)


def outcome_title(key: str) -> str:
    s = outcome_display(key)
    return f"{s.label} (per 100 patients)" if column(key).is_probability else s.title

def family_range(what: str, p: float, low: float, high: float) -> str:
    """How sure a family can be, with the honest range of one risk (shares 0-1):
    ``'... our best guess is about 51 in 100 ... anywhere from 38 to 64 in 100 ...'``."""
    return HOW_SURE_RANGE.format(what=what, best=f"about {number(100 * p)} in 100", low=number(100 * low),
                                 high=number(100 * high))


# --- a centre's calibration (resectsim centre fit, the dashboard's case-log upload) ------------------
CENTRE_AXES_WORDS = {"time": ("Operative time", "x"), "bleeding": ("Blood loss", "x"), "complication": ("Major complications", "odds x")}


def centre_effect_line(axis: str, mean: float, sd: float, prior_sd: float, cases: int) -> str:
    """One axis of a centre's fit in words: ``'Operative time: x1.22 (1.05 to 1.41) against centres like
    those published; 14 operations moved it 1.3 prior SDs, the data carry 72% of the weight'``. ``mean``
    and ``sd`` are on the log (logit) scale."""
    what, unit = CENTRE_AXES_WORDS[axis]
    lo, hi = math.exp(mean - 1.96 * sd), math.exp(mean + 1.96 * sd)
    weight = max(0.0, 1.0 - (sd / prior_sd) ** 2) if prior_sd > 0 else 0.0
    return (f"{what}: {unit}{math.exp(mean):.2f} ({lo:.2f} to {hi:.2f}) against centres like those published; "
            f"{cases:,} operation{'s' if cases != 1 else ''} moved it {mean / prior_sd:+.1f} prior SDs, "
            f"the data carry {weight:.0%} of the weight")
