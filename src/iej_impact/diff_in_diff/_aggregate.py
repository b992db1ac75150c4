"""Aggregations of group-time ATTs into an overall ATT and ATTs by cohort, event time or period.

Callaway & Sant'Anna (2021, section 3) summarise the ATT(g, t) of :func:`~iej_impact.diff_in_diff.att_gt` by
weighted averages whose weights are cohort shares P(G = g):

==========  ==================================  ============================================================
kind        one level per                       overall ATT
==========  ==================================  ============================================================
simple      (none)                              post-treatment cells weighted by cohort size
group       cohort g: mean of its post cells    levels weighted by cohort size
dynamic     event time e = t - g, by size       mean of the levels e >= 0
calendar    period t: treated cohorts, by size  mean of the levels
==========  ==================================  ============================================================

Each average is a linear map of the cells, so its influence function is the same map of theirs
plus, where the weights are estimated cohort shares, the influence of those shares (the
appendix's ``wif``, :func:`_share_influence`). Standard errors, and with the multiplier bootstrap
the uniform band over the levels, come from these influence functions through the result's
inference object (for the bootstrap, the same multipliers as the cells). Numbers reproduce R
``did``'s ``aggte`` (2.1.2 with the group-weight fix of 2.3.0).

Reference: Callaway, B. and Sant'Anna, P. H. C. (2021). Difference-in-differences with multiple
time periods. Journal of Econometrics 225(2), 200-230.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd

from .._params import EventTimes
from .._validation import check_choice, check_number
from ..errors import EstimationError, SpecificationError
from ..inference import Bootstrap, Clustered, Inference, WaldTest, influence_covariance, normal_ci
from ..results import TIDY_COLUMNS, EffectResult, Summary, jsonable

__all__ = ["AggregateResult", "CompressedUnits", "aggregate", "aggregation_options", "influence_errors",
           "pretrend_wald"]

KINDS = ("simple", "group", "dynamic", "calendar")
#: the leads a pre-trend test may use: event times < 0, or "all" (every pre-treatment estimate)
LEADS = EventTimes(high=-1, keywords=("all",), none_ok=True)

#: standard errors at or below this are treated as zero (a cell without variation): reported as missing
TINY_SE = np.sqrt(np.finfo(float).eps) * 10
_LEVEL_COLUMN = {"dynamic": "event_time", "group": "group", "calendar": "time"}


def level_value(value: float) -> int | float:
    """A period, cohort or event time as an int when it is whole (for labels and JSON)."""
    return int(value) if float(value).is_integer() else float(value)


def influence_errors(inference: Inference, psi: np.ndarray, clusters: np.ndarray | None, seed: int | None,
                     alpha: float) -> tuple[np.ndarray, float]:
    """(standard error of each column of psi, sup-t critical value or NaN) under ``inference``.

    ``clusters``: cluster code per unit (None: units); ``seed``: the multiplier-bootstrap seed.
    Standard errors <= ``TINY_SE`` (and bootstrap columns whose draws vanish) are NaN.
    """
    if isinstance(inference, Bootstrap):
        out = inference.standard_errors(psi, clusters=clusters, seed=seed, alpha=alpha, zero_draws=TINY_SE)
    else:
        out = inference.standard_errors(psi, clusters=clusters)
    return np.where(out.se <= TINY_SE, np.nan, out.se), out.critical_value


def lead_mask(event_time: np.ndarray, leads: Sequence[int] | str | None, anticipation: int) -> np.ndarray:
    """The event times a pre-trend test uses: the ``leads`` listed; every e < 0 (``"all"``); or, by default
    (None), the event times before the anticipation window, e < -anticipation."""
    e = np.asarray(event_time, dtype=float)
    if leads is None:
        return e < -anticipation
    if isinstance(leads, str):
        return e < 0
    return np.isin(e, np.asarray(leads, dtype=float))


def pretrend_wald(estimates: np.ndarray, event_time: np.ndarray, usable: np.ndarray, psi: np.ndarray,
                  clusters: np.ndarray | None, leads: Sequence[int] | str | None, anticipation: int,
                  what: str) -> WaldTest:
    """Joint Wald test that the estimates at the chosen leads (see :func:`lead_mask`) are zero.

    Only estimates that are ``usable`` (a finite standard error: not a base period) enter; the
    covariance comes from the influence functions ``psi`` (units x estimates), clustered as the result.
    """
    est = np.asarray(estimates, dtype=float)
    sel = np.flatnonzero(lead_mask(event_time, leads, anticipation) & usable & np.isfinite(est))
    if isinstance(leads, str) or (leads is None and anticipation == 0):
        null = f"every pre-treatment {what} is zero" + (" (anticipation window included)" if anticipation else "")
    elif leads is None:
        null = f"every pre-treatment {what} before the anticipation window (event time < -{anticipation}) is zero"
    else:
        null = f"every {what} at event times {list(leads)} is zero"
    return WaldTest.compute(est[sel], influence_covariance(psi[:, sel], clusters=clusters), null)


def aggregation_options(kind: str, min_e: float | None = None, max_e: float | None = None,
                        balance_e: int | None = None, pretrend_leads: Sequence[int] | str | None = None,
                        func: str = "aggregate") -> dict[str, Any]:
    """The checked options of an aggregation (see ``GroupTimeResult.aggregate``); SpecificationError if refused.

    The configuration calls it when it reads ``aggregate: [{dynamic: {min_e: -4, max_e: 6}}]``, so a wrong
    option is reported before anything is estimated.
    """
    check_choice("kind", kind, KINDS, func)
    for name, value in (("min_e", min_e), ("max_e", max_e)):
        if value is not None:
            check_number(name, value, func)
    if min_e is not None and max_e is not None and min_e > max_e:
        raise SpecificationError(f"min_e ({min_e}) must be <= max_e ({max_e}) in {func}().")
    if balance_e is not None:
        check_number("balance_e", balance_e, func, low=0, integer=True)
        if kind != "dynamic":
            raise SpecificationError(f"balance_e applies to the 'dynamic' aggregation only; got kind={kind!r}.")
    if kind == "calendar" and (min_e is not None or max_e is not None):
        raise SpecificationError("min_e/max_e do not apply to the 'calendar' aggregation (it averages the "
                                 "cohorts treated by each period); use kind='dynamic' to restrict event times.")
    if pretrend_leads is not None:
        if kind != "dynamic":
            raise SpecificationError(f"pretrend_leads applies to the 'dynamic' aggregation only (the event-time "
                                     f"leads it tests); got kind={kind!r}.")
        pretrend_leads = LEADS.check("pretrend_leads", pretrend_leads, func)  # type: ignore[assignment]
    return {"min_e": min_e, "max_e": max_e, "balance_e": None if balance_e is None else int(balance_e),
            "pretrend_leads": pretrend_leads}


@dataclass(frozen=True)
class CompressedUnits:
    """Influence functions held as a few pseudo-rows instead of one row per unit.

    An estimator that never sees the units (the SQL-engine path of :mod:`iej_impact.engines`)
    stores, as the result's ``influence``, m rows R (m x cells) with R'R / m^2 = Psi'Psi / n^2, the
    covariance every standard error, Wald test and aggregation needs. ``share_basis`` (m x groups)
    holds the same pseudo-rows of the cohort-share columns h_ig = w_i 1{G_i = g} - P(G = g), so the
    influence of the estimated aggregation weights (a linear map of these columns) can be added.
    ``group_share`` is P(G = g) (weighted) and ``group_units`` the number of units of each cohort in
    ``groups`` (the sorted cohorts of the result's cells); ``n_units`` the number of units.
    """

    n_units: int
    groups: np.ndarray
    group_share: np.ndarray
    group_units: np.ndarray
    share_basis: np.ndarray


class GroupTimeCells(Protocol):
    """What an aggregation reads from a :class:`~iej_impact.diff_in_diff.GroupTimeResult`."""

    method: str
    outcome: str
    table: pd.DataFrame
    inference: Inference
    alpha: float
    unit_cohort: np.ndarray
    unit_weight: np.ndarray
    spec: Any
    influence: np.ndarray | None
    _clusters: np.ndarray | None
    _compressed: CompressedUnits | None

    @property
    def n_units(self) -> int: ...

    def _standard_errors(self, psi: np.ndarray) -> tuple[np.ndarray, float]: ...

    @property
    def _bootstrap_note(self) -> str: ...


@dataclass(frozen=True)
class AggregateResult(EffectResult):
    """An aggregation of group-time ATTs: the overall ATT and the ATT by event time, cohort or period.

    An :class:`~iej_impact.results.EffectResult` for the overall ATT (``influence`` is its influence
    function, one value per unit), plus ``kind`` and ``by``: one row per level (column
    ``event_time``, ``group`` or ``time``) with estimate, std_error, ci_lower/ci_upper (pointwise)
    and band_lower/band_upper (uniform sup-t band with ``critical_value``, bootstrap only);
    ``by_influence`` holds the levels' influence functions. The dynamic aggregation also carries
    ``pretrend``, the joint Wald test of its leads (event times before the anticipation window
    unless other leads were chosen), ``base_period`` ("varying" or "universal") and
    ``reference_event_time``, the event time of the base period of the post-entry ATTs (-1 -
    anticipation with consecutive periods; None when it differs across cohorts). With a universal
    base the leads are relative to it too, and its level is 0 by construction.
    ``by_vcov`` is the covariance of the levels (from their influence functions, clustered as the
    standard errors; with the bootstrap, the analytic one). Aggregations of a result whose influence
    functions are compressed (:class:`CompressedUnits`) carry no ``influence``/``by_influence``: their
    pseudo-rows are not units and cannot be lined up with another result's.
    """

    kind: str = "simple"
    by: pd.DataFrame = field(default_factory=pd.DataFrame, compare=False)
    critical_value: float = float("nan")
    by_influence: np.ndarray | None = field(default=None, repr=False, compare=False)
    by_vcov: np.ndarray | None = field(default=None, repr=False, compare=False)
    pretrend: WaldTest | None = None
    base_period: str = ""
    reference_event_time: float | None = None

    @property
    def level_column(self) -> str:
        return _LEVEL_COLUMN.get(self.kind, "")

    @property
    def options(self) -> dict[str, Any]:
        """The aggregation's options (min_e, max_e, balance_e, pretrend_leads), to aggregate again alike."""
        return {k: self.spec.get(k) for k in ("min_e", "max_e", "balance_e", "pretrend_leads")}

    def pretrend_test(self) -> WaldTest | None:
        """Joint Wald test that the leads of the dynamic aggregation are zero (None for other kinds)."""
        return self.pretrend

    def to_frame(self) -> pd.DataFrame:
        """Overall row (term "overall") then one row per level, with the canonical tidy columns."""
        col = self.level_column
        rows = [{"term": "overall", "estimate": self.estimate, "std_error": self.std_error,
                 "statistic": self.estimate / self.std_error if self.std_error else np.nan, "p_value": self.p_value,
                 "ci_lower": self.ci[0], "ci_upper": self.ci[1], "n_obs": self.n_treated + self.n_control}]
        for r in self.by.itertuples(index=False):
            rd = r._asdict()
            rows.append({"term": f"{col}={level_value(rd[col])}", "estimate": rd["estimate"],
                         "std_error": rd["std_error"],
                         "statistic": rd["estimate"] / rd["std_error"] if rd["std_error"] else np.nan,
                         "p_value": rd["p_value"], "ci_lower": rd["ci_lower"], "ci_upper": rd["ci_upper"],
                         "n_obs": rd["n_obs"], col: rd[col]})
        frame = pd.DataFrame(rows)
        cols = TIDY_COLUMNS + ([col] if col else [])
        return frame.reindex(columns=cols)

    def to_dict(self) -> dict[str, Any]:
        """The effect's keys (without sample sizes), plus ``aggregation``, ``critical_value`` and ``by``."""
        effect = super().to_dict()
        col = self.level_column
        by = [{col: level_value(r[col]), "estimate": r["estimate"], "std_error": r["std_error"],
               "ci_lower": r["ci_lower"], "ci_upper": r["ci_upper"], "band_lower": r["band_lower"],
               "band_upper": r["band_upper"]} for r in self.by.to_dict(orient="records")] if col else []
        out = {"method": effect["method"], "aggregation": self.kind}
        for key in ("estimand", "outcome", "estimate", "std_error", "ci_lower", "ci_upper", "ci_level", "p_value",
                    "n_treated", "n_control", "inference", "inference_detail"):
            out[key] = effect[key]
        out.update(critical_value=jsonable(self.critical_value), by=jsonable(by), spec=effect["spec"],
                   notes=effect["notes"])
        if self.kind == "dynamic":
            out.update(base_period=self.base_period or None, reference_event_time=jsonable(self.reference_event_time),
                       pretrend_test=None if self.pretrend is None else self.pretrend.to_dict())
        return out

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
        notes = (f"Inference: {self.inference.describe()}.",) + (
            (self.pretrend.describe() + ".",) if self.pretrend is not None else ()) + self.notes
        return Summary(title=f"{self.method}, {self.kind} aggregation: {self.estimand} on {self.outcome}",
                       tables=tuple(tables), notes=notes)

    def plot(self, ax: Any = None, *, language: str = "en") -> Any:
        """Plot the levels (event time, cohort or period) with CIs and the uniform band; returns the Axes.

        Labels in ``language`` ("en" or "fr").
        """
        from ..report._plots_did import plot_aggregate

        return plot_aggregate(self, ax, language=language)


# ----------------------------------------------------------------------------------------- the cells


def _share_influence(keep_groups: np.ndarray, pg: np.ndarray, att: np.ndarray, cohort_code: np.ndarray,
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


def _codes(values: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Position of each value in the sorted ``levels``; -1 for missing values and values not among them."""
    pos = np.searchsorted(levels, values)
    pos = np.clip(pos, 0, len(levels) - 1)
    hit = ~np.isnan(values) & (levels[pos] == values)
    return np.where(hit, pos, -1)


@dataclass(frozen=True)
class _Cells:
    """The estimated ATT(g, t) with what the weights need: cohort shares and each unit's cohort."""

    table: pd.DataFrame
    att: np.ndarray  # estimate of each cell
    group: np.ndarray  # its cohort g
    time: np.ndarray  # its period t
    ok: np.ndarray  # estimated (finite)
    psi: np.ndarray  # influence functions, units x cells
    unit_weight: np.ndarray
    groups: np.ndarray  # sorted cohorts
    group_share: np.ndarray  # P(G = g) of each cohort in ``groups``
    cell_code: np.ndarray  # position of each cell's cohort in ``groups``
    cohort_code: np.ndarray  # position of each unit's cohort in ``groups`` (-1: none)
    share_basis: np.ndarray | None = None  # pseudo-rows of the share columns (CompressedUnits), else None

    @classmethod
    def of(cls, res: GroupTimeCells) -> _Cells:
        t = res.table
        groups = np.sort(np.unique(t["group"].to_numpy(dtype=float)))
        code_of = {g: i for i, g in enumerate(groups)}
        cell_g = t["group"].to_numpy(dtype=float)
        w, cohort = res.unit_weight, res.unit_cohort
        compressed = getattr(res, "_compressed", None)
        assert res.influence is not None
        if compressed is not None:
            assert np.array_equal(compressed.groups, groups)
            share, basis = compressed.group_share, compressed.share_basis
        else:
            share, basis = np.array([np.mean(w * (cohort == g)) for g in groups]), None
        return cls(table=t, att=t["estimate"].to_numpy(dtype=float), group=cell_g,
                   time=t["time"].to_numpy(dtype=float), ok=np.isfinite(t["estimate"].to_numpy(dtype=float)),
                   psi=res.influence, unit_weight=w, groups=groups, group_share=share,
                   cell_code=np.array([code_of[g] for g in cell_g], dtype=np.int64),
                   cohort_code=_codes(cohort, groups), share_basis=basis)

    def share_influence(self, keep_groups: np.ndarray, pg: np.ndarray, att: np.ndarray) -> np.ndarray:
        """:func:`_share_influence`, or the same linear map of the compressed share columns."""
        if self.share_basis is None:
            return _share_influence(keep_groups, pg, att, self.cohort_code, self.unit_weight)
        s = pg.sum()
        return self.share_basis[:, keep_groups] @ (att / s - np.dot(pg, att) / s**2)

    @property
    def event_time(self) -> np.ndarray:
        return self.time - self.group

    @property
    def share(self) -> np.ndarray:
        """P(G = g) of each cell's cohort."""
        return self.group_share[self.cell_code]

    @property
    def post(self) -> np.ndarray:
        return (self.group <= self.time) & self.ok

    def combine(self, idx: np.ndarray, weights: np.ndarray, with_shares: bool) -> tuple[float, np.ndarray]:
        """Estimate and influence function of sum_j weights_j ATT_j over the cells ``idx``; ``with_shares``
        adds the influence of the estimated cohort shares behind the weights."""
        est = float(np.dot(weights, self.att[idx]))
        col = self.psi[:, idx] @ weights
        if with_shares:
            col = col + self.share_influence(self.cell_code[idx], self.share[idx], self.att[idx])
        return est, col

    def by_share(self, idx: np.ndarray) -> tuple[float, np.ndarray]:
        """The cells ``idx`` weighted by cohort size."""
        pg = self.share[idx]
        return self.combine(idx, pg / pg.sum(), True)

    def treated_units(self, sel: np.ndarray) -> int:
        """Treated units behind a level: the largest n_treated among its cells."""
        return int(self.table.loc[sel, "n_treated"].max() if sel.any() else 0)


@dataclass
class _Levels:
    """An aggregation: its levels with their estimates and influence functions, and the overall ATT."""

    estimand: str
    overall: float = float("nan")
    overall_influence: np.ndarray = field(default_factory=lambda: np.zeros(0))
    values: list[float] = field(default_factory=list)
    estimates: list[float] = field(default_factory=list)
    influences: list[np.ndarray] = field(default_factory=list)
    treated: list[int] = field(default_factory=list)

    _stacked: np.ndarray | None = field(default=None, repr=False)

    def add(self, value: float, estimate_and_influence: tuple[float, np.ndarray], treated: int) -> None:
        self.values.append(value)
        self.estimates.append(estimate_and_influence[0])
        self.influences.append(estimate_and_influence[1])
        self.treated.append(treated)
        self._stacked = None

    def stacked(self) -> np.ndarray:
        """The levels' influence functions as one (units x levels) array, stacked once and shared (the
        SEs, band, covariance and pre-trend test all read it; each stack is a fresh n x levels block)."""
        if self._stacked is None:
            self._stacked = np.column_stack(self.influences)
        return self._stacked


# ----------------------------------------------------------------------------------------- the four kinds


def _simple(c: _Cells, min_e: float, max_e: float, balance_e: int | None) -> _Levels:
    keep = np.flatnonzero(c.post & (c.event_time >= min_e) & (c.event_time <= max_e))
    _require(keep, "simple")
    out = _Levels("Overall ATT: post-treatment ATT(g,t) weighted by cohort size")
    out.overall, out.overall_influence = c.by_share(keep)
    return out


def _by_group(c: _Cells, min_e: float, max_e: float, balance_e: int | None) -> _Levels:
    out = _Levels("Overall ATT: cohort averages of post-treatment ATT(g,t), weighted by cohort size")
    e = c.event_time
    for g in c.groups:
        keep = np.flatnonzero(c.post & (c.group == g) & (e >= min_e) & (e <= max_e))
        if keep.size:
            out.add(g, c.combine(keep, np.full(keep.size, 1.0 / keep.size), False),
                    c.treated_units(c.post & (c.group == g)))
    _require(np.array(out.values), "group")
    codes = np.searchsorted(c.groups, out.values)
    pl = c.group_share[codes]
    out.overall = float(np.dot(pl / pl.sum(), out.estimates))
    out.overall_influence = np.column_stack(out.influences) @ (pl / pl.sum()) + c.share_influence(
        codes, pl, np.array(out.estimates))
    return out


def _dynamic(c: _Cells, min_e: float, max_e: float, balance_e: int | None) -> _Levels:
    out = _Levels("Overall ATT: average of the event-time ATTs over e >= 0")
    e = c.event_time
    include = c.ok.copy()
    if balance_e is not None:
        include &= (c.time.max() - c.group) >= balance_e
    eseq = np.unique(e[include])
    if balance_e is not None:
        eseq = eseq[(eseq <= balance_e) & (eseq >= balance_e - c.time.max() + min(c.time.min(), c.group.min()))]
    for ev in eseq[(eseq >= min_e) & (eseq <= max_e)]:
        out.add(ev, c.by_share(np.flatnonzero(include & (e == ev))), c.treated_units((e == ev) & c.ok))
    pos = np.flatnonzero(np.array(out.values) >= 0) if out.values else np.array([], dtype=int)
    _require(pos, "dynamic")
    out.overall = float(np.mean(np.array(out.estimates)[pos]))
    out.overall_influence = out.stacked()[:, pos].mean(axis=1)
    return out


def _calendar(c: _Cells, min_e: float, max_e: float, balance_e: int | None) -> _Levels:
    out = _Levels("Overall ATT: average of the calendar-period ATTs")
    for period in np.unique(c.time[c.time >= c.group.min()]):
        keep = np.flatnonzero((c.time == period) & c.post)
        if keep.size:
            out.add(period, c.by_share(keep), c.treated_units(c.post & (c.time == period)))
    _require(np.array(out.values), "calendar")
    out.overall = float(np.mean(out.estimates))
    out.overall_influence = out.stacked().mean(axis=1)
    return out


_KINDS = {"simple": _simple, "group": _by_group, "dynamic": _dynamic, "calendar": _calendar}


def _require(idx: np.ndarray, kind: str) -> None:
    if idx.size == 0:
        raise EstimationError(f"the {kind!r} aggregation has no post-treatment ATT(g,t) to average with these "
                              "min_e/max_e/balance_e; widen them.")


# ----------------------------------------------------------------------------------------- the result


def aggregate(res: GroupTimeCells, kind: str, min_e: float, max_e: float, balance_e: int | None,
              pretrend_leads: Sequence[int] | str | None = None) -> AggregateResult:
    """Aggregate the group-time ATTs of ``res`` (checked arguments; see GroupTimeResult.aggregate)."""
    if res.influence is None:
        raise EstimationError("this result has no influence functions; re-run att_gt() to aggregate.")
    cells = _Cells.of(res)
    notes: list[str] = []
    if not cells.ok.all():
        notes.append(f"{int((~cells.ok).sum())} ATT(g,t) cells without an estimate are left out of the aggregation.")
    lv = _KINDS[kind](cells, min_e, max_e, balance_e)
    cols = np.column_stack([lv.overall_influence] + lv.influences) if lv.influences else lv.overall_influence[:, None]
    se_all, _ = res._standard_errors(cols)
    crit = float("nan")
    if lv.influences and isinstance(res.inference, Bootstrap):
        _, crit = res._standard_errors(lv.stacked())
    lo, hi, pval = normal_ci(lv.overall, float(se_all[0]), res.alpha)
    col_name = _LEVEL_COLUMN.get(kind, "")
    rows = []
    for j, value in enumerate(lv.values):
        s, est = float(se_all[j + 1]), lv.estimates[j]
        a, b, p = normal_ci(est, s, res.alpha)
        band = (est - crit * s, est + crit * s) if np.isfinite(crit) else (np.nan, np.nan)
        rows.append({col_name: level_value(value), "estimate": est, "std_error": s, "p_value": p, "ci_lower": a,
                     "ci_upper": b, "band_lower": band[0], "band_upper": band[1], "n_obs": lv.treated[j],
                     **({"post": value >= 0} if kind == "dynamic" else {})})
    by = pd.DataFrame(rows, columns=[col_name, "estimate", "std_error", "p_value", "ci_lower", "ci_upper",
                                     "band_lower", "band_upper", "n_obs"] + (["post"] if kind == "dynamic" else [])) \
        if col_name else pd.DataFrame()
    cohort = res.unit_cohort
    compressed = getattr(res, "_compressed", None)
    n_treated = (int(np.sum(compressed.group_units)) if compressed is not None
                 else int(np.sum(~np.isnan(cohort) & np.isin(cohort, cells.groups))))
    notes = [lv.estimand + ".", *notes]
    dynamic: dict[str, Any] = {}
    if kind == "dynamic":
        dynamic = _dynamic_extras(res, lv, se_all[1:], pretrend_leads)
        notes.append(dynamic.pop("note"))
    if isinstance(res.inference, Bootstrap):
        notes.append(f"{res._bootstrap_note}, the same draws as the ATT(g,t).")
    if np.isfinite(crit):
        notes.append("Uniform band: sup-t critical value from the same multiplier draws.")
    return AggregateResult(
        kind=kind, method=res.method, estimand="ATT", outcome=res.outcome, estimate=lv.overall,
        std_error=float(se_all[0]), ci=(lo, hi), p_value=pval, inference=res.inference,
        n_treated=n_treated, n_control=res.n_units - n_treated, by=by, alpha=res.alpha, critical_value=crit,
        spec={"kind": kind, "min_e": None if np.isinf(min_e) else min_e, "max_e": None if np.isinf(max_e) else max_e,
              "balance_e": balance_e, "pretrend_leads": pretrend_leads, res.method: dict(res.spec)},
        notes=tuple(notes), influence=None if compressed is not None else lv.overall_influence,
        by_influence=lv.stacked() if lv.influences and compressed is None else None,
        by_vcov=influence_covariance(lv.stacked(), clusters=res._clusters,
                                     small_sample=isinstance(res.inference, Clustered)) if lv.influences else None,
        **dynamic,
    )


def _dynamic_extras(res: GroupTimeCells, lv: _Levels, se: np.ndarray,
                    pretrend_leads: Sequence[int] | str | None) -> dict[str, Any]:
    """The dynamic aggregation's pre-trend test of its leads and its base period (with a note saying both)."""
    anticipation = int(res.spec.get("anticipation", 0) or 0)
    base = str(res.spec.get("base_period", ""))
    levels = np.asarray(lv.values, dtype=float)
    pretrend = pretrend_wald(np.asarray(lv.estimates), levels, np.isfinite(se),
                             lv.stacked() if lv.influences else np.zeros((res.n_units, 0)),
                             res._clusters, pretrend_leads, anticipation, "event-time ATT")
    t = res.table
    post = t["post"].to_numpy(dtype=bool)
    bases = np.unique(t["base_period"].to_numpy(dtype=float)[post] - t["group"].to_numpy(dtype=float)[post])
    reference = float(bases[0]) if len(bases) == 1 else None
    at = f" (event time {level_value(reference)})" if reference is not None else ""
    if base == "universal":
        note = (f"Universal base period: every event-time ATT is relative to the last period before the anticipation "
                f"window{at}" + (", where it is 0 by construction." if reference is not None else "."))
    else:
        note = ("Varying base period: each lead compares a period with the one before it (short differences); the "
                f"post-entry ATTs are relative to the last period before the anticipation window{at}.")
    return {"pretrend": pretrend, "base_period": base, "reference_event_time": reference, "note": note}
