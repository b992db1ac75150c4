"""honest_did (Rambachan & Roth 2023): the numerics, what holds at Mbar = 0 / M = 0, monotonicity, coverage, inputs.

R's own numbers are checked in tests/reference/test_honest_did_r.py. What holds exactly when the
restriction is tightest (the issue asked for "sets with Mbar = 0 equal the ordinary CI when pre-trends
are exactly zero"):

* relative magnitudes, Mbar = 0: the post-period differences in trends are 0, the pre-periods do not
  enter, and the ARP *conditional* test of theta is the two-sided z test: the set is the ordinary CI
  exactly, whatever the pre-trends. The default C-LF hybrid is not: its second stage runs at level
  (alpha - kappa) / (1 - kappa) truncated at the least favourable critical value, so its set is close
  to, not equal to, the ordinary CI (R's too: the README's cache gives [0.02877, 0.06431] against the
  ordinary [0.02851, 0.06438]); it still does not depend on the pre-trends;
* smoothness, M = 0: delta is a linear trend through the reference period, and the FLCI is the ordinary
  CI of the linearly de-trended estimate, l'beta_post minus the extrapolated GLS pre-trend: with
  pre-trends exactly zero (and pre/post uncorrelated) it is centred on the ordinary estimate but wider,
  by the variance of the extrapolated slope. It is not the ordinary CI.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

from iej_impact import EventStudyResult, att_gt, event_study, honest_did, honest_did_coefficients
from iej_impact.diff_in_diff._honest_core import (
    RMSet,
    _gamma_basis,
    extreme_rays,
    flci,
    folded_normal_quantile,
    rm_rows,
    truncnorm_quantile,
)
from iej_impact.errors import SpecificationError


def _cov(k: int, seed: int, scale: float = 1e-4) -> np.ndarray:
    a = np.random.default_rng(seed).normal(size=(k, k))
    return (a @ a.T / k + np.eye(k)) * scale


# ----------------------------------------------------------------------------------------- building blocks


def test_folded_normal_and_truncated_normal_quantiles() -> None:
    for b in (0.0, 0.3, 1.0, 2.5, 8.0, 60.0):
        c = folded_normal_quantile(b, 0.05)
        assert stats.norm.cdf(c - b) - stats.norm.cdf(-c - b) == pytest.approx(0.95, abs=1e-12)
    lo, hi = np.array([-np.inf, 0.0, 1.0, 6.0, -3.0]), np.array([np.inf, np.inf, 2.0, np.inf, 9.0])
    q = truncnorm_quantile(0.9, lo, hi)
    np.testing.assert_allclose(q, stats.truncnorm.ppf(0.9, lo, hi), rtol=1e-9)
    assert q[0] == pytest.approx(stats.norm.ppf(0.9))


def test_the_vertex_statistic_is_the_linear_programme() -> None:
    """eta = min_tau max_i (y_i - X_i tau)/sd_i equals max over the dual vertices of gamma'y."""
    rng = np.random.default_rng(0)
    n_pre, n_post = 3, 3
    l_vec = np.array([0.2, 0.3, 0.5])
    rows = rm_rows(n_pre, n_post, 1.3, -1, False)
    x = (rows[:, n_pre:] @ np.linalg.inv(_gamma_basis(l_vec)))[:, 1:]
    sd = rng.uniform(0.5, 2.0, size=len(rows))
    vertices = extreme_rays(x)
    vertices = vertices / (vertices @ sd)[:, None]
    for _ in range(20):
        y = rng.normal(size=len(rows))
        lp = optimize.linprog(np.r_[1.0, np.zeros(x.shape[1])], A_ub=-np.column_stack([sd, x]), b_ub=-y,
                              bounds=[(None, None)] * (1 + x.shape[1]))
        assert lp.status == 0
        assert (vertices @ y).max() == pytest.approx(lp.fun, abs=1e-9)


def test_rm_rows_encode_the_restriction() -> None:
    """Pre changes (0.1, -0.3, 0) and post changes (0.5, -0.55): in the (s = -1, negative) polyhedron at Mbar = 2."""
    # periods -3, -2, -1 | 1, 2 (delta_0 = 0); the largest pre change is delta_{-1} - delta_{-2} = -0.3
    delta = np.array([0.2, 0.3, 0.0, 0.5, -0.05])
    assert np.all(rm_rows(3, 2, 2.0, -1, False) @ delta <= 1e-12)
    assert np.any(rm_rows(3, 2, 2.0, 0, True) @ delta > 0)  # s = 0: delta_0 - delta_{-1} = 0 allows no post change
    assert np.any(rm_rows(3, 2, 1.0, -1, False) @ delta > 0)  # |0.5 - 0| > 1 x 0.3


# ----------------------------------------------------------------------------------------- what holds at 0


def test_rm_conditional_at_mbar_zero_is_the_ordinary_ci_whatever_the_pretrends() -> None:
    sigma = _cov(6, 1)
    for pre in (np.zeros(3), np.array([0.05, -0.02, 0.01])):
        beta = np.r_[pre, 0.03, 0.02, 0.04]
        res = honest_did_coefficients(beta, sigma, num_pre=3, mbar=[0.0], method="conditional")
        np.testing.assert_allclose(res.bounds.loc[0, ["ci_lower", "ci_upper"]].to_numpy(dtype=float),
                                   res.original_ci, rtol=0, atol=1e-9)


def test_rm_hybrid_at_mbar_zero_is_close_to_the_ordinary_ci_and_ignores_the_pretrends() -> None:
    sigma = _cov(6, 2)
    sets = [honest_did_coefficients(np.r_[pre, 0.03, 0.02, 0.04], sigma, num_pre=3, mbar=[0.0]).bounds
            for pre in (np.zeros(3), np.array([0.05, -0.02, 0.01]))]
    pd.testing.assert_frame_equal(sets[0], sets[1])
    res = honest_did_coefficients(np.r_[np.zeros(3), 0.03, 0.02, 0.04], sigma, num_pre=3, mbar=[0.0])
    width = res.original_ci[1] - res.original_ci[0]
    got = res.bounds.loc[0, ["ci_lower", "ci_upper"]].to_numpy(dtype=float)
    assert np.all(np.abs(got - np.array(res.original_ci)) < 0.05 * width)


def test_sd_at_m_zero_with_zero_pretrends_is_the_detrended_ci() -> None:
    n_pre, n_post = 4, 2
    sigma = _cov(6, 3)
    sigma[:n_pre, n_pre:] = sigma[n_pre:, :n_pre] = 0.0
    beta = np.r_[np.zeros(n_pre), 0.04, 0.06]
    l_vec = np.array([0.5, 0.5])
    t_pre, t_post = -np.arange(n_pre, 0, -1.0), np.arange(1.0, n_post + 1)
    slope_var = 1.0 / (t_pre @ np.linalg.solve(sigma[:n_pre, :n_pre], t_pre))
    sd = np.sqrt(l_vec @ sigma[n_pre:, n_pre:] @ l_vec + (l_vec @ t_post) ** 2 * slope_var)
    res = honest_did_coefficients(beta, sigma, num_pre=n_pre, l_vec=l_vec, restriction="smoothness", m=[0.0])
    z = stats.norm.ppf(0.975)
    theta = l_vec @ beta[n_pre:]
    np.testing.assert_allclose(res.bounds.loc[0, ["ci_lower", "ci_upper"]].to_numpy(dtype=float),
                               [theta - z * sd, theta + z * sd], rtol=1e-9)
    assert res.bounds.loc[0, "ci_upper"] - res.bounds.loc[0, "ci_lower"] > np.diff(res.original_ci)[0]


# ----------------------------------------------------------------------------------------- monotonicity


@pytest.mark.parametrize("seed", [4, 5])
def test_sets_widen_with_mbar_and_m(seed: int) -> None:
    """RM: nested sets here (not a theorem: the conditional tests' moments and variances change with Mbar).
    FLCI: the half-length grows with M (the worst-case bias of every affine estimator does)."""
    rng = np.random.default_rng(seed)
    sigma = _cov(7, seed)
    beta = rng.multivariate_normal(np.r_[0.0, 0.0, 0.0, 0.0, 0.05, 0.06, 0.07], sigma)
    rm = honest_did_coefficients(beta, sigma, num_pre=4, mbar=[0, 0.25, 0.5, 1, 2, 3]).bounds
    assert np.all(np.diff(rm["ci_lower"]) < 0) and np.all(np.diff(rm["ci_upper"]) > 0)
    halves = [flci(beta, sigma, 4, np.array([1.0, 0, 0]), m, 0.05).half_length for m in (0, 0.002, 0.005, 0.01, 0.02)]
    assert np.all(np.diff(halves) > 0)


def test_flci_sets_are_not_nested_in_general() -> None:
    """The FLCI's centre moves with M (the optimal pre-period weights change), so a longer interval can
    start higher: here the lower end at M = 0.002 is above the one at M = 0."""
    rng = np.random.default_rng(4)
    sigma = _cov(7, 4)
    beta = rng.multivariate_normal(np.r_[0.0, 0.0, 0.0, 0.0, 0.05, 0.06, 0.07], sigma)
    sets = honest_did_coefficients(beta, sigma, num_pre=4, restriction="smoothness", m=[0, 0.002]).bounds
    assert sets["ci_lower"].iloc[1] > sets["ci_lower"].iloc[0]
    assert (sets["ci_upper"] - sets["ci_lower"]).is_monotonic_increasing


def test_the_breakdown_value_separates_significant_from_not() -> None:
    sigma = _cov(7, 6)
    beta = np.r_[0.002, -0.001, 0.001, 0.0, 0.05, 0.06, 0.07]
    res = honest_did_coefficients(beta, sigma, num_pre=4, mbar=[0.0])
    b = res.breakdown
    assert b is not None and b > 0
    below = honest_did_coefficients(beta, sigma, num_pre=4, mbar=[b * 0.98]).bounds.loc[0]
    above = honest_did_coefficients(beta, sigma, num_pre=4, mbar=[b * 1.02]).bounds.loc[0]
    assert below["excludes_zero"] and not above["excludes_zero"]
    sd = honest_did_coefficients(beta, sigma, num_pre=4, restriction="smoothness", m=[0.0])
    lo, hi = flci(beta, sigma, 4, np.array([1.0, 0, 0]), sd.breakdown, 0.05).interval
    assert min(abs(lo), abs(hi)) < 1e-6 * (hi - lo)
    insignificant = honest_did_coefficients(np.r_[0, 0, 0, 0, 0.001, 0.0, 0.0], sigma, num_pre=4, mbar=[0.0])
    assert insignificant.breakdown is None


# ----------------------------------------------------------------------------------------- coverage


@pytest.mark.slow
def test_coverage_under_each_restriction() -> None:
    """True violations inside Delta: the sets cover theta in at least 95% of draws (up to simulation error)."""
    rng = np.random.default_rng(11)
    n_pre, n_post, reps = 3, 2, 300
    sigma = _cov(5, 7, scale=1.0)
    tau = np.array([1.0, 0.5])
    # relative magnitudes (Mbar = 1): pre changes up to 0.8, post changes of 0.8 (the boundary)
    delta_rm = np.array([-1.6, -0.8, -0.8, 0.0, 0.8])  # periods -3..-1, 1, 2; changes 0.8, 0, 0.8, 0.8
    # smoothness (M = 0.3): a trend of slope 0.5 bending by 0.3 after the reference period
    delta_sd = np.array([-1.5, -1.0, -0.5, 0.5 + 0.3, 1.0 + 0.9])
    z = rng.standard_normal((1000, 2 * n_post))
    hits_rm = hits_sd = 0
    for _ in range(reps):
        noise = rng.multivariate_normal(np.zeros(5), sigma)
        b_rm, b_sd = np.r_[0, 0, 0, tau] + delta_rm + noise, np.r_[0, 0, 0, tau] + delta_sd + noise
        hits_rm += bool(RMSet(b_rm, sigma, n_pre, np.array([1.0, 0.0]), 1.0, 0.05, "C-LF", z).accept([tau[0]])[0])
        lo, hi = flci(b_sd, sigma, n_pre, np.array([1.0, 0.0]), 0.3, 0.05).interval
        hits_sd += lo <= tau[0] <= hi
    floor = 0.95 - 3 * np.sqrt(0.95 * 0.05 / reps)
    assert hits_rm / reps >= floor and hits_sd / reps >= floor, (hits_rm, hits_sd)


# ----------------------------------------------------------------------------------------- from results


def _staggered_panel(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n, periods = 400, np.arange(1, 11)
    g = rng.choice([5.0, 7.0, np.nan], size=n, p=[0.3, 0.3, 0.4])
    unit = np.repeat(np.arange(n), len(periods))
    t = np.tile(periods, n)
    gg = np.repeat(g, len(periods))
    effect = np.where(np.isnan(gg) | (t < gg), 0.0, 1.0 + 0.1 * (t - gg))
    y = rng.normal(size=n)[unit] + 0.2 * t + effect + rng.normal(scale=0.5, size=len(t))
    return pd.DataFrame({"id": unit, "t": t, "g": gg, "y": y})


def test_att_gt_dynamic_covariance_and_honest_did() -> None:
    df = _staggered_panel()
    res = att_gt(df, outcome="y", unit="id", time="t", cohort="g", base_period="universal")
    dyn = res.aggregate("dynamic")
    ok = np.isfinite(dyn.by["std_error"].to_numpy(dtype=float))
    np.testing.assert_allclose(np.sqrt(np.diag(dyn.by_vcov))[ok], dyn.by["std_error"].to_numpy(dtype=float)[ok],
                               rtol=1e-10)
    hd = honest_did(res, mbar=[0, 1], window=(-4, 2))
    assert hd.reference == -1 and hd.pre_periods == (-4, -3, -2) and hd.post_periods == (0, 1, 2)
    e0 = dyn.by.set_index("event_time").loc[0]
    assert hd.theta_hat == pytest.approx(e0["estimate"]) and hd.std_error == pytest.approx(e0["std_error"])
    avg = honest_did(dyn, restriction="smoothness", m=[0, 0.05], e="average", window=(-4, 2))
    assert avg.theta_hat == pytest.approx(dyn.by.set_index("event_time").loc[[0, 1, 2], "estimate"].mean())
    json.dumps(hd.to_dict(), allow_nan=False)
    assert "mbar=1" in hd.to_frame()["term"].tolist() and "Breakdown" in str(hd.summary())
    with pytest.raises(SpecificationError, match="base_period='universal'"):
        honest_did(att_gt(df, outcome="y", unit="id", time="t", cohort="g"))


def test_event_study_input_and_argument_checks() -> None:
    df = _staggered_panel(1)
    es = event_study(df, outcome="y", unit="id", time="t", cohort="g", window=(-4, 3))
    assert isinstance(es, EventStudyResult)
    hd = honest_did(es, mbar=[0.5], e=1)
    table = es.table.set_index("event_time")
    assert hd.theta_hat == pytest.approx(table.loc[1, "estimate"]) and hd.parameter == "effect at event time 1"
    assert any("bin" in n for n in hd.notes)
    with pytest.raises(SpecificationError, match="'e' parameter"):
        honest_did(es, e=7)
    with pytest.raises(SpecificationError, match="use 'mbar'"):
        honest_did(es, m=[0.1])
    with pytest.raises(SpecificationError, match="method"):
        honest_did(es, restriction="smoothness", method="C-LF")
    with pytest.raises(SpecificationError, match="one pre-period"):
        honest_did(es, window=(0, 3))
    with pytest.raises(SpecificationError, match="event_study"):
        honest_did(df)


def test_plot_draws_the_original_and_the_robust_sets() -> None:
    sigma = _cov(5, 8)
    res = honest_did_coefficients(np.r_[0.0, 0.01, 0.0, 0.05, 0.06], sigma, num_pre=3, mbar=[0, 1, 2])
    ax = res.plot_sensitivity(language="fr")
    assert len(ax.collections) >= 2 and ax.get_xticklabels()[0].get_text() == "IC usuel"
