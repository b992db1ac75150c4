"""External tables of a run (``data.external``): Parquet files the run never loads.

:func:`open_external` lists each table's files (a file, a folder, a glob or a list of them), reads
the schema of the first and the row count of each from its Parquet footer (a few kilobytes per file),
and returns :class:`ExternalTable` records: what an engine analysis reads (``source``), the columns
``validate`` checks the analysis against, and the rows and bytes the manifest records. Remote URLs
(``s3a://``, ``hdfs://``) are passed to the engine unread. No estimator here: the engines
(:mod:`iej_impact.engines`, Callaway & Sant'Anna 2021 and two-way fixed effects from sufficient
statistics) read the rows; see :mod:`iej_impact._run_engine`.

Reference: Apache Parquet format specification (file footer: schema and row-group metadata),
https://parquet.apache.org/docs/file-format/.
"""

from __future__ import annotations

import glob
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ConfigError

__all__ = ["ExternalTable", "open_external"]


@dataclass(frozen=True)
class ExternalTable:
    """A Parquet table the run does not load: its files, schema and row count (from the footers)."""

    name: str
    source: list[str]  # what the engine reads: the files (resolved) or remote URLs
    files: list[str]
    columns: list[str]
    rows: int | None  # None for remote URLs (not opened here)
    bytes: int | None

    def record(self, given: Any) -> dict[str, Any]:
        return {"role": f"external:{self.name}", "path": given, "files": len(self.files) or None,
                "bytes": self.bytes, "rows": self.rows, "sha256": None,
                "note": "not hashed: an external table is read by the engine only (hashing would read it once more)"}


def open_external(data: Mapping[str, Any], resolve: Callable[[str], Path]) -> dict[str, ExternalTable]:
    """The ``data.external`` tables: files found, schema and row counts read from the Parquet footers."""
    import pyarrow.parquet as pq

    out: dict[str, ExternalTable] = {}
    for name, spec in data.get("external", {}).items():
        loc = f"data.external.{name}.path"
        given = spec["path"] if isinstance(spec["path"], list) else [spec["path"]]
        files: list[str] = []
        remote = [p for p in given if "://" in p]
        for p in given:
            if "://" in p:
                continue
            path = resolve(p)
            found = (sorted(glob.glob(str(path / "**" / "*.parquet"), recursive=True)) if path.is_dir()
                     else sorted(glob.glob(str(path), recursive=True)))
            if not found:
                raise ConfigError(f"no Parquet file matches {str(path)!r}.", location=loc)
            files += found
        try:
            columns = [str(c) for c in pq.read_schema(files[0]).names] if files else []
            rows = sum(pq.read_metadata(f).num_rows for f in files) if files and not remote else None
        except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
            raise ConfigError(f"cannot read the Parquet footer of {files[0]!r}: {exc}", location=loc) from exc
        size = sum(Path(f).stat().st_size for f in files) if files and not remote else None
        if remote:  # the schema of remote files is the engine's to read
            columns = []
        out[name] = ExternalTable(name=name, source=files + remote, files=files, columns=columns, rows=rows, bytes=size)
    return out
