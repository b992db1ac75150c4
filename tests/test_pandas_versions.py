"""The same behaviour on pandas 2.2 (the lowest version pyproject allows) and pandas 3.

pandas 2.2 warns (FutureWarning) where pandas 3 changed a default: fillna's silent downcasting of
object columns, ``groupby(observed=False)`` on categorical keys, a length-1 list ``level``. The
library states what it means instead, so these run without warnings and with pandas 3's results on
both versions. Run with warnings as errors here.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from iej_impact import parse_number
from iej_impact._validation import truthy
from iej_impact.data._checks import check_constant_within, check_types, check_unique
from iej_impact.errors import PanelStructureError
from iej_impact.inference import cluster_codes


@pytest.fixture(autouse=True)
def _warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def test_truthy_counts_missing_as_false():
    values = pd.Series([True, None, False, np.nan, 1, 0], dtype=object)
    assert truthy(values).tolist() == [True, False, False, False, True, False]
    assert truthy(pd.Series([True, pd.NA, False], dtype="boolean")).tolist() == [True, False, False]
    assert truthy(pd.Series([], dtype=object)).dtype == bool


def test_type_checks_of_object_columns_with_missing_values():
    data = pd.DataFrame({
        "participation_id": ["A1", "A2", "A3"],
        "hh_jobless": pd.Series([True, None, False], dtype=object),
        "unemp_duration_months": pd.Series([3, None, 12], dtype=object),
    })
    check_types(data, "participations")


def test_parse_number_flags_with_missing_cells():
    out = parse_number(pd.Series(["~1 000", None, "nc"], dtype=object))
    assert out.is_estimate.tolist() == [True, False, False]
    assert out.is_nc.tolist() == [False, False, True]


def test_duplicate_examples_with_one_key():
    data = pd.DataFrame({"unit": [1, 1, 2]})
    with pytest.raises(PanelStructureError, match=r"\(unit: row 0, 1\)|unit=1"):
        check_unique(data, ["unit"], error=PanelStructureError)


def test_categorical_keys_with_an_unused_category():
    unit = pd.Categorical(["a", "a", "c"], categories=["a", "b", "c"])
    data = pd.DataFrame({"unit": unit, "g": [1, 2, 3]})
    with pytest.raises(PanelStructureError, match="varies for 1 unit value"):
        check_constant_within(data, "g", "unit")
    plain = data.assign(unit=data["unit"].astype(object), region=["x", "y", "y"])
    cat = plain.assign(region=pd.Categorical(plain["region"], categories=["w", "x", "y"]))
    np.testing.assert_array_equal(cluster_codes(cat, ["unit", "region"], "f"), cluster_codes(plain, ["unit", "region"], "f"))
