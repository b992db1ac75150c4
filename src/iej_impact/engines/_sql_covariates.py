"""The SQL of the engine's group-time DiD with covariates: plain SQL text, the same for DuckDB and Spark.

Three statements, built on the ``base`` CTE of :func:`iej_impact.engines._sql.panel_base` and the
unit pivot ``wide`` of :mod:`iej_impact.engines._sql`:

* :func:`masked_source`: the panel with one more column, the outcome set to NULL on rows where a
  covariate is missing (the in-memory ``att_gt`` drops those rows, which makes the unit
  incomplete: dropped with ``unbalanced="drop"``, refused otherwise).
* :func:`unit_table`: one row per complete unit: cohort, weight, cluster keys and, per
  covariate, its smallest and largest value over the unit's rows (the engine path takes
  time-invariant covariates; the two differ for a covariate that varies within the unit). One scan
  and a hash aggregation to N units; the result (N x (k + a few)) is held in memory.
* :func:`unit_outcomes`: the complete units' T outcomes, one row per unit, read in chunks (never
  held whole): the pivot of ``_sql`` (one scan, a hash aggregation to N units).
"""

from __future__ import annotations

from collections.abc import Sequence

from ._sql import Quote, _double, _wide

__all__ = ["OUTCOME", "masked_source", "unit_table", "unit_outcomes"]

#: the masked outcome's column name in :func:`masked_source`
OUTCOME = "iej_outcome_with_covariates"


def masked_source(view: str, q: Quote, outcome: str, covariates: Sequence[str]) -> str:
    """A subquery usable as ``FROM``: every column of ``view`` and ``OUTCOME``, the outcome or NULL when a
    covariate is missing (or NaN)."""
    missing = " OR ".join(f"{_double(q(c))} IS NULL" for c in covariates)
    return f"(SELECT *, CASE WHEN {missing} THEN NULL ELSE {q(outcome)} END AS {q(OUTCOME)} FROM {view}) iej_masked"


def unit_table(base: str, view: str, q: Quote, *, unit: str, time: str, covariates: Sequence[str],
               periods: Sequence[float], shift: Sequence[float], n_keys: int) -> str:
    """Per complete unit: u, g, w, k_varies, cluster keys k0..., and x{j} / xmax{j} (MIN and MAX of covariate j)."""
    xs = ", ".join(f"MIN({_double(q(c))}) AS x{j}, MAX({_double(q(c))}) AS xmax{j}" for j, c in enumerate(covariates))
    keys = "".join(f", wide.k{j} AS k{j}" for j in range(n_keys))
    cols = ", ".join(f"xs.x{j} AS x{j}, xs.xmax{j} AS xmax{j}" for j in range(len(covariates)))
    return (f"WITH {_wide(base, periods, shift, n_keys)}, xs AS (SELECT {q(unit)} AS u, {xs} FROM {view} "
            f"WHERE {q(time)} IS NOT NULL GROUP BY {q(unit)}) "
            f"SELECT wide.u AS u, wide.g AS g, wide.w AS w, wide.k_varies AS k_varies{keys}, {cols} "
            "FROM wide JOIN xs ON wide.u = xs.u WHERE wide.complete = 1")


def unit_outcomes(base: str, periods: Sequence[float], shift: Sequence[float]) -> str:
    """Per complete unit: u and its outcomes y0... (period j's outcome minus shift_j)."""
    ys = ", ".join(f"y{j}" for j in range(len(periods)))
    return f"WITH {_wide(base, periods, shift, 0)} SELECT u, {ys} FROM wide WHERE complete = 1"
