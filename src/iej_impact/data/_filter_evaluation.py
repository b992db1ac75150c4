"""Evaluating a checked sample filter: vectorised pandas/numpy operations, types checked first.

:class:`FilterEvaluator` computes a filter that passed the allow-list
(:mod:`iej_impact.data._filter_grammar`) on a table. Before each comparison or arithmetic
operation it checks the kinds of values involved (:func:`value_kind`): text is never compared with
a number nor ordered against a date-like string, and logic needs True/False operands. Missing
values follow pandas (see :mod:`iej_impact.data._expressions`).
"""

from __future__ import annotations

import ast
import operator
import re

import numpy as np
import pandas as pd

from ._filter_grammar import ARITH, CMP, is_number
from ._filter_messages import FilterSource
from ._numeric_text import plain_number

__all__ = ["FilterEvaluator", "value_kind", "as_bool"]

_ORDER = ("<", "<=", ">", ">=")
#: what each arithmetic or comparison symbol computes
_OPERATIONS = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv, "//": operator.floordiv,
    "%": operator.mod, "**": operator.pow, "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
    ">": operator.gt, ">=": operator.ge,
}
_ISO = re.compile(r"^\s*\d{4}-\d{2}-\d{2}")
_DATE_LIKE = re.compile(
    r"^\s*(\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{4})([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?\s*$"
)


def value_kind(v: object) -> str:
    """bool, number, text, date, missing or other."""
    if isinstance(v, pd.Series):
        dtype = v.dtype
        if isinstance(dtype, pd.CategoricalDtype):
            return value_kind(pd.Series(dtype.categories)) if len(dtype.categories) else "missing"
        if pd.api.types.is_bool_dtype(dtype):
            return "bool"
        if pd.api.types.is_numeric_dtype(dtype):
            return "number"
        if pd.api.types.is_datetime64_any_dtype(dtype):
            return "date"
        if isinstance(dtype, pd.StringDtype):
            return "text"
        if pd.api.types.is_object_dtype(dtype):
            inferred = pd.api.types.infer_dtype(v, skipna=True)
            return {"string": "text", "boolean": "bool", "integer": "number", "floating": "number",
                    "mixed-integer-float": "number", "decimal": "number", "empty": "missing",
                    "datetime": "date", "datetime64": "date"}.get(inferred, "other")
        return "other"
    if v is None:
        return "missing"
    if isinstance(v, (bool, np.bool_)):
        return "bool"
    if is_number(v):
        return "number"
    if isinstance(v, str):
        return "text"
    return "other"  # pragma: no cover - literals are checked


def as_bool(s: pd.Series) -> pd.Series:
    """A True/False column with missing values as False."""
    if s.dtype == bool:
        return s
    return s.astype(object).where(s.notna(), False).astype(bool)


class FilterEvaluator:
    """Computes a checked filter on a table, column by column, refusing values of incompatible types."""

    def __init__(self, f: FilterSource, frame: pd.DataFrame) -> None:
        self.f, self.frame = f, frame

    def fail(self, detail: str, column: str | None = None) -> None:
        self.f.fail(detail, data=True, column=column)

    def col(self, node: ast.Name) -> pd.Series:
        label = self.f.columns[node.id]
        s = self.frame[label]
        if isinstance(s, pd.DataFrame):
            self.fail(f"uses column '{label}', which appears {s.shape[1]} times in the data; rename the copies.",
                      column=str(label))
        return s.reset_index(drop=True)

    def describe(self, node: ast.AST, value: object) -> str:
        """A noun phrase: "column 'city' (text, e.g. 'Lille')", "'age + 1' (numbers)", "the number 3"."""
        if isinstance(value, pd.Series):
            kind = value_kind(value)
            what = {"number": "numbers", "text": "text", "date": "dates", "bool": "True/False"}.get(kind, "mixed values")
            who = f"column '{self.f.snippet(node)}'" if isinstance(node, ast.Name) else f"'{self.f.snippet(node)}'"
            if kind in ("text", "other"):
                vals = value.dropna()
                if len(vals):
                    what += f", e.g. {vals.iloc[0]!r}"
            return f"{who} ({what})"
        return {"number": f"the number {value!r}", "text": f"the text {value!r}",
                "bool": f"{value!r}"}.get(value_kind(value), repr(value))

    def value(self, node: ast.AST) -> object:  # noqa: C901 - one branch per node type
        if isinstance(node, ast.Name):
            return self.col(node)
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.BoolOp):
            parts = [self.logical(v, "and" if isinstance(node.op, ast.And) else "or") for v in node.values]
            out = parts[0]
            for p in parts[1:]:
                out = (out & p) if isinstance(node.op, ast.And) else (out | p)
            return out
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, (ast.Not, ast.Invert)):
                v = self.logical(node.operand, "not" if isinstance(node.op, ast.Not) else "~")
                return (not v) if isinstance(v, bool) else ~v
            v = self.value(node.operand)
            self.numeric(node.operand, v, "-" if isinstance(node.op, ast.USub) else "+")
            return self.safe(lambda: -v if isinstance(node.op, ast.USub) else +v, node)
        if isinstance(node, ast.BinOp):
            sym = ARITH[type(node.op)]
            a, b = self.value(node.left), self.value(node.right)
            self.numeric(node.left, a, sym)
            self.numeric(node.right, b, sym)
            if not isinstance(a, pd.Series) and not isinstance(b, pd.Series):
                a, b = self.safe(lambda: (np.float64(a), np.float64(b)), node)
            return self.safe(lambda: _OPERATIONS[sym](a, b), node)
        if isinstance(node, ast.Compare):
            return self.compare(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        raise AssertionError(f"unchecked node {type(node).__name__}")  # pragma: no cover

    def safe(self, fn, node: ast.AST):
        try:
            return fn()
        except (TypeError, ValueError, ArithmeticError, NotImplementedError) as exc:  # pandas: NotImplementedError for bool / bool
            self.fail(f"cannot compute '{self.f.snippet(node)}': {exc}.")

    def logical(self, node: ast.AST, op: str):
        v = self.value(node)
        if isinstance(v, (bool, np.bool_)):
            return bool(v)
        if isinstance(v, pd.Series) and value_kind(v) == "bool":
            return as_bool(v)
        self.fail(f"uses '{op}' on {self.describe(node, v)}, not True/False; compare it first, "
                  f"e.g. '{self.f.snippet(node)} == 1'.")

    def numeric(self, node: ast.AST, v: object, op: str) -> None:
        if value_kind(v) not in ("number", "bool", "missing") or v is None:
            self.fail(f"uses '{op}' on {self.describe(node, v)}; arithmetic needs numbers.",
                      column=self.f.snippet(node) if isinstance(node, ast.Name) else None)

    def literal_value(self, node: ast.AST) -> object:
        if isinstance(node, ast.UnaryOp):
            v = node.operand.value  # type: ignore[attr-defined]
            return -v if isinstance(node.op, ast.USub) else v
        return node.value  # type: ignore[attr-defined]

    def compare(self, node: ast.Compare):
        result = None
        left_node, left = node.left, self.value(node.left)
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            sym = CMP[type(op)]
            if isinstance(right_node, (ast.List, ast.Tuple, ast.Set)):
                values = [self.literal_value(e) for e in right_node.elts]
                for v, e in zip(values, right_node.elts, strict=True):
                    if v is not None:
                        self.compatible(left_node, left, e, v, "in")
                negate = isinstance(op, (ast.NotIn, ast.NotEq))
                if isinstance(left, pd.Series):
                    part = self.safe(lambda s=left, v=values: s.isin(v), node)
                else:
                    part = left in values
                part = ~part if negate and isinstance(part, pd.Series) else (not part if negate else part)
                right = None
            else:
                right = self.value(right_node)
                part = self.compare_pair(node, left_node, left, sym, right_node, right)
            result = part if result is None else (result & part)
            left_node, left = right_node, right
        return result

    def compare_pair(self, node, left_node, left, sym, right_node, right):
        if left is None or right is None:
            self.fail(f"compares with None using '{sym}'; test missing values with isna(x) or notna(x).")
        self.compatible(left_node, left, right_node, right, sym)
        self.compatible(right_node, right, left_node, left, sym)
        out = self.safe(lambda: _OPERATIONS[sym](left, right), node)
        if isinstance(out, pd.Series) and out.dtype != bool:
            out = out.astype(object).where(out.notna(), sym == "!=").astype(bool)
        return out

    def compatible(self, node: ast.AST, value: object, other_node: ast.AST, other: object, sym: str) -> None:
        """Refuse text vs number, number vs text, and text ordered against a date-like string."""
        if not isinstance(value, pd.Series):
            return
        kind, other_kind = value_kind(value), value_kind(other)
        column = self.f.snippet(node) if isinstance(node, ast.Name) else None
        if kind == "text" and isinstance(other, str) and sym in (*_ORDER, "between") and _DATE_LIKE.match(other):
            name = column or self.f.snippet(node)
            key = name if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) else repr(name)
            example = value.dropna()
            fmt = "date:iso" if len(example) and _ISO.match(str(example.iloc[0])) else "date:%d/%m/%Y"
            self.fail(f"compares the text in {self.describe(node, value)} with the date-like {other!r} using "
                      f"'{sym}': text is compared letter by letter, not as dates. Declare a date parser for the "
                      f"column: in a run configuration, data: {{parse: {{{key}: '{fmt}'}}}} with the column's own "
                      "format (see docs/how-to/config.md); in Python, convert it with pandas.to_datetime.",
                      column=column)
        clash = (kind == "text" and other_kind in ("number", "bool")) or (
            kind in ("number", "bool") and other_kind == "text") or (
            kind == "date" and other_kind in ("number", "bool"))
        if clash:
            hint = ""
            if kind == "text" and not isinstance(other, pd.Series):
                hint = f" Write the value in quotes ('{other}', not {other}) or convert the column to numbers."
            elif kind in ("number", "bool") and isinstance(other, str) and plain_number(other):
                hint = f" Write the number without quotes ({other.strip()}, not '{other}')."
            self.fail(f"compares {self.describe(node, value)} with {self.describe(other_node, other)} using '{sym}'."
                      f"{hint}", column=column)

    def call(self, node: ast.Call):
        func = node.func
        if isinstance(func, ast.Name):  # isna(x) / notna(x)
            s = self.col(node.args[0])  # type: ignore[arg-type]
            return s.isna() if func.id == "isna" else s.notna()
        assert isinstance(func, ast.Attribute)
        if func.attr == "startswith":
            target = func.value.value  # type: ignore[attr-defined]
            s = self.col(target)
            prefix = node.args[0].value  # type: ignore[attr-defined]
            if value_kind(s) not in ("text", "missing"):
                self.fail(f"uses '.str.startswith' on {self.describe(target, s)}; it needs a text column.",
                          column=self.f.snippet(target))
            return self.safe(lambda: s.str.startswith(prefix, na=False).astype(bool), node)
        s = self.col(func.value)  # type: ignore[arg-type]
        if func.attr == "isna":
            return s.isna()
        if func.attr == "notna":
            return s.notna()
        lo, hi = (self.literal_value(a) for a in node.args)
        for bound, arg in ((lo, node.args[0]), (hi, node.args[1])):
            if bound is None:
                self.fail("uses None as a bound of between(); give two values.")
            self.compatible(func.value, s, arg, bound, "between")
        out = self.safe(lambda: s.between(lo, hi), node)
        return as_bool(out)
