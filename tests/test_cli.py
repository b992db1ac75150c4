"""End-to-end: the CLI and the runner on the synthetic cohort and on files; exit codes; atomic outputs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from iej_impact import simulate_cohort
from iej_impact.cli import main


def write_config(tmp_path: Path, **over) -> Path:
    cfg = {
        "version": 1,
        "project": {"name": "test", "output_dir": "out", "seed": 7},
        "data": {"synthetic": {"n_participants": 600, "table": "persons", "seed": 3}},
        "sample": {"treatment": "treated", "filters": ["age >= 17"]},
        "analyses": [
            {"name": "naive_emp", "estimator": "difference_in_means", "outcome": "employed_12m", "estimand": "ATT"},
            {"name": "naive_train", "estimator": "difference_in_means", "outcome": "training_6m", "estimand": "ATT",
             "se": {"type": "clustered", "by": "territory_id"}},
        ],
        "report": {"title": "Test", "language": "en"},
    }
    cfg.update(over)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return path


def test_run_writes_every_output_and_accounts_for_rows(tmp_path, capsys):
    cfg = write_config(tmp_path)
    assert main(["run", str(cfg)]) == 0
    out = tmp_path / "out"
    assert f"Report: {out / 'report.html'}" in capsys.readouterr().out
    for rel in ("results.json", "manifest.json", "report.html", "tables/naive_emp.csv", "tables/sample_flow.csv",
                "tables/exclusions.csv", "tables/effects.csv", "figures/effects.png", "figures/sample_flow.png"):
        assert (out / rel).exists(), rel
    res = json.loads((out / "results.json").read_text())
    r = res["results"]["naive_emp"]
    assert r["method"] == "difference_in_means" and r["estimand"] == "ATT" and r["inference"] == "robust"
    assert res["results"]["naive_train"]["inference"] == "clustered"
    assert r["true_value"] is not None and r["bias"] == pytest.approx(r["estimate"] - r["true_value"])
    flow = res["sample_flow"]
    assert flow[0]["step"] == "input" and flow[0]["rows_in"] == 600 * 3
    excluded = flow[0]["rows_in"] - flow[-1]["rows_out"]
    assert excluded > 0  # the age filter drops 16-year-olds
    assert flow[-1]["treated_out"] == r["n_treated"] and flow[-1]["control_out"] == r["n_control"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 7 and "timings_seconds" in manifest and manifest["excluded_rows"] == excluded
    assert "timings_seconds" not in res["manifest"]
    assert not list(tmp_path.glob(".out.tmp-*"))


def test_results_json_identical_on_rerun(tmp_path):
    cfg = write_config(tmp_path)
    assert main(["run", str(cfg), "--output-dir", str(tmp_path / "a")]) == 0
    assert main(["run", str(cfg), "--output-dir", str(tmp_path / "b")]) == 0
    assert (tmp_path / "a" / "results.json").read_bytes() == (tmp_path / "b" / "results.json").read_bytes()
    assert (tmp_path / "a" / "report.html").read_bytes() == (tmp_path / "b" / "report.html").read_bytes()


def test_existing_output_needs_force(tmp_path, capsys):
    """A previous run's directory is replaced only with --force; a folder iej-impact did not write never is."""
    cfg = write_config(tmp_path)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("x")
    assert main(["run", str(cfg)]) == 2
    assert "--force" in capsys.readouterr().err
    assert main(["run", str(cfg), "--force"]) == 2
    assert "not written by iej-impact" in capsys.readouterr().err
    assert (tmp_path / "out" / "keep.txt").read_text() == "x"
    assert main(["run", str(cfg), "--output-dir", str(tmp_path / "prev")]) == 0
    assert main(["run", str(cfg), "--output-dir", str(tmp_path / "prev")]) == 2
    assert "already exists; pass --force" in capsys.readouterr().err
    assert main(["run", str(cfg), "--output-dir", str(tmp_path / "prev"), "--force"]) == 0
    assert (tmp_path / "prev" / "results.json").exists()


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ({"analyses": [{"name": "a", "estimator": "difference_in_means", "outcome": "employed_12m", "estimnd": "ATT"}]},
         "analyses[0].estimnd: unknown parameter 'estimnd'"),
        ({"project": {"seed": "seven"}}, "project.seed: must be an integer"),
        ({"data": {"path": "missing.csv"}}, "missing.csv"),
        ({"analyses": [{"name": "a", "estimator": "difference_in_means", "outcome": "employed_99m"}]},
         "analyses[0].outcome: column 'employed_99m' not found"),
    ],
)
def test_config_errors_exit_2_with_location_and_leave_nothing(tmp_path, capsys, override, expected):
    cfg = write_config(tmp_path, **override)
    assert main(["run", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()
    assert not list(tmp_path.glob(".out.*"))


def test_validate_checks_columns_without_estimating(tmp_path, capsys):
    cfg = write_config(tmp_path)
    assert main(["validate", str(cfg)]) == 0
    assert "analyses checked: naive_emp, naive_train" in capsys.readouterr().out
    bad = write_config(tmp_path, analyses=[{"name": "a", "estimator": "difference_in_means", "outcome": "employd_12m"}])
    assert main(["validate", str(bad)]) == 2
    assert "analyses[0].outcome: column 'employd_12m' not found" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_run_from_csv_file_records_sha256(tmp_path):
    persons = simulate_cohort(300, seed=5, panel="none").persons
    persons.to_csv(tmp_path / "persons.csv", index=False)
    cfg = write_config(tmp_path, data={"path": "persons.csv"})
    assert main(["run", str(cfg)]) == 0
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["inputs"][0]["path"] == "persons.csv" and len(manifest["inputs"][0]["sha256"]) == 64


def test_debug_shows_traceback(tmp_path, capsys):
    cfg = write_config(tmp_path, project={"seed": "x"})
    assert main(["run", str(cfg), "--debug"]) == 2
    assert "Traceback" in capsys.readouterr().err


def test_simulate_command_is_deterministic(tmp_path):
    assert main(["simulate", "--output-dir", str(tmp_path / "a"), "--seed", "3", "--n-participants", "200"]) == 0
    assert main(["simulate", "--output-dir", str(tmp_path / "b"), "--seed", "3", "--n-participants", "200"]) == 0
    files_a = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert "truth.json" in files_a and "persons.csv" in files_a
    for name in files_a:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert main(["simulate", "--output-dir", str(tmp_path / "a")]) == 2


def test_analyses_on_other_tables_of_the_run(tmp_path):
    """`table:` picks another table (each accounted in sample_flow_tables); a table name as a
    table-valued parameter (operations) passes that table; a file in data.tables is hashed."""
    cohort = simulate_cohort(300, seed=4, panel="none")
    cohort.operations.to_csv(tmp_path / "ops.csv", index=False)
    analyses = [
        {"name": "naive", "estimator": "difference_in_means", "outcome": "employed_6m"},
        {"name": "ind", "estimator": "programme_indicators", "table": "participations", "operations": "operations",
         "missing_targets": "report"},
        {"name": "ind_file", "estimator": "programme_indicators", "table": "participations", "operations": "ops.csv",
         "missing_targets": "report"},
    ]
    cfg = write_config(tmp_path, analyses=analyses, data={"synthetic": {"n_participants": 300, "seed": 4}})
    assert main(["run", str(cfg)]) == 0
    res = json.loads((tmp_path / "out" / "results.json").read_text())
    assert res["sample_flow_tables"]["participations"][0]["rows_in"] == len(cohort.participations)
    a, b = res["results"]["ind"]["indicators"], res["results"]["ind_file"]["indicators"]
    assert len(a) == len(b) > 0
    roles = {i.get("role"): i for i in res["manifest"]["inputs"]}
    assert len(roles["ind_file.operations"]["sha256"]) == 64
    assert (tmp_path / "out" / "tables" / "sample_flow_participations.csv").exists()


def test_unknown_table_is_a_config_error(tmp_path, capsys):
    cfg = write_config(tmp_path, analyses=[{"name": "x", "estimator": "difference_in_means", "outcome": "employed_6m",
                                            "table": "particpations"}])
    assert main(["run", str(cfg)]) == 2
    assert "analyses[0].table: unknown table 'particpations'" in capsys.readouterr().err


def test_psm_sensitivity_key_adds_rosenbaum_bounds_to_the_results(tmp_path):
    """``sensitivity:`` on a psm analysis stores ``<name>.sensitivity`` (rosenbaum_bounds on its matching)."""
    from iej_impact import psm, rosenbaum_bounds

    covs = ["age", "female", "isced_0_2"]
    analyses = [{"name": "m", "estimator": "psm", "outcome": "employed_12m", "covariates": covs,
                 "sensitivity": {"gammas": [1, 1.5, 2]}}]
    cfg = write_config(tmp_path, analyses=analyses)
    assert main(["run", str(cfg)]) == 0
    res = json.loads((tmp_path / "out" / "results.json").read_text())["results"]
    sens = res["m.sensitivity"]
    assert sens["bounds"]["gamma"] == [1.0, 1.5, 2.0] and sens["test"] == "mcnemar"
    # the same numbers as the library calls on the same sample
    persons = simulate_cohort(600, seed=3).persons.query("age >= 17")
    direct = rosenbaum_bounds(psm(persons, outcome="employed_12m", treatment="treated", covariates=covs)
                              .diagnostics["matching"], outcome="employed_12m", gammas=[1, 1.5, 2])
    assert sens["bounds"]["p_upper"] == pytest.approx(list(direct.to_frame()["p_upper"]), rel=1e-12)
    assert sens["critical_gamma"] == pytest.approx(direct.critical_gamma, rel=1e-12)


@pytest.mark.parametrize(
    ("sensitivity", "estimator", "pattern"),
    [
        ({"gamas": [1, 2]}, "psm", r"sensitivity\.gamas: unknown option 'gamas'.*Did you mean 'gammas'"),
        (True, "entropy_balancing", r"sensitivity: 'sensitivity' is not available.*Rosenbaum bounds apply to matched"),
        (True, "ipw", r"sensitivity: must be true, false or a mapping; for ipw: \{ovb: \.\.\., evalue: \.\.\., placebo_group: \.\.\.\}"),
        ({"ovb": {"kdd": [1]}}, "regression_adjustment", r"sensitivity\.ovb\.kdd: unknown option 'kdd'.*Did you mean 'kd'"),
        ({"evalues": True}, "ipw", r"sensitivity\.evalues: unknown sensitivity analysis 'evalues'.*Did you mean 'evalue'"),
        ({"ovb": True}, "psm", r"sensitivity\.ovb: unknown sensitivity analysis 'ovb' for psm"),
        ("yes", "psm", r"sensitivity: must be true, false or a mapping"),
    ],
)
def test_bad_sensitivity_key_names_its_location(tmp_path, sensitivity, estimator, pattern):
    from iej_impact.config import load_config
    from iej_impact.errors import ConfigError

    analyses = [{"name": "m", "estimator": estimator, "outcome": "employed_12m", "covariates": ["age"],
                 "sensitivity": sensitivity}]
    with pytest.raises(ConfigError, match=pattern):
        load_config(write_config(tmp_path, analyses=analyses))


def test_att_gt_aggregations_carry_the_true_value_on_synthetic_data(tmp_path):
    """The truth of an aggregation is the same aggregation of the cohort's true ATT(g,t); for
    'simple': sum over post-entry cells of n_g ATT(g,t) / sum of n_g, n_g the cohort's unit count."""
    analyses = [{"name": "cs", "estimator": "att_gt", "table": "panel", "outcome": "employed",
                 "control_group": "not_yet_treated", "anticipation": 3, "aggregate": ["simple", "dynamic"]}]
    data = {"synthetic": {"n_participants": 300, "table": "persons", "seed": 4}}
    sample = {"treatment": "treated", "unit": "person_id", "time": "period", "cohort": "first_treat_period"}
    cfg = write_config(tmp_path, analyses=analyses, data=data, sample=sample)
    assert main(["run", str(cfg)]) == 0
    res = json.loads((tmp_path / "out" / "results.json").read_text())["results"]
    cells = pd.DataFrame(res["cs"]["att_gt"])
    truth = simulate_cohort(300, seed=4).group_time.query("outcome == 'employed'")
    panel = simulate_cohort(300, seed=4).panel
    n_g = panel.drop_duplicates("person_id")["first_treat_period"].value_counts()
    post = cells[(cells["time"] >= cells["group"]) & cells["estimate"].notna()].merge(
        truth[["group", "time", "att"]], on=["group", "time"])
    w = post["group"].map(n_g).to_numpy(dtype=float)
    expected = float(np.sum(w * post["att"]) / w.sum())
    simple = res["cs.simple"]
    assert simple["true_value"] == pytest.approx(expected, rel=1e-10)
    assert simple["bias"] == pytest.approx(simple["estimate"] - expected, rel=1e-10)
    assert res["cs.dynamic"]["true_value"] is not None and res["cs.dynamic"]["ci_covers_truth"] in (True, False)


def test_dynamic_aggregation_window_from_the_config(tmp_path):
    """aggregate: [{dynamic: {min_e, max_e}}] reaches aggregate(); the true value uses the same window; the
    event-study plot draws the same window."""
    analyses = [{"name": "cs", "estimator": "att_gt", "table": "panel", "outcome": "employed",
                 "control_group": "not_yet_treated", "anticipation": 3, "base_period": "universal",
                 "aggregate": ["simple", {"dynamic": {"min_e": -6, "max_e": 6}}], "plots": ["event_study"]}]
    data = {"synthetic": {"n_participants": 300, "table": "persons", "seed": 4}}
    sample = {"treatment": "treated", "unit": "person_id", "time": "period", "cohort": "first_treat_period"}
    cfg = write_config(tmp_path, analyses=analyses, data=data, sample=sample)
    assert main(["run", str(cfg)]) == 0
    res = json.loads((tmp_path / "out" / "results.json").read_text())["results"]
    dyn = res["cs.dynamic"]
    assert [b["event_time"] for b in dyn["by"]] == list(range(-6, 7))
    assert dyn["spec"]["min_e"] == -6 and dyn["spec"]["max_e"] == 6
    assert dyn["base_period"] == "universal" and dyn["reference_event_time"] == -4 and dyn["pretrend_test"]["df"] == 2
    assert dyn["true_value"] is not None
    assert (tmp_path / "out" / "figures" / "cs_event_study.png").exists()
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["config"]["analyses"][0]["aggregate"] == ["simple", {"dynamic": {"min_e": -6, "max_e": 6}}]


def _aligned_csv(tmp_path: Path) -> Path:
    """A small panel of participants (entry period) and comparison units (reference period) as a CSV file."""
    rng = np.random.default_rng(8)
    n, periods = 240, 8
    part = np.arange(n) < 100
    g = rng.choice([4, 5, 6], size=n).astype(float)
    t = np.tile(np.arange(1, periods + 1), n)
    e = t - np.repeat(g, periods)
    y = np.repeat(rng.normal(size=n), periods) + 0.1 * t + 0.5 * (np.repeat(part, periods) & (e >= 0)) \
        + rng.normal(scale=0.5, size=n * periods)
    frame = pd.DataFrame({"person": np.repeat(np.arange(n), periods), "month": t, "employed": y,
                          "entry": np.repeat(np.where(part, g, np.nan), periods),
                          "pseudo_entry": np.repeat(np.where(part, np.nan, g), periods)})
    path = tmp_path / "panel.csv"
    frame.to_csv(path, index=False)
    return path


def test_aligned_did_runs_from_a_config(tmp_path):
    _aligned_csv(tmp_path)
    analyses = [{"name": "aligned", "estimator": "aligned_did", "outcome": "employed", "reference": "pseudo_entry",
                 "window": [-3, 3], "aggregate": [{"dynamic": {"min_e": -2}}, "simple"], "plots": ["event_study"]}]
    cfg = write_config(tmp_path, analyses=analyses, data={"path": "panel.csv"},
                       sample={"unit": "person", "time": "month", "cohort": "entry"})
    assert main(["validate", str(cfg)]) == 0
    assert main(["run", str(cfg)]) == 0
    res = json.loads((tmp_path / "out" / "results.json").read_text())["results"]
    main_res, dyn = res["aligned"], res["aligned.dynamic"]
    assert main_res["method"] == "aligned_did" and (main_res["n_treated"], main_res["n_control"]) == (100, 140)
    assert {c["event_time"] for c in main_res["att_gt"]} == set(range(-3, 4))
    assert [b["event_time"] for b in dyn["by"]] == list(range(-2, 4)) and dyn["n_treated"] == 100
    assert dyn["estimate"] == pytest.approx(0.5, abs=0.2) and res["aligned.simple"]["std_error"] > 0
    assert (tmp_path / "out" / "figures" / "aligned_event_study.png").exists()
    assert (tmp_path / "out" / "tables" / "aligned.dynamic.csv").exists()


def test_aligned_did_config_errors_name_their_location(tmp_path, capsys):
    _aligned_csv(tmp_path)
    sample = {"unit": "person", "time": "month", "cohort": "entry"}
    analyses = [{"name": "aligned", "estimator": "aligned_did", "outcome": "employed", "reference": "pseudo_entri"}]
    cfg = write_config(tmp_path, analyses=analyses, data={"path": "panel.csv"}, sample=sample)
    assert main(["validate", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert "analyses[0].reference" in err and "Did you mean 'pseudo_entry'" in err
    analyses[0].update(reference="pseudo_entry", aggregate=[{"dynamic": {"max_e": "six"}}])
    cfg = write_config(tmp_path, analyses=analyses, data={"path": "panel.csv"}, sample=sample)
    assert main(["run", str(cfg)]) == 2
    assert "analyses[0].aggregate.dynamic.max_e" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_honest_did_sensitivity_on_an_event_study(tmp_path):
    """``sensitivity: {honest_did: ...}`` stores ``<name>.honest_did`` (a list: one key per restriction), with
    its table and sensitivity figure; the numbers are those of honest_did() on the analysis' result."""
    from iej_impact import event_study, honest_did

    opts = {"restriction": "relative_magnitude", "mbar": [0, 1], "window": [-4, 2]}
    analyses = [
        {"name": "es", "estimator": "event_study", "table": "panel", "outcome": "employed", "window": [-6, 6],
         "sensitivity": {"honest_did": opts}},
        {"name": "es2", "estimator": "event_study", "table": "panel", "outcome": "employed", "window": [-6, 6],
         "sensitivity": {"honest_did": [opts, {"restriction": "smoothness", "m": [0, 0.01], "window": [-4, 2]}]}},
    ]
    data = {"synthetic": {"n_participants": 300, "table": "persons", "seed": 4}}
    sample = {"treatment": "treated", "unit": "person_id", "time": "period", "cohort": "first_treat_period"}
    cfg = write_config(tmp_path, analyses=analyses, data=data, sample=sample)
    assert main(["run", str(cfg)]) == 0
    out = tmp_path / "out"
    res = json.loads((out / "results.json").read_text())["results"]
    assert set(res) >= {"es.honest_did", "es2.honest_did.relative_magnitude", "es2.honest_did.smoothness"}
    hd = res["es.honest_did"]
    assert hd["method"] == "honest_did" and hd["restriction"] == "relative_magnitude" and "estimate" not in hd
    assert [b["mbar"] for b in hd["bounds"]] == [0.0, 1.0]
    assert (out / "figures" / "es.honest_did_sensitivity.png").exists()
    assert (out / "tables" / "es2.honest_did.smoothness.csv").exists()
    panel = simulate_cohort(300, seed=4).panel
    direct = honest_did(event_study(panel, outcome="employed", unit="person_id", time="period",
                                    cohort="first_treat_period", window=(-6, 6)), **opts)
    assert [b["ci_lower"] for b in hd["bounds"]] == pytest.approx(list(direct.bounds["ci_lower"]), rel=1e-9)
    assert "HonestDiD" in (out / "report.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("sensitivity", "pattern"),
    [
        ({"honest_did": {"mbars": [1]}}, r"sensitivity\.honest_did\.mbars: unknown option 'mbars'.*Did you mean 'mbar'"),
        ({"gammas": [1, 2]}, r"sensitivity\.gammas: unknown sensitivity analysis 'gammas' for event_study"),
        ({"honest_did": [{"mbar": [1]}, {"mbar": [2]}]}, r"sensitivity\.honest_did\[1\]: two entries with restriction"),
        ({"honest_did": ["x"]}, r"sensitivity\.honest_did\[0\]: must be true or a mapping"),
        ({"honest_did": {"restriction": "smooth"}}, r"sensitivity\.honest_did: .*restriction"),
        ({"honest_did": {"mbar": [-1, 1]}}, r"sensitivity\.honest_did: 'mbar' must be a list of numbers >= 0"),
        ({"honest_did": {"restriction": "smoothness", "mbar": [1]}}, r"'mbar' is not a parameter of the smoothness"),
        ({"honest_did": {"e": "mean"}}, r"sensitivity\.honest_did: the 'e' parameter"),
    ],
)
def test_bad_honest_did_key_names_its_location(tmp_path, sensitivity, pattern):
    from iej_impact.config import load_config
    from iej_impact.errors import ConfigError

    analyses = [{"name": "m", "estimator": "event_study", "table": "panel", "outcome": "employed",
                 "sensitivity": sensitivity}]
    with pytest.raises(ConfigError, match=pattern):
        load_config(write_config(tmp_path, analyses=analyses))
