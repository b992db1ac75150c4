"""French versions of the notes result summaries write in English.

Estimators write their notes in English, with numbers and names inside. :func:`translate_note`
recognises the recurrent ones by pattern and rewrites them in French, numbers in the French
format; a note no pattern knows returns None, and the report shows it in its original language,
marked as such (``lang="en"``), rather than guess. English reports show every note as it is.
"""

from __future__ import annotations

import re

from ._i18n import NNBSP

__all__ = ["translate_note"]

_NUMBER = re.compile(r"(?<![\w.])-?\d[\d,]*(?:\.\d+)?(?![\w])")


def _fr_numbers(text: str) -> str:
    """'2,251' -> '2 251', '0.05' -> '0,05' (numbers only; words and codes untouched)."""
    def one(m: re.Match[str]) -> str:
        s = m.group(0).replace(",", NNBSP).replace(".", ",")
        return s.replace("-", "\u2212") if s.startswith("-") else s

    return _NUMBER.sub(one, text)


_INFERENCE = {"robust": "robuste"}

#: (pattern, French template): groups are inserted with {1}, {2}... after their numbers are localised
_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"Inference: robust \(influence-function / sandwich\) standard error, normal CI\.",
     "Inférence : écart-type robuste (fonction d'influence, sandwich), intervalle de confiance normal."),
    (r"Inference: cluster-robust standard error by (.+?) \(small-sample factor: see the estimator's notes\), normal CI\.",
     "Inférence : écart-type robuste par grappes ({1}) (facteur de petit échantillon : voir les notes de "
     "l'estimateur), intervalle de confiance normal."),
    (r"Inference: Abadie-Imbens standard error for matching estimators \((\d+) same-arm neighbours\)\.",
     "Inférence : écart-type d'Abadie-Imbens des estimateurs par appariement ({1} voisins du même groupe)."),
    (r"Estimand: (ATT|ATE|ATC), the average effect on the [^(]+\((E\[.+?\])\)\. Identification assumes unconfoundedness "
     r".*overlap \(every unit of the target population could be in either arm\)\.",
     "Paramètre : {1} ({2}). L'identification suppose l'absence de facteur de confusion non mesuré (résultats "
     "potentiels indépendants du traitement à covariables données) et le recouvrement (chaque unité de la "
     "population cible aurait pu se trouver dans l'un ou l'autre groupe)."),
    (r"Binary outcome: potential-outcome means are probabilities and the effect is a difference in probabilities "
     r"\(x100 = percentage points\)\.",
     "Résultat binaire : les moyennes des résultats potentiels sont des probabilités et l'effet est une différence "
     "de probabilités (×100 = points de pourcentage)."),
    (r"Standard error \(robust\) from the influence function of the stacked estimating equations .*",
     "Écart-type robuste tiré de la fonction d'influence des équations d'estimation empilées (celles du score de "
     "propension et des modèles de résultat comprises), sans correction des degrés de liberté, comme Stata teffects."),
    (r"Standard error \(clustered by (\S+), (\d+) clusters\) from the influence function of the stacked estimating .*",
     "Écart-type par grappes ({1}, {2} grappes) tiré de la fonction d'influence des équations d'estimation "
     "empilées (celles du score de propension et des modèles de résultat comprises), sans correction des degrés "
     "de liberté, comme Stata teffects."),
    (r"SMD = difference in means / SD \(pooled SD of the unadjusted sample\); binary covariates standardized with "
     r"sqrt\(p\(1-p\)\)\.",
     "Différence standardisée (DS) = différence des moyennes / écart type (commun, de l'échantillon non ajusté) ; "
     "covariables binaires standardisées par √(p(1−p))."),
    (r"(\d+) of (\d+) covariates have \|SMD\| > ([\d.]+) unadjusted; largest \|SMD\| ([\d.]+)\.",
     "{1} covariables sur {2} ont une |DS| > {3} avant ajustement ; |DS| maximale : {4}."),
    (r"(\d+) of (\d+) covariates have \|SMD\| > ([\d.]+) (?:adjusted|after adjustment); largest \|SMD\| ([\d.]+)\.",
     "{1} covariables sur {2} ont une |DS| > {3} après ajustement ; |DS| maximale : {4}."),
    (r"Overall ATT: post-treatment ATT\(g,t\) weighted by cohort size\.",
     "ATT global : moyenne des ATT(g, t) après l'entrée, pondérée par la taille des cohortes."),
    (r"Overall ATT: average of the event-time ATTs over e >= 0\.",
     "ATT global : moyenne des ATT par temps relatif pour e ≥ 0."),
    (r"joint Wald test that every pre-treatment (?:event-time ATT|ATT\(g,t\)) before the anticipation window "
     r"\(event time < (-?\d+)\) is zero: chi2\((\d+)\) = ([\d.]+), p = ([\d.]+)\.",
     "Test de Wald joint de nullité de tous les effets avant l'entrée, hors fenêtre d'anticipation (temps "
     "relatif < {1}) : chi2({2}) = {3}, p = {4}."),
    (r"pre-trend test not available: no pre-treatment coefficient to test\.",
     "Test de tendances préalables indisponible : aucun coefficient avant l'entrée à tester."),
    (r"TWFE assumes parallel trends and homogeneous effects; with staggered entry and heterogeneous effects prefer "
     r"att_gt\(\)\.",
     "Le TWFE suppose des tendances parallèles et des effets homogènes ; avec des entrées échelonnées et des "
     "effets hétérogènes, préférer att_gt()."),
    (r"Goodman-Bacon: ([\d.]+)% of the weight is on comparisons with already-treated units\.",
     "Goodman-Bacon : {1} % du poids porte sur des comparaisons avec des unités déjà traitées."),
    (r"de Chaisemartin-D'Haultfoeuille: (\d+) of (\d+) treated \(cohort, period\) cells have negative weights "
     r"\(total ([-\d.]+)\)\.",
     "de Chaisemartin-D'Haultfœuille : {1} cellules traitées (cohorte, période) sur {2} ont un poids négatif "
     "(total {3})."),
    (r"Critical Gamma at alpha = ([\d.]+): ([\d.]+) \(an unobserved confounder .*\)\.",
     "Gamma critique au seuil {1} : {2} (un facteur de confusion non observé devrait multiplier par ce facteur "
     "les chances d'être traité au sein des paires pour rendre l'effet non significatif)."),
    (r"(\w+) test on (\d+) pairs \(statistic ([\d.]+)\); one-sided, H1: positive effect; bounds from the exact "
     r"distribution\.",
     "Test de {1} sur {2} paires (statistique {3}) ; unilatéral, H1 : effet positif ; bornes tirées de la loi exacte."),
    (r"Counting unit: (\w+)\. Breakdowns: (.+)\.", "Unité de compte : {1}. Ventilations : {2}."),
    (r"Counting unit: (\w+)\.", "Unité de compte : {1}."),
    (r"Shares are fractions \(0-1\) with Wilson 95% intervals\.",
     "Les parts sont des proportions (entre 0 et 1), avec des intervalles de Wilson à 95 %."),
    (r"Disclosure control: cells of 1 to (\d+) persons withheld with complementary suppression; (\d+) of (\d+) rows "
     r"withheld\.",
     "Secret statistique : cellules de 1 à {1} personnes masquées, avec secret secondaire ; {2} lignes sur {3} "
     "masquées."),
    (r"Raw difference in means: an effect only under random assignment; with selection into the programme it is "
     r"biased\. Standard error: Welch / HC2\.",
     "Différence brute des moyennes : un effet seulement si l'affectation est aléatoire ; avec une sélection à "
     "l'entrée du programme, elle est biaisée. Écart-type : Welch / HC2."),
    (r"Standard errors from the influence functions, clustered by unit \(no small-sample factor, as R did\)\.",
     "Écarts-types tirés des fonctions d'influence, par grappes d'unités (sans facteur de petit échantillon, "
     "comme le paquet R did)."),
    (r"Education: ISCED levels as given in (\w+)\.", "Niveau d'études : niveaux CITE tels que donnés dans {1}."),
    (r"Placebo entry: every cohort entered (\d+) periods? earlier; the (\d+) observations from the true entry on"
     r"(?: \(minus the \d+-period anticipation\))? and (\d+) without a pre-placebo period were dropped\. .*",
     "Date d'entrée fictive : chaque cohorte est entrée {1} période(s) plus tôt ; les {2} observations à partir de la "
     "vraie entrée (moins la fenêtre d'anticipation déclarée) et les {3} sans période avant l'entrée fictive ont été "
     "retirées. Sous tendances parallèles et sans anticipation, les effets sont nuls ; les cellules à partir de la "
     "vraie entrée d'une cohorte n'ont pas de données."),
    (r"Placebo group: the (\d+) treated units were dropped; the (\d+) comparison units of (.+) play the treated "
     r"against the other (\d+)\. The estimate is 0 if .*",
     "Groupe placebo : les {1} unités traitées ont été retirées ; les {2} unités de comparaison retenues par le filtre "
     "{3} tiennent le rôle des traités face aux {4} autres. L'estimation est nulle si le dispositif élimine les "
     "différences entre ces groupes non traités."),
    (r"Placebo group: the (\d+) treated units were dropped; (\d+) never-treated units play the treated against the "
     r"other (\d+)\. The effects are 0 .*",
     "Groupe placebo : les {1} unités traitées ont été retirées ; {2} unités jamais traitées tiennent le rôle des "
     "traités face aux {3} autres. Les effets sont nuls si ces unités non traitées suivent les mêmes tendances."),
    (r"Placebo units: filter (.+)\.", "Unités placebo : filtre {1}."),
    (r"Placebo units: a random (\d+)% of the never-treated units\.",
     "Unités placebo : tirage au hasard de {1}\u202f% des unités jamais traitées."),
    (r"Placebo entry periods: drawn at random from the real treated units' entry periods\.",
     "Dates d'entrée fictives : tirées au hasard parmi les dates d'entrée des unités réellement traitées."),
    (r"Placebo entry period: (\S+)\.", "Date d'entrée fictive : {1}."),
)

_COMPILED = tuple((re.compile(p, re.S), template) for p, template in _PATTERNS)


def translate_note(note: str, language: str) -> str | None:
    """``note`` in ``language``: as it is in English; in French, its translation, or None when unknown."""
    if language != "fr":
        return note
    for pattern, template in _COMPILED:
        m = pattern.fullmatch(note.strip())
        if m:
            text = template
            for i, group in enumerate(m.groups(), start=1):
                text = text.replace("{" + str(i) + "}", _fr_numbers(group or ""))
            return text
    return None
