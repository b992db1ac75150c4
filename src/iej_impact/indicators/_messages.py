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
    from the first partitions, at most the number a single table shows), plain ones deduplicated.

    Order: every partition lists its messages in the order of the rules, so the merged list keeps
    each partition's order (a topological order of "a before b in some partition"); two messages
    that no partition holds together follow the order in which the partitions came.
    """
    merged: dict[object, Message] = {}
    after: dict[object, set[object]] = {}
    before_count: dict[object, int] = {}
    for messages in parts:
        keys = []
        for m in messages:
            key = (m.template, m.label) if isinstance(m, Counted) else m
            keys.append(key)
            prev = merged.get(key)
            if prev is None:
                merged[key] = m
                after[key] = set()
                before_count[key] = 0
            elif isinstance(m, Counted):
                assert isinstance(prev, Counted)
                merged[key] = Counted(m.template, prev.n + m.n, m.label, (prev.examples + m.examples)[:MAX_EXAMPLES])
        for a, b in zip(keys, keys[1:], strict=False):
            if b not in after[a]:
                after[a].add(b)
                before_count[b] += 1
    first = {k: i for i, k in enumerate(merged)}
    order: list[object] = []
    ready = [k for k in merged if before_count[k] == 0]
    while ready:
        key = ready.pop(0)
        order.append(key)
        for nxt in sorted(after[key], key=first.__getitem__):
            before_count[nxt] -= 1
            if before_count[nxt] == 0:
                ready.append(nxt)
        ready.sort(key=first.__getitem__)
    order += [k for k in merged if k not in set(order)]  # contradictory orders (not produced by the rules)
    return [merged[k] for k in order]
