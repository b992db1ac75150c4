"""placebo_group: untreated units playing the treated (cross-sectional and panel designs), its config key
``sensitivity: {placebo_group: ...}``, the ``role: placebo`` outcomes and the report's placebo section."""

from __future__ import annotations

import json
import warnings
from html import unescape

import numpy as np
import pandas as pd
import pytest
import yaml

from iej_impact import att_gt, difference_in_means, event_study, ipw, placebo_group, regression_adjustment, twfe
from iej_impact.diff_in_diff._placebo_group import placebo_group_data
from iej_impact.errors import DataError, SpecificationError


def _cross_section(n: int = 1500, seed: int = 0, planted: float = 0.0) -> pd.DataFrame:
    """Selection on x; among the comparison units, 'refused' (30%) has outcomes shifted by ``planted``."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    d = (rng.random(n) < 1 / (1 + np.exp(-x))).astype(int)
    refused = ((d == 0) & (rng.random(n) < 0.3 + 0.2 * (x > 0))).astype(int)  # refusal also depends on x
    y = 1.0 + x + 0.8 * d + planted * refused + rng.normal(size=n)
    return pd.DataFrame({"x": x, "d": d, "refused": refused, "y": y, "region": np.where(x > 3, "A", "B")})


def _panel(n: int = 400, seed: int = 0, diverge: float = 0.0) -> pd.DataFrame:
    """Periods 1..8, cohorts 4 and 6 (half the units) and never treated; effect 1; never-treated units with
    ``late == 1`` have a trend ``diverge`` per period from period 5 on."""
    rng = np.random.default_rng(seed)
    g = np.where(np.arange(n) % 2 == 0, np.nan, np.where(np.arange(n) % 4 == 1, 4.0, 6.0))
    late = (np.isnan(g) & (rng.random(n) < 0.5)).astype(int)
    fe = rng.normal(size=n)
    rows = []
    for t in range(1, 9):
        y = fe + 0.3 * t + 1.0 * (t >= g) + diverge * late * max(t - 4, 0) + rng.normal(size=n)
        rows.append(pd.DataFrame({"id": np.arange(n), "t": float(t), "g": g, "late": late, "y": y,
                                  "d": (t >= g).astype(int)}))
    return pd.concat(rows, ignore_index=True)


CS = dict(outcome="y", treatment="d", covariates=["x"], estimand="ATT")
PANEL = dict(outcome="y", unit="id", time="t", cohort="g")


def _quiet(func, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return func(*args, **kwargs)


# ----------------------------------------------------------------------------------- the placebo samples


def test_cross_section_sample_drops_the_treated_and_relabels_the_filtered_comparison_units():
    df = _cross_section(300)
    out, info = placebo_group_data(df, filter="refused == 1", treatment="d")
    assert len(out) == int((df["d"] == 0).sum())
    assert out["d"].tolist() == df.loc[df["d"] == 0, "refused"].tolist()
    assert info["n_placebo"] == int(df["refused"].sum()) and info["n_treated_dropped"] == int(df["d"].sum())


def test_panel_sample_gives_never_treated_units_a_fake_entry():
    df = _panel(200)
    out, info = placebo_group_data(df, unit="id", time="t", cohort="g", filter="late == 1", entry=5)
    assert set(out["id"]) == set(df.loc[df["g"].isna(), "id"])  # the real treated are dropped
    per_unit = out.groupby("id").agg(g=("g", "first"), late=("late", "first"))
    assert (per_unit.loc[per_unit["late"] == 1, "g"] == 5).all() and per_unit.loc[per_unit["late"] == 0, "g"].isna().all()
    drawn, info = placebo_group_data(df, unit="id", time="t", cohort="g", entry="random", share=0.5, random_state=3)
    cohorts = drawn.groupby("id")["g"].first().dropna()
    assert set(cohorts) <= {4.0, 6.0} and len(cohorts) == 50 and set(info["placebo_entries"]) == set(cohorts)
    again, _ = placebo_group_data(df, unit="id", time="t", cohort="g", entry="random", share=0.5, random_state=3)
    pd.testing.assert_frame_equal(drawn, again)  # the seed fixes the draw
    twfe_sample, _ = placebo_group_data(df, unit="id", time="t", treatment="d", filter="late == 1", entry=5)
    placebo_rows = twfe_sample["late"] == 1
    assert (twfe_sample.loc[placebo_rows, "d"] == (twfe_sample.loc[placebo_rows, "t"] >= 5)).all()
    assert (twfe_sample.loc[~placebo_rows, "d"] == 0).all()


def test_bad_inputs_are_clear_errors():
    df = _cross_section(300)
    with pytest.raises(DataError, match="selects no comparison unit"):
        placebo_group(df, ipw, filter="refused == 5", **CS)
    with pytest.raises(DataError, match="selects every comparison unit"):
        placebo_group(df, ipw, filter="x > -100", **CS)
    with pytest.raises(SpecificationError, match="needs 'filter'"):
        placebo_group(df, ipw, **CS)
    with pytest.raises(SpecificationError, match="only apply to panel designs"):
        placebo_group(df, ipw, filter="refused == 1", entry=3, **CS)
    with pytest.raises(SpecificationError, match="not allowed in a filter"):
        placebo_group(df, ipw, filter="__import__('os')", **CS)
    with pytest.raises(SpecificationError, match="estimator function"):
        placebo_group(df, "ipw", filter="refused == 1", **CS)
    panel = _panel(100)
    with pytest.raises(SpecificationError, match="strictly between 0 and 1"):
        placebo_group(panel, att_gt, share=1.5, **PANEL)
    with pytest.raises(SpecificationError, match="must be after the first period"):
        placebo_group(panel, att_gt, entry=1, **PANEL)
    with pytest.raises(SpecificationError, match="'filter' or 'share'"):
        placebo_group(panel, att_gt, filter="late == 1", share=0.3, **PANEL)
    with pytest.raises(DataError, match="constant within a unit"):
        placebo_group(panel, att_gt, filter="t > 4", **PANEL)
    with pytest.raises(DataError, match="selects every never-treated unit"):
        placebo_group(panel, att_gt, filter="id >= 0", **PANEL)
    with pytest.raises(DataError, match="never-treated unit"):
        placebo_group(panel.dropna(subset=["g"]), att_gt, **PANEL)


# ----------------------------------------------------------------------------------- zero under the null


def test_cross_section_detects_a_planted_difference_and_notes_it():
    clean = placebo_group(_cross_section(seed=1), ipw, filter="refused == 1", **CS)
    planted = placebo_group(_cross_section(seed=1, planted=0.5), ipw, filter="refused == 1", **CS)
    assert abs(clean.estimate) < 3 * clean.std_error
    assert planted.estimate == pytest.approx(0.5, abs=4 * planted.std_error) and planted.p_value < 1e-4
    assert planted.spec["placebo_group"]["design"] == "cross_section" and "Placebo group" in planted.notes[-1]
    naive = placebo_group(_cross_section(seed=1, planted=0.5), difference_in_means, filter="refused == 1", outcome="y",
                          treatment="d")
    assert naive.n_treated == int(_cross_section(seed=1)["refused"].sum())  # the filtered units are the placebo treated


def test_panel_detects_diverging_trends_of_the_placebo_units():
    clean = _quiet(placebo_group, _panel(seed=2), att_gt, filter="late == 1", entry=5, **PANEL).aggregate("simple")
    diverging = _quiet(placebo_group, _panel(seed=2, diverge=0.3), att_gt, filter="late == 1", entry=5,
                       **PANEL).aggregate("simple")
    assert abs(clean.estimate) < 3 * clean.std_error
    assert diverging.estimate > 0.3 and diverging.p_value < 1e-3
    es = _quiet(placebo_group, _panel(seed=2, diverge=0.3), event_study, filter="late == 1", entry=5,
                window=(-3, 3), **PANEL)
    post = es.to_frame()
    assert "Placebo group" in es.notes[-3]
    assert len(post) > 0
    static = placebo_group(_panel(seed=2, diverge=0.3), twfe, filter="late == 1", entry=5, outcome="y", unit="id",
                           time="t", treatment="d")
    assert static.estimate > 0.3 and static.p_value < 1e-3


def test_zero_in_expectation_with_nominal_coverage_short():
    """40 replications per design (the 200-replication version is the slow test below)."""
    cross = np.array([[r.estimate, r.std_error] for r in (
        placebo_group(_cross_section(800, seed=s), regression_adjustment, filter="refused == 1", **CS)
        for s in range(40))])
    assert abs(cross[:, 0].mean()) < 4 * cross[:, 0].std() / np.sqrt(40)
    assert np.mean(np.abs(cross[:, 0] / cross[:, 1]) < 1.96) >= 0.85


@pytest.mark.slow
def test_zero_in_expectation_with_nominal_coverage_monte_carlo():
    """200 replications: mean within 3.5 simulation SEs of 0 and 95% coverage of 0 within 91-99%, for ipw on a
    filter-defined group and att_gt on never-treated units with random entries drawn from the real cohorts."""
    for draw in (lambda s: placebo_group(_cross_section(800, seed=s), ipw, filter="refused == 1", **CS),
                 lambda s: _quiet(placebo_group, _panel(200, seed=s), att_gt, random_state=s,
                                  **PANEL).aggregate("simple")):
        est = np.array([[r.estimate, r.std_error] for r in map(draw, range(200))])
        assert abs(est[:, 0].mean()) < 3.5 * est[:, 0].std() / np.sqrt(200)
        assert 0.91 <= np.mean(np.abs(est[:, 0] / est[:, 1]) < 1.96) <= 0.99


# ----------------------------------------------------------------------------------- configuration and report


def _write(tmp_path, analyses, language="en", panel=True):
    roles = {"unit": "person_id", "time": "period", "cohort": "first_treat_period"} if panel else {}
    cfg = {"version": 1, "project": {"name": "test", "output_dir": "out", "seed": 7},
           "data": {"synthetic": {"n_participants": 300, "table": "persons", "seed": 4}},
           "sample": {"treatment": "treated", **roles},
           "analyses": analyses, "report": {"title": "Test", "language": language}}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return path


COVS = ["female", "age", "isced_0_2", "unemployed_entry"]


def test_config_round_trip_and_report_section(tmp_path):
    from iej_impact import simulate_cohort
    from iej_impact.cli import main

    analyses = [
        {"name": "ipw12", "estimator": "ipw", "outcome": "employed_12m", "covariates": COVS, "estimand": "ATT",
         "sensitivity": {"placebo_group": {"filter": "territory_id == 'ML11'"}}},
        {"name": "gt", "estimator": "att_gt", "table": "panel", "outcome": "employed",
         "control_group": "not_yet_treated", "sensitivity": {"placebo_group": {"share": 0.4}}},
        {"name": "pre", "estimator": "regression_adjustment", "outcome": "emp_months_pre12", "covariates": COVS,
         "role": "placebo"},
    ]
    for language in ("en", "fr"):
        out = tmp_path / language
        out.mkdir()
        assert main(["run", str(_write(out, analyses, language))]) == 0
        res = json.loads((out / "out" / "results.json").read_text())["results"]
        html = (out / "out" / "report.html").read_text(encoding="utf-8")
        section = unescape(html[html.index("id='placebos'"):html.index("id='details'")])
        for name in ("ipw12.placebo_group", "gt.placebo_group", "pre"):
            assert name in section
        reading = ("The placebo estimate is compatible" if language == "en" else "L'estimation placebo est compatible",
                   "The placebo estimate differs" if language == "en" else "L'estimation placebo s'écarte")
        assert section.count(reading[0]) + section.count(reading[1]) == 3
        assert ("Placebo tests" if language == "en" else "Tests placebo") in html
        summary = html[html.index("id='summary'"):html.index("id='design'")]
        assert "ipw12</strong>" in summary and "placebo_group" not in summary  # a placebo is not an effect
    assert "true_value" in res["ipw12"] and "true_value" not in res["ipw12.placebo_group"]  # a placebo has no true effect
    persons = simulate_cohort(300, seed=4).persons
    direct = placebo_group(persons, ipw, filter="territory_id == 'ML11'", outcome="employed_12m", treatment="treated",
                           covariates=COVS, estimand="ATT", random_state=7)
    assert res["ipw12.placebo_group"]["estimate"] == pytest.approx(direct.estimate, rel=1e-9)
    assert res["ipw12.placebo_group"]["spec"]["placebo_group"]["n_placebo"] == direct.spec["placebo_group"]["n_placebo"]
    panel = simulate_cohort(300, seed=4).panel
    direct_gt = _quiet(placebo_group, panel, att_gt, share=0.4, random_state=7, outcome="employed", unit="person_id",
                       time="period", cohort="first_treat_period", control_group="not_yet_treated")
    assert res["gt.placebo_group.simple"]["estimate"] == pytest.approx(direct_gt.aggregate("simple").estimate, rel=1e-9)


@pytest.mark.parametrize("sensitivity, message", [
    ({"placebo_group": True}, "needs the comparison units that play the treated"),
    ({"placebo_group": {"filter": "territory_id == 'ML11'", "shift": 2}}, "unknown option 'shift'"),
])
def test_config_errors_at_load(tmp_path, sensitivity, message):
    from iej_impact.config import load_config
    from iej_impact.errors import ConfigError

    analyses = [{"name": "ipw12", "estimator": "ipw", "outcome": "employed_12m", "covariates": COVS,
                 "sensitivity": sensitivity}]
    with pytest.raises(ConfigError, match=message) as err:
        load_config(_write(tmp_path, analyses, panel=False))
    assert "sensitivity.placebo_group" in str(err.value)
    analyses = [{"name": "ra", "estimator": "regression_adjustment", "outcome": "employed_12m", "role": "fake"}]
    with pytest.raises(ConfigError, match=r"role: the only role is 'placebo'"):
        load_config(_write(tmp_path, analyses, panel=False))


@pytest.mark.parametrize("options, message", [
    ({"filter": "territory_id == 'nowhere'"}, "selects no comparison unit"),
    ({"filter": "age > 0"}, "selects every comparison unit"),
    ({"filter": "no_such_column == 1"}, "no_such_column"),
])
def test_data_errors_exit_2_before_estimating(tmp_path, capsys, options, message):
    from iej_impact.cli import main

    analyses = [{"name": "ipw12", "estimator": "ipw", "outcome": "employed_12m", "covariates": COVS,
                 "sensitivity": {"placebo_group": options}}]
    assert main(["run", str(_write(tmp_path, analyses, panel=False))]) == 2
    err = capsys.readouterr().err
    assert "analyses[0].sensitivity.placebo_group: placebo_group" in err and message in err
    assert not (tmp_path / "out" / "results.json").exists()
