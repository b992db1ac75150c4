"""Romano-Wolf step-down p-values from a multiplier bootstrap of influence functions: exact limiting cases
(one effect, identical effects, independent effects), family-wise error rate and power by Monte Carlo, the grid
of a run, and the refusals."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

import iej_impact as iej
from iej_impact import adjust_p_values, romano_wolf
from iej_impact.errors import SpecificationError


def _effects(n: int, k: int, rho: float, effect: float, rng: np.random.Generator) -> tuple[pd.DataFrame, list]:
    """k outcomes sharing a common shock (correlation rho), a randomised treatment, difference in means."""
    d = rng.integers(0, 2, n)
    common = rng.standard_normal(n)
    frame = pd.DataFrame({"d": d})
    for j in range(k):
        frame[f"y{j}"] = np.sqrt(rho) * common + np.sqrt(1 - rho) * rng.standard_normal(n) + effect * d
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = [iej.difference_in_means(frame, outcome=f"y{j}", treatment="d", estimand="ATE") for j in range(k)]
    return frame, results


def test_one_effect_gives_its_normal_p_value():
    _, results = _effects(2000, 1, 0.0, 0.08, np.random.default_rng(1))
    p = romano_wolf(results, reps=19_999, seed=3)[0]
    assert p == pytest.approx(results[0].p_value, abs=0.006)  # Monte Carlo error of 19,999 draws


def test_identical_effects_are_one_test_and_independent_ones_are_sidak():
    _, results = _effects(2000, 1, 0.0, 0.08, np.random.default_rng(1))
    raw = results[0].p_value
    four = romano_wolf(results * 4, reps=19_999, seed=3)
    np.testing.assert_allclose(four, raw, atol=0.006)  # perfectly dependent: no penalty (Holm multiplies by 4)
    assert adjust_p_values([raw] * 4, "holm")[0] == pytest.approx(min(1, 4 * raw))
    # the same effect on two disjoint halves of the units: independent, so min p ~ 1 - (1 - p1)(1 - p2) (Sidak)
    frame, _ = _effects(4000, 1, 0.0, 0.06, np.random.default_rng(2))
    halves = [frame.iloc[:2000], frame.iloc[2000:]]
    res = [iej.difference_in_means(h, outcome="y0", treatment="d", estimand="ATE") for h in halves]
    p = romano_wolf(res, rows=[h.index for h in halves], reps=19_999, seed=4)
    smallest = min(r.p_value for r in res)
    assert min(p) == pytest.approx(1 - (1 - smallest) ** 2, abs=0.008)
    assert max(p) >= max(r.p_value for r in res) - 0.008


def test_the_same_seed_gives_the_same_p_values_and_clusters_change_the_draws():
    frame, results = _effects(600, 3, 0.5, 0.1, np.random.default_rng(5))
    a, b = romano_wolf(results, seed=9), romano_wolf(results, seed=9)
    np.testing.assert_array_equal(a, b)
    clusters = pd.Series(np.arange(len(frame)) // 3, index=frame.index)
    assert not np.array_equal(a, romano_wolf(results, clusters=clusters, seed=9))
    assert (np.diff(a[np.argsort([-abs(r.estimate / r.std_error) for r in results])]) >= 0).all()  # step-down order


@pytest.mark.slow
def test_family_wise_error_rate_and_power_by_monte_carlo():
    """Four outcomes with correlation 0.8: under the null the probability of any rejection at 5% stays near 5%;
    with an effect, Romano-Wolf rejects at least as often as Holm (it uses the dependence Holm ignores)."""
    rng = np.random.default_rng(20261205)
    any_null, rw_power, holm_power = 0, 0, 0
    reps = 300
    for _ in range(reps):
        _, null = _effects(400, 4, 0.8, 0.0, rng)
        any_null += (romano_wolf(null, reps=499, seed=int(rng.integers(1 << 30))) < 0.05).any()
        _, alt = _effects(400, 4, 0.8, 0.22, rng)
        rw = romano_wolf(alt, reps=499, seed=int(rng.integers(1 << 30)))
        holm = adjust_p_values([r.p_value for r in alt], "holm")
        rw_power += (rw < 0.05).sum()
        holm_power += (holm < 0.05).sum()
    fwer = any_null / reps
    assert 0.025 <= fwer <= 0.085, fwer  # 5% +- 2.5 Monte Carlo standard errors
    assert rw_power >= holm_power, (rw_power, holm_power)


def test_refusals_name_the_reason():
    _, results = _effects(300, 2, 0.0, 0.0, np.random.default_rng(6))
    with pytest.raises(SpecificationError, match="reps must be an integer of at least 99"):
        romano_wolf(results, reps=10)
    cohort = iej.simulate_cohort(300, seed=1, panel="none")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        matched = iej.psm(cohort.persons, outcome="employed_12m", treatment="treated", covariates=["age", "female"])
    with pytest.raises(SpecificationError, match="psm result with abadie_imbens standard errors has no influence"):
        romano_wolf([results[0], matched], rows=[range(300), cohort.persons.index])
    with pytest.raises(SpecificationError, match="one value per row"):
        romano_wolf(results, rows=[range(300), range(299)])


def test_grids_of_a_run_carry_romano_wolf_p_values(tmp_path):
    from iej_impact.cli import main
    from test_grid import config, write

    cfg = config(subgroups=["female"])
    cfg["analyses"].append({"name": "m", "estimator": "psm", "outcome": ["employed_6m", "employed_12m"],
                            "covariates": ["age", "isced_0_2"], "estimand": "ATT"})
    assert main(["run", str(write(tmp_path, cfg))]) == 0
    results = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    cells = results["grid"]["ipw"]["cells"]
    rw = np.array([c["p_value_rw"] for c in cells])
    raw = np.array([c["p_value"] for c in cells])
    # never below the raw p-value beyond the Monte Carlo error of 1999 draws (the least significant effect's
    # adjusted p-value is its own bootstrap p-value, which estimates the raw one)
    assert np.isfinite(rw).all() and (rw >= raw - 3 * np.sqrt(raw * (1 - raw) / 1999) - 1e-12).all()
    assert results["grid"]["ipw"]["adjustments"]["romano_wolf"] == "p_value_rw"
    assert "1999 draws" in results["grid"]["ipw"]["notes"][0] and "seed 5" in results["grid"]["ipw"]["notes"][0]
    assert results["results"][cells[0]["name"]]["p_value_rw"] == cells[0]["p_value_rw"]
    matched = results["grid"]["m"]
    assert all(c["p_value_rw"] is None for c in matched["cells"])
    assert "not computed: a psm result with abadie_imbens standard errors has no influence" in matched["notes"][0]
    # the whole-sample and subgroup cells share units: the same seed and data give the same p-values
    assert main(["run", str(write(tmp_path, cfg)), "--force"]) == 0
    again = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    assert [c["p_value_rw"] for c in again["grid"]["ipw"]["cells"]] == list(rw)
