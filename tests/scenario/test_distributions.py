"""Distribution specifications sample the distributions they say they are.

Samples are drawn the way the model draws them: standard-normal scores from a seeded generator,
mapped through ``ppf_normal``. Sample sizes and tolerances are stated per test; every check is
at a fixed seed, so it is deterministic.
"""

import math

import numpy as np
import pytest
from scipy import special, stats

from simulation.scenario.distributions import (
    BetaEvents,
    Fixed,
    LogNormal,
    Triangular,
    Uniform,
)

N = 20_000
TAG = {"assumption": "Test fixture."}


@pytest.fixture(scope="module")
def z():
    return np.random.default_rng(12345).standard_normal(N)


def quantile_rel_error(sample, q, expected):
    return abs(np.quantile(sample, q) / expected - 1)


# --- lognormal ---------------------------------------------------------------------------------
def test_lognormal_from_median_p95_hits_both_quantiles_exactly():
    d = LogNormal(dist="lognormal", median=120, p95=300, **TAG)
    mu, sigma = d.mu_sigma
    assert math.exp(mu) == pytest.approx(120, rel=1e-12)
    assert math.exp(mu + sigma * stats.norm.ppf(0.95)) == pytest.approx(300, rel=1e-12)
    assert d.frozen().ppf(0.5) == pytest.approx(120, rel=1e-9)
    assert d.frozen().ppf(0.95) == pytest.approx(300, rel=1e-9)


def test_lognormal_from_median_p95_samples(z):
    """Sample median within 2% and p95 within 5% of the specification (N = 20,000)."""
    x = LogNormal(dist="lognormal", median=21, p95=38, **TAG).ppf_normal(z)
    assert quantile_rel_error(x, 0.5, 21) < 0.02
    assert quantile_rel_error(x, 0.95, 38) < 0.05


@pytest.mark.parametrize("n, xi", [(20, 3.735), (50, 4.498)])
def test_wan_xi_matches_the_evidence_table(n, xi):
    """sigma = (ln max - ln min) / xi(n); the evidence file reads xi(20) = 3.735, xi(50) = 4.498.

    The tabled values are the exact expected range of n standard normals (numerical integration
    gives 3.73495 and 4.49815); the code uses Wan's closed form 2 Phi^-1((n - 0.375)/(n + 0.25)),
    which gives 3.73648 and 4.48666. Tolerance: 0.3% relative (the closed form's error at n = 50
    is 0.26%).
    """
    d = LogNormal(dist="lognormal", median=100, min=40, max=250, n=n, **TAG)
    mu, sigma = d.mu_sigma
    assert mu == pytest.approx(math.log(100), rel=1e-12)
    assert (math.log(250) - math.log(40)) / sigma == pytest.approx(xi, rel=3e-3)


def test_lognormal_from_range_samples(z):
    """Median within 2%; the expected range of 20 draws spans about xi(20) log-sigmas."""
    d = LogNormal(dist="lognormal", median=100, min=40, max=250, n=20, **TAG)
    x = d.ppf_normal(z)
    assert quantile_rel_error(x, 0.5, 100) < 0.02
    sigma_hat = np.std(np.log(x), ddof=1)
    assert sigma_hat == pytest.approx((math.log(250) - math.log(40)) / 3.735, rel=0.02)  # SE about 0.5%


def test_lognormal_from_mean_sd_matches_moments(z):
    d = LogNormal(dist="lognormal", mean=1771, sd=900, **TAG)
    assert d.frozen().mean() == pytest.approx(1771, rel=1e-9)
    assert d.frozen().std() == pytest.approx(900, rel=1e-9)
    x = d.ppf_normal(z)
    assert x.mean() == pytest.approx(1771, rel=0.02)  # SE about 0.36%
    assert x.std(ddof=1) == pytest.approx(900, rel=0.05)  # SE about 1.3% for this skew


def test_lognormal_accepts_mean_by_alias_and_dumps_it_back():
    d = LogNormal.model_validate({"dist": "lognormal", "mean": 10, "sd": 2, **TAG})
    assert d.model_dump(by_alias=True)["mean"] == 10
    assert LogNormal.model_validate(d.model_dump(by_alias=True)) == d


# --- triangular, uniform, beta, fixed -------------------------------------------------------------
def test_triangular_samples(z):
    lo, mode, hi = 30.0, 45.0, 75.0
    x = Triangular(dist="triangular", min=lo, mode=mode, max=hi, **TAG).ppf_normal(z)
    assert x.min() >= lo and x.max() <= hi
    assert x.mean() == pytest.approx((lo + mode + hi) / 3, rel=0.01)
    # the median of a triangular with mode below the midpoint: hi - sqrt((hi-lo)(hi-mode)/2)
    assert np.median(x) == pytest.approx(hi - math.sqrt((hi - lo) * (hi - mode) / 2), rel=0.01)
    assert stats.kstest(x, stats.triang(c=(mode - lo) / (hi - lo), loc=lo, scale=hi - lo).cdf).pvalue > 0.01


def test_uniform_samples(z):
    x = Uniform(dist="uniform", min=2.0, max=10.0, **TAG).ppf_normal(z)
    assert x.min() >= 2 and x.max() <= 10
    assert x.mean() == pytest.approx(6.0, rel=0.01)
    assert np.quantile(x, 0.25) == pytest.approx(4.0, rel=0.02)
    assert stats.kstest(x, stats.uniform(loc=2, scale=8).cdf).pvalue > 0.01


@pytest.mark.parametrize("k, n", [(45, 307), (0, 20), (14, 304)])
def test_beta_from_events_is_beta_k_plus_1_n_minus_k_plus_1(k, n, z):
    d = BetaEvents(dist="beta", events=k, n=n, **TAG)
    a, b = k + 1, n - k + 1
    assert d.mean() == pytest.approx(a / (a + b), rel=1e-12)
    assert d.frozen().var() == pytest.approx(a * b / ((a + b) ** 2 * (a + b + 1)), rel=1e-9)
    x = d.ppf_normal(z)
    assert np.all((x > 0) & (x < 1))
    assert stats.kstest(x, stats.beta(a, b).cdf).pvalue > 0.01


def test_fixed_is_degenerate(z):
    d = Fixed(dist="fixed", value=42.5, **TAG)
    x = d.ppf_normal(z.reshape(200, 100))
    assert x.shape == (200, 100)
    assert np.all(x == 42.5)
    assert d.mean() == 42.5


# --- ppf_normal is the quantile at Phi(z) -----------------------------------------------------------
SPECS = [
    LogNormal(dist="lognormal", median=21, p95=38, **TAG),
    LogNormal(dist="lognormal", median=100, min=40, max=250, n=50, **TAG),
    LogNormal(dist="lognormal", mean=1771, sd=900, **TAG),
    Triangular(dist="triangular", min=2, mode=7, max=10, **TAG),
    Triangular(dist="triangular", min=0, mode=0, max=5, **TAG),
    Uniform(dist="uniform", min=0, max=3, **TAG),
    BetaEvents(dist="beta", events=3, n=43, **TAG),
]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: f"{s.dist}")
def test_ppf_normal_matches_scipy_ppf_of_phi(spec):
    z = np.linspace(-4, 4, 161)
    expected = spec.frozen().ppf(stats.norm.cdf(z))
    np.testing.assert_allclose(spec.ppf_normal(z), expected, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(spec.ppf_normal(z), spec.frozen().ppf(special.ndtr(z)), rtol=1e-9, atol=1e-12)
