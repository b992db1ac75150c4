"""Pre-flight checks of the canonical tables (docs/reference/data-model.md) and merge_reentries."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from iej_impact.data._checks import (
    check_constant_within,
    check_date_order,
    check_exit_status_window,
    check_unique,
    validate_table,
)
from iej_impact.data._reentries import merge_reentries
from iej_impact.errors import (
    DataError,
    DateOrderError,
    DuplicateParticipationError,
    PanelStructureError,
    UnknownCodeError,
)

D = pd.Timestamp


@pytest.fixture
def participations() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "participation_id": ["A1", "A2", "A3", "A4"],
            "person_id": ["P1", "P2", "P3", "P1"],
            "operation_id": ["OP1", "OP1", "OP2", "OP2"],
            "entry_date": pd.to_datetime(["2015-01-05", "2015-02-01", "2015-03-10", "2015-06-01"]),
            "exit_date": pd.to_datetime(["2015-04-01", None, "2015-09-10", "2015-08-01"]),
            "sex": ["F", "M", "M", "F"],
            "birth_date": pd.to_datetime(["1996-05-01", "1998-01-01", "1994-12-31", "1996-05-01"]),
            "isced_entry": [2, 3, np.nan, 2],
            "hh_jobless": [True, False, None, True],
            "exit_reason": ["COMPLETED", None, "DROPOUT", "COMPLETED"],
            "status_6m": ["EMPLOYED", None, "UNEMPLOYED", None],
            "status_6m_date": pd.to_datetime(["2015-10-01", None, "2016-03-10", None]),
            "sample_weight_6m": [1.2, np.nan, 0.8, np.nan],
        }
    )


@pytest.fixture
def operations() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "operation_id": ["OP1", "OP2", "OP3"],
            "action_type": ["REPERAGE", "ACCOMPAGNEMENT", "APPRENTISSAGE"],
            "operator_type": ["GIP", "MISSION_LOCALE", "CFA"],
            "amount_fse_iej": [1298429.0, 508835.0, np.nan],
            "funding_group_id": [None, None, "POR_APPRENTISSAGE"],
            "target_participants": [11000, 300, np.nan],
            "target_years": [2, 2, 3],
            "start_date": pd.to_datetime(["2014-09-01", "2015-01-01", "2015-01-01"]),
            "end_date": pd.to_datetime(["2016-08-31", "2016-12-31", "2017-12-31"]),
        }
    )


@pytest.fixture
def comparison() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "person_id": ["C1", "C2", "C3"],
            "pseudo_entry_date": pd.to_datetime(["2015-01-05", "2015-02-01", "2015-03-01"]),
            "sex": ["F", "M", "F"],
            "source": ["IMILO", "IMILO", "FH"],
            "eligible": [True, True, False],
            "contaminated": [False, True, False],
            "contamination_date": pd.to_datetime([None, "2015-06-01", None]),
        }
    )


@pytest.fixture
def panel() -> pd.DataFrame:
    months = pd.to_datetime(["2015-01-01", "2015-02-01", "2015-03-01"])
    return pd.DataFrame(
        {
            "person_id": ["a"] * 3 + ["b"] * 3,
            "period": list(months) * 2,
            "group": ["TREATED"] * 3 + ["COMPARISON"] * 3,
            "first_treat_period": [months[1]] * 3 + [pd.NaT] * 3,
            "employed": [0, 1, 1, 0, pd.NA, 0],
            "weight": [1.0] * 6,
        }
    )


@pytest.mark.parametrize("table", ["participations", "operations", "comparison_cohort", "panel"])
def test_clean_tables_pass_and_are_not_modified(table, participations, operations, comparison, panel):
    data = {"participations": participations, "operations": operations, "comparison_cohort": comparison,
            "panel": panel}[table]
    before = data.copy()
    assert validate_table(data, table, source=f"{table}.csv") is None
    pd.testing.assert_frame_equal(data, before)


# --------------------------------------------------------------------------------------------
# columns, types, missing values, codes, ranges
# --------------------------------------------------------------------------------------------


def test_missing_required_columns(participations):
    with pytest.raises(DataError) as info:
        validate_table(participations.drop(columns=["sex", "operation_id"]), "participations", source="mdfse.csv")
    msg = str(info.value)
    assert msg.startswith("mdfse.csv: the participations table lacks required columns 'operation_id', 'sex'")
    assert info.value.column == "operation_id"


def test_required_column_suggestion(participations):
    with pytest.raises(DataError, match="For 'entry_date': Did you mean 'entry_dte'"):
        validate_table(participations.rename(columns={"entry_date": "entry_dte"}), "participations")


def test_text_in_a_date_column(participations):
    data = participations.assign(entry_date=["05/01/2015", "01/02/2015", "10/03/2015", "01/06/2015"])
    with pytest.raises(DataError) as info:
        validate_table(data, "participations", source="mdfse.csv")
    msg = str(info.value)
    assert "column 'entry_date' (date) must hold dates but holds text ('05/01/2015'" in msg
    assert "parse: {entry_date: 'date:%d/%m/%Y'}" in msg
    assert "4 rows (e.g. participation_id A1, A2, A3, A4)" in msg


def test_text_in_a_numeric_column(operations):
    data = operations.assign(amount_fse_iej=["1 298 429 €", 508835.0, None])
    with pytest.raises(DataError) as info:
        validate_table(data, "operations", source="annex4.csv")
    msg = str(info.value)
    assert "column 'amount_fse_iej' (float) must be numeric but holds text ('1 298 429 €')" in msg
    assert "fr_number" in msg and "1 row (e.g. operation_id OP1)" in msg
    assert info.value.rows == ("OP1",)


def test_non_integers_in_an_integer_column(operations):
    with pytest.raises(DataError, match=r"'target_participants' \(int\) must hold whole numbers but holds 300.5"):
        validate_table(operations.assign(target_participants=[11000, 300.5, np.nan]), "operations")


def test_words_in_a_flag_column(participations):
    with pytest.raises(DataError) as info:
        validate_table(participations.assign(hh_jobless=["oui", "non", None, "oui"]), "participations")
    msg = str(info.value)
    assert "'hh_jobless' (bool) must hold yes/no flags" in msg and "'oui', 'non'" in msg
    assert "parse: {hh_jobless: bool}" in msg


def test_missing_values_in_a_non_nullable_column(participations):
    data = participations.copy()
    data.loc[[1, 3], "sex"] = None
    with pytest.raises(DataError, match=r"'sex' may not be missing .* 2 rows \(e\.g\. participation_id A2, A4\)"):
        validate_table(data, "participations")


def test_unknown_codes_with_counts(participations):
    data = participations.assign(sex=["X", "F", "X", "H"], isced_entry=[9, 3, 2, 2])
    with pytest.raises(UnknownCodeError) as info:
        validate_table(data, "participations", source="mdfse.csv")
    msg = str(info.value)
    assert "column 'sex' has 2 values outside code list 'sex' (version 2026.1), in 3 rows" in msg
    assert "'X' (2 rows, e.g. participation_id A1, A3)" in msg and "'H' (1 row, e.g. participation_id A4)" in msg
    assert "'H' -> M" in msg
    assert info.value.counts == {"X": 2, "H": 1}
    with pytest.raises(UnknownCodeError, match=r"9 \(1 row, e\.g\. participation_id A1\)"):
        validate_table(participations.assign(isced_entry=[9, 3, 2, 2]), "participations")


def test_unknown_code_suggests_the_closest_code(operations):
    with pytest.raises(UnknownCodeError, match=r"'Accompagnemnt' \(1 row, e\.g\. operation_id OP2; did you mean "
                                               r"'ACCOMPAGNEMENT'\?\)"):
        validate_table(operations.assign(action_type=["REPERAGE", "Accompagnemnt", "APPRENTISSAGE"]), "operations")


def test_negative_amounts(operations):
    with pytest.raises(DataError) as info:
        validate_table(operations.assign(amount_fse_iej=[1298429.0, -5000.0, np.nan]), "operations", source="a.csv")
    msg = str(info.value)
    assert "column 'amount_fse_iej' must be >= 0" in msg and "negative amounts (-5000)" in msg
    assert "1 row (e.g. operation_id OP2)" in msg


def test_other_ranges(operations, panel, participations):
    with pytest.raises(DataError, match=r"'target_years' must be >= 1 and <= 7.*\(9\)"):
        validate_table(operations.assign(target_years=[2, 9, 3]), "operations")
    with pytest.raises(DataError, match=r"'employed' must be >= 0 and <= 1.*\(2\)"):
        validate_table(panel.assign(employed=[0, 1, 2, 0, 0, 0]), "panel")
    with pytest.raises(DataError, match=r"'sample_weight_6m' must be > 0"):
        validate_table(participations.assign(sample_weight_6m=[1.0, np.nan, 0.0, np.nan]), "participations")


def test_amount_missing_without_a_funding_group(operations):
    with pytest.raises(DataError, match=r"amount_fse_iej is missing without a funding_group_id in 1 row \(e\.g\. "
                                        r"operation_id OP3\)"):
        validate_table(operations.assign(funding_group_id=None), "operations")


# --------------------------------------------------------------------------------------------
# keys and duplicates
# --------------------------------------------------------------------------------------------


def test_duplicate_participations_point_to_merge_reentries(participations):
    extra = participations.iloc[[0]].assign(participation_id="A9", entry_date=D("2015-05-01"),
                                            exit_date=D("2015-07-01"))
    data = pd.concat([participations, extra], ignore_index=True)
    with pytest.raises(DuplicateParticipationError) as info:
        validate_table(data, "participations", source="mdfse.csv")
    msg = str(info.value)
    assert msg.startswith("mdfse.csv: 1 value of (person_id, operation_id) appears more than once, in 2 rows")
    assert "person_id='P1', operation_id='OP1': participation_id A1, A9" in msg
    assert "merge_reentries(data)" in msg and "first entry date, last exit date, latest results" in msg
    assert info.value.rows == ("A1", "A9")
    validate_table(merge_reentries(data), "participations")


def test_duplicate_primary_keys(participations, operations):
    with pytest.raises(DataError, match=r"\(participation_id\) appears more than once.*participation_id='A1'"):
        validate_table(participations.assign(participation_id=["A1", "A2", "A3", "A1"]), "participations")
    with pytest.raises(DataError, match=r"\(operation_id\) appears more than once.*row 0, 2"):
        validate_table(operations.assign(operation_id=["OP1", "OP2", "OP1"]), "operations")


def test_panel_duplicates(panel):
    data = pd.concat([panel, panel.iloc[[4]]], ignore_index=True)
    with pytest.raises(PanelStructureError) as info:
        validate_table(data, "panel", source="panel.parquet")
    msg = str(info.value)
    assert "1 value of (person_id, period) appears more than once, in 2 rows" in msg
    assert "person_id='b', period=2015-02-01: row 4, 6" in msg


def test_first_treatment_period_varying_within_person(panel):
    data = panel.copy()
    data.loc[2, "first_treat_period"] = D("2015-03-01")
    with pytest.raises(PanelStructureError) as info:
        validate_table(data, "panel", source="panel.parquet")
    msg = str(info.value)
    assert "column 'first_treat_period' must be constant within each person_id but varies for 1 person_id value" in msg
    assert "person_id 'a': 2015-02-01, 2015-03-01" in msg


def test_panel_groups(panel):
    data = panel.copy()
    data.loc[3:5, "first_treat_period"] = D("2015-02-01")
    with pytest.raises(PanelStructureError, match=r"COMPARISON rows have a first_treat_period in 3 rows"):
        validate_table(data, "panel")
    data = panel.copy()
    data.loc[0:2, "first_treat_period"] = pd.NaT
    with pytest.raises(PanelStructureError, match="TREATED rows have no first_treat_period"):
        validate_table(data, "panel")
    data = panel.copy()
    data.loc[5, "group"] = "TREATED"
    with pytest.raises(PanelStructureError, match="column 'group' must be constant within each person_id"):
        validate_table(data, "panel")


# --------------------------------------------------------------------------------------------
# date order
# --------------------------------------------------------------------------------------------


def test_exit_before_entry(participations):
    data = participations.copy()
    data.loc[2, "exit_date"] = D("2015-01-10")
    with pytest.raises(DateOrderError) as info:
        validate_table(data, "participations", source="mdfse.csv")
    msg = str(info.value)
    assert "exit_date is before entry_date in 1 row: participation_id 'A3' (entry_date 2015-03-10, exit_date " \
           "2015-01-10)" in msg
    assert "Fields: entry_date, exit_date" in msg
    assert info.value.rows == ("A3",) and info.value.column == "exit_date"


def test_six_month_status_before_exit(participations):
    data = participations.copy()
    data.loc[0, "status_6m_date"] = D("2015-03-01")
    with pytest.raises(DateOrderError, match=r"status_6m_date is before exit_date in 1 row: participation_id 'A1' "
                                             r"\(exit_date 2015-04-01, status_6m_date 2015-03-01\)"):
        validate_table(data, "participations")


def test_operation_and_comparison_dates(operations, comparison):
    with pytest.raises(DateOrderError, match=r"end_date is before start_date in 1 row: operation_id 'OP2'"):
        validate_table(operations.assign(end_date=pd.to_datetime(["2016-08-31", "2014-12-31", "2017-12-31"])),
                       "operations")
    with pytest.raises(DateOrderError, match="contamination_date is before pseudo_entry_date"):
        validate_table(comparison.assign(contamination_date=pd.to_datetime([None, "2015-01-01", None])),
                       "comparison_cohort")


def test_upon_leaving_window(participations):
    data = participations.assign(exit_status_date=participations["exit_date"] + pd.to_timedelta([10, 0, 40, 28], "D"))
    with pytest.raises(DateOrderError, match=r"more than 28 days after exit_date in 1 row \(e\.g\. participation_id "
                                             r"A3\)"):
        check_exit_status_window(data, source="mdfse.csv")
    check_exit_status_window(data, max_days=40)


# --------------------------------------------------------------------------------------------
# single checks on their own
# --------------------------------------------------------------------------------------------


def test_checks_work_alone():
    data = pd.DataFrame({"unit": [1, 1, 2], "t": [1, 2, 1], "start": pd.to_datetime(["2015-01-01"] * 3),
                         "stop": pd.to_datetime(["2015-02-01", "2014-02-01", "2015-02-01"]), "g": [1, 2, 3]})
    check_unique(data, ["unit", "t"])
    with pytest.raises(PanelStructureError, match=r"\(unit\) appear"):
        check_unique(data, ["unit"], error=PanelStructureError)
    with pytest.raises(DateOrderError, match="stop is before start in 1 row: row 1"):
        check_date_order(data, "start", "stop")
    with pytest.raises(PanelStructureError, match="varies for 1 unit value"):
        check_constant_within(data, "g", "unit")
    check_constant_within(data, "start", "unit")
    check_date_order(data, "start", "absent")  # absent columns are not this check's business


def test_validate_table_argument_errors(participations):
    with pytest.raises(Exception, match="Did you mean 'participations'"):
        validate_table(participations, "participation")
    with pytest.raises(DataError, match="expects a DataFrame"):
        validate_table([1, 2], "participations")  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# merge_reentries
# --------------------------------------------------------------------------------------------


@pytest.fixture
def reentries() -> pd.DataFrame:
    # P1 enters OP1 three times (file order is not chronological), P2 twice with the last spell open
    return pd.DataFrame(
        {
            "participation_id": ["R2", "X1", "R1", "Q1", "R3", "Q2"],
            "person_id": ["P1", "P9", "P1", "P2", "P1", "P2"],
            "operation_id": ["OP1", "OP1", "OP1", "OP2", "OP1", "OP2"],
            "entry_date": pd.to_datetime(["2015-05-01", "2015-01-01", "2015-01-10", "2015-02-01", "2015-09-01",
                                          "2015-06-01"]),
            "exit_date": pd.to_datetime(["2015-06-30", "2015-03-01", "2015-03-31", "2015-04-01", "2015-12-15", None]),
            "sex": ["F", "M", "F", "M", "F", "M"],
            "hh_jobless": [False, True, True, False, False, True],  # entry characteristic: first entry wins
            "exit_reason": ["DROPOUT", "COMPLETED", "DROPOUT", "DROPOUT", "COMPLETED", None],
            "exit_status_fr": ["SANS_SOLUTION", "FORMATION", "INCONNU", "SANS_SOLUTION", "EMPLOI_DURABLE", None],
            "status_6m": ["UNEMPLOYED", None, None, "UNEMPLOYED", None, None],
        }
    )


def test_merge_reentries_follows_the_esf_rules(reentries):
    before = reentries.copy()
    out = merge_reentries(reentries, count_column="n_entries")
    pd.testing.assert_frame_equal(reentries, before)
    assert out["participation_id"].tolist() == ["R1", "X1", "Q1"]  # order of first appearance; first entry's id
    p1 = out.iloc[0]
    assert p1["entry_date"] == D("2015-01-10")  # first entry
    assert p1["exit_date"] == D("2015-12-15")  # last exit
    assert bool(p1["hh_jobless"]) is True  # an entry characteristic: from the first entry
    assert p1["exit_reason"] == "COMPLETED" and p1["exit_status_fr"] == "EMPLOI_DURABLE"  # latest results
    assert pd.isna(p1["status_6m"])  # results move as a block from the latest spell, never mixed
    assert p1["n_entries"] == 3
    p2 = out.iloc[2]
    assert p2["entry_date"] == D("2015-02-01") and pd.isna(p2["exit_date"])  # last spell still open
    assert pd.isna(p2["exit_reason"]) and p2["n_entries"] == 2
    untouched = out.iloc[1].drop("n_entries")
    pd.testing.assert_series_equal(untouched, reentries.iloc[1], check_names=False)
    assert out["exit_date"].dtype == reentries["exit_date"].dtype
    assert out.index.equals(pd.RangeIndex(3))
    pd.testing.assert_frame_equal(merge_reentries(out.drop(columns="n_entries")), out.drop(columns="n_entries"))


def test_merge_reentries_without_duplicates_is_identity(participations):
    out = merge_reentries(participations)
    pd.testing.assert_frame_equal(out, participations)
    assert out is not participations


def test_merge_reentries_scales(reentries):
    k = 20_000
    big = reentries.iloc[np.tile(np.arange(len(reentries)), k)].reset_index(drop=True)
    big["person_id"] = big["person_id"] + "_" + pd.Series(np.repeat(np.arange(k), len(reentries))).astype(str)
    out = merge_reentries(big)
    assert len(out) == 3 * 20_000
    assert out["exit_date"].isna().sum() == 20_000
    with pytest.raises(DataError, match="merge_reentries\\(\\): column 'entry_date' not found"):
        merge_reentries(big.drop(columns="entry_date"))


def test_panel_period_may_be_an_integer_index_but_not_fractional():
    """Panel period: month dates, monthly Periods or whole-number indices (the synthetic panel's)."""
    import iej_impact as iej

    cohort = iej.simulate_cohort(200, seed=2, panel="window")
    validate_table(cohort.panel, "panel")
    bad = cohort.panel.assign(period=cohort.panel["period"].astype(float) + 0.5)
    with pytest.raises(DataError, match=r"column 'period' \(period\) must hold dates, monthly periods or whole-number"):
        validate_table(bad, "panel")
