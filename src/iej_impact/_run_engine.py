"""Running ``engine:`` analyses of a configuration on external Parquet tables (out of core).

An external table (``data.external``) is never loaded: :mod:`iej_impact._run_external` lists its files
and reads the schema and row counts from the Parquet footers, and the engine (:mod:`iej_impact.engines`, DuckDB or Spark) reads the rows where they lie. The column
names an analysis uses are checked against that schema at ``validate`` time, so a misspelt column
fails in a second, not after a scan of 10^8 rows. The run records, for each external table, its
files, bytes and rows, and for each engine analysis the units, periods and rows the engine used
(``external_tables`` in results.json and the manifest). ``sample.filters`` and ``sample.dropna``
apply to the main table only, as for any other named table; on an external table they cannot
apply (the engine reads the files as they are), and the run says so.

The estimators are those of :func:`iej_impact.engines.att_gt_engine` (Callaway & Sant'Anna 2021,
no covariates), :func:`iej_impact.engines.twfe_engine` (two-way fixed effects on a balanced
panel) and :func:`iej_impact.engines.event_study_engine` (the dynamic TWFE event study on a
balanced panel), equal to the in-memory ones to floating-point rounding, and the programme indicators of
:func:`iej_impact.engines.indicators_engine` (by partitions of persons).

Reference: Callaway, B. and Sant'Anna, P. H. C. (2021). Difference-in-differences with multiple
time periods. Journal of Econometrics 225(2), 200-230.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Mapping
from typing import Any

from ._config_engine import engine_function, engine_parameters
from ._params import column_parameters
from ._run_data import warning_records
from ._run_external import ExternalTable
from ._validation import suggest
from .errors import ConfigError, DataError, EstimationError, SpecificationError

__all__ = ["check_engine_analysis", "engine_kwargs", "external_accounting", "run_engine_analysis"]

#: the warning (and results.json note) when sample rules are set and an engine reads an external table
FILTERS_NOTE = ("sample.filters and sample.dropna apply to the main table only; the engine reads the external "
                "table '{name}' as it is (filter the Parquet files upstream if needed).")


def engine_kwargs(spec: Any, kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The keyword arguments of the engine twin: the analysis' (without the seed) and the engine settings."""
    out = {k: v for k, v in kwargs.items() if k != "random_state"}
    out["engine"] = spec.engine["name"]
    out.update({k: spec.engine[k] for k in ("memory_limit", "threads", "partitions") if k in spec.engine})
    return out


def check_engine_analysis(spec: Any, kwargs: Mapping[str, Any], columns: list[str] | None) -> None:
    """The column names of an engine analysis against its table's columns (an external table's schema);
    ``columns`` None (remote files): left to the engine."""
    if columns is None or not columns:
        return
    fn = engine_parameters(spec.estimator)
    named = [(k, kwargs[k]) for k in column_parameters(fn) if kwargs.get(k) is not None]
    se = kwargs.get("se")
    if isinstance(se, Mapping):
        named += [(f"se.{k}", se[k]) for k in ("by", "cluster") if se.get(k) is not None]
    for key, value in named:
        for col in [value] if isinstance(value, str) else list(value):
            if isinstance(col, str) and col not in columns:
                where = f"table {spec.table!r}" if spec.table else "the main table"
                raise ConfigError(f"column {col!r} not found in {where}.{suggest(col, columns)}",
                                  location=f"{spec.location}.{key}")


def run_engine_analysis(spec: Any, kwargs: Mapping[str, Any], source: Any, results: dict[str, Any]) -> list[dict[str, str]]:
    """Estimate one engine analysis into ``results`` (with its aggregations and honest_did); returns its warnings."""
    from ._run_sensitivity import run_sensitivity

    where = f"{spec.location} ({spec.name})"
    fn = engine_function(spec.estimator)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res = fn(source, **engine_kwargs(spec, kwargs))
    except (DataError, SpecificationError) as exc:
        column = getattr(exc, "column", None)
        key = next((k for k, v in kwargs.items() if column is not None and v == column), None)
        raise ConfigError(str(exc), location=f"{spec.location}.{key}" if key else where) from exc
    except EstimationError as exc:
        raise EstimationError(f"{where}: {exc}") from exc
    records = warning_records(caught, where)
    results[spec.name] = res
    for kind in spec.aggregate:
        try:
            results[f"{spec.name}.{kind}"] = res.aggregate(kind, **spec.aggregate_options.get(kind, {}))
        except (DataError, SpecificationError) as exc:
            raise ConfigError(str(exc), location=f"{spec.location}.aggregate") from exc
    run_sensitivity(spec, kwargs, None, res, results)  # honest_did only (the others are refused by the config)
    return records


def external_accounting(cfg: Any, external: Mapping[str, ExternalTable], results: Mapping[str, Any],
                        analyses: Any) -> dict[str, Any]:
    """Per external table: files, bytes and rows (Parquet footers), whether sample rules applied (never), and per
    engine analysis reading it the units, periods and rows the engine used."""
    out: dict[str, Any] = {}
    rules = bool(cfg.sample.get("filters") or cfg.sample.get("dropna"))
    for name, table in external.items():
        entry: dict[str, Any] = {"files": len(table.files), "bytes": table.bytes, "rows": table.rows,
                                 "columns": table.columns, "sample_rules_applied": False, "analyses": {}}
        if rules and any(spec.table == name for spec in analyses):
            entry["note"] = FILTERS_NOTE.format(name=name)
            print(f"iej-impact: warning: {entry['note']}", file=sys.stderr)
        for spec in analyses:
            res = results.get(spec.name)
            if spec.table == name and res is not None:
                entry["analyses"][spec.name] = {"engine": spec.engine["name"], **engine_counts(res)}
        out[name] = entry
    return out


def engine_counts(res: Any) -> dict[str, Any]:
    """Units, periods and rows an engine result was computed from (nothing for indicators: see their table)."""
    if not hasattr(res, "n_units") and not hasattr(res, "diagnostics"):  # IndicatorTable
        return {}
    if getattr(res, "n_obs", None) is not None:  # EventStudyResult (event_study_engine: balanced panel)
        return {"units": int(res.n_units), "rows": int(res.n_obs), "periods": int(res.n_obs) // max(1, int(res.n_units))}
    if hasattr(res, "n_units"):  # GroupTimeResult (att_gt_engine: balanced panel, or made balanced by dropping)
        return {"units": int(res.n_units)}
    diag = res.diagnostics
    return {"units": int(res.sample_sizes["units"].sum()), "rows": int(diag["n_obs"]),
            "periods": int(diag["n_obs"]) // max(1, int(res.sample_sizes["units"].sum()))}
