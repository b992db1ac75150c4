"""The synthetic cohort written to Parquet block by block (write_cohort_parquet): the tables do not
depend on the chunk size, are byte-deterministic, hold what the in-memory DGP draws for the same
blocks, with compact types; the truth file agrees with the truth formula; the data-generating
process is simulate_cohort's (means within a few standard errors of another draw)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from iej_impact.datasets import simulate_cohort, write_cohort_parquet
from iej_impact.datasets.synthetic import _chunked
from iej_impact.datasets.synthetic._monthly_outcomes import _event_window, _group_time_table
from iej_impact.datasets.synthetic._outcome_model import OUTCOMES
from iej_impact.datasets.synthetic._truth import _truth_tables
from iej_impact.datasets.synthetic.write_parquet import main
from iej_impact.errors import SpecificationError

N, BLOCK, CHUNK, SEED = 3000, 500, 700, 11
N0 = 2 * N  # comparison_ratio 2
WIDTH = 12 + 18 + 1  # default window panel


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> dict[str, dict[str, object]]:
    """The same cohort written in chunks of one block, again, and in one chunk."""
    root = tmp_path_factory.mktemp("parquet")
    return {name: write_cohort_parquet(root / name, N, seed=SEED, block_size=BLOCK, chunk_size=chunk)
            for name, chunk in (("chunked", CHUNK), ("again", CHUNK), ("one_chunk", 10 * N))}


@pytest.fixture(scope="module")
def in_memory() -> list:
    """The blocks drawn in memory with the chunked writer's seeding (no Parquet involved)."""
    rng = np.random.default_rng(np.random.SeedSequence(SEED).spawn(1)[0])
    design = _chunked._draw_design(rng)
    return [_chunked._draw_block(design, SEED, arm, b, size, BLOCK, "window", 12, 18)
            for arm, b, size in _chunked._blocks(N, N0, BLOCK)]


def _read(path) -> pd.DataFrame:
    return pq.read_table(path).to_pandas(date_as_object=False)


def _decoded(table: pa.Table) -> pa.Table:
    """The table with dictionary columns as their values (row groups may carry different dictionaries)."""
    return table.cast(pa.schema([pa.field(f.name, f.type.value_type if pa.types.is_dictionary(f.type) else f.type)
                                 for f in table.schema]))


def test_tables_do_not_depend_on_the_chunk_size(written):
    chunked, one = written["chunked"], written["one_chunk"]
    for name in ("persons", "panel", "group_time"):
        a, b = pq.read_table(chunked[name]), pq.read_table(one[name])
        assert a.schema == b.schema, name
        assert _decoded(a).equals(_decoded(b)), name
    assert pq.ParquetFile(chunked["persons"]).metadata.num_row_groups == -(-N // BLOCK) + -(-N0 // BLOCK)
    assert pq.ParquetFile(one["persons"]).metadata.num_row_groups == 1
    for name in ("group_time", "truth_json"):
        assert chunked[name].read_bytes() == one[name].read_bytes(), name


def test_same_arguments_give_byte_identical_files(written, tmp_path):
    assert set(written["chunked"]) == {"persons", "panel", "group_time", "truth_json"}
    for name, path in written["chunked"].items():
        assert path.read_bytes() == written["again"][name].read_bytes(), name
    other = write_cohort_parquet(tmp_path, N, seed=SEED + 1, block_size=BLOCK, chunk_size=CHUNK)
    assert other["persons"].read_bytes() != written["chunked"]["persons"].read_bytes()
    # no temporary file is left behind
    assert sorted(p.name for p in tmp_path.iterdir()) == ["group_time.parquet", "panel.parquet", "persons.parquet",
                                                          "truth.json"]


def _same_values(back: pd.Series, frame: pd.Series, name: str) -> None:
    if pd.api.types.is_datetime64_any_dtype(frame):
        assert (back.to_numpy().astype("datetime64[D]") == frame.to_numpy().astype("datetime64[D]")).all(), name
    elif pd.api.types.is_numeric_dtype(frame) and not isinstance(frame.dtype, pd.CategoricalDtype):
        np.testing.assert_array_equal(back.to_numpy(dtype=float), frame.to_numpy(dtype=float), err_msg=name)
    else:
        a, b = back.astype(object), frame.astype(object)
        assert (a.isna() == b.isna()).all() and (a[a.notna()].astype(str) == b[b.notna()].astype(str)).all(), name


def test_parquet_holds_the_in_memory_draw(written, in_memory):
    for table in ("persons", "panel"):
        back = _read(written["chunked"][table])
        frame = pd.concat([getattr(part, table) for part in in_memory], ignore_index=True)
        assert [c for c in back.columns if c != "person_index"] == list(frame.columns), table
        for col in frame.columns:
            _same_values(back[col], frame[col], f"{table}.{col}")


def test_types_are_compact(written):
    persons = pq.read_schema(written["chunked"]["persons"])
    panel = pq.read_schema(written["chunked"]["panel"])
    for schema in (persons, panel):
        assert not [f.name for f in schema if f.type in (pa.int64(), pa.float64(), pa.large_string())]
        assert schema.field("person_index").type == pa.int32()
        assert schema.field("first_treat_period").type == pa.int32()
        assert pa.types.is_dictionary(schema.field("territory_id").type)
    assert panel.field("period").type == pa.int32() and panel.field("event_time").type == pa.int8()
    assert panel.field("employed").type == pa.int8() and panel.field("month").type == pa.date32()
    assert pa.types.is_dictionary(panel.field("person_id").type) and pa.types.is_dictionary(panel.field("group").type)
    assert persons.field("entry_period").type == pa.int32() and persons.field("employed_12m").type == pa.int8()


def test_rows_per_arm_ids_and_panel_key(written):
    persons = _read(written["chunked"]["persons"])
    panel = _read(written["chunked"]["panel"])
    assert (persons["treated"] == 1).sum() == N and (persons["treated"] == 0).sum() == N0
    expected_ids = [f"P{i:07d}" for i in range(1, N + 1)] + [f"C{i:07d}" for i in range(1, N0 + 1)]
    assert persons["person_id"].tolist() == expected_ids
    assert (persons["person_index"].to_numpy() == np.arange(N + N0)).all()
    assert persons["first_treat_period"].isna().sum() == N0
    assert len(panel) == (N + N0) * WIDTH
    assert panel.groupby("group", observed=True).size().to_dict() == {"TREATED": N * WIDTH, "COMPARISON": N0 * WIDTH}
    assert not panel.duplicated(["person_id", "period"]).any()
    assert not panel.duplicated(["person_index", "period"]).any()
    # person_index and person_id name the same person in both tables
    ids = persons["person_id"].to_numpy()[panel["person_index"].to_numpy()]
    assert (ids == panel["person_id"].astype(str).to_numpy()).all()
    doc = json.loads(written["chunked"]["truth_json"].read_text(encoding="utf-8"))
    assert doc["rows"] == {"persons": N + N0, "participants": N, "comparison": N0, "panel": len(panel),
                           "group_time": len(_read(written["chunked"]["group_time"]))}


def test_truth_file_agrees_with_the_in_memory_truth_formula(written, in_memory):
    doc = json.loads(written["chunked"]["truth_json"].read_text(encoding="utf-8"))
    assert doc["seed"] == SEED and doc["params"]["n_comparison"] == N0
    assert doc["params"]["blocks"]["block_size"] == BLOCK
    truth = pd.DataFrame(doc["truth"]).set_index(["outcome", "estimand"])
    person_id = pd.concat([pd.Series(p.person_id) for p in in_memory], ignore_index=True).array
    treated = np.concatenate([p.treated for p in in_memory])
    po = {o: tuple(np.concatenate([p.sim["po"][o][k] for p in in_memory]) for k in range(4)) for o in OUTCOMES}
    lat = type(in_memory[0].lat)(treated=treated, g=np.concatenate([p.lat.g for p in in_memory]),
                                 index={k: np.concatenate([p.lat.index[k] for p in in_memory])
                                        for k in in_memory[0].lat.index}, h={})
    expected, _ = _truth_tables(person_id, treated, lat, po)
    for row in expected.itertuples():
        got = truth.loc[(row.outcome, row.estimand)]
        assert got["n"] == row.n
        assert got["value"] == pytest.approx(row.value, abs=1e-14)
        assert got["value_realized"] == pytest.approx(row.value_realized, abs=1e-14)
    # ATT(g, t): the sums of every block, and at event time 12 they average to the person-level ATT
    gt = _read(written["chunked"]["group_time"])
    _, span, _ = _event_window("window", 12, 18)
    sums = {k: sum(p.sim["gt_sum"][k] for p in in_memory) for k in ("employed", "in_training")}
    pd.testing.assert_frame_equal(gt, _group_time_table(sums, sum(p.sim["gt_n"] for p in in_memory), span),
                                  check_dtype=False)
    at12 = gt[(gt["outcome"] == "employed") & (gt["event_time"] == 12)]
    assert (at12["att"] * at12["n"]).sum() / at12["n"].sum() == pytest.approx(
        truth.loc[("employed_12m", "ATT"), "value"], abs=1e-12)


# ------------------------------------------------------------------------------------------- same DGP
_COMPARED = ("female", "age", "isced_0_2", "isced_0_4", "jobless_household", "disability", "social_minima", "homeless",
             "qpv_resident", "rural", "unemployed_entry", "unemp_duration_months", "entry_period", "emp_months_pre12",
             "n_participations", *OUTCOMES)


def test_the_data_generating_process_is_simulate_cohorts(tmp_path):
    """Means by arm of a chunked cohort and of simulate_cohort within 4.5 standard errors.

    Both use seed 5, so they share the design (territory weights and effects, operations), and draw
    their persons from different generators: two independent samples of the same process.
    """
    n = 20_000
    paths = write_cohort_parquet(tmp_path, n, seed=5, block_size=4096, chunk_size=8192)
    chunked = _read(paths["persons"])
    ref = simulate_cohort(n, seed=5)
    assert not np.array_equal(chunked["age"].to_numpy()[:100], ref.persons["age"].to_numpy()[:100])
    for treated in (1, 0):
        a = chunked[chunked["treated"] == treated]
        b = ref.persons[ref.persons["treated"] == treated]
        for col in _COMPARED:
            x, y = a[col].astype(float), b[col].astype(float)
            se = np.sqrt(x.var() / len(x) + y.var() / len(y))
            assert abs(x.mean() - y.mean()) < 4.5 * se + 1e-12, (treated, col, x.mean(), y.mean(), se)
        share = a["territory_id"].astype(str).value_counts(normalize=True).sort_index()
        ref_share = b["territory_id"].value_counts(normalize=True).sort_index()
        se = np.sqrt(ref_share * (1 - ref_share) * 2 / len(a))
        assert ((share - ref_share).abs() < 4.5 * se).all(), (share, ref_share)
    # the monthly panel: employment by arm and event time
    panel = _read(paths["panel"])
    mine = panel.groupby(["treated", "event_time"])["employed"].mean()
    theirs = ref.panel.groupby(["treated", "event_time"])["employed"].mean()
    se = np.sqrt(mine * (1 - mine) / (panel.groupby(["treated", "event_time"]).size())) * np.sqrt(2)
    assert ((mine - theirs).abs() < 4.5 * se + 1e-3).all()
    # the true effects: the same population quantities, each the mean of p1 - p0 over one sample
    doc = json.loads(paths["truth_json"].read_text(encoding="utf-8"))
    po = ref.potential_outcomes
    for row in doc["truth"]:
        if row["estimand"] != "ATT":
            continue
        effect = (po[f"p1_{row['outcome']}"] - po[f"p0_{row['outcome']}"])[po["treated"] == 1]
        se = effect.std() * np.sqrt(2.0 / n)
        assert abs(row["value"] - ref.true_effect(row["outcome"])) < 4.5 * se, row["outcome"]
    # the design (territories, their effects, operations) is simulate_cohort's for the same seed
    assert doc["params"]["covariates"]["territories"] == ref.params["covariates"]["territories"]
    assert set(chunked["operation_id"].dropna().astype(str)) <= set(ref.operations["operation_id"])


# --------------------------------------------------------------------------------------- panels, errors, CLI
def test_balanced_and_no_panel(tmp_path):
    balanced = write_cohort_parquet(tmp_path / "b", 40, seed=1, panel="balanced", block_size=32)
    panel = _read(balanced["panel"])
    assert len(panel) == 120 * 54 and panel["period"].min() == 1 and panel["period"].max() == 54
    none = write_cohort_parquet(tmp_path / "n", 40, seed=1, panel="none", block_size=32)
    assert "panel" not in none and not (tmp_path / "n" / "panel.parquet").exists()
    # persons do not depend on the panel settings
    pd.testing.assert_frame_equal(_read(balanced["persons"]), _read(none["persons"]))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_participants": 5}, "'n_participants' parameter of write_cohort_parquet() must be >= 10"),
        ({"block_size": 0}, "'block_size' parameter of write_cohort_parquet() must be >= 1"),
        ({"chunk_size": 2.5}, "'chunk_size' parameter of write_cohort_parquet() must be an integer"),
        ({"compression": "zip"}, "compression"),
        ({"panel": "windows"}, "Did you mean 'window'?"),
        ({"n_participants": 10**9}, "person_index is a 32-bit integer"),
    ],
)
def test_bad_arguments_are_rejected(tmp_path, kwargs, message):
    args = {"n_participants": 100, **kwargs}
    with pytest.raises(SpecificationError) as err:
        write_cohort_parquet(tmp_path / "x", **args)
    assert message in str(err.value)
    assert not (tmp_path / "x").exists()


def test_command_line(tmp_path, capsys):
    assert main(["--participants", "30", "--out", str(tmp_path), "--block-size", "16", "--panel", "none"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["rows"]["persons"] == 90 and set(report["files"]) == {"persons", "group_time", "truth_json"}
    assert main(["--participants", "3", "--out", str(tmp_path / "bad")]) == 2
    assert "'n_participants'" in capsys.readouterr().err


def test_the_explanation_page_holds_the_docstrings():
    from iej_impact.datasets.synthetic import _cohort

    page = (Path(__file__).resolve().parents[1] / "docs" / "explanation" / "synthetic-cohort.md").read_text("utf-8")
    for module in (_cohort, _chunked):
        assert module.__doc__.strip("\n") in page, f"regenerate the page from {module.__name__}'s docstring"
