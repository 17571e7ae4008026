"""Random streams inside compiled code: numpy's SeedSequence and PCG64, and the draws the
world needs.

A run's randomness comes from its integer seed through :class:`numpy.random.SeedSequence`,
exactly as ``numpy.random.default_rng(seed).spawn(k)`` would give it: the seed's entropy pool
(O'Neill's ``seed_seq`` design as numpy implements it), one child sequence per stream (spawn
key ``(i,)``), and a PCG64 generator (O'Neill 2014; 128-bit LCG, XSL-RR output) seeded from
each child's state. The bit streams are numpy's own, bit for bit (``tests/test_rng.py``
compares them); they are reimplemented here so that a run draws its world inside one
compiled call: building numpy Generators and handing them to compiled code cost more than
the rest of a run (about 0.3 ms of ``default_rng`` and ``spawn``, and 30 us to unbox each
Generator).

A stream's state is four ``uint64`` words in an array: the LCG state (high, low) and its
increment (high, low); 128-bit arithmetic is done on 64-bit words (the high word of a
product from 32-bit halves).

The distributions (uniform doubles, bounded integers, normal, gamma, Poisson) are the
textbook algorithms named on each function; their values differ from numpy's Generator
methods of the same name (which use other algorithms), and ``tests/test_rng.py`` checks each
against its distribution.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from sim.jit import kernel

_U = np.uint64
_M32 = _U(0xFFFFFFFF)
_S32 = _U(32)
_S11 = _U(11)
_S58 = _U(58)
_S63 = _U(63)
_ONE = _U(1)
_ZERO = _U(0)
_MUL_HI = _U(2549297995355413924)
_MUL_LO = _U(4865540595714422341)
"""PCG's default 128-bit multiplier, high and low words."""

_INIT_A = 0x43B0D7E5
_MULT_A = 0x931E8875
_INIT_B = 0x8B51F9DD
_MULT_B = 0x58F38DED
_MIX_MULT_L = 0xCA01F9DD
_MIX_MULT_R = 0x4973F715
_POOL = 4
"""numpy's SeedSequence constants (hash multipliers and the pool size of four words)."""

_TWO_M53 = 1.0 / 9007199254740992.0


# --- 32-bit hashing of SeedSequence (values kept in uint64, masked to 32 bits) ------------------

@kernel
def _mul32(a: int, b: int) -> np.uint64:
    """``a * b mod 2**32`` for 32-bit values."""
    return (_U(a) * _U(b)) & _M32


@kernel
def _hashmix(value: int, hash_const: NDArray[np.uint64]) -> np.uint64:
    value = _U(value) ^ hash_const[0]
    hash_const[0] = _mul32(hash_const[0], _MULT_A)
    value = _mul32(value, hash_const[0])
    return value ^ (value >> _U(16))


@kernel
def _mix(x: int, y: int) -> np.uint64:
    result = (_mul32(_MIX_MULT_L, x) + _U(0x100000000) - _mul32(_MIX_MULT_R, y)) & _M32
    return result ^ (result >> _U(16))


@kernel
def seed_pool(seed: int, spawn: int) -> NDArray[np.uint64]:
    """The entropy pool of ``SeedSequence(seed, spawn_key=(spawn,))`` (``spawn < 0``: no spawn
    key), for ``0 <= seed < 2**64`` and ``0 <= spawn < 2**32``."""
    s = _U(seed)
    words = np.zeros(_POOL + 1, dtype=np.uint64)
    n = 0
    if s == _ZERO:
        n = 1
    while s > _ZERO:
        words[n] = s & _M32
        s = s >> _S32
        n += 1
    if spawn >= 0:
        n = max(n, _POOL)
        words[n] = _U(spawn)
        n += 1
    pool = np.zeros(_POOL, dtype=np.uint64)
    hash_const = np.full(1, _INIT_A, dtype=np.uint64)
    for i in range(_POOL):
        pool[i] = _hashmix(words[i] if i < n else 0, hash_const)
    for i_src in range(_POOL):
        for i_dst in range(_POOL):
            if i_src != i_dst:
                pool[i_dst] = _mix(pool[i_dst], _hashmix(pool[i_src], hash_const))
    for i_src in range(_POOL, n):
        for i_dst in range(_POOL):
            pool[i_dst] = _mix(pool[i_dst], _hashmix(words[i_src], hash_const))
    return pool


@kernel
def generate_state(pool: NDArray[np.uint64], n_words: int) -> NDArray[np.uint64]:
    """``SeedSequence.generate_state(n_words, np.uint64)`` from an entropy pool."""
    hash_const = _U(_INIT_B)
    words = np.empty(2 * n_words, dtype=np.uint64)
    for i in range(2 * n_words):
        value = pool[i % _POOL] ^ hash_const
        hash_const = _mul32(hash_const, _MULT_B)
        value = _mul32(value, hash_const)
        words[i] = value ^ (value >> _U(16))
    out = np.empty(n_words, dtype=np.uint64)
    for i in range(n_words):
        out[i] = words[2 * i] | (words[2 * i + 1] << _S32)
    return out


# --- 64- and 128-bit arithmetic on 32-bit halves --------------------------------------------------

@kernel
def _add64(a: np.uint64, b: np.uint64) -> tuple[np.uint64, np.uint64]:
    """``a + b`` as (carry, sum mod 2**64)."""
    low = (a & _M32) + (b & _M32)
    high = (a >> _S32) + (b >> _S32) + (low >> _S32)
    return high >> _S32, ((high & _M32) << _S32) | (low & _M32)


@kernel
def _mulhi(a: np.uint64, b: np.uint64) -> np.uint64:
    """The high word of the 128-bit product ``a * b``, from 32-bit halves."""
    a0, a1 = a & _M32, a >> _S32
    b0, b1 = b & _M32, b >> _S32
    p01 = a0 * b1
    p10 = a1 * b0
    middle = ((a0 * b0) >> _S32) + (p01 & _M32) + (p10 & _M32)
    return a1 * b1 + (p01 >> _S32) + (p10 >> _S32) + (middle >> _S32)


@kernel
def _step(state: NDArray[np.uint64]) -> None:
    """One LCG step: ``x = x * multiplier + increment (mod 2**128)``. The low words'
    products and sums wrap modulo 2**64 (in compiled code natively; numpy scalars warn of the
    overflow when kernels run as Python, which :mod:`sim.jit` silences for this module)."""
    hi, lo = state[0], state[1]
    high = _mulhi(lo, _MUL_LO) + hi * _MUL_LO + lo * _MUL_HI + state[2]
    low = lo * _MUL_LO
    new_low = low + state[3]
    if new_low < low:
        high += _ONE
    state[0] = high
    state[1] = new_low


@kernel
def pcg64(pool: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """``numpy.random.PCG64(seed_sequence)``'s state from the sequence's pool: (state high,
    state low, increment high, increment low)."""
    seed = generate_state(pool, 4)
    state = np.zeros(4, dtype=np.uint64)
    # increment = (initseq << 1) | 1, with initseq = seed[2:4]
    state[2] = (seed[2] << _ONE) | (seed[3] >> _S63)
    state[3] = (seed[3] << _ONE) | _ONE
    _step(state)
    carry, low = _add64(state[1], seed[1])
    _, high = _add64(state[0], seed[0])
    _, high = _add64(high, carry)
    state[0] = high
    state[1] = low
    _step(state)
    return state


@kernel
def streams(seed: int, count: int) -> NDArray[np.uint64]:
    """The states of ``numpy.random.default_rng(seed).spawn(count)``'s generators, one row each."""
    out = np.empty((count, 4), dtype=np.uint64)
    for i in range(count):
        out[i] = pcg64(seed_pool(seed, i))
    return out


# --- draws -----------------------------------------------------------------------------------------

@kernel
def next64(state: NDArray[np.uint64]) -> np.uint64:
    """The next 64 random bits (PCG64's XSL-RR output of the stepped state)."""
    _step(state)
    hi, lo = state[0], state[1]
    x = hi ^ lo
    rot = hi >> _S58
    return (x >> rot) | (x << ((_U(64) - rot) & _S63))


@kernel
def uniform(state: NDArray[np.uint64]) -> float:
    """A double in [0, 1): the top 53 bits, as numpy's ``random()``."""
    return float(next64(state) >> _S11) * _TWO_M53


@kernel
def open_uniform(state: NDArray[np.uint64]) -> float:
    """A double in (0, 1): the top 53 bits, offset by half a step."""
    return (float(next64(state) >> _S11) + 0.5) * _TWO_M53


@kernel
def below(state: NDArray[np.uint64], n: int) -> int:
    """An integer uniform in ``[0, n)`` (``0 < n <= 2**32``): Lemire's (2019) multiply-and-
    reject method on the top 32 bits of each draw, so every value is exactly equally likely."""
    bound = _U(n)
    threshold = (_U(0x100000000) - bound) % bound
    while True:
        product = (next64(state) >> _S32) * bound
        if (product & _M32) >= threshold:
            return int(product >> _S32)


@kernel
def shuffle(state: NDArray[np.uint64], values: NDArray[np.int64]) -> None:
    """Fisher-Yates (Durstenfeld) in place."""
    for i in range(values.shape[0] - 1, 0, -1):
        j = below(state, i + 1)
        values[i], values[j] = values[j], values[i]


@kernel
def normal(state: NDArray[np.uint64]) -> float:
    """A standard normal draw by inversion of one open uniform (Wichura 1988, algorithm
    AS 241, PPND16: relative accuracy about 1e-16)."""
    return normal_quantile(open_uniform(state))


@kernel
def normal_quantile(p: float) -> float:
    """The standard normal quantile (Wichura 1988, AS 241 PPND16)."""
    q = p - 0.5
    if abs(q) <= 0.425:
        r = 0.180625 - q * q
        num = (((((((2509.0809287301226727 * r + 33430.575583588128105) * r
                    + 67265.770927008700853) * r + 45921.953931549871457) * r
                  + 13731.693765509461125) * r + 1971.5909503065514427) * r
                + 133.14166789178437745) * r + 3.387132872796366608)
        den = (((((((5226.495278852545925 * r + 28729.085735721942674) * r
                    + 39307.89580009271061) * r + 21213.794301586595867) * r
                  + 5394.1960214247511077) * r + 687.1870074920579083) * r
                + 42.313330701600911252) * r + 1.0)
        return q * num / den
    r = p if q < 0.0 else 1.0 - p
    r = math.sqrt(-math.log(r))
    if r <= 5.0:
        r -= 1.6
        num = (((((((7.7454501427834140764e-4 * r + 0.0227238449892691845833) * r
                    + 0.24178072517745061177) * r + 1.27045825245236838258) * r
                  + 3.64784832476320460504) * r + 5.7694972214606914055) * r
                + 4.6303378461565452959) * r + 1.42343711074968357734)
        den = (((((((1.05075007164441684324e-9 * r + 5.475938084995344946e-4) * r
                    + 0.0151986665636164571966) * r + 0.14810397642748007459) * r
                  + 0.68976733498510000455) * r + 1.6763848301838038494) * r
                + 2.05319162663775882187) * r + 1.0)
    else:
        r -= 5.0
        num = (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r
                    + 0.0012426609473880784386) * r + 0.026532189526576123093) * r
                  + 0.29656057182850489123) * r + 1.7848265399172913358) * r
                + 5.4637849111641143699) * r + 6.6579046435011037772)
        den = (((((((2.04426310338993978564e-15 * r + 1.4215117583164458887e-7) * r
                    + 1.8463183175100546818e-5) * r + 7.868691311456132591e-4) * r
                  + 0.0148753612908506148525) * r + 0.13692988092273580531) * r
                + 0.59983220655588793769) * r + 1.0)
    x = num / den
    return -x if q < 0.0 else x


@kernel
def gamma(state: NDArray[np.uint64], shape: float, scale: float) -> float:
    """A gamma draw (Marsaglia & Tsang 2000; for shape < 1, their boost
    ``G(shape + 1) x U^(1 / shape)``)."""
    if shape < 1.0:
        boost = open_uniform(state) ** (1.0 / shape)
        return gamma(state, shape + 1.0, scale) * boost
    d = shape - 1.0 / 3.0
    c = 1.0 / math.sqrt(9.0 * d)
    while True:
        x = normal(state)
        v = 1.0 + c * x
        if v <= 0.0:
            continue
        v = v * v * v
        u = open_uniform(state)
        if u < 1.0 - 0.0331 * x * x * x * x or math.log(u) < 0.5 * x * x + d * (1.0 - v + math.log(v)):
            return d * v * scale


@kernel
def poisson(state: NDArray[np.uint64], lam: float) -> int:
    """A Poisson draw: multiplication of uniforms below a mean of 10 (Knuth 1969), the
    transformed rejection method with squeeze above it (Hoermann 1993, PTRS)."""
    if lam <= 0.0:
        return 0
    if lam < 10.0:
        limit = math.exp(-lam)
        k = 0
        product = uniform(state)
        while product > limit:
            k += 1
            product *= uniform(state)
        return k
    slam = math.sqrt(lam)
    loglam = math.log(lam)
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    inv_alpha = 1.1239 + 1.1328 / (b - 3.4)
    v_r = 0.9277 - 3.6224 / (b - 2.0)
    while True:
        u = uniform(state) - 0.5
        v = uniform(state)
        us = 0.5 - abs(u)
        if us <= 0.0:
            continue
        k = math.floor((2.0 * a / us + b) * u + lam + 0.43)
        if us >= 0.07 and v <= v_r:
            return int(k)
        if k < 0.0 or (us < 0.013 and v > us):
            continue
        if (math.log(v) + math.log(inv_alpha) - math.log(a / (us * us) + b)
                <= -lam + k * loglam - math.lgamma(k + 1.0)):
            return int(k)
