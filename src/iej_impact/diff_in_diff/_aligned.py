"""Cohort-aligned difference-in-differences: each entry cohort against the comparison units aligned with it.

Evaluations of a programme often draw their comparison cohort with a *reference date*: a
pseudo-entry (the month a comparison youth was registered, met an adviser, was sampled) that
plays the part of the participants' entry date. :func:`aligned_did` uses it as the design does:
the participants who entered in period g (cohort g) are compared **only** with the comparison
units whose reference period is g, so both arms are at the same calendar date and the same point
of their own history, and event time e = t - g is defined for both. For each cohort g and event
time e,

    ATT(g, e) = mean_{participants of g} (Y_{g+e} - Y_b) - mean_{comparison units with reference g} (Y_{g+e} - Y_b),

with one base period per cohort, b = the last period before g - anticipation (g - 1 - anticipation
for consecutive periods; a *universal* base: leads are long differences too, and the base cell is
0 by construction). Each cell is the 2x2 DiD of the units observed in both of its periods; with
``covariates`` it is the outcome-regression DiD (``method="reg"``, Heckman, Ichimura & Todd 1997;
DRDID's ``reg_did_panel``), or the IPW / doubly robust DiD of Sant'Anna & Zhao (2020) (``"ipw"``,
``"dr"``), the covariates taken from the earlier period of the pair.

This is the stacked design of Cengiz, Dube, Lindner & Zipperer (2019), one stack per entry cohort
with its own "clean" comparison units, estimated cell by cell as Callaway & Sant'Anna (2021) do;
it differs from :func:`~iej_impact.diff_in_diff._staggered.att_gt` only in the comparison group
(aligned comparison units instead of all never-treated or not-yet-treated units) and the base
period (always universal). The result is a :class:`~iej_impact.diff_in_diff._staggered.GroupTimeResult`
(:class:`AlignedResult`), so everything downstream is shared: each cell's influence function
(one value per unit; a unit belongs to one cohort), standard errors clustered by unit (or by a
coarser cluster, or the multiplier bootstrap with uniform bands), the joint pre-trend Wald test of
the leads before the anticipation window, and ``.aggregate(kind)``: ``"dynamic"`` (ATT by event
time, cohorts weighted by their number of participants, overall = the mean of the e >= 0 levels),
``"simple"``, ``"group"``, ``"calendar"``; the influence functions of the aggregates include the
estimation of the cohort-size weights.

Assumptions: parallel trends between each entry cohort and its aligned comparison units (in
expectation, conditional on the covariates when given) from the base period on; no anticipation
more than ``anticipation`` periods before entry; comparison units untreated over the window;
participants' entry periods and comparison units' reference periods measured alike.

References
----------
Cengiz, D., Dube, A., Lindner, A. and Zipperer, B. (2019). The effect of minimum wages on
low-wage jobs. Quarterly Journal of Economics 134(3), 1405-1454 (the stacked design).
Callaway, B. and Sant'Anna, P. H. C. (2021). Difference-in-differences with multiple time periods.
Journal of Econometrics 225(2), 200-230 (cohort-time cells, aggregation, inference).
Sant'Anna, P. H. C. and Zhao, J. (2020). Doubly robust difference-in-differences estimators.
Journal of Econometrics 219(1), 101-122.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from .._params import Columns, Interval, Options, constrained
from .._separation import summary_text
from .._validation import (
    arguments_checked,
    as_column_list,
    check_columns,
    check_covariates,
    check_dataframe,
    user_stacklevel,
)
from ..data._aligned_panel import AlignedPanel, prepare_aligned
from ..errors import EstimationError, MissingDataWarning, OverlapWarning, SpecificationError
from ..inference import Bootstrap, Clustered, InferenceLike, parse_inference
from ._aggregate import LEADS, level_value
from ._staggered import GroupTimeResult, cell_inference, cells_pretrend, normal_z, panel_batch
from ._two_by_two import METHODS

__all__ = ["aligned_did", "AlignedResult"]

_FUNC = "aligned_did"


@dataclass(frozen=True)
class AlignedResult(GroupTimeResult):
    """Cohort-aligned ATT(g, t) (t = g + e) with their influence functions: a :class:`GroupTimeResult`.

    ``table`` has one row per (cohort, period) cell, as att_gt's (``base_period`` is the cohort's
    universal base; the base cell has estimate 0 and no standard error); ``n_treated`` and
    ``n_control`` count the participants and the aligned comparison units used, ``sample_sizes``
    both by cohort. ``aggregate("dynamic")`` gives the ATT by event time and the overall post average.
    """

    n_treated: int = 0
    n_control: int = 0

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        keys = list(out)
        at = keys.index("n_units") + 1
        order = keys[:at] + ["n_treated", "n_control"] + keys[at:]
        out.update(n_treated=self.n_treated, n_control=self.n_control)
        return {key: out[key] for key in order}


@constrained({
    "outcome": Columns(single=True), "unit": Columns(single=True), "time": Columns(single=True),
    "cohort": Columns(single=True), "reference": Columns(single=True), "treatment": Columns(single=True, none_ok=True),
    "covariates": Columns(), "weights": Columns(single=True, none_ok=True), "method": Options(METHODS),
    "anticipation": Interval(low=0, integer=True), "trim_level": Interval(0.5, 1.0, low_open=True),
    "pretrend_leads": LEADS, "alpha": Interval(0.0, 0.5, low_open=True),
})
def aligned_did(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    reference: str,
    treatment: str | None = None,
    covariates: Sequence[str] = (),
    method: Literal["reg", "dr", "ipw"] = "reg",
    window: tuple[int, int] | None = None,
    anticipation: int = 0,
    se: InferenceLike | None = None,
    weights: str | None = None,
    pretrend_leads: Sequence[int] | Literal["all"] | None = None,
    trim_level: float = 0.995,
    alpha: float = 0.05,
) -> AlignedResult:
    """Cohort-aligned DiD: each entry cohort g against the comparison units whose reference period is g.

    Parameters
    ----------
    data : long panel, one row per unit and period, participants and comparison units.
    outcome : numeric outcome column; rows with a missing outcome are dropped with a warning.
    unit : unit id column.
    time : numeric period column (e.g. month number, see :func:`iej_impact.data._panel.period_from_dates`).
    cohort : participants' entry period, in the units of ``time``; missing for comparison units.
    reference : comparison units' reference (pseudo-entry) period, in the units of ``time``; missing
        for participants. It may be the same column as ``cohort`` (everyone's (pseudo-)entry period)
        when ``treatment`` tells the arms apart.
    treatment : optional 1/0 participant column (constant within unit). Without it, participants are
        the units with an entry period.
    covariates : pre-treatment covariates (from the earlier period of each pair); none gives the
        unconditional DiD of mean changes.
    method : 2x2 estimator with covariates: "reg" (outcome regression, default), "dr" or "ipw".
    window : (first, last) event time of the cells, e.g. (-6, 12); None: every event time observed
        for a cohort and its comparison units. ``last`` must be >= 0.
    anticipation : periods before entry in which participants may already react; the base period is
        the last period before g - anticipation (event time -1 - anticipation).
    se : "robust" (default: influence functions clustered by unit, no small-sample factor, as
        att_gt), ``{type: clustered, by: col}`` (clusters containing whole units, G/(G-1)) or
        ``{type: bootstrap, reps: 999}`` (multiplier bootstrap with a uniform band).
    weights : optional sampling weights (> 0, constant within unit).
    pretrend_leads : event times (< 0) of the pre-trend Wald test; None (default): every lead before
        the anticipation window; ``"all"``: every lead; or a list.
    trim_level : with method "ipw"/"dr", comparison units with a propensity score >= trim_level get no weight.
    alpha : 1 - confidence level.

    Returns
    -------
    AlignedResult (a GroupTimeResult): the cells, ``pretrend``, ``n_treated``/``n_control``,
    ``sample_sizes`` by cohort; ``.aggregate("dynamic")`` for the ATT by event time (cohorts
    weighted by size) and the overall post-entry average, ``.plot_event_study()``.

    Raises
    ------
    DataError for a participant with a reference period (or a comparison unit with an entry
    period), a comparison unit without a reference period, non-numeric periods;
    PanelStructureError when no comparison unit is aligned with any cohort or a period varies
    within a unit. Cohorts without aligned comparison units are dropped with a MissingDataWarning
    and a note.

    Notes
    -----
    Identification: parallel trends between each cohort and its aligned comparison units from the
    base period on, and no anticipation beyond ``anticipation`` periods (see the module docstring).
    Each cell uses the units observed in both of its periods; cells without a participant observed
    in both are not formed, cells without a comparison unit are left missing with a warning.

    References
    ----------
    Cengiz, Dube, Lindner & Zipperer (2019), QJE 134(3), 1405-1454; Callaway & Sant'Anna (2021),
    J. Econometrics 225(2), 200-230.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> n = 400; ids = np.repeat(np.arange(n), 6); t = np.tile(np.arange(1, 7), n)
    >>> entry = np.repeat(np.where(np.arange(n) % 2 == 0, 3, 4), 6).astype(float)
    >>> part = np.repeat(np.arange(n) < 200, 6)
    >>> y = rng.normal(size=n * 6) + 0.5 * (part & (t >= entry))
    >>> df = pd.DataFrame({"id": ids, "t": t, "y": y, "g": np.where(part, entry, np.nan),
    ...                    "ref": np.where(part, np.nan, entry)})
    >>> res = aligned_did(df, outcome="y", unit="id", time="t", cohort="g", reference="ref")
    >>> res.table["group"].unique().tolist(), res.n_treated, res.n_control
    ([3, 4], 200, 200)
    >>> dyn = res.aggregate("dynamic")
    >>> dyn.by["event_time"].tolist(), dyn.reference_event_time
    ([-3, -2, -1, 0, 1, 2, 3], -1.0)
    """
    check_dataframe(data, _FUNC)
    antic = int(anticipation)
    lo, hi = _check_window(window)
    covs = as_column_list("covariates", covariates, _FUNC)
    spec_se = parse_inference("robust" if se is None else se, _FUNC, ("robust", "clustered", "bootstrap"),
                              bootstrap=("multiplier",))
    cluster_cols = (spec_se.columns if isinstance(spec_se, Clustered)
                    else [spec_se.cluster] if isinstance(spec_se, Bootstrap) and spec_se.cluster else [])
    needed = [outcome, unit, time, cohort, reference] + ([treatment] if treatment else []) + covs
    check_columns(data, list(dict.fromkeys(needed + ([weights] if weights else []) + cluster_cols)), _FUNC)
    if covs:
        check_covariates(data, covs, _FUNC)
    panel = prepare_aligned(data, outcome=outcome, unit=unit, time=time, cohort=cohort, reference=reference,
                            treatment=treatment, covs=covs, weights=weights, cluster_cols=cluster_cols, func=_FUNC)
    arguments_checked()
    cells = _estimate_cells(panel, lo=lo, hi=hi, anticipation=antic, method=method, trim_level=trim_level, names=covs)
    seed = spec_se.seed() if isinstance(spec_se, Bootstrap) else None
    inference = spec_se.using("G/(G-1)" if isinstance(spec_se, Clustered) else "none")
    psi = cells.pop("psi")
    separated = cells.pop("separation")
    table, crit = cell_inference(pd.DataFrame(cells), psi, inference, panel.clusters, seed, alpha)
    used = np.unique(table.loc[table["estimate"].notna() & table["post"], "group"].to_numpy(dtype=float))
    n_treated = int(np.isin(panel.cohort_unit, used).sum())
    n_control = int(np.isin(panel.reference_unit, used).sum())
    notes = list(panel.notes)
    notes.append(f"Cohort-aligned comparison: the participants who entered in period g against the {n_control} "
                 f"comparison units whose reference period ('{reference}') is g ({n_treated} participants, "
                 f"{len(used)} cohorts); universal base period: the last period before "
                 + (f"g - {antic} (event time {-1 - antic}); anticipation: {antic}" if antic else
                    "entry (event time -1); no anticipation") + "; 2x2 estimator: "
                 + (f"{method} with covariates {covs}" if covs else "difference of mean changes (no covariates)")
                 + (f"; cells at event times {lo:g} to {hi:g}" if window is not None else "") + ".")
    notes.append("Standard errors from the influence functions, " + (
        f"clustered by {cluster_cols} (G/(G-1))" if isinstance(spec_se, Clustered) else
        f"multiplier bootstrap with {spec_se.reps} Rademacher draws (seed {seed}), uniform sup-t band"
        if isinstance(spec_se, Bootstrap) else "clustered by unit (each unit is in one cohort; no small-sample "
        "factor)") + ".")
    if separated:
        notes.append(f"The propensity score is separated in {len(separated)} 2x2 comparisons: "
                     + "; ".join(separated[:5]) + ("; ..." if len(separated) > 5 else "") + ".")
    if np.isfinite(crit):
        notes.append(f"Uniform band critical value {crit:.3f} (pointwise {normal_z(alpha):.3f}).")
    return AlignedResult(
        method=_FUNC, estimand="ATT(g,t)", outcome=outcome, table=table, inference=inference, alpha=float(alpha),
        critical_value=crit, pretrend=cells_pretrend(table, psi, panel.clusters, pretrend_leads, antic),
        units=panel.unit_ids, unit_cohort=panel.cohort_unit, unit_weight=panel.w_unit, sample_sizes=panel.sizes,
        spec={"outcome": outcome, "unit": unit, "time": time, "cohort": cohort, "reference": reference,
              "treatment": treatment, "covariates": covs, "method": method,
              "window": None if window is None else [int(lo), int(hi)], "anticipation": antic, "base_period": "universal",
              "se": spec_se.to_dict(), "weights": weights, "pretrend_leads": pretrend_leads,
              "trim_level": trim_level, "alpha": alpha},
        notes=tuple(notes), influence=psi, _clusters=panel.clusters, _seed=seed, n_treated=n_treated,
        n_control=n_control,
    )


def _check_window(window: object) -> tuple[float, float]:
    """(first, last) event time of the cells; (-inf, inf) for None."""
    if window is None:
        return -np.inf, np.inf
    if (not isinstance(window, (tuple, list)) or len(window) != 2
            or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in window)
            or window[0] > window[1] or window[1] < 0):
        raise SpecificationError(f"the 'window' parameter of {_FUNC}() must be two integer event times (first <= "
                                 f"last, last >= 0), e.g. [-6, 12]; got {window!r}.")
    return float(window[0]), float(window[1])


def _estimate_cells(p: AlignedPanel, *, lo: float, hi: float, anticipation: int, method: str, trim_level: float,
                    names: Sequence[str]) -> dict[str, Any]:
    """Every (cohort, period) cell within the window: estimates, influence functions (units x cells), sizes."""
    periods = p.periods
    observed = np.isfinite(p.y_wide)
    specs: list[tuple[float, int, int, bool, bool]] = []  # (cohort, current, base, post, is the base)
    batches: dict[tuple[Any, ...], list[int]] = {}
    problems: list[str] = []
    for g in np.unique(p.cohort_unit[~np.isnan(p.cohort_unit)]):
        before = np.flatnonzero(periods + anticipation < g)
        treated, control = p.cohort_unit == g, p.reference_unit == g
        if not before.size or not (treated & observed[:, before[-1]]).any():
            problems.append(f"cohort {g:g} is not observed in a period before {g - anticipation:g} and is left out")
            continue
        base = int(before[-1])
        for cur in range(len(periods)):
            both = observed[:, cur] & observed[:, base]
            if not lo <= periods[cur] - g <= hi or not (treated & both).any():
                continue
            j = len(specs)
            specs.append((g, cur, base, bool(periods[cur] >= g), cur == base))
            if cur != base:
                key = (g, both[treated | control].tobytes(), -1 if p.x_invariant else min(cur, base))
                batches.setdefault(key, []).append(j)
    if not specs:
        raise EstimationError(f"{_FUNC}(): no cohort-time cell could be formed: " + "; ".join(problems[:5])
                              + (f" (window {lo:g} to {hi:g})" if np.isfinite(lo) or np.isfinite(hi) else "") + ".")
    k, n = len(specs), len(p.unit_ids)
    est, psi = np.full(k, np.nan), np.zeros((n, k))
    n_treat, n_ctrl = np.zeros(k, dtype=np.int64), np.zeros(k, dtype=np.int64)
    for j, (g, cur, _, _, is_base) in enumerate(specs):
        if is_base:
            est[j], n_treat[j] = 0.0, int(((p.cohort_unit == g) & observed[:, cur]).sum())
            n_ctrl[j] = int(((p.reference_unit == g) & observed[:, cur]).sum())
    separated: list[str] = []
    for cols in batches.values():
        g, cur, base = specs[cols[0]][:3]
        both = observed[:, cur] & observed[:, base]
        problem, sep = panel_batch(p, (p.cohort_unit == g) & both, (p.reference_unit == g) & both,
                                   [specs[j] for j in cols], cols, method, trim_level, est, psi, n_treat, n_ctrl,
                                   names or None, func=_FUNC)
        label = [f"ATT({g:g},{periods[specs[j][1]]:g})" for j in cols]
        problems += [f"{cell}: {problem}" for cell in label] if problem else []
        separated += [f"{cell}: {summary_text(sep)}" for cell in label] if sep is not None else []
    _warn(problems, separated)
    return {"group": [level_value(sp[0]) for sp in specs], "time": [level_value(periods[sp[1]]) for sp in specs],
            "event_time": [level_value(periods[sp[1]] - sp[0]) for sp in specs],
            "base_period": [level_value(periods[sp[2]]) for sp in specs], "post": np.array([sp[3] for sp in specs]),
            "estimate": est, "n_treated": n_treat, "n_control": n_ctrl, "psi": psi, "separation": separated}


def _warn(problems: list[str], separated: list[str]) -> None:
    """One warning for the cells left missing (or cohorts left out), one for separated propensity scores."""
    if problems:
        warnings.warn(f"{_FUNC}(): {len(problems)} cohorts or cells could not be estimated and are left out or "
                      "missing: " + "; ".join(problems[:5]) + ("; ..." if len(problems) > 5 else "") + ".",
                      OverlapWarning if any("propensity" in s for s in problems) else MissingDataWarning,
                      stacklevel=user_stacklevel())
    if separated:
        warnings.warn(f"{_FUNC}(): the logit propensity score has no maximum-likelihood estimate in {len(separated)} "
                      "cells (separation; perfectly predicted comparison units get no weight): "
                      + "; ".join(separated[:5]) + ("; ..." if len(separated) > 5 else "") + ".",
                      OverlapWarning, stacklevel=user_stacklevel())
