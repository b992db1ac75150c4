"""Running a grid analysis (several outcomes, horizons, subgroups) and its costs: the cells, the p-values adjusted
across the grid, the tests of equal effects across subgroup levels and the comparison tables across designs. Part of the front door; :mod:`iej_impact.runner` calls it."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._config_grid import cell_name, file_stem, format_level, grid_columns, grid_outcomes, is_grid
from ._progress import step, task
from ._run_data import echo_once
from .errors import ConfigError, DataError, EstimationError, SpecificationError
from .results import jsonable
from .synthesis import adjust_p_values, compare, cost_per_outcome, subgroup_equality_test
from .synthesis._compare import COMPARE_COLUMNS
from .synthesis._multiplicity import ADJUSTMENTS
from .synthesis._romano_wolf import influence_correlation, romano_wolf, romano_wolf_unavailable

__all__ = ["add_grid_fields", "comparison_tables", "grid_frames", "run_cells", "subgroup_names",
           "write_comparison_plots"]

FAMILY = ("every effect of the grid (each outcome in the whole sample and in each subgroup level); a result without "
          "a p-value contributes its '.simple' aggregation when there is one")
#: bootstrap draws of the Romano-Wolf p-values
RW_REPS = 1999


@dataclasses.dataclass(frozen=True)
class _Subsample:
    """The rows of one subgroup level (what the runner reads of a sample: ``data``)."""

    data: pd.DataFrame


RunOne = Callable[[Any, Mapping[str, Any], Any, dict[str, Any]], list[dict[str, str]]]


def run_cells(spec: Any, kwargs: Mapping[str, Any], sample: Any, results: dict[str, Any],
              run_warnings: dict[str, list[dict[str, str]]], run_one: RunOne, tables: Mapping[str, pd.DataFrame],
              resolve: Callable[[str], Path], seed: int | None = None) -> tuple[list[str], dict[str, Any] | None]:
    """Estimate every cell of an analysis into ``results`` with ``run_one`` (the runner's one-analysis step);
    returns the cells' names and the grid summary (None for an analysis that is not a grid)."""
    if not is_grid(spec):
        run_warnings[spec.name] = run_one(spec, kwargs, sample, results)
        _record_cost(spec, spec.name, results, tables, resolve)
        return [spec.name], None
    with echo_once(f"{spec.location} ({spec.name})"), task(f"{spec.name}: cells", unit="cell") as ticker:
        return _run_grid(spec, kwargs, sample, results, run_warnings, _timed(run_one, ticker), tables, resolve, seed)


def _timed(run_one: RunOne, ticker: Any) -> RunOne:
    """``run_one`` with each grid cell timed as a step of the run (within its analysis) and ticked on the bar."""
    def one_cell(spec: Any, kwargs: Mapping[str, Any], sample: Any, results: dict[str, Any]) -> list[dict[str, str]]:
        ticker.stage(spec.name)
        with step(spec.name):
            found = run_one(spec, kwargs, sample, results)
        ticker.update(1)
        return found
    return one_cell


def _run_grid(spec: Any, kwargs: Mapping[str, Any], sample: Any, results: dict[str, Any],
              run_warnings: dict[str, list[dict[str, str]]], run_one: RunOne, tables: Mapping[str, pd.DataFrame],
              resolve: Callable[[str], Path], seed: int | None) -> tuple[list[str], dict[str, Any]]:
    listed = isinstance(spec.params.get("outcome"), list)
    names: list[str] = []
    records: list[dict[str, Any]] = []
    tests: list[dict[str, Any]] = []
    row_index: dict[str, pd.Index] = {}
    for cell in grid_columns(spec):
        outcome, varies = cell.column, listed or cell.horizon is not None
        kw = {**kwargs, "outcome": outcome} if varies else dict(kwargs)
        one = dataclasses.replace(spec, name=cell_name(spec.name, cell.outcome, outcome_list=listed, horizon=cell.horizon),
                                  params={**spec.params, "outcome": outcome}) if varies else spec
        run_warnings[one.name] = run_one(one, kw, sample, results)
        names.append(one.name)
        row_index[one.name] = sample.data.index
        records.append(_record(one.name, outcome, None, None, results, cell.horizon))
        _record_cost(spec, one.name, results, tables, resolve)
        for column in spec.grid.get("subgroups", ()):
            level_records = _subgroup_cells(spec, one, kw, sample.data, column, results, run_warnings, run_one,
                                            listed, cell, row_index)
            names += [r["name"] for r in level_records if not r.get("skipped")]
            records += level_records
            usable = [r for r in level_records if not r.get("skipped")]
            test = subgroup_equality_test([_nan(r["estimate"]) for r in usable], [_nan(r["std_error"]) for r in usable],
                                          [r["level"] for r in usable],
                                          correlation=_correlation(usable, results, row_index, sample.data))
            tests.append({"outcome": outcome, **_horizon(cell.horizon), "subgroup": column, **test})
    for method, key in ADJUSTMENTS.items():
        adjusted = adjust_p_values([r.get("p_value") for r in records], method)  # type: ignore[arg-type]
        for r, p in zip(records, adjusted, strict=True):
            r[key] = float(p) if np.isfinite(p) else None
    rw_note = _romano_wolf(records, results, row_index, sample.data, seed)
    family = sum(r.get("p_value") is not None for r in records)
    summary = {"outcomes": grid_outcomes(spec), **({"horizons": list(spec.grid["outcome_horizons"]),
                                                     "horizon_column": spec.grid["horizon_column"]}
                                                    if spec.grid.get("outcome_horizons") else {}),
               "subgroups": list(spec.grid.get("subgroups", ())),
               "family": FAMILY, "family_size": family, "adjustments": {"holm": "p_value_holm", "bh": "p_value_bh", "romano_wolf": "p_value_rw"},
               "cells": records, "equality_tests": tests, "notes": [rw_note]}
    return names, jsonable(summary)


def _clusters(effects: list[Any], frame: pd.DataFrame) -> tuple[str | None, pd.Series | None]:
    """The clustering column shared by every effect (and its values), or (None, None)."""
    by = {getattr(getattr(e, "inference", None), "by", None) for e in effects}
    column = next(iter(by)) if len(by) == 1 else None
    if isinstance(column, str) and column in frame.columns:
        return column, frame[column]
    return None, None


def _correlation(records: list[dict[str, Any]], results: Mapping[str, Any], row_index: Mapping[str, pd.Index],
                 frame: pd.DataFrame) -> np.ndarray | None:
    """The correlation of the subgroup levels' estimates from their influence functions (clustered when the levels
    are: clusters shared across levels correlate them); None when an effect has no usable influence function (the
    test then takes the levels as independent)."""
    if len(records) < 2 or any(r["source"] != r["name"] for r in records):
        return None
    effects = [results[r["name"]] for r in records]
    rows = [row_index[r["name"]] for r in records]
    if romano_wolf_unavailable(effects, rows):
        return None
    return influence_correlation(effects, rows, _clusters(effects, frame)[1])


def _romano_wolf(records: list[dict[str, Any]], results: Mapping[str, Any], row_index: Mapping[str, pd.Index],
                 frame: pd.DataFrame, seed: int | None) -> str:
    """``p_value_rw`` on each cell of the family (None when not computable); returns the note saying how, or why
    not. Clustered draws when every effect is clustered on the same column."""
    family = [r for r in records if r.get("p_value") is not None]
    for r in records:
        r["p_value_rw"] = None
    if len(family) < 2:
        return "Romano-Wolf p-values: not computed (fewer than two effects in the family)."
    effects = [results[r["source"]] for r in family]
    rows = [row_index.get(r["name"], pd.Index([])) if r["source"] == r["name"] else pd.Index([]) for r in family]
    why = romano_wolf_unavailable(effects, rows)
    if why:
        return f"Romano-Wolf p-values: not computed: {why}; Holm controls the same family-wise error rate."
    column, clusters = _clusters(effects, frame)
    p = romano_wolf(effects, rows=rows, clusters=clusters, reps=RW_REPS, seed=0 if seed is None else seed)
    for r, value in zip(family, p, strict=True):
        r["p_value_rw"] = float(value)
    return (f"Romano-Wolf step-down p-values (p_value_rw): multiplier bootstrap of the effects' influence functions, "
            f"{RW_REPS} draws{f', one weight per {column} cluster' if clusters is not None else ''}, seed "
            f"{0 if seed is None else seed}; they keep the dependence between the effects (Holm's bound ignores it).")


def _horizon(horizon: Any) -> dict[str, Any]:
    """The ``horizon`` field of a cell's record, present only in a grid over horizons."""
    return {} if horizon is None else {"horizon": horizon}


def _nan(v: Any) -> float:
    return float("nan") if v is None else float(v)


def _levels(values: pd.Series) -> list[Any]:
    levels = pd.unique(values.dropna())
    try:
        return sorted(levels.tolist())
    except TypeError:
        return sorted(levels.tolist(), key=str)


def _subgroup_cells(spec: Any, one: Any, kw: Mapping[str, Any], frame: pd.DataFrame, column: str,
                    results: dict[str, Any], run_warnings: dict[str, list[dict[str, str]]], run_one: RunOne,
                    listed: bool, cell: Any, row_index: dict[str, pd.Index]) -> list[dict[str, Any]]:
    """The cells of one subgroup column: the analysis on the rows of each level (rows with no level are in none);
    a covariate constant within a level is left out of that level's model with a note; a level the estimator cannot
    handle (no comparison unit, ...) is skipped with its reason."""
    out = []
    for level in _levels(frame[column]):
        rows = frame[frame[column] == level]
        name = cell_name(spec.name, cell.outcome, column, level, outcome_list=listed, horizon=cell.horizon)
        kw_level, notes = _drop_constant(kw, rows, column, level)
        try:
            # sensitivity analyses are for the whole-sample cells; in a subgroup level they would multiply the
            # report without changing its reading
            run_warnings[name] = run_one(dataclasses.replace(one, name=name, sensitivity=None), kw_level,
                                         _Subsample(rows), results)
        except (ConfigError, EstimationError) as exc:
            reason = str(exc).split(": ", 1)[-1]
            run_warnings[one.name] = run_warnings.get(one.name, []) + [
                {"category": "SubgroupSkipped", "message": f"{name}: skipped ({reason})"}]
            out.append({"name": name, "outcome": one.params.get("outcome"), **_horizon(cell.horizon),
                        "subgroup": column, "level": format_level(level), "skipped": reason})
            continue
        row_index[name] = rows.index
        res = results[name]
        if notes and dataclasses.is_dataclass(res) and hasattr(res, "notes"):
            results[name] = dataclasses.replace(res, notes=tuple(res.notes) + tuple(notes))
        out.append({**_record(name, one.params.get("outcome"), column, level, results, cell.horizon), "notes": notes})
    return out


def _drop_constant(kw: Mapping[str, Any], rows: pd.DataFrame, column: str, level: Any) -> tuple[dict[str, Any], list[str]]:
    covs = kw.get("covariates")
    listed = [covs] if isinstance(covs, str) else list(covs or [])
    constant = [c for c in listed if c in rows.columns and rows[c].nunique(dropna=True) <= 1]
    if not constant:
        return dict(kw), []
    notes = [f"covariate {c!r} is constant in the subgroup {column}:{format_level(level)} and is left out of that "
             "subgroup's model." for c in constant]
    return {**kw, "covariates": [c for c in listed if c not in constant]}, notes


def _record(name: str, outcome: str | None, column: str | None, level: Any, results: Mapping[str, Any],
            horizon: Any = None) -> dict[str, Any]:
    """The cell's effect: its result, or its '.simple' aggregation when the result has no p-value (att_gt)."""
    source = name
    d = results[name].to_dict() if hasattr(results[name], "to_dict") else {}
    if d.get("p_value") is None and f"{name}.simple" in results:
        source = f"{name}.simple"
        d = results[source].to_dict()
    return jsonable({"name": name, "source": source, "outcome": outcome, **_horizon(horizon), "subgroup": column,
                     "level": format_level(level) if column is not None else None,
                     **{k: d.get(k) for k in ("estimand", "estimate", "std_error", "ci_lower", "ci_upper", "p_value",
                                              "n_treated", "n_control")}})


def _record_cost(spec: Any, name: str, results: dict[str, Any], tables: Mapping[str, pd.DataFrame],
                 resolve: Callable[[str], Path]) -> None:
    """``<name>.cost``: the cost per additional outcome of the cell ``name`` (whole sample), when asked."""
    from .data._io import load_data

    if "cost" not in spec.grid:
        return
    cost = spec.grid["cost"]
    ops = cost.get("operations")
    try:
        value = cost["amount"] if ops is None else tables[ops] if ops in tables else load_data(resolve(ops))
        results[f"{name}.cost"] = cost_per_outcome(
            results[name], cost=value, n_treated=cost.get("n_treated"), alpha=cost.get("alpha", 0.05),
            method=cost.get("method", "auto"), amount_column=cost.get("column", "amount_fse_iej"))
    except (DataError, SpecificationError) as exc:
        raise ConfigError(str(exc), location=f"{spec.location}.cost") from exc


def subgroup_names(grids: Mapping[str, Any]) -> list[str]:
    return [c["name"] for g in grids.values() for c in g["cells"] if c.get("subgroup") is not None]


def comparison_tables(results: Mapping[str, Any], truths: Mapping[str, float | None],
                      grids: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """``results.json`` ``comparisons``: per outcome, every design's whole-sample estimate (subgroup cells left out)."""
    sub = subgroup_names(grids)
    kept = {n: r for n, r in results.items() if not any(n == s or n.startswith(s + ".") for s in sub)}
    table = compare(kept, truth=dict(truths))
    return {str(o): jsonable(part.reset_index(drop=True)) for o, part in table.groupby("outcome", sort=False)}


def add_grid_fields(results_json: dict[str, Any], grids: Mapping[str, Any]) -> None:
    """The adjusted p-values beside each cell's raw one in ``results.json`` (on the result the p-value comes from)."""
    for g in grids.values():
        for c in g["cells"]:
            entry = results_json["results"].get(c.get("source", c["name"]))
            if isinstance(entry, dict):
                entry.update({key: c.get(key) for key in (*ADJUSTMENTS.values(), "p_value_rw")})


def grid_frames(results_json: Mapping[str, Any]) -> dict[str, pd.DataFrame]:
    """The grid and comparison tables of a run, keyed by file stem: ``grid_<name>`` (one row per cell, raw and
    adjusted p-values), ``grid_<name>_equality`` (the tests of equal effects across subgroup levels) and
    ``compare_<outcome>`` (every design's whole-sample estimate of that outcome, with the truth on synthetic data).
    The runner writes them with the other tables (``tables/*.csv``, the spreadsheets) and shows them in the report."""
    out: dict[str, pd.DataFrame] = {}
    for name, g in results_json.get("grid", {}).items():
        cells = pd.DataFrame(g["cells"])
        if "notes" in cells.columns:  # lists of notes as one text cell ('; '), readable in a spreadsheet
            cells["notes"] = cells["notes"].map(lambda v: "; ".join(v) if isinstance(v, list) else v)
        out[f"grid_{file_stem(name)}"] = cells
        if g["equality_tests"]:
            tests = pd.DataFrame(g["equality_tests"])
            for col in ("levels", "dropped_levels"):
                if col in tests.columns:
                    tests[col] = tests[col].map(lambda v: ", ".join(map(str, v)) if isinstance(v, list) else v)
            out[f"grid_{file_stem(name)}_equality"] = tests
    for outcome, rows in results_json.get("comparisons", {}).items():
        out[f"compare_{file_stem(outcome)}"] = pd.DataFrame(rows, columns=list(COMPARE_COLUMNS))
    return out


def write_comparison_plots(tmp: Path, frames: Mapping[str, pd.DataFrame], language: str,
                           figures: dict[str, Path]) -> None:
    """``figures/compare_<outcome>.png``: a forest plot of each comparison table with an estimate."""
    from .report._plots_compare import plot_comparison
    from .report._plotting import save_figure

    for stem, frame in frames.items():
        if stem.startswith("compare_") and frame["estimate"].notna().any():
            ax = plot_comparison(frame, language=language)
            figures[stem] = save_figure(ax, tmp / "figures" / f"{stem}.png", close=True)
