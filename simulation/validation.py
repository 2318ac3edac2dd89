"""Validation: run published cohorts through the model and compare with what was published.

A cohort file (``scenarios/validation/*.yaml``, schema ``CohortSpec``) names a published series
or case, the patient as reported (a bundled patient or a mapping, with overrides and, for a
series that mixes patients, subgroups with their sizes), the strategy (a bundled one or a file
in ``scenarios/validation/strategies/``) and the published figures. Each figure is compared with
the distribution that matches what was published:

* a value from one patient (``case``): the model's 95% predictive interval for one patient
  (2.5th-97.5th percentile of the replications);
* the ``mean`` (or ``median``) of a series of N patients: the 95% interval of the mean (median)
  of N simulated patients, from resampling N replications at a time. A cohort mean is an
  average over N patients, so it varies far less than one patient does; comparing it with the
  individual predictive interval would call almost any mean "inside". The individual median and
  95% predictive interval are reported alongside for context;
* a ``proportion`` k/N: the model rate p with its 95% Monte Carlo confidence interval (Wilson),
  and whether k lies in the central 95% of Binomial(N, p), the number of events the model
  predicts among N patients.

Files are ordered by file name (``00-seed-case.yaml`` first). Loading checks everything the run
needs (reference ids, patient fields, strategy phases, outcome columns) and raises
``ScenarioError`` naming file, field, value and what is allowed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field, model_validator
from scipy import stats

from . import analysis, loader
from .analysis import is_probability, outcome_columns, wilson
from .loader import BUNDLED, Issue, ScenarioError, read_yaml, validate
from .outcomes import RESULT_FIELDS
from .runner import simulate_block
from .scenario import FROZEN, Patient, Scenario

FOLDER = "validation"
# Method and run settings, not clinical numbers (those live in scenarios/validation/*.yaml):
INTERVAL = (2.5, 97.5)  # percentiles of the central 95% interval each figure is judged against (as analysis.wilson)
SAMPLING_DRAWS = 4000  # resampled cohorts for the interval of a mean or median of N patients
DEFAULT_REPLICATIONS = 1000  # simulated patients per cohort behind docs/validation.md's results table
DEFAULT_SEED = 20240501  # the seed of that table; any integer >= 0 works
Statistic = Literal["case", "mean", "median", "proportion"]
CAVEAT = (
    "ResectSim is a decision-support and education tool, not a validated prediction rule. Most phase-level "
    "times, bleeding rates and event risks are assumptions calibrated to a few small published series; rows "
    "marked 'calibration' were used to set the parameters and are consistency checks, not validation."
)
VERDICT = {True: "inside", False: "OUTSIDE"}
COMPARED_WITH = {
    "case": "one patient",
    "mean": "mean of N patients",
    "median": "median of N patients",
    "proportion": "events among N patients",
}


# --- schema --------------------------------------------------------------------------------------
class Figure(BaseModel):
    """One published figure: the record column it reports on, the statistic and the value."""

    model_config = FROZEN

    outcome: str = Field(description="Record column, e.g. operative_time_min, complication_csf_leak.")
    statistic: Statistic
    value: float | None = Field(None, description="Published value in the column's unit (not for proportions).")
    events: int | None = Field(None, ge=0, description="Patients with the event (proportions).")
    n: int | None = Field(None, ge=1, description="Patients behind the figure; default: the cohort's n.")
    source: str = Field(description="Reference id (scenarios/references.yaml) the figure was read in.")
    note: str = ""

    @model_validator(mode="after")
    def _fields_fit_the_statistic(self):
        if self.statistic == "proportion":
            if self.events is None or self.value is not None:
                raise ValueError("a proportion is given as 'events' (and 'n' if not the cohort's), not 'value'")
        elif self.value is None or self.events is not None:
            raise ValueError(f"a {self.statistic} is given as 'value', not 'events'")
        return self


class Subgroup(BaseModel):
    """Part of a series reported separately (e.g. 6 four-level and 3 five-level resections)."""

    model_config = FROZEN

    label: str = Field(min_length=1)
    n: int = Field(ge=1, description="Patients in the subgroup; replications are shared out in proportion.")
    patient: dict[str, Any] = Field(default_factory=dict, description="Patient fields that differ in this subgroup.")


class CohortSpec(BaseModel):
    """A validation cohort file."""

    model_config = FROZEN

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    label: str = Field(min_length=1)
    reference: str = Field(description="Reference id of the publication (scenarios/references.yaml).")
    role: Literal["calibration", "validation"] = Field(
        description="'calibration' when the model's parameters were chosen to fit this cohort (a consistency "
        "check), 'validation' otherwise."
    )
    description: str = ""
    n: int = Field(ge=1, description="Patients in the published series (1 for a case).")
    patient: str | dict[str, Any] = Field(description="A bundled patient name or a patient mapping.")
    overrides: dict[str, Any] = Field(default_factory=dict, description="Fields replacing the bundled patient's.")
    subgroups: tuple[Subgroup, ...] = ()
    strategy: str = Field(description="A bundled strategy or a file name in scenarios/validation/strategies/.")
    assumptions: dict[str, str] = Field(default_factory=dict, description="Cohort-level choices the paper does not state.")
    figures: tuple[Figure, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _subgroups_add_up(self):
        if self.subgroups and sum(g.n for g in self.subgroups) != self.n:
            raise ValueError(f"subgroup sizes add up to {sum(g.n for g in self.subgroups)}, not the cohort's n = {self.n}")
        return self


@dataclass(frozen=True)
class Group:
    label: str
    n: int
    scenario: Scenario


@dataclass(frozen=True)
class Cohort:
    """A loaded cohort: the file's spec and one scenario per patient group."""

    spec: CohortSpec
    file: str
    groups: tuple[Group, ...]

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def strategy(self) -> str:
        return self.groups[0].scenario.strategies[0].name


# --- loading -------------------------------------------------------------------------------------
def cohort_files(root: Path = BUNDLED) -> dict[str, Path]:
    """Bundled cohort files in run order: name (file stem without its order prefix) -> path."""
    return {re.sub(r"^\d+-", "", stem): p for stem, p in loader.bundled(FOLDER, root).items()}


def _patient_data(spec: CohortSpec, file: str, root: Path) -> dict[str, Any]:
    if isinstance(spec.patient, dict):
        data = dict(spec.patient)
    else:
        known = loader.bundled("patients", root)
        if spec.patient not in known:
            raise ScenarioError([Issue(file, "patient", f"unknown bundled patient; bundled: {', '.join(known)}", spec.patient)])
        data = read_yaml(known[spec.patient])
    return _merged(data, spec.overrides)


def _merged(data: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """``data`` with ``changes``; assumption sentences are added to the patient's, not swapped for them."""
    assumptions = {**data.get("assumptions", {}), **changes.get("assumptions", {})}
    return {**data, **changes, "assumptions": assumptions}


def _patient(data: dict[str, Any], file: str, where: str, references: dict) -> Patient:
    """``loader.patient_from``, with each issue's field placed under ``where`` in the cohort file."""
    try:
        return loader.patient_from(data, file, references)
    except ScenarioError as exc:
        raise ScenarioError([replace(i, path=f"{where}.{i.path}" if i.path else where) for i in exc.issues]) from None


def _strategy_path(name: str, file: str, root: Path) -> str | Path:
    bundled = loader.bundled("strategies", root)
    local = loader.bundled(f"{FOLDER}/strategies", root)
    if name in bundled:
        return name
    if name in local:
        return local[name]
    allowed = ", ".join([*bundled, *local])
    raise ScenarioError([Issue(file, "strategy", f"unknown strategy; allowed: {allowed}", name)])


def load_cohort(path: str | Path, root: Path = BUNDLED) -> Cohort:
    """A cohort file, checked through to a runnable scenario per patient group."""
    file = str(path)
    spec = validate(CohortSpec, read_yaml(path), file)
    references = loader.load_references(root)
    issues = [Issue(file, "reference", "unknown reference id; allowed: keys of references.yaml", spec.reference)] \
        if spec.reference not in references else []
    issues += [Issue(file, f"figures[{i}].source", "unknown reference id; allowed: keys of references.yaml", f.source)
               for i, f in enumerate(spec.figures) if f.source not in references]
    if issues:
        raise ScenarioError(issues)
    base = _patient_data(spec, file, root)
    strategy = _strategy_path(spec.strategy, file, root)
    parts = spec.subgroups or (Subgroup(label=spec.label, n=spec.n),)
    groups = []
    for i, part in enumerate(parts):
        where = f"subgroups[{i}].patient" if spec.subgroups else "patient"
        patient = _patient(_merged(base, part.patient), file, where, references)
        try:
            scenario = loader.load_scenario(patient, [strategy], root)
        except ScenarioError as exc:
            raise ScenarioError([Issue(file, "strategy", str(issue)) for issue in exc.issues]) from None
        groups.append(Group(part.label, part.n, scenario))
    _check_figures(spec, file, groups[0].scenario)
    return Cohort(spec, file, tuple(groups))


def _check_figures(spec: CohortSpec, file: str, scenario: Scenario) -> None:
    allowed = outcome_columns(scenario)
    issues = []
    for i, fig in enumerate(spec.figures):
        where = f"figures[{i}].outcome"
        if fig.outcome not in allowed:
            issues.append(Issue(file, where, f"unknown outcome; allowed: {', '.join(allowed)}", fig.outcome))
        elif (fig.statistic == "proportion") != is_probability(fig.outcome):
            kinds = "a yes/no or complication column" if fig.statistic == "proportion" else "a measured or counted column"
            issues.append(Issue(file, where, f"a {fig.statistic} needs {kinds}", fig.outcome))
        n = fig.n or spec.n
        if fig.events is not None and fig.events > n:
            issues.append(Issue(file, f"figures[{i}].events", f"more events than patients (n = {n})", fig.events))
    if issues:
        raise ScenarioError(issues)


def load_cohorts(names: list[str] | None = None, root: Path = BUNDLED) -> list[Cohort]:
    """Bundled cohorts in run order; ``names`` picks some (unknown names -> ScenarioError)."""
    files = cohort_files(root)
    unknown = [n for n in names or [] if n not in files]
    if unknown:
        raise ScenarioError([Issue(str(root / FOLDER), "cohort", f"unknown cohort; allowed: {', '.join(files)}", n)
                             for n in unknown])
    chosen = [n for n in files if names is None or n in names]
    return [load_cohort(files[n], root) for n in chosen]


# --- simulation ----------------------------------------------------------------------------------
def shares(sizes: list[int], total: int) -> list[int]:
    """``total`` split in proportion to ``sizes`` (largest remainder; every group gets at least one)."""
    exact = np.array(sizes, dtype=float) * total / sum(sizes)
    counts = np.maximum(np.floor(exact).astype(int), 1)
    for i in np.argsort(-(exact - np.floor(exact)))[: max(total - counts.sum(), 0)]:
        counts[i] += 1
    return counts.tolist()


def simulate(cohort: Cohort, replications: int, seed: int) -> pd.DataFrame:
    """Records of ``replications`` simulated patients of the cohort's mix under its strategy.

    Subgroup k takes the k-th slice of replication numbers, so no two patients share draws and
    the result does not depend on how the cohort is cut.
    """
    counts = shares([g.n for g in cohort.groups], replications)
    start, frames = 0, []
    for group, count in zip(cohort.groups, counts):
        records, _ = simulate_block(group.scenario, cohort.strategy, seed, range(start, start + count))
        frames.append(records.assign(group=group.label))
        start += count
    return pd.concat(frames, ignore_index=True)


# --- comparison ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Comparison:
    """A published figure against the model; ``distribution`` is what the figure was compared with."""

    model_median: float
    pi_low: float
    pi_high: float
    rate: float
    rate_low: float
    rate_high: float
    interval_low: float
    interval_high: float
    inside: bool
    distribution: np.ndarray


def compare(values: np.ndarray, statistic: str, published: float, n: int, rng: np.random.Generator,
            draws: int = SAMPLING_DRAWS) -> Comparison:
    """Compare one published figure with simulated per-patient ``values``.

    ``published`` is the value for case/mean/median and the proportion k/n for a proportion.
    """
    values = np.asarray(values, dtype=float)
    nan = float("nan")
    if statistic == "proportion":
        rate = float(values.mean())
        low, high = (float(x) for x in wilson(rate, len(values)))
        k_low, k_high = stats.binom.ppf([INTERVAL[0] / 100, INTERVAL[1] / 100], n, rate)
        k = round(published * n)
        return Comparison(nan, nan, nan, rate, low, high, k_low / n, k_high / n, bool(k_low <= k <= k_high),
                          rng.binomial(n, rate, draws) / n)
    median = float(np.median(values))
    pi_low, pi_high = np.percentile(values, INTERVAL)
    if statistic == "case":
        dist = values
    else:
        cohorts = values[rng.integers(0, len(values), size=(draws, n))]
        dist = cohorts.mean(axis=1) if statistic == "mean" else np.median(cohorts, axis=1)
    low, high = np.percentile(dist, INTERVAL)
    return Comparison(median, float(pi_low), float(pi_high), nan, nan, nan, float(low), float(high),
                      bool(low <= published <= high), dist)


@dataclass(frozen=True)
class Validation:
    """The comparison table (one row per figure, cohorts in run order) and each row's distribution."""

    table: pd.DataFrame
    distributions: tuple[np.ndarray, ...]


def figure_label(column: str) -> str:
    return analysis.label(column).replace("Intra-operative events: ", "Events: ")


def unit(column: str) -> str:
    if column in RESULT_FIELDS:
        return RESULT_FIELDS[column][1]
    return "count" if column.startswith("event_") else "share"


def compare_cohort(cohort: Cohort, records: pd.DataFrame, seed: int) -> list[tuple[dict, np.ndarray]]:
    """Rows (dicts) and compared distributions for every figure of one simulated cohort."""
    rows = []
    for i, fig in enumerate(cohort.spec.figures):
        n = fig.n or cohort.spec.n
        published = fig.events / n if fig.statistic == "proportion" else fig.value
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(i,)))
        c = compare(analysis.outcome_values(records, fig.outcome), fig.statistic, published, n, rng)
        rows.append(({
            "cohort": cohort.name, "cohort_label": cohort.spec.label, "role": cohort.spec.role,
            "reference": cohort.spec.reference, "strategy": cohort.strategy, "outcome": fig.outcome,
            "figure": figure_label(fig.outcome), "unit": unit(fig.outcome), "statistic": fig.statistic,
            "n": n, "events": fig.events, "published": published, "source": fig.source, "note": fig.note,
            "compared_with": COMPARED_WITH[fig.statistic],
            **{f.name: getattr(c, f.name) for f in fields(Comparison) if f.name != "distribution"},
            "replications": len(records),
        }, c.distribution))
    return rows


def run_validation(cohorts: list[Cohort], replications: int = DEFAULT_REPLICATIONS, seed: int = DEFAULT_SEED,
                   progress=None) -> Validation:
    """Simulate every cohort (same seed, fixed replications) and compare each published figure.

    ``progress(done, total)`` is called after each cohort.
    """
    pairs = []
    for done, cohort in enumerate(cohorts, start=1):
        pairs += compare_cohort(cohort, simulate(cohort, replications, seed), seed)
        if progress is not None:
            progress(done, len(cohorts))
    table = pd.DataFrame([row for row, _ in pairs])
    table["events"] = table["events"].astype("Int64")
    table["seed"] = seed
    return Validation(table, tuple(dist for _, dist in pairs))


def published_text(row: pd.Series) -> str:
    """The published figure as read: '840 min (case)', 'mean 464 min, N=5', '45/307 (14.7%)'."""
    if row.statistic == "proportion":
        return f"{int(row.events)}/{row.n} ({row.published:.1%})"
    value = f"{row.published:,.0f} {row.unit}" if row.unit not in ("count", "share") else f"{row.published:g}"
    return f"{value} (case)" if row.statistic == "case" else f"{row.statistic} {value}, N={row.n}"


def model_text(row: pd.Series) -> str:
    """Model summary: median and 95% predictive interval, or the rate with its 95% CI."""
    if row.statistic == "proportion":
        return f"{row.rate:.1%} (95% CI {row.rate_low:.1%}–{row.rate_high:.1%})"
    return f"{row.model_median:,.0f} (95% PI {row.pi_low:,.0f}–{row.pi_high:,.0f})"


def interval_text(row: pd.Series) -> str:
    """The interval the figure was judged against, in the figure's own terms."""
    if row.statistic == "proportion":
        return f"{row.interval_low * row.n:.0f}–{row.interval_high * row.n:.0f} of {row.n}"
    if row.statistic == "case":
        return f"{row.interval_low:,.0f}–{row.interval_high:,.0f}"
    return f"{row.statistic} of {row.n}: {row.interval_low:,.0f}–{row.interval_high:,.0f}"


def summary(table: pd.DataFrame) -> str:
    """The run and its result in two sentences, as the CLI, the report and the dashboard state them."""
    return (f"{table.replications.iloc[0]:,} simulated patients per cohort, seed {table.seed.iloc[0]}. "
            f"{int(table.inside.sum())} of {len(table)} published figures lie inside the model's 95% interval.")


def display_table(table: pd.DataFrame, cohort: str = "cohort_label") -> pd.DataFrame:
    """The comparison as people read it: one row per figure, texts instead of numbers. ``cohort`` is
    the column shown as the cohort (the CLI shows ``cohort``, the names ``--cohort`` takes)."""
    return pd.DataFrame({
        "Cohort": table[cohort] + np.where(table.role == "calibration", " (calibration)", ""),
        "Figure": table.figure,
        "Published": table.apply(published_text, axis=1),
        "Model (median, 95% PI / rate, 95% CI)": table.apply(model_text, axis=1),
        "Compared with (95%)": table.apply(interval_text, axis=1),
        "Result": table.inside.map(VERDICT),
    })
