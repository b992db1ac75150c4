"""``sensitivity: {ovb: ..., evalue: ...}`` in a run configuration: results.json keys, tables, the report and
its contour figure, and the checks made before anything is estimated."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from iej_impact import evalue, ovb_sensitivity, regression_adjustment, simulate_cohort
from iej_impact.cli import main
from iej_impact.config import load_config

COVS = ["age", "female", "jobless_household", "isced_0_2"]


def _config(tmp_path, sensitivity, estimator="regression_adjustment", outcome="employed_12m", **extra):
    cfg = {
        "version": 1,
        "project": {"name": "t", "output_dir": "out", "seed": 7},
        "data": {"synthetic": {"n_participants": 600, "table": "persons", "seed": 3}},
        "sample": {"treatment": "treated", "filters": ["age >= 17"]},
        "analyses": [{"name": "ra", "estimator": estimator, "outcome": outcome, "covariates": COVS, "estimand": "ATT",
                      "sensitivity": sensitivity, **extra}],
        "report": {"title": "T", "language": "en"},
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return path


def test_run_stores_ovb_and_evalue_beside_the_estimate(tmp_path) -> None:
    sens = {"ovb": {"benchmark": ["age", "jobless_household"], "kd": [1, 2, 3]}, "evalue": True}
    assert main(["run", str(_config(tmp_path, sens))]) == 0
    out = tmp_path / "out"
    results = json.loads((out / "results.json").read_text())["results"]
    assert set(results) == {"ra", "ra.ovb", "ra.evalue"}
    ovb, ev = results["ra.ovb"], results["ra.evalue"]
    assert [s["scenario"] for s in ovb["scenarios"]] == [f"{k}x {c}" for c in ("age", "jobless_household")
                                                          for k in (1, 2, 3)]
    assert ovb["source"]["estimate"] == results["ra"]["estimate"] and ovb["method"] == "ovb_cinelli_hazlett"
    assert ev["source"]["estimate"] == results["ra"]["estimate"] and ev["evalue"] >= 1
    # the same numbers as the library's calls on the same sample
    persons = simulate_cohort(600, seed=3).persons.query("age >= 17")
    ra = regression_adjustment(persons, outcome="employed_12m", treatment="treated", covariates=COVS, estimand="ATT")
    direct = ovb_sensitivity(persons, result=ra, benchmark=["age", "jobless_household"], kd=[1, 2, 3])
    assert ovb["rv_q"] == pytest.approx(direct.rv_q, rel=1e-12)
    assert ev["evalue"] == pytest.approx(evalue(ra).evalue_point, rel=1e-12)
    # tables, the contour figure, the report (effects table unchanged: one effect row)
    assert (out / "tables" / "ra.ovb.csv").exists() and (out / "tables" / "ra.evalue.csv").exists()
    assert (out / "figures" / "ra.ovb_contour.png").exists()
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Omitted-variable sensitivity" in html and "E-value" in html and "1x jobless_household" in html
    effects = (out / "tables" / "effects.csv").read_text().splitlines()
    assert len(effects) == 2
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["config"]["analyses"][0]["sensitivity"]["ovb"]["kd"] == [1, 2, 3]


def test_psm_keeps_its_rosenbaum_key_and_accepts_the_method_form(tmp_path) -> None:
    cfg = load_config(_config(tmp_path, {"rosenbaum": {"gammas": [1, 2]}}, estimator="psm"))
    assert cfg.analyses[0].sensitivity == {"rosenbaum": {"gammas": [1, 2]}}
    cfg = load_config(_config(tmp_path, True, estimator="psm"))
    assert cfg.analyses[0].sensitivity == {"rosenbaum": {}}


@pytest.mark.parametrize(("sensitivity", "outcome", "pattern"), [
    ({"ovb": {"benchmark": ["territory_id"]}}, "employed_12m",
     r"analyses\[0\]\.sensitivity\.ovb: .*benchmark covariate\(s\) \['territory_id'\] are not among the covariates"),
    ({"ovb": {"kd": "two"}}, "employed_12m", r"analyses\[0\]\.sensitivity\.ovb: .*'kd'.*numbers"),
    ({"evalue": True}, "emp_months_pre12", r"analyses\[0\]\.sensitivity\.evalue: an E-value needs a 0/1 outcome"),
])
def test_validate_finds_sensitivity_mistakes_before_estimating(tmp_path, capsys, sensitivity, outcome, pattern) -> None:
    assert main(["validate", str(_config(tmp_path, sensitivity, outcome=outcome))]) == 2
    assert re.search(pattern, capsys.readouterr().err)


def test_ipw_and_doubly_robust_accept_both(tmp_path) -> None:
    for est in ("ipw", "doubly_robust"):
        cfg = load_config(_config(tmp_path, {"ovb": True, "evalue": {"null_value": 1.1}}, estimator=est))
        assert cfg.analyses[0].sensitivity == {"ovb": {}, "evalue": {"null_value": 1.1}}
