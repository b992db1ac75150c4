"""Coded columns: explicit recoding of raw values, and the check of codes against their lists.

:func:`apply_codes` replaces raw values by canonical codes only as declared (a ``codes:`` mapping,
or the shipped alias table of a code list named on purpose); :func:`check_codes_column` then
refuses any value outside the allowed codes with :class:`~iej_impact.errors.UnknownCodeError`,
listing each offending value with its count and example rows, the code-list version and the
explicit fix. Nothing is matched fuzzily: a near miss is only suggested in the message.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .._validation import suggest
from ..errors import DataError, SpecificationError, UnknownCodeError
from ._datamodel import alias_table, codelist_info, codelist_names, codelist_version, table_schema
from ._datamodel import codes as canonical_codes
from ._rows import example_ids, format_value, id_rows, loaded_rows

__all__ = ["apply_codes", "check_codes_column"]

#: offending values listed in a message
MAX_VALUES = 10


def _resolve_mapping(column: str, spec: object, default_list: str | None) -> tuple[dict[object, object], str | None]:
    """A ``codes`` entry -> (raw -> code mapping, code list named by an alias reference)."""
    items = spec if isinstance(spec, list | tuple) else [spec]
    mapping: dict[object, object] = {}
    named_list: str | None = None
    for item in items:
        if isinstance(item, str):
            name = item[len("aliases:"):] if item.startswith("aliases:") else None
            if item == "aliases":
                name = default_list or (column if column in codelist_names() else None)
                if name is None:
                    raise SpecificationError(
                        f"codes: column {column!r} has no canonical code list, so 'aliases' cannot tell which alias "
                        "table to use; write 'aliases:<list>' (e.g. aliases:action_type) or give a mapping."
                    )
            if name is None:
                raise SpecificationError(
                    f"codes: the entry for column {column!r} must be a mapping {{raw: code}}, 'aliases' or "
                    f"'aliases:<list>'; got {item!r}."
                )
            table = alias_table(name)
            mapping.update(zip(table["raw"], table["code"], strict=True))
            named_list = name
        elif isinstance(item, Mapping):
            mapping.update(item)
        else:
            raise SpecificationError(
                f"codes: the entry for column {column!r} must be a mapping {{raw: code}}, 'aliases' or a list of them; "
                f"got {item!r}."
            )
    return mapping, named_list


def _recode(series: pd.Series, mapping: Mapping[object, object]) -> pd.Series:
    """Replace mapped values; match exactly, and match text cells to non-text keys by their text."""
    by_text = {str(k): v for k, v in mapping.items() if not isinstance(k, str) and not isinstance(k, bool)}
    table: dict[object, object] = {}
    hit = False
    for v in pd.unique(series.dropna()):
        if v in mapping:
            table[v] = mapping[v]
            hit = True
        elif isinstance(v, str) and v in by_text:
            table[v] = by_text[v]
            hit = True
        else:
            table[v] = v
    if not hit:
        return series
    return series.map(table).infer_objects()


def apply_codes(
    data: pd.DataFrame,
    codes: Mapping[str, object] | None = None,
    *,
    table: str | None = None,
    source: str | None = None,
    rows: pd.Series | None = None,
) -> pd.DataFrame:
    """Recode values explicitly and check every coded column against its list.

    Parameters
    ----------
    data : the table (not modified).
    codes : ``{column: spec}``; ``spec`` is a mapping ``{raw: code}`` (``null`` code = missing),
        ``"aliases"`` (the shipped alias table of the column's code list, e.g. ``"Appprentissage"``
        -> ``APPRENTISSAGE``), ``"aliases:<list>"``, or a list of these merged in order.
    table : a canonical table name; its code lists then govern the coded columns that are present.
    source : file name for messages. rows : row identifiers for messages (default: id columns).

    After recoding, a value of a governed column (canonical list, or a user mapping) that is
    neither a mapped raw value nor an allowed code raises :class:`UnknownCodeError` listing each
    offending value with its count and example rows. For a column governed only by a user mapping,
    the allowed codes are the mapping's targets. Missing values are left to the table checks.
    """
    codes = dict(codes or {})
    schema = table_schema(table) if table is not None else None
    coded = schema.coded() if schema is not None else {}
    rows = rows if rows is not None else loaded_rows(data, None)
    out = data.copy()
    governed: dict[str, tuple[tuple[object, ...], str | None, bool]] = {}
    for column, spec in codes.items():
        if column not in out.columns:
            raise DataError(
                f"codes: column {column!r} not found in the data (columns are: "
                f"{', '.join(map(repr, list(out.columns)[:15]))}).{suggest(column, map(str, out.columns))}",
                column=column,
                source=source,
            )
        mapping, named = _resolve_mapping(column, spec, coded.get(column))
        out[column] = _recode(out[column], mapping)
        list_name = coded.get(column) or named
        if list_name is not None:
            governed[column] = (canonical_codes(list_name), list_name, True)
        else:
            targets = tuple(dict.fromkeys(v for v in mapping.values() if not _is_missing(v)))
            governed[column] = (targets, None, True)
    for column, list_name in coded.items():
        if column in out.columns and column not in governed:
            governed[column] = (canonical_codes(list_name), list_name, False)
    for column, (allowed, list_name, mapped) in governed.items():
        check_codes_column(out, column, allowed, codelist=list_name, source=source, rows=rows, user_mapped=mapped)
    return out


def _is_missing(v: object) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _closest_code(value: object, allowed: Sequence[object]) -> str:
    upper = {str(a).upper(): a for a in allowed}
    match = difflib.get_close_matches(str(value).strip().upper(), list(upper), n=1, cutoff=0.75)
    return f"; did you mean {format_value(upper[match[0]])}?" if match else ""


def check_codes_column(
    data: pd.DataFrame,
    column: str,
    allowed: Sequence[object],
    *,
    codelist: str | None = None,
    source: str | None = None,
    rows: pd.Series | None = None,
    user_mapped: bool = False,
) -> None:
    """Raise UnknownCodeError when non-missing values of ``column`` are not in ``allowed``.

    The message lists each offending value with its count and example rows (most frequent
    first), the allowed codes, the code-list version, and the explicit fixes: the shipped alias
    table when it covers a value (applied only on request), or a ``codes:`` mapping. The error
    carries ``counts`` (value -> number of rows).
    """
    s = data[column]
    rows = rows if rows is not None else id_rows(data)
    bad = (s.notna() & ~s.isin(list(allowed))).to_numpy()
    if not bad.any():
        return
    counts = s[bad].value_counts(dropna=True)
    ordered = sorted(counts.items(), key=lambda kv: (-int(kv[1]), str(kv[0])))
    parts = []
    for value, n in ordered[:MAX_VALUES]:
        ids = example_ids((s == value).to_numpy(), rows, k=3)
        parts.append(f"{format_value(value)} ({int(n)} row{'s' if n != 1 else ''}, e.g. {rows.name} "
                     f"{', '.join(map(str, ids))}{_closest_code(value, allowed)})")
    more = f", and {len(ordered) - MAX_VALUES} more values" if len(ordered) > MAX_VALUES else ""
    shown_codes = ", ".join(format_value(a) for a in allowed) if allowed else "(none)"
    if codelist is not None:
        where = f"code list '{codelist}' (version {codelist_version(codelist)})"
    else:
        where = f"the codes of your mapping codes: {{{column}: ...}}"
    fixes = []
    if codelist is not None and codelist_info(codelist).get("aliases"):
        aliases = alias_table(codelist)
        lookup = dict(zip(aliases["raw"], aliases["code"], strict=True))
        covered = [(v, lookup[v]) for v, _ in ordered if isinstance(v, str) and v in lookup]
        if covered:
            pairs = ", ".join(f"{v!r} -> {c}" for v, c in covered[:5])
            fixes.append(f"The alias table {codelist_info(codelist)['aliases']} maps {pairs}: apply it explicitly with "
                         f"codes: {{{column}: aliases}}.")
    lead = "Map the other raw values" if fixes else "Map raw values"
    fixes.append(f"{lead} with codes: {{{column}: {{raw: CODE}}}}"
                 + (" (every raw value must be mapped)." if user_mapped and codelist is None else "."))
    n_bad = int(bad.sum())
    error = UnknownCodeError(
        f"column '{column}' has {len(ordered)} value{'s' if len(ordered) != 1 else ''} outside {where}, in "
        f"{n_bad} row{'s' if n_bad != 1 else ''}: {'; '.join(parts)}{more}. Allowed codes: {shown_codes}. "
        + " ".join(fixes),
        column=column,
        rows=example_ids(bad, rows),
        source=source,
    )
    error.counts = {(_v.item() if isinstance(_v, np.generic) else _v): int(n) for _v, n in ordered}
    raise error
