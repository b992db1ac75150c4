"""Benchmarks of the preparation layer: raw extracts to analysis tables (``data.sources`` + ``data.prepare``).

Run with ``python benchmarks/run.py --suite preparation`` (sizes are rows of the quarterly
employment register, the largest source).

Input (untimed): the synthetic cohort exported as raw files by ``export_raw_extracts`` (the MDFSE
participant and operation extracts, the mission-locale cohort, the id crosswalk and the person x
quarter register, 18 quarters per person), with ``configs/raw_extracts.yaml`` copied beside them.
Timed: reading and parsing the five files as the configuration declares them, then the 17
preparation steps of that configuration (duplicates, date repairs, re-entries, first participation,
contamination through the crosswalk, stacking with reference dates, ages, filters, derived
covariates, quarters, outcomes at horizons and pre-entry history from the register, the panel join
and event time). No estimation.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from benchmarks.run import benchmark

ROOT = Path(__file__).resolve().parents[1]
QUARTERS = 18  # 2013T1 .. 2017T2 in the exporter's register
PERSONS_PER_PARTICIPANT = 3.0  # 1 participant, 2 comparison youths (comparison_ratio 2)


@benchmark(
    "raw_extracts_to_tables",
    suite="preparation",
    sizes=(100_000, 1_000_000),
    description="configs/raw_extracts.yaml on an export of the synthetic cohort: read 5 raw files, run the "
                "17 preparation steps (size = register rows, person x quarter)",
)
def raw_extracts_to_tables(size: int, timer) -> dict[str, object]:  # noqa: ANN001
    import warnings

    from iej_impact import export_raw_extracts, simulate_cohort
    from iej_impact.config import load_config
    from iej_impact.data._io import load_data
    from iej_impact.preparation import prepare

    n_participants = max(50, round(size / QUARTERS / PERSONS_PER_PARTICIPANT))
    work = Path(tempfile.mkdtemp(prefix="bench-prep-"))
    try:
        export_raw_extracts(simulate_cohort(n_participants, seed=3, panel="balanced"), work / "raw", seed=3)
        shutil.copy(ROOT / "configs" / "raw_extracts.yaml", work / "raw_extracts.yaml")
        cfg = load_config(work / "raw_extracts.yaml")
        sources = cfg.data["sources"]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with timer.step("read_sources", tool="iej_impact"):
                tables = {name: load_data(cfg.resolve(spec["path"]),
                                          **{k: v for k, v in spec.items() if k not in ("path", "arm", "id", "treatment")})
                          for name, spec in sources.items()}
            with timer.step("prepare", tool="iej_impact"):
                prepared = prepare(tables, cfg.data["prepare"],
                                   arms={n: s["arm"] for n, s in sources.items() if "arm" in s},
                                   ids={n: s["id"] for n, s in sources.items() if "id" in s})
        rows = {name: len(frame) for name, frame in tables.items()}
        timer.info(n_participants=n_participants, rows_read=rows, register_rows=rows["register"],
                   panel_rows=len(prepared.tables["panel"]), persons=len(prepared.tables["persons"]),
                   flow_rows=len(prepared.flow))
        return {"register_rows": rows["register"]}
    finally:
        shutil.rmtree(work, ignore_errors=True)
