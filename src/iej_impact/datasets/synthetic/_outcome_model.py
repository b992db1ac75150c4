"""The synthetic cohort's outcome model: potential-outcome probabilities on the logit scale.

For outcome k in {employed, in_training}, person i with (pseudo-)entry period g_i, at event time e
(calendar period t = g_i + e)::

    index_ik = a_k + b_k'X_i + c_k (age_i - 20) + tau_k[territory_i] + u_ik                      (1)
    logit p0_ikt = index_ik + trend_k (t - 25) / 12 + season_k(t) + c_k e / 12
                   + D_i * dip(e) * 1{k = employed}                                               (2)
    logit p1_ikt = logit p0_ikt + h_ik * b_k(e)                                                   (3)

Assumptions: X = ``ADJUSTMENT_COVARIATES`` (disadvantage lowers employment); u_ik and the territory
effects tau_k are normal, independent of treatment and of X; a common calendar trend and
seasonality; a transitory Ashenfelter dip for participants before entry (both potential outcomes);
no anticipation (b_k(e) = 0 for e < 0); employment effects with a lock-in then growth to a plateau,
training effects high during the programme then decaying; heterogeneity h_ik by entry cohort,
education, household, sex and age. The parameters and what they identify: the docstring of
:mod:`iej_impact.datasets.synthetic._cohort` (Outcome model).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ._calendar import FIRST_ENTRY_PERIOD, LAST_ENTRY_PERIOD, _month_of_year
from ._exact import _exp
from ._population import ADJUSTMENT_COVARIATES

#: the cross-sectional outcomes of ``persons``: the panel state at event time 6, 12 or 18 (``_OUTCOME_SOURCE``)
OUTCOMES: tuple[str, ...] = ("employed_6m", "employed_12m", "employed_18m", "training_6m", "training_12m")
#: the monthly outcomes of the panel, one AR(1) chain of uniforms each
PANEL_OUTCOMES: tuple[str, ...] = ("employed", "in_training")
_OUTCOME_SOURCE: dict[str, tuple[str, int]] = {
    "employed_6m": ("employed", 6),
    "employed_12m": ("employed", 12),
    "employed_18m": ("employed", 18),
    "training_6m": ("in_training", 6),
    "training_12m": ("in_training", 12),
}

#: period at which the calendar trend is zero (2015-01)
_TREND_CENTRE = 25
#: coefficients of equations (1)-(2) by outcome, the standard deviations of u and of the territory
#: effects, and the persistence of the monthly uniforms
_OUTCOME_MODEL: dict[str, dict[str, float]] = {
    "employed": {
        "intercept": -0.20,
        "female": -0.15,
        "age": 0.08,  # per year of age at the month, centred at 20
        "isced_0_2": -0.45,
        "isced_0_4": -0.35,
        "jobless_household": -0.30,
        "disability": -0.60,
        "social_minima": -0.35,
        "homeless": -0.50,
        "qpv_resident": -0.25,
        "rural": -0.10,
        "unemployed_entry": 0.20,
        "unemp_duration_months": -0.025,
        "sd_u": 0.70,
        "sd_territory": 0.15,
        "trend_per_year": 0.08,
        "ar1_rho": 0.60,
    },
    "in_training": {
        "intercept": -1.70,
        "female": 0.10,
        "age": -0.18,
        "isced_0_2": -0.20,
        "isced_0_4": 0.30,
        "jobless_household": -0.15,
        "disability": 0.20,
        "social_minima": -0.20,
        "homeless": -0.40,
        "qpv_resident": -0.10,
        "rural": -0.15,
        "unemployed_entry": 0.10,
        "unemp_duration_months": -0.010,
        "sd_u": 0.50,
        "sd_territory": 0.10,
        "trend_per_year": 0.0,
        "ar1_rho": 0.60,
    },
}
_EMPLOYMENT_SEASON_AMPLITUDE = 0.12  # amplitude * sin(2 pi (month_of_year - 4) / 12): peak in July
_TRAINING_SEASON = {"july_august": -0.30, "other_months": 0.06}  # sums to zero over a year
#: Ashenfelter dip: added to participants' employment logit at event times -3, -2, -1 (both Y(0) and Y(1))
_DIP: dict[int, float] = {-3: -0.40, -2: -0.80, -1: -1.20}
#: effect paths b(e) on the logit scale (multiplied by the person's heterogeneity factor h)
_EFFECT_PATHS: dict[str, dict[str, Any]] = {
    "employed": {"lock_in": {0: -0.30, 1: -0.22, 2: -0.10}, "plateau": 0.26, "growth_months": 4.0},
    "in_training": {"programme_months": 6, "in_programme": 1.10, "plateau": 0.25, "decay_months": 3.0},
}
#: h = cohort(g) * (1 + sum_k m_k * x_k) with x_k in {isced_0_2, jobless_household, female, age - 20};
#: cohort(g) = start + slope * (g - 13) / 23, i.e. 1.3 for January 2014 entrants down to 0.7 for December 2015
_HETEROGENEITY: dict[str, Any] = {
    "cohort": {"start": 1.30, "slope": -0.60},
    "employed": {"isced_0_2": 1.00, "jobless_household": 0.60, "female": -0.25, "age_minus_20": -0.10},
    "in_training": {"isced_0_2": 0.0, "jobless_household": 0.0, "female": 0.30, "age_minus_20": 0.0},
}


def _person_index(kind: str, cov: Mapping[str, np.ndarray], territory: np.ndarray, territory_effect: np.ndarray,
                  u: np.ndarray) -> np.ndarray:
    """The time-invariant part of each person's logit, index_ik of equation (1)."""
    m = _OUTCOME_MODEL[kind]
    out = m["intercept"] + m["age"] * (cov["age"] - 20.0) + territory_effect[territory] + u
    for name in ADJUSTMENT_COVARIATES:
        if name != "age":
            out = out + m[name] * cov[name]
    return out


def _cohort_factor(g: np.ndarray) -> np.ndarray:
    """coh(g) = 1.3 - 0.6 (g - 13) / 23: early entrants benefit more than late ones."""
    c = _HETEROGENEITY["cohort"]
    return c["start"] + c["slope"] * (np.asarray(g, dtype=float) - FIRST_ENTRY_PERIOD) / (
        LAST_ENTRY_PERIOD - FIRST_ENTRY_PERIOD
    )


def _heterogeneity(kind: str, g: np.ndarray, cov: Mapping[str, np.ndarray]) -> np.ndarray:
    """Person-level effect multiplier h_i (entry cohort x education x household x sex x age)."""
    m = _HETEROGENEITY[kind]
    scale = (1.0 + m["isced_0_2"] * cov["isced_0_2"] + m["jobless_household"] * cov["jobless_household"]
             + m["female"] * cov["female"] + m["age_minus_20"] * (np.asarray(cov["age"], dtype=float) - 20.0))
    return _cohort_factor(g) * scale


def _effect_path(kind: str, e: np.ndarray | int) -> np.ndarray:
    """Effect b(e) on the logit scale at event time e (0 before entry: no anticipation)."""
    e = np.asarray(e, dtype=float)
    p = _EFFECT_PATHS[kind]
    if kind == "employed":
        lock = np.zeros_like(e)
        for month, value in p["lock_in"].items():
            lock = np.where(e == month, value, lock)
        n_lock = len(p["lock_in"])
        grow = p["plateau"] * (1.0 - _exp(-(e - (n_lock - 1)) / p["growth_months"]))
        out = np.where(e < n_lock, lock, grow)
    else:
        after = p["plateau"] + (p["in_programme"] - p["plateau"]) * _exp(
            -(e - (p["programme_months"] - 1)) / p["decay_months"]
        )
        out = np.where(e < p["programme_months"], p["in_programme"], after)
    return np.where(e < 0, 0.0, out)


def _dip(e: np.ndarray | int) -> np.ndarray:
    """The Ashenfelter dip added to participants' employment logit at event times -3, -2, -1."""
    e = np.asarray(e)
    out = np.zeros(e.shape, dtype=float)
    for month, value in _DIP.items():
        out = np.where(e == month, value, out)
    return out


def _season(kind: str, period: np.ndarray) -> np.ndarray:
    """Seasonality: a sine peaking in July (employment), a July-August trough (training)."""
    moy = _month_of_year(period)
    if kind == "employed":
        return _EMPLOYMENT_SEASON_AMPLITUDE * np.sin(2.0 * np.pi * (moy - 4) / 12.0)
    return np.where((moy == 7) | (moy == 8), _TRAINING_SEASON["july_august"], _TRAINING_SEASON["other_months"])


def _calendar_term(kind: str, period: np.ndarray) -> np.ndarray:
    """Common calendar trend + seasonality at each period (computed once per distinct period)."""
    period = np.asarray(period, dtype=np.int64)
    lo, hi = int(period.min()), int(period.max())
    grid = np.arange(lo, hi + 1)
    table = _OUTCOME_MODEL[kind]["trend_per_year"] * (grid - _TREND_CENTRE) / 12.0 + _season(kind, grid)
    return table[period - lo]


def _logits(
    kind: str,
    index: np.ndarray,
    treated: np.ndarray,
    h: np.ndarray,
    g: np.ndarray,
    e: np.ndarray | int,
) -> tuple[np.ndarray, np.ndarray]:
    """Logits of p0 and p1 at event time e (scalar or array) for persons with time-invariant ``index``.

    ``index`` = intercept + beta'X + beta_age (age at entry - 20) + territory effect + u (module
    docstring, equation (1)); the calendar trend and seasonality at t = g + e, the ageing
    beta_age * e / 12, the dip (participants, employment) and the effect h * b(e) are added here.
    """
    m = _OUTCOME_MODEL[kind]
    l0 = index + _calendar_term(kind, g + np.asarray(e)) + m["age"] * np.asarray(e, dtype=float) / 12.0
    if kind == "employed":
        l0 = l0 + treated * _dip(e)
    l1 = l0 + h * _effect_path(kind, e)
    return l0, l1
