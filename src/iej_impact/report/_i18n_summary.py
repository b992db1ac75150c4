"""French and English texts of the summary's closing paragraph on synthetic data: which designs recover the
true effect and which do not. Merged into :data:`iej_impact.report._i18n.MESSAGES`."""

from __future__ import annotations

__all__ = ["SUMMARY_MESSAGES"]

SUMMARY_MESSAGES: dict[str, dict[str, str]] = {
    "story_title": {"fr": "Ce que montrent les données synthétiques", "en": "What the synthetic data show"},
    "story_intro": {
        "fr": "Les données sont synthétiques : l'effet vrai de chaque estimation est connu. {covered} des {total} "
              "estimations sur l'ensemble de l'échantillon ont un intervalle de confiance qui contient l'effet vrai.",
        "en": "The data are synthetic: the true effect of each estimate is known. {covered} of the {total} "
              "whole-sample estimates have a confidence interval that contains the true effect.",
    },
    "story_all_covered": {
        "fr": "Tous les plans d'évaluation retrouvent ici l'effet vrai.",
        "en": "Every design recovers the true effect here.",
    },
    "story_missed": {
        "fr": "Ne le retrouvent pas : {items}.",
        "en": "These do not: {items}.",
    },
    "story_item": {
        "fr": "{name} (estimation {estimate}, effet vrai {truth}, biais {bias})",
        "en": "{name} (estimate {estimate}, true effect {truth}, bias {bias})",
    },
    "story_by_method": {
        "fr": "Par méthode, intervalles contenant l'effet vrai : {items}.",
        "en": "By method, intervals containing the true effect: {items}.",
    },
    "story_method_item": {"fr": "{method} {covered}/{total}", "en": "{method} {covered}/{total}"},
    "story_reading": {
        "fr": "Un plan dont les intervalles manquent l'effet vrai de façon répétée est biaisé ici : son hypothèse "
              "d'identification ne tient pas dans ces données. Un intervalle isolé qui le manque peut relever du "
              "hasard (5 % des intervalles à 95 % le manquent).",
        "en": "A design whose intervals repeatedly miss the true effect is biased here: its identifying assumption "
              "does not hold in these data. A single interval that misses it may be chance (5% of 95% intervals "
              "do).",
    },
    "summary_subgroups_elsewhere": {
        "fr": "Les estimations par sous-groupe sont dans la section « Grilles d'estimations ».",
        "en": "The subgroup estimates are in the section “Estimation grids”.",
    },
    "grids": {"fr": "Grilles d'estimations", "en": "Estimation grids"},
    "grids_intro": {
        "fr": "Une analyse menée sur plusieurs résultats, horizons ou sous-groupes forme une grille. Les p-valeurs "
              "sont données brutes et ajustées pour le nombre d'estimations de la grille : Holm (1979) contrôle la "
              "probabilité d'au moins un faux positif, Benjamini-Hochberg (1995) la proportion attendue de faux "
              "positifs, Romano-Wolf (2005) contrôle la même probabilité que Holm en tenant compte de la dépendance "
              "entre les estimations (bootstrap des fonctions d'influence ; absent quand un estimateur n'en a pas, "
              "comme l'appariement). Le test d'égalité compare les effets des niveaux d'un sous-groupe (test de Wald ; "
              "covariance tirée des fonctions d'influence, grappes partagées comprises, ou niveaux indépendants "
              "pour l'appariement).",
        "en": "An analysis run over several outcomes, horizons or subgroups forms a grid. P-values are given raw "
              "and adjusted for the number of estimates in the grid: Holm (1979) controls the probability of at "
              "least one false positive, Benjamini-Hochberg (1995) the expected share of false positives, Romano-Wolf "
              "(2005) the same probability as Holm while accounting for the dependence between the estimates "
              "(bootstrap of the influence functions; absent when an estimator has none, as matching). The "
              "equality test compares the effects across the levels of a subgroup (Wald test; covariance from the "
              "influence functions, shared clusters included, or levels taken as independent for matching).",
    },
    "grids_equality": {"fr": "Tests d'égalité des effets entre niveaux des sous-groupes",
                       "en": "Tests of equal effects across subgroup levels"},
    "plot_anticipation": {"fr": "fenêtre d'anticipation (e = \u2212{a} à \u22121)",
                          "en": "anticipation window (e = \u2212{a} to \u22121)"},
}
