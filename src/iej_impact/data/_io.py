"""Loading and writing tables: files in, one clean DataFrame out, every problem named.

:func:`load_data` reads CSV, Parquet, Excel, Stata and SAS files (or takes a DataFrame), then
applies, in this order and only when asked: column renames (``columns``), per-column parsers
(``parse``: French numbers, shares, dates, flags), value recoding (``codes``) and the canonical
code lists of a table of the data model (``table``). Each step fails loudly with the file, the
column, the offending values with their counts and example rows, and the fix; nothing is
guessed (no separator sniffing, no fuzzy code matching, no silent date-format inference).

:func:`stack_arms` stacks a participant file and a comparison file into one frame with a 1/0
treatment column and refuses persons present in both (contamination, domain brief E.6 item 8).
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .._validation import ID_COLUMNS, suggest, truthy
from ..errors import ContaminationError, DataError, MissingDataWarning, SpecificationError
from ._checks import check_codes_column
from ._datamodel import alias_table as _alias_table
from ._datamodel import codelist_names, table_schema
from ._datamodel import codes as canonical_codes
from ._parsing import example_ids, parse_column, parser_spec

__all__ = [
    "SUPPORTED_FORMATS",
    "load_data",
    "read_table",
    "rename_columns",
    "apply_codes",
    "stack_arms",
    "file_sha256",
    "write_table",
]

#: file suffix -> reader
SUPPORTED_FORMATS: dict[str, str] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "excel",
    ".xlsm": "excel",
    ".xls": "excel",
    ".dta": "stata",
    ".sas7bdat": "sas",
}

#: columns used to name rows in messages when present (after renaming)
_ROW_ID_COLUMNS: tuple[str, ...] = (*ID_COLUMNS, "operation_id")


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


def _source_label(path: Path, source_name: str | None) -> str:
    return source_name if source_name else path.name


def _check_path(path: Path, label: str) -> str:
    if not path.exists():
        near = ""
        if path.parent.is_dir():
            near = suggest(path.name, [p.name for p in path.parent.iterdir()])
        raise DataError(f"data file not found: {str(path)!r}.{near} Check the path (relative paths in a config are "
                        "relative to the config file).", source=label)
    if path.is_dir():
        raise DataError(f"{str(path)!r} is a directory, not a data file.", source=label)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_FORMATS:
        raise DataError(
            f"unsupported file type {suffix or '(no extension)'!r} for {path.name!r}; supported: "
            f"{', '.join(SUPPORTED_FORMATS)}. Save the table in one of these formats.",
            source=label,
        )
    return SUPPORTED_FORMATS[suffix]


def read_table(
    path: str | Path,
    *,
    sheet: str | int | None = None,
    sep: str | None = None,
    encoding: str | None = None,
    text_columns: Sequence[str] = (),
    source_name: str | None = None,
) -> pd.DataFrame:
    """Read one file with the pandas reader of its type (no renaming, parsing or recoding).

    Parameters
    ----------
    path : a ``.csv``/``.tsv``, ``.parquet``/``.pq``, ``.xlsx``/``.xlsm``/``.xls``, ``.dta`` or
        ``.sas7bdat`` file.
    sheet : Excel sheet name or 0-based position (default: the first sheet).
    sep : CSV field separator (default ``","``, ``"\\t"`` for ``.tsv``); never sniffed.
    encoding : text encoding (default UTF-8 for CSV, with or without a byte-order mark; the
        file's own encoding for SAS).
    text_columns : columns to read as text (CSV and Excel), e.g. identifiers with leading zeros
        and columns that a parser will read.
    """
    path = Path(path)
    label = _source_label(path, source_name)
    kind = _check_path(path, label)
    dtype = {c: str for c in text_columns} or None
    try:
        if kind == "csv":
            delimiter = sep if sep is not None else ("\t" if path.suffix.lower() == ".tsv" else ",")
            enc = "utf-8-sig" if encoding in (None, "utf-8", "utf8", "UTF-8") else encoding
            frame = pd.read_csv(path, sep=delimiter, encoding=enc, dtype=dtype)
            _check_separator(frame, delimiter, label)
            header = pd.read_csv(path, sep=delimiter, encoding=enc, header=None, nrows=1, dtype=str)
            _check_unique_header(header, path, label)
            return frame
        if kind == "parquet":
            return pd.read_parquet(path)
        if kind == "excel":
            where = sheet if sheet is not None else 0
            frame = pd.read_excel(path, sheet_name=where, dtype=dtype)
            _check_unique_header(pd.read_excel(path, sheet_name=where, header=None, nrows=1, dtype=str), path, label)
            return frame
        if kind == "stata":
            return pd.read_stata(path)
        return pd.read_sas(path, format="sas7bdat", encoding=encoding or "infer")
    except DataError:
        raise
    except UnicodeDecodeError as exc:
        raise DataError(
            f"could not decode {path.name!r} as {encoding or 'UTF-8'} ({exc.reason} at byte {exc.start}). "
            "Declare the file's encoding (e.g. encoding: cp1252 or latin-1 for files saved by French Excel).",
            source=label,
        ) from exc
    except pd.errors.EmptyDataError as exc:
        raise DataError(f"{path.name!r} is empty (no header, no rows).", source=label) from exc
    except ImportError as exc:
        raise DataError(
            f"reading {path.suffix!r} files needs an optional package ({exc}). Install it, or save the table "
            "as .xlsx, .csv or .parquet.",
            source=label,
        ) from exc
    except ValueError as exc:
        if kind == "excel" and sheet is not None and "not found" in str(exc).lower():
            raise DataError(f"sheet {sheet!r} not found in {path.name!r}: {exc}.", source=label) from exc
        raise DataError(f"could not read {path.name!r} as a {kind} file: {exc}", source=label) from exc
    except Exception as exc:  # corrupt or truncated files surface many reader-specific errors
        raise DataError(
            f"could not read {path.name!r} as a {kind} file ({type(exc).__name__}: {exc}). The file may be "
            "corrupt, truncated or of another type than its extension says.",
            source=label,
        ) from exc


def _check_unique_header(header: pd.DataFrame, path: Path, label: str) -> None:
    """Refuse a header row naming a column twice (pandas would rename the second ``age`` to ``age.1``)."""
    if len(header) == 0:
        return
    seen: dict[str, list[int]] = {}
    for pos, name in enumerate(header.iloc[0].tolist()):
        if not (isinstance(name, float) and np.isnan(name)):  # an empty header cell is pandas' "Unnamed: i"
            seen.setdefault(str(name), []).append(pos + 1)
    dup = {name: pos for name, pos in seen.items() if len(pos) > 1}
    if dup:
        shown = "; ".join(f"{name!r} in columns {', '.join(map(str, pos))}" for name, pos in list(dup.items())[:5])
        raise DataError(
            f"the header of {path.name!r} names {'a column' if len(dup) == 1 else 'columns'} more than once ({shown}); "
            "each column name must be unique, otherwise one of them would be renamed and the other used without a "
            "word. Rename the duplicates in the file (or drop the extra column).",
            column=next(iter(dup)),
            source=label,
        )


def _check_separator(frame: pd.DataFrame, sep: str, label: str) -> None:
    if frame.shape[1] != 1:
        return
    header = str(frame.columns[0])
    for other in (";", "\t", "|", ","):
        if other != sep and other in header:
            shown = {"\t": "\\t"}.get(other, other)
            raise DataError(
                f"the file was read as one column named {header[:60]!r}: it looks separated by {shown!r}, not "
                f"{sep!r}. Declare the separator (sep: '{shown}').",
                source=label,
            )


# --------------------------------------------------------------------------------------------
# Renames, parsing, codes
# --------------------------------------------------------------------------------------------


def rename_columns(data: pd.DataFrame, columns: Mapping[str, str], *, source: str | None = None) -> pd.DataFrame:
    """Rename columns old -> new; every old name must exist and no two columns may end up equal."""
    if not isinstance(columns, Mapping):
        raise SpecificationError(f"'columns' must map old column names to new ones; got {columns!r}.")
    present = list(map(str, data.columns))
    for old, new in columns.items():
        if old not in data.columns:
            raise DataError(
                f"cannot rename column {old!r} to {new!r}: there is no column {old!r} "
                f"(columns are: {', '.join(map(repr, present[:15]))}{' ...' if len(present) > 15 else ''})."
                + suggest(old, present),
                column=str(old),
                source=source,
            )
        if not isinstance(new, str) or not new:
            raise SpecificationError(f"the new name of column {old!r} must be a non-empty string; got {new!r}.")
    renamed = data.rename(columns=dict(columns))
    dup = renamed.columns[renamed.columns.duplicated()].unique().tolist()
    if dup:
        raise DataError(
            f"after renaming, several columns are named {', '.join(map(repr, dup))}; each column name must be "
            "unique. Rename only one of them, or drop the other first.",
            column=str(dup[0]),
            source=source,
        )
    return renamed


def _row_ids(frame: pd.DataFrame, kind: str | None) -> pd.Series:
    for col in _ROW_ID_COLUMNS:
        if col in frame.columns and frame[col].notna().all():
            return frame[col].rename(col)
    if kind in ("csv", "excel"):  # file line: header is line 1
        return pd.Series(np.arange(len(frame)) + 2, index=frame.index, name="line")
    if kind is not None:
        return pd.Series(np.arange(len(frame)) + 1, index=frame.index, name="row")
    return pd.Series(frame.index, index=frame.index, name="row")


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
            table = _alias_table(name)
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
    rows = rows if rows is not None else _row_ids(data, None)
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


def _is_text(s: pd.Series) -> bool:
    return pd.api.types.is_string_dtype(s) or (s.dtype == object and s.map(lambda v: isinstance(v, str)).any())


def _is_missing(v: object) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


# --------------------------------------------------------------------------------------------
# load_data
# --------------------------------------------------------------------------------------------


def load_data(
    source: str | Path | pd.DataFrame,
    *,
    columns: Mapping[str, str] | None = None,
    codes: Mapping[str, object] | None = None,
    parse: Mapping[str, str | Mapping[str, object]] | None = None,
    table: str | None = None,
    sheet: str | int | None = None,
    sep: str | None = None,
    encoding: str | None = None,
    source_name: str | None = None,
) -> pd.DataFrame:
    """Load a table from a file (or a DataFrame) and make it analysis-ready, explicitly.

    Steps, in order: read (by file extension) -> rename (``columns``) -> parse (``parse``; with
    ``table``, canonical date columns still in text are read as ISO dates) -> recode (``codes``)
    -> check codes (``table``). Nothing is inferred from the data: separators,
    number styles, date formats and code aliases are all declared.

    Parameters
    ----------
    source : path to a ``.csv``/``.tsv``, ``.parquet``, ``.xlsx``/``.xls``, ``.dta`` or
        ``.sas7bdat`` file, or a DataFrame (copied, never modified).
    columns : renames ``{old_name: new_name}``; an unknown old name is an error (with a suggestion).
    codes : value recoding ``{column: {raw: code}}`` or ``{column: "aliases"}``; see :func:`apply_codes`.
    parse : per-column parsers, keyed by the *new* column name: ``"fr_number"``, ``"en_number"``,
        ``"share"``, ``"percent"``, ``"date:%d/%m/%Y"``, ``"date:iso"``, ``"bool"``, or a mapping
        such as ``{type: fr_number, estimate_column: target_is_estimate}``
        (see :func:`iej_impact.data._parsing.parser_spec`). Parsed columns are read as text first.
    table : a canonical table (``participations``, ``operations``, ``comparison_cohort``,
        ``panel``): its text columns (identifiers) are read as text, its date columns given as
        text are parsed as ISO dates (declare ``parse`` for other formats), and every coded
        column that is present is checked against its code list. Run :func:`iej_impact.data._checks.validate_table`
        for the full pre-flight checks (types, required columns, duplicates, date order).
    sheet, sep, encoding : reader options (see :func:`read_table`).
    source_name : the name used in messages (default: the file name).

    Returns
    -------
    A new DataFrame with a fresh ``RangeIndex``.

    Raises
    ------
    DataError : missing file, unsupported extension, unreadable file, a file with a header but no
        rows, a header naming a column twice (CSV, Excel), unknown column in ``columns``/``codes``; :class:`ParseError` for values not matching a parser;
        :class:`UnknownCodeError` for values outside a code list. Messages start with the file name.

    Examples
    --------
    >>> raw = pd.DataFrame({"id": ["P1", "P2"], "sexe": ["H", "F"], "montant": ["1 298 429 €", "nc"]})
    >>> out = load_data(raw, columns={"id": "participation_id", "sexe": "sex"},
    ...                 codes={"sex": "aliases"}, parse={"montant": "fr_number"}, table="participations")
    >>> out["sex"].tolist(), out["montant"].tolist()
    (['M', 'F'], [1298429.0, nan])
    """
    columns = dict(columns or {})
    parse = dict(parse or {})
    specs = {col: parser_spec(spec, column=col) for col, spec in parse.items()}
    schema = table_schema(table) if table is not None else None
    if isinstance(source, pd.DataFrame):
        label = source_name or "<DataFrame>"
        frame = source.copy()
        kind = None
    elif isinstance(source, (str, Path)):
        path = Path(source)
        label = _source_label(path, source_name)
        kind = _check_path(path, label)
        inverse = {new: old for old, new in columns.items()}
        text = [inverse.get(c, c) for c in specs]
        if schema is not None:
            text += [inverse.get(c.name, c.name) for c in schema if c.dtype == "str"]
        frame = read_table(path, sheet=sheet, sep=sep, encoding=encoding, text_columns=tuple(dict.fromkeys(text)),
                           source_name=label)
        if len(frame) == 0:
            raise DataError(f"{path.name!r} has a header ({len(frame.columns)} columns) but no data rows; check that "
                            "this is the right file and that it was fully exported.", source=label)
    else:
        raise SpecificationError(
            f"load_data() expects a file path or a pandas DataFrame as 'source'; got {type(source).__name__}."
        )
    frame = frame.reset_index(drop=True)
    frame.columns = [str(c) for c in frame.columns]
    if columns:
        frame = rename_columns(frame, columns, source=label)
    rows = _row_ids(frame, kind)
    for col, spec in specs.items():
        if col not in frame.columns:
            raise DataError(
                f"parse: column {col!r} not found in the data (parsers are keyed by the column name after "
                f"renaming).{suggest(col, list(frame.columns))}",
                column=col,
                source=label,
            )
        for name, values in parse_column(frame[col], spec, column=col, source=label, rows=rows).items():
            frame[name] = values
    if schema is not None:  # the data model stores dates in ISO format: read canonical date columns as such
        for spec in schema:
            col = spec.name
            if spec.dtype == "date" and col in frame.columns and col not in specs and _is_text(frame[col]):
                frame[col] = parse_column(frame[col], "date:iso", column=col, source=label, rows=rows)[col]
    rows = _row_ids(frame, kind)
    if codes or schema is not None:
        frame = apply_codes(frame, codes, table=table, source=label, rows=rows)
    return frame


# --------------------------------------------------------------------------------------------
# Stacking participants and comparison
# --------------------------------------------------------------------------------------------


def stack_arms(
    participants: pd.DataFrame,
    comparison: pd.DataFrame,
    *,
    treatment_column: str = "treated",
    id_column: str | None = "person_id",
    contaminated_column: str = "contaminated",
) -> pd.DataFrame:
    """Stack the participant and comparison tables into one frame with a 1/0 treatment column.

    Parameters
    ----------
    participants, comparison : the two arms (not modified).
    treatment_column : name of the created column: 1 for participants, 0 for the comparison rows.
    id_column : the person identifier used for the contamination check; ``None`` skips it
        (only when the two files share no identifier space).
    contaminated_column : a comparison row whose person is also a participant is accepted only
        when this column is True for it (domain brief E.3: flagged for fuzzy / Wald estimators).

    Returns
    -------
    Participants first, then comparison rows; a fresh ``RangeIndex``; columns in participant
    order, then comparison-only columns, then ``treatment_column``. Columns present in one arm
    only are missing for the other, and a :class:`MissingDataWarning` names them.

    Raises
    ------
    ContaminationError : a person is in both arms (and not flagged contaminated); the message
        gives the number of persons and example ids.
    DataError : ``treatment_column`` already exists, ``id_column`` is missing, or an arm is empty.
    """
    for name, frame in (("participants", participants), ("comparison", comparison)):
        if not isinstance(frame, pd.DataFrame):
            raise SpecificationError(f"stack_arms(): '{name}' must be a DataFrame; got {type(frame).__name__}.")
        if len(frame) == 0:
            raise DataError(f"stack_arms(): the {name} table has no rows.", source=name)
        if treatment_column in frame.columns:
            raise DataError(
                f"stack_arms(): the {name} table already has a column {treatment_column!r}; stacking creates it. "
                "Rename that column, or choose another treatment_column.",
                column=treatment_column,
                source=name,
            )
        if id_column is not None and id_column not in frame.columns:
            raise DataError(
                f"stack_arms(): the {name} table has no column {id_column!r}, needed to check that no person is in "
                f"both arms.{suggest(id_column, map(str, frame.columns))} Rename the identifier (columns: "
                "{old: person_id}).",
                column=id_column,
                source=name,
            )
    if id_column is not None:
        _check_overlap(participants, comparison, id_column, contaminated_column)
    only_p = [c for c in participants.columns if c not in comparison.columns]
    only_c = [c for c in comparison.columns if c not in participants.columns]
    if only_p or only_c:
        parts = []
        if only_p:
            parts.append(f"only in participants: {', '.join(map(str, only_p[:10]))}{' ...' if len(only_p) > 10 else ''}")
        if only_c:
            parts.append(f"only in comparison: {', '.join(map(str, only_c[:10]))}{' ...' if len(only_c) > 10 else ''}")
        warnings.warn(
            "stack_arms(): columns " + "; ".join(parts) + ". They are missing for the other arm.",
            MissingDataWarning,
            stacklevel=2,
        )
    p = participants.assign(**{treatment_column: np.int8(1)})
    c = comparison.assign(**{treatment_column: np.int8(0)})
    order = [*participants.columns, *only_c, treatment_column]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # all-NA columns in concat
        stacked = pd.concat([p, c], ignore_index=True, sort=False)
    stacked = stacked[order]
    stacked[treatment_column] = stacked[treatment_column].astype("int8")
    return stacked


def _check_overlap(participants: pd.DataFrame, comparison: pd.DataFrame, id_column: str, flag: str) -> None:
    p_ids = pd.Index(participants[id_column].dropna().unique())
    in_both = comparison[id_column].isin(p_ids).to_numpy()
    if flag in comparison.columns:
        flagged = truthy(comparison[flag])
        in_both = in_both & ~flagged
    if not in_both.any():
        return
    persons = pd.unique(comparison[id_column][in_both])
    rows = comparison[id_column].rename(id_column)
    n = len(persons)
    raise ContaminationError(
        f"stack_arms(): {n} person{'s' if n != 1 else ''} {'appear' if n != 1 else 'appears'} both among participants "
        f"and in the comparison cohort ({id_column} {', '.join(map(repr, persons[:5].tolist()))}"
        f"{' ...' if n > 5 else ''}; {int(in_both.sum())} comparison row{'s' if in_both.sum() != 1 else ''}). A "
        f"comparison person must not be a participant: drop them from the comparison table, or flag them with "
        f"{flag}=True and use an estimator that handles contamination.",
        column=id_column,
        rows=example_ids(in_both, rows),
        source="comparison",
    )


# --------------------------------------------------------------------------------------------
# Hashing and writing
# --------------------------------------------------------------------------------------------


def file_sha256(path: str | Path, *, chunk_size: int = 1 << 20) -> str:
    """SHA-256 hex digest of a file's bytes (recorded in run manifests)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"cannot hash {str(path)!r}: no such file.", source=path.name)
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(chunk_size), b""):
            digest.update(block)
    return digest.hexdigest()


def write_table(frame: pd.DataFrame, path: str | Path, *, digits: int = 12) -> Path:
    """Write a table as CSV, byte-for-byte deterministic.

    UTF-8, ``\\n`` line ends, no index, floats with ``digits`` significant digits (``%.12g`` by
    default, so 0.1 + 0.2 is written 0.3), missing values as empty cells.
    Parent directories are created. Returns the path.
    """
    if not isinstance(frame, pd.DataFrame):
        raise SpecificationError(f"write_table() expects a DataFrame; got {type(frame).__name__}.")
    path = Path(path)
    if path.suffix.lower() != ".csv":
        raise SpecificationError(f"write_table() writes CSV files; got {path.name!r} (use a .csv name).")
    if not isinstance(digits, int) or isinstance(digits, bool) or not 1 <= digits <= 17:
        raise SpecificationError(f"the 'digits' parameter of write_table() must be an integer in 1..17; got {digits!r}.")
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, encoding="utf-8", lineterminator="\n", float_format=f"%.{digits}g")
    return path
