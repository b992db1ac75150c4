"""Effects and standard errors of nearest-neighbour matching estimators (private).

Used by :func:`iej_impact.matching._result.estimate_effect`. Three pieces:

* :func:`nn_effects`: the unit-level effects imputed by the matched sets of a
  :class:`~iej_impact.matching._record.MatchRecord` (ATT, ATC or ATE; with or without ties), optionally
  bias-corrected (Abadie & Imbens 2011), the estimate, and the Abadie-Imbens (2006) variance.
* :func:`ps_adjustment_parts` / :func:`ps_adjustment_parts_ate`: the pieces of the Abadie &
  Imbens (2016) correction of that variance for a propensity score estimated by maximum
  likelihood (logit/probit), for the ATT/ATC and for the ATE.
* :func:`ps_adjustment_unavailable`: why the correction does not apply, when it does not.

References
----------
Abadie, A. & Imbens, G. (2006). Large sample properties of matching estimators for average
treatment effects. Econometrica 74(1), 235-267.
Abadie, A. & Imbens, G. (2011). Bias-corrected matching estimators for average treatment effects.
Journal of Business & Economic Statistics 29(1), 1-11.
Abadie, A. & Imbens, G. (2016). Matching on the estimated propensity score. Econometrica 84(2),
781-807.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._mestimation import fit_wls
from .._progress import LARGE, task
from .._validation import describe_rows, example_rows
from ..errors import DataError, EstimationError
from ..observational._design import scaled_with_intercept, unscale_matrix
from ._nearest import stable_argsort
from ._record import MatchRecord
from ._sets import abadie_imbens_variance, same_arm_sigma2, total_usage

__all__ = [
    "NNEffects",
    "nn_effects",
    "ps_adjustment_unavailable",
    "ps_adjustment_parts",
    "ps_adjustment_parts_ate",
    "ps_adjustment_term",
    "nearest_in_arm",
    "local_covariance_weights",
    "each_local_covariance_weights",
    "sigma2_kind",
    "VARIANCE_NEIGHBOURS",
]

#: J, the number of same-arm neighbours of the conditional-variance estimator (Abadie & Imbens
#: 2006 use J = 2 in their application; Stata's vce(robust) default is nn(2)).
VARIANCE_NEIGHBOURS = 2
_SCORE_DISTANCES = ("propensity", "logit")


@dataclass(frozen=True)
class NNEffects:
    """Unit-level results of a nearest-neighbour matching estimator.

    Attributes
    ----------
    estimate : tau_hat, the mean of the unit effects Y_i(1)^ - Y_i(0)^ over ``own``.
    own : (n,) units whose missing potential outcome is imputed (matched focal units).
    variance : Abadie-Imbens (2006) variance of ``estimate`` (score treated as known).

    The per-unit arrays behind them (unit effects, usage counts, imputed outcomes) are not kept:
    at 10^7 units they would hold hundreds of MB for the rest of the estimation.
    slopes : arm of the units matched ("treated"/"control") -> slopes of the bias-correction
        regression fitted on the other arm (empty without bias correction).
    """

    estimate: float
    own: np.ndarray
    variance: float
    slopes: Mapping[str, np.ndarray]


def nn_effects(
    result: MatchRecord,
    y_any: np.ndarray,
    bias_columns: Sequence[str] | None = None,
    func: str = "psm",
    *,
    neighbours: int = VARIANCE_NEIGHBOURS,
    sigma2: str = "auto",
) -> NNEffects:
    """Imputed unit effects, estimate and Abadie-Imbens (2006) variance from the matched sets.

    Without bias correction, the missing potential outcome of a matched unit is the mean outcome
    of its matches. With ``bias_columns`` (Abadie & Imbens 2011), for the units matched in arm a
    (their matches in arm w = 1 - a), mu_w(x) = b_0 + b' x is fitted by least squares on the units
    of arm w weighted by K_j (the number of times unit j is used as a match, each use counting
    1/size of the set), and the imputation becomes mean_j [Y_j + mu_w(X_i) - mu_w(X_j)]. The
    variance has the same form with the corrected unit effects (AI 2011, section 4).

    ``neighbours`` (J) and ``sigma2`` choose the conditional-variance estimator (see
    :func:`iej_impact.matching._sets.same_arm_sigma2`; "auto" = "ai2006", or "sample" when the
    matching kept ties).
    """
    sets = result.match_sets
    if sets is None:  # pragma: no cover - guarded by the caller
        raise EstimationError(f"{func}(): this matching result has no matched sets.")
    n = result.weights.shape[0]
    d = result.treated
    own = np.zeros(n, dtype=bool)
    for s in sets.values():
        own[s.focal[s.matched]] = True
    k, kk = total_usage(sets, n)
    used = own | (k > 0)
    y = np.where(used, y_any, 0.0)
    y1 = np.where(d, y_any, np.nan)
    y0 = np.where(~d, y_any, np.nan)
    zmat = None
    if bias_columns:
        zmat = _bias_matrix(result, bias_columns, used, func)
    slopes: dict[str, np.ndarray] = {}
    for arm, s in sets.items():
        m = s.matched
        f = s.focal[m]
        imputed = s.mean(y)[m]
        if zmat is not None:
            w_arm = s.usage()[0]
            coef = _bias_slopes(zmat, y, w_arm, bias_columns, "control" if arm == "treated" else "treated", func)
            imputed = imputed + (zmat[f] - s.mean(zmat)[m]) @ coef
            slopes[arm] = coef
        if arm == "treated":
            y0[f] = imputed
        else:
            y1[f] = imputed
    tau = np.where(own, y1 - y0, 0.0)
    estimate = float(np.mean(tau[own]))
    ties = bool(result.spec.get("ties"))
    kind = sigma2_kind(sigma2, ties)
    s2 = np.zeros(n)
    finite = np.isfinite(y_any)
    y_clean = np.nan_to_num(y_any)
    needed = (k * k + 2.0 * own * k - kk) != 0  # units whose sigma^2 enters the variance
    for arm_mask in (d, ~d):
        rows = np.flatnonzero(arm_mask & ~result.discarded & finite)
        if rows.size and needed[arm_mask].any():
            s2 += same_arm_sigma2(result.distance, y_clean, rows, int(neighbours), ties=ties, kind=kind)
    variance = abadie_imbens_variance(own, tau, estimate, k, kk, s2)
    return NNEffects(estimate=estimate, own=own, variance=variance, slopes=slopes)


def sigma2_kind(sigma2: str, ties: bool) -> str:
    """The conditional-variance estimator behind ``sigma2`` ("auto": "sample" with ties, else "ai2006")."""
    if sigma2 == "auto":
        return "sample" if ties else "ai2006"
    return sigma2


def _bias_matrix(result: MatchRecord, columns: Sequence[str], used: np.ndarray, func: str) -> np.ndarray:
    """The bias-correction covariates as a float matrix; missing values among used units are an error."""
    data = result.data
    out = np.empty((len(data), len(columns)))
    for c, col in enumerate(columns):
        s = data[col]
        if pd.api.types.is_bool_dtype(s):
            s = s.astype(float)
        if not pd.api.types.is_numeric_dtype(s):
            raise DataError(
                f"{func}(): bias_adjust column '{col}' must be numeric (a regressor of the bias correction); it has "
                f"dtype {s.dtype}. Encode it as 0/1 indicator columns and list those.",
                column=col,
            )
        v = s.to_numpy(dtype=float, na_value=np.nan)
        bad = ~np.isfinite(v) & used
        if bad.any():
            raise DataError(
                f"{func}(): bias_adjust column '{col}' is missing for {describe_rows(data, bad)} in the matched "
                "sample; drop these units before matching or leave the column out of bias_adjust.",
                column=col,
                rows=example_rows(data, bad),
            )
        out[:, c] = np.where(np.isfinite(v), v, 0.0)
    return out


def _bias_slopes(
    z: np.ndarray, y: np.ndarray, w: np.ndarray, columns: Sequence[str], arm: str, func: str
) -> np.ndarray:
    """Slopes of the weighted regression of Y on (1, Z) over the units of ``arm`` used as matches
    (weights ``w``; zero outside them), fitted by the M-estimation core on centred and scaled columns."""
    n_used = int((w > 0).sum())
    zs, m, s = scaled_with_intercept(z, w)
    what = (f"bias-correction regression on the {n_used} {arm} units used as matches (drop such columns from "
            "bias_adjust, or match more units with a larger ratio)")
    fit = fit_wls(zs, y, w, names=list(columns), func=func, what=what)
    return (unscale_matrix(m, s) @ fit.params)[1:]


# =============================================================================================
# Abadie & Imbens (2016): estimated propensity score
# =============================================================================================
def ps_adjustment_unavailable(result: MatchRecord) -> str | None:
    """Why the Abadie-Imbens (2016) adjustment does not apply to ``result`` (None: it applies)."""
    ps = result.propensity_model
    if ps is None:
        if result.distance_name not in ("propensity", "logit", "mahalanobis"):
            return f"it was given as the distance column '{result.distance_name}'"
        return f"it was given as the column '{result.spec.get('score')}'"
    if getattr(ps, "fit", None) is None:
        return f"the {ps.model!r} model has no parametric likelihood to adjust for"
    if result.distance_name not in _SCORE_DISTANCES:
        return "units were matched on a Mahalanobis distance, not on the score"
    if ps.sampling_weights is not None:
        return "the score was fitted with sampling weights"
    if not getattr(ps, "converged", True):
        return ("the score's model did not converge (units with fitted scores of 0 or 1: separation), so its "
                "likelihood has no maximum to expand around")
    return None


_QUERY_BLOCK = 1 << 16  # query units per block in nearest_in_arm
#: tie-breaking columns (each with one value per row), or a function giving them for given rows
Tiebreak = Sequence[np.ndarray] | Callable[[np.ndarray], Sequence[np.ndarray]]


def nearest_in_arm(
    dist: np.ndarray, arm_rows: np.ndarray, query: np.ndarray, size: int,
    tiebreak: Tiebreak | None = None, labels: np.ndarray | None = None, presorted: bool = False,
) -> np.ndarray:
    """(len(query), size) rows of the ``size`` units of ``arm_rows`` nearest to each query unit on ``dist``.

    A query unit that belongs to the arm is its own nearest unit. Ties go to the unit earlier in the
    (distance, row) order, or, when ``tiebreak`` (columns of the units' values, each of length n) is
    given, in the (distance, tiebreak columns) order: units tied on the distance are then told apart by what
    they hold, not by where they sit in the data, so the neighbour sets (and the SE built on them)
    do not change when the rows are re-sorted. With fewer than ``size`` units in the arm, all of
    them (padded by repetition). With ``labels`` (one per row), the neighbours' labels instead of
    their rows (e.g. their ranks on the distance, so that later passes read nearby memory).
    ``presorted``: ``arm_rows`` come in (distance, row) order already.
    """
    rows = _sorted_by_value(dist, arm_rows, tiebreak, presorted)
    named = rows if labels is None else labels[rows]
    if named.shape[0] and int(named.max()) < 2**31 - 1:
        named = named.astype(np.int32)  # half the memory of the (queries, size) result
    m = rows.shape[0]
    # pad with +-inf sentinels so that every candidate index is valid (no masks, no clipping)
    x = np.concatenate([np.full(size, -np.inf), dist[rows], np.full(size + 1, np.inf)])
    padded_rows = np.concatenate([np.repeat(named[:1], size), named, np.repeat(named[-1:], size + 1)])
    # first position of the run of equal values each position belongs to (None: no two real values tie)
    starts = np.r_[True, x[1:] != x[:-1]]
    run_start = None
    if not starts[size + 1:size + m].all():
        run_start = np.maximum.accumulate(np.where(starts, np.arange(x.shape[0]), 0))
    picks = min(size, m)
    out = np.empty((query.shape[0], picks), dtype=padded_rows.dtype)
    # The neighbours in (gap, position) order, as a stable sort of the gaps of the 2 size + 1
    # positions around the insertion point lists them, by merging the two sides in `picks` steps:
    # on the right the nearest remaining is the leftmost; on the left it is the rightmost *run* of
    # equal values, taken from its first position within those 2 size + 1 on (equal gaps go to the
    # lower position); a tie between the sides goes to the left one (lower position). Blocks of
    # queries keep the arrays small.
    for start in range(0, query.shape[0], _QUERY_BLOCK):
        q = dist[query[start:start + _QUERY_BLOCK]]
        right = np.searchsorted(x, q, side="left")  # = insertion point in the arm + size
        if run_start is None:  # no ties among the arm's values: every run is one position
            left = right - 1
            for col in range(picks):
                take_left = (q - x[left]) <= (x[right] - q)
                out[start:start + q.shape[0], col] = padded_rows[np.where(take_left, left, right)]
                left -= take_left
                right += ~take_left
            continue
        edge = right - size  # the leftmost of the 2 size + 1 positions
        run_end = right - 1
        run_first = np.maximum(run_start[run_end], edge)
        left = run_first.copy()
        for col in range(picks):
            take_left = (q - x[left]) <= (x[right] - q)
            out[start:start + q.shape[0], col] = padded_rows[np.where(take_left, left, right)]
            left += take_left
            right += ~take_left
            done = take_left & (left > run_end)  # the run is used up: the next run to the left
            run_end = np.where(done, run_first - 1, run_end)
            run_first = np.where(done, np.maximum(run_start[np.maximum(run_end, 0)], edge), run_first)
            left = np.where(done, run_first, left)
    if out.shape[1] < size:
        out = np.concatenate([out, np.repeat(out[:, :1], size - out.shape[1], axis=1)], axis=1)
    return out


def _sorted_by_value(dist: np.ndarray, rows: np.ndarray, tiebreak: Tiebreak | None,
                     presorted: bool = False) -> np.ndarray:
    """``rows`` sorted by distance; runs of equal distance sorted by the ``tiebreak`` columns (or by
    the columns ``tiebreak(rows)`` returns for those rows).

    ``presorted``: ``rows`` are already in (distance, row) order (a stable sort's), which saves the sort.
    """
    order = rows if presorted else rows[stable_argsort(dist[rows])]
    x = dist[order]
    if tiebreak is None or not np.any(x[1:] == x[:-1]):
        return order
    columns = tiebreak(rows) if callable(tiebreak) else [column[rows] for column in tiebreak]
    keys = [*reversed(columns), dist[rows]]
    return rows[np.lexsort(keys)]


def local_covariance_weights(y: np.ndarray, nb: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Per-unit c_k with sum_r w_r cov_r(z, y) = z' c, for every design z (n rows); with ``w`` of
    shape (rows, c), one column of c per column of weights (see :func:`each_local_covariance_weights`)."""
    weights = np.asarray(w, dtype=float).reshape(w.shape[0], -1)
    out = np.column_stack(list(each_local_covariance_weights(y, nb, weights.T))) if weights.shape[1] else \
        np.zeros((y.shape[0], 0))
    return out[:, 0] if w.ndim == 1 else out


def each_local_covariance_weights(y: np.ndarray, nb: np.ndarray, weightings: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
    """For each weighting w (one value per query row, in turn), the per-unit c_k with
    sum_r w_r cov_r(z, y) = z' c for every design z whose rows are labelled like ``y``.

    cov_r is the sample covariance of a column of z with ``y`` over query row r's neighbour set
    ``nb[r]`` (L units, denominator L - 1). With S_y(r) the neighbour sum of y,
    cov_r = [sum_{k in nb(r)} z_k y_k - S_z(r) S_y(r) / L] / (L - 1), so the weighted sum is
    sum_k z_k [W_k y_k - V_k / L] / (L - 1), with W_k the total weight of the query rows having k
    as a neighbour and V_k the same total of w_r S_y(r): ``bincount`` calls instead of gathering
    the (n, L, dim z) neighbour covariates. ``y`` is centred first (covariances do not change),
    which keeps the differences well conditioned. The neighbour sums are computed once for all
    weightings; each result is yielded before the next is computed (one n-vector at a time), and
    several results then share one product with z (:func:`ps_adjustment_parts`).
    """
    n = y.shape[0]
    size = nb.shape[1]
    if nb.shape[0] == 0:
        for _ in weightings:
            yield np.zeros(n)
        return
    centre = sum(float(y[nb[:, j]].sum()) for j in range(size)) / nb.size
    yc = y - centre
    # S_y(r), added column by column (the order of a row sum), and each query block's label range:
    # labelled by rank on the distance, a block's neighbours span a short range of labels, so its
    # sums below are bincounts over that range (small, cache-resident arrays)
    s_y = yc[nb[:, 0]]
    for j in range(1, size):
        s_y += yc[nb[:, j]]
    blocks = []
    for start in range(0, nb.shape[0], _QUERY_BLOCK):
        block = nb[start:start + _QUERY_BLOCK]
        lo, hi = int(block.min()), int(block.max())
        blocks.append((start, block, lo, hi, hi - lo < 16 * block.size))
    for weights in weightings:
        big_w = np.zeros(n)
        big_v = np.zeros(n)
        for start, block, lo, hi, near in blocks:
            wb = weights[start:start + block.shape[0]]
            vb = wb * s_y[start:start + block.shape[0]]  # w_r S_y(r)
            if near:
                flat = (block - lo).ravel()
                big_w[lo:hi + 1] += np.bincount(flat, weights=np.repeat(wb, size), minlength=hi - lo + 1)
                big_v[lo:hi + 1] += np.bincount(flat, weights=np.repeat(vb, size), minlength=hi - lo + 1)
            else:  # neighbours scattered over the sample (e.g. a sparse arm): unbuffered adds
                np.add.at(big_w, block.ravel(), np.repeat(wb, size))
                np.add.at(big_v, block.ravel(), np.repeat(vb, size))
        # (W y - V / L) / (L - 1), in place
        big_w *= yc
        big_v /= size
        big_w -= big_v
        big_w /= size - 1
        del big_v
        yield big_w


def _local_pieces(result: MatchRecord, y_any: np.ndarray, size: int, ticker: Any) -> dict[str, np.ndarray]:
    """Per-unit ingredients of the Abadie & Imbens (2016) corrections, over the units kept.

    For every unit i not discarded with an outcome (rows sorted by distance), the L = ``size``
    units of each arm nearest to it on the distance (i itself among them when it belongs to the
    arm): their mean outcome estimates E[Y | p_i, D = w] = E[Y(w) | p_i], and the sample
    covariance of the score model's design z with Y over them estimates
    cov(X, mu(w, X) | p_i) (AI 2016, section 4). Returned as neighbour index arrays, the rows and
    the model pieces; the covariances are summed on demand by :func:`local_covariance_weights`.
    """
    ps = result.propensity_model
    fit = ps.fit
    keep = ~result.discarded & np.isfinite(y_any)
    dist = result.distance
    d = result.treated
    order = result.distance_order  # the matching's sort of all rows, when it made one
    if order is not None:
        rows = order[keep[order]]
    else:
        rows = np.flatnonzero(keep)
        rows = rows[stable_argsort(dist[rows])]
    # everything below is indexed by rank on the distance (query r is rows[r]): the searches, the
    # neighbour labels, gathers and bincounts then read nearby memory instead of random rows
    ranked = dist[rows]
    z = fit.lin.z
    out: dict[str, np.ndarray] = {
        "rows": rows,
        "y": np.asarray(y_any, dtype=float)[rows],
        "z": z,
        "a_inv": fit.lin.a_inv,
        "f": np.asarray(fit.dens, dtype=float)[rows],
        "p": np.asarray(ps.scores, dtype=float)[rows],
    }
    y_r = out["y"]

    def tiebreak(ranks: np.ndarray) -> list[np.ndarray]:
        """Units tied on the distance are ordered by outcome, then design columns."""
        return [y_r[ranks], *z[rows[ranks]].T]

    own = np.arange(rows.shape[0])
    for w, arm in ((1, d), (0, ~d)):
        ticker.stage(f"{size} nearest units of arm {w} on the score")
        # the L + 1 nearest (sorted by distance): the first L for covariances, all but i for means;
        # the arm's units in (distance, row) order are the sorted queries that belong to it
        nb = nearest_in_arm(ranked, np.flatnonzero(arm[rows]), own, size + 1, tiebreak=tiebreak, presorted=True)
        out[f"nb{w}"] = nb[:, :size]
        out[f"mean{w}"] = _leave_one_out_mean(y_r, nb, own)
        ticker.update(1)
    ticker.stage("local covariances")
    return out


def _by_row(values: np.ndarray, rows: np.ndarray, n: int) -> np.ndarray:
    """Per-rank values (one row, or a row of columns, per query) placed at their data rows (0 elsewhere)."""
    out = np.zeros((n, *values.shape[1:]))
    out[rows] = values
    return out


def _adjustment_task(result: MatchRecord, stages: int) -> Any:
    """The progress of the Abadie-Imbens (2016) adjustment: one tick per neighbour search and covariance sum."""
    return task("Abadie-Imbens SE: adjustment for the estimated score", total=stages, unit="stage",
                when=result.treated.shape[0] >= LARGE)


def _leave_one_out_mean(y: np.ndarray, nb: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Mean of y over the first L of the L + 1 neighbours ``nb`` of each row, the row itself left out.

    E[Y(w) | p_i] for g must not use Y_i itself: Y_i co-varies with X_i beyond p_i, which would
    bias sum_i f_i X_i m_w(p_i) by (1/L) sum_i f_i cov(X, Y | p_i, D = w).
    """
    size = nb.shape[1] - 1
    out = np.empty(nb.shape[0])
    for start in range(0, nb.shape[0], _QUERY_BLOCK):  # blocks: small temporaries
        block = nb[start:start + _QUERY_BLOCK]
        own = rows[start:start + _QUERY_BLOCK]
        acc = np.zeros(block.shape[0])
        dropped = np.zeros(block.shape[0], dtype=bool)
        # added column by column in neighbour order (the order of a row sum); the dropped
        # neighbour (the row itself where present, else the (L + 1)-th) adds an exact 0
        for j in range(size + 1):
            col = block[:, j]
            drop = ~dropped & (col == own) if j < size else ~dropped
            acc += np.where(drop, 0.0, y[col])
            dropped |= drop
        out[start:start + block.shape[0]] = acc / size
    return out


def ps_adjustment_parts(
    result: MatchRecord, y_any: np.ndarray, estimate: float, size: int = 4
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Pieces (c_t, dtau/dtheta, I^-1, N) of the Abadie & Imbens (2016, Theorem 2) correction, ATT/ATC.

    Stated for the ATT (the ATC swaps the arms, p -> 1 - p, which leaves the quadratic forms
    unchanged). With f_i = dp/d(X'theta) at unit i, N_1 the number of matched focal units and sums
    over every unit kept (the sample analogues of E[.] / E[p(X)]):

        c_t = (1/N_1) sum_i f_i X_i (m_1(p_i) - m_0(p_i) - tau_hat)
              + (1/N_1) sum_i f_i [cov(X, Y | p_i, D = 1) + p_i/(1 - p_i) cov(X, Y | p_i, D = 0)],
        dtau/dtheta = (1/N_1) sum_i f_i X_i (mu_1(X_i) - mu_0(X_i) - tau_hat)
                    = (1/N_1) sum_i f_i X_i (m_1(p_i) - m_0(p_i) - tau_hat)
                      + (1/N_1) sum_i f_i [cov(X, Y | p_i, D = 1) - cov(X, Y | p_i, D = 0)],

    m_w(p) = E[Y(w) | p(X) = p] estimated by the mean outcome of the L nearest units of arm w
    (unit i itself left out), and
    the covariances by local matching (:func:`_local_pieces`). The second line of dtau/dtheta uses
    mu_w(X) = m_w(p) + (mu_w(X) - m_w(p)) and E[X (mu_w(X) - m_w(p)) | p] = cov(X, mu_w(X) | p).
    Then V_adj = V - c_t' I^-1 c_t / N + (dtau/dtheta)' I^-1 (dtau/dtheta) / N. I is the per-unit
    information of the score model on its (centred and scaled) design, which leaves the quadratic
    forms unchanged.
    """
    with _adjustment_task(result, 5) as ticker:
        parts = _local_pieces(result, y_any, size, ticker)
        rows, y, z, f, p = parts["rows"], parts["y"], parts["z"], parts["f"], parts["p"]
        atc = result.estimand == "ATC"
        nb_f, nb_o = (parts["nb0"], parts["nb1"]) if atc else (parts["nb1"], parts["nb0"])
        p_f = 1.0 - p if atc else p
        tau_f = -estimate if atc else estimate
        d = result.treated
        focal = ~d if atc else d
        own = np.zeros(d.shape[0], dtype=bool)
        for sets in (result.match_sets or {}).values():
            own[sets.focal[sets.matched]] = True
        n_f = float((own & focal).sum())
        m_f, m_o = (parts["mean0"], parts["mean1"]) if atc else (parts["mean1"], parts["mean0"])
        # every piece is z' v for a vector v over the units (built by rank, then placed at the
        # units' rows): the v's of each side are added up, so z is read once per side
        g_m = f * (m_f - m_o - tau_f)
        g_m += local_covariance_weights(y, nb_f, f)
        ticker.update(1)
        other = each_local_covariance_weights(y, nb_o, (f, f * p_f / (1.0 - p_f)))  # shared neighbour sums
        side = g_m - next(other)  # dtau's
        ticker.update(1)
        dtau = _by_row(side, rows, z.shape[0]) @ z / n_f
        del side
        g_m += next(other)  # c_t's
        ticker.update(1)
        c_t = _by_row(g_m, rows, z.shape[0]) @ z / n_f
    return c_t, dtau, parts["a_inv"], z.shape[0]


def ps_adjustment_term(result: MatchRecord, y_any: np.ndarray, estimate: float, size: int = 4) -> float:
    """Abadie & Imbens (2016, Theorem 2) term added to the 2006 variance of the ATT/ATC:
    [dtau' I^-1 dtau - c_t' I^-1 c_t] / N (see :func:`ps_adjustment_parts`); of either sign."""
    c_t, dtau, a_inv, n_fit = ps_adjustment_parts(result, y_any, estimate, size)
    return float((dtau @ a_inv @ dtau - c_t @ a_inv @ c_t) / n_fit)


def ps_adjustment_parts_ate(
    result: MatchRecord, y_any: np.ndarray, effects: NNEffects, size: int = 4
) -> tuple[np.ndarray, np.ndarray, int]:
    """Pieces (c, I^-1, N) of the Abadie & Imbens (2016, Theorem 1) correction for the ATE.

    c = (1/N) sum_i f_i [cov(X, Y | p_i, D = 1) / p_i + cov(X, Y | p_i, D = 0) / (1 - p_i)] over
    the units kept, N the number of matched units, cov(X, Y | p_i, D = w) the sample covariance
    over the L = ``size`` units of arm w nearest to unit i on the distance (section 4 of the paper);
    under unconfoundedness cov(X, Y | p, D = w) = cov(X, mu(w, X) | p). The variance is
    V - c' I^-1 c / N: estimating the score never increases the ATE's variance.
    """
    with _adjustment_task(result, 3) as ticker:
        parts = _local_pieces(result, y_any, size, ticker)
        y, z, f, p = parts["y"], parts["z"], parts["f"], parts["p"]
        n_own = float(effects.own.sum())
        c = z.T @ _by_row(local_covariance_weights(y, parts["nb1"], f / p)
                          + local_covariance_weights(y, parts["nb0"], f / (1.0 - p)), parts["rows"], z.shape[0])
        ticker.update(1)
    return c / n_own, parts["a_inv"], z.shape[0]
