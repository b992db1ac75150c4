"""How the data modules name rows and values in their messages.

A data error points at example rows: by an identifier column when the table has a complete one
(``participation_id``, ``operation_id``, ``person_id``), else by the row label; the loaders pass
their own identifiers (file line numbers, for instance). Values are written as a reader would type
them: dates as ``YYYY-MM-DD``, whole floats without ``.0``, text in quotes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._validation import ID_COLUMNS

__all__ = ["MAX_EXAMPLES", "row_labels", "id_rows", "loaded_rows", "describe_mask", "example_ids", "format_value"]

#: example rows (or values) named in a message
MAX_EXAMPLES = 5
#: columns naming the rows of a loaded table when present (after renaming)
_LOADED_ID_COLUMNS: tuple[str, ...] = (*ID_COLUMNS, "operation_id")


def row_labels(frame: pd.DataFrame | pd.Series, rows: pd.Series | None = None) -> pd.Series:
    """Identifiers used to name rows in messages: ``rows`` if given, else the index labels."""
    if rows is not None:
        return rows
    return pd.Series(frame.index, index=frame.index, name="row")


def id_rows(data: pd.DataFrame, id_column: str | None = None) -> pd.Series:
    """Row identifiers for messages: ``id_column`` (or a usual id column) when complete, else labels."""
    candidates = ([id_column] if id_column else []) + ["participation_id", "operation_id", "person_id"]
    for col in candidates:
        if col in data.columns and data[col].notna().all():
            return data[col].rename(col)
    return pd.Series(data.index, index=data.index, name="row")


def loaded_rows(frame: pd.DataFrame, kind: str | None) -> pd.Series:
    """Row identifiers of a loaded table: a complete id column, else the file line (CSV, Excel; the
    header is line 1) or the 1-based row of other files; row labels for a DataFrame (``kind=None``)."""
    for col in _LOADED_ID_COLUMNS:
        if col in frame.columns and frame[col].notna().all():
            return frame[col].rename(col)
    if kind in ("csv", "excel"):
        return pd.Series(np.arange(len(frame)) + 2, index=frame.index, name="line")
    if kind is not None:
        return pd.Series(np.arange(len(frame)) + 1, index=frame.index, name="row")
    return pd.Series(frame.index, index=frame.index, name="row")


def describe_mask(mask: np.ndarray | pd.Series, rows: pd.Series, k: int = MAX_EXAMPLES) -> str:
    """'N rows (e.g. line 3, 7)' for the rows flagged by ``mask``, named by ``rows``."""
    mask = np.asarray(mask, dtype=bool)
    n = int(mask.sum())
    label = rows.name if rows.name is not None else "row"
    return f"{n} row{'s' if n != 1 else ''} (e.g. {label} {', '.join(map(str, example_ids(mask, rows, k)))})"


def example_ids(mask: np.ndarray | pd.Series, rows: pd.Series, k: int = MAX_EXAMPLES) -> list[object]:
    """Up to ``k`` identifiers of the rows flagged by ``mask``."""
    mask = np.asarray(mask, dtype=bool)
    return [_plain(v) for v in rows.to_numpy()[np.flatnonzero(mask)[:k]]]


def format_value(v: object) -> str:
    """A value as a reader would type it: ``2015-03-01``, ``12`` (not ``12.0``), ``'text'``."""
    if isinstance(v, np.datetime64):
        v = pd.Timestamp(v)
    if isinstance(v, pd.Timestamp):
        return v.strftime("%Y-%m-%d") if v == v.normalize() else v.isoformat()
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return repr(v) if isinstance(v, str) else str(v)


def _plain(v: object) -> object:
    return v.item() if isinstance(v, np.generic) else v
