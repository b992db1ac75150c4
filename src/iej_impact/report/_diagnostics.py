"""The diagnostics a run records for each result: the facts needed to reproduce and judge it, as fields.

Estimators keep their diagnostics as objects (a ``MatchResult``, a ``PropensityScore``, weight and
overlap tables) that reports turn into prose; :func:`result_diagnostics` reads them and returns a
small JSON-safe record, which the runner writes to ``results.json`` under ``"diagnostics"``:

* ``matching``: method, distance, ratio, replacement and ties; the caliper as given, its scale and
  the caliper in distance units as used; the kernel bandwidth; units per arm (all, matched,
  unmatched, discarded);
* ``propensity``: model, convergence, log-likelihood, coefficients, separation, and the overlap
  of the score by arm for the result's estimand (as ``PropensityScore.overlap``);
* ``trimming`` and ``weights`` (IPW and doubly robust): units trimmed or truncated per arm, and the
  distribution of the weights per arm;
* every scalar diagnostic the estimator recorded (``n_trimmed``, ``n_clusters``,
  ``small_sample_factor``, ``se_score_known``, a separation diagnosis...), under its own name.

Nothing per unit is written (no scores, weights or influence functions), so ``results.json`` stays
small. The record is read from the result objects only; it never refits anything.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from typing import Any

import pandas as pd

from ..results import jsonable

__all__ = ["result_diagnostics"]

#: propensity-score facts copied from ``PropensityScore.to_dict()``
_PROPENSITY_KEYS = ("model", "n_obs", "n_treated", "converged", "iterations", "log_likelihood", "separation")
#: matching arguments (from the call's spec) that change which units are matched
_MATCHING_SPEC_KEYS = ("ratio", "replace", "ties", "order", "discard", "exact", "weights")


def _by_row(frame: Any) -> dict[str, Any]:
    """A small table (arms or samples as rows) as {row: {column: value}}, ints kept as ints."""
    if not isinstance(frame, pd.DataFrame) or frame.empty:
        return {}
    return {str(idx): jsonable(row) for idx, row in frame.to_dict(orient="index").items()}


def _matching(m: Any) -> dict[str, Any]:
    spec = getattr(m, "spec", {}) or {}
    sizes = m.sample_sizes[["treated", "control"]] if {"treated", "control"} <= set(m.sample_sizes.columns) else None
    return jsonable({
        "method": m.method,
        "estimand": m.estimand,
        "distance": m.distance_name,
        **{key: spec.get(key) for key in _MATCHING_SPEC_KEYS if key in spec},
        "caliper": {"given": spec.get("caliper"), "scale": spec.get("caliper_scale"), "in_distance_units": m.caliper},
        "bandwidth": m.bandwidth,
        "units_by_arm": _by_row(sizes),
    })


def _propensity(ps: Any, overlap: Any, estimand: str | None) -> dict[str, Any]:
    record = ps.to_dict()
    out = {key: record.get(key) for key in _PROPENSITY_KEYS}
    if getattr(ps, "params", None) is not None:
        out["coefficients"] = jsonable(ps.params)
    if not isinstance(overlap, pd.DataFrame) and estimand in ("ATE", "ATT", "ATC"):
        overlap = ps.overlap(estimand)
    if isinstance(overlap, pd.DataFrame):
        out["overlap"] = {"estimand": estimand, **_by_row(overlap)}
    return jsonable(out)


def _is_small(value: object) -> bool:
    """A number, text, flag or None; or a mapping of those and lists of text (e.g. a separation diagnosis)."""
    if value is None or isinstance(value, (str, bool, numbers.Number)):
        return True
    if isinstance(value, Mapping):
        return all(_is_small(v) or (isinstance(v, list) and all(isinstance(x, str) for x in v)) for v in value.values())
    return False


def result_diagnostics(res: object) -> dict[str, Any]:
    """The diagnostics record of one result (empty when it holds none); see the module docstring."""
    diagnostics = getattr(res, "diagnostics", None)
    if not isinstance(diagnostics, Mapping):
        return {}
    estimand = getattr(res, "estimand", None)
    out: dict[str, Any] = {}
    matching = diagnostics.get("matching", diagnostics.get("match"))
    if matching is not None and hasattr(matching, "sample_sizes"):
        out["matching"] = _matching(matching)
    ps = diagnostics.get("propensity")
    if ps is None and matching is not None:
        ps = getattr(matching, "propensity_model", None)
    if ps is not None and hasattr(ps, "overlap"):
        out["propensity"] = _propensity(ps, diagnostics.get("overlap"), estimand)
    if isinstance(diagnostics.get("trimming"), Mapping):
        out["trimming"] = jsonable(diagnostics["trimming"])
    if isinstance(diagnostics.get("weights_summary"), pd.DataFrame):
        out["weights"] = _by_row(diagnostics["weights_summary"])
    out.update({str(k): jsonable(v) for k, v in diagnostics.items() if _is_small(v) and str(k) not in out})
    return out
