"""The analysis sample and its row accounting.

``define_sample`` applies the run's sample rules in order (filters, complete cases, panel roles)
and records every step in a :class:`SampleFlow`: rows in, rows out, per arm, with the reason.
Excluded rows are kept in an exclusion table (row id, input row position, step, reason, arm), so
that every input row is either in the analysis sample or excluded with a reason, and the counts
add up (MatchIt's sample-size table, generalised to the whole pipeline).

Row identifiers: the exclusion table names rows by ``id_column`` (default: the first of
participation_id, person_id, unit_id, id present) and by ``row``, the 0-based position of the row
in the input table (for a CSV file with one header line, file line = row + 2). When the rows are
not a panel (``unit`` and ``time`` not both given), an ``id_column`` declared by the user must be
unique (DataError); a detected one that repeats gives a :class:`~iej_impact.errors.DuplicateIdWarning`
(the ``row`` column still identifies each excluded row).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._validation import ID_COLUMNS, as_column_list, check_binary, check_columns, describe_rows, user_stacklevel
from ..errors import DataError, DuplicateIdWarning, PanelStructureError, SpecificationError
from ..results import Result, Summary, jsonable
from ._expressions import compile_filter

__all__ = ["SampleFlow", "Sample", "define_sample"]

FLOW_COLUMNS = ["step", "rows_in", "rows_out", "treated_out", "control_out", "reason"]


@dataclass(frozen=True)
class SampleFlow(Result):
    """Row accounting: one row per step (input, each filter, each drop), and the excluded rows.

    ``table`` has columns step, rows_in, rows_out, treated_out, control_out, reason.
    ``exclusions`` has one row per excluded input row: row_id, row (0-based position in the
    input table), step, reason, arm.
    """

    table: pd.DataFrame
    exclusions: pd.DataFrame

    def check_balanced(self) -> None:
        """Raise if the counts do not add up (a bug, never a user error)."""
        t = self.table
        n_in = int(t["rows_in"].iloc[0])
        n_out = int(t["rows_out"].iloc[-1])
        if n_out + len(self.exclusions) != n_in:
            raise AssertionError(f"row accounting does not add up: {n_out} kept + {len(self.exclusions)} excluded != {n_in}")

    def by_arm(self) -> pd.DataFrame:
        """Excluded rows counted by step, reason and arm."""
        if len(self.exclusions) == 0:
            return pd.DataFrame(columns=["step", "reason", "arm", "rows"])
        return (
            self.exclusions.groupby(["step", "reason", "arm"], sort=False, dropna=False, observed=True)
            .size()
            .rename("rows")
            .reset_index()
        )

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def to_dict(self) -> list[dict[str, object]]:  # type: ignore[override]
        return jsonable(self.table)

    def summary(self) -> Summary:
        return Summary(
            title="Sample flow",
            tables=(("Rows kept at each step", self.table.set_index("step")),),
            notes=(f"{len(self.exclusions)} rows excluded in all; every input row is kept or excluded with a reason.",),
        )


@dataclass(frozen=True)
class Sample:
    """The analysis data and the flow that produced it."""

    data: pd.DataFrame
    flow: SampleFlow
    treatment: str | None = None
    unit: str | None = None
    time: str | None = None
    cohort: str | None = None
    roles: dict[str, str] = field(default_factory=dict)


class _FlowRecorder:
    def __init__(self, data: pd.DataFrame, treatment: str | None, id_column: str | None) -> None:
        self.treatment = treatment
        self.id_column = id_column
        self.rows: list[dict[str, object]] = []
        self.excluded: list[pd.DataFrame] = []
        self.positions = np.arange(len(data))  # input-row position of each row still in the sample
        self.record(data, data, "input", "rows read")

    def _arm_counts(self, frame: pd.DataFrame) -> tuple[int | None, int | None]:
        if self.treatment is None:
            return None, None
        t = frame[self.treatment]
        return int((t == 1).sum()), int((t == 0).sum())

    def record(self, before: pd.DataFrame, after: pd.DataFrame, step: str, reason: str) -> None:
        n_t, n_c = self._arm_counts(after)
        self.rows.append(
            {"step": step, "rows_in": len(before), "rows_out": len(after), "treated_out": n_t, "control_out": n_c, "reason": reason}
        )

    def drop(self, data: pd.DataFrame, drop_mask: np.ndarray, step: str, reason: str) -> pd.DataFrame:
        kept = data.loc[~drop_mask]
        gone = data.loc[drop_mask]
        if len(gone):
            ids = gone[self.id_column].to_numpy() if self.id_column else gone.index.to_numpy()
            if self.treatment is None:
                arm = np.full(len(gone), "all", dtype=object)
            else:
                arm = np.where(gone[self.treatment].to_numpy() == 1, "treated", "control").astype(object)
            self.excluded.append(pd.DataFrame({"row_id": ids, "row": self.positions[drop_mask], "step": step,
                                               "reason": reason, "arm": arm}))
        self.positions = self.positions[~drop_mask]
        self.record(data, kept, step, reason)
        return kept

    def flow(self) -> SampleFlow:
        table = pd.DataFrame(self.rows, columns=FLOW_COLUMNS)
        if self.treatment is None:
            table[["treated_out", "control_out"]] = table[["treated_out", "control_out"]].astype(object)
        exclusions = (
            pd.concat(self.excluded, ignore_index=True)
            if self.excluded
            else pd.DataFrame({"row_id": [], "row": np.zeros(0, dtype=np.int64), "step": [], "reason": [], "arm": []})
        )
        flow = SampleFlow(table=table, exclusions=exclusions)
        flow.check_balanced()
        return flow


def define_sample(
    data: pd.DataFrame,
    *,
    filters: Sequence[str] = (),
    dropna: Sequence[str] = (),
    treatment: str | None = None,
    unit: str | None = None,
    time: str | None = None,
    cohort: str | None = None,
    never_treated: object = None,
    id_column: str | None = None,
) -> Sample:
    """Apply the sample rules in order and account for every row.

    Parameters
    ----------
    data : the input table (participants and comparison stacked, or a panel).
    filters : filter expressions, applied in order; rows where a filter is False are excluded
        with the filter text as the reason. A filter is read, never executed as code: column
        names (between backticks when not an identifier, e.g. ```date d'entrée```), literals (numbers, 'text', True/False/None),
        comparisons ``== != < <= > >=`` (chained: ``16 <= age <= 25``), ``and or not`` /
        ``& | ~``, arithmetic ``+ - * / // % **``, ``x in [a, b]`` / ``x not in [a, b]``, and
        ``isna(x)``, ``notna(x)``, ``x.isna()``, ``x.notna()``, ``x.between(a, b)``,
        ``x.str.startswith('text')``. Anything else (other methods, ``@`` variables, indexing,
        ``lambda``...) raises SpecificationError naming ``filters[i]``; an unknown column or a
        comparison of text with a number raises DataError. A comparison with a missing value is
        False (``!=``: True). See :mod:`iej_impact.data._expressions` for the full grammar.
    dropna : columns whose missing values exclude the row (complete cases), one step per column.
    treatment : the 0/1 treatment column, used to count rows per arm (checked to be binary).
    unit, time : panel roles; when both are given, (unit, time) must be unique.
    cohort : first-treatment-period column (missing = never treated). ``never_treated`` declares
        a value that also means never treated (e.g. 0 in R ``did`` data); it is converted to NaN
        and the conversion is recorded.
    id_column : column identifying rows in the exclusion table (default: the first of
        participation_id, person_id, unit_id, id present, else the row label).

    Returns
    -------
    Sample with ``data`` (a new frame; the input is not modified) and ``flow``.
    """
    if not isinstance(data, pd.DataFrame):
        raise SpecificationError(f"define_sample() expects a pandas DataFrame; got {type(data).__name__}.")
    filters = [filters] if isinstance(filters, str) else list(filters)
    dropna = as_column_list("dropna", dropna, "define_sample")
    roles = {k: v for k, v in {"treatment": treatment, "unit": unit, "time": time, "cohort": cohort}.items() if v}
    check_columns(data, [*roles.values(), *dropna], "define_sample")
    declared_id = id_column is not None
    if id_column is None:
        id_column = next((c for c in ID_COLUMNS if c in data.columns), None)
    elif id_column not in data.columns:
        check_columns(data, [id_column], "define_sample", role="id column")
    if len(data) == 0:
        raise DataError("define_sample(): the data have no rows; there is nothing to analyse.")
    frame = data.copy()
    if not (unit is not None and time is not None) and id_column is not None:
        _check_unique_ids(frame, id_column, declared_id)
    if treatment is not None:
        check_binary(frame, treatment, "define_sample", require_both=False)
        frame[treatment] = frame[treatment].astype(int)
    rec = _FlowRecorder(frame, treatment, id_column)

    # every filter is checked against the grammar and the columns before any is applied
    compiled = [compile_filter(expr, frame.columns, where=f"filters[{i}]") for i, expr in enumerate(filters)]
    for i, flt in enumerate(compiled):
        keep = flt.mask(frame)
        frame = rec.drop(frame, ~keep, f"filter {i + 1}", flt.text)

    for col in dropna:
        frame = rec.drop(frame, frame[col].isna().to_numpy(), f"complete cases: {col}", f"missing {col}")

    if cohort is not None and never_treated is not None:
        mask = (frame[cohort] == never_treated).to_numpy()
        frame[cohort] = frame[cohort].where(~mask)
        rec.record(frame, frame, f"recode {cohort}", f"{int(mask.sum())} rows with {cohort} == {never_treated!r} set to never treated (NaN)")

    if unit is not None and time is not None:
        dup = frame.duplicated([unit, time], keep=False).to_numpy()
        if dup.any():
            raise PanelStructureError(
                f"({unit}, {time}) must identify rows of a panel; {describe_rows(frame, dup)} share a (unit, time) pair. "
                "Aggregate or deduplicate them first.",
                column=unit,
            )
    if cohort is not None and unit is not None:
        varying = frame.groupby(unit, sort=False, observed=True)[cohort].nunique(dropna=False)
        bad = varying[varying > 1]
        if len(bad):
            raise PanelStructureError(
                f"column '{cohort}' (first treatment period) varies within {len(bad)} unit(s) of '{unit}' "
                f"(e.g. {', '.join(map(str, bad.index[:5]))}); it must be constant within a unit.",
                column=cohort,
            )
    if len(frame) == 0:
        raise DataError(_nothing_left(rec.rows))
    return Sample(data=frame, flow=rec.flow(), treatment=treatment, unit=unit, time=time, cohort=cohort, roles=roles)


def _check_unique_ids(frame: pd.DataFrame, id_column: str, declared: bool) -> None:
    """Rows of a non-panel table must be told apart by the id column (exclusions are traced by it)."""
    dup = frame[id_column].duplicated(keep=False).to_numpy()
    if not dup.any():
        return
    top = frame.loc[dup, id_column].value_counts().head(3)
    shown = ", ".join(f"{v!r} ({n} rows)" for v, n in top.items())
    what = (f"column '{id_column}' holds the same value on several rows: {int(dup.sum())} of {len(frame)} rows share "
            f"{_n_values(int(frame.loc[dup, id_column].nunique()))} (e.g. {shown})")
    if declared:
        raise DataError(
            f"define_sample(): the id column must identify rows, but {what}. Deduplicate the rows, declare another "
            "id_column, or declare unit and time if the table is a panel.",
            column=id_column,
        )
    warnings.warn(
        f"define_sample(): {what}; it does not identify rows, so excluded rows are told apart by their position "
        "('row' in the exclusion table). Check for duplicated records, or declare a unique id_column.",
        DuplicateIdWarning,
        stacklevel=user_stacklevel(),
    )


def _nothing_left(steps: list[dict[str, object]]) -> str:
    """Which rules removed the rows, when no row is left (a header-only table has no step at all)."""
    n_in = steps[0]["rows_in"] if steps else 0
    if not n_in:
        return "define_sample(): the data have no rows; there is nothing to analyse."
    parts = [f"{s['step']} ({s['reason']}) excludes {int(s['rows_in']) - int(s['rows_out'])} of {s['rows_in']} rows"
             for s in steps[1:] if int(s["rows_in"]) > int(s["rows_out"])]
    return (f"the sample rules exclude every row of the {n_in} read: " + "; ".join(parts)
            + ". Relax these rules, or check that the columns they use hold what you expect.")


def _n_values(k: int) -> str:
    return f"{k} value{'s' if k != 1 else ''}"
