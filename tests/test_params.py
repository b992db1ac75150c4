"""Declarative parameter constraints (iej_impact._params): the table is checked before the body, values
are normalised, the signature is the function's own, and validate reads the column-valued keys."""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
import pytest

import iej_impact as iej
from iej_impact._params import (
    Boolean,
    Columns,
    Estimand,
    Interval,
    Options,
    column_parameters,
    constrained,
    describe_constraints,
)
from iej_impact.errors import SpecificationError


@constrained({"alpha": Interval(0.0, 0.5, low_open=True), "k": Interval(low=1, integer=True, none_ok=True),
              "how": Options(("a", "b")), "estimand": Estimand(), "flag": Boolean(), "cols": Columns(),
              "col": Columns(single=True)})
def _f(alpha=0.05, k=None, how="a", estimand="ATT", flag=False, cols=(), col="x"):
    return {"alpha": alpha, "k": k, "how": how, "estimand": estimand, "flag": flag, "cols": cols, "col": col}


def test_values_are_checked_and_normalised_before_the_body():
    got = _f(alpha=0.1, k=np.int64(3), estimand="ate", flag=np.bool_(True), cols="x1")
    assert got == {"alpha": 0.1, "k": 3, "how": "a", "estimand": "ATE", "flag": True, "cols": ["x1"], "col": "x"}
    assert type(got["k"]) is int and type(got["flag"]) is bool


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"alpha": 0}, "the 'alpha' parameter of _f() must be > 0.0; got 0."),
    ({"alpha": "0.1"}, "the 'alpha' parameter of _f() must be a number; got '0.1'."),
    ({"k": 1.5}, "the 'k' parameter of _f() must be an integer; got 1.5."),
    ({"how": "c"}, "the 'how' parameter of _f() must be one of {'a', 'b'}; got 'c'."),
    ({"estimand": "ATX"}, "the 'estimand' parameter of _f() must be one of"),
    ({"flag": 1}, "the 'flag' parameter of _f() must be True or False; got 1."),
    ({"cols": [1]}, "the 'cols' parameter of _f() must be column names (strings)"),
    ({"col": ["x"]}, "the 'col' parameter of _f() must be a column name (a string); got ['x']."),
])
def test_each_constraint_refuses_with_the_project_message(kwargs, message):
    with pytest.raises(SpecificationError) as info:
        _f(**kwargs)
    assert str(info.value).startswith(message)


def test_none_where_allowed_and_wrong_calls_keep_pythons_message():
    assert _f(k=None)["k"] is None
    with pytest.raises(TypeError, match="unexpected keyword"):
        _f(nope=1)


def test_a_table_for_a_parameter_the_function_does_not_take_is_a_programming_error():
    with pytest.raises(TypeError, match=r"\['beta'\]"):
        constrained({"beta": Interval()})(lambda alpha=1: alpha)


@pytest.mark.parametrize("name", ["difference_in_means", "regression_adjustment", "ipw", "doubly_robust", "entropy_balancing"])
def test_estimators_keep_their_signature_and_expose_their_table(name):
    func = getattr(iej, name)
    assert "alpha" in func.parameter_constraints and "estimand" in func.parameter_constraints
    assert "data" in inspect.signature(func).parameters  # functools.wraps: the function's own signature
    assert {"outcome", "treatment", "weights"} <= set(column_parameters(func))
    assert describe_constraints(func)["alpha"] == "a number in (0, 0.5]"


def test_an_estimator_refuses_before_touching_the_data():
    # the table runs before the body: a bad alpha is reported even though data is not a DataFrame
    with pytest.raises(SpecificationError, match="'alpha' parameter of ipw"):
        iej.ipw("not a frame", outcome="y", treatment="d", covariates=["x"], alpha=2)
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x": rng.normal(size=200), "d": np.tile([0, 1], 100)})
    df["y"] = df["x"] + rng.normal(size=200)
    with pytest.raises(SpecificationError, match="'random_state' parameter of doubly_robust\\(\\) must be >= 0"):
        iej.doubly_robust(df, outcome="y", treatment="d", covariates=["x"], random_state=-1)


def test_warnings_point_at_the_users_line_through_the_constraint_wrapper():
    """user_stacklevel(): a warning names the caller's file, however deep it is raised (here in data/_panel,
    below att_gt and its constraint wrapper)."""
    import warnings

    from iej_impact.errors import MissingDataWarning

    rng = np.random.default_rng(1)
    units, periods = np.repeat(np.arange(200), 4), np.tile(np.arange(1, 5), 200)
    frame = pd.DataFrame({"id": units, "t": periods, "g": np.where(units < 80, 3.0, np.nan)})
    frame["y"] = rng.normal(size=len(frame))
    frame = frame.iloc[1:]  # unit 0 misses a period
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        iej.att_gt(frame, outcome="y", unit="id", time="t", cohort="g", unbalanced="drop")
    dropped = [w for w in caught if issubclass(w.category, MissingDataWarning)]
    assert dropped and {w.filename for w in dropped} == {__file__}


def test_every_function_a_config_can_name_declares_its_constraints():
    from iej_impact.config import ESTIMATORS

    for name, func in ESTIMATORS.items():
        table = getattr(func, "parameter_constraints", None)
        assert table, f"{name}() has no constraint table"
        assert set(table) <= set(inspect.signature(func).parameters), name
        assert "alpha" not in inspect.signature(func).parameters or "alpha" in table, name
