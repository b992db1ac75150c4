"""The Wald-DiD (fuzzy difference-in-differences) of de Chaisemartin & D'Haultfoeuille (2018).

A 2x2 design in which treatment take-up ``D`` is not 0/1 by group: part of the comparison group is
treated too (later entrants, contamination), part of the "treated" group never takes it up, and the
take-up rate moves in both groups between the periods. The sharp DiD of the outcome then estimates
the effect times the *difference in take-up changes*. The Wald-DiD rescales it:

    W_DID = [E(Y|G=1,T=1) - E(Y|G=1,T=0) - (E(Y|G=0,T=1) - E(Y|G=0,T=0))]
            / [E(D|G=1,T=1) - E(D|G=1,T=0) - (E(D|G=0,T=1) - E(D|G=0,T=0))],

the DiD of the outcome over the DiD of the take-up rate. It equals the 2SLS coefficient of D in a
regression of Y on D with group and period fixed effects, instrumented by group x post.

Identification (de Chaisemartin & D'Haultfoeuille 2018, Theorem 1): parallel trends of Y(0) between
the groups, a take-up rate that rises more in group 1 than in group 0 (the denominator is not 0;
its sign is taken as given), and **stable treatment effects over time** (the effect of D among units
treated in both periods is the same in the pre and post periods) -- and, when the take-up rate of
group 0 changes, the *same* effect in both groups. Under these, W_DID is the local average
treatment effect of the switchers (units whose take-up changed). Without effect stability the
Wald-DiD is a weighted combination of effects that can have negative weights. Their time-corrected
Wald ratio (Wald-TC), which replaces effect stability by the assumption that the outcome trends of
the untreated (and of the treated) are the same in both groups, is the alternative when the
effect may change over time; it is not implemented here.

The standard error is the delta method on the two DiDs: each cell mean m has influence function
1{cell}(v - m) / P(cell), so the ratio's influence function is

    psi_i = s_cell(i) (e_i - mean_cell(e)) / (P(cell(i)) * DiD_D),    e_i = Y_i - W_DID * D_i,

with s = +1 on cells (1,1) and (0,0), -1 on (1,0) and (0,1); it is summed within unit (a panel:
the two rows of a person are dependent) or within the clusters of ``se``.

Reference
---------
de Chaisemartin, C. and D'Haultfoeuille, X. (2018). Fuzzy differences-in-differences. Review of
Economic Studies 85(2), 999-1028.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .._params import Columns, Interval, constrained
from .._validation import (
    arguments_checked,
    check_binary,
    check_columns,
    check_dataframe,
    describe_rows,
    example_rows,
    user_stacklevel,
)
from ..data._numeric_text import check_numeric
from ..errors import DataError, EstimationError, IejImpactWarning, PanelStructureError
from ..inference import Clustered, InferenceLike, cluster_codes, normal_ci, parse_inference, se_from_influence
from ..results import EffectResult

__all__ = ["wald_did"]

_FUNC = "wald_did"
ESTIMAND = "LATE of switchers (Wald-DiD, stable effects)"
#: the first stage is called weak below this t-statistic of the take-up DiD (F = t^2 < 10)
WEAK_T = np.sqrt(10.0)


def wald_ratio(y: np.ndarray, d: np.ndarray, g: np.ndarray, t: np.ndarray) -> dict[str, object]:
    """The Wald-DiD of rows with outcome y, take-up d, group g and period t (0/1 arrays): its value,
    the two DiDs, their per-row influence functions and the cell means."""
    n = len(y)
    cell = (2 * g + t).astype(int)  # 0: (0,0), 1: (0,1), 2: (1,0), 3: (1,1)
    sign = np.array([1.0, -1.0, -1.0, 1.0])[cell]
    share = np.bincount(cell, minlength=4) / n
    means = {}
    psi = {}
    for name, v in (("y", y), ("d", d)):
        m = np.bincount(cell, weights=v, minlength=4) / (share * n)
        means[name] = m
        psi[name] = sign * (v - m[cell]) / share[cell]
    did_y = float(means["y"][3] - means["y"][2] - (means["y"][1] - means["y"][0]))
    did_d = float(means["d"][3] - means["d"][2] - (means["d"][1] - means["d"][0]))
    w = did_y / did_d if did_d != 0 else float("nan")
    return {"estimate": w, "did_y": did_y, "did_d": did_d, "psi": (psi["y"] - w * psi["d"]) / did_d,
            "psi_y": psi["y"], "psi_d": psi["d"], "means": means, "cell": cell}


def _cells_table(fit: dict[str, object], cell: np.ndarray) -> pd.DataFrame:
    counts = np.bincount(cell, minlength=4)
    idx = pd.MultiIndex.from_tuples([(0, 0), (0, 1), (1, 0), (1, 1)], names=["group", "post"])
    means = fit["means"]
    return pd.DataFrame({"n": counts, "mean_outcome": means["y"], "take_up_rate": means["d"]},  # type: ignore[index]
                        index=idx)


def _check_within_unit(data: pd.DataFrame, unit: str, group: str) -> None:
    ids = data[unit]
    if ids.isna().any():
        raise DataError(f"{_FUNC}(): unit column '{unit}' is missing in {describe_rows(data, ids.isna())}.",
                        column=unit, rows=example_rows(data, ids.isna()))
    varying = data.groupby(unit, sort=False)[group].nunique() > 1
    if varying.any():
        raise PanelStructureError(
            f"{_FUNC}(): column '{group}' changes within {int(varying.sum())} units (e.g. {unit} "
            f"{', '.join(map(str, varying[varying].index[:5].tolist()))}); the group must be constant within unit "
            f"(it is the instrument; the take-up '{group}' may change, the group may not).", column=group,
            rows=varying[varying].index[:5].tolist())


@constrained({
    "outcome": Columns(single=True), "group": Columns(single=True), "post": Columns(single=True),
    "treatment_take_up": Columns(single=True), "unit": Columns(single=True, none_ok=True),
    "alpha": Interval(0.0, 0.5, low_open=True),
})
def wald_did(
    data: pd.DataFrame,
    *,
    outcome: str,
    group: str,
    post: str,
    treatment_take_up: str,
    unit: str | None = None,
    se: InferenceLike | None = None,
    alpha: float = 0.05,
) -> EffectResult:
    """Wald-DiD (fuzzy DiD, de Chaisemartin & D'Haultfoeuille 2018): the DiD of the outcome over the DiD of take-up.

    Parameters
    ----------
    data : long table, one row per observation (a panel: two rows per unit; or repeated cross-sections).
    outcome : numeric outcome column.
    group : 0/1 column, 1 for the group whose take-up rises more (e.g. the participants' cohort); constant
        within unit.
    post : 0/1 column, 1 for the post period.
    treatment_take_up : numeric take-up D of each row (usually 0/1: treated at that date); not 0/1 by group.
    unit : unit id; the influence function is then summed within unit (standard errors clustered by unit).
    se : None or "robust" (default: rows independent, or clustered by ``unit`` without small-sample factor);
        ``{type: clustered, by: col}``: clusters of ``col`` with the factor G/(G-1).
    alpha : 1 - confidence level.

    Returns
    -------
    EffectResult (method "wald_did", estimand "LATE of switchers (Wald-DiD, stable effects)");
    ``diagnostics`` holds the outcome and take-up DiDs, the first-stage t-statistic and the 2x2 cell table.

    Notes
    -----
    Identifies the local average treatment effect of the switchers under parallel trends of Y(0),
    a take-up DiD different from 0, and treatment effects stable over time (and equal across groups
    when group 0's take-up changes). If effects may change over time, the authors' Wald-TC (not
    implemented) is the alternative. It equals the 2SLS coefficient of D instrumented by group x post
    with group and period fixed effects.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"y": [1., 2., 1., 4., 1., 2., 1., 3.], "g": [0, 0, 1, 1] * 2, "p": [0, 1] * 4,
    ...                    "d": [0, 0, 0, 1, 0, 1, 0, 1]})
    >>> round(wald_did(df, outcome="y", group="g", post="p", treatment_take_up="d").estimate, 3)
    3.0
    """
    check_dataframe(data, _FUNC)
    check_columns(data, [outcome, group, post, treatment_take_up] + ([unit] if unit else []), _FUNC)
    inference = parse_inference("robust" if se is None else se, _FUNC, ("robust", "clustered"))
    y = check_numeric(data, outcome, _FUNC)
    d = check_numeric(data, treatment_take_up, _FUNC)
    g = check_binary(data, group, _FUNC).astype(float)
    t = check_binary(data, post, _FUNC).astype(float)
    for gv, t_v in ((0, 0), (0, 1), (1, 0), (1, 1)):
        if not np.any((g == gv) & (t == t_v)):
            raise DataError(f"{_FUNC}(): no observation with {group} = {gv} and {post} = {t_v}; the Wald-DiD needs "
                            "all four cells.", column=group)
    if unit is not None:
        _check_within_unit(data, unit, group)
    arguments_checked()
    fit = wald_ratio(y, d, g, t)
    did_d, psi = float(fit["did_d"]), fit["psi"]  # type: ignore[arg-type]
    if abs(did_d) < 1e-12:
        raise EstimationError(f"{_FUNC}(): the take-up rate changes by the same amount in both groups (DiD of "
                              f"'{treatment_take_up}' = 0): the Wald-DiD is undefined; the design has no first stage.")
    if isinstance(inference, Clustered):
        clusters = cluster_codes(data, list(inference.columns), _FUNC)
        errors = inference.standard_errors(psi, clusters=clusters, small_sample="G/(G-1)")  # type: ignore[arg-type]
        how = f"clustered by {list(inference.columns)} ({np.unique(clusters).size} clusters, G/(G-1))"
    else:
        clusters = pd.factorize(data[unit])[0] if unit is not None else None
        errors = inference.standard_errors(psi, clusters=clusters, small_sample="none")  # type: ignore[arg-type]
        how = "influence function (delta method)" + (f", summed within {unit!r}" if unit else ", rows independent")
    se_d = float(se_from_influence(fit["psi_d"], clusters=clusters, factor=1.0))  # type: ignore[arg-type]
    t_first = did_d / se_d if se_d > 0 else float("inf")
    notes = [f"Wald-DiD: DiD of {outcome!r} ({fit['did_y']:.4g}) / DiD of the take-up {treatment_take_up!r} "
             f"({did_d:.4g}); standard error: {how}.",
             "Identifies the switchers' LATE under parallel trends of Y(0) and treatment effects stable over time "
             "(and equal across groups if group 0's take-up changes); otherwise see the Wald-TC of de Chaisemartin & "
             "D'Haultfoeuille (2018), not implemented."]
    if abs(t_first) < WEAK_T:
        warnings.warn(f"{_FUNC}(): weak first stage: the take-up DiD is {did_d:.3g} with t = {t_first:.2f} "
                      f"(F = {t_first ** 2:.1f} < 10); the normal confidence interval of the ratio is unreliable.",
                      IejImpactWarning, stacklevel=user_stacklevel())
        notes.append(f"Weak first stage (F = {t_first ** 2:.1f} < 10).")
    lo, hi, pval = normal_ci(float(fit["estimate"]), float(errors.se), alpha)  # type: ignore[arg-type]
    n1 = int(data.loc[g == 1, unit].nunique()) if unit else int((g == 1).sum())
    n0 = int(data.loc[g == 0, unit].nunique()) if unit else int((g == 0).sum())
    sizes = pd.DataFrame({"control": [n0], "treated": [n1]}, index=pd.Index(["used"], name="sample"))
    return EffectResult(
        method="wald_did", estimand=ESTIMAND, outcome=outcome, estimate=float(fit["estimate"]),  # type: ignore[arg-type]
        std_error=float(errors.se), ci=(lo, hi), p_value=pval, inference=errors.inference, n_treated=n1, n_control=n0,
        alpha=float(alpha), sample_sizes=sizes,
        diagnostics={"did_outcome": fit["did_y"], "did_take_up": did_d, "first_stage_t": t_first,
                     "cells": _cells_table(fit, fit["cell"])},  # type: ignore[arg-type]
        spec={"outcome": outcome, "group": group, "post": post, "treatment_take_up": treatment_take_up, "unit": unit,
              "se": inference.to_dict(), "alpha": alpha},
        notes=tuple(notes), influence=psi,  # type: ignore[arg-type]
    )
