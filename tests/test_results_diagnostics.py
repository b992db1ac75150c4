"""results.json records the diagnostics that reproduce a result as fields (report/_diagnostics.py)."""

from __future__ import annotations

import json
import warnings

import pytest
import yaml

from iej_impact import ipw, psm, simulate_cohort
from iej_impact.report._diagnostics import result_diagnostics
from iej_impact.runner import run

COVS = ["female", "age", "rural", "unemp_duration_months"]


def _longest_list(value: object) -> int:
    if isinstance(value, dict):
        return max((_longest_list(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return max([len(value), *(_longest_list(v) for v in value)])
    return 0


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("diag")
    cfg = {
        "version": 1,
        "project": {"name": "diag", "output_dir": "out", "seed": 5},
        "data": {"synthetic": {"n_participants": 400, "table": "persons", "seed": 3}},
        "sample": {"treatment": "treated"},
        "analyses": [
            {"name": "psm", "estimator": "psm", "outcome": "employed_12m", "covariates": COVS, "caliper": 0.1},
            {"name": "ipw", "estimator": "ipw", "outcome": "employed_12m", "covariates": COVS, "estimand": "ATT",
             "trim": {"method": "drop", "bounds": [0.02, 0.98]}},
            {"name": "balance", "estimator": "balance_table", "covariates": COVS},
        ],
        "report": {"formats": []},
    }
    path = tmp / "config.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run(path)
    persons = simulate_cohort(n_participants=400, seed=3).persons
    return json.loads((tmp / "out" / "results.json").read_text())["results"], persons


def test_matching_records_the_caliper_as_given_and_as_used(recorded):
    results, persons = recorded
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        direct = psm(persons, outcome="employed_12m", treatment="treated", covariates=COVS, caliper=0.1,
                     random_state=5)
    m = direct.diagnostics["matching"]
    got = results["psm"]["diagnostics"]["matching"]
    assert got["caliper"] == {"given": 0.1, "scale": "sd", "in_distance_units": pytest.approx(m.caliper, rel=1e-12)}
    assert got["replace"] is False and got["ties"] is False and got["ratio"] == 1
    sizes = m.sample_sizes
    for sample in ("all", "matched", "unmatched", "discarded"):
        for arm in ("treated", "control"):
            assert got["units_by_arm"][sample][arm] == int(sizes.loc[sample, arm])
            assert isinstance(got["units_by_arm"][sample][arm], int)
    assert got["units_by_arm"]["matched"]["treated"] == results["psm"]["n_treated"]
    ps = results["psm"]["diagnostics"]["propensity"]
    assert ps["model"] == "logit" and ps["converged"] is True and ps["overlap"]["estimand"] == "ATT"
    assert ps["overlap"]["treated"]["n"] + ps["overlap"]["control"]["n"] == ps["n_obs"]
    assert results["psm"]["diagnostics"]["se_score_known"] == pytest.approx(direct.diagnostics["se_score_known"])


def test_weighting_records_overlap_trimming_and_weights(recorded):
    results, persons = recorded
    direct = ipw(persons, outcome="employed_12m", treatment="treated", covariates=COVS, estimand="ATT",
                 trim={"method": "drop", "bounds": [0.02, 0.98]}, random_state=5)
    got = results["ipw"]["diagnostics"]
    assert got == json.loads(json.dumps(result_diagnostics(direct)))
    overlap = direct.diagnostics["overlap"]
    assert got["propensity"]["overlap"]["control"]["ess"] == pytest.approx(overlap.loc["control", "ess"], rel=1e-12)
    assert got["trimming"]["bounds"] == [0.02, 0.98]
    assert got["weights"]["treated"]["n"] == int(direct.diagnostics["weights_summary"].loc["treated", "n"])


def test_diagnostics_stay_small_and_only_where_there_are_some(recorded):
    results, _ = recorded
    assert "diagnostics" not in results["balance"]
    for name in ("psm", "ipw"):
        assert _longest_list(results[name]["diagnostics"]) <= len(COVS) + 1  # no per-unit array
