"""The SQL reductions behind :func:`iej_impact.engines.event_study_engine`: portable SQL as in :mod:`._sql`.

The event study is the TWFE regression of the outcome on event-time dummies (and covariates), so
after :func:`event_base` has built the columns, the TWFE statements of :mod:`._sql` apply as they
are: the same two-way within transformation of a balanced panel (z = v - unit mean - period mean
+ grand mean) and the same cluster-score meat (:func:`iej_impact.engines._sql.twfe_meat`).

* :func:`event_base`: the CTE ``base`` with v0 the outcome, v1... the dummies 1{g not null and
  t - g = k} for the event times k of the window but the reference, the end points binned
  (t - g <= first lead, t - g >= last lag), then the covariates; the cohort g (NULL: never
  treated, or the ``never_treated`` code) and the cluster columns k0...
* :func:`event_facts`: one scan for the rows, units, periods, the missing values of each column,
  the cohorts coded 0, the duplicated (unit, period) pairs, the units whose cohort varies, and
  the means of the v columns (the grand means of the within transformation).
* :func:`event_cell_sums`: per (cohort, period) cell, the rows, the value of each demeaned dummy
  and the sums and sums of products of the other demeaned columns (two scans, as
  :func:`iej_impact.engines._sql.twfe_cell_sums`). On a balanced panel a dummy's unit mean depends
  on the unit's cohort only and its period mean on the period only, so its demeaned value is the
  same for every row of a (cohort, period) cell: the products involving a dummy are cell-level
  products (numpy forms them), and the engine sums only the (c+1)(c+2)/2 products of the outcome
  and the c covariates per row, not the (K+c+1)(K+c+2)/2 of all the columns (K dummies).
  Summed over the cells they give X'X and X'y; the cells' rows give the treated observations per
  event time.

Memory: the N unit means; the results are G x T cells and one row of facts.
"""

from __future__ import annotations

from collections.abc import Sequence

from ._sql import Quote, _demeaned, _double, num

__all__ = ["event_base", "event_cell_sums", "event_facts"]


def _dummy(k: int, lo: int, hi: int) -> str:
    """1{g not null and the binned event time is k}, as DOUBLE (the end points take the bins beyond)."""
    op = "<=" if k == lo else ">=" if k == hi else "="
    return f"(CASE WHEN g IS NOT NULL AND t - g {op} {num(k)} THEN CAST(1.0 AS DOUBLE) ELSE CAST(0.0 AS DOUBLE) END)"


def event_base(view: str, q: Quote, *, unit: str, time: str, outcome: str, cohort: str, levels: Sequence[int],
               window: tuple[int, int], covariates: Sequence[str], clusters: Sequence[str],
               never_treated: float | None = None) -> str:
    """CTE ``base``: unit u, period t (DOUBLE), cohort g, v0 the outcome, v1... the event-time dummies of
    ``levels`` then the covariates, and the clusters k0..."""
    g = _double(q(cohort))
    if never_treated is not None:
        g = f"(CASE WHEN {g} = {num(never_treated)} THEN NULL ELSE {g} END)"
    raw = (f"SELECT {q(unit)} AS u, CAST({q(time)} AS DOUBLE) AS t, {g} AS g, {_double(q(outcome))} AS y"
           + "".join(f", {_double(q(c))} AS x{j}" for j, c in enumerate(covariates))
           + "".join(f", {q(c)} AS k{j}" for j, c in enumerate(clusters)) + f" FROM {view}")
    cols = ["u", "t", "g", "y AS v0"] + [f"{_dummy(k, *window)} AS v{1 + j}" for j, k in enumerate(levels)]
    cols += [f"x{j} AS v{1 + len(levels) + j}" for j in range(len(covariates))]
    cols += [f"k{j} AS k{j}" for j in range(len(clusters))]
    return f"base AS (SELECT {', '.join(cols)} FROM ({raw}) raw)"


def event_facts(base: str, k: int, n_keys: int, covariate_columns: Sequence[int]) -> str:
    """One row: n_rows, n_units, n_periods, t_min, missing counts (miss_u, miss_t, miss_v{j} for the outcome and
    the covariate columns, miss_k{j}), n_g_zero (cohort coded 0), n_duplicated (unit, period) pairs,
    n_g_varies (units whose cohort is not constant), and per v column its mean m{j}."""
    miss = ["SUM(CASE WHEN u IS NULL THEN 1 ELSE 0 END) AS miss_u", "SUM(CASE WHEN t IS NULL THEN 1 ELSE 0 END) AS miss_t"]
    miss += [f"SUM(CASE WHEN v{j} IS NULL THEN 1 ELSE 0 END) AS miss_v{j}" for j in [0, *covariate_columns]]
    miss += [f"SUM(CASE WHEN k{j} IS NULL THEN 1 ELSE 0 END) AS miss_k{j}" for j in range(n_keys)]
    means = [f"AVG(v{j}) AS m{j}" for j in range(k)]
    varies = "CASE WHEN MIN(g) <> MAX(g) OR (COUNT(g) > 0 AND COUNT(g) < COUNT(*)) THEN 1 ELSE 0 END"
    return (f"WITH {base}, cells AS (SELECT u, t, COUNT(*) AS c FROM base GROUP BY u, t), "
            f"units AS (SELECT u, {varies} AS g_varies FROM base GROUP BY u) "
            f"SELECT * FROM (SELECT COUNT(*) AS n_rows, COUNT(DISTINCT u) AS n_units, COUNT(DISTINCT t) AS n_periods, "
            f"MIN(t) AS t_min, SUM(CASE WHEN g = 0 THEN 1 ELSE 0 END) AS n_g_zero, {', '.join(miss + means)} "
            "FROM base) a CROSS JOIN (SELECT COUNT(*) AS n_duplicated FROM cells WHERE c > 1) b "
            "CROSS JOIN (SELECT SUM(g_varies) AS n_g_varies FROM units) c")


def event_cell_sums(base: str, k: int, grand: Sequence[float], dummies: Sequence[int]) -> str:
    """Per (cohort, period) cell: rows n_obs; for the columns of ``dummies``, their demeaned value d_j (constant
    within the cell: MIN picks it); for the other columns (z0 the outcome, the covariates), the sums z_j of z_j
    and s_j_l of z_j z_l (j <= l). The cohort is the unit's (NULL: never treated)."""
    others = [j for j in range(k) if j not in set(dummies)]
    sums = (["COUNT(*) AS n_obs"] + [f"MIN(z{j}) AS d_{j}" for j in dummies] + [f"SUM(z{j}) AS z_{j}" for j in others]
            + [f"SUM(z{j} * z{m}) AS s_{j}_{m}" for a, j in enumerate(others) for m in others[a:]])
    return (f"WITH {_demeaned(base, k, grand)}, fu AS (SELECT u, MIN(g) AS g FROM base GROUP BY u) "
            f"SELECT fu.g AS g, dm.t AS t, {', '.join(sums)} FROM dm JOIN fu ON dm.u = fu.u GROUP BY fu.g, dm.t")
