"""Placebo entry dates for staggered and event-study designs.

:func:`placebo_entry` moves every cohort's entry ``shift`` periods earlier, drops the observations
from the true entry on (from ``true entry - anticipation`` when the estimator is told of
anticipation), and re-estimates with the same estimator and options. What is left is a
pre-programme window in which each cohort is "treated" from its fake entry date while it is not yet
treated: under parallel trends and no anticipation the placebo effects are 0, so effects far from
0 point to diverging pre-trends or to anticipation beyond the declared window.

A *placebo outcome* needs no function: it is another analysis of the same estimator whose outcome
is measured before entry (or cannot be affected by the programme), e.g. in a config::

    - name: placebo_employment_before
      estimator: att_gt
      outcome: employed_12m_before_entry
      unit: person_id
      time: period
      cohort: first_treat_period

Reference
---------
Roth, J., Sant'Anna, P. H. C., Bilinski, A. and Poe, J. (2023). What's trending in
difference-in-differences? Journal of Econometrics 235(2), 2218-2244 (section 4 on placebo tests).
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from .._validation import check_columns, check_dataframe
from ..data._numeric_text import check_numeric
from ..errors import DataError, MissingDataWarning, SpecificationError

__all__ = ["placebo_entry", "placebo_data"]

_FUNC = "placebo_entry"


def placebo_data(data: pd.DataFrame, *, shift: int, time: str, cohort: str, anticipation: int = 0,
                 never_treated: float | None = None) -> tuple[pd.DataFrame, dict[str, int]]:
    """The placebo sample of :func:`placebo_entry` and counts of what was changed.

    Units entering within the observed periods get cohort ``entry - shift`` and lose their rows with
    ``time >= entry - anticipation``; units whose placebo entry is not after the first period (no
    pre-placebo period left) are dropped. Never-treated units (missing cohort, or ``never_treated``)
    and units entering after the last period keep all their rows and their cohort.
    """
    check_dataframe(data, _FUNC)
    check_columns(data, [time, cohort], _FUNC)
    if isinstance(shift, bool) or not isinstance(shift, (int, np.integer)) or shift < 1:
        raise SpecificationError(f"{_FUNC}(): 'shift' must be an integer >= 1 (periods); got {shift!r}.")
    if shift <= anticipation:
        raise SpecificationError(
            f"{_FUNC}(): shift={shift} leaves no placebo post period with anticipation={anticipation}: the "
            f"observations from entry - {anticipation} on are dropped, so shift must exceed the anticipation.")
    t = check_numeric(data, time, _FUNC)
    g = check_numeric(data, cohort, _FUNC, allow_missing=True)
    never = np.isnan(g) | (g == never_treated if never_treated is not None else False)
    shifted = ~never & (g <= t.max())
    keep = ~(shifted & (t >= g - anticipation))
    placebo = np.where(shifted, g - shift, g)
    too_early = shifted & (placebo <= t.min() + anticipation)
    keep &= ~too_early
    out = data.assign(**{cohort: placebo})
    out = out.loc[keep].reset_index(drop=True)
    if not (shifted & keep).any():
        raise DataError(f"{_FUNC}(): no cohort is left with a placebo entry after the first period (shift={shift}); "
                        "use a smaller shift or a longer pre-entry window.", column=cohort)
    counts = {"rows_dropped_after_entry": int((shifted & ~too_early & ~keep).sum()),
              "rows_dropped_no_pre_period": int(too_early.sum()), "rows_kept": int(keep.sum())}
    return out, counts


def placebo_entry(data: pd.DataFrame, estimator: Callable[..., Any], *, shift: int, time: str, cohort: str,
                  **kwargs: Any) -> Any:
    """Re-estimate a staggered or event-study design with every cohort's entry ``shift`` periods earlier.

    Parameters
    ----------
    data : the long panel the estimator takes.
    estimator : the estimator function (``att_gt``, ``event_study``, ``imputation_did``, ``sun_abraham``,
        ``aligned_did`` ...), called as ``estimator(placebo, time=time, cohort=cohort, **kwargs)``.
    shift : periods (>= 1, > ``anticipation``) by which each cohort's entry moves earlier.
    time, cohort : period and first-treatment-period columns (as for the estimator).
    **kwargs : the estimator's other arguments (outcome, unit, control_group, anticipation, never_treated...).

    Returns
    -------
    The estimator's result on the placebo sample, with a note and ``spec["placebo_entry"]`` (shift and
    rows dropped). Its post-entry effects should be close to 0.

    Notes
    -----
    Observations from the true entry on (minus ``anticipation``) are dropped, so the panel becomes
    unbalanced (``att_gt`` then uses its unbalanced-panel estimators). The group-time cells left empty
    this way are said once in the result's note, not warned about cell by cell. A placebo outcome is simply
    another analysis whose outcome is measured before entry (see the module docstring).
    """
    if not callable(estimator):
        raise SpecificationError(f"{_FUNC}(): 'estimator' must be an estimator function such as att_gt; "
                                 f"got {estimator!r}.")
    anticipation = int(kwargs.get("anticipation", 0) or 0)
    placebo, counts = placebo_data(data, shift=shift, time=time, cohort=cohort, anticipation=anticipation,
                                   never_treated=kwargs.get("never_treated"))
    with warnings.catch_warnings():  # cells from a true entry on are empty by design: said once in the note
        warnings.filterwarnings("ignore", category=MissingDataWarning, message=r".*group-time cells could not be "
                                r"estimated")
        res = estimator(placebo, time=time, cohort=cohort, **kwargs)
    note = (f"Placebo entry: every cohort entered {shift} period{'s' if shift != 1 else ''} earlier; the "
            f"{counts['rows_dropped_after_entry']} observations from the true entry on"
            + (f" (minus the {anticipation}-period anticipation)" if anticipation else "")
            + f" and {counts['rows_dropped_no_pre_period']} without a pre-placebo period were dropped. "
            "Under parallel trends and no anticipation the effects are 0; cells at or after a cohort's true entry "
            "have no data and are left missing.")
    changes: dict[str, Any] = {}
    if dataclasses.is_dataclass(res):
        names = {f.name for f in dataclasses.fields(res)}
        if "notes" in names:
            changes["notes"] = (*res.notes, note)
        if "spec" in names:
            changes["spec"] = {**res.spec, "placebo_entry": {"shift": shift, **counts}}
    return dataclasses.replace(res, **changes) if changes else res
