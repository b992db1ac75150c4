"""Group-time ATTs with covariates on the engine path: unit table in memory, outcomes streamed in unit chunks.

With covariates, the Callaway & Sant'Anna (2021) ATT(g, t) of a balanced panel is a 2x2
outcome-regression (``reg``), IPW (``ipw``) or doubly robust (``dr``, Sant'Anna & Zhao 2020)
comparison of cohort g with its comparison group on the change Y_t - Y_b, covariates fixed per
unit. Per-cohort moments no longer suffice, but the unit-level data (cohort, weight, covariates,
cluster: N x k) are small; only the outcome panel (N x T) is large. So:

0. the unit table (:func:`iej_impact.engines._sql_covariates.unit_table`) is read into memory and
   each batch of cells sharing a cohort and a comparison group gets the outcome-free part of its
   2x2 (:func:`iej_impact.diff_in_diff._panel_linear.fit_linear`: the logit, the regression's Gram
   matrix), exactly as the in-memory ``att_gt`` forms it;
1. pass A streams the wide outcomes (one row per unit, T columns) in chunks of ``chunk_units``
   units and sums H' Y per batch (:class:`~iej_impact.diff_in_diff._panel_linear.LinearPanel2x2`):
   the outcome regression's Z'W Y_t, the treated and odds-weighted sums of Y_t; the ATT(g, t)
   follow;
2. pass B streams them again, evaluates each chunk's influence-function rows (chunk x cells) and
   the cohort-share columns, and sums their Gram matrix F'F (cells^2), or their sums by cluster.

F'F is then factored into pseudo-rows (:func:`iej_impact.engines._group_time.gram_rows`) for the
aggregations and tests, as without covariates. Memory: O(N k) for the unit table (a batch's
propensity scores are recomputed per chunk from the logit's coefficients; only a separated logit
keeps its N scores), O(chunk (T + cells)) per chunk, O(cells^2) (O(K cells) with K
clusters); never O(N T). Time: two more scans of the panel (each a pivot to N units) and O(N T +
N cells p) arithmetic.

References: Callaway, B. and Sant'Anna, P. H. C. (2021). Difference-in-differences with multiple
time periods. Journal of Econometrics 225(2), 200-230. Sant'Anna, P. H. C. and Zhao, J. (2020).
Doubly robust difference-in-differences estimators. Journal of Econometrics 219(1), 101-122.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._separation import summary_text
from ..diff_in_diff._panel_linear import LinearPanel2x2, fit_linear
from ..diff_in_diff._staggered import group_time_specs
from ..diff_in_diff._two_by_two import pscore_fit
from ..errors import DataError, EstimationError, SpecificationError
from . import _sql_covariates
from ._backends import Backend, DuckDBBackend
from ._group_time import GroupTimeCells, Prepared, gram_rows
from ._moments import CohortMoments

__all__ = ["ConditionalCells", "conditional_cells"]


@dataclass
class _Batch:
    """Cells of one cohort g sharing a comparison group (threshold ``thr``): their 2x2's outcome-free part."""

    g: float
    thr: Any
    cells: list[int]
    n: int
    lin: LinearPanel2x2
    score: np.ndarray | None  # separated logits only: every unit's propensity score (NaN outside the batch)
    sums: np.ndarray = field(default_factory=lambda: np.zeros(0))  # H' Y (width x T)


@dataclass
class ConditionalCells:
    """The cells' estimates, the pseudo-rows (or cluster rows) of [psi, shares], and what went wrong."""

    estimate: np.ndarray
    rows: np.ndarray
    n_clusters: int | None
    problems: list[str]
    separated: list[str]


def stream(backend: Backend, sql: str, chunk_units: int) -> Iterator[pd.DataFrame]:
    """The rows of ``sql`` in chunks of at most ``chunk_units`` (DuckDB: ``fetch_df_chunk``; Spark:
    ``toLocalIterator``), never all at once."""
    if isinstance(backend, DuckDBBackend):
        result = backend.con.execute(sql)
        vectors = max(1, -(-chunk_units // 2048))
        while True:
            frame = result.fetch_df_chunk(vectors)
            if frame.empty:
                return
            yield frame
    frame = backend.spark.sql(sql)  # type: ignore[attr-defined]
    columns, rows = frame.columns, []
    for row in frame.toLocalIterator():
        rows.append(tuple(row))
        if len(rows) >= chunk_units:
            yield pd.DataFrame(rows, columns=columns)
            rows = []
    if rows:
        yield pd.DataFrame(rows, columns=columns)


def _units(backend: Backend, base: str, view: str, *, unit: str, time: str, covariates: Sequence[str],
           mom: CohortMoments, cluster_cols: Sequence[str], func: str) -> pd.DataFrame:
    """The complete units' table, checked: covariates constant within unit and not constant overall, clusters."""
    frame = backend.query(_sql_covariates.unit_table(base, view, backend.quote, unit=unit, time=time,
                                                     covariates=covariates, periods=mom.periods, shift=mom.shift,
                                                     n_keys=len(cluster_cols)))
    for j, c in enumerate(covariates):
        lo, hi = frame[f"x{j}"].to_numpy(dtype=float), frame[f"xmax{j}"].to_numpy(dtype=float)
        varies = int(np.sum(hi != lo))
        if varies:
            raise SpecificationError(f"{func}(): covariate '{c}' varies within {varies} units; the engine path takes "
                                     "time-invariant covariates (one value per unit). Use the in-memory att_gt(), "
                                     "which takes each comparison's base-period value.")
        if len(lo) and np.all(lo == lo[0]):
            raise DataError(f"{func}(): covariate '{c}' is constant (every unit is {lo[0]:g}); it carries no "
                            "information; remove it from 'covariates'.", column=c)
    if cluster_cols:
        if int(frame["k_varies"].sum()):
            raise DataError(f"{func}(): cluster column(s) {list(cluster_cols)} vary within unit; clusters must "
                            "contain whole units.", column=cluster_cols[0])
        if frame[[f"k{j}" for j in range(len(cluster_cols))]].isna().any(axis=None):
            raise DataError(f"{func}(): cluster column(s) {list(cluster_cols)} have missing values.",
                            column=cluster_cols[0])
    return frame


def conditional_cells(backend: Backend, base: str, view: str, *, unit: str, time: str, covariates: Sequence[str],
                      mom: CohortMoments, prepared: Prepared, cells: GroupTimeCells, cluster_cols: Sequence[str],
                      method: str, control_group: str, anticipation: int, base_period: str, trim_level: float,
                      chunk_units: int, func: str) -> ConditionalCells:
    """ATT(g, t) with covariates and the rows for their inference (see the module docstring)."""
    frame = _units(backend, base, view, unit=unit, time=time, covariates=covariates, mom=mom,
                   cluster_cols=cluster_cols, func=func)
    g = frame["g"].to_numpy(dtype=float)
    periods = mom.periods
    kept = np.isnan(g) | (g > periods[0])  # always-treated units are dropped, late cohorts are never treated
    frame, g = frame[kept].reset_index(drop=True), g[kept]
    g[g > periods[-1]] = np.nan
    n = len(frame)
    if n != cells.n_units:  # pragma: no cover - the unit table and the moments see the same units
        raise EstimationError(f"{func}(): the unit table has {n} units, the cohort moments {cells.n_units}.")
    index = pd.Index(frame["u"])
    x = np.column_stack([np.ones(n)] + [frame[f"x{j}"].to_numpy(dtype=float) for j in range(len(covariates))])
    w = frame["w"].to_numpy(dtype=float)
    codes = (frame.groupby([f"k{j}" for j in range(len(cluster_cols))], sort=True, observed=True).ngroup().to_numpy()
             if cluster_cols else None)
    never = np.isnan(g)
    specs, glist, _ = group_time_specs(prepared.mom.periods, prepared.mom.cohort, control_group=control_group,
                                       anticipation=anticipation, base_period=base_period)
    estimate = np.asarray(cells.table["estimate"], dtype=float).copy()
    problems: list[str] = []
    separated: list[str] = []
    grouped: dict[tuple[Any, ...], list[int]] = {}
    for j, (gj, _, _, _, ref, thr) in enumerate(specs):
        if not ref:
            grouped.setdefault((gj, thr), []).append(j)
    batches: list[_Batch] = []
    for (gb, thr), cols in grouped.items():
        estimate[cols] = np.nan
        inside = (g == gb) | (never if thr is None else never | ((g > thr) & (g != gb)))
        d = (g[inside] == gb).astype(float)
        if d.sum() == 0 or d.sum() == len(d):
            continue  # "no treated or no comparison unit": reported by estimate_cells
        label = [f"ATT({specs[j][0]:g},{prepared.mom.periods[specs[j][1]]:g})" for j in cols]
        xb, wb, ps = x[inside], w[inside], None
        try:  # as panel_batch: the logit, its overlap check, then the outcome regression
            if method != "reg":
                ps = pscore_fit(xb, d, wb / wb.mean(), trim_level, names=list(covariates), func=func)
                if ps.separation is not None:
                    separated += [f"{c}: {summary_text(ps.separation)}" for c in label]
                if ps.p.max() >= 0.999:
                    problems += [f"{c}: propensity score >= 0.999 (no overlap)" for c in label]
                    continue
            lin = fit_linear(xb, d, wb, method, trim_level, ps=ps, names=list(covariates), func=func)
        except (EstimationError, np.linalg.LinAlgError) as exc:
            problems += [f"{c}: {exc}" for c in label]
            continue
        score = None
        if lin.score is not None and (lin.separation is not None or lin.coef is None):
            score = np.full(n, np.nan)  # perfectly predicted units: kept, not recomputed from the coefficients
            score[inside] = lin.score
        batches.append(_Batch(gb, thr, cols, int(inside.sum()), lin, score, np.zeros((lin.width, len(prepared.keep_t)))))
    sql = _sql_covariates.unit_outcomes(base, mom.periods, mom.shift)
    rows_of = _ChunkRows(index, g, never, x, w, prepared.keep_t)
    for chunk in stream(backend, sql, chunk_units):  # pass A: H' Y by batch
        pos, y = rows_of(chunk)
        for b in batches:
            sel, xs, d, ws, ps = rows_of.batch(b, pos)
            b.sums += b.lin.sums(xs, d, ws, ps).T @ y[sel]
    for b in batches:
        s = _cell_sums(b, specs)
        estimate[b.cells] = b.lin.att(s)
    n_cells = len(specs)
    share_w = [(g == gl) for gl in glist]
    width = n_cells + len(glist)
    gram = np.zeros((width, width))
    by_cluster = None if codes is None else np.zeros((int(codes.max()) + 1, width))
    for chunk in stream(backend, sql, chunk_units):  # pass B: F'F or cluster sums of F = [psi, shares]
        pos, y = rows_of(chunk)
        f = np.zeros((len(pos), width))
        for b in batches:
            sel, xs, d, ws, ps = rows_of.batch(b, pos)
            dy = y[sel][:, [specs[j][1] for j in b.cells]] - y[sel][:, [specs[j][2] for j in b.cells]]
            f[np.ix_(sel, b.cells)] = b.lin.psi(xs, d, ws, ps, dy, _cell_sums(b, specs)) * (n / b.n)
        for gi, member in enumerate(share_w):
            f[:, n_cells + gi] = w[pos] * member[pos] - cells.group_share[gi]
        if by_cluster is None:
            gram += f.T @ f
        else:
            np.add.at(by_cluster, codes[pos], f)
    if by_cluster is None:
        return ConditionalCells(estimate, gram_rows(gram, n), None, problems, separated)
    return ConditionalCells(estimate, by_cluster * (by_cluster.shape[0] / n), by_cluster.shape[0], problems, separated)


def _cell_sums(b: _Batch, specs: list[tuple[Any, ...]]) -> np.ndarray:
    """s of each of the batch's cells: H' (Y_current - Y_base) (width x cells)."""
    return b.sums[:, [specs[j][1] for j in b.cells]] - b.sums[:, [specs[j][2] for j in b.cells]]


class _ChunkRows:
    """Maps a streamed chunk to the unit table: positions of its kept units and their outcomes (kept periods)."""

    def __init__(self, index: pd.Index, g: np.ndarray, never: np.ndarray, x: np.ndarray, w: np.ndarray,
                 keep_t: np.ndarray) -> None:
        self.index, self.g, self.never, self.x, self.w, self.keep_t = index, g, never, x, w, keep_t

    def __call__(self, chunk: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        pos = self.index.get_indexer(chunk["u"])
        ok = pos >= 0  # the always-treated units are not in the table
        y = chunk[[f"y{j}" for j in self.keep_t]].to_numpy(dtype=float)[ok]
        return pos[ok], y

    def batch(self, b: _Batch, pos: np.ndarray) -> tuple[np.ndarray, ...]:
        """(rows of the chunk in the batch, their x, d, w and propensity scores)."""
        gp = self.g[pos]
        control = self.never[pos] if b.thr is None else self.never[pos] | ((gp > b.thr) & (gp != b.g))
        sel = np.flatnonzero((gp == b.g) | control)
        at = pos[sel]
        x = self.x[at]
        if b.score is not None:
            ps = b.score[at]
        else:
            ps = None if b.lin.coef is None else b.lin.scores(x)
        return sel, x, (self.g[at] == b.g).astype(float), self.w[at], ps
