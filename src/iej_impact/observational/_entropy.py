"""Entropy balancing (Hainmueller 2012): weights that balance the covariates' moments exactly, and the
effect they estimate, with a standard error that accounts for the estimated weights.

For the ATT the controls are reweighted so that their weighted moments (means; with ``moments=2``
also second moments, so variances; with 3 third moments) equal the treated units' exactly, and the
weights stay as close as possible, in Kullback-Leibler divergence, to the base weights (the sampling
weights, or equal weights): ``w_i = q_i exp(lambda' c(X_i)) / sum_j q_j exp(lambda' c(X_j))`` with
lambda the solution of the convex dual (:mod:`iej_impact.observational._entropy_solver`). The ATC
swaps the arms; the ATE reweights each arm to the moments of the whole sample. The effect is the
difference of the arms' weighted mean outcomes.

Standard error: entropy balancing is an M-estimator. Its estimating equations, per unit i with
sampling weight s_i (1 without), for the ATT,

    D_i s_i (c_i - mu) = 0                                   (mu: the target moments)
    (1 - D_i) s_i exp(lambda' c_i) (c_i - mu) = 0             (lambda: the dual's first-order conditions)
    D_i s_i (Y_i - nu_1) = 0,   (1 - D_i) s_i exp(lambda' c_i) (Y_i - nu_0) = 0,   tau = nu_1 - nu_0,

are stacked and linearised (the sandwich). Solving the linearisation gives the influence function

    psi_i = n s_i D_i / S_1 [(Y_i - nu_1) - beta'(c_i - mu)] - n w_i (1 - D_i) [(Y_i - nu_0) - beta'(c_i - mu)],

S_1 = sum of the treated units' s_i, w the normalised control weights and beta the slope of the
w-weighted least-squares regression of Y on c among controls (the derivative of the balancing
equation in lambda is the weighted covariance of c; that of the outcome equation the weighted
covariance of c and Y). This is the form Zhao & Percival (2017) derive: entropy balancing is
doubly robust (consistent if either the controls' outcome is linear in c or the odds of treatment
are log-linear in c), and its variance is that of the residuals of that regression. For a
reweighted arm a in general, ``psi^{nu_a}_i = n w^a_i [(Y_i - nu_a) - beta_a'(c_i - mu)] + beta_a'
psi^mu_i`` with ``psi^mu_i = n s_i t_i (c_i - mu) / S_t`` over the target population t (the treated
for the ATT, everyone for the ATE). Checked against a finite-difference sandwich of the stacked
equations (tests/test_entropy_balancing.py) and by simulation coverage
(tests/test_entropy_balancing_monte_carlo.py).

References
----------
Hainmueller, J. (2012). Entropy balancing for causal effects. Political Analysis 20(1), 25-46.
Zhao, Q. & Percival, D. (2017). Entropy balancing is doubly robust. Journal of Causal Inference 5(1).
Stefanski, L. & Boos, D. (2002). The calculus of M-estimation. The American Statistician 56(1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._params import Interval, constrained
from .._validation import arguments_checked
from ..errors import EstimationError, SpecificationError
from ..inference import InferenceLike
from ..results import EffectResult
from ._entropy_solver import (
    Constraints,
    DualSolution,
    check_constraints,
    constraint_matrix,
    hull_error,
    range_error,
    solve_dual,
)
from ._regression import COMMON_PARAMS, Inputs, balance_diagnostic, finish, prepare, sample_size_table
from ._weighting import weights_summary

__all__ = ["entropy_balancing"]

_FUNC = "entropy_balancing"


@dataclass(frozen=True, eq=False)
class Balanced:
    """The balancing weights of every arm reweighted (internal)."""

    constraints: Constraints
    target: np.ndarray  # standardized target moments mu
    target_rows: np.ndarray = field(repr=False)
    arms: dict[str, tuple[np.ndarray, DualSolution]] = field(repr=False)  # arm -> (rows, solution)


def _arms(inp: Inputs) -> tuple[np.ndarray, dict[str, np.ndarray], str]:
    """(target rows, {arm reweighted: its rows}, how the target is called in messages)."""
    d = inp.d
    if inp.estimand == "ATT":
        return d, {"control": ~d}, "treated units' moments"
    if inp.estimand == "ATC":
        return ~d, {"treated": d}, "control units' moments"
    return np.ones(inp.n, dtype=bool), {"treated": d, "control": ~d}, "whole sample's moments"


def balance(inp: Inputs, cons: Constraints, *, tol: float, max_iter: int) -> Balanced:
    """Solve the dual for every arm reweighted; EstimationError naming the constraints when the target
    moments cannot be met, or when Newton's method does not converge within ``max_iter`` iterations."""
    s = inp.w
    target_rows, arms, target_text = _arms(inp)
    st = s[target_rows]
    target = st @ cons.std[target_rows] / st.sum()
    out: dict[str, tuple[np.ndarray, DualSolution]] = {}
    for arm, rows in arms.items():
        err = range_error(cons, rows, target, inp.func, arm, target_text)
        if err is not None:
            raise err
        check_constraints(cons, rows, s[rows], inp.func, arm)
        sol = solve_dual(cons.std[rows], s[rows], target, tol=tol, max_iter=max_iter)
        if not sol.converged:
            err = hull_error(cons, rows, target, inp.func, arm, target_text, sol)
            if err is not None:
                raise err
            worst = int(np.argmax(np.abs(sol.imbalance)))
            raise EstimationError(
                f"{inp.func}(): Newton's method did not reach the tolerance {tol:g} in {sol.iterations} iterations "
                f"for the {arm} units: the largest standardized imbalance left is {abs(sol.imbalance[worst]):.3g} "
                f"SD on '{cons.names[worst]}'. Increase max_iter or tolerance, or balance fewer moments "
                "(moments=1)."
            )
        out[arm] = (rows, sol)
    return Balanced(constraints=cons, target=target, target_rows=target_rows, arms=out)


def influence(inp: Inputs, bal: Balanced) -> tuple[float, float, np.ndarray, np.ndarray, np.ndarray]:
    """(nu_1, nu_0, psi_1, psi_0, adjustment weights): the arms' weighted means, their influence functions
    (see the module docstring) and each unit's weight relative to its sampling weight (1 in an arm not
    reweighted; in a reweighted arm, scaled to a sampling-weighted mean of 1)."""
    n, s, y = inp.n, inp.w, inp.y
    c = bal.constraints.std
    dev = c - bal.target
    t = bal.target_rows.astype(float)
    psi_mu = n * (s * t)[:, None] * dev / float(np.dot(s, t))
    adjust = np.ones(n)
    results = {}
    for arm, mask in (("treated", inp.d), ("control", ~inp.d)):
        if arm in bal.arms:
            rows, sol = bal.arms[arm]
            wa = np.zeros(n)
            wa[rows] = sol.weights
            nu = float(wa @ y)
            wdev = dev * wa[:, None]
            beta = np.linalg.lstsq(wdev.T @ dev, wdev.T @ (y - nu), rcond=None)[0]
            psi = n * wa * (y - nu - dev @ beta) + psi_mu @ beta
            adjust[rows] = sol.weights * s[rows].sum() / s[rows]
        else:
            sa = s * mask
            nu = float(sa @ y / sa.sum())
            psi = n * sa * (y - nu) / sa.sum()
        results[arm] = (nu, psi)
    (nu1, psi1), (nu0, psi0) = results["treated"], results["control"]
    return nu1, nu0, psi1, psi0, adjust


def _diagnostics(bal: Balanced, moments: int, tol: float) -> dict[str, object]:
    """The solver's record per arm reweighted: convergence, iterations, imbalance left, lambda."""
    names = list(bal.constraints.names)
    per_arm = {}
    for arm, (_, sol) in bal.arms.items():
        per_arm[arm] = {
            "converged": sol.converged,
            "iterations": sol.iterations,
            "max_abs_std_imbalance": float(np.max(np.abs(sol.imbalance), initial=0.0)),
            "dual_objective": sol.objective,
            "lambda_standardized": dict(zip(names, map(float, sol.lam), strict=True)),
        }
    return {"moments": moments, "tolerance": tol, "constraints": names, "arms": per_arm,
            "max_abs_std_imbalance": max(v["max_abs_std_imbalance"] for v in per_arm.values())}


@constrained({**COMMON_PARAMS, "moments": Interval(low=1, high=3, integer=True),
              "tolerance": Interval(0.0, 1e-2, low_open=True), "max_iter": Interval(low=1, integer=True)})
def entropy_balancing(
    data: pd.DataFrame,
    *,
    outcome: str,
    treatment: str,
    covariates: Sequence[str],
    estimand: str = "ATT",
    moments: int = 1,
    weights: str | None = None,
    se: InferenceLike = "robust",
    alpha: float = 0.05,
    tolerance: float = 1e-8,
    max_iter: int = 200,
) -> EffectResult:
    """Entropy-balancing estimate of the ATT (or ATC, ATE): reweight to exact covariate balance.

    Parameters
    ----------
    data : one row per unit.
    outcome : outcome column (numeric; 0/1 for a binary outcome). Missing outcomes are an error.
    treatment : 0/1 treatment column.
    covariates : covariates to balance (text/categorical columns become one dummy per level but the
        first, whose share is then balanced too).
    estimand : "ATT" (default: controls reweighted to the treated units' moments), "ATC" (treated
        units reweighted to the controls') or "ATE" (each arm reweighted to the whole sample's).
    moments : 1 (means, default), 2 (means and second moments, so also the variances) or 3 (and
        third moments) of every covariate with more distinct values than the power.
    weights : optional column of sampling weights (> 0): the base weights the entropy weights stay
        close to, and the weights of the target moments and of the outcome means (the population
        estimand).
    se : "robust" (default) or ``{"type": "clustered", "by": column}``.
    alpha : 1 - confidence level.
    tolerance : the largest absolute imbalance left, in standard deviations (over all units) of each
        balanced column, at which Newton's method stops.
    max_iter : Newton iterations allowed.

    Returns
    -------
    EffectResult with method "entropy_balancing". ``diagnostics``: ``entropy_balancing`` (moments,
    the constraint columns, and per arm reweighted: converged, iterations, the largest standardized
    imbalance left, the dual objective and lambda on the standardized columns),
    ``potential_outcome_means`` (with SEs), ``weights`` (each unit's weight relative to its sampling
    weight: 1 in an arm not reweighted, mean 1 in a reweighted arm), ``weights_summary`` (per arm:
    quantiles, max, Kish ESS, share of the top 1%) and ``balance`` (the balance table before and after
    weighting).

    Raises
    ------
    EstimationError : the target moments cannot be met with positive weights (a target value outside
        or on the edge of a column's range in the arm reweighted, or outside the convex hull of its
        units), naming the covariates; collinear balance constraints; no convergence.

    Notes
    -----
    The weights solve ``min sum w log(w / q)`` subject to ``sum w = 1`` and ``sum w c(X) = target``
    (Hainmueller 2012), through the dual ``min_lambda log sum q exp(lambda'(c - target))``, by
    Newton's method with a backtracking line search. The standard error comes from the influence
    function of the stacked estimating equations (the dual's first-order conditions, the target
    moments and the weighted means; see the module docstring), so it accounts for the estimated
    weights; robust or clustered (G/(G-1)). It equals the variance of the residuals of the weighted
    regression of the outcome on the balanced columns (Zhao & Percival 2017).

    Assumptions: unconfoundedness and overlap; entropy balancing is consistent when either the
    reweighted arm's outcome is linear in the balanced moments or the odds of treatment are
    log-linear in them (double robustness, Zhao & Percival 2017).

    References
    ----------
    Hainmueller, J. (2012). Entropy balancing for causal effects: a multivariate reweighting method
    to produce balanced samples in observational studies. Political Analysis 20(1), 25-46.
    Zhao, Q. & Percival, D. (2017). Entropy balancing is doubly robust. Journal of Causal Inference
    5(1). Stefanski, L. & Boos, D. (2002). The calculus of M-estimation. The American Statistician
    56(1).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3)
    >>> x = rng.normal(size=2000)
    >>> d = (rng.random(2000) < 1 / (1 + np.exp(-x))).astype(int)
    >>> df = pd.DataFrame({"x": x, "d": d, "y": 1 + 2 * x + 0.5 * d + rng.normal(size=2000)})
    >>> res = entropy_balancing(df, outcome="y", treatment="d", covariates=["x"])
    >>> abs(res.estimate - 0.5) < 3 * res.std_error
    True
    """
    inp = prepare(data, func=_FUNC, outcome=outcome, treatment=treatment, covariates=covariates, estimand=estimand,
                  weights=weights, se=se, alpha=alpha)
    if not inp.design.names:
        raise SpecificationError(f"{_FUNC}() needs at least one covariate to balance in 'covariates'.")
    arguments_checked()
    cons = constraint_matrix(inp.design.matrix, inp.design.names, int(moments))
    bal = balance(inp, cons, tol=float(tolerance), max_iter=int(max_iter))
    nu1, nu0, psi1, psi0, adjust = influence(inp, bal)
    used = np.ones(inp.n, dtype=bool)
    final = adjust * inp.w
    sizes = sample_size_table(inp.d, {}, final, used)
    diagnostics: dict[str, object] = {
        "entropy_balancing": _diagnostics(bal, int(moments), float(tolerance)),
        "weights": adjust,
        "weights_summary": weights_summary(final, inp.d, used),
        "balance": balance_diagnostic(inp, adjust),
    }
    arms = " and ".join(f"{a} units" for a in bal.arms)
    what = {1: "means", 2: "means and second moments", 3: "first, second and third moments"}[int(moments)]
    notes = [
        f"Entropy balancing (Hainmueller 2012): the {arms} reweighted so that the {what} of {len(cons.names)} "
        f"balanced columns equal the {_arms(inp)[2]} exactly (largest standardized imbalance left "
        f"{diagnostics['entropy_balancing']['max_abs_std_imbalance']:.2g} SD), with weights as close as possible "  # type: ignore[index]
        f"to the {'sampling' if inp.sw is not None else 'equal'} base weights (Kullback-Leibler). Consistent if the "
        "outcome is linear in the balanced columns or the odds of treatment are log-linear in them (Zhao & "
        "Percival 2017).",
    ]
    spec = {"estimator": _FUNC, "moments": int(moments), "tolerance": float(tolerance), "max_iter": int(max_iter)}
    return finish(inp, method=_FUNC, mu1=nu1, mu0=nu0, psi1=psi1, psi0=psi0, used=used, sample_sizes=sizes,
                  diagnostics=diagnostics, spec=spec, notes=notes,
                  se_note="the dual's first-order conditions and the target moments included, so that the "
                          "estimated weights are accounted for; Zhao & Percival 2017")
