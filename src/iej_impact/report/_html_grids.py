"""The report's section on grids: for each analysis run over several outcomes, horizons or subgroups, one table of
its cells with the raw and the adjusted p-values (Holm, Benjamini-Hochberg) and one table of the tests of equal
effects across subgroup levels. The tables are those the run writes as ``tables/grid_<name>.csv`` and
``tables/grid_<name>_equality.csv``; nothing is computed here."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from ._html_blocks import DIGITS, esc, frame_html
from ._i18n import t

__all__ = ["grids_section"]

#: the columns of a grid's cell table shown in the report (the CSV keeps them all)
_CELL_COLUMNS = ("name", "outcome", "horizon", "subgroup", "level", "estimand", "estimate", "std_error", "ci_lower",
                 "ci_upper", "p_value", "p_value_holm", "p_value_bh", "p_value_rw", "n_treated", "n_control", "skipped")
_TEST_COLUMNS = ("outcome", "horizon", "subgroup", "test", "levels", "statistic", "df", "p_value", "pooled_estimate",
                 "dropped_levels")


def _shown(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    kept = [c for c in columns if c in frame.columns and not (c in ("skipped", "p_value_rw") and frame[c].isna().all())]
    return frame[kept]


def grids_section(grids: Mapping[str, pd.DataFrame] | None, language: str) -> str:
    """The section, or '' for a run without grids. ``grids``: the run's grid tables keyed by file stem
    (``grid_<name>``, ``grid_<name>_equality``; other keys are ignored)."""
    cells = {k: v for k, v in (grids or {}).items() if k.startswith("grid_") and not k.endswith("_equality")}
    if not cells:
        return ""
    parts = [f"<section id='grids'>\n<h2>{esc(t('grids', language))}</h2>",
             f"<p class='caption'>{esc(t('grids_intro', language))}</p>"]
    for stem, frame in cells.items():
        name = stem[len("grid_"):]
        parts.append(f"<h3>{esc(name)}</h3>")
        parts.append(frame_html(_shown(frame, _CELL_COLUMNS), DIGITS, language, f"tables/{stem}.csv"))
        tests = (grids or {}).get(f"{stem}_equality")
        if isinstance(tests, pd.DataFrame) and len(tests):
            parts.append(f"<p class='caption'>{esc(t('grids_equality', language))}</p>")
            parts.append(frame_html(_shown(tests, _TEST_COLUMNS), DIGITS, language, f"tables/{stem}_equality.csv"))
    parts.append("</section>")
    return "\n".join(parts)
