"""Indicator rules: check a participations table and turn it into one boolean flag per rule and row.

A *rule* is a numerator condition (``completed``, ``isced_1_2`` ...) and a *population* a denominator
(``leavers_unemployed`` ...); ``registry.csv`` pairs them into indicators. All rules are vectorised
numpy expressions over the canonical participation columns (domain brief E.2). Definitions (domain
brief B):

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
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._validation import ID_COLUMNS, describe_rows, example_rows
from ..data import _datamodel as datamodel
from ..errors import (
    DataError,
    DateOrderError,
    DuplicateParticipationError,
    EligibilityWarning,
    MissingDataWarning,
    ParseError,
    UnknownCodeError,
)
from ._registry import exit_status_map

__all__ = ["RuleOptions", "Prepared", "prepare", "POPULATIONS", "DISADVANTAGE_RULES"]

#: the rules whose union defines "disadvantaged" for ESF CR05/CR09 (CO12-CO18) [K, domain brief B.2]
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
_TRUE = {"true", "1", "1.0", "yes", "oui"}
_FALSE = {"false", "0", "0.0", "no", "non"}


@dataclass(frozen=True)
class RuleOptions:
    """Options of the rules (set by :func:`iej_impact.programme_indicators`)."""

    func: str = "programme_indicators"
    reference_date: pd.Timestamp | None = None
    upon_leaving_days: int = 28
    late_exit_status: str = "error"
    six_month_window_days: int = 31
    weights: str | None = "sample_weight_6m"
    isced_map: str = "isced2011"
    yei_age: tuple[int, int] = (16, 25)
    source: str | None = None


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
    notes: list[str] = field(default_factory=list)

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
                        self.exit[keep], list(self.notes))


# ---------------------------------------------------------------------------------------------- parsing


def _where(opts: RuleOptions) -> str:
    return f"{opts.func}()" + (f" [{opts.source}]" if opts.source else "")


def _dates(df: pd.DataFrame, col: str, opts: RuleOptions) -> pd.Series:
    s = df[col]
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        s = s.dt.tz_localize(None)
    if pd.api.types.is_datetime64_any_dtype(s):
        return s.astype("datetime64[ns]")
    if isinstance(s.dtype, pd.PeriodDtype):
        return s.dt.to_timestamp().astype("datetime64[ns]")
    parsed = pd.to_datetime(s, errors="coerce", format="ISO8601")
    bad = parsed.isna() & s.notna() & s.astype(str).str.strip().ne("")
    if bad.any():
        values = pd.unique(s[bad].astype(str))[:5].tolist()
        raise ParseError(
            f"{_where(opts)}: column '{col}' holds values that are not ISO dates (YYYY-MM-DD): {values} in "
            f"{describe_rows(df, bad)}. Parse French dates (dd/mm/yyyy) when loading, e.g. load_data(..., "
            f"parse={{'{col}': 'date_fr'}}).",
            column=col, rows=example_rows(df, bad), source=opts.source,
        )
    return parsed.astype("datetime64[ns]")


@dataclass(frozen=True)
class _Coded:
    """Category codes of a coded column (-1 = missing) with the code list as categories."""

    codes: np.ndarray
    categories: pd.Index

    def values(self) -> np.ndarray:
        """Object array of codes (None where missing)."""
        return np.append(self.categories.to_numpy(dtype=object), None)[self.codes]


def _coded(df: pd.DataFrame, col: str, listname: str, opts: RuleOptions) -> _Coded:
    allowed = pd.Index(list(datamodel.codes(listname)), dtype=object)
    s = df[col]
    raw_codes, uniq = pd.factorize(s, use_na_sentinel=True)
    uniq_obj = pd.Index(uniq, dtype=object)
    pos = allowed.get_indexer(uniq_obj)
    blank = np.array([isinstance(u, str) and u.strip() == "" for u in uniq_obj], dtype=bool)
    bad_u = (pos < 0) & ~blank
    lookup = np.append(np.where(blank, -1, pos), -1)
    codes = lookup[raw_codes]
    if bad_u.any():
        unknown = np.isin(raw_codes, np.flatnonzero(bad_u))
        counts = s[unknown].astype(str).value_counts()
        shown = ", ".join(f"{v!r} ({n} row{'s' if n > 1 else ''})" for v, n in counts.head(10).items())
        raise UnknownCodeError(
            f"{_where(opts)}: column '{col}' has values not in the '{listname}' code list (version "
            f"{datamodel.codelist_version(listname)}): {shown}; e.g. {describe_rows(df, unknown)}. Allowed: "
            f"{', '.join(map(str, allowed))}. Map raw values to canonical codes when loading "
            f"(codes: {{{col}: {{raw: CODE}}}}).",
            column=col, rows=example_rows(df, unknown), source=opts.source,
        )
    return _Coded(codes.astype(np.int64), allowed)


def _is(cat: _Coded, *values: str) -> np.ndarray:
    idx = [cat.categories.get_loc(v) for v in values]
    return np.isin(cat.codes, idx)


def _bool(df: pd.DataFrame, col: str, opts: RuleOptions) -> tuple[np.ndarray, np.ndarray]:
    """(value, known) arrays of a nullable boolean column."""
    s = df[col]
    if pd.api.types.is_bool_dtype(s) and not s.isna().any():
        v = s.to_numpy(dtype=bool)
        return v, np.ones(len(s), dtype=bool)
    if s.dtype == object:
        try:  # Python booleans with None/NaN (the common case) convert without text parsing
            b = s.astype("boolean")
            return b.fillna(False).to_numpy(dtype=bool), b.notna().to_numpy()
        except (TypeError, ValueError):
            pass
    known = s.notna().to_numpy().copy()
    if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
        num = s.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        bad = known & ~np.isin(num, (0.0, 1.0))
        value = num == 1.0
    else:
        text = s.astype(str).str.strip().str.lower()
        known &= text.ne("").to_numpy() & text.ne("none").to_numpy() & text.ne("nan").to_numpy()
        is_true = text.isin(_TRUE).to_numpy()
        is_false = text.isin(_FALSE).to_numpy()
        bad = known & ~is_true & ~is_false
        value = is_true
    if bad.any():
        values = pd.unique(s[bad].astype(str))[:8].tolist()
        raise DataError(
            f"{_where(opts)}: column '{col}' must be boolean (True/False, 1/0, or empty for unknown); found "
            f"{values} in {describe_rows(df, bad)}. Recode it when loading (codes: {{{col}: {{raw: true/false}}}}).",
            column=col, rows=example_rows(df, bad), source=opts.source,
        )
    return value & known, known


def _numeric(df: pd.DataFrame, col: str, opts: RuleOptions, *, low: float = 0.0, low_open: bool = False) -> np.ndarray:
    s = df[col]
    num = pd.to_numeric(s, errors="coerce").astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    bad = np.isnan(num) & s.notna().to_numpy()
    out_of_range = ~np.isnan(num) & ((num <= low) if low_open else (num < low))
    if bad.any() or out_of_range.any():
        mask = bad | out_of_range
        values = pd.unique(s[mask].astype(str))[:8].tolist()
        op = ">" if low_open else ">="
        raise DataError(
            f"{_where(opts)}: column '{col}' must be a number {op} {low:g} (or empty); found {values} in "
            f"{describe_rows(df, mask)}.",
            column=col, rows=example_rows(df, mask), source=opts.source,
        )
    return num


def _ages(entry: pd.Series, birth: pd.Series) -> np.ndarray:
    e = pd.DatetimeIndex(entry)
    b = pd.DatetimeIndex(birth)
    before = (e.month * 100 + e.day) < (b.month * 100 + b.day)
    age = (e.year - b.year - before.astype(int)).to_numpy(dtype=float)
    age[np.asarray(b.isna())] = np.nan
    return age


def _raise_order(df: pd.DataFrame, mask: np.ndarray, message: str, column: str, opts: RuleOptions) -> None:
    if mask.any():
        raise DateOrderError(
            f"{_where(opts)}: {message} in {describe_rows(df, mask)}.", column=column,
            rows=example_rows(df, mask), source=opts.source,
        )


# ---------------------------------------------------------------------------------------------- prepare


def prepare(data: pd.DataFrame, opts: RuleOptions, *, extra_columns: Sequence[str] = ()) -> Prepared:
    """Check ``data`` (a participations table) and compute every available rule flag.

    Raises the toolkit's data errors for: missing required columns, duplicates, dates out of order,
    unknown codes, unparseable values, six-month statuses without a date or weight.
    """
    where = _where(opts)
    for col in ("entry_date", "sex"):
        if col not in data.columns:
            raise DataError(
                f"{where}: column '{col}' not found; the indicators need at least entry_date and sex (the EU "
                "breakdown). Rename your columns to the canonical names (data.columns in the config).",
                column=col, source=opts.source,
            )
    keep_cols = [c for c in dict.fromkeys([*ID_COLUMNS, *data.columns]) if c in data.columns]
    df = data[keep_cols]
    notes: list[str] = []
    unavailable: dict[str, str] = {}
    has = set(df.columns).__contains__

    entry = _dates(df, "entry_date", opts)
    if entry.isna().any():
        mask = entry.isna().to_numpy()
        raise DataError(f"{where}: column 'entry_date' is empty in {describe_rows(df, mask)}; every participation "
                        "needs its entry date.", column="entry_date", rows=example_rows(df, mask), source=opts.source)
    ref = opts.reference_date
    if ref is not None:
        late = (entry > ref).to_numpy()
        if late.any():
            notes.append(f"{int(late.sum())} participation(s) entered after the reference date {ref.date()} are "
                         "excluded.")
            df, entry = df[~late], entry[~late]
    if len(df) == 0:
        raise DataError(f"{where}: no participation entered on or before the reference date.", source=opts.source)

    _check_duplicates(df, opts)

    exit_ = _dates(df, "exit_date", opts) if has("exit_date") else None
    if exit_ is not None:
        _raise_order(df, (exit_ < entry).to_numpy(),
                     "exit_date is before entry_date (exit before entry); fix the dates or drop the rows", "exit_date",
                     opts)
        if ref is not None:
            after = (exit_ > ref).to_numpy()
            if after.any():
                notes.append(f"{int(after.sum())} participation(s) leaving after the reference date {ref.date()} "
                             "count as still in the operation.")
                exit_ = exit_.mask(exit_ > ref)
    n = len(df)
    flags: dict[str, np.ndarray] = {"all": np.ones(n, dtype=bool)}
    coverage: list[dict[str, object]] = []

    def cover(column: str, missing: np.ndarray, among: np.ndarray, population: str) -> None:
        m = int(among.sum())
        coverage.append({"column": column, "population": population, "rows": m,
                         "missing": int((missing & among).sum()),
                         "share_missing": float((missing & among).sum() / m) if m else float("nan")})

    # sex
    if df["sex"].isna().any():
        mask = df["sex"].isna().to_numpy()
        raise DataError(f"{where}: column 'sex' is empty in {describe_rows(df, mask)}; ESF data are broken down by "
                        "sex (F or M) for every participant.", column="sex", rows=example_rows(df, mask),
                        source=opts.source)
    sex = _coded(df, "sex", "sex", opts)
    flags["men"], flags["women"] = _is(sex, "M"), _is(sex, "F")

    # age at entry
    age = None
    if has("birth_date"):
        birth = _dates(df, "birth_date", opts)
        _raise_order(df, (birth > entry).to_numpy(), "birth_date is after entry_date", "birth_date", opts)
        age = _ages(entry, birth)
    elif has("age_at_entry"):
        age = _numeric(df, "age_at_entry", opts)
    else:
        unavailable["age"] = "needs column birth_date (or age_at_entry)"
    if age is not None:
        cover("birth_date" if has("birth_date") else "age_at_entry", np.isnan(age), flags["all"], "all")
        with np.errstate(invalid="ignore"):
            flags["under25"], flags["over54"] = age < 25, age > 54
        lo, hi = opts.yei_age
        outside = ~np.isnan(age) & ((age < lo) | (age > hi))
        if outside.any():
            _eligibility(f"{int(outside.sum())} participation(s) aged outside the YEI window {lo}-{hi} at entry "
                         f"({describe_rows(df, outside)})", notes)
    else:
        unavailable["under25"] = unavailable["over54"] = unavailable["age"]

    # labour-market status at entry
    if has("lm_status_entry"):
        lm = _coded(df, "lm_status_entry", "lm_status_entry", opts)
        flags["unemployed"], flags["inactive"], flags["employed"] = (
            _is(lm, "UNEMPLOYED"), _is(lm, "INACTIVE"), _is(lm, "EMPLOYED"))
        cover("lm_status_entry", lm.codes == -1, flags["all"], "all")
        if flags["employed"].any():
            _eligibility(f"{int(flags['employed'].sum())} participation(s) employed at entry: the YEI supports NEETs "
                         f"only ({describe_rows(df, flags['employed'])})", notes)
        if has("unemp_duration_months") and age is not None:
            dur = _numeric(df, "unemp_duration_months", opts)
            missing = flags["unemployed"] & np.isnan(dur)
            cover("unemp_duration_months", np.isnan(dur), flags["unemployed"], "unemployed")
            if missing.any():
                _missing(f"{int(missing.sum())} unemployed participation(s) have no unemployment duration: they are "
                         "not counted as long-term unemployed (CO02 and YEI CR04-CR06 are lower bounds)", notes)
            with np.errstate(invalid="ignore"):
                flags["ltu"] = flags["unemployed"] & (((age < 25) & (dur > 6)) | ((age >= 25) & (dur > 12)))
        else:
            unavailable["ltu"] = "needs columns unemp_duration_months and birth_date (LTU depends on age)"
        if has("in_education_training_entry"):
            edu, known = _bool(df, "in_education_training_entry", opts)
            cover("in_education_training_entry", ~known, flags["inactive"], "inactive")
            flags["ineet"] = flags["inactive"] & known & ~edu
            in_edu = flags["inactive"] & edu
            if in_edu.any():
                _eligibility(f"{int(in_edu.sum())} inactive participation(s) in education or training at entry are not "
                             f"NEET ({describe_rows(df, in_edu)})", notes)
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

    # education
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

    # household and disadvantage flags
    values: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for col, rule in _BOOL_COLUMNS.items():
        if has(col):
            values[rule] = _bool(df, col, opts)
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

    _exit_flags(df, exit_, flags, unavailable, notes, cover, opts)
    weight = _six_month_flags(df, exit_, flags, unavailable, notes, cover, opts)

    unavailable = {k: v for k, v in unavailable.items() if k not in flags}
    cov = pd.DataFrame(coverage, columns=["column", "population", "rows", "missing", "share_missing"])
    exit_arr = exit_.to_numpy(dtype="datetime64[ns]") if exit_ is not None else np.full(n, np.datetime64("NaT"), "M8[ns]")
    return Prepared(df, flags, unavailable, weight, cov, entry.to_numpy(dtype="datetime64[ns]"), exit_arr, notes)


def _eligibility(message: str, notes: list[str]) -> None:
    notes.append("Eligibility: " + message + ".")
    warnings.warn(message + "; they are kept in descriptive indicators.", EligibilityWarning, stacklevel=4)


def _missing(message: str, notes: list[str]) -> None:
    notes.append(message + ".")
    warnings.warn(message + ".", MissingDataWarning, stacklevel=4)


def _check_duplicates(df: pd.DataFrame, opts: RuleOptions) -> None:
    where = _where(opts)
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


def _isced(df: pd.DataFrame, opts: RuleOptions, notes: list[str]) -> np.ndarray | None:
    if "isced_entry" in df.columns:
        s = df["isced_entry"]
        num = pd.to_numeric(s, errors="coerce").astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        ok = np.isin(num, np.arange(9, dtype=float))
        bad = s.notna().to_numpy() & ~ok
        if bad.any():
            counts = s[bad].astype(str).value_counts()
            shown = ", ".join(f"{v!r} ({c} rows)" for v, c in counts.head(10).items())
            raise UnknownCodeError(
                f"{_where(opts)}: column 'isced_entry' must be an ISCED 2011 level 0-8; found {shown}; e.g. "
                f"{describe_rows(df, bad)}. Derive it from national_level instead (drop isced_entry).",
                column="isced_entry", rows=example_rows(df, bad), source=opts.source)
        notes.append("Education: ISCED levels as given in isced_entry.")
        return num
    if "national_level" in df.columns:
        _coded(df, "national_level", "national_level", opts)
        isced = datamodel.national_level_to_isced(df["national_level"], variant=opts.isced_map)
        notes.append(f"Education: ISCED derived from national_level with map '{opts.isced_map}' (national_level_isced "
                     f"version {datamodel.codelist_version('national_level')}).")
        return isced.to_numpy(dtype=float, na_value=np.nan)
    return None


def _exit_flags(df, exit_, flags, unavailable, notes, cover, opts: RuleOptions) -> None:  # noqa: ANN001
    n = len(df)
    if exit_ is None:
        for r in ("leaver", "completed", "offer", "qualification", "exit_job_search", "exit_education_training",
                  "exit_employed", "yei_positive", "esf_positive", "fr_positive", "fr_emploi_durable",
                  "fr_emploi_autre", "fr_formation_etudes", "fr_dropout_no_solution", "fr_no_solution"):
            unavailable[r] = "needs column exit_date"
        return
    leaver = exit_.notna().to_numpy()
    flags["leaver"] = leaver
    has = set(df.columns).__contains__
    if has("exit_reason"):
        reason = _coded(df, "exit_reason", "exit_reason", opts)
        flags["completed"] = leaver & _is(reason, "COMPLETED")
        dropout = _is(reason, "DROPOUT", "DROPOUT_FOR_JOB_OR_TRAINING")
        reason_known = reason.codes >= 0
        cover("exit_reason", ~reason_known, leaver, "leavers")
    else:
        unavailable["completed"] = "needs column exit_reason"
        dropout = reason_known = None
    for col, rule in (("offer_received_at_exit", "offer"), ("qualification_gained", "qualification")):
        if has(col):
            val, known = _bool(df, col, opts)
            flags[rule] = leaver & val
            cover(col, ~known, leaver, "leavers")
        else:
            unavailable[rule] = f"needs column {col}"

    eu = fr_cat = None
    if has("exit_status_fr"):
        fr = _coded(df, "exit_status_fr", "exit_status_fr", opts)
        emap = exit_status_map()
        fr_codes = fr.categories.to_numpy(dtype=object)
        eu_by_fr = emap.reindex(fr_codes)["exit_status_eu"].to_numpy()
        cat_by_fr = emap.reindex(fr_codes)["report_category"].fillna("").to_numpy()
        lookup_eu = np.append(eu_by_fr, None)
        lookup_cat = np.append(cat_by_fr, "")
        fr_cat = lookup_cat[fr.codes]  # code -1 -> last element
        eu = lookup_eu[fr.codes]
    if has("exit_status_eu"):
        given_arr = _coded(df, "exit_status_eu", "exit_status_eu", opts).values()
        eu = given_arr if eu is None else np.where(given_arr != None, given_arr, eu)  # noqa: E711
    status_known = None
    if eu is not None:
        eu = np.asarray(eu, dtype=object)
        status_known = leaver & (eu != None) & (eu != "UNKNOWN")  # noqa: E711
        if has("exit_status_date"):
            sdate = _dates(df, "exit_status_date", opts)
            observed = status_known & sdate.notna().to_numpy()
            _raise_order(df, observed & (sdate < exit_).to_numpy(),
                         "exit_status_date is before exit_date (situation 'upon leaving' observed before leaving)",
                         "exit_status_date", opts)
            late = observed & (sdate > exit_ + pd.Timedelta(days=opts.upon_leaving_days)).to_numpy()
            if late.any():
                if opts.late_exit_status == "error":
                    _raise_order(df, late, f"exit_status_date is more than {opts.upon_leaving_days} days after "
                                 "exit_date, so the situation is not 'upon leaving' (4 weeks, ESF rules); correct the "
                                 "dates, or pass late_exit_status='unknown' to count these situations as unknown",
                                 "exit_status_date", opts)
                notes.append(f"{int(late.sum())} exit situation(s) observed more than {opts.upon_leaving_days} days "
                             "after exit are counted as unknown (late_exit_status='unknown').")
                status_known &= ~late
                if fr_cat is not None:
                    fr_cat = np.where(late, "", fr_cat)
        else:
            notes.append("No exit_status_date column: exit situations are taken as observed upon leaving.")
        cover("exit_status", ~status_known, leaver, "leavers")
        employed = status_known & np.isin(eu, ["EMPLOYED", "SELF_EMPLOYED"])
        edu = status_known & (eu == "EDUCATION_TRAINING")
        flags["exit_employed"], flags["exit_education_training"] = employed, edu
        flags["exit_job_search"] = status_known & (eu == "JOB_SEARCHING")
        qual = flags.get("qualification", np.zeros(n, dtype=bool))
        flags["yei_positive"] = employed | edu | qual
        flags["esf_positive"] = flags["yei_positive"] | flags["exit_job_search"]
        if "qualification" not in flags:
            notes.append("No qualification_gained column: YEI CR03/CR06/CR09 and ESF CR05 count exits to employment "
                         "and education/training only.")
    else:
        for r in ("exit_job_search", "exit_education_training", "exit_employed", "yei_positive", "esf_positive"):
            unavailable[r] = "needs column exit_status_fr or exit_status_eu"
    if fr_cat is not None:
        fr_cat = np.where(leaver, fr_cat, "")
        flags["fr_emploi_durable"] = fr_cat == "EMPLOI_DURABLE"
        flags["fr_emploi_autre"] = fr_cat == "EMPLOI_AUTRE"
        flags["fr_formation_etudes"] = fr_cat == "FORMATION_ETUDES"
        flags["fr_positive"] = flags["fr_emploi_durable"] | flags["fr_emploi_autre"] | flags["fr_formation_etudes"]
        no_solution = fr_cat == "SANS_SOLUTION"
        if dropout is not None:
            flags["fr_dropout_no_solution"] = no_solution & dropout
            flags["fr_no_solution"] = no_solution & reason_known & ~dropout
        else:
            unavailable["fr_dropout_no_solution"] = unavailable["fr_no_solution"] = "needs column exit_reason"
    else:
        for r in ("fr_positive", "fr_emploi_durable", "fr_emploi_autre", "fr_formation_etudes",
                  "fr_dropout_no_solution", "fr_no_solution"):
            unavailable[r] = "needs column exit_status_fr"


def _six_month_flags(df, exit_, flags, unavailable, notes, cover, opts: RuleOptions) -> np.ndarray | None:  # noqa: ANN001
    names = ("followup6m", "s6_employed", "s6_employee", "s6_self_employed", "s6_education", "s6_improved")
    if "status_6m" not in df.columns or exit_ is None:
        for r in names:
            unavailable[r] = "needs columns status_6m and exit_date"
        return None
    where = _where(opts)
    st = _coded(df, "status_6m", "status_6m", opts)
    leaver = flags["leaver"]
    recorded = (st.codes >= 0) & ~_is(st, "UNKNOWN")
    _raise_order(df, recorded & ~leaver, "status_6m is recorded for participations with no exit date (a six-month "
                 "situation needs an exit)", "status_6m", opts)
    if "status_6m_date" not in df.columns:
        if recorded.any():
            raise DataError(f"{where}: status_6m is given but the data have no status_6m_date column; the six-month "
                            "situation needs the date it was observed (about exit_date + 6 months).",
                            column="status_6m_date", rows=example_rows(df, recorded), source=opts.source)
        sdate = pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
    else:
        sdate = _dates(df, "status_6m_date", opts)
    no_date = recorded & sdate.isna().to_numpy()
    if no_date.any():
        raise DataError(f"{where}: status_6m is recorded without a status_6m_date in {describe_rows(df, no_date)}; "
                        "give the date the six-month situation was observed, or clear status_6m.",
                        column="status_6m_date", rows=example_rows(df, no_date), source=opts.source)
    _raise_order(df, recorded & (sdate < exit_).to_numpy(), "status_6m_date is before exit_date", "status_6m_date",
                 opts)
    target = exit_ + pd.DateOffset(months=6)
    off = recorded & ((sdate - target).abs() > pd.Timedelta(days=opts.six_month_window_days)).to_numpy()
    _raise_order(df, off, f"status_6m_date is more than {opts.six_month_window_days} days away from exit_date + 6 "
                 "months (widen six_month_window_days if your follow-up window is wider)", "status_6m_date", opts)
    followup = leaver & recorded
    flags["followup6m"] = followup
    cover("status_6m", ~recorded, leaver, "leavers")
    flags["s6_employed"] = followup & _is(st, "EMPLOYED", "SELF_EMPLOYED")
    flags["s6_employee"] = followup & _is(st, "EMPLOYED")
    flags["s6_self_employed"] = followup & _is(st, "SELF_EMPLOYED")
    flags["s6_education"] = followup & _is(st, "EDUCATION", "QUALIFYING_TRAINING", "APPRENTICESHIP", "TRAINEESHIP")
    if "improved_situation_6m" in df.columns:
        val, known = _bool(df, "improved_situation_6m", opts)
        flags["s6_improved"] = followup & val
    else:
        unavailable["s6_improved"] = "needs column improved_situation_6m"

    wcol = opts.weights
    if wcol is None:
        notes.append("Six-month indicators are unweighted (weights=None).")
        return None
    if wcol not in df.columns:
        if wcol != "sample_weight_6m":
            raise DataError(f"{where}: weights column '{wcol}' not found.", column=wcol, source=opts.source)
        notes.append("Six-month indicators are unweighted: no sample_weight_6m column (statuses taken as a census "
                     "of leavers with a recorded situation).")
        return None
    w = _numeric(df, wcol, opts, low=0.0, low_open=True)
    missing = followup & np.isnan(w)
    if np.isnan(w[followup]).all() and followup.any():
        notes.append(f"Six-month indicators are unweighted: {wcol} is empty for every followed-up leaver.")
        return None
    if missing.any():
        raise DataError(f"{where}: {wcol} is missing for {describe_rows(df, missing)} with a recorded status_6m; "
                        "when the six-month situation comes from a sample survey every respondent needs a weight "
                        "(CR10-CR12 and ESF CR06-CR09 are weighted estimates).", column=wcol,
                        rows=example_rows(df, missing), source=opts.source)
    notes.append(f"Six-month indicators are weighted by {wcol} (design-based CI; see the notes).")
    return np.where(followup, w, 0.0)
