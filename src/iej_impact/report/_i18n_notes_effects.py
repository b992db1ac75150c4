"""French of the notes written by the cross-section estimators: weighting, regression, doubly robust,
matching and its sensitivity analysis, the grid runner and the cost per additional outcome.

Each entry is (English pattern, French template); :mod:`~iej_impact.report._i18n_notes` explains
the template slots. The patterns follow the notes' English text in ``observational``,
``matching``, ``synthesis`` and the grid runner; a note whose wording changes there falls back to
English (marked) until its pattern here is updated, which the French demo report test catches.
"""

from __future__ import annotations

__all__ = ["PATTERNS"]

_MATCH_FIX_NO_REPLACE = (
    r"To get a result that does not depend on the row order, match with replace=True, ties=True \(every tied "
    r"unit is used; Abadie & Imbens 2006, Stata's teffects, R Matching\), or add a continuous covariate to the score "
    r"so that fewer units tie; at least sort the rows by a stable identifier before matching so that the result can be "
    r"reproduced \(order='random' with a random_state draws the matching order reproducibly, but still from the rows "
    r"in data order\)\."
)

PATTERNS: tuple[tuple[str, str], ...] = (
    # --- inference and estimand (results._summary of every effect)
    (r"Inference: robust \(influence-function / sandwich\) standard error, normal CI\.",
     "Inférence : écart-type robuste (fonction d'influence, sandwich), intervalle de confiance normal."),
    (r"Inference: cluster-robust standard error by (.+?) \(small-sample factor: see the estimator's notes\), normal CI\.",
     "Inférence : écart-type robuste par grappes ({1|list}) (facteur de petit échantillon : voir les notes de "
     "l'estimateur), intervalle de confiance normal."),
    (r"Inference: Abadie-Imbens standard error for matching estimators \((\d+) same-arm neighbours\)\.",
     "Inférence : écart-type d'Abadie-Imbens des estimateurs par appariement ({1} voisins du même groupe)."),
    (r"Estimand: (ATT|ATE|ATC), the average effect (?:on|over) [^(]+\((E\[.+?\])\)\. Identification assumes unconfoundedness "
     r".*overlap \(every unit of the target population could be in either arm\)\.",
     "Paramètre : {1} ({2|raw}). L'identification suppose l'absence de facteur de confusion non mesuré (résultats "
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
     "Écart-type par grappes ({1|raw}, {2} grappes) tiré de la fonction d'influence des équations d'estimation "
     "empilées (celles du score de propension et des modèles de résultat comprises), sans correction des degrés "
     "de liberté, comme Stata teffects."),
    # --- balance
    (r"SMD = difference in means / SD \(pooled SD of the unadjusted sample\); binary covariates standardized with "
     r"sqrt\(p\(1-p\)\)\.",
     "Différence standardisée (DS) = différence des moyennes / écart type (commun, de l'échantillon non ajusté) ; "
     "covariables binaires standardisées par √(p(1−p))."),
    (r"(\d+) of (\d+) covariates have \|SMD\| > ([\d.]+) unadjusted; largest \|SMD\| ([\d.]+)\.",
     "{1} covariables sur {2} ont une |DS| > {3} avant ajustement ; |DS| maximale : {4}."),
    (r"(\d+) of (\d+) covariates have \|SMD\| > ([\d.]+) (?:adjusted|after adjustment); largest \|SMD\| ([\d.]+)\.",
     "{1} covariables sur {2} ont une |DS| > {3} après ajustement ; |DS| maximale : {4}."),
    # --- naive comparison, regression adjustment, weighting, doubly robust
    (r"Raw difference in means: an effect only under random assignment; with selection into the programme it is "
     r"biased\. Standard error: Welch / HC2\.",
     "Différence brute des moyennes : un effet seulement si l'affectation est aléatoire ; avec une sélection à "
     "l'entrée du programme, elle est biaisée. Écart-type : Welch / HC2."),
    (r"Regression adjustment \(Stata teffects ra\): (.+?); potential outcomes predicted for every unit of the target "
     r"population and averaged\. Assumes the outcome models are correctly specified\. References: Wooldridge \(2010\), "
     r"Econometric Analysis of Cross Section and Panel Data, section 21\.3; Imbens & Wooldridge \(2009\), J\. Econ\. "
     r"Literature 47\(1\)\.",
     "Ajustement par régression (teffects ra de Stata) : {1|phrase} ; résultats potentiels prédits pour chaque unité "
     "de la population cible, puis moyennés. Suppose les modèles de résultat correctement spécifiés. Références : "
     "Wooldridge (2010), section 21.3 ; Imbens et Wooldridge (2009), J. Econ. Literature 47(1)."),
    (r"Inverse-probability weighting with (.+?); (stabilized |)weights (.+? control units); propensity score: (\w+)\. "
     r"Assumes a correctly specified propensity-score model\. References: Hirano, Imbens & Ridder \(2003\), "
     r"Econometrica 71\(4\); Lunceford & Davidian \(2004\), Stat\. Med\. 23\(19\); Wooldridge \(2010\), section 21\.3\.",
     "Pondération par l'inverse de la probabilité de traitement, {1|phrase} ; poids {2|phrase}{3|phrase} ; score "
     "de propension : {4|phrase}. Suppose le modèle du score de propension correctement spécifié. Références : "
     "Hirano, Imbens et Ridder (2003), Econometrica 71(4) ; Lunceford et Davidian (2004), Stat. Med. 23(19) ; "
     "Wooldridge (2010), section 21.3."),
    (r"Augmented inverse-probability weighting \(Stata teffects aipw for the ATE\): (.+?) outcome model in each arm "
     r"plus the IPW-weighted mean of its residuals\. References: Robins, Rotnitzky & Zhao \(1994\), JASA 89\(427\); "
     r"Cattaneo \(2010\), J\. Econometrics 155\(2\); Lunceford & Davidian \(2004\)\. Propensity score: (\w+)\. "
     r"Doubly robust: consistent if either the propensity-score model or the outcome models are correctly specified\.",
     "Pondération inverse augmentée (AIPW ; teffects aipw de Stata pour l'ATE) : modèle de résultat {1|phrase} dans "
     "chaque groupe, plus la moyenne de ses résidus pondérée par l'inverse de la probabilité de traitement. "
     "Références : Robins, Rotnitzky et Zhao (1994), JASA 89(427) ; Cattaneo (2010), J. Econometrics 155(2) ; "
     "Lunceford et Davidian (2004). Score de propension : {2|phrase}. Doublement robuste : convergent si le modèle "
     "du score de propension ou les modèles de résultat sont correctement spécifiés."),
    (r"IPW regression adjustment \(Stata teffects ipwra\): (.+?) outcome model in each arm fitted with the estimand's "
     r"inverse-probability weights, predictions averaged over the target population\. References: Wooldridge "
     r"\(2007\), J\. Econometrics 141\(2\); Wooldridge \(2010\), section 21\.3\.4\. Propensity score: (\w+)\. "
     r"Doubly robust: consistent if either the propensity-score model or the outcome models are correctly specified\.",
     "Ajustement par régression pondérée (IPWRA ; teffects ipwra de Stata) : modèle de résultat {1|phrase} dans "
     "chaque groupe, estimé avec les poids inverses du paramètre visé, prédictions moyennées sur la population "
     "cible. Références : Wooldridge (2007), J. Econometrics 141(2) ; Wooldridge (2010), section 21.3.4. Score de "
     "propension : {2|phrase}. Doublement robuste : convergent si le modèle du score de propension ou les modèles "
     "de résultat sont correctement spécifiés."),
    # --- matching
    (r"(\d+) of (\d+) matched units \(([\d.]+)%\) had more units of the other arm at exactly the distance of their "
     r"last match than matches \(matching without replacement\): the tie was broken by data row order \(MatchIt's "
     r"rule\), so the estimate depends on how the rows are sorted \((.+)\)\. " + _MATCH_FIX_NO_REPLACE,
     "{1} unités appariées sur {2} ({3} %) avaient, à la distance exacte de leur dernier appariement, plus d'unités "
     "de l'autre groupe que d'appariements (appariement sans remise) : l'égalité a été tranchée par l'ordre des "
     "lignes (règle de MatchIt), si bien que l'estimation dépend du tri des lignes ({4|rows}). Pour un résultat "
     "indépendant de l'ordre des lignes, apparier avec replace=True, ties=True (toutes les unités à égalité sont "
     "retenues ; Abadie et Imbens 2006, teffects de Stata, paquet R Matching), ou ajouter au score une covariable "
     "continue pour réduire les égalités ; au minimum, trier les lignes selon un identifiant stable avant "
     "l'appariement pour que le résultat soit reproductible (order='random' avec random_state tire l'ordre "
     "d'appariement de façon reproductible, mais toujours à partir des lignes dans l'ordre des données)."),
    (r"(\d+) of (\d+) matched units \(([\d.]+)%\) had more units of the other arm at exactly the distance of their "
     r"last match than matches: the tie was broken by data row order \(MatchIt's rule\), so the estimate depends on "
     r"how the rows are sorted \((.+)\)\. Pass ties=True to use every tied unit \(Abadie & Imbens 2006; Stata's "
     r"teffects, R Matching\)\.",
     "{1} unités appariées sur {2} ({3} %) avaient, à la distance exacte de leur dernier appariement, plus d'unités "
     "de l'autre groupe que d'appariements : l'égalité a été tranchée par l'ordre des lignes (règle de MatchIt), si "
     "bien que l'estimation dépend du tri des lignes ({4|rows}). Passer ties=True pour retenir toutes les unités à "
     "égalité (Abadie et Imbens 2006 ; teffects de Stata, paquet R Matching)."),
    (r"Nearest-neighbour matching with MatchIt's conventions: units ordered by \(distance, data row\); the nearest "
     r"available control before or after a focal unit, the one before at equal distance; without replacement, "
     r"matched in order '(\w+)'(, in rounds for 1:k)?\.",
     "Appariement au plus proche voisin selon les conventions de MatchIt : unités ordonnées par (distance, ligne des "
     "données) ; le témoin disponible le plus proche avant ou après l'unité à apparier, celui d'avant à distance "
     "égale ; sans remise, appariement dans l'ordre '{1|raw}'{2|phrase}."),
    (r"Nearest-neighbour matching with MatchIt's conventions: units ordered by \(distance, data row\); the nearest "
     r"available control before or after a focal unit, the one before at equal distance; with replacement\.",
     "Appariement au plus proche voisin selon les conventions de MatchIt : unités ordonnées par (distance, ligne des "
     "données) ; le témoin disponible le plus proche avant ou après l'unité à apparier, celui d'avant à distance "
     "égale ; avec remise."),
    (r"Nearest-neighbour matching with replacement, (\d+) match\(es\) per unit with ties kept: every unit of the "
     r"other arm as close as the (\w+) nearest is a match, each of a unit's matches weighing 1 / \(number of its "
     r"matches\)\.",
     "Appariement au plus proche voisin avec remise, {1} voisin(s) par unité, égalités conservées : toute unité de "
     "l'autre groupe aussi proche que le {2|ordinal} plus proche voisin est retenue, chacun des voisins d'une unité "
     "pesant 1 / (nombre de ses voisins)."),
    (r"ATE by matching \(Abadie & Imbens 2006\): treated units matched to controls and controls to treated units; "
     r"a unit's weight is 1 \+ sum of 1/\(number of matches\) over the units it serves as a match\.",
     "ATE par appariement (Abadie et Imbens 2006) : les traités sont appariés à des témoins et les témoins à des "
     "traités ; le poids d'une unité vaut 1 + la somme des 1/(nombre de voisins) des unités dont elle est le voisin."),
    (r"(\d+) of (\d+) treated units have no control match within caliper=(\S+) \((sd|raw)\) and are dropped "
     r"\((.+)\); the estimate then refers to the matched treated units only, not the full (ATT|ATE|ATC)\.",
     "{1} traités sur {2} n'ont aucun témoin dans le caliper de {3} ({4|phrase}) et sont écartés ({5|rows}) ; "
     "l'estimation ne porte alors que sur les traités appariés, et non sur l'{6} complet."),
    (r"(\d+) of (\d+) control units have no treated match within caliper=(\S+) \((sd|raw)\) and are dropped "
     r"\((.+)\); the estimate then refers to the matched control units only, not the full (ATT|ATE|ATC)\.",
     "{1} témoins sur {2} n'ont aucun traité dans le caliper de {3} ({4|phrase}) et sont écartés ({5|rows}) ; "
     "l'estimation ne porte alors que sur les témoins appariés, et non sur l'{6} complet."),
    (r"Caliper ([\d.]+) SD = ([\d.e+-]+) in distance units \(sample SD over all (\d+) units not discarded, both arms "
     r"pooled, as MatchIt\)\.",
     "Caliper de {1} écart-type = {2} en unités de la distance (écart-type empirique sur les {3} unités non "
     "écartées, deux groupes réunis, comme MatchIt)."),
    (r"Abadie-Imbens standard error with J = (\d+) same-arm neighbours for the conditional variance \((.+?)(, ties "
     r"kept)?\), adjusted for the estimated propensity score \(Abadie & Imbens 2016\); treating the score as known "
     r"would give ([\d.e+-]+)\.",
     "Écart-type d'Abadie-Imbens avec J = {1} voisins du même groupe pour la variance conditionnelle ({2|phrase}"
     "{3|phrase}), corrigé de l'estimation du score de propension (Abadie et Imbens 2016) ; en tenant le score pour "
     "connu, il vaudrait {4}."),
    (r"The Abadie-Imbens \(2016\) adjustment is derived for matching with replacement with every focal unit matched; "
     r"after matching without replacement, a caliper or exact matching it is an approximation \(se='pair_cluster' "
     r"is the alternative without replacement\)\.",
     "La correction d'Abadie-Imbens (2016) est établie pour un appariement avec remise où chaque unité à apparier "
     "l'est ; après un appariement sans remise, avec caliper ou exact, elle n'est qu'une approximation "
     "(se='pair_cluster' est l'alternative sans remise)."),
    (r"Bias-corrected matching \(Abadie & Imbens 2011\): imputed outcomes adjusted by a least-squares regression on "
     r"(.+) fitted on the units used as matches, weighted by the number of times each is used; the uncorrected "
     r"estimate is ([-\d.e+]+)\.",
     "Appariement corrigé du biais (Abadie et Imbens 2011) : résultats imputés ajustés par une régression des "
     "moindres carrés sur {1|raw}, estimée sur les unités servant de voisins, pondérées par leur nombre "
     "d'utilisations ; l'estimation non corrigée vaut {2}."),
    (r"Critical Gamma at alpha = ([\d.]+): ([\d.]+) \(an unobserved confounder .*\)\.",
     "Gamma critique au seuil {1} : {2} (un facteur de confusion non observé devrait multiplier par ce facteur "
     "les chances d'être traité au sein des paires pour rendre l'effet non significatif)."),
    (r"(\w+) test on (\d+) pairs \(statistic ([\d.]+)\); one-sided, H1: positive effect; bounds from the exact "
     r"distribution\.",
     "Test de {1|raw} sur {2} paires (statistique {3}) ; unilatéral, H1 : effet positif ; bornes tirées de la loi "
     "exacte."),
    # --- grid runner and cost per additional outcome
    (r"covariate '(\w+)' is constant in the subgroup (\w+):(\S+) and is left out of that subgroup's model\.",
     "la covariable '{1|raw}' est constante dans le sous-groupe {2|raw}:{3|raw} et sort du modèle de ce sous-groupe."),
    (r"Confidence set of the cost per additional outcome \((\d+)%\): (delta method|Fieller) \(chosen because the "
     r"effect is at least ([\d.]+) standard errors from 0\); the cost is taken as known\.",
     "Ensemble de confiance du coût par résultat supplémentaire ({1} %) : {2|phrase} (retenue parce que l'effet est "
     "à au moins {3} écarts-types de 0) ; le coût est tenu pour connu."),
    (r"Confidence set of the cost per additional outcome \((\d+)%\): (delta method|Fieller) \(chosen because the "
     r"effect is fewer than ([\d.]+) standard errors from 0, where the delta method under-covers\); the cost is "
     r"taken as known\.",
     "Ensemble de confiance du coût par résultat supplémentaire ({1} %) : {2|phrase} (retenue parce que l'effet est "
     "à moins de {3} écarts-types de 0, où la méthode delta couvre mal) ; le coût est tenu pour connu."),
    (r"Confidence set of the cost per additional outcome \((\d+)%\): (delta method|Fieller) \(requested\); the cost "
     r"is taken as known\.",
     "Ensemble de confiance du coût par résultat supplémentaire ({1} %) : {2|phrase} (à la demande) ; le coût est "
     "tenu pour connu."),
    (r"The effect's interval holds 0: the delta-method interval is unreliable; Fieller's set \(method='fieller'\) "
     r"is unbounded\.",
     "L'intervalle de l'effet contient 0 : l'intervalle de la méthode delta n'est pas fiable ; l'ensemble de Fieller "
     "(method='fieller') est non borné."),
    (r"The effect's interval holds 0, so the cost per additional outcome is unbounded: the set is two rays, "
     r"\(-inf, lower\] U \[upper, inf\)\.",
     "L'intervalle de l'effet contient 0 : le coût par résultat supplémentaire est non borné et l'ensemble est fait "
     "de deux demi-droites, ]−∞, borne inf.] ∪ [borne sup., +∞[."),
)
