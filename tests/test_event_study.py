"""event_study(): dynamic TWFE against R estimatr on mpdta, binning, pre-trend test, plot, errors.

Reference: tests/reference/data/did_mpdta.json ("event_study"), from ``Rscript tests/reference/generate/did_mpdta.R``
(lm_robust with explicit event-time dummies, end points binned at -3 and 3, se_type = "stata").
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from iej_impact.diff_in_diff._event_study import EventStudyResult, event_study
from iej_impact.errors import DataError, SpecificationError
from iej_impact.inference import WaldTest

DATA = Path(__file__).parent / "reference" / "data"
REF = json.loads((DATA / "did_mpdta.json").read_text())["event_study"]


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    return pd.read_csv(DATA / "mpdta.csv")


def _fit(data: pd.DataFrame, **kw: object) -> EventStudyResult:
    return event_study(data, outcome="lemp", unit="countyreal", time="year", cohort="first.treat", never_treated=0,
                       **kw)


@pytest.mark.reference
def test_matches_r_lm_robust(mpdta: pd.DataFrame) -> None:
    res = _fit(mpdta, window=(-3, 3), small_sample="all")
    expected = pd.DataFrame(REF["terms"]).set_index("event_time")
    got = res.table.set_index("event_time").loc[expected.index]
    np.testing.assert_allclose(got["estimate"], expected["estimate"], atol=1e-10)
    np.testing.assert_allclose(got["std_error"], expected["std_error"], rtol=1e-8)
    assert res.pretrend.statistic == pytest.approx(REF["pretrend_wald"]["statistic"], rel=1e-8)
    assert res.pretrend.p_value == pytest.approx(REF["pretrend_wald"]["p_value"], rel=1e-8)
    assert res.pretrend.df == 2


def test_binning_and_reference_row(mpdta: pd.DataFrame) -> None:
    res = _fit(mpdta, window=(-2, 1))
    table = res.table
    assert table["event_time"].tolist() == [-2, -1, 0, 1]
    ref_row = table[table["event_time"] == -1].iloc[0]
    assert ref_row["estimate"] == 0 and np.isnan(ref_row["std_error"])
    # every treated observation sits in exactly one bin: -2 holds e <= -2, 1 holds e >= 1
    treated = mpdta[mpdta["first.treat"] > 0]
    e = treated["year"] - treated["first.treat"]
    assert table["n_obs"].tolist() == [int((e <= -2).sum()), int((e == -1).sum()), int((e == 0).sum()),
                                       int((e >= 1).sum())]
    assert "event_time" in res.to_frame().columns
    d = json.loads(json.dumps(res.to_dict()))
    assert {"event_time", "estimate", "std_error"} <= set(d["by"][0]) and d["pretrend_test"]["df"] == 1


def test_recovers_dynamic_effects_and_detects_pretrends() -> None:
    rng = np.random.default_rng(5)
    u, t = np.repeat(np.arange(400), 8), np.tile(np.arange(1, 9), 400)
    g = np.where(u < 200, 5.0, np.nan)
    e = t - g
    effect = np.where(e >= 0, 0.5 + 0.1 * np.nan_to_num(e), 0.0)
    y = rng.normal(size=400)[u] + 0.2 * t + effect + rng.normal(scale=0.1, size=len(u))
    frame = pd.DataFrame({"u": u, "t": t, "g": g, "y": y})
    res = event_study(frame, outcome="y", unit="u", time="t", cohort="g", window=(-3, 3))
    post = res.table[res.table["event_time"] >= 0].set_index("event_time")["estimate"]
    np.testing.assert_allclose(post.loc[[0, 1, 2]], [0.5, 0.6, 0.7], atol=0.03)
    assert res.pretrend.p_value > 0.001
    trend = frame.assign(y=frame["y"] + np.where(np.isnan(frame["g"]), 0.0, 0.3 * frame["t"]))
    bad = event_study(trend, outcome="y", unit="u", time="t", cohort="g", window=(-3, 3))
    assert bad.pretrend.p_value < 1e-6


def test_plot_and_summary(mpdta: pd.DataFrame) -> None:
    from matplotlib.axes import Axes

    res = _fit(mpdta, window=(-3, 3))
    ax = res.plot_event_study()
    assert isinstance(ax, Axes)
    assert "Leads and lags" in str(res) and "Wald" in str(res)


def test_wald_test_invalid_cases() -> None:
    assert not WaldTest.compute(np.array([]), np.zeros((0, 0)), "x").valid
    singular = WaldTest.compute(np.array([1.0, 1.0]), np.ones((2, 2)), "x")
    assert not singular.valid and "singular" in singular.describe()


def test_errors(mpdta: pd.DataFrame) -> None:
    with pytest.raises(SpecificationError, match="'window'"):
        _fit(mpdta, window=(1, 3))
    with pytest.raises(SpecificationError, match="'reference'"):
        _fit(mpdta, window=(-3, 3), reference=0)
    with pytest.raises(DataError, match="never_treated=0"):
        event_study(mpdta, outcome="lemp", unit="countyreal", time="year", cohort="first.treat")
    with pytest.raises(DataError, match="no treated observation at event time"):
        _fit(mpdta, window=(-6, 3))


def test_pretrend_leads_before_the_reference_by_default(mpdta: pd.DataFrame) -> None:
    res = _fit(mpdta, window=(-3, 3), reference=-2)  # e = -1 is an anticipation window: not tested
    assert res.pretrend.df == 1 and "[-3]" in res.pretrend.null
    assert _fit(mpdta, window=(-3, 3), reference=-2, pretrend_leads="all").pretrend.df == 2
    assert _fit(mpdta, window=(-3, 3), pretrend_leads=[-3]).pretrend.df == 1
    assert _fit(mpdta, window=(-3, 3)).pretrend.df == 2  # reference -1: every other lead, as before
    with pytest.raises(SpecificationError, match="'pretrend_leads'"):
        _fit(mpdta, window=(-3, 3), pretrend_leads=[-1])  # the reference itself
    with pytest.raises(SpecificationError, match="'pretrend_leads'"):
        _fit(mpdta, window=(-3, 3), pretrend_leads=[1])
