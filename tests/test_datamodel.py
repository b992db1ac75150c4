"""Code lists (versioned data files) and canonical table schemas."""

from __future__ import annotations

import re
from importlib import resources

import pandas as pd
import pytest
import yaml

from iej_impact.data import _datamodel as dm
from iej_impact.errors import SpecificationError, UnknownCodeError

CODELIST_DIR = resources.files("iej_impact").joinpath("data", "codelists")
INDEX = yaml.safe_load(CODELIST_DIR.joinpath("index.yaml").read_text(encoding="utf-8"))

EXPECTED_LISTS = {
    "sex", "lm_status_entry", "national_level", "isced", "exit_reason", "exit_status_fr", "exit_status_eu",
    "status_6m", "offer_type", "operator_type", "action_type", "stage", "programme", "managing_authority",
    "source", "group",
}


def test_every_requested_list_is_shipped():
    assert EXPECTED_LISTS <= set(dm.codelist_names())


@pytest.mark.parametrize("name", dm.codelist_names())
def test_each_code_list_loads_with_unique_codes_and_labels(name):
    frame = dm.codelist(name)
    assert list(frame.columns) == ["code", "label_fr", "label_en"]
    assert len(frame) >= 2
    assert frame["code"].is_unique, frame["code"][frame["code"].duplicated()].tolist()
    assert (frame["label_fr"].str.len() > 0).all() and (frame["label_en"].str.len() > 0).all()
    assert re.fullmatch(r"\d{4}\.\d+", dm.codelist_version(name))
    info = dm.codelist_info(name)
    assert info["provenance"] and info["columns"]
    if info.get("dtype") == "int":
        assert frame["code"].dtype == "int64"
    else:
        assert all(re.fullmatch(r"[A-Z0-9_]+", c) for c in frame["code"]), frame["code"].tolist()


@pytest.mark.parametrize("name", [n for n in dm.codelist_names() if dm.codelist_info(n).get("aliases")])
def test_alias_tables_map_unique_raw_values_to_canonical_codes(name):
    aliases = dm.alias_table(name)
    assert list(aliases.columns) == ["raw", "code"]
    assert aliases["raw"].is_unique
    assert set(aliases["code"]) <= set(dm.codes(name))


def test_specific_codes_and_aliases():
    assert dm.codes("sex") == ("F", "M")
    assert dm.codes("isced") == tuple(range(9))
    assert dm.codes("group") == ("TREATED", "COMPARISON")
    actions = dict(zip(dm.alias_table("action_type")["raw"], dm.alias_table("action_type")["code"], strict=True))
    assert actions["Appprentissage"] == "APPRENTISSAGE"
    assert actions["Apprentissage"] == "APPRENTISSAGE"
    assert actions["Repérage"] == "REPERAGE"
    sexes = dict(zip(dm.alias_table("sex")["raw"], dm.alias_table("sex")["code"], strict=True))
    assert sexes == {**sexes, "H": "M", "F": "F", "Homme": "M", "Femme": "F"}


def test_every_file_in_the_directory_is_indexed():
    files = {p.name for p in CODELIST_DIR.iterdir() if p.name.endswith(".csv")}
    referenced = {i["file"] for i in INDEX["lists"].values()}
    referenced |= {i["aliases"] for i in INDEX["lists"].values() if i.get("aliases")}
    referenced |= {m["file"] for m in INDEX["mappings"].values()}
    assert files == referenced


def test_index_columns_agree_with_table_schemas():
    from_index = {(col, name) for name, info in INDEX["lists"].items() for col in info["columns"]}
    from_schemas = {(f"{t}.{c}", lst) for t, schema in dm.TABLES.items() for c, lst in schema.coded().items()}
    assert from_index == from_schemas


def test_codelist_returns_a_copy():
    frame = dm.codelist("sex")
    frame.loc[0, "code"] = "Z"
    assert dm.codes("sex") == ("F", "M")


def test_unknown_list_names_are_specification_errors():
    with pytest.raises(SpecificationError, match="Did you mean 'action_type'"):
        dm.codelist("action_typ")
    with pytest.raises(SpecificationError, match="has no alias table"):
        dm.alias_table("isced")


def test_national_level_isced_map_is_versioned_with_the_level_v_caveat():
    info = INDEX["mappings"]["national_level_isced"]
    assert re.fullmatch(r"\d{4}\.\d+", str(info["version"]))
    assert "CAP/BEP are ISCED 3" in " ".join(info["caveat"].split())
    strict, seed = dm.isced_map(), dm.isced_map("seed_2015")
    assert set(strict.index) == set(dm.codes("national_level"))
    assert set(strict.dropna()) <= set(dm.codes("isced"))
    assert strict["V"] == 3 and seed["V"] == 2  # CAP/BEP: ISCED 3, but "CITE 0-2" in the 2015 report
    differs = [lvl for lvl in strict.index if not (pd.isna(strict[lvl]) and pd.isna(seed[lvl])) and strict[lvl] != seed[lvl]]
    assert differs == ["V"]
    assert pd.isna(strict["UNKNOWN"])


def test_national_level_to_isced():
    levels = pd.Series(["VI", "V", None, "I", "UNKNOWN"], name="national_level")
    out = dm.national_level_to_isced(levels)
    assert out.dtype == "Int64"
    assert out.tolist()[:2] == [1, 3] and out.tolist()[3] == 7
    assert pd.isna(out.iloc[2]) and pd.isna(out.iloc[4])
    assert dm.national_level_to_isced(levels, variant="seed_2015").iloc[1] == 2
    with pytest.raises(UnknownCodeError, match=r"'5' \(2 rows\)"):
        dm.national_level_to_isced(pd.Series(["5", "5", "V"], name="national_level"))
    with pytest.raises(SpecificationError, match="variant"):
        dm.isced_map("cite")


def test_tables_and_their_required_columns():
    assert set(dm.TABLES) == {"participations", "operations", "comparison_cohort", "panel"}
    assert dm.TABLES["participations"].required == (
        "participation_id", "person_id", "operation_id", "entry_date", "exit_date", "sex")
    assert dm.TABLES["operations"].required == ("operation_id",)
    assert set(dm.TABLES["comparison_cohort"].required) == {"person_id", "pseudo_entry_date", "sex"}
    assert set(dm.TABLES["panel"].required) == {"person_id", "period", "group", "first_treat_period"}
    assert dm.TABLES["panel"].key == ("person_id", "period")


@pytest.mark.parametrize("table", list(dm.TABLES))
def test_schema_integrity(table):
    schema = dm.TABLES[table]
    assert len(set(schema.names)) == len(schema.names)
    for spec in schema:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", spec.name)
        assert spec.dtype in dm.COLUMN_TYPES
        assert spec.description
        if spec.codelist:
            assert spec.codelist in dm.codelist_names()
        if not spec.nullable:
            assert spec.required
    assert set(schema.key) <= set(schema.names)
    assert "source" in schema and "extract_date" in schema


def test_schema_roles_of_the_canonical_tables():
    p = dm.TABLES["participations"]
    assert p.column("isced_entry").dtype == "int" and p.column("isced_entry").codelist == "isced"
    assert p.column("entry_date").dtype == "date" and not p.column("entry_date").nullable
    assert p.column("exit_date").nullable
    assert p.column("sample_weight_6m").low == 0 and p.column("sample_weight_6m").low_open
    o = dm.TABLES["operations"]
    assert o.column("amount_fse_iej").low == 0 and o.column("amount_fse_iej").nullable
    assert o.column("target_years").low == 1 and o.column("target_years").high == 7
    assert o.column("action_type").codelist == "action_type"
    assert dm.TABLES["panel"].column("employed").high == 1
    assert set(dm.EXIT_RESULT_COLUMNS) <= set(p.names)
    with pytest.raises(SpecificationError, match="Did you mean 'exit_date'"):
        p.column("exit_dat")
    with pytest.raises(SpecificationError, match="Did you mean 'panel'"):
        dm.table_schema("panell")


def test_column_spec_rejects_unknown_types():
    with pytest.raises(SpecificationError, match="dtype"):
        dm.ColumnSpec("x", "decimal")  # type: ignore[arg-type]
