"""Draw every random number a block of replications needs, one stream per activity.

Each replication's numbers come only from ``generator(seed, replication, stream)``, so a
replication gives the same result whatever block, process or worker runs it. Within a
stream, draws that strategies share come first (fixed-size anaesthesia and stay slots, then
phases in plan order), so strategies with a common prefix see common random numbers.

Between-patient correlation: the first draw of the DURATION, BLEEDING, EVENTS, COMPLICATIONS
and STAY streams is a latent patient factor, and each item's standard-normal score is
``sqrt(rho) * z_patient + sqrt(1 - rho) * z_item`` (``parameters.latent``), so a patient who is
slow, bleeds or has a complication in one respect tends to in the others, and every marginal
stays as specified.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special

from ..scenario.procedure import MAX_EVENT_PROBABILITY, MAX_STAGES
from .plan import Plan
from .streams import Stream, block
from .uncertainty import PlanEffects, Uncertainty

DELAY_SLOTS = 32  # blood bank delays drawn per replication; later orders reuse them in turn
ONCOLOGY_DRAWS = 3  # margin judgement quantile, margin outcome, days to wound healing


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
    complication_u: np.ndarray  # [R, complication types] uniforms, mixed with the latent frailty
    stay_z: np.ndarray  # [R, 2 * MAX_STAGES + 1] own scores: ICU admission, ICU days per stage, ward days
    stay_x: np.ndarray  # the same mixed with the latent recovery factor (used for days)
    alert: np.ndarray  # [R, phases + restage phases] bool: an intra-operative alert in the phase
    salvage_recovery: np.ndarray  # [R] share of shed red cells cell salvage returns (0 when off)
    postop_loss_fraction: np.ndarray  # [R, MAX_STAGES] drain + hidden loss / the stage's intra-operative loss
    ebl_ratio: np.ndarray  # [R, MAX_STAGES] recorded / true intra-operative loss
    complication_shift: np.ndarray  # [R, complication types] logit shift: calibrated parameters and centre effect
    oncology_z: np.ndarray  # [R, ONCOLOGY_DRAWS] standard normals: margin judgement quantile, margin outcome, healing

    def as_lists(self, *names: str) -> list[list]:
        """The named [R, ...] arrays as nested Python lists, one conversion per block (the SimPy model
        reads single values, which is faster from lists than from arrays)."""
        return [getattr(self, name).tolist() for name in names]


def poisson_quantile(u: np.ndarray, means: np.ndarray) -> np.ndarray:
    """Poisson counts at probabilities ``u`` [R, k] for ``means`` [k]: the smallest count c with
    P(C <= c) >= u, as ``scipy.stats.poisson.ppf`` defines it, found by binary search in each
    mean's cumulative table (run to where it reaches 1.0) instead of scipy's iterative inverse."""
    counts = np.empty(u.shape, dtype=np.int64)
    for s, mean in enumerate(np.asarray(means, dtype=float).tolist()):
        cdf = special.pdtr(np.arange(math.ceil(mean + 40 * math.sqrt(mean) + 40)), mean)
        counts[:, s] = np.searchsorted(cdf, u[:, s], side="left")
    return counts


def poisson_quantile_rows(u: np.ndarray, means: np.ndarray) -> np.ndarray:
    """``poisson_quantile`` with a mean per replication and slot (``means`` [R, k]): counts up
    from 0 while the cumulative probability is below ``u``."""
    counts = np.zeros(u.shape, dtype=np.int64)
    below = special.pdtr(0, means) < u
    while below.any():
        counts += below
        below &= special.pdtr(counts, means) < u
    return counts


def _mix(latent: np.ndarray, own: np.ndarray, rho: float) -> np.ndarray:
    return np.sqrt(rho) * latent[:, None] + np.sqrt(1.0 - rho) * own


@dataclass(frozen=True)
class RawDraws:
    """Standard normals of a block of replications, one array per stream.

    Column 0 of the DURATION, BLEEDING, EVENTS, COMPLICATIONS and STAY arrays is the stream's
    latent patient factor. Arrays are sized for the largest plan in a run; a plan reads a prefix of each row,
    and a generator's first m draws are the same whether it is asked for m or more, so a plan's
    numbers do not depend on which other plans share the block.
    """

    replications: np.ndarray  # [R]
    duration_z: np.ndarray  # DURATION: [R, 1 + 3 * MAX_STAGES + phases]
    bleeding_z: np.ndarray  # BLEEDING: [R, 1 + phases]
    event_z: np.ndarray  # EVENTS: [R, 1 + 3 * slots], (count, repair, loss) per slot
    delay_z: np.ndarray  # BLOOD_BANK: [R, DELAY_SLOTS]
    interval_z: np.ndarray  # INTERSTAGE: [R, MAX_STAGES - 1]
    complication_z: np.ndarray  # COMPLICATIONS: [R, 1 + types]
    stay_z: np.ndarray  # STAY: [R, 1 + 2 * MAX_STAGES + 1]
    alert_z: np.ndarray  # ALERTS: [R, phases]
    blood_z: np.ndarray  # PERIOPERATIVE_BLOOD: [R, 1 + 2 * MAX_STAGES]
    oncology_z: np.ndarray  # ONCOLOGY: [R, ONCOLOGY_DRAWS]
    uncertainty: Uncertainty | None = None
    parameters: np.ndarray | None = None  # [R, P] the replication's parameter row (PARAMETER_DRAW)
    centre: np.ndarray | None = None  # [R, 3] its centre effect (CENTRE)


_ANAESTHESIA = 1 + 3 * MAX_STAGES  # first phase column of duration_z


def draw_raw(
    seed: int, replications, plans: list[Plan], point: int | None = None, uncertainty: Uncertainty | None = None
) -> RawDraws:
    """The raw draws of ``replications`` for every plan in ``plans`` (one scenario), with each
    replication's parameter row and centre effect when ``uncertainty`` is given."""
    reps = np.asarray(list(replications), dtype=np.int64)
    R = len(reps)
    n_ph = max(len(p.all_phases) for p in plans)
    n_sl = max(len(p.event_slots) for p in plans)
    n_cx = len(plans[0].scenario.parameters.complications.types)
    staged = any(p.max_stages > 1 for p in plans)
    sizes = {
        Stream.DURATION: _ANAESTHESIA + n_ph,
        Stream.BLEEDING: 1 + n_ph,
        Stream.EVENTS: 1 + 3 * n_sl,
        Stream.BLOOD_BANK: DELAY_SLOTS,
        Stream.INTERSTAGE: MAX_STAGES - 1,
        Stream.STAY: 2 + 2 * MAX_STAGES,
        Stream.ALERTS: n_ph,
        Stream.PERIOPERATIVE_BLOOD: 1 + 2 * MAX_STAGES,
        Stream.ONCOLOGY: ONCOLOGY_DRAWS,
    }
    normals = {
        stream: block(seed, reps, stream, n, point) if staged or stream is not Stream.INTERSTAGE else np.zeros((R, n))
        for stream, n in sizes.items()
    }
    comp_z = block(seed, reps, Stream.COMPLICATIONS, 1 + n_cx, point)
    rows, centre = uncertainty.draw(seed, reps, point) if uncertainty is not None else (None, None)
    return RawDraws(
        reps, normals[Stream.DURATION], normals[Stream.BLEEDING], normals[Stream.EVENTS],
        normals[Stream.BLOOD_BANK], normals[Stream.INTERSTAGE], comp_z, normals[Stream.STAY],
        normals[Stream.ALERTS], normals[Stream.PERIOPERATIVE_BLOOD], normals[Stream.ONCOLOGY],
        uncertainty, rows, centre,
    )


def _factors(plan: Plan, raw: RawDraws) -> tuple[np.ndarray, ...]:
    """Per replication: duration and bleeding multipliers per phase column, logit shifts per event
    slot and per complication type (all 1 or 0 without uncertainty). The centre effect u is defined
    as the calibration defines it, on the operation's log time, log blood loss and complication
    logit: phases last exp(u_time) times as long, so bleeding rates take exp(u_bleeding - u_time)
    for blood loss (rate x time) to move by exp(u_bleeding); event repairs and losses scale likewise (``transform``)."""
    R, n_ph = len(raw.replications), len(plan.all_phases)
    n_cx = len(plan.scenario.parameters.complications.types)
    if raw.uncertainty is None:
        return np.ones((R, n_ph)), np.ones((R, n_ph)), np.zeros((R, len(plan.event_slots))), np.zeros((R, n_cx))
    fx = PlanEffects.of(plan, raw.uncertainty.effects, raw.parameters.shape[1])
    z, u = raw.parameters, raw.centre
    return (
        np.exp(z @ fx.duration + u[:, [0]]),
        np.exp(z @ fx.bleeding + u[:, [1]] - u[:, [0]]),  # the centre's bleeding effect is on blood loss (rate x time)
        z @ fx.slots,
        z @ fx.complications + u[:, [2]],
    )


def transform(plan: Plan, raw: RawDraws) -> Draws:
    """The plan's random inputs: raw draws mapped through its distributions and multipliers."""
    R = len(raw.replications)
    params = plan.scenario.parameters
    all_phases, slots = plan.all_phases, plan.event_slots
    n_ph, n_sl = len(all_phases), len(slots)
    latent = params.latent
    an = params.anaesthesia
    dur_z = raw.duration_z
    phase_x = _mix(dur_z[:, 0], dur_z[:, _ANAESTHESIA : _ANAESTHESIA + n_ph], latent.duration.value)
    bleed_x = _mix(raw.bleeding_z[:, 0], raw.bleeding_z[:, 1 : 1 + n_ph], latent.bleeding.value)
    duration, bleeding, slot_shift, complication_shift = _factors(plan, raw)
    centre_time, centre_loss = (np.exp(raw.centre[:, 0]), np.exp(raw.centre[:, 1])) if raw.centre is not None else (1.0, 1.0)
    for j, p in enumerate(all_phases):
        duration[:, j] *= p.phase.duration_min.ppf_normal(phase_x[:, j]) * p.duration_multiplier
        bleeding[:, j] *= p.phase.bleeding_ml_per_min.ppf_normal(bleed_x[:, j]) * p.bleeding_multiplier

    ez = raw.event_z[:, 1 : 1 + 3 * n_sl].reshape(R, n_sl, 3)
    counts = np.zeros((R, n_sl), dtype=np.int64)
    repair = np.zeros((R, n_sl))
    loss = np.zeros((R, n_sl))
    if n_sl:
        rates = np.array([rate for _, _, rate in slots])
        u = special.ndtr(_mix(raw.event_z[:, 0], ez[:, :, 0], latent.events.value))
        if slot_shift.any():  # shift P(at least one) = 1 - exp(-rate) on the logit, within the schema's cap
            p = np.minimum(special.expit(special.logit(-np.expm1(-rates)) + slot_shift), MAX_EVENT_PROBABILITY)
            counts = poisson_quantile_rows(u, -np.log1p(-p))
        else:
            counts = poisson_quantile(u, rates)
        for s, (_, e, _) in enumerate(slots):
            etype = params.events[plan.event_names[e]]
            repair[:, s] = etype.repair_min.ppf_normal(ez[:, s, 1]) * counts[:, s] * centre_time
            loss[:, s] = etype.blood_loss_ml.ppf_normal(ez[:, s, 2]) * counts[:, s] * centre_loss

    stay_x = _mix(raw.stay_z[:, 0], raw.stay_z[:, 1:], latent.recovery.value)
    tp = params.transfusion
    alert_p = np.array(plan.alert_probabilities)
    blood_z = raw.blood_z
    anaesthesia = dur_z[:, 1:_ANAESTHESIA].reshape(R, 3, MAX_STAGES)
    return Draws(
        replications=raw.replications,
        duration_min=duration,
        bleeding_ml_per_min=bleeding,
        induction_min=an.induction_min.ppf_normal(anaesthesia[:, 0]),
        emergence_min=an.emergence_min.ppf_normal(anaesthesia[:, 1]),
        turnover_min=an.turnover_min.ppf_normal(anaesthesia[:, 2]),
        event_counts=counts,
        repair_min=repair,
        event_loss_ml=loss,
        delivery_delay_min=params.transfusion.delivery_delay_min.ppf_normal(raw.delay_z),
        interval_days=plan.interval_days.ppf_normal(raw.interval_z),
        complication_u=special.ndtr(_mix(raw.complication_z[:, 0], raw.complication_z[:, 1:], latent.complications.value)),
        stay_z=raw.stay_z[:, 1:],
        stay_x=stay_x,
        alert=special.ndtr(raw.alert_z[:, :n_ph]) < alert_p[None, :],
        salvage_recovery=tp.cell_salvage.recovery.ppf_normal(blood_z[:, 0]) if plan.blood.salvage else np.zeros(R),
        postop_loss_fraction=tp.postop_loss_fraction.ppf_normal(blood_z[:, 1 : 1 + MAX_STAGES]),
        ebl_ratio=tp.ebl_ratio.ppf_normal(blood_z[:, 1 + MAX_STAGES : 1 + 2 * MAX_STAGES]),
        complication_shift=complication_shift,
        oncology_z=raw.oncology_z,
    )


def draw(plan: Plan, seed: int, replications, point: int | None = None, uncertainty: Uncertainty | None = None) -> Draws:
    """All random inputs of ``replications`` of one plan."""
    return transform(plan, draw_raw(seed, replications, [plan], point, uncertainty))
