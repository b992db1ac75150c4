"""Reading several results together: comparison tables across designs, p-values adjusted across a grid,
Romano-Wolf p-values from the effects'
influence functions, tests of equal effects across subgroups, and cost per additional outcome.

What it owns: functions that take finished result objects (never data to estimate on) and return
tables or small frozen results. It imports the core and ``data`` (to read an operations table's
amounts); plots of its tables live in ``report``.
"""

from ._compare import compare
from ._cost import CostEffectResult, cost_per_outcome, fieller_interval
from ._multiplicity import adjust_p_values, subgroup_equality_test
from ._romano_wolf import influence_correlation, romano_wolf

__all__ = ["CostEffectResult", "adjust_p_values", "compare", "cost_per_outcome", "fieller_interval",
           "influence_correlation", "romano_wolf", "subgroup_equality_test"]
