"""psm() with replacement, ties kept, ATT / ATC / ATE and bias adjustment against R's Matching package.

Expected numbers: tests/reference/data/matching_r.json, written by
tests/reference/generate/matching_r.R (R 4.2.2, Matching 4.10-8) with
``Match(Y, Tr, X = ps, estimand, M, BiasAdjust, replace = TRUE, ties, Var.calc, distance.tolerance = 0)``
on LaLonde's NSW treated + CPS controls, Cattaneo's birth weights (Stata's cattaneo2) and a small
simulated design without ties. The score X was fitted by glm in R and saved with 17 digits
(matching_r_*_ps.csv, matching_r_simulated.csv); both sides match on those numbers, so the
comparison is of the matching and of the estimators, not of two logit fits.

What corresponds to what (read in Matching's source, R/Matching.R and src/matching.cc):

* Matched sets: Matching keeps every unit whose squared standardised distance is within
  ``distance.tolerance`` + 1e-10 of the M-th smallest; iej_impact's ``ties=True`` keeps exactly
  equal distances. LaLonde's score is therefore rounded to 4 decimals in the R script (see there);
  the number of matched pairs is compared as well as the estimates.
* Conditional variance: ``Var.calc = J`` is the sample variance of Y over a unit and its J nearest
  same-arm units (ties kept), which is iej_impact's ``sigma2="sample"`` with ``neighbours=J`` (the
  default with ``ties=True``: J = 2 corresponds to ``Var.calc = 2``). Abadie & Imbens' (2006,
  eq. 14) J/(J+1) (Y_i - mean)^2, iej_impact's default without ties, coincides with it for J = 1
  only.
* ``BiasAdjust = TRUE`` regresses Y on (1, X) in each imputed arm weighted by the number of times
  a unit is used as a match (Matching's ``Kcount``): ``bias_adjust=True`` with the score as the
  matching covariate.
* The score is treated as known on both sides (a score column: no Abadie-Imbens 2016 adjustment).
* ``ties = FALSE``: Matching drops tied units at random (``unif_rand()``) until M remain, and then
  switches to ``version = "fast"`` (homoskedastic Var.calc = 0, no bias adjustment); only the
  estimates on the tie-free simulated design are comparable, where it must equal ties = TRUE and
  iej_impact's ``ties=False``.

Measured agreement over the 26 specifications: estimates within 7.3e-14 (relative), standard errors
within 2.7e-14; the test asserts 1e-12.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from iej_impact import psm

pytestmark = pytest.mark.reference

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def reference() -> dict:
    with open(DATA / "matching_r.json") as fh:
        return json.load(fh)


@pytest.fixture(scope="module")
def datasets() -> dict[str, tuple[pd.DataFrame, str, str]]:
    lal = pd.read_csv(DATA / "matchit_lalonde_cps.csv")
    lal_ps = pd.read_csv(DATA / "matching_r_lalonde_ps.csv")
    assert (lal_ps["id"].to_numpy() == lal["id"].to_numpy()).all()
    lal["ps_r"] = lal_ps["ps"].to_numpy()
    cat = pd.read_csv(DATA / "cattaneo2.csv")
    cat["ps_r"] = pd.read_csv(DATA / "matching_r_cattaneo2_ps.csv")["ps"].to_numpy()
    sim = pd.read_csv(DATA / "matching_r_simulated.csv").rename(columns={"ps": "ps_r"})
    return {"lalonde": (lal, "re78", "treat"), "cattaneo2": (cat, "bweight", "mbsmoke"), "simulated": (sim, "y", "d")}


def _id(spec: dict) -> str:
    return f"{spec['dataset']}-{spec['estimand']}-M{spec['M']}-bias{int(spec['bias_adjust'])}-ties{int(spec['ties'])}"


def _specs() -> list[dict]:
    with open(DATA / "matching_r.json") as fh:
        return json.load(fh)["specs"]


def _fit(datasets: dict, spec: dict, ties: bool, **se) -> object:
    df, y, t = datasets[spec["dataset"]]
    return psm(df, outcome=y, treatment=t, covariates=[], distance="ps_r", replace=True, estimand=spec["estimand"],
               ratio=spec["M"], ties=ties, bias_adjust=bool(spec["bias_adjust"]), **se)


def _n_pairs(res) -> int:
    return sum(int(s.sizes.sum()) for s in res.diagnostics["matching"].match_sets.values())


@pytest.mark.parametrize("spec", [s for s in _specs() if s["ties"]], ids=_id)
def test_estimate_pairs_and_standard_errors_match_r(datasets, spec):
    res = _fit(datasets, spec, ties=True)
    # Match(...)$est; with BiasAdjust, est.noadj is the plain matching estimate
    assert res.estimate == pytest.approx(spec["estimate"], rel=1e-12, abs=1e-9)
    assert _n_pairs(res) == spec["n_pairs"]
    if spec["bias_adjust"]:
        plain = _fit(datasets, {**spec, "bias_adjust": False}, ties=True)
        assert plain.estimate == pytest.approx(spec["estimate_noadj"], rel=1e-12, abs=1e-9)
    # Match(...)$se with Var.calc = 2 (the default with ties) and Var.calc = 1
    assert res.std_error == pytest.approx(spec["se_var_calc_2"], rel=1e-12)
    j1 = _fit(datasets, spec, ties=True, se={"type": "abadie_imbens", "neighbours": 1})
    assert j1.std_error == pytest.approx(spec["se_var_calc_1"], rel=1e-12)
    assert "treated as known" in " ".join(res.notes)


@pytest.mark.parametrize("spec", [s for s in _specs() if not s["ties"]], ids=_id)
def test_without_ties_in_the_data_ties_false_matches_r(datasets, spec):
    res = _fit(datasets, spec, ties=False)
    assert res.estimate == pytest.approx(spec["estimate"], rel=1e-12)
    assert _n_pairs(res) == spec["n_pairs"]
    with_ties = next(
        s for s in _specs() if s["dataset"] == spec["dataset"] and s["ties"] and s["estimand"] == spec["estimand"]
        and s["M"] == spec["M"] and not s["bias_adjust"]
    )
    assert spec["estimate"] == pytest.approx(with_ties["estimate"], rel=1e-12)


def test_the_2006_estimator_equals_var_calc_1_only_where_sets_have_one_neighbour(datasets, reference):
    """AI (2006) eq. 14 with J = 1 is the sample variance of two values: the same as Var.calc = 1 on
    the tie-free simulated design; on Cattaneo's tied scores the two estimators differ."""
    for dataset, same in (("simulated", True), ("cattaneo2", False)):
        spec = next(s for s in reference["specs"] if s["dataset"] == dataset and s["ties"] and s["estimand"] == "ATE"
                    and s["M"] == 1 and not s["bias_adjust"])
        res = _fit(datasets, spec, ties=True, se={"type": "abadie_imbens", "neighbours": 1, "sigma2": "ai2006"})
        assert (res.std_error == pytest.approx(spec["se_var_calc_1"], rel=1e-12)) is same
