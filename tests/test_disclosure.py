"""Statistical disclosure control: primary (frequency rule) and secondary (complementary) suppression."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from iej_impact.errors import DataError, SpecificationError
from iej_impact.indicators._disclosure import (
    DEFAULT_MIN_CELL_SIZE,
    Relations,
    margin_relations,
    primary_suppression,
    secondary_suppression,
    suppress_frequency_table,
)


def _lone_hidden(suppressed: np.ndarray, relations: Relations) -> np.ndarray:
    """Relations holding exactly one withheld cell (each would give that cell away by subtraction)."""
    n_rel = int(relations.relation.max()) + 1
    hidden = np.bincount(relations.relation, weights=suppressed[relations.cell].astype(float), minlength=n_rel)
    return np.flatnonzero(hidden == 1)


# ------------------------------------------------------------------------------------------------ primary


def test_default_threshold_is_eleven():
    # cells of 1..10 persons are withheld (the French rule for tables of individual records)
    assert DEFAULT_MIN_CELL_SIZE == 11
    flags = primary_suppression(np.arange(0, 13))
    assert flags.tolist() == [False] + [True] * 10 + [False, False]


def test_primary_numerator_complement_and_denominator():
    #            n   d      reason
    n = np.array([3, 40, 38, 2, 0, 40, np.nan])
    d = np.array([40, 40, 40, 3, 40, 43, 40])
    got = primary_suppression(n, d, min_cell_size=5)
    # 3 < 5 | complement 0 is safe | complement 2 < 5 | d = 3 < 5 | zero is safe | complement 3 | NaN: nothing published
    assert got.tolist() == [True, False, True, True, False, True, False]


def test_primary_without_complement_protection():
    assert primary_suppression([38], [40], min_cell_size=5, protect_complement=False).tolist() == [False]


def test_min_cell_size_one_disables_suppression():
    assert not primary_suppression([1, 2, 3], [4, 4, 4], min_cell_size=1).any()


def test_min_cell_size_must_be_a_positive_integer():
    with pytest.raises(SpecificationError, match="min_cell_size"):
        primary_suppression([1], min_cell_size=0)
    with pytest.raises(SpecificationError, match="integer"):
        primary_suppression([1], min_cell_size=2.5)


# ---------------------------------------------------------------------------------------------- secondary


def test_secondary_picks_the_smallest_non_zero_sibling():
    # total 50 = 3 (sensitive) + 0 + 12 + 35: the 0 would not protect the 3 (its upper bound would be exact)
    rel = Relations.from_lists([(0, [1, 2, 3, 4])])
    res = secondary_suppression([50, 3, 0, 12, 35], [False, True, False, False, False], rel)
    assert res.suppressed.tolist() == [False, True, False, True, False]
    assert res.secondary.tolist() == [False, False, False, True, False]
    assert len(res.unprotected) == 0


def test_secondary_withholds_the_total_only_as_last_resort():
    # total 5 = 5 (sensitive) + 0: no non-zero part is left, so the total goes
    rel = Relations.from_lists([(0, [1, 2])])
    res = secondary_suppression([5, 5, 0], [False, True, False], rel)
    assert res.suppressed.tolist() == [True, True, False]


def test_secondary_propagates_through_linked_relations():
    # rows r1 = a + b, r2 = c + d, total = r1 + r2 and columns c1 = a + c, c2 = b + d, total = c1 + c2
    #   cells: 0 a=2, 1 b=10, 2 c=20, 3 d=30, 4 r1, 5 r2, 6 c1, 7 c2, 8 total
    counts = np.array([2, 10, 20, 30, 12, 50, 22, 40, 62])
    rel = Relations.from_lists([(4, [0, 1]), (5, [2, 3]), (6, [0, 2]), (7, [1, 3]), (8, [4, 5]), (8, [6, 7])])
    primary = np.zeros(9, dtype=bool)
    primary[0] = True
    res = secondary_suppression(counts, primary, rel)
    assert len(_lone_hidden(res.suppressed, rel)) == 0
    # a is hidden; its row partner b and column partner c, then d to protect both
    assert res.suppressed[:4].tolist() == [True, True, True, True]
    assert not res.suppressed[4:].any()
    assert res.iterations >= 2


def test_candidates_are_respected_and_unprotected_relations_reported():
    rel = Relations.from_lists([(0, [1, 2])])
    res = secondary_suppression([10, 3, 7], [False, True, False], rel, candidates=[False, True, False])
    assert res.suppressed.tolist() == [False, True, False]
    assert res.unprotected.tolist() == [0]


def test_secondary_is_a_no_op_without_sensitive_cells():
    rel = Relations.from_lists([(0, [1, 2])])
    res = secondary_suppression([30, 12, 18], [False, False, False], rel)
    assert not res.suppressed.any() and res.iterations == 0


# ---------------------------------------------------------------------------------------------- margins


def test_margin_relations_of_a_two_way_table():
    # dims (sex, quarter); -1 = margin. cells: total, F, M, Q1, Q2, F.Q1, F.Q2, M.Q1, M.Q2
    codes = np.array([[-1, -1], [0, -1], [1, -1], [-1, 0], [-1, 1], [0, 0], [0, 1], [1, 0], [1, 1]])
    rel = margin_relations(codes)
    groups = {}
    for r, c, t in zip(rel.relation, rel.cell, rel.is_total, strict=True):
        groups.setdefault(r, [None, []])
        if t:
            groups[r][0] = c
        else:
            groups[r][1].append(c)
    got = sorted((total, tuple(sorted(parts))) for total, parts in groups.values())
    assert got == sorted([(0, (1, 2)), (0, (3, 4)), (1, (5, 6)), (2, (7, 8)), (3, (5, 7)), (4, (6, 8))])


def test_margin_relations_reject_duplicate_cells():
    with pytest.raises(ValueError, match="same codes"):
        margin_relations(np.array([[0, 1], [0, 1]]))


# ------------------------------------------------------------------------------------- frequency tables


def _two_way(counts: np.ndarray) -> pd.DataFrame:
    rows = []
    r, c = counts.shape
    for i in range(r):
        for j in range(c):
            rows.append({"a": f"a{i}", "b": f"b{j}", "n": int(counts[i, j])})
        rows.append({"a": f"a{i}", "b": None, "n": int(counts[i].sum())})
    for j in range(c):
        rows.append({"a": None, "b": f"b{j}", "n": int(counts[:, j].sum())})
    rows.append({"a": None, "b": None, "n": int(counts.sum())})
    return pd.DataFrame(rows)


def test_suppress_frequency_table_one_dimension():
    t = pd.DataFrame({"sex": ["F", "M", None], "n": [3, 40, 43]})
    out = suppress_frequency_table(t, count="n", dims=["sex"], min_cell_size=5)
    assert out["suppression"].tolist() == ["primary", "secondary", ""]
    assert out["n"].isna().tolist() == [True, True, False]
    assert out["suppressed"].tolist() == [True, True, False]
    assert t["n"].tolist() == [3, 40, 43]  # input untouched


def test_suppress_frequency_table_with_a_total_label():
    t = pd.DataFrame({"sex": ["F", "M", "Total"], "n": [3, 40, 43]})
    out = suppress_frequency_table(t, count="n", dims=["sex"], min_cell_size=5, total_label="Total")
    assert out["suppression"].tolist() == ["primary", "secondary", ""]


@pytest.mark.parametrize("seed", range(5))
def test_no_relation_of_a_random_two_way_table_leaks_a_cell(seed):
    rng = np.random.default_rng(seed)
    counts = rng.integers(0, 25, size=(6, 5))
    counts[rng.random(counts.shape) < 0.3] = rng.integers(1, 5)  # sprinkle sensitive cells
    table = _two_way(counts)
    out = suppress_frequency_table(table, count="n", dims=["a", "b"], min_cell_size=5)
    hidden = out["suppressed"].to_numpy()
    sensitive = (table["n"] >= 1) & (table["n"] < 5)
    assert hidden[sensitive.to_numpy()].all()
    # every row and column of the table (and the margins) holds 0 or >= 2 withheld cells
    codes = np.column_stack([pd.factorize(table[c])[0] for c in ("a", "b")])
    assert len(_lone_hidden(hidden, margin_relations(codes))) == 0


def test_exact_audit_on_a_small_table():
    # 2 x 3 table; after suppression no withheld cell is determined by the published margins
    counts = np.array([[2, 15, 30], [20, 25, 40]])
    table = _two_way(counts)
    out = suppress_frequency_table(table, count="n", dims=["a", "b"], min_cell_size=5)
    hidden_inner = [(i, j) for i in range(2) for j in range(3)
                    if out.loc[(table["a"] == f"a{i}") & (table["b"] == f"b{j}"), "suppressed"].item()]
    assert (0, 0) in hidden_inner and len(hidden_inner) >= 4
    # constraints on the hidden cells: each row and column sum is published
    idx = {cell: k for k, cell in enumerate(hidden_inner)}
    lines = [[idx[c] for c in hidden_inner if c[0] == i] for i in range(2)] + \
            [[idx[c] for c in hidden_inner if c[1] == j] for j in range(3)]
    a = np.zeros((len(lines), len(hidden_inner)))
    for r, members in enumerate(lines):
        a[r, members] = 1
    rank = np.linalg.matrix_rank(a)
    for k in range(len(hidden_inner)):
        stacked = np.vstack([a, np.eye(len(hidden_inner))[k]])
        assert np.linalg.matrix_rank(stacked) > rank, f"cell {hidden_inner[k]} is determined by the margins"


def test_suppression_does_not_depend_on_row_order():
    # with distinct counts there are no ties, so the pattern is a function of the table, not of its layout
    rng = np.random.default_rng(7)
    counts = rng.permutation(np.arange(6, 26)).reshape(5, 4)
    counts[0, 0], counts[3, 2] = 2, 3
    table = _two_way(counts)
    a = suppress_frequency_table(table, count="n", dims=["a", "b"], min_cell_size=5)
    perm = rng.permutation(len(table))
    b = suppress_frequency_table(table.iloc[perm].reset_index(drop=True), count="n", dims=["a", "b"], min_cell_size=5)

    def pattern(frame: pd.DataFrame) -> set[tuple[str, str]]:
        hit = frame[frame["suppressed"]].fillna({"a": "*", "b": "*"})
        return set(zip(hit["a"], hit["b"], strict=True))

    assert pattern(a) == pattern(b)
    assert {("a0", "b0"), ("a3", "b2")} <= pattern(a)


def test_frequency_table_rejects_negative_counts_and_missing_columns():
    with pytest.raises(DataError, match="non-negative"):
        suppress_frequency_table(pd.DataFrame({"x": ["a", None], "n": [-1, 3]}), count="n", dims=["x"])
    with pytest.raises(DataError, match="'m'"):
        suppress_frequency_table(pd.DataFrame({"x": ["a"], "n": [1]}), count="m", dims=["x"])
