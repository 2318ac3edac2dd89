"""Random streams: one ``numpy.random.Generator`` per (seed, replication, stochastic activity).

The replication, not the strategy, decides the numbers: every strategy of a scenario reads the
same ``COMPLICATIONS`` and ``STAY`` draws for replication *r*, and the same prefix of the
``DURATION``, ``BLEEDING`` and ``EVENTS`` draws, whose first number is a latent patient factor
(common random numbers).
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np


class Stream(IntEnum):
    """Named stochastic activities. The integer is part of the seed: never renumber."""

    DURATION = 1  # latent factor, anaesthesia and turnover durations, phase durations
    BLEEDING = 2  # latent factor, phase bleeding rates
    EVENTS = 3  # latent factor, intra-operative event counts, repair times and losses
    BLOOD_BANK = 4  # delivery delays
    INTERSTAGE = 5  # days between stages
    COMPLICATIONS = 6  # one uniform per complication type
    STAY = 7  # latent recovery factor, ICU admission, ICU days, ward days


def generator(seed: int, replication: int, stream: Stream, point: int | None = None) -> np.random.Generator:
    """The generator for one activity of one replication (of one sweep point, if given)."""
    key = (replication, int(stream)) if point is None else (point, replication, int(stream))
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))
