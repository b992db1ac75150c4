"""The comparison table: every design's estimate of one outcome side by side (estimate, interval, estimand,
method, inference) and, on synthetic data, the true effect, the bias and whether the interval covers it."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from .._validation import short_repr
from ..errors import SpecificationError

__all__ = ["COMPARE_COLUMNS", "compare"]

COMPARE_COLUMNS = ("outcome", "name", "method", "estimand", "estimate", "std_error", "ci_lower", "ci_upper",
                   "ci_level", "p_value", "inference", "n_treated", "n_control", "truth", "bias", "covered")


def _number(v: Any) -> float | None:
    if v is None or isinstance(v, bool):
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _row(name: str, res: Any) -> dict[str, Any] | None:
    """The comparison row of a result with an outcome and a number estimate (None for other results)."""
    to_dict = getattr(res, "to_dict", None)
    d = to_dict() if callable(to_dict) else {}
    d = d if isinstance(d, Mapping) else {}
    estimate = d.get("estimate", getattr(res, "estimate", None))
    outcome = d.get("outcome", getattr(res, "outcome", None))
    if callable(estimate) or not isinstance(outcome, str) or _number(estimate) is None and "estimate" not in d:
        return None
    ci = getattr(res, "ci", None)
    lower, upper = d.get("ci_lower"), d.get("ci_upper")
    if lower is None and upper is None and isinstance(ci, tuple) and len(ci) == 2:
        lower, upper = ci
    inference = d.get("inference", getattr(getattr(res, "inference", None), "name", None))
    alpha = _number(getattr(res, "alpha", None))
    level = d.get("ci_level", 1 - alpha if alpha is not None else None)
    return {"outcome": outcome, "name": name, "method": d.get("method", getattr(res, "method", None)),
            "estimand": d.get("estimand", getattr(res, "estimand", None)), "estimate": _number(estimate),
            "std_error": _number(d.get("std_error", getattr(res, "std_error", None))), "ci_lower": _number(lower),
            "ci_upper": _number(upper), "ci_level": _number(level), "p_value": _number(d.get("p_value")),
            "inference": inference, "n_treated": d.get("n_treated"), "n_control": d.get("n_control")}


def _truth_of(truth: Any, row: Mapping[str, Any], n_outcomes: int) -> float | None:
    if truth is None:
        return None
    if isinstance(truth, (int, float)) and not isinstance(truth, bool):
        if n_outcomes > 1:
            raise SpecificationError("compare(): a number 'truth' is the true effect of one outcome; give outcome=..., "
                                     "or a mapping {result name or outcome: true effect}.")
        return _number(truth)
    table = getattr(truth, "truth", truth)  # a synthetic cohort, or its truth table
    if isinstance(table, pd.DataFrame):
        if not {"outcome", "estimand", "value"} <= set(table.columns):
            raise SpecificationError("compare(): a 'truth' table needs the columns outcome, estimand, value (the "
                                     "synthetic cohort's truth).")
        hit = table[(table["outcome"] == row["outcome"]) & (table["estimand"] == row["estimand"])]
        return _number(hit["value"].iloc[0]) if len(hit) else None
    if isinstance(truth, Mapping):
        value = truth.get(row["name"], truth.get((row["outcome"], row["estimand"]), truth.get(row["outcome"])))
        return _number(value)
    raise SpecificationError("compare(): 'truth' must be a number, a mapping {result name, outcome or (outcome, "
                             f"estimand): true effect}} or the synthetic cohort's truth table; got {short_repr(truth)}.")


def compare(results: Mapping[str, Any] | Any, *, outcome: str | None = None, truth: Any = None) -> pd.DataFrame:
    """One tidy table comparing the designs' estimates of each outcome.

    Parameters
    ----------
    results : a mapping name -> result (a run's ``RunResult.results``, or your own), or a ``RunResult``.
        Every result with an outcome and an estimate is a row (aggregations such as ``<name>.simple``
        included); results without one (balance tables, indicators, sensitivity) are skipped.
    outcome : keep this outcome only (an error if no result estimates it); default every outcome.
    truth : the true effect, when known (synthetic data): a number (one outcome), a mapping from a
        result name, an outcome or an (outcome, estimand) pair to the true value, or the synthetic
        cohort (or its ``truth`` table: outcome, estimand, value).

    Returns
    -------
    DataFrame with the columns ``COMPARE_COLUMNS``: outcome, name, method, estimand, estimate,
    std_error, ci_lower, ci_upper, ci_level, p_value, inference, n_treated, n_control, truth, bias
    (estimate - truth) and covered (the interval holds the truth); rows grouped by outcome in the
    order the outcomes first appear, then in the order of ``results``. Estimands differ between
    designs (ATT, ATE, ATT(simple)...): compare like with like.
    """
    mapping = getattr(results, "results", results)
    if not isinstance(mapping, Mapping):
        raise SpecificationError(f"compare() expects a mapping name -> result (or a RunResult); got "
                                 f"{type(results).__name__}.")
    rows = [r for name, res in mapping.items() if (r := _row(str(name), res)) is not None]
    outcomes = list(dict.fromkeys(r["outcome"] for r in rows))
    if outcome is not None:
        if outcome not in outcomes:
            raise SpecificationError(f"compare(): no result estimates the outcome {short_repr(outcome)}; outcomes: "
                                     f"{outcomes}.")
        rows, outcomes = [r for r in rows if r["outcome"] == outcome], [outcome]
    for r in rows:
        r["truth"] = _truth_of(truth, r, len(outcomes))
        known = r["truth"] is not None
        r["bias"] = r["estimate"] - r["truth"] if known and r["estimate"] is not None else None
        r["covered"] = (r["ci_lower"] <= r["truth"] <= r["ci_upper"]
                        if known and r["ci_lower"] is not None and r["ci_upper"] is not None else None)
    rows.sort(key=lambda r: outcomes.index(r["outcome"]))
    return pd.DataFrame(rows, columns=list(COMPARE_COLUMNS))
