"""The DuckDB engine path (iej_impact.engines) against the in-memory att_gt and twfe, to 1e-10.

The panels are written to Parquet in a temporary directory and read back by DuckDB; every supported
option of att_gt_engine (comparison group, base period, anticipation, weights, clusters, unbalanced
panels dropped, late and always-treated cohorts, no never-treated units) and of twfe_engine
(covariates, robust / clustered SEs, the three small-sample conventions) is compared with the
in-memory estimator, cell by cell and for every aggregation.
"""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

from _engine_compare import assert_same_group_time, assert_same_twfe, mpdta
from iej_impact import att_gt, twfe
from iej_impact.errors import MissingDataWarning, PanelStructureError, SpecificationError

duckdb = pytest.importorskip("duckdb", reason="duckdb is not installed (pip install iej_impact[duckdb])")

from iej_impact.engines import att_gt_engine, twfe_engine  # noqa: E402

GT = {"outcome": "lemp", "unit": "countyreal", "time": "year", "cohort": "first.treat", "never_treated": 0}


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return mpdta()


@pytest.fixture(scope="module")
def parquet(panel: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> str:
    """mpdta in three Parquet files (a glob), as a large panel would be."""
    folder = tmp_path_factory.mktemp("mpdta")
    shuffled = panel.sample(frac=1.0, random_state=1)
    for j, rows in enumerate(np.array_split(np.arange(len(shuffled)), 3)):
        shuffled.iloc[rows].to_parquet(folder / f"part{j}.parquet", index=False)
    return str(folder / "*.parquet")


def _both(data: pd.DataFrame, source: object, **kwargs: object) -> tuple[object, object]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingDataWarning)
        return att_gt(data, **kwargs), att_gt_engine(source, **kwargs)


@pytest.mark.parametrize("control_group", ["never_treated", "not_yet_treated"])
@pytest.mark.parametrize("base_period", ["varying", "universal"])
@pytest.mark.parametrize("weights", [None, "w"])
@pytest.mark.parametrize("anticipation", [0, 1])
def test_att_gt_matches_in_memory(panel, parquet, control_group, base_period, weights, anticipation) -> None:
    mem, eng = _both(panel, parquet, **GT, control_group=control_group, base_period=base_period, weights=weights,
                     anticipation=anticipation)
    assert_same_group_time(mem, eng)
    assert eng.influence.shape[0] < 100 < mem.influence.shape[0]  # pseudo-rows, not the 500 units


def test_aggregations_carry_no_unit_influence(panel, parquet) -> None:
    """Pseudo-rows are not units: an engine aggregation cannot enter a Romano-Wolf family with another result."""
    from iej_impact.synthesis import romano_wolf

    eng = att_gt_engine(parquet, **GT)
    simple, dynamic = eng.aggregate("simple"), eng.aggregate("dynamic")
    assert simple.influence is None and dynamic.by_influence is None and dynamic.by_vcov is not None
    with pytest.raises(SpecificationError, match="no influence function"):
        romano_wolf([simple, eng.aggregate("group")])


@pytest.mark.parametrize("control_group", ["never_treated", "not_yet_treated"])
def test_clustered_standard_errors(panel, parquet, control_group) -> None:
    mem, eng = _both(panel, parquet, **GT, control_group=control_group, weights="w",
                     se={"type": "clustered", "by": "state"})
    assert eng.inference.name == "clustered"
    assert eng.influence.shape[0] == panel["state"].nunique()
    assert_same_group_time(mem, eng)


def test_not_yet_treated_without_never_treated_units(panel, tmp_path) -> None:
    data = panel[panel["first.treat"] > 0]
    data.to_parquet(tmp_path / "p.parquet")
    mem, eng = _both(data, tmp_path / "p.parquet", **GT, control_group="not_yet_treated")
    assert 2007 not in set(eng.table["group"])
    assert_same_group_time(mem, eng)


def _simulated(seed: int = 3) -> pd.DataFrame:
    """A staggered panel with NaN-coded never-treated units, a cohort after the panel and always-treated units."""
    rng = np.random.default_rng(seed)
    n, periods = 400, np.arange(1, 9)
    cohort = rng.choice([np.nan, 0.5, 3, 4, 6, 12], size=n, p=[0.3, 0.05, 0.2, 0.2, 0.15, 0.1])
    unit = np.repeat(np.arange(n), len(periods))
    t = np.tile(periods, n)
    g = cohort[unit]
    y = rng.normal(size=n)[unit] + 0.3 * t + np.where(t >= g, 1.0 + 0.2 * (t - g), 0.0) + rng.normal(size=len(t))
    return pd.DataFrame({"id": unit, "t": t, "g": g, "y": 100 + y, "w": rng.uniform(0.5, 2.0, size=n)[unit]})


@pytest.mark.parametrize("control_group", ["never_treated", "not_yet_treated"])
def test_late_and_always_treated_cohorts(tmp_path, control_group) -> None:
    data = _simulated()
    data.to_parquet(tmp_path / "p.parquet")
    kwargs = {"outcome": "y", "unit": "id", "time": "t", "cohort": "g", "weights": "w", "control_group": control_group}
    with pytest.warns(MissingDataWarning, match="treated in or before the first period"):
        eng = att_gt_engine(tmp_path / "p.parquet", **kwargs)
    mem, eng = _both(data, tmp_path / "p.parquet", **kwargs)
    assert set(eng.table["group"]) == {3, 4, 6}
    assert_same_group_time(mem, eng)


def test_unbalanced_panel_dropped_or_refused(tmp_path) -> None:
    data = _simulated()
    data.loc[data.index[::37], "y"] = np.nan  # missing outcomes
    data = data.drop(index=data.index[5::101])  # missing rows
    data.to_parquet(tmp_path / "p.parquet")
    kwargs = {"outcome": "y", "unit": "id", "time": "t", "cohort": "g"}
    with pytest.raises(PanelStructureError, match="balanced panel.*unbalanced='drop'"), \
            pytest.warns(MissingDataWarning, match="86 rows have a missing outcome"):
        att_gt_engine(tmp_path / "p.parquet", **kwargs)
    mem, eng = _both(data, tmp_path / "p.parquet", **kwargs, unbalanced="drop")
    assert eng.sample_sizes.loc["used", "units"] < 400
    assert_same_group_time(mem, eng)


def test_a_window_panel_dropped_whole_is_said_so(tmp_path) -> None:
    # each unit observed in its own window of periods: unbalanced by design, nothing left after dropping
    data = _simulated()
    data = data[(data["t"] - data["id"] % 3).between(1, 4)]
    data.to_parquet(tmp_path / "p.parquet")
    with pytest.raises(PanelStructureError, match="none of the 400 units.*leaves no unit"):
        att_gt_engine(tmp_path / "p.parquet", outcome="y", unit="id", time="t", cohort="g", unbalanced="drop")


def test_sources_dataframe_table_directory_and_memory_limit(panel, tmp_path) -> None:
    mem = att_gt(panel, **GT)
    from_frame = att_gt_engine(panel, **GT)
    con = duckdb.connect()
    con.register("src", panel)
    con.execute("CREATE TABLE mpdta AS SELECT * FROM src")
    from_table = att_gt_engine("mpdta", **GT, connection=con)
    assert con.execute("SELECT COUNT(*) FROM mpdta").fetchone()[0] == len(panel)  # the user's table is kept
    (tmp_path / "dir").mkdir()
    panel.to_parquet(tmp_path / "dir" / "a.parquet")
    from_dir = att_gt_engine(tmp_path / "dir", **GT, memory_limit="200MB", threads=1)
    for eng in (from_frame, from_table, from_dir):
        assert_same_group_time(mem, eng)


def test_nan_values_in_parquet(tmp_path) -> None:
    """Parquet written from numpy may hold NaN (not NULL) for never-treated units and missing outcomes; both are
    read as missing (Parquet statistics ignore NaN, so an optimizer trusting them would read NaN as a number)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = _simulated()
    data = data[(data["g"] > 1) | data["g"].isna()].reset_index(drop=True)
    data.loc[data.index[::53], "y"] = np.nan
    table = pa.table({c: pa.array(data[c].to_numpy()) for c in data.columns})  # NaN kept as NaN
    assert table.column("g").null_count == 0 and table.column("y").null_count == 0
    pq.write_table(table, tmp_path / "p.parquet")
    con = duckdb.connect()
    before = con.execute("SELECT current_setting('disabled_optimizers')").fetchone()[0]
    mem, eng = _both(data, tmp_path / "p.parquet", outcome="y", unit="id", time="t", cohort="g", unbalanced="drop")
    assert_same_group_time(mem, eng)
    att_gt_engine(tmp_path / "p.parquet", outcome="y", unit="id", time="t", cohort="g", unbalanced="drop",
                  connection=con)
    assert con.execute("SELECT current_setting('disabled_optimizers')").fetchone()[0] == before  # restored


@pytest.mark.parametrize("kwargs, match", [
    ({"se": {"type": "bootstrap", "kind": "multiplier"}}, "bootstrap is not supported by the engine path"),
    ({"panel": False}, "repeated cross-sections"),
    ({"engine": "polars"}, "engine"),
])
def test_unsupported_options_raise(parquet, kwargs, match) -> None:
    with pytest.raises(SpecificationError, match=match):
        att_gt_engine(parquet, **GT, **kwargs)


def test_data_errors_name_the_column(panel, tmp_path) -> None:
    bad = panel.copy()
    bad.loc[bad.index[:3], "w"] = bad.loc[bad.index[:3], "w"] + 1.0
    bad.to_parquet(tmp_path / "w.parquet")
    with pytest.raises(Exception, match="'w' varies within"):
        att_gt_engine(tmp_path / "w.parquet", **GT, weights="w")
    with pytest.raises(SpecificationError, match="no Parquet file"):
        att_gt_engine(str(tmp_path / "missing" / "*.parquet"), **GT)


@pytest.mark.parametrize("covariates", [[], ["x"], ["x", "lpop"]])
@pytest.mark.parametrize("se", [None, "robust", {"type": "clustered", "by": "state"}])
@pytest.mark.parametrize("small_sample", ["nested", "all", "none"])
def test_twfe_matches_in_memory(panel, parquet, covariates, se, small_sample) -> None:
    kwargs = {"outcome": "lemp", "unit": "countyreal", "time": "year", "treatment": "d", "covariates": covariates,
              "se": se, "small_sample": small_sample}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingDataWarning)  # lpop is constant within county: dropped by both
        mem, eng = twfe(panel, **kwargs), twfe_engine(parquet, **kwargs)
    assert_same_twfe(mem, eng)
    assert eng.diagnostics["bacon"] is None


def test_twfe_refuses_unbalanced_panels_and_weights(panel, tmp_path) -> None:
    panel.iloc[1:].to_parquet(tmp_path / "p.parquet")
    kwargs = {"outcome": "lemp", "unit": "countyreal", "time": "year", "treatment": "d"}
    with pytest.raises(SpecificationError, match="unbalanced.*in-memory twfe"):
        twfe_engine(tmp_path / "p.parquet", **kwargs)
    with pytest.raises(SpecificationError, match="weights are not supported"):
        twfe_engine(tmp_path / "p.parquet", **kwargs, weights="w")


def test_package_imports_without_the_engines_and_names_the_extra() -> None:
    code = ("import sys; sys.modules['duckdb'] = None; sys.modules['pyspark'] = None\n"
            "import iej_impact.engines as e\n"
            "for engine, extra in (('duckdb', 'iej_impact[duckdb]'), ('spark', 'iej_impact[spark]')):\n"
            "    try:\n"
            "        e.att_gt_engine('x.parquet', outcome='y', unit='u', time='t', cohort='g', engine=engine)\n"
            "    except ImportError as exc:\n"
            "        assert extra in str(exc), exc\n"
            "    else:\n"
            "        raise AssertionError('no ImportError')\n"
            "print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
