"""Per-cohort sufficient statistics of a balanced panel, computed by a SQL engine.

For the unconditional group-time DiD everything is a function, per cohort c (never-treated units
form one more cohort), of the moments of v_i = [w_i (Y_i - s), w_i, 1] over its units, Y_i the
unit's T outcomes, w_i its weight and s a fixed shift per period (the overall period means, which
keeps the sums of squares well conditioned):

    M_c = sum_{i in c} v_i v_i'    ((T + 2) x (T + 2))

(:func:`collect`). With clustered standard errors the first moments sum_{i in k, c} v_i per cluster
k and cohort c are collected too (:func:`collect_clusters`). Both come from one pass over the
rows each (:mod:`iej_impact.engines._sql`).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._validation import user_stacklevel
from ..errors import DataError, MissingDataWarning, PanelStructureError
from . import _sql
from ._backends import Backend

__all__ = ["CohortMoments", "collect", "collect_clusters"]


@dataclass
class CohortMoments:
    """Moments by cohort (NaN: never treated): n units, sum w, sum w^2, a = sum w y (C x T),
    b = sum w^2 y (C x T), c = sum w^2 y y' (C x T x T), y shifted by ``shift``; and the panel facts."""

    periods: np.ndarray
    shift: np.ndarray
    cohort: np.ndarray
    n: np.ndarray
    sw: np.ndarray
    sww: np.ndarray
    a: np.ndarray
    b: np.ndarray
    c: np.ndarray
    n_rows: int
    n_incomplete_units: int
    rows_missing_outcome: int
    incomplete_treated: int = 0  # incomplete units with a cohort (treated at some point)

    def matrix(self, j: int) -> np.ndarray:
        """M_c of cohort j: the moments of [w (Y - s), w, 1]."""
        n_t = len(self.periods)
        m = np.empty((n_t + 2, n_t + 2))
        m[:n_t, :n_t] = self.c[j]
        m[:n_t, n_t] = m[n_t, :n_t] = self.b[j]
        m[:n_t, n_t + 1] = m[n_t + 1, :n_t] = self.a[j]
        m[n_t, n_t] = self.sww[j]
        m[n_t, n_t + 1] = m[n_t + 1, n_t] = self.sw[j]
        m[n_t + 1, n_t + 1] = self.n[j]
        return m

    def merge(self, groups: list[np.ndarray]) -> CohortMoments:
        """Moments of the unions of cohorts listed in ``groups`` (positions), labelled by the first."""
        def summed(x: np.ndarray) -> np.ndarray:
            return np.stack([x[g].sum(axis=0) for g in groups])

        return CohortMoments(self.periods, self.shift, np.array([self.cohort[g[0]] for g in groups]),
                             summed(self.n), summed(self.sw), summed(self.sww), summed(self.a), summed(self.b),
                             summed(self.c), self.n_rows, self.n_incomplete_units, self.rows_missing_outcome)


def _periods(backend: Backend, base: str, func: str, unit: str, time: str, weights: str | None
             ) -> tuple[np.ndarray, np.ndarray, int, int]:
    per = backend.query(_sql.period_summary(base))
    if per.empty:
        raise DataError(f"{func}(): the panel has no rows with a period in '{time}'.", column=time)
    if int(per["n_unit_missing"].sum()):
        raise DataError(f"{func}(): column '{unit}' is missing in {int(per['n_unit_missing'].sum())} rows.",
                        column=unit)
    if weights is not None and int(per["n_bad_weight"].sum()):
        raise DataError(f"{func}(): weights column '{weights}' must be > 0 (and present); "
                        f"{int(per['n_bad_weight'].sum())} rows are not.", column=weights)
    per = per[per["n_y"] > 0]
    return (per["t"].to_numpy(dtype=float), per["mean_y"].to_numpy(dtype=float), int(per["n_rows"].sum()),
            int((per["n_rows"] - per["n_y"]).sum()))


def collect(backend: Backend, base: str, *, func: str, unit: str, time: str, outcome: str, cohort: str,
            weights: str | None, unbalanced: str) -> CohortMoments:
    """Run the two reductions and check the panel: balanced (or ``unbalanced='drop'``), cohort and weight
    constant within unit."""
    periods, shift, n_rows, missing = _periods(backend, base, func, unit, time, weights)
    n_t = len(periods)
    frame = backend.query(_sql.cohort_moments(base, periods, shift))
    if int(frame["n_g_varies"].sum()):
        raise PanelStructureError(f"{func}(): cohort column '{cohort}' varies within {int(frame['n_g_varies'].sum())} "
                                  "units; the first treatment period must be constant within unit.", column=cohort)
    if weights is not None and int(frame["n_w_varies"].sum()):
        raise DataError(f"{func}(): weights column '{weights}' varies within {int(frame['n_w_varies'].sum())} units; "
                        "panel weights must be constant within unit.", column=weights)
    incomplete = int(frame.loc[frame["complete"] == 0, "n"].sum())
    if missing:
        warnings.warn(f"{func}(): {missing} rows have a missing outcome '{outcome}'.", MissingDataWarning,
                      stacklevel=user_stacklevel())
    if incomplete and unbalanced != "drop":
        raise PanelStructureError(
            f"{func}(): {incomplete} units are not observed exactly once with an outcome in each of the {n_t} periods "
            f"(unbalanced panel, missing outcomes or duplicated (unit, period) rows). The engine path needs a balanced "
            "panel: pass unbalanced='drop' to drop those units, or use the in-memory att_gt(), whose unbalanced-panel "
            "estimators use every observation.", column=unit)
    if incomplete and not int(frame.loc[frame["complete"] == 1, "n"].sum()):
        raise PanelStructureError(
            f"{func}(): none of the {incomplete} units is observed exactly once with an outcome in each of the {n_t} "
            "periods, so unbalanced='drop' leaves no unit (a panel observed in a window around each unit's entry is "
            "unbalanced by design). Use a balanced panel or the in-memory att_gt(), whose unbalanced-panel "
            "estimators use every observation.", column=unit)
    if incomplete:
        warnings.warn(f"{func}(): {incomplete} units are not observed in every period and are dropped "
                      "(unbalanced='drop').", MissingDataWarning, stacklevel=user_stacklevel())
    frame["g"] = frame["g"].astype(float)
    incomplete_treated = int(frame.loc[(frame["complete"] == 0) & frame["g"].notna(), "n"].sum())
    frame = frame[frame["complete"] == 1].copy()
    frame = frame.sort_values("g", na_position="last").reset_index(drop=True)
    pairs = [(j, m) for j in range(n_t) for m in range(j, n_t)]
    c = np.zeros((len(frame), n_t, n_t))
    for j, m in pairs:
        c[:, j, m] = c[:, m, j] = frame[f"c_{j}_{m}"].to_numpy(dtype=float)
    return CohortMoments(
        periods, shift, frame["g"].to_numpy(dtype=float), frame["n"].to_numpy(dtype=float),
        frame["sw"].to_numpy(dtype=float), frame["sww"].to_numpy(dtype=float),
        frame[[f"a_{j}" for j in range(n_t)]].to_numpy(dtype=float),
        frame[[f"b_{j}" for j in range(n_t)]].to_numpy(dtype=float), c, n_rows, incomplete, missing,
        incomplete_treated)


def collect_clusters(backend: Backend, base: str, mom: CohortMoments, n_keys: int, cluster_cols: Sequence[str],
                     func: str) -> pd.DataFrame:
    """Per (cluster, cohort) among the complete units: n, sum w and sum w (y - s) (columns a_j), keys k0..."""
    frame = backend.query(_sql.cluster_moments(base, mom.periods, mom.shift, n_keys))
    if int(frame["n_k_varies"].sum()):
        raise DataError(f"{func}(): cluster column(s) {list(cluster_cols)} vary within unit; clusters must contain "
                        "whole units.", column=cluster_cols[0])
    keys = [f"k{j}" for j in range(n_keys)]
    if frame[keys].isna().any(axis=None):
        raise DataError(f"{func}(): cluster column(s) {list(cluster_cols)} have missing values.",
                        column=cluster_cols[0])
    frame["g"] = frame["g"].astype(float)
    return frame
