"""``prepare``: run a list of preparation steps, given as data, over named tables.

A step is a mapping ``{"step": <name>, <option>: <value>, ...}``: the name picks a function of
:data:`STEPS` and the options are its keyword arguments, exactly as an analysis of a run
configuration names an estimator. The same list is written in YAML under ``data.prepare`` or
passed to :func:`prepare` from Python. Options are checked before any step runs (unknown step or
option, missing option), so a typo in the tenth step fails before the first one touches the data.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .._progress import step, task
from .._validation import short_repr, suggest
from ..errors import DataError, SpecificationError
from ._workspace import FLOW_COLUMNS, PreparationError, StepFailed, TableInfo, Workspace

__all__ = ["STEPS", "Prepared", "check_steps", "prepare", "register_step"]

#: step name -> function(workspace, **options)
STEPS: dict[str, Callable[..., None]] = {}


def register_step(name: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Decorator: make ``fn`` available as ``{"step": name, ...}``."""

    def deco(fn: Callable[..., None]) -> Callable[..., None]:
        STEPS[name] = fn
        return fn

    return deco


@dataclass(frozen=True)
class Prepared:
    """What :func:`prepare` built: the tables, what their rows are, and the row accounting.

    ``flow`` has one row per table read and per step and table changed (columns: step, table,
    rows_in, rows_out, treated_out, control_out, reason, examples); ``exclusions`` one row per
    removed row (table, row_id, step, reason, arm).
    """

    tables: dict[str, pd.DataFrame]
    info: dict[str, TableInfo]
    flow: pd.DataFrame
    exclusions: pd.DataFrame

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]


def _options(fn: Callable[..., None]) -> tuple[list[str], list[str]]:
    params = list(inspect.signature(fn).parameters.values())[1:]
    return [p.name for p in params], [p.name for p in params if p.default is inspect.Parameter.empty]


def check_steps(steps: object, where: str = "steps") -> list[dict[str, Any]]:
    """Check the shape of a step list (names and options) without data; return it as dicts.

    Raises PreparationError naming ``<where>[i]`` and the option.
    """
    if not isinstance(steps, Sequence) or isinstance(steps, (str, bytes)):
        raise SpecificationError(f"{where} must be a list of steps ({{step: name, ...}}); got {short_repr(steps)}.")
    out = []
    for i, entry in enumerate(steps):
        if not isinstance(entry, Mapping) or "step" not in entry:
            raise PreparationError(f"each step is a mapping with a 'step' key naming it (one of {sorted(STEPS)}); "
                                   f"got {short_repr(entry)}.", step="?", index=i, where=where)
        name = entry["step"]
        if not isinstance(name, str) or name not in STEPS:
            raise PreparationError(f"unknown step {short_repr(name)}; steps: {sorted(STEPS)}."
                                   + (suggest(name, STEPS) if isinstance(name, str) else ""), step=str(name), index=i,
                                   where=where)
        accepted, required = _options(STEPS[name])
        for key in entry:
            if key is True and "on" in accepted:
                raise PreparationError("YAML reads a bare 'on:' key as true; write the key in quotes: \"on\": column.",
                                       step=name, index=i, where=where)
            if key != "step" and key not in accepted:
                raise PreparationError(f"unknown option '{key}' of step {name}; options: {accepted}.{suggest(key, accepted)}",
                                       step=name, index=i, where=where)
        missing = [k for k in required if k not in entry]
        if missing:
            raise PreparationError(f"step {name} needs {', '.join(repr(m) for m in missing)}.", step=name, index=i,
                                   where=where)
        out.append(dict(entry))
    return out


def prepare(
    tables: Mapping[str, pd.DataFrame],
    steps: Sequence[Mapping[str, Any]],
    *,
    arms: Mapping[str, str] | None = None,
    ids: Mapping[str, str] | None = None,
    origins: Mapping[str, str] | None = None,
    treatment: Mapping[str, str] | None = None,
    label: str = "steps",
) -> Prepared:
    """Run ``steps`` in order over ``tables`` (never modified) and return the prepared tables.

    Parameters
    ----------
    tables : ``{name: DataFrame}``, e.g. the loaded participant, comparison, panel and crosswalk files.
    steps : a list of ``{"step": name, **options}`` (see :data:`STEPS` and each step's docstring).
    arms : what each table's rows are: ``participants``, ``comparison``, ``stacked`` (both, with a
        1/0 treatment column named in ``treatment``) or ``none`` (default; e.g. a panel). Used
        for the per-arm counts of the flow and by the steps that act on one arm.
    ids : the column naming each table's rows in the flow and in messages (default: the first of
        participation_id, person_id, unit_id, id present; else the row position).
    origins : where each table came from (a file path), repeated in messages.
    treatment : the 1/0 treatment column of each ``stacked`` table.
    label : how steps are named in the flow, the exclusions and messages (``steps[i]``; a run
        configuration uses ``data.prepare``).

    Raises
    ------
    PreparationError : a step cannot run on these tables; the message starts with
        ``steps[i] (<step>)`` and names the table (and its file), the column and example rows.
    """
    checked = check_steps(steps, where=label)
    ws = Workspace.start(tables, arms=arms, ids=ids, origins=origins, treatment=treatment)
    with task(label, total=len(checked), unit="step") as ticker:
        for i, entry in enumerate(checked):
            ticker.stage(f"{label}[{i}] {entry['step']}")
            _run_step(ws, i, entry, label)
            ticker.update(1)
    flow = pd.DataFrame(ws.flow, columns=FLOW_COLUMNS)
    flow[["treated_out", "control_out"]] = flow[["treated_out", "control_out"]].astype("Int64")  # counts, not floats
    exclusions = (pd.concat(ws.exclusions, ignore_index=True) if ws.exclusions
                  else pd.DataFrame(columns=["table", "row_id", "step", "reason", "arm"]))
    return Prepared(tables=dict(ws.frames), info=dict(ws.info), flow=flow, exclusions=exclusions)


def _run_step(ws: Workspace, i: int, entry: Mapping[str, Any], label: str) -> None:
    """Run step ``i`` (timed as ``<label>[i] <step>`` in a run's manifest); its errors name it."""
    name = entry["step"]
    options = {k: v for k, v in entry.items() if k != "step"}
    ws.step = f"{label}[{i}] {name}"
    try:
        with step(ws.step), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            STEPS[name](ws, **options)
        for w in caught:  # re-issued with the step that raised them (a function name means nothing to a user)
            message = str(w.message).split("(): ", 1)[-1]
            warnings.warn(f"{label}[{i}] ({name}): {message}", w.category, stacklevel=3)
    except StepFailed as exc:
        named = exc.table in ws.info and f"{exc.table!r}{ws.origin_text(exc.table)}" in str(exc)  # said once
        where = f" (table {exc.table!r}{ws.origin_text(exc.table)})" if exc.table in ws.info and not named else ""
        raise PreparationError(f"{exc}{where}", step=name, index=i, column=exc.column,
                               rows=exc.rows, where=label) from None
    except (DataError, SpecificationError) as exc:
        if isinstance(exc, PreparationError):
            raise
        raise PreparationError(str(exc), step=name, index=i, column=getattr(exc, "column", None),
                               rows=getattr(exc, "rows", ()), where=label) from exc
