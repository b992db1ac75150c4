"""The cohort steps: stack (arms with a common reference date) and remove_contamination
(comparison units later found among participants: dropped, or flagged with the date of entry)."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from iej_impact.errors import MissingDataWarning
from iej_impact.preparation import PreparationError, prepare

ARMS = {"participants": "participants", "comparison": "comparison"}


def _tables():
    participants = pd.DataFrame({
        "person_id": ["P1", "P2", "P3", "P4"],
        "entry_date": pd.to_datetime(["2016-01-10", "2016-03-01", "2016-05-01", "2017-02-01"]),
        "age": [18, 19, 20, 21],
    })
    comparison = pd.DataFrame({
        "person_id": ["C1", "P3", "C3", "P4", "C5"],
        "reference_date": pd.to_datetime(["2016-01-01", "2016-06-01", "2016-01-01", "2016-01-01", "2016-01-01"]),
        "age": [22, 23, 24, 25, 26],
    })
    return {"participants": participants, "comparison": comparison}


def _prepare(tables, steps, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingDataWarning)
        return prepare(tables, steps, arms={**ARMS, **kw.pop("arms", {})}, **kw)


def _rc(**options):
    return {"step": "remove_contamination", "table": "comparison", "participants": "participants", **options}


STACK = {"step": "stack", "participants": "participants", "comparison": "comparison", "new_table": "persons"}


def _flow(res, step_no):
    return res.flow[res.flow["step"].str.startswith(f"steps[{step_no}]")].reset_index(drop=True)


# -- stack -------------------------------------------------------------------------------------
def test_stack_with_reference_date_counts_arms_and_leaves_inputs():
    tables = _tables()
    tables["comparison"] = tables["comparison"].iloc[[0, 2, 4]].reset_index(drop=True)
    before = {k: v.copy() for k, v in tables.items()}
    with pytest.warns(MissingDataWarning, match="only in participants: entry_date"):
        res = prepare(tables, [{**STACK, "reference_date": {"participants": "entry_date", "comparison": "reference_date",
                                                            "into": "ref_date"}}], arms=ARMS)
    out = res["persons"]
    assert out["treated"].tolist() == [1, 1, 1, 1, 0, 0, 0]
    assert out["ref_date"].tolist() == [*tables["participants"]["entry_date"], *tables["comparison"]["reference_date"]]
    info = res.info["persons"]
    assert (info.arm, info.treatment, info.id_column) == ("stacked", "treated", "person_id")
    row = _flow(res, 0).iloc[0]
    assert (row["table"], row["rows_in"], row["rows_out"], row["treated_out"], row["control_out"]) == (
        "persons", 7, 7, 4, 3)
    for k in tables:
        pd.testing.assert_frame_equal(tables[k], before[k])
        assert "ref_date" not in tables[k].columns


def test_stack_refuses_a_person_in_both_arms_and_points_at_remove_contamination():
    with pytest.raises(PreparationError) as info:
        _prepare(_tables(), [STACK])
    msg = str(info.value)
    assert msg.startswith("steps[0] (stack):") and "table 'comparison'" in msg and "remove_contamination" in msg
    assert info.value.column == "person_id" and list(info.value.rows) == ["P3", "P4"]


@pytest.mark.parametrize("change, words", [
    ({"new_table": "comparison"}, "'new_table': a table 'comparison' already exists"),
    ({"comparison": "comparisn"}, "Did you mean 'comparison'?"),
    ({"id": "pid"}, "'id': column 'pid' is not in table 'participants'"),
    ({"reference_date": {"participants": "entry_date", "comparison": "age", "into": "ref"}}, "both must be dates"),
    ({"reference_date": {"participants": "entry_date", "comparison": "reference_date", "into": "age"}},
     "'reference_date.into': table 'participants' already has a column 'age'"),
    ({"reference_date": {"participants": "entry_date"}}, "exactly the keys"),
])
def test_stack_bad_options(change, words):
    tables = _tables()
    tables["comparison"] = tables["comparison"].iloc[[0, 2]]
    with pytest.raises(PreparationError) as info:
        _prepare(tables, [{**STACK, **change}])
    assert str(info.value).startswith("steps[0] (stack):") and words in str(info.value)


def test_stack_refuses_an_existing_treatment_column():
    tables = _tables()
    tables["comparison"] = tables["comparison"].iloc[[0]].assign(treated=0)
    with pytest.raises(PreparationError) as info:
        _prepare(tables, [STACK])
    assert "table 'comparison' already has a column 'treated'" in str(info.value) and info.value.column == "treated"


# -- remove_contamination by key ---------------------------------------------------------------
def test_drop_by_key_lists_the_dropped_ids_per_arm():
    tables = _tables()
    before = {k: v.copy() for k, v in tables.items()}
    res = _prepare(tables, [_rc(key="person_id"), STACK])
    assert res["comparison"]["person_id"].tolist() == ["C1", "C3", "C5"]
    row = _flow(res, 0).iloc[0]
    assert (row["rows_in"], row["rows_out"], row["treated_out"], row["control_out"]) == (5, 3, 0, 3)
    assert row["examples"] == "P3, P4" and "2 comparison units found among participants" in row["reason"]
    ex = res.exclusions
    assert ex["row_id"].tolist() == ["P3", "P4"] and set(ex["arm"]) == {"control"}
    assert ex["reason"].str.startswith("contaminated").all()
    assert res["persons"]["treated"].value_counts().to_dict() == {1: 4, 0: 3}
    for k in tables:
        pd.testing.assert_frame_equal(tables[k], before[k])


def test_flag_keeps_units_with_the_date_of_later_entry_and_stack_accepts_them():
    res = _prepare(_tables(), [_rc(key="person_id", action="flag"), STACK])
    comp = res["comparison"]
    assert comp["contaminated"].tolist() == [False, True, False, True, False]
    assert comp["contamination_date"].tolist()[1] == pd.Timestamp("2016-05-01")
    assert comp["contamination_date"].tolist()[3] == pd.Timestamp("2017-02-01")
    assert comp["contamination_date"].isna().tolist() == [True, False, True, False, True]
    assert res.exclusions.empty
    row = _flow(res, 0).iloc[0]
    assert (row["rows_in"], row["rows_out"], row["control_out"], row["examples"]) == (5, 5, 5, "P3, P4")
    assert "contaminated=True" in row["reason"] and "contamination_date" in row["reason"]
    assert len(res["persons"]) == 9


def test_reference_date_separates_earlier_participants_from_later_entries():
    res = _prepare(_tables(), [_rc(key="person_id", action="flag", reference="reference_date",
                                   flag="contam", later_entry="entered")])
    comp = res["comparison"]
    # P3 entered 2016-05-01, before its reference date 2016-06-01: it was a participant, not a comparison unit
    assert comp["person_id"].tolist() == ["C1", "C3", "P4", "C5"]
    assert comp["contam"].tolist() == [False, False, True, False]
    assert comp["entered"].tolist()[2] == pd.Timestamp("2017-02-01")
    assert res.exclusions["row_id"].tolist() == ["P3"]
    assert res.exclusions["reason"].iloc[0].startswith("already a participant on or before reference_date")
    flow = _flow(res, 0)
    assert flow["rows_out"].tolist() == [5, 4] and flow["examples"].tolist() == ["P4", "P3"]


def test_on_a_stacked_table_only_control_rows_are_examined():
    tables = _tables()
    stacked = pd.concat([tables["participants"].assign(treated=1), tables["comparison"].assign(treated=0)],
                        ignore_index=True)
    res = prepare({"persons": stacked}, [{"step": "remove_contamination", "table": "persons", "participants": "persons",
                                          "key": "person_id"}], arms={"persons": "stacked"},
                  treatment={"persons": "treated"})
    out = res["persons"]
    assert out["person_id"].tolist() == ["P1", "P2", "P3", "P4", "C1", "C3", "C5"]
    row = _flow(res, 0).iloc[0]
    assert (row["treated_out"], row["control_out"]) == (4, 3)
    assert res.exclusions["arm"].tolist() == ["control", "control"]


def test_period_indexes_as_dates():
    tables = _tables()
    tables["participants"]["entry_date"] = pd.array([8064, 8065, 8065, 8068], dtype="Int64")  # quarters
    res = _prepare(tables, [_rc(key="person_id", action="flag")])
    dates = res["comparison"]["contamination_date"]
    assert str(dates.dtype) == "Int64" and dates.tolist()[1] == 8065 and dates.isna().sum() == 3


# -- remove_contamination through a crosswalk -------------------------------------------------
def _with_crosswalk(links):
    tables = _tables()
    tables["comparison"] = tables["comparison"].drop(columns="person_id").assign(imilo_id=[10, 11, 12, 13, 14])
    tables["links"] = pd.DataFrame(links, columns=["imilo_id", "person_id"])
    return tables


CROSSWALK = {"table": "links", "comparison": "imilo_id", "participants": "person_id"}


def test_crosswalk_drop():
    tables = _with_crosswalk([[11, "P3"], [13, "P4"], [99, "P2"], [None, "P1"]])
    res = _prepare(tables, [_rc(crosswalk=CROSSWALK)], ids={"comparison": "imilo_id"})
    assert res["comparison"]["imilo_id"].tolist() == [10, 12, 14]
    assert res.exclusions["row_id"].tolist() == [11, 13]
    reason = _flow(res, 0)["reason"].iloc[0]
    assert "through crosswalk 'links'" in reason and "1 crosswalk rows with a missing id link nothing" in reason


def test_crosswalk_id_in_neither_source():
    tables = _with_crosswalk([[11, "P3"], [77, "P77"], [78, "P78"]])
    with pytest.raises(PreparationError) as info:
        _prepare(tables, [_rc(crosswalk=CROSSWALK)], ids={"links": "imilo_id"})
    msg = str(info.value)
    assert msg.startswith("steps[0] (remove_contamination): 'crosswalk': 2 rows link ids found in neither")
    assert "table 'links'" in msg and "77" in msg and info.value.column == "imilo_id" and list(info.value.rows) == [77, 78]


def test_crosswalk_id_mapped_to_two_persons():
    tables = _with_crosswalk([[11, "P3"], [11, "P4"], [13, "P4"]])
    with pytest.raises(PreparationError) as info:
        _prepare(tables, [_rc(crosswalk=CROSSWALK)], ids={"links": "imilo_id"})
    msg = str(info.value)
    assert "mapped to several persons" in msg and "11 -> 'P3', 'P4'" in msg and "table 'links'" in msg
    assert info.value.column == "imilo_id" and list(info.value.rows) == [11, 11]


def test_crosswalk_ids_of_another_type():
    tables = _with_crosswalk([["11", "P3"]])
    with pytest.raises(PreparationError) as info:
        _prepare(tables, [_rc(crosswalk=CROSSWALK)])
    assert "holds numbers" in str(info.value) and "holds text" in str(info.value)


@pytest.mark.parametrize("options, words, column", [
    ({"key": "pid"}, "'key': column 'pid' is not in table 'comparison'", "pid"),
    ({}, "give either 'key'", None),
    ({"key": "person_id", "crosswalk": CROSSWALK}, "not both", None),
    ({"key": "person_id", "action": "remove"}, "'action' must be one of", None),
    ({"key": "person_id", "action": "flag", "flag": "age"}, "'flag': table 'comparison' already has a column 'age'", "age"),
    ({"key": "person_id", "action": "flag", "entry": "entry"}, "Did you mean 'entry_date'?", "entry"),
    ({"key": "person_id", "reference": "ref_date"}, "Did you mean 'reference_date'?", "ref_date"),
    ({"key": "person_id", "crosswalk": None, "participants": "participant"}, "Did you mean 'participants'?", None),
])
def test_remove_contamination_bad_options(options, words, column):
    with pytest.raises(PreparationError) as info:
        _prepare(_tables(), [_rc(**options)])
    assert str(info.value).startswith("steps[0] (remove_contamination):") and words in str(info.value)
    assert info.value.column == column


def test_missing_entry_date_of_a_matched_participant():
    tables = _tables()
    tables["participants"].loc[2, "entry_date"] = pd.NaT
    with pytest.raises(PreparationError) as info:
        _prepare(tables, [_rc(key="person_id", action="flag")])
    assert "table 'participants'" in str(info.value) and list(info.value.rows) == ["P3"]
    assert len(_prepare(tables, [_rc(key="person_id")])["comparison"]) == 3  # dropping needs no date


def test_table_of_unknown_arm_is_refused():
    with pytest.raises(PreparationError) as info:
        prepare(_tables(), [_rc(key="person_id")], arms={"participants": "participants"})
    assert "'table': table 'comparison' holds 'none' rows" in str(info.value)
