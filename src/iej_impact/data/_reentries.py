"""The explicit merge of re-entries into one participation (ESF participant-record rules).

:func:`~iej_impact.data._checks.validate_table` refuses a participations table with two rows for
the same (person, operation) and points here: the merge is never done silently.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .._validation import suggest
from ..errors import DataError
from ._datamodel import EXIT_RESULT_COLUMNS

__all__ = ["merge_reentries"]


def merge_reentries(
    data: pd.DataFrame,
    *,
    person: str = "person_id",
    operation: str = "operation_id",
    entry: str = "entry_date",
    exit: str = "exit_date",
    results: Sequence[str] = EXIT_RESULT_COLUMNS,
    count_column: str | None = None,
) -> pd.DataFrame:
    """Merge re-entries into the same operation into one participation, following the ESF rules.

    Under the ESF participant-record rules a person re-entering the same operation keeps one
    record: the entry data (entry date and the characteristics at entry) stay those of the first
    entry, while the exit date and the results are updated. For each (``person``, ``operation``)
    with several rows, ordered by ``entry`` (ties kept in file order):

    * every column except ``exit`` and ``results`` comes from the first entry (earliest ``entry``),
      including its participation id;
    * ``exit`` is the last exit date, or missing when any of the spells is still open (the person
      is still in the operation);
    * the ``results`` columns (exit situation, offer, qualification, six-month status and their
      dates and weights) come from the latest spell, as a block (never mixed across spells).

    Rows without duplicates are returned unchanged. The result keeps the order of first
    appearance in ``data`` and has a fresh ``RangeIndex``; ``data`` is not modified.

    Parameters
    ----------
    count_column : if given, a column of that name holds the number of records merged into each row.

    References
    ----------
    Regulation (EU) No 1304/2013, Annex I; European Commission, ESF monitoring guidance on
    participant records (re-entry into the same operation updates the existing record).
    """
    missing = [c for c in (person, operation, entry, exit) if c not in data.columns]
    if missing:
        raise DataError(
            f"merge_reentries(): column{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))} not found."
            + suggest(missing[0], map(str, data.columns)),
            column=missing[0],
        )
    work = data.reset_index(drop=True)
    keys = [person, operation]
    dup = work.duplicated(keys, keep=False).to_numpy()
    if not dup.any():
        out = work.copy()
        if count_column:
            out[count_column] = 1
        return out
    sub = work.loc[dup]
    order = sub.sort_values(entry, kind="stable", na_position="last")
    gid = order.groupby(keys, sort=False, dropna=False, observed=True).ngroup().to_numpy()
    n_groups = int(gid.max()) + 1
    first_of = np.empty(n_groups, dtype=np.int64)
    last_of = np.empty(n_groups, dtype=np.int64)
    positions = order.index.to_numpy()
    first_mask = ~pd.Series(gid).duplicated(keep="first").to_numpy()
    last_mask = ~pd.Series(gid).duplicated(keep="last").to_numpy()
    first_of[gid[first_mask]] = positions[first_mask]
    last_of[gid[last_mask]] = positions[last_mask]
    merged = work.loc[first_of].copy()
    exits = order[exit]
    any_open = exits.isna().groupby(gid).any()
    last_exit = exits.groupby(gid).max().mask(any_open)
    merged[exit] = last_exit.set_axis(merged.index).astype(work[exit].dtype)
    for col in results:
        if col in work.columns and col not in (entry, exit):
            merged[col] = work.loc[last_of, col].set_axis(merged.index)
    if count_column:
        merged[count_column] = np.bincount(gid, minlength=n_groups)
    kept = work.loc[~dup].copy()
    if count_column:
        kept[count_column] = 1
    anchor = pd.Series(positions).groupby(gid).min().to_numpy()
    kept["__pos"] = kept.index.to_numpy()
    merged["__pos"] = anchor
    out = pd.concat([kept, merged]).sort_values("__pos", kind="stable").drop(columns="__pos")
    return out.reset_index(drop=True)
