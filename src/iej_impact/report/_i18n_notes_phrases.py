"""French of the fixed English fragments that notes are assembled from (``{n|phrase}`` in a note template).

An estimator builds some notes from alternatives (the kind of weights, the outcome model, the
comparison group...): the note pattern captures the alternative, and this table gives its French.
A fragment missing here leaves the whole note in English (marked), never half translated.
"""

from __future__ import annotations

__all__ = ["PHRASES"]

PHRASES: dict[str, str] = {
    # inverse-probability weighting (observational._weighting)
    "normalized (Hajek) weights, as Stata's teffects ipw":
        "poids normalisés (Hájek), comme teffects ipw de Stata",
    "Horvitz-Thompson (unnormalized) weights": "poids de Horvitz-Thompson (non normalisés)",
    "1/e(X) for treated and 1/(1-e(X)) for control units": "1/e(X) pour les traités et 1/(1−e(X)) pour les témoins",
    "1 for treated and e(X)/(1-e(X)) for control units": "1 pour les traités et e(X)/(1−e(X)) pour les témoins",
    "(1-e(X))/e(X) for treated and 1 for control units": "(1−e(X))/e(X) pour les traités et 1 pour les témoins",
    "logit": "logit",
    "probit": "probit",
    "gbm": "gradient boosting (gbm)",
    "": "",
    "stabilized ": "stabilisés, ",
    # outcome models (observational._doubly_robust, _regression)
    "linear (OLS)": "linéaire (MCO)",
    "logit (predicted probabilities)": "logit (probabilités prédites)",
    "linear regression (OLS) of the outcome on the covariates in each arm":
        "régression linéaire (MCO) du résultat sur les covariables dans chaque groupe",
    "logit model of the binary outcome in each arm (predicted probabilities)":
        "modèle logit du résultat binaire dans chaque groupe (probabilités prédites)",
    # matching (matching._methods, _estimate, _match)
    "J/(J+1) (Y_i - their mean)^2, AI 2006 eq. 14": "J/(J+1) (Y_i − leur moyenne)², AI 2006, éq. 14",
    "sample variance over the unit and its neighbours, as R Matching's Var.calc":
        "variance empirique sur l'unité et ses voisins, comme Var.calc du paquet R Matching",
    ", in rounds for 1:k": ", par tours pour 1:k",
    ", ties kept": ", égalités conservées",
    "sd": "en écarts-types de la distance",
    "raw": "en unités de la distance",
    # entropy balancing, bootstrap, E-values (observational._entropy, inference, observational._evalue)
    "control units": "les témoins sont",
    "treated units": "les traités sont",
    "treated units and control units": "les traités et les témoins sont",
    "means": "les moyennes",
    "means and second moments": "les moyennes et les moments d'ordre 2",
    "first, second and third moments": "les moments d'ordre 1, 2 et 3",
    "treated units' moments": "ceux des traités",
    "control units' moments": "ceux des témoins",
    "whole sample's moments": "ceux de l'échantillon entier",
    "sampling": "d'échantillonnage",
    "equal": "égaux",
    "multiplier": "multiplicateur",
    "resampling": "par rééchantillonnage",
    "robust": "robuste",
    "clustered": "par grappes",
    "bootstrap": "bootstrap",
    # costs (synthesis._cost)
    "delta method": "méthode delta",
    "Fieller": "Fieller",
    "requested": "choisie par l'utilisateur",
    # difference-in-differences (diff_in_diff._staggered, _aggregate)
    "not-yet-treated": "unités pas encore traitées",
    "never-treated": "unités jamais traitées",
    "universal": "universelle",
    "varying": "glissante",
    "dr": "doublement robuste (dr)",
    "ipw": "pondération inverse (ipw)",
    "reg": "régression (reg)",
    "balanced": "équilibré",
    "unbalanced": "non équilibré",
    " (anticipation window included)": " (fenêtre d'anticipation comprise)",
    "panel": "panel",
    "repeated cross-sections": "coupes transversales répétées",
    "units": "unités",
    "rows": "lignes",
    "with": "avec",
    "without": "sans",
    "singular covariance matrix": "matrice de covariance singulière",
    "missing estimates or covariances": "estimations ou covariances manquantes",
    # HonestDiD (diff_in_diff._honest)
    "relative magnitudes, Delta^RM(Mbar)": "amplitudes relatives, Δ^RM(M̄)",
    "smoothness, Delta^SD(M)": "régularité, Δ^SD(M)",
    "Mbar": "M̄",
    "M": "M",
}
