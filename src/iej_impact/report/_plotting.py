"""Plots of a run drawn from result tables (effects, sample flow), the fixed style and ``save_figure``.

Every plot function reads a tidy table (so the plot shows the table's numbers, as cobalt's
``love.plot`` does), takes ``ax=None`` and returns the matplotlib ``Axes`` it drew on. Figures are
made by ``pyplot.figure`` so that ``plt.savefig`` and ``plt.show`` see them, as users of
statsmodels' and seaborn's plots expect; a run closes each one once saved, and the same code runs
on a headless server (matplotlib then draws with its Agg backend). :func:`save_figure` writes PNG bytes that depend only on the input (fixed dpi, fixed
style, no "Software" or date metadata), so reports built from them can be compared byte for byte.
The plots of single results live beside it (:mod:`._plots_diagnostics`, :mod:`._plots_did`) and
use the same style and colours; matplotlib is imported nowhere outside this package.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure, SubFigure
from matplotlib.ticker import FuncFormatter

from .._atomic_write import write_bytes_atomic
from .._validation import check_columns, describe_rows, example_rows
from ..errors import DataError, SpecificationError
from ._i18n import NNBSP, check_language, format_int, format_interval, format_number, t

__all__ = ["plot_effects", "plot_sample_flow", "save_figure"]

#: fixed style: plots look the same whatever the user's matplotlibrc or style sheet
STYLE: dict[str, object] = {
    "font.family": "DejaVu Sans",
    "font.size": 9.0,
    "axes.titlesize": 10.0,
    "axes.labelsize": 9.0,
    "xtick.labelsize": 8.5,
    "ytick.labelsize": 8.5,
    "legend.fontsize": 8.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.unicode_minus": True,
    "axes.grid": False,
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
}

#: colour-blind safe pair (Okabe-Ito blue and vermillion) and a neutral grey
COLOUR_MAIN = "#0072B2"
COLOUR_SECOND = "#D55E00"
COLOUR_TRUTH = "#D55E00"
COLOUR_REFERENCE = "#7F7F7F"

DEFAULT_DPI = 150


def _new_axes(width: float, height: float) -> Axes:
    """Axes on a new figure that pyplot manages, so ``plt.savefig``, ``plt.show`` and
    ``ax.figure.savefig`` all show the drawing (a bare ``Figure`` is invisible to pyplot, and
    ``plt.savefig`` would write an empty image). pyplot is imported here only, when a plot is drawn;
    :func:`save_figure` with ``close=True`` releases the figure."""
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(width, height), dpi=100)
    return fig.add_subplot()


def _tick_formatter(language: str) -> Callable[[float, int], str]:
    """Axis tick labels in the report's language: decimal comma and grouped thousands in French."""

    def fmt(value: float, _pos: int) -> str:
        text = f"{value:,g}"
        if language == "fr":
            text = text.replace(",", NNBSP).replace(".", ",")
        return text.replace("-", "\u2212")

    return fmt


def localise_ticks(ax: Axes, language: str, *, x: bool = True, y: bool = True) -> None:
    """French tick labels (decimal comma, grouped thousands) on the chosen axes; English keeps matplotlib's."""
    if language != "fr":
        return
    for on, axis in ((x, ax.xaxis), (y, ax.yaxis)):
        if on:
            axis.set_major_formatter(FuncFormatter(_tick_formatter(language)))


def _float_column(frame: pd.DataFrame, column: str, func: str) -> np.ndarray:
    """A writable float copy of ``column``; None/NaN become NaN (object columns of numbers and None are fine)."""
    s = frame[column]
    if not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)):
        coerced = pd.to_numeric(s, errors="coerce")
        bad = coerced.isna() & s.notna()
        if bad.any():
            raise DataError(
                f"{func}(): column '{column}' must hold numbers (or missing values); found "
                f"{[str(v) for v in pd.unique(s[bad])[:5]]} in {describe_rows(frame, bad.to_numpy())}.",
                column=column,
                rows=example_rows(frame, bad.to_numpy()),
            )
        s = coerced
    return np.array(s.to_numpy(dtype=float, na_value=np.nan), dtype=float, copy=True)


def plot_effects(
    frame: pd.DataFrame,
    *,
    truths: Mapping[str, float | None] | None = None,
    ax: Axes | None = None,
    language: str = "fr",
) -> Axes:
    """Forest plot: one row per effect, the estimate as a dot and its confidence interval as a bar.

    Parameters
    ----------
    frame : DataFrame with columns ``name``, ``estimate``, ``ci_lower``, ``ci_upper`` and optionally
        ``truth`` (the true effect, on synthetic data). Rows are drawn top to bottom in table order;
        a row with a missing estimate keeps its label and shows no dot.
    truths : optional mapping from ``name`` to the true effect; a non-missing value there takes
        precedence over the ``truth`` column. Names that are not in ``frame`` are ignored (a run's
        truths also cover results without an estimate).
    ax : Axes to draw on; by default a new Figure (not registered with pyplot) is created.
    language : "fr" (default) or "en", for labels and number formatting.

    Returns
    -------
    The Axes. The true value, when known, is an open diamond; a dashed line marks zero. The numbers
    printed at the right of each row are the table's estimate and interval.

    Notes
    -----
    The interval drawn is the one in the table (the estimator's own CI level and method); the plot
    computes nothing. Reference: Lewis & Clarke (2001), "Forest plots: trying to see the wood and the
    trees", BMJ 322:1479.
    """
    func = "plot_effects"
    language = check_language(language, func)
    if not isinstance(frame, pd.DataFrame):
        raise SpecificationError(f"{func}() expects a DataFrame of effects (name, estimate, ci_lower, ci_upper); "
                                 f"got {type(frame).__name__}.")
    check_columns(frame, ["name", "estimate", "ci_lower", "ci_upper"], func)
    if len(frame) == 0:
        raise DataError(f"{func}(): the effect table has no rows; there is nothing to plot.")
    names = [str(v) for v in frame["name"].tolist()]
    est = _float_column(frame, "estimate", func)
    lo = _float_column(frame, "ci_lower", func)
    hi = _float_column(frame, "ci_upper", func)
    truth = _float_column(frame, "truth", func) if "truth" in frame.columns else np.full(len(frame), np.nan)
    if truths is not None:
        if not isinstance(truths, Mapping):
            raise SpecificationError(f"the 'truths' parameter of {func}() must be a mapping name -> true effect; "
                                     f"got {type(truths).__name__}.")
        for i, name in enumerate(names):
            value = truths.get(name)
            if value is not None and np.isfinite(float(value)):
                truth[i] = float(value)

    n = len(names)
    y = np.arange(n, dtype=float)[::-1]
    with mpl.rc_context(STYLE):
        if ax is None:
            ax = _new_axes(6.5, 1.3 + 0.42 * n)
        ax.axvline(0.0, color=COLOUR_REFERENCE, linewidth=0.8, linestyle="--", zorder=1)
        has_ci = np.isfinite(lo) & np.isfinite(hi)
        if has_ci.any():
            ax.hlines(y[has_ci], lo[has_ci], hi[has_ci], color=COLOUR_MAIN, linewidth=2.0, zorder=2)
        has_est = np.isfinite(est)
        ax.plot(est[has_est], y[has_est], "o", color=COLOUR_MAIN, markersize=6, zorder=3,
                label=t("plot_estimate", language))
        has_truth = np.isfinite(truth)
        if has_truth.any():
            ax.plot(truth[has_truth], y[has_truth], "D", markerfacecolor="none", markeredgecolor=COLOUR_TRUTH,
                    markeredgewidth=1.5, markersize=7, linestyle="none", zorder=4, label=t("plot_truth", language))
        ax.set_yticks(y, labels=names)
        ax.set_ylim(-0.7, n - 0.3)
        ax.set_xlabel(t("plot_effect_axis", language))
        ax.xaxis.set_major_formatter(FuncFormatter(_tick_formatter(language)))
        blend = ax.get_yaxis_transform()  # x in axes units, y in data units
        for yi, e, a, b in zip(y, est, lo, hi, strict=True):
            text = format_number(e, language, 3) + " " + format_interval(a, b, language, 3)
            ax.text(1.02, yi, text, transform=blend, va="center", ha="left", fontsize=8)
        ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncols=2, frameon=False, borderaxespad=0.2)
    return ax


def plot_sample_flow(flow: pd.DataFrame, ax: Axes | None = None, language: str = "fr") -> Axes:
    """Horizontal bars: rows kept after each step of the sample flow, by arm (treated / control).

    Parameters
    ----------
    flow : the sample-flow table (columns ``step``, ``rows_out``, ``treated_out``, ``control_out``;
        ``rows_in`` and ``reason`` are not drawn). When the arm counts are missing for every step
        (no treatment column), one bar per step shows all rows kept.
    ax : Axes to draw on; by default a new Figure (not registered with pyplot) is created.
    language : "fr" (default) or "en".

    Returns
    -------
    The Axes, with each bar labelled by its count, steps top to bottom in table order.
    A missing count is drawn as an empty bar labelled "n.d." / "n/a".
    """
    func = "plot_sample_flow"
    language = check_language(language, func)
    if not isinstance(flow, pd.DataFrame):
        raise SpecificationError(f"{func}() expects the sample-flow DataFrame (step, rows_out, treated_out, "
                                 f"control_out); got {type(flow).__name__}.")
    check_columns(flow, ["step", "rows_out", "treated_out", "control_out"], func)
    if len(flow) == 0:
        raise DataError(f"{func}(): the sample-flow table has no rows; there is nothing to plot.")
    steps = [str(v) for v in flow["step"].tolist()]
    treated = _float_column(flow, "treated_out", func)
    control = _float_column(flow, "control_out", func)
    rows = _float_column(flow, "rows_out", func)
    by_arm = bool(np.isfinite(treated).any() or np.isfinite(control).any())

    n = len(steps)
    y = np.arange(n, dtype=float)[::-1]
    with mpl.rc_context(STYLE):
        if ax is None:
            ax = _new_axes(6.5, 1.2 + (0.5 if by_arm else 0.35) * n)
        if by_arm:
            h = 0.38
            series = [(treated, y + h / 2, COLOUR_MAIN, "plot_treated"), (control, y - h / 2, COLOUR_SECOND, "plot_control")]
        else:
            h = 0.6
            series = [(rows, y, COLOUR_MAIN, "plot_all_rows")]
        top = 0.0
        for values, pos, colour, key in series:
            widths = np.where(np.isfinite(values), values, 0.0)
            bars = ax.barh(pos, widths, height=h, color=colour, label=t(key, language))
            ax.bar_label(bars, labels=[format_int(v if np.isfinite(v) else None, language) for v in values],
                         padding=2, fontsize=7.5)
            top = max(top, float(widths.max()))
        ax.set_yticks(y, labels=steps)
        ax.set_ylim(-0.7, n - 0.3)
        ax.set_xlim(0.0, top * 1.18 if top > 0 else 1.0)
        ax.set_xlabel(t("plot_rows_axis", language))
        ax.xaxis.set_major_formatter(FuncFormatter(_tick_formatter(language)))
        ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncols=2, frameon=False, borderaxespad=0.2)
    return ax


def _root_figure(fig_or_ax: object) -> Figure:
    obj = fig_or_ax.figure if isinstance(fig_or_ax, Axes) else fig_or_ax
    while isinstance(obj, SubFigure):
        obj = obj.figure
    if not isinstance(obj, Figure):
        raise SpecificationError(f"save_figure() expects a matplotlib Figure or Axes; got {type(fig_or_ax).__name__}.")
    return obj


def save_figure(fig_or_ax: Figure | Axes, path: str | Path, *, dpi: int = DEFAULT_DPI, close: bool = False) -> Path:
    """Write the figure holding ``fig_or_ax`` as a PNG whose bytes depend only on what is drawn.

    The dpi is fixed, the bounding box is fitted to the drawing, the background is white, and no
    metadata other than the image itself is written (matplotlib's "Software" entry is removed; PNG
    carries no date). The file is written to a temporary name in the same directory and renamed,
    so a reader never sees a half-written image. Missing parent directories are created.

    ``close=True`` then closes the figure in pyplot (a run saves many figures and keeps none open).

    Returns the path written.
    """
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise SpecificationError(f"save_figure() writes PNG files; got the path {str(path)!r} (suffix "
                                 f"{path.suffix!r}). Use a name ending in '.png'.")
    fig = _root_figure(fig_or_ax)
    buffer = io.BytesIO()
    with mpl.rc_context(STYLE):
        fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None}, bbox_inches="tight",
                    pad_inches=0.1, facecolor="white")
    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(path, buffer.getvalue())
    if close:
        import matplotlib.pyplot as plt

        plt.close(fig)
    return path

