"""``twfe_engine``: the static two-way fixed-effects regression of a panel that stays in a SQL engine.

On a balanced panel the two-way within transformation is closed-form,
z_it = x_it - xbar_i - xbar_t + xbar, so the engine computes unit and period means and the
cross-products of the demeaned outcome, treatment and covariates in one query, summed by
(cohort, period, treatment) cell; numpy adds up the cells (X'X, X'y) and solves for b. The same
cell sums give the weights of the treated (cohort, period) cells in b (de Chaisemartin &
D'Haultfoeuille 2020). A second query sums the scores x_it e_it by cluster and their outer
products (the meat of the Liang-Zeger sandwich). The small-sample factor is the one of the
in-memory :func:`~iej_impact.diff_in_diff.twfe` (``small_sample``: "nested", "all", "none").

Unbalanced panels raise SpecificationError (the in-memory ``twfe`` iterates alternating
projections over the rows; the engine path does not), as do weights. The Goodman-Bacon
decomposition is not computed here (``diagnostics["bacon"]`` is None).

References
----------
Cameron, A. C. and Miller, D. L. (2015). A practitioner's guide to cluster-robust inference.
Journal of Human Resources 50(2), 317-372.
de Chaisemartin, C. and D'Haultfoeuille, X. (2020). Two-way fixed effects estimators with
heterogeneous treatment effects. American Economic Review 110(9), 2964-2996.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from .._params import Columns, Interval, Options, constrained
from .._validation import as_column_list, user_stacklevel
from ..diff_in_diff._twfe import small_sample_factor
from ..errors import DataError, EstimationError, MissingDataWarning, PanelStructureError, SpecificationError
from ..inference import Clustered, InferenceLike, Robust, normal_ci, parse_inference
from ..results import EffectResult
from . import _sql
from ._backends import open_backend

__all__ = ["twfe_engine"]

_FUNC = "twfe_engine"


def _symmetric(row: pd.Series, prefix: str, k: int) -> np.ndarray:
    out = np.empty((k, k))
    for j in range(k):
        for m in range(j, k):
            out[j, m] = out[m, j] = float(row[f"{prefix}_{j}_{m}"])
    return out


def _check_panel(facts: pd.Series, *, unit: str, time: str, treatment: str) -> None:
    if int(facts["n_rows"]) == 0:
        raise DataError(f"{_FUNC}(): the data have no rows.")
    if int(facts["n_missing"] or 0):
        raise DataError(f"{_FUNC}(): {int(facts['n_missing'])} rows have a missing unit, period, outcome, treatment "
                        "or covariate; drop or impute them first.")
    if int(facts["n_not_binary"] or 0):
        raise DataError(f"{_FUNC}(): treatment column '{treatment}' must be 0/1; {int(facts['n_not_binary'])} rows "
                        "hold other values.", column=treatment)
    if int(facts["n_duplicated"]):
        raise PanelStructureError(f"{_FUNC}(): {int(facts['n_duplicated'])} (unit, period) pairs of '{unit}' and "
                                  f"'{time}' appear in more than one row.", column=unit)
    if int(facts["n_rows"]) != int(facts["n_units"]) * int(facts["n_periods"]):
        raise SpecificationError(
            f"{_FUNC}(): the panel is unbalanced ({int(facts['n_rows'])} rows for {int(facts['n_units'])} units x "
            f"{int(facts['n_periods'])} periods). The engine path uses the closed-form within transformation of "
            "balanced panels; use the in-memory twfe(), which iterates alternating projections.")


def _slopes(cells: pd.DataFrame, k: int, xmax: np.ndarray, names: list[str],
            covs: list[str]) -> tuple[np.ndarray, list[int], np.ndarray]:
    """(cross-products S of the demeaned columns, kept regressor columns, coefficients)."""
    cross = sum(_symmetric(row, "s", k) for _, row in cells.iterrows())
    zmax = cells[[f"zmax_{j}" for j in range(k)]].astype(float).max().to_numpy()
    keep = [1]
    for j, c in enumerate(covs):
        if zmax[2 + j] <= 1e-9 * max(1.0, float(xmax[2 + j])):
            warnings.warn(f"{_FUNC}(): covariate '{c}' is constant within unit (absorbed by the unit effects) and "
                          "is dropped.", MissingDataWarning, stacklevel=user_stacklevel())
        else:
            keep.append(2 + j)
    if zmax[1] <= 1e-12:
        raise EstimationError(f"{_FUNC}(): '{names[1]}' has no variation within units and periods once the fixed "
                              "effects are removed (e.g. every unit treated at the same period, or never).")
    xtx = cross[np.ix_(keep, keep)]
    if np.linalg.cond(xtx) > 1e12:
        raise EstimationError("the regressors are collinear once unit and period effects are removed (a regressor "
                              "constant within unit or within period?); drop it.")
    return cross, keep, np.linalg.inv(xtx) @ cross[keep, 0]


def _cell_weights(cells: pd.DataFrame, cross: np.ndarray, keep: list[int]) -> pd.DataFrame:
    """de Chaisemartin-D'Haultfoeuille: the share of each treated (cohort, period) cell in sum r over D = 1,
    r the treatment purged of the fixed effects and the other regressors."""
    others = keep[1:]
    beta = np.linalg.lstsq(cross[np.ix_(others, others)], cross[others, 1], rcond=None)[0] if others else np.zeros(0)
    treated = cells[cells["d"].astype(float) == 1].copy()
    r = treated["z_1"].to_numpy(dtype=float) - treated[[f"z_{j}" for j in others]].to_numpy(dtype=float) @ beta
    treated["weight"] = r / r.sum()
    treated = treated.rename(columns={"t": "time"}).sort_values(["cohort", "time"]).reset_index(drop=True)
    treated["event_time"] = treated["time"] - treated["cohort"]
    treated["n_obs"] = treated["n_obs"].astype(np.int64)
    treated["negative"] = treated["weight"] < 0
    return treated[["cohort", "time", "event_time", "n_obs", "weight", "negative"]]


@constrained({
    "outcome": Columns(single=True), "unit": Columns(single=True), "time": Columns(single=True),
    "treatment": Columns(single=True), "covariates": Columns(), "weights": Columns(single=True, none_ok=True),
    "small_sample": Options(("nested", "all", "none")), "alpha": Interval(0.0, 0.5, low_open=True),
    "engine": Options(("duckdb", "spark")),
})
def twfe_engine(
    source: Any,
    *,
    outcome: str,
    unit: str,
    time: str,
    treatment: str,
    covariates: Sequence[str] = (),
    weights: str | None = None,
    se: InferenceLike | None = None,
    small_sample: Literal["nested", "all", "none"] = "nested",
    alpha: float = 0.05,
    engine: Literal["duckdb", "spark"] = "duckdb",
    connection: Any = None,
    memory_limit: str | None = None,
    threads: int | None = None,
) -> EffectResult:
    """Static TWFE DiD (unit and period effects) computed by DuckDB or Spark on a balanced panel.

    Parameters are those of :func:`iej_impact.diff_in_diff.twfe` (``se``: None, clustered by unit;
    ``{"type": "clustered", "by": col}``; or ``"robust"``, HC1), plus ``source``, ``engine``,
    ``connection``, ``memory_limit`` and ``threads`` as in :func:`iej_impact.engines.att_gt_engine`.
    ``weights`` is not supported (SpecificationError), nor are unbalanced panels.

    Returns
    -------
    EffectResult with method "twfe", as ``twfe`` returns it (estimate, SE, CI, inference, the
    ``coefficients``, ``negative_weights``, ``small_sample_factor``, ``n_clusters``, ``n_obs`` and
    ``k_params`` diagnostics); ``bacon`` is None.
    """
    if weights is not None:
        raise SpecificationError(f"{_FUNC}(): weights are not supported by the engine path; use the in-memory "
                                 "twfe().")
    covs = as_column_list("covariates", covariates, _FUNC)
    inference = parse_inference(Clustered(by=unit) if se is None else se, _FUNC, ("clustered", "robust"))
    cluster_cols = list(inference.columns) if isinstance(inference, Clustered) else []
    names = [outcome, treatment, *covs]
    k = len(names)
    backend = open_backend(source, engine, connection, memory_limit=memory_limit, threads=threads, func=_FUNC)
    try:
        base = _sql.twfe_base(backend.view, backend.quote, unit=unit, time=time, columns=names, clusters=cluster_cols)
        facts = backend.query(_sql.twfe_means(base, k)).iloc[0]
        _check_panel(facts, unit=unit, time=time, treatment=treatment)
        grand = np.array([float(facts[f"m{j}"]) for j in range(k)])
        cells = backend.query(_sql.twfe_cell_sums(base, k, grand))
        xmax = np.array([float(facts[f"x{j}"]) for j in range(k)])
        cross, keep, coef = _slopes(cells, k, xmax, names, covs)
        meat_row = backend.query(_sql.twfe_meat(base, k, grand, keep, list(coef), len(cluster_cols))).iloc[0]
    finally:
        backend.close()
    n_obs, n_units, n_periods = int(facts["n_rows"]), int(facts["n_units"]), int(facts["n_periods"])
    g = int(meat_row["n_clusters"])
    k_params, factor, convention = small_sample_factor(n_obs, len(keep), g, n_units, n_periods, bool(cluster_cols),
                                                       bool(int(meat_row["nested"])), small_sample)
    xtx_inv = np.linalg.inv(cross[np.ix_(keep, keep)])
    vcov = factor * xtx_inv @ _symmetric(meat_row, "m", len(keep)) @ xtx_inv
    ses = np.sqrt(np.diag(vcov))
    est, std_error = float(coef[0]), float(ses[0])
    lo, hi, pval = normal_ci(est, std_error, alpha)
    coefs = pd.DataFrame({"estimate": coef, "std_error": ses, "statistic": coef / ses},
                         index=pd.Index([names[j] for j in keep], name="term"))
    negw = _cell_weights(cells, cross, keep)
    rows_never = int(cells.loc[cells["cohort"].isna(), "n_obs"].sum())
    n_never = rows_never // n_periods
    n_treated_units = n_units - n_never
    sizes = pd.DataFrame({"units": [n_never, n_treated_units], "observations": [rows_never, n_obs - rows_never]},
                         index=pd.Index(["never treated", "ever treated"], name="group"))
    n_neg = int(negw["negative"].sum())
    notes = (f"Two-way fixed effects ({n_units} units, {n_periods} periods, {n_obs} observations, balanced; "
             f"computed by {engine}); "
             + (f"cluster-robust SE by {cluster_cols} ({g} clusters), small-sample factor {small_sample!r} = "
                f"{factor:.6f}" if cluster_cols else f"heteroskedasticity-robust HC1 SE (factor {factor:.6f})") + ".",
             f"de Chaisemartin-D'Haultfoeuille: {n_neg} of {len(negw)} treated (cohort, period) cells have negative "
             f"weights (total {negw.loc[negw['negative'], 'weight'].sum():.3f}).",
             "The Goodman-Bacon decomposition is not computed on the engine path.",
             "TWFE assumes parallel trends and homogeneous effects; with staggered entry and heterogeneous effects "
             "prefer att_gt().")
    return EffectResult(
        method="twfe", estimand="ATT", outcome=outcome, estimate=est, std_error=std_error, ci=(lo, hi),
        p_value=pval, inference=(inference if cluster_cols else Robust()).using(convention),
        n_treated=n_treated_units, n_control=n_never, alpha=float(alpha), sample_sizes=sizes,
        diagnostics={"coefficients": coefs, "negative_weights": negw, "bacon": None, "small_sample_factor": factor,
                     "n_clusters": g, "n_obs": n_obs, "k_params": k_params},
        spec={"outcome": outcome, "unit": unit, "time": time, "treatment": treatment, "covariates": covs,
              "weights": None, "se": inference.to_dict(), "small_sample": small_sample, "alpha": alpha,
              "engine": engine},
        notes=notes,
    )
