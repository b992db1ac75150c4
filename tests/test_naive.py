"""Difference in means: reference values from R and published results, Monte Carlo coverage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from iej_impact import difference_in_means
from iej_impact.errors import DataError, SpecificationError

# Rscript tests/reference/generate/difference_in_means.R  (R 4.2.2, sandwich 3.0-2)
R_ESTIMATE = 1794.3423818501
R_SE_HC2 = 670.9965444673
R_WELCH_T = 2.6741454880
R_SE_CLUSTER_CR1 = 778.3275258038


@pytest.mark.reference
def test_nsw_matches_r_and_dehejia_wahba(nsw):
    res = difference_in_means(nsw, outcome="re78", treatment="treat")
    assert res.estimate == pytest.approx(R_ESTIMATE, rel=1e-9)
    # Dehejia & Wahba (1999, JASA 94(448)), Table 3: experimental estimate 1,794
    assert round(res.estimate) == 1794
    assert res.std_error == pytest.approx(R_SE_HC2, rel=1e-8)
    assert res.statistic == pytest.approx(R_WELCH_T, rel=1e-8)
    assert res.inference.name == "robust"
    assert (res.n_treated, res.n_control) == (185, 260)


@pytest.mark.reference
def test_nsw_clustered_matches_r_vcovcl(nsw):
    df = nsw.assign(cl=nsw["age"] // 5)
    res = difference_in_means(df, outcome="re78", treatment="treat", se={"type": "clustered", "by": "cl"})
    assert res.std_error == pytest.approx(R_SE_CLUSTER_CR1, rel=1e-8)
    assert res.inference.name == "clustered"


def test_weighted_estimate_matches_wls(rng):
    n = 400
    d = rng.integers(0, 2, n)
    y = 2 + d + rng.normal(size=n)
    w = rng.uniform(0.5, 2, n)
    df = pd.DataFrame({"y": y, "d": d, "w": w})
    res = difference_in_means(df, outcome="y", treatment="d", weights="w")
    wls = sm.WLS(y, sm.add_constant(d), weights=w).fit()
    assert res.estimate == pytest.approx(wls.params[1], rel=1e-10)


def test_bootstrap_close_to_analytic_and_reproducible(rng):
    n = 600
    d = rng.integers(0, 2, n)
    df = pd.DataFrame({"y": rng.normal(size=n) + 0.3 * d, "d": d})
    a = difference_in_means(df, outcome="y", treatment="d")
    b1 = difference_in_means(df, outcome="y", treatment="d", se={"type": "bootstrap", "reps": 300, "random_state": 7})
    b2 = difference_in_means(df, outcome="y", treatment="d", se={"type": "bootstrap", "reps": 300, "random_state": 7})
    assert b1.std_error == b2.std_error
    assert b1.std_error == pytest.approx(a.std_error, rel=0.15)
    assert b1.inference.name == "bootstrap"


def test_invariances(rng):
    n = 300
    d = rng.integers(0, 2, n)
    df = pd.DataFrame({"y": rng.normal(size=n) + d, "d": d})
    base = difference_in_means(df, outcome="y", treatment="d")
    shifted = difference_in_means(df.assign(y=df["y"] + 100), outcome="y", treatment="d")
    shuffled = difference_in_means(df.sample(frac=1, random_state=3), outcome="y", treatment="d")
    assert shifted.estimate == pytest.approx(base.estimate, abs=1e-9)
    assert shifted.std_error == pytest.approx(base.std_error, rel=1e-9)
    assert shuffled.estimate == pytest.approx(base.estimate, rel=1e-12)
    before = df.copy()
    difference_in_means(df, outcome="y", treatment="d")
    pd.testing.assert_frame_equal(df, before)


def test_bad_inputs_name_the_problem():
    df = pd.DataFrame({"y": [1.0, 2, 3, 4], "d": [0, 1, 2, 1]})
    with pytest.raises(DataError, match=r"'d' must be binary .*\[0, 1, 2\]"):
        difference_in_means(df, outcome="y", treatment="d")
    with pytest.raises(DataError, match="no variation"):
        difference_in_means(df.assign(d=1), outcome="y", treatment="d")
    with pytest.raises(DataError, match=r"'y' has missing values in 1 row"):
        difference_in_means(df.assign(d=[0, 1, 0, 1], y=[1, None, 2, 3]), outcome="y", treatment="d")
    with pytest.raises(DataError, match="'yy' not found.*Did you mean 'y'"):
        difference_in_means(df, outcome="yy", treatment="d")
    with pytest.raises(SpecificationError, match="estimand"):
        difference_in_means(df.assign(d=[0, 1, 0, 1]), outcome="y", treatment="d", estimand="ATX")
    with pytest.raises(SpecificationError, match="does not support se='abadie_imbens'|must be one of"):
        difference_in_means(df.assign(d=[0, 1, 0, 1]), outcome="y", treatment="d", se="abadie_imbens")


def test_result_contract(nsw):
    res = difference_in_means(nsw, outcome="re78", treatment="treat", estimand="att")
    d = res.to_dict()
    for key in ("method", "estimand", "outcome", "estimate", "std_error", "ci_lower", "ci_upper", "p_value",
                "n_treated", "n_control", "inference", "sample_sizes", "spec"):
        assert key in d
    assert d["estimand"] == "ATT"
    frame = res.to_frame()
    assert list(frame.columns) == ["term", "estimate", "std_error", "statistic", "p_value", "ci_lower", "ci_upper", "n_obs"]
    assert frame["n_obs"].iloc[0] == 445
    text = str(res)
    assert "difference_in_means" in text and "Welch" in text
    with pytest.raises(AttributeError):
        res.estimate = 0.0  # frozen


@pytest.mark.slow
def test_monte_carlo_coverage_under_randomisation():
    """Randomised design, heteroskedastic outcome, true effect 0.5: bias ~ 0 and 95% coverage."""
    rng = np.random.default_rng(2024)
    reps, n, tau = 1000, 200, 0.5
    hits, ests = 0, []
    for _ in range(reps):
        d = rng.random(n) < 0.3
        y = rng.normal(size=n) * np.where(d, 2.0, 1.0) + tau * d
        res = difference_in_means(pd.DataFrame({"y": y, "d": d.astype(int)}), outcome="y", treatment="d")
        hits += res.ci_lower <= tau <= res.ci_upper
        ests.append(res.estimate)
    coverage = hits / reps
    assert 0.93 <= coverage <= 0.97, coverage
    assert abs(np.mean(ests) - tau) < 3 * np.std(ests) / np.sqrt(reps)
