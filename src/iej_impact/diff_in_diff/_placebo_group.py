"""Placebo groups: units that were not treated play the treated, so the estimate should be 0.

:func:`placebo_group` re-estimates a design on the untreated units only, with some of them labelled
"treated" (the evaluator's "fake treated" check):

* **Cross-sectional estimators** (``psm``, ``ipw``, ``doubly_robust``, ``regression_adjustment``,
  ``difference_in_means``...): the real treated are dropped; the comparison units selected by
  ``filter`` (an expression of the sample-filter grammar, never executed as code, e.g.
  ``"refused_offer == 1"`` for young people registered at a mission locale who later refused the
  programme) become the placebo treated and are compared with the other comparison units, with the
  same outcome, covariates and options.
* **Panel estimators with a cohort column** (``att_gt``, ``event_study``, ``imputation_did``,
  ``sun_abraham``...): the units with a real entry are dropped; some never-treated units (those of
  ``filter``, or a random ``share`` of them drawn with ``random_state``) get a fake entry period:
  ``entry`` (one period for all) or ``"random"``, each placebo unit drawing its entry from the
  real cohorts (the distribution of the treated units' entry periods, among the periods with at
  least one earlier period), so that the placebo has the timing of the real design.
* **twfe** (a 0/1 treatment column ``D_it``): the same, with never-treated units those whose
  treatment is 0 in every period, the real treated dropped and ``D_it = 1{t >= entry}`` for the
  placebo units.

Under the null (the placebo units' outcomes evolve, or are distributed given the covariates, like
the other comparison units'), the placebo effect is 0: an estimate far from 0 points to a selection
the design does not remove (for a filter-defined group) or to trends that differ between units
(for random placebo units, a check of the estimator and its inference rather than of the data).

Reference
---------
Imbens, G. W. and Wooldridge, J. M. (2009). Recent developments in the econometrics of program
evaluation. Journal of Economic Literature 47(1), 5-86 (section 6.2: estimating effects on
pseudo-outcomes and of pseudo-treatments). Abadie, A. (2021). Using synthetic controls. Journal of
Economic Literature 59(2), 391-425 (placebo studies).
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from .._validation import check_binary, check_columns, check_dataframe
from ..data._expressions import filter_mask
from ..data._numeric_text import check_numeric
from ..errors import DataError, SpecificationError

__all__ = ["placebo_group", "placebo_group_data"]

_FUNC = "placebo_group"


def _check_share(share: Any) -> float:
    if isinstance(share, bool) or not isinstance(share, (int, float, np.integer, np.floating)) or not 0 < share < 1:
        raise SpecificationError(f"{_FUNC}(): 'share' must be a number strictly between 0 and 1 (the fraction of "
                                 f"never-treated units made placebo treated); got {share!r}.")
    return float(share)


def _cross_section(data: pd.DataFrame, *, treatment: str, filter: str | None,
                   options: dict[str, Any]) -> tuple[pd.DataFrame, dict[str, Any]]:
    if filter is None:
        raise SpecificationError(f"{_FUNC}(): a cross-sectional design needs 'filter', the expression selecting the "
                                 "comparison units that play the treated (e.g. \"refused_offer == 1\").")
    given = [k for k, v in options.items() if v is not None]
    if given:
        raise SpecificationError(f"{_FUNC}(): {given} only apply to panel designs (a cohort or time column); a "
                                 "cross-sectional placebo group is defined by 'filter' alone.")
    treated = check_binary(data, treatment, _FUNC, require_both=False).astype(bool)
    comparison = data.loc[~treated]
    if comparison.empty:
        raise DataError(f"{_FUNC}(): no comparison unit ('{treatment}' is 1 on every row).", column=treatment)
    mask = filter_mask(comparison, filter, where=f"{_FUNC}(filter)")
    chosen, n = int(mask.sum()), len(comparison)
    if chosen == 0:
        raise DataError(f"{_FUNC}(): the filter {filter!r} selects no comparison unit (0 of {n}); the placebo group "
                        "would be empty.", column=treatment)
    if chosen == n:
        raise DataError(f"{_FUNC}(): the filter {filter!r} selects every comparison unit ({n} of {n}); none would be "
                        "left to compare the placebo group with.", column=treatment)
    out = comparison.assign(**{treatment: mask.astype(np.int8)}).reset_index(drop=True)
    return out, {"design": "cross_section", "filter": filter, "n_placebo": chosen, "n_comparison": n - chosen,
                 "n_treated_dropped": int(treated.sum())}


def _unit_choice(data: pd.DataFrame, unit: str, never_units: np.ndarray, filter: str | None, share: float | None,
                 rng: np.random.Generator) -> tuple[np.ndarray, str]:
    """The never-treated units made placebo treated: those of ``filter`` (constant within unit) or a random share."""
    ids = data[unit].to_numpy()
    if filter is not None:
        if share is not None:
            raise SpecificationError(f"{_FUNC}(): give 'filter' or 'share', not both.")
        rows = pd.Series(np.isin(ids, never_units), index=data.index)
        sub = data.loc[rows.to_numpy()]
        mask = pd.Series(filter_mask(sub, filter, where=f"{_FUNC}(filter)"), index=sub.index)
        per_unit = mask.groupby(sub[unit].to_numpy()).agg(["min", "max"])
        mixed = per_unit.index[per_unit["min"] != per_unit["max"]]
        if len(mixed):
            raise DataError(f"{_FUNC}(): the filter {filter!r} is true in some periods and false in others for "
                            f"{len(mixed)} unit(s) (e.g. {unit} {mixed[0]!r}); a placebo group is a set of units, so the "
                            "filter must use columns constant within a unit.", column=unit)
        return per_unit.index[per_unit["max"].astype(bool)].to_numpy(), f"filter {filter!r}"
    share = _check_share(0.5 if share is None else share)
    k = int(round(share * len(never_units)))
    return rng.choice(never_units, size=k, replace=False), f"a random {share:.0%} of the never-treated units"


def _panel(data: pd.DataFrame, *, unit: str, time: str, cohort: str | None, treatment: str | None,
           never_treated: float | None, filter: str | None, entry: Any, share: float | None,
           random_state: Any) -> tuple[pd.DataFrame, dict[str, Any]]:
    check_columns(data, [unit, time, cohort or treatment], _FUNC)
    t = check_numeric(data, time, _FUNC)
    ids = data[unit].to_numpy()
    if cohort is not None:
        g = check_numeric(data, cohort, _FUNC, allow_missing=True)
        never_row = np.isnan(g) | (g == never_treated if never_treated is not None else False)
        first = pd.Series(np.where(never_row, np.nan, g)).groupby(ids).first()
    else:
        d = check_binary(data, treatment, _FUNC, require_both=False).astype(bool)
        first = pd.Series(np.where(d, t, np.nan)).groupby(ids).min()
    never_units = first.index[first.isna()].to_numpy()
    real = first.dropna()
    real = real[(real > t.min()) & (real <= t.max())]
    if never_units.size < 2:
        raise DataError(f"{_FUNC}(): {never_units.size} never-treated unit(s); a placebo group needs never-treated units "
                        "to play the treated and others to compare them with.", column=cohort or treatment)
    rng = np.random.default_rng(random_state)
    chosen, how = _unit_choice(data, unit, never_units, filter, share, rng)
    if chosen.size == 0 or chosen.size == never_units.size:
        what = "no" if chosen.size == 0 else "every"
        raise DataError(f"{_FUNC}(): {how} selects {what} never-treated unit ({chosen.size} of {never_units.size}); the "
                        "placebo needs both placebo units and never-treated units left to compare them with.",
                        column=cohort or treatment)
    if isinstance(entry, str) and entry == "random":
        if real.empty:
            raise DataError(f"{_FUNC}(): entry='random' draws from the real entry periods, but no treated unit enters "
                            "after the first period; give a period as 'entry'.", column=cohort or treatment)
        fake = pd.Series(rng.choice(real.to_numpy(), size=chosen.size, replace=True), index=chosen)
    elif isinstance(entry, bool) or not isinstance(entry, (int, float, np.integer, np.floating)) or np.isnan(entry):
        raise SpecificationError(f"{_FUNC}(): 'entry' must be a period (a number in the units of '{time}') or 'random'; "
                                 f"got {entry!r}.")
    elif not t.min() < entry <= t.max():
        raise SpecificationError(f"{_FUNC}(): entry={entry!r} must be after the first period ({t.min():g}) and not after "
                                 f"the last ({t.max():g}), so that the placebo units have periods before and after it.")
    else:
        fake = pd.Series(float(entry), index=chosen)
    keep = np.isin(ids, never_units)
    out = data.loc[keep].copy()
    fake_rows = pd.Series(out[unit].to_numpy()).map(fake).to_numpy(dtype=float)
    if cohort is not None:
        out[cohort] = np.where(np.isnan(fake_rows), out[cohort].to_numpy(dtype=float), fake_rows)
    else:
        out[treatment] = (~np.isnan(fake_rows) & (t[keep] >= fake_rows)).astype(np.int8)
    entries = {float(k): int(v) for k, v in fake.value_counts().sort_index().items()}
    return out.reset_index(drop=True), {
        "design": "panel", "selection": how, "entry": entry if isinstance(entry, str) else float(entry),
        "placebo_entries": entries, "n_placebo": int(chosen.size), "n_comparison": int(never_units.size - chosen.size),
        "n_treated_dropped": int(first.notna().sum())}


def placebo_group_data(data: pd.DataFrame, *, filter: str | None = None, entry: Any = None, share: float | None = None,
                       random_state: Any = None, treatment: str | None = None, unit: str | None = None,
                       time: str | None = None, cohort: str | None = None,
                       never_treated: float | None = None) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The placebo sample of :func:`placebo_group` and a description of it (design, units, entries).

    A panel design is recognised by ``time`` (with ``unit``, and ``cohort`` or a 0/1 ``treatment``);
    otherwise the design is cross-sectional and needs ``treatment`` and ``filter``.
    """
    check_dataframe(data, _FUNC)
    if time is None:
        if treatment is None:
            raise SpecificationError(f"{_FUNC}(): the estimator's 'treatment' column (cross-section) or its 'time' "
                                     "and 'cohort' columns (panel) are needed.")
        check_columns(data, [treatment], _FUNC)
        return _cross_section(data, treatment=treatment, filter=filter,
                              options={"entry": entry, "share": share})
    if unit is None or (cohort is None and treatment is None):
        raise SpecificationError(f"{_FUNC}(): a panel design needs 'unit' and 'cohort' (or a 0/1 'treatment' column "
                                 "for twfe).")
    return _panel(data, unit=unit, time=time, cohort=cohort, treatment=None if cohort else treatment,
                  never_treated=never_treated, filter=filter, entry="random" if entry is None else entry, share=share,
                  random_state=random_state)


def _parameters(func: Callable[..., Any]) -> tuple[str, ...]:
    try:
        return tuple(inspect.signature(func).parameters)
    except (TypeError, ValueError):
        return ()


def placebo_group(data: pd.DataFrame, estimator: Callable[..., Any], *, filter: str | None = None,
                  entry: Any = None, share: float | None = None, random_state: Any = None, **kwargs: Any) -> Any:
    """Re-estimate a design with untreated units playing the treated (a placebo group): the estimate should be 0.

    Parameters
    ----------
    data : the table the estimator takes (one row per unit, or the long panel).
    estimator : the estimator function (``psm``, ``ipw``, ``doubly_robust``, ``att_gt``, ``twfe``...),
        called as ``estimator(placebo, **kwargs)``.
    filter : cross-section (required): the comparison units that play the treated, an expression of the
        sample-filter grammar (e.g. ``"refused_offer == 1"``). Panel (optional): the never-treated units
        made placebo treated; it must be constant within a unit. The real treated are dropped.
    entry : panel only: the placebo entry period (a value of ``time``), or ``"random"`` (default): each
        placebo unit draws an entry from the real treated units' entry periods (after the first period).
    share : panel without ``filter``: the fraction of never-treated units drawn as placebo units (default 0.5).
    random_state : seed (or numpy Generator) of those draws, also passed to an estimator that takes
        ``random_state``; the run's seed in a configuration.
    **kwargs : the estimator's arguments (outcome, treatment, covariates, unit, time, cohort...).

    Returns
    -------
    The estimator's result on the placebo sample, with a note and ``spec["placebo_group"]`` (design,
    selection, numbers of placebo and comparison units, entries drawn).

    Raises
    ------
    DataError when the filter selects no unit or every untreated unit, when fewer than two
    never-treated units exist, or when a panel filter varies within a unit; SpecificationError for
    options that do not fit the design.
    """
    if not callable(estimator):
        raise SpecificationError(f"{_FUNC}(): 'estimator' must be an estimator function such as ipw or att_gt; "
                                 f"got {estimator!r}.")
    roles = {k: kwargs.get(k) for k in ("treatment", "unit", "time", "cohort", "never_treated")}
    placebo, info = placebo_group_data(data, filter=filter, entry=entry, share=share, random_state=random_state,
                                       **roles)
    if random_state is not None and "random_state" in _parameters(estimator):
        kwargs["random_state"] = random_state
    res = estimator(placebo, **kwargs)
    if info["design"] == "cross_section":
        added = [f"Placebo group: the {info['n_treated_dropped']} treated units were dropped; the {info['n_placebo']} "
                 f"comparison units of {filter!r} play the treated against the other {info['n_comparison']}. The "
                 "estimate is 0 if the design removes the differences between these untreated groups."]
    else:
        added = [f"Placebo group: the {info['n_treated_dropped']} treated units were dropped; {info['n_placebo']} "
                 f"never-treated units play the treated against the other {info['n_comparison']}. The effects are 0 "
                 "if these untreated units follow the same trends.",
                 f"Placebo units: {info['selection']}.",
                 "Placebo entry periods: drawn at random from the real treated units' entry periods."
                 if info["entry"] == "random" else f"Placebo entry period: {info['entry']:g}."]
    changes: dict[str, Any] = {}
    if dataclasses.is_dataclass(res):
        names = {f.name for f in dataclasses.fields(res)}
        if "notes" in names:
            changes["notes"] = (*res.notes, *added)
        if "spec" in names:
            changes["spec"] = {**res.spec, "placebo_group": info}
    return dataclasses.replace(res, **changes) if changes else res
