"""docs/reference/ is generated from the code (iej_impact.data._reference_docs) and must match it.

When a table, a code list or a parser changes, regenerate the pages with ``make docs-reference``
(or ``python -m iej_impact.data._reference_docs`` from the repository root) and commit them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from iej_impact.data import _parser_specs
from iej_impact.data._datamodel import TABLES, codelist, codelist_info, codelist_names
from iej_impact.data._reference_docs import (
    CODE_LISTS,
    DATA_MODEL,
    PARSERS,
    REGENERATE_COMMAND,
    main,
    reference_pages,
    standalone,
)

ROOT = Path(__file__).resolve().parents[1]
CODELIST_DIR = ROOT / "src" / "iej_impact" / "data" / "codelists"


@pytest.fixture(scope="module")
def pages() -> dict[str, str]:
    return reference_pages()


def _anchors(text: str) -> set[str]:
    return {m.group(1) for m in re.finditer(r"^#+ (\S+)$", text, flags=re.MULTILINE)}


def test_the_committed_pages_are_the_generated_ones(pages: dict[str, str]) -> None:
    stale = [rel for rel, text in pages.items()
             if not (ROOT / rel).exists() or (ROOT / rel).read_text(encoding="utf-8") != text]
    assert not stale, (
        f"{', '.join(stale)} out of date with the code: regenerate with `{REGENERATE_COMMAND}` "
        "(or `python -m iej_impact.data._reference_docs` from the repository root) and commit the result."
    )


def test_no_stray_page_in_the_reference_folder(pages: dict[str, str]) -> None:
    from iej_impact.preparation._step_docs import PAGE

    committed = {p.relative_to(ROOT).as_posix() for p in (ROOT / "docs" / "reference").glob("*.md")}
    assert committed == set(pages) | {PAGE}, "docs/reference/ holds generated pages only"


def test_every_table_and_column_is_documented(pages: dict[str, str]) -> None:
    text = pages[DATA_MODEL]
    assert set(TABLES) <= _anchors(text)
    for name, schema in TABLES.items():
        section = text.split(f"\n## {name}\n", 1)[1].split("\n## ", 1)[0]
        for col in schema.columns:
            row = next((line for line in section.splitlines() if line.startswith(f"| `{col.name}` |")), None)
            assert row is not None, f"{name}.{col.name} missing from {DATA_MODEL}"
            assert f"`{col.dtype}`" in row
            if col.codelist:
                assert f"(code-lists.md#{col.codelist})" in row


def test_every_code_list_file_is_documented(pages: dict[str, str]) -> None:
    text = pages[CODE_LISTS]
    listed = {codelist_info(n)["file"] for n in codelist_names()}
    listed |= {codelist_info(n)["aliases"] for n in codelist_names() if codelist_info(n).get("aliases")}
    shipped = {p.name for p in CODELIST_DIR.glob("*.csv")}
    for filename in shipped:
        assert f"`{filename}`" in text or f"/{filename}`" in text, f"{filename} is not in {CODE_LISTS}"
    assert listed <= shipped
    assert set(codelist_names()) <= _anchors(text)
    for name in codelist_names():
        section = text.split(f"\n## {name}\n", 1)[1].split("\n## ", 1)[0]
        assert f"`{codelist_info(name)['version']}`" in section
        for row in codelist(name).itertuples(index=False):
            assert f"| `{row.code}` | {row.label_fr} | {row.label_en} |" in section, f"{name}: {row.code}"


def test_every_parser_declaration_is_documented(pages: dict[str, str]) -> None:
    text = pages[PARSERS]
    for name in [*_parser_specs._SHORTHANDS, "date:<format>"]:
        assert f"| `{name}` |" in text
    for key in _parser_specs._SPEC_KEYS:
        assert f"| `{key}` |" in text
    assert {*_parser_specs._SPEC_TYPES} <= _anchors(text)


def test_links_between_the_pages_resolve(pages: dict[str, str]) -> None:
    names = {Path(rel).name: text for rel, text in pages.items()}
    for rel, text in pages.items():
        for target, anchor in re.findall(r"\]\(([\w.-]*)(?:#([\w-]+))?\)", text):
            page = names.get(target) if target else text
            assert page is not None, f"{rel} links to {target}, which is not a generated page"
            if anchor:
                assert anchor in _anchors(page), f"{rel} links to {target}#{anchor}, which does not exist"


def test_the_pages_stand_alone(pages: dict[str, str]) -> None:
    outside = re.compile(r"domain\.md|domain brief|\bseed\b|\bissues?\b|\[K\]", flags=re.IGNORECASE)
    for rel, text in pages.items():
        found = outside.findall(text)
        assert not found, f"{rel} points outside the repository ({found[:3]})"


def test_index_links_the_pages(pages: dict[str, str]) -> None:
    index = (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
    for rel in pages:
        assert f"({Path(rel).relative_to('docs').as_posix()})" in index, f"docs/index.md does not link {rel}"


def test_standalone_keeps_own_words_and_drops_outside_references() -> None:
    assert standalone("domain.md E.2 (sex: F, M); ESF Reg. 1304/2013 Annex I") == "sex: F, M; ESF Reg. 1304/2013 Annex I"
    assert standalone("domain.md E.1 and D.3 item 10 (INSEE codes changed in 2016)") == "INSEE codes changed in 2016"
    assert standalone("(French nomenclature of 1969; seed L762-764)") == "French nomenclature of 1969"
    assert standalone("domain.md B.4 and A.3 item 13") == ""


def test_check_mode_reports_stale_pages(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--root", str(tmp_path), "--check"]) == 1
    assert REGENERATE_COMMAND in capsys.readouterr().err
    assert main(["--root", str(tmp_path)]) == 0
    assert main(["--root", str(tmp_path), "--check"]) == 0
    assert (tmp_path / DATA_MODEL).read_text(encoding="utf-8") == reference_pages()[DATA_MODEL]


def test_the_preparation_steps_page_is_current() -> None:
    """docs/reference/preparation-steps.md is generated from the step registry (make docs-reference)."""
    from iej_impact.preparation import STEPS
    from iej_impact.preparation._step_docs import COMMAND, PAGE, step_reference_page

    text = step_reference_page()
    assert (ROOT / PAGE).read_text(encoding="utf-8") == text, f"{PAGE} is stale: run `{COMMAND}`"
    for name in STEPS:
        assert f"\n### {name}\n" in text
