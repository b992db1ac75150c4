"""Propensity scores: fitted once, shared by weighting, doubly robust estimation and matching.

:func:`propensity_score` fits P(D = 1 | X) and returns a frozen :class:`PropensityScore` with the
scores, the fitted coefficients, the design recipe, convergence facts and warnings, an overlap
summary (:meth:`PropensityScore.overlap`) and a mirrored-histogram plot
(:meth:`PropensityScore.plot_overlap`).

Parametric models ("logit", "probit") are fitted by :func:`iej_impact._mestimation.fit_binary`
(Newton-Raphson with step halving) on a centred and scaled design (float64), so earnings in euros
next to 0/1 dummies do not slow or derail convergence; the estimates are the maximum-likelihood
estimates of the usual model on the unscaled covariates (coefficients are reported on that
scale). The fit keeps its *linearization* (per-unit score contributions and the inverse
information), which the estimators stack with their own estimating equations so that standard
errors account for the estimated score (Newey & McFadden 1994, section 6; Wooldridge 2010,
section 21.3; Stata's ``teffects``).

"gbm" (scikit-learn's histogram gradient boosting) and any object with ``fit``/``predict_proba``
give scores without a linearization: estimators then treat the score as known and say so.

The inverse-probability weights and the overlap summary and rule live in
:mod:`iej_impact.observational._overlap`.

References
----------
Rosenbaum, P. & Rubin, D. (1983). The central role of the propensity score in observational
studies for causal effects. Biometrika 70(1). Wooldridge, J. (2010). Econometric Analysis of
Cross Section and Panel Data, 2nd ed., ch. 21.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._mestimation import BinaryFit, Linearization, fit_binary
from .._validation import (
    ID_COLUMNS,
    as_column_list,
    check_binary,
    check_choice,
    check_columns,
    check_dataframe,
    check_estimand,
    describe_rows,
    example_rows,
    user_stacklevel,
)
from ..data._numeric_text import check_numeric
from ..errors import DataError, EstimationError, OverlapWarning, SpecificationError
from ..results import Result, Summary, jsonable
from ._design import Design, design_matrix, scaled_with_intercept, unscale_matrix
from ._overlap import OVERLAP_BOUNDS, ipw_weights, overlap_table

__all__ = ["PropensityScore", "propensity_score", "SCORE_EPS"]

_FUNC = "propensity_score"
MODELS: tuple[str, ...] = ("logit", "probit", "gbm")
#: a score closer than this to 0 or 1 is "numerically 0 or 1" (separation, positivity failure)
SCORE_EPS = 1e-8


# =============================================================================================
# result
# =============================================================================================
@dataclass(frozen=True, eq=False)
class PropensityScore(Result):
    """A fitted propensity score P(D = 1 | X).

    Attributes
    ----------
    treatment : the 0/1 treatment column.
    covariates : the covariates of the model.
    model : "logit", "probit", "gbm" or the class name of a user model.
    scores : fitted P(D = 1 | X), one per row of the data (in row order).
    treated : boolean array, the treatment indicator.
    linear_predictor : X b for logit/probit (None otherwise).
    params : coefficients on the unscaled covariates, with "Intercept" first (None for
        non-parametric models).
    std_errors : robust (sandwich) standard errors of ``params`` (clustering is applied by the
        effect estimators, not here).
    design : the covariate design (numeric columns, dummies and their reference levels).
    converged, iterations, log_likelihood : facts about the Newton iterations.
    warnings : plain-language warnings (separation, scores of 0 or 1, non-convergence).
    separation : None, or the diagnosis of (quasi-)complete separation of a logit/probit model
        (decided from the data, not from how the Newton iterations stopped; see
        :func:`iej_impact._separation.diagnose`), a dict with ``kind`` ("complete" or
        "quasi-complete"), ``n_units``, ``n_treated``, ``n_control`` (perfectly predicted units,
        whose scores are 1 for treated and 0 for controls), ``n_obs``, ``columns`` (the design
        columns that separate) and ``causes`` (plain-language descriptions). ``converged`` is then
        False: the maximum-likelihood estimate does not exist (coefficients along the separating
        direction diverge and are not interpretable).
    perfectly_predicted : boolean array, the units counted in ``separation`` (None for
        non-parametric models; all False without separation).
    sampling_weights : the sampling weights used in the fit (None if unweighted).
    index : the row labels of the data.
    """

    treatment: str
    covariates: tuple[str, ...]
    model: str
    scores: np.ndarray = field(repr=False)
    treated: np.ndarray = field(repr=False)
    design: Design = field(repr=False)
    index: pd.Index = field(repr=False)
    linear_predictor: np.ndarray | None = field(default=None, repr=False)
    params: pd.Series | None = None
    std_errors: pd.Series | None = None
    converged: bool = True
    iterations: int = 0
    log_likelihood: float | None = None
    warnings: tuple[str, ...] = ()
    sampling_weights: np.ndarray | None = field(default=None, repr=False)
    spec: Mapping[str, object] = field(default_factory=dict)
    fit: BinaryFit | None = field(default=None, repr=False)
    _unscale: np.ndarray | None = field(default=None, repr=False)
    separation: dict[str, Any] | None = None
    perfectly_predicted: np.ndarray | None = field(default=None, repr=False)

    # ---- derived quantities ------------------------------------------------------------------
    @property
    def n_obs(self) -> int:
        return int(self.scores.shape[0])

    @property
    def linearization(self) -> Linearization | None:
        """Expansion of the coefficients (on the scaled design), for stacked standard errors."""
        return None if self.fit is None else self.fit.lin

    @property
    def score_derivative(self) -> np.ndarray | None:
        """d score / d (linear predictor), per unit (None for non-parametric models)."""
        return None if self.fit is None else self.fit.dens

    def score_contributions(self) -> pd.DataFrame:
        """Per-unit contributions w_i * d log L_i / d b to the score (columns = ``params``)."""
        if self.fit is None or self.params is None:
            raise EstimationError(f"the {self.model!r} propensity model has no likelihood score contributions.")
        x = np.hstack([np.ones((self.n_obs, 1)), self.design.matrix])
        return pd.DataFrame(self.fit.lin.r[:, None] * x, columns=self.params.index, index=self.index)

    def influence(self) -> pd.DataFrame:
        """Per-unit influence functions of ``params``: b_hat - b ~ mean of the rows."""
        if self.fit is None or self.params is None or self._unscale is None:
            raise EstimationError(f"the {self.model!r} propensity model has no influence function.")
        return pd.DataFrame(self.fit.lin.matrix() @ self._unscale.T, columns=self.params.index, index=self.index)

    def weights(self, estimand: str = "ATE", *, stabilized: bool = False) -> np.ndarray:
        """Inverse-probability weights for ``estimand`` (see :func:`ipw_weights`), times sampling weights."""
        estimand = check_estimand(estimand, "PropensityScore.weights")
        return ipw_weights(self.scores, self.treated, estimand, stabilized=stabilized,
                           sampling_weights=self.sampling_weights)

    def overlap(self, estimand: str = "ATE", *, bounds: tuple[float, float] = OVERLAP_BOUNDS) -> pd.DataFrame:
        """Overlap summary by arm.

        Columns: ``n``, ``mean`` and quantiles (``min``, ``q01`` ... ``max``) of the score;
        ``outside_other_range`` / ``share_outside_other_range``: units whose score lies outside the
        other arm's [min, max]; ``below_<lo>`` / ``above_<hi>``: units with extreme scores;
        ``max_weight``, ``weight_share_top1pct`` (share of the arm's weight carried by its top 1% of
        units) and ``ess`` (Kish) of the ``estimand``'s unnormalized IPW weights.
        """
        estimand = check_estimand(estimand, "PropensityScore.overlap")
        return overlap_table(self.scores, self.treated, estimand=estimand, bounds=bounds,
                             sampling_weights=self.sampling_weights)

    def plot_overlap(self, ax: Any = None, *, bins: int = 40, language: str = "en") -> Any:
        """Mirrored histograms of the score: treated above the axis, controls below (density scale).

        Drawn on a matplotlib ``Figure`` (never pyplot), labels in ``language`` ("en" or "fr");
        returns the Axes.
        """
        from ..report._plots_diagnostics import plot_overlap

        return plot_overlap(self, ax, bins=bins, language=language)

    # ---- display / export --------------------------------------------------------------------
    def to_frame(self) -> pd.DataFrame:
        """Coefficient table (term, estimate, std_error, statistic); empty for non-parametric models."""
        if self.params is None or self.std_errors is None:
            return pd.DataFrame(columns=["term", "estimate", "std_error", "statistic"])
        return pd.DataFrame({
            "term": list(self.params.index),
            "estimate": self.params.to_numpy(),
            "std_error": self.std_errors.to_numpy(),
            "statistic": (self.params / self.std_errors).to_numpy(),
        })

    def summary(self) -> Summary:
        tables: list[tuple[str, pd.DataFrame]] = []
        if self.params is not None:
            tables.append(("Coefficients (robust standard errors)", self.to_frame().set_index("term")))
        tables.append(("Overlap (ATE weights)", self.overlap("ATE")))
        notes = [f"Model: {self.model}; {self.n_obs} units, {int(self.treated.sum())} treated."]
        if self.params is not None:
            notes.append(f"Newton iterations: {self.iterations}; converged: {self.converged}; "
                         f"log-likelihood {self.log_likelihood:.4f}.")
        notes.extend(self.warnings)
        return Summary(title=f"Propensity score for {self.treatment}", tables=tuple(tables), notes=tuple(notes))

    def to_dict(self) -> dict[str, Any]:
        return jsonable({
            "treatment": self.treatment,
            "covariates": list(self.covariates),
            "model": self.model,
            "n_obs": self.n_obs,
            "n_treated": int(self.treated.sum()),
            "params": None if self.params is None else self.params.to_dict(),
            "std_errors": None if self.std_errors is None else self.std_errors.to_dict(),
            "converged": self.converged,
            "iterations": self.iterations,
            "log_likelihood": self.log_likelihood,
            "warnings": list(self.warnings),
            "separation": self.separation,
            "design": self.design.spec(),
            "overlap": self.overlap("ATE"),
            "spec": dict(self.spec),
        })

    def __repr__(self) -> str:
        return (f"PropensityScore(model={self.model!r}, treatment={self.treatment!r}, n_obs={self.n_obs}, "
                f"converged={self.converged}, warnings={len(self.warnings)})")


# =============================================================================================
# the public function
# =============================================================================================
def propensity_score(
    data: pd.DataFrame,
    *,
    treatment: str,
    covariates: Sequence[str],
    model: object = "logit",
    weights: str | None = None,
    random_state: int | None = None,
    max_iter: int = 60,
) -> PropensityScore:
    """Fit the propensity score P(D = 1 | X).

    Parameters
    ----------
    data : one row per unit.
    treatment : 0/1 (or boolean) treatment column.
    covariates : covariate columns; text/categorical columns become dummies (see
        :func:`~iej_impact.observational._design.design_matrix`).
    model : "logit" (default), "probit", "gbm" (scikit-learn ``HistGradientBoostingClassifier``) or
        any object with ``fit(X, y)`` and ``predict_proba(X)`` (a copy is fitted; yours is untouched).
    weights : optional column of sampling weights (> 0), used in the likelihood.
    random_state : seed for "gbm" (its early-stopping split).
    max_iter : Newton iterations allowed (logit/probit).

    Returns
    -------
    PropensityScore

    Notes
    -----
    Logit and probit are fitted by maximum likelihood (Newton-Raphson with step halving) on a
    centred and scaled copy of the design; coefficients are reported on the original scale with
    robust (sandwich) standard errors. When some units are perfectly predicted (complete or
    quasi-complete separation: e.g. a category observed in one arm only, a 0/1 covariate whose 1s
    are all in one arm, or a threshold of a covariate or of a combination of covariates that splits
    the arms) the maximum-likelihood estimate does not exist. This is diagnosed from the data
    (per-column checks and a linear program), not from how the iterations stopped, so the same data
    always give the same diagnosis: those units' scores are 0 or 1 to machine precision,
    ``converged`` is False, ``separation`` holds the counts and culprits, and an
    :class:`~iej_impact.errors.OverlapWarning` counts the units by arm and names the culprits.
    Other failures to converge raise :class:`~iej_impact.errors.EstimationError`.

    Assumptions: the model for P(D = 1 | X) is correctly specified (parametric models); the scores
    are then consistent and asymptotically normal. Reference: Rosenbaum & Rubin (1983),
    Biometrika 70(1); Wooldridge (2010), Econometric Analysis of Cross Section and Panel Data,
    2nd ed., sections 13.4 and 21.3.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"x": rng.normal(size=500)})
    >>> df["d"] = (rng.random(500) < 1 / (1 + np.exp(-df["x"]))).astype(int)
    >>> ps = propensity_score(df, treatment="d", covariates=["x"])
    >>> round(float(ps.params["x"]), 1)
    1.0
    """
    func = _FUNC
    check_dataframe(data, func)
    covs = as_column_list("covariates", covariates, func)
    check_columns(data, [treatment] + ([weights] if weights else []), func)
    model_name, model_obj = _check_model(model, func)
    d = check_binary(data, treatment, func).astype(bool)
    sw = check_sampling_weights(data, weights, func)
    design = design_matrix(data, covs, func=func)
    return _fit_propensity(data, d, design, sw, model_name, model_obj, treatment=treatment, covariates=covs,
                           weights_column=weights, random_state=random_state, max_iter=max_iter, func=func)


def _check_model(model: object, func: str, name: str = "model") -> tuple[str, object | None]:
    if isinstance(model, str):
        check_choice(name, model, MODELS, func)
        return model, None
    if hasattr(model, "fit") and hasattr(model, "predict_proba"):
        return type(model).__name__, model
    raise SpecificationError(
        f"the '{name}' parameter of {func}() must be one of {{'logit', 'probit', 'gbm'}} or an object with "
        f"fit() and predict_proba() (a scikit-learn classifier); got {model!r}."
    )


def check_sampling_weights(data: pd.DataFrame, weights: str | None, func: str) -> np.ndarray | None:
    """The sampling-weight column as floats (None without one); DataError unless every weight is finite and > 0."""
    if weights is None:
        return None
    w = check_numeric(data, weights, func)
    bad = ~(w > 0) | ~np.isfinite(w)
    if bad.any():
        raise DataError(
            f"{func}(): sampling weights '{weights}' must be finite and > 0; {describe_rows(data, bad)} are not. "
            "Drop units with zero weight before the analysis.",
            column=weights,
            rows=example_rows(data, bad),
        )
    return w


def _fit_propensity(
    data: pd.DataFrame,
    d: np.ndarray,
    design: Design,
    sw: np.ndarray | None,
    model_name: str,
    model_obj: object | None,
    *,
    treatment: str,
    covariates: Sequence[str],
    weights_column: str | None,
    random_state: int | None,
    max_iter: int,
    func: str,
    z: np.ndarray | None = None,
    scale: tuple[np.ndarray, np.ndarray] | None = None,
) -> PropensityScore:
    """Fit on an already-built design (shared with the estimators, which reuse ``z``)."""
    n = len(d)
    w = np.ones(n) if sw is None else sw
    spec = {"treatment": treatment, "covariates": list(covariates), "model": model_name,
            "weights": weights_column, "random_state": random_state}
    msgs: list[str] = []
    if model_name in ("logit", "probit") and model_obj is None:
        if z is None or scale is None:
            z, m, s = scaled_with_intercept(design.matrix, w)
        else:
            m, s = scale
        fit = fit_binary(z, d.astype(float), w, link=model_name, func=func, what="propensity-score model",
                         names=design.names, max_iter=max_iter, raw=design.matrix)
        t = unscale_matrix(m, s)
        names = ["Intercept", *design.names]
        params = pd.Series(t @ fit.params, index=names, name="coef")
        cov_b = fit.lin.covariance(transform=t)
        std = pd.Series(np.sqrt(np.maximum(np.diag(cov_b), 0.0)), index=names, name="std_error")
        scores = fit.prob
        if fit.separation is not None and fit.perfect is not None:
            msgs.append(_separation_message(data, d, fit.separation, fit.perfect, model_name))
        elif not fit.converged:
            raise EstimationError(
                f"{func}(): the {model_name} propensity-score model did not converge in {max_iter} Newton "
                "iterations (no unit is perfectly predicted). Check the covariates for extreme values or "
                "near-duplicates, or simplify the model."
            )
        if msgs:
            warnings.warn(msgs[-1], OverlapWarning, stacklevel=user_stacklevel())
        return PropensityScore(
            treatment=treatment, covariates=tuple(covariates), model=model_name, scores=scores, treated=d,
            design=design, index=data.index, linear_predictor=fit.eta, params=params, std_errors=std,
            converged=fit.converged, iterations=fit.iterations, log_likelihood=fit.loglik, warnings=tuple(msgs),
            sampling_weights=sw, spec=spec, fit=fit, _unscale=t, separation=fit.separation,
            perfectly_predicted=fit.perfect,
        )
    # non-parametric / user models: scores only
    if model_obj is None:
        from sklearn.ensemble import HistGradientBoostingClassifier

        est: Any = HistGradientBoostingClassifier(random_state=random_state)
    else:
        est = copy.deepcopy(model_obj)
    x = design.matrix
    y = d.astype(np.int64)
    try:
        if sw is not None:
            est.fit(x, y, sample_weight=sw)
        else:
            est.fit(x, y)
        proba = np.asarray(est.predict_proba(x), dtype=float)
    except TypeError as exc:
        raise SpecificationError(
            f"{func}(): the propensity model {model_name} could not be fitted with sampling weights "
            f"(fit(X, y, sample_weight=...) failed: {exc}). Use model='logit' or a model that accepts weights."
        ) from None
    classes = list(getattr(est, "classes_", [0, 1]))
    col = classes.index(1) if 1 in classes else proba.shape[1] - 1
    scores = proba[:, col] if proba.ndim == 2 else proba
    if scores.shape != (n,) or not np.all(np.isfinite(scores)) or scores.min() < 0 or scores.max() > 1:
        raise EstimationError(
            f"{func}(): the propensity model {model_name} returned {scores.shape} values that are not "
            f"probabilities in [0, 1] for the {n} rows."
        )
    extreme = (scores < SCORE_EPS) | (scores > 1 - SCORE_EPS)
    if extreme.any():
        msgs.append(
            f"{int(extreme.sum())} units ({int((extreme & d).sum())} treated, {int((extreme & ~d).sum())} control) "
            f"have scores of 0 or 1 from the {model_name} model; their weights are undefined."
        )
        warnings.warn(msgs[-1], OverlapWarning, stacklevel=user_stacklevel())
    return PropensityScore(
        treatment=treatment, covariates=tuple(covariates), model=model_name, scores=scores, treated=d,
        design=design, index=data.index, warnings=tuple(msgs), sampling_weights=sw, spec=spec,
    )


def _separation_message(
    data: pd.DataFrame,
    d: np.ndarray,
    separation: Mapping[str, Any],
    perfect: np.ndarray,
    model_name: str,
) -> str:
    n1 = int(separation["n_treated"])
    n0 = int(separation["n_control"])
    causes = list(separation["causes"])
    hint = f" Cause: {'; '.join(causes[:3])}." if causes else ""
    return (
        f"{_FUNC}(): the {model_name} model has no maximum-likelihood estimate because the data are "
        f"(quasi-)separated ({separation['kind']} separation): {n0 + n1} units have scores of 0 or 1 to machine "
        f"precision ({n0} at 0, {n1} at 1; {n1} treated, {n0} control; e.g. {row_ids(data, perfect)}).{hint} "
        "Their inverse-probability weights are infinite or zero and the effect is not identified for them: "
        "merge or drop the covariate or category, or restrict the sample to common support."
    )


def row_ids(data: pd.DataFrame, mask: np.ndarray) -> str:
    """'person_id P1, P2, P3' (or 'row 4, 7') for up to five rows flagged by ``mask``."""
    label = next((c for c in ID_COLUMNS if c in data.columns), "row")
    return f"{label} {', '.join(map(str, example_rows(data, mask)))}"


def separation_hints(design: Design, d: np.ndarray) -> list[str]:
    """Design columns that separate the arms: constant in one arm but not the other, a 0/1 column
    whose 1s (or 0s) are all in one arm, or non-overlapping ranges."""
    x = design.matrix
    out: list[str] = []
    if not d.any() or d.all():
        return out
    for j, name in enumerate(design.names):
        col = x[:, j]
        c1, c0 = col[d], col[~d]
        lo1, hi1, lo0, hi0 = c1.min(), c1.max(), c0.min(), c0.max()
        if np.all((col == 0) | (col == 1)):
            found = False
            for v in (1.0, 0.0):
                k1, k0 = int((c1 == v).sum()), int((c0 == v).sum())
                if (k1 == 0) != (k0 == 0):
                    arm = "treated" if k0 == 0 else "control"
                    out.append(f"all {k1 + k0} units with '{name}' = {v:g} are {arm}")
                    found = True
                    break
            if found:
                continue
        if lo1 == hi1 and lo0 != hi0:
            out.append(f"'{name}' is constant ({lo1:g}) among treated units but varies among controls")
        elif lo0 == hi0 and lo1 != hi1:
            out.append(f"'{name}' is constant ({lo0:g}) among control units but varies among treated")
        elif hi1 < lo0 or hi0 < lo1:
            out.append(f"'{name}' does not overlap between arms (treated [{lo1:g}, {hi1:g}], control [{lo0:g}, {hi0:g}])")
    return out
