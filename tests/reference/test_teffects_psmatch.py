"""psm() against Stata's ``teffects psmatch`` on Cattaneo's birth-weight data (published numbers).

Source of the expected numbers: the examples of the Stata manual ([TE] teffects psmatch) as copied
into the R package teffects-r, file ``inst/stata/teffects_reference.csv`` (GitHub kylebutts/teffects-r,
commit 06413e93fd7dc5f0c2bcdde3a96f4d53ecd4849e; its inst/stata/README.md says the values are the
numbers printed in the manual). Commands, all on ``webuse cattaneo2`` (tests/reference/data/cattaneo2.csv):

* ``teffects psmatch (bweight) (mbsmoke mmarried c.mage##c.mage fbaby medu)``: ATE -210.9683, AI robust SE 32.021
* the same with ``nneighbor(4)``: ATE -224.006, SE 29.88627
* the same with ``atet vce(iid) caliper(0.03)``: ATET -236.7848 (its SE is Stata's homoskedastic one, not offered here)

Stata keeps every tied unit (``ties=True`` here) and, by default, ``vce(robust, nn(2))`` estimates
each unit's conditional variance by the sample variance of Y over the unit and its nearest same-arm
unit on the score: here ``se={"type": "abadie_imbens", "neighbours": 1, "sigma2": "sample"}`` (R
Matching's ``Var.calc = 1``). The point estimates agree to the printed digits. The SE treated as
known agrees with R Matching to 1e-12 (tests/reference/test_matching_r.py); the SE adjusted for the
estimated score (Abadie & Imbens 2016) is within 0.4% of Stata's: Stata estimates the conditional
covariances of the adjustment on neighbourhoods of h = 2 units, this package on L = 4 (leave-one-out
local means), which gives a smaller correction here (variance -0.34 against Stata's -6.6, on a
variance of about 1,032). An independent replication of Stata's rules (a research script, not
committed) gives 32.021003 and 29.886267 with Stata's h = 2 neighbourhoods, and the same SEs treated
as known as this package (32.123468, 29.996025, pinned below), so the gap is that choice alone.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from iej_impact import psm

pytestmark = pytest.mark.reference

DATA = Path(__file__).parent / "data"
PS_COVS = ["mmarried", "mage", "mage2", "fbaby", "medu"]
STATA_SE = {"type": "abadie_imbens", "neighbours": 1, "sigma2": "sample"}


@pytest.fixture(scope="module")
def births() -> pd.DataFrame:
    return pd.read_csv(DATA / "cattaneo2.csv")


@pytest.mark.parametrize(
    ("estimand", "ratio", "estimate", "std_error", "se_known"),
    [
        ("ATE", 1, -210.9683, 32.021, 32.123468),
        ("ATE", 4, -224.006, 29.88627, 29.996025),
        ("ATT", 1, -236.7848, None, None),
    ],
)
def test_psmatch_with_ties_reproduces_stata(births, estimand, ratio, estimate, std_error, se_known):
    res = psm(births, outcome="bweight", treatment="mbsmoke", covariates=PS_COVS, estimand=estimand, ratio=ratio,
              replace=True, ties=True, se=STATA_SE)
    # printed to 4 decimals (3 for nneighbor(4))
    assert res.estimate == pytest.approx(estimate, abs=0.5e-4 if ratio == 1 else 0.5e-3)
    if estimand == "ATE":
        assert res.n_treated + res.n_control == 4642
    else:
        assert res.n_treated == 864
    if std_error is not None:
        assert res.diagnostics["se_score_known"] == pytest.approx(se_known, rel=1e-7)
        assert res.std_error == pytest.approx(std_error, rel=0.004)
        # the correction for the estimated score goes in Stata's direction (smaller SE)
        assert res.std_error < res.diagnostics["se_score_known"]
