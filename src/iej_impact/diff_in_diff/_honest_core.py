"""The numerics of Rambachan & Roth (2023) robust confidence sets: relative magnitudes and smoothness.

Notation. ``beta`` stacks the P pre-period then the T post-period event-study coefficients (the
reference period, normalised to 0, left out), ``sigma`` is their covariance and the parameter is
theta = l'tau_post. The coefficients are beta = tau + delta with tau_pre = 0: delta is the
difference in trends (the violation of parallel trends), delta_0 = 0 at the reference period.

* Relative magnitudes, Delta^RM(Mbar): every post-period first difference |delta_t - delta_{t-1}|
  is at most Mbar times the largest pre-period first difference. It is the union over the location
  s and the sign of that largest difference of polyhedra {A delta <= 0}; the confidence set is the
  union of the sets of each polyhedron (Rambachan & Roth 2023, section 5.3). Each is inverted from
  the moment-inequality test of Andrews, Roth & Pakes (2023) with the other post-period effects as
  nuisance parameters, in its conditional-least-favourable hybrid form (first stage: the least
  favourable test of size kappa = alpha / 10, critical value simulated; second stage: the conditional
  test at level (alpha - kappa) / (1 - kappa), truncated above by that critical value). The
  statistic eta = min over the nuisance of max_i (y_i - X_i tau)/sd_i is a linear programme; its
  value is the largest of gamma'y over the vertices gamma of the dual polytope
  {gamma >= 0, sd'gamma = 1, X'gamma = 0}: the extreme rays of {gamma >= 0, X'gamma = 0} scaled by
  1/sd'gamma. X does not depend on Mbar, s or the sign, so the rays are enumerated once, and the
  test, its conditioning values (V^lo, V^up) and the least-favourable draws are matrix products
  over the whole grid of theta (ARP's primal and dual routes compute the same numbers).
* Smoothness, Delta^SD(M): every second difference of delta is at most M in absolute value. The
  fixed-length confidence interval (FLCI, Armstrong & Kolesar 2018; Rambachan & Roth section 4.1)
  is l'beta_post + w'beta_pre +- chi, where the pre-period weights w minimise the half-length
  chi = sd * cv_alpha(max bias / sd), cv_alpha(b) the 1 - alpha quantile of |N(b, 1)|. The bias is
  finite only if w removes linear trends; written in second differences, the worst-case bias is
  M times a sum of absolute values of linear functions of w, and the programme (convex) is solved
  with SLSQP from two starting points.

Written from the paper and the behaviour of the R package HonestDiD 0.2.8 (same restrictions,
same grid convention, same defaults: kappa = alpha / 10, 1,000 draws for the least favourable
critical value); differences are listed in the docstring of :func:`~iej_impact.honest_did`.

References
----------
Rambachan, A. and Roth, J. (2023). A more credible approach to parallel trends. Review of Economic
Studies 90(5), 2555-2591.
Andrews, I., Roth, J. and Pakes, A. (2023). Inference for linear conditional moment inequalities.
Review of Economic Studies 90(6), 2763-2791.
Armstrong, T. B. and Kolesar, M. (2018). Optimal inference in a class of regression models.
Econometrica 86(2), 655-683.
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special, stats

from ..errors import SpecificationError

__all__ = ["RMSet", "extreme_rays", "flci", "folded_normal_quantile", "rm_rows", "sd_bias_terms"]

#: at most this many candidate bases when enumerating the dual vertices (C(2T, T) for T post periods)
MAX_BASES = 200_000


# ----------------------------------------------------------------------------------------- distributions


def folded_normal_quantile(b: float, alpha: float) -> float:
    """The 1 - alpha quantile of |N(b, 1)|: c with Phi(c - b) - Phi(-c - b) = 1 - alpha (exact, no simulation)."""
    b = abs(float(b))
    lo, hi = b + special.ndtri(1 - alpha), b + special.ndtri(1 - alpha / 2)
    if not np.isfinite(b):
        return float(lo)

    def gap(c: float) -> float:
        return float(special.ndtr(c - b) - special.ndtr(-c - b) - (1 - alpha))

    if gap(lo) >= 0:  # Phi(-c - b) is 0 in double precision
        return float(lo)
    return float(optimize.brentq(gap, lo, hi, xtol=1e-14, rtol=4 * np.finfo(float).eps))


def _folded_derivative(c: float, b: float) -> float:
    """d cv / d b of the folded-normal quantile c(b) (implicit differentiation)."""
    f1, f2 = stats.norm.pdf(c - b), stats.norm.pdf(c + b)
    return float((f1 - f2) / (f1 + f2))


def truncnorm_quantile(p: float, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The p quantile of N(0, 1) truncated to [lo, hi] (vectorised; upper tail computed on the mirror)."""
    lo, hi = np.broadcast_arrays(np.asarray(lo, dtype=float), np.asarray(hi, dtype=float))
    out = np.empty(lo.shape)
    upper = lo > 0  # right tail: work with the mirror image -X on [-hi, -lo], quantile 1 - p
    for mask, a, b, q, sign in ((upper, -hi, -lo, 1 - p, -1.0), (~upper, lo, hi, p, 1.0)):
        if mask.any():
            la, lb = special.log_ndtr(a[mask]), special.log_ndtr(b[mask])
            # log(Phi(a) + q (Phi(b) - Phi(a))) without cancellation
            with np.errstate(divide="ignore"):
                lt = lb + np.log(q + (1 - q) * np.exp(la - lb))
            out[mask] = sign * special.ndtri_exp(lt)
    return out


def symmetric_root(sigma: np.ndarray) -> np.ndarray:
    """V diag(sqrt(max(lambda, 0))) V': the root used to draw N(0, sigma) (as R's mvtnorm, method "eigen")."""
    values, vectors = np.linalg.eigh(sigma)
    return (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T


# ----------------------------------------------------------------------------------------- relative magnitudes


def rm_rows(n_pre: int, n_post: int, mbar: float, s: int, positive: bool) -> np.ndarray:
    """The post-period rows of Delta^RM for the largest pre-period first difference at s (<= 0), its sign.

    Columns: delta_{-P}, ..., delta_{-1}, delta_1, ..., delta_T (delta_0 = 0 left out). Rows, upper then
    lower for t = 1..T: +-(delta_t - delta_{t-1}) - Mbar * sign * (delta_s - delta_{s-1}) <= 0.
    """
    k = n_pre + n_post

    def unit(t: int) -> np.ndarray:
        e = np.zeros(k)
        if t != 0:
            e[n_pre + t if t < 0 else n_pre + t - 1] = 1.0
        return e

    v = (unit(s) - unit(s - 1)) * (1.0 if positive else -1.0)
    diffs = [unit(t) - unit(t - 1) for t in range(1, n_post + 1)]
    return np.array([d - mbar * v for d in diffs] + [-d - mbar * v for d in diffs])


def _gamma_basis(l_vec: np.ndarray) -> np.ndarray:
    """An invertible T x T matrix whose first row is l' (then the unit vectors but the last non-zero one of l)."""
    nz = np.flatnonzero(l_vec)
    drop = int(nz[-1])
    rows = [l_vec] + [np.eye(len(l_vec))[j] for j in range(len(l_vec)) if j != drop]
    return np.array(rows)


def extreme_rays(x: np.ndarray) -> np.ndarray:
    """Extreme rays of the cone {gamma >= 0, x'gamma = 0} (one per row, each summing to 1).

    The vertices of {gamma >= 0, sd'gamma = 1, x'gamma = 0} are these rays scaled by 1 / sd'ray, so
    the rays serve every polyhedron with the same nuisance columns. A ray has at most k + 1 non-zero
    entries (k = columns of x): each candidate support B of size k + 1 with rank(x_B) = k gives the
    null vector of x_B', kept when its entries share one sign.
    """
    m, k = x.shape
    n_bases = math.comb(m, k + 1)
    if n_bases > MAX_BASES:
        raise SpecificationError(f"honest_did(): {k + 1} post periods make {n_bases} candidate vertices for the "
                                 "relative-magnitudes test; restrict the event times (window=...) to fewer post periods.")
    if k == 0:
        return np.eye(m)
    found = []
    combos = itertools.combinations(range(m), k + 1)
    while True:
        chunk = np.array(list(itertools.islice(combos, 20_000)), dtype=np.int64)
        if chunk.size == 0:
            break
        mats = np.transpose(x[chunk], (0, 2, 1))  # (c, k, k + 1)
        _, sv, vt = np.linalg.svd(mats)
        scale = np.maximum(sv[:, 0], 1e-300)
        full_rank = sv[:, -1] > 1e-10 * scale
        null = vt[:, -1, :]  # the right singular vector of the (k + 1)-th, zero, singular value
        null = null * np.where(null.sum(axis=1, keepdims=True) < 0, -1.0, 1.0)
        tol = 1e-10 * np.abs(null).max(axis=1, keepdims=True)
        good = full_rank & np.all(null >= -tol, axis=1)
        for idx, g in zip(chunk[good], null[good], strict=True):
            ray = np.zeros(m)
            ray[idx] = np.clip(g, 0.0, None)
            found.append(ray / ray.sum())
    if not found:
        raise SpecificationError("honest_did(): the moment inequalities have no dual vertex (degenerate restriction).")
    rays = np.array(found)
    _, keep = np.unique(np.round(rays, 10), axis=0, return_index=True)
    return rays[np.sort(keep)]


@functools.lru_cache(maxsize=32)
def _rm_rays(n_post: int, l_key: tuple[float, ...]) -> np.ndarray:
    """The rays of the relative-magnitudes polyhedra: their post-period part does not depend on Mbar, s or sign."""
    l_vec = np.array(l_key)
    post = rm_rows(1, n_post, 0.0, 0, True)[:, 1:] @ np.linalg.inv(_gamma_basis(l_vec))
    return extreme_rays(post[:, 1:])


@dataclass(frozen=True)
class _Polyhedron:
    """One polyhedron {A delta <= 0} of a union, ready to test theta: y(theta) = Y - a theta, nuisance X."""

    y: np.ndarray
    a: np.ndarray
    sigma: np.ndarray
    vertices: np.ndarray  # (n_vertices, m)
    lf_cv: float  # least favourable critical value (inf: no first stage)

    @classmethod
    def build(cls, rows: np.ndarray, beta: np.ndarray, sigma: np.ndarray, n_pre: int, l_vec: np.ndarray,
              kappa: float, draws: np.ndarray | None, rays: np.ndarray | None = None) -> _Polyhedron:
        post = rows[:, n_pre:] @ np.linalg.inv(_gamma_basis(l_vec))
        sig_y = rows @ sigma @ rows.T
        sd = np.sqrt(np.clip(np.diag(sig_y), 0.0, None))
        if np.any(sd <= 0):
            raise SpecificationError("honest_did(): a moment of the restriction has zero variance; check sigma.")
        rays = _rm_rays(len(l_vec), tuple(float(v) for v in l_vec)) if rays is None else rays
        vertices = rays / (rays @ sd)[:, None]
        lf_cv = np.inf
        if draws is not None:
            eta = ((draws @ symmetric_root(sig_y)) @ vertices.T).max(axis=1)
            lf_cv = float(np.quantile(eta, 1 - kappa))
        return cls(y=rows @ beta, a=post[:, 0], sigma=sig_y, vertices=vertices, lf_cv=lf_cv)

    def reject(self, thetas: np.ndarray, alpha: float, kappa: float) -> np.ndarray:
        """Whether the (hybrid) conditional test rejects each theta."""
        y = self.y[None, :] - thetas[:, None] * self.a[None, :]
        values = y @ self.vertices.T
        best = np.argmax(values, axis=1)
        eta = values[np.arange(len(thetas)), best]
        g = self.vertices[best]
        sg = g @ self.sigma
        s2 = np.einsum("ij,ij->i", sg, g)
        degenerate = np.abs(s2) < np.finfo(float).eps
        s2 = np.where(degenerate, 1.0, s2)
        b = sg / s2[:, None]
        num = (y - b * eta[:, None]) @ self.vertices.T
        den = 1.0 - b @ self.vertices.T
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = num / den
        vlo = np.max(np.where(den > 1e-9, ratio, -np.inf), axis=1)
        vup = np.min(np.where(den < -1e-9, ratio, np.inf), axis=1)
        s_b = np.sqrt(s2)
        first = eta > self.lf_cv
        size = (alpha - kappa) / (1 - kappa)
        zlo, zup, stat = vlo / s_b, np.minimum(vup, self.lf_cv) / s_b, eta / s_b
        inside = (zlo <= stat) & (stat <= zup) & (zlo < zup)
        cval = np.zeros(len(thetas))
        if inside.any():
            cval[inside] = np.maximum(0.0, truncnorm_quantile(1 - size, zlo[inside], zup[inside]))
        second = inside & (stat > cval)
        return np.where(degenerate, first | (eta > 0), first | second)


class RMSet:
    """The Delta^RM(Mbar) confidence set: union over (s, sign) of the polyhedra's acceptance regions.

    ``method``: "C-LF" (least favourable hybrid, kappa = alpha / 10) or "conditional" (kappa = 0).
    ``draws``: standard normal draws (n x 2T) for the least favourable critical value (C-LF only).
    """

    def __init__(self, beta: np.ndarray, sigma: np.ndarray, n_pre: int, l_vec: np.ndarray, mbar: float,
                 alpha: float, method: str, draws: np.ndarray | None) -> None:
        n_post = len(l_vec)
        self.alpha = alpha
        self.kappa = alpha / 10 if method == "C-LF" else 0.0
        self.polyhedra = [
            _Polyhedron.build(rm_rows(n_pre, n_post, mbar, s, positive), beta, sigma, n_pre, l_vec, self.kappa,
                              draws if method == "C-LF" else None)
            for s in range(-(n_pre - 1), 1) for positive in (True, False)
        ]

    def accept(self, thetas: np.ndarray) -> np.ndarray:
        thetas = np.atleast_1d(np.asarray(thetas, dtype=float))
        out = np.zeros(len(thetas), dtype=bool)
        for poly in self.polyhedra:
            out |= ~poly.reject(thetas, self.alpha, self.kappa)
        return out


# ----------------------------------------------------------------------------------------- smoothness (FLCI)


def sd_bias_terms(n_pre: int, l_vec: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, float]:
    """Pieces of the worst-case bias of l'beta_post + w'beta_pre over Delta^SD(1).

    Returns (post constant, U, trend vector t_pre, trend target): the bias is
    const + sum_m |U_m w| when t_pre'w = target (no linear-trend bias), +inf otherwise.
    Derivation: delta_t = g t + r_t with r_0 = r_{-1} = 0; r is a linear map of the second
    differences s_j, each free in [-M, M]; the post coefficient of s_j (j = 0..T-1) is
    sum_{t > j} l_t (t - j), the pre coefficient of s_{-m} (m = 1..P-1) is sum_{k > m} (k - m) w_{-k}.
    """
    n_post = len(l_vec)
    t_post = np.arange(1, n_post + 1, dtype=float)
    const = float(sum(abs(np.dot(l_vec[j:], t_post[j:] - j)) for j in range(n_post)))
    # w is ordered by period -P..-1: w_{-k} sits at position P - k
    u = np.zeros((max(n_pre - 1, 0), n_pre))
    for m in range(1, n_pre):
        for k in range(m + 1, n_pre + 1):
            u[m - 1, n_pre - k] = k - m
    t_pre = -np.arange(n_pre, 0, -1, dtype=float)
    return const, u, t_pre, -float(np.dot(l_vec, t_post))


@dataclass(frozen=True)
class FLCI:
    """A fixed-length confidence interval: centre +- half_length, with its pre-period weights."""

    center: float
    half_length: float
    weights: np.ndarray
    max_bias: float
    std_error: float

    @property
    def interval(self) -> tuple[float, float]:
        return (self.center - self.half_length, self.center + self.half_length)


def _min_variance_weights(s_pre: np.ndarray, s_cross: np.ndarray, t_pre: np.ndarray, target: float) -> np.ndarray:
    """argmin_w w'S_pre w + 2 w's_cross subject to t_pre'w = target (KKT system)."""
    p = len(t_pre)
    kkt = np.zeros((p + 1, p + 1))
    kkt[:p, :p] = 2 * s_pre
    kkt[:p, p] = kkt[p, :p] = t_pre
    rhs = np.concatenate([-2 * s_cross, [target]])
    return np.linalg.lstsq(kkt, rhs, rcond=None)[0][:p]


def flci(beta: np.ndarray, sigma: np.ndarray, n_pre: int, l_vec: np.ndarray, m: float, alpha: float) -> FLCI:
    """The optimal FLCI for theta = l'tau_post under Delta^SD(m)."""
    const, u, t_pre, target = sd_bias_terms(n_pre, l_vec)
    s_pre = sigma[:n_pre, :n_pre]
    s_cross = sigma[:n_pre, n_pre:] @ l_vec
    v_post = float(l_vec @ sigma[n_pre:, n_pre:] @ l_vec)

    def sd_of(w: np.ndarray) -> float:
        return math.sqrt(max(v_post + 2 * w @ s_cross + w @ s_pre @ w, 1e-300))

    def bias_of(w: np.ndarray) -> float:
        return m * (const + float(np.abs(u @ w).sum()))

    def half(w: np.ndarray) -> float:
        s = sd_of(w)
        return s * folded_normal_quantile(bias_of(w) / s, alpha)

    w_var = _min_variance_weights(s_pre, s_cross, t_pre, target)
    best = w_var
    if m > 0 and n_pre > 1:
        w_bias = np.zeros(n_pre)
        w_bias[-1] = -target  # all weight on delta_{-1}: no pre-period second difference in the bias
        q = u.shape[0]

        def objective(x: np.ndarray) -> tuple[float, np.ndarray]:
            w, z = x[:n_pre], x[n_pre:]
            s = sd_of(w)
            bias = m * (const + z.sum())
            c = folded_normal_quantile(bias / s, alpha)
            dc = _folded_derivative(c, bias / s)
            ds = (s_cross + s_pre @ w) / s
            return s * c, np.concatenate([(c - dc * bias / s) * ds, np.full(q, m * dc)])

        cons = [{"type": "eq", "fun": lambda x: np.array([t_pre @ x[:n_pre] - target]),
                 "jac": lambda x: np.concatenate([t_pre, np.zeros(q)])[None, :]},
                {"type": "ineq", "fun": lambda x: np.concatenate([x[n_pre:] - u @ x[:n_pre], x[n_pre:] + u @ x[:n_pre]]),
                 "jac": lambda x: np.block([[-u, np.eye(q)], [u, np.eye(q)]])}]
        for start in (w_var, w_bias):
            x0 = np.concatenate([start, np.abs(u @ start) + 1e-12])
            fit = optimize.minimize(objective, x0, jac=True, method="SLSQP", constraints=cons,
                                    options={"ftol": 1e-15, "maxiter": 500})
            w = fit.x[:n_pre]
            w = w + t_pre * (target - t_pre @ w) / (t_pre @ t_pre)  # exactly on the constraint
            if half(w) < half(best):
                best = w
        if half(w_bias) < half(best):
            best = w_bias
    s = sd_of(best)
    return FLCI(center=float(l_vec @ beta[n_pre:] + best @ beta[:n_pre]), half_length=half(best), weights=best,
                max_bias=bias_of(best), std_error=s)
