"""Statistical tests: what the simulated records show matches the distributions the files specify.

Each test runs a few thousand replications at a fixed seed and compares with the specified
distribution through a stated tolerance or a goodness-of-fit test at a stated level, so the
result is deterministic and would fail if the model drew the wrong distribution.
"""

import math

import numpy as np
import pytest
from helpers import (
    SEED,
    fix_anaesthesia,
    fix_phases,
    fixed,
    one_phase_strategy,
    set_transfusion,
    variant,
)
from scipy import special, stats

import simulation

N = 4000


def lognormal(median, p95):
    return {"dist": "lognormal", "median": median, "p95": p95, "assumption": "Test."}


def one_phase(adult_scenario, duration, events=(), scales_with=(), **patient):
    def edit(d):
        d["patient"].update(patient)
        d["strategies"] = [one_phase_strategy("one", duration, fixed(1.0), events, scales_with)]
        fix_anaesthesia(d)

    return variant(adult_scenario, edit)


def test_phase_duration_has_the_specified_median_and_p95(adult_scenario):
    """Operative time of a one-phase plan is the phase duration: median within 3%, p95 within 8%.

    With N = 4000 and sigma = ln(300/120)/1.645 = 0.56, the standard error of the sample median is
    about 1.1% and of the sample p95 about 2.7%. The log durations must also pass a KS test
    against the specified normal (p > 0.01).
    """
    sc = one_phase(adult_scenario, lognormal(120, 300))
    op = simulation.run(sc, N, SEED).records.operative_time_min.to_numpy()
    assert np.median(op) == pytest.approx(120, rel=0.03)
    assert np.quantile(op, 0.95) == pytest.approx(300, rel=0.08)
    sigma = (math.log(300) - math.log(120)) / stats.norm.ppf(0.95)
    assert stats.kstest(np.log(op), stats.norm(math.log(120), sigma).cdf).pvalue > 0.01


def test_patient_multiplier_scales_the_whole_distribution(adult_scenario):
    """A revision, L2-L4 patient on a phase scaling with revision and levels: x 1.25 x 1.2^2 = 1.8."""
    sc = one_phase(adult_scenario, lognormal(120, 300), scales_with=["revision", "levels"], revision=True, levels="L2-L4")
    op = simulation.run(sc, N, SEED).records.operative_time_min.to_numpy()
    assert np.median(op) == pytest.approx(120 * 1.8, rel=0.03)
    assert np.quantile(op, 0.95) == pytest.approx(300 * 1.8, rel=0.08)


def with_odds(p, odds_ratio):
    odds = odds_ratio * p / (1 - p)
    return odds / (1 + odds)


EVENT_PATIENT = dict(revision=True, scar_severity="heavy", great_vessel_adhesion=True)
# P(at least one) per phase, by hand: durotomy 60/300 with revision OR 2.28 and heavy-scar OR 2.0;
# vascular injury p 0.05 with heavy-scar OR 1.5 and vessel-adhesion OR 2.0 (parameters.yaml).
EVENT_P = {"durotomy": with_odds(60 / 300, 2.28 * 2.0), "vascular_injury": with_odds(0.05, 1.5 * 2.0)}


@pytest.fixture(scope="module")
def event_records(adult_scenario):
    sc = one_phase(
        adult_scenario, fixed(60),
        events=[("durotomy", {"events": 60, "n": 300, "assumption": "Test."}), ("vascular_injury", {"p": 0.05, "assumption": "Test."})],
        scales_with=["revision", "scar", "vessel_adhesion"], **EVENT_PATIENT,
    )
    return simulation.run(sc, N, SEED).records


@pytest.mark.parametrize("event", list(EVENT_P))
def test_event_counts_are_poisson_with_the_implied_mean(event_records, event):
    """Counts ~ Poisson(-ln(1 - p)), p the per-phase probability with odds ratios applied by hand.

    Checks: P(at least one) within 4 binomial SE of p; mean count within 4 Poisson SE of
    -ln(1 - p); chi-square goodness of fit over 0, 1, 2, 3+ with p > 0.001.
    """
    p = EVENT_P[event]
    lam = -math.log1p(-p)
    k = event_records[f"event_{event}"].to_numpy()
    assert abs((k > 0).mean() - p) < 4 * math.sqrt(p * (1 - p) / N)
    assert abs(k.mean() - lam) < 4 * math.sqrt(lam / N)
    observed = np.array([(k == 0).sum(), (k == 1).sum(), (k == 2).sum(), (k >= 3).sum()])
    pmf = stats.poisson.pmf([0, 1, 2], lam)
    expected = N * np.append(pmf, 1 - pmf.sum())
    keep = expected >= 5
    observed, expected = observed[keep], expected[keep]
    expected *= observed.sum() / expected.sum()
    assert stats.chisquare(observed, expected).pvalue > 0.001


def test_event_repairs_add_their_time_to_the_phase(event_records):
    """A fixed 60-minute phase x 1.25 (revision) x 1.3 (heavy scar) x 1.5 (adhesion) = 146.25 min;
    operative time beyond that is the repair time of the events."""
    repair = event_records.operative_time_min - 60 * 1.25 * 1.3 * 1.5
    none = (event_records.event_durotomy == 0) & (event_records.event_vascular_injury == 0)
    assert np.allclose(repair[none], 0, atol=1e-9)
    assert (repair[~none] > 0).all()
    only_one_durotomy = (event_records.event_durotomy == 1) & (event_records.event_vascular_injury == 0)
    # durotomy repair is triangular(10, 20, 45): mean 25 min
    assert repair[only_one_durotomy].mean() == pytest.approx(25, rel=0.05)
    assert repair[only_one_durotomy].between(10, 45).all()


# --- complications: logistic model by hand ----------------------------------------------------------
def complication_scenario(seed_scenario):
    """Seed case, every duration fixed (so operative time is fixed), no bleeding, no events."""

    def edit(d):
        fix_phases(d, 30.0, 0.0, event_p=0.0)
        fix_anaesthesia(d)
        set_transfusion(d, units_in_theatre=2)

    return variant(seed_scenario, edit)


def hand_probabilities(stage_hours, prone_anaesthesia_hours, interval_days, staged, bilateral):
    """P per complication by hand for the seed case (child, revision with heavy scar: severity 1.5; L2-L4:
    more than two levels, cauda equina), a combined plan opening the chest, no bleeding, no events.

    Kanazawa baselines are centred on the cohort: minus ln(1.54) * 0.316 (levels) and, for the
    neurological deficit, ln(1.5) * 0.694 (cord). Child baselines (VTE, hardware, death) are not centred;
    the early types without one take the adult baseline times the child odds ratio 0.3 (``child``).
    """
    lo, ln = special.logit, math.log
    stage_ins = sum(max(0.0, h - 6.0) ** 2 for h in stage_hours)
    cum = sum(stage_hours) - 6.0
    levels = ln(1.54) * (1 - 0.316)
    time = stage_ins * ln(1.008) + cum * ln(1.03)
    child = ln(0.3)
    p = {
        "csf_leak": (lo(45 / 307) + child + levels + time, 0.2),
        "neurological": (lo(46 / 307) + child + levels - 0.694 * ln(1.5) + time + 1.5 * ln(1.46), 0.5),
        "wound_infection": (lo(23 / 307) + child + levels + stage_ins * ln(1.008) + cum * ln(1.05) + 1.5 * ln(2.06)
                            + ln(1.3) + staged * ln(1.17), 0.6),
        "dehiscence": (lo(16 / 307) + child + levels + time + 1.5 * ln(1.46) + ln(1.3), 0.3),
        "respiratory": (lo(52 / 307) + child + levels + time + ln(1.5) + bilateral * ln(1.5), 0.4),
        "vte": (lo(21 / 10000) + time + staged * ln(1.3), 0.5),  # child baseline
        "hardware_failure": (lo(6 / 22) + ln(1.54), 0.5),  # child baseline
        "visual_loss": (lo(255 / 2500000) + (prone_anaesthesia_hours - 6.0) * ln(1.25), 1.0),
    }
    out = {k: special.expit(v) for k, (v, _) in p.items()}
    out["respiratory"] = 1 - (1 - out["respiratory"]) * np.exp(-0.002 * interval_days)
    out["vte"] = 1 - (1 - out["vte"]) * np.exp(-0.003 * interval_days)
    return out, {k: f for k, (_, f) in p.items()}


@pytest.mark.parametrize("strategy, staged", [("single-stage-three-exposure", 0), ("two-stage-posterior-then-anterior", 1)])
def test_complication_frequencies_equal_the_logistic_model(seed_scenario, strategy, staged):
    """Frequency of each complication (any, and major) against the hand-computed probability, and death
    against its chains: 1 - (1 - p_other) * 0.99 ** (major early complications).

    Durations are fixed, so stage hours are fixed; the interval between stages is random, so the
    hand probability is computed per replication and the count compared with a Poisson-binomial
    normal approximation (4 SD), N = 4000 replications.
    """
    sc = complication_scenario(seed_scenario)
    res = simulation.run(sc, N, SEED, strategies=[strategy])
    rec, stages = res.records, res.stages
    assert rec.operative_time_min.nunique() == 1 and (rec.rbc_units == 0).all()
    by_stage = stages[stages.replication == 0]
    stage_hours = list(by_stage.operative_time_min / 60)
    assert max(stage_hours) > 7  # the per-stage insult matters here
    prone_h = by_stage.anaesthesia_time_min.iloc[0] / 60  # stage 1 is the prone one in both plans
    probs, fractions = hand_probabilities(stage_hours, prone_h, rec.interval_days.to_numpy(), staged, bilateral=1)
    for key, p in probs.items():
        p = np.broadcast_to(p, (N,))
        sev = rec[f"complication_{key}"].to_numpy()
        assert set(np.unique(sev)) <= {0, 1, 2}
        for observed, q in (((sev > 0).sum(), p), ((sev == 2).sum(), p * fractions[key])):
            assert abs(observed - q.sum()) <= 4 * math.sqrt((q * (1 - q)).sum()) + 1, (key, observed, q.sum())
    early = [k for k in probs if k != "hardware_failure"]
    major = np.column_stack([rec[f"complication_{k}"] == 2 for k in early]).sum(axis=1)
    assert (rec.major_complications == major).all()
    p_other = special.expit(special.logit(3 / 2005) + sum(max(0.0, h - 6.0) ** 2 for h in stage_hours) * math.log(1.008)
                            + (sum(stage_hours) - 6.0) * math.log(1.03))
    p_death = 1 - (1 - p_other) * 0.99**major
    assert np.allclose(rec.death_risk_other_causes + rec.death_risk_major_complication, 100 * p_death)
    assert (rec.death_risk_injury == 0).all()
    d = int(rec.death.sum())
    assert abs(d - p_death.sum()) <= 4 * math.sqrt((p_death * (1 - p_death)).sum()) + 1
    assert (rec.death == (rec.complication_death > 0)).all()
