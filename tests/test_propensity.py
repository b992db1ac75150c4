"""propensity_score(): Newton logit/probit vs statsmodels and R, influence functions, separation, overlap."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from matplotlib.axes import Axes
from sklearn.linear_model import LogisticRegression

from _stacked import design, simulate
from iej_impact.errors import DataError, OverlapWarning, SpecificationError
from iej_impact.observational._overlap import OVERLAP_BOUNDS, ipw_weights, overlap_problems
from iej_impact.observational._propensity import PropensityScore, propensity_score

COVS = ["x1", "x2", "region"]
REFERENCE = Path(__file__).parent / "reference" / "data"


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    return simulate(800, seed=7)


@pytest.mark.parametrize(("model", "sm_model"), [("logit", sm.Logit), ("probit", sm.Probit)])
def test_matches_statsmodels_with_robust_standard_errors(df, model, sm_model):
    ps = propensity_score(df, treatment="d", covariates=COVS, model=model)
    ref = sm_model(df["d"].to_numpy(), design(df, COVS)).fit(disp=0, tol=1e-12, cov_type="HC0")
    np.testing.assert_allclose(ps.params.to_numpy(), ref.params, rtol=1e-9)
    np.testing.assert_allclose(ps.std_errors.to_numpy(), ref.bse, rtol=1e-7)
    np.testing.assert_allclose(ps.scores, ref.predict(), rtol=1e-9)
    assert ps.log_likelihood == pytest.approx(ref.llf, rel=1e-12)
    assert ps.converged and ps.iterations < 15
    assert list(ps.params.index) == ["Intercept", "x1", "x2", "region[b]", "region[c]"]


def test_sampling_weights_match_a_weighted_glm(df):
    ps = propensity_score(df, treatment="d", covariates=COVS, weights="sw")
    glm = sm.GLM(df["d"].to_numpy(), design(df, COVS), family=sm.families.Binomial(),
                 var_weights=df["sw"].to_numpy()).fit(tol=1e-13)
    np.testing.assert_allclose(ps.params.to_numpy(), glm.params, rtol=1e-8)


def test_lalonde_badly_scaled_covariates_match_r_glm():
    """Earnings in dollars next to dummies: the scaled Newton fit agrees with R's glm (MatchIt reference)."""
    d = pd.read_csv(REFERENCE / "matchit_lalonde_cps.csv")
    ref = json.loads((REFERENCE / "matchit_lalonde.json").read_text())
    r_scores = pd.read_csv(REFERENCE / "matchit_lalonde_scores.csv")["ps"].to_numpy()
    covs = "age age2 educ educ2 black hisp marr nodegree re74 re75 u74 u75".split()
    ps = propensity_score(d, treatment="treat", covariates=covs)
    # R's glm stops at a relative deviance change of 1e-8, so agreement is at that precision
    np.testing.assert_allclose(ps.params.to_numpy(), list(ref["glm_coef"].values()), rtol=5e-6)
    np.testing.assert_allclose(ps.scores, r_scores, rtol=1e-5, atol=1e-10)


def test_influence_and_score_contributions(df):
    ps = propensity_score(df, treatment="d", covariates=COVS)
    infl = ps.influence()
    assert infl.shape == (len(df), 5)
    np.testing.assert_allclose(infl.mean().to_numpy(), 0.0, atol=1e-10)
    cov = infl.to_numpy().T @ infl.to_numpy() / len(df) ** 2
    np.testing.assert_allclose(np.sqrt(np.diag(cov)), ps.std_errors.to_numpy(), rtol=1e-10)
    scores = ps.score_contributions()
    np.testing.assert_allclose(scores.sum().to_numpy(), 0.0, atol=1e-8)
    x = design(df, COVS)
    np.testing.assert_allclose(scores.to_numpy(), x * (df["d"].to_numpy() - ps.scores)[:, None], rtol=1e-12)
    # project() of the linearization = influence matrix times a vector (scaled coordinates)
    lin = ps.linearization
    g = np.arange(1.0, 6.0)
    np.testing.assert_allclose(lin.project(g), lin.matrix() @ g, rtol=1e-10)


def test_separation_warns_with_counts_and_the_cause(df):
    bad = df.copy()
    bad["region"] = bad["region"].astype(object)
    bad.loc[(bad["d"] == 0) & (bad["x1"] < -1.0), "region"] = "z"
    nz = int((bad["region"] == "z").sum())
    with pytest.warns(OverlapWarning, match=rf"{nz} units have scores of 0 or 1 .* \({nz} at 0, 0 at 1; 0 treated, "
                                            rf"{nz} control.*all {nz} units with 'region\[z\]' = 1 are control"):
        ps = propensity_score(bad, treatment="d", covariates=COVS)
    assert not ps.converged and len(ps.warnings) == 1
    assert np.all(ps.scores[(bad["region"] == "z").to_numpy()] < 1e-8)


def test_covariate_constant_within_an_arm_is_diagnosed(df):
    bad = df.copy()
    bad.loc[bad["d"] == 1, "x2"] = 0.0
    with pytest.warns(OverlapWarning, match="all \\d+ units with 'x2' = 1 are control"):
        propensity_score(bad, treatment="d", covariates=COVS)


def test_no_warning_for_a_well_behaved_model(df):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ps = propensity_score(df, treatment="d", covariates=COVS)
    assert ps.warnings == ()


def test_black_box_models(df):
    a = propensity_score(df, treatment="d", covariates=COVS, model="gbm", random_state=1)
    b = propensity_score(df, treatment="d", covariates=COVS, model="gbm", random_state=1)
    np.testing.assert_array_equal(a.scores, b.scores)
    assert a.params is None and a.linearization is None
    user = LogisticRegression(C=1e10, max_iter=2000)
    c = propensity_score(df, treatment="d", covariates=COVS, model=user)
    assert c.model == "LogisticRegression" and not hasattr(user, "coef_")
    logit = propensity_score(df, treatment="d", covariates=COVS)
    np.testing.assert_allclose(c.scores, logit.scores, atol=2e-3)  # lbfgs stops early
    with pytest.raises(SpecificationError, match="'model' parameter of propensity_score"):
        propensity_score(df, treatment="d", covariates=COVS, model="svm")
    with pytest.raises(SpecificationError, match="fit\\(\\) and predict_proba"):
        propensity_score(df, treatment="d", covariates=COVS, model=object())


def test_ipw_weights_formulas():
    p = np.array([0.2, 0.5, 0.8, 0.25])
    d = np.array([1, 0, 1, 0])
    np.testing.assert_allclose(ipw_weights(p, d, "ATE"), [5.0, 2.0, 1.25, 1 / 0.75])
    np.testing.assert_allclose(ipw_weights(p, d, "ATT"), [1.0, 1.0, 1.0, 0.25 / 0.75])
    np.testing.assert_allclose(ipw_weights(p, d, "ATC"), [4.0, 1.0, 0.25, 1.0])
    np.testing.assert_allclose(ipw_weights(p, d, "ATE", stabilized=True), [2.5, 1.0, 0.625, 0.5 / 0.75])


def test_overlap_table_against_numpy(df):
    ps = propensity_score(df, treatment="d", covariates=COVS)
    table = ps.overlap("ATE")
    d = df["d"].to_numpy() == 1
    p = ps.scores
    assert table.loc["treated", "n"] == d.sum()
    assert table.loc["control", "median"] == pytest.approx(np.median(p[~d]))
    assert table.loc["treated", "q99"] == pytest.approx(np.quantile(p[d], 0.99))
    outside = (p[~d] < p[d].min()) | (p[~d] > p[d].max())
    assert table.loc["control", "outside_other_range"] == outside.sum()
    assert table.loc["treated", "max_weight"] == pytest.approx((1 / p[d]).max())
    w = 1 / (1 - p[~d])
    assert table.loc["control", "ess"] == pytest.approx(w.sum() ** 2 / (w**2).sum())
    assert table.loc["control", f"below_{OVERLAP_BOUNDS[0]:g}"] == (p[~d] < 0.01).sum()


def test_overlap_rule():
    d = np.array([1] * 50 + [0] * 50)
    good = np.r_[np.linspace(0.2, 0.8, 50), np.linspace(0.2, 0.8, 50)]
    assert overlap_problems(good, d, "ATE") == []
    extreme = good.copy()
    extreme[:2] = 0.995  # 2% of units above 0.99
    msgs = overlap_problems(extreme, d, "ATT")
    assert len(msgs) == 1 and "2 units (2.0%" in msgs[0]
    assert overlap_problems(extreme, d, "ATC") == []  # scores near 1 do not matter for the ATC
    apart = np.r_[np.linspace(0.5, 0.9, 50), np.linspace(0.1, 0.6, 50)]
    msgs = overlap_problems(apart, d, "ATE")
    assert any("treated units" in m and "outside the control units' range" in m for m in msgs)
    assert any("control units" in m and "outside the treated units' range" in m for m in msgs)


def test_display_export_and_plot(df):
    ps = propensity_score(df, treatment="d", covariates=COVS)
    assert isinstance(ps, PropensityScore)
    text = str(ps)
    assert "Coefficients" in text and "Overlap" in text
    json.dumps(ps.to_dict())
    assert list(ps.to_frame().columns) == ["term", "estimate", "std_error", "statistic"]
    ax = ps.plot_overlap()
    assert isinstance(ax, Axes)
    heights = [p.get_height() for p in ax.patches]
    assert max(heights) > 0 and min(heights) < 0  # treated above, control below the axis
    assert ax.figure.__class__.__name__ == "Figure"


def test_bad_input(df):
    with pytest.raises(DataError, match="'d2' must be binary"):
        propensity_score(df.assign(d2=df["d"] * 2), treatment="d2", covariates=COVS)
    with pytest.raises(DataError, match="sampling weights 'sw' must be finite and > 0"):
        propensity_score(df.assign(sw=df["sw"] - 1.0), treatment="d", covariates=COVS, weights="sw")
