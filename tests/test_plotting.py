"""Plots show the table's numbers; PNG output is byte-stable; no pyplot state is used."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from iej_impact.errors import DataError, SpecificationError
from iej_impact.report._plotting import plot_effects, plot_sample_flow, save_figure

NNBSP = "\u202f"


@pytest.fixture
def effects() -> pd.DataFrame:
    return pd.DataFrame({
        "name": ["psm", "ipw", "did"],
        "estimate": [0.043, -0.010, np.nan],
        "ci_lower": [0.021, -0.050, np.nan],
        "ci_upper": [0.065, 0.030, np.nan],
        "truth": [0.040, np.nan, np.nan],
    })


@pytest.fixture
def flow() -> pd.DataFrame:
    return pd.DataFrame({
        "step": ["input", "filter", "complete cases"],
        "rows_in": [1400, 1400, 1380],
        "rows_out": [1400, 1380, 1354],
        "treated_out": [300, 290, 280],
        "control_out": [1100, 1090, 1074],
        "reason": ["rows read", "age", "NaN"],
    })


def _markers(ax: Axes, marker: str) -> np.ndarray:
    """(x, y) of every point drawn with ``marker`` (a Line2D without line)."""
    pts = [np.column_stack(line.get_data()) for line in ax.get_lines() if line.get_marker() == marker]
    return np.vstack(pts) if pts else np.empty((0, 2))


def test_forest_plot_draws_the_table(effects):
    ax = plot_effects(effects, truths={"ipw": 0.0, "not_plotted": 9.0})
    assert isinstance(ax, Axes)
    # rows top to bottom in table order
    labels = {tick.get_text(): y for tick, y in zip(ax.get_yticklabels(), ax.get_yticks(), strict=True)}
    assert labels["psm"] > labels["ipw"] > labels["did"]
    dots = _markers(ax, "o")
    np.testing.assert_allclose(dots[:, 0], [0.043, -0.010])  # the NaN row has no dot
    np.testing.assert_allclose(dots[:, 1], [labels["psm"], labels["ipw"]])
    segments = ax.collections[0].get_segments()
    np.testing.assert_allclose([s[:, 0] for s in segments], [[0.021, 0.065], [-0.050, 0.030]])
    truth = _markers(ax, "D")
    # the truth column for psm, the mapping for ipw; names absent from the table are ignored
    np.testing.assert_allclose(truth, [[0.040, labels["psm"]], [0.0, labels["ipw"]]])
    texts = [t.get_text() for t in ax.texts]
    assert texts[0] == f"0,043 [0,021{NNBSP}; 0,065]"
    assert texts[2] == f"n.d. [n.d.{NNBSP}; n.d.]"


def test_forest_plot_languages(effects):
    fr = plot_effects(effects)
    en = plot_effects(effects, language="en")
    assert fr.get_xlabel() == "Effet estimé (intervalle de confiance)"
    assert en.get_xlabel() == "Estimated effect (confidence interval)"
    assert fr.xaxis.get_major_formatter()(0.25, 0) == "0,25"
    assert en.xaxis.get_major_formatter()(-1500.0, 0) == "\u22121,500"
    assert [t.get_text() for t in en.get_legend().get_texts()] == ["Estimate", "True value"]
    with pytest.raises(SpecificationError, match="'fr', 'en'"):
        plot_effects(effects, language="es")


def test_forest_plot_uses_given_axes_and_checks_columns(effects):
    ax = Figure().add_subplot()
    assert plot_effects(effects.drop(columns="truth"), ax=ax) is ax
    assert len(_markers(ax, "D")) == 0
    with pytest.raises(DataError, match="'ci_upper'"):
        plot_effects(effects.drop(columns="ci_upper"))
    with pytest.raises(DataError, match="no rows"):
        plot_effects(effects.iloc[:0])


def test_object_columns_with_missing_values_are_accepted_and_text_is_refused():
    # as a run builds it: one row per result, truth None where unknown (object dtype)
    frame = pd.DataFrame([
        {"name": "a", "estimate": 0.1, "ci_lower": 0.0, "ci_upper": 0.2, "truth": None},
        {"name": "b", "estimate": None, "ci_lower": None, "ci_upper": None, "truth": None},
    ])
    assert frame["truth"].dtype == object
    ax = plot_effects(frame, truths=None, language="en")
    np.testing.assert_allclose(_markers(ax, "o"), [[0.1, 1.0]])
    assert len(_markers(ax, "D")) == 0
    with pytest.raises(DataError, match=r"column 'estimate' must hold numbers.*'high'"):
        plot_effects(frame.assign(estimate=["high", None]))


def test_sample_flow_bars_are_the_counts(flow):
    ax = plot_sample_flow(flow, language="en")
    treated, control = ax.containers
    assert [b.get_width() for b in treated] == [300, 290, 280]
    assert [b.get_width() for b in control] == [1100, 1090, 1074]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["input", "filter", "complete cases"]
    assert ax.get_yticks()[0] > ax.get_yticks()[-1]
    assert "1,074" in [t.get_text() for t in ax.texts]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Treated", "Control"]


def test_sample_flow_without_arms_shows_all_rows(flow):
    no_arms = flow.assign(treated_out=[None] * 3, control_out=[None] * 3)
    ax = plot_sample_flow(no_arms)
    assert len(ax.containers) == 1
    assert [b.get_width() for b in ax.containers[0]] == [1400, 1380, 1354]
    assert f"1{NNBSP}354" in [t.get_text() for t in ax.texts]
    assert ax.get_xlabel() == "Lignes retenues"


def test_saved_png_is_byte_stable(tmp_path, effects, flow):
    a = save_figure(plot_effects(effects), tmp_path / "a.png").read_bytes()
    b = save_figure(plot_effects(effects).figure, tmp_path / "sub" / "b.png").read_bytes()
    assert a[:8] == b"\x89PNG\r\n\x1a\n"
    assert a == b
    assert b"Software" not in a and b"atplotlib" not in a
    c = save_figure(plot_effects(effects.assign(estimate=[0.05, -0.01, np.nan])), tmp_path / "c.png").read_bytes()
    assert c != a
    d1 = save_figure(plot_sample_flow(flow), tmp_path / "d1.png").read_bytes()
    d2 = save_figure(plot_sample_flow(flow), tmp_path / "d2.png").read_bytes()
    assert d1 == d2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png", "c.png", "d1.png", "d2.png", "sub"]


def test_save_figure_refuses_other_formats(tmp_path, effects):
    with pytest.raises(SpecificationError, match=r"PNG.*'\.pdf'"):
        save_figure(plot_effects(effects), tmp_path / "a.pdf")
    with pytest.raises(SpecificationError, match="Figure or Axes"):
        save_figure("not a figure", tmp_path / "a.png")


def test_no_display_needed_and_plt_savefig_sees_the_plot(tmp_path):
    code = (
        "import sys, pandas as pd\n"
        "from iej_impact.report._plotting import plot_effects, plot_sample_flow, save_figure\n"
        "f = pd.DataFrame({'name': ['a'], 'estimate': [1.0], 'ci_lower': [0.5], 'ci_upper': [1.5]})\n"
        "ax = plot_effects(f)\n"
        "import matplotlib.pyplot as plt\n"
        "assert plt.gcf() is ax.figure, 'the plot is not the current pyplot figure'\n"
        f"plt.savefig({str(tmp_path / 'plt.png')!r})\n"
        f"save_figure(ax, {str(tmp_path / 'x.png')!r}, close=True)\n"
        "assert not plt.get_fignums(), 'save_figure(close=True) left the figure open'\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("MPLBACKEND", "DISPLAY", "WAYLAND_DISPLAY")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "x.png").stat().st_size > 1000
    assert _ink(tmp_path / "plt.png") > 0.005


# ----------------------------------------------------------------------------------------- plots of results


@pytest.fixture(scope="module")
def fitted():
    """One result of each kind that has plot methods, on a small synthetic cohort."""
    import warnings

    import iej_impact as iej

    cohort = iej.simulate_cohort(n_participants=150, seed=3, panel="balanced")
    covs = ["female", "age", "rural"]
    panel = cohort.panel[cohort.panel["period"] <= cohort.panel["period"].min() + 30]
    roles = {"outcome": "employed", "unit": "person_id", "time": "period", "cohort": "first_treat_period"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ps = iej.propensity_score(cohort.persons, treatment="treated", covariates=covs)
        return {
            "ps": ps,
            "balance": iej.balance_table(cohort.persons, treatment="treated", covariates=covs, weights=ps.scores),
            "event_study": iej.event_study(panel, window=(-2, 2), **roles),
            "att_gt": iej.att_gt(panel, control_group="not_yet_treated", **roles),
        }


def _ink(path) -> float:
    """Share of pixels that are not background white: 0 for a blank image."""
    import matplotlib.image as mpimg

    img = mpimg.imread(path)[..., :3]
    return float((img.min(axis=-1) < 0.95).mean())


@pytest.mark.parametrize("draw", [
    lambda r: r["ps"].plot_overlap(),
    lambda r: r["balance"].plot_love(),
    lambda r: r["event_study"].plot_event_study(),
    lambda r: r["att_gt"].plot_group_time(),
    lambda r: r["att_gt"].plot_event_study(),
    lambda r: r["att_gt"].aggregate("dynamic").plot(),
    lambda r: plot_effects(pd.DataFrame({"name": ["a"], "estimate": [1.0], "ci_lower": [0.5], "ci_upper": [1.5]})),
], ids=["overlap", "love", "event_study", "group_time", "att_gt_event_study", "dynamic", "effects"])
def test_every_plot_saves_what_it_shows_with_plt_savefig(fitted, draw, tmp_path):
    """A plot method's axes belong to the current pyplot figure: plt.savefig and fig.savefig both write the drawing."""
    import matplotlib.pyplot as plt

    ax = draw(fitted)
    assert plt.gcf() is ax.figure
    plt.savefig(tmp_path / "plt.png")
    ax.figure.savefig(tmp_path / "fig.png")
    plt.close(ax.figure)
    assert _ink(tmp_path / "plt.png") > 0.005 and _ink(tmp_path / "fig.png") > 0.005


def _labels(ax: Axes) -> str:
    legend = ax.get_legend()
    texts = [t.get_text() for t in legend.get_texts()] if legend else []
    return " | ".join([ax.get_title(), ax.get_xlabel(), ax.get_ylabel(), *texts])


@pytest.mark.parametrize(("draw", "english", "french"), [
    (lambda r, lang: r["ps"].plot_overlap(language=lang), "propensity score", "score de propension"),
    (lambda r, lang: r["balance"].plot_love(language=lang), "unadjusted", "avant ajustement"),
    (lambda r, lang: r["event_study"].plot_event_study(language=lang), "Event study", "Étude d'événement"),
    (lambda r, lang: r["att_gt"].plot_group_time(language=lang), "Group-time ATTs", "ATT(g, t) sur"),
    (lambda r, lang: r["att_gt"].plot_event_study(language=lang), "pre-treatment", "avant traitement"),
    (lambda r, lang: r["att_gt"].aggregate("group").plot(language=lang), "Cohort (first", "Cohorte (première"),
])
def test_result_plots_speak_the_report_language(fitted, draw, english, french):
    """The runner passes report.language to plot methods: French labels in a French report, English by default."""
    assert english in _labels(draw(fitted, "en"))
    french_labels = _labels(draw(fitted, "fr"))
    assert french in french_labels and english not in french_labels


def test_result_plots_check_the_language(fitted):
    with pytest.raises(SpecificationError, match="'language'"):
        fitted["ps"].plot_overlap(language="de")



def test_event_study_plots_state_their_base_period():
    """The base period is in the plot: the universal base is marked at 0 and named, a varying base is named."""
    import warnings

    import iej_impact as iej

    cohort = iej.simulate_cohort(n_participants=150, seed=3, panel="balanced")
    panel = cohort.panel[cohort.panel["period"] <= cohort.panel["period"].min() + 30]
    roles = {"outcome": "employed", "unit": "person_id", "time": "period", "cohort": "first_treat_period"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        universal = iej.att_gt(panel, control_group="not_yet_treated", base_period="universal", anticipation=1,
                               **roles)
        varying = iej.att_gt(panel, control_group="not_yet_treated", **roles)
    ax = universal.plot_event_study(language="en", min_e=-5, max_e=5)
    assert "Reference period: e = -2 (universal base" in ax.get_xlabel()
    np.testing.assert_allclose(_markers(ax, "s"), [[-2.0, 0.0]])  # the base level, drawn as the reference
    assert -2.0 not in _markers(ax, "o")[:, 0]
    assert "reference period (e = -2)" in [t.get_text() for t in ax.get_legend().get_texts()]
    assert "Période de référence\u202f: e = -2" in universal.plot_event_study(language="fr").get_xlabel()
    # the anticipation window (e = -1 with anticipation=1) is shaded and named; none without anticipation
    from matplotlib.patches import Polygon, Rectangle

    spans = [p for p in ax.patches if isinstance(p, (Polygon, Rectangle)) and "anticipation" in p.get_label()]
    assert len(spans) == 1 and spans[0].get_label() == "anticipation window (e = \u22121 to \u22121)"
    xs = spans[0].get_xy()[:, 0] if isinstance(spans[0], Polygon) else [spans[0].get_x(), spans[0].get_x() + spans[0].get_width()]
    assert min(xs) == -1.5 and max(xs) == -0.5
    assert not [p for p in varying.plot_event_study(language="en").patches if "anticipation" in p.get_label()]
    ax = varying.plot_event_study(language="en")
    assert "Varying base: each lead vs. the period before it, effects vs. e = -1" in ax.get_xlabel()
    assert len(_markers(ax, "s")) == 0 and -1.0 in _markers(ax, "o")[:, 0]  # e = -1 is an estimate there
    ax = iej.event_study(panel, window=(-3, 2), reference=-2, **roles).plot_event_study()
    assert "Reference period: e = -2 (coefficient set to 0)" in ax.get_xlabel()
    np.testing.assert_allclose(_markers(ax, "s"), [[-2.0, 0.0]])
