"""Monte Carlo: coverage of entropy balancing's M-estimation confidence intervals (slow).

Design: x1, x2 ~ N(0, 1); P(D = 1 | X) = expit(-0.3 + 0.7 x1 - 0.5 x2) (log-linear odds in the balanced
means, so entropy balancing on the means is consistent: Zhao & Percival 2017); Y = 1 + x1 + 0.5 x2^2 +
D (1 + 0.5 x1) + e, e ~ N(0, 1): the controls' outcome is not linear in the balanced columns, so the
estimator leans on the odds model and the SE must carry the estimated weights. The ATT is
1 + 0.5 E[x1 | D = 1], integrated on a grid. 500 replications: the Monte Carlo SD of a 95% coverage
rate is 0.0097, so the accepted band [0.92, 0.98] is about 3 Monte Carlo SDs.

* ``plain``: n = 1,000, moments = 1;
* ``moments2``: n = 1,000, moments = 2 (means and second moments);
* ``survey``: a sample drawn from the population with inclusion probability pi(X) = expit(0.3 + 0.8 x1)
  (about 1,000 units out of 1,600), sampling weights 1/pi: the weighted estimator targets the
  population ATT, and the coverage is of that truth. Without the weights it would be biased (checked).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import special

from iej_impact import entropy_balancing

pytestmark = pytest.mark.slow


def _truth() -> float:
    g = np.linspace(-8, 8, 1601)
    x1, x2 = np.meshgrid(g, g, indexing="ij")
    dens = np.exp(-0.5 * (x1**2 + x2**2))
    e = special.expit(-0.3 + 0.7 * x1 - 0.5 * x2)
    return 1.0 + 0.5 * float((x1 * e * dens).sum() / (e * dens).sum())


def _population(rng: np.random.Generator, n: int) -> pd.DataFrame:
    x1, x2 = rng.normal(size=(2, n))
    d = (rng.random(n) < special.expit(-0.3 + 0.7 * x1 - 0.5 * x2)).astype(int)
    y = 1 + x1 + 0.5 * x2**2 + d * (1 + 0.5 * x1) + rng.normal(size=n)
    return pd.DataFrame({"x1": x1, "x2": x2, "d": d, "y": y})


def _survey(rng: np.random.Generator, n_pop: int) -> pd.DataFrame:
    pop = _population(rng, n_pop)
    pi = special.expit(0.3 + 0.8 * pop["x1"].to_numpy())
    keep = rng.random(n_pop) < pi
    return pop.loc[keep].assign(sw=1.0 / pi[keep]).reset_index(drop=True)


def test_entropy_balancing_intervals_cover_the_att():
    reps = 500
    truth = _truth()
    rng = np.random.default_rng(20240611)
    hits = {"plain": 0, "moments2": 0, "survey": 0}
    unweighted_bias = []
    for _ in range(reps):
        df = _population(rng, 1000)
        for name, moments in (("plain", 1), ("moments2", 2)):
            res = entropy_balancing(df, outcome="y", treatment="d", covariates=["x1", "x2"], moments=moments)
            hits[name] += res.ci_lower <= truth <= res.ci_upper
        sv = _survey(rng, 1600)
        res = entropy_balancing(sv, outcome="y", treatment="d", covariates=["x1", "x2"], weights="sw")
        hits["survey"] += res.ci_lower <= truth <= res.ci_upper
        unweighted_bias.append(entropy_balancing(sv, outcome="y", treatment="d", covariates=["x1", "x2"]).estimate
                               - truth)
    coverage = {k: v / reps for k, v in hits.items()}
    print("entropy balancing coverage:", coverage)
    for name, cov in coverage.items():
        assert 0.92 <= cov <= 0.98, (name, cov)
    # ignoring the sampling weights misses the population ATT by many Monte Carlo SEs
    bias = np.asarray(unweighted_bias)
    assert abs(bias.mean()) > 5 * bias.std(ddof=1) / np.sqrt(reps)
