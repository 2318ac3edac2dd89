"""The block path of the random streams gives exactly the numbers of the per-replication definition."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulation.model.streams import Stream, block, generator


def _plain(seed, reps, stream, n, point=None):
    rows = [generator(seed, int(r), stream, point).standard_normal(n) for r in reps]
    return np.array(rows).reshape(len(reps), n)


@pytest.mark.parametrize("seed", [0, 1, 2018, 2**32 - 1, 2**32, 2**64 + 5, 12345678901234567890123])
@pytest.mark.parametrize("point", [None, 0, 2**32 - 1])
def test_block_equals_one_generator_per_replication(seed, point):
    reps = np.array([0, 1, 2, 999, 2**31, 2**32 - 1])
    for stream in Stream:
        assert np.array_equal(block(seed, reps, stream, 7, point), _plain(seed, reps, stream, 7, point))


def test_multi_word_replications_and_points_take_the_plain_path():
    reps = np.array([5, 2**32, 2**40 + 3])
    assert np.array_equal(block(7, reps, Stream.EVENTS, 4), _plain(7, reps, Stream.EVENTS, 4))
    assert np.array_equal(block(7, reps[:1], Stream.EVENTS, 4, point=2**33), _plain(7, reps[:1], Stream.EVENTS, 4, 2**33))


def test_negative_seed_is_refused_as_numpy_refuses_it():
    with pytest.raises(ValueError):
        block(-1, np.array([0]), Stream.STAY, 2)


def test_a_row_does_not_depend_on_its_block():
    whole = block(99, np.arange(50), Stream.BLEEDING, 6)
    assert np.array_equal(block(99, np.array([31, 7]), Stream.BLEEDING, 6), whole[[31, 7]])
    assert block(99, np.array([], dtype=np.int64), Stream.BLEEDING, 6).shape == (0, 6)


@given(
    seed=st.integers(0, 2**70),
    reps=st.lists(st.integers(0, 2**32 - 1), min_size=1, max_size=4),
    stream=st.sampled_from(list(Stream)),
    point=st.one_of(st.none(), st.integers(0, 2**32 - 1)),
)
def test_block_equals_definition_for_any_key(seed, reps, stream, point):
    reps = np.array(reps)
    assert np.array_equal(block(seed, reps, stream, 2, point), _plain(seed, reps, stream, 2, point))
