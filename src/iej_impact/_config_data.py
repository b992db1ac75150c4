"""The ``data:`` section of a run configuration: where the input tables come from and how each
file is read (one file, two stacked arms, the synthetic cohort, or named raw sources prepared by
steps), checked for its shape with the YAML location of every mistake. Part of the front door
(:mod:`iej_impact.config` builds the whole configuration from it)."""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping
from typing import Any

from ._validation import short_repr, suggest
from .errors import ConfigError, SpecificationError

__all__ = [
    "DATA_KEYS", "SOURCE_KEYS", "SYNTHETIC_TABLES", "TABLE_KEYS", "parameter_location", "parse_data", "prepared_tables",
]

DATA_KEYS = (
    "path", "participants", "comparison", "treatment_column", "columns", "codes", "parse", "table",
    "format", "sep", "sheet", "encoding", "synthetic", "tables", "sources", "prepare", "main", "external",
)
#: keys of an entry of ``data.tables`` (a further input table, used by analyses with ``table: <name>``)
TABLE_KEYS = ("path", "columns", "codes", "parse", "table", "format", "sep", "sheet", "encoding")
#: keys of an entry of ``data.sources`` (a raw file read into a named table of the preparation)
SOURCE_KEYS = (*TABLE_KEYS, "arm", "id", "treatment")
SYNTHETIC_KEYS = ("n_participants", "comparison_ratio", "seed", "table", "panel")
SYNTHETIC_TABLES = ("persons", "panel", "participations", "comparison", "operations")
_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]*$")


def parse_data(raw_data: Any) -> dict[str, Any]:
    """Check the ``data:`` mapping and return it normalised (tabs in ``sep``, sources and steps as dicts)."""
    data = dict(_mapping(raw_data, "data"))
    _check_keys(data, DATA_KEYS, "data")
    sources = [k for k in ("path", "participants", "synthetic", "sources") if k in data]
    if len(sources) != 1:
        raise ConfigError(
            "give exactly one data source: 'path', 'participants' (with 'comparison'), 'synthetic' or 'sources' "
            f"(named raw files, with 'prepare' steps); got {sources or 'none'}.", location="data")
    if "sources" in data:
        _sources(data)
    else:
        for key in ("prepare", "main"):
            if key in data:
                raise ConfigError(f"'{key}' goes with 'sources' (named raw files prepared by steps); declare the files "
                                  "under data.sources.", location=f"data.{key}")
    if "participants" in data and "comparison" not in data:
        raise ConfigError("'participants' needs 'comparison' (the comparison cohort file).", location="data")
    for key in ("path", "participants", "comparison"):
        if key in data and not isinstance(data[key], str):
            raise ConfigError(f"must be a file path (string); got {short_repr(data[key])}.", location=f"data.{key}")
    _reader_options(data, "data")
    if "synthetic" in data:
        data["synthetic"] = _synthetic(data["synthetic"])
    if "tables" in data:
        tables = dict(_mapping(data["tables"], "data.tables"))
        for tname, tspec in tables.items():
            loc = f"data.tables.{tname}"
            if not isinstance(tname, str) or not _NAME_RE.match(tname):
                raise ConfigError("table names are letters, digits, '_' or '-', starting with a letter.", location=loc)
            if "synthetic" in data and tname in SYNTHETIC_TABLES:
                raise ConfigError(f"'{tname}' is already a table of the synthetic cohort; choose another name.", location=loc)
            if isinstance(tspec, str):
                tspec = {"path": tspec}
            tspec = dict(_mapping(tspec, loc))
            _check_keys(tspec, TABLE_KEYS, loc)
            if not isinstance(tspec.get("path"), str):
                raise ConfigError("needs 'path' (a file path).", location=loc)
            _reader_options(tspec, loc)
            tables[tname] = tspec
        data["tables"] = tables
    return data


#: largest seed numpy's legacy generators accept (random_state of the matching functions)
MAX_SEED = 2**32 - 1


def _seed(value: Any, loc: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SEED:
        raise ConfigError(f"must be an integer from 0 to {MAX_SEED} (2**32 - 1); got {short_repr(value)}.", location=loc)
    return value


def _reader_options(spec: dict[str, Any], loc: str) -> None:
    """Check the file-reading options of ``data`` or of a ``data.tables`` entry (in place: ``sep: '\\t'``
    written with single quotes becomes a tab)."""
    for key in ("columns", "codes", "parse"):
        if key in spec:
            _mapping(spec[key], f"{loc}.{key}")
    if "sep" in spec:
        sep = spec["sep"]
        if sep == "\\t":
            spec["sep"] = sep = "\t"
        if not isinstance(sep, str) or len(sep) != 1:
            raise ConfigError(f"the field separator must be one character (e.g. ';', ',' or \"\\t\" for a tab); "
                              f"got {short_repr(sep)}.", location=f"{loc}.sep")
    if "format" in spec:
        from .data._io import FORMATS

        fmt = spec["format"]
        if not isinstance(fmt, str) or fmt not in FORMATS:
            raise ConfigError(f"unknown file format {short_repr(fmt)}; formats: {', '.join(FORMATS)} (the reader to use "
                              "whatever the file's extension)." + (suggest(fmt, FORMATS) if isinstance(fmt, str) else ""),
                              location=f"{loc}.format")
        if "sep" in spec and fmt != "csv":
            raise ConfigError(f"a field separator (sep) applies to delimited text only; remove sep, or declare "
                              f"format: csv (got format: {fmt}).", location=f"{loc}.format")
    if "encoding" in spec:
        enc = spec["encoding"]
        try:
            ok = isinstance(enc, str) and bool(codecs.lookup(enc))
        except LookupError:
            ok = False
        if not ok:
            raise ConfigError(f"unknown text encoding {short_repr(enc)}; use e.g. utf-8, cp1252 or latin-1.",
                              location=f"{loc}.encoding")
    if "sheet" in spec and (isinstance(spec["sheet"], bool) or not isinstance(spec["sheet"], (str, int))):
        raise ConfigError(f"must be a sheet name or number; got {short_repr(spec['sheet'])}.", location=f"{loc}.sheet")


def _sources(data: dict[str, Any]) -> None:
    """``data.sources`` (named raw files), ``data.prepare`` (steps) and ``data.main``, checked in place."""
    from .preparation import PreparationError, check_steps
    from .preparation._workspace import ARMS

    if "tables" in data:
        raise ConfigError("with 'sources', declare every file under data.sources (not data.tables).",
                          location="data.tables")
    for key in ("columns", "codes", "parse", "table", "format", "sep", "sheet", "encoding", "treatment_column"):
        if key in data:
            raise ConfigError(f"with 'sources', '{key}' is set per source (data.sources.<name>.{key}).",
                              location=f"data.{key}")
    sources = dict(_mapping(data["sources"], "data.sources"))
    if not sources:
        raise ConfigError("declare at least one source: {name: {path: file, ...}}.", location="data.sources")
    for name, spec in sources.items():
        loc = f"data.sources.{name}"
        if not isinstance(name, str) or not _NAME_RE.match(name):
            raise ConfigError("source names are letters, digits, '_' or '-', starting with a letter.", location=loc)
        spec = dict(_mapping({"path": spec} if isinstance(spec, str) else spec, loc))
        _check_keys(spec, SOURCE_KEYS, loc)
        if not isinstance(spec.get("path"), str):
            raise ConfigError("needs 'path' (a file path).", location=loc)
        _reader_options(spec, loc)
        arm = spec.get("arm", "none")
        if arm not in ARMS:
            raise ConfigError(f"must be one of {list(ARMS)} (what the rows are); got {short_repr(arm)}."
                              f"{suggest(arm, ARMS) if isinstance(arm, str) else ''}", location=f"{loc}.arm")
        if (arm == "stacked") != ("treatment" in spec):
            raise ConfigError("a 'stacked' source (both arms) names its 1/0 'treatment' column, and only it does.",
                              location=f"{loc}.{'treatment' if 'treatment' in spec else 'arm'}")
        for key in ("id", "treatment"):
            if key in spec and (not isinstance(spec[key], str) or not spec[key]):
                raise ConfigError(f"must be a column name; got {short_repr(spec[key])}.", location=f"{loc}.{key}")
        sources[name] = spec
    data["sources"] = sources
    try:
        data["prepare"] = check_steps(data.get("prepare", []) or [], where="data.prepare")
    except PreparationError as exc:
        raise ConfigError(exc.detail, location=f"data.prepare[{exc.index}] ({exc.step})") from None
    tables = set(sources) | prepared_tables(data)
    main = data.get("main", next(iter(sources)) if len(sources) == 1 else None)
    if not isinstance(main, str) or main not in tables:
        raise ConfigError(f"name the table the sample and the analyses use by default, one of {sorted(tables)}; got "
                          f"{short_repr(main)}.{suggest(main, tables) if isinstance(main, str) else ''}", location="data.main")
    data["main"] = main


def prepared_tables(data: Mapping[str, Any]) -> set[str]:
    """Tables a run has before its analyses: the sources and the tables the steps create (``new_table``)."""
    out = set(data.get("sources", {}))
    for step in data.get("prepare", []) or []:
        if isinstance(step, Mapping) and isinstance(step.get("new_table"), str):
            out.add(step["new_table"])
    return out


def _synthetic(value: Any) -> dict[str, Any]:
    """``data.synthetic``: keys, the table, and simulate_cohort()'s own argument checks with their YAML location."""
    from .datasets.synthetic._cohort import simulate_cohort

    syn = dict(_mapping(value or {}, "data.synthetic"))
    _check_keys(syn, SYNTHETIC_KEYS, "data.synthetic")
    table = syn.get("table", "persons")
    if table not in SYNTHETIC_TABLES:
        raise ConfigError(f"must be one of {list(SYNTHETIC_TABLES)}; got {short_repr(table)}.{suggest(table, SYNTHETIC_TABLES)}",
                          location="data.synthetic.table")
    if "seed" in syn:
        _seed(syn["seed"], "data.synthetic.seed")
    from ._validation import check_arguments

    args = {k: syn[k] for k in ("n_participants", "comparison_ratio", "panel") if k in syn}
    try:
        check_arguments(lambda _data, **kw: simulate_cohort(**kw), None, **args)
    except SpecificationError as exc:
        raise ConfigError(str(exc), location=parameter_location(exc, "data.synthetic", args)) from None
    return syn


def _check_keys(mapping: Mapping[str, Any], allowed: tuple[str, ...], where: str) -> None:
    for key in mapping:
        if key not in allowed:
            loc = f"{where}.{key}" if where else str(key)
            raise ConfigError(f"unknown key '{key}'; allowed: {list(allowed)}.{suggest(key, allowed)}", location=loc)


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"must be a mapping (key: value); got {type(value).__name__}.", location=where)
    return value


_PARAM_RE = re.compile(r"the '([A-Za-z_]+)(?:\.[A-Za-z_]+)?' (?:parameter|of se=)")


def parameter_location(exc: BaseException, base: str, params: Mapping[str, Any]) -> str:
    """``base.<key>`` when the library's message names a parameter the config sets
    ("the 'caliper' parameter of match() ..."), else ``base``."""
    m = _PARAM_RE.search(str(exc))
    if m and m.group(1) in params:
        return f"{base}.{m.group(1)}"
    if m and m.group(1) in ("reps", "neighbours", "sigma2", "se") and "se" in params:
        se = params["se"]
        return f"{base}.se.{m.group(1)}" if isinstance(se, Mapping) and m.group(1) in se else f"{base}.se"
    return base
