"""Random streams: one ``numpy.random.Generator`` per (seed, replication, stochastic activity).

The replication, not the strategy, decides the numbers: every strategy of a scenario reads the
same ``COMPLICATIONS`` and ``STAY`` draws for replication *r*, and the same prefix of the
``DURATION``, ``BLEEDING`` and ``EVENTS`` draws, whose first number is a latent patient factor
(common random numbers).

``generator`` is the definition of every stream. ``block`` gives the same numbers for a block
of replications at once: building a ``SeedSequence`` and a ``PCG64`` per replication costs about
10 µs, more than the draws themselves, so ``block`` runs NumPy's ``SeedSequence`` hash
(O'Neill's seed_seq design, as in ``numpy/random/bit_generator.pyx``) vectorised over the
replications, seeds PCG64 with the resulting words as ``PCG64(SeedSequence)`` does, and draws
through one reused ``Generator``. ``tests/test_streams.py`` proves the two bit-identical.
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
    COMPLICATIONS = 6  # latent frailty, one score per complication type
    STAY = 7  # latent recovery factor, ICU admission, ICU days, ward days
    ALERTS = 11  # intra-operative alerts (e.g. neuromonitoring changes), one uniform per phase
    PERIOPERATIVE_BLOOD = 12  # cell-salvage recovery, post-operative loss and EBL error per stage
    ONCOLOGY = 13  # margin judgement quantile, margin outcome, days to wound healing
    PARAMETER_DRAW = 14  # which posterior row a parameter draw takes (keyed by draw number, not replication)
    CENTRE = 15  # a centre's effect on log time, log bleeding and the complication logit (keyed by centre number)


def _spawn_key(replication: int, stream: Stream, point: int | None) -> tuple[int, ...]:
    return (replication, int(stream)) if point is None else (point, replication, int(stream))


def generator(seed: int, replication: int, stream: Stream, point: int | None = None) -> np.random.Generator:
    """The generator for one activity of one replication (of one sweep point, if given)."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=_spawn_key(replication, stream, point)))


# NumPy's SeedSequence constants (numpy/random/bit_generator.pyx) and PCG64's multiplier.
_POOL = 4
_INIT_A, _MULT_A = 0x43B0D7E5, 0x931E8875
_INIT_B, _MULT_B = 0x8B51F9DD, 0x58F38DED
_MIX_L, _MIX_R = 0xCA01F9DD, 0x4973F715
_PCG_MULT = (2549297995355413924 << 64) + 4865540595714422341
_M32, _M128 = 0xFFFFFFFF, (1 << 128) - 1


def _words(n: int) -> list[int]:
    """An integer as little-endian 32-bit words, as SeedSequence reads it."""
    words = [n & _M32]
    while n := n >> 32:
        words.append(n & _M32)
    return words


def _hash_constants(init: int, mult: int, count: int) -> list[np.uint32]:
    """The hash constant each successive hashmix multiplies by (independent of the data)."""
    out, h = [], init
    for _ in range(count):
        h = (h * mult) & _M32
        out.append(np.uint32(h))
    return out


def _hashmix(value: np.ndarray, init: int, multiplier: np.uint32) -> np.ndarray:
    value = (value ^ np.uint32(init)) * multiplier
    return value ^ (value >> np.uint32(16))


def _mix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    r = np.uint32(_MIX_L) * x - np.uint32(_MIX_R) * y
    return r ^ (r >> np.uint32(16))


def _pools(entropy: np.ndarray) -> np.ndarray:
    """``SeedSequence.pool`` for each row of assembled entropy words [R, L] (L >= 4)."""
    L = entropy.shape[1]
    consts = iter(_hash_constants(_INIT_A, _MULT_A, _POOL + _POOL * (_POOL - 1) + _POOL * (L - _POOL)))
    prev = _INIT_A  # a hashmix XORs with the constant before the multiply that produces the next
    pool = []
    for i in range(_POOL):
        m = next(consts)
        pool.append(_hashmix(entropy[:, i], prev, m))
        prev = int(m)
    for src in range(_POOL):
        for dst in range(_POOL):
            if src != dst:
                m = next(consts)
                pool[dst] = _mix(pool[dst], _hashmix(pool[src], prev, m))
                prev = int(m)
    for src in range(_POOL, L):
        for dst in range(_POOL):
            m = next(consts)
            pool[dst] = _mix(pool[dst], _hashmix(entropy[:, src], prev, m))
            prev = int(m)
    return np.stack(pool, axis=1)


def _pcg64_states(pools: np.ndarray) -> list[tuple[int, int]]:
    """PCG64 (state, increment) that ``PCG64(SeedSequence)`` derives from each pool."""
    consts = _hash_constants(_INIT_B, _MULT_B, 8)
    words = np.empty((len(pools), 8), dtype=np.uint32)
    prev = _INIT_B
    for i, m in enumerate(consts):
        words[:, i] = _hashmix(pools[:, i % _POOL], prev, m)
        prev = int(m)
    seed_hi, seed_lo, inc_hi, inc_lo = words.astype("<u4").view("<u8").T.tolist()
    states = []
    for sh, sl, ih, il in zip(seed_hi, seed_lo, inc_hi, inc_lo):
        inc = (((ih << 64) | il) << 1 | 1) & _M128
        state = ((inc + ((sh << 64) | sl)) * _PCG_MULT + inc) & _M128  # pcg_setseq_128_srandom_r
        states.append((state, inc))
    return states


def block(seed: int, replications: np.ndarray, stream: Stream, n: int, point: int | None = None) -> np.ndarray:
    """[R, n] standard normals of ``stream``, row i equal to
    ``generator(seed, replications[i], stream, point).standard_normal(n)``."""
    reps = np.asarray(replications, dtype=np.int64)
    out = np.empty((len(reps), n))
    if not len(reps):
        return out
    if seed < 0 or reps.min() < 0 or reps.max() > _M32 or (point is not None and not 0 <= point <= _M32):
        for i, r in enumerate(reps.tolist()):  # multi-word keys: the plain path
            out[i] = generator(seed, r, stream, point).standard_normal(n)
        return out
    run = _words(seed)
    prefix = run + [0] * (_POOL - len(run)) + ([point] if point is not None else [])
    entropy = np.empty((len(reps), len(prefix) + 2), dtype=np.uint32)
    entropy[:, : len(prefix)] = prefix
    entropy[:, -2] = reps
    entropy[:, -1] = int(stream)
    bits = np.random.PCG64()
    draw = np.random.Generator(bits).standard_normal
    for i, (state, inc) in enumerate(_pcg64_states(_pools(entropy))):
        bits.state = {"bit_generator": "PCG64", "state": {"state": state, "inc": inc}, "has_uint32": 0, "uinteger": 0}
        out[i] = draw(n)
    return out
