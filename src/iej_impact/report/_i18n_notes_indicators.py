"""French of the notes written by the programme indicators (ESF common indicators, IEJ exit categories,
costs per participant, reconciliations of totals).

Template slots are explained in :mod:`~iej_impact.report._i18n_notes`. The explanatory note of a
reconciliation comes from the ``note`` column of ``indicators/registry/relations.csv``; its French
is in ``RELATION_NOTES`` (a relation added to that file without a French note leaves its
reconciliation note in English, marked).
"""

from __future__ import annotations

import re

__all__ = ["PATTERNS", "RELATION_NOTES", "RELATIONS"]

#: relation ids of indicators/registry/relations.csv -> their French name
RELATIONS: dict[str, str] = {
    "lm_status": "statut sur le marché du travail à l'entrée",
    "sex": "sexe",
    "isced": "niveau d'études",
    "exits": "sorties",
    "positive_exits": "sorties positives",
}

#: the ``note`` column of indicators/registry/relations.csv -> its French
RELATION_NOTES: dict[str, str] = {
    "Exactly one status at entry (gov.scot ESF guidance) [V]; a gap is participants with no status.":
        "Un seul statut à l'entrée (guide FSE du gouvernement écossais) [V] ; un écart correspond à des participants "
        "sans statut.",
    "All ESF data are broken down by sex [V].": "Toutes les données FSE sont ventilées par sexe [V].",
    "A gap is participants with no education level.": "Un écart correspond à des participants sans niveau d'études.",
    "The 2015 report: 4,009 + 1,083 + 1,939 = 7,031, not 7,040 (9 leavers in no category).":
        "Rapport 2015 : 4\u202f009 + 1\u202f083 + 1\u202f939 = 7\u202f031, et non 7\u202f040 (9 sortants sans "
        "catégorie).",
    "The 2015 report: 31% + 7% + 14% = 52%, not 57% (the three shares are attributed to the national PO).":
        "Rapport 2015 : 31\u202f% + 7\u202f% + 14\u202f% = 52\u202f%, et non 57\u202f% (les trois parts sont "
        "attribuées au PO national).",
}

_NEEDS = ((re.compile(r"needs column (\w+)"), "requiert la colonne {0}"),
          (re.compile(r"needs columns (\w+) and (\w+)"), "requiert les colonnes {0} et {1}"),
          (re.compile(r"needs at least one of the CO12-CO18 columns \((.+)\)"),
           "requiert au moins une des colonnes CO12 à CO18 ({0})"))


def not_computed(text: str) -> str | None:
    """'ESF:CO15 (needs column x); ESF:CO17, ESF:CR07 (needs column y)' in French; None if a reason is unknown."""
    out = []
    for item in text.split("; "):
        m = re.fullmatch(r"(.+?) \((.+)\)", item)
        if not m:
            return None
        for pattern, template in _NEEDS:
            reason = pattern.fullmatch(m.group(2))
            if reason:
                out.append(f"{m.group(1)} ({template.format(*reason.groups())})")
                break
        else:
            return None
    return " ; ".join(out)


def operations(text: str) -> str:
    """'operation OP043 (nc, 313,533 EUR), funding group G1 (target 0, ...)' in French."""
    text = re.sub(r"\boperation\b", "opération", text)
    text = re.sub(r"\bfunding group\b", "enveloppe", text)
    return re.sub(r"\btarget 0\b", "cible 0", text)


PATTERNS: tuple[tuple[str, str], ...] = (
    (r"Counting unit: (\w+)\. Breakdowns: none\.", "Unité de compte : {1|raw}. Ventilations : aucune."),
    (r"Counting unit: (\w+)\. Breakdowns: (.+)\.", "Unité de compte : {1|raw}. Ventilations : {2|raw}."),
    (r"Counting unit: (\w+)\.", "Unité de compte : {1|raw}."),
    (r"Shares are fractions \(0-1\) with Wilson 95% intervals\.",
     "Les parts sont des proportions (entre 0 et 1), avec des intervalles de Wilson à 95 %."),
    (r"Disclosure control: cells of 1 to (\d+) persons withheld with complementary suppression; (\d+) of (\d+) rows "
     r"withheld\.",
     "Secret statistique : cellules de 1 à {1} personnes masquées, avec secret secondaire ; {2} lignes sur {3} "
     "masquées."),
    (r"Disclosure control disabled \(min_cell_size=1\)\.", "Secret statistique désactivé (min_cell_size=1)."),
    (r"Education: ISCED levels as given in (\w+)\.", "Niveau d'études : niveaux CITE tels que donnés dans {1|raw}."),
    (r"reconciliation: (\w+): (\S+) = ([\d,]+) but (.+?) = ([\d,]+) \(gap ([+-][\d,]+)\)\. (.+)",
     "Rapprochement ({1|relation}) : {2|raw} = {3}, mais {4|raw} = {5} (écart {6}). {7|relation_note}"),
    (r"reconciliation: (\w+): (\S+) = ([\d,]+) but (.+?) = ([\d,]+) \(gap ([+-][\d,]+)\)\.",
     "Rapprochement ({1|relation}) : {2|raw} = {3}, mais {4|raw} = {5} (écart {6})."),
    (r"'Disadvantaged' \(ESF CR05, CR09\) is built from the available flags only: (.+)\.",
     "« Défavorisé » (FSE CR05, CR09) est construit à partir des seuls indicateurs disponibles : {1|raw}."),
    (r"Six-month indicators are weighted by (\w+) \(design-based CI; see the notes\)\.",
     "Les indicateurs à six mois sont pondérés par {1|raw} (intervalles de confiance fondés sur le plan de sondage ; "
     "voir les notes)."),
    (r"Targets 'nc' or 0 left out of costs per target and achievement rates: (.+)\.",
     "Cibles « nc » ou nulles exclues des coûts par participant visé et des taux de réalisation : {1|operations}."),
    (r"Weighted six-month shares: linearisation variance \(with-replacement, single-stage approximation; strata, "
     r"clusters and calibration of the survey are not used\) and Wilson intervals at the effective sample size\.",
     "Parts pondérées à six mois : variance par linéarisation (approximation d'un tirage à un degré avec remise ; "
     "strates, grappes et calage de l'enquête ne sont pas pris en compte) et intervalles de Wilson à la taille "
     "d'échantillon effective."),
    (r"Not computed: (.+)\.", "Non calculés : {1|not_computed}."),
)
