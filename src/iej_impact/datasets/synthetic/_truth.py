"""The truth of the synthetic cohort: true effects and the record of every data-generating parameter.

``truth``: for each outcome and estimand, ``value`` = mean of p1 - p0 over the estimand's population
(ATT: participants, ATC: comparison youths, ATE: everyone), i.e. the conditional-on-sample effect,
and ``value_realized`` = mean of y1 - y0 (one shared uniform draw). ``potential_outcomes`` holds p0,
p1, y0, y1 of each outcome and the person-level indices of the outcome model. The true ATT(g, t) of
the panel outcomes is accumulated during the monthly pass (:mod:`._monthly_outcomes`). ``params``
records every parameter of the data-generating process, JSON-safe, under the generator's public
name ``iej_impact.simulate_cohort`` (written to ``truth.json``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ...results import jsonable
from ._calendar import _ENTRY_RAMP, EXTRACT_DATE, FIRST_ENTRY_PERIOD, LAST_ENTRY_PERIOD, _entry_weights
from ._exact import _fsum
from ._exits import (
    _DROPOUT_FOR_JOB_SHARE,
    _EXIT_CELLS,
    _EXIT_SCORE_NOISE,
    _EXIT_STATUS_EU,
    _OFFER_PROBABILITY,
    _QUALIFICATION_PROBABILITY,
    _SURVEY_INCLUSION,
)
from ._monthly_outcomes import _CORE, _Latent
from ._operations import _APPRENTICESHIP_GROUP, _OPERATION_FAMILIES
from ._outcome_model import (
    _DIP,
    _EFFECT_PATHS,
    _EMPLOYMENT_SEASON_AMPLITUDE,
    _HETEROGENEITY,
    _OUTCOME_MODEL,
    _OUTCOME_SOURCE,
    _TRAINING_SEASON,
    _TREND_CENTRE,
    OUTCOMES,
)
from ._participations import _DURATION, _PE_REGISTERED, _SECOND_ENTRY_GAP_DAYS, _SECOND_PARTICIPATION_PROBABILITY
from ._population import (
    _AGE_MODEL,
    _BINARY_COVARIATES,
    _EDUCATION_LOADING,
    _ISCED2_VBIS_SHARE,
    _ISCED_PMF,
    _N_TERRITORIES,
    _NATIONAL_LEVEL,
    _UNEMP_DURATION,
    ADJUSTMENT_COVARIATES,
)

_ESTIMANDS = ("ATT", "ATE", "ATC")


def _truth_tables(person_id: pd.api.extensions.ExtensionArray, treated: np.ndarray, lat: _Latent,
                  po: Mapping[str, tuple[np.ndarray, ...]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``truth`` table (true ATT, ATE, ATC of each outcome) and the ``potential_outcomes`` table."""
    cols: dict[str, Any] = {
        "person_id": person_id,
        "treated": treated,
        "index_employed": lat.index["employed"],
        "index_training": lat.index["in_training"],
    }
    for name in OUTCOMES:
        p0, p1, y0, y1 = po[name]
        cols.update({f"p0_{name}": p0, f"p1_{name}": p1, f"y0_{name}": y0, f"y1_{name}": y1})
    return _truth_rows(_truth_sums(treated, po)), pd.DataFrame(cols)


def _truth_sums(treated: np.ndarray, po: Mapping[str, tuple[np.ndarray, ...]]
                ) -> dict[tuple[str, str], tuple[float, float, int]]:
    """(sum of p1 - p0, sum of y1 - y0, count) over each estimand's population, by (outcome, estimand).

    The sums are correctly rounded (``math.fsum``); sums of disjoint parts of a cohort add up
    (:func:`_add_truth_sums`), which is how the chunked writer gets the truth of the whole cohort.
    """
    populations = {"ATT": treated == 1, "ATE": np.ones(treated.size, dtype=bool), "ATC": treated == 0}
    out = {}
    for name in OUTCOMES:
        p0, p1, y0, y1 = po[name]
        for est in _ESTIMANDS:
            m = populations[est]
            out[name, est] = (_fsum(p1[m] - p0[m]), _fsum(y1[m].astype(np.float64) - y0[m]), int(m.sum()))
    return out


def _add_truth_sums(parts: list[dict[tuple[str, str], tuple[float, float, int]]]
                    ) -> dict[tuple[str, str], tuple[float, float, int]]:
    """The truth sums of the union of disjoint parts (the sums of the parts, correctly rounded)."""
    return {key: (_fsum(np.array([p[key][0] for p in parts])), _fsum(np.array([p[key][1] for p in parts])),
                  sum(p[key][2] for p in parts))
            for key in parts[0]}


def _truth_rows(sums: Mapping[tuple[str, str], tuple[float, float, int]]) -> pd.DataFrame:
    """The ``truth`` table: value = mean of p1 - p0 and value_realized = mean of y1 - y0 by (outcome, estimand)."""
    who = {"ATT": "participants", "ATE": "persons (participants and comparison youths)", "ATC": "comparison youths"}
    rows = []
    for name in OUTCOMES:
        kind, month = _OUTCOME_SOURCE[name]
        label = "employed" if kind == "employed" else "in training"
        for est in _ESTIMANDS:
            sum_p, sum_y, n = sums[name, est]
            rows.append({
                "outcome": name,
                "estimand": est,
                "value": sum_p / n,
                "value_realized": sum_y / n,
                "n": n,
                "definition": (f"{est}: mean over the {n} {who[est]} of p1 - p0, the probabilities of "
                               f"being {label} in the month of (pseudo-)entry + {month} with and without the IEJ; "
                               f"value_realized = mean of y1 - y0 (one shared uniform draw)"),
            })
    return pd.DataFrame(rows)


def _params(seed: int, n1: int, n0: int, ratio: float, panel: str, mb: int, ma: int,
            territory_weights: np.ndarray, territory_effect: Mapping[str, np.ndarray]) -> dict[str, Any]:
    """Every parameter of the data-generating process, JSON-safe."""
    params = {
        "generator": "iej_impact.simulate_cohort",
        "seed": seed,
        "n_participants": n1,
        "n_comparison": n0,
        "comparison_ratio": ratio,
        "panel": panel,
        "months_before": mb,
        "months_after": ma,
        "calendar": {
            "period_1": "2013-01",
            "entry_periods": [FIRST_ENTRY_PERIOD, LAST_ENTRY_PERIOD],
            "entry_ramp": _ENTRY_RAMP,
            "entry_weights": _entry_weights(),
            "extract_date": str(EXTRACT_DATE),
            "trend_centre_period": _TREND_CENTRE,
            "core_event_times": list(_CORE),
        },
        "covariates": {
            "binary": {k: {"participants": v[0], "comparison": v[1], "loading_on_z": v[2]}
                       for k, v in _BINARY_COVARIATES.items()},
            "isced_pmf": _ISCED_PMF,
            "education_loading_on_z": _EDUCATION_LOADING,
            "age": _AGE_MODEL,
            "unemp_duration": _UNEMP_DURATION,
            "national_level_from_isced": _NATIONAL_LEVEL,
            "isced2_vbis_share": _ISCED2_VBIS_SHARE,
            "territories": {"n": _N_TERRITORIES, "weights": territory_weights,
                            "effects": {k: v for k, v in territory_effect.items()}},
        },
        "outcome_model": _OUTCOME_MODEL,
        "seasonality": {"employed_amplitude": _EMPLOYMENT_SEASON_AMPLITUDE, "in_training": _TRAINING_SEASON},
        "dip": _DIP,
        "effect_paths": _EFFECT_PATHS,
        "heterogeneity": _HETEROGENEITY,
        "adjustment_covariates": list(ADJUSTMENT_COVARIATES),
        "bad_controls": ["emp_months_pre12"],
        "administration": {
            "duration": _DURATION,
            "exit_cells": [{"block": b, "exit_status_fr": s, "share": p} for b, s, p in _EXIT_CELLS],
            "exit_status_eu": _EXIT_STATUS_EU,
            "exit_score_noise": _EXIT_SCORE_NOISE,
            "dropout_for_job_share": _DROPOUT_FOR_JOB_SHARE,
            "offer_probability": _OFFER_PROBABILITY,
            "qualification_probability": _QUALIFICATION_PROBABILITY,
            "pe_registered": _PE_REGISTERED,
            "survey_inclusion": _SURVEY_INCLUSION,
            "operation_families": _OPERATION_FAMILIES,
            "second_participation_probability": _SECOND_PARTICIPATION_PROBABILITY,
            "second_entry_gap_days": list(_SECOND_ENTRY_GAP_DAYS),
            "apprenticeship_funding_group": _APPRENTICESHIP_GROUP,
        },
    }
    return jsonable(params)
