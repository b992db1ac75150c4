"""Matching: propensity-score and Mahalanobis matching (nearest neighbour, radius, kernel,
subclassification), matched sets and weights, Abadie-Imbens inference, Rosenbaum bounds.

What it owns: ``match``, ``psm``, ``estimate_effect``, ``MatchResult``, ``rosenbaum_bounds``. It
imports ``observational`` (the score, balance) and the core.
"""

from ._match import match, psm
from ._result import MatchResult, estimate_effect
from ._sensitivity import SensitivityResult, rosenbaum_bounds

__all__ = ["MatchResult", "SensitivityResult", "estimate_effect", "match", "psm", "rosenbaum_bounds"]
