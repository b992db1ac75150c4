"""iej_impact: counterfactual impact evaluation of youth-employment programmes.

Plain functions take a DataFrame plus column names and return frozen result objects; tables,
plots and reports only read those objects; the YAML runner calls the same functions.
"""

from .checks import merge_reentries, validate_table
from .config import ESTIMATORS, load_config
from .datamodel import TABLES, codelist, codelist_version
from .errors import (
    ConfigError,
    DataError,
    EstimationError,
    IejImpactError,
    IejImpactWarning,
    ImbalanceWarning,
    MissingDataWarning,
    OverlapWarning,
    SmallSampleWarning,
    SpecificationError,
)
from .inference import AbadieImbens, Bootstrap, Clustered, PairCluster, Robust
from .io import load_data, stack_arms, write_table
from .matching import MatchResult, match, psm
from .naive import difference_in_means
from .parsing import parse_bool, parse_dates, parse_number, parse_share
from .plotting import plot_effects, plot_sample_flow
from .report import build_report
from .results import EffectResult, Summary
from .runner import RunResult, run, validate
from .sample import Sample, SampleFlow, define_sample
from .synthetic import SyntheticCohort, simulate_cohort

__version__ = "0.1.0"

__all__ = [
    "ESTIMATORS",
    "TABLES",
    "AbadieImbens",
    "Bootstrap",
    "Clustered",
    "ConfigError",
    "DataError",
    "EffectResult",
    "EstimationError",
    "IejImpactError",
    "IejImpactWarning",
    "ImbalanceWarning",
    "MatchResult",
    "MissingDataWarning",
    "OverlapWarning",
    "PairCluster",
    "Robust",
    "RunResult",
    "Sample",
    "SampleFlow",
    "SmallSampleWarning",
    "SpecificationError",
    "Summary",
    "SyntheticCohort",
    "__version__",
    "build_report",
    "codelist",
    "codelist_version",
    "define_sample",
    "difference_in_means",
    "load_config",
    "load_data",
    "match",
    "merge_reentries",
    "parse_bool",
    "parse_dates",
    "parse_number",
    "parse_share",
    "plot_effects",
    "plot_sample_flow",
    "psm",
    "run",
    "simulate_cohort",
    "stack_arms",
    "validate",
    "validate_table",
    "write_table",
]
