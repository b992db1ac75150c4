"""The parts of :func:`~iej_impact.matching._result.estimate_effect`: its option checks, the outcome
of the matched sample, and the standard errors of the matching estimate.

Two families of standard errors (formulas, assumptions and references in the docstring of
``estimate_effect``):

* Abadie & Imbens (2006) for nearest-neighbour matching, from the matched sets
  (:mod:`iej_impact.matching._inference`), adjusted for a propensity score estimated by maximum
  likelihood (Abadie & Imbens 2016) when the units were matched on it;
* the HC1 standard error of the weighted regression of Y on (1, D), robust or clustered (on the
  matched pairs / subclasses, or on columns), conditional on the matching weights.

Everything here reads a :class:`~iej_impact.matching._record.MatchRecord`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .._params import Boolean, Columns, Constraint, Interval
from .._validation import as_column_list, check_columns, describe_rows, example_rows
from ..data._numeric_text import check_numeric
from ..errors import DataError, EstimationError, SpecificationError
from ..inference import (
    AbadieImbens,
    Clustered,
    Inference,
    PairCluster,
    cluster_codes,
    parse_inference,
)
from ._arguments import DISTANCES
from ._inference import (
    NNEffects,
    ps_adjustment_parts_ate,
    ps_adjustment_term,
    ps_adjustment_unavailable,
    sigma2_kind,
)
from ._record import MatchRecord

__all__ = [
    "abadie_imbens_se",
    "bias_columns",
    "check_effect_options",
    "checked_inference",
    "matched_outcome",
    "weighted_difference_se",
]

#: the standard errors offered after each matching method, the default first
_SE_BY_METHOD = {
    "nearest": ("abadie_imbens", "pair_cluster", "robust", "clustered"),
    "subclass": ("pair_cluster", "robust", "clustered"),
    "radius": ("robust", "clustered"),
    "kernel": ("robust", "clustered"),
}


def _se_allowed(method: str, replace: bool, weighted: bool = False) -> tuple[str, ...]:
    """The standard errors offered after matching with ``method`` (pairs exist only without replacement;
    no Abadie-Imbens SE with sampling weights)."""
    allowed = ("abadie_imbens", "robust", "clustered") if method == "nearest" and replace else _SE_BY_METHOD[method]
    return tuple(a for a in allowed if a != "abadie_imbens") if weighted else allowed


#: why the Abadie-Imbens SE (and the bias correction built on it) is refused with sampling weights
AI_WEIGHTS_MESSAGE = (
    "the Abadie-Imbens standard error is not available with sampling weights: its variance (Abadie & Imbens "
    "2006, 2016) is derived for a simple random sample (i.i.d. units, each counted once), and no extension to survey "
    "weights is established. Use se='pair_cluster' after "
    "matching without replacement (the cluster-robust SE of the weighted regression of Y on the treatment over "
    "the matched pairs, with matching times sampling weights, as MatchIt's sampling-weights vignette does), "
    "se='robust', or se={'type': 'clustered', 'by': '<column>'}."
)


def _refuse_bias_adjust_with_weights(bias_adjust: object, func: str) -> None:
    """SpecificationError for a bias correction with sampling weights (it goes with the Abadie-Imbens SE)."""
    if bias_adjust is not False and bias_adjust is not None and not (
            isinstance(bias_adjust, np.bool_) and not bool(bias_adjust)):
        raise SpecificationError(
            f"{func}(): bias_adjust is not available with sampling weights: the bias correction goes with the "
            f"Abadie-Imbens standard error, and {AI_WEIGHTS_MESSAGE} Pass bias_adjust=False."
        )


def _refuse_ai_with_weights(se: object, func: str) -> None:
    """SpecificationError for se='abadie_imbens' (in any spelling) with sampling weights."""
    name = se if isinstance(se, str) else (se.get("type") if isinstance(se, dict) else getattr(se, "name", None))
    if name == "abadie_imbens":
        raise SpecificationError(f"{func}(): {AI_WEIGHTS_MESSAGE}")


#: the per-parameter constraints of the effect estimate after matching (psm() and estimate_effect())
EFFECT_PARAMS: dict[str, Constraint] = {
    "outcome": Columns(single=True), "alpha": Interval(0.0, 0.5, low_open=True), "ps_adjustment": Boolean(),
}


def check_effect_options(data: pd.DataFrame, method: object, replace: object, se: object, alpha: object,
                         ps_adjustment: object, *, weighted: bool = False, bias_adjust: object = False) -> None:
    """psm()'s check of ``se`` for :func:`estimate_effect`, run before matching so that a wrong ``se`` is
    reported at once (and by ``iej-impact validate``); ``alpha`` and ``ps_adjustment`` are in EFFECT_PARAMS.
    ``weighted``: sampling weights were given (no Abadie-Imbens SE, no bias correction then)."""
    if weighted:
        _refuse_bias_adjust_with_weights(bias_adjust, "psm")
    if se is None or not isinstance(method, str) or method not in _SE_BY_METHOD:
        return  # the default; or a method match() refuses with its own message
    if weighted:
        _refuse_ai_with_weights(se, "psm")
    inference = parse_inference(se, "psm", _se_allowed(method, replace is True or replace is np.True_, weighted))
    if isinstance(inference, Clustered):
        check_columns(data, inference.columns, "psm", role="cluster column")


def checked_inference(
    result: MatchRecord, outcome: str, se: object, alpha: float, ps_adjustment: object, bias_adjust: object, func: str
) -> tuple[Inference, list[str] | None]:
    """estimate_effect()'s argument checks: the inference object and the bias-correction columns."""
    check_columns(result.data, [outcome], func, role="outcome")
    # alpha and ps_adjustment: the constraint tables of psm() and estimate_effect() (EFFECT_PARAMS)
    weighted = result.sampling_weights is not None
    if weighted:
        _refuse_ai_with_weights(se, func)
        _refuse_bias_adjust_with_weights(bias_adjust, func)
    bias_cols = bias_columns(result, bias_adjust, func)
    allowed = _se_allowed(result.method, bool(result.spec.get("replace")), weighted)
    if se is None:
        se = allowed[0]
    inference = parse_inference(se, func, allowed)
    if bias_cols and not isinstance(inference, AbadieImbens):
        raise SpecificationError(
            f"bias_adjust applies with se='abadie_imbens' only (the standard error of the bias-corrected matching "
            f"estimator, Abadie & Imbens 2011); got se={inference.name!r}. Drop 'se' or pass bias_adjust=False."
        )
    return inference, bias_cols


def bias_columns(result: MatchRecord, bias_adjust: object, func: str) -> list[str] | None:
    """The columns of the bias correction (None: no correction), after checking it applies."""
    if bias_adjust is False or bias_adjust is None:
        return None
    if result.method != "nearest" or not result.spec.get("replace"):
        what = f"method={result.method!r}" if result.method != "nearest" else "matching without replacement"
        raise SpecificationError(
            f"bias_adjust is defined for nearest-neighbour matching with replacement (Abadie & Imbens 2011); this "
            f"result used {what}. Match with method='nearest', replace=True, or pass bias_adjust=False"
            + (" (radius, kernel and subclass estimators average over many units instead)." if result.method != "nearest"
               else ".")
        )
    if bias_adjust is True or (isinstance(bias_adjust, (np.bool_,)) and bool(bias_adjust)):
        if result.distance_name == "mahalanobis":
            cols = list(result.spec.get("mahalanobis") or result.covariates)
        else:
            cols = list(result.covariates)
        if not cols:
            if result.distance_name in DISTANCES:
                cols = [str(result.spec.get("score"))]
            else:
                cols = [result.distance_name]
        return cols
    cols = as_column_list("bias_adjust", bias_adjust, func)
    if not cols:
        raise SpecificationError(
            f"the 'bias_adjust' parameter of {func}() must be True, False or a non-empty list of columns; got []."
        )
    check_columns(result.data, cols, func, role="bias_adjust column")
    return cols


def matched_outcome(result: MatchRecord, outcome: str, used: np.ndarray, func: str) -> np.ndarray:
    """The outcome of the units in the matched sample (``used``), which must be complete and numeric."""
    data = result.data
    na = data[outcome].isna().to_numpy() & used
    if na.any():
        raise DataError(
            f"{func}(): outcome '{outcome}' is missing for {describe_rows(data, na)} in the matched sample; "
            "drop these units before matching so the matched sets stay complete.",
            column=outcome,
            rows=example_rows(data, na),
        )
    check_numeric(data, outcome, func, allow_missing=True)  # text or inf anywhere in the outcome: not an outcome
    return check_numeric(data.loc[used], outcome, func)


def abadie_imbens_se(
    result: MatchRecord,
    inference: AbadieImbens,
    effects: NNEffects | None,
    y_any: np.ndarray,
    ps_adjustment: bool,
    notes: list[str],
    diagnostics: dict[str, object],
) -> float:
    """The Abadie-Imbens (2006) standard error, adjusted for the estimated score (2016) where that applies.

    Appends the note that says which, and records the unadjusted SE as ``se_score_known`` in
    ``diagnostics`` when adjusted.
    """
    if effects is None:
        raise SpecificationError("se='abadie_imbens' applies to nearest-neighbour matching only.")
    std_error = math.sqrt(effects.variance)
    kind = sigma2_kind(inference.sigma2, bool(result.spec.get("ties")))
    base = (
        f"Abadie-Imbens standard error with J = {inference.neighbours} same-arm neighbours for the conditional "
        "variance ("
        + ("J/(J+1) (Y_i - their mean)^2, AI 2006 eq. 14" if kind == "ai2006"
           else "sample variance over the unit and its neighbours, as R Matching's Var.calc")
        + (", ties kept)" if result.spec.get("ties") else ")")
    )
    why_known = ps_adjustment_unavailable(result)
    if why_known is not None or not ps_adjustment:
        reason = "not adjusted by request (ps_adjustment=False)" if why_known is None else why_known
        notes.append(f"{base} (Abadie & Imbens 2006); the propensity score is treated as known: {reason}.")
        return std_error
    se_2006 = std_error
    if result.estimand == "ATE":
        c, a_inv, n_fit = ps_adjustment_parts_ate(result, y_any, effects)
        delta = -float(c @ a_inv @ c) / n_fit
    else:
        delta = ps_adjustment_term(result, y_any, effects.estimate)
    var_adj = std_error**2 + delta
    if var_adj <= 0:
        raise EstimationError(
            f"psm(): the Abadie-Imbens (2016) adjustment for the estimated propensity score gives a "
            f"non-positive variance ({std_error**2:.4g} {delta:+.4g}); the sample is too small for it. "
            "Use ps_adjustment=False (score treated as known) or se='pair_cluster'."
        )
    std_error = math.sqrt(var_adj)
    diagnostics["se_score_known"] = se_2006
    notes.append(
        f"{base}, adjusted for the estimated propensity score (Abadie & Imbens 2016); "
        f"treating the score as known would give {se_2006:.6g}."
    )
    if not result.spec.get("replace") or result.caliper is not None or bool(result.spec.get("exact")):
        notes.append(
            "The Abadie-Imbens (2016) adjustment is derived for matching with replacement with every focal "
            "unit matched; after matching without replacement, a caliper or exact matching it is an "
            "approximation (se='pair_cluster' is the alternative without replacement)."
        )
    return std_error


def weighted_difference_se(
    result: MatchRecord,
    inference: Inference,
    y: np.ndarray,
    arm_means: tuple[float, float],
    arm_weights: tuple[float, float],
    notes: list[str],
    func: str,
) -> tuple[float, Inference]:
    """HC1 standard error of the weighted regression of Y on (1, D) over the matched sample ``y``:
    clustered on pairs/subclasses (``pair_cluster``) or on columns, else robust; conditional on the
    weights (matching weights, times the sampling weights when there are). ``arm_means`` and
    ``arm_weights`` are (treated, control) weighted means and weight sums.
    Returns the SE and ``inference`` with its small-sample convention (Stata's CR1 with clusters, HC1 without).
    """
    used = result.weights > 0
    n = int(used.sum())
    wu = result.final_weights[used]
    du = result.treated[used]
    (mu1, mu0), (s1, s0) = arm_means, arm_weights
    # influence function of the difference in weighted means
    psi = np.where(du, wu * (y - mu1) / s1, -wu * (y - mu0) / s0) * n
    if isinstance(inference, PairCluster):
        clusters = result.subclass[used]
        if (clusters < 0).any():
            raise SpecificationError(
                "se='pair_cluster' needs pair or subclass ids, which matching with replacement does not "
                "define; use se='abadie_imbens'."
            )
        codes = pd.factorize(clusters)[0]
        errors = inference.standard_errors(psi, clusters=codes, small_sample="G/(G-1)(N-1)/(N-K)", n_params=2)
        notes.append(f"Standard error clustered on {int(codes.max()) + 1} matched pairs/subclasses (HC1 factors).")
    elif isinstance(inference, Clustered):
        codes = cluster_codes(result.data.loc[used], inference.columns, func)
        errors = inference.standard_errors(psi, clusters=codes, small_sample="G/(G-1)(N-1)/(N-K)", n_params=2)
        notes.append(
            f"Standard error clustered on {', '.join(inference.columns)} ({int(codes.max()) + 1} clusters, HC1 factors), "
            "conditional on the matching weights."
        )
    else:
        errors = inference.standard_errors(psi, small_sample="N/(N-K)", n_params=2)
        notes.append("Robust (HC1) standard error of the weighted difference in means, conditional on the weights.")
    return float(errors.se), errors.inference
