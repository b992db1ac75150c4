"""placebo_entry: staggered/event designs re-estimated with every cohort's entry moved earlier."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from iej_impact import att_gt, event_study, placebo_entry
from iej_impact.diff_in_diff._placebo import placebo_data
from iej_impact.errors import DataError, SpecificationError


def _staggered(n: int = 600, seed: int = 0, dip: float = 0.0) -> pd.DataFrame:
    """Periods 1..10, cohorts 5 and 7 and never treated; effect 1 from entry; ``dip`` added in the two periods
    before entry (anticipation / Ashenfelter dip)."""
    rng = np.random.default_rng(seed)
    cohort = rng.choice([5.0, 7.0, np.nan], n)
    unit_fe = rng.normal(0, 1, n)
    rows = []
    for t in range(1, 11):
        pre = ~np.isnan(cohort) & (t >= cohort - 2) & (t < cohort)
        treated = ~np.isnan(cohort) & (t >= cohort)
        y = unit_fe + 0.2 * t + 1.0 * treated + dip * pre + rng.normal(0, 1, n)
        rows.append(pd.DataFrame({"id": np.arange(n), "t": t, "g": cohort, "y": y}))
    return pd.concat(rows, ignore_index=True)


def _overall(res) -> tuple[float, float]:
    agg = res.aggregate("simple").to_frame().iloc[0]
    return float(agg["estimate"]), float(agg["std_error"])


ARGS = dict(outcome="y", unit="id", time="t", cohort="g")


def test_placebo_data_moves_entries_and_drops_post_entry_rows():
    df = _staggered(60)
    out, counts = placebo_data(df, shift=2, time="t", cohort="g")
    merged = out.merge(df[["id", "t", "g"]], on=["id", "t"], suffixes=("", "_true"))
    treated = merged["g_true"].notna()
    assert (merged.loc[treated, "g"] == merged.loc[treated, "g_true"] - 2).all()
    assert (merged.loc[treated, "t"] < merged.loc[treated, "g_true"]).all()
    assert merged.loc[~treated, "g"].isna().all()
    assert len(out[out["g"].isna()]) == len(df[df["g"].isna()])  # never treated: every row kept
    assert counts["rows_dropped_after_entry"] == int((df["t"] >= df["g"]).sum())
    with pytest.raises(SpecificationError, match="shift must exceed"):
        placebo_data(df, shift=2, time="t", cohort="g", anticipation=2)
    with pytest.raises(SpecificationError, match="integer >= 1"):
        placebo_data(df, shift=0, time="t", cohort="g")
    with pytest.raises(DataError, match="no cohort is left"):
        placebo_data(df, shift=6, time="t", cohort="g")


def test_placebo_is_zero_under_parallel_trends_and_detects_a_dip():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        true = att_gt(_staggered(seed=1), **ARGS)
        clean = placebo_entry(_staggered(seed=1), att_gt, shift=2, **ARGS)
        dipped = placebo_entry(_staggered(seed=1, dip=-0.5), att_gt, shift=2, **ARGS)
        allowed = placebo_entry(_staggered(seed=1, dip=-0.5), att_gt, shift=3, anticipation=2, **ARGS)
    est, se = _overall(true)
    assert est == pytest.approx(1.0, abs=4 * se)
    est, se = _overall(clean)
    assert abs(est) < 3 * se and abs(est) < 0.15
    est, se = _overall(dipped)
    assert est < -0.25 and est / se < -4  # the dip before entry shows as a placebo effect
    est, se = _overall(allowed)
    assert abs(est) < 3 * se  # declared anticipation: the dip periods are dropped with the post-entry ones
    assert "Placebo entry" in clean.notes[-1] and clean.spec["placebo_entry"]["shift"] == 2


def test_placebo_coverage_over_seeds():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stats = [_overall(placebo_entry(_staggered(300, seed=s), att_gt, shift=2, **ARGS)) for s in range(40)]
    z = np.array([e / s for e, s in stats])
    assert np.mean(np.abs(z) < 1.96) >= 0.85
    assert abs(np.mean([e for e, _ in stats])) < 0.05


def test_placebo_entry_with_an_event_study():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = placebo_entry(_staggered(seed=2), event_study, shift=3, window=(-3, 2), **ARGS)
    post = res.to_frame()
    assert "Placebo entry" in res.notes[-1]
    assert len(post) > 0
    with pytest.raises(SpecificationError, match="estimator function"):
        placebo_entry(_staggered(seed=2), "att_gt", shift=2, **ARGS)


def test_config_sensitivity_placebo_entry(tmp_path):
    """``sensitivity: {placebo_entry: {shift: k}}`` stores ``<name>.placebo_entry``: placebo_entry() on the analysis."""
    import json

    import yaml

    from iej_impact import simulate_cohort
    from iej_impact.cli import main
    from iej_impact.config import load_config
    from iej_impact.errors import ConfigError

    def write_config(tmp_path, analyses, data, sample):
        cfg = {"version": 1, "project": {"name": "test", "output_dir": "out", "seed": 7}, "data": data,
               "sample": sample, "analyses": analyses, "report": {"title": "Test", "language": "en"}}
        path = tmp_path / "config.yaml"
        path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
        return path

    analyses = [{"name": "gt", "estimator": "att_gt", "table": "panel", "outcome": "employed",
                 "control_group": "not_yet_treated", "anticipation": 3,
                 "sensitivity": {"placebo_entry": {"shift": 5}}}]
    data = {"synthetic": {"n_participants": 300, "table": "persons", "seed": 4}}
    sample = {"treatment": "treated", "unit": "person_id", "time": "period", "cohort": "first_treat_period"}
    cfg = write_config(tmp_path, analyses=analyses, data=data, sample=sample)
    assert main(["run", str(cfg)]) == 0
    res = json.loads((tmp_path / "out" / "results.json").read_text())["results"]
    assert "gt.placebo_entry" in res and "Placebo entry" in " ".join(res["gt.placebo_entry"]["notes"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        direct = placebo_entry(simulate_cohort(300, seed=4).panel, att_gt, shift=5, outcome="employed",
                               unit="person_id", time="period", cohort="first_treat_period",
                               control_group="not_yet_treated", anticipation=3)
    got = {(c["group"], c["time"]): c["estimate"] for c in res["gt.placebo_entry"]["att_gt"]}
    want = direct.table.set_index(["group", "time"])["estimate"]
    got = [np.nan if got[k] is None else got[k] for k in want.index]
    assert got == pytest.approx(list(want), rel=1e-9, nan_ok=True)
    assert np.isfinite(got).sum() > 50
    analyses[0]["sensitivity"] = {"placebo_entry": True}
    with pytest.raises(ConfigError, match=r"sensitivity\.placebo_entry: placebo_entry needs .*shift"):
        load_config(write_config(tmp_path, analyses=analyses, data=data, sample=sample))
