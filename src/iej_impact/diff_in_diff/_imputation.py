"""The imputation DiD estimator of Borusyak, Jaravel & Spiess (2024): effects as observed minus imputed Y(0).

:func:`imputation_did` follows the paper's three steps (Theorem 2):

1. fit ``Y_it = a_i + b_t + X_it'd + e_it`` by OLS on the untreated observations only, Omega_0: the
   never-treated units and the not-yet-treated periods of the others, excluding the ``anticipation``
   periods just before entry (t >= g_i - anticipation is "treated");
2. impute ``Y_it(0) = a_i + b_t + X_it'd`` for every treated observation and take
   ``tau_it = Y_it - Y_it(0)``;
3. average: the overall ATT weights every treated observation at event times e = t - g_i >= 0 equally,
   the effect at horizon h every treated observation with e = h equally (the paper's default weights
   w_it = 1/N_1 and 1{e = h}/N_h).

Each estimate is linear in Y, tau_w = sum_it v_it Y_it, with v_it = w_it on Omega_1 and
v_0 = -Z_0 (Z_0'Z_0)^{-1} Z_1'w_1 on Omega_0 (Z the fixed-effect and covariate design). The unit and
covariate blocks of Z_0'Z_0 are eliminated exactly (the unit block is diagonal), so only a system of
the size of the periods plus covariates is factorised.

Standard errors are the paper's conservative cluster-robust variance (Theorem 3, eq. 7):
``Var = sum_c (sum_{it in c} v_it e~_it)^2`` over clusters c (units by default), with e~_it the residual
of step 1 on Omega_0 and, on Omega_1, tau_it minus its auxiliary-model average: the v-weighted mean of
tau over the observations of the same cohort and period (the paper's averaging of effects within
cohort x event-time cells, as R ``didimputation`` does; the plain average, not the leave-out
version of the paper's appendix). No small-sample factor is applied. The variance is conservative
when effects vary within the cells beyond what their average captures.

The pre-trend test is the paper's Test 1 (section 4.4), separate from the estimator: OLS on Omega_0 of
``Y_it = a_i + b_t + X_it'd + sum_k c_k 1{t - g_i = k} + e_it`` over the leads k listed (by default
every lead of the data but the earliest, which would make the leads collinear with the unit effects),
with a cluster-robust (CR1) Wald test of c = 0. The lead coefficients are the ``post=False`` rows of
the result.

Reference: Borusyak, K., Jaravel, X. and Spiess, J. (2024). Revisiting event-study designs: robust and
efficient estimation. Review of Economic Studies 91(6), 3253-3285.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import sparse

from .._params import Columns, EventTimes, Interval, constrained
from .._validation import arguments_checked, as_column_list
from ..errors import EstimationError, SpecificationError
from ..inference import Clustered, InferenceLike, WaldTest, normal_ci, parse_inference
from ._event_time import CohortPanel, EventTimeResult, by_rows, cohort_panel

__all__ = ["imputation_did"]


@dataclass(frozen=True)
class _FixedEffects:
    """OLS with unit and period effects (and covariates) on the untreated rows, as a solver of its normal equations.

    Parameters theta = (a: one per unit, c: period dummies but the first, then covariates). ``solve(ra, rc)``
    returns Z_0'Z_0 \\ (ra, rc) by eliminating the diagonal unit block: (Schur complement) c, then a.
    """

    unit0: np.ndarray
    w0: sparse.csr_matrix  # untreated rows x p: period dummies (first period dropped) and covariates
    n_unit: np.ndarray  # untreated rows per unit
    cross: np.ndarray  # D_0'W_0: units x p
    schur_inv: np.ndarray
    period_col: dict[float, int]  # period value -> its column in W (absent: the first period, or none)

    @classmethod
    def fit(cls, unit0: np.ndarray, time0: np.ndarray, x0: np.ndarray, n_units: int) -> _FixedEffects:
        periods = np.unique(time0)
        col = {float(p): j for j, p in enumerate(periods[1:])}
        tcode = np.searchsorted(periods, time0) - 1
        rows = np.flatnonzero(tcode >= 0)
        dummies = sparse.csr_matrix((np.ones(rows.size), (rows, tcode[rows])), shape=(len(time0), len(periods) - 1))
        w0 = sparse.hstack([dummies, sparse.csr_matrix(x0)], format="csr")
        d0 = sparse.csr_matrix((np.ones(len(unit0)), (unit0, np.arange(len(unit0)))), shape=(n_units, len(unit0)))
        n_unit = np.asarray(d0.sum(axis=1)).ravel()
        cross = np.asarray((d0 @ w0).todense())
        inv_n = np.where(n_unit > 0, 1.0 / np.maximum(n_unit, 1), 0.0)
        schur = np.asarray((w0.T @ w0).todense()) - cross.T @ (cross * inv_n[:, None])
        if schur.size and np.linalg.matrix_rank(schur, tol=1e-9 * max(1.0, float(np.abs(schur).max()))) < schur.shape[0]:
            raise EstimationError("the untreated observations do not identify the period effects and covariates "
                                  "(a covariate constant within units or periods, or collinear covariates?); drop it.")
        return cls(unit0, w0, n_unit, cross, np.linalg.inv(schur) if schur.size else schur, col)

    def solve(self, ra: np.ndarray, rc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        inv_n = np.where(self.n_unit > 0, 1.0 / np.maximum(self.n_unit, 1), 0.0)[:, None]
        c = self.schur_inv @ (rc - self.cross.T @ (ra * inv_n))
        return (ra - self.cross @ c) * inv_n, c

    def design(self, time: np.ndarray, x: np.ndarray) -> sparse.csr_matrix:
        """The W rows (period dummies, covariates) of other observations (periods seen among the untreated)."""
        tcode = np.array([self.period_col.get(float(t), -1) for t in time])
        rows = np.flatnonzero(tcode >= 0)
        p_t = len(self.period_col)
        dummies = sparse.csr_matrix((np.ones(rows.size), (rows, tcode[rows])), shape=(len(time), p_t))
        return sparse.hstack([dummies, sparse.csr_matrix(x)], format="csr")


def _targets(e1: np.ndarray, horizons: Sequence[int] | None) -> tuple[list[int], np.ndarray]:
    """The horizons reported and the weights w_1 (treated rows x (1 + horizons)): overall ATT, then each horizon."""
    levels = sorted({int(h) for h in e1[e1 >= 0]}) if horizons is None else list(horizons)
    post = e1 >= 0
    if not post.any():
        raise EstimationError("no treated observation at an event time >= 0 is identified; nothing to estimate.")
    cols = [post / post.sum()]
    for h in levels:
        hit = e1 == h
        if not hit.any():
            raise EstimationError(f"no identified treated observation at horizon {h}; drop it from 'horizons'.")
        cols.append(hit / hit.sum())
    return levels, np.column_stack(cols)


def _imputation_variance(fe: _FixedEffects, panel: CohortPanel, untreated: np.ndarray, treated: np.ndarray,
                         resid0: np.ndarray, tau: np.ndarray, w1: np.ndarray) -> np.ndarray:
    """Per-cluster sums of v_it e~_it (clusters x estimands): BJS Theorem 3 with the cohort x period auxiliary model."""
    u1 = panel.unit[treated]
    ra = np.column_stack([np.bincount(u1, weights=w1[:, j], minlength=panel.n_units) for j in range(w1.shape[1])])
    rc = np.asarray(fe.design(panel.time[treated], panel.x[treated]).T @ w1)
    a, c = fe.solve(ra, rc)
    v0 = -(a[fe.unit0] + np.asarray(fe.w0 @ c))
    cell = pd.factorize(pd.MultiIndex.from_arrays([panel.cohort[treated], panel.time[treated]]))[0]
    n_cells = int(cell.max()) + 1
    e1 = np.empty_like(w1)
    for j in range(w1.shape[1]):
        num = np.bincount(cell, weights=w1[:, j] * tau, minlength=n_cells)
        den = np.bincount(cell, weights=w1[:, j], minlength=n_cells)
        e1[:, j] = tau - np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)[cell]
    n_clusters = int(panel.clusters.max()) + 1
    sums = np.zeros((n_clusters, w1.shape[1]))
    np.add.at(sums, panel.clusters[untreated], v0 * resid0[:, None])
    np.add.at(sums, panel.clusters[treated], w1 * e1)
    return sums


def _pretrend(panel: CohortPanel, untreated: np.ndarray, leads: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Test 1 of BJS: lead coefficients, their CR1 covariance, counts and the fit's observations."""
    from ._twfe import demean, panel_index, within_fit

    sub = pd.DataFrame({"u": panel.unit[untreated], "t": panel.time[untreated]})
    e0 = panel.event_time[untreated]
    dummies = np.column_stack([(e0 == k).astype(float) for k in leads])
    idx = panel_index(sub, "u", "t", "imputation_did")
    z = demean(np.column_stack([panel.y[untreated], dummies, panel.x[untreated]]), idx, None)
    clusters = pd.factorize(panel.clusters[untreated])[0].astype(np.int64)
    fit = within_fit(z[:, 0], z[:, 1:], None, idx, clusters, "nested")
    k = len(leads)
    return fit.coef[:k], fit.vcov[:k, :k], dummies.sum(axis=0).astype(int), fit.n_obs


@constrained({
    "outcome": Columns(single=True), "unit": Columns(single=True), "time": Columns(single=True),
    "cohort": Columns(single=True), "covariates": Columns(), "anticipation": Interval(low=0, integer=True),
    "horizons": EventTimes(none_ok=True), "pretrend_leads": EventTimes(high=-1, keywords=("none",), none_ok=True),
    "alpha": Interval(0.0, 0.5, low_open=True),
})
def imputation_did(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    covariates: Sequence[str] = (),
    anticipation: int = 0,
    horizons: Sequence[int] | None = None,
    pretrend_leads: Sequence[int] | Literal["none"] | None = None,
    se: InferenceLike | None = None,
    never_treated: float | None = None,
    alpha: float = 0.05,
) -> EventTimeResult:
    """Imputation difference-in-differences (Borusyak, Jaravel & Spiess 2024): overall ATT and effects by horizon.

    Parameters
    ----------
    data : long panel, one row per unit and period (unbalanced panels allowed).
    outcome, unit, time : outcome, unit id and numeric period columns.
    cohort : first treatment period of the unit (NaN, or ``never_treated``, for never-treated units).
    covariates : time-varying covariates of the Y(0) model (fitted on the untreated observations).
    anticipation : periods before entry that may already be affected: they are left out of the Y(0) fit.
    horizons : event times h (>= -anticipation) to report; None (default): every h >= 0 in the data.
    pretrend_leads : leads k (< -anticipation) of the pre-trend test; None (default): every lead of the
        untreated observations but the earliest; ``"none"``: no test.
    se : None (default): clustered by ``unit``; or ``{type: clustered, by: col}`` (units nested in clusters).
    never_treated : value of ``cohort`` coding never-treated units, when not missing (e.g. 0).
    alpha : 1 - confidence level.

    Returns
    -------
    EventTimeResult: ``estimate`` is the ATT over every treated observation at e >= 0; ``by`` one row
    per horizon (``post``) and per lead of the pre-trend test (``post`` False); ``detail`` the average
    imputed effect by cohort and event time; ``pretrend_test()``.

    Notes
    -----
    Assumes parallel trends and no anticipation beyond ``anticipation`` periods for Y(0) (the model of
    step 1); treatment effects may vary arbitrarily. Treated observations whose unit or period has no
    untreated observation cannot be imputed and are left out (a note counts them). Standard errors are
    BJS's conservative variance (module docstring).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> u, t = np.repeat(np.arange(60), 6), np.tile(np.arange(1, 7), 60)
    >>> g = np.where(u < 20, 3.0, np.where(u < 40, 5.0, np.nan))
    >>> y = 0.1 * u + 0.2 * t + np.where(t >= g, 1.0 + (g == 3), 0.0)
    >>> res = imputation_did(pd.DataFrame({"u": u, "t": t, "g": g, "y": y}), outcome="y", unit="u", time="t", cohort="g")
    >>> round(res.estimate, 6), [round(v, 6) for v in res.by.loc[res.by["post"], "estimate"]]
    (1.666667, [1.5, 1.5, 2.0, 2.0])
    """
    func = "imputation_did"
    covs = as_column_list("covariates", covariates, func)
    inference = parse_inference(Clustered(by=unit) if se is None else se, func, ("clustered",))
    assert isinstance(inference, Clustered)
    if horizons is not None and min(horizons) < -anticipation:
        raise SpecificationError(f"the 'horizons' of {func}() must be >= -anticipation ({-anticipation}); got "
                                 f"{list(horizons)}.")
    if isinstance(pretrend_leads, list) and max(pretrend_leads) >= -anticipation:
        raise SpecificationError(f"the 'pretrend_leads' of {func}() must be < -anticipation ({-anticipation}), the "
                                 f"periods of the Y(0) fit; got {pretrend_leads}.")
    cluster_cols = [c for c in inference.columns if c != unit]
    panel = cohort_panel(data, func, outcome=outcome, unit=unit, time=time, cohort=cohort, covariates=covs,
                         cluster_cols=inference.columns if cluster_cols else [], never_treated=never_treated)
    arguments_checked()
    e = panel.event_time
    untreated = np.isnan(e) | (e < -anticipation)
    seen_units = np.bincount(panel.unit[untreated], minlength=panel.n_units) > 0
    seen_periods = np.isin(panel.time, np.unique(panel.time[untreated]))
    treated = ~untreated & seen_units[panel.unit] & seen_periods
    lost = int((~untreated & ~treated).sum())
    fe = _FixedEffects.fit(panel.unit[untreated], panel.time[untreated], panel.x[untreated], panel.n_units)
    a, c = fe.solve(np.bincount(panel.unit[untreated], weights=panel.y[untreated], minlength=panel.n_units)[:, None],
                    np.asarray(fe.w0.T @ panel.y[untreated])[:, None])
    resid0 = panel.y[untreated] - a[fe.unit0, 0] - np.asarray(fe.w0 @ c).ravel()
    y0_hat = a[panel.unit[treated], 0] + np.asarray(fe.design(panel.time[treated], panel.x[treated]) @ c).ravel()
    tau = panel.y[treated] - y0_hat
    e1 = e[treated]
    levels, w1 = _targets(e1, horizons)
    sums = _imputation_variance(fe, panel, untreated, treated, resid0, tau, w1)
    ses = np.sqrt(np.einsum("ij,ij->j", sums, sums))
    estimates = w1.T @ tau
    n_h = [int((e1 == h).sum()) for h in levels]
    lead_rows, pretrend = _lead_rows(panel, untreated, pretrend_leads, anticipation, alpha)
    by = pd.concat([lead_rows, by_rows(levels, estimates[1:], ses[1:], n_h, alpha)], ignore_index=True) \
        if len(lead_rows) else by_rows(levels, estimates[1:], ses[1:], n_h, alpha)
    lo, hi, p = normal_ci(float(estimates[0]), float(ses[0]), alpha)
    detail = (pd.DataFrame({"group": panel.cohort[treated], "event_time": e1, "tau": tau})
              .groupby(["group", "event_time"], as_index=False).agg(estimate=("tau", "mean"), n_obs=("tau", "size")))
    n_unit_treated = int(np.unique(panel.unit[treated & (e >= 0)]).size)
    scale = sums.shape[0]  # per cluster, scaled so that Var = sum_c psi_c^2 / n^2 (iej_impact's convention)
    notes = ["Imputation estimator (Borusyak, Jaravel & Spiess 2024): unit and period effects"
             + (f" and {len(covs)} covariate(s)" if covs else "")
             + f" fitted on {int(untreated.sum())} untreated observations; {int(treated.sum())} treated observations "
             "imputed; overall ATT weights every treated observation at e >= 0 equally.",
             f"Standard errors: BJS conservative variance (Theorem 3), clustered by {', '.join(inference.columns)}, "
             "effects averaged by cohort x period in the auxiliary model, no small-sample factor.",
             "Lead rows (post = False) are the coefficients of the pre-trend regression on untreated observations "
             "(BJS Test 1, CR1 standard errors), not imputed effects.", *panel.notes]
    if anticipation:
        notes.append(f"Anticipation: the {anticipation} period(s) before entry are left out of the Y(0) fit.")
    if lost:
        notes.append(f"{lost} treated observation(s) whose unit or period has no untreated observation cannot be "
                     "imputed and are left out.")
    return EventTimeResult(
        kind="dynamic", method=func, estimand="ATT", outcome=outcome, estimate=float(estimates[0]),
        std_error=float(ses[0]), ci=(lo, hi), p_value=p, inference=inference.using("none"),
        n_treated=int(np.unique(panel.unit[~np.isnan(panel.cohort)]).size),
        n_control=int(np.unique(panel.unit[np.isnan(panel.cohort)]).size), by=by, alpha=float(alpha),
        pretrend=pretrend, base_period="", reference_event_time=None,
        spec={"outcome": outcome, "unit": unit, "time": time, "cohort": cohort, "covariates": covs,
              "anticipation": anticipation, "horizons": horizons, "pretrend_leads": pretrend_leads,
              "se": inference.to_dict(), "never_treated": never_treated, "alpha": alpha,
              "n_treated_units_post": n_unit_treated},
        notes=tuple(notes), influence=sums[:, 0] * scale, by_influence=sums[:, 1:] * scale, detail=detail,
    )


def _lead_rows(panel: CohortPanel, untreated: np.ndarray, pretrend_leads: Sequence[int] | str | None,
               anticipation: int, alpha: float) -> tuple[pd.DataFrame, WaldTest | None]:
    """The pre-trend regression's lead rows for ``by`` and its Wald test (None when no lead is tested)."""
    e0 = panel.event_time[untreated]
    available = sorted({int(k) for k in e0[~np.isnan(e0)]})
    if pretrend_leads == "none":
        return pd.DataFrame(), None
    leads = available[1:] if pretrend_leads is None else [k for k in pretrend_leads if k in available]
    if isinstance(pretrend_leads, list) and len(leads) < len(pretrend_leads):
        missing = sorted(set(pretrend_leads) - set(available))
        raise SpecificationError(f"imputation_did(): no untreated observation at lead(s) {missing}; the leads of the "
                                 f"data are {available}.")
    if not leads:
        return pd.DataFrame(), WaldTest.compute(np.zeros(0), np.zeros((0, 0)), "no lead to test")
    coef, cov, counts, _ = _pretrend(panel, untreated, leads)
    ses = np.sqrt(np.diag(cov))
    test = WaldTest.compute(coef, cov, f"every lead coefficient (event times {leads}) of the regression on untreated "
                                       "observations is zero (BJS Test 1)")
    return by_rows(leads, coef, ses, counts, alpha), test
