"""The month-by-month simulation of the synthetic cohort's outcomes (one pass over event times).

For each event time e the pass computes p0 and p1 of both panel outcomes for every person (the
outcome model, :mod:`._outcome_model`), realises y_d = 1{U < p_d} with ONE uniform per person-month
shared by both potential outcomes, and records what the tables and the truth need: the observed
panel, ``emp_months_pre12``, the potential outcomes at e = 6/12/18, the register state the month
after exit and 6 months after exit, and the true ATT(g, t).

Assumptions: U_it = Phi(eps_it) with eps a stationary Gaussian AR(1) per person and outcome
(rho = 0.6), anchored at e = 0 and run forwards and backwards (a stationary AR(1) is reversible);
the employment and training chains are independent. The core event times e = -12..18 are drawn
first and in a fixed order, so ``persons`` and the truth do not depend on the panel settings.
Loops run over months, never over persons.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit, ndtr

from ._calendar import FIRST_ENTRY_PERIOD, LAST_ENTRY_PERIOD
from ._outcome_model import _OUTCOME_MODEL, _OUTCOME_SOURCE, PANEL_OUTCOMES, _logits

#: event times simulated whatever the panel settings (emp_months_pre12 and the outcomes need them)
_CORE = (-12, 18)


@dataclass
class _Latent:
    """Person-level arrays of the outcome model (all persons; participants first)."""

    treated: np.ndarray
    g: np.ndarray  # entry (participants) or pseudo-entry (comparison) period
    index: dict[str, np.ndarray]
    h: dict[str, np.ndarray]


def _event_window(panel: str, months_before: int, months_after: int
                  ) -> tuple[tuple[int, int], tuple[int, int], tuple[str, int, int]]:
    """What the monthly pass covers: the event times to simulate (the core e = -12..18 and the
    panel's), the calendar span of ATT(g, t) and the rule selecting its cells (by event time for
    the window panel, by calendar period for the balanced one)."""
    gt_span = (FIRST_ENTRY_PERIOD - months_before, LAST_ENTRY_PERIOD + months_after)
    if panel == "balanced":
        e_range = (min(_CORE[0], gt_span[0] - LAST_ENTRY_PERIOD), max(_CORE[1], gt_span[1] - FIRST_ENTRY_PERIOD))
        return e_range, gt_span, ("calendar", gt_span[0], gt_span[1])
    e_range = (min(_CORE[0], -months_before), max(_CORE[1], months_after))
    return e_range, gt_span, ("event", -months_before, months_after)


def _simulate_months(
    lat: _Latent,
    rngs: tuple[np.random.Generator, np.random.Generator, np.random.Generator],
    *,
    e_range: tuple[int, int],
    gt_rule: tuple[str, int, int],
    gt_span: tuple[int, int],
    panel: str,
    exit_k: np.ndarray,
) -> dict[str, Any]:
    """Simulate p0, p1 and the realised y0, y1 month by month and record what the tables need.

    The uniforms are U_it = Phi(eps_it) with eps an AR(1) Gaussian chain per person and outcome,
    anchored at event time 0 and run forwards and backwards (a stationary AR(1) is reversible).
    Draws for event times in the core window come from ``core`` in a fixed order, draws outside it
    from ``fwd`` / ``bwd``, so the core (hence ``persons``) does not depend on the panel settings.
    """
    r_core, r_fwd, r_bwd = rngs
    n = lat.treated.size
    n1 = exit_k.size
    treated_b = lat.treated.astype(bool)
    kinds = PANEL_OUTCOMES
    rho = np.array([[_OUTCOME_MODEL[k]["ar1_rho"]] for k in kinds])
    shock_sd = np.sqrt(1.0 - rho**2)
    out: dict[str, Any] = {
        "emp_pre12": np.zeros(n, dtype=np.int64),
        "po": {},
        "exit_next": {k: np.zeros(n1, dtype=np.int8) for k in kinds},
        "exit_6m": {k: np.zeros(n1, dtype=np.int8) for k in kinds},
    }
    wanted = {(src, e): o for o, (src, e) in _OUTCOME_SOURCE.items()}
    cohorts = LAST_ENTRY_PERIOD - FIRST_ENTRY_PERIOD + 1
    width = gt_span[1] - gt_span[0] + 1
    gt_sum = {k: np.zeros(cohorts * width) for k in kinds}
    gt_n = np.zeros(cohorts * width, dtype=np.int64)
    g1 = lat.g[treated_b]
    rule, lo, hi = gt_rule
    if panel == "window":
        store = {k: np.zeros((hi - lo + 1, n), dtype=np.int8) for k in kinds}
    elif panel == "balanced":
        store = {k: np.zeros((width, n), dtype=np.int8) for k in kinds}
    else:
        store = {}
    out["store"] = store

    def step(e: int, eps: np.ndarray) -> None:
        u = ndtr(eps)
        gt_mask = None
        if rule == "event":
            in_gt = lo <= e <= hi
        else:
            t1 = g1 + e
            gt_mask = (t1 >= gt_span[0]) & (t1 <= gt_span[1])
            in_gt = bool(gt_mask.any())
        if in_gt:
            flat = (g1 - FIRST_ENTRY_PERIOD) * width + (g1 + e - gt_span[0])
            sel = np.ones(g1.size, dtype=bool) if gt_mask is None else gt_mask
            gt_n[:] += np.bincount(flat[sel], minlength=cohorts * width)
        at_next, at_6m = exit_k + 1 == e, exit_k + 6 == e
        for j, kind in enumerate(kinds):
            l0, l1 = _logits(kind, lat.index[kind], lat.treated, lat.h[kind], lat.g, e)
            p0 = expit(l0)
            p1 = expit(l1) if e >= 0 else p0
            y0 = u[j] < p0
            y1 = u[j] < p1 if e >= 0 else y0
            yobs = np.where(treated_b, y1, y0).astype(np.int8)
            if kind == "employed" and -12 <= e <= -1:
                out["emp_pre12"] += yobs
            name = wanted.get((kind, e))
            if name is not None:
                out["po"][name] = (p0, p1, y0.astype(np.int8), y1.astype(np.int8))
            out["exit_next"][kind][at_next] = yobs[:n1][at_next]
            out["exit_6m"][kind][at_6m] = yobs[:n1][at_6m]
            if in_gt:
                diff = (p1 - p0)[treated_b]
                gt_sum[kind] += np.bincount(flat[sel], weights=diff[sel], minlength=cohorts * width)
            if panel == "window" and lo <= e <= hi:
                store[kind][e - lo] = yobs
            elif panel == "balanced":
                t = lat.g + e
                ok = (t >= gt_span[0]) & (t <= gt_span[1])
                store[kind][t[ok] - gt_span[0], np.flatnonzero(ok)] = yobs[ok]

    e_lo, e_hi = e_range
    eps = r_core.standard_normal((2, n))
    anchor = eps.copy()
    step(0, eps)
    for e in range(1, e_hi + 1):
        z = (r_core if e <= _CORE[1] else r_fwd).standard_normal((2, n))
        eps = rho * eps + shock_sd * z
        step(e, eps)
    eps = anchor
    for e in range(-1, e_lo - 1, -1):
        z = (r_core if e >= _CORE[0] else r_bwd).standard_normal((2, n))
        eps = rho * eps + shock_sd * z
        step(e, eps)

    out["group_time"] = _group_time_table(gt_sum, gt_n, gt_span)
    out["gt_sum"], out["gt_n"] = gt_sum, gt_n  # additive over disjoint sets of persons (the chunked writer)
    return out


def _group_time_table(gt_sum: dict[str, np.ndarray], gt_n: np.ndarray, gt_span: tuple[int, int]) -> pd.DataFrame:
    """True ATT(g, t) of each panel outcome: the sums of p1 - p0 over cohort g at period t, divided by
    the cohort's size, for every observed (g, t) (flat index (g - 13) * width + (t - gt_span[0]))."""
    cohorts = LAST_ENTRY_PERIOD - FIRST_ENTRY_PERIOD + 1
    width = gt_span[1] - gt_span[0] + 1
    g_grid = np.repeat(np.arange(FIRST_ENTRY_PERIOD, LAST_ENTRY_PERIOD + 1), width)
    t_grid = np.tile(np.arange(gt_span[0], gt_span[1] + 1), cohorts)
    keep = gt_n > 0
    rows = []
    for kind, total in gt_sum.items():
        rows.append(pd.DataFrame({
            "outcome": kind,
            "group": g_grid[keep].astype(np.int64),
            "time": t_grid[keep].astype(np.int64),
            "event_time": (t_grid - g_grid)[keep].astype(np.int64),
            "att": total[keep] / gt_n[keep],
            "n": gt_n[keep].astype(np.int64),
        }))
    return pd.concat(rows, ignore_index=True)
