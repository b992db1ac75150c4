"""Matched difference-in-differences: propensity-score matching on pre-period data, then a 2x2 DiD.

Treated units are matched to comparison units on their pre-period covariates (and pre-period
outcome) by :func:`iej_impact.matching._match.match`; the ATT is the matching-weighted difference of
mean changes (Heckman, Ichimura & Todd 1997; Smith & Todd 2005), computed by the 2x2 panel formula of
:mod:`iej_impact.diff_in_diff._two_by_two`. With sampling weights the matching weights are multiplied
by them (MatchIt's ``s.weights``), as in :func:`iej_impact.matching._result.estimate_effect`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .._params import Columns, Interval, constrained
from .._validation import as_column_list, check_binary, check_columns, check_dataframe
from ..data._numeric_text import check_numeric
from ..errors import EstimationError, SpecificationError
from ..inference import Clustered, InferenceLike, normal_ci, parse_inference
from ..results import EffectResult
from ._two_by_two import _panel_rows, _se, panel_2x2

__all__ = ["matched_did"]


@constrained({
    "outcome": Columns(single=True), "treatment": Columns(single=True), "post": Columns(single=True),
    "unit": Columns(single=True, none_ok=True), "covariates": Columns(), "alpha": Interval(0.0, 0.5, low_open=True),
    "weights": Columns(single=True, none_ok=True),
})
def matched_did(
    data: pd.DataFrame,
    *,
    outcome: str,
    treatment: str,
    post: str,
    unit: str,
    covariates: Sequence[str] = (),
    match_pre_outcome: bool = True,
    caliper: float | None = 0.2,
    ratio: int = 1,
    replace: bool = False,
    se: InferenceLike | None = None,
    random_state: int | None = None,
    alpha: float = 0.05,
    weights: str | None = None,
) -> EffectResult:
    """Matched difference-in-differences: propensity-score matching on pre-period data, then a 2x2 DiD.

    Treated units are matched (nearest neighbour on the logit propensity score, :func:`iej_impact.matching._match.match`)
    to comparison units on the pre-period ``covariates`` and, with ``match_pre_outcome``, the
    pre-period outcome; the ATT is the matching-weighted difference of mean changes,
    sum_T (dY) / n_T - sum_C w dY / sum_C w (Heckman, Ichimura & Todd 1997; Smith & Todd 2005).

    Parameters
    ----------
    data : balanced 2x2 panel (one pre and one post row per unit).
    outcome, treatment, post, unit : as in :func:`did`.
    covariates : pre-treatment covariates to match on (values of the pre-period row).
    match_pre_outcome : also match on the pre-period outcome (guards against selection on
        pre-programme levels; it can induce regression-to-the-mean bias when selection is on a
        transitory dip: Daw & Hatfield 2018).
    caliper : in SDs of the logit score (None: no caliper); unmatched treated units are dropped
        and counted in ``sample_sizes``.
    ratio, replace : 1:ratio matching, with or without replacement.
    se : None (default): clustered on matched pairs/subclasses without replacement (Abadie &
        Spiess 2022), the weighted influence-function SE with replacement (treats the weights as
        fixed); or ``{type: clustered, by: col}``.
    random_state : seed for ties in the matching.
    alpha : 1 - confidence level.
    weights : optional column of sampling weights (> 0, constant within unit), as in
        :func:`~iej_impact.matching._match.match`: used in the propensity score and the balance
        table, and the mean changes are weighted by matching times sampling weights (the treated
        units by their sampling weights), which targets the ATT of the population the weights
        represent. The standard errors are those above, with these weights.

    Returns
    -------
    EffectResult (method "matched_did"), diagnostics ``match`` (the MatchResult: balance(),
    sample sizes) and ``n_unmatched_treated``.

    References
    ----------
    Heckman, Ichimura & Todd (1997), REStud 64(4); Smith & Todd (2005), J. Econometrics 125;
    Abadie & Spiess (2022), JASA 117(538); Daw & Hatfield (2018), Health Services Research 53(6);
    DuGoff, Schuler & Stuart (2014), Health Services Research 49(1) (matching with survey weights).
    """
    from ..matching._match import match

    func = "matched_did"
    check_dataframe(data, func)
    covs = as_column_list("covariates", covariates, func)
    check_columns(data, [outcome, treatment, post, unit, *covs, *([weights] if weights else [])], func)
    if not covs and not match_pre_outcome:
        raise SpecificationError(f"{func}() needs something to match on: covariates, or match_pre_outcome=True.")
    if weights is not None and weights in {outcome, treatment, post, unit, *covs}:
        raise SpecificationError(f"{func}(): the sampling-weight column '{weights}' cannot also be a covariate or role.")
    inference = parse_inference("robust" if se is None else se, func, ("robust", "clustered"))
    y = check_numeric(data, outcome, func)
    d = check_binary(data, treatment, func).astype(float)
    check_binary(data, post, func)
    uniques, (pre_i, post_i) = _panel_rows(data, unit, treatment, post, weights)
    units = data.iloc[pre_i][covs].reset_index(drop=True)
    names = list(covs)
    if match_pre_outcome:
        units["pre_period_outcome"] = y[pre_i]
        names.append("pre_period_outcome")
    units["treated"] = d[pre_i].astype(int)
    units["unit_id"] = uniques
    if weights is not None:
        units[weights] = data[weights].to_numpy()[pre_i]
    m = match(units, treatment="treated", covariates=names, distance="logit", caliper=caliper, ratio=ratio,
              replace=replace, random_state=random_state, weights=weights)
    w = np.asarray(m.final_weights, dtype=float)
    used = np.asarray(m.weights) > 0
    dd = d[pre_i][used]
    if dd.sum() == 0 or dd.sum() == len(dd):
        raise EstimationError(f"{func}(): no matched pair: widen the caliper or check overlap.")
    dy = (y[post_i] - y[pre_i])[used]
    fit = panel_2x2(dy, dd, None, w[used], "reg")
    psi = fit.psi
    if isinstance(inference, Clustered):
        errors, note = _se(psi, inference, data, pre_i[used], uniques, func)
    elif not replace:
        clusters = pd.factorize(np.asarray(m.subclass)[used])[0]
        errors = inference.standard_errors(psi, clusters=clusters, small_sample="G/(G-1)")
        note = f"clustered on {int(clusters.max()) + 1} matched pairs/subclasses (G/(G-1))"
    else:
        errors = inference.standard_errors(psi, small_sample="none")
        note = "weighted influence function (matching weights taken as fixed)"
    std_error = errors.se
    lo, hi, pval = normal_ci(fit.att, std_error, alpha)
    n_treated_all = int(d[pre_i].sum())
    n1, n0 = int(dd.sum()), int((1 - dd).sum())
    sizes = pd.DataFrame({"control": [int((1 - d[pre_i]).sum()), n0], "treated": [n_treated_all, n1]},
                         index=pd.Index(["all", "matched"], name="sample"))
    notes = [f"Matched on {names} (logit score, 1:{ratio}, {'with' if replace else 'without'} replacement, "
             f"caliper {caliper}); {n_treated_all - n1} treated units unmatched and dropped; SE {note}.",
             "Assumes parallel trends conditional on the matching variables."]
    if weights is not None:
        notes.append(f"Sampling weights '{weights}': mean changes weighted by matching times sampling weights "
                     "(MatchIt's s.weights), the ATT of the population the weights represent; the propensity "
                     "score was fitted with them.")
    return EffectResult(
        method="matched_did", estimand="ATT", outcome=outcome, estimate=float(fit.att), std_error=float(std_error),
        ci=(lo, hi), p_value=pval, inference=errors.inference, n_treated=n1, n_control=n0, alpha=float(alpha),
        sample_sizes=sizes, diagnostics={"match": m, "n_unmatched_treated": n_treated_all - n1},
        spec={"outcome": outcome, "treatment": treatment, "post": post, "unit": unit, "covariates": covs,
              "match_pre_outcome": match_pre_outcome, "caliper": caliper, "ratio": ratio, "replace": replace,
              "se": inference.to_dict(), "random_state": random_state, "alpha": alpha, "weights": weights},
        notes=tuple(notes),
        influence=psi,
    )
