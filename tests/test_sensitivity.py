"""Rosenbaum bounds: against scipy at Gamma = 1, against exact enumeration of the bounding
distributions under Gamma for small n, Hodges-Lehmann bounds against their definition, and end to end
on a 1:1 matching. Published examples (R rbounds, Rosenbaum's DOS): tests/reference/test_rosenbaum_published.py."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from iej_impact import match, rosenbaum_bounds
from iej_impact.errors import DataError, SpecificationError


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
    assert list(frame.columns) == ["gamma", "p_lower", "p_upper", "significant", "hl_lower", "hl_upper"]
    assert frame["significant"].iloc[0] and res.critical_gamma > 1
    assert "Critical Gamma" in str(res) and "hl_lower" in str(res)
    payload = res.to_dict()
    assert payload["test"] == "wilcoxon" and payload["method"] == "normal" and payload["zero_method"] == "wilcox"
    assert payload["bounds"]["hl_upper"][0] == pytest.approx(res.hl_upper[0])
    bare = rosenbaum_bounds(np.column_stack([d, np.zeros(40)]), hodges_lehmann=False)
    assert list(bare.to_frame().columns) == ["gamma", "p_lower", "p_upper", "significant"]
    np.testing.assert_array_equal(bare.p_upper, res.p_upper)
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


def _exact_tail(scores: np.ndarray, t_obs: float, p: float) -> float:
    """P(sum_i scores_i B_i >= t_obs) by enumerating every sign pattern."""
    signs = np.array(list(itertools.product([0, 1], repeat=scores.shape[0])))
    k = signs.sum(axis=1)
    prob = p**k * (1 - p) ** (scores.shape[0] - k)
    return float(np.sum(prob[signs @ scores >= t_obs - 1e-9]))


@pytest.mark.parametrize("zero_method", ["wilcox", "pratt"])
def test_exact_method_equals_enumeration_with_ties_and_zeros(zero_method):
    d = np.array([1.5, -0.5, 2.0, 2.0, 0.0, 3.5, -2.0, 0.5, 4.0, 0.0, 1.0, 2.5, -1.0])  # ties, two zeros
    res = rosenbaum_bounds(np.column_stack([d, np.zeros(13)]), gammas=[1.0, 1.7, 3.0], method="exact",
                           zero_method=zero_method)
    nz = d != 0
    ranks = stats.rankdata(np.abs(d))[nz] if zero_method == "pratt" else stats.rankdata(np.abs(d[nz]))
    t_obs = ranks[d[nz] > 0].sum()
    assert res.statistic == t_obs and res.n_pairs == 11 and res.n_total == 13 and res.zero_method == zero_method
    for g, up, lo in zip(res.gammas, res.p_upper, res.p_lower, strict=True):
        assert up == pytest.approx(_exact_tail(ranks, t_obs, g / (1 + g)), rel=1e-12)
        assert lo == pytest.approx(_exact_tail(ranks, t_obs, 1 / (1 + g)), rel=1e-12)
    assert any("2 pairs with a zero difference" in n for n in res.notes)
    # critical Gamma of the exact bound
    p = res.critical_gamma / (1 + res.critical_gamma)
    assert _exact_tail(ranks, t_obs, p) == pytest.approx(0.05, abs=1e-8)


def test_exact_gamma_one_is_scipys_exact_signed_rank_test():
    rng = np.random.default_rng(11)
    d = rng.normal(0.5, 1.0, 25)
    res = rosenbaum_bounds(np.column_stack([d, np.zeros(25)]), gammas=[1.0], method="exact")
    ref = stats.wilcoxon(d, alternative="greater", method="exact")
    assert res.p_upper[0] == pytest.approx(ref.pvalue, rel=1e-10)


def test_pratt_zeros_at_gamma_one_match_scipy():
    rng = np.random.default_rng(2)
    d = np.round(rng.normal(0.3, 1.0, 50), 1)  # ties and 3 zero differences
    assert (d == 0).sum() == 3
    res = rosenbaum_bounds(np.column_stack([d, np.zeros(50)]), gammas=[1.0], zero_method="pratt")
    ref = stats.wilcoxon(d, alternative="greater", method="approx", correction=False, zero_method="pratt")
    assert res.p_upper[0] == pytest.approx(ref.pvalue, rel=1e-10)
    wil = rosenbaum_bounds(np.column_stack([d, np.zeros(50)]), gammas=[1.0])
    assert wil.p_upper[0] != pytest.approx(res.p_upper[0], rel=1e-6)


def test_mcnemar_normal_method_is_the_normal_approximation_to_the_binomial():
    pairs = np.array([[1, 0]] * 40 + [[0, 1]] * 22 + [[1, 1]] * 30, dtype=float)
    res = rosenbaum_bounds(pairs, gammas=[1.0, 1.5], method="normal")
    assert res.method == "normal" and res.statistic == 40 and res.n_pairs == 62 and res.n_total == 92
    for g, up in zip(res.gammas, res.p_upper, strict=True):
        p = g / (1 + g)
        assert up == pytest.approx(stats.norm.sf((40 - 62 * p) / np.sqrt(62 * p * (1 - p))), rel=1e-12)
    exact = rosenbaum_bounds(pairs, gammas=[1.0, 1.5])
    assert exact.method == "exact" and abs(exact.p_upper[0] - res.p_upper[0]) > 1e-3


def _hl_by_definition(d: np.ndarray, g: float) -> tuple[float, float]:
    """Rosenbaum (1993): midpoints of {tau: T(tau) = E T+} and {tau: T(tau) = E T-}, with T(tau) evaluated by
    ranking |d - tau| directly, between consecutive Walsh averages (where T is constant)."""
    i, j = np.triu_indices(d.shape[0])
    walsh = np.unique((d[i] + d[j]) / 2)
    grid = np.r_[walsh[0] - 1, (walsh[:-1] + walsh[1:]) / 2, walsh[-1] + 1]
    t = np.array([stats.rankdata(np.abs(d - x))[d - x > 0].sum() for x in grid])
    m = d.shape[0] * (d.shape[0] + 1) / 2
    out = []
    for mu in (m * g / (1 + g), m / (1 + g)):
        sup = walsh[np.flatnonzero(t[1:] <= mu)[0]]  # T > mu just before this Walsh average, <= mu after it
        inf = walsh[np.flatnonzero(t[1:] < mu)[0]]
        out.append((sup + inf) / 2)
    return out[0], out[1]


def test_hodges_lehmann_bounds_match_their_definition():
    rng = np.random.default_rng(4)
    d = np.round(rng.normal(1.0, 2.0, 18), 0)  # integer data: ties, zeros, flat stretches of T(tau)
    gammas = [1.0, 1.5, 2.0, 3.0, 5.0]
    res = rosenbaum_bounds(np.column_stack([d, np.zeros(18)]), gammas=gammas)
    i, j = np.triu_indices(18)
    assert res.hl_lower[0] == res.hl_upper[0] == pytest.approx(np.median((d[i] + d[j]) / 2))
    for g, low, high in zip(gammas, res.hl_lower, res.hl_upper, strict=True):
        exp_low, exp_high = _hl_by_definition(d, g)
        assert low == pytest.approx(exp_low, abs=1e-12) and high == pytest.approx(exp_high, abs=1e-12)
    # equivariant under a shift of every difference, and independent of the zero convention
    shifted = rosenbaum_bounds(np.column_stack([d + 2.5, np.zeros(18)]), gammas=gammas, zero_method="pratt")
    np.testing.assert_allclose(shifted.hl_lower, res.hl_lower + 2.5, atol=1e-12)
    np.testing.assert_allclose(shifted.hl_upper, res.hl_upper + 2.5, atol=1e-12)


def test_walsh_order_statistics_without_enumerating_them_all(monkeypatch):
    """The path used for large samples (bisection on the value, then a small enumeration) gives the same
    order statistics as sorting all Walsh averages."""
    import iej_impact.matching._sensitivity as sens

    rng = np.random.default_rng(8)
    d = np.r_[np.round(rng.normal(0.4, 1.0, 150), 1), np.zeros(20)]  # ties and a block of equal averages
    i, j = np.triu_indices(d.shape[0])
    walsh = np.sort((d[i] + d[j]) / 2)
    s = np.sort(d)
    monkeypatch.setattr(sens, "_WALSH_BLOCK", 50)
    for k in (1, 2, 777, walsh.shape[0] // 2, 10_000, walsh.shape[0] - 1, walsh.shape[0]):
        assert sens._walsh_order_statistic(s, k) == pytest.approx(walsh[k - 1], rel=1e-14, abs=1e-14)
    small = rosenbaum_bounds(np.column_stack([d, np.zeros(d.shape[0])]), gammas=[1.0, 2.0, 4.0])
    monkeypatch.setattr(sens, "_WALSH_BLOCK", 2_000_000)
    full = rosenbaum_bounds(np.column_stack([d, np.zeros(d.shape[0])]), gammas=[1.0, 2.0, 4.0])
    np.testing.assert_allclose(small.hl_lower, full.hl_lower, atol=1e-14)
    np.testing.assert_allclose(small.hl_upper, full.hl_upper, atol=1e-14)


def test_option_errors():
    pairs = np.column_stack([np.arange(1.0, 11.0), np.zeros(10)])
    with pytest.raises(SpecificationError, match="'method'.*'exact'"):
        rosenbaum_bounds(pairs, method="exakt")
    with pytest.raises(SpecificationError, match="'zero_method'.*Did you mean 'pratt'"):
        rosenbaum_bounds(pairs, zero_method="prat")
    with pytest.raises(SpecificationError, match="hodges_lehmann"):
        rosenbaum_bounds(pairs, hodges_lehmann="yes")
    with pytest.raises(SpecificationError, match="gammas"):
        rosenbaum_bounds(pairs, gammas=["a"])
    big = np.column_stack([np.arange(1.0, 602.0), np.zeros(601)])
    with pytest.raises(SpecificationError, match="method='normal'"):
        rosenbaum_bounds(big, method="exact")
    with pytest.raises(DataError, match="no pairs with a non-zero difference"):
        rosenbaum_bounds(np.zeros((5, 2)), test="wilcoxon")


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"replace": True, "ties": True}, "ties=True"),
        ({"replace": True, "estimand": "ATE"}, "estimand='ATE'"),
        ({"method": "subclass"}, "method='subclass'"),
    ],
)
def test_results_without_one_to_one_pairs_say_why_and_how_to_rematch(kwargs, reason):
    rng = np.random.default_rng(0)
    x = np.round(rng.normal(size=400), 1)
    d = (rng.random(400) < 1 / (1 + np.exp(-x))).astype(int)
    df = pd.DataFrame({"x": x, "d": d, "y": x + d + rng.normal(size=400)})
    res = match(df, treatment="d", covariates=["x"], **kwargs)
    with pytest.raises(SpecificationError, match="1:1 matched pairs") as err:
        res.sensitivity("y")
    assert reason in str(err.value)
    assert "ties=False" in str(err.value)
