"""The panel 2x2 DiD with covariates as a linear map of the outcome change, for data that arrive in chunks.

For fixed units, groups, weights and covariates, the three panel estimators of
:func:`iej_impact.diff_in_diff._two_by_two.panel_2x2` (``reg``, ``ipw``, ``dr``; Sant'Anna & Zhao
2020) are linear in the outcome change dy = Y_post - Y_pre: the propensity score, the design and
the outcome-regression Gram matrix do not depend on the outcome. Every estimate and influence
function then depends on dy through a few weighted sums only,

    s = H' dy,   H = [w_t, w_c, w_c0 Z, w_c Z]    (n x (2 + 2p)),

with w_t the treated weights, w_c the (trimmed) odds weights of the comparison units, w_c0 the
comparison weights of the outcome regression and Z the centred and scaled design with its
constant (p columns), and the influence function of unit i is

    psi_i = f(dy_i, unit i's weights and covariates, s).

:class:`LinearPanel2x2` holds what does not depend on the outcome (fitted once on the units'
covariates, which fit in memory), :meth:`~LinearPanel2x2.sums` gives the rows of H for any subset
of the units, :meth:`~LinearPanel2x2.att` the estimate from s, and :meth:`~LinearPanel2x2.psi` the
influence-function rows of any subset given s. A caller streaming the outcomes in unit chunks
makes two passes: one summing H' dy, one evaluating psi. The formulas are those of ``panel_2x2``
(DRDID::reg_did_panel, std_ipw_did_panel, drdid_panel) rearranged; :func:`evaluate` applies them
to all units at once and agrees with ``panel_2x2`` to rounding (tests/test_panel_linear.py).

Reference: Sant'Anna, P. H. C. and Zhao, J. (2020). Doubly robust difference-in-differences
estimators. Journal of Econometrics 219(1), 101-122.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special

from .._mestimation import check_gram, weighted_gram
from ..observational._design import scaled_with_intercept

__all__ = ["LinearPanel2x2", "fit_linear", "evaluate", "ols_what", "PS_CAP"]

#: propensity scores are capped here (DRDID >= 1.1.0) so that p / (1 - p) stays finite
PS_CAP = 1.0 - 1e-6


def ols_what(group: str, period: str = "") -> str:
    """How singularity errors name an outcome regression."""
    return f"outcome regression of the {group} group" + (f" in the {period} period" if period else "")


@dataclass(frozen=True)
class LinearPanel2x2:
    """The outcome-free part of a panel 2x2 with covariates (see the module docstring).

    ``x`` arguments hold the covariates with the constant first (as ``panel_2x2``), ``d`` the 0/1
    treatment, ``w`` the raw weights and ``p`` the capped propensity scores of the same rows (from
    :attr:`score`, ignored by ``reg``).
    """

    method: str
    n: int
    mean_w: float
    centre: np.ndarray
    spread: np.ndarray
    trim_level: float
    gram: np.ndarray | None  # Z' W_c0 Z of the outcome regression (reg, dr)
    a_ols: np.ndarray | None  # (gram / n)^-1
    a_ps: np.ndarray | None  # the logit's inverse bread (ipw, dr)
    sum_t: float
    sum_c: float
    zwt: np.ndarray
    zwc: np.ndarray
    zwcz: np.ndarray
    score: np.ndarray | None = None  # capped propensity scores of the n units (ipw, dr)
    coef: np.ndarray | None = None  # the logit's coefficients on the design (ipw, dr)
    n_trimmed: int = 0
    max_score: float = float("nan")
    converged: bool = True
    separation: dict[str, Any] | None = None

    @property
    def width(self) -> int:
        """Number of columns of H (2 + 2p)."""
        return 2 + 2 * len(self.zwt)

    def design(self, x: np.ndarray) -> np.ndarray:
        """Z of these rows: the constant, then the covariates centred and scaled as in the fit."""
        z = np.empty(x.shape, dtype=np.float64)
        z[:, 0] = 1.0
        np.subtract(x[:, 1:], self.centre, out=z[:, 1:])
        z[:, 1:] /= self.spread
        return z

    def scores(self, x: np.ndarray) -> np.ndarray:
        """The capped propensity scores of these rows from the logit's coefficients: those of :attr:`score`
        (bar rounding) unless the logit is separated (its perfectly predicted units have scores of 0 or 1)."""
        assert self.coef is not None
        return np.minimum(special.expit(self.design(x) @ self.coef), PS_CAP)

    def _weights(self, d: np.ndarray, w: np.ndarray, p: np.ndarray | None
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(normalised w, treated weights w_t, odds weights w_c, regression weights w_c0) of these rows."""
        wn = w / self.mean_w
        if self.method == "reg" or p is None:
            return wn, wn * d, np.zeros_like(wn), wn * (1 - d)
        keep = np.where(d == 0, (p < self.trim_level).astype(float), 1.0)
        return wn, keep * wn * d, keep * wn * p * (1 - d) / (1 - p), wn * (1 - d)

    def sums(self, x: np.ndarray, d: np.ndarray, w: np.ndarray, p: np.ndarray | None) -> np.ndarray:
        """The rows of H (rows x width): H' dy summed over all units is s."""
        z = self.design(x)
        _, wt, wc, wc0 = self._weights(d, w, p)
        return np.column_stack([wt, wc, z * wc0[:, None], z * wc[:, None]])

    def _parts(self, s: np.ndarray) -> tuple[np.ndarray, ...]:
        k = len(self.zwt)
        s = s if s.ndim == 2 else s[:, None]
        s_t, s_c, s_b, s_m = s[0], s[1], s[2:2 + k], s[2 + k:]
        beta = np.linalg.solve(self.gram, s_b) if self.gram is not None else np.zeros_like(s_b)
        if self.method == "reg":
            eta_t, eta_c = s_t / self.sum_t, self.zwt @ beta / self.sum_t
        else:
            eta_t = (s_t - self.zwt @ beta) / self.sum_t
            eta_c = (s_c - self.zwc @ beta) / self.sum_c
        return beta, eta_t, eta_c, s_m

    def att(self, s: np.ndarray) -> np.ndarray:
        """The ATT of each column of s (width x m)."""
        _, eta_t, eta_c, _ = self._parts(s)
        return eta_t - eta_c

    def psi(self, x: np.ndarray, d: np.ndarray, w: np.ndarray, p: np.ndarray | None, dy: np.ndarray,
            s: np.ndarray) -> np.ndarray:
        """Influence-function rows (rows x m) of these units, given their changes dy (rows x m) and s."""
        beta, eta_t, eta_c, s_m = self._parts(s)
        n = self.n
        z = self.design(x)
        wn, wt, wc, wc0 = self._weights(d, w, p)
        mwt, mwc = self.sum_t / n, self.sum_c / n
        if self.method == "reg":
            assert self.a_ols is not None
            zb = z @ beta
            qt = z @ (self.a_ols.T @ (self.zwt / n))
            return (wt[:, None] * (dy - eta_t) - wt[:, None] * (zb - eta_c)
                    - (wc0 * qt)[:, None] * (dy - zb)) / mwt
        assert self.a_ps is not None and p is not None
        if self.method == "ipw":
            m2 = (s_m - self.zwc[:, None] * eta_c) / n
            proj = (wn * (d - p))[:, None] * (z @ (self.a_ps.T @ m2))
            return wt[:, None] * (dy - eta_t) / mwt - (wc[:, None] * (dy - eta_c) + proj) / mwc
        assert self.a_ols is not None
        r = dy - z @ beta
        qt = z @ (self.a_ols.T @ (self.zwt / n))
        qc = z @ (self.a_ols.T @ (self.zwc / n))
        inf_treat = (wt[:, None] * (r - eta_t) - (wc0 * qt)[:, None] * r) / mwt
        m2 = (s_m - self.zwcz @ beta - self.zwc[:, None] * eta_c) / n
        proj = (wn * (d - p))[:, None] * (z @ (self.a_ps.T @ m2))
        return inf_treat - (wc[:, None] * (r - eta_c) + proj - (wc0 * qc)[:, None] * r) / mwc


def fit_linear(x: np.ndarray, d: np.ndarray, w: np.ndarray, method: str, trim_level: float = 0.995,
               ps: Any = None, names: Sequence[str] | None = None, func: str = "att_gt") -> LinearPanel2x2:
    """The outcome-free part of ``panel_2x2(dy, d, x, w, method, trim_level)`` on these n units.

    ``ps`` (ipw, dr; ignored by reg) is the propensity score fitted on the same rows by
    :func:`iej_impact.diff_in_diff._two_by_two.pscore_fit` with the weights normalised to mean 1.
    Checks the outcome regression's Gram matrix (reg, dr) with the error of ``panel_2x2``
    (EstimationError naming collinear covariates).
    """
    n = len(d)
    mean_w = float(w.mean())
    wn = w / mean_w
    z, centre, spread = scaled_with_intercept(x[:, 1:], wn)
    cov_names = [f"x{j}" for j in range(1, x.shape[1])] if names is None else list(names)
    facts: dict[str, Any] = {}
    a_ps = score = None
    if method in ("ipw", "dr"):
        if ps is None:
            raise ValueError(f"fit_linear(): method {method!r} needs the fitted propensity score 'ps'.")
        score, a_ps = ps.p, ps.lin.a_inv
        facts = {"score": score, "n_trimmed": int(np.sum((ps.keep == 0) & (d == 0))),
                 "max_score": float(score.max()), "converged": ps.converged, "separation": ps.separation,
                 "coef": getattr(ps, "params", None)}
    gram = a_ols = None
    if method in ("reg", "dr"):
        gram = weighted_gram(z, wn * (1 - d))
        check_gram(gram, cov_names, func, ols_what("comparison"))
        a_ols = np.linalg.inv(gram / n)
    shell = LinearPanel2x2(method, n, mean_w, centre, spread, trim_level, gram, a_ols, a_ps, 0.0, 0.0,
                           np.zeros(z.shape[1]), np.zeros(z.shape[1]), np.zeros((z.shape[1],) * 2))
    _, wt, wc, _ = shell._weights(d, w, score)
    return LinearPanel2x2(method, n, mean_w, centre, spread, trim_level, gram, a_ols, a_ps, float(wt.sum()),
                          float(wc.sum()), z.T @ wt, z.T @ wc, (z * wc[:, None]).T @ z, **facts)


def evaluate(lin: LinearPanel2x2, x: np.ndarray, d: np.ndarray, w: np.ndarray,
             dy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(ATT, psi) of all n units at once: the two passes in one (``panel_2x2``'s numbers)."""
    dy2 = dy[:, None] if dy.ndim == 1 else dy
    s = lin.sums(x, d, w, lin.score).T @ dy2
    att, psi = lin.att(s), lin.psi(x, d, w, lin.score, dy2, s)
    return (att[0], psi[:, 0]) if dy.ndim == 1 else (att, psi)
