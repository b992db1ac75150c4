"""Column builders of the synthetic cohort's tables: identifiers, text, dates and nullable columns.

Each builder gives the same values on pandas 2 and 3 (and so the same CSV bytes): identifiers are
pandas string arrays built without a Python loop, missing text stays missing (never the strings
'None' or 'nan'), dates are day-precision values at pandas' default microsecond resolution, and
unknown booleans and integers are masked entries of pandas' nullable arrays.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd


def _ids(prefixes: Mapping[str, int], width: int = 7,
         first: Mapping[str, int] | None = None) -> pd.api.extensions.ExtensionArray:
    """'P0000001', ..., 'C0000001', ... as a pandas string array built without a Python loop.

    ``first`` gives the number of each prefix's first identifier (default 1).
    """
    start = {p: 1 for p in prefixes} | dict(first or {})
    parts = [prefix + pd.Series(np.arange(start[prefix], start[prefix] + n, dtype=np.int64)).astype("str").str.zfill(width)
             for prefix, n in prefixes.items()]
    return pd.concat(parts, ignore_index=True).astype("str").array


def _text(values: Any) -> pd.api.extensions.ExtensionArray:
    """A text column whose missing entries stay missing (never the strings 'None' or 'nan').

    ``astype("str")`` alone differs by pandas version: pandas 3 gives its ``str`` dtype with NaN for
    missing, pandas 2 gives object strings and writes None as 'None'. Masking afterwards keeps the
    missing entries missing on both (NaN in pandas 3's ``str``, None in pandas 2's object column, as
    pandas 2 reads them back from Parquet), so the written CSV and Parquet files hold the same values.
    """
    s = pd.Series(np.asarray(values, dtype=object), dtype=object)
    return s.astype("str").where(s.notna(), None).array


def _dates(values: np.ndarray, known: np.ndarray | None = None) -> np.ndarray:
    """Day-precision dates as datetime64[us]; NaT where ``known`` is False."""
    out = np.asarray(values).astype("datetime64[D]").astype("datetime64[us]")
    if known is not None:
        out = np.where(known, out, np.datetime64("NaT", "us"))
    return out


def _nullable_bool(values: np.ndarray, known: np.ndarray) -> pd.arrays.BooleanArray:
    """A nullable boolean column, missing where ``known`` is False."""
    return pd.arrays.BooleanArray(np.asarray(values, dtype=bool), ~np.asarray(known, dtype=bool))


def _nullable_int(values: np.ndarray, known: np.ndarray) -> pd.arrays.IntegerArray:
    """A nullable integer column, missing where ``known`` is False."""
    return pd.arrays.IntegerArray(np.asarray(values, dtype=np.int64), ~np.asarray(known, dtype=bool))
