"""An independent check of the analytic standard errors of RA / IPW / AIPW / IPWRA.

The estimators compute influence functions analytically. Here the same estimators are written as
plain stacked moment functions g_i(theta) (textbook formulas, unscaled covariates) and:

1. the estimates reported by iej_impact are plugged in, and the mean moments must vanish (so the
   point estimates solve the textbook equations);
2. the M-estimation sandwich V = A^-1 B A^-T / n is formed with A = d mean(g)/d theta' by central
   finite differences and B = mean(g g') (or cluster sums with G/(G-1)); the SE of mu_1 - mu_0 must
   equal the reported one.

Nothing here reuses iej_impact's derivative code.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special


@dataclass
class Problem:
    x_out: np.ndarray  # outcome design with intercept first
    x_ps: np.ndarray  # propensity design with intercept first
    d: np.ndarray
    y: np.ndarray
    w: np.ndarray
    estimand: str
    ps_link: str | None  # None: no propensity model (RA)
    outcome_kind: str | None  # "linear" / "logit" / None (IPW)
    estimator: str  # "ra", "ipw", "ipw_ht", "aipw", "ipwra"
    keep: np.ndarray | None = None  # trimming (held fixed)
    bounds: tuple[float, float] | None = None  # truncation


def design(frame: pd.DataFrame, covariates: list[str]) -> np.ndarray:
    """Intercept + numeric columns + dummies (first sorted level dropped), as iej_impact builds them."""
    cols = [np.ones(len(frame))]
    for c in covariates:
        s = frame[c]
        if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            cols.append(s.to_numpy(dtype=float))
        else:
            for lv in sorted(pd.unique(s))[1:]:
                cols.append((s == lv).to_numpy(dtype=float))
    return np.column_stack(cols)


def _prob(eta: np.ndarray, link: str) -> np.ndarray:
    return special.expit(eta) if link == "logit" else special.ndtr(eta)


def _split(theta: np.ndarray, pr: Problem) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None, float, float]:
    k_ps = pr.x_ps.shape[1] if pr.ps_link else 0
    k_out = pr.x_out.shape[1] if pr.outcome_kind else 0
    g = theta[:k_ps] if k_ps else None
    b1 = theta[k_ps:k_ps + k_out] if k_out else None
    b0 = theta[k_ps + k_out:k_ps + 2 * k_out] if k_out else None
    return g, b1, b0, float(theta[-2]), float(theta[-1])


def moments(theta: np.ndarray, pr: Problem) -> np.ndarray:
    g, b1, b0, mu1, mu0 = _split(theta, pr)
    d = pr.d.astype(float)
    w = pr.w
    k = np.ones_like(d) if pr.keep is None else pr.keep.astype(float)
    s = {"ATE": np.ones_like(d), "ATT": d, "ATC": 1 - d}[pr.estimand]
    cols = []
    p = None
    if g is not None:
        eta = pr.x_ps @ g
        p_raw = _prob(eta, pr.ps_link)
        if pr.ps_link == "logit":
            score = d - p_raw
        else:
            density = np.exp(-0.5 * eta**2) / np.sqrt(2 * np.pi)
            score = density * (d - p_raw) / (p_raw * (1 - p_raw))
        cols.append(pr.x_ps * (w * score)[:, None])
        p = np.clip(p_raw, *pr.bounds) if pr.bounds else p_raw
        p = np.where(k > 0, p, 0.5)
        om1 = {"ATE": 1 / p, "ATT": np.ones_like(p), "ATC": (1 - p) / p}[pr.estimand]
        om0 = {"ATE": 1 / (1 - p), "ATT": p / (1 - p), "ATC": np.ones_like(p)}[pr.estimand]
    m = {}
    if b1 is not None:
        for arm, b, ind in ((1, b1, d), (0, b0, 1 - d)):
            lin = pr.x_out @ b
            mt = lin if pr.outcome_kind == "linear" else special.expit(lin)
            m[arm] = mt
            rw = w * k * ind
            if pr.estimator == "ipwra":
                rw = rw * (om1 if arm == 1 else om0)
            cols.append(pr.x_out * (rw * (pr.y - mt))[:, None])
    y = pr.y
    if pr.estimator == "ra" or pr.estimator == "ipwra":
        cols.append((w * k * s * (m[1] - mu1))[:, None])
        cols.append((w * k * s * (m[0] - mu0))[:, None])
    elif pr.estimator == "ipw":
        cols.append((w * k * d * om1 * (y - mu1))[:, None])
        cols.append((w * k * (1 - d) * om0 * (y - mu0))[:, None])
    elif pr.estimator == "ipw_ht":
        cols.append((w * k * (d * om1 * y - s * mu1))[:, None])
        cols.append((w * k * ((1 - d) * om0 * y - s * mu0))[:, None])
    elif pr.estimator == "aipw":
        cols.append((w * k * (s * m[1] + d * om1 * (y - m[1]) - s * mu1))[:, None])
        cols.append((w * k * (s * m[0] + (1 - d) * om0 * (y - m[0]) - s * mu0))[:, None])
    return np.hstack(cols)


def sandwich_se(theta: np.ndarray, pr: Problem, clusters: np.ndarray | None = None) -> tuple[float, float]:
    """(max |mean moment| relative to the moments' scale, SE of mu_1 - mu_0)."""
    g0 = moments(theta, pr)
    n = g0.shape[0]
    scale = np.abs(g0).mean(axis=0) + 1e-300
    resid = float(np.max(np.abs(g0.mean(axis=0)) / scale))
    kk = theta.shape[0]
    a = np.empty((kk, kk))
    for j in range(kk):
        h = 1e-6 * max(1.0, abs(theta[j]))
        tp, tm = theta.copy(), theta.copy()
        tp[j] += h
        tm[j] -= h
        a[:, j] = (moments(tp, pr).mean(axis=0) - moments(tm, pr).mean(axis=0)) / (2 * h)
    if clusters is None:
        b = g0.T @ g0 / n
    else:
        codes = pd.factorize(clusters)[0]
        sums = np.zeros((codes.max() + 1, kk))
        np.add.at(sums, codes, g0)
        gcount = sums.shape[0]
        b = sums.T @ sums / n * gcount / (gcount - 1)
    ainv = np.linalg.inv(a)
    v = ainv @ b @ ainv.T / n
    c = np.zeros(kk)
    c[-2], c[-1] = 1.0, -1.0
    return resid, float(np.sqrt(c @ v @ c))


def theta_from_result(res, pr: Problem) -> np.ndarray:
    """The estimates reported by iej_impact, in this module's parameter order."""
    parts = []
    if pr.ps_link:
        parts.append(res.diagnostics["propensity"].params.to_numpy())
    if pr.outcome_kind:
        table = res.diagnostics["outcome_models"]
        parts += [table["treated"].to_numpy(), table["control"].to_numpy()]
    pom = res.diagnostics["potential_outcome_means"]
    parts.append(np.array([pom.loc["treated", "estimate"], pom.loc["control", "estimate"]]))
    return np.concatenate(parts)


def simulate(n: int = 800, seed: int = 7) -> pd.DataFrame:
    """Units with a continuous, a binary and a 3-level covariate; sampling weights; 40 clusters; a
    continuous outcome (true ATE 1.0 + 0.5 E[x1]) and a binary outcome."""
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x2 = (rng.random(n) < 0.4).astype(float)
    region = rng.choice(np.array(["a", "b", "c"], dtype=object), size=n, p=[0.5, 0.3, 0.2])
    eta = -0.3 + 0.8 * x1 - 0.5 * x2 + 0.3 * (region == "b")
    d = (rng.random(n) < special.expit(eta)).astype(int)
    y = 1 + x1 + 0.5 * x2 + 0.4 * (region == "c") + 1.0 * d + 0.5 * d * x1 + rng.normal(size=n)
    yb = (rng.random(n) < special.expit(-0.5 + 0.7 * x1 + 0.6 * d)).astype(int)
    return pd.DataFrame({
        "person_id": [f"P{i:04d}" for i in range(n)],
        "x1": x1, "x2": x2, "region": pd.array(region, dtype="str"), "d": d, "y": y, "yb": yb,
        "sw": rng.uniform(0.5, 2.0, size=n), "cluster": rng.integers(0, 40, size=n),
    })
