"""Sensitivity plots: the contour plot of an omitted-variable sensitivity analysis (Cinelli & Hazlett 2020).

The function draws an :class:`~iej_impact.observational._ovb.OVBResult`'s own numbers: the adjusted
estimate (or t-value) over a grid of hypothetical confounder strengths comes from the result's
``adjusted()`` method (the formulas live with the estimator), and the points are its scenarios.
Built on :class:`matplotlib.figure.Figure` (never pyplot) in the report's style.
"""

from __future__ import annotations

from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure
from scipy import stats

from .._validation import check_choice, check_number
from ._i18n import check_language, format_number, t
from ._labels import label
from ._plotting import COLOUR_MAIN, COLOUR_SECOND, STYLE, localise_ticks

__all__ = ["plot_ovb_contour"]

_GRID = 101


def plot_ovb_contour(res: Any, ax: Any = None, *, kind: str = "estimate", lim: float | None = None,
                     language: str = "en") -> Any:
    """Contours of the bias-adjusted estimate or t-value over (R2_{D~Z|X}, R2_{Y~Z|D,X}).

    The dashed red line is where the adjusted estimate is 0 (``kind="estimate"``) or where the
    adjusted t-value equals the critical value at the result's alpha (``kind="t_value"``); the
    triangle is the unadjusted estimate, the diamonds the scenarios (benchmark bounds, hypothetical
    strengths), labelled with their value. ``lim``: the axes' upper limit (default: 0.4, or more to
    show every scenario).
    """
    language = check_language(language, "plot_contour")
    kind = str(check_choice("kind", kind, ("estimate", "t_value"), "plot_contour"))
    scen = res.scenarios
    if lim is None:
        top = float(np.nanmax(scen[["r2dz_x", "r2yz_dx"]].to_numpy(dtype=float), initial=0.0)) if len(scen) else 0.0
        lim = min(max(0.4, 1.2 * top), 0.99)
    lim = check_number("lim", lim, "plot_contour", low=0.0, high=1.0, low_open=True)
    lim = min(lim, 0.99)  # R2_{D~Z|X} must stay below 1
    grid = np.linspace(0.0, lim, _GRID)
    gd, gy = np.meshgrid(grid, grid)
    frame = res.adjusted(gd.ravel(), gy.ravel())
    column = "adjusted_estimate" if kind == "estimate" else "adjusted_t"
    values = frame[column].to_numpy(dtype=float).reshape(gd.shape)
    threshold = 0.0 if kind == "estimate" else float(stats.t.ppf(1 - res.alpha / 2, res.dof - 1)) * np.sign(res.t_value)
    unadjusted = res.coefficient if kind == "estimate" else res.t_value
    with mpl.rc_context(STYLE):
        if ax is None:
            ax = Figure(figsize=(6.2, 5.4), dpi=100).add_subplot()
        lines = ax.contour(gd, gy, values, levels=10, colors=COLOUR_MAIN, linewidths=0.8)
        ax.clabel(lines, fontsize=7, fmt=lambda v: format_number(v, language, digits=3))
        if np.nanmin(values) < threshold < np.nanmax(values):
            ax.contour(gd, gy, values, levels=[threshold], colors=COLOUR_SECOND, linewidths=1.6, linestyles="dashed")
        ax.plot([0.0], [0.0], marker="^", color="black", markersize=8, clip_on=False)
        ax.annotate(t("plot_ovb_unadjusted", language, value=format_number(unadjusted, language, digits=3)),
                    (0.0, 0.0), xytext=(6, 6), textcoords="offset points", fontsize=8)
        if len(scen):
            col = scen[column].to_numpy(dtype=float)
            ax.plot(scen["r2dz_x"], scen["r2yz_dx"], linestyle="none", marker="D", color=COLOUR_SECOND, markersize=6)
            for (_, row), v in zip(scen.iterrows(), col, strict=True):
                ax.annotate(f"{row['scenario']}\n({format_number(v, language, digits=3)})",
                            (row["r2dz_x"], row["r2yz_dx"]), xytext=(6, -4), textcoords="offset points", fontsize=7)
        ax.set_xlim(0.0, lim)
        ax.set_ylim(0.0, lim)
        ax.set_xlabel(t("plot_ovb_r2dz", language, treatment=label(res.treatment)))
        ax.set_ylabel(t("plot_ovb_r2yz", language, outcome=label(res.outcome)))
        ax.set_title(t(f"plot_ovb_title_{kind}", language, treatment=label(res.treatment)))
        localise_ticks(ax, language)
    return ax
