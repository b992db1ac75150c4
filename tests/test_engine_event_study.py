"""The DuckDB event study (event_study_engine) against the in-memory event_study, to 1e-10.

The mpdta panel (500 counties, 2003-2007, cohorts 2004, 2006, 2007 and never-treated counties) is
read as a data frame and as Parquet files; windows, reference periods (with and without
anticipation), pre-trend leads, a time-varying covariate, clustered / robust standard errors, the
three small-sample conventions and both codings of never-treated units are compared with the
in-memory estimator: the table, the covariance, the pre-trend Wald test and the inference. The
errors are checked for the column or parameter they name.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from _engine_compare import assert_same_event_study, mpdta
from iej_impact import event_study
from iej_impact.errors import DataError, EstimationError, PanelStructureError, SpecificationError

pytest.importorskip("duckdb", reason="duckdb is not installed (pip install iej_impact[duckdb])")

from iej_impact.engines import event_study_engine  # noqa: E402

ES = {"outcome": "lemp", "unit": "countyreal", "time": "year", "cohort": "first.treat", "never_treated": 0}
STATE = {"type": "clustered", "by": "state"}


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return mpdta()


@pytest.fixture(scope="module")
def parquet(panel: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> str:
    """mpdta in three shuffled Parquet files (a glob), never-treated counties coded NaN."""
    folder = tmp_path_factory.mktemp("mpdta_es")
    shuffled = panel.sample(frac=1.0, random_state=2)
    shuffled["first.treat"] = shuffled["first.treat"].where(shuffled["first.treat"] > 0)
    for j, rows in enumerate(np.array_split(np.arange(len(shuffled)), 3)):
        shuffled.iloc[rows].to_parquet(folder / f"part{j}.parquet", index=False)
    return str(folder / "*.parquet")


@pytest.mark.parametrize("window, reference, pretrend_leads", [
    ((-4, 3), -1, None), ((-3, 2), -2, None), ((-3, 2), -2, "all"), ((-2, 0), -1, None), ((-4, 3), -3, [-4, -2]),
    ((-1, 1), -1, None),
])
@pytest.mark.parametrize("se", [None, "robust", STATE])
@pytest.mark.parametrize("small_sample", ["nested", "all", "none"])
def test_matches_in_memory(panel, window, reference, pretrend_leads, se, small_sample) -> None:
    kwargs = {**ES, "window": window, "reference": reference, "pretrend_leads": pretrend_leads, "se": se,
              "small_sample": small_sample}
    mem, eng = event_study(panel, **kwargs), event_study_engine(panel, **kwargs)
    assert_same_event_study(mem, eng)
    assert eng.spec["engine"] == "duckdb" and "computed by duckdb" in eng.notes[0]


@pytest.mark.parametrize("covariates, se", [(["x"], None), (["x"], STATE), (["x"], "robust")])
def test_covariates_from_parquet(panel, parquet, covariates, se) -> None:
    """Parquet files with NaN cohorts (never treated) against the frame coded 0 with never_treated=0."""
    kwargs = {"outcome": "lemp", "unit": "countyreal", "time": "year", "cohort": "first.treat", "window": (-3, 2),
              "covariates": covariates, "se": se}
    mem = event_study(panel, **kwargs, never_treated=0)
    eng = event_study_engine(parquet, **kwargs)
    assert_same_event_study(mem, replace(eng, spec={**eng.spec, "never_treated": 0}))
    assert eng.spec["never_treated"] is None
    assert len(eng.table) == 6 and eng.table["n_obs"].sum() == 191 * 5  # every treated row in one bin


def test_a_cluster_cutting_across_units_counts_the_unit_effects(panel) -> None:
    """Clusters that split a unit's rows: K counts the unit effects ("nested" is not nested)."""
    frame = panel.assign(half=(panel["countyreal"] % 7) * 10 + (panel["year"] > 2005))
    kwargs = {**ES, "window": (-3, 2), "se": {"type": "clustered", "by": "half"}}
    assert_same_event_study(event_study(frame, **kwargs), event_study_engine(frame, **kwargs))


def test_duckdb_settings_and_a_connection_table(panel) -> None:
    import duckdb

    con = duckdb.connect()
    con.register("frame", panel)
    con.execute("CREATE TABLE mpdta AS SELECT * FROM frame")
    eng = event_study_engine("mpdta", **ES, window=(-3, 2), connection=con, memory_limit="500MB", threads=1)
    assert_same_event_study(event_study(panel, **ES, window=(-3, 2)), eng)
    assert con.execute("SELECT COUNT(*) FROM mpdta").fetchone()[0] == len(panel)  # the user's connection stays open


def test_refusals_point_to_the_in_memory_function(panel) -> None:
    with pytest.raises(SpecificationError, match="unbalanced.*in-memory event_study"):
        event_study_engine(panel.iloc[1:], **ES, window=(-3, 2))
    with pytest.raises(SpecificationError, match="weights are not supported.*in-memory event_study"):
        event_study_engine(panel, **ES, window=(-3, 2), weights="w")
    with pytest.raises(SpecificationError, match="'window' parameter of event_study_engine"):
        event_study_engine(panel, **ES, window=(0, 3))
    with pytest.raises(SpecificationError, match="reference"):
        event_study_engine(panel, **ES, window=(-3, 2), reference=-4)
    with pytest.raises(SpecificationError, match="pretrend_leads"):
        event_study_engine(panel, **ES, window=(-3, 2), pretrend_leads=[-1])
    with pytest.raises(SpecificationError, match="small_sample"):
        event_study_engine(panel, **ES, window=(-3, 2), small_sample="stata")
    with pytest.raises(SpecificationError, match="bootstrap|se"):
        event_study_engine(panel, **ES, window=(-3, 2), se="bootstrap")


def test_data_errors_name_the_column(panel) -> None:
    def raised(frame: pd.DataFrame, kind: type, match: str, **kwargs: object) -> Exception:
        with pytest.raises(kind, match=match) as info:
            event_study_engine(frame, **{**ES, "window": (-3, 2), **kwargs})
        return info.value

    missing = panel.assign(lemp=panel["lemp"].where(panel.index != 7))
    assert raised(missing, DataError, "column 'lemp' has missing values in 1 rows").column == "lemp"
    missing_x = panel.assign(x=panel["x"].where(panel.index != 7))
    assert raised(missing_x, DataError, "'x' has missing values", covariates=["x"]).column == "x"
    varying = panel.assign(**{"first.treat": panel["first.treat"].where(panel.index != 3, 2006)})
    assert raised(varying, PanelStructureError, "'first.treat' varies within 1 unit").column == "first.treat"
    duplicated = pd.concat([panel, panel.iloc[:2]])
    assert raised(duplicated, PanelStructureError, "2 .unit, period. pairs").column == "countyreal"
    zero = {k: v for k, v in ES.items() if k != "never_treated"}
    with pytest.raises(DataError, match="'first.treat' is 0 in 1545 rows.*never_treated=0"):
        event_study_engine(panel, **zero, window=(-3, 2))
    fractional = panel.assign(**{"first.treat": panel["first.treat"].replace(2006, 2006.5)})
    assert raised(fractional, DataError, "whole numbers of periods").column == "first.treat"
    with pytest.raises(DataError, match=r"no treated observation at event time\(s\) \[4\]"):
        event_study_engine(panel, **ES, window=(-4, 4))


def test_errors_match_the_in_memory_function(panel) -> None:
    """The same error class as event_study() for a covariate constant within unit and an empty bin."""
    for kwargs, kind in (({"covariates": ["lpop"]}, EstimationError), ({"window": (-4, 4)}, DataError)):
        args = {**ES, "window": (-3, 2), **kwargs}
        with pytest.raises(kind):
            event_study(panel, **args)
        with pytest.raises(kind):
            event_study_engine(panel, **args)


@pytest.mark.parametrize("se", [None, "robust", STATE])
def test_moments_path_without_covariates_and_cells_path_otherwise(panel, se) -> None:
    """Without covariates and with unit clusters or HC1 the regression comes from the per-cohort moments;
    with a covariate or other clusters, from the demeaned cell sums. Both equal the in-memory fit."""
    kwargs = {**ES, "window": (-3, 2), "reference": -1, "se": se}
    eng = event_study_engine(panel, **kwargs)
    assert_same_event_study(event_study(panel, **kwargs), eng)
    from_moments = se in (None, "robust")
    assert ("per-cohort moments" in eng.notes[0]) is from_moments
    assert ("demeaned cross-products" in eng.notes[0]) is not from_moments
