"""The demo report in French and in English: every label in the report's language, variables under
their labels, numbers in the language's format, the one-page summary, the spreadsheets.

One French run (with ``report.labels``) and one English run of the demo configuration on a small
synthetic cohort (tests/_demo_runs.py) feed every test here.
"""

from __future__ import annotations

import re
import zipfile

import pandas as pd
import pytest

from _demo_runs import LABELS, demo_run
from _report_text import foreign_strings, visible
from iej_impact.config import load_config
from iej_impact.errors import ConfigError
from iej_impact.report._i18n import NNBSP
from iej_impact.report._spreadsheets import write_spreadsheets

#: French words that are also English labels of the table ('stage' = internship, in indicator labels)
_SAME_WORD = {"fr": ("'stage'",), "en": ()}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    out = {}
    for language, labels in (("fr", LABELS), ("en", None)):
        directory = tmp_path_factory.mktemp(f"demo-{language}")
        out[language] = demo_run(directory, language, labels)
    return out


def _reader_text(run, language: str) -> tuple[str, list[str]]:
    other = "en" if language == "fr" else "fr"
    text, headers = visible(run.report_path.read_text(encoding="utf-8"), other)
    # user text is the user's: the title and the analysis names are shown as written
    for name in sorted(run.results, key=len, reverse=True):
        text = text.replace(name, "")
    return text, headers


def _result_columns(run) -> set[str]:
    """Snake_case column names of the run's result tables (what tables/*.csv call them)."""
    names = set()
    for res in run.results.values():
        frame = res.to_frame()
        names |= {str(c) for c in frame.columns if "_" in str(c)}
    return names


@pytest.mark.parametrize("language", ["fr", "en"])
def test_no_label_of_the_other_language_and_no_raw_column_name(runs, language):
    run = runs[language]
    text, headers = _reader_text(run, language)
    title = run.results_json["manifest"].get("config", {}).get("report", {}).get("title", "")
    text = text.replace(title, "")
    found = [f for f in foreign_strings(text, language) if not f.endswith(_SAME_WORD[language])]
    assert not found, f"{language} report shows the other language's labels: {found}"
    raw = _result_columns(run) - set(LABELS)
    shown = sorted({h for h in headers if h in raw})
    assert not shown, f"raw column names as table headers: {shown}"
    raw_in_text = sorted(c for c in raw if re.search(rf"(?<![\w.]){re.escape(c)}(?![\w])", text))
    assert not raw_in_text, f"raw column names in the text: {raw_in_text}"


def test_french_notes_are_translated_or_marked_as_english(runs):
    doc = runs["fr"].report_path.read_text(encoding="utf-8")
    assert "Inférence : écart-type robuste" in doc
    assert "<ul class='notes' lang='en'>" in doc  # the rest is kept in English, said so
    assert "Notes techniques de l&#x27;estimateur, dans leur langue d&#x27;origine (anglais)" in doc


def test_variables_are_shown_under_their_labels(runs):
    doc = runs["fr"].report_path.read_text(encoding="utf-8")
    effects = doc.split("id='effects'", 1)[1].split("</table>", 1)[0]
    assert "En emploi 12 mois après l&#x27;entrée" in effects
    assert ">employed_12m<" not in effects
    assert "Âge à l&#x27;entrée" in doc  # a covariate, in the balance table
    summary = doc.split("id='summary'", 1)[1].split("</section>", 1)[0]
    assert "« En emploi 12 mois après l&#x27;entrée »" in summary


def test_numbers_in_the_language_format_and_counts_as_integers(runs):
    fr = runs["fr"].report_path.read_text(encoding="utf-8")
    en = runs["en"].report_path.read_text(encoding="utf-8")
    row = re.search(r"<tr><td>ESF:CO05</td>.*?</tr>", fr).group(0)  # no one employed at entry: zero counts
    assert "<td class='num'>0</td>" in row and "0,0000</td><td class='num'>" in row
    assert f"1{NNBSP}200" in fr and "1,200" in en
    assert re.search(r"\d,\d{4}", fr) and re.search(r"\d\.\d{4}", en)


def test_long_tables_are_collapsed_with_a_link_to_their_csv(runs):
    run = runs["fr"]
    doc = run.report_path.read_text(encoding="utf-8")
    links = re.findall(r"<details class='long-table'><summary>[^<]+</summary>.*?</details><p class='caption'>"
                       r"Tableau complet : <a href='(tables/[^']+)'>", doc, re.S)
    assert "tables/indicateurs_programme.csv" in links and "tables/cs_employment.csv" in links
    assert all((run.output_dir / link).is_file() for link in links)


def test_the_summary_comes_first_with_one_paragraph_per_effect(runs):
    for language, run in runs.items():
        doc = run.report_path.read_text(encoding="utf-8")
        assert doc.index("id='summary'") < doc.index("id='design'")
        summary = doc.split("id='summary'", 1)[1].split("</section>", 1)[0]
        effects = pd.read_csv(run.output_dir / "tables" / "effects.csv")
        placebo = effects["name"].str.contains(r"\.placebo_(?:entry|group)\b")  # shown in the placebo section instead
        assert placebo.sum() == 2 and summary.count("<p><strong>") == len(effects) - placebo.sum()
        assert "placebo" not in summary and doc.index("id='effects'") < doc.index("id='placebos'")
        psm = re.search(r"<strong>psm_employed_12m</strong>(.*?)</p>", summary).group(1)
        if language == "fr":
            assert "appariement" in psm and "traités" in psm and "IC" not in psm
            assert re.search(r"intervalle de confiance à 95\u202f% : \[\d,\d{4}\u202f; \d,\d{4}\]", psm)
            assert "covariables" in psm  # balance after matching
        else:
            assert "Matching assumes" in psm and "covariates" in psm
        dynamic = re.search(r"<strong>cs_employment\.dynamic</strong>(.*?)</p>", summary).group(1)
        assert ("tendances préalables" if language == "fr" else "pre-trend test") in dynamic


def test_report_labels_must_be_strings(tmp_path):
    cfg = tmp_path / "c.yaml"
    base = "version: 1\ndata: {path: d.csv}\nanalyses: [{name: a, estimator: balance_table, covariates: [x]}]\n"
    cfg.write_text(base + "report: {labels: {x: 12}}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"report\.labels\.x") as info:
        load_config(cfg)
    assert "must be a string" in str(info.value)
    cfg.write_text(base + "report: {labels: [x]}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"report\.labels"):
        load_config(cfg)
    cfg.write_text(base + "report: {labels: {x: \"Âge\"}}\n", encoding="utf-8")
    assert load_config(cfg).report["labels"] == {"x": "Âge"}


def test_spreadsheet_tables_for_excel(runs):
    run = runs["fr"]
    tables = run.output_dir / "tables"
    machine = sorted(p.stem for p in tables.glob("*.csv"))
    excel = sorted(p.stem for p in (tables / "excel").glob("*.csv"))
    # every table of the results has its spreadsheet copy; the grid and comparison tables are machine-readable only
    assert set(excel) <= set(machine)
    assert all(stem.startswith(("compare_", "grid_")) for stem in set(machine) - set(excel)), set(machine) - set(excel)
    raw = (tables / "excel" / "effects.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    header, first = raw.decode("utf-8-sig").splitlines()[:2]
    assert header.split(";")[:5] == ["analyse", "méthode", "paramètre", "variable de résultat", "estimation"]
    assert re.fullmatch(r"-?\d+,\d+(e-\d+)?", first.split(";")[4])
    # the machine-readable CSV is unchanged: commas, points, column names
    assert (tables / "effects.csv").read_text(encoding="utf-8").startswith("name,method,estimand,outcome,estimate")
    indicators = pd.read_csv(tables / "excel" / "indicateurs_programme.csv", sep=";", encoding="utf-8-sig", dtype=str)
    suppressed = indicators[indicators["secret statistique"] == "oui"]
    assert len(suppressed) and (suppressed["valeur"] == "s").all()

    from openpyxl import load_workbook

    wb = load_workbook(tables / "tables.xlsx")
    assert len(wb.sheetnames) == len(excel)
    ws = wb["indicateurs_programme"]
    header = [c.value for c in ws[1]]
    assert "numérateur" in header and "secret statistique" in header
    marked = [row for row in ws.iter_rows(min_row=2, values_only=True) if row[header.index("secret statistique")] == "oui"]
    assert marked and all(row[header.index("valeur")] == "s" for row in marked)
    assert ws.freeze_panes == "A2"


def test_the_workbook_is_deterministic(runs, tmp_path):
    run = runs["en"]
    tables = {"effects": pd.read_csv(run.output_dir / "tables" / "effects.csv")}
    a = write_spreadsheets(tables, tmp_path / "a", "en")[-1].read_bytes()
    b = write_spreadsheets(tables, tmp_path / "b", "en")[-1].read_bytes()
    assert a == b
    with zipfile.ZipFile(run.output_dir / "tables" / "tables.xlsx") as z:
        assert b"2000-01-01T00:00:00Z" in z.read("docProps/core.xml")
    english = (run.output_dir / "tables" / "excel" / "effects.csv").read_text(encoding="utf-8-sig")
    assert english.startswith("analysis,method,estimand,outcome,estimate")
