"""Engine suite: att_gt and twfe on a Parquet panel, through DuckDB (out of core) and in memory.

Run from the repository root (sizes are numbers of units; every unit has 20 periods, so 1e6 units
are 2e7 rows):

    .venv/bin/python benchmarks/run.py --suite engine                                   # defaults below
    .venv/bin/python benchmarks/run.py --suite engine --sizes 1e6 --timeout 1800
    IEJ_DUCKDB_MEMORY_LIMIT=300MB .venv/bin/python benchmarks/run.py --suite engine --only att_gt_duckdb

Design. A balanced staggered panel of n units x 20 periods (columns id, t, g, y, d): 40% of the
units never treated, the others first treated in period 6, 9, 12, 15 or 18; y = unit effect +
period trend + an effect growing with exposure + noise. It is written once per size, 50,000
units per row group with ``pyarrow.parquet.ParquetWriter`` (so writing never holds the panel in
memory), to ``$IEJ_BENCH_DIR`` (default: the system temporary directory) and reused by the other
benchmarks of the same size; the write is timed by the run that creates it.

Each benchmark runs in its own process (the harness), so ``peak_rss_mb`` is that path's alone
(``write_panel`` runs first and writes the file, so the others only read it):

* ``att_gt_duckdb``: :func:`iej_impact.engines.att_gt_engine` on the Parquet files with DuckDB
  limited to ``$IEJ_DUCKDB_MEMORY_LIMIT`` (default 500MB, below the size of the data in memory)
  and 2 threads, then the simple and dynamic aggregations;
* ``att_gt_in_memory``: ``pandas.read_parquet`` then :func:`iej_impact.att_gt` and the same
  aggregations (never-treated comparison, varying base period, analytic SEs for both);
* ``twfe_duckdb`` / ``twfe_in_memory``: the same for :func:`~iej_impact.engines.twfe_engine` and
  :func:`iej_impact.twfe` (SE clustered by unit).

``info`` records the estimates (overall simple ATT, its SE, the TWFE coefficient and SE) so the
two paths can be compared across the JSON records.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from benchmarks.run import benchmark

SEED = 20180101
N_PERIODS = 20
COHORTS = (6, 9, 12, 15, 18)
CHUNK_UNITS = 50_000
MEMORY_LIMIT = os.environ.get("IEJ_DUCKDB_MEMORY_LIMIT", "500MB")


def panel_path(size: int) -> Path:
    folder = Path(os.environ.get("IEJ_BENCH_DIR", tempfile.gettempdir())) / "iej_bench_engine"
    return folder / f"panel_{size}_{N_PERIODS}.parquet"


def write_panel(size: int, path: Path) -> None:
    """The panel of the module docstring, written chunk by chunk (memory: one chunk)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".partial")
    rng = np.random.default_rng(SEED)
    schema = pa.schema([("id", pa.int64()), ("t", pa.int64()), ("g", pa.float64()), ("y", pa.float64()),
                        ("d", pa.int8())])
    periods = np.arange(1, N_PERIODS + 1)
    with pq.ParquetWriter(tmp, schema) as writer:
        for start in range(0, size, CHUNK_UNITS):
            n = min(CHUNK_UNITS, size - start)
            cohort = np.where(rng.random(n) < 0.4, np.nan, rng.choice(np.array(COHORTS, dtype=float), size=n))
            unit = np.repeat(np.arange(start, start + n), N_PERIODS)
            t = np.tile(periods, n)
            g = cohort[unit - start]
            exposure = np.where(t >= g, t - g + 1.0, 0.0)  # NaN >= x is False: never treated
            y = (rng.normal(size=n)[unit - start] + 0.05 * t + 0.1 * exposure * (1 + np.nan_to_num(g) / 20)
                 + rng.normal(size=n * N_PERIODS))
            d = (exposure > 0).astype(np.int8)
            writer.write_table(pa.table({"id": unit, "t": t, "g": pa.array(g, from_pandas=True), "y": y, "d": d},
                                        schema=schema))
    tmp.rename(path)


def ensure_panel(size: int, timer) -> Path:
    path = panel_path(size)
    if not path.exists():
        with timer.step("write_parquet", tool="pyarrow"):
            write_panel(size, path)
    timer.info(rows=size * N_PERIODS, parquet_mb=round(path.stat().st_size / 2**20, 1),
               data_mb_in_memory=round(size * N_PERIODS * (8 * 4 + 1) / 2**20, 1))
    return path


@benchmark("write_panel", suite="engine", sizes=(100_000, 1_000_000), packages=("pyarrow",),
           description="write the Parquet panel in chunks (skipped when it exists)")
def write_panel_bench(size: int, timer) -> dict[str, object]:
    ensure_panel(size, timer)
    return {"path": str(panel_path(size))}


GT = {"outcome": "y", "unit": "id", "time": "t", "cohort": "g"}
TW = {"outcome": "y", "unit": "id", "time": "t", "treatment": "d"}


def _gt_info(res, timer, label: str) -> dict[str, object]:
    with timer.step("aggregate", tool=label):
        simple = res.aggregate("simple")
        dynamic = res.aggregate("dynamic")
    return {"att_simple": simple.estimate, "se_simple": simple.std_error, "att_dynamic": dynamic.estimate,
            "se_dynamic": dynamic.std_error, "cells": len(res.table), "att_gt_first": float(res.table["estimate"].iloc[0]),
            "se_gt_first": float(res.table["std_error"].iloc[0])}


@benchmark("att_gt_duckdb", suite="engine", sizes=(100_000, 1_000_000), packages=("duckdb", "pyarrow"),
           description="att_gt_engine on Parquet, DuckDB with memory_limit below the data size")
def att_gt_duckdb(size: int, timer) -> dict[str, object]:
    from iej_impact.engines import att_gt_engine

    path = ensure_panel(size, timer)
    with timer.step("att_gt", tool="duckdb"):
        res = att_gt_engine(str(path), **GT, memory_limit=MEMORY_LIMIT, threads=2)
    return {"memory_limit": MEMORY_LIMIT, **_gt_info(res, timer, "duckdb")}


@benchmark("att_gt_in_memory", suite="engine", sizes=(100_000, 1_000_000), packages=("pyarrow",),
           description="read_parquet + att_gt in pandas/numpy")
def att_gt_in_memory(size: int, timer) -> dict[str, object]:
    import pandas as pd

    from iej_impact import att_gt

    path = ensure_panel(size, timer)
    with timer.step("read_parquet", tool="pandas"):
        data = pd.read_parquet(path)
    with timer.step("att_gt", tool="in_memory"):
        res = att_gt(data, **GT)
    return _gt_info(res, timer, "in_memory")


@benchmark("twfe_duckdb", suite="engine", sizes=(100_000, 1_000_000), packages=("duckdb", "pyarrow"),
           description="twfe_engine on Parquet, DuckDB with memory_limit below the data size")
def twfe_duckdb(size: int, timer) -> dict[str, object]:
    from iej_impact.engines import twfe_engine

    path = ensure_panel(size, timer)
    with timer.step("twfe", tool="duckdb"):
        res = twfe_engine(str(path), **TW, memory_limit=MEMORY_LIMIT, threads=2)
    return {"memory_limit": MEMORY_LIMIT, "twfe": res.estimate, "twfe_se": res.std_error}


@benchmark("twfe_in_memory", suite="engine", sizes=(100_000, 1_000_000), packages=("pyarrow",),
           description="read_parquet + twfe in pandas/numpy")
def twfe_in_memory(size: int, timer) -> dict[str, object]:
    import pandas as pd

    from iej_impact import twfe

    path = ensure_panel(size, timer)
    with timer.step("read_parquet", tool="pandas"):
        data = pd.read_parquet(path)
    with timer.step("twfe", tool="in_memory"):
        res = twfe(data, **TW)
    return {"twfe": res.estimate, "twfe_se": res.std_error}
