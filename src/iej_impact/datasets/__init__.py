"""Data sets shipped with the package: the synthetic IEJ cohort with known true effects, and raw
administrative extracts written from it (:func:`export_raw_extracts`)."""

from .synthetic import SyntheticCohort, export_raw_extracts, simulate_cohort

__all__ = ["SyntheticCohort", "export_raw_extracts", "simulate_cohort"]
