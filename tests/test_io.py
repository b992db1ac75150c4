"""Loading (every format, renames, parsers, explicit code recoding), stacking arms, hashing, writing."""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from iej_impact.data._arms import stack_arms
from iej_impact.data._io import SUPPORTED_FORMATS, file_format, file_sha256, load_data, write_table
from iej_impact.data._recoding import apply_codes
from iej_impact.errors import (
    ContaminationError,
    DataError,
    MissingDataWarning,
    ParseError,
    SpecificationError,
    UnknownCodeError,
)

# a small public SAS file shipped with R's haven package (examples/iris.sas7bdat), when installed
HAVEN_IRIS = Path("/usr/lib/R/site-library/haven/examples/iris.sas7bdat")


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "participation_id": ["A1", "A2", "A3"],
            "person_id": ["007", "8", "9"],
            "age": [17, 22, 25],
            "score": [0.25, np.nan, 1.5],
            "entry_date": pd.to_datetime(["2015-01-05", "2015-02-01", "2015-03-10"]),
            "sex": ["F", "M", "F"],
        }
    )


def _write(frame: pd.DataFrame, path: Path) -> None:
    suffix = path.suffix
    if suffix == ".csv":
        frame.to_csv(path, index=False)
    elif suffix == ".parquet":
        frame.to_parquet(path, index=False)
    elif suffix == ".xlsx":
        frame.to_excel(path, index=False)
    elif suffix == ".dta":
        frame.to_stata(path, write_index=False)


# --------------------------------------------------------------------------------------------
# formats
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".xlsx", ".dta"])
def test_round_trip_every_writable_format(tmp_path, frame, suffix):
    path = tmp_path / f"cohort{suffix}"
    _write(frame, path)
    out = load_data(path, table="participations")
    assert list(out.columns) == list(frame.columns)
    assert out["person_id"].tolist() == ["007", "8", "9"]  # identifiers stay text (leading zeros kept)
    assert out["age"].tolist() == [17, 22, 25]
    np.testing.assert_allclose(out["score"].to_numpy(dtype=float), [0.25, np.nan, 1.5])
    assert pd.api.types.is_datetime64_any_dtype(out["entry_date"])  # CSV: ISO text read as dates with table=
    assert out["entry_date"].tolist() == frame["entry_date"].tolist()
    assert out.index.equals(pd.RangeIndex(3))


def test_csv_variants(tmp_path, frame):
    semi = tmp_path / "cohort.csv"
    frame.to_csv(semi, index=False, sep=";")
    assert load_data(semi, sep=";")["age"].tolist() == [17, 22, 25]
    with pytest.raises(DataError, match=r"cohort.csv: .*looks separated by ';'.*sep: ';'"):
        load_data(semi)
    tsv = tmp_path / "cohort.tsv"
    frame.to_csv(tsv, index=False, sep="\t")
    assert load_data(tsv)["sex"].tolist() == ["F", "M", "F"]
    bom = tmp_path / "bom.csv"
    bom.write_bytes("person_id,x\nP1,1\n".encode("utf-8-sig"))
    assert list(load_data(bom).columns) == ["person_id", "x"]


def test_encoding_errors_name_the_file_and_the_fix(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("operator,montant\nRéussir,1\n".encode("cp1252"))
    with pytest.raises(DataError, match=r"latin.csv: could not decode .*encoding: cp1252"):
        load_data(path)
    assert load_data(path, encoding="cp1252")["operator"].tolist() == ["Réussir"]


def test_excel_sheets(tmp_path, frame):
    path = tmp_path / "book.xlsx"
    with pd.ExcelWriter(path) as writer:
        frame.to_excel(writer, sheet_name="first", index=False)
        frame.assign(age=frame["age"] + 1).to_excel(writer, sheet_name="second", index=False)
    assert load_data(path, sheet="second")["age"].tolist() == [18, 23, 26]
    assert load_data(path, sheet=1)["age"].tolist() == [18, 23, 26]
    with pytest.raises(DataError, match=r"book.xlsx: sheet 'third' not found"):
        load_data(path, sheet="third")


@pytest.mark.skipif(not HAVEN_IRIS.is_file(), reason="R package haven (with its example SAS file) not installed")
def test_reads_a_public_sas7bdat_file():
    iris = load_data(HAVEN_IRIS)
    assert iris.shape == (150, 5)
    assert iris["Species"].iloc[0] == "setosa"
    assert iris["Sepal_Length"].iloc[0] == pytest.approx(5.1)


def test_missing_or_corrupt_sas_files_are_clear_data_errors(tmp_path):
    with pytest.raises(DataError, match=r"data file not found: '.*extract\.sas7bdat'"):
        load_data(tmp_path / "extract.sas7bdat")
    corrupt = tmp_path / "extract.sas7bdat"
    corrupt.write_bytes(b"not a SAS file" * 100)
    with pytest.raises(DataError) as info:
        load_data(corrupt)
    assert str(info.value).startswith("extract.sas7bdat: could not read 'extract.sas7bdat' as a sas file")
    assert info.value.source == "extract.sas7bdat"


@pytest.mark.parametrize("suffix", [".xlsx", ".parquet", ".dta"])
def test_corrupt_binary_files(tmp_path, suffix):
    path = tmp_path / f"broken{suffix}"
    path.write_bytes(b"\x00\x01garbage" * 50)
    with pytest.raises(DataError, match=rf"broken{suffix}: could not read"):
        load_data(path)


def test_missing_file_unsupported_type_directory_and_empty_file(tmp_path):
    (tmp_path / "cohort.csv").write_text("a\n1\n")
    with pytest.raises(DataError) as info:
        load_data(tmp_path / "cohrt.csv")
    assert "data file not found" in str(info.value) and "cohrt.csv" in str(info.value)
    assert "Did you mean 'cohort.csv'" in str(info.value)
    (tmp_path / "cohort.json").write_text("{}")
    with pytest.raises(DataError) as info:
        load_data(tmp_path / "cohort.json")
    for suffix in SUPPORTED_FORMATS:
        assert suffix in str(info.value)
    with pytest.raises(DataError, match="is a directory"):
        load_data(tmp_path)
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(DataError, match=r"empty.csv: 'empty.csv' is empty"):
        load_data(tmp_path / "empty.csv")
    with pytest.raises(SpecificationError, match="file path or a pandas DataFrame"):
        load_data(42)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# declared format (any extension)
# --------------------------------------------------------------------------------------------


def test_a_declared_separator_reads_delimited_text_whatever_the_extension(tmp_path, frame):
    txt = tmp_path / "extract_2015.txt"
    frame.to_csv(txt, index=False, sep=";")
    out = load_data(txt, sep=";", table="participations")
    assert out["person_id"].tolist() == ["007", "8", "9"] and out["age"].tolist() == [17, 22, 25]
    tab = tmp_path / "EXTRACT.DAT"
    frame.to_csv(tab, index=False, sep="\t")
    assert load_data(tab, sep="\t")["sex"].tolist() == ["F", "M", "F"]
    bare = tmp_path / "extract"
    frame.to_csv(bare, index=False, sep="|")
    assert load_data(bare, sep="|")["age"].tolist() == [17, 22, 25]
    # the separator check and the line numbers of CSV files apply to them too
    with pytest.raises(DataError, match=r"^extract_2015.txt: .*looks separated by ';'.*sep: ';'"):
        load_data(txt, sep=",")
    txt.write_text("person_id;age\nP1;17\nP2;dix-huit\n", encoding="utf-8")
    with pytest.raises(ParseError, match=r"^extract_2015.txt: column 'age'.*person_id P2.*'dix-huit'"):
        load_data(txt, sep=";", parse={"age": "fr_number"})
    txt.write_text("age;sex\n17;F\ndix-huit;M\n", encoding="utf-8")
    with pytest.raises(ParseError, match=r"^extract_2015.txt: column 'age'.*line 3"):
        load_data(txt, sep=";", parse={"age": "fr_number"})
    assert file_format(txt, sep=";") == "csv" and file_format(txt, format="excel") == "excel"
    assert file_format(tmp_path / "a.XLSX") == "excel"


def test_a_declared_format_wins_over_the_extension(tmp_path, frame):
    parquet = tmp_path / "extract.bin"
    frame.to_parquet(parquet, index=False)
    assert load_data(parquet, format="parquet")["age"].tolist() == [17, 22, 25]
    excel = tmp_path / "extract.txt"  # an Excel workbook saved under a misleading name
    frame.to_excel(excel, index=False, engine="openpyxl")
    assert load_data(excel, format="excel", table="participations")["person_id"].tolist() == ["007", "8", "9"]
    semi = tmp_path / "extract.xls"  # delimited text exported with an Excel name
    frame.to_csv(semi, index=False, sep=";")
    assert load_data(semi, format="csv", sep=";")["sex"].tolist() == ["F", "M", "F"]
    comma = tmp_path / "extract.asc"
    frame.to_csv(comma, index=False)
    assert load_data(comma, format="csv")["age"].tolist() == [17, 22, 25]  # csv without sep: commas
    stata = tmp_path / "extract.stata"
    frame.drop(columns="entry_date").to_stata(stata, write_index=False)
    assert load_data(stata, format="stata")["age"].tolist() == [17, 22, 25]
    tsv = tmp_path / "extract.tsv"
    frame.to_csv(tsv, index=False, sep="\t")
    assert load_data(tsv, format="csv")["age"].tolist() == [17, 22, 25]  # .tsv keeps its tab default


def test_unknown_formats_and_contradictions_are_errors_naming_the_file(tmp_path, frame):
    path = tmp_path / "extract.txt"
    frame.to_csv(path, index=False, sep=";")
    with pytest.raises(DataError) as info:
        load_data(path, format="xlsx")
    msg = str(info.value)
    assert msg.startswith("extract.txt: unknown file format 'xlsx' declared for 'extract.txt'")
    assert "csv, excel, parquet, stata, sas" in msg and info.value.source == "extract.txt"
    with pytest.raises(DataError, match=r"Did you mean 'parquet'"):
        load_data(path, format="parket")
    with pytest.raises(DataError, match=r"^extract.txt: 'extract.txt' is declared in format 'excel'.*sep"):
        load_data(path, format="excel", sep=";")
    # without sep or format, an unknown extension is refused as before, now with both fixes
    with pytest.raises(DataError) as info:
        load_data(path)
    msg = str(info.value)
    assert msg.startswith("extract.txt: unsupported file type '.txt'")
    assert "sep: ';'" in msg and "format: csv / excel / parquet / stata / sas" in msg


@pytest.mark.parametrize(
    ("writer", "fmt", "pattern"),
    [
        ("csv", "parquet", r"could not read 'extract.txt' as a parquet file \(declared format: parquet\)"),
        ("csv", "excel", r"could not read 'extract.txt' as an excel file \(declared format: excel\)"),
        ("csv", "stata", r"could not read 'extract.txt' as a stata file \(declared format: stata\)"),
        ("parquet", "csv", r"as a csv file \(declared format: csv\).*first bytes are those of a parquet file"),
        ("excel", "csv", r"as a csv file \(declared format: csv\).*first bytes are those of an excel file"),
        ("excel", "parquet", r"as a parquet file \(declared format: parquet\).*first bytes are those of an excel"),
    ],
)
def test_a_file_not_in_its_declared_format(tmp_path, frame, writer, fmt, pattern):
    path = tmp_path / "extract.txt"
    if writer == "csv":
        frame.to_csv(path, index=False, sep=";")
    elif writer == "parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_excel(path, index=False, engine="openpyxl")
    with pytest.raises(DataError, match=r"^extract.txt: " + ".*" + pattern) as info:
        load_data(path, format=fmt, sep=";" if fmt == "csv" else None)
    assert info.value.source == "extract.txt"


def test_a_misnamed_binary_file_says_what_it_looks_like(tmp_path, frame):
    path = tmp_path / "extract.csv"  # a parquet file saved under a .csv name: the extension decides, and is wrong
    frame.to_parquet(path, index=False)
    with pytest.raises(DataError, match=r"^extract.csv: could not read 'extract.csv' as a csv file.*parquet file"):
        load_data(path)


def test_source_name_overrides_the_file_name(tmp_path):
    with pytest.raises(DataError, match=r"^participants: data file not found"):
        load_data(tmp_path / "p.csv", source_name="participants")


# --------------------------------------------------------------------------------------------
# renames and parsers
# --------------------------------------------------------------------------------------------


def test_renames(frame):
    out = load_data(frame, columns={"age": "age_entry", "sex": "sexe"})
    assert list(out.columns) == ["participation_id", "person_id", "age_entry", "score", "entry_date", "sexe"]
    assert list(frame.columns)[2] == "age"  # the input is not modified


def test_rename_of_an_absent_column_suggests_the_closest(tmp_path, frame):
    path = tmp_path / "mdfse.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(DataError) as info:
        load_data(path, columns={"persn_id": "pid"})
    msg = str(info.value)
    assert msg.startswith("mdfse.csv: cannot rename column 'persn_id'")
    assert "Did you mean 'person_id'" in msg
    assert info.value.column == "persn_id"


def test_rename_collisions_are_errors(frame):
    with pytest.raises(DataError, match="several columns are named 'sex'"):
        load_data(frame, columns={"person_id": "sex"})


def test_parsers_from_a_french_csv(tmp_path):
    path = tmp_path / "annex4.csv"
    path.write_text(
        "operateur;montant;public;part_hommes;debut\n"
        "GIP FCIP;1 298 429 €;11 000;56,4 %;01/09/2014\n"
        "Région;~7 900 000 €;~1 000;43,6 %;01/10/2015\n"
        "ACEP;313 533 €;nc;;15/01/2015\n",
        encoding="utf-8",
    )
    out = load_data(
        path,
        sep=";",
        columns={"montant": "amount_fse_iej", "public": "target_participants", "debut": "start_date"},
        parse={
            "amount_fse_iej": {"type": "fr_number", "estimate_column": "amount_is_estimate"},
            "target_participants": {"type": "fr_number", "estimate_column": "target_is_estimate"},
            "part_hommes": "share",
            "start_date": "date:%d/%m/%Y",
        },
    )
    assert out["amount_fse_iej"].tolist() == [1298429.0, 7900000.0, 313533.0]
    assert out["amount_is_estimate"].tolist() == [False, True, False]
    assert out["target_participants"].tolist()[:2] == [11000.0, 1000.0] and np.isnan(out["target_participants"][2])
    assert out["target_is_estimate"].tolist() == [False, True, False]
    assert out["part_hommes"].tolist()[:2] == [0.564, 0.436]
    assert out["start_date"].tolist() == [pd.Timestamp("2014-09-01"), pd.Timestamp("2015-10-01"),
                                          pd.Timestamp("2015-01-15")]


def test_parse_errors_name_file_column_and_lines(tmp_path):
    path = tmp_path / "mdfse.csv"
    path.write_text("entree,x\n01/03/2015,1\n2015-03-02,2\n15/04/2015,3\n", encoding="utf-8")
    with pytest.raises(ParseError) as info:
        load_data(path, columns={"entree": "entry_date"}, parse={"entry_date": "date:%d/%m/%Y"})
    msg = str(info.value)
    assert msg.startswith("mdfse.csv: column 'entry_date'")
    assert "1 row (e.g. line 3)" in msg and "'2015-03-02'" in msg and "mixes date formats" in msg
    with pytest.raises(DataError, match=r"parse: column 'entree' not found.*Did you mean 'entry_date'"):
        load_data(path, columns={"entree": "entry_date"}, parse={"entree": "date:%d/%m/%Y"})


def test_table_reads_iso_dates_and_rejects_other_formats(tmp_path):
    path = tmp_path / "mdfse.csv"
    path.write_text("participation_id,entry_date\nA1,2015-03-01\nA2,01/03/2015\n", encoding="utf-8")
    with pytest.raises(ParseError) as info:
        load_data(path, table="participations")
    msg = str(info.value)
    assert "participation_id A2" in msg and "'01/03/2015'" in msg and "date:%d/%m/%Y" in msg


# --------------------------------------------------------------------------------------------
# codes
# --------------------------------------------------------------------------------------------


def _operations() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "operation_id": [f"OP{i}" for i in range(1, 7)],
            "action_type": ["Repérage", "Accompagnement", "Appprentissage", "Appprentissage", "Apprentissage",
                            "Qualification - préqualification"],
        }
    )


def test_alias_tables_are_applied_only_when_asked():
    ops = _operations()
    with pytest.raises(UnknownCodeError) as info:
        load_data(ops, table="operations", source_name="annex5.csv")
    msg = str(info.value)
    assert msg.startswith("annex5.csv: column 'action_type'")
    assert "'Appprentissage' (2 rows, e.g. operation_id OP3, OP4" in msg
    assert "'Repérage' (1 row, e.g. operation_id OP1" in msg
    assert "codes: {action_type: aliases}" in msg and "action_type_aliases.csv" in msg
    assert info.value.counts["Appprentissage"] == 2
    out = load_data(ops, table="operations", codes={"action_type": "aliases"})
    assert out["action_type"].tolist() == ["REPERAGE", "ACCOMPAGNEMENT", "APPRENTISSAGE", "APPRENTISSAGE",
                                           "APPRENTISSAGE", "QUALIFICATION_PREQUALIFICATION"]
    renamed = ops.rename(columns={"action_type": "type_action"})
    out = load_data(renamed, codes={"type_action": "aliases:action_type"})
    assert out["type_action"].iloc[2] == "APPRENTISSAGE"
    with pytest.raises(SpecificationError, match="aliases:<list>"):
        load_data(renamed, codes={"type_action": "aliases"})


def test_user_mappings_and_alias_tables_combine():
    ops = _operations()
    ops.loc[5, "action_type"] = "PRF"
    out = apply_codes(ops, {"action_type": ["aliases", {"PRF": "QUALIFICATION_PREQUALIFICATION"}]}, table="operations")
    assert out["action_type"].iloc[5] == "QUALIFICATION_PREQUALIFICATION"
    assert ops["action_type"].iloc[5] == "PRF"  # input untouched


def test_unmapped_values_of_a_user_mapping_are_listed_with_counts(tmp_path):
    path = tmp_path / "imilo.csv"
    path.write_text("person_id,situation\nP1,emploi\nP2,chomage\nP3,emploi\nP4,inconnu\nP5,autre\nP6,autre\n")
    with pytest.raises(UnknownCodeError) as info:
        load_data(path, codes={"situation": {"emploi": "EMPLOYED", "chomage": "UNEMPLOYED"}})
    msg = str(info.value)
    assert msg.startswith("imilo.csv: column 'situation' has 2 values outside the codes of your mapping")
    assert "'autre' (2 rows, e.g. person_id P5, P6)" in msg and "'inconnu' (1 row, e.g. person_id P4)" in msg
    assert msg.index("'autre'") < msg.index("'inconnu'")  # most frequent first
    assert "every raw value must be mapped" in msg
    assert info.value.counts == {"autre": 2, "inconnu": 1}


def test_code_errors_use_file_lines_without_ids(tmp_path):
    path = tmp_path / "ops.csv"
    path.write_text("sexe\nH\nF\nX\n")
    with pytest.raises(UnknownCodeError, match=r"'X' \(1 row, e\.g\. line 4\)"):
        load_data(path, columns={"sexe": "sex"}, codes={"sex": "aliases"}, table="participations")


def test_mappings_to_missing_and_numeric_keys():
    data = pd.DataFrame({"person_id": ["P1", "P2", "P3"], "sex": ["1", "2", "9"]})
    out = load_data(data, codes={"sex": {1: "M", 2: "F", 9: None}}, table="comparison_cohort")
    assert out["sex"].tolist()[:2] == ["M", "F"] and pd.isna(out["sex"].iloc[2])
    flags = pd.DataFrame({"hh_jobless": ["oui", "non", None]})
    assert load_data(flags, codes={"hh_jobless": {"oui": True, "non": False}})["hh_jobless"].tolist()[:2] == [True, False]


def test_canonical_lists_check_columns_without_a_mapping():
    data = pd.DataFrame({"participation_id": ["A1", "A2", "A3"], "isced_entry": [3, 9, np.nan],
                         "national_level": ["V", "5", "IV"]})
    with pytest.raises(UnknownCodeError) as info:
        load_data(data, table="participations")
    assert "column 'national_level'" in str(info.value) and "'5' (1 row, e.g. participation_id A2)" in str(info.value)
    with pytest.raises(UnknownCodeError, match=r"9 \(1 row, e\.g\. participation_id A2\)"):
        load_data(data.drop(columns="national_level"), table="participations")


def test_codes_for_an_absent_column():
    with pytest.raises(DataError, match=r"codes: column 'sexe' not found.*Did you mean 'sex'"):
        apply_codes(pd.DataFrame({"sex": ["F"]}), {"sexe": {"H": "M"}}, source="x.csv")
    with pytest.raises(SpecificationError, match="mapping"):
        apply_codes(pd.DataFrame({"sex": ["F"]}), {"sex": 3})


# --------------------------------------------------------------------------------------------
# codes: types of values and keys, opt-in normalisation
# --------------------------------------------------------------------------------------------


def test_text_keys_on_a_column_read_as_integers_show_both_types_and_the_fixes(tmp_path):
    path = tmp_path / "extract.txt"
    path.write_text("person_id;sexe\nP1;1\nP2;2\nP3;1\n", encoding="utf-8")
    with pytest.raises(UnknownCodeError) as info:
        load_data(path, sep=";", codes={"sexe": {"1": "M", "2": "F"}})
    msg = str(info.value)
    assert msg.startswith("extract.txt: column 'sexe' has 2 values outside the codes of your mapping")
    assert "1 (2 rows, e.g. person_id P1, P3); 2 (1 row, e.g. person_id P2)" in msg
    assert "the column holds 1 (int), 2 (int) where codes: {sexe: ...} has '1' (str), '2' (str)" in msg
    assert "parse: {sexe: text}" in msg and "key the map by numbers (1: CODE, without quotes)" in msg
    assert info.value.column == "sexe" and info.value.rows == ("P1", "P2", "P3")
    # either fix works
    assert load_data(path, sep=";", codes={"sexe": {"1": "M", "2": "F"}}, parse={"sexe": "text"})["sexe"].tolist() == \
        ["M", "F", "M"]
    assert load_data(path, sep=";", codes={"sexe": {1: "M", 2: "F"}})["sexe"].tolist() == ["M", "F", "M"]


def test_a_float_column_with_missing_values_shows_floats(tmp_path):
    path = tmp_path / "extract.csv"
    path.write_text("person,sexe\nP1,1\nP2,\nP3,2\n", encoding="utf-8")
    with pytest.raises(UnknownCodeError) as info:
        load_data(path, codes={"sexe": {"1": "M", "2": "F"}})
    msg = str(info.value)
    assert "1 (1 row, e.g. line 2)" in msg and "2 (1 row, e.g. line 4)" in msg
    assert "the column holds 1.0 (float), 2.0 (float) where codes: {sexe: ...} has '1' (str), '2' (str)" in msg
    out = load_data(path, codes={"sexe": {"1": "M", "2": "F"}}, parse={"sexe": "text"})
    assert out["sexe"].tolist()[::2] == ["M", "F"] and pd.isna(out["sexe"].iloc[1])


def test_number_keys_on_text_that_is_not_their_digits(tmp_path):
    path = tmp_path / "extract.csv"
    path.write_text("person_id,dept\nP1,01\nP2,2\nP3,2A\n", encoding="utf-8")
    with pytest.raises(UnknownCodeError) as info:
        load_data(path, parse={"dept": "text"}, codes={"dept": {1: "AIN", 2: "AISNE", "2A": "CORSE_SUD"}})
    msg = str(info.value)
    assert "'01' (1 row, e.g. person_id P1)" in msg  # '2' matched the number key 2 by its text, as before
    assert "the column holds '01' (str) where codes: {dept: ...} has 1 (int)" in msg
    assert "('01': CODE, in quotes)" in msg
    ok = load_data(path, parse={"dept": "text"}, codes={"dept": {"01": "AIN", 2: "AISNE", "2A": "CORSE_SUD"}})
    assert ok["dept"].tolist() == ["AIN", "AISNE", "CORSE_SUD"]


def test_yaml_boolean_keys_on_yes_no_text():
    data = pd.DataFrame({"person_id": ["P1", "P2"], "flag": ["yes", "no"]})
    with pytest.raises(UnknownCodeError) as info:
        load_data(data, codes={"flag": {True: 1, False: 0}}, source_name="survey.csv")
    msg = str(info.value)
    assert msg.startswith("survey.csv: column 'flag'")
    assert "'no' (str), 'yes' (str)" in msg and "False (bool), True (bool)" in msg and "quote the keys" in msg


def test_keys_of_another_vocabulary_and_the_same_type_give_no_type_hint():
    data = pd.DataFrame({"person_id": ["P1", "P2"], "sexe": ["H", "X"]})
    with pytest.raises(UnknownCodeError) as info:
        load_data(data, codes={"sexe": {"H": "M", "F": "F"}})
    assert "differ in type" not in str(info.value) and "normalize" not in str(info.value)
    numbers = pd.DataFrame({"person_id": ["P1", "P2"], "sexe": [1, 3]})
    with pytest.raises(UnknownCodeError) as info:
        load_data(numbers, codes={"sexe": {"H": "M", "F": "F"}})
    msg = str(info.value)
    assert "the column holds 3 (int), 1 (int) and codes: {sexe: ...} has 'H' (str), 'F' (str)" in msg or \
        "the column holds 1 (int), 3 (int) and codes: {sexe: ...} has 'H' (str), 'F' (str)" in msg
    assert "(1: CODE)" in msg or "(3: CODE)" in msg


def test_text_parser_on_typed_sources():
    data = pd.DataFrame({"code": [1, 2, None], "frac": [1.5, 2.0, None], "flag": [True, False, True]})
    out = load_data(data, parse={"code": "text"})
    assert out["code"].tolist()[:2] == ["1", "2"] and pd.isna(out["code"].iloc[2])
    with pytest.raises(ParseError, match=r"column 'frac' .*1\.5 \(float\) has no single text form"):
        load_data(data, parse={"frac": "text"})
    with pytest.raises(ParseError, match=r"column 'flag' .*True is a boolean"):
        load_data(data, parse={"flag": {"type": "text"}})


def test_normalize_is_opt_in_and_explicit(tmp_path):
    path = tmp_path / "imilo.csv"
    path.write_text("person_id,situation\nP1,Emploi\nP2, emploi \nP3,CHOMAGE\nP4,chômage\n", encoding="utf-8")
    mapping = {"emploi": "EMPLOYED", "chomage": "UNEMPLOYED", "chômage": "UNEMPLOYED"}
    with pytest.raises(UnknownCodeError) as info:  # default: the value as read, no silent normalisation
        load_data(path, codes={"situation": mapping})
    msg = str(info.value)
    assert "' emploi ' (1 row, e.g. person_id P2)" in msg and "'Emploi' (1 row, e.g. person_id P1)" in msg
    assert "Ignoring spaces and case would read" in msg and "' emploi ' as 'emploi'" in msg
    assert "codes: {situation: {map: {...}, normalize: true}}" in msg
    out = load_data(path, codes={"situation": {"map": mapping, "normalize": True}})
    assert out["situation"].tolist() == ["EMPLOYED", "EMPLOYED", "UNEMPLOYED", "UNEMPLOYED"]
    with pytest.raises(UnknownCodeError, match=r"' emploi ' \(1 row, e\.g\. person_id P2\)") as info:
        load_data(path, codes={"situation": {"map": mapping, "normalize": "case"}})
    assert "Ignoring spaces" not in str(info.value)  # normalisation asked for: no hint about it
    with pytest.raises(UnknownCodeError, match=r"'Emploi' \(1 row"):
        load_data(path, codes={"situation": {"map": mapping, "normalize": ["space"]}})
    assert load_data(path, codes={"situation": {"map": mapping, "normalize": ["space", "case"]}})["situation"].nunique() == 2
    with pytest.raises(UnknownCodeError, match="Ignoring spaces and case"):  # normalize: false is the default
        load_data(path, codes={"situation": {"map": mapping, "normalize": False}})


def test_normalize_with_code_lists_and_alias_tables():
    data = pd.DataFrame({"participation_id": ["A1", "A2", "A3"], "sex": ["f ", "M", "h"]})
    with pytest.raises(UnknownCodeError) as info:
        load_data(data, table="participations", codes={"sex": {"map": {}, "normalize": "space"}})
    assert "'h' (1 row, e.g. participation_id A3" in str(info.value)
    out = load_data(data, table="participations", codes={"sex": {"map": [{"H": "M"}], "normalize": True}})
    assert out["sex"].tolist() == ["F", "M", "M"]  # 'f ' is the code F once spaces and case are ignored
    ops = _operations()
    ops.loc[0, "action_type"] = "  repérage"
    out = load_data(ops, table="operations", codes={"action_type": {"map": "aliases", "normalize": True}})
    assert out["action_type"].iloc[0] == "REPERAGE"


def test_code_map_declarations_are_checked():
    data = pd.DataFrame({"sexe": ["H", "F"]})
    with pytest.raises(SpecificationError, match=r"unknown key 'normalise'.*Did you mean 'normalize'"):
        load_data(data, codes={"sexe": {"map": {"H": "M"}, "normalise": True}})
    with pytest.raises(SpecificationError, match=r"'normalize' of column 'sexe' must be true"):
        load_data(data, codes={"sexe": {"map": {"H": "M"}, "normalize": "accents"}})
    with pytest.raises(SpecificationError, match=r"put the mapping under 'map'"):
        load_data(data, codes={"sexe": {"H": "M", "F": "F", "normalize": True}})
    with pytest.raises(SpecificationError, match=r"keys 'H' and 'h ' of column 'sexe' are the same text"):
        load_data(data, codes={"sexe": {"map": {"H": "M", "h ": "F", "F": "F"}, "normalize": True}})
    ops = _operations()  # map: aliases alone is the alias table, not the recoding of a raw value 'map'
    assert load_data(ops, table="operations", codes={"action_type": {"map": "aliases"}})["action_type"].iloc[2] == \
        "APPRENTISSAGE"
    # a raw value called 'map' mapped to one code is still a plain mapping
    raw = pd.DataFrame({"kind": ["map", "plan"]})
    assert load_data(raw, codes={"kind": {"map": "MAP", "plan": "PLAN"}})["kind"].tolist() == ["MAP", "PLAN"]


# --------------------------------------------------------------------------------------------
# stacking
# --------------------------------------------------------------------------------------------


@pytest.fixture
def arms() -> tuple[pd.DataFrame, pd.DataFrame]:
    participants = pd.DataFrame({"person_id": ["P1", "P2", "P3"], "age": [18, 20, 22], "exit_date": ["a", "b", "c"]})
    comparison = pd.DataFrame({"person_id": ["C1", "C2"], "age": [19, 21], "territory_id": ["T1", "T2"]})
    return participants, comparison


def test_stack_arms(arms):
    participants, comparison = arms
    with pytest.warns(MissingDataWarning, match="only in participants: exit_date; only in comparison: territory_id"):
        out = stack_arms(participants, comparison, treatment_column="iej")
    assert out["iej"].tolist() == [1, 1, 1, 0, 0]
    assert out["person_id"].tolist() == ["P1", "P2", "P3", "C1", "C2"]
    assert list(out.columns) == ["person_id", "age", "exit_date", "territory_id", "iej"]
    assert out.index.equals(pd.RangeIndex(5))
    assert "iej" not in participants.columns


def test_stack_arms_without_one_sided_columns_is_silent(arms):
    participants, comparison = arms
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = stack_arms(participants[["person_id", "age"]], comparison[["person_id", "age"]])
    assert out["treated"].sum() == 3


def test_contamination_is_refused_with_counts_and_ids(arms):
    participants, comparison = arms
    comparison = pd.concat([comparison, pd.DataFrame({"person_id": ["P2", "P3", "P3"], "age": [20, 22, 22]})],
                           ignore_index=True)
    with pytest.raises(ContaminationError) as info:
        stack_arms(participants, comparison)
    msg = str(info.value)
    assert "2 persons appear both among participants and in the comparison cohort" in msg
    assert "person_id 'P2', 'P3'" in msg and "3 comparison rows" in msg
    assert info.value.rows == ("P2", "P3", "P3")
    flagged = comparison.assign(contaminated=[False, False, True, True, True])
    with pytest.warns(MissingDataWarning):
        out = stack_arms(participants, flagged)
    assert len(out) == 8


def test_stack_arms_argument_errors(arms):
    participants, comparison = arms
    with pytest.raises(DataError, match="already has a column 'age'"):
        stack_arms(participants, comparison, treatment_column="age")
    with pytest.raises(DataError, match=r"comparison table has no column 'person_id'.*Did you mean 'personid'"):
        stack_arms(participants, comparison.rename(columns={"person_id": "personid"}))
    with pytest.raises(DataError, match="comparison table has no rows"):
        stack_arms(participants, comparison.iloc[:0])


def test_runner_style_stacking_from_files(tmp_path, arms):
    participants, comparison = arms
    participants.to_csv(tmp_path / "p.csv", index=False)
    comparison.assign(exit_date="x").drop(columns="territory_id").to_parquet(tmp_path / "c.parquet")
    out = stack_arms(load_data(tmp_path / "p.csv"), load_data(tmp_path / "c.parquet"))
    assert out["treated"].tolist() == [1, 1, 1, 0, 0]


# --------------------------------------------------------------------------------------------
# hashing and writing
# --------------------------------------------------------------------------------------------


def test_file_sha256(tmp_path):
    path = tmp_path / "x.csv"
    payload = b"a,b\n1,2\n" * 100_000
    path.write_bytes(payload)
    assert file_sha256(path, chunk_size=4096) == hashlib.sha256(payload).hexdigest()
    with pytest.raises(DataError, match="no such file"):
        file_sha256(tmp_path / "y.csv")


def test_write_table_is_deterministic(tmp_path):
    table = pd.DataFrame({"term": ["a", "b"], "estimate": [0.1 + 0.2, 1 / 3], "n": [10, 20],
                          "ci_lower": [np.nan, -1e-20], "date": pd.to_datetime(["2015-01-01", "2016-02-29"])})
    first = write_table(table, tmp_path / "out" / "t.csv")
    second = write_table(table.copy(), tmp_path / "t2.csv")
    assert first.read_bytes() == second.read_bytes()
    text = first.read_text(encoding="utf-8")
    assert text == ("term,estimate,n,ci_lower,date\n"
                    "a,0.3,10,,2015-01-01\n"
                    "b,0.333333333333,20,-1e-20,2016-02-29\n")
    back = load_data(first)
    assert back["estimate"].tolist() == [0.3, 0.333333333333]
    assert (tmp_path / "t3.csv").exists() is False
    write_table(table, tmp_path / "t3.csv", digits=17)
    assert "0.30000000000000004" in (tmp_path / "t3.csv").read_text()
    with pytest.raises(SpecificationError, match=r"\.csv"):
        write_table(table, tmp_path / "t.parquet")
    with pytest.raises(SpecificationError, match="digits"):
        write_table(table, tmp_path / "t4.csv", digits=0)
