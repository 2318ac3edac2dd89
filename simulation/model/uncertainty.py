"""Parameter and centre uncertainty as per-replication multipliers and logit shifts.

``Uncertainty`` holds draws of calibrated parameters (rows of a posterior, on the unconstrained
scale: ``log k`` of a multiplier, or a logit shift) and, per row, the covariance of a centre effect
``u = (log time, log blood loss, complication logit)`` of the operation, as the calibration's centre
effects act on a series' outputs (``sampling._factors`` turns it into phase multipliers). What each parameter moves is a list of
``Effect``s naming phases, modifier families, complication types and phase events; ``PlanEffects``
maps them once per plan to matrices over the plan's phase columns, event slots and complication
types, so a block of replications needs two matrix products, not a scenario per draw.

Which row and which centre a replication meets: replication ``r`` belongs to centre
``r // patients`` and parameter draw ``r // (patients * centres)`` (a nested design: parameter
draws x centres x patients). The row index and the centre's standard normals come from their own
streams keyed by those numbers, so every strategy of replication ``r`` meets the same parameters
and the same centre (common random numbers), and a run's numbers do not depend on its blocks.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from scipy import special

from .factors import acts_on
from .plan import Plan, modifier_exposures
from .streams import Stream, block

CENTRE_AXES = ("time", "bleeding", "complication")
Kind = Literal["phase_duration", "phase_bleeding", "modifier_duration", "modifier_bleeding", "complication", "event"]


@dataclass(frozen=True)
class Effect:
    """One place a parameter acts: ``kind`` and what it names (a phase id, a modifier family, a
    complication type, or a phase id with the index of the event in that phase's list)."""

    parameter: int  # column of ``Uncertainty.z``
    kind: Kind
    name: str  # phase id, modifier family or complication type
    event: int = 0  # index into the phase's ``events`` (kind "event")


@dataclass(frozen=True, eq=False)
class Uncertainty:
    """Parameter rows and centre covariances, with the nesting of a run.

    ``z`` [D, P]: parameter rows (log multiplier or logit shift; D = 1 and P = 0 for none).
    ``centre_cov`` [D, 3, 3]: covariance of the centre effect for each row (zeros: no centre effect).
    ``centre_mean`` [3]: the centre effect's mean (0 for a centre like those published; a calibrated
    centre's estimate with ``--centre``). ``shift`` [D, 3]: a per-row shift on the same axes (the
    model-discrepancy terms of each posterior row, so the run predicts the published operations rather
    than the simulator's). ``patients`` per centre and ``centres`` per parameter draw
    set the nesting (1 and 1: every replication its own draws). ``label`` is for the provenance line.
    """

    z: np.ndarray
    effects: tuple[Effect, ...]
    centre_cov: np.ndarray
    centre_mean: np.ndarray = field(default_factory=lambda: np.zeros(3))
    patients: int = 1
    centres: int = 1
    label: str = "fixed parameters"
    shift: np.ndarray | None = None  # [D, 3] per-row shift on the same axes (the calibration's discrepancy terms)

    @property
    def parameters_on(self) -> bool:
        return len(self.z) > 1 and bool(self.effects)

    @property
    def centre_on(self) -> bool:
        return bool(np.any(self.centre_cov)) or bool(np.any(self.centre_mean))

    @property
    def digest(self) -> str:
        """A short hash of everything that changes the numbers (enters the run's scenario digest)."""
        h = hashlib.sha256()
        for a in (self.z, self.centre_cov, self.centre_mean, *(() if self.shift is None else (self.shift,))):
            h.update(np.ascontiguousarray(a, dtype=float).tobytes())
        h.update(repr((self.effects, self.patients, self.centres)).encode())
        return h.hexdigest()[:12]

    def nested(self, patients: int, centres: int) -> Uncertainty:
        """The same draws in a nested design of ``patients`` per centre and ``centres`` per parameter draw."""
        if patients < 1 or centres < 1:
            raise ValueError(f"patients and centres per group must be at least 1 (got {patients}, {centres})")
        return Uncertainty(self.z, self.effects, self.centre_cov, self.centre_mean, patients, centres, self.label, self.shift)

    def groups(self, replications: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(parameter draw, centre) numbers of each replication."""
        reps = np.asarray(replications, dtype=np.int64)
        return reps // (self.patients * self.centres), reps // self.patients

    def draw(self, seed: int, replications, point: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(parameter rows [R, P], centre effects [R, 3]) of ``replications``."""
        draws, centres = self.groups(replications)
        keys, inverse = np.unique(draws, return_inverse=True)
        u = special.ndtr(block(seed, keys, Stream.PARAMETER_DRAW, 1, point)[:, 0])
        rows = np.minimum((u * len(self.z)).astype(np.int64), len(self.z) - 1)[inverse]
        ckeys, cinv = np.unique(centres, return_inverse=True)
        zc = block(seed, ckeys, Stream.CENTRE, len(CENTRE_AXES), point)[cinv]
        shift = self.centre_mean + (self.shift[rows] if self.shift is not None else 0.0)
        return self.z[rows], shift + np.einsum("rij,rj->ri", _scaled_cholesky(self.centre_cov)[rows], zc)


def _scaled_cholesky(cov: np.ndarray) -> np.ndarray:
    """[D, 3, 3] lower factors L with L L' = cov: diag(sd) times the Cholesky factor of the correlation
    matrix, so an axis with SD 0 stays exactly 0 (a jitter on the covariance would not)."""
    sd = np.sqrt(np.clip(np.diagonal(cov, axis1=1, axis2=2), 0.0, None))
    safe = np.where(sd > 0, sd, 1.0)
    corr = cov / (safe[:, :, None] * safe[:, None, :])
    corr[:, np.arange(3), np.arange(3)] = 1.0
    return sd[:, :, None] * np.linalg.cholesky(corr + 1e-12 * np.eye(3))


def fixed() -> Uncertainty:
    """No parameter or centre uncertainty: patient variability alone."""
    return Uncertainty(np.zeros((1, 0)), (), np.zeros((1, 3, 3)))


@dataclass(frozen=True)
class PlanEffects:
    """``Effect``s as matrices over one plan: log-duration and log-bleeding weights per phase column,
    logit shifts per event slot and per complication type (rows: parameters)."""

    duration: np.ndarray  # [P, phases]
    bleeding: np.ndarray  # [P, phases]
    slots: np.ndarray  # [P, event slots]
    complications: np.ndarray  # [P, complication types]

    @classmethod
    def of(cls, plan: Plan, effects: tuple[Effect, ...], n_parameters: int) -> PlanEffects:
        phases = plan.all_phases
        types = list(plan.scenario.parameters.complications.types)
        exposures = modifier_exposures(plan.scenario)
        out = cls(*(np.zeros((n_parameters, n)) for n in (len(phases), len(phases), len(plan.event_slots), len(types))))
        slot_of = {}
        s = 0
        for j, p in enumerate(phases):
            for k in range(len(p.event_rates)):
                slot_of[(j, k)] = s
                s += 1
        for e in effects:
            if e.kind == "complication":
                if e.name in types:
                    out.complications[e.parameter, types.index(e.name)] += 1.0
                continue
            for j, p in enumerate(phases):
                if e.kind in ("phase_duration", "phase_bleeding") and p.phase.id == e.name:
                    (out.duration if e.kind == "phase_duration" else out.bleeding)[e.parameter, j] += 1.0
                elif e.kind in ("modifier_duration", "modifier_bleeding") and e.name in exposures and acts_on(p.phase, e.name):
                    times = exposures[e.name][1]
                    (out.duration if e.kind == "modifier_duration" else out.bleeding)[e.parameter, j] += times
                elif e.kind == "event" and p.phase.id == e.name and (j, e.event) in slot_of:
                    out.slots[e.parameter, slot_of[(j, e.event)]] += 1.0
        return out
