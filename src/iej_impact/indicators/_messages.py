"""Notes and warnings of the indicator rules whose counts add up over partitions of the rows.

A note such as "12 participation(s) entered after the reference date are excluded" depends on the
rows it was computed from. When the participations are processed in partitions of persons (see
:mod:`iej_impact.indicators._partition`), each partition counts its own rows; :class:`Counted` keeps
the count, the message template and a few example row identifiers apart, so that the partitions'
messages merge into the one the whole table gives: counts summed, the first examples kept.
Plain strings (notes without counts) merge by deduplication, in order of first appearance.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._validation import ID_COLUMNS, MAX_EXAMPLES, example_rows, rows_text

__all__ = ["Counted", "Message", "merge_messages", "render"]


@dataclass(frozen=True)
class Counted:
    """A message counting rows: ``template`` holds ``{n}`` (the count) and may hold ``{rows}``
    ("N rows (e.g. person_id P1, P2)")."""

    template: str
    n: int
    label: str = "row"
    examples: tuple[object, ...] = ()

    @classmethod
    def of(cls, template: str, df: pd.DataFrame, mask: np.ndarray) -> Counted:
        """The message for the rows of ``df`` flagged by ``mask``."""
        label = next((c for c in ID_COLUMNS if c in df.columns), "row")
        return cls(template, int(np.asarray(mask, dtype=bool).sum()), label, tuple(example_rows(df, mask)))

    def text(self) -> str:
        return self.template.format(n=self.n, rows=rows_text(self.n, self.label, self.examples))


Message = str | Counted


def render(messages: Iterable[Message]) -> list[str]:
    """The messages as text."""
    return [m.text() if isinstance(m, Counted) else m for m in messages]


def merge_messages(parts: Sequence[Sequence[Message]]) -> list[Message]:
    """One list from the partitions' lists: counted messages with the same template summed (examples
    from the first partitions, at most the number a single table shows), plain ones deduplicated."""
    merged: dict[object, Message] = {}
    for messages in parts:
        for m in messages:
            if not isinstance(m, Counted):
                merged.setdefault(m, m)
                continue
            key = (m.template, m.label)
            prev = merged.get(key)
            if prev is None:
                merged[key] = m
            else:
                assert isinstance(prev, Counted)
                merged[key] = Counted(m.template, prev.n + m.n, m.label, (prev.examples + m.examples)[:MAX_EXAMPLES])
    return list(merged.values())
