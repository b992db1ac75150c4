"""French of the notes written by the sensitivity analyses and by the less common cross-section options:
omitted-variable bias (Cinelli & Hazlett), E-values, entropy balancing, propensity-score trimming,
matched-pair standard errors and the inference names of effect summaries.

Template slots are explained in :mod:`~iej_impact.report._i18n_notes`.
"""

from __future__ import annotations

__all__ = ["PATTERNS"]

PATTERNS: tuple[tuple[str, str], ...] = (
    # --- inference names (results.EffectResult.summary) and matched-pair standard errors
    (r"Inference: pair_cluster\.", "Inférence : écart-type par grappes de paires ou sous-classes appariées."),
    (r"Inference: (multiplier|resampling) bootstrap standard error \((\d+) draws over units; details in the "
     r"estimator's notes\)\.",
     "Inférence : écart-type par bootstrap {1|phrase} ({2} tirages sur les unités ; détails dans les notes de "
     "l'estimateur)."),
    (r"Inference: (multiplier|resampling) bootstrap standard error \((\d+) draws over clusters of (\w+); details in "
     r"the estimator's notes\)\.",
     "Inférence : écart-type par bootstrap {1|phrase} ({2} tirages sur les grappes de {3|raw} ; détails dans les "
     "notes de l'estimateur)."),
    (r"Standard error clustered on (\d+) matched pairs/subclasses \(HC1 factors\)\.",
     "Écart-type par grappes sur {1} paires ou sous-classes appariées (facteurs HC1)."),
    # --- entropy balancing and trimming
    (r"Entropy balancing \(Hainmueller 2012\): the (control units|treated units|treated units and control units) "
     r"reweighted so that the (means|means and second moments|first, second and third moments) of (\d+) balanced "
     r"columns equal the (treated units' moments|control units' moments|whole sample's moments) exactly \(largest "
     r"standardized imbalance left ([\d.e+-]+) SD\), with weights as close as possible to the (sampling|equal) base "
     r"weights \(Kullback-Leibler\)\. Consistent if the outcome is linear in the balanced columns or the odds of "
     r"treatment are log-linear in them \(Zhao & Percival 2017\)\.",
     "Équilibrage entropique (Hainmueller 2012) : {1|phrase} repondérés pour que {2|phrase} de {3} colonnes "
     "équilibrées égalent exactement {4|phrase} (plus grand déséquilibre standardisé restant : {5} écart-type), "
     "avec des poids aussi proches que possible des poids de base {6|phrase} (divergence de Kullback-Leibler). "
     "Convergent si le résultat est linéaire dans les colonnes équilibrées ou si le logarithme de la cote du "
     "traitement l'est (Zhao et Percival 2017)."),
    (r"Trimming: (\d+) treated and (\d+) control units with propensity scores outside \[([\d.e-]+), ([\d.e-]+)\] "
     r"were dropped \(Crump et al\. 2009\); the estimand is the effect in the remaining population, and the bounds "
     r"are treated as fixed in the SE\.",
     "Troncature : {1} traités et {2} témoins dont le score de propension sort de [{3} ; {4}] ont été écartés "
     "(Crump et al. 2009) ; le paramètre est l'effet dans la population restante, et les bornes sont tenues pour "
     "fixes dans l'écart-type."),
    # --- omitted-variable bias (Cinelli & Hazlett 2020)
    (r"regression_adjustment fits the outcome model in each arm \(teffects ra\); its (ATT|ATE|ATC) ([-\d.e]+) equals "
     r"the additive regression's coefficient ([-\d.e]+) only when the arm models have the same slopes\. The analysis "
     r"is exact for the additive coefficient and applies to the RA estimate as far as the two agree\.",
     "L'ajustement par régression estime le modèle de résultat dans chaque groupe (teffects ra) ; son {1|raw} ({2}) "
     "n'égale le coefficient de la régression additive ({3}) que si les pentes sont les mêmes dans les deux groupes. "
     "L'analyse est exacte pour le coefficient additif et vaut pour l'estimation par ajustement dans la mesure où les "
     "deux concordent."),
    (r"Omitted-variable sensitivity \(Cinelli & Hazlett 2020\) of the OLS coefficient of '(\w+)' in the regression "
     r"of '(\w+)' on it and (\d+) covariates \((\d+) rows\)\.",
     "Sensibilité au biais de variable omise (Cinelli et Hazlett 2020) du coefficient MCO de '{1|raw}' dans la "
     "régression de '{2|raw}' sur celui-ci et {3} covariables ({4} lignes)."),
    (r"Exact for this OLS coefficient: every number is an algebraic property of the regression\.",
     "Exact pour ce coefficient MCO : chaque nombre est une propriété algébrique de la régression."),
    (r"Benchmark bounds \(Cinelli & Hazlett 2020, section 4\.4\): a confounder kd times as strongly related to the "
     r"treatment and ky times to the outcome as the benchmark covariate \(partial R2s, given the other covariates\), "
     r"assumed uncorrelated with the benchmark given the other covariates\.",
     "Bornes de référence (Cinelli et Hazlett 2020, section 4.4) : un facteur de confusion kd fois plus lié au "
     "traitement et ky fois plus lié au résultat que la covariable de référence (R² partiels, à autres covariables "
     "données), supposé non corrélé à la covariable de référence à autres covariables données."),
    (r"Adjusted standard errors, t-values and intervals are the classical \(homoskedastic\) OLS ones of the "
     r"regression with the confounder added \(dof - 1 degrees of freedom\), as in Cinelli & Hazlett \(2020\); the "
     r"partial R2, robustness value RV_q and adjusted estimates do not depend on a standard error\. RV_q,alpha uses "
     r"the classical t-test\.",
     "Les écarts-types, statistiques t et intervalles ajustés sont ceux, classiques (homoscédastiques), des MCO de "
     "la régression augmentée du facteur de confusion (ddl − 1 degrés de liberté), comme chez Cinelli et Hazlett "
     "(2020) ; le R² partiel, la valeur de robustesse RV_q et les estimations ajustées ne dépendent d'aucun "
     "écart-type. RV_q,alpha utilise le test t classique."),
    (r"(ipw|doubly_robust|aipw|ipwra|entropy_balancing) does not estimate a regression coefficient: the robustness "
     r"values and bounds describe the regression-adjusted association with the same covariates \(([-\d.e+]+); \w+: "
     r"([-\d.e+]+)\), a companion analysis\. They do not bound the bias of the weighting estimate itself, which "
     r"depends on how an omitted confounder would change the propensity score and the outcome regressions "
     r"\(Chernozhukov, Cinelli, Newey, Sharma & Syrgkanis 2022; not implemented\)\.",
     "{1|raw} n'estime pas un coefficient de régression : les valeurs de robustesse et les bornes décrivent "
     "l'association ajustée par régression sur les mêmes covariables ({2} ; {1|raw} : {3}), une analyse "
     "d'accompagnement. Elles ne bornent pas le biais de l'estimation pondérée elle-même, qui dépend de la façon "
     "dont un facteur omis modifierait le score de propension et les régressions du résultat (Chernozhukov, "
     "Cinelli, Newey, Sharma et Syrgkanis 2022 ; non implémenté)."),
    # --- E-values (VanderWeele & Ding 2017)
    (r"E-value \(VanderWeele & Ding 2017\): an unmeasured confounder associated with both the treatment and the "
     r"outcome by a risk ratio of ([\d.]+) each, beyond the measured covariates, could explain away the risk ratio; "
     r"weaker confounding could not\. To move the confidence interval to include the null: ([\d.]+)\.",
     "E-valeur (VanderWeele et Ding 2017) : un facteur de confusion non mesuré lié au traitement et au résultat "
     "par un rapport de risques de {1} chacun, au-delà des covariables mesurées, pourrait expliquer tout le rapport "
     "de risques ; une confusion plus faible ne le pourrait pas. Pour que l'intervalle de confiance contienne la "
     "valeur nulle : {2}."),
    (r"E-value \(VanderWeele & Ding 2017\): an unmeasured confounder associated with both the treatment and the "
     r"outcome by a risk ratio of ([\d.]+) each, beyond the measured covariates, could explain away the risk ratio; "
     r"weaker confounding could not\.",
     "E-valeur (VanderWeele et Ding 2017) : un facteur de confusion non mesuré lié au traitement et au résultat "
     "par un rapport de risques de {1} chacun, au-delà des covariables mesurées, pourrait expliquer tout le rapport "
     "de risques ; une confusion plus faible ne le pourrait pas."),
    (r"Risk ratio: p1 / p0 = ([\d.e-]+) / ([\d.e-]+), the potential-outcome means of the (ATT|ATE|ATC) population "
     r"\((\w+)\)\.",
     "Rapport de risques : p1 / p0 = {1} / {2}, moyennes des résultats potentiels de la population de l'{3} "
     "({4|raw})."),
    (r"Confidence interval of the risk ratio: delta method on log RR, Var = V11/p1\^2 \+ V00/p0\^2 - 2 V10/\(p1 p0\), "
     r"with the joint influence-function covariance of \(p1, p0\) \((robust|clustered|bootstrap)\), normal quantile\.",
     "Intervalle de confiance du rapport de risques : méthode delta sur log RR, Var = V11/p1² + V00/p0² − 2 V10/(p1 "
     "p0), avec la covariance jointe de (p1, p0) tirée des fonctions d'influence ({1|phrase}), quantile normal."),
    (r"The E-value is on the risk-ratio scale; the effect itself is a difference of probabilities \(([-\d.e+]+)\)\. "
     r"It makes no assumption on the confounder's prevalence\.",
     "L'E-valeur est sur l'échelle du rapport de risques ; l'effet lui-même est une différence de probabilités "
     "({1}). Elle ne suppose rien de la prévalence du facteur de confusion."),
    # --- placebo re-estimates (entry dates moved earlier; untreated units playing the treated)
    (r"Placebo entry: every cohort entered (\d+) periods? earlier; the (\d+) observations from the true entry on"
     r"(?: \(minus the \d+-period anticipation\))? and (\d+) without a pre-placebo period were dropped\. .*",
     "Date d'entrée fictive : chaque cohorte est entrée {1} période(s) plus tôt ; les {2} observations à partir de la "
     "vraie entrée (moins la fenêtre d'anticipation déclarée) et les {3} sans période avant l'entrée fictive ont été "
     "retirées. Sous tendances parallèles et sans anticipation, les effets sont nuls ; les cellules à partir de la "
     "vraie entrée d'une cohorte n'ont pas de données."),
    (r"Placebo group: the (\d+) treated units were dropped; the (\d+) comparison units of (.+) play the treated "
     r"against the other (\d+)\. The estimate is 0 if .*",
     "Groupe placebo : les {1} unités traitées ont été retirées ; les {2} unités de comparaison retenues par le filtre "
     "{3|raw} tiennent le rôle des traités face aux {4} autres. L'estimation est nulle si le dispositif élimine les "
     "différences entre ces groupes non traités."),
    (r"Placebo group: the (\d+) treated units were dropped; (\d+) never-treated units play the treated against the "
     r"other (\d+)\. The effects are 0 .*",
     "Groupe placebo : les {1} unités traitées ont été retirées ; {2} unités jamais traitées tiennent le rôle des "
     "traités face aux {3} autres. Les effets sont nuls si ces unités non traitées suivent les mêmes tendances."),
    (r"Placebo units: filter (.+)\.", "Unités placebo : filtre {1|raw}."),
    (r"Placebo units: a random (\d+)% of the never-treated units\.",
     "Unités placebo : tirage au hasard de {1}\u202f% des unités jamais traitées."),
    (r"Placebo entry periods: drawn at random from the real treated units' entry periods\.",
     "Dates d'entrée fictives : tirées au hasard parmi les dates d'entrée des unités réellement traitées."),
    (r"Placebo entry period: (\S+)\.", "Date d'entrée fictive : {1}."),
)
