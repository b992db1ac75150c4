"""Building blocks of the HTML report: the table builder and the cells and labels it shows.

:class:`Table` escapes every cell and right-aligns numeric columns; :func:`frame_html` renders a
result summary's DataFrame with numbers formatted for the reader (:mod:`._i18n`), and
:func:`translate_label` translates the few labels result summaries use. Everything here is pure
text formatting: no number is computed.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from ..results import jsonable
from ._effects_table import finite_float
from ._i18n import NNBSP, format_int, format_number, format_short, format_value, t
from ._labels import cell_text, column_label

__all__ = ["DIGITS", "LONG_TABLE_ROWS", "Table", "collapsed", "count", "esc", "frame_html", "json_block", "records_table", "text_or_na",
           "translate_label", "unique"]

#: decimals of the numbers shown in the report's tables
DIGITS = 4


def esc(value: object) -> str:
    """``value`` as HTML text (quotes escaped too)."""
    return html.escape(str(value), quote=True)


def text_or_na(value: object, language: str) -> str:
    """``value`` as text, or "n.d."/"n/a" when it is None."""
    return t("na", language) if value is None else str(value)


def count(value: object) -> int | None:
    """A count from a (possibly float) cell: the nearest int, or None when missing."""
    f = finite_float(value)
    return int(round(f)) if f is not None else None


def unique(values: Sequence[object]) -> list[str]:
    """The distinct non-None values as text, in first-seen order."""
    seen: dict[str, None] = {}
    for v in values:
        if v is not None:
            seen.setdefault(str(v), None)
    return list(seen)


class Table:
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

        head = "".join(f"<th{cls(j)} scope='col'>{esc(h)}</th>" for j, h in enumerate(self.headers))
        body = "".join(
            "<tr>" + "".join(f"<td{cls(j)}>{esc(c)}</td>" for j, c in enumerate(row)) + "</tr>\n" for row in self.rows
        )
        css = f" class='{esc(self.css_class)}'" if self.css_class else ""
        return f"<div class='table-wrap'><table{css}>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}</tbody></table></div>"


def translate_label(label: object, language: str) -> str:
    """A column, index or caption label of a result table as shown (:func:`._labels.column_label`)."""
    return column_label(label, language)


#: column names whose whole numbers are counts (zeros shown as "0", not "0,0000")
_COUNT_COLUMN = re.compile(r"^(n|n_\w+|\w+_n|\w*count\w*|(sample_)?(numerator|denominator)|rows\w*|\w*_units|units|"
                           r"observations|treated|control|total|parts_sum|gap|\w+_(in|out|excluded))$")
#: columns of p-values and probabilities: always shown with their decimals (a p-value of 1 is "1,0000")
_PROBABILITY_COLUMN = re.compile(r"^(p|p_\w+|\w*p_value\w*)$")
#: tables longer than this are collapsed (<details>) with a link to their CSV
LONG_TABLE_ROWS = 25


def _index_cell(value: object, language: str) -> str:
    if isinstance(value, tuple):
        return "(" + ", ".join(_index_cell(v, language) for v in value) + ")"
    if isinstance(value, (bool, np.bool_)):
        return format_value(bool(value), language)
    if isinstance(value, (int, np.integer)):
        return str(int(value))  # periods, cohorts and event times: never grouped
    if isinstance(value, (float, np.floating)) and np.isfinite(value):
        return format_short(float(value), language)
    return cell_text(value, language)


def _column_formatter(frame: pd.DataFrame, column: object, digits: int, language: str) -> Callable[[object], str]:
    s = frame[column]
    name = str(column).partition(" (")[0]
    if pd.api.types.is_bool_dtype(s):
        return lambda v: format_value(v, language)
    if pd.api.types.is_integer_dtype(s):
        if name in ("group", "time", "event_time", "cohort", "period"):
            return lambda v: text_or_na(v, language)
        return lambda v: format_int(v, language)
    if pd.api.types.is_float_dtype(s):
        values = s.dropna().to_numpy()
        whole = bool(np.all(np.mod(values[np.isfinite(values)], 1.0) == 0))
        if name in ("group", "time", "event_time", "cohort", "period") and whole:
            return lambda v: format_int(v, language).replace(NNBSP, "") if np.isfinite(v) else t("na", language)
        if _PROBABILITY_COLUMN.match(name):
            return lambda v: format_number(v, language, digits)
        if whole or _COUNT_COLUMN.match(name):
            return lambda v: (format_int(int(v), language) if np.isfinite(v) and float(v).is_integer()
                              else format_number(v, language, digits))
        return lambda v: format_value(v, language, digits)
    return lambda v: cell_text(v, language) if isinstance(v, str) else format_value(v, language, digits)


def frame_html(frame: pd.DataFrame, digits: int, language: str, csv: str | None = None) -> str:
    """A result table: translated headers, numbers in the language's format, counts as integers.

    Tables longer than :data:`LONG_TABLE_ROWS` rows are collapsed; ``csv`` (a path relative to the
    report) is then linked as the full table.
    """
    frame = frame.copy()
    if isinstance(frame.columns, pd.MultiIndex):
        frame.columns = [" / ".join(map(str, c)) for c in frame.columns]
    # a named index (event_time, group ...) is data even when its values are 0, 1, 2 ... (pandas 3 then
    # keeps a RangeIndex after set_index); only an unnamed RangeIndex is mere row numbering
    show_index = not isinstance(frame.index, pd.RangeIndex) or frame.index.name is not None
    names = [n for n in frame.index.names if n is not None] if show_index else []
    headers = ([", ".join(translate_label(n, language) for n in names)] if show_index else [])
    headers += [translate_label(c, language) for c in frame.columns]
    numeric = ([False] if show_index else []) + [
        bool(pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])) for c in frame.columns
    ]
    formatters = [_column_formatter(frame, c, digits, language) for c in frame.columns]
    table = Table(headers, numeric)
    for idx, row in zip(frame.index, frame.itertuples(index=False), strict=True):
        cells = [_index_cell(idx, language)] if show_index else []
        cells += [fmt(v) for v, fmt in zip(row, formatters, strict=True)]
        table.add(cells)
    if len(frame) <= LONG_TABLE_ROWS:
        return table.html()
    return collapsed(table.html(), len(frame), language, csv)


def collapsed(html_table: str, n_rows: int, language: str, csv: str | None) -> str:
    """A long table folded in a <details> element, with a link to its CSV file."""
    link = (f"<p class='caption'>{esc(t('full_table_csv', language))} <a href='{esc(csv)}'>{esc(csv)}</a></p>"
            if csv else "")
    summary = esc(t("show_table", language, n=format_int(n_rows, language)))
    return f"<details class='long-table'><summary>{summary}</summary>\n{html_table}\n</details>{link}"


def json_block(value: object) -> str:
    text = json.dumps(jsonable(value), indent=2, ensure_ascii=False, sort_keys=False, default=str)
    return f"<pre>{esc(text)}</pre>"


def records_table(records: Sequence[object], language: str) -> str:
    """A table of a list of dicts (columns = union of keys, first-seen order); nested values as JSON."""
    dicts = [r if isinstance(r, Mapping) else {"value": r} for r in records]
    columns = unique([k for d in dicts for k in d])
    table = Table([column_label(c, language) for c in columns], [False] * len(columns))
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
