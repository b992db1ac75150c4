"""The M-estimation core: weighted least squares, the linearisation, the Gram check, one logit for every estimator."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from iej_impact import did
from iej_impact._mestimation import Linearization, check_gram, fit_binary, fit_wls
from iej_impact.diff_in_diff._two_by_two import pscore_fit
from iej_impact.errors import EstimationError
from iej_impact.observational._design import scaled_with_intercept, unscale_matrix
from iej_impact.observational._propensity import propensity_score


def _data(n: int = 400, seed: int = 5) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = np.column_stack([rng.normal(size=n), rng.uniform(0, 1e5, n), (rng.random(n) < 0.3).astype(float)])
    d = (rng.random(n) < 1 / (1 + np.exp(-(0.5 * x[:, 0] - 0.3 * x[:, 2])))).astype(float)
    y = np.column_stack([x @ [1.0, 2e-5, -0.5] + rng.normal(size=n), x @ [0.3, 0.0, 1.0] + rng.normal(size=n)])
    return x, d, y, rng.uniform(0.5, 2.0, n)


def test_weighted_least_squares_matches_statsmodels_on_the_rows_with_weight():
    x, d, y, w = _data()
    z, m, s = scaled_with_intercept(x, w)
    rw = w * (1 - d)  # the comparison arm only
    fit = fit_wls(z, y[:, 0], rw, names=["a", "b", "c"], func="test", what="model")
    c = d == 0
    ref = sm.WLS(y[c, 0], sm.add_constant(x[c]), weights=w[c]).fit()
    np.testing.assert_allclose(unscale_matrix(m, s) @ fit.params, ref.params, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(fit.fitted, sm.add_constant(x) @ ref.params, rtol=1e-9, atol=1e-9)
    # the linearisation: A^-1 r_i z_i, whose sum of squares is the HC0 sandwich of the fit's coefficients
    t = unscale_matrix(m, s)
    hc0 = sm.WLS(y[c, 0], sm.add_constant(x[c]), weights=w[c]).fit(cov_type="HC0").cov_params()
    np.testing.assert_allclose(fit.lin.covariance(transform=t), hc0, rtol=1e-9)


def test_several_outcomes_are_several_regressions_sharing_the_design():
    x, d, y, w = _data()
    z, _, _ = scaled_with_intercept(x, w)
    both = fit_wls(z, y, w, names=["a", "b", "c"], func="test", what="model")
    g = np.array([0.2, -1.0, 0.5, 3.0])
    for j in range(2):
        one = fit_wls(z, y[:, j], w, names=["a", "b", "c"], func="test", what="model")
        np.testing.assert_allclose(both.params[:, j], one.params, rtol=1e-12)
        np.testing.assert_allclose(both.lin.project(g)[:, j], one.lin.project(g), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(both.lin.project(np.column_stack([g, 2 * g]))[:, j], (j + 1) * one.lin.project(g),
                                   rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(one.lin.project(g), one.lin.matrix() @ g, rtol=1e-12, atol=1e-15)


def test_project_follows_the_chain_through_a_parent():
    rng = np.random.default_rng(1)
    z, zp = rng.normal(size=(50, 3)), rng.normal(size=(50, 2))
    parent = Linearization(z=zp, r=rng.normal(size=50), a_inv=np.linalg.inv(zp.T @ zp / 50))
    lin = Linearization(z=z, r=rng.normal(size=50), a_inv=np.linalg.inv(z.T @ z / 50), parent=parent,
                        cross=rng.normal(size=(3, 2)))
    g = rng.normal(size=3)
    np.testing.assert_allclose(lin.project(g), lin.matrix() @ g, rtol=1e-12)
    np.testing.assert_allclose(lin.covariance(), lin.matrix().T @ lin.matrix() / 50**2, rtol=1e-12)


def test_the_gram_check_names_the_columns():
    x, d, _, w = _data()
    const = np.column_stack([x, np.full(len(d), 3.0)])
    z, _, _ = scaled_with_intercept(const, w)
    with pytest.raises(EstimationError, match=r"f\(\): in the arm model, column\(s\) \['k'\] take a single value"):
        check_gram(z.T @ (z * w[:, None]), ["a", "b", "c", "k"], "f", "arm model")
    dup = np.column_stack([x, x[:, 0] + x[:, 2]])
    z, _, _ = scaled_with_intercept(dup, w)
    with pytest.raises(EstimationError, match=r"singular: the columns \['a', 'c', 'a\+c'\]"):
        fit_wls(z, x[:, 1], w, names=["a", "b", "c", "a+c"], func="f", what="outcome model")
    with pytest.raises(EstimationError, match="has no observations"):
        check_gram(np.zeros((2, 2)), ["a"], "f", "outcome model")


def test_a_covariate_constant_in_the_comparison_group_is_named_by_did():
    rng = np.random.default_rng(3)
    n = 200
    d = (np.arange(n) < 80).astype(int)
    x = rng.normal(size=n)
    k = np.where(d == 1, rng.normal(size=n), 1.0)  # varies among the treated only
    ids = np.arange(n)
    df = pd.DataFrame({"id": np.r_[ids, ids], "x": np.r_[x, x], "k": np.r_[k, k], "d": np.r_[d, d],
                       "p": np.r_[np.zeros(n), np.ones(n)].astype(int), "y": rng.normal(size=2 * n)})
    with pytest.raises(EstimationError, match=r"did\(\): in the outcome regression of the comparison group, "
                                              r"column\(s\) \['k'\] take a single value"):
        did(df, outcome="y", treatment="d", post="p", unit="id", covariates=["x", "k"], method="reg")


def test_the_did_logit_is_the_propensity_score():
    x, d, _, w = _data()
    df = pd.DataFrame(x, columns=["a", "b", "c"]).assign(d=d.astype(int), w=w)
    ps = propensity_score(df, treatment="d", covariates=["a", "b", "c"], weights="w")
    did_ps = pscore_fit(np.column_stack([np.ones(len(d)), x]), d, w / w.mean(), 0.995, names=["a", "b", "c"])
    np.testing.assert_allclose(did_ps.p, ps.scores, rtol=1e-12)


@pytest.mark.parametrize("link", ["logit", "probit"])
def test_binary_fit_matches_a_weighted_glm(link):
    x, d, _, w = _data()
    z, m, s = scaled_with_intercept(x, w)
    fit = fit_binary(z, d, w, link=link, func="test", what="model", names=["a", "b", "c"])
    family = sm.families.Binomial(sm.families.links.Logit() if link == "logit" else sm.families.links.Probit())
    ref = sm.GLM(d, sm.add_constant(x), family=family, freq_weights=w).fit(tol=1e-12)
    assert fit.converged and fit.separation is None
    np.testing.assert_allclose(unscale_matrix(m, s) @ fit.params, ref.params, rtol=1e-8)
    np.testing.assert_allclose(fit.prob, ref.fittedvalues, rtol=1e-8)
