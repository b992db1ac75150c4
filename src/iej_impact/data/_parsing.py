"""Deliberate parsers for French administrative extracts: numbers, shares, dates, yes/no flags.

Every parser is told the format (``style="fr"``, ``format="%d/%m/%Y"``...) and never guesses it:
a value that does not match the declared format raises :class:`ParseError` naming the column,
the number of offending values, examples of the raw text and the rows they sit in. This is what
the annexes of MDFSE-style reports need: amounts written
"1 298 429 €" with ordinary, non-breaking (U+00A0) or narrow no-break (U+202F) spaces, decimal
commas "56,4 %", approximations "~7 900 000" and "nc" (non communiqué) for missing values.

Parsing works on the distinct values of a column, so it stays fast on millions of rows. Which
parser reads which column is declared in :mod:`iej_impact.data._parser_specs`; quarters and months
are read by :mod:`iej_impact.data._periods`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, NamedTuple

import numpy as np
import pandas as pd

from .._validation import truthy
from ..errors import ParseError, ScaleError, SpecificationError
from ._rows import MAX_EXAMPLES, describe_mask, example_ids, row_labels

__all__ = [
    "ParsedNumber",
    "ShareScaleError",
    "parse_number",
    "parse_share",
    "parse_dates",
    "parse_bool",
    "parse_text",
    "value_examples",
    "NC_VALUES",
]

NumberStyle = Literal["fr", "en"]
ShareScale = Literal["fraction", "percent"]

#: text values that mean "non communiqué" (not communicated); compared case-insensitively
NC_VALUES: tuple[str, ...] = ("nc", "n.c.", "n.c", "n. c.", "non communiqué", "non communique")
#: prefixes marking an approximate value
_ESTIMATE_PREFIXES: tuple[str, ...] = ("~", "≈", "environ ", "env. ")
#: space characters used as thousands separators (space, no-break, narrow no-break, thin)
_SPACES = " \u00a0\u202f\u2009"
_MINUS = "-\u2212"
_UNIT_MULTIPLIERS: tuple[tuple[str, int], ...] = (("Md€", 10**9), ("M€", 10**6), ("k€", 10**3), ("€", 1), ("EUR", 1))

_SEP = f"[{_SPACES}]"
_NUMBER_RE: dict[str, re.Pattern[str]] = {
    # groups of three separated by one kind of space, or plain digits; decimal comma
    "fr": re.compile(rf"^(?P<int>\d{{1,3}}(?P<sep>{_SEP})\d{{3}}(?:(?P=sep)\d{{3}})*|\d+)(?:,(?P<frac>\d+))?$"),
    # groups of three separated by commas or one kind of space, or plain digits; decimal point
    "en": re.compile(rf"^(?P<int>\d{{1,3}}(?P<sep>[,{_SPACES}])\d{{3}}(?:(?P=sep)\d{{3}})*|\d+)(?:\.(?P<frac>\d+))?$"),
}
_ISO_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_DMY_RE = re.compile(r"^\d{1,2}/\d{1,2}/\d{4}$")
_TRUE = ("1", "true", "vrai", "oui", "yes")
_FALSE = ("0", "false", "faux", "non", "no")


class ShareScaleError(ParseError, ScaleError):
    """Shares written on the 0-100 scale where fractions (0-1) were declared."""


def _names(series: pd.Series, column: str | None, rows: pd.Series | None) -> tuple[str | None, pd.Series]:
    """The column name (default: the series' name) and row identifiers used in messages."""
    return (column if column is not None else (str(series.name) if series.name is not None else None),
            row_labels(series, rows))


def _where(column: str | None) -> str:
    return f"column '{column}'" if column else "the series"


def value_examples(values: Iterable[object], k: int = MAX_EXAMPLES) -> str:
    """``'a', 'b', 'c' and 2 more``: distinct raw values quoted in a message."""
    vals = list(values)
    shown = ", ".join(repr(v) for v in vals[:k])
    return shown + (f" and {len(vals) - k} more" if len(vals) > k else "")


# --------------------------------------------------------------------------------------------
# Numbers and shares
# --------------------------------------------------------------------------------------------


class ParsedNumber(NamedTuple):
    """Result of :func:`parse_number`: the values and, per row, two flags.

    ``values`` is float64 (NaN for missing and "nc"); ``is_estimate`` is True where the text
    started with "~" (an approximation); ``is_nc`` is True where the text was "nc" / "n.c."
    (not communicated), as opposed to an empty cell.
    """

    values: pd.Series
    is_estimate: pd.Series
    is_nc: pd.Series


@dataclass(frozen=True, slots=True)
class _Token:
    value: float
    estimate: bool = False
    nc: bool = False
    percent: bool = False
    bad: str | None = None  # reason the text could not be parsed


def _parse_number_text(text: str, style: NumberStyle) -> _Token:
    raw = text
    s = text.strip(_SPACES)
    if s == "":
        return _Token(np.nan)
    if s.casefold() in NC_VALUES:
        return _Token(np.nan, nc=True)
    estimate = False
    for prefix in _ESTIMATE_PREFIXES:
        if s.casefold().startswith(prefix):
            estimate = True
            s = s[len(prefix):].strip(_SPACES)
            break
    percent = False
    multiplier = 1
    if s.endswith("%"):
        percent = True
        s = s[:-1].rstrip(_SPACES)
    else:
        for unit, mult in _UNIT_MULTIPLIERS:
            if s.endswith(unit):
                multiplier = mult
                s = s[: -len(unit)].rstrip(_SPACES)
                break
    sign = 1
    if s[:1] in _MINUS:
        sign = -1
        s = s[1:].lstrip(_SPACES)
    elif s[:1] == "+":
        s = s[1:].lstrip(_SPACES)
    m = _NUMBER_RE[style].match(s)
    if m is None:
        if style == "fr" and re.fullmatch(r"\d+\.\d+|\d{1,3}(?:\.\d{3})+", s):
            return _Token(np.nan, bad=f"{raw!r} uses '.', which is neither a decimal nor a thousands separator "
                                      "in style 'fr' (declare style 'en' if the file uses decimal points)")
        return _Token(np.nan, bad=f"{raw!r} is not a {style} number")
    digits = m.group("int")
    for ch in _SPACES + ",":
        digits = digits.replace(ch, "")
    number = Decimal(digits + ("." + m.group("frac") if m.group("frac") else ""))
    value = float(sign * number * multiplier)
    return _Token(value, estimate=estimate, percent=percent)


def _tokens(series: pd.Series, style: NumberStyle) -> dict[object, _Token]:
    """Parse the distinct values of ``series``: value -> token."""
    table: dict[object, _Token] = {}
    for v in pd.unique(series.dropna()):
        if isinstance(v, (bool, np.bool_)):
            table[v] = _Token(np.nan, bad=f"{v!r} is a boolean, not a number")
        elif isinstance(v, (int, float, np.integer, np.floating)):
            table[v] = _Token(float(v))
        elif isinstance(v, str):
            table[v] = _parse_number_text(v, style)
        else:
            table[v] = _Token(np.nan, bad=f"{v!r} ({type(v).__name__}) is not a number")
    return table


def _check_style(style: object, func: str) -> None:
    if style not in ("fr", "en"):
        raise SpecificationError(f"the 'style' parameter of {func}() must be one of {{'fr', 'en'}}; got {style!r}.")


def _raise_bad(
    series: pd.Series,
    bad_values: Mapping[object, str],
    *,
    column: str | None,
    source: str | None,
    rows: pd.Series,
    what: str,
    fix: str,
) -> None:
    mask = series.isin(list(bad_values)).to_numpy()
    reasons = list(bad_values.values())
    raise ParseError(
        f"{_where(column)} has {len(bad_values)} distinct value{'s' if len(bad_values) != 1 else ''} that cannot be "
        f"read as {what}, in {describe_mask(mask, rows)}: "
        f"{'; '.join(reasons[:MAX_EXAMPLES])}{' ...' if len(reasons) > MAX_EXAMPLES else ''}. {fix}",
        column=column,
        rows=example_ids(mask, rows),
        source=source,
    )


def parse_number(
    series: pd.Series,
    *,
    style: NumberStyle = "fr",
    column: str | None = None,
    source: str | None = None,
    rows: pd.Series | None = None,
) -> ParsedNumber:
    """Parse numbers written as text in a declared style.

    Rules (``style="fr"``): the decimal separator is a comma; thousands are grouped by three with
    one kind of space (U+0020, U+00A0, U+202F or U+2009); a leading "~", "≈" or "environ" marks an
    approximation (``is_estimate``); "nc", "n.c." mean not communicated (NaN, ``is_nc``); a
    trailing "€"/"EUR" is dropped, "k€", "M€", "Md€" multiply by 10^3, 10^6, 10^9; a trailing "%"
    is dropped and the number is returned as written (use :func:`parse_share` for fractions).
    ``style="en"``: decimal point, thousands by commas or spaces. Values that are already numbers
    pass through; empty cells are NaN. Conversion goes through ``Decimal``, so "15,4 M€" is
    exactly 15 400 000.

    Parameters
    ----------
    series : the raw column.
    style : ``"fr"`` or ``"en"`` (never inferred).
    column, source : names used in error messages.
    rows : identifiers of the rows (aligned with ``series``) used in error messages; defaults to
        the index labels.

    Returns
    -------
    :class:`ParsedNumber` (values, is_estimate, is_nc), each aligned with ``series``.

    Raises
    ------
    ParseError : for any text that does not follow the declared style (e.g. "12.5" with
        ``style="fr"``, "1 29 8", "abc"), listing the values and example rows.

    Examples
    --------
    >>> parse_number(pd.Series(["1 298 429 €", "~7 900 000", "nc"])).values.tolist()
    [1298429.0, 7900000.0, nan]
    """
    _check_style(style, "parse_number")
    column, rows = _names(series, column, rows)
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        values = series.astype("float64")
        false = pd.Series(False, index=series.index)
        return ParsedNumber(values.rename(series.name), false.copy(), false.copy())
    table = _tokens(series, style)
    bad = {k: t.bad for k, t in table.items() if t.bad}
    if bad:
        _raise_bad(series, bad, column=column, source=source, rows=rows, what=f"numbers in style '{style}'",
                   fix="Correct these cells in the source or declare the right style ('fr' or 'en').")
    return _assemble(series, table)


def _assemble(series: pd.Series, table: Mapping[object, _Token]) -> ParsedNumber:
    values = series.map({k: t.value for k, t in table.items()}).astype("float64")
    est = pd.Series(truthy(series.map({k: t.estimate for k, t in table.items()})), index=series.index)
    nc = pd.Series(truthy(series.map({k: t.nc for k, t in table.items()})), index=series.index)
    return ParsedNumber(values.rename(series.name), est.rename(None), nc.rename(None))


def parse_share(
    series: pd.Series,
    *,
    style: NumberStyle = "fr",
    scale: ShareScale = "fraction",
    column: str | None = None,
    source: str | None = None,
    rows: pd.Series | None = None,
) -> pd.Series:
    """Parse shares and return fractions in [0, 1] (the data model stores shares as fractions).

    A value written with "%" is divided by 100 ("56,4 %" -> 0.564). A bare number is read on the
    declared ``scale``: ``"fraction"`` (default) expects 0-1, so a bare number above 1 is an
    error ("shares given as 0-100 instead of 0-1"), never silently rescaled; ``"percent"`` divides
    every bare number by 100. Numbers follow :func:`parse_number` with ``style``; "nc" and empty
    cells are NaN; approximate values ("~") are rejected.

    Raises
    ------
    ParseError : unparseable text, bare numbers above 1 on the fraction scale (with the count and
        examples), approximations, or shares outside [0, 1] after scaling.

    Examples
    --------
    >>> parse_share(pd.Series(["56,4 %", "0,2"])).tolist()
    [0.564, 0.2]
    """
    _check_style(style, "parse_share")
    if scale not in ("fraction", "percent"):
        raise SpecificationError(
            f"the 'scale' parameter of parse_share() must be one of {{'fraction', 'percent'}}; got {scale!r}."
        )
    column, rows = _names(series, column, rows)
    table = _tokens(series, style)
    bad = {k: t.bad for k, t in table.items() if t.bad}
    if bad:
        _raise_bad(series, bad, column=column, source=source, rows=rows, what=f"shares in style '{style}'",
                   fix="Correct these cells in the source or declare the right style ('fr' or 'en').")
    approx = {k: f"{k!r} is approximate" for k, t in table.items() if t.estimate}
    if approx:
        _raise_bad(series, approx, column=column, source=source, rows=rows, what="exact shares",
                   fix="Approximate shares are not accepted: give the exact value or leave the cell empty.")
    if scale == "fraction":
        above = [k for k, t in table.items() if not t.percent and not np.isnan(t.value) and t.value > 1]
        if above:
            mask = series.isin(above).to_numpy()
            raise ShareScaleError(
                f"{_where(column)} is declared as a share on the 0-1 scale but {int(mask.sum())} bare "
                f"value{'s are' if mask.sum() != 1 else ' is'} above 1 ({value_examples(above)}), in "
                f"{describe_mask(mask, rows)}: shares given as 0-100 instead of 0-1. Write them with a '%' "
                "sign, divide them by 100, or declare the scale (parse_share(..., scale='percent'); in a "
                f"config: parse: {{{column or 'column'}: {{type: share, scale: percent}}}}).",
                column=column,
                rows=example_ids(mask, rows),
                source=source,
            )
    fractions: dict[object, float] = {}
    for k, t in table.items():
        divide = t.percent or scale == "percent"
        fractions[k] = float(Decimal(repr(t.value)) / 100) if divide and not np.isnan(t.value) else t.value
    out_of_range = [k for k, v in fractions.items() if not np.isnan(v) and (v < 0 or v > 1)]
    if out_of_range:
        mask = series.isin(out_of_range).to_numpy()
        raise ParseError(
            f"{_where(column)} has {int(mask.sum())} share{'s' if mask.sum() != 1 else ''} outside [0, 1] "
            f"({value_examples(out_of_range)}) in {describe_mask(mask, rows)}. A share must lie between 0 % "
            "and 100 %; correct the source.",
            column=column,
            rows=example_ids(mask, rows),
            source=source,
        )
    return series.map(fractions).astype("float64").rename(series.name)


# --------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------


def _format_label(fmt: str) -> str:
    return "ISO (YYYY-MM-DD)" if fmt == "iso" else repr(fmt)


def _declared_kind(fmt: str) -> str:
    """The family ('ISO (YYYY-MM-DD)', 'dd/mm/yyyy' or 'other') a declared format belongs to."""
    if fmt == "iso":
        return "ISO (YYYY-MM-DD)"
    try:
        return _classify_date_text(pd.Timestamp("2015-12-31").strftime(fmt))
    except ValueError:
        return "other"


def _classify_date_text(text: str) -> str:
    t = text.strip()
    if _ISO_DATE_RE.match(t):
        return "ISO (YYYY-MM-DD)"
    if _DMY_RE.match(t):
        return "dd/mm/yyyy"
    return "other"


def parse_dates(
    series: pd.Series,
    *,
    format: str = "%d/%m/%Y",
    column: str | None = None,
    source: str | None = None,
    rows: pd.Series | None = None,
) -> pd.Series:
    """Parse dates written in one declared format; strict.

    Parameters
    ----------
    series : the raw column (text, or datetimes that pass through).
    format : a ``strftime`` format such as ``"%d/%m/%Y"`` (default, the French convention) or
        ``"%Y-%m"``, or ``"iso"`` for ``YYYY-MM-DD`` (optionally followed by a time).
    column, source, rows : used in error messages (see :func:`parse_number`).

    Returns
    -------
    A ``datetime64`` series; empty cells are ``NaT``.

    Raises
    ------
    ParseError : when any value does not match the declared format, or is not a real calendar
        date ("31/02/2015"). A column mixing dd/mm/yyyy and ISO dates is reported as such: the
        format is never guessed value by value. Numbers (e.g. Excel serial dates) are rejected.

    Examples
    --------
    >>> parse_dates(pd.Series(["01/03/2015", ""])).dt.strftime("%Y-%m-%d").tolist()
    ['2015-03-01', nan]
    """
    if not isinstance(format, str) or not format:
        raise SpecificationError(f"the 'format' parameter of parse_dates() must be a strftime format or 'iso'; "
                                 f"got {format!r}.")
    column, rows = _names(series, column, rows)
    if pd.api.types.is_datetime64_any_dtype(series):
        return series
    converted: dict[object, pd.Timestamp] = {}
    bad: dict[object, str] = {}
    kinds: dict[str, list[object]] = {}
    texts: list[str] = []
    for v in pd.unique(series.dropna()):
        if isinstance(v, pd.Timestamp) or (hasattr(v, "year") and hasattr(v, "month") and hasattr(v, "day")):
            converted[v] = pd.Timestamp(v)  # type: ignore[arg-type]
        elif isinstance(v, str):
            if v.strip() == "":
                converted[v] = pd.NaT  # type: ignore[assignment]
            else:
                texts.append(v)
        else:
            bad[v] = f"{v!r} ({type(v).__name__}) is not a date written as text (an Excel serial number?)"
    if texts:
        stripped = pd.Series([t.strip() for t in texts], dtype=object)
        if format == "iso":
            ok = stripped.str.match(_ISO_DATE_RE).to_numpy(dtype=bool)
            parsed = pd.Series(pd.NaT, index=stripped.index, dtype="datetime64[ns]")
            if ok.any():
                parsed[ok] = pd.to_datetime(stripped[ok], format="ISO8601", errors="coerce")
        else:
            parsed = pd.to_datetime(stripped, format=format, errors="coerce")
        for text, stamp in zip(texts, parsed, strict=True):
            if pd.isna(stamp):
                kind = _classify_date_text(text)
                kinds.setdefault(kind, []).append(text)
                bad[text] = f"{text!r}"
            else:
                converted[text] = stamp
    if bad:
        mask = series.isin(list(bad)).to_numpy()
        declared = _format_label(format)
        own_kind = _declared_kind(format)
        n_ok = int((series.notna() & ~series.isin(list(bad))).sum())
        parts = []
        n_values = len(bad)
        for kind, vals in kinds.items():
            n = len(vals)
            if kind == own_kind:
                parts.append(f"{n} {'is not a real calendar date' if n == 1 else 'are not real calendar dates'} "
                             f"({value_examples(vals, 3)})")
            elif kind == "other":
                parts.append(f"{n} {'matches' if n == 1 else 'match'} no date format ({value_examples(vals, 3)})")
            else:
                parts.append(f"{n} {'is a date' if n == 1 else 'are dates'} in {kind} ({value_examples(vals, 3)})")
        others = [v for k, v in bad.items() if not isinstance(k, str)]
        if others:
            parts.append(f"{len(others)} {'is' if len(others) == 1 else 'are'} not text: {'; '.join(others[:3])}")
        foreign = [k for k in kinds if k not in (own_kind, "other")]
        mixed = " The column mixes date formats." if foreign and (n_ok or len(kinds) > 1) else ""
        message = (
            f"{_where(column)} cannot be read with the declared date format {declared} in "
            f"{describe_mask(mask, rows)}. Of the {n_values} distinct value{'s' if n_values != 1 else ''} concerned, "
            f"{'; '.join(parts)}.{mixed} A column must use one declared format and dates are never guessed: fix these "
            f"cells in the source, or declare the right format (e.g. parse: {{{column or 'column'}: 'date:%d/%m/%Y'}} or "
            "'date:iso')."
        )
        raise ParseError(message, column=column, rows=example_ids(mask, rows), source=source)
    out = series.map(converted)
    return pd.to_datetime(out).rename(series.name)


# --------------------------------------------------------------------------------------------
# Booleans
# --------------------------------------------------------------------------------------------


def parse_bool(
    series: pd.Series,
    *,
    column: str | None = None,
    source: str | None = None,
    rows: pd.Series | None = None,
) -> pd.Series:
    """Parse yes/no flags into a nullable ``boolean`` series.

    Accepted, case-insensitively: ``1/0``, ``true/false``, ``vrai/faux``, ``oui/non``,
    ``yes/no`` (and real booleans or the numbers 0 and 1). Empty cells are ``<NA>``; anything
    else raises :class:`ParseError` (use ``codes:`` for other vocabularies).
    """
    column, rows = _names(series, column, rows)
    table: dict[object, object] = {}
    bad: dict[object, str] = {}
    for v in pd.unique(series.dropna()):
        if isinstance(v, (bool, np.bool_)):
            table[v] = bool(v)
        elif isinstance(v, (int, float, np.integer, np.floating)) and float(v) in (0.0, 1.0):
            table[v] = bool(float(v))
        elif isinstance(v, str) and v.strip().casefold() in _TRUE:
            table[v] = True
        elif isinstance(v, str) and v.strip().casefold() in _FALSE:
            table[v] = False
        elif isinstance(v, str) and v.strip() == "":
            table[v] = pd.NA
        else:
            bad[v] = repr(v)
    if bad:
        _raise_bad(series, bad, column=column, source=source, rows=rows, what="yes/no flags",
                   fix=f"Accepted: {', '.join(_TRUE)} / {', '.join(_FALSE)}; map other spellings with "
                       "codes: {column: {raw: true/false}}.")
    return series.map(table).astype("boolean").rename(series.name)


# --------------------------------------------------------------------------------------------
# Text
# --------------------------------------------------------------------------------------------


def parse_text(
    series: pd.Series,
    *,
    column: str | None = None,
    source: str | None = None,
    rows: pd.Series | None = None,
) -> pd.Series:
    """Keep a column as text, as written: codes that look like numbers (``1``, ``01``, ``2A``).

    A declared parser makes a CSV or Excel reader read the column as text, so each cell is its
    text as written in the file (``01`` stays ``'01'``). Values that are already numbers (Parquet,
    Stata, SAS files, DataFrames) become the digits of a whole number (``1`` and ``1.0`` give
    ``'1'``). Empty cells stay missing; text is kept as is (not trimmed).

    Raises
    ------
    ParseError : a value that is neither text nor a whole number (a fraction, a boolean, a date),
        since its text form would be a guess.
    """
    column, rows = _names(series, column, rows)
    table: dict[object, object] = {}
    bad: dict[object, str] = {}
    for v in pd.unique(series.dropna()):
        shown = v.item() if isinstance(v, np.generic) else v
        if isinstance(v, str):
            table[v] = v
        elif isinstance(v, (bool, np.bool_)):
            bad[v] = f"{shown!r} is a boolean"
        elif isinstance(v, (int, np.integer)) or (isinstance(v, (float, np.floating)) and float(v).is_integer()):
            table[v] = str(int(v))
        else:
            bad[v] = f"{shown!r} ({type(shown).__name__}) has no single text form"
    if bad:
        _raise_bad(series, bad, column=column, source=source, rows=rows, what="text codes",
                   fix="Only text and whole numbers are kept as text; correct these cells or export the column as text.")
    return series.map(table).astype(object).rename(series.name)
