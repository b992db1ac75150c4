"""What the matching methods work on: the distance, the units kept (``discard``), the caliper in
distance units and the exact-matching cells, gathered in a :class:`MatchingProblem`.

The distance is the propensity score (estimated by
:func:`~iej_impact.observational._propensity.propensity_score`, or read from a ``score`` column),
its logit, or a numeric column holding a precomputed distance; for ``distance="mahalanobis"`` it is
the logit score, which the caliper, the matching order and ``discard`` use
(:mod:`iej_impact.matching._mahalanobis` adds the metric). MatchIt's rules for ``discard`` and for
a caliper in SDs are stated in :mod:`iej_impact.matching._match`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._validation import describe_rows, example_rows
from ..errors import DataError, EstimationError, SpecificationError
from ._arguments import FUNC, MatchSpec

__all__ = ["MatchingProblem", "matching_problem"]


@dataclass(frozen=True)
class MatchingProblem:
    """The units to match and the distance between them; all arrays (n,), in data order.

    Attributes
    ----------
    distance : the 1-D distance matched on (the logit score for Mahalanobis matching).
    propensity : the propensity score, or None when a distance column was given.
    ps_fit : the fitted :class:`~iej_impact.observational._propensity.PropensityScore`, or None
        when the score was not estimated here.
    treated : bool, the treatment indicator.
    focal : bool, the units being matched (controls for the ATC, treated units otherwise).
    discarded : bool, units dropped by ``discard``; ``eligible`` is its complement.
    sd : the sample SD of the distance over the eligible units (0 for fewer than two).
    caliper : the caliper in distance units, or None.
    strata : exact-matching cell of every unit, or None without ``exact``.
    """

    distance: np.ndarray
    propensity: np.ndarray | None
    ps_fit: Any
    treated: np.ndarray
    focal: np.ndarray
    discarded: np.ndarray
    eligible: np.ndarray
    sd: float
    caliper: float | None
    strata: np.ndarray | None


def matching_problem(data: pd.DataFrame, spec: MatchSpec, treated: np.ndarray) -> MatchingProblem:
    """The distance, the units ``spec.discard`` leaves, the caliper in distance units and the cells.

    Raises EstimationError when ``discard`` leaves an arm empty.
    """
    dist, propensity, ps_fit = _distance(data, spec)
    focal = ~treated if spec.estimand == "ATC" else treated
    discarded = _discard(dist, treated, spec.discard)
    eligible = ~discarded
    if not (focal & eligible).any() or not (~focal & eligible).any():
        raise EstimationError(
            f"match(): discard={spec.discard!r} leaves {int((treated & eligible).sum())} treated and "
            f"{int((~treated & eligible).sum())} control units: the arms' distance ranges do not overlap "
            "(empty common support). Check the propensity-score model or use discard='none'."
        )
    sd = float(np.std(dist[eligible], ddof=1)) if eligible.sum() > 1 else 0.0
    caliper_raw: float | None = None
    if spec.caliper is not None:
        caliper_raw = float(spec.caliper) * sd if spec.caliper_scale == "sd" else float(spec.caliper)
    strata = _strata(data, list(spec.exact)) if spec.exact else None
    return MatchingProblem(
        distance=dist, propensity=propensity, ps_fit=ps_fit, treated=treated, focal=focal, discarded=discarded,
        eligible=eligible, sd=sd, caliper=caliper_raw, strata=strata,
    )


def _distance(data: pd.DataFrame, spec: MatchSpec) -> tuple[np.ndarray, np.ndarray | None, Any]:
    """(distance, propensity score or None, fitted score model or None); the distance must be finite."""
    propensity: np.ndarray | None = None
    ps_fit = None
    if spec.column_distance:
        dist = _numeric_column(data, spec.distance)
    else:
        if spec.score is not None:
            propensity = _numeric_column(data, spec.score)
            bad = ~((propensity > 0) & (propensity < 1))
            if bad.any():
                raise DataError(
                    f"{FUNC}(): the score column '{spec.score}' must hold probabilities strictly between 0 and 1; "
                    f"{describe_rows(data, bad)} do not.",
                    column=spec.score,
                    rows=example_rows(data, bad),
                )
        elif not spec.covariates:
            raise SpecificationError(
                f"distance={spec.distance!r} needs a propensity-score model: pass 'covariates', or give a column "
                "with a precomputed score as 'score' (or as 'distance')."
            )
        else:
            propensity, ps_fit = _propensity(data, spec.treatment, list(spec.covariates), spec.ps_model, spec.weights)
        dist = propensity if spec.distance == "propensity" else _logit(propensity)
    if not np.isfinite(dist).all():
        bad = ~np.isfinite(dist)
        raise DataError(
            f"match(): the distance has non-finite values in {describe_rows(data, bad)}"
            + (" (propensity scores of exactly 0 or 1: the logit is infinite; use distance='propensity' "
               "or a model that does not separate the arms)." if not spec.column_distance else "."),
            column=spec.distance if spec.column_distance else None,
            rows=example_rows(data, bad),
        )
    return dist, propensity, ps_fit


def _numeric_column(data: pd.DataFrame, column: str) -> np.ndarray:
    s = data[column]
    if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
        raise DataError(
            f"{FUNC}(): the distance column '{column}' must be numeric; it has dtype {s.dtype}.", column=column
        )
    arr = s.to_numpy(dtype=float, na_value=np.nan)
    if np.isnan(arr).any():
        mask = np.isnan(arr)
        raise DataError(
            f"{FUNC}(): the distance column '{column}' has missing values in {describe_rows(data, mask)}.",
            column=column,
            rows=example_rows(data, mask),
        )
    return arr


def _propensity(
    data: pd.DataFrame, treatment: str, covariates: list[str], model: object, weights: str | None = None
) -> tuple[np.ndarray, Any]:
    """Estimated propensity score and its fit, from :func:`iej_impact.observational._propensity.propensity_score`
    (with the sampling weights in the likelihood when given, as MatchIt's ``s.weights``)."""
    from ..observational._propensity import propensity_score

    ps = propensity_score(data, treatment=treatment, covariates=covariates, model=model, weights=weights)
    scores = np.asarray(getattr(ps, "scores", ps), dtype=float)
    if scores.shape != (len(data),):
        raise EstimationError(
            f"{FUNC}(): the propensity-score model returned {scores.shape[0]} scores for {len(data)} rows."
        )
    return scores, ps


def _logit(p: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.log(p) - np.log1p(-p)


def _strata(data: pd.DataFrame, columns: list[str]) -> np.ndarray:
    return data.groupby(columns, sort=True, dropna=False, observed=True).ngroup().to_numpy()


def _discard(dist: np.ndarray, treat: np.ndarray, rule: str) -> np.ndarray:
    """MatchIt's common-support rule on the distance (units outside the other arm's range)."""
    if rule == "none":
        return np.zeros(dist.shape[0], dtype=bool)
    lo1, hi1 = dist[treat].min(), dist[treat].max()
    lo0, hi0 = dist[~treat].min(), dist[~treat].max()
    if rule == "both":
        return (dist < max(lo0, lo1)) | (dist > min(hi0, hi1))
    if rule == "control":
        return ~treat & ((dist < lo1) | (dist > hi1))
    return treat & ((dist < lo0) | (dist > hi0))
