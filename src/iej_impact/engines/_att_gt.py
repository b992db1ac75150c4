"""``att_gt_engine``: Callaway & Sant'Anna group-time ATTs of a panel that stays in a SQL engine.

The panel (Parquet files, a DuckDB or Spark table) is reduced inside the engine to per-cohort
moments (:mod:`iej_impact.engines._moments`, two passes over the rows); the ATT(g, t), their
influence-function covariance, the aggregations and the pre-trend test are then computed in
numpy (:mod:`iej_impact.engines._group_time`). The result is the
:class:`~iej_impact.diff_in_diff.GroupTimeResult` of :func:`~iej_impact.diff_in_diff.att_gt`
with the same estimates, standard errors, aggregations and Wald tests; its ``influence`` holds a
few pseudo-rows with the units' covariance instead of one row per unit (``n_units`` is the number
of units).

With covariates the per-cohort moments no longer suffice: the unit table (cohort, weight,
time-invariant covariates, clusters) is held in memory and the outcomes are read in chunks of
units, in two passes (:mod:`iej_impact.engines._conditional`), for the outcome regression
(``reg``), IPW (``ipw``) and doubly robust (``dr``) 2x2 estimators of Sant'Anna & Zhao (2020); the
formulas are those of the in-memory path (:mod:`iej_impact.diff_in_diff._panel_linear`).

Supported: balanced panels (or ``unbalanced="drop"``), no covariates (the unconditional DiD, for
which the three 2x2 methods coincide) or time-invariant covariates, never-treated or
not-yet-treated comparison groups, varying or universal base period, anticipation, unit weights,
robust (by unit) or clustered standard errors. Not supported (SpecificationError): covariates that
vary within unit, repeated cross-sections, unbalanced panels kept as they are, and the multiplier
bootstrap; use the in-memory ``att_gt`` for those.

References: Callaway, B. and Sant'Anna, P. H. C. (2021). Difference-in-differences with multiple
time periods. Journal of Econometrics 225(2), 200-230. Sant'Anna, P. H. C. and Zhao, J. (2020).
Doubly robust difference-in-differences estimators. Journal of Econometrics 219(1), 101-122.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from .._params import Boolean, Columns, Interval, Options, constrained
from .._validation import as_column_list, user_stacklevel
from ..diff_in_diff._aggregate import LEADS, CompressedUnits
from ..diff_in_diff._staggered import GroupTimeResult, cell_inference, cells_pretrend, normal_z
from ..errors import MissingDataWarning, OverlapWarning, SpecificationError
from ..inference import Bootstrap, Clustered, InferenceLike, parse_inference
from . import _sql, _sql_covariates
from ._backends import open_backend
from ._conditional import conditional_cells
from ._group_time import cluster_rows, estimate_cells, prepare, pseudo_rows
from ._moments import collect, collect_clusters

__all__ = ["att_gt_engine"]

_FUNC = "att_gt_engine"
_IN_MEMORY = "not supported by the engine path; use the in-memory att_gt()"


def _inference(se: InferenceLike | None) -> tuple[Any, list[str]]:
    if isinstance(se, Bootstrap) or (isinstance(se, str) and se == "bootstrap") or (
            isinstance(se, dict) and se.get("type") == "bootstrap"):
        raise SpecificationError(f"{_FUNC}(): the multiplier bootstrap is {_IN_MEMORY} (the engine path gives "
                                 "analytical standard errors: se='robust' or clustered).")
    spec = parse_inference("robust" if se is None else se, _FUNC, ("robust", "clustered"))
    return spec, (list(spec.columns) if isinstance(spec, Clustered) else [])


@constrained({
    "outcome": Columns(single=True), "unit": Columns(single=True), "time": Columns(single=True),
    "cohort": Columns(single=True), "covariates": Columns(), "weights": Columns(single=True, none_ok=True),
    "control_group": Options(("never_treated", "not_yet_treated")), "method": Options(("dr", "ipw", "reg")),
    "anticipation": Interval(low=0, integer=True), "base_period": Options(("varying", "universal")),
    "panel": Boolean(), "unbalanced": Options(("keep", "drop")), "pretrend_leads": LEADS,
    "alpha": Interval(0.0, 0.5, low_open=True), "engine": Options(("duckdb", "spark")),
    "trim_level": Interval(0.5, 1.0, low_open=True), "chunk_units": Interval(low=1, integer=True),
})
def att_gt_engine(
    source: Any,
    *,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    covariates: Sequence[str] = (),
    control_group: Literal["never_treated", "not_yet_treated"] = "never_treated",
    method: Literal["dr", "ipw", "reg"] = "dr",
    anticipation: int = 0,
    base_period: Literal["varying", "universal"] = "varying",
    se: InferenceLike | None = None,
    never_treated: float | None = None,
    weights: str | None = None,
    panel: bool = True,
    unbalanced: Literal["keep", "drop"] = "keep",
    pretrend_leads: Sequence[int] | Literal["all"] | None = None,
    alpha: float = 0.05,
    engine: Literal["duckdb", "spark"] = "duckdb",
    connection: Any = None,
    memory_limit: str | None = None,
    threads: int | None = None,
    trim_level: float = 0.995,
    chunk_units: int = 100_000,
) -> GroupTimeResult:
    """Callaway & Sant'Anna (2021) ATT(g, t) computed by DuckDB or Spark from a long panel.

    Parameters
    ----------
    source : the long panel (one row per unit and period): a Parquet file, directory or glob
        (``"panel/*.parquet"``) or a list of them; the name of a table or view of ``connection``;
        a pandas DataFrame or Arrow table (DuckDB) or a Spark DataFrame (Spark).
    outcome, unit, time, cohort, control_group, anticipation, base_period, never_treated, weights,
    pretrend_leads, alpha : as :func:`iej_impact.diff_in_diff.att_gt` (weights constant within unit).
    covariates : time-invariant covariates (constant within unit; one that varies raises
        SpecificationError naming it) for the 2x2 comparisons, as ``att_gt``; rows where one is
        missing count as rows without outcome (their units are dropped with ``unbalanced="drop"``).
        Costs three more scans of the panel; memory O(N k) for the unit table, O(chunk_units (T +
        cells)) per chunk of outcomes and O(cells^2), never O(N T).
    method : the 2x2 estimator with covariates: "dr" (doubly robust, default), "reg" (outcome
        regression) or "ipw"; without covariates the three are the same estimator.
    se : None or "robust" (clustered by unit, as ``att_gt``), or ``{"type": "clustered", "by": col}``.
    unbalanced : "keep" (default) raises on an unbalanced panel; "drop" drops the units not observed
        with an outcome in every period (as ``att_gt(..., unbalanced="drop")``).
    panel : only ``True`` (repeated cross-sections raise SpecificationError).
    engine : "duckdb" (default) or "spark".
    connection : a DuckDB connection or a SparkSession (None: a new in-memory DuckDB connection, or
        the active SparkSession).
    memory_limit, threads : DuckDB settings for this run (e.g. ``"2GB"``); beyond the limit DuckDB
        spills to disk.
    trim_level : with covariates and ipw/dr, comparison units whose propensity score is >= trim_level
        get zero weight (as ``att_gt``).
    chunk_units : with covariates, the outcomes are read this many units at a time (DuckDB rounds up
        to its 2048-row vectors).

    Returns
    -------
    GroupTimeResult, equal to ``att_gt`` on the same data up to floating-point rounding; its
    ``influence`` holds pseudo-rows (see the module docstring), ``units`` numbers them.
    """
    covs = as_column_list("covariates", covariates, _FUNC)
    if not panel:
        raise SpecificationError(f"{_FUNC}(): repeated cross-sections (panel=False) are {_IN_MEMORY}.")
    spec_se, cluster_cols = _inference(se)
    antic = int(anticipation)
    backend = open_backend(source, engine, connection, memory_limit=memory_limit, threads=threads, func=_FUNC)
    try:
        view = (_sql_covariates.masked_source(backend.view, backend.quote, outcome, covs) if covs else backend.view)
        base = _sql.panel_base(view, backend.quote, unit=unit, time=time,
                               outcome=_sql_covariates.OUTCOME if covs else outcome, cohort=cohort,
                               weights=weights, never_treated=never_treated, clusters=cluster_cols)
        mom = collect(backend, base, func=_FUNC, unit=unit, time=time, outcome=outcome, cohort=cohort,
                      weights=weights, unbalanced=unbalanced)
        prepared = prepare(mom, control_group=control_group, anticipation=antic, cohort=cohort, func=_FUNC)
        cells = estimate_cells(prepared.mom, control_group=control_group, anticipation=antic,
                               base_period=base_period, func=_FUNC)
        clusters = None
        conditional = None
        if covs:
            conditional = conditional_cells(
                backend, base, view, unit=unit, time=time, covariates=covs, mom=mom, prepared=prepared, cells=cells,
                cluster_cols=cluster_cols, method=method, control_group=control_group, anticipation=antic,
                base_period=base_period, trim_level=trim_level, chunk_units=int(chunk_units), func=_FUNC)
            cells.table["estimate"] = conditional.estimate
            rows = conditional.rows
            if conditional.n_clusters is not None:
                clusters = np.arange(conditional.n_clusters)
        elif cluster_cols:
            frame = collect_clusters(backend, base, mom, len(cluster_cols), cluster_cols, _FUNC)
            rows = cluster_rows(cells, frame, prepared, len(cluster_cols))
            clusters = np.arange(rows.shape[0])
        else:
            rows = pseudo_rows(cells, prepared.mom)
    finally:
        backend.close()
    k = len(cells.table["estimate"])
    psi, basis = rows[:, :k], rows[:, k:]
    inference = spec_se.using("G/(G-1)" if isinstance(spec_se, Clustered) else "none")
    table, crit = cell_inference(pd.DataFrame(cells.table), psi, inference, clusters, None, alpha)
    pretrend = cells_pretrend(table, psi, clusters, pretrend_leads, antic)
    notes = list(prepared.notes)
    design = f"balanced panel of {cells.n_units} units x {len(prepared.mom.periods)} periods"
    how = (f"with covariates {covs}; {design}; computed by {engine} from the unit table and the outcomes read in "
           "chunks of units" if covs else f"without covariates; {design}; computed by {engine} from per-cohort moments")
    notes.append(f"Comparison group: {control_group.replace('_', '-')} units; base period: {base_period}; "
                 f"anticipation: {antic}; 2x2 estimator: {method} {how}.")
    notes.append("Standard errors from the influence functions, " + (
        f"clustered by {cluster_cols} (G/(G-1))" if cluster_cols else
        "clustered by unit (no small-sample factor, as R did)") + ".")
    if np.isfinite(crit):  # pragma: no cover - no bootstrap on this path
        notes.append(f"Uniform band critical value {crit:.3f} (pointwise {float(normal_z(alpha)):.3f}).")
    if conditional is not None:
        notes += _conditional_notes(conditional.problems, conditional.separated)
    m = psi.shape[0]
    return GroupTimeResult(
        method="att_gt", estimand="ATT(g,t)", outcome=outcome, table=table, inference=inference, alpha=float(alpha),
        critical_value=crit, pretrend=pretrend, units=np.arange(m), unit_cohort=np.full(m, np.nan),
        unit_weight=np.ones(m), sample_sizes=prepared.sizes,
        spec={"outcome": outcome, "unit": unit, "time": time, "cohort": cohort, "covariates": covs,
              "control_group": control_group, "method": method, "anticipation": antic, "base_period": base_period,
              "se": spec_se.to_dict(), "never_treated": never_treated, "weights": weights, "panel": True,
              "unbalanced": unbalanced, "trim_level": trim_level, "pretrend_leads": pretrend_leads, "alpha": alpha,
              "engine": engine},
        notes=tuple(notes), influence=psi, _clusters=clusters, _seed=None,
        _compressed=CompressedUnits(n_units=cells.n_units, groups=cells.groups, group_share=cells.group_share,
                                    group_units=cells.group_units, share_basis=basis),
    )


def _conditional_notes(problems: list[str], separated: list[str]) -> list[str]:
    """Warn (as the in-memory att_gt) about the cells left missing and the separated propensity scores."""
    def listed(items: list[str]) -> str:
        return "; ".join(items[:5]) + ("; ..." if len(items) > 5 else "")

    if problems:
        warnings.warn(f"{_FUNC}(): {len(problems)} group-time cells could not be estimated and are left missing: "
                      f"{listed(problems)}.", OverlapWarning if any("propensity" in p for p in problems)
                      else MissingDataWarning, stacklevel=user_stacklevel())
    if separated:
        warnings.warn(f"{_FUNC}(): the logit propensity score has no maximum-likelihood estimate in {len(separated)} "
                      "group-time cells (separation; scores of 0 for the perfectly predicted comparison units, 1 for "
                      f"the treated ones): {listed(separated)}. Drop or merge the covariate, or restrict the sample to "
                      "common support.", OverlapWarning, stacklevel=user_stacklevel())
        return [f"The propensity score is separated in {len(separated)} 2x2 comparisons: {listed(separated)}."]
    return []
