"""Selection on observables: the naive comparison, design matrices, the propensity score (with
its separation diagnosis), covariate balance, regression adjustment, inverse-probability weighting,
entropy balancing and doubly robust (AIPW/IPWRA) estimators.

What it owns: estimators that compare treated and control units given covariates, in one period.
It imports ``data`` and the core; ``matching`` and ``diff_in_diff`` build on it.
"""

from ._balance import BalanceTable, balance_table
from ._doubly_robust import doubly_robust
from ._entropy import entropy_balancing
from ._naive import difference_in_means
from ._propensity import PropensityScore, propensity_score
from ._regression import regression_adjustment
from ._weighting import ipw

__all__ = [
    "BalanceTable", "PropensityScore", "balance_table", "difference_in_means", "doubly_robust", "entropy_balancing",
    "ipw", "propensity_score", "regression_adjustment",
]
