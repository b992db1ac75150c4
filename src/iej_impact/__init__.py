"""iej_impact: counterfactual impact evaluation of youth-employment programmes.

Plain functions take a DataFrame plus column names and return frozen result objects; tables,
plots and reports only read those objects; the YAML runner calls the same functions.

Estimating needs numpy, pandas and scipy only: the names that need matplotlib (plots), PyYAML
(configuration runs) or the report machinery are imported on first use (PEP 562 ``__getattr__``),
so ``import iej_impact`` does not pay for them.
"""

from importlib import import_module
from typing import Any

from ._progress import show_progress
from .data import (
    TABLES,
    Sample,
    SampleFlow,
    check_panel,
    codelist,
    codelist_version,
    cohort_from_treatment,
    define_sample,
    load_data,
    merge_reentries,
    parse_bool,
    parse_dates,
    parse_number,
    parse_share,
    period_from_dates,
    stack_arms,
    validate_table,
    write_table,
)
from .datasets import SyntheticCohort, export_raw_extracts, simulate_cohort
from .diff_in_diff import (
    AggregateResult,
    AlignedResult,
    EventStudyResult,
    EventTimeResult,
    GroupTimeResult,
    HonestDiDResult,
    aligned_did,
    att_gt,
    did,
    event_study,
    honest_did,
    honest_did_coefficients,
    imputation_did,
    matched_did,
    placebo_entry,
    placebo_group,
    sun_abraham,
    twfe,
    wald_did,
)
from .errors import (
    ConfigError,
    ConfigErrors,
    DataError,
    DuplicateIdWarning,
    EstimationError,
    IejImpactError,
    IejImpactWarning,
    ImbalanceWarning,
    MissingDataWarning,
    OverlapWarning,
    SmallSampleWarning,
    SpecificationError,
    TieWarning,
)
from .indicators import IndicatorTable, programme_indicators
from .inference import AbadieImbens, Bootstrap, Clustered, PairCluster, Robust
from .matching import MatchResult, SensitivityResult, estimate_effect, match, psm, rosenbaum_bounds
from .observational import (
    BalanceTable,
    EValueResult,
    OVBResult,
    PropensityScore,
    balance_table,
    difference_in_means,
    doubly_robust,
    entropy_balancing,
    evalue,
    ipw,
    ovb_sensitivity,
    propensity_score,
    regression_adjustment,
)
from .preparation import STEPS, PreparationError, Prepared, prepare
from .results import EffectResult, Summary
from .synthesis import (
    CostEffectResult,
    adjust_p_values,
    compare,
    cost_per_outcome,
    fieller_interval,
    romano_wolf,
    subgroup_equality_test,
)

__version__ = "0.1.0"

#: public names imported on first use: name -> module (relative to this package)
_LAZY = {
    "ESTIMATORS": ".config",
    "load_config": ".config",
    "plot_effects": ".report",
    "plot_comparison": ".report._plots_compare",
    "plot_sample_flow": ".report",
    "build_report": ".report",
    "RunResult": ".runner",
    "run": ".runner",
    "validate": ".runner",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'iej_impact' has no attribute {name!r}")
    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))

__all__ = [
    "ESTIMATORS",
    "STEPS",
    "PreparationError",
    "Prepared",
    "prepare",
    "TABLES",
    "AbadieImbens",
    "AggregateResult",
    "AlignedResult",
    "BalanceTable",
    "Bootstrap",
    "Clustered",
    "ConfigError",
    "ConfigErrors",
    "CostEffectResult",
    "DataError",
    "EffectResult",
    "EValueResult",
    "DuplicateIdWarning",
    "EstimationError",
    "EventStudyResult",
    "EventTimeResult",
    "GroupTimeResult",
    "HonestDiDResult",
    "IejImpactError",
    "IejImpactWarning",
    "ImbalanceWarning",
    "IndicatorTable",
    "MatchResult",
    "MissingDataWarning",
    "OVBResult",
    "OverlapWarning",
    "PairCluster",
    "PropensityScore",
    "Robust",
    "RunResult",
    "Sample",
    "SensitivityResult",
    "SampleFlow",
    "SmallSampleWarning",
    "SpecificationError",
    "TieWarning",
    "Summary",
    "SyntheticCohort",
    "__version__",
    "adjust_p_values",
    "romano_wolf",
    "aligned_did",
    "att_gt",
    "imputation_did",
    "sun_abraham",
    "balance_table",
    "build_report",
    "check_panel",
    "codelist",
    "codelist_version",
    "compare",
    "cost_per_outcome",
    "cohort_from_treatment",
    "define_sample",
    "did",
    "difference_in_means",
    "doubly_robust",
    "entropy_balancing",
    "estimate_effect",
    "evalue",
    "event_study",
    "export_raw_extracts",
    "fieller_interval",
    "honest_did",
    "honest_did_coefficients",
    "ipw",
    "load_config",
    "load_data",
    "match",
    "matched_did",
    "placebo_entry",
    "placebo_group",
    "merge_reentries",
    "ovb_sensitivity",
    "parse_bool",
    "parse_dates",
    "parse_number",
    "parse_share",
    "period_from_dates",
    "plot_comparison",
    "plot_effects",
    "plot_sample_flow",
    "programme_indicators",
    "propensity_score",
    "psm",
    "regression_adjustment",
    "rosenbaum_bounds",
    "run",
    "show_progress",
    "simulate_cohort",
    "stack_arms",
    "subgroup_equality_test",
    "twfe",
    "wald_did",
    "validate",
    "validate_table",
    "write_table",
]
