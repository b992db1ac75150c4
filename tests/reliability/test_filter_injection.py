"""Sample filters are read, never executed (cases I01-I06, D20b).

A filter used to go to ``DataFrame.eval``: ``@name`` reached the globals of the sample module
and column methods were callable, so ``iej-impact validate`` and ``run`` could run shell commands
and overwrite files. Filters are now parsed against an allow-list (``iej_impact.data._expressions``).
These tests try injections through both commands, check the grammar against hand-computed
masks, and fuzz the parser with hypothesis.
"""

from __future__ import annotations

import os
import string
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iej_impact import define_sample
from iej_impact.cli import main
from iej_impact.data._expressions import MAX_LENGTH, compile_filter, filter_mask
from iej_impact.data._filter_grammar import MAX_DEPTH
from iej_impact.errors import DataError, IejImpactError, SpecificationError

# ---------------------------------------------------------------------------------------------
# injections through the command line

INJECTIONS = [
    # cases I01-I06
    pytest.param('__import__("os").system("touch pwned")', id="I01-import"),
    pytest.param('@pd.io.common.os.system("touch pwned") == 0', id="I02-at-globals"),
    pytest.param('(age > 0) & (@pd.io.common.os.system("id > pwned_by_validate") == 0)', id="I02b-I02c-and-at"),
    pytest.param('age > @np.save("pwned.npy", 1)', id="I03-np-save"),
    pytest.param('age > 0 if @frame.to_csv("leak.csv") else age > 0', id="I04-ifexp"),
    pytest.param('age.__class__.__name__ == "x"', id="I04b-dunder"),
    pytest.param("age.apply(@pd.io.common.os.system) >= 0", id="I05-apply-at"),
    pytest.param('(age > 0) | (age.to_csv("precious.txt") == "")', id="I06-to-csv"),
    # further attempts
    pytest.param('age.to_pickle("pwned.pkl") == 0', id="to_pickle"),
    pytest.param("age.apply(print) >= 0", id="apply"),
    pytest.param("age.pipe(print) == 0", id="pipe"),
    pytest.param('age.to_frame().eval("age > 0")', id="eval-method"),
    pytest.param('age.to_frame().query("age > 0").to_csv("pwned.csv") == ""', id="query-method"),
    pytest.param('age.__class__.__init__.__globals__["os"].system("touch pwned") == 0', id="globals-subscript"),
    pytest.param('getattr(age, "to_csv")("pwned.csv") == ""', id="getattr"),
    pytest.param('age.values.tofile("pwned.bin") is None', id="attribute-chain"),
    pytest.param('(lambda: __import__("os").system("touch pwned"))() == 0', id="lambda"),
    pytest.param('[__import__("os").system("touch pwned") for _ in [1]] == [0]', id="comprehension"),
    pytest.param('(f := open("pwned", "w")) == 0', id="walrus"),
    pytest.param("f\"{__import__('os').system('touch pwned')}\" == '0'", id="f-string"),
    pytest.param('open("pwned", "w").write("x") > 0', id="open"),
    pytest.param("exec(\"import os; os.system('touch pwned')\") == 0", id="exec"),
    pytest.param('eval("__import__(\'os\').system(\'touch pwned\')") == 0', id="eval"),
    pytest.param("().__class__.__base__.__subclasses__() == 0", id="subclasses"),
    pytest.param('age.between(0, __import__("os").system("touch pwned"))', id="between-call-bound"),
    pytest.param('isna(__import__("os").system("touch pwned"))', id="isna-call-argument"),
    pytest.param('age.str.startswith(open("pwned", "w").name)', id="startswith-call-argument"),
    pytest.param('`age`.to_csv("pwned.csv") == ""', id="backtick-method"),
    pytest.param('`__import__`("os").system("touch pwned") == 0', id="backtick-call"),
    pytest.param('age.plot.hist().figure.savefig("pwned.png") == 0', id="plot-savefig"),
    pytest.param('age > 0 and breakpoint() == 0', id="breakpoint"),
    pytest.param('{"a": age.to_csv("pwned.csv")} == 0', id="dict"),
    pytest.param("age > 0 or " * 200 + "age > 0", id="too-long"),
    pytest.param("not " * (MAX_DEPTH + 5) + "age > 0", id="deeply-nested"),
    pytest.param("[" * 300 + "]" * 300, id="parser-bomb"),
    pytest.param("age ** 10 ** 10 ** 10 > 0 and 'a' * 10 ** 9 == ''", id="resource-bomb"),
]


def _write_case(tmp_path: Path, bad: str) -> Path:
    pd.DataFrame({
        "person_id": [f"P{i:03d}" for i in range(40)],
        "treated": [i % 2 for i in range(40)],
        "age": [16 + i % 10 for i in range(40)],
        "employed_12m": [(i // 3) % 2 for i in range(40)],
    }).to_csv(tmp_path / "data.csv", index=False)
    cfg = {
        "version": 1,
        "project": {"name": "injection", "output_dir": "out", "seed": 1},
        "data": {"path": "data.csv"},
        "sample": {"treatment": "treated", "filters": ["age >= 16", bad]},
        "analyses": [{"name": "naive", "estimator": "difference_in_means", "outcome": "employed_12m"}],
        "report": {"formats": []},
    }
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return path


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@pytest.mark.parametrize("command", ["validate", "run"])
@pytest.mark.parametrize("bad", INJECTIONS)
def test_injection_is_refused_and_nothing_runs(tmp_path, monkeypatch, capsys, command, bad):
    """I01-I06 (and more): exit 2, the message names sample.filters[1], no file appears."""
    cfg = _write_case(tmp_path, bad)
    monkeypatch.chdir(tmp_path)
    calls: list[object] = []
    monkeypatch.setattr(os, "system", lambda *a, **k: calls.append(a) or 0)
    before = _files(tmp_path)
    assert main([command, str(cfg)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("iej-impact: error: sample.filters[1]: "), err
    assert "Traceback" not in err
    assert _files(tmp_path) == before
    assert calls == []


def test_refusal_names_the_construct_and_its_position(tmp_path, monkeypatch, capsys):
    """I06: the message quotes the filter, the refused method and where it is."""
    cfg = _write_case(tmp_path, '(age > 0) | (age.to_csv("precious.txt") == "")')
    (tmp_path / "precious.txt").write_text("keep me", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["validate", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert "sample.filters[1]: '(age > 0) | (age.to_csv(\"precious.txt\") == \"\")' uses 'to_csv' at character 18, " \
           "which is not allowed in a filter; allowed: " in err
    assert (tmp_path / "precious.txt").read_text(encoding="utf-8") == "keep me"


@pytest.mark.parametrize("expr, shown", [
    ("@pd.io.common.os.system('touch pwned') == 0", "uses '@' at character 1"),
    ("__import__('os').system('x')", "uses '__import__' (a function call) at character 1"),
    ("age.__class__.__name__ == 'x'", "uses '__class__' at character 5"),
    ("age[0] > 1", "uses '[...]' (indexing) at character 1"),
    ("age > 0 if age > 1 else age > 2", "uses 'if ... else'"),
    ("(x := 1) > 0", "uses ':=' (assignment)"),
    ("lambda: 1", "uses 'lambda'"),
    ("f'{age}' == 'x'", "uses an f-string"),
    ("[a for a in [1]] == [1]", "uses a comprehension"),
    ("age is None", "uses 'is'"),
    ("age in age", "'in' needs a list written out"),
    ("`__import__`('os')", "uses '__import__' (a function call) at character 1"),
    ("age.between(1, age)", "where a literal"),
    ("age.between(1)", "'between' with other arguments than two arguments"),
    ("age.isna(1)", "'isna' with other arguments than no arguments"),
    ("age.str.lower() == 'x'", "uses 'lower'"),
    ("a" * (MAX_LENGTH + 1), f"a filter may have at most {MAX_LENGTH}"),
    ("-" * (MAX_DEPTH + 1) + "age > 0", "nested too deeply"),
    ("age >", "is not a valid filter expression"),
    ("`age", "unclosed backtick at character 1"),
])
def test_api_refusals_are_specification_errors(expr, shown):
    frame = pd.DataFrame({"age": [16, 20]})
    with pytest.raises(SpecificationError) as info:
        define_sample(frame, filters=["age > 0", expr])
    assert str(info.value).startswith("filters[1]: ")
    assert shown in str(info.value)


def test_every_filter_is_checked_before_any_is_applied():
    frame = pd.DataFrame({"age": [16, 20]})
    with pytest.raises(SpecificationError, match=r"filters\[1\].*'to_csv'"):
        define_sample(frame, filters=["age > 100", "age.to_csv('x.csv') == ''"])  # the first would exclude all


# ---------------------------------------------------------------------------------------------
# the grammar: each construct against a hand-computed mask

@pytest.fixture
def small():
    return pd.DataFrame({
        "age": [15.0, 16.0, 20.0, 26.0, np.nan],
        "city": ["Lille", "Lens", None, "Arras", "Lille"],
        "female": [True, False, True, False, True],
        "n": pd.array([1, 2, None, 4, 5], dtype="Int64"),
        "flag": [True, None, False, True, None],  # object column: True/False with missing values
        "date d'entrée": pd.to_datetime(["2015-01-03", "2014-05-01", "2016-01-01", None, "2015-07-01"]),
    }, index=[10, 10, 11, 12, 13])  # a duplicated, non-range index must not matter


F, T = False, True


@pytest.mark.parametrize("expr, expected", [
    ("age >= 16 and age <= 25", [F, T, T, F, F]),
    ("age >= 16 & age <= 25", [F, T, T, F, F]),  # '&' binds like 'and', as in pandas queries
    ("(age >= 16) & (age <= 25)", [F, T, T, F, F]),
    ("16 <= age <= 25", [F, T, T, F, F]),  # chained comparison
    ("age < 16 or age > 25", [T, F, F, T, F]),
    ("age < 16 | age > 25", [T, F, F, T, F]),
    ("age == 20", [F, F, T, F, F]),
    ("age != 20", [T, T, F, T, T]),  # missing != 20 is True (as pandas)
    ("not age > 18", [T, T, F, F, T]),  # 'not' of False: missing compares False, so not -> True
    ("~(age > 18)", [T, T, F, F, T]),
    ("age * 2 + 1 > 40", [F, F, T, T, F]),
    ("age - 1 >= 19", [F, F, T, T, F]),
    ("age / 2 == 8", [F, T, F, F, F]),
    ("age // 10 == 2", [F, F, T, T, F]),
    ("age % 2 == 1", [T, F, F, F, F]),
    ("age ** 2 > 300", [F, F, T, T, F]),
    ("-age < -18", [F, F, T, T, F]),
    ("age > 10 ** 400", [F, F, F, F, F]),
    ("city == 'Lille'", [T, F, F, F, T]),
    ("city != 'Lille'", [F, T, T, T, F]),
    ("city > 'K'", [T, T, F, F, T]),  # text order is fine when the string is not a date
    ("city in ['Lille', 'Lens']", [T, T, F, F, T]),
    ("city in ('Lille', None)", [T, F, T, F, T]),  # None in the list matches a missing value
    ("city not in {'Lille'}", [F, T, T, T, F]),
    ("age in [15, 26, -1]", [T, F, F, T, F]),
    ("age == [15, 26]", [T, F, F, T, F]),  # pandas query meaning of == list
    ("age != [15, 26]", [F, T, T, F, T]),
    ("isna(age)", [F, F, F, F, T]),
    ("notna(city)", [T, T, F, T, T]),
    ("age.isna()", [F, F, F, F, T]),
    ("city.notna()", [T, T, F, T, T]),
    ("age.between(16, 20)", [F, T, T, F, F]),
    ("age.between(-1, 15.5)", [T, F, F, F, F]),
    ("city.str.startswith('L')", [T, T, F, F, T]),
    ("female", [T, F, T, F, T]),
    ("not female", [F, T, F, T, F]),
    ("female and age > 15", [F, F, T, F, F]),
    ("female == 1", [T, F, T, F, T]),
    ("flag", [T, F, F, T, F]),  # a missing value in a True/False column counts as False
    ("n > 1", [F, T, F, T, T]),  # nullable integers: missing compares False
    ("n != 2", [T, F, T, T, T]),  # ... and != is True, as for floats
    ("n in [1, 2]", [T, T, F, F, F]),
    ("`date d'entrée` >= '2015-06-01'", [F, F, T, F, T]),  # a date column compares with a date string
    ("`date d'entrée`.between('2015-01-01', '2015-12-31')", [T, F, F, F, T]),
    ("isna(`date d'entrée`)", [F, F, F, T, F]),
    ("`age` > 18 and `city`.notna()", [F, F, F, T, F]),
    ("  age > 18  ", [F, F, T, T, F]),
    ("age > 18 and True", [F, F, T, T, F]),
])
def test_grammar_gives_the_hand_computed_mask(small, expr, expected):
    mask = filter_mask(small, expr)
    assert mask.dtype == bool
    assert mask.tolist() == expected


def test_same_mask_as_pandas_query_on_valid_filters(small):
    """The filters pandas accepted and that are still allowed give the same rows."""
    frame = small.drop(columns=["n", "flag"]).reset_index(drop=True)
    for expr in ["age >= 16 and age <= 25", "age < 16 | age > 25", "16 <= age <= 25", "city == 'Lille'",
                 "city in ['Lille', 'Lens']", "age != 20", "not (age > 18)", "female & (age > 15)",
                 "age * 2 + 1 > 40", "`date d'entrée` >= '2015-06-01'"]:
        try:
            expected = frame.eval(expr).to_numpy(dtype=bool)  # the trusted expressions of this test only
        except SyntaxError:  # pandas < 3 cannot read a backticked name holding an apostrophe
            assert "`" in expr and pd.__version__ < "3"
            continue
        assert filter_mask(frame, expr).tolist() == expected.tolist(), expr


def test_sample_flow_records_the_filter_text():
    frame = pd.DataFrame({"age": [15, 16, 30], "treated": [1, 0, 1]})
    s = define_sample(frame, filters=["16 <= age <= 25"], treatment="treated")
    assert s.data["age"].tolist() == [16]
    assert s.flow.table["reason"].tolist() == ["rows read", "16 <= age <= 25"]


# ---------------------------------------------------------------------------------------------
# clear errors for data problems

@pytest.mark.parametrize("expr, shown", [
    ("ag3 > 16", "uses 'ag3' at character 1, which is not a column of the data. Did you mean 'age'?"),
    ("city > 3", "compares column 'city' (text, e.g. 'Lille') with the number 3 using '>'. Write the value in quotes"),
    ("age == '16'", "compares column 'age' (numbers) with the text '16' using '=='. Write the number without quotes"),
    ("age in [16, 'x']", "compares column 'age' (numbers) with the text 'x' using 'in'"),
    ("age.between('a', 'b')", "compares column 'age' (numbers) with the text 'a' using 'between'"),
    ("city * 2 > 1", "uses '*' on column 'city' (text, e.g. 'Lille'); arithmetic needs numbers"),
    ("age and female", "uses 'and' on column 'age' (numbers), not True/False"),
    ("age == None", "test missing values with isna(x) or notna(x)"),
    ("age.str.startswith('1')", "it needs a text column"),
])
def test_data_errors_are_clear(small, expr, shown):
    with pytest.raises(DataError) as info:
        filter_mask(small, expr, where="filters[0]")
    assert str(info.value).startswith("filters[0]: ")
    assert shown in str(info.value)


@pytest.mark.parametrize("expr, shown", [
    ("age + 1", "must give True/False for each row; it gives numbers"),
    ("city", "must give True/False for each row; it gives text"),
    ("1 < 2", "it gives one value for the whole table"),
])
def test_result_must_be_true_false_per_row(small, expr, shown):
    with pytest.raises(SpecificationError, match=shown):
        filter_mask(small, expr)


def test_text_dates_compared_with_a_date_string_are_refused_D20b(tmp_path, monkeypatch, capsys):
    """D20b: entry_date read as text, filter entry_date >= '2015-01-01': exit 2 saying the column is text."""
    pd.DataFrame({
        "person_id": [f"P{i}" for i in range(6)],
        "treated": [0, 1, 0, 1, 0, 1],
        "employed_12m": [0, 1, 1, 0, 1, 0],
        "entry_date": ["03/02/2015", "2015-06-01", "11/12/2014", "2014-01-05", "01/01/2016", "2016-02-02"],
    }).to_csv(tmp_path / "data.csv", index=False)
    cfg = {"version": 1, "project": {"name": "d20b", "output_dir": "out"}, "data": {"path": "data.csv"},
           "sample": {"treatment": "treated", "filters": ["entry_date >= '2015-01-01'"]},
           "analyses": [{"name": "naive", "estimator": "difference_in_means", "outcome": "employed_12m"}],
           "report": {"formats": []}}
    (tmp_path / "cfg.yaml").write_text(yaml.safe_dump(cfg), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "cfg.yaml"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("iej-impact: error: sample.filters[0]: ")
    assert "column 'entry_date' (text, e.g. '03/02/2015')" in err
    assert "not as dates" in err and "parse: {entry_date: 'date:%d/%m/%Y'}" in err and "docs/how-to/config.md" in err
    # equality on text is exact, so it stays allowed; a parsed date column compares as dates
    frame = pd.read_csv(tmp_path / "data.csv")
    assert filter_mask(frame, "entry_date == '2015-06-01'").sum() == 1
    frame["entry_date"] = pd.to_datetime(frame["entry_date"], format="mixed", dayfirst=True)
    assert filter_mask(frame, "entry_date >= '2015-01-01'").tolist() == [T, T, F, F, T, T]


def test_unknown_column_through_the_cli_keeps_the_suggestion(tmp_path, monkeypatch, capsys):
    cfg = _write_case(tmp_path, "agee > 18")
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert "sample.filters[1]: 'agee > 18' uses 'agee' at character 1, which is not a column of the data. " \
           "Did you mean 'age'?" in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("expr", ["ok / ok > 1", "ok // ok > 1", "ok ** ok > 0"])
def test_arithmetic_pandas_refuses_on_flags_is_a_data_error(expr):
    # pandas raises NotImplementedError for / // ** between True/False columns; found by the fuzzing below
    frame = pd.DataFrame({"ok": [True, False, True]})
    with pytest.raises(DataError, match=r"^filters\[0\]: .*cannot compute 'ok .* ok'.*bool dtypes"):
        filter_mask(frame, expr, where="filters[0]")


def test_compile_needs_no_data_and_names_no_columns_it_does_not_see():
    compiled = compile_filter("`a b` > 1 and c in [1, 2]", ["a b", "c"], where="filters[3]")
    assert compiled.columns == {"_iej_column_0_": "a b", "c": "c"}
    with pytest.raises(DataError, match=r"^filters\[3\]: .*'d'.*not a column"):
        compile_filter("d > 1", ["a b", "c"], where="filters[3]")


# ---------------------------------------------------------------------------------------------
# fuzzing: any text either gives a True/False mask or raises the project's error

_FRAME = pd.DataFrame({"age": [15.0, 20.0, np.nan], "city": ["a", None, "b"], "ok": [True, False, True]})
_TOKENS = ["age", "city", "ok", "nope", "1", "2.5", "'a'", "'2015-01-01'", "True", "None", "(", ")", "[", "]",
           ",", ".", "==", "!=", "<", ">=", "and", "or", "not", "&", "|", "~", "+", "-", "*", "/", "//", "%",
           "**", "in", "not in", "isna", "notna", "between", "str", "startswith", "to_csv", "__class__",
           "@", "`", "lambda", ":", "if", "else", "for", ":=", "f'{age}'", "is", "{", "}", "#", "\\", "\n"]


def _check(text: str) -> None:
    try:
        mask = filter_mask(_FRAME, text, where="filters[0]")
    except IejImpactError as exc:
        assert str(exc).startswith("filters[0]: ")
        return
    assert isinstance(mask, np.ndarray) and mask.dtype == bool and mask.shape == (len(_FRAME),)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=string.printable, max_size=60))
def test_random_ascii_never_escapes_the_grammar(tmp_path, monkeypatch, text):
    monkeypatch.chdir(tmp_path)
    _check(text)
    assert not any(tmp_path.iterdir())


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(_TOKENS), max_size=14).map(" ".join))
def test_random_token_strings_never_escape_the_grammar(tmp_path, monkeypatch, text):
    monkeypatch.chdir(tmp_path)
    _check(text)
    assert not any(tmp_path.iterdir())


def test_identifiers_match_columns_whatever_their_unicode_form():
    """Python reads identifiers in NFKC form; a column written with a ligature or decomposed accents is found."""
    import unicodedata

    decomposed = unicodedata.normalize("NFD", "âgé")
    frame = pd.DataFrame({decomposed: [1, 2], "ﬁn": [1, 0]})
    assert filter_mask(frame, f"{decomposed} > 1").tolist() == [F, T]
    assert filter_mask(frame, "ﬁn == 1").tolist() == [T, F]
