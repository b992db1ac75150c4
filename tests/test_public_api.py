"""Guard rail: the public API users and configs bind to does not change by accident.

The snapshot holds ``iej_impact.__all__`` and the signature of every public callable (the
functions a config can name as ``estimator:`` among them). A deliberate change (a new parameter,
a new name) is recorded by regenerating it:

    IEJ_UPDATE_SNAPSHOTS=1 python -m pytest tests/test_public_api.py

and the diff of ``tests/snapshots/public_api.json`` is then part of the commit under review.
Renaming or removing a name or a parameter breaks users' scripts and configs: don't.
"""

from __future__ import annotations

import inspect
import json
import os
from pathlib import Path

import iej_impact

SNAPSHOT = Path(__file__).parent / "snapshots" / "public_api.json"


def _signature(obj: object) -> str | None:
    if not callable(obj):
        return None
    try:
        return str(inspect.signature(obj))
    except (TypeError, ValueError):
        return None


def current_api() -> dict[str, object]:
    from iej_impact.config import ESTIMATORS

    names = sorted(iej_impact.__all__)
    return {
        "__all__": names,
        "signatures": {n: _signature(getattr(iej_impact, n)) for n in names},
        "estimators": {k: f"{v.__module__.split('.')[0]}.{v.__name__}" for k, v in sorted(ESTIMATORS.items())},
    }


def test_public_api_matches_the_snapshot() -> None:
    api = json.loads(json.dumps(current_api()))
    if os.environ.get("IEJ_UPDATE_SNAPSHOTS"):
        SNAPSHOT.write_text(json.dumps(api, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    expected = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    removed = sorted(set(expected["__all__"]) - set(api["__all__"]))
    assert not removed, f"public names removed: {removed}"
    changed = {n: (expected["signatures"][n], api["signatures"][n]) for n in expected["__all__"]
               if expected["signatures"][n] != api["signatures"].get(n)}
    assert not changed, "signatures changed (regenerate the snapshot if deliberate):\n" + "\n".join(
        f"{n}:\n  was {a}\n  now {b}" for n, (a, b) in changed.items())
    assert api == expected, "new public names or estimators: regenerate the snapshot (see module docstring)"


def test_every_estimator_is_a_public_name_with_its_own_name() -> None:
    from iej_impact.config import ESTIMATORS

    for key, func in ESTIMATORS.items():
        assert func.__name__ == key
        assert getattr(iej_impact, key) is func
