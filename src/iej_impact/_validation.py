"""Argument and data checks shared by every public function.

Options are ``Literal`` aliases defined once here; checks raise :class:`SpecificationError`
(wrong argument) or :class:`DataError` (wrong data) with one message template:
what, where, the value found, and the fix.
"""

from __future__ import annotations

import contextvars
import difflib
import os
import reprlib
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Literal

import numpy as np
import pandas as pd

from .errors import DataError, SpecificationError

Estimand = Literal["ATE", "ATT", "ATC"]
ESTIMANDS: tuple[str, ...] = ("ATE", "ATT", "ATC")

#: columns used (in this order) to name example rows in error messages
ID_COLUMNS: tuple[str, ...] = ("participation_id", "person_id", "unit_id", "id")

MAX_EXAMPLES = 5


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def user_stacklevel() -> int:
    """``stacklevel`` for :func:`warnings.warn` that points at the first frame outside iej_impact.

    A warning should name the user's line (the call of ``psm`` in their script), however deep in
    the package it is raised and whatever wraps the public function (the constraint checks of
    :mod:`iej_impact._params`); counting frames by hand breaks whenever a helper moves. pandas
    does the same (``find_stack_level``).
    """
    frame = sys._getframe(1)
    level = 1
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
        level += 1
    return level


def short_repr(value: object, limit: int = 80) -> str:
    """``repr(value)`` for a message, at most ``limit`` characters.

    Containers are shown a few items and levels deep (``reprlib``), so a huge or deeply shared
    value (e.g. a YAML alias bomb) never makes a message grow with its size.
    """
    r = reprlib.Repr()
    r.maxlevel, r.maxdict, r.maxlist, r.maxtuple, r.maxset = 3, 4, 6, 6, 6
    r.maxstring = r.maxother = r.maxlong = limit
    try:
        text = r.repr(value)
    except Exception:  # a repr that fails must not hide the original error
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def suggest(value: object, allowed: Iterable[str]) -> str:
    """Return " Did you mean 'x'?" for the closest allowed string, or ''."""
    if not isinstance(value, (str, int, float)) or isinstance(value, bool) or len(str(value)) > 200:
        return ""
    match = difflib.get_close_matches(str(value), [str(a) for a in allowed], n=1, cutoff=0.6)
    return f" Did you mean '{match[0]}'?" if match else ""


def check_choice(name: str, value: object, allowed: Sequence[object], func: str) -> object:
    """Check that ``value`` is one of ``allowed``; return it.

    >>> check_choice("estimand", "ATT", ESTIMANDS, "psm")
    'ATT'
    """
    if value not in allowed:
        shown = "{" + ", ".join(repr(a) for a in allowed) + "}"
        raise SpecificationError(
            f"the '{name}' parameter of {func}() must be one of {shown}; got {short_repr(value)}."
            + suggest(value, [str(a) for a in allowed])
        )
    return value


def check_estimand(value: object, func: str, allowed: Sequence[str] = ESTIMANDS) -> str:
    """Check an estimand (case-insensitive) and return it upper-cased."""
    if isinstance(value, str):
        value = value.upper()
    return str(check_choice("estimand", value, tuple(allowed), func))


def check_number(
    name: str,
    value: object,
    func: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    integer: bool = False,
) -> float:
    """Check a scalar numeric argument lies in [low, high] (or (low, high] when ``low_open``)."""
    ok_type = isinstance(value, (int, np.integer)) if integer else isinstance(
        value, (int, float, np.integer, np.floating)
    )
    if isinstance(value, bool) or not ok_type:
        kind = "an integer" if integer else "a number"
        raise SpecificationError(f"the '{name}' parameter of {func}() must be {kind}; got {short_repr(value)}.")
    v = float(value)
    if not np.isfinite(v):
        raise SpecificationError(f"the '{name}' parameter of {func}() must be finite; got {short_repr(value)}.")
    if low is not None and (v < low or (low_open and v == low)):
        op = ">" if low_open else ">="
        raise SpecificationError(f"the '{name}' parameter of {func}() must be {op} {low}; got {short_repr(value)}.")
    if high is not None and v > high:
        raise SpecificationError(f"the '{name}' parameter of {func}() must be <= {high}; got {short_repr(value)}.")
    return v


def as_column_list(name: str, value: object, func: str) -> list[str]:
    """Accept a column name or a sequence of names; return a list of str."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable):
        out = list(value)
        bad = [v for v in out if not isinstance(v, str)]
        if bad:
            raise SpecificationError(
                f"the '{name}' parameter of {func}() must be column names (strings); got {short_repr(bad[:3])}."
            )
        return out
    raise SpecificationError(
        f"the '{name}' parameter of {func}() must be a column name or a list of column names; got {short_repr(value)}."
    )


def check_distinct_roles(func: str, outcome: object, treatment: object, covariates: Iterable[str] = ()) -> None:
    """The outcome, the treatment and the covariates must be different columns.

    A covariate equal to the outcome (or the treatment) is a post-treatment variable: adjusting for it
    removes the effect it should estimate, with exit 0 and no warning; the outcome equal to the
    treatment estimates nothing.
    """
    covs = set(covariates)
    if outcome == treatment or {outcome, treatment} & covs:
        raise SpecificationError(
            f"{func}(): the outcome {outcome!r}, the treatment {treatment!r} and the covariates must be different "
            "columns; a post-treatment variable or the treatment itself cannot be a covariate."
        )


def check_dataframe(data: object, func: str) -> pd.DataFrame:
    """Check ``data`` is a non-empty DataFrame."""
    if not isinstance(data, pd.DataFrame):
        raise SpecificationError(
            f"{func}() expects a pandas DataFrame as 'data'; got {type(data).__name__}. "
            "Load files with iej_impact.load_data()."
        )
    if len(data) == 0:
        raise DataError(f"{func}(): the data have no rows.")
    return data


def check_columns(data: pd.DataFrame, columns: Iterable[str], func: str, *, role: str = "column") -> None:
    """Raise a DataError naming every requested column that is absent (with a suggestion)."""
    missing = [c for c in columns if c not in data.columns]
    if missing:
        hints = "".join(suggest(c, map(str, data.columns)) for c in missing[:1])
        raise DataError(
            f"{func}(): {role}{'s' if len(missing) > 1 else ''} {', '.join(repr(c) for c in missing)} "
            f"not found in the data (columns are: {_short_list(data.columns)}).{hints}",
            column=missing[0],
        )


def truthy(values: pd.Series) -> np.ndarray:
    """Boolean array: each value's truth, missing counting as False.

    The same as ``values.fillna(False).astype(bool)``, which on an object column makes pandas 2.2
    warn that fillna's silent downcasting is deprecated; missing entries are left out instead.
    """
    present = values.notna().to_numpy()
    out = np.zeros(len(values), dtype=bool)
    out[present] = values[present].astype(bool).to_numpy()
    return out


def example_rows(data: pd.DataFrame, mask: np.ndarray | pd.Series, k: int = MAX_EXAMPLES) -> list[object]:
    """Identify up to ``k`` rows where ``mask`` is true: by an id column when there is one, else row label."""
    mask = np.asarray(mask, dtype=bool)
    idx = np.flatnonzero(mask)[:k]
    for col in ID_COLUMNS:
        if col in data.columns:
            return [_plain(v) for v in data[col].to_numpy()[idx]]
    return [_plain(v) for v in data.index.to_numpy()[idx]]


def describe_rows(data: pd.DataFrame, mask: np.ndarray | pd.Series) -> str:
    """Human text 'N rows (e.g. person_id P1, P2)' for the rows flagged by ``mask``."""
    mask = np.asarray(mask, dtype=bool)
    label = next((c for c in ID_COLUMNS if c in data.columns), "row")
    return rows_text(int(mask.sum()), label, example_rows(data, mask))


def rows_text(n: int, label: str, ids: Sequence[object]) -> str:
    """'N rows (e.g. person_id P1, P2)': ``n`` rows, identified by ``label``, with example ``ids``."""
    return f"{n} row{'s' if n != 1 else ''} (e.g. {label} {', '.join(map(str, ids))})"


def check_binary(data: pd.DataFrame, column: str, func: str, *, require_both: bool = True) -> np.ndarray:
    """Return the column as an int8 0/1 array; raise if it has other values, NaN, or one arm only."""
    s = data[column]
    if s.isna().any():
        raise DataError(
            f"{func}(): column '{column}' has missing values in {describe_rows(data, s.isna())}; "
            "drop or impute them first (e.g. with a sample filter).",
            column=column,
            rows=example_rows(data, s.isna()),
        )
    if pd.api.types.is_bool_dtype(s):
        arr = s.to_numpy(dtype=np.int8)
    else:
        values = pd.unique(s)
        bad = [v for v in values if not _is_01(v)]
        if bad:
            mask = ~s.isin([0, 1])
            raise DataError(
                f"{func}(): column '{column}' must be binary (0/1 or bool); found values "
                f"{sorted(map(_plain, values), key=str)[:10]} ({describe_rows(data, mask)}). Recode it first.",
                column=column,
                rows=example_rows(data, mask),
            )
        arr = s.to_numpy(dtype=float).astype(np.int8)
    if require_both:
        n1 = int(arr.sum())
        if n1 == 0 or n1 == len(arr):
            which = "no" if n1 == 0 else "only"
            raise DataError(
                f"{func}(): column '{column}' has no variation: {which} treated units "
                f"({n1} of {len(arr)} are 1). Both arms are needed.",
                column=column,
            )
    return arr


def check_covariates(data: pd.DataFrame, covariates: Sequence[str], func: str) -> None:
    """Each covariate must be present, not all-missing, and not constant."""
    check_columns(data, covariates, func, role="covariate")
    for c in covariates:
        s = data[c]
        if s.isna().all():
            raise DataError(f"{func}(): covariate '{c}' is missing for every row.", column=c)
        if s.nunique(dropna=True) < 2:
            raise DataError(
                f"{func}(): covariate '{c}' is constant (every row is {short_repr(_plain(s.dropna().iloc[0]))}); "
                "it carries no information; remove it from 'covariates'.",
                column=c,
            )


def _is_01(v: object) -> bool:
    try:
        return float(v) in (0.0, 1.0)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def _plain(v: object) -> object:
    """numpy scalar -> Python scalar (for messages and JSON)."""
    return v.item() if isinstance(v, np.generic) else v


def _short_list(items: Iterable[object], k: int = 12) -> str:
    items = list(items)
    head = ", ".join(map(str, items[:k]))
    return head + (f", ... ({len(items)} in all)" if len(items) > k else "")


# ---- sizes the machine can hold -------------------------------------------------------------
#: assumed physical memory when the operating system does not say (bytes)
_FALLBACK_MEMORY = 8 * 2**30


def physical_memory() -> int:
    """Physical memory of the machine in bytes (8 GiB when the system does not tell)."""
    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return _FALLBACK_MEMORY
    return int(pages * size) if pages > 0 and size > 0 else _FALLBACK_MEMORY


# ---- argument checks without estimating (``iej-impact validate``) ----------------------------
_DRY_RUN: contextvars.ContextVar[bool] = contextvars.ContextVar("iej_impact_dry_run", default=False)


class ArgumentsChecked(BaseException):
    """Raised by :func:`arguments_checked` in a dry run: the function's arguments passed its checks.

    A ``BaseException`` so that no ``except Exception`` on the way can swallow it.
    """


def arguments_checked() -> None:
    """Mark the end of a public function's argument and column checks (the estimation starts after).

    A no-op, except inside :func:`check_arguments`, where it stops the function there.
    """
    if _DRY_RUN.get():
        raise ArgumentsChecked


def check_arguments(func: Callable[..., Any], data: pd.DataFrame, **kwargs: Any) -> None:
    """Run ``func``'s own argument and column checks on ``data`` and stop before any estimation.

    Raises what the checks raise (SpecificationError, DataError); returns None when they pass.
    A function that reaches its end without calling :func:`arguments_checked` is a bug (it would
    have estimated): RuntimeError.
    """
    with _dry_run():
        try:
            func(data, **kwargs)
        except ArgumentsChecked:
            return
    raise RuntimeError(f"{getattr(func, '__name__', func)}() has no arguments_checked() point")


@contextmanager
def _dry_run() -> Iterator[None]:
    token = _DRY_RUN.set(True)
    try:
        yield
    finally:
        _DRY_RUN.reset(token)
