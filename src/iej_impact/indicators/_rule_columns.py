"""The inputs of the indicator rules: their options, one reader per kind of participation column,
and the table of flags under construction.

Each reader (dates, coded columns, yes/no flags, numbers) returns numpy arrays aligned with the
rows and refuses a value it cannot read with the toolkit's data errors, naming the column, the
values and example rows, prefixed by the calling function (``programme_indicators()``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._validation import describe_rows, example_rows
from ..data import _datamodel as datamodel
from ..errors import DataError, DateOrderError, ParseError, UnknownCodeError
from ._messages import Counted, Message

__all__ = ["RuleOptions", "FlagTable", "Coded", "where_of", "read_dates", "read_coded", "has_code", "read_flag",
           "read_number", "completed_years", "raise_order"]

_TRUE = {"true", "1", "1.0", "yes", "oui"}
_FALSE = {"false", "0", "0.0", "no", "non"}


@dataclass(frozen=True)
class RuleOptions:
    """Options of the rules (set by :func:`iej_impact.programme_indicators`)."""

    func: str = "programme_indicators"
    reference_date: pd.Timestamp | None = None
    upon_leaving_days: int = 28
    late_exit_status: str = "error"
    six_month_window_days: int = 31
    weights: str | None = "sample_weight_6m"
    isced_map: str = "isced2011"
    yei_age: tuple[int, int] = (16, 25)
    source: str | None = None


@dataclass
class FlagTable:
    """The rule flags under construction for a checked participations table (see ``prepare``)."""

    df: pd.DataFrame
    opts: RuleOptions
    flags: dict[str, np.ndarray]
    notes: list[Message]
    unavailable: dict[str, str] = field(default_factory=dict)
    coverage: list[dict[str, object]] = field(default_factory=list)
    warnings: list[tuple[type[Warning], Counted]] = field(default_factory=list)

    def has(self, column: str) -> bool:
        return column in self.df.columns

    def cover(self, column: str, missing: np.ndarray, among: np.ndarray, population: str) -> None:
        """Record how many rows of ``population`` (``among``) miss ``column`` (the coverage table)."""
        m = int(among.sum())
        self.coverage.append({"column": column, "population": population, "rows": m,
                              "missing": int((missing & among).sum()),
                              "share_missing": float((missing & among).sum() / m) if m else float("nan")})


def where_of(opts: RuleOptions) -> str:
    """The prefix of messages: ``programme_indicators() [file]``."""
    return f"{opts.func}()" + (f" [{opts.source}]" if opts.source else "")


def read_dates(df: pd.DataFrame, col: str, opts: RuleOptions) -> pd.Series:
    """A date column as ``datetime64[ns]`` (time zones dropped, periods at their start); text must be ISO."""
    s = df[col]
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        s = s.dt.tz_localize(None)
    if pd.api.types.is_datetime64_any_dtype(s):
        return s.astype("datetime64[ns]")
    if isinstance(s.dtype, pd.PeriodDtype):
        return s.dt.to_timestamp().astype("datetime64[ns]")
    parsed = pd.to_datetime(s, errors="coerce", format="ISO8601")
    bad = parsed.isna() & s.notna() & s.astype(str).str.strip().ne("")
    if bad.any():
        values = pd.unique(s[bad].astype(str))[:5].tolist()
        raise ParseError(
            f"{where_of(opts)}: column '{col}' holds values that are not ISO dates (YYYY-MM-DD): {values} in "
            f"{describe_rows(df, bad)}. Parse French dates (dd/mm/yyyy) when loading, e.g. load_data(..., "
            f"parse={{'{col}': 'date_fr'}}).",
            column=col, rows=example_rows(df, bad), source=opts.source,
        )
    return parsed.astype("datetime64[ns]")


@dataclass(frozen=True)
class Coded:
    """Category codes of a coded column (-1 = missing) with the code list as categories."""

    codes: np.ndarray
    categories: pd.Index

    def values(self) -> np.ndarray:
        """Object array of codes (None where missing)."""
        return np.append(self.categories.to_numpy(dtype=object), None)[self.codes]


def read_coded(df: pd.DataFrame, col: str, listname: str, opts: RuleOptions) -> Coded:
    """A coded column against its code list; a value outside it raises UnknownCodeError (blank = missing)."""
    allowed = pd.Index(list(datamodel.codes(listname)), dtype=object)
    s = df[col]
    raw_codes, uniq = pd.factorize(s, use_na_sentinel=True)
    uniq_obj = pd.Index(uniq, dtype=object)
    pos = allowed.get_indexer(uniq_obj)
    blank = np.array([isinstance(u, str) and u.strip() == "" for u in uniq_obj], dtype=bool)
    bad_u = (pos < 0) & ~blank
    lookup = np.append(np.where(blank, -1, pos), -1)
    codes = lookup[raw_codes]
    if bad_u.any():
        unknown = np.isin(raw_codes, np.flatnonzero(bad_u))
        counts = s[unknown].astype(str).value_counts()
        shown = ", ".join(f"{v!r} ({n} row{'s' if n > 1 else ''})" for v, n in counts.head(10).items())
        raise UnknownCodeError(
            f"{where_of(opts)}: column '{col}' has values not in the '{listname}' code list (version "
            f"{datamodel.codelist_version(listname)}): {shown}; e.g. {describe_rows(df, unknown)}. Allowed: "
            f"{', '.join(map(str, allowed))}. Map raw values to canonical codes when loading "
            f"(codes: {{{col}: {{raw: CODE}}}}).",
            column=col, rows=example_rows(df, unknown), source=opts.source,
        )
    return Coded(codes.astype(np.int64), allowed)


def has_code(cat: Coded, *values: str) -> np.ndarray:
    """True where the code is one of ``values``."""
    idx = [cat.categories.get_loc(v) for v in values]
    return np.isin(cat.codes, idx)


def read_flag(df: pd.DataFrame, col: str, opts: RuleOptions) -> tuple[np.ndarray, np.ndarray]:
    """(value, known) arrays of a nullable boolean column."""
    s = df[col]
    if pd.api.types.is_bool_dtype(s) and not s.isna().any():
        v = s.to_numpy(dtype=bool)
        return v, np.ones(len(s), dtype=bool)
    if s.dtype == object:
        try:  # Python booleans with None/NaN (the common case) convert without text parsing
            b = s.astype("boolean")
            return b.fillna(False).to_numpy(dtype=bool), b.notna().to_numpy()
        except (TypeError, ValueError):
            pass
    known = s.notna().to_numpy().copy()
    if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
        num = s.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        bad = known & ~np.isin(num, (0.0, 1.0))
        value = num == 1.0
    else:
        text = s.astype(str).str.strip().str.lower()
        known &= text.ne("").to_numpy() & text.ne("none").to_numpy() & text.ne("nan").to_numpy()
        is_true = text.isin(_TRUE).to_numpy()
        is_false = text.isin(_FALSE).to_numpy()
        bad = known & ~is_true & ~is_false
        value = is_true
    if bad.any():
        values = pd.unique(s[bad].astype(str))[:8].tolist()
        raise DataError(
            f"{where_of(opts)}: column '{col}' must be boolean (True/False, 1/0, or empty for unknown); found "
            f"{values} in {describe_rows(df, bad)}. Recode it when loading (codes: {{{col}: {{raw: true/false}}}}).",
            column=col, rows=example_rows(df, bad), source=opts.source,
        )
    return value & known, known


def read_number(df: pd.DataFrame, col: str, opts: RuleOptions, *, low: float = 0.0, low_open: bool = False) -> np.ndarray:
    """A numeric column as floats (NaN where empty); text or values below ``low`` raise DataError."""
    s = df[col]
    num = pd.to_numeric(s, errors="coerce").astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    bad = np.isnan(num) & s.notna().to_numpy()
    out_of_range = ~np.isnan(num) & ((num <= low) if low_open else (num < low))
    if bad.any() or out_of_range.any():
        mask = bad | out_of_range
        values = pd.unique(s[mask].astype(str))[:8].tolist()
        op = ">" if low_open else ">="
        raise DataError(
            f"{where_of(opts)}: column '{col}' must be a number {op} {low:g} (or empty); found {values} in "
            f"{describe_rows(df, mask)}.",
            column=col, rows=example_rows(df, mask), source=opts.source,
        )
    return num


def completed_years(entry: pd.Series, birth: pd.Series) -> np.ndarray:
    """Age in completed years at ``entry`` (NaN where the birth date is missing)."""
    e = pd.DatetimeIndex(entry)
    b = pd.DatetimeIndex(birth)
    before = (e.month * 100 + e.day) < (b.month * 100 + b.day)
    age = (e.year - b.year - before.astype(int)).to_numpy(dtype=float)
    age[np.asarray(b.isna())] = np.nan
    return age


def raise_order(df: pd.DataFrame, mask: np.ndarray, message: str, column: str, opts: RuleOptions) -> None:
    """Raise DateOrderError naming the rows flagged by ``mask``, if any."""
    if mask.any():
        raise DateOrderError(
            f"{where_of(opts)}: {message} in {describe_rows(df, mask)}.", column=column,
            rows=example_rows(df, mask), source=opts.source,
        )
