"""The configuration keys of out-of-core runs: ``data.external`` and an analysis' ``engine:``.

A national panel (10^8 person-months) does not fit in pandas. ``data.external`` declares Parquet
tables the run never loads: it only checks that the files exist and reads their schema and row
counts from the Parquet footers (:mod:`iej_impact._run_engine`). An ``att_gt``, ``twfe`` or
``event_study`` analysis with ``engine: duckdb`` (or ``spark``) calls
:func:`iej_impact.engines.att_gt_engine`, :func:`~iej_impact.engines.twfe_engine` or
:func:`~iej_impact.engines.event_study_engine` instead of the in-memory function, and a
``programme_indicators`` analysis :func:`~iej_impact.engines.indicators_engine` (partitions of
persons, ``engine: {name: duckdb, partitions: 8}``); the panel is the
analysis' ``table:`` (an external table, read by the engine where it lies, or a loaded table, handed
to the engine as a data frame). The engine computes the estimators of Callaway & Sant'Anna (2021)
(with or without covariates), the two-way fixed-effects regression and the dynamic TWFE event study
from sufficient statistics or chunked passes, equal to the in-memory ones to floating-point
rounding; what the engine path does not support (repeated cross-sections, the bootstrap, weights of
twfe and event_study, grids, placebo re-estimations) is refused here, when the config is
read, with the YAML key. Part of the front door (:mod:`iej_impact.config` calls it).

Reference: Callaway, B. and Sant'Anna, P. H. C. (2021). Difference-in-differences with multiple
time periods. Journal of Econometrics 225(2), 200-230.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from ._config_data import _NAME_RE, SYNTHETIC_TABLES, _check_keys, _mapping, prepared_tables
from ._validation import short_repr, suggest
from .errors import ConfigError, SpecificationError

__all__ = ["ENGINE_ESTIMATORS", "ENGINE_KEYS", "ENGINE_NAMES", "EXTERNAL_KEYS", "engine_function", "engine_parameters",
           "parse_engine", "parse_external"]

ENGINE_NAMES = ("duckdb", "spark")
#: the estimators with an engine twin (:func:`engine_function`)
ENGINE_ESTIMATORS = ("att_gt", "twfe", "event_study", "programme_indicators")
#: keys of ``engine: {...}`` (memory_limit and threads are DuckDB settings; partitions: programme_indicators)
ENGINE_KEYS = ("name", "memory_limit", "threads", "partitions")
#: keys of an entry of ``data.external``
EXTERNAL_KEYS = ("path", "format")
#: the package (and the extra installing it) each engine needs
_EXTRAS = {"duckdb": ("duckdb", "duckdb"), "spark": ("pyspark", "spark")}
#: parameters the runner fills in (not the user's): the seed of the in-memory estimators
_FILLED = ("random_state",)


def engine_function(estimator: str) -> Callable[..., Any]:
    """The engine twin of an in-memory estimator (``att_gt`` -> ``att_gt_engine``)."""
    from .engines import att_gt_engine, event_study_engine, indicators_engine, twfe_engine

    return {"att_gt": att_gt_engine, "twfe": twfe_engine, "event_study": event_study_engine,
            "programme_indicators": indicators_engine}[estimator]


def engine_parameters(estimator: str) -> Callable[..., Any]:
    """The function whose parameters (and their constraints) an engine analysis takes: the engine twin, or
    for the indicators the in-memory function (``indicators_engine`` passes them on)."""
    if estimator == "programme_indicators":
        from .indicators import programme_indicators

        return programme_indicators
    return engine_function(estimator)


def parse_external(data: dict[str, Any]) -> None:
    """``data.external: {name: {path: file | folder | glob | [paths]}}`` (a bare path is the ``path``), checked
    and normalised in place; its names must differ from the other tables'."""
    if "external" not in data:
        return
    tables = dict(_mapping(data["external"], "data.external"))
    if not tables:
        raise ConfigError("declare at least one table: {panel: {path: panel/*.parquet}}.", location="data.external")
    for name, spec in tables.items():
        loc = f"data.external.{name}"
        if not isinstance(name, str) or not _NAME_RE.match(name):
            raise ConfigError("table names are letters, digits, '_' or '-', starting with a letter.", location=loc)
        spec = dict(_mapping({"path": spec} if isinstance(spec, (str, list)) else spec, loc))
        _check_keys(spec, EXTERNAL_KEYS, loc)
        path = spec.get("path")
        paths = path if isinstance(path, list) else [path]
        if not paths or not all(isinstance(p, str) and p for p in paths):
            raise ConfigError("needs 'path': a Parquet file, a folder of them, a glob (panel/*.parquet) or a list of "
                              f"these; got {short_repr(path)}.", location=f"{loc}.path")
        if spec.setdefault("format", "parquet") != "parquet":
            raise ConfigError(f"external tables are Parquet files (read by the engine where they lie); got "
                              f"{short_repr(spec['format'])}.", location=f"{loc}.format")
        tables[name] = spec
    taken = set(data.get("tables", {})) | prepared_tables(data) | (set(SYNTHETIC_TABLES) if "synthetic" in data else set())
    for name in tables:
        if name in taken or name == "main":
            raise ConfigError(f"'{name}' is already the name of another table; choose another name.",
                              location=f"data.external.{name}")
    data["external"] = tables


def parse_engine(value: Any, estimator: str, params: Mapping[str, Any], grid: Mapping[str, Any],
                 sensitivity: Mapping[str, Any] | None, loc: str) -> dict[str, Any] | None:
    """``engine: duckdb | spark | {name: duckdb, memory_limit: 4GB, threads: 2}`` of the analysis at ``loc``
    (``analyses[i]``), normalised to a mapping with ``name``; None when absent. Every option the engine path
    refuses is a ConfigError here, before any data is read."""
    if value is None:
        return None
    where = f"{loc}.engine"
    spec = dict(_mapping({"name": value} if isinstance(value, str) else value, where))
    _check_keys(spec, ENGINE_KEYS, where)
    name = spec.get("name")
    if name not in ENGINE_NAMES:
        raise ConfigError(f"unknown engine {short_repr(name)}; engines: {list(ENGINE_NAMES)}."
                          f"{suggest(name, ENGINE_NAMES) if isinstance(name, str) else ''}", location=where)
    if estimator not in ENGINE_ESTIMATORS:
        raise ConfigError(f"{estimator}() has no engine path; only {', '.join(ENGINE_ESTIMATORS)} run in an engine "
                          "(remove 'engine').", location=where)
    if name == "spark" and ("memory_limit" in spec or "threads" in spec):
        raise ConfigError("memory_limit and threads are DuckDB settings; Spark takes its settings from spark-submit, "
                          "SPARK_HOME/conf/spark-defaults.conf or the active SparkSession.", location=where)
    if "memory_limit" in spec and not (isinstance(spec["memory_limit"], str) and spec["memory_limit"][:1].isdigit()
                                       and all(ch.isalnum() or ch in " ._" for ch in spec["memory_limit"])):
        raise ConfigError(f"must look like '4GB' or '500MB'; got {short_repr(spec['memory_limit'])}.",
                          location=f"{where}.memory_limit")
    threads = spec.get("threads", 1)
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ConfigError(f"must be a whole number of threads (1 or more); got {short_repr(threads)}.",
                          location=f"{where}.threads")
    partitions = spec.get("partitions", 1)
    if "partitions" in spec and estimator != "programme_indicators":
        raise ConfigError("partitions (of persons) apply to programme_indicators only.", location=f"{where}.partitions")
    if isinstance(partitions, bool) or not isinstance(partitions, int) or partitions < 1:
        raise ConfigError(f"must be a whole number of partitions (1 or more); got {short_repr(partitions)}.",
                          location=f"{where}.partitions")
    _check_installed(name, where)
    _check_options(estimator, params, grid, sensitivity, loc)
    return spec


def _check_installed(name: str, where: str) -> None:
    module, extra = _EXTRAS[name]
    try:
        __import__(module)
    except ImportError:
        raise ConfigError(f"the {name} engine needs the '{module}' package, which is not installed: pip install "
                          f"\"iej_impact[{extra}]\".", location=where) from None


def _check_options(estimator: str, params: Mapping[str, Any], grid: Mapping[str, Any],
                   sensitivity: Mapping[str, Any] | None, loc: str) -> None:
    """What the engine twin does not take, or takes only some values of, named with its YAML key."""
    fn = engine_parameters(estimator)
    accepted = [p for p in inspect.signature(fn).parameters if p not in ("source", "data", "engine", "connection",
                                                                         "memory_limit", "threads", "partitions")]
    for key in grid:
        raise ConfigError(f"'{key}' (a grid of cells) is not available with an engine; run one analysis per cell.",
                          location=f"{loc}.{key}")
    if isinstance(params.get("outcome"), list):
        raise ConfigError("an engine analysis takes one outcome (a column name); write one analysis per outcome.",
                          location=f"{loc}.outcome")
    for method in sensitivity or {}:
        if method != "honest_did":
            raise ConfigError(f"{method} re-estimates on modified data, which the engine path does not do; only "
                              "honest_did (computed from the result) is available with an engine.",
                              location=f"{loc}.sensitivity.{method}")
    rules = getattr(fn, "parameter_constraints", {})
    for key, value in params.items():
        if key in _FILLED:
            continue
        if key not in accepted:
            raise ConfigError(f"'{key}' is not supported by {fn.__name__}() (the engine path); remove it or the "
                              f"engine. Accepted: {accepted}.", location=f"{loc}.{key}")
        if key in rules and value is not None:
            try:
                rules[key].check(key, value, fn.__name__)
            except SpecificationError as exc:
                raise ConfigError(str(exc), location=f"{loc}.{key}") from None
    refusals = {"panel": params.get("panel", True) is not True,
                "weights": estimator in ("twfe", "event_study") and params.get("weights") is not None}
    for key, refused in refusals.items():
        if refused:
            raise ConfigError(f"{key}={short_repr(params[key])} is not supported by {fn.__name__}() (the engine path); "
                              f"use the in-memory {estimator} (remove 'engine').", location=f"{loc}.{key}")
    if "se" in params:
        from .inference import parse_inference

        try:
            parse_inference(params["se"], fn.__name__, ("robust", "clustered"))
        except SpecificationError as exc:
            raise ConfigError(f"{exc} The engine path gives analytical standard errors (robust or clustered); the "
                              "bootstrap needs the in-memory estimator.", location=f"{loc}.se") from None
