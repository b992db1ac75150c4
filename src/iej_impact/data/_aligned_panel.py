"""Panels for the cohort-aligned DiD: participants' entry cohorts and the comparison units' reference periods.

:func:`prepare_aligned` checks and reshapes a long panel for
:func:`~iej_impact.diff_in_diff._aligned.aligned_did`. Each participant has an entry period (its
cohort); each comparison unit has a reference period (a pseudo-entry: the date it was sampled, its
first contact with the service...), in the units of the panel's period column. Which unit is in
which arm is read from

* ``treatment`` (1 participant, 0 comparison) when given; ``cohort`` and ``reference`` may then be
  one column holding the (pseudo-)entry period of everyone;
* otherwise from ``cohort``: participants have one, comparison units have none (missing).

A participant never has a reference period and a comparison unit never has an entry period (two
columns), every participant has an entry period and every comparison unit a reference period;
anything else is a :class:`~iej_impact.errors.DataError` naming the rows. The three columns are
constant within unit (:class:`~iej_impact.errors.PanelStructureError` otherwise).

Entry cohorts without a comparison unit aligned with them (reference period = entry period) are
dropped with a :class:`~iej_impact.errors.MissingDataWarning` and a note; comparison units whose
reference period is no participant's entry period are left out with a note. No cohort aligned at
all is a PanelStructureError.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._validation import describe_rows, example_rows, user_stacklevel
from ..errors import DataError, MissingDataWarning, PanelStructureError, SpecificationError
from ._numeric_text import check_numeric
from ._panel import _complete_rows, _first_rows, _ids_text, _Sample, _unit_clusters, _unit_weights, _wide, check_panel

__all__ = ["AlignedPanel", "prepare_aligned"]


@dataclass
class AlignedPanel:
    """A long panel prepared for aligned_did: unit-level facts and the outcomes wide (NaN where unobserved)."""

    unit_ids: np.ndarray
    cohort_unit: np.ndarray  # entry period of participants, NaN for comparison units
    reference_unit: np.ndarray  # reference period of comparison units, NaN for participants
    w_unit: np.ndarray
    clusters: np.ndarray | None
    periods: np.ndarray
    y_wide: np.ndarray  # n x T
    x_wide: np.ndarray | None  # T x n x k (1 x n x k when time-invariant), the constant first
    x_invariant: bool
    notes: list[str]
    sizes: pd.DataFrame


def prepare_aligned(data: pd.DataFrame, *, outcome: str, unit: str, time: str, cohort: str, reference: str,
                    treatment: str | None, covs: list[str], weights: str | None, cluster_cols: list[str],
                    func: str) -> AlignedPanel:
    """Validate and reshape the data for aligned_did (see the module docstring)."""
    notes: list[str] = []
    check_panel(data, unit=unit, time=time, func=func)
    tvals = check_numeric(data, time, func)
    g = _period_values(data, cohort, time, func)
    r = g if reference == cohort else _period_values(data, reference, time, func)
    d = _arms(data, g, r, unit=unit, cohort=cohort, reference=reference, treatment=treatment, func=func)
    codes_all, uniques = pd.factorize(data[unit], sort=True)
    if treatment is not None:
        _constant_within_unit(data, codes_all, d.astype(float), unit, f"the participant indicator '{treatment}'", func)
    columns = f"'{cohort}'" + (f" / '{reference}'" if reference != cohort else "")
    _constant_within_unit(data, codes_all, np.where(d, g, r), unit, f"the entry / reference period ({columns})", func)
    yv, xv, wv, missing = _complete_rows(data, outcome=outcome, covs=covs, weights=weights, func=func, notes=notes)
    rows = np.flatnonzero(~missing)
    present = np.bincount(codes_all[rows], minlength=len(uniques)) > 0
    codes = (np.cumsum(present) - 1)[codes_all[rows]]
    ids = np.asarray(uniques)[present]
    n = int(present.sum())
    first_row = _first_rows(codes, n)
    treated = d[rows][first_row]
    g_unit = np.where(treated, g[rows][first_row], np.nan)
    r_unit = np.where(treated, np.nan, r[rows][first_row])
    sample = _Sample(codes, tvals[rows], yv[rows], wv[rows], None if xv is None else xv[rows], ids,
                     g_unit, _unit_weights(data, codes, n, wv[rows], rows, unit=unit, weights=weights, func=func))
    if cluster_cols:
        sample.clusters = _unit_clusters(data.iloc[rows][cluster_cols], first_row, codes, func)
    keep = _aligned_units(g_unit, r_unit, ids, cohort=cohort, reference=reference, func=func, notes=notes)
    kept = sample.keep(keep[codes], keep)
    periods = np.unique(kept.time)
    kept.tcode = np.searchsorted(periods, kept.time)
    y_wide, x_wide, invariant = _wide(kept, len(periods), 1 + len(covs))
    g_kept, r_kept = g_unit[keep], r_unit[keep]
    cohorts = np.unique(g_kept[~np.isnan(g_kept)])
    sizes = pd.DataFrame({"treated": [int(np.sum(g_kept == c)) for c in cohorts],
                          "comparison": [int(np.sum(r_kept == c)) for c in cohorts]},
                         index=pd.Index([_value(c) for c in cohorts], name="cohort"))
    sizes.loc["total"] = sizes.sum()
    return AlignedPanel(kept.ids, g_kept, r_kept, kept.w_unit, kept.clusters, periods, y_wide, x_wide, invariant,
                        notes, sizes)


def _value(v: float) -> int | float:
    return int(v) if float(v).is_integer() else float(v)


def _period_values(data: pd.DataFrame, column: str, time: str, func: str) -> np.ndarray:
    """A period column (entry or reference period) as floats, NaN where missing; text is a DataError."""
    values = data[column]
    if not (pd.api.types.is_numeric_dtype(values) or values.isna().all()):
        bad = pd.to_numeric(values, errors="coerce").isna() & values.notna()
        raise DataError(f"{func}(): column '{column}' must hold periods (numbers, in the units of '{time}'); found "
                        f"{describe_rows(data, bad)} with values {list(pd.unique(values[bad]))[:5]}.", column=column,
                        rows=example_rows(data, bad))
    return values.to_numpy(dtype=float, na_value=np.nan)


def _arms(data: pd.DataFrame, g: np.ndarray, r: np.ndarray, *, unit: str, cohort: str, reference: str,
          treatment: str | None, func: str) -> np.ndarray:
    """True for the rows of participants; DataError for a row whose entry and reference periods contradict its arm."""
    if treatment is None:
        if cohort == reference:
            raise SpecificationError(f"{func}(): 'cohort' and 'reference' name the same column '{cohort}'; pass "
                                     "treatment= (the 1/0 participant column) to tell participants from comparison "
                                     "units.")
        d = ~np.isnan(g)
        arm_text = f"('{cohort}' given)"
    else:
        status = data[treatment]
        ok = status.isin([0, 1, True, False]).to_numpy() & status.notna().to_numpy()
        if not ok.all():
            raise DataError(f"{func}(): column '{treatment}' must be 1 (participant) or 0 (comparison unit) with no "
                            f"missing value; see {describe_rows(data, ~ok)}.", column=treatment,
                            rows=example_rows(data, ~ok))
        d = status.to_numpy(dtype=float) == 1
        arm_text = f"('{treatment}' = 1)"
    problems = [(d & np.isnan(g), cohort, f"participants {arm_text} without an entry period in '{cohort}'")]
    if cohort != reference:
        problems += [
            (d & ~np.isnan(r), reference, f"participants {arm_text} with a reference period in '{reference}': the "
             "reference period is the comparison units' (pseudo-)entry; leave it empty for participants, or, if the "
             f"column holds everyone's (pseudo-)entry period, pass it as both cohort and reference with treatment="),
            (~d & ~np.isnan(g), cohort, f"comparison units ('{treatment}' = 0) with an entry period in '{cohort}'"),
        ]
    problems.append((~d & np.isnan(r), reference, f"comparison units without a reference period in '{reference}' "
                     "(each is compared with the participants who entered in its reference period)"))
    for bad, column, what in problems:
        if bad.any():
            units = pd.unique(data.loc[bad, unit])
            raise DataError(f"{func}(): {len(units)} unit(s) (e.g. {unit} {_ids_text(units)}; {int(bad.sum())} rows) "
                            f"are {what}.", column=column, rows=example_rows(data, bad))
    return d


def _constant_within_unit(data: pd.DataFrame, codes: np.ndarray, values: np.ndarray, unit: str, what: str,
                          func: str) -> None:
    """PanelStructureError when ``values`` (NaN counts as a value) vary within a unit."""
    first = values[_first_rows(codes, int(codes.max()) + 1)][codes]
    varying = ~((first == values) | (np.isnan(first) & np.isnan(values)))
    if varying.any():
        units = pd.unique(data.loc[varying, unit])
        raise PanelStructureError(f"{func}(): {what} varies within {len(units)} unit(s) of '{unit}' (e.g. {unit} "
                                  f"{_ids_text(units)}); it must be one value per unit.", rows=list(units[:5]))


def _aligned_units(g_unit: np.ndarray, r_unit: np.ndarray, ids: np.ndarray, *, cohort: str, reference: str,
                   func: str, notes: list[str]) -> np.ndarray:
    """The units of the cohorts that have aligned comparison units, and those comparison units."""
    cohorts = np.unique(g_unit[~np.isnan(g_unit)])
    refs = np.unique(r_unit[~np.isnan(r_unit)])
    aligned = np.intersect1d(cohorts, refs)
    if aligned.size == 0:
        raise PanelStructureError(
            f"{func}(): no comparison unit's reference period ('{reference}') equals a participant's entry period "
            f"('{cohort}'): entry periods {[_value(c) for c in cohorts[:8]]}{' ...' if cohorts.size > 8 else ''}, "
            f"reference periods {[_value(c) for c in refs[:8]]}{' ...' if refs.size > 8 else ''}. Both must be "
            "periods in the same units (check that they were coded the same way).", column=reference)
    lonely = np.setdiff1d(cohorts, aligned)
    if lonely.size:
        n_units = int(np.isin(g_unit, lonely).sum())
        text = (f"{lonely.size} entry cohort(s) have no comparison unit with that reference period and are dropped "
                f"({n_units} participants): cohorts {[_value(c) for c in lonely[:10]]}"
                f"{' ...' if lonely.size > 10 else ''}")
        warnings.warn(f"{func}(): {text}.", MissingDataWarning, stacklevel=user_stacklevel())
        notes.append(text + ".")
    unused = ~np.isnan(r_unit) & ~np.isin(r_unit, aligned)
    if unused.any():
        notes.append(f"{int(unused.sum())} comparison units whose reference period is no participant's entry period "
                     f"are not used (e.g. {_ids_text(ids[unused])}).")
    return np.isin(g_unit, aligned) | np.isin(r_unit, aligned)
