"""Out-of-core estimation through a SQL engine: DuckDB on one machine, Spark on a cluster.

A national panel of 10^8 monthly rows does not fit in pandas. For the estimators whose sufficient
statistics are small, the panel stays where it is (Parquet files, a DuckDB or Spark table): the
engine reduces it to per-cohort moments or cross-products with plain SQL
(:mod:`iej_impact.engines._sql`, :mod:`iej_impact.engines._sql_event`), and numpy finishes the estimation. The results are the objects
of the in-memory estimators, with the same numbers up to floating-point rounding:

* :func:`att_gt_engine`: Callaway & Sant'Anna group-time ATTs, without covariates (from per-cohort
  moments) or with time-invariant ones (the unit table in memory, the outcomes read in chunks of
  units), their aggregations and pre-trend tests (a :class:`~iej_impact.diff_in_diff.GroupTimeResult`);
* :func:`twfe_engine`: the static two-way fixed-effects regression on a balanced panel with
  cluster-robust standard errors (an :class:`~iej_impact.results.EffectResult`);
* :func:`event_study_engine`: the dynamic TWFE event study (binned end points, reference period,
  covariates, clustered or HC1 standard errors, pre-trend test) on a balanced panel (an
  :class:`~iej_impact.diff_in_diff.EventStudyResult`);
* :func:`indicators_engine`: the ESF/YEI programme indicators (an
  :class:`~iej_impact.indicators.IndicatorTable`), computed by partitions of persons with the rules
  of :func:`~iej_impact.programme_indicators` and added up.

Neither DuckDB nor PySpark is a dependency: ``pip install iej_impact[duckdb]`` or
``iej_impact[spark]``. This package imports without them; calling an estimator with a missing
engine raises ImportError naming the extra. What it owns: the SQL reductions, the partitioning of
the indicators and the backends. It imports ``diff_in_diff`` (the result types and their
inference), ``indicators`` (the rules and the merge of partitions) and ``data`` (panel checks).
"""

from ._att_gt import att_gt_engine
from ._event_study import event_study_engine
from ._indicators import indicators_engine
from ._twfe import twfe_engine

__all__ = ["att_gt_engine", "event_study_engine", "indicators_engine", "twfe_engine"]
