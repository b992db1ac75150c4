"""doubly_robust(): AIPW and IPWRA standard errors, equivalences with RA, binary outcomes, bad input."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from _stacked import Problem, design, sandwich_se, simulate, theta_from_result
from iej_impact import doubly_robust, regression_adjustment
from iej_impact.errors import DataError, EstimationError, SpecificationError

COVS = ["x1", "x2", "region"]
pytestmark = pytest.mark.filterwarnings("ignore::iej_impact.errors.OverlapWarning")


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    return simulate(800, seed=7)


def _sandwich(df, res, *, estimand, kind, estimator, ps_covs=COVS, weighted=False, clustered=False, keep=None,
              bounds=None, link="logit"):
    y = "yb" if kind == "logit" else "y"
    pr = Problem(x_out=design(df, COVS), x_ps=design(df, ps_covs), d=df["d"].to_numpy(), y=df[y].to_numpy(float),
                 w=df["sw"].to_numpy() if weighted else np.ones(len(df)), estimand=estimand, ps_link=link,
                 outcome_kind=kind, estimator=estimator, keep=keep, bounds=bounds)
    return sandwich_se(theta_from_result(res, pr), pr, df["cluster"].to_numpy() if clustered else None)


@pytest.mark.parametrize("method", ["aipw", "ipwra"])
@pytest.mark.parametrize("estimand", ["ATE", "ATT", "ATC"])
@pytest.mark.parametrize("kind", ["linear", "logit"])
def test_standard_error_equals_numerical_stacked_sandwich(df, method, estimand, kind):
    y = "yb" if kind == "logit" else "y"
    res = doubly_robust(df, outcome=y, treatment="d", covariates=COVS, estimand=estimand, method=method,
                        outcome_model=kind, weights="sw", se={"type": "clustered", "by": "cluster"})
    resid, se_num = _sandwich(df, res, estimand=estimand, kind=kind, estimator=method, weighted=True, clustered=True)
    assert resid < 1e-9
    assert res.std_error == pytest.approx(se_num, rel=1e-6)
    assert res.method == method


@pytest.mark.parametrize("method", ["aipw", "ipwra"])
def test_separate_score_covariates_trimming_and_truncation(df, method):
    ps_covs = ["x1", "region"]
    res = doubly_robust(df, outcome="y", treatment="d", covariates=COVS, ps_covariates=ps_covs, method=method,
                        ps_model="probit", trim=0.12)
    p = res.diagnostics["propensity"].scores
    keep = (p >= 0.12) & (p <= 0.88)
    assert res.n_treated + res.n_control == int(keep.sum()) < len(df)
    resid, se_num = _sandwich(df, res, estimand="ATE", kind="linear", estimator=method, ps_covs=ps_covs, keep=keep,
                              link="probit")
    assert resid < 1e-9 and res.std_error == pytest.approx(se_num, rel=1e-6)
    res = doubly_robust(df, outcome="y", treatment="d", covariates=COVS, method=method, estimand="ATT",
                        trim={"bounds": [0.15, 0.8], "method": "truncate"})
    resid, se_num = _sandwich(df, res, estimand="ATT", kind="linear", estimator=method, bounds=(0.15, 0.8))
    assert resid < 1e-9 and res.std_error == pytest.approx(se_num, rel=1e-6)
    assert list(res.diagnostics["propensity"].params.index)[:2] == ["Intercept", "x1"]


@pytest.mark.parametrize("method", ["aipw", "ipwra"])
@pytest.mark.parametrize("estimand", ["ATE", "ATT"])
def test_constant_propensity_score_reduces_to_regression_adjustment(df, method, estimand):
    """With an intercept-only score every unit has the same weight within an arm, so AIPW's correction
    (OLS residuals sum to zero within the arm) and IPWRA's weighting both vanish."""
    dr = doubly_robust(df, outcome="y", treatment="d", covariates=COVS, ps_covariates=[], method=method,
                       estimand=estimand)
    ra = regression_adjustment(df, outcome="y", treatment="d", covariates=COVS, estimand=estimand)
    assert dr.estimate == pytest.approx(ra.estimate, rel=1e-10)


def test_exact_outcome_model_recovers_the_effect_whatever_the_score(df):
    frame = df.assign(y=1.0 + 2.0 * df["x1"] - df["x2"] + 0.7 * df["d"])
    for method in ("aipw", "ipwra"):
        res = doubly_robust(frame, outcome="y", treatment="d", covariates=COVS, ps_covariates=["x2"], method=method)
        assert res.estimate == pytest.approx(0.7, abs=1e-10)


def test_binary_outcome_probability_scale(df):
    res = doubly_robust(df, outcome="yb", treatment="d", covariates=COVS, outcome_model="logit")
    pom = res.diagnostics["potential_outcome_means"]
    assert 0 < pom.loc["control", "estimate"] < pom.loc["treated", "estimate"] < 1
    assert any("percentage points" in n for n in res.notes)


def test_diagnostics_and_contract(df):
    res = doubly_robust(df, outcome="y", treatment="d", covariates=COVS, method="ipwra", estimand="ATT")
    diag = res.diagnostics
    for key in ("potential_outcome_means", "outcome_models", "propensity", "overlap", "trimming", "weights",
                "weights_summary", "balance"):
        assert key in diag
    assert diag["balance"].weighted
    assert diag["balance"].sd_denominator == "treated"  # cobalt's convention for the ATT
    json.dumps(res.to_dict())
    assert res.to_dict()["spec"]["method"] == "ipwra"
    text = str(res)
    assert "Wooldridge" in text and "Doubly robust" in text


# ------------------------------------------------------------------------------------------ bad input
def test_covariate_constant_within_an_arm(df):
    bad = df.copy()
    bad.loc[bad["d"] == 0, "x1"] = 0.0
    with pytest.raises(DataError, match=r"'x1' is constant \(0\) among all \d+ control units"):
        doubly_robust(bad, outcome="y", treatment="d", covariates=["x1", "x2"], ps_covariates=["x2"])


def test_singular_outcome_model(df):
    bad = df.assign(x1b=df["x1"] * 3.0)
    with pytest.raises(EstimationError, match=r"singular.*\['x1', 'x1b'\]"):
        doubly_robust(bad, outcome="y", treatment="d", covariates=["x1", "x1b"], ps_covariates=["x2"])


def test_bad_arguments(df):
    with pytest.raises(SpecificationError, match="'method' parameter of doubly_robust"):
        doubly_robust(df, outcome="y", treatment="d", covariates=COVS, method="tmle")
    with pytest.raises(SpecificationError, match="must be different columns"):
        doubly_robust(df, outcome="y", treatment="d", covariates=COVS, ps_covariates=["x1", "d"])
    with pytest.raises(DataError, match="covariate 'nope' not found"):
        doubly_robust(df, outcome="y", treatment="d", covariates=COVS, ps_covariates=["nope"])
