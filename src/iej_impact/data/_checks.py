"""Pre-flight checks of the canonical tables.

:func:`validate_table` runs, in order, the checks below on one of the canonical tables of
:mod:`iej_impact.data._datamodel` and raises the first problem found. Each check is a small public
function that can be used on its own:

* :func:`check_required_columns` - the columns an analysis cannot do without;
* :func:`check_types` - text in a date or numeric column, non-integers in an integer column...;
* :func:`check_not_null` - missing values in columns that may not be missing;
* :func:`check_codes` - values outside the code lists (:class:`UnknownCodeError`, with each
  value's count; see :mod:`iej_impact.data._recoding`);
* :func:`check_ranges` - negative amounts, weights <= 0, 0/1 outcomes with other values;
* :func:`check_unique` - primary keys; duplicate (person_id, operation_id) participations
  (:class:`DuplicateParticipationError`, fixed explicitly by
  :func:`~iej_impact.data._reentries.merge_reentries`) and
  duplicate (person_id, period) panel rows (:class:`PanelStructureError`);
* :func:`check_date_order` - exit before entry, outcome observed before exit
  (:class:`DateOrderError`);
* :func:`check_constant_within` - a first treatment period that varies within a person;
* :func:`check_funding_groups`, :func:`check_panel_groups` - table-specific rules.

The rules are those of the canonical tables (docs/reference/data-model.md) and of the ESF
participant record (Regulation (EU) No 1304/2013; one record per person and
operation, re-entry keeps the first entry date and updates the exit date and results).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .._validation import suggest, truthy
from ..errors import (
    DataError,
    DateOrderError,
    DuplicateParticipationError,
    PanelStructureError,
)
from ._datamodel import ColumnSpec, TableSchema, codes, table_schema
from ._recoding import check_codes_column
from ._rows import describe_mask, example_ids, format_value, id_rows

__all__ = [
    "validate_table",
    "check_required_columns",
    "check_types",
    "check_not_null",
    "check_codes",
    "check_ranges",
    "check_unique",
    "check_date_order",
    "check_constant_within",
    "check_funding_groups",
    "check_panel_groups",
    "check_exit_status_window",
    "DATE_ORDERS",
]

#: (earlier, later) pairs checked by validate_table, per table
DATE_ORDERS: dict[str, tuple[tuple[str, str], ...]] = {
    "participations": (
        ("birth_date", "entry_date"),
        ("entry_date", "exit_date"),
        ("exit_date", "exit_status_date"),
        ("exit_date", "status_6m_date"),
    ),
    "operations": (("start_date", "end_date"),),
    "comparison_cohort": (("birth_date", "pseudo_entry_date"), ("pseudo_entry_date", "contamination_date")),
    "panel": (),
}

#: the column naming rows in messages, per table
_ID_COLUMN: dict[str, str] = {
    "participations": "participation_id",
    "operations": "operation_id",
    "comparison_cohort": "person_id",
    "panel": "person_id",
}


def _table_rows(data: pd.DataFrame, table: str | None) -> pd.Series:
    return id_rows(data, _ID_COLUMN.get(table or ""))


# --------------------------------------------------------------------------------------------
# Columns and types
# --------------------------------------------------------------------------------------------


def check_required_columns(data: pd.DataFrame, table: str, *, source: str | None = None) -> None:
    """Raise DataError naming every required column of ``table`` that is absent (with a suggestion)."""
    schema = table_schema(table)
    missing = [c for c in schema.required if c not in data.columns]
    if missing:
        hints = "".join(
            f" For {m!r}:{suggest(m, map(str, data.columns))}" for m in missing if suggest(m, map(str, data.columns))
        )
        raise DataError(
            f"the {table} table lacks required column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(map(repr, missing))} (required: {', '.join(schema.required)}).{hints} Rename columns with "
            "columns: {old_name: new_name} or add them to the extract.",
            column=missing[0],
            source=source,
        )


def _is_date_like(v: object) -> bool:
    return isinstance(v, (pd.Timestamp, pd.Period)) or (
        hasattr(v, "year") and hasattr(v, "month") and hasattr(v, "day")
    )


def _type_violation(s: pd.Series, spec: ColumnSpec) -> tuple[np.ndarray, str] | None:
    """(mask of offending rows, what is wrong and how to fix it), or None."""
    dtype = spec.dtype
    name = spec.name
    present = s.notna().to_numpy()
    if dtype in ("str", "category") or not present.any():
        return None
    if dtype == "period":
        if pd.api.types.is_datetime64_any_dtype(s) or isinstance(s.dtype, pd.PeriodDtype):
            return None
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            values = s.to_numpy(dtype=float, na_value=np.nan)
            frac = present & (np.abs(values - np.round(values)) > 0)
            if not frac.any():
                return None
            sample = [format_value(v) for v in pd.unique(s[frac])[:3]]
            return frac, f"must hold dates, monthly periods or whole-number period indices but holds {', '.join(sample)}"
        dtype = "date"
    if dtype == "date":
        if pd.api.types.is_datetime64_any_dtype(s) or isinstance(s.dtype, pd.PeriodDtype):
            return None
        if pd.api.types.is_numeric_dtype(s):
            return present, (f"must hold dates but holds numbers (dtype {s.dtype}); convert them (Excel serial "
                             "numbers, yyyymm codes...) to dates before validating")
        bad = present & ~truthy(s.map(_is_date_like, na_action="ignore"))
        if not bad.any():
            return None
        sample = [str(v) for v in pd.unique(s[bad])[:3]]
        hint = "date:%d/%m/%Y" if any("/" in v for v in sample) else "date:iso"
        return bad, (f"must hold dates but holds text ({', '.join(map(repr, sample))}); declare its format so it is "
                     f"parsed on loading (parse: {{{name}: '{hint}'}})")
    if dtype == "bool":
        if pd.api.types.is_bool_dtype(s):
            return None
        ok = s.map(lambda v: isinstance(v, (bool, np.bool_)) or (
            isinstance(v, (int, float, np.integer, np.floating)) and float(v) in (0.0, 1.0)), na_action="ignore")
        bad = present & ~truthy(ok)
        if not bad.any():
            return None
        sample = [format_value(v) for v in pd.unique(s[bad])[:3]]
        return bad, (f"must hold yes/no flags (True/False or 0/1) but holds {', '.join(sample)}; parse it "
                     f"(parse: {{{name}: bool}}) or map the values (codes: {{{name}: {{oui: true, non: false}}}})")
    # numeric: int / float
    if pd.api.types.is_bool_dtype(s):
        if dtype == "int":
            return None
        return present, "must be numeric but holds True/False"
    if pd.api.types.is_numeric_dtype(s):
        values = s.to_numpy(dtype=float, na_value=np.nan)
    else:
        values = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        text = present & (np.isnan(values) | truthy(s.map(lambda v: isinstance(v, str), na_action="ignore")))
        if text.any():
            sample = [format_value(v) for v in pd.unique(s[text])[:3]]
            return text, (f"must be numeric but holds text ({', '.join(sample)}); parse it on loading (parse: "
                          f"{{{name}: fr_number}} for French numbers such as '1 298 429 €')")
    if dtype == "int":
        frac = present & (np.abs(values - np.round(values)) > 0)
        if frac.any():
            sample = [format_value(v) for v in pd.unique(s[frac])[:3]]
            return frac, f"must hold whole numbers but holds {', '.join(sample)}"
    return None


def check_types(data: pd.DataFrame, table: str, *, source: str | None = None) -> None:
    """Raise DataError for the first present column whose values do not fit its declared type.

    ``date`` columns must hold datetimes (or periods), not text; ``int`` columns whole numbers
    (floats with missing values are fine); ``float`` columns numbers; ``bool`` columns True/False
    or 0/1. The message gives example values, the rows, and the parser to declare.
    """
    schema = table_schema(table)
    rows = _table_rows(data, table)
    for spec in schema:
        if spec.name not in data.columns:
            continue
        found = _type_violation(data[spec.name], spec)
        if found is not None:
            mask, what = found
            raise DataError(
                f"column '{spec.name}' ({spec.dtype}) {what}. Offending: {describe_mask(mask, rows)}.",
                column=spec.name,
                rows=example_ids(mask, rows),
                source=source,
            )


def check_not_null(data: pd.DataFrame, table: str, *, source: str | None = None) -> None:
    """Raise DataError when a column that may not be missing (``nullable=False``) has missing values."""
    schema = table_schema(table)
    rows = _table_rows(data, table)
    for spec in schema:
        if spec.nullable or spec.name not in data.columns:
            continue
        mask = data[spec.name].isna().to_numpy()
        if mask.any():
            raise DataError(
                f"column '{spec.name}' may not be missing in the {table} table ({spec.description}), but it is "
                f"missing in {describe_mask(mask, rows)}. Complete the extract, or drop these rows explicitly "
                "and record why.",
                column=spec.name,
                rows=example_ids(mask, rows),
                source=source,
            )


# --------------------------------------------------------------------------------------------
# Codes, ranges, keys, dates
# --------------------------------------------------------------------------------------------


def check_codes(data: pd.DataFrame, table: str, *, source: str | None = None) -> None:
    """Check every present coded column of ``table`` against its canonical code list."""
    schema = table_schema(table)
    rows = _table_rows(data, table)
    for column, name in schema.coded().items():
        if column in data.columns:
            check_codes_column(data, column, codes(name), codelist=name, source=source, rows=rows)


def check_ranges(data: pd.DataFrame, table: str, *, source: str | None = None) -> None:
    """Raise DataError for numeric values outside the declared range (e.g. negative amounts)."""
    schema = table_schema(table)
    rows = _table_rows(data, table)
    for spec in schema:
        if spec.name not in data.columns or (spec.low is None and spec.high is None):
            continue
        s = data[spec.name]
        if not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)):
            continue
        v = s.to_numpy(dtype=float, na_value=np.nan)
        bad = np.zeros(len(v), dtype=bool)
        rule = []
        with np.errstate(invalid="ignore"):
            if spec.low is not None:
                bad |= (v <= spec.low) if spec.low_open else (v < spec.low)
                rule.append(f"{'>' if spec.low_open else '>='} {spec.low:g}")
            if spec.high is not None:
                bad |= v > spec.high
                rule.append(f"<= {spec.high:g}")
        if bad.any():
            sample = ", ".join(format_value(x) for x in pd.unique(s[bad])[:5])
            what = "negative amounts" if spec.name.startswith("amount") and spec.low == 0 else "values out of range"
            raise DataError(
                f"column '{spec.name}' must be {' and '.join(rule)} ({spec.description}); found {what} ({sample}) in "
                f"{describe_mask(bad, rows)}. Correct the source, or exclude these rows explicitly.",
                column=spec.name,
                rows=example_ids(bad, rows),
                source=source,
            )


def check_unique(
    data: pd.DataFrame,
    keys: Sequence[str],
    *,
    source: str | None = None,
    error: type[DataError] = DataError,
    fix: str = "Remove or merge the duplicates.",
    id_column: str | None = None,
) -> None:
    """Raise ``error`` when the combination of ``keys`` is not unique.

    The message gives the number of duplicated key values, the rows involved and examples of
    the duplicated keys with their row identifiers.
    """
    keys = list(keys)
    present = [k for k in keys if k in data.columns]
    if len(present) != len(keys):
        return
    dup = data.duplicated(keys, keep=False).to_numpy()
    if not dup.any():
        return
    rows = id_rows(data, id_column)
    if rows.name in keys:  # the key itself names nothing new: show row labels
        rows = pd.Series(data.index, index=data.index, name="row")
    d = data.loc[dup, keys]
    n_keys = int((~d.duplicated(keys, keep="first")).sum())
    examples = []
    # a scalar level for one key: pandas 2.2 warns that a length-1 list will give tuple keys (pandas 3 does)
    levels = list(range(len(keys))) if len(keys) > 1 else 0
    grouped = pd.Series(rows[dup].to_numpy(), index=pd.MultiIndex.from_frame(d)).groupby(level=levels, sort=False, observed=True)
    for key, ids in list(grouped)[:3]:
        key = key if isinstance(key, tuple) else (key,)
        label = ", ".join(f"{k}={format_value(v)}" for k, v in zip(keys, key, strict=True))
        examples.append(f"({label}: {rows.name} {', '.join(map(str, ids.tolist()[:4]))})")
    raise error(
        f"{n_keys} value{'s' if n_keys != 1 else ''} of ({', '.join(keys)}) {'appear' if n_keys != 1 else 'appears'} "
        "more than once, in "
        f"{int(dup.sum())} rows; e.g. {'; '.join(examples)}. ({', '.join(keys)}) must be unique. {fix}",
        column=keys[0],
        rows=example_ids(dup, rows),
        source=source,
    )


def check_date_order(
    data: pd.DataFrame,
    earlier: str,
    later: str,
    *,
    source: str | None = None,
    id_column: str | None = None,
) -> None:
    """Raise :class:`DateOrderError` where ``later`` is before ``earlier`` (both present).

    Missing dates are not compared. The message names both fields and gives example row ids
    (participation ids for participations) with their two dates.
    """
    if earlier not in data.columns or later not in data.columns:
        return
    a, b = data[earlier], data[later]
    if not (pd.api.types.is_datetime64_any_dtype(a) and pd.api.types.is_datetime64_any_dtype(b)):
        return
    bad = (a.notna() & b.notna() & (b < a)).to_numpy()
    if not bad.any():
        return
    rows = id_rows(data, id_column)
    idx = np.flatnonzero(bad)[:5]
    examples = ", ".join(
        f"{format_value(rows.iloc[i])} ({earlier} {format_value(a.iloc[i])}, {later} {format_value(b.iloc[i])})" for i in idx
    )
    n = int(bad.sum())
    raise DateOrderError(
        f"{later} is before {earlier} in {n} row{'s' if n != 1 else ''}: {rows.name} {examples}"
        f"{' ...' if n > 5 else ''}. Fields: {earlier}, {later}. Correct the dates in the source (typing errors, "
        "day and month swapped?) or exclude these rows explicitly; dates out of order are never reordered.",
        column=later,
        rows=example_ids(bad, rows),
        source=source,
    )


def check_exit_status_window(
    data: pd.DataFrame,
    *,
    max_days: int = 28,
    source: str | None = None,
) -> None:
    """For 'upon leaving' indicators: ``exit_status_date`` must lie in [exit_date, exit_date + 4 weeks].

    Not part of :func:`validate_table` (a later observation is valid data, just not an 'upon
    leaving' situation); call it before computing ESF CR01-CR05 / YEI CR01-CR09.
    """
    check_date_order(data, "exit_date", "exit_status_date", source=source, id_column="participation_id")
    if "exit_date" not in data.columns or "exit_status_date" not in data.columns:
        return
    gap = (data["exit_status_date"] - data["exit_date"]).dt.days
    bad = (gap > max_days).fillna(False).to_numpy(dtype=bool)
    if bad.any():
        rows = id_rows(data, "participation_id")
        raise DateOrderError(
            f"exit_status_date is more than {max_days} days after exit_date in {describe_mask(bad, rows)}; "
            "'upon leaving' means within 4 weeks of exit (ESF rules). Fields: exit_date, exit_status_date. "
            "Exclude these situations from 'upon leaving' indicators or correct the dates.",
            column="exit_status_date",
            rows=example_ids(bad, rows),
            source=source,
        )


def check_constant_within(
    data: pd.DataFrame,
    column: str,
    by: str,
    *,
    source: str | None = None,
    error: type[DataError] = PanelStructureError,
) -> None:
    """Raise ``error`` when ``column`` takes more than one value (missing counts as a value) within ``by``."""
    if column not in data.columns or by not in data.columns:
        return
    # observed=True: pandas 3's default (pandas 2 warns); an unobserved category has no values anyway
    n_values = data.groupby(by, sort=False, dropna=False, observed=True)[column].nunique(dropna=False)
    varying = n_values[n_values > 1]
    if varying.empty:
        return
    examples = []
    for unit in varying.index[:3]:
        vals = pd.unique(data.loc[data[by] == unit, column])
        examples.append(f"{by} {format_value(unit)}: {', '.join(format_value(v) if not pd.isna(v) else 'missing' for v in vals[:4])}")
    mask = data[by].isin(varying.index).to_numpy()
    raise error(
        f"column '{column}' must be constant within each {by} but varies for {len(varying)} "
        f"{by} value{'s' if len(varying) != 1 else ''} ({'; '.join(examples)}). Fix the source so that each {by} "
        f"has a single {column}.",
        column=column,
        rows=[format_value(v) for v in varying.index[:5]] if mask.any() else (),
        source=source,
    )


def check_funding_groups(data: pd.DataFrame, *, source: str | None = None) -> None:
    """Operations: ``amount_fse_iej`` may be missing only when ``funding_group_id`` is set (shared envelope)."""
    if "amount_fse_iej" not in data.columns:
        return
    no_amount = data["amount_fse_iej"].isna()
    group = data["funding_group_id"].notna() if "funding_group_id" in data.columns else pd.Series(False, index=data.index)
    bad = (no_amount & ~group).to_numpy()
    if bad.any():
        rows = id_rows(data, "operation_id")
        raise DataError(
            f"amount_fse_iej is missing without a funding_group_id in {describe_mask(bad, rows)}. An operation "
            "without its own amount must name the shared envelope it belongs to (funding_group_id), e.g. the POR "
            "apprenticeship call shared by 41 operators.",
            column="amount_fse_iej",
            rows=example_ids(bad, rows),
            source=source,
        )


def check_panel_groups(data: pd.DataFrame, *, source: str | None = None) -> None:
    """Panel: ``group`` constant within person; COMPARISON rows have no ``first_treat_period``, TREATED rows one."""
    check_constant_within(data, "group", "person_id", source=source)
    if "group" not in data.columns or "first_treat_period" not in data.columns:
        return
    rows = id_rows(data, "person_id")
    ftp = data["first_treat_period"]
    for group, mask, what, fix in (
        ("COMPARISON", (data["group"] == "COMPARISON") & ftp.notna(), "have a first_treat_period",
         "never-treated units must have an empty first_treat_period"),
        ("TREATED", (data["group"] == "TREATED") & ftp.isna(), "have no first_treat_period",
         "treated units need the period they were first treated"),
    ):
        m = mask.fillna(False).to_numpy(dtype=bool)
        if m.any():
            raise PanelStructureError(
                f"{group} rows {what} in {describe_mask(m, rows)}: {fix}. Fix the panel, or recode the group.",
                column="first_treat_period",
                rows=example_ids(m, rows),
                source=source,
            )


# --------------------------------------------------------------------------------------------
# validate_table
# --------------------------------------------------------------------------------------------


def validate_table(data: pd.DataFrame, table: str, *, source: str | None = None) -> None:
    """Run the pre-flight checks of a canonical table; raise the first problem found.

    Parameters
    ----------
    data : the table, after loading (dates parsed, codes recoded; see :func:`iej_impact.data._io.load_data`).
    table : ``"participations"``, ``"operations"``, ``"comparison_cohort"`` or ``"panel"``.
    source : file or table name, used as the prefix of messages.

    Checks, in order: required columns; types; non-missing columns; code lists; numeric ranges
    (e.g. negative amounts); keys (participation_id / operation_id unique; (person_id,
    operation_id) unique in participations, else :class:`DuplicateParticipationError` pointing to
    :func:`merge_reentries`; (person_id, period) unique in panels, else
    :class:`PanelStructureError`); date order (:data:`DATE_ORDERS`, :class:`DateOrderError`);
    then table rules (:func:`check_funding_groups`, :func:`check_panel_groups`, a constant
    first_treat_period within person). Columns not in the schema are ignored.

    Returns
    -------
    None. The data are not modified.
    """
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"validate_table() expects a DataFrame; got {type(data).__name__}.", source=source)
    schema: TableSchema = table_schema(table)
    check_required_columns(data, table, source=source)
    check_types(data, table, source=source)
    check_not_null(data, table, source=source)
    check_codes(data, table, source=source)
    check_ranges(data, table, source=source)
    id_column = _ID_COLUMN[table]
    if table in ("participations", "operations"):
        check_unique(data, schema.key, source=source, id_column=None if table == "participations" else id_column,
                     fix=f"{schema.key[0]} identifies a row of the {table} table.")
    if table == "participations":
        check_unique(
            data,
            ("person_id", "operation_id"),
            source=source,
            error=DuplicateParticipationError,
            id_column="participation_id",
            fix="A re-entry into the same operation must be merged into one participation (ESF rule: first entry "
                "date, last exit date, latest results): call iej_impact.merge_reentries(data) explicitly, or fix the "
                "extract.",
        )
    if table == "panel":
        check_unique(data, schema.key, source=source, error=PanelStructureError, id_column="person_id",
                     fix="A panel has one row per person and period; aggregate or remove the duplicated rows.")
    for earlier, later in DATE_ORDERS[table]:
        check_date_order(data, earlier, later, source=source, id_column=id_column)
    if table == "operations":
        check_funding_groups(data, source=source)
    if table == "panel":
        check_constant_within(data, "first_treat_period", "person_id", source=source)
        check_panel_groups(data, source=source)
