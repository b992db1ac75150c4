"""twfe(): against R (estimatr, sandwich, plm), pyfixest and linearmodels on mpdta; decompositions; errors.

Reference numbers: tests/reference/data/did_mpdta.json (``Rscript tests/reference/generate/did_mpdta.R``)
and tests/reference/data/twfe_pyfixest.json (``python tests/reference/generate/twfe_pyfixest.py``).
Coefficients to 1e-10, standard errors to 1e-8 relative.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from iej_impact import twfe
from iej_impact.errors import DataError, EstimationError, MissingDataWarning, PanelStructureError, SpecificationError

DATA = Path(__file__).parent / "reference" / "data"
R = json.loads((DATA / "did_mpdta.json").read_text())["twfe"]
PF = json.loads((DATA / "twfe_pyfixest.json").read_text())["cases"]
KW = {"basic": {}, "covariate": {"covariates": ["lpop_trend"]}, "weighted": {"weights": "w"},
      "state_cluster": {"se": {"type": "clustered", "by": "state"}}}


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    m = pd.read_csv(DATA / "mpdta.csv")
    m["treated_post"] = ((m["first.treat"] > 0) & (m["year"] >= m["first.treat"])).astype(int)
    m["state"] = m["countyreal"] // 1000
    m["lpop_trend"] = m["lpop"] * (m["year"] - 2003)
    m["w"] = m["lpop"]
    return m


def _fit(panel: pd.DataFrame, case: str, **kw: object):
    return twfe(panel, outcome="lemp", unit="countyreal", time="year", treatment="treated_post", **KW[case], **kw)


@pytest.mark.reference
@pytest.mark.parametrize("case", sorted(KW))
def test_matches_r_estimatr_and_sandwich(panel: pd.DataFrame, case: str) -> None:
    # R: lm_robust(lemp ~ treated_post, fixed_effects = ~countyreal + year, clusters = ..., se_type = "stata")
    #    and vcovCL(lm(... + factor(countyreal) + factor(year)), type = "HC0", cadjust = TRUE)
    ref = R[case]
    full = _fit(panel, case, small_sample="all")
    coefs = full.diagnostics["coefficients"]
    np.testing.assert_allclose(coefs["estimate"], ref["coef"], atol=1e-10)
    np.testing.assert_allclose(coefs["std_error"], ref["std_error_estimatr_stata"], rtol=1e-8)
    np.testing.assert_allclose(coefs["std_error"], ref["std_error_cluster_hc1_all_dummies"], rtol=1e-8)
    none = _fit(panel, case, small_sample="none").diagnostics["coefficients"]
    np.testing.assert_allclose(none["std_error"], ref["std_error_cluster_g"], rtol=1e-8)


@pytest.mark.reference
@pytest.mark.parametrize("case", sorted(KW))
def test_default_matches_pyfixest_crv1(panel: pd.DataFrame, case: str) -> None:
    ref = PF[case]
    coefs = _fit(panel, case).diagnostics["coefficients"]
    np.testing.assert_allclose(coefs["estimate"], list(ref["coef"].values()), atol=1e-10)
    np.testing.assert_allclose(coefs["std_error"], list(ref["std_error"].values()), rtol=1e-8)


@pytest.mark.reference
def test_matches_plm_within(panel: pd.DataFrame) -> None:
    # R: plm(lemp ~ treated_post, model = "within", effect = "twoways"); coefficient only
    assert _fit(panel, "basic").estimate == pytest.approx(R["plm_within"]["coef"], abs=1e-12)


def test_matches_linearmodels(panel: pd.DataFrame) -> None:
    from linearmodels import PanelOLS

    mi = panel.set_index(["countyreal", "year"])
    lm = PanelOLS(mi["lemp"], mi[["treated_post", "lpop_trend"]], entity_effects=True, time_effects=True).fit(
        cov_type="clustered", cluster_entity=True, debiased=True, group_debias=True)
    ours = _fit(panel, "covariate", small_sample="all").diagnostics["coefficients"]
    np.testing.assert_allclose(ours["estimate"], lm.params.to_numpy(), atol=1e-10)
    np.testing.assert_allclose(ours["std_error"], lm.std_errors.to_numpy(), rtol=1e-8)


def test_unbalanced_panel_uses_alternating_projections(panel: pd.DataFrame) -> None:
    from linearmodels import PanelOLS

    holes = panel[(panel["countyreal"] % 7) != (panel["year"] % 7)]
    res = twfe(holes, outcome="lemp", unit="countyreal", time="year", treatment="treated_post", small_sample="all")
    mi = holes.set_index(["countyreal", "year"])
    lm = PanelOLS(mi["lemp"], mi[["treated_post"]], entity_effects=True, time_effects=True).fit(
        cov_type="clustered", cluster_entity=True, debiased=True, group_debias=True)
    assert res.estimate == pytest.approx(float(lm.params.iloc[0]), abs=1e-9)
    assert res.std_error == pytest.approx(float(lm.std_errors.iloc[0]), rel=1e-6)
    assert res.diagnostics["bacon"] is None


def test_bacon_decomposition_adds_up(panel: pd.DataFrame) -> None:
    res = _fit(panel, "basic")
    bacon = res.diagnostics["bacon"]
    assert bacon["weight"].sum() == pytest.approx(1.0, abs=1e-12)
    assert float((bacon["weight"] * bacon["estimate"]).sum()) == pytest.approx(res.estimate, abs=1e-12)
    assert set(bacon["type"]) == {"treated vs never treated", "earlier vs later treated", "later vs earlier treated"}
    # 2x2 of cohort 2004 against never treated = the simple DiD of means over 2003 vs 2004-2007
    m = panel
    g = m.groupby([m["first.treat"], m["year"] >= 2004])["lemp"].mean()
    manual = (g[(2004, True)] - g[(2004, False)]) - (g[(0, True)] - g[(0, False)])
    row = bacon[(bacon["treated"] == 2004) & (bacon["control"] == "never")]
    assert float(row["estimate"].iloc[0]) == pytest.approx(manual, abs=1e-12)


def test_negative_weights_sum_to_one_and_flag_late_cells(panel: pd.DataFrame) -> None:
    negw = _fit(panel, "basic").diagnostics["negative_weights"]
    assert negw["weight"].sum() == pytest.approx(1.0, abs=1e-12)
    assert negw["n_obs"].sum() == int(panel["treated_post"].sum())
    # the earliest cohort's longest exposure is the cell TWFE weighs negatively (de Chaisemartin-D'Haultfoeuille)
    assert negw.loc[negw["negative"], ["cohort", "time"]].values.tolist() == [[2004, 2007]]


def test_homogeneous_effect_is_recovered_exactly() -> None:
    rng = np.random.default_rng(1)
    u, t = np.repeat(np.arange(300), 6), np.tile(np.arange(6), 300)
    g = np.where(u < 100, 2, np.where(u < 200, 4, 99))
    d = (t >= g).astype(int)
    y = rng.normal(size=300)[u] + 0.3 * t + 0.7 * d
    res = twfe(pd.DataFrame({"u": u, "t": t, "d": d, "y": y}), outcome="y", unit="u", time="t", treatment="d")
    assert res.estimate == pytest.approx(0.7, abs=1e-10)


def test_invariances(panel: pd.DataFrame) -> None:
    before = panel.copy()
    a = _fit(panel, "covariate")
    pd.testing.assert_frame_equal(panel, before)
    b = twfe(panel.sample(frac=1, random_state=2), outcome="lemp", unit="countyreal", time="year",
             treatment="treated_post", covariates=["lpop_trend"])
    assert b.estimate == pytest.approx(a.estimate, abs=1e-12) and b.std_error == pytest.approx(a.std_error, rel=1e-10)
    w1 = twfe(panel.assign(one=1.0), outcome="lemp", unit="countyreal", time="year", treatment="treated_post",
              weights="one")
    base = _fit(panel, "basic")
    assert w1.estimate == pytest.approx(base.estimate, abs=1e-10) and w1.std_error == pytest.approx(base.std_error, rel=1e-8)


def test_outputs_and_errors(panel: pd.DataFrame) -> None:
    res = _fit(panel, "basic")
    d = json.loads(json.dumps(res.to_dict()))
    assert d["method"] == "twfe" and d["inference"] == "clustered"
    assert "negative weights" in str(res)
    with pytest.warns(MissingDataWarning, match="'lpop' is constant within unit"):
        twfe(panel, outcome="lemp", unit="countyreal", time="year", treatment="treated_post", covariates=["lpop"])
    with pytest.raises(PanelStructureError, match="share a"):
        twfe(pd.concat([panel, panel.iloc[[3]]]), outcome="lemp", unit="countyreal", time="year",
             treatment="treated_post")
    with pytest.raises(SpecificationError, match="small_sample"):
        _fit(panel, "basic", small_sample="stata")
    with pytest.raises(SpecificationError, match=r"'se.type' parameter of twfe\(\) must be one of"):
        _fit(panel, "basic", se={"type": "bootstrap", "reps": 9})
    with pytest.raises(DataError, match="binary"):
        twfe(panel, outcome="lemp", unit="countyreal", time="year", treatment="first.treat")
    everyone = panel.assign(d=(panel["year"] >= 2005).astype(int))
    with pytest.raises(EstimationError, match="no variation"):
        twfe(everyone, outcome="lemp", unit="countyreal", time="year", treatment="d")
