"""The synthetic cohort's person-level tables: the analysis-ready ``persons`` and the comparison cohort.

``persons`` has one row per person (participants ``P...`` then comparison youths ``C...``): entry
date and period, covariates, territory, ``emp_months_pre12``, the first operation and the number of
participations, and the observed outcomes (y1 for participants, y0 for comparison youths). The
comparison cohort is the i-milo style ``comparison_cohort`` table: NEET youths followed by the same missions locales,
eligible and never contaminated (no comparison youth ever enters the programme).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ._calendar import EXTRACT_DATE, _month_start
from ._columns import _dates, _nullable_int, _text
from ._outcome_model import OUTCOMES

_PERSON_COVARIATES = (
    "female", "age", "isced", "isced_0_2", "isced_0_4", "national_level", "jobless_household", "disability",
    "social_minima", "homeless", "qpv_resident", "rural", "hh_dependent_children", "hh_single_adult",
)


def _observed(po: Mapping[str, tuple[np.ndarray, ...]], name: str, treated: np.ndarray) -> np.ndarray:
    """The observed outcome: y1 for participants, y0 for comparison youths."""
    _, _, y0, y1 = po[name]
    return np.where(treated == 1, y1, y0).astype(np.int8)


def _persons_frame(person_id: pd.api.extensions.ExtensionArray, treated: np.ndarray, entry: np.ndarray, g: np.ndarray,
                   cov: Mapping[str, np.ndarray], territory_id: np.ndarray, sim: Mapping[str, Any],
                   ops: pd.DataFrame, first_op: np.ndarray, n_parts: np.ndarray, n1: int) -> pd.DataFrame:
    """The analysis-ready person table (participants then comparison youths)."""
    n = person_id.size
    cols: dict[str, Any] = {
        "person_id": person_id,
        "treated": treated,
        "entry_date": _dates(entry),
        "month": _month_start(g),
        "entry_period": g.astype(np.int64),
        "first_treat_period": np.where(treated == 1, g, np.nan).astype(np.float64),
    }
    for name in _PERSON_COVARIATES:
        cols[name] = cov[name]
    cols["lm_status_entry"] = np.where(cov["unemployed_entry"] == 1, "UNEMPLOYED", "INACTIVE")
    cols["unemployed_entry"] = cov["unemployed_entry"]
    cols["unemp_duration_months"] = cov["unemp_duration_months"].astype(np.int64)
    cols["territory_id"] = territory_id
    cols["emp_months_pre12"] = sim["emp_pre12"].astype(np.int64)
    op_id = np.full(n, None, dtype=object)
    op_id[:n1] = ops["operation_id"].to_numpy()[first_op]
    action = np.full(n, None, dtype=object)
    action[:n1] = ops["action_type"].to_numpy()[first_op]
    cols["operation_id"] = _text(op_id)
    cols["action_type"] = _text(action)
    cols["n_participations"] = np.concatenate([n_parts, np.zeros(n - n1, dtype=np.int64)])
    for name in OUTCOMES:
        cols[name] = _observed(sim["po"], name, treated)
    frame = pd.DataFrame(cols)
    for c in ("national_level", "lm_status_entry", "territory_id"):
        frame[c] = frame[c].astype("str")
    return frame


def _comparison_frame(person_id: pd.api.extensions.ExtensionArray, entry: np.ndarray, cov: Mapping[str, np.ndarray],
                      territory_id: np.ndarray, birth: np.ndarray, emp_pre12: np.ndarray, n1: int) -> pd.DataFrame:
    """Canonical comparison cohort: NEETs followed by the same missions locales, never treated."""
    c = {k: v[n1:] for k, v in cov.items()}
    n = person_id.size
    unemployed = c["unemployed_entry"] == 1
    frame = pd.DataFrame({
        "person_id": person_id,
        "source": "IMILO",
        "extract_date": np.full(n, _dates(np.array([EXTRACT_DATE]))[0]),
        "pseudo_entry_date": _dates(entry),
        "eligible": np.ones(n, dtype=bool),
        "territory_id": territory_id,
        "sex": np.where(c["female"] == 1, "F", "M"),
        "birth_date": _dates(birth),
        "national_level": c["national_level"],
        "isced_entry": c["isced"],
        "lm_status_entry": np.where(unemployed, "UNEMPLOYED", "INACTIVE"),
        "unemp_duration_months": _nullable_int(c["unemp_duration_months"], unemployed),
        "hh_jobless": c["jobless_household"].astype(bool),
        "hh_dependent_children": c["hh_dependent_children"].astype(bool),
        "hh_single_adult": c["hh_single_adult"].astype(bool),
        "disability_rqth": c["disability"].astype(bool),
        "social_minima": c["social_minima"].astype(bool),
        "homeless": c["homeless"].astype(bool),
        "rural": c["rural"].astype(bool),
        "qpv_resident": c["qpv_resident"].astype(bool),
        "emp_months_pre12": emp_pre12.astype(np.int64),
        "contaminated": np.zeros(n, dtype=bool),
        "contamination_date": np.full(n, np.datetime64("NaT", "us")),
    })
    for col in ("person_id", "territory_id", "national_level"):
        frame[col] = frame[col].astype("str")
    return frame
