"""imputation_did() and sun_abraham() on mpdta against pyfixest 0.60.0.

Data: tests/reference/data/mpdta.csv (R ``did``: county teen employment ``lemp``, ``countyreal``, ``year``,
``first.treat`` with 0 for never treated). Numbers: tests/reference/data/event_study_pyfixest.json, written by
tests/reference/generate/event_study_pyfixest.py (pyfixest is not needed to run these tests).

* Imputation (Borusyak, Jaravel & Spiess): the point estimates equal Gardner's two-stage ``did2s`` (first
  stage on the untreated observations, second stage on the treatment indicators), overall and by horizon,
  to 1e-10. The standard errors differ by design: ``did2s`` reports Gardner's GMM variance, whose
  treated-observation residual is tau_it minus its horizon's coefficient; BJS's conservative variance
  subtracts the finer cohort x period average (their auxiliary model), so it is smaller where a horizon
  pools several cohorts (overall, h = 0, 1) and identical where a horizon has one cohort x period cell
  (h = 2, 3: both residuals are the same and both variances carry no small-sample factor).
* Sun & Abraham: the cohort x event-time coefficients and their CRV1 standard errors equal pyfixest's
  saturated event study to 1e-10, and the event-time averages with observation-share weights equal
  ``aggregate()``; pyfixest's standard errors take the shares as known, which is our
  ``std_error_fixed_shares`` (equal to 1e-10); our ``std_error`` adds the shares' estimation.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from iej_impact import imputation_did, sun_abraham

pytestmark = pytest.mark.reference

DATA = Path(__file__).parent / "data"
REF = json.loads((DATA / "event_study_pyfixest.json").read_text(encoding="utf-8"))
ARGS = dict(outcome="lemp", unit="countyreal", time="year", cohort="first.treat", never_treated=0)


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    return pd.read_csv(DATA / "mpdta.csv")


def test_imputation_point_estimates_equal_did2s(mpdta):
    res = imputation_did(mpdta, **ARGS)
    ref = REF["did2s"]
    assert res.estimate == pytest.approx(ref["overall"]["estimate"], abs=1e-10)
    post = res.by[res.by["post"]].set_index("event_time")
    assert sorted(post.index) == sorted(int(h) for h in ref["horizons"])
    for h, r in ref["horizons"].items():
        assert post.loc[int(h), "estimate"] == pytest.approx(r["estimate"], abs=1e-10)


def test_imputation_standard_errors_against_did2s(mpdta):
    res = imputation_did(mpdta, **ARGS)
    ref = REF["did2s"]
    post = res.by[res.by["post"]].set_index("event_time")
    for h in (2, 3):  # one cohort x period cell: the BJS and GMM residuals coincide
        assert post.loc[h, "std_error"] == pytest.approx(ref["horizons"][str(h)]["std_error"], rel=1e-8)
    for h in (0, 1):  # pooled cohorts: the cohort x period auxiliary model leaves smaller residuals
        assert post.loc[h, "std_error"] < ref["horizons"][str(h)]["std_error"]
        assert post.loc[h, "std_error"] == pytest.approx(ref["horizons"][str(h)]["std_error"], rel=0.02)
    assert res.std_error < ref["overall"]["std_error"]
    assert res.std_error == pytest.approx(ref["overall"]["std_error"], rel=0.03)
    # values of this implementation (BJS Theorem 3, cohort x period averages, clustered by county)
    assert res.std_error == pytest.approx(0.0132224887, abs=1e-9)


def test_sun_abraham_cohort_coefficients_equal_saturated_event_study(mpdta):
    res = sun_abraham(mpdta, **ARGS)
    detail = res.detail.set_index(["group", "event_time"])
    coefs = REF["saturated"]["coefficients"]
    assert len(detail) == len(coefs)
    for name, r in coefs.items():
        rel, cohort = re.fullmatch(r"rel_time::(.+):first_treated_period::(.+)", name).groups()
        row = detail.loc[(float(cohort), float(rel))]
        assert row["estimate"] == pytest.approx(r["estimate"], abs=1e-10)
        assert row["std_error"] == pytest.approx(r["std_error"], abs=1e-10)


def test_sun_abraham_event_time_averages_equal_aggregate(mpdta):
    res = sun_abraham(mpdta, **ARGS)
    by = res.by.set_index("event_time")
    agg = REF["saturated"]["aggregate"]
    for k, r in agg.items():
        assert by.loc[int(k), "estimate"] == pytest.approx(r["estimate"], abs=1e-10)
        assert by.loc[int(k), "std_error_fixed_shares"] == pytest.approx(r["std_error"], abs=1e-10)
        # accounting for the estimated shares changes little here
        assert by.loc[int(k), "std_error"] == pytest.approx(r["std_error"], rel=0.01)
    assert np.isnan(by.loc[-1, "std_error"]) and by.loc[-1, "estimate"] == 0
