"""Omitted-variable sensitivity of a regression estimate (Cinelli & Hazlett 2020): ``ovb_sensitivity``.

What it analyses. The coefficient of the treatment D in the ordinary (or weighted) least-squares
regression ``Y ~ 1 + D + X`` on the analysis' covariates X (categorical covariates as dummies,
exactly as the other estimators build them). For that coefficient every number here is an
algebraic fact about the data (the formulas are in :mod:`._ovb_stats`): how much residual variance
of D and of Y an omitted confounder Z would have to explain to move the estimate by a given
amount, and the estimate, standard error, t-value and confidence interval the regression would
give with such a Z added.

What it does not analyse, said in the result's notes:

* ``regression_adjustment`` (Stata's ``teffects ra``) fits the outcome model separately in each
  arm and averages predictions; its ATE/ATT equals the additive regression's coefficient only when
  the arm models have the same slopes (no effect heterogeneity along X). The analysis is exact for
  the additive coefficient, shown next to the RA estimate, and carries over to RA only as far as
  the two agree. With ``outcome_model="logit"`` the regression is a linear probability model.
* ``ipw`` and ``doubly_robust`` do not estimate a regression coefficient. The robustness value and
  the bounds then describe the regression-adjusted association with the same covariates, a
  companion analysis; they do not bound the bias of the weighting estimate, which depends on how Z
  would change the propensity score and the outcome regressions (Chernozhukov, Cinelli, Newey,
  Sharma & Syrgkanis 2022 extend the ideas to such estimators; not implemented here).
* The adjusted standard errors, t-values and intervals are the classical (homoskedastic) OLS ones
  of the long regression, as in the paper and sensemakr, whatever ``se`` the analysis used. The
  point-estimate results (partial R2, ``RV_q``, adjusted estimates) do not depend on a standard
  error: they are facts about residual variances.

Differences from sensemakr (R 0.1.6 / PySensemakr 0.0.8): the adjusted confidence interval uses
the t quantile with the long regression's ``dof - 1`` degrees of freedom, where sensemakr uses
``dof`` (a difference of about 1e-7 in the darfur example's limits, with 783 degrees of freedom).

Reference: Cinelli, C. & Hazlett, C. (2020). Making sense of sensitivity: extending omitted
variable bias. Journal of the Royal Statistical Society, Series B 82(1), 39-67.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .._mestimation import fit_wls
from .._params import Boolean, Columns, Interval, constrained
from .._validation import arguments_checked, check_columns, check_dataframe
from ..data._numeric_text import check_numeric
from ..errors import DataError, EstimationError, SpecificationError
from ..results import Result, Summary, jsonable
from . import _ovb_stats as ovb
from ._design import design_matrix, scaled_with_intercept
from ._propensity import check_sampling_weights

__all__ = ["ovb_sensitivity", "OVBResult"]

_FUNC = "ovb_sensitivity"
#: the columns of :meth:`OVBResult.to_frame` (one row per scenario)
FRAME_COLUMNS = ("scenario", "benchmark", "kd", "ky", "r2dz_x", "r2yz_dx", "adjusted_estimate", "adjusted_se",
                 "adjusted_t", "adjusted_ci_lower", "adjusted_ci_upper")


@dataclass(frozen=True)
class OVBResult(Result):
    """Omitted-variable sensitivity of a regression coefficient (Cinelli & Hazlett 2020).

    Attributes
    ----------
    outcome, treatment : column names; ``covariates`` : the regression's covariates (columns).
    coefficient, std_error, t_value, dof : the treatment's OLS coefficient, classical SE, t-value
        and residual degrees of freedom; ``n_obs`` : rows used.
    r2yd_x : partial R2 of the treatment with the outcome, ``t^2 / (t^2 + dof)``: a confounder that
        explains all the residual variance of the outcome must explain at least this share of the
        residual variance of the treatment to explain the estimate away.
    rv_q, rv_qa : robustness values ``RV_q`` and ``RV_{q,alpha}``.
    q, alpha, reduce : the sensitivity parameters (bias of q times the estimate; level of the test;
        confounding that moves the estimate towards zero when ``reduce``).
    scenarios : one row per confounder considered: the benchmark bounds (``"2x female"``) then the
        hypothetical strengths given (``"manual"``), with the adjusted estimate, SE, t and CI.
    benchmarks : one row per benchmark covariate: its design columns and the partial R2s
        ``r2dxj_x`` (with the treatment, given the other covariates) and ``r2yxj_dx`` (with the
        outcome, given the treatment and the other covariates).
    source : the estimate this analysis accompanies (method, estimand, estimate), or None.
    notes : what the analysis does and does not say for this estimate.
    """

    outcome: str
    treatment: str
    covariates: tuple[str, ...]
    coefficient: float
    std_error: float
    t_value: float
    dof: int
    n_obs: int
    r2yd_x: float
    rv_q: float
    rv_qa: float
    q: float
    alpha: float
    reduce: bool
    scenarios: pd.DataFrame = field(repr=False)
    benchmarks: pd.DataFrame = field(repr=False)
    weights: str | None = None
    source: dict[str, Any] | None = None
    notes: tuple[str, ...] = ()

    def adjusted(self, r2dz_x: Any, r2yz_dx: Any) -> pd.DataFrame:
        """Adjusted estimate, SE, t and CI for hypothetical confounder strengths (arrays broadcast)."""
        d, y = np.broadcast_arrays(np.asarray(r2dz_x, dtype=float), np.asarray(r2yz_dx, dtype=float))
        return _adjusted_rows(self, d.ravel(), y.ravel())

    def to_frame(self) -> pd.DataFrame:
        """The unadjusted row, then one row per scenario (columns ``FRAME_COLUMNS``)."""
        first = pd.DataFrame([{"scenario": "unadjusted", "benchmark": None, "kd": None, "ky": None, "r2dz_x": 0.0,
                               "r2yz_dx": 0.0, "adjusted_estimate": self.coefficient,
                               "adjusted_se": self.std_error, "adjusted_t": self.t_value,
                               **dict(zip(("adjusted_ci_lower", "adjusted_ci_upper"),
                                          _ci(self.coefficient, self.std_error, self.dof, self.alpha), strict=True))}])
        frames = [first] if self.scenarios.empty else [first, self.scenarios]
        return pd.concat(frames, ignore_index=True)[list(FRAME_COLUMNS)]

    def summary(self) -> Summary:
        stats_table = pd.DataFrame({
            "coefficient": [self.coefficient], "std_error": [self.std_error], "t_value": [self.t_value],
            "dof": [self.dof], "r2yd_x": [self.r2yd_x], f"rv_q (q={self.q:g})": [self.rv_q],
            f"rv_qa (alpha={self.alpha:g})": [self.rv_qa],
        }, index=pd.Index([self.treatment], name="treatment"))
        tables: list[tuple[str, pd.DataFrame]] = [("Regression coefficient and sensitivity statistics", stats_table)]
        if not self.scenarios.empty:
            tables.append(("Bias-adjusted estimates for confounders of the given strength",
                           self.scenarios.set_index("scenario").drop(columns=["benchmark"])))
        if not self.benchmarks.empty:
            tables.append(("Partial R2 of the benchmark covariates", self.benchmarks.drop(columns=["columns"])
                           .set_index("covariate")))
        lead = (f"Omitted-variable sensitivity (Cinelli & Hazlett 2020) of the OLS coefficient of '{self.treatment}' "
                f"in the regression of '{self.outcome}' on it and {len(self.covariates)} covariates ({self.n_obs} rows).")
        return Summary(title=f"Omitted-variable sensitivity: {self.treatment} on {self.outcome}", tables=tuple(tables),
                       notes=(lead, *self.notes))

    def to_dict(self) -> dict[str, Any]:
        return jsonable({
            "method": "ovb_cinelli_hazlett",
            "outcome": self.outcome, "treatment": self.treatment, "covariates": list(self.covariates),
            "weights": self.weights,
            "coefficient": self.coefficient, "std_error": self.std_error, "t_value": self.t_value, "dof": self.dof,
            "n_obs": self.n_obs, "r2yd_x": self.r2yd_x, "rv_q": self.rv_q, "rv_qa": self.rv_qa,
            "q": self.q, "alpha": self.alpha, "reduce": self.reduce,
            "source": self.source,
            "benchmarks": self.benchmarks,
            "scenarios": self.scenarios,
            "notes": list(self.notes),
        })

    def plot_contour(self, ax: Any = None, *, kind: str = "estimate", lim: float | None = None,
                     language: str = "en") -> Any:
        """Contours of the adjusted estimate (``kind="estimate"``) or t-value (``"t_value"``) over
        R2_{D~Z|X} (x axis) and R2_{Y~Z|D,X} (y axis), with the threshold (0, or the critical t) drawn
        as a dashed line and the scenarios marked; labels in ``language``. Returns the matplotlib Axes."""
        from ..report._plots_sensitivity import plot_ovb_contour

        return plot_ovb_contour(self, ax, kind=kind, lim=lim, language=language)


def _ci(estimate: Any, se: Any, dof: int, alpha: float) -> tuple[Any, Any]:
    half = float(stats.t.ppf(1.0 - alpha / 2.0, dof)) * np.asarray(se)
    return estimate - half, estimate + half


def _adjusted_rows(res: OVBResult, r2dz: np.ndarray, r2yz: np.ndarray) -> pd.DataFrame:
    est = ovb.adjusted_estimate(res.coefficient, res.std_error, res.dof, r2yz, r2dz, reduce=res.reduce)
    se = ovb.adjusted_se(res.std_error, res.dof, r2yz, r2dz)
    low, high = _ci(est, se, res.dof - 1, res.alpha)  # the long regression has one regressor more
    with np.errstate(divide="ignore", invalid="ignore"):  # R2_{Y~Z|D,X} = 1 leaves no residual: t is infinite
        t_adj = est / se
    return pd.DataFrame({"r2dz_x": r2dz, "r2yz_dx": r2yz, "adjusted_estimate": est, "adjusted_se": se,
                         "adjusted_t": t_adj, "adjusted_ci_lower": low, "adjusted_ci_upper": high})


@dataclass(frozen=True)
class _Fit:
    """The short regression by Frisch-Waugh-Lovell: residuals of Y and D on [1, X] (internal)."""

    coefficient: float
    std_error: float
    dof: int
    rss: float  # weighted residual sum of squares of Y ~ 1 + D + X
    rss_d: float  # of D ~ 1 + X


def _residuals(z: np.ndarray, y: np.ndarray, d: np.ndarray, w: np.ndarray, names: Sequence[str],
               what: str) -> tuple[np.ndarray, np.ndarray]:
    fit = fit_wls(z, np.column_stack([y, d]), w, names=names, func=_FUNC, what=what)
    return fit.resid[:, 0], fit.resid[:, 1]


def _short_fit(z: np.ndarray, y: np.ndarray, d: np.ndarray, w: np.ndarray, names: Sequence[str]) -> _Fit:
    ry, rd = _residuals(z, y, d, w, names, "regression on the covariates")
    rss_d = float(np.sum(w * rd * rd))
    total_d = float(np.sum(w * (d - np.average(d, weights=w)) ** 2))
    if rss_d <= 1e-10 * max(total_d, 1e-300):
        raise EstimationError(f"{_FUNC}(): the treatment is (almost) a linear function of the covariates, so its "
                              "coefficient is not identified; remove covariates that predict it exactly.")
    coef = float(np.sum(w * rd * ry) / rss_d)
    rss = float(np.sum(w * (ry - coef * rd) ** 2))
    dof = int(z.shape[0] - z.shape[1] - 1)
    if dof < 2:
        raise DataError(f"{_FUNC}(): {z.shape[0]} rows for {z.shape[1] + 1} coefficients leave {dof} residual degrees "
                        "of freedom; the sensitivity analysis needs at least 2.")
    return _Fit(coefficient=coef, std_error=float(np.sqrt(rss / dof / rss_d)), dof=dof, rss=rss, rss_d=rss_d)


def _benchmark_r2(z: np.ndarray, y: np.ndarray, d: np.ndarray, w: np.ndarray, drop: list[int], names: Sequence[str],
                  fit: _Fit) -> tuple[float, float]:
    """(R2 of the dropped columns with D given the other covariates, with Y given D and the others)."""
    keep = [j for j in range(z.shape[1]) if j - 1 not in drop]
    ry, rd = _residuals(z[:, keep], y, d, w, [names[j - 1] for j in keep[1:]], "benchmark regression")
    rss_d = float(np.sum(w * rd * rd))
    cross = float(np.sum(w * rd * ry))
    rss_y = float(np.sum(w * ry * ry)) - cross**2 / rss_d  # Y ~ 1 + D + X_-j, by Frisch-Waugh-Lovell
    return max((rss_d - fit.rss_d) / rss_d, 0.0), max((rss_y - fit.rss) / rss_y, 0.0)


def _as_numbers(name: str, value: object) -> list[float]:
    values = [value] if isinstance(value, numbers.Real) and not isinstance(value, bool) else value
    try:
        out = [float(v) for v in values]  # type: ignore[union-attr]
    except (TypeError, ValueError):
        raise SpecificationError(f"the '{name}' parameter of {_FUNC}() must be a number or a list of numbers; "
                                 f"got {value!r}.") from None
    if not out or not all(np.isfinite(out)) or min(out) < 0:
        raise SpecificationError(f"the '{name}' parameter of {_FUNC}() must hold numbers >= 0; got {value!r}.")
    return out


def _source(result: Any) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """The accompanied estimate's record and the regression arguments its spec implies."""
    if result is None:
        return None, {}
    spec = getattr(result, "spec", None)
    if not isinstance(spec, dict) or "outcome" not in spec:
        raise SpecificationError(f"the 'result' parameter of {_FUNC}() must be an EffectResult of "
                                 "regression_adjustment, ipw or doubly_robust; got "
                                 f"{type(result).__name__}.")
    record = {"method": result.method, "estimand": result.estimand, "estimate": result.estimate,
              "std_error": result.std_error, "outcome_model": spec.get("outcome_model")}
    keys = {k: spec.get(k) for k in ("outcome", "treatment", "covariates", "weights") if spec.get(k) is not None}
    return record, keys


def _source_notes(source: dict[str, Any] | None, coefficient: float) -> list[str]:
    if source is None:
        return ["Exact for this OLS coefficient: every number is an algebraic property of the regression."]
    method, est = source["method"], source["estimate"]
    if method == "regression_adjustment":
        lpm = " (a linear probability model: the RA used logit arm models)" if source.get("outcome_model") == "logit" else ""
        return [f"regression_adjustment fits the outcome model in each arm (teffects ra); its {source['estimand']} "
                f"{est:.6g} equals the additive regression's coefficient {coefficient:.6g}{lpm} only when the arm models "
                "have the same slopes. The analysis is exact for the additive coefficient and applies to the RA "
                "estimate as far as the two agree."]
    return [f"{method} does not estimate a regression coefficient: the robustness values and bounds describe the "
            f"regression-adjusted association with the same covariates ({coefficient:.6g}; {method}: {est:.6g}), a "
            "companion analysis. They do not bound the bias of the weighting estimate itself, which depends on how an "
            "omitted confounder would change the propensity score and the outcome regressions (Chernozhukov, Cinelli, "
            "Newey, Sharma & Syrgkanis 2022; not implemented)."]


@constrained({
    "outcome": Columns(single=True, none_ok=True), "treatment": Columns(single=True, none_ok=True),
    "covariates": Columns(none_ok=True), "weights": Columns(single=True, none_ok=True),
    "benchmark": Columns(none_ok=True), "q": Interval(0.0, None, low_open=True),
    "alpha": Interval(0.0, 1.0, low_open=True), "reduce": Boolean(),
})
def ovb_sensitivity(
    data: pd.DataFrame,
    *,
    outcome: str | None = None,
    treatment: str | None = None,
    covariates: Sequence[str] | None = None,
    weights: str | None = None,
    result: Any = None,
    benchmark: Sequence[str] | None = None,
    kd: float | Sequence[float] = (1.0, 2.0, 3.0),
    ky: float | Sequence[float] | None = None,
    q: float = 1.0,
    alpha: float = 0.05,
    reduce: bool = True,
    r2dz_x: float | Sequence[float] | None = None,
    r2yz_dx: float | Sequence[float] | None = None,
) -> OVBResult:
    """Omitted-variable sensitivity of the treatment's coefficient in ``outcome ~ treatment + covariates``.

    Estimator analysed: the OLS (WLS with ``weights``) coefficient of ``treatment`` in the linear
    regression of ``outcome`` on an intercept, the treatment and the covariates. Cinelli & Hazlett
    (2020) express the bias an omitted confounder Z would cause through two partial R2s, its share
    of the residual variance of the treatment (``R2_{D~Z|X}``) and of the outcome
    (``R2_{Y~Z|D,X}``); the formulas and their derivation are in
    :mod:`iej_impact.observational._ovb_stats`.

    Parameters
    ----------
    data : one row per unit.
    outcome, treatment, covariates, weights : the regression (numeric outcome; a numeric, usually
        0/1, treatment; covariates as for the other estimators, categorical ones as dummies;
        optional sampling weights). Taken from ``result`` when it is given and they are not.
    result : optional EffectResult of ``regression_adjustment``, ``ipw`` or ``doubly_robust``, which
        this analysis accompanies: its regression is taken from the result's spec and its estimate
        is reported beside the coefficient, with what the analysis means for it (module docstring).
    benchmark : covariates to benchmark against: bounds on a confounder ``kd`` times as strongly
        related to the treatment and ``ky`` times to the outcome as each one (a categorical covariate
        counts as the group of its dummies). Each must be one of ``covariates``.
    kd, ky : multipliers (a number or a list); ``ky`` defaults to ``kd`` (paired element by element).
    q : fraction of the estimate the confounder should remove (1: bring it to zero).
    alpha : level of the t-test for ``RV_{q,alpha}`` and of the adjusted intervals.
    reduce : confounding that moves the estimate towards zero (True) or away from it.
    r2dz_x, r2yz_dx : hypothetical confounder strengths (numbers or lists of the same length), added
        as "manual" scenarios.

    Returns
    -------
    OVBResult: the coefficient, ``r2yd_x``, ``rv_q``, ``rv_qa``, the scenarios with their adjusted
    estimates, the benchmarks' partial R2s, ``plot_contour()``.

    Assumptions and scope: the results are exact statements about this regression coefficient. They
    speak to a causal effect only if the long regression (with Z) would identify it, and the
    benchmark bounds assume Z is uncorrelated with the benchmark given the other covariates. Adjusted
    standard errors, t-values and intervals are the classical OLS ones of the long regression.
    For ``regression_adjustment`` (arm-specific models) and for ``ipw``/``doubly_robust`` see the
    module docstring: a companion analysis, not a bound on their estimates.

    References
    ----------
    Cinelli, C. & Hazlett, C. (2020). Making sense of sensitivity: extending omitted variable bias.
    JRSS-B 82(1), 39-67. The darfur example of the paper and of sensemakr is reproduced in
    tests/reference/test_ovb_darfur.py.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=500)
    >>> d = (x + rng.normal(size=500) > 0).astype(int)
    >>> df = pd.DataFrame({"x": x, "d": d, "y": d + x + rng.normal(size=500)})
    >>> res = ovb_sensitivity(df, outcome="y", treatment="d", covariates=["x"], benchmark=["x"], kd=[1])
    >>> 0 < res.rv_qa < res.rv_q < 1
    True
    """
    check_dataframe(data, _FUNC)
    source, implied = _source(result)
    outcome = outcome if outcome is not None else implied.get("outcome")
    treatment = treatment if treatment is not None else implied.get("treatment")
    covs = list(covariates) if covariates is not None else list(implied.get("covariates", []))
    weights = weights if weights is not None else implied.get("weights")
    if outcome is None or treatment is None:
        raise SpecificationError(f"{_FUNC}() needs 'outcome' and 'treatment' (or a 'result' that names them).")
    if outcome == treatment or {outcome, treatment} & set(covs):
        raise SpecificationError(f"{_FUNC}(): the outcome '{outcome}', the treatment '{treatment}' and the covariates "
                                 "must be different columns.")
    bench = list(benchmark or [])
    stray = [b for b in bench if b not in covs]
    if stray:
        raise SpecificationError(f"{_FUNC}(): benchmark covariate(s) {stray} are not among the covariates {covs}; "
                                 "a benchmark must be a covariate of the regression.")
    kds = _as_numbers("kd", kd)
    kys = kds if ky is None else _as_numbers("ky", ky)
    if len(kys) != len(kds):
        raise SpecificationError(f"{_FUNC}(): 'kd' and 'ky' must have the same length; got {kds} and {kys}.")
    manual = _manual(r2dz_x, r2yz_dx)
    check_columns(data, [outcome, treatment], _FUNC)
    y = check_numeric(data, outcome, _FUNC)
    d = check_numeric(data, treatment, _FUNC)
    sw = check_sampling_weights(data, weights, _FUNC)
    design = design_matrix(data, covs, func=_FUNC)
    arguments_checked()
    w = np.ones(len(y)) if sw is None else sw
    z, _, _ = scaled_with_intercept(design.matrix, sw)
    fit = _short_fit(z, y, d, w, design.names)
    t_value = fit.coefficient / fit.std_error
    benchmarks, rows, notes = _benchmarks(design, bench, kds, kys, z, y, d, w, fit)
    res = OVBResult(
        outcome=outcome, treatment=treatment, covariates=tuple(covs), coefficient=fit.coefficient,
        std_error=fit.std_error, t_value=t_value, dof=fit.dof, n_obs=len(y), r2yd_x=ovb.partial_r2(t_value, fit.dof),
        rv_q=ovb.robustness_value(t_value, fit.dof, q=q), rv_qa=ovb.robustness_value(t_value, fit.dof, q=q, alpha=alpha),
        q=float(q), alpha=float(alpha), reduce=bool(reduce), scenarios=pd.DataFrame(columns=FRAME_COLUMNS),
        benchmarks=benchmarks, weights=weights, source=source, notes=(),
    )
    labels = rows + [{"scenario": "manual", "benchmark": None, "kd": None, "ky": None, "r2dz_x": a, "r2yz_dx": b}
                     for a, b in manual]
    scenarios = pd.DataFrame(columns=FRAME_COLUMNS)
    if labels:
        head = pd.DataFrame(labels)
        adjusted = _adjusted_rows(res, head["r2dz_x"].to_numpy(float), head["r2yz_dx"].to_numpy(float))
        scenarios = pd.concat([head[["scenario", "benchmark", "kd", "ky"]], adjusted], axis=1)[list(FRAME_COLUMNS)]
    notes = [*_source_notes(source, fit.coefficient), *notes, _CLASSICAL_NOTE]
    return replace(res, scenarios=scenarios, notes=tuple(notes))


_CLASSICAL_NOTE = ("Adjusted standard errors, t-values and intervals are the classical (homoskedastic) OLS ones of "
                   "the regression with the confounder added (dof - 1 degrees of freedom), as in Cinelli & Hazlett "
                   "(2020); the partial R2, robustness value RV_q and adjusted estimates do not depend on a standard "
                   "error. RV_q,alpha uses the classical t-test.")


def _manual(r2dz_x: object, r2yz_dx: object) -> list[tuple[float, float]]:
    if r2dz_x is None and r2yz_dx is None:
        return []
    if r2dz_x is None or r2yz_dx is None:
        raise SpecificationError(f"{_FUNC}(): give both 'r2dz_x' and 'r2yz_dx' (hypothetical confounder strengths).")
    a, b = _as_numbers("r2dz_x", r2dz_x), _as_numbers("r2yz_dx", r2yz_dx)
    if len(a) != len(b):
        raise SpecificationError(f"{_FUNC}(): 'r2dz_x' and 'r2yz_dx' must have the same length; got {a} and {b}.")
    if max(a) >= 1 or max(b) > 1:
        raise SpecificationError(f"{_FUNC}(): 'r2dz_x' must be in [0, 1) and 'r2yz_dx' in [0, 1]; got {a} and {b}.")
    return list(zip(a, b, strict=True))


def _benchmarks(design: Any, bench: list[str], kds: list[float], kys: list[float], z: np.ndarray, y: np.ndarray,
                d: np.ndarray, w: np.ndarray, fit: _Fit) -> tuple[pd.DataFrame, list[dict[str, Any]], list[str]]:
    """Partial R2 of each benchmark covariate and the formal bounds for each (kd, ky)."""
    table, rows, notes = [], [], []
    for name in bench:
        term = next(t for t in design.terms if t.column == name)
        drop = [design.names.index(c) for c in term.names]
        r2d, r2y = _benchmark_r2(z, y, d, w, drop, design.names, fit)
        table.append({"covariate": name, "columns": list(term.names), "r2dxj_x": r2d, "r2yxj_dx": r2y})
        for k_d, k_y in zip(kds, kys, strict=True):
            try:
                r2dz, r2yz, capped = ovb.benchmark_bounds(r2d, r2y, k_d, k_y)
            except SpecificationError as exc:
                raise SpecificationError(f"{_FUNC}(): benchmark '{name}': {exc}") from None
            label = f"{k_d:g}x {name}" if k_d == k_y else f"{k_d:g}/{k_y:g}x {name}"
            rows.append({"scenario": label, "benchmark": name, "kd": k_d, "ky": k_y, "r2dz_x": r2dz, "r2yz_dx": r2yz})
            if capped:
                notes.append(f"{label}: the implied R2 with the outcome exceeds 1 and is set to 1.")
    frame = pd.DataFrame(table, columns=["covariate", "columns", "r2dxj_x", "r2yxj_dx"])
    if bench:
        notes.append("Benchmark bounds (Cinelli & Hazlett 2020, section 4.4): a confounder kd times as strongly related "
                     "to the treatment and ky times to the outcome as the benchmark covariate (partial R2s, given the "
                     "other covariates), assumed uncorrelated with the benchmark given the other covariates.")
    return frame, rows, notes
