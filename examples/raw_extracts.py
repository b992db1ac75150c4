"""From raw MDFSE, mission-locale and employment-register extracts to estimates, in Python.

The same evaluation as ``configs/raw_extracts.yaml`` (see docs/how-to/raw-extracts.md), written
with the Python API: ``load_data`` reads each raw file with its declared options, ``prepare``
runs the preparation steps (the same list as the configuration's ``data.prepare``), and the
estimators take the prepared tables. Run it from the repository root::

    python examples/raw_extracts.py [folder of raw extracts]   # default: configs/raw

It prints each estimate beside the true effect written by the exporter in ``truth.json``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd

import iej_impact as ii

RAW = Path(__file__).resolve().parents[1] / "configs" / "raw"
SEED = 20180101

MDFSE_COLUMNS = {
    "N° dossier participant": "participation_id", "Identifiant participant": "person_id",
    "N° opération": "operation_id", "Date d'entrée": "entry_date", "Date de sortie": "exit_date", "Sexe": "sex",
    "Date de naissance": "birth_date", "Situation sur le marché du travail": "lm_status_entry",
    "Durée de chômage (mois)": "unemp_duration_months",
    "En études ou formation à l'entrée": "in_education_training_entry", "Inscrit à Pôle emploi": "pe_registered_entry",
    "Niveau de formation": "national_level", "Niveau CITE": "isced_entry", "Ménage sans emploi": "hh_jobless",
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
MDFSE_FLAGS = ["in_education_training_entry", "pe_registered_entry", "hh_jobless", "hh_dependent_children",
               "hh_single_adult", "disability_rqth", "social_minima", "homeless", "rural", "qpv_resident",
               "offer_received_at_exit", "qualification_gained"]
MDFSE_DATES = ["entry_date", "exit_date", "birth_date", "exit_status_date", "status_6m_date", "extract_date"]
OPERATION_COLUMNS = {
    "N° opération": "operation_id", "Programme": "programme", "Autorité de gestion": "managing_authority",
    "Code région": "region_code", "Millésime région": "region_code_vintage", "Porteur": "operator_name",
    "Type de porteur": "operator_type", "Étape": "stage", "Type d'action": "action_type", "Intitulé": "title",
    "Montant FSE-IEJ (€)": "amount_fse_iej", "Enveloppe commune": "funding_group_id",
    "Objectif (participants)": "target_participants", "Durée de l'objectif (ans)": "target_years",
    "Date de début": "start_date", "Date de fin": "end_date", "Mission locale": "territory_id",
}
ML_COLUMNS = {
    "date_premier_accueil": "pseudo_entry_date", "sexe": "sex", "date_naissance": "birth_date", "code_ml": "territory_id",
    "niveau_formation": "national_level", "niveau_cite": "isced_entry", "statut": "lm_status_entry",
    "duree_chomage_mois": "unemp_duration_months", "menage_sans_emploi": "hh_jobless",
    "enfants_a_charge": "hh_dependent_children", "parent_isole": "hh_single_adult", "rqth": "disability_rqth",
    "minima_sociaux": "social_minima", "sans_domicile": "homeless", "zone_rurale": "rural", "qpv": "qpv_resident",
    "date_extraction": "extract_date",
}
ML_FLAGS = ["hh_jobless", "hh_dependent_children", "hh_single_adult", "disability_rqth", "social_minima", "homeless",
            "rural", "qpv_resident"]

STEPS: list[dict[str, Any]] = [
    {"step": "drop_duplicates", "table": "participations"},
    {"step": "repair_dates", "table": "participations", "column": "exit_date", "when": "exit_date < entry_date",
     "add_years": 1},
    {"step": "merge_reentries", "table": "participations"},
    {"step": "join", "left": "participations", "right": "operations", "on": "operation_id", "columns": ["action_type"],
     "new_table": "participants"},
    {"step": "keep_first", "table": "participants", "by": "person_id", "order": "entry_date"},
    {"step": "remove_contamination", "table": "comparison", "participants": "participants",
     "crosswalk": {"table": "crosswalk", "comparison": "id_jeune", "participants": "person_id"},
     "reference": "pseudo_entry_date", "action": "drop"},
    {"step": "derive", "table": "comparison", "columns": {"person_id": "id_jeune"}},
    {"step": "stack", "participants": "participants", "comparison": "comparison", "new_table": "persons",
     "treatment_column": "treated",
     "reference_date": {"participants": "entry_date", "comparison": "pseudo_entry_date", "into": "reference_date"}},
    {"step": "age_at", "table": "persons", "birth": "birth_date", "date": "reference_date", "into": "age"},
    {"step": "filter", "table": "persons", "where": "age >= 16 and age <= 25"},
    {"step": "derive", "table": "persons", "columns": {
        "female": "(sex == 'F') * 1",
        "isced_0_2": "(isced_entry <= 2) * 1",
        "isced_0_4": "(isced_entry <= 4) * 1",
        "unemployed_entry": "(lm_status_entry == 'UNEMPLOYED') * 1",
        "unemployed_3m": "(unemp_duration_months >= 3) * 1",
        "unemployed_6m": "(unemp_duration_months >= 6) * 1",
        "unemployed_12m": "(unemp_duration_months >= 12) * 1",
        "unemployed_24m": "(unemp_duration_months >= 24) * 1"}},
    {"step": "period", "table": "persons", "column": "reference_date", "frequency": "quarter", "into": "entry_quarter"},
    {"step": "period", "table": "persons", "column": "reference_date", "frequency": "quarter", "into": "first_treat",
     "arm": "participants"},
    {"step": "horizons", "panel": "register", "table": "persons", "unit": "person_id", "time": "quarter",
     "reference": "entry_quarter", "columns": {
         "employed_q2": {"value": "employed", "at": 2},
         "employed_q4": {"value": "employed", "at": 4},
         "employed_before": {"value": "employed", "window": [-4, -2], "stat": "share"}}},
    {"step": "join", "left": "register", "right": "persons", "on": "person_id",
     "columns": ["first_treat", "entry_quarter", "female", "age", "isced_0_2", "unemployed_entry"], "how": "inner",
     "new_table": "panel"},
    {"step": "event_time", "panel": "panel", "persons": "persons", "unit": "person_id", "time": "quarter",
     "reference": "entry_quarter"},
]
COVARIATES = ["female", "age", "isced_0_2", "isced_0_4", "hh_jobless", "disability_rqth", "social_minima", "homeless",
              "qpv_resident", "rural", "unemployed_entry", "unemployed_3m", "unemployed_6m", "unemployed_12m",
              "unemployed_24m", "employed_before"]


def read_sources(raw: Path) -> dict[str, pd.DataFrame]:
    """Each raw file with its own separator, encoding, renames, parsers and code maps."""
    return {
        "participations": ii.load_data(
            raw / "mdfse_participants.csv", format="csv", sep=";", encoding="cp1252", table="participations",
            columns=MDFSE_COLUMNS,
            parse={**dict.fromkeys(MDFSE_FLAGS, "bool"), **dict.fromkeys(MDFSE_DATES, "date:%d/%m/%Y"),
                   "sample_weight_6m": "fr_number"},
            codes={"sex": "aliases", "national_level": "aliases",
                   "lm_status_entry": {"Chômeur": "UNEMPLOYED", "Inactif": "INACTIVE"}}),
        "operations": ii.load_data(
            raw / "mdfse_operations.csv", format="csv", sep=";", encoding="cp1252", table="operations",
            columns=OPERATION_COLUMNS,
            parse={"amount_fse_iej": "fr_number", "target_participants": "fr_number", "region_code": "text",
                   "start_date": "date:%d/%m/%Y", "end_date": "date:%d/%m/%Y"},
            codes={"operator_type": "aliases", "action_type": "aliases"}),
        "comparison": ii.load_data(
            raw / "mission_locale_cohorte.tsv", format="csv", sep="\t", columns=ML_COLUMNS,
            parse={**dict.fromkeys(ML_FLAGS, "bool"), "pseudo_entry_date": "date", "birth_date": "date",
                   "extract_date": "date"},
            codes={"sex": {1: "M", 2: "F"}, "national_level": "aliases",
                   "lm_status_entry": {"DE": "UNEMPLOYED", "INACTIF": "INACTIVE"}}),
        "crosswalk": ii.load_data(raw / "correspondance_ids.csv", columns={"identifiant_participant": "person_id"}),
        "register": ii.load_data(raw / "emploi_trimestriel.csv",
                                 columns={"identifiant": "person_id", "trimestre": "quarter", "en_emploi": "employed"},
                                 parse={"quarter": "period:quarter"}),
    }


def evaluate(raw: Path = RAW) -> dict[str, Any]:
    """Prepare the raw files and estimate; returns the prepared tables and the results."""
    prepared = ii.prepare(read_sources(raw), STEPS, arms={"participations": "participants", "comparison": "comparison"},
                          ids={"participations": "participation_id", "comparison": "id_jeune"})
    persons, panel = prepared["persons"], prepared["panel"]
    cs = ii.att_gt(panel, outcome="employed", unit="person_id", time="quarter", cohort="first_treat",
                   covariates=["female", "age", "isced_0_2", "unemployed_entry"], anticipation=1)
    return {
        "prepared": prepared,
        "indicators": ii.programme_indicators(prepared["participations"], operations=prepared["operations"],
                                              missing_targets="report"),
        "psm": ii.psm(persons, outcome="employed_q2", treatment="treated", covariates=COVARIATES, estimand="ATT",
                      replace=True, ties=True, random_state=SEED),
        "aipw": ii.doubly_robust(persons, outcome="employed_q2", treatment="treated", covariates=COVARIATES,
                                 estimand="ATT", random_state=SEED),
        "att_gt": cs,
        "dynamic": cs.aggregate("dynamic"),
        "event_study": ii.event_study(panel, outcome="employed", unit="person_id", time="quarter", cohort="first_treat",
                                      window=(-4, 6), reference=-2),
    }


def main(argv: list[str]) -> int:
    raw = Path(argv[0]) if argv else RAW
    out = evaluate(raw)
    truth = json.loads((raw / "truth.json").read_text(encoding="utf-8"))
    att_q2 = next(h["value"] for h in truth["horizons"] if h["horizon"] == 2 and h["estimand"] == "ATT")
    flow = out["prepared"].flow
    print(flow[["step", "table", "rows_in", "rows_out", "treated_out", "control_out"]].to_string(index=False))
    print(f"\nemployed at entry quarter + 2, ATT (truth {att_q2:.4f}):")
    for name in ("psm", "aipw"):
        r = out[name]
        print(f"  {name:5s} {r.estimate:.4f}  95% CI [{r.ci[0]:.4f}, {r.ci[1]:.4f}]")
    dyn = out["dynamic"]
    print(f"att_gt dynamic, mean of e >= 0 (truth {truth['dynamic_overall']:.4f}): {dyn.estimate:.4f}  "
          f"95% CI [{dyn.ci[0]:.4f}, {dyn.ci[1]:.4f}]")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
