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
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..results import jsonable
from ._effects_table import finite_float
from ._i18n import format_int, format_percent, format_value, t

__all__ = ["DIGITS", "Table", "count", "esc", "frame_html", "json_block", "records_table", "text_or_na",
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


def frame_html(frame: pd.DataFrame, digits: int, language: str) -> str:
    frame = frame.copy()
    if isinstance(frame.columns, pd.MultiIndex):
        frame.columns = [" / ".join(map(str, c)) for c in frame.columns]
    # a named index (event_time, group ...) is data even when its values are 0, 1, 2 ... (pandas 3 then
    # keeps a RangeIndex after set_index); only an unnamed RangeIndex is mere row numbering
    show_index = not isinstance(frame.index, pd.RangeIndex) or frame.index.name is not None
    headers = ([translate_label(frame.index.name or "", language)] if show_index else [])
    headers += [translate_label(c, language) for c in frame.columns]
    numeric = ([False] if show_index else []) + [
        bool(pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])) for c in frame.columns
    ]
    # float columns holding only whole numbers are counts stored as floats (a missing value makes a count
    # column float): show their zeros as "0", not "0.0000"
    count_cols = [
        bool(pd.api.types.is_float_dtype(frame[c]) and np.all(np.mod(frame[c].dropna().to_numpy(), 1.0) == 0))
        for c in frame.columns
    ]
    table = Table(headers, numeric)
    for idx, row in zip(frame.index, frame.itertuples(index=False), strict=True):
        cells = [translate_label(idx, language)] if show_index else []
        cells += [
            format_int(int(v), language) if is_count and np.isfinite(v) else format_value(v, language, digits)
            for v, is_count in zip(row, count_cols, strict=True)
        ]
        table.add(cells)
    return table.html()


def json_block(value: object) -> str:
    text = json.dumps(jsonable(value), indent=2, ensure_ascii=False, sort_keys=False, default=str)
    return f"<pre>{esc(text)}</pre>"


def records_table(records: Sequence[object], language: str) -> str:
    """A table of a list of dicts (columns = union of keys, first-seen order); nested values as JSON."""
    dicts = [r if isinstance(r, Mapping) else {"value": r} for r in records]
    columns = unique([k for d in dicts for k in d])
    table = Table(columns, [False] * len(columns))
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
