"""Quarters and months of administrative employment panels as consecutive integer periods.

``parse: {col: "period:quarter"}`` or ``"period:month"`` (see :mod:`iej_impact.data._parser_specs`)
reads quarters written ``2012T1`` (French trimestre), ``2012Q1``, ``2012-Q1``, months ``2012-03``,
``03/2012``, ``201203`` and dates into one integer period index, so that a parsed column can be the
``time`` of the DiD estimators, which need numbers. Like the other parsers of
:mod:`iej_impact.data._parsing`, it never guesses: anything it cannot read unambiguously is a
:class:`ParseError` naming the column, the values with their counts and example rows.
"""

from __future__ import annotations

import re
from typing import Literal, NamedTuple

import numpy as np
import pandas as pd

from ..errors import ParseError, SpecificationError
from ._parsing import _DMY_RE, _ISO_DATE_RE, _names, _raise_bad, _where, value_examples
from ._rows import describe_mask, example_ids

__all__ = ["PeriodUnit", "parse_periods"]

PeriodUnit = Literal["quarter", "month"]

#: ``2012T1`` (trimestre), ``2012Q1``, ``2012-Q1``, ``2012-T1``; the digit is checked afterwards
_QUARTER_RE = re.compile(r"^(?P<year>\d{4})-?[QqTt](?P<n>\d{1,2})$")
#: ``2012-03``, ``03/2012`` (or ``3/2012``), ``201203``; the month is checked afterwards
_MONTH_RES: tuple[re.Pattern[str], ...] = (
    re.compile(r"^(?P<year>\d{4})-(?P<n>\d{2})$"),
    re.compile(r"^(?P<n>\d{1,2})/(?P<year>\d{4})$"),
    re.compile(r"^(?P<year>\d{4})(?P<n>\d{2})$"),
)
_PERIODS_PER_YEAR = {"quarter": 4, "month": 12}


class _PeriodToken(NamedTuple):
    index: int | None  # the period index, None when the value is refused
    kind: str  # 'quarter', 'month' (months and dates) or the reason for a refusal


def _period_index(year: int, month: int, unit: PeriodUnit) -> int:
    """The period index of a calendar month: ``4*year + quarter - 1`` or ``12*year + month - 1``."""
    return 4 * year + (month - 1) // 3 if unit == "quarter" else 12 * year + month - 1


def _read_period_text(text: str, unit: PeriodUnit) -> _PeriodToken:
    s = text.strip()
    m = _QUARTER_RE.match(s)
    if m:
        year, n = int(m.group("year")), int(m.group("n"))
        if not 1 <= n <= 4:
            return _PeriodToken(None, f"no quarter {n} exists")
        if unit == "month":
            return _PeriodToken(None, "a quarter, not a month")
        return _PeriodToken(4 * year + n - 1, "quarter")
    for pattern in _MONTH_RES:
        m = pattern.match(s)
        if m:
            year, n = int(m.group("year")), int(m.group("n"))
            if not 1 <= n <= 12:
                return _PeriodToken(None, f"no month {n} exists")
            return _PeriodToken(_period_index(year, n, unit), "month")
    if _ISO_DATE_RE.match(s):
        stamp = pd.to_datetime(s, format="ISO8601", errors="coerce")
        if pd.isna(stamp):
            return _PeriodToken(None, "not a real calendar date")
        return _PeriodToken(_period_index(stamp.year, stamp.month, unit), "month")
    if re.fullmatch(r"\d{4}", s):
        return _PeriodToken(None, f"a year alone, not a {unit}")
    if _DMY_RE.match(s):
        return _PeriodToken(None, "a dd/mm/yyyy date (not an accepted form)")
    return _PeriodToken(None, f"no {unit} form")


def _read_period_value(v: object, unit: PeriodUnit) -> _PeriodToken:
    shown = v.item() if isinstance(v, np.generic) else v
    if isinstance(v, str):
        return _read_period_text(v, unit) if v.strip() else _PeriodToken(None, "")
    if isinstance(v, pd.Period):
        code = v.freqstr[:1]
        if code == "Q" and v.freqstr in ("Q", "Q-DEC"):
            return (_PeriodToken(4 * v.year + v.quarter - 1, "quarter") if unit == "quarter"
                    else _PeriodToken(None, "a quarter, not a month"))
        if code == "M" and v.freqstr == "M":
            return _PeriodToken(_period_index(v.year, v.month, unit), "month")
        return _PeriodToken(None, f"a period of frequency {v.freqstr!r}, not a {unit}")
    if isinstance(v, (bool, np.bool_)):
        return _PeriodToken(None, "a boolean")
    if isinstance(v, (int, np.integer)) or (isinstance(v, (float, np.floating)) and float(v).is_integer()):
        return _read_period_text(str(int(v)), unit)  # 201203 as a number is the text 201203
    if isinstance(v, pd.Timestamp) or (hasattr(v, "year") and hasattr(v, "month") and hasattr(v, "day")):
        stamp = pd.Timestamp(v)  # type: ignore[arg-type]
        return _PeriodToken(_period_index(stamp.year, stamp.month, unit), "month")
    return _PeriodToken(None, f"a {type(shown).__name__}, not a {unit}")


def parse_periods(
    series: pd.Series,
    *,
    unit: PeriodUnit = "quarter",
    column: str | None = None,
    source: str | None = None,
    rows: pd.Series | None = None,
) -> pd.Series:
    """Parse quarters or months into consecutive integer period indexes (nullable ``Int64``).

    Convention: a quarter is ``4*year + quarter - 1`` (``2012T1`` is 8048, ``2012T4`` 8051, ``2013T1``
    8052) and a month is ``12*year + month - 1`` (``2012-03`` is 24146); back to the calendar with
    ``divmod(index, 4)`` or ``divmod(index, 12)`` (the year and the quarter or month minus one).
    Consecutive periods differ by one, so a parsed column can be the ``time`` (or cohort) of
    ``att_gt``, ``event_study`` and ``twfe``: event times count quarters or months, also across years.

    Accepted: quarters ``2012T1`` (French trimestre), ``2012Q1``, ``2012-Q1``, ``2012-T1``; months
    ``2012-03``, ``03/2012``, ``201203`` (also as the number 201203); ISO dates ``2012-03-15``
    (optionally with a time), datetimes and pandas monthly or quarterly Periods. A month or a date
    read with ``unit="quarter"`` gives its quarter (``2012-03`` is ``2012T1``). Spellings of the same
    granularity may be mixed (``2012T1`` and ``2012Q2``, or ``2012-03`` and ``04/2012``). Empty cells
    stay missing (``<NA>``, never 0).

    Raises
    ------
    ParseError : a quarter or month that does not exist (``2012T5``, ``13/2012``), a year alone
        (``2012``), a quarter read with ``unit="month"``, a column mixing quarter forms with month or
        date forms (whether ``2012-03`` meant a month or a quarter would be a guess), dd/mm/yyyy
        dates, fractions and booleans.

    Examples
    --------
    >>> parse_periods(pd.Series(["2012T1", "2012-Q2", None])).tolist()
    [8048, 8049, <NA>]
    """
    if unit not in _PERIODS_PER_YEAR:
        raise SpecificationError(
            f"the 'unit' parameter of parse_periods() must be one of {{'quarter', 'month'}}; got {unit!r}."
        )
    column, rows = _names(series, column, rows)
    if pd.api.types.is_datetime64_any_dtype(series):
        stamps = series.dropna()
        index = (4 * stamps.dt.year + (stamps.dt.month - 1) // 3 if unit == "quarter"
                 else 12 * stamps.dt.year + stamps.dt.month - 1)
        return index.reindex(series.index).astype("Int64").rename(series.name)
    tokens = {v: _read_period_value(v, unit) for v in pd.unique(series.dropna())}
    refused = [k for k, t in tokens.items() if t.index is None and t.kind]
    if refused:
        counts = series[series.isin(refused)].value_counts(dropna=True)
        bad = {}
        for k in refused:
            shown = k.item() if isinstance(k, np.generic) else k
            n = int(counts.get(k, 0))
            bad[k] = f"{shown!r} ({n} row{'s' if n != 1 else ''}): {tokens[k].kind}"
        _raise_bad(series, bad, column=column, source=source, rows=rows, what=f"{unit}s",
                   fix=f"Accepted: {'quarters 2012T1, 2012Q1, 2012-Q1; ' if unit == 'quarter' else ''}months "
                       "2012-03, 03/2012, 201203; ISO dates 2012-03-15. Periods are never guessed: correct these "
                       "cells in the source.")
    kinds: dict[str, list[object]] = {}
    for k, t in tokens.items():
        if t.index is not None:
            kinds.setdefault(t.kind, []).append(k)
    if len(kinds) > 1:
        mask = series.isin(kinds["month"]).to_numpy()
        n_q = int(series.isin(kinds["quarter"]).sum())
        raise ParseError(
            f"{_where(column)} mixes quarters ({value_examples(kinds['quarter'], 3)}: {n_q} "
            f"row{'s' if n_q != 1 else ''}) with months or dates ({value_examples(kinds['month'], 3)}: "
            f"{describe_mask(mask, rows)}); whether a month stands for its quarter is not guessed. Write the "
            "column in one form in the source (all quarters, or all months or dates).",
            column=column,
            rows=example_ids(mask, rows),
            source=source,
        )
    table = {k: t.index for k, t in tokens.items()}
    return series.map(table).astype("Int64").rename(series.name)
