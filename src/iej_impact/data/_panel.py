"""Person x period panels for the DiD estimators: structure checks and the first treatment period.

The panel estimators (:func:`~iej_impact.diff_in_diff._twfe.twfe`, :func:`~iej_impact.diff_in_diff._event_study.event_study`,
:func:`~iej_impact.diff_in_diff._staggered.att_gt`) call :func:`check_panel` first. It raises
:class:`~iej_impact.errors.PanelStructureError` for

* duplicate (unit, period) rows,
* a first-treatment period (cohort) that varies within a unit,
* and, through :func:`check_design`, cohorts with no pre-treatment period or a design with no
  comparison group (neither never-treated nor not-yet-treated units).

Each message names the column, counts the offending units and lists example ids.

The cohort of a unit is its first treatment period, missing (NaN) for never-treated units:
:func:`cohort_from_treatment` derives it from a 0/1 treatment-status column, and
:func:`period_from_dates` turns entry dates into the integer period numbers of a monthly,
quarterly or yearly panel (the synthetic cohort counts months from 2013-01 = 1).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._validation import check_choice, check_columns, describe_rows, example_rows, user_stacklevel
from ..errors import DataError, MissingDataWarning, PanelStructureError, SpecificationError
from ._numeric_text import check_numeric

__all__ = ["check_panel", "check_design", "cohort_from_treatment", "period_from_dates", "StaggeredPanel",
           "prepare_staggered"]

_FREQ_MONTHS = {"M": 1, "Q": 3, "Y": 12}


def _ids_text(values: Sequence[object], k: int = 5) -> str:
    shown = [str(v.item() if isinstance(v, np.generic) else v) for v in list(values)[:k]]
    return ", ".join(shown) + (", ..." if len(values) > k else "")


def check_panel(data: pd.DataFrame, *, unit: str, time: str, cohort: str | None = None,
                func: str = "check_panel") -> None:
    """Raise PanelStructureError for duplicate (unit, time) rows or a cohort varying within unit.

    Parameters
    ----------
    data : long panel, one row per unit and period.
    unit, time : id and period columns (no missing values).
    cohort : optional first-treatment-period column (NaN = never treated); it must be constant
        within each unit (NaN counts as a value: a unit cannot be both never and sometimes treated).
    func : name of the calling function, used in messages.
    """
    check_columns(data, [unit, time] + ([cohort] if cohort else []), func)
    for col in (unit, time):
        miss = data[col].isna().to_numpy()
        if miss.any():
            raise DataError(f"{func}(): column '{col}' is missing in {describe_rows(data, miss)}; every row needs "
                            f"a {('unit id' if col == unit else 'period')}.", column=col, rows=example_rows(data, miss))
    dup = data.duplicated([unit, time], keep=False).to_numpy()
    if dup.any():
        units = pd.unique(data.loc[dup, unit])
        raise PanelStructureError(
            f"{func}(): {int(dup.sum())} rows share a ({unit}, {time}) pair with another row, in {len(units)} unit(s) "
            f"(e.g. {unit} {_ids_text(units)}). A panel has one row per unit and period: aggregate or deduplicate "
            "them first.", column=time, rows=list(units[:5]))
    if cohort is not None:
        codes = pd.factorize(data[unit])[0]
        values = pd.to_numeric(data[cohort], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        filled = np.where(np.isnan(values), np.inf, values)
        frame = pd.DataFrame({"u": codes, "c": filled})
        varying = frame.groupby("u", sort=False, observed=True)["c"].nunique() > 1
        if varying.any():
            bad_codes = varying.index[varying.to_numpy()].to_numpy()
            mask = np.isin(codes, bad_codes)
            units = pd.unique(data.loc[mask, unit])
            raise PanelStructureError(
                f"{func}(): the first treatment period '{cohort}' varies within {len(units)} unit(s) of '{unit}' "
                f"(e.g. {unit} {_ids_text(units)}). It must be one value per unit (missing for never-treated "
                "units); derive it with cohort_from_treatment() or fix the data.", column=cohort, rows=list(units[:5]))


def check_design(cohort_unit: np.ndarray, periods: np.ndarray, *, control_group: str, anticipation: int,
                 units: np.ndarray, func: str, cohort: str) -> None:
    """Raise PanelStructureError when no cohort has a pre-period or there is no comparison group.

    ``cohort_unit`` holds one first treatment period per unit (NaN = never treated), ``periods``
    the sorted periods of the panel.
    """
    first = periods[0]
    treated = ~np.isnan(cohort_unit)
    usable = treated & (cohort_unit > first + anticipation) & (cohort_unit <= periods[-1])
    if treated.any() and not usable.any():
        ids = units[treated]
        raise PanelStructureError(
            f"{func}(): no cohort has a pre-treatment period: every treated unit is first treated at or before "
            f"the first period {first!r} + anticipation {anticipation} (e.g. {_ids_text(ids)}). DiD needs periods "
            f"observed before treatment; extend the panel backwards or check '{cohort}'.", column=cohort,
            rows=list(ids[:5]))
    if not treated.any():
        raise PanelStructureError(
            f"{func}(): column '{cohort}' is missing for every unit, so no unit is ever treated. Code the first "
            "treatment period of treated units (and leave it missing for never-treated ones).", column=cohort)
    never = np.isnan(cohort_unit) | (cohort_unit > periods[-1])
    if control_group == "never_treated" and not never.any():
        n_cohorts = np.unique(cohort_unit[usable]).size
        hint = ("use control_group='not_yet_treated' to compare with cohorts treated later"
                if n_cohorts > 1 else "add never-treated comparison units")
        raise PanelStructureError(
            f"{func}(): there is no never-treated unit (every unit has a first treatment period in '{cohort}' "
            f"within the panel), so control_group='never_treated' has no comparison group; {hint}.", column=cohort)
    if control_group == "not_yet_treated" and not never.any() and np.unique(cohort_unit[usable]).size < 2:
        raise PanelStructureError(
            f"{func}(): all treated units start at the same period and there is no never-treated unit: there is "
            "no comparison group (neither never- nor not-yet-treated). Add comparison units.", column=cohort)


def cohort_from_treatment(data: pd.DataFrame, *, unit: str, time: str, treatment: str,
                          func: str = "cohort_from_treatment") -> pd.Series:
    """First period in which each unit's 0/1 ``treatment`` is 1, repeated on every row (NaN if never).

    Staggered adoption needs absorbing treatment (once treated, treated in every later period);
    a unit whose status goes back to 0 raises PanelStructureError naming it. The result is
    aligned with ``data``'s index, so ``data.assign(cohort=cohort_from_treatment(...))`` works.
    """
    check_panel(data, unit=unit, time=time, func=func)
    check_columns(data, [treatment], func)
    status = data[treatment]
    if status.isna().any() or not status.isin([0, 1, True, False]).all():
        bad = status.isna() | ~status.isin([0, 1, True, False])
        raise DataError(f"{func}(): column '{treatment}' must be 0/1 with no missing value; see "
                        f"{describe_rows(data, bad)}.", column=treatment, rows=example_rows(data, bad))
    frame = pd.DataFrame({"u": pd.factorize(data[unit])[0], "t": data[time].to_numpy(),
                          "d": status.to_numpy(dtype=float)})
    first = frame.loc[frame["d"] == 1].groupby("u", observed=True)["t"].min()
    start = frame["u"].map(first)
    reverted = (frame["d"] == 0) & (frame["t"] > start)
    if reverted.any():
        units = pd.unique(data.loc[reverted.to_numpy(), unit])
        raise PanelStructureError(
            f"{func}(): '{treatment}' returns to 0 after the first treated period for {len(units)} unit(s) "
            f"(e.g. {unit} {_ids_text(units)}); staggered-adoption estimators need treatment that stays on. "
            "Code the first entry as the cohort, or study exits separately.", column=treatment, rows=list(units[:5]))
    return pd.Series(start.to_numpy(dtype=float), index=data.index, name="cohort")


def period_from_dates(dates: pd.Series | Sequence[object], *, origin: str | pd.Timestamp, freq: str = "M",
                      func: str = "period_from_dates") -> pd.Series:
    """Integer period numbers of dates: the period containing ``origin`` is 1 (missing dates stay missing).

    ``freq`` "M" (months), "Q" (blocks of 3 months) or "Y" (blocks of 12 months), counted from the
    month of ``origin``; dates before it get periods <= 0. With ``origin="2013-01-01"`` and ``freq="M"``,
    2013-01-15 is period 1 and 2014-01-02 is period 13, the synthetic cohort's calendar. Use it to
    turn programme entry dates into the cohort (first treatment period) of a monthly panel.
    """
    check_choice("freq", freq, tuple(_FREQ_MONTHS), func)
    values = pd.Series(dates) if not isinstance(dates, pd.Series) else dates
    parsed = pd.to_datetime(values, errors="coerce")
    bad = parsed.isna() & values.notna()
    if bad.any():
        raise DataError(f"{func}(): {int(bad.sum())} values are not dates (e.g. "
                        f"{_ids_text(pd.unique(values[bad]))}); parse them first (ISO yyyy-mm-dd).")
    try:
        start = pd.Timestamp(origin)
    except (TypeError, ValueError):
        raise SpecificationError(f"the 'origin' parameter of {func}() must be a date; got {origin!r}.") from None
    months = (parsed.dt.year - start.year) * 12 + (parsed.dt.month - start.month)
    step = _FREQ_MONTHS[freq]
    out = np.floor(months.to_numpy(dtype=float, na_value=np.nan) / step) + 1
    return pd.Series(out, index=values.index, name="period")


@dataclass
class StaggeredPanel:
    """A long panel prepared for att_gt: one row per unit of unit-level facts, outcomes wide when balanced."""

    unit_ids: np.ndarray
    cohort_unit: np.ndarray
    w_unit: np.ndarray
    clusters: np.ndarray | None
    periods: np.ndarray
    balanced: bool
    # balanced panel: n x T outcomes and T x n x k covariates; long: row arrays
    y_wide: np.ndarray | None
    x_wide: np.ndarray | None  # T x n x k (1 x n x k when the covariates are time-invariant)
    x_invariant: bool
    row_unit: np.ndarray | None
    row_time: np.ndarray | None
    y_row: np.ndarray | None
    x_row: np.ndarray | None
    w_row: np.ndarray | None
    design: str
    notes: list[str]
    sizes: pd.DataFrame


def prepare_staggered(data: pd.DataFrame, *, outcome: str, unit: str | None, time: str, cohort: str,
                      covs: list[str], weights: str | None, never_treated: float | None, cluster_cols: list[str],
                      control_group: str, anticipation: int, unbalanced: str, func: str) -> StaggeredPanel:
    """Validate and reshape the data for att_gt: cohort coding, panel checks, dropped rows and units, clusters.

    Raises DataError / PanelStructureError naming the column, rows and fix; warns (MissingDataWarning)
    for rows with missing values, always-treated units and, with ``unbalanced='drop'``, incomplete units.
    """
    notes: list[str] = []
    tvals = check_numeric(data, time, func)
    g = _cohort_values(data, cohort=cohort, time=time, tvals=tvals, never_treated=never_treated, func=func)
    codes_all = uniques_all = None
    if unit is not None:
        if data[unit].isna().any():
            check_panel(data, unit=unit, time=time, func=func)
        codes_all, uniques_all = pd.factorize(data[unit], sort=True)
        _fast_panel_check(data, unit, time, g, tvals, codes_all, len(uniques_all), func)
    yv, xv, wv, missing = _complete_rows(data, outcome=outcome, covs=covs, weights=weights, func=func, notes=notes)
    rows = np.flatnonzero(~missing)
    if codes_all is not None and uniques_all is not None:
        present = np.bincount(codes_all[rows], minlength=len(uniques_all)) > 0
        codes = (np.cumsum(present) - 1)[codes_all[rows]]
        uniques = np.asarray(uniques_all)[present]
    else:
        codes, uniques = np.arange(len(rows)), rows
    n = len(uniques)
    first_row = _first_rows(codes, n)
    sample = _Sample(codes, tvals[rows], yv[rows], wv[rows], xv[rows] if xv is not None else None, np.asarray(uniques),
                     g[rows][first_row], _unit_weights(data, codes, n, wv[rows], rows, unit=unit, weights=weights, func=func))
    always, drop_rows = _dropped_units_and_periods(sample, control_group=control_group, anticipation=anticipation,
                                                   cohort=cohort, func=func, notes=notes)
    if cluster_cols:
        sample.clusters = _unit_clusters(data.iloc[rows][cluster_cols], first_row, codes, func)
    kept = sample.keep(~drop_rows, ~always)
    periods = np.unique(kept.time)
    kept.tcode = np.searchsorted(periods, kept.time)
    n_t = len(periods)
    counts = np.bincount(kept.codes, minlength=len(kept.ids))
    balanced = unit is not None and bool(np.all(counts == n_t))
    if unit is not None and not balanced and unbalanced == "drop":
        full = counts == n_t
        warnings.warn(f"{func}(): {int((~full).sum())} units are not observed in every period and are dropped "
                      "(unbalanced='drop').", MissingDataWarning, stacklevel=user_stacklevel())
        notes.append(f"{int((~full).sum())} units not observed in every period were dropped (unbalanced='drop').")
        kept = kept.keep(full[kept.codes], full)
        balanced = True
    n2 = len(kept.ids)
    cohort_in = g[rows][first_row]  # one cohort per unit with complete rows (first_row indexes ``rows``)
    sizes = pd.DataFrame({"units": [n, n2], "rows": [int(len(data)), int(len(kept.y))],
                          "treated_units": [int(np.sum(~np.isnan(cohort_in))), int(np.sum(~np.isnan(kept.cohort)))],
                          "never_treated_units": [int(np.sum(np.isnan(cohort_in))), int(np.sum(np.isnan(kept.cohort)))]},
                         index=pd.Index(["input", "used"], name="sample"))
    if balanced:
        y_wide, x_wide, invariant = _wide(kept, n_t, 1 + len(covs))
        design = f"balanced panel of {n2} units x {n_t} periods"
        return StaggeredPanel(kept.ids, kept.cohort, kept.w_unit, kept.clusters, periods, True, y_wide, x_wide,
                              invariant, None, None, None, None, None, design, notes, sizes)
    x_row = None if kept.x is None else np.column_stack([np.ones(len(kept.y)), kept.x])
    design = (f"unbalanced panel of {n2} units ({len(kept.y)} observations), repeated-cross-section 2x2 estimators"
              if unit is not None else f"repeated cross-sections ({n2} observations)")
    if unit is not None:
        notes.append("Unbalanced panel: each 2x2 comparison uses every observation in its two periods "
                     "(R did's allow_unbalanced_panel); influence functions are summed by unit.")
    return StaggeredPanel(kept.ids, kept.cohort, kept.w_unit, kept.clusters, periods, False, None, None, True,
                          kept.codes, kept.tcode, kept.y, x_row, kept.w, design, notes, sizes)


@dataclass
class _Sample:
    """Observations (row arrays; ``codes`` number their units 0..n-1) and their units, as rows are dropped."""

    codes: np.ndarray
    time: np.ndarray
    y: np.ndarray
    w: np.ndarray
    x: np.ndarray | None
    ids: np.ndarray
    cohort: np.ndarray
    w_unit: np.ndarray
    clusters: np.ndarray | None = None
    tcode: np.ndarray | None = None  # period index of each row, once the periods are fixed

    def keep(self, rows: np.ndarray, units: np.ndarray) -> _Sample:
        """The rows and units kept (every kept row belongs to a kept unit), units and clusters renumbered."""
        return _Sample(
            (np.cumsum(units) - 1)[self.codes[rows]], self.time[rows], self.y[rows], self.w[rows],
            None if self.x is None else self.x[rows], self.ids[units], self.cohort[units], self.w_unit[units],
            None if self.clusters is None else pd.factorize(self.clusters[units], sort=True)[0],
            None if self.tcode is None else self.tcode[rows],
        )


def _first_rows(codes: np.ndarray, n: int) -> np.ndarray:
    """Position of the first row of each of the ``n`` units numbered by ``codes``."""
    first = np.full(n, -1)
    first[codes[::-1]] = np.arange(len(codes))[::-1]
    return first


def _cohort_values(data: pd.DataFrame, *, cohort: str, time: str, tvals: np.ndarray, never_treated: float | None,
                   func: str) -> np.ndarray:
    """First treatment period of each row as floats, NaN for never-treated (``never_treated`` recoded)."""
    gser = data[cohort]
    if not (pd.api.types.is_numeric_dtype(gser) or gser.isna().all()):
        coerced = pd.to_numeric(gser, errors="coerce")
        bad = coerced.isna() & gser.notna()
        raise DataError(f"{func}(): cohort column '{cohort}' must hold first treatment periods (numbers, in the "
                        f"units of '{time}'), missing for never-treated units; found {describe_rows(data, bad)} with "
                        f"values {list(pd.unique(gser[bad]))[:5]}.", column=cohort, rows=example_rows(data, bad))
    g = gser.to_numpy(dtype=float, na_value=np.nan)
    if never_treated is not None:
        g = np.where(g == float(never_treated), np.nan, g)
    elif np.any(g == 0) and tvals.min() > 0:
        mask = g == 0
        raise DataError(
            f"{func}(): cohort column '{cohort}' is 0 in {describe_rows(data, mask)}, a period before the panel "
            f"starts ({time} >= {tvals.min():g}). Never-treated units are coded as missing here: if 0 means never "
            f"treated, pass never_treated=0 (or recode to NaN).", column=cohort, rows=example_rows(data, mask))
    return g


def _complete_rows(data: pd.DataFrame, *, outcome: str, covs: list[str], weights: str | None, func: str,
                   notes: list[str]) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, np.ndarray]:
    """Outcome, covariates and weights as arrays, and the rows with a missing outcome or covariate (dropped)."""
    yv = check_numeric(data, outcome, func, allow_missing=True)
    xv = np.column_stack([check_numeric(data, c, func, allow_missing=True) for c in covs]) if covs else None
    missing = np.isnan(yv) | (np.isnan(xv).any(axis=1) if xv is not None else False)
    if missing.all():
        counts = [f"outcome '{outcome}': {int(np.isnan(yv).sum())}"]
        counts += [f"covariate '{c}': {int(np.isnan(xv[:, j]).sum())}" for j, c in enumerate(covs)] if covs else []
        first = outcome if np.isnan(yv).all() or not covs else covs[int(np.argmax(np.isnan(xv).sum(axis=0)))]
        raise DataError(f"{func}(): every one of the {len(data)} rows has a missing outcome or covariate (missing "
                        f"values: {'; '.join(counts)}), so no row is left to estimate from. Check that '{outcome}' is "
                        "the right column and that it was read as numbers.", column=first)
    if missing.any():
        warnings.warn(f"{func}(): {describe_rows(data, missing)} have a missing outcome or covariate and are "
                      "dropped.", MissingDataWarning, stacklevel=user_stacklevel())
        notes.append(f"{int(missing.sum())} rows with a missing outcome or covariate were dropped.")
    wv = np.ones(len(data)) if weights is None else check_numeric(data, weights, func)
    if weights is not None and (wv <= 0).any():
        raise DataError(f"{func}(): weights column '{weights}' must be > 0; see {describe_rows(data, wv <= 0)}.",
                        column=weights, rows=example_rows(data, wv <= 0))
    return yv, xv, wv, missing


def _unit_weights(data: pd.DataFrame, codes: np.ndarray, n: int, wk: np.ndarray, rows: np.ndarray, *,
                  unit: str | None, weights: str | None, func: str) -> np.ndarray:
    """One weight per unit (the mean of its rows'); panel weights varying within a unit raise DataError."""
    w_unit = (np.ones(n) if weights is None
              else np.bincount(codes, weights=wk, minlength=n) / np.bincount(codes, minlength=n))
    if unit is not None and weights is not None:
        if np.any(np.abs(wk - w_unit[codes]) > 1e-12 * np.abs(w_unit[codes])):
            bad = np.zeros(len(data), dtype=bool)
            bad[rows[np.abs(wk - w_unit[codes]) > 1e-12 * np.abs(w_unit[codes])]] = True
            raise DataError(f"{func}(): weights column '{weights}' varies within unit in {describe_rows(data, bad)}; "
                            "panel weights must be constant within unit.", column=weights, rows=example_rows(data, bad))
    return w_unit


def _dropped_units_and_periods(sample: _Sample, *, control_group: str, anticipation: int, cohort: str, func: str,
                               notes: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(always-treated units, rows to drop); units first treated after the panel become never treated.

    Checks the design (:func:`check_design`) on the cohorts that remain. Without never-treated
    units and with ``control_group='not_yet_treated'``, the periods from the last cohort's start on
    are dropped: the last cohort then serves only as a comparison group.
    """
    periods = np.unique(sample.time)
    late = ~np.isnan(sample.cohort) & (sample.cohort > periods[-1])
    if late.any():
        notes.append(f"{int(late.sum())} units first treated after the last period ({periods[-1]:g}) count as "
                     "never treated.")
        sample.cohort = np.where(late, np.nan, sample.cohort)
    cohort_unit = sample.cohort
    check_design(cohort_unit, periods, control_group=control_group, anticipation=anticipation,
                 units=sample.ids, func=func, cohort=cohort)
    always = ~np.isnan(cohort_unit) & (cohort_unit <= periods[0])
    if always.any():
        warnings.warn(f"{func}(): {int(always.sum())} units are treated in or before the first period "
                      f"({periods[0]:g}) and are dropped (e.g. {', '.join(map(str, sample.ids[always][:5]))}).",
                      MissingDataWarning, stacklevel=user_stacklevel())
        notes.append(f"{int(always.sum())} always-treated units (first treated at or before {periods[0]:g}) dropped.")
    never_any = np.isnan(cohort_unit[~always]).any()
    drop_rows = always[sample.codes]
    if control_group == "not_yet_treated" and not never_any:
        gmax = np.nanmax(cohort_unit[~always])
        drop_rows = drop_rows | (sample.time >= gmax - anticipation)
        notes.append(f"No never-treated unit: periods from {gmax - anticipation:g} on are dropped and the last "
                     f"cohort ({gmax:g}) serves only as a comparison group.")
    return always, drop_rows


def _unit_clusters(cl: pd.DataFrame, first_row: np.ndarray, codes: np.ndarray, func: str) -> np.ndarray:
    """One cluster code per unit; missing cluster values or clusters splitting a unit raise DataError."""
    cluster_cols = list(cl.columns)
    if cl.isna().any(axis=1).any():
        raise DataError(f"{func}(): cluster column(s) {cluster_cols} have missing values.", column=cluster_cols[0])
    ccodes = cl.groupby(cluster_cols, sort=True, observed=True).ngroup().to_numpy() if len(cluster_cols) > 1 else \
        pd.factorize(cl.iloc[:, 0], sort=True)[0]
    per_unit = ccodes[first_row]
    if np.any(per_unit[codes] != ccodes):
        raise DataError(f"{func}(): cluster column(s) {cluster_cols} vary within unit; clusters must contain "
                        "whole units.", column=cluster_cols[0])
    return per_unit


def _wide(kept: _Sample, n_t: int, k: int) -> tuple[np.ndarray, np.ndarray | None, bool]:
    """A balanced panel wide: n x T outcomes and T x n x k covariates (1 x n x k when time-invariant)."""
    n2 = len(kept.ids)
    y_wide = np.full((n2, n_t), np.nan)
    y_wide[kept.codes, kept.tcode] = kept.y
    x_wide = None
    invariant = True
    if kept.x is not None:
        first2 = _first_rows(kept.codes, n2)
        invariant = bool(np.all(kept.x == kept.x[first2][kept.codes]))
        if invariant:  # one n x k matrix serves every period
            x_wide = np.empty((1, n2, k))
            x_wide[0, :, 1:] = kept.x[first2]
        else:
            x_wide = np.empty((n_t * n2, k))
            x_wide[kept.tcode * n2 + kept.codes, 1:] = kept.x
            x_wide = x_wide.reshape(n_t, n2, k)
        x_wide[:, :, 0] = 1.0
    return y_wide, x_wide, invariant


def _fast_panel_check(data: pd.DataFrame, unit: str, time: str, g: np.ndarray, tvals: np.ndarray,
                      ucode: np.ndarray, n: int, func: str) -> None:
    """Duplicate (unit, time) rows or a cohort varying within unit: check_panel() raises with ids and counts."""
    tcode, tids = pd.factorize(tvals)
    t = len(tids)
    dup = np.bincount(ucode.astype(np.int64) * t + tcode, minlength=n * t).max(initial=0) > 1
    gu = g[_first_rows(ucode, n)][ucode]
    varying = ~((gu == g) | (np.isnan(gu) & np.isnan(g)))
    if dup or varying.any():
        check_panel(data[[unit, time]].assign(__g=g), unit=unit, time=time, cohort="__g", func=func)
