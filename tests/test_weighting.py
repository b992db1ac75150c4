"""ipw(): stacked standard errors, normalization, stabilization, trimming and truncation, overlap, bad input."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from _stacked import Problem, design, sandwich_se, simulate, theta_from_result
from iej_impact import ipw
from iej_impact.errors import EstimationError, OverlapWarning, SpecificationError
from iej_impact.observational._overlap import ess

COVS = ["x1", "x2", "region"]
pytestmark = pytest.mark.filterwarnings("ignore::iej_impact.errors.OverlapWarning")


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    return simulate(800, seed=7)


def _check_against_sandwich(df, res, *, estimand, link, estimator, weighted=False, clustered=False, keep=None,
                            bounds=None):
    x = design(df, COVS)
    pr = Problem(x_out=x, x_ps=x, d=df["d"].to_numpy(), y=df["y"].to_numpy(float),
                 w=df["sw"].to_numpy() if weighted else np.ones(len(df)), estimand=estimand, ps_link=link,
                 outcome_kind=None, estimator=estimator, keep=keep, bounds=bounds)
    resid, se_num = sandwich_se(theta_from_result(res, pr), pr, df["cluster"].to_numpy() if clustered else None)
    assert resid < 1e-9
    assert res.std_error == pytest.approx(se_num, rel=1e-6)


@pytest.mark.parametrize("estimand", ["ATE", "ATT", "ATC"])
@pytest.mark.parametrize("normalize", [True, False])
@pytest.mark.parametrize("link", ["logit", "probit"])
def test_standard_error_equals_numerical_stacked_sandwich(df, estimand, normalize, link):
    res = ipw(df, outcome="y", treatment="d", covariates=COVS, estimand=estimand, ps_model=link, normalize=normalize,
              weights="sw", se={"type": "clustered", "by": "cluster"})
    _check_against_sandwich(df, res, estimand=estimand, link=link, estimator="ipw" if normalize else "ipw_ht",
                            weighted=True, clustered=True)


def test_normalized_ate_is_the_weighted_regression_on_treatment(df):
    res = ipw(df, outcome="y", treatment="d", covariates=COVS)
    w = res.diagnostics["weights"]
    d = df["d"].to_numpy() == 1
    y = df["y"].to_numpy()
    expected = np.average(y[d], weights=w[d]) - np.average(y[~d], weights=w[~d])
    assert res.estimate == pytest.approx(expected, rel=1e-12)
    p = res.diagnostics["propensity"].scores
    np.testing.assert_allclose(w, np.where(d, 1 / p, 1 / (1 - p)), rtol=1e-12)


def test_stabilized_weights_leave_the_estimate_unchanged(df):
    plain = ipw(df, outcome="y", treatment="d", covariates=COVS, estimand="ATT")
    stab = ipw(df, outcome="y", treatment="d", covariates=COVS, estimand="ATT", stabilized=True)
    assert stab.estimate == pytest.approx(plain.estimate, rel=1e-12)
    assert stab.std_error == pytest.approx(plain.std_error, rel=1e-12)
    d = df["d"].to_numpy() == 1
    ws = stab.diagnostics["weights"]
    assert ws[~d].mean() == pytest.approx(plain.diagnostics["weights"][~d].mean() * (~d).sum() / d.sum(), rel=1e-12)
    with pytest.raises(SpecificationError, match="stabilized=True with normalize=False"):
        ipw(df, outcome="y", treatment="d", covariates=COVS, stabilized=True, normalize=False)


def test_no_covariates_gives_the_difference_in_means(df):
    res = ipw(df, outcome="y", treatment="d", covariates=[])
    d = df["d"].to_numpy() == 1
    y = df["y"].to_numpy()
    assert res.estimate == pytest.approx(y[d].mean() - y[~d].mean(), rel=1e-10)


def test_ess_and_weight_summary(df):
    res = ipw(df, outcome="y", treatment="d", covariates=COVS, weights="sw")
    w = res.diagnostics["weights"] * df["sw"].to_numpy()
    d = df["d"].to_numpy() == 1
    assert res.sample_sizes.loc["used", "treated_ess"] == pytest.approx(ess(w[d]))
    assert res.sample_sizes.loc["used", "control_ess"] == pytest.approx(ess(w[~d]))
    summ = res.diagnostics["weights_summary"]
    assert summ.loc["treated", "max"] == pytest.approx(w[d].max())
    assert summ.loc["control", "ess"] == pytest.approx(ess(w[~d]))


def test_weighting_improves_balance(df):
    res = ipw(df, outcome="y", treatment="d", covariates=COVS)
    bal = res.diagnostics["balance"]
    assert bal.weighted
    before = np.abs(bal.table["smd_before"]).max()
    after = np.abs(bal.table["smd_after"]).max()
    assert before > 0.3 and after < 0.05


# ------------------------------------------------------------------------------------------ trimming
def test_trimming_drops_units_reports_them_and_keeps_the_score_influence(df):
    res = ipw(df, outcome="y", treatment="d", covariates=COVS, trim=0.15)
    p = res.diagnostics["propensity"].scores
    d = df["d"].to_numpy() == 1
    out = (p < 0.15) | (p > 0.85)
    info = res.diagnostics["trimming"]
    assert info["method"] == "drop" and info["bounds"] == [0.15, 0.85]
    assert info["trimmed_treated"] == int((out & d).sum()) > 0
    assert info["trimmed_control"] == int((out & ~d).sum()) > 0
    assert res.sample_sizes.loc["trimmed", "treated"] == info["trimmed_treated"]
    assert res.n_treated == int((~out & d).sum()) and res.n_control == int((~out & ~d).sum())
    assert np.all(res.diagnostics["weights"][out] == 0)
    assert np.any(res.influence[out] != 0)  # dropped units still estimate the score
    assert any("Crump" in n for n in res.notes)
    _check_against_sandwich(df, res, estimand="ATE", link="logit", estimator="ipw", keep=~out)


def test_truncation_clips_scores_and_matches_the_sandwich(df):
    res = ipw(df, outcome="y", treatment="d", covariates=COVS, estimand="ATT",
              trim={"quantiles": [0.02, 0.98], "method": "truncate"})
    p = res.diagnostics["propensity"].scores
    lo, hi = np.quantile(p, [0.02, 0.98])
    info = res.diagnostics["trimming"]
    assert info["bounds"] == pytest.approx([lo, hi])
    d = df["d"].to_numpy() == 1
    clipped = (p < lo) | (p > hi)
    assert info["truncated_treated"] + info["truncated_control"] == int(clipped.sum())
    assert res.sample_sizes.loc["truncated", "control"] == int((clipped & ~d).sum())
    assert res.n_treated + res.n_control == len(df)
    _check_against_sandwich(df, res, estimand="ATT", link="logit", estimator="ipw", bounds=(lo, hi))


@pytest.mark.parametrize(
    ("trim", "message"),
    [
        (0.7, "must be <= 0.5"),
        (0.5, "must be < 0.5"),
        ((0.9, 0.1), "lower < upper"),
        ({"bounds": 0.1, "quantiles": [0.01, 0.99]}, "exactly one of"),
        ({"bound": 0.1}, "unknown key 'bound'"),
        ({"bounds": 0.1, "method": "winsor"}, "'trim.method'"),
        ("0.1", "must be a number c"),
    ],
)
def test_bad_trim_is_refused(df, trim, message):
    with pytest.raises(SpecificationError, match=message):
        ipw(df, outcome="y", treatment="d", covariates=COVS, trim=trim)


def test_trimming_everything_in_an_arm_is_an_error(df):
    with pytest.raises(EstimationError, match="leaves no treated unit"):
        ipw(df, outcome="y", treatment="d", covariates=COVS, trim=(0.0, 0.02))


# ------------------------------------------------------------------------------------------ overlap, positivity
def test_separation_is_a_positivity_error_with_counts_and_a_cause(df):
    bad = df.copy()
    bad["region"] = bad["region"].astype(object)
    bad.loc[(bad["d"] == 1) & (bad["x1"] > 1.2), "region"] = "z"  # a category observed among treated only
    nz = int((bad["region"] == "z").sum())
    with pytest.warns(OverlapWarning, match="because the data are \\(quasi-\\)separated"):
        with pytest.raises(EstimationError, match=rf"positivity fails for the ATE: {nz} units \({nz} treated, 0 "
                                                  r"control; e.g. person_id P\d+.*all \d+ units with 'region\[z\]' "
                                                  r"= 1 are treated"):
            ipw(bad, outcome="y", treatment="d", covariates=COVS)
    # for the ATC the same units are needed (score 1 -> weight (1-e)/e = 0): identified, with a warning
    with pytest.warns(OverlapWarning):
        res = ipw(bad, outcome="y", treatment="d", covariates=COVS, estimand="ATC")
    assert np.isfinite(res.estimate)
    # trimming drops them and says how many
    with pytest.warns(OverlapWarning, match="separated"):
        trimmed = ipw(bad, outcome="y", treatment="d", covariates=COVS, trim=0.01)
    assert trimmed.diagnostics["trimming"]["trimmed_treated"] >= nz


def test_poor_overlap_warns_with_the_rule(df):
    rng = np.random.default_rng(1)
    n = 1500
    x = rng.normal(size=n)
    d = (rng.random(n) < 1 / (1 + np.exp(-(4.5 * x - 1)))).astype(int)
    frame = pd.DataFrame({"x": x, "d": d, "y": x + d + rng.normal(size=n)})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = ipw(frame, outcome="y", treatment="d", covariates=["x"])
    msgs = [str(w.message) for w in caught if issubclass(w.category, OverlapWarning)]
    assert len(msgs) == 1 and "outside [0.01, 0.99]" in msgs[0] and "rule tolerates" in msgs[0]
    over = res.diagnostics["overlap"]
    assert over.loc["treated", "below_0.01"] + over.loc["control", "below_0.01"] > 0.01 * n
    with warnings.catch_warnings():
        warnings.simplefilter("error", OverlapWarning)
        ipw(df, outcome="y", treatment="d", covariates=["x2"])  # mild selection: no warning


# ------------------------------------------------------------------------------------------ other score models
def test_black_box_score_models(df):
    a = ipw(df, outcome="y", treatment="d", covariates=COVS, ps_model="gbm", random_state=3)
    b = ipw(df, outcome="y", treatment="d", covariates=COVS, ps_model="gbm", random_state=3)
    assert a.estimate == b.estimate
    assert any("treats the score as known" in n for n in a.notes)
    model = LogisticRegression(C=1e8, max_iter=1000)
    c = ipw(df, outcome="y", treatment="d", covariates=COVS, ps_model=model)
    assert not hasattr(model, "coef_")  # the user's object is not fitted in place
    logit = ipw(df, outcome="y", treatment="d", covariates=COVS)
    assert c.estimate == pytest.approx(logit.estimate, rel=1e-2)  # lbfgs stops early
    assert c.std_error != pytest.approx(logit.std_error, rel=1e-6)  # known-score SE differs
    with pytest.raises(SpecificationError, match="'ps_model' parameter of ipw"):
        ipw(df, outcome="y", treatment="d", covariates=COVS, ps_model="forest")


def test_result_contract(df):
    res = ipw(df, outcome="y", treatment="d", covariates=COVS, estimand="ATT", trim=0.05)
    assert res.method == "ipw"
    d = res.to_dict()
    json.dumps(d)
    assert d["spec"]["trim"] == {"method": "drop", "bounds": [0.05, 0.95]}
    text = str(res)
    assert "Hirano" in text and "ATT" in text and "trimmed" in text
    assert list(res.sample_sizes.index) == ["all", "trimmed", "truncated", "used"]
