"""Joins: columns of one table brought onto the rows of another, with the cardinality checked.

A join never multiplies rows: the right table must have at most one row per key
(``many_to_one``; with ``one_to_one`` the left table too), else the step stops and shows the
repeated keys. Missing keys match nothing (pandas would match a missing key with a missing
key). Left rows without a match are kept with missing values (``how: left``) or dropped into the
exclusions (``how: inner``); the flow counts them, and the right rows that matched nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .._validation import short_repr
from ..data._rows import example_ids, format_value
from ._prepare import register_step
from ._workspace import N_EXAMPLES, StepFailed, TableInfo, Workspace

__all__ = ["join", "same_ids"]

HOWS = ("left", "inner")
CARDINALITIES = ("many_to_one", "one_to_one")
_KEY = "__iej_join_key_{}"
_MERGE = "__iej_join_match"


def _id_kind(s: pd.Series) -> str:
    if pd.api.types.is_datetime64_any_dtype(s):
        return "dates"
    if pd.api.types.is_bool_dtype(s):
        return "booleans"
    if pd.api.types.is_numeric_dtype(s):
        return "numbers"
    inferred = pd.api.types.infer_dtype(s, skipna=True)
    return {"integer": "numbers", "floating": "numbers", "mixed-integer-float": "numbers", "decimal": "numbers",
            "string": "text", "empty": "empty"}.get(inferred, inferred)


def same_ids(ws: Workspace, a: tuple[str, str], b: tuple[str, str], key: str) -> None:
    """Refuse to match ids of different kinds (numbers vs text): nothing would match, silently."""
    (ta, ca), (tb, cb) = a, b
    sa, sb = ws.frames[ta][ca], ws.frames[tb][cb]
    ka, kb = _id_kind(sa), _id_kind(sb)
    if "empty" in (ka, kb) or ka == kb:
        return
    ea, eb = sa.dropna().iloc[0], sb.dropna().iloc[0]
    raise StepFailed(f"'{key}': column {ca!r} of {ta!r} holds {ka} ({sa.dtype}, e.g. {format_value(ea)}) but column "
                     f"{cb!r} of {tb!r} holds {kb} ({sb.dtype}, e.g. {format_value(eb)}); ids of different types never "
                     "match. Read both with the same parser (e.g. parse: {col: text}).", table=tb, column=cb,
                     rows=example_ids(sb.notna().to_numpy(), ws.ids(tb), N_EXAMPLES))


def _names(value: object, key: str, table: str) -> list[str]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(v, str) and v for v in items):
        raise StepFailed(f"'{key}' must be a column name or a list of them; got {short_repr(value)}.", table=table)
    if len(set(items)) != len(items):
        raise StepFailed(f"'{key}' names a column twice: {items}.", table=table)
    return list(items)


def _keys(ws: Workspace, left: str, right: str, on: object, left_on: object,
          right_on: object) -> tuple[list[str], list[str], str]:
    """The key columns of each side, checked, and how to name them in the flow."""
    if on is not None and (left_on is not None or right_on is not None):
        raise StepFailed("give either 'on' (columns of both tables) or 'left_on' with 'right_on', not both.", table=left)
    if on is not None:
        lk = rk = _names(on, "on", left)
        ws.columns(left, lk, "on")
        ws.columns(right, rk, "on")
        text = ", ".join(lk)
    elif left_on is not None and right_on is not None:
        lk, rk = _names(left_on, "left_on", left), _names(right_on, "right_on", right)
        if len(lk) != len(rk):
            raise StepFailed(f"'left_on' and 'right_on' must name as many columns; got {lk} and {rk}.", table=left)
        ws.columns(left, lk, "left_on")
        ws.columns(right, rk, "right_on")
        text = ", ".join(a if a == b else f"{a} = {b}" for a, b in zip(lk, rk, strict=True))
    else:
        raise StepFailed("name the key: 'on' (columns of both tables), or 'left_on' and 'right_on'.", table=left)
    for a, b in zip(lk, rk, strict=True):
        same_ids(ws, (left, a), (right, b), "on" if on is not None else "right_on")
    return lk, rk, text


def _unique(ws: Workspace, table: str, keys: list[str], key: str, why: str) -> None:
    """StepFailed showing the repeated (complete) keys of ``table``."""
    frame = ws.frames[table]
    complete = frame[keys].notna().all(axis=1).to_numpy()
    dup = complete & frame[keys].duplicated(keep=False).to_numpy()
    if not dup.any():
        return
    values = frame.loc[dup, keys].drop_duplicates()
    shown = ", ".join(format_value(v[0]) if len(v) == 1 else "(" + ", ".join(map(format_value, v)) + ")"
                      for v in values.head(N_EXAMPLES).itertuples(index=False))
    raise StepFailed(f"'{key}': {len(values)} value{'s' if len(values) > 1 else ''} of the key ({', '.join(keys)}) "
                     f"{'appear' if len(values) > 1 else 'appears'} on several rows of table {table!r} "
                     f"({int(dup.sum())} rows), e.g. {shown}; {why}", table=table, column=keys[0],
                     rows=example_ids(dup, ws.ids(table), N_EXAMPLES))


@register_step("join")
def join(ws: Workspace, *, left: str, right: str, on: str | Sequence[str] | None = None,
         left_on: str | Sequence[str] | None = None, right_on: str | Sequence[str] | None = None,
         columns: Sequence[str] | None = None, how: str = "left", cardinality: str = "many_to_one",
         new_table: str | None = None) -> None:
    """Bring ``columns`` of table ``right`` onto the rows of table ``left``, matched on a key.

    Options
    -------
    left, right : the two tables (not modified unless the result replaces ``left``).
    on : key column(s) with the same names in both tables; or ``left_on`` and ``right_on``
        (as many columns each; matched in order).
    columns : the right columns to bring (default: all but the right key columns). A column
        that ``left`` already has is an error (no suffixes: name fewer columns).
    how : ``left`` (default: every left row is kept; those without a match get missing values,
        counted in the flow) or ``inner`` (left rows without a match are dropped into the
        exclusions).
    cardinality : ``many_to_one`` (default: several left rows may share one right row; each key
        appears at most once in ``right``) or ``one_to_one`` (also at most once in ``left``).
        A repeated key is an error with the key values and example rows.
    new_table : the name of the result (a new table, with the arm, id and treatment column of
        ``left``); default: the result replaces ``left``.

    Assumptions: keys of the two sides are of the same kind (numbers, text or dates; a mix is an
    error, since nothing would match); a missing key matches nothing.
    """
    left_frame = ws.get(left, key="left")
    right_frame = ws.get(right, key="right")
    if how not in HOWS:
        raise StepFailed(f"'how' must be one of {list(HOWS)}; got {short_repr(how)}.", table=left)
    if cardinality not in CARDINALITIES:
        raise StepFailed(f"'cardinality' must be one of {list(CARDINALITIES)}; got {short_repr(cardinality)}.",
                         table=left)
    target = left if new_table is None else new_table
    if new_table is not None and (not isinstance(new_table, str) or not new_table or new_table in ws.frames):
        raise StepFailed(f"'new_table' must be the name of a new table (default: replace {left!r}); got "
                         f"{short_repr(new_table)}; tables so far: {sorted(ws.frames)}.", table=left)
    lk, rk, key_text = _keys(ws, left, right, on, left_on, right_on)
    cols = [c for c in right_frame.columns if c not in rk] if columns is None else _names(columns, "columns", right)
    ws.columns(right, cols, "columns")
    clash = [c for c in cols if c in left_frame.columns]
    if clash:
        raise StepFailed(f"'columns': table {left!r} already has column{'s' if len(clash) > 1 else ''} "
                         f"{', '.join(map(repr, clash))} of {right!r}; a join adds no suffixes. Name the columns to "
                         f"bring (columns: [...]) without {clash[0]!r}.", table=left, column=clash[0])
    _unique(ws, right, rk, "right_on" if on is None else "on",
            f"under cardinality {cardinality} each key appears at most once in {right!r}. Remove the repeated rows "
            "first (drop_duplicates, merge_reentries, filter) or join on more columns.")
    if cardinality == "one_to_one":
        _unique(ws, left, lk, "left_on" if on is None else "on",
                f"under cardinality one_to_one each key appears at most once in {left!r} too; if several rows of "
                f"{left!r} may share a row of {right!r}, use cardinality: many_to_one.")
    merged, matched, right_unused = _merge(left_frame, right_frame, lk, rk, cols)
    unmatched = ~matched
    n_un = int(unmatched.sum())
    ids = ws.ids(left, left_frame)
    info = ws.info[left]
    reason = (f"joined {len(cols)} columns of {right!r} ({', '.join(map(str, cols[:8]))}{' ...' if len(cols) > 8 else ''})"
              f" on {key_text}: {int(matched.sum())} of {len(left_frame)} rows matched; {right_unused} rows of "
              f"{right!r} matched no row")
    if how == "left":
        reason += f"; {n_un} rows without a match kept with missing values" if n_un else ""
        ws.put(target, merged, reason, rows_in=len(left_frame), examples=example_ids(unmatched, ids, N_EXAMPLES),
               info=TableInfo(arm=info.arm, id_column=info.id_column, treatment=info.treatment, origin=info.origin))
        return
    ws.put(target, merged, reason, rows_in=len(left_frame),
           info=TableInfo(arm=info.arm, id_column=info.id_column, treatment=info.treatment, origin=info.origin))
    ws.drop(target, unmatched, f"inner join: no row of {right!r} with the same {key_text} ({n_un} dropped)")
    kept = ws.frames[target]
    restored = {c: right_frame[c].dtype for c in cols if kept[c].dtype != right_frame[c].dtype and kept[c].notna().all()}
    if restored:  # every row matched: the right columns keep their own types (bool stays bool, int8 stays int8)
        ws.frames[target] = kept.astype(restored)


def _merge(left: pd.DataFrame, right: pd.DataFrame, lk: list[str], rk: list[str],
           cols: list[str]) -> tuple[pd.DataFrame, np.ndarray, int]:
    """``left`` (same rows, same order) with ``cols`` of its matching ``right`` row; which left rows
    matched; how many right rows matched none. Rows with a missing key match nothing."""
    tmp = [_KEY.format(i) for i in range(len(rk))]
    r_complete = right[rk].notna().all(axis=1).to_numpy()
    keys = pd.DataFrame({t: right[c] for t, c in zip(tmp, rk, strict=True)})
    part = pd.concat([keys, right[cols]], axis=1).loc[r_complete]
    l_complete = left[lk].notna().all(axis=1).to_numpy()
    merged = left.reset_index(drop=True).merge(part, how="left", left_on=lk, right_on=tmp, sort=False,
                                               indicator=_MERGE, validate="many_to_one")
    matched = (merged[_MERGE] == "both").to_numpy() & l_complete
    merged = merged.drop(columns=[*tmp, _MERGE])
    for c in cols:  # unmatched rows are missing: a bool or integer column becomes its nullable type, not object/float
        src = right[c].dtype
        if merged[c].dtype == src:
            continue
        if matched.all():
            merged[c] = merged[c].astype(src)
        elif pd.api.types.is_bool_dtype(src):
            merged[c] = merged[c].astype("boolean")
        elif pd.api.types.is_integer_dtype(src) and not isinstance(src, pd.api.extensions.ExtensionDtype):
            merged[c] = merged[c].astype(str(src).capitalize())
    used = pd.MultiIndex.from_frame(left.loc[l_complete, lk].drop_duplicates().set_axis(tmp, axis=1))
    right_keys = pd.MultiIndex.from_frame(part[tmp])
    right_unused = int((~right_keys.isin(used)).sum()) + int((~r_complete).sum())
    return merged, matched, right_unused
