"""Benchmarks of the descriptive indicators: ``programme_indicators`` on 10^4-10^7 participations, and
``indicators_engine`` (DuckDB, partitions of persons) on the same table written to Parquet.

Run with ``python benchmarks/run.py --suite indicators`` (or ``--only indicators_3_breakdowns``).

The input is a synthetic participations table with every canonical column the indicators read
(profile at entry, exits, six-month statuses with survey weights) and an operations table of 500
operations (with shared envelopes and "nc" targets), built untimed by a vectorised generator. The
timed step is one call computing all indicators (CO01-CO23, YEI CR01-CR12, ESF CR01-CR09, the report's
categories, targets and costs) broken down by **operation x quarter of entry x sex** with all margins,
Wilson intervals, reconciliation and disclosure control (primary + secondary suppression). Target:
< 10 s for 10^6 participations.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from benchmarks.run import benchmark

N_OPERATIONS = 500


def make_inputs(n: int, seed: int = 20180101) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A participations table of ``n`` rows and its operations table (deterministic for a seed)."""
    rng = np.random.default_rng(seed)
    ops = pd.DataFrame({
        "operation_id": [f"OP{j:04d}" for j in range(N_OPERATIONS)],
        "programme": rng.choice(["PON_IEJ_DECONCENTRE", "POR_FEDER_FSE_IEJ"], N_OPERATIONS),
        "operator_type": rng.choice(["MISSION_LOCALE", "ASSOCIATION", "COOPERATIVE", "CFA", "E2C", "GIP"],
                                    N_OPERATIONS),
        "action_type": rng.choice(["REPERAGE", "ACCOMPAGNEMENT", "QUALIFICATION_PREQUALIFICATION", "APPRENTISSAGE"],
                                  N_OPERATIONS),
        "amount_fse_iej": rng.integers(50_000, 2_000_000, N_OPERATIONS).astype(float),
        "target_participants": rng.integers(50, 5_000, N_OPERATIONS).astype(float),
        "funding_group_id": np.where(np.arange(N_OPERATIONS) < 40, "POR_APPR", None),
    })
    ops.loc[1:39, "amount_fse_iej"] = np.nan  # one envelope for 40 operators, given once
    ops.loc[1:39, "target_participants"] = np.nan
    ops.loc[[100, 200, 300], "target_participants"] = np.nan  # "nc"
    weights = rng.pareto(2.0, N_OPERATIONS) + 1
    op = rng.choice(N_OPERATIONS, size=n, p=weights / weights.sum())
    entry = np.datetime64("2014-01-01") + rng.integers(0, 730, n).astype("timedelta64[D]")
    age = rng.integers(16, 26, n)
    birth = entry - (age * 365.25 + rng.integers(0, 300, n)).astype("timedelta64[D]")
    leaver = rng.random(n) < 0.55
    exit_ = np.where(leaver, entry + rng.integers(20, 300, n).astype("timedelta64[D]"), np.datetime64("NaT"))
    lm = rng.choice(["UNEMPLOYED", "INACTIVE"], n, p=[0.8, 0.2])
    fr = rng.choice(["EMPLOI_DURABLE", "EMPLOI_AUTRE", "FORMATION", "ETUDES", "APPRENTISSAGE", "RECHERCHE_EMPLOI",
                     "SANS_SOLUTION", "INCONNU"], n, p=[0.25, 0.08, 0.12, 0.03, 0.08, 0.14, 0.28, 0.02])
    reason = rng.choice(["COMPLETED", "DROPOUT", "DROPOUT_FOR_JOB_OR_TRAINING", "OTHER"], n, p=[0.7, 0.18, 0.07, 0.05])
    surveyed = leaver & (rng.random(n) < 0.3)
    status6 = rng.choice(["EMPLOYED", "SELF_EMPLOYED", "EDUCATION", "APPRENTICESHIP", "UNEMPLOYED", "INACTIVE"], n)

    def flag(p: float) -> np.ndarray:
        return rng.random(n) < p

    frame = pd.DataFrame({
        "participation_id": np.char.add("P", np.arange(n).astype(str)),
        "person_id": np.char.add("Y", rng.integers(0, int(n * 0.85), n).astype(str)),
        "operation_id": ops["operation_id"].to_numpy()[op],
        "sex": np.where(flag(0.564), "M", "F"),
        "birth_date": birth, "entry_date": entry, "exit_date": exit_,
        "lm_status_entry": lm,
        "unemp_duration_months": np.where(lm == "UNEMPLOYED", rng.integers(0, 30, n), np.nan),
        "in_education_training_entry": np.where(lm == "INACTIVE", False, None),
        "national_level": rng.choice(["VI", "VBIS", "V", "IV", "III", "II"], n, p=[0.2, 0.15, 0.25, 0.3, 0.07, 0.03]),
        "hh_jobless": flag(0.2), "hh_dependent_children": flag(0.1), "hh_single_adult": flag(0.05),
        "migrant_minority": flag(0.08), "disability_rqth": flag(0.027), "other_disadvantaged": flag(0.05),
        "homeless": flag(0.033), "rural": flag(0.15), "social_minima": flag(0.053),
        "exit_reason": np.where(leaver, reason, None),
        "exit_status_fr": np.where(leaver, fr, None),
        "exit_status_date": np.where(leaver, exit_ + np.timedelta64(7, "D"), np.datetime64("NaT")),
        "offer_received_at_exit": np.where(leaver, flag(0.58), None),
        "qualification_gained": np.where(leaver, flag(0.1), None),
        "status_6m": np.where(surveyed, status6, None),
        "status_6m_date": np.where(surveyed, exit_ + np.timedelta64(182, "D"), np.datetime64("NaT")),
        "sample_weight_6m": np.where(surveyed, rng.uniform(1, 6, n), np.nan),
    })
    # (person, operation) must be unique: drop repeated pairs (they would be re-entries to merge)
    frame = frame[~frame.duplicated(["person_id", "operation_id"])].reset_index(drop=True)
    return frame, ops


@benchmark(
    "indicators_3_breakdowns",
    suite="indicators",
    sizes=(10_000, 100_000, 1_000_000),
    packages=("statsmodels", "scipy"),
    description="programme_indicators: all indicators by operation x entry quarter x sex with margins, "
                "targets/costs, reconciliation and disclosure control",
)
def indicators_3_breakdowns(size: int, timer) -> dict[str, object]:  # noqa: ANN001
    import warnings

    from iej_impact import programme_indicators

    data, ops = make_inputs(size)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with timer.step("programme_indicators", tool="iej_impact"):
            res = programme_indicators(data, operations=ops, by=["operation_id"], period="quarter", by_sex=True,
                                       missing_targets="report", reference_date="2016-12-31")
    table = res.table
    timer.info(rows_in=len(data), table_rows=len(table), suppressed_rows=int(table["suppressed"].sum()),
               groups=int(table.loc[table["code"] == "PARTICIPANTS"].shape[0]))
    return {"table_rows": len(table)}


def _write_participations(size: int, path: str, chunk: int = 1_000_000) -> None:
    """``size`` participations written to one Parquet file in chunks of ``chunk`` rows (ids prefixed by chunk)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer = None
    try:
        for i, start in enumerate(range(0, size, chunk)):
            frame, _ = make_inputs(min(chunk, size - start), seed=20180101 + i)
            for col in ("participation_id", "person_id"):
                frame[col] = f"c{i}-" + frame[col].astype(str)
            table = pa.Table.from_pandas(frame, preserve_index=False)
            writer = writer or pq.ParquetWriter(path, table.schema, compression="zstd")
            writer.write_table(table.cast(writer.schema), row_group_size=131_072)
    finally:
        if writer is not None:
            writer.close()


@benchmark(
    "indicators_engine_duckdb",
    suite="indicators",
    sizes=(1_000_000, 10_000_000),
    packages=("duckdb", "pyarrow"),
    description="indicators_engine on a Parquet file (DuckDB, partitions of 500,000 participations): the same "
                "indicators as indicators_3_breakdowns; the file is written by a child process, untimed",
)
def indicators_engine_duckdb(size: int, timer) -> dict[str, object]:  # noqa: ANN001
    import multiprocessing
    import os
    import tempfile
    import warnings

    from iej_impact.engines import indicators_engine

    _, ops = make_inputs(10)
    with tempfile.TemporaryDirectory(dir=os.environ.get("IEJ_BENCH_DIR")) as tmp:
        path = os.path.join(tmp, "participations.parquet")
        child = multiprocessing.get_context("spawn").Process(target=_write_participations, args=(size, path))
        child.start()
        child.join()
        if child.exitcode != 0:
            raise RuntimeError(f"writing the participations failed (exit code {child.exitcode})")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with timer.step("indicators_engine", tool="iej_impact"):
                res = indicators_engine(path, operations=ops, by=["operation_id"], period="quarter", by_sex=True,
                                        missing_targets="report", reference_date="2016-12-31", threads=2)
        table = res.table
        timer.info(rows_in=int(res.get("PROG", "PARTICIPANTS")["numerator"]), table_rows=len(table),
                   parquet_mb=round(os.path.getsize(path) / 2**20, 1), suppressed_rows=int(table["suppressed"].sum()))
    return {"table_rows": len(table)}
