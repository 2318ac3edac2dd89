"""Calibration targets (``scenarios/calibration/targets/*.yaml``) -> validated ``Target``s and their observations.

A target file is one published series. It names the cohort that reproduces the series' case mix in
the model - an existing validation cohort (``cohort: huang-2018``, from ``scenarios/validation/``)
or the same fields written inline (``n``, ``patient``, ``overrides``, ``subgroups``, ``strategy``,
``reference``, ``label``) - and states:

* ``case_mix``: mean levels, region, approach, share of revisions, histology shares (recorded and
  checked; the model reads what it has inputs for through the cohort's patients);
* ``definitions``: how blood loss was measured (``estimated`` adds the measurement term) and the
  time frame of complications;
* ``figures``: per record column the statistic - ``case`` (one patient), ``mean`` (optionally
  with ``sd`` or ``min``/``max``), ``median`` (optionally with ``q1``/``q3`` or ``min``/``max``),
  ``proportion`` (``events`` of ``n``); omitted, the cohort's own figures are used.

Each figure becomes an ``Observation`` on the scale the emulator and the likelihood use: the log of
a time or amount, events of N for a proportion. A reported spread becomes the within-series log-SD
through ``simulation.scenario.published`` (Wan 2014); without one, the simulated cohort's spread
is used (``Observation.log_sd`` is None).
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from ..scenario import published
from ..scenario.distributions import FROZEN
from ..scenario.errors import Issue, ScenarioError, validate
from ..scenario.loader import BUNDLED, read_yaml
from ..validation.cohorts import Cohort, cohort_files, cohort_from
from .settings import FOLDER, Settings

TARGETS = f"{FOLDER}/targets"
Statistic = Literal["case", "mean", "median", "proportion"]
COHORT_FIELDS = ("label", "reference", "description", "n", "patient", "overrides", "subgroups", "strategy", "assumptions")


class TargetFigure(BaseModel):
    """One published figure with its spread, as reported."""

    model_config = FROZEN

    outcome: str
    statistic: Statistic
    value: float | None = Field(None, gt=0, description="Published value in the column's unit (not for proportions).")
    events: int | None = Field(None, ge=0)
    n: int | None = Field(None, ge=1, description="Patients behind the figure; default the series' n.")
    sd: float | None = Field(None, gt=0, description="mean: the reported standard deviation.")
    q1: float | None = Field(None, gt=0, description="median: lower quartile.")
    q3: float | None = Field(None, gt=0, description="median: upper quartile.")
    min: float | None = Field(None, gt=0, description="mean or median: smallest value of the series.")
    max: float | None = Field(None, gt=0, description="mean or median: largest value of the series.")
    source: str
    note: str = ""

    @model_validator(mode="after")
    def _fits_the_statistic(self):
        s = self.statistic
        if s == "proportion":
            if self.events is None or self.value is not None:
                raise ValueError("a proportion is given as 'events' (and 'n' if not the series'), not 'value'")
        elif self.value is None or self.events is not None:
            raise ValueError(f"a {s} is given as 'value', not 'events'")
        for a, b in (("q1", "q3"), ("min", "max")):
            if (getattr(self, a) is None) != (getattr(self, b) is None):
                raise ValueError(f"give {a} and {b} together")
        spreads = [k for k in ("sd", "q1", "min") if getattr(self, k) is not None]
        allowed = {"mean": {"sd", "min"}, "median": {"q1", "min"}}.get(s, set())
        if set(spreads) - allowed or len(spreads) > 1:
            raise ValueError(f"a {s} takes {' or '.join(sorted(allowed)) or 'no spread'} (one spread at most)")
        return self

    def cohort_figure(self) -> dict[str, Any]:
        """The figure as a validation cohort writes it (without the spread)."""
        return self.model_dump(include={"outcome", "statistic", "value", "events", "n", "source", "note"}, exclude_none=True)


class CaseMix(BaseModel):
    """What the series was made of, as far as it was reported."""

    model_config = FROZEN

    levels: float | None = Field(None, ge=1, le=10, description="Mean levels resected per patient.")
    region: Literal["cervical", "thoracic", "thoracolumbar", "lumbar", "lower_lumbar", "sacral", "mixed"] | None = None
    approach: Literal["posterior", "anterior", "combined", "mixed"] | None = None
    revision: float | None = Field(None, ge=0, le=1, description="Share of revision operations.")
    histology: dict[str, float] = Field(default_factory=dict, description="Share of each histology group.")

    @model_validator(mode="after")
    def _shares(self):
        total = sum(self.histology.values())
        if any(v < 0 for v in self.histology.values()) or total > 1.001:
            raise ValueError(f"histology shares must be >= 0 and add up to at most 1 (they add up to {total:g})")
        return self


class Definitions(BaseModel):
    model_config = FROZEN

    blood_loss: Literal["estimated", "measured", "calculated"] | None = None
    time_frame: str | None = None


class TargetSpec(BaseModel):
    """A target file: the series' cohort (by name or inline), case mix, definitions and figures."""

    model_config = FROZEN

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    cohort: str | None = Field(None, description="A validation cohort (scenarios/validation) giving patient, strategy, n.")
    label: str | None = None
    reference: str | None = None
    description: str = ""
    n: int | None = Field(None, ge=1)
    patient: str | dict[str, Any] | None = None
    overrides: dict[str, Any] = Field(default_factory=dict)
    subgroups: tuple[dict[str, Any], ...] = ()
    strategy: str | None = None
    assumptions: dict[str, str] = Field(default_factory=dict)
    case_mix: CaseMix
    definitions: Definitions
    weight: float | None = Field(None, gt=0, le=1, description="Likelihood weight; default 1 (a case: settings case_weight).")
    figures: tuple[TargetFigure, ...] | None = Field(None, min_length=1)

    @model_validator(mode="after")
    def _cohort_or_inline(self):
        given = [f for f in COHORT_FIELDS if getattr(self, f) not in (None, {}, (), "")]
        if self.cohort is not None and given:
            raise ValueError(f"give cohort: or the cohort's fields inline, not both (inline here: {', '.join(given)})")
        if self.cohort is None:
            missing = [f for f in ("label", "reference", "n", "patient", "strategy") if getattr(self, f) is None]
            if missing or self.figures is None:
                raise ValueError(f"without cohort:, give {', '.join([*missing, *(['figures'] if self.figures is None else [])])}")
        return self


@dataclass(frozen=True)
class Observation:
    """One figure on the calibration scale.

    ``y``: log of the published value (time, amount) or the event count (proportion);
    ``log_sd``: within-series log-SD from the reported spread (None: take the simulated one);
    ``summary``: which simulated statistic the emulator learns (``log_mean``, ``log_median``,
    ``log_case`` - the log median of one patient - or ``logit_rate``).
    """

    series: str
    outcome: str
    output: str
    statistic: str
    n: int
    y: float
    log_sd: float | None
    converted: bool
    estimated: bool  # estimated blood loss: the measurement term applies
    weight: float
    centre: bool  # the series' centre effect acts on it

    @property
    def key(self) -> str:
        return f"{self.series}:{self.outcome}"

    @property
    def summary(self) -> str:
        return {"case": "log_case", "mean": "log_mean", "median": "log_median", "proportion": "logit_rate"}[self.statistic]


@dataclass(frozen=True)
class Target:
    spec: TargetSpec
    file: str
    cohort: Cohort
    observations: tuple[Observation, ...]

    @property
    def name(self) -> str:
        return self.spec.name


def _log_sd(fig: TargetFigure, n: int) -> tuple[float | None, bool]:
    """Within-series log-SD from the reported spread (Wan 2014 on the log scale), and whether it was converted."""
    if fig.sd is not None:
        return published.lognormal_from_mean_sd(fig.value, fig.sd).sigma, False
    if fig.q1 is not None:
        return published.lognormal_from_iqr(fig.q1, fig.value, fig.q3, n).sigma, True
    if fig.min is not None:
        return published.lognormal_from_range(fig.value, fig.min, fig.max, n).sigma, True
    return None, False


def observations(spec: TargetSpec, n_series: int, file: str, settings: Settings) -> tuple[Observation, ...]:
    """The figures of a target as ``Observation``s; unknown output types -> ScenarioError."""
    out, issues, seen = [], [], set()
    for i, fig in enumerate(spec.figures or ()):
        if fig.outcome in seen:
            issues.append(Issue(file, f"figures[{i}].outcome", "repeats an outcome of this series; give each column once", fig.outcome))
            continue
        seen.add(fig.outcome)
        output = settings.output_type(fig.outcome)
        if output is None:
            issues.append(Issue(file, f"figures[{i}].outcome", "no output type in settings.yaml outputs lists this column", fig.outcome))
            continue
        n = fig.n or n_series
        try:
            log_sd, converted = _log_sd(fig, n)
        except ValueError as exc:
            issues.append(Issue(file, f"figures[{i}]", str(exc)))
            continue
        weight = spec.weight or (settings.case_weight.value if fig.statistic == "case" else 1.0)
        y = float(fig.events) if fig.statistic == "proportion" else math.log(fig.value)
        out.append(Observation(spec.name, fig.outcome, output, fig.statistic, n, y, log_sd, converted,
                               output == "bleeding" and spec.definitions.blood_loss == "estimated", weight,
                               settings.outputs[output].centre_effect))
    if issues:
        raise ScenarioError(issues)
    return tuple(out)


def load_target(path: str | Path, settings: Settings, root: Path = BUNDLED) -> Target:
    """A target file, checked through to runnable cohort scenarios and observations."""
    file = str(path)
    spec = validate(TargetSpec, read_yaml(path), file)
    if spec.cohort is not None:
        known = cohort_files(root)
        if spec.cohort not in known:
            raise ScenarioError([Issue(file, "cohort", f"unknown cohort; allowed: {', '.join(known)}", spec.cohort)])
        data = dict(read_yaml(known[spec.cohort]))
    else:
        data = {k: getattr(spec, k) for k in COHORT_FIELDS}
        data["role"] = "calibration"
    data["name"] = spec.name
    if spec.figures is not None:
        data["figures"] = [f.cohort_figure() for f in spec.figures]
    cohort = cohort_from({k: v for k, v in data.items() if v not in (None, "")}, file, root)
    if spec.figures is None:
        spec = spec.model_copy(update={"figures": tuple(TargetFigure.model_validate(f.model_dump()) for f in cohort.spec.figures)})
    return Target(spec, file, cohort, observations(spec, cohort.spec.n, file, settings))


def target_files(folder: str | Path | None = None, root: Path = BUNDLED) -> list[Path]:
    """Target files in run order (sorted by name); default the bundled ``scenarios/calibration/targets``."""
    folder = Path(folder) if folder else root / TARGETS
    if not folder.is_dir():
        raise ScenarioError([Issue(str(folder), "", "no such folder of target files")])
    files = sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml"))
    if not files:
        raise ScenarioError([Issue(str(folder), "", "holds no target files (*.yaml)")])
    return files


def load_targets(folder: str | Path | None, settings: Settings, root: Path = BUNDLED) -> list[Target]:
    """Every target of a folder; all files' problems are reported together; series names must be unique."""
    targets, issues = [], []
    for path in target_files(folder, root):
        try:
            targets.append(load_target(path, settings, root))
        except ScenarioError as exc:
            issues += exc.issues
    seen: dict[str, str] = {}
    for t in targets:
        if t.name in seen:
            issues.append(Issue(t.file, "name", f"repeats the series name of {seen[t.name]}", t.name))
        seen.setdefault(t.name, t.file)
    if issues:
        raise ScenarioError(issues)
    return targets


def targets_hash(targets: list[Target]) -> str:
    """Short SHA-256 over the target files' texts (whitespace-normalised): provenance of a posterior."""
    h = hashlib.sha256()
    for t in targets:
        h.update(re.sub(r"\s+", " ", Path(t.file).read_text(encoding="utf-8")).encode())
    return h.hexdigest()[:16]


def scenario_hash(targets: list[Target]) -> str:
    """Short SHA-256 over the digests of every cohort scenario: changes whenever the model's inputs change."""
    digests = [g.scenario.digest() for t in targets for g in t.cohort.groups]
    return hashlib.sha256(" ".join(digests).encode()).hexdigest()[:16]
