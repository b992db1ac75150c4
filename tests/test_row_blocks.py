"""The row-blocked passes of iej_impact._row_blocks equal the one-shot numpy computations.

Each test shrinks the block to a few rows so that several blocks and a ragged last block are
exercised, and compares with the plain formula on the whole matrix.
"""

from __future__ import annotations

import numpy as np
import pytest

from iej_impact import _row_blocks
from iej_impact._mestimation import Linearization, fit_binary
from iej_impact.observational._design import scaled_with_intercept


@pytest.fixture(params=[7, 64, 100_000])
def rows(request, monkeypatch):
    monkeypatch.setattr(_row_blocks, "ROWS", request.param)
    return request.param


def _data(n=301, k=5, seed=0):
    rng = np.random.default_rng(seed)
    z = np.column_stack([np.ones(n), rng.normal(size=(n, k - 1))])
    return rng, z


def test_weighted_gram_equals_the_dense_product(rows):
    rng, z = _data()
    v = rng.random(z.shape[0])
    np.testing.assert_allclose(_row_blocks.weighted_gram(z, v), z.T @ (z * v[:, None]), rtol=1e-12, atol=1e-12)
    assert _row_blocks.weighted_gram(z[:0], v[:0]).shape == (5, 5)


def test_weighted_cross_equals_the_dense_product(rows):
    rng, z = _data()
    z2 = rng.normal(size=(z.shape[0], 3))
    r1, r2 = rng.normal(size=z.shape[0]), rng.normal(size=z.shape[0])
    g = np.hstack([r1[:, None] * z, r2[:, None] * z2])
    np.testing.assert_allclose(_row_blocks.weighted_cross([(r1, z), (r2, z2)]), g.T @ g, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("link", ["logit", "probit"])
def test_one_pass_evaluation_equals_the_separate_formulas(rows, link):
    rng, z = _data()
    y = (rng.random(z.shape[0]) < 0.4).astype(float)
    w = rng.random(z.shape[0]) + 0.5
    gamma = np.array([-0.3, 0.5, -0.2, 0.1, 0.4])
    z[17, 2] = -40.0
    zmax = np.zeros(z.shape[1])
    st = _row_blocks.evaluate_binary(z, y, w, gamma, link, _row_blocks.BinaryState.empty(z.shape[0]),
                                     derivatives=True, abs_max=zmax)
    np.testing.assert_array_equal(zmax, np.abs(z).max(axis=0))
    eta = z @ gamma
    p, ll, r, h, _ = _row_blocks.link_parts(eta, y, link)
    np.testing.assert_allclose(st.eta, eta, rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(st.prob, p, rtol=1e-14)
    np.testing.assert_allclose(st.resid, r, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(st.weight, h, rtol=1e-13)
    assert st.loglik == pytest.approx(float(w @ ll), rel=1e-13)
    np.testing.assert_allclose(st.grad, z.T @ (w * r), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(st.info, z.T @ (z * (w * h)[:, None]), rtol=1e-12, atol=1e-12)


def test_blocked_logit_equals_statsmodels(rows):
    sm = pytest.importorskip("statsmodels.api")
    rng, z = _data(n=2000, k=4, seed=5)
    y = (rng.random(2000) < 1 / (1 + np.exp(-(z @ np.array([0.2, 1.0, -0.5, 0.3]))))).astype(float)
    fit = fit_binary(z, y, np.ones(2000), link="logit", func="t", what="m", names=["a", "b", "c"])
    ref = sm.Logit(y, z).fit(disp=0)
    np.testing.assert_allclose(fit.params, ref.params, rtol=1e-9, atol=1e-10)
    assert fit.loglik == pytest.approx(ref.llf, rel=1e-12)
    # the robust covariance of the coefficients: the sandwich of statsmodels' HC0
    robust = sm.Logit(y, z).fit(disp=0, cov_type="HC0")
    np.testing.assert_allclose(fit.lin.covariance(), robust.cov_params(), rtol=1e-8)


def test_covariance_of_a_chained_linearization_equals_the_influence_matrix(rows):
    rng, z = _data()
    parent = Linearization(z=z[:, :3], r=rng.normal(size=z.shape[0]), a_inv=np.linalg.inv(np.cov(z[:, :3].T) + 1))
    lin = Linearization(z=z, r=rng.normal(size=z.shape[0]), a_inv=np.linalg.inv(z.T @ z / z.shape[0]),
                        parent=parent, cross=rng.normal(size=(5, 3)))
    psi = lin.matrix()
    np.testing.assert_allclose(lin.covariance(), psi.T @ psi / z.shape[0] ** 2, rtol=1e-11, atol=1e-15)


@pytest.mark.parametrize("weighted", [False, True])
def test_scaled_design_equals_the_textbook_standardisation(monkeypatch, weighted):
    monkeypatch.setattr("iej_impact.observational._design.ROWS", 13)
    rng = np.random.default_rng(2)
    x = np.column_stack([rng.normal(20_000, 5_000, 200), rng.integers(0, 2, 200), np.full(200, 3.7)])
    w = rng.random(200) + 0.1 if weighted else None
    z, m, s = scaled_with_intercept(x, w)
    ww = np.ones(200) if w is None else w
    mean = ww @ x / ww.sum()
    sd = np.sqrt(ww @ (x - mean) ** 2 / ww.sum())
    np.testing.assert_allclose(m, mean, rtol=1e-13)
    np.testing.assert_allclose(s[:2], sd[:2], rtol=1e-10)
    assert s[2] == 1.0 and np.all(z[:, 3] == 0.0)  # a constant column keeps s = 1 and centres to 0
    np.testing.assert_allclose(z[:, 1:3], (x[:, :2] - mean[:2]) / sd[:2], rtol=1e-9, atol=1e-12)
    assert np.all(z[:, 0] == 1.0)
