"""Balance statistics against plain numpy computations, and balance_table() built from them."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes

from _stacked import simulate
from iej_impact.errors import DataError, SpecificationError
from iej_impact.observational._balance import (
    BalanceTable,
    balance_table,
    ecdf_stats,
    ks_statistic,
    smd,
    variance_ratio,
    weighted_mean,
    weighted_var,
)

COVS = ["x1", "x2", "region"]


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(11)
    n = 300
    t = rng.random(n) < 0.4
    x = rng.normal(size=n) + 0.5 * t
    b = (rng.random(n) < np.where(t, 0.6, 0.3)).astype(float)
    w = rng.uniform(0.2, 3.0, n)
    return x, b, t, w


def _unbiased_weighted_var(x, w):
    """Written out: sum w (x - m)^2 / (V1 - V2 / V1) with V1 = sum w, V2 = sum w^2."""
    v1, v2 = w.sum(), (w**2).sum()
    m = (w * x).sum() / v1
    return (w * (x - m) ** 2).sum() / (v1 - v2 / v1)


def test_weighted_mean_and_variance(data):
    x, b, t, w = data
    assert weighted_mean(x) == pytest.approx(np.mean(x))
    assert weighted_mean(x, w) == pytest.approx(np.average(x, weights=w))
    assert weighted_var(x) == pytest.approx(np.var(x, ddof=1))
    assert weighted_var(x, w) == pytest.approx(_unbiased_weighted_var(x, w))
    p = np.average(b, weights=w)
    assert weighted_var(b, w) == pytest.approx(p * (1 - p))  # binary: p(1-p)
    assert weighted_var(b, w, binary=False) == pytest.approx(_unbiased_weighted_var(b, w))


@pytest.mark.parametrize("denominator", ["pooled", "treated", "control"])
def test_smd_with_explicit_denominator(data, denominator):
    x, _, t, w = data
    v1, v0 = np.var(x[t], ddof=1), np.var(x[~t], ddof=1)
    sd = {"pooled": np.sqrt((v1 + v0) / 2), "treated": np.sqrt(v1), "control": np.sqrt(v0)}[denominator]
    assert smd(x, t, sd_denominator=denominator) == pytest.approx((x[t].mean() - x[~t].mean()) / sd)
    # weighted means, SD of the unadjusted sample (the same denominator before and after)
    diff_w = np.average(x[t], weights=w[t]) - np.average(x[~t], weights=w[~t])
    assert smd(x, t, w, sd_denominator=denominator) == pytest.approx(diff_w / sd)


def test_variance_ratio(data):
    x, b, t, w = data
    assert variance_ratio(x, t) == pytest.approx(np.var(x[t], ddof=1) / np.var(x[~t], ddof=1))
    assert variance_ratio(x, t, w) == pytest.approx(_unbiased_weighted_var(x[t], w[t]) / _unbiased_weighted_var(x[~t], w[~t]))
    assert np.isnan(variance_ratio(b, t))


def _brute_ecdf(x, t, w):
    diffs = []
    for v in np.unique(x):
        f1 = w[t & (x <= v)].sum() / w[t].sum()
        f0 = w[~t & (x <= v)].sum() / w[~t].sum()
        diffs.append(abs(f1 - f0))
    return np.mean(diffs), np.max(diffs)


def test_ecdf_statistics_against_brute_force(data):
    x, b, t, w = data
    xr = np.round(x, 1)  # ties
    for values in (x, xr, b):
        for weights in (None, w):
            ww = np.ones_like(values) if weights is None else weights
            mean, mx = ecdf_stats(values, t, weights)
            bm, bx = _brute_ecdf(values, t, ww)
            assert mean == pytest.approx(bm) and mx == pytest.approx(bx)
    # unweighted KS equals scipy's two-sample statistic
    from scipy import stats

    assert ks_statistic(x, t) == pytest.approx(stats.ks_2samp(x[t], x[~t]).statistic)


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    return simulate(600, seed=3)


def test_table_equals_the_pure_statistics(df):
    w = np.random.default_rng(2).uniform(0.1, 2.0, len(df))
    bal = balance_table(df, treatment="d", covariates=COVS, weights=w, stats=["smd", "variance_ratio", "ks", "ecdf_mean"])
    assert isinstance(bal, BalanceTable)
    t = df["d"].to_numpy() == 1
    assert list(bal.table.index) == ["x1", "x2", "region[a]", "region[b]", "region[c]"]  # every level shown
    x1 = df["x1"].to_numpy()
    row = bal.table.loc["x1"]
    assert row["type"] == "continuous"
    assert row["mean_treated_after"] == pytest.approx(np.average(x1[t], weights=w[t]))
    assert row["smd_before"] == pytest.approx(smd(x1, t))
    assert row["smd_after"] == pytest.approx(smd(x1, t, w))
    assert row["variance_ratio_after"] == pytest.approx(variance_ratio(x1, t, w))
    assert row["ks_after"] == pytest.approx(ks_statistic(x1, t, w))
    assert row["ecdf_mean_before"] == pytest.approx(ecdf_stats(x1, t)[0])
    rb = (df["region"] == "b").to_numpy(dtype=float)
    assert bal.table.loc["region[b]", "type"] == "binary"
    assert bal.table.loc["region[b]", "smd_after"] == pytest.approx(smd(rb, t, w))
    assert np.isnan(bal.table.loc["region[b]", "variance_ratio_before"])
    assert bal.sample_sizes.loc["after", "treated_ess"] == pytest.approx(w[t].sum() ** 2 / (w[t] ** 2).sum())


def test_flags_threshold_and_denominator_by_estimand(df):
    bal = balance_table(df, treatment="d", covariates=COVS, threshold=0.1)
    assert bal.table["imbalanced"].tolist() == (np.abs(bal.table["smd_before"]) > 0.1).tolist()
    assert bal.n_imbalanced >= 1 and bal.max_abs_smd == pytest.approx(np.abs(bal.table["smd_before"]).max())
    assert balance_table(df, treatment="d", covariates=COVS, estimand="ATT").sd_denominator == "treated"
    assert balance_table(df, treatment="d", covariates=COVS, estimand="ATC").sd_denominator == "control"
    raw = balance_table(df, treatment="d", covariates=["x2"], binary="raw")
    t = df["d"].to_numpy() == 1
    assert raw.table.loc["x2", "smd_before"] == pytest.approx(df["x2"][t].mean() - df["x2"][~t].mean())


def test_sampling_weights_apply_before_and_after(df):
    sw = df["sw"].to_numpy()
    t = df["d"].to_numpy() == 1
    bal = balance_table(df, treatment="d", covariates=["x1"], weights=np.ones(len(df)), sampling_weights="sw")
    x = df["x1"].to_numpy()
    assert bal.table.loc["x1", "mean_treated_before"] == pytest.approx(np.average(x[t], weights=sw[t]))
    assert bal.table.loc["x1", "smd_after"] == pytest.approx(bal.table.loc["x1", "smd_before"])
    assert bal.table.loc["x1", "smd_before"] == pytest.approx(smd(x, t, sw, sd_weights=sw))


def test_zero_weights_drop_units(df):
    t = df["d"].to_numpy() == 1
    w = np.where(np.arange(len(df)) % 2 == 0, 1.0, 0.0)
    bal = balance_table(df, treatment="d", covariates=["x1"], weights=w)
    keep = w > 0
    assert bal.sample_sizes.loc["after", "treated_n"] == int((keep & t).sum())
    x = df["x1"].to_numpy()
    assert bal.table.loc["x1", "mean_control_after"] == pytest.approx(x[keep & ~t].mean())


def test_display_export_plot(df):
    bal = balance_table(df, treatment="d", covariates=COVS, weights="sw")
    json.dumps(bal.to_dict())
    assert "term" in bal.to_frame().columns
    assert "|SMD| > 0.1" in str(bal)
    ax = bal.plot_love()
    assert isinstance(ax, Axes)
    lines = [ln for ln in ax.get_lines() if len(ln.get_xdata()) == len(bal.table)]
    np.testing.assert_allclose(lines[0].get_xdata(), np.abs(bal.table["smd_before"]))  # the table's numbers
    np.testing.assert_allclose(lines[1].get_xdata(), np.abs(bal.table["smd_after"]))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"weights": np.ones(3)}, SpecificationError, "array of 600 values"),
        ({"weights": "nope"}, DataError, "not found"),
        ({"weights": -np.ones(600)}, DataError, "weights must be finite and >= 0"),
        ({"weights": np.where(np.arange(600) < 600, 0.0, 1.0)}, DataError, "has weight 0"),
        ({"stats": ["smd", "kurtosis"]}, SpecificationError, "'stats' parameter"),
        ({"sd_denominator": "both"}, SpecificationError, "'sd_denominator' parameter"),
        ({"covariates": []}, SpecificationError, "at least one covariate"),
    ],
)
def test_bad_input(df, kwargs, error, message):
    args = {"treatment": "d", "covariates": COVS, **kwargs}
    with pytest.raises(error, match=message):
        balance_table(df, **args)


@pytest.mark.parametrize("estimator", ["ipw", "doubly_robust"])
@pytest.mark.parametrize("estimand", ["ATE", "ATT"])
def test_estimators_balance_on_their_own_design_equals_balance_table(monkeypatch, estimator, estimand):
    """ipw and doubly_robust pass their numeric design to the balance table instead of rebuilding it:
    the table is the one balance_table gives."""
    import iej_impact as iej
    from iej_impact.observational import _balance
    from iej_impact.observational._balance import balance_table as table_of

    rng = np.random.default_rng(3)
    n = 400
    df = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.integers(0, 2, n), "sw": rng.uniform(0.5, 2, n)})
    df["d"] = (rng.random(n) < 1 / (1 + np.exp(-df["x1"]))).astype(int)
    df["y"] = df["x1"] + df["d"] + rng.normal(size=n)
    calls = []
    monkeypatch.setattr(_balance, "balance_table", lambda *a, **k: calls.append(1) or table_of(*a, **k))
    res = getattr(iej, estimator)(df, outcome="y", treatment="d", covariates=["x1", "x2"], estimand=estimand,
                                  weights="sw")
    assert not calls  # numeric covariates: the estimator's design was reused
    got = res.diagnostics["balance"]
    want = table_of(df, treatment="d", covariates=["x1", "x2"], weights=res.diagnostics["weights"],
                    sampling_weights="sw", estimand=estimand)
    pd.testing.assert_frame_equal(got.table, want.table, rtol=1e-9)
    pd.testing.assert_frame_equal(got.sample_sizes, want.sample_sizes, rtol=1e-9)
    assert got.sd_denominator == want.sd_denominator
