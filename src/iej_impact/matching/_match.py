"""Matching on the propensity score (or on covariates): a step that yields weights and subclasses.

:func:`match` returns a frozen :class:`MatchResult` holding, for every row of the input, the
matching weight, the subclass (pair or stratum id), whether the row was discarded, and the
distance; ``matched_data()`` gives MatchIt's ``match.data`` and ``sample_sizes`` its ``nn``
table. Effect estimation is a separate step (:meth:`MatchResult.estimate`, :func:`psm`).

:func:`match` runs four steps, each owned by a module: the arguments are checked into a
``MatchSpec`` (:mod:`~iej_impact.matching._arguments`); the distance, the units ``discard`` keeps,
the caliper in distance units and the exact-matching cells form a ``MatchingProblem``
(:mod:`~iej_impact.matching._distance`); the method matches (:mod:`~iej_impact.matching._methods`,
with :mod:`~iej_impact.matching._nearest`, :mod:`~iej_impact.matching._mahalanobis`,
:mod:`~iej_impact.matching._sets` and :mod:`~iej_impact.matching._weights`); and the units left
unmatched are refused or reported here. :func:`psm` is :func:`match` followed by
:func:`~iej_impact.matching._result.estimate_effect`. The conventions, stated once:

Methods
-------
``nearest``
    Greedy nearest-neighbour matching on a 1-D distance, 1:k, with or without replacement, with
    MatchIt's conventions (see :mod:`iej_impact.matching._nearest`): all units ordered together by
    (distance, data row); a focal unit's candidates are the nearest available control before it and
    the nearest after it in that order, the one before winning at equal distance; without
    replacement, focal units are matched in ``order`` and 1:k proceeds in rounds. With
    ``distance="mahalanobis"`` the nearest control is the one with the smallest Mahalanobis distance
    on ``mahalanobis`` covariates (pooled within-arm covariance, as MatchIt >= 4.4), among controls
    within the caliper on the logit of the propensity score; ties go to the first control in data
    order.
    With replacement, ``ties=True`` keeps every control as close as the ``ratio``-th nearest
    (Stata's ``teffects``, R Matching), and ``estimand="ATE"`` matches every treated unit to
    controls and every control to treated units (Abadie & Imbens 2006); the matched sets are then
    in ``MatchResult.match_sets`` (see :mod:`iej_impact.matching._sets`).
``subclass``
    Subclassification on quantiles of the focal arm's score (MatchIt's ``method = "subclass"``):
    breaks at the ``subclasses`` quantiles (R type 7) of the focal units' score (all units' score for
    the ATE), intervals closed on the left, the extreme ones open-ended; a subclass missing one arm
    borrows the nearest unit(s) of that arm from the neighbouring subclass (MatchIt's "scoot").
``radius``
    Every focal unit is matched to all controls within ``caliper`` of its distance (Dehejia &
    Wahba 2002): control weights as for matching with replacement with a variable ratio.
``kernel``
    Kernel matching (Heckman, Ichimura & Todd 1997): the counterfactual of focal unit i is the
    average of the controls weighted by K((d_j - d_i) / h) / sum_k K((d_k - d_i) / h), with
    ``kernel`` Epanechnikov, K(u) = 3/4 (1 - u^2) on |u| <= 1, or Gaussian (terms beyond 8
    bandwidths, below 1.3e-14 of the peak, are dropped). Bandwidth ``h``: ``bandwidth`` (in the
    units of ``caliper_scale``), by default Silverman's rule 1.06 SD(d) n^(-1/5) over the units kept.

Weights (MatchIt's, stated for the ATT; swap the arms for the ATC)
    Treated units with a match weigh 1. Each control weighs the sum, over the treated units it is
    matched to, of 1 / (number of controls matched to that treated unit) (kernel: of its kernel
    share); control weights are then rescaled to sum to the number of controls with a positive
    weight. Subclassification: controls weigh (treated / controls in their subclass), rescaled to
    sum to the number of controls in a subclass. Unmatched and discarded units weigh 0.

Caliper
    ``caliper`` is in standard deviations of the distance unless ``caliper_scale="raw"``. As in
    MatchIt, the SD is the sample SD (denominator n - 1) over *all* units not discarded, both arms
    pooled. A control is within the caliper when |d_i - d_j| <= caliper.

Discard (common support on the distance, MatchIt's ``discard``)
    ``treated``: treated units outside [min, max] of the controls' distance; ``control``: controls
    outside the treated range; ``both``: both. Discarded units are neither matched nor matches.

References
----------
Ho, D., Imai, K., King, G. & Stuart, E. (2011). MatchIt: Nonparametric Preprocessing for
Parametric Causal Inference. Journal of Statistical Software 42(8).
Austin, P. (2011). Optimal caliper widths for propensity-score matching. Pharmaceutical
Statistics 10(2) (caliper of 0.2 SD of the logit score).
Rosenbaum, P. & Rubin, D. (1985). Constructing a control group using multivariate matched
sampling methods that incorporate the propensity score. The American Statistician 39(1).
Heckman, J., Ichimura, H. & Todd, P. (1997). Matching as an econometric evaluation estimator.
Review of Economic Studies 64(4).
"""


from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._params import constrained
from .._progress import LARGE, task
from .._validation import (
    arguments_checked,
    as_column_list,
    check_columns,
    check_dataframe,
    check_distinct_roles,
    describe_rows,
    user_stacklevel,
)
from ..errors import EstimationError, OverlapWarning
from ..inference import InferenceLike
from ..results import EffectResult
from ._arguments import FUNC, MATCH_PARAMS, MatchSpec, check_match_arguments, check_match_data
from ._distance import MatchingProblem, matching_problem
from ._estimate import EFFECT_PARAMS, check_effect_options
from ._methods import MATCHERS, Matching
from ._result import MatchResult, estimate_effect
from ._weights import own_mask

__all__ = ["match", "psm"]


@constrained(MATCH_PARAMS)
def match(
    data: pd.DataFrame,
    *,
    treatment: str,
    covariates: Sequence[str],
    estimand: str = "ATT",
    ps_model: object = "logit",
    method: str = "nearest",
    distance: str = "propensity",
    ratio: int = 1,
    replace: bool = False,
    caliper: float | None = None,
    caliper_scale: str = "sd",
    order: str | None = None,
    exact: Sequence[str] | str = (),
    discard: str = "none",
    subclasses: int = 6,
    mahalanobis: Sequence[str] | None = None,
    kernel: str = "epanechnikov",
    bandwidth: float | None = None,
    score: str | None = None,
    random_state: int | None = None,
    ties: bool = False,
    weights: str | None = None,
) -> MatchResult:
    """Match treated and control units; return weights, subclasses and the sample-size table.

    Parameters
    ----------
    data : one row per unit; never modified.
    treatment : 0/1 (or bool) treatment column.
    covariates : columns of the propensity-score model (and of the balance table).
    estimand : "ATT" (treated units are matched to controls), "ATC" (controls are matched to
        treated units) or "ATE" (``method="subclass"``, or ``method="nearest"`` with
        ``replace=True``: every treated unit is matched to its ``ratio`` nearest controls and
        every control to its ``ratio`` nearest treated units, Abadie & Imbens 2006).
    ps_model : "logit", "probit", "gbm" or an object with ``fit``/``predict_proba``; passed to
        :func:`iej_impact.observational._propensity.propensity_score`. Unused when ``distance`` is a column.
    method : "nearest", "subclass", "radius" or "kernel" (see the module docstring).
    distance : "propensity" (the score), "logit" (its log-odds), "mahalanobis" (Mahalanobis
        distance on ``mahalanobis`` covariates, within a caliper on the logit score), or the name
        of a numeric column holding a precomputed distance (a score estimated elsewhere).
    ratio : k in 1:k nearest-neighbour matching.
    replace : match with replacement (a control may serve several treated units).
    caliper : maximum distance between matched units, in SDs of the distance (``caliper_scale="sd"``,
        SD over all units not discarded, both arms) or in distance units (``"raw"``). Required for
        ``method="radius"`` (the radius).
    caliper_scale : "sd" or "raw" (also the unit of ``bandwidth``).
    order : order in which focal units are matched without replacement: "largest" or "smallest"
        distance first, "data" order, or "random" (drawn with ``random_state``). Default (None):
        MatchIt's, "largest" for the ATT and "smallest" for the ATC: the units hardest to match
        first.
    exact : columns to match exactly on (units are matched within their cells only).
    discard : common-support rule on the distance: "none", "treated", "control" or "both".
    subclasses : number of subclasses for ``method="subclass"``.
    mahalanobis : covariates of the Mahalanobis distance (default: ``covariates``); categorical
        columns are expanded to indicators.
    kernel : "epanechnikov" or "gaussian" (``method="kernel"``).
    bandwidth : kernel bandwidth in the units of ``caliper_scale``; default Silverman's rule.
    score : column holding a propensity score estimated elsewhere (values in (0, 1)); used instead
        of fitting ``ps_model`` for ``distance`` "propensity", "logit" and "mahalanobis".
    random_state : seed for ``order="random"``.
    ties : nearest-neighbour matching with replacement only. False (default): exactly ``ratio``
        matches per unit, ties in the distance broken by MatchIt's rule (data order). True: every
        unit of the other arm at a distance equal to that of the ``ratio``-th nearest is kept too,
        each member of the matched set weighing 1 / (size of the set), as Stata's ``teffects``
        and R Matching's ``Match(ties = TRUE)`` do; the result then does not depend on the row
        order. Distances are equal when they differ by floating-point noise only
        (:func:`iej_impact.matching._sets.tie_tolerance`).
    weights : optional column of sampling (survey) weights, finite and > 0, as MatchIt's
        ``s.weights``: used in the propensity-score likelihood and in the balance table (before and
        after matching), not in the matching itself; the effect (:func:`estimate_effect`) is then the
        difference of means weighted by matching weights times sampling weights
        (``MatchResult.final_weights``), the effect in the population the weights represent.

    Returns
    -------
    MatchResult

    Raises
    ------
    DataError : missing columns, non-binary treatment, one arm empty, missing or non-numeric
        values in the covariates, exact-matching columns or the distance.
    SpecificationError : an option is not allowed (names the allowed values).
    EstimationError : no unit left after ``discard``, no focal unit matched (e.g. caliper too
        narrow), or units the estimand needs have a fitted score of exactly 0 or 1 (separation: no
        possible counterpart) and were matched all the same; dropping them with ``discard`` or a
        caliper leaves the score's OverlapWarning and an estimate for the units kept. A caliper that leaves *some* focal units unmatched gives an :class:`OverlapWarning`
        with the count; the estimand then refers to the matched focal units only.

    Notes
    -----
    Matching assumes selection on observables (no unmeasured confounder) and overlap. The
    conventions reproduce MatchIt (checked against MatchIt on LaLonde's data, see
    tests/reference/test_matchit.py); MatchIt 4.5.1 as built by Debian compares distances with an
    integer ``abs`` and so differs from the documented rule on raw propensity scores.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> df = pd.DataFrame({"d": [1, 1, 0, 0, 0, 0], "ps": [0.8, 0.6, 0.7, 0.55, 0.2, 0.1]})
    >>> res = match(df, treatment="d", covariates=[], distance="ps")
    >>> res.pairs()[["treated", "control"]].values.tolist()
    [[0, 2], [1, 3]]
    """
    check_dataframe(data, FUNC)
    spec = check_match_arguments(
        len(data), treatment=treatment, covariates=covariates, estimand=estimand, ps_model=ps_model, method=method,
        distance=distance, ratio=ratio, replace=replace, caliper=caliper, caliper_scale=caliper_scale, order=order,
        exact=exact, discard=discard, subclasses=subclasses, mahalanobis=mahalanobis, kernel=kernel,
        bandwidth=bandwidth, score=score, random_state=random_state, ties=ties, weights=weights,
    )
    treated, sw = check_match_data(data, spec)
    arguments_checked()

    notes: list[str] = []
    with task(f"{FUNC}(): {spec.method} matching", total=2, unit="stage", when=len(data) >= LARGE) as ticker:
        ticker.stage(f"distance ({spec.distance})")
        problem = matching_problem(data, spec, treated)
        ticker.update(1)
        ticker.stage(f"{spec.method} matching")
        matching = MATCHERS[spec.method](data, spec, problem, notes)
        ticker.update(1)
    _check_matched(data, spec, problem, matching, notes)
    if problem.caliper is not None and spec.caliper_scale == "sd":
        notes.append(
            f"Caliper {spec.caliper} SD = {problem.caliper:.6g} in distance units (sample SD over all "
            f"{int(problem.eligible.sum())} units not discarded, both arms pooled, as MatchIt)."
        )
    return MatchResult(
        data=data.copy(deep=False),
        treatment=spec.treatment,
        covariates=spec.covariates,
        estimand=spec.estimand,
        method=spec.method,
        distance_name=spec.distance,
        distance=problem.distance,
        propensity=problem.propensity,
        weights=matching.weights,
        subclass=matching.subclass,
        discarded=problem.discarded,
        match_matrix=matching.match_matrix,
        caliper=problem.caliper,
        bandwidth=matching.bandwidth,
        sample_sizes=_sample_sizes(treated, matching.weights, problem.discarded, sw),
        spec=spec.provenance(),
        notes=tuple(notes),
        propensity_model=problem.ps_fit,
        match_sets=matching.match_sets,
        sampling_weights=sw,
        distance_order=matching.distance_order,
    )


# =============================================================================================
# after matching: who was matched
# =============================================================================================
def _check_matched(
    data: pd.DataFrame, spec: MatchSpec, problem: MatchingProblem, matching: Matching, notes: list[str]
) -> None:
    """Refuse a matching that matched no focal unit, or matched units the score separates; warn
    (and note) when focal units were left without a match."""
    nearest_ate = spec.estimand == "ATE" and spec.method == "nearest"
    if nearest_ate:
        _check_ate_matched(data, spec, problem, matching, notes)
    else:
        _refuse_no_match(spec, problem, matching.weights)
    if problem.propensity is not None:
        _refuse_separated_matches(
            data, problem.propensity, problem.treated, matching.weights, spec.estimand, problem.ps_fit
        )
    if not nearest_ate:
        _warn_unmatched(data, spec, problem, matching, notes)


def _refuse_no_match(spec: MatchSpec, problem: MatchingProblem, weights: np.ndarray) -> None:
    """ATT/ATC (and subclassification for the ATE): some focal unit and some unit of the other arm must be matched."""
    focal, eligible = problem.focal, problem.eligible
    matched_focal = int(((weights > 0) & focal & eligible).sum())
    if matched_focal > 0 and ((weights > 0) & ~focal).any():
        return
    arm_f, arm_c = _arm_names(spec.estimand)
    caliper = spec.caliper
    why = f" within caliper={caliper} ({'SD of the distance' if spec.caliper_scale == 'sd' else 'raw'})" if caliper else ""
    raise EstimationError(
        f"match(): no {arm_f} unit found a {arm_c} match{why} ({int((focal & eligible).sum())} {arm_f} and "
        f"{int((~focal & eligible).sum())} {arm_c} units available). Widen the caliper, relax 'exact', or check "
        "the overlap of the propensity score."
    )


def _warn_unmatched(
    data: pd.DataFrame, spec: MatchSpec, problem: MatchingProblem, matching: Matching, notes: list[str]
) -> None:
    """OverlapWarning (and a note) for focal units left without a match: the estimand then changes."""
    focal, eligible = problem.focal, problem.eligible
    unmatched_focal = focal & eligible & (matching.weights == 0)
    if spec.ties and spec.estimand != "ATE":
        unmatched_focal = focal & eligible & ~own_mask(matching.match_sets, focal.shape[0])
    if not unmatched_focal.any():
        return
    arm_f, arm_c = _arm_names(spec.estimand)
    msg = (
        f"{int(unmatched_focal.sum())} of {int((focal & eligible).sum())} {arm_f} units have no {arm_c} match "
        f"{_no_match_reason(spec)} and are dropped ({describe_rows(data, unmatched_focal)}); the estimate then "
        f"refers to the matched {arm_f} units only, not the full {spec.estimand}."
    )
    warnings.warn(msg, OverlapWarning, stacklevel=user_stacklevel())
    notes.append(msg)


def _arm_names(estimand: str) -> tuple[str, str]:
    """(the arm being matched, the arm of its matches)."""
    return ("control", "treated") if estimand == "ATC" else ("treated", "control")


def _check_ate_matched(
    data: pd.DataFrame, spec: MatchSpec, problem: MatchingProblem, matching: Matching, notes: list[str]
) -> None:
    """ATE: every arm needs matched units; units left without a match are dropped with a warning."""
    treat, eligible, caliper = problem.treated, problem.eligible, spec.caliper
    own = own_mask(matching.match_sets, treat.shape[0])
    for arm, mask in (("treated", treat), ("control", ~treat)):
        other = "control" if arm == "treated" else "treated"
        if not (own & mask).any():
            raise EstimationError(
                f"match(): no {arm} unit found a {other} match ({int((mask & eligible).sum())} {arm} and "
                f"{int((~mask & eligible).sum())} {other} units available"
                + (f", caliper={caliper} ({spec.caliper_scale})" if caliper is not None else "")
                + "). Widen the caliper, relax 'exact', or check the overlap of the propensity score."
            )
    lost = eligible & ~own
    if lost.any():
        reason = _no_match_reason(spec)
        msg = (
            f"{int((lost & treat).sum())} treated and {int((lost & ~treat).sum())} control units have no match "
            f"{reason} and are dropped ({describe_rows(data, lost)}); the estimate then refers to the matched "
            "units only, not the full ATE."
        )
        warnings.warn(msg, OverlapWarning, stacklevel=user_stacklevel())
        notes.append(msg)


def _refuse_separated_matches(
    data: pd.DataFrame, p: np.ndarray, d: np.ndarray, weights: np.ndarray, estimand: str, ps_fit: Any
) -> None:
    """Units the estimand needs, with a score of 1 (treated; 0 for controls), left in the matched sample.

    A score at 0 or 1 to machine precision (complete or quasi-complete separation, see
    :func:`iej_impact.observational._propensity.propensity_score`) says that no unit of the other arm shares those
    covariate values: any match is outside common support and the effect is not identified for these
    units (ipw() refuses the same data). When ``discard`` or a caliper removed them, the OverlapWarning
    of the score stands and the estimate refers to the units kept.
    """
    from ..observational._propensity import SCORE_EPS, separation_hints

    at1, at0 = p > 1 - SCORE_EPS, p < SCORE_EPS
    need = {"ATT": d & at1, "ATC": ~d & at0}.get(estimand, (d & at1) | (~d & at0))
    bad = need & (weights > 0)
    if not bad.any():
        return
    design = getattr(ps_fit, "design", None)
    hints = separation_hints(design, d) if design is not None else []
    hint = f" Likely cause: {'; '.join(hints[:3])}." if hints else ""
    n1, n0 = int((bad & d).sum()), int((bad & ~d).sum())
    raise EstimationError(
        f"{FUNC}(): the propensity-score model separates the arms: {int(bad.sum())} units the {estimand} needs "
        f"({n1} treated with a score of 1, {n0} control with a score of 0, to within {SCORE_EPS:g}; "
        f"{describe_rows(data, bad)}) have no possible counterpart in the other arm, yet were matched; the effect "
        f"is not identified for them.{hint} Drop or merge the covariate or category that separates the arms, "
        "restrict the sample to comparable units, or drop these units explicitly with discard='both' (or a "
        "caliper); the estimate then refers to the units kept."
    )


def _no_match_reason(spec: MatchSpec) -> str:
    """How to say why a unit found no match: outside the caliper, alone in its exact cell, or none left."""
    if spec.caliper is not None:
        return f"within caliper={spec.caliper} ({spec.caliper_scale})"
    return "in their exact-matching cell" if spec.exact else "available"


def _ess(w: np.ndarray) -> float:
    s2 = float(np.sum(w**2))
    return float(np.sum(w) ** 2 / s2) if s2 > 0 else 0.0


def _sample_sizes(
    treat: np.ndarray, weights: np.ndarray, discarded: np.ndarray, sampling: np.ndarray | None = None
) -> pd.DataFrame:
    """All / Matched / Unmatched / Discarded per arm, with effective sample sizes (MatchIt's nn; with
    sampling weights, the ESS of the sampling weights (all) and of matching times sampling weights)."""
    rows = {}
    s = np.ones_like(weights) if sampling is None else sampling
    for name, arm in (("control", ~treat), ("treated", treat)):
        m = arm & (weights > 0)
        rows[name] = {
            "all": int(arm.sum()),
            "matched": int(m.sum()),
            "unmatched": int((arm & (weights == 0) & ~discarded).sum()),
            "discarded": int((arm & discarded).sum()),
        }
        rows[name + "_ess"] = {
            "all": float(arm.sum()) if sampling is None else _ess(s[arm]),
            "matched": _ess(weights[m] * s[m]),
            "unmatched": float("nan"),
            "discarded": float("nan"),
        }
    out = pd.DataFrame(rows)[["control", "treated", "control_ess", "treated_ess"]]
    out.index.name = "sample"
    return out


@constrained({**MATCH_PARAMS, **EFFECT_PARAMS})
def psm(
    data: pd.DataFrame,
    *,
    outcome: str,
    treatment: str,
    covariates: Sequence[str],
    estimand: str = "ATT",
    ps_model: object = "logit",
    method: str = "nearest",
    distance: str = "propensity",
    ratio: int = 1,
    replace: bool = False,
    caliper: float | None = None,
    caliper_scale: str = "sd",
    order: str | None = None,
    exact: Sequence[str] | str = (),
    discard: str = "none",
    subclasses: int = 6,
    mahalanobis: Sequence[str] | None = None,
    kernel: str = "epanechnikov",
    bandwidth: float | None = None,
    score: str | None = None,
    se: InferenceLike | None = None,
    alpha: float = 0.05,
    random_state: int | None = None,
    ps_adjustment: bool = True,
    ties: bool = False,
    bias_adjust: bool | Sequence[str] = False,
    weights: str | None = None,
) -> EffectResult:
    """Propensity-score matching estimate: :func:`match` followed by :func:`estimate_effect`.

    Every argument but ``outcome``, ``se``, ``alpha``, ``ps_adjustment`` and ``bias_adjust`` is
    passed to :func:`match` (see there for the matching conventions, ``estimand="ATE"``,
    ``ties`` and the sampling ``weights``: with them the effect is weighted by matching times
    sampling weights, and the standard error is one of the weighted regression's, pair-clustered by
    default where there are pairs, since the Abadie-Imbens SE is not defined with sampling weights);
    ``se``, ``alpha``, ``ps_adjustment`` and ``bias_adjust`` (Abadie-Imbens 2011 bias
    correction: False, True or a list of columns) to :func:`estimate_effect`
    (see there for the standard errors; None = the method's default: Abadie-Imbens for
    nearest-neighbour matching, adjusted for the estimated score (Abadie & Imbens 2016) when a
    logit/probit score was fitted here and ``ps_adjustment`` is True; pair/subclass-clustered for
    subclassification; robust for radius and kernel matching).

    Returns
    -------
    EffectResult with method "psm"; ``diagnostics["matching"]`` holds the :class:`MatchResult`
    and ``sample_sizes`` its All / Matched / Unmatched / Discarded table.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=400)
    >>> d = (rng.random(400) < 1 / (1 + np.exp(-x))).astype(int)
    >>> df = pd.DataFrame({"x": x, "d": d, "ps": 1 / (1 + np.exp(-x)), "y": x + 2.0 * d + rng.normal(size=400)})
    >>> res = psm(df, outcome="y", treatment="d", covariates=[], distance="ps", replace=True)
    >>> abs(res.estimate - 2.0) < 0.3
    True
    """
    check_dataframe(data, "psm")
    check_distinct_roles(
        "psm", outcome, treatment,
        [*as_column_list("covariates", covariates, "psm"), *as_column_list("exact", exact, "psm"),
         *(as_column_list("mahalanobis", mahalanobis, "psm") if mahalanobis is not None else [])],
    )
    check_columns(data, [outcome], "psm", role="outcome")
    check_effect_options(data, method, replace, se, alpha, ps_adjustment, weighted=weights is not None,
                         bias_adjust=bias_adjust)
    result = match(
        data,
        treatment=treatment,
        covariates=covariates,
        estimand=estimand,
        ps_model=ps_model,
        method=method,
        distance=distance,
        ratio=ratio,
        replace=replace,
        caliper=caliper,
        caliper_scale=caliper_scale,
        order=order,
        exact=exact,
        discard=discard,
        subclasses=subclasses,
        mahalanobis=mahalanobis,
        kernel=kernel,
        bandwidth=bandwidth,
        score=score,
        random_state=random_state,
        ties=ties,
        weights=weights,
    )
    return estimate_effect(result, outcome, se=se, alpha=alpha, ps_adjustment=ps_adjustment, bias_adjust=bias_adjust)
