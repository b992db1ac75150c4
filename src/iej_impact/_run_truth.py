"""True values on synthetic data, beside the estimates: the cohort's true effect for each result, aggregation,
TWFE coefficient and subgroup cell (None where the cohort defines none). Part of the front door;
:mod:`iej_impact.runner` calls it after estimating; the report shows estimate, truth, bias and coverage."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from ._config_grid import format_level
from ._run_sensitivity import PLACEBO_METHODS

__all__ = ["grid_truths", "result_truths"]


def result_truths(synthetic: Any, results: Mapping[str, Any]) -> dict[str, float | None]:
    """The true value of every result on synthetic data (empty otherwise): the cohort's true effect for the
    result's outcome and estimand; for an aggregation of ATT(g,t), the same aggregation of the true ATT(g,t); for
    TWFE, the true ATT over the treated person-periods; None where the cohort has no true value and for placebo
    re-estimates (their target is not an effect of the programme)."""
    if synthetic is None:
        return {}
    from .diff_in_diff._staggered import AggregateResult, GroupTimeResult

    out: dict[str, float | None] = {}
    truth = synthetic.truth
    for name, res in results.items():
        if set(name.split(".")) & set(PLACEBO_METHODS):  # a placebo's target is no effect of the programme
            out[name] = None
            continue
        outcome, estimand = getattr(res, "outcome", None), getattr(res, "estimand", None)
        parent = results.get(name.rsplit(".", 1)[0]) if "." in name else None
        if isinstance(res, AggregateResult) and isinstance(parent, GroupTimeResult):
            out[name] = _aggregated_truth(parent, res, synthetic.group_time)
            continue
        if getattr(res, "method", None) == "twfe":
            out[name] = _twfe_truth(res, synthetic.group_time)
            continue
        hit = truth[(truth["outcome"] == outcome) & (truth["estimand"] == estimand)]
        out[name] = float(hit["value"].iloc[0]) if len(hit) else None
    return out


def _twfe_truth(res: Any, group_time: pd.DataFrame) -> float | None:
    """The true ATT over the treated person-periods the TWFE regression used: the cohort's true ATT(g,t) averaged
    with the number of treated observations of each (cohort, period) cell as weights. This is what the TWFE
    coefficient estimates when effects are homogeneous; with staggered entry and heterogeneous effects it need
    not (its own weights can be negative), which is what the comparison shows. None unless the treatment is the
    cohort's own ``treated_post`` (cohorts then are the cohort's entry periods) and every cell has a true value."""
    spec = getattr(res, "spec", None) or {}
    cells = (getattr(res, "diagnostics", None) or {}).get("negative_weights")
    if spec.get("treatment") != "treated_post" or not isinstance(cells, pd.DataFrame) or not len(cells):
        return None
    gt = group_time[group_time["outcome"] == res.outcome]
    att = {(float(g), float(t)): a for g, t, a in zip(gt["group"], gt["time"], gt["att"], strict=True)}
    values = [att.get((float(g), float(t))) for g, t in zip(cells["cohort"], cells["time"], strict=True)]
    if any(v is None or pd.isna(v) for v in values):
        return None
    weights = cells["n_obs"].to_numpy(dtype=float)
    return float((weights * pd.Series(values, dtype=float).to_numpy()).sum() / weights.sum())


def _aggregated_truth(parent: Any, agg: Any, group_time: pd.DataFrame) -> float | None:
    """True value of an aggregation ``agg`` of ATT(g,t): the same aggregation (same cells, options and cohort-size
    weights, which do not depend on the estimates) applied to the synthetic cohort's true ATT(g,t).
    None when a cell estimated has no true value (e.g. an outcome the cohort does not simulate)."""
    import dataclasses

    gt = group_time[group_time["outcome"] == parent.outcome].set_index(["group", "time"])["att"]
    table = parent.table.copy()
    key = pd.MultiIndex.from_arrays([table["group"].to_numpy(dtype=float), table["time"].to_numpy(dtype=float)])
    gt.index = pd.MultiIndex.from_arrays([gt.index.get_level_values(0).astype(float),
                                          gt.index.get_level_values(1).astype(float)])
    true_att = gt.reindex(key).to_numpy(dtype=float)
    estimated = pd.notna(table["estimate"]).to_numpy()
    if (estimated & pd.isna(true_att)).any():
        return None
    table["estimate"] = pd.Series(true_att, index=table.index).where(estimated)
    return float(dataclasses.replace(parent, table=table).aggregate(agg.kind, **agg.options).estimate)


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
