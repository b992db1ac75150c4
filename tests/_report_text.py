"""What a reader of an HTML report sees, for the language tests: visible text, attributes shown, headers.

Text inside ``<pre>``/``<code>`` (the configuration as written, file digests) and inside elements
marked ``lang="en"`` (estimator notes kept in their original language) is left out: it is quoted,
not labelled. Images' alt texts and aria labels are kept (a screen reader reads them).
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

from iej_impact.report._i18n import MESSAGES

_VOID = {"br", "img", "meta", "link", "input", "hr", "wbr"}


class _Visible(HTMLParser):
    def __init__(self, skip_lang: str) -> None:
        super().__init__(convert_charrefs=True)
        self.skip_lang = skip_lang
        self.stack: list[tuple[str, bool]] = []
        self.chunks: list[str] = []
        self.headers: list[str] = []
        self._th: list[str] | None = None

    def _skipping(self) -> bool:
        return any(skip for _tag, skip in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if not self._skipping():
            for key in ("alt", "aria-label", "title"):
                if a.get(key):
                    self.chunks.append(str(a[key]))
        if tag in _VOID:
            return
        skip = tag in ("pre", "code", "style", "script", "title") or a.get("lang") == self.skip_lang
        self.stack.append((tag, skip))
        if tag == "th":
            self._th = []

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID:
            return
        while self.stack:
            t, _skip = self.stack.pop()
            if t == tag:
                break
        if tag == "th" and self._th is not None:
            self.headers.append("".join(self._th).strip())
            self._th = None
        self.chunks.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping():
            self.chunks.append(data)
            if self._th is not None:
                self._th.append(data)


def visible(document: str, other_language: str) -> tuple[str, list[str]]:
    """(the visible text, the table headers) of ``document``, leaving out text in ``other_language``."""
    parser = _Visible(other_language)
    parser.feed(document)
    return html.unescape("".join(parser.chunks)), parser.headers


def foreign_strings(text: str, language: str) -> list[str]:
    """The messages of the other language (where they differ from ``language``'s) found in ``text``.

    A message with placeholders is split at them; pieces of fewer than 4 letters are not searched
    ('p', 'N'), and single words are searched as whole words.
    """
    other = "en" if language == "fr" else "fr"
    found = []
    for key, texts in MESSAGES.items():
        mine, theirs = texts[language], texts[other]
        if mine == theirs:
            continue
        for piece in re.split(r"\{[^}]*\}", theirs):
            piece = piece.strip(" :;,.()[]\u202f")
            if len(re.sub(r"[^A-Za-zÀ-ÿ]", "", piece)) < 4 or piece in mine:
                continue
            if any(piece in texts_[language] for texts_ in MESSAGES.values()):
                continue  # the same word is also a label of this language (e.g. 'Version', 'population')
            if re.search(r"(?<![\wÀ-ÿ])" + re.escape(piece) + r"(?![\wÀ-ÿ])", text):
                found.append(f"{key}: {piece!r}")
    return found
