"""R's default random numbers in Python: ``set.seed(seed); rnorm(n)`` (Mersenne-Twister, Inversion).

HonestDiD simulates its least favourable critical values with ``set.seed(0)`` and
``mvtnorm::rmvnorm``; reproducing R's draws lets the reference tests compare grid points exactly
instead of up to simulation noise. The algorithm is R's (src/main/RNG.c and snorm.c, R >= 3.6):

* ``set.seed(s)``: s is scrambled by 50 steps of the congruential generator s <- 69069 s + 1
  (32-bit), then the 625 seed words are the next 625 steps; the first word (the position) is set to
  624, so the 624 state words are words 1..624 and the first draw regenerates the whole state;
* ``unif_rand()``: a tempered 32-bit Mersenne-Twister output times 2^-32 (kept inside (0, 1));
* ``norm_rand()`` (Inversion): u = floor(2^27 U1) + U2, z = qnorm(u / 2^27).

numpy's MT19937 bit generator runs the same recurrence and tempering, so its state is set to R's
words and its raw 32-bit outputs are used.
"""

from __future__ import annotations

import numpy as np
from scipy import special


def r_seed_state(seed: int) -> np.ndarray:
    s = seed & 0xFFFFFFFF
    for _ in range(50):
        s = (69069 * s + 1) & 0xFFFFFFFF
    words = []
    for _ in range(625):
        s = (69069 * s + 1) & 0xFFFFFFFF
        words.append(s)
    return np.array(words[1:], dtype=np.uint32)


def r_rnorm(n: int, seed: int = 0) -> np.ndarray:
    """The n draws of ``set.seed(seed); rnorm(n)`` in R."""
    bg = np.random.MT19937()
    bg.state = {"bit_generator": "MT19937", "state": {"key": r_seed_state(seed), "pos": 624}}
    raw = bg.random_raw(2 * n).astype(np.float64) * 2.3283064365386963e-10
    raw = np.where(raw <= 0.0, 0.5 * 2.328306437080797e-10, raw)
    raw = np.where(1.0 - raw <= 0.0, 1.0 - 0.5 * 2.328306437080797e-10, raw)
    big = 134217728.0
    u = np.floor(big * raw[0::2]) + raw[1::2]
    return special.ndtri(u / big)


def r_rmvnorm_standard(n: int, dim: int, seed: int = 0) -> np.ndarray:
    """The standard normal matrix behind ``set.seed(seed); mvtnorm::rmvnorm(n, sigma = S)`` (n x dim, filled
    by row), so that the draws are ``z @ root(S)`` with the symmetric square root of S."""
    return r_rnorm(n * dim, seed).reshape(n, dim)
