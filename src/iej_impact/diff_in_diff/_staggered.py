"""Staggered adoption: Callaway & Sant'Anna (2021) group-time ATTs and their aggregations.

Units enter treatment at different periods and stay treated; the cohort (group) g of a unit is its
first treatment period, missing (NaN, or a declared ``never_treated`` value) for never-treated
units. For each cohort g and period t, :func:`att_gt` estimates

    ATT(g, t) = E[Y_t(g) - Y_t(0) | G = g]

by a 2x2 DiD of cohort g against a comparison group between t and a base period b:

* comparison: never-treated units (``control_group="never_treated"``), or units not yet treated
  by max(t, b) + anticipation, cohort g excluded (``"not_yet_treated"``);
* base period: for post-treatment cells (t >= g - anticipation... strictly, t >= g) the last period
  before g - anticipation; for pre-treatment cells the previous period (``base_period="varying"``,
  short differences, as R ``did``) or the same g - anticipation - 1 (``"universal"``: the
  pre-treatment cells are then an event study relative to one base, and the base cell is 0);
* the 2x2 estimator: outcome regression, IPW or doubly robust (:mod:`iej_impact.diff_in_diff._two_by_two`) on the
  covariates (from the earlier period of the pair). Balanced panels use the panel estimators on the
  unit's change; unbalanced panels (``unbalanced="keep"``) and repeated cross-sections use the
  repeated cross-section estimators on the rows observed in the two periods, with the influence
  function summed by unit (R ``did``'s ``allow_unbalanced_panel``).

Each ATT(g, t) comes with its influence function (n units x cells), stored in the result. Standard
errors, clustering, the multiplier bootstrap with uniform (sup-t) bands, the pre-trend Wald test
and every aggregation are computed from it without re-estimating (:meth:`GroupTimeResult.aggregate`,
:mod:`iej_impact.diff_in_diff._aggregate`; the inference objects of :mod:`iej_impact.inference`):

* ``simple``: post-treatment cells weighted by cohort size;
* ``group``: average over each cohort's post-treatment periods, then across cohorts by size;
* ``dynamic``: by event time e = t - g, cohorts weighted by size (``min_e``, ``max_e``, and
  ``balance_e`` to keep only cohorts observed e periods after entry); overall = mean over e >= 0;
* ``calendar``: by period t over the cohorts already treated; overall = mean over periods.

The influence function of an aggregation includes the estimation of the cohort-size weights
(Callaway & Sant'Anna 2021, appendix). Numbers reproduce R ``did`` (2.1.2 with the group-weight fix
of 2.3.0); see ``tests/reference/generate/did_mpdta.R``.

Assumptions: staggered adoption (treatment is absorbing), limited anticipation (``anticipation``
periods), (conditional) parallel trends with the chosen comparison group, and overlap.

References
----------
Callaway, B. and Sant'Anna, P. H. C. (2021). Difference-in-differences with multiple time periods.
Journal of Econometrics 225(2), 200-230.
Sant'Anna, P. H. C. and Zhao, J. (2020). Doubly robust difference-in-differences estimators.
Journal of Econometrics 219(1), 101-122.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from .._params import Boolean, Columns, Interval, Options, constrained
from .._progress import task
from .._separation import summary_text
from .._validation import (
    arguments_checked,
    as_column_list,
    check_columns,
    check_covariates,
    check_dataframe,
    user_stacklevel,
)
from ..data._panel import StaggeredPanel, prepare_staggered
from ..errors import EstimationError, MissingDataWarning, OverlapWarning, SpecificationError
from ..inference import (
    Bootstrap,
    Clustered,
    Inference,
    InferenceLike,
    WaldTest,
    parse_inference,
)
from ..results import Result, Summary, jsonable
from ._aggregate import (
    LEADS,
    AggregateResult,
    CompressedUnits,
    aggregate,
    aggregation_options,
    influence_errors,
    level_value,
    pretrend_wald,
)
from ._two_by_two import METHODS, panel_2x2, pscore_fit, rc_2x2

__all__ = ["att_gt", "GroupTimeResult", "AggregateResult"]

_FUNC = "att_gt"
ControlGroup = Literal["never_treated", "not_yet_treated"]
BasePeriod = Literal["varying", "universal"]
AggregationKind = Literal["simple", "group", "dynamic", "calendar"]


# ----------------------------------------------------------------------------------------- results


@dataclass(frozen=True)
class GroupTimeResult(Result):
    """Group-time average treatment effects ATT(g, t) with their influence functions.

    ``table`` has one row per (group, time) cell: group, time, event_time, base_period, post,
    estimate, std_error, ci_lower/ci_upper (pointwise), band_lower/band_upper (uniform, bootstrap
    only), n_treated, n_control. ``influence`` is n_units x cells (rows in the order of ``units``).
    """

    method: str
    estimand: str
    outcome: str
    table: pd.DataFrame
    inference: Inference
    alpha: float
    critical_value: float
    pretrend: WaldTest
    units: np.ndarray = field(repr=False, compare=False)
    unit_cohort: np.ndarray = field(repr=False, compare=False)
    unit_weight: np.ndarray = field(repr=False, compare=False)
    sample_sizes: pd.DataFrame = field(default_factory=pd.DataFrame, compare=False)
    spec: Mapping[str, object] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    influence: np.ndarray | None = field(default=None, repr=False, compare=False)
    #: cluster code of each unit (None: units are the clusters) and the multiplier-bootstrap seed, so that
    #: aggregations reuse the same clusters and draws
    _clusters: np.ndarray | None = field(default=None, repr=False, compare=False)
    _seed: int | None = field(default=None, repr=False, compare=False)
    #: set by the SQL-engine path (:mod:`iej_impact.engines`): ``influence`` then holds pseudo-rows, not units
    _compressed: CompressedUnits | None = field(default=None, repr=False, compare=False)

    @property
    def n_units(self) -> int:
        return self._compressed.n_units if self._compressed is not None else len(self.units)

    def _standard_errors(self, psi: np.ndarray) -> tuple[np.ndarray, float]:
        """Standard errors of influence-function columns (n units x k) and the sup-t critical value."""
        return influence_errors(self.inference, psi, self._clusters, self._seed, self.alpha)

    @property
    def _bootstrap_note(self) -> str:
        return f"Multiplier bootstrap ({getattr(self.inference, 'reps', 0)} Rademacher draws, seed {self._seed})"

    def pretrend_test(self, leads: Sequence[int] | Literal["all"] | None = None) -> WaldTest:
        """Joint Wald test that the pre-treatment ATT(g, t) are zero.

        ``leads`` None: the test stored in ``pretrend`` (the leads chosen when estimating, by default the
        event times before the anticipation window); a list of event times (< 0), or ``"all"`` for every
        pre-treatment cell (anticipation window included, as R ``did``), recomputes it from the
        influence functions.
        """
        if leads is None:
            return self.pretrend
        leads = LEADS.check("leads", leads, "pretrend_test")  # type: ignore[assignment]
        return cells_pretrend(self.table, self.influence, self._clusters, leads, int(self.spec.get("anticipation", 0)))

    def to_frame(self) -> pd.DataFrame:
        t = self.table
        se = t["std_error"].to_numpy(dtype=float)
        frame = pd.DataFrame({
            "term": [f"ATT({level_value(g)},{level_value(s)})" for g, s in zip(t["group"], t["time"], strict=True)],
            "estimate": t["estimate"], "std_error": t["std_error"],
            "statistic": t["estimate"].to_numpy(dtype=float) / np.where(se > 0, se, np.nan),
            "p_value": t["p_value"], "ci_lower": t["ci_lower"], "ci_upper": t["ci_upper"],
            "n_obs": t["n_treated"] + t["n_control"], "group": t["group"], "time": t["time"],
            "event_time": t["event_time"]})
        return frame.reset_index(drop=True)

    def to_dict(self) -> dict[str, Any]:
        cells = [{"group": level_value(r["group"]), "time": level_value(r["time"]),
                  "event_time": level_value(r["event_time"]), "estimate": r["estimate"], "std_error": r["std_error"],
                  "ci_lower": r["ci_lower"], "ci_upper": r["ci_upper"], "band_lower": r["band_lower"],
                  "band_upper": r["band_upper"], "n_treated": r["n_treated"], "n_control": r["n_control"]}
                 for r in self.table.to_dict("records")]
        return jsonable({"method": self.method, "estimand": self.estimand, "outcome": self.outcome,
                         "n_units": self.n_units, "inference": self.inference.name,
                         "inference_detail": self.inference.to_dict(), "ci_level": 1 - self.alpha,
                         "critical_value": self.critical_value, "pretrend_test": self.pretrend.to_dict(),
                         "att_gt": cells, "sample_sizes": jsonable(self.sample_sizes), "spec": dict(self.spec),
                         "notes": list(self.notes)})

    def summary(self) -> Summary:
        shown = self.table.set_index(["group", "time"])[["estimate", "std_error", "ci_lower", "ci_upper",
                                                          "band_lower", "band_upper", "n_treated", "n_control"]]
        tables: list[tuple[str, pd.DataFrame]] = [("Group-time average treatment effects", shown.dropna(axis=1, how="all"))]
        if len(self.sample_sizes):
            tables.append(("Sample", self.sample_sizes))
        notes = (f"Inference: {self.inference.describe()}.", self.pretrend.describe() + ".") + self.notes
        return Summary(title=f"{self.method}: {self.estimand} on {self.outcome}", tables=tuple(tables), notes=notes)

    # ------------------------------------------------------------------------------- aggregation

    def aggregate(self, kind: AggregationKind = "dynamic", *, min_e: float | None = None,
                  max_e: float | None = None, balance_e: int | None = None,
                  pretrend_leads: Sequence[int] | Literal["all"] | None = None) -> AggregateResult:
        """Aggregate the ATT(g, t) into an overall ATT and ATTs by event time, cohort or period.

        Parameters
        ----------
        kind : "simple", "group", "dynamic" (default) or "calendar" (see the module docstring).
        min_e, max_e : keep event times e = t - g in [min_e, max_e] (dynamic; simple and group use
            them on post-treatment cells; calendar does not take them).
        balance_e : dynamic only: keep cohorts observed at least ``balance_e`` periods after entry
            and event times from balance_e - (last - first period) to balance_e, so the same
            cohorts make up every event time.
        pretrend_leads : dynamic only: the event times (< 0) whose ATTs the pre-trend Wald test
            (``AggregateResult.pretrend``) sets to zero jointly. None (default): every lead before the
            anticipation window (e < -anticipation) within [min_e, max_e]; ``"all"``: every e < 0.

        Returns
        -------
        AggregateResult, with the influence functions of the overall and level estimates, and the
        same inference as this result (for the bootstrap, the same multiplier draws).
        """
        opts = aggregation_options(kind, min_e, max_e, balance_e, pretrend_leads)
        return aggregate(self, kind, -np.inf if min_e is None else float(min_e),
                         np.inf if max_e is None else float(max_e), opts["balance_e"], opts["pretrend_leads"])

    #: checks the options of :meth:`aggregate` without estimating (the configuration reads ``aggregate:`` with it)
    check_aggregation = staticmethod(aggregation_options)

    # ------------------------------------------------------------------------------- plots

    def plot_group_time(self, ax: Any = None, *, language: str = "en") -> Any:
        """ATT(g, t) by period, one colour per cohort (hollow before entry), with CIs; returns the Axes.

        Labels in ``language`` ("en" or "fr").
        """
        from ..report._plots_did import plot_group_time

        return plot_group_time(self, ax, language=language)

    def plot_event_study(self, ax: Any = None, *, language: str = "en", **options: Any) -> Any:
        """The dynamic aggregation (ATT by event time) with CIs and uniform band; returns the Axes.

        The plot states the base period: the universal base (``base_period="universal"``) is marked
        at 0 as the reference period, a varying base is named in the plot. ``options`` are those of
        :meth:`aggregate` (``min_e``, ``max_e``, ``balance_e``).
        """
        return self.aggregate("dynamic", **options).plot(ax=ax, language=language)


# ----------------------------------------------------------------------------------------- estimation


@constrained({
    "outcome": Columns(single=True), "unit": Columns(single=True, none_ok=True), "time": Columns(single=True),
    "cohort": Columns(single=True), "covariates": Columns(), "weights": Columns(single=True, none_ok=True),
    "control_group": Options(("never_treated", "not_yet_treated")), "method": Options(METHODS),
    "anticipation": Interval(low=0, integer=True), "base_period": Options(("varying", "universal")),
    "panel": Boolean(), "unbalanced": Options(("keep", "drop")), "trim_level": Interval(0.5, 1.0, low_open=True),
    "pretrend_leads": LEADS, "alpha": Interval(0.0, 0.5, low_open=True),
})
def att_gt(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str | None,
    time: str,
    cohort: str,
    covariates: Sequence[str] = (),
    control_group: ControlGroup = "never_treated",
    method: Literal["dr", "ipw", "reg"] = "dr",
    anticipation: int = 0,
    base_period: BasePeriod = "varying",
    se: InferenceLike | None = None,
    never_treated: float | None = None,
    weights: str | None = None,
    panel: bool = True,
    unbalanced: Literal["keep", "drop"] = "keep",
    trim_level: float = 0.995,
    pretrend_leads: Sequence[int] | Literal["all"] | None = None,
    alpha: float = 0.05,
) -> GroupTimeResult:
    """Callaway & Sant'Anna (2021) group-time average treatment effects ATT(g, t).

    Parameters
    ----------
    data : long table, one row per unit and period (panel) or per observation (``panel=False``).
    outcome : numeric outcome column; rows with a missing outcome are dropped with a warning.
    unit : unit id column (required for panels; ignored with ``panel=False``).
    time : numeric period column (e.g. year, or month number: see :func:`iej_impact.data._panel.period_from_dates`).
    cohort : first treatment period of the unit, in the units of ``time``; missing (NaN) means never
        treated. Cohorts after the last period count as never treated within the panel; units first
        treated in or before the first period (always treated) are dropped with a warning.
    covariates : pre-treatment covariates for the 2x2 comparisons (values of the earlier period of
        each pair; time-invariant ones are the usual choice).
    control_group : "never_treated" (default) or "not_yet_treated".
    method : 2x2 estimator: "dr" (doubly robust, default), "ipw" or "reg".
    anticipation : number of periods before entry in which units may already react (base period
        g - anticipation - 1).
    base_period : "varying" (default; pre-treatment cells compare t with t - 1) or "universal"
        (every cell compares with g - anticipation - 1).
    se : None (default): clustered by unit, i.e. the influence-function variance with each unit's
        observations summed (no small-sample factor, as R ``did``); "robust" is the same.
        ``{type: clustered, by: col}``: clusters formed by ``col`` (constant within unit), with the
        factor G/(G-1). ``{type: bootstrap, reps: 999, random_state: s, cluster: col}``:
        multiplier bootstrap, the only kind here (Rademacher weights on the unit or cluster sums of the influence
        function), SEs from the interquartile range and sup-t uniform bands; the draws are reused
        by every aggregation.
    never_treated : the value of ``cohort`` that codes never-treated units when it is not missing
        (e.g. 0 or 9999); those rows are recoded to missing. Never inferred.
    weights : optional sampling-weight column (> 0; constant within unit in a panel).
    panel : False for repeated cross-sections (each row its own unit).
    unbalanced : for panels where some units miss some periods: "keep" (default) uses every
        observation with the repeated-cross-section estimators and unit-level influence functions;
        "drop" keeps only the units observed in every period (with a warning).
    trim_level : comparison units with propensity score >= trim_level get zero weight (ipw/dr).
    pretrend_leads : the event times e = t - g (< 0) whose pre-treatment ATT(g, t) the pre-trend Wald
        test (``pretrend``) sets jointly to zero. None (default): every pre-treatment cell before the
        anticipation window, e < -anticipation (with ``anticipation=0``, every pre-treatment cell);
        ``"all"``: every pre-treatment cell, the anticipation window included (R ``did``'s test); or a
        list such as [-4, -3, -2].
    alpha : 1 - confidence level.

    Returns
    -------
    GroupTimeResult: the ATT(g, t) table, their influence functions, the pre-trend Wald test;
    ``.aggregate(kind)`` for simple / group / dynamic / calendar summaries.

    Notes
    -----
    Assumes staggered adoption (treatment stays on), no anticipation beyond ``anticipation`` periods,
    parallel trends (conditional on the covariates) with the chosen comparison group, and overlap.
    Cells whose 2x2 comparison cannot be estimated (no treated or comparison observation, propensity
    score >= 0.999, singular regression) are left missing with a warning, as in R ``did``.

    References
    ----------
    Callaway & Sant'Anna (2021), J. Econometrics 225(2), 200-230; Sant'Anna & Zhao (2020),
    J. Econometrics 219(1), 101-122.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> units = np.repeat(np.arange(300), 4); period = np.tile(np.arange(1, 5), 300)
    >>> g = np.where(units < 100, 3.0, np.nan)
    >>> y = rng.normal(size=1200) + 0.5 * ((period >= g) & ~np.isnan(g))
    >>> df = pd.DataFrame({"id": units, "t": period, "g": g, "y": y})
    >>> res = att_gt(df, outcome="y", unit="id", time="t", cohort="g")
    >>> res.table[["group", "time"]].shape
    (3, 2)
    """
    check_dataframe(data, _FUNC)
    antic = int(anticipation)
    if panel and not unit:
        raise SpecificationError(f"{_FUNC}() needs 'unit' (the unit id column) for panel data; pass panel=False "
                                 "for repeated cross-sections.")
    covs = as_column_list("covariates", covariates, _FUNC)
    spec_se = parse_inference("robust" if se is None else se, _FUNC, ("robust", "clustered", "bootstrap"),
                              bootstrap=("multiplier",))
    cluster_cols = (spec_se.columns if isinstance(spec_se, Clustered)
                    else [spec_se.cluster] if isinstance(spec_se, Bootstrap) and spec_se.cluster else [])
    unit_col = unit if panel else None
    needed = [outcome, time, cohort] + ([unit_col] if unit_col else []) + covs + ([weights] if weights else [])
    check_columns(data, list(dict.fromkeys(needed + cluster_cols)), _FUNC)
    if covs:
        check_covariates(data, covs, _FUNC)

    prep = prepare_staggered(data, outcome=outcome, unit=unit_col, time=time, cohort=cohort, covs=covs,
                             weights=weights, never_treated=never_treated, cluster_cols=cluster_cols,
                             control_group=control_group, anticipation=antic, unbalanced=unbalanced, func=_FUNC)
    arguments_checked()
    cells = _estimate_cells(prep, control_group=control_group, method=method, anticipation=antic,
                            base_period=base_period, trim_level=trim_level, names=covs)
    seed = spec_se.seed() if isinstance(spec_se, Bootstrap) else None
    inference = spec_se.using("G/(G-1)" if isinstance(spec_se, Clustered) else "none")
    psi = cells.pop("psi")
    separated = cells.pop("separation")
    table, crit = cell_inference(pd.DataFrame(cells), psi, inference, prep.clusters, seed, alpha)
    pretrend = cells_pretrend(table, psi, prep.clusters, pretrend_leads, antic)
    notes = list(prep.notes)
    notes.append(f"Comparison group: {control_group.replace('_', '-')} units; base period: {base_period}; "
                 f"anticipation: {antic}; 2x2 estimator: {method}"
                 + (f" with covariates {covs}" if covs else " without covariates") + f"; {prep.design}.")
    notes.append("Standard errors from the influence functions, " + (
        f"clustered by {cluster_cols} (G/(G-1))" if isinstance(spec_se, Clustered) else
        f"multiplier bootstrap with {spec_se.reps} Rademacher draws (seed {seed}), uniform sup-t band"
        if isinstance(spec_se, Bootstrap) else "clustered by unit (no small-sample factor, as R did)") + ".")
    if separated:
        notes.append(f"The propensity score is separated in {len(separated)} 2x2 comparisons: "
                     + "; ".join(separated[:5]) + ("; ..." if len(separated) > 5 else "") + ".")
    if np.isfinite(crit):
        notes.append(f"Uniform band critical value {crit:.3f} (pointwise {float(normal_z(alpha)):.3f}).")
    return GroupTimeResult(
        method="att_gt", estimand="ATT(g,t)", outcome=outcome, table=table, inference=inference, alpha=float(alpha),
        critical_value=crit, pretrend=pretrend, units=prep.unit_ids, unit_cohort=prep.cohort_unit,
        unit_weight=prep.w_unit, sample_sizes=prep.sizes,
        spec={"outcome": outcome, "unit": unit, "time": time, "cohort": cohort, "covariates": covs,
              "control_group": control_group, "method": method, "anticipation": antic, "base_period": base_period,
              "se": spec_se.to_dict(), "never_treated": never_treated, "weights": weights, "panel": panel,
              "unbalanced": unbalanced, "trim_level": trim_level, "pretrend_leads": pretrend_leads, "alpha": alpha},
        notes=tuple(notes), influence=psi, _clusters=prep.clusters, _seed=seed,
    )


def cells_pretrend(table: pd.DataFrame, psi: np.ndarray | None, clusters: np.ndarray | None,
              leads: Sequence[int] | str | None, anticipation: int) -> WaldTest:
    """The pre-trend Wald test of the pre-treatment cells at ``leads`` (see :func:`pretrend_wald`)."""
    assert psi is not None
    e = table["event_time"].to_numpy(dtype=float)
    return pretrend_wald(table["estimate"].to_numpy(dtype=float), e,
                         (e < 0) & np.isfinite(table["std_error"].to_numpy(dtype=float)), psi, clusters, leads,
                         anticipation, "ATT(g,t)")


def cell_inference(table: pd.DataFrame, psi: np.ndarray, inference: Inference, clusters: np.ndarray | None,
                    seed: int | None, alpha: float) -> tuple[pd.DataFrame, float]:
    """The cell table with standard errors, p-values, pointwise CIs and uniform bands; the band's critical value."""
    est = table["estimate"].to_numpy(dtype=float)
    se_cells, crit = influence_errors(inference, psi, clusters, seed, float(alpha))
    se_cells = np.where(np.isfinite(est), se_cells, np.nan)
    z = normal_z(alpha)
    ok = np.isfinite(se_cells) & (se_cells > 0)
    table["std_error"] = se_cells
    table["p_value"] = np.where(ok, 2 * stats.norm.sf(np.abs(est / np.where(ok, se_cells, 1.0))), np.nan)
    table["ci_lower"] = np.where(ok, est - z * se_cells, np.nan)
    table["ci_upper"] = np.where(ok, est + z * se_cells, np.nan)
    table["band_lower"] = est - crit * se_cells if np.isfinite(crit) else np.nan
    table["band_upper"] = est + crit * se_cells if np.isfinite(crit) else np.nan
    return table[["group", "time", "event_time", "base_period", "post", "estimate", "std_error", "p_value",
                  "ci_lower", "ci_upper", "band_lower", "band_upper", "n_treated", "n_control"]], crit


def normal_z(alpha: float) -> float:
    return float(stats.norm.ppf(1 - alpha / 2))


def group_time_specs(periods: np.ndarray, cohort: np.ndarray, *, control_group: str, anticipation: int,
                     base_period: str) -> tuple[list[tuple[float, int, int, bool, bool, Any]], np.ndarray, list[str]]:
    """The ATT(g,t) cells of Callaway & Sant'Anna (2021): for each cohort g (entering after the first period plus
    anticipation; with not-yet-treated controls and no never-treated unit, the last cohort is the comparison only)
    and period index, (g, current, base, post, reference, comparison threshold). The base is the last period
    before g - anticipation (universal, or for post periods) or the previous period (varying); the threshold is
    the period from which later cohorts stop being comparisons (None: never-treated units only). Also returns the
    cohorts and the problems (a cohort without a pre-treatment period is left out)."""
    never = np.isnan(cohort)
    glist = np.unique(cohort[~never & (cohort > periods[0] + anticipation)])
    if control_group == "not_yet_treated" and not never.any():
        glist = glist[glist < glist.max()]
    universal = base_period == "universal"
    specs: list[tuple[float, int, int, bool, bool, Any]] = []
    problems: list[str] = []
    for g in glist:
        pre_candidates = np.flatnonzero(periods + anticipation < g)
        base_g = int(pre_candidates[-1]) if pre_candidates.size else None
        for cur in range(0 if universal else 1, len(periods)):
            is_post = bool(g <= periods[cur])
            pre = base_g if (universal or is_post) else cur - 1
            if pre is None:
                problems.append(f"cohort {g:g} has no pre-treatment period and is left out")
                break
            thr = None if control_group == "never_treated" else periods[max(cur, pre)] + anticipation
            specs.append((g, cur, pre, is_post, universal and pre == cur, thr))
    return specs, glist, problems


def _estimate_cells(p: StaggeredPanel, *, control_group: str, method: str, anticipation: int, base_period: str,
                    trim_level: float, names: Sequence[str] | None = None) -> dict[str, Any]:
    periods = p.periods
    n_t = len(periods)
    n = len(p.unit_ids)
    cohort = p.cohort_unit
    never = np.isnan(cohort)
    # 1. the cells: (g, current period, base period, post, reference, comparison threshold)
    specs, _, problems = group_time_specs(periods, cohort, control_group=control_group, anticipation=anticipation,
                                          base_period=base_period)
    separated: list[str] = []
    if not specs:
        raise EstimationError(f"{_FUNC}(): no group-time ATT could be formed (check the cohorts and periods).")
    k = len(specs)
    est = np.full(k, np.nan)
    n_treat = np.zeros(k, dtype=np.int64)
    n_ctrl = np.zeros(k, dtype=np.int64)
    psi = np.zeros((n, k))
    # 2. batches of cells sharing units, groups and covariates: one 2x2 fit with several outcome changes
    batches: dict[tuple[Any, ...], list[int]] = {}
    for j, (g, cur, pre, _, ref, thr) in enumerate(specs):
        if ref:
            est[j] = 0.0
            n_treat[j] = int(np.sum(cohort == g))
            continue
        key = (g, thr, -1 if p.x_invariant else min(cur, pre)) if p.balanced else (j,)
        batches.setdefault(key, []).append(j)
    rows_by_t = None
    if not p.balanced:
        order = np.argsort(p.row_time, kind="stable")
        bounds = np.searchsorted(p.row_time[order], np.arange(n_t + 1))
        rows_by_t = [order[bounds[i]:bounds[i + 1]] for i in range(n_t)]
    with task(f"{_FUNC}(): group-time cells", total=sum(map(len, batches.values())), unit="cell") as ticker:
        for cells in batches.values():
            g, _, _, _, _, thr = specs[cells[0]]
            treated = cohort == g
            control = never if thr is None else never | ((cohort > thr) & ~treated)
            if p.balanced:
                problem, sep = panel_batch(p, treated, control, [specs[j] for j in cells], cells, method, trim_level,
                                            est, psi, n_treat, n_ctrl, names)
            else:
                j = cells[0]
                problem, sep = _rc_cell(p, treated, control, specs[j][1], specs[j][2], method, trim_level, rows_by_t,
                                        j, est, psi, n_treat, n_ctrl, names)
            if problem:
                problems += [f"ATT({specs[j][0]:g},{periods[specs[j][1]]:g}): {problem}" for j in cells]
            if sep is not None:
                separated += [f"ATT({specs[j][0]:g},{periods[specs[j][1]]:g}): {summary_text(sep)}" for j in cells]
            ticker.update(len(cells))
    if problems:
        warnings.warn(f"{_FUNC}(): {len(problems)} group-time cells could not be estimated and are left missing: "
                      + "; ".join(problems[:5]) + ("; ..." if len(problems) > 5 else "") + ".",
                      OverlapWarning if any("propensity" in s for s in problems) else MissingDataWarning, stacklevel=user_stacklevel())
    if separated:
        warnings.warn(f"{_FUNC}(): the logit propensity score has no maximum-likelihood estimate in {len(separated)} "
                      "group-time cells (separation; scores of 0 for the perfectly predicted comparison units, 1 for "
                      "the treated ones): " + "; ".join(separated[:5]) + ("; ..." if len(separated) > 5 else "")
                      + ". Drop or merge the covariate, or restrict the sample to common support.",
                      OverlapWarning, stacklevel=user_stacklevel())
    return {"group": [level_value(sp[0]) for sp in specs], "time": [level_value(periods[sp[1]]) for sp in specs],
            "event_time": [level_value(periods[sp[1]] - sp[0]) for sp in specs],
            "base_period": [level_value(periods[sp[2]]) for sp in specs], "post": np.array([sp[3] for sp in specs]),
            "estimate": est, "n_treated": n_treat, "n_control": n_ctrl, "psi": psi, "separation": separated}


def panel_batch(p: Any, treated: np.ndarray, control: np.ndarray, specs: list[tuple[Any, ...]],
                cols: list[int], method: str, trim_level: float, est: np.ndarray, psi: np.ndarray,
                n_treat: np.ndarray, n_ctrl: np.ndarray, names: Sequence[str] | None = None,
                func: str = _FUNC) -> tuple[str, dict[str, Any] | None]:
    """Cells of one cohort sharing a comparison group and covariates, on a balanced panel.

    ``p`` is a :class:`StaggeredPanel` (or a panel with its ``unit_ids``, ``y_wide``, ``w_unit``,
    ``x_wide`` and ``x_invariant``), ``treated`` and ``control`` flag the units of the comparison,
    each observed in both periods of every cell; ``specs[j][1:3]`` are the cells' current and base
    period indexes. Fills ``est``, ``psi`` (scaled to all units), ``n_treat`` and ``n_ctrl`` at ``cols``.
    Returns (the problem that left the cells missing or "", the propensity score's separation diagnosis).
    """
    n = len(p.unit_ids)
    idx = np.flatnonzero(treated | control)
    d = treated[idx].astype(float)
    n1 = int(d.sum())
    n_treat[cols], n_ctrl[cols] = n1, len(idx) - n1
    if n1 == 0 or n1 == len(idx):
        return "no treated or no comparison unit", None
    ysub = p.y_wide[idx]
    dy = ysub[:, [sp[1] for sp in specs]] - ysub[:, [sp[2] for sp in specs]]
    w = p.w_unit[idx]
    x = None if p.x_wide is None else p.x_wide[0 if p.x_invariant else min(specs[0][1], specs[0][2])][idx]
    ps = None
    try:
        if x is not None and method in ("ipw", "dr"):
            ps = pscore_fit(x, d, w / w.mean(), trim_level, names=names, func=func)
            if ps.p.max() >= 0.999:
                return "propensity score >= 0.999 (no overlap)", ps.separation
        fit = panel_2x2(dy, d, x, w, method, trim_level, ps=ps, names=names, func=func)
    except (EstimationError, np.linalg.LinAlgError) as exc:
        return str(exc), None if ps is None else ps.separation
    est[cols] = fit.att
    psi[np.ix_(idx, cols)] = fit.psi * (n / len(idx))
    return "", fit.separation


def _rc_cell(p: StaggeredPanel, treated: np.ndarray, control: np.ndarray, cur: int, pre: int, method: str,
             trim_level: float, rows_by_t: list[np.ndarray], j: int, est: np.ndarray, psi: np.ndarray,
             n_treat: np.ndarray, n_ctrl: np.ndarray,
             names: Sequence[str] | None = None) -> tuple[str, dict[str, Any] | None]:
    """One cell from the rows observed in its two periods (unbalanced panel or repeated cross-sections)."""
    n = len(p.unit_ids)
    r = np.concatenate([rows_by_t[cur], rows_by_t[pre]])
    r = r[(treated | control)[p.row_unit[r]]]
    post = (p.row_time[r] == cur).astype(float)
    d = treated[p.row_unit[r]].astype(float)
    n_treat[j] = np.unique(p.row_unit[r][d == 1]).size
    n_ctrl[j] = np.unique(p.row_unit[r][d == 0]).size
    if not (np.any(d * post) and np.any(d * (1 - post)) and np.any((1 - d) * post) and np.any((1 - d) * (1 - post))):
        return "a treated or comparison group is not observed in one of the two periods", None
    try:
        fit = rc_2x2(p.y_row[r], post, d, None if p.x_row is None else p.x_row[r], p.w_row[r], method, trim_level,
                     names=names, func=_FUNC)
    except (EstimationError, np.linalg.LinAlgError) as exc:
        return str(exc), None
    if fit.max_score >= 0.999:
        return "propensity score >= 0.999 (no overlap)", fit.separation
    if not np.isfinite(fit.att):
        return "undefined estimate", fit.separation
    est[j] = fit.att
    psi[:, j] = np.bincount(p.row_unit[r], weights=fit.psi * (n / len(r)), minlength=n)
    return "", fit.separation
