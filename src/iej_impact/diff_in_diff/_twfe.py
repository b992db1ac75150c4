"""Two-way fixed effects (TWFE) with cluster-robust standard errors, and why it can mislead.

:func:`twfe` estimates the static regression

    y_it = a_i + l_t + b D_it + X_it'c + e_it

by the within transformation: y, D and X are purged of unit and period effects (closed form on a
balanced unweighted panel, alternating projections otherwise, to 1e-12), then b and c come from
(weighted) least squares on the demeaned data. The result equals linearmodels'
``PanelOLS(entity_effects=True, time_effects=True)`` and R's ``lm`` with unit and period dummies.

Standard errors (``se=None``: clustered by unit) are Liang-Zeger cluster-robust,
V = q (X'WX)^-1 (sum_g s_g s_g') (X'WX)^-1 with s_g the cluster sum of x_it w_it e_it, and the
small-sample factor q set by ``small_sample``:

* ``"nested"`` (default, Stata ``xtreg, fe vce(cluster)``, pyfixest ``CRV1``): q = G/(G-1) (N-1)/(N-K)
  with K = the slope coefficients plus the T period effects; the unit effects, nested within the
  clusters, are not counted (when clusters cut across units they are: K = k + N_units + T, as
  pyfixest does);
* ``"all"`` (Stata ``areg``, R ``estimatr`` ``se_type="stata"``, ``sandwich::vcovCL(type="HC1")`` on
  the dummy regression): K also counts every unit effect, which inflates SEs in short panels;
* ``"none"``: q = G/(G-1) only (``sandwich::vcovCL(type="HC0", cadjust=TRUE)``).

With staggered adoption and effects that vary over time or cohorts, b is a weighted average of all
2x2 comparisons, some using already-treated units as controls, with weights that can be negative
(Goodman-Bacon 2021; de Chaisemartin & D'Haultfoeuille 2020). The result's diagnostics hold
both decompositions: ``bacon`` (the 2x2 estimates and their weights, which sum to b exactly on a
balanced panel without covariates or weights) and ``negative_weights`` (the weight of each treated
(cohort, period) cell in b; negative ones flag the problem). Prefer
:func:`~iej_impact.diff_in_diff._staggered.att_gt` then.

References
----------
Goodman-Bacon, A. (2021). Difference-in-differences with variation in treatment timing.
Journal of Econometrics 225(2), 254-277.
de Chaisemartin, C. and D'Haultfoeuille, X. (2020). Two-way fixed effects estimators with
heterogeneous treatment effects. American Economic Review 110(9), 2964-2996.
Cameron, A. C. and Miller, D. L. (2015). A practitioner's guide to cluster-robust inference.
Journal of Human Resources 50(2), 317-372.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from .._params import Columns, Interval, Options, constrained
from .._validation import (
    arguments_checked,
    as_column_list,
    check_binary,
    check_columns,
    check_dataframe,
    describe_rows,
    example_rows,
    user_stacklevel,
)
from ..data._numeric_text import check_numeric
from ..data._panel import check_panel
from ..errors import DataError, EstimationError, MissingDataWarning
from ..inference import Clustered, InferenceLike, Robust, cluster_codes, cluster_sums, normal_ci, parse_inference
from ..results import EffectResult

__all__ = ["twfe"]

_FUNC = "twfe"
SmallSample = Literal["nested", "all", "none"]


# ----------------------------------------------------------------------------------------- the engine


@dataclass(frozen=True)
class PanelIndex:
    """Integer codes of units and periods (0..n-1, 0..T-1), the ids, and whether the panel is balanced."""

    unit: np.ndarray
    time: np.ndarray
    unit_ids: np.ndarray
    periods: np.ndarray
    balanced: bool

    @property
    def n_units(self) -> int:
        return len(self.unit_ids)

    @property
    def n_periods(self) -> int:
        return len(self.periods)


def panel_index(data: pd.DataFrame, unit: str, time: str, func: str) -> PanelIndex:
    """Factorise unit and period columns; PanelStructureError on duplicate (unit, period) rows."""
    for col in (unit, time):
        if data[col].isna().any():
            mask = data[col].isna().to_numpy()
            raise DataError(f"{func}(): column '{col}' is missing in {describe_rows(data, mask)}.", column=col,
                            rows=example_rows(data, mask))
    ucode, uids = pd.factorize(data[unit], sort=True)
    tcode, tids = pd.factorize(data[time], sort=True)
    n, t = len(uids), len(tids)
    counts = np.bincount(ucode.astype(np.int64) * t + tcode, minlength=n * t)
    if counts.max(initial=0) > 1:
        check_panel(data, unit=unit, time=time, func=func)  # raises with ids and counts
    return PanelIndex(ucode, tcode, np.asarray(uids), np.asarray(tids), bool(counts.min(initial=1) == 1))


def demean(z: np.ndarray, idx: PanelIndex, w: np.ndarray | None, *, tol: float = 1e-12,
           max_iter: int = 10_000) -> np.ndarray:
    """Purge unit and period effects from the columns of ``z`` (N x k): weighted two-way within transform.

    Balanced and unweighted: z - unit mean - period mean + grand mean (exact). Otherwise the
    method of alternating projections, until no column changes by more than ``tol`` times its scale.
    """
    z = np.array(z, dtype=float, copy=True)
    if z.ndim == 1:
        z = z[:, None]
    n, t = idx.n_units, idx.n_periods
    if w is None and idx.balanced:
        for j in range(z.shape[1]):
            col = z[:, j]
            um = np.bincount(idx.unit, weights=col, minlength=n) / t
            tm = np.bincount(idx.time, weights=col, minlength=t) / n
            z[:, j] = col - um[idx.unit] - tm[idx.time] + col.mean()
        return z
    ww = np.ones(z.shape[0]) if w is None else w
    uw = np.bincount(idx.unit, weights=ww, minlength=n)
    tw = np.bincount(idx.time, weights=ww, minlength=t)
    for j in range(z.shape[1]):
        col = z[:, j]
        scale = max(float(np.max(np.abs(col))), 1.0)
        for _ in range(max_iter):
            col -= (np.bincount(idx.unit, weights=ww * col, minlength=n) / uw)[idx.unit]
            step = (np.bincount(idx.time, weights=ww * col, minlength=t) / tw)[idx.time]
            col -= step
            if np.max(np.abs(step)) <= tol * scale:
                break
        else:
            raise EstimationError(f"the two-way within transformation did not converge in {max_iter} iterations.")
        z[:, j] = col
    return z


@dataclass(frozen=True)
class WithinFit:
    """Coefficients, their covariance, residuals and the counts behind the small-sample factor."""

    coef: np.ndarray
    vcov: np.ndarray
    resid: np.ndarray
    xtx_inv: np.ndarray
    n_obs: int
    n_clusters: int
    k_params: int
    factor: float
    #: the small-sample convention of ``factor`` (:data:`iej_impact.inference.SmallSampleConvention`)
    convention: str = "N/(N-K)"


def within_fit(y_dm: np.ndarray, x_dm: np.ndarray, w: np.ndarray | None, idx: PanelIndex,
               clusters: np.ndarray | None, small_sample: str) -> WithinFit:
    """(Weighted) least squares on demeaned data with cluster-robust (or HC1) covariance."""
    n_obs, k = x_dm.shape
    wx = x_dm if w is None else x_dm * w[:, None]
    xtx = wx.T @ x_dm
    if np.linalg.cond(xtx) > 1e12:
        raise EstimationError("the regressors are collinear once unit and period effects are removed (a regressor "
                              "constant within unit or within period?); drop it.")
    xtx_inv = np.linalg.inv(xtx)
    coef = xtx_inv @ (wx.T @ y_dm)
    resid = y_dm - x_dm @ coef
    sums = cluster_sums(wx * resid[:, None], clusters)  # the scores themselves without clusters
    meat = sums.T @ sums
    g = n_obs if clusters is None else int(clusters.max()) + 1
    k_params, factor, convention = small_sample_factor(
        n_obs, k, g, idx.n_units, idx.n_periods, clusters is not None,
        clusters is not None and _nested(idx.unit, clusters), small_sample)
    vcov = factor * xtx_inv @ meat @ xtx_inv
    return WithinFit(coef, vcov, resid, xtx_inv, n_obs, g, k_params, factor, convention)


def small_sample_factor(n_obs: int, k: int, g: int, n_units: int, n_periods: int, clustered: bool, nested: bool,
                        small_sample: str) -> tuple[int, float, str]:
    """(K counted, factor q, its convention) of the cluster-robust (or HC1) covariance; see the module docstring.

    ``k`` slopes, ``g`` clusters (n_obs without clusters), ``nested``: every unit within one cluster.
    """
    n_fe_unit = n_units
    n_fe_time = n_periods - 1
    if not clustered:
        k_params = k + n_fe_unit + n_fe_time
        return k_params, n_obs / (n_obs - k_params), "N/(N-K)"
    if small_sample == "none":
        return k, g / (g - 1), "G/(G-1)"
    if small_sample == "all":
        k_params = k + n_fe_unit + n_fe_time
    else:  # fixest / pyfixest / Stata xtreg: the T period effects, plus the unit effects unless nested
        k_params = k + n_periods + (0 if nested else n_fe_unit)
    return k_params, g / (g - 1) * (n_obs - 1) / (n_obs - k_params), "G/(G-1)(N-1)/(N-K)"


def _nested(unit: np.ndarray, clusters: np.ndarray) -> bool:
    """True when every unit lies within one cluster."""
    first = np.full(int(unit.max()) + 1, -1)
    first[unit] = clusters
    return bool(np.all(first[unit] == clusters))


# ----------------------------------------------------------------------------------------- diagnostics


def bacon_decomposition(y: np.ndarray, d: np.ndarray, idx: PanelIndex) -> pd.DataFrame:
    """Goodman-Bacon (2021) decomposition of the TWFE coefficient on a balanced panel, no covariates.

    Timing groups are formed by the share of periods each unit is treated (its cohort); every pair
    gives one or two 2x2 DiDs: ``treated vs never`` (k against never-treated U), ``earlier vs later``
    (k against l before l is treated) and ``later vs earlier`` (l against the already-treated k:
    the "forbidden" comparison). Weights follow Theorem 1 (eq. 10a-c) and sum to 1; sum(weight *
    estimate) is the TWFE coefficient.
    """
    n, t = idx.n_units, idx.n_periods
    dmat = np.zeros((n, t))
    dmat[idx.unit, idx.time] = d
    ymat = np.zeros((n, t))
    ymat[idx.unit, idx.time] = y
    share = dmat.mean(axis=1)
    start = np.where(share > 0, t - np.round(share * t).astype(int), t)  # first treated period index (t: never)
    levels = np.unique(start)
    ns = np.array([(start == s).mean() for s in levels])
    dbar = np.array([(t - s) / t for s in levels])
    dtil = dmat - dmat.mean(axis=1, keepdims=True) - dmat.mean(axis=0, keepdims=True) + dmat.mean()
    vd = float(np.mean(dtil**2))
    means = np.array([ymat[start == s].mean(axis=0) for s in levels])  # group x period mean outcomes
    rows = []

    def dd(k: int, c: int, pre: slice, post: slice) -> float:
        return float((means[k, post].mean() - means[k, pre].mean()) - (means[c, post].mean() - means[c, pre].mean()))

    labels = [("never" if s == t else "always" if s == 0 else idx.periods[s]) for s in levels]
    for a in range(len(levels)):
        for b in range(a + 1, len(levels)):
            k, lt = a, b  # k treated earlier (smaller start), lt later (or never)
            sk, sl = levels[k], levels[lt]
            nk, nl = ns[k], ns[lt]
            nkl = nk / (nk + nl)
            dk, dl = dbar[k], dbar[lt]
            if sl == t and sk > 0:  # k vs never treated
                wgt = (nk + nl) ** 2 * nkl * (1 - nkl) * dk * (1 - dk) / vd
                rows.append(("treated vs never treated", labels[k], labels[lt], dd(k, lt, slice(0, sk), slice(sk, t)), wgt))
                continue
            if sk > 0 and sl < t:  # earlier vs later, before the later group is treated
                wgt = ((nk + nl) * (1 - dl)) ** 2 * nkl * (1 - nkl) * (dk - dl) / (1 - dl) * (1 - dk) / (1 - dl) / vd
                rows.append(("earlier vs later treated", labels[k], labels[lt],
                             dd(k, lt, slice(0, sk), slice(sk, sl)), wgt))
            if sl < t and dk > 0:  # later vs already treated earlier group
                wgt = ((nk + nl) * dk) ** 2 * nkl * (1 - nkl) * (dl / dk) * (dk - dl) / dk / vd
                rows.append(("later vs earlier treated", labels[lt], labels[k],
                             dd(lt, k, slice(sk, sl), slice(sl, t)), wgt))
    frame = pd.DataFrame(rows, columns=["type", "treated", "control", "estimate", "weight"])
    return frame


def negative_weights(d: np.ndarray, d_resid: np.ndarray, cohort: np.ndarray, time: np.ndarray,
                     w: np.ndarray | None) -> pd.DataFrame:
    """de Chaisemartin & D'Haultfoeuille (2020) weights of the treated (cohort, period) cells in b.

    b = sum over treated observations of w_it * Delta_it, with w_it = r_it / sum_{D=1} r_it and r the
    residual of D on the fixed effects (and covariates). Summed by cell; ``negative`` marks cells
    whose effect enters b with a negative weight.
    """
    ww = np.ones_like(d) if w is None else w
    treated = d == 1
    r = d_resid * ww
    weights = r[treated] / r[treated].sum()
    frame = pd.DataFrame({"cohort": cohort[treated], "time": time[treated], "weight": weights})
    out = frame.groupby(["cohort", "time"], sort=True, observed=True).agg(weight=("weight", "sum"), n_obs=("weight", "size"))
    out = out.reset_index()
    out["event_time"] = out["time"] - out["cohort"]
    out["negative"] = out["weight"] < 0
    return out[["cohort", "time", "event_time", "n_obs", "weight", "negative"]]


# ----------------------------------------------------------------------------------------- public


@constrained({
    "outcome": Columns(single=True), "unit": Columns(single=True), "time": Columns(single=True),
    "treatment": Columns(single=True), "covariates": Columns(), "weights": Columns(single=True, none_ok=True),
    "small_sample": Options(("nested", "all", "none")), "alpha": Interval(0.0, 0.5, low_open=True),
})
def twfe(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    treatment: str,
    covariates: Sequence[str] = (),
    weights: str | None = None,
    se: InferenceLike | None = None,
    small_sample: SmallSample = "nested",
    alpha: float = 0.05,
) -> EffectResult:
    """Static two-way fixed-effects DiD: the coefficient on the treatment dummy with unit and period effects.

    Parameters
    ----------
    data : long panel, one row per unit and period (unbalanced allowed).
    outcome : numeric outcome.
    unit, time : unit id and period columns.
    treatment : 0/1 column, 1 when the unit is treated in that period (D_it).
    covariates : time-varying covariates (time-invariant ones are absorbed by the unit effects and
        are dropped with a warning).
    weights : optional analytic / sampling weights (> 0).
    se : None (default): cluster-robust by ``unit``. ``{type: clustered, by: col}`` for other
        clusters (e.g. territory), ``"robust"`` for heteroskedasticity-robust (HC1) SEs.
    small_sample : "nested" (default; Stata xtreg/reghdfe/fixest CR1), "all" (areg/estimatr
        "stata": every fixed effect counted) or "none" (G/(G-1) only); see the module docstring.
    alpha : 1 - confidence level (normal CIs).

    Returns
    -------
    EffectResult with method "twfe", estimand "ATT" (a variance-weighted average of effects;
    only an ATT under homogeneous effects), and diagnostics ``coefficients`` (every slope with
    SE), ``negative_weights`` (de Chaisemartin-D'Haultfoeuille), ``bacon`` (Goodman-Bacon, when the
    panel is balanced, unweighted and without covariates, else None) and ``small_sample_factor``.

    Notes
    -----
    Assumes parallel trends and homogeneous (constant) treatment effects; see the module docstring
    for what b estimates otherwise.

    References
    ----------
    Goodman-Bacon (2021), J. Econometrics 225(2); de Chaisemartin & D'Haultfoeuille (2020), AER 110(9);
    Cameron & Miller (2015), J. Human Resources 50(2).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> u, t = np.repeat(np.arange(40), 4), np.tile(np.arange(4), 40)
    >>> d = ((u < 20) & (t >= 2)).astype(int)
    >>> df = pd.DataFrame({"u": u, "t": t, "d": d, "y": u * 0.1 + t * 0.2 + 0.5 * d})
    >>> round(twfe(df, outcome="y", unit="u", time="t", treatment="d").estimate, 6)
    0.5
    """
    check_dataframe(data, _FUNC)
    covs = as_column_list("covariates", covariates, _FUNC)
    inference = parse_inference(Clustered(by=unit) if se is None else se, _FUNC, ("clustered", "robust"))
    cluster_cols = inference.columns if isinstance(inference, Clustered) else []
    check_columns(data, list(dict.fromkeys([outcome, unit, time, treatment, *covs, *cluster_cols]
                                           + ([weights] if weights else []))), _FUNC)
    y = check_numeric(data, outcome, _FUNC)
    d = check_binary(data, treatment, _FUNC).astype(float)
    x = [check_numeric(data, c, _FUNC) for c in covs]
    w = None
    if weights is not None:
        w = check_numeric(data, weights, _FUNC)
        if (w <= 0).any():
            raise DataError(f"{_FUNC}(): weights column '{weights}' must be > 0; see {describe_rows(data, w <= 0)}.",
                            column=weights, rows=example_rows(data, w <= 0))
    idx = panel_index(data, unit, time, _FUNC)
    clusters = cluster_codes(data, cluster_cols, _FUNC) if cluster_cols else None
    arguments_checked()
    z = demean(np.column_stack([y, d, *x]), idx, w)
    keep_x = []
    for j, c in enumerate(covs):
        if np.max(np.abs(z[:, 2 + j])) <= 1e-9 * max(1.0, float(np.max(np.abs(x[j])))):
            warnings.warn(f"{_FUNC}(): covariate '{c}' is constant within unit (absorbed by the unit effects) and "
                          "is dropped.", MissingDataWarning, stacklevel=user_stacklevel())
        else:
            keep_x.append(j)
    if np.max(np.abs(z[:, 1])) <= 1e-12:
        raise EstimationError(f"{_FUNC}(): '{treatment}' has no variation within units and periods once the fixed "
                              "effects are removed (e.g. every unit treated at the same period, or never).")
    xm = z[:, [1] + [2 + j for j in keep_x]]
    fit = within_fit(z[:, 0], xm, w, idx, clusters, small_sample)
    ses = np.sqrt(np.diag(fit.vcov))
    est, std_error = float(fit.coef[0]), float(ses[0])
    lo, hi, pval = normal_ci(est, std_error, alpha)
    names = [treatment] + [covs[j] for j in keep_x]
    coefs = pd.DataFrame({"estimate": fit.coef, "std_error": ses, "statistic": fit.coef / ses},
                         index=pd.Index(names, name="term"))
    # cohort of each row for the weight diagnostics: first treated period of the unit
    first = np.full(idx.n_units, idx.n_periods)
    np.minimum.at(first, idx.unit[d == 1], idx.time[d == 1])
    ever = first < idx.n_periods
    cohort_vals = np.where(ever, idx.periods[np.minimum(first, idx.n_periods - 1)], np.nan)[idx.unit]
    d_resid = xm[:, 0]
    if xm.shape[1] > 1:
        sw = np.ones(len(d)) if w is None else np.sqrt(w)
        beta = np.linalg.lstsq(xm[:, 1:] * sw[:, None], xm[:, 0] * sw, rcond=None)[0]
        d_resid = xm[:, 0] - xm[:, 1:] @ beta
    negw = negative_weights(d, d_resid, cohort_vals, idx.periods[idx.time], w)
    bacon = None
    notes = [f"Two-way fixed effects ({idx.n_units} units, {idx.n_periods} periods, {fit.n_obs} observations"
             + (", balanced" if idx.balanced else ", unbalanced") + "); "
             + (f"cluster-robust SE by {cluster_cols} ({fit.n_clusters} clusters), small-sample factor "
                f"{small_sample!r} = {fit.factor:.6f}" if clusters is not None else
                f"heteroskedasticity-robust HC1 SE (factor {fit.factor:.6f})") + "."]
    if idx.balanced and w is None and not keep_x:
        bacon = bacon_decomposition(y, d, idx)
        forbidden = bacon.loc[bacon["type"] == "later vs earlier treated", "weight"].sum()
        notes.append(f"Goodman-Bacon: {forbidden:.1%} of the weight is on comparisons with already-treated units.")
    n_neg = int(negw["negative"].sum())
    notes.append(f"de Chaisemartin-D'Haultfoeuille: {n_neg} of {len(negw)} treated (cohort, period) cells have "
                 f"negative weights (total {negw.loc[negw['negative'], 'weight'].sum():.3f}).")
    notes.append("TWFE assumes parallel trends and homogeneous effects; with staggered entry and heterogeneous "
                 "effects prefer att_gt().")
    n_treated_units = int(ever.sum())
    sizes = pd.DataFrame({"units": [idx.n_units - n_treated_units, n_treated_units],
                          "observations": [int((~ever[idx.unit]).sum()), int(ever[idx.unit].sum())]},
                         index=pd.Index(["never treated", "ever treated"], name="group"))
    return EffectResult(
        method="twfe", estimand="ATT", outcome=outcome, estimate=est, std_error=std_error, ci=(lo, hi),
        p_value=pval, inference=(inference if clusters is not None else Robust()).using(fit.convention),
        n_treated=n_treated_units, n_control=idx.n_units - n_treated_units, alpha=float(alpha), sample_sizes=sizes,
        diagnostics={"coefficients": coefs, "negative_weights": negw, "bacon": bacon,
                     "small_sample_factor": fit.factor, "n_clusters": fit.n_clusters, "n_obs": fit.n_obs,
                     "k_params": fit.k_params},
        spec={"outcome": outcome, "unit": unit, "time": time, "treatment": treatment, "covariates": covs,
              "weights": weights, "se": inference.to_dict(), "small_sample": small_sample, "alpha": alpha},
        notes=tuple(notes),
    )
