"""Config runs with ``engine:`` analyses on an external Parquet panel (data.external), small data.

The cohort is written by write_cohort_parquet (a few hundred participants, balanced panel); the
same att_gt / twfe / event_study analyses are run from a config once by DuckDB on the external panel and once in
memory on the panel loaded as a data.tables entry, and results.json must agree to 1e-10. The
external panel must never be loaded; every mistake is a ConfigError (CLI exit 2) naming its key.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml

from iej_impact.cli import main
from iej_impact.config import parse_config
from iej_impact.errors import ConfigError
from iej_impact.runner import load_run_data, run, validate

pytest.importorskip("duckdb", reason="duckdb is not installed (pip install iej_impact[duckdb])")

CS = {"name": "cs", "estimator": "att_gt", "table": "panel", "outcome": "employed", "control_group": "not_yet_treated",
      "anticipation": 2, "base_period": "universal", "aggregate": ["simple", "dynamic", "group"],
      "sensitivity": {"honest_did": {"restriction": "relative_magnitude", "mbar": [0, 1], "e": 0, "window": [-5, 2]}}}
TW = {"name": "tw", "estimator": "twfe", "table": "panel", "outcome": "employed", "treatment": "treated_post",
      "se": {"type": "clustered", "by": "territory_id"}}
ES = {"name": "es", "estimator": "event_study", "table": "panel", "outcome": "employed", "window": [-4, 3],
      "reference": -2, "covariates": ["in_training"], "se": {"type": "clustered", "by": "territory_id"},
      "small_sample": "all", "pretrend_leads": "all", "plots": ["event_study"],
      "sensitivity": {"honest_did": {"restriction": "relative_magnitude", "mbar": [0, 1], "e": 0}}}


@pytest.fixture(scope="module")
def cohort(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from iej_impact.datasets import write_cohort_parquet

    return write_cohort_parquet(tmp_path_factory.mktemp("cohort"), 120, seed=5, panel="balanced",
                                months_before=6, months_after=6)


def _config(cohort: dict[str, Path], analyses: list[dict], *, engine: object = "duckdb", external: bool = True,
            language: str = "en") -> dict:
    data: dict = {"path": str(cohort["persons"])}
    if external:
        data["external"] = {"panel": {"path": str(cohort["panel"])}}
    else:
        data["tables"] = {"panel": {"path": str(cohort["panel"])}}
    entries = copy.deepcopy(analyses)
    for a in entries:
        if external and a.get("estimator") in ("att_gt", "twfe", "event_study") and engine is not None:
            a["engine"] = engine
    return {"version": 1, "project": {"name": "eng", "seed": 3},
            "data": data, "sample": {"treatment": "treated", "filters": ["age >= 16"], "unit": "person_id",
                                     "time": "period", "cohort": "first_treat_period"},
            "analyses": [{"name": "naive", "estimator": "difference_in_means", "outcome": "employed_12m"}, *entries],
            "report": {"title": "t", "language": language}}


def _write(tmp_path: Path, raw: dict) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


def _numbers(d: object) -> list[float]:
    """Every number of a results.json entry, in order (estimates, SEs, CIs, cells, aggregations...)."""
    if isinstance(d, dict):
        return [x for k in sorted(d) if k not in ("notes", "warnings", "spec") for x in _numbers(d[k])]
    if isinstance(d, list):
        return [x for v in d for x in _numbers(v)]
    return [float(d)] if isinstance(d, (int, float)) and not isinstance(d, bool) else []


def test_engine_run_equals_the_in_memory_run(cohort, tmp_path):
    eng = run(parse_config(_config(cohort, [CS, TW]), base_dir=tmp_path), output_dir=tmp_path / "eng")
    mem = run(parse_config(_config(cohort, [CS, TW], external=False), base_dir=tmp_path), output_dir=tmp_path / "mem")
    e, m = eng.results_json["results"], mem.results_json["results"]
    assert set(e) == set(m) >= {"cs", "cs.simple", "cs.dynamic", "cs.group", "tw"}
    assert any(k.startswith("cs.honest_did") for k in e)
    for name in ("cs", "cs.simple", "cs.dynamic", "cs.group", "tw"):
        for key in ("estimate", "std_error", "ci_lower", "ci_upper"):
            if key in m[name]:
                assert e[name][key] == pytest.approx(m[name][key], abs=1e-10, rel=1e-10), (name, key)
    for name in ("cs", "cs.dynamic"):  # the cells / event times, with their SEs
        a, b = _numbers(e[name].get("table", e[name])), _numbers(m[name].get("table", m[name]))
        assert len(a) > 10
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)
    assert e["tw"]["estimate"] == pytest.approx(m["tw"]["estimate"], abs=1e-10)
    assert eng.results["cs"].spec["engine"] == "duckdb" and "engine" not in mem.results["cs"].spec
    # the external panel's rows as read from its footers, and the units the engine used
    rows = pq.read_metadata(cohort["panel"]).num_rows
    ext = eng.results_json["external_tables"]["panel"]
    assert ext["rows"] == rows and ext["sample_rules_applied"] is False and "filters" in ext["note"]
    units = int(pq.read_table(cohort["panel"], columns=["person_id"]).column(0).to_pandas().nunique())
    assert ext["analyses"]["cs"]["units"] == units == ext["analyses"]["tw"]["units"]
    assert ext["analyses"]["tw"]["rows"] == rows
    inputs = {i["role"]: i for i in eng.manifest["inputs"]}
    assert inputs["external:panel"]["rows"] == rows
    written = json.loads((eng.output_dir / "manifest.json").read_text(encoding="utf-8"))
    assert written["external_tables"]["panel"]["rows"] == rows
    assert any(s["name"].endswith(" cs") for s in written["steps"])


@pytest.mark.parametrize("method", ["dr", "reg"])
def test_engine_run_with_covariates_equals_the_in_memory_run(cohort, tmp_path, method):
    cs = {**CS, "covariates": ["female", "age"], "method": method, "sensitivity": {}}
    eng = run(parse_config(_config(cohort, [cs]), base_dir=tmp_path), output_dir=tmp_path / "eng")
    mem = run(parse_config(_config(cohort, [cs], external=False), base_dir=tmp_path), output_dir=tmp_path / "mem")
    e, m = eng.results_json["results"], mem.results_json["results"]
    assert set(e) == set(m) >= {"cs", "cs.simple", "cs.dynamic", "cs.group"}
    for name in ("cs", "cs.simple", "cs.dynamic", "cs.group"):
        a, b = _numbers(e[name].get("table", e[name])), _numbers(m[name].get("table", m[name]))
        assert len(a) > 3
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)
    assert eng.results["cs"].spec["covariates"] == ["female", "age"] == mem.results["cs"].spec["covariates"]
    assert eng.results["cs"].spec["engine"] == "duckdb" and eng.results["cs"].spec["method"] == method


def test_event_study_engine_run_equals_the_in_memory_run(cohort, tmp_path):
    """event_study with a covariate, clusters, a reference before -1 and honest_did: DuckDB on the external panel
    and the in-memory estimator on the loaded panel give the same results.json numbers."""
    eng = run(parse_config(_config(cohort, [ES]), base_dir=tmp_path), output_dir=tmp_path / "eng")
    mem = run(parse_config(_config(cohort, [ES], external=False), base_dir=tmp_path), output_dir=tmp_path / "mem")
    e, m = eng.results_json["results"], mem.results_json["results"]
    assert set(e) == set(m) >= {"es", "es.honest_did"}
    # the event study to 1e-10; the HonestDiD sets from it to 1e-8: their ends are found by bisection on the
    # accept/reject decision of a linear program (solver tolerances ~1e-10), which turns coefficients equal to
    # 1e-15 into ends equal to ~1e-10 (seen: 2.4e-10)
    for name, tol in (("es", 1e-10), ("es.honest_did", 1e-8)):
        a, b = _numbers(e[name]), _numbers(m[name])
        assert len(a) > 20 and len(a) == len(b)
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)
    assert e["es"]["pretrend_test"]["df"] == 3 and e["es"]["inference_detail"] == m["es"]["inference_detail"]
    assert eng.results["es"].spec["engine"] == "duckdb" and "engine" not in mem.results["es"].spec
    rows = pq.read_metadata(cohort["panel"]).num_rows
    used = eng.results_json["external_tables"]["panel"]["analyses"]["es"]
    assert used == {"engine": "duckdb", "units": 3 * 120, "rows": rows, "periods": rows // (3 * 120)}
    assert (eng.output_dir / "figures" / "es_event_study.png").is_file()


def test_the_external_panel_is_never_loaded(cohort, tmp_path, monkeypatch):
    import iej_impact.data._io as io

    loaded: list[str] = []
    real = io.load_data
    monkeypatch.setattr(io, "load_data", lambda path, **kw: loaded.append(str(path)) or real(path, **kw))
    cfg = parse_config(_config(cohort, [CS, TW]), base_dir=tmp_path)
    rd = load_run_data(cfg, every_table=True)
    assert "panel" not in rd.tables and set(rd.external) == {"panel"}
    assert "period" in rd.external["panel"].columns
    report = validate(cfg)
    assert report["external"]["panel"]["rows"] == pq.read_metadata(cohort["panel"]).num_rows
    run(cfg, output_dir=tmp_path / "out")
    assert loaded and not any(p.endswith("panel.parquet") for p in loaded)


def test_french_report_renders_the_engine_analyses(cohort, tmp_path):
    res = run(parse_config(_config(cohort, [{**CS, "plots": ["event_study"]}, TW, ES], language="fr"), base_dir=tmp_path),
              output_dir=tmp_path / "fr")
    html = res.report_path.read_text(encoding="utf-8")
    assert "calculé par duckdb à partir des moments par cohorte" in html
    assert "calculé par duckdb à partir des produits croisés des variables centrées" in html
    assert "pas calculée par le moteur SQL" in html
    assert "computed by duckdb" not in html  # the engine notes are translated, not shown in English
    assert (res.output_dir / "figures" / "cs_event_study.png").is_file()


def _error(cohort: dict[str, Path], tmp_path: Path, raw: dict, capsys: pytest.CaptureFixture[str]) -> str:
    """The CLI's exit code must be 2; returns what it printed."""
    assert main(["validate", str(_write(tmp_path, raw))]) == 2
    return capsys.readouterr().err


@pytest.mark.parametrize(("change", "location", "words"), [
    (lambda a: a.update(engine="polars"), "analyses[1].engine", "unknown engine"),
    (lambda a: a.update(engine={"name": "duckdb", "memory": "2GB"}), "analyses[1].engine.memory", "unknown key"),
    (lambda a: a.update(engine={"name": "spark", "threads": 2}), "analyses[1].engine", "DuckDB settings"),
    (lambda a: a.update(engine={"name": "duckdb", "threads": 0}), "analyses[1].engine.threads", "whole number"),
    (lambda a: a.update(panel=False), "analyses[1].panel", "not supported by att_gt_engine"),
    (lambda a: a.update(se="bootstrap"), "analyses[1].se", "bootstrap"),
    (lambda a: a.update(trim_level=1.5), "analyses[1].trim_level", "trim_level"),
    (lambda a: a.update(outcome="employd"), "analyses[1].outcome", "not found in table 'panel'"),
    (lambda a: a.update(se={"type": "clustered", "by": "region"}), "analyses[1].se.by", "not found"),
    (lambda a: a.update(subgroups=["female"]), "analyses[1].subgroups", "grid"),
    (lambda a: a.update(sensitivity={"placebo_entry": {"shift": 2}}), "analyses[1].sensitivity.placebo_entry",
     "honest_did"),
    (lambda a: a.pop("engine"), "analyses[1].table", "engine: duckdb"),
    pytest.param(lambda a: a.update(engine="spark", table=None), "analyses[1].table",
                 "spark engine reads an external table",
                 marks=pytest.mark.skipif(importlib.util.find_spec("pyspark") is None,
                                          reason="pyspark not installed: the missing package is reported first")),
])
def test_mistakes_are_refused_with_their_key(cohort, tmp_path, capsys, change, location, words):
    raw = _config(cohort, [CS])
    change(raw["analyses"][1])
    err = _error(cohort, tmp_path, raw, capsys)
    assert location in err and words in err


def test_engine_on_an_estimator_without_engine_path(cohort, tmp_path, capsys):
    raw = _config(cohort, [])
    raw["analyses"][0]["engine"] = "duckdb"
    err = _error(cohort, tmp_path, raw, capsys)
    assert "analyses[0].engine" in err and "no engine path" in err


def test_twfe_weights_and_missing_files_are_refused(cohort, tmp_path, capsys):
    raw = _config(cohort, [{**TW, "weights": "age"}])
    assert "analyses[1].weights" in _error(cohort, tmp_path, raw, capsys)
    raw = _config(cohort, [{**ES, "weights": "age"}])
    err = _error(cohort, tmp_path, raw, capsys)
    assert "analyses[1].weights" in err and "not supported by event_study_engine" in err
    for key, value, words in (("se", "bootstrap", "bootstrap"), ("small_sample", "stata", "small_sample"),
                              ("cohort", "first_treat", "not found in table 'panel'")):
        err = _error(cohort, tmp_path, _config(cohort, [{**ES, key: value}]), capsys)
        assert f"analyses[1].{key}" in err and words in err, err
    raw = _config(cohort, [TW])
    raw["data"]["external"]["panel"]["path"] = str(tmp_path / "nowhere" / "*.parquet")
    err = _error(cohort, tmp_path, raw, capsys)
    assert "data.external.panel.path" in err and "no Parquet file" in err
    raw = _config(cohort, [TW])
    raw["data"]["external"] = {"naive": str(cohort["panel"])}
    raw["data"]["tables"] = {"naive": str(cohort["panel"])}
    assert "data.external.naive" in _error(cohort, tmp_path, raw, capsys)


def test_a_missing_engine_package_names_the_extra(cohort, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "duckdb", None)  # import duckdb now raises ImportError
    with pytest.raises(ConfigError) as err:
        parse_config(_config(cohort, [CS]), base_dir=tmp_path)
    assert err.value.location == "analyses[1].engine" and 'iej_impact[duckdb]' in str(err.value)


def test_spark_engine_from_a_config(cohort, tmp_path):
    """engine: spark uses the active SparkSession (getOrCreate): here a local[2] one, without its web UI."""
    pytest.importorskip("pyspark", reason="pyspark is not installed (pip install iej_impact[spark])")
    import shutil

    if shutil.which("java") is None and not __import__("os").environ.get("JAVA_HOME"):
        pytest.skip("no Java runtime: the spark engine needs one")
    from pyspark.sql import SparkSession

    spark = (SparkSession.builder.master("local[2]").appName("iej-config-engine")
             .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4").getOrCreate())
    eng = run(parse_config(_config(cohort, [TW], engine="spark"), base_dir=tmp_path), output_dir=tmp_path / "s")
    mem = run(parse_config(_config(cohort, [TW], external=False), base_dir=tmp_path), output_dir=tmp_path / "m")
    assert spark.sparkContext.master == "local[2]"
    s, m = eng.results_json["results"]["tw"], mem.results_json["results"]["tw"]
    assert s["estimate"] == pytest.approx(m["estimate"], abs=1e-10)
    assert s["std_error"] == pytest.approx(m["std_error"], abs=1e-10)
    assert eng.results_json["external_tables"]["panel"]["analyses"]["tw"]["engine"] == "spark"


def test_national_scale_config_runs_on_a_small_cohort(cohort, tmp_path):
    """configs/national_scale.yaml (run at 10^5-10^6 participants by benchmarks/bench_national.py), here on the
    small cohort: its data paths are pointed at the files written by write_cohort_parquet."""
    from iej_impact._yaml import read_yaml

    config = Path(__file__).resolve().parents[1] / "configs" / "national_scale.yaml"
    raw = read_yaml(config)
    assert raw["analyses"][-2]["engine"]["name"] == "duckdb" and raw["analyses"][-1]["engine"]["name"] == "duckdb"
    raw["data"]["path"] = str(cohort["persons"])
    raw["data"]["external"]["panel"]["path"] = str(cohort["panel"])
    for a in raw["analyses"]:  # the small cohort has 13 months: keep honest_did's window inside them
        for entry in (a.get("sensitivity") or {}).get("honest_did", []):
            entry["window"] = [-5, 2]
    res = run(parse_config(raw, base_dir=config.parent, path=config), output_dir=tmp_path / "national")
    out = res.results_json
    assert {"cs_employment.simple", "twfe_employment", "psm_employed_12m"} <= set(out["results"])
    assert out["external_tables"]["panel"]["analyses"]["cs_employment"]["units"] == 3 * 120  # participants and twice as many comparisons
    assert res.report_path is not None and res.report_path.is_file()


def test_indicators_engine_run_equals_the_in_memory_run(tmp_path):
    """programme_indicators on external participations, by partitions of persons, as in memory."""
    from _indicators_compare import BASE, participations

    frame, ops = participations(800, seed=2)
    frame["treated"] = 1
    frame.to_parquet(tmp_path / "participations.parquet", index=False)
    ops.to_csv(tmp_path / "operations.csv", index=False)
    ind = {"name": "ind", "estimator": "programme_indicators", "by": ["zone"], "period": "quarter",
           "operations": "operations", "missing_targets": "report", "min_cell_size": 3, **BASE}

    def config(engine: bool) -> dict:
        data = {"path": "participations.parquet", "tables": {"operations": {"path": "operations.csv"}}}
        analysis = dict(ind)
        if engine:
            data["external"] = {"parts": {"path": "participations.parquet"}}
            analysis.update(table="parts", engine={"name": "duckdb", "partitions": 3})
        return {"version": 1, "project": {"name": "ind", "seed": 1}, "data": data, "sample": {"treatment": "treated"},
                "analyses": [analysis], "report": {"title": "t"}}

    eng = run(parse_config(config(True), base_dir=tmp_path), output_dir=tmp_path / "eng")
    mem = run(parse_config(config(False), base_dir=tmp_path), output_dir=tmp_path / "mem")
    e, m = eng.results_json["results"]["ind"], mem.results_json["results"]["ind"]
    a, b = _numbers(e["indicators"]), _numbers(m["indicators"])
    assert len(a) > 1000
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    assert e["reconciliation"] == m["reconciliation"] and e["coverage"] == m["coverage"]
    with pytest.raises(ConfigError, match="apply to programme_indicators only"):
        parse_config({**config(True), "analyses": [{**CS, "table": "parts", "engine": {"name": "duckdb", "partitions": 2}}]},
                     base_dir=tmp_path)
