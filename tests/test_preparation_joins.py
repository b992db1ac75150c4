"""The join step: cardinality checked, every left row kept or excluded, errors naming step, table,
column and rows; and one run through a YAML configuration (data.sources + data.prepare)."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from iej_impact.cli import main
from iej_impact.errors import ConfigError
from iej_impact.preparation import PreparationError, prepare
from iej_impact.runner import validate


def _tables():
    persons = pd.DataFrame({
        "person_id": ["P1", "P2", "P3", "P4", "C1", "C2"],
        "treated": [1, 1, 1, 0, 0, 0],
        "age": [18, 19, 20, 21, 22, 23],
    })
    outcomes = pd.DataFrame({"person_id": ["P1", "P2", "C1", "C2", "X9"], "employed": [1, 0, 1, 0, 1],
                             "wage": [1200.0, 0.0, 1100.0, 0.0, 900.0]})
    return {"persons": persons, "outcomes": outcomes}


ARMS = {"persons": "stacked"}
TREATMENT = {"persons": "treated"}


def _run(tables, steps):
    return prepare(tables, steps, arms=ARMS, treatment=TREATMENT)


def _flow(res, step_no):
    return res.flow[res.flow["step"].str.startswith(f"steps[{step_no}]")]


def test_left_join_keeps_every_row_and_counts_unmatched_per_arm():
    tables = _tables()
    before = {k: v.copy() for k, v in tables.items()}
    res = _run(tables, [{"step": "join", "left": "persons", "right": "outcomes", "on": "person_id"}])
    out = res["persons"]
    assert list(out.columns) == ["person_id", "treated", "age", "employed", "wage"]
    assert out["person_id"].tolist() == ["P1", "P2", "P3", "P4", "C1", "C2"]
    assert out["employed"].isna().tolist() == [False, False, True, True, False, False]
    row = _flow(res, 0).iloc[0]
    assert (row["rows_in"], row["rows_out"], row["treated_out"], row["control_out"]) == (6, 6, 3, 3)
    assert "4 of 6 rows matched" in row["reason"] and "1 rows of 'outcomes' matched no row" in row["reason"]
    assert "2 rows without a match kept with missing values" in row["reason"]
    assert row["examples"] == "P3, P4"
    assert res.exclusions.empty
    for k in tables:  # inputs not modified
        pd.testing.assert_frame_equal(tables[k], before[k])


def test_inner_join_into_new_table_drops_unmatched_into_exclusions():
    tables = _tables()
    res = _run(tables, [{"step": "join", "left": "persons", "right": "outcomes", "on": "person_id",
                         "columns": ["employed"], "how": "inner", "new_table": "analysis"}])
    assert res["persons"].shape == (6, 3)  # left kept as it was
    out = res["analysis"]
    assert out["person_id"].tolist() == ["P1", "P2", "C1", "C2"] and "wage" not in out.columns
    assert res.info["analysis"].arm == "stacked" and res.info["analysis"].treatment == "treated"
    last = _flow(res, 0).iloc[-1]
    assert (last["table"], last["rows_in"], last["rows_out"], last["treated_out"], last["control_out"]) == (
        "analysis", 6, 4, 2, 2)
    assert last["examples"] == "P3, P4"
    ex = res.exclusions
    assert ex["row_id"].tolist() == ["P3", "P4"] and ex["arm"].tolist() == ["treated", "control"]
    assert set(ex["table"]) == {"analysis"} and ex["reason"].str.contains("inner join").all()


def test_left_on_right_on_and_missing_keys_match_nothing():
    left = pd.DataFrame({"person_id": ["P1", None, "P3"], "x": [1, 2, 3]})
    right = pd.DataFrame({"pid": ["P1", None, "P3"], "y": [10, 20, 30]})
    res = prepare({"left": left, "right": right},
                  [{"step": "join", "left": "left", "right": "right", "left_on": "person_id", "right_on": "pid"}])
    out = res["left"]
    assert list(out.columns) == ["person_id", "x", "y"]
    assert out["y"].tolist()[0] == 10 and pd.isna(out["y"].iloc[1]) and out["y"].tolist()[2] == 30
    assert "2 of 3 rows matched" in res.flow.iloc[-1]["reason"]


def test_one_to_one_accepts_unique_keys():
    tables = _tables()
    res = _run(tables, [{"step": "join", "left": "persons", "right": "outcomes", "on": ["person_id"],
                         "cardinality": "one_to_one"}])
    assert len(res["persons"]) == 6


def _error(tables, step, **kw):
    with pytest.raises(PreparationError) as info:
        prepare(tables, [{"step": "join", **step}], **kw)
    return info.value


def test_duplicate_right_keys_under_many_to_one():
    tables = _tables()
    tables["outcomes"] = pd.concat([tables["outcomes"], tables["outcomes"].iloc[[0]]], ignore_index=True)
    err = _error(tables, {"left": "persons", "right": "outcomes", "on": "person_id"})
    msg = str(err)
    assert msg.startswith("steps[0] (join): 'on':") and "table 'outcomes'" in msg and "'P1'" in msg
    assert "many_to_one" in msg and err.column == "person_id" and list(err.rows) == ["P1", "P1"]


def test_duplicate_left_keys_under_one_to_one():
    tables = _tables()
    tables["persons"] = pd.concat([tables["persons"], tables["persons"].iloc[[1]]], ignore_index=True)
    with pytest.raises(PreparationError) as info:
        _run(tables, [{"step": "join", "left": "persons", "right": "outcomes", "on": "person_id",
                       "cardinality": "one_to_one"}])
    msg = str(info.value)
    assert msg.startswith("steps[0] (join):") and "table 'persons'" in msg and "'P2'" in msg and "one_to_one" in msg
    assert info.value.column == "person_id" and list(info.value.rows) == ["P2", "P2"]
    # the same table joins under many_to_one
    assert len(_run(tables, [{"step": "join", "left": "persons", "right": "outcomes", "on": "person_id"}])["persons"]) == 7


@pytest.mark.parametrize("step, table, column, words", [
    ({"on": "persn_id"}, "persons", "persn_id", "Did you mean 'person_id'?"),
    ({"left_on": "person_id", "right_on": "pid"}, "outcomes", "pid", "'right_on': column 'pid'"),
])
def test_key_column_missing(step, table, column, words):
    err = _error(_tables(), {"left": "persons", "right": "outcomes", **step})
    assert str(err).startswith("steps[0] (join):") and words in str(err) and f"table '{table}'" in str(err)
    assert err.column == column


def test_column_clash_is_an_error_not_a_suffix():
    tables = _tables()
    tables["outcomes"]["age"] = 30
    err = _error(tables, {"left": "persons", "right": "outcomes", "on": "person_id"})
    assert "'columns': table 'persons' already has column 'age' of 'outcomes'" in str(err)
    assert err.column == "age"
    ok = prepare(tables, [{"step": "join", "left": "persons", "right": "outcomes", "on": "person_id",
                           "columns": ["employed"]}])
    assert list(ok["persons"].columns) == ["person_id", "treated", "age", "employed"]


def test_unknown_table_with_suggestion():
    err = _error(_tables(), {"left": "persons", "right": "outcome", "on": "person_id"})
    assert str(err).startswith("steps[0] (join): 'right': no table 'outcome'") and "Did you mean 'outcomes'?" in str(err)


def test_keys_of_different_types_never_match_silently():
    tables = _tables()
    tables["outcomes"]["person_id"] = range(5)
    err = _error(tables, {"left": "persons", "right": "outcomes", "on": "person_id"})
    assert "holds text" in str(err) and "holds numbers" in str(err) and err.column == "person_id"
    assert list(err.rows) == [0, 1, 2, 3, 4]


def test_bad_options():
    for step, words in (({"on": "person_id", "how": "outer"}, "'how' must be one of"),
                        ({"on": "person_id", "cardinality": "many_to_many"}, "'cardinality' must be one of"),
                        ({}, "name the key"),
                        ({"on": "person_id", "left_on": "person_id"}, "not both"),
                        ({"on": "person_id", "new_table": "outcomes"}, "'new_table' must be the name of a new table")):
        err = _error(_tables(), {"left": "persons", "right": "outcomes", **step})
        assert words in str(err)


# -- through a YAML configuration -----------------------------------------------------------------
def _config(tmp_path, outcomes_rows):
    pd.DataFrame({"person_id": ["P1", "P2", "P3"], "age": [18, 19, 20]}).to_csv(tmp_path / "part.csv", index=False)
    pd.DataFrame({"person_id": ["C1", "C2", "C3"], "age": [21, 22, 23]}).to_csv(tmp_path / "comp.csv", index=False)
    pd.DataFrame(outcomes_rows, columns=["person_id", "employed"]).to_csv(tmp_path / "out.csv", index=False)
    cfg = {
        "version": 1,
        "project": {"output_dir": "out"},
        "data": {
            "sources": {"participants": {"path": "part.csv", "arm": "participants"},
                        "comparison": {"path": "comp.csv", "arm": "comparison"},
                        "outcomes": {"path": "out.csv"}},
            "prepare": [
                {"step": "stack", "participants": "participants", "comparison": "comparison", "new_table": "persons"},
                {"step": "join", "left": "persons", "right": "outcomes", "on": "person_id", "how": "inner"},
            ],
            "main": "persons",
        },
        "analyses": [{"name": "naive", "estimator": "difference_in_means", "outcome": "employed"}],
        "report": {"formats": []},
    }
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


def test_yaml_config_runs_the_join(tmp_path):
    rows = [["P1", 1], ["P2", 0], ["P3", 1], ["C1", 0], ["C2", 1], ["C3", 0], ["X1", 1]]
    report = validate(_config(tmp_path, rows))
    assert report["rows"] == 6
    flow = pd.DataFrame(report["preparation"])
    join_row = flow[flow["step"] == "data.prepare[1] join"].iloc[0]
    assert (join_row["treated_out"], join_row["control_out"]) == (3, 3)


def test_yaml_config_ambiguous_join_exits_2_naming_the_step(tmp_path, capsys):
    rows = [["P1", 1], ["P1", 0], ["P2", 1], ["C1", 0]]
    path = _config(tmp_path, rows)
    with pytest.raises(ConfigError) as info:
        validate(path)
    assert "data.prepare[1] (join)" in str(info.value) and "'P1'" in str(info.value)
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "data.prepare[1] (join)" in err and "table 'outcomes' (from" in err and "Traceback" not in err
