"""indicators_engine (DuckDB): the indicators by partitions of persons equal programme_indicators on the whole table.

The participations below are built to reach every place where a partition sees less than the whole
table: notes and warnings that count rows, breakdown values missing from some partitions (and
missing values), persons with several participations (count="person"), survey weights, entries and
exits after the reference date, partitions where nobody entered by then, targets by operation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from _indicators_compare import BASE, REFERENCE, assert_same, participations, run
from iej_impact import programme_indicators
from iej_impact.errors import DataError, DuplicateParticipationError, EligibilityWarning, SpecificationError

pytest.importorskip("duckdb", reason="duckdb is not installed (pip install iej_impact[duckdb])")

from iej_impact.engines import indicators_engine  # noqa: E402


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, pd.DataFrame]:
    return participations()


@pytest.fixture(scope="module")
def parquet(data, tmp_path_factory) -> tuple[str, pd.DataFrame]:
    """The participations as a Parquet file, and the frame pandas reads back from it (the same types)."""
    path = tmp_path_factory.mktemp("participations") / "participations.parquet"
    data[0].to_parquet(path, index=False)
    return str(path), pd.read_parquet(path)


CASES = [
    {},
    {"by": ["zone"], "period": "month", "margins": False},
    {"by": ["operation_id"], "count": "person", "person_rule": "first_entry", "weights": None},
    {"count": "person", "person_rule": "last_exit", "period": "quarter", "late_exit_status": "unknown"},
    {"count": "person", "person_rule": "longest", "by": ["zone"]},
]


@pytest.mark.parametrize("partitions", [1, 3, 11])
@pytest.mark.parametrize("options", CASES)
def test_partitions_equal_the_whole_table(parquet, data, options, partitions) -> None:
    path, frame = parquet
    kw = {"operations": data[1], "reference_date": REFERENCE, "min_cell_size": 3, "missing_targets": "report",
          "late_exit_status": "unknown", **options}
    whole, warned_whole = run(programme_indicators, frame, **kw)
    parts, warned_parts = run(indicators_engine, path, partitions=partitions, **kw)
    assert len(whole.table) > 100 and whole.table["value"].notna().sum() > 50
    assert any(c == "EligibilityWarning" for c, _ in warned_whole)  # the counted warnings are exercised
    assert_same(whole, parts, warned_whole, warned_parts)


def test_a_dataframe_source_and_the_default_partitions(parquet) -> None:
    _, frame = parquet
    whole, warned_whole = run(programme_indicators, frame, by=["zone"], **BASE)
    parts, warned_parts = run(indicators_engine, frame, by=["zone"], **BASE)
    assert_same(whole, parts, warned_whole, warned_parts)


def test_counted_notes_add_up_over_partitions(parquet) -> None:
    path, frame = parquet
    late = int((frame["entry_date"] > pd.Timestamp(REFERENCE)).sum())
    res = indicators_engine(path, partitions=5, reference_date=REFERENCE, late_exit_status="unknown")
    assert late > 0
    assert f"{late} participation(s) entered after the reference date {REFERENCE} are excluded." in res.notes
    with pytest.warns(EligibilityWarning, match=r"participation\(s\) employed at entry") as caught:
        indicators_engine(path, partitions=5, reference_date=REFERENCE, late_exit_status="unknown")
    employed = int(((frame["lm_status_entry"] == "EMPLOYED") & (frame["entry_date"] <= pd.Timestamp(REFERENCE))).sum())
    texts = [str(w.message) for w in caught if "employed at entry" in str(w.message)]
    assert texts == [t for t in texts if t.startswith(f"{employed} participation(s)")] and len(texts) == 1


def test_partitions_where_nobody_entered_yet(tmp_path) -> None:
    frame, _ = participations(400, seed=3)
    frame["entry_date"] = pd.Timestamp("2017-01-01")
    frame.loc[:4, "entry_date"] = pd.Timestamp("2015-01-01")  # five participations entered by the reference date
    frame["exit_date"] = pd.NaT
    path = tmp_path / "late.parquet"
    frame.to_parquet(path, index=False)
    back = pd.read_parquet(path)
    kw = {"reference_date": REFERENCE, "min_cell_size": 1, "indicators": ["ESF:CO01", "PROG:PARTICIPANTS"]}
    whole, warned_whole = run(programme_indicators, back, **kw)
    parts, warned_parts = run(indicators_engine, str(path), partitions=7, **kw)
    assert whole.value("PROG", "PARTICIPANTS") == 5
    assert_same(whole, parts, warned_whole, warned_parts)
    frame["entry_date"] = pd.Timestamp("2017-01-01")
    frame.to_parquet(path, index=False)
    with pytest.raises(DataError, match="no participation entered on or before the reference date"):
        indicators_engine(str(path), partitions=3, reference_date=REFERENCE)


def _followed_up(frame: pd.DataFrame) -> pd.Series:
    return frame["status_6m"].notna() & frame["exit_date"].notna() & (frame["exit_date"] <= pd.Timestamp(REFERENCE))


def test_survey_weights_are_reconciled_across_partitions(data, tmp_path) -> None:
    frame = data[0].copy()
    path = tmp_path / "weights.parquet"
    # no followed-up leaver has a weight: unweighted, even in partitions without followed-up leavers
    frame["sample_weight_6m"] = np.nan
    frame.to_parquet(path, index=False)
    back = pd.read_parquet(path)
    whole, warned_whole = run(programme_indicators, back, reference_date=REFERENCE, late_exit_status="unknown")
    parts, warned_parts = run(indicators_engine, str(path), partitions=400, reference_date=REFERENCE,
                              late_exit_status="unknown")
    assert not whole.table["weighted"].any()
    assert_same(whole, parts, warned_whole, warned_parts)
    # weights for some followed-up leavers only: the whole table's error, whatever the partition
    frame = data[0].copy()
    followed = np.flatnonzero(_followed_up(frame).to_numpy())
    persons = frame["person_id"].to_numpy()[followed[:3]]
    frame.loc[frame["person_id"].isin(persons), "sample_weight_6m"] = np.nan
    frame.to_parquet(path, index=False)
    with pytest.raises(DataError, match="sample_weight_6m is missing for"):
        programme_indicators(pd.read_parquet(path), reference_date=REFERENCE, late_exit_status="unknown")
    for partitions in (1, 40):
        with pytest.raises(DataError, match="sample_weight_6m is missing for"):
            indicators_engine(str(path), partitions=partitions, reference_date=REFERENCE, late_exit_status="unknown")


def test_what_one_partition_cannot_see_is_checked_on_the_whole_source(data, tmp_path) -> None:
    frame = data[0].copy()
    path = tmp_path / "dup.parquet"
    frame.loc[10, "participation_id"] = frame.loc[500, "participation_id"]  # two persons, one participation id
    frame.to_parquet(path, index=False)
    with pytest.raises(DuplicateParticipationError, match=r"participation_id is not unique: 1 values appear in 2 rows"):
        indicators_engine(str(path), partitions=4, **BASE)
    with pytest.raises(DuplicateParticipationError):
        programme_indicators(frame, **BASE)
    frame.drop(columns=["person_id"]).to_parquet(path, index=False)
    with pytest.raises(SpecificationError, match="need a 'person_id' column"):
        indicators_engine(str(path))
    data[0].to_parquet(path, index=False)
    with pytest.raises(SpecificationError, match="person_rule='longest' on partitions needs a reference_date"):
        indicators_engine(str(path), count="person", person_rule="longest")


def test_data_errors_name_the_source(data, tmp_path) -> None:
    frame = data[0].copy()
    frame.loc[7, "sex"] = None
    path = tmp_path / "nosex.parquet"
    frame.to_parquet(path, index=False)
    with pytest.raises(DataError, match=r"programme_indicators\(\) \[.*nosex\.parquet\]: column 'sex' is empty in 1 row"):
        indicators_engine(str(path), partitions=3, **BASE)
