"""Derived columns: expressions of the filter grammar, recode tables, age at a date, bins.

A derived column never silently replaces an existing one (``replace: true`` says so), and a
value that a recode table does not list is an error showing the raw values with their type,
unless the table says what to do with it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .._validation import short_repr
from ..data._expressions import compile_filter
from ..data._rows import example_ids, format_value
from ..errors import DataError, SpecificationError
from ._prepare import register_step
from ._workspace import N_EXAMPLES, StepFailed, Workspace

__all__ = ["age_at", "bins", "derive", "fill_missing", "recode"]

UNMAPPED = ("error", "missing", "keep")


def _new_column(frame: pd.DataFrame, table: str, name: object, replace: bool, key: str) -> str:
    if not isinstance(name, str) or not name:
        raise StepFailed(f"'{key}': a new column needs a name (text); got {short_repr(name)}.", table=table)
    if name in frame.columns and not replace:
        raise StepFailed(f"'{key}': column {name!r} already exists; choose another name, or set replace: true to "
                         "overwrite it.", table=table, column=name)
    return name


def _expression(frame: pd.DataFrame, expr: object, where: str, table: str) -> pd.Series:
    try:
        return compile_filter(expr, frame.columns, where=where).values(frame)
    except (DataError, SpecificationError) as exc:
        raise StepFailed(str(exc), table=table, column=getattr(exc, "column", None)) from None


@register_step("derive")
def derive(ws: Workspace, *, table: str, columns: Mapping[str, str], when: str | None = None,
           replace: bool = False) -> None:
    """New columns from expressions of the filter grammar, in order (a later one may use an
    earlier one): ``columns: {inactive_entry: "lm_status_raw == 'Inactif'"}``.
    With ``when``, only the rows where it is true get the value; the others are missing."""
    frame = ws.get(table)
    if not isinstance(columns, Mapping) or not columns:
        raise StepFailed(f"'columns' must be a mapping {{new_column: expression}}; got {short_repr(columns)}.", table=table)
    out = frame.copy()
    rows = None if when is None else _expression(out, when, "when", table)
    if rows is not None and not pd.api.types.is_bool_dtype(rows.dtype):
        raise StepFailed(f"'when' must give True/False for each row; {when!r} does not.", table=table)
    for name, expr in columns.items():
        col = _new_column(out, table, name, replace, f"columns.{name}")
        value = _expression(out, expr, f"columns.{name}", table)
        if rows is not None:
            value = value.where(rows.fillna(False).astype(bool))
        out[col] = value
    scope = f" where {when}" if when else ""
    ws.put(table, out, f"derived {', '.join(map(str, columns))}{scope}")


@register_step("fill_missing")
def fill_missing(ws: Workspace, *, table: str, columns: Mapping[str, object], when: str | None = None) -> None:
    """Put a constant in the missing cells of each column: ``columns: {unemp_duration_months: 0}``
    (e.g. no unemployment duration for the inactive). With ``when``, only in the rows where it is
    true. The value must suit the column (a number for numbers, text for text, an ISO date for
    dates); the flow counts the cells filled per column. Missing never means 0 unless a step says so."""
    frame = ws.get(table)
    if not isinstance(columns, Mapping) or not columns:
        raise StepFailed(f"'columns' must be a mapping {{column: value}}; got {short_repr(columns)}.", table=table)
    ws.columns(table, list(columns), "columns")
    rows = None if when is None else _expression(frame, when, "when", table)
    if rows is not None and not pd.api.types.is_bool_dtype(rows.dtype):
        raise StepFailed(f"'when' must give True/False for each row; {when!r} does not.", table=table)
    out = frame.copy()
    counts = []
    for col, value in columns.items():
        s = out[col]
        fill = _fill_value(s, value, f"columns.{col}", table)
        cells = s.isna().to_numpy() & (True if rows is None else rows.fillna(False).to_numpy(dtype=bool))
        if cells.any():
            out.loc[cells, col] = fill
        counts.append(f"{col}: {int(cells.sum())} cells -> {format_value(value)}")
    scope = f" where {when}" if when else ""
    ws.put(table, out, "missing values filled (" + "; ".join(counts) + ")" + scope)


def _fill_value(s: pd.Series, value: object, key: str, table: str) -> object:
    """``value`` converted to the column's kind, or StepFailed."""
    if pd.api.types.is_datetime64_any_dtype(s):
        try:
            return pd.Timestamp(str(value)) if isinstance(value, str) else pd.Timestamp(value)  # type: ignore[arg-type]
        except (ValueError, TypeError):
            pass
        raise StepFailed(f"'{key}': column holds dates; give an ISO date such as '2015-01-01'; got {short_repr(value)}.",
                         table=table)
    if pd.api.types.is_bool_dtype(s):
        if isinstance(value, bool):
            return value
    elif pd.api.types.is_numeric_dtype(s):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
    elif isinstance(value, str):
        return value
    raise StepFailed(f"'{key}': column holds {s.dtype} values; {short_repr(value)} ({type(value).__name__}) does not "
                     "suit it.", table=table)


@register_step("recode")
def recode(ws: Workspace, *, table: str, column: str, map: Mapping[object, object], into: str | None = None,
           unmapped: str = "error", replace: bool = False) -> None:
    """Recode ``column`` with the table ``map`` ({raw value: new value}); raw values match as read
    (the number 1 is not the text '1'). ``unmapped``: ``error`` (default: values the table does not
    list are refused, shown with their type and example rows), ``missing`` or ``keep``. The result
    goes to ``into`` (default: ``column`` itself)."""
    frame = ws.get(table)
    ws.columns(table, [column], "column")
    if not isinstance(map, Mapping) or not map:
        raise StepFailed(f"'map' must be a mapping {{raw: new}}; got {short_repr(map)}.", table=table)
    if unmapped not in UNMAPPED:
        raise StepFailed(f"'unmapped' must be one of {list(UNMAPPED)}; got {short_repr(unmapped)}.", table=table)
    target = column if into is None else _new_column(frame, table, into, replace, "into")
    src = frame[column]
    known = src.isin(list(map.keys())).to_numpy() | src.isna().to_numpy()
    if unmapped == "error" and not known.all():
        bad = pd.unique(src[~known])[:8]
        keys = sorted({f"{format_value(k)} ({type(k).__name__})" for k in map})[:8]
        counts = src[~known].value_counts(dropna=False)
        shown = ", ".join(f"{format_value(v)} ({type(v.item() if isinstance(v, np.generic) else v).__name__}, "
                          f"{int(counts.get(v, 0))} rows)" for v in bad)
        examples = example_ids(~known, ws.ids(table), N_EXAMPLES)
        same_text = {str(format_value(v)).strip("'") for v in bad} & {str(format_value(k)).strip("'") for k in map}
        hint = (" The values and the keys differ only in type: key the map by the values as read (1, not '1'), or "
                "read the column as text when loading (parse: {column: text})." if same_text else "")
        raise StepFailed(f"'map': {int((~known).sum())} values of {column!r} are not keys of the map: {shown}; the "
                         f"map's keys are {', '.join(keys)} (e.g. rows {', '.join(str(e) for e in examples)}). Add them, or "
                         f"set unmapped: missing / keep.{hint}", table=table, column=column, rows=examples)
    mapped = src.map(dict(map))
    if unmapped == "keep":
        mapped = mapped.where(src.isin(list(map.keys())), src)
    out = frame.copy()
    out[target] = mapped
    n_unmapped = int((~known).sum())
    ws.put(table, out, f"{column} recoded into {target}" + (f" ({n_unmapped} values not in the table: {unmapped})"
                                                             if n_unmapped else ""))


@register_step("age_at")
def age_at(ws: Workspace, *, table: str, birth: str, date: str, into: str, replace: bool = False) -> None:
    """Age in completed years at ``date`` (a date column) from ``birth`` (a date column): the
    age at entry, or at the comparison units' reference date. Missing where either date is."""
    frame = ws.get(table)
    ws.columns(table, [birth, date], "birth/date")
    for c in (birth, date):
        if not pd.api.types.is_datetime64_any_dtype(frame[c]):
            raise StepFailed(f"column {c!r} holds {frame[c].dtype} values, not dates; declare a date parser for it.",
                             table=table, column=c)
    target = _new_column(frame, table, into, replace, "into")
    b, d = frame[birth], frame[date]
    years = d.dt.year - b.dt.year
    before_birthday = (d.dt.month < b.dt.month) | ((d.dt.month == b.dt.month) & (d.dt.day < b.dt.day))
    age = (years - before_birthday.astype("Int64")).astype("Int64")
    age[b.isna() | d.isna()] = pd.NA
    negative = (age < 0).fillna(False).to_numpy(dtype=bool)
    if negative.any():
        raise StepFailed(f"{int(negative.sum())} rows have {date!r} before {birth!r}.", table=table, column=date,
                         rows=example_ids(negative, ws.ids(table), N_EXAMPLES))
    out = frame.copy()
    out[target] = age
    ws.put(table, out, f"{target}: age in completed years at {date}")


@register_step("bins")
def bins(ws: Workspace, *, table: str, column: str, edges: Sequence[float], into: str,
         labels: Sequence[object] | None = None, right: bool = False, replace: bool = False) -> None:
    """Cut a numeric ``column`` into intervals at ``edges`` (``right: false``: [a, b), the default;
    ``right: true``: (a, b]). ``labels`` names the intervals (one fewer than the edges); values
    outside every interval are an error with example rows."""
    frame = ws.get(table)
    ws.columns(table, [column], "column")
    if not pd.api.types.is_numeric_dtype(frame[column]) or pd.api.types.is_bool_dtype(frame[column]):
        raise StepFailed(f"column {column!r} holds {frame[column].dtype} values, not numbers.", table=table, column=column)
    ok = isinstance(edges, list) and len(edges) >= 2 and all(
        isinstance(e, (int, float)) and not isinstance(e, bool) for e in edges)
    if not ok or list(edges) != sorted(set(edges)):
        raise StepFailed(f"'edges' must be an increasing list of at least two numbers; got {short_repr(edges)}.", table=table)
    if labels is not None and (not isinstance(labels, list) or len(labels) != len(edges) - 1):
        raise StepFailed(f"'labels' must list one name per interval ({len(edges) - 1}); got {short_repr(labels)}.",
                         table=table)
    target = _new_column(frame, table, into, replace, "into")
    cut = pd.cut(frame[column], bins=list(edges), right=bool(right), labels=labels)
    outside = cut.isna().to_numpy() & frame[column].notna().to_numpy()
    if outside.any():
        raise StepFailed(f"{int(outside.sum())} values of {column!r} fall outside the edges {list(edges)}.",
                         table=table, column=column, rows=example_ids(outside, ws.ids(table), N_EXAMPLES))
    out = frame.copy()
    out[target] = cut
    ws.put(table, out, f"{target}: {column} in {len(edges) - 1} intervals")
