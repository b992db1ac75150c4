"""The synthetic IEJ cohort: participants, a comparison cohort and a person x month panel with
known true effects (see ``simulate_cohort``; raw administrative extracts written from it:
``export_raw_extracts``; the same cohort written to Parquet in bounded memory, block by block:
``write_cohort_parquet``; its module :mod:`._cohort` documents the whole
data-generating process and says which module owns each part). It imports only the core."""

from ._chunked import write_cohort_parquet
from ._cohort import simulate_cohort
from ._population import ADJUSTMENT_COVARIATES
from ._raw_extracts import export_raw_extracts
from ._result import SyntheticCohort

__all__ = ["ADJUSTMENT_COVARIATES", "SyntheticCohort", "export_raw_extracts", "simulate_cohort",
           "write_cohort_parquet"]
