"""Indicators computed by partitions of persons, then merged: how the counting scales out.

Every indicator is a sum over participations of a per-row flag, or a count of distinct persons, per
breakdown group; every rule that looks across rows (duplicates, the person-level choice of
``count="person"``) looks within one person's rows. So the participations can be split into
partitions that never split a person, each partition reduced to its group sums by the same code
(:func:`partial_indicators`: the rules of :mod:`~iej_impact.indicators._rules`, then
:func:`~iej_impact.indicators._engine.aggregate`), and the partitions' sums added
(:func:`merge_partials`): the result is the one of the whole table, up to the order of
floating-point additions of survey weights. :func:`iej_impact.programme_indicators` is the case of one
partition; :func:`iej_impact.engines.indicators_engine` reads the partitions from DuckDB or Spark.

What the merge has to reconcile, because a partition sees only its rows:

* breakdown labels: each partition codes the values it has; the merged codes come from the sorted
  union of the values, as one table would code them;
* notes and warnings that count rows (:mod:`~iej_impact.indicators._messages`): counts are summed;
* survey weights: a partition whose followed-up leavers all lack a weight reads as unweighted; the
  merge raises the whole table's error when another partition has weights for its leavers, and reads
  the run as unweighted when no partition has any;
* a partition where nobody entered by the reference date contributes its note only.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from ..errors import DataError
from ._costs import entered_counts
from ._engine import MISSING_LABEL, Dimensions, GroupTable, aggregate, code_dimensions, factorize_sorted
from ._exit_rules import missing_weights_error, weighted_note
from ._messages import Counted, Message, merge_messages, render
from ._rule_columns import RuleOptions, where_of
from ._rules import NothingEntered, Prepared, prepare

__all__ = ["Partitions", "Request", "Partial", "Merged", "partial_indicators", "merge_partials"]

_WEIGHT_SUMS = ("w|", "w2|", "wy|", "w2y|")


class Partitions(ABC):
    """Participations read as partitions of persons (each person's rows in one partition); the engines
    implement it (:func:`iej_impact.engines.indicators_engine`)."""

    #: an empty frame with the participations' columns (for the checks of the arguments)
    schema: pd.DataFrame
    #: what the messages name as the data's source (a file, a table)
    source: str | None = None

    @abstractmethod
    def partials(self, compute: Callable[[pd.DataFrame], Partial]) -> list[Partial]:
        """``compute`` applied to each partition (as a pandas DataFrame in the source's row order)."""


@dataclass(frozen=True)
class Request:
    """What every partition computes (set by :func:`iej_impact.programme_indicators`)."""

    opts: RuleOptions
    by: tuple[str, ...]
    period: str | None
    by_sex: bool
    margins: bool
    count: str
    person_rule: str | None
    selected: pd.DataFrame
    explicit: bool
    targets: bool


@dataclass
class Partial:
    """One partition's contribution: its group sums with the labels of its own breakdown values."""

    rows: int
    notes: list[Message]
    warnings: list[tuple[type[Warning], Counted]] = field(default_factory=list)
    names: tuple[str, ...] = ()
    labels: tuple[np.ndarray, ...] = ()
    values: tuple[pd.Series, ...] = ()
    codes: np.ndarray | None = None
    level: np.ndarray | None = None
    sums: dict[str, np.ndarray] = field(default_factory=dict)
    persons: np.ndarray | None = None
    coverage: pd.DataFrame | None = None
    selection: pd.DataFrame | None = None
    skipped: pd.DataFrame | None = None
    weighted: bool = False
    followup: Counted | None = None
    entered: pd.Series | None = None
    dropped: int = 0


@dataclass
class Merged:
    """The partitions added up: what :func:`iej_impact.programme_indicators` turns into its table."""

    groups: GroupTable
    selection: pd.DataFrame
    skipped: pd.DataFrame
    coverage: pd.DataFrame
    notes: list[str]
    warnings: list[tuple[type[Warning], str]]
    weighted: bool
    entered: pd.Series | None
    dropped: int


def partial_indicators(data: pd.DataFrame, request: Request) -> Partial:
    """Check one partition of the participations (never splitting a person) and sum its flags per group."""
    try:
        prep = prepare(data, request.opts)
    except NothingEntered as exc:
        return Partial(rows=0, notes=exc.notes)
    dropped = 0
    if request.count == "person":
        prep, dropped = _person_level(prep, request.person_rule, request.opts.reference_date)
    dims = _dimensions(prep, request.by, request.period, request.by_sex)
    selection, skipped = _available(request.selected, prep, request.explicit, request.opts.func)
    weighted = prep.weight is not None
    columns, need_persons = _sum_columns(selection, prep, weighted)
    person_codes = pd.factorize(prep.frame["person_id"])[0].astype(np.int64) if need_persons else None
    groups = aggregate(dims, columns, margins=request.margins, person_codes=person_codes)
    followup = prep.flags.get("followup6m")
    return Partial(
        rows=prep.n, notes=prep.notes, warnings=prep.warnings, names=dims.names, labels=dims.labels,
        values=dims.values, codes=groups.codes, level=groups.level, sums=dict(groups.sums), persons=groups.persons,
        coverage=prep.coverage, selection=selection, skipped=skipped, weighted=weighted,
        followup=None if followup is None else Counted.of("{rows}", prep.frame, followup),
        entered=entered_counts(prep.frame, request.opts.func) if request.targets else None, dropped=dropped,
    )


def merge_partials(parts: Sequence[Partial], request: Request) -> Merged:
    """Add the partitions' sums up (see the module docstring for what is reconciled)."""
    opts = request.opts
    full = [p for p in parts if p.rows > 0]
    if not full:
        raise DataError(f"{where_of(opts)}: no participation entered on or before the reference date.",
                        source=opts.source)
    full = _reconcile_weights(full, opts)
    first = full[0]
    groups = _merge_groups(full)
    notes = render(merge_messages([p.notes for p in parts if p.rows == 0] + [p.notes for p in full]))
    category = {m.template: cat for p in full for cat, m in p.warnings}
    warned = merge_messages([[m for _, m in p.warnings] for p in full])
    warnings_ = [(category[m.template], m.text()) for m in warned if isinstance(m, Counted)]
    coverage = pd.concat([p.coverage for p in full], ignore_index=True)
    if len(full) > 1:
        coverage = coverage.groupby(["column", "population"], sort=False, as_index=False)[["rows", "missing"]].sum()
        with np.errstate(divide="ignore", invalid="ignore"):
            coverage["share_missing"] = np.where(coverage["rows"] > 0, coverage["missing"] / coverage["rows"], np.nan)
    entered = None
    if request.targets:
        entered = pd.concat([p.entered for p in full])
        if len(full) > 1:
            entered = entered.groupby(level=0, sort=False).sum().sort_values(ascending=False, kind="stable")
    return Merged(groups=groups, selection=first.selection, skipped=first.skipped, coverage=coverage, notes=notes,
                  warnings=warnings_, weighted=first.weighted, entered=entered, dropped=sum(p.dropped for p in full))


def _reconcile_weights(parts: list[Partial], opts: RuleOptions) -> list[Partial]:
    """The partitions on one weighting: weighted if any followed-up leaver has a weight (then all must)."""
    has_followup = [p.followup is not None and p.followup.n > 0 for p in parts]
    unweighted = [p for p, f in zip(parts, has_followup, strict=True) if f and not p.weighted]
    weighted = [p for p, f in zip(parts, has_followup, strict=True) if f and p.weighted]
    wcol = opts.weights
    if not unweighted or wcol is None or all(not p.weighted for p in parts):
        return parts
    if weighted:  # leavers without a weight here, with weights elsewhere: the whole table's error
        rows = merge_messages([[p.followup] for p in unweighted if p.followup is not None])[0]
        assert isinstance(rows, Counted)
        raise missing_weights_error(where_of(opts), wcol, rows, opts.source)
    # nobody with a weight: partitions without followed-up leavers drop their (zero) weight sums and note
    note = weighted_note(wcol)
    out = []
    for p in parts:
        if p.weighted:
            p = replace(p, weighted=False, notes=[m for m in p.notes if m != note],
                        sums={k: v for k, v in p.sums.items() if not k.startswith(_WEIGHT_SUMS)})
        out.append(p)
    return out


def _merge_groups(parts: list[Partial]) -> GroupTable:
    """One GroupTable from the partitions': labels recoded on the union of their values, sums added."""
    names = parts[0].names
    labels, recode = [], [[] for _ in parts]
    for j in range(len(names)):
        values = pd.concat([p.values[j] for p in parts], ignore_index=True) if len(parts) > 1 else parts[0].values[j]
        _, uniq = factorize_sorted(values)
        lab = np.array([str(u) for u in uniq], dtype=object)
        missing = any(len(p.labels[j]) > len(p.values[j]) for p in parts)
        index = pd.Index(uniq)
        for i, p in enumerate(parts):
            local = index.get_indexer(pd.Index(p.values[j]))
            recode[i].append(np.append(local, len(lab)) if len(p.labels[j]) > len(p.values[j]) else local)
        labels.append(np.append(lab, MISSING_LABEL) if missing else lab)
    level_names = list(dict.fromkeys(name for p in parts for name in p.level))
    rows = []
    for i, p in enumerate(parts):
        codes = p.codes.copy()
        for j in range(len(names)):
            m = codes[:, j] >= 0
            codes[m, j] = recode[i][j][codes[m, j]]
        level_ix = pd.Index(level_names).get_indexer(p.level)
        rows.append(np.column_stack([level_ix, codes + 1]))
    keys, inverse = np.unique(np.vstack(rows), axis=0, return_inverse=True)
    inverse = inverse.ravel()
    n = len(keys)
    sums = {name: np.bincount(inverse, weights=np.concatenate([p.sums[name] for p in parts]), minlength=n)
            for name in parts[0].sums}
    persons = None
    if parts[0].persons is not None:
        persons = np.bincount(inverse, weights=np.concatenate([p.persons for p in parts]), minlength=n)
    dims = Dimensions(names, np.zeros((0, len(names)), dtype=np.int64), tuple(labels))
    level = np.array(level_names, dtype=object)[keys[:, 0]]
    return GroupTable(dims=dims, codes=keys[:, 1:] - 1, level=level, sums=sums, persons=persons)


# ------------------------------------------------------------------------------- per-partition helpers


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
        name = f"entry_{period}"  # not also a 'by' column: checked by programme_indicators
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


def _available(sel: pd.DataFrame, prep: Prepared, explicit: bool, func: str) -> tuple[pd.DataFrame, pd.DataFrame]:
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
        raise DataError(f"{func}(): the requested indicators cannot be computed from these data: {listed}.")
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
