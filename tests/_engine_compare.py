"""Shared by the engine tests: the mpdta panel and comparisons of engine results with in-memory ones."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(__file__).parent / "reference" / "data"
RTOL, ATOL = 1e-10, 1e-12
AGG_OPTIONS = [("simple", {}), ("group", {}), ("dynamic", {}), ("calendar", {}),
               ("dynamic", {"min_e": -2, "max_e": 2}), ("dynamic", {"balance_e": 1}), ("simple", {"max_e": 1})]


def mpdta() -> pd.DataFrame:
    """The mpdta county panel (2003-2007, 500 counties) with a weight, a state and a treatment dummy."""
    frame = pd.read_csv(DATA / "mpdta.csv")
    frame["w"] = frame["lpop"]
    frame["state"] = frame["countyreal"] // 1000
    frame["d"] = ((frame["first.treat"] > 0) & (frame["year"] >= frame["first.treat"])).astype(int)
    frame["x"] = np.sin(frame["countyreal"] * 0.37 + frame["year"])
    return frame


def close(a: object, b: object) -> None:
    np.testing.assert_allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float), rtol=RTOL, atol=ATOL)


def assert_same_group_time(mem, eng) -> None:
    """Cells, their inference, the pre-trend test and every aggregation agree."""
    a, b = mem.table, eng.table
    for col in ("group", "time", "event_time", "base_period", "post", "n_treated", "n_control"):
        assert list(a[col]) == list(b[col]), col
    for col in ("estimate", "std_error", "p_value", "ci_lower", "ci_upper"):
        close(a[col], b[col])
    assert type(mem) is type(eng) and mem.inference.name == eng.inference.name
    assert mem.inference.to_dict() == eng.inference.to_dict()
    assert mem.estimand == eng.estimand and mem.n_units == eng.n_units
    close(mem.pretrend.statistic, eng.pretrend.statistic)
    assert mem.pretrend.df == eng.pretrend.df
    pd.testing.assert_frame_equal(mem.sample_sizes, eng.sample_sizes, check_dtype=False)
    for kind, opts in AGG_OPTIONS:
        x, y = mem.aggregate(kind, **opts), eng.aggregate(kind, **opts)
        close([x.estimate, x.std_error, *x.ci], [y.estimate, y.std_error, *y.ci])
        assert (x.n_treated, x.n_control, x.estimand) == (y.n_treated, y.n_control, y.estimand)
        if len(x.by):
            assert list(x.by.iloc[:, 0]) == list(y.by.iloc[:, 0])
            for col in ("estimate", "std_error", "ci_lower", "ci_upper", "n_obs"):
                close(x.by[col], y.by[col])
            close(x.by_vcov, y.by_vcov)
        if x.pretrend is not None and x.pretrend.valid:
            close(x.pretrend.statistic, y.pretrend.statistic)


def assert_same_twfe(mem, eng) -> None:
    close([mem.estimate, mem.std_error, *mem.ci, mem.p_value], [eng.estimate, eng.std_error, *eng.ci, eng.p_value])
    pd.testing.assert_frame_equal(mem.diagnostics["coefficients"], eng.diagnostics["coefficients"], rtol=RTOL)
    for key in ("n_clusters", "n_obs", "k_params"):
        assert mem.diagnostics[key] == eng.diagnostics[key], key
    close(mem.diagnostics["small_sample_factor"], eng.diagnostics["small_sample_factor"])
    pd.testing.assert_frame_equal(mem.diagnostics["negative_weights"], eng.diagnostics["negative_weights"],
                                  check_dtype=False, rtol=RTOL, atol=ATOL)
    pd.testing.assert_frame_equal(mem.sample_sizes, eng.sample_sizes, check_dtype=False)
    assert mem.inference.to_dict() == eng.inference.to_dict()
    assert (mem.n_treated, mem.n_control, mem.estimand) == (eng.n_treated, eng.n_control, eng.estimand)


def assert_same_event_study(mem, eng) -> None:
    """Table, covariance, pre-trend test, inference and sizes agree; the spec differs by the engine only."""
    a, b = mem.table, eng.table
    for col in ("event_time", "post", "n_obs"):
        assert list(a[col]) == list(b[col]), col
    for col in ("estimate", "std_error", "p_value", "ci_lower", "ci_upper"):
        close(a[col], b[col])
    pd.testing.assert_frame_equal(mem.vcov, eng.vcov, rtol=RTOL, atol=ATOL)
    close([mem.pretrend.statistic, mem.pretrend.p_value], [eng.pretrend.statistic, eng.pretrend.p_value])
    assert (mem.pretrend.df, mem.pretrend.null, mem.pretrend.valid) == (eng.pretrend.df, eng.pretrend.null, eng.pretrend.valid)
    pd.testing.assert_frame_equal(mem.to_frame(), eng.to_frame(), rtol=RTOL, atol=ATOL)
    assert mem.inference.to_dict() == eng.inference.to_dict()
    assert (mem.method, mem.estimand, mem.outcome, mem.window, mem.reference, mem.alpha, mem.n_units, mem.n_obs) == (
        eng.method, eng.estimand, eng.outcome, eng.window, eng.reference, eng.alpha, eng.n_units, eng.n_obs)
    assert {k: v for k, v in eng.spec.items() if k != "engine"} == dict(mem.spec)
