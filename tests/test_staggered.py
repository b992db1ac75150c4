"""att_gt (Callaway & Sant'Anna 2021): reference numbers from R did, invariances, inference, errors.

Reference numbers: tests/reference/data/did_mpdta.json, written by
``Rscript tests/reference/generate/did_mpdta.R`` (R did 2.1.2 + the group-weight fix of did 2.3.0,
DRDID 1.0.6). Tolerances: estimates 1e-6 absolute; standard errors 1e-5 relative (R's glm stops
at a deviance change of 1e-8, so logit-based SEs differ from ours in the 7th digit); Wald p-values
to R's 5 printed decimals.
"""

from __future__ import annotations

import dataclasses
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from iej_impact import AggregateResult, EffectResult, GroupTimeResult, att_gt, did
from iej_impact.errors import DataError, MissingDataWarning, PanelStructureError, SpecificationError
from iej_impact.inference import Bootstrap, Clustered, se_from_influence

DATA = Path(__file__).parent / "reference" / "data"
REF = json.loads((DATA / "did_mpdta.json").read_text())
CG = {"nevertreated": "never_treated", "notyettreated": "not_yet_treated"}


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    frame = pd.read_csv(DATA / "mpdta.csv")
    frame["w"] = frame["lpop"]
    return frame


def _run_case(mpdta: pd.DataFrame, case: dict) -> GroupTimeResult:
    a = case["args"]
    data = mpdta
    if a["allow_unbalanced_panel"]:  # the rows the R script drops
        data = mpdta[(mpdta["countyreal"] % 10) != (mpdta["year"] % 10)]
    covs = a["covariates"] if isinstance(a["covariates"], list) else [a["covariates"]] if a["covariates"] else []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingDataWarning)
        return att_gt(data, outcome="lemp", unit="countyreal", time="year", cohort="first.treat", never_treated=0,
                      covariates=covs, control_group=CG[a["control_group"]], method=a["method"],
                      anticipation=a["anticipation"], base_period=a["base_period"], panel=a["panel"],
                      weights=a["weights"])


def _compare_by(agg: AggregateResult, ref: dict) -> None:
    assert agg.estimate == pytest.approx(ref["estimate"], abs=1e-6)
    assert agg.std_error == pytest.approx(ref["std_error"], rel=1e-5)
    if ref["by"]:
        expected = pd.DataFrame(ref["by"])
        got = agg.by.set_index(agg.level_column)
        assert list(got.index) == list(expected["level"])
        np.testing.assert_allclose(got["estimate"], expected["estimate"], atol=1e-6)
        np.testing.assert_allclose(got["std_error"], expected["std_error"].astype(float), rtol=1e-5)


@pytest.mark.reference
@pytest.mark.parametrize("name", sorted(REF["att_gt"]))
def test_att_gt_matches_r_did(mpdta: pd.DataFrame, name: str) -> None:
    # R: att_gt(yname="lemp", tname="year", idname="countyreal", gname="first.treat", ...) then aggte()
    case = REF["att_gt"][name]
    res = _run_case(mpdta, case)
    expected = pd.DataFrame(case["att_gt"])
    got = res.table.set_index(["group", "time"]).loc[list(zip(expected["group"], expected["time"], strict=True))]
    assert len(res.table) == len(expected)
    np.testing.assert_allclose(got["estimate"], expected["estimate"], atol=1e-6)
    se_ref = expected["std_error"].astype(float).to_numpy()
    np.testing.assert_allclose(got["std_error"].to_numpy()[np.isfinite(se_ref)], se_ref[np.isfinite(se_ref)], rtol=1e-5)
    assert res.n_units == case["n"]
    if case["wald_pretest"]["statistic"] is not None:
        # R did tests every pre-treatment cell, the anticipation window included: pretrend_test("all")
        everything = res.pretrend_test("all")
        assert everything.statistic == pytest.approx(case["wald_pretest"]["statistic"], rel=1e-5)
        assert everything.p_value == pytest.approx(case["wald_pretest"]["p_value"], abs=1e-5)
        if a_antic := case["args"]["anticipation"]:  # the default leaves the anticipation window out
            e = res.table["event_time"]
            assert res.pretrend.df == int(((e < -a_antic) & res.table["std_error"].notna()).sum()) < everything.df
        else:
            assert res.pretrend == everything
    for kind in ("simple", "group", "dynamic", "calendar"):
        _compare_by(res.aggregate(kind), case[kind])
    _compare_by(res.aggregate("dynamic", min_e=-2, max_e=2), case["dynamic_window"])
    _compare_by(res.aggregate("dynamic", balance_e=1), case["dynamic_balanced"])
    _compare_by(res.aggregate("group", max_e=1), case["group_max_e"])


@pytest.mark.reference
def test_published_vignette_numbers(mpdta: pd.DataFrame) -> None:
    # did vignette "Getting started": ATT(2004,2004) = -0.0105 (0.0233), group -0.031, dynamic -0.0772
    pub = REF["published"]
    res = att_gt(mpdta, outcome="lemp", unit="countyreal", time="year", cohort="first.treat", never_treated=0,
                 method="reg")
    cell = res.table.query("group == 2004 and time == 2004").iloc[0]
    assert round(cell["estimate"], 4) == pub["att_2004_2004"]
    assert round(cell["std_error"], 4) == pub["att_2004_2004_se"]
    assert round(res.aggregate("group").estimate, 3) == pub["group_overall"]
    assert round(res.aggregate("dynamic").estimate, 4) == pub["dynamic_overall"]
    # did 2.1.2 (without the 2.3.0 fix) reported a slightly different overall group SE
    assert res.aggregate("group").std_error != pytest.approx(REF["group_overall_se_unpatched_did_2_1_2"], rel=1e-4)


# ----------------------------------------------------------------------------------------- invariances


def test_single_cohort_equals_2x2_did(mpdta: pd.DataFrame) -> None:
    two = mpdta[mpdta["year"].isin([2003, 2004]) & mpdta["first.treat"].isin([0, 2004])].copy()
    res = att_gt(two, outcome="lemp", unit="countyreal", time="year", cohort="first.treat", never_treated=0,
                 covariates=["lpop"])
    two["d"] = (two["first.treat"] == 2004).astype(int)
    two["p"] = (two["year"] == 2004).astype(int)
    ref = did(two, outcome="lemp", treatment="d", post="p", unit="countyreal", covariates=["lpop"])
    assert len(res.table) == 1
    assert res.table["estimate"].iloc[0] == pytest.approx(ref.estimate, abs=1e-12)
    assert res.table["std_error"].iloc[0] == pytest.approx(ref.std_error, rel=1e-10)


def test_always_treated_units_do_not_move_att_gt(mpdta: pd.DataFrame) -> None:
    base = att_gt(mpdta, outcome="lemp", unit="countyreal", time="year", cohort="first.treat", never_treated=0,
                  control_group="not_yet_treated")
    extra = mpdta[mpdta["countyreal"].isin(mpdta["countyreal"].unique()[:40])].copy()  # 40 copies, cohort 2002
    extra["countyreal"] += 1_000_000
    extra["first.treat"] = 2002
    extra["lemp"] += 5.0
    with pytest.warns(MissingDataWarning, match="treated in or before the first period"):
        more = att_gt(pd.concat([mpdta, extra]), outcome="lemp", unit="countyreal", time="year",
                      cohort="first.treat", never_treated=0, control_group="not_yet_treated")
    pd.testing.assert_frame_equal(base.table, more.table)
    assert more.aggregate("dynamic").std_error == pytest.approx(base.aggregate("dynamic").std_error, rel=1e-12)


def test_row_order_does_not_matter_and_input_is_not_mutated(mpdta: pd.DataFrame) -> None:
    before = mpdta.copy()
    res = att_gt(mpdta, outcome="lemp", unit="countyreal", time="year", cohort="first.treat", never_treated=0,
                 covariates=["lpop"])
    pd.testing.assert_frame_equal(mpdta, before)
    shuffled = mpdta.sample(frac=1.0, random_state=3)
    res2 = att_gt(shuffled, outcome="lemp", unit="countyreal", time="year", cohort="first.treat", never_treated=0,
                  covariates=["lpop"])
    pd.testing.assert_frame_equal(res.table, res2.table, atol=1e-12)


def test_nan_cohort_equals_declared_never_treated_value(mpdta: pd.DataFrame) -> None:
    coded = mpdta.assign(g=mpdta["first.treat"].replace(0, np.nan))
    a = att_gt(coded, outcome="lemp", unit="countyreal", time="year", cohort="g")
    b = att_gt(mpdta.assign(g=mpdta["first.treat"].replace(0, 9999)), outcome="lemp", unit="countyreal",
               time="year", cohort="g", never_treated=9999)
    pd.testing.assert_frame_equal(a.table, b.table)


# ----------------------------------------------------------------------------------------- inference


def test_clustering_by_unit_adds_only_the_small_sample_factor(mpdta: pd.DataFrame) -> None:
    a = att_gt(mpdta, outcome="lemp", unit="countyreal", time="year", cohort="first.treat", never_treated=0)
    b = att_gt(mpdta, outcome="lemp", unit="countyreal", time="year", cohort="first.treat", never_treated=0,
               se=Clustered(by="countyreal"))
    np.testing.assert_allclose(b.table["std_error"], a.table["std_error"] * np.sqrt(500 / 499), rtol=1e-12)
    state = att_gt(mpdta.assign(state=mpdta["countyreal"] // 1000), outcome="lemp", unit="countyreal", time="year",
                   cohort="first.treat", never_treated=0, se={"type": "clustered", "by": "state"})
    assert not np.allclose(state.table["std_error"], a.table["std_error"])
    assert "clustered" in state.to_dict()["inference"]


def test_multiplier_bootstrap_is_seeded_and_close_to_analytic(mpdta: pd.DataFrame) -> None:
    kw = dict(outcome="lemp", unit="countyreal", time="year", cohort="first.treat", never_treated=0)
    analytic = att_gt(mpdta, **kw)
    boot = att_gt(mpdta, **kw, se=Bootstrap(reps=999, random_state=7))
    again = att_gt(mpdta, **kw, se=Bootstrap(reps=999, random_state=7))
    pd.testing.assert_frame_equal(boot.table, again.table)
    ratio = boot.table["std_error"] / analytic.table["std_error"]
    assert ratio.between(0.85, 1.15).all()
    # uniform band wider than the pointwise interval, critical value between z and a Bonferroni bound
    assert 1.96 < boot.critical_value < 3.2  # Bonferroni over the 12 ATT(g,t) cells: z(1 - 0.05/24) = 2.87
    assert (boot.table["band_upper"] - boot.table["band_lower"] > boot.table["ci_upper"] - boot.table["ci_lower"]).all()
    dyn = boot.aggregate("dynamic")
    assert np.isfinite(dyn.critical_value) and dyn.by["band_lower"].notna().all()
    assert dyn.std_error == pytest.approx(analytic.aggregate("dynamic").std_error, rel=0.15)
    assert dyn.estimate == analytic.aggregate("dynamic").estimate


def test_aggregations_are_effect_results_with_the_cells_inference(mpdta: pd.DataFrame) -> None:
    kw = dict(outcome="lemp", unit="countyreal", time="year", cohort="first.treat", never_treated=0)
    res = att_gt(mpdta, **kw)
    assert res.to_dict()["inference_detail"] == {"type": "robust", "small_sample": "none"}
    for kind in ("simple", "group", "dynamic", "calendar"):
        agg = res.aggregate(kind)
        assert isinstance(agg, EffectResult) and agg.inference == res.inference
        d = agg.to_dict()
        assert list(d) == ["method", "aggregation", "estimand", "outcome", "estimate", "std_error", "ci_lower",
                           "ci_upper", "ci_level", "p_value", "n_treated", "n_control", "inference",
                           "inference_detail", "critical_value", "by", "spec", "notes"] + (
                               ["base_period", "reference_event_time", "pretrend_test"] if kind == "dynamic" else [])
        assert d["inference_detail"]["small_sample"] == "none"
        assert agg.std_error == pytest.approx(se_from_influence(agg.influence), rel=1e-12)
    clustered = att_gt(mpdta, **kw, se={"type": "clustered", "by": "countyreal"})
    assert clustered.aggregate("group").to_dict()["inference_detail"]["small_sample"] == "G/(G-1)"
    boot = att_gt(mpdta, **kw, se={"type": "bootstrap", "reps": 99, "random_state": 2})
    assert boot.inference.kind == "multiplier" and "seed 2" in " ".join(boot.aggregate("dynamic").notes)
    with pytest.raises(SpecificationError, match="does not support the 'resample' bootstrap"):
        att_gt(mpdta, **kw, se={"type": "bootstrap", "kind": "resample"})


def test_pretrend_test_detects_a_violation(mpdta: pd.DataFrame) -> None:
    bad = mpdta.copy()
    treated = bad["first.treat"] > 0
    bad.loc[treated, "lemp"] += 0.2 * (bad.loc[treated, "year"] - 2003)  # diverging trend before treatment
    res = att_gt(bad, outcome="lemp", unit="countyreal", time="year", cohort="first.treat", never_treated=0)
    assert res.pretrend.valid and res.pretrend.p_value < 1e-6
    assert res.pretrend.df == int((res.table["group"] > res.table["time"]).sum())


# ----------------------------------------------------------------------------------------- outputs


def test_outputs_follow_the_contract(mpdta: pd.DataFrame) -> None:
    res = att_gt(mpdta, outcome="lemp", unit="countyreal", time="year", cohort="first.treat", never_treated=0)
    d = json.loads(json.dumps(res.to_dict()))
    assert {"group", "time", "estimate", "std_error"} <= set(d["att_gt"][0])
    assert d["att_gt"][0]["group"] == 2004 and isinstance(d["att_gt"][0]["group"], int)
    frame = res.to_frame()
    assert list(frame.columns[:8]) == ["term", "estimate", "std_error", "statistic", "p_value", "ci_lower",
                                       "ci_upper", "n_obs"]
    assert {"group", "time", "event_time"} <= set(frame.columns)
    dyn = json.loads(json.dumps(res.aggregate("dynamic").to_dict()))
    assert {"event_time", "estimate", "std_error"} <= set(dyn["by"][0]) and dyn["estimate"] is not None
    grp = res.aggregate("group").to_dict()
    assert [b["group"] for b in grp["by"]] == [2004, 2006, 2007]
    assert "event_time" in res.aggregate("dynamic").to_frame().columns
    text = str(res)
    assert "ATT(g,t)" in text and "Wald" in text
    assert "Overall" in str(res.aggregate("calendar"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.outcome = "x"  # type: ignore[misc]


def test_plots_return_axes(mpdta: pd.DataFrame) -> None:
    from matplotlib.axes import Axes

    res = att_gt(mpdta, outcome="lemp", unit="countyreal", time="year", cohort="first.treat", never_treated=0,
                 se=Bootstrap(reps=199, random_state=1))
    assert isinstance(res.plot_group_time(), Axes)
    ax = res.plot_event_study()
    assert isinstance(ax, Axes) and len(ax.collections) >= 2  # CI bars and the uniform band
    assert isinstance(res.aggregate("group").plot(), Axes)
    with pytest.raises(SpecificationError, match="nothing to plot"):
        res.aggregate("simple").plot()


# ----------------------------------------------------------------------------------------- errors


def test_zero_cohort_is_not_silently_never_treated(mpdta: pd.DataFrame) -> None:
    with pytest.raises(DataError, match="never_treated=0"):
        att_gt(mpdta, outcome="lemp", unit="countyreal", time="year", cohort="first.treat")


def test_panel_structure_errors(mpdta: pd.DataFrame) -> None:
    kw = dict(outcome="lemp", unit="countyreal", time="year", cohort="first.treat", never_treated=0)
    dup = pd.concat([mpdta, mpdta.iloc[[0]]])
    with pytest.raises(PanelStructureError, match=r"share a \(countyreal, year\) pair.*8001"):
        att_gt(dup, **kw)
    varying = mpdta.copy()
    varying.loc[varying.index[0], "first.treat"] = 2006
    with pytest.raises(PanelStructureError, match="varies within 1 unit"):
        att_gt(varying, **kw)
    treated_only = mpdta[mpdta["first.treat"] > 0]
    with pytest.raises(PanelStructureError, match="no never-treated unit.*not_yet_treated"):
        att_gt(treated_only, **kw)
    no_pre = mpdta.assign(g=np.where(mpdta["first.treat"] > 0, 2003, 0))
    with pytest.raises(PanelStructureError, match="no cohort has a pre-treatment period"):
        att_gt(no_pre, outcome="lemp", unit="countyreal", time="year", cohort="g", never_treated=0)


def test_not_yet_treated_without_never_treated_drops_late_periods(mpdta: pd.DataFrame) -> None:
    treated_only = mpdta[mpdta["first.treat"] > 0]
    res = att_gt(treated_only, outcome="lemp", unit="countyreal", time="year", cohort="first.treat",
                 control_group="not_yet_treated")
    assert res.table["time"].max() < 2007 and 2007 not in set(res.table["group"])
    assert any("serves only as a comparison group" in n for n in res.notes)


def test_argument_errors(mpdta: pd.DataFrame) -> None:
    kw = dict(outcome="lemp", unit="countyreal", time="year", cohort="first.treat", never_treated=0)
    with pytest.raises(SpecificationError, match="control_group"):
        att_gt(mpdta, **kw, control_group="nevertreated")
    with pytest.raises(SpecificationError, match="'method'"):
        att_gt(mpdta, **kw, method="aipw")
    with pytest.raises(SpecificationError, match="anticipation"):
        att_gt(mpdta, **kw, anticipation=-1)
    res = att_gt(mpdta, **kw)
    with pytest.raises(SpecificationError, match="balance_e applies to the 'dynamic'"):
        res.aggregate("group", balance_e=1)
    with pytest.raises(SpecificationError, match="'kind'"):
        res.aggregate("event")
    with pytest.raises(DataError, match="not found"):
        att_gt(mpdta, **{**kw, "outcome": "lemp2"})


def test_missing_outcomes_are_dropped_with_a_warning(mpdta: pd.DataFrame) -> None:
    holes = mpdta.copy()
    holes.loc[holes.index[:7], "lemp"] = np.nan
    with pytest.warns(MissingDataWarning, match="7 rows"):
        res = att_gt(holes, outcome="lemp", unit="countyreal", time="year", cohort="first.treat", never_treated=0)
    assert "unbalanced panel" in " ".join(res.notes)
    with pytest.warns(MissingDataWarning):
        dropped = att_gt(holes, outcome="lemp", unit="countyreal", time="year", cohort="first.treat",
                         never_treated=0, unbalanced="drop")
    assert dropped.n_units == 500 - 2  # rows 0-6 belong to counties 8001 and 8019


# ----------------------------------------------------------------------------------------- Monte Carlo


@pytest.mark.slow
def test_monte_carlo_synthetic_cohort_att_gt_covers_truth_twfe_is_biased() -> None:
    """Synthetic IEJ cohort (heterogeneous effects by cohort and event time, Ashenfelter dip at e = -3..-1).

    att_gt with never-treated controls and anticipation=3 (base period g - 4, outside the dip) covers
    the true ATT(g, t) at close to the nominal 95% and its simple aggregation is within 3 SE of the
    truth; static TWFE on the same panel (dip months dropped) lands more than 3 SE from it.
    """
    from iej_impact import simulate_cohort, twfe

    covered, cells, tw_bias, tw_var = 0, 0, [], []
    for seed, design, size in ((3, "balanced", 10_000), (4, "balanced", 10_000), (5, "window", 3000)):
        cohort = simulate_cohort(size, seed=seed, panel=design, months_before=6, months_after=6)
        p = cohort.panel
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MissingDataWarning)
            res = att_gt(p, outcome="employed", unit="person_id", time="period", cohort="first_treat_period",
                         anticipation=3)
        truth = cohort.group_time.query("outcome == 'employed'")[["group", "time", "att"]]
        post = res.table[res.table["post"]].merge(truth, on=["group", "time"])
        assert len(post) > 100
        covered += int(((post["ci_lower"] <= post["att"]) & (post["att"] <= post["ci_upper"])).sum())
        cells += len(post)
        simple = res.aggregate("simple")
        true_simple = float(np.average(post["att"], weights=post["n_treated"]))
        assert abs(simple.estimate - true_simple) < 3 * simple.std_error, seed
        if design == "balanced":
            no_dip = p[~p["event_time"].between(-3, -1) | p["first_treat_period"].isna()]
            tw = twfe(no_dip.assign(d=(no_dip["period"] >= no_dip["first_treat_period"]).astype(int)),
                      outcome="employed", unit="person_id", time="period", treatment="d")
            tw_bias.append(tw.estimate - true_simple)
            tw_var.append(tw.std_error**2)
    assert 0.91 <= covered / cells <= 0.98
    # TWFE is pulled towards zero by the negatively weighted long-exposure cells: > 3 SE below the truth
    assert np.mean(tw_bias) < -3 * np.sqrt(np.sum(tw_var)) / len(tw_var)


def test_single_cohort_two_periods_att_gt_equals_did_equals_twfe(mpdta: pd.DataFrame) -> None:
    """With one treated cohort, never-treated controls and two periods, the three estimators are the
    same 2x2 comparison: att_gt = did = twfe (point estimates; SEs differ only by their conventions)."""
    from iej_impact import twfe

    two = mpdta[mpdta["year"].isin([2003, 2004]) & mpdta["first.treat"].isin([0, 2004])].copy()
    res = att_gt(two, outcome="lemp", unit="countyreal", time="year", cohort="first.treat", never_treated=0)
    two["d"] = (two["first.treat"] == 2004).astype(int)
    two["p"] = (two["year"] == 2004).astype(int)
    two["dp"] = two["d"] * two["p"]
    ref = did(two, outcome="lemp", treatment="d", post="p", unit="countyreal")
    fe = twfe(two, outcome="lemp", unit="countyreal", time="year", treatment="dp")
    assert res.table["estimate"].iloc[0] == pytest.approx(ref.estimate, abs=1e-12)
    assert fe.estimate == pytest.approx(ref.estimate, abs=1e-10)


def test_input_unit_counts_by_cohort_when_rows_are_dropped(mpdta: pd.DataFrame) -> None:
    """The 'input' treated / never-treated unit counts are read per unit of the complete rows (they were read
    at the wrong rows once rows with a missing outcome had been dropped)."""
    data = mpdta.sort_values(["countyreal", "year"]).reset_index(drop=True)
    # drop the outcome of every row of the first 40 never-treated counties
    never_ids = data.loc[data["first.treat"] == 0, "countyreal"].unique()[:40]
    data.loc[data["countyreal"].isin(never_ids), "lemp"] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingDataWarning)
        res = att_gt(data, outcome="lemp", unit="countyreal", time="year", cohort="first.treat", never_treated=0)
    units = data.dropna(subset=["lemp"]).drop_duplicates("countyreal")
    expected_treated = int((units["first.treat"] > 0).sum())
    expected_never = int((units["first.treat"] == 0).sum())
    sizes = res.sample_sizes.loc["input"]
    assert (sizes["treated_units"], sizes["never_treated_units"]) == (expected_treated, expected_never)
    assert sizes["treated_units"] + sizes["never_treated_units"] == sizes["units"]


# ----------------------------------------------------------------------------------------- pre-trend leads


def test_pretrend_leads_leave_the_anticipation_window_out_by_default(mpdta: pd.DataFrame) -> None:
    kw = dict(outcome="lemp", unit="countyreal", time="year", cohort="first.treat", never_treated=0)
    res = att_gt(mpdta, **kw, anticipation=1)
    e = res.table["event_time"]
    assert res.pretrend.df == int((e < -1).sum()) and "anticipation window" in res.pretrend.null
    assert res.pretrend_test("all").df == int((e < 0).sum())
    only = att_gt(mpdta, **kw, anticipation=1, pretrend_leads=[-3])
    assert only.pretrend.df == int((e == -3).sum()) and only.pretrend == res.pretrend_test([-3])
    # the dynamic aggregation tests its own leads: event-time ATTs before the anticipation window
    dyn = res.aggregate("dynamic")
    levels = dyn.by["event_time"]
    assert dyn.pretrend.df == int((levels < -1).sum()) and dyn.to_dict()["pretrend_test"]["df"] == dyn.pretrend.df
    assert res.aggregate("dynamic", pretrend_leads="all").pretrend.df == int((levels < 0).sum())
    assert res.aggregate("dynamic", pretrend_leads=[-3, -2]).pretrend.df == 2
    assert res.aggregate("dynamic", min_e=-2).pretrend.df == 1  # the window bounds the leads
    assert dyn.base_period == "varying" and "Varying base period" in " ".join(dyn.notes)
    universal = att_gt(mpdta, **kw, base_period="universal").aggregate("dynamic")
    assert universal.reference_event_time == -1 and universal.pretrend.df == int((universal.by["event_time"] < -1).sum())


@pytest.mark.parametrize("leads", [[0], [-1.5], "some", [], {"a": 1}, [True]])
def test_pretrend_leads_are_checked(mpdta: pd.DataFrame, leads: object) -> None:
    kw = dict(outcome="lemp", unit="countyreal", time="year", cohort="first.treat", never_treated=0)
    with pytest.raises(SpecificationError, match="'pretrend_leads' parameter of att_gt"):
        att_gt(mpdta, **kw, pretrend_leads=leads)
    with pytest.raises(SpecificationError, match="pretrend_leads"):
        att_gt(mpdta, **kw).aggregate("dynamic", pretrend_leads=leads)
    with pytest.raises(SpecificationError, match="'dynamic' aggregation only"):
        att_gt(mpdta, **kw).aggregate("group", pretrend_leads=[-2])
