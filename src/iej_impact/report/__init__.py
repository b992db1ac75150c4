"""The report: the self-contained HTML report, every plot, and the French/English texts.

What it owns: matplotlib (imported here only) and the rendering of results; it reads result
objects and never estimates. It imports the core only.
"""

from ._html import build_report
from ._plotting import plot_effects, plot_sample_flow

__all__ = ["build_report", "plot_effects", "plot_sample_flow"]
