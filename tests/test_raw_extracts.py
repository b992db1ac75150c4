"""Raw extracts written from the synthetic cohort: formats, defects, reproducibility and the truth.

``export_raw_extracts`` writes an MDFSE participant extract, an operations extract, a
mission-locale cohort, an id crosswalk and a quarterly employment register, each messy in the
documented ways, plus ``truth.json``. These tests read the files back as a user would and check
that nothing of the cohort was lost: the covariates, the register rule (employed in the quarter's
last month) and the true effects, recomputed here by an independent route (the cohort's monthly
``group_time`` table).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from iej_impact import export_raw_extracts, simulate_cohort
from iej_impact.cli import main
from iej_impact.data._io import load_data
from iej_impact.data._reentries import merge_reentries
from iej_impact.datasets.synthetic._raw_extracts import MDFSE_COLUMNS, ML_COLUMNS, RAW_FILES
from iej_impact.errors import SpecificationError

MDFSE_FLAGS = ["in_education_training_entry", "pe_registered_entry", "hh_jobless", "hh_dependent_children",
               "hh_single_adult", "disability_rqth", "social_minima", "homeless", "rural", "qpv_resident",
               "offer_received_at_exit", "qualification_gained"]
MDFSE_DATES = ["entry_date", "exit_date", "birth_date", "exit_status_date", "status_6m_date", "extract_date"]
ML_FLAGS = ["hh_jobless", "hh_dependent_children", "hh_single_adult", "disability_rqth", "social_minima", "homeless",
            "rural", "qpv_resident"]


@pytest.fixture(scope="module")
def cohort():
    return simulate_cohort(250, seed=7, panel="balanced")


@pytest.fixture(scope="module")
def raw(cohort, tmp_path_factory) -> dict[str, Path]:
    return export_raw_extracts(cohort, tmp_path_factory.mktemp("raw"), seed=11)


@pytest.fixture(scope="module")
def truth(raw) -> dict:
    return json.loads(raw["truth"].read_text(encoding="utf-8"))


def _mdfse(path: Path) -> pd.DataFrame:
    return load_data(path, sep=";", encoding="cp1252", columns=MDFSE_COLUMNS,
                     parse={**dict.fromkeys(MDFSE_FLAGS, "bool"), **dict.fromkeys(MDFSE_DATES, "date:%d/%m/%Y"),
                            "sample_weight_6m": "fr_number"},
                     codes={"sex": "aliases", "national_level": "aliases",
                            "lm_status_entry": {"Chômeur": "UNEMPLOYED", "Inactif": "INACTIVE"}})


def _ml(path: Path) -> pd.DataFrame:
    return load_data(path, sep="\t", columns=ML_COLUMNS,
                     parse={**dict.fromkeys(ML_FLAGS, "bool"), "pseudo_entry_date": "date", "birth_date": "date"},
                     codes={"sex": {1: "M", 2: "F"}, "national_level": "aliases",
                            "lm_status_entry": {"DE": "UNEMPLOYED", "INACTIF": "INACTIVE"}})


def test_the_same_cohort_and_seed_give_the_same_bytes(cohort, raw, tmp_path) -> None:
    again = export_raw_extracts(cohort, tmp_path / "again", seed=11)
    for role, path in raw.items():
        assert again[role].read_bytes() == path.read_bytes(), role
    other = export_raw_extracts(cohort, tmp_path / "other", seed=12)
    assert other["participants"].read_bytes() != raw["participants"].read_bytes()


def test_each_file_has_its_own_conventions(raw) -> None:
    assert sorted(p.name for p in raw.values()) == sorted(RAW_FILES.values())
    mdfse = raw["participants"].read_bytes()
    with pytest.raises(UnicodeDecodeError):
        mdfse.decode("utf-8")  # Windows-1252: 'é' is one byte
    text = mdfse.decode("cp1252")
    assert text.startswith("N° dossier participant;Identifiant participant;") and "\r\n" in text
    assert "Date d'entrée" in text and "Situation sur le marché du travail" in text
    ml = raw["comparison"].read_bytes()
    assert ml.startswith(b"\xef\xbb\xbfid_jeune\tdate_premier_accueil\t")
    assert b"\tVbis\t" in ml and b"V bis" not in ml
    panel = pd.read_csv(raw["panel"], dtype=str)
    assert list(panel.columns) == ["identifiant", "trimestre", "en_emploi"]
    assert panel["trimestre"].str.fullmatch(r"20\d\dT[1-4]").all()
    ops = raw["operations"].read_bytes().decode("cp1252")
    assert "\u00a0" in ops and ";nc;" in ops  # thousands by no-break spaces, targets not communicated


def test_the_mdfse_extract_has_the_documented_defects(cohort, raw, truth) -> None:
    text = pd.read_csv(raw["participants"], sep=";", encoding="cp1252", dtype=str, keep_default_na=False)
    defects = truth["defects"]
    assert int(text.duplicated().sum()) == defects["exact_duplicate_rows"]["count"] > 0
    spellings = set(text["Ménage sans emploi"]) | set(text["Résident QPV"])
    assert {"Oui", "Non"} < spellings and len(spellings - {"Oui", "Non", ""}) >= 3
    assert text["Poids de sondage (6 mois)"].str.contains(",").any()
    m = _mdfse(raw["participants"]).drop_duplicates()
    early = m[m["exit_date"] < m["entry_date"]]
    assert sorted(early["participation_id"]) == sorted(defects["exits_keyed_a_year_early"]["participation_ids"])
    truth_exit = cohort.participations.set_index("participation_id")["exit_date"]
    assert (early["exit_date"] + pd.DateOffset(years=1)).tolist() == truth_exit.loc[early["participation_id"]].tolist()
    again = m[m.duplicated(["person_id", "operation_id"], keep=False)]
    assert sorted(set(again["person_id"])) == sorted(defects["reentries"]["person_ids"])
    assert (again.groupby("person_id")["entry_date"].nunique() == 2).all()


def test_reading_the_files_back_gives_the_cohorts_covariates(cohort, raw) -> None:
    m = _mdfse(raw["participants"]).drop_duplicates()
    early = m["exit_date"] < m["entry_date"]
    m.loc[early, "exit_date"] = m.loc[early, "exit_date"] + pd.DateOffset(years=1)
    m = merge_reentries(m).drop_duplicates("person_id")  # the first participation of each person
    persons = cohort.persons.set_index("person_id")
    p = persons.loc[m["person_id"]]
    assert len(m) == int(persons["treated"].sum())
    ml = _ml(raw["comparison"])
    cross = pd.read_csv(raw["crosswalk"], dtype=str)
    ml = ml[~ml["person_id"].isin(cross["id_jeune"])]
    c = persons.loc[ml["person_id"]]
    for frame, ref, date in ((m, p, "entry_date"), (ml, c, "pseudo_entry_date")):
        np.testing.assert_array_equal(frame[date].to_numpy(dtype="datetime64[D]"),
                                      ref["entry_date"].to_numpy(dtype="datetime64[D]"))
        np.testing.assert_array_equal((frame["sex"] == "F").astype(int), ref["female"])
        age = frame[date].dt.year - frame["birth_date"].dt.year - (
            (frame[date].dt.month < frame["birth_date"].dt.month)
            | ((frame[date].dt.month == frame["birth_date"].dt.month) & (frame[date].dt.day < frame["birth_date"].dt.day)))
        np.testing.assert_array_equal(age, ref["age"])
        np.testing.assert_array_equal(frame["isced_entry"], ref["isced"])
        np.testing.assert_array_equal(frame["national_level"], ref["national_level"])
        np.testing.assert_array_equal((frame["lm_status_entry"] == "UNEMPLOYED").astype(int), ref["unemployed_entry"])
        np.testing.assert_array_equal(frame["unemp_duration_months"].fillna(0), ref["unemp_duration_months"])
        for col, src in (("hh_jobless", "jobless_household"), ("disability_rqth", "disability"),
                         ("social_minima", "social_minima"), ("homeless", "homeless"), ("rural", "rural"),
                         ("qpv_resident", "qpv_resident"), ("hh_single_adult", "hh_single_adult")):
            np.testing.assert_array_equal(frame[col].astype(int), ref[src], err_msg=col)
        np.testing.assert_array_equal(frame["territory_id"], ref["territory_id"])


def test_contaminated_youths_are_in_both_sources_through_the_crosswalk(cohort, raw, truth) -> None:
    cross = pd.read_csv(raw["crosswalk"], dtype=str)
    assert len(cross) == truth["defects"]["contaminated"]["count"] > 0
    ml = _ml(raw["comparison"]).set_index("person_id")
    m = _mdfse(raw["participants"]).drop_duplicates("person_id").set_index("person_id")
    assert set(cross["id_jeune"]) <= set(ml.index) and not set(cross["id_jeune"]) & set(cohort.persons["person_id"])
    first_contact = ml.loc[cross["id_jeune"], "pseudo_entry_date"].to_numpy()
    entry = m.loc[cross["identifiant_participant"], "entry_date"].to_numpy()
    gap = (entry - first_contact).astype("timedelta64[D]").astype(int)
    assert ((gap >= 60) & (gap <= 240)).all()
    register = pd.read_csv(raw["panel"], dtype={"identifiant": str})
    for ml_id, pid in zip(cross["id_jeune"], cross["identifiant_participant"], strict=True):
        a = register[register["identifiant"] == ml_id].drop(columns="identifiant").reset_index(drop=True)
        b = register[register["identifiant"] == pid].drop(columns="identifiant").reset_index(drop=True)
        pd.testing.assert_frame_equal(a, b)


def test_the_register_is_employment_in_each_quarters_last_month(cohort, raw) -> None:
    register = pd.read_csv(raw["panel"], dtype={"identifiant": str})
    panel = cohort.panel
    month = (panel["period"].to_numpy() - 1) % 12 + 1
    year = 2013 + (panel["period"].to_numpy() - 1) // 12
    last = panel[month % 3 == 0].assign(trimestre=[f"{y}T{m // 3}" for y, m in zip(year[month % 3 == 0],
                                                                                   month[month % 3 == 0], strict=True)])
    expected = last[["person_id", "trimestre", "employed"]].astype({"person_id": str})
    got = register[register["identifiant"].isin(cohort.persons["person_id"])]
    merged = expected.merge(got, left_on=["person_id", "trimestre"], right_on=["identifiant", "trimestre"],
                            how="outer", indicator=True)
    assert (merged["_merge"] == "both").all()
    np.testing.assert_array_equal(merged["employed"], merged["en_emploi"])
    assert len(got) == len(cohort.persons) * 18  # 2013T1 .. 2017T2


def test_the_truth_agrees_with_the_cohorts_monthly_truth(cohort, truth) -> None:
    """ATT at entry quarter + h, recomputed from the cohort's monthly ATT(g, t) cells (g = entry month)."""
    gt = cohort.group_time[cohort.group_time["outcome"] == "employed"]
    persons = cohort.persons[cohort.persons["treated"] == 1]
    for h in (0, 2, 4):
        row = next(r for r in truth["horizons"] if r["horizon"] == h and r["estimand"] == "ATT")
        total = 0.0
        for g, n_g in persons["entry_period"].value_counts().items():
            quarter_last_month = g + (2 - (g - 1) % 12 % 3)  # the last month of the entry quarter
            cell = gt[(gt["group"] == g) & (gt["time"] == quarter_last_month + 3 * h)]
            assert int(cell["n"].iloc[0]) == n_g
            total += float(cell["att"].iloc[0]) * n_g
        assert row["value"] == pytest.approx(total / len(persons), abs=1e-12)
        assert row["n"] == len(persons)
    assert truth["horizons"][0]["outcome"] == "employed_q0"
    cells = pd.DataFrame(truth["group_time"])
    assert (cells.loc[cells["event_time"] < 0, "att"] == 0).all()  # no anticipation
    dyn = pd.DataFrame(truth["dynamic"]).set_index("event_time")
    att2 = next(r["value"] for r in truth["horizons"] if r["horizon"] == 2 and r["estimand"] == "ATT")
    assert dyn.loc[2, "att"] == pytest.approx(att2)  # every cohort reaches g + 2 within the register
    assert truth["dynamic_overall"] == pytest.approx(dyn.loc[dyn.index >= 0, "att"].mean())


def test_the_exporter_needs_a_balanced_panel(tmp_path) -> None:
    with pytest.raises(SpecificationError, match="panel='balanced'"):
        export_raw_extracts(simulate_cohort(20, seed=1, panel="window"), tmp_path)
    with pytest.raises(SpecificationError, match="SyntheticCohort"):
        export_raw_extracts("cohort", tmp_path)  # type: ignore[arg-type]


def test_simulate_raw_writes_the_extracts(tmp_path, capsys) -> None:
    out = tmp_path / "raw"
    assert main(["simulate", "--raw", "--n-participants", "40", "--seed", "5", "--output-dir", str(out)]) == 0
    assert {p.name for p in out.iterdir()} >= set(RAW_FILES.values())
    assert main(["simulate", "--raw", "--panel", "window", "--output-dir", str(tmp_path / "w")]) == 2
    assert "--panel balanced" in capsys.readouterr().err


SHIPPED = Path(__file__).resolve().parents[1] / "configs" / "raw"


def test_the_shipped_raw_extracts_are_what_make_raw_extracts_writes(tmp_path) -> None:
    """configs/raw/ is regenerated by `make raw-extracts` (300 participants, seeds 20180101)."""
    fresh = export_raw_extracts(simulate_cohort(300, seed=20180101, panel="balanced"), tmp_path, seed=20180101)
    for role, path in fresh.items():
        shipped = SHIPPED / path.name
        assert shipped.is_file(), f"{shipped} missing: run make raw-extracts"
        if role == "truth":  # floating-point truths may differ in the last bit across numpy/scipy versions
            a, b = json.loads(shipped.read_text(encoding="utf-8")), json.loads(path.read_text(encoding="utf-8"))
            assert a["files"] == b["files"] and a["defects"] == b["defects"]
            for x, y in zip(a["horizons"], b["horizons"], strict=True):
                assert x["value"] == pytest.approx(y["value"], rel=1e-9, abs=1e-12)
        else:
            assert shipped.read_bytes() == path.read_bytes(), f"{shipped} is stale: run make raw-extracts"
