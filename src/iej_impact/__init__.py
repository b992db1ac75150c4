"""iej_impact: counterfactual impact evaluation of youth-employment programmes."""

from .errors import (
    ConfigError,
    DataError,
    EstimationError,
    IejImpactError,
    IejImpactWarning,
    SpecificationError,
)
from .inference import AbadieImbens, Bootstrap, Clustered, PairCluster, Robust
from .results import EffectResult, Summary

__version__ = "0.1.0"

__all__ = [
    "AbadieImbens",
    "Bootstrap",
    "Clustered",
    "ConfigError",
    "DataError",
    "EffectResult",
    "EstimationError",
    "IejImpactError",
    "IejImpactWarning",
    "PairCluster",
    "Robust",
    "SpecificationError",
    "Summary",
    "__version__",
]
