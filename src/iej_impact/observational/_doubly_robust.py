"""Doubly robust estimators: augmented IPW (``teffects aipw``) and IPW regression adjustment (``teffects ipwra``).

Both combine a propensity-score model ``e(X)`` with arm-specific outcome models ``m_t(X)`` and
are consistent when *either* model is correctly specified (Robins, Rotnitzky & Zhao 1994;
Scharfstein, Rotnitzky & Robins 1999; Bang & Robins 2005).

**AIPW** (``method="aipw"``) adds an inverse-probability-weighted mean of the outcome model's
residuals to the regression prediction. With ``s_i`` = 1 (ATE), ``D_i`` (ATT) or ``1 - D_i``
(ATC), the arm's weight ``om`` of the estimand (1/e and 1/(1-e) for the ATE; 1 and e/(1-e) for
the ATT; (1-e)/e and 1 for the ATC) and sampling weights ``w``:

    mu_t = sum_i w_i [ s_i m_t(X_i) + D^t_i om_i (Y_i - m_t(X_i)) ] / sum_i w_i s_i.

For the ATE this is Stata's ``teffects aipw`` (Cattaneo 2010); for the ATT it is the usual
doubly robust ATT (the treated arm's mean outcome minus the controls' prediction corrected by
odds-weighted residuals; e.g. Sant'Anna & Zhao 2020, eq. 2.5 without the panel structure).

**IPWRA** (``method="ipwra"``) fits each arm's outcome model by weighted least squares (or a
weighted logit) with the estimand's IPW weights, then averages the predictions over the target
population as regression adjustment does (Wooldridge 2007; Stata's ``teffects ipwra``).

Standard errors come from the influence function of the stacked estimating equations: the
propensity-score likelihood score, the outcome models' equations (with the dependence of the IPWRA
weights on the score), and the averaging equations.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from .._params import Columns, Interval, Options, constrained
from ..inference import InferenceLike
from ..results import EffectResult
from ._regression import (
    COMMON_PARAMS,
    OUTCOME_MODELS,
    balance_diagnostic,
    check_constant_within_arms,
    coefficient_table,
    finish,
    fit_outcome,
    prepare,
    ratio_influence,
    sample_size_table,
)
from ._weighting import propensity_step, weights_summary

__all__ = ["doubly_robust"]

_FUNC = "doubly_robust"
METHODS: tuple[str, ...] = ("aipw", "ipwra")


@constrained({**COMMON_PARAMS, "method": Options(METHODS), "outcome_model": Options(OUTCOME_MODELS),
              "ps_covariates": Columns(none_ok=True), "random_state": Interval(low=0, integer=True, none_ok=True)})
def doubly_robust(
    data: pd.DataFrame,
    *,
    outcome: str,
    treatment: str,
    covariates: Sequence[str],
    estimand: str = "ATE",
    method: str = "aipw",
    ps_model: object = "logit",
    outcome_model: str = "linear",
    ps_covariates: Sequence[str] | None = None,
    trim: object = None,
    weights: str | None = None,
    se: InferenceLike = "robust",
    alpha: float = 0.05,
    random_state: int | None = None,
) -> EffectResult:
    """Doubly robust estimate of the ATE, ATT or ATC: AIPW or IPWRA.

    Parameters
    ----------
    data : one row per unit.
    outcome : outcome column (numeric; 0/1 for a binary outcome). Missing outcomes are an error.
    treatment : 0/1 treatment column.
    covariates : covariates of the outcome models, and of the propensity score unless
        ``ps_covariates`` is given (text/categorical columns become dummies).
    estimand : "ATE" (default), "ATT" or "ATC".
    method : "aipw" (default; augmented inverse-probability weighting) or "ipwra"
        (inverse-probability-weighted regression adjustment).
    ps_model : "logit" (default), "probit", "gbm" or an object with ``fit``/``predict_proba`` (the
        SE then treats the score as known).
    outcome_model : "linear" (default) or "logit" (0/1 outcomes; the effect is a difference in
        probabilities).
    ps_covariates : covariates of the propensity-score model when they differ from the outcome
        models' (as in ``teffects aipw (y x1 x2) (d x1 x3)``).
    trim : trimming or truncation of the score, as in :func:`~iej_impact.observational._weighting.ipw`.
    weights : optional column of sampling weights (> 0), used in every model and average.
    se : "robust" (default) or ``{"type": "clustered", "by": column}``.
    alpha : 1 - confidence level.
    random_state : seed for ``ps_model="gbm"``.

    Returns
    -------
    EffectResult with method "aipw" or "ipwra". ``diagnostics``: ``potential_outcome_means``,
    ``outcome_models`` (coefficients per arm), ``propensity``, ``overlap``, ``trimming``,
    ``weights`` (the estimand's IPW weights, 0 for dropped units), ``weights_summary`` and
    ``balance`` (before/after IPW weighting).

    Notes
    -----
    AIPW: ``mu_t = mean_s[m_t(X)] + sum w D^t om (Y - m_t(X)) / sum w s`` (unnormalized weights in
    the correction, as ``teffects aipw``). IPWRA: ``m_t`` fitted with weights ``w om`` in arm t,
    then ``mu_t = mean_s[m_t(X)]`` (``teffects ipwra``). The estimate is consistent if either the
    propensity-score model or the outcome models are correctly specified (double robustness), and
    efficient among regular estimators when both are (AIPW). The standard error stacks the
    estimating equations of both models and the averages (robust sandwich; clustered on request),
    without a degrees-of-freedom correction. Overlap rules, trimming and positivity errors are
    those of :func:`~iej_impact.observational._weighting.ipw`.

    Assumptions: unconfoundedness, overlap, and at least one of the two models correctly specified.

    References
    ----------
    Robins, J., Rotnitzky, A. & Zhao, L. (1994). Estimation of regression coefficients when some
    regressors are not always observed. JASA 89(427). Cattaneo, M. (2010). Efficient
    semiparametric estimation of multi-valued treatment effects under ignorability. J. Econometrics
    155(2). Lunceford, J. & Davidian, M. (2004). Stat. Med. 23(19). Wooldridge, J. (2007).
    Inverse probability weighted estimation for general missing data problems. J. Econometrics
    141(2); (2010), Econometric Analysis of Cross Section and Panel Data, 2nd ed., section 21.3.4.
    Sant'Anna, P. & Zhao, J. (2020). Doubly robust difference-in-differences estimators.
    J. Econometrics 219(1).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> x = rng.normal(size=4000)
    >>> d = (rng.random(4000) < 1 / (1 + np.exp(-x))).astype(int)
    >>> df = pd.DataFrame({"x": x, "d": d, "y": 1 + 2 * x + 0.5 * d + rng.normal(size=4000)})
    >>> res = doubly_robust(df, outcome="y", treatment="d", covariates=["x"])
    >>> abs(res.estimate - 0.5) < 3 * res.std_error
    True
    """
    func = _FUNC
    inp = prepare(data, func=func, outcome=outcome, treatment=treatment, covariates=covariates, estimand=estimand,
                  weights=weights, se=se, alpha=alpha, outcome_model=outcome_model, ps_covariates=ps_covariates)
    step = propensity_step(inp, ps_model=ps_model, trim=trim, random_state=random_state)
    check_constant_within_arms(inp, step.keep)
    d, y, w = inp.d, inp.y, inp.w
    k = step.keep.astype(float)
    s = inp.population()
    om, dom = step.omega(d, inp.estimand)
    wk = w * k
    fits = []
    mus, psis = [], []
    for label, arm in (("treated", d), ("control", ~d)):
        a_ = arm.astype(float)
        if method == "aipw":
            fit = fit_outcome(inp, wk * a_, kind=outcome_model, arm=label)
            resid = y - fit.pred
            num = wk * (s * fit.pred + a_ * om * resid)
            den = wk * s
            derivs = [
                (fit.lin, inp.z, wk * (s - a_ * om) * fit.dpred, None),
                (step.lin, step.z, w * a_ * resid * dom, None),
            ]
        else:
            fit = fit_outcome(inp, w * a_ * om, kind=outcome_model, arm=label, parent=step.lin,
                              drw_deta=w * a_ * dom, z_parent=step.z)
            num = wk * s * fit.pred
            den = wk * s
            derivs = [(fit.lin, inp.z, wk * s * fit.dpred, None)]
        fits.append(fit)
        mu, psi = ratio_influence(num, den, derivs)
        mus.append(mu)
        psis.append(psi)
    used = step.keep
    sizes = sample_size_table(d, {"trimmed": step.trimmed, "truncated": step.truncated}, om * w, used)
    diagnostics: dict[str, object] = {
        **step.diagnostics(inp),
        "outcome_models": coefficient_table(inp, fits),
        "weights": om,
        "weights_summary": weights_summary(om * w, d, used),
        "balance": balance_diagnostic(inp, om),
    }
    model_text = "linear (OLS)" if outcome_model == "linear" else "logit (predicted probabilities)"
    if method == "aipw":
        what = (f"Augmented inverse-probability weighting (Stata teffects aipw for the ATE): {model_text} outcome "
                "model in each arm plus the IPW-weighted mean of its residuals. References: Robins, Rotnitzky & Zhao "
                "(1994), JASA 89(427); Cattaneo (2010), J. Econometrics 155(2); Lunceford & Davidian (2004).")
    else:
        what = (f"IPW regression adjustment (Stata teffects ipwra): {model_text} outcome model in each arm fitted "
                "with the estimand's inverse-probability weights, predictions averaged over the target population. "
                "References: Wooldridge (2007), J. Econometrics 141(2); Wooldridge (2010), section 21.3.4.")
    notes = [
        what + f" Propensity score: {step.ps.model}. Doubly robust: consistent if either the propensity-score model "
        "or the outcome models are correctly specified.",
        *step.notes,
    ]
    spec = {"estimator": func, "method": method, "ps_model": step.ps.model, "outcome_model": outcome_model,
            "ps_covariates": list(inp.ps_covariates), "trim": None if step.trim is None else step.trim.to_dict(),
            "random_state": random_state}
    return finish(inp, method=method, mu1=mus[0], mu0=mus[1], psi1=psis[0], psi0=psis[1], used=used,
                  sample_sizes=sizes, diagnostics=diagnostics, spec=spec, notes=notes)
