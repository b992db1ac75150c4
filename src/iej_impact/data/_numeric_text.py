"""Columns used as numbers that hold text: classify the values, name them, suggest the parser.

A column read as text because some cells are not plain numbers (``abc`` typed into an age, a
decimal comma ``20,5`` in a file read without a parser, ``nc`` for "not communicated") must not
be used as something else: a covariate would silently become one dummy per value, an outcome
would not be a number at all. This module builds the one :class:`~iej_impact.errors.DataError`
shared by :func:`check_numeric` (below) (outcomes, weights, times, panel
covariates) and :func:`iej_impact.observational._design.design_matrix` (covariates of every model): the column,
the offending values with their counts, example rows, and the ``parse:`` declaration that reads
them when they are numbers in a regional format.

The suggestion is only a hint in a message; nothing is converted here.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .._validation import describe_rows, example_rows
from ..errors import DataError
from ._parsing import NC_VALUES, _parse_number_text

__all__ = ["check_numeric", "number_like", "plain_number", "text_number_error", "mixed_text_numbers"]

MAX_VALUES = 5


def plain_number(v: object) -> bool:
    """A number, or text that Python's ``float`` reads (``"12"``, ``" 1.5 "``; not ``""``, not ``"1,5"``)."""
    if isinstance(v, (bool, np.bool_)):
        return False
    if isinstance(v, (int, float, np.integer, np.floating)):
        return True
    if isinstance(v, str):
        try:
            float(v.strip())
        except ValueError:
            return False
        return v.strip() != ""
    return False


def _styled_number(v: object, style: str) -> bool:
    """True when ``v`` is text that the ``fr``/``en`` number parser reads as a value (not empty, not "nc")."""
    if not isinstance(v, str):
        return False
    tok = _parse_number_text(v, style)  # type: ignore[arg-type]
    return tok.bad is None and not tok.nc and not math.isnan(tok.value)


def number_like(v: object) -> bool:
    """A number, or text that reads as one (plain, or in the French or English written style)."""
    return plain_number(v) or _styled_number(v, "fr") or _styled_number(v, "en")


def _suggest_parser(bad: list[object]) -> str | None:
    """``fr_number`` / ``en_number`` when the non-numeric values read as numbers in that style."""
    texts = [v for v in bad if isinstance(v, str)]
    if not texts:
        return None
    if any(v.strip().casefold() in NC_VALUES for v in texts):
        return "fr_number"
    fr = [v for v in texts if _styled_number(v, "fr")]
    en = [v for v in texts if _styled_number(v, "en")]
    if fr and len(fr) >= len(en):
        return "fr_number"
    if en:
        return "en_number"
    return None


def _value_counts(s: pd.Series, values: list[object]) -> str:
    counts = s[s.isin(values)].value_counts(sort=True)
    shown = [f"{v!r} ({n} row{'s' if n != 1 else ''})" for v, n in counts.head(MAX_VALUES).items()]
    more = len(counts) - MAX_VALUES
    return ", ".join(shown) + (f" and {more} more value{'s' if more != 1 else ''}" if more > 0 else "")


def text_number_error(
    data: pd.DataFrame, column: str, func: str, *, role: str = "column", categorical_hint: bool = False
) -> DataError:
    """The DataError for a column that must be numeric but holds text.

    Names the non-numeric values with their counts and example rows, and the ``parse:`` option that
    reads them when they are numbers written with a decimal comma or thousands separators.
    ``categorical_hint`` adds how to declare the column a category instead (covariates).
    """
    s = data[column]
    values = list(pd.unique(s.dropna()))
    bad = [v for v in values if not plain_number(v)]
    where = f"{func}(): {role} '{column}'"
    if not bad:  # every value is a number, stored as text
        msg = (f"{where} holds numbers stored as text (dtype {s.dtype}); it is not used as a number without being "
               f"declared: convert it first (pandas.to_numeric)")
        mask = s.notna().to_numpy()
    elif categorical_hint and s.isin([v for v in bad if not number_like(v)]).sum() > s.notna().sum() / 2:
        # mostly words: a category whose codes include numbers, or numbers typed into a text column
        nums = [v for v in values if number_like(v)]
        mask = s.isin(nums).to_numpy()
        msg = (f"{where} is text but {int(mask.sum())} of {len(s)} rows hold numbers: {_value_counts(s, nums)}; "
               f"in {describe_rows(data, mask)}. A column mixing text and numbers is not taken as a category "
               f"without being declared one: correct the values in the source")
    else:
        mask = s.isin(bad).to_numpy()
        msg = (f"{where} must be numeric but is read as text: {int(mask.sum())} of {len(s)} rows hold values that are "
               f"not numbers: {_value_counts(s, bad)}; in {describe_rows(data, mask)}.")
        parser = _suggest_parser(bad)
        if parser is not None:
            what = {"fr_number": "numbers written the French way (decimal comma, spaces between thousands, 'nc')",
                    "en_number": "numbers with comma-separated thousands"}[parser]
            msg += (f" They look like {what}: declare the column's parser, parse: {{{column}: {parser}}} "
                    f"(load_data(..., parse={{'{column}': '{parser}'}}) in Python)")
        else:
            msg += (" Correct these values in the source, or leave those cells empty (read as missing) and drop the "
                    f"rows explicitly (sample: dropna: [{column}])")
    if categorical_hint:
        msg += (f"; if '{column}' is instead a category (codes that look like numbers), declare it so, parse: "
                f"{{{column}: category}} (or a pandas Categorical column in Python), to get one indicator per value")
    return DataError(msg + ".", column=column, rows=example_rows(data, mask))


def mixed_text_numbers(s: pd.Series) -> bool:
    """True when a text (object/string) column is not plainly a category.

    That is: some of its values read as numbers and some are not plain numbers, i.e. numbers with
    stray text (a typo, "nc") or numbers written with a decimal comma or thousands separators. Such
    a column is either numeric and misread, or a category whose codes look like numbers, which has
    to be declared one. A text column holding plain numbers only (``"1"``, ``"2"``...) stays a
    category: it cannot come out of a file read without declaring it text, and in Python
    ``astype(str)`` is the usual way to ask for R's ``factor()``.
    """
    values = pd.unique(s.dropna())
    if all(plain_number(v) for v in values):
        return False
    return any(number_like(v) for v in values)


def check_numeric(data: pd.DataFrame, column: str, func: str, *, allow_missing: bool = False) -> np.ndarray:
    """Return a float array for ``column``; raise on non-numeric content, infinite values or (unless allowed) NaN."""
    s = data[column]
    if pd.api.types.is_bool_dtype(s):
        s = s.astype(float)
    if not pd.api.types.is_numeric_dtype(s):
        raise text_number_error(data, column, func)
    arr = s.to_numpy(dtype=float, na_value=np.nan)
    if np.isinf(arr).any():
        mask = np.isinf(arr)
        raise DataError(
            f"{func}(): column '{column}' has infinite values (inf or -inf) in {describe_rows(data, mask)}; "
            "they are not measurements (often a division by zero upstream). Correct them in the source, or set them "
            "to missing and drop those rows with a sample filter.",
            column=column,
            rows=example_rows(data, mask),
        )
    if not allow_missing and np.isnan(arr).any():
        mask = np.isnan(arr)
        raise DataError(
            f"{func}(): column '{column}' has missing values in {describe_rows(data, mask)}. "
            "Drop them with a sample filter or impute them first.",
            column=column,
            rows=example_rows(data, mask),
        )
    return arr
