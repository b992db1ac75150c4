"""Cleaning steps: exact duplicates, re-entries, eligibility filters per arm, explicit date repairs.

Nothing here is guessed: each step does what its options say, to the rows they select, and the
flow records how many rows it removed or changed with example ids.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .._validation import short_repr
from ..data._expressions import compile_filter
from ..data._reentries import merge_reentries as _merge_reentries
from ..data._rows import example_ids
from ..errors import DataError, SpecificationError
from ._prepare import register_step
from ._workspace import N_EXAMPLES, StepFailed, Workspace

__all__ = ["drop_duplicates", "filter_rows", "keep_first", "merge_reentries", "repair_dates"]

ARM_CHOICES = ("participants", "comparison")


def _text_list(value: object, key: str) -> list[str]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(v, str) and v for v in items):
        raise StepFailed(f"'{key}' must be a column name or a list of them; got {short_repr(value)}.")
    return list(items)


@register_step("drop_duplicates")
def drop_duplicates(ws: Workspace, *, table: str, columns: Sequence[str] | None = None) -> None:
    """Drop exact duplicate rows of ``table`` (the same value in every column, or in ``columns``),
    keeping the first. Two rows that differ in any column are kept: a re-entry is not a duplicate."""
    frame = ws.get(table)
    subset = None if columns is None else ws.columns(table, _text_list(columns, "columns"), "columns")
    dup = frame.duplicated(subset=subset, keep="first").to_numpy()
    what = "every column" if subset is None else ", ".join(subset)
    ws.drop(table, dup, f"exact duplicate rows dropped ({int(dup.sum())}; same {what} as an earlier row)")


@register_step("keep_first")
def keep_first(ws: Workspace, *, table: str, by: str | Sequence[str], order: str | Sequence[str],
               descending: bool = False) -> None:
    """Keep one row per value of ``by``: the first by ``order`` (earliest first; latest first with
    ``descending: true``; ties in file order; missing values of ``order`` last). E.g. one row per
    person, their first participation: ``by: person_id``, ``order: entry_date``. The other rows go
    to the exclusions ("a later row of the same person_id"); the rows kept stay in file order."""
    frame = ws.get(table)
    keys = ws.columns(table, _text_list(by, "by"), "by")
    sort = ws.columns(table, _text_list(order, "order"), "order")
    if not isinstance(descending, bool):
        raise StepFailed(f"'descending' must be true or false; got {short_repr(descending)}.", table=table)
    ordered = frame.reset_index(drop=True).sort_values(sort, ascending=not descending, kind="stable", na_position="last")
    later = ordered.duplicated(keys, keep="first").sort_index().to_numpy()
    word = "earlier" if descending else "later"
    ws.drop(table, later, f"one row per {', '.join(keys)}: {int(later.sum())} {word} rows by {', '.join(sort)} dropped")


@register_step("merge_reentries")
def merge_reentries(ws: Workspace, *, table: str, person: str = "person_id", operation: str = "operation_id",
                    entry: str = "entry_date", exit: str = "exit_date", results: Sequence[str] | None = None) -> None:
    """Merge re-entries of a person into the same operation into one record (ESF rules): the first
    entry's date and characteristics, the last exit (missing if a spell is open) and the latest
    spell's results. See :func:`iej_impact.data.merge_reentries`. The merged-away records are
    listed in the exclusions with reason 'merged into the first entry'."""
    frame = ws.get(table)
    ws.columns(table, [person, operation, entry, exit], "person/operation/entry/exit")
    kwargs = {} if results is None else {"results": ws.columns(table, _text_list(results, "results"), "results")}
    if not pd.api.types.is_datetime64_any_dtype(frame[entry]):
        raise StepFailed(f"'entry': column {entry!r} holds {frame[entry].dtype} values, not dates; declare a date "
                         f"parser for it (parse: {{{entry}: \"date:%d/%m/%Y\"}}).", table=table, column=entry)
    keys = [person, operation]
    order = frame.sort_values(entry, kind="stable", na_position="last")
    later = order.duplicated(keys, keep="first").reindex(frame.index).to_numpy()
    ids = ws.ids(table)
    n_groups = int(frame.loc[later, keys].drop_duplicates().shape[0])
    if later.any():
        ws.exclusions.append(pd.DataFrame({
            "table": table, "row_id": ids.to_numpy()[later], "step": ws.step,
            "reason": "re-entry merged into the first entry's record", "arm": ws.arm_labels(table, frame.loc[later]),
        }))
    merged = _merge_reentries(frame, person=person, operation=operation, entry=entry, exit=exit, **kwargs)
    ws.put(table, merged, f"re-entries merged: {int(later.sum())} later records into {n_groups} participations "
           "(first entry kept; last exit and latest results)", rows_in=len(frame),
           examples=example_ids(later, frame[person], N_EXAMPLES))


@register_step("filter")
def filter_rows(ws: Workspace, *, table: str, where: str | Sequence[str], arm: str | None = None) -> None:
    """Keep the rows of ``table`` for which every expression in ``where`` is true (the filter
    grammar of ``sample.filters``); with ``arm``, the expressions apply to that arm's rows only
    (the other arm's rows are kept): eligibility rules per arm. One flow row per expression."""
    frame = ws.get(table)
    exprs = [where] if isinstance(where, str) else where
    if not isinstance(exprs, list) or not exprs or not all(isinstance(e, str) for e in exprs):
        raise StepFailed(f"'where' must be a filter expression or a list of them; got {short_repr(where)}.", table=table)
    if arm is not None and arm not in ARM_CHOICES:
        raise StepFailed(f"'arm' must be one of {list(ARM_CHOICES)}; got {short_repr(arm)}.", table=table)
    for k, expr in enumerate(exprs):
        frame = ws.frames[table]
        label = f"where[{k}]" if len(exprs) > 1 else "where"
        try:
            keep = compile_filter(expr, frame.columns, where=label).mask(frame)
        except (DataError, SpecificationError) as exc:
            raise StepFailed(str(exc), table=table, column=getattr(exc, "column", None)) from None
        applies = _arm_mask(ws, table, frame, arm)
        drop = applies & ~keep
        if applies.any() and (drop == applies).all():
            what = f"of the {arm} " if arm else ""
            raise StepFailed(f"{label}: {expr!r} removes every row {what}({int(applies.sum())}); nothing would be "
                             "left to analyse. Check the expression and the values it compares.", table=table)
        scope = f" ({arm} only)" if arm else ""
        ws.drop(table, drop, f"filter{scope}: {expr}")


def _arm_mask(ws: Workspace, table: str, frame: pd.DataFrame, arm: str | None) -> np.ndarray:
    if arm is None:
        return np.ones(len(frame), dtype=bool)
    labels = ws.arm_labels(table, frame)
    if (labels == "all").all():
        raise StepFailed(f"'arm: {arm}' needs a table whose arm is known (a participants or comparison source, or a "
                         "stacked table); this one has neither.", table=table)
    return labels == ("treated" if arm == "participants" else "control")


@register_step("repair_dates")
def repair_dates(ws: Workspace, *, table: str, column: str, when: str, add_years: int = 0, add_months: int = 0,
                 add_days: int = 0) -> None:
    """An explicit date repair: in the rows where ``when`` is true, shift ``column`` by the given
    years, months and days (e.g. exits keyed a year early: ``when: "exit_date < entry_date"``,
    ``add_years: 1``). The flow records how many rows were changed, with example ids; nothing is
    repaired without a rule."""
    frame = ws.get(table)
    ws.columns(table, [column], "column")
    if not pd.api.types.is_datetime64_any_dtype(frame[column]):
        raise StepFailed(f"'column': {column!r} holds {frame[column].dtype} values, not dates; declare a date parser "
                         "for it when loading.", table=table, column=column)
    for key, v in (("add_years", add_years), ("add_months", add_months), ("add_days", add_days)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise StepFailed(f"'{key}' must be a whole number; got {short_repr(v)}.", table=table)
    if add_years == add_months == add_days == 0:
        raise StepFailed("give the shift: add_years, add_months and/or add_days (not all 0).", table=table)
    try:
        rows = compile_filter(when, frame.columns, where="when").mask(frame)
    except (DataError, SpecificationError) as exc:
        raise StepFailed(str(exc), table=table, column=getattr(exc, "column", None)) from None
    rows = rows & frame[column].notna().to_numpy()
    out = frame.copy()
    offset = pd.DateOffset(years=int(add_years), months=int(add_months), days=int(add_days))
    out.loc[rows, column] = out.loc[rows, column] + offset
    shift = ", ".join(f"{v:+d} {u}" for v, u in ((add_years, "years"), (add_months, "months"), (add_days, "days")) if v)
    ws.put(table, out, f"{column} repaired in {int(rows.sum())} rows ({shift}) where {when}",
           examples=example_ids(rows, ws.ids(table), N_EXAMPLES))
