"""wald_did: the Wald-DiD of fuzzy 2x2 designs (de Chaisemartin & D'Haultfoeuille 2018)."""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd
import pytest

from iej_impact import stack_arms, wald_did
from iej_impact.errors import ContaminationError, DataError, EstimationError, IejImpactWarning, PanelStructureError


def _panel(n: int, seed: int, *, late_effect: float = 0.0) -> pd.DataFrame:
    """Two-period panel. Types: always treated (effect 3), never treated (effect 0.5 if they were), switchers
    (treated in period 1 only, effect 1.5 + noise). Group 1 has more switchers (0.5 vs 0.2: later entrants
    in group 0) and fewer always treated (0.1 vs 0.25). ``late_effect`` adds to the always-treated's effect in period 1 (breaks effect stability)."""
    rng = np.random.default_rng(seed)
    g = rng.integers(0, 2, n)
    u = rng.random(n)
    always = u < np.where(g == 1, 0.1, 0.25)
    switch = ~always & (u < np.where(g == 1, 0.6, 0.45))
    beta = np.where(always, 3.0, np.where(switch, 1.5 + rng.normal(0, 1, n), 0.5))
    alpha_i = rng.normal(0, 1, n) + 0.5 * g + 0.5 * always
    rows = []
    for t in (0, 1):
        d = (always | (switch & (t == 1))).astype(float)
        eff = beta + late_effect * (always & (t == 1))
        y = alpha_i + 0.4 * t + eff * d + rng.normal(0, 1, n)
        rows.append(pd.DataFrame({"id": np.arange(n), "g": g, "t": t, "d": d, "y": y}))
    return pd.concat(rows, ignore_index=True)


def test_toy_example_is_the_ratio_of_the_two_dids():
    df = pd.DataFrame({"y": [1., 2., 1., 4., 1., 2., 1., 3.], "g": [0, 0, 1, 1] * 2, "p": [0, 1] * 4,
                       "d": [0, 0, 0, 1, 0, 1, 0, 1]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IejImpactWarning)
        res = wald_did(df, outcome="y", group="g", post="p", treatment_take_up="d")
    # outcome DiD: (3.5 - 1) - (2 - 1) = 1.5; take-up DiD: (1 - 0) - (0.5 - 0) = 0.5
    assert res.diagnostics["did_outcome"] == pytest.approx(1.5)
    assert res.diagnostics["did_take_up"] == pytest.approx(0.5)
    assert res.estimate == pytest.approx(3.0)
    assert res.method == "wald_did" and "switchers" in res.estimand


def test_equals_2sls_with_group_and_period_effects():
    iv = pytest.importorskip("linearmodels.iv")
    df = _panel(1500, seed=3).assign(const=1.0)
    df["gt"] = df["g"] * df["t"]
    model = iv.IV2SLS(df["y"], df[["const", "g", "t"]], df["d"], df["gt"])
    robust = model.fit(cov_type="robust", debiased=False)
    by_unit = model.fit(cov_type="clustered", clusters=df["id"], debiased=False)
    rows = wald_did(df, outcome="y", group="g", post="t", treatment_take_up="d")
    panel = wald_did(df, outcome="y", group="g", post="t", treatment_take_up="d", unit="id")
    clustered = wald_did(df, outcome="y", group="g", post="t", treatment_take_up="d",
                         se={"type": "clustered", "by": "id"})
    assert rows.estimate == pytest.approx(robust.params["d"], rel=1e-10)
    assert rows.std_error == pytest.approx(robust.std_errors["d"], rel=1e-8)  # HC0 sandwich of 2SLS
    assert panel.std_error == pytest.approx(by_unit.std_errors["d"], rel=1e-8)  # clustered by unit, no factor
    g = df["id"].nunique()
    assert clustered.std_error == pytest.approx(by_unit.std_errors["d"] * np.sqrt(g / (g - 1)), rel=1e-8)


def test_monte_carlo_bias_and_coverage():
    start = time.perf_counter()
    est, cover, ses = [], [], []
    for seed in range(400):
        res = wald_did(_panel(600, seed), outcome="y", group="g", post="t", treatment_take_up="d", unit="id")
        est.append(res.estimate)
        ses.append(res.std_error)
        cover.append(res.ci[0] <= 1.5 <= res.ci[1])
    est = np.asarray(est)
    assert abs(est.mean() - 1.5) < 0.05  # switchers' LATE; the ATE (about 1.2) is not the target
    assert 0.92 <= np.mean(cover) <= 0.98
    assert np.mean(ses) == pytest.approx(est.std(), rel=0.15)
    assert time.perf_counter() - start < 10


def test_unstable_effects_bias_the_wald_did():
    """The always-treated's effect grows by 2 in period 1 and their share differs between the groups (0.10 vs
    0.25): the ratio shifts by 2 * (0.10 - 0.25) / 0.3 = -1 (the Wald-TC's case)."""
    est = np.mean([wald_did(_panel(2000, s, late_effect=2.0), outcome="y", group="g", post="t",
                            treatment_take_up="d", unit="id").estimate for s in range(20)])
    assert est == pytest.approx(0.5, abs=0.15)


def test_errors_and_weak_first_stage():
    df = _panel(400, seed=1)
    flat = df.assign(d=0.0)
    with pytest.raises(EstimationError, match="no first stage"):
        wald_did(flat, outcome="y", group="g", post="t", treatment_take_up="d")
    moving = df.copy()
    moving.loc[0, "g"] = 1 - moving.loc[0, "g"]
    with pytest.raises(PanelStructureError, match="constant within unit"):
        wald_did(moving, outcome="y", group="g", post="t", treatment_take_up="d", unit="id")
    with pytest.raises(DataError, match="four cells"):
        wald_did(df[~((df["g"] == 1) & (df["t"] == 0))], outcome="y", group="g", post="t", treatment_take_up="d")
    rng = np.random.default_rng(0)
    weak = df.assign(d=(rng.random(len(df)) < 0.3).astype(float))
    with pytest.warns(IejImpactWarning, match="weak first stage"):
        wald_did(weak, outcome="y", group="g", post="t", treatment_take_up="d", unit="id")


def test_stack_arms_contamination_points_to_wald_did():
    parts = pd.DataFrame({"person_id": [1, 2]})
    comp = pd.DataFrame({"person_id": [2, 3]})
    with pytest.raises(ContaminationError, match="wald_did"):
        stack_arms(parts, comp)
