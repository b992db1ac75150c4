"""M-estimation core: the binary-response and weighted least-squares fits, their linearisation, the Gram check.

Every first-step model in the package is fitted here: the propensity score, the outcome models of
regression adjustment, IPWRA and AIPW, and the logit and comparison-group regressions of the
doubly robust DiD. The same data therefore give the same numbers, the same singularity rule and
the same error message whichever estimator asked.

* :func:`fit_binary`: weighted logit/probit maximum likelihood by Newton-Raphson with step halving
  and capped steps; separation is diagnosed from the data (:mod:`iej_impact._separation`).
* :func:`fit_wls`: weighted least squares by the normal equations.
* :class:`Linearization`: the first-order expansion of a fitted coefficient vector,
  ``theta_hat - theta ~ (1/n) sum_i psi_i`` with ``psi_i = A^{-1} r_i z_i`` (A: the bread, minus
  the mean derivative of the estimating equations; ``r_i z_i``: unit i's score), plus the chain
  through a first-step estimator. Estimators stack it with their own equations so that standard
  errors account for every estimated model.
* :func:`check_gram`: the one singularity rule. From ``Z' W Z`` it forms the weighted correlation
  matrix of the columns and raises :class:`~iej_impact.errors.EstimationError` naming the columns
  that take a single value or are (nearly) linearly dependent.

Conventions: a design ``z`` is (n, k) with the intercept first, centred and scaled
(:func:`iej_impact.observational._design.scaled_with_intercept`), so that Newton and least-squares
steps are well conditioned whatever the units of the covariates (earnings in euros next to 0/1
dummies); fitted values, residuals and influence functions do not depend on that scaling. Row
weights are >= 0, and a zero weight leaves the row out of the fit (the other arm, a trimmed unit).

References
----------
Newey, W. & McFadden, D. (1994). Large sample estimation and hypothesis testing. Handbook of
Econometrics IV, ch. 36, section 6. Wooldridge, J. (2010). Econometric Analysis of Cross Section
and Panel Data, 2nd ed., ch. 12, 13 and 21.3.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import special

from ._progress import LARGE, task
from ._row_blocks import BinaryState, evaluate_binary, link_parts, weighted_cross, weighted_gram
from ._separation import diagnose, perfect_eta
from .errors import EstimationError

__all__ = [
    "Linearization",
    "BinaryFit",
    "LinearFit",
    "fit_binary",
    "fit_wls",
    "check_gram",
    "weighted_gram",
    "invert_bread",
    "MAX_ETA_STEP",
]

#: largest change of any unit's linear predictor in one Newton step (steps beyond are shortened)
MAX_ETA_STEP = 20.0
#: a unit whose linear predictor is beyond this (scores within ~2e-9 / ~1e-9 of 0 or 1), while the
#: log-likelihood no longer rises and the steps still move it, ends the Newton iterations (separation)
_STALL_ETA = {"logit": 20.0, "probit": 6.0}


# =============================================================================================
# linearisation
# =============================================================================================
@dataclass(frozen=True, eq=False)
class Linearization:
    """First-order expansion of an M-estimator ``theta_hat`` (k parameters).

    ``theta_hat - theta ~ (1/n) sum_i psi_i`` with ``psi_i = A^{-1} (r_i z_i + C psi^parent_i)``:
    the estimating equation of unit i is ``r_i z_i`` (a scalar times a design row), ``A`` is minus
    the mean derivative of the equations with respect to theta (the bread; ``a_inv`` holds its
    inverse), and ``C`` (k x k_parent) is the mean derivative with respect to the parameters of a
    first-step estimator (the propensity score for an IPW-weighted regression) whose own expansion
    is ``parent``.

    ``r`` may also be (n, m): m fits sharing the design and the bread (one regression per column
    of a multi-column outcome); :meth:`project` then returns one column per fit, and the other
    methods are for the single-fit case.

    :meth:`project` returns ``psi_i . g`` for every unit without forming the n x k matrix: this is
    what the chain rule of stacked estimating equations needs (the influence function of a final
    statistic is its own term plus ``psi_theta . E[d statistic / d theta]``).
    """

    z: np.ndarray = field(repr=False)
    r: np.ndarray = field(repr=False)
    a_inv: np.ndarray
    parent: Linearization | None = None
    cross: np.ndarray | None = None

    def project(self, g: np.ndarray) -> np.ndarray:
        """``psi_i . g`` for every unit: (n,) for g of shape (k,), (n, m) for g of shape (k, m) or an (n, m) ``r``."""
        v = self.a_inv.T @ np.asarray(g, dtype=float)
        zv = self.z @ v
        if self.r.ndim < zv.ndim:
            out = self.r[:, None] * zv
        elif self.r.ndim > zv.ndim:
            out = self.r * zv[:, None]
        else:
            out = self.r * zv
        if self.parent is not None and self.cross is not None:
            out = out + self.parent.project(self.cross.T @ v)
        return out

    def matrix(self) -> np.ndarray:
        """The n x k influence matrix (for small problems and tests)."""
        out = (self.r[:, None] * self.z) @ self.a_inv.T
        if self.parent is not None and self.cross is not None:
            out = out + self.parent.matrix() @ self.cross.T @ self.a_inv.T
        return out

    def blocks(self) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """``psi_i = sum_b L_b (r_b,i z_b,i)`` as a list of (r_b, z_b, L_b)."""
        out = [(self.r, self.z, self.a_inv)]
        if self.parent is not None and self.cross is not None:
            chain = self.a_inv @ self.cross
            out += [(r, z, chain @ lb) for r, z, lb in self.parent.blocks()]
        return out

    def covariance(self, clusters: np.ndarray | None = None, transform: np.ndarray | None = None) -> np.ndarray:
        """Covariance of ``T theta_hat`` from the influence function, without forming the n x k matrix.

        Robust: ``sum_i psi_i psi_i' / n^2`` (the sandwich ``A^-1 B A^-1 / n``); with integer
        ``clusters``, psi is summed within clusters and multiplied by G/(G-1) (as
        :func:`~iej_impact.inference.se_from_influence`).
        """
        blocks = self.blocks()
        n = self.z.shape[0]
        if clusters is None:  # sum_i g_i g_i' for g_i = sum_b L_b r_b,i z_b,i, by row blocks
            chain = np.hstack([lb for _, _, lb in blocks])
            cov = chain @ weighted_cross([(r, z) for r, z, _ in blocks]) @ chain.T
            cov = (cov + cov.T) / (2.0 * n**2)
            return cov if transform is None else transform @ cov @ transform.T
        codes = np.asarray(clusters)
        present = np.bincount(codes) > 0
        g = int(present.sum())
        parts = []
        for r, z, lb in blocks:
            sums = np.column_stack([np.bincount(codes, weights=r * z[:, j])[present] for j in range(z.shape[1])])
            parts.append((sums, lb))
        factor = g / (g - 1) if g > 1 else float("nan")
        k = self.a_inv.shape[0]
        cov = np.zeros((k, k))
        for i, (gi, li) in enumerate(parts):
            for j, (gj, lj) in enumerate(parts):
                if j < i:
                    continue
                term = li @ (gi.T @ gj) @ lj.T
                cov += term if i == j else term + term.T
        cov *= factor / n**2
        return cov if transform is None else transform @ cov @ transform.T


# =============================================================================================
# Gram matrices and the singularity rule
# =============================================================================================
def invert_bread(a: np.ndarray) -> np.ndarray:
    """``A^-1``, or the pseudo-inverse when A is exactly singular (a separated fit's information)."""
    try:
        return np.linalg.inv(a)
    except np.linalg.LinAlgError:
        return np.linalg.pinv(a)


def check_gram(gram: np.ndarray, names: Sequence[str], func: str, what: str, *, tol: float = 1e-10) -> None:
    """Raise EstimationError naming collinear columns, from ``gram = Z' W Z``.

    ``Z`` is a design with an intercept first (column 0), best centred and scaled; ``W`` are
    non-negative row weights (zeros exclude rows, e.g. the other arm). The columns' weighted
    covariance matrix is formed from ``gram`` (centring within the rows that count): a column with
    no variance there takes a single value; otherwise a smallest eigenvalue of the correlation
    matrix below ``tol`` times the largest means (near-)linear dependence, and the columns with a
    visible share in its eigenvector are named. ``names`` name the columns after the intercept;
    ``what`` says which model ("propensity-score model", "control-arm outcome model").
    """
    tot = float(gram[0, 0])
    if tot <= 0:
        raise EstimationError(f"{func}(): the {what} has no observations.")
    mean = gram[0, 1:] / tot
    cov = gram[1:, 1:] / tot - np.outer(mean, mean)
    var = np.diag(cov).copy()
    dead = np.flatnonzero(var <= 1e-12 * max(1.0, float(np.max(np.abs(var), initial=0.0))))
    if dead.size:
        cols = [names[j] for j in dead]
        raise EstimationError(
            f"{func}(): in the {what}, column(s) {cols} take a single value, so their coefficients are not "
            "identified (they are collinear with the intercept). Remove them from 'covariates' or restrict the "
            "sample."
        )
    if cov.shape[0] < 2:
        return
    sd = np.sqrt(var)
    corr = cov / np.outer(sd, sd)
    vals, vecs = np.linalg.eigh(corr)
    if vals[0] < tol * max(float(vals[-1]), 1.0):
        v = np.abs(vecs[:, 0])
        involved = [names[j] for j in np.flatnonzero(v >= 0.05 * v.max())]
        raise EstimationError(
            f"{func}(): the {what} is singular: the columns {involved} are (nearly) linearly dependent, together "
            f"with the intercept (smallest eigenvalue of their correlation matrix {vals[0]:.2e}). A coefficient "
            "cannot be estimated; drop one of these covariates (e.g. one dummy per category plus the intercept, "
            "or a column that is the sum of others)."
        )


# =============================================================================================
# weighted least squares
# =============================================================================================
@dataclass(frozen=True, eq=False)
class LinearFit:
    """A weighted least-squares fit on a design ``z`` (internal); arrays gain a last axis of m for an (n, m) outcome."""

    params: np.ndarray
    fitted: np.ndarray = field(repr=False)  # z @ params, for every row (also those with zero weight)
    resid: np.ndarray = field(repr=False)  # y - fitted
    lin: Linearization


def fit_wls(z: np.ndarray, y: np.ndarray, w: np.ndarray, *, names: Sequence[str], func: str, what: str) -> LinearFit:
    """Weighted least squares of ``y`` on ``z`` with row weights ``w`` (zero: the row is not in the fit).

    The Gram matrix passes :func:`check_gram` first. The coefficients solve the normal equations
    ``Z'WZ b = Z'Wy``; the linearization has ``r_i = w_i e_i`` (e: residuals) and
    ``A = Z'WZ / n`` (n: all rows, including those with zero weight). ``y`` may be (n, m): m
    regressions on the same design and weights.
    """
    n = z.shape[0]
    gram = weighted_gram(z, w)
    check_gram(gram, names, func, what)
    wy = w * y if y.ndim == 1 else w[:, None] * y
    params = np.linalg.solve(gram, z.T @ wy)
    fitted = z @ params
    resid = y - fitted
    wr = w * resid if y.ndim == 1 else w[:, None] * resid
    return LinearFit(params=params, fitted=fitted, resid=resid, lin=Linearization(z=z, r=wr, a_inv=np.linalg.inv(gram / n)))


# =============================================================================================
# binary response: logit and probit
# =============================================================================================
@dataclass(frozen=True, eq=False)
class BinaryFit:
    """A fitted logit or probit model on a (scaled) design ``z`` (internal)."""

    link: str
    params: np.ndarray
    eta: np.ndarray = field(repr=False)
    prob: np.ndarray = field(repr=False)
    dens: np.ndarray = field(repr=False)  # dp/deta
    resid: np.ndarray = field(repr=False)  # generalized residual: score_i = w_i resid_i z_i
    loglik: float
    converged: bool
    iterations: int
    lin: Linearization
    separation: dict[str, Any] | None = None  # see :func:`iej_impact._separation.diagnose`
    perfect: np.ndarray | None = field(default=None, repr=False)  # perfectly predicted rows


def fit_binary(
    z: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    *,
    link: str,
    func: str,
    what: str,
    names: Sequence[str],
    max_iter: int = 60,
    tol: float = 1e-10,
    raw: np.ndarray | None = None,
) -> BinaryFit:
    """Weighted logit/probit maximum likelihood by Newton-Raphson with step halving, and a separation check.

    ``z`` should be centred and scaled (see the module docstring); its Gram matrix passes
    :func:`check_gram` first. Rows with zero weight do not count. The returned linearization has
    ``r_i = w_i * resid_i`` and ``A = (1/n) sum_i w_i h_i z_i z_i'`` (observed information; for
    the logit it equals the expected one).

    Steps are halved until the log-likelihood does not fall, and a step never moves a linear
    predictor by more than ``MAX_ETA_STEP``. Separation is diagnosed from the data by
    :func:`~iej_impact._separation.diagnose` (``raw``, the unscaled columns, only makes its
    descriptions quote the original values), whatever the iterations did: when the data are
    separated the fit has ``converged=False``, ``separation`` set and the perfectly predicted
    units' linear predictors at +-:func:`~iej_impact._separation.perfect_eta` (scores within ~1e-13
    of 0 or 1, their limit).
    """
    n = z.shape[0]
    ybar = float(np.dot(w, y) / w.sum())
    gamma = np.zeros(z.shape[1])
    ybar = min(max(ybar, 1e-6), 1 - 1e-6)
    gamma[0] = math.log(ybar / (1 - ybar)) if link == "logit" else float(special.ndtri(ybar))
    sign = np.where(y == 1, 1.0, -1.0)
    stall = _STALL_ETA[link]
    # one pass over z per evaluation (eta, link values, log-likelihood, gradient, information)
    zmax = np.zeros(z.shape[1])  # max |z_ij| per column: bounds |z_i . step| without a pass over z
    cur = evaluate_binary(z, y, w, gamma, link, BinaryState.empty(n), derivatives=True, abs_max=zmax)
    # at the start every unit has the same linear predictor, so the information is h Z'WZ for one
    # h > 0: the singularity rule (scale-free) is checked on it without a pass of its own
    check_gram(cur.info / float(cur.weight[0]) if n else cur.info, names, func, what)
    cand_state = BinaryState.empty(n)
    converged = False
    it = 0
    with task(f"{func}(): {what}, Newton iterations", unit="iter", when=n >= LARGE) as ticker:
        for it in range(1, max_iter + 1):  # noqa: B007 - the count is reported
            ticker.update(1)
            try:
                step = np.linalg.solve(cur.info, cur.grad)
            except np.linalg.LinAlgError:
                break
            if not np.all(np.isfinite(step)):
                break
            bound = float(zmax @ np.abs(step))
            move = bound if bound <= MAX_ETA_STEP else float(np.max(np.abs(z @ step), initial=0.0))
            t = 1.0 if move <= MAX_ETA_STEP else MAX_ETA_STEP / move
            for _ in range(40):
                cand = gamma + t * step
                evaluate_binary(z, y, w, cand, link, cand_state, derivatives=True)
                ll_c = cand_state.loglik
                if np.isfinite(ll_c) and ll_c >= cur.loglik - 1e-12 * (1.0 + abs(cur.loglik)):
                    break
                t *= 0.5
            gain = ll_c - cur.loglik
            gamma = cand
            cur, cand_state = cand_state, cur
            if np.max(np.abs(t * step)) <= tol * (1.0 + np.max(np.abs(gamma))):
                converged = True
                break
            # units pushed towards scores of 0/1 and nothing left to gain: separation, stop climbing
            if gain <= 1e-13 * (1.0 + abs(cur.loglik)) and t * move > 0.5:
                if bound <= MAX_ETA_STEP:  # the move was a bound: take the exact one
                    move = float(np.max(np.abs(z @ step), initial=0.0))
                if t * move > 0.5 and float(np.max(sign * cur.eta * (w > 0))) > stall:
                    break
    del cand_state
    diag, perfect = diagnose(z[:, 1:] if raw is None else raw, y, w, names=names, prob=cur.prob,
                             scaled_coef=gamma[1:], converged=converged)
    eta = cur.eta
    if diag is not None:
        converged = False
        eta = np.where(perfect, sign * perfect_eta(link), eta)
        p, ll_i, r, h, dens = link_parts(eta, y, link)
        info, loglik = weighted_gram(z, w * h), float(np.dot(w, ll_i))
    else:
        p, r, h, info, loglik = cur.prob, cur.resid, cur.weight, cur.info, cur.loglik
        dens = h if link == "logit" else np.exp(-0.5 * eta * eta - 0.5 * math.log(2.0 * math.pi))
    unit = bool(np.all(w == 1.0))  # unweighted: the score residuals themselves, not a copy
    lin = Linearization(z=z, r=r if unit else w * r, a_inv=invert_bread(info / n))
    return BinaryFit(link=link, params=gamma, eta=eta, prob=p, dens=dens, resid=r, loglik=loglik,
                     converged=converged, iterations=it, lin=lin, separation=diag, perfect=perfect)
