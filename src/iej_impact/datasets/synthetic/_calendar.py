"""The synthetic cohort's calendar: periods, (pseudo-)entry dates and birth dates.

Integer ``period`` = months since 2013-01 inclusive (2013-01 = 1, 2014-01 = 13, 2015-12 = 36).
Participants enter in periods 13-36 with weights ``1 / (1 + exp(-(k - 6) / 3))`` for k = 0..23 (the
programme ramps up through 2014) on a uniform day of the month; comparison youths get a pseudo-entry
from the same distribution. Birth dates are uniform among the days that give the drawn completed age
at entry. The extracts (MDFSE, i-milo) are dated 31/12/2015. Full specification: the docstring of
:mod:`iej_impact.datasets.synthetic._cohort`.
"""

from __future__ import annotations

import numpy as np

from ._exact import _exp, _normalized

#: period p is the month _PERIOD_ORIGIN + p: period 1 = 2013-01, 13 = 2014-01, 36 = 2015-12
_PERIOD_ORIGIN = np.datetime64("2012-12", "M")
FIRST_ENTRY_PERIOD = 13
LAST_ENTRY_PERIOD = 36
#: date of the MDFSE / i-milo extracts (the report's reference date)
EXTRACT_DATE = np.datetime64("2015-12-31", "D")
#: entries ramp up: weight of entry month k (k = 0 for 2014-01) is 1 / (1 + exp(-(k - 6) / 3))
_ENTRY_RAMP = {"midpoint_month_index": 6.0, "scale_months": 3.0}


def _months(period: np.ndarray | int) -> np.ndarray:
    """Period index -> numpy datetime64[M]."""
    return _PERIOD_ORIGIN + np.asarray(period, dtype=np.int64)


def _month_start(period: np.ndarray | int) -> np.ndarray:
    """Period index -> first day of the month as datetime64[us] (pandas' default resolution)."""
    return _months(period).astype("datetime64[D]").astype("datetime64[us]")


def _month_of_year(period: np.ndarray) -> np.ndarray:
    """Month of the year (1-12) of each period."""
    return (np.asarray(period) - 1) % 12 + 1


def _entry_weights() -> np.ndarray:
    """Probabilities of the entry periods 13..36 (the logistic ramp-up, normalised)."""
    k = np.arange(LAST_ENTRY_PERIOD - FIRST_ENTRY_PERIOD + 1, dtype=float)
    w = 1.0 / (1.0 + _exp(-(k - _ENTRY_RAMP["midpoint_month_index"]) / _ENTRY_RAMP["scale_months"]))
    return _normalized(w)


def _draw_entry(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Entry period (13..36, ramping up) and entry date (uniform day within the month)."""
    period = FIRST_ENTRY_PERIOD + rng.choice(LAST_ENTRY_PERIOD - FIRST_ENTRY_PERIOD + 1, size=n, p=_entry_weights())
    start = _months(period).astype("datetime64[D]")
    days = ((_months(period) + 1).astype("datetime64[D]") - start).astype(np.int64)
    date = start + np.floor(rng.random(n) * days).astype(np.int64)
    return period.astype(np.int64), date


def _birth_dates(rng: np.random.Generator, entry: np.ndarray, age: np.ndarray) -> np.ndarray:
    """Birth dates such that the completed age at ``entry`` is exactly ``age`` (entries are 2014-2015)."""
    month = entry.astype("datetime64[M]")
    day = (entry - month.astype("datetime64[D]")).astype(np.int64)
    # same month and day, ``age`` (resp. age + 1) years earlier; entry days are never 29 February
    latest = (month - 12 * age).astype("datetime64[D]") + day
    earliest = (month - 12 * (age + 1)).astype("datetime64[D]") + day + 1
    span = (latest - earliest).astype(np.int64) + 1
    return earliest + np.floor(rng.random(entry.size) * span).astype(np.int64)


def _add_months(dates: np.ndarray, months: int) -> np.ndarray:
    """The same day ``months`` later, or the last day of that month when it is shorter."""
    m = dates.astype("datetime64[M]")
    day = (dates - m.astype("datetime64[D]")).astype(np.int64)
    target = m + months
    last = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(np.int64) - 1
    return target.astype("datetime64[D]") + np.minimum(day, last)
