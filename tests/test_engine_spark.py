"""The Spark engine path: the same SQL as DuckDB, run by a local Spark session, against the in-memory estimators.

One local session (local[2], UI off, 4 shuffle partitions) serves the whole module; the cases cover
each code path once (weights, both comparison groups and base periods, clusters, TWFE with a
covariate and clustered or robust SEs, att_gt with covariates read in unit chunks, the event study
with a covariate and clusters). The DuckDB tests cover every option combination.
"""

from __future__ import annotations

import shutil
import warnings

import pandas as pd
import pytest

from _engine_compare import assert_same_event_study, assert_same_group_time, assert_same_twfe, mpdta
from _indicators_compare import BASE, assert_same, participations, run
from iej_impact import att_gt, event_study, programme_indicators, twfe
from iej_impact.errors import MissingDataWarning, SpecificationError

pytest.importorskip("pyspark", reason="pyspark is not installed (pip install iej_impact[spark])")
if shutil.which("java") is None:
    pytest.skip("Spark needs Java: no 'java' on the PATH", allow_module_level=True)

from iej_impact.engines import att_gt_engine, event_study_engine, indicators_engine, twfe_engine  # noqa: E402

GT = {"outcome": "lemp", "unit": "countyreal", "time": "year", "cohort": "first.treat", "never_treated": 0}


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[2]").appName("iej-engine-tests")
               .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4").getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return mpdta()


@pytest.fixture(scope="module")
def parquet(panel: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("mpdta_spark") / "mpdta.parquet"
    panel.to_parquet(path, index=False)
    return str(path)


@pytest.mark.parametrize("options", [
    {"control_group": "never_treated", "base_period": "varying", "weights": "w"},
    {"control_group": "not_yet_treated", "base_period": "universal", "anticipation": 1, "weights": "w",
     "se": {"type": "clustered", "by": "state"}},
])
def test_att_gt_matches_in_memory(spark, panel, parquet, options) -> None:
    """The first case reads the Parquet file, the second a Spark DataFrame."""
    mem = att_gt(panel, **GT, **options)
    source = parquet if "se" not in options else spark.createDataFrame(
        panel[["countyreal", "year", "first.treat", "lemp", "w", "state"]])
    eng = att_gt_engine(source, **GT, **options, engine="spark", connection=spark)
    assert_same_group_time(mem, eng)
    assert not [t for t in spark.catalog.listTables() if t.name.startswith("iej_panel_")]  # the view is dropped


@pytest.mark.parametrize("method, options", [
    ("dr", {"control_group": "not_yet_treated", "weights": "w", "se": {"type": "clustered", "by": "state"}}),
    ("reg", {"base_period": "universal", "anticipation": 1}),
])
def test_att_gt_with_covariates_matches_in_memory(spark, panel, parquet, method, options) -> None:
    """The unit table and the outcome chunks (toLocalIterator, 128 units at a time) come from Spark."""
    kwargs = {**GT, "covariates": ["lpop"], "method": method, **options}
    mem = att_gt(panel, **kwargs)
    eng = att_gt_engine(parquet, **kwargs, engine="spark", connection=spark, chunk_units=128)
    assert_same_group_time(mem, eng)
    assert not [t for t in spark.catalog.listTables() if t.name.startswith("iej_panel_")]


@pytest.mark.parametrize("se, covariates", [({"type": "clustered", "by": "state"}, ["x"]), ("robust", [])])
def test_twfe_matches_in_memory(spark, panel, parquet, se, covariates) -> None:
    kwargs = {"outcome": "lemp", "unit": "countyreal", "time": "year", "treatment": "d", "covariates": covariates,
              "se": se}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingDataWarning)
        assert_same_twfe(twfe(panel, **kwargs), twfe_engine(parquet, **kwargs, engine="spark", connection=spark))


def test_event_study_matches_in_memory(spark, panel, parquet) -> None:
    """Clustered by state with a covariate and a reference before -1 (the leads between are not tested)."""
    kwargs = {**GT, "window": (-3, 2), "reference": -2, "covariates": ["x"], "se": {"type": "clustered", "by": "state"}}
    eng = event_study_engine(parquet, **kwargs, engine="spark", connection=spark)
    assert_same_event_study(event_study(panel, **kwargs), eng)
    assert eng.spec["engine"] == "spark"


def test_duckdb_settings_are_refused(spark, parquet) -> None:
    with pytest.raises(SpecificationError, match="DuckDB settings"):
        att_gt_engine(parquet, **GT, engine="spark", connection=spark, memory_limit="1GB")


@pytest.mark.parametrize("options", [
    {"by": ["zone"], "period": "quarter"},
    {"count": "person", "person_rule": "first_entry", "by": ["operation_id"], "margins": False},
])
def test_indicators_match_in_memory(spark, tmp_path, options) -> None:
    """Partitions of persons run as Spark tasks (applyInPandas) and their group sums merged."""
    frame, ops = participations(1500, seed=11)
    path = tmp_path / "participations.parquet"
    frame.to_parquet(path, index=False)
    kw = {**BASE, "operations": ops, "min_cell_size": 3, "missing_targets": "report", **options}
    whole, warned_whole = run(programme_indicators, pd.read_parquet(path), **kw)
    parts, warned_parts = run(indicators_engine, str(path), engine="spark", connection=spark, partitions=5, **kw)
    assert_same(whole, parts, warned_whole, warned_parts)
    assert not [t for t in spark.catalog.listTables() if t.name.startswith("iej_panel_")]
