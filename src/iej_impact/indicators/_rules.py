"""Indicator rules: check a participations table and turn it into one boolean flag per rule and row.

A *rule* is a numerator condition (``completed``, ``isced_1_2`` ...) and a *population* a denominator
(``leavers_unemployed`` ...); ``registry.csv`` pairs them into indicators. All rules are vectorised
numpy expressions over the canonical participation columns (docs/reference/data-model.md). Definitions
(ESF and YEI common indicators, Reg. (EU) No 1304/2013 Annexes I and II):

* labour-market status at entry is exclusive (unemployed / inactive / employed);
* long-term unemployed: unemployed for more than 6 months under age 25, more than 12 months from 25;
* age is in completed years at ``entry_date``;
* leavers: ``exit_date`` on or before the reference date;
* "upon leaving": the exit situation observed within ``upon_leaving_days`` (28) days after exit;
* YEI "completed": ``exit_reason == COMPLETED`` (drop-outs excluded, even for a job);
* six-month situation: observed ``status_6m`` of leavers, dated within ``six_month_window_days`` of
  exit + 6 months; weighted by ``sample_weight_6m`` when the status comes from a survey.

Missing attribute values (null = not collected or refused) are *not* in the numerator and stay in the
denominator, as ESF output indicators count all participants; their counts are in the coverage table.

This module holds the populations and the characteristics at entry; the result rules (upon leaving,
six months later) are in :mod:`~iej_impact.indicators._exit_rules`, the column readers and the
options in :mod:`~iej_impact.indicators._rule_columns`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from .._validation import ID_COLUMNS, describe_rows, example_rows
from ..data import _datamodel as datamodel
from ..errors import DataError, DuplicateParticipationError, EligibilityWarning, MissingDataWarning, UnknownCodeError
from ._exit_rules import exit_flags, six_month_flags
from ._messages import Counted, Message
from ._rule_columns import (
    FlagTable,
    RuleOptions,
    completed_years,
    has_code,
    raise_order,
    read_coded,
    read_dates,
    read_flag,
    read_number,
    where_of,
)

__all__ = ["RuleOptions", "Prepared", "prepare", "POPULATIONS", "DISADVANTAGE_RULES"]

#: the rules whose union defines "disadvantaged" for ESF CR05/CR09 (CO12-CO18) [K: general knowledge, to be checked]
DISADVANTAGE_RULES: tuple[str, ...] = (
    "hh_jobless", "hh_jobless_children", "single_adult_children", "migrant_minority", "disability",
    "other_disadvantaged", "homeless",
)
#: population -> (rules whose conjunction defines it)
POPULATIONS: dict[str, tuple[str, ...]] = {
    "all": ("all",),
    "leavers": ("leaver",),
    "leavers_inactive": ("leaver", "inactive"),
    "leavers_unemployed": ("leaver", "unemployed"),
    "leavers_ltu": ("leaver", "ltu"),
    "leavers_ineet": ("leaver", "ineet"),
    "leavers_disadvantaged": ("leaver", "disadvantaged"),
    "followup6m": ("followup6m",),
    "followup6m_employed_entry": ("followup6m", "employed"),
    "followup6m_over54": ("followup6m", "over54"),
    "followup6m_disadvantaged": ("followup6m", "disadvantaged"),
}

_BOOL_COLUMNS = {
    "hh_jobless": "hh_jobless", "hh_dependent_children": "hh_dependent_children", "hh_single_adult": "hh_single_adult",
    "migrant_minority": "migrant_minority", "disability_rqth": "disability", "other_disadvantaged": "other_disadvantaged",
    "homeless": "homeless", "rural": "rural", "social_minima": "social_minima",
}


@dataclass
class Prepared:
    """A checked participations table reduced to flags (one boolean array per rule)."""

    frame: pd.DataFrame
    flags: dict[str, np.ndarray]
    unavailable: dict[str, str]
    weight: np.ndarray | None
    coverage: pd.DataFrame
    entry: np.ndarray
    exit: np.ndarray
    notes: list[Message] = field(default_factory=list)
    #: warnings to issue (category, message), once the partitions of a partitioned run are merged
    warnings: list[tuple[type[Warning], Counted]] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.frame)

    def population(self, name: str) -> np.ndarray:
        out = np.ones(self.n, dtype=bool)
        for rule in POPULATIONS[name]:
            out &= self.flags[rule]
        return out

    def population_missing(self, name: str) -> str | None:
        for rule in POPULATIONS[name]:
            if rule in self.unavailable:
                return self.unavailable[rule]
        return None

    def subset(self, keep: np.ndarray) -> Prepared:
        flags = {k: v[keep] for k, v in self.flags.items()}
        weight = None if self.weight is None else self.weight[keep]
        return Prepared(self.frame.iloc[keep], flags, dict(self.unavailable), weight, self.coverage, self.entry[keep],
                        self.exit[keep], list(self.notes), list(self.warnings))


# ---------------------------------------------------------------------------------------------- prepare


class NothingEntered(DataError):
    """No participation of the table entered by the reference date; ``notes`` says how many entered later
    (a partition of persons can be in this case while the whole table is not)."""

    def __init__(self, message: str, notes: list[Message], **kwargs: object) -> None:
        super().__init__(message, **kwargs)
        self.notes = notes


def prepare(data: pd.DataFrame, opts: RuleOptions) -> Prepared:
    """Check ``data`` (a participations table) and compute every available rule flag.

    Raises the toolkit's data errors for: missing required columns, duplicates, dates out of order,
    unknown codes, unparseable values, six-month statuses without a date or weight.
    """
    df, entry, notes = _entries(data, opts)
    _check_duplicates(df, opts)
    exit_ = _exits(df, entry, notes, opts)
    n = len(df)
    table = FlagTable(df, opts, {"all": np.ones(n, dtype=bool)}, notes)
    _sex_flags(table)
    age = _age_flags(table, entry)
    _labour_market_flags(table, age)
    _education_flags(table)
    _household_flags(table)
    exit_flags(table, exit_)
    weight = six_month_flags(table, exit_)

    flags = table.flags
    unavailable = {k: v for k, v in table.unavailable.items() if k not in flags}
    cov = pd.DataFrame(table.coverage, columns=["column", "population", "rows", "missing", "share_missing"])
    exit_arr = exit_.to_numpy(dtype="datetime64[ns]") if exit_ is not None else np.full(n, np.datetime64("NaT"), "M8[ns]")
    return Prepared(df, flags, unavailable, weight, cov, entry.to_numpy(dtype="datetime64[ns]"), exit_arr, table.notes,
                    table.warnings)


def _entries(data: pd.DataFrame, opts: RuleOptions) -> tuple[pd.DataFrame, pd.Series, list[str]]:
    """The participations entered by the reference date, their entry dates, and the notes so far."""
    where = where_of(opts)
    for col in ("entry_date", "sex"):
        if col not in data.columns:
            raise DataError(
                f"{where}: column '{col}' not found; the indicators need at least entry_date and sex (the EU "
                "breakdown). Rename your columns to the canonical names (data.columns in the config).",
                column=col, source=opts.source,
            )
    keep_cols = [c for c in dict.fromkeys([*ID_COLUMNS, *data.columns]) if c in data.columns]
    df = data[keep_cols]
    notes: list[Message] = []

    entry = read_dates(df, "entry_date", opts)
    if entry.isna().any():
        mask = entry.isna().to_numpy()
        raise DataError(f"{where}: column 'entry_date' is empty in {describe_rows(df, mask)}; every participation "
                        "needs its entry date.", column="entry_date", rows=example_rows(df, mask), source=opts.source)
    ref = opts.reference_date
    if ref is not None:
        late = (entry > ref).to_numpy()
        if late.any():
            notes.append(Counted.of(f"{{n}} participation(s) entered after the reference date {ref.date()} are "
                                    "excluded.", df, late))
            df, entry = df[~late], entry[~late]
    if len(df) == 0:
        raise NothingEntered(f"{where}: no participation entered on or before the reference date.", notes,
                             source=opts.source)
    return df, entry, notes


def _exits(df: pd.DataFrame, entry: pd.Series, notes: list[Message], opts: RuleOptions) -> pd.Series | None:
    """Exit dates (None without an exit_date column); exits after the reference date count as none."""
    ref = opts.reference_date
    exit_ = read_dates(df, "exit_date", opts) if "exit_date" in df.columns else None
    if exit_ is not None:
        raise_order(df, (exit_ < entry).to_numpy(),
                     "exit_date is before entry_date (exit before entry); fix the dates or drop the rows", "exit_date",
                     opts)
        if ref is not None:
            after = (exit_ > ref).to_numpy()
            if after.any():
                notes.append(Counted.of(f"{{n}} participation(s) leaving after the reference date {ref.date()} "
                                        "count as still in the operation.", df, after))
                exit_ = exit_.mask(exit_ > ref)
    return exit_


def _sex_flags(table: FlagTable) -> None:
    df, flags, opts = table.df, table.flags, table.opts
    where = where_of(opts)
    if df["sex"].isna().any():
        mask = df["sex"].isna().to_numpy()
        raise DataError(f"{where}: column 'sex' is empty in {describe_rows(df, mask)}; ESF data are broken down by "
                        "sex (F or M) for every participant.", column="sex", rows=example_rows(df, mask),
                        source=opts.source)
    sex = read_coded(df, "sex", "sex", opts)
    flags["men"], flags["women"] = has_code(sex, "M"), has_code(sex, "F")


def _age_flags(table: FlagTable, entry: pd.Series) -> np.ndarray | None:
    """under25 / over54 from the age in completed years at entry; warns about ages outside the YEI window."""
    df, flags, unavailable, cover, opts = table.df, table.flags, table.unavailable, table.cover, table.opts
    has = table.has
    age = None
    if has("birth_date"):
        birth = read_dates(df, "birth_date", opts)
        raise_order(df, (birth > entry).to_numpy(), "birth_date is after entry_date", "birth_date", opts)
        age = completed_years(entry, birth)
    elif has("age_at_entry"):
        age = read_number(df, "age_at_entry", opts)
    else:
        unavailable["age"] = "needs column birth_date (or age_at_entry)"
    if age is not None:
        cover("birth_date" if has("birth_date") else "age_at_entry", np.isnan(age), flags["all"], "all")
        with np.errstate(invalid="ignore"):
            flags["under25"], flags["over54"] = age < 25, age > 54
        lo, hi = opts.yei_age
        outside = ~np.isnan(age) & ((age < lo) | (age > hi))
        if outside.any():
            _eligibility(table, Counted.of(f"{{n}} participation(s) aged outside the YEI window {lo}-{hi} at entry "
                                           "({rows})", df, outside))
    else:
        unavailable["under25"] = unavailable["over54"] = unavailable["age"]
    return age


def _labour_market_flags(table: FlagTable, age: np.ndarray | None) -> None:
    """unemployed / inactive / employed at entry, long-term unemployed, inactive NEET."""
    df, flags, unavailable, cover, opts = table.df, table.flags, table.unavailable, table.cover, table.opts
    has = table.has
    if has("lm_status_entry"):
        lm = read_coded(df, "lm_status_entry", "lm_status_entry", opts)
        flags["unemployed"], flags["inactive"], flags["employed"] = (
            has_code(lm, "UNEMPLOYED"), has_code(lm, "INACTIVE"), has_code(lm, "EMPLOYED"))
        cover("lm_status_entry", lm.codes == -1, flags["all"], "all")
        if flags["employed"].any():
            _eligibility(table, Counted.of("{n} participation(s) employed at entry: the YEI supports NEETs only "
                                           "({rows})", df, flags["employed"]))
        if has("unemp_duration_months") and age is not None:
            dur = read_number(df, "unemp_duration_months", opts)
            missing = flags["unemployed"] & np.isnan(dur)
            cover("unemp_duration_months", np.isnan(dur), flags["unemployed"], "unemployed")
            if missing.any():
                _missing(table, Counted.of("{n} unemployed participation(s) have no unemployment duration: they are "
                                           "not counted as long-term unemployed (CO02 and YEI CR04-CR06 are lower "
                                           "bounds)", df, missing))
            with np.errstate(invalid="ignore"):
                flags["ltu"] = flags["unemployed"] & (((age < 25) & (dur > 6)) | ((age >= 25) & (dur > 12)))
        else:
            unavailable["ltu"] = "needs columns unemp_duration_months and birth_date (LTU depends on age)"
        if has("in_education_training_entry"):
            edu, known = read_flag(df, "in_education_training_entry", opts)
            cover("in_education_training_entry", ~known, flags["inactive"], "inactive")
            flags["ineet"] = flags["inactive"] & known & ~edu
            in_edu = flags["inactive"] & edu
            if in_edu.any():
                _eligibility(table, Counted.of("{n} inactive participation(s) in education or training at entry are "
                                               "not NEET ({rows})", df, in_edu))
        else:
            unavailable["ineet"] = "needs column in_education_training_entry"
        if age is not None and "ineet" in flags:
            with np.errstate(invalid="ignore"):
                flags["over54_u_ineet"] = (age > 54) & (flags["unemployed"] | flags["ineet"])
        else:
            unavailable["over54_u_ineet"] = "needs columns birth_date, lm_status_entry and in_education_training_entry"
    else:
        for r in ("unemployed", "inactive", "employed", "ltu", "ineet", "over54_u_ineet"):
            unavailable[r] = "needs column lm_status_entry"


def _education_flags(table: FlagTable) -> None:
    """ISCED level groups at entry (given, or derived from the national level)."""
    df, flags, unavailable, notes, cover, opts = (table.df, table.flags, table.unavailable, table.notes, table.cover,
                                                  table.opts)
    isced = _isced(df, opts, notes)
    if isced is not None:
        cover("isced_entry", np.isnan(isced), flags["all"], "all")
        for name, lo_, hi_ in (("isced_0", 0, 0), ("isced_1_2", 1, 2), ("isced_3_4", 3, 4), ("isced_5_8", 5, 8),
                               ("isced_0_4", 0, 4), ("isced_0_2", 0, 2)):
            with np.errstate(invalid="ignore"):
                flags[name] = (isced >= lo_) & (isced <= hi_)
    else:
        for name in ("isced_0", "isced_1_2", "isced_3_4", "isced_5_8", "isced_0_4", "isced_0_2"):
            unavailable[name] = "needs column isced_entry or national_level"


def _household_flags(table: FlagTable) -> None:
    """Household situation and the disadvantage flags (CO12-CO18), and their union 'disadvantaged'."""
    df, flags, unavailable, notes, cover, opts = (table.df, table.flags, table.unavailable, table.notes, table.cover,
                                                  table.opts)
    has = table.has
    values: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for col, rule in _BOOL_COLUMNS.items():
        if has(col):
            values[rule] = read_flag(df, col, opts)
            cover(col, ~values[rule][1], flags["all"], "all")
            if rule not in ("hh_dependent_children", "hh_single_adult"):
                flags[rule] = values[rule][0]
        elif rule not in ("hh_dependent_children", "hh_single_adult"):
            unavailable[rule] = f"needs column {col}"
    if "hh_jobless" in values and "hh_dependent_children" in values:
        flags["hh_jobless_children"] = values["hh_jobless"][0] & values["hh_dependent_children"][0]
    else:
        unavailable["hh_jobless_children"] = "needs columns hh_jobless and hh_dependent_children"
    if "hh_single_adult" in values and "hh_dependent_children" in values:
        flags["single_adult_children"] = values["hh_single_adult"][0] & values["hh_dependent_children"][0]
    else:
        unavailable["single_adult_children"] = "needs columns hh_single_adult and hh_dependent_children"
    used = [r for r in DISADVANTAGE_RULES if r in flags]
    if used:
        flags["disadvantaged"] = np.logical_or.reduce([flags[r] for r in used])
        if len(used) < len(DISADVANTAGE_RULES):
            notes.append("'Disadvantaged' (ESF CR05, CR09) is built from the available flags only: " + ", ".join(used)
                         + ".")
    else:
        unavailable["disadvantaged"] = "needs at least one of the CO12-CO18 columns (hh_jobless, disability_rqth, ...)"


def _eligibility(table: FlagTable, message: Counted) -> None:
    """A note and an EligibilityWarning (issued by the caller once the partitions are merged)."""
    table.notes.append(replace(message, template="Eligibility: " + message.template + "."))
    table.warnings.append((EligibilityWarning, replace(message, template=message.template +
                                                       "; they are kept in descriptive indicators.")))


def _missing(table: FlagTable, message: Counted) -> None:
    table.notes.append(replace(message, template=message.template + "."))
    table.warnings.append((MissingDataWarning, replace(message, template=message.template + ".")))


def _check_duplicates(df: pd.DataFrame, opts: RuleOptions) -> None:
    where = where_of(opts)
    if "participation_id" in df.columns:
        dup = df["participation_id"].duplicated(keep=False).to_numpy()
        if dup.any():
            raise DuplicateParticipationError(
                f"{where}: participation_id is not unique: {describe_rows(df, dup)}. Each participation "
                "(person x operation) must appear once.", column="participation_id",
                rows=example_rows(df, dup), source=opts.source)
    if "person_id" in df.columns and "operation_id" in df.columns:
        dup = df.duplicated(["person_id", "operation_id"], keep=False).to_numpy()
        if dup.any():
            raise DuplicateParticipationError(
                f"{where}: the same (person_id, operation_id) appears more than once in {describe_rows(df, dup)}. "
                "ESF rules keep one record per person and operation: merge re-entries first (first entry date, "
                "last exit date and latest results).", column="person_id", rows=example_rows(df, dup),
                source=opts.source)


def _isced(df: pd.DataFrame, opts: RuleOptions, notes: list[Message]) -> np.ndarray | None:
    if "isced_entry" in df.columns:
        s = df["isced_entry"]
        num = pd.to_numeric(s, errors="coerce").astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        ok = np.isin(num, np.arange(9, dtype=float))
        bad = s.notna().to_numpy() & ~ok
        if bad.any():
            counts = s[bad].astype(str).value_counts()
            shown = ", ".join(f"{v!r} ({c} rows)" for v, c in counts.head(10).items())
            raise UnknownCodeError(
                f"{where_of(opts)}: column 'isced_entry' must be an ISCED 2011 level 0-8; found {shown}; e.g. "
                f"{describe_rows(df, bad)}. Derive it from national_level instead (drop isced_entry).",
                column="isced_entry", rows=example_rows(df, bad), source=opts.source)
        notes.append("Education: ISCED levels as given in isced_entry.")
        return num
    if "national_level" in df.columns:
        read_coded(df, "national_level", "national_level", opts)
        isced = datamodel.national_level_to_isced(df["national_level"], variant=opts.isced_map)
        notes.append(f"Education: ISCED derived from national_level with map '{opts.isced_map}' (national_level_isced "
                     f"version {datamodel.codelist_version('national_level')}).")
        return isced.to_numpy(dtype=float, na_value=np.nan)
    return None
