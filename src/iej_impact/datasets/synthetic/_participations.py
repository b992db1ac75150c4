"""The synthetic cohort's participations (canonical ``participations`` table, as in MDFSE), as of the
31/12/2015 extract.

One row per participation, sorted by person then entry date. Each participant has a first
participation in an operation of :mod:`._operations`; the programme lasts 30 + floor(335 Beta(2.5,
1.5)) days, so about 55 % of participants have exited by the extract date (report: 7 040 of 12 740)
and every exit is within 12 months. 80 % of repérage leavers enter the mission locale of their
territory 1-45 days later (a second participation, with its own duration and an exit cell drawn at
random; about 1-2 % of persons). Pôle emploi registration at entry has probability 0.70 for the
unemployed and 0.10 for the inactive. How participations end (exit fields, 6-month survey):
:mod:`._exits`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd

from ._calendar import EXTRACT_DATE
from ._columns import _dates, _ids, _nullable_bool, _nullable_int, _text
from ._exits import _assign_exit_cells, _leaving_columns, _random_exit_cells, _survey_6m
from ._operations import _assign_operations, _mission_locale_rows

#: programme duration in days = 30 + floor(335 * Beta(a, b)) (so every exit is within 12 months)
_DURATION = {"min_days": 30, "span_days": 335, "beta_a": 2.5, "beta_b": 1.5}
#: probability of being registered with Pôle emploi at entry, by labour-market status
_PE_REGISTERED = {"UNEMPLOYED": 0.70, "INACTIVE": 0.10}
_SECOND_PARTICIPATION_PROBABILITY = 0.8  # repérage leavers who go on to their mission locale
_SECOND_ENTRY_GAP_DAYS = (1, 45)


@dataclass
class _Spells:
    """Participation rows (dates are datetime64[D]); ``cell`` indexes ``_EXIT_CELLS``, -1 before exit."""

    person: np.ndarray  # row of the person among the persons (participants first)
    first: np.ndarray  # the person's first participation
    entry: np.ndarray
    exit: np.ndarray
    exited: np.ndarray  # exit on or before the extract date
    operation: np.ndarray  # row in the operations table
    cell: np.ndarray

    def followed_by(self, other: _Spells) -> _Spells:
        """These rows, then ``other``'s."""
        return _Spells(**{f.name: np.concatenate([getattr(self, f.name), getattr(other, f.name)])
                          for f in fields(_Spells)})


def _draw_durations(rng: np.random.Generator, n: int) -> np.ndarray:
    """Programme durations in days: 30 + floor(335 Beta(2.5, 1.5))."""
    d = _DURATION
    return d["min_days"] + np.floor(d["span_days"] * rng.beta(d["beta_a"], d["beta_b"], n)).astype(np.int64)


def _participations(
    rng: np.random.Generator,
    ops: pd.DataFrame,
    person_id: pd.api.extensions.ExtensionArray,
    cov: Mapping[str, np.ndarray],
    territory: np.ndarray,
    entry: np.ndarray,
    birth: np.ndarray,
    exit_date: np.ndarray,
    sim: Mapping[str, Any],
    n1: int,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Canonical participations as of the 31/12/2015 extract, the operation row of each
    participant's first participation and each participant's number of participations.

    ``exit_date`` is the (possibly future) end of each participant's first programme; ``sim`` holds
    the register states the month after exit and 6 months after exit (:mod:`._monthly_outcomes`).
    """
    op1, family = _assign_operations(rng, ops, territory[:n1], entry[:n1])
    pe_registered = rng.random(n1) < np.where(cov["unemployed_entry"][:n1] == 1, _PE_REGISTERED["UNEMPLOYED"],
                                              _PE_REGISTERED["INACTIVE"])
    exited = exit_date <= EXTRACT_DATE
    leavers = np.flatnonzero(exited)
    cell1 = np.full(n1, -1, dtype=np.int64)
    cell1[leavers] = _assign_exit_cells(rng, sim["exit_next"]["employed"][leavers].astype(float),
                                        sim["exit_next"]["in_training"][leavers].astype(float))
    first = _Spells(person=np.arange(n1), first=np.ones(n1, dtype=bool), entry=entry[:n1], exit=exit_date,
                    exited=exited, operation=op1, cell=cell1)
    second = _second_spells(rng, ops, family, territory[:n1], exit_date, exited)
    spells = first.followed_by(second)
    leaving = _leaving_columns(rng, spells.cell, spells.exit, spells.exited)
    survey = _survey_6m(rng, spells.first & spells.exited, spells.person, spells.exit, leaving["exit_status_eu"],
                        leaving["exit_status_fr"], sim["exit_6m"])
    frame = _participations_frame(spells, leaving, survey, person_id, cov, birth, pe_registered, ops)
    n_parts = np.ones(n1, dtype=np.int64)
    n_parts[second.person] += 1
    return frame, op1, n_parts


def _second_spells(rng: np.random.Generator, ops: pd.DataFrame, family: np.ndarray, territory: np.ndarray,
                   exit_date: np.ndarray, exited: np.ndarray) -> _Spells:
    """Second participations: repérage leavers who enter the mission locale of their territory."""
    n1 = exit_date.size
    gap = rng.integers(_SECOND_ENTRY_GAP_DAYS[0], _SECOND_ENTRY_GAP_DAYS[1] + 1, size=n1)
    entry_all = exit_date + gap
    second = ((family == "REPERAGE") & exited & (entry_all <= EXTRACT_DATE)
              & (rng.random(n1) < _SECOND_PARTICIPATION_PROBABILITY))
    person = np.flatnonzero(second)
    duration = _draw_durations(rng, person.size)
    entry = entry_all[person]
    exit_ = entry + duration
    exited2 = exit_ <= EXTRACT_DATE
    cell = np.where(exited2, _random_exit_cells(rng, person.size), -1)
    return _Spells(person=person, first=np.zeros(person.size, dtype=bool), entry=entry, exit=exit_, exited=exited2,
                   operation=_mission_locale_rows(ops)[territory[person]], cell=cell)


def _participations_frame(spells: _Spells, leaving: Mapping[str, np.ndarray], survey: Mapping[str, np.ndarray],
                          person_id: pd.api.extensions.ExtensionArray, cov: Mapping[str, np.ndarray],
                          birth: np.ndarray, pe_registered: np.ndarray, ops: pd.DataFrame) -> pd.DataFrame:
    """The participations table: one row per participation, sorted by person then entry date."""
    pidx = spells.person
    m = pidx.size
    unemployed = cov["unemployed_entry"][pidx] == 1
    frame = pd.DataFrame({
        "person_id": person_id[pidx],
        "operation_id": ops["operation_id"].to_numpy()[spells.operation],
        "entry_date": _dates(spells.entry),
        "exit_date": _dates(spells.exit, spells.exited),
        "sex": np.where(cov["female"][pidx] == 1, "F", "M"),
        "birth_date": _dates(birth[pidx]),
        "lm_status_entry": np.where(unemployed, "UNEMPLOYED", "INACTIVE"),
        "unemp_duration_months": _nullable_int(cov["unemp_duration_months"][pidx], unemployed),
        "in_education_training_entry": np.zeros(m, dtype=bool),
        "pe_registered_entry": pe_registered[pidx],
        "national_level": cov["national_level"][pidx],
        "isced_entry": cov["isced"][pidx],
        "hh_jobless": cov["jobless_household"][pidx].astype(bool),
        "hh_dependent_children": cov["hh_dependent_children"][pidx].astype(bool),
        "hh_single_adult": cov["hh_single_adult"][pidx].astype(bool),
        "disability_rqth": cov["disability"][pidx].astype(bool),
        "social_minima": cov["social_minima"][pidx].astype(bool),
        "homeless": cov["homeless"][pidx].astype(bool),
        "rural": cov["rural"][pidx].astype(bool),
        "qpv_resident": cov["qpv_resident"][pidx].astype(bool),
        "exit_reason": leaving["exit_reason"],
        "exit_status_fr": leaving["exit_status_fr"],
        "exit_status_eu": leaving["exit_status_eu"],
        "exit_status_date": _dates(leaving["exit_status_date"], spells.exited),
        "offer_received_at_exit": _nullable_bool(leaving["offer"], leaving["offer_known"]),
        "offer_type": leaving["offer_type"],
        "qualification_gained": _nullable_bool(leaving["qualification"], spells.exited),
        "status_6m": survey["status_6m"],
        "status_6m_date": _dates(survey["status_6m_date"], survey["sampled"]),
        "sample_weight_6m": survey["sample_weight_6m"],
        "source": "MDFSE",
        "extract_date": np.full(m, _dates(np.array([EXTRACT_DATE]))[0]),
    })
    for c in ("exit_reason", "exit_status_fr", "exit_status_eu", "offer_type", "status_6m"):
        frame[c] = _text(frame[c])
    order = np.lexsort((spells.entry, pidx))
    frame = frame.iloc[order].reset_index(drop=True)
    frame.insert(0, "participation_id", _ids({"PA": m}))
    return frame
