"""Progress of long work, and the clock of a run's steps.

Two separate services, both cheap when unused:

* **A progress display** (a ``tqdm`` bar on stderr) inside long computations: matching and its
  Abadie-Imbens standard errors, bootstraps, the (g, t) cells of ``att_gt``, HonestDiD's grid,
  preparation steps, the runner's analyses and grid cells. Whether it is shown is decided by
  :func:`show_progress`: ``True`` always, ``False`` never, ``None`` (the default) only when stderr
  is a terminal, so CI jobs, log files and captured output stay clean. The command line decides
  the same way, with ``--progress`` / ``--no-progress`` to override. Code reports work with
  :func:`progress` (wrap an iterable) or :func:`task` (a context manager whose ``update(n)`` is
  called per batch or per stage); when the display is off, ``task`` hands back a do-nothing ticker
  and ``progress`` the iterable itself, so a disabled display costs one check per call, not per item.
  Vectorised computations (a propensity fit, a nearest-neighbour pass over 10^6 rows) tick per
  stage, not per row.

* **A step clock** for the manifest: inside :func:`record_steps`, each ``with step(name):`` block
  appends ``{"name": name, "seconds": s, "peak_mb": m}`` (``peak_mb``: the peak resident memory during
  the step on Linux, see :mod:`iej_impact._memory`; the process's peak so far elsewhere) in the order the
  steps started (a step nested in another,
  such as a grid cell inside its analysis, also carries ``"within": <outer name>`` and its seconds are
  part of the outer step's). Outside :func:`record_steps` a step records nothing. Timings never enter
  results: the runner writes them to ``manifest.json`` only.

Neither changes what is computed: results are identical with the display on or off. Both are
process-wide (module state, not per thread): runs made in parallel threads share one switch and
would interleave their steps; run them in separate processes.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any, TypeVar

from ._memory import current_peak_mb, reset_peak

T = TypeVar("T")

__all__ = ["LARGE", "progress", "progress_enabled", "record_steps", "show_progress", "step", "task"]

#: rows from which a vectorised step (a model fit, a neighbour search) is worth a bar of its own
LARGE = 100_000
#: True / False: forced by show_progress(); None: shown only when stderr is a terminal
_setting: bool | None = None
#: the step log being recorded (record_steps) and the names of the steps open now
_log: list[dict[str, Any]] | None = None
_open: list[str] = []


class show_progress:  # noqa: N801 - used as a function (and as a context manager), like a setting
    """Switch the progress display of long computations: ``True`` on, ``False`` off, ``None`` automatic.

    Automatic (the default) shows it only when stderr is a terminal. The display goes to stderr,
    never into results or files. Called plainly it sets the switch for the rest of the session;
    used as a context manager it restores the previous setting on exit::

        iej_impact.show_progress(False)          # quiet from now on
        with iej_impact.show_progress(True):     # shown inside this block only
            iej_impact.psm(data, ...)
    """

    def __init__(self, enabled: bool | None = True) -> None:
        global _setting
        if enabled is not None and not isinstance(enabled, bool):
            raise TypeError(f"show_progress(enabled): True, False or None; got {enabled!r}")
        self._previous = _setting
        _setting = enabled

    def __enter__(self) -> show_progress:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        global _setting
        _setting = self._previous


def progress_enabled() -> bool:
    """Whether the display is on now (the :func:`show_progress` setting, else: is stderr a terminal)."""
    if _setting is not None:
        return _setting
    stream = sys.stderr
    try:
        return stream is not None and stream.isatty()
    except (AttributeError, ValueError):  # replaced by an object without isatty, or closed
        return False


class _Quiet:
    """The ticker of a hidden display: every call does nothing."""

    __slots__ = ()

    def update(self, n: int = 1) -> None:
        pass

    def stage(self, name: str) -> None:
        pass


_QUIET = _Quiet()


class _Bar:
    """A tqdm bar on stderr: ``update(n)`` advances it, ``stage(name)`` shows what is being done."""

    __slots__ = ("_bar",)

    def __init__(self, desc: str, total: int | None, unit: str) -> None:
        from tqdm import tqdm

        # follow the terminal's size; 80 x 24 where it reports none (a pipe, a pseudo-terminal of size 0,
        # on which tqdm would otherwise draw nothing)
        width = {"dynamic_ncols": True} if _terminal_width(sys.stderr) else {"ncols": 80, "nrows": 24}
        self._bar = tqdm(desc=desc, total=total, unit=unit, leave=False, file=sys.stderr, **width)

    def update(self, n: int = 1) -> None:
        self._bar.update(n)

    def stage(self, name: str) -> None:
        self._bar.set_postfix_str(name, refresh=True)

    def close(self) -> None:
        self._bar.close()


def _terminal_width(stream: Any) -> int:
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError):  # no file descriptor (captured), not a terminal, closed
        return 0


@contextmanager
def task(desc: str, total: int | None = None, *, unit: str = "it", when: bool = True) -> Iterator[_Quiet | _Bar]:
    """A unit of long work of ``total`` ticks (None: unknown); yields a ticker with ``update(n)`` and ``stage(name)``.

    Inner loops over many items should call ``update`` once per batch (e.g. per 10^4 items).
    ``when=False`` keeps the bar hidden even when the display is on: for work that is only long on
    large inputs (see :data:`LARGE`) and would otherwise flash a bar per call.
    """
    if not (when and progress_enabled()):
        yield _QUIET
        return
    bar = _Bar(desc, total, unit)
    try:
        yield bar
    finally:
        bar.close()


def progress(iterable: Iterable[T], *, desc: str, total: int | None = None, enabled: bool | None = None,
             unit: str = "it") -> Iterator[T]:
    """Iterate over ``iterable`` with a bar when the display is on (``enabled`` overrides the switch)."""
    show = progress_enabled() if enabled is None else enabled
    if not show:
        yield from iterable
        return
    if total is None and hasattr(iterable, "__len__"):
        total = len(iterable)  # type: ignore[arg-type]
    bar = _Bar(desc, total, unit)
    try:
        for item in iterable:
            yield item
            bar.update(1)
    finally:
        bar.close()


@contextmanager
def record_steps() -> Iterator[list[dict[str, Any]]]:
    """Record the :func:`step` blocks run inside; yields the list they are appended to (in start order)."""
    global _log, _open
    previous, previous_open = _log, _open
    _log, _open = [], []
    try:
        yield _log
    finally:
        _log, _open = previous, previous_open


@contextmanager
def step(name: str) -> Iterator[None]:
    """Time a named step of a run into the active :func:`record_steps` log (nothing outside one)."""
    if _log is None:
        yield
        return
    _carry_peak()  # the enclosing steps keep the peak reached so far before it is reset for this one
    reset_peak()
    entry: dict[str, Any] = {"name": name, "seconds": None}
    if _open:
        entry["within"] = _open[-1]
    _log.append(entry)
    _open.append(name)
    start = time.perf_counter()
    try:
        yield
    except BaseException as exc:
        if getattr(exc, "iej_step", None) is None:  # the innermost step names the failure (cli.py says it)
            try:
                exc.iej_step = name  # type: ignore[attr-defined]
            except AttributeError:
                pass
        raise
    finally:
        _carry_peak()
        entry["seconds"] = round(time.perf_counter() - start, 4)
        _open.pop()


def _carry_peak() -> None:
    """Fold the peak resident memory since the last reset into every open step's ``peak_mb``."""
    if _log is None or not _open:
        return
    peak = current_peak_mb()
    if peak is None:
        return
    opened = set(_open)
    for entry in _log:
        if entry["seconds"] is None and entry["name"] in opened:
            entry["peak_mb"] = max(entry.get("peak_mb", 0.0), peak)
