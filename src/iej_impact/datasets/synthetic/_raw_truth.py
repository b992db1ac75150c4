"""The truth of the raw extracts: true effects on the quarterly outcomes a configuration can build.

The employment register of :func:`~._raw_extracts.export_raw_extracts` is quarterly: a person is
employed in a quarter when employed in the quarter's **last month** (one rule, written in the
truth file). From the files a configuration can then build, for each person, the entry quarter
(the quarter of the participant's ``Date d'entrée``, of the comparison youth's first contact) and
the outcome "employed at the end of entry quarter + h". Its true effects are computed here from
the cohort's potential outcomes (:meth:`SyntheticCohort.panel_probabilities`), never written by
hand:

* ``horizons``: for h = 0 .. 6 and each estimand, the mean of p1 - p0 in the last month of entry
  quarter + h over the estimand's population (ATT: participants; ATC: comparison youths, at their
  pseudo-entry quarter; ATE: everyone);
* ``group_time``: ATT(g, t) = mean over the participants entering in quarter g of p1 - p0 in the
  last month of quarter t, for every quarter of the register (zero before entry by construction);
* ``dynamic``: for each event time e (quarters), the cohort-size-weighted mean of ATT(g, g + e) over
  the cohorts whose quarter g + e is in the register, as Callaway and Sant'Anna's ``dynamic``
  aggregation weighs them; ``dynamic_overall`` is the mean of the levels e >= 0, ``simple`` the
  cohort-size-weighted mean of every post-entry cell.

Quarters are integers ``4 * year + quarter - 1`` (the package's ``period:quarter`` convention).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ._exact import _mean

#: horizons (quarters after the entry quarter) whose true effects the truth file lists
TRUTH_HORIZONS = tuple(range(7))


def quarter_index(dates: pd.Series | np.ndarray) -> np.ndarray:
    """Quarter index ``4 * year + quarter - 1`` of dates (datetime64)."""
    d = pd.DatetimeIndex(np.asarray(dates, dtype="datetime64[us]"))
    return (4 * d.year + (d.month - 1) // 3).to_numpy(dtype=np.int64)


def quarter_label(index: np.ndarray | int) -> np.ndarray:
    """'2014T1' labels of quarter indexes (T for *trimestre*)."""
    idx = np.asarray(index, dtype=np.int64)
    return np.array([f"{i // 4}T{i % 4 + 1}" for i in idx.ravel().tolist()], dtype=object).reshape(idx.shape)


def _period_quarter(period: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Quarter index of each monthly period of the cohort (1 = 2013-01) and whether it is the quarter's last month."""
    p = np.asarray(period, dtype=np.int64)
    year = 2013 + (p - 1) // 12
    month = (p - 1) % 12 + 1
    return 4 * year + (month - 1) // 3, month % 3 == 0


def quarter_end_probabilities(cohort: Any) -> pd.DataFrame:
    """p0 and p1 of ``employed`` in the last month of each quarter: person_id, quarter, p0, p1."""
    probs = cohort.panel_probabilities()
    quarter, last = _period_quarter(probs["period"].to_numpy())
    return pd.DataFrame({
        "person_id": np.asarray(probs["person_id"], dtype=object)[last],
        "quarter": quarter[last],
        "p0": probs["p0_employed"].to_numpy()[last],
        "p1": probs["p1_employed"].to_numpy()[last],
    })


def raw_truth(cohort: Any, entry_quarter: pd.Series) -> dict[str, Any]:
    """True effects on the quarterly outcomes (see the module docstring).

    ``entry_quarter``: the (pseudo-)entry quarter index of every person of ``cohort.persons``,
    indexed by person_id (participants: their first entry; comparison youths: first contact).
    """
    q = quarter_end_probabilities(cohort)
    treated = cohort.persons.set_index("person_id")["treated"]
    q["entry_quarter"] = entry_quarter.reindex(q["person_id"]).to_numpy()
    q["treated"] = treated.reindex(q["person_id"]).to_numpy()
    q["effect"] = q["p1"] - q["p0"]
    q["h"] = q["quarter"] - q["entry_quarter"]
    n_persons = {"ATT": int((treated == 1).sum()), "ATC": int((treated == 0).sum()), "ATE": int(treated.size)}
    horizons = []
    for h in TRUTH_HORIZONS:
        at = q[q["h"] == h]
        for est, rows in (("ATT", at[at["treated"] == 1]), ("ATE", at), ("ATC", at[at["treated"] == 0])):
            if len(rows) != n_persons[est]:
                raise ValueError(f"the register does not cover entry quarter + {h} for every person "
                                 f"({len(rows)} of {n_persons[est]}); simulate the cohort with panel='balanced'.")
            horizons.append({"outcome": f"employed_q{h}", "horizon": h, "estimand": est,
                             "value": _mean(rows["effect"].to_numpy()), "n": len(rows)})
    part = q[q["treated"] == 1]
    cells = (part.groupby(["entry_quarter", "quarter"], sort=True)["effect"]
             .agg(att=lambda s: _mean(s.to_numpy()), n="size").reset_index())
    cells = cells.rename(columns={"entry_quarter": "group", "quarter": "time"})
    cells["event_time"] = cells["time"] - cells["group"]
    return {
        "horizons": horizons,
        "group_time": cells,
        **_aggregates(cells),
    }


def _aggregates(cells: pd.DataFrame) -> dict[str, Any]:
    """Callaway-Sant'Anna style aggregates of the true ATT(g, t) (weights: cohort sizes)."""
    dynamic = []
    for e, rows in cells.groupby("event_time", sort=True):
        w = rows["n"].to_numpy(dtype=float)
        dynamic.append({"event_time": int(e), "att": float(np.dot(w, rows["att"].to_numpy()) / w.sum()),
                        "n_cohorts": len(rows), "n": int(w.sum())})
    post = [d["att"] for d in dynamic if d["event_time"] >= 0]
    p = cells[cells["event_time"] >= 0]
    w = p["n"].to_numpy(dtype=float)
    return {
        "dynamic": pd.DataFrame(dynamic),
        "dynamic_overall": float(np.mean(post)),
        "simple": float(np.dot(w, p["att"].to_numpy()) / w.sum()),
    }
