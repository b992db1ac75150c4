"""Design-diagnostic plots: the propensity score's overlap and the covariate-balance love plot.

Each function draws one result object's own numbers (``PropensityScore.scores``/``treated``,
``BalanceTable.table``) and computes nothing beyond a histogram; the results' ``plot_overlap`` and
``plot_love`` methods call them. Figures are built on :class:`matplotlib.figure.Figure` (never
pyplot) in the report's fixed style, as in :mod:`._plotting`.
"""

from __future__ import annotations

from typing import Any

import matplotlib as mpl
import numpy as np

from .._validation import check_number
from ._i18n import check_language, format_int, t
from ._labels import label
from ._plotting import COLOUR_MAIN, COLOUR_REFERENCE, COLOUR_SECOND, STYLE, _new_axes, localise_ticks

__all__ = ["plot_overlap", "plot_love"]


def _arm_label(arm: str, n: int, language: str) -> str:
    """'treated (n=4000)' in English (as before translation), 'traités (n = 4 000)' in French."""
    return t(f"plot_overlap_{arm}", language, n=format_int(n, language) if language == "fr" else int(n))


def plot_overlap(ps: Any, ax: Any = None, *, bins: int = 40, language: str = "en") -> Any:
    """Mirrored histograms of a :class:`PropensityScore`: treated above the axis, controls below.

    Density scale, ``bins`` equal bins on [0, 1]; labels in ``language`` ("en" or "fr"). Returns the
    Axes (a new Figure when ``ax`` is None).
    """
    language = check_language(language, "plot_overlap")
    edges = np.linspace(0.0, 1.0, int(bins) + 1)
    h1, _ = np.histogram(ps.scores[ps.treated], bins=edges, density=True)
    h0, _ = np.histogram(ps.scores[~ps.treated], bins=edges, density=True)
    with mpl.rc_context(STYLE):
        if ax is None:
            ax = _new_axes(6.5, 3.6)
        width = edges[1] - edges[0]
        ax.bar(edges[:-1], h1, width=width, align="edge", color=COLOUR_MAIN, label=_arm_label("treated", ps.treated.sum(), language))
        ax.bar(edges[:-1], -h0, width=width, align="edge", color=COLOUR_SECOND,
               label=_arm_label("control", (~ps.treated).sum(), language))
        ax.axhline(0.0, color=COLOUR_REFERENCE, linewidth=0.8)
        ax.set_xlim(0.0, 1.0)
        ax.set_xlabel(t("plot_score_axis", language))
        ax.set_ylabel(t("plot_density_axis", language))
        ax.set_title(t("plot_overlap_title", language, model=ps.model))
        localise_ticks(ax, language)
        top = float(max(h1.max(initial=0.0), 1e-12))
        ax.set_ylim(ax.get_ylim()[0], top * 1.25)  # room for the legend above the treated bars
        ax.legend(loc="upper center", frameon=False, ncols=2)
    return ax


def plot_love(balance: Any, ax: Any = None, *, threshold: float | None = None, absolute: bool = True,
              language: str = "en") -> Any:
    """Love plot of a :class:`BalanceTable`: SMD per covariate before (open) and after (filled) adjustment.

    A dashed line marks ``threshold`` (default: the table's); ``absolute`` plots |SMD|; labels in
    ``language`` ("en" or "fr"). Returns the Axes.
    """
    language = check_language(language, "plot_love")
    thr = balance.threshold if threshold is None else check_number("threshold", threshold, "plot_love", low=0.0)
    before = balance.table["smd_before"].to_numpy(dtype=float)
    after = balance.table["smd_after"].to_numpy(dtype=float) if balance.weighted else None
    if absolute:
        before = np.abs(before)
        after = None if after is None else np.abs(after)
    names = [label(i) for i in balance.table.index]
    k = len(names)
    y = np.arange(k, dtype=float)[::-1]
    with mpl.rc_context(STYLE):
        if ax is None:
            ax = _new_axes(6.0, 1.2 + 0.3 * k)
        ax.plot(before, y, "o", markerfacecolor="none", markeredgecolor=COLOUR_SECOND, label=t("plot_unadjusted", language))
        if after is not None:
            ax.plot(after, y, "o", color=COLOUR_MAIN, label=t("plot_adjusted", language))
        for sign in ((1.0,) if absolute else (-1.0, 1.0)):
            ax.axvline(sign * thr, color=COLOUR_REFERENCE, linestyle="--", linewidth=0.8)
        ax.axvline(0.0, color=COLOUR_REFERENCE, linewidth=0.6)
        ax.set_yticks(y, labels=names)
        ax.set_ylim(-0.7, k - 0.3)
        sd = balance.sd_denominator
        sd = t(f"plot_sd_{sd}", language) if sd in ("pooled", "treated", "control") else str(sd)
        ax.set_xlabel(t("plot_abs_smd_axis" if absolute else "plot_smd_axis", language, sd=sd))
        localise_ticks(ax, language, y=False)
        ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncols=2, frameon=False, borderaxespad=0.2)
    return ax
