"""Published validation cohorts (scenarios/validation/*.yaml): schema and loading."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from ..scenario import loader
from ..scenario.distributions import FROZEN
from ..scenario.errors import Issue, ScenarioError, validate
from ..scenario.loader import BUNDLED, read_yaml
from ..scenario.patient import Patient
from ..scenario.records import is_probability, outcome_columns
from ..scenario.schema import Scenario

FOLDER = "validation"
# Method and run settings, not clinical numbers (those live in scenarios/validation/*.yaml):
INTERVAL = (2.5, 97.5)  # percentiles of the central 95% interval each figure is judged against (as analysis.wilson)
Statistic = Literal["case", "mean", "median", "proportion"]
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
    return cohort_from(read_yaml(path), str(path), root)


def cohort_from(data: dict[str, Any], file: str, root: Path = BUNDLED) -> Cohort:
    """A cohort mapping (the fields of ``CohortSpec``) read from ``file``, checked as ``load_cohort`` does."""
    spec = validate(CohortSpec, data, file)
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
