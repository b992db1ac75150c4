"""National suite: configs/national_scale.yaml run end to end on a cohort written to Parquet.

Sizes are numbers of participants (3 x size persons; the balanced panel has 54 months per person,
so 1.62 * 10^8 rows at 10^6). Each run writes the cohort with
:func:`iej_impact.datasets.write_cohort_parquet` (``panel="balanced"``) into a temporary directory,
points the config's ``data.path`` and ``data.external.panel`` at it, and runs the whole
configuration (persons loaded in pandas, att_gt and twfe by DuckDB on the panel, report written).
Run from the repository root:

    .venv/bin/python benchmarks/run.py --suite national --sizes 1e5
    .venv/bin/python benchmarks/run.py --suite national --sizes 1e6 --timeout 3600

The run's manifest (``steps``: seconds and peak memory of each step) is recorded in ``info``.

Measured numbers: benchmarks/README.md (National suite).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from benchmarks.run import benchmark

SEED = 20180101
CONFIG = Path(__file__).resolve().parents[1] / "configs" / "national_scale.yaml"


def run_national(size: int, timer, workdir: Path) -> dict[str, object]:
    """Write the cohort into ``workdir`` and run configs/national_scale.yaml on it; the run's step table."""
    from iej_impact import runner
    from iej_impact._yaml import read_yaml
    from iej_impact.config import parse_config
    from iej_impact.datasets import write_cohort_parquet

    with timer.step("write_cohort_parquet", tool="iej_impact"):
        paths = write_cohort_parquet(workdir / "cohort", size, seed=SEED, panel="balanced")
    raw = read_yaml(CONFIG)
    raw["data"]["path"] = str(paths["persons"])
    raw["data"]["external"]["panel"]["path"] = str(paths["panel"])
    cfg = parse_config(raw, base_dir=CONFIG.parent, path=CONFIG)
    with timer.step("run_config", tool="iej_impact"):
        result = runner.run(cfg, output_dir=workdir / "run", force=True)
    manifest = json.loads((result.output_dir / "manifest.json").read_text(encoding="utf-8"))
    ext = manifest["external_tables"]["panel"]
    return {"panel_rows": ext["rows"], "panel_mb": round(ext["bytes"] / 2**20, 1),
            "persons_rows": manifest["row_accounting"][0]["rows_in"],
            "persons_in_sample": manifest["row_accounting"][-1]["rows_out"],
            "att_simple": result.results_json["results"]["cs_employment.simple"]["estimate"],
            "twfe": result.results_json["results"]["twfe_employment"]["estimate"],
            # the run resets the kernel's peak RSS at each step (per-step peaks), so the process's ru_maxrss seen by
            # the harness is the last step's: the run's peak is the largest step peak
            "run_peak_mb": max(s["peak_mb"] for s in manifest["steps"] if s.get("peak_mb") is not None),
            "steps": manifest["steps"], "timings_seconds": manifest["timings_seconds"]}


@benchmark("national_config", suite="national", sizes=(100_000, 1_000_000), packages=("pyarrow", "duckdb"),
           description="write_cohort_parquet (balanced panel), then configs/national_scale.yaml with engine: duckdb")
def national_config(size: int, timer) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        return run_national(size, timer, Path(tmp))
