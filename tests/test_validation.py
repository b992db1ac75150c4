"""Shared argument and data checks: each message names the problem, the column and example rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from iej_impact._validation import (
    check_binary,
    check_choice,
    check_columns,
    check_covariates,
    check_dataframe,
    check_number,
    describe_rows,
)
from iej_impact.data._numeric_text import check_numeric
from iej_impact.errors import DataError, SpecificationError


@pytest.fixture
def df():
    return pd.DataFrame({
        "person_id": ["P1", "P2", "P3", "P4"],
        "treated": [0, 1, 0, 1],
        "age": [17, 18, np.nan, 22],
        "const": [1, 1, 1, 1],
        "empty": [np.nan] * 4,
        "text": ["1", "2", "x", "4"],
    })


def test_missing_column_is_named_with_suggestion(df):
    with pytest.raises(DataError, match=r"column 'agee' not found.*Did you mean 'age'") as info:
        check_columns(df, ["agee"], "f")
    assert info.value.column == "agee"


def test_treatment_not_binary_lists_values_and_rows(df):
    bad = df.assign(treated=[0, 1, 2, 1])
    with pytest.raises(DataError, match=r"'treated' must be binary.*\[0, 1, 2\].*person_id P3") as info:
        check_binary(bad, "treated", "f")
    assert info.value.rows == ("P3",)


def test_treatment_without_variation(df):
    with pytest.raises(DataError, match=r"no variation: only treated units \(4 of 4"):
        check_binary(df.assign(treated=1), "treated", "f")
    with pytest.raises(DataError, match=r"no variation: no treated units"):
        check_binary(df.assign(treated=0), "treated", "f")


def test_wrong_type_names_values_and_rows(df):
    with pytest.raises(DataError, match=r"'text' must be numeric.*'x' \(1 row\).*person_id P3"):
        check_numeric(df, "text", "f")


def test_missing_values_counted(df):
    with pytest.raises(DataError, match=r"'age' has missing values in 1 row \(e.g. person_id P3\)"):
        check_numeric(df, "age", "f")


def test_constant_and_all_missing_covariates(df):
    with pytest.raises(DataError, match=r"covariate 'const' is constant"):
        check_covariates(df, ["age", "const"], "f")
    with pytest.raises(DataError, match=r"covariate 'empty' is missing for every row"):
        check_covariates(df, ["empty"], "f")


def test_parameter_checks():
    with pytest.raises(SpecificationError, match=r"'method' parameter of f\(\) must be one of \{'nearest', 'radius'\}; got 'nearst'.*Did you mean 'nearest'"):
        check_choice("method", "nearst", ("nearest", "radius"), "f")
    with pytest.raises(SpecificationError, match="must be >= 0"):
        check_number("caliper", -1, "f", low=0)
    with pytest.raises(SpecificationError, match="must be an integer"):
        check_number("ratio", 1.5, "f", integer=True)
    with pytest.raises(SpecificationError, match="expects a pandas DataFrame"):
        check_dataframe([1, 2], "f")


def test_describe_rows_without_id_column_uses_row_labels():
    frame = pd.DataFrame({"x": [1, 2, 3]}, index=[10, 11, 12])
    assert describe_rows(frame, frame["x"] > 1) == "2 rows (e.g. row 11, 12)"
