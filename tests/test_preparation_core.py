"""The preparation layer's core and cleaning/derivation steps: results, row accounting, bad inputs."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from iej_impact.preparation import STEPS, PreparationError, check_steps, prepare


@pytest.fixture
def participants() -> pd.DataFrame:
    return pd.DataFrame({
        "participation_id": ["A1", "A1", "B1", "B2", "C1", "D1"],
        "person_id": ["a", "a", "b", "b", "c", "d"],
        "operation_id": ["o1", "o1", "o1", "o1", "o2", "o2"],
        "entry_date": pd.to_datetime(["2015-01-05", "2015-01-05", "2015-02-01", "2015-06-01", "2015-03-01", "2015-04-01"]),
        "exit_date": pd.to_datetime(["2015-05-01", "2015-05-01", "2015-03-01", "2014-09-01", "2015-04-01", None]),
        "status_6m": ["EMP", "EMP", "UNEMP", "EMP", "EMP", None],
        "lm": ["Inactif", "Inactif", "Chômeur", "Chômeur", "Inactif", "Chômeur"],
        "birth": pd.to_datetime(["1995-06-01", "1995-06-01", "1997-01-05", "1997-01-05", "1990-03-01", "1999-12-31"]),
        "sexe": [1, 1, 2, 2, 1, 2],
    })


def test_cleaning_steps_and_flow(participants: pd.DataFrame) -> None:
    before = participants.copy()
    steps = [
        {"step": "drop_duplicates", "table": "p"},
        {"step": "repair_dates", "table": "p", "column": "exit_date", "when": "exit_date < entry_date", "add_years": 1},
        {"step": "merge_reentries", "table": "p", "results": ["status_6m"]},
    ]
    out = prepare({"p": participants}, steps, arms={"p": "participants"})
    pd.testing.assert_frame_equal(participants, before)  # inputs never modified
    p = out["p"]
    assert p["participation_id"].tolist() == ["A1", "B1", "C1", "D1"]
    b = p.set_index("person_id").loc["b"]
    # the repaired exit (2014-09-01 -> 2015-09-01) of the later spell is the merged record's exit; results from it
    assert b["exit_date"] == pd.Timestamp("2015-09-01") and b["status_6m"] == "EMP"
    assert b["entry_date"] == pd.Timestamp("2015-02-01")
    assert pd.isna(p.set_index("person_id").loc["d", "exit_date"])
    flow = out.flow
    assert flow["step"].tolist() == ["input", "steps[0] drop_duplicates", "steps[1] repair_dates", "steps[2] merge_reentries"]
    assert flow["rows_in"].tolist() == [6, 6, 5, 5] and flow["rows_out"].tolist() == [6, 5, 5, 4]
    assert flow["treated_out"].tolist() == [6, 5, 5, 4] and flow["control_out"].tolist() == [0, 0, 0, 0]
    assert flow.loc[2, "examples"] == "B2" and "1 rows" in flow.loc[2, "reason"]
    # every input row is kept or listed among the exclusions, with the step
    assert len(out.exclusions) + len(p) == len(participants)
    assert out.exclusions["row_id"].tolist() == ["A1", "B2"]
    assert out.exclusions["step"].tolist() == ["steps[0] drop_duplicates", "steps[2] merge_reentries"]


def test_derive_recode_age_bins_filter(participants: pd.DataFrame) -> None:
    steps = [
        {"step": "drop_duplicates", "table": "p"},
        {"step": "derive", "table": "p", "columns": {"inactive": "lm == 'Inactif'", "inactive2": "inactive & (sexe == 1)"}},
        {"step": "derive", "table": "p", "columns": {"late": "1"}, "when": "entry_date >= '2015-03-01'"},
        {"step": "recode", "table": "p", "column": "sexe", "map": {1: "M", 2: "F"}, "into": "sex"},
        {"step": "age_at", "table": "p", "birth": "birth", "date": "entry_date", "into": "age"},
        {"step": "bins", "table": "p", "column": "age", "edges": [14, 20, 26], "into": "band", "labels": ["14-19", "20-25"]},
        {"step": "filter", "table": "p", "where": ["age <= 25", "sex == 'F'"]},
    ]
    out = prepare({"p": participants}, steps)
    p = out["p"]
    assert p["person_id"].tolist() == ["b", "b", "d"]
    assert p["inactive"].tolist() == [False, False, False]
    assert p["age"].tolist() == [18, 18, 15]
    assert p["band"].astype(str).tolist() == ["14-19", "14-19", "14-19"]
    full = prepare({"p": participants}, steps[:6])["p"]
    assert full["age"].tolist() == [19, 18, 18, 25, 15]  # c turns 25 on the entry day
    assert full["band"].astype(str).tolist() == ["14-19", "14-19", "14-19", "20-25", "14-19"]
    assert full["inactive2"].tolist() == [True, False, False, True, False]
    late = full.set_index("participation_id")["late"]
    assert late.loc[["C1", "D1", "B2"]].tolist() == [1, 1, 1] and late.loc[["A1", "B1"]].isna().all()
    assert (out.flow["rows_in"] - out.flow["rows_out"]).sum() == len(out.exclusions)


def test_age_at_birthday_rule() -> None:
    f = pd.DataFrame({"birth": pd.to_datetime(["2000-03-01", "2000-03-01", "2000-02-29", None]),
                      "d": pd.to_datetime(["2018-02-28", "2018-03-01", "2018-02-28", "2018-01-01"])})
    out = prepare({"t": f}, [{"step": "age_at", "table": "t", "birth": "birth", "date": "d", "into": "age"}])["t"]
    assert out["age"].tolist()[:3] == [17, 18, 17] and pd.isna(out["age"].iloc[3])


def test_filter_per_arm_counts() -> None:
    f = pd.DataFrame({"person_id": list("abcdef"), "treated": [1, 1, 1, 0, 0, 0], "age": [15, 20, 30, 15, 20, 30]})
    out = prepare({"s": f}, [{"step": "filter", "table": "s", "where": "age >= 16", "arm": "comparison"}],
                  arms={"s": "stacked"}, treatment={"s": "treated"})
    assert out["s"]["person_id"].tolist() == ["a", "b", "c", "e", "f"]
    row = out.flow.iloc[-1]
    assert (row["treated_out"], row["control_out"], row["examples"]) == (3, 2, "d")
    assert out.exclusions["arm"].tolist() == ["control"]


@pytest.mark.parametrize(("steps", "needle"), [
    ([{"step": "dedupe", "table": "p"}], "unknown step 'dedupe'"),
    ([{"step": "derive", "table": "p", "colums": {}}], "Did you mean 'columns'"),
    ([{"step": "recode", "table": "p", "column": "sexe"}], "needs 'map'"),
    ([{"table": "p"}], "'step' key"),
    ([{"step": "drop_duplicates", "table": "q"}], "no table 'q'"),
    ([{"step": "drop_duplicates", "table": "p", "columns": ["person", "operation_id"]}], "column 'person' is not in table 'p'"),
    ([{"step": "recode", "table": "p", "column": "sexe", "map": {"1": "M", "2": "F"}}],
     "1 (int, 3 rows), 2 (int, 3 rows); the map's keys are '1' (str), '2' (str) (e.g. rows A1, A1, B1"),
    ([{"step": "derive", "table": "p", "columns": {"lm": "1"}}], "column 'lm' already exists"),
    ([{"step": "derive", "table": "p", "columns": {"x": "__import__('os')"}}], "not allowed"),
    ([{"step": "derive", "table": "p", "columns": {"x": "agee > 1"}}], "agee"),
    ([{"step": "filter", "table": "p", "where": "sexe == 3"}], "removes every row"),
    ([{"step": "repair_dates", "table": "p", "column": "lm", "when": "sexe == 1", "add_years": 1}], "not dates"),
    ([{"step": "repair_dates", "table": "p", "column": "exit_date", "when": "sexe == 1"}], "give the shift"),
    ([{"step": "bins", "table": "p", "column": "sexe", "edges": [5, 9], "into": "b"}], "outside the edges"),
    ([{"step": "age_at", "table": "p", "birth": "entry_date", "date": "birth", "into": "a"}], "before 'entry_date'"),
    ([{"step": "filter", "table": "p", "where": "sexe == 1", "arm": "comparison"}], "arm is known"),
])
def test_bad_steps_name_step_table_and_rows(participants: pd.DataFrame, steps: list, needle: str) -> None:
    with pytest.raises(PreparationError) as err:
        prepare({"p": participants}, steps)
    msg = str(err.value)
    assert msg.startswith("steps[0] (")
    assert needle in msg


def test_errors_show_example_rows(participants: pd.DataFrame) -> None:
    with pytest.raises(PreparationError) as err:
        prepare({"p": participants}, [{"step": "recode", "table": "p", "column": "sexe", "map": {1: "M"}}],
                origins={"p": "raw/mdfse.csv"})
    assert list(err.value.rows) == ["B1", "B2", "D1"]
    assert "(table 'p' (from raw/mdfse.csv))" in str(err.value) and err.value.column == "sexe"


def test_check_steps_before_any_data(participants: pd.DataFrame) -> None:
    # a typo in the last step fails before the first step runs
    with pytest.raises(PreparationError, match=r"^steps\[1\] \(filter\)"):
        prepare({"p": participants}, [{"step": "drop_duplicates", "table": "p"}, {"step": "filter", "table": "p", "whre": "x"}])
    assert set(STEPS) >= {"drop_duplicates", "merge_reentries", "filter", "repair_dates", "derive", "recode", "age_at", "bins"}
    assert check_steps([]) == []
    with pytest.raises(Exception, match="list of steps"):
        check_steps("drop_duplicates")


def _write_sources(tmp_path) -> None:
    (tmp_path / "part.csv").write_bytes(
        "Identifiant;Date d'entrée;Sexe;age\nP1;01/02/2015;1;19\nP1;01/02/2015;1;19\nP2;03/03/2015;2;22\n"
        "P3;04/03/2015;2;17\n".encode("cp1252"))
    (tmp_path / "comp.txt").write_text("\ufeffid\tdate_contact\tsexe\tage\nC1\t2015-02-01\tH\t20\nC2\t2015-03-01\tF\t21\n",
                                       encoding="utf-8")


CONFIG = """
project: {{name: prep, output_dir: out}}
data:
  sources:
    participants:
      path: part.csv
      sep: ";"
      encoding: cp1252
      columns: {{Identifiant: person_id, "Date d'entrée": entry_date, Sexe: sexe}}
      parse: {{entry_date: "date:%d/%m/%Y"}}
      arm: participants
    comparison:
      path: comp.txt
      format: csv
      sep: "\\t"
      columns: {{id: person_id, date_contact: entry_date}}
      parse: {{entry_date: date}}
      arm: comparison
  prepare:
    - {{step: drop_duplicates, table: participants}}
    - {{step: recode, table: participants, column: sexe, map: {{{codes}}}, into: sex}}
    - {{step: filter, table: participants, where: "age >= 18"}}
  main: participants
analyses:
  - {{name: flow, estimator: balance_table, treatment: t, covariates: [age]}}
report: {{formats: []}}
"""


def test_config_sources_and_steps_validate(tmp_path) -> None:
    from iej_impact.config import load_config
    from iej_impact.runner import load_run_data

    _write_sources(tmp_path)
    (tmp_path / "cfg.yaml").write_text(CONFIG.format(codes="1: M, 2: F"), encoding="utf-8")
    rd = load_run_data(load_config(tmp_path / "cfg.yaml"))
    assert rd.frame["person_id"].tolist() == ["P1", "P2"] and rd.frame["sex"].tolist() == ["M", "F"]
    assert rd.extra["comparison"]["person_id"].tolist() == ["C1", "C2"]  # BOM handled
    flow = rd.preparation.flow
    assert flow.loc[flow["table"] == "participants", "rows_out"].tolist() == [4, 3, 3, 2]
    assert [i["role"] for i in rd.inputs] == ["source:participants", "source:comparison"]


def test_config_step_error_is_exit_2_at_the_yaml_location(tmp_path) -> None:
    _write_sources(tmp_path)
    (tmp_path / "cfg.yaml").write_text(CONFIG.format(codes="'1': M, '2': F"), encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "iej_impact.cli", "validate", str(tmp_path / "cfg.yaml")],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "data.prepare[1] (recode)" in proc.stderr and "1 (int, 1 rows)" in proc.stderr and "parse: {column: text}" in proc.stderr and "part.csv" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(("edit", "location"), [
    (lambda c: c.replace("  main: participants\n", "  main: persons\n"), "data.main"),
    (lambda c: c.replace("arm: comparison", "arm: control"), "data.sources.comparison.arm"),
    (lambda c: c.replace("step: filter", "step: filtre"), "data.prepare[2] (filtre)"),
    (lambda c: c.replace("      arm: participants\n", "      arm: participants\n      decimal: ','\n"),
     "data.sources.participants.decimal"),
    (lambda c: c.replace("  main: participants\n", "  main: participants\n  sep: ';'\n"), "data.sep"),
])
def test_config_shape_errors(tmp_path, edit, location) -> None:
    from iej_impact.config import load_config
    from iej_impact.errors import ConfigError

    _write_sources(tmp_path)
    (tmp_path / "cfg.yaml").write_text(edit(CONFIG.format(codes="1: M, 2: F")), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path / "cfg.yaml")
    assert err.value.location == location


def test_prepare_is_deterministic(participants: pd.DataFrame) -> None:
    steps = [{"step": "drop_duplicates", "table": "p"}, {"step": "merge_reentries", "table": "p"}]
    a, b = prepare({"p": participants}, steps), prepare({"p": participants.copy()}, steps)
    pd.testing.assert_frame_equal(a["p"], b["p"])
    pd.testing.assert_frame_equal(a.flow, b.flow)
    assert np.array_equal(a.exclusions.to_numpy(), b.exclusions.to_numpy())


def test_run_with_sources_writes_the_preparation_flow(tmp_path) -> None:
    import json

    from iej_impact.runner import run

    rng = np.random.default_rng(3)
    n = 400
    x = rng.normal(size=n)
    t = (rng.random(n) < 1 / (1 + np.exp(-x))).astype(int)
    y = 0.5 * t + x + rng.normal(size=n)
    frame = pd.DataFrame({"id": [f"U{i}" for i in range(n)], "t": t, "x": x, "y": y, "age": rng.integers(14, 30, n)})
    pd.concat([frame, frame.iloc[:7]]).to_csv(tmp_path / "units.csv", index=False)
    (tmp_path / "cfg.yaml").write_text("""
project: {name: prep run, output_dir: out, seed: 1}
data:
  sources:
    units: {path: units.csv, arm: stacked, treatment: t, id: id}
  prepare:
    - {step: drop_duplicates, table: units}
    - {step: filter, table: units, where: "age >= 16", arm: comparison}
analyses:
  - {name: aipw, estimator: doubly_robust, outcome: y, treatment: t, covariates: [x]}
report: {title: t, language: fr}
""", encoding="utf-8")
    res = run(tmp_path / "cfg.yaml")
    out = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    flow = out["preparation_flow"]
    assert [r["rows_out"] for r in flow] == [n + 7, n, n - int(((frame.age < 16) & (frame.t == 0)).sum())]
    assert flow[1]["examples"].startswith("U0")
    assert out["sample_flow"][0]["rows_in"] == flow[-1]["rows_out"]  # the sample starts where the preparation ends
    excl = pd.read_csv(tmp_path / "out" / "tables" / "preparation_exclusions.csv")
    assert len(excl) == flow[0]["rows_out"] - flow[-1]["rows_out"]
    assert set(excl["arm"]) == {"treated", "control"}  # duplicates of both arms; filter on the comparison only
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "Préparation des données" in html and "data.prepare[1] filter" in html
    assert res.results["aipw"].n_treated == int(frame.t.sum())
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["inputs"][0]["role"] == "source:units" and manifest["rows_removed_in_preparation"] == len(excl)


def test_a_stacked_source_needs_a_01_treatment_column() -> None:
    from iej_impact.errors import DataError

    f = pd.DataFrame({"id": ["a", "b", "c"], "t": [1, 0, 2]})
    with pytest.raises(DataError, match=r"'t' of table 's' must hold 1 .* 1 rows hold 2 \(e.g. row 2\)"):
        prepare({"s": f}, [], arms={"s": "stacked"}, treatment={"s": "t"})
    with pytest.raises(DataError, match="no treatment column 'treated'"):
        prepare({"s": f}, [], arms={"s": "stacked"}, treatment={"s": "treated"})


def test_keep_first_and_fill_missing() -> None:
    f = pd.DataFrame({"person_id": ["a", "a", "b", "c", "c"],
                      "entry_date": pd.to_datetime(["2015-03-01", "2015-01-01", "2015-02-01", None, "2015-01-01"]),
                      "months": [1.0, None, None, 3.0, None], "status": ["U", "I", "U", "U", "I"]})
    out = prepare({"t": f}, [
        {"step": "fill_missing", "table": "t", "columns": {"months": 0}, "when": "status == 'I'"},
        {"step": "keep_first", "table": "t", "by": "person_id", "order": "entry_date"},
    ])
    t = out["t"]
    assert t["person_id"].tolist() == ["a", "b", "c"]  # file order kept
    assert t["entry_date"].tolist() == list(pd.to_datetime(["2015-01-01", "2015-02-01", "2015-01-01"]))
    assert t["months"].tolist()[0] == 0 and np.isnan(t["months"].tolist()[1])  # only the inactive filled: NA != 0
    assert "months: 2 cells -> 0" in out.flow.loc[1, "reason"]
    assert sorted(out.exclusions["row_id"]) == ["a", "c"]
    latest = prepare({"t": f}, [{"step": "keep_first", "table": "t", "by": "person_id", "order": "entry_date",
                                 "descending": True}])["t"]
    assert latest["entry_date"].tolist()[0] == pd.Timestamp("2015-03-01")
    with pytest.raises(PreparationError, match=r"'zero' \(str\) does not suit it"):
        prepare({"t": f}, [{"step": "fill_missing", "table": "t", "columns": {"months": "zero"}}])


def test_join_keeps_column_types_and_explains_a_bare_on() -> None:
    left = pd.DataFrame({"k": [1, 2, 3]})
    right = pd.DataFrame({"k": [1, 2], "b": [True, False], "i": np.array([1, 2], dtype="int8")})
    step = {"step": "join", "left": "l", "right": "r", "on": "k"}
    kept = prepare({"l": left, "r": right}, [{**step, "how": "left"}])["l"]
    assert str(kept["b"].dtype) == "boolean" and str(kept["i"].dtype) == "Int8" and kept["b"].isna().tolist() == [
        False, False, True]
    inner = prepare({"l": left, "r": right}, [{**step, "how": "inner"}])["l"]
    assert inner["b"].dtype == bool and inner["i"].dtype == np.int8
    with pytest.raises(PreparationError, match=r'bare .on:. key as true; write the key in quotes: "on"'):
        prepare({"l": left, "r": right}, [{"step": "join", "left": "l", "right": "r", True: "k"}])
