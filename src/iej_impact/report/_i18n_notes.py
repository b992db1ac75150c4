"""French versions of the notes result summaries write in English.

Estimators write their notes in English, with numbers and names inside. :func:`translate_note`
recognises them by pattern and rewrites them in French, numbers in the French format; a note no
pattern knows returns None, and the report shows it in its original language, marked as such
(``lang="en"``), rather than guess. English reports show every note as it is.

The patterns live with the family of estimators that writes the notes (``_i18n_notes_effects``:
weighting, regression, matching, costs; ``_i18n_notes_sensitivity``: omitted-variable bias,
E-values, entropy balancing, trimming; ``_i18n_notes_did``: difference-in-differences and
HonestDiD; ``_i18n_notes_indicators``: programme indicators). A pattern is a regular expression
the whole note must match, and a French template in which ``{1}``, ``{2}``... insert the groups,
numbers localised; ``{1|name}`` passes the group through the formatter ``name`` instead
(``raw``: as it is; ``phrase``: the French of a known English fragment; ``list``: a Python
list shown as a plain list; ``rows``: the 'N rows (e.g. id ...)' text of validation messages;
``ordinal``: 1st -> 1er; ``wald``: the null hypothesis of a Wald test; ``se``: a DiD's standard
error; and the indicators' ``relation``, ``relation_note``, ``not_computed`` and ``operations``).
A formatter that does not know its input makes the whole note unknown (None), never half French.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ._i18n import NNBSP
from ._i18n_notes_did import NULLS as _NULL_PATTERNS
from ._i18n_notes_did import PATTERNS as _DID
from ._i18n_notes_did import design_text, se_text
from ._i18n_notes_effects import PATTERNS as _EFFECTS
from ._i18n_notes_indicators import PATTERNS as _INDICATORS
from ._i18n_notes_indicators import RELATION_NOTES, RELATIONS, not_computed, operations
from ._i18n_notes_phrases import PHRASES
from ._i18n_notes_sensitivity import PATTERNS as _SENSITIVITY

__all__ = ["translate_note"]

_NUMBER = re.compile(r"(?<![\w\-:])(?<![^.]\.)-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:e[+-]?\d+)?(?![\w]|-\d)")


def _fr_numbers(text: str) -> str:
    """'2,251' or '2251' -> '2 251', '0.05' -> '0,05', '-3' -> '−3', '1.1e-11' -> '1,1e−11' (numbers only;
    words and codes untouched).

    Thousands are grouped from four digits on, as :func:`~iej_impact.report._i18n.format_int` does.
    """
    def one(m: re.Match[str]) -> str:
        raw = m.group(0)
        sign, body = ("\u2212", raw[1:]) if raw.startswith("-") else ("", raw)
        body, _, exponent = body.partition("e")
        whole, _, decimals = body.replace(",", "").partition(".")
        exponent = "e" + str(int(exponent)).replace("-", "\u2212") if exponent else ""
        return sign + f"{int(whole):,d}".replace(",", NNBSP) + ("," + decimals if decimals else "") + exponent

    return _NUMBER.sub(one, text)


def _list(text: str) -> str | None:
    """"['a', 'b']" -> 'a, b'; a plain word stays as it is."""
    inner = text.strip()
    if inner.startswith("[") and inner.endswith("]"):
        return _fr_numbers(", ".join(s.strip().strip("'\"") for s in inner[1:-1].split(",") if s.strip()))
    return inner


_ROWS = re.compile(r"(\d+) rows? \(e\.g\. (\S+) (.+)\)")


def _rows(text: str) -> str | None:
    m = _ROWS.fullmatch(text)
    if not m:
        return None
    n = int(m.group(1))
    return f"{_fr_numbers(m.group(1))} ligne{'s' if n > 1 else ''} (p. ex. {m.group(2)} {m.group(3)})"


def _ordinal(text: str) -> str | None:
    m = re.fullmatch(r"(\d+)(?:st|nd|rd|th)", text)
    if not m:
        return None
    return "1er" if m.group(1) == "1" else f"{m.group(1)}e"


def _se(text: str) -> str | None:
    fr = se_text(text)
    return None if fr is None else _fr_numbers(fr)


def _design(text: str) -> str | None:
    fr = design_text(text)
    return None if fr is None else _fr_numbers(fr)


def _wald(text: str) -> str | None:
    return _apply(_NULLS, text)


_FORMATTERS: dict[str, Callable[[str], str | None]] = {
    "raw": lambda s: s,
    "phrase": PHRASES.get,
    "list": _list,
    "rows": _rows,
    "ordinal": _ordinal,
    "wald": _wald,
    "se": _se,
    "design": _design,
    "relation": RELATIONS.get,
    "relation_note": RELATION_NOTES.get,
    "not_computed": not_computed,
    "operations": lambda s: _fr_numbers(operations(s)),
}

_SLOT = re.compile(r"\{(\d+)(?:\|(\w+))?\}")


def _compile(patterns: tuple[tuple[str, str], ...]) -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple((re.compile(p, re.S), template) for p, template in patterns)


def _fill(template: str, m: re.Match[str]) -> str | None:
    failed = False

    def slot(s: re.Match[str]) -> str:
        nonlocal failed
        group = m.group(int(s.group(1))) or ""
        text = _FORMATTERS[s.group(2)](group) if s.group(2) else _fr_numbers(group)
        if text is None:
            failed = True
            return ""
        return text

    out = _SLOT.sub(slot, template)
    return None if failed else out


def _apply(compiled: tuple[tuple[re.Pattern[str], str], ...], text: str) -> str | None:
    for pattern, template in compiled:
        m = pattern.fullmatch(text.strip())
        if m:
            return _fill(template, m)
    return None


_COMPILED = _compile(_EFFECTS + _SENSITIVITY + _DID + _INDICATORS)
_NULLS = _compile(_NULL_PATTERNS)


def translate_note(note: str, language: str) -> str | None:
    """``note`` in ``language``: as it is in English; in French, its translation, or None when unknown."""
    if language != "fr":
        return note
    return _apply(_COMPILED, note)
