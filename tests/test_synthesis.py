"""synthesis: Holm/BH against statsmodels, the subgroup equality test against the contrast form, Fieller and the
delta method against direct computations, the coverage of the cost-per-outcome interval, compare()."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

import iej_impact as ij
from iej_impact.errors import DataError, SpecificationError


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(("method", "sm"), [("holm", "holm"), ("bh", "fdr_bh")])
def test_adjusted_p_values_match_statsmodels(seed, method, sm):
    rng = np.random.default_rng(seed)
    p = np.concatenate([rng.uniform(0, 0.05, 4), rng.uniform(0, 1, 9), [0.01, 0.01]])  # ties included
    np.testing.assert_allclose(ij.adjust_p_values(p, method), multipletests(p, method=sm)[1], rtol=0, atol=1e-15)


def test_missing_p_values_are_outside_the_family():
    p = [0.01, None, 0.04, float("nan"), 0.03]
    out = ij.adjust_p_values(p, "holm")
    assert np.isnan(out[1]) and np.isnan(out[3])
    np.testing.assert_allclose(out[[0, 2, 4]], multipletests([0.01, 0.04, 0.03], method="holm")[1])
    with pytest.raises(SpecificationError, match="method"):
        ij.adjust_p_values(p, "bonferoni")


def test_subgroup_equality_test_is_the_wald_test_of_the_contrasts():
    b = np.array([0.05, 0.12, -0.01, 0.08])
    s = np.array([0.02, 0.03, 0.025, 0.04])
    got = ij.subgroup_equality_test(b, s, ["a", "b", "c", "d"])
    contrasts = np.hstack([np.ones((3, 1)), -np.eye(3)])  # b1 - bk, k = 2..4
    v = np.diag(s ** 2)
    rb = contrasts @ b
    wald = float(rb @ np.linalg.solve(contrasts @ v @ contrasts.T, rb))
    assert got["statistic"] == pytest.approx(wald, rel=1e-12)
    assert got["df"] == 3
    assert got["p_value"] == pytest.approx(stats.chi2.sf(wald, 3), rel=1e-12)
    assert got["levels"] == ["a", "b", "c", "d"]
    one = ij.subgroup_equality_test([0.1, 0.2], [0.05, float("nan")], [0, 1])
    assert one["statistic"] is None and one["dropped_levels"] == [1]


def _direct_fieller(a, b, vb, z):
    """Fieller's set by inverting the test on a fine grid (the definition, not the closed form)."""
    grid = np.linspace(-2000, 2000, 400001)
    return grid[(a - grid * b) ** 2 <= z ** 2 * grid ** 2 * vb]


def test_fieller_matches_the_inverted_test():
    z = stats.norm.ppf(0.975)
    kind, ((lo, hi),) = ij.fieller_interval(100.0, 0.5, var_denominator=0.1 ** 2)
    assert kind == "interval"
    inside = _direct_fieller(100.0, 0.5, 0.01, z)
    assert lo == pytest.approx(inside.min(), abs=0.02) and hi == pytest.approx(inside.max(), abs=0.02)
    assert lo == pytest.approx(100 / (0.5 + z * 0.1)) and hi == pytest.approx(100 / (0.5 - z * 0.1))
    kind, rays = ij.fieller_interval(100.0, 0.1, var_denominator=0.1 ** 2)
    assert kind == "two_rays"
    (_, r1), (r2, _) = rays
    inside = _direct_fieller(100.0, 0.1, 0.01, z)
    assert r1 == pytest.approx(inside[inside < 0].max(), abs=0.02)
    assert r2 == pytest.approx(inside[inside > 0].min(), abs=0.02)
    assert rays[0][0] == -math.inf and rays[1][1] == math.inf


def _effect(est, se, n=1000, estimand="ATT"):
    from iej_impact.inference import Robust

    z = stats.norm.ppf(0.975)
    return ij.EffectResult(method="ipw", estimand=estimand, outcome="y", estimate=est, std_error=se,
                           ci=(est - z * se, est + z * se), p_value=2 * stats.norm.sf(abs(est / se)),
                           inference=Robust(), n_treated=n, n_control=n)


def test_cost_per_outcome_delta_and_fieller_against_direct_formulas():
    z = stats.norm.ppf(0.975)
    res = ij.cost_per_outcome(_effect(0.08, 0.02), cost=2.0e6, method="delta")
    c = 2.0e6 / 1000
    assert res.cost_per_participant == c and res.additional_outcomes == pytest.approx(80)
    assert res.cost_per_additional_outcome == pytest.approx(2.0e6 / (0.08 * 1000))
    assert res.ci_method == "delta" and res.ci_kind == "interval"
    half = z * c * 0.02 / 0.08 ** 2
    assert res.ci == pytest.approx((c / 0.08 - half, c / 0.08 + half))
    fieller = ij.cost_per_outcome(_effect(0.08, 0.02), cost=2.0e6, method="fieller")
    assert fieller.ci == pytest.approx((c / (0.08 + z * 0.02), c / (0.08 - z * 0.02)))
    weak = ij.cost_per_outcome(_effect(0.03, 0.02), cost=2.0e6)
    assert weak.ci_method == "fieller" and weak.ci_kind == "two_rays" and weak.ci is None
    d = weak.to_dict()
    assert d["ci_set"] == [[None, pytest.approx(c / (0.03 - z * 0.02))], [pytest.approx(c / (0.03 + z * 0.02)), None]]
    assert "Fieller" in d["notes"][0] and "unbounded" in " ".join(d["notes"])
    assert "estimate" not in d  # not listed in the effect table


def test_cost_from_the_operations_table_and_errors():
    ops = pd.DataFrame({"operation_id": ["A", "B", "C"], "amount_fse_iej": ["1 000 000 €", 500000, None]})
    res = ij.cost_per_outcome(_effect(0.1, 0.02, n=300), cost=ops)
    assert res.cost == 1.5e6 and "operations" in res.cost_source
    with pytest.raises(DataError, match="amount_fse_iej"):
        ij.cost_per_outcome(_effect(0.1, 0.02), cost=ops.drop(columns="amount_fse_iej"))
    with pytest.raises(SpecificationError, match="cost"):
        ij.cost_per_outcome(_effect(0.1, 0.02), cost=-5)
    with pytest.raises(SpecificationError, match="n_treated"):
        ij.cost_per_outcome(_effect(0.1, 0.02), cost=5, n_treated=0)
    note = ij.cost_per_outcome(_effect(0.1, 0.02, estimand="ATE"), cost=5).notes
    assert any("not the effect on participants" in n for n in note)


def test_cost_per_outcome_interval_covers_monte_carlo():
    """Randomised experiments (true ATT 0.10, 1500 + 1500 units: |t| about 5.6), difference in means, cost 1000 per
    participant: the interval of the cost per additional outcome (auto: the delta method here) and Fieller's both
    cover 1000 / 0.10 in about 95 % of 400 replications."""
    rng = np.random.default_rng(2024)
    n, reps, theta, per_head = 1500, 400, 0.10, 1000.0
    truth = per_head / theta
    covered = {"auto": [], "fieller": []}
    kinds = set()
    d = np.repeat([1, 0], n)
    for _ in range(reps):
        y = rng.binomial(1, 0.35 + theta * d)
        res = ij.difference_in_means(pd.DataFrame({"y": y, "d": d}), outcome="y", treatment="d")
        for method in covered:
            cost = ij.cost_per_outcome(res, cost=per_head * res.n_treated, method=method)
            kinds.add(cost.ci_method)
            covered[method].append(any(lo <= truth <= hi for lo, hi in cost.ci_set))
    for method, hits in covered.items():
        assert 0.92 <= np.mean(hits) <= 0.975, (method, np.mean(hits))
    assert kinds == {"delta", "fieller"}


def test_delta_method_note_at_small_t():
    weak = ij.cost_per_outcome(_effect(0.08, 0.025), cost=1e6, method="delta")  # |t| = 3.2: a note, Fieller's bounds
    assert weak.ci_method == "delta" and any("under-covers" in n for n in weak.notes)
    auto = ij.cost_per_outcome(_effect(0.08, 0.025), cost=1e6)  # auto takes Fieller below 8 standard errors
    assert auto.ci_method == "fieller" and auto.ci_kind == "interval"
    strong = ij.cost_per_outcome(_effect(0.08, 0.005), cost=1e6)  # |t| = 16: delta
    assert strong.ci_method == "delta" and not any("under-covers" in n for n in strong.notes)


def test_fieller_set_has_exact_coverage_under_normality():
    rng = np.random.default_rng(7)
    theta, se, c = 0.05, 0.04, 500.0  # the effect's interval often holds 0: unbounded sets
    hits = []
    for est in rng.normal(theta, se, 2000):
        _, ci_set = ij.fieller_interval(c, est, var_denominator=se ** 2)
        hits.append(any(lo <= c / theta <= hi for lo, hi in ci_set))
    assert abs(np.mean(hits) - 0.95) < 0.015


def test_compare_one_table_per_outcome_with_truth():
    results = {"a": _effect(0.08, 0.02), "b": _effect(0.05, 0.03, estimand="ATE"), "note": object()}
    other = _effect(0.2, 0.05)
    results["c"] = other.with_inference(outcome="z")
    table = ij.compare(results, truth={"y": 0.07, "c": 0.1})
    assert list(table["outcome"]) == ["y", "y", "z"]
    assert list(table["name"]) == ["a", "b", "c"]
    assert table.loc[0, "truth"] == 0.07 and table.loc[0, "bias"] == pytest.approx(0.01)
    assert bool(table.loc[0, "covered"])
    one = ij.compare(results, outcome="y", truth=0.07)
    assert list(one["name"]) == ["a", "b"] and list(one["estimand"]) == ["ATT", "ATE"]
    synthetic = pd.DataFrame({"outcome": ["y", "y"], "estimand": ["ATT", "ATE"], "value": [0.07, 0.06]})
    assert list(ij.compare(results, outcome="y", truth=synthetic)["truth"]) == [0.07, 0.06]
    with pytest.raises(SpecificationError, match="no result estimates"):
        ij.compare(results, outcome="w")
    with pytest.raises(SpecificationError, match="one outcome"):
        ij.compare(results, truth=0.07)
    ax = ij.plot_comparison(one, language="en")
    assert ax.get_title() == "y"
