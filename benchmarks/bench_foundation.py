"""Foundation suite: simulate the synthetic IEJ cohort, write it, load it back, validate, define the sample.

Sizes are numbers of participants (the comparison cohort is twice as large, so the person table
has 3 x size rows). Run: ``.venv/bin/python benchmarks/run.py --suite foundation``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from benchmarks.run import benchmark


@benchmark(
    "simulate_load_validate",
    suite="foundation",
    sizes=(10_000, 100_000, 1_000_000),
    packages=("pyarrow", "pandas"),
    description="simulate_cohort (no panel) -> persons/participations to CSV and Parquet -> load_data -> "
    "validate_table(participations) -> define_sample(filter, treatment)",
)
def simulate_load_validate(size: int, timer) -> dict[str, object]:
    from iej_impact import define_sample, load_data, simulate_cohort, validate_table, write_table

    with timer.step("simulate"):
        cohort = simulate_cohort(n_participants=size, seed=20180101, panel="none")
    with tempfile.TemporaryDirectory() as tmp:
        csv, parquet = Path(tmp) / "persons.csv", Path(tmp) / "persons.parquet"
        part_csv = Path(tmp) / "participations.csv"
        with timer.step("write", tool="csv"):
            write_table(cohort.persons, csv)
        with timer.step("write", tool="parquet"):
            cohort.persons.to_parquet(parquet, index=False)
        write_table(cohort.participations, part_csv)
        with timer.step("load", tool="csv"):
            frame = load_data(csv)
        with timer.step("load", tool="parquet"):
            load_data(parquet)
        with timer.step("load_participations_csv"):
            participations = load_data(part_csv, table="participations")
        with timer.step("validate_participations"):
            validate_table(participations, "participations")
        with timer.step("define_sample"):
            sample = define_sample(frame, filters=["age >= 16 and age <= 25"], treatment="treated")
        sizes = {"csv_mb": round(csv.stat().st_size / 2**20, 1), "parquet_mb": round(parquet.stat().st_size / 2**20, 1)}
    return {"person_rows": len(frame), "participation_rows": len(participations), "rows_kept": len(sample.data), **sizes}


@benchmark(
    "simulate_panel",
    suite="foundation",
    sizes=(10_000, 100_000),
    description="simulate_cohort with the person x month panel (window -12..+18 around entry)",
)
def simulate_panel(size: int, timer) -> dict[str, object]:
    from iej_impact import simulate_cohort

    with timer.step("simulate_with_panel"):
        cohort = simulate_cohort(n_participants=size, seed=20180101, panel="window")
    return {"panel_rows": len(cohort.panel), "panel_mb": round(cohort.panel.memory_usage(deep=True).sum() / 2**20, 1)}
