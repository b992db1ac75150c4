"""Coded columns: explicit recoding of raw values, and the check of codes against their lists.

:func:`apply_codes` replaces raw values by canonical codes only as declared (a ``codes:`` mapping,
or the shipped alias table of a code list named on purpose); :func:`check_codes_column` then
refuses any value outside the allowed codes with :class:`~iej_impact.errors.UnknownCodeError`,
listing each offending value with its count and example rows, the code-list version and the
explicit fix. Nothing is matched fuzzily: a near miss is only suggested in the message, and so is
a key that differs from the values in type only (``1 (int)`` vs ``'1' (str)``) or, unless
``normalize`` is declared, in spaces and case only.
"""

from __future__ import annotations

import difflib
import re
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


#: keys of a ``codes:`` options block ``{map: ..., normalize: ...}``
_BLOCK_KEYS = ("map", "normalize")
#: what ``normalize`` may ignore in text codes
_NORMALIZE = ("space", "case")
_SPACES_RE = re.compile(r"\s+")


def _is_block(item: object) -> bool:
    """``{map: ..., normalize: ...}``: a mapping with ``map`` whose value is not one code (a mapping, a
    list, or ``aliases`` alone), or with both keys; ``{map: MAP}`` stays the recoding of a raw ``map``."""
    if not (isinstance(item, Mapping) and "map" in item):
        return False
    inner = item["map"]
    return isinstance(inner, Mapping | list | tuple) or "normalize" in item or (
        len(item) == 1 and isinstance(inner, str) and (inner == "aliases" or inner.startswith("aliases:"))
    )


def _normalize_option(column: str, value: object) -> frozenset[str]:
    if value is True:
        return frozenset(_NORMALIZE)
    if value is False or value is None:
        return frozenset()
    items = [value] if isinstance(value, str) else value
    if isinstance(items, list | tuple) and items and all(isinstance(v, str) and v in _NORMALIZE for v in items):
        return frozenset(items)
    raise SpecificationError(
        f"codes: 'normalize' of column {column!r} must be true (ignore surrounding and repeated spaces and case), "
        f"false, 'space', 'case' or a list of these; got {value!r}."
    )


def _normalize_text(text: str, how: frozenset[str]) -> str:
    if "space" in how:
        text = _SPACES_RE.sub(" ", text).strip()
    return text.casefold() if "case" in how else text


def _resolve_spec(column: str, spec: object) -> tuple[object, frozenset[str]]:
    """A ``codes`` entry -> (its mapping part, the normalisation asked for)."""
    if _is_block(spec):
        assert isinstance(spec, Mapping)
        unknown = [k for k in spec if k not in _BLOCK_KEYS]
        if unknown:
            raise SpecificationError(
                f"codes: unknown key {unknown[0]!r} in the entry of column {column!r}; with 'map' the keys are "
                f"{', '.join(_BLOCK_KEYS)}." + suggest(str(unknown[0]), _BLOCK_KEYS)
            )
        return spec["map"], _normalize_option(column, spec.get("normalize", False))
    if isinstance(spec, Mapping) and isinstance(spec.get("normalize"), bool):
        raise SpecificationError(
            f"codes: the mapping of column {column!r} has a key 'normalize'; to normalise the text of the codes, "
            f"put the mapping under 'map': codes: {{{column}: {{map: {{raw: CODE, ...}}, normalize: true}}}}."
        )
    return spec, frozenset()


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
                f"codes: the entry for column {column!r} must be a mapping {{raw: code}}, 'aliases', "
                f"{{map: ..., normalize: true}} or a list of them; got {item!r}."
            )
    return mapping, named_list


def _normalized_table(
    column: str, mapping: Mapping[object, object], allowed: Sequence[object], how: frozenset[str]
) -> dict[str, object]:
    """Normalised text -> code, from the text keys (and the text of number keys), then the allowed codes."""
    table: dict[str, object] = {}
    origin: dict[str, object] = {}
    for key, code in mapping.items():
        if isinstance(key, bool) or _is_missing(key):
            continue
        norm = _normalize_text(str(key), how)
        if norm in table and table[norm] != code and not (_is_missing(table[norm]) and _is_missing(code)):
            raise SpecificationError(
                f"codes: with normalize, the keys {origin[norm]!r} and {key!r} of column {column!r} are the same text "
                f"({norm!r}) but map to different codes ({table[norm]!r} and {code!r}); keep one of them, or drop "
                "normalize."
            )
        table.setdefault(norm, code)
        origin.setdefault(norm, key)
    for code in allowed:
        if isinstance(code, str):
            table.setdefault(_normalize_text(code, how), code)
    return table


def _recode(series: pd.Series, mapping: Mapping[object, object], normalized: Mapping[str, object] | None = None,
            how: frozenset[str] = frozenset()) -> pd.Series:
    """Replace mapped values; match exactly, and match text cells to non-text keys by their text.

    With ``normalized`` (opt-in ``normalize``), a text cell matched by neither is looked up by its
    normalised text among the normalised keys, then the allowed codes."""
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
        elif normalized is not None and isinstance(v, str) and _normalize_text(v, how) in normalized:
            table[v] = normalized[_normalize_text(v, how)]
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
        -> ``APPRENTISSAGE``), ``"aliases:<list>"``, or a list of these merged in order; or
        ``{map: <one of these>, normalize: true}`` to also match text cells once surrounding and
        repeated spaces and case are ignored, against the keys and then the allowed codes
        (``normalize: space`` or ``case`` for one of the two; keys that become the same text but
        map to different codes are an error).
    table : a canonical table name; its code lists then govern the coded columns that are present.
    source : file name for messages. rows : row identifiers for messages (default: id columns).

    A raw value matches a key as read: the cell ``1`` (a number) does not match the key ``'1'``
    (text); the only bridge, kept from the first release, is that a text cell written exactly as a
    number key (``'1'`` for ``1``) matches it. Nothing is normalised unless asked.

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
    keys: dict[str, tuple[tuple[object, ...], frozenset[str]]] = {}
    for column, spec in codes.items():
        if column not in out.columns:
            raise DataError(
                f"codes: column {column!r} not found in the data (columns are: "
                f"{', '.join(map(repr, list(out.columns)[:15]))}).{suggest(column, map(str, out.columns))}",
                column=column,
                source=source,
            )
        entry, how = _resolve_spec(column, spec)
        mapping, named = _resolve_mapping(column, entry, coded.get(column))
        list_name = coded.get(column) or named
        if list_name is not None:
            allowed = canonical_codes(list_name)
        else:
            allowed = tuple(dict.fromkeys(v for v in mapping.values() if not _is_missing(v)))
        normalized = _normalized_table(column, mapping, allowed, how) if how else None
        out[column] = _recode(out[column], mapping, normalized, how)
        governed[column] = (allowed, list_name, True)
        keys[column] = (tuple(mapping), how)
    for column, list_name in coded.items():
        if column in out.columns and column not in governed:
            governed[column] = (canonical_codes(list_name), list_name, False)
    for column, (allowed, list_name, mapped) in governed.items():
        mapped_keys, how = keys.get(column, ((), frozenset()))
        check_codes_column(out, column, allowed, codelist=list_name, source=source, rows=rows, user_mapped=mapped,
                           keys=mapped_keys, normalized=bool(how))
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
    keys: Sequence[object] = (),
    normalized: bool = False,
) -> None:
    """Raise UnknownCodeError when non-missing values of ``column`` are not in ``allowed``.

    The message lists each offending value with its count and example rows (most frequent
    first), the allowed codes, the code-list version, and the explicit fixes: the shipped alias
    table when it covers a value (applied only on request), or a ``codes:`` mapping. ``keys``
    (the raw values of the user's mapping) let it say when values and keys differ in type only
    (``1 (int)`` read from the file, ``'1' (str)`` in the mapping) or, unless ``normalized``, in
    spaces and case only. The error carries ``counts`` (value -> number of rows).
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
    fixes.extend(_type_hint(column, [v for v, _ in ordered], keys))
    if not normalized:
        fixes.extend(_normalize_hint(column, [v for v, _ in ordered], [*keys, *allowed]))
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



# --------------------------------------------------------------------------------------------
# Hints: values and keys that differ only in type, or only in spaces and case
# --------------------------------------------------------------------------------------------

#: texts that YAML (1.1, PyYAML) reads as booleans when unquoted
_YAML_BOOLS = {True: ("yes", "y", "true", "on"), False: ("no", "n", "false", "off")}
#: typed examples shown in a hint
_MAX_TYPED = 5


def _kind(v: object) -> str | None:
    if isinstance(v, str):
        return "text"
    if isinstance(v, (bool, np.bool_)):
        return "bool"
    if isinstance(v, (int, float, np.integer, np.floating)) and not _is_missing(v):
        return "number"
    return None


def _number(v: object) -> float | None:
    if isinstance(v, str):
        try:
            return float(v.strip())
        except ValueError:
            return None
    return float(v) if _kind(v) == "number" else None  # type: ignore[arg-type]


def _typed(v: object) -> str:
    """``1 (int)``, ``1.0 (float)``, ``'1' (str)``: a raw value with its type."""
    v = v.item() if isinstance(v, np.generic) else v
    return f"{v!r} ({type(v).__name__})"


def _same_but_type(value: object, key: object) -> bool:
    kv, kk = _kind(value), _kind(key)
    if kv is None or kk is None or kv == kk:
        return False
    if kk == "bool" and kv == "text":
        return str(value).strip().casefold() in _YAML_BOOLS[bool(key)]  # type: ignore[index]
    if "bool" in (kv, kk):
        return False
    nv, nk = _number(value), _number(key)
    return nv is not None and nv == nk


def _type_hint(column: str, values: Sequence[object], keys: Sequence[object]) -> list[str]:
    """The fix when the column's values and the mapping's keys differ in type (numbers vs text)."""
    keys = [k for k in keys if _kind(k) is not None]
    if not keys or not values:
        return []
    values = list(values)[:100]  # the most frequent: enough to show the pattern, cheap on long alias tables
    pairs = [(v, k) for v in values for k in keys if _same_but_type(v, k)]
    value_kinds = {_kind(v) for v in values} - {None}
    key_kinds = {_kind(k) for k in keys}
    if not pairs and not (len(value_kinds) == 1 and not value_kinds & key_kinds):
        return []
    if not pairs:
        return [f"The values and the keys of the mapping differ in type: the column holds "
                f"{', '.join(map(_typed, values[:_MAX_TYPED]))} and codes: {{{column}: ...}} has "
                f"{', '.join(map(_typed, keys[:_MAX_TYPED]))}; a code map matches the value as read, so key it by "
                f"the values as they are in the column ({format_value(values[0])}: CODE)."]
    shown_values = list(dict.fromkeys(v for v, _ in pairs))
    shown_keys = list(dict.fromkeys(k for _, k in pairs))
    lead = (f"The values and the keys of the mapping differ in type: the column holds "
            f"{', '.join(map(_typed, shown_values[:_MAX_TYPED]))} where codes: {{{column}: ...}} has "
            f"{', '.join(map(_typed, shown_keys[:_MAX_TYPED]))}, and a code map matches the value as read.")
    first_key = shown_keys[0]
    if _kind(first_key) == "bool":
        return [f"{lead} YAML reads yes/no/true/false/on/off written without quotes as booleans: quote the keys "
                f"('{str(shown_values[0]).strip()}': CODE)."]
    if _kind(shown_values[0]) == "number":
        return [f"{lead} Declare the column as text with parse: {{{column}: text}} (it is then read as written in the "
                f"file), or key the map by numbers ({format_value(shown_values[0])}: CODE, without quotes)."]
    return [f"{lead} Key the map by the text as read ({str(shown_values[0])!r}: CODE, in quotes), or declare the "
            f"column as a number with parse: {{{column}: en_number}} so that number keys match it."]


def _normalize_hint(column: str, values: Sequence[object], known: Sequence[object]) -> list[str]:
    """The opt-in fix when text values equal a key or a code but for spaces and case."""
    how = frozenset(_NORMALIZE)
    lookup = {_normalize_text(k, how): k for k in known if isinstance(k, str)}
    near = [(v, lookup[_normalize_text(v, how)]) for v in values
            if isinstance(v, str) and _normalize_text(v, how) in lookup]
    if not near:
        return []
    shown = ", ".join(f"{v!r} as {k!r}" for v, k in near[:_MAX_TYPED])
    return [f"Ignoring spaces and case would read {shown}: declare it explicitly with "
            f"codes: {{{column}: {{map: {{...}}, normalize: true}}}}, or correct the source."]
