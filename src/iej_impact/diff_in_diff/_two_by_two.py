"""The 2x2 difference-in-differences design, with covariates (Sant'Anna & Zhao 2020).

Two groups (treated D = 1, comparison D = 0) observed before (post = 0) and after (post = 1). The
target is the ATT in the post period under conditional parallel trends,

    E[Y(0)_post - Y(0)_pre | D = 1, X] = E[Y(0)_post - Y(0)_pre | D = 0, X],

and overlap (P(D = 1 | X) < 1). Three estimators, each with its influence function ``psi``
(``estimate - ATT ~ mean(psi)``), which gives the standard errors:

* ``reg`` (outcome regression, Heckman, Ichimura & Todd 1997): a linear model of the change
  (panel) or of each period's level (repeated cross-sections) fitted on the comparison group,
  predicted for the treated.
* ``ipw`` (Abadie 2005, normalised "Hajek" weights): comparison units weighted by p(X)/(1 - p(X))
  from a logit of D on X.
* ``dr`` (doubly robust, Sant'Anna & Zhao 2020): IPW of the outcome-regression residuals;
  consistent when either the logit or the linear model is right. Panel data: their "traditional"
  DR estimator (DRDID::drdid_panel); repeated cross-sections: the locally efficient one
  (DRDID::drdid_rc), as the R ``did`` package uses.

Without covariates the three coincide with the difference of mean changes. The computations,
including the influence functions, follow DRDID (R) line by line, so the numbers agree with
``DRDID`` and ``did`` to machine precision; ``tests/reference/generate/did_mpdta.R`` holds the
reference run. The logit and the regressions are the package's M-estimation core
(:mod:`iej_impact._mestimation`) on the covariates centred and scaled, which leaves fitted values
and influence functions as they are and names collinear covariates in its error. Two DRDID conventions are kept: weights are rescaled to mean 1 (estimates are
unchanged), and propensity scores are capped at 1 - 1e-6 with comparison units whose score is
at least ``trim_level`` (0.995) given zero weight (DRDID >= 1.2.2); the number of trimmed units is
reported.

References
----------
Sant'Anna, P. H. C. and Zhao, J. (2020). Doubly robust difference-in-differences estimators.
Journal of Econometrics 219(1), 101-122.
Abadie, A. (2005). Semiparametric difference-in-differences estimators. Review of Economic
Studies 72(1), 1-19.
Heckman, J., Ichimura, H. and Todd, P. (1997). Matching as an econometric evaluation estimator.
Review of Economic Studies 64(4), 605-654.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

import numpy as np
import pandas as pd

from .._mestimation import Linearization, fit_binary, fit_wls, invert_bread, weighted_gram
from .._params import Columns, Interval, Options, constrained
from .._separation import summary_text
from .._validation import (
    arguments_checked,
    as_column_list,
    check_binary,
    check_columns,
    check_covariates,
    check_dataframe,
    describe_rows,
    example_rows,
    user_stacklevel,
)
from ..data._numeric_text import check_numeric
from ..errors import DataError, EstimationError, OverlapWarning, PanelStructureError
from ..inference import (
    Bootstrap,
    Clustered,
    Inference,
    InferenceLike,
    StandardErrors,
    cluster_codes,
    normal_ci,
    parse_inference,
)
from ..observational._design import scaled_with_intercept
from ..results import EffectResult
from ._panel_linear import PS_CAP, evaluate, fit_linear
from ._panel_linear import ols_what as _ols_what

__all__ = ["did"]

DidMethod = Literal["dr", "ipw", "reg"]
METHODS: tuple[str, ...] = ("dr", "ipw", "reg")
_FUNC = "did"


# ----------------------------------------------------------------------------------------- fits


def _design(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The design the fits see: the constant, then ``x``'s covariates centred and scaled with the weights ``w``.

    ``x`` has the constant first. The scaling only conditions the fits (:mod:`iej_impact._mestimation`):
    fitted values, residuals and influence functions are those of the fits on ``x``.
    """
    return scaled_with_intercept(x[:, 1:], w)[0]


def _names(x: np.ndarray, names: Sequence[str] | None) -> list[str]:
    return [f"x{j}" for j in range(1, x.shape[1])] if names is None else list(names)


def _cm(x: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Column means of x * v[:, None], i.e. x'v / n (DRDID's ``colMeans(v * int.cov)``)."""
    return x.T @ v / len(v)


@dataclass(frozen=True)
class TwoByTwo:
    """One 2x2 estimate: the ATT, its influence function (one value per observation) and fit facts."""

    att: float
    psi: np.ndarray
    n_trimmed: int = 0
    max_score: float = float("nan")
    converged: bool = True
    separation: dict[str, Any] | None = None


class PScore(NamedTuple):
    """A fitted DiD propensity score (see :func:`pscore_fit`); ``lin.z`` is the design it was fitted on."""

    p: np.ndarray
    keep: np.ndarray
    lin: Linearization
    converged: bool
    separation: dict[str, Any] | None = None
    params: np.ndarray | None = None  # the logit's coefficients on the design ``lin.z``


def pscore_fit(x: np.ndarray, d: np.ndarray, w: np.ndarray, trim_level: float,
               names: Sequence[str] | None = None, func: str = _FUNC) -> PScore:
    """Logit propensity score with DRDID's cap and trimming: (p, keep, linearization, converged, separation).

    ``w`` must already be normalised to mean 1; ``x`` has the constant first. The logit is
    :func:`iej_impact._mestimation.fit_binary` on :func:`_design` (the same fit as R's
    ``glm(d ~ -1 + x, family = binomial, weights = w)``), so collinear covariates raise the Gram
    check's error naming them. ``keep`` is 0 for comparison units with p >= trim_level.
    ``separation`` is None or the diagnosis of :func:`iej_impact._separation.diagnose` (decided
    from the data, whatever the Newton iterations did): the perfectly predicted units then get
    scores of 0 (comparison) or 1 (treated, capped at ``PS_CAP``), and ``converged`` is False. As
    DRDID, the linearization uses the capped scores.
    """
    z = _design(x, w)
    fit = fit_binary(z, d, w, link="logit", func=func, what="propensity-score model (logit)",
                     names=_names(x, names), raw=x[:, 1:])
    p = np.minimum(fit.prob, PS_CAP)
    keep = np.ones_like(p)
    keep[d == 0] = (p[d == 0] < trim_level).astype(float)
    lin = Linearization(z=z, r=w * (d - p), a_inv=invert_bread(weighted_gram(z, p * (1 - p) * w) / len(d)))
    return PScore(p, keep, lin, fit.converged, fit.separation, fit.params)


def panel_2x2(dy: np.ndarray, d: np.ndarray, x: np.ndarray | None, w: np.ndarray, method: str,
              trim_level: float = 0.995, ps: PScore | None = None, names: Sequence[str] | None = None,
              func: str = _FUNC) -> TwoByTwo:
    """ATT and influence function from the change dy = y_post - y_pre of each unit (balanced 2x2 panel).

    ``x`` holds the covariates *including* the constant column (None: no covariates). Formulas of
    DRDID::reg_did_panel, std_ipw_did_panel and drdid_panel. ``dy`` may be n x m (m outcome changes
    sharing the same units, groups and covariates, as the cells of one cohort in att_gt): ``att``
    and ``psi`` are then m-vectors and n x m. ``ps`` is an already fitted :func:`pscore_fit` on the
    same rows (a cache: the score does not depend on the outcome). ``names`` name the covariate
    columns of ``x`` (after the constant) in separation diagnoses and singularity errors, which
    name ``func``. With covariates the formulas are those of
    :mod:`iej_impact.diff_in_diff._panel_linear`, arranged as a linear map of dy so that the SQL
    engine path (which reads dy in chunks of units) shares them.
    """
    single = dy.ndim == 1
    dy = dy[:, None] if single else dy
    w = w / w.mean()

    def out(att: np.ndarray, psi: np.ndarray, *extra: object) -> TwoByTwo:
        return TwoByTwo(float(att[0]) if single else att, psi[:, 0] if single else psi, *extra)  # type: ignore[arg-type]

    if x is None:  # all three methods reduce to the difference of (weighted) mean changes
        wt, wc = w * d, w * (1 - d)
        m1, m0 = wt @ dy / wt.sum(), wc @ dy / wc.sum()
        return out(m1 - m0, wt[:, None] * (dy - m1) / wt.mean() - wc[:, None] * (dy - m0) / wc.mean())
    names = _names(x, names)
    if method != "reg":
        ps = ps if ps is not None else pscore_fit(x, d, w, trim_level, names=names, func=func)
    lin = fit_linear(x, d, w, method, trim_level, ps=None if method == "reg" else ps, names=names, func=func)
    att, psi = evaluate(lin, x, d, w, dy)
    if method == "reg":
        return out(att, psi)
    return out(att, psi, lin.n_trimmed, lin.max_score, lin.converged, lin.separation)


def rc_2x2(y: np.ndarray, post: np.ndarray, d: np.ndarray, x: np.ndarray | None, w: np.ndarray, method: str,
           trim_level: float = 0.995, names: Sequence[str] | None = None, func: str = _FUNC) -> TwoByTwo:
    """ATT and influence function (one value per row) from repeated cross-sections (or an unbalanced panel).

    Formulas of DRDID::reg_did_rc, std_ipw_did_rc and drdid_rc (the locally efficient DR estimator).
    """
    n = len(d)
    w = w / w.mean()
    one = np.ones((n, 1)) if x is None else x
    names = _names(one, names)
    if x is None:
        method = "reg"  # identical for the three methods without covariates; the shortest formulas
    if method == "reg":
        z = _design(one, w)
        fit0 = fit_wls(z, y, w * (1 - d) * (1 - post), names=names, func=func, what=_ols_what("comparison", "pre"))
        fit1 = fit_wls(z, y, w * (1 - d) * post, names=names, func=func, what=_ols_what("comparison", "post"))
        o0, o1 = fit0.fitted, fit1.fitted
        wtp, wtq, wc = w * d * (1 - post), w * d * post, w * d
        eta_tp, eta_tq = np.dot(wtp, y) / wtp.sum(), np.dot(wtq, y) / wtq.sum()
        eta_c = np.dot(wc, o1 - o0) / wc.sum()
        inf_treat = wtq * (y - eta_tq) / wtq.mean() - wtp * (y - eta_tp) / wtp.mean()
        m1 = _cm(z, wc)
        inf_control = (wc * (o1 - o0 - eta_c) + fit1.lin.project(m1) - fit0.lin.project(m1)) / wc.mean()
        return TwoByTwo(float(eta_tq - eta_tp - eta_c), inf_treat - inf_control)
    ps = pscore_fit(one, d, w, trim_level, names=names, func=func)
    p, keep, lin_ps, z = ps.p, ps.keep, ps.lin, ps.lin.z
    facts = (int(np.sum((keep == 0) & (d == 0))), float(p.max()), ps.converged, ps.separation)
    wtp, wtq = keep * w * d * (1 - post), keep * w * d * post
    odds = p * (1 - d) / (1 - p)
    wcp, wcq = keep * w * odds * (1 - post), keep * w * odds * post
    if method == "ipw":
        a = [np.dot(v, y) / v.sum() for v in (wtp, wtq, wcp, wcq)]
        inf = [v * (y - ai) / v.mean() for v, ai in zip((wtp, wtq, wcp, wcq), a, strict=True)]
        m2p = _cm(z, wcp * (y - a[2])) / wcp.mean()
        m2q = _cm(z, wcq * (y - a[3])) / wcq.mean()
        psi = (inf[1] - inf[0]) - (inf[3] - inf[2] + lin_ps.project(m2q - m2p))
        return TwoByTwo(float((a[1] - a[0]) - (a[3] - a[2])), psi, *facts)
    fits = {}
    for name, group, period, wo in (("c0", "comparison", "pre", w * (1 - d) * (1 - post)),
                                    ("c1", "comparison", "post", w * (1 - d) * post),
                                    ("t0", "treated", "pre", w * d * (1 - post)),
                                    ("t1", "treated", "post", w * d * post)):
        fits[name] = fit_wls(z, y, wo, names=names, func=func, what=_ols_what(group, period))
    oc0, oc1, ot0, ot1 = (fits[k].fitted for k in ("c0", "c1", "t0", "t1"))
    asy = {k: f.lin for k, f in fits.items()}
    oc = post * oc1 + (1 - post) * oc0
    wd, wdt1, wdt0 = keep * w * d, keep * w * d * post, keep * w * d * (1 - post)
    r = y - oc
    a_tp, a_tq = np.dot(wtp, r) / wtp.sum(), np.dot(wtq, r) / wtq.sum()
    a_cp, a_cq = np.dot(wcp, r) / wcp.sum(), np.dot(wcq, r) / wcq.sum()
    a_dq, a_dt1 = np.dot(wd, ot1 - oc1) / wd.sum(), np.dot(wdt1, ot1 - oc1) / wdt1.sum()
    a_dp, a_dt0 = np.dot(wd, ot0 - oc0) / wd.sum(), np.dot(wdt0, ot0 - oc0) / wdt0.sum()
    att = (a_tq - a_tp) - (a_cq - a_cp) + (a_dq - a_dt1) - (a_dp - a_dt0)
    inf_tp, inf_tq = wtp * (r - a_tp) / wtp.mean(), wtq * (r - a_tq) / wtq.mean()
    m1q = -_cm(z, wtq * post) / wtq.mean()
    m1p = -_cm(z, wtp * (1 - post)) / wtp.mean()
    inf_treat = inf_tq - inf_tp + asy["c1"].project(m1q) + asy["c0"].project(m1p)
    inf_cp, inf_cq = wcp * (r - a_cp) / wcp.mean(), wcq * (r - a_cq) / wcq.mean()
    m2p = _cm(z, wcp * (r - a_cp)) / wcp.mean()
    m2q = _cm(z, wcq * (r - a_cq)) / wcq.mean()
    m3q = -_cm(z, wcq * post) / wcq.mean()
    m3p = -_cm(z, wcp * (1 - post)) / wcp.mean()
    inf_cont = inf_cq - inf_cp + lin_ps.project(m2q - m2p) + asy["c1"].project(m3q) + asy["c0"].project(m3p)
    inf_eff = ((wd * (ot1 - oc1 - a_dq) / wd.mean() - wdt1 * (ot1 - oc1 - a_dt1) / wdt1.mean())
               - (wd * (ot0 - oc0 - a_dp) / wd.mean() - wdt0 * (ot0 - oc0 - a_dt0) / wdt0.mean()))
    mom_q = _cm(z, wd / wd.mean() - wdt1 / wdt1.mean())
    mom_p = _cm(z, wd / wd.mean() - wdt0 / wdt0.mean())
    inf_or = ((asy["t1"].project(mom_q) - asy["c1"].project(mom_q))
              - (asy["t0"].project(mom_p) - asy["c0"].project(mom_p)))
    psi = inf_treat - inf_cont + inf_eff + inf_or
    return TwoByTwo(float(att), psi, *facts)


# ----------------------------------------------------------------------------------------- public 2x2


@constrained({
    "outcome": Columns(single=True), "treatment": Columns(single=True), "post": Columns(single=True),
    "unit": Columns(single=True, none_ok=True), "covariates": Columns(), "method": Options(METHODS),
    "weights": Columns(single=True, none_ok=True), "trim_level": Interval(0.5, 1.0, low_open=True), "alpha": Interval(0.0, 0.5, low_open=True),
})
def did(
    data: pd.DataFrame,
    *,
    outcome: str,
    treatment: str,
    post: str,
    unit: str | None = None,
    covariates: Sequence[str] = (),
    method: DidMethod = "dr",
    weights: str | None = None,
    se: InferenceLike | None = None,
    trim_level: float = 0.995,
    alpha: float = 0.05,
) -> EffectResult:
    """2x2 difference-in-differences ATT, with covariates by regression, IPW or doubly robust.

    Parameters
    ----------
    data : long table, one row per observation. With ``unit`` (a panel) every unit has exactly
        one row with post = 0 and one with post = 1; without it the rows are repeated
        cross-sections (different people before and after).
    outcome : numeric outcome column.
    treatment : 0/1 column, 1 for the group treated in the post period (constant within unit).
    post : 0/1 column, 1 for the post-treatment period.
    unit : unit id column for panel data; None for repeated cross-sections.
    covariates : pre-treatment covariates X (panel: taken from the pre-period row). Empty: the
        unconditional DiD (the three methods coincide).
    method : "dr" (doubly robust, default), "ipw" or "reg".
    weights : optional sampling-weight column (> 0; constant within unit in a panel).
    se : None (default): the influence-function ("robust") standard error, sqrt(sum psi^2) / n,
        which for a panel is clustered by unit (each unit's two rows give one psi); the same as
        "robust". ``{type: clustered, by: col}``: cluster sums of psi with the factor G/(G-1).
        ``{type: bootstrap, reps: B, random_state: s}``: multiplier bootstrap, the only kind here (Rademacher weights on
        psi, or on its cluster sums with ``cluster``), SE from the interquartile range.
    trim_level : comparison units with a propensity score >= trim_level get zero weight (ipw/dr).
    alpha : 1 - confidence level.

    Returns
    -------
    EffectResult (method "did", estimand "ATT"); ``influence`` holds psi per unit (panel) or row.

    Notes
    -----
    Identification needs (conditional) parallel trends, no anticipation and overlap; covariates
    must not be affected by treatment. The influence functions, hence the SEs, include the
    estimation effect of the propensity score and outcome-regression coefficients.

    References
    ----------
    Sant'Anna & Zhao (2020), J. Econometrics 219(1), 101-122; Abadie (2005), REStud 72(1), 1-19.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"id": [1, 1, 2, 2, 3, 3, 4, 4], "y": [1., 2., 1., 2.5, 2., 4., 1., 3.5],
    ...                    "d": [0, 0, 0, 0, 1, 1, 1, 1], "p": [0, 1] * 4})
    >>> round(did(df, outcome="y", treatment="d", post="p", unit="id").estimate, 3)
    1.0
    """
    check_dataframe(data, _FUNC)
    covs = as_column_list("covariates", covariates, _FUNC)
    needed = [outcome, treatment, post] + ([unit] if unit else []) + covs + ([weights] if weights else [])
    check_columns(data, needed, _FUNC)
    if covs:
        check_covariates(data, covs, _FUNC)
    inference = parse_inference("robust" if se is None else se, _FUNC, ("robust", "clustered", "bootstrap"),
                                bootstrap=("multiplier",))
    y = check_numeric(data, outcome, _FUNC)
    d = check_binary(data, treatment, _FUNC).astype(float)
    p = check_binary(data, post, _FUNC).astype(float)
    x = np.column_stack([np.ones(len(data))] + [check_numeric(data, c, _FUNC) for c in covs]) if covs else None
    w = np.ones(len(data)) if weights is None else check_numeric(data, weights, _FUNC)
    if weights is not None and (w <= 0).any():
        raise DataError(f"{_FUNC}(): weights column '{weights}' must be > 0; found {describe_rows(data, w <= 0)}.",
                        column=weights, rows=example_rows(data, w <= 0))
    for arm, label in ((1.0, "treated"), (0.0, "comparison")):
        for period, plabel in ((0.0, "pre"), (1.0, "post")):
            if not np.any((d == arm) & (p == period)):
                raise DataError(f"{_FUNC}(): no {label} observation in the {plabel} period ({treatment} = {int(arm)}, "
                                f"{post} = {int(period)}); the 2x2 design needs all four cells.", column=treatment)
    arguments_checked()

    if unit is not None:
        frame, rows = _panel_rows(data, unit, treatment, post, weights)
        pre_i, post_i = rows
        dy = y[post_i] - y[pre_i]
        dd, ww = d[pre_i], w[pre_i]
        xx = None if x is None else x[pre_i]
        fit = panel_2x2(dy, dd, xx, ww, method, trim_level, names=covs)
        ids = frame
        design = "panel"
    else:
        fit = rc_2x2(y, p, d, x, w, method, trim_level, names=covs)
        dd, ids, pre_i = d, None, np.arange(len(d))
        design = "repeated cross-sections"
    if not np.isfinite(fit.att):
        raise EstimationError(f"{_FUNC}(): the ATT is undefined (a cell has zero total weight after trimming).")
    if fit.separation is not None:
        warnings.warn(f"{_FUNC}(): the logit propensity score has no maximum-likelihood estimate: "
                      f"{summary_text(fit.separation)}. Their scores are 0 (comparison) or 1 (treated): perfectly "
                      "predicted comparison units get no weight, and perfectly predicted treated units have no "
                      "comparable comparison unit, so their counterfactual trend is extrapolated. Drop or merge the "
                      "covariate, or restrict the sample to common support.", OverlapWarning, stacklevel=user_stacklevel())
    if fit.n_trimmed:
        warnings.warn(f"{_FUNC}(): {fit.n_trimmed} comparison observations have a propensity score >= {trim_level} "
                      "and get zero weight (DRDID's trimming); check overlap.", OverlapWarning, stacklevel=user_stacklevel())
    psi = fit.psi
    n = len(psi)
    errors, note = _se(psi, inference, data, pre_i, ids, _FUNC)
    std_error = errors.se
    lo, hi, pval = normal_ci(fit.att, std_error, alpha)
    n1, n0 = int(dd.sum()), int((1 - dd).sum())
    sizes = pd.DataFrame({"control": [n0], "treated": [n1]}, index=pd.Index(["used"], name="sample"))
    notes = [f"2x2 DiD on {design} ({n} {'units' if unit else 'rows'}), method {method!r}"
             + (f" with covariates {covs}" if covs else " without covariates") + f"; standard error: {note}.",
             "Assumes (conditional) parallel trends, no anticipation and overlap."]
    if fit.n_trimmed:
        notes.append(f"{fit.n_trimmed} comparison units with propensity score >= {trim_level} were given zero weight.")
    if fit.separation is not None:
        notes.append(f"The propensity score is separated: {summary_text(fit.separation)}.")
    return EffectResult(
        method="did", estimand="ATT", outcome=outcome, estimate=float(fit.att), std_error=float(std_error),
        ci=(lo, hi), p_value=pval, inference=errors.inference, n_treated=n1, n_control=n0, alpha=float(alpha),
        sample_sizes=sizes,
        diagnostics={"design": design, "n_trimmed": fit.n_trimmed, "max_propensity_score": fit.max_score,
                     "propensity_converged": fit.converged, "propensity_separation": fit.separation},
        spec={"outcome": outcome, "treatment": treatment, "post": post, "unit": unit, "covariates": covs,
              "method": method, "weights": weights, "se": inference.to_dict(), "trim_level": trim_level,
              "alpha": alpha},
        notes=tuple(notes), influence=psi,
    )


def _panel_rows(data: pd.DataFrame, unit: str, treatment: str, post: str,
                weights: str | None) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """Row positions of each unit's pre and post observation; PanelStructureError when a unit lacks one."""
    ids = data[unit]
    if ids.isna().any():
        raise DataError(f"{_FUNC}(): unit column '{unit}' is missing in {describe_rows(data, ids.isna())}.", column=unit,
                        rows=example_rows(data, ids.isna()))
    codes, uniques = pd.factorize(ids, sort=True)
    pv = data[post].to_numpy(dtype=float)
    key = codes * 2 + pv.astype(np.int64)
    counts = np.bincount(key, minlength=2 * len(uniques)).reshape(-1, 2)
    bad = (counts != 1).any(axis=1)
    if bad.any():
        dup = (counts > 1).any(axis=1)
        kind = "appear more than once in a period" if dup.any() else "are not observed in both periods"
        mask = bad[codes]
        raise PanelStructureError(
            f"{_FUNC}(): with unit='{unit}' every unit needs exactly one pre and one post row; {int(bad.sum())} units "
            f"{kind} ({describe_rows(data, mask)}). Drop them, or leave unit=None to treat the rows as repeated "
            "cross-sections.", column=unit, rows=example_rows(data, mask))
    order = np.argsort(key, kind="stable")
    pre_i, post_i = order[0::2], order[1::2]
    for col in [treatment] + ([weights] if weights else []):
        v = data[col].to_numpy()
        varying = v[pre_i] != v[post_i]
        if varying.any():
            raise PanelStructureError(
                f"{_FUNC}(): column '{col}' changes between the pre and post rows of {int(varying.sum())} units "
                f"(e.g. {unit} {', '.join(map(str, uniques[varying][:5].tolist()))}); it must be constant within unit.",
                column=col, rows=uniques[varying][:5].tolist())
    return uniques.to_numpy(), (pre_i, post_i)


def _se(psi: np.ndarray, inference: Inference, data: pd.DataFrame, rows: np.ndarray, ids: object,
        func: str) -> tuple[StandardErrors, str]:
    """Standard error from the influence function under ``inference``; ``rows`` map psi to data rows."""
    if isinstance(inference, Clustered):
        clusters = cluster_codes(data.iloc[rows], inference.columns, func)
        g = int(np.unique(clusters).size)
        return (inference.standard_errors(psi, clusters=clusters, small_sample="G/(G-1)"),
                f"clustered by {inference.columns} ({g} clusters, G/(G-1))")
    if isinstance(inference, Bootstrap):
        seed = inference.seed()
        clusters = cluster_codes(data.iloc[rows], [inference.cluster], func) if inference.cluster else None
        return (inference.standard_errors(psi, clusters=clusters, seed=seed),
                f"multiplier bootstrap, {inference.reps} Rademacher draws (seed {seed})")
    return (inference.standard_errors(psi, small_sample="none"),
            "influence function, sqrt(sum psi^2) / n" + (" (clustered by unit)" if ids is not None else ""))
