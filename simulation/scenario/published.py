"""Distributions from what papers report: published summaries -> distribution parameters.

Pure functions with no state. Each names its method and reference; results keep the units of the
inputs (minutes in, minutes out). A bad input raises ``ValueError`` naming the argument as it is
written in a scenario file (``min``, ``median``, ``q1`` ...), its value and what is allowed.

* median + range (+ n): ``hozo_mean_sd``, ``wan_mean_sd_from_range``, ``lognormal_from_range``;
* median + interquartile range (+ n): ``wan_mean_sd_from_iqr``, ``lognormal_from_iqr``;
* median + 95th percentile: ``lognormal_from_median_p95``;
* mean + SD: ``lognormal_from_mean_sd``, ``gamma_from_mean_sd`` (moments matched);
* events out of N: ``beta_from_events``;
* a ratio (odds, risk or hazard ratio) with its 95% confidence interval: ``lognormal_from_ratio_ci``.

The lognormal forms apply the normal-data rules on the log scale (the log of a lognormal is
normal), which is how the evidence file's distribution hints were worked out.

References

* Hozo SP, Djulbegovic B, Hozo I. Estimating the mean and variance from the median, range, and the
  size of a sample. BMC Med Res Methodol 2005;5:13. doi:10.1186/1471-2288-5-13
* Wan X, Wang W, Liu J, Tong T. Estimating the sample mean and standard deviation from the sample
  size, median, range and/or interquartile range. BMC Med Res Methodol 2014;14:135.
  doi:10.1186/1471-2288-14-135
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats

Z95 = stats.norm.ppf(0.95)  # standard-normal 95th percentile, 1.6449
Z975 = stats.norm.ppf(0.975)  # half-width of a 95% interval in SDs, 1.959964
IQR_LARGE_N = 2 * stats.norm.ppf(0.75)  # expected IQR of a standard normal, 1.349 (the n -> infinity limit of eta(n))


@dataclass(frozen=True)
class MeanSD:
    """An estimated sample mean and standard deviation, in the units of the summary."""

    mean: float
    sd: float


@dataclass(frozen=True)
class LogNormalFit:
    """A lognormal: ``ln X ~ Normal(mu, sigma)``; ``exp(mu)`` is the median, in the data's units."""

    mu: float
    sigma: float

    @property
    def median(self) -> float:
        return math.exp(self.mu)

    @property
    def mean(self) -> float:
        return math.exp(self.mu + self.sigma**2 / 2)

    @property
    def sd(self) -> float:
        return self.mean * math.sqrt(math.expm1(self.sigma**2))

    def quantile(self, p: float) -> float:
        return math.exp(self.mu + self.sigma * stats.norm.ppf(p))

    def frozen(self):
        """The equivalent ``scipy.stats.lognorm``."""
        return stats.lognorm(s=self.sigma, scale=math.exp(self.mu))


@dataclass(frozen=True)
class GammaFit:
    """A gamma with ``shape`` k and ``scale`` theta (in the data's units): mean k theta, variance k theta^2."""

    shape: float
    scale: float

    @property
    def mean(self) -> float:
        return self.shape * self.scale

    @property
    def sd(self) -> float:
        return math.sqrt(self.shape) * self.scale

    def frozen(self):
        """The equivalent ``scipy.stats.gamma``."""
        return stats.gamma(a=self.shape, scale=self.scale)


# --- checks (messages name the fields as written in a scenario file) ------------------------------
def _positive(**values: float) -> None:
    for name, v in values.items():
        if not v > 0:
            raise ValueError(f"{name} must be greater than 0 (got {v})")


def _representable(fit, **inputs: float):
    """``fit`` if its parameters are finite (and a gamma's positive); otherwise the inputs are too far apart."""
    params = (fit.mu, fit.sigma) if isinstance(fit, LogNormalFit) else (fit.shape, fit.scale)
    if all(math.isfinite(v) for v in params) and (isinstance(fit, LogNormalFit) or min(params) > 0):
        return fit
    got = ", ".join(f"{k} {v:g}" for k, v in inputs.items())
    raise ValueError(f"{' and '.join(inputs)} are too far apart to describe a distribution in floating point (got {got})")


def _series_size(n: int) -> None:
    if n < 2:
        raise ValueError(f"n (the size of the series) must be at least 2 (got {n})")


def _range(median: float, minimum: float, maximum: float) -> None:
    if not (minimum < maximum and minimum <= median <= maximum):
        raise ValueError(f"need min < max and min <= median <= max (got min {minimum}, median {median}, max {maximum})")


def _quartiles(q1: float, median: float, q3: float) -> None:
    if not (q1 < q3 and q1 <= median <= q3):
        raise ValueError(f"need q1 < q3 and q1 <= median <= q3 (got q1 {q1}, median {median}, q3 {q3})")


# --- divisors ---------------------------------------------------------------------------------------
def wan_xi(n: int) -> float:
    """xi(n) = 2 Phi^-1((n - 0.375) / (n + 0.25)): the expected range of n standard normals.

    Wan et al. 2014, formula for scenario C1 (Blom's approximation to the expected largest of n
    normals, doubled). Against the exact values of Wan's Table 1 it is within 0.5% for
    10 <= n <= 50 (3.7365 vs 3.735 at n = 20, 4.4867 vs 4.498 at n = 50) but too large for very
    small series (+1.4% at n = 5, +4.5% at n = 2), so sigma is that much too small there.
    """
    _series_size(n)
    return 2 * stats.norm.ppf((n - 0.375) / (n + 0.25))


def wan_eta(n: int) -> float:
    """eta(n) = 2 Phi^-1((0.75 n - 0.125) / (n + 0.25)): the expected IQR of n standard normals.

    Wan et al. 2014, formula for scenario C3 (the IQR-only case). Within 0.5% of the exact values
    of Wan's Table 2 (n = 4Q + 1 up to 201; 0.9944 vs 0.990 at n = 5, 1.3017 vs 1.303 at n = 41).
    Tends to ``IQR_LARGE_N`` = 2 Phi^-1(0.75) = 1.349 as n grows.
    """
    _series_size(n)
    return 2 * stats.norm.ppf((0.75 * n - 0.125) / (n + 0.25))


# --- median + range ---------------------------------------------------------------------------------
def hozo_mean_sd(median: float, minimum: float, maximum: float, n: int) -> MeanSD:
    """Mean and SD from median m, range [a, b] and n, by Hozo et al. 2005 (distribution-free).

    mean = (a + 2m + b)/4 + (a - 2m + b)/(4n);
    variance = [a^2 + m^2 + b^2 + (n - 3)/2 * ((a + m)^2 + (m + b)^2)/4 - n * mean^2] / (n - 1).
    Both are exact for n = 3 (the sample is then {a, m, b}). Hozo et al. recommend these for
    small series (mean for n <= 25, SD for n <= 15) and range/4 (15 < n <= 70) or range/6
    (n > 70) for the SD of larger ones; Wan et al. 2014 show the SD is biased for larger n and
    replace it with ``wan_mean_sd_from_range``.
    """
    _series_size(n)
    _range(median, minimum, maximum)
    a, m, b = minimum, median, maximum
    mean = (a + 2 * m + b) / 4 + (a - 2 * m + b) / (4 * n)
    variance = (a * a + m * m + b * b + (n - 3) / 2 * ((a + m) ** 2 + (m + b) ** 2) / 4 - n * mean * mean) / (n - 1)
    return MeanSD(mean, math.sqrt(max(variance, 0.0)))


def wan_mean_sd_from_range(median: float, minimum: float, maximum: float, n: int) -> MeanSD:
    """Mean and SD from median, range and n, by Wan et al. 2014 (scenario C1, normal data).

    mean = (min + 2 median + max)/4; SD = (max - min) / xi(n) (``wan_xi``).
    """
    _range(median, minimum, maximum)
    return MeanSD((minimum + 2 * median + maximum) / 4, (maximum - minimum) / wan_xi(n))


def lognormal_from_range(median: float, minimum: float, maximum: float, n: int) -> LogNormalFit:
    """Lognormal from median, range and n: Wan et al. 2014 (C1) on the log scale.

    mu = ln(median) (the reported median is kept); sigma = (ln max - ln min) / xi(n).
    """
    _positive(median=median, min=minimum, max=maximum)
    _range(median, minimum, maximum)
    return LogNormalFit(math.log(median), (math.log(maximum) - math.log(minimum)) / wan_xi(n))


# --- median + interquartile range -------------------------------------------------------------------
def wan_mean_sd_from_iqr(q1: float, median: float, q3: float, n: int | None = None) -> MeanSD:
    """Mean and SD from the quartiles, by Wan et al. 2014 (scenario C3, normal data).

    mean = (q1 + median + q3)/3; SD = (q3 - q1) / eta(n) (``wan_eta``), or / 1.349 =
    2 Phi^-1(0.75) (``IQR_LARGE_N``, the large-n limit) when n is not reported.
    """
    _quartiles(q1, median, q3)
    return MeanSD((q1 + median + q3) / 3, (q3 - q1) / (IQR_LARGE_N if n is None else wan_eta(n)))


def lognormal_from_iqr(q1: float, median: float, q3: float, n: int | None = None) -> LogNormalFit:
    """Lognormal from median and quartiles: Wan et al. 2014 (C3) on the log scale.

    mu = ln(median) (the reported median is kept); sigma = (ln q3 - ln q1) / eta(n), or / 1.349
    (the large-n limit, ``IQR_LARGE_N``) when n is not reported.
    """
    _positive(q1=q1, median=median, q3=q3)
    _quartiles(q1, median, q3)
    eta = IQR_LARGE_N if n is None else wan_eta(n)
    return LogNormalFit(math.log(median), (math.log(q3) - math.log(q1)) / eta)


# --- median + 95th percentile -------------------------------------------------------------------------
def lognormal_from_median_p95(median: float, p95: float) -> LogNormalFit:
    """Lognormal through two quantiles: mu = ln(median), sigma = (ln p95 - mu) / 1.645 (exact)."""
    _positive(median=median, p95=p95)
    if not p95 > median:
        raise ValueError(f"p95 ({p95}) must exceed median ({median})")
    mu = math.log(median)
    return LogNormalFit(mu, (math.log(p95) - mu) / Z95)


# --- mean + SD ----------------------------------------------------------------------------------------
def lognormal_from_mean_sd(mean: float, sd: float) -> LogNormalFit:
    """Lognormal with this mean and SD (moments matched on the natural scale, exact).

    sigma^2 = ln(1 + sd^2 / mean^2); mu = ln(mean) - sigma^2 / 2.
    """
    _positive(mean=mean, sd=sd)
    try:
        s2 = math.log1p((sd / mean) ** 2)
    except OverflowError:
        s2 = math.inf
    return _representable(LogNormalFit(math.log(mean) - s2 / 2, math.sqrt(s2)), mean=mean, sd=sd)


def gamma_from_mean_sd(mean: float, sd: float) -> GammaFit:
    """Gamma with this mean and SD (moments matched, exact): shape = mean^2/sd^2, scale = sd^2/mean."""
    _positive(mean=mean, sd=sd)
    try:
        shape = (mean / sd) ** 2
    except OverflowError:
        shape = math.inf
    return _representable(GammaFit(shape=shape, scale=sd * sd / mean), mean=mean, sd=sd)


# --- proportions and ratios ---------------------------------------------------------------------------
def beta_from_events(events: int, n: int):
    """Beta(k + 1, N - k + 1) for k events in N: the posterior of a proportion under a uniform
    Beta(1, 1) prior. Returns a frozen ``scipy.stats.beta``; its mean is (k + 1)/(N + 2)."""
    if n < 1:
        raise ValueError(f"n must be at least 1 (got {n})")
    if not 0 <= events <= n:
        raise ValueError(f"events must be between 0 and n ({n}) (got {events})")
    return stats.beta(events + 1, n - events + 1)


def lognormal_from_ratio_ci(ratio: float, lower: float, upper: float) -> LogNormalFit:
    """Lognormal on an odds, risk or hazard ratio reported with a 95% CI [lower, upper].

    The CI is taken as symmetric on the log scale (as the usual Wald interval is):
    mu = ln(ratio), sigma = (ln upper - ln lower) / (2 * 1.959964), i.e. the evidence file's
    (ln UCL - ln LCL) / 3.92.
    """
    _positive(value=ratio, lower=lower, upper=upper)
    if not lower <= ratio <= upper or lower == upper:
        raise ValueError(f"need lower < upper and lower <= value <= upper (got {lower}, {ratio}, {upper})")
    return LogNormalFit(math.log(ratio), (math.log(upper) - math.log(lower)) / (2 * Z975))
