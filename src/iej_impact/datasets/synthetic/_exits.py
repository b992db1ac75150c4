"""How the synthetic participants leave the programme: exit cells, exit fields and the 6-month survey.

Leavers' shares follow the 2015 report, whose figures do not add up (1 083 + 4 009 + 1 939 = 7 031
of 7 040 leavers): drop-outs 15.4 % (half SANS_SOLUTION, half RECHERCHE_EMPLOI), positive exits
56.9 % (durable employment 31 %, other employment 7 %, training 10 % + studies 4 %, the 4.9 pp gap
as business creation 1 % and apprenticeship 3.9 %), no solution at the end 27.5 % and 9 records
unknown. First participations get exact counts (largest remainders), coherent with the register:
employment exits go to the leavers ranked highest on employed-the-month-after-exit + 0.7 U(0, 1),
training exits to the next on in-training + noise. 15 % of positive exits are recorded as
DROPOUT_FOR_JOB_OR_TRAINING; offers and qualifications have fixed probabilities by exit block.
``status_6m`` comes from a 6-month follow-up survey of a stratified sample of first-participation
leavers (inclusion 25-50 % by exit status, weight = 1 / inclusion probability), read from the
register state 6 months after exit. Full specification: the docstring of
:mod:`iej_impact.datasets.synthetic._cohort` (Administrative tables).
"""

from __future__ import annotations

import numpy as np

from ._calendar import EXTRACT_DATE, _add_months
from ._exact import _largest_remainder, _normalized

#: exit cells (block, exit_status_fr): shares of leavers. The report's 1 083 + 4 009 + 1 939 = 7 031
#: leavers of 7 040 are used as 1083/7040, 4009/7040, 1939/7040 and the 9 unaccounted for as INCONNU;
#: the positive exits (56.9 %) are split 31 % durable employment, 7 % other employment and 14 %
#: training/education as in the report, and the remaining 4.9 pp between business creation (1 %)
#: and apprenticeship (3.9 %).
_EXIT_CELLS: tuple[tuple[str, str, float], ...] = (
    ("EMPLOYMENT", "EMPLOI_DURABLE", 0.31),
    ("EMPLOYMENT", "EMPLOI_AUTRE", 0.07),
    ("EMPLOYMENT", "CREATION_ENTREPRISE", 0.01),
    ("EMPLOYMENT", "APPRENTISSAGE", 4009 / 7040 - 0.53),
    ("TRAINING", "FORMATION", 0.10),
    ("TRAINING", "ETUDES", 0.04),
    ("DROPOUT", "SANS_SOLUTION", 1083 / 7040 * 0.5),
    ("DROPOUT", "RECHERCHE_EMPLOI", 1083 / 7040 * 0.5),
    ("NO_SOLUTION", "RECHERCHE_EMPLOI", 1939 / 7040 * 0.7),
    ("NO_SOLUTION", "SANS_SOLUTION", 1939 / 7040 * 0.3),
    ("UNKNOWN", "INCONNU", 9 / 7040),
)
_EXIT_STATUS_EU = {
    "EMPLOI_DURABLE": "EMPLOYED",
    "EMPLOI_AUTRE": "EMPLOYED",
    "CREATION_ENTREPRISE": "SELF_EMPLOYED",
    "APPRENTISSAGE": "EDUCATION_TRAINING",
    "FORMATION": "EDUCATION_TRAINING",
    "ETUDES": "EDUCATION_TRAINING",
    "RECHERCHE_EMPLOI": "JOB_SEARCHING",
    "SANS_SOLUTION": "INACTIVE",
    "INCONNU": "UNKNOWN",
}
_EXIT_SCORE_NOISE = 0.7  # score = state in the month after exit + noise * U(0, 1)
_DROPOUT_FOR_JOB_SHARE = 0.15  # positive exits recorded as DROPOUT_FOR_JOB_OR_TRAINING
_OFFER_PROBABILITY = {"POSITIVE": 0.88, "NO_SOLUTION": 0.25, "DROPOUT": 0.05}
_QUALIFICATION_PROBABILITY = {"COMPLETED": 0.15, "OTHER": 0.02}
#: 6-month follow-up survey of leavers: inclusion probability by exit_status_eu (weight = 1 / p)
_SURVEY_INCLUSION = {
    "EMPLOYED": 0.25,
    "SELF_EMPLOYED": 0.50,
    "EDUCATION_TRAINING": 0.30,
    "JOB_SEARCHING": 0.40,
    "INACTIVE": 0.40,
    "UNKNOWN": 0.50,
}


def _assign_exit_cells(rng: np.random.Generator, emp_next: np.ndarray, train_next: np.ndarray) -> np.ndarray:
    """Exit cell (index into _EXIT_CELLS) of each leaver: exact counts, coherent with the register.

    Counts per cell are n * share rounded by largest remainders. Employment exits go to the leavers
    ranked highest on employed-next-month + noise, training exits to the next on in-training + noise,
    the rest (drop-outs, no solution, unknown) at random.
    """
    n = emp_next.size
    shares = np.array([c[2] for c in _EXIT_CELLS])
    counts = _largest_remainder(n, shares)
    blocks = np.array([c[0] for c in _EXIT_CELLS])
    cells = np.arange(len(_EXIT_CELLS))
    labels = np.empty(n, dtype=np.int64)
    order = np.argsort(-(emp_next + _EXIT_SCORE_NOISE * rng.random(n)), kind="stable")
    k_emp = int(counts[blocks == "EMPLOYMENT"].sum())
    emp_rows, rest = order[:k_emp], order[k_emp:]
    rest = rest[np.argsort(-(train_next[rest] + _EXIT_SCORE_NOISE * rng.random(rest.size)), kind="stable")]
    k_tr = int(counts[blocks == "TRAINING"].sum())
    tr_rows, other_rows = rest[:k_tr], rest[k_tr:]
    for rows_, block in ((emp_rows, ("EMPLOYMENT",)), (tr_rows, ("TRAINING",)),
                         (other_rows, ("DROPOUT", "NO_SOLUTION", "UNKNOWN"))):
        sel = np.isin(blocks, block)
        labels[rows_] = rng.permutation(np.repeat(cells[sel], counts[sel]))
    return labels


def _exit_fields(rng: np.random.Generator, cell: np.ndarray, exit_date: np.ndarray) -> dict[str, np.ndarray]:
    """exit_reason, statuses, status date, offer, qualification for leavers in the given cells."""
    n = cell.size
    block = np.array([c[0] for c in _EXIT_CELLS], dtype=object)[cell]
    fr = np.array([c[1] for c in _EXIT_CELLS], dtype=object)[cell]
    eu = np.array([_EXIT_STATUS_EU[c[1]] for c in _EXIT_CELLS], dtype=object)[cell]
    positive = (block == "EMPLOYMENT") | (block == "TRAINING")
    reason = np.where(block == "DROPOUT", "DROPOUT", np.where(block == "UNKNOWN", "OTHER", "COMPLETED")).astype(object)
    early = positive & (rng.random(n) < _DROPOUT_FOR_JOB_SHARE)
    reason[early] = "DROPOUT_FOR_JOB_OR_TRAINING"
    status_date = exit_date + rng.integers(0, 29, size=n)
    p_offer = np.where(positive, _OFFER_PROBABILITY["POSITIVE"],
                       np.where(block == "NO_SOLUTION", _OFFER_PROBABILITY["NO_SOLUTION"],
                                _OFFER_PROBABILITY["DROPOUT"]))
    offer = rng.random(n) < p_offer
    offer_known = block != "UNKNOWN"
    offer_type = np.full(n, None, dtype=object)
    emp_like = np.isin(fr, ["EMPLOI_DURABLE", "EMPLOI_AUTRE", "CREATION_ENTREPRISE"])
    offer_type[offer & emp_like] = "EMPLOYMENT"
    offer_type[offer & np.isin(fr, ["FORMATION", "ETUDES"])] = "CONTINUED_EDUCATION"
    offer_type[offer & (fr == "APPRENTISSAGE")] = "APPRENTICESHIP"
    other = offer & ~positive & offer_known
    pick = rng.choice(3, size=n, p=[0.5, 0.3, 0.2])
    offer_type[other] = np.array(["EMPLOYMENT", "TRAINEESHIP", "CONTINUED_EDUCATION"], dtype=object)[pick[other]]
    offer_type[~offer_known] = None
    p_q = np.where(reason == "COMPLETED", _QUALIFICATION_PROBABILITY["COMPLETED"], _QUALIFICATION_PROBABILITY["OTHER"])
    qualification = rng.random(n) < p_q
    return {"exit_reason": reason, "exit_status_fr": fr, "exit_status_eu": eu, "exit_status_date": status_date,
            "offer": offer, "offer_known": offer_known, "offer_type": offer_type, "qualification": qualification,
            "block": block}


def _status_6m(rng: np.random.Generator, emp: np.ndarray, train: np.ndarray, fr: np.ndarray) -> np.ndarray:
    """Survey status 6 months after exit from the register state (employed, in training) then."""
    n = emp.size
    out = np.where(rng.random(n) < 0.75, "UNEMPLOYED", "INACTIVE").astype(object)
    tr_only = (train == 1) & (emp == 0)
    out[tr_only] = np.where(rng.random(int(tr_only.sum())) < 0.7, "QUALIFYING_TRAINING", "EDUCATION")
    out[(emp == 1) & (train == 0)] = "EMPLOYED"
    out[(emp == 1) & (train == 0) & (fr == "CREATION_ENTREPRISE")] = "SELF_EMPLOYED"
    out[(emp == 1) & (train == 1)] = "APPRENTICESHIP"
    return out


def _random_exit_cells(rng: np.random.Generator, n: int) -> np.ndarray:
    """Exit cells drawn independently with the leavers' shares (second participations)."""
    shares = np.array([c[2] for c in _EXIT_CELLS])
    return rng.choice(len(_EXIT_CELLS), size=n, p=_normalized(shares))


def _leaving_columns(rng: np.random.Generator, cell: np.ndarray, exit_date: np.ndarray,
                     exited: np.ndarray) -> dict[str, np.ndarray]:
    """The exit fields of every participation row; empty (None, False, NaT) for those still in the programme."""
    m = cell.size
    ex = np.flatnonzero(exited)
    ef = _exit_fields(rng, cell[ex], exit_date[ex])

    def on_leavers(values: np.ndarray, fill: object = None, dtype: object = object) -> np.ndarray:
        out = np.full(m, fill, dtype=dtype)
        out[ex] = values
        return out

    return {
        "exit_reason": on_leavers(ef["exit_reason"]),
        "exit_status_fr": on_leavers(ef["exit_status_fr"]),
        "exit_status_eu": on_leavers(ef["exit_status_eu"]),
        # recorded by the extract date
        "exit_status_date": on_leavers(np.minimum(ef["exit_status_date"], EXTRACT_DATE), np.datetime64("NaT"),
                                       "datetime64[D]"),
        "offer": on_leavers(ef["offer"], False, bool),
        "offer_known": on_leavers(ef["offer_known"], False, bool),
        "offer_type": on_leavers(ef["offer_type"]),
        "qualification": on_leavers(ef["qualification"], False, bool),
    }


def _survey_6m(rng: np.random.Generator, eligible: np.ndarray, person: np.ndarray, exit_date: np.ndarray,
               exit_status_eu: np.ndarray, exit_status_fr: np.ndarray,
               state_6m: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The 6-month follow-up survey of a stratified sample of the ``eligible`` rows (first-participation
    leavers): who is sampled, their status read from the register state 6 months after exit
    (``state_6m`` by person), the survey date and the weight 1 / inclusion probability."""
    m = eligible.size
    pi = np.zeros(m)
    for status, prob in _SURVEY_INCLUSION.items():
        pi[exit_status_eu == status] = prob
    sampled = eligible & (rng.random(m) < pi)
    s_rows = np.flatnonzero(sampled)
    s_person = person[s_rows]
    status = np.full(m, None, dtype=object)
    status[s_rows] = _status_6m(rng, state_6m["employed"][s_person], state_6m["in_training"][s_person],
                                exit_status_fr[s_rows])
    date = np.full(m, np.datetime64("NaT"), dtype="datetime64[D]")
    date[s_rows] = _add_months(exit_date[s_rows], 6) + rng.integers(-10, 11, size=s_rows.size)
    weight = np.full(m, np.nan)
    weight[s_rows] = 1.0 / pi[s_rows]
    return {"sampled": sampled, "status_6m": status, "status_6m_date": date, "sample_weight_6m": weight}
