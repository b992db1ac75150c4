"""Labels of reports and plots in French and English, and number formatting for display.

Every heading, column label and caption the report or a plot shows is a message id here with a
French and an English text; :func:`t` looks one up. Numbers are formatted for the reader only
(never in data or JSON): French uses a decimal comma and a narrow no-break space (U+202F) as
thousands separator, as the Imprimerie nationale and INSEE do; English uses a point and a comma.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Literal

import numpy as np
import pandas as pd

from .._validation import check_choice
from ._i18n_summary import SUMMARY_MESSAGES
from ._i18n_tables import COLUMN_MESSAGES

__all__ = [
    "Language",
    "LANGUAGES",
    "MESSAGES",
    "check_language",
    "t",
    "format_number",
    "format_int",
    "format_pvalue",
    "format_percent",
    "format_interval",
    "format_bool",
    "format_value",
    "format_short",
    "method_label",
    "estimand_label",
]

Language = Literal["fr", "en"]
LANGUAGES: tuple[str, ...] = ("fr", "en")

#: the narrow no-break space that separates thousands (and precedes % and ;) in French
NNBSP = "\u202f"

_MESSAGES: dict[str, Mapping[str, str]] = {
    # --- document structure
    "contents": {"fr": "Sommaire", "en": "Contents"},
    "design": {"fr": "Résumé du dispositif", "en": "Design summary"},
    "sample_flow": {"fr": "Constitution de l'échantillon", "en": "Sample flow"},
    "effects": {"fr": "Effets estimés", "en": "Estimated effects"},
    "details": {"fr": "Détail des résultats", "en": "Results in detail"},
    "figures": {"fr": "Graphiques", "en": "Figures"},
    "reproducibility": {"fr": "Reproductibilité", "en": "Reproducibility"},
    "notes": {"fr": "Notes et mises en garde", "en": "Notes and caveats"},
    "methods_appendix": {"fr": "Annexe méthodologique", "en": "Methods appendix"},
    "methods_intro": {
        "fr": "Pour chaque méthode employée : ce qu'elle estime, les hypothèses qui l'identifient, le calcul de "
              "l'incertitude, les analyses qui l'emploient avec leurs options principales, et les références.",
        "en": "For each method used: what it estimates, the assumptions that identify it, how its uncertainty is "
              "computed, the analyses that use it with their main options, and the references."},
    "methods_empty": {"fr": "Aucune méthode à décrire.", "en": "No method to describe."},
    "method_estimand": {"fr": "Paramètre estimé", "en": "What it estimates"},
    "method_assumptions": {"fr": "Hypothèses d'identification", "en": "Identifying assumptions"},
    "method_inference": {"fr": "Inférence", "en": "Inference"},
    "method_runs": {"fr": "Analyses et options", "en": "Analyses and options"},
    "method_references": {"fr": "Références", "en": "References"},
    "method_link": {"fr": "Méthode : ", "en": "Method: "},
    "produced_by": {"fr": "Rapport produit par iej_impact {version}.", "en": "Report produced by iej_impact {version}."},
    # --- design summary
    "n_analyses": {"fr": "Analyses", "en": "Analyses"},
    "n_effects": {"fr": "Estimations ponctuelles", "en": "Point estimates"},
    "methods": {"fr": "Méthodes", "en": "Methods"},
    "estimands": {"fr": "Paramètres estimés", "en": "Estimands"},
    "outcomes": {"fr": "Variables de résultat", "en": "Outcomes"},
    "inference_methods": {"fr": "Inférence", "en": "Inference"},
    "rows_read": {"fr": "Lignes en entrée", "en": "Input rows"},
    "analysis_sample": {"fr": "Échantillon d'analyse", "en": "Analysis sample"},
    "arm_counts": {"fr": "{total} lignes ({treated} traités, {control} témoins)",
                   "en": "{total} rows ({treated} treated, {control} control)"},
    "rows_only": {"fr": "{total} lignes", "en": "{total} rows"},
    "seed": {"fr": "Graine aléatoire", "en": "Random seed"},
    "none": {"fr": "aucun", "en": "none"},
    # --- sample flow table
    "step": {"fr": "Étape", "en": "Step"},
    "rows_in": {"fr": "Lignes en entrée", "en": "Rows in"},
    "rows_out": {"fr": "Lignes retenues", "en": "Rows kept"},
    "rows_excluded": {"fr": "Lignes exclues", "en": "Rows excluded"},
    "treated_out": {"fr": "Traités retenus", "en": "Treated kept"},
    "control_out": {"fr": "Témoins retenus", "en": "Control kept"},
    "treated_excluded": {"fr": "Traités exclus", "en": "Treated excluded"},
    "control_excluded": {"fr": "Témoins exclus", "en": "Control excluded"},
    "reason": {"fr": "Motif", "en": "Reason"},
    "flow_caption": {
        "fr": "Chaque ligne des données est retenue ou exclue avec un motif ; les effectifs par groupe "
              "sont ceux retenus à l'issue de l'étape.",
        "en": "Every input row is kept or excluded with a reason; per-arm counts are those kept after the step.",
    },
    "flow_empty": {"fr": "Aucune étape enregistrée.", "en": "No step recorded."},
    "preparation": {"fr": "Préparation des données", "en": "Data preparation"},
    "title_HonestDiDResult": {"fr": "Sensibilité HonestDiD (Rambachan et Roth, 2023) aux écarts de tendances parallèles",
                              "en": "HonestDiD sensitivity (Rambachan & Roth 2023) to departures from parallel trends"},
    # --- placebo tests
    "placebos": {"fr": "Tests placebo", "en": "Placebo tests"},
    "placebo_kind": {"fr": "Test", "en": "Test"},
    "placebo_entry": {"fr": "Date d'entrée fictive", "en": "Fake entry date"},
    "placebo_group": {"fr": "Groupe placebo (faux traités)", "en": "Placebo group (fake treated)"},
    "placebo_outcome": {"fr": "Résultat placebo", "en": "Placebo outcome"},
    "placebo_reading": {"fr": "Lecture", "en": "Reading"},
    "placebo_compatible": {"fr": "L'estimation placebo est compatible avec zéro ({p}).",
                           "en": "The placebo estimate is compatible with zero ({p})."},
    "placebo_not_compatible": {
        "fr": "L'estimation placebo s'écarte de zéro au seuil de {alpha} ({p}) : l'hypothèse d'identification est "
              "mise en doute.",
        "en": "The placebo estimate differs from zero at the {alpha} level ({p}): the identifying assumption is in "
              "doubt."},
    "placebo_no_estimate": {"fr": "Pas d'estimation unique : voir les effets détaillés du résultat.",
                            "en": "No single estimate: see the result's detailed effects."},
    "placebos_intro": {
        "fr": "Chaque test réestime le dispositif là où l'effet doit être nul : entrées avancées dans le temps, "
              "non-traités tenant le rôle des traités, ou résultat mesuré avant l'entrée. Une estimation éloignée de "
              "zéro met en doute le dispositif ; une estimation compatible avec zéro ne le prouve pas.",
        "en": "Each test re-estimates the design where the effect must be zero: entries moved earlier, untreated "
              "units playing the treated, or an outcome measured before entry. An estimate far from zero casts doubt "
              "on the design; one compatible with zero does not prove it."},
    "placebos_caption": {
        "fr": "Pour att_gt, l'agrégation simple des ATT(g,t) placebo. Le détail de chaque test (effectifs, notes) "
              "figure dans la section « Détail des résultats ».",
        "en": "For att_gt, the simple aggregation of the placebo ATT(g,t). Each test's detail (counts, notes) is in "
              "the section \u201cResults in detail\u201d."},
    "prep_table": {"fr": "Table", "en": "Table"},
    "prep_examples": {"fr": "Exemples (identifiants)", "en": "Examples (ids)"},
    "prep_caption": {
        "fr": "Étapes de préparation des fichiers bruts (data.prepare), table par table : lignes en entrée et "
              "retenues, par groupe, motif et exemples d'identifiants concernés ; chaque ligne retirée est listée "
              "dans tables/preparation_exclusions.csv.",
        "en": "Preparation steps applied to the raw files (data.prepare), table by table: rows in and kept, per "
              "arm, the reason and example ids; every removed row is listed in tables/preparation_exclusions.csv.",
    },
    # --- effect table
    "name": {"fr": "Analyse", "en": "Analysis"},
    "method": {"fr": "Méthode", "en": "Method"},
    "estimand": {"fr": "Paramètre", "en": "Estimand"},
    "outcome": {"fr": "Résultat", "en": "Outcome"},
    "estimate": {"fr": "Estimation", "en": "Estimate"},
    "std_error": {"fr": "Écart-type", "en": "Std. error"},
    "ci": {"fr": "IC à {level}", "en": "{level} CI"},
    "ci_mixed": {"fr": "Intervalle de confiance (niveau)", "en": "Confidence interval (level)"},
    "p_value": {"fr": "p", "en": "p"},
    "inference": {"fr": "Inférence", "en": "Inference"},
    "n_treated": {"fr": "N traités", "en": "N treated"},
    "n_control": {"fr": "N témoins", "en": "N control"},
    "true_value": {"fr": "Valeur vraie", "en": "True value"},
    "bias": {"fr": "Biais", "en": "Bias"},
    "covered": {"fr": "IC couvre la vraie valeur", "en": "CI covers truth"},
    "effects_empty": {"fr": "Aucun résultat ne comporte d'estimation ponctuelle.",
                      "en": "No result carries a point estimate."},
    "effects_caption": {
        "fr": "Estimations arrondies pour l'affichage ; les valeurs exactes figurent dans results.json.",
        "en": "Estimates are rounded for display; exact values are in results.json.",
    },
    "truth_caption": {
        "fr": "Données synthétiques : biais = estimation − valeur vraie ; la dernière colonne indique si "
              "l'intervalle de confiance contient la valeur vraie.",
        "en": "Synthetic data: bias = estimate − true value; the last column says whether the confidence "
              "interval contains the true value.",
    },
    "not_in_effects": {
        "fr": "Résultats sans estimation ponctuelle (voir le détail) : {names}.",
        "en": "Results without a point estimate (see the details): {names}.",
    },
    # --- inference names
    "inference_robust": {"fr": "robuste", "en": "robust"},
    "inference_clustered": {"fr": "par grappes", "en": "clustered"},
    "inference_bootstrap": {"fr": "bootstrap", "en": "bootstrap"},
    "inference_abadie_imbens": {"fr": "Abadie-Imbens", "en": "Abadie-Imbens"},
    "inference_pair_cluster": {"fr": "grappes de paires", "en": "pair clusters"},
    # --- details (vocabulary of result summaries)
    "details_empty": {"fr": "Aucun résultat.", "en": "No results."},
    "summary_Effect": {"fr": "Effet", "en": "Effect"},
    "summary_Sample sizes": {"fr": "Effectifs", "en": "Sample sizes"},
    "summary_estimate": {"fr": "estimation", "en": "estimate"},
    "summary_std_error": {"fr": "écart-type", "en": "std. error"},
    "summary_statistic": {"fr": "statistique", "en": "statistic"},
    "summary_p_value": {"fr": "p", "en": "p"},
    "summary_ci_lower": {"fr": "IC borne inf.", "en": "CI lower"},
    "summary_ci_upper": {"fr": "IC borne sup.", "en": "CI upper"},
    "summary_estimand": {"fr": "paramètre", "en": "estimand"},
    "summary_treated": {"fr": "traités", "en": "treated"},
    "summary_control": {"fr": "témoins", "en": "control"},
    "summary_n_obs": {"fr": "N", "en": "N"},
    "summary_term": {"fr": "terme", "en": "term"},
    "summary_sample": {"fr": "échantillon", "en": "sample"},
    "summary_step": {"fr": "étape", "en": "step"},
    "summary_rows_in": {"fr": "lignes en entrée", "en": "rows in"},
    "summary_rows_out": {"fr": "lignes retenues", "en": "rows kept"},
    "summary_treated_out": {"fr": "traités retenus", "en": "treated kept"},
    "summary_control_out": {"fr": "témoins retenus", "en": "control kept"},
    "summary_reason": {"fr": "motif", "en": "reason"},
    "summary_Rows kept at each step": {"fr": "Lignes retenues à chaque étape", "en": "Rows kept at each step"},
    # --- figures
    "figure_effects": {"fr": "Effets estimés et intervalles de confiance", "en": "Estimated effects and confidence intervals"},
    "figure_sample_flow": {"fr": "Lignes retenues à chaque étape, par groupe", "en": "Rows kept at each step, by arm"},
    "figures_empty": {"fr": "Aucun graphique.", "en": "No figures."},
    # --- reproducibility
    "inputs": {"fr": "Fichiers d'entrée", "en": "Input files"},
    "package_versions": {"fr": "Versions des logiciels", "en": "Package versions"},
    "package": {"fr": "Logiciel", "en": "Package"},
    "version": {"fr": "Version", "en": "Version"},
    "config": {"fr": "Configuration appliquée", "en": "Resolved configuration"},
    "other_manifest": {"fr": "Autres éléments du manifeste", "en": "Other manifest entries"},
    "no_manifest": {"fr": "Aucun manifeste fourni.", "en": "No manifest given."},
    "determinism": {
        "fr": "Ce rapport ne contient ni date ni durée : une même configuration, de mêmes données et une même "
              "graine produisent un fichier identique octet pour octet. Les durées figurent dans manifest.json.",
        "en": "This report holds no date or timing: the same configuration, data and seed give a byte-identical "
              "file. Timings are in manifest.json.",
    },
    # --- notes
    "note_rounding": {
        "fr": "Les nombres sont arrondis pour l'affichage seulement ; les tables CSV et results.json gardent "
              "la précision complète.",
        "en": "Numbers are rounded for display only; the CSV tables and results.json keep full precision.",
    },
    # --- plots
    "plot_effect_axis": {"fr": "Effet estimé (intervalle de confiance)", "en": "Estimated effect (confidence interval)"},
    "plot_estimate": {"fr": "Estimation", "en": "Estimate"},
    "plot_truth": {"fr": "Valeur vraie", "en": "True value"},
    "plot_rows_axis": {"fr": "Lignes retenues", "en": "Rows kept"},
    "plot_treated": {"fr": "Traités", "en": "Treated"},
    "plot_control": {"fr": "Témoins", "en": "Control"},
    "plot_all_rows": {"fr": "Toutes les lignes", "en": "All rows"},
    # --- plots of single results (propensity overlap, love plot, event study, group-time effects)
    "plot_overlap_treated": {"fr": "traités (n = {n})", "en": "treated (n={n})"},
    "plot_overlap_control": {"fr": "témoins (n = {n})", "en": "control (n={n})"},
    "plot_score_axis": {"fr": "score de propension", "en": "propensity score"},
    "plot_density_axis": {"fr": "densité (témoins sous l'axe)", "en": "density (control below the axis)"},
    "plot_overlap_title": {"fr": "Recouvrement du score de propension ({model})",
                           "en": "Overlap of the propensity score ({model})"},
    "plot_unadjusted": {"fr": "avant ajustement", "en": "unadjusted"},
    "plot_adjusted": {"fr": "après ajustement", "en": "adjusted"},
    "plot_smd_axis": {"fr": "différence standardisée des moyennes (écart type {sd})",
                      "en": "standardized mean difference ({sd} SD)"},
    "plot_abs_smd_axis": {"fr": "différence standardisée des moyennes, en valeur absolue (écart type {sd})",
                          "en": "absolute standardized mean difference ({sd} SD)"},
    "plot_sd_pooled": {"fr": "commun", "en": "pooled"},
    "plot_sd_treated": {"fr": "des traités", "en": "treated"},
    "plot_sd_control": {"fr": "des témoins", "en": "control"},
    "plot_uniform_band": {"fr": "bande uniforme", "en": "uniform band"},
    "plot_pre_treatment": {"fr": "avant traitement", "en": "pre-treatment"},
    "plot_post_treatment": {"fr": "après traitement", "en": "post-treatment"},
    "plot_reference": {"fr": "référence", "en": "reference"},
    "plot_reference_period": {"fr": "période de référence (e = {e})", "en": "reference period (e = {e})"},
    "plot_base_reference": {"fr": "Période de référence\u202f: e = {e} (coefficient fixé à 0)",
                            "en": "Reference period: e = {e} (coefficient set to 0)"},
    "plot_base_universal": {"fr": "Période de référence\u202f: e = {e} (base universelle, commune à toutes les "
                                  "estimations)",
                            "en": "Reference period: e = {e} (universal base, common to every estimate)"},
    "plot_base_varying": {"fr": "Base variable\u202f: avances par rapport à la période précédente, effets par "
                                "rapport à e = {e}",
                          "en": "Varying base: each lead vs. the period before it, effects vs. e = {e}"},
    "plot_effect": {"fr": "Effet", "en": "Effect"},
    "plot_event_time_axis": {"fr": "Temps relatif (périodes depuis l'entrée)", "en": "Event time (periods since entry)"},
    "plot_cohort_axis": {"fr": "Cohorte (première période traitée)", "en": "Cohort (first treated period)"},
    "plot_period_axis": {"fr": "Période", "en": "Period"},
    "plot_event_study_title": {"fr": "Étude d'événement sur {outcome} (TWFE dynamique, référence {reference})",
                               "en": "Event study on {outcome} (dynamic TWFE, reference {reference})"},
    "plot_level_event_time": {"fr": "temps relatif", "en": "event time"},
    "plot_level_group": {"fr": "cohorte", "en": "group"},
    "plot_level_time": {"fr": "période", "en": "time"},
    "plot_aggregate_title": {"fr": "ATT par {level} sur {outcome} (agrégation {kind})",
                             "en": "ATT by {level} on {outcome} ({kind} aggregation)"},
    "plot_group_time_axis": {"fr": "Période (plein\u202f: traité\u202f; creux\u202f: avant l'entrée)",
                             "en": "Period (filled: treated; hollow: before entry)"},
    "plot_group_time_title": {"fr": "ATT(g, t) sur {outcome}", "en": "Group-time ATTs on {outcome}"},
    "plot_honest_original": {"fr": "IC usuel", "en": "original CI"},
    "plot_honest_robust": {"fr": "ensemble robuste ({method})", "en": "robust set ({method})"},
    "plot_honest_axis_mbar": {"fr": "Mbar (écart post-traitement / plus grand écart pré-traitement)",
                              "en": "Mbar (post-treatment violation / largest pre-treatment one)"},
    "plot_honest_axis_m": {"fr": "M (variation maximale de la pente de l'écart de tendance)",
                           "en": "M (largest change in the slope of the trend difference)"},
    "plot_honest_effect_at": {"fr": "effet au temps relatif {e}", "en": "effect at event time {e}"},
    "plot_honest_average": {"fr": "effet moyen, temps relatifs {first} à {last}",
                            "en": "average effect, event times {first} to {last}"},
    "plot_honest_combination": {"fr": "combinaison des effets après la référence",
                                "en": "combination of the post-period effects"},
    "plot_honest_title": {"fr": "Sensibilité HonestDiD : {parameter}{outcome}",
                          "en": "HonestDiD sensitivity: {parameter}{outcome}"},
    "plot_ovb_r2dz": {"fr": "R² partiel du facteur omis avec {treatment} (R²_D~Z|X)",
                      "en": "Partial R² of the confounder with {treatment} (R²_D~Z|X)"},
    "plot_ovb_r2yz": {"fr": "R² partiel du facteur omis avec {outcome} (R²_Y~Z|D,X)",
                      "en": "Partial R² of the confounder with {outcome} (R²_Y~Z|D,X)"},
    "plot_ovb_title_estimate": {"fr": "Coefficient de {treatment} corrigé d'un facteur de confusion omis",
                                "en": "Bias-adjusted coefficient of {treatment}"},
    "plot_ovb_title_t_value": {"fr": "Statistique t de {treatment} corrigée d'un facteur de confusion omis",
                               "en": "Bias-adjusted t-value of {treatment}"},
    "plot_ovb_unadjusted": {"fr": "sans correction ({value})", "en": "unadjusted ({value})"},
    # --- small words
    "yes": {"fr": "oui", "en": "yes"},
    "no": {"fr": "non", "en": "no"},
    "na": {"fr": "n.d.", "en": "n/a"},
    "result_title": {"fr": "{method} : {estimand} sur « {outcome} »", "en": "{method}: {estimand} on “{outcome}”"},
    "aggregation_simple": {"fr": "agrégation globale", "en": "overall aggregation"},
    "aggregation_dynamic": {"fr": "agrégation par temps relatif", "en": "aggregation by event time"},
    "aggregation_group": {"fr": "agrégation par cohorte", "en": "aggregation by cohort"},
    "aggregation_calendar": {"fr": "agrégation par période", "en": "aggregation by period"},
    "title_BalanceTable": {"fr": "Équilibre des covariables entre traités et témoins",
                           "en": "Covariate balance between treated and control units"},
    "title_SensitivityResult": {"fr": "Bornes de Rosenbaum (sensibilité à un facteur de confusion caché)",
                                "en": "Rosenbaum bounds (sensitivity to hidden bias)"},
    "original_notes": {"fr": "Notes techniques de l'estimateur, dans leur langue d'origine (anglais)",
                       "en": "Technical notes of the estimator"},
    "summary_Balance": {"fr": "Équilibre", "en": "Balance"},
    "summary_Bounds on the p-value": {"fr": "Bornes de la p-valeur", "en": "Bounds on the p-value"},
    "summary_By event_time": {"fr": "Par temps relatif", "en": "By event time"},
    "summary_By group": {"fr": "Par cohorte", "en": "By cohort"},
    "summary_By time": {"fr": "Par période", "en": "By period"},
    "summary_Group-time average treatment effects": {"fr": "Effets moyens par cohorte et période",
                                                     "en": "Group-time average treatment effects"},
    "summary_Leads and lags": {"fr": "Avances et retards", "en": "Leads and lags"},
    "summary_Overall": {"fr": "Ensemble", "en": "Overall"},
    "summary_Sample": {"fr": "Échantillon", "en": "Sample"},
    # --- one-page summary
    "summary": {"fr": "Synthèse", "en": "Summary"},
    "summary_intro": {
        "fr": "Un paragraphe par estimation (ou par grille : une valeur par résultat) : ce qui est estimé, sur qui, la valeur et son intervalle de confiance, "
              "l'hypothèse dont dépend la méthode et ce qu'en disent les diagnostics.",
        "en": "One paragraph per estimate (or per grid: one value per outcome): what is estimated, on whom, the value and its confidence interval, the "
              "assumption the method rests on and what the diagnostics say about it.",
    },
    "sum_what": {"fr": "{estimand} sur « {outcome} », estimé par {method} : {value} (intervalle de confiance à "
                       "{level} : {ci}).",
                 "en": "{estimand} on “{outcome}”, estimated by {method}: {value} ({level} confidence interval: "
                       "{ci})."},
    "sum_points": {"fr": "Soit {points} points de pourcentage.", "en": "That is {points} percentage points."},
    "sum_who": {"fr": "Estimation fondée sur {treated} traités et {control} témoins.",
                "en": "The estimate uses {treated} treated and {control} control units."},
    "assume_naive": {
        "fr": "Cette comparaison brute ne corrige aucune différence entre les groupes : elle ne mesure l'effet du "
              "programme que si l'entrée y était due au hasard.",
        "en": "This raw comparison corrects for no difference between the groups: it measures the programme's "
              "effect only if entry was as good as random.",
    },
    "assume_matching": {
        "fr": "L'appariement suppose qu'à caractéristiques observées égales, l'entrée dans le programme ne dépend "
              "d'aucun facteur non mesuré lié au résultat, et que chaque traité a des témoins comparables.",
        "en": "Matching assumes that, given the observed characteristics, entry into the programme depends on no "
              "unmeasured factor related to the outcome, and that every treated unit has comparable controls.",
    },
    "assume_weighting": {
        "fr": "La pondération suppose qu'à caractéristiques observées égales, l'entrée dans le programme ne dépend "
              "d'aucun facteur non mesuré lié au résultat, et que le modèle du score de propension est correct.",
        "en": "Weighting assumes that, given the observed characteristics, entry into the programme depends on no "
              "unmeasured factor related to the outcome, and that the propensity-score model is right.",
    },
    "assume_doubly_robust": {
        "fr": "La méthode doublement robuste suppose l'absence de facteur de confusion non mesuré ; elle reste "
              "correcte si l'un des deux modèles (score de propension ou résultat) est bien spécifié.",
        "en": "The doubly robust method assumes no unmeasured confounder; it stays right if either of its two "
              "models (propensity score or outcome) is well specified.",
    },
    "assume_regression": {
        "fr": "L'ajustement par régression suppose l'absence de facteur de confusion non mesuré et un modèle de "
              "résultat bien spécifié dans chaque groupe.",
        "en": "Regression adjustment assumes no unmeasured confounder and a well-specified outcome model in each "
              "group.",
    },
    "assume_did": {
        "fr": "La différence de différences suppose que, sans le programme, le résultat des entrants aurait évolué "
              "comme celui des témoins (tendances parallèles), sans effet anticipé hors de la fenêtre prévue.",
        "en": "Difference in differences assumes that, without the programme, the entrants' outcome would have "
              "moved like the controls' (parallel trends), with no anticipation outside the stated window.",
    },
    "assume_twfe": {
        "fr": "Le modèle à effets fixes suppose des tendances parallèles et un effet identique pour toutes les "
              "cohortes et à toutes les dates ; sinon il peut mal pondérer les comparaisons.",
        "en": "The fixed-effects model assumes parallel trends and the same effect for every cohort and period; "
              "otherwise it can weight comparisons badly.",
    },
    "sum_balance_ok": {
        "fr": "Après ajustement, aucune des {n} covariables n'a une différence standardisée supérieure à {thr} en "
              "valeur absolue (au plus {max}) : l'équilibre est atteint.",
        "en": "After adjustment, none of the {n} covariates has an absolute standardized difference above {thr} "
              "(at most {max}): balance is achieved.",
    },
    "sum_balance_bad": {
        "fr": "Après ajustement, {k} covariables sur {n} gardent une différence standardisée supérieure à {thr} en "
              "valeur absolue (au plus {max} ; {names}) : l'équilibre n'est pas atteint.",
        "en": "After adjustment, {k} of {n} covariates keep an absolute standardized difference above {thr} (at "
              "most {max}; {names}): balance is not achieved.",
    },
    "sum_overlap_ok": {
        "fr": "Les scores de propension des deux groupes se recouvrent (au plus {share} d'un groupe hors de "
              "l'étendue de l'autre).",
        "en": "The propensity scores of the two groups overlap (at most {share} of a group outside the other's "
              "range).",
    },
    "sum_overlap_bad": {
        "fr": "Le recouvrement des scores de propension est limité : jusqu'à {share} d'un groupe est hors de "
              "l'étendue de l'autre.",
        "en": "The overlap of the propensity scores is limited: up to {share} of a group lies outside the other's "
              "range.",
    },
    "sum_matched_all": {"fr": "Toutes les unités ont trouvé un témoin comparable.",
                        "en": "Every unit found a comparable match."},
    "sum_matched_some": {
        "fr": "{lost} unités sur {total} n'ont pas trouvé de témoin assez proche et sont exclues : l'estimation "
              "porte sur les unités appariées seulement.",
        "en": "{lost} of {total} units found no close enough match and are left out: the estimate refers to the "
              "matched units only.",
    },
    "sum_pretrend_ok": {
        "fr": "Le test de tendances préalables ne détecte pas d'écart avant l'entrée (p = {p}, {df} degrés de "
              "liberté), ce qui est compatible avec l'hypothèse.",
        "en": "The pre-trend test detects no difference before entry (p = {p}, {df} degrees of freedom), which is "
              "consistent with the assumption.",
    },
    "sum_pretrend_bad": {
        "fr": "Le test de tendances préalables détecte des écarts avant l'entrée (p = {p}, {df} degrés de "
              "liberté) : l'hypothèse de tendances parallèles est mise en doute.",
        "en": "The pre-trend test detects differences before entry (p = {p}, {df} degrees of freedom): the "
              "parallel-trends assumption is in doubt.",
    },
    "sum_no_diagnostics": {"fr": "Le résultat ne comporte pas de diagnostic de cette hypothèse.",
                           "en": "The result carries no diagnostic of this assumption."},
    "figure_kind_event_study": {"fr": "Étude d'événement : {name}", "en": "Event study: {name}"},
    "figure_kind_group_time": {"fr": "Effets par cohorte et période : {name}", "en": "Group-time effects: {name}"},
    "figure_kind_overlap": {"fr": "Recouvrement du score de propension : {name}", "en": "Propensity-score overlap: {name}"},
    "figure_kind_love": {"fr": "Équilibre des covariables : {name}", "en": "Covariate balance: {name}"},
    "figure_kind_contour": {"fr": "Sensibilité à un facteur de confusion omis : {name}",
                            "en": "Sensitivity to an omitted confounder: {name}"},
    "plot_kind_simple": {"fr": "globale", "en": "simple"},
    "plot_kind_dynamic": {"fr": "dynamique", "en": "dynamic"},
    "plot_kind_group": {"fr": "par cohorte", "en": "group"},
    "plot_kind_calendar": {"fr": "calendaire", "en": "calendar"},
    "flow_filter": {"fr": "filtre {i}", "en": "filter {i}"},
    "show_table": {"fr": "Afficher le tableau ({n} lignes)", "en": "Show the table ({n} rows)"},
    "full_table_csv": {"fr": "Tableau complet :", "en": "Full table:"},
}

#: every message of the report, plots and spreadsheets (the table vocabulary is in :mod:`._i18n_tables`)
MESSAGES: Mapping[str, Mapping[str, str]] = {**_MESSAGES, **COLUMN_MESSAGES, **SUMMARY_MESSAGES}


def check_language(language: object, func: str) -> str:
    """Return ``language`` if it is 'fr' or 'en'; else raise SpecificationError naming both."""
    return str(check_choice("language", language, LANGUAGES, func))


def t(key: str, language: str, **values: object) -> str:
    """The text of message ``key`` in ``language``, with ``{placeholders}`` filled from ``values``.

    >>> t("yes", "fr")
    'oui'
    """
    check_language(language, "t")
    try:
        text = MESSAGES[key][language]
    except KeyError:
        raise KeyError(f"no message {key!r} in iej_impact.report._i18n.MESSAGES; add it with a French and an English text.") from None
    return text.format(**values) if values else text


def method_label(method: object, language: str) -> str:
    """A method's name in words ('appariement sur le score de propension'); unknown methods as they are."""
    if method is None:
        return t("na", language)
    key = f"method_{method}"
    return t(key, language) if key in MESSAGES else str(method)


def estimand_label(estimand: object, language: str, *, short: bool = False) -> str:
    """An estimand in words, or its code ('ATT') with ``short``; unknown estimands as they are."""
    if estimand is None:
        return t("na", language)
    key = f"estimand_{estimand}"
    if short and str(estimand) in ("ATT", "ATE", "ATC"):
        return str(estimand)
    return t(key, language) if key in MESSAGES else str(estimand)


def _missing(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, (float, np.floating)):
        return not math.isfinite(float(value))
    return False


def _localise(text: str, language: str) -> str:
    """'1,234.5' (Python grouping) -> '1 234,5' in French; unchanged in English."""
    if language == "fr":
        return text.replace(",", NNBSP).replace(".", ",")
    return text


def format_number(value: object, language: str, digits: int = 4) -> str:
    """A float with ``digits`` decimals and thousands grouping; missing or infinite -> 'n.d.'/'n/a'."""
    if _missing(value):
        return t("na", language)
    return _localise(f"{float(value):,.{digits}f}", language)  # type: ignore[arg-type]


def format_int(value: object, language: str) -> str:
    """An integer count with thousands grouping; missing -> 'n.d.'/'n/a'."""
    if _missing(value):
        return t("na", language)
    try:
        return _localise(f"{int(value):,d}", language)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return str(value)


def format_pvalue(value: object, language: str) -> str:
    """A p-value with 3 decimals, or '< 0,001' / '< 0.001' below that."""
    if _missing(value):
        return t("na", language)
    p = float(value)  # type: ignore[arg-type]
    if p < 0.001:
        return "<" + (NNBSP if language == "fr" else " ") + _localise("0.001", language)
    return _localise(f"{p:.3f}", language)


def format_percent(fraction: float, language: str) -> str:
    """0.95 -> '95 %' (French, narrow no-break space) or '95%' (English)."""
    text = _localise(f"{100 * fraction:g}", language)
    return text + (NNBSP + "%" if language == "fr" else "%")


def format_interval(lower: object, upper: object, language: str, digits: int = 4) -> str:
    """'[0,0210 ; 0,0650]' in French (the comma is the decimal mark) or '[0.0210, 0.0650]' in English."""
    lo, hi = format_number(lower, language, digits), format_number(upper, language, digits)
    sep = NNBSP + "; " if language == "fr" else ", "
    return f"[{lo}{sep}{hi}]"


def format_short(value: float, language: str) -> str:
    """A number with as many digits as it needs ('1,5', '2'): levels such as Gamma or a lead."""
    if _missing(value):
        return t("na", language)
    return _localise(f"{float(value):g}", language).replace("-", "\u2212")


def format_bool(value: object, language: str) -> str:
    """True -> 'oui'/'yes', False -> 'non'/'no', missing -> 'n.d.'/'n/a'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return t("na", language)
    return t("yes" if bool(value) else "no", language)


def format_value(value: object, language: str, digits: int = 4) -> str:
    """Format any table cell: bool, integer, float, or text (returned as is); None -> ''."""
    if value is None:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return format_bool(bool(value), language)
    if isinstance(value, (int, np.integer)):
        return format_int(value, language)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        if f.is_integer() and abs(f) >= 1:  # counts stored as floats (columns with missing values)
            return format_int(int(f), language)
        return format_number(value, language, digits)
    if pd.api.types.is_scalar(value) and pd.isna(value):
        return t("na", language)
    return str(value)
