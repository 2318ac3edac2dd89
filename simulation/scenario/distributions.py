"""Distributions written the way clinicians report them, and the provenance every number carries.

Each specification is a frozen pydantic model tagged by ``dist``. The model samples every
distribution through a standard-normal score ``z`` (``ppf_normal``), so one latent patient
factor can be mixed into many activities (a Gaussian copula) while every marginal stays
exactly the distribution written in the file.

Conversions (inferred, stated in ``../shared/evidence/evidence.md``) are done once, in
``simulation.published``, which gives each formula with its method and reference:

* lognormal from median and p95 (``lognormal_from_median_p95``), median and range of a series
  of n (``lognormal_from_range``, Wan et al. 2014 on the log scale), median and quartiles
  (+ n) (``lognormal_from_iqr``), or mean and SD (``lognormal_from_mean_sd``, moments matched);
* gamma from mean and SD (``gamma_from_mean_sd``, moments matched);
* Beta from events/N (``beta_from_events``, a uniform prior).
"""

from __future__ import annotations

import math
import numbers
from functools import lru_cache
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from scipy import special, stats

from . import published

Z95 = published.Z95  # standard-normal 95th percentile (used by the schema's readers)


# --- numbers as a file may write them -------------------------------------------------------------
def _not_a_number(v: Any) -> str | None:
    """What ``v`` is when it is not a real number (pydantic would read ``true`` as 1 and ``"40"`` as 40)."""
    if isinstance(v, (bool, np.bool_)):
        return "true/false"
    if isinstance(v, str):
        return "text"
    return None if isinstance(v, numbers.Real) else type(v).__name__


def _finite_number(v: Any) -> Any:
    """A real, finite number: ``true``/``false``, text, ``.inf`` and ``.nan`` are refused."""
    if kind := _not_a_number(v):
        raise ValueError(f"must be a number, not {kind}")
    try:
        finite = math.isfinite(v)
    except OverflowError:  # an integer too large for a float
        finite = False
    if not finite:
        raise ValueError("must be a finite number")
    return v


def _whole_number(v: Any) -> Any:
    """A count: a real number (pydantic then refuses a fraction), not ``true``/``false`` or text."""
    if kind := _not_a_number(v):
        raise ValueError(f"must be a whole number, not {kind}")
    return v


Number = Annotated[float, BeforeValidator(_finite_number)]
"""Every real number of a scenario file: strictly a number (no bool, no text) and finite."""
Count = Annotated[int, BeforeValidator(_whole_number), Field(le=100_000_000)]
"""Every count of a scenario file (events, series sizes): a whole number, no bool, at most 10^8
(more patients than any clinical series or registry holds)."""

EXTREME_QUANTILE = 0.999  # a distribution's range is checked at its 0.1th and 99.9th percentiles


def within(low: float, high: float, unit: str) -> AfterValidator:
    """A field bound for a ``Value`` (its value and 95% CI) or a distribution (its 0.1th and 99.9th
    percentiles): all must lie in [``low``, ``high``] ``unit``. State the bound's reason in the field's
    description."""

    def check(spec):
        if spec is None:
            return spec
        if isinstance(spec, _Dist):
            lo, hi = spec.quantile(1 - EXTREME_QUANTILE), spec.quantile(EXTREME_QUANTILE)
            what = f"its 0.1th-99.9th percentiles ({lo:.4g} to {hi:.4g} {unit})"
        else:
            lo, hi = (min(spec.value, *spec.ci95), max(spec.value, *spec.ci95)) if spec.ci95 else (spec.value, spec.value)
            what = f"{spec.value:g} {unit}" + (f" (95% CI {spec.ci95[0]:g} to {spec.ci95[1]:g})" if spec.ci95 else "")
        if not low <= lo <= hi <= high:
            raise ValueError(f"{what} must lie between {low:g} and {high:g} {unit}")
        return spec

    return AfterValidator(check)


class Sourced(BaseModel):
    """A number with its provenance: a ``source`` key into the references file or an ``assumption``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str | None = Field(None, description="Key into scenarios/references.yaml.")
    assumption: str | None = Field(None, description="A sentence stating the assumption plainly.")
    inferred: str | None = Field(
        None,
        description="How the number was derived from its source when the source does not state it "
        "(evidence flag I), e.g. 'relative risk implied by 16/35 vs 31/99'.",
    )

    @model_validator(mode="after")
    def _one_provenance(self):
        if bool(self.source) == bool(self.assumption):
            raise ValueError(
                "give exactly one of 'source' (a key into references.yaml) or "
                "'assumption' (a sentence)"
            )
        if self.inferred and not self.source:
            raise ValueError("'inferred' says how a number was derived from its 'source'; give the source")
        return self

    @property
    def provenance(self) -> str:
        """The source key, or the word 'assumption' followed by the sentence."""
        return self.source if self.source else f"assumption: {self.assumption}"


class Value(Sourced):
    """A scalar parameter (a ratio, a threshold, a volume) with an optional 95% CI."""

    value: Number
    ci95: tuple[Number, Number] | None = Field(
        None, description="95% confidence interval of the value, for probabilistic sensitivity."
    )

    @model_validator(mode="after")
    def _ci_brackets_value(self):
        if self.ci95 is not None and not self.ci95[0] <= self.value <= self.ci95[1]:
            raise ValueError(f"ci95 {list(self.ci95)} must contain value {self.value}")
        return self


class Probability(Sourced):
    """A per-patient or per-phase probability: ``p`` directly, or ``events`` out of ``n``."""

    p: Number | None = Field(None, ge=0, le=1, description="Probability, 0 to 1.")
    events: Count | None = Field(None, ge=0, description="Events observed in a series.")
    n: Count | None = Field(None, gt=0, description="Patients (or operations) in that series.")

    @model_validator(mode="after")
    def _one_form(self):
        if (self.p is None) == (self.events is None and self.n is None):
            raise ValueError("give either 'p' (0 to 1) or both 'events' and 'n'")
        if self.p is None:
            if self.events is None or self.n is None:
                raise ValueError("'events' and 'n' go together")
            if self.events > self.n:
                raise ValueError(f"events ({self.events}) cannot exceed n ({self.n})")
        return self

    @property
    def value(self) -> float:
        """The point probability (events / n when given as a count)."""
        return self.p if self.p is not None else self.events / self.n


class _Dist(Sourced):
    def ppf_normal(self, z: np.ndarray) -> np.ndarray:
        """Quantile at the standard-normal score ``z`` (vectorised)."""
        return _frozen(self).ppf(special.ndtr(z))

    def frozen(self):
        """The equivalent frozen ``scipy.stats`` distribution."""
        raise NotImplementedError

    def mean(self) -> float:
        return float(self.frozen().mean())

    def quantile(self, p: float) -> float:
        """The ``p`` quantile (0 < p < 1)."""
        return _quantile(self, p)


class Fixed(_Dist):
    """A fixed value (degenerate distribution)."""

    dist: Literal["fixed"]
    value: Number = Field(ge=0)

    def ppf_normal(self, z):
        return np.full(np.shape(z), self.value)

    def mean(self):
        return self.value

    def quantile(self, p):
        return self.value


class LogNormal(_Dist):
    """Lognormal from ``median`` + ``p95``, ``median`` + ``min``/``max``/``n``, ``median`` +
    ``q1``/``q3`` (+ ``n``), or ``mean`` + ``sd``."""

    dist: Literal["lognormal"]
    median: Number | None = Field(None, gt=0)
    p95: Number | None = Field(None, gt=0)
    min: Number | None = Field(None, gt=0)
    max: Number | None = Field(None, gt=0)
    q1: Number | None = Field(None, gt=0, description="First quartile (25th percentile) of the series.")
    q3: Number | None = Field(None, gt=0, description="Third quartile (75th percentile) of the series.")
    n: Count | None = Field(None, ge=2, description="Size of the series the range or quartiles come from.")
    mean_: Number | None = Field(None, gt=0, alias="mean")
    sd: Number | None = Field(None, gt=0)

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @model_validator(mode="after")
    def _one_form(self):
        given = {k for k in ("median", "p95", "min", "max", "q1", "q3", "n", "mean_", "sd") if getattr(self, k) is not None}
        forms = ({"median", "p95"}, {"median", "min", "max", "n"}, {"median", "q1", "q3"}, {"median", "q1", "q3", "n"}, {"mean_", "sd"})
        if given not in forms:
            raise ValueError(
                "lognormal needs exactly one of: median + p95; median + min + max + n; "
                "median + q1 + q3 (+ n); mean + sd "
                f"(got {', '.join(sorted(k.rstrip('_') for k in given)) or 'nothing'})"
            )
        self.fit()  # the conversion checks the numbers' order (min <= median <= max, ...)
        return self

    def fit(self) -> published.LogNormalFit:
        """The lognormal this form describes (``simulation.published`` does the conversion)."""
        if self.p95 is not None:
            return published.lognormal_from_median_p95(self.median, self.p95)
        if self.min is not None:
            return published.lognormal_from_range(self.median, self.min, self.max, self.n)
        if self.q1 is not None:
            return published.lognormal_from_iqr(self.q1, self.median, self.q3, self.n)
        return published.lognormal_from_mean_sd(self.mean_, self.sd)

    @property
    def mu_sigma(self) -> tuple[float, float]:
        """Location and scale on the log scale."""
        fit = self.fit()
        return fit.mu, fit.sigma

    def ppf_normal(self, z):
        mu, sigma = self.mu_sigma
        return np.exp(mu + sigma * np.asarray(z))

    def frozen(self):
        return self.fit().frozen()


class Gamma(_Dist):
    """Gamma from ``mean`` + ``sd`` (moments matched): a skewed positive quantity reported as mean +/- SD."""

    dist: Literal["gamma"]
    mean_: Number = Field(gt=0, alias="mean")
    sd: Number = Field(gt=0)

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    def frozen(self):
        return published.gamma_from_mean_sd(self.mean_, self.sd).frozen()


class Triangular(_Dist):
    """Triangular from ``min``, ``mode``, ``max``."""

    dist: Literal["triangular"]
    min: Number = Field(ge=0)
    mode: Number = Field(ge=0)
    max: Number = Field(gt=0)

    @model_validator(mode="after")
    def _ordered(self):
        if not self.min <= self.mode <= self.max or self.min == self.max:
            raise ValueError(f"need min <= mode <= max and min < max (got {self.min}, {self.mode}, {self.max})")
        return self

    def frozen(self):
        width = self.max - self.min
        return stats.triang(c=(self.mode - self.min) / width, loc=self.min, scale=width)


class Uniform(_Dist):
    """Uniform between ``min`` and ``max``."""

    dist: Literal["uniform"]
    min: Number = Field(ge=0)
    max: Number = Field(gt=0)

    @model_validator(mode="after")
    def _ordered(self):
        if self.min >= self.max:
            raise ValueError(f"need min < max (got {self.min}, {self.max})")
        return self

    def frozen(self):
        return stats.uniform(loc=self.min, scale=self.max - self.min)


class BetaEvents(_Dist):
    """Beta(k + 1, N - k + 1) from ``events`` k out of ``n`` N: a proportion between 0 and 1."""

    dist: Literal["beta"]
    events: Count = Field(ge=0)
    n: Count = Field(gt=0)

    @model_validator(mode="after")
    def _k_le_n(self):
        if self.events > self.n:
            raise ValueError(f"events ({self.events}) cannot exceed n ({self.n})")
        return self

    def frozen(self):
        return published.beta_from_events(self.events, self.n)


@lru_cache(maxsize=4096)
def _frozen(dist: _Dist):
    """``dist.frozen()``, built once per distinct specification (scipy's constructors are slow)."""
    return dist.frozen()


@lru_cache(maxsize=8192)
def _quantile(dist: _Dist, p: float) -> float:
    """``dist.quantile(p)``, worked out once (the schema's bounds ask for it whenever a scenario is validated)."""
    return float(_frozen(dist).ppf(p))


Distribution = Annotated[
    Fixed | LogNormal | Gamma | Triangular | Uniform | BetaEvents, Field(discriminator="dist")
]
DIST_KINDS = ("fixed", "lognormal", "gamma", "triangular", "uniform", "beta")

FROZEN = ConfigDict(frozen=True, extra="forbid")
