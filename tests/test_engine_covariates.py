"""Group-time ATTs with covariates on the DuckDB engine path against the in-memory att_gt, to 1e-10.

The engine holds the unit table (cohort, weight, covariates) in memory and reads the outcomes in
chunks of units (iej_impact.engines._conditional); every cell, standard error, aggregation and
pre-trend test must equal the in-memory att_gt with the same covariates, for the outcome
regression ("reg"), doubly robust ("dr") and IPW 2x2 estimators, both comparison groups and base
periods, anticipation, weights and clustered standard errors, read from Parquet files or a data
frame. The rearranged 2x2 formulas (iej_impact.diff_in_diff._panel_linear) are checked against
panel_2x2 directly.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from _engine_compare import assert_same_group_time, mpdta
from iej_impact import att_gt
from iej_impact.diff_in_diff._panel_linear import evaluate, fit_linear
from iej_impact.diff_in_diff._two_by_two import _design, panel_2x2, pscore_fit
from iej_impact.errors import DataError, MissingDataWarning, OverlapWarning, PanelStructureError, SpecificationError

duckdb = pytest.importorskip("duckdb", reason="duckdb is not installed (pip install iej_impact[duckdb])")

from iej_impact.engines import _conditional, att_gt_engine  # noqa: E402

GT = {"outcome": "lemp", "unit": "countyreal", "time": "year", "cohort": "first.treat", "never_treated": 0,
      "covariates": ["lpop", "z"]}


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    """mpdta with a second time-invariant covariate z (lpop is time-invariant too)."""
    frame = mpdta()
    frame["z"] = np.sin(frame["countyreal"] * 0.37)
    return frame


@pytest.fixture(scope="module")
def parquet(panel: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("mpdta_cov")
    shuffled = panel.sample(frac=1.0, random_state=2)
    for j, rows in enumerate(np.array_split(np.arange(len(shuffled)), 3)):
        shuffled.iloc[rows].to_parquet(folder / f"part{j}.parquet", index=False)
    return str(folder / "*.parquet")


def _both(data: pd.DataFrame, source: object, chunk_units: int = 100_000, **kwargs: object) -> tuple[object, object]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingDataWarning)
        return att_gt(data, **kwargs), att_gt_engine(source, chunk_units=chunk_units, **kwargs)


@pytest.mark.parametrize("method", ["reg", "dr"])
@pytest.mark.parametrize("control_group", ["never_treated", "not_yet_treated"])
@pytest.mark.parametrize("base_period", ["varying", "universal"])
@pytest.mark.parametrize("weights", [None, "w"])
@pytest.mark.parametrize("anticipation", [0, 1])
def test_matches_in_memory_from_parquet(panel, parquet, method, control_group, base_period, weights,
                                        anticipation) -> None:
    mem, eng = _both(panel, parquet, **GT, method=method, control_group=control_group, base_period=base_period,
                     weights=weights, anticipation=anticipation)
    assert_same_group_time(mem, eng)
    assert eng.spec["covariates"] == ["lpop", "z"] and eng.spec["method"] == method
    assert eng.influence.shape[0] < 100 < mem.influence.shape[0]  # pseudo-rows, not the 500 units
    assert any("with covariates ['lpop', 'z']" in note for note in eng.notes)


@pytest.mark.parametrize("method", ["reg", "dr", "ipw"])
@pytest.mark.parametrize("control_group", ["never_treated", "not_yet_treated"])
def test_clustered_standard_errors_from_a_data_frame(panel, method, control_group) -> None:
    mem, eng = _both(panel, panel, **GT, method=method, control_group=control_group, weights="w",
                     se={"type": "clustered", "by": "state"})
    assert eng.inference.name == "clustered" and eng.influence.shape[0] == panel["state"].nunique()
    assert_same_group_time(mem, eng)


def test_ipw_and_covariates_differ_from_the_unconditional_did(panel, parquet) -> None:
    mem, eng = _both(panel, parquet, **GT, method="ipw")
    assert_same_group_time(mem, eng)
    plain = att_gt_engine(parquet, **{**GT, "covariates": []})
    assert np.nanmax(np.abs(plain.table["estimate"] - eng.table["estimate"])) > 1e-4


def _simulated(n: int = 5000) -> pd.DataFrame:
    rng = np.random.default_rng(11)
    unit = np.repeat(np.arange(n), 5)
    t = np.tile(np.arange(1, 6), n)
    x1, x2 = rng.normal(size=n), rng.integers(0, 3, size=n).astype(float)
    g = np.array([np.nan, 3.0, 4.0, 5.0])[rng.choice(4, size=n, p=[0.4, 0.2, 0.2, 0.2])]
    g[(x1 > 1.0) & (rng.random(n) < 0.5)] = 3.0  # selection on x1
    trend = 0.3 * x1 + 0.1 * x2
    y = rng.normal(size=n * 5) + trend[unit] * t + 0.5 * ((t >= g[unit]) & ~np.isnan(g[unit]))
    return pd.DataFrame({"id": unit, "t": t, "g": g[unit], "y": 10 + y, "x1": x1[unit], "x2": x2[unit],
                         "w": rng.uniform(0.5, 2.0, size=n)[unit], "region": (np.arange(n) % 37)[unit]})


@pytest.mark.parametrize("method", ["reg", "dr"])
def test_outcomes_are_read_in_chunks(tmp_path, monkeypatch, method) -> None:
    """5000 units read in chunks of 2048 (DuckDB's vector size) give the in-memory numbers; no chunk is larger."""
    data = _simulated()
    data.to_parquet(tmp_path / "p.parquet")
    sizes: list[int] = []
    real = _conditional.stream

    def recording(*args: object):
        for chunk in real(*args):
            sizes.append(len(chunk))
            yield chunk

    monkeypatch.setattr(_conditional, "stream", recording)
    kwargs = {"outcome": "y", "unit": "id", "time": "t", "cohort": "g", "covariates": ["x1", "x2"], "weights": "w",
              "method": method, "control_group": "not_yet_treated", "se": {"type": "clustered", "by": "region"}}
    mem, eng = _both(data, tmp_path / "p.parquet", chunk_units=2048, **kwargs)
    assert_same_group_time(mem, eng)
    assert sum(sizes) == 2 * 5000 and max(sizes) <= 2048 and len(sizes) >= 6  # two passes, 3 chunks each


def test_missing_covariates_drop_the_unit_or_are_refused(tmp_path) -> None:
    data = _simulated(600)
    data.loc[data.index[::53], "x1"] = np.nan
    data.to_parquet(tmp_path / "p.parquet")
    kwargs = {"outcome": "y", "unit": "id", "time": "t", "cohort": "g", "covariates": ["x1", "x2"]}
    with pytest.raises(PanelStructureError, match="unbalanced='drop'"), warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingDataWarning)
        att_gt_engine(tmp_path / "p.parquet", **kwargs)
    mem, eng = _both(data, tmp_path / "p.parquet", **kwargs, unbalanced="drop")
    assert eng.sample_sizes.loc["used", "units"] < 600
    assert_same_group_time(mem, eng)


def test_time_varying_or_constant_covariates_are_refused_by_name(panel, parquet) -> None:
    with pytest.raises(SpecificationError, match="covariate 'x' varies within 500 units.*time-invariant"):
        att_gt_engine(parquet, **{**GT, "covariates": ["lpop", "x"]})
    frame = panel.assign(one=1.0)
    with pytest.raises(DataError, match="covariate 'one' is constant") as info:
        att_gt_engine(frame, **{**GT, "covariates": ["one"]})
    assert info.value.column == "one"


def test_still_unsupported_options_raise(parquet) -> None:
    with pytest.raises(SpecificationError, match="bootstrap is not supported by the engine path"):
        att_gt_engine(parquet, **GT, se={"type": "bootstrap", "kind": "multiplier"})
    with pytest.raises(SpecificationError, match="repeated cross-sections"):
        att_gt_engine(parquet, **GT, panel=False)


def _drdid_panel(dy: np.ndarray, d: np.ndarray, x: np.ndarray, w: np.ndarray, method: str) -> tuple[np.ndarray, ...]:
    """DRDID::reg_did_panel / std_ipw_did_panel / drdid_panel line by line (the form panel_2x2 had before it
    was arranged as a linear map of dy), from the package's logit and least squares."""
    from iej_impact._mestimation import fit_wls

    w = w / w.mean()
    z = _design(x, w)

    def cm(v: np.ndarray) -> np.ndarray:
        return z.T @ v / len(v)

    names = ["a", "b"]
    if method == "reg":
        ols = fit_wls(z, dy, w * (1 - d), names=names, func="t", what="t")
        wt = w * d
        eta_t, eta_c = wt @ dy / wt.sum(), wt @ ols.fitted / wt.sum()
        inf_c = (wt[:, None] * (ols.fitted - eta_c) + ols.lin.project(cm(wt))) / wt.mean()
        return eta_t - eta_c, wt[:, None] * (dy - eta_t) / wt.mean() - inf_c
    ps = pscore_fit(x, d, w, 0.995, names=names)
    p, lin_ps = ps.p, ps.lin
    wt, wc = ps.keep * w * d, ps.keep * w * p * (1 - d) / (1 - p)
    if method == "ipw":
        eta_t, eta_c = wt @ dy / wt.sum(), wc @ dy / wc.sum()
        rc = wc[:, None] * (dy - eta_c)
        return eta_t - eta_c, wt[:, None] * (dy - eta_t) / wt.mean() - (rc + lin_ps.project(cm(rc))) / wc.mean()
    ols = fit_wls(z, dy, w * (1 - d), names=names, func="t", what="t")
    r = ols.resid
    eta_t, eta_c = wt @ r / wt.sum(), wc @ r / wc.sum()
    inf_t = (wt[:, None] * (r - eta_t) - ols.lin.project(cm(wt))) / wt.mean()
    rc = wc[:, None] * (r - eta_c)
    inf_c = (rc + lin_ps.project(cm(rc)) - ols.lin.project(cm(wc))) / wc.mean()
    return eta_t - eta_c, inf_t - inf_c


@pytest.mark.parametrize("method", ["reg", "ipw", "dr"])
def test_linear_form_equals_drdid_and_adds_up_over_chunks(method) -> None:
    """panel_2x2 (the linear form) equals DRDID's formulas to 1e-10, and the two passes over chunks of units
    (sums of H'dy, then psi per chunk) give the same ATT and influence function as all units at once."""
    rng = np.random.default_rng(3)
    n = 400
    x = np.column_stack([np.ones(n), rng.normal(size=n) * 100 + 5, rng.integers(0, 2, n)])
    d = (rng.random(n) < 1 / (1 + np.exp(-(x[:, 1] - 5) / 100 - 0.5 * x[:, 2]))).astype(float)
    w = rng.uniform(0.5, 2, n)
    dy = rng.normal(size=(n, 3)) + x[:, 1:2] * 0.01 + d[:, None]
    ref_att, ref_psi = _drdid_panel(dy, d, x, w, method)
    fit = panel_2x2(dy, d, x, w, method)
    np.testing.assert_allclose(fit.att, ref_att, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(fit.psi, ref_psi, rtol=1e-10, atol=1e-10)
    ps = None if method == "reg" else pscore_fit(x, d, w / w.mean(), 0.995)
    lin = fit_linear(x, d, w, method, ps=ps)
    chunks = np.array_split(rng.permutation(n), 7)
    s = sum(lin.sums(x[c], d[c], w[c], None if ps is None else lin.score[c]).T @ dy[c] for c in chunks)
    psi = np.zeros_like(dy)
    for c in chunks:
        psi[c] = lin.psi(x[c], d[c], w[c], None if ps is None else lin.score[c], dy[c], s)
    np.testing.assert_allclose(lin.att(s), ref_att, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(psi, ref_psi, rtol=1e-10, atol=1e-10)
    one, psi1 = evaluate(lin, x, d, w, dy[:, 0])
    assert one == pytest.approx(ref_att[0], abs=1e-12) and psi1.shape == (n,)


def test_the_notes_have_a_french_version(panel, parquet) -> None:
    from iej_impact.report._i18n_notes import translate_note

    eng = att_gt_engine(parquet, **GT, method="dr")
    design = next(n for n in eng.notes if n.startswith("Comparison group"))
    fr = translate_note(design, "fr")
    assert fr is not None and "avec les covariables" in fr and "table des unités" in fr, fr


@pytest.mark.parametrize("method", ["dr", "ipw"])
def test_a_separated_propensity_score_is_handled_as_in_memory(tmp_path, method) -> None:
    """A dummy that only never-treated units have predicts them perfectly (scores of 0): both paths warn, say so
    in the notes and give the same cells."""
    data = _simulated(800)
    data["only_never"] = (data["g"].isna() & (data["id"] % 5 == 0)).astype(float)
    data.to_parquet(tmp_path / "p.parquet")
    kwargs = {"outcome": "y", "unit": "id", "time": "t", "cohort": "g", "covariates": ["x1", "only_never"],
              "method": method}
    with pytest.warns(OverlapWarning, match="separation"):
        eng = att_gt_engine(tmp_path / "p.parquet", **kwargs)
    with pytest.warns(OverlapWarning, match="separation"):
        mem = att_gt(data, **kwargs)
    assert_same_group_time(mem, eng)
    assert any("propensity score is separated" in note for note in eng.notes)
    assert np.isfinite(eng.table["estimate"]).all()
