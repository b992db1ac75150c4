"""Scale suite: the synthetic cohort written to Parquet block by block (national-scale input data).

Sizes are numbers of participants (twice as many comparison youths, so 3 x size persons; the window
panel has 31 months per person, the balanced one 54). Run from the repository root:

    .venv/bin/python benchmarks/run.py --suite scale                     # 2e5 and 1e6, both panels
    .venv/bin/python benchmarks/run.py --suite scale --only write_window --sizes 1e6

To generate the data for other benchmarks without the harness (one JSON line with the seconds,
the peak resident memory, the rows and the file sizes):

    PYTHONPATH=src .venv/bin/python -m iej_impact.datasets.synthetic.write_parquet --participants 1000000 --out DIR

Each run writes ``persons.parquet``, ``panel.parquet``, ``group_time.parquet`` and ``truth.json`` to a
temporary directory with the defaults of :func:`iej_impact.datasets.write_cohort_parquet` (blocks
of 32 768 persons, chunks of 131 072, zstd), then, when DuckDB is installed, scans the panel once
(rows and mean employment by arm) to show the files are read without loading them.

Measured numbers: benchmarks/README.md (Scale suite).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from benchmarks.run import benchmark

SEED = 20180101


def _write_and_scan(size: int, timer, panel: str) -> dict[str, object]:
    from iej_impact.datasets import write_cohort_parquet

    with tempfile.TemporaryDirectory() as tmp:
        with timer.step("write_parquet", tool="iej_impact"):
            paths = write_cohort_parquet(Path(tmp), size, seed=SEED, panel=panel)
        info: dict[str, object] = {f"{k}_mb": round(p.stat().st_size / 2**20, 2) for k, p in paths.items()}
        try:
            import duckdb
        except ImportError:
            return info
        con = duckdb.connect()
        con.execute("SET enable_progress_bar = false")
        with timer.step("scan_panel", tool="duckdb"):
            rows = con.sql(f"SELECT treated, count(*) AS n, avg(employed) AS employed "
                           f"FROM read_parquet('{paths['panel']}') GROUP BY treated ORDER BY treated").fetchall()
        con.close()
        info["panel_rows"] = sum(r[1] for r in rows)
        info["employed_by_arm"] = {int(r[0]): round(float(r[2]), 4) for r in rows}
    return info


@benchmark("write_window", suite="scale", sizes=(200_000, 1_000_000), packages=("pyarrow", "duckdb"),
           description="write_cohort_parquet with the window panel (-12..+18 months), then a DuckDB scan")
def write_window(size: int, timer) -> dict[str, object]:
    return _write_and_scan(size, timer, "window")


@benchmark("write_balanced", suite="scale", sizes=(200_000, 1_000_000), packages=("pyarrow", "duckdb"),
           description="write_cohort_parquet with the balanced panel (periods 1..54), then a DuckDB scan")
def write_balanced(size: int, timer) -> dict[str, object]:
    return _write_and_scan(size, timer, "balanced")
