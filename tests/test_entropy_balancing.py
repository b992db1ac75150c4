"""entropy_balancing(): exact balance, the weights as the minimum-KL solution, the M-estimation standard
error against a finite-difference sandwich, sampling weights, and the errors that name covariates.

The reference comparison with other implementations is tests/reference/test_ebal_reference.py; the
coverage Monte Carlo tests/test_entropy_balancing_monte_carlo.py (slow).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, special

from iej_impact import entropy_balancing
from iej_impact.config import ESTIMATORS
from iej_impact.errors import EstimationError, SpecificationError

COVS = ["x1", "x2", "b"]


def _data(n: int = 600, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=(2, n))
    b = (rng.random(n) < special.expit(0.5 * x1)).astype(float)
    d = (rng.random(n) < special.expit(-0.3 + 0.7 * x1 - 0.5 * x2 + 0.4 * b)).astype(int)
    y = 1 + x1 + 0.5 * x2 ** 2 + b + d * (1 + 0.5 * x1) + rng.normal(size=n)
    sw = rng.uniform(0.5, 2.0, size=n)
    return pd.DataFrame({"x1": x1, "x2": x2, "b": b, "d": d, "y": y, "sw": sw, "g": rng.integers(0, 60, size=n)})


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    return _data()


def _moments(df, res, cols, power=1, sw=None):
    """(target moments, weighted moments of the reweighted arm) for the ATT."""
    d = df["d"].to_numpy() == 1
    s = np.ones(len(df)) if sw is None else df[sw].to_numpy()
    w = res.diagnostics["weights"] * s
    x = df[cols].to_numpy() ** power
    return s[d] @ x[d] / s[d].sum(), w[~d] @ x[~d] / w[~d].sum()


@pytest.mark.parametrize("moments", [1, 2, 3])
def test_controls_match_the_treated_moments_exactly(df, moments):
    res = entropy_balancing(df, outcome="y", treatment="d", covariates=COVS, moments=moments)
    for power in range(1, moments + 1):
        cols = COVS if power == 1 else ["x1", "x2"]  # b^2 = b
        target, got = _moments(df, res, cols, power)
        assert got == pytest.approx(target, abs=1e-8)
    info = res.diagnostics["entropy_balancing"]
    assert info["arms"]["control"]["converged"] and info["max_abs_std_imbalance"] < 1e-8
    assert info["constraints"][:3] == COVS and len(info["constraints"]) == 3 + 2 * (moments - 1)  # b^2 = b
    d = df["d"].to_numpy() == 1
    assert np.all(res.diagnostics["weights"][d] == 1.0)
    assert res.diagnostics["weights"][~d].mean() == pytest.approx(1.0)
    bal = res.diagnostics["balance"]
    assert np.abs(bal.table["smd_after"]).max() < 1e-8


def test_weights_are_the_minimum_kl_solution_of_a_generic_optimiser():
    """The weights equal scipy's SLSQP solution of min sum w log(w / q) s.t. sum w = 1, sum w x = target."""
    small = _data(120, seed=3)
    res = entropy_balancing(small, outcome="y", treatment="d", covariates=COVS, weights="sw")
    d = small["d"].to_numpy() == 1
    s = small["sw"].to_numpy()
    x = small[COVS].to_numpy()
    target = s[d] @ x[d] / s[d].sum()
    xc, q = x[~d], s[~d] / s[~d].sum()
    m = xc.shape[0]
    cons = [{"type": "eq", "fun": lambda w: w.sum() - 1.0, "jac": lambda w: np.ones(m)},
            {"type": "eq", "fun": lambda w: xc.T @ w - target, "jac": lambda w: xc.T}]
    sol = optimize.minimize(lambda w: np.sum(w * np.log(w / q)), q, jac=lambda w: np.log(w / q) + 1.0,
                            constraints=cons, bounds=[(1e-12, 1.0)] * m, method="SLSQP",
                            options={"ftol": 1e-15, "maxiter": 1000})
    assert sol.success
    ours = res.diagnostics["weights"][~d] * s[~d]
    np.testing.assert_allclose(ours / ours.sum(), sol.x, rtol=1e-5, atol=1e-9)


def _stacked(df, res, estimand, sw=None):
    """Finite-difference sandwich of the stacked equations (target moments, dual conditions, arm means)."""
    n = len(df)
    d = df["d"].to_numpy() == 1
    s = np.ones(n) if sw is None else df[sw].to_numpy()
    y = df["y"].to_numpy()
    x = df[COVS].to_numpy()
    c = (x - x.mean(axis=0)) / x.std(axis=0)  # the solver's standardized columns (moments=1)
    k = c.shape[1]
    info = res.diagnostics["entropy_balancing"]["arms"]
    arms = {"treated": d, "control": ~d}
    t = {"ATT": d, "ATC": ~d, "ATE": np.ones(n, dtype=bool)}[estimand]
    lam = {a: np.array(list(info[a]["lambda_standardized"].values())) for a in info}
    mu = s[t] @ c[t] / s[t].sum()
    pom = res.diagnostics["potential_outcome_means"]["estimate"]
    theta = np.concatenate([mu, *[lam[a] for a in info], [pom["treated"], pom["control"]]])

    def g(th):
        m_ = th[:k]
        out = [(s * t)[:, None] * (c - m_)]
        pos = k
        for a in info:
            e = np.exp(c @ th[pos:pos + k]) * s * arms[a]
            out.append(e[:, None] * (c - m_))
            pos += k
        for j, a in enumerate(("treated", "control")):
            e = np.exp(c @ lam_at(th, a)) * s * arms[a] if a in info else s * arms[a]
            out.append((e * (y - th[pos + j]))[:, None])
        return np.hstack(out)

    def lam_at(th, a):
        pos = k + k * list(info).index(a)
        return th[pos:pos + k]

    gi = g(theta)
    assert np.abs(gi.mean(axis=0)).max() < 1e-6
    h = 1e-6
    jac = np.column_stack([(g(theta + h * e).mean(axis=0) - g(theta - h * e).mean(axis=0)) / (2 * h)
                           for e in np.eye(theta.size)])
    a_inv = np.linalg.inv(jac)
    v = a_inv @ (gi.T @ gi / n) @ a_inv.T / n
    grad = np.zeros(theta.size)
    grad[-2], grad[-1] = 1.0, -1.0
    return float(np.sqrt(grad @ v @ grad))


@pytest.mark.parametrize(("estimand", "sw"), [("ATT", None), ("ATT", "sw"), ("ATC", None), ("ATE", "sw")])
def test_standard_error_is_the_sandwich_of_the_stacked_equations(df, estimand, sw):
    res = entropy_balancing(df, outcome="y", treatment="d", covariates=COVS, estimand=estimand, weights=sw)
    assert res.std_error == pytest.approx(_stacked(df, res, estimand, sw), rel=1e-5)
    assert res.influence is not None and res.influence.mean() == pytest.approx(0.0, abs=1e-8)


def test_linear_outcome_is_recovered_exactly_and_atc_mirrors_att(df):
    """Balance makes a control outcome linear in the covariates average to the treated value exactly."""
    lin = df.assign(y=2 + 3 * df["x1"] - df["x2"] + 0.5 * df["b"] + 1.5 * df["d"])
    res = entropy_balancing(lin, outcome="y", treatment="d", covariates=COVS)
    assert res.estimate == pytest.approx(1.5, abs=1e-8)
    flipped = df.assign(d=1 - df["d"])
    att = entropy_balancing(df, outcome="y", treatment="d", covariates=COVS)
    atc = entropy_balancing(flipped, outcome="y", treatment="d", covariates=COVS, estimand="ATC")
    assert atc.estimate == pytest.approx(-att.estimate, rel=1e-10)
    assert atc.std_error == pytest.approx(att.std_error, rel=1e-10)


def test_integer_sampling_weights_equal_replicated_rows(df):
    small = df.iloc[:300].assign(k=lambda f: 1 + (np.arange(len(f)) % 3))
    weighted = entropy_balancing(small, outcome="y", treatment="d", covariates=COVS, weights="k")
    long = small.loc[small.index.repeat(small["k"])]
    replicated = entropy_balancing(long, outcome="y", treatment="d", covariates=COVS)
    assert weighted.estimate == pytest.approx(replicated.estimate, rel=1e-9)
    assert weighted.diagnostics["potential_outcome_means"]["estimate"].to_numpy() == pytest.approx(
        replicated.diagnostics["potential_outcome_means"]["estimate"].to_numpy(), rel=1e-9)


def test_clustered_standard_error(df):
    res = entropy_balancing(df, outcome="y", treatment="d", covariates=COVS, se={"type": "clustered", "by": "g"})
    codes = df["g"].to_numpy()
    sums = np.bincount(codes, weights=res.influence)
    g = np.unique(codes).size
    assert res.std_error == pytest.approx(np.sqrt(g / (g - 1) * np.sum(sums**2)) / len(df), rel=1e-12)
    assert res.inference.name == "clustered"


def test_target_outside_the_controls_range_names_the_covariate(df):
    bad = df.copy()
    bad.loc[bad["d"] == 1, "x2"] += 50.0
    with pytest.raises(EstimationError, match=r"'x2' = .* above the largest value among the control units"):
        entropy_balancing(bad, outcome="y", treatment="d", covariates=COVS)


def test_category_every_treated_unit_is_in_is_on_the_edge(df):
    bad = df.assign(b=np.where(df["d"] == 1, 1.0, df["b"]))
    with pytest.raises(EstimationError, match=r"edge of the control units' range for 'b' = 1"):
        entropy_balancing(bad, outcome="y", treatment="d", covariates=COVS)


def test_target_outside_the_convex_hull_names_the_constraints_missed():
    """Each covariate within the controls' range, yet not jointly: controls lie on x1 + x2 = 0 or far from it."""
    rng = np.random.default_rng(1)
    n0 = 200
    u = rng.uniform(-1, 1, size=n0)
    ctrl = pd.DataFrame({"x1": u, "x2": -u + rng.uniform(-0.05, 0.05, size=n0), "d": 0})
    treat = pd.DataFrame({"x1": rng.uniform(0.5, 0.9, 50), "x2": rng.uniform(0.5, 0.9, 50), "d": 1})
    data = pd.concat([ctrl, treat], ignore_index=True).assign(y=lambda f: f["x1"] + rng.normal(size=len(f)))
    with pytest.raises(EstimationError, match=r"cannot be met jointly.*convex hull.*'x(1|2)' off by"):
        entropy_balancing(data, outcome="y", treatment="d", covariates=["x1", "x2"])


def test_collinear_constraints_are_named(df):
    dup = df.assign(x3=2 * df["x1"] - df["x2"])
    with pytest.raises(EstimationError, match=r"'x1'.*'x2'.*'x3'|linearly dependent"):
        entropy_balancing(dup, outcome="y", treatment="d", covariates=["x1", "x2", "x3"])


def test_no_convergence_reports_the_imbalance_left(df):
    with pytest.raises(EstimationError, match=r"did not reach the tolerance 1e-08 in 1 iterations"):
        entropy_balancing(df, outcome="y", treatment="d", covariates=COVS, moments=3, max_iter=1)


def test_arguments_are_checked(df):
    with pytest.raises(SpecificationError, match="moments"):
        entropy_balancing(df, outcome="y", treatment="d", covariates=COVS, moments=4)
    with pytest.raises(SpecificationError, match="at least one covariate"):
        entropy_balancing(df, outcome="y", treatment="d", covariates=[])
    with pytest.raises(SpecificationError, match="se"):
        entropy_balancing(df, outcome="y", treatment="d", covariates=COVS, se="abadie_imbens")
    assert ESTIMATORS["entropy_balancing"] is entropy_balancing


def test_categorical_covariate_balances_every_level():
    rng = np.random.default_rng(5)
    n = 800
    region = rng.choice(["north", "south", "east"], size=n, p=[0.5, 0.3, 0.2])
    x = rng.normal(size=n)
    d = (rng.random(n) < special.expit(0.3 * x + (region == "south"))).astype(int)
    data = pd.DataFrame({"region": region, "x": x, "d": d, "y": x + d + rng.normal(size=n)})
    res = entropy_balancing(data, outcome="y", treatment="d", covariates=["region", "x"])
    w = res.diagnostics["weights"]
    dd = d == 1
    for level in ("north", "south", "east"):
        share_t = (region[dd] == level).mean()
        share_c = w[~dd] @ (region[~dd] == level) / w[~dd].sum()
        assert share_c == pytest.approx(share_t, abs=1e-9)
