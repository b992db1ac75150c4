"""Event studies: leads and lags of treatment around each unit's entry, with a pre-trend test and plot.

:func:`event_study` fits the dynamic two-way fixed-effects regression

    y_it = a_i + l_t + sum_{k in window, k != reference} b_k 1{t - g_i = k} + X_it'c + e_it,

where g_i is unit i's first treatment period (cohort; never-treated units have no event dummy and
anchor the time effects). Event times beyond the window are *binned* into the end points
(1{t - g_i <= k_min} and 1{t - g_i >= k_max}), so every treated observation is in exactly one
dummy or in the reference period, and the end-point coefficients are averages over the bins.
The reference period (default -1, the last period before entry) is omitted: each b_k is relative
to it. Standard errors are cluster-robust by unit by default (CR1, see :func:`~iej_impact.twfe.twfe`).

The joint pre-trend test is a Wald test of b_k = 0 for every lead k < 0 other than the reference
(chi-squared with as many degrees of freedom as leads, on the clustered covariance). Not rejecting
it is not evidence of parallel trends (Roth 2022): the test may have little power.

Caveat: with staggered entry and effects that vary across cohorts, the lead and lag coefficients of
this regression mix effects of other periods (Sun & Abraham 2021); use
:func:`~iej_impact.staggered.att_gt` with ``aggregate("dynamic")`` for an event study that is robust
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

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .results import jsonable

__all__ = ["WaldTest", "plot_event_times"]


@dataclass(frozen=True)
class WaldTest:
    """A joint Wald test: statistic, degrees of freedom, p-value, the null; or why it could not be computed."""

    statistic: float
    df: int
    p_value: float
    null: str
    valid: bool = True
    reason: str = ""

    @classmethod
    def compute(cls, estimates: np.ndarray, covariance: np.ndarray, null: str) -> WaldTest:
        """W = b' V^-1 b ~ chi2(len(b)); invalid (with the reason) when empty or V is singular."""
        b = np.asarray(estimates, dtype=float)
        v = np.asarray(covariance, dtype=float)
        if b.size == 0:
            return cls(float("nan"), 0, float("nan"), null, False, "no pre-treatment coefficient to test")
        if not (np.all(np.isfinite(b)) and np.all(np.isfinite(v))):
            return cls(float("nan"), int(b.size), float("nan"), null, False, "missing estimates or covariances")
        if 1.0 / np.linalg.cond(v) <= np.finfo(float).eps:
            return cls(float("nan"), int(b.size), float("nan"), null, False, "singular covariance matrix")
        w = float(b @ np.linalg.solve(v, b))
        return cls(w, int(b.size), float(stats.chi2.sf(w, b.size)), null)

    def to_dict(self) -> dict[str, Any]:
        return jsonable({"statistic": self.statistic, "df": self.df, "p_value": self.p_value, "null": self.null,
                         "valid": self.valid, "reason": self.reason or None})

    def describe(self) -> str:
        if not self.valid:
            return f"pre-trend test not available: {self.reason}"
        return f"joint Wald test that {self.null}: chi2({self.df}) = {self.statistic:.3f}, p = {self.p_value:.4f}"


def plot_event_times(frame: pd.DataFrame, *, x: str = "event_time", ax: Any = None, title: str = "",
                     reference: float | None = None, xlabel: str = "Event time (periods since entry)") -> Any:
    """Estimates with pointwise CIs (bars) and, when present, a uniform band (shaded), against ``x``.

    ``frame`` needs columns ``x``, ``estimate``, ``ci_lower``, ``ci_upper`` and optionally
    ``band_lower``/``band_upper``; a ``post`` column (bool) draws pre-periods hollow. The plot shows
    the table's numbers and computes nothing. Returns the Axes (a new pyplot-free Figure when
    ``ax`` is None).
    """
    import matplotlib as mpl

    from .plotting import COLOUR_MAIN, COLOUR_REFERENCE, COLOUR_SECOND, STYLE, _new_axes

    xs = frame[x].to_numpy(dtype=float)
    est = frame["estimate"].to_numpy(dtype=float)
    lo, hi = frame["ci_lower"].to_numpy(dtype=float), frame["ci_upper"].to_numpy(dtype=float)
    post = frame["post"].to_numpy(dtype=bool) if "post" in frame.columns else xs >= 0
    with mpl.rc_context(STYLE):
        if ax is None:
            ax = _new_axes(6.5, 3.6)
        ax.axhline(0.0, color=COLOUR_REFERENCE, linewidth=0.8, linestyle="--", zorder=1)
        if {"band_lower", "band_upper"} <= set(frame.columns):
            bl, bh = frame["band_lower"].to_numpy(dtype=float), frame["band_upper"].to_numpy(dtype=float)
            ok = np.isfinite(bl) & np.isfinite(bh)
            if ok.any():
                ax.fill_between(xs[ok], bl[ok], bh[ok], color=COLOUR_MAIN, alpha=0.12, linewidth=0,
                                label="uniform band", step=None)
        ok = np.isfinite(lo) & np.isfinite(hi)
        for mask, colour, label in ((~post, COLOUR_SECOND, "pre-treatment"), (post, COLOUR_MAIN, "post-treatment")):
            m = mask & ok
            if m.any():
                ax.vlines(xs[m], lo[m], hi[m], color=colour, linewidth=1.6, zorder=2)
            m = mask & np.isfinite(est)
            if m.any():
                ax.plot(xs[m], est[m], "o", color=colour, markersize=5, zorder=3, label=label,
                        markerfacecolor="white" if colour == COLOUR_SECOND else colour)
        if reference is not None:
            ax.plot([reference], [0.0], "s", color=COLOUR_REFERENCE, markersize=4, zorder=3, label="reference")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("Effect")
        if title:
            ax.set_title(title)
        ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncols=4, frameon=False, borderaxespad=0.2)
    return ax
