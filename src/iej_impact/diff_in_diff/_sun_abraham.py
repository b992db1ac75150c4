"""The interaction-weighted event study of Sun & Abraham (2021).

:func:`sun_abraham` fits one regression with unit and period effects and a full set of cohort x
relative-period interactions,

    y_it = a_i + l_t + sum_{g not control} sum_{k != -1} d_{g,k} 1{G_i = g} 1{t - g = k} + e_it,

every relative period of every treated cohort included (none is binned or dropped, so no excluded
period contaminates the others), k = -1 the reference. The control cohort is the never-treated units
(``control="never_treated"``) or the last-treated cohort together with any never-treated units
(``control="last_treated"``; the periods from that cohort's entry on are then dropped). The
cohort-specific effects d_{g,k} are averaged at each event time k with the cohorts' shares among the
observations at k, w_{g,k} = n_{g,k} / n_k (in a balanced panel the cohort shares of the units
observed at k, the paper's Pr(G = g | G in the cohorts with k observed)); the overall ATT averages
every post-entry cell (k >= 0) in the window with weights n_{g,k} / n.

Standard errors: the cluster-robust (CR1, fixest's small-sample factor) covariance of the d and the
delta method, with the estimation of the shares accounted for (the paper's Proposition 6 idea): each
cluster's contribution is w' psi_c + sum_{it in c} (d_{G_i,k} - nu_k) / n_k, psi_c its score of the
d, so the covariance of coefficients and shares is kept. ``std_error_fixed_shares`` in ``by`` is the
usual w' V w (shares taken as known), which is what fixest's ``aggregate`` and pyfixest report.

Reference: Sun, L. and Abraham, S. (2021). Estimating dynamic treatment effects in event studies with
heterogeneous treatment effects. Journal of Econometrics 225(2), 175-199.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from .._params import Columns, Interval, Options, constrained
from .._validation import arguments_checked
from ..errors import DataError, EstimationError, SpecificationError
from ..inference import Clustered, InferenceLike, WaldTest, cluster_sums, normal_ci, parse_inference
from ._aggregate import level_value
from ._event_time import EventTimeResult, by_rows, cohort_panel

__all__ = ["sun_abraham"]


def _window(window: object, func: str) -> tuple[float, float]:
    if window is None:
        return -np.inf, np.inf
    if (not isinstance(window, (tuple, list)) or len(window) != 2
            or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in window)
            or window[0] >= -1 or window[1] < 0):
        raise SpecificationError(f"the 'window' parameter of {func}() must be two integers (first lead < -1, last lag "
                                 f">= 0), e.g. [-4, 4]; got {window!r}.")
    return float(window[0]), float(window[1])


def _combine(cells: np.ndarray, delta: np.ndarray, scores: np.ndarray, counts: np.ndarray,
             cell_of_row: np.ndarray, cluster_of_row: np.ndarray, n_clusters: int) -> tuple[float, np.ndarray, np.ndarray]:
    """Estimate and per-cluster contributions (with and without the share term) of sum_c n_c d_c / n over ``cells``."""
    w = counts[cells] / counts[cells].sum()
    est = float(w @ delta[cells])
    fixed = scores[:, cells] @ w
    rows = np.flatnonzero(np.isin(cell_of_row, cells))
    share = np.bincount(cluster_of_row[rows], weights=(delta[cell_of_row[rows]] - est) / counts[cells].sum(),
                        minlength=n_clusters)
    return est, fixed + share, fixed


@constrained({
    "outcome": Columns(single=True), "unit": Columns(single=True), "time": Columns(single=True),
    "cohort": Columns(single=True), "control": Options(("never_treated", "last_treated")),
    "alpha": Interval(0.0, 0.5, low_open=True),
})
def sun_abraham(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    window: tuple[int, int] | None = None,
    control: Literal["never_treated", "last_treated"] = "never_treated",
    se: InferenceLike | None = None,
    never_treated: float | None = None,
    alpha: float = 0.05,
) -> EventTimeResult:
    """Sun & Abraham (2021) interaction-weighted event study: cohort-share averages of cohort x event-time effects.

    Parameters
    ----------
    data : long panel, one row per unit and period.
    outcome, unit, time : outcome, unit id and numeric period columns.
    cohort : first treatment period (NaN, or ``never_treated``, for never-treated units).
    window : (first lead < -1, last lag >= 0): the event times reported and averaged; the regression
        keeps every relative period whatever the window. None (default): all.
    control : "never_treated" (default) or "last_treated" (the last cohort to enter, with its
        treated periods dropped, plus any never-treated units).
    se : None (default): clustered by ``unit`` (CR1); or ``{type: clustered, by: col}``.
    never_treated : value of ``cohort`` coding never-treated units, when not missing (e.g. 0).
    alpha : 1 - confidence level.

    Returns
    -------
    EventTimeResult: ``estimate`` the overall post-entry ATT; ``by`` one row per event time (the reference
    -1 with estimate 0 and no SE), with ``std_error_fixed_shares``; ``detail`` the cohort x event-time
    coefficients; ``pretrend_test()`` the Wald test that the leads before -1 are zero.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> u, t = np.repeat(np.arange(60), 6), np.tile(np.arange(1, 7), 60)
    >>> g = np.where(u < 20, 3.0, np.where(u < 40, 5.0, np.nan))
    >>> y = 0.1 * u + 0.2 * t + np.where(t >= g, 1.0 + (g == 3), 0.0)
    >>> res = sun_abraham(pd.DataFrame({"u": u, "t": t, "g": g, "y": y}), outcome="y", unit="u", time="t", cohort="g")
    >>> [round(v, 6) for v in res.by.loc[res.by["post"], "estimate"]]
    [1.5, 1.5, 2.0, 2.0]
    """
    from ._twfe import demean, panel_index, within_fit

    func = "sun_abraham"
    lo, hi = _window(window, func)
    inference = parse_inference(Clustered(by=unit) if se is None else se, func, ("clustered",))
    assert isinstance(inference, Clustered)
    panel = cohort_panel(data, func, outcome=outcome, unit=unit, time=time, cohort=cohort, covariates=(),
                         cluster_cols=[c for c in inference.columns if c != unit] and inference.columns,
                         never_treated=never_treated)
    arguments_checked()
    g, tv = panel.cohort, panel.time
    rows = np.ones(len(g), dtype=bool)
    notes = list(panel.notes)
    if control == "last_treated":
        if np.isnan(g).all():
            raise DataError(f"{func}(): no treated cohort; control='last_treated' needs one.", column=cohort)
        last = np.nanmax(g)
        rows = tv < last
        g = np.where(g == last, np.nan, g)
        notes.append(f"Control: the last-treated cohort ({level_value(last)}) and never-treated units; periods from "
                     f"{level_value(last)} on dropped.")
    elif np.isnan(g).all() or not np.isnan(g).any():
        raise DataError(f"{func}(): control='never_treated' needs never-treated units (a missing cohort, or "
                        "never_treated=<code>); use control='last_treated' when every unit is eventually treated.",
                        column=cohort)
    e = tv - g
    no_ref = sorted({float(c) for c in np.unique(g[~np.isnan(g)])} - {float(c) for c in g[rows & (e == -1)]})
    if no_ref:
        rows &= ~np.isin(g, no_ref)
        notes.append(f"Cohort(s) {[level_value(c) for c in no_ref]} dropped: no observation at the reference event "
                     "time -1.")
    y, unit_code, tv, g, e = panel.y[rows], panel.unit[rows], tv[rows], g[rows], e[rows]
    clusters = pd.factorize(panel.clusters[rows])[0].astype(np.int64)
    treated = ~np.isnan(e) & (e != -1)
    if not treated.any():
        raise EstimationError(f"{func}(): no treated observation outside the reference period.")
    keys = pd.MultiIndex.from_arrays([g[treated], e[treated]])
    cell_code, cells = pd.factorize(keys, sort=True)
    cell_of_row = np.full(len(y), -1)
    cell_of_row[treated] = cell_code
    n_cells = len(cells)
    dummies = np.zeros((len(y), n_cells))
    dummies[np.flatnonzero(treated), cell_code] = 1.0
    frame = pd.DataFrame({"u": unit_code, "t": tv})
    idx = panel_index(frame, "u", "t", func)
    z = demean(np.column_stack([y, dummies]), idx, None)
    fit = within_fit(z[:, 0], z[:, 1:], None, idx, clusters, "nested")
    delta = fit.coef
    n_clusters = int(clusters.max()) + 1
    scores = cluster_sums(z[:, 1:] * fit.resid[:, None], clusters) @ fit.xtx_inv * np.sqrt(fit.factor)
    counts = np.bincount(cell_code, minlength=n_cells).astype(float)
    cell_g = cells.get_level_values(0).to_numpy(dtype=float)
    cell_e = cells.get_level_values(1).to_numpy(dtype=float)
    levels = [k for k in np.unique(cell_e) if lo <= k <= hi]
    est, contrib, fixed, n_obs = [], [], [], []
    for k in levels:
        sel = np.flatnonzero(cell_e == k)
        a, b, c = _combine(sel, delta, scores, counts, cell_of_row, clusters, n_clusters)
        est.append(a)
        contrib.append(b)
        fixed.append(c)
        n_obs.append(int(counts[sel].sum()))
    post_cells = np.flatnonzero((cell_e >= 0) & (cell_e >= lo) & (cell_e <= hi))
    overall, overall_c, _ = _combine(post_cells, delta, scores, counts, cell_of_row, clusters, n_clusters)
    # the share term enters with the small-sample factor the scores carry
    contrib_m = _rescale(np.column_stack(contrib), np.column_stack(fixed), np.sqrt(fit.factor))
    overall_fixed = scores[:, post_cells] @ (counts[post_cells] / counts[post_cells].sum())
    overall_c = _rescale(overall_c, overall_fixed, np.sqrt(fit.factor))
    ses = np.sqrt(np.einsum("ij,ij->j", contrib_m, contrib_m))
    ses_fixed = np.sqrt(np.einsum("ij,ij->j", np.column_stack(fixed), np.column_stack(fixed)))
    by = by_rows([*levels, -1.0], [*est, 0.0], [*ses, np.nan], [*n_obs, int(((e == -1) & ~np.isnan(g)).sum())], alpha,
                 std_error_fixed_shares=[*ses_fixed, np.nan])
    by.loc[by["event_time"] == -1, "post"] = False
    leads = [j for j, k in enumerate(levels) if k < -1]
    cov = contrib_m.T @ contrib_m
    pretrend = WaldTest.compute(np.asarray(est)[leads], cov[np.ix_(leads, leads)],
                                f"every event-time effect before the reference -1 (event times "
                                f"{[level_value(levels[j]) for j in leads]}) is zero")
    se_all = float(np.sqrt(overall_c @ overall_c))
    lo_ci, hi_ci, p = normal_ci(overall, se_all, alpha)
    detail = pd.DataFrame({"group": cell_g, "event_time": cell_e, "estimate": delta, "std_error": np.sqrt(np.diag(fit.vcov)),
                           "n_obs": counts.astype(int)})
    notes = ["Sun & Abraham (2021) interaction-weighted estimator: unit and period effects with every cohort x "
             "relative-period interaction (reference -1), averaged with the cohorts' shares of the observations at "
             "each event time; overall ATT: every post-entry cell weighted by its observations.",
             f"Standard errors: clustered by {', '.join(inference.columns)} (CR1, fixest's small-sample factor), delta "
             "method with the estimated shares' contribution (std_error_fixed_shares: shares taken as known).",
             *notes]
    return EventTimeResult(
        kind="dynamic", method=func, estimand="ATT", outcome=outcome, estimate=overall, std_error=se_all,
        ci=(lo_ci, hi_ci), p_value=p, inference=inference.using(fit.convention),
        n_treated=int(np.unique(unit_code[~np.isnan(g)]).size), n_control=int(np.unique(unit_code[np.isnan(g)]).size),
        by=by, alpha=float(alpha), pretrend=pretrend, base_period="universal", reference_event_time=-1.0,
        spec={"outcome": outcome, "unit": unit, "time": time, "cohort": cohort,
              "window": None if window is None else [int(window[0]), int(window[1])], "control": control,
              "se": inference.to_dict(), "never_treated": never_treated, "alpha": alpha},
        notes=tuple(notes), influence=overall_c * n_clusters, by_influence=contrib_m * n_clusters, detail=detail,
    )


def _rescale(total: np.ndarray, fixed: np.ndarray, factor: float) -> np.ndarray:
    """Scale the share part (total - fixed) by the small-sample ``factor`` the fixed part already carries."""
    return fixed + (total - fixed) * factor
