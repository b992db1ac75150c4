"""EffectResult and Summary: immutability, JSON safety, deterministic rendering."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from iej_impact.inference import Robust
from iej_impact.results import EffectResult, Summary, jsonable


def make(**over):
    kw = dict(method="m", estimand="ATT", outcome="y", estimate=0.1, std_error=0.02, ci=(0.06, 0.14), p_value=1e-6,
              inference=Robust(), n_treated=10, n_control=20)
    kw.update(over)
    return EffectResult(**kw)


def test_to_dict_is_json_safe_and_nan_becomes_null():
    r = make(std_error=float("nan"), ci=(float("nan"), float("nan")), p_value=float("nan"),
             sample_sizes=pd.DataFrame({"control": [20], "treated": [10]}, index=pd.Index(["all"], name="sample")),
             spec={"covariates": ("a", "b"), "x": np.int64(3)})
    d = r.to_dict()
    text = json.dumps(d, allow_nan=False)
    assert d["std_error"] is None and d["p_value"] is None
    assert d["sample_sizes"] == {"all": {"control": 20, "treated": 10}}
    assert d["spec"] == {"covariates": ["a", "b"], "x": 3}
    assert "NaN" not in text


def test_frozen_and_with_inference_returns_new():
    r = make()
    with pytest.raises(AttributeError):
        r.estimate = 1.0
    r2 = r.with_inference(std_error=0.05)
    assert r.std_error == 0.02 and r2.std_error == 0.05


def test_summary_is_deterministic_and_renders():
    s1, s2 = make().summary(), make().summary()
    assert s1.as_text() == s2.as_text()
    assert "ATT on y" in s1.as_text()
    assert "<table" in s1.as_html()
    assert s1.as_markdown().startswith("### m: ATT on y")
    s = Summary(title="<b>x</b>", tables=(("c", pd.DataFrame({"a": [1.23456789]})),))
    assert "&lt;b&gt;" in s.as_html()
    assert "1.2346" in s.as_text()


def test_jsonable_types():
    assert jsonable({"a": np.float32(1.5), "b": [np.inf, np.nan], "c": {1, 2}}) == {"a": 1.5, "b": [None, None], "c": [1, 2]}
    assert jsonable(pd.Timestamp("2014-01-01")) == "2014-01-01 00:00:00"
