"""Targets, achievement and programmed costs per operation and per group, plus the ESF entity indicators.

Definitions (operations table: docs/reference/data-model.md#operations):

* **Target** ``target_participants``: programmed participations of an operation; null = "nc" (not
  communicated). Targets count participations, not persons.
* **Achieved**: participations entered in the operation (on or before the reference date).
* **Cost unit**: an operation, or a *funding group* (``funding_group_id``: one envelope shared by many
  operators, e.g. the 2015 POR apprenticeship call of 41 operators, 25.03 M EUR / 19 000 youths). The
  envelope's amount and target are the sums of the non-null amounts and targets of its rows (give them
  once, on any row of the group). Costs of a shared envelope exist only at group level: per-operation
  costs are null, with a note.
* **Cost per target participant** (the definition of the 2015 NPdC evaluation report): sum(amount) / sum(target)
  over the cost units of a group that have a known, non-zero target. Units with an "nc" or zero target
  raise :class:`CostDenominatorError` unless ``missing_targets="report"``, which leaves them out of the
  cost and *lists* them in the row's note (never guesses a target).
* **Cost per participant entered**: sum(amount) / sum(achieved) over units with a known amount.
* **Achievement rate**: sum(achieved) / sum(target) over units with a known target (may exceed 1).
* Groups: each column of ``target_by`` separately (operation, funding group, action type, operator
  type, programme...). A shared envelope whose operations fall in several groups of a column is not
  split: it is reported in the group "(mixed)".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._validation import describe_rows, example_rows
from ..data import _datamodel as datamodel
from ..data._parsing import parse_number
from ..errors import CostDenominatorError, DataError, DuplicateParticipationError, UnknownCodeError
from ._registry import operator_types

__all__ = ["TargetTables", "targets_and_costs", "DEFAULT_TARGET_BY", "MIXED"]

DEFAULT_TARGET_BY: tuple[str, ...] = (
    "operation_id", "funding_group_id", "action_type", "operator_type", "stage", "programme",
)
MIXED = "(mixed)"
_CODED = {"operator_type": "operator_type", "action_type": "action_type", "programme": "programme", "stage": "stage",
          "managing_authority": "managing_authority"}


@dataclass(frozen=True)
class TargetTables:
    """Long rows (one per indicator x group) for targets/costs and for the entity indicators."""

    rows: pd.DataFrame
    notes: tuple[str, ...]


def _where(func: str, source: str | None) -> str:
    return f"{func}() [{source or 'operations'}]"


def _number(ops: pd.DataFrame, col: str, where: str) -> tuple[np.ndarray, np.ndarray]:
    """(values, is_nc) of an amount/target column given as numbers or French text ("1 298 429 €", "nc")."""
    parsed = parse_number(ops[col], style="fr", column=col, source=where)
    return parsed.values.to_numpy(dtype=float), parsed.is_nc.to_numpy(dtype=bool)


def _check_operations(ops: pd.DataFrame, where: str) -> None:
    if "operation_id" not in ops.columns:
        raise DataError(f"{where}: the operations table needs an operation_id column.", column="operation_id")
    if ops["operation_id"].isna().any():
        mask = ops["operation_id"].isna().to_numpy()
        raise DataError(f"{where}: operation_id is empty in {describe_rows(ops, mask)}.", column="operation_id")
    dup = ops["operation_id"].duplicated(keep=False).to_numpy()
    if dup.any():
        ids = pd.unique(ops.loc[dup, "operation_id"])[:5].tolist()
        raise DuplicateParticipationError(f"{where}: operation_id is not unique ({int(dup.sum())} rows share "
                                          f"{len(pd.unique(ops.loc[dup, 'operation_id']))} ids, e.g. {ids}).",
                                          column="operation_id", rows=ids)
    for col, listname in _CODED.items():
        if col not in ops.columns:
            continue
        allowed = list(datamodel.codes(listname))
        s = ops[col]
        bad = s.notna().to_numpy() & ~s.isin(allowed).to_numpy()
        if bad.any():
            counts = s[bad].astype(str).value_counts()
            shown = ", ".join(f"{v!r} ({n})" for v, n in counts.head(10).items())
            raise UnknownCodeError(
                f"{where}: column '{col}' has values not in the '{listname}' code list: {shown} (operation_id "
                f"{', '.join(map(str, ops.loc[bad, 'operation_id'].head(5)))}). Allowed: {', '.join(allowed)}. "
                f"Map them when loading (codes: {{{col}: {{raw: CODE}}}}; e.g. the alias table maps 'Appprentissage').",
                column=col, rows=ops.loc[bad, "operation_id"].head(5).tolist())


def targets_and_costs(
    operations: pd.DataFrame,
    entered: pd.Series,
    *,
    target_by: Sequence[str] | None,
    missing_targets: str,
    func: str,
    source: str | None = None,
) -> TargetTables:
    """Target, achievement, amount and cost rows, and ESF CO20-CO23, for each group of ``target_by``.

    ``entered`` counts the participations entered by the reference date per operation_id (as text;
    :func:`entered_counts`).
    """
    where = _where(func, source)
    ops = operations.reset_index(drop=True)
    _check_operations(ops, where)
    ops = ops.assign(operation_id=ops["operation_id"].astype(str))
    known = set(ops["operation_id"])
    orphan = ~entered.index.isin(known)
    if orphan.any():
        counts = entered[orphan]
        shown = ", ".join(f"{v!r} ({n} participations)" for v, n in counts.head(10).items())
        raise UnknownCodeError(f"{func}(): participations refer to operations missing from the operations table: "
                               f"{shown}. Add those operations (or correct operation_id).", column="operation_id",
                               rows=counts.index[:5].tolist())
    achieved = entered.reindex(ops["operation_id"], fill_value=0).to_numpy(dtype=float)

    if "amount_fse_iej" in ops.columns:
        amount, _ = _number(ops, "amount_fse_iej", where)
    else:
        amount = np.full(len(ops), np.nan)
    if "target_participants" in ops.columns:
        target, target_nc = _number(ops, "target_participants", where)
    else:
        target, target_nc = np.full(len(ops), np.nan), np.zeros(len(ops), dtype=bool)
    neg = (amount < 0) | (target < 0)
    if neg.any():
        raise CostDenominatorError(f"{where}: negative amount_fse_iej or target_participants in "
                                   f"{describe_rows(ops, neg)} (operation_id {', '.join(ops.loc[neg, 'operation_id'][:5])}).",
                                   rows=ops.loc[neg, "operation_id"][:5].tolist())
    group = ops["funding_group_id"].astype("string") if "funding_group_id" in ops.columns else pd.Series(
        pd.NA, index=ops.index, dtype="string")
    shared = group.notna().to_numpy()
    lone_no_amount = np.isnan(amount) & ~shared & ("amount_fse_iej" in ops.columns)
    if lone_no_amount.any():
        raise CostDenominatorError(f"{where}: amount_fse_iej is empty for operations outside any funding group "
                                   f"(operation_id {', '.join(ops.loc[lone_no_amount, 'operation_id'][:5])}); an "
                                   "amount may be missing only when funding_group_id names the shared envelope.",
                                   column="amount_fse_iej", rows=ops.loc[lone_no_amount, "operation_id"][:5].tolist())

    # cost units: standalone operations and funding groups
    unit_id = np.where(shared, "group:" + group.fillna("").to_numpy(dtype=object), "op:" + ops["operation_id"].to_numpy(dtype=object))
    frame = pd.DataFrame({"unit": unit_id, "amount": amount, "target": target, "achieved": achieved,
                          "has_amount": ~np.isnan(amount), "has_target": ~np.isnan(target)})
    units = frame.groupby("unit", sort=False, observed=True).agg(
        amount=("amount", "sum"), target=("target", "sum"), achieved=("achieved", "sum"),
        has_amount=("has_amount", "any"), has_target=("has_target", "any"))
    units.loc[~units["has_amount"], "amount"] = np.nan
    units.loc[~units["has_target"], "target"] = np.nan
    units["label"] = [u.split(":", 1)[1] for u in units.index]
    units["kind"] = ["funding group" if u.startswith("group:") else "operation" for u in units.index]
    bad_target = (units["target"].isna() | (units["target"] == 0)) & units["amount"].fillna(0).gt(0)
    notes: list[str] = []
    if bad_target.any():
        listed = ", ".join(f"{k} {lab} ({'nc' if np.isnan(t) else 'target 0'}, {a:,.0f} EUR)" for k, lab, t, a in zip(
            units.loc[bad_target, "kind"], units.loc[bad_target, "label"], units.loc[bad_target, "target"],
            units.loc[bad_target, "amount"], strict=True))
        if missing_targets == "error":
            raise CostDenominatorError(
                f"{where}: the cost per target participant needs a known, non-zero target, but "
                f"{int(bad_target.sum())} cost unit(s) have none: {listed}. Fill target_participants, group the "
                "operations of a shared envelope with funding_group_id, or pass missing_targets='report' to list "
                "them as 'nc' and leave them out of the cost per target (it is never guessed).",
                column="target_participants", rows=units.loc[bad_target, "label"].head(5).tolist())
        notes.append(f"Targets 'nc' or 0 left out of costs per target and achievement rates: {listed}.")

    # dimension values per unit (MIXED when a shared envelope spans several values)
    dims = _target_dims(ops, target_by, func)
    rows: list[pd.DataFrame] = []
    for dim in dims:
        if dim == "operation_id":
            per_op = pd.DataFrame({"value": ops["operation_id"], "amount": np.where(shared, np.nan, amount),
                                   "target": target, "achieved": achieved})
            agg = _aggregate(per_op, "value")
            shared_note = "shared envelope: costs at funding_group_id " + group.fillna("").to_numpy(dtype=object)
            lone_note = np.where(np.isnan(target) | target_nc, "target nc", np.where(target == 0, "target 0", ""))
            note = pd.Series(np.where(shared, shared_note, lone_note), index=ops["operation_id"].to_numpy())
            agg["note"] = note.reindex(agg.index).to_numpy(dtype=object)
            rows.append(_long(agg, dim))
            continue
        values = ops[dim].astype("string").fillna("(missing)")
        per_unit = pd.DataFrame({"unit": unit_id, "v": values}).groupby("unit", sort=False, observed=True)["v"].agg(
            lambda s: s.iloc[0] if s.nunique() == 1 else MIXED)
        u = units.assign(value=per_unit.reindex(units.index).to_numpy())
        agg = _aggregate(u, "value")
        agg["note"] = _nc_notes(u, "value", agg.index)
        if dim == "funding_group_id":
            agg = agg.drop(index="(missing)", errors="ignore")
        rows.append(_long(agg, dim))
    total = _aggregate(units.assign(value="__total__"), "value")
    total["note"] = _nc_notes(units.assign(value="__total__"), "value", total.index)
    rows.append(_long(total, None))
    rows.extend(_entity_rows(ops, dims))
    out = pd.concat(rows, ignore_index=True)
    return TargetTables(out, tuple(notes))


def _target_dims(ops: pd.DataFrame, target_by: Sequence[str] | None, func: str) -> list[str]:
    if target_by is None:
        return [d for d in DEFAULT_TARGET_BY if d in ops.columns]
    missing = [d for d in target_by if d not in ops.columns]
    if missing:
        raise DataError(f"{func}(): target_by column(s) {missing} not found in the operations table (columns: "
                        f"{', '.join(map(str, ops.columns))}).", column=missing[0])
    return list(dict.fromkeys(target_by))


def _aggregate(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    f = frame.assign(
        amount_known=frame["amount"].notna(), target_ok=frame["target"].fillna(0) > 0,
    )
    f["amount_t"] = np.where(f["target_ok"] & f["amount_known"], f["amount"], 0.0)
    f["target_t"] = np.where(f["target_ok"] & f["amount_known"], f["target"], 0.0)
    f["target_r"] = np.where(f["target_ok"], f["target"], 0.0)
    f["achieved_r"] = np.where(f["target_ok"], f["achieved"], 0.0)
    f["amount_a"] = np.where(f["amount_known"], f["amount"], 0.0)
    f["achieved_a"] = np.where(f["amount_known"], f["achieved"], 0.0)
    g = f.groupby(by, sort=True, observed=True).agg(
        target=("target_r", "sum"), any_target=("target_ok", "any"), achieved=("achieved", "sum"),
        achieved_r=("achieved_r", "sum"), amount=("amount_a", "sum"), any_amount=("amount_known", "any"),
        amount_t=("amount_t", "sum"), target_t=("target_t", "sum"), achieved_a=("achieved_a", "sum"))
    g.loc[~g["any_target"], "target"] = np.nan
    g.loc[~g["any_amount"], "amount"] = np.nan
    return g


def _nc_notes(units: pd.DataFrame, by: str, index: pd.Index) -> list[str]:
    bad = units[(units["target"].isna() | (units["target"] == 0)) & units["amount"].fillna(0).gt(0)]
    notes = {}
    for value, sub in bad.groupby(by, observed=True):
        notes[value] = (f"{len(sub)} cost unit(s) with target nc or 0 left out of cost per target and achievement "
                        f"rate ({sub['amount'].sum():,.0f} EUR): " + ", ".join(sub["label"].astype(str).head(10)))
    return [notes.get(v, "") for v in index]


def _long(agg: pd.DataFrame, dim: str | None) -> pd.DataFrame:
    """One row per (group, indicator) with numerator / denominator / value."""
    with np.errstate(divide="ignore", invalid="ignore"):
        specs = [
            ("TARGET", agg["target"], np.nan, agg["target"]),
            ("ACHIEVED", agg["achieved"], np.nan, agg["achieved"]),
            ("ACHIEVEMENT_RATE", agg["achieved_r"].where(agg["target"].notna()), agg["target"],
             agg["achieved_r"] / agg["target"]),
            ("AMOUNT", agg["amount"], np.nan, agg["amount"]),
            ("COST_PER_TARGET", agg["amount_t"].where(agg["target_t"] > 0), agg["target_t"].where(agg["target_t"] > 0),
             np.where(agg["target_t"] > 0, agg["amount_t"] / agg["target_t"], np.nan)),
            ("COST_PER_PARTICIPANT", agg["amount"], agg["achieved_a"],
             np.where(agg["achieved_a"] > 0, agg["amount"] / agg["achieved_a"], np.nan)),
        ]
    parts = []
    group_notes = agg["note"].to_numpy(dtype=object) if "note" in agg.columns else np.full(len(agg), "", dtype=object)
    for code, num, den, val in specs:
        # target notes ("nc", shared envelope) go on the rows they affect
        notes = group_notes if code in ("TARGET", "ACHIEVEMENT_RATE", "COST_PER_TARGET", "AMOUNT") or dim == \
            "operation_id" else np.full(len(agg), "", dtype=object)
        part = pd.DataFrame({
            "framework": "PROG", "code": code, "dim": dim or "", "group_value": agg.index.astype(str),
            "numerator": np.asarray(num, dtype=float),
            "denominator": np.broadcast_to(np.asarray(den, dtype=float), len(agg)).copy(),
            "value": np.asarray(val, dtype=float), "note": notes,
            # persons behind the row (for disclosure control): ACHIEVED-based rows
            "persons": np.asarray(agg["achieved"] if code in ("ACHIEVED", "COST_PER_PARTICIPANT") else
                                  (agg["achieved_r"] if code == "ACHIEVEMENT_RATE" else np.full(len(agg), np.nan)),
                                  dtype=float),
        })
        if code == "COST_PER_PARTICIPANT":
            part.loc[agg["achieved_a"].to_numpy() == 0, "note"] = "no participant entered"
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def _entity_rows(ops: pd.DataFrame, dims: Sequence[str]) -> list[pd.DataFrame]:
    """ESF CO20-CO23 (operation counts) overall and per group of each non-operation dimension."""
    flags: dict[str, np.ndarray] = {}
    if "ngo_or_social_partner" in ops.columns:
        flags["CO20"] = ops["ngo_or_social_partner"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    elif "operator_type" in ops.columns:
        flags["CO20"] = ops["operator_type"].map(operator_types()).astype("boolean").fillna(False).to_numpy(dtype=bool)
    for col, code in (("targets_women", "CO21"), ("targets_public_admin", "CO22")):
        if col in ops.columns:
            flags[code] = ops[col].astype("boolean").fillna(False).to_numpy(dtype=bool)
    smes = pd.to_numeric(ops["smes_supported"], errors="coerce").fillna(0).to_numpy() if "smes_supported" in \
        ops.columns else None
    out = []
    for dim in [None, *[d for d in dims if d not in ("operation_id", "funding_group_id")]]:
        value = ops[dim].astype("string").fillna("(missing)") if dim else pd.Series("__total__", index=ops.index)
        n_ops = value.value_counts().sort_index()
        for code, flag in flags.items():
            num = pd.Series(flag.astype(float), index=ops.index).groupby(value.to_numpy()).sum().reindex(n_ops.index)
            out.append(pd.DataFrame({"framework": "ESF", "code": code, "dim": dim or "", "group_value": n_ops.index,
                                     "numerator": num.to_numpy(), "denominator": n_ops.to_numpy(dtype=float),
                                     "value": num.to_numpy() / n_ops.to_numpy(), "note": "", "persons": np.nan}))
        if smes is not None:
            num = pd.Series(smes, index=ops.index).groupby(value.to_numpy()).sum().reindex(n_ops.index)
            out.append(pd.DataFrame({"framework": "ESF", "code": "CO23", "dim": dim or "", "group_value": n_ops.index,
                                     "numerator": num.to_numpy(), "denominator": np.nan, "value": num.to_numpy(),
                                     "note": "", "persons": np.nan}))
    return out


def entered_counts(frame: pd.DataFrame, func: str) -> pd.Series:
    """Participations per operation_id (as text, most frequent first), required with an operations table."""
    if "operation_id" not in frame.columns:
        raise DataError(f"{func}(): an operations table was given but the participations have no operation_id "
                        "column to link them.", column="operation_id")
    s = frame["operation_id"]
    if s.isna().any():
        mask = s.isna().to_numpy()
        raise DataError(f"{func}(): operation_id is empty in {describe_rows(frame, mask)}.", column="operation_id",
                        rows=example_rows(frame, mask))
    return s.astype(str).value_counts()
