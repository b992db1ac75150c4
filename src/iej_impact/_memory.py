"""Peak resident memory of the process, per step of a run.

On Linux the kernel keeps the peak resident set size (``VmHWM`` in ``/proc/self/status``) and lets a
process reset it to the current size (writing ``5`` to ``/proc/self/clear_refs``, Linux >= 4.0), so the
peak *during* a step can be measured: reset at its start, read at its end. Elsewhere (or when the reset
is refused) only the peak since the process started is known (``resource.getrusage``), which is what
:func:`peak_mb` then returns, flagged by :func:`per_step` being False. Nothing here allocates.
"""

from __future__ import annotations

import sys

__all__ = ["current_peak_mb", "per_step", "reset_peak"]

_STATUS = "/proc/self/status"
_CLEAR = "/proc/self/clear_refs"
_resettable: bool | None = None


def current_peak_mb() -> float | None:
    """The peak resident memory (MB) since the last :func:`reset_peak` (Linux) or since the process started;
    None when the platform says nothing."""
    try:
        with open(_STATUS, encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    try:
        import resource
    except ImportError:  # Windows
        return None
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(kb / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)  # macOS reports bytes


def reset_peak() -> None:
    """Reset the kernel's peak to the current resident size (Linux); a no-op where that is not possible."""
    global _resettable
    if _resettable is False:
        return
    try:
        with open(_CLEAR, "w", encoding="ascii") as fh:
            fh.write("5")
        _resettable = True
    except OSError:
        _resettable = False


def per_step() -> bool:
    """Whether peaks are per step (the reset works here) rather than since the process started."""
    if _resettable is None:
        reset_peak()
    return bool(_resettable)
