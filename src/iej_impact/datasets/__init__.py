"""Data sets shipped with the package: the synthetic IEJ cohort with known true effects."""

from .synthetic import SyntheticCohort, simulate_cohort

__all__ = ["SyntheticCohort", "simulate_cohort"]
