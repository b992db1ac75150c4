"""The methods appendix's text, in French and English: one entry per estimator a configuration can name.

Each :class:`MethodText` says what the estimator estimates (its estimand), the assumptions that
identify it, how its uncertainty is measured (standard error, confidence interval), which of its
options the appendix lists for a run, and its references (author, year, title, journal). The text
is written for this package (it describes what the estimators here do); the rendering is in
:mod:`~iej_impact.report._methods_appendix`. This module holds the cross-section estimators, the
balance table and the programme indicators; :mod:`._methods_text_panel` the difference-in-differences
estimators and :mod:`._methods_text_checks` the sensitivity analyses, costs and multiple testing.
``METHODS`` gathers them all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["CROSS_SECTION", "MethodText", "REFERENCES"]


@dataclass(frozen=True)
class MethodText:
    """One entry of the methods appendix: each text field maps a language ("fr", "en") to its text."""

    name: Mapping[str, str]
    estimand: Mapping[str, str]
    assumptions: Mapping[str, str]
    inference: Mapping[str, str]
    references: tuple[str, ...]
    #: the options of a result's ``spec`` the appendix lists, in this order (those set in the run)
    options: tuple[str, ...] = ()


#: full references, cited by key in the entries
REFERENCES: dict[str, str] = {
    "rosenbaum_rubin_1983": "Rosenbaum, P. R. & Rubin, D. B. (1983). The central role of the propensity score in "
                            "observational studies for causal effects. Biometrika 70(1), 41-55.",
    "abadie_imbens_2006": "Abadie, A. & Imbens, G. W. (2006). Large sample properties of matching estimators for "
                          "average treatment effects. Econometrica 74(1), 235-267.",
    "abadie_imbens_2011": "Abadie, A. & Imbens, G. W. (2011). Bias-corrected matching estimators for average "
                          "treatment effects. Journal of Business & Economic Statistics 29(1), 1-11.",
    "abadie_imbens_2016": "Abadie, A. & Imbens, G. W. (2016). Matching on the estimated propensity score. "
                          "Econometrica 84(2), 781-807.",
    "ho_2007": "Ho, D. E., Imai, K., King, G. & Stuart, E. A. (2007). Matching as nonparametric preprocessing for "
               "reducing model dependence in parametric causal inference. Political Analysis 15(3), 199-236.",
    "robins_1994": "Robins, J. M., Rotnitzky, A. & Zhao, L. P. (1994). Estimation of regression coefficients when "
                   "some regressors are not always observed. Journal of the American Statistical Association "
                   "89(427), 846-866.",
    "hirano_2003": "Hirano, K., Imbens, G. W. & Ridder, G. (2003). Efficient estimation of average treatment effects "
                   "using the estimated propensity score. Econometrica 71(4), 1161-1189.",
    "lunceford_2004": "Lunceford, J. K. & Davidian, M. (2004). Stratification and weighting via the propensity score "
                      "in estimation of causal treatment effects: a comparative study. Statistics in Medicine "
                      "23(19), 2937-2960.",
    "wooldridge_2010": "Wooldridge, J. M. (2010). Econometric Analysis of Cross Section and Panel Data, 2nd edition. "
                       "MIT Press.",
    "wooldridge_2007": "Wooldridge, J. M. (2007). Inverse probability weighted estimation for general missing data "
                       "problems. Journal of Econometrics 141(2), 1281-1301.",
    "imbens_wooldridge_2009": "Imbens, G. W. & Wooldridge, J. M. (2009). Recent developments in the econometrics of "
                              "program evaluation. Journal of Economic Literature 47(1), 5-86.",
    "cattaneo_2010": "Cattaneo, M. D. (2010). Efficient semiparametric estimation of multi-valued treatment effects "
                     "under ignorability. Journal of Econometrics 155(2), 138-154.",
    "hainmueller_2012": "Hainmueller, J. (2012). Entropy balancing for causal effects: a multivariate reweighting "
                        "method to produce balanced samples in observational studies. Political Analysis 20(1), 25-46.",
    "austin_2009": "Austin, P. C. (2009). Balance diagnostics for comparing the distribution of baseline covariates "
                   "between treatment groups in propensity-score matched samples. Statistics in Medicine 28(25), "
                   "3083-3107.",
    "welch_1947": "Welch, B. L. (1947). The generalization of 'Student's' problem when several different population "
                  "variances are involved. Biometrika 34(1-2), 28-35.",
    "wilson_1927": "Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference. "
                   "Journal of the American Statistical Association 22(158), 209-212.",
    "esf_2018": "European Commission (2018). Programming period 2014-2020. Monitoring and evaluation of European "
                "Cohesion Policy: European Social Fund. Guidance document.",
}

_UNCONFOUNDED = {
    "fr": "Absence de facteur de confusion non mesuré (les résultats potentiels sont indépendants du traitement "
          "à covariables données) et recouvrement (chaque unité de la population visée a une probabilité d'être "
          "traitée strictement comprise entre 0 et 1).",
    "en": "Unconfoundedness (potential outcomes independent of treatment given the covariates) and overlap (every "
          "unit of the target population has a probability of treatment strictly between 0 and 1).",
}
_ROBUST = {
    "fr": "Écart-type robuste tiré de la fonction d'influence des équations d'estimation empilées (modèles "
          "auxiliaires compris), ou par grappes si demandé ; intervalle de confiance normal.",
    "en": "Robust standard error from the influence function of the stacked estimating equations (auxiliary "
          "models included), or clustered on request; normal confidence interval.",
}

CROSS_SECTION: dict[str, MethodText] = {
    "difference_in_means": MethodText(
        name={"fr": "Différence brute des moyennes", "en": "Raw difference in means"},
        estimand={"fr": "La différence des moyennes du résultat entre traités et témoins ; un effet causal seulement "
                        "si l'affectation est aléatoire.",
                  "en": "The difference in mean outcomes between treated and control units; a causal effect only "
                        "under random assignment."},
        assumptions={"fr": "Affectation aléatoire (aucune sélection à l'entrée du programme) ; sert de point de "
                           "comparaison naïf.",
                     "en": "Random assignment (no selection into the programme); used as a naive benchmark."},
        inference={"fr": "Écart-type de Welch (variances distinctes par groupe, équivalent au HC2) ; intervalle de "
                         "confiance normal.",
                   "en": "Welch standard error (separate variances by arm, equal to HC2); normal confidence "
                         "interval."},
        references=("welch_1947",),
        options=("estimand", "se"),
    ),
    "balance_table": MethodText(
        name={"fr": "Tableau d'équilibre des covariables", "en": "Covariate balance table"},
        estimand={"fr": "Aucun effet : les différences standardisées (DS) des covariables entre groupes, avant "
                        "ou après pondération.",
                  "en": "No effect: the standardised mean differences (SMD) of the covariates between arms, before "
                        "or after weighting."},
        assumptions={"fr": "Diagnostic descriptif ; une |DS| sous le seuil (souvent 0,1) est un usage courant, pas "
                           "un test.",
                     "en": "A descriptive diagnostic; an |SMD| under a threshold (often 0.1) is a convention, not a "
                           "test."},
        inference={"fr": "Aucune (statistiques descriptives).", "en": "None (descriptive statistics)."},
        references=("austin_2009",),
        options=("threshold", "sd_denominator"),
    ),
    "psm": MethodText(
        name={"fr": "Appariement sur le score de propension", "en": "Propensity-score matching"},
        estimand={"fr": "ATT, ATE ou ATC : effet moyen sur les traités, sur l'ensemble ou sur les témoins, par "
                        "comparaison de chaque unité à ses voisins de l'autre groupe (score de propension ou autre "
                        "distance).",
                  "en": "ATT, ATE or ATC: the average effect on the treated, on everyone or on the controls, by "
                        "comparing each unit with its nearest units of the other arm (on the propensity score or "
                        "another distance)."},
        assumptions=_UNCONFOUNDED,
        inference={"fr": "Écart-type d'Abadie-Imbens (variance conditionnelle estimée sur des voisins du même "
                         "groupe), corrigé de l'estimation du score de propension quand c'est possible ; ou "
                         "écart-type par paires appariées ; intervalle de confiance normal. Correction du biais "
                         "d'Abadie-Imbens sur option.",
                   "en": "Abadie-Imbens standard error (conditional variance from same-arm neighbours), adjusted for "
                         "the estimated propensity score when possible; or a matched-pair cluster standard error; "
                         "normal confidence interval. Optional Abadie-Imbens bias correction."},
        references=("rosenbaum_rubin_1983", "abadie_imbens_2006", "abadie_imbens_2011", "abadie_imbens_2016",
                    "ho_2007"),
        options=("estimand", "method", "distance", "ps_model", "ratio", "replace", "ties", "caliper", "caliper_scale",
                 "exact", "discard", "bias_adjust", "se", "ps_adjustment"),
    ),
    "regression_adjustment": MethodText(
        name={"fr": "Ajustement par régression", "en": "Regression adjustment"},
        estimand={"fr": "ATT, ATE ou ATC : moyenne, sur la population visée, de la différence entre les résultats "
                        "prédits par le modèle de chaque groupe.",
                  "en": "ATT, ATE or ATC: the average over the target population of the difference between the "
                        "outcomes predicted by each arm's model."},
        assumptions={"fr": _UNCONFOUNDED["fr"] + " Modèles de résultat correctement spécifiés.",
                     "en": _UNCONFOUNDED["en"] + " Correctly specified outcome models."},
        inference=_ROBUST,
        references=("imbens_wooldridge_2009", "wooldridge_2010"),
        options=("estimand", "outcome_model", "se"),
    ),
    "ipw": MethodText(
        name={"fr": "Pondération par l'inverse de la probabilité de traitement (IPW)",
              "en": "Inverse-probability weighting (IPW)"},
        estimand={"fr": "ATT, ATE ou ATC : différence des moyennes pondérées par l'inverse du score de propension "
                        "(poids normalisés de Hájek par défaut).",
                  "en": "ATT, ATE or ATC: the difference of means weighted by the inverse of the propensity score "
                        "(normalised Hájek weights by default)."},
        assumptions={"fr": _UNCONFOUNDED["fr"] + " Modèle du score de propension correctement spécifié.",
                     "en": _UNCONFOUNDED["en"] + " A correctly specified propensity-score model."},
        inference=_ROBUST,
        references=("rosenbaum_rubin_1983", "hirano_2003", "lunceford_2004", "wooldridge_2010"),
        options=("estimand", "ps_model", "normalize", "stabilized", "trim", "se"),
    ),
    "doubly_robust": MethodText(
        name={"fr": "Estimateur doublement robuste (AIPW, IPWRA)", "en": "Doubly robust estimator (AIPW, IPWRA)"},
        estimand={"fr": "ATT, ATE ou ATC : modèle de résultat corrigé par la pondération inverse (AIPW) ou estimé "
                        "avec ces poids (IPWRA).",
                  "en": "ATT, ATE or ATC: an outcome model corrected by inverse-probability weighting (AIPW) or "
                        "fitted with those weights (IPWRA)."},
        assumptions={"fr": _UNCONFOUNDED["fr"] + " Il suffit que le modèle du score de propension ou les modèles de "
                           "résultat soient correctement spécifiés.",
                     "en": _UNCONFOUNDED["en"] + " Either the propensity-score model or the outcome models must be "
                           "correctly specified, not necessarily both."},
        inference=_ROBUST,
        references=("robins_1994", "cattaneo_2010", "wooldridge_2007", "lunceford_2004"),
        options=("estimand", "method", "ps_model", "outcome_model", "trim", "se"),
    ),
    "entropy_balancing": MethodText(
        name={"fr": "Équilibrage entropique", "en": "Entropy balancing"},
        estimand={"fr": "ATT, ATE ou ATC : différence des moyennes pondérées, les poids égalisant exactement les "
                        "moments des covariables entre groupes en s'écartant le moins possible des poids de base.",
                  "en": "ATT, ATE or ATC: the difference of weighted means, with weights that equalise the "
                        "covariates' moments across arms exactly while staying as close as possible to the base "
                        "weights."},
        assumptions={"fr": _UNCONFOUNDED["fr"] + " Les moments équilibrés suffisent à éliminer le biais "
                           "(résultat linéaire dans ces moments, par exemple).",
                     "en": _UNCONFOUNDED["en"] + " Balancing the chosen moments removes the bias (e.g. an outcome "
                           "linear in them)."},
        inference={"fr": "Écart-type robuste d'un M-estimateur (poids estimés pris en compte), ou par grappes ; "
                         "intervalle de confiance normal.",
                   "en": "Robust M-estimation standard error (the estimated weights accounted for), or clustered; "
                         "normal confidence interval."},
        references=("hainmueller_2012",),
        options=("estimand", "moments", "se"),
    ),
    "programme_indicators": MethodText(
        name={"fr": "Indicateurs du programme (FSE, IEJ)", "en": "Programme indicators (ESF, YEI)"},
        estimand={"fr": "Aucun effet causal : effectifs et parts des indicateurs communs de réalisation et de "
                        "résultat du FSE et de l'IEJ, coûts par participant.",
                  "en": "No causal effect: counts and shares of the ESF and YEI common output and result "
                        "indicators, costs per participant."},
        assumptions={"fr": "Descriptif ; les définitions suivent le guide de suivi du FSE. Les petites cellules "
                           "sont masquées (secret statistique).",
                     "en": "Descriptive; definitions follow the ESF monitoring guidance. Small cells are withheld "
                           "(disclosure control)."},
        inference={"fr": "Intervalles de Wilson pour les parts (pondérées : variance par linéarisation, taille "
                         "d'échantillon effective).",
                   "en": "Wilson intervals for shares (weighted: linearisation variance, effective sample size)."},
        references=("esf_2018", "wilson_1927"),
        options=("count", "by", "min_cell_size", "weights", "missing_targets"),
    ),
}
