"""design_matrix(): numeric columns, dummies with a reference level, missing values, scaling."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from iej_impact.errors import DataError
from iej_impact.observational._design import design_matrix, scaled_with_intercept, unscale_matrix


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame({
        "person_id": ["A", "B", "C", "D", "E"],
        "age": [20, 31, 45, 22, 28],
        "female": [True, False, True, True, False],
        "educ": pd.array(["secondary", "primary", "tertiary", "primary", "secondary"], dtype="str"),
        "region": pd.Categorical(["south", "north", "north", "east", "south"], categories=["south", "north", "east"]),
    })


def test_numeric_boolean_and_categorical_columns(frame):
    des = design_matrix(frame, ["age", "female", "educ", "region"])
    assert des.names == ("age", "female", "educ[secondary]", "educ[tertiary]", "region[north]", "region[east]")
    np.testing.assert_array_equal(des.matrix[:, 0], [20, 31, 45, 22, 28])
    np.testing.assert_array_equal(des.matrix[:, 1], [1, 0, 1, 1, 0])
    np.testing.assert_array_equal(des.matrix[:, 2], [1, 0, 0, 0, 1])
    np.testing.assert_array_equal(des.matrix[:, 4], [0, 1, 1, 0, 0])
    assert des.matrix.dtype == np.float64
    educ = des.terms[2]
    assert educ.kind == "categorical" and educ.reference == "primary"  # sorted order: first level dropped
    assert des.terms[3].reference == "south"  # a Categorical keeps its own order
    spec = des.spec()
    assert spec["terms"][3]["levels"] == ["south", "north", "east"]
    assert des.binary_columns().tolist() == [False, True, True, True, True, True]


def test_all_levels_for_balance_tables(frame):
    des = design_matrix(frame, ["educ"], drop_reference=False)
    assert des.names == ("educ[primary]", "educ[secondary]", "educ[tertiary]")
    np.testing.assert_array_equal(des.matrix.sum(axis=1), 1.0)


def test_missing_values_are_counted_for_every_column(frame):
    bad = frame.copy()
    bad["age"] = bad["age"].astype(float)
    bad.loc[[1, 3], "age"] = np.nan
    bad.loc[4, "educ"] = None
    bad.loc[0, "age"] = np.inf
    with pytest.raises(DataError, match=r"'age': 3 missing or infinite; 'educ': 1 missing; e.g. column 'age' in "
                                        r"3 rows \(e.g. person_id A, B, D\)") as err:
        design_matrix(bad, ["age", "educ"], func="ipw")
    assert str(err.value).startswith("ipw(): ")
    assert err.value.column == "age" and err.value.rows == ("A", "B", "D")


@pytest.mark.parametrize(
    ("covs", "message"),
    [
        (["age", "age"], "listed more than once"),
        (["agee"], "not found in the data.*Did you mean 'age'"),
        (["const"], "'const' is constant"),
        (["one_level"], "single level"),
    ],
)
def test_refused_covariates(frame, covs, message):
    frame = frame.assign(const=3.0, one_level="x")
    with pytest.raises(DataError, match=message):
        design_matrix(frame, covs)


def test_no_covariates_gives_an_empty_matrix(frame):
    des = design_matrix(frame, [])
    assert des.matrix.shape == (5, 0) and des.names == ()


def test_scaling_is_a_reparametrization(frame):
    rng = np.random.default_rng(0)
    x = np.column_stack([rng.normal(50_000, 20_000, 30), rng.integers(0, 2, 30)]).astype(float)
    w = rng.uniform(0.5, 2, 30)
    z, m, s = scaled_with_intercept(x, w)
    np.testing.assert_allclose(np.average(z[:, 1:], axis=0, weights=w), 0.0, atol=1e-12)
    np.testing.assert_allclose(np.sqrt(np.average(z[:, 1:] ** 2, axis=0, weights=w)), 1.0, rtol=1e-12)
    g = np.array([0.3, -1.2, 0.8])
    b = unscale_matrix(m, s) @ g
    np.testing.assert_allclose(z @ g, b[0] + x @ b[1:], rtol=1e-10)
