"""The repository stands alone: docs, docstrings, comments, code lists and registry files cite no
document a user does not have.

A user has only the repository. A fact must be stated where it is used, or cited from a public
source (a regulation, an EU guidance document, an article) or from a page of ``docs/``; pointers
to a private brief, to line numbers of a private text copy, to numbered tracker issues or to
internal audit and review notes lead nowhere.

The scanned places are those a user reads (``src/``, ``docs/``, ``README.md``, ``configs/``,
``benchmarks/``, ``pyproject.toml``, ``Makefile``); ``tests/`` is not scanned, so this file's
patterns and the fixtures of ``test_reference_docs.py`` do not flag themselves. The patterns are
regular expressions whose source text never contains the phrase it matches (``\\s+`` stands
between the words), and the examples below are split, so this file passes its own scan.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCANNED = ("src", "docs", "README.md", "configs", "benchmarks", "pyproject.toml", "Makefile")

#: (pattern, what it points to): references to documents that are not in the repository
OUTSIDE = [
    (r"\bdomain\s*brief\b|\bdomain\.md\b|\[K:\s*domain", "a private brief"),
    (r"\bbrief\s+[A-E](?:\.\d+)?\b", "a section of a private brief"),
    (r"\b(?:table|tables|section|sections)\s+[A-E]\.\d+\b|\b[A-E]\.\d+\s+item\s+\d+", "a section of a private brief"),
    (r"\bseed,?\s*L\.?\s*\d", "a line number of a private copy of the 2015 report"),
    (r"\bseed\s+(?:report|annex(?:es)?|text|document)\b", "a private copy of the 2015 report"),
    (r"\bissues?\s*#\s*\d+|\bissues?\s+\d+\b", "a numbered tracker issue"),
    (r"\bthe\s+(?:[\w-]+\s+)?issue(?:'s)?(?![\w'-])", "a tracker issue"),
    (r"\breliability\s+audit\b|\baudit\s+(?:case|cases|re-run|\d)|\bthe\s+audit'?s\b", "an internal audit"),
    (r"\barchitecture\s+review\b|\bcode-review\s+notes?\b", "an internal review"),
    (r"\bstyle\.md\b|\.\./shared\b", "a file outside the repository"),
]
_OUTSIDE = [(re.compile(p, flags=re.IGNORECASE), why) for p, why in OUTSIDE]
#: a Markdown file named in the text (``docs/interface.md``, ``code-lists.md#sex``)
_MARKDOWN_NAME = re.compile(r"(?<![\w.\\-])([\w./-]*[\w-]\.md)\b")
_MARKDOWN_DIRS = (ROOT, ROOT / "docs", ROOT / "docs" / "reference")


def _scanned_files() -> list[Path]:
    files: list[Path] = []
    for name in SCANNED:
        path = ROOT / name
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    return files


def _text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:  # binary files (images, Parquet) hold no prose
        return None


def _markdown_exists(name: str, where: Path) -> bool:
    relative = name.lstrip("/")
    return any((base / relative).exists() for base in (where.parent, *_MARKDOWN_DIRS))


def outside_references(path: Path, text: str) -> list[str]:
    """``file:line: what`` for each reference of ``text`` to a document outside the repository."""
    rel = path.relative_to(ROOT).as_posix()
    found = []
    for pattern, why in _OUTSIDE:  # on the whole text: a phrase may be wrapped over two lines
        for match in pattern.finditer(text):
            found.append((text.count("\n", 0, match.start()) + 1, f"{' '.join(match.group(0).split())!r} ({why})"))
    for match in _MARKDOWN_NAME.finditer(text):
        if not _markdown_exists(match.group(1), path):
            found.append((text.count("\n", 0, match.start()) + 1,
                          f"{match.group(1)!r} (a Markdown file that is not in the repository)"))
    return [f"{rel}:{line}: {what}" for line, what in sorted(found)]


def test_the_scan_covers_the_places_users_read() -> None:
    files = {p.relative_to(ROOT).as_posix() for p in _scanned_files()}
    for expected in ("README.md", "docs/interface.md", "src/iej_impact/data/codelists/index.yaml",
                     "src/iej_impact/indicators/registry/registry.csv", "src/iej_impact/indicators/_rules.py"):
        assert expected in files, f"{expected} is not scanned"


def test_no_reference_to_documents_outside_the_repository() -> None:
    found = []
    for path in _scanned_files():
        text = _text(path)
        if text is not None:
            found += outside_references(path, text)
    assert not found, (
        "references to documents that are not in the repository (state the fact, cite a public source "
        "or a page of docs/ instead):\n" + "\n".join(found)
    )


@pytest.mark.parametrize("line", [
    "Definitions (" + "domain" + " brief" + " A.2):",
    "see " + "domain" + ".md",
    "2015 report (" + "seed" + " L1298-1311)",
    "exit categories (" + "seed" + ", L1298)",
    "canonical columns of table " + "E" + ".2",
    "the bad-input cases of section " + "E" + ".6",
    "see A.3 " + "item" + " 13",
    "Definitions (domain\n" + "brief" + " E.2):",
    "more in the indicators " + "issue",
    "the job of " + "issue" + " 6",
    "within the " + "issue" + "'s target",
    "Nothing is guessed (reliability " + "audit" + " 1)",
    "as the architecture " + "review" + " asked",
    "see ../" + "shared/" + "style" + ".md",
])
def test_each_kind_of_outside_reference_is_caught(line: str) -> None:
    assert outside_references(ROOT / "docs" / "index.md", line), line


@pytest.mark.parametrize("line", [
    "Sans solution d'insertion à l'issue de l'action",  # French 'à l'issue' (at the end of)
    "the same seed gives the same bytes; draws depend on the seed and the number of clusters",
    "Reg. (EU) No 1304/2013 Annex I; Review of Economic Studies 64(4)",
    "The contract is in docs/interface.md; see [the parsers](reference/parsers.md#number).",
    "isced_map='seed_2015' reproduces the 2015 NPdC evaluation report",
    "notes : plain-language notes (conventions, exclusions, data issues)",
])
def test_ordinary_text_is_not_flagged(line: str) -> None:
    assert outside_references(ROOT / "docs" / "index.md", line) == []


def test_this_file_passes_its_own_scan() -> None:
    path = Path(__file__).resolve()
    assert outside_references(path, path.read_text(encoding="utf-8")) == []
