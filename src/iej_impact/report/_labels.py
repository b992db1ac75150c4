"""How names are shown: result-table columns and words translated, variables under their labels.

A run's configuration may give labels to its variables (``report.labels: {employed_q2: "En emploi
2 trimestres après l'entrée"}``); while :func:`variable_labels` is active, the report, its plots
and the spreadsheets show every variable (outcomes, covariates, treatment) under its label.
Column names of result tables (``mean_treated_before``...) are shown in the report's language
(:mod:`._i18n_tables`). Data values and names nobody labelled are shown as they are.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from types import MappingProxyType

from ._i18n import MESSAGES, format_percent, t

__all__ = ["cell_text", "column_label", "label", "variable_labels"]

_LABELS: ContextVar[Mapping[str, str]] = ContextVar("iej_impact_variable_labels",
                                                          default=MappingProxyType({}))


@contextmanager
def variable_labels(labels: Mapping[str, str] | None) -> Iterator[None]:
    """Show variables under ``labels`` (name -> label) in the report and plots drawn inside the block."""
    token = _LABELS.set(dict(labels or {}))
    try:
        yield
    finally:
        _LABELS.reset(token)


def label(name: object) -> str:
    """The label of a variable (its name when it has none)."""
    text = str(name)
    return _LABELS.get().get(text, text)


def _message(prefixes: tuple[str, ...], key: str, language: str) -> str | None:
    for prefix in prefixes:
        if prefix + key in MESSAGES:
            return t(prefix + key, language)
    return None


def column_label(column: object, language: str) -> str:
    """A column or index name as shown: translated, or a variable's label, else as it is.

    'ci_lower (95%)' keeps its level, formatted for the language ('IC borne inf. (95 %)').
    """
    text = str(column)
    head, sep, tail = text.partition(" (")
    level = re.fullmatch(r"(\d+(?:\.\d+)?)%\)", tail)
    if level:
        tail = format_percent(float(level.group(1)) / 100, language) + ")"
    found = _message(("summary_", "col_", "row_"), head, language)
    if found is None:
        found = _LABELS.get().get(head)
    if found is None:
        return text
    return found + (sep + tail if sep else "")


def cell_text(value: object, language: str) -> str:
    """A text cell or row label: a known word translated, a labelled variable shown by its label."""
    text = str(value)
    found = _message(("word_", "row_"), text, language)
    if found is not None:
        return found
    filt = re.fullmatch(r"filter (\d+)", text)
    if filt:
        return t("flow_filter", language, i=filt.group(1))
    return _LABELS.get().get(text, text)
