"""The public result of :func:`~iej_impact.matching._match.match` and the effect estimated from it.

:class:`MatchResult` is the :class:`~iej_impact.matching._record.MatchRecord` of a matching with its
``estimate()`` method; :func:`estimate_effect` is the difference in weighted mean outcomes between
the arms of the matched sample (the matching estimator, optionally bias-corrected), with its
standard error (:mod:`iej_impact.matching._estimate`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .._params import constrained
from ..inference import AbadieImbens, InferenceLike, normal_ci
from ..results import EffectResult
from ._estimate import EFFECT_PARAMS, abadie_imbens_se, checked_inference, matched_outcome, weighted_difference_se
from ._inference import NNEffects, nn_effects
from ._record import MatchRecord

__all__ = ["MatchResult", "estimate_effect"]

_SAMPLING_NOTE = (
    "Sampling weights '{column}': the {estimand} is the difference of the arms' means weighted by the matching "
    "weights times the sampling weights (MatchIt's s.weights), the effect in the population the weights "
    "represent; the propensity score was fitted with them. The standard error is that of the weighted "
    "regression of the outcome on the treatment, conditional on the matching (no Abadie-Imbens SE with "
    "sampling weights)."
)


class MatchResult(MatchRecord):
    """The outcome of :func:`match`: weights, subclasses and bookkeeping for every input row, and
    :meth:`estimate`, the effect on the matched sample.

    The fields and views (``matched_data()``, ``pairs()``, ``balance()``, ``sensitivity()``,
    ``summary()``, ``to_dict()``) are those of its base, :class:`~iej_impact.matching._record.MatchRecord`.

    Attributes
    ----------
    data : the input frame (a shallow, copy-on-write copy; never modified).
    treatment, covariates, estimand, method : as passed to :func:`match`.
    distance_name : "propensity", "logit", "mahalanobis" or the column used as distance.
    distance : (n,) the 1-D distance matched on (for Mahalanobis matching, the logit score the
        caliper, order and discard use).
    propensity : (n,) the estimated propensity score, or None when a distance column was given.
    weights : (n,) matching weights (0 = not in the matched sample).
    subclass : (n,) pair / subclass id (1, 2, ...), -1 where none (unmatched, or matching with
        replacement, radius and kernel matching, where a unit may belong to several sets).
    discarded : (n,) True for units dropped by ``discard``.
    match_matrix : (n_focal, ratio) row positions of the matches of each focal unit (focal units in
        data order), -1 where none; nearest-neighbour matching only, else None.
    caliper : the caliper in the units of the distance (after scaling by the SD), or None.
    bandwidth : the kernel bandwidth in the units of the distance (kernel matching), else None.
    sample_sizes : All / Matched / Unmatched / Discarded per arm, with effective sample sizes.
    spec : the arguments of the call (provenance).
    notes : conventions and caveats shown in summaries.
    propensity_model : the fitted :class:`~iej_impact.observational._propensity.PropensityScore` when the score
        was estimated here (None for a ``score``/``distance`` column); its linearization feeds the
        Abadie-Imbens (2016) adjustment of the standard error.
    match_sets : nearest-neighbour matching: the matched sets, keyed by the arm of the units
        being matched ("treated": matches of treated units among controls; "control": the
        reverse; both for the ATE). With ``ties=True`` or the ATE, ``match_matrix`` is None (sets
        vary in size) and ``match_sets`` is the record of the matching.
    distance_order : the rows in (distance, row) order when the matching sorted them all at once
        (1:k nearest neighbours on a distance, no exact strata), reused by the standard errors;
        else None.
    """


    def estimate(
        self,
        outcome: str,
        *,
        se: InferenceLike | None = None,
        alpha: float = 0.05,
        ps_adjustment: bool = True,
        bias_adjust: bool | Sequence[str] = False,
    ) -> EffectResult:
        """Effect estimate on the matched sample (see :func:`estimate_effect`)."""
        return estimate_effect(
            self, outcome, se=se, alpha=alpha, ps_adjustment=ps_adjustment, bias_adjust=bias_adjust
        )


@constrained(EFFECT_PARAMS)
def estimate_effect(
    result: MatchResult,
    outcome: str,
    *,
    se: InferenceLike | None = None,
    alpha: float = 0.05,
    ps_adjustment: bool = True,
    bias_adjust: bool | Sequence[str] = False,
) -> EffectResult:
    """Difference in weighted mean outcomes between the arms of a matched sample, with its SE.

    tau_hat = sum_i w_i D_i Y_i / sum_i w_i D_i - sum_i w_i (1 - D_i) Y_i / sum_i w_i (1 - D_i),
    with the matching weights w (for the ATT, the mean over matched treated units of Y_i minus the
    mean of their matches' outcomes; for the ATC, the same with the arms swapped). For
    nearest-neighbour matching with replacement this is the matching estimator
    tau_hat = (1/N) sum_i [Y_i(1)^ - Y_i(0)^] over the N matched units being matched (treated for
    the ATT, controls for the ATC, all units for the ATE), with Y_i(w)^ = Y_i in the unit's own
    arm and the mean outcome of its matches in the other arm (Abadie & Imbens 2006, eq. 2-4).

    Bias correction (``bias_adjust``; nearest-neighbour matching with replacement only): True
    (the matching covariates: ``mahalanobis`` covariates for a Mahalanobis distance, else the
    ``covariates`` of the score model, else the matching distance itself) or a list of numeric
    columns Z. Abadie & Imbens (2011): for the units matched in arm a, with matches in arm w,
    mu_w(z) = b_0 + b' z is fitted by least squares on the units of arm w used as matches, each
    weighted by K_j = sum over the matched sets holding j of 1/(size of the set), which is what
    R Matching's ``BiasAdjust`` does (its regression weights ``Kcount``; read in its source,
    version 4.10-8) and Abadie, Drukker, Herr & Imbens' Stata ``nnmatch`` (version 1.3.1, the
    predecessor of ``teffects nnmatch``: a regression over the matched pairs weighted 1/#J(i),
    i.e. K_j per unit; Stata's ``teffects biasadj()`` itself was not checked against Stata output);
    then Y_i(w)^ = mean_j [Y_j + mu_w(Z_i) - mu_w(Z_j)]. Only the arms being
    imputed are fitted (controls for the ATT, treated units for the ATC, both for the ATE). The
    Abadie-Imbens SE is computed with the corrected unit effects (AI 2011, section 4; as R
    Matching does, to 1e-12 in tests/reference/test_matching_r.py). The correction removes the conditional bias of
    matching on several continuous covariates, which vanishes too slowly (AI 2006, Theorem 1);
    matching on a one-dimensional score it changes little.

    Inference (``se``; None = the method's default, listed first):

    * nearest neighbour: ``abadie_imbens`` (default), ``pair_cluster`` (without replacement),
      ``robust``, ``{type: clustered, by: col}``;
    * subclassification: ``pair_cluster`` (clustered on subclass), ``robust``, clustered;
    * radius, kernel: ``robust``, clustered (conditional on the weights: they ignore that the
      weights were estimated).

    Sampling weights (``match(weights=...)``, MatchIt's ``s.weights``): the estimate weights each
    unit by its matching weight times its sampling weight (``MatchResult.final_weights``): the
    treated units of the ATT by their sampling weights, each control by its matching weight times its
    sampling weight. Matching on a balancing score makes the matched controls' sampling-weighted
    outcomes estimate the treated population's, so this is consistent for the population effect
    (MatchIt's sampling-weights vignette; DuGoff, Schuler & Stuart 2014; Austin, Jembere & Chiu 2016).
    The standard error is the weighted regression's: ``pair_cluster`` (the default where pairs or
    subclasses exist: nearest neighbour without replacement, subclassification), ``robust`` (the
    default otherwise) or clustered, conditional on the matching. ``abadie_imbens`` and
    ``bias_adjust`` are refused: the Abadie-Imbens variance is derived for simple random samples and
    has no established extension to sampling weights (MatchIt's sampling-weights vignette uses the
    cluster-robust SE of the weighted regression instead).

    The bootstrap is not offered: it is invalid for nearest-neighbour matching (Abadie & Imbens
    2008, Econometrica 76(6)).

    ``abadie_imbens`` is Abadie & Imbens' (2006) estimator for matching estimators, extended to any
    estimand and a variable number of matches per unit. With own_i = 1 for the units whose
    counterfactual is imputed (matched treated units for the ATT, controls for the ATC, all
    matched units for the ATE; N of them), tau_i = Y_i(1)^ - Y_i(0)^ (bias-corrected if
    requested), and K_j, Q_j the sums of 1/#J(l) and 1/#J(l)^2 over the matched sets J(l) holding
    unit j,

        V = N^-2 [ sum_{own} (tau_i - tau_hat)^2 + sum_j (K_j^2 + 2 own_j K_j - Q_j) sigma_j^2 ]

    (AI 2006: K^2 - Q for the ATT, K^2 + (2M - 1)/M K for the ATE with M matches and no ties).
    sigma_j^2 comes from the J = ``neighbours`` (default 2) nearest units of j's own arm on the
    distance (the logit score for Mahalanobis matching): ``sigma2="ai2006"``,
    J/(J+1) (Y_j - their mean)^2 (AI 2006, eq. 14; m/(m+1) with m tied neighbours), or
    ``"sample"``, the sample variance of Y over j and its neighbours (R Matching's
    ``Var.calc = J``); the default ``"auto"`` takes the first without ties and the second with
    ``ties=True``. Choose with ``se={"type": "abadie_imbens", "neighbours": 1, "sigma2": "sample"}``.

    When the score was estimated here by a parametric model (``ps_model="logit"`` or ``"probit"``,
    maximum likelihood) and the units were matched on it (``distance="propensity"`` or ``"logit"``),
    the variance is adjusted for the estimation of the score (Abadie & Imbens 2016), as Stata's
    ``teffects psmatch`` does. With I the per-unit Fisher information of the score model,
    f_i = dp/d(X'theta) at unit i, sums over every unit kept, cov_w(i) = cov(X, Y | p_i, D = w) and
    m_w(i) = E[Y(w) | p_i] estimated over the L = 4 units of arm w nearest to unit i on the score
    (AI 2016, section 4; unit i left out of the means):

    * ATE (Theorem 1): V_adj = V - c' I^{-1} c / N with
      c = (1/N) sum_i f_i [cov_1(i) / p_i + cov_0(i) / (1 - p_i)]; never larger than V.
    * ATT (Theorem 2; ATC: the arms swapped), N_1 matched treated units:
      V_adj = V - c_t' I^{-1} c_t / N + (dtau/dtheta)' I^{-1} (dtau/dtheta) / N, with
      c_t = (1/N_1) sum_i f_i X_i (m_1(i) - m_0(i) - tau_hat)
            + (1/N_1) sum_i f_i [cov_1(i) + p_i / (1 - p_i) cov_0(i)] and
      dtau/dtheta = (1/N_1) sum_i f_i X_i (m_1(i) - m_0(i) - tau_hat) + (1/N_1) sum_i f_i [cov_1(i) - cov_0(i)],
      the sample analogue of E[f X (mu_1(X) - mu_0(X) - tau)] / P(D = 1). Of either sign.

    Versions before this one used V - (c'I^-1 c + 2 c'I^-1 g) / N for the ATT, with g from the
    matched imputations; it over-corrects when outcomes depend on X beyond the score (Monte Carlo
    in docs/explanation/matching-methods.md and tests/test_matching_ate.py). ``ps_adjustment=False``
    gives the 2006 SE (the score treated as known); a score given as a column (``score=``,
    ``distance=<column>``) or from a non-parametric model is always treated as known, and the note
    says so. The theory assumes matching with replacement and that every unit being matched is
    matched; after matching without replacement or with a caliper the adjustment is an
    approximation (noted in the result).

    ``pair_cluster`` is the cluster-robust SE of the
    weighted regression of Y on (1, D), clusters = pairs/subclasses, with the factor
    G/(G-1) (N-1)/(N-2) (R's sandwich::vcovCL default type HC1, as the MatchIt vignette uses);
    valid for matching without replacement (Austin & Small 2014; Abadie & Spiess 2022).
    ``robust`` is the HC1 SE of that weighted regression.

    References
    ----------
    Abadie, A. & Imbens, G. (2006). Large sample properties of matching estimators for average
    treatment effects. Econometrica 74(1). Abadie, A. & Imbens, G. (2011). Bias-corrected matching
    estimators for average treatment effects. JBES 29(1). Abadie, A. & Imbens, G. (2016). Matching
    on the estimated propensity score. Econometrica 84(2). Abadie, A. & Spiess, J. (2022). Robust
    post-matching inference. JASA 117(538). DuGoff, E., Schuler, M. & Stuart, E. (2014). Generalizing
    observational study results: applying propensity score methods to complex surveys. Health Services
    Research 49(1). Austin, P., Jembere, N. & Chiu, M. (2016). Propensity score matching and complex
    surveys. Statistical Methods in Medical Research 27(4). Greifer, N. Matching with sampling weights
    (MatchIt vignette "sampling-weights").
    """
    func = "psm"
    inference, bias_cols = checked_inference(result, outcome, se, alpha, ps_adjustment, bias_adjust, func)
    data = result.data
    w = result.final_weights
    used = result.weights > 0
    weighted = result.sampling_weights is not None
    y = matched_outcome(result, outcome, used, func)
    yfull = np.zeros(len(data))
    yfull[used] = y
    d = result.treated
    s1 = w[used & d].sum()
    s0 = w[used & ~d].sum()
    mu1 = float(np.sum(w[used & d] * yfull[used & d]) / s1)
    mu0 = float(np.sum(w[used & ~d] * yfull[used & ~d]) / s0)
    estimate = mu1 - mu0
    notes = list(result.notes)
    diagnostics_extra: dict[str, object] = {}
    y_any = pd.to_numeric(data[outcome], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    effects: NNEffects | None = None
    if weighted:
        notes.append(_SAMPLING_NOTE.format(column=result.spec.get("weights"), estimand=result.estimand))
    elif result.method == "nearest" and result.match_sets is not None and (
        isinstance(inference, AbadieImbens) or bias_cols or result.estimand == "ATE" or result.spec.get("ties")
    ):
        ai = inference if isinstance(inference, AbadieImbens) else AbadieImbens()
        effects = nn_effects(result, y_any, bias_cols, func, neighbours=ai.neighbours, sigma2=ai.sigma2)
        if bias_cols or result.estimand == "ATE" or result.spec.get("ties"):
            estimate = effects.estimate  # = the weighted difference in means up to rounding, unless bias-corrected
    if bias_cols and effects is not None:
        diagnostics_extra["bias_adjust"] = {
            "columns": list(bias_cols),
            "slopes": {arm: dict(zip(bias_cols, map(float, b), strict=True)) for arm, b in effects.slopes.items()},
        }
        notes.append(
            "Bias-corrected matching (Abadie & Imbens 2011): imputed outcomes adjusted by a least-squares "
            f"regression on {', '.join(bias_cols)} fitted on the units used as matches, weighted by the number of "
            "times each is used; the uncorrected estimate is "
            f"{mu1 - mu0:.6g}."
        )
    if isinstance(inference, AbadieImbens):
        std_error = abadie_imbens_se(result, inference, effects, y_any, ps_adjustment, notes, diagnostics_extra)
        recorded = inference.using("none")
    else:
        std_error, recorded = weighted_difference_se(result, inference, y, (mu1, mu0), (s1, s0), notes, func)
    lo, hi, p = normal_ci(estimate, std_error, alpha)
    return EffectResult(
        method="psm",
        estimand=result.estimand,
        outcome=outcome,
        estimate=float(estimate),
        std_error=float(std_error),
        ci=(lo, hi),
        p_value=p,
        inference=recorded,
        n_treated=int((used & d).sum()),
        n_control=int((used & ~d).sum()),
        alpha=alpha,
        sample_sizes=result.sample_sizes,
        diagnostics={"matching": result, **diagnostics_extra},
        spec={**dict(result.spec), "outcome": outcome, "se": inference.to_dict(),
              "ps_adjustment": bool(ps_adjustment), "bias_adjust": list(bias_cols) if bias_cols else False},
        notes=tuple(notes),
    )
