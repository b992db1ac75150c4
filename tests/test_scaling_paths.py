"""The memory-lean paths of the estimators equal straightforward reference computations.

Large-sample work is done in blocks of units or with reused buffers (see benchmarks/README.md,
"Scaling"); these tests force small blocks and compare with direct whole-sample versions written
here, on data with many ties, to the last bit where the arithmetic is the same.
"""

from __future__ import annotations

import numpy as np
import pytest

from iej_impact.matching import _inference


def _reference_nearest(dist, arm_rows, query, size, tiebreak=None):
    """Whole-sample version: every candidate window at once, one stable sort per row; ties on the
    distance ordered by the columns of the (n, k) array ``tiebreak``."""
    if tiebreak is None:
        rows = arm_rows[np.argsort(dist[arm_rows], kind="stable")]
    else:
        keys = [tiebreak[arm_rows, c] for c in range(tiebreak.shape[1] - 1, -1, -1)] + [dist[arm_rows]]
        rows = arm_rows[np.lexsort(keys)]
    m = rows.shape[0]
    x = np.concatenate([np.full(size, -np.inf), dist[rows], np.full(size + 1, np.inf)])
    q = dist[query]
    cand = np.searchsorted(x, q, side="left")[:, None] + np.arange(-size, size + 1)
    pick = np.argsort(np.abs(x[cand] - q[:, None]), axis=1, kind="stable")[:, : min(size, m)]
    padded = np.concatenate([np.repeat(rows[:1], size), rows, np.repeat(rows[-1:], size + 1)])
    out = padded[np.take_along_axis(cand, pick, axis=1)]
    if out.shape[1] < size:
        out = np.concatenate([out, np.repeat(out[:, :1], size - out.shape[1], axis=1)], axis=1)
    return out


def _reference_loo_mean(y, nb, rows):
    """Mean over the L + 1 neighbours less the row itself (or less the last one), row by row."""
    size = nb.shape[1] - 1
    out = np.empty(nb.shape[0])
    for i in range(nb.shape[0]):
        members = list(nb[i])
        drop = members.index(rows[i]) if rows[i] in members else size
        out[i] = sum(y[k] for j, k in enumerate(members) if j != drop) / size
    return out


@pytest.mark.parametrize("block", [1, 7, 64])
@pytest.mark.parametrize("arm_size", [2, 40])
def test_blocked_neighbour_search_equals_whole_sample_search(monkeypatch, block, arm_size):
    rng = np.random.default_rng(block * 100 + arm_size)
    n = 150
    dist = rng.integers(0, 12, size=n).astype(float)  # many ties on the distance
    arm_rows = np.sort(rng.choice(n, size=arm_size, replace=False))
    query = np.argsort(dist, kind="stable")
    expected = _reference_nearest(dist, arm_rows, query, 5)
    monkeypatch.setattr(_inference, "_QUERY_BLOCK", block)
    got = _inference.nearest_in_arm(dist, arm_rows, query, 5)
    assert got.shape == (n, 5)
    np.testing.assert_array_equal(got, expected)


def test_tiebreak_columns_order_ties_as_the_stacked_array_did(monkeypatch):
    rng = np.random.default_rng(5)
    n = 120
    dist = rng.integers(0, 6, size=n).astype(float)
    values = np.column_stack([rng.integers(0, 3, size=n).astype(float), rng.normal(size=(n, 2))])
    arm_rows = np.flatnonzero(rng.random(n) < 0.5)
    query = np.argsort(dist, kind="stable")
    expected = _reference_nearest(dist, arm_rows, query, 4, tiebreak=values)
    monkeypatch.setattr(_inference, "_QUERY_BLOCK", 16)
    got = _inference.nearest_in_arm(dist, arm_rows, query, 4, tiebreak=list(values.T))
    np.testing.assert_array_equal(got, expected)
    assert not np.array_equal(got, _reference_nearest(dist, arm_rows, query, 4))  # the tiebreak mattered


@pytest.mark.parametrize("block", [1, 5, 1000])
def test_blocked_leave_one_out_mean_equals_direct_loop(monkeypatch, block):
    rng = np.random.default_rng(block)
    n = 60
    y = rng.normal(size=n)
    dist = rng.normal(size=n)
    rows = np.argsort(dist)
    nb = _reference_nearest(dist, np.arange(0, n, 2), rows, 5)  # odd rows are not in the arm
    monkeypatch.setattr(_inference, "_QUERY_BLOCK", block)
    got = _inference._leave_one_out_mean(y, nb, rows)
    np.testing.assert_allclose(got, _reference_loo_mean(y, nb, rows), rtol=1e-12, atol=1e-15)
    assert np.isfinite(got).all()


@pytest.mark.parametrize("clustered", [False, True])
def test_influence_covariance_equals_the_sum_of_outer_products(clustered):
    from iej_impact.inference import influence_covariance

    rng = np.random.default_rng(11)
    n, k = 400, 7
    psi = np.asfortranarray(rng.normal(size=(n, k)))  # the layout att_gt's influence functions have
    psi[rng.random((n, k)) < 0.4] = 0.0
    clusters = rng.integers(0, 40, size=n) if clustered else None
    sums = np.zeros((40, k)) if clustered else psi
    if clustered:
        for i in range(n):
            sums[clusters[i]] += psi[i]
    reference = sum(np.outer(row, row) for row in sums) / n**2 * (40 / 39 if clustered else 1.0)
    got = influence_covariance(psi, clusters=clusters)
    np.testing.assert_allclose(got, reference, rtol=1e-12, atol=1e-18)
    np.testing.assert_array_equal(got, got.T)


def test_aggregation_levels_are_stacked_once_and_restacked_after_a_new_level():
    from iej_impact.diff_in_diff._aggregate import _Levels

    lv = _Levels("test")
    lv.add(0.0, (1.0, np.arange(3.0)), 5)
    lv.add(1.0, (2.0, np.arange(3.0) * 2), 5)
    first = lv.stacked()
    assert lv.stacked() is first
    np.testing.assert_array_equal(first, np.column_stack([np.arange(3.0), np.arange(3.0) * 2]))
    lv.add(2.0, (3.0, np.ones(3)), 5)
    assert lv.stacked().shape == (3, 3)


@pytest.mark.parametrize("block", [1, 9, 1 << 16])
def test_blocked_arm_ranges_equal_the_gathered_minima_and_maxima(monkeypatch, block):
    from iej_impact import _separation

    rng = np.random.default_rng(block)
    x = np.column_stack([rng.normal(size=200), rng.integers(0, 2, size=200).astype(float),
                         np.where(rng.random(200) < 0.02, np.inf, rng.normal(size=200))])
    arm = rng.random(200) < 0.3
    monkeypatch.setattr(_separation, "_ROW_BLOCK", block)
    lows, highs = _separation.arm_ranges(x, arm)
    np.testing.assert_array_equal(lows, x[arm].min(axis=0))
    np.testing.assert_array_equal(highs, x[arm].max(axis=0))


@pytest.mark.parametrize("block", [1, 7, 1 << 16])  # 1: scattered labels (unbuffered adds); 7, 1 << 16: bincounts
def test_local_covariance_weights_give_the_summed_neighbour_covariances(monkeypatch, block):
    monkeypatch.setattr(_inference, "_QUERY_BLOCK", block)
    rng = np.random.default_rng(4)
    n, size = 200, 4
    z = rng.normal(size=(n, 3))
    y = rng.normal(size=n) + 50.0
    nb = rng.integers(0, n, size=(150, size))
    w = rng.random(150)
    direct = sum(w[r] * np.cov(z[nb[r]].T, y[nb[r]])[-1, :-1] for r in range(150))
    np.testing.assert_allclose(z.T @ _inference.local_covariance_weights(y, nb, w), direct, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("ties", [True, False])
@pytest.mark.parametrize("seed", range(12))
def test_merged_neighbour_search_equals_the_stable_sort_of_the_window(monkeypatch, seed, ties):
    """Runs of tied distances longer than the window, on either side, arms smaller than the request;
    and distances without ties (the one-position-runs path)."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(20, 300))
    if ties:
        dist = rng.integers(0, int(rng.integers(2, 30)), size=n).astype(float) * 0.5
    else:
        dist = rng.normal(size=n)
    arm_rows = np.sort(rng.choice(n, size=int(rng.integers(1, n)), replace=False))
    query = rng.permutation(n)
    size = int(rng.integers(1, 7))
    monkeypatch.setattr(_inference, "_QUERY_BLOCK", int(rng.integers(1, 50)))
    labels = rng.permutation(n) + 1000
    expected = _reference_nearest(dist, arm_rows, query, size)
    np.testing.assert_array_equal(_inference.nearest_in_arm(dist, arm_rows, query, size), expected)
    np.testing.assert_array_equal(_inference.nearest_in_arm(dist, arm_rows, query, size, labels=labels),
                                  labels[expected])


def test_local_covariance_weights_columns_equal_separate_calls():
    rng = np.random.default_rng(9)
    y = rng.normal(size=100)
    nb = rng.integers(0, 100, size=(80, 4))
    w = rng.random((80, 2))
    both = _inference.local_covariance_weights(y, nb, w)
    assert both.shape == (100, 2)
    for c in range(2):
        np.testing.assert_allclose(both[:, c], _inference.local_covariance_weights(y, nb, w[:, c]), rtol=1e-13,
                                   atol=1e-15)
