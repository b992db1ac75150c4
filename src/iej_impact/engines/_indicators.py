"""``indicators_engine``: the programme indicators of participations that stay in Parquet files or a table.

The indicators are per-group sums of per-participation flags and counts of distinct persons, and
every rule that looks across rows looks within one person's rows (see
:mod:`iej_impact.indicators._partition`). So the engine splits the participations by a hash of
``person_id`` into partitions that never split a person, hands each partition to the rules of
:func:`~iej_impact.programme_indicators` as a pandas DataFrame, and adds the partitions' group sums
up. Nothing is written twice: the engine only decides which rows go together.

* DuckDB (one machine): one filtered scan of the source per partition, in the source's row order;
  at most one partition is in memory at a time, so the participations can be larger than memory.
* Spark (a cluster): ``groupBy(partition).applyInPandas``: each executor runs the rules on its
  partitions (iej_impact must be installed on the executors) and sends back the group sums; rows
  keep the order in which Spark read them (``monotonically_increasing_id``).

Before the partitions, the engine checks what no single partition can see: that ``participation_id``
(when present) is unique over the whole source. The result equals ``programme_indicators`` on the
whole table read into pandas, up to the order of floating-point additions of survey weights (tests:
1e-12), with one difference in what is accepted: ``person_rule="longest"`` needs a
``reference_date`` (the end of participations still running, which one table takes from its latest
entry).
"""

from __future__ import annotations

import math
import pickle
from collections.abc import Callable
from typing import Any

import pandas as pd

from .._params import Interval, Options, constrained
from ..errors import DuplicateParticipationError, SpecificationError
from ..indicators._partition import Partial, Partitions
from ..indicators._programme import IndicatorTable, programme_indicators
from ..indicators._rule_columns import RuleOptions, where_of
from ._backends import ENGINES, Backend, open_backend

__all__ = ["indicators_engine", "ROWS_PER_PARTITION"]

_FUNC = "indicators_engine"
#: participations per partition when ``partitions`` is not given (about 0.5 GB of memory per partition
#: with the canonical columns)
ROWS_PER_PARTITION = 500_000
_PART = "__iej_partition"
_ROW = "__iej_row"


@constrained({"engine": Options(ENGINES), "partitions": Interval(low=1, integer=True, none_ok=True)})
def indicators_engine(
    source: Any,
    *,
    engine: str = "duckdb",
    partitions: int | None = None,
    connection: Any = None,
    memory_limit: str | None = None,
    threads: int | None = None,
    **options: Any,
) -> IndicatorTable:
    """ESF/YEI programme indicators of participations read by DuckDB or Spark, partition by partition.

    Parameters
    ----------
    source : Parquet file(s), a directory or glob of them, a table name of the connection (DuckDB) or
        catalog (Spark), a pandas DataFrame (DuckDB) or a Spark DataFrame: the participations, one row
        per person x operation with the canonical columns (as for ``programme_indicators``), and a
        ``person_id`` column.
    engine : "duckdb" (one machine; the default) or "spark" (the active SparkSession or ``connection``).
    partitions : number of partitions of persons (None: one per 500,000 participations). Each
        partition is one pandas table in memory at a time (DuckDB) or one task (Spark).
    connection : a DuckDB connection or a SparkSession (None: a new in-memory DuckDB connection / the
        active Spark session).
    memory_limit, threads : DuckDB settings for the scans (e.g. "2GB", 2).
    **options : the arguments of :func:`~iej_impact.programme_indicators` (``by``, ``period``,
        ``count``, ``person_rule``, ``operations``, ``min_cell_size``, ``reference_date``, ...).

    Returns
    -------
    IndicatorTable : the table ``programme_indicators`` gives on the same participations.

    Raises
    ------
    The data errors of ``programme_indicators`` (naming the source), DuplicateParticipationError for a
    ``participation_id`` repeated anywhere in the source, SpecificationError without ``person_id``.

    Examples
    --------
    >>> res = indicators_engine("participations.parquet", by="operator_type", period="quarter",
    ...                         reference_date="2017-12-31", partitions=8)  # doctest: +SKIP
    """
    if "data" in options:
        raise SpecificationError(f"{_FUNC}(): the participations are 'source'; 'data' is not an argument here.")
    backend = open_backend(source, engine, connection, memory_limit=memory_limit, threads=threads, func=_FUNC)
    try:
        schema = backend.query(f"SELECT * FROM {backend.view} LIMIT 0")
        if "person_id" not in schema.columns:
            raise SpecificationError(f"{_FUNC}(): the participations need a 'person_id' column: the partitions keep "
                                     "each person's participations together.")
        label = _label(source)
        _check_unique_participations(backend, schema, label)
        if partitions is None:
            rows = int(backend.query(f"SELECT count(*) AS n FROM {backend.view}")["n"].iloc[0])
            partitions = max(1, math.ceil(rows / ROWS_PER_PARTITION))
        parts = (_DuckDBPartitions if engine == "duckdb" else _SparkPartitions)(backend, schema, int(partitions), label)
        return programme_indicators(parts, **options)
    finally:
        backend.close()


def _label(source: Any) -> str | None:
    if isinstance(source, str):
        return source
    if isinstance(source, (list, tuple)) and source and all(isinstance(s, str) for s in source):
        return ", ".join(source)
    return getattr(source, "name", None) if not isinstance(source, pd.DataFrame) else None


def _check_unique_participations(backend: Backend, schema: pd.DataFrame, label: str | None) -> None:
    """participation_id unique over the whole source (a partition sees its persons only)."""
    if "participation_id" not in schema.columns:
        return
    q = backend.quote("participation_id")
    dup = backend.query(f"SELECT {q} AS id, count(*) AS n FROM {backend.view} GROUP BY {q} HAVING count(*) > 1 "
                        f"ORDER BY n DESC, id LIMIT 5")
    if len(dup):
        total = backend.query(f"SELECT count(*) AS k, sum(n) AS n FROM (SELECT count(*) AS n FROM {backend.view} "
                              f"GROUP BY {q} HAVING count(*) > 1) AS d").iloc[0]
        where = where_of(RuleOptions(source=label))
        shown = ", ".join(f"{v!r} ({int(n)} rows)" for v, n in zip(dup["id"], dup["n"], strict=True))
        raise DuplicateParticipationError(
            f"{where}: participation_id is not unique: {int(total['k'])} values appear in {int(total['n'])} rows "
            f"(e.g. {shown}). Each participation (person x operation) must appear once.", column="participation_id",
            rows=dup["id"].tolist(), source=label)


class _EnginePartitions(Partitions):
    def __init__(self, backend: Backend, schema: pd.DataFrame, n: int, label: str | None) -> None:
        self.backend, self.schema, self.n, self.source = backend, schema, n, label


class _DuckDBPartitions(_EnginePartitions):
    """One filtered scan per partition; DuckDB keeps the source's row order for a filter without ORDER BY."""

    def partials(self, compute: Callable[[pd.DataFrame], Partial]) -> list[Partial]:
        person = self.backend.quote("person_id")
        out = []
        for p in range(self.n):
            frame = self.backend.query(f"SELECT * FROM {self.backend.view} "
                                       f"WHERE coalesce(hash({person}) % {self.n}, 0) = {p}")
            if len(frame):
                out.append(compute(frame))
        return out


class _SparkPartitions(_EnginePartitions):
    """``applyInPandas`` per partition; each task returns its pickled group sums."""

    def partials(self, compute: Callable[[pd.DataFrame], Partial]) -> list[Partial]:
        from pyspark.sql import functions as F

        spark = self.backend.spark  # type: ignore[attr-defined]
        frame = (spark.table(self.backend.view).withColumn(_ROW, F.monotonically_increasing_id())
                 .withColumn(_PART, F.pmod(F.xxhash64(F.col("person_id")), F.lit(self.n))))

        def task(frame: pd.DataFrame) -> pd.DataFrame:  # a plain function: Spark inspects its signature
            return _spark_task(frame, compute)

        try:
            rows = frame.groupBy(_PART).applyInPandas(task, schema=f"{_PART} long, payload binary").collect()
        except Exception as exc:  # the executors' Python: a cluster set-up problem, said in plain words
            if "ModuleNotFoundError" not in str(exc):
                raise
            raise ImportError("indicators_engine(engine='spark'): the Python of the Spark executors cannot import "
                              "iej_impact or its dependencies; install iej_impact there, or point PYSPARK_PYTHON to a "
                              "Python that has it before the SparkSession starts (local mode: the current "
                              "interpreter).") from exc
        return [pickle.loads(r["payload"]) for r in sorted(rows, key=lambda r: r[_PART])]


def _spark_task(frame: pd.DataFrame, compute: Callable[[pd.DataFrame], Partial]) -> pd.DataFrame:
    part = int(frame[_PART].iloc[0])
    frame = frame.sort_values(_ROW, kind="stable").drop(columns=[_ROW, _PART]).reset_index(drop=True)
    return pd.DataFrame({_PART: [part], "payload": [pickle.dumps(compute(frame))]})
