"""The event study without covariates from per-cohort moments: no row-level regression pass.

On a balanced panel the event-time dummies D of a unit depend only on its cohort c and the period
t, and so does their two-way within transformation, z_ct = D_ct - mean_t D_ct - mean_c D_ct + mean D
(means weighted by the units of each cohort). Since z sums to zero over the periods of a unit and
over the units of a period, with a_c = sum of the (shifted) outcomes of cohort c's units (a T-vector)
and C_c = the sum of their outer products (T x T):

* X'X = sum_c n_c Z_c' Z_c and X'y = sum_c Z_c' a_c (Z_c: the T x K matrix of cohort c), so b;
* a unit's score sum_t z_ct e_it = Z_c' y_i - q_c with q_c = Z_c' abar + Z_c' Z_c b (abar: the
  period means of the shifted outcomes), so the unit-clustered meat is
  sum_c [Z_c' C_c Z_c - Z_c' a_c q_c' - q_c a_c' Z_c + n_c q_c q_c'];
* for HC1, the sums of squared residuals by (cohort, period) cell follow from C_c and a_c too.

These are the moments :func:`iej_impact.engines._moments.collect` gathers for the staggered DiD
(one pass over the rows, T(T+1)/2 sums per cohort), so the event study costs that pass instead of
the three demeaning scans of :mod:`._sql_event` (which remain for covariates and other clusters).
The result equals the in-memory :func:`~iej_impact.diff_in_diff.event_study` to rounding.

Reference: Wooldridge, J. (2010). Econometric Analysis of Cross Section and Panel Data, 2nd ed.,
section 10.5 (fixed effects, the within transformation of a balanced panel).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import DataError, EstimationError
from ._moments import CohortMoments

__all__ = ["event_design", "moments_fit"]


def event_design(mom: CohortMoments, levels: Sequence[int], window: tuple[int, int], *, time: str,
                 cohort: str, func: str) -> tuple[np.ndarray, dict[int, int]]:
    """(D: cohorts x T x K event-time dummies, the end points binned; treated rows per binned event time)."""
    lo, hi = window
    n_c, n_t = len(mom.cohort), len(mom.periods)
    dummies = np.zeros((n_c, n_t, len(levels)))
    counts = {k: 0 for k in range(lo, hi + 1)}
    for c, g in enumerate(mom.cohort):
        if np.isnan(g):
            continue
        e = mom.periods - g
        if np.any(np.abs(e - np.round(e)) > 1e-9):
            raise DataError(f"{func}(): event times {time} - {cohort} must be whole numbers of periods.",
                            column=cohort)
        binned = np.clip(np.round(e), lo, hi)
        for j, k in enumerate(levels):
            dummies[c, :, j] = binned == k
        for k in range(lo, hi + 1):
            counts[k] += int(mom.n[c]) * int(np.sum(binned == k))
    return dummies, counts


def moments_fit(mom: CohortMoments, dummies: np.ndarray, *, clustered: bool
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """(b, (X'X)^-1, the meat (unit clusters, or HC1 rows), the number of clusters) of the regression
    of the outcome on the two-way demeaned ``dummies``."""
    n = mom.n
    big_n = float(n.sum())
    n_t = len(mom.periods)
    unit_mean = dummies.mean(axis=1, keepdims=True)  # (C, 1, K)
    period_mean = np.einsum("c,ctk->tk", n, dummies) / big_n  # (T, K)
    grand = period_mean.mean(axis=0)
    z = dummies - unit_mean - period_mean[None] + grand  # (C, T, K)
    xtx = np.einsum("c,ctk,ctl->kl", n, z, z)
    if np.linalg.cond(xtx) > 1e12:
        raise EstimationError("the regressors are collinear once unit and period effects are removed (a regressor "
                              "constant within unit or within period?); drop it.")
    xtx_inv = np.linalg.inv(xtx)
    a = mom.a  # (C, T): sums of the shifted outcomes
    coef = xtx_inv @ np.einsum("ctk,ct->k", z, a)
    abar = a.sum(axis=0) / big_n  # period means of the shifted outcomes
    zz = np.einsum("ctk,ctl->ckl", z, z)  # Z_c' Z_c
    if clustered:
        q = z.transpose(0, 2, 1) @ abar + zz @ coef  # (C, K)
        za = np.einsum("ctk,ct->ck", z, a)  # Z_c' a_c
        meat = (np.einsum("ctk,cts,csl->kl", z, mom.c, z) - np.einsum("ck,cl->kl", za, q)
                - np.einsum("ck,cl->kl", q, za) + np.einsum("c,ck,cl->kl", n, q, q))
        return coef, xtx_inv, meat, int(big_n)
    # HC1: the squared residuals summed by (cohort, period) cell, e_it = ys_it - mean_s ys_is - r_ct
    r = (abar - abar.mean())[None, :] + z @ coef  # (C, T)
    diag = np.einsum("ctt->ct", mom.c)
    row_mean = mom.c.sum(axis=2) / n_t  # sum_i ys_it ybar_i
    all_mean = mom.c.sum(axis=(1, 2)) / n_t**2  # sum_i ybar_i^2
    centred = a - a.sum(axis=1, keepdims=True) / n_t  # sum_i (ys_it - ybar_i)
    sq = diag - 2.0 * row_mean + all_mean[:, None] - 2.0 * r * centred + n[:, None] * r * r
    meat = np.einsum("ctk,ct,ctl->kl", z, sq, z)
    return coef, xtx_inv, meat, int(big_n) * n_t
