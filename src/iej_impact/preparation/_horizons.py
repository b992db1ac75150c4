"""Periods, event time and outcomes at horizons: from a person x period panel to the person table.

An administrative employment panel has one row per person and period (a quarter or a month, as the
integer index of :mod:`iej_impact.data._periods`: ``4*year + quarter - 1``, ``12*year + month - 1``,
produced by ``parse: {col: "period:quarter"}`` or the ``period`` step). Each person has a reference
period: the period of first entry for participants, the period of the reference (pseudo-entry)
date for comparison units. From them:

* ``period`` turns a date (or period text, or an index already) into the period index; with
  ``arm: participants`` on a stacked person table it is the first treatment period of the
  staggered DiD estimators (missing for the comparison rows: never treated);
* ``event_time`` puts ``time - reference`` on the panel rows, for both arms;
* ``horizons`` attaches to the person table the outcome at ``e`` periods from the reference
  (``at: 2``) or a statistic over a window of event times (``window: [1, 4]``, ``stat: share``),
  which is also how pre-entry history is built (``window: [-4, -1]``).

Missing is never zero. With ``missing: strict`` (the default) a window in which a period has no
panel row, or a missing value, gives a missing result; ``missing: observed`` uses the periods
observed with a value (missing if there is none). A person without a reference period, or absent
from the panel, gets missing results, counted in the flow. Everything is vectorised (one pass of
``numpy.bincount`` per column), so a panel of millions of rows takes seconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._validation import short_repr, suggest
from ..data._periods import parse_periods
from ..data._rows import example_ids, format_value
from ..errors import DataError
from ._cleaning import ARM_CHOICES, _arm_mask
from ._prepare import register_step
from ._workspace import N_EXAMPLES, StepFailed, Workspace

__all__ = ["event_time", "horizons", "period"]

FREQUENCIES = ("quarter", "month")
STATS = ("any", "all", "share", "sum", "mean")
MISSING = ("strict", "observed")
_PER_YEAR = {"quarter": 4, "month": 12}
#: period indexes are accepted as such for the calendar years in this range
_YEARS = (1900, 2100)


def _label(index: int, frequency: str) -> str:
    """``2012T1`` or ``2012-03`` for a period index (the way the parser reads it back)."""
    year, k = divmod(int(index), _PER_YEAR[frequency])
    return f"{year}T{k + 1}" if frequency == "quarter" else f"{year}-{k + 1:02d}"


def _in_range(values: np.ndarray, frequency: str) -> np.ndarray:
    per = _PER_YEAR[frequency]
    return (values >= per * _YEARS[0]) & (values < per * (_YEARS[1] + 1))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


# -- reading period columns ------------------------------------------------------------------------
def _parse_hint(table: str, col: str) -> str:
    return (f"read it with parse: {{{col}: \"period:quarter\"}} (or \"period:month\") in its source, or convert it "
            f"with the period step ({{step: period, table: {table}, column: {col}, frequency: quarter, into: ...}})")


def _integer_periods(ws: Workspace, table: str, col: str, key: str) -> tuple[np.ndarray, np.ndarray]:
    """The period indexes of ``col`` as int64 (0 where missing) and the missing mask.

    Dates, text, booleans and fractions are refused: a period column of the panel steps holds
    integer indexes, never guessed from another form.
    """
    s = ws.frames[table][col]
    where = f"'{key}': column {col!r} of table {table!r}{ws.origin_text(table)}"
    present = s.notna().to_numpy()
    if pd.api.types.is_datetime64_any_dtype(s):
        raise StepFailed(f"{where} holds dates, not period indexes; convert it with the period step ({{step: period, "
                         f"table: {table}, column: {col}, frequency: quarter, into: ...}}) or read the source column "
                         f"with parse: {{{col}: \"period:quarter\"}} (or \"period:month\").", table=table, column=col,
                         rows=example_ids(present, ws.ids(table), N_EXAMPLES))
    if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
        shown = ", ".join(format_value(v) for v in pd.unique(s.dropna())[:3])
        raise StepFailed(f"{where} holds {s.dtype} values ({shown or 'none'}), not integer period indexes; "
                         f"{_parse_hint(table, col)}.", table=table, column=col,
                         rows=example_ids(present, ws.ids(table), N_EXAMPLES))
    values = s.to_numpy(dtype=float, na_value=np.nan)
    missing = np.isnan(values)
    frac = ~missing & (values != np.round(values))
    if frac.any():
        shown = ", ".join(format_value(v) for v in pd.unique(values[frac])[:3])
        raise StepFailed(f"{where} holds {_plural(int(frac.sum()), 'value')} that are not whole numbers ({shown}); "
                         f"period indexes are integers: {_parse_hint(table, col)}.", table=table, column=col,
                         rows=example_ids(frac, ws.ids(table), N_EXAMPLES))
    return np.where(missing, 0, values).astype(np.int64), missing


def _to_period(ws: Workspace, table: str, column: str, frequency: str) -> pd.Series:
    """``column`` as period indexes (Int64, missing kept): dates and period text through the parser,
    integer indexes checked against the calendar range of ``frequency``."""
    s = ws.frames[table][column]
    if isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype(object)
    numeric = pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)
    if not numeric:
        try:
            return parse_periods(s, unit=frequency, column=column, rows=ws.ids(table))  # type: ignore[arg-type]
        except DataError as exc:
            raise StepFailed(f"'column': {exc}", table=table, column=column, rows=getattr(exc, "rows", ())) from None
    values, missing = _integer_periods(ws, table, column, "column")
    outside = ~missing & ~_in_range(values, frequency)
    if outside.any():
        bad = pd.unique(values[outside])[:3]
        other = "month" if frequency == "quarter" else "quarter"
        looks = (f" They look like {other} indexes: choose frequency: {other}, or convert them."
                 if _in_range(values[~missing], other).all() else
                 " Numbers such as 201203 are calendar codes, not indexes: read the column as text and parse it with "
                 f"parse: {{{column}: \"period:{frequency}\"}}.")
        raise StepFailed(
            f"'column': {_plural(int(outside.sum()), 'value')} of {column!r} ({', '.join(map(str, bad))}) are not "
            f"{frequency} indexes of the years {_YEARS[0]}-{_YEARS[1]} ({'4*year+quarter-1: 2012T1 is 8048' if frequency == 'quarter' else '12*year+month-1: 2012-03 is 24146'})."
            + looks, table=table, column=column, rows=example_ids(outside, ws.ids(table), N_EXAMPLES))
    return pd.Series(pd.array(np.where(missing, 0, values), dtype="Int64"), index=s.index, name=s.name).mask(missing)


@register_step("period")
def period(ws: Workspace, *, table: str, column: str, frequency: str, into: str, arm: str | None = None) -> None:
    """The period index of ``column`` (a date, a quarter or month written as text, or already an
    index) in ``into``: ``frequency: quarter`` gives ``4*year + quarter - 1`` (2012T1 is 8048),
    ``month`` gives ``12*year + month - 1``, the convention of ``parse: period:quarter/month``.
    Missing stays missing. With ``arm`` (``participants`` or ``comparison``), only that arm's rows
    get the period, the others are missing: on a stacked person table, ``arm: participants`` and the
    entry date give the first treatment period (cohort) of ``att_gt``, missing = never treated."""
    frame = ws.get(table)
    ws.columns(table, [column], "column")
    if frequency not in FREQUENCIES:
        raise StepFailed(f"'frequency' must be one of {list(FREQUENCIES)}; got {short_repr(frequency)}."
                         + (suggest(frequency, FREQUENCIES) if isinstance(frequency, str) else ""), table=table)
    if arm is not None and arm not in ARM_CHOICES:
        raise StepFailed(f"'arm' must be one of {list(ARM_CHOICES)}; got {short_repr(arm)}.", table=table)
    if not isinstance(into, str) or not into:
        raise StepFailed(f"'into': the new column needs a name (text); got {short_repr(into)}.", table=table)
    if into in frame.columns and into != column:
        raise StepFailed(f"'into': column {into!r} already exists in table {table!r}; choose another name (into: "
                         f"{column} converts the column itself).", table=table, column=into)
    index = _to_period(ws, table, column, frequency)
    applies = np.ones(len(frame), dtype=bool) if arm is None else _arm_mask(ws, table, frame, arm)
    result = index.where(applies, pd.NA).astype("Int64")
    out = frame.copy()
    out[into] = result.array
    known = result.notna().to_numpy()
    no_value = applies & ~known
    span = (f", {_label(result[known].min(), frequency)} to {_label(result[known].max(), frequency)}"
            if known.any() else "")
    scope = (f" for the {arm} ({_plural(int(applies.sum()), 'row')}; the other {_plural(int((~applies).sum()), 'row')} "
             "missing: never treated)" if arm else "")
    ws.put(table, out, f"{into}: {frequency} index of {column}{scope}{span}"
           + (f"; missing in {_plural(int(no_value.sum()), 'row')} where {column} is missing" if no_value.any() else ""),
           examples=example_ids(no_value, ws.ids(table), N_EXAMPLES))


# -- linking the panel to the person table ---------------------------------------------------------
@dataclass
class _Link:
    """Panel rows placed against the person table: each row's person (``code``, -1 if absent) and
    event time (``event``, valid where ``timed``)."""

    code: np.ndarray
    event: np.ndarray
    timed: np.ndarray
    ref_missing: np.ndarray  # per person
    in_panel: np.ndarray  # per person


def _missing_ids(ws: Workspace, table: str, col: str, key: str) -> None:
    miss = ws.frames[table][col].isna().to_numpy()
    if miss.any():
        raise StepFailed(f"'{key}': column {col!r} is missing in {_plural(int(miss.sum()), 'row')} of table {table!r}"
                         f"{ws.origin_text(table)}; every row needs one.", table=table, column=col,
                         rows=example_ids(miss, ws.ids(table), N_EXAMPLES))


def _check_unique(ws: Workspace, table: str, cols: list[str], what: str) -> None:
    frame = ws.frames[table]
    dup = frame.duplicated(cols, keep=False).to_numpy()
    if dup.any():
        pairs = frame.loc[dup, cols].drop_duplicates().head(N_EXAMPLES)
        shown = "; ".join("(" + ", ".join(f"{c} {format_value(v)}" for c, v in zip(cols, row, strict=True)) + ")"
                          for row in pairs.itertuples(index=False))
        n_keys = int(frame.loc[dup, cols].drop_duplicates().shape[0])
        raise StepFailed(f"table {table!r}{ws.origin_text(table)} has {_plural(int(dup.sum()), 'row')} sharing "
                         f"{' and '.join(repr(c) for c in cols)} with another row ({_plural(n_keys, what)}, e.g. {shown}); it "
                         "must have one row per " + " and ".join(cols) + ": drop the duplicates or aggregate them first.",
                         table=table, column=cols[-1],
                         rows=list(dict.fromkeys(example_ids(dup, ws.ids(table), 2 * N_EXAMPLES)))[:N_EXAMPLES])


def _check_frequencies(ws: Workspace, panel: str, time: str, times: np.ndarray, persons: str, reference: str,
                       refs: np.ndarray) -> None:
    """Refuse a panel counted in quarters against references counted in months (or the reverse)."""
    def kind(v: np.ndarray) -> str | None:
        found = [f for f in FREQUENCIES if v.size and _in_range(v, f).all()]
        return found[0] if len(found) == 1 else None

    k_time, k_ref = kind(times), kind(refs)
    if k_time and k_ref and k_time != k_ref:
        raise StepFailed(f"'reference': {reference!r} of table {persons!r} counts {k_ref}s ({_label(refs[0], k_ref)} "
                         f"is {refs[0]}) but the panel's {time!r} counts {k_time}s ({_label(times[0], k_time)} is "
                         f"{times[0]}); convert both with the same frequency.", table=persons, column=reference,
                         rows=example_ids(ws.frames[persons][reference].notna().to_numpy(), ws.ids(persons), N_EXAMPLES))


def _link(ws: Workspace, panel: str, persons: str, unit: str, time: str, reference: str, key: str) -> _Link:
    """Check the panel and the person table and place each panel row against its person."""
    ws.get(panel, key="panel")
    ws.get(persons, key=key)
    ws.columns(panel, [unit, time], "unit/time")
    ws.columns(persons, [unit, reference], "unit/reference")
    _missing_ids(ws, panel, unit, "unit")
    _missing_ids(ws, panel, time, "time")
    times, _ = _integer_periods(ws, panel, time, "time")
    _check_unique(ws, panel, [unit, time], "unit-period pair")
    _missing_ids(ws, persons, unit, "unit")
    _check_unique(ws, persons, [unit], "unit")
    refs, ref_missing = _integer_periods(ws, persons, reference, "reference")
    _check_frequencies(ws, panel, time, times, persons, reference, refs[~ref_missing])
    pframe, tframe = ws.frames[panel], ws.frames[persons]
    code = pd.Index(tframe[unit]).get_indexer(pframe[unit])
    matched = code >= 0
    safe = np.where(matched, code, 0)
    if not len(tframe):  # nothing to place against: every panel row is unmatched
        refs, ref_missing_rows = np.zeros(1, dtype=np.int64), np.ones(1, dtype=bool)
    else:
        ref_missing_rows = ref_missing
    timed = matched & ~ref_missing_rows[safe]
    event = times - refs[safe]
    in_panel = np.bincount(code[matched], minlength=len(tframe)) > 0
    return _Link(code=code, event=event, timed=timed, ref_missing=ref_missing, in_panel=in_panel)


def _type_hint(ws: Workspace, panel: str, persons: str, unit: str) -> str:
    a, b = ws.frames[panel][unit].dtype, ws.frames[persons][unit].dtype
    return (f" The column {unit!r} holds {a} values in {panel!r} and {b} values in {persons!r}: 1 and '1' differ; read "
            "both the same way (parse: {" + unit + ": text})." if a != b else "")


@register_step("event_time")
def event_time(ws: Workspace, *, panel: str, persons: str, unit: str, time: str, reference: str,
               into: str = "event_time") -> None:
    """Event time on the panel rows: ``time - reference`` in periods (0 = the reference period, -1 the
    period before), with ``reference`` the period column of the person table ``persons`` (entry
    period of participants, reference period of comparison units; both arms alike). ``time`` and
    ``reference`` are integer period indexes of the same frequency. Missing where the person's
    reference is missing (counted). A panel unit absent from ``persons`` is an error naming it:
    restrict the panel first (join with how: inner)."""
    link = _link(ws, panel, persons, unit, time, reference, "persons")
    pframe, tframe = ws.frames[panel], ws.frames[persons]
    if not isinstance(into, str) or not into:
        raise StepFailed(f"'into': the new column needs a name (text); got {short_repr(into)}.", table=panel)
    if into in pframe.columns:
        raise StepFailed(f"'into': column {into!r} already exists in table {panel!r}; choose another name.",
                         table=panel, column=into)
    absent = link.code < 0
    if absent.any():
        units = pd.unique(pframe.loc[absent, unit])
        raise StepFailed(f"'persons': {_plural(len(units), 'unit')} of the panel ({int(absent.sum())} rows) are not in "
                         f"table {persons!r} (e.g. {unit} {', '.join(format_value(u) for u in units[:N_EXAMPLES])}); "
                         "every panel unit needs its reference period: add them, or keep the panel rows of the "
                         f"persons only (join with how: inner).{_type_hint(ws, panel, persons, unit)}", table=panel,
                         column=unit, rows=[u.item() if isinstance(u, np.generic) else u for u in units[:N_EXAMPLES]])
    values = pd.array(link.event, dtype="Int64")
    values[~link.timed] = pd.NA
    out = pframe.copy()
    out[into] = values
    no_ref = link.ref_missing & link.in_panel
    reason = f"{into} = {time} - {reference} of {persons}"
    if no_ref.any():
        reason += (f"; missing for {_plural(int(no_ref.sum()), 'unit')} whose {reference} is missing "
                   f"({_plural(int((~link.timed).sum()), 'row')})")
    ws.put(panel, out, reason, examples=example_ids(no_ref, tframe[unit], N_EXAMPLES))


# -- outcomes at horizons --------------------------------------------------------------------------
@dataclass(frozen=True)
class _Horizon:
    name: str
    value: str
    first: int  # event times first..last
    last: int
    stat: str | None  # None: the value at a single event time

    def describe(self) -> str:
        if self.stat is None:
            return f"{self.value} at e={self.first:+d}"
        return f"{self.stat} of {self.value} over e=[{self.first:+d}, {self.last:+d}]"


def _whole(v: object) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _horizon_specs(columns: object, table: str, existing: pd.Index) -> list[_Horizon]:
    if not isinstance(columns, Mapping) or not columns:
        raise StepFailed("'columns' must be a mapping {new_column: {value: col, at: e}} or {new_column: {value: col, "
                         f"window: [a, b], stat: ...}}; got {short_repr(columns)}.", table=table)
    specs = []
    for name, spec in columns.items():
        key = f"columns.{name}"
        if not isinstance(name, str) or not name:
            raise StepFailed(f"'columns': a new column needs a name (text); got {short_repr(name)}.", table=table)
        if name in existing:
            raise StepFailed(f"'{key}': column {name!r} already exists in table {table!r}; choose another name.",
                             table=table, column=name)
        if not isinstance(spec, Mapping) or not isinstance(spec.get("value"), str):
            raise StepFailed(f"'{key}' must be {{value: <panel column>, at: e}} or {{value: <panel column>, window: "
                             f"[a, b], stat: {'|'.join(STATS)}}}; got {short_repr(spec)}.", table=table)
        unknown = [k for k in spec if k not in ("value", "at", "window", "stat")]
        if unknown:
            raise StepFailed(f"'{key}': unknown key {short_repr(unknown[0])}; keys: value, at, window, stat."
                             f"{suggest(unknown[0], ('value', 'at', 'window', 'stat'))}", table=table)
        if ("at" in spec) == ("window" in spec):
            raise StepFailed(f"'{key}': give either 'at' (one event time) or 'window' with 'stat'; got "
                             f"{short_repr(dict(spec))}.", table=table)
        if "at" in spec:
            if not _whole(spec["at"]) or "stat" in spec:
                raise StepFailed(f"'{key}.at' must be a whole number of periods (e.g. 2), without 'stat'; got "
                                 f"{short_repr(dict(spec))}.", table=table)
            specs.append(_Horizon(name, spec["value"], int(spec["at"]), int(spec["at"]), None))
            continue
        window, stat = spec["window"], spec.get("stat")
        if not (isinstance(window, (list, tuple)) and len(window) == 2 and all(_whole(w) for w in window)
                and window[0] <= window[1]):
            raise StepFailed(f"'{key}.window' must be [first, last] event times, whole numbers with first <= last "
                             f"(e.g. [1, 4]); got {short_repr(window)}.", table=table)
        if stat not in STATS:
            raise StepFailed(f"'{key}.stat' must be one of {list(STATS)}; got {short_repr(stat)}."
                             + (suggest(stat, STATS) if isinstance(stat, str) else ""), table=table)
        specs.append(_Horizon(name, spec["value"], int(window[0]), int(window[1]), stat))
    return specs


def _panel_values(ws: Workspace, panel: str, unit: str, time: str, spec: _Horizon) -> tuple[np.ndarray, str]:
    """The value column as float (NaN = missing) and its kind: 'bool', 'int' or 'float'."""
    s = ws.frames[panel][spec.value]
    if pd.api.types.is_bool_dtype(s):
        kind = "bool"
    elif pd.api.types.is_integer_dtype(s):
        kind = "int"
    elif pd.api.types.is_numeric_dtype(s):
        kind = "float"
    else:
        raise StepFailed(f"'columns.{spec.name}.value': column {spec.value!r} of the panel holds {s.dtype} values, not "
                         "numbers or 0/1; recode or derive it first.", table=panel, column=spec.value)
    values = s.to_numpy(dtype=float, na_value=np.nan)
    if spec.stat in ("any", "all", "share"):
        bad = ~np.isnan(values) & (values != 0) & (values != 1)
        if bad.any():
            frame = ws.frames[panel].loc[bad, [unit, time, spec.value]].head(N_EXAMPLES)
            shown = "; ".join(f"{unit} {format_value(u)}, {time} {format_value(t)}: {format_value(v)}"
                              for u, t, v in frame.itertuples(index=False))
            raise StepFailed(f"'columns.{spec.name}': stat {spec.stat} needs a 0/1 value, but {spec.value!r} is "
                             f"something else in {_plural(int(bad.sum()), 'row')} ({shown}); derive a 0/1 column first "
                             f"({{step: derive, table: {panel}, columns: {{employed: \"earnings > 0\"}}}}).",
                             table=panel, column=spec.value,
                             rows=example_ids(bad, ws.frames[panel][unit], N_EXAMPLES))
    return values, kind


def _horizon(spec: _Horizon, link: _Link, values: np.ndarray, kind: str, n: int, missing: str) -> pd.Series:
    """One column of the person table: the value at one event time, or a statistic over a window."""
    sel = link.timed & (link.event >= spec.first) & (link.event <= spec.last)
    sel &= ~np.isnan(values)
    code, v = link.code[sel], values[sel]
    counts = np.bincount(code, minlength=n)  # periods of the window observed with a value
    if spec.stat is None:
        result = np.full(n, np.nan)
        result[code] = v  # one panel row per unit and period: at most one value
        valid = counts == 1
    else:
        width = spec.last - spec.first + 1
        valid = counts == width if missing == "strict" else counts > 0
        total = np.bincount(code, weights=v, minlength=n)
        with np.errstate(invalid="ignore", divide="ignore"):
            result = {"any": (total > 0).astype(float), "all": (total == counts).astype(float),
                      "share": total / counts, "mean": total / counts, "sum": total}[spec.stat]
    result = np.where(valid, result, np.nan)
    if spec.stat in ("any", "all") or (kind != "float" and spec.stat in (None, "sum")):
        dtype = "boolean" if kind == "bool" and spec.stat is None else "Int64"
        return pd.Series(result).astype(dtype)
    return pd.Series(result, dtype=float)


@register_step("horizons")
def horizons(ws: Workspace, *, panel: str, table: str, unit: str, time: str, reference: str,
             columns: Mapping[str, Mapping[str, object]], missing: str = "strict") -> None:
    """Outcomes at horizons and pre-entry history, attached to the person table ``table``.

    ``columns`` maps each new column of ``table`` to ``{value: <panel column>, at: e}`` (the value
    at event time ``e``: the period ``reference + e``) or ``{value: <panel column>, window: [a, b],
    stat: any|all|share|sum|mean}`` over the event times ``a`` to ``b`` (``any``, ``all`` and
    ``share`` need a 0/1 value). Event time is ``time - reference`` (``reference`` is the person
    table's period column, ``time`` the panel's; integer period indexes). Examples: employed two
    quarters after entry ``{value: employed, at: 2}``, share of quarters employed in the year
    before ``{value: employed, window: [-4, -1], stat: share}``, earnings ``stat: sum``.

    ``missing: strict`` (default): the result is missing if any period of the window has no panel
    row or a missing value (missing is not 0). ``missing: observed``: over the periods observed
    with a value, missing if there is none. Persons without a reference period, or absent from the
    panel, get missing results; both are counted in the flow.
    """
    if missing not in MISSING:
        raise StepFailed(f"'missing' must be one of {list(MISSING)}; got {short_repr(missing)}."
                         + (suggest(missing, MISSING) if isinstance(missing, str) else ""), table=table)
    tframe = ws.get(table)
    specs = _horizon_specs(columns, table, tframe.columns)
    link = _link(ws, panel, table, unit, time, reference, "table")
    ws.columns(panel, [s.value for s in specs], "columns.value")
    n = len(tframe)
    if n and len(ws.frames[panel]) and not link.in_panel.any():
        raise StepFailed(f"'unit': no {unit} of table {table!r} is in panel {panel!r} (e.g. {unit} "
                         f"{', '.join(format_value(u) for u in tframe[unit].head(3))} in {table!r}, "
                         f"{', '.join(format_value(u) for u in ws.frames[panel][unit].head(3))} in {panel!r})."
                         + _type_hint(ws, panel, table, unit), table=table, column=unit,
                         rows=example_ids(np.ones(n, dtype=bool), ws.ids(table), N_EXAMPLES))
    out = tframe.copy()
    parts = []
    for spec in specs:
        values, kind = _panel_values(ws, panel, unit, time, spec)
        col = _horizon(spec, link, values, kind, n, missing)
        out[spec.name] = col.array
        parts.append(f"{spec.name} = {spec.describe()} ({int(col.isna().sum())} missing)")
    no_ref = link.ref_missing
    absent = ~link.in_panel & ~no_ref
    outside = len(pd.unique(ws.frames[panel][unit].to_numpy()[link.code < 0]))
    notes = [f"{_plural(int(no_ref.sum()), 'unit')} whose {reference} is missing: missing"] if no_ref.any() else []
    if absent.any():
        notes.append(f"{_plural(int(absent.sum()), 'unit')} absent from panel {panel!r}: missing")
    if outside:
        notes.append(f"{_plural(outside, 'panel unit')} not in {table!r} ignored")
    ws.put(table, out, f"horizons from {panel} ({missing}): " + "; ".join(parts + notes),
           examples=example_ids(no_ref | absent, ws.ids(table), N_EXAMPLES))
