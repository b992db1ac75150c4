"""Overlap of the propensity score: inverse-probability weights, their effective sample size, and the overlap rule.

:func:`ipw_weights` gives each estimand's weights, :func:`ess` Kish's effective sample size,
:func:`overlap_table` the per-arm summary shown by
:meth:`~iej_impact.observational._propensity.PropensityScore.overlap`, and
:func:`overlap_problems` the plain-language verdict of the overlap rule, which
:func:`~iej_impact.observational._weighting.ipw` and
:func:`~iej_impact.observational._doubly_robust.doubly_robust` turn into an
:class:`~iej_impact.errors.OverlapWarning`. Overlap is *poor* when, among the units the estimand needs,

* more than ``MAX_SHARE_EXTREME`` (1%) have a score outside ``OVERLAP_BOUNDS`` = [0.01, 0.99]
  (an IPW weight above 100), or
* more than ``MAX_SHARE_OUTSIDE`` (10%) of an arm lies outside the range of the other arm's scores
  (units with no comparable unit in the other arm).

For the ATE both arms and both tails count; for the ATT only scores near 1 and treated units
outside the controls' range; for the ATC only scores near 0 and controls outside the treated
range.

References
----------
Crump, R., Hotz, V., Imbens, G. & Mitnik, O. (2009). Dealing with limited overlap in estimation of
average treatment effects. Biometrika 96(1). Robins, J., Hernan, M. & Brumback, B. (2000).
Marginal structural models and causal inference in epidemiology. Epidemiology 11(5). Kish, L.
(1965). Survey Sampling, section 11.7.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

__all__ = [
    "ipw_weights",
    "ess",
    "top_share",
    "overlap_table",
    "overlap_problems",
    "OVERLAP_BOUNDS",
    "MAX_SHARE_EXTREME",
    "MAX_SHARE_OUTSIDE",
]

#: scores outside these bounds give IPW weights above 100 (rule (a) of the overlap warning)
OVERLAP_BOUNDS: tuple[float, float] = (0.01, 0.99)
#: largest tolerated share of needed units with scores outside OVERLAP_BOUNDS
MAX_SHARE_EXTREME = 0.01
#: largest tolerated share of an arm outside the range of the other arm's scores
MAX_SHARE_OUTSIDE = 0.10


def ipw_weights(
    scores: np.ndarray,
    treated: np.ndarray,
    estimand: str = "ATE",
    *,
    stabilized: bool = False,
    sampling_weights: np.ndarray | None = None,
) -> np.ndarray:
    """Inverse-probability weights for an estimand (before any normalization).

    ATE: 1/e for treated, 1/(1-e) for controls; ATT: 1 and e/(1-e); ATC: (1-e)/e and 1.
    ``stabilized`` multiplies each arm by its (weighted) share in the sample, P(D = d) for the
    ATE (Robins, Hernan & Brumback 2000), and the controls' (treated) weights by the odds
    P(D=0)/P(D=1) (its inverse) for the ATT (ATC), so that weights average about 1 in each arm.
    Sampling weights multiply the result.
    """
    e = np.asarray(scores, dtype=float)
    d = np.asarray(treated).astype(bool)
    sw = np.ones_like(e) if sampling_weights is None else np.asarray(sampling_weights, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        if estimand == "ATE":
            w = np.where(d, 1.0 / e, 1.0 / (1.0 - e))
        elif estimand == "ATT":
            w = np.where(d, 1.0, e / (1.0 - e))
        else:
            w = np.where(d, (1.0 - e) / e, 1.0)
    if stabilized:
        share1 = float(np.sum(sw[d]) / np.sum(sw))
        share0 = 1.0 - share1
        if estimand == "ATE":
            w = w * np.where(d, share1, share0)
        elif estimand == "ATT":
            w = w * np.where(d, 1.0, share0 / share1)
        else:
            w = w * np.where(d, share1 / share0, 1.0)
    return w * sw


def ess(w: np.ndarray) -> float:
    """Kish's effective sample size (sum w)^2 / sum w^2."""
    s2 = float(np.dot(w, w))
    return float(np.sum(w) ** 2 / s2) if s2 > 0 else 0.0


def overlap_table(
    scores: np.ndarray,
    treated: np.ndarray,
    *,
    estimand: str = "ATE",
    bounds: tuple[float, float] = OVERLAP_BOUNDS,
    sampling_weights: np.ndarray | None = None,
) -> pd.DataFrame:
    """Per-arm score distribution, units outside the other arm's range, extreme scores, weights, ESS."""
    e = np.asarray(scores, dtype=float)
    d = np.asarray(treated).astype(bool)
    w = ipw_weights(e, d, estimand, sampling_weights=sampling_weights)
    probs = [0.0, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 1.0]
    labels = ["min", "q01", "q05", "q25", "median", "q75", "q95", "q99", "max"]
    rows = {}
    for name, arm, other in (("treated", d, ~d), ("control", ~d, d)):
        x = e[arm]
        xo = e[other]
        q = np.quantile(x, probs) if x.size else np.full(len(probs), np.nan)
        outside = (x < xo.min()) | (x > xo.max()) if xo.size else np.ones(x.size, dtype=bool)
        wa = w[arm]
        rows[name] = {
            "n": int(x.size),
            "mean": float(x.mean()) if x.size else float("nan"),
            **{lab: float(v) for lab, v in zip(labels, q, strict=True)},
            "outside_other_range": int(outside.sum()),
            "share_outside_other_range": float(outside.mean()) if x.size else float("nan"),
            f"below_{bounds[0]:g}": int((x < bounds[0]).sum()),
            f"above_{bounds[1]:g}": int((x > bounds[1]).sum()),
            "max_weight": float(wa.max()) if wa.size else float("nan"),
            "weight_share_top1pct": top_share(wa),
            "ess": ess(wa) if wa.size else 0.0,
        }
    out = pd.DataFrame(rows).T
    out.index.name = "arm"
    for c in ("n", "outside_other_range", f"below_{bounds[0]:g}", f"above_{bounds[1]:g}"):
        out[c] = out[c].astype(np.int64)
    return out


def top_share(w: np.ndarray) -> float:
    """Share of the arm's total weight carried by its top 1% of units (at least one unit)."""
    if w.size == 0 or not np.isfinite(w).all() or w.sum() <= 0:
        return float("nan")
    k = max(1, int(math.ceil(0.01 * w.size)))
    top = np.partition(w, w.size - k)[w.size - k:]
    return float(top.sum() / w.sum())


def overlap_problems(
    scores: np.ndarray,
    treated: np.ndarray,
    estimand: str,
    *,
    bounds: tuple[float, float] = OVERLAP_BOUNDS,
    max_share_extreme: float = MAX_SHARE_EXTREME,
    max_share_outside: float = MAX_SHARE_OUTSIDE,
) -> list[str]:
    """Plain-language descriptions of poor overlap by the module's rule (empty list: overlap is fine).

    See the module docstring for the rule.
    """
    e = np.asarray(scores, dtype=float)
    d = np.asarray(treated).astype(bool)
    lo, hi = bounds
    out: list[str] = []
    if estimand == "ATE":
        extreme = (e < lo) | (e > hi)
        tails = f"outside [{lo:g}, {hi:g}]"
    elif estimand == "ATT":
        extreme = e > hi
        tails = f"above {hi:g}"
    else:
        extreme = e < lo
        tails = f"below {lo:g}"
    share = float(extreme.mean()) if e.size else 0.0
    if share > max_share_extreme:
        out.append(
            f"{int(extreme.sum())} units ({100 * share:.1f}%; {int((extreme & d).sum())} treated, "
            f"{int((extreme & ~d).sum())} control) have propensity scores {tails} (IPW weights above "
            f"{1 / min(lo, 1 - hi):.0f}), more than the {100 * max_share_extreme:g}% the rule tolerates"
        )
    arms = {"ATE": ("treated", "control"), "ATT": ("treated",), "ATC": ("control",)}[estimand]
    for name in arms:
        arm = d if name == "treated" else ~d
        other = ~arm
        x, xo = e[arm], e[other]
        if not x.size or not xo.size:
            continue
        outside = (x < xo.min()) | (x > xo.max())
        s = float(outside.mean())
        if s > max_share_outside:
            other_name = "control" if name == "treated" else "treated"
            out.append(
                f"{int(outside.sum())} of {x.size} {name} units ({100 * s:.1f}%) have scores outside the "
                f"{other_name} units' range [{xo.min():.4g}, {xo.max():.4g}], more than the "
                f"{100 * max_share_outside:g}% the rule tolerates"
            )
    return out
