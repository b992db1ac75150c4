"""Tests of the matching engine (iej_impact.matching._nearest) and of match()/psm().

The nearest-neighbour search is checked against an exhaustive brute-force search that implements
the documented MatchIt rules directly; conventions are pinned on hand-made examples; properties
(row order, relabelling, outcome shifts, no mutation) and bad input are covered. Reference values
from MatchIt itself are in tests/reference/test_matchit.py.
"""

from __future__ import annotations

import bisect
import dataclasses
import json
import warnings

import numpy as np
import pandas as pd
import pytest

from iej_impact import MatchResult, match, psm
from iej_impact.errors import DataError, EstimationError, OverlapWarning, SpecificationError, TieWarning
from iej_impact.matching._arguments import METHODS
from iej_impact.matching._methods import MATCHERS
from iej_impact.matching._nearest import focal_order, nearest_match, stable_argsort


# ---------------------------------------------------------------------------------------------
# brute force: the rules, written directly (O(n^2) per unit)
# ---------------------------------------------------------------------------------------------
def brute_force(d, focal, eligible, order, ratio, replace, caliper, strata=None):
    """Greedy matching by the documented rule: for each focal unit (in ``order``, in rounds), among
    available controls of its stratum take the one minimising (|difference|, after-before, nearness
    in the joint (distance, row) order); no match if that one is beyond the caliper."""
    n = len(d)
    frows = np.flatnonzero(focal)
    out = -np.ones((len(frows), ratio), dtype=int)
    strata = np.zeros(n, dtype=int) if strata is None else strata
    avail = (~focal) & eligible
    active = eligible[frows].copy()
    cal = np.inf if caliper is None else caliper
    for r in range(ratio):
        for p in order:
            if not active[p]:
                continue
            t = frows[p]
            best = None
            for c in range(n):
                if not avail[c] or strata[c] != strata[t] or c in out[p]:
                    continue
                before = (d[c], c) < (d[t], t)
                key = (abs(d[t] - d[c]), 0 if before else 1, -c if before else c)
                if best is None or key < best[0]:
                    best = (key, c)
            if best is None or best[0][0] > cal:
                active[p] = False
                continue
            out[p, r] = best[1]
            if not replace:
                avail[best[1]] = False
    return out


def sequential_reference(d, focal, order, caliper):
    """1:1 greedy without replacement with a sorted list of available controls (no union-find)."""
    frows = np.flatnonzero(focal)
    ctrl = sorted((d[c], c) for c in np.flatnonzero(~focal))
    out = -np.ones(len(frows), dtype=int)
    for p in order:
        t = frows[p]
        k = bisect.bisect_left(ctrl, (d[t], t))
        cands = []
        if k > 0:
            cands.append((abs(d[t] - ctrl[k - 1][0]), 0, k - 1))
        if k < len(ctrl):
            cands.append((abs(ctrl[k][0] - d[t]), 1, k))
        if not cands:
            continue
        dist, _, j = min(cands)
        if dist <= caliper:
            out[p] = ctrl[j][1]
            ctrl.pop(j)
    return out


@pytest.mark.parametrize("seed", range(6))
def test_core_equals_brute_force_on_random_problems(seed):
    rng = np.random.default_rng(seed)
    for it in range(40):
        n = int(rng.integers(4, 45))
        d = np.round(rng.normal(size=n), int(rng.integers(0, 3)))  # rounding creates exact ties
        focal = rng.random(n) < rng.uniform(0.15, 0.7)
        eligible = rng.random(n) < 0.9
        ratio = int(rng.integers(1, 4))
        replace = bool(rng.integers(0, 2))
        caliper = [None, 0.3, 1.0][int(rng.integers(0, 3))]
        strata = rng.integers(0, 3, n) if rng.random() < 0.3 else None
        kind = ["largest", "smallest", "data", "random"][int(rng.integers(0, 4))]
        order = focal_order(d[focal], kind, np.random.default_rng(it))
        got = nearest_match(d, focal, eligible=eligible, order=order, ratio=ratio, replace=replace,
                            caliper=caliper, strata=strata)
        want = brute_force(d, focal, eligible, order, ratio, replace, caliper, strata)
        np.testing.assert_array_equal(got, want, err_msg=f"seed={seed} it={it}")


def test_core_equals_sequential_reference_at_scale_with_many_conflicts():
    # dense treated region and coarse rounding: many units compete for the same controls, which
    # exercises the "claimant stolen by an earlier unit" path
    rng = np.random.default_rng(7)
    n = 6000
    d = np.round(rng.normal(size=n), 2)
    focal = rng.random(n) < 1 / (1 + np.exp(-(d - 0.5) * 2))
    order = focal_order(d[focal], "largest")
    got = nearest_match(d, focal, order=order, caliper=0.05)[:, 0]
    want = sequential_reference(d, focal, order, 0.05)
    np.testing.assert_array_equal(got, want)


def test_stable_argsort_equals_numpy_stable_sort():
    rng = np.random.default_rng(3)
    x = np.round(rng.normal(size=5000), 1)
    np.testing.assert_array_equal(stable_argsort(x), np.argsort(x, kind="stable"))


# ---------------------------------------------------------------------------------------------
# conventions on small examples
# ---------------------------------------------------------------------------------------------
def _frame(d, score, **extra):
    return pd.DataFrame({"d": d, "s": score, **extra})


def test_before_wins_at_equal_distance():
    # treated at 0.5; controls at 0.4 (before) and 0.6 (after), both 0.1 away
    res = match(_frame([0, 1, 0], [0.4, 0.5, 0.6]), treatment="d", covariates=[], distance="s")
    assert res.pairs()["control"].tolist() == [0]


def test_exact_ties_in_the_score_resolve_by_row_order():
    # identical scores: the joint order is by row, so row 0 is before the treated row 1 and wins
    res = match(_frame([0, 1, 0], [0.5, 0.5, 0.5]), treatment="d", covariates=[], distance="s")
    assert res.pairs()["control"].tolist() == [0]
    # controls tied before the treated unit: the nearest before in the joint order is the later row
    res = match(_frame([0, 0, 1], [0.4, 0.4, 0.5]), treatment="d", covariates=[], distance="s")
    assert res.pairs()["control"].tolist() == [1]


def test_largest_first_and_smallest_first_give_different_greedy_matches():
    df = _frame([1, 1, 0, 0], [0.9, 0.7, 0.8, 0.1])
    largest = match(df, treatment="d", covariates=[], distance="s").pairs()
    assert dict(zip(largest["treated"], largest["control"], strict=True)) == {0: 2, 1: 3}
    smallest = match(df, treatment="d", covariates=[], distance="s", order="smallest").pairs()
    assert dict(zip(smallest["treated"], smallest["control"], strict=True)) == {1: 2, 0: 3}


def test_one_to_two_without_replacement_is_matched_in_rounds():
    # T1 (0.9) first: round 1 T1 -> 0.84, T2 -> 0.80; round 2 T1 -> 0.70, T2 gets nothing more.
    # (Taking both matches at once would give T1 {0.84, 0.80} and T2 {0.70}.)
    df = _frame([1, 1, 0, 0, 0], [0.9, 0.81, 0.84, 0.80, 0.70])
    res = match(df, treatment="d", covariates=[], distance="s", ratio=2)
    p = res.pairs()
    assert p[p["treated"] == 0]["control"].tolist() == [2, 4]
    assert p[p["treated"] == 1]["control"].tolist() == [3]
    # weights: control of T1 weigh 1/2, of T2 1; rescaled to sum to 3 matched controls
    raw = np.array([0.5, 1.0, 0.5])
    np.testing.assert_allclose(res.weights[[2, 3, 4]], raw * 3 / raw.sum())
    np.testing.assert_array_equal(res.weights[:2], [1.0, 1.0])
    np.testing.assert_array_equal(res.subclass, [1, 2, 1, 2, 1])


def test_weights_with_replacement_sum_over_uses_and_are_rescaled():
    df = _frame([1, 1, 1, 0, 0], [0.50, 0.52, 0.90, 0.51, 0.10])
    res = match(df, treatment="d", covariates=[], distance="s", replace=True)
    # control 3 (0.51) serves both 0.50 and 0.52; control 4 (0.10) is never nearest; 0.90 -> 0.51
    assert res.pairs()["control"].tolist() == [3, 3, 3]
    np.testing.assert_allclose(res.weights, [1, 1, 1, 1, 0])
    assert (res.subclass == -1).all()
    assert res.sample_sizes.loc["matched", "control"] == 1


@pytest.mark.filterwarnings("ignore::iej_impact.errors.OverlapWarning")
def test_caliper_sd_is_pooled_over_all_units_not_discarded():
    rng = np.random.default_rng(1)
    s = rng.uniform(0.05, 0.95, 200)
    df = _frame((rng.random(200) < s).astype(int), s)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OverlapWarning)
        res = match(df, treatment="d", covariates=[], distance="s", caliper=0.1, discard="both")
    kept = ~res.discarded
    assert res.caliper == pytest.approx(0.1 * np.std(s[kept], ddof=1), rel=1e-14)
    raw = match(df, treatment="d", covariates=[], distance="s", caliper=0.3, caliper_scale="raw")
    assert raw.caliper == 0.3
    p = raw.pairs()
    assert (p["distance_difference"] <= 0.3).all()


@pytest.mark.filterwarnings("ignore::iej_impact.errors.OverlapWarning")
def test_discard_rules_use_the_other_arms_range():
    df = _frame([1, 1, 1, 0, 0, 0], [0.05, 0.5, 0.95, 0.2, 0.6, 0.99])
    kw = dict(treatment="d", covariates=[], distance="s")
    np.testing.assert_array_equal(match(df, discard="treated", **kw).discarded, [1, 0, 0, 0, 0, 0])
    np.testing.assert_array_equal(match(df, discard="control", **kw).discarded, [0, 0, 0, 0, 0, 1])
    np.testing.assert_array_equal(match(df, discard="both", **kw).discarded, [1, 0, 0, 0, 0, 1])
    res = match(df, discard="both", **kw)
    assert res.sample_sizes.loc["discarded"].tolist()[:2] == [1, 1]
    assert res.weights[0] == 0 and res.weights[5] == 0


def test_exact_matching_stays_within_cells():
    rng = np.random.default_rng(4)
    n = 300
    df = _frame((rng.random(n) < 0.3).astype(int), rng.random(n), cell=rng.integers(0, 4, n))
    res = match(df, treatment="d", covariates=[], distance="s", exact=["cell"])
    p = res.pairs()
    assert (df["cell"].to_numpy()[p["treated"]] == df["cell"].to_numpy()[p["control"]]).all()


def test_atc_is_att_with_the_arms_swapped():
    rng = np.random.default_rng(5)
    n = 200
    s = rng.random(n)
    df = _frame((rng.random(n) < 0.6).astype(int), s)
    atc = match(df, treatment="d", covariates=[], distance="s", estimand="ATC", order="largest")
    flipped = df.assign(d=1 - df["d"])
    att = match(flipped, treatment="d", covariates=[], distance="s", order="largest")
    np.testing.assert_allclose(atc.weights, att.weights)
    pa, pb = atc.pairs(), att.pairs()
    assert sorted(zip(pa["control"], pa["treated"], strict=True)) == sorted(zip(pb["treated"], pb["control"], strict=True))
    # MatchIt's default order for the ATC is "smallest"
    assert match(df, treatment="d", covariates=[], distance="s", estimand="ATC").spec["order"] == "smallest"


def test_random_order_is_reproducible_with_random_state():
    rng = np.random.default_rng(6)
    df = _frame((rng.random(400) < 0.4).astype(int), np.round(rng.random(400), 2))
    a = match(df, treatment="d", covariates=[], distance="s", order="random", random_state=11)
    b = match(df, treatment="d", covariates=[], distance="s", order="random", random_state=11)
    np.testing.assert_array_equal(a.match_matrix, b.match_matrix)


# ---------------------------------------------------------------------------------------------
# subclassification, radius, kernel, Mahalanobis
# ---------------------------------------------------------------------------------------------
def test_subclass_weights_and_scoot():
    # 3 subclasses on treated quantiles; no control falls in the top subclass, so one is borrowed
    df = _frame([1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0], [0.1, 0.2, 0.5, 0.6, 0.8, 0.9, 0.05, 0.15, 0.3, 0.55, 0.6])
    res = match(df, treatment="d", covariates=[], distance="s", method="subclass", subclasses=3)
    sub = res.subclass
    # treated quantiles (type 7) at 0, 1/3, 2/3, 1: 0.1, 0.4333, 0.7333, 0.9
    np.testing.assert_array_equal(sub[:6], [1, 1, 2, 2, 3, 3])
    # controls: 0.05, 0.15, 0.3 -> 1; 0.55, 0.6 -> 2; subclass 3 empty -> borrows the largest of 2 (0.6)
    np.testing.assert_array_equal(sub[6:], [1, 1, 1, 2, 3])
    w = res.weights
    raw = np.array([2 / 3, 2 / 3, 2 / 3, 2 / 1, 2 / 1])
    np.testing.assert_allclose(w[6:], raw * 5 / raw.sum())
    assert (w[:6] == 1).all()


def test_subclass_ate_weights():
    rng = np.random.default_rng(8)
    s = rng.random(300)
    df = _frame((rng.random(300) < s).astype(int), s)
    res = match(df, treatment="d", covariates=[], distance="s", method="subclass", subclasses=4, estimand="ATE")
    t = res.treated
    sub = res.subclass
    n1 = np.bincount(sub[t] - 1, minlength=4).astype(float)
    n0 = np.bincount(sub[~t] - 1, minlength=4).astype(float)
    w1 = ((n1 + n0) / n1)[sub[t] - 1]
    w0 = ((n1 + n0) / n0)[sub[~t] - 1]
    np.testing.assert_allclose(res.weights[t], w1 * t.sum() / w1.sum(), rtol=1e-12)
    np.testing.assert_allclose(res.weights[~t], w0 * (~t).sum() / w0.sum(), rtol=1e-12)


def test_radius_weights_equal_brute_force():
    rng = np.random.default_rng(9)
    n = 150
    s = rng.random(n)
    df = _frame((rng.random(n) < 0.3).astype(int), s)
    res = match(df, treatment="d", covariates=[], distance="s", method="radius", caliper=0.05, caliper_scale="raw")
    t = df["d"].to_numpy() == 1
    raw = np.zeros(n)
    for i in np.flatnonzero(t):
        near = np.flatnonzero(~t & (np.abs(s - s[i]) <= 0.05))
        if near.size:
            raw[i] = 1
            raw[near] += 1 / near.size
    c = ~t & (raw > 0)
    raw[c] *= c.sum() / raw[c].sum()
    np.testing.assert_allclose(res.weights, raw, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("kernel", ["epanechnikov", "gaussian"])
def test_kernel_weights_equal_dense_computation(kernel):
    rng = np.random.default_rng(10)
    n = 160
    s = rng.random(n)
    df = _frame((rng.random(n) < 0.3).astype(int), s)
    h = 0.08
    res = match(df, treatment="d", covariates=[], distance="s", method="kernel", kernel=kernel,
                bandwidth=h, caliper_scale="raw")
    t = df["d"].to_numpy() == 1
    u = (s[None, ~t] - s[t, None]) / h
    k = np.where(np.abs(u) <= 1, 0.75 * (1 - u**2), 0.0) if kernel == "epanechnikov" else np.exp(-0.5 * u**2)
    tot = k.sum(axis=1)
    raw = np.zeros(n)
    raw[np.flatnonzero(t)[tot > 0]] = 1
    raw[~t] = (k[tot > 0] / tot[tot > 0, None]).sum(axis=0)
    c = ~t & (raw > 0)
    raw[c] *= c.sum() / raw[c].sum()
    np.testing.assert_allclose(res.weights, raw, rtol=1e-10, atol=1e-13)
    assert res.bandwidth == h


def test_mahalanobis_picks_the_smallest_pooled_mahalanobis_distance_within_caliper():
    rng = np.random.default_rng(12)
    n = 120
    x = rng.normal(size=(n, 2))
    ps = 1 / (1 + np.exp(-x[:, 0]))
    df = pd.DataFrame({"d": (rng.random(n) < 0.3).astype(int), "x1": x[:, 0], "x2": x[:, 1], "ps": ps})
    res = match(df, treatment="d", covariates=[], score="ps", distance="mahalanobis", mahalanobis=["x1", "x2"],
                caliper=0.5, order="data")
    t = df["d"].to_numpy() == 1
    centred = x.copy()
    for arm in (True, False):
        centred[t == arm] -= x[t == arm].mean(axis=0)
    vinv = np.linalg.inv(centred.T @ centred / (n - 2))
    lg = np.log(ps / (1 - ps))
    cal = 0.5 * np.std(lg, ddof=1)
    avail = ~t
    for i in np.flatnonzero(t):  # order="data"
        cand = np.flatnonzero(avail & (np.abs(lg - lg[i]) <= cal))
        row = res.match_matrix[np.flatnonzero(t).tolist().index(i), 0]
        if cand.size == 0:
            assert row == -1
            continue
        diff = x[cand] - x[i]
        dist = np.einsum("ij,jk,ik->i", diff, vinv, diff)
        best = cand[np.argmin(dist)]
        assert row == best
        avail[best] = False


# ---------------------------------------------------------------------------------------------
# result object
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def small() -> pd.DataFrame:
    rng = np.random.default_rng(13)
    n = 300
    x = rng.normal(size=n)
    ps = 1 / (1 + np.exp(-(x - 0.8)))
    d = (rng.random(n) < ps).astype(int)
    return pd.DataFrame({"person_id": [f"P{i}" for i in range(n)], "d": d, "x": x, "ps": ps,
                         "y": 1.0 + x + 2.0 * d + rng.normal(size=n)})


def test_matched_data_pairs_summary_and_dict(small):
    res = match(small, treatment="d", covariates=[], distance="ps")
    assert isinstance(res, MatchResult)
    md = res.matched_data()
    assert {"distance", "weights", "subclass"} <= set(md.columns)
    assert len(md) == int((res.weights > 0).sum())
    assert md["subclass"].dtype == "Int64"
    assert md.groupby("subclass")["d"].agg(["sum", "count"]).eq([1, 2]).all().all()
    text = res.summary().as_text()
    assert "Sample sizes" in text and "matched" in text
    json.dumps(res.to_dict())
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.weights = None  # frozen


def test_pairs_is_refused_for_kernel_matching(small):
    res = match(small, treatment="d", covariates=[], distance="ps", method="kernel")
    with pytest.raises(SpecificationError, match="pairs"):
        res.pairs()


def test_every_allowed_method_has_a_matcher():
    assert set(MATCHERS) == set(METHODS)


def test_spec_records_every_argument_in_signature_order(small):
    res = match(small.assign(cell=small["x"] > 0), treatment="d", covariates=["x"], method="kernel", exact="cell")
    assert list(res.spec) == [
        "treatment", "covariates", "estimand", "ps_model", "method", "distance", "ratio", "replace", "caliper",
        "caliper_scale", "order", "exact", "discard", "subclasses", "mahalanobis", "kernel", "bandwidth", "score",
        "random_state", "ties", "weights",
    ]
    assert res.spec["covariates"] == ["x"] and res.spec["exact"] == ["cell"]
    assert res.spec["order"] == "largest" and res.spec["kernel"] == "epanechnikov" and res.spec["subclasses"] is None
    json.dumps(res.spec)


@pytest.mark.parametrize(
    ("kwargs", "category"),
    [
        ({"covariates": [], "distance": "tied"}, TieWarning),  # nearest neighbour, ties broken by row order
        ({"covariates": [], "distance": "ps", "caliper": 0.01}, OverlapWarning),  # focal units left unmatched
        ({"covariates": [], "distance": "ps", "caliper": 0.01, "estimand": "ATE", "replace": True}, OverlapWarning),
        ({"covariates": [], "distance": "tied", "method": "subclass", "subclasses": 6}, OverlapWarning),
    ],
)
def test_warnings_point_at_the_caller_of_match(small, kwargs, category):
    tied = small.assign(tied=np.round(small["ps"], 1))
    with pytest.warns(category) as record:
        match(tied, treatment="d", **kwargs)
    assert {w.filename for w in record if issubclass(w.category, category)} == {__file__}


@pytest.mark.filterwarnings("ignore::iej_impact.errors.OverlapWarning")
def test_row_order_and_labels_do_not_change_results(small):
    base = match(small, treatment="d", covariates=[], distance="ps", caliper=0.25)
    perm = np.random.default_rng(0).permutation(len(small))
    shuffled = small.iloc[perm].set_index(pd.Index([f"r{i}" for i in range(len(small))]))
    res = match(shuffled, treatment="d", covariates=[], distance="ps", caliper=0.25)

    def sets(r, frame):
        p = r.pairs()
        ids = frame["person_id"]
        return sorted(zip(ids.loc[p["treated"]], ids.loc[p["control"]], strict=True))

    assert sets(base, small) == sets(res, shuffled)
    np.testing.assert_allclose(np.sort(base.weights), np.sort(res.weights))


def test_outcome_shift_changes_nothing_and_input_is_not_mutated(small):
    before = small.copy(deep=True)
    a = psm(small, outcome="y", treatment="d", covariates=[], distance="ps", replace=True)
    b = psm(small.assign(y=small["y"] + 1000.0), outcome="y", treatment="d", covariates=[], distance="ps",
            replace=True)
    assert a.estimate == pytest.approx(b.estimate, abs=1e-9)
    assert a.std_error == pytest.approx(b.std_error, rel=1e-9)
    pd.testing.assert_frame_equal(small, before)


def test_abadie_imbens_se_equals_the_formula_for_one_to_one_with_replacement(small):
    res = psm(small, outcome="y", treatment="d", covariates=[], distance="ps", replace=True)
    m = res.diagnostics["matching"]
    y = small["y"].to_numpy()
    s = small["ps"].to_numpy()
    t = m.treated
    match_of = m.match_matrix[:, 0]
    tau_i = y[t] - y[match_of]
    tau = tau_i.mean()
    assert res.estimate == pytest.approx(tau)
    km = np.bincount(match_of, minlength=len(y)).astype(float)
    # sigma^2 of each control from its 2 nearest controls on the score
    ctrl = np.flatnonzero(~t)
    sig = np.zeros(len(y))
    for j in ctrl:
        others = ctrl[ctrl != j]
        nb = others[np.argsort(np.abs(s[others] - s[j]), kind="stable")[:2]]
        sig[j] = 2 / 3 * (y[j] - y[nb].mean()) ** 2
    v = (np.sum((tau_i - tau) ** 2) + np.sum(km * (km - 1) * sig)) / t.sum() ** 2
    assert res.std_error == pytest.approx(np.sqrt(v), rel=1e-10)
    assert res.inference.name == "abadie_imbens"


def test_psm_default_inference_by_method(small):
    nn = psm(small, outcome="y", treatment="d", covariates=[], distance="ps")
    assert nn.inference.name == "abadie_imbens"
    sub = psm(small, outcome="y", treatment="d", covariates=[], distance="ps", method="subclass")
    assert sub.inference.name == "pair_cluster"
    ker = psm(small, outcome="y", treatment="d", covariates=[], distance="ps", method="kernel")
    assert ker.inference.name == "robust"
    with pytest.raises(SpecificationError, match="pair_cluster"):
        psm(small, outcome="y", treatment="d", covariates=[], distance="ps", method="kernel", se="pair_cluster")
    with pytest.raises(SpecificationError):
        psm(small, outcome="y", treatment="d", covariates=[], distance="ps", replace=True, se="pair_cluster")


# ---------------------------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------------------------
def test_one_arm_only_is_a_data_error(small):
    with pytest.raises(DataError, match="no variation"):
        match(small.assign(d=1), treatment="d", covariates=[], distance="ps")


def test_missing_covariate_names_the_count_and_rows(small):
    bad = small.copy()
    bad.loc[[3, 7], "x"] = np.nan
    with pytest.raises(DataError, match=r"covariate 'x' has missing values in 2 rows \(e.g. person_id P3, P7\)"):
        match(bad, treatment="d", covariates=["x"])


def test_caliper_leaving_no_match_is_an_estimation_error_and_partial_loss_warns(small):
    far = small.assign(ps=np.where(small["d"] == 1, 0.9, 0.1))
    with pytest.raises(EstimationError, match="no treated unit found a control match within caliper"):
        match(far, treatment="d", covariates=[], distance="ps", caliper=0.1, caliper_scale="raw")
    with pytest.warns(OverlapWarning, match=r"of \d+ treated units have no control match within caliper"):
        match(small, treatment="d", covariates=[], distance="ps", caliper=0.01)


def test_empty_common_support_is_an_estimation_error(small):
    far = small.assign(ps=np.where(small["d"] == 1, 0.9, 0.1) + small["x"] * 1e-3)
    with pytest.raises(EstimationError, match="common support"):
        match(far, treatment="d", covariates=[], distance="ps", discard="both")


def test_bad_options_name_the_allowed_values(small):
    kw = dict(treatment="d", covariates=[], distance="ps")
    with pytest.raises(SpecificationError, match="'method' parameter of match\\(\\) must be one of"):
        match(small, method="optimal", **kw)
    with pytest.raises(SpecificationError, match="ATE"):
        match(small, estimand="ATE", **kw)
    with pytest.raises(SpecificationError, match="radius"):
        match(small, method="radius", **kw)
    with pytest.raises(SpecificationError, match="order"):
        match(small, order="biggest", **kw)
    with pytest.raises(SpecificationError, match="ratio"):
        match(small, ratio=0, **kw)
    with pytest.raises(DataError, match="not found"):
        match(small, treatment="d", covariates=[], distance="pscore")
    with pytest.raises(DataError, match="strictly between 0 and 1"):
        match(small.assign(ps=small["ps"] * 2), treatment="d", covariates=[], score="ps", distance="logit")


@pytest.mark.slow
def test_monte_carlo_abadie_imbens_coverage_with_replacement():
    """Known design: heterogeneous effect tau(x) = 1 + x/2, logit selection on x, outcome nonlinear in x.
    1:1 matching with replacement on the true score: bias small relative to the SE and 95% CI
    coverage of the Abadie-Imbens SE within 0.92-0.98 (500 replications of n = 1,000)."""
    rng = np.random.default_rng(2024)
    big = np.random.default_rng(1).normal(size=2_000_000)
    p_big = 1 / (1 + np.exp(-(-1.0 + 0.8 * big)))
    att = 1 + 0.5 * np.sum(p_big * big) / np.sum(p_big)  # population ATT = 1 + E[x | D = 1] / 2
    reps, n = 500, 1000
    est = np.empty(reps)
    ses = np.empty(reps)
    for r in range(reps):
        x = rng.normal(size=n)
        ps = 1 / (1 + np.exp(-(-1.0 + 0.8 * x)))
        d = (rng.random(n) < ps).astype(int)
        y = x + 0.5 * x**2 + d * (1.0 + 0.5 * x) + rng.normal(size=n)
        res = psm(pd.DataFrame({"d": d, "ps": ps, "y": y}), outcome="y", treatment="d", covariates=[],
                  distance="ps", replace=True)
        est[r], ses[r] = res.estimate, res.std_error
    bias = est.mean() - att
    assert abs(bias) < 0.25 * ses.mean()
    coverage = np.mean(np.abs(est - att) <= 1.959964 * ses)
    assert 0.92 <= coverage <= 0.98
    # the SE tracks the Monte Carlo spread of the estimates
    assert 0.85 < ses.mean() / est.std() < 1.15


def test_user_clustered_se_equals_pair_cluster_when_clusters_are_the_pairs(small):
    res = match(small, treatment="d", covariates=[], distance="ps")
    pairs = res.estimate("y", se="pair_cluster")
    frame = small.assign(pair=res.subclass)
    again = match(frame, treatment="d", covariates=[], distance="ps").estimate("y", se={"type": "clustered", "by": "pair"})
    assert again.std_error == pytest.approx(pairs.std_error, rel=1e-12)
    assert again.inference.name == "clustered"
    with pytest.raises(SpecificationError, match="bootstrap"):
        res.estimate("y", se={"type": "bootstrap", "reps": 10})


def test_row_order_tie_breaking_with_replacement_warns_with_the_count():
    """A discrete score: every treated unit has several controls at the same distance. With
    ties=False the pick is by row order (MatchIt's rule), which the TieWarning says, with the count;
    ties=True uses every tied control and gives the same estimate whatever the row order."""
    from iej_impact.errors import TieWarning

    rng = np.random.default_rng(5)
    n = 600
    g = rng.integers(0, 4, size=n)
    d = (rng.random(n) < 0.2 + 0.1 * g).astype(int)
    y = g + d + rng.normal(size=n)
    df = pd.DataFrame({"g": g.astype(float), "d": d, "y": y, "ps": 0.2 + 0.1 * g})
    with pytest.warns(TieWarning, match=rf"{int(d.sum())} of {int(d.sum())} matched units \(100.0%\)"):
        psm(df, outcome="y", treatment="d", covariates=[], distance="ps", replace=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", TieWarning)
        a = psm(df, outcome="y", treatment="d", covariates=[], distance="ps", replace=True, ties=True)
        b = psm(df.iloc[::-1], outcome="y", treatment="d", covariates=[], distance="ps", replace=True, ties=True)
    assert a.estimate == pytest.approx(b.estimate, rel=1e-12)
    # a continuous score has no ties: no warning
    df["ps"] = 0.2 + 0.1 * g + rng.uniform(0, 0.01, size=n)
    with warnings.catch_warnings():
        warnings.simplefilter("error", TieWarning)
        psm(df, outcome="y", treatment="d", covariates=[], distance="ps", replace=True)
