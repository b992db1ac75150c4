"""The run's tables for spreadsheets and the written report: CSV for Excel and one workbook.

``tables/*.csv`` are the machine-readable interface (comma, point, plain UTF-8, column names as
in the results) and stay so. For people who open tables in a spreadsheet, :func:`write_spreadsheets`
also writes every table

* to ``tables/excel/<name>.csv``: UTF-8 with a byte-order mark (so Excel reads accents right), in
  French with ``;`` between fields and a decimal comma (what Excel expects on a French system), in
  English with ``,`` and a point; column headers are the report's labels;
* to one workbook ``tables/tables.xlsx``: one sheet per table, the header row in bold and frozen,
  numbers stored as numbers.

Cells withheld by disclosure control (rows of an indicator table with ``suppressed`` true) hold
the mark "s" (*secret statistique*) in French, "c" (*confidential*) in English, on a grey fill in
the workbook. The workbook's bytes depend only on the tables: its document properties and the
timestamps of its zip entries are fixed.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from .._atomic_write import write_bytes_atomic
from ._i18n import t
from ._labels import column_label

__all__ = ["SUPPRESSED_MARK", "spreadsheet_frame", "write_spreadsheets"]

#: the mark of a cell withheld by disclosure control, by language
SUPPRESSED_MARK = {"fr": "s", "en": "c"}
#: fixed date of the workbook's document properties and zip entries (the same run gives the same bytes)
_FIXED_DATE = datetime(2000, 1, 1)
_ZIP_DATE = (2000, 1, 1, 0, 0, 0)
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def _suppressed_rows(frame: pd.DataFrame) -> np.ndarray:
    if "suppressed" not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    return frame["suppressed"].fillna(False).astype(bool).to_numpy()


def spreadsheet_frame(frame: pd.DataFrame, language: str) -> tuple[pd.DataFrame, np.ndarray]:
    """``frame`` with the report's header labels, yes/no in words and withheld cells marked.

    Returns the frame (numbers left as numbers) and a boolean mask of the withheld cells.
    """
    out = frame.reset_index() if not isinstance(frame.index, pd.RangeIndex) else frame.copy()
    suppressed = _suppressed_rows(out)
    mask = np.zeros(out.shape, dtype=bool)
    for j, column in enumerate(out.columns):
        s = out[column]
        if pd.api.types.is_bool_dtype(s):
            out[column] = s.map({True: t("yes", language), False: t("no", language)})
        elif suppressed.any() and pd.api.types.is_numeric_dtype(s):
            hidden = suppressed & s.isna().to_numpy()
            if hidden.any():
                mask[:, j] = hidden
                out[column] = s.astype(object).where(~hidden, SUPPRESSED_MARK[language])
    out.columns = [column_label(c, language) for c in out.columns]
    return out, mask


def _csv_number(value: object, decimal: str) -> object:
    """A number as text with the language's decimal mark (whole numbers without decimals); other cells as they are."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        return value
    f = float(value)
    if not np.isfinite(f):
        return ""
    text = str(int(f)) if f.is_integer() and abs(f) < 1e15 else repr(f)
    return text.replace(".", decimal)


def _csv_bytes(frame: pd.DataFrame, language: str) -> bytes:
    sep, decimal = (";", ",") if language == "fr" else (",", ".")
    cells = frame.astype(object).apply(lambda col: col.map(lambda v: _csv_number(v, decimal)))
    text = cells.to_csv(index=False, sep=sep, lineterminator="\r\n")
    return "\ufeff".encode() + text.encode("utf-8")


def _sheet_names(names: list[str]) -> list[str]:
    """Excel sheet names: at most 31 characters, none of []:*?/\\, unique (case-insensitively)."""
    out: list[str] = []
    seen: set[str] = set()
    for name in names:
        base = _SHEET_FORBIDDEN.sub("_", name)[:31] or "table"
        candidate, k = base, 1
        while candidate.lower() in seen:
            k += 1
            candidate = f"{base[:31 - len(str(k)) - 1]}~{k}"
        seen.add(candidate.lower())
        out.append(candidate)
    return out


def _cell(value: object) -> object:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, (int, float, str, bool)):
        return value
    return None if pd.isna(value) else str(value)  # type: ignore[arg-type]


def _workbook_bytes(tables: Mapping[str, tuple[pd.DataFrame, np.ndarray]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    wb = Workbook()
    wb.remove(wb.active)
    bold, grey = Font(bold=True), PatternFill("solid", fgColor="D9D9D9")
    for sheet_name, (frame, mask) in zip(_sheet_names(list(tables)), tables.values(), strict=True):
        ws = wb.create_sheet(sheet_name)
        ws.append([str(c) for c in frame.columns])
        for cell in ws[1]:
            cell.font = bold
        for i, row in enumerate(frame.itertuples(index=False), start=2):
            ws.append([_cell(v) for v in row])
            for j in np.flatnonzero(mask[i - 2]):
                ws.cell(row=i, column=int(j) + 1).fill = grey
        ws.freeze_panes = "A2"
        for j, column in enumerate(frame.columns, start=1):
            ws.column_dimensions[ws.cell(row=1, column=j).column_letter].width = min(max(len(str(column)) + 2, 10), 60)
    wb.properties.creator = "iej_impact"
    wb.properties.lastModifiedBy = "iej_impact"
    wb.properties.created = _FIXED_DATE
    buffer = io.BytesIO()
    wb.save(buffer)
    return _fixed_zip(buffer.getvalue())


def _fixed_zip(data: bytes) -> bytes:
    """The same zip with fixed entry timestamps and a fixed 'modified' date (openpyxl stamps the save time)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                                 rb"\g<1>2000-01-01T00:00:00Z\g<2>", content)
            entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_DATE)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            dst.writestr(entry, content)
    return out.getvalue()


def write_spreadsheets(tables: Mapping[str, pd.DataFrame], directory: str | Path, language: str) -> list[Path]:
    """Write ``tables`` (name -> frame) to ``directory/excel/<name>.csv`` and ``directory/tables.xlsx``.

    Returns the paths written. See the module docstring for the formats.
    """
    directory = Path(directory)
    (directory / "excel").mkdir(parents=True, exist_ok=True)
    prepared = {name: spreadsheet_frame(frame, language) for name, frame in tables.items()}
    written = []
    for name, (frame, _mask) in prepared.items():
        path = directory / "excel" / f"{name}.csv"
        write_bytes_atomic(path, _csv_bytes(frame, language))
        written.append(path)
    path = directory / "tables.xlsx"
    write_bytes_atomic(path, _workbook_bytes(prepared))
    written.append(path)
    return written
