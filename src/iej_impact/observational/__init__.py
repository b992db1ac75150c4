"""Selection on observables: the naive comparison, design matrices, the propensity score (with
its separation diagnosis), covariate balance, regression adjustment, inverse-probability weighting,
entropy balancing and doubly robust (AIPW/IPWRA) estimators, and their sensitivity to unobserved
confounding (omitted-variable bias of Cinelli & Hazlett 2020, E-values of VanderWeele & Ding 2017).

What it owns: estimators that compare treated and control units given covariates, in one period.
It imports ``data`` and the core; ``matching`` and ``diff_in_diff`` build on it.
"""

from ._balance import BalanceTable, balance_table
from ._doubly_robust import doubly_robust
from ._entropy import entropy_balancing
from ._evalue import EValueResult, evalue
from ._naive import difference_in_means
from ._ovb import OVBResult, ovb_sensitivity
from ._propensity import PropensityScore, propensity_score
from ._regression import regression_adjustment
from ._weighting import ipw

__all__ = [
    "BalanceTable", "EValueResult", "OVBResult", "PropensityScore", "balance_table", "difference_in_means",
    "doubly_robust", "entropy_balancing", "evalue", "ipw", "ovb_sensitivity", "propensity_score",
    "regression_adjustment",
]
