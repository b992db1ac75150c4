"""Mahalanobis matching: nearest neighbours in the Mahalanobis metric, within a caliper on the score.

As MatchIt (>= 4.4) does, the covariance is pooled within the arms; candidates are the eligible
units of the other arm within the caliper on the logit propensity score (and in the same
exact-matching cell), and among them the nearest in the metric are the matches, ties going to the
first control in data order (or, with ``ties``, every candidate as close as the ``ratio``-th
nearest is kept). :func:`mahalanobis_space` maps the covariates so that Euclidean distance is the
Mahalanobis distance; :func:`mahalanobis_match` and :func:`mahalanobis_sets` search in it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import DataError
from ._arguments import FUNC
from ._nearest import NO_MATCH, stable_argsort
from ._sets import ListSets, MatchSets, sets_from_matrix

__all__ = ["mahalanobis_match", "mahalanobis_sets", "mahalanobis_space"]


def mahalanobis_space(data: pd.DataFrame, columns: list[str], treat: np.ndarray, eligible: np.ndarray) -> np.ndarray:
    """Covariates transformed so Euclidean distance = Mahalanobis distance (pooled within-arm covariance).

    The covariance is MatchIt's: covariates centred within each arm, cross-products divided by
    n - 2, over the units not discarded; a singular covariance uses its pseudo-inverse.
    """
    frame = data[columns]
    cat = [c for c in columns if not pd.api.types.is_numeric_dtype(frame[c]) or pd.api.types.is_bool_dtype(frame[c])]
    if cat:
        frame = pd.get_dummies(frame, columns=cat, drop_first=True, dtype=float)
    x = frame.to_numpy(dtype=float)
    keep = np.ptp(x[eligible], axis=0) > 1e-8 if x.shape[0] else np.ones(x.shape[1], bool)
    x = x[:, keep]
    if x.shape[1] == 0:
        raise DataError(f"{FUNC}(): the Mahalanobis covariates {columns} are constant among the units kept.")
    xe = x[eligible]
    te = treat[eligible]
    centred = xe.copy()
    for arm in (True, False):
        centred[te == arm] -= xe[te == arm].mean(axis=0)
    cov = centred.T @ centred / max(xe.shape[0] - 2, 1)
    vals, vecs = np.linalg.eigh(cov)
    tol = vals.max() * 1e-10
    inv_sqrt = np.where(vals > tol, 1.0 / np.sqrt(np.where(vals > tol, vals, 1.0)), 0.0)
    return x @ (vecs * inv_sqrt)


def mahalanobis_sets(
    z: np.ndarray,
    score: np.ndarray,
    focal: np.ndarray,
    eligible: np.ndarray,
    ratio: int,
    caliper: float | None,
    strata: np.ndarray | None,
    ties: bool,
) -> MatchSets:
    """Mahalanobis matching with replacement as matched sets (ties kept when ``ties``).

    Candidates: eligible units of the other arm within the caliper on ``score`` (and the stratum);
    matches: the ``ratio`` nearest in the Mahalanobis metric, ties to the earlier data row, or with
    ``ties`` every candidate as close as the ``ratio``-th nearest.
    """
    n = score.shape[0]
    focal_rows = np.flatnonzero(focal)
    if not ties:
        mm = mahalanobis_match(z, score, focal, eligible, np.arange(focal_rows.shape[0]), ratio, True, caliper, strata)
        return sets_from_matrix(mm, focal_rows, n)
    ctrl = np.flatnonzero(~focal & eligible)
    ctrl = ctrl[stable_argsort(score[ctrl])]
    cs = score[ctrl]
    cal = np.inf if caliper is None else caliper
    sizes = np.zeros(focal_rows.shape[0], dtype=np.int64)
    chunks: list[np.ndarray] = []
    for p, t in enumerate(focal_rows.tolist()):
        if not eligible[t]:
            continue
        if np.isfinite(cal):
            lo = int(np.searchsorted(cs, score[t] - cal, side="left"))
            hi = int(np.searchsorted(cs, score[t] + cal, side="right"))
        else:
            lo, hi = 0, cs.shape[0]
        ok = np.abs(cs[lo:hi] - score[t]) <= cal
        if strata is not None:
            ok &= strata[ctrl[lo:hi]] == strata[t]
        rows = ctrl[lo:hi][ok]
        if rows.size == 0:
            continue
        d2 = np.sum((z[rows] - z[t]) ** 2, axis=1)
        kth = np.partition(d2, min(ratio, d2.size) - 1)[min(ratio, d2.size) - 1]
        keep = rows[d2 <= kth + 64 * np.finfo(float).eps * max(float(d2.max()), 1.0)]
        keep.sort()
        sizes[p] = keep.size
        chunks.append(keep)
    indptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    indices = np.concatenate(chunks).astype(np.int64) if chunks else np.zeros(0, dtype=np.int64)
    return ListSets(focal=focal_rows, n=n, indptr=indptr, indices=indices)


def mahalanobis_match(
    z: np.ndarray,
    score: np.ndarray,
    focal: np.ndarray,
    eligible: np.ndarray,
    order: np.ndarray,
    ratio: int,
    replace: bool,
    caliper: float | None,
    strata: np.ndarray | None,
) -> np.ndarray:
    """Greedy Mahalanobis matching within a caliper on ``score``; ties to the first control in data order.

    Without replacement, rounds as for the 1-D search; with replacement, the k nearest at once.
    Cost: O(n_focal x controls within the caliper x covariates).
    """
    focal_rows = np.flatnonzero(focal)
    nf = focal_rows.shape[0]
    out = np.full((nf, ratio), NO_MATCH, dtype=np.int64)
    ctrl = np.flatnonzero(~focal & eligible)
    ctrl = ctrl[stable_argsort(score[ctrl])]
    cs = score[ctrl]
    avail = np.ones(ctrl.shape[0], dtype=bool)
    active = eligible[focal_rows].copy()
    cal = np.inf if caliper is None else caliper
    st = strata if strata is not None else None
    for r in range(1 if replace else ratio):
        for p in np.asarray(order).tolist():
            if not active[p]:
                continue
            t = focal_rows[p]
            if np.isfinite(cal):
                lo = int(np.searchsorted(cs, score[t] - cal, side="left"))
                hi = int(np.searchsorted(cs, score[t] + cal, side="right"))
            else:
                lo, hi = 0, cs.shape[0]
            idx = np.arange(lo, hi)
            ok = np.abs(cs[lo:hi] - score[t]) <= cal
            if not replace:
                ok &= avail[lo:hi]
            if st is not None:
                ok &= st[ctrl[lo:hi]] == st[t]
            idx = idx[ok]
            if idx.size == 0:
                active[p] = False
                continue
            rows = ctrl[idx]
            d2 = np.sum((z[rows] - z[t]) ** 2, axis=1)
            if replace:
                pick = np.lexsort((rows, d2))[:ratio]
                out[p, : pick.size] = rows[pick]
            else:
                best = np.flatnonzero(d2 == d2.min())
                j = best[np.argmin(rows[best])]
                out[p, r] = rows[j]
                avail[idx[j]] = False
    return out
