"""The two bootstrap algorithms behind ``Bootstrap(kind=...)``, kept apart so one word names one scheme each.

* **multiplier** (:func:`rademacher_draws`, :func:`iqr_se`, :func:`sup_t_critical`): perturb the
  influence function instead of re-estimating. Draw b is ``sum_i v_ib s_i / n`` with Rademacher
  multipliers v = +-1 on the influence values s_i (or on their cluster sums); the standard error is
  the interquartile range of the draws over that of the normal, and the uniform (sup-t) band takes
  the 1 - alpha quantile of ``max_k |draw_k / se_k|``. This is R ``did``'s ``mboot`` (Callaway &
  Sant'Anna 2021, section 4.1), used by the DiD estimators; every column (cell, aggregation level)
  reuses the same multipliers, so the band is joint.
* **resample** (:func:`resample_se`): the nonparametric bootstrap, re-computing the statistic on
  resamples of units (or of whole clusters), stratified by arm when asked; used where
  re-estimation is cheap (the difference in means).

References
----------
Callaway, B. and Sant'Anna, P. H. C. (2021). Difference-in-differences with multiple time periods.
Journal of Econometrics 225(2), 200-230.
Efron, B. and Tibshirani, R. (1993). An Introduction to the Bootstrap. Chapman & Hall.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from ._progress import progress, task
from .errors import EstimationError

__all__ = ["rademacher_draws", "iqr_se", "sup_t_critical", "resample_se", "fresh_seed"]

#: (z_0.75 - z_0.25) of the standard normal: the interquartile range of N(0, 1)
_NORMAL_IQR = 1.3489795003921634


def fresh_seed() -> int:
    """A seed from fresh OS entropy, for a bootstrap without ``random_state`` (reported in the notes)."""
    return int(np.random.SeedSequence().generate_state(1)[0])


def rademacher_draws(scores: np.ndarray, reps: int, seed: int, *, chunk: int = 128) -> np.ndarray:
    """Multiplier-bootstrap draws ``sum_i v_ib scores_i`` (reps x k) with Rademacher multipliers v = +-1.

    ``scores`` (n x k) are influence-function values (or their cluster sums). The multipliers
    come from random bits of ``np.random.default_rng(seed)`` in a fixed order, so the same seed
    gives the same draws for any set of columns (aggregations reuse the draws of their cells).
    Computed in float32 blocks of ``chunk`` draws: sum v s = 2 sum_{v = 1} s - sum s.
    """
    scores = np.asarray(scores)
    if scores.ndim == 1:
        scores = scores[:, None]
    n, k = scores.shape
    s32 = np.ascontiguousarray(scores, dtype=np.float32)
    total = scores.sum(axis=0)
    rng = np.random.default_rng(seed)
    out = np.empty((reps, k))
    nbytes = (n + 7) // 8
    with task("multiplier bootstrap", total=reps, unit="draw", when=n * k * reps >= 10**8) as ticker:
        for start in range(0, reps, chunk):
            b = min(chunk, reps - start)
            bits = np.unpackbits(np.frombuffer(rng.bytes(b * nbytes), dtype=np.uint8).reshape(b, nbytes),
                                 axis=1, count=n)
            out[start:start + b] = 2.0 * (bits.astype(np.float32) @ s32) - total
            ticker.update(b)  # per block of draws
    return out


def iqr_se(draws: np.ndarray) -> np.ndarray:
    """Bootstrap SE as (q75 - q25) / (z75 - z25) of each column (did's robust scale), type-1 quantiles."""
    q = np.quantile(draws, [0.25, 0.75], axis=0, method="inverted_cdf")
    return (q[1] - q[0]) / _NORMAL_IQR


def sup_t_critical(draws: np.ndarray, se: np.ndarray, alpha: float) -> float:
    """Critical value of the sup-t uniform band: 1 - alpha quantile of max_k |draw_k / se_k|."""
    ok = np.isfinite(se) & (se > 0)
    if not ok.any():
        return float("nan")
    t = np.max(np.abs(draws[:, ok] / se[ok]), axis=1)
    return float(np.quantile(t, 1 - alpha, method="inverted_cdf"))


def resample_se(
    statistic: Callable[[np.ndarray], float],
    n: int,
    reps: int,
    random_state: int | None,
    *,
    clusters: np.ndarray | None = None,
    strata: np.ndarray | None = None,
) -> tuple[float, np.ndarray]:
    """Bootstrap SE of ``statistic(index_array)`` by resampling rows (or whole clusters).

    With ``strata`` (e.g. the treatment arm), rows are resampled within each stratum so every
    resample keeps the stratum sizes. Returns (SE, the replicate estimates). Replicates where the
    statistic is undefined (NaN) are an error: a silent drop would bias the SE.
    """
    rng = np.random.default_rng(random_state)
    draws = np.empty(reps)
    if clusters is None and strata is not None:
        groups = [np.flatnonzero(strata == s) for s in np.unique(strata)]
        for b in _replicates(reps):
            draws[b] = statistic(np.concatenate([g[rng.integers(0, len(g), len(g))] for g in groups]))
    elif clusters is None:
        for b in _replicates(reps):
            draws[b] = statistic(rng.integers(0, n, n))
    else:
        clusters = np.asarray(clusters)
        order = np.argsort(clusters, kind="stable")
        bounds = np.flatnonzero(np.diff(clusters[order])) + 1
        members = np.split(order, bounds)
        g = len(members)
        for b in _replicates(reps):
            pick = rng.integers(0, g, g)
            draws[b] = statistic(np.concatenate([members[j] for j in pick]))
    bad = ~np.isfinite(draws)
    if bad.any():
        raise EstimationError(
            f"{int(bad.sum())} of {reps} bootstrap resamples gave an undefined estimate (e.g. a resample "
            "with no treated or no control unit); use an analytic standard error instead."
        )
    return float(np.std(draws, ddof=1)), draws


def _replicates(reps: int) -> Iterator[int]:
    """0 .. reps - 1, ticked on the progress display (each replicate is a whole re-estimation)."""
    return progress(range(reps), desc="bootstrap", total=reps, unit="resample")
