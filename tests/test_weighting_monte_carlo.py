"""Monte Carlo: coverage of the influence-function CIs, and double robustness (slow; about 30 s in all).

Coverage (correct specification): n = 1,000 units, 500 replications, ATE and ATT of RA, IPW, AIPW and
IPWRA. With 500 replications the Monte Carlo SD of a 95% coverage rate is sqrt(.95 * .05 / 500) =
0.0097, so the accepted band [0.92, 0.98] is about +-3 Monte Carlo SDs.

Double robustness: n = 2,000, 300 replications, a confounder entering both the score and the outcome
through u = (x1^2 - 1)/2. "Wrong outcome model" omits u from the outcome covariates; "wrong score model"
omits it from the score covariates. AIPW and IPWRA must stay unbiased when exactly one model is wrong
(|bias| < 3 Monte Carlo SEs, and small in absolute terms), while RA with the wrong outcome model and IPW with
the wrong score model must be visibly biased (|bias| > 8 Monte Carlo SEs).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import special

from iej_impact import doubly_robust, ipw, regression_adjustment
from iej_impact.errors import OverlapWarning

pytestmark = pytest.mark.slow

TAU = 1.0


def _coverage_data(rng: np.random.Generator, n: int) -> pd.DataFrame:
    x1, x2 = rng.normal(size=(2, n))
    d = (rng.random(n) < special.expit(-0.2 + 0.6 * x1 - 0.4 * x2)).astype(int)
    y = 1 + x1 + 0.5 * x2 + d * (TAU + 0.5 * x1) + rng.normal(size=n)
    return pd.DataFrame({"x1": x1, "x2": x2, "d": d, "y": y})


def _att_truth() -> float:
    """ATT = TAU + 0.5 E[x1 | D = 1], with E[x1 | D = 1] = E[x1 e(X)] / E[e(X)] integrated on a grid over (x1, x2)."""
    g = np.linspace(-8, 8, 1601)
    x1, x2 = np.meshgrid(g, g, indexing="ij")
    dens = np.exp(-0.5 * (x1**2 + x2**2))
    e = special.expit(-0.2 + 0.6 * x1 - 0.4 * x2)
    return TAU + 0.5 * float((x1 * e * dens).sum() / (e * dens).sum())


ESTIMATORS = {
    "ra": lambda df, est: regression_adjustment(df, outcome="y", treatment="d", covariates=["x1", "x2"], estimand=est),
    "ipw": lambda df, est: ipw(df, outcome="y", treatment="d", covariates=["x1", "x2"], estimand=est),
    "aipw": lambda df, est: doubly_robust(df, outcome="y", treatment="d", covariates=["x1", "x2"], estimand=est),
    "ipwra": lambda df, est: doubly_robust(df, outcome="y", treatment="d", covariates=["x1", "x2"], estimand=est,
                                          method="ipwra"),
}


def test_confidence_intervals_cover_under_correct_specification():
    reps, n = 500, 1000
    truth = {"ATE": TAU, "ATT": _att_truth()}
    rng = np.random.default_rng(20240601)
    hits = {(name, est): 0 for name in ESTIMATORS for est in truth}
    ratios = {(name, est): [] for name in ESTIMATORS for est in truth}
    estimates = {(name, est): [] for name in ESTIMATORS for est in truth}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OverlapWarning)
        for _ in range(reps):
            df = _coverage_data(rng, n)
            for name, fn in ESTIMATORS.items():
                for est, value in truth.items():
                    res = fn(df, est)
                    hits[(name, est)] += res.ci_lower <= value <= res.ci_upper
                    ratios[(name, est)].append(res.std_error)
                    estimates[(name, est)].append(res.estimate)
    for key, count in hits.items():
        rate = count / reps
        sd_ratio = np.mean(ratios[key]) / np.std(estimates[key], ddof=1)
        assert 0.92 <= rate <= 0.98, f"{key}: coverage {rate:.3f}"
        assert 0.85 < sd_ratio < 1.15, f"{key}: mean SE / Monte Carlo SD = {sd_ratio:.3f}"


def _dr_data(rng: np.random.Generator, n: int) -> pd.DataFrame:
    x1, x2 = rng.normal(size=(2, n))
    u = (x1**2 - 1) / 2
    d = (rng.random(n) < special.expit(-0.3 + 0.5 * x1 + 0.3 * x2 + 0.5 * u)).astype(int)
    y = 1 + x1 + 0.5 * x2 + 2.0 * u + TAU * d + rng.normal(size=n)
    return pd.DataFrame({"x1": x1, "x2": x2, "u": u, "d": d, "y": y})


def test_double_robustness():
    reps, n = 300, 2000
    rng = np.random.default_rng(7)
    right, wrong = ["x1", "x2", "u"], ["x1", "x2"]
    specs = {
        "ra_wrong_outcome": lambda df: regression_adjustment(df, outcome="y", treatment="d", covariates=wrong),
        "ipw_wrong_score": lambda df: ipw(df, outcome="y", treatment="d", covariates=wrong),
        "aipw_wrong_outcome": lambda df: doubly_robust(df, outcome="y", treatment="d", covariates=wrong,
                                                       ps_covariates=right),
        "aipw_wrong_score": lambda df: doubly_robust(df, outcome="y", treatment="d", covariates=right,
                                                     ps_covariates=wrong),
        "ipwra_wrong_outcome": lambda df: doubly_robust(df, outcome="y", treatment="d", covariates=wrong,
                                                        ps_covariates=right, method="ipwra"),
        "ipwra_wrong_score": lambda df: doubly_robust(df, outcome="y", treatment="d", covariates=right,
                                                      ps_covariates=wrong, method="ipwra"),
    }
    draws = {k: [] for k in specs}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OverlapWarning)
        for _ in range(reps):
            df = _dr_data(rng, n)
            for name, fn in specs.items():
                draws[name].append(fn(df).estimate)
    bias = {k: np.mean(v) - TAU for k, v in draws.items()}
    mcse = {k: np.std(v, ddof=1) / np.sqrt(reps) for k, v in draws.items()}
    for name in ("aipw_wrong_outcome", "aipw_wrong_score", "ipwra_wrong_outcome", "ipwra_wrong_score"):
        assert abs(bias[name]) < 3 * mcse[name] and abs(bias[name]) < 0.05, f"{name}: bias {bias[name]:.4f}"
    for name in ("ra_wrong_outcome", "ipw_wrong_score"):
        assert abs(bias[name]) > 8 * mcse[name] and abs(bias[name]) > 0.2, f"{name}: bias {bias[name]:.4f}"
