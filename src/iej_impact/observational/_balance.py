"""Covariate balance: small pure statistics and one balance table behind every adjustment method.

The statistics (after R's cobalt; Stuart 2010; Austin 2009) take a covariate, the 0/1 treatment
and optional weights, and are tested against plain numpy computations:

* :func:`weighted_mean`;
* :func:`weighted_var`: for a 0/1 covariate ``p (1 - p)``; otherwise the unbiased weighted
  variance with normalized weights, ``sum w (x - m)^2 * sum w / ((sum w)^2 - sum w^2)`` (equal to
  ``np.var(x, ddof=1)`` when the weights are equal);
* :func:`smd`: standardized mean difference ``(m_1 - m_0) / sd`` with an explicit
  ``sd_denominator``: "pooled" ``sqrt((v_1 + v_0) / 2)``, "treated" ``sqrt(v_1)`` or "control"
  ``sqrt(v_0)``. The SD is computed on the *unadjusted* sample (with sampling weights only),
  so the same denominator serves before and after adjustment, and a change in the SMD is a change
  in the means only (Stuart 2008; cobalt's default);
* :func:`variance_ratio` ``v_1 / v_0`` (continuous covariates only; NaN for 0/1 covariates);
* :func:`ecdf_stats`: mean and maximum absolute difference between the arms' weighted empirical
  CDFs, evaluated at every distinct value of the covariate; :func:`ks_statistic` is the maximum.

:func:`balance_table` applies them to every design column (all levels of a categorical covariate
are shown), before and after weighting, and flags ``|SMD| > threshold``. Matching (``MatchResult.balance``),
IPW and the doubly robust estimators all use it.

References
----------
Austin, P. (2009). Balance diagnostics for comparing the distribution of baseline covariates
between treatment groups in propensity-score matched samples. Statistics in Medicine 28(25).
Stuart, E. (2010). Matching methods for causal inference: a review and a look forward. Statistical
Science 25(1). Greifer, N. cobalt: Covariate Balance Tables and Plots (R package).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from .._params import Columns, Interval, Options, constrained
from .._row_blocks import shifted_moments
from .._validation import (
    arguments_checked,
    as_column_list,
    check_binary,
    check_choice,
    check_columns,
    check_dataframe,
    describe_rows,
    example_rows,
)
from ..data._numeric_text import check_numeric
from ..errors import DataError, SpecificationError
from ..results import Result, Summary, jsonable
from ._design import Design, design_matrix
from ._overlap import ess

__all__ = [
    "BalanceTable",
    "balance_table",
    "weighted_mean",
    "weighted_var",
    "smd",
    "variance_ratio",
    "ecdf_stats",
    "ks_statistic",
]

_FUNC = "balance_table"
SdDenominator = Literal["pooled", "treated", "control"]
SD_DENOMINATORS: tuple[str, ...] = ("pooled", "treated", "control")
STATS: tuple[str, ...] = ("smd", "variance_ratio", "ks", "ecdf_mean")


# =============================================================================================
# pure statistics
# =============================================================================================
def _w(x: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
    return np.ones(x.shape[0]) if weights is None else np.asarray(weights, dtype=float)


def _is_binary(x: np.ndarray) -> bool:
    return bool(np.all((x == 0) | (x == 1)))


def weighted_mean(x: np.ndarray, weights: np.ndarray | None = None) -> float:
    """``sum(w x) / sum(w)``."""
    x = np.asarray(x, dtype=float)
    w = _w(x, weights)
    return float(np.dot(w, x) / w.sum())


def weighted_var(x: np.ndarray, weights: np.ndarray | None = None, *, binary: bool | None = None) -> float:
    """Weighted variance: ``p(1-p)`` for a 0/1 variable, else the unbiased (reliability-weight) formula.

    ``binary=None`` detects 0/1 variables. With equal weights the continuous formula is
    ``np.var(x, ddof=1)``.
    """
    x = np.asarray(x, dtype=float)
    w = _w(x, weights)
    m = float(np.dot(w, x) / w.sum())
    if binary is None:
        binary = _is_binary(x)
    if binary:
        return m * (1.0 - m)
    sw = float(w.sum())
    denom = sw * sw - float(np.dot(w, w))
    if denom <= 0:
        return float("nan")
    return float(np.dot(w, (x - m) ** 2) * sw / denom)


def _arm_var(x: np.ndarray, treat: np.ndarray, w: np.ndarray, binary: bool) -> tuple[float, float]:
    return (weighted_var(x[treat], w[treat], binary=binary), weighted_var(x[~treat], w[~treat], binary=binary))


def _sd_from(v1: float, v0: float, sd_denominator: str) -> float:
    if sd_denominator == "pooled":
        return float(np.sqrt((v1 + v0) / 2.0))
    return float(np.sqrt(v1 if sd_denominator == "treated" else v0))


def smd(
    x: np.ndarray,
    treat: np.ndarray,
    weights: np.ndarray | None = None,
    *,
    sd_denominator: SdDenominator = "pooled",
    sd_weights: np.ndarray | None = None,
    binary: bool | None = None,
) -> float:
    """Standardized mean difference ``(m_1 - m_0) / sd``.

    Means use ``weights``; the SD uses ``sd_weights`` (default: unweighted, i.e. the unadjusted
    sample), combined as ``sd_denominator`` says. NaN when the SD is 0.
    """
    check_choice("sd_denominator", sd_denominator, SD_DENOMINATORS, "smd")
    x = np.asarray(x, dtype=float)
    t = np.asarray(treat).astype(bool)
    w = _w(x, weights)
    diff = weighted_mean(x[t], w[t]) - weighted_mean(x[~t], w[~t])
    if binary is None:
        binary = _is_binary(x)
    v1, v0 = _arm_var(x, t, _w(x, sd_weights), binary)
    sd = _sd_from(v1, v0, sd_denominator)
    return float(diff / sd) if sd > 0 else float("nan")


def variance_ratio(x: np.ndarray, treat: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Ratio of the treated to the control (weighted) variance; NaN for a 0/1 covariate."""
    x = np.asarray(x, dtype=float)
    if _is_binary(x):
        return float("nan")
    t = np.asarray(treat).astype(bool)
    v1, v0 = _arm_var(x, t, _w(x, weights), False)
    return float(v1 / v0) if v0 > 0 else float("nan")


def ecdf_stats(x: np.ndarray, treat: np.ndarray, weights: np.ndarray | None = None) -> tuple[float, float]:
    """(mean, max) of ``|F_1(v) - F_0(v)|`` over the distinct values v of x.

    ``F_a`` is arm a's weighted empirical CDF (weights normalized to sum to 1 within the arm).
    """
    x = np.asarray(x, dtype=float)
    t = np.asarray(treat).astype(bool)
    w = _w(x, weights)
    order = np.argsort(x, kind="stable")
    xs = x[order]
    ts = t[order]
    ws = w[order]
    w1 = np.where(ts, ws, 0.0)
    w0 = np.where(ts, 0.0, ws)
    f1 = np.cumsum(w1) / w1.sum()
    f0 = np.cumsum(w0) / w0.sum()
    last = np.flatnonzero(np.append(xs[1:] != xs[:-1], True))  # last position of each distinct value
    diff = np.abs(f1[last] - f0[last])
    return float(diff.mean()), float(diff.max())


def ks_statistic(x: np.ndarray, treat: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Kolmogorov-Smirnov statistic: the largest gap between the arms' weighted empirical CDFs."""
    return ecdf_stats(x, treat, weights)[1]


def _arm_moments(
    x: np.ndarray, treat: np.ndarray, w: np.ndarray, is_bin: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Column-wise weighted means and variances per arm (the formulas of weighted_mean/weighted_var).

    One pass over ``x`` by row blocks: the arms' moments about the first row
    (:func:`iej_impact._row_blocks.shifted_moments`).
    """
    k = x.shape[1]
    shift, s1, s2, first, second = shifted_moments(x, w, treat)
    out = []
    for a in range(2):
        mean_dev = first[a] / s1[a]
        m = shift + mean_dev
        if s1[a] * s1[a] > s2[a]:
            ss = np.maximum(second[a] - s1[a] * mean_dev * mean_dev, 0.0)  # sum w (x - mean)^2
            v = ss * s1[a] / (s1[a] * s1[a] - s2[a])
        else:
            v = np.full(k, np.nan)
        out.append((m, np.where(is_bin, m * (1.0 - m), v)))
    (m1, v1), (m0, v0) = out
    return m1, m0, v1, v0


# =============================================================================================
# the table
# =============================================================================================
@dataclass(frozen=True, eq=False)
class BalanceTable(Result):
    """Covariate balance before (and after) adjustment.

    Attributes
    ----------
    table : one row per design column (index ``term``); columns ``type`` ("binary"/"continuous"),
        ``mean_treated_before``, ``mean_control_before``, ``smd_before`` and the other requested
        statistics with suffix ``_before``; the same with ``_after`` when weights were given; and
        ``imbalanced`` (|SMD| above ``threshold``, after adjustment when weighted).
    sample_sizes : rows "before"/"after", columns n and Kish effective sample size per arm.
    threshold : the |SMD| threshold for the flag.
    sd_denominator : "pooled", "treated" or "control".
    stats : the statistics computed.
    weighted : whether adjustment weights were given.
    """

    table: pd.DataFrame
    sample_sizes: pd.DataFrame
    threshold: float
    sd_denominator: str
    stats: tuple[str, ...]
    treatment: str
    weighted: bool
    binary: str = "std"
    spec: Mapping[str, object] = field(default_factory=dict)

    @property
    def smd(self) -> pd.Series:
        """The SMDs used for the flag (after adjustment when weighted)."""
        return self.table["smd_after" if self.weighted else "smd_before"]

    @property
    def max_abs_smd(self) -> float:
        return float(np.nanmax(np.abs(self.smd.to_numpy(dtype=float)))) if len(self.table) else float("nan")

    @property
    def n_imbalanced(self) -> int:
        return int(self.table["imbalanced"].sum())

    def to_frame(self) -> pd.DataFrame:
        """The table with ``term`` as a column."""
        return self.table.reset_index()

    def summary(self) -> Summary:
        which = "after adjustment" if self.weighted else "unadjusted"
        notes = (
            f"SMD = difference in means / SD ({self.sd_denominator} SD of the unadjusted sample); "
            f"{'binary covariates standardized with sqrt(p(1-p))' if self.binary == 'std' else 'binary covariates: raw difference in proportions'}.",
            f"{self.n_imbalanced} of {len(self.table)} covariates have |SMD| > {self.threshold:g} {which}; "
            f"largest |SMD| {self.max_abs_smd:.3f}.",
        )
        return Summary(title=f"Covariate balance by {self.treatment}",
                       tables=(("Balance", self.table), ("Sample sizes", self.sample_sizes)), notes=notes)

    def to_dict(self) -> dict[str, Any]:
        return jsonable({
            "treatment": self.treatment,
            "threshold": self.threshold,
            "sd_denominator": self.sd_denominator,
            "stats": list(self.stats),
            "weighted": self.weighted,
            "max_abs_smd": self.max_abs_smd,
            "n_imbalanced": self.n_imbalanced,
            "table": self.to_frame(),
            "sample_sizes": self.sample_sizes,
            "spec": dict(self.spec),
        })

    def plot_love(self, ax: Any = None, *, threshold: float | None = None, absolute: bool = True,
                  language: str = "en") -> Any:
        """Love plot: |SMD| per covariate before (open circles) and after (filled) adjustment.

        Draws the table's numbers, with a dashed line at ``threshold`` (default: the table's);
        labels in ``language`` ("en" or "fr"). Returns the matplotlib Axes (a new ``Figure``, not
        pyplot, when ``ax`` is None).
        """
        from ..report._plots_diagnostics import plot_love

        return plot_love(self, ax, threshold=threshold, absolute=absolute, language=language)


def _weights_arg(data: pd.DataFrame, value: object, name: str, func: str, *, allow_zero: bool) -> np.ndarray | None:
    if value is None:
        return None
    if isinstance(value, str):
        check_columns(data, [value], func, role=f"{name} column")
        w = check_numeric(data, value, func)
    else:
        w = np.asarray(value, dtype=float)
        if w.shape != (len(data),):
            raise SpecificationError(
                f"the '{name}' parameter of {func}() must be a column name or an array of {len(data)} values "
                f"(one per row); got shape {w.shape}."
            )
    bad = ~np.isfinite(w) | (w < 0 if allow_zero else w <= 0)
    if bad.any():
        rule = ">= 0" if allow_zero else "> 0"
        raise DataError(
            f"{func}(): {name} must be finite and {rule}; {describe_rows(data, bad)} are not.",
            column=value if isinstance(value, str) else None,
            rows=example_rows(data, bad),
        )
    return w


@constrained({
    "treatment": Columns(single=True), "covariates": Columns(), "sd_denominator": Options(SD_DENOMINATORS),
    "binary": Options(("std", "raw")), "threshold": Interval(low=0.0),
})
def balance_table(
    data: pd.DataFrame,
    *,
    treatment: str,
    covariates: Sequence[str],
    weights: str | np.ndarray | None = None,
    stats: Sequence[str] = ("smd", "variance_ratio"),
    sd_denominator: SdDenominator | None = None,
    threshold: float = 0.1,
    sampling_weights: str | np.ndarray | None = None,
    estimand: str | None = None,
    binary: Literal["std", "raw"] = "std",
) -> BalanceTable:
    """Balance of each covariate between arms, before and (with ``weights``) after adjustment.

    Parameters
    ----------
    data : one row per unit.
    treatment : 0/1 treatment column.
    covariates : covariates; categorical ones are shown one row per level (``column[level]``).
    weights : adjustment weights (matching or IPW weights; units with weight 0 drop out), as a
        column name or an array with one value per row. None gives the unadjusted table only.
    stats : any of "smd", "variance_ratio", "ks", "ecdf_mean" ("smd" is always computed).
    sd_denominator : "pooled" (default; ``sqrt((v_1 + v_0)/2)``), "treated" or "control". When
        None, it follows ``estimand``: treated for the ATT, control for the ATC, pooled otherwise
        (cobalt's convention).
    threshold : |SMD| above which a covariate is flagged ``imbalanced`` (0.1 is Austin's 2009 rule).
    sampling_weights : survey weights, applied before and after adjustment (and in the SD).
    estimand : optional "ATE"/"ATT"/"ATC", only used to choose the default ``sd_denominator``.
    binary : "std" (default) standardizes 0/1 covariates like any other; "raw" reports their raw
        difference in proportions in the ``smd`` columns (cobalt's default).

    Returns
    -------
    BalanceTable

    Notes
    -----
    Variances: ``p(1-p)`` for 0/1 covariates, else the unbiased weighted variance (see
    :func:`weighted_var`). The SMD denominator is computed on the unadjusted sample so it is the
    same before and after (Stuart 2008). Variance ratios near 1 and small KS statistics indicate
    similar distributions beyond the means; |SMD| < 0.1 is a common (Austin 2009) rule of thumb.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"d": [1, 1, 0, 0, 0], "x": [3.0, 5.0, 1.0, 2.0, 3.0]})
    >>> round(float(balance_table(df, treatment="d", covariates=["x"]).table.loc["x", "smd_before"]), 3)
    1.732
    """
    func = _FUNC
    check_dataframe(data, func)
    covs = as_column_list("covariates", covariates, func)
    if not covs:
        raise SpecificationError(f"{func}() needs at least one covariate in 'covariates'.")
    check_columns(data, [treatment], func)
    stats = tuple(dict.fromkeys(["smd", *as_column_list("stats", stats, func)]))
    for s in stats:
        check_choice("stats", s, STATS, func)
    if sd_denominator is None:
        sd_denominator = default_sd_denominator(estimand)
    t = check_binary(data, treatment, func).astype(bool)
    sw = _weights_arg(data, sampling_weights, "sampling_weights", func, allow_zero=False)
    aw = _weights_arg(data, weights, "weights", func, allow_zero=True)
    _after_weights(t, sw, aw)
    design = design_matrix(data, covs, func=func, drop_reference=False)
    arguments_checked()
    label = weights if isinstance(weights, str) else (None if weights is None else "array")
    return balance_on_design(design, t, treatment=treatment, covariates=covs, sampling_weights=sw, weights=aw,
                             weights_label=label, stats=stats, sd_denominator=sd_denominator, threshold=threshold,
                             binary=binary)


def default_sd_denominator(estimand: str | None) -> str:
    """cobalt's convention: the treated arm's SD for the ATT, the control arm's for the ATC, else pooled."""
    return {"ATT": "treated", "ATC": "control"}.get(str(estimand).upper() if estimand else "", "pooled")


def _after_weights(t: np.ndarray, sw: np.ndarray | None, aw: np.ndarray | None) -> np.ndarray | None:
    """Adjustment weights times sampling weights; DataError when an arm has none left."""
    if aw is None:
        return None
    after_w = aw if sw is None else aw * sw
    for label, arm in (("treated", t), ("control", ~t)):
        if not (after_w[arm] > 0).any():
            raise DataError(f"{_FUNC}(): every {label} unit has weight 0; balance after weighting is undefined.")
    return after_w


def balance_on_design(
    design: Design, t: np.ndarray, *, treatment: str, covariates: Sequence[str], sampling_weights: np.ndarray | None,
    weights: np.ndarray | None, weights_label: str | None, stats: tuple[str, ...], sd_denominator: str,
    threshold: float, binary: str,
) -> BalanceTable:
    """The table of :func:`balance_table` on a design already built (and arguments already checked):
    the estimators pass the design of their models when it has every level (numeric covariates)."""
    covs = list(covariates)
    sw = sampling_weights
    base = np.ones(t.shape[0]) if sw is None else sw
    after_w = _after_weights(t, sw, weights)
    x_all = design.matrix
    is_bin = design.binary_columns()
    m1b, m0b, v1, v0 = _arm_moments(x_all, t, base, is_bin)
    if sd_denominator == "pooled":
        sd = np.sqrt((v1 + v0) / 2.0)
    else:
        sd = np.sqrt(v1 if sd_denominator == "treated" else v0)
    columns: dict[str, object] = {"type": np.where(is_bin, "binary", "continuous")}
    for suffix, w in (("before", base), ("after", after_w)):
        if w is None:
            continue
        m1, m0, va1, va0 = (m1b, m0b, v1, v0) if w is base else _arm_moments(x_all, t, w, is_bin)
        columns[f"mean_treated_{suffix}"] = m1
        columns[f"mean_control_{suffix}"] = m0
        with np.errstate(divide="ignore", invalid="ignore"):
            std = np.where(sd > 0, (m1 - m0) / np.where(sd > 0, sd, 1.0), np.nan)
            columns[f"smd_{suffix}"] = np.where(is_bin, m1 - m0, std) if binary == "raw" else std
            if "variance_ratio" in stats:
                columns[f"variance_ratio_{suffix}"] = np.where(is_bin | ~(va0 > 0), np.nan, va1 / np.where(va0 > 0, va0, 1.0))
        if "ks" in stats or "ecdf_mean" in stats:
            e = np.array([ecdf_stats(x_all[:, j], t, w) for j in range(x_all.shape[1])]).reshape(-1, 2)
            if "ecdf_mean" in stats:
                columns[f"ecdf_mean_{suffix}"] = e[:, 0]
            if "ks" in stats:
                columns[f"ks_{suffix}"] = e[:, 1]
    table = pd.DataFrame(columns, index=pd.Index(list(design.names), name="term"))
    flag_col = "smd_after" if after_w is not None else "smd_before"
    table["imbalanced"] = np.abs(table[flag_col].to_numpy(dtype=float)) > threshold
    sizes = {
        "control_n": [int((~t).sum())],
        "treated_n": [int(t.sum())],
        "control_ess": [ess(base[~t])],
        "treated_ess": [ess(base[t])],
    }
    index = ["before"]
    if after_w is not None:
        sizes["control_n"].append(int(((after_w > 0) & ~t).sum()))
        sizes["treated_n"].append(int(((after_w > 0) & t).sum()))
        sizes["control_ess"].append(ess(after_w[~t]))
        sizes["treated_ess"].append(ess(after_w[t]))
        index.append("after")
    sample_sizes = pd.DataFrame(sizes, index=pd.Index(index, name="sample"))
    spec = {"treatment": treatment, "covariates": covs, "weights": weights_label, "stats": list(stats),
            "sd_denominator": sd_denominator, "threshold": threshold, "binary": binary}
    return BalanceTable(table=table, sample_sizes=sample_sizes, threshold=threshold, sd_denominator=sd_denominator,
                        stats=stats, treatment=treatment, weighted=after_w is not None, binary=binary, spec=spec)
