"""The sections of the HTML report that show results: effects, sample flow, details, figures, provenance.

Each ``*_section`` function returns the HTML of one section (its ``<h2>`` anchor included) from the
result objects, the sample-flow table, the figure files or the manifest; the page around them is
:func:`~iej_impact.report._html.build_report`. The effects table's rows come from
:func:`~iej_impact.report._effects_table.effect_rows`, the same rows as ``tables/effects.csv``.
"""

from __future__ import annotations

import base64
import inspect
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from .._file_names import file_stem
from ._effects_table import effect_rows
from ._html_blocks import (
    DIGITS,
    Table,
    count,
    esc,
    frame_html,
    json_block,
    records_table,
    text_or_na,
    translate_label,
)
from ._i18n import (
    MESSAGES,
    estimand_label,
    format_bool,
    format_int,
    format_interval,
    format_number,
    format_percent,
    format_pvalue,
    method_label,
    t,
)
from ._i18n_notes import translate_note
from ._labels import cell_text, label
from ._methods_appendix import method_links

__all__ = ["FLOW_COLUMNS", "details_section", "effects_section", "figures_section", "flow_section",
           "inference_label", "reproducibility_section"]

FLOW_COLUMNS = ("step", "rows_in", "rows_out", "treated_out", "control_out", "reason")

#: manifest keys shown in their own subsection, and top-level keys never shown (they change between identical runs)
_MANIFEST_SHOWN = ("seed", "inputs", "package_versions", "config")
_MANIFEST_HIDDEN = ("row_accounting",)  # the sample flow section shows it
_VOLATILE = re.compile(r"timing|timestamp|elapsed|duration|started|finished|created|clock|date|hostname|pid", re.I)


def inference_label(name: object, by: object, language: str) -> str:
    if name is None:
        return t("na", language)
    key = f"inference_{name}"
    try:
        label = t(key, language)
    except KeyError:
        label = str(name)
    if by:
        label += " (" + (", ".join(map(str, by)) if isinstance(by, (list, tuple)) else str(by)) + ")"
    return label


def effects_section(results: Mapping[str, object], truths: Mapping[str, float | None] | None, language: str) -> str:
    rows = effect_rows(results, truths)
    parts = [f"<h2 id='effects'>{esc(t('effects', language))}</h2>"]
    if not rows:
        parts.append(f"<p>{esc(t('effects_empty', language))}</p>")
    else:
        levels = sorted({r["ci_level"] for r in rows})
        one_level = len(levels) == 1
        ci_header = t("ci", language, level=format_percent(levels[0], language)) if one_level else t("ci_mixed", language)
        # the columns a reader compares (estimate, CI, and on synthetic data the truth) come first
        headers = [t(k, language) for k in ("name", "estimand", "outcome", "estimate", "std_error")] + [ci_header]
        numeric = [False] * 3 + [True] * 3
        with_truth = bool(truths)
        if with_truth:
            headers += [t(k, language) for k in ("true_value", "bias", "covered")]
            numeric += [True, True, False]
        headers += [t(k, language) for k in ("p_value", "method", "inference", "n_treated", "n_control")]
        numeric += [True, False, False, True, True]
        table = Table(headers, numeric, "effects")
        for r in rows:
            ci = format_interval(r["ci_lower"], r["ci_upper"], language, DIGITS)
            if not one_level:
                ci += f" ({format_percent(r['ci_level'], language)})"
            cells = [
                r["name"], text_or_na(r["estimand"], language),
                label(r["outcome"]) if r["outcome"] is not None else t("na", language),
                format_number(r["estimate"], language, DIGITS), format_number(r["std_error"], language, DIGITS), ci,
            ]
            tail = [
                format_pvalue(r["p_value"], language), method_label(r["method"], language),
                inference_label(r["inference"], r["inference_by"], language),
                format_int(r["n_treated"], language), format_int(r["n_control"], language),
            ]
            if with_truth:
                cells += [format_number(r["truth"], language, DIGITS), format_number(r["bias"], language, DIGITS),
                          format_bool(r["covered"], language)]
            table.add(cells + tail)
        parts.append(table.html())
        parts.append(f"<p class='caption'>{esc(t('effects_caption', language))}</p>")
        if with_truth:
            parts.append(f"<p class='caption'>{esc(t('truth_caption', language))}</p>")
    others = [name for name in results if name not in {r["name"] for r in rows}]
    if others:
        parts.append(f"<p class='caption'>{esc(t('not_in_effects', language, names=', '.join(others)))}</p>")
    return "\n".join(parts)


def flow_section(flow: pd.DataFrame, language: str) -> str:
    parts = [f"<h2 id='sample-flow'>{esc(t('sample_flow', language))}</h2>"]
    if len(flow) == 0:
        parts.append(f"<p>{esc(t('flow_empty', language))}</p>")
        return "\n".join(parts)
    keys = ["step", "rows_in", "rows_out", "rows_excluded", "treated_out", "control_out", "treated_excluded",
            "control_excluded", "reason"]
    table = Table([t(k, language) for k in keys], [False] + [True] * 7 + [False], "flow")
    prev_t: int | None = None
    prev_c: int | None = None
    for i, row in enumerate(flow.loc[:, list(FLOW_COLUMNS)].itertuples(index=False)):
        rows_in, rows_out = count(row.rows_in), count(row.rows_out)
        n_t, n_c = count(row.treated_out), count(row.control_out)
        excluded = rows_in - rows_out if rows_in is not None and rows_out is not None else None
        if i == 0:
            # arms before the first step are unknown; they are only implied when nothing was dropped
            ex_t = 0 if excluded == 0 and n_t is not None else None
            ex_c = 0 if excluded == 0 and n_c is not None else None
        else:
            ex_t = prev_t - n_t if prev_t is not None and n_t is not None else None
            ex_c = prev_c - n_c if prev_c is not None and n_c is not None else None
        prev_t, prev_c = n_t, n_c
        table.add([
            cell_text(row.step, language) if row.step is not None else t("na", language),
            format_int(rows_in, language), format_int(rows_out, language),
            format_int(excluded, language), format_int(n_t, language), format_int(n_c, language),
            format_int(ex_t, language), format_int(ex_c, language),
            "" if row.reason is None or (isinstance(row.reason, float) and math.isnan(row.reason))
            else cell_text(row.reason, language),
        ])
    parts.append(table.html())
    parts.append(f"<p class='caption'>{esc(t('flow_caption', language))}</p>")
    return "\n".join(parts)


def preparation_section(flow: pd.DataFrame | None, language: str) -> str:
    """The preparation flow (one row per step and table), when the run prepared raw sources."""
    if flow is None or len(flow) == 0:
        return ""
    keys = ["step", "prep_table", "rows_in", "rows_out", "treated_out", "control_out", "reason", "prep_examples"]
    table = Table([t(k, language) for k in keys], [False, False, True, True, True, True, False, False], "preparation")
    for row in flow.itertuples(index=False):
        table.add([
            text_or_na(row.step, language), str(row.table), format_int(count(row.rows_in), language),
            format_int(count(row.rows_out), language), format_int(count(row.treated_out), language),
            format_int(count(row.control_out), language), str(row.reason or ""), str(row.examples or ""),
        ])
    return "\n".join([f"<h2 id='preparation'>{esc(t('preparation', language))}</h2>", table.html(),
                      f"<p class='caption'>{esc(t('prep_caption', language))}</p>"])


def _result_title(res: object, summary: object, language: str) -> str:
    """'Appariement sur le score de propension : ATT sur « En emploi à 12 mois »', built from the result's fields."""
    method, outcome = getattr(res, "method", None), getattr(res, "outcome", None)
    if isinstance(method, str) and isinstance(outcome, str) and getattr(res, "estimand", None) is not None:
        kind = getattr(res, "kind", None)
        text = t("result_title", language, method=method_label(method, language),
                 estimand=estimand_label(getattr(res, "estimand", None), language, short=True), outcome=label(outcome))
        if isinstance(kind, str) and f"aggregation_{kind}" in MESSAGES:
            text += f" ({t(f'aggregation_{kind}', language)})"
        return text
    key = f"title_{type(res).__name__}"
    return t(key, language) if key in MESSAGES else str(getattr(summary, "title", ""))


def _notes_html(notes: Sequence[str], language: str) -> str:
    if not notes:
        return ""
    translated = [translate_note(n, language) for n in notes]
    items = "".join(f"<li>{esc(n)}</li>" for n in translated if n is not None)
    original = [n for n, tr in zip(notes, translated, strict=True) if tr is None]
    out = f"<ul class='notes'>{items}</ul>" if items else ""
    if original:
        out += (f"<details class='original-notes'><summary>{esc(t('original_notes', language))}</summary>"
                "<ul class='notes' lang='en'>" + "".join(f"<li>{esc(n)}</li>" for n in original) + "</ul></details>")
    return out


def _summary_html(res: object, language: str, csv: str | None = None) -> str:
    summary = None
    if hasattr(res, "summary"):
        takes_language = "language" in inspect.signature(res.summary).parameters
        summary = res.summary(language=language) if takes_language else res.summary()
    tables = getattr(summary, "tables", None)
    if summary is not None and isinstance(tables, (list, tuple)):
        digits = int(getattr(summary, "digits", DIGITS))
        parts = [f"<h3 class='summary-title'>{esc(_result_title(res, summary, language))}</h3>"]
        for caption, frame in tables:
            if caption:
                parts.append(f"<p class='caption'>{esc(translate_label(caption, language))}</p>")
            if isinstance(frame, pd.DataFrame):
                parts.append(frame_html(frame, digits, language, csv))
        parts.append(_notes_html(list(getattr(summary, "notes", ())), language))
        return "\n".join(p for p in parts if p)
    if hasattr(res, "to_frame"):
        frame = res.to_frame()
        if isinstance(frame, pd.DataFrame):
            return frame_html(frame, DIGITS, language, csv)
    return f"<pre>{esc(summary)}</pre>"


def details_section(results: Mapping[str, object], language: str) -> str:
    parts = [f"<h2 id='details'>{esc(t('details', language))}</h2>"]
    if not results:
        parts.append(f"<p>{esc(t('details_empty', language))}</p>")
    for i, (name, res) in enumerate(results.items(), start=1):
        parts.append(f"<section class='result-detail' id='result-{i}'>\n<h3>{esc(name)}</h3>\n"
                     f"{method_links(res, language)}{_summary_html(res, language, f'tables/{file_stem(name)}.csv')}\n</section>")
    return "\n".join(parts)


#: plot kinds of single results, whose figures are keyed "<result name>_<kind>" by a run
_PLOT_KINDS = ("event_study", "group_time", "overlap", "love", "contour", "")


def _figure_caption(key: str, language: str) -> str:
    if f"figure_{key}" in MESSAGES:
        return t(f"figure_{key}", language)
    for kind in _PLOT_KINDS:
        if kind and key.endswith("_" + kind) and f"figure_kind_{kind}" in MESSAGES:
            return t(f"figure_kind_{kind}", language, name=key[: -len(kind) - 1])
    return key


def figures_section(figures: Mapping[str, str | Path] | None, language: str) -> str:
    parts = [f"<h2 id='figures'>{esc(t('figures', language))}</h2>"]
    if not figures:
        parts.append(f"<p>{esc(t('figures_empty', language))}</p>")
        return "\n".join(parts)
    for key, fig_path in figures.items():
        caption = _figure_caption(str(key), language)
        data = base64.b64encode(Path(fig_path).read_bytes()).decode("ascii")
        parts.append(f"<figure id='figure-{esc(_slug(str(key)))}'><img alt='{esc(caption)}' "
                     f"src='data:image/png;base64,{data}'>\n<figcaption>{esc(caption)}</figcaption></figure>")
    return "\n".join(parts)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-") or "figure"


def reproducibility_section(manifest: Mapping[str, object] | None, language: str) -> str:
    parts = [f"<h2 id='reproducibility'>{esc(t('reproducibility', language))}</h2>"]
    if manifest is None:
        parts.append(f"<p>{esc(t('no_manifest', language))}</p>")
    else:
        if manifest.get("seed") is not None:
            parts.append(f"<p><strong>{esc(t('seed', language))}</strong> : <code>{esc(manifest['seed'])}</code></p>"
                         if language == "fr" else
                         f"<p><strong>{esc(t('seed', language))}</strong>: <code>{esc(manifest['seed'])}</code></p>")
        inputs = manifest.get("inputs")
        if inputs:
            parts.append(f"<h3>{esc(t('inputs', language))}</h3>")
            records = inputs if isinstance(inputs, Sequence) and not isinstance(inputs, str) else [inputs]
            parts.append(records_table(records, language))
        versions = manifest.get("package_versions")
        if isinstance(versions, Mapping) and versions:
            parts.append(f"<h3>{esc(t('package_versions', language))}</h3>")
            table = Table([t("package", language), t("version", language)], [False, False])
            for pkg, ver in versions.items():
                table.add([str(pkg), text_or_na(ver, language)])
            parts.append(table.html())
        if manifest.get("config") is not None:
            parts.append(f"<h3>{esc(t('config', language))}</h3>")
            parts.append(json_block(manifest["config"]))
        other = {
            str(k): v for k, v in manifest.items()
            if k not in _MANIFEST_SHOWN and k not in _MANIFEST_HIDDEN and not _VOLATILE.search(str(k))
        }
        if other:
            parts.append(f"<h3>{esc(t('other_manifest', language))}</h3>")
            parts.append(json_block(other))
    parts.append(f"<p class='caption'>{esc(t('determinism', language))}</p>")
    return "\n".join(parts)
