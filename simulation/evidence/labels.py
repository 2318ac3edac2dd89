"""Evidence labels of every number (assumption, inferred, abstract-only, adult-to-child) and the
wider parameter uncertainty they give in probabilistic sensitivity analysis."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import BaseModel
from scipy import special

from ..scenario.distributions import (
    Z95,
    LogNormal,
    Sourced,
)
from ..scenario.parameters import Widening
from ..scenario.procedure import Phase
from ..scenario.published import beta_from_events
from ..scenario.schema import Reference, Scenario

LABELS = ("assumption", "inferred", "abstract-only", "adult-to-child")


def sourced_numbers(obj: Any, path: tuple[str, ...] = (), meaning: str = "") -> Iterator[tuple[tuple[str, ...], Sourced, str]]:
    """(path, number, field description) for every ``Sourced`` inside ``obj``; library phases by id."""
    if isinstance(obj, Sourced):
        yield path, obj, meaning
        return
    if isinstance(obj, Phase):  # the same library phase recurs in strategies: name it by id
        path = ("phases", obj.id)
    if isinstance(obj, BaseModel):
        for name, field in type(obj).model_fields.items():
            yield from sourced_numbers(getattr(obj, name), path + (name,), field.description or "")
    elif isinstance(obj, dict):
        for key, value in obj.items():
            yield from sourced_numbers(value, path + (str(key),), meaning)
    elif isinstance(obj, (list, tuple)):
        for i, value in enumerate(obj):
            yield from sourced_numbers(value, path[:-1] + (f"{path[-1]}[{i}]",), meaning)


# --- labels and widening -------------------------------------------------------------------------
def labels(number: Sourced, references: Mapping[str, Reference], child: bool) -> tuple[str, ...]:
    """The labels of one number (in ``LABELS`` order) for a child or an adult patient."""
    found = []
    if number.assumption:
        found.append("assumption")
    if number.inferred:
        found.append("inferred")
    ref = references.get(number.source) if number.source else None
    if ref is not None and ref.access == "abstract":
        found.append("abstract-only")
    if ref is not None and child and ref.population == "adult":
        found.append("adult-to-child")
    return tuple(found)


def widening(found: tuple[str, ...], factors: Widening) -> float:
    """The product of the widening factors of ``found`` labels (1 when there are none)."""
    unknown = set(found) - set(LABELS)
    if unknown:
        raise ValueError(f"unknown label(s) {', '.join(sorted(unknown))}; labels are {', '.join(LABELS)}")
    return math.prod(getattr(factors, label.replace("-", "_")).value for label in found)


def widening_at(node: Mapping, scenario: Scenario) -> float:
    """The widening factor of one number of ``scenario``, given as its dumped dict ``node``
    (from ``scenario.model_dump(mode="json", by_alias=True)``)."""
    number = Sourced.model_validate({k: node.get(k) for k in ("source", "assumption", "inferred")})
    return widening(labels(number, scenario.references, scenario.is_child), scenario.parameters.widening)


def widened_lognormal(median: float, sigma_log: float, factor: float, **provenance) -> LogNormal:
    """Lognormal with this ``median`` and log-SD ``sigma_log * factor``."""
    return LogNormal(dist="lognormal", median=median, p95=median * math.exp(Z95 * sigma_log * factor), **provenance)


@dataclass(frozen=True)
class WidenedBeta:
    """Beta of a proportion seen as ``events`` in ``n``, with its effective sample size divided by ``factor**2``.

    ``Beta(k' + 1, n' - k' + 1)`` with ``n' = n / factor**2`` and ``k' = k / factor**2``: the
    proportion k/n stays the mode while the SD grows by about ``factor``; ``factor = 1`` is the
    usual ``Beta(k + 1, n - k + 1)`` of ``BetaEvents``.
    """

    events: int
    n: int
    factor: float

    @property
    def n_eff(self) -> float:
        return self.n / self.factor**2

    @property
    def shape(self) -> tuple[float, float]:
        return self.frozen().args

    def frozen(self):
        return beta_from_events(self.events / self.factor**2, self.n_eff)

    def ppf_normal(self, z: np.ndarray) -> np.ndarray:
        """Quantile at the standard-normal score ``z`` (vectorised), as the scenario distributions."""
        return self.frozen().ppf(special.ndtr(z))
