"""Command line: write the synthetic IEJ cohort to Parquet in bounded memory (national-scale data).

    python -m iej_impact.datasets.synthetic.write_parquet --participants 1000000 --out DIR
        [--comparison-ratio 2] [--seed 20180101] [--panel window|balanced|none]
        [--months-before 12] [--months-after 18] [--chunk-size 131072] [--block-size 32768]
        [--compression zstd]

Runs :func:`iej_impact.datasets.write_cohort_parquet` and prints one JSON line: the files and their
sizes, the row counts, the wall-clock seconds and the peak resident memory of the process (MB; on
Linux and macOS). Exit status 0 on success, 2 on a bad argument (the message names it).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence

from ...errors import SpecificationError
from ._chunked import BLOCK_SIZE, CHUNK_SIZE, write_cohort_parquet


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m iej_impact.datasets.synthetic.write_parquet",
                                description="Write the synthetic IEJ cohort (persons, panel, truth) to Parquet.")
    p.add_argument("--participants", type=int, required=True, help="number of participants")
    p.add_argument("--out", required=True, help="output directory (created if needed)")
    p.add_argument("--comparison-ratio", type=float, default=2.0)
    p.add_argument("--seed", type=int, default=20180101)
    p.add_argument("--panel", choices=("window", "balanced", "none"), default="window")
    p.add_argument("--months-before", type=int, default=12)
    p.add_argument("--months-after", type=int, default=18)
    p.add_argument("--chunk-size", type=int, default=CHUNK_SIZE, help="persons written together (memory)")
    p.add_argument("--block-size", type=int, default=BLOCK_SIZE, help="persons per block (part of the draw)")
    p.add_argument("--compression", default="zstd")
    return p


def _peak_rss_mb() -> float | None:
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    start = time.perf_counter()
    try:
        paths = write_cohort_parquet(
            args.out, args.participants, comparison_ratio=args.comparison_ratio, seed=args.seed, panel=args.panel,
            months_before=args.months_before, months_after=args.months_after, chunk_size=args.chunk_size,
            block_size=args.block_size, compression=args.compression)
    except SpecificationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    seconds = time.perf_counter() - start
    rows = json.loads(paths["truth_json"].read_text(encoding="utf-8"))["rows"]
    print(json.dumps({"seconds": round(seconds, 2), "peak_rss_mb": _peak_rss_mb(), "rows": rows,
                      "files": {k: str(v) for k, v in paths.items()},
                      "mb": {k: round(v.stat().st_size / 2**20, 2) for k, v in paths.items()}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
