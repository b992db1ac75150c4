"""Matching weights (MatchIt's), from match matrices, matched sets, subclasses, radii and kernels.

The rules are stated in :mod:`iej_impact.matching._match` (Weights, ``radius``, ``kernel``): the
focal units with a match weigh 1, the other arm the sum of their shares of the focal units they
serve, rescaled; unmatched and discarded units 0. Radius matching is Dehejia & Wahba's (2002),
kernel matching Heckman, Ichimura & Todd's (1997).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ._nearest import stable_argsort
from ._sets import MatchSets, total_usage

__all__ = [
    "kernel_weights",
    "own_mask",
    "radius_weights",
    "subclass_weights",
    "weights_from_matrix",
    "weights_from_sets",
]

#: Gaussian kernel terms beyond this many bandwidths are dropped (below 1.3e-14 of the peak)
_GAUSS_SUPPORT = 8.0


def weights_from_matrix(mm: np.ndarray, focal: np.ndarray, n: int) -> np.ndarray:
    """MatchIt's weights from a match matrix: focal 1, controls sum of 1/k_i, rescaled."""
    focal_rows = np.flatnonzero(focal)
    k = (mm >= 0).sum(axis=1)
    w = np.zeros(n)
    has = k > 0
    w[focal_rows[has]] = 1.0
    rows, cols = np.nonzero(mm >= 0)
    np.add.at(w, mm[rows, cols], 1.0 / k[rows])
    return _rescale_controls(w, focal)


def weights_from_sets(sets: Mapping[str, MatchSets], treat: np.ndarray, estimand: str) -> np.ndarray:
    """Matching weights from matched sets.

    ATE: 1 (if the unit is matched) + K, K = sum of 1/size over the sets the unit belongs to, so
    that the weighted difference in means is the matching estimator. ATT/ATC: MatchIt's weights
    (focal units 1, the other arm K rescaled to sum to its number of matched units).
    """
    n = treat.shape[0]
    own = own_mask(sets, n)
    k, _ = total_usage(sets, n)
    w = own.astype(float) + k
    if estimand == "ATE":
        return w
    focal = ~treat if estimand == "ATC" else treat
    w[focal] = own[focal].astype(float)
    return _rescale_controls(w, focal)


def own_mask(sets: Mapping[str, MatchSets] | None, n: int) -> np.ndarray:
    """(n,) bool: units whose own counterfactual is imputed (focal units with at least one match)."""
    own = np.zeros(n, dtype=bool)
    for s in (sets or {}).values():
        own[s.focal[s.matched]] = True
    return own


def _rescale_controls(w: np.ndarray, focal: np.ndarray) -> np.ndarray:
    """Scale the other arm's positive weights (in place) to sum to their number."""
    ctrl = ~focal & (w > 0)
    total = w[ctrl].sum()
    if total > 0:
        w[ctrl] *= ctrl.sum() / total
    return w


def subclass_weights(sub: np.ndarray, treat: np.ndarray, estimand: str) -> np.ndarray:
    """MatchIt's subclassification weights (stratum propensity p_s: ATT controls p/(1-p), etc.)."""
    n = sub.shape[0]
    w = np.zeros(n)
    inc = sub > 0
    s = int(sub.max())
    n1 = np.bincount(sub[inc & treat], minlength=s + 1).astype(float)
    n0 = np.bincount(sub[inc & ~treat], minlength=s + 1).astype(float)
    i1 = inc & treat
    i0 = inc & ~treat
    with np.errstate(divide="ignore", invalid="ignore"):
        if estimand == "ATT":
            w[i1] = 1.0
            w[i0] = (n1 / n0)[sub[i0]]
            w[i0] *= i0.sum() / w[i0].sum()
        elif estimand == "ATC":
            w[i0] = 1.0
            w[i1] = (n0 / n1)[sub[i1]]
            w[i1] *= i1.sum() / w[i1].sum()
        else:
            tot = n1 + n0
            w[i1] = (tot / n1)[sub[i1]]
            w[i0] = (tot / n0)[sub[i0]]
            w[i1] *= i1.sum() / w[i1].sum()
            w[i0] *= i0.sum() / w[i0].sum()
    return w


def radius_weights(
    dist: np.ndarray, focal: np.ndarray, eligible: np.ndarray, radius: float, strata: np.ndarray | None
) -> np.ndarray:
    """Radius matching: each focal unit's matches are all controls with |d_i - d_j| <= radius."""
    n = dist.shape[0]
    w = np.zeros(n)
    for rows in _groups(strata, n):
        f = rows[focal[rows] & eligible[rows]]
        c = rows[~focal[rows] & eligible[rows]]
        if f.size == 0 or c.size == 0:
            continue
        c = c[stable_argsort(dist[c])]
        cd = dist[c]
        df = dist[f]
        lo = np.searchsorted(cd, df - radius, side="left")
        hi = np.searchsorted(cd, df + radius, side="right")
        # guard the float boundary so that membership is exactly |d_i - d_j| <= radius
        lo = _fix_bounds_left(cd, df, lo, radius)
        hi = _fix_bounds_right(cd, df, hi, radius)
        cnt = hi - lo
        has = cnt > 0
        w[f[has]] = 1.0
        acc = np.zeros(c.size + 1)
        np.add.at(acc, lo[has], 1.0 / cnt[has])
        np.add.at(acc, hi[has], -1.0 / cnt[has])
        w[c] += np.cumsum(acc)[:-1]
    w[~focal & (w < 1e-12)] = 0.0
    return _rescale_controls(w, focal)


def _fix_bounds_left(cd: np.ndarray, df: np.ndarray, lo: np.ndarray, r: float) -> np.ndarray:
    """Move the left ends ``lo`` of the windows so that exactly the controls with |d_i - d_j| <= r are in."""
    lo = lo.copy()
    m = cd.shape[0]
    for _ in range(3):
        down = (lo > 0) & (np.abs(df - cd[np.maximum(lo - 1, 0)]) <= r)
        up = (lo < m) & (np.abs(df - cd[np.minimum(lo, m - 1)]) > r) & (cd[np.minimum(lo, m - 1)] < df)
        if not (down.any() or up.any()):
            break
        lo = lo - down + up
    return lo


def _fix_bounds_right(cd: np.ndarray, df: np.ndarray, hi: np.ndarray, r: float) -> np.ndarray:
    """Move the right ends ``hi`` of the windows, as :func:`_fix_bounds_left` the left ones."""
    hi = hi.copy()
    m = cd.shape[0]
    for _ in range(3):
        up = (hi < m) & (np.abs(cd[np.minimum(hi, m - 1)] - df) <= r)
        down = (hi > 0) & (np.abs(cd[np.maximum(hi - 1, 0)] - df) > r) & (cd[np.maximum(hi - 1, 0)] > df)
        if not (down.any() or up.any()):
            break
        hi = hi + up - down
    return hi


def kernel_weights(
    dist: np.ndarray,
    focal: np.ndarray,
    eligible: np.ndarray,
    h: float,
    kernel: str,
    strata: np.ndarray | None,
    block: int = 4_000_000,
) -> np.ndarray:
    """Kernel matching weights, computed in blocks of focal units over a sorted window of controls."""
    n = dist.shape[0]
    w = np.zeros(n)
    support = 1.0 if kernel == "epanechnikov" else _GAUSS_SUPPORT
    for rows in _groups(strata, n):
        f = rows[focal[rows] & eligible[rows]]
        c = rows[~focal[rows] & eligible[rows]]
        if f.size == 0 or c.size == 0:
            continue
        f = f[stable_argsort(dist[f])]
        c = c[stable_argsort(dist[c])]
        cd = dist[c]
        df = dist[f]
        lo_all = np.searchsorted(cd, df - support * h, side="left")
        hi_all = np.searchsorted(cd, df + support * h, side="right")
        wc = np.zeros(c.size)
        start = 0
        while start < f.size:
            # grow the block while the dense (block x window) matrix stays small
            stop = start + 1
            while stop < f.size and (stop + 1 - start) * (hi_all[stop] - lo_all[start]) <= block:
                stop += 1
            lo, hi = int(lo_all[start]), int(hi_all[stop - 1])
            if hi > lo:
                u = (cd[None, lo:hi] - df[start:stop, None]) / h
                if kernel == "epanechnikov":
                    k = np.where(np.abs(u) <= 1.0, 0.75 * (1.0 - u * u), 0.0)
                else:
                    k = np.where(np.abs(u) <= support, np.exp(-0.5 * u * u), 0.0)
                tot = k.sum(axis=1)
                has = tot > 0
                w[f[start:stop][has]] = 1.0
                wc[lo:hi] += (k[has] / tot[has, None]).sum(axis=0)
            start = stop
        w[c] += wc
    return _rescale_controls(w, focal)


def _groups(strata: np.ndarray | None, n: int) -> list[np.ndarray]:
    """Row positions of each exact-matching cell (all rows when there are no cells)."""
    if strata is None:
        return [np.arange(n)]
    srt = np.argsort(strata, kind="stable")
    cuts = np.flatnonzero(np.diff(strata[srt])) + 1
    return np.split(srt, cuts)
