"""The demo report in French and in English: every label in the report's language, variables under
their labels, numbers in the language's format, the one-page summary, the spreadsheets.

One French run (with ``report.labels``) and one English run of the demo configuration on a small
synthetic cohort (tests/_demo_runs.py) feed every test here.
"""

from __future__ import annotations

import html
import inspect
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

#: words of both languages ('stage' = internship, in indicator labels; 'estimation' in the references' titles)
_SAME_WORD = {"fr": ("'stage'",), "en": ("'Estimation'", "'estimation'")}


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


def _detail_notes(run) -> list[str]:
    """The estimators' notes as the report shows them, in the result sections (in document order)."""
    doc = run.report_path.read_text(encoding="utf-8")
    notes = []
    for section in re.findall(r"<section class='result-detail'.*?</section>", doc, re.S):
        for block in re.findall(r"<ul class='notes'[^>]*>(.*?)</ul>", section, re.S):
            notes += [html.unescape(li) for li in re.findall(r"<li>(.*?)</li>", block, re.S)]
    return notes


def test_every_note_of_the_demo_is_in_french(runs):
    doc = runs["fr"].report_path.read_text(encoding="utf-8")
    assert "<ul class='notes' lang='en'>" not in doc, "notes left in English in the French demo report"
    assert "class='original-notes'" not in doc
    notes = _detail_notes(runs["fr"])
    assert len(notes) > 50
    assert "Inférence : écart-type robuste (fonction d'influence, sandwich), intervalle de confiance normal." in notes
    assert any(n.startswith("Groupe de comparaison : unités pas encore traitées ; période de base : universelle ; "
                            "anticipation : 3") for n in notes)
    # numbers in the French format: decimal comma, thousands apart, true minus sign
    caliper = next(n for n in notes if n.startswith("Caliper de 0,2 écart-type = 0,"))
    assert re.search(rf"sur les \d{{1,3}}{NNBSP}\d{{3}} unités non écartées", caliper), caliper
    assert any("temps relatif −4" in n for n in notes)


def test_english_notes_are_the_estimators_own(runs):
    """The English report shows every note of every result exactly as the estimator wrote it, in order."""
    run = runs["en"]
    expected = []
    for res in run.results.values():
        if hasattr(res, "summary"):
            takes_language = "language" in inspect.signature(res.summary).parameters
            summary = res.summary(language="en") if takes_language else res.summary()
            expected += [str(n) for n in getattr(summary, "notes", ())]
    assert _detail_notes(run) == expected
    assert "class='original-notes'" not in run.report_path.read_text(encoding="utf-8")


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
        assert placebo.sum() == 2 and "placebo" not in summary and doc.index("id='effects'") < doc.index("id='placebos'")
        whole_sample = [n for n in effects.loc[~placebo, "name"] if "subgroup=" not in n]
        assert len(whole_sample) < len(effects)  # the demo's grids have subgroup cells: in the grid section
        # one paragraph per result, the whole-sample cells of a grid in one paragraph per analysis
        expected = list(dict.fromkeys(n.split("[")[0] if "[" in n else n for n in whole_sample))
        assert re.findall(r"<p><strong>(.*?)</strong>", summary) == expected
        psm = re.search(r"<strong>psm</strong>(.*?)</p>", summary).group(1)
        interval = r"\[-?\d,\d{4}\u202f; -?\d,\d{4}\]" if language == "fr" else r"\[-?\d\.\d{4}, -?\d\.\d{4}\]"
        assert len(re.findall(interval, psm)) == 4  # four cells: employment and training at 6 and 12 months
        if language == "fr":
            assert "appariement" in psm and "traités" in psm and "IC" not in psm
            assert "intervalle de confiance à 95\u202f%" in psm
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
    # every table of the results has its spreadsheet copy, the grid and comparison tables too
    assert set(excel) == set(machine)
    assert {"grid_psm", "grid_psm_equality", "compare_employed_12m"} <= set(excel)
    grid = pd.read_csv(tables / "excel" / "grid_psm.csv", sep=";", encoding="utf-8-sig", dtype=str)
    assert {"horizon", "sous-groupe", "p ajustée (Holm)", "p ajustée (Benjamini-Hochberg)"} <= set(grid.columns)
    assert grid["p ajustée (Holm)"].str.fullmatch(r"\d,\d+(e-\d+)?|1|0").all()
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


def test_the_grids_have_their_section_and_the_summary_says_which_designs_recover_the_truth(runs):
    for language, run in runs.items():
        doc = run.report_path.read_text(encoding="utf-8")
        section = doc.split("<section id='grids'>", 1)[1].split("</section>", 1)[0]
        for name in ("naive", "psm", "ipw", "aipw"):
            assert f"<h3>{name}</h3>" in section
        assert html.escape("psm[outcome=training,horizon=12,subgroup=female:1]") in section
        assert ("p ajustée (Holm)" if language == "fr" else "p adjusted (Holm)") in section
        # the closing paragraph on synthetic data counts what results.json says
        rows = [r for outcome in run.results_json["comparisons"].values() for r in outcome if r["covered"] is not None]
        covered, missed = [r for r in rows if r["covered"]], [r["name"] for r in rows if not r["covered"]]
        story = re.search(r"<div class='story'>.*?<p>(.*?)</p></div>", doc, re.S).group(1)
        intro = (f"{len(covered)} des {len(rows)} estimations" if language == "fr"
                 else f"{len(covered)} of the {len(rows)} whole-sample estimates")
        assert intro in html.unescape(story)
        for name in missed:
            assert html.escape(name) in story
        assert any(n.startswith("naive[") for n in missed), "on the demo the naive comparison misses the true effect"


def test_every_matching_and_weighting_analysis_shows_balance_and_overlap(runs):
    run = runs["fr"]
    figures = {p.name for p in (run.output_dir / "figures").glob("*.png")}
    for name in ("psm[outcome=employed,horizon=6]", "ipw[outcome=employed,horizon=6]",
                 "aipw[outcome=employed,horizon=6]", "psm_ate_employed_12m"):
        stem = name.replace(":", "=")
        assert {f"{stem}_love.png", f"{stem}_overlap.png"} <= figures, name
    assert not [f for f in figures if f.startswith("naive") or "subgroup=" in f]  # no score; one per analysis
    doc = run.report_path.read_text(encoding="utf-8")
    assert "Équilibre des covariables : psm[outcome=employed,horizon=6]" in doc
    assert "Recouvrement du score de propension : ipw[outcome=employed,horizon=6]" in doc
    assert "fenêtre d'anticipation" not in doc  # captions only; the shading is in the image (tests/test_plotting.py)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_methods_appendix_has_one_entry_per_estimator_used_before_the_manifest(runs, language):
    from iej_impact.report._methods_appendix import METHODS, method_keys

    run = runs[language]
    doc = run.report_path.read_text(encoding="utf-8")
    assert doc.index("<h2 id='figures'>") < doc.index("<h2 id='methods'>") < doc.index("<h2 id='reproducibility'>")
    entries = re.findall(r"<section class='method-entry' id='method-(\w+)'>", doc)
    used = {k for res in run.results.values() for k in method_keys(res)}
    assert sorted(entries) == sorted(used | {"multiple_testing"})  # the demo has a grid analysis
    assert {"psm", "ipw", "doubly_robust", "att_gt", "honest_did", "twfe", "event_study"} <= set(entries)
    for key in entries:
        assert f"<h3>{html.escape(METHODS[key].name[language], quote=True)}</h3>" in doc
    # every result's section links to an entry of the appendix, and no link is dangling
    links = re.findall(r"<a href='#method-(\w+)'>", doc)
    assert set(links) == set(entries) - {"multiple_testing"}
    assert len(re.findall(r"<section class='result-detail'", doc)) == len(run.results)
    # the options each analysis ran with, as the configuration writes them
    psm = doc.split("id='method-psm'>", 1)[1].split("</section>", 1)[0]
    assert "<li>psm : " in psm or "<li>psm: " in psm  # a grid's cells under their analysis' name, once
    assert "psm[" not in psm and "caliper = 0.2" in psm and "replace = true; ties = true" in psm
    cs = doc.split("id='method-att_gt'>", 1)[1].split("</section>", 1)[0]
    assert "control_group = not_yet_treated; anticipation = 3; base_period = universal" in cs
    assert "Callaway, B. &amp; Sant&#x27;Anna, P. H. C. (2021)" in cs
