"""regression_adjustment(): stacked standard errors, invariances, binary outcomes, bad input."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from _stacked import Problem, design, sandwich_se, simulate, theta_from_result
from iej_impact import regression_adjustment
from iej_impact.errors import DataError, EstimationError, SpecificationError
from iej_impact.inference import Clustered, se_from_influence

COVS = ["x1", "x2", "region"]


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    return simulate(800, seed=7)


@pytest.mark.parametrize("estimand", ["ATE", "ATT", "ATC"])
@pytest.mark.parametrize("kind", ["linear", "logit"])
@pytest.mark.parametrize("weighted", [False, True])
def test_standard_error_equals_numerical_stacked_sandwich(df, estimand, kind, weighted):
    y = "yb" if kind == "logit" else "y"
    se = {"type": "clustered", "by": "cluster"} if weighted else "robust"
    res = regression_adjustment(df, outcome=y, treatment="d", covariates=COVS, estimand=estimand, outcome_model=kind,
                                weights="sw" if weighted else None, se=se)
    x = design(df, COVS)
    pr = Problem(x_out=x, x_ps=x, d=df["d"].to_numpy(), y=df[y].to_numpy(float),
                 w=df["sw"].to_numpy() if weighted else np.ones(len(df)), estimand=estimand, ps_link=None,
                 outcome_kind=kind, estimator="ra")
    resid, se_num = sandwich_se(theta_from_result(res, pr), pr, df["cluster"].to_numpy() if weighted else None)
    assert resid < 1e-9  # the reported estimates solve the textbook moment equations
    assert res.std_error == pytest.approx(se_num, rel=1e-6)
    pom = res.diagnostics["potential_outcome_means"]
    assert res.estimate == pytest.approx(pom.loc["treated", "estimate"] - pom.loc["control", "estimate"], rel=1e-12)


def test_no_covariates_is_the_difference_in_means_with_hc0_se(df):
    res = regression_adjustment(df, outcome="y", treatment="d", covariates=[])
    d = df["d"].to_numpy() == 1
    y = df["y"].to_numpy()
    assert res.estimate == pytest.approx(y[d].mean() - y[~d].mean(), rel=1e-12)
    hc0 = np.sqrt(np.var(y[d]) / d.sum() + np.var(y[~d]) / (~d).sum())
    assert res.std_error == pytest.approx(hc0, rel=1e-10)


def test_affine_outcome_and_row_order_invariance(df):
    base = regression_adjustment(df, outcome="y", treatment="d", covariates=COVS, estimand="ATT")
    moved = regression_adjustment(df.assign(y=3.0 - 2.0 * df["y"]), outcome="y", treatment="d", covariates=COVS,
                                  estimand="ATT")
    assert moved.estimate == pytest.approx(-2.0 * base.estimate, rel=1e-10)
    assert moved.std_error == pytest.approx(2.0 * base.std_error, rel=1e-10)
    perm = np.random.default_rng(3).permutation(len(df))
    shuffled = regression_adjustment(df.iloc[perm], outcome="y", treatment="d", covariates=COVS, estimand="ATT")
    assert shuffled.estimate == pytest.approx(base.estimate, rel=1e-10)
    assert shuffled.std_error == pytest.approx(base.std_error, rel=1e-10)
    np.testing.assert_allclose(shuffled.influence, base.influence[perm], rtol=1e-8, atol=1e-12)


def test_equal_weights_change_nothing(df):
    a = regression_adjustment(df, outcome="y", treatment="d", covariates=COVS)
    b = regression_adjustment(df.assign(one=2.5), outcome="y", treatment="d", covariates=COVS, weights="one")
    assert b.estimate == pytest.approx(a.estimate, rel=1e-12)
    assert b.std_error == pytest.approx(a.std_error, rel=1e-10)


def test_binary_outcome_logit_gives_probability_differences(df):
    res = regression_adjustment(df, outcome="yb", treatment="d", covariates=COVS, outcome_model="logit")
    x = design(df, COVS)
    d = df["d"].to_numpy() == 1
    preds = []
    for arm in (d, ~d):
        fit = sm.Logit(df["yb"].to_numpy()[arm], x[arm]).fit(disp=0, tol=1e-12)
        preds.append(fit.predict(x).mean())
    assert res.estimate == pytest.approx(preds[0] - preds[1], rel=1e-7)
    assert -1 < res.estimate < 1
    assert any("percentage points" in n for n in res.notes)
    lpm = regression_adjustment(df, outcome="yb", treatment="d", covariates=COVS)
    assert abs(lpm.estimate - res.estimate) < 0.05  # linear probability model close on this design


def test_outcome_model_coefficients_are_ols_by_arm(df):
    res = regression_adjustment(df, outcome="y", treatment="d", covariates=COVS)
    x = design(df, COVS)
    d = df["d"].to_numpy() == 1
    table = res.diagnostics["outcome_models"]
    for arm, col in ((d, "treated"), (~d, "control")):
        ols = sm.OLS(df["y"].to_numpy()[arm], x[arm]).fit(cov_type="HC0")
        np.testing.assert_allclose(table[col].to_numpy(), ols.params, rtol=1e-9)
        np.testing.assert_allclose(table[f"{col}_std_error"].to_numpy(), ols.bse, rtol=1e-7)
    assert list(table.index) == ["Intercept", "x1", "x2", "region[b]", "region[c]"]


def test_clustered_se_sums_the_influence_function_by_cluster(df):
    robust = regression_adjustment(df, outcome="y", treatment="d", covariates=COVS)
    clustered = regression_adjustment(df, outcome="y", treatment="d", covariates=COVS,
                                      se={"type": "clustered", "by": "cluster"})
    assert clustered.estimate == robust.estimate
    codes = pd.factorize(df["cluster"])[0]
    assert clustered.std_error == pytest.approx(se_from_influence(robust.influence, clusters=codes), rel=1e-12)
    assert isinstance(clustered.inference, Clustered)
    assert any("40 clusters" in n for n in clustered.notes)


def test_result_contract(df):
    res = regression_adjustment(df, outcome="y", treatment="d", covariates=COVS, estimand="ATC")
    assert res.method == "regression_adjustment" and res.estimand == "ATC"
    assert res.n_treated + res.n_control == len(df)
    json.dumps(res.to_dict())
    text = str(res)
    assert "unconfoundedness" in text and "Wooldridge" in text
    assert res.influence.shape == (len(df),)
    assert abs(res.influence.mean()) < 1e-10
    assert res.diagnostics["balance"].weighted is False


# ------------------------------------------------------------------------------------------ bad input
def test_missing_outcome_is_counted_by_arm(df):
    bad = df.copy()
    bad.loc[[0, 1, 2], "y"] = np.nan
    arms = bad.loc[[0, 1, 2], "d"]
    with pytest.raises(DataError, match=rf"missing .* for 3 of 800 units \({int(arms.sum())} treated, "
                                        rf"{int((arms == 0).sum())} control; e.g. person_id P0000, P0001, P0002"):
        regression_adjustment(bad, outcome="y", treatment="d", covariates=COVS)


def test_missing_covariates_are_counted_per_column(df):
    bad = df.copy()
    bad.loc[[5, 6], "x1"] = np.nan
    bad.loc[[7], "region"] = None
    with pytest.raises(DataError, match=r"'x1': 2 missing; 'region': 1 missing") as err:
        regression_adjustment(bad, outcome="y", treatment="d", covariates=COVS)
    assert err.value.column == "x1"
    assert err.value.rows == ("P0005", "P0006")


def test_covariate_constant_within_an_arm_is_an_error(df):
    bad = df.copy()
    bad.loc[bad["d"] == 1, "x2"] = 0.0
    n1 = int(bad["d"].sum())
    with pytest.raises(DataError, match=rf"'x2' is constant \(0\) among all {n1} treated units"):
        regression_adjustment(bad, outcome="y", treatment="d", covariates=COVS)


def test_collinear_covariates_name_the_columns(df):
    bad = df.assign(x3=2.0 * df["x1"] - df["x2"])
    with pytest.raises(EstimationError, match=r"singular: the columns \['x1', 'x2', 'x3'\]"):
        regression_adjustment(bad, outcome="y", treatment="d", covariates=["x1", "x2", "x3"])


def test_logit_needs_a_binary_outcome(df):
    with pytest.raises(DataError, match="outcome_model='logit' needs a 0/1 outcome; 'y' has 800 other values"):
        regression_adjustment(df, outcome="y", treatment="d", covariates=COVS, outcome_model="logit")


def test_logit_outcome_separation_is_an_error(df):
    bad = df.copy()
    bad["yb"] = np.where(bad["region"] == "c", 1, bad["yb"])
    with pytest.raises(EstimationError, match="outcome perfectly predicted"):
        regression_adjustment(bad, outcome="yb", treatment="d", covariates=COVS, outcome_model="logit")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"se": {"type": "bootstrap", "reps": 99}}, "got 'bootstrap'.*stacked estimating"),
        ({"se": "abadie_imbens"}, "must be one of"),
        ({"estimand": "ATX"}, "'estimand' parameter of regression_adjustment"),
        ({"outcome_model": "probit"}, "'outcome_model' parameter"),
        ({"covariates": ["x1", "y"]}, "must be different columns"),
        ({"alpha": 0.7}, "'alpha'"),
    ],
)
def test_bad_arguments_are_refused(df, kwargs, message):
    args = {"outcome": "y", "treatment": "d", "covariates": COVS, **kwargs}
    with pytest.raises(SpecificationError, match=message):
        regression_adjustment(df, **args)
