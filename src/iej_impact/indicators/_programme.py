"""Descriptive programme indicators: ESF/YEI common indicators, the 2015 report's exit categories,
targets and costs, with breakdowns, reconciliation and statistical disclosure control.

``programme_indicators(participations, ...)`` computes, from participant microdata (one row per person
x operation, docs/reference/data-model.md#participations), every indicator of the registry (``indicators/registry/registry.csv``)
whose columns are present:

* ESF common output indicators CO01-CO19 (counts at entry; share of all participants), and CO20-CO23
  from an operations table;
* YEI immediate result indicators CR01-CR09 (completed / offer / positive situation upon leaving, for
  the unemployed, long-term unemployed and inactive-not-in-education leavers) and longer-term CR10-CR12
  (six months after leaving, survey-weighted when ``sample_weight_6m`` is given);
* ESF common result indicators CR01-CR09;
* the 2015 NPdC report's own categories: positive exits and their split, drop-outs without a solution,
  no solution at the end, the offer rate, and the profile shares (men/women, CITE 0-4 and 0-2 next to
  the EU ISCED grouping CO09-CO11, social minima);
* targets, achievement and programmed costs per operation and per group (shared envelopes at group
  level, "nc" targets reported, never guessed).

Keys are ``(framework, code)``: YEI and ESF result codes collide (``YEI:CR04`` is not ``ESF:CR04``).

Method. Counts are sums of per-row flags (see :mod:`iej_impact.indicators._rules`
and :mod:`iej_impact.indicators._exit_rules` for each rule);
shares are numerator / denominator with a Wilson 95 % score interval (Wilson 1927; statsmodels
``proportion_confint(method="wilson")``), which keeps its coverage near 0 and 1 where the normal
interval fails (Brown, Cai & DasGupta 2001). Survey-weighted six-month shares use a linearisation
variance and Wilson's interval at the effective sample size (Kott & Carr 1997). Cells counting fewer
than ``min_cell_size`` persons are withheld, with complementary suppression
(:mod:`iej_impact.indicators._disclosure`).

References
----------
Regulation (EU) No 1304/2013 (ESF), Annexes I and II (common and YEI indicators).
European Commission (2018), *Monitoring and Evaluation of European Cohesion Policy: ESF*, guidance
(definitions of long-term unemployment, "upon leaving" = within four weeks).
Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference. JASA 22.
Brown, L. D., Cai, T. T. & DasGupta, A. (2001). Interval estimation for a binomial proportion.
Statistical Science 16(2), 101-133.
Kott, P. S. & Carr, D. A. (1997). Developing an estimation strategy for a pesticide data program.
Journal of Official Statistics 13(4), 367-383 (Wilson interval with an effective sample size).
Dean, N. & Pagano, M. (2015). Evaluating confidence interval methods for binomial proportions in
clustered surveys. Journal of Survey Statistics and Methodology 3(4), 484-503.
"""

from __future__ import annotations

import datetime as _dt
import functools
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from .._params import Boolean, Columns, Interval, Options, constrained
from .._validation import (
    arguments_checked,
    as_column_list,
    check_choice,
    check_columns,
    check_dataframe,
    user_stacklevel,
)
from ..errors import DataError, SpecificationError
from ..results import Result, Summary, jsonable
from ._assembly import TABLE_COLUMNS, assemble, group_text, participant_rows, row_keys
from ._costs import targets_and_costs
from ._disclosure import DEFAULT_MIN_CELL_SIZE
from ._engine import TOTAL_LEVEL
from ._partition import Partitions, Request, merge_partials, partial_indicators
from ._published import COMPARISON_COLUMNS, compare_published, load_published
from ._registry import REGISTRY_VERSION, select_indicators
from ._rule_columns import RuleOptions

__all__ = ["programme_indicators", "IndicatorTable", "TABLE_COLUMNS"]

_FUNC = "programme_indicators"
_NON_PARTICIPANT = ("targets", "entity")


# ----------------------------------------------------------------------------------------------- result


@dataclass(frozen=True, eq=False)
class IndicatorTable(Result):
    """Result of :func:`programme_indicators` (frozen; read it, never modify it).

    Attributes
    ----------
    table : one row per indicator x group: ``framework, code, label_fr, label_en, family, level``, one
        column per breakdown (None where the row is a margin of that breakdown), ``numerator,
        denominator, value, ci_lower, ci_upper, suppressed, suppression`` ("primary"/"secondary"/""),
        ``unit`` (share/count/ratio/eur), ``population``, ``weighted``, ``sample_numerator``,
        ``sample_denominator`` (unweighted persons behind a weighted share), ``scope``, ``note``.
    reconciliation : per additive relation and group, the total, the sum of its parts and the gap.
    comparison : published figures vs computed ones and vs each other (empty without ``published``).
    coverage : missing values per input column and population.
    skipped : indicators not computed, with the reason (columns absent).
    breakdowns : the breakdown columns, in order (``by``, then the entry period, then sex).
    count : "participation" or "person" (the counting unit).
    min_cell_size : the disclosure threshold used.
    notes : plain-language notes (conventions, exclusions, data issues).
    spec : the arguments of the call.
    """

    table: pd.DataFrame
    reconciliation: pd.DataFrame
    comparison: pd.DataFrame
    coverage: pd.DataFrame
    skipped: pd.DataFrame
    breakdowns: tuple[str, ...]
    count: str
    min_cell_size: int
    notes: tuple[str, ...] = ()
    spec: Mapping[str, Any] = field(default_factory=dict)

    method = "programme_indicators"

    # -- access -------------------------------------------------------------------------------------------
    def get(self, framework: str, code: str, **group: object) -> dict[str, Any]:
        """The row of one indicator for one group (no keyword: the total), as a dict.

        Example: ``res.get("YEI", "CR04", sex="F")["value"]`` is the share of long-term unemployed women
        leavers who completed the intervention; targets take operation columns (``operation_id="OP01"``).
        """
        t = self.table
        unknown = [g for g in group if g not in t.columns]
        if unknown:
            raise SpecificationError(f"unknown breakdown(s) {unknown}; this table is broken down by "
                                     f"{list(self.breakdowns)} (and, for targets, by operation columns).")
        if not group:
            level = TOTAL_LEVEL
        elif all(g in self.breakdowns for g in group):
            level = "+".join(d for d in self.breakdowns if d in group)
        else:
            level = "+".join(group)
        mask = (t["framework"] == framework) & (t["code"] == code) & (t["level"] == level)
        for col, val in group.items():
            mask &= t[col].astype(object) == str(val)
        hits = t[mask]
        if len(hits) != 1:
            raise KeyError(f"no row for {framework}:{code} with group {group or '{}'} (level {level!r}); computed "
                           f"indicators: {sorted(set(row_keys(t)))[:12]}...")
        return hits.iloc[0].to_dict()

    def value(self, framework: str, code: str, **group: object) -> float:
        """The value of one indicator for one group (NaN when withheld or undefined)."""
        v = self.get(framework, code, **group)["value"]
        return float(v) if v is not None and pd.notna(v) else float("nan")

    def issues(self) -> pd.DataFrame:
        """Inconsistencies to report: reconciliation gaps of the total and published figures that disagree."""
        rec = self.reconciliation
        gaps = rec[(rec["level"] == TOTAL_LEVEL) & (rec["status"] == "gap")]
        rows = [{"kind": "reconciliation", "what": r.relation, "message": r.note} for r in gaps.itertuples()]
        cmp_ = self.comparison
        if len(cmp_):
            bad = cmp_[cmp_["consistent"].astype("boolean").eq(False).fillna(False)]
            for r in bad.itertuples():
                rows.append({"kind": r.check, "what": f"{r.framework}:{r.code} ({r.measure})",
                             "message": f"published {r.published:g} vs {r.computed:.6g} (difference {r.difference:+.4g},"
                                        f" tolerance {r.tolerance:g}; scope {r.scope}). {r.note}".strip()})
        return pd.DataFrame(rows, columns=["kind", "what", "message"])

    # -- export -------------------------------------------------------------------------------------------
    def to_frame(self) -> pd.DataFrame:
        """The tidy table (CSV): the table's columns plus ``group`` as text ("sex=F; entry_quarter=2015Q1")."""
        out = self.table.copy()
        out.insert(6, "group", group_text(out, self.group_columns))
        return out

    @property
    def group_columns(self) -> list[str]:
        return [c for c in self.table.columns[self.table.columns.get_loc("level") + 1:
                                              self.table.columns.get_loc("numerator")]]

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: ``{"indicators": [...], "reconciliation": [...], "comparison": [...], ...}``."""
        t = self.table
        groups = _group_dicts(t, self.group_columns)
        counts = t["unit"].isin(["count", "share", "ratio"]).to_numpy() & ~t["weighted"].to_numpy(dtype=bool)
        recs = []
        cols = ["numerator", "denominator", "value", "ci_lower", "ci_upper", "sample_numerator", "sample_denominator"]
        arrays = {c: t[c].to_numpy(dtype=float) for c in cols}
        for i, r in enumerate(t[["framework", "code", "label_fr", "label_en", "family", "level", "suppressed",
                                 "suppression", "unit", "population", "weighted", "scope", "note"]].itertuples(index=False)):
            rec: dict[str, Any] = {"framework": r.framework, "code": r.code, "label": {"fr": r.label_fr, "en": r.label_en},
                                   "group": groups[i]}
            for c in cols:
                v = arrays[c][i]
                if np.isnan(v):
                    rec[c] = None
                elif c in ("numerator", "denominator", "sample_numerator", "sample_denominator") and \
                        counts[i] and float(v).is_integer():
                    rec[c] = int(v)
                else:
                    rec[c] = float(v)
            rec.update({"suppressed": bool(r.suppressed), "suppression": r.suppression, "unit": r.unit,
                        "family": r.family, "level": r.level, "population": r.population, "weighted": bool(r.weighted),
                        "scope": r.scope, "note": r.note})
            recs.append(rec)
        return jsonable({
            "method": self.method,
            "indicators": recs,
            "reconciliation": self.reconciliation,
            "comparison": self.comparison,
            "issues": self.issues(),
            "coverage": self.coverage,
            "skipped": self.skipped,
            "breakdowns": list(self.breakdowns),
            "count": self.count,
            "min_cell_size": self.min_cell_size,
            "registry_version": REGISTRY_VERSION,
            "notes": list(self.notes),
            "spec": dict(self.spec),
        })

    def summary(self, language: Literal["en", "fr"] = "en") -> Summary:
        """Headline table (total level), targets and costs, reconciliation gaps, published comparisons."""
        label = "label_fr" if language == "fr" else "label_en"
        t = self.table
        total = t[t["level"] == TOTAL_LEVEL]
        part = total[~total["family"].isin(_NON_PARTICIPANT)]
        head = part.set_index(row_keys(part))[
            [label, "numerator", "denominator", "value", "ci_lower", "ci_upper", "suppressed"]]
        head.index.name = "indicator"
        tables: list[tuple[str, pd.DataFrame]] = [("Indicators (total)" if language == "en" else
                                                   "Indicateurs (ensemble)", head)]
        tg = total[total["family"].isin(_NON_PARTICIPANT)]
        if len(tg):
            tab = tg.set_index(row_keys(tg))[[label, "numerator", "denominator", "value", "note"]]
            tab.index.name = "indicator"
            tables.append(("Targets and costs (total)" if language == "en" else "Cibles et coûts (ensemble)", tab))
        rec = self.reconciliation[self.reconciliation["level"] == TOTAL_LEVEL]
        if len(rec):
            tables.append(("Reconciliation (total)" if language == "en" else "Réconciliation (ensemble)",
                           rec.set_index("relation")[["total_key", "total", "parts_sum", "gap", "status"]]))
        if len(self.comparison):
            cmp_ = self.comparison.set_index("figure")[["check", "framework", "code", "measure", "published",
                                                          "computed", "difference", "consistent", "scope"]]
            tables.append(("Published figures" if language == "en" else "Chiffres publiés", cmp_))
        n_supp = int(t["suppressed"].sum())
        notes = [
            f"Counting unit: {self.count}. Breakdowns: {', '.join(self.breakdowns) or 'none'}.",
            f"Disclosure control: cells of 1 to {self.min_cell_size - 1} persons withheld with complementary "
            f"suppression; {n_supp} of {len(t)} rows withheld." if self.min_cell_size > 1 else
            "Disclosure control disabled (min_cell_size=1).",
            "Shares are fractions (0-1) with Wilson 95% intervals.",
            *[f"{r.kind}: {r.what}: {r.message}" for r in self.issues().itertuples()],
            *self.notes,
        ]
        if len(self.skipped):
            by_reason = self.skipped.groupby("reason", sort=False, observed=True)["indicator"].agg(", ".join)
            notes.append("Not computed: " + "; ".join(f"{ind} ({why})" for why, ind in by_reason.items()) + ".")
        return Summary(title="Programme indicators" if language == "en" else "Indicateurs du programme",
                       tables=tuple(tables), notes=tuple(notes))

    def __repr__(self) -> str:
        return (f"IndicatorTable({len(self.table)} rows, breakdowns={list(self.breakdowns)}, count={self.count!r}, "
                f"min_cell_size={self.min_cell_size}, suppressed={int(self.table['suppressed'].sum())})")


def _group_dicts(t: pd.DataFrame, cols: Sequence[str]) -> list[dict[str, object]]:
    values = {c: t[c].to_numpy(dtype=object) for c in cols}
    out = []
    for i in range(len(t)):
        out.append({c: values[c][i] for c in cols if values[c][i] is not None and not pd.isna(values[c][i])})
    return out


# ------------------------------------------------------------------------------------------------- API


@constrained({
    "by": Columns(), "period": Options((None, "month", "quarter")), "by_sex": Boolean(), "margins": Boolean(),
    "count": Options(("participation", "person")),
    "person_rule": Options(("first_entry", "last_exit", "longest"), none_ok=True),
    "min_cell_size": Interval(low=1, integer=True), "missing_targets": Options(("error", "report")),
    "isced_map": Options(("isced2011", "seed_2015")),
    "upon_leaving_days": Interval(low=0, integer=True), "late_exit_status": Options(("error", "unknown")),
    "six_month_window_days": Interval(low=0, integer=True), "alpha": Interval(0.0, 0.5, low_open=True),
})
def programme_indicators(
    data: pd.DataFrame,
    *,
    operations: pd.DataFrame | str | Path | None = None,
    by: str | Sequence[str] = (),
    period: Literal["month", "quarter"] | None = None,
    by_sex: bool = True,
    margins: bool = True,
    count: Literal["participation", "person"] = "participation",
    person_rule: Literal["first_entry", "last_exit", "longest"] | None = None,
    indicators: str | Sequence[str] = "all",
    min_cell_size: int = DEFAULT_MIN_CELL_SIZE,
    reference_date: str | _dt.date | pd.Timestamp | None = None,
    target_by: Sequence[str] | None = None,
    missing_targets: Literal["error", "report"] = "error",
    weights: str | None = "sample_weight_6m",
    isced_map: Literal["isced2011", "seed_2015"] = "isced2011",
    upon_leaving_days: int = 28,
    late_exit_status: Literal["error", "unknown"] = "error",
    six_month_window_days: int = 31,
    yei_age: Sequence[int] = (16, 25),
    published: str | Path | pd.DataFrame | None = None,
    scope: str | None = None,
    alpha: float = 0.05,
) -> IndicatorTable:
    """ESF/YEI indicators, the 2015 report's exit categories, targets and costs, broken down and protected.

    Parameters
    ----------
    data : participations (one row per person x operation; canonical columns in docs/reference/data-model.md). Only
        ``entry_date`` and ``sex`` are required; indicators whose columns are absent are skipped (listed
        in ``skipped``) unless named in ``indicators``.
    operations : the operations table (or a path to it) for targets, costs and CO20-CO23.
    by : breakdown columns of ``data`` (crossed with each other).
    period : add the month (``entry_month`` "2015-03") or quarter (``entry_quarter`` "2015Q1") of entry.
    by_sex : add ``sex`` to the breakdowns (EU rules require every indicator by sex).
    margins : publish every margin of the breakdowns (total, each column alone, each pair, ... the full
        cross); False gives the total and the full cross only.
    count : "participation" (the ESF unit: a youth in two operations counts twice) or "person".
    person_rule : with ``count="person"``, which participation describes a person: "first_entry" (the
        earliest entry), "last_exit" (the latest exit; a participation still running counts as latest)
        or "longest". Required: never chosen silently.
    indicators : "all", or framework names ("ESF", "YEI", "FR", "PROG"), families ("output", "entity",
        "yei_immediate", "yei_longer", "esf_result", "profile", "report_exits", "targets", "totals") or
        keys ("YEI:CR04").
    min_cell_size : disclosure threshold k: cells of 1 .. k-1 persons are withheld (default 11; see
        :mod:`iej_impact.indicators._disclosure` for the justification). 1 disables suppression.
    reference_date : extract date: later entries are dropped, later exits count as still in.
    target_by : operations columns to report targets and costs by (default: operation_id,
        funding_group_id, action_type, operator_type, stage, programme, those present).
    missing_targets : "error" (default) raises when a cost unit has an "nc" or zero target; "report" lists
        such units in the notes and leaves them out of costs per target.
    weights : survey weight column of the six-month situation (used when present; None = unweighted).
    isced_map : national level -> ISCED map when ISCED is derived from ``national_level``: "isced2011"
        (CAP/BEP = ISCED 3) or "seed_2015" (the 2015 report: CAP/BEP in CITE 0-2).
    upon_leaving_days : "upon leaving" window after exit (ESF rule: 4 weeks).
    late_exit_status : "error" (default) or "unknown" for exit situations observed after that window.
    six_month_window_days : tolerance around exit + 6 months for ``status_6m_date``.
    yei_age : YEI age window at entry (France: 16-25); outside it, an EligibilityWarning.
    published : published figures to check: "report_2015" (the 2015 NPdC report, bundled), a CSV path
        or a DataFrame (framework, code, measure, value, precision, scope). Shares must be fractions.
    scope : label stored on every row (e.g. "NPDC_PON_DECONC"), so published tables say what they cover.
    alpha : 1 - confidence level of the intervals.

    Returns
    -------
    IndicatorTable

    Raises
    ------
    DataError and subclasses : missing columns, unknown codes (UnknownCodeError), exit before entry and
        other date-order problems (DateOrderError), duplicates (DuplicateParticipationError), six-month
        status without a date or weight, shares on 0-100 (ScaleError), unusable cost denominators
        (CostDenominatorError).
    SpecificationError : invalid arguments.

    Notes
    -----
    Assumptions: one record per person and operation (merge re-entries first); labour-market status at
    entry exclusive; missing attributes count as "no" in numerators and are reported in ``coverage``.
    Person-level counts follow ``person_rule``; participation-level counts are additive over operations.
    Descriptive only: these indicators say nothing about the programme's effect (use the impact
    estimators for that).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"entry_date": ["2015-01-05"] * 4, "sex": ["F", "M", "M", "F"],
    ...                    "lm_status_entry": ["UNEMPLOYED", "UNEMPLOYED", "INACTIVE", "UNEMPLOYED"]})
    >>> res = programme_indicators(df, min_cell_size=1, by_sex=False)
    >>> res.value("ESF", "CO01")
    0.75
    """
    partitioned = isinstance(data, Partitions)
    schema = data.schema if partitioned else data  # the columns, for the checks
    if not partitioned:
        check_dataframe(data, _FUNC)  # the per-parameter rules are the constraint table above
    k = int(min_cell_size)
    yei_age = _age_window(yei_age)
    by_cols = as_column_list("by", by, _FUNC)
    check_columns(schema, by_cols, _FUNC, role="breakdown column")
    clash = [c for c in by_cols if c in TABLE_COLUMNS or c == "group"]
    if clash:
        raise SpecificationError(f"breakdown column(s) {clash} have the name of an output column of {_FUNC}(); "
                                 "rename them in the data (e.g. data.columns in the config).")
    if count == "person":
        check_choice("person_rule", person_rule, ("first_entry", "last_exit", "longest"), _FUNC)  # required with count="person"
        check_columns(schema, ["person_id"], _FUNC, role="person identifier")
    elif person_rule is not None:
        raise SpecificationError(f"'person_rule' applies to count='person' only; got person_rule={person_rule!r} "
                                 "with count='participation'.")
    ref = _timestamp(reference_date)
    selected, explicit = select_indicators(indicators, _FUNC)
    opts = RuleOptions(func=_FUNC, reference_date=ref, upon_leaving_days=int(upon_leaving_days),
                       late_exit_status=late_exit_status, six_month_window_days=int(six_month_window_days),
                       weights=weights, isced_map=isced_map, yei_age=yei_age,
                       source=data.source if partitioned else None)
    if period is not None and f"entry_{period}" in by_cols:
        raise SpecificationError(f"'entry_{period}' is both a 'by' column and the period breakdown; drop one.")
    part_sel = selected[~selected["family"].isin(_NON_PARTICIPANT)]
    if count == "person":
        part_sel = part_sel[part_sel["key"] != "PROG:PERSONS"]
    tg_sel = selected[selected["family"].isin(_NON_PARTICIPANT)]
    if operations is None and explicit and len(tg_sel):
        raise DataError(f"{_FUNC}(): indicators {tg_sel['key'].tolist()} need an operations table; pass "
                        "operations=<DataFrame or path>.")
    request = Request(opts=opts, by=tuple(by_cols), period=period, by_sex=by_sex, margins=margins, count=count,
                      person_rule=person_rule, selected=part_sel, explicit=explicit,
                      targets=operations is not None and len(tg_sel) > 0)
    if partitioned:
        if count == "person" and person_rule == "longest" and ref is None:
            raise SpecificationError(f"{_FUNC}(): person_rule='longest' on partitions needs a reference_date (the end "
                                     "of participations still running).")
        parts = data.partials(functools.partial(partial_indicators, request=request))
    else:
        parts = [partial_indicators(data, request)]
    arguments_checked()
    merged = merge_partials(parts, request)
    for category, message in merged.warnings:
        warnings.warn(message, category, stacklevel=user_stacklevel())
    notes = list(merged.notes)
    if count == "person":
        notes.append(f"Person-level counting (person_rule='{person_rule}'): {merged.dropped} further participation(s) "
                     "of the same persons are not counted.")
    groups = merged.groups
    part_sel, skipped, weighted = merged.selection, merged.skipped, merged.weighted
    rows, cells = participant_rows(groups, part_sel, weighted, alpha, k, count)

    target_rows = None
    if request.targets:
        ops = _load_operations(operations)
        tt = targets_and_costs(ops, merged.entered, target_by=target_by,
                               missing_targets=missing_targets, func=_FUNC)
        target_rows = tt.rows[(tt.rows["framework"] + ":" + tt.rows["code"]).isin(tg_sel["key"])]
        notes.extend(tt.notes)
        if count == "person":
            notes.append("Targets count participations: achieved participants and costs per participant are "
                         "participation counts even with count='person'.")
    table, recon = assemble(groups, rows, cells, part_sel, target_rows, tg_sel, k, count, scope)
    comparison = pd.DataFrame(columns=COMPARISON_COLUMNS)
    if published is not None:
        pub = load_published(published, _FUNC)
        total = table[table["level"] == TOTAL_LEVEL]
        comparison = compare_published(pub, total.set_index(row_keys(total)))
    if weighted:
        notes.append("Weighted six-month shares: linearisation variance (with-replacement, single-stage "
                     "approximation; strata, clusters and calibration of the survey are not used) and Wilson "
                     "intervals at the effective sample size.")
    spec = {"by": by_cols, "period": period, "by_sex": by_sex, "margins": margins, "count": count,
            "person_rule": person_rule, "indicators": indicators if isinstance(indicators, str) else list(indicators),
            "min_cell_size": k, "reference_date": None if ref is None else str(ref.date()),
            "target_by": None if target_by is None else list(target_by), "missing_targets": missing_targets,
            "weights": weights, "isced_map": isced_map, "upon_leaving_days": upon_leaving_days,
            "late_exit_status": late_exit_status, "six_month_window_days": six_month_window_days,
            "yei_age": list(yei_age), "published": published if isinstance(published, (str, type(None))) else
            ("<DataFrame>" if isinstance(published, pd.DataFrame) else str(published)), "scope": scope,
            "alpha": alpha, "registry_version": REGISTRY_VERSION}
    return IndicatorTable(table=table, reconciliation=recon, comparison=comparison, coverage=merged.coverage,
                          skipped=skipped, breakdowns=groups.dims.names, count=count, min_cell_size=k,
                          notes=tuple(dict.fromkeys(notes)), spec=spec)


# ------------------------------------------------------------------------------------------- helpers


def _age_window(value: Sequence[int]) -> tuple[int, int]:
    try:
        lo, hi = (int(v) for v in value)
    except (TypeError, ValueError):
        raise SpecificationError(f"the 'yei_age' parameter of {_FUNC}() must be two ages [min, max]; got "
                                 f"{value!r}.") from None
    if lo > hi:
        raise SpecificationError(f"the 'yei_age' parameter of {_FUNC}() must be [min, max] with min <= max; got "
                                 f"{value!r}.")
    return lo, hi


def _timestamp(value: object) -> pd.Timestamp | None:
    if value is None:
        return None
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        raise SpecificationError(f"the 'reference_date' parameter of {_FUNC}() must be a date (YYYY-MM-DD); got "
                                 f"{value!r}.") from None
    if pd.isna(ts):
        raise SpecificationError(f"the 'reference_date' parameter of {_FUNC}() must be a date; got {value!r}.")
    return ts.tz_localize(None) if ts.tzinfo else ts


def _load_operations(operations: pd.DataFrame | str | Path) -> pd.DataFrame:
    if isinstance(operations, pd.DataFrame):
        return operations
    if isinstance(operations, (str, Path)):
        from ..data._io import load_data

        return load_data(operations, table="operations")
    raise SpecificationError(f"the 'operations' parameter of {_FUNC}() must be a DataFrame or a file path; got "
                             f"{type(operations).__name__}.")
