"""evalue(): VanderWeele & Ding (2017) worked examples, the EValue R package's documented examples,
and the risk ratio of an effect on a binary outcome (arm means, delta method on log RR)."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from iej_impact import doubly_robust, ipw, regression_adjustment
from iej_impact.errors import DataError, SpecificationError
from iej_impact.observational._evalue import evalue, evalue_of_ratio


def test_paper_example_breastfeeding() -> None:
    # VanderWeele & Ding (2017): RR 3.9 (95% CI 1.8 to 8.7) -> E-values 7.26 and 3.0
    res = evalue(3.9, lower=1.8, upper=8.7)
    assert round(res.evalue_point, 2) == 7.26
    assert res.evalue_ci == pytest.approx(3.0, abs=1e-12)  # 1.8 + sqrt(1.8 x 0.8) = 3 exactly


@pytest.mark.parametrize(("call", "expected"), [
    # EValue 4.1.3 documentation (evalues.RR/OR/HR/MD examples): (RR point, lower, upper), (E point, E ci)
    (dict(effect=0.80, lower=0.71, upper=0.91), ((0.80, 0.71, 0.91), (1.809017, 1.428571))),
    (dict(effect=0.86, lower=0.75, upper=0.99, scale="OR", rare=False),
     ((0.9273618, 0.8660254, 0.9949874), (1.3689529, 1.0761939))),
    (dict(effect=0.56, lower=0.46, upper=0.69, scale="HR", rare=False),
     ((0.670084, 0.585935, 0.7735267), (2.349531, 1.9080039))),
    (dict(effect=0.5, se=0.25, scale="SMD"), ((1.576173, 1.010050, 2.459603), (2.529142, 1.110803))),
], ids=["RR", "OR-common", "HR-common", "SMD"])
def test_r_package_examples(call, expected) -> None:
    res = evalue(call.pop("effect"), **call)
    (rr, lo, hi), (ev, ev_ci) = expected
    assert [round(v, 7) for v in (res.risk_ratio, res.rr_ci_lower, res.rr_ci_upper)] == pytest.approx([rr, lo, hi], abs=1e-6)
    assert res.evalue_point == pytest.approx(ev, abs=1e-6)
    assert res.evalue_ci == pytest.approx(ev_ci, abs=1e-6)


def test_symmetry_rare_conversions_and_null() -> None:
    assert evalue(1 / 0.8).evalue_point == pytest.approx(evalue(0.8).evalue_point)
    assert evalue(2.0, scale="OR", rare=True).risk_ratio == 2.0
    assert evalue(2.0, scale="HR", rare=True).risk_ratio == 2.0
    assert evalue(1.0).evalue_point == 1.0
    assert evalue(2.0, lower=0.9, upper=4.0).evalue_ci == 1.0  # the CI holds the null
    assert evalue(0.5, lower=0.2, upper=1.1).evalue_ci == 1.0
    # shifting to a non-null value: the ratio RR / null_value
    assert evalue(3.0, null_value=1.5).evalue_point == pytest.approx(evalue_of_ratio(2.0))
    assert evalue(0.5, scale="SMD").null_value == 1.0
    # monotone in RR away from 1
    values = [evalue_of_ratio(r) for r in (1.0, 1.1, 1.5, 2.0, 5.0)]
    assert values == sorted(values) and values[0] == 1.0


def test_bad_arguments() -> None:
    with pytest.raises(SpecificationError, match="rare"):
        evalue(2.0, scale="OR")
    with pytest.raises(SpecificationError, match="lower <= estimate"):
        evalue(2.0, lower=2.5, upper=3.0)
    with pytest.raises(SpecificationError, match="'se'"):
        evalue(2.0, se=0.1)
    with pytest.raises(SpecificationError, match="scale"):
        evalue(2.0, scale="RD")
    with pytest.raises(SpecificationError, match="EffectResult or a number"):
        evalue("2")


@pytest.fixture(scope="module")
def binary() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 6000
    x = rng.normal(size=n)
    d = (rng.random(n) < 1 / (1 + np.exp(-0.5 * x))).astype(int)
    y = (rng.random(n) < 1 / (1 + np.exp(-(-1.0 + 0.5 * x + 0.6 * d)))).astype(int)
    return pd.DataFrame({"x": x, "d": d, "y": y, "g": rng.integers(0, 60, n), "yc": x + d + rng.normal(size=n)})


@pytest.mark.parametrize("estimand", ["ATE", "ATT"])
def test_effect_risk_ratio_from_arm_means(binary, estimand) -> None:
    res = regression_adjustment(binary, outcome="y", treatment="d", covariates=["x"], estimand=estimand,
                                outcome_model="logit")
    ev = evalue(res)
    pom = res.diagnostics["potential_outcome_means"]
    p1, p0 = pom.loc["treated", "estimate"], pom.loc["control", "estimate"]
    assert ev.risk_ratio == pytest.approx(p1 / p0)
    assert p1 - p0 == pytest.approx(res.estimate)
    assert ev.evalue_point == pytest.approx(evalue_of_ratio(p1 / p0))
    assert ev.rr_ci_lower < ev.risk_ratio < ev.rr_ci_upper
    assert math.log(ev.rr_ci_upper) - math.log(ev.risk_ratio) == pytest.approx(
        math.log(ev.risk_ratio) - math.log(ev.rr_ci_lower))  # symmetric on the log scale
    assert ev.evalue_ci == pytest.approx(evalue_of_ratio(ev.rr_ci_lower))
    json.dumps(ev.to_dict(), allow_nan=False)
    assert "E-value" in str(ev)


def test_covariance_is_consistent_with_the_standard_errors(binary) -> None:
    # Var(p1 - p0) = V11 + V00 - 2 V10: the stored covariance gives back the effect's SE (robust, no correction)
    for res in (ipw(binary, outcome="y", treatment="d", covariates=["x"]),
                doubly_robust(binary, outcome="y", treatment="d", covariates=["x"], estimand="ATT")):
        v = res.diagnostics["potential_outcome_covariance"].to_numpy()
        pom = res.diagnostics["potential_outcome_means"]
        assert np.sqrt(np.diag(v)) == pytest.approx(pom["std_error"].to_numpy(), rel=1e-12)
        assert math.sqrt(v[0, 0] + v[1, 1] - 2 * v[0, 1]) == pytest.approx(res.std_error, rel=1e-10)


def test_delta_method_matches_two_proportions_in_a_randomized_design() -> None:
    # no confounding and an irrelevant covariate: the log-RR variance is close to (1-p1)/(n1 p1) + (1-p0)/(n0 p0)
    rng = np.random.default_rng(3)
    n = 20000
    d = rng.integers(0, 2, n)
    y = (rng.random(n) < np.where(d == 1, 0.3, 0.2)).astype(int)
    df = pd.DataFrame({"d": d, "y": y, "x": rng.normal(size=n)})
    ev = evalue(regression_adjustment(df, outcome="y", treatment="d", covariates=["x"]))
    p1, p0 = y[d == 1].mean(), y[d == 0].mean()
    classical = math.sqrt((1 - p1) / ((d == 1).sum() * p1) + (1 - p0) / ((d == 0).sum() * p0))
    assert ev.source["log_rr_std_error"] == pytest.approx(classical, rel=0.01)


def test_effect_needs_a_binary_outcome_and_arm_means(binary) -> None:
    res = regression_adjustment(binary, outcome="yc", treatment="d", covariates=["x"])
    with pytest.raises(DataError, match="not 0/1"):
        evalue(res)
    with pytest.raises(SpecificationError, match="for numbers"):
        evalue(regression_adjustment(binary, outcome="y", treatment="d", covariates=["x"]), lower=1.0)
