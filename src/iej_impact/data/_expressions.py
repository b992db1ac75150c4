"""Sample filter expressions: a small language read from a string, never executed as code.

A filter is one expression that gives True or False for each row of a table; rows where it is
False are excluded. The text is parsed with :mod:`ast` (``mode="eval"``) and every node is
checked against the allow-list below before any data is touched; the checked tree is then
evaluated with vectorised pandas/numpy operations. Nothing else is reachable: Python's ``eval``,
``DataFrame.eval`` and ``DataFrame.query`` are never called.

Grammar (what a filter may contain)
-----------------------------------
* **Column names**: bare identifiers (``age``), or in backticks for names that are not
  identifiers (```date d'entrée` >= '2015-01-01'``). A name that is not a column is an error
  (with a suggestion for a near miss).
* **Literals**: numbers (``16``, ``0.5``, ``-1``), text in quotes (``'Lille'``), ``True``,
  ``False``, ``None`` (``None`` only inside an ``in`` list).
* **Comparisons**: ``==  !=  <  <=  >  >=``, chained as in Python (``16 <= age <= 25``).
  ``x == [a, b]`` / ``x != [a, b]`` mean ``x in [a, b]`` / ``x not in [a, b]`` (as in pandas).
* **Membership**: ``x in [a, b, c]`` and ``x not in (a, b)``: the right-hand side is a list,
  tuple or set written out of literals.
* **Logic**, element by element: ``and``, ``or``, ``not`` and ``&``, ``|``, ``~``. As in pandas
  queries, ``&`` and ``|`` bind like ``and`` and ``or`` (so ``age > 16 & age < 25`` works).
  Their operands must be True/False.
* **Arithmetic** on numbers: ``+  -  *  /  //  %  **`` and unary ``-`` / ``+``.
* **Functions and methods** (the whole list): ``isna(x)``, ``notna(x)``, ``x.isna()``,
  ``x.notna()``, ``x.between(a, b)`` (both ends included; ``a`` and ``b`` literals) and
  ``x.str.startswith('text')``, where ``x`` is a column name.

Anything else (other attributes or calls, ``@`` variables, indexing, ``lambda``, comprehensions,
f-strings, ``if ... else``, ``:=``, ``is``) is refused with the construct and its position.
Expressions are at most :data:`MAX_LENGTH` characters and :data:`MAX_DEPTH` levels deep.

Types are checked: a text column cannot be compared with a number nor a numeric column with
text in quotes; a text column compared for order (``<``, ``>=``, ``between``) with a string that
looks like a date is refused, because text compares letter by letter (declare a date parser).

Missing values (NaN, None, NA) follow pandas: a comparison with a missing value is False, except
``!=`` which is True; ``x in [...]`` is False for a missing ``x`` (``not in`` is True) unless the
list holds ``None``; ``x.between(a, b)`` and ``x.str.startswith(...)`` are False; a missing value
in a True/False column counts as False. Use ``isna(x)`` / ``notna(x)`` to test for missing values.
"""

from __future__ import annotations

import ast
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._validation import suggest
from ..errors import DataError, SpecificationError

__all__ = ["MAX_LENGTH", "MAX_DEPTH", "ALLOWED", "CompiledFilter", "FilterRefused", "FilterDataError",
           "compile_filter", "filter_mask"]

#: longest filter accepted, in characters
MAX_LENGTH = 2000
#: deepest nesting of the parsed expression accepted
MAX_DEPTH = 50

ALLOWED = (
    "column names (`name with spaces` in backticks), numbers, text in quotes, True/False/None, "
    "== != < <= > >=, and/or/not, & | ~, + - * / // % **, x in [a, b], "
    "isna(x), notna(x), x.isna(), x.notna(), x.between(a, b), x.str.startswith('text')"
)

_FUNCTIONS = ("isna", "notna")
_METHODS = ("isna", "notna", "between")
_CMP = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
        ast.In: "in", ast.NotIn: "not in"}
_ORDER = ("<", "<=", ">", ">=")
_ARITH = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%", ast.Pow: "**"}
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
_ISO = re.compile(r"^\s*\d{4}-\d{2}-\d{2}")
_DATE_LIKE = re.compile(
    r"^\s*(\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{4})([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?\s*$"
)


class _Located:
    """Mixin: ``location`` (e.g. ``filters[1]``) and ``detail`` (the message without it)."""

    location: str | None = None
    detail: str = ""


class FilterRefused(_Located, SpecificationError):
    """A filter uses a construct outside the grammar, or is not an expression at all."""


class FilterDataError(_Located, DataError):
    """A filter names an unknown column or compares values of incompatible types."""


def _raise(cls: type, where: str, detail: str, column: str | None = None) -> None:
    message = f"{where}: {detail}" if where else detail
    exc = cls(message, column=column) if issubclass(cls, DataError) else cls(message)
    exc.location, exc.detail = where, detail
    raise exc


def _show(expr: str, limit: int = 80) -> str:
    return repr(expr if len(expr) <= limit else expr[: limit - 3] + "...")


# --------------------------------------------------------------------------------------------
# pre-tokenising: backticks, '&'/'|' precedence, '@'; keeps a map back to original positions


def _pretokenise(text: str, fail) -> tuple[str, list[int], dict[str, str]]:
    out: list[str] = []
    pos: list[int] = []
    names: dict[str, str] = {}

    def emit(s: str, at: int) -> None:
        out.append(s)
        pos.extend([at] * len(s))

    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in "'\"":
            quote = text[i : i + 3] if text[i : i + 3] in ("'''", '"""') else ch
            j = i + len(quote)
            while j < n and not text.startswith(quote, j) and (len(quote) == 3 or text[j] != "\n"):
                j += 2 if text[j] == "\\" else 1
            j = min(n, j + len(quote))
            for k in range(i, j):
                emit(text[k], k)
            i = j
        elif ch == "`":
            j = text.find("`", i + 1)
            if j < 0 or "\n" in text[i:j]:
                fail(f"has an unclosed backtick at character {i + 1}; write `column name` with a backtick at each end.")
            name = text[i + 1 : j]
            if not name:
                fail(f"has empty backticks at character {i + 1}; put a column name between them.")
            k = len(names)
            while (placeholder := f"_iej_column_{k}_") in text:
                k += 1
            names[placeholder] = name
            emit(f" {placeholder} ", i)
            i = j + 1
        elif ch == "@":
            fail(f"uses '@' at character {i + 1} (a reference to a Python variable), which is not allowed "
                 f"in a filter; allowed: {ALLOWED}.")
        elif ch in "&|":
            emit(" and " if ch == "&" else " or ", i)
            i += 1
        else:
            emit(ch, i)
            i += 1
    pos.append(n)
    source = "".join(out)
    lead = len(source) - len(source.lstrip())  # a leading space would be an 'indent' to Python
    return source[lead:], pos[lead:], names


# --------------------------------------------------------------------------------------------
# the checked expression


@dataclass(frozen=True)
class CompiledFilter:
    """A filter checked against the grammar and the table's columns; ``mask(frame)`` evaluates it."""

    text: str
    where: str
    tree: ast.Expression
    columns: dict[str, object]  # name in the filter -> column label of the table
    _source: str
    _pos: list[int]

    # ---- positions and snippets -----------------------------------------------------------

    def _offset(self, lineno: int, col: int) -> int:
        lines = self._source.split("\n")
        start = sum(len(line) + 1 for line in lines[: lineno - 1])
        line = lines[lineno - 1] if lineno - 1 < len(lines) else ""
        chars = len(line.encode("utf-8")[:col].decode("utf-8", errors="ignore"))
        return start + chars

    def position(self, node: ast.AST, *, end: bool = False) -> int:
        """1-based character position of ``node`` (its start, or its last character) in the text."""
        if end:
            k = self._offset(node.end_lineno, node.end_col_offset) - 1  # type: ignore[attr-defined]
        else:
            k = self._offset(node.lineno, node.col_offset)  # type: ignore[attr-defined]
        k = max(0, min(k, len(self._pos) - 1))
        return self._pos[k] + 1

    def snippet(self, node: ast.AST) -> str:
        if isinstance(node, ast.Name):
            return str(self.columns.get(node.id, node.id))
        start, stop = self.position(node) - 1, self.position(node, end=True)
        return self.text[start:stop].strip()

    def fail(self, detail: str, *, data: bool = False, column: str | None = None) -> None:
        _raise(FilterDataError if data else FilterRefused, self.where, f"{_show(self.text)} {detail}", column)

    # ---- evaluation ------------------------------------------------------------------------

    def mask(self, frame: pd.DataFrame) -> np.ndarray:
        """The row mask (numpy bool array, one entry per row of ``frame``)."""
        ev = _Evaluator(self, frame)
        with np.errstate(all="ignore"):
            value = ev.value(self.tree.body)
        if not isinstance(value, pd.Series):
            self.fail("must give True/False for each row; it gives one value for the whole table "
                      "(does it name a column?).")
        kind = _kind(value)
        if kind != "bool":
            what = {"number": "numbers", "text": "text", "date": "dates"}.get(kind, f"values of type {value.dtype}")
            self.fail(f"must give True/False for each row; it gives {what}. Compare it with something, "
                      "e.g. 'x > 0' or 'x == 1'.")
        return _as_bool(value).to_numpy(dtype=bool)


def compile_filter(expr: object, columns: Iterable[object], *, where: str = "filter") -> CompiledFilter:
    """Check ``expr`` against the grammar and the column names; raise naming ``where`` if refused.

    Raises FilterRefused (a SpecificationError) for text outside the grammar and FilterDataError
    (a DataError) for a name that is not a column.
    """

    def fail(detail: str) -> None:
        _raise(FilterRefused, where, f"{_show(str(expr))} {detail}")

    if not isinstance(expr, str) or not expr.strip():
        _raise(FilterRefused, where, f"must be a non-empty filter expression (text); got {expr!r}.")
    assert isinstance(expr, str)
    if len(expr) > MAX_LENGTH:
        fail(f"is {len(expr)} characters long; a filter may have at most {MAX_LENGTH}. Split it into several filters.")
    source, pos, names = _pretokenise(expr, fail)
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        at = ""
        if exc.offset and exc.lineno:
            k = sum(len(line) + 1 for line in source.split("\n")[: exc.lineno - 1]) + exc.offset - 1
            at = f" at character {pos[max(0, min(k, len(pos) - 1))] + 1}"
        fail(f"is not a valid filter expression ({exc.msg}{at}); allowed: {ALLOWED}.")
    except (ValueError, MemoryError, RecursionError):
        fail(f"is not a valid filter expression (too complex, or contains a null character); allowed: {ALLOWED}.")
    by_str: dict[str, object] = {}
    for c in columns:
        by_str.setdefault(str(c), c)
    for c in list(by_str.values()):  # Python reads identifiers in NFKC form ('ﬁ' -> 'fi')
        by_str.setdefault(unicodedata.normalize("NFKC", str(c)), c)
    lookup: dict[str, object] = {}
    compiled = CompiledFilter(expr, where, tree, lookup, source, pos)
    checker = _Checker(compiled, names, by_str, lookup)
    checker.check(tree.body, 1)
    checker.resolve()
    return compiled


def filter_mask(frame: pd.DataFrame, expr: str, *, where: str = "filter") -> np.ndarray:
    """Evaluate one filter on ``frame``: a numpy bool array, True for the rows kept."""
    return compile_filter(expr, frame.columns, where=where).mask(frame)


# --------------------------------------------------------------------------------------------
# the allow-list


class _Checker:
    def __init__(self, f: CompiledFilter, names: dict[str, str], by_str: dict[str, object],
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
            if not (isinstance(node.operand, ast.Constant) and _is_number(node.operand.value)):
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
            if type(node.op) not in _ARITH:
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
                        self.refuse(f"'{_CMP[type(op)]}' followed by '{self.f.snippet(right)}' "
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


# --------------------------------------------------------------------------------------------
# evaluation


def _is_number(v: object) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)


def _looks_numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _kind(v: object) -> str:
    """bool, number, text, date, missing or other."""
    if isinstance(v, pd.Series):
        dtype = v.dtype
        if isinstance(dtype, pd.CategoricalDtype):
            return _kind(pd.Series(dtype.categories)) if len(dtype.categories) else "missing"
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
    if _is_number(v):
        return "number"
    if isinstance(v, str):
        return "text"
    return "other"  # pragma: no cover - literals are checked


def _as_bool(s: pd.Series) -> pd.Series:
    if s.dtype == bool:
        return s
    return s.astype(object).where(s.notna(), False).astype(bool)


class _Evaluator:
    def __init__(self, f: CompiledFilter, frame: pd.DataFrame) -> None:
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
            kind = _kind(value)
            what = {"number": "numbers", "text": "text", "date": "dates", "bool": "True/False"}.get(kind, "mixed values")
            who = f"column '{self.f.snippet(node)}'" if isinstance(node, ast.Name) else f"'{self.f.snippet(node)}'"
            if kind in ("text", "other"):
                vals = value.dropna()
                if len(vals):
                    what += f", e.g. {vals.iloc[0]!r}"
            return f"{who} ({what})"
        return {"number": f"the number {value!r}", "text": f"the text {value!r}",
                "bool": f"{value!r}"}.get(_kind(value), repr(value))

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
            sym = _ARITH[type(node.op)]
            a, b = self.value(node.left), self.value(node.right)
            self.numeric(node.left, a, sym)
            self.numeric(node.right, b, sym)
            if not isinstance(a, pd.Series) and not isinstance(b, pd.Series):
                a, b = self.safe(lambda: (np.float64(a), np.float64(b)), node)
            return self.safe(lambda: _arith(sym, a, b), node)
        if isinstance(node, ast.Compare):
            return self.compare(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        raise AssertionError(f"unchecked node {type(node).__name__}")  # pragma: no cover

    def safe(self, fn, node: ast.AST):
        try:
            return fn()
        except (TypeError, ValueError, OverflowError, ZeroDivisionError, ArithmeticError) as exc:
            self.fail(f"cannot compute '{self.f.snippet(node)}': {exc}.")

    def logical(self, node: ast.AST, op: str):
        v = self.value(node)
        if isinstance(v, (bool, np.bool_)):
            return bool(v)
        if isinstance(v, pd.Series) and _kind(v) == "bool":
            return _as_bool(v)
        self.fail(f"uses '{op}' on {self.describe(node, v)}, not True/False; compare it first, "
                  f"e.g. '{self.f.snippet(node)} == 1'.")

    def numeric(self, node: ast.AST, v: object, op: str) -> None:
        if _kind(v) not in ("number", "bool", "missing") or v is None:
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
            sym = _CMP[type(op)]
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
        ops = {"==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
               "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}
        out = self.safe(lambda: ops[sym](left, right), node)
        if isinstance(out, pd.Series) and out.dtype != bool:
            out = out.astype(object).where(out.notna(), sym == "!=").astype(bool)
        return out

    def compatible(self, node: ast.AST, value: object, other_node: ast.AST, other: object, sym: str) -> None:
        """Refuse text vs number, number vs text, and text ordered against a date-like string."""
        if not isinstance(value, pd.Series):
            return
        kind, other_kind = _kind(value), _kind(other)
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
            elif kind in ("number", "bool") and isinstance(other, str) and _looks_numeric(other):
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
            if _kind(s) not in ("text", "missing"):
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
        return _as_bool(out)


def _arith(sym: str, a, b):
    if sym == "+":
        return a + b
    if sym == "-":
        return a - b
    if sym == "*":
        return a * b
    if sym == "/":
        return a / b
    if sym == "//":
        return a // b
    if sym == "%":
        return a % b
    return a**b
