"""Descriptive ESF/YEI programme indicators: the registry of indicator definitions
(``registry/``), the counting rules, aggregation with Wilson intervals, targets and costs, the
2015 published figures, and statistical disclosure control.

What it owns: ``programme_indicators`` and its table. It imports ``data`` (code lists) and the core.
"""

from ._programme import IndicatorTable, programme_indicators

__all__ = ["IndicatorTable", "programme_indicators"]
