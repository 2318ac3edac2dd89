"""Event counts: the table-search Poisson quantile agrees with scipy's definition."""

import numpy as np
from scipy import special, stats

from simulation.model.sampling import poisson_quantile

MEANS = np.array([1e-6, 0.001, 0.05, 0.3, 1.0, -np.log(0.05), 10.0, 50.0])  # -ln(0.05): p = 0.95 cap


def test_equals_scipy_poisson_ppf_on_random_probabilities():
    u = special.ndtr(np.random.default_rng(7).standard_normal((100_000, len(MEANS))) * 2)
    u = np.clip(u, 1e-300, np.nextafter(1.0, 0))  # scipy's ppf(1) is inf
    assert np.array_equal(poisson_quantile(u, MEANS), stats.poisson.ppf(u, MEANS[None, :]).astype(np.int64))


def test_at_a_cdf_value_the_smallest_count_reaching_it():
    for mean in MEANS:
        cdf = special.pdtr(np.arange(25), mean)
        inside = cdf[cdf < 1.0]
        counts = poisson_quantile(inside[:, None], [mean])[:, 0]
        assert np.array_equal(counts, np.arange(len(inside)))
        above = np.nextafter(inside, 1.0)  # one ulp past P(C <= c): the answer is c + 1
        assert np.array_equal(poisson_quantile(above[:, None], [mean])[:, 0], np.arange(len(inside)) + 1)


def test_probability_one_gives_the_largest_count_in_the_table_not_overflow():
    counts = poisson_quantile(np.ones((1, len(MEANS))), MEANS)
    assert (counts >= 0).all() and (counts < 500).all()
