"""aligned_did (cohort-aligned DiD): each cell against an OLS DiD, the aggregates against a stacked OLS with
unit-clustered standard errors, invariances, a Monte Carlo with a known effect, and bad inputs.

Reference checks (statsmodels, no small-sample factor: ``use_correction=False``, as the influence
functions): on a balanced panel each ATT(g, t) is the interaction coefficient of ``y ~ D + P + D:P`` on
the two periods and two groups of the cell, with the same clustered standard error; the dynamic
aggregation is a fixed-weight combination of the coefficients of the stacked saturated regression (one
stack per cohort: its participants and aligned comparison units, unit and stack-period effects), whose
clustered variance plus the variance from estimating the cohort shares, sum_g n_g (ATT_g - ATT)^2 / N^2,
is the aggregate's variance exactly.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from iej_impact import AggregateResult, AlignedResult, GroupTimeResult, aligned_did, att_gt, did
from iej_impact.errors import DataError, MissingDataWarning, PanelStructureError, SpecificationError

COHORTS = (4, 5, 6)


def simulate(rng: np.random.Generator, *, n_treated: int = 300, n_comparison: int = 600, periods: int = 9,
             cohorts: tuple[int, ...] = COHORTS, pretrend: float = 0.0, rho: float = 0.5) -> pd.DataFrame:
    """A balanced panel: participants enter in a cohort g, comparison units have a reference period g.

    y = unit effect + time effect of the alignment group g (shared by both arms: parallel trends hold within
    g, not across g) + effect + AR(1) noise. The effect of cohort g at event time e >= 0 is
    (0.5 + 0.1 e) (1 + 0.3 (g - 5)); ``pretrend`` adds a linear pre-entry trend to the participants.
    """
    p = np.array([0.3, 0.45, 0.25])[: len(cohorts)] / np.array([0.3, 0.45, 0.25])[: len(cohorts)].sum()
    n = n_treated + n_comparison
    part = np.arange(n) < n_treated
    g = np.asarray(cohorts)[rng.choice(len(cohorts), size=n, p=p)].astype(float)
    t = np.arange(1, periods + 1)
    lam = np.cumsum(rng.normal(scale=0.3, size=(len(cohorts), periods)), axis=1)  # group-specific trends
    alpha = rng.normal(size=n) + 0.5 * part
    eps = np.empty((n, periods))
    eps[:, 0] = rng.normal(size=n)
    for s in range(1, periods):
        eps[:, s] = rho * eps[:, s - 1] + np.sqrt(1 - rho**2) * rng.normal(size=n)
    e = t[None, :] - g[:, None]
    effect = np.where(part[:, None] & (e >= 0), (0.5 + 0.1 * e) * (1 + 0.3 * (g[:, None] - 5)), 0.0)
    trend = np.where(part[:, None] & (e < 0), pretrend * e, 0.0)
    gi = np.searchsorted(np.asarray(cohorts), g)
    y = alpha[:, None] + lam[gi] + effect + trend + eps
    return pd.DataFrame({
        "id": np.repeat(np.arange(n), periods), "t": np.tile(t, n), "y": y.ravel(),
        "entry": np.repeat(np.where(part, g, np.nan), periods), "ref": np.repeat(np.where(part, np.nan, g), periods),
        "x": np.repeat(rng.normal(size=n) + 0.3 * part, periods), "cl": np.repeat(np.arange(n) % 40, periods),
    })


def true_dynamic(e: np.ndarray, cohorts: tuple[int, ...] = COHORTS) -> np.ndarray:
    """Population ATT by event time: cohort effects weighted by the cohorts' expected shares."""
    p = np.array([0.3, 0.45, 0.25])[: len(cohorts)]
    p = p / p.sum()
    return np.array([sum(pg * (0.5 + 0.1 * ev) * (1 + 0.3 * (g - 5)) for pg, g in zip(p, cohorts, strict=True))
                     if ev >= 0 else 0.0 for ev in e])


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return simulate(np.random.default_rng(2019), n_treated=120, n_comparison=180)


def _fit(data: pd.DataFrame, **kw: object) -> AlignedResult:
    return aligned_did(data, outcome="y", unit="id", time="t", cohort="entry", reference="ref", **kw)


def _ols(y: np.ndarray, x: np.ndarray, groups: np.ndarray) -> sm.regression.linear_model.RegressionResults:
    return sm.OLS(y, x).fit(cov_type="cluster", cov_kwds={"groups": groups, "use_correction": False})


# ----------------------------------------------------------------------------------------- reference checks


def test_each_cell_is_the_ols_did_of_its_two_periods_and_groups(panel: pd.DataFrame) -> None:
    res = _fit(panel)
    cells = res.table[res.table["std_error"].notna()]
    assert len(cells) == 3 * 8  # 9 periods per cohort, the base cell has no standard error
    for row in cells.itertuples():
        base = row.base_period
        sub = panel[((panel["entry"] == row.group) | (panel["ref"] == row.group)) & panel["t"].isin([row.time, base])]
        d = sub["entry"].notna().to_numpy(float)
        post = (sub["t"] == row.time).to_numpy(float)
        fit = _ols(sub["y"].to_numpy(), np.column_stack([np.ones(len(sub)), d, post, d * post]), sub["id"].to_numpy())
        assert row.estimate == pytest.approx(fit.params[3], abs=1e-12)
        assert row.std_error == pytest.approx(fit.bse[3], rel=1e-10)
        assert row.base_period == row.group - 1 and row.event_time == row.time - row.group
        assert (row.n_treated, row.n_control) == (int(d.sum() / 2), int((1 - d).sum() / 2))


def _stacked(panel: pd.DataFrame, window: tuple[int, int]) -> tuple[pd.DataFrame, np.ndarray]:
    """Coefficients of the stacked saturated regression (one stack per cohort, unit and stack-period effects,
    participant x period dummies but the base), their unit-clustered covariance, and the unit codes."""
    stack = panel.assign(g=panel["entry"].fillna(panel["ref"]), d=panel["entry"].notna().astype(float))
    stack = stack[(stack["t"] - stack["g"]).between(*window)].reset_index(drop=True)
    e = (stack["t"] - stack["g"]).astype(int)
    units = pd.get_dummies(stack["id"], dtype=float).to_numpy()
    cells = [(g, k) for g in COHORTS for k in range(window[0], window[1] + 1) if k != -1]
    stack_time = np.column_stack([((stack["g"] == g) & (e == k)).to_numpy(float) for g, k in cells])
    treat = np.column_stack([((stack["g"] == g) & (e == k)).to_numpy(float) * stack["d"].to_numpy() for g, k in cells])
    fit = _ols(stack["y"].to_numpy(), np.column_stack([units, stack_time, treat]), stack["id"].to_numpy())
    k = len(cells)
    coef = pd.DataFrame(cells, columns=["group", "event_time"]).assign(estimate=fit.params[-k:])
    return coef, np.asarray(fit.cov_params())[-k:, -k:]


def test_dynamic_aggregate_and_its_se_against_a_stacked_regression(panel: pd.DataFrame) -> None:
    window = (-3, 3)
    res = _fit(panel, window=window)
    dyn = res.aggregate("dynamic")
    coef, vcov = _stacked(panel, window)
    n_g = pd.Series(res.unit_cohort).value_counts().reindex(COHORTS).to_numpy(float)
    w = n_g / n_g.sum()
    by = dyn.by.set_index("event_time")
    post = coef["event_time"] >= 0
    for k in range(window[0], window[1] + 1):
        if k == -1:
            assert by.loc[k, "estimate"] == 0 and np.isnan(by.loc[k, "std_error"])  # the base, 0 by construction
            continue
        sel = np.flatnonzero(coef["event_time"] == k)
        a = coef["estimate"].to_numpy()[sel]
        theta = float(w @ a)
        share = float(np.sum(n_g * (a - theta) ** 2) / n_g.sum() ** 2)  # the estimated cohort shares
        assert by.loc[k, "estimate"] == pytest.approx(theta, abs=1e-12)
        assert by.loc[k, "std_error"] == pytest.approx(np.sqrt(w @ vcov[np.ix_(sel, sel)] @ w + share), rel=1e-9)
    # the overall post-entry average: the mean of the four post-entry event times
    c = np.zeros(len(coef))
    for j, g in enumerate(COHORTS):
        c[np.flatnonzero(post & (coef["group"] == g))] = w[j] / 4
    a_bar = np.array([coef.loc[post & (coef["group"] == g), "estimate"].mean() for g in COHORTS])
    overall = float(c @ coef["estimate"])
    assert dyn.estimate == pytest.approx(overall, abs=1e-12)
    share = float(np.sum(n_g * (a_bar - overall) ** 2) / n_g.sum() ** 2)
    assert dyn.std_error == pytest.approx(np.sqrt(c @ vcov @ c + share), rel=1e-9)


def test_single_cohort_aggregate_is_exactly_the_stacked_regression() -> None:
    """One cohort: the weights are fixed, so the clustered SE of the regression is the aggregate's SE."""
    data = simulate(np.random.default_rng(7), n_treated=80, n_comparison=120, cohorts=(5,))
    res = _fit(data, window=(-3, 3))
    dyn = res.aggregate("dynamic")
    coef, vcov = _single_stack(data, (-3, 3))
    post = np.flatnonzero(coef["event_time"] >= 0)
    c = np.zeros(len(coef))
    c[post] = 1 / len(post)
    assert dyn.estimate == pytest.approx(float(c @ coef["estimate"]), abs=1e-12)
    assert dyn.std_error == pytest.approx(float(np.sqrt(c @ vcov @ c)), rel=1e-10)
    simple = res.aggregate("simple")
    assert simple.estimate == pytest.approx(dyn.estimate, abs=1e-12)


def _single_stack(data: pd.DataFrame, window: tuple[int, int]) -> tuple[pd.DataFrame, np.ndarray]:
    """The cohort-5 stack: unit and period effects, participant x period dummies but the base (e = -1)."""
    sub = data[(data["t"] - 5).between(*window)].reset_index(drop=True)
    e = (sub["t"] - 5).astype(int)
    d = sub["entry"].notna().to_numpy(float)
    levels = [k for k in range(window[0], window[1] + 1) if k != -1]
    x = np.column_stack([pd.get_dummies(sub["id"], dtype=float).to_numpy()]
                        + [(e == k).to_numpy(float) for k in levels] + [(e == k).to_numpy(float) * d for k in levels])
    fit = _ols(sub["y"].to_numpy(), x, sub["id"].to_numpy())
    k = len(levels)
    return pd.DataFrame({"event_time": levels, "estimate": fit.params[-k:]}), np.asarray(fit.cov_params())[-k:, -k:]


def test_covariates_give_the_outcome_regression_did_of_each_cell(panel: pd.DataFrame) -> None:
    res = _fit(panel, covariates=["x"])
    row = res.table.query("group == 5 and time == 7").iloc[0]
    two = panel[((panel["entry"] == 5) | (panel["ref"] == 5)) & panel["t"].isin([4, 7])]
    ref = did(two.assign(d=two["entry"].notna().astype(int), post=(two["t"] == 7).astype(int)), outcome="y",
              treatment="d", post="post", unit="id", covariates=["x"], method="reg")
    assert row["estimate"] == pytest.approx(ref.estimate, abs=1e-12)
    assert row["std_error"] == pytest.approx(ref.std_error, rel=1e-9)
    assert "reg with covariates ['x']" in " ".join(res.notes)
    for method in ("dr", "ipw"):
        other = _fit(panel, covariates=["x"], method=method).table.query("group == 5 and time == 7").iloc[0]
        assert other["estimate"] == pytest.approx(row["estimate"], abs=0.1)


# ----------------------------------------------------------------------------------------- invariances


def test_one_cohort_with_every_comparison_unit_aligned_is_att_gt_with_a_universal_base() -> None:
    data = simulate(np.random.default_rng(3), n_treated=60, n_comparison=90, cohorts=(5,))
    res = _fit(data)
    cs = att_gt(data, outcome="y", unit="id", time="t", cohort="entry", method="reg", base_period="universal")
    cols = ["group", "time", "event_time", "base_period", "post", "estimate", "std_error", "n_treated"]
    pd.testing.assert_frame_equal(res.table[cols], cs.table[cols], check_dtype=False, atol=1e-12)
    assert res.aggregate("dynamic").std_error == pytest.approx(cs.aggregate("dynamic").std_error, rel=1e-12)
    assert res.pretrend.statistic == pytest.approx(cs.pretrend.statistic, rel=1e-10)


def test_one_column_for_everyone_with_treatment_gives_the_same_result(panel: pd.DataFrame) -> None:
    res = _fit(panel)
    both = panel.assign(pseudo_entry=panel["entry"].fillna(panel["ref"]), d=panel["entry"].notna().astype(int))
    same = aligned_did(both, outcome="y", unit="id", time="t", cohort="pseudo_entry", reference="pseudo_entry",
                       treatment="d")
    pd.testing.assert_frame_equal(res.table, same.table)
    with_d = _fit(both, treatment="d")
    pd.testing.assert_frame_equal(res.table, with_d.table)


def test_result_family_sizes_and_json(panel: pd.DataFrame) -> None:
    res = _fit(panel, window=(-3, 4))
    assert isinstance(res, GroupTimeResult) and res.method == "aligned_did" and res.spec["base_period"] == "universal"
    n_t, n_c = int(panel.drop_duplicates("id")["entry"].notna().sum()), int(panel.drop_duplicates("id")["ref"].notna().sum())
    assert (res.n_treated, res.n_control, res.n_units) == (n_t, n_c, n_t + n_c)
    assert res.sample_sizes.loc["total"].tolist() == [n_t, n_c]
    d = json.loads(json.dumps(res.to_dict(), allow_nan=False))
    assert d["method"] == "aligned_did" and d["n_treated"] == n_t and d["n_control"] == n_c
    assert d["inference_detail"] == {"type": "robust", "small_sample": "none"}
    assert res.table["event_time"].between(-3, 4).all()
    dyn = res.aggregate("dynamic")
    assert isinstance(dyn, AggregateResult) and (dyn.n_treated, dyn.n_control) == (n_t, n_c)
    assert dyn.reference_event_time == -1 and dyn.base_period == "universal"
    assert dyn.pretrend.df == 2  # leads -3 and -2; -1 is the base
    frame = dyn.to_frame()
    assert frame["term"].iloc[0] == "overall" and "event_time" in frame.columns
    assert "aligned_did, dynamic aggregation" in str(dyn) and "aligned_did: ATT(g,t)" in str(res)
    dd = json.loads(json.dumps(dyn.to_dict(), allow_nan=False))
    assert dd["spec"]["aligned_did"]["reference"] == "ref" and dd["pretrend_test"]["df"] == 2


def test_anticipation_moves_the_base_and_the_tested_leads(panel: pd.DataFrame) -> None:
    res = _fit(panel, anticipation=1)
    assert (res.table["base_period"] == res.table["group"] - 2).all()
    base = res.table[res.table["event_time"] == -2]
    assert (base["estimate"] == 0).all() and base["std_error"].isna().all()
    assert res.pretrend.df == int((res.table["event_time"] < -2).sum())
    assert res.pretrend_test("all").df == res.pretrend.df + 3  # the anticipation window e = -1, three cohorts
    assert res.aggregate("dynamic").reference_event_time == -2


def test_pretrend_detects_a_violation() -> None:
    data = simulate(np.random.default_rng(11), pretrend=0.4)
    res = _fit(data)
    assert res.pretrend.valid and res.pretrend.p_value < 1e-6
    assert res.aggregate("dynamic").pretrend.p_value < 1e-6


def test_clustered_and_bootstrap_inference(panel: pd.DataFrame) -> None:
    clustered = _fit(panel, se={"type": "clustered", "by": "cl"})
    assert clustered.inference.to_dict()["small_sample"] == "G/(G-1)"
    assert np.isfinite(clustered.aggregate("dynamic").std_error)
    boot = _fit(panel, se={"type": "bootstrap", "reps": 199, "random_state": 1})
    dyn = boot.aggregate("dynamic")
    assert np.isfinite(dyn.critical_value) and dyn.std_error == pytest.approx(
        _fit(panel).aggregate("dynamic").std_error, rel=0.2)


def test_unobserved_periods_each_cell_uses_the_units_observed_in_both(panel: pd.DataFrame) -> None:
    rng = np.random.default_rng(5)
    holes = panel[rng.random(len(panel)) > 0.1]  # 10 % of the rows missing
    res = _fit(holes, window=(-2, 2))
    row = res.table.query("group == 6 and time == 7").iloc[0]
    sub = holes[((holes["entry"] == 6) | (holes["ref"] == 6)) & holes["t"].isin([5, 7])]
    sub = sub[sub.groupby("id")["t"].transform("size") == 2]
    d = sub["entry"].notna().to_numpy(float)
    post = (sub["t"] == 7).to_numpy(float)
    fit = _ols(sub["y"].to_numpy(), np.column_stack([np.ones(len(sub)), d, post, d * post]), sub["id"].to_numpy())
    assert row["estimate"] == pytest.approx(fit.params[3], abs=1e-12)
    # influence functions are scaled to every unit of the sample, so the SE is the OLS one
    assert row["std_error"] == pytest.approx(fit.bse[3], rel=1e-10)


def test_weights_equal_to_one_change_nothing(panel: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(_fit(panel).table, _fit(panel.assign(w=1.0), weights="w").table)


# ----------------------------------------------------------------------------------------- Monte Carlo


def _replicate(seed: int, **kw: object) -> tuple[float, float, float, float, float]:
    data = simulate(np.random.default_rng(seed), **kw)
    dyn = _fit(data, window=(-3, 3)).aggregate("dynamic")
    at2 = dyn.by.set_index("event_time").loc[2]
    return dyn.estimate, dyn.std_error, float(at2["estimate"]), float(at2["std_error"]), dyn.pretrend.p_value


def test_recovers_the_effect_in_one_large_sample() -> None:
    est, se, e2, se2, _ = _replicate(1, n_treated=3000, n_comparison=6000)
    truth = true_dynamic(np.arange(4)).mean()
    assert abs(est - truth) < 3 * se and se < 0.05
    assert abs(e2 - true_dynamic(np.array([2]))[0]) < 3 * se2


@pytest.mark.slow
def test_monte_carlo_bias_and_coverage() -> None:
    """500 replications: group-specific trends (a pooled comparison would be biased), cohort-specific effects,
    random cohort sizes, AR(1) errors. Bias of the overall and e = 2 effects within 3 Monte Carlo SEs of 0 and
    under 0.02; 95 % CI coverage in [0.92, 0.98]; the pre-trend test rejects about 5 %."""
    reps = np.array([_replicate(seed) for seed in range(500)])
    for (est, se), truth in ((reps[:, :2].T, true_dynamic(np.arange(4)).mean()),
                             (reps[:, 2:4].T, true_dynamic(np.array([2]))[0])):
        bias = est.mean() - truth
        assert abs(bias) < 3 * est.std() / np.sqrt(len(est)) and abs(bias) < 0.02
        assert se.mean() == pytest.approx(est.std(), rel=0.1)
        coverage = np.mean(np.abs(est - truth) <= 1.959964 * se)
        assert 0.92 <= coverage <= 0.98, coverage
    assert 0.02 <= np.mean(reps[:, 4] < 0.05) <= 0.09


# ----------------------------------------------------------------------------------------- bad inputs


def test_missing_reference_column(panel: pd.DataFrame) -> None:
    with pytest.raises(DataError, match="'pseudo'"):
        aligned_did(panel, outcome="y", unit="id", time="t", cohort="entry", reference="pseudo")


def test_a_participant_with_a_reference_period(panel: pd.DataFrame) -> None:
    bad = panel.copy()
    bad.loc[bad["id"] == 0, "ref"] = bad.loc[bad["id"] == 0, "entry"]
    with pytest.raises(DataError, match=r"participants \('entry' given\) with a reference period in 'ref'") as info:
        _fit(bad)
    assert "pass it as both cohort and reference with treatment=" in str(info.value)
    with pytest.raises(DataError, match=r"participants \('d' = 1\) with a reference period"):
        _fit(bad.assign(d=bad["entry"].notna().astype(int)), treatment="d")


def test_comparison_units_without_reference_or_with_an_entry(panel: pd.DataFrame) -> None:
    bad = panel.copy()
    comp = bad["ref"].notna()
    bad.loc[comp & (bad["id"] % 7 == 0), "ref"] = np.nan
    with pytest.raises(DataError, match="comparison units without a reference period in 'ref'"):
        _fit(bad)
    entry = panel.assign(d=panel["entry"].notna().astype(int), entry=panel["entry"].fillna(5.0))
    with pytest.raises(DataError, match=r"comparison units \('d' = 0\) with an entry period in 'entry'"):
        _fit(entry, treatment="d")
    with pytest.raises(SpecificationError, match="pass treatment="):
        aligned_did(panel, outcome="y", unit="id", time="t", cohort="entry", reference="entry")
    with pytest.raises(DataError, match="must be 1 \\(participant\\) or 0"):
        _fit(panel.assign(d=2), treatment="d")


def test_a_cohort_without_aligned_comparison_units_is_dropped_with_a_note(panel: pd.DataFrame) -> None:
    no6 = panel[~(panel["ref"] == 6)]
    with pytest.warns(MissingDataWarning, match=r"1 entry cohort\(s\) have no comparison unit .* cohorts \[6\]"):
        res = _fit(no6)
    assert sorted(res.table["group"].unique()) == [4, 5]
    assert any("cohorts [6]" in note for note in res.notes)
    assert res.n_treated == int(no6.drop_duplicates("id")["entry"].isin([4, 5]).sum())
    lonely = panel.assign(ref=panel["ref"] + 10)  # references 14-16: no cohort
    with pytest.raises(PanelStructureError, match="no comparison unit's reference period"):
        _fit(lonely)
    unused = pd.concat([panel, panel[panel["ref"] == 4].assign(id=lambda f: f["id"] + 10_000, ref=8.0)])
    res = _fit(unused)
    assert any("whose reference period is no participant's entry period are not used" in note for note in res.notes)
    assert res.n_control == int(panel.drop_duplicates("id")["ref"].notna().sum())


def test_periods_varying_within_unit_and_bad_arguments(panel: pd.DataFrame) -> None:
    bad = panel.copy()
    bad.loc[(bad["id"] == 200) & (bad["t"] == 3), "ref"] = 5.0 if bad.loc[bad["id"] == 200, "ref"].iloc[0] != 5 else 4.0
    with pytest.raises(PanelStructureError, match="varies within 1 unit"):
        _fit(bad)
    with pytest.raises(DataError, match="must hold periods"):
        _fit(panel.assign(ref=panel["ref"].map(lambda v: "x" if v == 4 else v)))
    for window in ((2, -1), (-3, -1), (1.5, 3), "(-3, 3)"):
        with pytest.raises(SpecificationError, match="'window'"):
            _fit(panel, window=window)
    with pytest.raises(SpecificationError, match="'method'"):
        _fit(panel, method="ols")
    with pytest.raises(SpecificationError, match="'pretrend_leads'"):
        _fit(panel, pretrend_leads=[1])


def test_cells_without_a_comparison_unit_are_left_missing_with_a_warning(panel: pd.DataFrame) -> None:
    holes = panel[~((panel["ref"] == 5) & (panel["t"] == 9))]
    with pytest.warns(MissingDataWarning, match=r"ATT\(5,9\): no treated or no comparison unit"):
        res = _fit(holes)
    assert np.isnan(res.table.query("group == 5 and time == 9")["estimate"].iloc[0])
    assert np.isfinite(res.aggregate("dynamic").estimate)


def test_no_cell_in_the_window_is_an_estimation_error(panel: pd.DataFrame) -> None:
    from iej_impact.errors import EstimationError

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(EstimationError, match="no cohort-time cell"):
            _fit(panel, window=(10, 12))
