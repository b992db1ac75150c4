"""Declarative parameter constraints of the public functions (scikit-learn's ``validate_params`` idea).

A public function that a configuration can name declares, beside its definition, a table
``{parameter: constraint}`` and is wrapped by :func:`constrained`. The wrapper binds the call's
arguments to the signature, checks every argument the caller gave against its constraint (the
defaults are valid by construction) with the project's message template, hands the function the
normalised values (an estimand upper-cased, a number as float, a column name as a list where a list
is expected), and only then runs the body. What cannot be said per parameter (a rule that ties two
parameters, a limit that depends on the data or the machine) stays in the body, before its
``arguments_checked()`` stop point.

The table is one source for three readers: the function itself; ``iej-impact validate``, which
calls the function in a dry run (so it runs exactly these checks) and reads
:func:`column_parameters` to check that every column-valued key names a column of the analysis'
table, located as ``analyses[i].<key>``; and the documentation (``describe()``).

The signature seen by :mod:`inspect` is the function's own (``functools.wraps``), so the public API
is unchanged by the wrapping.
"""

from __future__ import annotations

import abc
import functools
import inspect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from ._validation import ESTIMANDS, as_column_list, check_choice, check_estimand, check_number, short_repr
from .errors import SpecificationError

__all__ = [
    "Boolean", "Columns", "Constraint", "Estimand", "EventTimes", "Interval", "Options", "column_parameters",
    "constrained", "describe_constraints",
]

_F = TypeVar("_F", bound=Callable[..., Any])


class Constraint(abc.ABC):
    """One parameter's rule: ``check`` returns the normalised value or raises SpecificationError."""

    #: None is accepted as well (it means "not set" for optional parameters)
    none_ok: bool = False

    @abc.abstractmethod
    def check(self, name: str, value: object, func: str) -> object:
        """The value, normalised (a number as float, an estimand upper-cased, ...); SpecificationError if refused."""

    @abc.abstractmethod
    def describe(self) -> str:
        """What the parameter accepts, in words (documentation)."""


@dataclass(frozen=True)
class Interval(Constraint):
    """A finite number in [low, high] ((low, high] when ``low_open``); an integer when ``integer``."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    integer: bool = False
    none_ok: bool = False

    def check(self, name: str, value: object, func: str) -> object:
        v = check_number(name, value, func, low=self.low, high=self.high, low_open=self.low_open, integer=self.integer)
        return int(v) if self.integer else v

    def describe(self) -> str:
        kind = "an integer" if self.integer else "a number"
        left = "(" if self.low_open else "["
        low = "-inf" if self.low is None else f"{self.low:g}"
        high = "inf" if self.high is None else f"{self.high:g}"
        return f"{kind} in {left}{low}, {high}{']' if self.high is not None else ')'}"


@dataclass(frozen=True)
class Options(Constraint):
    """One of ``values``."""

    values: tuple[object, ...]
    none_ok: bool = False

    def check(self, name: str, value: object, func: str) -> object:
        return check_choice(name, value, self.values, func)

    def describe(self) -> str:
        return "one of " + ", ".join(repr(v) for v in self.values)


@dataclass(frozen=True)
class Estimand(Constraint):
    """An estimand among ``values`` (case-insensitive), returned upper-cased."""

    values: tuple[str, ...] = ESTIMANDS
    none_ok: bool = False

    def check(self, name: str, value: object, func: str) -> object:
        return check_estimand(value, func, self.values)

    def describe(self) -> str:
        return "an estimand, one of " + ", ".join(self.values)


@dataclass(frozen=True)
class Boolean(Constraint):
    """True or False (numpy booleans too)."""

    none_ok: bool = False

    def check(self, name: str, value: object, func: str) -> object:
        if type(value).__name__ not in ("bool", "bool_"):
            raise SpecificationError(f"the '{name}' parameter of {func}() must be True or False; got {short_repr(value)}.")
        return bool(value)

    def describe(self) -> str:
        return "True or False"


@dataclass(frozen=True)
class Columns(Constraint):
    """Column name(s) of the data: one name (``single``) or a list (a single name is accepted and
    becomes a one-element list). Whether the columns exist is checked against the data, by the
    function and by ``validate``."""

    single: bool = False
    none_ok: bool = False

    def check(self, name: str, value: object, func: str) -> object:
        if self.single:
            if not isinstance(value, str):
                raise SpecificationError(
                    f"the '{name}' parameter of {func}() must be a column name (a string); got {short_repr(value)}."
                )
            return value
        return as_column_list(name, value, func)

    def describe(self) -> str:
        return "a column name" if self.single else "a column name or a list of column names"


@dataclass(frozen=True)
class EventTimes(Constraint):
    """A list of integer event times (periods relative to entry), each <= ``high`` when it is set; or one of
    the words in ``keywords`` (e.g. "all"). Returned as a sorted list of distinct ints, or the word."""

    high: int | None = None
    keywords: tuple[str, ...] = ()
    none_ok: bool = False

    def check(self, name: str, value: object, func: str) -> object:
        if isinstance(value, str) and value in self.keywords:
            return value
        what = "a list of integer event times" + (f" <= {self.high}" if self.high is not None else "") + (
            " or " + " or ".join(repr(k) for k in self.keywords) if self.keywords else "")
        items = [value] if isinstance(value, (int, np.integer)) else value
        if (isinstance(value, (str, bytes, Mapping)) or not isinstance(items, Iterable)
                or not (items := list(items))
                or any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) for v in items)):
            raise SpecificationError(f"the '{name}' parameter of {func}() must be {what}, e.g. [-4, -3, -2]; "
                                     f"got {short_repr(value)}.")
        if self.high is not None and any(int(v) > self.high for v in items):
            raise SpecificationError(f"the '{name}' parameter of {func}() must be {what}; got "
                                     f"{short_repr(value)} ({[int(v) for v in items if int(v) > self.high]} "
                                     f"> {self.high}).")
        return sorted({int(v) for v in items})

    def describe(self) -> str:
        return ("a list of integer event times" + (f" <= {self.high}" if self.high is not None else "")
                + "".join(f" or {k!r}" for k in self.keywords))


def constrained(table: Mapping[str, Constraint]) -> Callable[[_F], _F]:
    """Decorator: check the arguments named in ``table`` before the function runs (see the module docstring).

    The decorated function exposes the table as ``parameter_constraints``.
    """

    def decorate(func: _F) -> _F:
        signature = inspect.signature(func)
        unknown = set(table) - set(signature.parameters)
        if unknown:
            raise TypeError(f"constraints for parameters {sorted(unknown)} that {func.__name__}() does not take")

        @functools.wraps(func)
        def checked(*args: Any, **kwargs: Any) -> Any:
            try:
                bound = signature.bind(*args, **kwargs)
            except TypeError:
                return func(*args, **kwargs)  # Python's own message for a wrong call
            for name, value in bound.arguments.items():
                rule = table.get(name)
                if rule is None or (value is None and rule.none_ok):
                    continue
                if value is signature.parameters[name].default:
                    continue  # the defaults are valid by construction
                bound.arguments[name] = rule.check(name, value, func.__name__)
            return func(*bound.args, **bound.kwargs)

        checked.parameter_constraints = dict(table)  # type: ignore[attr-defined]
        return checked  # type: ignore[return-value]

    return decorate


def column_parameters(func: Callable[..., Any]) -> tuple[str, ...]:
    """The parameters of ``func`` whose values are column names, from its constraint table."""
    table: Mapping[str, Constraint] = getattr(func, "parameter_constraints", {})
    return tuple(name for name, rule in table.items() if isinstance(rule, Columns))


def describe_constraints(func: Callable[..., Any]) -> dict[str, str]:
    """``{parameter: what it accepts}`` for ``func`` (documentation and error messages)."""
    table: Mapping[str, Constraint] = getattr(func, "parameter_constraints", {})
    return {name: rule.describe() + (" or None" if rule.none_ok else "") for name, rule in table.items()}

