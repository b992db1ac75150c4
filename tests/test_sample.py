"""Sample definition and row accounting: every input row is kept or excluded with a reason."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from iej_impact import define_sample
from iej_impact.errors import DataError, PanelStructureError, SpecificationError


@pytest.fixture
def frame(rng):
    n = 200
    return pd.DataFrame({
        "person_id": [f"P{i:04d}" for i in range(n)],
        "treated": rng.integers(0, 2, n),
        "age": rng.integers(14, 30, n),
        "employed_6m": np.where(rng.random(n) < 0.1, np.nan, rng.integers(0, 2, n)),
    })


def test_counts_add_up_per_step_and_arm(frame):
    s = define_sample(frame, filters=["age >= 16 and age <= 25"], dropna=["employed_6m"], treatment="treated")
    t = s.flow.table
    assert list(t["step"]) == ["input", "filter 1", "complete cases: employed_6m"]
    assert t["rows_in"].iloc[0] == len(frame)
    assert (t["rows_in"].iloc[1:].to_numpy() == t["rows_out"].iloc[:-1].to_numpy()).all()
    assert (t["treated_out"] + t["control_out"] == t["rows_out"]).all()
    assert len(s.data) + len(s.flow.exclusions) == len(frame)
    # exclusions name the rows, the step and the arm
    excl = s.flow.exclusions
    out_of_age = frame[(frame.age < 16) | (frame.age > 25)]
    assert set(excl.loc[excl.step == "filter 1", "row_id"]) == set(out_of_age.person_id)
    arms = excl.set_index("row_id").loc[out_of_age.person_id, "arm"]
    assert (arms.to_numpy() == np.where(out_of_age.treated == 1, "treated", "control")).all()
    by_arm = s.flow.by_arm()
    assert by_arm["rows"].sum() == len(excl)
    # input frame untouched
    assert len(frame) == 200


def test_filter_with_unknown_column_names_it(frame):
    with pytest.raises(DataError, match="ag3.*Did you mean 'age'"):
        define_sample(frame, filters=["ag3 > 16"])


def test_filter_excluding_everything_is_an_error(frame):
    with pytest.raises(DataError, match="exclude every row"):
        define_sample(frame, filters=["age > 100"])


def test_non_boolean_filter_is_refused(frame):
    with pytest.raises(SpecificationError, match="True/False"):
        define_sample(frame, filters=["age + 1"])


def test_treatment_must_be_binary(frame):
    with pytest.raises(DataError, match="'treated' must be binary"):
        define_sample(frame.assign(treated=frame.treated + 1), treatment="treated")


def test_panel_duplicates_and_varying_cohort():
    panel = pd.DataFrame({"person_id": ["A", "A", "B", "B"], "period": [1, 1, 1, 2], "g": [3, 3, 4, 5]})
    with pytest.raises(PanelStructureError, match=r"\(person_id, period\).*2 rows.*A"):
        define_sample(panel, unit="person_id", time="period")
    ok = panel.assign(period=[1, 2, 1, 2])
    with pytest.raises(PanelStructureError, match="'g'.*varies within 1 unit.*B"):
        define_sample(ok, unit="person_id", time="period", cohort="g")


def test_never_treated_value_becomes_missing():
    panel = pd.DataFrame({"id": [1, 1, 2, 2], "t": [1, 2, 1, 2], "g": [0, 0, 2, 2]})
    s = define_sample(panel, unit="id", time="t", cohort="g", never_treated=0)
    assert s.data["g"].isna().sum() == 2
    assert "never treated" in s.flow.table["reason"].iloc[-1]
    assert panel["g"].isna().sum() == 0
