"""The four matching methods: each turns a :class:`~iej_impact.matching._distance.MatchingProblem`
into a :class:`Matching` (weights, subclasses, match matrix or matched sets); :data:`MATCHERS`
names them.

``nearest`` searches with :mod:`iej_impact.matching._nearest` (on the 1-D distance) or
:mod:`iej_impact.matching._mahalanobis`, and keeps matched sets of varying size
(:mod:`iej_impact.matching._sets`) with ``ties=True`` or for the ATE; with ``ties=False`` a
:class:`~iej_impact.errors.TieWarning` says when the row order chose between units at the same
distance. ``subclass`` cuts the score at quantiles and scoots units so that every subclass holds
both arms; ``radius`` and ``kernel`` are their weights (:mod:`iej_impact.matching._weights`), the
kernel's bandwidth by Silverman's rule unless given. The conventions (MatchIt's) are stated in
:mod:`iej_impact.matching._match`; each method appends its own to the result's notes.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._validation import describe_rows, user_stacklevel
from ..errors import EstimationError, OverlapWarning, TieWarning
from ._arguments import MatchSpec
from ._distance import MatchingProblem
from ._mahalanobis import mahalanobis_match, mahalanobis_sets, mahalanobis_space
from ._nearest import focal_order, nearest_match, stable_argsort
from ._sets import MatchSets, RangeSets, knn_ranges, sets_from_matrix
from ._weights import kernel_weights, radius_weights, subclass_weights, weights_from_matrix, weights_from_sets

__all__ = ["MATCHERS", "Matching"]


@dataclass(frozen=True)
class Matching:
    """What a matching method produced; arrays (n,) in data order.

    Attributes
    ----------
    weights : matching weights (0 = not in the matched sample).
    subclass : pair / subclass id (1, 2, ...), -1 where none.
    match_matrix : (n_focal, ratio) matches of each focal unit, nearest-neighbour matching without
        matched sets of varying size only, else None.
    match_sets : nearest-neighbour matching: the matched sets by arm of the units matched, else None.
    bandwidth : the kernel bandwidth in distance units (kernel matching), else None.
    distance_order : the rows in (distance, row) order, when the matching sorted them all at once
        (one-to-k nearest-neighbour matching on a distance, without exact strata), else None.
    """

    weights: np.ndarray
    subclass: np.ndarray
    match_matrix: np.ndarray | None = None
    match_sets: dict[str, MatchSets] | None = None
    bandwidth: float | None = None
    distance_order: np.ndarray | None = None


def nearest(data: pd.DataFrame, spec: MatchSpec, problem: MatchingProblem, notes: list[str]) -> Matching:
    """Nearest-neighbour matching, 1:``ratio``, on the distance or in the Mahalanobis metric."""
    dist, focal, eligible, strata = problem.distance, problem.focal, problem.eligible, problem.strata
    n = dist.shape[0]
    subclass = np.full(n, -1, dtype=np.int64)
    match_matrix = None
    joint = None
    ford = focal_order(dist[focal], spec.order, np.random.default_rng(spec.random_state))
    z = _mahalanobis_coordinates(data, spec, problem, notes) if spec.distance == "mahalanobis" else None
    if spec.estimand == "ATE" or spec.ties:
        match_sets = _replacement_sets(problem, z, spec.ratio, spec.estimand, spec.ties)
        weights = weights_from_sets(match_sets, problem.treated, spec.estimand)
    else:
        if z is not None:
            match_matrix = mahalanobis_match(
                z, dist, focal, eligible, ford, spec.ratio, spec.replace, problem.caliper, strata
            )
        else:
            joint = stable_argsort(dist) if strata is None else None  # shared with the SE and tie checks
            match_matrix = nearest_match(
                dist, focal, eligible=eligible, order=ford, ratio=spec.ratio, replace=spec.replace,
                caliper=problem.caliper, strata=strata, joint_order=joint,
            )
        weights = weights_from_matrix(match_matrix, focal, n)
        if z is None:
            _warn_broken_ties(data, dist, focal, eligible, strata, match_matrix, notes, spec.replace, joint)
        if not spec.replace:
            subclass = _pair_ids(match_matrix, focal)
        match_sets = {"treated" if spec.estimand == "ATT" else "control": sets_from_matrix(
            match_matrix, np.flatnonzero(focal), n)}
    notes.extend(_nearest_notes(spec))
    return Matching(weights=weights, subclass=subclass, match_matrix=match_matrix, match_sets=match_sets,
                    distance_order=joint)


def _mahalanobis_coordinates(
    data: pd.DataFrame, spec: MatchSpec, problem: MatchingProblem, notes: list[str]
) -> np.ndarray:
    """The ``mahalanobis`` covariates (default: ``covariates``), checked, in Mahalanobis coordinates."""
    mcols = list(spec.mahalanobis if spec.mahalanobis is not None else spec.covariates)  # checked in check_match_data
    z = mahalanobis_space(data, mcols, problem.treated, problem.eligible)
    notes.append(
        "Mahalanobis distance on " + ", ".join(mcols) + " (pooled within-arm covariance)"
        + (" within a caliper on the logit propensity score." if problem.caliper is not None else ".")
    )
    return z


def _nearest_notes(spec: MatchSpec) -> list[str]:
    """The conventions of a nearest-neighbour matching, for the result's notes."""
    if spec.ties:
        notes = [
            f"Nearest-neighbour matching with replacement, {spec.ratio} match(es) per unit with ties kept: every "
            f"unit of the other arm as close as the {_ordinal(spec.ratio)} nearest is a match, each of a unit's "
            "matches weighing 1 / (number of its matches)."
        ]
    else:
        notes = [
            "Nearest-neighbour matching with MatchIt's conventions: units ordered by (distance, data row); "
            "the nearest available control before or after a focal unit, the one before at equal distance"
            + ("; without replacement, matched in order " + repr(spec.order)
               + (", in rounds for 1:k" if spec.ratio > 1 else "") if not spec.replace else "; with replacement")
            + "."
        ]
    if spec.estimand == "ATE":
        notes.append(
            "ATE by matching (Abadie & Imbens 2006): treated units matched to controls and controls to treated "
            "units; a unit's weight is 1 + sum of 1/(number of matches) over the units it serves as a match."
        )
    return notes


def _ordinal(k: int) -> str:
    """1st, 2nd, 3rd, 4th, ..., 11th, 12th, 13th, 21st."""
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k}{suffix}"


def _replacement_sets(
    problem: MatchingProblem, z: np.ndarray | None, ratio: int, estimand: str, ties: bool
) -> dict[str, MatchSets]:
    """Matched sets with replacement for the arms being matched (both for the ATE).

    Key "treated": every treated unit's matches among the controls; "control": the reverse.
    Discarded units neither get nor serve as matches (their sets are empty).
    """
    dist, treat, eligible = problem.distance, problem.treated, problem.eligible
    caliper, strata = problem.caliper, problem.strata
    n = dist.shape[0]
    arms = ("treated", "control") if estimand == "ATE" else ("control",) if estimand == "ATC" else ("treated",)
    out: dict[str, MatchSets] = {}
    for arm in arms:
        f_mask = treat if arm == "treated" else ~treat
        f_rows = np.flatnonzero(f_mask)
        if z is not None:
            out[arm] = mahalanobis_sets(z, dist, f_mask, eligible, ratio, caliper, strata, ties)
        elif ties:
            rs = knn_ranges(dist, f_rows, np.flatnonzero(~f_mask & eligible), ratio, caliper=caliper, strata=strata)
            hi = np.where(eligible[f_rows], rs.hi, rs.lo)
            out[arm] = RangeSets(focal=rs.focal, n=n, pool=rs.pool, lo=rs.lo, hi=hi)
        else:
            mm = nearest_match(
                dist, f_mask, eligible=eligible, ratio=ratio, replace=True, caliper=caliper, strata=strata
            )
            out[arm] = sets_from_matrix(mm, f_rows, n)
    return out


def _pair_ids(mm: np.ndarray, focal: np.ndarray) -> np.ndarray:
    """Pair ids 1..K, numbered by the focal unit's data row, for matching without replacement."""
    n = focal.shape[0]
    sub = np.full(n, -1, dtype=np.int64)
    focal_rows = np.flatnonzero(focal)
    has = (mm >= 0).any(axis=1)
    ids = np.cumsum(has)
    sub[focal_rows[has]] = ids[has]
    rows, cols = np.nonzero(mm >= 0)
    sub[mm[rows, cols]] = ids[rows]
    return sub


def _warn_broken_ties(
    data: pd.DataFrame,
    dist: np.ndarray,
    focal: np.ndarray,
    eligible: np.ndarray,
    strata: np.ndarray | None,
    mm: np.ndarray,
    notes: list[str],
    replace: bool = True,
    joint_order: np.ndarray | None = None,
) -> None:
    """Warn when, with ``ties=False``, focal units' last match was picked by row order among other-arm
    units at exactly the same distance (with or without replacement).

    For each focal unit with matches, let delta be the distance to its farthest (k-th) match; the
    choice depended on the tie rule when more eligible units of the other arm (in its exact-matching
    cell) lie at exactly distance delta than the unit has matches at that distance. With a discrete
    score (categorical covariates only) this is common, and when the data are sorted by anything
    related to the outcome the row-order rule can bias the estimate; ``ties=True`` (Abadie & Imbens
    2006; Stata's teffects, R Matching) uses every tied unit instead.

    Without replacement the same count is made over all eligible units of the other arm (taken or
    not): when a tied control was taken by another focal unit, which of the two got it was decided
    by the matching order, itself data order among focal units with equal distances. Either way a
    re-sorted input can give another estimate.
    """
    f_rows = np.flatnonzero(focal)
    has = mm[:, 0] >= 0
    if not has.any():
        return
    rows = f_rows[has]
    m = mm[has]
    valid = m >= 0
    gap = np.where(valid, np.abs(dist[np.maximum(m, 0)] - dist[rows][:, None]), -np.inf)
    delta = gap.max(axis=1)
    at_delta = (valid & (gap == delta[:, None])).sum(axis=1)
    other = ~focal & eligible
    key_other = dist[other]
    key_query_lo = dist[rows] - delta
    key_query_hi = dist[rows] + delta
    if strata is not None:
        # shift each cell to its own range so that searches stay within the unit's cell
        codes = pd.factorize(strata)[0].astype(float)
        span = float(np.ptp(dist)) * 4.0 + 1.0
        key_other = key_other + codes[other] * span
        key_query_lo = key_query_lo + codes[rows] * span
        key_query_hi = key_query_hi + codes[rows] * span
    # the other arm's values sorted (taken from the matching's joint order when it has one)
    srt = dist[joint_order[other[joint_order]]] if joint_order is not None and strata is None else np.sort(key_other)

    def count_at(v: np.ndarray) -> np.ndarray:
        # the values searched in increasing order: each search starts near the previous one (a
        # few cache lines), where values in data order would make every search a random walk
        order = np.argsort(v)
        vs = v[order]
        out = np.empty(v.shape[0], dtype=np.int64)
        out[order] = np.searchsorted(srt, vs, side="right") - np.searchsorted(srt, vs, side="left")
        return out

    n_eq = count_at(key_query_lo) + np.where(delta > 0, count_at(key_query_hi), 0)
    broken = n_eq > at_delta
    if not broken.any():
        return
    mask = np.zeros(dist.shape[0], dtype=bool)
    mask[rows[broken]] = True
    k = int(broken.sum())
    if replace:
        fix = "Pass ties=True to use every tied unit (Abadie & Imbens 2006; Stata's teffects, R Matching)."
    else:
        fix = ("To get a result that does not depend on the row order, match with replace=True, ties=True (every tied "
               "unit is used; Abadie & Imbens 2006, Stata's teffects, R Matching), or add a continuous covariate to "
               "the score so that fewer units tie; at least sort the rows by a stable identifier before matching so "
               "that the result can be reproduced (order='random' with a random_state draws the matching order "
               "reproducibly, but still from the rows in data order).")
    msg = (
        f"{k} of {rows.shape[0]} matched units ({100.0 * k / rows.shape[0]:.1f}%) had more units of the other arm at "
        f"exactly the distance of their last match than matches"
        + ("" if replace else " (matching without replacement)")
        + f": the tie was broken by data row order (MatchIt's rule), so the estimate depends on how the rows are "
        f"sorted ({describe_rows(data, mask)}). " + fix
    )
    warnings.warn(msg, TieWarning, stacklevel=user_stacklevel())
    notes.append(msg)


def subclassification(data: pd.DataFrame, spec: MatchSpec, problem: MatchingProblem, notes: list[str]) -> Matching:
    """Subclassification on quantiles of the focal arm's distance, with MatchIt's weights."""
    subclass = _subclassify(problem.distance, problem.treated, problem.eligible, spec.subclasses, spec.estimand, notes)
    return Matching(weights=subclass_weights(subclass, problem.treated, spec.estimand), subclass=subclass)


def _subclassify(
    dist: np.ndarray, treat: np.ndarray, eligible: np.ndarray, k: int, estimand: str, notes: list[str]
) -> np.ndarray:
    """Subclass 1..S for every unit kept (-1 if discarded), on quantiles of the focal arm's score."""
    base = dist[treat] if estimand == "ATT" else dist[~treat] if estimand == "ATC" else dist
    q = np.quantile(base, np.linspace(0.0, 1.0, k + 1), method="linear")  # R's type 7
    x = dist[eligible]
    # intervals [q_i, q_{i+1}), the first and last open-ended (R's findInterval(all.inside = TRUE))
    sub = np.clip(np.searchsorted(q, x, side="right"), 1, k)
    uniq = np.unique(sub)
    if uniq.shape[0] != k:
        notes.append(f"Ties in the score gave {uniq.shape[0]} subclasses instead of {k}.")
        warnings.warn(
            f"match(): ties in the score gave {uniq.shape[0]} distinct subclasses instead of the {k} requested.",
            OverlapWarning,
            stacklevel=user_stacklevel(),
        )
    sub = np.searchsorted(uniq, sub) + 1  # renumber 1..S
    sub = _scoot(sub, treat[eligible], x, uniq.shape[0])
    out = np.full(dist.shape[0], -1, dtype=np.int64)
    out[eligible] = sub
    return out


def _scoot(sub: np.ndarray, treat: np.ndarray, x: np.ndarray, s: int) -> np.ndarray:
    """Give every subclass at least one unit of each arm by moving units from neighbouring subclasses.

    MatchIt's rule (``subclass_scoot``, min.n = 1): for each arm, while a subclass lacks it, take the
    first such subclass; compare the surplus (units beyond one) of that arm in the subclasses to its
    left and to its right, each divided by its distance in subclasses; borrow from the nearest
    non-empty subclass on the side with the larger weighted surplus (the left one on a tie, and
    always the left one for the last subclass): its unit with the largest score if it lies to the
    left, the smallest if to the right.
    """
    sub = sub.copy()
    for arm in (True, False):
        mask = treat == arm
        if mask.sum() < s:
            raise EstimationError(
                f"match(): only {int(mask.sum())} {'treated' if arm else 'control'} units for {s} subclasses; "
                "each subclass needs at least one unit of each arm. Use fewer subclasses."
            )
        counts = np.bincount(sub[mask], minlength=s + 1)[1:]
        while (counts == 0).any():
            e = int(np.flatnonzero(counts == 0)[0])  # 0-based subclass index
            left = np.arange(e)
            right = np.arange(e + 1, s)
            surplus_l = np.sum(np.maximum(counts[left] - 1, 0) / (e - left)) if e > 0 else -1.0
            surplus_r = np.sum(np.maximum(counts[right] - 1, 0) / (right - e)) if e < s - 1 else -1.0
            if e == s - 1 or (e != 0 and surplus_l >= surplus_r):
                src = int(left[counts[left] > 0].max())
                cand = np.flatnonzero(mask & (sub == src + 1))
                pick = cand[np.argmax(x[cand])]
            else:
                src = int(right[counts[right] > 0].min())
                cand = np.flatnonzero(mask & (sub == src + 1))
                pick = cand[np.argmin(x[cand])]
            sub[pick] = e + 1
            counts[e] += 1
            counts[src] -= 1
    return sub


def radius(data: pd.DataFrame, spec: MatchSpec, problem: MatchingProblem, notes: list[str]) -> Matching:
    """Radius matching: every control within the caliper of a focal unit is one of its matches."""
    weights = radius_weights(
        problem.distance, problem.focal, problem.eligible, float(problem.caliper), problem.strata  # type: ignore[arg-type]
    )
    return Matching(weights=weights, subclass=np.full(problem.distance.shape[0], -1, dtype=np.int64))


def kernel(data: pd.DataFrame, spec: MatchSpec, problem: MatchingProblem, notes: list[str]) -> Matching:
    """Kernel matching, with ``bandwidth`` in the units of ``caliper_scale`` or Silverman's rule."""
    if spec.bandwidth is None:
        n_kept = int(problem.eligible.sum())
        bandwidth = 1.06 * problem.sd * n_kept ** (-0.2)
        notes.append(f"Kernel bandwidth by Silverman's rule: 1.06 x SD x n^(-1/5) = {bandwidth:.6g}.")
    else:
        bandwidth = float(spec.bandwidth) * problem.sd if spec.caliper_scale == "sd" else float(spec.bandwidth)
    if bandwidth <= 0:
        raise EstimationError("match(): the kernel bandwidth is 0 (the distance is constant); pass 'bandwidth'.")
    weights = kernel_weights(problem.distance, problem.focal, problem.eligible, bandwidth, spec.kernel, problem.strata)
    return Matching(
        weights=weights, subclass=np.full(problem.distance.shape[0], -1, dtype=np.int64), bandwidth=bandwidth
    )


#: method name -> the function that matches
MATCHERS: dict[str, Callable[[pd.DataFrame, MatchSpec, MatchingProblem, list[str]], Matching]] = {
    "nearest": nearest,
    "subclass": subclassification,
    "radius": radius,
    "kernel": kernel,
}
