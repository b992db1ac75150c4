"""Separation in binary-response models (logit, probit), diagnosed from the data, not from the optimiser.

The maximum-likelihood estimate of a logit or probit model does not exist when the data are
*separated*: some direction ``b`` (a linear combination of the covariates and the intercept)
has ``(2 d_i - 1) x_i'b >= 0`` for every unit and ``> 0`` for at least one (Albert & Anderson
1984). Along ``b`` the likelihood keeps increasing: the units with a positive margin are
*perfectly predicted* (their fitted probabilities tend to 0 or 1) and the coefficients diverge.
*Complete* separation: every unit is perfectly predicted; *quasi-complete*: some are (e.g. a
category observed in one arm only, or a 0/1 covariate constant within one arm).

Whether Newton-Raphson declares convergence on such data depends on floating point (a
coefficient of -2e16 can pass a relative-step test), so :func:`diagnose` does not ask how the
optimiser stopped. It answers from the data:

1. :func:`column_separation` checks each column on its own: a column whose values in one arm are
   all <= its values in the other arm separates (a 0/1 column whose 1s are all in one arm,
   ranges that do not overlap or only touch). This names the culprits.
2. :func:`perfectly_predicted` finds the *maximal* set of perfectly predicted units with a
   linear program (Konis 2007): maximise the sum of margins ``(2 d_i - 1) z_i'b`` over
   ``-1 <= b <= 1`` subject to every margin being >= 0, mark the units with a positive margin,
   repeat for the unmarked units until none is added. It runs when a column separates or when
   the fit shows a symptom (a fitted probability within 1e-6 of 0 or 1, a coefficient above 30
   standard deviations of its covariate, a non-finite value, no convergence), so well-behaved
   fits pay nothing.

Both steps are deterministic functions of the data: row order and the scale of the covariates
do not change the result (columns are standardised first; the marked set is unique).

References
----------
Albert, A. & Anderson, J. A. (1984). On the existence of maximum likelihood estimates in
logistic regression models. Biometrika 71(1), 1-10.
Konis, K. (2007). Linear programming algorithms for detecting separated data in binary logistic
regression models. DPhil thesis, University of Oxford.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["arm_ranges", "column_separation", "perfectly_predicted", "diagnose", "perfect_eta", "TRIGGER_EPS", "MAX_SCALED_COEF"]

#: a fitted probability within this distance of 0 or 1 makes the linear program run
TRIGGER_EPS = 1e-6
#: a coefficient times its covariate's standard deviation beyond this makes the linear program run
MAX_SCALED_COEF = 30.0
#: a unit is perfectly predicted when its margin under the (box-bounded) separating direction exceeds this
_MARGIN_TOL = 1e-7
#: linear predictor given to perfectly predicted units (their limit is +-inf): scores within ~1e-13 of 0 or 1,
#: far below any tolerance, yet 1 - score stays > 0 in float64 (odds p / (1 - p) stay finite)
_PERFECT_ETA = {"logit": 30.0, "probit": 7.5}


def perfect_eta(link: str) -> float:
    """|linear predictor| given to perfectly predicted units (scores within ~1e-13 of 0 or 1, not exactly 0 or 1)."""
    return _PERFECT_ETA[link]


def column_separation(
    x: np.ndarray, d: np.ndarray, w: np.ndarray, names: Sequence[str]
) -> list[tuple[str, np.ndarray, str]]:
    """Columns that separate the arms on their own: (name, perfectly predicted units, plain text).

    Column ``j`` separates when ``max(x_j | treated) <= min(x_j | control)`` (or the reverse): the
    treated units strictly below the control minimum and the controls strictly above the treated
    maximum are perfectly predicted. Rows with ``w <= 0`` do not count.
    """
    use = w > 0
    treated = use & (d == 1)
    control = use & (d == 0)
    out: list[tuple[str, np.ndarray, str]] = []
    if not treated.any() or not control.any():
        return out
    (lows1, highs1), (lows0, highs0) = arm_ranges(x, treated), arm_ranges(x, control)
    for j, name in enumerate(names):
        col = x[:, j]
        lo1, hi1 = float(lows1[j]), float(highs1[j])
        lo0, hi0 = float(lows0[j]), float(highs0[j])
        for low_arm, hi_low, lo_high in (("treated", hi1, lo0), ("control", hi0, lo1)):
            if hi_low > lo_high:
                continue
            low, high = (treated, control) if low_arm == "treated" else (control, treated)
            mask = (low & (col < lo_high)) | (high & (col > hi_low))
            if not mask.any():
                continue
            high_arm = "control" if low_arm == "treated" else "treated"
            values = np.unique(col[use])
            if values.size == 2 and hi_low == lo_high:  # a dummy: one of its two values is in one arm only
                v, arm = (values[1], high_arm) if hi_low == values[0] else (values[0], low_arm)
                k = int((use & (col == v)).sum())
                text = f"all {k} units with '{name}' = {v:g} are {arm}"
            elif hi_low < lo_high:
                text = (f"'{name}' does not overlap between arms (treated [{lo1:g}, {hi1:g}], control "
                        f"[{lo0:g}, {hi0:g}])")
            else:
                text = (f"'{name}' overlaps between arms only at {hi_low:g} (treated [{lo1:g}, {hi1:g}], "
                        f"control [{lo0:g}, {hi0:g}])")
            out.append((name, mask, text))
            break
    return out


_ROW_BLOCK = 1 << 16  # rows per block in arm_ranges


def arm_ranges(x: np.ndarray, arm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column minima and maxima of ``x`` over the rows of ``arm`` (at least one), read in blocks of rows.

    Minima and maxima do not depend on the order they are taken in, so this equals
    ``x[arm].min(axis=0)`` / ``.max(axis=0)`` without gathering each column of the arm anew.
    """
    lows = np.full(x.shape[1], np.inf)
    highs = np.full(x.shape[1], -np.inf)
    for start in range(0, x.shape[0], _ROW_BLOCK):
        block = x[start:start + _ROW_BLOCK][arm[start:start + _ROW_BLOCK]]
        if block.shape[0]:
            lows = np.minimum(lows, block.min(axis=0))
            highs = np.maximum(highs, block.max(axis=0))
    return lows, highs


def perfectly_predicted(x: np.ndarray, d: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """The maximal set of perfectly predicted units, by linear programming.

    ``x``: covariate columns *without* the intercept (any scale; constant columns are ignored).
    Returns (boolean mask over the rows, separating direction on the standardised columns with the
    intercept first, or None when the data are not separated). Rows with ``w <= 0`` are never marked.
    """
    from scipy.optimize import linprog

    n = x.shape[0]
    use = w > 0
    mask = np.zeros(n, dtype=bool)
    xu = np.asarray(x[use], dtype=float)
    if xu.shape[0] == 0:
        return mask, None
    sd = xu.std(axis=0)
    keep = sd > 0
    z = np.column_stack([np.ones(xu.shape[0]), (xu[:, keep] - xu[:, keep].mean(axis=0)) / sd[keep]])
    s = np.where(d[use] == 1, 1.0, -1.0)
    a = s[:, None] * z
    rows, inverse, counts = np.unique(a, axis=0, return_inverse=True, return_counts=True)
    inverse = np.asarray(inverse).reshape(-1)
    k = rows.shape[1]
    marked = np.zeros(rows.shape[0], dtype=bool)
    direction = np.zeros(k)
    for _ in range(50):
        objective = -(counts[~marked].astype(float) @ rows[~marked])
        if not np.any(objective):
            break
        res = linprog(objective, A_ub=-rows, b_ub=np.zeros(rows.shape[0]), bounds=[(-1.0, 1.0)] * k,
                      method="highs")
        if res.status != 0 or res.x is None:
            break
        margin = rows @ res.x
        if margin.min() < -1e-6:  # not a separating direction (solver tolerance): stop here
            break
        new = (margin > _MARGIN_TOL) & ~marked
        if not new.any():
            break
        marked |= new
        direction += res.x
    if not marked.any():
        return mask, None
    mask[np.flatnonzero(use)] = marked[inverse]
    full = np.zeros(x.shape[1] + 1)
    full[0] = direction[0]
    full[1:][keep] = direction[1:]
    return mask, full


def diagnose(
    x: np.ndarray,
    d: np.ndarray,
    w: np.ndarray,
    *,
    names: Sequence[str],
    prob: np.ndarray | None = None,
    scaled_coef: np.ndarray | None = None,
    converged: bool = True,
) -> tuple[dict[str, Any] | None, np.ndarray]:
    """Is the binary model of ``d`` on ``x`` separated, and which units are perfectly predicted?

    Parameters
    ----------
    x : covariate columns without the intercept (n x k), on any scale.
    d : 0/1 outcome (the treatment for a propensity score).
    w : row weights; rows with ``w <= 0`` do not count.
    names : the k column names.
    prob, scaled_coef, converged : the fit's fitted probabilities, slope coefficients times the
        standard deviations of their columns, and convergence flag. They only decide whether the linear program runs (a symptom);
        the answer does not depend on them.

    Returns
    -------
    (diagnosis, mask): ``mask`` flags the perfectly predicted rows; ``diagnosis`` is None when
    the data are not separated, else a JSON-able dict:

    * ``kind``: "complete" (every unit perfectly predicted) or "quasi-complete";
    * ``n_units``, ``n_treated``, ``n_control``: perfectly predicted units, all and by arm (the
      treated ones have a score of 1 in the limit, the controls a score of 0);
    * ``n_obs``: the units in the fit;
    * ``columns``: the design columns that separate (each on its own when one does; otherwise the
      columns of the separating combination);
    * ``causes``: plain-language descriptions of the separating columns or combination.
    """
    d = np.asarray(d)
    use = w > 0
    found = column_separation(x, d, w, names)
    symptom = not converged or bool(found)
    if prob is not None:
        pu = prob[use]
        symptom = symptom or not np.all(np.isfinite(pu)) or bool(np.any(np.minimum(pu, 1.0 - pu) < TRIGGER_EPS))
    if scaled_coef is not None and len(scaled_coef):
        sc = np.asarray(scaled_coef, dtype=float)
        symptom = symptom or not np.all(np.isfinite(sc)) or bool(np.any(np.abs(sc) > MAX_SCALED_COEF))
    if not symptom:
        return None, np.zeros(len(d), dtype=bool)
    mask, direction = perfectly_predicted(x, d, w)
    for _, m, _ in found:
        mask |= m
    if not mask.any():
        return None, mask
    if found:
        columns = [name for name, _, _ in found]
        causes = [text for _, _, text in found]
    else:
        b = np.abs(direction[1:]) if direction is not None else np.zeros(len(names))
        columns = [names[j] for j in np.flatnonzero(b > 1e-6 * max(float(b.max(initial=0.0)), 1e-300))]
        causes = [f"a linear combination of {', '.join(repr(c) for c in columns)} separates the arms"] if columns else []
    n_obs = int(use.sum())
    diagnosis = {
        "kind": "complete" if int(mask.sum()) == n_obs else "quasi-complete",
        "n_units": int(mask.sum()),
        "n_treated": int((mask & (d == 1)).sum()),
        "n_control": int((mask & (d == 0)).sum()),
        "n_obs": n_obs,
        "columns": columns,
        "causes": causes,
    }
    return diagnosis, mask


def summary_text(diagnosis: dict[str, Any]) -> str:
    """'5 units (0 treated, 5 control) are perfectly predicted (quasi-complete separation; cause ...)'."""
    cause = f"; {'; '.join(diagnosis['causes'][:3])}" if diagnosis["causes"] else ""
    return (f"{diagnosis['n_units']} of {diagnosis['n_obs']} units ({diagnosis['n_treated']} treated, "
            f"{diagnosis['n_control']} control) are perfectly predicted ({diagnosis['kind']} separation{cause})")
