"""Arithmetic of the synthetic cohort that gives the same bits on every supported numpy.

The files written for a seed must be byte-identical on numpy 1.26 and 2.x. numpy's vectorised
``exp`` and its summation order differ in the last bit between those versions, so the generator
takes exponentials with the C library's ``math.exp``, sums with the correctly rounded ``math.fsum``
and rounds shares to integer counts by largest remainders (Hamilton's method) on those sums.
"""

from __future__ import annotations

import math

import numpy as np


def _exp(x: np.ndarray | float) -> np.ndarray:
    """exp element by element with the C library's ``math.exp``.

    numpy's vectorised ``np.exp`` (and ``log``, ``log1p`` ...) differs in the last bit between numpy
    1.26 and 2.x, which changed the written cohort; ``math.exp`` does not depend on numpy's version.
    """
    a = np.asarray(x, dtype=float)
    return np.fromiter((math.exp(v) for v in a.ravel().tolist()), dtype=float, count=a.size).reshape(a.shape)


def _normalized(w: np.ndarray) -> np.ndarray:
    """w / sum(w) with the correctly rounded sum (math.fsum): numpy's summation order is version-dependent."""
    w = np.asarray(w, dtype=float)
    return w / math.fsum(w.tolist())


def _mean(x: np.ndarray) -> float:
    """Correctly rounded mean (math.fsum), the same on every numpy version."""
    return _fsum(x) / x.size


def _fsum(x: np.ndarray) -> float:
    """Correctly rounded sum (math.fsum), the same on every numpy version."""
    return math.fsum(np.asarray(x, dtype=float).tolist())


def _largest_remainder(n: int, shares: np.ndarray) -> np.ndarray:
    """Integer counts summing to n, as close as possible to n * shares (Hamilton's method)."""
    shares = _normalized(shares)
    raw = n * shares
    counts = np.floor(raw).astype(np.int64)
    short = n - int(counts.sum())
    if short > 0:
        counts[np.argsort(-(raw - counts), kind="stable")[:short]] += 1
    return counts
