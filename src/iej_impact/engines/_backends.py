"""Thin backends that run the SQL of :mod:`iej_impact.engines._sql`: DuckDB and Spark.

A backend knows three things: how to make a source (Parquet files, a table, a data frame) visible
as a named view, how to quote an identifier, and how to run a query and return its rows as a
pandas DataFrame (the results are small: one row per cohort, period or cluster). Everything else
is the same SQL text for both engines.

DuckDB runs in-process on one machine and streams Parquet files larger than memory (``SET
memory_limit`` caps it; it spills to ``temp_directory``). Spark runs the same statements through
``spark.sql`` on whatever cluster the ``SparkSession`` points to (``local[*]`` or a cluster master
URL). Neither is a dependency of iej_impact: each is imported when first used and a missing one
raises ImportError naming the extra that installs it.
"""

from __future__ import annotations

import glob
import itertools
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import SpecificationError

__all__ = ["Backend", "DuckDBBackend", "SparkBackend", "open_backend", "ENGINES"]

ENGINES = ("duckdb", "spark")
_COUNTER = itertools.count()


def _require(module: str, extra: str) -> Any:
    try:
        return __import__(module)
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(f"the {extra} engine needs the '{module}' package: pip install iej_impact[{extra}]") from exc


class Backend(ABC):
    """Run SQL on one engine; ``view`` is the name under which the panel is visible (an abstract base: each
    engine quotes identifiers and runs a query its own way)."""

    name = ""
    view = ""

    @abstractmethod
    def quote(self, identifier: str) -> str:
        """``identifier`` quoted for this engine's SQL dialect."""

    @abstractmethod
    def query(self, sql: str) -> pd.DataFrame:
        """The result of ``sql`` as a DataFrame."""

    @abstractmethod
    def close(self) -> None:
        """Drop what the backend registered (the view), keep the user's connection or session."""


def _parquet_paths(source: Any) -> list[str] | None:
    """The Parquet files or globs of ``source`` (str, Path or list of them), or None for a table name."""
    items = list(source) if isinstance(source, (list, tuple)) else [source]
    if not items or not all(isinstance(s, (str, Path)) for s in items):
        return None
    out = []
    for s in items:
        text = str(s)
        path = Path(text)
        if "://" in text:  # a remote URL (s3a://, hdfs://, https://): read as Parquet by the engine
            out.append(text)
        elif path.is_dir():
            out.append(str(path / "**" / "*.parquet"))
        elif path.suffix == ".parquet" or any(ch in text for ch in "*?[") or path.exists():
            out.append(text)
        else:
            return None
    return out


class DuckDBBackend(Backend):
    """DuckDB: Parquet files through ``read_parquet``, a table of the connection, or a pandas/Arrow frame."""

    name = "duckdb"

    def __init__(self, source: Any, connection: Any = None, memory_limit: str | None = None,
                 threads: int | None = None) -> None:
        duckdb = _require("duckdb", "duckdb")
        self.own = connection is None
        self.con = duckdb.connect() if connection is None else connection
        # Parquet min/max statistics ignore NaN, and DuckDB's statistics propagation then folds
        # isnan(x) to false (seen with DuckDB 2.0.1): NaN outcomes or cohorts would be read as numbers.
        # The optimizer pass is switched off for this run and restored by close().
        self.optimizers = str(self.con.execute("SELECT current_setting('disabled_optimizers')").fetchone()[0])
        off = ",".join(x for x in (self.optimizers, "statistics_propagation") if x)
        self.con.execute(f"SET disabled_optimizers = '{off}'")
        if memory_limit is not None:
            self.con.execute(f"SET memory_limit = '{_setting(memory_limit)}'")
        if threads is not None:
            self.con.execute(f"SET threads = {int(threads)}")
        self.view = f"iej_panel_{next(_COUNTER)}"
        self.registered = False
        paths = _parquet_paths(source)
        if paths is not None:
            for p in paths:
                if "://" not in p and not glob.glob(p, recursive=True):
                    raise SpecificationError(f"no Parquet file matches {p!r}.")
            listed = ", ".join("'" + p.replace("'", "''") + "'" for p in paths)
            self.con.execute(f"CREATE TEMP VIEW {self.view} AS SELECT * FROM read_parquet([{listed}])")
        elif isinstance(source, str):
            self.con.execute(f"CREATE TEMP VIEW {self.view} AS SELECT * FROM {_qualified(source, self.quote)}")
        else:  # a pandas DataFrame or an Arrow table
            self.con.register(self.view, source)
            self.registered = True

    def quote(self, identifier: str) -> str:
        return '"' + identifier.replace('"', '""') + '"'

    def query(self, sql: str) -> pd.DataFrame:
        return self.con.execute(sql).df()

    def close(self) -> None:
        if self.registered:
            self.con.unregister(self.view)
        else:
            self.con.execute(f"DROP VIEW IF EXISTS {self.view}")
        if self.own:
            self.con.close()
        else:
            self.con.execute(f"SET disabled_optimizers = '{self.optimizers}'")


class SparkBackend(Backend):
    """Spark: Parquet files through ``spark.read.parquet``, a table of the catalog, or a Spark DataFrame."""

    name = "spark"

    def __init__(self, source: Any, session: Any = None) -> None:
        _require("pyspark", "spark")
        from pyspark.sql import DataFrame, SparkSession

        self.spark = session if session is not None else SparkSession.builder.getOrCreate()
        self.view = f"iej_panel_{next(_COUNTER)}"
        paths = _parquet_paths(source)
        if isinstance(source, DataFrame):
            frame = source
        elif paths is not None:
            frame = self.spark.read.parquet(*paths)
        elif isinstance(source, str):
            frame = self.spark.table(source)
        else:
            raise SpecificationError(f"the spark engine reads Parquet paths, a table name or a Spark DataFrame; got "
                                     f"{type(source).__name__}.")
        frame.createOrReplaceTempView(self.view)

    def quote(self, identifier: str) -> str:
        return "`" + identifier.replace("`", "``") + "`"

    def query(self, sql: str) -> pd.DataFrame:
        frame = self.spark.sql(sql)
        rows = frame.collect()
        return pd.DataFrame([tuple(r) for r in rows], columns=frame.columns)

    def close(self) -> None:
        self.spark.catalog.dropTempView(self.view)


def _setting(value: str) -> str:
    if not all(ch.isalnum() or ch in " ._" for ch in str(value)):
        raise SpecificationError(f"memory_limit must look like '2GB' or '500MB'; got {value!r}.")
    return str(value)


def _qualified(name: str, quote: Any) -> str:
    return ".".join(quote(part) for part in name.split("."))


def open_backend(source: Any, engine: str, connection: Any = None, *, memory_limit: str | None = None,
                 threads: int | None = None, func: str = "engine") -> Backend:
    """A backend reading ``source`` with ``engine`` ("duckdb" or "spark"); ``connection`` is a DuckDB
    connection or a SparkSession (None: a new in-memory DuckDB connection / the active Spark session)."""
    if engine == "duckdb":
        return DuckDBBackend(source, connection, memory_limit, threads)
    if engine == "spark":
        if memory_limit is not None or threads is not None:
            raise SpecificationError(f"{func}(): memory_limit and threads are DuckDB settings; configure Spark "
                                     "through its SparkSession.")
        return SparkBackend(source, connection)
    raise SpecificationError(f"{func}(): engine must be one of {list(ENGINES)}; got {engine!r}.")


def as_list(value: str | Sequence[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)
