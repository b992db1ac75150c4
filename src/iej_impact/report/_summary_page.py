"""The one-page summary at the top of the report: one plain-language paragraph per headline estimate.

Each paragraph is generated from the result: what was estimated (estimand, outcome under its
label), on whom (treated and control counts), the value with its confidence interval in the
language's number format, what the design assumes (one sentence per method) and whether the
diagnostics the result carries support it: covariate balance after matching or weighting, the
overlap of the propensity score, units left without a match, the pre-trend test where there is
one. Nothing is re-estimated: the numbers are read from the result objects and their tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ._effects_table import effect_rows, finite_float
from ._html_blocks import esc
from ._i18n import (
    MESSAGES,
    NNBSP,
    estimand_label,
    format_int,
    format_interval,
    format_number,
    format_percent,
    format_pvalue,
    format_short,
    method_label,
    t,
)
from ._labels import label
from ._placebo_section import PLACEBO_KINDS

__all__ = ["is_subgroup_cell", "story_paragraph", "summary_paragraphs", "summary_section"]

#: the design family of each method, whose assumption sentence is "assume_<family>"
_FAMILY = {
    "difference_in_means": "naive", "psm": "matching", "match": "matching", "ipw": "weighting",
    "entropy_balancing": "weighting", "aipw": "doubly_robust", "ipwra": "doubly_robust",
    "regression_adjustment": "regression", "did": "did", "att_gt": "did", "aligned_did": "did",
    "matched_did": "did", "twfe": "twfe", "event_study": "twfe",
}


def _balance(res: Any) -> Any:
    """The balance table after adjustment (matching or weighting), or None."""
    diagnostics = getattr(res, "diagnostics", None) or {}
    matching = diagnostics.get("matching")
    if matching is not None and callable(getattr(matching, "balance", None)):
        try:
            return matching.balance()
        except Exception:  # noqa: BLE001 - a summary never fails a report
            return None
    bal = diagnostics.get("balance")
    return bal if getattr(bal, "weighted", False) else None


def _balance_sentence(res: Any, language: str) -> str | None:
    bal = _balance(res)
    table = getattr(bal, "table", None)
    if not isinstance(table, pd.DataFrame) or "smd_after" not in table.columns:
        return None
    smd = np.abs(table["smd_after"].to_numpy(dtype=float))
    smd = smd[np.isfinite(smd)]
    if not len(smd):
        return None
    threshold = float(getattr(bal, "threshold", 0.1))
    over = [label(name) for name, v in zip(table.index, np.abs(table["smd_after"].to_numpy(dtype=float)), strict=True)
            if np.isfinite(v) and v > threshold]
    values = {"k": format_int(len(over), language), "n": format_int(len(smd), language),
              "thr": format_short(threshold, language), "max": format_number(float(smd.max()), language, 3)}
    if not over:
        return t("sum_balance_ok", language, **values)
    return t("sum_balance_bad", language, names=", ".join(over[:5]), **values)


def _overlap_sentence(res: Any, language: str) -> str | None:
    diagnostics = getattr(res, "diagnostics", None) or {}
    overlap = diagnostics.get("overlap")
    if isinstance(overlap, pd.DataFrame) and "share_outside_other_range" in overlap.columns:
        share = overlap["share_outside_other_range"].astype(float)
        worst = float(share.max())
        key = "sum_overlap_ok" if worst < 0.01 else "sum_overlap_bad"
        return t(key, language, share=format_percent(round(worst, 3), language))
    matching = diagnostics.get("matching")
    sizes = getattr(matching, "sample_sizes", None)
    if isinstance(sizes, pd.DataFrame) and "unmatched" in sizes.index and "treated" in sizes.columns:
        estimand = getattr(res, "estimand", "ATT")
        arm = "control" if estimand == "ATC" else "treated"
        lost, total = finite_float(sizes.loc["unmatched", arm]), finite_float(sizes.loc["all", arm])
        if lost is None or total is None:
            return None
        if lost == 0:
            return t("sum_matched_all", language)
        return t("sum_matched_some", language, lost=format_int(lost, language), total=format_int(total, language))
    return None


def _wald(res: Any) -> Any:
    test = getattr(res, "pretrend_test", None)
    if not callable(test):
        return None
    try:
        return test()
    except Exception:  # noqa: BLE001 - a summary never fails a report
        return None


def _pretrend_sentence(res: Any, language: str, parent: Any = None) -> str | None:
    """The pre-trend test of the result, or of the group-time result it aggregates when it has none."""
    wald = _wald(res)
    if wald is None or not getattr(wald, "valid", False):
        wald = _wald(parent) if parent is not None else None
    p = finite_float(getattr(wald, "p_value", None))
    if wald is None or not getattr(wald, "valid", False) or p is None:
        return None
    key = "sum_pretrend_ok" if p >= 0.05 else "sum_pretrend_bad"
    return t(key, language, p=format_pvalue(p, language), df=getattr(wald, "df", ""))


def is_subgroup_cell(name: str) -> bool:
    """Whether ``name`` is a subgroup cell of a grid (``a[...,subgroup=female:1]``) or derived from one."""
    return "[" in name and "subgroup=" in name.split("[", 1)[1]


def _analysis(name: str) -> str:
    """The analysis a result belongs to: ``psm`` for ``psm[outcome=employed,horizon=6]``, the name itself else."""
    return name.split("[", 1)[0] if "[" in name and name.endswith("]") else name


def _checks(res: Any, name: str, results: Mapping[str, object], language: str, family: str | None) -> list[str]:
    checks = [s for s in (_balance_sentence(res, language), _overlap_sentence(res, language),
                          _pretrend_sentence(res, language, results.get(name.rpartition(".")[0])))
              if s]
    return checks or ([t("sum_no_diagnostics", language)] if family != "naive" else [])


def _one(row: Mapping[str, Any], results: Mapping[str, object], language: str) -> str:
    res = results[row["name"]]
    method = row["method"]
    outcome = label(row["outcome"]) if row["outcome"] is not None else t("na", language)
    sentences = [t("sum_what", language, estimand=estimand_label(row["estimand"], language), outcome=outcome,
                   method=method_label(method, language), value=format_number(row["estimate"], language, 4),
                   level=format_percent(row["ci_level"], language),
                   ci=format_interval(row["ci_lower"], row["ci_upper"], language, 4))]
    diagnostics = getattr(res, "diagnostics", None) or {}
    if diagnostics.get("binary_outcome") and row["estimate"] is not None:
        sentences.append(t("sum_points", language, points=format_number(100 * row["estimate"], language, 1)))
    if row["n_treated"] is not None and row["n_control"] is not None:
        sentences.append(t("sum_who", language, treated=format_int(row["n_treated"], language),
                           control=format_int(row["n_control"], language)))
    family = _FAMILY.get(str(method))
    if family is not None and f"assume_{family}" in MESSAGES:
        sentences.append(t(f"assume_{family}", language))
    return " ".join(sentences + _checks(res, row["name"], results, language, family))


def _grid(rows: list[Mapping[str, Any]], results: Mapping[str, object], language: str) -> str:
    """One paragraph for the whole-sample cells of a grid: the value of each, then what they share (the units
    when the same, the design's assumption, the diagnostics of the first cell: same covariates and sample)."""
    first = rows[0]
    items = [t("sum_grid_item", language, outcome=label(r["outcome"]) if r["outcome"] is not None else t("na", language),
               value=format_number(r["estimate"], language, 4),
               ci=format_interval(r["ci_lower"], r["ci_upper"], language, 4)) for r in rows]
    sentences = [t("sum_grid", language, estimand=estimand_label(first["estimand"], language),
                   method=method_label(first["method"], language), level=format_percent(first["ci_level"], language),
                   items=_sep(language).join(items))]
    counts = {(r["n_treated"], r["n_control"]) for r in rows}
    if len(counts) == 1 and first["n_treated"] is not None and first["n_control"] is not None:
        sentences.append(t("sum_who", language, treated=format_int(first["n_treated"], language),
                           control=format_int(first["n_control"], language)))
    family = _FAMILY.get(str(first["method"]))
    if family is not None and f"assume_{family}" in MESSAGES:
        sentences.append(t(f"assume_{family}", language))
    return " ".join(sentences + _checks(results[first["name"]], first["name"], results, language, family))


def summary_paragraphs(results: Mapping[str, object], language: str, *,
                       skip_subgroups: bool = False) -> list[tuple[str, str]]:
    """(title, paragraph) for every result with a point estimate, in the order of ``results``: one paragraph per
    result, or, for the whole-sample cells of a grid (several outcomes or horizons), one per analysis listing each
    cell's value. Subgroup cells are left out with ``skip_subgroups`` (the grid section shows them); placebo
    re-estimates (``<name>.placebo_entry``, ``<name>.placebo_group``) are not effects of the programme: the placebo
    section shows them."""
    effects = {k: v for k, v in results.items() if not set(k.split(".")) & set(PLACEBO_KINDS)}
    rows = [r for r in effect_rows(effects) if not (skip_subgroups and is_subgroup_cell(r["name"]))]
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        key = _analysis(row["name"]) if "[" in row["name"] and not is_subgroup_cell(row["name"]) else row["name"]
        groups.setdefault(key, []).append(row)
    out = []
    for key, members in groups.items():
        text = _one(members[0], results, language) if len(members) == 1 else _grid(members, results, language)
        out.append((key if len(members) > 1 else members[0]["name"], text[:1].upper() + text[1:]))
    return out


def _sep(language: str) -> str:
    return NNBSP + "; " if language == "fr" else "; "


def story_paragraph(results: Mapping[str, object], truths: Mapping[str, float | None] | None,
                    language: str) -> str | None:
    """On synthetic data, which whole-sample estimates have a confidence interval containing the true effect, by
    method, and which miss it (with estimate, truth and bias); None without true values."""
    rows = [r for r in effect_rows(results, truths) if r.get("covered") is not None and not is_subgroup_cell(r["name"])]
    if not rows:
        return None
    covered = [r for r in rows if r["covered"]]
    sentences = [t("story_intro", language, covered=format_int(len(covered), language),
                   total=format_int(len(rows), language))]
    by_method: dict[str, list[bool]] = {}
    for r in rows:
        by_method.setdefault(str(r["method"]), []).append(bool(r["covered"]))
    sentences.append(t("story_by_method", language, items=_sep(language).join(
        t("story_method_item", language, method=method_label(m, language), covered=format_int(sum(v), language),
          total=format_int(len(v), language)) for m, v in by_method.items())))
    missed = [r for r in rows if not r["covered"]]
    if not missed:
        sentences.append(t("story_all_covered", language))
    else:
        sentences.append(t("story_missed", language, items=_sep(language).join(
            t("story_item", language, name=r["name"], estimate=format_number(r["estimate"], language, 3),
              truth=format_number(r["truth"], language, 3), bias=format_number(r["bias"], language, 3))
            for r in missed)))
        sentences.append(t("story_reading", language))
    return " ".join(sentences)


def summary_section(results: Mapping[str, object], language: str, truths: Mapping[str, float | None] | None = None,
                    *, skip_subgroups: bool = False) -> str:
    """The summary section: an introduction, one paragraph per headline estimate and, on synthetic data, a closing
    paragraph on which designs recover the true effect."""
    paragraphs = summary_paragraphs(results, language, skip_subgroups=skip_subgroups)
    parts = [f"<section class='summary' id='summary'>\n<h2>{esc(t('summary', language))}</h2>",
             f"<p class='caption'>{esc(t('summary_intro', language))}</p>"]
    story = story_paragraph(results, truths, language)
    if story:
        parts.append(f"<div class='story'><h3>{esc(t('story_title', language))}</h3>\n<p>{esc(story)}</p></div>")
    if not paragraphs:
        parts.append(f"<p>{esc(t('effects_empty', language))}</p>")
    for name, text in paragraphs:
        parts.append(f"<p><strong>{esc(name)}</strong> \u2014 {esc(text)}</p>")
    if skip_subgroups and any(is_subgroup_cell(r["name"]) for r in effect_rows(results)):
        parts.append(f"<p class='caption'>{esc(t('summary_subgroups_elsewhere', language))}</p>")
    parts.append("</section>")
    return "\n".join(parts)
