"""Data sets shipped with the package: the synthetic IEJ cohort with known true effects, raw
administrative extracts written from it (:func:`export_raw_extracts`) and the same cohort written to
Parquet block by block at national scale (:func:`write_cohort_parquet`)."""

from .synthetic import SyntheticCohort, export_raw_extracts, simulate_cohort, write_cohort_parquet

__all__ = ["SyntheticCohort", "export_raw_extracts", "simulate_cohort", "write_cohort_parquet"]
