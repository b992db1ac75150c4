"""Assembly of the indicator table: values per indicator x group, disclosure cells and relations,
suppression, the long output table (categorical text columns) and the reconciliation table.

Cell layout for disclosure control (see :mod:`iej_impact.indicators._disclosure`): the numerator of indicator i in
group g is cell ``g * I + i``; the size of population p in group g is cell ``G * I + g * P + p``; target
rows follow. Relations: margins of every indicator and population over the breakdown groups, the
partitions of ``relations.csv`` within each group, and identities (PARTICIPANTS = population "all",
LEAVERS = population "leavers", FR:MEN in a group = participants of that group with sex M, ACHIEVED of
a group = its PARTICIPANTS). A share's row is withheld when its denominator's cell is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._disclosure import Relations, primary_suppression
from ._engine import (
    TOTAL_LEVEL,
    Cells,
    GroupTable,
    _keys,
    group_relations,
    protect,
    weighted_share,
    wilson,
)
from ._registry import relations

__all__ = ["TABLE_COLUMNS", "participant_rows", "assemble", "row_keys", "group_text"]

#: columns of ``IndicatorTable.table`` (the breakdown columns sit between ``level`` and ``numerator``)
TABLE_COLUMNS = [
    "framework", "code", "label_fr", "label_en", "family", "level", "numerator", "denominator", "value",
    "ci_lower", "ci_upper", "suppressed", "suppression", "unit", "population", "weighted", "sample_numerator",
    "sample_denominator", "scope", "note",
]
RECON_COLUMNS = ["relation", "level", "group", "total_key", "total", "parts", "parts_sum", "gap", "status",
                 "label_en", "label_fr", "note"]


def row_keys(t: pd.DataFrame) -> pd.Series:
    """'FRAMEWORK:CODE' per row of an indicator table."""
    return t["framework"].astype(str) + ":" + t["code"].astype(str)


def group_text(t: pd.DataFrame, cols: Sequence[str]) -> pd.Series:
    parts = [(c + "=" + t[c].astype(object).where(t[c].notna(), "").astype(str)).where(t[c].notna(), "") for c in cols]
    if not parts:
        return pd.Series("", index=t.index)
    joined = parts[0]
    for p in parts[1:]:
        joined = np.where((joined != "") & (p != ""), joined + "; " + p, joined + p)
    return pd.Series(joined, index=t.index)


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


def participant_rows(groups: GroupTable, sel: pd.DataFrame, weighted: bool, alpha: float, k: int,
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


def assemble(groups: GroupTable, rows: _Rows, cells: Cells, sel: pd.DataFrame, target_rows: pd.DataFrame | None,
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
    labels = group_text(part.iloc[np.arange(g_n) * ind], list(groups.dims.names)).to_numpy() if ind else \
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
            "relation": relation.relation_id, "level": groups.level, "group": labels,
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
        return pd.DataFrame(columns=RECON_COLUMNS)
    return pd.concat(frames, ignore_index=True)[RECON_COLUMNS]

