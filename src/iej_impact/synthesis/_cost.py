"""Cost per participant and cost per additional outcome of a programme, with a confidence set for the
ratio (delta method, or Fieller's set when the effect's interval holds 0)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from .._validation import check_choice, check_number, short_repr
from ..errors import DataError, SpecificationError
from ..results import Result, Summary, jsonable

__all__ = ["CostEffectResult", "cost_per_outcome", "fieller_interval", "operations_cost"]

#: the amount column of the operations table (docs/reference/data-model.md#operations)
AMOUNT_COLUMN = "amount_fse_iej"
Interval = tuple[float, float]
#: below this |estimate / std_error| the delta method's interval of c / effect under-covers noticeably (a note says so)
DELTA_T = 8.0


def fieller_interval(numerator: float, denominator: float, *, var_numerator: float = 0.0, var_denominator: float,
                     covariance: float = 0.0, alpha: float = 0.05) -> tuple[str, tuple[Interval, ...]]:
    """Fieller's (1954) confidence set for the ratio numerator / denominator of two normal estimates.

    The set of r for which (a - r b)^2 <= z^2 (v_a - 2 r c + r^2 v_b), z the normal 1 - alpha/2
    quantile, i.e. the r the Wald test of a - r b = 0 does not reject. Returns (kind, intervals):
    ``"interval"`` (one bounded interval, when the denominator's interval excludes 0), ``"two_rays"``
    ((-inf, r1] and [r2, inf): the denominator's interval holds 0), ``"half_line"`` or
    ``"everything"`` ((-inf, inf)). Infinite ends are ``-inf`` / ``inf``.
    """
    z = float(stats.norm.ppf(1 - alpha / 2))
    a, b = float(numerator), float(denominator)
    qa = b * b - z * z * var_denominator
    qb = -2.0 * (a * b - z * z * covariance)
    qc = a * a - z * z * var_numerator
    disc = qb * qb - 4 * qa * qc
    inf = math.inf
    if qa == 0:
        if qb == 0:
            return "everything", ((-inf, inf),)
        root = -qc / qb
        return "half_line", (((-inf, root),) if qb > 0 else ((root, inf),))
    if disc <= 0:  # qa > 0 with disc < 0 cannot happen: the set holds a / b
        return "everything", ((-inf, inf),)
    r1, r2 = sorted(((-qb - math.sqrt(disc)) / (2 * qa), (-qb + math.sqrt(disc)) / (2 * qa)))
    if qa > 0:
        return "interval", ((r1, r2),)
    return "two_rays", ((-inf, r1), (r2, inf))


def operations_cost(operations: pd.DataFrame, column: str = AMOUNT_COLUMN) -> float:
    """The programme's cost: the sum of the operations table's amounts (numbers, or French text such as
    "1 298 429 €"; empty cells, e.g. the rows of a shared envelope given once, are skipped)."""
    from ..data._parsing import parse_number

    if column not in operations.columns:
        raise DataError(f"cost_per_outcome(): the operations table has no column {column!r} (the programmed amount); "
                        f"columns: {list(map(str, operations.columns))[:20]}.", column=column)
    values = parse_number(operations[column], style="fr", column=column, source="operations").values
    if values.notna().sum() == 0:
        raise DataError(f"cost_per_outcome(): the column {column!r} of the operations table holds no amount.",
                        column=column)
    return float(values.sum(skipna=True))


@dataclass(frozen=True)
class CostEffectResult(Result):
    """Cost per participant and per additional outcome of a programme (see :func:`cost_per_outcome`)."""

    outcome: str | None
    estimand: str | None
    source_method: str | None
    cost: float
    cost_source: str
    n_treated: int
    effect: float
    effect_std_error: float
    cost_per_participant: float
    additional_outcomes: float
    additional_outcomes_ci: Interval
    cost_per_additional_outcome: float
    ci_kind: str
    ci_set: tuple[Interval, ...]
    ci_method: str
    alpha: float = 0.05
    notes: tuple[str, ...] = ()

    @property
    def ci(self) -> Interval | None:
        """The confidence interval of the cost per additional outcome when it is one bounded interval, else None."""
        if len(self.ci_set) == 1 and all(math.isfinite(v) for v in self.ci_set[0]):
            return self.ci_set[0]
        return None

    def to_dict(self) -> dict[str, Any]:
        ci = self.ci
        return jsonable({
            "method": "cost_per_outcome", "outcome": self.outcome, "estimand": self.estimand,
            "source_method": self.source_method, "cost": self.cost, "cost_source": self.cost_source,
            "n_treated": self.n_treated, "effect": self.effect, "effect_std_error": self.effect_std_error,
            "cost_per_participant": self.cost_per_participant, "additional_outcomes": self.additional_outcomes,
            "additional_outcomes_ci_lower": self.additional_outcomes_ci[0],
            "additional_outcomes_ci_upper": self.additional_outcomes_ci[1],
            "cost_per_additional_outcome": self.cost_per_additional_outcome,
            "ci_lower": ci[0] if ci else None, "ci_upper": ci[1] if ci else None, "ci_level": 1 - self.alpha,
            "ci_method": self.ci_method, "ci_kind": self.ci_kind, "ci_set": [list(iv) for iv in self.ci_set],
            "notes": list(self.notes)})

    def to_frame(self) -> pd.DataFrame:
        d = self.to_dict()
        keys = ("outcome", "estimand", "cost", "n_treated", "cost_per_participant", "effect", "additional_outcomes",
                "cost_per_additional_outcome", "ci_lower", "ci_upper", "ci_kind", "ci_method")
        row = {k: d[k] for k in keys}
        row["ci_set"] = " U ".join(f"[{_end(lo)}, {_end(hi)}]" for lo, hi in self.ci_set)
        return pd.DataFrame([row])

    def summary(self) -> Summary:
        table = self.to_frame().T.rename(columns={0: "value"})
        return Summary(title=f"Cost per additional outcome ({self.outcome})", tables=(("", table),),
                       notes=self.notes)


def _end(v: float) -> str:
    return f"{v:.6g}" if math.isfinite(v) else ("-inf" if v < 0 else "inf")


def cost_per_outcome(effect_result: Any, *, cost: float | pd.DataFrame, n_treated: int | None = None,
                     alpha: float = 0.05, method: Literal["auto", "delta", "fieller"] = "auto",
                     amount_column: str = AMOUNT_COLUMN) -> CostEffectResult:
    """Cost per participant and cost per additional outcome, with a confidence set.

    Parameters
    ----------
    effect_result : an effect (``EffectResult``), preferably an ATT: its ``estimate`` is the effect per
        participant and its ``std_error`` its uncertainty.
    cost : the programme's total cost, a positive number, or the operations table (its
        ``amount_column`` summed, see :func:`operations_cost`). The cost is taken as known.
    n_treated : the number of participants the cost pays for (default: the result's ``n_treated``).
    alpha : 1 - the confidence level.
    method : ``"delta"``, ``"fieller"`` or ``"auto"``: Fieller's set unless the effect is at least
        ``DELTA_T`` standard errors from 0, where the delta method covers as well (the delta-method
        interval of a ratio under-covers: about 0.90 at 3, 0.92 at 4, 0.94 at 6 standard errors for a
        nominal 0.95; Fieller's set is exact under normality).

    Returns
    -------
    :class:`CostEffectResult`: cost per participant c = cost / n_treated; additional outcomes
    ATT x n_treated (with its interval); cost per additional outcome c / ATT = cost / (ATT x n_treated)
    with its confidence set: delta method c / ATT +/- z c se / ATT^2, or Fieller's set {r: (c - r ATT)^2
    <= z^2 r^2 se^2}, which is [c / (ATT + z se), c / (ATT - z se)] when the effect's interval excludes 0
    and two unbounded rays (-inf, c / (ATT - z se)] U [c / (ATT + z se), inf) when it holds 0.
    ``ci_method`` says which was used.
    """
    func = "cost_per_outcome"
    est, se = _effect(effect_result)
    check_number("alpha", alpha, func, low=0, high=1, low_open=True)
    check_choice("method", method, ("auto", "delta", "fieller"), func)
    if isinstance(cost, pd.DataFrame):
        total, source = operations_cost(cost, amount_column), f"operations table ({amount_column} summed)"
    else:
        total, source = check_number("cost", cost, func, low=0, low_open=True), "given"
    n = effect_result.n_treated if n_treated is None else n_treated
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n <= 0:
        raise SpecificationError(f"the 'n_treated' parameter of {func}() must be a positive integer (the participants "
                                 f"the cost pays for); got {short_repr(n)}.")
    n = int(n)
    z = float(stats.norm.ppf(1 - alpha / 2))
    c = total / n
    excludes_zero = abs(est) > z * se
    # auto: Fieller (exact under normality) unless the effect is so precise that the delta method is as good
    precise = est != 0 and abs(est) >= DELTA_T * se
    used = ("delta" if precise else "fieller") if method == "auto" else method
    ratio = c / est if est != 0 else math.inf
    if used == "delta":
        half = z * c * se / est ** 2 if est != 0 else math.inf
        kind, ci_set = ("interval" if math.isfinite(half) else "everything"), ((ratio - half, ratio + half),)
    else:
        kind, ci_set = fieller_interval(c, est, var_denominator=se ** 2, alpha=alpha)
    notes = _notes(used, method, excludes_zero, kind, est, effect_result, alpha)
    if used == "delta" and excludes_zero and abs(est) < DELTA_T * se:
        (lo, hi), = fieller_interval(c, est, var_denominator=se ** 2, alpha=alpha)[1]
        notes += (f"With |estimate / std_error| = {abs(est) / se:.1f} the delta-method interval of a ratio under-covers "
                  "(about 0.90 at 3, 0.92 at 4, 0.94 at 6 for a nominal 0.95); Fieller's interval, exact under "
                  f"normality, is [{lo:.6g}, {hi:.6g}] (method='fieller').",)
    return CostEffectResult(
        outcome=getattr(effect_result, "outcome", None), estimand=getattr(effect_result, "estimand", None),
        source_method=getattr(effect_result, "method", None), cost=total, cost_source=source, n_treated=n,
        effect=est, effect_std_error=se, cost_per_participant=c, additional_outcomes=est * n,
        additional_outcomes_ci=((est - z * se) * n, (est + z * se) * n), cost_per_additional_outcome=ratio,
        ci_kind=kind, ci_set=ci_set, ci_method=used, alpha=float(alpha), notes=notes)


def _effect(res: Any) -> tuple[float, float]:
    est, se = getattr(res, "estimate", None), getattr(res, "std_error", None)
    if callable(est) or est is None or se is None:
        raise SpecificationError("cost_per_outcome() needs an effect result (with estimate and std_error), such as "
                                 f"the result of ipw() or psm(); got {type(res).__name__}.")
    est, se = float(est), float(se)
    if not (math.isfinite(est) and math.isfinite(se) and se >= 0):
        raise DataError(f"cost_per_outcome(): the effect has no finite estimate and standard error ({est}, {se}).")
    return est, se


def _notes(used: str, method: str, excludes_zero: bool, kind: str, est: float, res: Any, alpha: float) -> tuple[str, ...]:
    level = f"{100 * (1 - alpha):g}%"
    why = (("chosen because the effect is at least "
            f"{DELTA_T:g} standard errors from 0" if used == "delta" else
            "chosen because the effect is fewer than "
            f"{DELTA_T:g} standard errors from 0, where the delta method under-covers") if method == "auto"
           else "requested")
    notes = [f"Confidence set of the cost per additional outcome ({level}): "
             f"{'delta method' if used == 'delta' else 'Fieller'} ({why}); the cost is taken as known."]
    if used == "delta" and not excludes_zero:
        notes.append("The effect's interval holds 0: the delta-method interval is unreliable; Fieller's set "
                     "(method='fieller') is unbounded.")
    if kind == "two_rays":
        notes.append("The effect's interval holds 0, so the cost per additional outcome is unbounded: the set is two "
                     "rays, (-inf, lower] U [upper, inf).")
    elif kind in ("everything", "half_line"):
        notes.append("The confidence set is unbounded; the data do not bound the cost per additional outcome.")
    if est <= 0:
        notes.append("The estimated effect is not positive: there is no additional outcome to pay for at the point "
                     "estimate, and a negative cost per additional outcome is not a cost.")
    estimand = getattr(res, "estimand", None)
    if estimand is not None and not str(estimand).upper().startswith("ATT"):
        notes.append(f"The effect is an {estimand}, not the effect on participants (ATT): ATT x participants is "
                     "the number of additional outcomes only if the two coincide.")
    return tuple(notes)
