"""The omitted-variable-bias algebra of Cinelli & Hazlett (2020), as plain functions of numbers.

Setting. The *short* regression ``Y = tau_s D + X b_s + e`` is the one estimated; the *long* one,
``Y = tau D + X b + g Z + e``, would add an unobserved confounder Z. Write ``R2_{Y~Z|D,X}`` for the
share of the residual variance of Y (after D and X) that Z explains, and ``R2_{D~Z|X}`` for the
share of the residual variance of D (after X) that Z explains. For any Z (Cinelli & Hazlett 2020,
section 4.1, by the Frisch-Waugh-Lovell theorem and the Cauchy-Schwarz bound being attained by
the worst-case Z):

    |tau_s - tau| = se(tau_s) * sqrt(dof * R2_{Y~Z|D,X} * R2_{D~Z|X} / (1 - R2_{D~Z|X}))

where ``se`` is the classical (homoskedastic) OLS standard error and ``dof`` the residual degrees
of freedom of the short regression. The long regression has one regressor more, so its
classical standard error would be

    se(tau) = se(tau_s) * sqrt((1 - R2_{Y~Z|D,X}) / (1 - R2_{D~Z|X}) * dof / (dof - 1)).

Robustness value (section 5): the smallest strength ``RV`` such that a confounder explaining
``RV`` of the residual variance of *both* D and Y could move the estimate by ``q`` times its size
(``RV_q``), or make a t-test of ``tau = (1 - q) tau_s`` at level alpha not reject (``RV_{q,alpha}``).
With ``f_q = q |t| / sqrt(dof)`` (q times the partial Cohen's f of D with Y) and, for the test, the
critical value ``c = t*_{1-alpha/2, dof-1} / sqrt(dof - 1)``:

* the bias needed is reached by ``R2_{Y~Z|D,X} = R2_{D~Z|X} = x`` with ``x / sqrt(1 - x) = f_q - c``,
  i.e. ``x = (sqrt(g^4 + 4 g^2) - g^2) / 2`` with ``g = f_q - c`` (``c = 0`` for ``RV_q``);
* for the test this equal-strength point is not always the weakest confounder: for a given
  ``R2_{D~Z|X} = r`` the adjusted statistic (divided by sqrt(dof - 1)) is smallest at
  ``R2_{Y~Z|D,X} = r / (f_q^2 (1 - r))``, where it equals ``sqrt(f_q^2 (1 - r) - r)``. When that
  optimum lies below r (which happens exactly when ``f_q > 1 / c``) the weakest confounder has
  ``R2_{D~Z|X} = (f_q^2 - c^2) / (1 + f_q^2)`` and a smaller ``R2_{Y~Z|D,X}``; the robustness
  value is then that number (what sensemakr calls the "extreme robustness value").

Both are 0 when ``f_q`` does not exceed ``c`` (the estimate is already within reach).

Bounds from observed covariates (section 4.4, the formal bounds): if Z explains ``kd`` times as
much residual variance of D as a covariate X_j does, and ``ky`` times as much residual variance of
Y, and Z is uncorrelated with X_j given the other covariates X_-j (the paper's condition; ``eta``
below is the association between Z and X_j that conditioning on D then induces), then with
``r_d = R2_{D~X_j|X_-j}`` and ``r_y = R2_{Y~X_j|D,X_-j}``

    R2_{D~Z|X}   <= kd r_d / (1 - r_d)
    R2_{Y~Z|D,X} <= ((sqrt(ky) + sqrt(eta)) / sqrt(1 - eta))^2 * r_y / (1 - r_y),
    eta = kd r_d^2 / ((1 - kd r_d) (1 - r_d)).

A group of columns (the dummies of a categorical covariate) is benchmarked with the partial R2 of
the group as a whole, as sensemakr does.

Reference: Cinelli, C. & Hazlett, C. (2020). Making sense of sensitivity: extending omitted
variable bias. Journal of the Royal Statistical Society, Series B 82(1), 39-67.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from ..errors import SpecificationError

__all__ = [
    "partial_r2", "partial_f2", "robustness_value", "bias", "adjusted_estimate", "adjusted_se", "benchmark_bounds",
]


def partial_r2(t_value: float, dof: int) -> float:
    """Partial R2 of a regressor with the outcome from its t-value: ``t^2 / (t^2 + dof)``."""
    return float(t_value**2 / (t_value**2 + dof))


def partial_f2(t_value: float, dof: int) -> float:
    """Partial Cohen's f^2 of a regressor with the outcome: ``t^2 / dof``."""
    return float(t_value**2 / dof)


def _equal_strength(g: float) -> float:
    """The x in [0, 1) with x / sqrt(1 - x) = g (g >= 0): ``(sqrt(g^4 + 4 g^2) - g^2) / 2`` written stably."""
    if g <= 0:
        return 0.0
    return float(2.0 / (1.0 + np.sqrt(1.0 + 4.0 / g**2)))


def robustness_value(t_value: float, dof: int, *, q: float = 1.0, alpha: float | None = None) -> float:
    """Robustness value ``RV_q`` (``alpha`` None) or ``RV_{q,alpha}`` of a regression coefficient.

    See the module docstring for the derivation (Cinelli & Hazlett 2020, section 5). Returns a
    number in [0, 1): 0 when no confounding is needed (``q |t|`` already within the critical value).
    """
    if q <= 0:
        raise SpecificationError(f"robustness_value(): q must be > 0; got {q!r}.")
    fq = q * abs(float(t_value)) / np.sqrt(dof)
    if alpha is None:
        return _equal_strength(fq)
    if dof < 2:
        raise SpecificationError(f"robustness_value(): the test needs dof >= 2; got {dof}.")
    crit = float(stats.t.ppf(1.0 - alpha / 2.0, dof - 1)) / np.sqrt(dof - 1)
    if fq <= crit:
        return 0.0
    if fq * crit > 1.0:
        return float((fq**2 - crit**2) / (1.0 + fq**2))
    return _equal_strength(fq - crit)


def bias(std_error: float, dof: int, r2yz_dx: np.ndarray | float, r2dz_x: np.ndarray | float) -> np.ndarray:
    """Largest |bias| of the coefficient from a confounder of the given partial R2s (module docstring)."""
    r2y, r2d = np.asarray(r2yz_dx, dtype=float), np.asarray(r2dz_x, dtype=float)
    _check_r2(r2y, "r2yz_dx")
    _check_r2(r2d, "r2dz_x", strict=True)
    return np.asarray(std_error * np.sqrt(dof * r2y * r2d / (1.0 - r2d)))


def adjusted_estimate(estimate: float, std_error: float, dof: int, r2yz_dx: np.ndarray | float,
                      r2dz_x: np.ndarray | float, *, reduce: bool = True) -> np.ndarray:
    """The estimate moved by the largest bias: towards zero (``reduce``) or away from it."""
    b = bias(std_error, dof, r2yz_dx, r2dz_x)
    sign = 1.0 if estimate >= 0 else -1.0
    return np.asarray(sign * (abs(estimate) - b) if reduce else sign * (abs(estimate) + b))


def adjusted_se(std_error: float, dof: int, r2yz_dx: np.ndarray | float, r2dz_x: np.ndarray | float) -> np.ndarray:
    """Classical standard error of the coefficient in the long regression (with Z): module docstring."""
    r2y, r2d = np.asarray(r2yz_dx, dtype=float), np.asarray(r2dz_x, dtype=float)
    _check_r2(r2y, "r2yz_dx")
    _check_r2(r2d, "r2dz_x", strict=True)
    if dof < 2:
        raise SpecificationError(f"adjusted_se(): needs dof >= 2; got {dof}.")
    return np.asarray(std_error * np.sqrt((1.0 - r2y) / (1.0 - r2d) * dof / (dof - 1.0)))


def benchmark_bounds(r2dxj_x: float, r2yxj_dx: float, kd: float, ky: float) -> tuple[float, float, bool]:
    """(bound on R2_{D~Z|X}, bound on R2_{Y~Z|D,X}, whether the latter was capped at 1) for a confounder
    ``kd`` / ``ky`` times as strong as the benchmark (module docstring; Cinelli & Hazlett 2020, section 4.4).

    Raises SpecificationError when ``kd`` is so large that the implied R2 with the treatment is >= 1.
    """
    if not (0.0 <= r2dxj_x < 1.0 and 0.0 <= r2yxj_dx < 1.0):
        raise SpecificationError(f"benchmark partial R2s must be in [0, 1); got {r2dxj_x!r} and {r2yxj_dx!r}.")
    if kd < 0 or ky < 0:
        raise SpecificationError(f"kd and ky must be >= 0; got kd={kd!r}, ky={ky!r}.")
    r2dz = kd * r2dxj_x / (1.0 - r2dxj_x)
    if r2dz >= 1.0 or kd * r2dxj_x >= 1.0:
        largest = (1.0 - r2dxj_x) / r2dxj_x if r2dxj_x > 0 else float("inf")
        raise SpecificationError(
            f"kd = {kd:g} implies a confounder that explains all the residual variance of the treatment "
            f"(R2 >= 1), which is impossible; with this benchmark kd must be below {largest:.4g}.")
    eta = kd * r2dxj_x**2 / ((1.0 - kd * r2dxj_x) * (1.0 - r2dxj_x))
    if eta >= 1.0:
        raise SpecificationError(f"kd = {kd:g} is too large for this benchmark (the implied R2 of Z with the "
                                 "benchmark is >= 1); use a smaller kd.")
    r2yz = ((np.sqrt(ky) + np.sqrt(eta)) / np.sqrt(1.0 - eta)) ** 2 * r2yxj_dx / (1.0 - r2yxj_dx)
    capped = bool(r2yz > 1.0)
    return float(r2dz), float(min(r2yz, 1.0)), capped


def _check_r2(values: np.ndarray, name: str, *, strict: bool = False) -> None:
    high_ok = values < 1.0 if strict else values <= 1.0
    if not (np.all(np.isfinite(values)) and np.all(values >= 0.0) and np.all(high_ok)):
        bound = "[0, 1)" if strict else "[0, 1]"
        raise SpecificationError(f"{name} must be partial R2 values in {bound}; got {values.tolist()!r}.")
