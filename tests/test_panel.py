"""Panel checks and cohort derivation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from iej_impact.data._panel import check_design, check_panel, cohort_from_treatment, period_from_dates
from iej_impact.errors import DataError, PanelStructureError


@pytest.fixture
def panel() -> pd.DataFrame:
    return pd.DataFrame({
        "person_id": ["P1"] * 3 + ["P2"] * 3 + ["C1"] * 3,
        "period": [1, 2, 3] * 3,
        "d": [0, 1, 1, 0, 0, 1, 0, 0, 0],
        "g": [2, 2, 2, 3, 3, 3, np.nan, np.nan, np.nan],
    })


def test_valid_panel_passes(panel: pd.DataFrame) -> None:
    check_panel(panel, unit="person_id", time="period", cohort="g")


def test_duplicates_name_the_unit(panel: pd.DataFrame) -> None:
    with pytest.raises(PanelStructureError, match=r"2 rows share a \(person_id, period\) pair.*P2") as exc:
        check_panel(pd.concat([panel, panel.iloc[[4]]]), unit="person_id", time="period")
    assert exc.value.rows == ("P2",) and exc.value.column == "period"


def test_cohort_varying_within_unit(panel: pd.DataFrame) -> None:
    bad = panel.copy()
    bad.loc[7, "g"] = 3  # C1 is never treated in two rows, treated in one
    with pytest.raises(PanelStructureError, match="varies within 1 unit.*C1"):
        check_panel(bad, unit="person_id", time="period", cohort="g")


def test_missing_ids_are_data_errors(panel: pd.DataFrame) -> None:
    bad = panel.copy()
    bad.loc[0, "person_id"] = None
    with pytest.raises(DataError, match="'person_id' is missing in 1 row"):
        check_panel(bad, unit="person_id", time="period")


def test_design_checks() -> None:
    periods = np.array([1.0, 2.0, 3.0])
    units = np.array(["A", "B", "C"])
    with pytest.raises(PanelStructureError, match="no cohort has a pre-treatment period.*A"):
        check_design(np.array([1.0, 1.0, np.nan]), periods, control_group="never_treated", anticipation=0,
                     units=units, func="f", cohort="g")
    with pytest.raises(PanelStructureError, match="no never-treated unit.*not_yet_treated"):
        check_design(np.array([2.0, 3.0, 3.0]), periods, control_group="never_treated", anticipation=0,
                     units=units, func="f", cohort="g")
    with pytest.raises(PanelStructureError, match="no comparison group"):
        check_design(np.array([2.0, 2.0, 2.0]), periods, control_group="not_yet_treated", anticipation=0,
                     units=units, func="f", cohort="g")
    with pytest.raises(PanelStructureError, match="missing for every unit"):
        check_design(np.full(3, np.nan), periods, control_group="never_treated", anticipation=0, units=units,
                     func="f", cohort="g")
    check_design(np.array([2.0, 3.0, 3.0]), periods, control_group="not_yet_treated", anticipation=0, units=units,
                 func="f", cohort="g")


def test_cohort_from_treatment(panel: pd.DataFrame) -> None:
    shuffled = panel.sample(frac=1, random_state=0)
    cohort = cohort_from_treatment(shuffled, unit="person_id", time="period", treatment="d")
    pd.testing.assert_series_equal(cohort.sort_index(), panel["g"].astype(float).rename("cohort"))
    reverting = panel.copy()
    reverting.loc[2, "d"] = 0
    with pytest.raises(PanelStructureError, match="returns to 0.*P1"):
        cohort_from_treatment(reverting, unit="person_id", time="period", treatment="d")


def test_period_from_dates() -> None:
    dates = pd.Series(["2013-01-15", "2014-01-02", "2015-12-31", None])
    out = period_from_dates(dates, origin="2013-01-01")
    assert out.tolist()[:3] == [1.0, 13.0, 36.0] and np.isnan(out.iloc[3])
    assert period_from_dates(dates, origin="2013-01-01", freq="Q").tolist()[:3] == [1.0, 5.0, 12.0]
    assert period_from_dates(dates, origin="2013-01-01", freq="Y").tolist()[:3] == [1.0, 2.0, 3.0]
    with pytest.raises(DataError, match="not dates"):
        period_from_dates(pd.Series(["2013-01-01", "soon"]), origin="2013-01-01")
