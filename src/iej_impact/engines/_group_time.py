"""Group-time ATTs and their influence-function covariance from per-cohort moments (numpy).

Without covariates, the Callaway & Sant'Anna (2021) ATT(g, t) of a balanced panel is the
difference between cohort g and its comparison group of the (weighted) mean change
dY = Y_t - Y_b, and the influence function of unit i in cohort c is linear in
v_i = [w_i (Y_i - s), w_i, 1]:

    psi_i = n w_i (dY_i - m_1) / W_1   (i in g),   - n w_i (dY_i - m_0) / W_0   (i a comparison unit),

0 otherwise (W: sums of weights, m: weighted mean changes), i.e. psi_i = L_c v_i with one row of
L_c per cell. The aggregations also need the cohort-share columns h_ig = w_i 1{c_i = g} - P(G = g),
also linear in v_i. So the Gram matrix of all these columns over the units is

    F'F = sum_c L_c M_c L_c',    M_c = sum_{i in c} v_i v_i',

which the engine computes (:mod:`iej_impact.engines._moments`). A factor R with R'R = F'F (an
eigen-decomposition, rescaled to the number of its rows) stands in for the n unit rows: it gives
the same standard errors, Wald tests and aggregated influence functions as the unit rows would
(:class:`iej_impact.diff_in_diff._aggregate.CompressedUnits`). With clustered standard errors the
rows are instead the exact cluster sums sum_{i in k} psi_i = sum_c L_c sum_{i in k, c} v_i.

Reference: Callaway, B. and Sant'Anna, P. H. C. (2021). Difference-in-differences with multiple
time periods. Journal of Econometrics 225(2), 200-230 (the unconditional estimator, eq. 2.5/2.6).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._validation import user_stacklevel
from ..data._panel import check_design
from ..diff_in_diff._aggregate import level_value
from ..diff_in_diff._staggered import group_time_specs
from ..errors import EstimationError, MissingDataWarning
from ._moments import CohortMoments

__all__ = ["GroupTimeCells", "prepare", "estimate_cells", "pseudo_rows", "gram_rows", "cluster_rows"]


@dataclass
class Prepared:
    """Moments of the kept cohorts (never-treated merged, always-treated dropped) on the kept periods."""

    mom: CohortMoments
    keep_t: np.ndarray  # positions of the kept periods among ``mom.periods`` before restriction
    groups_of: list[np.ndarray]  # positions (in the original moments) merged into each kept cohort
    notes: list[str]
    sizes: pd.DataFrame
    original_cohorts: np.ndarray  # the cohort labels of the moments before merging


def prepare(mom: CohortMoments, *, control_group: str, anticipation: int, cohort: str, func: str) -> Prepared:
    """The cohort and period handling of the in-memory ``att_gt`` on the cohort moments."""
    periods = mom.periods
    notes: list[str] = []
    g = mom.cohort.copy()
    late = ~np.isnan(g) & (g > periods[-1])
    if late.any():
        notes.append(f"{int(mom.n[late].sum())} units first treated after the last period ({periods[-1]:g}) count "
                     "as never treated.")
    g_in = g.copy()
    g[late] = np.nan
    check_design(g, periods, control_group=control_group, anticipation=anticipation,
                 units=np.array([f"cohort {level_value(v)}" if np.isfinite(v) else "never" for v in g]), func=func,
                 cohort=cohort)
    always = ~np.isnan(g) & (g <= periods[0])
    if always.any():
        warnings.warn(f"{func}(): {int(mom.n[always].sum())} units are treated in or before the first period "
                      f"({periods[0]:g}) and are dropped.", MissingDataWarning, stacklevel=user_stacklevel())
        notes.append(f"{int(mom.n[always].sum())} always-treated units (first treated at or before {periods[0]:g}) "
                     "dropped.")
    never_pos = np.flatnonzero(np.isnan(g) & ~always)
    groups = [np.array([j]) for j in np.flatnonzero(~np.isnan(g) & ~always)]
    if never_pos.size:
        groups.append(never_pos)
    keep_t = np.arange(len(periods))
    if control_group == "not_yet_treated" and not never_pos.size:
        gmax = np.nanmax(g[~always])
        keep_t = np.flatnonzero(periods < gmax - anticipation)
        notes.append(f"No never-treated unit: periods from {gmax - anticipation:g} on are dropped and the last "
                     f"cohort ({gmax:g}) serves only as a comparison group.")
    merged = mom.merge(groups)
    merged.cohort = np.where(np.array([never_pos.size > 0 and k == len(groups) - 1 for k in range(len(groups))]),
                             np.nan, merged.cohort)
    kept = CohortMoments(periods[keep_t], mom.shift[keep_t], merged.cohort, merged.n, merged.sw, merged.sww,
                         merged.a[:, keep_t], merged.b[:, keep_t], merged.c[:, keep_t][:, :, keep_t], mom.n_rows,
                         mom.n_incomplete_units, mom.rows_missing_outcome)
    n_in = int(mom.n.sum()) + mom.n_incomplete_units
    n_used = int(kept.n.sum())
    sizes = pd.DataFrame({"units": [n_in, n_used], "rows": [mom.n_rows, n_used * len(keep_t)],
                          "treated_units": [int(mom.n[~np.isnan(g_in)].sum()) + mom.incomplete_treated,
                                            int(kept.n[~np.isnan(kept.cohort)].sum())],
                          "never_treated_units": [n_in - int(mom.n[~np.isnan(g_in)].sum()) - mom.incomplete_treated,
                                                  int(kept.n[np.isnan(kept.cohort)].sum())]},
                         index=pd.Index(["input", "used"], name="sample"))
    return Prepared(kept, keep_t, groups, notes, sizes, mom.cohort)


@dataclass
class GroupTimeCells:
    """The cells: their table columns, and L (cohorts x (cells + groups) x (T + 2)), the linear maps of v_i."""

    table: dict[str, Any]
    maps: np.ndarray
    groups: np.ndarray
    group_share: np.ndarray
    group_units: np.ndarray
    n_units: int
    problems: list[str] = field(default_factory=list)


def _specs(mom: CohortMoments, control_group: str, anticipation: int, base_period: str, func: str
           ) -> tuple[list[tuple[float, int, int, bool, bool, Any]], np.ndarray]:
    """The cells (g, current, base, post, reference, comparison threshold) as the in-memory att_gt forms them."""
    specs, glist, _ = group_time_specs(mom.periods, mom.cohort, control_group=control_group,
                                       anticipation=anticipation, base_period=base_period)
    if not specs:
        raise EstimationError(f"{func}(): no group-time ATT could be formed (check the cohorts and periods).")
    return specs, glist


def estimate_cells(mom: CohortMoments, *, control_group: str, anticipation: int, base_period: str,
                   func: str) -> GroupTimeCells:
    """ATT(g, t), cell sizes and the linear maps L_c of the influence functions and share columns."""
    specs, glist = _specs(mom, control_group, anticipation, base_period, func)
    periods, cohort = mom.periods, mom.cohort
    n_c, n_t, k = len(cohort), len(periods), len(specs)
    never = np.isnan(cohort)
    n = float(mom.n.sum())
    maps = np.zeros((n_c, k + len(glist), n_t + 2))
    est = np.full(k, np.nan)
    n_treat = np.zeros(k, dtype=np.int64)
    n_ctrl = np.zeros(k, dtype=np.int64)
    problems = []
    for j, (g, cur, pre, _, ref, thr) in enumerate(specs):
        treated = cohort == g
        if ref:
            est[j], n_treat[j] = 0.0, int(mom.n[treated].sum())
            continue
        control = never if thr is None else never | ((cohort > thr) & ~treated)
        n_treat[j], n_ctrl[j] = int(mom.n[treated].sum()), int(mom.n[control].sum())
        if n_treat[j] == 0 or n_ctrl[j] == 0:
            problems.append(f"ATT({g:g},{periods[cur]:g}): no treated or no comparison unit")
            continue
        change = mom.a[:, cur] - mom.a[:, pre]
        w1, w0 = mom.sw[treated].sum(), mom.sw[control].sum()
        m1, m0 = change[treated].sum() / w1, change[control].sum() / w0
        est[j] = m1 - m0
        for rows, scale, mean in ((treated, n / w1, m1), (control, -n / w0, m0)):
            maps[rows, j, cur] += scale
            maps[rows, j, pre] -= scale
            maps[rows, j, n_t] = -scale * mean
    group_share = np.array([mom.sw[cohort == g].sum() / n for g in glist])
    for gi, g in enumerate(glist):
        maps[cohort == g, k + gi, n_t] = 1.0
        maps[:, k + gi, n_t + 1] = -group_share[gi]
    if problems:
        warnings.warn(f"{func}(): {len(problems)} group-time cells could not be estimated and are left missing: "
                      + "; ".join(problems[:5]) + ("; ..." if len(problems) > 5 else "") + ".", MissingDataWarning,
                      stacklevel=user_stacklevel())
    table = {"group": [level_value(sp[0]) for sp in specs], "time": [level_value(periods[sp[1]]) for sp in specs],
             "event_time": [level_value(periods[sp[1]] - sp[0]) for sp in specs],
             "base_period": [level_value(periods[sp[2]]) for sp in specs], "post": np.array([sp[3] for sp in specs]),
             "estimate": est, "n_treated": n_treat, "n_control": n_ctrl}
    return GroupTimeCells(table, maps, glist.astype(float), group_share,
                          np.array([mom.n[cohort == g].sum() for g in glist]), int(n), problems)


def pseudo_rows(cells: GroupTimeCells, mom: CohortMoments) -> np.ndarray:
    """Rows R (m x columns), scaled by m / n, with R'R (n/m)^2 = sum_c L_c M_c L_c' (the unit rows' Gram matrix)."""
    gram = sum(cells.maps[c] @ mom.matrix(c) @ cells.maps[c].T for c in range(len(mom.cohort)))
    return gram_rows(gram, cells.n_units)


def gram_rows(gram: np.ndarray, n_units: int) -> np.ndarray:
    """Rows R (m x columns), scaled by m / n, whose R'R (n/m)^2 is ``gram`` (the n unit rows' Gram matrix)."""
    gram = (gram + gram.T) / 2
    scale = np.sqrt(np.clip(np.diag(gram), 0.0, None))
    scale[scale == 0] = 1.0
    lam, vec = np.linalg.eigh(gram / np.outer(scale, scale))
    keep = lam > 0
    rows = (np.sqrt(lam[keep])[:, None] * vec[:, keep].T) * scale[None, :]
    return rows * (rows.shape[0] / n_units)


def cluster_rows(cells: GroupTimeCells, frame: pd.DataFrame, prepared: Prepared, n_keys: int) -> np.ndarray:
    """Cluster sums of the unit rows, scaled by K / n (K clusters): sum_c L_c sum_{i in k, c} v_i."""
    keys = [f"k{j}" for j in range(n_keys)]
    cohort_of = _cohort_positions(frame["g"].to_numpy(dtype=float), prepared)
    frame = frame[cohort_of >= 0]
    cohort_of = cohort_of[cohort_of >= 0]
    codes = frame.groupby(keys, sort=True, observed=True).ngroup().to_numpy()
    a = frame[[f"a_{j}" for j in prepared.keep_t]].to_numpy(dtype=float)
    v = np.column_stack([a, frame["sw"].to_numpy(dtype=float), frame["n"].to_numpy(dtype=float)])
    out = np.zeros((int(codes.max()) + 1, cells.maps.shape[1]))
    for c in range(cells.maps.shape[0]):
        sel = cohort_of == c
        if sel.any():
            np.add.at(out, codes[sel], v[sel] @ cells.maps[c].T)
    return out * (out.shape[0] / cells.n_units)


def _cohort_positions(g: np.ndarray, prepared: Prepared) -> np.ndarray:
    """Kept-cohort position of each row's cohort label (-1: a dropped, always-treated cohort)."""
    out = np.full(len(g), -1)
    for kept, members in enumerate(prepared.groups_of):
        for m in members:
            label = prepared.original_cohorts[m]
            out[(np.isnan(g) & np.isnan(label)) | (g == label)] = kept
    return out
