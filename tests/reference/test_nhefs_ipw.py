"""ipw() on NHEFS against Hernan & Robins, "Causal Inference: What If" (2020), ch. 12.

Data: tests/reference/data/nhefs.csv, extracted from the causaldata package (0.1.5) by
tests/reference/generate/extract_nhefs.py (causaldata is not needed to run the tests). Expected numbers:
tests/reference/data/nhefs_ipw.json, written by tests/reference/generate/nhefs_ipw.R (R 4.2.2, geepack
1.3.9), which runs the book's programs 12.2 (non-stabilized weights) and 12.3 (stabilized weights):

    glm(qsmk ~ sex + race + age + I(age^2) + as.factor(education) + smokeintensity + I(smokeintensity^2)
        + smokeyrs + I(smokeyrs^2) + as.factor(exercise) + as.factor(active) + wt71 + I(wt71^2), binomial)
    geeglm(wt82_71 ~ qsmk, weights = w, id = seqn, corstr = "independence")

The book reports an ATE of 3.4 kg (95% CI 2.4 to 4.5) with the GEE sandwich SE, which treats the weights as
known and is conservative. ipw() accounts for the estimated score; its SE is checked against the same R
script's stacked M-estimation sandwich with a finite-difference Jacobian (an independent implementation).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from iej_impact import ipw
from iej_impact.errors import DataError

pytestmark = pytest.mark.reference

DATA = Path(__file__).parent / "data"
COVS = ["sex", "race", "age", "age2", "education", "smokeintensity", "smokeintensity2", "smokeyrs", "smokeyrs2",
        "exercise", "active", "wt71", "wt712"]


@pytest.fixture(scope="module")
def nhefs_all() -> pd.DataFrame:
    d = pd.read_csv(DATA / "nhefs.csv")
    for c in ("education", "exercise", "active"):  # R's as.factor(): dummies with the first level as reference
        d[c] = d[c].astype(str)
    for c in ("age", "smokeintensity", "smokeyrs", "wt71"):
        d[c + "2"] = d[c].astype(float) ** 2
    return d


@pytest.fixture(scope="module")
def nhefs(nhefs_all: pd.DataFrame) -> pd.DataFrame:
    return nhefs_all[nhefs_all["wt82_71"].notna()].reset_index(drop=True)


@pytest.fixture(scope="module")
def ref() -> dict:
    with open(DATA / "nhefs_ipw.json") as fh:
        return json.load(fh)


def test_missing_outcomes_are_refused_with_counts(nhefs_all):
    with pytest.raises(DataError, match=r"missing .* for 63 of 1629 units \(25 treated, 38 control"):
        ipw(nhefs_all, outcome="wt82_71", treatment="qsmk", covariates=COVS)


def test_hernan_robins_program_12_2(nhefs, ref):
    res = ipw(nhefs, outcome="wt82_71", treatment="qsmk", covariates=COVS)
    assert len(nhefs) == ref["n"] == 1566
    # R glm + geeglm, program 12.2: 3.440535
    assert res.estimate == pytest.approx(ref["ate"], rel=1e-6)
    assert round(res.estimate, 1) == 3.4  # the book's rounded estimate
    pom = res.diagnostics["potential_outcome_means"]
    assert pom.loc["treated", "estimate"] == pytest.approx(ref["mu1"], rel=1e-6)
    assert pom.loc["control", "estimate"] == pytest.approx(ref["mu0"], rel=1e-6)
    # stacked sandwich with a finite-difference Jacobian (R script): agreement to the finite-difference precision
    assert res.std_error == pytest.approx(ref["se_stacked"], rel=1e-5)
    assert pom.loc["treated", "std_error"] == pytest.approx(ref["se_stacked_mu1"], rel=1e-5)
    assert pom.loc["control", "std_error"] == pytest.approx(ref["se_stacked_mu0"], rel=1e-5)
    # accounting for the estimated score narrows the book's conservative interval (2.4, 4.5)
    assert res.std_error < ref["se_gee_conservative"]
    assert ref["ci_gee"][0] < res.ci_lower < res.ci_upper < ref["ci_gee"][1]
    assert round(ref["ci_gee"][0], 1) == 2.4 and round(ref["ci_gee"][1], 1) == 4.5


def test_propensity_model_matches_r_glm(nhefs, ref):
    res = ipw(nhefs, outcome="wt82_71", treatment="qsmk", covariates=COVS)
    params = res.diagnostics["propensity"].params
    r = ref["ps_coef"]
    mapping = {"Intercept": "(Intercept)", "age2": "I(age^2)", "smokeintensity2": "I(smokeintensity^2)",
               "smokeyrs2": "I(smokeyrs^2)", "wt712": "I(wt71^2)"}
    for name, value in params.items():
        if "[" in name:  # education[2] -> as.factor(education)2
            col, level = name[:-1].split("[")
            key = f"as.factor({col}){level}"
        else:
            key = mapping.get(name, name)
        assert value == pytest.approx(r[key], rel=1e-6, abs=1e-9), name
    # the book's weight summary: mean 2.0, max 16.7 (non-stabilized)
    w = res.diagnostics["weights"]
    assert w.mean() == pytest.approx(ref["weights_mean"], rel=1e-6)
    assert w.max() == pytest.approx(ref["weights_max"], rel=1e-6)


def test_hernan_robins_program_12_3_stabilized(nhefs, ref):
    res = ipw(nhefs, outcome="wt82_71", treatment="qsmk", covariates=COVS, stabilized=True)
    assert res.estimate == pytest.approx(ref["ate_stabilized"], rel=1e-6)
    sw = res.diagnostics["weights"]
    assert sw.mean() == pytest.approx(ref["stabilized_weights_mean"], rel=1e-6)  # book: 0.999
    assert sw.max() == pytest.approx(ref["stabilized_weights_max"], rel=1e-6)  # book: 4.30
    plain = ipw(nhefs, outcome="wt82_71", treatment="qsmk", covariates=COVS)
    assert res.std_error == pytest.approx(plain.std_error, rel=1e-12)
    assert np.isfinite(res.diagnostics["balance"].max_abs_smd)
