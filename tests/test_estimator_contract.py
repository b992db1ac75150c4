"""One battery of checks run on every estimator a config can name (scikit-learn's estimator_checks spirit):
the input frame is not modified, results are deterministic and JSON-safe, and summaries render."""

from __future__ import annotations

import json
import warnings

import pandas as pd
import pytest

from iej_impact import simulate_cohort
from iej_impact.config import ESTIMATORS
from iej_impact.results import TIDY_COLUMNS

COVS = ["female", "age", "isced_0_2", "jobless_household", "qpv_resident"]


@pytest.fixture(scope="module")
def cohort():
    return simulate_cohort(600, seed=11, panel="window")


def _call(name, cohort):
    persons, panel = cohort.persons, cohort.panel
    pre_post = panel[panel["event_time"].isin([-6, 6])].assign(post=lambda f: (f["event_time"] > 0).astype(int))
    cases = {
        "difference_in_means": (persons, dict(outcome="employed_12m", treatment="treated")),
        "psm": (persons, dict(outcome="employed_12m", treatment="treated", covariates=COVS, random_state=1)),
        "regression_adjustment": (persons, dict(outcome="employed_12m", treatment="treated", covariates=COVS)),
        "ipw": (persons, dict(outcome="employed_12m", treatment="treated", covariates=COVS)),
        "doubly_robust": (persons, dict(outcome="employed_12m", treatment="treated", covariates=COVS)),
        "entropy_balancing": (persons, dict(outcome="employed_12m", treatment="treated", covariates=COVS)),
        "balance_table": (persons, dict(treatment="treated", covariates=COVS)),
        "programme_indicators": (cohort.participations, dict(operations=cohort.operations, missing_targets="report")),
        "did": (pre_post, dict(outcome="employed", treatment="treated", post="post", unit="person_id")),
        "wald_did": (pre_post.assign(take_up=lambda f: f["treated"] * f["post"]),
                     dict(outcome="employed", group="treated", post="post", treatment_take_up="take_up",
                          unit="person_id")),
        "matched_did": (pre_post, dict(outcome="employed", treatment="treated", post="post", unit="person_id",
                                       covariates=["female", "age"], random_state=1)),
        "twfe": (panel, dict(outcome="employed", unit="person_id", time="period", treatment="treated_post")),
        "event_study": (panel, dict(outcome="employed", unit="person_id", time="period", cohort="first_treat_period")),
        "att_gt": (panel, dict(outcome="employed", unit="person_id", time="period", cohort="first_treat_period",
                               control_group="not_yet_treated", anticipation=3)),
        "imputation_did": (panel, dict(outcome="employed", unit="person_id", time="period",
                                       cohort="first_treat_period", anticipation=3)),
        "sun_abraham": (panel, dict(outcome="employed", unit="person_id", time="period", cohort="first_treat_period",
                                    window=(-6, 12))),
        # the comparison youths' pseudo-entry period is period - event_time (the panel's event time is relative to it)
        "aligned_did": (panel.assign(pseudo_entry=lambda f: (f["period"] - f["event_time"]).where(f["treated"] == 0)),
                        dict(outcome="employed", unit="person_id", time="period", cohort="first_treat_period",
                             reference="pseudo_entry", treatment="treated", anticipation=3, window=(-6, 12))),
    }
    return cases[name]


def test_every_estimator_is_covered():
    assert set(ESTIMATORS) == {
        "difference_in_means", "psm", "regression_adjustment", "ipw", "doubly_robust", "entropy_balancing",
        "balance_table", "programme_indicators", "did", "wald_did", "matched_did", "twfe", "event_study", "att_gt", "aligned_did",
        "imputation_did", "sun_abraham"}


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_estimator_contract(name, cohort):
    data, kwargs = _call(name, cohort)
    before = data.copy(deep=True)
    fn = ESTIMATORS[name]
    with warnings.catch_warnings():  # warnings are tested per estimator; only the contract is checked here
        warnings.simplefilter("ignore")
        first = fn(data, **kwargs)
        second = fn(data, **kwargs)
    pd.testing.assert_frame_equal(data, before)  # input not mutated
    d1, d2 = first.to_dict(), second.to_dict()
    assert json.dumps(d1, allow_nan=False, sort_keys=True) == json.dumps(d2, allow_nan=False, sort_keys=True)
    assert isinstance(first.to_frame(), pd.DataFrame) and len(first.to_frame()) > 0
    assert str(first).strip()  # summary renders as text
    assert "<table" in first._repr_html_()
    if hasattr(first, "estimate") and hasattr(first, "inference"):
        assert list(first.to_frame().columns[: len(TIDY_COLUMNS)]) == TIDY_COLUMNS
        for key in ("estimand", "estimate", "std_error", "ci_lower", "ci_upper", "inference"):
            assert key in d1

