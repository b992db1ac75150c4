"""Regression adjustment (Stata's ``teffects ra``), and the machinery shared by IPW and doubly robust.

Regression adjustment fits one outcome model per arm, predicts both potential outcomes for every
unit of the target population, and averages:

    mu_t = sum_i w_i s_i m_t(X_i) / sum_i w_i s_i,        tau = mu_1 - mu_0,

with ``m_t(x) = x'b_t`` (linear) or ``Lambda(x'b_t)`` (logit, binary outcomes: potential outcomes
are probabilities and the effect is a difference in probabilities, i.e. percentage points / 100),
``s_i = 1`` (ATE), ``D_i`` (ATT) or ``1 - D_i`` (ATC), and sampling weights ``w``.

Standard errors come from the stacked estimating equations (the arm models' normal equations or
likelihood scores, and the averaging equations), as ``teffects`` computes them: the influence
function of tau is

    psi_i = [w_i s_i (m_1i - m_0i - tau) + G_1' psi^{b1}_i - G_0' psi^{b0}_i] / mean(w s),
    G_t = mean(w s dm_t/db_t),  psi^{bt}_i = A_t^{-1} w_i D^t_i x_i (y_i - m_t(x_i)),

kept on the result (``EffectResult.influence``) and turned into a robust or cluster-robust SE by
:func:`~iej_impact.inference.se_from_influence`.

This module also holds what the three estimators share (input checks, outcome-model fits, the
ratio-estimator influence function, the assembly of the result) so that IPW, AIPW and IPWRA are
written the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from .._mestimation import Linearization, fit_binary, fit_wls
from .._params import Columns, Constraint, Estimand, Interval, Options, constrained
from .._separation import arm_ranges
from .._validation import (
    arguments_checked,
    as_column_list,
    check_binary,
    check_columns,
    check_dataframe,
    describe_rows,
    example_rows,
)
from ..data._numeric_text import check_numeric
from ..errors import DataError, EstimationError, SpecificationError
from ..inference import (
    Clustered,
    Inference,
    InferenceLike,
    cluster_codes,
    influence_covariance,
    normal_ci,
    parse_inference,
    se_from_influence,
)
from ..results import EffectResult
from ._design import Design, design_matrix, scaled_with_intercept, unscale_matrix
from ._overlap import ess
from ._propensity import check_sampling_weights, row_ids

__all__ = ["regression_adjustment"]

_FUNC = "regression_adjustment"
OUTCOME_MODELS: tuple[str, ...] = ("linear", "logit")
SE_ALLOWED: tuple[str, ...] = ("robust", "clustered")

ASSUMPTIONS = (
    "Identification assumes unconfoundedness (no unmeasured confounder: potential outcomes independent of "
    "treatment given the covariates) and overlap (every unit of the target population could be in either arm)."
)


# =============================================================================================
# inputs
# =============================================================================================
@dataclass(frozen=True, eq=False)
class Inputs:
    """Checked inputs of an effect estimator (internal)."""

    data: pd.DataFrame
    func: str
    outcome: str
    treatment: str
    covariates: tuple[str, ...]
    estimand: str
    d: np.ndarray = field(repr=False)
    y: np.ndarray = field(repr=False)
    sw: np.ndarray | None = field(repr=False)
    weights_column: str | None
    inference: Inference
    clusters: np.ndarray | None = field(repr=False)
    alpha: float
    design: Design = field(repr=False)
    z: np.ndarray = field(repr=False)
    centre: np.ndarray = field(repr=False)
    scale: np.ndarray = field(repr=False)
    ps_covariates: tuple[str, ...]
    ps_design: Design = field(repr=False)
    ps_z: np.ndarray = field(repr=False)
    ps_centre: np.ndarray = field(repr=False)
    ps_scale: np.ndarray = field(repr=False)
    binary_outcome: bool = False

    @property
    def n(self) -> int:
        return int(self.d.shape[0])

    @property
    def w(self) -> np.ndarray:
        """Sampling weights, or ones."""
        return np.ones(self.n) if self.sw is None else self.sw

    def population(self) -> np.ndarray:
        """s_i: 1 for the ATE, D_i for the ATT, 1 - D_i for the ATC (as floats)."""
        if self.estimand == "ATE":
            return np.ones(self.n)
        return self.d.astype(float) if self.estimand == "ATT" else (~self.d).astype(float)


def prepare(
    data: pd.DataFrame,
    *,
    func: str,
    outcome: str,
    treatment: str,
    covariates: Sequence[str],
    estimand: str,
    weights: str | None,
    se: InferenceLike,
    alpha: float,
    outcome_model: str | None = None,
    ps_covariates: Sequence[str] | None = None,
) -> Inputs:
    """Check every argument and column; build the design(s) once.

    ``ps_covariates`` (IPW and doubly robust estimators) are the propensity-score covariates;
    when they equal ``covariates`` the same design and scaled matrix are shared.
    """
    check_dataframe(data, func)  # the scalar arguments were checked by the caller's constraint table
    covs = as_column_list("covariates", covariates, func)
    ps_covs = covs if ps_covariates is None else as_column_list("ps_covariates", ps_covariates, func)
    if outcome == treatment or {outcome, treatment} & (set(covs) | set(ps_covs)):
        raise SpecificationError(
            f"{func}(): the outcome '{outcome}', the treatment '{treatment}' and the covariates must be different "
            "columns; a post-treatment variable or the treatment itself cannot be a covariate."
        )
    check_columns(data, [outcome, treatment] + ([weights] if weights else []), func)
    try:
        inference = parse_inference(se, func, SE_ALLOWED)
    except SpecificationError as exc:
        raise SpecificationError(
            f"{exc} The analytic standard error already accounts for the estimated propensity-score and "
            "outcome models (stacked estimating equations) and can be clustered: "
            "se={'type': 'clustered', 'by': '<column>'}."
        ) from None
    d = check_binary(data, treatment, func).astype(bool)
    y = _outcome(data, outcome, d, func)
    binary = bool(np.all((y == 0) | (y == 1)))
    if outcome_model == "logit" and not binary:
        bad = (y != 0) & (y != 1)
        raise DataError(
            f"{func}(): outcome_model='logit' needs a 0/1 outcome; '{outcome}' has {int(bad.sum())} other values "
            f"(e.g. {sorted(set(np.unique(y[bad]).tolist()))[:5]} in {describe_rows(data, bad)}). Use "
            "outcome_model='linear' for a continuous outcome.",
            column=outcome,
            rows=example_rows(data, bad),
        )
    sw = check_sampling_weights(data, weights, func)
    n1, n0 = int(d.sum()), int((~d).sum())
    if min(n1, n0) < 2:
        raise DataError(f"{func}(): each arm needs at least 2 units; found {n1} treated and {n0} control.",
                        column=treatment)
    design = design_matrix(data, covs, func=func)
    z, m, s = scaled_with_intercept(design.matrix, sw)
    clusters = cluster_codes(data, inference.columns, func) if isinstance(inference, Clustered) else None
    if ps_covariates is None or list(ps_covs) == list(covs):
        ps_design, ps_z, ps_m, ps_s = design, z, m, s
    else:
        ps_design = design_matrix(data, ps_covs, func=func)
        ps_z, ps_m, ps_s = scaled_with_intercept(ps_design.matrix, sw)
    return Inputs(data=data, func=func, outcome=outcome, treatment=treatment, covariates=tuple(covs),
                  estimand=estimand, d=d, y=y, sw=sw, weights_column=weights, inference=inference,
                  clusters=clusters, alpha=float(alpha), design=design, z=z, centre=m, scale=s,
                  binary_outcome=binary, ps_covariates=tuple(ps_covs), ps_design=ps_design, ps_z=ps_z,
                  ps_centre=ps_m, ps_scale=ps_s)


def _outcome(data: pd.DataFrame, outcome: str, d: np.ndarray, func: str) -> np.ndarray:
    y = check_numeric(data, outcome, func, allow_missing=True)
    na = ~np.isfinite(y)
    if na.any():
        raise DataError(
            f"{func}(): outcome '{outcome}' is missing (or infinite) for {int(na.sum())} of {len(y)} units "
            f"({int((na & d).sum())} treated, {int((na & ~d).sum())} control; e.g. {row_ids(data, na)}). "
            "Dropping them silently would change the population the effect is about: drop them explicitly "
            "(a sample filter, recorded in the sample flow) or impute the outcome first.",
            column=outcome,
            rows=example_rows(data, na),
        )
    return y


def check_constant_within_arms(inp: Inputs, rows: np.ndarray | None = None) -> None:
    """Arm-specific outcome models need every covariate to vary within each arm; say which does not."""
    x = inp.design.matrix
    if x.shape[1] == 0:
        return
    keep = np.ones(inp.n, dtype=bool) if rows is None else rows
    problems = []
    for label, arm in (("treated", inp.d & keep), ("control", ~inp.d & keep)):
        if not arm.any():
            continue
        lo, hi = arm_ranges(x, arm)  # by row blocks, no copy of the arm's rows
        for j in np.flatnonzero(lo == hi):
            problems.append((inp.design.names[j], label, int(arm.sum()), float(lo[j])))
    if problems:
        name, label, count, value = problems[0]
        more = "" if len(problems) == 1 else f" (also: {', '.join(f'{p[0]!r} in the {p[1]} arm' for p in problems[1:4])})"
        raise DataError(
            f"{inp.func}(): covariate column '{name}' is constant ({value:g}) among all {count} {label} units{more}. "
            f"The {label}-arm outcome model cannot estimate its coefficient, so predictions for units with other "
            "values would be pure extrapolation; the propensity score is 0 or 1 for them (no overlap). Drop the "
            "covariate, merge its categories, or restrict the sample to units comparable across arms.",
            column=name,
        )


# =============================================================================================
# outcome models
# =============================================================================================
@dataclass(frozen=True, eq=False)
class OutcomeFit:
    """An outcome model fitted in one arm and its predictions for every unit (internal)."""

    arm: str
    kind: str
    params: np.ndarray
    pred: np.ndarray = field(repr=False)
    dpred: np.ndarray = field(repr=False)  # d m / d (x'b)
    lin: Linearization


def fit_outcome(
    inp: Inputs,
    rw: np.ndarray,
    *,
    kind: str,
    arm: str,
    parent: Linearization | None = None,
    drw_deta: np.ndarray | None = None,
    z_parent: np.ndarray | None = None,
) -> OutcomeFit:
    """Fit ``m_t`` with row weights ``rw`` (zero outside the arm) on the shared scaled design.

    For IPW-weighted fits, ``drw_deta`` is d rw_i / d eta_i (eta = the propensity score's linear
    predictor) and ``parent`` the score's linearization: the fit's expansion then includes the
    effect of the estimated weights (cross-derivative ``C = mean(drw/deta * e_i z_i z_ps_i')``).
    """
    z, y, n = inp.z, inp.y, inp.n
    what = f"{arm}-arm outcome model"
    if kind == "linear":
        fit = fit_wls(z, y, rw, names=inp.design.names, func=inp.func, what=what)
        beta, pred, dpred, resid, lin = fit.params, fit.fitted, np.ones(n), fit.resid, fit.lin
    else:
        fit = fit_binary(z, y, rw, link="logit", func=inp.func, what=what, names=inp.design.names)
        if not fit.converged:
            arm_rows = rw > 0
            at = arm_rows & ((fit.prob < 1e-8) | (fit.prob > 1 - 1e-8))
            raise EstimationError(
                f"{inp.func}(): the {what} (logit) did not converge: {int(at.sum())} of {int(arm_rows.sum())} "
                f"{arm} units have their outcome perfectly predicted (e.g. {describe_rows(inp.data, at)}), so "
                "the maximum-likelihood estimate does not exist (separation). Use outcome_model='linear' (a "
                "linear probability model) or merge the categories that predict the outcome perfectly."
            )
        beta, pred, dpred, resid, lin = fit.params, fit.prob, fit.dens, fit.resid, fit.lin
    if parent is not None and drw_deta is not None and z_parent is not None:
        cross = (z * (drw_deta * resid)[:, None]).T @ z_parent / n
        lin = replace(lin, parent=parent, cross=cross)
    return OutcomeFit(arm=arm, kind=kind, params=beta, pred=pred, dpred=dpred, lin=lin)


def coefficient_table(inp: Inputs, fits: Sequence[OutcomeFit]) -> pd.DataFrame:
    """Outcome-model coefficients on the original covariate scale and their standard errors.

    Columns ``<arm>`` and ``<arm>_std_error`` per arm. The SEs come from the models' influence
    functions in the stacked system (so IPWRA's include the estimated weights), robust or clustered
    like the effect.
    """
    t = unscale_matrix(inp.centre, inp.scale)
    names = ["Intercept", *inp.design.names]
    cols: dict[str, np.ndarray] = {}
    for f in fits:
        cols[f.arm] = t @ f.params
        cols[f"{f.arm}_std_error"] = np.sqrt(np.maximum(np.diag(f.lin.covariance(inp.clusters, t)), 0.0))
    return pd.DataFrame(cols, index=pd.Index(names, name="term"))


# =============================================================================================
# influence-function helpers
# =============================================================================================
Deriv = tuple[Linearization | None, np.ndarray, np.ndarray, np.ndarray | None]


def ratio_influence(num: np.ndarray, den: np.ndarray, derivs: Sequence[Deriv] = ()) -> tuple[float, np.ndarray]:
    """Estimate ``mu = sum(num) / sum(den)`` and its influence function.

    ``derivs`` lists the first-step estimators num and den depend on, as (linearization, z, a, b)
    with d num_i / d theta = a_i z_i and d den_i / d theta = b_i z_i (b may be None). Then

        psi_i = [num_i - mu den_i + psi^theta_i . mean((a - mu b) z)] / mean(den).
    """
    n = num.shape[0]
    mu = float(num.sum() / den.sum())
    psi = num - mu * den
    for lin, z, a, b in derivs:
        if lin is None:
            continue
        coef = a if b is None else a - mu * b
        psi = psi + lin.project(z.T @ coef / n)
    return mu, psi / float(den.mean())


def finish(
    inp: Inputs,
    *,
    method: str,
    mu1: float,
    mu0: float,
    psi1: np.ndarray,
    psi0: np.ndarray,
    used: np.ndarray,
    sample_sizes: pd.DataFrame,
    diagnostics: dict[str, object],
    spec: Mapping[str, object],
    notes: Sequence[str],
    se_note: str = "the propensity-score and outcome models' equations included",
) -> EffectResult:
    """Standard errors from the influence function, potential-outcome means, and the result.

    ``se_note`` says which estimating equations the influence function stacks (for the note).
    """
    psi = psi1 - psi0
    estimate = mu1 - mu0
    # no degrees-of-freedom correction (teffects); G/(G-1) with clusters
    errors = inp.inference.standard_errors(
        psi, clusters=inp.clusters, small_sample="G/(G-1)" if inp.clusters is not None else "none"
    )
    std_error = errors.se
    lo, hi, p = normal_ci(estimate, std_error, inp.alpha)
    pom_rows = []
    for mu, ps in ((mu1, psi1), (mu0, psi0)):
        se_mu = se_from_influence(ps, clusters=inp.clusters)
        a, b, _ = normal_ci(mu, se_mu, inp.alpha)
        pom_rows.append({"estimate": mu, "std_error": se_mu, "ci_lower": a, "ci_upper": b})
    arms = pd.Index(["treated", "control"], name="potential_outcome")
    pom = pd.DataFrame(pom_rows, index=arms)
    # their joint covariance (same convention as the SEs above): a ratio of the means needs it (evalue)
    cov = pd.DataFrame(influence_covariance(np.column_stack([psi1, psi0]), clusters=inp.clusters), index=arms,
                       columns=list(arms))
    diagnostics = {"potential_outcome_means": pom, "potential_outcome_covariance": cov,
                   "binary_outcome": bool(inp.binary_outcome), **diagnostics}
    inference_note = inp.inference.name
    if inp.clusters is not None:
        by = ", ".join(getattr(inp.inference, "columns", []))
        inference_note += f" by {by}, {int(np.unique(inp.clusters).size)} clusters"
    all_notes = [
        f"Estimand: {_estimand_text(inp.estimand)}. {ASSUMPTIONS}",
        *notes,
        f"Standard error ({inference_note}) from the influence function of the stacked estimating equations "
        f"({se_note}), without a degrees-of-freedom correction, as Stata's teffects computes it.",
    ]
    if inp.binary_outcome:
        all_notes.append("Binary outcome: potential-outcome means are probabilities and the effect is a difference "
                         "in probabilities (x100 = percentage points).")
    return EffectResult(
        method=method,
        estimand=inp.estimand,
        outcome=inp.outcome,
        estimate=float(estimate),
        std_error=float(std_error),
        ci=(lo, hi),
        p_value=p,
        inference=errors.inference,
        n_treated=int((used & inp.d).sum()),
        n_control=int((used & ~inp.d).sum()),
        alpha=inp.alpha,
        sample_sizes=sample_sizes,
        diagnostics=diagnostics,
        spec={"outcome": inp.outcome, "treatment": inp.treatment, "covariates": list(inp.covariates),
              "estimand": inp.estimand, "weights": inp.weights_column, **spec,
              "se": inp.inference.to_dict(), "alpha": inp.alpha},
        notes=tuple(all_notes),
        influence=psi,
    )


def _estimand_text(estimand: str) -> str:
    return {
        "ATE": "ATE, the average effect over all units in the sample (E[Y1 - Y0])",
        "ATT": "ATT, the average effect on the treated (E[Y1 - Y0 | D = 1])",
        "ATC": "ATC, the average effect on the controls (E[Y1 - Y0 | D = 0])",
    }[estimand]


def sample_size_table(
    d: np.ndarray,
    rows: Mapping[str, np.ndarray],
    ess_weights: np.ndarray | None,
    used: np.ndarray,
) -> pd.DataFrame:
    """Rows: "all" then the given masks (e.g. trimmed, truncated) then "used"; columns: counts per arm and
    the effective sample size of the weights (Kish) per arm."""
    table: dict[str, dict[str, float]] = {}
    all_rows = {"all": np.ones_like(d, dtype=bool), **rows, "used": used}
    for name, mask in all_rows.items():
        entry: dict[str, float] = {"control": int((mask & ~d).sum()), "treated": int((mask & d).sum())}
        if name == "used" and ess_weights is not None:
            entry["control_ess"] = ess(ess_weights[used & ~d])
            entry["treated_ess"] = ess(ess_weights[used & d])
        elif name == "all":
            entry["control_ess"] = float((~d).sum())
            entry["treated_ess"] = float(d.sum())
        else:
            entry["control_ess"] = float("nan")
            entry["treated_ess"] = float("nan")
        table[name] = entry
    out = pd.DataFrame(table).T[["control", "treated", "control_ess", "treated_ess"]]
    out["control"] = out["control"].astype(np.int64)
    out["treated"] = out["treated"].astype(np.int64)
    out.index.name = "sample"
    return out


def balance_diagnostic(inp: Inputs, weights: np.ndarray | None) -> Any:
    """Balance table before and (if ``weights``) after weighting, on the models' covariates (None without any)."""
    from ._balance import balance_on_design, balance_table, default_sd_denominator

    covs = list(dict.fromkeys([*inp.covariates, *inp.ps_covariates]))
    if not covs:
        return None
    if covs == list(inp.covariates) and all(term.kind == "numeric" for term in inp.design.terms):
        # the outcome models' design is the balance table's (no categorical level left out): reused
        return balance_on_design(inp.design, inp.d, treatment=inp.treatment, covariates=covs, sampling_weights=inp.sw,
                                 weights=weights, weights_label=None if weights is None else "array",
                                 stats=("smd", "variance_ratio"), sd_denominator=default_sd_denominator(inp.estimand),
                                 threshold=0.1, binary="std")
    return balance_table(inp.data, treatment=inp.treatment, covariates=covs, weights=weights,
                         sampling_weights=inp.sw, estimand=inp.estimand)


# =============================================================================================
# the estimator
# =============================================================================================
#: constraints shared by regression_adjustment, ipw and doubly_robust (see :mod:`iej_impact._params`)
COMMON_PARAMS: dict[str, Constraint] = {
    "outcome": Columns(single=True), "treatment": Columns(single=True), "covariates": Columns(),
    "estimand": Estimand(), "weights": Columns(single=True, none_ok=True), "alpha": Interval(0.0, 0.5, low_open=True),
}


@constrained({**COMMON_PARAMS, "outcome_model": Options(OUTCOME_MODELS)})
def regression_adjustment(
    data: pd.DataFrame,
    *,
    outcome: str,
    treatment: str,
    covariates: Sequence[str],
    estimand: str = "ATE",
    outcome_model: str = "linear",
    weights: str | None = None,
    se: InferenceLike = "robust",
    alpha: float = 0.05,
) -> EffectResult:
    """Regression adjustment: average of predicted potential outcomes from arm-specific outcome models.

    Parameters
    ----------
    data : one row per unit.
    outcome : outcome column (numeric; 0/1 for a binary outcome). Missing outcomes are an error.
    treatment : 0/1 treatment column.
    covariates : covariates of the outcome models (text/categorical columns become dummies).
    estimand : "ATE" (default), "ATT" or "ATC".
    outcome_model : "linear" (OLS in each arm) or "logit" (binary outcomes; predictions are
        probabilities, so the effect is a difference in probabilities).
    weights : optional column of sampling weights (> 0), used in the arm models and the averages.
    se : "robust" (default) or ``{"type": "clustered", "by": column}``.
    alpha : 1 - confidence level.

    Returns
    -------
    EffectResult with method "regression_adjustment". ``diagnostics`` holds
    ``potential_outcome_means`` (with SEs), ``outcome_models`` (coefficients per arm, on the
    covariates' own scale) and ``balance`` (the unadjusted balance table).

    Notes
    -----
    ``mu_t = mean over the target population of m_t(X)``, with ``m_t`` fitted on arm t only, and
    ``tau = mu_1 - mu_0`` (Stata ``teffects ra``; for the ATT the average runs over treated units).
    The standard error is the robust (sandwich) SE of the stacked estimating equations (arm
    models + averages), so it accounts for the estimated outcome models; with ``se`` clustered,
    influence contributions are summed by cluster (factor G/(G-1)).

    Assumptions: unconfoundedness, overlap (predictions for one arm's units come from the other
    arm's model, so poor overlap means extrapolation) and a correctly specified outcome model in
    each arm. A covariate constant within one arm is an error: its coefficient is not identified
    in that arm.

    References
    ----------
    Wooldridge, J. (2010). Econometric Analysis of Cross Section and Panel Data, 2nd ed.,
    section 21.3.4. Imbens, G. & Wooldridge, J. (2009). Recent developments in the econometrics of
    program evaluation. J. Economic Literature 47(1), section 5.3. StataCorp, Stata Treatment-Effects
    Reference Manual, ``teffects ra``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> x = rng.normal(size=2000)
    >>> d = (rng.random(2000) < 1 / (1 + np.exp(-x))).astype(int)
    >>> df = pd.DataFrame({"x": x, "d": d, "y": 1 + 2 * x + 0.5 * d + rng.normal(size=2000)})
    >>> res = regression_adjustment(df, outcome="y", treatment="d", covariates=["x"])
    >>> round(res.estimate, 1)
    0.5
    """
    inp = prepare(data, func=_FUNC, outcome=outcome, treatment=treatment, covariates=covariates,
                  estimand=estimand, weights=weights, se=se, alpha=alpha, outcome_model=outcome_model)
    check_constant_within_arms(inp)
    arguments_checked()
    w = inp.w
    s = inp.population()
    fits = []
    for arm, mask in (("treated", inp.d), ("control", ~inp.d)):
        fits.append(fit_outcome(inp, w * mask, kind=outcome_model, arm=arm))
    fit1, fit0 = fits
    ws = w * s
    mu1, psi1 = ratio_influence(ws * fit1.pred, ws, [(fit1.lin, inp.z, ws * fit1.dpred, None)])
    mu0, psi0 = ratio_influence(ws * fit0.pred, ws, [(fit0.lin, inp.z, ws * fit0.dpred, None)])
    used = np.ones(inp.n, dtype=bool)
    sizes = sample_size_table(inp.d, {}, inp.sw, used)
    balance = balance_diagnostic(inp, None)
    diagnostics: dict[str, object] = {"outcome_models": coefficient_table(inp, fits), "balance": balance}
    model_text = ("linear regression (OLS) of the outcome on the covariates in each arm" if outcome_model == "linear"
                  else "logit model of the binary outcome in each arm (predicted probabilities)")
    notes = [
        f"Regression adjustment (Stata teffects ra): {model_text}; potential outcomes predicted for every unit of "
        "the target population and averaged. Assumes the outcome models are correctly specified. References: "
        "Wooldridge (2010), Econometric Analysis of Cross Section and Panel Data, section 21.3; Imbens & "
        "Wooldridge (2009), J. Econ. Literature 47(1).",
    ]
    return finish(inp, method=_FUNC, mu1=mu1, mu0=mu0, psi1=psi1, psi0=psi0, used=used, sample_sizes=sizes,
                  diagnostics=diagnostics, spec={"estimator": _FUNC, "outcome_model": outcome_model}, notes=notes)
