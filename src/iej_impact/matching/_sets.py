"""Matched sets of nearest-neighbour matching with replacement, and the estimators built on them.

Private module behind :mod:`iej_impact.matching._match`: the k-nearest search that keeps ties, the ATE's
two-way matching, the Abadie-Imbens (2006) variance for a variable number of matches per unit,
and the Abadie-Imbens (2011) regression bias correction. Every routine is O(n log n) (a sort and
``searchsorted``); nothing builds an n x m distance matrix.

Matched sets
------------
A :class:`MatchSets` holds, for each *focal* unit (a unit whose missing potential outcome is
imputed), the units of the other arm it is matched to. Two layouts share one interface:

* :class:`RangeSets`: in one dimension the units at distance <= r from a point form a contiguous
  block of the other arm sorted by distance, so a matched set is a range ``pool[lo:hi]``. Means
  over sets and the number of times a unit is used are then prefix sums and difference arrays,
  whatever the size of the sets: a discrete score with thousands of tied units costs no more than
  a continuous one.
* :class:`ListSets`: explicit lists (CSR layout), for matches found otherwise (MatchIt's
  tie-breaking rules, Mahalanobis distance).

Ties
----
With ``ties`` the matched set of a unit is every unit of the other arm whose distance is at most
the k-th smallest distance (Abadie & Imbens 2006, section 2; Stata's ``teffects nnmatch`` and
``psmatch``; R Matching's ``ties = TRUE``), so it can hold more than k units; each member weighs
1 / (size of the set). Two distances are equal when they differ by at most
:func:`tie_tolerance` (a few units in the last place of the distance: floating-point noise, not a
modelling choice). R Matching's default ``distance.tolerance = 1e-5`` (on the squared,
standardised distance) treats nearby but distinct distances as tied; this module does not.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ._nearest import stable_argsort

__all__ = [
    "MatchSets",
    "RangeSets",
    "ListSets",
    "tie_tolerance",
    "knn_ranges",
    "sets_from_matrix",
    "total_usage",
    "same_arm_sigma2",
    "abadie_imbens_variance",
]

_GATHER_MAX = 16  # sets up to this size are averaged by direct gathering (exact summation order)


def tie_tolerance(x: np.ndarray) -> float:
    """Largest difference between two distances still counted as a tie: 64 ulp of the largest |x|."""
    scale = float(np.max(np.abs(x))) if x.size else 0.0
    return 64.0 * np.finfo(float).eps * max(scale, 1.0)


# =============================================================================================
# matched sets
# =============================================================================================
@dataclass(frozen=True)
class MatchSets:
    """Matched sets of the focal units ``focal`` (data rows) among the ``n`` rows of the data."""

    focal: np.ndarray
    n: int

    @property
    def sizes(self) -> np.ndarray:  # pragma: no cover - overridden
        raise TypeError("MatchSets is abstract")

    def mean(self, values: np.ndarray) -> np.ndarray:  # pragma: no cover - overridden
        raise TypeError("MatchSets is abstract")

    def members(self) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - overridden
        raise TypeError("MatchSets is abstract")

    @property
    def matched(self) -> np.ndarray:
        """(n_focal,) bool: the focal unit has at least one match."""
        return self.sizes > 0

    def usage(self) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - overridden
        raise TypeError("MatchSets is abstract")

    def pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """(focal position, matched data row) for every member of every set, focal units in order."""
        return self.members()


@dataclass(frozen=True)
class RangeSets(MatchSets):
    """Sets as ranges ``pool[lo[t]:hi[t]]`` of the other arm sorted by (stratum, distance, row)."""

    pool: np.ndarray
    lo: np.ndarray
    hi: np.ndarray

    @property
    def sizes(self) -> np.ndarray:
        return self.hi - self.lo

    def mean(self, values: np.ndarray) -> np.ndarray:
        """Mean of ``values`` (indexed by data row; (n,) or (n, p)) over each set; NaN for empty sets.

        Small sets are summed element by element; larger ones by differences of prefix sums in
        extended precision over centred values (no cancellation worth a digit at 10^7 rows).
        """
        v = np.asarray(values, dtype=float)
        pooled = v[self.pool]
        sizes = self.sizes
        out = np.zeros((sizes.shape[0],) + v.shape[1:])
        small = sizes <= _GATHER_MAX
        if small.any():
            idx = np.flatnonzero(small)
            lo_s, sz = self.lo[idx], sizes[idx]
            acc = np.zeros((idx.shape[0],) + v.shape[1:])
            for t in range(int(sz.max()) if sz.size else 0):
                on = sz > t
                acc[on] += pooled[lo_s[on] + t]
            out[idx] = acc
        big = ~small
        if big.any():
            centre = pooled.mean(axis=0) if pooled.shape[0] else 0.0
            csum = np.zeros((pooled.shape[0] + 1,) + v.shape[1:], dtype=np.longdouble)
            np.cumsum(np.asarray(pooled - centre, dtype=np.longdouble), axis=0, out=csum[1:])
            idx = np.flatnonzero(big)
            sums = csum[self.hi[idx]] - csum[self.lo[idx]]
            out[idx] = np.asarray(sums, dtype=float) + np.multiply.outer(sizes[idx], np.asarray(centre))
        with np.errstate(invalid="ignore", divide="ignore"):
            res = out / (sizes.reshape((-1,) + (1,) * (v.ndim - 1)))
        res[sizes == 0] = np.nan
        return res

    def usage(self) -> tuple[np.ndarray, np.ndarray]:
        """(K, KK) per data row: sums over the sets containing the row of 1/size and 1/size^2."""
        m = self.pool.shape[0]
        sizes = self.sizes
        ok = sizes > 0
        lo, hi, s = self.lo[ok], self.hi[ok], sizes[ok].astype(float)
        cover = np.cumsum(np.bincount(lo, minlength=m + 1) - np.bincount(hi, minlength=m + 1))[:m]
        k = np.zeros(self.n)
        kk = np.zeros(self.n)
        for target, w in ((k, 1.0 / s), (kk, 1.0 / (s * s))):
            diff = np.asarray(np.bincount(lo, weights=w, minlength=m + 1), dtype=np.longdouble)
            diff -= np.bincount(hi, weights=w, minlength=m + 1)
            acc = np.asarray(np.cumsum(diff)[:m], dtype=float)
            acc[cover == 0] = 0.0
            target[self.pool] = acc
        return k, kk

    def members(self) -> tuple[np.ndarray, np.ndarray]:
        sizes = self.sizes
        pos = np.repeat(np.arange(sizes.shape[0]), sizes)
        start = np.repeat(self.lo - np.concatenate([[0], np.cumsum(sizes)[:-1]]), sizes)
        return pos, self.pool[start + np.arange(pos.shape[0])]


@dataclass(frozen=True)
class ListSets(MatchSets):
    """Sets as explicit lists: the matches of focal unit t are ``indices[indptr[t]:indptr[t + 1]]``."""

    indptr: np.ndarray
    indices: np.ndarray

    @property
    def sizes(self) -> np.ndarray:
        return np.diff(self.indptr)

    def mean(self, values: np.ndarray) -> np.ndarray:
        v = np.asarray(values, dtype=float)
        sizes = self.sizes
        seg = np.repeat(np.arange(sizes.shape[0]), sizes)
        vals = v[self.indices]
        if v.ndim == 1:
            sums = np.bincount(seg, weights=vals, minlength=sizes.shape[0])
        else:
            sums = np.column_stack(
                [np.bincount(seg, weights=vals[:, c], minlength=sizes.shape[0]) for c in range(v.shape[1])]
            ) if v.shape[1] else np.zeros((sizes.shape[0], 0))
        with np.errstate(invalid="ignore", divide="ignore"):
            res = sums / sizes.reshape((-1,) + (1,) * (v.ndim - 1))
        res[sizes == 0] = np.nan
        return res

    def usage(self) -> tuple[np.ndarray, np.ndarray]:
        sizes = self.sizes.astype(float)
        w = np.repeat(np.divide(1.0, sizes, out=np.zeros_like(sizes), where=sizes > 0), self.sizes)
        k = np.bincount(self.indices, weights=w, minlength=self.n)
        kk = np.bincount(self.indices, weights=w * w, minlength=self.n)
        return k, kk

    def members(self) -> tuple[np.ndarray, np.ndarray]:
        sizes = self.sizes
        return np.repeat(np.arange(sizes.shape[0]), sizes), self.indices


def sets_from_matrix(mm: np.ndarray, focal: np.ndarray, n: int) -> ListSets:
    """:class:`ListSets` from a (n_focal, k) match matrix padded with -1 (rows in focal order)."""
    ok = mm >= 0
    sizes = ok.sum(axis=1)
    indptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    return ListSets(focal=np.asarray(focal, dtype=np.int64), n=n, indptr=indptr, indices=mm[ok].astype(np.int64))


# =============================================================================================
# k nearest with ties, in one dimension
# =============================================================================================
def knn_ranges(
    dist: np.ndarray,
    focal: np.ndarray,
    pool: np.ndarray,
    k: int,
    *,
    caliper: float | None = None,
    strata: np.ndarray | None = None,
) -> RangeSets:
    """Match every focal row to all pool rows within its k-th smallest distance (ties kept).

    Parameters
    ----------
    dist : (n,) finite 1-D distance (score, logit score or a column).
    focal, pool : data rows of the units to match and of the candidate matches (other arm).
    k : number of matches (the set holds more when the k-th distance is tied).
    caliper : largest allowed |d_i - d_j|: a unit whose k-th nearest lies beyond it keeps the
        matches within it (possibly none).
    strata : (n,) integer codes; matches within a stratum only (exact matching).

    Returns
    -------
    RangeSets over ``pool`` sorted by (stratum, distance, row).
    """
    dist = np.asarray(dist, dtype=float)
    n = dist.shape[0]
    focal = np.asarray(focal, dtype=np.int64)
    pool = np.asarray(pool, dtype=np.int64)
    if strata is None:
        order = stable_argsort(dist[pool])
        sp = pool[order]
        lo, hi = _ranges_1d(dist[sp], dist[focal], k, caliper, tie_tolerance(dist))
        return RangeSets(focal=focal, n=n, pool=sp, lo=lo, hi=hi)
    codes = np.asarray(strata)
    order = np.lexsort((pool, dist[pool], codes[pool]))
    sp = pool[order]
    sc = codes[sp]
    lo = np.zeros(focal.shape[0], dtype=np.int64)
    hi = np.zeros(focal.shape[0], dtype=np.int64)
    tol = tie_tolerance(dist)
    fcodes = codes[focal]
    starts = np.searchsorted(sc, fcodes, side="left")
    stops = np.searchsorted(sc, fcodes, side="right")
    for code in np.unique(fcodes):
        q = np.flatnonzero(fcodes == code)
        a, b = int(starts[q[0]]), int(stops[q[0]])
        if b <= a:
            continue
        l_, h_ = _ranges_1d(dist[sp[a:b]], dist[focal[q]], k, caliper, tol)
        lo[q], hi[q] = l_ + a, h_ + a
    return RangeSets(focal=focal, n=n, pool=sp, lo=lo, hi=hi)


def _ranges_1d(
    x: np.ndarray, q: np.ndarray, k: int, caliper: float | None, tol: float
) -> tuple[np.ndarray, np.ndarray]:
    """[lo, hi) of the sorted ``x`` within the k-th smallest |x - q| (+ tol) of each query ``q``."""
    m = x.shape[0]
    nq = q.shape[0]
    if m == 0 or nq == 0:
        return np.zeros(nq, dtype=np.int64), np.zeros(nq, dtype=np.int64)
    kk = min(k, m)
    pos = np.searchsorted(x, q, side="left")
    offs = np.arange(1, kk + 1)
    cand = np.concatenate([pos[:, None] - offs, pos[:, None] + offs - 1], axis=1)
    valid = (cand >= 0) & (cand < m)
    cd = np.where(valid, np.abs(x[np.clip(cand, 0, m - 1)] - q[:, None]), np.inf)
    radius = np.partition(cd, kk - 1, axis=1)[:, kk - 1]
    if caliper is not None:
        radius = np.minimum(radius, float(caliper))
    return exact_window(x, q, radius + tol)


# =============================================================================================
# conditional variance, Abadie-Imbens variance, least squares
# =============================================================================================
def same_arm_sigma2(
    dist: np.ndarray,
    y: np.ndarray,
    arm_rows: np.ndarray,
    j: int = 2,
    *,
    ties: bool = False,
    kind: str = "ai2006",
) -> np.ndarray:
    """Conditional outcome variance of each unit of ``arm_rows`` from its J nearest same-arm units.

    The neighbours are the J units of the arm nearest to unit i on ``dist`` (i excluded); without
    ``ties`` exactly J, ties in the distance going to the unit earlier in (distance, row) order;
    with ``ties`` every unit at most as far as the J-th nearest (m >= J units).

    ``kind="ai2006"``: sigma_i^2 = m/(m + 1) (Y_i - mean of the m neighbours)^2, Abadie & Imbens
    (2006, eq. 14) with m = J; the factor m/(m + 1) keeps it unbiased for a common variance when
    ties make m > J. ``kind="sample"``: the sample variance (denominator m) of Y over unit i and
    its m neighbours, as R Matching's ``Var.calc = J`` computes it (Stata's manual describes a
    sample variance over the nn(J) within-arm matches; not checked against Stata output). The two
    coincide for m = 1. An arm with at most J units gets its sample variance. Rows outside
    ``arm_rows`` get 0.
    """
    if kind not in ("ai2006", "sample"):
        raise ValueError(f"unknown conditional-variance estimator {kind!r}")
    dist = np.asarray(dist, dtype=float)
    y = np.asarray(y, dtype=float)
    rows = arm_rows[stable_argsort(dist[arm_rows])]
    m = rows.shape[0]
    out = np.zeros(dist.shape[0])
    if m <= j:
        out[rows] = np.var(y[rows], ddof=1) if m > 1 else 0.0
        return out
    x = dist[rows]
    yy = y[rows]
    pos = np.arange(m)
    offs = np.arange(1, j + 1)
    cand = np.concatenate([pos[:, None] - offs, pos[:, None] + offs], axis=1)
    valid = (cand >= 0) & (cand < m)
    cdist = np.where(valid, np.abs(x[np.clip(cand, 0, m - 1)] - x[:, None]), np.inf)
    if not ties:
        pick = np.argsort(cdist, axis=1, kind="stable")[:, :j]
        nb = np.take_along_axis(cand, pick, axis=1)
        if kind == "ai2006":
            out[rows] = j / (j + 1.0) * (yy - yy[nb].mean(axis=1)) ** 2
        else:
            out[rows] = np.var(np.column_stack([yy, yy[nb]]), axis=1, ddof=1)
        return out
    # ties: the unit and every unit within its J-th smallest distance form a contiguous block
    radius = np.partition(cdist, j - 1, axis=1)[:, j - 1]
    lo, hi = _within(x, radius, tie_tolerance(dist))
    size = hi - lo  # the unit itself included
    blocks = RangeSets(focal=np.arange(m), n=m, pool=np.arange(m), lo=lo, hi=hi)
    mean_all = blocks.mean(yy)
    if kind == "ai2006":
        mean_nb = (mean_all * size - yy) / (size - 1)
        out[rows] = (size - 1) / size * (yy - mean_nb) ** 2
    else:
        out[rows] = _block_variance(yy, lo, hi, mean_all)
    return out


def _block_variance(y: np.ndarray, lo: np.ndarray, hi: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Sample variance (ddof 1) of y[lo:hi] for each block, given the blocks' means.

    Small blocks are summed directly; large ones from prefix sums of y^2 in extended precision
    (sum (y - mean)^2 = sum y^2 - size mean^2 over values centred on their overall mean).
    """
    size = hi - lo
    out = np.zeros(size.shape[0])
    small = size <= _GATHER_MAX
    if small.any():
        idx = np.flatnonzero(small)
        acc = np.zeros(idx.shape[0])
        for t in range(int(size[idx].max())):
            on = size[idx] > t
            acc[on] += (y[lo[idx][on] + t] - mean[idx][on]) ** 2
        out[idx] = acc
    big = ~small
    if big.any():
        centre = float(y.mean())
        yc = np.asarray(y - centre, dtype=np.longdouble)
        c1 = np.concatenate([[0], np.cumsum(yc)])
        c2 = np.concatenate([[0], np.cumsum(yc * yc)])
        idx = np.flatnonzero(big)
        s1 = c1[hi[idx]] - c1[lo[idx]]
        s2 = c2[hi[idx]] - c2[lo[idx]]
        out[idx] = np.asarray(s2 - s1 * s1 / size[idx], dtype=float)
    return np.maximum(out, 0.0) / np.maximum(size - 1, 1)


def _within(x: np.ndarray, radius: np.ndarray, tol: float) -> tuple[np.ndarray, np.ndarray]:
    """[lo, hi) of the sorted ``x`` with |x_j - x_i| <= radius_i + tol, for every i (i included)."""
    return exact_window(x, x, radius + tol)


def exact_window(x: np.ndarray, q: np.ndarray, r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """[lo, hi) of the sorted ``x`` holding exactly the x_j with |x_j - q_i| <= r_i, for each query i.

    A first ``searchsorted`` on q - r and q + r can be off by rounding; each boundary is then moved
    by whole blocks of equal values until the exact rule holds (a block of equal values is all in
    or all out).
    """
    m = x.shape[0]
    lo = np.searchsorted(x, q - r, side="left")
    hi = np.searchsorted(x, q + r, side="right")
    for _ in range(4):
        changed = False
        inner = (lo < m) & (lo < hi)
        out_l = inner & (np.abs(x[np.minimum(lo, m - 1)] - q) > r)
        if out_l.any():
            lo[out_l] = np.searchsorted(x, x[lo[out_l]], side="right")
            changed = True
        in_l = (lo > 0) & (np.abs(x[np.maximum(lo - 1, 0)] - q) <= r)
        if in_l.any():
            lo[in_l] = np.searchsorted(x, x[lo[in_l] - 1], side="left")
            changed = True
        inner = (hi > 0) & (hi > lo)
        out_h = inner & (np.abs(x[np.maximum(hi - 1, 0)] - q) > r)
        if out_h.any():
            hi[out_h] = np.searchsorted(x, x[hi[out_h] - 1], side="left")
            changed = True
        in_h = (hi < m) & (np.abs(x[np.minimum(hi, m - 1)] - q) <= r)
        if in_h.any():
            hi[in_h] = np.searchsorted(x, x[hi[in_h]], side="right")
            changed = True
        if not changed:
            break
    hi = np.maximum(hi, lo)
    return lo.astype(np.int64), hi.astype(np.int64)


def abadie_imbens_variance(
    own: np.ndarray, tau: np.ndarray, estimate: float, k: np.ndarray, kk: np.ndarray, sigma2: np.ndarray
) -> float:
    """Abadie & Imbens (2006) variance of a matching estimator, any estimand, any set sizes.

    The estimator is tau_hat = (1/N) sum_{i in own} tau_i, where tau_i = +-(Y_i - mean of its
    matches) is the (possibly bias-corrected) effect imputed for unit i and N = #own. Writing
    tau_hat = (1/N) sum_j (2 D_j - 1) (own_j + K_j) Y_j, with K_j = sum over the sets containing j
    of 1/size and KK_j the same sum of 1/size^2:

        V = [ sum_{i in own} (tau_i - tau_hat)^2 + sum_j (K_j^2 + 2 own_j K_j - KK_j) sigma_j^2 ] / N^2.

    The first sum estimates the variance of the unit effects plus sum_j (own_j + KK_j) sigma_j^2,
    the second adds what is missing to reach sum_j (own_j + K_j)^2 sigma_j^2. For the ATT
    (own = matched treated units, never used as matches) it is AI's V^{E} with K^2 - KK; for the
    ATE, with every unit own, their K^2 + 2K - K/M for M matches without ties.
    """
    n_own = int(own.sum())
    first = float(np.sum((tau[own] - estimate) ** 2))
    w = k * k + 2.0 * own * k - kk
    second = float(np.sum(np.where(w != 0, w * sigma2, 0.0)))
    return (first + second) / n_own**2


def total_usage(sets: Mapping[str, MatchSets], n: int) -> tuple[np.ndarray, np.ndarray]:
    """(K, KK): over all matched sets, sum of 1/size and of 1/size^2 for each unit used as a match."""
    k = np.zeros(n)
    kk = np.zeros(n)
    for s in sets.values():
        a, b = s.usage()
        k += a
        kk += b
    return k, kk
