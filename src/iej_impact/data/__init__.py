"""Data: loading files, parsing French administrative formats, the canonical data model and its
code lists, table checks, the analysis sample with its row accounting, and panels.

What it owns: turning raw tables into checked analysis tables (``load_data``, ``parse_*``,
``validate_table``, ``define_sample``, ``check_panel``). It imports only the core modules
(``errors``, ``results``, ``_validation``); estimators import it, never the reverse.
"""

from ._arms import stack_arms
from ._checks import validate_table
from ._datamodel import TABLES, codelist, codelist_version
from ._io import load_data, write_table
from ._panel import check_panel, cohort_from_treatment, period_from_dates
from ._parsing import parse_bool, parse_dates, parse_number, parse_share
from ._reentries import merge_reentries
from ._sample import Sample, SampleFlow, define_sample

__all__ = [
    "TABLES", "Sample", "SampleFlow", "check_panel", "codelist", "codelist_version", "cohort_from_treatment",
    "define_sample", "load_data", "merge_reentries", "parse_bool", "parse_dates", "parse_number", "parse_share",
    "period_from_dates", "stack_arms", "validate_table", "write_table",
]
