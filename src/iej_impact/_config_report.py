"""The ``report:`` section's variable labels (``report.labels``), checked with the YAML location of
every mistake. Part of the front door: :mod:`iej_impact.config` calls :func:`parse_labels` and the
runner hands the labels to the report, its plots and the spreadsheets, which show each labelled
variable (outcome, covariate, treatment) under its label."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._validation import short_repr
from .errors import ConfigError

__all__ = ["parse_labels"]


def parse_labels(raw: Any) -> dict[str, str]:
    """``report.labels`` as {variable name: label}; a non-mapping, a non-string name or label, or an
    empty label is a ConfigError located at ``report.labels`` or ``report.labels.<name>``."""
    if not isinstance(raw, Mapping):
        raise ConfigError(f"must be a mapping variable -> label (e.g. employed_q2: \"En emploi 2 trimestres après "
                          f"l'entrée\"); got {short_repr(raw)}.", location="report.labels")
    labels: dict[str, str] = {}
    for name, text in raw.items():
        if not isinstance(name, str):
            raise ConfigError(f"variable names must be strings; got {short_repr(name)} (quote it in the YAML).",
                              location="report.labels")
        if not isinstance(text, str):
            raise ConfigError(f"the label of {name!r} must be a string; got {short_repr(text)} "
                              f"({type(text).__name__}); quote it in the YAML.", location=f"report.labels.{name}")
        if not text.strip():
            raise ConfigError(f"the label of {name!r} is empty; give a text or remove the entry.",
                              location=f"report.labels.{name}")
        labels[name] = text.strip()
    return labels
