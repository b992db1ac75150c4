"""The report's methods appendix: one entry per estimator used in the run, with the options it ran with.

:func:`method_keys` finds the appendix entries a result object belongs to (its estimator; the
sensitivity analysis, cost or placebo it is), from the result's class or its ``method`` field.
:func:`appendix_section` renders, for each entry in the order the results first use it, the
estimator's name, estimand, identifying assumptions, inference and references (text in
:mod:`._methods_text`, :mod:`._methods_text_panel`, :mod:`._methods_text_checks`), and the
analyses that used it with their main options as written in a configuration. The multiple-testing
entry is added when the run's configuration has a grid analysis (several outcomes or subgroups).
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from typing import Any

from ._html_blocks import esc
from ._i18n import t
from ._methods_text import CROSS_SECTION, MethodText
from ._methods_text import REFERENCES as _REFS_CROSS_SECTION
from ._methods_text_checks import CHECKS
from ._methods_text_checks import REFERENCES as _REFS_CHECKS
from ._methods_text_panel import PANEL
from ._methods_text_panel import REFERENCES as _REFS_PANEL

__all__ = ["METHODS", "REFERENCES", "appendix_section", "method_keys", "method_links"]

#: every appendix entry: the estimators a configuration can name, and the analyses that accompany them
METHODS: dict[str, MethodText] = {**CROSS_SECTION, **PANEL, **CHECKS}
REFERENCES: dict[str, str] = {**_REFS_CROSS_SECTION, **_REFS_PANEL, **_REFS_CHECKS}

#: result classes that are an analysis of their own (not an estimator's EffectResult)
_BY_CLASS = {"IndicatorTable": "programme_indicators", "BalanceTable": "balance_table",
             "SensitivityResult": "rosenbaum_bounds", "HonestDiDResult": "honest_did",
             "CostEffectResult": "cost_per_outcome", "OVBResult": "ovb_sensitivity", "EValueResult": "evalue"}
#: ``method`` fields that name a variant of an estimator
_BY_METHOD = {"aipw": "doubly_robust", "ipwra": "doubly_robust"}


def method_keys(res: object) -> list[str]:
    """The appendix entries of a result: its estimator, plus ``placebo_entry`` or ``placebo_group`` for a placebo
    re-estimate."""
    cls = type(res).__name__
    if cls in _BY_CLASS:
        return [_BY_CLASS[cls]]
    method = getattr(res, "method", None)
    key = _BY_METHOD.get(method, method) if isinstance(method, str) else None
    keys = [key] if key in METHODS else []
    keys += [k for k in ("placebo_entry", "placebo_group") if keys and k in _spec(res)]
    return keys


def _spec(res: object) -> Mapping[str, Any]:
    """The result's options (JSON form when it has one), the estimator's nested under an aggregation's merged in."""
    spec: Any = None
    if hasattr(res, "to_dict"):
        record = res.to_dict()
        spec = record.get("spec") if isinstance(record, Mapping) else None
        if not isinstance(spec, Mapping) and isinstance(record, Mapping) and "spec" not in record:
            spec = record  # results without a spec (sensitivity analyses) carry their options at the top
    if not isinstance(spec, Mapping):
        spec = getattr(res, "spec", None)
    if not isinstance(spec, Mapping):
        return {}
    method = getattr(res, "method", None)
    inner = spec.get(method) if isinstance(method, str) else None
    return {**inner, **spec} if isinstance(inner, Mapping) else spec


def _value(value: object) -> str:
    """An option's value as a configuration would write it (YAML flow style)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {_value(v)}" for k, v in value.items() if v is not None) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, numbers.Real):
        return f"{value:g}" if isinstance(value, float) else str(value)
    return str(value)


def _options(res: object, key: str) -> str:
    spec = _spec(res)
    if key in ("placebo_entry", "placebo_group"):
        spec = spec.get(key) if isinstance(spec.get(key), Mapping) else {}
    shown = [f"{k} = {_value(spec[k])}" for k in METHODS[key].options
             if spec.get(k) is not None and spec.get(k) not in ([], {}, (), "none")]
    return "; ".join(shown)


def _uses(results: Mapping[str, object], manifest: Mapping[str, object] | None) -> dict[str, dict[str, list[str]]]:
    """entry -> {options text -> analysis names}, entries in the order the results first use them."""
    uses: dict[str, dict[str, list[str]]] = {}
    for name, res in results.items():
        # the cells of a grid (name[outcome=...,subgroup=...]) are listed once, under their analysis' name
        shown = str(name).split("[", 1)[0] if "[" in str(name) and "]" in str(name) else str(name)
        for key in method_keys(res):
            names = uses.setdefault(key, {}).setdefault(_options(res, key), [])
            if shown not in names:
                names.append(shown)
    config = manifest.get("config") if isinstance(manifest, Mapping) else None
    analyses = config.get("analyses") if isinstance(config, Mapping) else None
    grids = [str(a.get("name")) for a in analyses or () if isinstance(a, Mapping)
             and (isinstance(a.get("outcome"), list) or a.get("subgroups") or a.get("outcome_horizons"))]
    if grids:
        uses.setdefault("multiple_testing", {})[""] = grids
    return uses


def appendix_section(results: Mapping[str, object], manifest: Mapping[str, object] | None, language: str) -> str:
    """The methods appendix (``<h2 id='methods'>``), one ``<section id='method-<key>'>`` per entry used."""
    parts = [f"<h2 id='methods'>{esc(t('methods_appendix', language))}</h2>",
             f"<p class='caption'>{esc(t('methods_intro', language))}</p>"]
    uses = _uses(results, manifest)
    if not uses:
        parts.append(f"<p>{esc(t('methods_empty', language))}</p>")
    for key, by_options in uses.items():
        text = METHODS[key]
        runs = "".join(
            f"<li>{esc(', '.join(names))}" + (f" : <code>{esc(opts)}</code>" if opts and language == "fr" else
                                              f": <code>{esc(opts)}</code>" if opts else "") + "</li>"
            for opts, names in by_options.items())
        refs = "".join(f"<li>{esc(REFERENCES[r])}</li>" for r in text.references)
        rows = [
            (t("method_estimand", language), esc(text.estimand[language])),
            (t("method_assumptions", language), esc(text.assumptions[language])),
            (t("method_inference", language), esc(text.inference[language])),
            (t("method_runs", language), f"<ul class='notes'>{runs}</ul>"),
            # references are cited in the language they were published in (English)
            (t("method_references", language), f"<ul class='notes references' lang='en'>{refs}</ul>"),
        ]
        body = "".join(f"<dt>{esc(k)}</dt><dd>{v}</dd>" for k, v in rows)
        parts.append(f"<section class='method-entry' id='method-{esc(key)}'>\n<h3>{esc(text.name[language])}</h3>\n"
                     f"<dl class='design'>{body}</dl>\n</section>")
    return "\n".join(parts)


def method_links(res: object, language: str) -> str:
    """'Method: <a href='#method-psm'>Propensity-score matching</a>' for a result's detail section ('' if none)."""
    keys = method_keys(res)
    if not keys:
        return ""
    links = ", ".join(f"<a href='#method-{esc(k)}'>{esc(METHODS[k].name[language])}</a>" for k in keys)
    return f"<p class='caption'>{esc(t('method_link', language))}{links}</p>"
