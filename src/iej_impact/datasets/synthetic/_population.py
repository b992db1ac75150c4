"""Who the synthetic persons are: the covariates of each arm, their education and age.

Each arm (participants, comparison youths) has its own covariate distribution; within an arm the
binary covariates are correlated through a latent disadvantage z ~ N(0, 1):
x = 1{l z + sqrt(1 - l^2) eps > Phi^-1(1 - share)}, which reproduces each share exactly in
expectation. Education is an ordered latent (-0.5 z + noise) cut at the arm's ISCED quantiles; the
French national level follows the report's correspondence. Age at entry is a minimum by ISCED group
plus a binomial, so every age is 16-25; unemployment duration (UNEMPLOYED only) is a capped
exponential scaled by exp(0.25 z). Persons live in one of 20 mission-locale territories, with the
same distribution in both arms. Shares and their sources: the docstring of
:mod:`iej_impact.datasets.synthetic._cohort` (Populations and covariates).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import ndtri

from ._exact import _exp

#: the covariates whose distribution differs between the arms AND that enter Y(0): adjusting for
#: all of them (with a flexible enough model) identifies every effect of the cohort
ADJUSTMENT_COVARIATES: tuple[str, ...] = (
    "female",
    "age",
    "isced_0_2",
    "isced_0_4",
    "jobless_household",
    "disability",
    "social_minima",
    "homeless",
    "qpv_resident",
    "rural",
    "unemployed_entry",
    "unemp_duration_months",
)

#: binary covariates: (share among participants, share among comparison youths, loading on the
#: latent disadvantage z). x = 1{loading * z + sqrt(1 - loading^2) * e > Phi^-1(1 - share)}, z, e ~ N(0, 1)
_BINARY_COVARIATES: dict[str, tuple[float, float, float]] = {
    "female": (0.436, 0.490, 0.0),
    "jobless_household": (0.202, 0.140, 0.5),
    "disability": (0.027, 0.018, 0.25),
    "social_minima": (0.053, 0.035, 0.5),
    "homeless": (0.033, 0.018, 0.45),
    "qpv_resident": (0.300, 0.220, 0.4),
    "rural": (0.140, 0.170, -0.2),
    "unemployed_entry": (0.720, 0.780, 0.0),
    "hh_dependent_children": (0.090, 0.070, 0.2),
    "hh_single_adult": (0.050, 0.040, 0.3),
}
#: ISCED level 0..8 distribution (report's correspondence: French level V inside CITE 0-2)
_ISCED_PMF: dict[str, tuple[float, ...]] = {
    # CITE 0-2 = 0.600, CITE 0-4 = 0.947 (report, NPdC participants)
    "participants": (0.040, 0.060, 0.500, 0.330, 0.017, 0.035, 0.015, 0.003, 0.0),
    # CITE 0-2 = 0.480, CITE 0-4 = 0.880
    "comparison": (0.030, 0.050, 0.400, 0.370, 0.030, 0.080, 0.035, 0.005, 0.0),
}
#: education latent = -loading * z + sqrt(1 - loading^2) * e, cut at the arm's ISCED quantiles
_EDUCATION_LOADING = 0.5
#: age at entry = min_age[ISCED group] + Binomial(25 - min_age, p[arm])
_AGE_MODEL: dict[str, dict[str, float]] = {
    "min_age_by_isced_group": {"0-2": 16, "3-4": 17, "5-8": 20},
    "binomial_p": {"participants": 0.40, "comparison": 0.47},
}
#: months of unemployment at entry (UNEMPLOYED only): floor(Exp(mean[arm] * exp(0.25 z - 0.25^2/2))), capped
_UNEMP_DURATION: dict[str, Any] = {"mean_months": {"participants": 8.0, "comparison": 5.5}, "loading": 0.25, "cap": 36}
#: national level from ISCED (the report's grouping, which counts level V in ISCED 0-2; strict ISCED 2011 puts it in 3)
_NATIONAL_LEVEL = {0: "VI", 1: "VI", 3: "IV", 4: "IV", 5: "III", 6: "II", 7: "I", 8: "I"}
_ISCED2_VBIS_SHARE = 0.45  # ISCED 2 -> VBIS with this probability, else V
_N_TERRITORIES = 20


def _latent_binary(rng: np.random.Generator, z: np.ndarray, share: float, loading: float) -> np.ndarray:
    """1{loading z + sqrt(1 - loading^2) eps > Phi^-1(1 - share)}: the share in expectation, correlated through z."""
    latent = loading * z + np.sqrt(1.0 - loading**2) * rng.standard_normal(z.size)
    return (latent > ndtri(1.0 - share)).astype(np.int8)


def _draw_arm(rng: np.random.Generator, n: int, arm: str) -> dict[str, np.ndarray]:
    """Covariates of one arm ('participants' or 'comparison'), correlated through a latent z.

    The draws come in a fixed order (it defines the data of a seed): z, the binary covariates in
    the order of ``_BINARY_COVARIATES``, the education latent, age, unemployment duration, then the
    VBIS / V split of ISCED 2.
    """
    col = 0 if arm == "participants" else 1
    z = rng.standard_normal(n)
    cov: dict[str, np.ndarray] = {}
    for name, spec in _BINARY_COVARIATES.items():
        cov[name] = _latent_binary(rng, z, spec[col], spec[2])
    isced = _draw_isced(rng, z, arm)
    cov["isced"] = isced
    cov["isced_0_2"] = (isced <= 2).astype(np.int8)
    cov["isced_0_4"] = (isced <= 4).astype(np.int8)
    cov["age"] = _draw_age(rng, isced, arm)
    cov["unemp_duration_months"] = np.where(cov["unemployed_entry"] == 1, _draw_unemployment_months(rng, z, arm), 0)
    cov["national_level"] = _draw_national_level(rng, isced)
    return cov


def _draw_isced(rng: np.random.Generator, z: np.ndarray, arm: str) -> np.ndarray:
    """ISCED level 0-8: an ordered latent (lower with disadvantage z) cut at the arm's ISCED quantiles."""
    edu = -_EDUCATION_LOADING * z + np.sqrt(1.0 - _EDUCATION_LOADING**2) * rng.standard_normal(z.size)
    cuts = ndtri(np.clip(np.cumsum(_ISCED_PMF[arm])[:-1], 0.0, 1.0))
    return np.searchsorted(cuts, edu, side="right").astype(np.int64)


def _draw_age(rng: np.random.Generator, isced: np.ndarray, arm: str) -> np.ndarray:
    """Age at entry: the ISCED group's minimum age + Binomial(25 - minimum, p[arm]), so 16-25."""
    group = np.where(isced <= 2, 0, np.where(isced <= 4, 1, 2))
    mins = _AGE_MODEL["min_age_by_isced_group"]
    min_age = np.array([mins["0-2"], mins["3-4"], mins["5-8"]], dtype=np.int64)[group]
    return min_age + rng.binomial(25 - min_age, _AGE_MODEL["binomial_p"][arm])


def _draw_unemployment_months(rng: np.random.Generator, z: np.ndarray, arm: str) -> np.ndarray:
    """Months of unemployment at entry: floor(Exp(1) * mean[arm] * exp(a z - a^2 / 2)), capped."""
    mean = _UNEMP_DURATION["mean_months"][arm]
    a = _UNEMP_DURATION["loading"]
    dur = np.floor(rng.exponential(1.0, z.size) * mean * _exp(a * z - a * a / 2.0))
    return np.minimum(dur, _UNEMP_DURATION["cap"]).astype(np.int64)


def _draw_national_level(rng: np.random.Generator, isced: np.ndarray) -> np.ndarray:
    """French national level from ISCED (the report's grouping); ISCED 2 is VBIS or V at random."""
    nat = np.empty(isced.size, dtype=object)
    for level, code in _NATIONAL_LEVEL.items():
        nat[isced == level] = code
    is2 = isced == 2
    nat[is2] = np.where(rng.random(int(is2.sum())) < _ISCED2_VBIS_SHARE, "VBIS", "V")
    return nat
