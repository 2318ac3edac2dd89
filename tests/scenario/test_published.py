"""Distributions from published summaries (``simulation.published``) and their scenario-file forms.

Three kinds of check:

* worked examples: the divisors xi(n) and eta(n) against the values Wan et al. 2014 tabulate,
  Hozo et al. 2005 by hand arithmetic, and the distribution hints of
  ``../shared/evidence/evidence.md`` (each expected number says where it comes from);
* round trips at a fixed seed: fit -> sample 200,000 draws -> recover the summary within a
  stated tolerance (the Monte Carlo standard error is given where it matters);
* properties (Hypothesis, derandomised under the ``ci`` profile): the moment matches are exact.

Wan 2014 tables: Table 1 (xi(n), n <= 50) was read on the journal's page
(bmcmedresmethodol.biomedcentral.com/articles/10.1186/1471-2288-14-135/tables/1); Table 2
(eta, n = 4Q + 1 for Q <= 50) as transcribed in the R package ``meta`` (setting
``Wan2014.Table2``). Both are also recomputed here by numerical integration, so a mistyped
table value would fail.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import phases_of, variant
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter
from scipy import integrate, stats

from simulation import run
from simulation.evidence.register import describe
from simulation.scenario import published as pub
from simulation.scenario.distributions import BetaEvents, Distribution, Gamma, LogNormal
from simulation.scenario.errors import ScenarioError, validate
from simulation.scenario.loader import load_library
from simulation.scenario.procedure import Phase

DRAWS = 200_000
TAG = {"assumption": "Test fixture."}


@pytest.fixture(scope="module")
def z():
    """Standard-normal scores, drawn the way the model draws them (through ``ppf_normal``)."""
    return np.random.default_rng(20050420).standard_normal(DRAWS)


# --- worked examples: Wan 2014 divisors -----------------------------------------------------------
WAN_TABLE_1 = {2: 1.128, 5: 2.326, 10: 3.078, 20: 3.735, 30: 4.086, 50: 4.498}  # xi(n)
WAN_TABLE_2 = {5: 0.990, 9: 1.144, 21: 1.260, 41: 1.303, 101: 1.330, 201: 1.340}  # eta(n), n = 4Q + 1


def expected_range(n: int) -> float:
    """E[max - min] of n standard normals: the integral of 1 - Phi^n - (1 - Phi)^n."""
    return integrate.quad(lambda x: 1 - stats.norm.cdf(x) ** n - stats.norm.sf(x) ** n, -np.inf, np.inf)[0]


def expected_iqr(n: int) -> float:
    """E[X(3Q+1) - X(Q+1)] for n = 4Q + 1 standard normals (= 2 E[X(3Q+1)] by symmetry)."""
    q = (n - 1) // 4
    k = 3 * q + 1
    order_stat = stats.beta(k, n - k + 1)
    return 2 * integrate.quad(lambda x: x * order_stat.pdf(stats.norm.cdf(x)) * stats.norm.pdf(x), -12, 12, limit=200)[0]


@pytest.mark.parametrize("n, tabled", WAN_TABLE_1.items())
def test_wan_table_1_is_the_expected_range(n, tabled):
    """The tabled xi(n) is the exact expected range, rounded to 3 decimals."""
    assert expected_range(n) == pytest.approx(tabled, abs=5e-4)


@pytest.mark.parametrize("n, tabled", WAN_TABLE_2.items())
def test_wan_table_2_is_the_expected_iqr(n, tabled):
    """The tabled eta is the exact expected IQR of n = 4Q + 1 normals, rounded to 3 decimals."""
    assert expected_iqr(n) == pytest.approx(tabled, abs=5e-4)


@pytest.mark.parametrize("n, tabled, tolerance", [
    (20, 3.735, 5e-4), (50, 4.498, 3e-3),  # the two values the evidence file quotes
    (10, 3.078, 5e-3), (30, 4.086, 2e-3),
    (5, 2.326, 1.5e-2), (2, 1.128, 4.6e-2),  # Blom's closed form is coarse for tiny series
])
def test_wan_xi_closed_form_against_table_1(n, tabled, tolerance):
    """xi(n) = 2 Phi^-1((n - 0.375)/(n + 0.25)); relative error as stated in its docstring."""
    assert pub.wan_xi(n) == pytest.approx(tabled, rel=tolerance)


@pytest.mark.parametrize("n, tabled", WAN_TABLE_2.items())
def test_wan_eta_closed_form_against_table_2(n, tabled):
    """eta(n) = 2 Phi^-1((0.75 n - 0.125)/(n + 0.25)) is within 0.5% of Wan's Table 2."""
    assert pub.wan_eta(n) == pytest.approx(tabled, rel=5e-3)


def test_eta_without_n_is_the_large_n_limit():
    """2 Phi^-1(0.75) = 1.349, the IQR of a standard normal (the textbook SD = IQR / 1.35)."""
    assert pub.IQR_LARGE_N == pytest.approx(1.34898, abs=1e-5)
    assert pub.wan_eta(10**7) == pytest.approx(pub.IQR_LARGE_N, rel=1e-6)
    assert pub.wan_mean_sd_from_iqr(10, 15, 23).sd == pytest.approx(13 / 1.34898, rel=1e-5)


# --- worked examples: Hozo 2005 and Wan 2014 mean/SD estimates ----------------------------------------
def test_hozo_is_exact_for_a_sample_of_three():
    """With n = 3 the sample is {min, median, max}: {2, 5, 11} has mean 6 and SD sqrt(21)."""
    est = pub.hozo_mean_sd(median=5, minimum=2, maximum=11, n=3)
    assert est.mean == pytest.approx(6.0, rel=1e-12)
    assert est.sd == pytest.approx(math.sqrt(21), rel=1e-12)  # ((6-2)^2 + (6-5)^2 + (11-6)^2) / 2 = 21


def test_hozo_by_hand():
    """median 8, range 5-12, n = 10, by hand:
    mean = (5 + 16 + 12)/4 + (5 - 16 + 12)/40 = 8.25 + 0.025 = 8.275;
    variance = [25 + 64 + 144 + (7/2)(13^2 + 20^2)/4 - 10 * 8.275^2] / 9
             = [233 + 497.875 - 684.75625] / 9 = 5.1243055..., SD = 2.263693.
    """
    est = pub.hozo_mean_sd(median=8, minimum=5, maximum=12, n=10)
    assert est.mean == pytest.approx(8.275, rel=1e-12)
    assert est.sd == pytest.approx(math.sqrt(46.11875 / 9), rel=1e-12)


def test_wan_range_and_iqr_estimates_by_hand():
    """Wan C1: mean = (min + 2 median + max)/4, SD = range / xi(n); C3: mean = (q1 + m + q3)/3, SD = IQR / eta(n).

    The paraspinal TES series (evidence file, N = 5): 464 min (420-510) -> mean 464.5,
    SD = 90 / 2.3595 = 38.14 min (Table 1's exact 2.326 would give 38.69).
    """
    c1 = pub.wan_mean_sd_from_range(median=464, minimum=420, maximum=510, n=5)
    assert c1.mean == pytest.approx(464.5, rel=1e-12)
    assert c1.sd == pytest.approx(90 / pub.wan_xi(5), rel=1e-12)
    assert c1.sd == pytest.approx(38.14, abs=0.01)
    # TES blood loss, J Orthop Surg Res 2025 (evidence file): 1150 mL (1000-1800), N = 22, quartiles assumed
    c3 = pub.wan_mean_sd_from_iqr(q1=1000, median=1150, q3=1800, n=22)
    assert c3.mean == pytest.approx(3950 / 3, rel=1e-12)
    assert c3.sd == pytest.approx(800 / pub.wan_eta(22), rel=1e-12)


# --- worked examples: the evidence file's distribution hints ------------------------------------------
@pytest.mark.parametrize("median, lo, hi, n, sigma", [
    (464, 420, 510, 5, 0.08),  # paraspinal TES, operative time, min: sigma ~ 0.08
    (1280, 1000, 1500, 5, 0.17),  # same series, blood loss, mL: sigma ~ 0.17
    (3570, 941, 6413, 7, 0.70),  # lower-lumbar posterior-then-anterior TES, mL: sigma ~ 0.70
])
def test_evidence_file_range_hints(median, lo, hi, n, sigma):
    """The evidence file's lognormal hints (rounded to 2 decimals) are Wan on the log scale."""
    fit = pub.lognormal_from_range(median, lo, hi, n)
    assert fit.sigma == pytest.approx(sigma, abs=0.005)
    assert fit.median == pytest.approx(median, rel=1e-12)


def test_evidence_file_mean_hint_for_the_lower_lumbar_series():
    """'mean 3570 (941-6413), mu ~ 7.93': the evidence file puts the reported mean at the
    lognormal mean, mu = ln(mean) - sigma^2 / 2, with sigma from the range (N = 7)."""
    sigma = pub.lognormal_from_range(3570, 941, 6413, 7).sigma
    assert math.log(3570) - sigma**2 / 2 == pytest.approx(7.93, abs=0.005)


@pytest.mark.parametrize("ratio, lo, hi, sigma", [
    (2.28, 1.84, 2.83, 0.11),  # revision -> dural tear, OR (Alshameeri 2021): sigma ~ 0.11
    (2.06, 1.39, 3.06, 0.20),  # previous surgery -> SSI, RR (Zhang 2018): sigma ~ 0.20
])
def test_evidence_file_ratio_hints(ratio, lo, hi, sigma):
    fit = pub.lognormal_from_ratio_ci(ratio, lo, hi)
    assert fit.sigma == pytest.approx(sigma, abs=0.005)
    assert fit.sigma == pytest.approx((math.log(hi) - math.log(lo)) / 3.92, rel=1e-4)  # the file's /3.92
    assert fit.median == pytest.approx(ratio, rel=1e-12)


@pytest.mark.parametrize("k, n, a, b", [
    (60, 307, 61, 248),  # bleeding > 2000 mL in TES (Kanazawa 2021): Beta(61, 248)
    (16, 35, 17, 20),  # complications after revision (Boriani 2010): Beta(17, 20)
    (31, 99, 32, 69),  # complications, untreated (Boriani 2010): Beta(32, 69)
])
def test_evidence_file_beta_hints(k, n, a, b):
    assert pub.beta_from_events(k, n).args == (a, b)


def test_mean_sd_fits_for_the_changzheng_series():
    """1771 +/- 1387 mL (Front Surg 2023, evidence file). Gamma: shape = (1771/1387)^2 = 1.6303,
    scale = 1387^2/1771 = 1086.26 mL. Lognormal: sigma^2 = ln(1 + (1387/1771)^2) = 0.4783."""
    g = pub.gamma_from_mean_sd(1771, 1387)
    assert (g.shape, g.scale) == (pytest.approx(1.6303, abs=1e-4), pytest.approx(1086.26, abs=0.01))
    ln = pub.lognormal_from_mean_sd(1771, 1387)
    assert ln.sigma**2 == pytest.approx(0.4783, abs=1e-4)


# --- round trips: fit -> 200,000 draws -> the summary back ----------------------------------------------
def test_range_round_trip(z):
    """Median 100, range 40-250 (symmetric on the log scale), n = 20. Drawn as 10,000 series of
    20: the mean log range of a series recovers ln(250/40) = xi(n) sigma (SE about 0.2%; the
    closed form is 0.04% off the exact expected range at n = 20) and the sample median recovers
    100 within 1% (SE about 0.2%)."""
    fit = pub.lognormal_from_range(100, 40, 250, 20)
    x = fit.frozen().ppf(stats.norm.cdf(z))
    assert np.median(x) == pytest.approx(100, rel=0.01)
    series = np.log(x).reshape(-1, 20)
    assert np.mean(series.max(axis=1) - series.min(axis=1)) == pytest.approx(math.log(250 / 40), rel=0.01)


def test_iqr_round_trip_without_n(z):
    """Quartiles 1000 and 1800 about a median of 1341.6 (their geometric mean): the sample
    quartiles of 200,000 draws recover them within 1% (SE about 0.3%)."""
    median = math.sqrt(1000 * 1800)
    x = LogNormal(dist="lognormal", q1=1000, median=median, q3=1800, **TAG).ppf_normal(z)
    q1, m, q3 = np.quantile(x, [0.25, 0.5, 0.75])
    assert (q1, m, q3) == (pytest.approx(1000, rel=0.01), pytest.approx(median, rel=0.01), pytest.approx(1800, rel=0.01))


def test_iqr_round_trip_with_n(z):
    """n = 41 = 4Q + 1, so a series' sample quartiles are order statistics 11 and 31: the mean
    log IQR of 4,878 series of 41 recovers ln(q3/q1) within 2% (SE about 0.6%; the closed form
    eta(41) is 0.1% off the exact expected IQR)."""
    fit = pub.lognormal_from_iqr(20, 30, 45, n=41)
    draws = np.log(fit.frozen().ppf(stats.norm.cdf(z[: DRAWS // 41 * 41]))).reshape(-1, 41)
    q1, q3 = np.quantile(draws, [0.25, 0.75], axis=1)
    assert np.mean(q3 - q1) == pytest.approx(math.log(45 / 20), rel=0.02)


@pytest.mark.parametrize("fit", [pub.lognormal_from_mean_sd(1771, 1387), pub.gamma_from_mean_sd(1771, 1387)],
                         ids=["lognormal", "gamma"])
def test_mean_sd_round_trip(fit, z):
    """Mean within 1% (SE about 0.2%) and SD within 3% (SE about 0.5% for the lognormal's tail)."""
    x = fit.frozen().ppf(stats.norm.cdf(z))
    assert x.mean() == pytest.approx(1771, rel=0.01)
    assert x.std(ddof=1) == pytest.approx(1387, rel=0.03)


def test_beta_round_trip(z):
    """60/307: the draws' mean recovers (k + 1)/(N + 2) = 61/309 within 0.5% (SE about 0.1%),
    and the posterior mode (a - 1)/(a + b - 2) is the observed 60/307 exactly."""
    x = BetaEvents(dist="beta", events=60, n=307, **TAG).ppf_normal(z)
    assert x.mean() == pytest.approx(61 / 309, rel=0.005)
    a, b = pub.beta_from_events(60, 307).args
    assert (a - 1) / (a + b - 2) == pytest.approx(60 / 307, rel=1e-12)


def test_ratio_round_trip(z):
    """OR 2.28 (1.84-2.83): the 2.5th and 97.5th percentiles of 200,000 draws recover the CI
    within 1% (the CI is symmetric on the log scale to 0.1%)."""
    fit = pub.lognormal_from_ratio_ci(2.28, 1.84, 2.83)
    x = fit.frozen().ppf(stats.norm.cdf(z))
    lo, mid, hi = np.quantile(x, [0.025, 0.5, 0.975])
    assert (lo, mid, hi) == (pytest.approx(1.84, rel=0.01), pytest.approx(2.28, rel=0.01), pytest.approx(2.83, rel=0.01))


# --- properties -----------------------------------------------------------------------------------------
means = st.floats(1e-3, 1e6)
cvs = st.floats(0.01, 10)


@given(mean=means, cv=cvs)
def test_lognormal_moment_match_is_exact(mean, cv):
    fit = pub.lognormal_from_mean_sd(mean, mean * cv)
    assert fit.mean == pytest.approx(mean, rel=1e-9)
    assert fit.sd == pytest.approx(mean * cv, rel=1e-9)
    assert fit.frozen().std() == pytest.approx(mean * cv, rel=1e-7)


@given(mean=means, cv=cvs)
def test_gamma_moment_match_is_exact(mean, cv):
    fit = pub.gamma_from_mean_sd(mean, mean * cv)
    assert (fit.mean, fit.sd) == (pytest.approx(mean, rel=1e-12), pytest.approx(mean * cv, rel=1e-12))
    assert (fit.frozen().mean(), fit.frozen().std()) == (pytest.approx(mean, rel=1e-9), pytest.approx(mean * cv, rel=1e-9))


@given(median=st.floats(0.1, 1e5), down=st.floats(1.01, 20), up=st.floats(1.01, 20), n=st.integers(2, 10_000))
def test_range_fit_keeps_the_median_and_spans_xi_sigmas(median, down, up, n):
    fit = pub.lognormal_from_range(median, median / down, median * up, n)
    assert fit.median == pytest.approx(median, rel=1e-12)
    assert fit.sigma * pub.wan_xi(n) == pytest.approx(math.log(up * down), rel=1e-9)


@given(median=st.floats(0.1, 1e5), spread=st.floats(1.01, 20), n=st.none() | st.integers(2, 10_000))
def test_iqr_fit_puts_symmetric_quartiles_at_the_expected_order_statistics(median, spread, n):
    """Quartiles median/spread and median*spread: ln q3 - ln q1 = eta sigma, and without n the
    fitted distribution's own quartiles are the reported ones."""
    fit = pub.lognormal_from_iqr(median / spread, median, median * spread, n)
    eta = pub.IQR_LARGE_N if n is None else pub.wan_eta(n)
    assert fit.sigma * eta == pytest.approx(2 * math.log(spread), rel=1e-9)
    if n is None:
        assert fit.quantile(0.25) == pytest.approx(median / spread, rel=1e-9)
        assert fit.quantile(0.75) == pytest.approx(median * spread, rel=1e-9)


@given(k=st.floats(1e-3, 1e3), median=st.floats(0.05, 20), width=st.floats(1.01, 10))
def test_fits_keep_units(k, median, width):
    """Rescaling a summary (hours -> minutes) moves mu by ln k and leaves sigma and the gamma shape alone."""
    lo, hi = median / width, median * width
    pairs = [
        (pub.lognormal_from_range(median, lo, hi, 9), pub.lognormal_from_range(k * median, k * lo, k * hi, 9)),
        (pub.lognormal_from_iqr(lo, median, hi, 9), pub.lognormal_from_iqr(k * lo, k * median, k * hi, 9)),
        (pub.lognormal_from_mean_sd(median, lo), pub.lognormal_from_mean_sd(k * median, k * lo)),
    ]
    for fit, scaled in pairs:
        assert scaled.mu == pytest.approx(fit.mu + math.log(k), abs=1e-9)
        assert scaled.sigma == pytest.approx(fit.sigma, rel=1e-9)
    assert pub.gamma_from_mean_sd(k * median, k * lo).shape == pytest.approx(pub.gamma_from_mean_sd(median, lo).shape, rel=1e-9)


@given(ratio=st.floats(0.05, 20), down=st.floats(1.001, 10), up=st.floats(1.001, 10))
def test_ratio_ci_width_is_two_z975_sigmas(ratio, down, up):
    fit = pub.lognormal_from_ratio_ci(ratio, ratio / down, ratio * up)
    assert 2 * 1.959964 * fit.sigma == pytest.approx(math.log(up * down), rel=1e-6)


def test_divisors_grow_with_n():
    n = np.arange(2, 500)
    xi = np.array([pub.wan_xi(int(k)) for k in n])
    eta = np.array([pub.wan_eta(int(k)) for k in n])
    assert np.all(np.diff(xi) > 0) and np.all(np.diff(eta) > 0)
    assert np.all(eta < pub.IQR_LARGE_N)


@pytest.mark.parametrize("call, message", [
    (lambda: pub.lognormal_from_range(5, 10, 20, 9), "need min < max and min <= median <= max (got min 10, median 5, max 20)"),
    (lambda: pub.lognormal_from_range(15, 10, 20, 1), "n (the size of the series) must be at least 2 (got 1)"),
    (lambda: pub.lognormal_from_iqr(30, 25, 40), "need q1 < q3 and q1 <= median <= q3 (got q1 30, median 25, q3 40)"),
    (lambda: pub.lognormal_from_iqr(0, 25, 40), "q1 must be greater than 0 (got 0)"),
    (lambda: pub.lognormal_from_median_p95(30, 20), "p95 (20) must exceed median (30)"),
    (lambda: pub.gamma_from_mean_sd(10, 0), "sd must be greater than 0 (got 0)"),
    (lambda: pub.beta_from_events(8, 5), "events must be between 0 and n (5) (got 8)"),
    (lambda: pub.lognormal_from_ratio_ci(3.0, 1.2, 2.5), "need lower < upper and lower <= value <= upper (got 1.2, 3.0, 2.5)"),
])
def test_bad_summaries_say_what_is_wrong(call, message):
    with pytest.raises(ValueError) as info:
        call()
    assert str(info.value) == message


# --- the scenario-file forms ------------------------------------------------------------------------------
DIST = TypeAdapter(Distribution)


def test_lognormal_forms_use_the_published_helpers():
    """One implementation: every LogNormal form's (mu, sigma) is the helper's, bit for bit."""
    cases = [
        ({"median": 21, "p95": 38}, pub.lognormal_from_median_p95(21, 38)),
        ({"median": 464, "min": 420, "max": 510, "n": 5}, pub.lognormal_from_range(464, 420, 510, 5)),
        ({"median": 1150, "q1": 1000, "q3": 1800}, pub.lognormal_from_iqr(1000, 1150, 1800)),
        ({"median": 1150, "q1": 1000, "q3": 1800, "n": 22}, pub.lognormal_from_iqr(1000, 1150, 1800, 22)),
        ({"mean": 1771, "sd": 1387}, pub.lognormal_from_mean_sd(1771, 1387)),
    ]
    for form, fit in cases:
        d = DIST.validate_python({"dist": "lognormal", **form, **TAG})
        assert isinstance(d, LogNormal)
        assert d.mu_sigma == (fit.mu, fit.sigma)


def test_gamma_form_samples_the_moment_matched_gamma(z):
    d = DIST.validate_python({"dist": "gamma", "mean": 6.9, "sd": 2.5, **TAG})  # op time, h (Front Surg 2023)
    assert isinstance(d, Gamma)
    assert d.mean() == pytest.approx(6.9, rel=1e-12)
    assert d.frozen().std() == pytest.approx(2.5, rel=1e-12)
    x = d.ppf_normal(z)
    assert stats.kstest(x, stats.gamma(a=(6.9 / 2.5) ** 2, scale=2.5**2 / 6.9).cdf).pvalue > 0.01
    assert Gamma.model_validate(d.model_dump(by_alias=True)) == d  # 'mean' round-trips by alias


def phase_with(**distribution) -> dict:
    """The bundled posterior-exposure phase with its duration replaced."""
    return {"id": "posterior_exposure", **load_library()["posterior_exposure"], "duration_min": distribution}


FORMS = "lognormal needs exactly one of: median + p95; median + min + max + n; median + q1 + q3 (+ n); mean + sd"


@pytest.mark.parametrize("duration, field, message", [
    ({"dist": "lognormal", "median": 20, "q1": 25, "q3": 40},
     "duration_min", "need q1 < q3 and q1 <= median <= q3 (got q1 25.0, median 20.0, q3 40.0)"),
    ({"dist": "lognormal", "median": 20, "q1": 15},
     "duration_min", f"{FORMS} (got median, q1)"),
    ({"dist": "lognormal", "median": 20, "p95": 38, "q1": 15, "q3": 30},
     "duration_min", f"{FORMS} (got median, p95, q1, q3)"),
    ({"dist": "lognormal", "median": 20, "q1": 15, "q3": 30, "n": 1},
     "duration_min.n", "Input should be greater than or equal to 2"),
    ({"dist": "lognormal", "median": 20, "min": 25, "max": 40, "n": 9},
     "duration_min", "need min < max and min <= median <= max (got min 25.0, median 20.0, max 40.0)"),
    ({"dist": "gamma", "mean": 20},
     "duration_min.sd", "Field required"),
    ({"dist": "gamma", "mean": -20, "sd": 5},
     "duration_min.mean", "Input should be greater than 0"),
    ({"dist": "gamma", "mean": 20, "sd": 5, "shape": 2},
     "duration_min.shape", "unknown field 'shape'; allowed here: assumption, dist, inferred, mean, sd, source"),
])
def test_bad_forms_name_the_field_the_value_and_what_is_allowed(duration, field, message):
    with pytest.raises(ScenarioError) as info:
        validate(Phase, phase_with(**duration, **TAG), "phase.yaml")
    issue = info.value.issues[0]
    assert (issue.file, issue.path, issue.message) == ("phase.yaml", field, message)


def test_unknown_kind_lists_gamma():
    with pytest.raises(ScenarioError) as info:
        validate(Phase, phase_with(dist="weibull", shape=2, **TAG), "phase.yaml")
    assert info.value.issues[0].message == "missing or unknown 'dist'; allowed: fixed, lognormal, gamma, triangular, uniform, beta"


def test_new_forms_run_in_the_model(seed_scenario):
    """A scenario whose phase durations use the quartile and gamma forms validates and runs."""
    def edit(data):
        for i, ph in enumerate(phases_of(data)):
            ph["duration_min"] = ({"dist": "gamma", "mean": 30.0, "sd": 10.0, **TAG} if i % 2 else
                                  {"dist": "lognormal", "median": 30.0, "q1": 24.0, "q3": 38.0, "n": 20, **TAG})

    scenario = variant(seed_scenario, edit)
    records = run(scenario, replications=20, seed=7, strategies=["posterior-only"]).records
    assert len(records) == 20 and records.operative_time_min.gt(0).all()



@pytest.mark.parametrize("form, words", [
    ({"dist": "lognormal", "median": 1150, "q1": 1000, "q3": 1800, "n": 22}, "lognormal, median 1,150, quartiles 1,000–1,800 in 22"),
    ({"dist": "lognormal", "median": 1150, "q1": 1000, "q3": 1800}, "lognormal, median 1,150, quartiles 1,000–1,800"),
    ({"dist": "gamma", "mean": 1771, "sd": 1387}, "gamma, mean 1,771, SD 1,387"),
])
def test_evidence_register_describes_the_new_forms(form, words):
    assert describe(DIST.validate_python({**form, **TAG})) == words
