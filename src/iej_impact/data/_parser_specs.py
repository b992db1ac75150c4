"""Per-column parser declarations (the ``parse:`` section of a config, ``load_data(parse=...)``).

A declaration names the parser of one column: a shorthand (``"fr_number"``, ``"percent"``,
``"date:%d/%m/%Y"``, ``"period:quarter"``...) or a mapping ``{type: ..., style: ..., scale: ..., format: ...,
estimate_column: ..., nc_column: ...}``. :func:`parser_spec` resolves it once, refusing unknown
names and keys with a suggestion, and :func:`parse_column` applies it with the strict parsers of
:mod:`iej_impact.data._parsing`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from .._validation import suggest
from ..errors import ParseError, SpecificationError
from ._parsing import (
    NumberStyle,
    ShareScale,
    parse_bool,
    parse_dates,
    parse_number,
    parse_share,
    parse_text,
    value_examples,
)
from ._periods import parse_periods
from ._rows import describe_mask, example_ids, row_labels

__all__ = ["ParserSpec", "parser_spec", "parse_column"]

_SPEC_KEYS = ("type", "style", "scale", "format", "estimate_column", "nc_column")
_SPEC_TYPES = ("number", "share", "date", "period", "bool", "category", "text")
_PERIOD_UNITS = ("quarter", "month")
_SHORTHANDS: dict[str, dict[str, object]] = {
    "fr_number": {"type": "number", "style": "fr"},
    "en_number": {"type": "number", "style": "en"},
    "share": {"type": "share", "style": "fr", "scale": "fraction"},
    "fr_share": {"type": "share", "style": "fr", "scale": "fraction"},
    "en_share": {"type": "share", "style": "en", "scale": "fraction"},
    "percent": {"type": "share", "style": "fr", "scale": "percent"},
    "date": {"type": "date", "format": "iso"},
    "bool": {"type": "bool"},
    "category": {"type": "category"},
    "text": {"type": "text"},
}


@dataclass(frozen=True, slots=True)
class ParserSpec:
    """A resolved per-column parser declaration."""

    type: Literal["number", "share", "date", "period", "bool", "category", "text"]
    style: NumberStyle = "fr"
    scale: ShareScale = "fraction"
    format: str = "iso"
    estimate_column: str | None = None
    nc_column: str | None = None


def parser_spec(spec: str | Mapping[str, object], *, column: str = "column") -> ParserSpec:
    """Resolve a parser declaration.

    Strings: ``"fr_number"``, ``"en_number"``, ``"share"`` (= ``fr_share``), ``"en_share"``,
    ``"percent"`` (a share written 0-100), ``"date"`` (ISO), ``"date:%d/%m/%Y"``, ``"date:iso"``,
    ``"bool"``, ``"category"`` (the text as read, as a pandas ``Categorical``: a covariate that
    enters models as one indicator per value even when its codes look like numbers, e.g. French
    département codes ``01`` ... ``2A``), ``"text"`` (the text as written, as plain strings: e.g. codes
    ``1``/``2`` that a ``codes:`` map keys by text, see :func:`iej_impact.data._parsing.parse_text`),
    ``"period:quarter"`` / ``"period:month"`` (quarters ``2012T1``, ``2012Q1`` or months ``2012-03``,
    ``03/2012``, dates as consecutive integer period indexes, see
    :func:`iej_impact.data._periods.parse_periods`).
    Mappings: ``{type: number|share|date|period|bool|category|text, style: fr|en, scale: fraction|percent,
    format: ..., estimate_column: ..., nc_column: ...}`` (``format: quarter|month`` for a period);
    ``type`` may also be a shorthand.
    """
    if isinstance(spec, str):
        if spec.startswith("date:"):
            return ParserSpec(type="date", format=spec[len("date:"):])
        if spec.startswith("period:"):
            return _period_spec(spec[len("period:"):], column)
        if spec not in _SHORTHANDS:
            allowed = [*_SHORTHANDS, "date:<format>", "period:quarter", "period:month"]
            raise SpecificationError(
                f"unknown parser {spec!r} for column '{column}'; allowed: {', '.join(allowed)}." + suggest(spec, allowed)
            )
        return ParserSpec(**_SHORTHANDS[spec])  # type: ignore[arg-type]
    if not isinstance(spec, Mapping):
        raise SpecificationError(f"the parser of column '{column}' must be a name or a mapping; got {spec!r}.")
    unknown = [k for k in spec if k not in _SPEC_KEYS]
    if unknown:
        raise SpecificationError(
            f"unknown key {unknown[0]!r} in the parser of column '{column}'; allowed keys: {', '.join(_SPEC_KEYS)}."
            + suggest(unknown[0], _SPEC_KEYS)
        )
    if "type" not in spec:
        raise SpecificationError(f"the parser of column '{column}' needs a 'type' ({', '.join(_SPEC_TYPES)}).")
    kind = spec["type"]
    base: dict[str, object] = {}
    if isinstance(kind, str) and kind in _SHORTHANDS:
        base = dict(_SHORTHANDS[kind])
    elif kind in _SPEC_TYPES:
        base = {"type": kind}
    else:
        allowed = [*_SPEC_TYPES, *_SHORTHANDS]
        raise SpecificationError(
            f"unknown parser type {kind!r} for column '{column}'; allowed: {', '.join(allowed)}." + suggest(kind, allowed)
        )
    base.update({k: v for k, v in spec.items() if k != "type"})
    if base.get("style", "fr") not in ("fr", "en"):
        raise SpecificationError(f"the 'style' of the parser of column '{column}' must be 'fr' or 'en'; "
                                 f"got {base['style']!r}.")
    if base.get("scale", "fraction") not in ("fraction", "percent"):
        raise SpecificationError(f"the 'scale' of the parser of column '{column}' must be 'fraction' or 'percent'; "
                                 f"got {base['scale']!r}.")
    if (base.get("estimate_column") or base.get("nc_column")) and base["type"] != "number":
        raise SpecificationError(f"'estimate_column' and 'nc_column' apply to number parsers only (column '{column}').")
    if base["type"] == "period":
        if "format" not in base:
            raise SpecificationError(f"the period parser of column '{column}' needs a 'format' "
                                     f"({' or '.join(_PERIOD_UNITS)}), e.g. parse: {{{column}: 'period:quarter'}}.")
        return _period_spec(base["format"], column)
    return ParserSpec(**base)  # type: ignore[arg-type]


def _period_spec(unit: object, column: str) -> ParserSpec:
    if unit not in _PERIOD_UNITS:
        raise SpecificationError(
            f"unknown period {unit!r} in the parser of column '{column}'; allowed: period:quarter, period:month."
            + suggest(str(unit), _PERIOD_UNITS)
        )
    return ParserSpec(type="period", format=str(unit))


def parse_column(
    series: pd.Series,
    spec: str | Mapping[str, object] | ParserSpec,
    *,
    column: str,
    source: str | None = None,
    rows: pd.Series | None = None,
) -> dict[str, pd.Series]:
    """Apply a parser declaration to one column; return the new column(s) by name.

    Number parsers return the values under ``column`` plus, when declared, the approximation flag
    (``estimate_column``) and the "nc" flag (``nc_column``). Approximate values ("~") in a number
    column without a declared ``estimate_column`` raise :class:`ParseError`: the flag would
    otherwise be lost (e.g. ``target_is_estimate`` of the operations table).
    """
    resolved = spec if isinstance(spec, ParserSpec) else parser_spec(spec, column=column)
    if resolved.type == "number":
        parsed = parse_number(series, style=resolved.style, column=column, source=source, rows=rows)
        out = {column: parsed.values}
        if resolved.estimate_column:
            out[resolved.estimate_column] = parsed.is_estimate
        elif parsed.is_estimate.any():
            mask = parsed.is_estimate.to_numpy()
            labels = row_labels(series, rows)
            raise ParseError(
                f"column '{column}' has {int(mask.sum())} approximate value{'s' if mask.sum() != 1 else ''} "
                f"({value_examples(pd.unique(series[mask]))}) in {describe_mask(mask, labels)}; declare where the "
                f"approximation flag goes, e.g. parse: {{{column}: {{type: {resolved.style}_number, "
                f"estimate_column: {column}_is_estimate}}}}, or remove the '~' in the source.",
                column=column,
                rows=example_ids(mask, labels),
                source=source,
            )
        if resolved.nc_column:
            out[resolved.nc_column] = parsed.is_nc
        return out
    if resolved.type == "share":
        return {column: parse_share(series, style=resolved.style, scale=resolved.scale, column=column,
                                    source=source, rows=rows)}
    if resolved.type == "date":
        return {column: parse_dates(series, format=resolved.format, column=column, source=source, rows=rows)}
    if resolved.type == "period":
        return {column: parse_periods(series, unit=resolved.format, column=column,  # type: ignore[arg-type]
                                      source=source, rows=rows)}
    if resolved.type == "category":
        return {column: series.astype("category")}
    if resolved.type == "text":
        return {column: parse_text(series, column=column, source=source, rows=rows)}
    return {column: parse_bool(series, column=column, source=source, rows=rows)}
