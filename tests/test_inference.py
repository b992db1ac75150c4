"""Inference objects and influence-function standard errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from iej_impact._bootstrap import iqr_se, rademacher_draws, resample_se
from iej_impact.errors import DataError, SpecificationError
from iej_impact.inference import (
    Bootstrap,
    Clustered,
    Robust,
    cluster_sums,
    influence_covariance,
    normal_ci,
    parse_inference,
    se_from_influence,
)

ALL = ("robust", "clustered", "bootstrap")


def test_parse_strings_mappings_and_objects():
    assert parse_inference("robust", "f", ALL) == Robust()
    assert parse_inference({"type": "clustered", "by": "territory_id"}, "f", ALL) == Clustered(by="territory_id")
    # a bootstrap without kind gets the estimator's scheme (the resample unless it says otherwise)
    assert parse_inference({"type": "bootstrap", "reps": 99}, "f", ALL) == Bootstrap(reps=99, kind="resample")
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

    se, draws = resample_se(stat, 50, 20, 1, strata=strata)
    assert set(seen) == {10} and len(draws) == 20 and se > 0


def test_normal_ci():
    lo, hi, p = normal_ci(1.0, 0.5)
    assert lo == pytest.approx(1 - 1.959963984540054 * 0.5)
    assert hi == pytest.approx(1 + 1.959963984540054 * 0.5)
    assert p == pytest.approx(0.04550026389635842)


# ----------------------------------------------------------------------------------------- one inference path


def test_every_convention_goes_through_one_cluster_sum(rng):
    psi = rng.normal(size=(400, 3)) * rng.exponential(size=(400, 1))
    g = rng.integers(0, 30, 400)
    for convention, se_factor in (("G/(G-1)", 1.0), ("G/(G-1)(N-1)/(N-K)", np.sqrt(399 / 398))):
        out = Clustered(by="g").standard_errors(psi, clusters=g, small_sample=convention, n_params=2)
        for j in range(3):
            assert out.se[j] == pytest.approx(se_from_influence(psi[:, j], clusters=g) * se_factor, rel=1e-12)
        assert out.inference.to_dict() == {"type": "clustered", "by": "g", "small_sample": convention}
    cov = influence_covariance(psi, clusters=g)
    np.testing.assert_allclose(np.sqrt(np.diag(cov)), se_from_influence(psi, clusters=g), rtol=1e-12)
    # the cluster sums do not depend on how many columns are summed together
    np.testing.assert_array_equal(cluster_sums(psi, g)[:, 1], cluster_sums(psi[:, 1], g))
    robust = Robust().standard_errors(psi[:, 0])
    assert robust.se == se_from_influence(psi[:, 0]) and robust.inference.small_sample == "none"
    # each class has its default convention: none for Robust, G/(G-1) for Clustered
    default = Clustered(by="g").standard_errors(psi[:, 0], clusters=g)
    assert default.se == se_from_influence(psi[:, 0], clusters=g) and default.inference.small_sample == "G/(G-1)"


def test_welch_convention_is_per_arm(rng):
    y = rng.normal(size=50)
    d = np.r_[np.zeros(20, bool), np.ones(30, bool)]
    psi = 50 * (d * (y - y[d].mean()) / 30 - (~d) * (y - y[~d].mean()) / 20)
    welch = np.sqrt(y[d].var(ddof=1) / 30 + y[~d].var(ddof=1) / 20)
    assert Robust().standard_errors(psi, small_sample="n_a/(n_a-1)", arm=d).se == pytest.approx(welch, rel=1e-12)


def test_small_sample_is_set_by_the_estimator_not_the_user():
    with pytest.raises(SpecificationError, match=r"unknown key 'small_sample'"):
        parse_inference({"type": "robust", "small_sample": "none"}, "f", ALL)
    with pytest.raises(SpecificationError, match=r"must be one of"):
        Robust().using("G/G")  # type: ignore[arg-type]
    # recorded on a copy, and not part of equality
    used = Clustered(by="x").using("G/(G-1)")
    assert used == Clustered(by="x") and Clustered(by="x").small_sample is None


def test_bootstrap_kind_names_one_algorithm():
    assert Bootstrap().kind is None
    assert parse_inference({"type": "bootstrap"}, "f", ALL, bootstrap=("multiplier",)).kind == "multiplier"
    assert parse_inference({"type": "bootstrap", "kind": "resample"}, "f", ALL).to_dict()["kind"] == "resample"
    with pytest.raises(SpecificationError, match=r"does not support the 'resample' bootstrap"):
        parse_inference(Bootstrap(kind="resample"), "f", ALL, bootstrap=("multiplier",))
    with pytest.raises(SpecificationError, match=r"must be one of"):
        Bootstrap(kind="wild")  # type: ignore[arg-type]
    with pytest.raises(SpecificationError, match=r"kind='multiplier'"):
        Bootstrap(kind="resample").standard_errors(np.ones(10))


def test_multiplier_bootstrap_same_seed_same_draws(rng):
    psi = rng.normal(size=(300, 4))
    boot = Bootstrap(reps=499, random_state=11, kind="multiplier")
    a, b = boot.standard_errors(psi), boot.standard_errors(psi)
    np.testing.assert_array_equal(a.se, b.se)
    assert a.critical_value == b.critical_value and a.critical_value > 1.96
    # the SE is the interquartile range of the draws sum_i v_i psi_i / n, the same draws for a subset of columns
    draws = rademacher_draws(psi, 499, 11) / 300
    np.testing.assert_array_equal(a.se, iqr_se(draws))
    assert boot.standard_errors(psi[:, 2]).se == iqr_se(rademacher_draws(psi[:, 2], 499, 11) / 300)[0]
    np.testing.assert_allclose(a.se, se_from_influence(psi), rtol=0.15)


def test_estimators_record_their_convention_and_bootstrap_kind(rng):
    from iej_impact import did, difference_in_means

    n = 400
    df = pd.DataFrame({"y": rng.normal(size=n), "d": rng.integers(0, 2, n), "c": rng.integers(0, 20, n)})
    naive = difference_in_means(df, outcome="y", treatment="d")
    assert naive.to_dict()["inference_detail"] == {"type": "robust", "small_sample": "n_a/(n_a-1)"}
    assert naive.to_dict()["spec"]["se"] == {"type": "robust"}
    clustered = difference_in_means(df, outcome="y", treatment="d", se={"type": "clustered", "by": "c"})
    assert clustered.to_dict()["inference_detail"]["small_sample"] == "G/(G-1)(N-1)/(N-K)"
    resampled = difference_in_means(df, outcome="y", treatment="d", se={"type": "bootstrap", "reps": 50,
                                                                        "random_state": 1})
    assert resampled.to_dict()["inference_detail"]["kind"] == "resample"
    multiplied = difference_in_means(df, outcome="y", treatment="d", se={"type": "bootstrap", "reps": 999,
                                                                         "random_state": 1, "kind": "multiplier"})
    assert multiplied.std_error == pytest.approx(naive.std_error, rel=0.15)

    panel = pd.DataFrame({"id": np.repeat(np.arange(n), 2), "p": np.tile([0, 1], n),
                          "d": np.repeat(df["d"].to_numpy(), 2), "y": rng.normal(size=2 * n)})
    boot = did(panel, outcome="y", treatment="d", post="p", unit="id", se={"type": "bootstrap", "reps": 199,
                                                                          "random_state": 5})
    detail = boot.to_dict()["inference_detail"]
    assert detail["kind"] == "multiplier" and detail["small_sample"] == "none"
    assert boot.std_error == iqr_se(rademacher_draws(boot.influence, 199, 5) / n)[0]
    with pytest.raises(SpecificationError, match=r"did\(\) does not support the 'resample' bootstrap"):
        did(panel, outcome="y", treatment="d", post="p", unit="id", se=Bootstrap(kind="resample"))


def test_every_effect_records_its_small_sample_convention():
    """inference_detail.small_sample says which finite-sample factor each estimator applied."""
    import iej_impact as iej

    rng = np.random.default_rng(5)
    n = 600
    df = pd.DataFrame({"x": rng.normal(size=n), "g": rng.integers(0, 30, n)})
    df["d"] = (rng.random(n) < 1 / (1 + np.exp(-df["x"]))).astype(int)
    df["y"] = df["x"] + df["d"] + rng.normal(size=n)
    common = {"outcome": "y", "treatment": "d", "covariates": ["x"]}
    seen = {
        "ipw": iej.ipw(df, **common),
        "ipw clustered": iej.ipw(df, **common, se={"type": "clustered", "by": "g"}),
        "regression_adjustment": iej.regression_adjustment(df, **common),
        "psm": iej.psm(df, **common, replace=True),
        "psm robust": iej.psm(df, **common, se="robust"),
        "psm clustered": iej.psm(df, **common, se={"type": "clustered", "by": "g"}),
        "difference_in_means": iej.difference_in_means(df, outcome="y", treatment="d"),
    }
    got = {k: r.to_dict()["inference_detail"]["small_sample"] for k, r in seen.items()}
    assert got == {
        "ipw": "none", "ipw clustered": "G/(G-1)", "regression_adjustment": "none", "psm": "none",
        "psm robust": "N/(N-K)", "psm clustered": "G/(G-1)(N-1)/(N-K)", "difference_in_means": "n_a/(n_a-1)",
    }
    # the recorded convention is the one applied: the HC1 SE of the weighted regression of y on (1, d)
    res = seen["psm robust"]
    w = res.diagnostics["matching"].weights
    used = w > 0
    fit = sm.WLS(df["y"][used], sm.add_constant(df["d"][used].astype(float)), weights=w[used]).fit(cov_type="HC1")
    assert res.std_error == pytest.approx(fit.bse["d"], rel=1e-9)
    assert res.spec["se"] == {"type": "robust"}  # the spec keeps what the user asked for
