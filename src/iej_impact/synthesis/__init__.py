"""Reading several results together: comparison tables across designs, p-values adjusted across a grid,
tests of equal effects across subgroups, and cost per additional outcome.

What it owns: functions that take finished result objects (never data to estimate on) and return
tables or small frozen results. It imports the core and ``data`` (to read an operations table's
amounts); plots of its tables live in ``report``.
"""

from ._compare import compare
from ._cost import CostEffectResult, cost_per_outcome, fieller_interval
from ._multiplicity import adjust_p_values, subgroup_equality_test

__all__ = ["CostEffectResult", "adjust_p_values", "compare", "cost_per_outcome", "fieller_interval",
           "subgroup_equality_test"]
