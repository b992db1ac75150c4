"""Shared pieces of the heterogeneity-robust event studies (imputation, Sun-Abraham): the cohort panel and the result.

:func:`cohort_panel` checks and codes a long panel with a cohort column (first treatment period;
missing or the declared ``never_treated`` value for never-treated units; cohorts after the last period
are never treated within the panel), dropping always-treated units (entered at or before the first
period), which neither estimator can use. :class:`EventTimeResult` is the
:class:`~iej_impact.diff_in_diff.AggregateResult` of the dynamic kind these estimators return, so the
runner, the tables and the report treat them like ``att_gt(...).aggregate("dynamic")``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._validation import check_columns, check_dataframe, describe_rows, example_rows
from ..data._numeric_text import check_numeric
from ..data._panel import check_panel
from ..errors import DataError
from ..inference import normal_ci
from ._aggregate import AggregateResult, level_value

__all__ = ["CohortPanel", "EventTimeResult", "by_rows", "cohort_panel"]


@dataclass(frozen=True)
class EventTimeResult(AggregateResult):
    """An event study robust to heterogeneous effects: the overall ATT and one row per event time (``by``).

    A dynamic :class:`~iej_impact.diff_in_diff.AggregateResult` (``kind="dynamic"``, column ``event_time``)
    with ``detail``: the estimator's finer table (cohort x event-time coefficients for ``sun_abraham``,
    cohort x event-time average imputed effects for ``imputation_did``). Rows with ``post`` False are
    leads (pre-trend estimates); ``pretrend_test()`` is the estimator's joint test of them.
    """

    detail: pd.DataFrame = field(default_factory=pd.DataFrame, compare=False)

    def plot_event_study(self, ax: Any = None, *, language: str = "en") -> Any:
        """The event-time estimates with CIs (the same drawing as :meth:`plot`); returns the Axes."""
        return self.plot(ax, language=language)


@dataclass(frozen=True)
class CohortPanel:
    """A checked long panel: codes and values per row, and the rows kept (always-treated units dropped)."""

    keep: np.ndarray  # rows of ``data`` used
    y: np.ndarray
    unit: np.ndarray  # unit code 0..N-1 (of the kept rows)
    time: np.ndarray  # period value
    cohort: np.ndarray  # first treatment period; NaN: never treated
    x: np.ndarray  # covariates (rows x k)
    clusters: np.ndarray  # cluster code per kept row
    n_units: int
    notes: tuple[str, ...] = ()

    @property
    def event_time(self) -> np.ndarray:
        return self.time - self.cohort


def cohort_panel(data: pd.DataFrame, func: str, *, outcome: str, unit: str, time: str, cohort: str,
                 covariates: Sequence[str], cluster_cols: Sequence[str], never_treated: float | None) -> CohortPanel:
    """Check and code the panel (DataError naming rows when a column is wrong); see the module docstring."""
    from ..inference import cluster_codes

    check_dataframe(data, func)
    check_columns(data, list(dict.fromkeys([outcome, unit, time, cohort, *covariates, *cluster_cols])), func)
    y = check_numeric(data, outcome, func)
    tv = check_numeric(data, time, func)
    g = pd.to_numeric(data[cohort], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = np.isnan(g) & data[cohort].notna().to_numpy()
    if bad.any():
        raise DataError(f"{func}(): cohort column '{cohort}' must be numeric periods; see {describe_rows(data, bad)}.",
                        column=cohort, rows=example_rows(data, bad))
    if never_treated is not None:
        g = np.where(g == float(never_treated), np.nan, g)
    elif np.any(g == 0) and tv.min() > 0:
        mask = g == 0
        raise DataError(f"{func}(): cohort column '{cohort}' is 0 in {describe_rows(data, mask)}, before the panel "
                        "starts; never-treated units are coded as missing: pass never_treated=0 if 0 means never "
                        "treated.", column=cohort, rows=example_rows(data, mask))
    g = np.where(g > tv.max(), np.nan, g)
    check_panel(data.assign(__g=g), unit=unit, time=time, cohort="__g", func=func)
    e = tv - g
    if np.any(np.abs(e[~np.isnan(e)] - np.round(e[~np.isnan(e)])) > 1e-9):
        raise DataError(f"{func}(): event times {time} - {cohort} must be whole numbers of periods.", column=cohort)
    x = np.column_stack([check_numeric(data, c, func) for c in covariates]) if covariates else np.zeros((len(data), 0))
    always = g <= tv.min()
    notes = ()
    if always.any():
        n_always = int(pd.Series(data[unit].to_numpy()[always]).nunique())
        notes = (f"{n_always} always-treated unit(s) (cohort at or before the first period {level_value(tv.min())}) "
                 "dropped: they have no untreated period.",)
    keep = ~always
    ucode, uids = pd.factorize(data[unit].to_numpy()[keep], sort=True)
    clusters = (cluster_codes(data.loc[keep], list(cluster_cols), func) if cluster_cols
                else ucode.astype(np.int64))
    return CohortPanel(keep=keep, y=y[keep], unit=ucode.astype(np.int64), time=tv[keep], cohort=g[keep], x=x[keep],
                       clusters=np.asarray(clusters, dtype=np.int64), n_units=len(uids), notes=notes)


def by_rows(levels: Sequence[float], estimates: Sequence[float], ses: Sequence[float], n_obs: Sequence[int],
            alpha: float, **extra: Sequence[Any]) -> pd.DataFrame:
    """The ``by`` table of an event-time result: one row per event time with pointwise normal CIs."""
    rows = []
    for j, (lev, est, s, n) in enumerate(zip(levels, estimates, ses, n_obs, strict=True)):
        a, b, p = normal_ci(float(est), float(s), alpha) if np.isfinite(s) else (np.nan, np.nan, np.nan)
        rows.append({"event_time": level_value(lev), "estimate": float(est), "std_error": float(s), "p_value": p,
                     "ci_lower": a, "ci_upper": b, "band_lower": np.nan, "band_upper": np.nan, "n_obs": int(n),
                     "post": lev >= 0, **{k: v[j] for k, v in extra.items()}})
    return pd.DataFrame(rows).sort_values("event_time").reset_index(drop=True)
