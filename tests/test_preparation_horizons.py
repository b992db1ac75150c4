"""The panel steps of the preparation: period, event_time, horizons.

Results are checked against a slow, explicit computation (a Python loop over persons and event
times on a dictionary of the panel) on small random panels with holes (periods without a row) and
missing values, for several seeds, both frequencies and both ``missing`` rules; then the first
treatment period, the refusals, and one run through a YAML configuration.
"""

from __future__ import annotations

import math
import re
import textwrap

import numpy as np
import pandas as pd
import pytest

from iej_impact.preparation import PreparationError, prepare

STATS = ("any", "all", "share", "sum", "mean")
SPECS = {
    "at_m1": {"value": "employed", "at": -1},
    "at_0": {"value": "employed", "at": 0},
    "at_2": {"value": "employed", "at": 2},
    "earn_at_1": {"value": "earnings", "at": 1},
    **{f"{s}_post": {"value": "employed", "window": [1, 4], "stat": s} for s in STATS},
    **{f"{s}_pre": {"value": "employed", "window": [-4, -1], "stat": s} for s in STATS},
    "earn_sum_pre": {"value": "earnings", "window": [-4, -1], "stat": "sum"},
    "earn_mean_post": {"value": "earnings", "window": [0, 2], "stat": "mean"},
    "one_period": {"value": "employed", "window": [3, 3], "stat": "share"},
}


def _random_panel(seed: int, frequency: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Persons (some without a reference, some absent from the panel) and a panel with holes and NAs."""
    rng = np.random.default_rng(seed)
    per = 4 if frequency == "quarter" else 12
    start = per * 2012
    n = 40
    persons = pd.DataFrame({
        "person_id": [f"P{i:03d}" for i in range(n)],
        "treated": rng.integers(0, 2, n),
        "ref": pd.array(start + rng.integers(3, 9, n), dtype="Int64"),
    })
    persons.loc[rng.random(n) < 0.1, "ref"] = pd.NA
    ids = [f"P{i:03d}" for i in range(n - 4)] + ["X1", "X2"]  # 4 persons absent, 2 panel units not in persons
    rows = [(u, start + t) for u in ids for t in range(14) if rng.random() > 0.2]  # holes
    panel = pd.DataFrame(rows, columns=["person_id", "period"])
    panel = panel.sample(frac=1.0, random_state=seed).reset_index(drop=True)  # any row order
    m = len(panel)
    panel["employed"] = pd.array(rng.integers(0, 2, m), dtype="Int64")
    panel.loc[rng.random(m) < 0.1, "employed"] = pd.NA
    panel["earnings"] = np.where(panel["employed"].fillna(0).to_numpy() == 1, rng.gamma(2.0, 700.0, m).round(2), 0.0)
    panel.loc[rng.random(m) < 0.1, "earnings"] = np.nan
    return persons, panel


def _slow(persons: pd.DataFrame, panel: pd.DataFrame, spec: dict, missing: str) -> list[float]:
    """The explicit computation: for each person, look up every period of the window one by one."""
    cells = {(u, int(t)): v for u, t, v in zip(panel["person_id"], panel["period"], panel[spec["value"]], strict=True)}
    first, last = (spec["at"], spec["at"]) if "at" in spec else spec["window"]
    out = []
    for u, ref in zip(persons["person_id"], persons["ref"], strict=True):
        if pd.isna(ref):
            out.append(math.nan)
            continue
        seen, complete = [], True
        for e in range(first, last + 1):
            key = (u, int(ref) + e)
            if key not in cells or pd.isna(cells[key]):
                complete = False
            else:
                seen.append(float(cells[key]))
        if not seen or (missing == "strict" and not complete):
            out.append(math.nan)
            continue
        stat = spec.get("stat")
        if stat is None:
            out.append(seen[0])
        elif stat == "any":
            out.append(float(any(v == 1 for v in seen)))
        elif stat == "all":
            out.append(float(all(v == 1 for v in seen)))
        elif stat in ("share", "mean"):
            out.append(sum(seen) / len(seen))
        else:
            out.append(sum(seen))
    return out


def _horizons_step(columns: dict, missing: str = "strict", **extra) -> dict:
    return {"step": "horizons", "panel": "panel", "table": "persons", "unit": "person_id", "time": "period",
            "reference": "ref", "columns": columns, "missing": missing, **extra}


def _run(persons, panel, steps):
    return prepare({"persons": persons, "panel": panel}, steps, arms={"persons": "stacked"},
                   treatment={"persons": "treated"})


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("frequency", ["quarter", "month"])
@pytest.mark.parametrize("missing", ["strict", "observed"])
def test_horizons_equal_the_explicit_loop(seed, frequency, missing):
    persons, panel = _random_panel(seed, frequency)
    persons_before, panel_before = persons.copy(), panel.copy()
    out = _run(persons, panel, [_horizons_step(SPECS, missing)])["persons"]
    pd.testing.assert_frame_equal(persons, persons_before)  # inputs untouched
    pd.testing.assert_frame_equal(panel, panel_before)
    assert list(out["person_id"]) == list(persons["person_id"])  # rows and order kept
    for name, spec in SPECS.items():
        got = out[name].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        want = np.array(_slow(persons, panel, spec, missing))
        np.testing.assert_allclose(got, want, rtol=1e-12, equal_nan=True, err_msg=f"{name} ({missing}, seed {seed})")
    # the random panels exercise every case: values, NA from holes, NA from missing references
    assert out["share_post"].notna().any() and out["share_post"].isna().any()


def test_strict_is_never_more_complete_than_observed_and_agrees_where_complete():
    persons, panel = _random_panel(5, "quarter")
    strict = _run(persons, panel, [_horizons_step(SPECS, "strict")])["persons"]
    observed = _run(persons, panel, [_horizons_step(SPECS, "observed")])["persons"]
    for name in SPECS:
        s, o = strict[name].astype("Float64"), observed[name].astype("Float64")
        assert not (s.notna() & o.isna()).any()
        both = s.notna().to_numpy()
        np.testing.assert_allclose(s[both].to_numpy(dtype=float), o[both].to_numpy(dtype=float))


def test_missing_is_not_zero():
    persons = pd.DataFrame({"person_id": [1, 2, 3], "treated": [1, 1, 0], "ref": [8050, 8050, 8050]})
    panel = pd.DataFrame({"person_id": [1, 1, 2, 2, 3], "period": [8051, 8052, 8051, 8052, 8051],
                          "employed": pd.array([0, 0, 0, None, 0], dtype="Int64")})
    cols = {"emp": {"value": "employed", "window": [1, 2], "stat": "sum"},
            "any": {"value": "employed", "window": [1, 2], "stat": "any"},
            "at2": {"value": "employed", "at": 2}}
    strict = _run(persons, panel, [_horizons_step(cols)])["persons"]
    assert strict["emp"].tolist()[0] == 0 and strict["emp"].isna().tolist() == [False, True, True]
    assert strict["any"].isna().tolist() == [False, True, True] and strict["any"][0] == 0
    assert strict["at2"].isna().tolist() == [False, True, True]  # person 2: NA value; person 3: no row
    observed = _run(persons, panel, [_horizons_step(cols, "observed")])["persons"]
    assert observed["emp"].tolist() == [0, 0, 0]
    assert observed["at2"].isna().tolist() == [False, True, True]


def test_result_types_follow_the_value_column():
    persons, panel = _random_panel(3, "quarter")
    panel["employed_flag"] = panel["employed"].astype("boolean")
    cols = {"a": {"value": "employed", "at": 1}, "b": {"value": "earnings", "at": 1},
            "c": {"value": "employed_flag", "at": 1}, "d": {"value": "employed", "window": [1, 2], "stat": "any"},
            "e": {"value": "employed", "window": [1, 2], "stat": "sum"}, "f": {"value": "employed_flag",
                                                                           "window": [1, 2], "stat": "share"}}
    out = _run(persons, panel, [_horizons_step(cols)])["persons"]
    assert {c: str(out[c].dtype) for c in cols} == {"a": "Int64", "b": "float64", "c": "boolean", "d": "Int64",
                                                   "e": "Int64", "f": "float64"}


@pytest.mark.parametrize("seed", [0, 1])
def test_event_time_equals_the_explicit_difference(seed):
    persons, panel = _random_panel(seed, "month")
    panel = panel[panel["person_id"].isin(persons["person_id"])].reset_index(drop=True)
    result = _run(persons, panel, [{"step": "event_time", "panel": "panel", "persons": "persons",
                                    "unit": "person_id", "time": "period", "reference": "ref"}])
    refs = dict(zip(persons["person_id"], persons["ref"], strict=True))
    want = [math.nan if pd.isna(refs[u]) else t - refs[u] for u, t in zip(panel["person_id"], panel["period"],
                                                                         strict=True)]
    got = result["panel"]["event_time"]
    assert str(got.dtype) == "Int64"
    np.testing.assert_array_equal(got.to_numpy(dtype=float, na_value=np.nan), np.array(want, dtype=float))
    no_ref = persons.loc[persons["ref"].isna() & persons["person_id"].isin(panel["person_id"]), "person_id"]
    reason = result.flow["reason"].iloc[-1]
    assert f"missing for {len(no_ref)} unit" in reason and "whose ref is missing" in reason


def _stacked_persons() -> pd.DataFrame:
    return pd.DataFrame({
        "person_id": ["A", "B", "C", "D", "E"],
        "treated": [1, 1, 1, 0, 0],
        "entry_date": pd.to_datetime(["2012-02-15", "2013-12-31", None, None, None]),
        "reference_date": pd.to_datetime(["2012-02-15", "2013-12-31", None, "2012-07-01", "2014-01-02"]),
    })


@pytest.mark.parametrize("frequency", ["quarter", "month"])
def test_first_treat_from_entry_dates_for_participants_only(frequency):
    persons = _stacked_persons()
    steps = [{"step": "period", "table": "persons", "column": "reference_date", "frequency": frequency, "into": "ref"},
             {"step": "period", "table": "persons", "column": "reference_date", "frequency": frequency,
              "into": "first_treat", "arm": "participants"}]
    result = prepare({"persons": persons}, steps, arms={"persons": "stacked"}, treatment={"persons": "treated"})
    out = result["persons"]

    def index(d):
        if pd.isna(d):
            return None
        return 4 * d.year + (d.month - 1) // 3 if frequency == "quarter" else 12 * d.year + d.month - 1

    assert out["ref"].astype(object).where(out["ref"].notna(), None).tolist() == [index(d) for d in
                                                                                persons["reference_date"]]
    assert out["first_treat"].astype(object).where(out["first_treat"].notna(), None).tolist() == [
        index(persons["reference_date"][0]), index(persons["reference_date"][1]), None, None, None]
    assert str(out["first_treat"].dtype) == "Int64"
    if frequency == "quarter":
        assert out["first_treat"].tolist()[:2] == [8048, 8055]  # 2012T1, 2013T4
    reason = result.flow["reason"].iloc[-1]
    assert "participants (3 rows; the other 2 rows missing: never treated)" in reason
    assert "missing in 1 row where reference_date is missing" in reason and result.flow["examples"].iloc[-1] == "C"


def test_period_reads_text_periods_and_checks_indexes():
    frame = pd.DataFrame({"person_id": [1, 2, 3], "q_text": ["2012T1", "2013-Q4", None], "q_index": [8048, 8055, None],
                          "m_index": [24146, 24147, 24148], "yyyymm": [201203, 201204, 201205]})
    out = prepare({"t": frame}, [
        {"step": "period", "table": "t", "column": "q_text", "frequency": "quarter", "into": "a"},
        {"step": "period", "table": "t", "column": "q_index", "frequency": "quarter", "into": "q_index"},
    ])["t"]
    assert out["a"].tolist()[:2] == [8048, 8055] and out["a"].isna().tolist() == [False, False, True]
    assert str(out["q_index"].dtype) == "Int64" and out["q_index"].tolist()[:2] == [8048, 8055]
    with pytest.raises(PreparationError, match=r"look like month indexes: choose frequency: month"):
        prepare({"t": frame}, [{"step": "period", "table": "t", "column": "m_index", "frequency": "quarter",
                                "into": "x"}])
    with pytest.raises(PreparationError, match=r"201203 are calendar codes.*period:month") as info:
        prepare({"t": frame}, [{"step": "period", "table": "t", "column": "yyyymm", "frequency": "month", "into": "x"}])
    assert list(info.value.rows) == [1, 2, 3] and str(info.value).startswith("steps[0] (period): ")
    with pytest.raises(PreparationError, match=r"'column': .*'2012T5'"):
        prepare({"t": frame.assign(q_text=["2012T5", "2012T1", None])},
                [{"step": "period", "table": "t", "column": "q_text", "frequency": "quarter", "into": "x"}])


@pytest.mark.parametrize(("options", "message"), [
    ({"frequency": "year"}, r"'frequency' must be one of \['quarter', 'month'\]"),
    ({"into": "treated"}, r"'into': column 'treated' already exists"),
    ({"arm": "treated"}, r"'arm' must be one of \['participants', 'comparison'\]"),
])
def test_period_refuses_bad_options(options, message):
    step = {"step": "period", "table": "persons", "column": "entry_date", "frequency": "quarter", "into": "ft", **options}
    with pytest.raises(PreparationError, match=message):
        prepare({"persons": _stacked_persons()}, [step], arms={"persons": "stacked"}, treatment={"persons": "treated"})


def test_period_with_an_arm_needs_a_table_with_arms():
    with pytest.raises(PreparationError, match=r"'arm: participants' needs a table whose arm is known"):
        prepare({"persons": _stacked_persons()}, [{"step": "period", "table": "persons", "column": "entry_date",
                                                   "frequency": "quarter", "into": "ft", "arm": "participants"}])


def test_missing_references_and_absent_units_give_na_and_are_counted():
    persons, panel = _random_panel(0, "quarter")
    result = _run(persons, panel, [_horizons_step({"e2": {"value": "employed", "at": 2}})])
    out = result["persons"]
    no_ref = persons["ref"].isna()
    absent = ~persons["person_id"].isin(panel["person_id"]) & ~no_ref
    assert out.loc[no_ref | absent, "e2"].isna().all()
    reason = result.flow["reason"].iloc[-1]
    assert f"{int(no_ref.sum())} units whose ref is missing: missing" in reason
    assert f"{int(absent.sum())} units absent from panel 'panel': missing" in reason
    assert "2 panel units not in 'persons' ignored" in reason
    shown = result.flow["examples"].iloc[-1].split(", ")
    assert shown and set(shown) <= set(persons.loc[no_ref | absent, "person_id"])


def _bad(persons, panel, step):
    with pytest.raises(PreparationError) as info:
        _run(persons, panel, [step])
    return info.value


def test_duplicate_panel_rows_are_refused_with_examples():
    persons, panel = _random_panel(0, "quarter")
    panel = pd.concat([panel, panel.iloc[[3]]], ignore_index=True)
    u, t = panel.iloc[3]["person_id"], panel.iloc[3]["period"]
    for step in (_horizons_step({"e2": {"value": "employed", "at": 2}}),
                 {"step": "event_time", "panel": "panel", "persons": "persons", "unit": "person_id", "time": "period",
                  "reference": "ref"}):
        err = _bad(persons, panel, step)
        msg = str(err)
        assert msg.startswith(f"steps[0] ({step['step']}): table 'panel' has 2 rows sharing 'person_id' and 'period'")
        assert f"(1 unit-period pair, e.g. (person_id '{u}', period {t}))" in msg and err.column == "period"
        assert list(err.rows) == [u]  # the panel's rows are named by person_id


def test_duplicate_persons_are_refused():
    persons, panel = _random_panel(0, "quarter")
    persons = pd.concat([persons, persons.iloc[[5]]], ignore_index=True)
    err = _bad(persons, panel, _horizons_step({"e2": {"value": "employed", "at": 2}}))
    assert "table 'persons' has 2 rows sharing 'person_id'" in str(err) and list(err.rows) == ["P005"]


@pytest.mark.parametrize(("change", "column", "message"), [
    (lambda p: p.assign(period=pd.to_datetime("2012-01-01") + pd.to_timedelta(p["period"] - 8048, unit="D")),
     "period", r"'time': column 'period' of table 'panel' holds dates, not period indexes; convert it with the period "
               r"step .*parse: \{period: \"period:quarter\"\}"),
    (lambda p: p.assign(period=[f"{t // 4}T{t % 4 + 1}" for t in p["period"]]),
     "period", r"'time': column 'period' of table 'panel' holds \w+ values \('20\d\dT\d', .*parse: \{period: "
               r"\"period:quarter\"\}.*\{step: period, table: panel, column: period"),
    (lambda p: p.assign(period=p["period"] + 0.5),
     "period", r"'time': column 'period' of table 'panel' holds \d+ values that are not whole numbers"),
])
def test_non_integer_periods_are_refused(change, column, message):
    persons, panel = _random_panel(0, "quarter")
    err = _bad(persons, change(panel), _horizons_step({"e2": {"value": "employed", "at": 2}}))
    assert err.column == column and len(err.rows) == 5  # example rows of the panel (by person_id)
    assert str(err).startswith("steps[0] (horizons): ")
    assert re.search(message, str(err)), str(err)


def test_a_text_reference_is_refused():
    persons, panel = _random_panel(0, "quarter")
    persons["ref"] = persons["ref"].map(lambda t: None if pd.isna(t) else f"{t // 4}T{t % 4 + 1}")
    err = _bad(persons, panel, _horizons_step({"e2": {"value": "employed", "at": 2}}))
    assert "'reference': column 'ref' of table 'persons'" in str(err) and "period:quarter" in str(err)


def test_quarters_against_months_are_refused():
    persons, panel = _random_panel(0, "quarter")
    persons["ref"] = persons["ref"] * 3
    err = _bad(persons, panel, _horizons_step({"e2": {"value": "employed", "at": 2}}))
    assert "counts months" in str(err) and "counts quarters" in str(err) and err.column == "ref"


def test_event_time_refuses_panel_units_absent_from_persons():
    persons, panel = _random_panel(0, "quarter")
    err = _bad(persons, panel, {"step": "event_time", "panel": "panel", "persons": "persons", "unit": "person_id",
                                "time": "period", "reference": "ref"})
    assert "2 units of the panel" in str(err) and "are not in table 'persons'" in str(err)
    assert sorted(err.rows) == ["X1", "X2"] and "join with how: inner" in str(err)


def test_event_time_names_a_unit_type_mismatch():
    persons = pd.DataFrame({"person_id": ["1", "2"], "treated": [1, 0], "ref": [8050, 8050]})
    panel = pd.DataFrame({"person_id": [1, 2], "period": [8050, 8051]})
    err = _bad(persons, panel, {"step": "event_time", "panel": "panel", "persons": "persons", "unit": "person_id",
                                "time": "period", "reference": "ref"})
    assert "holds int64 values in 'panel'" in str(err) and "1 and '1' differ" in str(err)


def test_stats_on_non_binary_values_are_refused():
    persons, panel = _random_panel(0, "quarter")
    err = _bad(persons, panel, _horizons_step({"x": {"value": "earnings", "window": [1, 4], "stat": "share"}}))
    assert "stat share needs a 0/1 value, but 'earnings'" in str(err) and err.column == "earnings"
    assert err.rows and "person_id 'P" in str(err) and "{step: derive, table: panel, columns:" in str(err)


@pytest.mark.parametrize(("columns", "message"), [
    ({"x": {"value": "employed", "at": 1, "window": [1, 2], "stat": "any"}}, r"give either 'at'"),
    ({"x": {"value": "employed"}}, r"give either 'at'"),
    ({"x": {"value": "employed", "window": [4, 1], "stat": "any"}}, r"'columns.x.window' must be \[first, last\]"),
    ({"x": {"value": "employed", "window": [1, 2], "stat": "median"}}, r"'columns.x.stat' must be one of"),
    ({"x": {"value": "employed", "window": [1, 2]}}, r"'columns.x.stat' must be one of"),
    ({"x": {"value": "employed", "at": 1.5}}, r"'columns.x.at' must be a whole number"),
    ({"x": {"value": "employed", "at": 1, "stat": "sum"}}, r"'columns.x.at' must be a whole number .*without 'stat'"),
    ({"x": {"value": "employed", "at": 1, "sat": 1}}, r"unknown key 'sat'.*Did you mean 'stat'"),
    ({"treated": {"value": "employed", "at": 1}}, r"column 'treated' already exists in table 'persons'"),
    ({"x": {"value": "employd", "at": 1}}, r"column 'employd' is not in table 'panel'.*Did you mean 'employed'"),
    ({}, r"'columns' must be a mapping"),
])
def test_horizon_specifications_are_checked(columns, message):
    persons, panel = _random_panel(0, "quarter")
    with pytest.raises(PreparationError, match=message):
        _run(persons, panel, [_horizons_step(columns)])


def test_missing_option_value_is_checked():
    persons, panel = _random_panel(0, "quarter")
    with pytest.raises(PreparationError, match=r"'missing' must be one of \['strict', 'observed'\]"):
        _run(persons, panel, [_horizons_step({"e": {"value": "employed", "at": 1}}, "observd")])


def test_yaml_config_with_a_quarterly_panel_csv(tmp_path):
    from iej_impact.config import load_config
    from iej_impact.runner import load_run_data, validate

    rng = np.random.default_rng(7)
    ids = [f"P{i}" for i in range(60)]
    treated = [1 if i < 30 else 0 for i in range(60)]
    entries = [f"2013-0{1 + i % 6}-15" for i in range(60)]
    pd.DataFrame({"person_id": ids, "treated": treated, "reference_date": entries}).to_csv(
        tmp_path / "persons.csv", index=False)
    rows = [(u, f"{y}T{q}", int(rng.integers(0, 2))) for u in ids for y in (2012, 2013, 2014) for q in (1, 2, 3, 4)]
    pd.DataFrame(rows, columns=["person_id", "quarter", "employed"]).to_csv(tmp_path / "panel.csv", index=False)
    (tmp_path / "run.yaml").write_text(textwrap.dedent("""
        project: {name: horizons}
        data:
          sources:
            persons: {path: persons.csv, arm: stacked, treatment: treated, parse: {reference_date: date}}
            panel: {path: panel.csv, parse: {quarter: "period:quarter"}}
          prepare:
            - {step: period, table: persons, column: reference_date, frequency: quarter, into: ref}
            - {step: period, table: persons, column: reference_date, frequency: quarter, into: first_treat,
               arm: participants}
            - {step: event_time, panel: panel, persons: persons, unit: person_id, time: quarter, reference: ref}
            - step: horizons
              panel: panel
              table: persons
              unit: person_id
              time: quarter
              reference: ref
              columns:
                employed_e2: {value: employed, at: 2}
                share_employed_pre: {value: employed, window: [-4, -1], stat: share}
                any_employed_post: {value: employed, window: [1, 4], stat: any}
          main: persons
        analyses:
          - {name: e2, estimator: difference_in_means, outcome: employed_e2, treatment: treated}
    """), encoding="utf-8")
    report = validate(tmp_path / "run.yaml")
    assert report["analyses"] == ["e2"] and report["rows"] == 60
    steps = [r["step"] for r in report["preparation"]]
    assert steps[-1] == "data.prepare[3] horizons"
    rd = load_run_data(load_config(tmp_path / "run.yaml"))
    persons, panel = rd.frame, rd.extra["panel"]
    assert persons["ref"].tolist() == [8052 + (i % 6) // 3 for i in range(60)]  # 2013T1 / 2013T2
    assert persons["first_treat"].isna().tolist() == [t == 0 for t in treated]
    cells = dict(zip(zip(panel["person_id"], panel["quarter"], strict=True), panel["employed"], strict=True))
    for u, ref, e2, share in zip(persons["person_id"], persons["ref"], persons["employed_e2"],
                                 persons["share_employed_pre"], strict=True):
        assert e2 == cells[(u, ref + 2)]
        assert share == pytest.approx(np.mean([cells[(u, ref + e)] for e in range(-4, 0)]))
    assert panel["event_time"].tolist() == [q - dict(zip(ids, persons["ref"], strict=True))[u]
                                            for u, q in zip(panel["person_id"], panel["quarter"], strict=True)]


def test_panel_rows_without_a_period_are_refused():
    persons, panel = _random_panel(0, "quarter")
    panel["period"] = panel["period"].astype("Int64")
    panel.loc[[4, 9], "period"] = pd.NA
    err = _bad(persons, panel, _horizons_step({"e2": {"value": "employed", "at": 2}}))
    assert "'time': column 'period' is missing in 2 rows of table 'panel'" in str(err)
    assert list(err.rows) == list(panel.loc[[4, 9], "person_id"]) and err.column == "period"


def test_horizons_refuse_a_person_table_sharing_no_unit_with_the_panel():
    persons = pd.DataFrame({"person_id": ["1", "2"], "treated": [1, 0], "ref": [8050, 8050]})
    panel = pd.DataFrame({"person_id": [1, 2], "period": [8051, 8051], "employed": [1, 0]})
    err = _bad(persons, panel, _horizons_step({"e1": {"value": "employed", "at": 1}}))
    assert "'unit': no person_id of table 'persons' is in panel 'panel'" in str(err)
    assert "holds int64 values in 'panel'" in str(err) and "1 and '1' differ" in str(err) and err.column == "person_id"
