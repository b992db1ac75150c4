"""Inference objects and influence-function standard errors."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm

from iej_impact.errors import DataError, SpecificationError
from iej_impact.inference import (
    Bootstrap,
    Clustered,
    Robust,
    bootstrap_se,
    normal_ci,
    parse_inference,
    se_from_influence,
)

ALL = ("robust", "clustered", "bootstrap")


def test_parse_strings_mappings_and_objects():
    assert parse_inference("robust", "f", ALL) == Robust()
    assert parse_inference({"type": "clustered", "by": "territory_id"}, "f", ALL) == Clustered(by="territory_id")
    assert parse_inference({"type": "bootstrap", "reps": 99}, "f", ALL) == Bootstrap(reps=99)
    obj = Clustered(by=["a", "b"])
    assert parse_inference(obj, "f", ALL).columns == ["a", "b"]


@pytest.mark.parametrize(
    ("value", "pattern"),
    [
        ("robst", r"must be one of .*Did you mean 'robust'"),
        ("clustered", r"needs the cluster column"),
        ({"type": "clustered", "bye": "x"}, r"unknown key 'bye'.*Did you mean 'by'"),
        ({"reps": 10}, r"needs a 'type' key"),
        ({"type": "bootstrap", "reps": 1}, r"'reps' parameter of Bootstrap\(\) must be >= 2"),
        (3, r"must be a string, a mapping or an Inference object"),
    ],
)
def test_parse_errors(value, pattern):
    with pytest.raises(SpecificationError, match=pattern):
        parse_inference(value, "f", ALL)


def test_unsupported_inference_object_is_refused_not_replaced():
    with pytest.raises(SpecificationError, match=r"f\(\) does not support se='bootstrap'"):
        parse_inference(Bootstrap(), "f", ("robust",))


def test_influence_se_equals_ols_hc0_and_cluster(rng):
    """For a sample mean, psi_i = y_i - ybar: robust SE = HC0 of a regression on a constant."""
    y = rng.normal(size=300)
    g = rng.integers(0, 25, 300)
    psi = y - y.mean()
    ols = sm.OLS(y, np.ones_like(y))
    assert se_from_influence(psi) == pytest.approx(ols.fit(cov_type="HC0").bse[0], rel=1e-12)
    # statsmodels cluster with use_correction=False applies G/(G-1) only when df_correction... compare by hand
    sums = np.bincount(g, weights=psi)
    expected = np.sqrt(25 / 24 * np.sum(sums**2)) / 300
    assert se_from_influence(psi, clusters=g) == pytest.approx(expected, rel=1e-12)
    with pytest.raises(DataError, match="at least 2 clusters"):
        se_from_influence(psi, clusters=np.zeros(300, dtype=int))


def test_bootstrap_stratified_keeps_strata_sizes(rng):
    strata = np.r_[np.zeros(10, int), np.ones(40, int)]
    seen = []

    def stat(idx):
        seen.append(int((strata[idx] == 0).sum()))
        return float(idx.mean())

    se, draws = bootstrap_se(stat, 50, Bootstrap(reps=20, random_state=1), strata=strata)
    assert set(seen) == {10} and len(draws) == 20 and se > 0


def test_normal_ci():
    lo, hi, p = normal_ci(1.0, 0.5)
    assert lo == pytest.approx(1 - 1.959963984540054 * 0.5)
    assert hi == pytest.approx(1 + 1.959963984540054 * 0.5)
    assert p == pytest.approx(0.04550026389635842)
