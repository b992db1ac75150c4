"""The effects table: one row per result that carries a point estimate.

:func:`effect_rows` is the single source of the run's ``tables/effects.csv`` (written by the
runner from :func:`effects_frame`) and of the report's table of estimated effects, so the two
always hold the same results with the same numbers. Values are read from the result's
``to_dict()`` (the keys of ``results.json``) and, for results without one, from its attributes.
On synthetic data, :func:`truth_check` gives the bias and CI coverage the report shows and
``results.json`` records.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

__all__ = ["CSV_COLUMNS", "effect_rows", "effects_frame", "finite_float", "truth_check"]

#: the columns of tables/effects.csv, in order
CSV_COLUMNS = ("name", "method", "estimand", "outcome", "estimate", "std_error", "ci_lower", "ci_upper", "p_value",
               "inference", "n_treated", "n_control", "truth")


def finite_float(value: Any) -> float | None:
    """A finite float, or None (None, booleans, text, NaN and infinities)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def truth_check(estimate: float | None, lower: float | None, upper: float | None,
                truth: float | None) -> tuple[float | None, bool | None]:
    """(bias = estimate - truth, whether [lower, upper] covers the truth); None where a number is missing."""
    if truth is None:
        return None, None
    bias = estimate - truth if estimate is not None else None
    covered = lower <= truth <= upper if lower is not None and upper is not None else None
    return bias, covered


def _result_dict(res: object) -> Mapping[str, Any]:
    to_dict = getattr(res, "to_dict", None)
    if callable(to_dict):
        d = to_dict()
        if isinstance(d, Mapping):
            return d
    return {}


def _field(res: object, d: Mapping[str, Any], key: str) -> Any:
    if key in d:
        return d[key]
    return getattr(res, key, None)


def _has_estimate(res: object, d: Mapping[str, Any]) -> bool:
    """An estimate in to_dict(), or a number attribute (not a method such as MatchResult.estimate)."""
    return "estimate" in d or (hasattr(res, "estimate") and not callable(res.estimate))  # type: ignore[attr-defined]


def effect_rows(results: Mapping[str, object],
                truths: Mapping[str, float | None] | None = None) -> list[dict[str, Any]]:
    """One row per result that carries an estimate, in the order of ``results``.

    Keys: name, method, estimand, outcome, estimate, std_error, ci_lower, ci_upper, ci_level (0.95
    when the result does not say), p_value, inference (its name), inference_by (the clustering
    variable(s), if any), n_treated, n_control; and truth, bias, covered (None without a truth).
    Numbers are finite floats or None.
    """
    rows = []
    for name, res in results.items():
        d = _result_dict(res)
        if not _has_estimate(res, d):
            continue
        ci = getattr(res, "ci", None)
        lower = _field(res, d, "ci_lower")
        upper = _field(res, d, "ci_upper")
        if lower is None and upper is None and isinstance(ci, tuple) and len(ci) == 2:
            lower, upper = ci
        level = d.get("ci_level")
        alpha = finite_float(getattr(res, "alpha", None))
        if level is None and alpha is not None:
            level = 1 - alpha
        inference = d.get("inference")
        if inference is None:
            obj = getattr(res, "inference", None)
            inference = getattr(obj, "name", obj)
        detail = d.get("inference_detail") if isinstance(d.get("inference_detail"), Mapping) else {}
        row = {
            "name": name,
            "method": _field(res, d, "method"),
            "estimand": _field(res, d, "estimand"),
            "outcome": _field(res, d, "outcome"),
            "estimate": finite_float(_field(res, d, "estimate")),
            "std_error": finite_float(_field(res, d, "std_error")),
            "ci_lower": finite_float(lower),
            "ci_upper": finite_float(upper),
            "ci_level": finite_float(level) if level is not None else 0.95,
            "p_value": finite_float(_field(res, d, "p_value")),
            "inference": inference,
            "inference_by": detail.get("by"),
            "n_treated": _field(res, d, "n_treated"),
            "n_control": _field(res, d, "n_control"),
            "truth": finite_float(truths.get(name)) if truths else None,
        }
        row["bias"], row["covered"] = truth_check(row["estimate"], row["ci_lower"], row["ci_upper"], row["truth"])
        rows.append(row)
    return rows


def effects_frame(results: Mapping[str, object], truths: Mapping[str, float | None] | None = None) -> pd.DataFrame:
    """The effects table as written to ``tables/effects.csv``: :func:`effect_rows` on ``CSV_COLUMNS``."""
    return pd.DataFrame([{key: row[key] for key in CSV_COLUMNS} for row in effect_rows(results, truths)])
