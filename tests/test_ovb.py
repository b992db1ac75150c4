"""ovb_sensitivity(): the omitted-variable-bias identities of Cinelli & Hazlett (2020) on simulated data,
robustness-value properties, the regression against statsmodels, and the result/argument handling.
The published darfur example is in tests/reference/test_ovb_darfur.py."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from iej_impact import doubly_robust, regression_adjustment
from iej_impact.errors import SpecificationError
from iej_impact.observational import _ovb_stats as ovb
from iej_impact.observational._ovb import ovb_sensitivity

TAU = 1.0


def _confounded(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Y = TAU D + X1 + 0.5 X2 + 0.8 Z + e; D depends on X1 and the (omitted) Z."""
    x1, x2, z = rng.normal(size=(3, n))
    d = (0.6 * x1 + 0.8 * z + rng.normal(size=n) > 0).astype(float)
    y = TAU * d + x1 + 0.5 * x2 + 0.8 * z + rng.normal(size=n)
    return pd.DataFrame({"y": y, "d": d, "x1": x1, "x2": x2, "z": z, "w": rng.uniform(0.5, 2.0, n)})


def _in_sample_strengths(df: pd.DataFrame, covs: list[str], weights: str | None = None) -> tuple[float, float]:
    """Partial R2 of the omitted z with d given covs, and with y given d and covs (z observed here)."""
    with_z = ovb_sensitivity(df, outcome="y", treatment="d", covariates=[*covs, "z"], weights=weights,
                             benchmark=["z"], kd=[0.0])
    row = with_z.benchmarks.iloc[0]
    return float(row["r2dxj_x"]), float(row["r2yxj_dx"])


def _long(df: pd.DataFrame, covs: list[str], weights: str | None = None) -> tuple[float, float]:
    x = sm.add_constant(df[["d", *covs, "z"]])
    fit = sm.WLS(df["y"], x, weights=df[weights] if weights else 1.0).fit()
    return float(fit.params["d"]), float(fit.bse["d"])


@pytest.mark.parametrize("weights", [None, "w"])
def test_true_strengths_recover_the_long_regression_exactly(weights) -> None:
    # the bias formula is an identity: with Z's in-sample partial R2s, the adjusted estimate and SE are the
    # coefficient and classical SE of the regression that includes Z
    df = _confounded(np.random.default_rng(11), 3000)
    covs = ["x1", "x2"]
    r2dz, r2yz = _in_sample_strengths(df, covs, weights)
    short = ovb_sensitivity(df, outcome="y", treatment="d", covariates=covs, weights=weights, r2dz_x=r2dz,
                            r2yz_dx=r2yz)
    row = short.scenarios.iloc[0]
    coef, se = _long(df, covs, weights)
    assert short.coefficient > coef  # Z biases the short regression upwards, so reduce=True is the direction
    assert row["adjusted_estimate"] == pytest.approx(coef, rel=1e-9)
    assert row["adjusted_se"] == pytest.approx(se, rel=1e-9)


@pytest.mark.slow
def test_monte_carlo_bias_adjusted_estimate_is_unbiased() -> None:
    rng = np.random.default_rng(2024)
    short, adjusted = [], []
    for _ in range(200):
        df = _confounded(rng, 800)
        r2dz, r2yz = _in_sample_strengths(df, ["x1", "x2"])
        res = ovb_sensitivity(df, outcome="y", treatment="d", covariates=["x1", "x2"], r2dz_x=r2dz, r2yz_dx=r2yz)
        short.append(res.coefficient)
        adjusted.append(float(res.scenarios.iloc[0]["adjusted_estimate"]))
    short_bias, adj = np.mean(short) - TAU, np.array(adjusted)
    assert short_bias > 0.3  # the omitted confounder matters
    assert abs(adj.mean() - TAU) < 3 * adj.std(ddof=1) / np.sqrt(len(adj))


def test_regression_matches_statsmodels_with_a_categorical_covariate() -> None:
    rng = np.random.default_rng(5)
    df = _confounded(rng, 500)
    df["region"] = rng.choice(["north", "south", "east"], size=500)
    res = ovb_sensitivity(df, outcome="y", treatment="d", covariates=["x1", "region"], weights="w")
    x = sm.add_constant(pd.concat([df[["d", "x1"]], pd.get_dummies(df["region"], drop_first=True, dtype=float)], axis=1))
    fit = sm.WLS(df["y"], x, weights=df["w"]).fit()
    assert res.coefficient == pytest.approx(fit.params["d"], rel=1e-10)
    assert res.std_error == pytest.approx(fit.bse["d"], rel=1e-10)
    assert res.dof == fit.df_resid
    assert res.r2yd_x == pytest.approx(fit.tvalues["d"] ** 2 / (fit.tvalues["d"] ** 2 + fit.df_resid))


@pytest.mark.parametrize("t", [0.5, 2.0, 4.0, 12.0, 40.0])
@pytest.mark.parametrize("dof", [30, 800])
def test_robustness_values_reach_their_thresholds(t, dof) -> None:
    rv = ovb.robustness_value(t, dof)
    se, est = 1.0, t  # so that t = est / se
    # RV_q: equal strengths RV bring the estimate exactly to zero
    assert ovb.adjusted_estimate(est, se, dof, rv, rv)[()] == pytest.approx(0.0, abs=1e-9 * est)
    rva = ovb.robustness_value(t, dof, alpha=0.05)
    crit = stats.t.ppf(0.975, dof - 1)
    if rva == 0.0:
        assert t <= crit * np.sqrt(dof) / np.sqrt(dof - 1) + 1e-12
        return
    assert rva < rv
    f, c = t / np.sqrt(dof), crit / np.sqrt(dof - 1)
    r2y = rva if f * c <= 1 else rva / (f**2 * (1 - rva))  # the weakest confounder's outcome side
    assert r2y <= rva + 1e-12
    t_adj = ovb.adjusted_estimate(est, se, dof, r2y, rva)[()] / ovb.adjusted_se(se, dof, r2y, rva)[()]
    assert t_adj == pytest.approx(crit, rel=1e-8)
    # and no confounder with both strengths below RV_{q,alpha} reaches the critical value (grid check)
    grid = np.linspace(0, rva * 0.999, 40)
    gd, gy = np.meshgrid(grid, grid)
    t_grid = ovb.adjusted_estimate(est, se, dof, gy, gd) / ovb.adjusted_se(se, dof, gy, gd)
    assert t_grid.min() > crit


def test_robustness_value_properties() -> None:
    assert ovb.robustness_value(0.0, 100) == 0.0
    assert ovb.robustness_value(0.0, 100, alpha=0.05) == 0.0
    ts = np.linspace(0, 30, 61)
    for kw in ({}, {"alpha": 0.05}, {"q": 0.5}, {"q": 2, "alpha": 0.1}):
        rvs = [ovb.robustness_value(t, 200, **kw) for t in ts]
        assert all(b >= a for a, b in zip(rvs, rvs[1:], strict=False))  # monotone in |t|
        assert all(0 <= r < 1 for r in rvs)
    assert ovb.robustness_value(-3.0, 100) == ovb.robustness_value(3.0, 100)
    # larger q needs a stronger confounder; a stricter alpha a weaker one
    assert ovb.robustness_value(3.0, 100, q=0.5) < ovb.robustness_value(3.0, 100) < ovb.robustness_value(3.0, 100, q=2)
    assert ovb.robustness_value(5.0, 100, alpha=0.01) < ovb.robustness_value(5.0, 100, alpha=0.1)
    # partial R2 of the treatment is the strength needed with a confounder explaining all of the outcome
    est, se, dof = 4.0, 1.0, 100
    r2 = ovb.partial_r2(est / se, dof)
    assert ovb.adjusted_estimate(est, se, dof, 1.0, r2)[()] == pytest.approx(0.0, abs=1e-12)


def test_benchmark_bounds_formula_and_limits() -> None:
    r2dz, r2yz, capped = ovb.benchmark_bounds(0.1, 0.2, 1.0, 1.0)
    assert r2dz == pytest.approx(0.1 / 0.9)
    eta = 0.01 / (0.9 * 0.9)
    assert r2yz == pytest.approx(((1 + np.sqrt(eta)) / np.sqrt(1 - eta)) ** 2 * 0.25)
    assert not capped
    assert ovb.benchmark_bounds(0.1, 0.2, 0.0, 0.0)[:2] == (0.0, 0.0)
    with pytest.raises(SpecificationError, match="kd must be below"):
        ovb.benchmark_bounds(0.3, 0.2, 3.0, 3.0)
    assert ovb.benchmark_bounds(0.05, 0.5, 2.0, 4.0)[2]  # implied R2 with the outcome > 1: capped


@pytest.fixture(scope="module")
def obs() -> pd.DataFrame:
    return _confounded(np.random.default_rng(21), 1500)


def test_with_a_regression_adjustment_result(obs) -> None:
    ra = regression_adjustment(obs, outcome="y", treatment="d", covariates=["x1", "x2"])
    res = ovb_sensitivity(obs, result=ra, benchmark=["x1"], kd=[1, 2])
    assert (res.outcome, res.treatment, res.covariates) == ("y", "d", ("x1", "x2"))
    assert res.source["method"] == "regression_adjustment" and res.source["estimate"] == ra.estimate
    assert any("same slopes" in n for n in res.notes)
    assert list(res.scenarios["scenario"]) == ["1x x1", "2x x1"]
    d = res.to_dict()
    json.dumps(d, allow_nan=False)
    assert "estimate" not in d  # not an effect row of the run's effect table
    assert d["rv_q"] == res.rv_q and len(d["scenarios"]) == 2
    frame = res.to_frame()
    assert frame.loc[0, "scenario"] == "unadjusted" and frame.loc[0, "adjusted_estimate"] == res.coefficient
    assert "Omitted-variable sensitivity" in str(res)


def test_with_a_weighting_result_the_notes_do_not_overclaim(obs) -> None:
    dr = doubly_robust(obs, outcome="y", treatment="d", covariates=["x1", "x2"], estimand="ATT")
    res = ovb_sensitivity(obs, result=dr)
    note = " ".join(res.notes)
    assert "companion analysis" in note and "do not bound the bias" in note


def test_argument_errors(obs) -> None:
    kw = dict(outcome="y", treatment="d", covariates=["x1", "x2"])
    with pytest.raises(SpecificationError, match="not among the covariates"):
        ovb_sensitivity(obs, **kw, benchmark=["z"])
    with pytest.raises(SpecificationError, match="same length"):
        ovb_sensitivity(obs, **kw, benchmark=["x1"], kd=[1, 2], ky=[1])
    with pytest.raises(SpecificationError, match="both"):
        ovb_sensitivity(obs, **kw, r2dz_x=0.1)
    with pytest.raises(SpecificationError, match="needs 'outcome'"):
        ovb_sensitivity(obs, treatment="d", covariates=["x1"])
    with pytest.raises(SpecificationError, match="kd must be below"):
        ovb_sensitivity(obs, **kw, benchmark=["x1"], kd=[50])


def test_contour_plot(obs) -> None:
    res = ovb_sensitivity(obs, outcome="y", treatment="d", covariates=["x1", "x2"], benchmark=["x1"], kd=[1, 2])
    for kind in ("estimate", "t_value"):
        ax = res.plot_contour(kind=kind, language="fr")
        assert ax.get_xlabel() and ax.get_ylabel()
    with pytest.raises(SpecificationError):
        res.plot_contour(kind="bias")
