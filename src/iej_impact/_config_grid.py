"""Grids and costs of an analysis in a run configuration: ``outcome: [a, b]`` (several outcomes),
``subgroups: [female, territory_id]`` (the analysis again in each level of each column) and
``cost: {amount: 1.2e6}`` / ``cost: {operations: operations}`` (cost per additional outcome), checked for
their shape with the YAML location of every mistake; the names of the grid's results. Part of the front
door (:mod:`iej_impact.config` reads an analysis with it, :mod:`iej_impact._run_grid` runs it)."""

from __future__ import annotations

import inspect
import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from ._file_names import file_stem
from ._validation import short_repr, suggest
from .errors import ConfigError

__all__ = ["COST_ESTIMATORS", "COST_KEYS", "DEFAULT_HORIZON_COLUMN", "GRID_KEYS", "GridColumn", "MAX_SUBGROUP_LEVELS", "cell_name", "check_grid", "file_stem",
           "format_level", "grid_columns", "grid_outcomes", "is_grid", "parse_grid"]

#: reserved analysis keys read here (``outcome`` stays a parameter: a list of outcomes makes a grid)
GRID_KEYS = ("subgroups", "cost", "outcome_horizons", "horizon_column")
#: the outcome column of a horizon when ``horizon_column`` is not given: ``employed`` at 6 is ``employed_6``
DEFAULT_HORIZON_COLUMN = "{outcome}_{horizon}"
COST_KEYS = ("amount", "operations", "column", "n_treated", "alpha", "method")
#: estimators whose result is one effect (the cost per additional outcome divides by it)
COST_ESTIMATORS = ("difference_in_means", "psm", "regression_adjustment", "ipw", "doubly_robust", "entropy_balancing",
                   "did", "matched_did", "twfe")
#: more levels than this is most likely an identifier, not a subgroup
MAX_SUBGROUP_LEVELS = 100


def parse_grid(entry: Mapping[str, Any], estimator: str, function: Callable[..., Any], loc: str) -> dict[str, Any]:
    """Check ``outcome`` (when a list), ``subgroups`` and ``cost`` of an analysis; returns ``{"subgroups": [...],
    "cost": {...}}`` with the keys given (an empty mapping for an analysis without either)."""
    takes_outcome = "outcome" in inspect.signature(function).parameters
    outcome = entry.get("outcome")
    if isinstance(outcome, list):
        if not takes_outcome:
            raise ConfigError(f"{estimator}() takes no outcome.", location=f"{loc}.outcome")
        if not outcome:
            raise ConfigError("an empty list; give one outcome column or a list of them.", location=f"{loc}.outcome")
        for j, col in enumerate(outcome):
            if not isinstance(col, str) or not col:
                raise ConfigError(f"must be a column name (a string); got {short_repr(col)}.",
                                  location=f"{loc}.outcome[{j}]")
            if col in outcome[:j]:
                raise ConfigError(f"the outcome {col!r} is listed twice.", location=f"{loc}.outcome[{j}]")
    out: dict[str, Any] = {}
    if entry.get("subgroups") is not None:
        out["subgroups"] = _subgroups(entry["subgroups"], estimator, takes_outcome, f"{loc}.subgroups")
    if entry.get("cost") is not None:
        out["cost"] = _cost(entry["cost"], estimator, f"{loc}.cost")
    out.update(_horizons(entry, takes_outcome, estimator, loc))
    return out


def _horizons(entry: Mapping[str, Any], takes_outcome: bool, estimator: str, loc: str) -> dict[str, Any]:
    """``outcome_horizons: [6, 12]`` with ``horizon_column: "{outcome}_{horizon}m"``: the outcome at each horizon is
    the column the template names (placeholders replaced as text, nothing evaluated). Not ``horizons``: that is a
    parameter of imputation_did (the event times it reports)."""
    horizons, template = entry.get("outcome_horizons"), entry.get("horizon_column")
    if horizons is None:
        if template is not None:
            raise ConfigError("'horizon_column' names the outcome column of each horizon; give the horizons too "
                              "(outcome_horizons: [6, 12]).", location=f"{loc}.horizon_column")
        return {}
    if not takes_outcome:
        raise ConfigError(f"horizons are for estimators of an effect on an outcome; {estimator}() takes no outcome.",
                          location=f"{loc}.outcome_horizons")
    if entry.get("outcome") is None:
        raise ConfigError("horizons need the outcome they apply to (outcome: employed, or a list).",
                          location=f"{loc}.outcome_horizons")
    if not isinstance(horizons, list) or not horizons:
        raise ConfigError(f"must be a list of horizons (numbers or short labels), e.g. [6, 12]; got "
                          f"{short_repr(horizons)}.", location=f"{loc}.outcome_horizons")
    for j, h in enumerate(horizons):
        if isinstance(h, bool) or not isinstance(h, (int, str)) or (isinstance(h, str) and
                                                                    not re.fullmatch(r"[A-Za-z0-9_+-]+", h)):
            raise ConfigError(f"a horizon is an integer or a short label (letters, digits, _ + -); got {short_repr(h)}.",
                              location=f"{loc}.outcome_horizons[{j}]")
        if str(h) in map(str, horizons[:j]):
            raise ConfigError(f"the horizon {h!r} is listed twice.", location=f"{loc}.outcome_horizons[{j}]")
    template = DEFAULT_HORIZON_COLUMN if template is None else template
    tloc = f"{loc}.horizon_column"
    if not isinstance(template, str) or "{horizon}" not in template:
        raise ConfigError(f"must be a text holding {{horizon}} (and {{outcome}}), e.g. \"{{outcome}}_{{horizon}}m\"; "
                          f"got {short_repr(template)}.", location=tloc)
    left = template.replace("{outcome}", "").replace("{horizon}", "")
    if "{" in left or "}" in left:
        raise ConfigError(f"only {{outcome}} and {{horizon}} may be written in braces; got {template!r}.", location=tloc)
    outcomes = entry["outcome"] if isinstance(entry["outcome"], list) else [entry["outcome"]]
    if len(outcomes) > 1 and "{outcome}" not in template:
        raise ConfigError(f"{template!r} gives the same column for every outcome of the list; write {{outcome}} in it.",
                          location=tloc)
    return {"outcome_horizons": list(horizons), "horizon_column": template}


@dataclass(frozen=True)
class GridColumn:
    """One outcome column of an analysis: the column estimated, the outcome it was listed as, its horizon."""

    column: str | None
    outcome: str | None
    horizon: Any = None


def grid_columns(spec: Any) -> list[GridColumn]:
    """The outcome columns of an analysis, outcome by outcome and, within one, horizon by horizon."""
    horizons = spec.grid.get("outcome_horizons")
    if not horizons:
        return [GridColumn(o, o) for o in grid_outcomes(spec)]
    template = spec.grid.get("horizon_column", DEFAULT_HORIZON_COLUMN)
    return [GridColumn(template.replace("{outcome}", str(o)).replace("{horizon}", str(h)), o, h)
            for o in grid_outcomes(spec) for h in horizons]


def _subgroups(value: Any, estimator: str, takes_outcome: bool, loc: str) -> list[str]:
    if not takes_outcome:
        raise ConfigError(f"subgroups are for estimators of an effect on an outcome; {estimator}() takes no outcome.",
                          location=loc)
    cols = [value] if isinstance(value, str) else value
    if not isinstance(cols, list) or not cols:
        raise ConfigError(f"must be a column name or a list of column names; got {short_repr(value)}.", location=loc)
    for j, col in enumerate(cols):
        if not isinstance(col, str) or not col:
            raise ConfigError(f"must be a column name (a string); got {short_repr(col)}.", location=f"{loc}[{j}]")
        if col in cols[:j]:
            raise ConfigError(f"the column {col!r} is listed twice.", location=f"{loc}[{j}]")
    return list(cols)


def _cost(value: Any, estimator: str, loc: str) -> dict[str, Any]:
    if estimator not in COST_ESTIMATORS:
        raise ConfigError(f"a cost per additional outcome needs one effect; {estimator}() results are not one (cost: is "
                          f"for {', '.join(COST_ESTIMATORS)}).", location=loc)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = {"amount": value}
    if not isinstance(value, Mapping):
        raise ConfigError("must be {amount: <total cost>} or {operations: <table or file>} (the amounts of the "
                          f"operations table summed); got {short_repr(value)}.", location=loc)
    cost = dict(value)
    for key in cost:
        if key not in COST_KEYS:
            raise ConfigError(f"unknown key '{key}'; allowed: {list(COST_KEYS)}.{suggest(key, COST_KEYS)}",
                              location=f"{loc}.{key}")
    given = [k for k in ("amount", "operations") if k in cost]
    if len(given) != 1:
        raise ConfigError(f"give exactly one of 'amount' (a number) and 'operations' (a table name or a file); got "
                          f"{given or 'neither'}.", location=loc)
    amount = cost.get("amount")
    if isinstance(amount, str) and re.fullmatch(r"\s*[0-9.]+[eE][+-]?[0-9]+\s*", amount):
        amount = cost["amount"] = float(amount)  # YAML 1.1 reads 1.2e6 (no sign in the exponent) as text
    if "amount" in cost and (isinstance(amount, bool) or not isinstance(amount, (int, float))
                             or not math.isfinite(amount) or amount <= 0):
        raise ConfigError(f"must be a positive number (the total cost); got {short_repr(amount)}.",
                          location=f"{loc}.amount")
    for key in ("operations", "column"):
        if key in cost and (not isinstance(cost[key], str) or not cost[key]):
            raise ConfigError(f"must be a string; got {short_repr(cost[key])}.", location=f"{loc}.{key}")
    n = cost.get("n_treated")
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n <= 0):
        raise ConfigError(f"must be a positive integer; got {short_repr(n)}.", location=f"{loc}.n_treated")
    alpha = cost.get("alpha", 0.05)
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 < alpha < 1:
        raise ConfigError(f"must be a number between 0 and 1; got {short_repr(alpha)}.", location=f"{loc}.alpha")
    if cost.get("method", "auto") not in ("auto", "delta", "fieller"):
        raise ConfigError(f"must be auto, delta or fieller; got {short_repr(cost['method'])}."
                          f"{suggest(cost['method'], ('auto', 'delta', 'fieller'))}", location=f"{loc}.method")
    return cost


def grid_outcomes(spec: Any) -> list[str | None]:
    """The outcomes of an analysis: its list, or its one outcome (None when it names none)."""
    outcome = spec.params.get("outcome")
    return list(outcome) if isinstance(outcome, list) else [outcome]


def is_grid(spec: Any) -> bool:
    """Whether the analysis is a grid: several outcomes (a list), horizons or subgroups."""
    return (isinstance(spec.params.get("outcome"), list) or bool(spec.grid.get("subgroups"))
            or bool(spec.grid.get("outcome_horizons")))


def format_level(value: Any) -> str:
    """A subgroup level as written in a name: integers (and whole floats) without decimals, text as it is."""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def cell_name(name: str, outcome: str | None, column: str | None = None, level: Any = None, *,
              outcome_list: bool = True, horizon: Any = None) -> str:
    """``name[outcome=o,horizon=h,subgroup=column:level]``: the parts that vary, in that order; ``name`` alone for
    the whole sample of an analysis with one outcome and no horizons."""
    parts = ([f"outcome={outcome}"] if outcome_list else []) + (
        [f"horizon={horizon}"] if horizon is not None else []) + (
        [f"subgroup={column}:{format_level(level)}"] if column is not None else [])
    return f"{name}[{','.join(parts)}]" if parts else name


def check_grid(spec: Any, frame: pd.DataFrame, tables: Mapping[str, pd.DataFrame],
               resolve: Callable[[str], Path]) -> Iterator[Any]:
    """Before estimating: subgroup columns exist with 2 to ``MAX_SUBGROUP_LEVELS`` levels, the cost's table or file
    exists; yields the analysis once per outcome (the run's checks then run on each)."""
    for j, col in enumerate(spec.grid.get("subgroups", ())):
        if col not in frame.columns:
            raise ConfigError(f"column {col!r} not found in the data.{suggest(col, map(str, frame.columns))}",
                              location=f"{spec.location}.subgroups[{j}]")
        n = frame[col].nunique(dropna=True)
        if not 2 <= n <= MAX_SUBGROUP_LEVELS:
            raise ConfigError(f"the column {col!r} has {n} distinct values; a subgroup column needs 2 to "
                              f"{MAX_SUBGROUP_LEVELS}.", location=f"{spec.location}.subgroups[{j}]")
    cost = spec.grid.get("cost", {})
    ops = cost.get("operations")
    if ops is not None:
        column = cost.get("column", "amount_fse_iej")
        if ops in tables:
            if column not in tables[ops].columns:
                raise ConfigError(f"the table {ops!r} has no column {column!r}.{suggest(column, tables[ops].columns)}",
                                  location=f"{spec.location}.cost.column" if "column" in cost else
                                  f"{spec.location}.cost.operations")
        elif not resolve(ops).is_file():
            raise ConfigError(f"{ops!r} is neither a table of the run ({sorted(tables)}) nor a file ({resolve(ops)}).",
                              location=f"{spec.location}.cost.operations")
    listed = isinstance(spec.params.get("outcome"), list)
    for cell in grid_columns(spec):
        if cell.horizon is not None:
            if cell.column not in frame.columns:
                j = [str(h) for h in spec.grid["outcome_horizons"]].index(str(cell.horizon))
                raise ConfigError(f"the outcome {cell.outcome!r} at horizon {cell.horizon} is the column {cell.column!r} "
                                  f"(horizon_column {spec.grid['horizon_column']!r}), which is not in the data."
                                  f"{suggest(cell.column, map(str, frame.columns))}",
                                  location=f"{spec.location}.outcome_horizons[{j}]")
            yield replace(spec, params={**spec.params, "outcome": cell.column})
        else:
            yield replace(spec, params={**spec.params, "outcome": cell.column}) if listed else spec
