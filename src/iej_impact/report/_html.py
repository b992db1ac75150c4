"""The self-contained HTML report of a run.

``build_report`` reads result objects (it never refits anything) and writes one HTML file with
inline CSS and figures embedded as base64 PNG: it opens offline, prints cleanly, and can be sent
by e-mail or archived as a single file. The file is deterministic: it holds no date, clock or
timing, and every table is rendered in a fixed order, so the same results give the same bytes
(a report can be diffed and snapshot-tested). Labels are French by default (``language="en"`` for
English); numbers are formatted for the reader (decimal comma in French) in the display only.
"""

from __future__ import annotations

import base64
import html
import inspect
import json
import math
import numbers
import os
import re
import secrets
from collections.abc import Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..errors import SpecificationError
from ..results import jsonable
from ._i18n import (
    check_language,
    format_bool,
    format_int,
    format_interval,
    format_number,
    format_percent,
    format_pvalue,
    format_value,
    t,
)

__all__ = ["build_report"]

FLOW_COLUMNS = ("step", "rows_in", "rows_out", "treated_out", "control_out", "reason")

#: manifest keys shown in their own subsection, and top-level keys never shown (they change between identical runs)
_MANIFEST_SHOWN = ("seed", "inputs", "package_versions", "config")
_MANIFEST_HIDDEN = ("row_accounting",)  # the sample flow section shows it
_VOLATILE = re.compile(r"timing|timestamp|elapsed|duration|started|finished|created|clock|date|hostname|pid", re.I)

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_DIGITS = 4

CSS = """
:root { --ink: #1b1b1b; --muted: #5a5a5a; --rule: #c9c9c9; --band: #f3f5f7; --accent: #0b4f8a; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 90rem; margin: 0 auto; padding: 1.5rem 1.5rem 3rem; }
h1 { font-size: 1.7rem; margin: 0 0 1rem; color: var(--accent); }
h2 { font-size: 1.25rem; margin: 2.2rem 0 0.6rem; padding-bottom: 0.2rem; border-bottom: 2px solid var(--accent); }
h3 { font-size: 1.05rem; margin: 1.4rem 0 0.4rem; }
.result-detail h3 + h3, .result-detail h3.summary-title { font-size: 0.95rem; color: var(--muted); margin-top: 0.2rem; }
nav ol { columns: 2; margin: 0 0 1rem; padding-left: 1.2rem; }
nav a, a { color: var(--accent); }
dl.design { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1.2rem; margin: 0; }
dl.design dt { font-weight: 600; }
dl.design dd { margin: 0; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; margin: 0.4rem 0 0.8rem; font-size: 0.88rem; font-variant-numeric: tabular-nums; }
th, td { padding: 0.25rem 0.6rem; border-bottom: 1px solid var(--rule); text-align: left; vertical-align: top; }
thead th { border-bottom: 2px solid var(--ink); background: var(--band); }
td.num, th.num { text-align: right; white-space: nowrap; }
tbody tr:nth-child(even) { background: #fafbfc; }
p.caption { margin: 0.2rem 0; color: var(--muted); font-size: 0.85rem; }
figure { margin: 1rem 0 1.6rem; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--rule); }
figcaption { color: var(--muted); font-size: 0.85rem; margin-top: 0.3rem; }
pre { background: var(--band); padding: 0.6rem 0.8rem; overflow-x: auto; font-size: 0.8rem; line-height: 1.35; }
code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace; }
ul.notes li { margin: 0.2rem 0; }
footer { margin-top: 2.5rem; color: var(--muted); font-size: 0.8rem; }
@media print {
  body { font-size: 10.5pt; }
  main { max-width: none; padding: 0; }
  nav { display: none; }
  h2 { break-after: avoid; }
  table, figure, pre, .result-detail { break-inside: avoid; }
  .table-wrap { overflow: visible; }
  a { color: inherit; text-decoration: none; }
}
""".strip()


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def write_bytes_atomic(path: Path, payload: bytes) -> None:
    """Write to a temporary file in the same directory (usual permissions), fsync, then os.replace."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


# ----------------------------------------------------------------------------------------- tables


class _Table:
    """A small HTML table builder: header labels, text cells (escaped here), numeric columns right-aligned."""

    def __init__(self, headers: Sequence[str], numeric: Sequence[bool], css_class: str = "") -> None:
        self.headers = list(headers)
        self.numeric = list(numeric)
        self.css_class = css_class
        self.rows: list[list[str]] = []

    def add(self, cells: Sequence[str]) -> None:
        self.rows.append([str(c) for c in cells])

    def html(self) -> str:
        def cls(j: int) -> str:
            return " class='num'" if self.numeric[j] else ""

        head = "".join(f"<th{cls(j)} scope='col'>{_esc(h)}</th>" for j, h in enumerate(self.headers))
        body = "".join(
            "<tr>" + "".join(f"<td{cls(j)}>{_esc(c)}</td>" for j, c in enumerate(row)) + "</tr>\n" for row in self.rows
        )
        css = f" class='{_esc(self.css_class)}'" if self.css_class else ""
        return f"<div class='table-wrap'><table{css}>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}</tbody></table></div>"


# ----------------------------------------------------------------------------------------- inputs


def _check_inputs(
    title: object,
    results: object,
    sample_flow: object,
    truths: object,
    manifest: object,
    figures: object,
    notes: object,
) -> None:
    func = "build_report"
    if not isinstance(title, str):
        raise SpecificationError(f"the 'title' parameter of {func}() must be a string; got {type(title).__name__}.")
    if not isinstance(results, Mapping):
        raise SpecificationError(f"the 'results' parameter of {func}() must be a mapping name -> result object; "
                                 f"got {type(results).__name__}.")
    for name, res in results.items():
        if not (hasattr(res, "summary") or hasattr(res, "to_frame")):
            raise SpecificationError(
                f"results[{name!r}] passed to {func}() is a {type(res).__name__}, which has neither summary() nor "
                "to_frame(); pass the result objects returned by iej_impact's estimators."
            )
    if not isinstance(sample_flow, pd.DataFrame):
        raise SpecificationError(f"the 'sample_flow' parameter of {func}() must be the sample-flow DataFrame "
                                 f"(Sample.flow.table); got {type(sample_flow).__name__}.")
    missing = [c for c in FLOW_COLUMNS if c not in sample_flow.columns]
    if missing:
        raise SpecificationError(
            f"the 'sample_flow' table passed to {func}() lacks column(s) {missing}; it needs {list(FLOW_COLUMNS)} "
            f"(it has {list(map(str, sample_flow.columns))}). Pass Sample.flow.table from define_sample()."
        )
    if truths is not None:
        if not isinstance(truths, Mapping):
            raise SpecificationError(f"the 'truths' parameter of {func}() must be a mapping name -> true effect "
                                     f"(or None); got {type(truths).__name__}.")
        unknown = [k for k in truths if k not in results]
        if unknown:
            raise SpecificationError(
                f"the 'truths' parameter of {func}() names result(s) {unknown} that are not in 'results' "
                f"(results are: {list(results)}). Use the same names as in 'results'."
            )
        for k, v in truths.items():
            if v is not None and (isinstance(v, bool) or not isinstance(v, numbers.Real)):
                raise SpecificationError(f"truths[{k!r}] passed to {func}() must be a number or None; got {v!r}.")
    if manifest is not None and not isinstance(manifest, Mapping):
        raise SpecificationError(f"the 'manifest' parameter of {func}() must be a mapping (or None); "
                                 f"got {type(manifest).__name__}.")
    if figures is not None:
        if not isinstance(figures, Mapping):
            raise SpecificationError(f"the 'figures' parameter of {func}() must be a mapping caption -> PNG path; "
                                     f"got {type(figures).__name__}.")
        for key, fig_path in figures.items():
            p = Path(fig_path)
            if not p.is_file():
                raise SpecificationError(f"figures[{key!r}] passed to {func}(): file not found: {p}.")
            with p.open("rb") as fh:
                if fh.read(8) != _PNG_MAGIC:
                    raise SpecificationError(f"figures[{key!r}] passed to {func}(): {p} is not a PNG image; the "
                                             "report embeds PNG only (save figures with save_figure()).")
    if isinstance(notes, str) or not isinstance(notes, Sequence) or not all(isinstance(n, str) for n in notes):
        raise SpecificationError(f"the 'notes' parameter of {func}() must be a sequence of strings; got {notes!r}.")


# ----------------------------------------------------------------------------------------- effects


def _result_dict(res: object) -> Mapping[str, Any]:
    to_dict = getattr(res, "to_dict", None)
    if callable(to_dict):
        d = to_dict()
        if isinstance(d, Mapping):
            return d
    return {}


def _field(res: object, d: Mapping[str, Any], key: str) -> Any:
    if key in d:
        return d[key]
    return getattr(res, key, None)


def _num(value: Any) -> float | None:
    """A finite float, or None."""
    if value is None or isinstance(value, bool):
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _effect_rows(results: Mapping[str, object]) -> list[dict[str, Any]]:
    """One row per result that carries an 'estimate' (in to_dict() or as an attribute)."""
    rows = []
    for name, res in results.items():
        d = _result_dict(res)
        if "estimate" not in d and not hasattr(res, "estimate"):
            continue
        ci = getattr(res, "ci", None)
        lower = _field(res, d, "ci_lower")
        upper = _field(res, d, "ci_upper")
        if lower is None and upper is None and isinstance(ci, tuple) and len(ci) == 2:
            lower, upper = ci
        level = d.get("ci_level")
        alpha = _num(getattr(res, "alpha", None))
        if level is None and alpha is not None:
            level = 1 - alpha
        inference = d.get("inference")
        if inference is None:
            obj = getattr(res, "inference", None)
            inference = getattr(obj, "name", obj)
        detail = d.get("inference_detail") if isinstance(d.get("inference_detail"), Mapping) else {}
        rows.append({
            "name": name,
            "method": _field(res, d, "method"),
            "estimand": _field(res, d, "estimand"),
            "outcome": _field(res, d, "outcome"),
            "estimate": _num(_field(res, d, "estimate")),
            "std_error": _num(_field(res, d, "std_error")),
            "ci_lower": _num(lower),
            "ci_upper": _num(upper),
            "ci_level": _num(level) if level is not None else 0.95,
            "p_value": _num(_field(res, d, "p_value")),
            "inference": inference,
            "inference_by": detail.get("by"),
            "n_treated": _field(res, d, "n_treated"),
            "n_control": _field(res, d, "n_control"),
        })
    return rows


def _inference_label(name: object, by: object, language: str) -> str:
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


def _text(value: object, language: str) -> str:
    return t("na", language) if value is None else str(value)


def _effects_section(results: Mapping[str, object], truths: Mapping[str, float | None] | None, language: str) -> str:
    rows = _effect_rows(results)
    parts = [f"<h2 id='effects'>{_esc(t('effects', language))}</h2>"]
    if not rows:
        parts.append(f"<p>{_esc(t('effects_empty', language))}</p>")
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
        table = _Table(headers, numeric, "effects")
        for r in rows:
            ci = format_interval(r["ci_lower"], r["ci_upper"], language, _DIGITS)
            if not one_level:
                ci += f" ({format_percent(r['ci_level'], language)})"
            cells = [
                r["name"], _text(r["estimand"], language), _text(r["outcome"], language),
                format_number(r["estimate"], language, _DIGITS), format_number(r["std_error"], language, _DIGITS), ci,
            ]
            tail = [
                format_pvalue(r["p_value"], language), _text(r["method"], language),
                _inference_label(r["inference"], r["inference_by"], language),
                format_int(r["n_treated"], language), format_int(r["n_control"], language),
            ]
            if with_truth:
                truth = _num(truths.get(r["name"])) if truths else None
                bias = r["estimate"] - truth if truth is not None and r["estimate"] is not None else None
                covered = (
                    r["ci_lower"] <= truth <= r["ci_upper"]
                    if truth is not None and r["ci_lower"] is not None and r["ci_upper"] is not None
                    else None
                )
                cells += [format_number(truth, language, _DIGITS), format_number(bias, language, _DIGITS),
                          format_bool(covered, language)]
            table.add(cells + tail)
        parts.append(table.html())
        parts.append(f"<p class='caption'>{_esc(t('effects_caption', language))}</p>")
        if with_truth:
            parts.append(f"<p class='caption'>{_esc(t('truth_caption', language))}</p>")
    others = [name for name in results if name not in {r["name"] for r in rows}]
    if others:
        parts.append(f"<p class='caption'>{_esc(t('not_in_effects', language, names=', '.join(others)))}</p>")
    return "\n".join(parts)


# ----------------------------------------------------------------------------------------- sample flow


def _count(value: object) -> int | None:
    f = _num(value)
    return int(round(f)) if f is not None else None


def _flow_section(flow: pd.DataFrame, language: str) -> str:
    parts = [f"<h2 id='sample-flow'>{_esc(t('sample_flow', language))}</h2>"]
    if len(flow) == 0:
        parts.append(f"<p>{_esc(t('flow_empty', language))}</p>")
        return "\n".join(parts)
    keys = ["step", "rows_in", "rows_out", "rows_excluded", "treated_out", "control_out", "treated_excluded",
            "control_excluded", "reason"]
    table = _Table([t(k, language) for k in keys], [False] + [True] * 7 + [False], "flow")
    prev_t: int | None = None
    prev_c: int | None = None
    for i, row in enumerate(flow.loc[:, list(FLOW_COLUMNS)].itertuples(index=False)):
        rows_in, rows_out = _count(row.rows_in), _count(row.rows_out)
        n_t, n_c = _count(row.treated_out), _count(row.control_out)
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
            _text(row.step, language), format_int(rows_in, language), format_int(rows_out, language),
            format_int(excluded, language), format_int(n_t, language), format_int(n_c, language),
            format_int(ex_t, language), format_int(ex_c, language),
            "" if row.reason is None or (isinstance(row.reason, float) and math.isnan(row.reason)) else str(row.reason),
        ])
    parts.append(table.html())
    parts.append(f"<p class='caption'>{_esc(t('flow_caption', language))}</p>")
    return "\n".join(parts)


# ----------------------------------------------------------------------------------------- design


def _unique(values: Sequence[object]) -> list[str]:
    seen: dict[str, None] = {}
    for v in values:
        if v is not None:
            seen.setdefault(str(v), None)
    return list(seen)


def _design_section(results: Mapping[str, object], flow: pd.DataFrame, manifest: Mapping[str, object] | None,
                    language: str) -> str:
    rows = _effect_rows(results)
    none = t("none", language)
    items: list[tuple[str, str]] = [
        (t("n_analyses", language), format_int(len(results), language)),
        (t("n_effects", language), format_int(len(rows), language)),
        (t("methods", language), ", ".join(_unique([r["method"] for r in rows])) or none),
        (t("estimands", language), ", ".join(_unique([r["estimand"] for r in rows])) or none),
        (t("outcomes", language), ", ".join(_unique([r["outcome"] for r in rows])) or none),
        (t("inference_methods", language),
         ", ".join(_unique([_inference_label(r["inference"], r["inference_by"], language) for r in rows])) or none),
    ]
    if len(flow):
        first, last = flow.iloc[0], flow.iloc[-1]
        items.append((t("rows_read", language), format_int(_count(first["rows_in"]), language)))
        n_t, n_c = _count(last["treated_out"]), _count(last["control_out"])
        total = format_int(_count(last["rows_out"]), language)
        if n_t is not None and n_c is not None:
            text = t("arm_counts", language, total=total, treated=format_int(n_t, language), control=format_int(n_c, language))
        else:
            text = t("rows_only", language, total=total)
        items.append((t("analysis_sample", language), text))
    if manifest is not None and manifest.get("seed") is not None:
        items.append((t("seed", language), str(manifest["seed"])))
    body = "".join(f"<dt>{_esc(k)}</dt><dd>{_esc(v)}</dd>" for k, v in items)
    return f"<h2 id='design'>{_esc(t('design', language))}</h2>\n<dl class='design'>{body}</dl>"


# ----------------------------------------------------------------------------------------- details


def _translate_label(label: object, language: str) -> str:
    """Translate the few labels result summaries use ('estimate', 'ci_lower (95%)', 'Sample sizes'...)."""
    text = str(label)
    head, sep, tail = text.partition(" (")
    level = re.fullmatch(r"(\d+(?:\.\d+)?)%\)", tail)
    if level:
        tail = format_percent(float(level.group(1)) / 100, language) + ")"
    try:
        return t(f"summary_{head}", language) + (sep + tail if sep else "")
    except KeyError:
        return text


def _frame_html(frame: pd.DataFrame, digits: int, language: str) -> str:
    frame = frame.copy()
    if isinstance(frame.columns, pd.MultiIndex):
        frame.columns = [" / ".join(map(str, c)) for c in frame.columns]
    show_index = not isinstance(frame.index, pd.RangeIndex)
    headers = ([_translate_label(frame.index.name or "", language)] if show_index else [])
    headers += [_translate_label(c, language) for c in frame.columns]
    numeric = ([False] if show_index else []) + [
        bool(pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])) for c in frame.columns
    ]
    # float columns holding only whole numbers are counts stored as floats (a missing value makes a count
    # column float): show their zeros as "0", not "0.0000"
    count_cols = [
        bool(pd.api.types.is_float_dtype(frame[c]) and np.all(np.mod(frame[c].dropna().to_numpy(), 1.0) == 0))
        for c in frame.columns
    ]
    table = _Table(headers, numeric)
    for idx, row in zip(frame.index, frame.itertuples(index=False), strict=True):
        cells = [_translate_label(idx, language)] if show_index else []
        cells += [
            format_int(int(v), language) if is_count and np.isfinite(v) else format_value(v, language, digits)
            for v, is_count in zip(row, count_cols, strict=True)
        ]
        table.add(cells)
    return table.html()


def _summary_html(res: object, language: str) -> str:
    summary = None
    if hasattr(res, "summary"):
        takes_language = "language" in inspect.signature(res.summary).parameters
        summary = res.summary(language=language) if takes_language else res.summary()
    tables = getattr(summary, "tables", None)
    if summary is not None and isinstance(tables, (list, tuple)):
        digits = int(getattr(summary, "digits", _DIGITS))
        parts = [f"<h3 class='summary-title'>{_esc(getattr(summary, 'title', ''))}</h3>"]
        for caption, frame in tables:
            if caption:
                parts.append(f"<p class='caption'>{_esc(_translate_label(caption, language))}</p>")
            if isinstance(frame, pd.DataFrame):
                parts.append(_frame_html(frame, digits, language))
        notes = getattr(summary, "notes", ())
        if notes:
            parts.append("<ul class='notes'>" + "".join(f"<li>{_esc(n)}</li>" for n in notes) + "</ul>")
        return "\n".join(parts)
    if hasattr(res, "to_frame"):
        frame = res.to_frame()
        if isinstance(frame, pd.DataFrame):
            return _frame_html(frame, _DIGITS, language)
    return f"<pre>{_esc(summary)}</pre>"


def _details_section(results: Mapping[str, object], language: str) -> str:
    parts = [f"<h2 id='details'>{_esc(t('details', language))}</h2>"]
    if not results:
        parts.append(f"<p>{_esc(t('details_empty', language))}</p>")
    for i, (name, res) in enumerate(results.items(), start=1):
        parts.append(f"<section class='result-detail' id='result-{i}'>\n<h3>{_esc(name)}</h3>\n"
                     f"{_summary_html(res, language)}\n</section>")
    return "\n".join(parts)


# ----------------------------------------------------------------------------------------- figures


def _figure_caption(key: str, language: str) -> str:
    try:
        return t(f"figure_{key}", language)
    except KeyError:
        return key


def _figures_section(figures: Mapping[str, str | Path] | None, language: str) -> str:
    parts = [f"<h2 id='figures'>{_esc(t('figures', language))}</h2>"]
    if not figures:
        parts.append(f"<p>{_esc(t('figures_empty', language))}</p>")
        return "\n".join(parts)
    for key, fig_path in figures.items():
        caption = _figure_caption(str(key), language)
        data = base64.b64encode(Path(fig_path).read_bytes()).decode("ascii")
        parts.append(f"<figure id='figure-{_esc(_slug(str(key)))}'><img alt='{_esc(caption)}' "
                     f"src='data:image/png;base64,{data}'>\n<figcaption>{_esc(caption)}</figcaption></figure>")
    return "\n".join(parts)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-") or "figure"


# ----------------------------------------------------------------------------------------- reproducibility


def _json_block(value: object) -> str:
    text = json.dumps(jsonable(value), indent=2, ensure_ascii=False, sort_keys=False, default=str)
    return f"<pre>{_esc(text)}</pre>"


def _records_table(records: Sequence[object], language: str) -> str:
    """A table of a list of dicts (columns = union of keys, first-seen order); nested values as JSON."""
    dicts = [r if isinstance(r, Mapping) else {"value": r} for r in records]
    columns = _unique([k for d in dicts for k in d])
    table = _Table(columns, [False] * len(columns))
    for d in dicts:
        cells = []
        for c in columns:
            v = d.get(c)
            if isinstance(v, (Mapping, list, tuple)):
                cells.append(json.dumps(jsonable(v), ensure_ascii=False, sort_keys=True))
            else:
                cells.append(format_value(v, language) if not isinstance(v, str) else v)
        table.add(cells)
    return table.html()


def _reproducibility_section(manifest: Mapping[str, object] | None, language: str) -> str:
    parts = [f"<h2 id='reproducibility'>{_esc(t('reproducibility', language))}</h2>"]
    if manifest is None:
        parts.append(f"<p>{_esc(t('no_manifest', language))}</p>")
    else:
        if manifest.get("seed") is not None:
            parts.append(f"<p><strong>{_esc(t('seed', language))}</strong> : <code>{_esc(manifest['seed'])}</code></p>"
                         if language == "fr" else
                         f"<p><strong>{_esc(t('seed', language))}</strong>: <code>{_esc(manifest['seed'])}</code></p>")
        inputs = manifest.get("inputs")
        if inputs:
            parts.append(f"<h3>{_esc(t('inputs', language))}</h3>")
            records = inputs if isinstance(inputs, Sequence) and not isinstance(inputs, str) else [inputs]
            parts.append(_records_table(records, language))
        versions = manifest.get("package_versions")
        if isinstance(versions, Mapping) and versions:
            parts.append(f"<h3>{_esc(t('package_versions', language))}</h3>")
            table = _Table([t("package", language), t("version", language)], [False, False])
            for pkg, ver in versions.items():
                table.add([str(pkg), _text(ver, language)])
            parts.append(table.html())
        if manifest.get("config") is not None:
            parts.append(f"<h3>{_esc(t('config', language))}</h3>")
            parts.append(_json_block(manifest["config"]))
        other = {
            str(k): v for k, v in manifest.items()
            if k not in _MANIFEST_SHOWN and k not in _MANIFEST_HIDDEN and not _VOLATILE.search(str(k))
        }
        if other:
            parts.append(f"<h3>{_esc(t('other_manifest', language))}</h3>")
            parts.append(_json_block(other))
    parts.append(f"<p class='caption'>{_esc(t('determinism', language))}</p>")
    return "\n".join(parts)


def _notes_section(notes: Sequence[str], language: str) -> str:
    items = [t("note_rounding", language), *notes]
    body = "".join(f"<li>{_esc(n)}</li>" for n in items)
    return f"<h2 id='notes'>{_esc(t('notes', language))}</h2>\n<ul class='notes'>{body}</ul>"


def _package_version() -> str:
    try:
        return metadata.version("iej_impact")
    except metadata.PackageNotFoundError:
        return "(version inconnue)"


# ----------------------------------------------------------------------------------------- entry point


def build_report(
    path: str | Path,
    *,
    title: str,
    results: Mapping[str, object],
    sample_flow: pd.DataFrame,
    language: Literal["fr", "en"] = "fr",
    truths: Mapping[str, float | None] | None = None,
    manifest: Mapping[str, object] | None = None,
    figures: Mapping[str, str | Path] | None = None,
    notes: Sequence[str] = (),
) -> Path:
    """Write a self-contained, deterministic HTML report of a run and return its path.

    Parameters
    ----------
    path : the HTML file to write (missing parent directories are created). It is written to a
        temporary file in the same directory and moved into place with ``os.replace``, so readers
        never see half a report and a failure leaves no partial file.
    title : the report's title (escaped like all user text).
    results : mapping from analysis name to result object. Every result with a ``summary()`` gets a
        detail section; results that carry an ``estimate`` (in ``to_dict()`` or as an attribute)
        also get a row in the effect table (method, estimand, outcome, estimate, standard error,
        confidence interval, p-value, inference, treated/control counts).
    sample_flow : the row accounting of the run (columns step, rows_in, rows_out, treated_out,
        control_out, reason), shown with the rows excluded at each step, in all and per arm.
    language : "fr" (default) or "en": every heading and label, and the number format (French:
        decimal comma, narrow no-break space between thousands). Data are never reformatted.
    truths : on synthetic data, the true effect of each named result (None when unknown). When
        given, the effect table adds the true value, the bias (estimate − truth) and whether the
        confidence interval covers the truth.
    manifest : seed, input files with their sha256, package versions and resolved configuration,
        shown in the reproducibility section. Top-level keys that change between identical runs
        (timings, dates, host) are left out so the report stays byte-for-byte reproducible.
    figures : mapping from a key to a PNG file, embedded as base64 ``<img>``. The keys "effects" and
        "sample_flow" get translated captions; other keys are shown as they are.
    notes : extra caveats, listed in the last section.

    Returns
    -------
    Path of the written report.

    Notes
    -----
    The report computes nothing beyond display arithmetic (bias and coverage on synthetic data, and
    per-arm exclusions as differences of consecutive sample-flow rows); every number comes from the
    result objects, as in the reporting layers of pyfixest (``etable``) and R's ``did`` (``tidy``),
    which consume fitted results rather than refit.
    """
    language = check_language(language, "build_report")  # type: ignore[assignment]
    _check_inputs(title, results, sample_flow, truths, manifest, figures, notes)
    path = Path(path)
    lang = str(language)
    toc = [
        ("design", t("design", lang)), ("sample-flow", t("sample_flow", lang)), ("effects", t("effects", lang)),
        ("details", t("details", lang)), ("figures", t("figures", lang)),
        ("reproducibility", t("reproducibility", lang)), ("notes", t("notes", lang)),
    ]
    nav = "".join(f"<li><a href='#{anchor}'>{_esc(label)}</a></li>" for anchor, label in toc)
    body = [
        f"<h1>{_esc(title)}</h1>",
        f"<nav aria-label='{_esc(t('contents', lang))}'><ol>{nav}</ol></nav>",
        _design_section(results, sample_flow, manifest, lang),
        _flow_section(sample_flow, lang),
        _effects_section(results, truths, lang),
        _details_section(results, lang),
        _figures_section(figures, lang),
        _reproducibility_section(manifest, lang),
        _notes_section(notes, lang),
        f"<footer>{_esc(t('produced_by', lang, version=_package_version()))}</footer>",
    ]
    document = (
        "<!DOCTYPE html>\n"
        f"<html lang='{lang}'>\n<head>\n<meta charset='utf-8'>\n"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>\n"
        f"<title>{_esc(title)}</title>\n<style>\n{CSS}\n</style>\n</head>\n<body>\n<main>\n"
        + "\n".join(body)
        + "\n</main>\n</body>\n</html>\n"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(path, document.encode("utf-8"))
    return path
