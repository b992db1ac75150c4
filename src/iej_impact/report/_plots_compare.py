"""The forest plot of a comparison table (:func:`iej_impact.compare`): every design's estimate of one outcome."""

from __future__ import annotations

from typing import Any

import pandas as pd

from .._validation import check_columns
from ..errors import DataError, SpecificationError
from ._plotting import plot_effects

__all__ = ["plot_comparison"]


def plot_comparison(table: pd.DataFrame, *, outcome: str | None = None, ax: Any = None, language: str = "fr") -> Any:
    """Forest plot of one outcome's comparison table: one row per design (name and estimand), its estimate and
    interval, and the true effect (open diamond) when the table has one.

    ``table`` is :func:`iej_impact.compare`'s output; with several outcomes, ``outcome`` picks one. Returns the Axes
    (:func:`iej_impact.plot_effects` draws it; the plot computes nothing).
    """
    if not isinstance(table, pd.DataFrame):
        raise SpecificationError(f"plot_comparison() expects the table of compare(); got {type(table).__name__}.")
    check_columns(table, ["outcome", "name", "estimand", "estimate", "ci_lower", "ci_upper"], "plot_comparison")
    outcomes = list(dict.fromkeys(table["outcome"]))
    if outcome is None and len(outcomes) > 1:
        raise SpecificationError(f"plot_comparison(): the table holds several outcomes {outcomes}; give outcome=...")
    outcome = outcome if outcome is not None else (outcomes[0] if outcomes else None)
    rows = table[table["outcome"] == outcome]
    if rows.empty:
        raise DataError(f"plot_comparison(): no row for the outcome {outcome!r}; outcomes: {outcomes}.")
    frame = pd.DataFrame({"name": [f"{n} ({e})" for n, e in zip(rows["name"], rows["estimand"], strict=True)],
                          "estimate": rows["estimate"].to_numpy(dtype=float),
                          "ci_lower": rows["ci_lower"].to_numpy(dtype=float),
                          "ci_upper": rows["ci_upper"].to_numpy(dtype=float)})
    if "truth" in rows.columns:
        frame["truth"] = pd.to_numeric(rows["truth"], errors="coerce").to_numpy(dtype=float)
    ax = plot_effects(frame, ax=ax, language=language)
    ax.set_title(str(outcome))
    return ax
