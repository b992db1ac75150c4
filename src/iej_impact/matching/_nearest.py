"""Greedy nearest-neighbour search on a one-dimensional distance, with MatchIt's conventions.

This private module holds the search only; :mod:`iej_impact.matching._match` validates input, builds the
distance and turns the match matrix into weights, subclasses and tables.

Conventions (MatchIt >= 4.5.4, ``method = "nearest"``, numeric distance; stated here once):

* All units of a stratum, focal (treated for the ATT) and non-focal (controls), are put in one
  order by (distance, data row). A focal unit's candidates are the nearest *available* control
  before it and the nearest available control after it in that joint order; the nearer one is
  taken, the one before at equal distance. Exact ties in the distance are therefore resolved by
  data row.
* Without replacement, focal units are matched one at a time in the given ``order`` (MatchIt's
  ``m.order``), a taken control becomes unavailable, and 1:k matching proceeds in rounds: every
  focal unit gets its 1st match, then every focal unit that got one tries for a 2nd, and so on.
* With replacement every control stays available; the k matches of a focal unit are its k
  nearest controls, found by repeating the rule above with the controls it already has excluded.
* A caliper is a bound on |distance difference| (``<=`` keeps a control). A focal unit whose
  nearest available control lies outside it gets no (further) match.

Complexity: sorting is O(n log n). With replacement the search is a vectorised ``searchsorted``.
Without replacement the greedy pass is sequential by nature; each focal unit first tries the
neighbour computed in one vectorised pass for the whole round (still the right answer whenever
that control has not been taken in the meantime, because removing other controls can only push
the competing candidate further away) and otherwise falls back to a union-find ("next available")
search over the sorted controls, which is amortised near O(1). The pass costs O(n log n) in all.

Reference: Ho, Imai, King & Stuart (2011), "MatchIt: Nonparametric Preprocessing for Parametric
Causal Inference", Journal of Statistical Software 42(8); MatchIt documentation, ``method_nearest``.
"""

from __future__ import annotations

import heapq

import numpy as np

from .._progress import LARGE, progress

__all__ = ["nearest_match", "focal_order", "stable_argsort"]

NO_MATCH = -1


def focal_order(distance: np.ndarray, kind: str, rng: np.random.Generator | None = None) -> np.ndarray:
    """Positions (0..n_focal-1) of the focal units in the order they are matched.

    ``largest``/``smallest``: by decreasing/increasing distance, ties in data order (a stable sort,
    like R's ``order``); ``data``: data order; ``random``: a permutation drawn from ``rng``.
    """
    n = distance.shape[0]
    if kind == "largest":
        return stable_argsort(-distance)
    if kind == "smallest":
        return stable_argsort(distance)
    if kind == "random":
        if rng is None:
            rng = np.random.default_rng()
        return rng.permutation(n)
    return np.arange(n)


def stable_argsort(x: np.ndarray) -> np.ndarray:
    """``np.argsort(x, kind="stable")`` (ties in index order), faster for float data with few ties.

    An unstable quicksort is followed by re-sorting, by index, the (usually rare) runs of equal
    values.
    """
    perm = np.argsort(x)
    s = x[perm]
    eq = s[1:] == s[:-1]
    if eq.any():
        in_tie = np.zeros(x.shape[0], dtype=bool)
        in_tie[1:] |= eq
        in_tie[:-1] |= eq
        at = np.flatnonzero(in_tie)
        group = np.cumsum(np.concatenate([[True], ~eq]))[at]
        sub = perm[at]
        perm[at] = sub[np.lexsort((sub, group))]
    return perm


def nearest_match(
    distance: np.ndarray,
    focal: np.ndarray,
    *,
    eligible: np.ndarray | None = None,
    order: np.ndarray | None = None,
    ratio: int = 1,
    replace: bool = False,
    caliper: float | None = None,
    strata: np.ndarray | None = None,
    joint_order: np.ndarray | None = None,
) -> np.ndarray:
    """Match every focal unit to up to ``ratio`` non-focal units on a 1-D distance.

    Parameters
    ----------
    distance : (n,) float array, finite.
    focal : (n,) bool array, True for the units being matched (treated for the ATT).
    eligible : (n,) bool array; False units (discarded) are neither matched nor used as matches.
    order : positions 0..n_focal-1 of the focal units (in data order) giving the order in which
        they are matched without replacement; default data order.
    ratio : number of matches per focal unit (k in 1:k).
    replace : whether a control may be matched to several focal units.
    caliper : largest allowed |distance difference| (raw units), or None for no caliper.
    strata : (n,) integer codes; matches are made within strata only (exact matching).
    joint_order : without strata, ``stable_argsort(distance)`` when the caller has it already.

    Returns
    -------
    (n_focal, ratio) int64 array: row i holds the data rows of the controls matched to the i-th
    focal unit (focal units in data order), in the order they were matched; -1 where there is none.
    """
    distance = np.asarray(distance, dtype=float)
    focal = np.asarray(focal, dtype=bool)
    n = distance.shape[0]
    eligible = np.ones(n, dtype=bool) if eligible is None else np.asarray(eligible, dtype=bool)
    focal_rows = np.flatnonzero(focal)
    n_focal = focal_rows.shape[0]
    if order is None:
        order = np.arange(n_focal)
    # rank of each focal unit in the matching order (by its position among focal units)
    rank = np.empty(n_focal, dtype=np.int64)
    rank[np.asarray(order, dtype=np.int64)] = np.arange(n_focal)
    cal = np.inf if caliper is None else float(caliper)
    if strata is None:
        if n_focal == 0 or n_focal == n:
            return np.full((n_focal, ratio), NO_MATCH, dtype=np.int64)
        return _match_block(distance, focal, eligible, rank, ratio, replace, cal, joint_order)

    out = np.full((n_focal, ratio), NO_MATCH, dtype=np.int64)
    codes = np.asarray(strata)
    srt = np.argsort(codes, kind="stable")
    cuts = np.flatnonzero(np.diff(codes[srt])) + 1
    groups = np.split(srt, cuts)
    focal_pos = np.full(n, -1, dtype=np.int64)
    focal_pos[focal_rows] = np.arange(n_focal)
    # one tick per stratum (exact matching on many cells of a large sample is the long case)
    shown = None if len(groups) > 1 and n >= LARGE else False
    for rows in progress(groups, desc="nearest-neighbour matching: strata", unit="stratum",
                         enabled=shown):  # rows are in data order within each stratum
        f = focal[rows]
        if not f.any() or f.all():
            continue
        res = _match_block(distance[rows], f, eligible[rows], rank[focal_pos[rows[f]]], ratio, replace, cal)
        # res: (n_focal_in_block, ratio) local row indices or -1
        glob = np.where(res >= 0, rows[np.maximum(res, 0)], NO_MATCH)
        out[focal_pos[rows[f]]] = glob
    return out


def _match_block(
    d: np.ndarray, f: np.ndarray, elig: np.ndarray, rank: np.ndarray, ratio: int, replace: bool, cal: float,
    perm: np.ndarray | None = None,
) -> np.ndarray:
    """Match within one stratum. ``rank``: matching rank of each focal unit (focal in row order);
    ``perm``: the joint order by (distance, row), when known."""
    if perm is None:
        perm = stable_argsort(d)
    fperm = f[perm]
    cmask = ~fperm if elig.all() else ~fperm & elig[perm]
    ctrl = perm[cmask]  # available controls in joint order (local rows)
    frows = np.flatnonzero(f)
    out = np.full((frows.shape[0], ratio), NO_MATCH, dtype=np.int64)
    if ctrl.shape[0] == 0:
        return out
    cd = d[ctrl]
    # j = number of available controls before each focal unit in the joint order (focal in row order)
    before = np.cumsum(cmask)
    fpos = np.flatnonzero(fperm)
    focal_index = np.cumsum(f) - 1  # position of each focal row among focal rows
    j = np.empty(frows.shape[0], dtype=np.int64)
    j[focal_index[perm[fpos]]] = before[fpos]
    active = elig[frows]
    if replace:
        local = _k_nearest(d[frows], cd, j, ratio, cal)
        local[~active] = NO_MATCH
        return np.where(local >= 0, ctrl[np.maximum(local, 0)], NO_MATCH)
    local = _greedy_without_replacement(d[frows], cd, j, active, rank, ratio, cal)
    return np.where(local >= 0, ctrl[np.maximum(local, 0)], NO_MATCH)


def _k_nearest(df: np.ndarray, cd: np.ndarray, j: np.ndarray, k: int, cal: float) -> np.ndarray:
    """With replacement: the k nearest controls of each focal unit, as indices into ``cd``.

    Candidates are the k controls before (j-1, j-2, ...) and the k after (j, j+1, ...); they are
    ranked by distance, then before-before-after, then nearness in the joint order, which is the
    1-NN rule applied k times.
    """
    m = cd.shape[0]
    nf = df.shape[0]
    if k == 1:
        b = j - 1
        a = j
        db = np.where(b >= 0, df - cd[np.maximum(b, 0)], np.inf)
        da = np.where(a < m, cd[np.minimum(a, m - 1)] - df, np.inf)
        db = np.abs(db)
        da = np.abs(da)
        take_b = db <= da
        best = np.where(take_b, b, a)
        bd = np.where(take_b, db, da)
        return np.where(np.isfinite(bd) & (bd <= cal), best, NO_MATCH)[:, None]
    offs = np.arange(1, k + 1)
    cand = np.concatenate([j[:, None] - offs[None, :], j[:, None] + offs[None, :] - 1], axis=1)  # (nf, 2k)
    valid = (cand >= 0) & (cand < m)
    cdist = np.where(valid, np.abs(cd[np.clip(cand, 0, m - 1)] - df[:, None]), np.inf)
    side = np.concatenate([np.zeros(k, dtype=np.int64), np.ones(k, dtype=np.int64)])
    near = np.concatenate([offs, offs])
    # sort each row by (distance, side, nearness); lexsort's last key is primary
    row_id = np.repeat(np.arange(nf), 2 * k)
    key = np.lexsort((np.tile(near, nf), np.tile(side, nf), cdist.ravel(), row_id)).reshape(nf, 2 * k)
    key = key - (np.arange(nf) * 2 * k)[:, None]
    chosen = np.take_along_axis(cand, key[:, :k], axis=1)
    chosen_d = np.take_along_axis(cdist, key[:, :k], axis=1)
    return np.where(np.isfinite(chosen_d) & (chosen_d <= cal), chosen, NO_MATCH)


def _greedy_without_replacement(
    df: np.ndarray,
    cd: np.ndarray,
    j: np.ndarray,
    active: np.ndarray,
    rank: np.ndarray,
    ratio: int,
    cal: float,
) -> np.ndarray:
    """Sequential greedy matching without replacement, in rounds; indices into ``cd``.

    Each round: (1) one vectorised pass gives every focal unit its nearest available control
    ``pre`` at the start of the round; (2) the first unit in matching order to want a control is
    its "claimant" and, unless a unit before it takes that control first, gets it; (3) the other
    units ("losers", plus claimants whose control was taken) are handled one at a time, in
    matching order, by a union-find search over the controls still available at their turn.
    The result is exactly the sequential greedy algorithm.
    """
    m = cd.shape[0]
    nf = df.shape[0]
    out = np.full((nf, ratio), NO_MATCH, dtype=np.int64)
    # union-find over sorted controls: nxt[i] -> next available at or after i (sentinel m);
    # prv is shifted by one: prv[i] -> (index + 1) of the last available at or before i - 1 (0 = none)
    nxt = np.arange(m + 1, dtype=np.int64)
    prv = np.arange(m + 1, dtype=np.int64)
    available = np.ones(m, dtype=bool)
    go = active.copy()
    for r in range(ratio):
        todo = np.flatnonzero(go)
        if todo.shape[0] == 0 or not available.any():
            break
        todo = todo[np.argsort(rank[todo], kind="stable")]
        if r == 0:  # every control is available: the neighbours are at j - 1 and j
            av_idx = np.arange(m)
            kk = j[todo]
        else:
            av_idx = np.flatnonzero(available)
            kk = np.searchsorted(av_idx, j[todo])
        has_b = kk > 0
        has_a = kk < av_idx.shape[0]
        b = np.where(has_b, av_idx[np.maximum(kk - 1, 0)], -1)
        a = np.where(has_a, av_idx[np.minimum(kk, av_idx.shape[0] - 1)], -1)
        dt = df[todo]
        db = np.where(has_b, np.abs(dt - cd[np.maximum(b, 0)]), np.inf)
        da = np.where(has_a, np.abs(cd[np.maximum(a, 0)] - dt), np.inf)
        take_b = db <= da
        pre = np.where(take_b, b, a)
        # units whose nearest control is outside the caliper never get a match this round (any
        # other control available later is at least as far); they claim nothing
        can = np.where(take_b, db, da) <= cal
        idx_can = np.flatnonzero(can)
        # claimant of each control: the first unit (smallest position in matching order) wanting it
        claim = np.full(m, todo.shape[0], dtype=np.int64)  # position of the claimant, or "never"
        np.minimum.at(claim, pre[idx_can], idx_can)
        winner = np.zeros(todo.shape[0], dtype=bool)
        winner[idx_can] = claim[pre[idx_can]] == idx_can
        losers = np.flatnonzero(can & ~winner)
        pick = np.where(winner, pre, NO_MATCH)
        if losers.shape[0]:
            _resolve_losers(losers.tolist(), pick, claim, dt, j[todo], cd, nxt, prv, cal)
        got = pick >= 0
        chosen = pick[got]
        available[chosen] = False
        nxt[chosen] = chosen + 1  # keep the union-find in step for later rounds
        prv[chosen + 1] = chosen
        out[todo[got], r] = chosen
        go = np.zeros(nf, dtype=bool)
        go[todo[got]] = True
    return out


def _resolve_losers(
    losers: list[int],
    pick: np.ndarray,
    claim: np.ndarray,
    dt: np.ndarray,
    jt: np.ndarray,
    cd: np.ndarray,
    nxt: np.ndarray,
    prv: np.ndarray,
    cal: float,
) -> None:
    """Match, in matching order, the units that cannot simply take their precomputed control.

    A claimant's control is removed from the union-find lazily, when a later unit's search
    meets it. A loser that takes a later claimant's control turns that claimant into a loser.
    ``pick``, ``claim``, ``nxt`` and ``prv`` are updated in place. Element access goes through
    memoryviews (Python scalars, no numpy scalar overhead).
    """
    m = cd.shape[0]
    pk = memoryview(pick)
    cl = memoryview(claim)
    dv = memoryview(np.ascontiguousarray(dt))
    jv = memoryview(np.ascontiguousarray(jt))
    cv = memoryview(cd)
    nx = memoryview(nxt)
    pv = memoryview(prv)
    never = len(pk)
    heap = losers  # already sorted: a valid heap
    while heap:
        u = heapq.heappop(heap)
        d0 = dv[u]
        # nearest available before: shifted index x means control x - 1
        x = jv[u]
        while True:
            while pv[x] != x:
                pv[x] = pv[pv[x]]
                x = pv[x]
            if x > 0 and cl[x - 1] < u:  # taken by an earlier claimant: remove now
                c = x - 1
                nx[c] = c + 1
                pv[x] = c
                continue
            break
        bb = x - 1
        y = jv[u]
        while True:
            while y < m and nx[y] != y:
                nx[y] = nx[nx[y]]
                y = nx[y]
            if y < m and cl[y] < u:
                nx[y] = y + 1
                pv[y + 1] = y
                continue
            break
        if bb >= 0:
            c = bb
            dc = abs(d0 - cv[bb])
            if y < m and abs(cv[y] - d0) < dc:
                c = y
                dc = abs(cv[y] - d0)
        elif y < m:
            c = y
            dc = abs(cv[y] - d0)
        else:
            continue
        if dc > cal:
            continue
        pk[u] = c
        nx[c] = c + 1
        pv[c + 1] = c
        w = cl[c]
        cl[c] = -1
        if u < w < never:
            # a later claimant loses its control: it becomes a loser
            pk[w] = NO_MATCH
            heapq.heappush(heap, w)
