"""Multiple testing across a grid of effects (Holm, Benjamini-Hochberg) and the Wald test of equal effects
across subgroup levels estimated on disjoint (independent) samples."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from scipy import stats

from .._validation import check_choice
from ..errors import DataError

__all__ = ["adjust_p_values", "subgroup_equality_test", "ADJUSTMENTS"]

#: method name -> what results.json calls the adjusted p-value
ADJUSTMENTS = {"holm": "p_value_holm", "bh": "p_value_bh"}


def adjust_p_values(p_values: Sequence[float | None], method: Literal["holm", "bh"] = "holm") -> np.ndarray:
    """p-values adjusted for multiple testing across one family.

    ``holm``: Holm (1979) step-down, controlling the family-wise error rate under any dependence;
    ``bh``: Benjamini & Hochberg (1995) step-up, controlling the false discovery rate (independent or
    positively dependent tests). The same numbers as ``statsmodels.stats.multitest.multipletests``
    with ``method="holm"`` / ``"fdr_bh"``. Missing p-values (None, NaN) are not part of the family
    and stay NaN; the family size is the number of finite p-values.
    """
    check_choice("method", method, tuple(ADJUSTMENTS), "adjust_p_values")
    p = np.array([np.nan if v is None else float(v) for v in p_values], dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    if ((p[ok] < 0) | (p[ok] > 1)).any():
        raise DataError(f"adjust_p_values(): p-values must lie in [0, 1]; got {p[ok][(p[ok] < 0) | (p[ok] > 1)][:3]}.")
    m = int(ok.sum())
    if m == 0:
        return out
    order = np.argsort(p[ok], kind="stable")
    ranked = p[ok][order]
    rank = np.arange(1, m + 1)
    if method == "holm":
        adjusted = np.maximum.accumulate(np.minimum(1.0, (m - rank + 1) * ranked))
    else:
        adjusted = np.minimum.accumulate(np.minimum(1.0, m / rank * ranked)[::-1])[::-1]
    back = np.empty(m)
    back[order] = adjusted
    out[ok] = back
    return out


def subgroup_equality_test(estimates: Sequence[float], std_errors: Sequence[float],
                           levels: Sequence[Any] | None = None, correlation: np.ndarray | None = None) -> dict[str, Any]:
    """Wald test that the effect is the same in every subgroup level.

    With estimates b_k and standard errors s_k from K disjoint subsamples (so independent: the
    covariance matrix is diagonal), W = sum_k w_k (b_k - b_w)^2 with w_k = 1 / s_k^2 and b_w the
    precision-weighted mean; W equals (R b)'(R V R')^{-1}(R b) for any full set of K - 1 contrasts
    R and is chi-squared with K - 1 degrees of freedom under equality. Independence fails when the
    subgroups share clusters (for instance standard errors clustered by territory and subgroups
    by sex): the test then ignores that covariance.

    ``correlation`` (K x K, e.g. from the levels' influence functions summed by cluster: see
    :func:`~iej_impact.synthesis.influence_correlation`) gives the covariance V = S C S of the estimates, and
    the test is then W = (R b)'(R V R')^{-1}(R b) with the contrasts b_k - b_1 (``"test":
    "wald_influence_functions"``): the covariance that clusters shared between levels induce is accounted for.

    Returns ``{"test": "wald_independent_subgroups", "statistic", "df", "p_value", "levels",
    "pooled_estimate"}``; levels with a missing or zero standard error are left out (listed in
    ``"dropped_levels"``), and with fewer than two usable levels the statistic is None.
    """
    b = np.asarray(estimates, dtype=float)
    s = np.asarray(std_errors, dtype=float)
    if b.shape != s.shape or b.ndim != 1:
        raise DataError("subgroup_equality_test(): estimates and std_errors must be two lists of the same length.")
    names = list(levels) if levels is not None else list(range(len(b)))
    if len(names) != len(b):
        raise DataError("subgroup_equality_test(): give one level name per estimate.")
    usable = np.isfinite(b) & np.isfinite(s) & (s > 0)
    out: dict[str, Any] = {"test": "wald_independent_subgroups", "levels": [n for n, u in zip(names, usable, strict=True) if u],
                           "dropped_levels": [n for n, u in zip(names, usable, strict=True) if not u],
                           "statistic": None, "df": None, "p_value": None, "pooled_estimate": None}
    if usable.sum() < 2:
        return out
    w = 1.0 / s[usable] ** 2
    pooled = float(np.sum(w * b[usable]) / np.sum(w))
    stat = float(np.sum(w * (b[usable] - pooled) ** 2))
    df = int(usable.sum() - 1)
    if correlation is not None:
        c = np.asarray(correlation, dtype=float)
        if c.shape != (len(b), len(b)):
            raise DataError(f"subgroup_equality_test(): correlation must be {len(b)} x {len(b)}; got {c.shape}.")
        su = s[usable]
        v = su[:, None] * c[np.ix_(usable, usable)] * su[None, :]
        r = np.hstack([-np.ones((df, 1)), np.eye(df)])
        rb = r @ b[usable]
        stat = float(rb @ np.linalg.solve(r @ v @ r.T, rb))
        out["test"] = "wald_influence_functions"
    out.update(statistic=stat, df=df, p_value=float(stats.chi2.sf(stat, df)), pooled_estimate=pooled)
    return out
