"""Rosenbaum bounds: against scipy at Gamma = 1, against exact enumeration of the bounding
distributions under Gamma for small n, and end to end on a 1:1 matching."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from iej_impact.errors import DataError, SpecificationError
from iej_impact.matching import match
from iej_impact.sensitivity import rosenbaum_bounds


def test_gamma_one_is_the_signed_rank_test_with_tie_corrected_variance():
    rng = np.random.default_rng(0)
    yt = np.round(rng.normal(0.4, 1, 60), 1)  # rounding creates ties in |d|
    yc = np.round(rng.normal(0, 1, 60), 1)
    res = rosenbaum_bounds(np.column_stack([yt, yc]), gammas=[1.0])
    ref = stats.wilcoxon(yt - yc, alternative="greater", method="approx", correction=False, zero_method="wilcox")
    assert res.p_upper[0] == pytest.approx(ref.pvalue, rel=1e-10)
    assert res.p_lower[0] == pytest.approx(ref.pvalue, rel=1e-10)
    assert res.test == "wilcoxon"


def test_signed_rank_bounds_approach_the_exact_bounding_distribution():
    """Exact P(sum r_i B_i >= T), B_i ~ Bernoulli(Gamma / (1 + Gamma)), by enumerating 2^14 sign patterns."""
    rng = np.random.default_rng(3)
    d = rng.normal(0.8, 1.0, 14)
    res = rosenbaum_bounds(np.column_stack([d, np.zeros(14)]), gammas=[1.0, 1.5, 2.0, 3.0])
    ranks = stats.rankdata(np.abs(d))
    t_obs = ranks[d > 0].sum()
    signs = np.array(list(itertools.product([0, 1], repeat=14)))
    t_all = signs @ ranks
    k = signs.sum(axis=1)
    for g, p_up, p_lo in zip(res.gammas, res.p_upper, res.p_lower, strict=True):
        for p, approx in ((g / (1 + g), p_up), (1 / (1 + g), p_lo)):
            prob = p**k * (1 - p) ** (14 - k)
            exact = np.sum(prob[t_all >= t_obs])
            assert approx == pytest.approx(exact, abs=0.05)  # normal approximation (no continuity correction), n = 14
            # the approximation uses the exact mean and variance of the bounding statistic
            mean = np.sum(prob * t_all)
            var = np.sum(prob * (t_all - mean) ** 2)
            assert stats.norm.sf((t_obs - mean) / np.sqrt(var)) == pytest.approx(approx, rel=1e-9)
    assert np.all(np.diff(res.p_upper) > 0) and np.all(np.diff(res.p_lower) < 0)


def test_mcnemar_bounds_are_exact_binomial_tails_checked_by_enumeration():
    yt = np.array([1] * 9 + [0] * 2 + [1] * 5 + [0] * 4)
    yc = np.array([0] * 9 + [1] * 2 + [1] * 5 + [0] * 4)
    res = rosenbaum_bounds(pd.DataFrame({"t": yt, "c": yc}), gammas=[1.0, 2.0, 4.0])
    assert res.test == "mcnemar" and res.statistic == 9 and res.n_pairs == 11
    outcomes = np.array(list(itertools.product([0, 1], repeat=11)))
    k = outcomes.sum(axis=1)
    for g, p_up, p_lo in zip(res.gammas, res.p_upper, res.p_lower, strict=True):
        for p, got in ((g / (1 + g), p_up), (1 / (1 + g), p_lo)):
            exact = np.sum((p**k * (1 - p) ** (11 - k))[k >= 9])
            assert got == pytest.approx(exact, rel=1e-12)
    assert res.p_upper[0] == pytest.approx(stats.binomtest(9, 11, 0.5, alternative="greater").pvalue, rel=1e-12)
    # critical Gamma: upper bound equals alpha there
    p = res.critical_gamma / (1 + res.critical_gamma)
    assert stats.binom.sf(8, 11, p) == pytest.approx(0.05, abs=1e-8)


def test_critical_gamma_and_frames():
    d = np.linspace(0.1, 3.0, 40)
    d[::7] *= -1
    res = rosenbaum_bounds(np.column_stack([d, np.zeros(40)]), alpha=0.05)
    p = res.critical_gamma / (1 + res.critical_gamma)
    ranks = stats.rankdata(np.abs(d))
    z = (ranks[d > 0].sum() - p * ranks.sum()) / np.sqrt(p * (1 - p) * np.sum(ranks**2))
    assert stats.norm.sf(z) == pytest.approx(0.05, abs=1e-8)
    frame = res.to_frame()
    assert list(frame.columns) == ["gamma", "p_lower", "p_upper", "significant"]
    assert frame["significant"].iloc[0] and res.critical_gamma > 1
    assert "Critical Gamma" in str(res) and res.to_dict()["test"] == "wilcoxon"
    # no effect at all: not significant even at Gamma = 1
    flat = rosenbaum_bounds(np.column_stack([np.r_[d, -d], np.zeros(80)]))
    assert flat.critical_gamma == 1.0


@pytest.mark.filterwarnings("ignore::iej_impact.errors.OverlapWarning")
def test_match_result_hook_and_errors():
    rng = np.random.default_rng(5)
    n = 400
    x = rng.normal(size=n)
    d = (rng.random(n) < 1 / (1 + np.exp(-x))).astype(int)
    df = pd.DataFrame({"x": x, "d": d, "y": x + 1.0 * d + rng.normal(size=n), "yb": (rng.random(n) < 0.3 + 0.2 * d)})
    df["yb"] = df["yb"].astype(int)
    m = match(df, treatment="d", covariates=["x"])
    res = m.sensitivity("y")
    pr = m.pairs()
    pos = {lab: i for i, lab in enumerate(df.index)}
    yt = df["y"].to_numpy()[[pos[t] for t in pr["treated"]]]
    yc = df["y"].to_numpy()[[pos[c] for c in pr["control"]]]
    direct = rosenbaum_bounds(np.column_stack([yt, yc]))
    np.testing.assert_allclose(res.p_upper, direct.p_upper)
    assert res.critical_gamma > 1.5
    assert m.sensitivity("yb").test == "mcnemar"
    with pytest.raises(SpecificationError, match="1:1"):
        match(df, treatment="d", covariates=["x"], ratio=2).sensitivity("y")
    with pytest.raises(SpecificationError, match="gammas"):
        rosenbaum_bounds(np.column_stack([yt, yc]), gammas=[0.5])
    with pytest.raises(DataError, match="mcnemar"):
        rosenbaum_bounds(np.column_stack([yt, yc]), test="mcnemar")
    rep = match(df, treatment="d", covariates=["x"], replace=True).sensitivity("y")
    assert any("reuse a control" in n for n in rep.notes)
