"""Separation is diagnosed from the data, not from how the Newton iterations happened to stop.

Each design separates in a different way (or nearly, without separating). For logit and probit
the OverlapWarning must fire with the right counts, and the diagnosis must be the same when the
rows are shuffled, when the covariates are rescaled by 1e3 and when Newton is stopped early.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from iej_impact import att_gt, did
from iej_impact._mestimation import fit_binary
from iej_impact._separation import column_separation, diagnose, perfectly_predicted
from iej_impact.diff_in_diff._two_by_two import pscore_fit
from iej_impact.errors import OverlapWarning
from iej_impact.observational._propensity import SCORE_EPS, propensity_score

MODELS = ["logit", "probit"]


def _base(n: int = 600, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x2 = rng.normal(size=n)
    b = (rng.random(n) < 0.3).astype(float)
    d = (rng.random(n) < 1 / (1 + np.exp(-(0.5 * x1 - 0.3 * x2)))).astype(int)
    return pd.DataFrame({"person_id": [f"P{i:04d}" for i in range(n)], "x1": x1, "x2": x2, "b": b, "d": d})


def _binary_constant_in_treated() -> tuple[pd.DataFrame, list[str], dict]:
    df = _base()
    df.loc[df["d"] == 1, "b"] = 0.0  # every unit with b = 1 is a control
    k = int((df["b"] == 1).sum())
    return df, ["x1", "x2", "b"], {"kind": "quasi-complete", "n_treated": 0, "n_control": k, "columns": ["b"]}


def _binary_constant_in_control() -> tuple[pd.DataFrame, list[str], dict]:
    df = _base()
    df.loc[df["d"] == 0, "b"] = 1.0  # every unit with b = 0 is treated
    k = int((df["b"] == 0).sum())
    return df, ["x1", "x2", "b"], {"kind": "quasi-complete", "n_treated": k, "n_control": 0, "columns": ["b"]}


def _category_in_one_arm() -> tuple[pd.DataFrame, list[str], dict]:
    df = _base()
    df["region"] = np.where(df["x2"] > 0.5, "north", "south")
    df.loc[(df["d"] == 1) & (df["x1"] > 1.0), "region"] = "west"  # a category observed among treated only
    k = int((df["region"] == "west").sum())
    return df, ["x1", "region"], {"kind": "quasi-complete", "n_treated": k, "n_control": 0,
                                  "columns": ["region[west]"]}


def _reference_category_in_one_arm() -> tuple[pd.DataFrame, list[str], dict]:
    """The reference level (first sorted, no dummy of its own) in one arm: the dummies of the other levels
    separate together."""
    df = _base()
    df["region"] = np.where(df["x2"] > 0.5, "north", "south")
    df.loc[(df["d"] == 0) & (df["x1"] < -1.0), "region"] = "east"  # observed among controls only
    k = int((df["region"] == "east").sum())
    return df, ["x1", "region"], {"kind": "quasi-complete", "n_treated": 0, "n_control": k,
                                  "columns": ["region[north]", "region[south]"]}


def _threshold_complete() -> tuple[pd.DataFrame, list[str], dict]:
    df = _base()
    df["d"] = (df["x1"] > 0.2).astype(int)
    n1 = int(df["d"].sum())
    return df, ["x1", "x2"], {"kind": "complete", "n_treated": n1, "n_control": len(df) - n1, "columns": ["x1"]}


def _linear_combination() -> tuple[pd.DataFrame, list[str], dict]:
    """x1 + x2 > 3: treated; < 3: control; = 3: either. No single column separates."""
    rng = np.random.default_rng(11)
    n = 500
    x1 = rng.integers(0, 4, n).astype(float)
    x2 = rng.integers(0, 4, n).astype(float)
    s = x1 + x2
    d = np.where(s > 3, 1, np.where(s < 3, 0, (rng.random(n) < 0.5).astype(int)))
    df = pd.DataFrame({"x1": x1, "x2": x2, "x3": rng.normal(size=n), "d": d})
    return df, ["x1", "x2", "x3"], {"kind": "quasi-complete", "n_treated": int((s > 3).sum()),
                                    "n_control": int((s < 3).sum()), "columns": ["x1", "x2"]}


SEPARATED = {
    "binary_constant_in_treated": _binary_constant_in_treated,
    "binary_constant_in_control": _binary_constant_in_control,
    "category_in_one_arm": _category_in_one_arm,
    "reference_category_in_one_arm": _reference_category_in_one_arm,
    "threshold_complete": _threshold_complete,
    "linear_combination": _linear_combination,
}


def _fit(df: pd.DataFrame, covs: list[str], model: str, **kw) -> tuple:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ps = propensity_score(df, treatment="d", covariates=covs, model=model, **kw)
    overlap = [str(w.message) for w in caught if issubclass(w.category, OverlapWarning)]
    return ps, overlap


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("case", list(SEPARATED))
def test_separation_warns_with_counts(case, model):
    df, covs, want = SEPARATED[case]()
    ps, msgs = _fit(df, covs, model)
    sep = ps.separation
    assert sep is not None and len(msgs) == 1
    assert {k: sep[k] for k in want} == want
    assert sep["n_units"] == want["n_treated"] + want["n_control"] and sep["n_obs"] == len(df)
    n1, n0 = want["n_treated"], want["n_control"]
    assert f"{n1 + n0} units have scores of 0 or 1 to machine precision ({n0} at 0, {n1} at 1; {n1} treated, " \
           f"{n0} control" in msgs[0]
    assert f"({want['kind']} separation)" in msgs[0]
    assert not ps.converged
    # the perfectly predicted units have scores of 0 (controls) / 1 (treated); the others do not
    mask = ps.perfectly_predicted
    d = df["d"].to_numpy() == 1
    assert int(mask.sum()) == n1 + n0
    assert np.all(ps.scores[mask & d] > 1 - 1e-12) and np.all(ps.scores[mask & ~d] < 1e-12)
    assert np.all(ps.scores[mask & d] < 1) and np.all(ps.scores[mask & ~d] > 0)  # finite odds
    if want["kind"] == "quasi-complete":
        rest = ps.scores[~mask]
        assert np.all((rest > SCORE_EPS) & (rest < 1 - SCORE_EPS))
    # coefficients diverge but stay finite and bounded (no -2e16)
    assert np.all(np.isfinite(ps.params)) and np.max(np.abs(ps.params)) < 1e5
    assert ps.to_dict()["separation"] == sep


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("case", list(SEPARATED))
def test_diagnosis_does_not_depend_on_row_order_scale_or_stopping(case, model):
    df, covs, _ = SEPARATED[case]()
    ps, msgs = _fit(df, covs, model)
    # rows shuffled
    order = np.random.default_rng(5).permutation(len(df))
    shuffled = df.iloc[order]
    ps_s, msgs_s = _fit(shuffled, covs, model)
    assert ps_s.separation == ps.separation and len(msgs_s) == 1
    np.testing.assert_array_equal(ps_s.perfectly_predicted, ps.perfectly_predicted[order])
    np.testing.assert_allclose(ps_s.scores, ps.scores[order], rtol=1e-6, atol=1e-12)
    # numeric covariates rescaled by 1e3 (the descriptions quote the new values; the rest is identical)
    scaled = df.copy()
    for c in covs:
        if pd.api.types.is_numeric_dtype(scaled[c]):
            scaled[c] = scaled[c] * 1e3
    ps_r, msgs_r = _fit(scaled, covs, model)
    strip = {k: v for k, v in ps.separation.items() if k != "causes"}
    assert {k: v for k, v in ps_r.separation.items() if k != "causes"} == strip and len(msgs_r) == 1
    np.testing.assert_array_equal(ps_r.perfectly_predicted, ps.perfectly_predicted)
    np.testing.assert_allclose(ps_r.scores, ps.scores, rtol=1e-6, atol=1e-12)
    # Newton stopped after 2 or 5 iterations: the same diagnosis
    for it in (2, 5):
        ps_i, msgs_i = _fit(df, covs, model, max_iter=it)
        assert ps_i.separation == ps.separation and len(msgs_i) == 1
        np.testing.assert_array_equal(ps_i.perfectly_predicted, ps.perfectly_predicted)


@pytest.mark.parametrize("model", MODELS)
def test_near_separation_is_not_separation(model):
    """A threshold of x1 splits the arms except for one control above it: the MLE exists, no warning."""
    df = _base()
    df["d"] = (df["x1"] > 0.2).astype(int)
    df.loc[df["x1"].idxmax(), "d"] = 0
    df.loc[df["x1"].idxmin(), "d"] = 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ps = propensity_score(df, treatment="d", covariates=["x1", "x2"], model=model)
    assert ps.separation is None and ps.converged and not ps.perfectly_predicted.any()
    assert ps.warnings == ()


def test_the_newest_releases_case_a_covariate_constant_within_the_treated_arm():
    """The case that "converged" with a coefficient of -2.2e16 and no warning (numpy 2.4 / scipy 1.17)."""
    from _stacked import simulate

    df = simulate(800, seed=7)
    df.loc[df["d"] == 1, "x2"] = 0.0
    k = int((df["x2"] == 1).sum())
    with pytest.warns(OverlapWarning, match=rf"all {k} units with 'x2' = 1 are control"):
        ps = propensity_score(df, treatment="d", covariates=["x1", "x2", "region"])
    assert ps.separation["n_control"] == k and ps.separation["n_treated"] == 0
    assert abs(ps.params["x2"]) < 1e5


# ------------------------------------------------------------------------------------------ the building blocks
def test_column_separation_and_the_linear_program_agree():
    df, covs, want = _linear_combination()
    x = df[covs].to_numpy()
    d = df["d"].to_numpy()
    w = np.ones(len(df))
    assert column_separation(x, d, w, covs) == []
    mask, direction = perfectly_predicted(x, d, w)
    assert int(mask.sum()) == want["n_treated"] + want["n_control"]
    assert direction is not None and abs(direction[3]) < 1e-9
    # on the raw scale the direction is x1 + x2 (the columns were standardised)
    sd = x.std(axis=0)
    assert direction[1] / sd[0] == pytest.approx(direction[2] / sd[1], rel=1e-6)
    # rows with zero weight are never marked and do not count
    w0 = w.copy()
    w0[:10] = 0.0
    mask0, _ = perfectly_predicted(x, d, w0)
    assert not mask0[:10].any()
    # no symptom (a converged fit with moderate scores and coefficients): the linear program is skipped
    diag, m = diagnose(x[:, [2]], d, w, names=["x3"], prob=np.full(len(d), 0.5), scaled_coef=np.array([0.1]))
    assert diag is None and not m.any()


def test_newton_steps_are_capped_on_separated_data():
    df, _, _ = _binary_constant_in_treated()
    x = np.column_stack([np.ones(len(df)), df[["x1", "x2", "b"]].to_numpy()])
    d = df["d"].to_numpy().astype(float)
    z = np.column_stack([np.ones(len(df)), (x[:, 1:] - x[:, 1:].mean(axis=0)) / x[:, 1:].std(axis=0)])
    fit = fit_binary(z, d, np.ones(len(d)), link="logit", func="test", what="logit", names=["x1", "x2", "b"])
    assert np.all(np.isfinite(fit.params)) and np.max(np.abs(fit.params)) < 1e4
    ps = pscore_fit(x, d, np.ones(len(d)), 0.995, names=["x1", "x2", "b"])
    assert not ps.converged and ps.separation["columns"] == ["b"]
    assert ps.separation["n_control"] == int((df["b"] == 1).sum())


# ------------------------------------------------------------------------------------------ DiD
def _did_panel(seed: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 400
    x = rng.normal(size=n)
    d = (rng.random(n) < 1 / (1 + np.exp(-0.5 * x))).astype(int)
    b = np.where(d == 0, (rng.random(n) < 0.25).astype(float), 0.0)  # b = 1 only among comparison units
    y0 = x + rng.normal(size=n)
    y1 = y0 + 0.5 + 0.3 * x + 1.0 * d + rng.normal(size=n)
    ids = np.arange(n)
    return pd.DataFrame({"id": np.r_[ids, ids], "x": np.r_[x, x], "b": np.r_[b, b], "d": np.r_[d, d],
                         "p": np.r_[np.zeros(n), np.ones(n)].astype(int), "y": np.r_[y0, y1]})


@pytest.mark.parametrize(("method", "unit"), [("ipw", "id"), ("ipw", None), ("dr", "id")])
def test_did_propensity_separation_warns_with_counts(method, unit):
    """(DR on repeated cross-sections also fits the outcome on the treated, where 'b' is constant: an error.)"""
    df = _did_panel()
    k_units = int(((df["b"] == 1) & (df["p"] == 0)).sum())
    k = k_units if unit else 2 * k_units  # repeated cross-sections count rows
    with pytest.warns(OverlapWarning, match=rf"{k} of \d+ units \(0 treated, {k} control\) are perfectly predicted "
                                            r"\(quasi-complete separation; all \d+ units with 'b' = 1 are control"):
        res = did(df, outcome="y", treatment="d", post="p", unit=unit, covariates=["x", "b"], method=method)
    sep = res.diagnostics["propensity_separation"]
    assert sep["n_control"] == k and sep["n_treated"] == 0 and sep["columns"] == ["b"]
    assert res.diagnostics["propensity_converged"] is False
    assert np.isfinite(res.estimate) and np.isfinite(res.std_error)
    if method == "dr":
        return
    # IPW: the perfectly predicted comparison units get no weight, so the estimate is the one without them
    kept = df[df["b"] == 0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ref = did(kept, outcome="y", treatment="d", post="p", unit=unit, covariates=["x"], method=method)
    assert res.estimate == pytest.approx(ref.estimate, abs=1e-6)


def test_did_without_separation_has_no_diagnosis():
    df = _did_panel()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = did(df, outcome="y", treatment="d", post="p", unit="id", covariates=["x"], method="dr")
    assert res.diagnostics["propensity_separation"] is None


def test_att_gt_with_separated_cells_warns_with_counts():
    rng = np.random.default_rng(8)
    n, periods = 300, [1, 2, 3, 4]
    cohort = rng.choice([3.0, 4.0, np.nan], size=n, p=[0.3, 0.3, 0.4])
    x = rng.normal(size=n)
    b = np.where(np.isnan(cohort), (rng.random(n) < 0.3).astype(float), 0.0)  # b = 1 only among never-treated
    rows = []
    for i in range(n):
        for t in periods:
            treated = not np.isnan(cohort[i]) and t >= cohort[i]
            rows.append({"id": i, "t": t, "g": cohort[i], "x": x[i], "b": b[i],
                         "y": x[i] + 0.2 * t + (1.0 if treated else 0.0) + rng.normal()})
    df = pd.DataFrame(rows)
    k = int(b.sum())
    with pytest.warns(OverlapWarning, match=rf"no maximum-likelihood estimate in \d+ group-time cells.*"
                                            rf"{k} of \d+ units \(0 treated, {k} control\) are perfectly predicted"):
        res = att_gt(df, outcome="y", unit="id", time="t", cohort="g", covariates=["x", "b"], method="dr")
    assert np.isfinite(res.table["estimate"]).all()
    assert any("separated" in note for note in res.notes)
