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

__all__ = ["summary_section", "summary_paragraphs"]

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


def summary_paragraphs(results: Mapping[str, object], language: str) -> list[tuple[str, str]]:
    """(name, paragraph) for every result with a point estimate, in the order of ``results``; placebo
    re-estimates (``<name>.placebo_entry``, ``<name>.placebo_group``) are not effects of the programme: the
    placebo section shows them."""
    out = []
    effects = {k: v for k, v in results.items() if not set(k.split(".")) & set(PLACEBO_KINDS)}
    for row in effect_rows(effects):
        res = results[row["name"]]
        method = row["method"]
        estimand = estimand_label(row["estimand"], language)
        outcome = label(row["outcome"]) if row["outcome"] is not None else t("na", language)
        value = format_number(row["estimate"], language, 4)
        ci = format_interval(row["ci_lower"], row["ci_upper"], language, 4)
        sentences = [t("sum_what", language, estimand=estimand, outcome=outcome, method=method_label(method, language),
                       value=value, level=format_percent(row["ci_level"], language), ci=ci)]
        diagnostics = getattr(res, "diagnostics", None) or {}
        if diagnostics.get("binary_outcome") and row["estimate"] is not None:
            sentences.append(t("sum_points", language, points=format_number(100 * row["estimate"], language, 1)))
        if row["n_treated"] is not None and row["n_control"] is not None:
            sentences.append(t("sum_who", language, treated=format_int(row["n_treated"], language),
                               control=format_int(row["n_control"], language)))
        family = _FAMILY.get(str(method))
        if family is not None and f"assume_{family}" in MESSAGES:
            sentences.append(t(f"assume_{family}", language))
        checks = [s for s in (_balance_sentence(res, language), _overlap_sentence(res, language),
                              _pretrend_sentence(res, language, results.get(row["name"].rpartition(".")[0])))
                  if s]
        sentences += checks or ([t("sum_no_diagnostics", language)] if family != "naive" else [])
        text = " ".join(sentences)
        out.append((row["name"], text[:1].upper() + text[1:]))
    return out


def summary_section(results: Mapping[str, object], language: str) -> str:
    """The summary section: an introduction and one paragraph per headline estimate."""
    paragraphs = summary_paragraphs(results, language)
    parts = [f"<section class='summary' id='summary'>\n<h2>{esc(t('summary', language))}</h2>",
             f"<p class='caption'>{esc(t('summary_intro', language))}</p>"]
    if not paragraphs:
        parts.append(f"<p>{esc(t('effects_empty', language))}</p>")
    for name, text in paragraphs:
        parts.append(f"<p><strong>{esc(name)}</strong> \u2014 {esc(text)}</p>")
    parts.append("</section>")
    return "\n".join(parts)
