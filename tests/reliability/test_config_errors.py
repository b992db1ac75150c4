"""Every user error in a configuration is exit 2 with its YAML location, before anything is estimated.

Cases C13, C17, C22, C23, C25, C28, C35, C38, C39, C39c, C44, C45, C58, C59, C71, C72b-d,
C77, R02, R05, V01-V03 and D39, each through ``iej_impact.cli.main`` in ``tmp_path``, plus a
property test: mutated configurations never end in an internal error.
"""

from __future__ import annotations

import copy
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iej_impact import BalanceTable, EventStudyResult, GroupTimeResult, IndicatorTable
from iej_impact.cli import main
from iej_impact.results import EffectResult

N = 80


def _data(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=N)
    frame = pd.DataFrame({
        "person_id": [f"P{i}" for i in range(N)],
        "treated": (rng.random(N) < 1 / (1 + np.exp(-x))).astype(int),
        "x1": x, "x2": rng.normal(size=N), "y": rng.normal(size=N), "cl": rng.integers(0, 8, N),
        "first_treat": np.where(rng.random(N) < 0.5, 3.0, np.nan),
    })
    frame.to_csv(tmp_path / "data.csv", index=False)


def base_config() -> dict:
    return {
        "version": 1,
        "project": {"name": "t", "output_dir": "out", "seed": 7},
        "data": {"path": "data.csv"},
        "sample": {"treatment": "treated"},
        "analyses": [
            {"name": "naive", "estimator": "difference_in_means", "outcome": "y"},
            {"name": "psm1", "estimator": "psm", "outcome": "y", "covariates": ["x1", "x2"], "caliper": 0.5},
        ],
        "report": {"title": "T", "language": "en", "formats": []},
    }


def write(tmp_path: Path, cfg: dict | None = None, **analysis_over) -> Path:
    _data(tmp_path)
    cfg = copy.deepcopy(cfg if cfg is not None else base_config())
    cfg["analyses"][1].update(analysis_over)
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return path


def no_estimation(monkeypatch) -> None:
    """Make building any estimator's result fail: an estimator that ran to its end would be seen."""
    def boom(*args, **kwargs):
        raise AssertionError("an estimator ran")

    for cls in (EffectResult, EventStudyResult, GroupTimeResult, BalanceTable, IndicatorTable):
        monkeypatch.setattr(cls, "__init__", boom)


def exit_and_err(capsys, argv) -> tuple[int, str]:
    code = main(argv)
    return code, capsys.readouterr().err


def assert_user_error(capsys, argv, *expected) -> str:
    code, err = exit_and_err(capsys, argv)
    assert code == 2, err
    assert "internal error" not in err and "Traceback" not in err
    for text in expected:
        assert text in err, err
    return err


# ---- the analysis' own parameters: run and validate ------------------------------------------
@pytest.mark.parametrize(("over", "where", "text"), [
    ({"covariates": 5}, "analyses[1].covariates:", "got 5"),                                # C13, V03
    ({"caliper": "abc"}, "analyses[1].caliper:", "must be a number"),                       # V01 (C14)
    ({"estimand": 1}, "analyses[1].estimand:", "must be one of"),                            # V01 (C16)
    ({"caliper": -0.2}, "analyses[1].caliper:", "must be > 0.0"),                            # V01 (C47)
    ({"ratio": 0}, "analyses[1].ratio:", "must be >= 1"),                                    # V01 (C48)
    ({"estimand": "ATX"}, "analyses[1].estimand:", "Did you mean 'ATT'"),                    # V01 (C49)
    ({"se": {"type": "jackknife"}}, "analyses[1].se:", "jackknife"),                         # V01 (C50)
    ({"se": {"type": "clustered", "by": "nocol"}}, "analyses[1].se.by:", "'nocol' not found"),  # V01 (C53)
    ({"covariates": ["x1", "x9"]}, "analyses[1].covariates:", "'x9' not found"),
    ({"aggregate": ["simple"]}, "analyses[1].aggregate:", "cannot be aggregated"),          # V02 (C30)
    ({"plots": ["nope"]}, "analyses[1].plots:", "no plot 'nope'"),                           # V02 (C31)
    ({"ratio": 10**12}, "analyses[1].ratio:", "on this machine"),                            # C45
])
@pytest.mark.parametrize("command", ["validate", "run"])
def test_parameter_errors_exit_2_with_location_before_estimating(tmp_path, capsys, monkeypatch, over, where, text,
                                                                  command):
    """V01, V02, V03, C13, C45: validate checks parameters, run refuses before estimating anything."""
    cfg = write(tmp_path, **over)
    no_estimation(monkeypatch)  # fails the test if anything is estimated
    assert_user_error(capsys, [command, str(cfg)], where, text)
    assert not (tmp_path / "out").exists()


def test_bootstrap_reps_capped_c58(tmp_path, capsys, monkeypatch):
    """C58: reps of 10**12 is refused at once, naming the analysis' se."""
    cfg = base_config()
    cfg["analyses"][0]["se"] = {"type": "bootstrap", "reps": 10**12}
    path = write(tmp_path, cfg)
    no_estimation(monkeypatch)
    for command in ("validate", "run"):
        assert_user_error(capsys, [command, str(path)], "analyses[0].se.reps:", "<= 100000")


def test_validate_runs_no_estimator_and_checks_every_analysis(tmp_path, capsys, monkeypatch):
    """validate passes a valid config without any estimator running (the checks stop before)."""
    cfg = base_config()
    cfg["analyses"] += [
        {"name": "ipw1", "estimator": "ipw", "outcome": "y", "covariates": ["x1"]},
        {"name": "ra1", "estimator": "regression_adjustment", "outcome": "y", "covariates": ["x1"]},
        {"name": "dr1", "estimator": "doubly_robust", "outcome": "y", "covariates": ["x1"]},
        {"name": "bal", "estimator": "balance_table", "covariates": ["x1", "x2"]},
    ]
    path = write(tmp_path, cfg)
    no_estimation(monkeypatch)
    code, err = exit_and_err(capsys, ["validate", str(path)])
    assert code == 0, err


# ---- report, sample and data keys -----------------------------------------------------------
@pytest.mark.parametrize(("section", "value", "where"), [
    ("report", {"title": ["a", "b"]}, "report.title:"),                                       # C17, V02
    ("sample", {"treatment": "treated", "unit": ["a"]}, "sample.unit:"),                      # C25, V03
    ("sample", {"treatment": "treated", "cohort": "first_treat", "never_treated": [1]}, "sample.never_treated:"),  # C35
    ("data", {"path": "data.csv", "sep": 5}, "data.sep:"),                                     # C22
    ("data", {"path": "data.csv", "encoding": "nope"}, "data.encoding:"),                      # C23
    ("version", True, "version:"),                                                             # C28
    ("project", {"name": "t", "output_dir": "out", "seed": -1}, "project.seed:"),             # C44
    ("data", {"synthetic": {"n_participants": 10**12}}, "data.synthetic.n_participants:"),    # C59
])
@pytest.mark.parametrize("command", ["validate", "run"])
def test_section_errors_exit_2_with_location(tmp_path, capsys, monkeypatch, section, value, where, command):
    cfg = base_config()
    cfg[section] = value
    path = write(tmp_path, cfg)
    no_estimation(monkeypatch)
    assert_user_error(capsys, [command, str(path)], where)
    assert not (tmp_path / "out").exists()


def test_panel_role_typo_is_refused_c77(tmp_path, capsys, monkeypatch):
    """C77: a sample role naming no column of the run's tables is exit 2 at sample.cohort, with a suggestion."""
    cfg = base_config()
    cfg["sample"] = {"treatment": "treated", "cohort": "first_treatd"}
    path = write(tmp_path, cfg)
    no_estimation(monkeypatch)
    for command in ("validate", "run"):
        assert_user_error(capsys, [command, str(path)], "sample.cohort:", "Did you mean 'first_treat'?")


def test_validate_opens_unused_tables_d39(tmp_path, capsys, monkeypatch):
    """D39: validate opens every table of data.tables, even one no analysis uses; run does not read it,
    but a declared file that does not exist stops it too, before estimating."""
    cfg = base_config()
    cfg["data"]["tables"] = {"ops": "nope.csv"}
    path = write(tmp_path, cfg)
    assert_user_error(capsys, ["validate", str(path)], "data.tables.ops")
    no_estimation(monkeypatch)
    assert_user_error(capsys, ["run", str(path)], "data.tables.ops", "file not found")
    assert not (tmp_path / "out").exists()


def test_simulate_refuses_an_impossible_size(tmp_path, capsys):
    """C59 (command line): --n-participants beyond the machine's memory is exit 2, nothing written."""
    out = tmp_path / "sim"
    assert_user_error(capsys, ["simulate", "--output-dir", str(out), "--n-participants", str(10**12)],
                      "n_participants", "on this machine")
    assert not out.exists()


# ---- the configuration file itself ------------------------------------------------------------
def test_empty_file_named_c38(tmp_path, capsys):
    path = tmp_path / "cfg.yaml"
    path.write_bytes(b"")
    assert_user_error(capsys, ["validate", str(path)], str(path), "empty")


@pytest.mark.parametrize(("case", "payload"), [
    ("C39", "project: {name: 'Évaluation'}\n".encode("latin-1")),
    ("C39c", "project: {name: 'Évaluation'}\n".encode("utf-16")),
    ("R05", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))),
])
@pytest.mark.parametrize("command", ["validate", "run"])
def test_not_utf8_is_refused_naming_the_file(tmp_path, capsys, case, payload, command):
    """C39, C39c, R05: latin-1, UTF-16 or a PNG as configuration: exit 2, the file and 'UTF-8' named."""
    path = tmp_path / "cfg.yaml"
    path.write_bytes(payload)
    assert_user_error(capsys, [command, str(path)], str(path), "UTF-8")


def test_utf8_bom_is_accepted(tmp_path, capsys):
    path = write(tmp_path)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    code, err = exit_and_err(capsys, ["validate", str(path)])
    assert code == 0, err


def test_folder_as_config_r02(tmp_path, capsys):
    (tmp_path / "cfgdir").mkdir()
    for command in ("validate", "run"):
        assert_user_error(capsys, [command, str(tmp_path / "cfgdir")], "is a folder")


def test_duplicate_key_is_refused_c71(tmp_path, capsys):
    """C71: `caliper` twice in one analysis: exit 2 naming the key and both lines."""
    path = write(tmp_path)
    text = path.read_text(encoding="utf-8").replace("  caliper: 0.5\n", "  caliper: 0.05\n  caliper: 5\n")
    path.write_text(text, encoding="utf-8")
    lines = text.splitlines()
    first = next(i for i, line in enumerate(lines) if "caliper: 0.05" in line) + 1
    assert_user_error(capsys, ["run", str(path)], "duplicate key 'caliper'", f"first at line {first}",
                      f"again at line {first + 1}")
    assert not (tmp_path / "out").exists()


def test_merge_keys_may_override(tmp_path, capsys):
    """A '<<: *base' merge followed by an explicit key is an override, not a duplicate."""
    path = write(tmp_path)
    text = path.read_text(encoding="utf-8")
    text = text.replace("analyses:\n", "definitions:\n  base: &base {outcome: y, caliper: 0.2}\nanalyses:\n")
    text = text.replace("  estimator: psm\n", "  estimator: psm\n  <<: *base\n")
    path.write_text(text, encoding="utf-8")
    code, err = exit_and_err(capsys, ["validate", str(path)])
    assert code == 0, err


BOMB = "".join(
    ["definitions:\n", "  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"]
    + [f"  a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 9)]
)


@pytest.mark.parametrize(("case", "use"), [
    ("C72b", "    sensitivity: {gammas: *a8}\n"),
    ("C72c", "    exact: *a8\n"),
    ("C72d", None),
])
def test_alias_bombs_refused_quickly(tmp_path, capsys, case, use):
    """C72b-d: a 'billion laughs' document is refused without expanding it, whatever uses it."""
    path = write(tmp_path)
    text = BOMB + path.read_text(encoding="utf-8")
    if use is None:
        text = text.replace("  title: T\n", "  title: *a8\n")
    else:
        text = text.replace("  caliper: 0.5\n", "  caliper: 0.5\n" + use.replace("    ", "  "))
    path.write_text(text, encoding="utf-8")
    tracemalloc.start()
    try:
        err = assert_user_error(capsys, ["run", str(path)], "aliases")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # expanded, the bomb is 10**8 nodes (gigabytes); refused while counting, it never grows
    assert peak < 50e6 and len(err) < 1000


def test_recursive_alias_refused(tmp_path, capsys):
    path = tmp_path / "cfg.yaml"
    path.write_text("definitions: &d\n  self: *d\nversion: 1\n", encoding="utf-8")
    assert_user_error(capsys, ["validate", str(path)], "aliases")


# ---- property: any mutation of a valid config is exit 0 or 2, never an internal error --------
_NAMES = st.sampled_from(["y", "x1", "treated", "cl", "first_treat", "ATT", "robust", "bootstrap", "clustered", "nope"])
_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-3, 10**13), st.floats(), st.text(max_size=6), _NAMES,
                    st.lists(st.one_of(_NAMES, st.integers(-1, 3)), max_size=3),
                    st.dictionaries(st.sampled_from(["type", "by", "reps", "zz"]), st.one_of(_NAMES, st.integers(-1, 5)),
                                    max_size=3))


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, prefix + (i,))


@st.composite
def mutated_configs(draw):
    cfg = base_config()
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(cfg) if p]
        path = draw(st.sampled_from(paths))
        parent = cfg
        for step in path[:-1]:
            parent = parent[step]
        action = draw(st.sampled_from(["delete", "replace", "extra"]))
        if action == "delete" and isinstance(parent, dict):
            del parent[path[-1]]
        elif action == "extra" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["zz", "seed", "by", "covariates", "sep", "type", "se", "estimand", "ratio",
                                         "exact", "weights", "cohort", "unit", "never_treated", "dropna",
                                         "filters", "tables", "synthetic", "sensitivity", "aggregate", "plots"]))] = draw(_VALUES)
        else:
            parent[path[-1]] = draw(_VALUES)
    return cfg


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cfg=mutated_configs())
def test_mutated_configs_never_crash(tmp_path_factory, capsys, cfg):
    """validate and run end with exit 0 or 2 (never 1 / 'internal error') on mutated configurations."""
    tmp = tmp_path_factory.mktemp("fuzz")
    _data(tmp)
    path = tmp / "cfg.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    for argv in (["validate", str(path)], ["run", str(path), "--output-dir", str(tmp / "out")]):
        code, err = exit_and_err(capsys, argv)
        # exit 1 is allowed only for an estimation failure the contract names (e.g. a caliper of 1e-300 matches nobody)
        assert code in (0, 2) or (code == 1 and "estimation failed" in err), (argv[0], cfg, err)
        assert "internal error" not in err and "Traceback" not in err, (argv[0], cfg, err)


@pytest.mark.parametrize("command", ["run", "simulate"])
def test_empty_output_dir_is_refused_c67(tmp_path, capsys, monkeypatch, command):
    """C67: --output-dir '' is exit 2 naming the option, not the current folder in disguise."""
    path = write(tmp_path)
    monkeypatch.chdir(tmp_path)
    argv = ["run", str(path), "--output-dir", ""] if command == "run" else ["simulate", "--output-dir", ""]
    assert_user_error(capsys, argv, "--output-dir", "empty")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cfg.yaml", "data.csv"]


# ---- the library side: the same checks for API users --------------------------------------
def test_every_estimator_stops_after_its_checks(monkeypatch):
    """check_arguments() reaches every configurable estimator's stop point without estimating
    (an estimator without one would raise RuntimeError here, and validate would have estimated)."""
    from iej_impact import did, matched_did, simulate_cohort
    from iej_impact._validation import check_arguments

    no_estimation(monkeypatch)
    rng = np.random.default_rng(1)
    units = np.repeat(np.arange(40), 2)
    panel = pd.DataFrame({"id": units, "post": np.tile([0, 1], 40), "d": (units < 20).astype(int),
                          "x": np.repeat(rng.normal(size=40), 2), "y": rng.normal(size=80)})
    check_arguments(did, panel, outcome="y", treatment="d", post="post", unit="id")
    check_arguments(matched_did, panel, outcome="y", treatment="d", post="post", unit="id", covariates=["x"])
    cohort = simulate_cohort(100, seed=1, panel="none")
    check_arguments(lambda _d, **kw: simulate_cohort(**kw), None, n_participants=100)
    with pytest.raises(RuntimeError, match="no arguments_checked"):
        check_arguments(lambda d: None, cohort.persons)


def test_demo_configuration_validates_without_estimating(monkeypatch, capsys):
    """The demo uses ten of the estimators: validate passes it with result construction disabled."""
    no_estimation(monkeypatch)
    demo = Path(__file__).resolve().parents[2] / "configs" / "demo.yaml"
    code, err = exit_and_err(capsys, ["validate", str(demo)])
    assert code == 0, err


def test_library_caps_for_api_users():
    """C45, C58, C59 in the Python API: the functions themselves refuse impossible sizes at once."""
    from iej_impact import psm, simulate_cohort
    from iej_impact.errors import SpecificationError
    from iej_impact.inference import Bootstrap

    df = pd.DataFrame({"d": [0, 1] * 10, "x": np.arange(20.0), "y": np.arange(20.0)})
    tracemalloc.start()
    with pytest.raises(SpecificationError, match="'ratio' parameter of match\\(\\) must be <= .* on this machine"):
        psm(df, outcome="y", treatment="d", covariates=["x"], ratio=10**12)
    with pytest.raises(SpecificationError, match="'reps' parameter of Bootstrap\\(\\) must be <= 100000"):
        Bootstrap(reps=10**12)
    with pytest.raises(SpecificationError, match="'n_participants' .* must be <= \\d+ on this machine"):
        simulate_cohort(10**12)
    with pytest.raises(SpecificationError, match="se.type"):
        psm(df, outcome="y", treatment="d", covariates=["x"], se={"type": "jackknife"})
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 50e6  # refused before allocating anything of the requested size


def test_short_repr_bounds_huge_values():
    """Messages never format a huge value in full (C72d)."""
    from iej_impact._validation import check_number, short_repr
    from iej_impact.errors import SpecificationError

    leaf = ["x"] * 10
    for _ in range(8):
        leaf = [leaf] * 10  # 10**9 leaves, shared
    assert len(short_repr(leaf)) <= 80 and len(short_repr("a" * 10**6)) <= 80
    with pytest.raises(SpecificationError) as info:
        check_number("caliper", leaf, "match")
    assert len(str(info.value)) < 200


@pytest.mark.parametrize("func, kwargs", [
    ("psm", {"outcome": "y", "covariates": ["x", "y"]}),            # the outcome as a covariate
    ("psm", {"outcome": "y", "covariates": ["x"], "exact": ["y"]}),
    ("psm", {"outcome": "d", "covariates": ["x"]}),                 # the outcome is the treatment
    ("difference_in_means", {"outcome": "d"}),
    ("ipw", {"outcome": "y", "covariates": ["x", "y"]}),
    ("regression_adjustment", {"outcome": "d", "covariates": ["x"]}),
])
def test_outcome_treatment_and_covariates_must_differ(func, kwargs):
    """Regression: psm took the outcome as a covariate silently; difference_in_means of d on d gave 1.0."""
    import iej_impact as iej
    from iej_impact.errors import SpecificationError

    rng = np.random.default_rng(3)
    df = pd.DataFrame({"x": rng.normal(size=200), "d": np.tile([0, 1], 100)})
    df["y"] = df["x"] + df["d"] + rng.normal(size=200)
    with pytest.raises(SpecificationError, match="must be different columns"):
        getattr(iej, func)(df, treatment="d", **kwargs)


def test_mahalanobis_columns_are_checked_before_matching(monkeypatch):
    """A string is one column (not its letters), and a missing column is found by the dry run of `validate`."""
    from iej_impact import match
    from iej_impact._validation import check_arguments
    from iej_impact.errors import DataError

    rng = np.random.default_rng(4)
    df = pd.DataFrame({"x1": rng.normal(size=120), "x2": rng.normal(size=120), "d": np.tile([0, 1], 60)})
    res = match(df, treatment="d", covariates=["x1", "x2"], distance="mahalanobis", mahalanobis="x1")
    assert res.spec["mahalanobis"] == ["x1"]
    with pytest.raises(DataError, match="'x9'"):
        check_arguments(match, df, treatment="d", covariates=["x1"], distance="mahalanobis", mahalanobis=["x9"])


def test_every_wrong_analysis_is_listed_at_once(tmp_path, capsys, monkeypatch):
    """validate and run list the first problem of every analysis, each with its YAML location, not only the
    first analysis' (an evaluator fixes them in one pass)."""
    cfg = base_config()
    first = cfg["analyses"][1]
    cfg["analyses"] += [dict(first, name="bad_caliper", caliper=-1),
                        dict(first, name="bad_cluster", se={"type": "clustered", "by": "nocol"})]
    path = write(tmp_path, cfg)
    no_estimation(monkeypatch)
    n = len(cfg["analyses"])
    for command in ("validate", "run"):
        err = assert_user_error(capsys, [command, str(path)], "2 problems in the analyses")
        assert f"analyses[{n - 2}].caliper:" in err and f"analyses[{n - 1}].se.by:" in err
