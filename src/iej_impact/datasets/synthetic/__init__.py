"""The synthetic IEJ cohort: participants, a comparison cohort and a person x month panel with
known true effects (see ``simulate_cohort``). It imports ``data`` (code lists) and the core."""

from ._cohort import ADJUSTMENT_COVARIATES, SyntheticCohort, simulate_cohort

__all__ = ["ADJUSTMENT_COVARIATES", "SyntheticCohort", "simulate_cohort"]
