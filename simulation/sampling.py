"""Draw every random number a block of replications needs, one stream per activity.

Each replication's numbers come only from ``generator(seed, replication, stream)``, so a
replication gives the same result whatever block, process or worker runs it. Within a
stream, draws that strategies share come first (fixed-size anaesthesia and stay slots, then
phases in plan order), so strategies with a common prefix see common random numbers.

Between-patient correlation: a phase's standard-normal score is
``sqrt(rho) * z_patient + sqrt(1 - rho) * z_phase`` (``parameters.latent``), so a patient who is
slow or bleeds in one phase tends to in the others, and every marginal stays as specified.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special, stats

from .plan import Plan
from .streams import Stream, generator

MAX_STAGES = 6  # slots reserved per replication for per-stage draws (5 planned + 1 unplanned)
DELAY_SLOTS = 32  # blood bank orders per replication
_LATENT = ("duration", "bleeding", "events", "recovery")


@dataclass(frozen=True)
class Draws:
    """Random inputs of a block of R replications (rows) for one plan. Units in names."""

    replications: np.ndarray  # [R] replication numbers
    duration_min: np.ndarray  # [R, phases + restage phases], patient multipliers applied
    bleeding_ml_per_min: np.ndarray  # [R, phases + restage phases]
    induction_min: np.ndarray  # [R, MAX_STAGES]
    emergence_min: np.ndarray  # [R, MAX_STAGES]
    turnover_min: np.ndarray  # [R, MAX_STAGES]
    event_counts: np.ndarray  # [R, slots] int
    repair_min: np.ndarray  # [R, slots] total repair time of the slot's events
    event_loss_ml: np.ndarray  # [R, slots] total blood loss of the slot's events
    delivery_delay_min: np.ndarray  # [R, DELAY_SLOTS]
    interval_days: np.ndarray  # [R, MAX_STAGES - 1]
    complication_u: np.ndarray  # [R, complication types] uniforms
    recovery_z: np.ndarray  # [R] latent recovery score (shared by ICU and ward stay)
    stay_z: np.ndarray  # [R, 2 * MAX_STAGES + 1]: ICU admission, ICU days per stage, ward days


def _mix(latent: np.ndarray, own: np.ndarray, rho: float) -> np.ndarray:
    return np.sqrt(rho) * latent[:, None] + np.sqrt(1.0 - rho) * own


@dataclass(frozen=True)
class RawDraws:
    """Standard normals and uniforms of a block of replications, one array per stream.

    Sized for the largest plan in a run; a plan reads a prefix of each row, and a generator's
    first m draws are the same whether it is asked for m or more, so a plan's numbers do not
    depend on which other plans share the block.
    """

    replications: np.ndarray  # [R]
    latent: np.ndarray  # PATIENT: [R, 4] duration, bleeding, events, recovery factors
    duration_z: np.ndarray  # DURATION: [R, 3 * MAX_STAGES + phases]
    bleeding_z: np.ndarray  # BLEEDING: [R, phases]
    event_z: np.ndarray  # EVENTS: [R, 3 * slots] (count, repair, loss) per slot
    delay_z: np.ndarray  # BLOOD_BANK: [R, DELAY_SLOTS]
    interval_z: np.ndarray  # INTERSTAGE: [R, MAX_STAGES - 1]
    complication_u: np.ndarray  # COMPLICATIONS: [R, types]
    stay_z: np.ndarray  # STAY: [R, 2 * MAX_STAGES + 1]


def draw_raw(seed: int, replications, plans: list[Plan], point: int | None = None) -> RawDraws:
    """The raw draws of ``replications`` for every plan in ``plans`` (one scenario)."""
    reps = np.asarray(list(replications), dtype=np.int64)
    R = len(reps)
    n_ph = max(len(p.all_phases) for p in plans)
    n_sl = max(len(p.event_slots) for p in plans)
    n_cx = len(plans[0].scenario.parameters.complications.types)
    n_dur = 3 * MAX_STAGES + n_ph
    staged = any(p.max_stages > 1 for p in plans)
    latent = np.empty((R, len(_LATENT)))
    dur_z = np.empty((R, n_dur))
    bleed_z = np.empty((R, n_ph))
    event_z = np.empty((R, 3 * n_sl))
    delay_z = np.empty((R, DELAY_SLOTS))
    interval_z = np.zeros((R, MAX_STAGES - 1))
    comp_u = np.empty((R, n_cx))
    stay_z = np.empty((R, 2 * MAX_STAGES + 1))
    for i, r in enumerate(reps.tolist()):
        latent[i] = generator(seed, r, Stream.PATIENT, point).standard_normal(len(_LATENT))
        dur_z[i] = generator(seed, r, Stream.DURATION, point).standard_normal(n_dur)
        bleed_z[i] = generator(seed, r, Stream.BLEEDING, point).standard_normal(n_ph)
        event_z[i] = generator(seed, r, Stream.EVENTS, point).standard_normal(3 * n_sl)
        delay_z[i] = generator(seed, r, Stream.BLOOD_BANK, point).standard_normal(DELAY_SLOTS)
        if staged:
            interval_z[i] = generator(seed, r, Stream.INTERSTAGE, point).standard_normal(MAX_STAGES - 1)
        comp_u[i] = generator(seed, r, Stream.COMPLICATIONS, point).random(n_cx)
        stay_z[i] = generator(seed, r, Stream.STAY, point).standard_normal(2 * MAX_STAGES + 1)
    return RawDraws(reps, latent, dur_z, bleed_z, event_z, delay_z, interval_z, comp_u, stay_z)


def transform(plan: Plan, raw: RawDraws) -> Draws:
    """The plan's random inputs: raw draws mapped through its distributions and multipliers."""
    R = len(raw.replications)
    params = plan.scenario.parameters
    all_phases, slots = plan.all_phases, plan.event_slots
    n_ph, n_sl = len(all_phases), len(slots)
    rho = {k: getattr(params.latent, k).value for k in _LATENT}
    an = params.anaesthesia
    dur_z = raw.duration_z
    phase_x = _mix(raw.latent[:, 0], dur_z[:, 3 * MAX_STAGES : 3 * MAX_STAGES + n_ph], rho["duration"])
    bleed_x = _mix(raw.latent[:, 1], raw.bleeding_z[:, :n_ph], rho["bleeding"])
    duration = np.empty((R, n_ph))
    bleeding = np.empty((R, n_ph))
    for j, p in enumerate(all_phases):
        duration[:, j] = p.phase.duration_min.ppf_normal(phase_x[:, j]) * p.duration_multiplier
        bleeding[:, j] = p.phase.bleeding_ml_per_min.ppf_normal(bleed_x[:, j]) * p.bleeding_multiplier

    ez = raw.event_z[:, : 3 * n_sl].reshape(R, n_sl, 3)
    counts = np.zeros((R, n_sl), dtype=np.int64)
    repair = np.zeros((R, n_sl))
    loss = np.zeros((R, n_sl))
    if n_sl:
        rates = np.array([rate for _, _, rate in slots])
        u = special.ndtr(_mix(raw.latent[:, 2], ez[:, :, 0], rho["events"]))
        counts = stats.poisson.ppf(u, rates[None, :]).astype(np.int64)
        for s, (_, e, _) in enumerate(slots):
            etype = params.events[plan.event_names[e]]
            repair[:, s] = etype.repair_min.ppf_normal(ez[:, s, 1]) * counts[:, s]
            loss[:, s] = etype.blood_loss_ml.ppf_normal(ez[:, s, 2]) * counts[:, s]

    return Draws(
        replications=raw.replications,
        duration_min=duration,
        bleeding_ml_per_min=bleeding,
        induction_min=an.induction_min.ppf_normal(dur_z[:, 0:MAX_STAGES]),
        emergence_min=an.emergence_min.ppf_normal(dur_z[:, MAX_STAGES : 2 * MAX_STAGES]),
        turnover_min=an.turnover_min.ppf_normal(dur_z[:, 2 * MAX_STAGES : 3 * MAX_STAGES]),
        event_counts=counts,
        repair_min=repair,
        event_loss_ml=loss,
        delivery_delay_min=params.transfusion.delivery_delay_min.ppf_normal(raw.delay_z),
        interval_days=plan.interval_days.ppf_normal(raw.interval_z),
        complication_u=raw.complication_u,
        recovery_z=raw.latent[:, 3],
        stay_z=raw.stay_z,
    )


def draw(plan: Plan, seed: int, replications, point: int | None = None) -> Draws:
    """All random inputs of ``replications`` of one plan."""
    return transform(plan, draw_raw(seed, replications, [plan], point))
