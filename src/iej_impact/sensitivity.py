"""Rosenbaum bounds: how strong would hidden bias have to be to explain away a matched-pair effect?

Sensitivity model (Rosenbaum 2002, Observational Studies, 2nd ed., sections 4.2-4.4): within a
matched pair, two units with the same observed covariates may differ in their odds of treatment by
at most a factor Gamma >= 1 because of an unobserved covariate. Gamma = 1 is a randomized
experiment within pairs. For each Gamma the one-sided p-value of the test of no effect (against a
positive effect) is not known exactly but lies between a lower and an upper bound; the *critical
Gamma* is the smallest Gamma at which the upper bound reaches ``alpha``: an unobserved confounder
must change the odds of treatment by that factor to make the effect non-significant.

Tests
-----
``wilcoxon`` (continuous outcomes): Wilcoxon's signed-rank statistic T = sum of the ranks of |d_i|
over pairs with d_i = Y_treated - Y_control > 0 (zero differences dropped, tied |d_i| given average
ranks). Under Gamma, T is bounded stochastically by T+ = sum_i r_i B_i, B_i ~ Bernoulli(p+) with
p+ = Gamma / (1 + Gamma) (and T- with p- = 1 / (1 + Gamma)): E T+ = p+ sum r_i,
Var T+ = p+ (1 - p+) sum r_i^2, and the upper-bound p-value is 1 - Phi((T - E T+) / sd T+)
(Rosenbaum 2002, section 4.3.3, normal approximation; the sums over the actual ranks handle ties).
At Gamma = 1 this is the usual large-sample signed-rank test with the tie-corrected variance.

``mcnemar`` (binary outcomes): only discordant pairs carry information; with a of them favouring
the treated unit out of D, the bounds are the exact binomial tails P(Binomial(D, p+) >= a) and
P(Binomial(D, p-) >= a) (Rosenbaum 2002, section 4.3.2; McNemar's test at Gamma = 1).

The matched sets must be pairs (1:1 matching). Pairs that share a control (matching with
replacement) are not independent, which the model assumes; the result carries a note then.

References
----------
Rosenbaum, P. (2002). Observational Studies, 2nd ed. Springer, chapter 4.
Keele, L. (2010). An overview of rbounds: an R package for Rosenbaum bounds sensitivity analysis
with matched data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from ._validation import check_choice, check_number
from .errors import DataError, SpecificationError
from .results import Result, Summary, jsonable

__all__ = ["rosenbaum_bounds", "SensitivityResult"]

_FUNC = "rosenbaum_bounds"
DEFAULT_GAMMAS: tuple[float, ...] = tuple(round(1 + 0.1 * k, 1) for k in range(21))


@dataclass(frozen=True)
class SensitivityResult(Result):
    """Rosenbaum bounds for a matched-pair comparison.

    Attributes
    ----------
    test : "wilcoxon" or "mcnemar".
    outcome : outcome name (or None when pairs were given directly).
    statistic : the observed statistic (signed-rank sum T, or discordant pairs favouring treatment).
    n_pairs : pairs used (wilcoxon: non-zero differences; mcnemar: discordant pairs).
    gammas : the Gamma values.
    p_upper, p_lower : upper and lower bounds on the one-sided p-value at each Gamma.
    critical_gamma : smallest Gamma at which the upper bound reaches ``alpha`` (1.0 if not
        significant at Gamma = 1; inf if never, e.g. all pairs favour treatment with many pairs).
    alpha : the significance level.
    notes : caveats.
    """

    test: str
    outcome: str | None
    statistic: float
    n_pairs: int
    gammas: np.ndarray = field(repr=False)
    p_upper: np.ndarray = field(repr=False)
    p_lower: np.ndarray = field(repr=False)
    critical_gamma: float
    alpha: float
    notes: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """One row per Gamma: ``gamma``, ``p_lower``, ``p_upper``, ``significant`` (upper bound < alpha)."""
        return pd.DataFrame({
            "gamma": self.gammas,
            "p_lower": self.p_lower,
            "p_upper": self.p_upper,
            "significant": self.p_upper < self.alpha,
        })

    def summary(self) -> Summary:
        notes = [
            f"{self.test} test on {self.n_pairs} pairs (statistic {self.statistic:g}); one-sided, H1: positive effect.",
            f"Critical Gamma at alpha = {self.alpha:g}: {self.critical_gamma:.4g} (an unobserved confounder would "
            "have to multiply the odds of treatment within pairs by this factor to make the effect non-significant).",
            *self.notes,
        ]
        return Summary(title="Rosenbaum bounds", tables=(("Bounds on the p-value", self.to_frame().set_index("gamma")),),
                       notes=tuple(notes))

    def to_dict(self) -> dict[str, Any]:
        return jsonable({
            "test": self.test,
            "outcome": self.outcome,
            "statistic": self.statistic,
            "n_pairs": self.n_pairs,
            "critical_gamma": self.critical_gamma,
            "alpha": self.alpha,
            "bounds": self.to_frame().to_dict(orient="list"),
            "notes": list(self.notes),
        })


def _pairs_from_match(result: Any, outcome: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    notes: list[str] = []
    mm = getattr(result, "match_matrix", None)
    if mm is None:
        raise SpecificationError(
            f"{_FUNC}() needs matched pairs: this matching result used method={result.method!r}. "
            "Use method='nearest' with ratio=1."
        )
    if mm.shape[1] != 1:
        raise SpecificationError(
            f"{_FUNC}() is defined for 1:1 matched pairs; this result matched 1:{mm.shape[1]}. Re-match with ratio=1."
        )
    data = result.data
    if outcome not in data.columns:
        raise DataError(f"{_FUNC}(): outcome column '{outcome}' not found in the matched data.", column=outcome)
    y = pd.to_numeric(data[outcome], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    treated = result.treated
    focal = ~treated if result.estimand == "ATC" else treated
    f_rows = np.flatnonzero(focal)
    has = mm[:, 0] >= 0
    fr, cr = f_rows[has], mm[has, 0]
    t_rows, c_rows = (cr, fr) if result.estimand == "ATC" else (fr, cr)
    if np.unique(cr).shape[0] < cr.shape[0]:
        notes.append(
            f"{cr.shape[0] - np.unique(cr).shape[0]} pairs reuse a control (matching with replacement): pairs are "
            "not independent, which the sensitivity model assumes; the bounds are approximate."
        )
    yt, yc = y[t_rows], y[c_rows]
    bad = ~np.isfinite(yt) | ~np.isfinite(yc)
    if bad.any():
        raise DataError(f"{_FUNC}(): outcome '{outcome}' is missing or non-numeric in {int(bad.sum())} matched pairs.",
                        column=outcome)
    return yt, yc, notes


def _wilcoxon_bounds(diff: np.ndarray, gammas: np.ndarray) -> tuple[float, int, np.ndarray, np.ndarray, Any]:
    d = diff[diff != 0]
    ranks = stats.rankdata(np.abs(d))
    t_obs = float(ranks[d > 0].sum())
    s1, s2 = float(ranks.sum()), float(np.sum(ranks**2))

    def upper(g: np.ndarray | float) -> Any:
        p = np.asarray(g, dtype=float) / (1.0 + np.asarray(g, dtype=float))
        return stats.norm.sf((t_obs - p * s1) / np.sqrt(p * (1 - p) * s2))

    def lower(g: np.ndarray) -> Any:
        p = 1.0 / (1.0 + g)
        return stats.norm.sf((t_obs - p * s1) / np.sqrt(p * (1 - p) * s2))

    return t_obs, int(d.shape[0]), upper(gammas), lower(gammas), upper


def _mcnemar_bounds(yt: np.ndarray, yc: np.ndarray, gammas: np.ndarray) -> tuple[float, int, np.ndarray, np.ndarray, Any]:
    a = int(np.sum((yt == 1) & (yc == 0)))
    disc = a + int(np.sum((yt == 0) & (yc == 1)))

    def upper(g: np.ndarray | float) -> Any:
        return stats.binom.sf(a - 1, disc, np.asarray(g, dtype=float) / (1.0 + np.asarray(g, dtype=float)))

    lower = stats.binom.sf(a - 1, disc, 1.0 / (1.0 + gammas))
    return float(a), disc, upper(gammas), lower, upper


def rosenbaum_bounds(
    result_or_pairs: Any,
    *,
    outcome: str | None = None,
    gammas: Sequence[float] = DEFAULT_GAMMAS,
    alpha: float = 0.05,
    test: str = "auto",
) -> SensitivityResult:
    """Rosenbaum bounds on the one-sided p-value of a 1:1 matched comparison, and the critical Gamma.

    Parameters
    ----------
    result_or_pairs : a :class:`~iej_impact.matching.MatchResult` of 1:1 nearest-neighbour
        matching (with ``outcome``), or an (n_pairs, 2) array / two-column DataFrame of outcomes
        (treated, control).
    outcome : outcome column (MatchResult input).
    gammas : values of Gamma >= 1 at which to bound the p-value (default 1, 1.1, ..., 3).
    alpha : significance level for the critical Gamma.
    test : "wilcoxon" (signed-rank), "mcnemar" (binary outcomes) or "auto" (McNemar when the
        outcome takes only the values 0 and 1).

    Returns
    -------
    SensitivityResult

    Notes
    -----
    The test is one-sided against a positive effect (treated minus control); for an outcome where
    the programme is expected to lower the outcome, pass its negative. Method and reference: see
    the module docstring (Rosenbaum 2002, ch. 4).

    Examples
    --------
    >>> import numpy as np
    >>> res = rosenbaum_bounds(np.column_stack([np.arange(1.0, 21.0), np.zeros(20)]), gammas=[1, 2])
    >>> bool(res.p_upper[0] < 0.001)
    True
    """
    check_number("alpha", alpha, _FUNC, low=0.0, high=0.5, low_open=True)
    test = str(check_choice("test", test, ("auto", "wilcoxon", "mcnemar"), _FUNC))
    g = np.asarray(list(gammas), dtype=float)
    if g.size == 0 or not np.all(np.isfinite(g)) or (g < 1).any():
        raise SpecificationError(f"{_FUNC}(): 'gammas' must be finite values >= 1; got {list(gammas)!r}.")
    notes: list[str] = []
    if hasattr(result_or_pairs, "match_matrix"):
        if outcome is None:
            raise SpecificationError(f"{_FUNC}(): pass 'outcome' (a column of the matched data).")
        yt, yc, notes = _pairs_from_match(result_or_pairs, outcome)
    else:
        arr = np.asarray(result_or_pairs.to_numpy() if isinstance(result_or_pairs, pd.DataFrame) else result_or_pairs,
                         dtype=float)
        if arr.ndim != 2 or arr.shape[1] != 2:
            raise SpecificationError(f"{_FUNC}(): pairs must be an (n_pairs, 2) array (treated, control); got shape "
                                     f"{arr.shape}.")
        if not np.isfinite(arr).all():
            raise DataError(f"{_FUNC}(): {int((~np.isfinite(arr)).any(axis=1).sum())} pairs have missing outcomes.")
        yt, yc = arr[:, 0], arr[:, 1]
    if test == "auto":
        binary = np.isin(yt, (0.0, 1.0)).all() and np.isin(yc, (0.0, 1.0)).all()
        test = "mcnemar" if binary else "wilcoxon"
    if test == "mcnemar":
        if not (np.isin(yt, (0.0, 1.0)).all() and np.isin(yc, (0.0, 1.0)).all()):
            raise DataError(f"{_FUNC}(): test='mcnemar' needs a 0/1 outcome; use test='wilcoxon'.", column=outcome)
        stat, n_used, up, lo, upper = _mcnemar_bounds(yt, yc, g)
        what = "discordant pairs"
    else:
        stat, n_used, up, lo, upper = _wilcoxon_bounds(yt - yc, g)
        what = "pairs with a non-zero difference"
    if n_used == 0:
        raise DataError(f"{_FUNC}(): no {what}; the test has no information.")
    critical = _critical_gamma(upper, alpha)
    return SensitivityResult(test=test, outcome=outcome, statistic=stat, n_pairs=n_used, gammas=g, p_upper=up,
                             p_lower=lo, critical_gamma=critical, alpha=float(alpha), notes=tuple(notes))


def _critical_gamma(upper: Any, alpha: float, high: float = 1e6) -> float:
    """Smallest Gamma >= 1 with upper-bound p-value >= alpha (bisection on log Gamma)."""
    if float(upper(1.0)) >= alpha:
        return 1.0
    if float(upper(high)) < alpha:
        return float("inf")
    root = optimize.brentq(lambda lg: float(upper(np.exp(lg))) - alpha, 0.0, np.log(high), xtol=1e-10)
    return float(np.exp(root))
