"""build_report: deterministic, self-contained, bilingual, escaped, atomic; effect table with truth columns."""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

import pandas as pd
import pytest

from iej_impact import build_report
from iej_impact.errors import SpecificationError
from iej_impact.inference import Clustered, Robust
from iej_impact.report import _i18n
from iej_impact.results import EffectResult, Summary

NNBSP = "\u202f"


def effect(**over):
    kw = dict(method="psm", estimand="ATT", outcome="employed_6m", estimate=0.0431234, std_error=0.011,
              ci=(0.021, 0.065), p_value=0.0001, inference=Robust(), n_treated=1200, n_control=12345,
              sample_sizes=pd.DataFrame({"control": [12345, 1200], "treated": [1200, 1200]},
                                        index=pd.Index(["all", "used"], name="sample")))
    kw.update(over)
    return EffectResult(**kw)


class BalanceLike:
    """A result without an estimate (like a balance table): summary() and to_frame() only."""

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"covariate": ["age"], "smd": [0.031]})

    def summary(self) -> Summary:
        return Summary(title="Balance <table>", tables=(("SMD", self.to_frame().set_index("covariate")),))


class AggregateLike:
    """A result exposing its estimate through to_dict() only, with a 90% interval."""

    def to_dict(self) -> dict:
        return {"method": "att_gt", "estimand": "ATT", "outcome": "earnings", "estimate": 250.0, "std_error": 50.0,
                "ci_lower": 167.8, "ci_upper": 332.2, "ci_level": 0.9, "p_value": 0.5, "n_treated": 40,
                "n_control": 60, "inference": "bootstrap"}

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([self.to_dict()])


@pytest.fixture
def flow() -> pd.DataFrame:
    return pd.DataFrame({
        "step": ["input", "filter: age", "complete cases"],
        "rows_in": [14000, 14000, 13800],
        "rows_out": [14000, 13800, 13545],
        "treated_out": [1300, 1250, 1200],
        "control_out": [12700, 12550, 12345],
        "reason": ["rows read", "age >= 16", "missing covariate"],
    })


@pytest.fixture
def results():
    return {
        "psm_emploi": effect(),
        "ipw_gain": effect(method="ipw", estimand="ATE", outcome="earnings", estimate=-1234.5, std_error=300.0,
                           ci=(-1822.5, -646.5), p_value=0.2, inference=Clustered(by="region")),
    }


@pytest.fixture
def png(tmp_path) -> Path:
    from iej_impact.report._plotting import plot_effects, save_figure

    frame = pd.DataFrame({"name": ["a"], "estimate": [0.04], "ci_lower": [0.02], "ci_upper": [0.06]})
    return save_figure(plot_effects(frame), tmp_path / "figs" / "effects.png")


def build(tmp_path, flow, results, name="report.html", **kw) -> str:
    path = build_report(tmp_path / name, title=kw.pop("title", "Évaluation IEJ"), results=kw.pop("results", results),
                        sample_flow=flow, **kw)
    assert path == tmp_path / name
    return path.read_text(encoding="utf-8")


def table_rows(doc: str, css_class: str) -> list[list[str]]:
    """Header + body rows of the table with class ``css_class``, as unescaped text cells."""
    match = re.search(rf"<table class='{css_class}'>(.*?)</table>", doc, re.S)
    assert match, f"no table of class {css_class}"
    rows = []
    for tr in re.findall(r"<tr>(.*?)</tr>", match.group(1), re.S):
        rows.append([html.unescape(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", tr, re.S)])
    return rows


def effects_by_name(doc: str) -> dict[str, dict[str, str]]:
    header, *rows = table_rows(doc, "effects")
    return {r[0]: dict(zip(header, r, strict=True)) for r in rows}


def test_same_inputs_give_identical_bytes(tmp_path, flow, results, png):
    manifest = {"seed": 7, "inputs": [{"role": "data", "path": "d.csv", "sha256": "0" * 64}],
                "package_versions": {"numpy": "2"}, "config": {"project": {"seed": 7}}}
    kw = dict(truths={"psm_emploi": 0.04, "ipw_gain": None}, manifest=manifest, figures={"effects": png})
    a = build_report(tmp_path / "a.html", title="t", results=results, sample_flow=flow, **kw).read_bytes()
    b = build_report(tmp_path / "b.html", title="t", results=results, sample_flow=flow, **kw).read_bytes()
    assert a == b
    c = build_report(tmp_path / "c.html", title="t", results={"psm_emploi": effect(estimate=0.05)}, sample_flow=flow,
                     truths={"psm_emploi": 0.04}, manifest=manifest, figures={"effects": png}).read_bytes()
    assert c != a


def test_french_by_default_with_french_numbers(tmp_path, flow, results):
    doc = build(tmp_path, flow, results)
    assert "<html lang='fr'>" in doc
    for label in ("Constitution de l&#x27;échantillon", "Effets estimés", "Reproductibilité", "Notes et mises en garde"):
        assert label in doc
    row = effects_by_name(doc)["psm_emploi"]
    assert row["Estimation"] == "0,0431"
    assert row[f"IC à 95{NNBSP}%"] == f"[0,0210{NNBSP}; 0,0650]"
    assert row["p"] == f"<{NNBSP}0,001"
    assert row["N témoins"] == f"12{NNBSP}345"
    assert row["Inférence"] == "robuste"
    assert effects_by_name(doc)["ipw_gain"]["Inférence"] == "par grappes (region)"


def test_english_labels_and_numbers(tmp_path, flow, results):
    doc = build(tmp_path, flow, results, language="en")
    assert "<html lang='en'>" in doc
    assert "Estimated effects" in doc and "Effets estimés" not in doc
    row = effects_by_name(doc)["ipw_gain"]
    assert row["Estimate"] == "-1,234.5000"
    assert row["95% CI"] == "[-1,822.5000, -646.5000]"
    assert row["p"] == "0.200"
    assert row["Inference"] == "clustered (region)"


def test_unknown_language_names_the_choices(tmp_path, flow, results):
    with pytest.raises(SpecificationError, match=r"'language'.*'fr', 'en'.*'de'"):
        build_report(tmp_path / "r.html", title="t", results=results, sample_flow=flow, language="de")
    assert not (tmp_path / "r.html").exists()


def test_truth_columns_only_when_truths_given(tmp_path, flow, results):
    plain = build(tmp_path, flow, results, name="plain.html")
    assert "Valeur vraie" not in plain and "Biais" not in plain
    doc = build(tmp_path, flow, results, name="truth.html", truths={"psm_emploi": 0.04, "ipw_gain": -1900.0})
    rows = effects_by_name(doc)
    # bias = estimate - truth; covered = ci_lower <= truth <= ci_upper
    assert rows["psm_emploi"]["Valeur vraie"] == "0,0400"
    assert rows["psm_emploi"]["Biais"] == "0,0031"
    assert rows["psm_emploi"]["IC couvre la vraie valeur"] == "oui"
    assert rows["ipw_gain"]["Biais"] == "665,5000"
    assert rows["ipw_gain"]["IC couvre la vraie valeur"] == "non"
    partial = build(tmp_path, flow, results, name="partial.html", language="en", truths={"psm_emploi": 0.1})
    rows = effects_by_name(partial)
    assert rows["psm_emploi"]["Bias"] == "-0.0569" and rows["psm_emploi"]["CI covers truth"] == "no"
    assert rows["ipw_gain"]["True value"] == "n/a" and rows["ipw_gain"]["CI covers truth"] == "n/a"


def test_user_text_is_escaped(tmp_path, flow):
    evil = "<script>alert('x')</script>"
    flow = flow.assign(reason=[evil, "a & b", "ok"])
    results = {evil: effect(outcome="y<1>", notes=("note <i>",))}
    doc = build(tmp_path, flow, results, title=evil, notes=[evil, "R&D"], truths={evil: 0.0},
                manifest={"seed": 1, "config": {"filters": [evil]}})
    assert "<script" not in doc
    assert "<i>" not in doc and "y<1>" not in doc
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in doc
    assert "R&amp;D" in doc and "a &amp; b" in doc
    assert effects_by_name(doc)[evil]["Résultat"] == "y<1>"


def test_self_contained_no_network_reference(tmp_path, flow, results, png):
    doc = build(tmp_path, flow, results, figures={"effects": png, "custom figure": png},
                manifest={"seed": 1, "package_versions": {"numpy": "2"}})
    without_images = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", doc)
    assert "http" not in without_images
    for tag in ("<script", "<link", "<iframe", "url(", "@import"):
        assert tag not in without_images
    assert "<style>" in doc


def test_figures_are_embedded_as_base64(tmp_path, flow, results, png):
    doc = build(tmp_path, flow, results, figures={"effects": png, "sample_flow": png})
    payloads = re.findall(r"src='data:image/png;base64,([A-Za-z0-9+/=]+)'", doc)
    assert len(payloads) == 2
    assert base64.b64decode(payloads[0]) == png.read_bytes()
    assert "Effets estimés et intervalles de confiance" in doc
    assert "Lignes retenues à chaque étape, par groupe" in doc


def test_figure_must_be_an_existing_png(tmp_path, flow, results):
    text = tmp_path / "not.png"
    text.write_text("hello")
    with pytest.raises(SpecificationError, match=r"figures\['x'\].*not a PNG"):
        build_report(tmp_path / "r.html", title="t", results=results, sample_flow=flow, figures={"x": text})
    with pytest.raises(SpecificationError, match="file not found"):
        build_report(tmp_path / "r.html", title="t", results=results, sample_flow=flow,
                     figures={"x": tmp_path / "missing.png"})


def test_sample_flow_table_with_per_arm_exclusions(tmp_path, flow, results):
    doc = build(tmp_path, flow, results, language="en")
    header, *rows = table_rows(doc, "flow")
    assert header == ["Step", "Rows in", "Rows kept", "Rows excluded", "Treated kept", "Control kept",
                      "Treated excluded", "Control excluded", "Reason"]
    assert [r[0] for r in rows] == ["input", "filter: age", "complete cases"]
    assert rows[1] == ["filter: age", "14,000", "13,800", "200", "1,250", "12,550", "50", "150", "age >= 16"]
    assert rows[2][3:] == ["255", "1,200", "12,345", "50", "205", "missing covariate"]
    # design summary: input rows and the final sample per arm
    assert "13,545 rows (1,200 treated, 12,345 control)" in doc


def test_sample_flow_without_arms(tmp_path, flow, results):
    no_arms = flow.assign(treated_out=[None] * 3, control_out=[None] * 3)
    doc = build(tmp_path, no_arms, results, language="en")
    rows = table_rows(doc, "flow")[1:]
    assert rows[1][4:8] == ["n/a"] * 4
    assert "13,545 rows</dd>" in doc


def test_results_without_estimate_go_to_details_only(tmp_path, flow):
    results = {"psm": effect(), "balance": BalanceLike(), "cs.simple": AggregateLike()}
    doc = build(tmp_path, flow, results, language="en")
    rows = effects_by_name(doc)
    assert list(rows) == ["psm", "cs.simple"]
    # mixed CI levels: the header says so and each interval carries its level
    assert rows["cs.simple"]["Confidence interval (level)"] == "[167.8000, 332.2000] (90%)"
    assert "Results without a point estimate (see the details): balance." in doc
    assert doc.count("class='result-detail'") == 3
    assert "Balance &lt;table&gt;" in doc and "0.0310" in doc


def test_reproducibility_section_drops_volatile_entries(tmp_path, flow, results):
    manifest = {
        "seed": 20180101,
        "inputs": [{"role": "data", "path": "data/cohort.csv", "sha256": "ab" * 32, "rows": 14000}],
        "package_versions": {"numpy": "2.4.6", "pandas": "3.1.1"},
        "config": {"project": {"name": "demo"}},
        "timings_seconds": {"load": 0.123},
        "started_at": "2026-01-01T00:00:00",
        "excluded_rows": 455,
    }
    doc = build(tmp_path, flow, results, manifest=manifest, language="en")
    assert "ab" * 32 in doc and "data/cohort.csv" in doc
    assert "<td>pandas</td><td>3.1.1</td>" in doc
    assert "20180101" in doc and "&quot;demo&quot;" in doc
    assert "excluded_rows" in doc
    assert "0.123" not in doc and "2026-01-01" not in doc and "timings" not in doc


def test_atomic_write_leaves_no_temp_file(tmp_path, flow, results, monkeypatch):
    out = tmp_path / "out"
    build_report(out / "report.html", title="first", results=results, sample_flow=flow)
    assert sorted(p.name for p in out.iterdir()) == ["report.html"]
    before = (out / "report.html").read_bytes()

    import iej_impact._atomic_write as atomic_module

    def failing_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(atomic_module.os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        build_report(out / "report.html", title="second", results=results, sample_flow=flow)
    assert sorted(p.name for p in out.iterdir()) == ["report.html"]
    assert (out / "report.html").read_bytes() == before


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"truths": {"psm_employ": 0.1}}, r"truths.*\['psm_employ'\].*not in 'results'"),
        ({"truths": {"psm_emploi": "0.1"}}, r"truths\['psm_emploi'\].*number"),
        ({"results": {"x": 3}}, r"results\['x'\].*int.*summary\(\)"),
        ({"title": None}, "'title'"),
        ({"notes": "one note"}, "'notes'"),
    ],
)
def test_wrong_arguments_are_named(tmp_path, flow, results, kwargs, message):
    kw = {"title": "t", "results": results, **kwargs}
    with pytest.raises(SpecificationError, match=message):
        build_report(tmp_path / "r.html", sample_flow=flow, **kw)


def test_flow_columns_are_checked(tmp_path, flow, results):
    with pytest.raises(SpecificationError, match=r"lacks column\(s\) \['control_out'\]"):
        build_report(tmp_path / "r.html", title="t", results=results, sample_flow=flow.drop(columns="control_out"))


def test_every_message_has_both_languages():
    for key, texts in _i18n.MESSAGES.items():
        assert set(texts) == {"fr", "en"}, key
        assert all(texts.values()), key
    with pytest.raises(KeyError, match="no message"):
        _i18n.t("no_such_label", "fr")


def test_number_formatting_by_language():
    assert _i18n.format_number(1234567.891, "fr", 2) == f"1{NNBSP}234{NNBSP}567,89"
    assert _i18n.format_number(1234567.891, "en", 2) == "1,234,567.89"
    assert _i18n.format_number(float("nan"), "fr") == "n.d."
    assert _i18n.format_int(12345, "fr") == f"12{NNBSP}345"
    assert _i18n.format_pvalue(0.0456, "fr") == "0,046"
    assert _i18n.format_percent(0.9, "fr") == f"90{NNBSP}%"
    assert _i18n.format_interval(-1.5, 2.25, "en", 1) == "[-1.5, 2.2]"


def test_count_columns_with_missing_values_show_zero_as_an_integer() -> None:
    """A count column made float by a suppressed (missing) cell prints 0 as '0', shares keep decimals."""
    from iej_impact.report._html_blocks import frame_html

    frame = pd.DataFrame({"numerator": [0.0, float("nan"), 4051.0], "value": [0.0, float("nan"), 0.5557]})
    html_text = frame_html(frame, 4, "fr")
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", html_text)
    assert cells[0] == "0"
    assert cells[1] == "0,0000"
    assert cells[4] == "4\u202f051" or cells[4].replace("\u00a0", " ").replace("\u202f", " ") == "4 051"
    assert cells[5] == "0,5557"


def test_one_effect_table_feeds_the_csv_and_the_report(tmp_path, flow, results):
    """tables/effects.csv and the report's effect table are built from the same rows (effect_rows)."""
    from iej_impact.report._effects_table import CSV_COLUMNS, effect_rows, effects_frame

    class MatchLike(BalanceLike):
        """Like MatchResult: ``estimate`` is a method, not a number; no row in either table."""

        def estimate(self, outcome: str) -> None:
            return None

    mixed = {**results, "agg": AggregateLike(), "balance": BalanceLike(), "matching": MatchLike()}
    truths = {"psm_emploi": 0.05, "agg": None}
    rows = effect_rows(mixed, truths)
    frame = effects_frame(mixed, truths)
    assert [r["name"] for r in rows] == ["psm_emploi", "ipw_gain", "agg"]
    assert list(frame.columns) == list(CSV_COLUMNS)
    assert frame["name"].tolist() == [r["name"] for r in rows]
    assert frame["estimate"].tolist() == [r["estimate"] for r in rows]
    assert rows[0]["bias"] == pytest.approx(0.0431234 - 0.05) and rows[0]["covered"] is True
    assert rows[2]["truth"] is None and rows[2]["bias"] is None
    page = build_report(tmp_path / "r.html", title="t", results=mixed, sample_flow=flow, language="en",
                        truths=truths).read_text(encoding="utf-8")
    effects = page[page.index("<h2 id='effects'>"):page.index("<h2 id='details'>")]
    shown = re.findall(r"<tr><td>([^<]*)</td>", effects)
    assert shown == ["psm_emploi", "ipw_gain", "agg"]


def test_a_named_consecutive_index_is_shown() -> None:
    """pandas 3 turns set_index('event_time') on 0, 1, 2 ... into a named RangeIndex: it is still a column to show."""
    import pandas as pd

    from iej_impact.report._html_blocks import frame_html

    frame = pd.DataFrame({"event_time": [0, 1, 2], "estimate": [0.1, 0.2, 0.3]}).set_index("event_time")
    frame.index = pd.RangeIndex(0, 3, name="event_time")
    html = frame_html(frame, 3, "en")
    assert "<th" in html and ">0<" in html.replace(" ", "") and html.count("<tr") == 4
    unnamed = frame_html(frame.reset_index(drop=True), 3, "en")
    assert "event" not in unnamed
