"""Running a grid analysis (several outcomes, subgroups) and its costs: the cells, the p-values adjusted across
the grid, the tests of equal effects across subgroup levels, the comparison tables across designs and the
true subgroup effects on synthetic data. Part of the front door; :mod:`iej_impact.runner` calls it."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._config_grid import cell_name, file_stem, format_level, grid_outcomes, is_grid
from ._progress import step, task
from .errors import ConfigError, DataError, EstimationError, SpecificationError
from .results import jsonable
from .synthesis import adjust_p_values, compare, cost_per_outcome, subgroup_equality_test
from .synthesis._compare import COMPARE_COLUMNS
from .synthesis._multiplicity import ADJUSTMENTS

__all__ = ["add_grid_fields", "comparison_tables", "grid_truths", "run_cells", "write_grid_outputs"]

FAMILY = ("every effect of the grid (each outcome in the whole sample and in each subgroup level); a result without "
          "a p-value contributes its '.simple' aggregation when there is one")
ROMANO_WOLF = ("Romano-Wolf step-down p-values are not computed: they need a joint bootstrap of every cell on the same "
               "resampled units, which the estimators do not share; Holm controls the same family-wise error rate "
               "under any dependence.")


@dataclasses.dataclass(frozen=True)
class _Subsample:
    """The rows of one subgroup level (what the runner reads of a sample: ``data``)."""

    data: pd.DataFrame


RunOne = Callable[[Any, Mapping[str, Any], Any, dict[str, Any]], list[dict[str, str]]]


def run_cells(spec: Any, kwargs: Mapping[str, Any], sample: Any, results: dict[str, Any],
              run_warnings: dict[str, list[dict[str, str]]], run_one: RunOne, tables: Mapping[str, pd.DataFrame],
              resolve: Callable[[str], Path]) -> tuple[list[str], dict[str, Any] | None]:
    """Estimate every cell of an analysis into ``results`` with ``run_one`` (the runner's one-analysis step);
    returns the cells' names and the grid summary (None for an analysis that is not a grid)."""
    if is_grid(spec):
        with task(f"{spec.name}: cells", unit="cell") as ticker:
            return _run_cells(spec, kwargs, sample, results, run_warnings, _timed(run_one, ticker), tables, resolve)
    return _run_cells(spec, kwargs, sample, results, run_warnings, run_one, tables, resolve)


def _timed(run_one: RunOne, ticker: Any) -> RunOne:
    """``run_one`` with each grid cell timed as a step of the run (within its analysis) and ticked on the bar."""
    def one_cell(spec: Any, kwargs: Mapping[str, Any], sample: Any, results: dict[str, Any]) -> list[dict[str, str]]:
        ticker.stage(spec.name)
        with step(spec.name):
            found = run_one(spec, kwargs, sample, results)
        ticker.update(1)
        return found
    return one_cell


def _run_cells(spec: Any, kwargs: Mapping[str, Any], sample: Any, results: dict[str, Any],
               run_warnings: dict[str, list[dict[str, str]]], run_one: RunOne, tables: Mapping[str, pd.DataFrame],
               resolve: Callable[[str], Path]) -> tuple[list[str], dict[str, Any] | None]:
    listed = isinstance(spec.params.get("outcome"), list)
    names: list[str] = []
    records: list[dict[str, Any]] = []
    tests: list[dict[str, Any]] = []
    for outcome in grid_outcomes(spec):
        kw = {**kwargs, "outcome": outcome} if listed else dict(kwargs)
        one = dataclasses.replace(spec, name=cell_name(spec.name, outcome, outcome_list=listed),
                                  params={**spec.params, "outcome": outcome}) if listed else spec
        run_warnings[one.name] = run_one(one, kw, sample, results)
        names.append(one.name)
        records.append(_record(one.name, outcome, None, None, results))
        if "cost" in spec.grid:
            _cost(spec, one.name, results, tables, resolve)
        for column in spec.grid.get("subgroups", ()):
            level_records = _subgroup_cells(spec, one, kw, sample.data, column, results, run_warnings, run_one,
                                            listed)
            names += [r["name"] for r in level_records if not r.get("skipped")]
            records += level_records
            usable = [r for r in level_records if not r.get("skipped")]
            test = subgroup_equality_test([_nan(r["estimate"]) for r in usable], [_nan(r["std_error"]) for r in usable],
                                          [r["level"] for r in usable])
            tests.append({"outcome": outcome, "subgroup": column, **test})
    if not is_grid(spec):
        return names, None
    for method, key in ADJUSTMENTS.items():
        adjusted = adjust_p_values([r.get("p_value") for r in records], method)  # type: ignore[arg-type]
        for r, p in zip(records, adjusted, strict=True):
            r[key] = float(p) if np.isfinite(p) else None
    family = sum(r.get("p_value") is not None for r in records)
    summary = {"outcomes": grid_outcomes(spec), "subgroups": list(spec.grid.get("subgroups", ())),
               "family": FAMILY, "family_size": family, "adjustments": {"holm": "p_value_holm", "bh": "p_value_bh"},
               "cells": records, "equality_tests": tests, "notes": [ROMANO_WOLF]}
    return names, jsonable(summary)


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
                    listed: bool) -> list[dict[str, Any]]:
    """The cells of one subgroup column: the analysis on the rows of each level (rows with no level are in none);
    a covariate constant within a level is left out of that level's model with a note; a level the estimator cannot
    handle (no comparison unit, ...) is skipped with its reason."""
    out = []
    for level in _levels(frame[column]):
        rows = frame[frame[column] == level]
        name = cell_name(spec.name, one.params.get("outcome"), column, level, outcome_list=listed)
        kw_level, notes = _drop_constant(kw, rows, column, level)
        try:
            run_warnings[name] = run_one(dataclasses.replace(one, name=name), kw_level, _Subsample(rows), results)
        except (ConfigError, EstimationError) as exc:
            reason = str(exc).split(": ", 1)[-1]
            run_warnings[one.name] = run_warnings.get(one.name, []) + [
                {"category": "SubgroupSkipped", "message": f"{name}: skipped ({reason})"}]
            out.append({"name": name, "outcome": one.params.get("outcome"), "subgroup": column,
                        "level": format_level(level), "skipped": reason})
            continue
        res = results[name]
        if notes and dataclasses.is_dataclass(res) and hasattr(res, "notes"):
            results[name] = dataclasses.replace(res, notes=tuple(res.notes) + tuple(notes))
        out.append({**_record(name, one.params.get("outcome"), column, level, results), "notes": notes})
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


def _record(name: str, outcome: str | None, column: str | None, level: Any, results: Mapping[str, Any]) -> dict[str, Any]:
    """The cell's effect: its result, or its '.simple' aggregation when the result has no p-value (att_gt)."""
    source = name
    d = results[name].to_dict() if hasattr(results[name], "to_dict") else {}
    if d.get("p_value") is None and f"{name}.simple" in results:
        source = f"{name}.simple"
        d = results[source].to_dict()
    return jsonable({"name": name, "source": source, "outcome": outcome, "subgroup": column,
                     "level": format_level(level) if column is not None else None,
                     **{k: d.get(k) for k in ("estimand", "estimate", "std_error", "ci_lower", "ci_upper", "p_value",
                                              "n_treated", "n_control")}})


def _cost(spec: Any, name: str, results: dict[str, Any], tables: Mapping[str, pd.DataFrame],
          resolve: Callable[[str], Path]) -> None:
    """``<name>.cost``: the cost per additional outcome of the cell ``name`` (whole sample)."""
    from .data._io import load_data

    cost = spec.grid["cost"]
    ops = cost.get("operations")
    try:
        value = cost["amount"] if ops is None else tables[ops] if ops in tables else load_data(resolve(ops))
        results[f"{name}.cost"] = cost_per_outcome(
            results[name], cost=value, n_treated=cost.get("n_treated"), alpha=cost.get("alpha", 0.05),
            method=cost.get("method", "auto"), amount_column=cost.get("column", "amount_fse_iej"))
    except (DataError, SpecificationError) as exc:
        raise ConfigError(str(exc), location=f"{spec.location}.cost") from exc


def _subgroup_names(grids: Mapping[str, Any]) -> list[str]:
    return [c["name"] for g in grids.values() for c in g["cells"] if c.get("subgroup") is not None]


def grid_truths(truths: dict[str, float | None], grids: Mapping[str, Any], synthetic: Any) -> None:
    """On synthetic data: the true effect in each subgroup level (mean of p1 - p0 over the estimand's population in
    that level, person-level outcomes), None for what is derived from a subgroup cell and for costs."""
    for name in list(truths):
        if name.endswith(".cost"):
            truths[name] = None
    if synthetic is None:
        return
    for g in grids.values():
        for c in g["cells"]:
            if c.get("subgroup") is None or c.get("skipped"):
                continue
            for key in [k for k in truths if k.startswith(c["name"] + ".")]:
                truths[key] = None
            truths[c["name"]] = _subgroup_truth(synthetic, c["outcome"], c.get("estimand"), c["subgroup"], c["level"])


def _subgroup_truth(synthetic: Any, outcome: str, estimand: str | None, column: str, level: str) -> float | None:
    persons, po = synthetic.persons, synthetic.potential_outcomes
    p0, p1 = f"p0_{outcome}", f"p1_{outcome}"
    if column not in persons.columns or p1 not in po.columns or estimand not in ("ATT", "ATC", "ATE"):
        return None
    merged = persons[["person_id", "treated", column]].merge(po[["person_id", p0, p1]], on="person_id")
    keep = merged[column].map(lambda v: format_level(v) if pd.notna(v) else None) == level
    if estimand != "ATE":
        keep &= merged["treated"] == (1 if estimand == "ATT" else 0)
    return float((merged.loc[keep, p1] - merged.loc[keep, p0]).mean()) if keep.any() else None


def comparison_tables(results: Mapping[str, Any], truths: Mapping[str, float | None],
                      grids: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """``results.json`` ``comparisons``: per outcome, every design's whole-sample estimate (subgroup cells left out)."""
    sub = _subgroup_names(grids)
    kept = {n: r for n, r in results.items() if not any(n == s or n.startswith(s + ".") for s in sub)}
    table = compare(kept, truth=dict(truths))
    return {str(o): jsonable(part.reset_index(drop=True)) for o, part in table.groupby("outcome", sort=False)}


def add_grid_fields(results_json: dict[str, Any], grids: Mapping[str, Any]) -> None:
    """The adjusted p-values beside each cell's raw one in ``results.json`` (on the result the p-value comes from)."""
    for g in grids.values():
        for c in g["cells"]:
            entry = results_json["results"].get(c.get("source", c["name"]))
            if isinstance(entry, dict):
                entry.update({key: c.get(key) for key in ADJUSTMENTS.values()})


def write_grid_outputs(tmp: Path, results_json: Mapping[str, Any], language: str, figures: dict[str, Path]) -> None:
    """``tables/grid_<name>.csv`` (cells), ``tables/grid_<name>_equality.csv``, ``tables/compare_<outcome>.csv`` and
    ``figures/compare_<outcome>.png`` (forest plot)."""
    from .data._io import write_table
    from .report._plots_compare import plot_comparison
    from .report._plotting import save_figure

    for name, g in results_json.get("grid", {}).items():
        write_table(pd.DataFrame(g["cells"]), tmp / "tables" / f"grid_{file_stem(name)}.csv")
        if g["equality_tests"]:
            write_table(pd.DataFrame(g["equality_tests"]), tmp / "tables" / f"grid_{file_stem(name)}_equality.csv")
    for outcome, rows in results_json.get("comparisons", {}).items():
        frame = pd.DataFrame(rows, columns=list(COMPARE_COLUMNS))
        stem = f"compare_{file_stem(outcome)}"
        write_table(frame, tmp / "tables" / f"{stem}.csv")
        if frame["estimate"].notna().any():
            ax = plot_comparison(frame, language=language)
            figures[stem] = save_figure(ax, tmp / "figures" / f"{stem}.png", close=True)
