"""The vocabulary of result tables in French and English: column names, row labels and cell words.

Result objects name their columns for machines (``mean_treated_before``, ``numerator``,
``suppressed``...); the report, the spreadsheets and the plots show them under these labels.
:data:`COLUMN_MESSAGES` is merged into :data:`~iej_impact.report._i18n.MESSAGES` under the ids
``col_<name>`` (a column or index name), ``row_<name>`` (a row label of a summary table) and
``word_<name>`` (a text cell), so :func:`~iej_impact.report._i18n.t` finds them and the test of
both languages covers them. Pure data: no code.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["COLUMN_MESSAGES"]

_COLUMNS: dict[str, tuple[str, str]] = {
    # effects and estimates
    "estimate": ("estimation", "estimate"),
    "std_error": ("écart-type", "std. error"),
    "statistic": ("statistique", "statistic"),
    "p_value": ("p", "p"),
    "ci_lower": ("IC borne inf.", "CI lower"),
    "ci_upper": ("IC borne sup.", "CI upper"),
    "band_lower": ("bande uniforme, borne inf.", "uniform band, lower"),
    "band_upper": ("bande uniforme, borne sup.", "uniform band, upper"),
    "estimand": ("paramètre", "estimand"),
    "method": ("méthode", "method"),
    "outcome": ("variable de résultat", "outcome"),
    "inference": ("inférence", "inference"),
    "name": ("analyse", "analysis"),
    "truth": ("valeur vraie", "true value"),
    "term": ("terme", "term"),
    "sample": ("échantillon", "sample"),
    "n_treated": ("N traités", "N treated"),
    "n_control": ("N témoins", "N control"),
    "n_obs": ("N observations", "N observations"),
    "n": ("N", "N"),
    "post": ("après l'entrée", "post-entry"),
    "group": ("cohorte", "cohort"),
    "time": ("période", "period"),
    "event_time": ("temps relatif", "event time"),
    "cohort": ("cohorte", "cohort"),
    "weight": ("poids", "weight"),
    "negative": ("poids négatif", "negative weight"),
    "level": ("niveau", "level"),
    # grids and comparisons
    "source": ("résultat lu", "result read"),
    "horizon": ("horizon", "horizon"),
    "subgroup": ("sous-groupe", "subgroup"),
    "p_value_holm": ("p ajustée (Holm)", "p adjusted (Holm)"),
    "p_value_bh": ("p ajustée (Benjamini-Hochberg)", "p adjusted (Benjamini-Hochberg)"),
    "p_value_rw": ("p ajustée (Romano-Wolf)", "p adjusted (Romano-Wolf)"),
    "skipped": ("non estimé (raison)", "not estimated (reason)"),
    "notes": ("notes", "notes"),
    "test": ("test", "test"),
    "levels": ("niveaux", "levels"),
    "dropped_levels": ("niveaux écartés", "levels left out"),
    "df": ("degrés de liberté", "degrees of freedom"),
    "pooled_estimate": ("estimation commune", "pooled estimate"),
    "ci_level": ("niveau de l'IC", "CI level"),
    # omitted-variable sensitivity (Cinelli & Hazlett 2020) and E-values
    "treatment": ("traitement", "treatment"),
    "coefficient": ("coefficient", "coefficient"),
    "t_value": ("t", "t"),
    "dof": ("degrés de liberté", "degrees of freedom"),
    "r2yd_x": ("R² partiel du traitement dans le résultat (R²Y~D|X)", "partial R² of the treatment in the outcome "
               "(R²Y~D|X)"),
    "rv_q": ("valeur de robustesse RV_q", "robustness value RV_q"),
    "rv_qa": ("valeur de robustesse RV_q,α", "robustness value RV_q,α"),
    "kd": ("multiple kd (traitement)", "multiple kd (treatment)"),
    "ky": ("multiple ky (résultat)", "multiple ky (outcome)"),
    "r2dz_x": ("R² partiel du facteur omis dans le traitement (R²D~Z|X)", "partial R² of the confounder in the "
               "treatment (R²D~Z|X)"),
    "r2yz_dx": ("R² partiel du facteur omis dans le résultat (R²Y~Z|D,X)", "partial R² of the confounder in the "
                "outcome (R²Y~Z|D,X)"),
    "covariate": ("covariable", "covariate"),
    "r2dxj_x": ("R² partiel de la covariable dans le traitement (R²D~Xj|X-j)", "partial R² of the covariate in the "
                "treatment (R²D~Xj|X-j)"),
    "r2yxj_dx": ("R² partiel de la covariable dans le résultat (R²Y~Xj|D,X-j)", "partial R² of the covariate in the "
                 "outcome (R²Y~Xj|D,X-j)"),
    "quantity": ("quantité", "quantity"),
    "point": ("valeur", "point"),
    "lower": ("borne inf.", "lower"),
    "upper": ("borne sup.", "upper"),
    "bias": ("biais", "bias"),
    "covered": ("IC contient la valeur vraie", "CI contains the true value"),
    # sample sizes
    "treated": ("traités", "treated"),
    "control": ("témoins", "control"),
    "treated_n": ("traités (N)", "treated (N)"),
    "control_n": ("témoins (N)", "control (N)"),
    "treated_ess": ("traités (taille effective)", "treated (effective size)"),
    "control_ess": ("témoins (taille effective)", "control (effective size)"),
    "treated_units": ("unités traitées", "treated units"),
    "never_treated_units": ("unités jamais traitées", "never-treated units"),
    "units": ("unités", "units"),
    "observations": ("observations", "observations"),
    "rows": ("lignes", "rows"),
    "ess": ("taille effective", "effective size"),
    "mean": ("moyenne", "mean"),
    # balance
    "type": ("type", "type"),
    "mean_treated_before": ("moyenne des traités, avant ajustement", "treated mean, unadjusted"),
    "mean_control_before": ("moyenne des témoins, avant ajustement", "control mean, unadjusted"),
    "smd_before": ("différence standardisée, avant ajustement", "standardized difference, unadjusted"),
    "variance_ratio_before": ("rapport des variances, avant ajustement", "variance ratio, unadjusted"),
    "mean_treated_after": ("moyenne des traités, après ajustement", "treated mean, adjusted"),
    "mean_control_after": ("moyenne des témoins, après ajustement", "control mean, adjusted"),
    "smd_after": ("différence standardisée, après ajustement", "standardized difference, adjusted"),
    "variance_ratio_after": ("rapport des variances, après ajustement", "variance ratio, adjusted"),
    "imbalanced": ("déséquilibre (|DS| > seuil)", "imbalanced (|SMD| > threshold)"),
    # sensitivity
    "gamma": ("Gamma", "Gamma"),
    "p_lower": ("p, borne inf.", "p, lower bound"),
    "p_upper": ("p, borne sup.", "p, upper bound"),
    "significant": ("significatif", "significant"),
    "scenario": ("scénario", "scenario"),
    "benchmark": ("covariable de référence", "benchmark covariate"),
    "adjusted_estimate": ("estimation corrigée", "adjusted estimate"),
    "adjusted_se": ("écart-type corrigé", "adjusted std. error"),
    "adjusted_t": ("t corrigé", "adjusted t"),
    "adjusted_ci_lower": ("IC corrigé, borne inf.", "adjusted CI, lower"),
    "adjusted_ci_upper": ("IC corrigé, borne sup.", "adjusted CI, upper"),
    # programme indicators
    "indicator": ("indicateur", "indicator"),
    "framework": ("cadre", "framework"),
    "code": ("code", "code"),
    "label_fr": ("libellé", "label (French)"),
    "label_en": ("libellé (anglais)", "label"),
    "numerator": ("numérateur", "numerator"),
    "denominator": ("dénominateur", "denominator"),
    "sample_numerator": ("numérateur (échantillon)", "numerator (sample)"),
    "sample_denominator": ("dénominateur (échantillon)", "denominator (sample)"),
    "value": ("valeur", "value"),
    "suppressed": ("secret statistique", "suppressed (disclosure)"),
    "suppression": ("motif du secret", "suppression reason"),
    "note": ("note", "note"),
    "family": ("famille", "family"),
    "scope": ("champ", "scope"),
    "population": ("population", "population"),
    "stage": ("étape", "stage"),
    "unit": ("unité de compte", "counting unit"),
    "weighted": ("pondéré", "weighted"),
    "programme": ("programme", "programme"),
    "operation_id": ("opération", "operation"),
    "funding_group_id": ("groupe de financement", "funding group"),
    "operator_type": ("type d'opérateur", "operator type"),
    "action_type": ("type d'action", "action type"),
    "sex": ("sexe", "sex"),
    "relation": ("relation", "relation"),
    "total_key": ("indicateur total", "total indicator"),
    "total": ("total", "total"),
    "parts_sum": ("somme des parties", "sum of the parts"),
    "gap": ("écart", "gap"),
    "status": ("statut", "status"),
    # sample flow and preparation (tables/*.csv)
    "step": ("étape", "step"),
    "rows_in": ("lignes en entrée", "rows in"),
    "rows_out": ("lignes retenues", "rows kept"),
    "treated_out": ("traités retenus", "treated kept"),
    "control_out": ("témoins retenus", "control kept"),
    "reason": ("motif", "reason"),
    "table": ("table", "table"),
    "examples": ("exemples (identifiants)", "examples (ids)"),
    "row": ("ligne", "row"),
    # manifest records
    "path": ("fichier", "file"),
    "role": ("rôle", "role"),
    "sha256": ("empreinte SHA-256", "SHA-256 digest"),
    "sha256_of_table": ("empreinte SHA-256 de la table", "SHA-256 digest of the table"),
    "bytes": ("octets", "bytes"),
    "size_bytes": ("taille (octets)", "size (bytes)"),
    "format": ("format", "format"),
}

_ROWS: dict[str, tuple[str, str]] = {
    "all": ("toutes les unités", "all units"),
    "used": ("utilisées", "used"),
    "matched": ("appariées", "matched"),
    "unmatched": ("non appariées", "unmatched"),
    "discarded": ("écartées", "discarded"),
    "trimmed": ("exclues (poids extrêmes)", "trimmed"),
    "truncated": ("tronquées", "truncated"),
    "before": ("avant ajustement", "unadjusted"),
    "after": ("après ajustement", "adjusted"),
    "ever treated": ("traitées un jour", "ever treated"),
    "never treated": ("jamais traitées", "never treated"),
    "input": ("lecture des données", "input"),
    "lm_status": ("situation sur le marché du travail", "labour-market status"),
    "isced": ("niveau d'études (CITE)", "education (ISCED)"),
    "exits": ("sorties", "exits"),
    "positive_exits": ("sorties positives", "positive exits"),
    # cost per additional outcome (synthesis.cost_per_outcome)
    "cost": ("coût total", "total cost"),
    "cost_source": ("origine du coût", "cost source"),
    "source_method": ("méthode de l'effet", "effect method"),
    "effect": ("effet", "effect"),
    "effect_std_error": ("écart-type de l'effet", "effect std. error"),
    "n_treated": ("N traités", "N treated"),
    "cost_per_participant": ("coût par participant", "cost per participant"),
    "additional_outcomes": ("résultats supplémentaires", "additional outcomes"),
    "additional_outcomes_lower": ("résultats supplémentaires, borne inf.", "additional outcomes, lower"),
    "additional_outcomes_upper": ("résultats supplémentaires, borne sup.", "additional outcomes, upper"),
    "cost_per_additional_outcome": ("coût par résultat supplémentaire", "cost per additional outcome"),
    "ci_kind": ("forme de l'ensemble de confiance", "confidence set shape"),
    "ci_set": ("ensemble de confiance", "confidence set"),
    "ci_method": ("méthode de l'intervalle", "interval method"),
    "ci_lower": ("IC borne inf.", "CI lower"),
    "ci_upper": ("IC borne sup.", "CI upper"),
}

_WORDS: dict[str, tuple[str, str]] = {
    "binary": ("binaire", "binary"),
    "continuous": ("continue", "continuous"),
    "categorical": ("catégorielle", "categorical"),
    "ok": ("cohérent", "consistent"),
    "gap": ("écart", "gap"),
    "rows read": ("lignes lues", "rows read"),
    "risk_ratio": ("rapport de risques", "risk ratio"),
    "evalue": ("E-valeur", "E-value"),
    "wald_independent_subgroups": ("Wald, sous-groupes indépendants", "Wald, independent subgroups"),
    "wald_influence_functions": ("Wald, covariance des fonctions d'influence", "Wald, influence-function covariance"),
}

_METHODS: dict[str, tuple[str, str]] = {
    "difference_in_means": ("différence de moyennes", "difference in means"),
    "psm": ("appariement sur le score de propension", "propensity-score matching"),
    "match": ("appariement", "matching"),
    "ipw": ("pondération par l'inverse du score de propension", "inverse-probability weighting"),
    "aipw": ("pondération augmentée (doublement robuste)", "augmented IPW (doubly robust)"),
    "ipwra": ("pondération et ajustement par régression (doublement robuste)", "IPW regression adjustment (doubly robust)"),
    "regression_adjustment": ("ajustement par régression", "regression adjustment"),
    "entropy_balancing": ("équilibrage entropique", "entropy balancing"),
    "did": ("différence de différences", "difference in differences"),
    "matched_did": ("différence de différences après appariement", "matched difference in differences"),
    "twfe": ("effets fixes individuels et temporels (TWFE)", "two-way fixed effects (TWFE)"),
    "event_study": ("étude d'événement", "event study"),
    "att_gt": ("différence de différences échelonnée (Callaway-Sant'Anna)", "staggered DiD (Callaway-Sant'Anna)"),
    "aligned_did": ("différence de différences alignée sur l'entrée", "entry-aligned DiD"),
}

_ESTIMANDS: dict[str, tuple[str, str]] = {
    "ATT": ("effet moyen sur les traités (ATT)", "average effect on the treated (ATT)"),
    "ATE": ("effet moyen dans la population (ATE)", "average treatment effect (ATE)"),
    "ATC": ("effet moyen sur les témoins (ATC)", "average effect on the controls (ATC)"),
    "ATT(g,t)": ("effets moyens par cohorte et période, ATT(g, t)", "group-time average effects, ATT(g, t)"),
    "ATT by event time (dynamic TWFE)": ("ATT par temps relatif (TWFE dynamique)", "ATT by event time (dynamic TWFE)"),
}

#: captions of result summaries' tables (``summary_<caption>``) and titles of results (``title_<type name>``)
_CAPTIONS: dict[str, tuple[str, str]] = {
    "Regression coefficient and sensitivity statistics": (
        "Coefficient de régression et statistiques de sensibilité", "Regression coefficient and sensitivity statistics"),
    "Bias-adjusted estimates for confounders of the given strength": (
        "Estimations corrigées du biais d'un facteur de confusion de la force indiquée",
        "Bias-adjusted estimates for confounders of the given strength"),
    "Partial R2 of the benchmark covariates": ("R² partiels des covariables de référence",
                                               "Partial R2 of the benchmark covariates"),
    "Risk ratio and E-values": ("Rapport de risques et E-valeurs", "Risk ratio and E-values"),
}
_TITLES: dict[str, tuple[str, str]] = {
    "OVBResult": ("Sensibilité à une variable omise (Cinelli et Hazlett, 2020)",
                  "Omitted-variable sensitivity (Cinelli & Hazlett, 2020)"),
    "EValueResult": ("E-valeur (VanderWeele et Ding, 2017)", "E-value (VanderWeele & Ding, 2017)"),
}

COLUMN_MESSAGES: Mapping[str, Mapping[str, str]] = {
    **{f"summary_{k}": {"fr": fr, "en": en} for k, (fr, en) in _CAPTIONS.items()},
    **{f"title_{k}": {"fr": fr, "en": en} for k, (fr, en) in _TITLES.items()},
    **{f"col_{k}": {"fr": fr, "en": en} for k, (fr, en) in _COLUMNS.items()},
    **{f"row_{k}": {"fr": fr, "en": en} for k, (fr, en) in _ROWS.items()},
    **{f"word_{k}": {"fr": fr, "en": en} for k, (fr, en) in _WORDS.items()},
    **{f"method_{k}": {"fr": fr, "en": en} for k, (fr, en) in _METHODS.items()},
    **{f"estimand_{k}": {"fr": fr, "en": en} for k, (fr, en) in _ESTIMANDS.items()},
}
