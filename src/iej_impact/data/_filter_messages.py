"""Where a sample filter goes wrong, and how the refusal is worded.

A filter is parsed after pre-tokenising (backticks, ``&``/``|``), so the text Python sees is not
the text the user wrote. :class:`FilterSource` keeps both with a map between their character
positions: every refusal quotes the filter, names the construct with its 1-based character
position in the user's text, and is prefixed by the filter's place in the run configuration
(``filters[1]``), which the runner turns into ``sample.filters[1]``. Two error classes:
:class:`FilterRefused` (a :class:`~iej_impact.errors.SpecificationError`: outside the grammar)
and :class:`FilterDataError` (a :class:`~iej_impact.errors.DataError`: an unknown column, values
of incompatible types).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from ..errors import DataError, SpecificationError

__all__ = ["FilterRefused", "FilterDataError", "FilterSource", "refuse", "shorten"]


class _Located:
    """Mixin: ``location`` (e.g. ``filters[1]``) and ``detail`` (the message without it)."""

    location: str | None = None
    detail: str = ""


class FilterRefused(_Located, SpecificationError):
    """A filter uses a construct outside the grammar, or is not an expression at all."""


class FilterDataError(_Located, DataError):
    """A filter names an unknown column or compares values of incompatible types."""


def refuse(cls: type, where: str, detail: str, column: str | None = None) -> None:
    """Raise ``cls`` (FilterRefused or FilterDataError) with the message prefixed by ``where``."""
    message = f"{where}: {detail}" if where else detail
    exc = cls(message, column=column) if issubclass(cls, DataError) else cls(message)
    exc.location, exc.detail = where, detail
    raise exc


def shorten(expr: str, limit: int = 80) -> str:
    """The filter text quoted in a message, cut to ``limit`` characters."""
    return repr(expr if len(expr) <= limit else expr[: limit - 3] + "...")


@dataclass(frozen=True)
class FilterSource:
    """The filter as written (``text``) and as parsed (``_source``, positions mapped by ``_pos``)."""

    text: str
    where: str
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
        """The text of ``node`` as the user wrote it (a column by its label in the table)."""
        if isinstance(node, ast.Name):
            return str(self.columns.get(node.id, node.id))
        start, stop = self.position(node) - 1, self.position(node, end=True)
        return self.text[start:stop].strip()

    def fail(self, detail: str, *, data: bool = False, column: str | None = None) -> None:
        """Refuse the filter: FilterDataError with ``data=True`` (about the table), else FilterRefused."""
        refuse(FilterDataError if data else FilterRefused, self.where, f"{shorten(self.text)} {detail}", column)
