"""Distributions written the way clinicians report them, and the provenance every number carries.

Each specification is a frozen pydantic model tagged by ``dist``. The model samples every
distribution through a standard-normal score ``z`` (``ppf_normal``), so one latent patient
factor can be mixed into many activities (a Gaussian copula) while every marginal stays
exactly the distribution written in the file.

Conversions (inferred, stated in ``../shared/evidence/evidence.md``):

* lognormal from median and p95: ``mu = ln(median)``, ``sigma = (ln(p95) - mu) / 1.645``;
* lognormal from median and range of a series of n: ``sigma = (ln(max) - ln(min)) / xi(n)``,
  ``xi(n) = 2 * Phi^-1((n - 0.375) / (n + 0.25))`` (Wan et al. 2014 on the log scale);
* lognormal from mean and SD: moments matched on the natural scale;
* Beta from events/N: ``Beta(k + 1, N - k + 1)``.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Annotated, Literal, Union

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator
from scipy import special, stats

Z95 = stats.norm.ppf(0.95)


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

    value: float
    ci95: tuple[float, float] | None = Field(
        None, description="95% confidence interval of the value, for probabilistic sensitivity."
    )

    @model_validator(mode="after")
    def _ci_brackets_value(self):
        if self.ci95 is not None and not self.ci95[0] <= self.value <= self.ci95[1]:
            raise ValueError(f"ci95 {list(self.ci95)} must contain value {self.value}")
        return self


class Probability(Sourced):
    """A per-patient or per-phase probability: ``p`` directly, or ``events`` out of ``n``."""

    p: float | None = Field(None, ge=0, le=1, description="Probability, 0 to 1.")
    events: int | None = Field(None, ge=0, description="Events observed in a series.")
    n: int | None = Field(None, gt=0, description="Patients (or operations) in that series.")

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


class Fixed(_Dist):
    """A fixed value (degenerate distribution)."""

    dist: Literal["fixed"]
    value: float = Field(ge=0)

    def ppf_normal(self, z):
        return np.full(np.shape(z), self.value)

    def mean(self):
        return self.value


class LogNormal(_Dist):
    """Lognormal from ``median`` + ``p95``, ``median`` + ``min``/``max``/``n``, or ``mean`` + ``sd``."""

    dist: Literal["lognormal"]
    median: float | None = Field(None, gt=0)
    p95: float | None = Field(None, gt=0)
    min: float | None = Field(None, gt=0)
    max: float | None = Field(None, gt=0)
    n: int | None = Field(None, ge=2, description="Size of the series the range comes from.")
    mean_: float | None = Field(None, gt=0, alias="mean")
    sd: float | None = Field(None, gt=0)

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @model_validator(mode="after")
    def _one_form(self):
        given = {k for k in ("median", "p95", "min", "max", "n", "mean_", "sd") if getattr(self, k) is not None}
        forms = ({"median", "p95"}, {"median", "min", "max", "n"}, {"mean_", "sd"})
        if given not in forms:
            raise ValueError(
                "lognormal needs exactly one of: median + p95; median + min + max + n; mean + sd "
                f"(got {', '.join(sorted(k.rstrip('_') for k in given)) or 'nothing'})"
            )
        if self.p95 is not None and self.p95 <= self.median:
            raise ValueError(f"p95 ({self.p95}) must exceed median ({self.median})")
        if self.min is not None and not (self.min < self.max and self.min <= self.median <= self.max):
            raise ValueError(f"need min < max and min <= median <= max (got {self.min}, {self.median}, {self.max})")
        return self

    @property
    def mu_sigma(self) -> tuple[float, float]:
        """Location and scale on the log scale."""
        if self.p95 is not None:
            mu = math.log(self.median)
            return mu, (math.log(self.p95) - mu) / Z95
        if self.n is not None:
            xi = 2 * stats.norm.ppf((self.n - 0.375) / (self.n + 0.25))
            return math.log(self.median), (math.log(self.max) - math.log(self.min)) / xi
        s2 = math.log1p((self.sd / self.mean_) ** 2)
        return math.log(self.mean_) - s2 / 2, math.sqrt(s2)

    def ppf_normal(self, z):
        mu, sigma = self.mu_sigma
        return np.exp(mu + sigma * np.asarray(z))

    def frozen(self):
        mu, sigma = self.mu_sigma
        return stats.lognorm(s=sigma, scale=math.exp(mu))


class Triangular(_Dist):
    """Triangular from ``min``, ``mode``, ``max``."""

    dist: Literal["triangular"]
    min: float = Field(ge=0)
    mode: float = Field(ge=0)
    max: float = Field(gt=0)

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
    min: float = Field(ge=0)
    max: float = Field(gt=0)

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
    events: int = Field(ge=0)
    n: int = Field(gt=0)

    @model_validator(mode="after")
    def _k_le_n(self):
        if self.events > self.n:
            raise ValueError(f"events ({self.events}) cannot exceed n ({self.n})")
        return self

    def frozen(self):
        return stats.beta(self.events + 1, self.n - self.events + 1)


@lru_cache(maxsize=4096)
def _frozen(dist: _Dist):
    """``dist.frozen()``, built once per distinct specification (scipy's constructors are slow)."""
    return dist.frozen()


Distribution = Annotated[
    Union[Fixed, LogNormal, Triangular, Uniform, BetaEvents], Field(discriminator="dist")
]
DIST_KINDS = ("fixed", "lognormal", "triangular", "uniform", "beta")
