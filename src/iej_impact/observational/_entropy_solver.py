"""Entropy balancing's weights: the balance constraints, the convex dual solved by Newton's method, and
the diagnosis of moment conditions that cannot be met.

Hainmueller (2012): the weights of the arm being reweighted minimise the Kullback-Leibler divergence
``sum_i w_i log(w_i / q_i)`` from base weights q (the sampling weights, normalised; equal weights
without them) subject to ``sum_i w_i = 1`` and ``sum_i w_i c(X_i) = t``, the target moments. The
solution is ``w_i = q_i exp(lambda' c_i) / sum_j q_j exp(lambda' c_j)``, with lambda the minimiser of
the convex dual

    f(lambda) = log sum_i q_i exp(lambda' (c_i - t)),

whose gradient is the imbalance ``sum_i w_i (c_i - t)`` and whose Hessian is the weighted covariance
matrix of c. :func:`solve_dual` minimises it by Newton's method with a backtracking (Armijo) line
search, on constraint columns centred and scaled so that the tolerance reads as a largest absolute
standardized imbalance.

The dual has a minimiser exactly when t lies in the relative interior of the convex hull of the
arm's c_i (every weight strictly positive). Otherwise :func:`infeasible_error` says why, naming the
constraints: a target outside a column's range in the arm (a treated mean above every control's
value, a category absent among controls), on the edge of the range (reachable only with zero weight
on some units), or jointly out of reach (a linear program finds the closest attainable moments).

References
----------
Hainmueller, J. (2012). Entropy balancing for causal effects: a multivariate reweighting method to
produce balanced samples in observational studies. Political Analysis 20(1), 25-46.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize, special

from .._mestimation import check_gram, weighted_gram
from ..errors import EstimationError

__all__ = [
    "Constraints", "DualSolution", "check_constraints", "constraint_matrix", "hull_error", "range_error", "solve_dual",
]

#: the Armijo constant of the line search and the smallest step tried
_ARMIJO = 1e-4
_MIN_STEP = 2.0**-40


@dataclass(frozen=True, eq=False)
class Constraints:
    """The balance constraints: columns c(X) (moments of the design's columns), raw and standardized.

    ``raw`` are the moments on the covariates' own scale (x, x^2, x^3 of the design columns);
    ``std`` the same columns centred and scaled by their mean and SD over all units (balance does
    not change under such affine maps, and Newton's steps are well conditioned whatever the units).
    """

    names: tuple[str, ...]
    raw: np.ndarray = field(repr=False)
    std: np.ndarray = field(repr=False)
    centre: np.ndarray = field(repr=False)
    scale: np.ndarray = field(repr=False)


def constraint_matrix(x: np.ndarray, names: Sequence[str], moments: int) -> Constraints:
    """c(X): the design columns, and with ``moments`` 2 or 3 the squares (and cubes) of those that take
    more than 2 (3) distinct values (for a 0/1 column x^2 = x; with 3 values x^3 is a combination of 1,
    x and x^2). Powers are taken of the standardized column, which spans the same moments as the raw
    powers; ``raw`` keeps the raw powers for the balance report."""
    cols = [x[:, j] for j in range(x.shape[1])]
    raw_cols = list(cols)
    out_names = list(names)
    for power in range(2, moments + 1):  # the means first, then the second moments, then the third
        for j, name in enumerate(names):
            v = x[:, j]
            if np.unique(v).size > power:
                sd = float(np.std(v))
                cols.append(((v - float(np.mean(v))) / (sd if sd > 0 else 1.0)) ** power)
                raw_cols.append(v**power)
                out_names.append(f"{name}^{power}")
    mat = np.column_stack(cols) if cols else np.zeros((x.shape[0], 0))
    centre = mat.mean(axis=0)
    scale = mat.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    raw = np.column_stack(raw_cols) if raw_cols else mat
    return Constraints(names=tuple(out_names), raw=raw, std=(mat - centre) / scale, centre=centre, scale=scale)


@dataclass(frozen=True, eq=False)
class DualSolution:
    """The solution of the dual for one arm (internal): lambda on the standardized columns, the weights
    (summing to 1 over the arm), the imbalance left (standardized) and the iterations."""

    lam: np.ndarray
    weights: np.ndarray = field(repr=False)
    imbalance: np.ndarray
    iterations: int
    converged: bool
    objective: float


def _dual_state(dev: np.ndarray, logq: np.ndarray, lam: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """(f(lambda), weights, gradient) with f = log sum q exp(lambda' dev) computed stably."""
    eta = logq + dev @ lam
    lse = float(special.logsumexp(eta))
    w = np.exp(eta - lse)
    return lse, w, dev.T @ w


def solve_dual(
    c: np.ndarray, q: np.ndarray, target: np.ndarray, *, tol: float, max_iter: int
) -> DualSolution:
    """Minimise f(lambda) = log sum_i q_i exp(lambda' (c_i - target)) by Newton's method.

    ``c`` (m, k): the standardized constraint columns of the arm reweighted; ``q`` (m,) its base
    weights (> 0); ``target`` (k,). Each step solves ``H step = -g`` (H the weighted covariance of c,
    g the imbalance) and is halved until the Armijo condition ``f(new) <= f + 1e-4 t g'step`` holds;
    near the optimum, where f no longer changes to machine precision, a step that reduces the
    imbalance is taken. Converged when ``max_j |g_j| <= tol``.
    """
    dev = c - target
    logq = np.log(q / q.sum())
    lam = np.zeros(c.shape[1])
    f, w, g = _dual_state(dev, logq, lam)
    converged = bool(np.max(np.abs(g), initial=0.0) <= tol)
    it = 0
    while not converged and it < max_iter:
        it += 1
        dw = dev * np.sqrt(w)[:, None]
        hess = dw.T @ dw - np.outer(g, g)
        try:
            step = np.linalg.solve(hess, -g)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(hess, -g, rcond=None)[0]
        slope = float(g @ step)
        if not np.all(np.isfinite(step)) or slope >= 0:
            break
        t, accepted = 1.0, None
        while t >= _MIN_STEP:
            cand = lam + t * step
            f_c, w_c, g_c = _dual_state(dev, logq, cand)
            if np.isfinite(f_c) and f_c <= f + _ARMIJO * t * slope:
                accepted = (cand, f_c, w_c, g_c)
                break
            if np.isfinite(f_c) and abs(f_c - f) <= 1e-14 * (1.0 + abs(f)) and (
                    np.max(np.abs(g_c)) < np.max(np.abs(g))):
                accepted = (cand, f_c, w_c, g_c)  # f flat to rounding: accept a step that still reduces the imbalance
                break
            t *= 0.5
        if accepted is None:
            break
        lam, f, w, g = accepted
        converged = bool(np.max(np.abs(g)) <= tol)
    return DualSolution(lam=lam, weights=w, imbalance=g, iterations=it, converged=converged, objective=f)


def check_constraints(c: Constraints, rows: np.ndarray, q: np.ndarray, func: str, arm: str) -> None:
    """Collinear constraints (or one constant in the arm) make the dual's Hessian singular: name them."""
    z = np.column_stack([np.ones(int(rows.sum())), c.std[rows]])
    check_gram(weighted_gram(z, q), list(c.names), func, f"set of balance constraints among the {arm} units")


def _fix(arm: str) -> str:
    return (f"Drop or coarsen these covariates, use moments=1, or restrict the sample to {arm} units comparable "
            "with the target (common support).")


def range_error(
    c: Constraints, rows: np.ndarray, target: np.ndarray, func: str, arm: str, target_text: str
) -> EstimationError | None:
    """The error for target moments outside (or on the edge of) a constraint column's range among the
    arm's units; None when every target is strictly inside. Columns constant in the arm are left to
    :func:`check_constraints` (they have no range to reweight)."""
    cs = c.std[rows]
    lo, hi = cs.min(axis=0), cs.max(axis=0)
    tiny = 1e-12
    varies = hi - lo > tiny
    outside = [(j, "below the smallest" if target[j] < lo[j] else "above the largest")
               for j in range(cs.shape[1]) if target[j] < lo[j] - tiny or target[j] > hi[j] + tiny]
    edge = [j for j in range(cs.shape[1])
            if varies[j] and (abs(target[j] - lo[j]) <= tiny or abs(target[j] - hi[j]) <= tiny)]
    if outside:
        what = "; ".join(f"'{c.names[j]}' = {_raw(c, j, target[j]):.6g} is {side} value among the {arm} units "
                         f"({_raw(c, j, lo[j] if side.startswith('below') else hi[j]):.6g})" for j, side in outside[:6])
        return EstimationError(
            f"{func}(): the balance constraints cannot be met: the {target_text} lie outside the range of the {arm} "
            f"units for {len(outside)} constraint(s): {what}. No weighting of the {arm} units reaches them. "
            + _fix(arm)
        )
    if edge:
        what = ", ".join(f"'{c.names[j]}' = {_raw(c, j, target[j]):.6g}" for j in edge[:6])
        return EstimationError(
            f"{func}(): the balance constraints cannot be met with positive weights: the {target_text} sit on the "
            f"edge of the {arm} units' range for {what} (only {arm} units at that extreme value could carry weight; "
            f"e.g. a category every target unit is in). " + _fix(arm)
        )
    return None


def hull_error(
    c: Constraints, rows: np.ndarray, target: np.ndarray, func: str, arm: str, target_text: str, sol: DualSolution
) -> EstimationError | None:
    """After the Newton iterations failed: the error saying the target lies outside the convex hull of the
    arm's constraint columns (a linear program finds the closest attainable moments and names the
    constraints still missed), or on its boundary (reachable only with some weights zero: a second
    program finds no weighting whose smallest weight is positive); None when the target lies inside
    (the iterations simply ran out)."""
    cs = c.std[rows]
    residual = _closest_attainable(cs, target)
    if residual is None:
        return None
    bad = np.flatnonzero(np.abs(residual) > 1e-7)
    if bad.size == 0:
        margin = _interior_margin(cs, target)
        if margin is None or margin * cs.shape[0] > 1e-9:
            return None
        big = np.argsort(-np.abs(sol.lam))[: min(4, sol.lam.size)]
        what = ", ".join(f"'{c.names[j]}'" for j in big)
        return EstimationError(
            f"{func}(): the balance constraints can be met only by giving some {arm} units zero weight: the "
            f"{target_text} lie on the boundary of what the {arm} units can reach (the Newton iterations diverge "
            f"along {what}). " + _fix(arm)
        )
    what = "; ".join(f"'{c.names[j]}' off by {residual[j]:+.3g} SD" for j in bad[:6])
    return EstimationError(
        f"{func}(): the balance constraints cannot be met jointly: each covariate is within the {arm} units' "
        f"range, but no weighting of the {arm} units matches the {target_text} on all of them at once (the "
        f"{target_text} lie outside the convex hull of the {arm} units). The closest attainable moments still miss: "
        f"{what}. " + _fix(arm)
    )


def _raw(c: Constraints, j: int, v: float) -> float:
    """A standardized value of column j on the column's own scale."""
    return float(v * c.scale[j] + c.centre[j])


def _interior_margin(cs: np.ndarray, target: np.ndarray) -> float | None:
    """The largest smallest weight of a weighting that meets the target exactly (a linear program in
    w = tau + v, v >= 0: maximise tau subject to c'(tau 1 + v) = target and m tau + sum v = 1); 0 on the
    boundary of the convex hull. None if the solver fails."""
    m, k = cs.shape
    cost = np.concatenate([np.zeros(m), [-1.0]])
    a_eq = np.zeros((k + 1, m + 1))
    a_eq[:k, :m] = cs.T
    a_eq[:k, m] = cs.sum(axis=0)
    a_eq[k, :m] = 1.0
    a_eq[k, m] = m
    res = optimize.linprog(cost, A_eq=a_eq, b_eq=np.concatenate([target, [1.0]]), bounds=(0, None), method="highs")
    return float(res.x[m]) if res.status == 0 else None


def _closest_attainable(cs: np.ndarray, target: np.ndarray) -> np.ndarray | None:
    """``sum_i w_i c_i - target`` at the weights of the simplex that minimise its L1 norm (a linear
    program: w >= 0, sum w = 1, c'w - target = u - v, u, v >= 0, minimise sum(u + v)); None if the
    solver fails."""
    m, k = cs.shape
    cost = np.concatenate([np.zeros(m), np.ones(2 * k)])
    a_eq = np.zeros((k + 1, m + 2 * k))
    a_eq[:k, :m] = cs.T
    a_eq[:k, m:m + k] = -np.eye(k)
    a_eq[:k, m + k:] = np.eye(k)
    a_eq[k, :m] = 1.0
    b_eq = np.concatenate([target, [1.0]])
    res = optimize.linprog(cost, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
    if res.status != 0:
        return None
    x = res.x
    return x[m:m + k] - x[m + k:]
