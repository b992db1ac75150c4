"""Canonical data model of iej_impact: code lists and table schemas.

The model has four canonical tables (documented in docs/reference/data-model.md, generated from
:data:`TABLES`)

* ``operations`` (one row per operation / MDFSE dossier),
* ``participations`` (one row per person x operation, the ESF unit),
* ``comparison_cohort`` (candidate controls with the participants' covariates),
* ``panel`` (person x period outcomes for difference-in-differences),

with snake_case column names, ISO dates, shares stored as fractions in [0, 1], and categorical
columns governed by **versioned code lists shipped as data files** (``codelists/*.csv`` plus
``codelists/index.yaml``), never by hard-coded enums. Alias tables (``*_aliases.csv``) map raw
spellings met in real extracts (e.g. the annex typo "Appprentissage") to canonical codes; they are
applied only when a caller asks for them (see :func:`iej_impact.data._recoding.apply_codes`).

References
----------
Regulation (EU) No 1304/2013 (ESF), Annexes I and II: common indicators and the participant
record rules (one record per person and operation, entry data kept on re-entry).
UNESCO Institute for Statistics (2012), *International Standard Classification of Education:
ISCED 2011*.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Any, Literal

import pandas as pd

from .._validation import suggest
from ..errors import SpecificationError, UnknownCodeError

__all__ = [
    "ColumnSpec",
    "TableSchema",
    "TABLES",
    "ColumnType",
    "EXIT_RESULT_COLUMNS",
    "codelist",
    "codelist_version",
    "codelist_names",
    "codelist_info",
    "codes",
    "alias_table",
    "isced_map",
    "national_level_to_isced",
    "table_schema",
]

#: ``period``: a month as a date / monthly Period, or an integer period index (e.g. months since a start)
ColumnType = Literal["str", "int", "float", "bool", "date", "period", "category"]
COLUMN_TYPES: tuple[str, ...] = ("str", "int", "float", "bool", "date", "period", "category")

_PACKAGE_DIR = "data/codelists"


# --------------------------------------------------------------------------------------------
# Code lists
# --------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _index() -> dict[str, Any]:
    import yaml  # imported here: estimating does not need PyYAML

    text = resources.files("iej_impact").joinpath(_PACKAGE_DIR, "index.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def _read_package_csv(filename: str) -> pd.DataFrame:
    with resources.files("iej_impact").joinpath(_PACKAGE_DIR, filename).open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False)


def codelist_names() -> tuple[str, ...]:
    """Names of the shipped code lists (keys of ``codelists/index.yaml``), in index order."""
    return tuple(_index()["lists"])


def codelist_info(name: str) -> dict[str, Any]:
    """Index entry of a code list: version, file, dtype, provenance, governed columns, alias file."""
    lists = _index()["lists"]
    if name not in lists:
        raise SpecificationError(
            f"unknown code list {name!r}; the shipped lists are: {', '.join(lists)}." + suggest(name, lists)
        )
    return dict(lists[name])


@cache
def _codelist_cached(name: str) -> pd.DataFrame:
    info = codelist_info(name)
    frame = _read_package_csv(info["file"])
    if info.get("dtype", "str") == "int":
        frame["code"] = frame["code"].astype("int64")
    return frame


def codelist(name: str) -> pd.DataFrame:
    """Return a code list as a DataFrame with columns ``code, label_fr, label_en``.

    Parameters
    ----------
    name : the list name, e.g. ``"action_type"`` or ``"isced"`` (see :func:`codelist_names`).

    Returns
    -------
    A fresh copy (callers may modify it). ``code`` is ``int64`` for numeric lists (``isced``,
    ``region_code_vintage``) and text otherwise.

    Examples
    --------
    >>> codelist("sex")["code"].tolist()
    ['F', 'M']
    """
    return _codelist_cached(name).copy()


def codes(name: str) -> tuple[object, ...]:
    """The canonical codes of a list, in file order."""
    return tuple(_codelist_cached(name)["code"].tolist())


def codelist_version(name: str) -> str:
    """Version string of a code list (e.g. ``"2026.1"``); record it next to any derived figure."""
    return str(codelist_info(name)["version"])


def alias_table(name: str) -> pd.DataFrame:
    """Return the alias table of a code list (columns ``raw, code``).

    Alias tables are explicit: every raw spelling is listed, nothing is matched by similarity.
    Raises :class:`SpecificationError` when the list has no alias table.
    """
    info = codelist_info(name)
    if not info.get("aliases"):
        have = [n for n, i in _index()["lists"].items() if i.get("aliases")]
        raise SpecificationError(
            f"code list {name!r} has no alias table; lists with one: {', '.join(have)}. "
            "Give the mapping yourself instead (codes: {column: {raw: CODE}})."
        )
    frame = _read_package_csv(info["aliases"])
    if info.get("dtype", "str") == "int":
        frame["code"] = frame["code"].astype("int64")
    return frame


def isced_map(variant: Literal["isced2011", "seed_2015"] = "isced2011") -> pd.Series:
    """French national level (nomenclature of 1969) -> ISCED 2011 level, as a versioned mapping.

    Parameters
    ----------
    variant : ``"isced2011"`` (default) maps CAP/BEP (level V) to ISCED 3, as ISCED 2011 does;
        ``"seed_2015"`` reproduces the 2015 NPdC evaluation report, which counts level V in
        "CITE 0-2". The two disagree on level V only; report which map
        produced a share (``codelist_version("national_level_isced")``).

    Returns
    -------
    ``pd.Series`` (``Int64``) indexed by national level; ``UNKNOWN`` maps to ``<NA>``.
    """
    column = {"isced2011": "isced", "seed_2015": "isced_seed_2015"}
    if variant not in column:
        raise SpecificationError(
            f"the 'variant' parameter of isced_map() must be one of {set(column)}; got {variant!r}."
        )
    info = _index()["mappings"]["national_level_isced"]
    frame = _read_package_csv(info["file"])
    values = pd.to_numeric(frame[column[variant]].replace("", None), errors="raise").astype("Int64")
    return pd.Series(values.array, index=pd.Index(frame["national_level"].tolist(), name="national_level"), name="isced")


def national_level_to_isced(
    levels: pd.Series, *, variant: Literal["isced2011", "seed_2015"] = "isced2011"
) -> pd.Series:
    """Derive ``isced_entry`` from ``national_level`` with the versioned map of :func:`isced_map`.

    Missing levels stay missing; a level that is not a canonical code raises
    :class:`UnknownCodeError` (apply the ``national_level`` alias table or a mapping first).
    """
    mapping = isced_map(variant)
    present = levels.dropna()
    unknown = present[~present.isin(mapping.index)]
    if len(unknown):
        counts = unknown.value_counts()
        shown = ", ".join(f"{v!r} ({n} rows)" for v, n in counts.head(10).items())
        raise UnknownCodeError(
            f"national_level values not in the code list: {shown}. Allowed: {', '.join(mapping.index)}.",
            column=str(levels.name) if levels.name is not None else None,
        )
    return levels.map(mapping.to_dict()).astype("Int64").rename("isced_entry")


# --------------------------------------------------------------------------------------------
# Table schemas
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    """One column of a canonical table.

    Attributes
    ----------
    name : snake_case column name.
    dtype : one of ``str, int, float, bool, date, category``. ``int`` columns may be stored as
        floats with missing values; ``date`` columns hold datetimes (or monthly periods).
    required : the column must be present for the table to be analysed at all.
    nullable : missing values are allowed.
    codelist : name of the code list governing the values, if any.
    description : meaning and rule.
    low, high : allowed range for numeric columns (``low_open``: strictly greater than ``low``).
    """

    name: str
    dtype: ColumnType
    required: bool = False
    nullable: bool = True
    codelist: str | None = None
    description: str = ""
    low: float | None = None
    high: float | None = None
    low_open: bool = False

    def __post_init__(self) -> None:
        if self.dtype not in COLUMN_TYPES:
            raise SpecificationError(f"ColumnSpec {self.name!r}: dtype must be one of {COLUMN_TYPES}; got {self.dtype!r}.")


@dataclass(frozen=True, slots=True)
class TableSchema:
    """A canonical table: its columns, primary key and one-line purpose."""

    name: str
    columns: tuple[ColumnSpec, ...]
    key: tuple[str, ...] = ()
    description: str = ""

    def __iter__(self) -> Iterator[ColumnSpec]:
        return iter(self.columns)

    def __contains__(self, name: object) -> bool:
        return any(c.name == name for c in self.columns)

    def column(self, name: str) -> ColumnSpec:
        """The spec of column ``name``; raises SpecificationError (with a suggestion) when absent."""
        for c in self.columns:
            if c.name == name:
                return c
        raise SpecificationError(
            f"table {self.name!r} has no column {name!r}." + suggest(name, self.names)
        )

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def coded(self) -> dict[str, str]:
        """Column name -> code list name, for every coded column."""
        return {c.name: c.codelist for c in self.columns if c.codelist}


def _c(name: str, dtype: ColumnType, description: str = "", **kw: Any) -> ColumnSpec:
    return ColumnSpec(name=name, dtype=dtype, description=description, **kw)


_PROVENANCE = (
    _c("source", "category", "data source of the row (MDFSE, IMILO, FH, FHDADS, SURVEY6M...)", codelist="source"),
    _c("extract_date", "date", "date of the extract the row comes from"),
)

_COVARIATES = (
    _c("birth_date", "date", "date of birth; age at entry 15-29 for the ESF, 16-25 for the IEJ in France"),
    _c("lm_status_entry", "category", "labour-market status at entry (exactly one)", codelist="lm_status_entry"),
    _c("unemp_duration_months", "int", "unemployment duration at entry; needed when UNEMPLOYED (long-term unemployment)",
       low=0),
    _c("in_education_training_entry", "bool", "in education or training at entry; needed when INACTIVE"),
    _c("pe_registered_entry", "bool", "registered at Pôle emploi at entry (not the same as ILO unemployment)"),
    _c("national_level", "category", "French education level (1969 nomenclature)", codelist="national_level"),
    _c("isced_entry", "int", "ISCED 2011 level at entry, input or derived with the versioned national_level map",
       codelist="isced"),
    _c("hh_jobless", "bool", "lives in a jobless household; null = not collected or refused"),
    _c("hh_dependent_children", "bool", "household with dependent children"),
    _c("hh_single_adult", "bool", "single-adult household"),
    _c("disability_rqth", "bool", "officially recognised disability (RQTH); sensitive, may be null by design"),
    _c("social_minima", "bool", "receives social minima (RSA, ASS, AAH...)"),
    _c("homeless", "bool", "homeless or affected by housing exclusion"),
    _c("rural", "bool", "lives in a rural area (DEGURBA of the commune)"),
    _c("migrant_minority", "bool", "migrant, foreign background or minority; sensitive, may be null by design"),
    _c("other_disadvantaged", "bool", "other disadvantaged; sensitive, may be null by design"),
    _c("qpv_resident", "bool", "lives in a priority neighbourhood (QPV)"),
)

OPERATIONS = TableSchema(
    name="operations",
    key=("operation_id",),
    description="one row per operation (MDFSE dossier)",
    columns=(
        _c("operation_id", "str", "MDFSE dossier number; unique", required=True, nullable=False),
        _c("programme", "category", "operational programme", codelist="programme"),
        _c("managing_authority", "category", "managing authority", codelist="managing_authority"),
        _c("region_code", "str", "INSEE region code (read with region_code_vintage)"),
        _c("region_code_vintage", "int", "vintage of region_code (2015 or 2016)", codelist="region_code_vintage"),
        _c("operator_name", "str", "operator (beneficiary) name"),
        _c("operator_id", "str", "operator identifier (SIRET if available)"),
        _c("operator_type", "category", "operator type", codelist="operator_type"),
        _c("stage", "category", "stage of the pathway", codelist="stage"),
        _c("action_type", "category", "type of action", codelist="action_type"),
        _c("title", "str", "title of the action"),
        _c("amount_fse_iej", "float", "programmed FSE-IEJ amount in EUR; null only when funding_group_id is set", low=0),
        _c("funding_group_id", "str", "shared envelope covering several operations (e.g. the POR apprenticeship call)"),
        _c("target_participants", "int", "target number of participants; null = 'nc' (not communicated)", low=0),
        _c("target_is_estimate", "bool", "True when the target was given as an approximation ('~')"),
        _c("target_years", "int", "duration of the target in years ('sur N ans')", low=1, high=7),
        _c("start_date", "date", "start of the operation"),
        _c("end_date", "date", "end of the operation; start_date <= end_date"),
        *_PROVENANCE,
    ),
)

PARTICIPATIONS = TableSchema(
    name="participations",
    key=("participation_id",),
    description="one row per person x operation (the ESF participant record)",
    columns=(
        _c("participation_id", "str", "participation identifier; unique", required=True, nullable=False),
        _c("person_id", "str", "pseudonymised stable person identifier (deduplication, CIE)", required=True,
           nullable=False),
        _c("operation_id", "str", "operation identifier (foreign key to operations)", required=True, nullable=False),
        _c("entry_date", "date", "first entry into the operation (kept on re-entry)", required=True, nullable=False),
        _c("exit_date", "date", "exit from the operation; null = still in; not before entry_date", required=True),
        _c("sex", "category", "sex (the EU breakdown needs F or M)", required=True, nullable=False, codelist="sex"),
        *_COVARIATES,
        _c("exit_reason", "category", "reason for leaving", codelist="exit_reason"),
        _c("exit_status_fr", "category", "situation at exit, French categories", codelist="exit_status_fr"),
        _c("exit_status_eu", "category", "situation at exit, EU categories (derived)", codelist="exit_status_eu"),
        _c("exit_status_date", "date", "date the exit situation was observed; within 4 weeks of exit_date for "
           "'upon leaving' indicators"),
        _c("offer_received_at_exit", "bool", "received an offer of employment, education, apprenticeship or "
           "traineeship upon leaving"),
        _c("offer_type", "category", "type of offer received", codelist="offer_type"),
        _c("qualification_gained", "bool", "gained a qualification upon leaving"),
        _c("status_6m", "category", "situation six months after leaving", codelist="status_6m"),
        _c("status_6m_date", "date", "date of the six-month observation (about exit_date + 6 months)"),
        _c("sample_weight_6m", "float", "survey weight when status_6m comes from a sample survey", low=0,
           low_open=True),
        _c("support_content", "str", "content of support received, ';'-separated codes (ATELIER_COLLECTIF, "
           "ENTRETIEN_INDIVIDUEL, MISE_EN_SITUATION...)"),
        *_PROVENANCE,
    ),
)

COMPARISON_COHORT = TableSchema(
    name="comparison_cohort",
    key=("person_id",),
    description="candidate controls, with the same covariates as participations",
    columns=(
        _c("person_id", "str", "pseudonymised person identifier; not in participations unless contaminated",
           required=True, nullable=False),
        _c("pseudo_entry_date", "date", "reference date matched on calendar time (ML or PE contact)", required=True,
           nullable=False),
        _c("sex", "category", "sex", required=True, nullable=False, codelist="sex"),
        _c("eligible", "bool", "NEET, aged 16-25 at pseudo_entry_date, resident in the eligible territory"),
        _c("territory_id", "str", "ML catchment area, PE agency or department"),
        *_COVARIATES,
        _c("contaminated", "bool", "entered IEJ, Garantie jeunes or another ESF action after pseudo_entry_date"),
        _c("contamination_date", "date", "date of that entry; not before pseudo_entry_date"),
        *_PROVENANCE,
    ),
)

PANEL = TableSchema(
    name="panel",
    key=("person_id", "period"),
    description="person x period outcomes (monthly) for difference-in-differences and event studies",
    columns=(
        _c("person_id", "str", "person identifier", required=True, nullable=False),
        _c("period", "period", "month (month-start date, monthly period or integer period index); unique per person",
           required=True,
           nullable=False),
        _c("group", "category", "arm of the person", required=True, nullable=False, codelist="group"),
        _c("first_treat_period", "period", "first treated period (same coding as period); null for never-treated; "
           "constant within person",
           required=True),
        _c("territory_id", "str", "territory (staggered and territorial designs)"),
        _c("cohort", "str", "entry cohort label"),
        _c("employed", "int", "employed in the period; NA = unobserved (not 0)", low=0, high=1),
        _c("employed_durable", "int", "in durable employment (CDI, CDD >= 6 months, alternance)", low=0, high=1),
        _c("in_training", "int", "in training", low=0, high=1),
        _c("in_apprenticeship", "int", "in an apprenticeship", low=0, high=1),
        _c("pe_registered", "int", "registered at Pôle emploi", low=0, high=1),
        _c("earnings", "float", "earnings in the period (EUR)", low=0),
        _c("observed", "bool", "the person is covered by the outcome source in the period"),
        _c("weight", "float", "weight (default 1)", low=0, low_open=True),
        *_PROVENANCE,
    ),
)

#: the canonical tables, by name
TABLES: dict[str, TableSchema] = {
    t.name: t for t in (PARTICIPATIONS, OPERATIONS, COMPARISON_COHORT, PANEL)
}

#: participation columns that describe the results of a participation (updated on re-entry)
EXIT_RESULT_COLUMNS: tuple[str, ...] = (
    "exit_reason",
    "exit_status_fr",
    "exit_status_eu",
    "exit_status_date",
    "offer_received_at_exit",
    "offer_type",
    "qualification_gained",
    "status_6m",
    "status_6m_date",
    "sample_weight_6m",
)


def table_schema(table: str) -> TableSchema:
    """The schema of a canonical table; SpecificationError (with a suggestion) for unknown names."""
    if table not in TABLES:
        raise SpecificationError(
            f"unknown table {table!r}; the canonical tables are: {', '.join(TABLES)}." + suggest(table, TABLES)
        )
    return TABLES[table]
