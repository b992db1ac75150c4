"""The SQL reductions behind the engine path: plain SQL text, the same for DuckDB and Spark.

Each function returns one SELECT statement over the view that holds the long panel (one row per
unit and period). Only portable SQL is used: CTEs, GROUP BY, CASE WHEN, CAST(... AS DOUBLE),
SUM/AVG/MIN/MAX/COUNT, inner joins and ``isnan``; identifiers are quoted by the backend
(``"name"`` for DuckDB, `` `name` `` for Spark). Plain strings were preferred to a library that
targets both engines (ibis, sqlglot): the statements are few and short, a third dependency would
buy nothing, and the text is what a user can read and run in their own SQL client.

Costs, for N units, T periods and R = N T rows:

* :func:`period_summary`: one scan of the R rows, T groups.
* :func:`cohort_moments`: one scan, a hash aggregation to N units that pivots the T periods to
  columns (``MAX(CASE WHEN period = p THEN y END)``), then T(T+1)/2 products per unit summed by
  cohort: O(R) data movement and O(N T^2) arithmetic, memory O(N T) for the pivot (spilled to disk
  by DuckDB under ``memory_limit``; shuffled by Spark). A self-join on unit would move N T^2 rows
  instead. :func:`cluster_moments` is the same pivot summed by (cluster, cohort), first moments only.
* TWFE: :func:`twfe_means` checks the panel and takes the grand means (one scan and a group by
  unit and period); :func:`twfe_cell_sums` joins the rows to their unit means (N groups) and period
  means (T groups) and sums the k(k+1)/2 products of the demeaned columns by (cohort, period,
  treatment) cell: two scans; :func:`twfe_meat` sums the scores x e by cluster and then their
  outer products: two more scans. Memory: the N unit means.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

__all__ = ["cohort_moments", "cluster_moments", "period_summary", "twfe_cell_sums", "twfe_means", "twfe_meat"]

Quote = Callable[[str], str]


def num(value: float) -> str:
    """A float literal both engines read as DOUBLE."""
    return f"CAST({float(value)!r} AS DOUBLE)"


def _double(expr: str) -> str:
    """A numeric column as DOUBLE, NaN read as NULL (Parquet written from numpy may hold NaN)."""
    return f"(CASE WHEN isnan(CAST({expr} AS DOUBLE)) THEN NULL ELSE CAST({expr} AS DOUBLE) END)"


def panel_base(view: str, q: Quote, *, unit: str, time: str, outcome: str, cohort: str | None = None,
               weights: str | None = None, never_treated: float | None = None,
               clusters: Sequence[str] = ()) -> str:
    """The CTE ``base``: unit u, period t, outcome y, cohort g (NULL: never treated), weight w, clusters k0..."""
    cols = [f"{q(unit)} AS u", f"CAST({q(time)} AS DOUBLE) AS t", f"{_double(q(outcome))} AS y",
            f"{'CAST(1.0 AS DOUBLE)' if weights is None else _double(q(weights))} AS w"]
    if cohort is not None:
        g = _double(q(cohort))
        if never_treated is not None:
            g = f"(CASE WHEN {g} = {num(never_treated)} THEN NULL ELSE {g} END)"
        cols.append(f"{g} AS g")
    cols += [f"{q(c)} AS k{j}" for j, c in enumerate(clusters)]
    return f"base AS (SELECT {', '.join(cols)} FROM {view})"


def period_summary(base: str) -> str:
    """Per period: rows, rows with an outcome, mean outcome; rows with a missing unit or a bad weight."""
    return (f"WITH {base} SELECT t, COUNT(*) AS n_rows, COUNT(y) AS n_y, AVG(y) AS mean_y, "
            "SUM(CASE WHEN u IS NULL THEN 1 ELSE 0 END) AS n_unit_missing, "
            "SUM(CASE WHEN w IS NULL OR w <= 0 THEN 1 ELSE 0 END) AS n_bad_weight "
            "FROM base WHERE t IS NOT NULL GROUP BY t ORDER BY t")


def _wide(base: str, periods: Sequence[float], shift: Sequence[float], clusters: int) -> str:
    """CTE ``wide``: one row per unit, y_j = its outcome in period j minus shift_j, and flags.

    ``complete`` is 1 when the unit has exactly one row with an outcome in every period (T rows
    covering T periods); ``g_varies`` / ``w_varies`` / ``k_varies`` flag a cohort, weight or cluster
    that is not constant within the unit.
    """
    n_t = len(periods)
    ys = [f"MAX(CASE WHEN t = {num(p)} THEN y - {num(s)} END) AS y{j}" for j, (p, s) in enumerate(zip(periods, shift,
                                                                                                   strict=True))]
    ks = [f"MIN(k{j}) AS k{j}" for j in range(clusters)]
    kv = " OR ".join(f"MIN(k{j}) <> MAX(k{j})" for j in range(clusters)) or "FALSE"
    inner = (f"SELECT u, MIN(g) AS g, AVG(w) AS w, COUNT(*) AS n_rows, "
             f"CASE WHEN MIN(g) <> MAX(g) OR (COUNT(g) > 0 AND COUNT(g) < COUNT(*)) THEN 1 ELSE 0 END AS g_varies, "
             f"CASE WHEN MAX(w) - MIN(w) > 1e-12 * ABS(AVG(w)) THEN 1 ELSE 0 END AS w_varies, "
             f"CASE WHEN {kv} THEN 1 ELSE 0 END AS k_varies, "
             + ", ".join(ys + ks) + " FROM base WHERE t IS NOT NULL GROUP BY u")
    complete = " AND ".join([f"y{j} IS NOT NULL" for j in range(n_t)] + [f"n_rows = {n_t}"])
    keys = "".join(f", k{j}" for j in range(clusters))
    ycols = ", ".join(f"y{j}" for j in range(n_t))
    return (f"{base}, per_unit AS ({inner}), wide AS (SELECT u, g, w, g_varies, w_varies, k_varies{keys}, {ycols}, "
            f"CASE WHEN {complete} THEN 1 ELSE 0 END AS complete FROM per_unit)")


def cohort_moments(base: str, periods: Sequence[float], shift: Sequence[float]) -> str:
    """Per (cohort, complete): units n, sum w, sum w^2, and for the shifted outcomes y_j: sum w y_j
    (a_j), sum w^2 y_j (b_j) and sum w^2 y_j y_l for j <= l (c_j_l); plus the counts of units whose
    cohort or weight varies."""
    n_t = len(periods)
    sums = ["COUNT(*) AS n", "SUM(w) AS sw", "SUM(w * w) AS sww", "SUM(g_varies) AS n_g_varies",
            "SUM(w_varies) AS n_w_varies"]
    sums += [f"SUM(w * y{j}) AS a_{j}" for j in range(n_t)]
    sums += [f"SUM(w * w * y{j}) AS b_{j}" for j in range(n_t)]
    sums += [f"SUM(w * w * y{j} * y{m}) AS c_{j}_{m}" for j in range(n_t) for m in range(j, n_t)]
    return f"WITH {_wide(base, periods, shift, 0)} SELECT g, complete, {', '.join(sums)} FROM wide GROUP BY g, complete"


def cluster_moments(base: str, periods: Sequence[float], shift: Sequence[float], n_keys: int) -> str:
    """Per (cluster, cohort) among complete units: units n, sum w and sum w y_j (a_j); and the units
    whose cluster varies (n_k_varies)."""
    n_t = len(periods)
    keys = ", ".join(f"k{j}" for j in range(n_keys))
    sums = ["COUNT(*) AS n", "SUM(w) AS sw", "SUM(k_varies) AS n_k_varies"]
    sums += [f"SUM(w * y{j}) AS a_{j}" for j in range(n_t)]
    return (f"WITH {_wide(base, periods, shift, n_keys)} SELECT {keys}, g, {', '.join(sums)} FROM wide "
            f"WHERE complete = 1 GROUP BY {keys}, g")


# ----------------------------------------------------------------------------------------- TWFE


def twfe_base(view: str, q: Quote, *, unit: str, time: str, columns: Sequence[str], clusters: Sequence[str]) -> str:
    """CTE ``base``: unit u, period t, the model's columns v0 (outcome), v1 (treatment), v2... and clusters."""
    cols = [f"{q(unit)} AS u", f"{q(time)} AS t"] + [f"{_double(q(c))} AS v{j}" for j, c in enumerate(columns)]
    cols += [f"{q(c)} AS k{j}" for j, c in enumerate(clusters)]
    return f"base AS (SELECT {', '.join(cols)} FROM {view})"


def twfe_means(base: str, k: int) -> str:
    """Rows, distinct units and periods, duplicated (unit, period) pairs, missing values, column means and
    largest absolute values."""
    missing = " OR ".join(["u IS NULL", "t IS NULL"] + [f"v{j} IS NULL" for j in range(k)])
    means = ", ".join(f"AVG(v{j}) AS m{j}, MAX(ABS(v{j})) AS x{j}" for j in range(k))
    return (f"WITH {base}, cells AS (SELECT u, t, COUNT(*) AS c FROM base GROUP BY u, t) "
            f"SELECT * FROM (SELECT COUNT(*) AS n_rows, COUNT(DISTINCT u) AS n_units, COUNT(DISTINCT t) AS n_periods, "
            f"SUM(CASE WHEN {missing} THEN 1 ELSE 0 END) AS n_missing, "
            f"SUM(CASE WHEN v1 <> 0 AND v1 <> 1 THEN 1 ELSE 0 END) AS n_not_binary, {means} FROM base) a "
            "CROSS JOIN (SELECT COUNT(*) AS n_duplicated FROM cells WHERE c > 1) b")


def _demeaned(base: str, k: int, grand: Sequence[float]) -> str:
    """CTEs ``um`` (unit means), ``tm`` (period means) and ``dm``: z_it = v_it - unit mean - period mean + grand mean.

    The grand means (from :func:`twfe_means`) are subtracted from the columns first (c0, c1...), which
    leaves the transformation unchanged and keeps the sums of products well conditioned."""
    cen = ", ".join(f"v{j} - {num(grand[j])} AS c{j}" for j in range(k))
    um = ", ".join(f"AVG(c{j}) AS um{j}" for j in range(k))
    tm = ", ".join(f"AVG(c{j}) AS tm{j}" for j in range(k))
    dm = ", ".join(f"cb.c{j} - um.um{j} - tm.tm{j} AS z{j}" for j in range(k))
    return (f"{base}, cb AS (SELECT *, {cen} FROM base), "
            f"um AS (SELECT u, {um} FROM cb GROUP BY u), tm AS (SELECT t, {tm} FROM cb GROUP BY t), "
            f"dm AS (SELECT cb.u, cb.t, cb.v1{''.join(f', cb.k{j}' for j in range(_keys(base)))}, {dm} "
            "FROM cb JOIN um ON cb.u = um.u JOIN tm ON cb.t = tm.t)")


def _keys(base: str) -> int:
    """How many cluster columns k0, k1... the ``base`` CTE defines."""
    n = 0
    while f" AS k{n}" in base:
        n += 1
    return n


def twfe_cell_sums(base: str, k: int, grand: Sequence[float]) -> str:
    """Per (cohort, period, treatment) cell: rows, sums of the demeaned columns z_j and of their products
    z_j z_l (j <= l), and the largest |z_j|. Summed over the cells they give X'X, X'y and y'y (z0 the
    outcome, z1 the treatment); over the treated cells, the weights of each (cohort, period) in b. The
    cohort is the unit's first treated period (NULL: never treated)."""
    sums = ["COUNT(*) AS n_obs"] + [f"SUM(z{j}) AS z_{j}" for j in range(k)]
    sums += [f"SUM(z{j} * z{m}) AS s_{j}_{m}" for j in range(k) for m in range(j, k)]
    sums += [f"MAX(ABS(z{j})) AS zmax_{j}" for j in range(k)]
    return (f"WITH {_demeaned(base, k, grand)}, fu AS (SELECT u, MIN(CASE WHEN v1 = 1 THEN t END) AS cohort "
            f"FROM base GROUP BY u) SELECT fu.cohort AS cohort, dm.t AS t, dm.v1 AS d, {', '.join(sums)} "
            "FROM dm JOIN fu ON dm.u = fu.u GROUP BY fu.cohort, dm.t, dm.v1")


def _residual(regressors: Sequence[int], coef: Sequence[float], target: int = 0) -> str:
    return f"z{target} - (" + " + ".join(f"{num(b)} * z{j}" for j, b in zip(regressors, coef, strict=True)) + ")"


def twfe_meat(base: str, k: int, grand: Sequence[float], regressors: Sequence[int], coef: Sequence[float],
              n_keys: int) -> str:
    """The meat sum_g s_g s_g' of the scores s_g = sum over cluster g of x_it e_it, e = z0 - sum_j b_j z_j
    (x: the z columns listed in ``regressors``); n_keys = 0: every row its own cluster (HC). Also the
    number of clusters and whether every unit lies within one cluster (nested)."""
    p = len(regressors)
    if n_keys == 0:
        prods = ", ".join(f"SUM(z{regressors[j]} * z{regressors[m]} * e * e) AS m_{j}_{m}"
                          for j in range(p) for m in range(j, p))
        return (f"WITH {_demeaned(base, k, grand)}, r AS (SELECT *, {_residual(regressors, coef)} AS e FROM dm) "
                f"SELECT COUNT(*) AS n_clusters, 1 AS nested, {prods} FROM r")
    keys = ", ".join(f"k{j}" for j in range(n_keys))
    varies = " OR ".join(f"MIN(k{j}) <> MAX(k{j})" for j in range(n_keys))
    scores = ", ".join(f"SUM(z{regressors[j]} * e) AS s{j}" for j in range(p))
    outer = ", ".join(f"SUM(s{j} * s{m}) AS m_{j}_{m}" for j in range(p) for m in range(j, p))
    return (f"WITH {_demeaned(base, k, grand)}, r AS (SELECT *, {_residual(regressors, coef)} AS e FROM dm), "
            f"sg AS (SELECT {keys}, {scores} FROM r GROUP BY {keys}), "
            f"split AS (SELECT u FROM base GROUP BY u HAVING {varies}) "
            f"SELECT COUNT(*) AS n_clusters, CASE WHEN (SELECT COUNT(*) FROM split) = 0 THEN 1 ELSE 0 END AS nested, "
            f"{outer} FROM sg")
