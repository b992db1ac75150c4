"""The input tables of a run: one file, two stacked arms, the synthetic cohort, or named sources
prepared by steps (``data.sources`` + ``data.prepare``), with their provenance for the manifest."""

from __future__ import annotations

import dataclasses
import hashlib
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ._progress import progress, step
from ._validation import suggest
from .config import PATH_PARAMS, SYNTHETIC_TABLES, RunConfig
from .errors import ConfigError, DataError, SpecificationError

__all__ = ["RunData", "load_run_data", "table_names", "tables_used", "warning_records"]


@dataclass(frozen=True)
class RunData:
    """The input tables of a run, with their provenance.

    ``frame`` is the main table (the sample rules apply to it); ``extra`` holds the other named
    tables (``data.tables`` or the synthetic cohort's other tables), used by analyses that set
    ``table: <name>``.
    """

    frame: pd.DataFrame
    inputs: list[dict[str, Any]]
    treatment: str | None
    synthetic: Any = None  # SyntheticCohort when data.synthetic is used
    main_name: str = "main"
    extra: dict[str, pd.DataFrame] = field(default_factory=dict)
    preparation: Any = None  # Prepared when data.sources is used
    preparation_warnings: list[dict[str, str]] = field(default_factory=list)
    #: ``data.external`` tables (ExternalTable: files, schema, rows), never loaded: engine analyses read them
    external: dict[str, Any] = field(default_factory=dict)

    @property
    def id_column(self) -> str | None:
        """The main table's id column as the preparation knows it (None without a preparation)."""
        if self.preparation is None:
            return None
        return self.preparation.info[self.main_name].id_column

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table of the run by name (the main one under its name and as 'main')."""
        return {**self.extra, self.main_name: self.frame, "main": self.frame}


def load_run_data(cfg: RunConfig, *, every_table: bool = False) -> RunData:
    """Load the configured input (a file, two stacked files, or the synthetic cohort).

    ``every_table``: also open the ``data.tables`` no analysis uses (``validate`` checks them all).
    Data errors are re-raised as ConfigError located at ``data`` (the message names the file).
    """
    try:
        rd = _load_run_data(cfg, every_table)
        if "external" not in cfg.data:
            return rd
        from ._run_external import open_external

        external = open_external(cfg.data, cfg.resolve)
        records = [t.record(cfg.data["external"][name]["path"]) for name, t in external.items()]
        return dataclasses.replace(rd, external=external, inputs=rd.inputs + records)
    except (DataError, SpecificationError) as exc:
        if isinstance(exc, ConfigError):
            raise
        raise ConfigError(str(exc), location="data") from exc


def _load_run_data(cfg: RunConfig, every_table: bool = False) -> RunData:
    from .data._arms import stack_arms
    from .data._io import file_sha256, load_data

    data = cfg.data
    if "sources" in data:
        return _prepared_run_data(cfg)
    read_opts = {k: data[k] for k in ("columns", "codes", "parse", "table", "format", "sep", "sheet", "encoding") if k in data}
    used = tables_used(cfg)
    extra: dict[str, pd.DataFrame] = {}
    extra_inputs: list[dict[str, Any]] = []
    for name, spec in data.get("tables", {}).items():
        path = cfg.resolve(spec["path"])
        if name not in used and not every_table:
            if not path.is_file():  # declared but unused: not read, but a missing file is still an error
                raise ConfigError(f"file not found: {path} (declared, though no analysis uses this table; "
                                  "correct the path or remove the entry)", location=f"data.tables.{name}")
            continue
        opts = {k: v for k, v in spec.items() if k != "path"}
        try:
            extra[name] = load_data(path, **opts)
        except (DataError, SpecificationError) as exc:
            raise ConfigError(str(exc), location=f"data.tables.{name}") from exc
        extra_inputs.append({"role": f"table:{name}", "path": spec["path"], "sha256": file_sha256(path),
                             "rows": len(extra[name])})
    if "synthetic" in data:
        from .datasets.synthetic._cohort import simulate_cohort

        syn = data["synthetic"]
        table = syn.get("table", "persons")
        wants_panel = table == "panel" or "panel" in used
        params = {
            "n_participants": syn.get("n_participants", 5000),
            "comparison_ratio": syn.get("comparison_ratio", 2.0),
            "seed": syn.get("seed", cfg.seed if cfg.seed is not None else 20180101),
            "panel": syn.get("panel", "window" if wants_panel else "none"),
        }
        cohort = simulate_cohort(**params)
        frame = getattr(cohort, table)
        inputs = [{"source": "synthetic", "table": table, "parameters": params, "sha256_of_table": _frame_digest(frame)}]
        for name in sorted(used & set(SYNTHETIC_TABLES) - {table}):
            extra[name] = getattr(cohort, name)
            inputs.append({"source": "synthetic", "table": name, "sha256_of_table": _frame_digest(extra[name])})
        treatment = "treated" if "treated" in frame.columns else None
        return RunData(frame=frame, inputs=inputs + extra_inputs, treatment=treatment, synthetic=cohort,
                       main_name=table, extra=extra)
    if "path" in data:
        path = cfg.resolve(data["path"])
        frame = load_data(path, **read_opts)
        return RunData(frame=frame, inputs=[{"role": "data", "path": data["path"], "sha256": file_sha256(path)}]
                       + extra_inputs, treatment=None, extra=extra)
    tcol = data.get("treatment_column", "treated")
    p_path, c_path = cfg.resolve(data["participants"]), cfg.resolve(data["comparison"])
    part = load_data(p_path, **read_opts)
    comp = load_data(c_path, **read_opts)
    frame = stack_arms(part, comp, treatment_column=tcol)
    inputs = [
        {"role": "participants", "path": data["participants"], "sha256": file_sha256(p_path), "rows": len(part)},
        {"role": "comparison", "path": data["comparison"], "sha256": file_sha256(c_path), "rows": len(comp)},
    ]
    return RunData(frame=frame, inputs=inputs + extra_inputs, treatment=tcol, extra=extra)


def _prepared_run_data(cfg: RunConfig) -> RunData:
    """``data.sources`` read one by one, then the ``data.prepare`` steps; the main table is ``data.main``."""
    from .data._io import file_sha256, load_data
    from .preparation import PreparationError, prepare

    data = cfg.data
    tables: dict[str, pd.DataFrame] = {}
    inputs: list[dict[str, Any]] = []
    for name, spec in progress(data["sources"].items(), desc="data.sources", total=len(data["sources"]), unit="file"):
        path = cfg.resolve(spec["path"])
        opts = {k: v for k, v in spec.items() if k not in ("path", "arm", "id", "treatment")}
        try:
            with step(f"data.sources.{name}"):
                tables[name] = load_data(path, **opts)
        except (DataError, SpecificationError) as exc:
            raise ConfigError(str(exc), location=f"data.sources.{name}") from exc
        inputs.append({"role": f"source:{name}", "path": spec["path"], "sha256": file_sha256(path),
                       "rows": len(tables[name])})
    arms = {n: s["arm"] for n, s in data["sources"].items() if "arm" in s}
    ids = {n: s["id"] for n, s in data["sources"].items() if "id" in s}
    treatment = {n: s["treatment"] for n, s in data["sources"].items() if "treatment" in s}
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            prepared = prepare(tables, data.get("prepare", []), arms=arms, ids=ids, treatment=treatment,
                               origins={n: str(s["path"]) for n, s in data["sources"].items()}, label="data.prepare")
    except PreparationError as exc:
        raise ConfigError(exc.detail, location=f"data.prepare[{exc.index}] ({exc.step})") from exc
    except SpecificationError as exc:
        raise ConfigError(str(exc), location="data.sources") from exc
    main = data["main"]
    if main not in prepared.tables:
        raise ConfigError(f"no table {main!r} after the preparation; tables: {sorted(prepared.tables)}."
                          f"{suggest(main, prepared.tables)}", location="data.main")
    info = prepared.info[main]
    treatment_col = info.treatment if info.arm == "stacked" else None
    extra = {n: f for n, f in prepared.tables.items() if n != main}
    return RunData(frame=prepared.tables[main], inputs=inputs, treatment=treatment_col, main_name=main, extra=extra,
                   preparation=prepared, preparation_warnings=warning_records(caught, "data"))


#: inside :func:`echo_once`: the warnings already echoed for the analysis, and how many repeats were not
_ECHOED: ContextVar[tuple[set[tuple[str, str]], list[int]] | None] = ContextVar("_ECHOED", default=None)


@contextmanager
def echo_once(where: str) -> Iterator[None]:
    """Within the block (the cells of one grid), a warning whose text was already echoed for another cell is kept
    in results.json but not printed again; one line at the end says how many were not repeated."""
    state: tuple[set[tuple[str, str]], list[int]] = (set(), [0])
    token = _ECHOED.set(state)
    try:
        yield
    finally:
        _ECHOED.reset(token)
        if state[1][0]:
            print(f"iej-impact: {where}: {state[1][0]} warning(s) repeated in other cells of the grid not shown again "
                  "(every cell's warnings are in results.json).", file=sys.stderr)


def warning_records(caught: list[warnings.WarningMessage], where: str) -> list[dict[str, str]]:
    """Warnings raised while loading, preparing or estimating: kept in results.json, echoed once each on stderr."""
    records, seen = [], set()
    echoed = _ECHOED.get()
    for w in caught:
        key = (w.category.__name__, str(w.message))
        if key in seen:
            continue
        seen.add(key)
        records.append({"category": key[0], "message": key[1]})
        if echoed is not None and key in echoed[0]:
            echoed[1][0] += 1
            continue
        if echoed is not None:
            echoed[0].add(key)
        print(f"iej-impact: warning: {where}: {key[0]}: {key[1]}", file=sys.stderr)
    return records


def table_names(cfg: RunConfig) -> set[str]:
    if "sources" in cfg.data:
        from .config import prepared_tables

        return prepared_tables(cfg.data) | set(cfg.data.get("external", {}))
    names = set(cfg.data.get("tables", {})) | set(cfg.data.get("external", {}))
    if "synthetic" in cfg.data:
        names |= set(SYNTHETIC_TABLES)
    return names


def tables_used(cfg: RunConfig) -> set[str]:
    """Extra tables the analyses need: via ``table:`` or as a table-valued parameter (e.g. operations)."""
    names = table_names(cfg)
    used = {a.table for a in cfg.analyses if a.table not in (None, "main")}
    for a in cfg.analyses:
        used |= {v for k, v in a.params.items() if k in PATH_PARAMS and isinstance(v, str) and v in names}
        used |= {a.grid.get("cost", {}).get("operations")} & names  # cost: {operations: <table>}
    return used


def _frame_digest(frame: pd.DataFrame) -> str:
    return hashlib.sha256(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes()).hexdigest()
