"""Inverse-probability weighting (Stata's ``teffects ipw``), with trimming and weight diagnostics.

With the propensity score ``e(X)`` and the weights of the estimand

    ATE: 1/e for treated units, 1/(1-e) for controls;  ATT: 1 and e/(1-e);  ATC: (1-e)/e and 1,

the potential-outcome means are weighted means within each arm,

    mu_1 = sum_i w_i D_i om_i Y_i / sum_i w_i D_i om_i,   mu_0 likewise over controls,

(normalized or "Hajek" weights, ``normalize=True``, what ``teffects ipw`` computes), or, with
``normalize=False``, Horvitz-Thompson sums divided by the size of the target population. The
effect is ``mu_1 - mu_0``. Its influence function stacks the propensity score's likelihood
equations with the weighted-mean equations (Lunceford & Davidian 2004, section 3; Wooldridge
2010, section 21.3.3), so the standard error accounts for the estimated score. This module also
holds the propensity-score step shared with :mod:`iej_impact.observational._doubly_robust` (fit, trimming or
truncation, positivity and overlap checks).

Trimming (``trim``) restricts the sample to common support, which changes the estimand to the
effect in the trimmed population (Crump et al. 2009); truncation clips the scores (and so caps the
weights) without dropping units, trading bias for variance (Lee, Lessler & Stuart 2011). Both are
reported: counts per arm and the bounds used.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._mestimation import Linearization
from .._params import Boolean, Interval, constrained
from .._validation import arguments_checked, check_choice, check_number, user_stacklevel
from ..errors import EstimationError, OverlapWarning, SpecificationError
from ..inference import InferenceLike
from ..results import EffectResult
from ._overlap import ess, ipw_weights, overlap_problems, overlap_table, top_share
from ._propensity import SCORE_EPS, PropensityScore, _check_model, _fit_propensity, row_ids, separation_hints
from ._regression import COMMON_PARAMS, Inputs, balance_diagnostic, finish, prepare, ratio_influence, sample_size_table

__all__ = ["ipw"]

_FUNC = "ipw"
TRIM_METHODS: tuple[str, ...] = ("drop", "truncate")


# =============================================================================================
# trimming
# =============================================================================================
@dataclass(frozen=True)
class Trim:
    """A trimming rule: drop or truncate at fixed ``bounds`` or at score ``quantiles`` (internal)."""

    method: str
    bounds: tuple[float, float] | None = None
    quantiles: tuple[float, float] | None = None

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"method": self.method}
        if self.bounds is not None:
            out["bounds"] = list(self.bounds)
        if self.quantiles is not None:
            out["quantiles"] = list(self.quantiles)
        return out


def parse_trim(trim: object, func: str) -> Trim | None:
    """``trim``: None; a number c in (0, 0.5) (drop scores outside [c, 1-c]); a pair (lo, hi); or a
    mapping with ``bounds`` (number or pair) or ``quantiles`` (pair of probabilities) and ``method``
    ("drop", the default, or "truncate")."""
    if trim is None:
        return None
    method = "drop"
    bounds: object = None
    quantiles: object = None
    if isinstance(trim, Mapping):
        unknown = sorted(set(trim) - {"bounds", "quantiles", "method"})
        if unknown:
            raise SpecificationError(
                f"unknown key {unknown[0]!r} in the 'trim' mapping of {func}(); allowed: 'bounds', 'quantiles', "
                "'method'."
            )
        method = str(check_choice("trim.method", trim.get("method", "drop"), TRIM_METHODS, func))
        bounds, quantiles = trim.get("bounds"), trim.get("quantiles")
        if (bounds is None) == (quantiles is None):
            raise SpecificationError(
                f"the 'trim' mapping of {func}() needs exactly one of 'bounds' (e.g. [0.05, 0.95]) or "
                f"'quantiles' (e.g. [0.01, 0.99]); got {dict(trim)!r}."
            )
    else:
        bounds = trim
    if bounds is not None:
        lo, hi = _pair("trim", bounds, func)
        return Trim(method=method, bounds=(lo, hi))
    qlo, qhi = _pair("trim.quantiles", quantiles, func, symmetric=False)
    return Trim(method=method, quantiles=(qlo, qhi))


def _pair(name: str, value: object, func: str, *, symmetric: bool = True) -> tuple[float, float]:
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool) and symmetric:
        c = check_number(name, value, func, low=0.0, high=0.5, low_open=True)
        if c >= 0.5:
            raise SpecificationError(f"the '{name}' parameter of {func}() must be < 0.5; got {value!r}.")
        return c, 1.0 - c
    if isinstance(value, (list, tuple)) and len(value) == 2:
        lo = check_number(name, value[0], func, low=0.0, high=1.0)
        hi = check_number(name, value[1], func, low=0.0, high=1.0)
        if not lo < hi:
            raise SpecificationError(f"the '{name}' parameter of {func}() needs lower < upper; got {value!r}.")
        return lo, hi
    raise SpecificationError(
        f"the '{name}' parameter of {func}() must be a number c in (0, 0.5) (keeps scores in [c, 1-c]) or a pair "
        f"[lower, upper]; got {value!r}."
    )


# =============================================================================================
# the propensity-score step shared with doubly_robust()
# =============================================================================================
@dataclass(frozen=True, eq=False)
class PropensityStep:
    """The fitted score after trimming/truncation, and what the estimators need from it (internal)."""

    ps: PropensityScore
    p: np.ndarray = field(repr=False)  # effective scores (truncated where asked)
    dens: np.ndarray | None = field(repr=False)  # d p / d eta (0 where truncated); None: score treated as known
    lin: Linearization | None
    z: np.ndarray = field(repr=False)
    keep: np.ndarray = field(repr=False)
    trimmed: np.ndarray = field(repr=False)
    truncated: np.ndarray = field(repr=False)
    trim: Trim | None
    bounds: tuple[float, float] | None
    notes: tuple[str, ...] = ()

    def omega(self, d: np.ndarray, estimand: str) -> tuple[np.ndarray, np.ndarray]:
        """Each unit's own-arm IPW weight om_i and d om_i / d eta_i (zero for dropped units)."""
        k = self.keep
        p = np.where(k, self.p, 0.5)
        if estimand == "ATE":
            om = np.where(d, 1.0 / p, 1.0 / (1.0 - p))
            dom = np.where(d, -1.0 / p**2, 1.0 / (1.0 - p) ** 2)
        elif estimand == "ATT":
            om = np.where(d, 1.0, p / (1.0 - p))
            dom = np.where(d, 0.0, 1.0 / (1.0 - p) ** 2)
        else:
            om = np.where(d, (1.0 - p) / p, 1.0)
            dom = np.where(d, -1.0 / p**2, 0.0)
        dens = np.zeros_like(p) if self.dens is None else self.dens
        return om * k, dom * dens * k

    def diagnostics(self, inp: Inputs) -> dict[str, object]:
        trim_info: dict[str, object] = {
            "method": None if self.trim is None else self.trim.method,
            "bounds": None if self.bounds is None else list(self.bounds),
            "rule": None if self.trim is None else self.trim.to_dict(),
            "trimmed_treated": int((self.trimmed & inp.d).sum()),
            "trimmed_control": int((self.trimmed & ~inp.d).sum()),
            "truncated_treated": int((self.truncated & inp.d).sum()),
            "truncated_control": int((self.truncated & ~inp.d).sum()),
        }
        return {
            "propensity": self.ps,
            "overlap": overlap_table(self.p[self.keep], inp.d[self.keep], estimand=inp.estimand,
                                     sampling_weights=None if inp.sw is None else inp.sw[self.keep]),
            "trimming": trim_info,
        }


def propensity_step(
    inp: Inputs,
    *,
    ps_model: object,
    trim: object,
    random_state: int | None,
) -> PropensityStep:
    """Fit the score, apply trimming/truncation, check positivity (error) and overlap (warning)."""
    func = inp.func
    model_name, model_obj = _check_model(ps_model, func, "ps_model")
    rule = parse_trim(trim, func)
    arguments_checked()
    ps = _fit_propensity(inp.data, inp.d, inp.ps_design, inp.sw, model_name, model_obj, treatment=inp.treatment,
                         covariates=inp.ps_covariates, weights_column=inp.weights_column,
                         random_state=random_state, max_iter=60, func=func, z=inp.ps_z,
                         scale=(inp.ps_centre, inp.ps_scale))
    p = ps.scores.copy()
    keep = np.ones(inp.n, dtype=bool)
    trimmed = np.zeros(inp.n, dtype=bool)
    truncated = np.zeros(inp.n, dtype=bool)
    bounds = None
    notes: list[str] = []
    if rule is not None:
        if rule.bounds is not None:
            bounds = rule.bounds
        else:
            lo, hi = np.quantile(p, rule.quantiles or (0.0, 1.0))
            bounds = (float(lo), float(hi))
        lo, hi = bounds
        outside = (p < lo) | (p > hi)
        if rule.method == "drop":
            trimmed = outside
            keep = ~outside
            notes.append(
                f"Trimming: {int((outside & inp.d).sum())} treated and {int((outside & ~inp.d).sum())} control units "
                f"with propensity scores outside [{lo:.4g}, {hi:.4g}] were dropped (Crump et al. 2009); the estimand "
                "is the effect in the remaining population, and the bounds are treated as fixed in the SE."
            )
        else:
            truncated = outside
            p = np.clip(p, lo, hi)
            notes.append(
                f"Truncation: the propensity scores of {int((outside & inp.d).sum())} treated and "
                f"{int((outside & ~inp.d).sum())} control units were set to the nearest of [{lo:.4g}, {hi:.4g}] "
                "(Lee, Lessler & Stuart 2011); this caps the weights at the cost of some bias."
            )
        for label, arm in (("treated", inp.d), ("control", ~inp.d)):
            if not (keep & arm).any():
                raise EstimationError(
                    f"{func}(): trimming at [{lo:.4g}, {hi:.4g}] leaves no {label} unit; widen the bounds."
                )
    _positivity_or_raise(inp, p, keep)
    problems = overlap_problems(p[keep], inp.d[keep], inp.estimand)
    if problems:
        warnings.warn(
            f"{func}(): poor overlap of the propensity score for the {inp.estimand}: " + "; ".join(problems)
            + ". Estimates rest on few heavily weighted units; look at the overlap table and plot, consider "
            "trim=... (e.g. 0.05 or {'quantiles': [0.01, 0.99], 'method': 'truncate'}) or a narrower population.",
            OverlapWarning,
            stacklevel=user_stacklevel(),
        )
    lin = ps.linearization
    dens = None
    if lin is not None and ps.score_derivative is not None:
        dens = np.where(truncated, 0.0, ps.score_derivative)
    else:
        notes.append(
            f"The propensity score comes from a {model_name} model without a likelihood: the standard error "
            "treats the score as known (for IPW this is typically conservative for the ATE; Hirano, Imbens & "
            "Ridder 2003)."
        )
    return PropensityStep(ps=ps, p=p, dens=dens, lin=lin, z=inp.ps_z, keep=keep, trimmed=trimmed,
                          truncated=truncated, trim=rule, bounds=bounds, notes=tuple(notes))


def _positivity_or_raise(inp: Inputs, p: np.ndarray, keep: np.ndarray) -> None:
    """Scores of 0 or 1 where the estimand needs the unit: infinite weights, the effect is not identified."""
    if inp.estimand == "ATE":
        bad = (p < SCORE_EPS) | (p > 1 - SCORE_EPS)
        which = "0 or 1"
    elif inp.estimand == "ATT":
        bad = p > 1 - SCORE_EPS
        which = "1"
    else:
        bad = p < SCORE_EPS
        which = "0"
    bad &= keep
    if not bad.any():
        return
    hints = separation_hints(inp.ps_design, inp.d)
    hint = f" Likely cause: {'; '.join(hints[:3])}." if hints else ""
    raise EstimationError(
        f"{inp.func}(): positivity fails for the {inp.estimand}: {int(bad.sum())} units "
        f"({int((bad & inp.d).sum())} treated, {int((bad & ~inp.d).sum())} control; e.g. {row_ids(inp.data, bad)}) have "
        f"propensity scores of {which} to within {SCORE_EPS:g}, so their inverse-probability weights are infinite "
        f"and the effect is not identified for them.{hint} Drop or merge the covariate or category that separates "
        "the arms, restrict the sample to comparable units, or pass trim=... to drop units outside common support."
    )


def weights_summary(weights: np.ndarray, d: np.ndarray, keep: np.ndarray) -> pd.DataFrame:
    """Distribution of the weights per arm (units kept): n, sum, mean, quantiles, max, ESS, top-1% share."""
    rows = {}
    for label, arm in (("treated", d & keep), ("control", ~d & keep)):
        w = weights[arm]
        if w.size == 0:
            continue
        q = np.quantile(w, [0.0, 0.5, 0.99, 1.0])
        rows[label] = {"n": int(w.size), "sum": float(w.sum()), "mean": float(w.mean()), "min": float(q[0]),
                       "median": float(q[1]), "q99": float(q[2]), "max": float(q[3]), "ess": ess(w),
                       "share_top1pct": top_share(w)}
    out = pd.DataFrame(rows).T
    out.index.name = "arm"
    if "n" in out:
        out["n"] = out["n"].astype(np.int64)
    return out


# =============================================================================================
# the estimator
# =============================================================================================
@constrained({**COMMON_PARAMS, "stabilized": Boolean(), "normalize": Boolean(),
              "random_state": Interval(low=0, integer=True, none_ok=True)})
def ipw(
    data: pd.DataFrame,
    *,
    outcome: str,
    treatment: str,
    covariates: Sequence[str],
    estimand: str = "ATE",
    ps_model: object = "logit",
    stabilized: bool = False,
    normalize: bool = True,
    trim: object = None,
    weights: str | None = None,
    se: InferenceLike = "robust",
    alpha: float = 0.05,
    random_state: int | None = None,
) -> EffectResult:
    """Inverse-probability-weighted estimate of the ATE, ATT or ATC.

    Parameters
    ----------
    data : one row per unit.
    outcome : outcome column (numeric; 0/1 for a binary outcome, giving a difference in
        probabilities). Missing outcomes are an error.
    treatment : 0/1 treatment column.
    covariates : covariates of the propensity-score model (text/categorical columns become dummies).
    estimand : "ATE" (default), "ATT" or "ATC".
    ps_model : "logit" (default), "probit", "gbm" or an object with ``fit``/``predict_proba``
        (the SE then treats the score as known).
    stabilized : multiply the weights by the arm shares (Robins, Hernan & Brumback 2000) so they
        average about 1. With ``normalize=True`` the estimate is unchanged (normalization removes any
        constant factor within an arm); only the reported weights differ. Not allowed with
        ``normalize=False``, where it would bias the Horvitz-Thompson sums.
    normalize : True (default): weights normalized to sum to one within each arm (Hajek; Stata's
        ``teffects ipw``). False: Horvitz-Thompson sums divided by the size of the target population.
    trim : None (default); a number c in (0, 0.5) to drop units with scores outside [c, 1 - c]
        (Crump et al. 2009 suggest 0.1); a pair [lower, upper]; or a mapping
        ``{"bounds": ..., "method": "drop" | "truncate"}`` or ``{"quantiles": [0.01, 0.99],
        "method": ...}``. "truncate" clips the scores to the bounds instead of dropping units.
    weights : optional column of sampling weights (> 0): used in the score model and the means.
    se : "robust" (default) or ``{"type": "clustered", "by": column}``.
    alpha : 1 - confidence level.
    random_state : seed for ``ps_model="gbm"``.

    Returns
    -------
    EffectResult with method "ipw". ``diagnostics``: ``potential_outcome_means`` (with SEs),
    ``propensity`` (the :class:`~iej_impact.observational._propensity.PropensityScore`), ``overlap`` (table),
    ``trimming`` (rule, bounds, counts per arm), ``weights`` (the weights, 0 for dropped units),
    ``weights_summary`` (per arm: quantiles, max, ESS, share of the top 1%), ``balance`` (the
    :class:`~iej_impact.observational._balance.BalanceTable` before and after weighting). ``sample_sizes`` has
    rows all / trimmed / truncated / used with Kish ESS of the weights.

    Notes
    -----
    Normalized IPW: ``mu_t = sum w D_t om Y / sum w D_t om`` and ``tau = mu_1 - mu_0``. The
    standard error comes from the influence function of the stacked equations (propensity-score
    likelihood score + weighted means), which accounts for the estimated score (Stata's
    ``teffects ipw``; estimating the score *lowers* the ATE's variance compared with a known score,
    Hirano, Imbens & Ridder 2003). An :class:`~iej_impact.errors.OverlapWarning` is issued by the
    rule of :mod:`iej_impact.observational._overlap` (more than 1% of needed units with scores outside
    [0.01, 0.99], or more than 10% of an arm outside the other arm's range). Scores of exactly 0 or
    1 where the estimand needs them are an :class:`~iej_impact.errors.EstimationError`.

    Assumptions: unconfoundedness, overlap (0 < e(X) < 1) and a correctly specified propensity
    score model.

    References
    ----------
    Hirano, K., Imbens, G. & Ridder, G. (2003). Efficient estimation of average treatment effects
    using the estimated propensity score. Econometrica 71(4). Lunceford, J. & Davidian, M. (2004).
    Stratification and weighting via the propensity score in estimation of causal treatment
    effects: a comparative study. Statistics in Medicine 23(19). Wooldridge, J. (2010), section
    21.3.3. Hernan, M. & Robins, J. (2020). Causal Inference: What If, ch. 12. Crump, R. et al.
    (2009), Biometrika 96(1).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> x = rng.normal(size=4000)
    >>> d = (rng.random(4000) < 1 / (1 + np.exp(-x))).astype(int)
    >>> df = pd.DataFrame({"x": x, "d": d, "y": 1 + 2 * x + 0.5 * d + rng.normal(size=4000)})
    >>> res = ipw(df, outcome="y", treatment="d", covariates=["x"])
    >>> abs(res.estimate - 0.5) < 3 * res.std_error
    True
    """
    func = _FUNC
    if stabilized and not normalize:
        raise SpecificationError(
            f"{func}(): stabilized=True with normalize=False would bias the Horvitz-Thompson estimate (stabilized "
            "weights no longer sum to the population size). Use normalize=True (stabilization then leaves the "
            "estimate unchanged) or stabilized=False."
        )
    inp = prepare(data, func=func, outcome=outcome, treatment=treatment, covariates=covariates, estimand=estimand,
                  weights=weights, se=se, alpha=alpha)
    step = propensity_step(inp, ps_model=ps_model, trim=trim, random_state=random_state)
    d, y, w, k = inp.d, inp.y, inp.w, step.keep.astype(float)
    s = inp.population()
    om, dom = step.omega(d, inp.estimand)
    z = step.z
    mus, psis = [], []
    for arm in (d, ~d):
        a_ = arm.astype(float)
        num = w * a_ * om * y
        a = w * a_ * y * dom
        if normalize:
            den = w * a_ * om
            b = w * a_ * dom
        else:
            den = w * k * s
            b = None
        mu, psi = ratio_influence(num, den, [(step.lin, z, a, b)])
        mus.append(mu)
        psis.append(psi)
    used = step.keep
    final_w = om * w
    shown = om
    if stabilized:
        shown = ipw_weights(np.where(step.keep, step.p, 0.5), d, inp.estimand, stabilized=True,
                            sampling_weights=inp.sw) * step.keep / w
    sizes = sample_size_table(d, {"trimmed": step.trimmed, "truncated": step.truncated}, final_w, used)
    diagnostics: dict[str, object] = {
        **step.diagnostics(inp),
        "weights": shown,
        "weights_summary": weights_summary(shown * w, d, used),
        "balance": balance_diagnostic(inp, shown),
    }
    kind = ("normalized (Hajek) weights, as Stata's teffects ipw" if normalize
            else "Horvitz-Thompson (unnormalized) weights")
    notes = [
        f"Inverse-probability weighting with {kind}; {'stabilized ' if stabilized else ''}weights "
        f"{_weight_text(inp.estimand)}; propensity score: {step.ps.model}. Assumes a correctly specified "
        "propensity-score model. References: Hirano, Imbens & Ridder (2003), Econometrica 71(4); Lunceford & "
        "Davidian (2004), Stat. Med. 23(19); Wooldridge (2010), section 21.3.",
        *step.notes,
    ]
    spec = {"estimator": func, "ps_model": step.ps.model, "stabilized": stabilized, "normalize": normalize,
            "trim": None if step.trim is None else step.trim.to_dict(), "random_state": random_state}
    return finish(inp, method=func, mu1=mus[0], mu0=mus[1], psi1=psis[0], psi0=psis[1], used=used,
                  sample_sizes=sizes, diagnostics=diagnostics, spec=spec, notes=notes)


def _weight_text(estimand: str) -> str:
    return {
        "ATE": "1/e(X) for treated and 1/(1-e(X)) for control units",
        "ATT": "1 for treated and e(X)/(1-e(X)) for control units",
        "ATC": "(1-e(X))/e(X) for treated and 1 for control units",
    }[estimand]
