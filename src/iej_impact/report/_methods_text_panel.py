"""The methods appendix's text for the difference-in-differences estimators, in French and English.

Entries as in :mod:`._methods_text` (estimand, identifying assumptions, inference, options shown,
references); references are cited by key in ``REFERENCES``.
"""

from __future__ import annotations

from ._methods_text import MethodText

__all__ = ["PANEL", "REFERENCES"]

REFERENCES: dict[str, str] = {
    "heckman_1997": "Heckman, J. J., Ichimura, H. & Todd, P. E. (1997). Matching as an econometric evaluation "
                    "estimator: evidence from evaluating a job training programme. Review of Economic Studies 64(4), "
                    "605-654.",
    "abadie_2005": "Abadie, A. (2005). Semiparametric difference-in-differences estimators. Review of Economic "
                   "Studies 72(1), 1-19.",
    "santanna_zhao_2020": "Sant'Anna, P. H. C. & Zhao, J. (2020). Doubly robust difference-in-differences "
                          "estimators. Journal of Econometrics 219(1), 101-122.",
    "dcdh_2018": "de Chaisemartin, C. & D'Haultfœuille, X. (2018). Fuzzy differences-in-differences. Review of "
                 "Economic Studies 85(2), 999-1028.",
    "dcdh_2020": "de Chaisemartin, C. & D'Haultfœuille, X. (2020). Two-way fixed effects estimators with "
                 "heterogeneous treatment effects. American Economic Review 110(9), 2964-2996.",
    "smith_todd_2005": "Smith, J. A. & Todd, P. E. (2005). Does matching overcome LaLonde's critique of "
                       "nonexperimental estimators? Journal of Econometrics 125(1-2), 305-353.",
    "abadie_spiess_2022": "Abadie, A. & Spiess, J. (2022). Robust post-matching inference. Journal of the American "
                          "Statistical Association 117(538), 983-995.",
    "goodman_bacon_2021": "Goodman-Bacon, A. (2021). Difference-in-differences with variation in treatment timing. "
                          "Journal of Econometrics 225(2), 254-277.",
    "callaway_santanna_2021": "Callaway, B. & Sant'Anna, P. H. C. (2021). Difference-in-differences with multiple "
                              "time periods. Journal of Econometrics 225(2), 200-230.",
    "sun_abraham_2021": "Sun, L. & Abraham, S. (2021). Estimating dynamic treatment effects in event studies with "
                        "heterogeneous treatment effects. Journal of Econometrics 225(2), 175-199.",
    "bjs_2024": "Borusyak, K., Jaravel, X. & Spiess, J. (2024). Revisiting event-study designs: robust and efficient "
                "estimation. Review of Economic Studies 91(6), 3253-3285.",
    "cengiz_2019": "Cengiz, D., Dube, A., Lindner, A. & Zipperer, B. (2019). The effect of minimum wages on low-wage "
                   "jobs. Quarterly Journal of Economics 134(3), 1405-1454.",
    "bertrand_2004": "Bertrand, M., Duflo, E. & Mullainathan, S. (2004). How much should we trust "
                     "differences-in-differences estimates? Quarterly Journal of Economics 119(1), 249-275.",
}

_PARALLEL = {
    "fr": "Tendances parallèles : en l'absence du programme, le résultat moyen des traités aurait évolué comme celui "
          "du groupe de comparaison (à covariables données, si l'estimateur en utilise) ; pas d'anticipation avant "
          "la fenêtre déclarée.",
    "en": "Parallel trends: without the programme, the treated units' mean outcome would have moved as the "
          "comparison group's did (given the covariates, when the estimator uses them); no anticipation before the "
          "declared window.",
}
_IF_CLUSTERED = {
    "fr": "Écarts-types tirés des fonctions d'influence, par grappes d'unités par défaut (ou bootstrap multiplicateur "
          "avec bande de confiance uniforme) ; intervalles de confiance normaux.",
    "en": "Standard errors from the influence functions, clustered by unit by default (or a multiplier bootstrap "
          "with a uniform confidence band); normal confidence intervals.",
}
_STAGGERED_ESTIMAND = {
    "fr": "ATT(g, t) : effet moyen, à la période t, sur les unités entrées à la période g ; agrégé en ATT global ou "
          "par temps relatif depuis l'entrée.",
    "en": "ATT(g, t): the average effect at period t on the units that entered in period g; aggregated into an "
          "overall ATT or by event time since entry.",
}

PANEL: dict[str, MethodText] = {
    "did": MethodText(
        name={"fr": "Double différence 2×2", "en": "2x2 difference-in-differences"},
        estimand={"fr": "ATT de la période après l'entrée : écart d'évolution du résultat entre traités et groupe de "
                        "comparaison.",
                  "en": "ATT in the post period: the difference between the treated and comparison units' changes in "
                        "outcome."},
        assumptions={"fr": _PARALLEL["fr"] + " Recouvrement (avec covariables).",
                     "en": _PARALLEL["en"] + " Overlap (with covariates)."},
        inference={"fr": "Écart-type tiré de la fonction d'influence (robuste, par grappes ou bootstrap) ; intervalle "
                         "de confiance normal.",
                   "en": "Standard error from the influence function (robust, clustered or bootstrap); normal "
                         "confidence interval."},
        references=("heckman_1997", "abadie_2005", "santanna_zhao_2020"),
        options=("method", "trim_level", "se"),
    ),
    "wald_did": MethodText(
        name={"fr": "Double différence de Wald (DiD floue)", "en": "Wald difference-in-differences (fuzzy DiD)"},
        estimand={"fr": "Effet local moyen sur les unités dont le recours au traitement a changé : double différence "
                        "du résultat rapportée à la double différence du taux de recours.",
                  "en": "The local average effect on the units whose take-up changed: the DiD of the outcome over the "
                        "DiD of the take-up rate."},
        assumptions={"fr": "Tendances parallèles de Y(0), taux de recours qui augmente davantage dans le groupe "
                           "traité, effets stables dans le temps (et identiques entre groupes si le recours du "
                           "groupe de comparaison varie).",
                     "en": "Parallel trends of Y(0), a take-up rate rising more in the treated group, effects stable "
                           "over time (and equal across groups when the comparison group's take-up changes)."},
        inference={"fr": "Écart-type par la méthode delta sur les fonctions d'influence du ratio (robuste, par "
                         "grappes ou bootstrap) ; intervalle de confiance normal.",
                   "en": "Delta-method standard error from the ratio's influence functions (robust, clustered or "
                         "bootstrap); normal confidence interval."},
        references=("dcdh_2018",),
        options=("se",),
    ),
    "matched_did": MethodText(
        name={"fr": "Double différence après appariement", "en": "Matched difference-in-differences"},
        estimand={"fr": "ATT : double différence 2×2 pondérée par un appariement sur le score de propension estimé "
                        "avant l'entrée.",
                  "en": "ATT: a 2x2 DiD weighted by a propensity-score matching on pre-entry data."},
        assumptions={"fr": _PARALLEL["fr"] + " Recouvrement sur les covariables d'appariement.",
                     "en": _PARALLEL["en"] + " Overlap on the matching covariates."},
        inference={"fr": "Sans remise : écart-type par grappes de paires appariées (Abadie et Spiess) ; avec remise : "
                         "écart-type de la fonction d'influence pondérée, les poids d'appariement tenus pour fixes ; "
                         "intervalle de confiance normal.",
                   "en": "Without replacement: standard error clustered on matched pairs (Abadie & Spiess); with "
                         "replacement: weighted influence-function standard error, the matching weights taken as "
                         "fixed; normal confidence interval."},
        references=("heckman_1997", "smith_todd_2005", "abadie_spiess_2022"),
        options=("match_pre_outcome", "caliper", "ratio", "replace", "se"),
    ),
    "twfe": MethodText(
        name={"fr": "Effets fixes à deux dimensions (TWFE)", "en": "Two-way fixed effects (TWFE)"},
        estimand={"fr": "Le coefficient du traitement dans une régression avec effets unité et période : une moyenne "
                        "pondérée d'effets, dont les poids peuvent être négatifs quand les entrées sont échelonnées "
                        "et les effets hétérogènes.",
                  "en": "The treatment coefficient of a regression with unit and period effects: a weighted average "
                        "of effects whose weights can be negative under staggered entry with heterogeneous "
                        "effects."},
        assumptions={"fr": _PARALLEL["fr"] + " Effets homogènes entre cohortes et dans le temps.",
                     "en": _PARALLEL["en"] + " Effects homogeneous across cohorts and over time."},
        inference={"fr": "Écart-type robuste par grappes (unités par défaut) avec facteur de petit échantillon, ou "
                         "HC1 ; intervalle de confiance normal. Décompositions de Goodman-Bacon et de de "
                         "Chaisemartin-D'Haultfœuille en diagnostic.",
                   "en": "Cluster-robust standard error (units by default) with a small-sample factor, or HC1; "
                         "normal confidence interval. Goodman-Bacon and de Chaisemartin-D'Haultfœuille "
                         "decompositions as diagnostics."},
        references=("goodman_bacon_2021", "dcdh_2020", "bertrand_2004"),
        options=("small_sample", "se"),
    ),
    "event_study": MethodText(
        name={"fr": "Étude d'événement (TWFE dynamique)", "en": "Event study (dynamic TWFE)"},
        estimand={"fr": "Effets par temps relatif depuis l'entrée, relatifs à une période de référence, dans une "
                        "régression avec effets unité et période (extrémités de la fenêtre regroupées).",
                  "en": "Effects by event time since entry, relative to a reference period, in a regression with unit "
                        "and period effects (window end points binned)."},
        assumptions={"fr": _PARALLEL["fr"] + " Effets identiques entre cohortes ; sinon chaque coefficient mêle des "
                           "effets d'autres périodes.",
                     "en": _PARALLEL["en"] + " Effects equal across cohorts; otherwise each coefficient mixes in other "
                           "periods' effects."},
        inference={"fr": "Écarts-types robustes par grappes ; test de Wald joint des coefficients avant l'entrée.",
                   "en": "Cluster-robust standard errors; joint Wald test of the pre-entry coefficients."},
        references=("sun_abraham_2021", "bjs_2024"),
        options=("window", "reference", "small_sample", "se"),
    ),
    "att_gt": MethodText(
        name={"fr": "Double différence échelonnée (Callaway et Sant'Anna)",
              "en": "Staggered difference-in-differences (Callaway & Sant'Anna)"},
        estimand=_STAGGERED_ESTIMAND,
        assumptions={"fr": _PARALLEL["fr"] + " Groupe de comparaison : unités jamais traitées ou pas encore "
                           "traitées ; entrée irréversible.",
                     "en": _PARALLEL["en"] + " Comparison group: never-treated or not-yet-treated units; entry is "
                           "irreversible."},
        inference=_IF_CLUSTERED,
        references=("callaway_santanna_2021", "santanna_zhao_2020"),
        options=("control_group", "anticipation", "base_period", "method", "se"),
    ),
    "imputation_did": MethodText(
        name={"fr": "Double différence par imputation (Borusyak, Jaravel et Spiess)",
              "en": "Imputation difference-in-differences (Borusyak, Jaravel & Spiess)"},
        estimand={"fr": "ATT global et par horizon : moyenne des écarts entre résultat observé et Y(0) imputé par un "
                        "modèle à effets unité et période estimé sur les seules observations non traitées.",
                  "en": "Overall and per-horizon ATT: the average of observed outcomes minus Y(0) imputed by a unit "
                        "and period effects model fitted on the untreated observations only."},
        assumptions={"fr": _PARALLEL["fr"] + " Y(0) additif en effets unité et période.",
                     "en": _PARALLEL["en"] + " Y(0) additive in unit and period effects."},
        inference={"fr": "Variance conservatrice par grappes du papier (théorème 3) ; test de tendances préalables "
                         "sur les observations non traitées.",
                   "en": "The paper's conservative clustered variance (Theorem 3); pre-trend test on the untreated "
                         "observations."},
        references=("bjs_2024",),
        options=("anticipation", "horizons", "se"),
    ),
    "sun_abraham": MethodText(
        name={"fr": "Étude d'événement pondérée par interactions (Sun et Abraham)",
              "en": "Interaction-weighted event study (Sun & Abraham)"},
        estimand={"fr": "Effets par temps relatif : effets cohorte × temps relatif d'une régression saturée, "
                        "moyennés avec les parts des cohortes.",
                  "en": "Effects by event time: cohort x event-time effects of a saturated regression, averaged with "
                        "the cohorts' shares."},
        assumptions={"fr": _PARALLEL["fr"] + " Cohorte de contrôle : unités jamais traitées ou dernière cohorte "
                           "entrée.",
                     "en": _PARALLEL["en"] + " Control cohort: never-treated units or the last-treated cohort."},
        inference={"fr": "Écarts-types robustes par grappes (CR1) par la méthode delta, estimation des parts "
                         "comprise ; intervalles de confiance normaux.",
                   "en": "Cluster-robust (CR1) delta-method standard errors, the estimated shares accounted for; "
                         "normal confidence intervals."},
        references=("sun_abraham_2021",),
        options=("window", "control", "se"),
    ),
    "aligned_did": MethodText(
        name={"fr": "Double différence alignée sur les cohortes", "en": "Cohort-aligned difference-in-differences"},
        estimand={"fr": "ATT(g, e) : chaque cohorte d'entrée comparée aux seules unités de comparaison dont la date "
                        "de référence est la même ; agrégé par temps relatif.",
                  "en": "ATT(g, e): each entry cohort compared only with the comparison units whose reference date is "
                        "the same; aggregated by event time."},
        assumptions={"fr": _PARALLEL["fr"] + " La date de référence des unités de comparaison joue le rôle d'une "
                           "date d'entrée.",
                     "en": _PARALLEL["en"] + " The comparison units' reference date plays the part of an entry "
                           "date."},
        inference=_IF_CLUSTERED,
        references=("cengiz_2019", "callaway_santanna_2021", "santanna_zhao_2020"),
        options=("method", "window", "anticipation", "se"),
    ),
}
