"""Progress display for long steps: a tqdm bar on a terminal, silent otherwise."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

from tqdm import tqdm

T = TypeVar("T")


def progress(iterable: Iterable[T], *, desc: str, total: int | None = None, enabled: bool | None = None) -> Iterator[T]:
    """Wrap ``iterable`` in a progress bar when stderr is a terminal (or when ``enabled`` is True)."""
    show = sys.stderr.isatty() if enabled is None else enabled
    if not show:
        yield from iterable
        return
    yield from tqdm(iterable, desc=desc, total=total, leave=False, file=sys.stderr)
