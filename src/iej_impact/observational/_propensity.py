"""Propensity scores: fitted once, shared by weighting, doubly robust estimation and matching.

:func:`propensity_score` fits P(D = 1 | X) and returns a frozen :class:`PropensityScore` with the
scores, the fitted coefficients, the design recipe, convergence facts and warnings, an overlap
summary (:meth:`PropensityScore.overlap`) and a mirrored-histogram plot
(:meth:`PropensityScore.plot_overlap`).

Parametric models ("logit", "probit") are fitted by Newton-Raphson with step halving on a
centred and scaled design (float64), so earnings in euros next to 0/1 dummies do not slow or
derail convergence; the estimates are the maximum-likelihood estimates of the usual model on the
unscaled covariates (coefficients are reported on that scale). The fit keeps its *linearization*
(per-unit score contributions and the inverse information), which the estimators stack with their
own estimating equations so that standard errors account for the estimated score (Newey &
McFadden 1994, section 6; Wooldridge 2010, section 21.3; Stata's ``teffects``).

"gbm" (scikit-learn's histogram gradient boosting) and any object with ``fit``/``predict_proba``
give scores without a linearization: estimators then treat the score as known and say so.

Overlap rule (used by :func:`~iej_impact.observational._weighting.ipw` and
:func:`~iej_impact.observational._doubly_robust.doubly_robust` to issue an :class:`~iej_impact.errors.OverlapWarning`;
see :func:`overlap_problems`): overlap is *poor* when, among the units the estimand needs,

* more than ``MAX_SHARE_EXTREME`` (1%) have a score outside ``OVERLAP_BOUNDS`` = [0.01, 0.99]
  (an IPW weight above 100), or
* more than ``MAX_SHARE_OUTSIDE`` (10%) of an arm lies outside the range of the other arm's scores
  (units with no comparable unit in the other arm).

For the ATE both arms and both tails count; for the ATT only scores near 1 and treated units
outside the controls' range; for the ATC only scores near 0 and controls outside the treated
range.

References
----------
Rosenbaum, P. & Rubin, D. (1983). The central role of the propensity score in observational
studies for causal effects. Biometrika 70(1). Crump, R., Hotz, V., Imbens, G. & Mitnik, O. (2009).
Dealing with limited overlap in estimation of average treatment effects. Biometrika 96(1).
Wooldridge, J. (2010). Econometric Analysis of Cross Section and Panel Data, 2nd ed., ch. 21.
"""

from __future__ import annotations

import copy
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from .._separation import diagnose, perfect_eta
from .._validation import (
    ID_COLUMNS,
    as_column_list,
    check_binary,
    check_choice,
    check_columns,
    check_dataframe,
    check_estimand,
    describe_rows,
    example_rows,
)
from ..data._numeric_text import check_numeric
from ..errors import DataError, EstimationError, OverlapWarning, SpecificationError
from ..results import Result, Summary, jsonable
from ._design import Design, design_matrix, scaled_with_intercept, unscale_matrix

__all__ = [
    "PropensityScore",
    "propensity_score",
    "ipw_weights",
    "overlap_problems",
    "OVERLAP_BOUNDS",
    "MAX_SHARE_EXTREME",
    "MAX_SHARE_OUTSIDE",
    "SCORE_EPS",
]

_FUNC = "propensity_score"
MODELS: tuple[str, ...] = ("logit", "probit", "gbm")
#: a score closer than this to 0 or 1 is "numerically 0 or 1" (separation, positivity failure)
SCORE_EPS = 1e-8
#: scores outside these bounds give IPW weights above 100 (rule (a) of the overlap warning)
OVERLAP_BOUNDS: tuple[float, float] = (0.01, 0.99)
#: largest tolerated share of needed units with scores outside OVERLAP_BOUNDS
MAX_SHARE_EXTREME = 0.01
#: largest tolerated share of an arm outside the range of the other arm's scores
MAX_SHARE_OUTSIDE = 0.10
#: largest change of any unit's linear predictor in one Newton step (steps beyond are shortened)
MAX_ETA_STEP = 20.0
#: a unit whose linear predictor is beyond this (scores within ~2e-9 / ~1e-9 of 0 or 1), while the
#: log-likelihood no longer rises and the steps still move it, ends the Newton iterations (separation)
_STALL_ETA = {"logit": 20.0, "probit": 6.0}


# =============================================================================================
# M-estimation building blocks
# =============================================================================================
@dataclass(frozen=True, eq=False)
class Linearization:
    """First-order expansion of an M-estimator ``theta_hat`` (k parameters).

    ``theta_hat - theta ~ (1/n) sum_i psi_i`` with ``psi_i = A^{-1} (r_i z_i + C psi^parent_i)``:
    the estimating equation of unit i is ``r_i z_i`` (a scalar times a design row), ``A`` is minus
    the mean derivative of the equations with respect to theta, and ``C`` (k x k_parent) is the
    mean derivative with respect to the parameters of a first-step estimator (the propensity score
    for an IPW-weighted regression) whose own expansion is ``parent``.

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
        """The n values ``psi_i . g``."""
        v = self.a_inv.T @ np.asarray(g, dtype=float)
        out = self.r * (self.z @ v)
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

        Robust: ``sum_i psi_i psi_i' / n^2``; with integer ``clusters``, psi is summed within clusters
        and multiplied by G/(G-1) (as :func:`~iej_impact.inference.se_from_influence`).
        """
        blocks = self.blocks()
        n = self.z.shape[0]
        if clusters is None:
            parts = [(r[:, None] * z, lb) for r, z, lb in blocks]
            factor = 1.0
        else:
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
    separation: dict[str, Any] | None = None  # see :func:`~iej_impact._separation.diagnose`
    perfect: np.ndarray | None = field(default=None, repr=False)  # perfectly predicted rows


def _link_parts(eta: np.ndarray, y: np.ndarray, link: str, *, hessian: bool = True) -> tuple[np.ndarray, ...]:
    """(prob, loglik contributions, generalized residual, information weight, dp/deta)."""
    if link == "logit":
        p = special.expit(eta)
        ll = y * eta - np.logaddexp(0.0, eta)
        r = y - p
        h = p * (1.0 - p)
        return p, ll, r, h, h
    log_phi = -0.5 * eta * eta - 0.5 * math.log(2.0 * math.pi)
    log_cdf_pos = special.log_ndtr(eta)
    log_cdf_neg = special.log_ndtr(-eta)
    p = special.ndtr(eta)
    is1 = y == 1
    ll = np.where(is1, log_cdf_pos, log_cdf_neg)
    r = np.where(is1, np.exp(log_phi - log_cdf_pos), -np.exp(log_phi - log_cdf_neg))
    h = r * (r + eta) if hessian else r
    return p, ll, r, h, np.exp(log_phi)


def _weighted_gram(z: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``Z' diag(v) Z`` for v >= 0, as a symmetric rank-k update (one BLAS syrk on sqrt(v) Z)."""
    zv = z * np.sqrt(v)[:, None]
    return zv.T @ zv


def check_gram(gram: np.ndarray, names: Sequence[str], func: str, what: str, *, tol: float = 1e-10) -> None:
    """Raise EstimationError naming collinear columns, from ``gram = Z' W Z``.

    ``Z`` is a centred and scaled design with an intercept first (column 0); ``W`` are non-negative
    row weights (zeros exclude rows, e.g. the other arm). The columns' weighted covariance matrix is
    formed from ``gram`` (centring within the rows that count) and checked for (near-)singularity.
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

    ``z`` should be centred and scaled (see :func:`~iej_impact.observational._design.scaled_with_intercept`).
    Rows with zero weight do not count. The returned linearization has ``r_i = w_i * resid_i``
    and ``A = (1/n) sum_i w_i h_i z_i z_i'`` (observed information; for the logit it equals the
    expected one).

    Steps are halved until the log-likelihood does not fall, and a step never moves a linear
    predictor by more than ``MAX_ETA_STEP``. Separation is diagnosed from the data by
    :func:`~iej_impact._separation.diagnose` (``raw``, the unscaled columns, only makes its
    descriptions quote the original values), whatever the iterations did: when the data are
    separated the fit has ``converged=False``, ``separation`` set and the perfectly predicted
    units' linear predictors at +-:func:`~iej_impact._separation.perfect_eta` (scores within ~1e-13
    of 0 or 1, their limit).
    """
    n = z.shape[0]
    check_gram(_weighted_gram(z, w), names, func, what)
    ybar = float(np.dot(w, y) / w.sum())
    gamma = np.zeros(z.shape[1])
    ybar = min(max(ybar, 1e-6), 1 - 1e-6)
    gamma[0] = math.log(ybar / (1 - ybar)) if link == "logit" else float(special.ndtri(ybar))
    eta = z @ gamma
    sign = np.where(y == 1, 1.0, -1.0)
    stall = _STALL_ETA[link]
    p, ll_i, r, h, _ = _link_parts(eta, y, link)
    ll = float(np.dot(w, ll_i))
    converged = False
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 - the count is reported
        grad = z.T @ (w * r)
        hess = _weighted_gram(z, w * h)
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            break
        if not np.all(np.isfinite(step)):
            break
        move = float(np.max(np.abs(z @ step), initial=0.0))
        t = 1.0 if move <= MAX_ETA_STEP else MAX_ETA_STEP / move
        for _ in range(40):
            cand = gamma + t * step
            eta_c = z @ cand
            p_c, ll_c_i, r_c, h_c, _ = _link_parts(eta_c, y, link)
            ll_c = float(np.dot(w, ll_c_i))
            if np.isfinite(ll_c) and ll_c >= ll - 1e-12 * (1.0 + abs(ll)):
                break
            t *= 0.5
        gain = ll_c - ll
        gamma, eta, p, r, h, ll = cand, eta_c, p_c, r_c, h_c, ll_c
        if np.max(np.abs(t * step)) <= tol * (1.0 + np.max(np.abs(gamma))):
            converged = True
            break
        # units pushed towards scores of 0/1 and nothing left to gain: separation, stop climbing
        if (gain <= 1e-13 * (1.0 + abs(ll)) and t * move > 0.5
                and float(np.max(sign * eta * (w > 0))) > stall):
            break
    diag, perfect = diagnose(z[:, 1:] if raw is None else raw, y, w, names=names, prob=p, scaled_coef=gamma[1:],
                             converged=converged)
    if diag is not None:
        converged = False
        eta = np.where(perfect, sign * perfect_eta(link), eta)
    p, ll_i, r, h, dens = _link_parts(eta, y, link)
    hess = _weighted_gram(z, w * h) / n
    try:
        a_inv = np.linalg.inv(hess)
    except np.linalg.LinAlgError:
        a_inv = np.linalg.pinv(hess)
    lin = Linearization(z=z, r=w * r, a_inv=a_inv)
    return BinaryFit(link=link, params=gamma, eta=eta, prob=p, dens=dens, resid=r, loglik=float(np.dot(w, ll_i)),
                     converged=converged, iterations=it, lin=lin, separation=diag, perfect=perfect)


def ipw_weights(
    scores: np.ndarray,
    treated: np.ndarray,
    estimand: str = "ATE",
    *,
    stabilized: bool = False,
    sampling_weights: np.ndarray | None = None,
) -> np.ndarray:
    """Inverse-probability weights for an estimand (before any normalization).

    ATE: 1/e for treated, 1/(1-e) for controls; ATT: 1 and e/(1-e); ATC: (1-e)/e and 1.
    ``stabilized`` multiplies each arm by its (weighted) share in the sample, P(D = d) for the
    ATE (Robins, Hernan & Brumback 2000), and the controls' (treated) weights by the odds
    P(D=0)/P(D=1) (its inverse) for the ATT (ATC), so that weights average about 1 in each arm.
    Sampling weights multiply the result.
    """
    e = np.asarray(scores, dtype=float)
    d = np.asarray(treated).astype(bool)
    sw = np.ones_like(e) if sampling_weights is None else np.asarray(sampling_weights, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        if estimand == "ATE":
            w = np.where(d, 1.0 / e, 1.0 / (1.0 - e))
        elif estimand == "ATT":
            w = np.where(d, 1.0, e / (1.0 - e))
        else:
            w = np.where(d, (1.0 - e) / e, 1.0)
    if stabilized:
        share1 = float(np.sum(sw[d]) / np.sum(sw))
        share0 = 1.0 - share1
        if estimand == "ATE":
            w = w * np.where(d, share1, share0)
        elif estimand == "ATT":
            w = w * np.where(d, 1.0, share0 / share1)
        else:
            w = w * np.where(d, share1 / share0, 1.0)
    return w * sw


def ess(w: np.ndarray) -> float:
    """Kish's effective sample size (sum w)^2 / sum w^2."""
    s2 = float(np.dot(w, w))
    return float(np.sum(w) ** 2 / s2) if s2 > 0 else 0.0


# =============================================================================================
# overlap
# =============================================================================================
def overlap_table(
    scores: np.ndarray,
    treated: np.ndarray,
    *,
    estimand: str = "ATE",
    bounds: tuple[float, float] = OVERLAP_BOUNDS,
    sampling_weights: np.ndarray | None = None,
) -> pd.DataFrame:
    """Per-arm score distribution, units outside the other arm's range, extreme scores, weights, ESS."""
    e = np.asarray(scores, dtype=float)
    d = np.asarray(treated).astype(bool)
    w = ipw_weights(e, d, estimand, sampling_weights=sampling_weights)
    probs = [0.0, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 1.0]
    labels = ["min", "q01", "q05", "q25", "median", "q75", "q95", "q99", "max"]
    rows = {}
    for name, arm, other in (("treated", d, ~d), ("control", ~d, d)):
        x = e[arm]
        xo = e[other]
        q = np.quantile(x, probs) if x.size else np.full(len(probs), np.nan)
        outside = (x < xo.min()) | (x > xo.max()) if xo.size else np.ones(x.size, dtype=bool)
        wa = w[arm]
        rows[name] = {
            "n": int(x.size),
            "mean": float(x.mean()) if x.size else float("nan"),
            **{lab: float(v) for lab, v in zip(labels, q, strict=True)},
            "outside_other_range": int(outside.sum()),
            "share_outside_other_range": float(outside.mean()) if x.size else float("nan"),
            f"below_{bounds[0]:g}": int((x < bounds[0]).sum()),
            f"above_{bounds[1]:g}": int((x > bounds[1]).sum()),
            "max_weight": float(wa.max()) if wa.size else float("nan"),
            "weight_share_top1pct": _top_share(wa),
            "ess": ess(wa) if wa.size else 0.0,
        }
    out = pd.DataFrame(rows).T
    out.index.name = "arm"
    for c in ("n", "outside_other_range", f"below_{bounds[0]:g}", f"above_{bounds[1]:g}"):
        out[c] = out[c].astype(np.int64)
    return out


def _top_share(w: np.ndarray) -> float:
    """Share of the arm's total weight carried by its top 1% of units (at least one unit)."""
    if w.size == 0 or not np.isfinite(w).all() or w.sum() <= 0:
        return float("nan")
    k = max(1, int(math.ceil(0.01 * w.size)))
    top = np.partition(w, w.size - k)[w.size - k:]
    return float(top.sum() / w.sum())


def overlap_problems(
    scores: np.ndarray,
    treated: np.ndarray,
    estimand: str,
    *,
    bounds: tuple[float, float] = OVERLAP_BOUNDS,
    max_share_extreme: float = MAX_SHARE_EXTREME,
    max_share_outside: float = MAX_SHARE_OUTSIDE,
) -> list[str]:
    """Plain-language descriptions of poor overlap by the module's rule (empty list: overlap is fine).

    See the module docstring for the rule.
    """
    e = np.asarray(scores, dtype=float)
    d = np.asarray(treated).astype(bool)
    lo, hi = bounds
    out: list[str] = []
    if estimand == "ATE":
        extreme = (e < lo) | (e > hi)
        tails = f"outside [{lo:g}, {hi:g}]"
    elif estimand == "ATT":
        extreme = e > hi
        tails = f"above {hi:g}"
    else:
        extreme = e < lo
        tails = f"below {lo:g}"
    share = float(extreme.mean()) if e.size else 0.0
    if share > max_share_extreme:
        out.append(
            f"{int(extreme.sum())} units ({100 * share:.1f}%; {int((extreme & d).sum())} treated, "
            f"{int((extreme & ~d).sum())} control) have propensity scores {tails} (IPW weights above "
            f"{1 / min(lo, 1 - hi):.0f}), more than the {100 * max_share_extreme:g}% the rule tolerates"
        )
    arms = {"ATE": ("treated", "control"), "ATT": ("treated",), "ATC": ("control",)}[estimand]
    for name in arms:
        arm = d if name == "treated" else ~d
        other = ~arm
        x, xo = e[arm], e[other]
        if not x.size or not xo.size:
            continue
        outside = (x < xo.min()) | (x > xo.max())
        s = float(outside.mean())
        if s > max_share_outside:
            other_name = "control" if name == "treated" else "treated"
            out.append(
                f"{int(outside.sum())} of {x.size} {name} units ({100 * s:.1f}%) have scores outside the "
                f"{other_name} units' range [{xo.min():.4g}, {xo.max():.4g}], more than the "
                f"{100 * max_share_outside:g}% the rule tolerates"
            )
    return out


# =============================================================================================
# result
# =============================================================================================
@dataclass(frozen=True, eq=False)
class PropensityScore(Result):
    """A fitted propensity score P(D = 1 | X).

    Attributes
    ----------
    treatment : the 0/1 treatment column.
    covariates : the covariates of the model.
    model : "logit", "probit", "gbm" or the class name of a user model.
    scores : fitted P(D = 1 | X), one per row of the data (in row order).
    treated : boolean array, the treatment indicator.
    linear_predictor : X b for logit/probit (None otherwise).
    params : coefficients on the unscaled covariates, with "Intercept" first (None for
        non-parametric models).
    std_errors : robust (sandwich) standard errors of ``params`` (clustering is applied by the
        effect estimators, not here).
    design : the covariate design (numeric columns, dummies and their reference levels).
    converged, iterations, log_likelihood : facts about the Newton iterations.
    warnings : plain-language warnings (separation, scores of 0 or 1, non-convergence).
    separation : None, or the diagnosis of (quasi-)complete separation of a logit/probit model
        (decided from the data, not from how the Newton iterations stopped; see
        :func:`iej_impact._separation.diagnose`), a dict with ``kind`` ("complete" or
        "quasi-complete"), ``n_units``, ``n_treated``, ``n_control`` (perfectly predicted units,
        whose scores are 1 for treated and 0 for controls), ``n_obs``, ``columns`` (the design
        columns that separate) and ``causes`` (plain-language descriptions). ``converged`` is then
        False: the maximum-likelihood estimate does not exist (coefficients along the separating
        direction diverge and are not interpretable).
    perfectly_predicted : boolean array, the units counted in ``separation`` (None for
        non-parametric models; all False without separation).
    sampling_weights : the sampling weights used in the fit (None if unweighted).
    index : the row labels of the data.
    """

    treatment: str
    covariates: tuple[str, ...]
    model: str
    scores: np.ndarray = field(repr=False)
    treated: np.ndarray = field(repr=False)
    design: Design = field(repr=False)
    index: pd.Index = field(repr=False)
    linear_predictor: np.ndarray | None = field(default=None, repr=False)
    params: pd.Series | None = None
    std_errors: pd.Series | None = None
    converged: bool = True
    iterations: int = 0
    log_likelihood: float | None = None
    warnings: tuple[str, ...] = ()
    sampling_weights: np.ndarray | None = field(default=None, repr=False)
    spec: Mapping[str, object] = field(default_factory=dict)
    fit: BinaryFit | None = field(default=None, repr=False)
    _unscale: np.ndarray | None = field(default=None, repr=False)
    separation: dict[str, Any] | None = None
    perfectly_predicted: np.ndarray | None = field(default=None, repr=False)

    # ---- derived quantities ------------------------------------------------------------------
    @property
    def n_obs(self) -> int:
        return int(self.scores.shape[0])

    @property
    def linearization(self) -> Linearization | None:
        """Expansion of the coefficients (on the scaled design), for stacked standard errors."""
        return None if self.fit is None else self.fit.lin

    @property
    def score_derivative(self) -> np.ndarray | None:
        """d score / d (linear predictor), per unit (None for non-parametric models)."""
        return None if self.fit is None else self.fit.dens

    def score_contributions(self) -> pd.DataFrame:
        """Per-unit contributions w_i * d log L_i / d b to the score (columns = ``params``)."""
        if self.fit is None or self.params is None:
            raise EstimationError(f"the {self.model!r} propensity model has no likelihood score contributions.")
        x = np.hstack([np.ones((self.n_obs, 1)), self.design.matrix])
        return pd.DataFrame(self.fit.lin.r[:, None] * x, columns=self.params.index, index=self.index)

    def influence(self) -> pd.DataFrame:
        """Per-unit influence functions of ``params``: b_hat - b ~ mean of the rows."""
        if self.fit is None or self.params is None or self._unscale is None:
            raise EstimationError(f"the {self.model!r} propensity model has no influence function.")
        return pd.DataFrame(self.fit.lin.matrix() @ self._unscale.T, columns=self.params.index, index=self.index)

    def weights(self, estimand: str = "ATE", *, stabilized: bool = False) -> np.ndarray:
        """Inverse-probability weights for ``estimand`` (see :func:`ipw_weights`), times sampling weights."""
        estimand = check_estimand(estimand, "PropensityScore.weights")
        return ipw_weights(self.scores, self.treated, estimand, stabilized=stabilized,
                           sampling_weights=self.sampling_weights)

    def overlap(self, estimand: str = "ATE", *, bounds: tuple[float, float] = OVERLAP_BOUNDS) -> pd.DataFrame:
        """Overlap summary by arm.

        Columns: ``n``, ``mean`` and quantiles (``min``, ``q01`` ... ``max``) of the score;
        ``outside_other_range`` / ``share_outside_other_range``: units whose score lies outside the
        other arm's [min, max]; ``below_<lo>`` / ``above_<hi>``: units with extreme scores;
        ``max_weight``, ``weight_share_top1pct`` (share of the arm's weight carried by its top 1% of
        units) and ``ess`` (Kish) of the ``estimand``'s unnormalized IPW weights.
        """
        estimand = check_estimand(estimand, "PropensityScore.overlap")
        return overlap_table(self.scores, self.treated, estimand=estimand, bounds=bounds,
                             sampling_weights=self.sampling_weights)

    def plot_overlap(self, ax: Any = None, *, bins: int = 40) -> Any:
        """Mirrored histograms of the score: treated above the axis, controls below (density scale).

        Drawn on a matplotlib ``Figure`` (never pyplot); returns the Axes.
        """
        import matplotlib as mpl
        from matplotlib.figure import Figure

        from ..report._plotting import COLOUR_MAIN, COLOUR_REFERENCE, COLOUR_SECOND, STYLE

        edges = np.linspace(0.0, 1.0, int(bins) + 1)
        h1, _ = np.histogram(self.scores[self.treated], bins=edges, density=True)
        h0, _ = np.histogram(self.scores[~self.treated], bins=edges, density=True)
        with mpl.rc_context(STYLE):
            if ax is None:
                ax = Figure(figsize=(6.5, 3.6), dpi=100).add_subplot()
            width = edges[1] - edges[0]
            ax.bar(edges[:-1], h1, width=width, align="edge", color=COLOUR_MAIN, label=f"treated (n={self.treated.sum()})")
            ax.bar(edges[:-1], -h0, width=width, align="edge", color=COLOUR_SECOND,
                   label=f"control (n={(~self.treated).sum()})")
            ax.axhline(0.0, color=COLOUR_REFERENCE, linewidth=0.8)
            ax.set_xlim(0.0, 1.0)
            ax.set_xlabel("propensity score")
            ax.set_ylabel("density (control below the axis)")
            ax.set_title(f"Overlap of the propensity score ({self.model})")
            top = float(max(h1.max(initial=0.0), 1e-12))
            ax.set_ylim(ax.get_ylim()[0], top * 1.25)  # room for the legend above the treated bars
            ax.legend(loc="upper center", frameon=False, ncols=2)
        return ax

    # ---- display / export --------------------------------------------------------------------
    def to_frame(self) -> pd.DataFrame:
        """Coefficient table (term, estimate, std_error, statistic); empty for non-parametric models."""
        if self.params is None or self.std_errors is None:
            return pd.DataFrame(columns=["term", "estimate", "std_error", "statistic"])
        return pd.DataFrame({
            "term": list(self.params.index),
            "estimate": self.params.to_numpy(),
            "std_error": self.std_errors.to_numpy(),
            "statistic": (self.params / self.std_errors).to_numpy(),
        })

    def summary(self) -> Summary:
        tables: list[tuple[str, pd.DataFrame]] = []
        if self.params is not None:
            tables.append(("Coefficients (robust standard errors)", self.to_frame().set_index("term")))
        tables.append(("Overlap (ATE weights)", self.overlap("ATE")))
        notes = [f"Model: {self.model}; {self.n_obs} units, {int(self.treated.sum())} treated."]
        if self.params is not None:
            notes.append(f"Newton iterations: {self.iterations}; converged: {self.converged}; "
                         f"log-likelihood {self.log_likelihood:.4f}.")
        notes.extend(self.warnings)
        return Summary(title=f"Propensity score for {self.treatment}", tables=tuple(tables), notes=tuple(notes))

    def to_dict(self) -> dict[str, Any]:
        return jsonable({
            "treatment": self.treatment,
            "covariates": list(self.covariates),
            "model": self.model,
            "n_obs": self.n_obs,
            "n_treated": int(self.treated.sum()),
            "params": None if self.params is None else self.params.to_dict(),
            "std_errors": None if self.std_errors is None else self.std_errors.to_dict(),
            "converged": self.converged,
            "iterations": self.iterations,
            "log_likelihood": self.log_likelihood,
            "warnings": list(self.warnings),
            "separation": self.separation,
            "design": self.design.spec(),
            "overlap": self.overlap("ATE"),
            "spec": dict(self.spec),
        })

    def __repr__(self) -> str:
        return (f"PropensityScore(model={self.model!r}, treatment={self.treatment!r}, n_obs={self.n_obs}, "
                f"converged={self.converged}, warnings={len(self.warnings)})")


# =============================================================================================
# the public function
# =============================================================================================
def propensity_score(
    data: pd.DataFrame,
    *,
    treatment: str,
    covariates: Sequence[str],
    model: object = "logit",
    weights: str | None = None,
    random_state: int | None = None,
    max_iter: int = 60,
) -> PropensityScore:
    """Fit the propensity score P(D = 1 | X).

    Parameters
    ----------
    data : one row per unit.
    treatment : 0/1 (or boolean) treatment column.
    covariates : covariate columns; text/categorical columns become dummies (see
        :func:`~iej_impact.observational._design.design_matrix`).
    model : "logit" (default), "probit", "gbm" (scikit-learn ``HistGradientBoostingClassifier``) or
        any object with ``fit(X, y)`` and ``predict_proba(X)`` (a copy is fitted; yours is untouched).
    weights : optional column of sampling weights (> 0), used in the likelihood.
    random_state : seed for "gbm" (its early-stopping split).
    max_iter : Newton iterations allowed (logit/probit).

    Returns
    -------
    PropensityScore

    Notes
    -----
    Logit and probit are fitted by maximum likelihood (Newton-Raphson with step halving) on a
    centred and scaled copy of the design; coefficients are reported on the original scale with
    robust (sandwich) standard errors. When some units are perfectly predicted (complete or
    quasi-complete separation: e.g. a category observed in one arm only, a 0/1 covariate whose 1s
    are all in one arm, or a threshold of a covariate or of a combination of covariates that splits
    the arms) the maximum-likelihood estimate does not exist. This is diagnosed from the data
    (per-column checks and a linear program), not from how the iterations stopped, so the same data
    always give the same diagnosis: those units' scores are 0 or 1 to machine precision,
    ``converged`` is False, ``separation`` holds the counts and culprits, and an
    :class:`~iej_impact.errors.OverlapWarning` counts the units by arm and names the culprits.
    Other failures to converge raise :class:`~iej_impact.errors.EstimationError`.

    Assumptions: the model for P(D = 1 | X) is correctly specified (parametric models); the scores
    are then consistent and asymptotically normal. Reference: Rosenbaum & Rubin (1983),
    Biometrika 70(1); Wooldridge (2010), Econometric Analysis of Cross Section and Panel Data,
    2nd ed., sections 13.4 and 21.3.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"x": rng.normal(size=500)})
    >>> df["d"] = (rng.random(500) < 1 / (1 + np.exp(-df["x"]))).astype(int)
    >>> ps = propensity_score(df, treatment="d", covariates=["x"])
    >>> round(float(ps.params["x"]), 1)
    1.0
    """
    func = _FUNC
    check_dataframe(data, func)
    covs = as_column_list("covariates", covariates, func)
    check_columns(data, [treatment] + ([weights] if weights else []), func)
    model_name, model_obj = _check_model(model, func)
    d = check_binary(data, treatment, func).astype(bool)
    sw = _sampling_weights(data, weights, func)
    design = design_matrix(data, covs, func=func)
    return _fit_propensity(data, d, design, sw, model_name, model_obj, treatment=treatment, covariates=covs,
                           weights_column=weights, random_state=random_state, max_iter=max_iter, func=func)


def _check_model(model: object, func: str, name: str = "model") -> tuple[str, object | None]:
    if isinstance(model, str):
        check_choice(name, model, MODELS, func)
        return model, None
    if hasattr(model, "fit") and hasattr(model, "predict_proba"):
        return type(model).__name__, model
    raise SpecificationError(
        f"the '{name}' parameter of {func}() must be one of {{'logit', 'probit', 'gbm'}} or an object with "
        f"fit() and predict_proba() (a scikit-learn classifier); got {model!r}."
    )


def _sampling_weights(data: pd.DataFrame, weights: str | None, func: str) -> np.ndarray | None:
    if weights is None:
        return None
    w = check_numeric(data, weights, func)
    bad = ~(w > 0) | ~np.isfinite(w)
    if bad.any():
        raise DataError(
            f"{func}(): sampling weights '{weights}' must be finite and > 0; {describe_rows(data, bad)} are not. "
            "Drop units with zero weight before the analysis.",
            column=weights,
            rows=example_rows(data, bad),
        )
    return w


def _fit_propensity(
    data: pd.DataFrame,
    d: np.ndarray,
    design: Design,
    sw: np.ndarray | None,
    model_name: str,
    model_obj: object | None,
    *,
    treatment: str,
    covariates: Sequence[str],
    weights_column: str | None,
    random_state: int | None,
    max_iter: int,
    func: str,
    z: np.ndarray | None = None,
    scale: tuple[np.ndarray, np.ndarray] | None = None,
) -> PropensityScore:
    """Fit on an already-built design (shared with the estimators, which reuse ``z``)."""
    n = len(d)
    w = np.ones(n) if sw is None else sw
    spec = {"treatment": treatment, "covariates": list(covariates), "model": model_name,
            "weights": weights_column, "random_state": random_state}
    msgs: list[str] = []
    if model_name in ("logit", "probit") and model_obj is None:
        if z is None or scale is None:
            z, m, s = scaled_with_intercept(design.matrix, w)
        else:
            m, s = scale
        fit = fit_binary(z, d.astype(float), w, link=model_name, func=func, what="propensity-score model",
                         names=design.names, max_iter=max_iter, raw=design.matrix)
        t = unscale_matrix(m, s)
        names = ["Intercept", *design.names]
        params = pd.Series(t @ fit.params, index=names, name="coef")
        infl_cov = _sandwich(fit.lin)
        cov_b = t @ infl_cov @ t.T
        std = pd.Series(np.sqrt(np.maximum(np.diag(cov_b), 0.0)), index=names, name="std_error")
        scores = fit.prob
        if fit.separation is not None and fit.perfect is not None:
            msgs.append(_separation_message(data, d, fit.separation, fit.perfect, model_name))
        elif not fit.converged:
            raise EstimationError(
                f"{func}(): the {model_name} propensity-score model did not converge in {max_iter} Newton "
                "iterations (no unit is perfectly predicted). Check the covariates for extreme values or "
                "near-duplicates, or simplify the model."
            )
        if msgs:
            warnings.warn(msgs[-1], OverlapWarning, stacklevel=3)
        return PropensityScore(
            treatment=treatment, covariates=tuple(covariates), model=model_name, scores=scores, treated=d,
            design=design, index=data.index, linear_predictor=fit.eta, params=params, std_errors=std,
            converged=fit.converged, iterations=fit.iterations, log_likelihood=fit.loglik, warnings=tuple(msgs),
            sampling_weights=sw, spec=spec, fit=fit, _unscale=t, separation=fit.separation,
            perfectly_predicted=fit.perfect,
        )
    # non-parametric / user models: scores only
    if model_obj is None:
        from sklearn.ensemble import HistGradientBoostingClassifier

        est: Any = HistGradientBoostingClassifier(random_state=random_state)
    else:
        est = copy.deepcopy(model_obj)
    x = design.matrix
    y = d.astype(np.int64)
    try:
        if sw is not None:
            est.fit(x, y, sample_weight=sw)
        else:
            est.fit(x, y)
        proba = np.asarray(est.predict_proba(x), dtype=float)
    except TypeError as exc:
        raise SpecificationError(
            f"{func}(): the propensity model {model_name} could not be fitted with sampling weights "
            f"(fit(X, y, sample_weight=...) failed: {exc}). Use model='logit' or a model that accepts weights."
        ) from None
    classes = list(getattr(est, "classes_", [0, 1]))
    col = classes.index(1) if 1 in classes else proba.shape[1] - 1
    scores = proba[:, col] if proba.ndim == 2 else proba
    if scores.shape != (n,) or not np.all(np.isfinite(scores)) or scores.min() < 0 or scores.max() > 1:
        raise EstimationError(
            f"{func}(): the propensity model {model_name} returned {scores.shape} values that are not "
            f"probabilities in [0, 1] for the {n} rows."
        )
    extreme = (scores < SCORE_EPS) | (scores > 1 - SCORE_EPS)
    if extreme.any():
        msgs.append(
            f"{int(extreme.sum())} units ({int((extreme & d).sum())} treated, {int((extreme & ~d).sum())} control) "
            f"have scores of 0 or 1 from the {model_name} model; their weights are undefined."
        )
        warnings.warn(msgs[-1], OverlapWarning, stacklevel=3)
    return PropensityScore(
        treatment=treatment, covariates=tuple(covariates), model=model_name, scores=scores, treated=d,
        design=design, index=data.index, warnings=tuple(msgs), sampling_weights=sw, spec=spec,
    )


def _sandwich(lin: Linearization) -> np.ndarray:
    """Robust covariance of the (scaled) coefficients: A^-1 B A^-1 / n."""
    n = lin.z.shape[0]
    b = _weighted_gram(lin.z, lin.r**2) / n
    return lin.a_inv @ b @ lin.a_inv.T / n


def _separation_message(
    data: pd.DataFrame,
    d: np.ndarray,
    separation: Mapping[str, Any],
    perfect: np.ndarray,
    model_name: str,
) -> str:
    n1 = int(separation["n_treated"])
    n0 = int(separation["n_control"])
    causes = list(separation["causes"])
    hint = f" Cause: {'; '.join(causes[:3])}." if causes else ""
    return (
        f"{_FUNC}(): the {model_name} model has no maximum-likelihood estimate because the data are "
        f"(quasi-)separated ({separation['kind']} separation): {n0 + n1} units have scores of 0 or 1 to machine "
        f"precision ({n0} at 0, {n1} at 1; {n1} treated, {n0} control; e.g. {row_ids(data, perfect)}).{hint} "
        "Their inverse-probability weights are infinite or zero and the effect is not identified for them: "
        "merge or drop the covariate or category, or restrict the sample to common support."
    )


def row_ids(data: pd.DataFrame, mask: np.ndarray) -> str:
    """'person_id P1, P2, P3' (or 'row 4, 7') for up to five rows flagged by ``mask``."""
    label = next((c for c in ID_COLUMNS if c in data.columns), "row")
    return f"{label} {', '.join(map(str, example_rows(data, mask)))}"


def separation_hints(design: Design, d: np.ndarray) -> list[str]:
    """Design columns that separate the arms: constant in one arm but not the other, a 0/1 column
    whose 1s (or 0s) are all in one arm, or non-overlapping ranges."""
    x = design.matrix
    out: list[str] = []
    if not d.any() or d.all():
        return out
    for j, name in enumerate(design.names):
        col = x[:, j]
        c1, c0 = col[d], col[~d]
        lo1, hi1, lo0, hi0 = c1.min(), c1.max(), c0.min(), c0.max()
        if np.all((col == 0) | (col == 1)):
            found = False
            for v in (1.0, 0.0):
                k1, k0 = int((c1 == v).sum()), int((c0 == v).sum())
                if (k1 == 0) != (k0 == 0):
                    arm = "treated" if k0 == 0 else "control"
                    out.append(f"all {k1 + k0} units with '{name}' = {v:g} are {arm}")
                    found = True
                    break
            if found:
                continue
        if lo1 == hi1 and lo0 != hi0:
            out.append(f"'{name}' is constant ({lo1:g}) among treated units but varies among controls")
        elif lo0 == hi0 and lo1 != hi1:
            out.append(f"'{name}' is constant ({lo0:g}) among control units but varies among treated")
        elif hi1 < lo0 or hi0 < lo1:
            out.append(f"'{name}' does not overlap between arms (treated [{lo1:g}, {hi1:g}], control [{lo0:g}, {hi0:g}])")
    return out
