"""The synthetic cohort's person x month panel (the canonical ``panel`` table).

``panel="window"``: each person from e = -months_before to e = +months_after around (pseudo-)entry
(unbalanced in calendar time, like register extracts around a reference date); ``"balanced"``: every
person over periods 13 - months_before .. 36 + months_after. Rows are sorted by person then period,
with compact dtypes (categorical person, group and territory; int8 flags; about 32 bytes per row).
The monthly outcomes come from :mod:`._monthly_outcomes`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ._calendar import _month_start


def _panel_frame(store: Mapping[str, np.ndarray], mode: str, person_id: pd.api.extensions.ExtensionArray,
                 treated: np.ndarray,
                 g: np.ndarray, cov: Mapping[str, np.ndarray], territory_id: np.ndarray, mb: int, ma: int,
                 span: tuple[int, int]) -> pd.DataFrame:
    """Person x month panel (canonical ``panel`` table), sorted by person then period, with compact dtypes."""
    n = person_id.size
    if mode == "window":
        width = mb + ma + 1
        codes = np.repeat(np.arange(n, dtype=np.int32), width)
        event_time = np.tile(np.arange(-mb, ma + 1, dtype=np.int32), n)
        period = g.astype(np.int32)[codes] + event_time
    else:
        width = span[1] - span[0] + 1
        codes = np.repeat(np.arange(n, dtype=np.int32), width)
        period = np.tile(np.arange(span[0], span[1] + 1, dtype=np.int32), n)
        event_time = period - g.astype(np.int32)[codes]
    lo = int(period.min())
    months = _month_start(np.arange(lo, int(period.max()) + 1))
    is_treated = treated[codes]
    territories = pd.Index(sorted(set(territory_id.tolist())), dtype="str")
    frame = pd.DataFrame({
        "person_id": pd.Categorical.from_codes(codes, categories=pd.Index(person_id, dtype="str")),
        "period": period.astype(np.int32),
        "month": months[period - lo],
        "event_time": event_time.astype(np.int8),
        "group": pd.Categorical.from_codes((1 - is_treated).astype(np.int8), categories=["TREATED", "COMPARISON"]),
        "first_treat_period": np.where(is_treated == 1, g[codes], np.nan).astype(np.float32),
        "treated": is_treated.astype(np.int8),
        "post": (event_time >= 0).astype(np.int8),
        "treated_post": (is_treated * (event_time >= 0)).astype(np.int8),
        "employed": store["employed"].T.ravel(),
        "in_training": store["in_training"].T.ravel(),
        "territory_id": pd.Categorical.from_codes(territories.get_indexer(territory_id)[codes].astype(np.int8),
                                                  categories=territories),
        "female": cov["female"][codes].astype(np.int8),
        "age": cov["age"][codes].astype(np.int8),
        "isced_0_2": cov["isced_0_2"][codes].astype(np.int8),
        "jobless_household": cov["jobless_household"][codes].astype(np.int8),
    })
    return frame
