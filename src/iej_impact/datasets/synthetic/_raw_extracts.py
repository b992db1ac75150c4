"""Raw administrative extracts written from the synthetic cohort, messy as real ones, with their truth.

:func:`export_raw_extracts` writes what an evaluator of the IEJ receives before any preparation:

``mdfse_participants.csv``
    The MDFSE participant extract: ``;``-separated, Windows-1252, CRLF line ends, French headers
    (``Identifiant participant``, ``Date d'entrée``, ``Sexe``, ``Situation sur le marché du
    travail`` ...), dates ``dd/mm/yyyy``, sex ``Homme``/``Femme``, national levels ``Niveau V bis``,
    yes/no as ``Oui``/``Non`` with stray case and spaces (``" oui"``, ``"NON"``), survey weights
    with a decimal comma. One row per participation, sorted by person and entry date, with three
    kinds of defects: exact duplicate rows, re-entries (the same person in the same operation,
    later, still open at the extract, with updated characteristics) and exits keyed a year early
    (exit date exactly one year too early, so before the entry date).
``mdfse_operations.csv``
    The operations (same conventions): amounts ``1 298 429,00`` (no-break space between
    thousands), targets ``nc`` when not communicated, operator and action types as French labels.
``mission_locale_cohorte.tsv``
    The mission-locale comparison cohort: tab-separated, UTF-8 with a byte-order mark, its own
    column names (``id_jeune``, ``date_premier_accueil`` ...), ISO dates, INSEE sex codes 1 (men)
    / 2 (women), national levels written ``Vbis`` (no space), 0/1 flags, status ``DE`` / ``INACTIF``.
    ``date_premier_accueil`` is the reference date (the cohort's ``pseudo_entry_date``). Sorted by
    first contact. It also holds a few youths who later entered the IEJ (contamination): their
    first contact at the mission locale is 60-240 days before their IEJ entry; they are found
    only through the crosswalk.
``correspondance_ids.csv``
    The id crosswalk (``id_jeune`` <-> ``identifiant_participant``) of the persons present in both
    sources.
``emploi_trimestriel.csv``
    A person x quarter employment panel from administrative records (``identifiant``,
    ``trimestre`` written ``2013T1``, ``en_emploi`` 0/1), for every id of both sources (the
    contaminated youths under both of their ids), over the cohort's whole balanced span. Rule:
    **employed in a quarter = employed in the quarter's last month** of the monthly panel.
``truth.json``
    The true effects a configuration can recover from these files, computed from the cohort's
    potential outcomes (:mod:`._raw_truth`), and what was made messy, with counts.

The same cohort and ``seed`` give byte-identical files. The covariates of the files are exactly the
cohort's (``female`` = Femme / 2, ``age`` = completed years at (pseudo-)entry from the birth date,
``isced_0_2`` = CITE <= 2, ``unemployed_entry`` = Chômeur / DE, durations empty for the inactive ...).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..._validation import arguments_checked, check_number
from ...errors import SpecificationError
from ...results import jsonable
from ._calendar import EXTRACT_DATE
from ._raw_truth import TRUTH_HORIZONS, quarter_end_probabilities, quarter_index, quarter_label, raw_truth
from ._result import SyntheticCohort

__all__ = ["RAW_FILES", "export_raw_extracts"]

_FUNC = "export_raw_extracts"
#: the files written, by role
RAW_FILES = {
    "participants": "mdfse_participants.csv",
    "operations": "mdfse_operations.csv",
    "comparison": "mission_locale_cohorte.tsv",
    "crosswalk": "correspondance_ids.csv",
    "panel": "emploi_trimestriel.csv",
    "truth": "truth.json",
}
#: shares of defects (of participation rows, of participants, of comparison youths); at least one of each
DUPLICATE_SHARE = 0.015
REENTRY_SHARE = 0.03
EXIT_YEAR_EARLY_SHARE = 0.02
CONTAMINATION_SHARE = 0.025
#: spellings of yes and no in the MDFSE extract, with their probabilities
_YES = (("Oui", 0.8), ("oui", 0.08), (" oui", 0.05), ("OUI", 0.04), ("Oui ", 0.03))
_NO = (("Non", 0.8), ("non", 0.08), ("NON", 0.05), (" Non", 0.04), ("non ", 0.03))
_NATIONAL_MDFSE = {"VI": "Niveau VI", "VBIS": "Niveau V bis", "V": "Niveau V", "IV": "Niveau IV",
                   "III": "Niveau III", "II": "Niveau II", "I": "Niveau I"}
_NATIONAL_ML = {"VBIS": "Vbis"}
_OPERATOR_FR = {"GIP": "Groupement d'intérêt public", "MISSION_LOCALE": "Mission locale", "ASSOCIATION": "Association",
                "COOPERATIVE": "Société coopérative", "ENTREPRISE": "Entreprise",
                "ETABLISSEMENT_PUBLIC": "Établissement public", "COLLECTIVITE": "Collectivité",
                "CHAMBRE_CONSULAIRE": "Chambre consulaire"}
_ACTION_FR = {"REPERAGE": "Repérage", "ACCOMPAGNEMENT": "Accompagnement",
              "QUALIFICATION_PREQUALIFICATION": "Qualification - préqualification", "APPRENTISSAGE": "Apprentissage"}
#: MDFSE header -> canonical column of the participations table (E.2)
MDFSE_COLUMNS = {
    "N° dossier participant": "participation_id", "Identifiant participant": "person_id",
    "N° opération": "operation_id", "Date d'entrée": "entry_date", "Date de sortie": "exit_date", "Sexe": "sex",
    "Date de naissance": "birth_date", "Situation sur le marché du travail": "lm_status_entry",
    "Durée de chômage (mois)": "unemp_duration_months",
    "En études ou formation à l'entrée": "in_education_training_entry",
    "Inscrit à Pôle emploi": "pe_registered_entry", "Niveau de formation": "national_level",
    "Niveau CITE": "isced_entry", "Ménage sans emploi": "hh_jobless",
    "Enfants à charge": "hh_dependent_children", "Parent isolé": "hh_single_adult",
    "Reconnaissance handicap (RQTH)": "disability_rqth", "Bénéficiaire de minima sociaux": "social_minima",
    "Sans domicile fixe": "homeless", "Zone rurale": "rural", "Résident QPV": "qpv_resident",
    "Mission locale": "territory_id", "Motif de sortie": "exit_reason", "Situation à la sortie": "exit_status_fr",
    "Situation à la sortie (UE)": "exit_status_eu", "Date situation à la sortie": "exit_status_date",
    "Offre reçue à la sortie": "offer_received_at_exit", "Type d'offre": "offer_type",
    "Qualification obtenue": "qualification_gained", "Situation à 6 mois": "status_6m",
    "Date situation à 6 mois": "status_6m_date", "Poids de sondage (6 mois)": "sample_weight_6m",
    "Date d'extraction": "extract_date",
}
_FLAGS_MDFSE = ("in_education_training_entry", "pe_registered_entry", "hh_jobless", "hh_dependent_children",
                "hh_single_adult", "disability_rqth", "social_minima", "homeless", "rural", "qpv_resident",
                "offer_received_at_exit", "qualification_gained")
_DATES_MDFSE = ("entry_date", "exit_date", "birth_date", "exit_status_date", "status_6m_date", "extract_date")
#: mission-locale column -> canonical column of the comparison cohort (E.3)
ML_COLUMNS = {
    "id_jeune": "person_id", "date_premier_accueil": "pseudo_entry_date", "sexe": "sex",
    "date_naissance": "birth_date", "code_ml": "territory_id", "niveau_formation": "national_level",
    "niveau_cite": "isced_entry", "statut": "lm_status_entry", "duree_chomage_mois": "unemp_duration_months",
    "menage_sans_emploi": "hh_jobless", "enfants_a_charge": "hh_dependent_children",
    "parent_isole": "hh_single_adult", "rqth": "disability_rqth", "minima_sociaux": "social_minima",
    "sans_domicile": "homeless", "zone_rurale": "rural", "qpv": "qpv_resident", "date_extraction": "extract_date",
}
_FLAGS_ML = ("hh_jobless", "hh_dependent_children", "hh_single_adult", "disability_rqth", "social_minima",
             "homeless", "rural", "qpv_resident")
#: operations header -> canonical column of the operations table (E.1)
OPERATION_COLUMNS = {
    "N° opération": "operation_id", "Programme": "programme", "Autorité de gestion": "managing_authority",
    "Code région": "region_code", "Millésime région": "region_code_vintage", "Porteur": "operator_name",
    "Type de porteur": "operator_type", "Étape": "stage", "Type d'action": "action_type", "Intitulé": "title",
    "Montant FSE-IEJ (€)": "amount_fse_iej", "Enveloppe commune": "funding_group_id",
    "Objectif (participants)": "target_participants", "Durée de l'objectif (ans)": "target_years",
    "Date de début": "start_date", "Date de fin": "end_date", "Mission locale": "territory_id",
}


def export_raw_extracts(cohort: SyntheticCohort, directory: str | Path, *, seed: int | None = None) -> dict[str, Path]:
    """Write raw MDFSE, mission-locale and employment-register extracts of ``cohort``, and their truth.

    The files, their defects and the truth are described in :mod:`iej_impact.datasets.synthetic._raw_extracts`
    and in ``docs/how-to/raw-extracts.md``; ``configs/raw_extracts.yaml`` takes them to estimates.

    Parameters
    ----------
    cohort : a :class:`SyntheticCohort` simulated with ``panel="balanced"`` (the register covers
        every quarter of the cohort's span for everyone).
    directory : folder to write into (created if needed; files of the same names are replaced).
    seed : seed of the defects (which rows are duplicated, re-entered, mis-keyed, contaminated, how
        yes/no are spelled); default: the cohort's seed. The same cohort and seed give
        byte-identical files.

    Returns
    -------
    ``{role: path}`` for ``participants, operations, comparison, crosswalk, panel, truth``.

    Examples
    --------
    >>> import tempfile
    >>> from iej_impact import simulate_cohort
    >>> cohort = simulate_cohort(200, seed=3, panel="balanced")
    >>> paths = export_raw_extracts(cohort, tempfile.mkdtemp())
    >>> sorted(paths)
    ['comparison', 'crosswalk', 'operations', 'panel', 'participants', 'truth']
    """
    if not isinstance(cohort, SyntheticCohort):
        raise SpecificationError(f"{_FUNC}(): 'cohort' must be a SyntheticCohort (from simulate_cohort()); "
                                 f"got {type(cohort).__name__}.")
    if cohort.panel is None or cohort.params.get("panel") != "balanced":
        raise SpecificationError(f"{_FUNC}(): the employment register covers every quarter for everyone, so the "
                                 "cohort needs a balanced panel: simulate_cohort(..., panel='balanced'); got panel="
                                 f"{cohort.params.get('panel')!r}.")
    seed_ = int(cohort.params["seed"]) if seed is None else int(check_number("seed", seed, _FUNC, low=0, integer=True))
    arguments_checked()
    rng = np.random.default_rng(np.random.SeedSequence([seed_, 0x1E1]))
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    paths = {role: out / name for role, name in RAW_FILES.items()}

    persons = cohort.persons.set_index("person_id", drop=False)
    mdfse, defects = _mdfse_rows(cohort, persons, rng)
    contaminated = _contaminated(cohort, persons, rng)
    ml = _ml_rows(cohort, persons, contaminated)
    _write_text(paths["participants"], _mdfse_text(mdfse, rng), "cp1252")
    _write_text(paths["operations"], _operations_text(cohort.operations), "cp1252")
    _write_text(paths["comparison"], ml.to_csv(sep="\t", index=False, lineterminator="\n"), "utf-8-sig")
    crosswalk = pd.DataFrame({"id_jeune": contaminated["ml_id"], "identifiant_participant": contaminated["person_id"]})
    _write_text(paths["crosswalk"], crosswalk.to_csv(index=False, lineterminator="\n"), "utf-8")
    panel = _register(cohort, contaminated)
    _write_text(paths["panel"], panel.to_csv(index=False, lineterminator="\n"), "utf-8")

    entry_q = pd.Series(quarter_index(persons["entry_date"].to_numpy()), index=persons.index)
    truth = raw_truth(cohort, entry_q)
    doc = _truth_document(cohort, seed_, truth, defects, contaminated, mdfse, ml, panel, paths)
    paths["truth"].write_text(json.dumps(jsonable(doc), indent=2, sort_keys=True, ensure_ascii=False) + "\n",
                              encoding="utf-8", newline="\n")
    return paths


def _write_text(path: Path, text: str, encoding: str) -> None:
    path.write_bytes(text.encode(encoding))


# -- MDFSE participant extract -----------------------------------------------------------------------


def _mdfse_rows(cohort: SyntheticCohort, persons: pd.DataFrame, rng: np.random.Generator
                ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Canonical participation rows with the defects (before text formatting); the defects' counts and ids."""
    parts = cohort.participations.copy()
    parts["territory_id"] = persons["territory_id"].reindex(parts["person_id"]).to_numpy()
    parts["_order"] = np.arange(len(parts), dtype=float)
    extract = pd.Timestamp(EXTRACT_DATE)
    first = ~parts["person_id"].duplicated(keep="first")
    n_persons = int(first.sum())

    # re-entries: first participations exited at least 40 days before the extract re-enter the same operation
    can_reenter = np.flatnonzero(first & parts["exit_date"].notna() & (parts["exit_date"] <= extract - pd.Timedelta(days=40)))
    k = min(can_reenter.size, max(1, round(REENTRY_SHARE * n_persons)))
    chosen = np.sort(rng.choice(can_reenter, size=k, replace=False))
    again = parts.iloc[chosen].copy()
    gap = rng.integers(7, 31, size=k)
    again["entry_date"] = again["exit_date"] + pd.to_timedelta(gap, unit="D")
    months_out = ((again["entry_date"] - parts["entry_date"].iloc[chosen].to_numpy()).dt.days // 30).astype("Int64")
    again["unemp_duration_months"] = (again["unemp_duration_months"] + months_out).astype("Int64")
    again["pe_registered_entry"] = again["pe_registered_entry"] | (again["lm_status_entry"] == "UNEMPLOYED")
    again["exit_date"] = pd.NaT
    for col in ("exit_reason", "exit_status_fr", "exit_status_eu", "offer_type", "status_6m"):
        again[col] = None
    for col in ("exit_status_date", "status_6m_date"):
        again[col] = pd.NaT
    for col in ("offer_received_at_exit", "qualification_gained"):
        again[col] = pd.array([pd.NA] * k, dtype="boolean")
    again["sample_weight_6m"] = np.nan
    again["participation_id"] = [f"PA{len(parts) + i + 1:07d}" for i in range(k)]
    again["_order"] = chosen + 0.5

    # exits keyed a year early: exited first participations lasting < 360 days, not re-entered
    reentered = set(parts["person_id"].iloc[chosen])
    dur = (parts["exit_date"] - parts["entry_date"]).dt.days
    can_miskey = np.flatnonzero(first & (dur < 360) & ~parts["person_id"].isin(reentered))
    m = min(can_miskey.size, max(1, round(EXIT_YEAR_EARLY_SHARE * n_persons)))
    miskeyed = np.sort(rng.choice(can_miskey, size=m, replace=False))
    exit_col = parts.columns.get_loc("exit_date")
    parts.iloc[miskeyed, exit_col] = parts["exit_date"].iloc[miskeyed] - pd.DateOffset(years=1)

    rows = pd.concat([parts, again], ignore_index=True).sort_values("_order", kind="stable").reset_index(drop=True)
    # exact duplicates, each right after its original
    d = max(1, round(DUPLICATE_SHARE * len(rows)))
    dup = np.sort(rng.choice(len(rows), size=d, replace=False))
    copies = rows.iloc[dup].copy()
    copies["_order"] = rows["_order"].iloc[dup].to_numpy() + 0.25
    rows = pd.concat([rows, copies], ignore_index=True).sort_values("_order", kind="stable").reset_index(drop=True)
    defects = {
        "exact_duplicate_rows": {"count": d, "participation_ids": copies["participation_id"].tolist()},
        "reentries": {"count": k, "person_ids": again["person_id"].tolist(),
                      "rule": "the same person in the same operation 7-30 days after exit, still open at the extract"},
        "exits_keyed_a_year_early": {"count": m, "participation_ids": parts["participation_id"].iloc[miskeyed].tolist(),
                                     "rule": "exit date one year too early (before the entry date)"},
        "second_participations": {"count": int((~first).sum()),
                                  "rule": "repérage leavers entering their mission locale (a different operation)"},
    }
    return rows.drop(columns="_order"), defects


def _yes_no(values: pd.Series, rng: np.random.Generator) -> np.ndarray:
    """Oui/Non with stray case and spaces; empty when missing."""
    v = values.astype("boolean")
    yes = rng.choice([s for s, _ in _YES], size=len(v), p=[p for _, p in _YES])
    no = rng.choice([s for s, _ in _NO], size=len(v), p=[p for _, p in _NO])
    out = np.where(v.fillna(False).to_numpy(dtype=bool), yes, no).astype(object)
    out[v.isna().to_numpy()] = ""
    return out


def _fr_date(values: pd.Series) -> np.ndarray:
    s = pd.to_datetime(values)
    return np.where(s.notna(), s.dt.strftime("%d/%m/%Y"), "").astype(object)


def _fr_decimal(values: pd.Series, digits: int = 4) -> np.ndarray:
    """Numbers with a decimal comma when not whole ('2,5', '3,3333'), whole numbers as integers; empty when missing."""
    out = []
    for v in pd.to_numeric(values, errors="coerce").tolist():
        if v != v:
            out.append("")
        elif float(v).is_integer():
            out.append(str(int(v)))
        else:
            out.append(f"{v:.{digits}f}".rstrip("0").replace(".", ","))
    return np.array(out, dtype=object)


def _mdfse_text(rows: pd.DataFrame, rng: np.random.Generator) -> str:
    """The MDFSE extract as text: French headers and values, ';' separators, CRLF line ends.

    Yes/no spellings are drawn per row, and an exact duplicate gets its original's bytes."""
    text = pd.DataFrame(index=rows.index)
    canonical = {v: k for k, v in MDFSE_COLUMNS.items()}
    for col in MDFSE_COLUMNS.values():
        s = rows[col]
        if col in _DATES_MDFSE:
            text[col] = _fr_date(s)
        elif col in _FLAGS_MDFSE:
            text[col] = _yes_no(s, rng)
        elif col == "sex":
            text[col] = np.where(s == "F", "Femme", "Homme")
        elif col == "lm_status_entry":
            text[col] = np.where(s == "UNEMPLOYED", "Chômeur", "Inactif")
        elif col == "national_level":
            text[col] = s.map(_NATIONAL_MDFSE).fillna(s)
        elif col == "sample_weight_6m":
            text[col] = _fr_decimal(s)
        elif col in ("unemp_duration_months", "isced_entry"):
            text[col] = s.astype("Int64").astype(object).where(s.notna(), "").astype(str)
        else:
            text[col] = s.astype(object).where(s.notna(), "")
    # an exact duplicate is the same record exported twice: the same bytes as its original
    key = rows["participation_id"].to_numpy()
    dup = pd.Series(key).duplicated(keep="first").to_numpy()
    if dup.any():
        first_pos = pd.Series(np.arange(len(rows))).groupby(key).transform("min").to_numpy()
        text.iloc[np.flatnonzero(dup)] = text.iloc[first_pos[dup]].to_numpy()
    text.columns = [canonical[c] for c in text.columns]
    return text.to_csv(sep=";", index=False, lineterminator="\r\n")


def _operations_text(ops: pd.DataFrame) -> str:
    text = pd.DataFrame(index=ops.index)
    canonical = {v: k for k, v in OPERATION_COLUMNS.items()}
    for col in OPERATION_COLUMNS.values():
        s = ops[col]
        if col in ("start_date", "end_date"):
            text[col] = _fr_date(s)
        elif col == "amount_fse_iej":
            text[col] = [("" if v != v else f"{v:,.2f}".replace(",", "\u00a0").replace(".", ","))
                         for v in s.tolist()]
        elif col == "target_participants":
            text[col] = s.astype(object).where(s.notna(), "nc").astype(str)
        elif col == "operator_type":
            text[col] = s.map(_OPERATOR_FR).fillna(s)
        elif col == "action_type":
            text[col] = s.map(_ACTION_FR).fillna(s)
        else:
            text[col] = s.astype(object).where(s.notna(), "")
    text.columns = [canonical[c] for c in text.columns]
    return text.to_csv(sep=";", index=False, lineterminator="\r\n")


# -- mission-locale cohort, crosswalk, register ------------------------------------------------------


def _contaminated(cohort: SyntheticCohort, persons: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Participants who were in the mission-locale cohort before entering the IEJ: person_id, ml_id, first contact."""
    part = persons[persons["treated"] == 1]
    earliest = pd.Timestamp("2014-01-01") + pd.Timedelta(days=240)
    pool = np.flatnonzero((part["entry_date"] >= earliest).to_numpy())
    n0 = int((persons["treated"] == 0).sum())
    k = min(pool.size, max(1, round(CONTAMINATION_SHARE * n0)))
    chosen = np.sort(rng.choice(pool, size=k, replace=False))
    before = rng.integers(60, 241, size=k)
    return pd.DataFrame({
        "person_id": part["person_id"].to_numpy()[chosen].astype(object),
        "ml_id": [f"C{n0 + i + 1:07d}" for i in range(k)],
        "first_contact": part["entry_date"].to_numpy()[chosen] - before.astype("timedelta64[D]"),
    })


def _ml_rows(cohort: SyntheticCohort, persons: pd.DataFrame, contaminated: pd.DataFrame) -> pd.DataFrame:
    """The mission-locale extract (comparison youths and the contaminated participants), as text columns."""
    comp = persons[persons["treated"] == 0]
    cont = persons.loc[contaminated["person_id"]]
    frame = pd.concat([comp, cont], ignore_index=True)
    ids = np.concatenate([comp["person_id"].to_numpy(dtype=object), contaminated["ml_id"].to_numpy(dtype=object)])
    first = np.concatenate([comp["entry_date"].to_numpy(), contaminated["first_contact"].to_numpy()])
    birth = pd.concat([cohort.comparison.set_index("person_id")["birth_date"].reindex(comp["person_id"]),
                       cohort.participations.drop_duplicates("person_id").set_index("person_id")["birth_date"]
                       .reindex(cont["person_id"])]).to_numpy()
    unemployed = frame["unemployed_entry"].to_numpy() == 1
    out = pd.DataFrame({
        "id_jeune": ids,
        "date_premier_accueil": pd.to_datetime(first).strftime("%Y-%m-%d"),
        "sexe": np.where(frame["female"] == 1, 2, 1),
        "date_naissance": pd.to_datetime(birth).strftime("%Y-%m-%d"),
        "code_ml": frame["territory_id"].to_numpy(dtype=object),
        "niveau_formation": frame["national_level"].map(lambda v: _NATIONAL_ML.get(v, v)).to_numpy(dtype=object),
        "niveau_cite": frame["isced"].to_numpy(),
        "statut": np.where(unemployed, "DE", "INACTIF"),
        "duree_chomage_mois": np.where(unemployed, frame["unemp_duration_months"].astype(str), ""),
    })
    for col, src in (("menage_sans_emploi", "jobless_household"), ("enfants_a_charge", "hh_dependent_children"),
                     ("parent_isole", "hh_single_adult"), ("rqth", "disability"), ("minima_sociaux", "social_minima"),
                     ("sans_domicile", "homeless"), ("zone_rurale", "rural"), ("qpv", "qpv_resident")):
        out[col] = frame[src].to_numpy().astype(int)
    out["date_extraction"] = str(EXTRACT_DATE)
    order = np.lexsort((out["id_jeune"].to_numpy(), out["date_premier_accueil"].to_numpy()))
    return out.iloc[order].reset_index(drop=True)


def _register(cohort: SyntheticCohort, contaminated: pd.DataFrame) -> pd.DataFrame:
    """identifiant x trimestre -> en_emploi (employed in the quarter's last month); the contaminated under both ids."""
    q = quarter_end_probabilities(cohort)[["person_id", "quarter"]]
    panel = cohort.panel
    last = (panel["period"].to_numpy() - 1) % 12 % 3 == 2
    q["en_emploi"] = panel["employed"].to_numpy()[last].astype(int)
    extra = q[q["person_id"].isin(contaminated["person_id"])].copy()
    extra["person_id"] = extra["person_id"].map(dict(zip(contaminated["person_id"], contaminated["ml_id"], strict=True)))
    q = pd.concat([q, extra], ignore_index=True)
    q = q.sort_values(["person_id", "quarter"], kind="stable").reset_index(drop=True)
    return pd.DataFrame({"identifiant": q["person_id"].to_numpy(dtype=object),
                         "trimestre": quarter_label(q["quarter"].to_numpy()),
                         "en_emploi": q["en_emploi"].to_numpy()})


# -- truth -------------------------------------------------------------------------------------------


def _truth_document(cohort: SyntheticCohort, seed: int, truth: dict[str, Any], defects: dict[str, Any],
                    contaminated: pd.DataFrame, mdfse: pd.DataFrame, ml: pd.DataFrame, panel: pd.DataFrame,
                    paths: dict[str, Path]) -> dict[str, Any]:
    gt = truth["group_time"].copy()
    gt.insert(1, "group_label", quarter_label(gt["group"].to_numpy()))
    gt.insert(3, "time_label", quarter_label(gt["time"].to_numpy()))
    files = {role: {"file": p.name, "sha256": hashlib.sha256(p.read_bytes()).hexdigest()}
             for role, p in paths.items() if role != "truth"}
    n1 = int(cohort.persons["treated"].sum())
    return {
        "description": ("True effects recoverable from the raw extracts written by iej_impact.export_raw_extracts, "
                        "computed from the synthetic cohort's potential outcomes: value = mean of p1 - p0."),
        "generator": "iej_impact.export_raw_extracts",
        "seed": seed,
        "cohort": {"seed": cohort.params.get("seed"), "n_participants": n1,
                   "n_comparison": len(cohort.persons) - n1, "panel": cohort.params.get("panel")},
        "quarter_rule": "en_emploi of a quarter = employed in the quarter's last month of the monthly panel",
        "quarter_index": "4 * year + quarter - 1 (2014T1 = 8056), as parse: period:quarter",
        "entry_quarter": ("quarter of 'Date d'entrée' of the person's first participation (participants) or of "
                          "date_premier_accueil (comparison youths)"),
        "horizon_outcome": ("employed_q<h> = en_emploi in entry quarter + h; ATT: participants, ATC: comparison "
                            "youths (never contaminated), ATE: both"),
        "horizons": truth["horizons"],
        "main_horizon": 2,
        "group_time": gt,
        "dynamic": truth["dynamic"],
        "dynamic_overall": truth["dynamic_overall"],
        "simple": truth["simple"],
        "att_gt_note": ("ATT(g, t): g = entry quarter, t = register quarter; the monthly Ashenfelter dip (e = -3..-1) "
                        "falls in the last month of quarter g - 1 only, so base period g - 2 (anticipation: 1) "
                        "is outside it"),
        "defects": {**defects,
                    "contaminated": {"count": len(contaminated), "ml_ids": contaminated["ml_id"].tolist(),
                                     "participant_ids": contaminated["person_id"].tolist(),
                                     "rule": "participants whose first mission-locale contact is 60-240 days before "
                                             "their IEJ entry; in the crosswalk and in the register under both ids"}},
        "rows": {"participants": len(mdfse), "comparison": len(ml), "crosswalk": len(contaminated),
                 "panel": len(panel), "operations": len(cohort.operations)},
        "files": files,
        "truth_horizons": list(TRUTH_HORIZONS),
    }
