"""The sample-filter grammar as an allow-list: what a filter may contain, checked node by node.

:class:`AllowListChecker` walks the tree :func:`ast.parse` made of a filter and refuses every
node the grammar (see :mod:`iej_impact.data._expressions`) does not list, naming the construct
and its position; the column names it meets are looked up only once the whole tree has passed.
Nothing here evaluates anything.
"""

from __future__ import annotations

import ast

import numpy as np

from .._validation import suggest
from ._filter_messages import FilterSource

__all__ = ["MAX_DEPTH", "ALLOWED", "CMP", "ARITH", "AllowListChecker", "is_number"]

#: deepest nesting of the parsed expression accepted
MAX_DEPTH = 50

#: the grammar in one line, quoted when a filter is refused
ALLOWED = (
    "column names (`name with spaces` in backticks), numbers, text in quotes, True/False/None, "
    "== != < <= > >=, and/or/not, & | ~, + - * / // % **, x in [a, b], "
    "isna(x), notna(x), x.isna(), x.notna(), x.between(a, b), x.str.startswith('text')"
)

#: functions and methods a filter may call
_FUNCTIONS = ("isna", "notna")
_METHODS = ("isna", "notna", "between")
#: comparison and arithmetic operators, by AST node, as written in a filter
CMP = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
        ast.In: "in", ast.NotIn: "not in"}
ARITH = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%", ast.Pow: "**"}
_OTHER_BINOPS = {ast.MatMult: "'@'", ast.LShift: "'<<'", ast.RShift: "'>>'", ast.BitXor: "'^'",
                 ast.BitAnd: "'&'", ast.BitOr: "'|'"}
_LABELS = {
    ast.Subscript: "'[...]' (indexing)", ast.Lambda: "'lambda'", ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension", ast.DictComp: "a comprehension", ast.GeneratorExp: "a comprehension",
    ast.JoinedStr: "an f-string", ast.FormattedValue: "an f-string", ast.IfExp: "'if ... else'",
    ast.NamedExpr: "':=' (assignment)", ast.Dict: "'{...}' (a dict)", ast.Starred: "'*' (unpacking)",
    ast.Await: "'await'", ast.Yield: "'yield'", ast.YieldFrom: "'yield'", ast.Slice: "a slice",
    ast.List: "a list (only allowed after 'in' / 'not in')",
    ast.Tuple: "a tuple (only allowed after 'in' / 'not in')",
    ast.Set: "a set (only allowed after 'in' / 'not in')",
}


def is_number(v: object) -> bool:
    """A numeric literal or value (``True``/``False`` excluded)."""
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)


class AllowListChecker:
    """Walks the parsed filter and refuses any node outside the grammar, before any data is touched."""

    def __init__(self, f: FilterSource, names: dict[str, str], by_str: dict[str, object],
                 lookup: dict[str, object]) -> None:
        self.f, self.names, self.by_str, self.lookup = f, names, by_str, lookup
        self.pending: list[ast.Name] = []

    def refuse(self, label: str, node: ast.AST, *, end_token: str | None = None) -> None:
        at = self.f.position(node, end=True) - len(end_token) + 1 if end_token else self.f.position(node)
        self.f.fail(f"uses {label} at character {at}, which is not allowed in a filter; allowed: {ALLOWED}.")

    def column(self, node: ast.Name) -> None:
        self.pending.append(node)

    def resolve(self) -> None:
        """Look the column names up, once the whole tree passed the grammar."""
        for node in self.pending:
            name = self.names.get(node.id, node.id)
            if name not in self.by_str:
                self.f.fail(f"uses '{name}' at character {self.f.position(node)}, which is not a column of the data."
                            f"{suggest(name, dict.fromkeys(map(str, self.by_str.values())))}", data=True, column=name)
            self.lookup[node.id] = self.by_str[name]

    def literal(self, node: ast.AST, depth: int) -> None:
        """A literal: a constant, or a signed number."""
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            if not (isinstance(node.operand, ast.Constant) and is_number(node.operand.value)):
                self.refuse("a sign before something other than a number (only literals are allowed here)", node)
            return
        if not isinstance(node, ast.Constant):
            self.refuse(f"'{self.f.snippet(node)}' where a literal (number, text in quotes, True/False/None) is needed",
                        node)
        self.check(node, depth)

    def check(self, node: ast.AST, depth: int) -> None:  # noqa: C901 - one branch per node type
        if depth > MAX_DEPTH:
            self.f.fail(f"is nested too deeply (more than {MAX_DEPTH} levels); split it into several filters.")
        d = depth + 1
        if isinstance(node, ast.Name):
            self.column(node)
        elif isinstance(node, ast.Constant):
            v = node.value
            if not (v is None or isinstance(v, (bool, int, float, str))):
                self.refuse({bytes: "a bytes literal", complex: "an imaginary number"}.get(type(v), repr(v)), node)
        elif isinstance(node, ast.BoolOp):
            for v in node.values:
                self.check(v, d)
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.Not, ast.Invert, ast.USub, ast.UAdd)):  # pragma: no cover - all unary ops
                self.refuse("this operator", node)
            self.check(node.operand, d)
        elif isinstance(node, ast.BinOp):
            if type(node.op) not in ARITH:
                self.refuse(_OTHER_BINOPS.get(type(node.op), "this operator"), node)
            self.check(node.left, d)
            self.check(node.right, d)
        elif isinstance(node, ast.Compare):
            self.check(node.left, d)
            for op, right in zip(node.ops, node.comparators, strict=True):
                if isinstance(op, (ast.Is, ast.IsNot)):
                    self.refuse("'is' (write isna(x) / notna(x), or ==)", node)
                if isinstance(op, (ast.In, ast.NotIn)) or (
                        isinstance(op, (ast.Eq, ast.NotEq)) and isinstance(right, (ast.List, ast.Tuple, ast.Set))):
                    if not isinstance(right, (ast.List, ast.Tuple, ast.Set)):
                        self.refuse(f"'{CMP[type(op)]}' followed by '{self.f.snippet(right)}' "
                                    "('in' needs a list written out, e.g. x in [1, 2])", right)
                    for elt in right.elts:
                        self.literal(elt, d + 1)
                else:
                    self.check(right, d)
        elif isinstance(node, ast.Call):
            self.call(node, d)
        elif isinstance(node, ast.Attribute):
            self.check(node.value, d)
            self.refuse(f"'{node.attr}'", node, end_token=node.attr)
        else:
            self.refuse(_LABELS.get(type(node), f"'{type(node).__name__}'"), node)

    def call(self, node: ast.Call, d: int) -> None:
        func = node.func
        if isinstance(func, ast.Name):
            if func.id not in _FUNCTIONS:
                self.refuse(f"'{self.names.get(func.id, func.id)}' (a function call)", func)
            self.arguments(node, 1, literal=False, d=d)
            return
        if not isinstance(func, ast.Attribute):
            self.check(func, d)
            self.refuse("a call", node)
            return
        target = func.value
        if func.attr == "startswith" and isinstance(target, ast.Attribute) and target.attr == "str":
            if not isinstance(target.value, ast.Name):
                self.check(target.value, d)
                self.refuse("'.str.startswith' on something other than a column name", func, end_token="startswith")
            self.column(target.value)
            self.arguments(node, 1, literal=True, d=d, text=True)
            return
        if isinstance(target, ast.Attribute) and target.attr == "str" and isinstance(target.value, ast.Name):
            self.refuse(f"'{func.attr}'", func, end_token=func.attr)  # x.str.<anything but startswith>
        self.check(target, d)  # reports an inner refused construct first
        if func.attr not in _METHODS:
            self.refuse(f"'{func.attr}'", func, end_token=func.attr)
        if not isinstance(target, ast.Name):
            self.refuse(f"'.{func.attr}()' on something other than a column name", func, end_token=func.attr)
        self.arguments(node, 2 if func.attr == "between" else 0, literal=True, d=d)

    def arguments(self, node: ast.Call, count: int, *, literal: bool, d: int, text: bool = False) -> None:
        name = node.func.id if isinstance(node.func, ast.Name) else node.func.attr  # type: ignore[union-attr]
        if node.keywords or len(node.args) != count or any(isinstance(a, ast.Starred) for a in node.args):
            shape = {0: "no arguments", 1: "one argument", 2: "two arguments"}[count]
            self.refuse(f"'{name}' with other arguments than {shape}", node.func)
        for a in node.args:
            if literal:
                self.literal(a, d)
                if text and not (isinstance(a, ast.Constant) and isinstance(a.value, str)):
                    self.refuse(f"'{self.f.snippet(a)}' as the prefix of startswith (it must be text in quotes)", a)
            elif not isinstance(a, ast.Name):
                self.check(a, d)
                self.refuse(f"'{name}' on something other than a column name", a)
            else:
                self.column(a)
