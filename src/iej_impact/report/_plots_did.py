"""Difference-in-differences plots: estimates against event time, cohort or period, and ATT(g, t).

:func:`plot_event_times` draws any table of estimates with pointwise CIs (and a uniform band when
there is one) against a level column; the event study (``EventStudyResult.plot_event_study``) and
the aggregations of group-time effects (``AggregateResult.plot``) are drawn with it.
:func:`plot_group_time` draws every ATT(g, t) of a ``GroupTimeResult``, one colour per cohort. The
plots show the results' tables and compute nothing; figures are built on
:class:`matplotlib.figure.Figure` (never pyplot) in the report's fixed style (:mod:`._plotting`).
"""

from __future__ import annotations

from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from ..errors import SpecificationError
from ._i18n import MESSAGES, check_language, t
from ._labels import label as variable_label
from ._plotting import COLOUR_MAIN, COLOUR_REFERENCE, COLOUR_SECOND, STYLE, _new_axes, localise_ticks

__all__ = ["plot_event_times", "plot_event_study", "plot_aggregate", "plot_group_time", "plot_honest_did"]

#: message id of the axis label of each level column of an aggregation
_LEVEL_AXES = {"event_time": "plot_event_time_axis", "group": "plot_cohort_axis", "time": "plot_period_axis"}


def _period(value: float) -> int | float:
    """A period or cohort as shown: an int when it is whole."""
    return int(value) if float(value).is_integer() else float(value)


def plot_event_times(frame: pd.DataFrame, *, x: str = "event_time", ax: Any = None, title: str = "",
                     reference: float | None = None, xlabel: str | None = None, language: str = "en",
                     base_note: str | None = None, anticipation: int | None = None) -> Any:
    """Estimates with pointwise CIs (bars) and, when present, a uniform band (shaded), against ``x``.

    ``frame`` needs columns ``x``, ``estimate``, ``ci_lower``, ``ci_upper`` and optionally
    ``band_lower``/``band_upper``; a ``post`` column (bool) draws pre-periods hollow. The plot shows
    the table's numbers and computes nothing. ``reference`` marks the reference period at 0 (a
    square, labelled "reference period (e = ...)"); ``base_note`` states the base period under the
    axis label; ``anticipation`` (a number of periods, on an event-time axis) shades the anticipation
    window, event times -anticipation..-1. ``xlabel`` defaults to the event-time label; legend and axis labels are in
    ``language`` ("en" or "fr"). Returns the Axes (a new pyplot-free Figure when ``ax`` is None).
    """
    language = check_language(language, "plot_event_times")
    xs = frame[x].to_numpy(dtype=float)
    est = frame["estimate"].to_numpy(dtype=float)
    lo, hi = frame["ci_lower"].to_numpy(dtype=float), frame["ci_upper"].to_numpy(dtype=float)
    post = frame["post"].to_numpy(dtype=bool) if "post" in frame.columns else xs >= 0
    with mpl.rc_context(STYLE):
        if ax is None:
            ax = _new_axes(6.5, 3.6)
        ax.axhline(0.0, color=COLOUR_REFERENCE, linewidth=0.8, linestyle="--", zorder=1)
        if anticipation and x == "event_time":
            ax.axvspan(-anticipation - 0.5, -0.5, color=COLOUR_SECOND, alpha=0.10, linewidth=0, zorder=0,
                       label=t("plot_anticipation", language, a=anticipation))
        if {"band_lower", "band_upper"} <= set(frame.columns):
            bl, bh = frame["band_lower"].to_numpy(dtype=float), frame["band_upper"].to_numpy(dtype=float)
            ok = np.isfinite(bl) & np.isfinite(bh)
            if ok.any():
                ax.fill_between(xs[ok], bl[ok], bh[ok], color=COLOUR_MAIN, alpha=0.12, linewidth=0,
                                label=t("plot_uniform_band", language), step=None)
        ok = np.isfinite(lo) & np.isfinite(hi)
        for mask, colour, key in ((~post, COLOUR_SECOND, "plot_pre_treatment"), (post, COLOUR_MAIN, "plot_post_treatment")):
            m = mask & ok
            if m.any():
                ax.vlines(xs[m], lo[m], hi[m], color=colour, linewidth=1.6, zorder=2)
            m = mask & np.isfinite(est)
            if m.any():
                ax.plot(xs[m], est[m], "o", color=colour, markersize=5, zorder=3, label=t(key, language),
                        markerfacecolor="white" if colour == COLOUR_SECOND else colour)
        if reference is not None:
            ax.axvline(reference, color=COLOUR_REFERENCE, linewidth=0.6, linestyle=":", zorder=1)
            ax.plot([reference], [0.0], "s", color=COLOUR_REFERENCE, markersize=5, zorder=3,
                    label=t("plot_reference_period", language, e=_period(reference)))
        label = t("plot_event_time_axis", language) if xlabel is None else xlabel
        ax.set_xlabel(label + (f"\n{base_note}" if base_note else ""))
        ax.set_ylabel(t("plot_effect", language))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # event times, periods and cohorts are whole
        localise_ticks(ax, language, x=x == "event_time")  # periods and cohorts (e.g. 2004) are not grouped
        if title:
            ax.set_title(title)
        ax.legend(loc="best", frameon=False, fontsize=7.5)
    return ax


def plot_event_study(result: Any, ax: Any = None, *, language: str = "en") -> Any:
    """An ``EventStudyResult``: coefficients with CIs against event time, the reference period marked."""
    language = check_language(language, "plot_event_study")
    frame = result.table[result.table["event_time"] != result.reference]
    title = t("plot_event_study_title", language, outcome=variable_label(result.outcome), reference=result.reference)
    return plot_event_times(frame, ax=ax, reference=result.reference, title=title, language=language,
                            base_note=t("plot_base_reference", language, e=result.reference))


def plot_aggregate(result: Any, ax: Any = None, *, language: str = "en") -> Any:
    """An ``AggregateResult``: the levels (event time, cohort or period) with CIs and the uniform band."""
    language = check_language(language, "plot")
    level = result.level_column
    if not level:
        raise SpecificationError("the 'simple' aggregation has a single number; there is nothing to plot by.")
    frame = result.by.copy()
    reference, note = None, None
    if result.kind != "dynamic":
        frame["post"] = True
    elif result.reference_event_time is not None:
        e = _period(result.reference_event_time)
        if result.base_period == "universal":  # the base level is 0 by construction: drawn as the reference
            reference = result.reference_event_time
            frame = frame[~((frame[level] == reference) & frame["std_error"].isna())]
        note = t("plot_base_universal" if reference is not None else "plot_base_varying", language, e=e)
    title = t("plot_aggregate_title", language, level=t(f"plot_level_{level}", language), outcome=variable_label(result.outcome),
              kind=t(f"plot_kind_{result.kind}", language) if f"plot_kind_{result.kind}" in MESSAGES else result.kind)
    anticipation = ((getattr(result, "spec", None) or {}).get("att_gt") or {}).get("anticipation")
    return plot_event_times(frame, x=level, ax=ax, xlabel=t(_LEVEL_AXES[level], language), title=title,
                            language=language, reference=reference, base_note=note,
                            anticipation=anticipation if result.kind == "dynamic" else None)


def plot_group_time(result: Any, ax: Any = None, *, language: str = "en") -> Any:
    """A ``GroupTimeResult``: ATT(g, t) by period, one colour per cohort (hollow before entry), with CIs."""
    language = check_language(language, "plot_group_time")
    table = result.table
    groups = sorted(table["group"].unique())
    cmap = mpl.colormaps["tab10"]
    width = 0.6 / max(len(groups), 1)
    with mpl.rc_context(STYLE):
        if ax is None:
            ax = _new_axes(7.0, 3.8)
        ax.axhline(0.0, color=COLOUR_REFERENCE, linewidth=0.8, linestyle="--")
        for j, g in enumerate(groups):
            sub = table[table["group"] == g]
            x = sub["time"].to_numpy(dtype=float) + (j - (len(groups) - 1) / 2) * width
            colour = cmap(j % 10)
            ax.vlines(x, sub["ci_lower"], sub["ci_upper"], color=colour, linewidth=1.0)
            post = sub["post"].to_numpy(dtype=bool)
            ax.plot(x[post], sub["estimate"].to_numpy()[post], "o", color=colour, markersize=4,
                    label=f"g = {_period(g)}")
            ax.plot(x[~post], sub["estimate"].to_numpy()[~post], "o", color=colour, markersize=4,
                    markerfacecolor="white")
        times = sorted(table["time"].unique())
        if len(times) <= 24:
            ax.set_xticks([float(v) for v in times], labels=[str(_period(v)) for v in times])
        ax.set_xlabel(t("plot_group_time_axis", language))
        ax.set_ylabel("ATT(g, t)")
        ax.set_title(t("plot_group_time_title", language, outcome=variable_label(result.outcome)))
        localise_ticks(ax, language, x=False)  # periods (e.g. 2004) are not grouped
        if len(groups) <= 12:
            ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=7.5)
    return ax


def plot_honest_did(result: Any, ax: Any = None, *, language: str = "en") -> Any:
    """A ``HonestDiDResult``: the original CI (left, one gap before the first value), then the robust set at
    each value of Mbar (or M), as vertical bars; the horizontal line is 0. Computes nothing."""
    language = check_language(language, "plot_sensitivity")
    frame = result.bounds
    xs = frame[result.parameter_name].to_numpy(dtype=float)
    gap = float(np.min(np.diff(np.sort(xs)))) if len(xs) > 1 else 1.0
    gap = gap if gap > 0 else 1.0
    x0 = float(xs.min()) - gap
    with mpl.rc_context(STYLE):
        if ax is None:
            ax = _new_axes(6.5, 3.6)
        ax.axhline(0.0, color=COLOUR_REFERENCE, linewidth=0.8, linestyle="--", zorder=1)
        lo, hi = result.original_ci
        ax.vlines([x0], [lo], [hi], color=COLOUR_SECOND, linewidth=2.4, zorder=2, label=t("plot_honest_original", language))
        ax.plot([x0], [result.theta_hat], "o", color=COLOUR_SECOND, markersize=4, zorder=3)
        ok = np.isfinite(frame["ci_lower"].to_numpy(dtype=float)) & np.isfinite(frame["ci_upper"].to_numpy(dtype=float))
        ax.vlines(xs[ok], frame["ci_lower"].to_numpy(dtype=float)[ok], frame["ci_upper"].to_numpy(dtype=float)[ok],
                  color=COLOUR_MAIN, linewidth=2.4, zorder=2,
                  label=t("plot_honest_robust", language, method=result.method))
        if result.breakdown is not None and np.isfinite(result.breakdown):
            ax.axvline(result.breakdown, color=COLOUR_REFERENCE, linewidth=0.8, linestyle=":", zorder=1)
        decimal = "," if language == "fr" else "."
        ax.set_xticks([x0, *xs.tolist()], labels=[t("plot_honest_original", language)]
                      + [f"{v:g}".replace(".", decimal) for v in xs])
        ax.set_xlabel(t(f"plot_honest_axis_{result.parameter_name}", language))
        ax.set_ylabel(t("plot_effect", language))
        outcome = f" ({result.outcome})" if result.outcome else ""
        ax.set_title(t("plot_honest_title", language, parameter=_honest_parameter(result, language), outcome=outcome),
                     fontsize=9)
        localise_ticks(ax, language, x=False)
        ax.legend(loc="best", frameon=False, fontsize=7.5)
    return ax


def _honest_parameter(result: Any, language: str) -> str:
    """The parameter theta = l'tau_post in words: one event time, the average, or another combination."""
    weights, post = np.asarray(result.l_vec, dtype=float), list(result.post_periods)
    if np.count_nonzero(weights) == 1 and len(post) == len(weights):
        return t("plot_honest_effect_at", language, e=post[int(np.flatnonzero(weights)[0])])
    if len(post) == len(weights) and np.allclose(weights, 1.0 / len(weights)):
        return t("plot_honest_average", language, first=post[0], last=post[-1])
    return t("plot_honest_combination", language)
