"""Romano-Wolf step-down p-values across a family of effects, from a multiplier bootstrap of their influence
functions.

Estimator. For K effects theta_k with standard errors s_k and influence functions psi_ik (one value per unit i of
the rows the effect was estimated on; theta_k - theta_k0 ~ sum_i psi_ik / n_k), the joint sampling distribution
of the centred t-statistics is approximated by the multiplier (score) bootstrap: for each draw b, unit-level
weights xi_ib ~ N(0, 1) (one per cluster when the effects are clustered) give
T*_kb = |sum_i xi_ib psi_ik / n_k| / s_k. Because every effect is perturbed by the same xi, the draws keep the
dependence between the effects (shared units, correlated outcomes), which Holm's bound ignores. Given the data, the
Gaussian multiplier draw of the K sums, sum_i xi_ib psi_ik, is exactly normal with covariance Psi'Psi (Psi the units x
K matrix of the psi_ik / n_k), so the draws are taken from that K-variate normal: the same bootstrap distribution at
a cost of O(units K^2 + draws K^2) instead of O(units x draws x K). With the observed
t_k = |theta_k| / s_k sorted in decreasing order t_(1) >= ... >= t_(K), the step-down adjusted p-value is
p_(s) = max(p_(s-1), share of draws with max_{j >= s} T*_(j)b >= t_(s)) (Romano & Wolf 2005, algorithm 4.1 with
studentised statistics; Romano & Wolf 2016, "Efficient computation of adjusted p-values for resampling-based
stepdown multiple testing", Statistics & Probability Letters 113, 38-40). It controls the family-wise error rate
asymptotically and is more powerful than Holm when the effects are positively dependent (several horizons of
one outcome, several outcomes of the same people).

Assumptions: each effect is asymptotically linear with the given influence function (true of the regression,
weighting and doubly robust estimators here, not of matching with Abadie-Imbens standard errors, whose
estimator is not smooth), and units (or clusters) are independent. Effects estimated on disjoint subgroups get
independent perturbations automatically (a unit is in one level only).

Reference: Romano, J. P. & Wolf, M. (2005). Stepwise multiple testing as formalized data snooping.
Econometrica 73(4), 1237-1282. Clarke, D., Romano, J. P. & Wolf, M. (2020). The Romano-Wolf multiple-hypothesis
correction in Stata. The Stata Journal 20(4), 812-843.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import SpecificationError

__all__ = ["influence_correlation", "romano_wolf", "romano_wolf_unavailable"]

#: draws per block of the bootstrap (bounds the memory: block x effects doubles)
_BLOCK = 10_000


def romano_wolf_unavailable(results: Sequence[Any], rows: Sequence[Sequence[Any]]) -> str | None:
    """Why Romano-Wolf p-values cannot be computed for these results (None when they can)."""
    for res, r in zip(results, rows, strict=True):
        influence = getattr(res, "influence", None)
        if influence is None:
            method = getattr(res, "method", type(res).__name__)
            inference = getattr(getattr(res, "inference", None), "name", "")
            return (f"a {method} result{f' with {inference} standard errors' if inference else ''} has no influence "
                    "function to perturb (Romano-Wolf needs one for every effect of the family)")
        if np.ndim(influence) != 1 or len(influence) != len(r):
            return ("an effect's influence function does not have one value per row it was estimated on (rows dropped "
                    "inside the estimator, or panel units rather than rows)")
        se = getattr(res, "std_error", None)
        if se is None or not np.isfinite(se) or se <= 0 or getattr(res, "estimate", None) is None:
            return "an effect has no finite estimate or standard error"
    return None


def _stacked(results: Sequence[Any], rows: Sequence[Sequence[Any]], clusters: pd.Series | None) -> np.ndarray:
    """psi[u, k]: the sum over unit (or cluster) u's rows of effect k's influence / n_k, divided by s_k."""
    indexes = [r if isinstance(r, pd.Index) else pd.Index(np.asarray(list(r))) for r in rows]
    labels = indexes[0].append(indexes[1:]).unique() if len(indexes) > 1 else indexes[0].unique()
    if clusters is not None:
        missing = labels.difference(clusters.index)
        if len(missing):
            raise SpecificationError(f"{len(missing)} row(s) have no cluster (e.g. {list(missing[:3])}).")
        groups, uniques = pd.factorize(clusters.reindex(labels), sort=True)
        n_units = len(uniques)
    else:
        groups, n_units = np.arange(len(labels)), len(labels)
    psi = np.zeros((n_units, len(results)))
    for j, (res, index) in enumerate(zip(results, indexes, strict=True)):
        influence = np.asarray(res.influence, dtype=float)
        position = labels.get_indexer(index)
        psi[:, j] = np.bincount(groups[position], weights=influence / (len(influence) * float(res.std_error)),
                                minlength=n_units)
    return psi


def influence_correlation(results: Sequence[Any], rows: Sequence[Sequence[Any]],
                          clusters: pd.Series | None = None) -> np.ndarray:
    """The correlation matrix of the effects' estimates from their influence functions (summed by cluster when
    ``clusters`` is given): zero between effects on disjoint units in different clusters, positive between
    effects on the same people. Raises :class:`SpecificationError` when an effect has no usable influence."""
    why = romano_wolf_unavailable(results, rows)
    if why:
        raise SpecificationError(f"influence_correlation(): {why}.")
    psi = _stacked(results, rows, clusters)
    cov = psi.T @ psi
    d = np.sqrt(np.diag(cov))
    return cov / np.outer(d, d)


def romano_wolf(results: Sequence[Any], *, rows: Sequence[Sequence[Any]] | None = None,
                clusters: pd.Series | None = None, reps: int = 1999, seed: int | None = 0) -> np.ndarray:
    """Romano-Wolf step-down adjusted p-values (two-sided) of ``results``, in their order.

    Parameters
    ----------
    results : effect results with ``estimate``, ``std_error`` and ``influence`` (one value per row the effect
        was estimated on, scaled so that ``std_error = sqrt(sum(influence**2)) / n``, as this package's
        regression, weighting and doubly robust estimators store it).
    rows : for each result, the labels of the rows it was estimated on (e.g. the index of its subgroup);
        default: every result on the same rows, in the same order. Rows with the same label are the same unit.
    clusters : cluster of each row label (a Series indexed by the labels); the bootstrap then draws one weight
        per cluster, as clustered standard errors assume.
    reps : bootstrap draws (the p-values are multiples of 1 / (reps + 1) away from 0).
    seed : seed of the draws (the same seed gives the same p-values).
    """
    k = len(results)
    if k == 0:
        return np.empty(0)
    if isinstance(reps, bool) or not isinstance(reps, int) or reps < 99:
        raise SpecificationError(f"romano_wolf(): reps must be an integer of at least 99; got {reps!r}.")
    if rows is None:
        first = getattr(results[0], "influence", None)
        rows = [range(0 if first is None else len(first))] * k
    why = romano_wolf_unavailable(results, rows)
    if why:
        raise SpecificationError(f"romano_wolf(): {why}.")
    psi = _stacked(results, rows, clusters)
    # sum_i xi_i psi_i with xi ~ N(0, 1) is N(0, Psi'Psi) given the data: draw it from a square root of Psi'Psi
    values, vectors = np.linalg.eigh(psi.T @ psi)
    root = vectors * np.sqrt(np.clip(values, 0.0, None))   # root @ root.T = Psi'Psi (positive semi-definite)
    t_obs = np.array([abs(float(r.estimate)) / float(r.std_error) for r in results])
    rng = np.random.default_rng(seed)
    order = np.argsort(-t_obs, kind="stable")
    exceed = np.zeros(k)
    done = 0
    while done < reps:
        m = min(_BLOCK, reps - done)
        draws = np.abs(rng.standard_normal((m, k)) @ root.T)[:, order]   # T*_(j)b, columns by decreasing t
        tail_max = np.maximum.accumulate(draws[:, ::-1], axis=1)[:, ::-1]   # max over j >= s
        exceed += (tail_max >= t_obs[order]).sum(axis=0)
        done += m
    p_sorted = np.maximum.accumulate((exceed + 1.0) / (reps + 1.0))
    out = np.empty(k)
    out[order] = np.minimum(p_sorted, 1.0)
    return out
