"""The report's section of placebo tests: estimates that should be 0 if the design is credible.

Three kinds of results are gathered there, each with its estimate, standard error, confidence
interval, p-value and a one-sentence reading (compatible with zero or not, at the level of its
interval): the re-estimate with earlier entry dates (``<name>.placebo_entry``), the re-estimate
with untreated units playing the treated (``<name>.placebo_group``), and the analyses a run marks
as placebo outcomes (``role: placebo``: an outcome measured before entry, which the programme cannot
have changed). A staggered result (``att_gt``) has no single estimate: its simple aggregation,
stored beside it as ``<name>.simple``, is shown. The section reads results; it estimates nothing.

A placebo estimate compatible with zero does not prove the identifying assumption; one far from
zero is evidence against it (Imbens and Wooldridge 2009, section 6.2; Roth et al. 2023, section 4).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ._effects_table import effect_rows
from ._html_blocks import DIGITS, Table, esc
from ._i18n import NNBSP, format_interval, format_number, format_percent, format_pvalue, t

__all__ = ["PLACEBO_KINDS", "placebo_rows", "placebo_section"]

#: result-name suffixes of the placebo re-estimates a run stores beside an analysis
PLACEBO_KINDS = ("placebo_entry", "placebo_group")


def placebo_rows(results: Mapping[str, object], placebos: Sequence[str] = ()) -> list[dict[str, object]]:
    """One row per placebo result: its name, kind (placebo_entry, placebo_group, placebo_outcome) and the
    effect row (:func:`~iej_impact.report._effects_table.effect_rows`) of the result that carries its estimate."""
    rows = []
    for name, res in results.items():
        last = name.rsplit(".", 1)[-1]
        kind = last if last in PLACEBO_KINDS else "placebo_outcome" if name in placebos else None
        if kind is None:
            continue
        effect = effect_rows({name: res})
        if not effect and f"{name}.simple" in results:
            effect = effect_rows({name: results[f"{name}.simple"]})
        rows.append({"name": name, "kind": kind, "effect": effect[0] if effect else None})
    return rows


def _p_text(p: float, language: str) -> str:
    shown = format_pvalue(p, language)
    return f"p {shown}" if shown.startswith("<") else f"p{NNBSP if language == 'fr' else ' '}= {shown}"


def reading(effect: Mapping[str, object] | None, language: str) -> str:
    """'The placebo estimate is compatible with zero (p = 0.35).' or its opposite, at the interval's level."""
    p = effect.get("p_value") if effect else None
    if not isinstance(p, float):
        return t("placebo_no_estimate", language)
    level = effect.get("ci_level") if isinstance(effect.get("ci_level"), float) else 0.95  # type: ignore[union-attr]
    alpha = 1 - level
    key = "placebo_compatible" if p >= alpha else "placebo_not_compatible"
    return t(key, language, p=_p_text(p, language), alpha=format_percent(round(alpha, 4), language))


def placebo_section(results: Mapping[str, object], language: str, placebos: Sequence[str] = ()) -> str:
    """The HTML of the placebo section ("" when the run has no placebo result)."""
    rows = placebo_rows(results, placebos)
    if not rows:
        return ""
    headers = [t(k, language) for k in ("name", "placebo_kind", "estimate", "std_error")]
    headers += [t("ci_mixed", language), t("p_value", language), t("placebo_reading", language)]
    table = Table(headers, [False, False, True, True, True, True, False], "placebos")
    for row in rows:
        e = row["effect"] or {}
        ci = format_interval(e.get("ci_lower"), e.get("ci_upper"), language, DIGITS)
        if e.get("ci_level") is not None:
            ci += f" ({format_percent(e['ci_level'], language)})"
        table.add([str(row["name"]), t(str(row["kind"]), language),
                   format_number(e.get("estimate"), language, DIGITS), format_number(e.get("std_error"), language, DIGITS),
                   ci, format_pvalue(e.get("p_value"), language), reading(row["effect"], language)])
    return "\n".join([f"<h2 id='placebos'>{esc(t('placebos', language))}</h2>",
                      f"<p class='caption'>{esc(t('placebos_intro', language))}</p>", table.html(),
                      f"<p class='caption'>{esc(t('placebos_caption', language))}</p>"])
