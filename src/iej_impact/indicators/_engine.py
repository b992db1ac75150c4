"""Aggregation engine of the indicators: breakdown cells, margins, shares with CIs, disclosure wiring.

Counting is vectorised: every row gets one integer cell id (a mixed-radix key over the breakdown
codes); every flag is summed per cell with ``np.bincount``; the margins (all subsets of the breakdown
columns, i.e. the hypercube a publication shows) are sums of the finest cells through one sparse matrix
product per level. Cost: O(rows x flags) once, then O(cells x flags) per level.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse, stats

from ._disclosure import Relations, margin_relations, primary_suppression, secondary_suppression

__all__ = ["Dimensions", "GroupTable", "code_dimensions", "factorize_sorted", "aggregate", "wilson", "weighted_share", "MISSING_LABEL",
           "TOTAL_LEVEL"]

MISSING_LABEL = "(missing)"
TOTAL_LEVEL = "total"


@dataclass(frozen=True)
class Dimensions:
    """Breakdown columns coded as integers (row x dimension) with their labels."""

    names: tuple[str, ...]
    codes: np.ndarray
    labels: tuple[np.ndarray, ...]
    #: the distinct values behind each dimension's labels (without the missing label), in label order
    values: tuple[pd.Series, ...] = ()


def code_dimensions(columns: Sequence[tuple[str, pd.Series]], n: int) -> Dimensions:
    """Factorise each breakdown column of ``n`` rows (sorted labels; missing values -> '(missing)')."""
    names, codes, labels, values = [], [], [], []
    for name, s in columns:
        c, uniq = factorize_sorted(s)
        lab = np.array([str(u) for u in uniq], dtype=object)
        if (c < 0).any():
            c = np.where(c < 0, len(lab), c)
            lab = np.append(lab, MISSING_LABEL)
        names.append(name)
        codes.append(c.astype(np.int64))
        labels.append(lab)
        values.append(pd.Series(uniq))
    arr = np.column_stack(codes) if codes else np.zeros((n, 0), dtype=np.int64)
    return Dimensions(tuple(names), arr, tuple(labels), tuple(values))


def factorize_sorted(s: pd.Series) -> tuple[np.ndarray, object]:
    """Codes (-1 for missing) and the sorted distinct values of a breakdown column (in order of
    appearance when its values cannot be sorted, e.g. numbers mixed with text)."""
    try:
        return pd.factorize(s, sort=True, use_na_sentinel=True)
    except TypeError:  # mixed types that cannot be sorted
        return pd.factorize(s, sort=False, use_na_sentinel=True)


def _keys(codes: np.ndarray) -> np.ndarray:
    """One int64 key per row of a code matrix (codes >= -1), ordered like the rows' lexicographic order."""
    if codes.shape[1] == 0:
        return np.zeros(len(codes), dtype=np.int64)
    shifted = codes + 1
    radix = shifted.max(axis=0) + 1
    if float(np.prod(radix.astype(float))) < 2.0**62:
        strides = np.ones(codes.shape[1], dtype=np.int64)
        for j in range(codes.shape[1] - 2, -1, -1):
            strides[j] = strides[j + 1] * radix[j + 1]
        return shifted @ strides
    frame = pd.DataFrame(shifted)
    return frame.groupby(list(frame.columns), sort=True, observed=True).ngroup().to_numpy(dtype=np.int64)


@dataclass(frozen=True)
class GroupTable:
    """Sums per group of every level (the total first, then margins, then the full breakdown)."""

    dims: Dimensions
    codes: np.ndarray  # groups x dims, -1 = all categories (margin)
    level: np.ndarray  # level name per group ("total", "sex", "sex+entry_quarter", ...)
    sums: Mapping[str, np.ndarray]
    persons: np.ndarray | None

    @property
    def n_groups(self) -> int:
        return len(self.codes)

    def labels(self) -> dict[str, np.ndarray]:
        """Group label per dimension (None where the group is a margin of that dimension)."""
        out = {}
        for j, name in enumerate(self.dims.names):
            lab = np.append(self.dims.labels[j], None)
            out[name] = lab[np.where(self.codes[:, j] < 0, len(lab) - 1, self.codes[:, j])]
        return out


def aggregate(
    dims: Dimensions,
    columns: Mapping[str, np.ndarray],
    *,
    margins: bool,
    person_codes: np.ndarray | None = None,
) -> GroupTable:
    """Sum each column per breakdown cell and per margin level.

    ``margins=True`` gives every subset of the breakdown columns (the total, each column alone, each
    pair, ..., the full cross); ``False`` gives the total and the full cross only. ``person_codes``
    (integer person ids) adds the number of distinct persons per group.
    """
    codes = dims.codes
    n, d = codes.shape
    key = _keys(codes)
    uniq, first, cell_id = np.unique(key, return_index=True, return_inverse=True)
    cell_codes = codes[first]
    n_cells = len(uniq)
    names = list(columns)
    mat = np.empty((n_cells, len(names)), dtype=float)
    for j, name in enumerate(names):
        col = columns[name]
        mat[:, j] = np.bincount(cell_id, weights=col.astype(float, copy=False), minlength=n_cells)
    if d == 0:
        subsets: list[tuple[int, ...]] = [()]
    elif margins:
        subsets = [s for size in range(d + 1) for s in itertools.combinations(range(d), size)]
    else:
        subsets = [(), tuple(range(d))]
    if person_codes is not None:
        # distinct persons per group: persons seen in one cell only are additive (a column of the cell matrix);
        # the others are deduplicated per level with one sort of their (person, group) keys
        pkey = np.sort(person_codes.astype(np.int64) * n_cells + cell_id)
        pkey = pkey[np.concatenate([[True], pkey[1:] != pkey[:-1]])] if len(pkey) else pkey
        pair_person, pair_cell = pkey // n_cells, pkey % n_cells
        starts = np.concatenate([[True], pair_person[1:] != pair_person[:-1]]) if len(pkey) else pkey.astype(bool)
        run = np.cumsum(starts) - 1
        run_len = np.bincount(run)
        multi = run_len[run] > 1
        single_count = np.bincount(pair_cell[~multi], minlength=n_cells).astype(float)
        m_person, m_cell = pair_person[multi], pair_cell[multi]
    all_codes, all_levels, all_sums, all_persons = [], [], [], []
    for s in subsets:
        lc = np.full_like(cell_codes, -1)
        if s:
            lc[:, list(s)] = cell_codes[:, list(s)]
        lk = _keys(lc)
        guniq, gfirst, ginv = np.unique(lk, return_index=True, return_inverse=True)
        m = sparse.csr_matrix((np.ones(n_cells), (ginv, np.arange(n_cells))), shape=(len(guniq), n_cells))
        all_sums.append(m @ mat)
        all_codes.append(lc[gfirst])
        all_levels.append(np.full(len(guniq), "+".join(dims.names[j] for j in s) if s else TOTAL_LEVEL, dtype=object))
        if person_codes is not None:
            n_g = len(guniq)
            g = ginv[m_cell]
            k2 = np.sort(m_person * n_g + g)
            first_k = np.concatenate([[True], k2[1:] != k2[:-1]]) if len(k2) else k2.astype(bool)
            multi_count = np.bincount(k2[first_k] % n_g, minlength=n_g)
            all_persons.append(m @ single_count + multi_count)
    stacked = np.vstack(all_sums)
    return GroupTable(
        dims=dims,
        codes=np.vstack(all_codes) if d else np.zeros((len(stacked), 0), dtype=np.int64),
        level=np.concatenate(all_levels),
        sums={name: stacked[:, j] for j, name in enumerate(names)},
        persons=np.concatenate(all_persons) if person_codes is not None else None,
    )


def wilson(count: np.ndarray, nobs: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Wilson (1927) score interval; equals statsmodels ``proportion_confint(method="wilson")`` (tested).

    NaN where nobs <= 0. Written here so that indicators do not import statsmodels.
    """
    count = np.asarray(count, dtype=float)
    nobs = np.asarray(nobs, dtype=float)
    lo = np.full(count.shape, np.nan)
    hi = np.full(count.shape, np.nan)
    ok = np.isfinite(nobs) & (nobs > 0) & np.isfinite(count)
    if ok.any():
        # p~ = (c + z^2/2) / (n + z^2), half-width z sqrt(c (n - c) / n + z^2 / 4) / (n + z^2)
        c, n = count[ok], nobs[ok]
        z = float(stats.norm.isf(alpha / 2))
        centre = (c + z * z / 2) / (n + z * z)
        half = z * np.sqrt(np.maximum(c * (n - c) / n, 0.0) + z * z / 4) / (n + z * z)
        lo[ok], hi[ok] = np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)
    return lo, hi


def weighted_share(
    n: np.ndarray, w: np.ndarray, w2: np.ndarray, wy: np.ndarray, w2y: np.ndarray, alpha: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Weighted share p = sum(w y) / sum(w) of a binary y with a design-based Wilson interval.

    Variance by linearisation of the ratio, treating the sample as drawn with replacement in one stage
    and the domain size as fixed:  V(p) = n / (n - 1) * sum(w_i^2 (y_i - p)^2) / (sum w_i)^2, computed
    from per-group sums (y binary: sum w^2 (y - p)^2 = (1 - 2p) sum w^2 y + p^2 sum w^2). The interval is
    Wilson's with the effective sample size n_eff = p (1 - p) / V(p) (Kish's (sum w)^2 / sum w^2 when
    p is 0 or 1), as recommended for survey proportions by Kott & Carr (1997) and evaluated by Dean &
    Pagano (2015). Returns (p, ci_lower, ci_upper, n_eff).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(w > 0, wy / w, np.nan)
        ss = (1.0 - 2.0 * p) * w2y + p**2 * w2
        var = np.where(n > 1, n / (n - 1.0) * ss / w**2, np.nan)
        kish = np.where(w2 > 0, w**2 / w2, np.nan)
        n_eff = np.where((var > 0) & (p > 0) & (p < 1), p * (1 - p) / var, kish)
    lo, hi = wilson(p * n_eff, n_eff, alpha)
    return p, lo, hi, n_eff


# ----------------------------------------------------------------------------------------- disclosure


@dataclass(frozen=True)
class Cells:
    """The person counts a publication reveals, and the relations between them."""

    counts: np.ndarray
    primary: np.ndarray
    relations: Relations
    #: (dependent cell, required cell): the dependent is withheld whenever the required one is
    implies: tuple[np.ndarray, np.ndarray]


def protect(cells: Cells) -> tuple[np.ndarray, int]:
    """Primary + secondary suppression, with implications (a share's row hides when its denominator does).

    Returns (withheld cells, relations left with a single withheld cell).
    """
    supp = cells.primary.copy()
    dep, req = cells.implies
    unprotected = 0
    for _ in range(100):
        res = secondary_suppression(cells.counts, supp, cells.relations)
        supp = res.suppressed
        unprotected = len(res.unprotected)
        forced = supp[req] & ~supp[dep]
        if not forced.any():
            break
        supp[dep[forced]] = True
    return supp, unprotected


def primary_share(n: np.ndarray, d: np.ndarray | None, k: int) -> np.ndarray:
    """Primary rule for the numerator of a share (or a count when d is None)."""
    return primary_suppression(n, d, min_cell_size=k)


def group_relations(codes: np.ndarray, n_blocks: int, offset: int = 0) -> Relations:
    """Margin relations of the groups, repeated for ``n_blocks`` blocks of cells laid out group-major
    (cell = offset + group * n_blocks + block)."""
    base = margin_relations(codes)
    if len(base.relation) == 0 or n_blocks == 0:
        return Relations.empty()
    n_rel = int(base.relation.max()) + 1
    blocks = np.arange(n_blocks)
    rel = (base.relation[None, :] + n_rel * blocks[:, None]).ravel()
    cell = (offset + base.cell[None, :] * n_blocks + blocks[:, None]).ravel()
    tot = np.broadcast_to(base.is_total, (n_blocks, len(base.is_total))).ravel()
    return Relations(rel.astype(np.int64), cell.astype(np.int64), tot.copy())
