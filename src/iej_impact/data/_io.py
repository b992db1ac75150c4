"""Loading and writing tables: files in, one clean DataFrame out, every problem named.

:func:`load_data` reads CSV, Parquet, Excel, Stata and SAS files (or takes a DataFrame), then
applies, in this order and only when asked: column renames (``columns``), per-column parsers
(``parse``: French numbers, shares, dates, flags), value recoding (``codes``) and the canonical
code lists of a table of the data model (``table``). Each step fails loudly with the file, the
column, the offending values with their counts and example rows, and the fix; nothing is
guessed (no separator sniffing, no fuzzy code matching, no silent date-format inference).
The parsers live in :mod:`~iej_impact.data._parsing` (declared per column in
:mod:`~iej_impact.data._parser_specs`), the recoding in :mod:`~iej_impact.data._recoding`.

:func:`write_table` writes a table as byte-for-byte deterministic CSV; :func:`file_sha256` hashes
an input file for the run manifest.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .._validation import suggest
from ..errors import DataError, SpecificationError
from ._datamodel import table_schema
from ._parser_specs import parse_column, parser_spec
from ._recoding import apply_codes
from ._rows import loaded_rows

__all__ = [
    "FORMATS",
    "SUPPORTED_FORMATS",
    "file_format",
    "load_data",
    "read_table",
    "rename_columns",
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
#: readers a ``format`` declaration can name (it wins over the extension)
FORMATS: tuple[str, ...] = ("csv", "excel", "parquet", "stata", "sas")


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


def _source_label(path: Path, source_name: str | None) -> str:
    return source_name if source_name else path.name


def _check_path(path: Path, label: str) -> None:
    if not path.exists():
        near = ""
        if path.parent.is_dir():
            near = suggest(path.name, [p.name for p in path.parent.iterdir()])
        raise DataError(f"data file not found: {str(path)!r}.{near} Check the path (relative paths in a config are "
                        "relative to the config file).", source=label)
    if path.is_dir():
        raise DataError(f"{str(path)!r} is a directory, not a data file.", source=label)


def file_format(path: str | Path, *, format: str | None = None, sep: str | None = None,
                source_name: str | None = None) -> str:
    """The reader of a file (one of :data:`FORMATS`): the declared ``format`` when given, else the
    extension (:data:`SUPPORTED_FORMATS`), else ``"csv"`` when a separator is declared; otherwise
    :class:`DataError` naming the file. Never guessed from the content."""
    path = Path(path)
    label = _source_label(path, source_name)
    if format is not None:
        if not isinstance(format, str) or format not in FORMATS:
            raise DataError(
                f"unknown file format {format!r} declared for {path.name!r}; formats: {', '.join(FORMATS)}."
                + (suggest(format, FORMATS) if isinstance(format, str) else ""),
                source=label,
            )
        if sep is not None and format != "csv":
            raise DataError(
                f"{path.name!r} is declared in format {format!r}, which has no field separator, but a separator "
                f"({sep!r}) is declared too; remove sep, or declare format: csv for a delimited text file.",
                source=label,
            )
        return format
    suffix = path.suffix.lower()
    if suffix in SUPPORTED_FORMATS:
        return SUPPORTED_FORMATS[suffix]
    if sep is not None:  # a declared separator says the file is delimited text, whatever its name
        return "csv"
    raise DataError(
        f"unsupported file type {suffix or '(no extension)'!r} for {path.name!r}; supported: "
        f"{', '.join(SUPPORTED_FORMATS)}. Save the table in one of these formats, or declare how to read it: "
        "sep: ';' (or another separator) for delimited text, or format: "
        f"{' / '.join(FORMATS)}.",
        source=label,
    )


#: leading bytes of binary formats, used only to explain a failed read (never to choose a reader)
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "excel (.xlsx, a zip archive)"),
    (b"\xd0\xcf\x11\xe0", "excel (.xls)"),
    (b"PAR1", "parquet"),
)


def _a(kind: str) -> str:
    return f"an {kind}" if kind[:1] in "aeiou" else f"a {kind}"


def _looks_like(path: Path, kind: str) -> str:
    """' It looks like a parquet file.' when the first bytes say so and the declared reader differs."""
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
    except OSError:
        return ""
    for magic, name in _MAGIC:
        if head.startswith(magic) and not name.startswith(kind):
            return f" Its first bytes are those of {_a(name.split(' ')[0])} file, not {_a(kind)} file."
    return ""


def read_table(
    path: str | Path,
    *,
    format: str | None = None,
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
        ``.sas7bdat`` file; any other name (``.txt``, ``.dat``...) with a declared ``sep`` (read as
        delimited text) or ``format``.
    format : the reader, ``"csv"`` (delimited text), ``"excel"``, ``"parquet"``, ``"stata"`` or
        ``"sas"``; wins over the extension (default: from the extension, see :func:`file_format`).
    sheet : Excel sheet name or 0-based position (default: the first sheet).
    sep : CSV field separator (default ``","``, ``"\\t"`` for ``.tsv``); never sniffed.
    encoding : text encoding (default UTF-8 for CSV, with or without a byte-order mark; the
        file's own encoding for SAS).
    text_columns : columns to read as text (CSV and Excel), e.g. identifiers with leading zeros
        and columns that a parser will read.
    """
    path = Path(path)
    label = _source_label(path, source_name)
    _check_path(path, label)
    kind = file_format(path, format=format, sep=sep, source_name=label)
    declared = f" (declared format: {format})" if format is not None else ""
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
        other = _looks_like(path, kind)
        if other:
            raise DataError(f"could not read {path.name!r} as {_a(kind)} file{declared}.{other} Declare the format "
                            "the file is in (format: ...), or export it again.", source=label) from exc
        raise DataError(
            f"could not decode {path.name!r} as {encoding or 'UTF-8'} ({exc.reason} at byte {exc.start}). "
            "Declare the file's encoding (e.g. encoding: cp1252 or latin-1 for files saved by French Excel).",
            source=label,
        ) from exc
    except pd.errors.EmptyDataError as exc:
        raise DataError(f"{path.name!r} is empty (no header, no rows).", source=label) from exc
    except ImportError as exc:
        raise DataError(
            f"reading {kind} files needs an optional package ({exc}). Install it, or save the table "
            "as .xlsx, .csv or .parquet.",
            source=label,
        ) from exc
    except ValueError as exc:
        if kind == "excel" and sheet is not None and "not found" in str(exc).lower():
            raise DataError(f"sheet {sheet!r} not found in {path.name!r}: {exc}.", source=label) from exc
        raise DataError(f"could not read {path.name!r} as {_a(kind)} file{declared}: {exc}{_looks_like(path, kind)}",
                        source=label) from exc
    except Exception as exc:  # corrupt or truncated files surface many reader-specific errors
        said = "the declared format says" if format is not None else "its extension says"
        raise DataError(
            f"could not read {path.name!r} as {_a(kind)} file{declared} ({type(exc).__name__}: {exc}). The file may "
            f"be corrupt, truncated or of another type than {said}.{_looks_like(path, kind)}",
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
# Renames
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


def _is_text(s: pd.Series) -> bool:
    return pd.api.types.is_string_dtype(s) or (s.dtype == object and s.map(lambda v: isinstance(v, str)).any())


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
    format: str | None = None,
    sheet: str | int | None = None,
    sep: str | None = None,
    encoding: str | None = None,
    source_name: str | None = None,
) -> pd.DataFrame:
    """Load a table from a file (or a DataFrame) and make it analysis-ready, explicitly.

    Steps, in order: read (by declared ``format``, else file extension, else as delimited text
    when ``sep`` is declared) -> rename (``columns``) -> parse (``parse``; with
    ``table``, canonical date columns still in text are read as ISO dates) -> recode (``codes``)
    -> check codes (``table``). Nothing is inferred from the data: separators,
    number styles, date formats and code aliases are all declared.

    Parameters
    ----------
    source : path to a ``.csv``/``.tsv``, ``.parquet``, ``.xlsx``/``.xls``, ``.dta`` or
        ``.sas7bdat`` file (any other name with ``sep`` or ``format``), or a DataFrame (copied,
        never modified).
    columns : renames ``{old_name: new_name}``; an unknown old name is an error (with a suggestion).
    codes : value recoding ``{column: {raw: code}}``, ``{column: "aliases"}`` or, to ignore spaces
        and case in text codes, ``{column: {map: {raw: code}, normalize: True}}``; raw values match
        as read (``1`` read as a number is not the key ``'1'``: declare ``parse={column: "text"}``);
        see :func:`iej_impact.data._recoding.apply_codes`.
    parse : per-column parsers, keyed by the *new* column name: ``"fr_number"``, ``"en_number"``,
        ``"share"``, ``"percent"``, ``"date:%d/%m/%Y"``, ``"date:iso"``, ``"bool"``, ``"category"``,
        ``"text"``, or a mapping
        such as ``{type: fr_number, estimate_column: target_is_estimate}``
        (see :func:`iej_impact.data._parser_specs.parser_spec`). Parsed columns are read as text first.
    table : a canonical table (``participations``, ``operations``, ``comparison_cohort``,
        ``panel``): its text columns (identifiers) are read as text, its date columns given as
        text are parsed as ISO dates (declare ``parse`` for other formats), and every coded
        column that is present is checked against its code list. Run :func:`iej_impact.data._checks.validate_table`
        for the full pre-flight checks (types, required columns, duplicates, date order).
    format : ``"csv"``, ``"excel"``, ``"parquet"``, ``"stata"`` or ``"sas"``: the reader, whatever
        the extension (e.g. a ``.txt`` extract: ``format="csv", sep=";"``; ``sep`` alone also reads
        a file of any extension as delimited text).
    sheet, sep, encoding : reader options (see :func:`read_table`).
    source_name : the name used in messages (default: the file name).

    Returns
    -------
    A new DataFrame with a fresh ``RangeIndex``.

    Raises
    ------
    DataError : missing file, unsupported extension (without ``sep`` or ``format``), unknown
        ``format``, a file that cannot be read in its format, a file with a header but no
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
        _check_path(path, label)
        kind = file_format(path, format=format, sep=sep, source_name=label)
        inverse = {new: old for old, new in columns.items()}
        text = [inverse.get(c, c) for c in specs]
        if schema is not None:
            text += [inverse.get(c.name, c.name) for c in schema if c.dtype == "str"]
        frame = read_table(path, format=format, sheet=sheet, sep=sep, encoding=encoding, text_columns=tuple(dict.fromkeys(text)),
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
    rows = loaded_rows(frame, kind)
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
    rows = loaded_rows(frame, kind)
    if codes or schema is not None:
        frame = apply_codes(frame, codes, table=table, source=label, rows=rows)
    return frame


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
