"""Event studies: leads and lags of treatment around each unit's entry, with a pre-trend test and plot.

:func:`event_study` fits the dynamic two-way fixed-effects regression

    y_it = a_i + l_t + sum_{k in window, k != reference} b_k 1{t - g_i = k} + X_it'c + e_it,

where g_i is unit i's first treatment period (cohort; never-treated units have no event dummy and
anchor the time effects). Event times beyond the window are *binned* into the end points
(1{t - g_i <= k_min} and 1{t - g_i >= k_max}), so every treated observation is in exactly one
dummy or in the reference period, and the end-point coefficients are averages over the bins.
The reference period (default -1, the last period before entry) is omitted: each b_k is relative
to it. Standard errors are cluster-robust by unit by default (CR1, see :func:`~iej_impact.diff_in_diff._twfe.twfe`).

The joint pre-trend test is a Wald test of b_k = 0 for the leads before the reference period,
k < reference (chi-squared with as many degrees of freedom as leads, on the clustered covariance).
A reference set earlier than -1 allows for anticipation: the leads between it and entry are the
anticipation window and are not tested unless asked (``pretrend_leads="all"`` tests every lead
other than the reference; a list tests the leads listed). Not rejecting the test is not evidence
of parallel trends (Roth 2022): the test may have little power.

Caveat: with staggered entry and effects that vary across cohorts, the lead and lag coefficients of
this regression mix effects of other periods (Sun & Abraham 2021); use
:func:`~iej_impact.diff_in_diff._staggered.att_gt` with ``aggregate("dynamic")`` for an event study that is robust
to heterogeneous effects. Both plots are drawn by :func:`plot_event_times` from their tables.

References
----------
Sun, L. and Abraham, S. (2021). Estimating dynamic treatment effects in event studies with
heterogeneous treatment effects. Journal of Econometrics 225(2), 175-199.
Roth, J. (2022). Pretest with caution: event-study estimates after testing for parallel trends.
AER: Insights 4(3), 305-322.
Freyaldenhoven, S., Hansen, C., Perez, J. P. and Shapiro, J. (2021). Visualization, identification,
and estimation in the linear panel event-study design. NBER WP 29170.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from .._params import Columns, EventTimes, Interval, Options, constrained
from .._validation import (
    arguments_checked,
    as_column_list,
    check_columns,
    check_dataframe,
    check_number,
    describe_rows,
    example_rows,
)
from ..data._numeric_text import check_numeric
from ..data._panel import check_panel
from ..errors import DataError, SpecificationError
from ..inference import (
    Clustered,
    Inference,
    InferenceLike,
    Robust,
    WaldTest,
    cluster_codes,
    normal_ci,
    parse_inference,
)
from ..results import TIDY_COLUMNS, Result, Summary, jsonable

__all__ = ["event_study", "event_study_result", "EventStudyResult", "plot_event_times"]


def plot_event_times(frame: pd.DataFrame, *, x: str = "event_time", ax: Any = None, title: str = "",
                     reference: float | None = None, xlabel: str = "Event time (periods since entry)",
                     base_note: str | None = None) -> Any:
    """Estimates with pointwise CIs (bars) and, when present, a uniform band (shaded), against ``x``.

    ``frame`` needs columns ``x``, ``estimate``, ``ci_lower``, ``ci_upper`` and optionally
    ``band_lower``/``band_upper``; a ``post`` column (bool) draws pre-periods hollow. The plot shows
    the table's numbers and computes nothing. ``reference`` marks the reference period at 0,
    ``base_note`` states the base period under the axis label. Returns the Axes (a new pyplot-free
    Figure when ``ax`` is None). Drawn by :func:`iej_impact.report._plots_did.plot_event_times`.
    """
    from ..report._plots_did import plot_event_times as draw

    return draw(frame, x=x, ax=ax, title=title, reference=reference, xlabel=xlabel, base_note=base_note)


@dataclass(frozen=True)
class EventStudyResult(Result):
    """Lead and lag coefficients of a dynamic TWFE regression, relative to a reference period.

    ``table``: one row per event time in the window (the reference row has estimate 0 and no SE),
    with estimate, std_error, p_value, ci_lower, ci_upper, post (event_time >= 0) and n_obs (treated
    observations in the bin; the end points are binned). ``vcov``: covariance of the coefficients.
    """

    method: str
    estimand: str
    outcome: str
    table: pd.DataFrame
    vcov: pd.DataFrame
    reference: int
    window: tuple[int, int]
    pretrend: WaldTest
    inference: Inference
    alpha: float = 0.05
    spec: Mapping[str, object] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    #: units and observations (rows) of the regression
    n_units: int | None = None
    n_obs: int | None = None

    def pretrend_test(self) -> WaldTest:
        """Joint Wald test that the lead coefficients chosen by ``pretrend_leads`` are zero (by default the
        leads before the reference period)."""
        return self.pretrend

    def to_frame(self) -> pd.DataFrame:
        t = self.table
        se = t["std_error"].to_numpy(dtype=float)
        frame = pd.DataFrame({
            "term": [f"event_time={int(e)}" for e in t["event_time"]], "estimate": t["estimate"],
            "std_error": t["std_error"], "statistic": t["estimate"].to_numpy(dtype=float) / np.where(se > 0, se, np.nan),
            "p_value": t["p_value"], "ci_lower": t["ci_lower"], "ci_upper": t["ci_upper"], "n_obs": t["n_obs"],
            "event_time": t["event_time"]})
        return frame[TIDY_COLUMNS + ["event_time"]].reset_index(drop=True)

    def to_dict(self) -> dict[str, Any]:
        by = [{"event_time": int(r["event_time"]), "estimate": r["estimate"], "std_error": r["std_error"],
               "ci_lower": r["ci_lower"], "ci_upper": r["ci_upper"], "reference": int(r["event_time"]) == self.reference}
              for r in self.table.to_dict("records")]
        return jsonable({"method": self.method, "estimand": self.estimand, "outcome": self.outcome,
                         "reference": self.reference, "window": list(self.window), "inference": self.inference.name,
                         "inference_detail": self.inference.to_dict(), "ci_level": 1 - self.alpha, "by": by,
                         "pretrend_test": self.pretrend.to_dict(), "spec": dict(self.spec), "notes": list(self.notes)})

    def summary(self) -> Summary:
        shown = self.table.set_index("event_time")[["estimate", "std_error", "p_value", "ci_lower", "ci_upper", "n_obs"]]
        notes = (f"Inference: {self.inference.describe()}.", self.pretrend.describe() + ".") + self.notes
        return Summary(title=f"event_study: {self.outcome} by event time (reference {self.reference})",
                       tables=(("Leads and lags", shown),), notes=notes)

    def plot_event_study(self, ax: Any = None, *, language: str = "en") -> Any:
        """Coefficients with CIs against event time, the reference period marked; returns the Axes.

        Labels in ``language`` ("en" or "fr").
        """
        from ..report._plots_did import plot_event_study

        return plot_event_study(self, ax, language=language)


@constrained({
    "outcome": Columns(single=True), "unit": Columns(single=True), "time": Columns(single=True),
    "cohort": Columns(single=True), "covariates": Columns(), "weights": Columns(single=True, none_ok=True),
    "pretrend_leads": EventTimes(high=-1, keywords=("all",), none_ok=True), "alpha": Interval(0.0, 0.5, low_open=True),
    "small_sample": Options(("nested", "all", "none")),
})
def event_study(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    window: tuple[int, int] = (-4, 4),
    reference: int = -1,
    covariates: Sequence[str] = (),
    se: InferenceLike | None = None,
    never_treated: float | None = None,
    weights: str | None = None,
    small_sample: str = "nested",
    pretrend_leads: Sequence[int] | Literal["all"] | None = None,
    alpha: float = 0.05,
) -> EventStudyResult:
    """Dynamic two-way fixed-effects event study with binned end points and a pre-trend test.

    Parameters
    ----------
    data : long panel, one row per unit and period.
    outcome, unit, time : outcome, unit id and numeric period columns.
    cohort : first treatment period of the unit (NaN, or ``never_treated``, for never-treated units).
    window : (first lead, last lag), e.g. (-4, 4); event times outside are binned into the end
        points ("-4 or earlier", "4 or later").
    reference : omitted event time (default -1); coefficients are relative to it.
    covariates : time-varying covariates.
    se : None (default): cluster-robust by ``unit`` (CR1, ``small_sample``); or
        ``{type: clustered, by: col}``, or "robust" (HC1).
    never_treated : value of ``cohort`` coding never-treated units, when not missing.
    weights : optional weights (> 0).
    small_sample : "nested" (default), "all" or "none"; see :func:`iej_impact.diff_in_diff._twfe.twfe`.
    pretrend_leads : the leads whose coefficients the pre-trend Wald test sets jointly to zero. None
        (default): the leads before the reference, k < reference (with a reference earlier than -1,
        the leads after it are the anticipation window and are not tested); ``"all"``: every lead but
        the reference; or a list of leads of the window, e.g. [-4, -3].
    alpha : 1 - confidence level.

    Returns
    -------
    EventStudyResult, with ``pretrend_test()`` and ``plot_event_study()``.

    Notes
    -----
    Identification needs parallel trends, no anticipation before the reference period and, for the
    coefficients to be averages of the cohorts' effects, homogeneous effects across cohorts (Sun &
    Abraham 2021); see the module docstring.

    References
    ----------
    Sun & Abraham (2021), J. Econometrics 225(2); Freyaldenhoven et al. (2021), NBER WP 29170.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> u, t = np.repeat(np.arange(60), 6), np.tile(np.arange(1, 7), 60)
    >>> g = np.where(u < 30, 4.0, np.nan)
    >>> y = 0.1 * u + 0.2 * t + np.where(t >= g, 1.0, 0.0)
    >>> res = event_study(pd.DataFrame({"u": u, "t": t, "g": g, "y": y}), outcome="y", unit="u", time="t",
    ...                   cohort="g", window=(-2, 2))
    >>> [abs(round(v, 6)) for v in res.table["estimate"]]
    [0.0, 0.0, 1.0, 1.0, 1.0]
    """
    from ._twfe import demean, panel_index, within_fit

    func = "event_study"
    check_dataframe(data, func)
    lo, hi = check_window(window, reference, pretrend_leads, func)
    covs = as_column_list("covariates", covariates, func)
    inference = parse_inference(Clustered(by=unit) if se is None else se, func, ("clustered", "robust"))
    cluster_cols = inference.columns if isinstance(inference, Clustered) else []
    check_columns(data, list(dict.fromkeys([outcome, unit, time, cohort, *covs, *cluster_cols]
                                           + ([weights] if weights else []))), func)
    y = check_numeric(data, outcome, func)
    tv = check_numeric(data, time, func)
    g = pd.to_numeric(data[cohort], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = np.isnan(g) & data[cohort].notna().to_numpy()
    if bad.any():
        raise DataError(f"{func}(): cohort column '{cohort}' must be numeric periods; see {describe_rows(data, bad)}.",
                        column=cohort, rows=example_rows(data, bad))
    if never_treated is not None:
        g = np.where(g == float(never_treated), np.nan, g)
    elif np.any(g == 0) and tv.min() > 0:
        mask = g == 0
        raise DataError(f"{func}(): cohort column '{cohort}' is 0 in {describe_rows(data, mask)}, before the panel "
                        "starts; never-treated units are coded as missing: pass never_treated=0 if 0 means never "
                        "treated.", column=cohort, rows=example_rows(data, mask))
    check_panel(data.assign(__g=g), unit=unit, time=time, cohort="__g", func=func)
    e = tv - g
    treated_rows = ~np.isnan(e)
    if treated_rows.any() and np.any(np.abs(e[treated_rows] - np.round(e[treated_rows])) > 1e-9):
        raise DataError(f"{func}(): event times {time} - {cohort} must be whole numbers of periods.", column=cohort)
    eb = np.clip(e, lo, hi)
    levels = event_levels(lo, hi, reference)
    dummies = np.column_stack([(treated_rows & (eb == k)).astype(float) for k in levels])
    x = [check_numeric(data, c, func) for c in covs]
    w = None if weights is None else check_numeric(data, weights, func)
    if w is not None and (w <= 0).any():
        raise DataError(f"{func}(): weights column '{weights}' must be > 0.", column=weights)
    idx = panel_index(data, unit, time, func)
    clusters = cluster_codes(data, cluster_cols, func) if cluster_cols else None
    counts = {k: int((treated_rows & (eb == k)).sum()) for k in range(lo, hi + 1)}
    check_bins(counts, levels, window, func)
    arguments_checked()
    z = demean(np.column_stack([y, dummies, *x]), idx, w)
    fit = within_fit(z[:, 0], z[:, 1:], w, idx, clusters, small_sample)
    k = len(levels)
    spec = {"outcome": outcome, "unit": unit, "time": time, "cohort": cohort, "window": [lo, hi], "reference": reference,
            "covariates": covs, "se": inference.to_dict(), "never_treated": never_treated, "weights": weights,
            "small_sample": small_sample, "pretrend_leads": pretrend_leads, "alpha": alpha}
    return event_study_result(
        fit.coef[:k], fit.vcov[:k, :k], counts, outcome=outcome, window=(lo, hi), reference=reference,
        pretrend_leads=pretrend_leads, alpha=alpha,
        inference=(inference if clusters is not None else Robust()).using(fit.convention), spec=spec,
        n_units=idx.n_units, n_obs=fit.n_obs)


def check_window(window: Any, reference: Any, pretrend_leads: Any, func: str) -> tuple[int, int]:
    """(first lead, last lag) of ``window``, after checking it, the ``reference`` period and a list of
    ``pretrend_leads`` against it (SpecificationError naming the parameter)."""
    if (not isinstance(window, (tuple, list)) or len(window) != 2
            or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in window)
            or window[0] >= 0 or window[1] < 0):
        raise SpecificationError(f"the 'window' parameter of {func}() must be two integers (first lead < 0, last lag "
                                 f">= 0), e.g. (-4, 4); got {window!r}.")
    lo, hi = int(window[0]), int(window[1])
    check_number("reference", reference, func, low=lo, high=-1, integer=True)
    if isinstance(pretrend_leads, list) and not set(pretrend_leads) <= set(range(lo, 0)) - {reference}:
        raise SpecificationError(f"the 'pretrend_leads' parameter of {func}() must list leads of the window {window} "
                                 f"other than the reference {reference}; got {pretrend_leads}.")
    return lo, hi


def event_levels(lo: int, hi: int, reference: int) -> list[int]:
    """The event times with a dummy (and a coefficient): the window but the reference, in order."""
    return [k for k in range(lo, hi + 1) if k != reference]


def check_bins(counts: Mapping[int, int], levels: Sequence[int], window: Any, func: str) -> None:
    """DataError when an event time of ``levels`` has no treated observation (``counts``: treated rows per binned
    event time)."""
    empty = [k for k in levels if not counts.get(k, 0)]
    if empty:
        raise DataError(f"{func}(): no treated observation at event time(s) {empty} within the window {window}; "
                        "narrow the window.")


def event_study_result(coef: np.ndarray, cov: np.ndarray, counts: Mapping[int, int], *, outcome: str,
                       window: tuple[int, int], reference: int, pretrend_leads: Sequence[int] | str | None,
                       alpha: float, inference: Inference, spec: Mapping[str, object], n_units: int, n_obs: int,
                       computed_by: str = "") -> EventStudyResult:
    """The :class:`EventStudyResult` of the lead and lag coefficients ``coef`` (one per :func:`event_levels`, in
    order) and their covariance ``cov``: the table with normal CIs, the pre-trend Wald test and the notes.

    ``counts``: treated observations per binned event time of the window (the reference included);
    ``inference``: the covariance's inference, with its small-sample convention; ``computed_by``: appended to
    the design note (the engine path says which engine summed the cross-products). Shared by
    :func:`event_study` and :func:`iej_impact.engines.event_study_engine`, so both build the same result.
    """
    lo, hi = window
    levels = event_levels(lo, hi, reference)
    ses = np.sqrt(np.diag(cov))
    rows = []
    for j, lev in enumerate(levels):
        a, b, p = normal_ci(float(coef[j]), float(ses[j]), alpha)
        rows.append({"event_time": lev, "estimate": float(coef[j]), "std_error": float(ses[j]), "p_value": p,
                     "ci_lower": a, "ci_upper": b, "post": lev >= 0, "n_obs": int(counts.get(lev, 0))})
    rows.append({"event_time": reference, "estimate": 0.0, "std_error": np.nan, "p_value": np.nan, "ci_lower": np.nan,
                 "ci_upper": np.nan, "post": False, "n_obs": int(counts.get(reference, 0))})
    table = pd.DataFrame(rows).sort_values("event_time").reset_index(drop=True)
    tested = (range(lo, reference) if pretrend_leads is None else range(lo, 0) if pretrend_leads == "all"
              else pretrend_leads)
    leads = [j for j, lev in enumerate(levels) if lev < 0 and lev in tested]
    pretrend = WaldTest.compute(coef[leads], cov[np.ix_(leads, leads)],
                                f"every lead coefficient (event times {[levels[j] for j in leads]}) is zero")
    names = [f"event_time={lev}" for lev in levels]
    notes = (f"Dynamic TWFE with unit and period effects; window {(lo, hi)} with binned end points "
             f"(event time <= {lo} and >= {hi}), reference {reference}; {n_units} units, {n_obs} observations"
             f"{'; ' + computed_by if computed_by else ''}.",
             "Coefficients are contaminated by other periods' effects when effects differ across cohorts "
             "(Sun & Abraham 2021); att_gt(...).aggregate('dynamic') is robust to that.")
    return EventStudyResult(
        method="event_study", estimand="ATT by event time (dynamic TWFE)", outcome=outcome, table=table,
        vcov=pd.DataFrame(cov, index=names, columns=names), reference=int(reference), window=(lo, hi),
        pretrend=pretrend, inference=inference, alpha=float(alpha), spec=dict(spec), notes=notes,
        n_units=int(n_units), n_obs=int(n_obs))
