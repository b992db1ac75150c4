"""Descriptive programme indicators: ESF/YEI common indicators, the 2015 report's exit categories,
targets and costs, with breakdowns, reconciliation and statistical disclosure control.

``programme_indicators(participations, ...)`` computes, from participant microdata (one row per person
x operation, domain brief E.2), every indicator of the registry (``indicators_data/registry.csv``)
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

Method. Counts are sums of per-row flags (see :mod:`iej_impact._indicator_rules` for each rule);
shares are numerator / denominator with a Wilson 95 % score interval (Wilson 1927; statsmodels
``proportion_confint(method="wilson")``), which keeps its coverage near 0 and 1 where the normal
interval fails (Brown, Cai & DasGupta 2001). Survey-weighted six-month shares use a linearisation
variance and Wilson's interval at the effective sample size (Kott & Carr 1997). Cells counting fewer
than ``min_cell_size`` persons are withheld, with complementary suppression
(:mod:`iej_impact.disclosure`).

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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from ._indicator_costs import entered_ids, targets_and_costs
from ._indicator_engine import (
    TOTAL_LEVEL,
    Cells,
    GroupTable,
    aggregate,
    code_dimensions,
    group_relations,
    protect,
    weighted_share,
    wilson,
)
from ._indicator_published import COMPARISON_COLUMNS, compare_published, load_published
from ._indicator_registry import REGISTRY_VERSION, relations, select_indicators
from ._indicator_rules import Prepared, RuleOptions, prepare
from ._validation import as_column_list, check_choice, check_columns, check_dataframe, check_number
from .disclosure import DEFAULT_MIN_CELL_SIZE, Relations, primary_suppression
from .errors import DataError, SpecificationError
from .results import Result, Summary, jsonable

__all__ = ["programme_indicators", "IndicatorTable", "TABLE_COLUMNS"]

_FUNC = "programme_indicators"
#: columns of ``IndicatorTable.table`` (the breakdown columns sit between ``level`` and ``numerator``)
TABLE_COLUMNS = [
    "framework", "code", "label_fr", "label_en", "family", "level", "numerator", "denominator", "value",
    "ci_lower", "ci_upper", "suppressed", "suppression", "unit", "population", "weighted", "sample_numerator",
    "sample_denominator", "scope", "note",
]
_RECON_COLUMNS = ["relation", "level", "group", "total_key", "total", "parts", "parts_sum", "gap", "status",
                  "label_en", "label_fr", "note"]
_NON_PARTICIPANT = ("targets", "entity")


# ----------------------------------------------------------------------------------------------- result


@dataclass(frozen=True)
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
                           f"indicators: {sorted(set(_row_keys(t)))[:12]}...")
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
        out.insert(6, "group", _group_text(out, self.group_columns))
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
        head = part.set_index(_row_keys(part))[
            [label, "numerator", "denominator", "value", "ci_lower", "ci_upper", "suppressed"]]
        head.index.name = "indicator"
        tables: list[tuple[str, pd.DataFrame]] = [("Indicators (total)" if language == "en" else
                                                   "Indicateurs (ensemble)", head)]
        tg = total[total["family"].isin(_NON_PARTICIPANT)]
        if len(tg):
            tab = tg.set_index(_row_keys(tg))[[label, "numerator", "denominator", "value", "note"]]
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
            by_reason = self.skipped.groupby("reason", sort=False)["indicator"].agg(", ".join)
            notes.append("Not computed: " + "; ".join(f"{ind} ({why})" for why, ind in by_reason.items()) + ".")
        return Summary(title="Programme indicators" if language == "en" else "Indicateurs du programme",
                       tables=tuple(tables), notes=tuple(notes))

    def __repr__(self) -> str:
        return (f"IndicatorTable({len(self.table)} rows, breakdowns={list(self.breakdowns)}, count={self.count!r}, "
                f"min_cell_size={self.min_cell_size}, suppressed={int(self.table['suppressed'].sum())})")


def _row_keys(t: pd.DataFrame) -> pd.Series:
    """'FRAMEWORK:CODE' per row of an indicator table."""
    return t["framework"].astype(str) + ":" + t["code"].astype(str)


def _group_text(t: pd.DataFrame, cols: Sequence[str]) -> pd.Series:
    parts = [(c + "=" + t[c].astype(object).where(t[c].notna(), "").astype(str)).where(t[c].notna(), "") for c in cols]
    if not parts:
        return pd.Series("", index=t.index)
    joined = parts[0]
    for p in parts[1:]:
        joined = np.where((joined != "") & (p != ""), joined + "; " + p, joined + p)
    return pd.Series(joined, index=t.index)


def _group_dicts(t: pd.DataFrame, cols: Sequence[str]) -> list[dict[str, object]]:
    values = {c: t[c].to_numpy(dtype=object) for c in cols}
    out = []
    for i in range(len(t)):
        out.append({c: values[c][i] for c in cols if values[c][i] is not None and not pd.isna(values[c][i])})
    return out


# ------------------------------------------------------------------------------------------------- API


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
    data : participations (one row per person x operation; canonical columns of domain brief E.2). Only
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
        :mod:`iej_impact.disclosure` for the justification). 1 disables suppression.
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
    check_dataframe(data, _FUNC)
    check_choice("count", count, ("participation", "person"), _FUNC)
    check_choice("period", period, (None, "month", "quarter"), _FUNC)
    check_choice("missing_targets", missing_targets, ("error", "report"), _FUNC)
    check_choice("isced_map", isced_map, ("isced2011", "seed_2015"), _FUNC)
    check_choice("late_exit_status", late_exit_status, ("error", "unknown"), _FUNC)
    for name, flag in (("by_sex", by_sex), ("margins", margins)):
        if not isinstance(flag, bool):
            raise SpecificationError(f"the '{name}' parameter of {_FUNC}() must be true or false; got {flag!r}.")
    k = int(check_number("min_cell_size", min_cell_size, _FUNC, low=1, integer=True))
    check_number("alpha", alpha, _FUNC, low=0.0, high=0.5, low_open=True)
    check_number("upon_leaving_days", upon_leaving_days, _FUNC, low=0, integer=True)
    check_number("six_month_window_days", six_month_window_days, _FUNC, low=0, integer=True)
    yei_age = _age_window(yei_age)
    by_cols = as_column_list("by", by, _FUNC)
    check_columns(data, by_cols, _FUNC, role="breakdown column")
    if count == "person":
        check_choice("person_rule", person_rule, ("first_entry", "last_exit", "longest"), _FUNC)
        check_columns(data, ["person_id"], _FUNC, role="person identifier")
    elif person_rule is not None:
        raise SpecificationError(f"'person_rule' applies to count='person' only; got person_rule={person_rule!r} "
                                 "with count='participation'.")
    ref = _timestamp(reference_date)
    selected, explicit = select_indicators(indicators, _FUNC)
    opts = RuleOptions(func=_FUNC, reference_date=ref, upon_leaving_days=int(upon_leaving_days),
                       late_exit_status=late_exit_status, six_month_window_days=int(six_month_window_days),
                       weights=weights, isced_map=isced_map, yei_age=yei_age)
    prep = prepare(data, opts)
    notes = list(prep.notes)
    if count == "person":
        prep, dropped = _person_level(prep, person_rule, ref)
        notes.append(f"Person-level counting (person_rule='{person_rule}'): {dropped} further participation(s) of the "
                     "same persons are not counted.")

    dims = _dimensions(prep, by_cols, period, by_sex)
    part_sel = selected[~selected["family"].isin(_NON_PARTICIPANT)]
    if count == "person":
        part_sel = part_sel[part_sel["key"] != "PROG:PERSONS"]
    part_sel, skipped = _available(part_sel, prep, explicit)
    weighted = prep.weight is not None
    columns, need_persons = _sum_columns(part_sel, prep, weighted)
    person_codes = None
    if need_persons:
        person_codes = pd.factorize(prep.frame["person_id"])[0].astype(np.int64)
    groups = aggregate(dims, columns, margins=margins, person_codes=person_codes)
    rows, cells = _participant_rows(groups, part_sel, weighted, alpha, k, count)

    target_rows = None
    tg_sel = selected[selected["family"].isin(_NON_PARTICIPANT)]
    if operations is not None and len(tg_sel):
        ops = _load_operations(operations)
        tt = targets_and_costs(ops, entered_ids(prep.frame, _FUNC), target_by=target_by,
                               missing_targets=missing_targets, func=_FUNC)
        target_rows = tt.rows[(tt.rows["framework"] + ":" + tt.rows["code"]).isin(tg_sel["key"])]
        notes.extend(tt.notes)
        if count == "person":
            notes.append("Targets count participations: achieved participants and costs per participant are "
                         "participation counts even with count='person'.")
    elif explicit and len(tg_sel):
        raise DataError(f"{_FUNC}(): indicators {tg_sel['key'].tolist()} need an operations table; pass "
                        "operations=<DataFrame or path>.")
    table, recon = _assemble(groups, rows, cells, part_sel, target_rows, tg_sel, k, count, scope)
    comparison = pd.DataFrame(columns=COMPARISON_COLUMNS)
    if published is not None:
        pub = load_published(published, _FUNC)
        total = table[table["level"] == TOTAL_LEVEL]
        comparison = compare_published(pub, total.set_index(_row_keys(total)))
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
    return IndicatorTable(table=table, reconciliation=recon, comparison=comparison, coverage=prep.coverage,
                          skipped=skipped, breakdowns=dims.names, count=count, min_cell_size=k,
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
        from .io import load_data

        return load_data(operations, table="operations")
    raise SpecificationError(f"the 'operations' parameter of {_FUNC}() must be a DataFrame or a file path; got "
                             f"{type(operations).__name__}.")


def _person_level(prep: Prepared, rule: str | None, ref: pd.Timestamp | None) -> tuple[Prepared, int]:
    """Keep one participation per person, chosen by ``rule`` (deterministic ties: row order)."""
    person = pd.factorize(prep.frame["person_id"])[0]
    entry = prep.entry.astype("int64")
    far = np.iinfo(np.int64).max
    exit_ = np.where(np.isnat(prep.exit), far, prep.exit.astype("int64"))
    pos = np.arange(prep.n)
    if rule == "first_entry":
        order = np.lexsort((pos, entry, person))
    elif rule == "last_exit":
        order = np.lexsort((pos, -entry, -exit_, person))
    else:  # longest
        end = np.where(exit_ == far, (ref or pd.Timestamp(prep.entry.max())).value, exit_)
        order = np.lexsort((pos, entry, -(end - entry), person))
    _, first = np.unique(person[order], return_index=True)
    keep = np.sort(order[first])
    return prep.subset(keep), prep.n - len(keep)


def _dimensions(prep: Prepared, by_cols: Sequence[str], period: str | None, by_sex: bool):  # noqa: ANN202
    cols: list[tuple[str, pd.Series]] = [(c, prep.frame[c]) for c in by_cols]
    if period is not None:
        name = f"entry_{period}"
        if name in by_cols:
            raise SpecificationError(f"'{name}' is both a 'by' column and the period breakdown; drop one.")
        entry = pd.DatetimeIndex(prep.entry)
        if period == "month":
            lab = entry.year * 100 + entry.month
            s = pd.Series([f"{v // 100:04d}-{v % 100:02d}" for v in np.unique(lab)], index=np.unique(lab))
        else:
            lab = entry.year * 10 + entry.quarter
            s = pd.Series([f"{v // 10:04d}Q{v % 10}" for v in np.unique(lab)], index=np.unique(lab))
        cols.append((name, pd.Series(pd.Categorical.from_codes(np.searchsorted(s.index, lab), categories=s.to_list(),
                                                                ordered=True))))
    if by_sex and "sex" not in by_cols:
        cols.append(("sex", prep.frame["sex"]))
    return code_dimensions(cols, prep.n)


def _available(sel: pd.DataFrame, prep: Prepared, explicit: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    reasons = []
    for r in sel.itertuples():
        reason = None
        if r.rule not in ("all", "persons"):
            reason = prep.unavailable.get(r.rule) if r.rule not in prep.flags else None
            if r.rule not in prep.flags and reason is None:
                reason = "rule not available"
        if reason is None and r.rule == "persons" and "person_id" not in prep.frame.columns:
            reason = "needs column person_id"
        if reason is None and r.population:
            reason = prep.population_missing(r.population)
        reasons.append(reason)
    reasons_s = pd.Series(reasons, index=sel.index, dtype=object)
    missing = reasons_s.notna()
    if explicit and missing.any():
        listed = "; ".join(f"{k}: {v}" for k, v in zip(sel.loc[missing, "key"], reasons_s[missing], strict=True))
        raise DataError(f"{_FUNC}(): the requested indicators cannot be computed from these data: {listed}.")
    skipped = pd.DataFrame({"indicator": sel.loc[missing, "key"].to_numpy(), "reason": reasons_s[missing].to_numpy()})
    return sel[~missing], skipped


def _sum_columns(sel: pd.DataFrame, prep: Prepared, weighted: bool) -> tuple[dict[str, np.ndarray], bool]:
    cols: dict[str, np.ndarray] = {"pop|all": prep.flags["all"]}
    need_persons = False
    for r in sel.itertuples():
        if r.rule == "persons":
            need_persons = True
            continue
        if not r.population:
            continue
        pop = prep.population(r.population)
        cols.setdefault(f"pop|{r.population}", pop)
        cols.setdefault(f"num|{r.rule}|{r.population}", prep.flags[r.rule] & pop)
        if weighted and r.weighted:
            w = prep.weight * pop
            cols.setdefault(f"w|{r.population}", w)
            cols.setdefault(f"w2|{r.population}", w * w)
            y = prep.flags[r.rule] & pop
            cols.setdefault(f"wy|{r.rule}|{r.population}", w * y)
            cols.setdefault(f"w2y|{r.rule}|{r.population}", w * w * y)
    if "PROG:LEAVERS" in set(sel["key"]):
        cols.setdefault("pop|leavers", prep.population("leavers"))
    return cols, need_persons


@dataclass
class _Rows:
    numerator: np.ndarray
    denominator: np.ndarray
    value: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    n_num: np.ndarray  # unweighted persons in the numerator
    n_den: np.ndarray  # unweighted persons in the denominator
    weighted: np.ndarray


def _participant_rows(groups: GroupTable, sel: pd.DataFrame, weighted: bool, alpha: float, k: int,
                      count: str) -> tuple[_Rows, Cells]:
    """Values (group-major: row = g * I + i) and the disclosure cells of the participant indicators."""
    g_n, ind = groups.n_groups, len(sel)
    s = groups.sums
    shape = (g_n, ind)
    num, den, val = np.full(shape, np.nan), np.full(shape, np.nan), np.full(shape, np.nan)
    lo, hi = np.full(shape, np.nan), np.full(shape, np.nan)
    n_num, n_den = np.full(shape, np.nan), np.full(shape, np.nan)
    wflag = np.zeros(shape, dtype=bool)
    pops = sorted({p for p in sel["population"] if p} | {"all"} | ({"leavers"} if "pop|leavers" in s else set()))
    pop_index = {p: j for j, p in enumerate(pops)}
    pop_counts = np.column_stack([s[f"pop|{p}"] for p in pops])
    row_pop = np.full(ind, -1)
    for i, r in enumerate(sel.itertuples()):
        if r.rule == "persons":
            num[:, i] = n_num[:, i] = val[:, i] = groups.persons
            continue
        if r.rule == "all" and not r.population:
            num[:, i] = n_num[:, i] = val[:, i] = s["pop|all"]
            continue
        row_pop[i] = pop_index[r.population]
        y, d = s[f"num|{r.rule}|{r.population}"], s[f"pop|{r.population}"]
        n_num[:, i], n_den[:, i] = y, d
        if weighted and r.weighted:
            w, w2 = s[f"w|{r.population}"], s[f"w2|{r.population}"]
            wy, w2y = s[f"wy|{r.rule}|{r.population}"], s[f"w2y|{r.rule}|{r.population}"]
            p, lo[:, i], hi[:, i], _ = weighted_share(d, w, w2, wy, w2y, alpha)
            num[:, i], den[:, i], val[:, i] = wy, w, p
            wflag[:, i] = True
        else:
            num[:, i], den[:, i] = y, d
            with np.errstate(divide="ignore", invalid="ignore"):
                val[:, i] = np.where(d > 0, y / d, np.nan)
            lo[:, i], hi[:, i] = wilson(y, d, alpha)
    rows = _Rows(num.ravel(), den.ravel(), val.ravel(), lo.ravel(), hi.ravel(), n_num.ravel(), n_den.ravel(),
                 wflag.ravel())

    # disclosure cells: numerators (g*I + i), then populations (G*I + g*P + p)
    n_pop = len(pops)
    off = g_n * ind
    share = row_pop >= 0
    den_cells = np.where(share[None, :], n_den.reshape(shape), np.nan)
    primary_n = primary_suppression(n_num.reshape(shape), None, min_cell_size=k)
    with np.errstate(invalid="ignore"):
        primary_n |= np.where(share[None, :], primary_suppression(n_num.reshape(shape), np.nan_to_num(den_cells),
                                                                  min_cell_size=k), False)
    primary_p = primary_suppression(pop_counts, None, min_cell_size=k)
    counts = np.concatenate([np.nan_to_num(n_num.ravel()), pop_counts.ravel()])
    primary = np.concatenate([primary_n.ravel(), primary_p.ravel()])
    keys = sel["key"].tolist()
    blocks = [i for i, kk in enumerate(keys) if kk != "PROG:PERSONS"]
    rel = group_relations(groups.codes, ind)
    if len(rel.relation):
        keep = np.isin(rel.cell % ind, blocks)
        rel = Relations(rel.relation[keep], rel.cell[keep], rel.is_total[keep])
    rel = rel.concat(group_relations(groups.codes, n_pop, offset=off))
    gidx = np.arange(g_n)
    lists: list[tuple[np.ndarray, list[np.ndarray]]] = []  # (total cells, [part cells]) per group
    kpos = {kk: i for i, kk in enumerate(keys)}
    for relation in relations():
        if relation.total in kpos and all(p in kpos for p in relation.parts):
            lists.append((gidx * ind + kpos[relation.total], [gidx * ind + kpos[p] for p in relation.parts]))
    for key_, pop in (("PROG:PARTICIPANTS", "all"), ("PROG:LEAVERS", "leavers")):
        if key_ in kpos and pop in pop_index:
            lists.append((off + gidx * n_pop + pop_index[pop], [gidx * ind + kpos[key_]]))
    if "sex" in groups.dims.names:
        lists.extend(_sex_identities(groups, kpos, ind, pop_index, n_pop, off))
    rel = rel.concat(_relations_from_arrays(lists))
    dep = np.flatnonzero(np.broadcast_to(share, shape).ravel())
    req = off + (dep // ind) * n_pop + row_pop[dep % ind]
    return rows, Cells(counts, primary, rel, (dep, req))


def _sex_identities(groups: GroupTable, kpos: Mapping[str, int], ind: int, pop_index: Mapping[str, int],
                    n_pop: int, off: int) -> list[tuple[np.ndarray, list[np.ndarray]]]:
    """FR:MEN in group g equals the participants of group g + (sex = M): the same count, published twice."""
    j = groups.dims.names.index("sex")
    labels = list(groups.dims.labels[j])
    from ._indicator_engine import _keys

    keys = pd.Index(_keys(groups.codes))
    out = []
    for code, sex in (("FR:MEN", "M"), ("FR:WOMEN", "F")):
        if code not in kpos or sex not in labels:
            continue
        g = np.flatnonzero(groups.codes[:, j] < 0)
        partner_codes = groups.codes[g].copy()
        partner_codes[:, j] = labels.index(sex)
        partner = keys.get_indexer(_keys(np.vstack([groups.codes, partner_codes]))[len(groups.codes):])
        ok = partner >= 0
        g, partner = g[ok], partner[ok]
        out.append((g * ind + kpos[code], [off + partner * n_pop + pop_index["all"]]))
    return out


def _relations_from_arrays(lists: Sequence[tuple[np.ndarray, Sequence[np.ndarray]]]) -> Relations:
    rel, cell, tot = [], [], []
    base = 0
    for total, parts in lists:
        m = len(total)
        ids = base + np.arange(m)
        rel.append(ids)
        cell.append(total)
        tot.append(np.ones(m, dtype=bool))
        for p in parts:
            rel.append(ids)
            cell.append(p)
            tot.append(np.zeros(m, dtype=bool))
        base += m
    if not rel:
        return Relations.empty()
    return Relations(np.concatenate(rel).astype(np.int64), np.concatenate(cell).astype(np.int64), np.concatenate(tot))


def _assemble(groups: GroupTable, rows: _Rows, cells: Cells, sel: pd.DataFrame, target_rows: pd.DataFrame | None,
              tg_sel: pd.DataFrame, k: int, count: str, scope: str | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Suppress, then lay out the table (participant rows, then targets) and the reconciliation."""
    g_n, ind = groups.n_groups, len(sel)
    n_part = g_n * ind
    cell_counts, primary, rel = cells.counts, cells.primary, cells.relations
    dep, req = cells.implies
    t_index = None
    if target_rows is not None and len(target_rows):
        target_rows = target_rows.reset_index(drop=True)
        t_cells, t_rel, t_dep, t_req, t_index = _target_cells(target_rows, groups, sel, count, len(cell_counts), k)
        cell_counts = np.concatenate([cell_counts, t_cells[0]])
        primary = np.concatenate([primary, t_cells[1]])
        rel = rel.concat(t_rel)
        dep, req = np.concatenate([dep, t_dep]), np.concatenate([req, t_req])
    supp, _ = protect(Cells(cell_counts, primary, rel, (dep, req)))

    # participant rows
    gi = np.repeat(np.arange(g_n), ind)
    ii = np.tile(np.arange(ind), g_n)
    hidden = supp[:n_part]
    pop_hidden = np.zeros(n_part, dtype=bool)
    share_rows = np.isin(np.arange(n_part), dep[dep < n_part])
    pop_hidden[dep[dep < n_part]] = supp[req[dep < n_part]]
    prim_row = primary[:n_part].copy()
    prim_row[dep[dep < n_part]] |= primary[req[dep < n_part]]
    sel_r = sel.reset_index(drop=True)
    part = pd.DataFrame({c: _cat(sel_r[c].to_numpy(dtype=object), ii) for c in
                         ("framework", "code", "label_fr", "label_en", "family")})
    part["level"] = _cat(groups.level, gi)
    for j, name in enumerate(groups.dims.names):
        part[name] = _cat(groups.dims.labels[j], groups.codes[gi, j], coded=True)
    hide_num = hidden | pop_hidden
    part["numerator"] = np.where(hide_num, np.nan, rows.numerator)
    part["denominator"] = np.where(pop_hidden, np.nan, rows.denominator)
    part["value"] = np.where(hide_num, np.nan, rows.value)
    part["ci_lower"] = np.where(hide_num, np.nan, rows.lo)
    part["ci_upper"] = np.where(hide_num, np.nan, rows.hi)
    part["suppressed"] = hide_num
    part["suppression"] = pd.Categorical.from_codes(np.where(hide_num, np.where(prim_row, 1, 2), 0),
                                                    categories=["", "primary", "secondary"])
    part["unit"] = _cat(sel_r["unit"].to_numpy(dtype=object), ii)
    part["population"] = _cat(sel_r["population"].to_numpy(dtype=object), ii)
    part["weighted"] = rows.weighted
    part["sample_numerator"] = np.where(hide_num, np.nan, rows.n_num)
    part["sample_denominator"] = np.where(pop_hidden | ~share_rows, np.nan, rows.n_den)
    part["scope"] = pd.Categorical.from_codes(np.zeros(n_part, dtype=int), categories=[scope or ""])
    part["note"] = ""
    recon = _reconciliation(groups, sel_r, rows, hide_num, part)
    part["note"] = pd.Categorical(part["note"].to_numpy(dtype=object))
    frames = [part]
    if t_index is not None:
        frames.append(_target_table(target_rows, supp, primary, t_index, tg_sel, scope))
    table = _concat(frames)
    group_cols = [c for c in table.columns if c not in TABLE_COLUMNS]
    return table[TABLE_COLUMNS[:6] + group_cols + TABLE_COLUMNS[6:]], recon


def _cat(values: np.ndarray, index: np.ndarray, *, coded: bool = False) -> pd.Categorical:
    """A categorical column: ``values[index]`` (or, with ``coded``, category codes ``index`` into ``values``,
    -1 = missing), built from integer codes so that long tables stay cheap."""
    if coded:
        cats = pd.Index(values)
        if cats.is_unique:
            return pd.Categorical.from_codes(index, categories=cats)
        return pd.Categorical(np.where(index >= 0, np.asarray(values, dtype=object)[np.maximum(index, 0)], None))
    codes, uniq = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=True)
    return pd.Categorical.from_codes(codes[index], categories=uniq)


def _concat(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Stack parts whose text columns are categoricals (categories united; absent columns missing)."""
    if len(frames) == 1:
        return frames[0].reset_index(drop=True)
    cols = list(dict.fromkeys(c for f in frames for c in f.columns))
    out = {}
    for c in cols:
        pieces = []
        for f in frames:
            if c in f.columns:
                v = f[c]
                if isinstance(v.dtype, pd.CategoricalDtype):
                    pieces.append(pd.Categorical.from_codes(v.cat.codes.to_numpy(), categories=pd.Index(
                        v.cat.categories.to_numpy(dtype=object), dtype=object)))
                else:
                    pieces.append(v.to_numpy())
            else:
                pieces.append(pd.Categorical.from_codes(np.full(len(f), -1), categories=pd.Index([], dtype=object)))
        if all(isinstance(p, pd.Categorical) for p in pieces):
            out[c] = pd.api.types.union_categoricals(pieces, ignore_order=True)
        else:
            out[c] = np.concatenate([np.asarray(p, dtype=object) if isinstance(p, pd.Categorical) else p
                                     for p in pieces])
    return pd.DataFrame(out)


def _target_cells(t: pd.DataFrame, groups: GroupTable, sel: pd.DataFrame, count: str, offset: int, k: int):  # noqa: ANN202
    """Disclosure cells of the target rows: the persons behind ACHIEVED-based rows."""
    persons = t["persons"].to_numpy(dtype=float)
    has = ~np.isnan(persons)
    idx = np.full(len(t), -1)
    idx[has] = offset + np.arange(int(has.sum()))
    counts = persons[has]
    primary = primary_suppression(counts, min_cell_size=k)
    ach = (t["code"] == "ACHIEVED").to_numpy()
    lists: list[tuple[np.ndarray, list[np.ndarray]]] = []
    total_rows = np.flatnonzero(ach & (t["dim"] == "").to_numpy())
    for dim in pd.unique(t.loc[ach & (t["dim"] != ""), "dim"]):
        if dim == "funding_group_id" or len(total_rows) != 1:
            continue
        parts = np.flatnonzero(ach & (t["dim"] == dim).to_numpy())
        lists.append((idx[total_rows], [idx[parts]]))
    rel_list: list[tuple[int, list[int]]] = []
    for total, (parts,) in lists:
        rel_list.append((int(total[0]), parts.tolist()))
    rel = Relations.from_lists(rel_list)
    # identities with the participant table (participation counting: ACHIEVED = PARTICIPANTS of the group)
    keys = sel["key"].tolist()
    if count == "participation" and "PROG:PARTICIPANTS" in keys:
        i = keys.index("PROG:PARTICIPANTS")
        ind = len(keys)
        labels = groups.labels()
        ident: list[tuple[int, list[int]]] = []
        for r in np.flatnonzero(ach):
            dim, v = t.at[r, "dim"], t.at[r, "group_value"]
            if dim == "":
                g = np.flatnonzero(groups.level == TOTAL_LEVEL)
            elif dim in labels:
                g = np.flatnonzero((groups.level == dim) & (labels[dim] == v))
            else:
                continue
            if len(g) == 1:
                ident.append((int(idx[r]), [int(g[0]) * ind + i]))
        rel = rel.concat(Relations.from_lists(ident))
    # rows derived from ACHIEVED hide with it
    key_cols = t["dim"].astype(str) + "\x1f" + t["group_value"].astype(str)
    ach_cell = pd.Series(idx[ach], index=key_cols[ach].to_numpy())
    derived = np.flatnonzero(has & ~ach)
    req = ach_cell.reindex(key_cols.to_numpy()[derived]).to_numpy()
    ok = ~pd.isna(req)
    return (counts, primary), rel, idx[derived[ok]], req[ok].astype(np.int64), idx


def _target_table(t: pd.DataFrame, supp: np.ndarray, primary: np.ndarray, idx: np.ndarray, tg_sel: pd.DataFrame,
                  scope: str | None) -> pd.DataFrame:
    reg = tg_sel.set_index("key")
    keys = (t["framework"] + ":" + t["code"]).to_numpy()
    has = idx >= 0
    hidden = np.zeros(len(t), dtype=bool)
    hidden[has] = supp[idx[has]]
    prim = np.zeros(len(t), dtype=bool)
    prim[has] = primary[idx[has]]
    out = pd.DataFrame({
        "framework": pd.Categorical(t["framework"].to_numpy(dtype=object)),
        "code": pd.Categorical(t["code"].to_numpy(dtype=object)),
        "label_fr": pd.Categorical(reg.loc[keys, "label_fr"].to_numpy(dtype=object)),
        "label_en": pd.Categorical(reg.loc[keys, "label_en"].to_numpy(dtype=object)),
        "family": pd.Categorical(reg.loc[keys, "family"].to_numpy(dtype=object)),
        "level": pd.Categorical(np.where(t["dim"] == "", TOTAL_LEVEL, t["dim"]).astype(object)),
    })
    for dim in pd.unique(t.loc[t["dim"] != "", "dim"]):
        out[dim] = pd.Categorical(np.where(t["dim"] == dim, t["group_value"].astype(str), None).astype(object))
    is_cpp = (t["code"] == "COST_PER_PARTICIPANT").to_numpy()
    out["numerator"] = np.where(hidden & ~is_cpp, np.nan, t["numerator"])
    out["denominator"] = np.where(hidden & (is_cpp | (t["code"] == "ACHIEVEMENT_RATE").to_numpy()), np.nan,
                                  t["denominator"])
    out["value"] = np.where(hidden, np.nan, t["value"])
    out["ci_lower"] = np.nan
    out["ci_upper"] = np.nan
    out["suppressed"] = hidden
    out["suppression"] = pd.Categorical(np.where(hidden, np.where(prim, "primary", "secondary"), "").astype(object))
    out["unit"] = pd.Categorical(reg.loc[keys, "unit"].to_numpy(dtype=object))
    out["population"] = pd.Categorical(np.where(t["framework"] == "ESF", "operations", "").astype(object))
    out["weighted"] = False
    out["sample_numerator"] = np.nan
    out["sample_denominator"] = np.nan
    out["scope"] = pd.Categorical([scope or ""] * len(t))
    out["note"] = pd.Categorical(t["note"].fillna("").to_numpy(dtype=object))
    return out


def _reconciliation(groups: GroupTable, sel: pd.DataFrame, rows: _Rows, hidden: np.ndarray,
                    part: pd.DataFrame) -> pd.DataFrame:
    """Relations whose parts do not add up to the total, per group; the total row's note says so."""
    keys = sel["key"].tolist()
    kpos = {kk: i for i, kk in enumerate(keys)}
    ind, g_n = len(keys), groups.n_groups
    raw = np.nan_to_num(rows.n_num).reshape(g_n, ind)
    hid = hidden.reshape(g_n, ind)
    group_text = _group_text(part.iloc[np.arange(g_n) * ind], list(groups.dims.names)).to_numpy() if ind else \
        np.full(g_n, "")
    frames = []
    notes = part["note"].to_numpy(dtype=object).copy()
    for relation in relations():
        if relation.total not in kpos or not all(p in kpos for p in relation.parts):
            continue
        it = kpos[relation.total]
        ip = [kpos[p] for p in relation.parts]
        total = raw[:, it]
        parts_sum = raw[:, ip].sum(axis=1)
        gap = total - parts_sum
        withheld = hid[:, [it, *ip]].any(axis=1)
        status = np.where(withheld, "withheld", np.where(np.isclose(gap, 0), "ok", "gap"))
        msg = np.array([
            f"{relation.total} = {t:,.0f} but {' + '.join(relation.parts)} = {s:,.0f} (gap {g:+,.0f}). {relation.note}"
            if st == "gap" else "" for t, s, g, st in zip(total, parts_sum, gap, status, strict=True)], dtype=object)
        frames.append(pd.DataFrame({
            "relation": relation.relation_id, "level": groups.level, "group": group_text,
            "total_key": relation.total, "total": np.where(withheld, np.nan, total),
            "parts": " + ".join(relation.parts), "parts_sum": np.where(withheld, np.nan, parts_sum),
            "gap": np.where(withheld, np.nan, gap), "status": status, "label_en": relation.label_en,
            "label_fr": relation.label_fr, "note": msg}))
        rows_total = np.arange(g_n) * ind + it
        gap_rows = status == "gap"
        notes[rows_total[gap_rows]] = [
            (n + " " if n else "") + f"Parts ({relation.relation_id}) sum to {s:,.0f}: gap {g:+,.0f}."
            for n, s, g in zip(notes[rows_total[gap_rows]], parts_sum[gap_rows], gap[gap_rows], strict=True)]
    part["note"] = notes
    if not frames:
        return pd.DataFrame(columns=_RECON_COLUMNS)
    return pd.concat(frames, ignore_index=True)[_RECON_COLUMNS]

