"""Sampling (survey) weights in matching: match/psm/estimate_effect(weights=...) and matched_did(weights=...).

MatchIt's ``s.weights`` conventions: the weights enter the propensity-score likelihood and the balance
table, not the matching; the effect weights each unit by its matching weight times its sampling weight;
the standard error is the weighted regression's (pair-clustered by default where pairs exist), checked
here against statsmodels' WLS with cluster-robust (CR1) errors. The Abadie-Imbens SE and the bias
correction are refused. Coverage: tests/test_matching_sampling_weights_monte_carlo.py (slow).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import special

from iej_impact import AbadieImbens, balance_table, did, match, matched_did, propensity_score, psm, rosenbaum_bounds
from iej_impact.errors import PanelStructureError, SpecificationError
from iej_impact.report._diagnostics import result_diagnostics

COVS = ["x1", "x2"]


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    rng = np.random.default_rng(42)
    n = 1200
    x1, x2 = rng.normal(size=(2, n))
    d = (rng.random(n) < special.expit(-1.0 + 0.8 * x1 - 0.5 * x2)).astype(int)
    y = 1 + x1 + x2 + d * (1 + 0.5 * x1) + rng.normal(size=n)
    sw = 1.0 / special.expit(0.3 + 0.8 * x1)
    return pd.DataFrame({"x1": x1, "x2": x2, "d": d, "y": y, "sw": sw, "g": rng.integers(0, 40, size=n)})


def test_score_balance_and_matched_data_carry_the_sampling_weights(df):
    m = match(df, treatment="d", covariates=COVS, weights="sw")
    ps = propensity_score(df, treatment="d", covariates=COVS, weights="sw")
    np.testing.assert_allclose(m.propensity, ps.scores, rtol=1e-10)
    sw = df["sw"].to_numpy()
    np.testing.assert_allclose(m.final_weights, m.weights * sw)
    md = m.matched_data()
    np.testing.assert_allclose(md["weights"].to_numpy(), (m.weights * sw)[m.matched])
    bal = m.balance()
    expected = balance_table(df, treatment="d", covariates=COVS, weights=m.weights, sampling_weights="sw")
    pd.testing.assert_frame_equal(bal.table, expected.table)
    d = df["d"].to_numpy() == 1
    assert bal.table.loc["x1", "mean_treated_before"] == pytest.approx(sw[d] @ df["x1"].to_numpy()[d] / sw[d].sum())
    assert m.spec["weights"] == "sw"
    assert result_diagnostics(psm(df, outcome="y", treatment="d", covariates=COVS, weights="sw"))["matching"][
        "weights"] == "sw"


@pytest.mark.parametrize("kwargs", [{}, {"ratio": 2}, {"method": "subclass"}])
def test_estimate_and_pair_cluster_se_are_the_weighted_regression(df, kwargs):
    res = psm(df, outcome="y", treatment="d", covariates=COVS, weights="sw", **kwargs)
    m = res.diagnostics["matching"]
    assert res.inference.name == "pair_cluster"
    used = m.matched
    w = m.final_weights[used]
    x = sm.add_constant(df["d"].to_numpy()[used].astype(float))
    fit = sm.WLS(df["y"].to_numpy()[used], x, weights=w).fit(
        cov_type="cluster", cov_kwds={"groups": m.subclass[used]})
    assert res.estimate == pytest.approx(fit.params[1], rel=1e-10)
    assert res.std_error == pytest.approx(fit.bse[1], rel=1e-8)
    assert any("Sampling weights 'sw'" in n for n in res.notes)


def test_robust_and_clustered_se_match_statsmodels(df):
    res = psm(df, outcome="y", treatment="d", covariates=COVS, weights="sw", replace=True)
    assert res.inference.name == "robust"  # the default with replacement: no pairs, no Abadie-Imbens
    m = res.diagnostics["matching"]
    used = m.matched
    x = sm.add_constant(df["d"].to_numpy()[used].astype(float))
    wls = sm.WLS(df["y"].to_numpy()[used], x, weights=m.final_weights[used])
    assert res.estimate == pytest.approx(wls.fit().params[1], rel=1e-10)
    assert res.std_error == pytest.approx(wls.fit(cov_type="HC1").bse[1], rel=1e-8)
    cl = psm(df, outcome="y", treatment="d", covariates=COVS, weights="sw", replace=True,
             se={"type": "clustered", "by": "g"})
    groups = df["g"].to_numpy()[used]
    assert cl.std_error == pytest.approx(wls.fit(cov_type="cluster", cov_kwds={"groups": groups}).bse[1], rel=1e-8)


def test_unit_weights_change_nothing(df):
    ones = df.assign(one=1.0)
    plain = psm(ones, outcome="y", treatment="d", covariates=COVS, se="pair_cluster")
    weighted = psm(ones, outcome="y", treatment="d", covariates=COVS, weights="one")
    assert weighted.estimate == pytest.approx(plain.estimate, rel=1e-12)
    assert weighted.std_error == pytest.approx(plain.std_error, rel=1e-12)


@pytest.mark.parametrize("se", ["abadie_imbens", {"type": "abadie_imbens", "neighbours": 1}, AbadieImbens()])
def test_abadie_imbens_is_refused_with_the_reason(df, se):
    with pytest.raises(SpecificationError, match=r"Abadie-Imbens standard error is not available with sampling weights"):
        psm(df, outcome="y", treatment="d", covariates=COVS, weights="sw", replace=True, se=se)
    m = match(df, treatment="d", covariates=COVS, weights="sw", replace=True)
    with pytest.raises(SpecificationError, match="no extension to survey weights is established"):
        m.estimate("y", se=se)


def test_bias_correction_and_rosenbaum_bounds_are_refused(df):
    m = match(df, treatment="d", covariates=COVS, weights="sw", replace=True)
    with pytest.raises(SpecificationError, match="bias_adjust is not available with sampling weights"):
        m.estimate("y", bias_adjust=True)
    with pytest.raises(SpecificationError, match="bias_adjust is not available with sampling weights"):
        psm(df, outcome="y", treatment="d", covariates=COVS, weights="sw", replace=True, bias_adjust=["x1"])
    pairs = match(df, treatment="d", covariates=COVS, weights="sw")
    with pytest.raises(SpecificationError, match="sampling weights"):
        rosenbaum_bounds(pairs, outcome="y")


def test_sampling_weights_are_checked(df):
    with pytest.raises(Exception, match="must be finite and > 0"):
        psm(df.assign(sw=np.where(df.index == 3, 0.0, df["sw"])), outcome="y", treatment="d", covariates=COVS,
            weights="sw")
    with pytest.raises(Exception, match="nope"):
        match(df, treatment="d", covariates=COVS, weights="nope")


def _panel(df: pd.DataFrame) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = len(df)
    pre = df.assign(id=np.arange(n), p=0, y=df["x1"] + rng.normal(size=n))
    post = pre.assign(p=1, y=pre["y"] + 0.5 * df["x1"] + df["d"] * 1.0 + rng.normal(size=n))
    return pd.concat([pre, post], ignore_index=True)


def test_matched_did_weights_the_mean_changes(df):
    panel = _panel(df)
    res = matched_did(panel, outcome="y", treatment="d", post="p", unit="id", covariates=COVS,
                      match_pre_outcome=False, caliper=None, weights="sw")
    m = res.diagnostics["match"]
    assert m.spec["weights"] == "sw"
    pre, post = panel[panel["p"] == 0].sort_values("id"), panel[panel["p"] == 1].sort_values("id")
    dy = post["y"].to_numpy() - pre["y"].to_numpy()
    w = m.final_weights
    d = pre["d"].to_numpy() == 1
    manual = w[d] @ dy[d] / w[d].sum() - w[~d] @ dy[~d] / w[~d].sum()
    assert res.estimate == pytest.approx(manual, rel=1e-10)
    assert res.inference.name == "robust" and "pairs" in res.notes[0]
    assert any("Sampling weights 'sw'" in n for n in res.notes)
    unweighted = matched_did(panel, outcome="y", treatment="d", post="p", unit="id", covariates=COVS,
                             match_pre_outcome=False, caliper=None)
    assert unweighted.estimate != pytest.approx(res.estimate)
    varying = panel.assign(sw=np.where(panel["p"] == 1, panel["sw"] * 2, panel["sw"]))
    with pytest.raises(PanelStructureError, match="'sw' changes between the pre and post rows"):
        matched_did(varying, outcome="y", treatment="d", post="p", unit="id", covariates=COVS, weights="sw")
    assert did(panel, outcome="y", treatment="d", post="p", unit="id", weights="sw").estimate is not None


@pytest.mark.parametrize("kwargs", [{"estimand": "ATE", "replace": True}, {"replace": True, "ties": True},
                                    {"method": "kernel"}, {"method": "radius", "caliper": 0.1}])
def test_every_method_weights_its_matching_weights_by_the_sampling_weights(df, kwargs):
    res = psm(df, outcome="y", treatment="d", covariates=COVS, weights="sw", **kwargs)
    m = res.diagnostics["matching"]
    w, y, d = m.final_weights, df["y"].to_numpy(), df["d"].to_numpy() == 1
    manual = w[d] @ y[d] / w[d].sum() - w[~d] @ y[~d] / w[~d].sum()
    assert res.estimate == pytest.approx(manual, rel=1e-10)
    assert res.inference.name == "robust"
