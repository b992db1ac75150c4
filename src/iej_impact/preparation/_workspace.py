"""The tables a preparation works on, and the row accounting of every step.

A :class:`Workspace` holds named tables (the loaded sources and the tables the steps build), what
each table's rows are (participants, comparison units, both with a 1/0 treatment column, or
neither, e.g. a panel), the column naming its rows in messages, and the flow: one row per step and
table with rows in and out, per arm, the reason and example ids of the rows a step removed or
changed. Removed rows are also kept one by one in ``exclusions`` (table, row id, step, reason,
arm), so every input row is either in a table or excluded with a reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._validation import short_repr, suggest
from ..data._rows import example_ids, format_value
from ..errors import DataError, SpecificationError

__all__ = ["ARMS", "FLOW_COLUMNS", "PreparationError", "StepFailed", "Workspace"]

#: what the rows of a table are: one arm, or a stacked table with a 1/0 treatment column ("stacked")
ARMS = ("participants", "comparison", "stacked", "none")
FLOW_COLUMNS = ["step", "table", "rows_in", "rows_out", "treated_out", "control_out", "reason", "examples"]
#: example ids shown per flow row
N_EXAMPLES = 5


class PreparationError(DataError):
    """A preparation step cannot be carried out on these tables (the message names the step,
    the table and its source file, the column and example rows)."""

    def __init__(self, message: str, *, step: str, index: int | None = None, column: str | None = None,
                 rows: Sequence[object] = (), source: str | None = None, where: str = "steps") -> None:
        self.step = step
        self.index = index
        self.detail = message
        self.where = where
        prefix = f"{where}[{index}] ({step}): " if index is not None else ""
        super().__init__(prefix + message, column=column, rows=rows, source=source)


class StepFailed(Exception):
    """Raised inside a step with the table concerned; :func:`prepare` adds the step's position."""

    def __init__(self, message: str, *, table: str | None = None, column: str | None = None,
                 rows: Sequence[object] = ()) -> None:
        super().__init__(message)
        self.table = table
        self.column = column
        self.rows = list(rows)


@dataclass
class TableInfo:
    """What is known about one table: its rows' arm, id column, treatment column and origin."""

    arm: str = "none"
    id_column: str | None = None
    treatment: str | None = None
    origin: str | None = None  # the file it was read from, or the step that built it


@dataclass
class Workspace:
    """Named tables under preparation, with their description and the row accounting."""

    frames: dict[str, pd.DataFrame]
    info: dict[str, TableInfo] = field(default_factory=dict)
    flow: list[dict[str, object]] = field(default_factory=list)
    exclusions: list[pd.DataFrame] = field(default_factory=list)
    step: str = "input"

    @classmethod
    def start(cls, tables: Mapping[str, pd.DataFrame], *, arms: Mapping[str, str] | None = None,
              ids: Mapping[str, str] | None = None, origins: Mapping[str, str] | None = None,
              treatment: Mapping[str, str] | None = None) -> Workspace:
        """A workspace over ``tables`` (not modified), with one 'input' flow row per table."""
        if not isinstance(tables, Mapping) or not tables:
            raise SpecificationError("prepare(): 'tables' must be a non-empty mapping {name: DataFrame}.")
        ws = cls(frames={})
        for name, frame in tables.items():
            if not isinstance(frame, pd.DataFrame):
                raise SpecificationError(f"prepare(): table {name!r} must be a DataFrame; got {type(frame).__name__}.")
            ws.frames[str(name)] = frame
        for what, given in (("arms", arms), ("ids", ids), ("origins", origins), ("treatment", treatment)):
            unknown = [k for k in (given or {}) if k not in ws.frames]
            if unknown:
                raise SpecificationError(f"prepare(): {what} names unknown table {unknown[0]!r}; tables: "
                                         f"{sorted(ws.frames)}.{suggest(unknown[0], ws.frames)}")
        for name, frame in ws.frames.items():
            arm = (arms or {}).get(name, "none")
            tcol = (treatment or {}).get(name)
            if arm not in ARMS:
                raise SpecificationError(f"prepare(): the arm of table {name!r} must be one of {list(ARMS)}; got "
                                         f"{short_repr(arm)}.{suggest(arm, ARMS)}")
            if arm == "stacked" and not tcol:
                raise SpecificationError(f"prepare(): table {name!r} is 'stacked' (both arms): name its 1/0 treatment column.")
            if arm == "stacked":
                _check_treatment(name, frame, tcol)
            id_col = (ids or {}).get(name) or _default_id(frame)
            if id_col is not None and id_col not in frame.columns:
                raise SpecificationError(f"prepare(): id column {id_col!r} is not a column of table {name!r}."
                                         f"{suggest(id_col, map(str, frame.columns))}")
            ws.info[name] = TableInfo(arm=arm, id_column=id_col, treatment=tcol, origin=(origins or {}).get(name))
            ws._record(name, len(frame), frame, "rows read" + (f" from {ws.info[name].origin}" if ws.info[name].origin else ""))
        return ws

    # -- access -------------------------------------------------------------------------------
    def get(self, name: object, key: str = "table") -> pd.DataFrame:
        """The table called ``name``; StepFailed naming the step's ``key`` when there is none."""
        if not isinstance(name, str) or name not in self.frames:
            raise StepFailed(f"'{key}': no table {short_repr(name)}; tables so far: {sorted(self.frames)}."
                             + (suggest(name, self.frames) if isinstance(name, str) else ""))
        return self.frames[name]

    def columns(self, table: str, cols: Sequence[object], key: str) -> list[str]:
        """Check that ``cols`` are columns of ``table``; StepFailed naming the first missing one."""
        frame = self.frames[table]
        for c in cols:
            if not isinstance(c, str) or c not in frame.columns:
                raise StepFailed(f"'{key}': column {short_repr(c)} is not in table {table!r}"
                                 f"{self.origin_text(table)}.{suggest(c, map(str, frame.columns)) if isinstance(c, str) else ''}",
                                 table=table, column=c if isinstance(c, str) else None)
        return [str(c) for c in cols]

    def origin_text(self, table: str) -> str:
        origin = self.info[table].origin
        return f" (from {origin})" if origin else ""

    def ids(self, table: str, frame: pd.DataFrame | None = None) -> pd.Series:
        """Row identifiers of ``table`` (its id column, else the 0-based row position)."""
        frame = self.frames[table] if frame is None else frame
        col = self.info[table].id_column
        if col and col in frame.columns:
            return frame[col]
        return pd.Series(np.arange(len(frame)), index=frame.index, name="row")

    def arm_labels(self, table: str, frame: pd.DataFrame) -> np.ndarray:
        """'treated' / 'control' / 'all' for each row of ``frame`` (a version of ``table``)."""
        info = self.info[table]
        if info.arm == "participants":
            return np.full(len(frame), "treated", dtype=object)
        if info.arm == "comparison":
            return np.full(len(frame), "control", dtype=object)
        if info.arm == "stacked" and info.treatment in frame.columns:
            t = frame[info.treatment].to_numpy()
            return np.where(t == 1, "treated", "control").astype(object)
        return np.full(len(frame), "all", dtype=object)

    # -- changes ------------------------------------------------------------------------------
    def put(self, name: str, frame: pd.DataFrame, reason: str, *, rows_in: int | None = None,
            examples: Sequence[object] = (), info: TableInfo | None = None) -> None:
        """Store ``frame`` as table ``name`` (new or replaced) and record the step."""
        before = len(self.frames[name]) if rows_in is None and name in self.frames else rows_in
        self.frames[name] = frame
        if info is not None:
            self.info[name] = info
        self._record(name, len(frame) if before is None else before, frame, reason, examples)

    def drop(self, name: str, mask: np.ndarray, reason: str) -> None:
        """Remove the rows of table ``name`` flagged by ``mask``, each kept in the exclusions."""
        frame = self.frames[name]
        mask = np.asarray(mask, dtype=bool)
        gone = frame.loc[mask]
        ids = self.ids(name, frame)
        if len(gone):
            self.exclusions.append(pd.DataFrame({
                "table": name, "row_id": ids.to_numpy()[mask], "step": self.step, "reason": reason,
                "arm": self.arm_labels(name, gone),
            }))
        kept = frame.loc[~mask].reset_index(drop=True)
        examples = list(dict.fromkeys(example_ids(mask, ids, 50)))[:N_EXAMPLES]  # distinct ids (a panel repeats them)
        self.put(name, kept, reason, rows_in=len(frame), examples=examples)

    def _record(self, name: str, rows_in: int, after: pd.DataFrame, reason: str,
                examples: Sequence[object] = ()) -> None:
        arms = self.arm_labels(name, after)
        arm = self.info[name].arm
        n_t = int((arms == "treated").sum()) if arm != "none" else None
        n_c = int((arms == "control").sum()) if arm != "none" else None
        self.flow.append({"step": self.step, "table": name, "rows_in": int(rows_in), "rows_out": len(after),
                          "treated_out": n_t, "control_out": n_c, "reason": reason,
                          "examples": ", ".join(map(str, examples))})


def _check_treatment(name: str, frame: pd.DataFrame, tcol: str) -> None:
    """A stacked table's treatment column exists and holds 1/0 (True/False) only, both present."""
    if tcol not in frame.columns:
        raise DataError(f"prepare(): table {name!r} has no treatment column {tcol!r}."
                        f"{suggest(tcol, map(str, frame.columns))}", column=tcol, source=name)
    values = frame[tcol]
    bad = values.isna().to_numpy() | ~values.isin([0, 1]).to_numpy()
    if bad.any():
        shown = ", ".join(format_value(v) for v in pd.unique(values[bad])[:5])
        raise DataError(f"prepare(): the treatment column {tcol!r} of table {name!r} must hold 1 (participant) or 0 "
                        f"(comparison) on every row; {int(bad.sum())} rows hold {shown} (e.g. row "
                        f"{', '.join(map(str, np.flatnonzero(bad)[:N_EXAMPLES]))}).", column=tcol, source=name)


def _default_id(frame: pd.DataFrame) -> str | None:
    for col in ("participation_id", "person_id", "unit_id", "id"):
        if col in frame.columns:
            return col
    return None
