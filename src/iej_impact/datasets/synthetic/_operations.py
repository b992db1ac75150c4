"""The synthetic cohort's operations (canonical ``operations`` table, as in MDFSE) and the operation of each
first participation.

Operations are loosely calibrated on annexes 4 and 5 of the 2015 regional report: the 52 PON lines
of annex 4 with its group totals kept exactly (2 repérage lines, 20 territorial missions locales
+ 1 GIP, 22 associations with three targets "nc" (null), the 3 cooperatives IDF, CREFO, INSTEP,
3 firms and the CCAS), 2 PRF lines of the POR and 4 apprenticeship lines sharing the funding
envelope ``POR-APPRENTISSAGE-2015`` (amount and target null). Amounts and targets within a group
are split at random (seeded) so the totals match. A participant's first operation is drawn by
family (shares in ``_OPERATION_FAMILIES``): the mission locale of the participant's territory, the
PRF line running at entry, or a line of the family in proportion to its target. Effects do not
depend on the operation.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ._calendar import EXTRACT_DATE
from ._exact import _largest_remainder, _normalized
from ._population import _N_TERRITORIES

#: (programme, managing authority) of the national (PON) and regional (POR) lines
_PON = ("PON_IEJ_DECONCENTRE", "DIRECCTE")
_POR = ("POR_FEDER_FSE_IEJ", "CONSEIL_REGIONAL")
_APPRENTICESHIP_GROUP = "POR-APPRENTISSAGE-2015"
#: first-participation operation families and their shares among participants
_OPERATION_FAMILIES: dict[str, float] = {
    "REPERAGE": 0.03,
    "ML_OWN_TERRITORY": 0.45,
    "ML_GIP": 0.02,
    "ASSOCIATION": 0.18,
    "COOPERATIVE": 0.20,
    "ENTREPRISE_CCAS": 0.04,
    "PRF": 0.04,
    "APPRENTISSAGE": 0.04,
}


def _build_operations(rng: np.random.Generator, territory_weights: np.ndarray) -> pd.DataFrame:
    """About 60 operations: the 52 PON lines of annex 4 (group totals kept exactly), 2 PRF lines and
    4 apprenticeship lines of the POR sharing one funding envelope (amount and target null)."""
    rows: list[dict[str, Any]] = []

    def add(family: str, name: str, otype: str, stage: str, action: str, amount: float | None, target: int | None,
            years: int, start: str, end: str, *, programme: tuple[str, str] = _PON, group: str | None = None,
            estimate: bool = False, territory: str | None = None, title: str | None = None) -> None:
        rows.append({
            "programme": programme[0], "managing_authority": programme[1], "region_code": "31",
            "region_code_vintage": 2015, "operator_name": name, "operator_id": None, "operator_type": otype,
            "stage": stage, "action_type": action,
            "title": title or {"REPERAGE": "Repérage des jeunes NEET", "ACCOMPAGNEMENT": "Accompagnement renforcé",
                               "QUALIFICATION_PREQUALIFICATION": "Programme régional de formation",
                               "APPRENTISSAGE": "Sas préparatoire à l'apprentissage"}[action],
            "amount_fse_iej": amount, "funding_group_id": group, "target_participants": target,
            "target_is_estimate": estimate, "target_years": years, "start_date": start, "end_date": end,
            "family": family, "territory_id": territory,
        })

    def split(total: int, n: int, concentration: float = 8.0, weights: np.ndarray | None = None) -> np.ndarray:
        w = rng.dirichlet(np.full(n, concentration)) if weights is None else weights * rng.lognormal(0, 0.2, n)
        return _largest_remainder(total, w)

    add("REPERAGE", "GIP FCIP (plates-formes de suivi et d'appui aux décrocheurs)", "GIP", "REPERAGE", "REPERAGE",
        1_298_429, 11_000, 2, "2014-01-01", "2015-12-31")
    add("REPERAGE", "Passeport Formation", "ASSOCIATION", "REPERAGE", "REPERAGE", 167_094, 150, 2,
        "2014-01-01", "2015-12-31")
    # 21 mission-locale type lines: 15 560 326 EUR / 12 314 youths; 20 territorial MLs + 1 GIP
    w = np.append(territory_weights, np.mean(territory_weights))
    amounts, targets = split(15_560_326, 21, weights=w), split(12_314, 21, weights=w)
    for i in range(_N_TERRITORIES):
        tid = f"ML{i + 1:02d}"
        add("ML_OWN_TERRITORY", f"Mission locale {tid}", "MISSION_LOCALE", "ACCOMPAGNEMENT", "ACCOMPAGNEMENT",
            int(amounts[i]), int(targets[i]), 2, "2014-01-01", "2015-12-31", territory=tid)
    add("ML_GIP", "GIP insertion des jeunes (type mission locale)", "GIP", "ACCOMPAGNEMENT", "ACCOMPAGNEMENT",
        int(amounts[-1]), int(targets[-1]), 2, "2014-01-01", "2015-12-31")
    # 22 associations: 10 415 120 EUR / 8 449 youths; three targets "nc" (null)
    nc = [("ACEP", 313_533), ("Association Loi 1901", 80_336), ("AAE Profil", 160_205)]
    rest = 10_415_120 - sum(a for _, a in nc)
    amounts, targets = split(rest, 19), split(8_449, 19)
    for i in range(19):
        add("ASSOCIATION", f"Association d'insertion {i + 1:02d}", "ASSOCIATION", "ACCOMPAGNEMENT", "ACCOMPAGNEMENT",
            int(amounts[i]), int(targets[i]), 2, "2014-01-01", "2015-12-31")
    for name, amount in nc:
        add("ASSOCIATION", name, "ASSOCIATION", "ACCOMPAGNEMENT", "ACCOMPAGNEMENT", amount, None, 2,
            "2014-01-01", "2015-12-31")
    for name, amount, target in (("IDF", 6_084_812, 37_394), ("SCOP CREFO", 1_709_606, 990),
                                 ("INSTEP", 1_885_828, 700)):
        add("COOPERATIVE", name, "COOPERATIVE", "ACCOMPAGNEMENT", "ACCOMPAGNEMENT", amount, target, 3,
            "2014-01-01", "2016-12-31")
    amounts, targets = split(1_610_489 - 216_835, 3), split(1_540 - 920, 3)
    for i, name in enumerate(("Campus Pro", "COEF3", "POP")):
        add("ENTREPRISE_CCAS", name, "ENTREPRISE", "ACCOMPAGNEMENT", "ACCOMPAGNEMENT", int(amounts[i]),
            int(targets[i]), 2, "2014-01-01", "2015-12-31")
    add("ENTREPRISE_CCAS", "CCAS Carvin", "ETABLISSEMENT_PUBLIC", "ACCOMPAGNEMENT", "ACCOMPAGNEMENT", 216_835, 920, 2,
        "2014-01-01", "2015-12-31")
    # POR (annex 5): PRF lines and the apprenticeship call (one envelope shared by 41 operators)
    add("PRF", "Conseil régional - PRF 2014-2015", "COLLECTIVITE", "FORMATION_INSERTION",
        "QUALIFICATION_PREQUALIFICATION", 7_520_000, 945, 1, "2014-01-01", "2015-12-31", programme=_POR)
    add("PRF", "Conseil régional - PRF 2015-2016", "COLLECTIVITE", "FORMATION_INSERTION",
        "QUALIFICATION_PREQUALIFICATION", 7_900_000, 1_000, 1, "2015-07-01", "2016-12-31", programme=_POR,
        estimate=True)
    for name, otype in (("CFA BTP", "CFA"), ("CRMA", "CHAMBRE_CONSULAIRE"), ("E2C Grand Lille", "E2C"),
                        ("Association sas apprentissage", "ASSOCIATION")):
        add("APPRENTISSAGE", name, otype, "FORMATION_INSERTION", "APPRENTISSAGE", None, None, 3,
            "2014-01-01", "2016-12-31", programme=_POR, group=_APPRENTICESHIP_GROUP)
    ops = pd.DataFrame(rows)
    ops.insert(0, "operation_id", [f"OP{i + 1:03d}" for i in range(len(ops))])
    ops["amount_fse_iej"] = ops["amount_fse_iej"].astype("float64")
    ops["target_participants"] = ops["target_participants"].astype("Int64")
    ops["target_years"] = ops["target_years"].astype("int64")
    ops["target_is_estimate"] = ops["target_is_estimate"].astype(bool)
    for c in ("start_date", "end_date"):
        ops[c] = pd.to_datetime(ops[c]).astype("datetime64[us]")
    ops["source"] = "MDFSE"
    ops["extract_date"] = pd.Timestamp(str(EXTRACT_DATE)).as_unit("us")
    return ops


def _mission_locale_rows(ops: pd.DataFrame) -> np.ndarray:
    """Row of each territory's own mission locale in ``ops``, indexed by territory (ML01 = 0)."""
    rows = np.flatnonzero(ops["family"].to_numpy() == "ML_OWN_TERRITORY")
    lookup = np.empty(_N_TERRITORIES, dtype=np.int64)
    lookup[[int(t[2:]) - 1 for t in ops["territory_id"].to_numpy()[rows]]] = rows
    return lookup


def _assign_operations(rng: np.random.Generator, ops: pd.DataFrame, territory: np.ndarray,
                       entry: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Operation row index and family of each participant's first participation."""
    fam_names = list(_OPERATION_FAMILIES)
    fam = rng.choice(len(fam_names), size=territory.size, p=np.array(list(_OPERATION_FAMILIES.values())))
    op = np.full(territory.size, -1, dtype=np.int64)
    target = ops["target_participants"].astype("float64").to_numpy()
    target = np.where(np.isnan(target), np.nanmedian(target[ops["family"].to_numpy() == "ASSOCIATION"]), target)
    for j, name in enumerate(fam_names):
        m = fam == j
        rows = np.flatnonzero(ops["family"].to_numpy() == name)
        if name == "ML_OWN_TERRITORY":
            op[m] = _mission_locale_rows(ops)[territory[m]]
        elif name == "PRF":
            op[m] = np.where(entry[m] < np.datetime64("2015-07-01"), rows[0], rows[1])
        else:
            w = np.ones(rows.size) if name == "APPRENTISSAGE" else target[rows]
            op[m] = rows[rng.choice(rows.size, size=int(m.sum()), p=_normalized(w))]
    return op, np.array(fam_names, dtype=object)[fam]
