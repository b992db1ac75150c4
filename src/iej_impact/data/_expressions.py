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
Expressions are at most :data:`MAX_LENGTH` characters and
:data:`~iej_impact.data._filter_grammar.MAX_DEPTH` levels deep.

Types are checked: a text column cannot be compared with a number nor a numeric column with
text in quotes; a text column compared for order (``<``, ``>=``, ``between``) with a string that
looks like a date is refused, because text compares letter by letter (declare a date parser).

Missing values (NaN, None, NA) follow pandas: a comparison with a missing value is False, except
``!=`` which is True; ``x in [...]`` is False for a missing ``x`` (``not in`` is True) unless the
list holds ``None``; ``x.between(a, b)`` and ``x.str.startswith(...)`` are False; a missing value
in a True/False column counts as False. Use ``isna(x)`` / ``notna(x)`` to test for missing values.

This module is the entry point (:func:`compile_filter`, :func:`filter_mask`); the allow-list is
:mod:`~iej_impact.data._filter_grammar`, the evaluation :mod:`~iej_impact.data._filter_evaluation`
and the wording of refusals, with positions, :mod:`~iej_impact.data._filter_messages`.
"""

from __future__ import annotations

import ast
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._filter_evaluation import FilterEvaluator, as_bool, value_kind
from ._filter_grammar import ALLOWED, AllowListChecker
from ._filter_messages import FilterDataError, FilterRefused, FilterSource, refuse, shorten

__all__ = [
    "MAX_LENGTH", "CompiledFilter", "FilterRefused", "FilterDataError", "compile_filter", "evaluate_expression",
    "filter_mask",
]

#: longest filter accepted, in characters
MAX_LENGTH = 2000


def _pretokenise(text: str, fail) -> tuple[str, list[int], dict[str, str]]:
    """Backticked names -> placeholders, '&'/'|' -> and/or, '@' refused; with a map back to positions."""
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


@dataclass(frozen=True)
class CompiledFilter(FilterSource):
    """A filter checked against the grammar and the table's columns; ``mask(frame)`` evaluates it."""

    tree: ast.Expression

    def mask(self, frame: pd.DataFrame) -> np.ndarray:
        """The row mask (numpy bool array, one entry per row of ``frame``)."""
        ev = FilterEvaluator(self, frame)
        with np.errstate(all="ignore"):
            value = ev.value(self.tree.body)
        if not isinstance(value, pd.Series):
            self.fail("must give True/False for each row; it gives one value for the whole table "
                      "(does it name a column?).")
        kind = value_kind(value)
        if kind != "bool":
            what = {"number": "numbers", "text": "text", "date": "dates"}.get(kind, f"values of type {value.dtype}")
            self.fail(f"must give True/False for each row; it gives {what}. Compare it with something, "
                      "e.g. 'x > 0' or 'x == 1'.")
        return as_bool(value).to_numpy(dtype=bool)

    def values(self, frame: pd.DataFrame) -> pd.Series:
        """The expression's value for each row (True/False, numbers, text or dates), indexed like ``frame``.

        A constant (``1``, ``'Lille'``) is repeated on every row. Used for derived columns.
        """
        ev = FilterEvaluator(self, frame)
        with np.errstate(all="ignore"):
            value = ev.value(self.tree.body)
        if isinstance(value, pd.Series):
            return value
        return pd.Series([value] * len(frame), index=frame.index, dtype=object if isinstance(value, str) else None)


def compile_filter(expr: object, columns: Iterable[object], *, where: str = "filter") -> CompiledFilter:
    """Check ``expr`` against the grammar and the column names; raise naming ``where`` if refused.

    Raises FilterRefused (a SpecificationError) for text outside the grammar and FilterDataError
    (a DataError) for a name that is not a column.
    """

    def fail(detail: str) -> None:
        refuse(FilterRefused, where, f"{shorten(str(expr))} {detail}")

    if not isinstance(expr, str) or not expr.strip():
        refuse(FilterRefused, where, f"must be a non-empty filter expression (text); got {expr!r}.")
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
    compiled = CompiledFilter(text=expr, where=where, columns=lookup, _source=source, _pos=pos, tree=tree)
    checker = AllowListChecker(compiled, names, by_str, lookup)
    checker.check(tree.body, 1)
    checker.resolve()
    return compiled


def filter_mask(frame: pd.DataFrame, expr: str, *, where: str = "filter") -> np.ndarray:
    """Evaluate one filter on ``frame``: a numpy bool array, True for the rows kept."""
    return compile_filter(expr, frame.columns, where=where).mask(frame)


def evaluate_expression(frame: pd.DataFrame, expr: str, *, where: str = "expression") -> pd.Series:
    """Evaluate one expression of the filter grammar on ``frame`` and return its values (a Series).

    Same grammar, checks and missing-value rules as filters, but the result need not be True/False:
    ``"lm_status_raw == 'Inactif'"`` gives True/False, ``"earnings / 12"`` numbers.
    """
    return compile_filter(expr, frame.columns, where=where).values(frame)
