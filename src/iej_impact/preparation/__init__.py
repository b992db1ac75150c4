"""Preparation: from raw administrative extracts to analysis tables, with steps given as data.

What it owns: running a list of steps (``{"step": name, **options}``, the ``data.prepare`` list
of a run configuration) over named tables (the loaded sources), with the row accounting of each
step per arm. Steps: exact duplicates, re-entry merges, derived columns, recodes, ages, bins,
explicit date repairs, eligibility filters per arm, stacking the arms with their reference
dates, contamination through a crosswalk, joins with cardinality checks, periods, event time,
outcomes at horizons and pre-entry history. It imports the core modules and ``data``.
"""

from . import _cleaning, _cohorts, _derive, _horizons, _joins  # noqa: F401  (register the steps)
from ._prepare import STEPS, Prepared, check_steps, prepare
from ._workspace import PreparationError

__all__ = ["STEPS", "PreparationError", "Prepared", "check_steps", "prepare"]
