"""Grid analyses in a run: outcome lists and subgroups expanded into named cells, p-values adjusted across the grid,
equality across subgroup levels, cost per additional outcome, comparison tables; config errors with locations."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from statsmodels.stats.multitest import multipletests

from iej_impact import subgroup_equality_test
from iej_impact._config_grid import cell_name, file_stem
from iej_impact.cli import main
from iej_impact.config import parse_config
from iej_impact.errors import ConfigError

COVS = ["female", "age", "isced_0_2", "jobless_household"]


def config(**analysis):
    entry = {"name": "ipw", "estimator": "ipw", "outcome": ["employed_6m", "employed_12m"], "covariates": COVS,
             "estimand": "ATT", **analysis}
    return {"version": 1, "project": {"name": "g", "output_dir": "out", "seed": 5},
            "data": {"synthetic": {"n_participants": 500, "table": "persons", "seed": 3, "panel": "none"}},
            "sample": {"treatment": "treated"}, "analyses": [entry], "report": {"formats": []}}


def write(tmp_path: Path, cfg: dict) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return path


def test_cell_names():
    assert cell_name("a", "y1") == "a[outcome=y1]"
    assert cell_name("a", "y1", "female", 1.0) == "a[outcome=y1,subgroup=female:1]"
    assert cell_name("a", "y", "territory_id", "T 03", outcome_list=False) == "a[subgroup=territory_id:T 03]"
    assert cell_name("a", "y", outcome_list=False) == "a"
    assert file_stem("a[outcome=y1,subgroup=territory_id:T 03/b]") == "a[outcome=y1,subgroup=territory_id=T_03_b]"


def test_grid_keys_parse_and_appear_in_the_resolved_config():
    cfg = parse_config(config(subgroups="female", cost={"amount": "1.2e6"}))
    spec = cfg.analyses[0]
    assert spec.params["outcome"] == ["employed_6m", "employed_12m"]
    assert spec.grid == {"subgroups": ["female"], "cost": {"amount": 1.2e6}}
    resolved = cfg.resolved()["analyses"][0]
    assert resolved["subgroups"] == ["female"] and resolved["cost"] == {"amount": 1.2e6}


@pytest.mark.parametrize(("analysis", "pattern"), [
    ({"outcome": []}, r"^analyses\[0\]\.outcome: an empty list"),
    ({"outcome": ["y", 3]}, r"^analyses\[0\]\.outcome\[1\]: must be a column name"),
    ({"outcome": ["y", "y"]}, r"^analyses\[0\]\.outcome\[1\]: the outcome 'y' is listed twice"),
    ({"subgroups": [["female"]]}, r"^analyses\[0\]\.subgroups\[0\]: must be a column name"),
    ({"subgroups": {"female": 1}}, r"^analyses\[0\]\.subgroups: must be a column name or a list"),
    ({"cost": {"amount": -3}}, r"^analyses\[0\]\.cost\.amount: must be a positive number"),
    ({"cost": {"amount": 3, "operations": "operations"}}, r"^analyses\[0\]\.cost: give exactly one"),
    ({"cost": {"amonut": 3}}, r"^analyses\[0\]\.cost\.amonut: unknown key.*Did you mean 'amount'"),
    ({"cost": {"amount": 3, "method": "fieler"}}, r"^analyses\[0\]\.cost\.method: .*Did you mean 'fieller'"),
    ({"cost": {"amount": 3, "alpha": 2}}, r"^analyses\[0\]\.cost\.alpha"),
    ({"estimator": "balance_table", "outcome": None, "estimand": None, "subgroups": ["female"]},
     r"^analyses\[0\]\.subgroups: subgroups are for estimators of an effect"),
    ({"estimator": "att_gt", "outcome": "employed", "covariates": None, "estimand": None, "cost": {"amount": 1}},
     r"^analyses\[0\]\.cost: a cost per additional outcome needs one effect"),
])
def test_grid_config_errors_name_their_location(analysis, pattern):
    cfg = config(**analysis)
    cfg["analyses"][0] = {k: v for k, v in cfg["analyses"][0].items() if v is not None}
    with pytest.raises(ConfigError, match=pattern):
        parse_config(cfg)


@pytest.mark.parametrize(("analysis", "expected"), [
    ({"subgroups": ["femal"]}, "analyses[0].subgroups[0]: column 'femal' not found in the data. Did you mean 'female'"),
    ({"subgroups": ["person_id"]}, "analyses[0].subgroups[0]: the column 'person_id' has 1500 distinct values"),
    ({"outcome": ["employed_6m", "employed_13m"]}, "analyses[0].outcome: column 'employed_13m' not found"),
    ({"cost": {"operations": "ops.csv"}}, "analyses[0].cost.operations: 'ops.csv' is neither a table of the run"),
    ({"cost": {"operations": "operations", "column": "amount"}}, "analyses[0].cost.column: the table 'operations' "
                                                                 "has no column 'amount'"),
])
def test_grid_errors_found_before_estimation_exit_2(tmp_path, capsys, analysis, expected):
    path = write(tmp_path, config(**analysis))
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err


@pytest.fixture(scope="module")
def grid_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("grid")
    cfg = config(subgroups=["female"], cost={"operations": "operations"})
    cfg["analyses"].append({"name": "ra", "estimator": "regression_adjustment", "outcome": "employed_12m",
                            "covariates": COVS, "estimand": "ATT", "cost": {"amount": 2.5e6, "method": "fieller"}})
    path = write(tmp, cfg)
    assert main(["run", str(path)]) == 0
    out = tmp / "out"
    return out, json.loads((out / "results.json").read_text(encoding="utf-8"))


def test_grid_cells_are_named_and_written(grid_run):
    out, results = grid_run
    cells = [f"ipw[outcome={o}{s}]" for o in ("employed_6m", "employed_12m")
             for s in ("", ",subgroup=female:0", ",subgroup=female:1")]
    assert set(cells) <= set(results["results"])
    assert "ipw" not in results["results"]
    for cell in cells:
        assert (out / "tables" / f"{file_stem(cell)}.csv").is_file()
    grid = results["grid"]["ipw"]
    assert [c["name"] for c in grid["cells"]] == [cells[0], cells[1], cells[2], cells[3], cells[4], cells[5]]
    assert grid["family_size"] == 6 and "Romano-Wolf" in grid["notes"][0]
    assert (out / "tables" / "grid_ipw.csv").is_file() and (out / "tables" / "grid_ipw_equality.csv").is_file()


def test_adjusted_p_values_match_multipletests_across_the_grid(grid_run):
    _, results = grid_run
    cells = results["grid"]["ipw"]["cells"]
    raw = np.array([c["p_value"] for c in cells])
    for key, method in (("p_value_holm", "holm"), ("p_value_bh", "fdr_bh")):
        expected = multipletests(raw, method=method)[1]
        np.testing.assert_allclose([c[key] for c in cells], expected, rtol=1e-12)
        np.testing.assert_allclose([results["results"][c["name"]][key] for c in cells], expected, rtol=1e-12)
        assert all(results["results"][c["name"]]["p_value"] == c["p_value"] for c in cells)
    assert "p_value_holm" not in results["results"]["ra"]  # not a grid


def test_subgroup_equality_test_from_the_cells(grid_run):
    _, results = grid_run
    grid = results["grid"]["ipw"]
    for test in grid["equality_tests"]:
        levels = [c for c in grid["cells"] if c["outcome"] == test["outcome"] and c["subgroup"] == "female"]
        b = np.array([c["estimate"] for c in levels])
        v = np.array([c["std_error"] for c in levels]) ** 2
        direct = (b[0] - b[1]) ** 2 / (v[0] + v[1])  # two independent samples
        assert test["statistic"] == pytest.approx(direct, rel=1e-12) and test["df"] == 1
        assert test["statistic"] == pytest.approx(subgroup_equality_test(b, np.sqrt(v))["statistic"])
        # robust (unit-level) influence functions on disjoint levels: uncorrelated, the same statistic
        assert test["test"] == "wald_influence_functions" and test["levels"] == ["0", "1"]


def test_constant_covariate_is_dropped_with_a_note(grid_run):
    _, results = grid_run
    cell = results["results"]["ipw[outcome=employed_12m,subgroup=female:1]"]
    assert any("'female' is constant in the subgroup female:1" in n for n in cell["notes"])
    assert "female" in results["results"]["ipw[outcome=employed_12m]"]["spec"].get("covariates", COVS)


def test_subgroup_truth_on_synthetic_data(grid_run):
    _, results = grid_run
    whole = results["results"]["ipw[outcome=employed_12m]"]["true_value"]
    by_sex = [results["results"][f"ipw[outcome=employed_12m,subgroup=female:{k}]"]["true_value"] for k in (0, 1)]
    n1 = [results["results"][f"ipw[outcome=employed_12m,subgroup=female:{k}]"]["n_treated"] for k in (0, 1)]
    assert min(by_sex) < whole < max(by_sex) or by_sex[0] == pytest.approx(by_sex[1])
    assert np.average(by_sex, weights=n1) == pytest.approx(whole, rel=1e-9)


def test_costs_and_comparisons_in_the_run(grid_run):
    out, results = grid_run
    cost = results["results"]["ipw[outcome=employed_12m].cost"]
    assert cost["cost_source"].startswith("operations table") and cost["cost"] > 0
    assert cost["cost_per_participant"] == pytest.approx(cost["cost"] / cost["n_treated"])
    assert cost["ci_method"] in ("delta", "fieller") and "true_value" not in cost
    ra = results["results"]["ra.cost"]
    assert ra["ci_method"] == "fieller" and ra["cost"] == 2.5e6
    assert "ipw[outcome=employed_6m,subgroup=female:0].cost" not in results["results"]
    comp = results["comparisons"]
    assert list(comp) == ["employed_6m", "employed_12m"]
    assert [r["name"] for r in comp["employed_12m"]] == ["ipw[outcome=employed_12m]", "ra"]
    assert all(r["truth"] is not None for r in comp["employed_12m"])
    assert (out / "tables" / "compare_employed_12m.csv").is_file()
    assert (out / "figures" / "compare_employed_12m.png").is_file()


# --- horizons: one outcome at several horizons, columns named by a template


@pytest.mark.parametrize(("analysis", "pattern"), [
    ({"outcome_horizons": []}, r"^analyses\[0\]\.outcome_horizons: must be a list of horizons"),
    ({"outcome_horizons": [6, 6]}, r"^analyses\[0\]\.outcome_horizons\[1\]: the horizon 6 is listed twice"),
    ({"outcome_horizons": [6, 1.5]}, r"^analyses\[0\]\.outcome_horizons\[1\]: a horizon is an integer or a short"),
    ({"outcome_horizons": ["6 m"]}, r"^analyses\[0\]\.outcome_horizons\[0\]: a horizon is an integer or a short"),
    ({"outcome_horizons": [6], "horizon_column": "{outcome}_m"}, r"^analyses\[0\]\.horizon_column: must be a text "
                                                                  r"holding \{horizon\}"),
    ({"outcome_horizons": [6], "horizon_column": "{outcome}_{horizon}{x}"},
     r"^analyses\[0\]\.horizon_column: only \{outcome\} and \{horizon\}"),
    ({"outcome_horizons": [6], "horizon_column": "{horizon.__class__}{horizon}"},
     r"^analyses\[0\]\.horizon_column: only \{outcome\} and \{horizon\}"),
    ({"outcome": ["employed", "training"], "outcome_horizons": [6], "horizon_column": "y_{horizon}m"},
     r"^analyses\[0\]\.horizon_column: 'y_\{horizon\}m' gives the same column for every outcome"),
    ({"horizon_column": "{outcome}_{horizon}m"}, r"^analyses\[0\]\.horizon_column: .*give the horizons too"),
    ({"estimator": "balance_table", "outcome": None, "estimand": None, "outcome_horizons": [6]},
     r"^analyses\[0\]\.outcome_horizons: horizons are for estimators of an effect"),
])
def test_horizon_config_errors_name_their_location(analysis, pattern):
    cfg = config(**{"outcome": "employed", **analysis})
    cfg["analyses"][0] = {k: v for k, v in cfg["analyses"][0].items() if v is not None}
    with pytest.raises(ConfigError, match=pattern):
        parse_config(cfg)


def test_a_horizon_column_missing_from_the_data_is_found_by_validate(tmp_path, capsys):
    path = write(tmp_path, config(outcome="employed", outcome_horizons=[6, 24], horizon_column="{outcome}_{horizon}m"))
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert ("analyses[0].outcome_horizons[1]: the outcome 'employed' at horizon 24 is the column 'employed_24m' "
            "(horizon_column '{outcome}_{horizon}m'), which is not in the data") in err
    assert "Did you mean 'employed_12m'" in err or "Did you mean 'employed_18m'" in err


def test_imputation_did_keeps_its_own_horizons_parameter():
    cfg = config(estimator="imputation_did", outcome="employed", covariates=None, estimand=None, horizons=[0, 1, 2])
    cfg["analyses"][0] = {k: v for k, v in cfg["analyses"][0].items() if v is not None}
    spec = parse_config(cfg).analyses[0]
    assert spec.params["horizons"] == [0, 1, 2] and spec.grid == {}


def test_outcomes_at_horizons_by_subgroup(tmp_path):
    cfg = config(outcome=["employed", "training"], outcome_horizons=[6, 12], horizon_column="{outcome}_{horizon}m",
                 subgroups=["female"])
    path = write(tmp_path, cfg)
    assert main(["run", str(path)]) == 0
    results = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    grid = results["grid"]["ipw"]
    assert grid["horizons"] == [6, 12] and grid["horizon_column"] == "{outcome}_{horizon}m"
    whole = [c for c in grid["cells"] if c["subgroup"] is None]
    assert [(c["name"], c["outcome"], c["horizon"]) for c in whole] == [
        ("ipw[outcome=employed,horizon=6]", "employed_6m", 6), ("ipw[outcome=employed,horizon=12]", "employed_12m", 12),
        ("ipw[outcome=training,horizon=6]", "training_6m", 6), ("ipw[outcome=training,horizon=12]", "training_12m", 12)]
    assert "ipw[outcome=training,horizon=12,subgroup=female:1]" in results["results"]
    assert len(grid["cells"]) == 12 and grid["family_size"] == 12
    assert [(t["outcome"], t["horizon"]) for t in grid["equality_tests"]] == [
        ("employed_6m", 6), ("employed_12m", 12), ("training_6m", 6), ("training_12m", 12)]
    # the cell at a horizon is the analysis of that column: the same estimate as naming the column
    direct = config(outcome="training_12m")
    path = write(tmp_path / "direct", direct) if (tmp_path / "direct").mkdir() is None else None
    assert main(["run", str(path)]) == 0
    alone = json.loads((tmp_path / "direct" / "out" / "results.json").read_text(encoding="utf-8"))["results"]["ipw"]
    assert results["results"]["ipw[outcome=training,horizon=12]"]["estimate"] == alone["estimate"]
    assert results["results"]["ipw[outcome=training,horizon=12]"]["true_value"] == alone["true_value"]
    assert list(results["comparisons"]) == ["employed_6m", "employed_12m", "training_6m", "training_12m"]


def test_equality_test_uses_the_clusters_shared_by_the_levels():
    """Levels (sex) that share clusters (territories): the levels' estimates are correlated through the
    cluster sums of their influence functions, which the test uses (checked against a groupby computation)."""
    import warnings

    import pandas as pd

    import iej_impact as iej
    from iej_impact.synthesis import influence_correlation

    persons = iej.simulate_cohort(800, seed=4, panel="none").persons
    se = {"type": "clustered", "by": "territory_id"}
    levels = [persons[persons["female"] == k] for k in (0, 1)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = [iej.ipw(rows, outcome="employed_12m", treatment="treated", covariates=["age", "isced_0_2"], se=se)
               for rows in levels]
    sums = [pd.Series(r.influence / len(rows), index=rows.index).groupby(rows["territory_id"]).sum()
            for r, rows in zip(res, levels, strict=True)]
    both = pd.concat(sums, axis=1).fillna(0.0).to_numpy()
    cov = both.T @ both
    expected = cov[0, 1] / np.sqrt(cov[0, 0] * cov[1, 1])
    corr = influence_correlation(res, [rows.index for rows in levels], persons["territory_id"])
    assert corr[0, 1] == pytest.approx(expected, rel=1e-10) and abs(expected) > 1e-3
    b = np.array([r.estimate for r in res])
    s = np.array([r.std_error for r in res])
    test = subgroup_equality_test(b, s, ["0", "1"], correlation=corr)
    direct = (b[1] - b[0]) ** 2 / (s[0] ** 2 + s[1] ** 2 - 2 * corr[0, 1] * s[0] * s[1])
    assert test["statistic"] == pytest.approx(direct, rel=1e-10) and test["test"] == "wald_influence_functions"
    assert subgroup_equality_test(b, s, ["0", "1"])["statistic"] != pytest.approx(direct, rel=1e-6)
