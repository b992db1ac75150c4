"""Difference-in-differences: 2x2 (regression, IPW, doubly robust; panel or repeated
cross-sections; after matching), two-way fixed effects, event studies (dynamic TWFE, Sun-Abraham,
Borusyak-Jaravel-Spiess imputation), the Wald-DiD of fuzzy designs and Callaway-Sant'Anna group-time effects with their
aggregations, the cohort-aligned DiD of evaluations whose comparison cohort carries reference
(pseudo-entry) dates, and the HonestDiD sensitivity of event-study effects (Rambachan & Roth 2023).

Named ``diff_in_diff`` because ``iej_impact.did`` is the 2x2 function. What it owns: the panel
estimators. It imports ``data`` (panels), ``observational`` (scores), ``matching`` (``matched_did``)
and the core.
"""

from ._aligned import AlignedResult, aligned_did
from ._event_study import EventStudyResult, event_study
from ._event_time import EventTimeResult
from ._honest import HonestDiDResult, honest_did, honest_did_coefficients
from ._imputation import imputation_did
from ._matched import matched_did
from ._placebo import placebo_entry
from ._placebo_group import placebo_group
from ._staggered import AggregateResult, GroupTimeResult, att_gt
from ._sun_abraham import sun_abraham
from ._twfe import twfe
from ._two_by_two import did
from ._wald import wald_did

__all__ = ["AggregateResult", "AlignedResult", "EventStudyResult", "EventTimeResult", "GroupTimeResult",
           "HonestDiDResult", "aligned_did", "att_gt", "did", "event_study", "honest_did", "honest_did_coefficients",
           "imputation_did", "matched_did", "placebo_entry", "placebo_group", "sun_abraham", "twfe", "wald_did"]
