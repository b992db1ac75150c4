"""Stacking a participant file and a comparison file into one table with a 1/0 treatment column.

:func:`stack_arms` refuses persons present in both arms (contamination)
unless the comparison row is flagged as contaminated, and names the columns that only one arm has.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .._validation import suggest, truthy, user_stacklevel
from ..errors import ContaminationError, DataError, MissingDataWarning, SpecificationError
from ._rows import example_ids

__all__ = ["stack_arms"]


def stack_arms(
    participants: pd.DataFrame,
    comparison: pd.DataFrame,
    *,
    treatment_column: str = "treated",
    id_column: str | None = "person_id",
    contaminated_column: str = "contaminated",
) -> pd.DataFrame:
    """Stack the participant and comparison tables into one frame with a 1/0 treatment column.

    Parameters
    ----------
    participants, comparison : the two arms (not modified).
    treatment_column : name of the created column: 1 for participants, 0 for the comparison rows.
    id_column : the person identifier used for the contamination check; ``None`` skips it
        (only when the two files share no identifier space).
    contaminated_column : a comparison row whose person is also a participant is accepted only
        when this column is True for it (contaminated comparison rows are flagged, for fuzzy / Wald estimators).

    Returns
    -------
    Participants first, then comparison rows; a fresh ``RangeIndex``; columns in participant
    order, then comparison-only columns, then ``treatment_column``. Columns present in one arm
    only are missing for the other, and a :class:`MissingDataWarning` names them.

    Raises
    ------
    ContaminationError : a person is in both arms (and not flagged contaminated); the message
        gives the number of persons and example ids.
    DataError : ``treatment_column`` already exists, ``id_column`` is missing, or an arm is empty.
    """
    for name, frame in (("participants", participants), ("comparison", comparison)):
        if not isinstance(frame, pd.DataFrame):
            raise SpecificationError(f"stack_arms(): '{name}' must be a DataFrame; got {type(frame).__name__}.")
        if len(frame) == 0:
            raise DataError(f"stack_arms(): the {name} table has no rows.", source=name)
        if treatment_column in frame.columns:
            raise DataError(
                f"stack_arms(): the {name} table already has a column {treatment_column!r}; stacking creates it. "
                "Rename that column, or choose another treatment_column.",
                column=treatment_column,
                source=name,
            )
        if id_column is not None and id_column not in frame.columns:
            raise DataError(
                f"stack_arms(): the {name} table has no column {id_column!r}, needed to check that no person is in "
                f"both arms.{suggest(id_column, map(str, frame.columns))} Rename the identifier (columns: "
                "{old: person_id}).",
                column=id_column,
                source=name,
            )
    if id_column is not None:
        _check_overlap(participants, comparison, id_column, contaminated_column)
    only_p = [c for c in participants.columns if c not in comparison.columns]
    only_c = [c for c in comparison.columns if c not in participants.columns]
    if only_p or only_c:
        parts = []
        if only_p:
            parts.append(f"only in participants: {', '.join(map(str, only_p[:10]))}{' ...' if len(only_p) > 10 else ''}")
        if only_c:
            parts.append(f"only in comparison: {', '.join(map(str, only_c[:10]))}{' ...' if len(only_c) > 10 else ''}")
        warnings.warn(
            "stack_arms(): columns " + "; ".join(parts) + ". They are missing for the other arm.",
            MissingDataWarning,
            stacklevel=user_stacklevel(),
        )
    p = participants.assign(**{treatment_column: np.int8(1)})
    c = comparison.assign(**{treatment_column: np.int8(0)})
    order = [*participants.columns, *only_c, treatment_column]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # all-NA columns in concat
        stacked = pd.concat([p, c], ignore_index=True, sort=False)
    stacked = stacked[order]
    stacked[treatment_column] = stacked[treatment_column].astype("int8")
    return stacked


def _check_overlap(participants: pd.DataFrame, comparison: pd.DataFrame, id_column: str, flag: str) -> None:
    p_ids = pd.Index(participants[id_column].dropna().unique())
    in_both = comparison[id_column].isin(p_ids).to_numpy()
    if flag in comparison.columns:
        flagged = truthy(comparison[flag])
        in_both = in_both & ~flagged
    if not in_both.any():
        return
    persons = pd.unique(comparison[id_column][in_both])
    rows = comparison[id_column].rename(id_column)
    n = len(persons)
    raise ContaminationError(
        f"stack_arms(): {n} person{'s' if n != 1 else ''} {'appear' if n != 1 else 'appears'} both among participants "
        f"and in the comparison cohort ({id_column} {', '.join(map(repr, persons[:5].tolist()))}"
        f"{' ...' if n > 5 else ''}; {int(in_both.sum())} comparison row{'s' if in_both.sum() != 1 else ''}). A "
        f"comparison person must not be a participant: drop them from the comparison table, or flag them with "
        f"{flag}=True and use an estimator that handles contamination. If comparison persons enter the "
        "programme later (the comparison group is partly treated), wald_did() rescales the DiD by the difference "
        "in take-up (fuzzy DiD).",
        column=id_column,
        rows=example_ids(in_both, rows),
        source="comparison",
    )
