"""Person x period panels for the DiD estimators: structure checks and the first treatment period.

The panel estimators (:func:`~iej_impact.twfe.twfe`, :func:`~iej_impact.event_study.event_study`,
:func:`~iej_impact.staggered.att_gt`) call :func:`check_panel` first. It raises
:class:`~iej_impact.errors.PanelStructureError` (domain brief E.6 item 9) for

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

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ._validation import check_choice, check_columns, describe_rows, example_rows
from .errors import DataError, PanelStructureError, SpecificationError

__all__ = ["check_panel", "check_design", "cohort_from_treatment", "period_from_dates"]

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
        varying = frame.groupby("u", sort=False)["c"].nunique() > 1
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
    first = frame.loc[frame["d"] == 1].groupby("u")["t"].min()
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
