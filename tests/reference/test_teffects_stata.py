"""regression_adjustment / ipw / doubly_robust against Stata 14 ``teffects`` on Cattaneo's birth-weight data.

Data and expected numbers: tests/reference/data/cattaneo2.csv and teffects_cattaneo2.json, written by
tests/reference/generate/extract_cattaneo2.py from statsmodels' copy of Stata's ``webuse cattaneo2`` and of
the Stata output tables in ``statsmodels/treatment/tests/results/results_teffects.py``. Each spec below
names the Stata command (in the JSON, key ``command``) that produced its numbers:

* ``teffects ra (bweight prenatal1 mmarried mage fbaby) (mbsmoke)`` [, atet]
* ``teffects ipw (bweight) (mbsmoke mmarried c.mage##c.mage fbaby medu, probit)`` [, atet]
* ``teffects aipw (bweight prenatal1 mmarried mage fbaby) (mbsmoke mmarried c.mage##c.mage fbaby medu, probit)``
* ``teffects ipwra (bweight prenatal1 mmarried mage fbaby) (mbsmoke mmarried c.mage##c.mage fbaby medu, probit)``
  [, atet]

Tolerances: estimates 1e-6 relative (the required agreement; they agree to ~1e-13). Stata's tables
carry 14 significant digits, so standard errors are checked to 1e-7 relative (they agree to ~1e-10,
the precision of Stata's own convergence).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from iej_impact import doubly_robust, ipw, regression_adjustment

pytestmark = pytest.mark.reference

DATA = Path(__file__).parent / "data"
OUTCOME_COVS = ["prenatal1", "mmarried", "mage", "fbaby"]
PS_COVS = ["mmarried", "mage", "mage2", "fbaby", "medu"]
EST_RTOL = 1e-6
SE_RTOL = 1e-7


@pytest.fixture(scope="module")
def births() -> pd.DataFrame:
    return pd.read_csv(DATA / "cattaneo2.csv")


@pytest.fixture(scope="module")
def stata() -> dict:
    with open(DATA / "teffects_cattaneo2.json") as fh:
        return json.load(fh)["specs"]


def _run(births: pd.DataFrame, name: str):
    estimand = "ATT" if name.endswith("atet") else "ATE"
    common = {"outcome": "bweight", "treatment": "mbsmoke", "estimand": estimand}
    if name.startswith("ra"):
        return regression_adjustment(births, covariates=OUTCOME_COVS, **common)
    if name.startswith("ipw_"):
        return ipw(births, covariates=PS_COVS, ps_model="probit", **common)
    method = "aipw" if name.startswith("aipw") else "ipwra"
    return doubly_robust(births, covariates=OUTCOME_COVS, ps_covariates=PS_COVS, ps_model="probit", method=method,
                         **common)


SPECS = ["ra_ate", "ra_atet", "ipw_ate", "ipw_atet", "aipw_ate", "ipwra_ate", "ipwra_atet"]


@pytest.mark.parametrize("name", SPECS)
def test_effect_and_control_mean_match_stata(births, stata, name):
    rows = stata[name]["rows"]
    res = _run(births, name)
    # row 0: r1vs0.mbsmoke (ATE or ATET), row 1: 0.mbsmoke (POmean of the control arm in the target population)
    assert res.estimate == pytest.approx(rows[0]["b"], rel=EST_RTOL)
    assert res.std_error == pytest.approx(rows[0]["se"], rel=SE_RTOL)
    pom = res.diagnostics["potential_outcome_means"].loc["control"]
    assert pom["estimate"] == pytest.approx(rows[1]["b"], rel=EST_RTOL)
    assert pom["std_error"] == pytest.approx(rows[1]["se"], rel=SE_RTOL)
    # Stata's normal CI
    z = 1.9599639845401
    assert res.ci_lower == pytest.approx(rows[0]["b"] - z * rows[0]["se"], rel=1e-7)
    assert res.estimand == ("ATT" if name.endswith("atet") else "ATE")


def _stata_blocks(rows: list[dict]) -> list[list[dict]]:
    """Split Stata's coefficient rows (after the two effect rows) into equations, each ending with _cons."""
    blocks, cur = [], []
    for r in rows[2:]:
        cur.append(r)
        if r["row"] == "_cons":
            blocks.append(cur)
            cur = []
    return blocks


def _ours(table: pd.DataFrame, arm: str) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients in Stata's order (covariates, then the constant)."""
    order = [*table.index[1:], "Intercept"]
    return table.loc[order, arm].to_numpy(), table.loc[order, f"{arm}_std_error"].to_numpy()


@pytest.mark.parametrize("name", ["ra_ate", "ra_atet", "aipw_ate", "ipwra_ate", "ipwra_atet"])
def test_outcome_model_coefficients_match_stata(births, stata, name):
    res = _run(births, name)
    blocks = _stata_blocks(stata[name]["rows"])
    table = res.diagnostics["outcome_models"]
    for arm, block in zip(("control", "treated"), blocks[:2], strict=True):  # Stata: arm 0 first
        b, se = _ours(table, arm)
        np.testing.assert_allclose(b, [r["b"] for r in block], rtol=EST_RTOL)
        np.testing.assert_allclose(se, [r["se"] for r in block], rtol=1e-6)


@pytest.mark.parametrize("name", ["ipw_ate", "aipw_ate", "ipwra_ate"])
def test_probit_treatment_model_matches_stata(births, stata, name):
    res = _run(births, name)
    block = _stata_blocks(stata[name]["rows"])[-1]
    ps = res.diagnostics["propensity"]
    order = [*PS_COVS, "Intercept"]
    np.testing.assert_allclose(ps.params[order].to_numpy(), [r["b"] for r in block], rtol=EST_RTOL)
    np.testing.assert_allclose(ps.std_errors[order].to_numpy(), [r["se"] for r in block], rtol=1e-6)


def test_influence_function_reproduces_the_standard_error(births, stata):
    res = _run(births, "aipw_ate")
    psi = res.influence
    assert psi.shape == (len(births),)
    assert abs(psi.mean()) < 1e-8 * np.abs(psi).max()
    assert np.sqrt(np.sum(psi**2)) / len(psi) == pytest.approx(stata["aipw_ate"]["rows"][0]["se"], rel=SE_RTOL)
