"""``event_study_engine``: the dynamic TWFE event study of a panel that stays in a SQL engine.

The regression is the one of :func:`~iej_impact.diff_in_diff.event_study`,

    y_it = a_i + l_t + sum_{k in window, k != reference} b_k 1{t - g_i = k} + X_it'c + e_it,

with the event times beyond the window binned into the end points. Without covariates, and with
standard errors clustered by unit or HC1, it follows from the per-cohort moments of the outcomes
(:mod:`._event_moments`, one pass over the rows). Otherwise it is computed as :func:`twfe_engine` does: the
event-time dummies are built in SQL from the period and the cohort (:mod:`._sql_event`), the
closed-form within transformation of a balanced panel, z_it = x_it - xbar_i - xbar_t + xbar, is
applied to the outcome, the dummies and the covariates, and their cross-products are formed by
(cohort, period) cell (a demeaned dummy is constant within a cell: :mod:`._sql_event`); numpy adds
up the cells (X'X, X'y) and solves for the coefficients. A
second query sums the scores z_it e_it by cluster (or row, for HC1) and their outer products, the
meat of the Liang-Zeger sandwich; the small-sample factor is ``event_study``'s (``small_sample``).
The table, the pre-trend Wald test and the notes are built by the function that builds the
in-memory result (:func:`iej_impact.diff_in_diff._event_study.event_study_result`), so both paths
return the same :class:`~iej_impact.diff_in_diff.EventStudyResult`.

Unbalanced panels raise SpecificationError (the in-memory ``event_study`` iterates alternating
projections over the rows; the engine path does not), as do weights (the weighted within
transformation has no closed form either).

References
----------
Sun, L. and Abraham, S. (2021). Estimating dynamic treatment effects in event studies with
heterogeneous treatment effects. Journal of Econometrics 225(2), 175-199.
Cameron, A. C. and Miller, D. L. (2015). A practitioner's guide to cluster-robust inference.
Journal of Human Resources 50(2), 317-372.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from .._params import Columns, EventTimes, Interval, Options, constrained
from .._validation import as_column_list
from ..diff_in_diff._event_study import EventStudyResult, check_bins, check_window, event_levels, event_study_result
from ..diff_in_diff._twfe import small_sample_factor
from ..errors import DataError, EstimationError, MissingDataWarning, PanelStructureError, SpecificationError
from ..inference import Clustered, InferenceLike, Robust, parse_inference
from . import _sql, _sql_event
from ._backends import open_backend
from ._event_moments import event_design, moments_fit
from ._moments import collect
from ._twfe import _symmetric

__all__ = ["event_study_engine"]

_FUNC = "event_study_engine"


def _check_facts(facts: pd.Series, names: dict[str, str], *, unit: str, time: str, cohort: str,
                 never_treated: float | None) -> None:
    """The panel checks of the in-memory ``event_study`` on the facts of :func:`_sql_event.event_facts`;
    ``names`` maps the facts' missing-value columns (miss_v0, miss_k0...) to the user's column names."""
    if int(facts["n_rows"]) == 0:
        raise DataError(f"{_FUNC}(): the data have no rows.")
    for key, column in names.items():
        n = int(facts[key] or 0)
        if n:
            raise DataError(f"{_FUNC}(): column '{column}' has missing values in {n} rows. Drop them with a sample "
                            "filter or impute them first.", column=column)
    if never_treated is None and int(facts["n_g_zero"] or 0) and float(facts["t_min"]) > 0:
        raise DataError(f"{_FUNC}(): cohort column '{cohort}' is 0 in {int(facts['n_g_zero'])} rows, before the panel "
                        "starts; never-treated units are coded as missing: pass never_treated=0 if 0 means never "
                        "treated.", column=cohort)
    if int(facts["n_duplicated"]):
        raise PanelStructureError(f"{_FUNC}(): {int(facts['n_duplicated'])} (unit, period) pairs of '{unit}' and "
                                  f"'{time}' appear in more than one row.", column=unit)
    if int(facts["n_g_varies"] or 0):
        raise PanelStructureError(f"{_FUNC}(): the first treatment period '{cohort}' varies within "
                                  f"{int(facts['n_g_varies'])} unit(s) of '{unit}'; it must be constant within unit.",
                                  column=cohort)
    if int(facts["n_rows"]) != int(facts["n_units"]) * int(facts["n_periods"]):
        raise SpecificationError(
            f"{_FUNC}(): the panel is unbalanced ({int(facts['n_rows'])} rows for {int(facts['n_units'])} units x "
            f"{int(facts['n_periods'])} periods). The engine path uses the closed-form within transformation of "
            "balanced panels; use the in-memory event_study(), which iterates alternating projections.")


def _bin_counts(cells: pd.DataFrame, lo: int, hi: int, time: str, cohort: str) -> dict[int, int]:
    """Treated rows per binned event time, from the (cohort, period) cells; DataError on fractional event times."""
    treated = cells[cells["g"].notna()]
    e = treated["t"].to_numpy(dtype=float) - treated["g"].to_numpy(dtype=float)
    if np.any(np.abs(e - np.round(e)) > 1e-9):
        raise DataError(f"{_FUNC}(): event times {time} - {cohort} must be whole numbers of periods.", column=cohort)
    eb = np.clip(e, lo, hi)
    n = treated["n_obs"].to_numpy(dtype=np.int64)
    return {k: int(n[eb == k].sum()) for k in range(lo, hi + 1)}


def _cross_products(cells: pd.DataFrame, k: int, dummies: list[int]) -> np.ndarray:
    """Z'Z of the demeaned columns (outcome, dummies, covariates) from the cells of
    :func:`_sql_event.event_cell_sums`: a dummy's demeaned value d is constant within a cell, so
    sum d_j d_l = sum over cells n d_j d_l and sum d_j z = sum over cells d_j (cell sum of z)."""
    others = [j for j in range(k) if j not in set(dummies)]
    n = cells["n_obs"].to_numpy(dtype=float)
    d = cells[[f"d_{j}" for j in dummies]].to_numpy(dtype=float)
    z = cells[[f"z_{j}" for j in others]].to_numpy(dtype=float)
    cross = np.empty((k, k))
    cross[np.ix_(dummies, dummies)] = d.T @ (d * n[:, None])
    cross[np.ix_(dummies, others)] = d.T @ z
    cross[np.ix_(others, dummies)] = z.T @ d
    sums = cells[[f"s_{j}_{m}" for a, j in enumerate(others) for m in others[a:]]].astype(float).sum()
    cross[np.ix_(others, others)] = _symmetric(sums.rename(lambda c: _renumber(c, others)), "s", len(others))
    return cross


def _renumber(column: str, others: list[int]) -> str:
    """``s_j_l`` (j, l column numbers of the panel) as ``s_a_b`` (their positions among ``others``)."""
    _, j, m = column.split("_")
    return f"s_{others.index(int(j))}_{others.index(int(m))}"


@constrained({
    "outcome": Columns(single=True), "unit": Columns(single=True), "time": Columns(single=True),
    "cohort": Columns(single=True), "covariates": Columns(), "weights": Columns(single=True, none_ok=True),
    "pretrend_leads": EventTimes(high=-1, keywords=("all",), none_ok=True), "alpha": Interval(0.0, 0.5, low_open=True),
    "small_sample": Options(("nested", "all", "none")), "engine": Options(("duckdb", "spark")),
})
def event_study_engine(
    source: Any,
    *,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    window: tuple[int, int] = (-4, 4),
    reference: int = -1,
    covariates: Sequence[str] = (),
    se: InferenceLike | None = None,
    never_treated: float | None = None,
    weights: str | None = None,
    small_sample: Literal["nested", "all", "none"] = "nested",
    pretrend_leads: Sequence[int] | Literal["all"] | None = None,
    alpha: float = 0.05,
    engine: Literal["duckdb", "spark"] = "duckdb",
    connection: Any = None,
    memory_limit: str | None = None,
    threads: int | None = None,
) -> EventStudyResult:
    """Dynamic TWFE event study (binned end points, pre-trend test) computed by DuckDB or Spark on a balanced panel.

    Parameters are those of :func:`iej_impact.diff_in_diff.event_study` (``se``: None, clustered by
    unit; ``{"type": "clustered", "by": col}``; or ``"robust"``, HC1; ``small_sample``: "nested",
    "all", "none"), plus ``source``, ``engine``, ``connection``, ``memory_limit`` and ``threads`` as
    in :func:`iej_impact.engines.att_gt_engine`. ``weights`` is not supported (SpecificationError),
    nor are unbalanced panels.

    Returns
    -------
    EventStudyResult, as ``event_study`` returns it on the same data (coefficients, standard errors,
    table, covariance, pre-trend test) up to floating-point rounding; its ``spec`` also records the
    engine.

    Notes
    -----
    Identification needs parallel trends, no anticipation before the reference period and, for the
    coefficients to be averages of the cohorts' effects, homogeneous effects across cohorts (Sun &
    Abraham 2021); ``att_gt_engine(...).aggregate("dynamic")`` is robust to heterogeneous effects.
    """
    if weights is not None:
        raise SpecificationError(f"{_FUNC}(): weights are not supported by the engine path (the weighted two-way "
                                 "within transformation has no closed form); use the in-memory event_study().")
    lo, hi = check_window(window, reference, pretrend_leads, _FUNC)
    levels = event_levels(lo, hi, reference)
    covs = as_column_list("covariates", covariates, _FUNC)
    inference = parse_inference(Clustered(by=unit) if se is None else se, _FUNC, ("clustered", "robust"))
    cluster_cols = list(inference.columns) if isinstance(inference, Clustered) else []
    k = 1 + len(levels) + len(covs)
    cov_cols = list(range(1 + len(levels), k))
    missing = {"miss_u": unit, "miss_t": time, "miss_v0": outcome, **{f"miss_v{j}": c for j, c in zip(cov_cols, covs,
                                                                                                       strict=True)},
               **{f"miss_k{j}": c for j, c in enumerate(cluster_cols)}}
    backend = open_backend(source, engine, connection, memory_limit=memory_limit, threads=threads, func=_FUNC)
    if not covs and cluster_cols in ([], [unit]):
        try:  # no covariates, unit clusters or HC1: from the per-cohort moments (one pass over the rows)
            found = _from_moments(backend, outcome=outcome, unit=unit, time=time, cohort=cohort, levels=levels,
                                  window=(lo, hi), clusters=cluster_cols, never_treated=never_treated,
                                  missing=missing, small_sample=small_sample)
        finally:
            backend.close()
        coef, vcov, counts, n_obs, n_units, convention = found
        computed_by = f"computed by {engine} from per-cohort moments (balanced panel)"
    else:
        try:
            coef, vcov, counts, n_obs, n_units, convention = _from_cells(
                backend, outcome=outcome, unit=unit, time=time, cohort=cohort, levels=levels, window=(lo, hi),
                covs=covs, clusters=cluster_cols, never_treated=never_treated, missing=missing,
                small_sample=small_sample, k=k, cov_cols=cov_cols)
        finally:
            backend.close()
        computed_by = f"computed by {engine} from the demeaned cross-products (balanced panel)"
    n_dummies = len(levels)
    spec = {"outcome": outcome, "unit": unit, "time": time, "cohort": cohort, "window": [lo, hi], "reference": reference,
            "covariates": covs, "se": inference.to_dict(), "never_treated": never_treated, "weights": None,
            "small_sample": small_sample, "pretrend_leads": pretrend_leads, "alpha": alpha, "engine": engine}
    return event_study_result(
        coef[:n_dummies], vcov[:n_dummies, :n_dummies], counts, outcome=outcome, window=(lo, hi), reference=reference,
        pretrend_leads=pretrend_leads, alpha=alpha,
        inference=(inference if cluster_cols else Robust()).using(convention), spec=spec, n_units=n_units,
        n_obs=n_obs, computed_by=computed_by)


def _from_moments(backend: Any, *, outcome: str, unit: str, time: str, cohort: str, levels: list[int],
                  window: tuple[int, int], clusters: list[str], never_treated: float | None, missing: dict[str, str],
                  small_sample: str) -> tuple[np.ndarray, np.ndarray, dict[int, int], int, int, str]:
    """The regression from :mod:`._event_moments`. The moments pass also finds an unbalanced panel, duplicated rows,
    missing outcomes and cohorts varying within a unit; when anything is off (or periods are missing, or
    cohorts are coded 0), the cell path's checks run to raise the error that names the problem."""
    base = _sql.panel_base(backend.view, backend.quote, unit=unit, time=time, outcome=outcome, cohort=cohort,
                           never_treated=never_treated)
    try:
        null_t = int(backend.query(f"WITH {base} SELECT COUNT(*) AS n FROM base WHERE t IS NULL").iloc[0]["n"])
        with warnings.catch_warnings():
            warnings.simplefilter("error", MissingDataWarning)  # a missing outcome: the checks below say which
            mom = collect(backend, base, func=_FUNC, unit=unit, time=time, outcome=outcome, cohort=cohort,
                          weights=None, unbalanced="keep")
        zero = never_treated is None and bool(np.any(mom.cohort == 0)) and float(mom.periods.min()) > 0
        if null_t or zero:
            raise DataError(f"{_FUNC}(): {null_t} rows have a missing period '{time}'" if null_t else
                            f"{_FUNC}(): cohort column '{cohort}' is 0, before the panel starts; never-treated units "
                            "are coded as missing: pass never_treated=0 if 0 means never treated.",
                            column=time if null_t else cohort)
    except (DataError, PanelStructureError, MissingDataWarning):
        lite = _sql_event.event_base(backend.view, backend.quote, unit=unit, time=time, outcome=outcome,
                                     cohort=cohort, levels=[], window=window, covariates=[], clusters=clusters,
                                     never_treated=never_treated)
        facts = backend.query(_sql_event.event_facts(lite, 1, len(clusters), [])).iloc[0]
        _check_facts(facts, missing, unit=unit, time=time, cohort=cohort, never_treated=never_treated)
        raise
    dummies, counts = event_design(mom, levels, window, time=time, cohort=cohort, func=_FUNC)
    check_bins(counts, levels, window, _FUNC)
    coef, xtx_inv, meat, g = moments_fit(mom, dummies, clustered=bool(clusters))
    n_units, n_periods = int(mom.n.sum()), len(mom.periods)
    n_obs = n_units * n_periods  # balanced: every unit complete
    _, factor, convention = small_sample_factor(n_obs, len(levels), g, n_units, n_periods, bool(clusters), True,
                                                small_sample)
    return coef, factor * xtx_inv @ meat @ xtx_inv, counts, n_obs, n_units, convention


def _from_cells(backend: Any, *, outcome: str, unit: str, time: str, cohort: str, levels: list[int],
                window: tuple[int, int], covs: list[str], clusters: list[str], never_treated: float | None,
                missing: dict[str, str], small_sample: str, k: int, cov_cols: list[int]
                ) -> tuple[np.ndarray, np.ndarray, dict[int, int], int, int, str]:
    """The demeaned cross-products by (cohort, period) cell and the cluster-score meat (:mod:`._sql_event`)."""
    lo, hi = window
    base = _sql_event.event_base(backend.view, backend.quote, unit=unit, time=time, outcome=outcome, cohort=cohort,
                                 levels=levels, window=(lo, hi), covariates=covs, clusters=clusters,
                                 never_treated=never_treated)
    facts = backend.query(_sql_event.event_facts(base, k, len(clusters), cov_cols)).iloc[0]
    _check_facts(facts, missing, unit=unit, time=time, cohort=cohort, never_treated=never_treated)
    grand = [float(facts[f"m{j}"]) for j in range(k)]
    dummies = list(range(1, 1 + len(levels)))
    cells = backend.query(_sql_event.event_cell_sums(base, k, grand, dummies))
    counts = _bin_counts(cells, lo, hi, time, cohort)
    check_bins(counts, levels, window, _FUNC)
    cross = _cross_products(cells, k, dummies)
    xtx = cross[1:, 1:]
    if np.linalg.cond(xtx) > 1e12:
        raise EstimationError("the regressors are collinear once unit and period effects are removed (a regressor "
                              "constant within unit or within period?); drop it.")
    xtx_inv = np.linalg.inv(xtx)
    coef = xtx_inv @ cross[1:, 0]
    meat_row = backend.query(_sql.twfe_meat(base, k, grand, list(range(1, k)), list(coef),
                                            len(clusters))).iloc[0]
    n_obs, n_units, n_periods = int(facts["n_rows"]), int(facts["n_units"]), int(facts["n_periods"])
    _, factor, convention = small_sample_factor(n_obs, k - 1, int(meat_row["n_clusters"]), n_units, n_periods,
                                                bool(clusters), bool(int(meat_row["nested"])), small_sample)
    vcov = factor * xtx_inv @ _symmetric(meat_row, "m", k - 1) @ xtx_inv
    return coef, vcov, counts, n_obs, n_units, convention
