"""The raw difference in means between arms: the naive benchmark every evaluation starts from.

    tau_hat = sum_i w_i D_i Y_i / sum_i w_i D_i  -  sum_i w_i (1 - D_i) Y_i / sum_i w_i (1 - D_i)

It identifies the ATE (= ATT = ATC) only when treatment is randomly assigned (independent of the
potential outcomes). In an observational comparison of programme participants with non-participants
it mixes the effect with selection bias; the demo shows how far it lands from the true effect.

Inference (the ``inference`` field of the result says which one was used):

* ``robust`` (default): the unequal-variance (Welch) standard error
  sqrt(s1^2/n1 + s0^2/n0), i.e. the HC2 sandwich of the regression of Y on (1, D)
  (Imbens & Kolesar 2016, REStat 98(4), section 2); with sampling weights, the weighted analogue
  from the influence function with the same per-arm n_a/(n_a - 1) factor.
* ``{type: clustered, by: col}``: Liang-Zeger cluster-robust SE with Stata's CR1 factor
  G/(G-1) (N-1)/(N-2), equal to ``regress y d, vce(cluster col)``.
* ``{type: bootstrap, reps: B}``: nonparametric bootstrap of units (or of clusters with
  ``cluster``); unit resamples are stratified by arm so every resample keeps both arms' sizes.
  ``kind: multiplier`` instead perturbs the influence function (:class:`~iej_impact.inference.Bootstrap`).

CIs and p-values use the normal approximation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._params import Columns, Estimand, Interval, constrained
from .._validation import (
    arguments_checked,
    check_binary,
    check_columns,
    check_dataframe,
    check_distinct_roles,
)
from ..data._numeric_text import check_numeric
from ..errors import DataError
from ..inference import Bootstrap, Clustered, InferenceLike, cluster_codes, normal_ci, parse_inference
from ..results import EffectResult

__all__ = ["difference_in_means"]

_FUNC = "difference_in_means"


@constrained({"outcome": Columns(single=True), "treatment": Columns(single=True), "estimand": Estimand(),
              "weights": Columns(single=True, none_ok=True), "alpha": Interval(0.0, 0.5, low_open=True)})
def difference_in_means(
    data: pd.DataFrame,
    *,
    outcome: str,
    treatment: str,
    estimand: str = "ATE",
    weights: str | None = None,
    se: InferenceLike = "robust",
    alpha: float = 0.05,
) -> EffectResult:
    """Raw (unadjusted) difference in mean outcomes between treated and control units.

    Parameters
    ----------
    data : one row per unit.
    outcome : outcome column (numeric; binary outcomes give a difference in proportions, i.e.
        percentage points / 100).
    treatment : 0/1 treatment column.
    estimand : the effect this difference is meant to estimate ("ATE", "ATT" or "ATC"). Under
        random assignment all three coincide; the label is what reports compare the estimate with.
    weights : optional column of sampling weights (> 0).
    se : "robust" (Welch/HC2), {type: clustered, by: col} or {type: bootstrap, reps: B} (resampling;
        ``kind: multiplier`` for the multiplier bootstrap of the influence function).
    alpha : 1 - confidence level of the interval.

    Returns
    -------
    EffectResult with method "difference_in_means".

    Notes
    -----
    Assumes random assignment: without it the result is a descriptive gap, not an effect.

    References
    ----------
    Imbens, G. & Rubin, D. (2015). Causal Inference for Statistics, Social, and Biomedical
    Sciences, ch. 6 (Neyman's repeated-sampling approach). Welch, B. (1947) Biometrika 34.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0, 6.0, 8.0], "d": [0, 0, 0, 1, 1, 1]})
    >>> round(difference_in_means(df, outcome="y", treatment="d").estimate, 3)
    4.0
    """
    check_dataframe(data, _FUNC)
    check_distinct_roles(_FUNC, outcome, treatment, [weights] if weights else [])
    check_columns(data, [outcome, treatment] + ([weights] if weights else []), _FUNC)
    inference = parse_inference(se, _FUNC, ("robust", "clustered", "bootstrap"), bootstrap=("resample", "multiplier"))
    d = check_binary(data, treatment, _FUNC).astype(bool)
    y = check_numeric(data, outcome, _FUNC)
    if weights is not None:
        w = check_numeric(data, weights, _FUNC)
        if (w <= 0).any():
            raise DataError(f"{_FUNC}(): weights column '{weights}' must be > 0; {int((w <= 0).sum())} rows are not.", column=weights)
    else:
        w = np.ones_like(y)
    n1, n0 = int(d.sum()), int((~d).sum())
    if min(n1, n0) < 2:
        raise DataError(f"{_FUNC}(): each arm needs at least 2 units; found {n1} treated and {n0} control.")

    arguments_checked()
    estimate, psi = _estimate_and_influence(y, d, w)
    n = len(y)
    if isinstance(inference, Clustered):
        clusters = cluster_codes(data, inference.columns, _FUNC)
        errors = inference.standard_errors(psi, clusters=clusters, small_sample="G/(G-1)(N-1)/(N-K)", n_params=2)
        inference_note = f"{int(clusters.max()) + 1} clusters"
    elif isinstance(inference, Bootstrap):
        clusters = cluster_codes(data, [inference.cluster], _FUNC) if inference.cluster else None
        if inference.kind == "multiplier":
            seed = inference.seed()
            errors = inference.standard_errors(psi, clusters=clusters, alpha=alpha, seed=seed)
            inference_note = f"{inference.reps} multiplier-bootstrap draws (Rademacher weights, seed {seed})"
        else:

            def stat(idx: np.ndarray) -> float:
                dd = d[idx]
                if dd.all() or not dd.any():
                    return float("nan")
                return _estimate_and_influence(y[idx], dd, w[idx])[0]

            errors = inference.resample(stat, n, clusters=clusters, strata=None if clusters is not None else d)
            inference_note = f"{inference.reps} bootstrap resamples"
    else:  # HC2 = Welch: per-arm factor n_a / (n_a - 1) on the squared influence contributions
        errors = inference.standard_errors(psi, small_sample="n_a/(n_a-1)", arm=d)
        inference_note = "Welch / HC2"
    std_error = errors.se
    lo, hi, p = normal_ci(estimate, std_error, alpha)

    sizes = pd.DataFrame(
        {"control": [n0, n0], "treated": [n1, n1]},
        index=pd.Index(["all", "used"], name="sample"),
    )
    return EffectResult(
        method=_FUNC,
        estimand=estimand,
        outcome=outcome,
        estimate=float(estimate),
        std_error=float(std_error),
        ci=(lo, hi),
        p_value=p,
        inference=errors.inference,
        n_treated=n1,
        n_control=n0,
        alpha=float(alpha),
        sample_sizes=sizes,
        diagnostics={
            "mean_treated": float(np.average(y[d], weights=w[d])),
            "mean_control": float(np.average(y[~d], weights=w[~d])),
        },
        spec={"outcome": outcome, "treatment": treatment, "estimand": estimand, "weights": weights,
              "se": inference.to_dict(), "alpha": alpha},
        notes=(
            "Raw difference in means: an effect only under random assignment; with selection into the "
            f"programme it is biased. Standard error: {inference_note}.",
        ),
        influence=psi,
    )


def _estimate_and_influence(y: np.ndarray, d: np.ndarray, w: np.ndarray) -> tuple[float, np.ndarray]:
    """Estimate and influence function psi with estimate - tau ~ mean(psi)."""
    n = len(y)
    w1, w0 = w * d, w * (~d)
    s1, s0 = w1.sum(), w0.sum()
    m1 = float(np.dot(w1, y) / s1)
    m0 = float(np.dot(w0, y) / s0)
    psi = n * (w1 * (y - m1) / s1 - w0 * (y - m0) / s0)
    return m1 - m0, psi
