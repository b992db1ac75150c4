"""The synthetic IEJ cohort written to Parquet block by block, for national-scale work.

:func:`write_cohort_parquet` draws the cohort of :func:`simulate_cohort` (the same data-generating
process, the same code: :func:`._cohort._simulate_persons`) a block of persons at a time and appends
each block to Parquet files, so memory stays bounded whatever the number of persons. 10^6
participants and 2 x 10^6 comparison youths (2-core machine, defaults): with the window panel
(9.3e7 rows) about 80 s and 0.6 GB of peak memory, files of 40 MB (persons) and 78 MB (panel); with
the balanced panel (1.62e8 rows) about 105 s, 0.8 GB and 100 MB (benchmarks/bench_scale.py). It
writes, in one directory:

* ``persons.parquet``: the analysis-ready ``persons`` table of :class:`SyntheticCohort`, plus
  ``person_index`` (int32, the row of the person: participants 0..n1-1, then comparison youths);
* ``panel.parquet`` (unless ``panel="none"``): the person x month panel, sorted by person then
  period, with ``person_index`` too;
* ``group_time.parquet``: the true ATT(g, t) of the panel outcomes;
* ``truth.json``: the true ATT, ATE and ATC of each outcome and every parameter of the DGP, laid out
  as :meth:`SyntheticCohort.write` lays it out.

Compact types on disk: int32 periods and ``person_index``, int8 flags, outcomes, ages and counts,
int32 ``first_treat_period`` (null for comparison youths), ``date32`` dates, and dictionary-encoded
text (``person_id`` in the panel, ``group``, ``territory_id``, ``national_level``,
``lm_status_entry``, ``operation_id``, ``action_type``) with fixed dictionaries where the codes are
known. pandas reads dictionary columns as categoricals and ``date32`` as ``datetime.date`` objects
(``pyarrow.parquet.read_table(path).to_pandas(date_as_object=False)`` gives datetime64); DuckDB reads
them as VARCHAR and DATE.

Blocks and seeds (what is guaranteed)
-------------------------------------
Each arm is cut into blocks of ``block_size`` persons (participants ``P...`` first, then
comparison youths ``C...``; the last block of an arm may be shorter). Block b of arm a (0 =
participants, 1 = comparison) draws from five generators, the children of
``SeedSequence(seed, spawn_key=(6, a, b))`` (that is, ``SeedSequence(seed).spawn(7)[6].spawn(2)[a]``
``.spawn(b + 1)[b]``): persons, administration and the core / forward / backward months, used as
:func:`simulate_cohort` uses its own. The design (territory weights and effects, operations) is
drawn once from ``SeedSequence(seed).spawn(6)[0]``, exactly as :func:`simulate_cohort` draws it, so
a chunked cohort and ``simulate_cohort(n, seed=seed)`` share their territories and operations.
Hence:

* the same ``(n_participants, comparison_ratio, seed, block_size, panel, months_before,
  months_after)`` gives the same tables whatever ``chunk_size``: the same rows, values, order and
  Arrow types (``chunk_size`` only sets how many blocks are generated and written together, i.e.
  the row groups and the memory used), and the same ``truth.json`` and ``group_time.parquet`` bytes;
* with ``chunk_size`` too (and the same pyarrow), the files are byte-identical;
* a different ``block_size`` gives another draw from the same process, and the chunked cohort is
  another draw than ``simulate_cohort(n, seed=seed)`` in one piece (which draws both arms from one
  generator).

Whole-sample quantities
-----------------------
Read off :mod:`._cohort`, these are the quantities of the cohort that depend on the whole sample,
and how each is handled:

* the number of comparison youths, ``round(comparison_ratio * n_participants)`` (at least 1), is
  computed from the totals before the arms are cut into blocks, so it is exactly
  :func:`simulate_cohort`'s;
* the design (territories, their effects, the operations) is drawn once (above), not per block;
* person identifiers are numbered over the whole arm (block b starts at ``b * block_size + 1``);
* the truth (means of p1 - p0 and y1 - y0 over each estimand's population) and ATT(g, t) (sums of
  p1 - p0 and counts by cohort and period) are accumulated over the blocks in block order: each
  block's sums are correctly rounded, and so is their sum, so the truth agrees with the in-memory
  formula on the same persons to about 1e-15;
* dictionaries of categorical columns are the fixed code lists (all 20 territories, both groups),
  never the values seen in one block;
* the exit cells of first participations are exact counts (largest remainders) *per block* rather
  than for the whole cohort: this only touches the participations table, which is not written here
  (``persons.n_participations`` depends on second participations, drawn per person).

No covariate is standardised, ranked or cut at sample quantiles (education is cut at fixed
quantiles of the normal distribution), so nothing else depends on the sample.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..._validation import arguments_checked, check_choice, check_number
from ...errors import SpecificationError
from ...results import jsonable
from ._cohort import _Design, _draw_design, _Persons, _simulate_persons
from ._monthly_outcomes import _event_window, _group_time_table
from ._outcome_model import PANEL_OUTCOMES
from ._population import _N_TERRITORIES
from ._truth import _add_truth_sums, _params, _truth_rows, _truth_sums

__all__ = ["BLOCK_SIZE", "CHUNK_SIZE", "write_cohort_parquet"]

_FUNC = "write_cohort_parquet"
#: persons per block (the unit of the draw) and per chunk (the unit of writing), by default
BLOCK_SIZE, CHUNK_SIZE = 2**15, 2**17
#: spawn-key child of the seed for the design (as in simulate_cohort) and for the blocks
_DESIGN_CHILD, _BLOCK_CHILD = 0, 6
_MAX_PERSONS = 2**31 - 1  # person_index is int32
_COMPRESSIONS = ("zstd", "snappy", "gzip", "brotli", "lz4", "none")

_TERRITORIES = tuple(f"ML{i + 1:02d}" for i in range(_N_TERRITORIES))
_NATIONAL_LEVELS = ("VI", "VBIS", "V", "IV", "III", "II", "I")


def _int(bits: int) -> tuple[str, int]:
    return ("int", bits)


#: column -> on-disk type: ("int", bits), ("date",), ("string",), ("dict", values or None for the frame's own)
_PERSONS_TYPES: dict[str, tuple[Any, ...]] = {
    "person_id": ("string",), "person_index": _int(32), "treated": _int(8), "entry_date": ("date",),
    "month": ("date",), "entry_period": _int(32), "first_treat_period": _int(32),
    "female": _int(8), "age": _int(8), "isced": _int(8), "isced_0_2": _int(8), "isced_0_4": _int(8),
    "national_level": ("dict", _NATIONAL_LEVELS), "jobless_household": _int(8), "disability": _int(8),
    "social_minima": _int(8), "homeless": _int(8), "qpv_resident": _int(8), "rural": _int(8),
    "hh_dependent_children": _int(8), "hh_single_adult": _int(8),
    "lm_status_entry": ("dict", ("UNEMPLOYED", "INACTIVE")), "unemployed_entry": _int(8),
    "unemp_duration_months": _int(8), "territory_id": ("dict", _TERRITORIES), "emp_months_pre12": _int(8),
    "operation_id": ("dict", "operations"), "action_type": ("dict", "operations"), "n_participations": _int(8),
    "employed_6m": _int(8), "employed_12m": _int(8), "employed_18m": _int(8), "training_6m": _int(8),
    "training_12m": _int(8),
}
_PANEL_TYPES: dict[str, tuple[Any, ...]] = {
    "person_id": ("dict", None), "person_index": _int(32), "period": _int(32), "month": ("date",),
    "event_time": _int(8), "group": ("dict", ("TREATED", "COMPARISON")), "first_treat_period": _int(32),
    "treated": _int(8), "post": _int(8), "treated_post": _int(8), "employed": _int(8), "in_training": _int(8),
    "territory_id": ("dict", _TERRITORIES), "female": _int(8), "age": _int(8), "isced_0_2": _int(8),
    "jobless_household": _int(8),
}


def write_cohort_parquet(
    path: str | Path,
    n_participants: int,
    *,
    comparison_ratio: float = 2.0,
    seed: int = 20180101,
    panel: Literal["window", "balanced", "none"] = "window",
    months_before: int = 12,
    months_after: int = 18,
    chunk_size: int = CHUNK_SIZE,
    block_size: int = BLOCK_SIZE,
    compression: str = "zstd",
) -> dict[str, Path]:
    """Simulate the synthetic IEJ cohort block by block and write it to Parquet in bounded memory.

    The data-generating process is :func:`simulate_cohort`'s (documented in
    :mod:`iej_impact.datasets.synthetic._cohort`); the files, the seeding of the blocks, what is
    guaranteed to be reproducible and how whole-sample quantities are handled are documented in
    :mod:`iej_impact.datasets.synthetic._chunked`. Memory grows with ``chunk_size`` (and the panel's
    width), not with ``n_participants``: about 0.6 GB of peak memory at the defaults with the window
    panel, 0.8 GB with the balanced one.

    Parameters
    ----------
    path : directory to write into (created if needed); existing files of the same names are
        replaced, each only once it is complete.
    n_participants : number of participants, at least 10.
    comparison_ratio, seed, panel, months_before, months_after : as in :func:`simulate_cohort`.
    chunk_size : persons generated and written together (one row group of ``persons.parquet``),
        rounded down to a whole number of blocks (at least one). It does not change the data.
    block_size : persons per block, the unit of the draw: the same seed with another block size is
        another draw.
    compression : Parquet compression codec: ``"zstd"`` (the smallest files), ``"snappy"``, ``"gzip"``,
        ``"brotli"``, ``"lz4"`` or ``"none"``.

    Returns
    -------
    dict
        The path of each file written: ``persons``, ``panel`` (unless ``panel="none"``),
        ``group_time`` and ``truth_json``.

    Examples
    --------
    >>> import tempfile, json
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     paths = write_cohort_parquet(tmp, 300, seed=1, block_size=100)
    ...     doc = json.loads(paths["truth_json"].read_text())
    >>> doc["rows"]["persons"], doc["rows"]["panel"]
    (900, 27900)
    """
    n1 = int(check_number("n_participants", n_participants, _FUNC, low=10, integer=True))
    ratio = check_number("comparison_ratio", comparison_ratio, _FUNC, low=0.0, low_open=True, high=100.0)
    seed_ = int(check_number("seed", seed, _FUNC, low=0, integer=True))
    check_choice("panel", panel, ("window", "balanced", "none"), _FUNC)
    mb = int(check_number("months_before", months_before, _FUNC, low=0, high=36, integer=True))
    ma = int(check_number("months_after", months_after, _FUNC, low=0, high=36, integer=True))
    block = int(check_number("block_size", block_size, _FUNC, low=1, integer=True))
    chunk = int(check_number("chunk_size", chunk_size, _FUNC, low=1, integer=True))
    check_choice("compression", compression, _COMPRESSIONS, _FUNC)
    n0 = max(1, int(round(ratio * n1)))
    if n1 + n0 > _MAX_PERSONS:
        raise SpecificationError(f"the 'n_participants' parameter of {_FUNC}() is too large: the cohort would have "
                                 f"{n1 + n0} persons, and person_index is a 32-bit integer (at most {_MAX_PERSONS}).")
    arguments_checked()
    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)

    design = _draw_design(np.random.default_rng(np.random.SeedSequence(seed_, spawn_key=(_DESIGN_CHILD,))))
    blocks = _blocks(n1, n0, block)
    per_chunk = max(1, chunk // block)
    e_range, gt_span, gt_rule = _event_window(panel, mb, ma)
    persons_types = _resolved(_PERSONS_TYPES, design)
    writers = {"persons": _Writer(out / "persons.parquet", persons_types, compression)}
    if panel != "none":
        writers["panel"] = _Writer(out / "panel.parquet", _resolved(_PANEL_TYPES, design), compression)
    truth_parts: list[dict[tuple[str, str], tuple[float, float, int]]] = []
    gt_sum = None
    gt_n = None
    try:
        for group in _grouped(blocks, per_chunk):
            tables: dict[str, list[Any]] = {name: [] for name in writers}
            for arm, b, size in group:
                part = _draw_block(design, seed_, arm, b, size, block, panel, mb, ma)
                offset = b * block + (0 if arm == 0 else n1)
                tables["persons"].append(_arrow_table(part.persons, persons_types, offset))
                if "panel" in writers:
                    tables["panel"].append(_arrow_table(part.panel, writers["panel"].types, offset))
                truth_parts.append(_truth_sums(part.treated, part.sim["po"]))
                gt_sum = part.sim["gt_sum"] if gt_sum is None else {k: gt_sum[k] + part.sim["gt_sum"][k]
                                                                     for k in PANEL_OUTCOMES}
                gt_n = part.sim["gt_n"] if gt_n is None else gt_n + part.sim["gt_n"]
                del part
            for name, parts in tables.items():
                writers[name].write(parts)
            del tables
        paths = {name: w.close() for name, w in writers.items()}
    except BaseException:
        for w in writers.values():
            w.abort()
        raise

    group_time = _group_time_table(gt_sum, gt_n, gt_span)
    paths["group_time"] = _write_small(out / "group_time.parquet", group_time, compression)
    truth = _truth_rows(_add_truth_sums(truth_parts))
    params = _params(seed_, n1, n0, ratio, panel, mb, ma, design.territory_weights, design.territory_effect)
    params["generator"] = "iej_impact.datasets.write_cohort_parquet"
    params["blocks"] = {"block_size": block, "participant_blocks": sum(1 for a, _, _ in blocks if a == 0),
                        "comparison_blocks": sum(1 for a, _, _ in blocks if a == 1),
                        "seeding": "block b of arm a (0 participants, 1 comparison): the children of "
                                   "SeedSequence(seed, spawn_key=(6, a, b)).spawn(5); design: "
                                   "SeedSequence(seed).spawn(6)[0]"}
    rows = {"persons": n1 + n0, "participants": n1, "comparison": n0,
            "panel": writers["panel"].rows if "panel" in writers else 0, "group_time": len(group_time)}
    doc = {
        "description": "True effects of the synthetic IEJ cohort written by iej_impact.datasets.write_cohort_parquet "
                       "(the data-generating process of iej_impact.simulate_cohort); value = mean of p1 - p0 over "
                       "the estimand's population.",
        "seed": seed_,
        "rows": rows,
        "truth": jsonable(truth),
        "params": jsonable(params),
    }
    text = json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    paths["truth_json"] = _replace(out / "truth.json", lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return paths


def _blocks(n1: int, n0: int, block: int) -> list[tuple[int, int, int]]:
    """(arm, block index, persons) of every block: participants' blocks, then comparison youths'."""
    return [(arm, b, min(block, n - b * block)) for arm, n in ((0, n1), (1, n0)) for b in range(-(-n // block))]


def _grouped(blocks: list[tuple[int, int, int]], k: int) -> Iterator[list[tuple[int, int, int]]]:
    for i in range(0, len(blocks), k):
        yield blocks[i:i + k]


def _draw_block(design: _Design, seed: int, arm: int, b: int, size: int, block: int, panel: str, mb: int,
                ma: int) -> _Persons:
    """Block ``b`` of arm ``arm``: ``size`` persons of that arm drawn from the block's own generators."""
    children = np.random.SeedSequence(seed, spawn_key=(_BLOCK_CHILD, arm, b)).spawn(5)
    rngs = tuple(np.random.default_rng(s) for s in children)
    first = b * block + 1
    n1, n0, first_id = (size, 0, (first, 1)) if arm == 0 else (0, size, (1, first))
    return _simulate_persons(design, rngs, n1, n0, panel=panel, mb=mb, ma=ma, first_id=first_id)


def _resolved(types: dict[str, tuple[Any, ...]], design: _Design) -> dict[str, Any]:
    """The Arrow type of each column, with the dictionaries of the operation columns from the design."""
    import pyarrow as pa

    out: dict[str, Any] = {}
    for col, spec in types.items():
        if spec[0] == "int":
            out[col] = pa.int8() if spec[1] == 8 else pa.int32()
        elif spec[0] == "date":
            out[col] = pa.date32()
        elif spec[0] == "string":
            out[col] = pa.string()
        else:
            values = spec[1]
            if values == "operations":
                values = tuple(sorted(set(design.ops[col].dropna().astype(str))))
            out[col] = (pa.dictionary(pa.int32() if values is None else pa.int8(), pa.string()), values)
    return out


def _arrow_table(frame: pd.DataFrame, types: dict[str, Any], offset: int) -> Any:
    """``frame`` as an Arrow table with the on-disk types (``person_index`` = offset + row)."""
    import pyarrow as pa

    arrays = []
    for col, typ in types.items():
        if col == "person_index":
            arrays.append(pa.array(offset + frame["person_id"].cat.codes.to_numpy(dtype=np.int64)
                                   if isinstance(frame["person_id"].dtype, pd.CategoricalDtype)
                                   else offset + np.arange(len(frame), dtype=np.int64), type=pa.int32()))
            continue
        s = frame[col]
        if isinstance(typ, tuple):  # dictionary: fixed values, or the column's own categories
            dtype, values = typ
            if values is None:
                codes, values = s.cat.codes.to_numpy(), s.cat.categories
            elif isinstance(s.dtype, pd.CategoricalDtype):  # recode the categories, not every row
                recode = np.append(pd.Index(values).get_indexer(s.cat.categories), -1)
                codes = recode[s.cat.codes.to_numpy()]  # code -1 (missing) picks the appended -1
            else:
                codes = pd.Index(values).get_indexer(s.astype(object))
                if ((codes < 0) & s.notna().to_numpy()).any():
                    raise RuntimeError(f"column {col!r}: values outside its fixed dictionary")  # a bug, not input
            indices = pa.array(codes, type=dtype.index_type, mask=np.asarray(codes) < 0)
            arrays.append(pa.DictionaryArray.from_arrays(indices, pa.array(list(values), pa.string())))
        elif pa.types.is_date32(typ):
            arrays.append(pa.array(s.to_numpy().astype("datetime64[D]"), type=typ))
        elif pa.types.is_string(typ):
            arrays.append(pa.array(s, type=typ))
        else:
            arrays.append(_integers(col, s.to_numpy(), typ))
    return pa.Table.from_arrays(arrays, schema=_schema(types))


def _integers(col: str, values: np.ndarray, typ: Any) -> Any:
    """An integer Arrow array, null where ``values`` is NaN; values out of the type's range are a bug."""
    import pyarrow as pa

    missing = np.isnan(values) if values.dtype.kind == "f" else None
    if missing is not None:
        values = np.where(missing, 0, values)
    info = np.iinfo(typ.to_pandas_dtype())
    if values.size and (values.min() < info.min or values.max() > info.max):
        raise RuntimeError(f"column {col!r} does not fit {typ}")  # a bug, not input
    return pa.array(values.astype(typ.to_pandas_dtype()), type=typ,
                    mask=missing if missing is not None and missing.any() else None)


def _schema(types: dict[str, Any]) -> Any:
    import pyarrow as pa

    return pa.schema([pa.field(col, typ[0] if isinstance(typ, tuple) else typ) for col, typ in types.items()])


class _Writer:
    """A Parquet file written chunk by chunk to a temporary name and moved into place when complete."""

    def __init__(self, path: Path, types: dict[str, Any], compression: str) -> None:
        import pyarrow.parquet as pq

        self.path, self.types, self.rows = path, types, 0
        self.tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        self.writer = pq.ParquetWriter(self.tmp, _schema(types), compression=compression)

    def write(self, tables: list[Any]) -> None:
        import pyarrow as pa

        table = pa.concat_tables(tables)
        self.writer.write_table(table, row_group_size=max(1, min(table.num_rows, 2**20)))
        self.rows += table.num_rows

    def close(self) -> Path:
        self.writer.close()
        os.replace(self.tmp, self.path)
        return self.path

    def abort(self) -> None:
        try:
            self.writer.close()
        finally:
            self.tmp.unlink(missing_ok=True)


def _write_small(path: Path, frame: pd.DataFrame, compression: str) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    return _replace(path, lambda tmp: pq.write_table(table, tmp, compression=compression))


def _replace(path: Path, write: Callable[[Path], object]) -> Path:
    """Write through ``write(tmp)`` to a temporary file beside ``path``, then move it into place."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
