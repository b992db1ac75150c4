"""did(): the 2x2 design against R DRDID on mpdta (2003 vs 2004), panel and repeated cross-sections.

Reference: tests/reference/data/did_mpdta.json ("drdid_2x2"), from ``Rscript tests/reference/generate/did_mpdta.R``
(DRDID 1.0.6: reg_did_panel, std_ipw_did_panel, drdid_panel, reg_did_rc, std_ipw_did_rc, drdid_rc with
covariates cbind(1, lpop)). The standard error is sqrt(sum(psi^2)) / n from DRDID's influence function.
Tolerances: estimates 1e-8, SEs 1e-6 relative (R's glm convergence).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from iej_impact._bootstrap import rademacher_draws
from iej_impact.diff_in_diff._two_by_two import did, pscore_fit
from iej_impact.errors import DataError, OverlapWarning, PanelStructureError, SpecificationError
from iej_impact.inference import Bootstrap

DATA = Path(__file__).parent / "reference" / "data"
REF = json.loads((DATA / "did_mpdta.json").read_text())["drdid_2x2"]


@pytest.fixture(scope="module")
def two() -> pd.DataFrame:
    m = pd.read_csv(DATA / "mpdta.csv")
    two = m[m["year"].isin([2003, 2004]) & m["first.treat"].isin([0, 2004])].copy()
    two["d"] = (two["first.treat"] == 2004).astype(int)
    two["p"] = (two["year"] == 2004).astype(int)
    return two


@pytest.mark.reference
@pytest.mark.parametrize("method", ["reg", "ipw", "dr"])
@pytest.mark.parametrize("design", ["panel", "repeated_cross_section"])
def test_matches_drdid(two: pd.DataFrame, method: str, design: str) -> None:
    ref = REF[design][method]
    res = did(two, outcome="lemp", treatment="d", post="p", unit="countyreal" if design == "panel" else None,
              covariates=["lpop"], method=method)
    assert res.estimate == pytest.approx(ref["estimate"], abs=1e-8)
    assert res.std_error == pytest.approx(ref["std_error"], rel=1e-6)


@pytest.mark.reference
def test_no_covariates_and_weights_match_drdid(two: pd.DataFrame) -> None:
    for design, unit in (("panel", "countyreal"), ("repeated_cross_section", None)):
        ref = REF[design]["reg_nocov"]
        for method in ("reg", "ipw", "dr"):  # identical without covariates
            res = did(two, outcome="lemp", treatment="d", post="p", unit=unit, method=method)
            assert res.estimate == pytest.approx(ref["estimate"], abs=1e-12)
            assert res.std_error == pytest.approx(ref["std_error"], rel=1e-10)
    ref = REF["panel"]["dr_weighted"]
    res = did(two.assign(w=two["lpop"]), outcome="lemp", treatment="d", post="p", unit="countyreal",
              covariates=["lpop"], weights="w")
    assert res.estimate == pytest.approx(ref["estimate"], abs=1e-8)
    assert res.std_error == pytest.approx(ref["std_error"], rel=1e-6)


def test_unconditional_did_is_the_difference_of_mean_changes(two: pd.DataFrame) -> None:
    g = two.groupby(["d", "p"])["lemp"].mean()
    manual = (g[(1, 1)] - g[(1, 0)]) - (g[(0, 1)] - g[(0, 0)])
    assert did(two, outcome="lemp", treatment="d", post="p").estimate == pytest.approx(manual, abs=1e-12)


def test_doubly_robust_is_consistent_when_one_model_is_right() -> None:
    # selection on x, trend depending on x: the unconditional DiD is biased, reg/ipw/dr recover 1.0
    rng = np.random.default_rng(11)
    n = 20_000
    x = rng.normal(size=n)
    d = (rng.random(n) < 1 / (1 + np.exp(-(x - 1)))).astype(int)
    y0 = x + rng.normal(size=n)
    y1 = y0 + 0.5 + 0.8 * x + 1.0 * d + rng.normal(size=n)
    frame = pd.DataFrame({"id": np.r_[np.arange(n), np.arange(n)], "y": np.r_[y0, y1], "d": np.r_[d, d],
                          "p": np.r_[np.zeros(n, int), np.ones(n, int)], "x": np.r_[x, x]})
    naive = did(frame, outcome="y", treatment="d", post="p", unit="id")
    assert abs(naive.estimate - 1.0) > 0.3
    for method in ("reg", "ipw", "dr"):
        res = did(frame, outcome="y", treatment="d", post="p", unit="id", covariates=["x"], method=method)
        assert abs(res.estimate - 1.0) < 4 * res.std_error, method


def test_inference_options(two: pd.DataFrame) -> None:
    base = did(two, outcome="lemp", treatment="d", post="p", unit="countyreal", covariates=["lpop"])
    boot = did(two, outcome="lemp", treatment="d", post="p", unit="countyreal", covariates=["lpop"],
               se=Bootstrap(reps=999, random_state=4))
    assert boot.std_error == pytest.approx(base.std_error, rel=0.1)
    assert boot.estimate == base.estimate
    cl = did(two.assign(state=two["countyreal"] // 1000), outcome="lemp", treatment="d", post="p", unit="countyreal",
             covariates=["lpop"], se={"type": "clustered", "by": "state"})
    assert cl.std_error != base.std_error and cl.inference.name == "clustered"
    assert base.influence is not None and len(base.influence) == two["countyreal"].nunique()
    assert json.loads(json.dumps(base.to_dict()))["estimand"] == "ATT"


def test_rademacher_draws_are_reproducible_and_centred() -> None:
    rng = np.random.default_rng(0)
    s = rng.normal(size=(1000, 3))
    a, b = rademacher_draws(s, 400, seed=3), rademacher_draws(s, 400, seed=3)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (400, 3)
    np.testing.assert_allclose(a.std(axis=0), np.sqrt((s**2).sum(axis=0)), rtol=0.15)
    # a column's draws do not depend on the other columns (aggregations reuse the same multipliers)
    np.testing.assert_allclose(rademacher_draws(s[:, :1], 400, seed=3)[:, 0], a[:, 0], atol=1e-3)  # float32 sums


def test_logit_matches_statsmodels() -> None:
    import statsmodels.api as sm

    rng = np.random.default_rng(2)
    x = np.column_stack([np.ones(500), rng.normal(size=(500, 2))])
    d = (rng.random(500) < 1 / (1 + np.exp(-x @ [0.2, 1.0, -0.5]))).astype(float)
    w = rng.uniform(0.5, 2.0, 500)
    ps = pscore_fit(x, d, w / w.mean(), 0.995)
    ref = sm.GLM(d, x, family=sm.families.Binomial(), freq_weights=w).fit(tol=1e-12)
    assert ps.converged and ps.separation is None
    np.testing.assert_allclose(ps.p, ref.fittedvalues, rtol=1e-10)


def test_errors(two: pd.DataFrame) -> None:
    kw = dict(outcome="lemp", treatment="d", post="p")
    with pytest.raises(PanelStructureError, match="exactly one pre and one post row"):
        did(pd.concat([two, two.iloc[[0]]]), unit="countyreal", **kw)
    changing = two.copy()
    changing.loc[changing.index[0], "d"] = 1 - changing.loc[changing.index[0], "d"]
    with pytest.raises(PanelStructureError, match="changes between the pre and post rows"):
        did(changing, unit="countyreal", **kw)
    with pytest.raises(DataError, match="no treated observation in the post period"):
        did(two[~((two["d"] == 1) & (two["p"] == 1))], **kw)
    with pytest.raises(SpecificationError, match="'method'"):
        did(two, method="aipw", **kw)
    with pytest.raises(DataError, match="binary"):
        did(two.assign(d=two["d"] * 2), **kw)


def test_matched_did_recovers_the_effect_under_selection_on_observables() -> None:
    from iej_impact import matched_did

    rng = np.random.default_rng(8)
    n = 3000
    x = rng.normal(size=n)  # selection and trends both depend on x
    d = (rng.random(n) < 1 / (1 + np.exp(-(1.2 * x - 1.0)))).astype(int)
    y0 = x + rng.normal(scale=0.5, size=n)
    y1 = y0 + 0.6 * x + 1.0 * d + rng.normal(scale=0.3, size=n)
    frame = pd.DataFrame({"id": np.r_[np.arange(n), np.arange(n)], "y": np.r_[y0, y1], "d": np.r_[d, d],
                          "p": np.r_[np.zeros(n, int), np.ones(n, int)], "x": np.r_[x, x]})
    naive = did(frame, outcome="y", treatment="d", post="p", unit="id")
    with pytest.warns(OverlapWarning, match="no control match within caliper"):
        res = matched_did(frame, outcome="y", treatment="d", post="p", unit="id", covariates=["x"],
                          match_pre_outcome=False, random_state=1)
    assert abs(naive.estimate - 1.0) > 0.3
    assert abs(res.estimate - 1.0) < 4 * res.std_error
    assert "matched pairs" in res.notes[0]
    assert res.sample_sizes.loc["matched", "treated"] + res.diagnostics["n_unmatched_treated"] == d.sum()
    assert res.diagnostics["match"].balance() is not None
    with pytest.raises(SpecificationError, match="needs something to match on"):
        matched_did(frame, outcome="y", treatment="d", post="p", unit="id", match_pre_outcome=False)
