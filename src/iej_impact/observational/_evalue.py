"""E-values (VanderWeele & Ding 2017): how strong unmeasured confounding would have to be, on the risk-ratio scale.

Definition. For an observed risk ratio RR > 1 (invert it first when RR < 1), the E-value

    E = RR + sqrt(RR (RR - 1))

is the minimum strength of association, on the risk-ratio scale, that an unmeasured confounder
would need to have with both the treatment and the outcome, conditional on the measured
covariates, to fully explain away the observed risk ratio (Ding & VanderWeele 2016's bounding
factor, solved for equal strengths). Any weaker confounding could not; stronger confounding could,
but need not. For a confidence interval, the E-value of the limit closest to the null (1 when the
interval contains it). With ``null_value`` other than 1 the estimate is shifted to that value
instead (the ratio RR / null_value is used).

The risk ratio of a binary outcome. From an estimate of regression_adjustment, ipw or
doubly_robust on a 0/1 outcome, the risk ratio is the ratio of the potential-outcome means of the
estimand's population: ``RR = p1 / p0`` with p1 = E[Y(1)] and p0 = E[Y(0)] (over everyone for the
ATE, over the treated for the ATT, where p0 is the counterfactual mean). Its confidence interval
is the delta method on log RR with the joint influence-function covariance of (p1, p0), the same
covariance (robust, or clustered) as the estimate's standard error:

    Var(log RR) = V11 / p1^2 + V00 / p0^2 - 2 V10 / (p1 p0),   CI = exp(log RR -/+ z_{1-alpha/2} sd).

Other scales, approximately (VanderWeele & Ding 2017, Table; VanderWeele 2017 for the square
root; R package EValue's ``evalues.OR``, ``evalues.HR``, ``evalues.MD``):

* odds ratio: RR ~ OR when the outcome is rare (< 15% at the end of follow-up), else
  RR ~ sqrt(OR);
* hazard ratio: RR ~ HR when rare, else RR ~ (1 - 0.5^sqrt(HR)) / (1 - 0.5^sqrt(1/HR));
* standardized mean difference d of a continuous outcome with standard error se:
  RR ~ exp(0.91 d), CI exp(0.91 d -/+ 1.78 se) at 95% (1.78 is the paper's rounded 0.91 x 1.96,
  kept as published so the R package's numbers are reproduced; scaled by z_{1-alpha/2} / z_{0.975}
  at other levels).

What an E-value does not say: it assumes nothing about the confounder's prevalence and is on the
risk-ratio scale only; for a risk difference it is the E-value of the implied risk ratio, not of the
difference itself (Ding & VanderWeele 2016 give a specific bound for differences, not implemented).

References
----------
VanderWeele, T. J. & Ding, P. (2017). Sensitivity analysis in observational research: introducing
the E-value. Annals of Internal Medicine 167(4), 268-274.
Ding, P. & VanderWeele, T. J. (2016). Sensitivity analysis without assumptions. Epidemiology 27(3),
368-377.
VanderWeele, T. J. (2017). On a square-root transformation of the odds ratio for a common outcome.
Epidemiology 28(6), e58-e60.
Mathur, M. B., Ding, P., Riddell, C. A. & VanderWeele, T. J. (2018). Website and R package for
computing E-values. Epidemiology 29(5), e45-e47.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .._validation import check_choice, check_number
from ..errors import DataError, SpecificationError
from ..results import Result, Summary, jsonable

__all__ = ["evalue", "EValueResult", "evalue_of_ratio"]

_FUNC = "evalue"
SCALES = ("RR", "OR", "HR", "SMD")
#: exp(0.91 d) and 1.78 x se: VanderWeele & Ding (2017), from Chinn (2000)'s logistic approximation
_SMD_SLOPE, _SMD_CI = 0.91, 1.78


def evalue_of_ratio(rr: float, null_value: float = 1.0) -> float:
    """E-value of a risk ratio: ``RR + sqrt(RR (RR - 1))`` for RR / null_value >= 1, else of its inverse."""
    if not (rr > 0 and null_value > 0):
        raise SpecificationError(f"an E-value needs a positive risk ratio and null value; got {rr!r}, {null_value!r}.")
    r = rr / null_value
    r = 1.0 / r if r < 1.0 else r
    return float(r + math.sqrt(r * (r - 1.0)))


def _ci_evalue(rr: float, lower: float | None, upper: float | None, null_value: float) -> float | None:
    """E-value of the confidence limit closest to the null (1 when the interval contains the null)."""
    if rr >= null_value:
        if lower is None:
            return None
        return 1.0 if lower <= null_value else evalue_of_ratio(lower, null_value)
    if upper is None:
        return None
    return 1.0 if upper >= null_value else evalue_of_ratio(upper, null_value)


@dataclass(frozen=True)
class EValueResult(Result):
    """E-values of a risk ratio (VanderWeele & Ding 2017).

    Attributes
    ----------
    scale : the scale of the numbers given ("RR", "OR", "HR", "SMD"), or "RR" for an effect's arm means.
    given : the point estimate and CI limits on that scale, as given (None where not given).
    risk_ratio, rr_ci_lower, rr_ci_upper : the risk ratio (converted when needed) and its CI.
    evalue_point : E-value of the point estimate. ``evalue_ci`` : of the CI limit closest to the null
        (1 if the CI contains it; None without a CI).
    null_value : the risk ratio the estimate is shifted to (1: explained away).
    conversion : how the risk ratio was obtained (text). ``rr_ci_method`` : how its CI was.
    outcome : the outcome (effect input). ``source`` : method, estimand, p1, p0 of the effect.
    notes : caveats.
    """

    scale: str
    given: tuple[float | None, float | None, float | None]
    risk_ratio: float
    rr_ci_lower: float | None
    rr_ci_upper: float | None
    evalue_point: float
    evalue_ci: float | None
    null_value: float
    conversion: str
    rr_ci_method: str | None = None
    outcome: str | None = None
    alpha: float | None = None
    source: dict[str, Any] | None = None
    notes: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """Two rows as in R's EValue: the risk ratio (point, lower, upper) and the E-values, the CI's under
        the limit closest to the null."""
        near_lower = self.risk_ratio >= self.null_value
        ev_low, ev_up = (self.evalue_ci, None) if near_lower else (None, self.evalue_ci)
        return pd.DataFrame({"point": [self.risk_ratio, self.evalue_point], "lower": [self.rr_ci_lower, ev_low],
                             "upper": [self.rr_ci_upper, ev_up]},
                            index=pd.Index(["risk_ratio", "evalue"], name="quantity"))

    def summary(self) -> Summary:
        lead = (f"E-value (VanderWeele & Ding 2017): an unmeasured confounder associated with both the treatment and "
                f"the outcome by a risk ratio of {self.evalue_point:.3f} each, beyond the measured covariates, could "
                "explain away the risk ratio; weaker confounding could not.")
        if self.evalue_ci is not None:
            lead += f" To move the confidence interval to include the null: {self.evalue_ci:.3f}."
        notes = [lead, f"Risk ratio: {self.conversion}."]
        if self.rr_ci_method:
            notes.append(f"Confidence interval of the risk ratio: {self.rr_ci_method}.")
        title = "E-value" + (f" on {self.outcome}" if self.outcome else "")
        return Summary(title=title, tables=(("Risk ratio and E-values", self.to_frame()),),
                       notes=tuple([*notes, *self.notes]))

    def to_dict(self) -> dict[str, Any]:
        return jsonable({
            "method": "evalue", "outcome": self.outcome, "scale": self.scale,
            "given": {"point": self.given[0], "lower": self.given[1], "upper": self.given[2]},
            "risk_ratio": self.risk_ratio, "rr_ci_lower": self.rr_ci_lower, "rr_ci_upper": self.rr_ci_upper,
            "rr_ci_method": self.rr_ci_method, "ci_level": None if self.alpha is None else 1 - self.alpha,
            "evalue": self.evalue_point, "evalue_ci": self.evalue_ci, "null_value": self.null_value,
            "conversion": self.conversion, "source": self.source, "notes": list(self.notes),
        })


def _convert(scale: str, value: float, rare: bool | None) -> float:
    if scale == "RR":
        return value
    if scale == "OR":
        return value if rare else math.sqrt(value)
    if scale == "HR":
        return value if rare else (1.0 - 0.5 ** math.sqrt(value)) / (1.0 - 0.5 ** math.sqrt(1.0 / value))
    return math.exp(_SMD_SLOPE * value)


_CONVERSION_TEXT = {
    ("RR", None): "given as a risk ratio",
    ("OR", True): "odds ratio of a rare outcome (< 15%), taken as the risk ratio",
    ("OR", False): "sqrt(odds ratio), the approximation for a common outcome (VanderWeele 2017)",
    ("HR", True): "hazard ratio of a rare outcome, taken as the risk ratio",
    ("HR", False): "(1 - 0.5^sqrt(HR)) / (1 - 0.5^sqrt(1/HR)), the approximation for a common outcome",
    ("SMD", None): "exp(0.91 d) from the standardized mean difference d (VanderWeele & Ding 2017)",
}


def _from_numbers(estimate: float, lower: Any, upper: Any, *, scale: str, rare: Any, se: Any, null_value: Any,
                  alpha: float) -> EValueResult:
    if scale in ("OR", "HR") and not isinstance(rare, bool):
        raise SpecificationError(f"{_FUNC}(): scale={scale!r} needs rare=True (outcome < 15% at the end of follow-up) "
                                 f"or rare=False; got {rare!r}.")
    est = check_number("estimate", estimate, _FUNC, low=None if scale == "SMD" else 0.0, low_open=scale != "SMD")
    lo = None if lower is None else check_number("lower", lower, _FUNC)
    hi = None if upper is None else check_number("upper", upper, _FUNC)
    ci_method = None
    if scale == "SMD":
        if lo is not None or hi is not None:
            raise SpecificationError(f"{_FUNC}(): for scale='SMD' give the standard error 'se', not CI limits.")
        null = 0.0 if null_value is None else check_number("null_value", null_value, _FUNC)
        rr, rr_null = _convert("SMD", est, None), math.exp(_SMD_SLOPE * null)
        rr_lo = rr_hi = None
        if se is not None:
            half = _SMD_CI * float(stats.norm.ppf(1 - alpha / 2) / stats.norm.ppf(0.975)) * check_number("se", se, _FUNC, low=0.0)
            rr_lo, rr_hi = math.exp(_SMD_SLOPE * est - half), math.exp(_SMD_SLOPE * est + half)
            ci_method = "exp(0.91 d -/+ 1.78 se) (VanderWeele & Ding 2017), 1.78 scaled by z_{1-alpha/2} / z_{0.975}"
        key: tuple[str, bool | None] = ("SMD", None)
    else:
        if se is not None:
            raise SpecificationError(f"{_FUNC}(): 'se' is for scale='SMD'; give CI limits 'lower'/'upper' instead.")
        if (lo is not None and not 0 < lo <= est) or (hi is not None and not hi >= est):
            raise SpecificationError(f"{_FUNC}(): the CI limits must be positive and lower <= estimate <= upper; got "
                                     f"{lo!r}, {est!r}, {hi!r}.")
        null = 1.0 if null_value is None else check_number("null_value", null_value, _FUNC, low=0.0, low_open=True)
        rr, rr_null = _convert(scale, est, rare), _convert(scale, null, rare)
        rr_lo = None if lo is None else _convert(scale, lo, rare)
        rr_hi = None if hi is None else _convert(scale, hi, rare)
        key = (scale, None if scale == "RR" else bool(rare))
        if lo is not None or hi is not None:
            ci_method = "the given limits" + ("" if scale == "RR" else ", converted like the estimate")
    return EValueResult(scale=scale, given=(est, lo, hi), risk_ratio=rr, rr_ci_lower=rr_lo, rr_ci_upper=rr_hi,
                        evalue_point=evalue_of_ratio(rr, rr_null), evalue_ci=_ci_evalue(rr, rr_lo, rr_hi, rr_null),
                        null_value=rr_null, conversion=_CONVERSION_TEXT[key], rr_ci_method=ci_method,
                        alpha=alpha if ci_method else None)


def _from_effect(result: Any, null_value: Any) -> EValueResult:
    diag = getattr(result, "diagnostics", {}) or {}
    pom, cov = diag.get("potential_outcome_means"), diag.get("potential_outcome_covariance")
    if not isinstance(pom, pd.DataFrame) or not isinstance(cov, pd.DataFrame):
        raise SpecificationError(
            f"{_FUNC}(): this {getattr(result, 'method', type(result).__name__)} result carries no potential-outcome "
            "means with their covariance (regression_adjustment, ipw and doubly_robust results do); give a risk ratio "
            "and its CI as numbers instead: evalue(rr, lower=..., upper=...).")
    if not diag.get("binary_outcome"):
        raise DataError(f"{_FUNC}(): the outcome '{result.outcome}' is not 0/1; the risk ratio of arm means is defined "
                        "for a binary outcome. For a continuous outcome use scale='SMD' with a standardized difference.",
                        column=result.outcome)
    p1, p0 = float(pom.loc["treated", "estimate"]), float(pom.loc["control", "estimate"])
    if not (0 < p1 <= 1 and 0 < p0 <= 1):
        raise DataError(f"{_FUNC}(): the potential-outcome means must be probabilities in (0, 1]; got p1 = {p1:.4g}, "
                        f"p0 = {p0:.4g} (a linear outcome model can extrapolate outside [0, 1]).")
    v = cov.loc[["treated", "control"], ["treated", "control"]].to_numpy(dtype=float)
    grad = np.array([1.0 / p1, -1.0 / p0])
    sd = float(np.sqrt(max(grad @ v @ grad, 0.0)))
    alpha = float(result.alpha)
    z = float(stats.norm.ppf(1 - alpha / 2))
    rr = p1 / p0
    lo, hi = rr * math.exp(-z * sd), rr * math.exp(z * sd)
    null = 1.0 if null_value is None else check_number("null_value", null_value, _FUNC, low=0.0, low_open=True)
    source = {"method": result.method, "estimand": result.estimand, "estimate": result.estimate, "p1": p1, "p0": p0,
              "log_rr_std_error": sd}
    notes = ("The E-value is on the risk-ratio scale; the effect itself is a difference of probabilities "
             f"({result.estimate:.4g}). It makes no assumption on the confounder's prevalence.",)
    return EValueResult(
        scale="RR", given=(rr, lo, hi), risk_ratio=rr, rr_ci_lower=lo, rr_ci_upper=hi,
        evalue_point=evalue_of_ratio(rr, null), evalue_ci=_ci_evalue(rr, lo, hi, null), null_value=null,
        conversion=(f"p1 / p0 = {p1:.4g} / {p0:.4g}, the potential-outcome means of the {result.estimand} "
                    f"population ({result.method})"),
        rr_ci_method=("delta method on log RR, Var = V11/p1^2 + V00/p0^2 - 2 V10/(p1 p0), with the joint "
                      f"influence-function covariance of (p1, p0) ({result.inference.name}), normal quantile"),
        outcome=result.outcome, alpha=alpha, source=source, notes=notes)


def evalue(
    effect: Any,
    *,
    lower: float | None = None,
    upper: float | None = None,
    scale: str = "RR",
    rare: bool | None = None,
    se: float | None = None,
    null_value: float | None = None,
    alpha: float = 0.05,
) -> EValueResult:
    """E-value of an effect on a binary outcome, or of a risk ratio (or OR, HR, SMD) given as numbers.

    Parameters
    ----------
    effect : an EffectResult of ``regression_adjustment``, ``ipw`` or ``doubly_robust`` on a 0/1
        outcome (the risk ratio is the ratio of its potential-outcome means, its CI by the delta
        method on log RR), or a number on ``scale``.
    lower, upper : CI limits on ``scale`` (numbers only).
    scale : "RR" (default), "OR" or "HR" (with ``rare``), or "SMD" (a standardized mean difference,
        with ``se``), for numbers; converted to a risk ratio as in the module docstring.
    rare : for OR and HR, whether the outcome is rare (< 15% at the end of follow-up).
    se : standard error of a standardized mean difference.
    null_value : the value to shift the estimate to, on ``scale`` (default: 1, or 0 for an SMD).
    alpha : 1 - confidence level of the SMD's interval (an effect's level is its own).

    Returns
    -------
    EValueResult: the risk ratio and its CI, ``evalue_point``, ``evalue_ci``.

    Assumptions: the E-value bounds confounding by an unmeasured variable of any type, with the
    associations measured as risk ratios conditional on the measured covariates (Ding & VanderWeele
    2016); conversions from OR, HR and SMD are approximations. It applies to any of the estimators
    (it needs only the risk ratio), and says nothing about other biases (selection, measurement).

    References
    ----------
    VanderWeele & Ding (2017), Annals of Internal Medicine 167(4), 268-274; module docstring.
    Reproduced: tests/test_evalue.py (the paper's worked examples and the EValue R package's).

    Examples
    --------
    >>> round(evalue(3.9, lower=1.8, upper=8.7).evalue_point, 2)
    7.26
    >>> round(evalue(3.9, lower=1.8, upper=8.7).evalue_ci, 2)
    3.0
    """
    scale = str(check_choice("scale", scale, SCALES, _FUNC))
    alpha = check_number("alpha", alpha, _FUNC, low=0.0, high=0.5, low_open=True)
    if rare is not None and not isinstance(rare, bool):
        raise SpecificationError(f"the 'rare' parameter of {_FUNC}() must be True, False or None; got {rare!r}.")
    if hasattr(effect, "diagnostics") and hasattr(effect, "estimand"):
        if lower is not None or upper is not None or se is not None or scale != "RR" or rare is not None:
            raise SpecificationError(f"{_FUNC}(): with an effect result the risk ratio and its CI come from its arm "
                                     "means; 'lower', 'upper', 'se', 'scale' and 'rare' are for numbers.")
        return _from_effect(effect, null_value)
    if isinstance(effect, bool) or not isinstance(effect, (int, float, np.integer, np.floating)):
        raise SpecificationError(f"{_FUNC}() takes an EffectResult or a number; got {type(effect).__name__}.")
    return _from_numbers(float(effect), lower, upper, scale=scale, rare=rare, se=se, null_value=null_value,
                         alpha=alpha)
