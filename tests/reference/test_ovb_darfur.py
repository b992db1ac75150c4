"""ovb_sensitivity() on the darfur example of Cinelli & Hazlett (2020) and sensemakr.

Data: tests/reference/data/darfur.csv (provenance and licence: darfur.md beside it). Model: the
regression of ``peacefactor`` on ``directlyharmed``, village fixed effects, ``female``, ``age``,
``farmer_dar``, ``herder_dar``, ``pastvoted`` and ``hhsize_darfur``.

Two references:

* the numbers printed in the R package's README (sensemakr 0.1.6; also Cinelli & Hazlett 2020,
  Table 2 and section 6): estimate 0.09732, SE 0.02326, t 4.18445, partial R2 0.02187, RV_q 0.13878,
  RV_{q,alpha} 0.07626, and the bounds for a confounder 1, 2 and 3 times as strong as ``female``;
  checked to the printed precision;
* tests/reference/data/ovb_darfur.json, written by tests/reference/generate/ovb_darfur_pysensemakr.py
  with PySensemakr 0.0.8 (an independent implementation): the same numbers at full precision, bounds
  with ky != kd, a group benchmark (the village dummies), other q and alpha, hypothetical strengths.
  The adjusted CIs differ by design by about 1e-7: sensemakr takes the t quantile with dof degrees
  of freedom, ovb_sensitivity with the long regression's dof - 1.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from iej_impact.observational._ovb import ovb_sensitivity
from iej_impact.observational._ovb_stats import robustness_value

pytestmark = pytest.mark.reference

DATA = Path(__file__).parent / "data"
COVS = ["village", "female", "age", "farmer_dar", "herder_dar", "pastvoted", "hhsize_darfur"]
REF = json.loads((DATA / "ovb_darfur.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def darfur() -> pd.DataFrame:
    return pd.read_csv(DATA / "darfur.csv")


@pytest.fixture(scope="module")
def female(darfur: pd.DataFrame):
    return ovb_sensitivity(darfur, outcome="peacefactor", treatment="directlyharmed", covariates=COVS,
                           benchmark=["female"], kd=[1, 2, 3])


def test_published_statistics(female) -> None:
    # sensemakr README, print(sensitivity): 5 significant digits
    assert round(female.coefficient, 5) == 0.09732
    assert round(female.std_error, 5) == 0.02326
    assert round(female.t_value, 5) == 4.18445
    assert round(female.r2yd_x, 5) == 0.02187
    assert round(female.rv_q, 5) == 0.13878
    assert round(female.rv_qa, 5) == 0.07626
    assert female.dof == 783
    # the paper's table: 2.2%, 13.9%, 7.6%
    assert (round(100 * female.r2yd_x, 1), round(100 * female.rv_q, 1), round(100 * female.rv_qa, 1)) == (2.2, 13.9, 7.6)


PUBLISHED_BOUNDS = [  # README, summary(sensitivity): label, R2dz.x, R2yz.dx, estimate, se, t, lower, upper
    ("1x female", 0.0092, 0.1246, 0.0752, 0.0219, 3.4389, 0.0323, 0.1182),
    ("2x female", 0.0183, 0.2493, 0.0529, 0.0204, 2.6002, 0.0130, 0.0929),
    ("3x female", 0.0275, 0.3741, 0.0304, 0.0187, 1.6281, -0.0063, 0.0670),
]


def test_published_bounds(female) -> None:
    got = female.scenarios
    assert list(got["scenario"]) == [row[0] for row in PUBLISHED_BOUNDS]
    cols = ["r2dz_x", "r2yz_dx", "adjusted_estimate", "adjusted_se", "adjusted_t", "adjusted_ci_lower",
            "adjusted_ci_upper"]
    for (_, *expected), (_, row) in zip(PUBLISHED_BOUNDS, got.iterrows(), strict=True):
        assert [round(float(row[c]), 4) for c in cols] == expected


def _check_bounds(res, expected: list[dict[str, float]]) -> None:
    got = res.scenarios
    assert list(got["scenario"]) == [e["bound_label"] for e in expected]
    for e, (_, row) in zip(expected, got.iterrows(), strict=True):
        for ours, theirs in (("r2dz_x", "r2dz_x"), ("r2yz_dx", "r2yz_dx"), ("adjusted_estimate", "adjusted_estimate"),
                             ("adjusted_se", "adjusted_se"), ("adjusted_t", "adjusted_t")):
            assert row[ours] == pytest.approx(e[theirs], rel=1e-9, abs=1e-12)
        # t quantile on dof - 1 (ours) vs dof (sensemakr) degrees of freedom
        assert row["adjusted_ci_lower"] == pytest.approx(e["adjusted_lower_CI"], rel=1e-5, abs=1e-7)
        assert row["adjusted_ci_upper"] == pytest.approx(e["adjusted_upper_CI"], rel=1e-5, abs=1e-7)


def test_full_precision_against_pysensemakr(female) -> None:
    stats = REF["sensitivity_stats"]
    assert female.coefficient == pytest.approx(stats["estimate"], rel=1e-10)
    assert female.std_error == pytest.approx(stats["se"], rel=1e-10)
    assert female.t_value == pytest.approx(stats["t_statistic"], rel=1e-10)
    assert female.r2yd_x == pytest.approx(stats["r2yd_x"], rel=1e-10)
    assert female.rv_q == pytest.approx(stats["rv_q"], rel=1e-10)
    assert female.rv_qa == pytest.approx(stats["rv_qa"], rel=1e-10)
    _check_bounds(female, REF["bounds_female"])


def test_asymmetric_multipliers(darfur) -> None:
    res = ovb_sensitivity(darfur, outcome="peacefactor", treatment="directlyharmed", covariates=COVS,
                          benchmark=["pastvoted"], kd=[1, 2], ky=[3, 1])
    _check_bounds(res, REF["bounds_pastvoted_kd12_ky31"])


def test_categorical_benchmark_is_the_group_of_its_dummies(darfur) -> None:
    res = ovb_sensitivity(darfur, outcome="peacefactor", treatment="directlyharmed", covariates=COVS,
                          benchmark=["village"], kd=[0.1])
    assert len(res.benchmarks.loc[0, "columns"]) == darfur["village"].nunique() - 1
    _check_bounds(res, REF["bounds_village_group_kd01"])


def test_hypothetical_strengths(darfur, female) -> None:
    manual = REF["manual"]
    res = ovb_sensitivity(darfur, outcome="peacefactor", treatment="directlyharmed", covariates=COVS,
                          r2dz_x=[m["r2dz_x"] for m in manual], r2yz_dx=[m["r2yz_dx"] for m in manual])
    assert list(res.scenarios["scenario"]) == ["manual"] * len(manual)
    for m, (_, row) in zip(manual, res.scenarios.iterrows(), strict=True):
        for key in ("adjusted_estimate", "adjusted_se", "adjusted_t"):
            assert row[key] == pytest.approx(m[key], rel=1e-9, abs=1e-12)
    again = female.adjusted([m["r2dz_x"] for m in manual], [m["r2yz_dx"] for m in manual])
    np.testing.assert_allclose(again["adjusted_estimate"], [m["adjusted_estimate"] for m in manual], rtol=1e-9)


@pytest.mark.parametrize("case", REF["robustness_values"], ids=lambda c: f"q{c['q']}-a{c['alpha']}")
def test_robustness_values(female, case) -> None:
    alpha = None if case["alpha"] == 1.0 else case["alpha"]  # sensemakr's alpha = 1: the point estimate's RV_q
    got = robustness_value(female.t_value, female.dof, q=case["q"], alpha=alpha)
    assert got == pytest.approx(case["rv"], rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("case", REF["robustness_values_numeric"], ids=lambda c: f"t{c['t']}-dof{c['dof']}")
def test_robustness_values_extreme_case(case) -> None:
    got = robustness_value(case["t"], case["dof"], q=case["q"], alpha=case["alpha"])
    assert got == pytest.approx(case["rv"], rel=1e-9, abs=1e-12)
