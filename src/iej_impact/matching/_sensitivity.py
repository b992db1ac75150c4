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
``wilcoxon`` (continuous outcomes): Wilcoxon's signed-rank statistic T = sum of the ranks r_i of
|d_i| over pairs with d_i = Y_treated - Y_control > 0, tied |d_i| given average ranks. Zero
differences are either dropped before ranking (``zero_method="wilcox"``: Wilcoxon's convention, R
rbounds' ``psens`` and scipy's default) or ranked with the others and then given score 0
(``zero_method="pratt"``: Pratt 1959, the convention of Rosenbaum's book and of his R function
``senWilcox``). Under Gamma, T is bounded stochastically by T+ = sum_i r_i B_i, B_i ~ Bernoulli(p+)
with p+ = Gamma / (1 + Gamma) (and T- with p- = 1 / (1 + Gamma)) (Rosenbaum 2002, section 4.3.3).

* ``method="normal"`` (default, as rbounds and ``senWilcox``): E T+ = p+ sum r_i,
  Var T+ = p+ (1 - p+) sum r_i^2, upper bound 1 - Phi((T - E T+) / sd T+), no continuity
  correction. At Gamma = 1 this is the large-sample signed-rank test with the tie-corrected variance.
* ``method="exact"``: P(T+ >= T) from the exact distribution of sum r_i B_i, computed by convolution
  over the doubled (integer) scores (Rosenbaum 2010, Design of Observational Studies, section 3.9;
  R ``senWilcoxExact``). Ties are allowed (average ranks are multiples of 1/2).

Hodges-Lehmann point estimates (Rosenbaum 1993; 2002, section 4.3.5): under the additive model
Y_treated - Y_control = tau + noise, the estimate under Gamma solves T(tau) = E T+ (lower end of the
interval of estimates) and T(tau) = E T- (upper end), where T(tau) is the signed-rank statistic of
d_i - tau over all pairs. As T(tau) is a step function the estimate is the midpoint of the interval of
solutions, here computed exactly: with M = n (n + 1) / 2 Walsh averages (d_i + d_j) / 2 (i <= j),
T(tau) counts those above tau, so the lower end is the order statistic W_(k) of rank
k = M / (1 + Gamma) (the mean of W_(k) and W_(k+1) when k is an integer) and the upper end the one of
rank M Gamma / (1 + Gamma). At Gamma = 1 both are the usual Hodges-Lehmann estimate (median of the
Walsh averages). R rbounds' ``hlsens`` approximates the same quantities by a grid search of step
``pr`` started at ``wilcox.test``'s estimate.

``mcnemar`` (binary outcomes): only discordant pairs carry information; with a of them favouring
the treated unit out of D, the bounds are P(X >= a) for X ~ Binomial(D, p+) and Binomial(D, p-)
(Rosenbaum 2002, section 4.3.2; McNemar's test at Gamma = 1): exact binomial tails by default (as
rbounds' ``binarysens`` up to version 2.1), or their normal approximation without continuity
correction (``method="normal"``). rbounds 2.2's ``binarysens`` returns P(X > a) instead, i.e. the
tail of a + 1 (tests/reference/test_rosenbaum_published.py).

The matched sets must be pairs (1:1 matching). Pairs that share a control (matching with
replacement) are not independent, which the model assumes; the result carries a note then.

References
----------
Rosenbaum, P. R. (1993). Hodges-Lehmann point estimates of treatment effect in observational
studies. Journal of the American Statistical Association 88(424), 1250-1253.
Rosenbaum, P. R. (2002). Observational Studies, 2nd ed. Springer, chapter 4.
Rosenbaum, P. R. (2010). Design of Observational Studies. Springer, sections 3.5 and 3.9.
Pratt, J. W. (1959). Remarks on zeros and ties in the Wilcoxon signed rank procedures. Journal of the
American Statistical Association 54(287), 655-667.
Keele, L. (2010). An overview of rbounds: an R package for Rosenbaum bounds sensitivity analysis
with matched data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from .._validation import check_choice, check_number
from ..errors import DataError, SpecificationError
from ..results import Result, Summary, jsonable

__all__ = ["rosenbaum_bounds", "SensitivityResult"]

_FUNC = "rosenbaum_bounds"
DEFAULT_GAMMAS: tuple[float, ...] = tuple(round(1 + 0.1 * k, 1) for k in range(21))
#: largest number of informative pairs for ``method="exact"`` with the signed-rank test (the
#: convolution costs about n^3 / 3 operations per Gamma)
MAX_EXACT_PAIRS = 500
#: Walsh averages enumerated at once when locating an order statistic
_WALSH_BLOCK = 2_000_000

_DEFAULT_METHOD = {"wilcoxon": "normal", "mcnemar": "exact"}


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
    method : "normal" or "exact": how the bounding distributions were evaluated.
    zero_method : "wilcox" or "pratt" (signed-rank test; None for McNemar).
    hl_lower, hl_upper : bounds on the Hodges-Lehmann estimate of an additive effect at each Gamma
        (signed-rank test; None for McNemar or when not requested). Equal at Gamma = 1.
    n_total : all pairs, including those without information (zero differences, concordant pairs).
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
    method: str = "normal"
    zero_method: str | None = None
    hl_lower: np.ndarray | None = field(default=None, repr=False)
    hl_upper: np.ndarray | None = field(default=None, repr=False)
    n_total: int | None = None

    def to_frame(self) -> pd.DataFrame:
        """One row per Gamma: ``gamma``, ``p_lower``, ``p_upper``, ``significant`` (upper bound < alpha),
        then ``hl_lower`` and ``hl_upper`` when Hodges-Lehmann bounds were computed."""
        frame = pd.DataFrame({
            "gamma": self.gammas,
            "p_lower": self.p_lower,
            "p_upper": self.p_upper,
            "significant": self.p_upper < self.alpha,
        })
        if self.hl_lower is not None and self.hl_upper is not None:
            frame["hl_lower"] = self.hl_lower
            frame["hl_upper"] = self.hl_upper
        return frame

    def summary(self) -> Summary:
        how = {"normal": "normal approximation", "exact": "exact distribution"}.get(self.method, self.method)
        zeros = f", zero differences: {self.zero_method}" if self.zero_method else ""
        notes = [
            f"{self.test} test on {self.n_pairs} pairs (statistic {self.statistic:g}); one-sided, H1: positive effect; "
            f"bounds from the {how}{zeros}.",
            f"Critical Gamma at alpha = {self.alpha:g}: {self.critical_gamma:.4g} (an unobserved confounder would "
            "have to multiply the odds of treatment within pairs by this factor to make the effect non-significant).",
        ]
        if self.hl_lower is not None:
            notes.append("hl_lower, hl_upper: range of Hodges-Lehmann estimates of an additive effect compatible with "
                         "a hidden bias of at most Gamma (Rosenbaum 1993).")
        return Summary(title="Rosenbaum bounds", tables=(("Bounds on the p-value", self.to_frame().set_index("gamma")),),
                       notes=tuple([*notes, *self.notes]))

    def to_dict(self) -> dict[str, Any]:
        return jsonable({
            "test": self.test,
            "outcome": self.outcome,
            "statistic": self.statistic,
            "n_pairs": self.n_pairs,
            "n_total": self.n_total,
            "method": self.method,
            "zero_method": self.zero_method,
            "critical_gamma": self.critical_gamma,
            "alpha": self.alpha,
            "bounds": self.to_frame().to_dict(orient="list"),
            "notes": list(self.notes),
        })


def _pairs_from_match(result: Any, outcome: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    notes: list[str] = []
    if getattr(result, "sampling_weights", None) is not None:
        raise SpecificationError(
            f"{_FUNC}() tests the matched pairs of a random sample; this matching was given sampling weights, "
            "which Rosenbaum's bounds (permutation tests within pairs) cannot carry. Run it on a matching without "
            "'weights' to judge the sensitivity of the sample's pairs."
        )
    mm = getattr(result, "match_matrix", None)
    if mm is None:
        spec = getattr(result, "spec", {}) or {}
        why = [f"method={result.method!r}"]
        if result.method == "nearest":
            why = [f"estimand={result.estimand!r}"] if result.estimand == "ATE" else []
            if spec.get("ties"):
                why.append("ties=True (matched sets of variable size)")
        raise SpecificationError(
            f"{_FUNC}() needs 1:1 matched pairs; this matching result has none ({', '.join(why) or 'no pairs'}). "
            "Re-match with method='nearest', ratio=1, ties=False and estimand 'ATT' or 'ATC'."
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


def _signed_rank_scores(diff: np.ndarray, zero_method: str) -> tuple[np.ndarray, np.ndarray]:
    """Ranks of |d| for the non-zero differences (Wilcoxon or Pratt zeros) and the mask d > 0 among them."""
    nonzero = diff != 0
    if zero_method == "pratt":
        ranks = stats.rankdata(np.abs(diff))[nonzero]
    else:
        ranks = stats.rankdata(np.abs(diff[nonzero]))
    return ranks, diff[nonzero] > 0


def _exact_signed_rank_tail(scores2: np.ndarray, t2: int, p: np.ndarray) -> np.ndarray:
    """P(sum_i q_i B_i >= t2), B_i ~ Bernoulli(p) independent, for integer scores q_i and each p.

    The distribution is built by convolution, one pair at a time (Pagano and Tritchler 1983;
    Rosenbaum 2010, section 3.9); only the upper tail is summed, so small p-values keep their
    relative accuracy.
    """
    total = int(scores2.sum())
    out = np.zeros(p.shape[0])
    if t2 > total:
        return out
    order = np.sort(scores2)
    for i, pi in enumerate(p):
        pmf = np.zeros(total + 1)
        pmf[0] = 1.0
        hi = 0
        for q in order:
            moved = pi * pmf[: hi + 1]
            pmf[: hi + 1] *= 1.0 - pi
            pmf[q: q + hi + 1] += moved
            hi += int(q)
        out[i] = min(float(pmf[t2:].sum()), 1.0)
    return out


def _wilcoxon_bounds(diff: np.ndarray, gammas: np.ndarray, method: str,
                     zero_method: str) -> tuple[float, int, np.ndarray, np.ndarray, Callable[[float], float]]:
    ranks, positive = _signed_rank_scores(diff, zero_method)
    t_obs = float(ranks[positive].sum())
    n_used = int(ranks.shape[0])
    if n_used == 0:
        raise DataError(f"{_FUNC}(): no pairs with a non-zero difference; the test has no information.")
    if method == "exact":
        if n_used > MAX_EXACT_PAIRS:
            raise SpecificationError(
                f"{_FUNC}(): method='exact' convolves the distribution of the signed-rank statistic (about n^3/3 "
                f"operations per Gamma); {n_used} pairs exceed the limit of {MAX_EXACT_PAIRS}. Use method='normal': "
                "at this size the normal approximation is accurate."
            )
        scores2 = np.rint(2.0 * ranks).astype(np.int64)
        t2 = int(np.rint(2.0 * t_obs))

        def tail(p: np.ndarray) -> np.ndarray:
            return _exact_signed_rank_tail(scores2, t2, p)
    else:
        s1, s2 = float(ranks.sum()), float(np.sum(ranks**2))

        def tail(p: np.ndarray) -> np.ndarray:
            return stats.norm.sf((t_obs - p * s1) / np.sqrt(p * (1 - p) * s2))

    def upper(g: float) -> float:
        return float(tail(np.array([g / (1.0 + g)]))[0])

    return t_obs, n_used, tail(gammas / (1.0 + gammas)), tail(1.0 / (1.0 + gammas)), upper


def _mcnemar_bounds(yt: np.ndarray, yc: np.ndarray, gammas: np.ndarray,
                    method: str) -> tuple[float, int, np.ndarray, np.ndarray, Callable[[float], float]]:
    a = int(np.sum((yt == 1) & (yc == 0)))
    disc = a + int(np.sum((yt == 0) & (yc == 1)))
    if disc == 0:
        raise DataError(f"{_FUNC}(): no discordant pairs; the test has no information.")

    def tail(p: np.ndarray) -> np.ndarray:
        if method == "exact":
            return stats.binom.sf(a - 1, disc, p)
        return stats.norm.sf((a - disc * p) / np.sqrt(disc * p * (1 - p)))

    def upper(g: float) -> float:
        return float(tail(np.array([g / (1.0 + g)]))[0])

    return float(a), disc, tail(gammas / (1.0 + gammas)), tail(1.0 / (1.0 + gammas)), upper


def _walsh_count_le(s: np.ndarray, t: float) -> tuple[int, np.ndarray]:
    """Number of Walsh averages (s_i + s_j) / 2, i <= j, that are <= t (s sorted), and per-i search positions."""
    pos = np.searchsorted(s, 2.0 * t - s, side="right")
    return int(np.maximum(pos - np.arange(s.shape[0]), 0).sum()), pos


def _walsh_order_statistic(s: np.ndarray, k: int) -> float:
    """The k-th smallest (1-based) Walsh average of the sorted sample s, without enumerating all of them.

    Bisection on the value with exact counts (O(n log n) each) until the bracket (lo, hi] holds few
    Walsh averages, which are then enumerated. Monotone in t, so consistent with the count.
    """
    n = s.shape[0]
    lo, hi = float(s[0]) - 1.0, float(s[-1])
    c_lo, pos_lo = 0, np.zeros(n, dtype=np.int64)
    c_hi, pos_hi = _walsh_count_le(s, hi)
    idx = np.arange(n)
    while c_hi - c_lo > _WALSH_BLOCK:
        mid = 0.5 * (lo + hi)
        if not lo < mid < hi:
            # bracket at floating-point resolution: its Walsh averages agree to the last bit; return one of them
            last = pos_hi - 1
            ok = last >= np.maximum(pos_lo, idx)
            return float(np.max(0.5 * (s[ok] + s[last[ok]])))
        c_mid, pos_mid = _walsh_count_le(s, mid)
        if c_mid >= k:
            hi, c_hi, pos_hi = mid, c_mid, pos_mid
        else:
            lo, c_lo, pos_lo = mid, c_mid, pos_mid
    start = np.maximum(pos_lo, idx)
    stop = np.maximum(pos_hi, idx)
    counts = stop - start
    rows = np.repeat(idx, counts)
    offsets = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    cols = np.repeat(start, counts) + offsets
    values = 0.5 * (s[rows] + s[cols])
    j = k - c_lo - 1
    return float(np.partition(values, j)[j])


def _walsh_quantile(s: np.ndarray, k: float, cache: dict[int, float]) -> float:
    """Midpoint of the solutions of #(Walsh averages <= tau) = k: W_(k) if k is not an integer, else mean of
    W_(k) and W_(k+1) (the Hodges-Lehmann convention for a step function)."""
    m = s.shape[0] * (s.shape[0] + 1) // 2
    kr = round(k)
    if abs(k - kr) <= max(1e-9, 8 * np.finfo(float).eps * k):
        ranks = (min(max(kr, 1), m), min(max(kr + 1, 1), m))
    else:
        ranks = (int(np.ceil(k)),) * 2
    values = []
    for r in ranks:
        if r not in cache:
            cache[r] = _walsh_order_statistic(s, r)
        values.append(cache[r])
    return 0.5 * (values[0] + values[1])


def _hodges_lehmann_bounds(diff: np.ndarray, gammas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bounds on the Hodges-Lehmann estimate under each Gamma (Rosenbaum 1993)."""
    s = np.sort(diff)
    m = s.shape[0] * (s.shape[0] + 1) / 2.0
    cache: dict[int, float] = {}
    low = np.array([_walsh_quantile(s, m / (1.0 + g), cache) for g in gammas])
    high = np.array([_walsh_quantile(s, m * g / (1.0 + g), cache) for g in gammas])
    return low, high


def rosenbaum_bounds(
    result_or_pairs: Any,
    *,
    outcome: str | None = None,
    gammas: Sequence[float] = DEFAULT_GAMMAS,
    alpha: float = 0.05,
    test: str = "auto",
    method: str | None = None,
    zero_method: str = "wilcox",
    hodges_lehmann: bool = True,
) -> SensitivityResult:
    """Rosenbaum bounds on the one-sided p-value of a 1:1 matched comparison, and the critical Gamma.

    Parameters
    ----------
    result_or_pairs : a :class:`~iej_impact.matching._result.MatchResult` of 1:1 nearest-neighbour
        matching (with ``outcome``), or an (n_pairs, 2) array / two-column DataFrame of outcomes
        (treated, control).
    outcome : outcome column (MatchResult input).
    gammas : values of Gamma >= 1 at which to bound the p-value (default 1, 1.1, ..., 3).
    alpha : significance level for the critical Gamma.
    test : "wilcoxon" (signed-rank), "mcnemar" (binary outcomes) or "auto" (McNemar when the
        outcome takes only the values 0 and 1).
    method : "normal" or "exact" evaluation of the bounding distributions. Default (None): what R
        rbounds does, the normal approximation for the signed-rank test (``psens``) and exact binomial
        tails for McNemar (``binarysens``). The exact signed-rank distribution is limited to
        ``MAX_EXACT_PAIRS`` informative pairs.
    zero_method : signed-rank test only: "wilcox" drops zero differences before ranking (rbounds'
        ``psens``, scipy's default); "pratt" ranks them with the others and gives them score 0
        (Rosenbaum's book and ``senWilcox``).
    hodges_lehmann : signed-rank test only: also bound the Hodges-Lehmann estimate of an additive
        effect at each Gamma (columns ``hl_lower``, ``hl_upper`` of ``to_frame()``; rbounds' ``hlsens``).

    Returns
    -------
    SensitivityResult

    Notes
    -----
    The test is one-sided against a positive effect (treated minus control); for an outcome where
    the programme is expected to lower the outcome, pass its negative. Method, assumptions and
    references: see the module docstring (Rosenbaum 2002, ch. 4; Rosenbaum 1993). Agreement with
    R rbounds 2.1/2.2 and Rosenbaum's DOS package on their published examples is tested in
    tests/reference/test_rosenbaum_published.py.

    Examples
    --------
    >>> import numpy as np
    >>> res = rosenbaum_bounds(np.column_stack([np.arange(1.0, 21.0), np.zeros(20)]), gammas=[1, 2])
    >>> bool(res.p_upper[0] < 0.001)
    True
    """
    check_number("alpha", alpha, _FUNC, low=0.0, high=0.5, low_open=True)
    test = str(check_choice("test", test, ("auto", "wilcoxon", "mcnemar"), _FUNC))
    check_choice("method", method, (None, "normal", "exact"), _FUNC)
    zero_method = str(check_choice("zero_method", zero_method, ("wilcox", "pratt"), _FUNC))
    if not isinstance(hodges_lehmann, (bool, np.bool_)):
        raise SpecificationError(f"the 'hodges_lehmann' parameter of {_FUNC}() must be True or False; "
                                 f"got {hodges_lehmann!r}.")
    try:
        g = np.asarray(list(gammas), dtype=float)
    except (TypeError, ValueError):
        raise SpecificationError(f"{_FUNC}(): 'gammas' must be a list of numbers >= 1; got {gammas!r}.") from None
    if g.ndim != 1 or g.size == 0 or not np.all(np.isfinite(g)) or (g < 1).any():
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
    binary = bool(np.isin(yt, (0.0, 1.0)).all() and np.isin(yc, (0.0, 1.0)).all())
    if test == "auto":
        test = "mcnemar" if binary else "wilcoxon"
    method = method or _DEFAULT_METHOD[test]
    hl_low = hl_high = None
    if test == "mcnemar":
        if not binary:
            raise DataError(f"{_FUNC}(): test='mcnemar' needs a 0/1 outcome; use test='wilcoxon'.", column=outcome)
        stat, n_used, up, lo, upper = _mcnemar_bounds(yt, yc, g, method)
        zero_used: str | None = None
    else:
        diff = yt - yc
        stat, n_used, up, lo, upper = _wilcoxon_bounds(diff, g, method, zero_method)
        zero_used = zero_method
        n_zero = int(np.sum(diff == 0))
        if n_zero:
            rule = ("dropped before ranking" if zero_method == "wilcox"
                    else "ranked with the others, then given score 0 (Pratt)")
            notes.append(f"{n_zero} pairs with a zero difference: {rule}.")
        if hodges_lehmann:
            hl_low, hl_high = _hodges_lehmann_bounds(diff, g)
    critical = _critical_gamma(upper, alpha)
    return SensitivityResult(test=test, outcome=outcome, statistic=stat, n_pairs=n_used, gammas=g, p_upper=up,
                             p_lower=lo, critical_gamma=critical, alpha=float(alpha), notes=tuple(notes),
                             method=method, zero_method=zero_used, hl_lower=hl_low, hl_upper=hl_high,
                             n_total=int(yt.shape[0]))


def _critical_gamma(upper: Callable[[float], float], alpha: float, high: float = 1e6) -> float:
    """Smallest Gamma >= 1 with upper-bound p-value >= alpha (bisection on log Gamma)."""
    if upper(1.0) >= alpha:
        return 1.0
    if upper(high) < alpha:
        return float("inf")
    root = optimize.brentq(lambda lg: upper(float(np.exp(lg))) - alpha, 0.0, np.log(high), xtol=1e-10)
    return float(np.exp(root))
