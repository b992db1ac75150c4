"""Row-blocked passes over a tall design matrix: Gram matrices and the fused Newton evaluation.

A design ``z`` of 10^6-10^7 rows and a dozen columns is read from memory at a few GB/s: every
pass over it costs as much as the arithmetic it feeds. The functions here read ``z`` once per
pass, in blocks of :data:`ROWS` rows whose temporaries (``sqrt(v) z`` of the block, link values)
are small, reused and stay in the CPU caches, instead of allocating (n, k) or (n,) arrays that the
operating system must hand out page by page:

* :func:`weighted_gram`: ``Z' diag(v) Z`` as a sum of block rank-k updates (BLAS syrk).
* :func:`weighted_cross`: ``G' G`` for ``G = [r_1 z_1, ..., r_m z_m]``, the meat of stacked
  sandwich covariances, without forming G.
* :func:`evaluate_binary`: for a logit/probit coefficient vector, the linear predictor, the
  probabilities, the generalized residuals, the log-likelihood, and (optionally) the gradient
  ``Z' W r`` and the information ``Z' diag(w h) Z`` in the *same* pass, so a Newton iteration
  reads the design once (a plain Newton loop reads it three times: ``Z b``, ``Z' W r`` and the
  Hessian).

Sums taken block by block differ from one-shot sums only in the order of floating-point
additions (relative differences of order 1e-15); the block size is fixed, so results are
reproducible.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import special

__all__ = ["ROWS", "BinaryState", "evaluate_binary", "link_parts", "shifted_moments", "weighted_cross",
           "weighted_gram"]

#: rows per block: 8192 x 8 bytes = 64 KB per column temporary, below glibc's mmap threshold
ROWS = 8192


def weighted_gram(z: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``Z' diag(v) Z`` for v >= 0, summed over row blocks of ``sqrt(v) Z`` (one syrk per block)."""
    n, k = z.shape
    acc = np.zeros((k, k))
    if n == 0:
        return acc
    rows = min(ROWS, n)
    buf = np.empty((rows, k))
    root = np.empty(rows)
    for s in range(0, n, rows):
        e = min(s + rows, n)
        m = e - s
        np.sqrt(v[s:e], out=root[:m])
        zb = np.multiply(z[s:e], root[:m, None], out=buf[:m])
        acc += zb.T @ zb
    return acc


def shifted_moments(x: np.ndarray, w: np.ndarray | None = None, split: np.ndarray | None = None
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Weighted column moments about the first row c = x[0], by row blocks (no (n, k) temporary).

    Returns (c, sum w, sum w^2, sum w (x - c), sum w (x - c)^2), the last four with one row per
    group: all rows, or with ``split`` (bool per row) the rows where it is True, then False.
    ``w`` None: unit weights. The shift keeps ``sum w (x - c)^2 / sum w - (mean - c)^2`` well
    conditioned whatever the columns' location.
    """
    n, k = x.shape
    groups = 1 if split is None else 2
    sw, sww = np.zeros(groups), np.zeros(groups)
    first, second = np.zeros((groups, k)), np.zeros((groups, k))
    shift = x[0].astype(np.float64) if n else np.zeros(k)
    rows = max(1, min(ROWS, n))
    buf = np.empty((rows, k))
    ones = np.ones(rows)  # row sums as BLAS products (faster than sum(axis=0) on C-ordered blocks)
    for start in range(0, n, rows):
        dev = np.subtract(x[start:start + rows], shift, out=buf[:min(rows, n - start)])
        wb = ones[:dev.shape[0]] if w is None else w[start:start + rows]
        if split is None:
            parts = (wb,)
        else:
            sb = split[start:start + rows]
            parts = (np.where(sb, wb, 0.0), np.where(sb, 0.0, wb))
        for g, wg in enumerate(parts):
            sw[g] += wg.sum()
            sww[g] += np.dot(wg, wg)
            first[g] += wg @ dev
        np.multiply(dev, dev, out=dev)
        for g, wg in enumerate(parts):
            second[g] += wg @ dev
    return shift, sw, sww, first, second


def weighted_cross(parts: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """``G' G`` for ``G = [r_1 z_1 | r_2 z_2 | ...]`` (``r_b`` (n,), ``z_b`` (n, k_b)), by row blocks."""
    n = parts[0][1].shape[0]
    widths = [z.shape[1] for _, z in parts]
    total = sum(widths)
    acc = np.zeros((total, total))
    if n == 0:
        return acc
    rows = min(ROWS, n)
    buf = np.empty((rows, total))
    for s in range(0, n, rows):
        e = min(s + rows, n)
        m = e - s
        col = 0
        for (r, z), kb in zip(parts, widths, strict=True):
            np.multiply(z[s:e], r[s:e, None], out=buf[:m, col:col + kb])
            col += kb
        gb = buf[:m]
        acc += gb.T @ gb
    return acc


def link_parts(eta: np.ndarray, y: np.ndarray, link: str, *, hessian: bool = True) -> tuple[np.ndarray, ...]:
    """(prob, loglik contributions, generalized residual, information weight, dp/deta)."""
    if link == "logit":
        p = special.expit(eta)
        # log(1 + e^eta) = max(eta, 0) + log1p(e^-|eta|): the stable form np.logaddexp(0, eta) also
        # uses, written out (numpy's general two-argument version is about six times slower)
        soft = np.abs(eta)
        np.negative(soft, out=soft)
        np.exp(soft, out=soft)
        np.log1p(soft, out=soft)
        soft += np.maximum(eta, 0.0)
        ll = y * eta - soft
        r = y - p
        h = p * (1.0 - p)
        return p, ll, r, h, h
    log_phi = -0.5 * eta * eta - 0.5 * math.log(2.0 * math.pi)
    log_cdf_pos = special.log_ndtr(eta)
    log_cdf_neg = special.log_ndtr(-eta)
    p = special.ndtr(eta)
    is1 = y == 1
    ll = np.where(is1, log_cdf_pos, log_cdf_neg)
    r = np.where(is1, np.exp(log_phi - log_cdf_pos), -np.exp(log_phi - log_cdf_neg))
    h = r * (r + eta) if hessian else r
    return p, ll, r, h, np.exp(log_phi)


@dataclass(eq=False)
class BinaryState:
    """A logit/probit model evaluated at one coefficient vector (buffers reused across iterations)."""

    eta: np.ndarray = field(repr=False)
    prob: np.ndarray = field(repr=False)
    resid: np.ndarray = field(repr=False)
    weight: np.ndarray = field(repr=False)  # the information weight h (logit: p (1 - p))
    loglik: float = 0.0
    grad: np.ndarray | None = None  # Z' (w r)
    info: np.ndarray | None = None  # Z' diag(w h) Z

    @classmethod
    def empty(cls, n: int) -> BinaryState:
        return cls(eta=np.empty(n), prob=np.empty(n), resid=np.empty(n), weight=np.empty(n))


def evaluate_binary(z: np.ndarray, y: np.ndarray, w: np.ndarray, gamma: np.ndarray, link: str,
                    state: BinaryState, *, derivatives: bool, abs_max: np.ndarray | None = None) -> BinaryState:
    """Fill ``state`` with the model at ``gamma`` in one pass over ``z``: ``eta = Z gamma``, the link
    values, the log-likelihood ``sum w ll``, and with ``derivatives`` the gradient and information.
    ``abs_max`` (k zeros) receives ``max_i |z_ij|`` per column, taken from the blocks on the way."""
    n, k = z.shape
    rows = max(1, min(ROWS, n))
    loglik = 0.0
    grad = np.zeros(k) if derivatives else None
    info = np.zeros((k, k)) if derivatives else None
    buf = np.empty((rows, k)) if derivatives else None
    for s in range(0, n, rows):
        e = min(s + rows, n)
        m = e - s
        eb = np.matmul(z[s:e], gamma, out=state.eta[s:e])
        p, ll, r, h, _ = link_parts(eb, y[s:e], link)
        state.prob[s:e] = p
        state.resid[s:e] = r
        state.weight[s:e] = h
        wb = w[s:e]
        loglik += float(np.dot(wb, ll))
        if derivatives:
            zb = z[s:e]
            grad += np.multiply(wb, r, out=r) @ zb
            root = np.sqrt(np.multiply(wb, h, out=ll), out=ll)
            zw = np.multiply(zb, root[:, None], out=buf[:m])
            info += zw.T @ zw
            if abs_max is not None:
                np.maximum(abs_max, np.abs(zb, out=zw).max(axis=0), out=abs_max)
    state.loglik, state.grad, state.info = loglik, grad, info
    return state
