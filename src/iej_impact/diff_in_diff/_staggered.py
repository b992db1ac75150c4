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
and every aggregation are computed from it without re-estimating (:meth:`GroupTimeResult.aggregate`):

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
from scipy import sparse, stats

from .._separation import summary_text
from .._validation import (
    arguments_checked,
    as_column_list,
    check_choice,
    check_columns,
    check_covariates,
    check_dataframe,
    check_number,
)
from ..data._panel import StaggeredPanel, prepare_staggered
from ..errors import EstimationError, MissingDataWarning, OverlapWarning, SpecificationError
from ..inference import Bootstrap, Clustered, Inference, normal_ci, parse_inference
from ..results import TIDY_COLUMNS, Result, Summary, jsonable
from ._event_study import WaldTest, plot_event_times
from ._two_by_two import METHODS, iqr_se, panel_2x2, pscore_fit, rademacher_draws, rc_2x2, sup_t_critical

__all__ = ["att_gt", "GroupTimeResult", "AggregateResult"]

_FUNC = "att_gt"
ControlGroup = Literal["never_treated", "not_yet_treated"]
BasePeriod = Literal["varying", "universal"]
AggregationKind = Literal["simple", "group", "dynamic", "calendar"]
_TINY = np.sqrt(np.finfo(float).eps) * 10


# ----------------------------------------------------------------------------------------- inference core


@dataclass(frozen=True)
class _Inference:
    """How to turn influence functions (n units x k) into SEs: the spec, unit clusters, bootstrap seed."""

    spec: Inference
    clusters: np.ndarray | None  # cluster code per unit (None: each unit its own, no small-sample factor)
    seed: int | None  # bootstrap seed (None: analytic)
    alpha: float

    def _scores(self, psi: np.ndarray) -> np.ndarray:
        if self.clusters is None:
            return psi
        g = int(self.clusters.max()) + 1
        ind = sparse.csr_matrix((np.ones(len(self.clusters)), (self.clusters, np.arange(len(self.clusters)))),
                                shape=(g, len(self.clusters)))
        return np.asarray(ind @ psi)

    def covariance(self, psi: np.ndarray) -> np.ndarray:
        """Analytic covariance of the estimates: sum of outer products of (cluster sums of) psi / n^2."""
        n = psi.shape[0]
        s = self._scores(psi)
        factor = 1.0
        if self.clusters is not None:
            g = s.shape[0]
            factor = g / (g - 1)
        return factor * (s.T @ s) / n**2

    def se_and_crit(self, psi: np.ndarray) -> tuple[np.ndarray, float, str]:
        """Standard errors of each column and the sup-t critical value (NaN without bootstrap)."""
        n = psi.shape[0]
        if self.seed is None and self.clusters is None:
            se = np.sqrt(np.einsum("ij,ij->j", psi, psi)) / n
            crit = float("nan")
        elif self.seed is None:
            se = np.sqrt(np.clip(np.diag(self.covariance(psi)), 0, None))
            crit = float("nan")
        else:
            draws = rademacher_draws(self._scores(psi), int(self.spec.reps), self.seed) / n  # type: ignore[attr-defined]
            se = iqr_se(draws)
            se[np.sqrt(np.sum(draws**2, axis=0)) <= _TINY] = np.nan
            crit = sup_t_critical(draws, se, self.alpha)
        se = np.where(se <= _TINY, np.nan, se)
        return se, crit, ""


# ----------------------------------------------------------------------------------------- results


def _level(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


@dataclass(frozen=True)
class AggregateResult(Result):
    """An aggregation of group-time ATTs: the overall ATT and the ATT by event time, cohort or period.

    ``by`` has one row per level (column ``event_time``, ``group`` or ``time``) with estimate,
    std_error, ci_lower/ci_upper (pointwise) and band_lower/band_upper (uniform sup-t band, with
    the bootstrap only). ``influence`` is the overall estimate's influence function (one value per
    unit), ``by_influence`` those of the levels.
    """

    kind: str
    method: str
    estimand: str
    outcome: str | None
    estimate: float
    std_error: float
    ci: tuple[float, float]
    p_value: float
    inference: Inference
    n_treated: int
    n_control: int
    by: pd.DataFrame
    alpha: float = 0.05
    critical_value: float = float("nan")
    spec: Mapping[str, object] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    influence: np.ndarray | None = field(default=None, repr=False, compare=False)
    by_influence: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def level_column(self) -> str:
        return {"dynamic": "event_time", "group": "group", "calendar": "time"}.get(self.kind, "")

    def to_frame(self) -> pd.DataFrame:
        """Overall row (term "overall") then one row per level, with the canonical tidy columns."""
        col = self.level_column
        rows = [{"term": "overall", "estimate": self.estimate, "std_error": self.std_error,
                 "statistic": self.estimate / self.std_error if self.std_error else np.nan, "p_value": self.p_value,
                 "ci_lower": self.ci[0], "ci_upper": self.ci[1], "n_obs": self.n_treated + self.n_control}]
        for r in self.by.itertuples(index=False):
            rd = r._asdict()
            rows.append({"term": f"{col}={_level(rd[col])}", "estimate": rd["estimate"], "std_error": rd["std_error"],
                         "statistic": rd["estimate"] / rd["std_error"] if rd["std_error"] else np.nan,
                         "p_value": rd["p_value"], "ci_lower": rd["ci_lower"], "ci_upper": rd["ci_upper"],
                         "n_obs": rd["n_obs"], col: rd[col]})
        frame = pd.DataFrame(rows)
        cols = TIDY_COLUMNS + ([col] if col else [])
        return frame.reindex(columns=cols)

    def to_dict(self) -> dict[str, Any]:
        col = self.level_column
        by = [{col: _level(r[col]), "estimate": r["estimate"], "std_error": r["std_error"], "ci_lower": r["ci_lower"],
               "ci_upper": r["ci_upper"], "band_lower": r["band_lower"], "band_upper": r["band_upper"]}
              for r in self.by.to_dict(orient="records")] if col else []
        return jsonable({"method": self.method, "aggregation": self.kind, "estimand": self.estimand,
                         "outcome": self.outcome, "estimate": self.estimate, "std_error": self.std_error,
                         "ci_lower": self.ci[0], "ci_upper": self.ci[1], "ci_level": 1 - self.alpha,
                         "p_value": self.p_value, "n_treated": self.n_treated, "n_control": self.n_control,
                         "inference": self.inference.name, "critical_value": self.critical_value, "by": by,
                         "spec": dict(self.spec), "notes": list(self.notes)})

    def summary(self) -> Summary:
        level = f"{100 * (1 - self.alpha):g}%"
        head = pd.DataFrame({"estimate": [self.estimate], "std_error": [self.std_error], "p_value": [self.p_value],
                             f"ci_lower ({level})": [self.ci[0]], f"ci_upper ({level})": [self.ci[1]]},
                            index=pd.Index([self.estimand], name="estimand"))
        tables: list[tuple[str, pd.DataFrame]] = [("Overall", head)]
        if self.level_column:
            shown = self.by.set_index(self.level_column)[["estimate", "std_error", "ci_lower", "ci_upper",
                                                           "band_lower", "band_upper"]]
            tables.append((f"By {self.level_column}", shown.dropna(axis=1, how="all")))
        notes = (f"Inference: {self.inference.describe()}.",) + self.notes
        return Summary(title=f"att_gt, {self.kind} aggregation: {self.estimand} on {self.outcome}",
                       tables=tuple(tables), notes=notes)

    def plot(self, ax: Any = None) -> Any:
        """Plot the levels (event time, cohort or period) with CIs and the uniform band; returns the Axes."""
        if not self.level_column:
            raise SpecificationError("the 'simple' aggregation has a single number; there is nothing to plot by.")
        frame = self.by.copy()
        xlabel = {"event_time": "Event time (periods since entry)", "group": "Cohort (first treated period)",
                  "time": "Period"}[self.level_column]
        if self.kind != "dynamic":
            frame["post"] = True
        return plot_event_times(frame, x=self.level_column, ax=ax, xlabel=xlabel,
                                title=f"ATT by {self.level_column.replace('_', ' ')} on {self.outcome} ({self.kind} aggregation)")


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
    _inference: _Inference | None = field(default=None, repr=False, compare=False)

    @property
    def n_units(self) -> int:
        return len(self.units)

    def pretrend_test(self) -> WaldTest:
        """Joint Wald test that every pre-treatment ATT(g, t) is zero (see ``pretrend``)."""
        return self.pretrend

    def to_frame(self) -> pd.DataFrame:
        t = self.table
        se = t["std_error"].to_numpy(dtype=float)
        frame = pd.DataFrame({
            "term": [f"ATT({_level(g)},{_level(s)})" for g, s in zip(t["group"], t["time"], strict=True)],
            "estimate": t["estimate"], "std_error": t["std_error"],
            "statistic": t["estimate"].to_numpy(dtype=float) / np.where(se > 0, se, np.nan),
            "p_value": t["p_value"], "ci_lower": t["ci_lower"], "ci_upper": t["ci_upper"],
            "n_obs": t["n_treated"] + t["n_control"], "group": t["group"], "time": t["time"],
            "event_time": t["event_time"]})
        return frame.reset_index(drop=True)

    def to_dict(self) -> dict[str, Any]:
        cells = [{"group": _level(r["group"]), "time": _level(r["time"]), "event_time": _level(r["event_time"]),
                  "estimate": r["estimate"], "std_error": r["std_error"], "ci_lower": r["ci_lower"],
                  "ci_upper": r["ci_upper"], "band_lower": r["band_lower"], "band_upper": r["band_upper"],
                  "n_treated": r["n_treated"], "n_control": r["n_control"]} for r in self.table.to_dict("records")]
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
        return Summary(title=f"att_gt: ATT(g,t) on {self.outcome}", tables=tuple(tables), notes=notes)

    # ------------------------------------------------------------------------------- aggregation

    def aggregate(self, kind: AggregationKind = "dynamic", *, min_e: float | None = None,
                  max_e: float | None = None, balance_e: int | None = None) -> AggregateResult:
        """Aggregate the ATT(g, t) into an overall ATT and ATTs by event time, cohort or period.

        Parameters
        ----------
        kind : "simple", "group", "dynamic" (default) or "calendar" (see the module docstring).
        min_e, max_e : keep event times e = t - g in [min_e, max_e] (dynamic; simple and group use
            them on post-treatment cells; calendar does not take them).
        balance_e : dynamic only: keep cohorts observed at least ``balance_e`` periods after entry
            and event times from balance_e - (last - first period) to balance_e, so the same
            cohorts make up every event time.

        Returns
        -------
        AggregateResult, with the influence functions of the overall and level estimates, and the
        same inference as this result (for the bootstrap, the same multiplier draws).
        """
        check_choice("kind", kind, ("simple", "group", "dynamic", "calendar"), "aggregate")
        for name, value in (("min_e", min_e), ("max_e", max_e)):
            if value is not None:
                check_number(name, value, "aggregate")
        if balance_e is not None:
            check_number("balance_e", balance_e, "aggregate", low=0, integer=True)
            if kind != "dynamic":
                raise SpecificationError(f"balance_e applies to the 'dynamic' aggregation only; got kind={kind!r}.")
        if kind == "calendar" and (min_e is not None or max_e is not None):
            raise SpecificationError("min_e/max_e do not apply to the 'calendar' aggregation (it averages the "
                                     "cohorts treated by each period); use kind='dynamic' to restrict event times.")
        return _aggregate(self, kind, -np.inf if min_e is None else float(min_e),
                          np.inf if max_e is None else float(max_e), balance_e)

    # ------------------------------------------------------------------------------- plots

    def plot_group_time(self, ax: Any = None) -> Any:
        """ATT(g, t) by period, one colour per cohort (hollow before entry), with CIs; returns the Axes."""
        import matplotlib as mpl

        from ..report._plotting import COLOUR_REFERENCE, STYLE, _new_axes

        t = self.table
        groups = sorted(t["group"].unique())
        cmap = mpl.colormaps["tab10"]
        width = 0.6 / max(len(groups), 1)
        with mpl.rc_context(STYLE):
            if ax is None:
                ax = _new_axes(7.0, 3.8)
            ax.axhline(0.0, color=COLOUR_REFERENCE, linewidth=0.8, linestyle="--")
            for j, g in enumerate(groups):
                sub = t[t["group"] == g]
                x = sub["time"].to_numpy(dtype=float) + (j - (len(groups) - 1) / 2) * width
                colour = cmap(j % 10)
                ax.vlines(x, sub["ci_lower"], sub["ci_upper"], color=colour, linewidth=1.0)
                post = sub["post"].to_numpy(dtype=bool)
                ax.plot(x[post], sub["estimate"].to_numpy()[post], "o", color=colour, markersize=4,
                        label=f"g = {_level(g)}")
                ax.plot(x[~post], sub["estimate"].to_numpy()[~post], "o", color=colour, markersize=4,
                        markerfacecolor="white")
            times = sorted(t["time"].unique())
            if len(times) <= 24:
                ax.set_xticks([float(v) for v in times], labels=[str(_level(v)) for v in times])
            ax.set_xlabel("Period (filled: treated; hollow: before entry)")
            ax.set_ylabel("ATT(g, t)")
            ax.set_title(f"Group-time ATTs on {self.outcome}")
            if len(groups) <= 12:
                ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=7.5)
        return ax

    def plot_event_study(self, ax: Any = None) -> Any:
        """The dynamic aggregation (ATT by event time) with CIs and uniform band; returns the Axes."""
        return self.aggregate("dynamic").plot(ax=ax)


def _wif_dot(keep_groups: np.ndarray, pg: np.ndarray, att: np.ndarray, cohort_code: np.ndarray,
             w: np.ndarray) -> np.ndarray:
    """Influence of the estimated cohort-share weights, times the ATTs: wif @ att (did's ``wif``).

    keep_groups: group code of each kept cell; pg: its share P(G = g); att: its estimate. For unit i
    with cohort code c_i: sum_j a_j (w_i 1{c_i = g_j} - pg_j) / S - sum_j (w_i 1{c_i = g_j} - pg_j) * A / S^2,
    with S = sum_j pg_j, A = sum_j pg_j a_j.
    """
    s = pg.sum()
    big_a = np.dot(pg, att)
    n_codes = int(max(cohort_code.max(initial=-1), keep_groups.max(initial=-1))) + 2
    per_code_a = np.bincount(keep_groups, weights=att, minlength=n_codes)
    per_code_n = np.bincount(keep_groups, minlength=n_codes).astype(float)
    code = np.where(cohort_code < 0, n_codes - 1, cohort_code)
    unit_term = w * (per_code_a[code] / s - per_code_n[code] * big_a / s**2)
    const = np.dot(pg, att) / s - pg.sum() * big_a / s**2
    return unit_term - const


def _aggregate(res: GroupTimeResult, kind: str, min_e: float, max_e: float, balance_e: int | None) -> AggregateResult:
    inf = res._inference
    if inf is None or res.influence is None:
        raise EstimationError("this result has no influence functions; re-run att_gt() to aggregate.")
    t = res.table
    ok = np.isfinite(t["estimate"].to_numpy(dtype=float))
    notes: list[str] = []
    if not ok.all():
        notes.append(f"{int((~ok).sum())} ATT(g,t) cells without an estimate are left out of the aggregation.")
    groups_all = np.sort(np.unique(t["group"].to_numpy(dtype=float)))
    cell_g = t["group"].to_numpy(dtype=float)
    cell_t = t["time"].to_numpy(dtype=float)
    e = cell_t - cell_g
    att = t["estimate"].to_numpy(dtype=float)
    psi = res.influence
    w = res.unit_weight
    cohort = res.unit_cohort
    code_of = {g: i for i, g in enumerate(groups_all)}
    cohort_code = _codes(cohort, groups_all)
    pgg = np.array([np.mean(w * (cohort == g)) for g in groups_all])
    cell_code = np.array([code_of[g] for g in cell_g], dtype=np.int64)
    pg = pgg[cell_code]
    post = (cell_g <= cell_t) & ok

    def combo(idx: np.ndarray, weights: np.ndarray, with_wif: bool) -> tuple[float, np.ndarray]:
        est = float(np.dot(weights, att[idx]))
        col = psi[:, idx] @ weights
        if with_wif:
            col = col + _wif_dot(cell_code[idx], pg[idx], att[idx], cohort_code, w)
        return est, col

    levels: list[float] = []
    by_est: list[float] = []
    by_cols: list[np.ndarray] = []
    by_n: list[int] = []
    if kind == "simple":
        keep = np.flatnonzero(post & (e >= min_e) & (e <= max_e))
        _require(keep, kind)
        overall, ocol = combo(keep, pg[keep] / pg[keep].sum(), True)
        estimand = "Overall ATT: post-treatment ATT(g,t) weighted by cohort size"
    elif kind == "group":
        for g in groups_all:
            keep = np.flatnonzero(post & (cell_g == g) & (e >= min_e) & (e <= max_e))
            if keep.size == 0:
                continue
            est, col = combo(keep, np.full(keep.size, 1.0 / keep.size), False)
            levels.append(g)
            by_est.append(est)
            by_cols.append(col)
        _require(np.array(levels), kind)
        lv = np.array(levels)
        pl = pgg[[code_of[g] for g in lv]]
        overall = float(np.dot(pl / pl.sum(), by_est))
        ocol = np.column_stack(by_cols) @ (pl / pl.sum()) + _wif_dot(
            np.array([code_of[g] for g in lv]), pl, np.array(by_est), cohort_code, w)
        estimand = "Overall ATT: cohort averages of post-treatment ATT(g,t), weighted by cohort size"
    elif kind == "dynamic":
        include = ok.copy()
        if balance_e is not None:
            include &= (cell_t.max() - cell_g) >= balance_e
        eseq = np.unique(e[include])
        if balance_e is not None:
            eseq = eseq[(eseq <= balance_e) & (eseq >= balance_e - cell_t.max() + min(cell_t.min(), cell_g.min()))]
        eseq = eseq[(eseq >= min_e) & (eseq <= max_e)]
        for ev in eseq:
            keep = np.flatnonzero(include & (e == ev))
            est, col = combo(keep, pg[keep] / pg[keep].sum(), True)
            levels.append(ev)
            by_est.append(est)
            by_cols.append(col)
        lv = np.array(levels)
        pos = np.flatnonzero(lv >= 0) if lv.size else np.array([], dtype=int)
        _require(pos, kind)
        overall = float(np.mean(np.array(by_est)[pos]))
        ocol = np.column_stack(by_cols)[:, pos].mean(axis=1)
        estimand = "Overall ATT: average of the event-time ATTs over e >= 0"
    else:
        for period in np.unique(cell_t[cell_t >= cell_g.min()]):
            keep = np.flatnonzero((cell_t == period) & post)
            if keep.size == 0:
                continue
            est, col = combo(keep, pg[keep] / pg[keep].sum(), True)
            levels.append(period)
            by_est.append(est)
            by_cols.append(col)
        _require(np.array(levels), kind)
        overall = float(np.mean(by_est))
        ocol = np.column_stack(by_cols).mean(axis=1)
        estimand = "Overall ATT: average of the calendar-period ATTs"
    for lv_value in levels:
        if kind == "dynamic":
            sel = (e == lv_value) & ok
        elif kind == "group":
            sel = post & (cell_g == lv_value)
        else:
            sel = post & (cell_t == lv_value)
        by_n.append(int(t.loc[sel, "n_treated"].max() if sel.any() else 0))
    cols = np.column_stack([ocol] + by_cols) if by_cols else ocol[:, None]
    se_all, _, _ = inf.se_and_crit(cols)
    crit = float("nan")
    if by_cols and inf.seed is not None:
        _, crit, _ = inf.se_and_crit(np.column_stack(by_cols))
    lo, hi, pval = normal_ci(overall, float(se_all[0]), res.alpha)
    col_name = {"dynamic": "event_time", "group": "group", "calendar": "time"}.get(kind, "")
    rows = []
    for j, lv_value in enumerate(levels):
        s = float(se_all[j + 1])
        a, b, p = normal_ci(by_est[j], s, res.alpha)
        band = (by_est[j] - crit * s, by_est[j] + crit * s) if np.isfinite(crit) else (np.nan, np.nan)
        rows.append({col_name: _level(lv_value), "estimate": by_est[j], "std_error": s, "p_value": p, "ci_lower": a,
                     "ci_upper": b, "band_lower": band[0], "band_upper": band[1], "n_obs": by_n[j],
                     **({"post": lv_value >= 0} if kind == "dynamic" else {})})
    by = pd.DataFrame(rows, columns=[col_name, "estimate", "std_error", "p_value", "ci_lower", "ci_upper",
                                     "band_lower", "band_upper", "n_obs"] + (["post"] if kind == "dynamic" else [])) \
        if col_name else pd.DataFrame()
    n_treated = int(np.sum(~np.isnan(cohort) & np.isin(cohort, groups_all)))
    return AggregateResult(
        kind=kind, method=res.method, estimand="ATT", outcome=res.outcome, estimate=overall,
        std_error=float(se_all[0]), ci=(lo, hi), p_value=pval, inference=res.inference,
        n_treated=n_treated, n_control=res.n_units - n_treated, by=by, alpha=res.alpha, critical_value=crit,
        spec={"kind": kind, "min_e": None if np.isinf(min_e) else min_e, "max_e": None if np.isinf(max_e) else max_e,
              "balance_e": balance_e, "att_gt": dict(res.spec)},
        notes=(estimand + ".", *notes) + ((f"Multiplier bootstrap ({inf.spec.reps} Rademacher draws, seed {inf.seed}), "
                                         "the same draws as the ATT(g,t).",) if inf.seed is not None else ()) + (("Uniform band: sup-t critical value from the same multiplier draws.",)
                              if np.isfinite(crit) else ()),
        influence=ocol, by_influence=np.column_stack(by_cols) if by_cols else None,
    )


def _require(idx: np.ndarray, kind: str) -> None:
    if idx.size == 0:
        raise EstimationError(f"the {kind!r} aggregation has no post-treatment ATT(g,t) to average with these "
                              "min_e/max_e/balance_e; widen them.")


def _codes(values: np.ndarray, levels: np.ndarray) -> np.ndarray:
    pos = np.searchsorted(levels, values)
    pos = np.clip(pos, 0, len(levels) - 1)
    hit = ~np.isnan(values) & (levels[pos] == values)
    return np.where(hit, pos, -1)


# ----------------------------------------------------------------------------------------- estimation


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
    se: str | Mapping[str, object] | Inference | None = None,
    never_treated: float | None = None,
    weights: str | None = None,
    panel: bool = True,
    unbalanced: Literal["keep", "drop"] = "keep",
    trim_level: float = 0.995,
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
        multiplier bootstrap (Rademacher weights on the unit or cluster sums of the influence
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
    check_choice("control_group", control_group, ("never_treated", "not_yet_treated"), _FUNC)
    check_choice("method", method, METHODS, _FUNC)
    check_choice("base_period", base_period, ("varying", "universal"), _FUNC)
    check_choice("unbalanced", unbalanced, ("keep", "drop"), _FUNC)
    antic = int(check_number("anticipation", anticipation, _FUNC, low=0, integer=True))
    check_number("alpha", alpha, _FUNC, low=0.0, high=0.5, low_open=True)
    check_number("trim_level", trim_level, _FUNC, low=0.5, high=1.0, low_open=True)
    if not isinstance(panel, bool):
        raise SpecificationError(f"the 'panel' parameter of {_FUNC}() must be True or False; got {panel!r}.")
    if panel and not unit:
        raise SpecificationError(f"{_FUNC}() needs 'unit' (the unit id column) for panel data; pass panel=False "
                                 "for repeated cross-sections.")
    covs = as_column_list("covariates", covariates, _FUNC)
    spec_se = parse_inference("robust" if se is None else se, _FUNC, ("robust", "clustered", "bootstrap"))
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
    seed = None
    if isinstance(spec_se, Bootstrap):
        seed = spec_se.random_state if spec_se.random_state is not None else int(
            np.random.SeedSequence().generate_state(1)[0])
    inf = _Inference(spec=spec_se, clusters=prep.clusters, seed=seed, alpha=float(alpha))
    psi = cells.pop("psi")
    separated = cells.pop("separation")
    table = pd.DataFrame(cells)
    est = table["estimate"].to_numpy(dtype=float)
    se_cells, crit, _ = inf.se_and_crit(psi)
    se_cells = np.where(np.isfinite(est), se_cells, np.nan)
    z = normal_z(alpha)
    ok = np.isfinite(se_cells) & (se_cells > 0)
    table["std_error"] = se_cells
    table["p_value"] = np.where(ok, 2 * stats.norm.sf(np.abs(est / np.where(ok, se_cells, 1.0))), np.nan)
    table["ci_lower"] = np.where(ok, est - z * se_cells, np.nan)
    table["ci_upper"] = np.where(ok, est + z * se_cells, np.nan)
    table["band_lower"] = est - crit * se_cells if np.isfinite(crit) else np.nan
    table["band_upper"] = est + crit * se_cells if np.isfinite(crit) else np.nan
    table = table[["group", "time", "event_time", "base_period", "post", "estimate", "std_error", "p_value",
                   "ci_lower", "ci_upper", "band_lower", "band_upper", "n_treated", "n_control"]]
    pre = np.flatnonzero((table["group"].to_numpy() > table["time"].to_numpy()) & np.isfinite(se_cells))
    pretrend = WaldTest.compute(est[pre], inf.covariance(psi[:, pre]), "every pre-treatment ATT(g,t) is zero")
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
        method="att_gt", estimand="ATT(g,t)", outcome=outcome, table=table, inference=spec_se, alpha=float(alpha),
        critical_value=crit, pretrend=pretrend, units=prep.unit_ids, unit_cohort=prep.cohort_unit,
        unit_weight=prep.w_unit, sample_sizes=prep.sizes,
        spec={"outcome": outcome, "unit": unit, "time": time, "cohort": cohort, "covariates": covs,
              "control_group": control_group, "method": method, "anticipation": antic, "base_period": base_period,
              "se": spec_se.to_dict(), "never_treated": never_treated, "weights": weights, "panel": panel,
              "unbalanced": unbalanced, "trim_level": trim_level, "alpha": alpha},
        notes=tuple(notes), influence=psi, _inference=inf,
    )


def normal_z(alpha: float) -> float:
    return float(stats.norm.ppf(1 - alpha / 2))


def _estimate_cells(p: StaggeredPanel, *, control_group: str, method: str, anticipation: int, base_period: str,
                    trim_level: float, names: Sequence[str] | None = None) -> dict[str, Any]:
    periods = p.periods
    n_t = len(periods)
    n = len(p.unit_ids)
    cohort = p.cohort_unit
    never = np.isnan(cohort)
    glist = np.unique(cohort[~never & (cohort > periods[0] + anticipation)])
    if control_group == "not_yet_treated" and not never.any():
        glist = glist[glist < glist.max()]
    universal = base_period == "universal"
    # 1. the cells: (g, current period, base period, post, reference, comparison threshold)
    specs: list[tuple[float, int, int, bool, bool, Any]] = []
    problems: list[str] = []
    separated: list[str] = []
    for g in glist:
        pre_candidates = np.flatnonzero(periods + anticipation < g)
        base_g = int(pre_candidates[-1]) if pre_candidates.size else None
        for cur in range(0 if universal else 1, n_t):
            is_post = bool(g <= periods[cur])
            pre = base_g if (universal or is_post) else cur - 1
            if pre is None:
                problems.append(f"cohort {g:g} has no pre-treatment period and is left out")
                break
            thr = None if control_group == "never_treated" else periods[max(cur, pre)] + anticipation
            specs.append((g, cur, pre, is_post, universal and pre == cur, thr))
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
    for cells in batches.values():
        g, _, _, _, _, thr = specs[cells[0]]
        treated = cohort == g
        control = never if thr is None else never | ((cohort > thr) & ~treated)
        if p.balanced:
            problem, sep = _panel_batch(p, treated, control, [specs[j] for j in cells], cells, method, trim_level,
                                        est, psi, n_treat, n_ctrl, names)
        else:
            j = cells[0]
            problem, sep = _rc_cell(p, treated, control, specs[j][1], specs[j][2], method, trim_level, rows_by_t,
                                    j, est, psi, n_treat, n_ctrl, names)
        if problem:
            problems += [f"ATT({specs[j][0]:g},{periods[specs[j][1]]:g}): {problem}" for j in cells]
        if sep is not None:
            separated += [f"ATT({specs[j][0]:g},{periods[specs[j][1]]:g}): {summary_text(sep)}" for j in cells]
    if problems:
        warnings.warn(f"{_FUNC}(): {len(problems)} group-time cells could not be estimated and are left missing: "
                      + "; ".join(problems[:5]) + ("; ..." if len(problems) > 5 else "") + ".",
                      OverlapWarning if any("propensity" in s for s in problems) else MissingDataWarning, stacklevel=3)
    if separated:
        warnings.warn(f"{_FUNC}(): the logit propensity score has no maximum-likelihood estimate in {len(separated)} "
                      "group-time cells (separation; scores of 0 for the perfectly predicted comparison units, 1 for "
                      "the treated ones): " + "; ".join(separated[:5]) + ("; ..." if len(separated) > 5 else "")
                      + ". Drop or merge the covariate, or restrict the sample to common support.",
                      OverlapWarning, stacklevel=3)
    return {"group": [_level(sp[0]) for sp in specs], "time": [_level(periods[sp[1]]) for sp in specs],
            "event_time": [_level(periods[sp[1]] - sp[0]) for sp in specs],
            "base_period": [_level(periods[sp[2]]) for sp in specs], "post": np.array([sp[3] for sp in specs]),
            "estimate": est, "n_treated": n_treat, "n_control": n_ctrl, "psi": psi, "separation": separated}


def _panel_batch(p: StaggeredPanel, treated: np.ndarray, control: np.ndarray, specs: list[tuple[Any, ...]],
                 cols: list[int], method: str, trim_level: float, est: np.ndarray, psi: np.ndarray,
                 n_treat: np.ndarray, n_ctrl: np.ndarray,
                 names: Sequence[str] | None = None) -> tuple[str, dict[str, Any] | None]:
    """Cells of one cohort sharing a comparison group and covariates, on a balanced panel.

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
            ps = pscore_fit(x, d, w / w.mean(), trim_level, names=names, func=_FUNC)
            if ps.p.max() >= 0.999:
                return "propensity score >= 0.999 (no overlap)", ps.separation
        fit = panel_2x2(dy, d, x, w, method, trim_level, ps=ps, names=names, func=_FUNC)
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
