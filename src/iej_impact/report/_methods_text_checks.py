"""The methods appendix's text for the analyses that accompany an estimate, in French and English:
sensitivity to hidden confounding or to violated parallel trends, placebo entry dates, the cost per
additional outcome, and the multiple-testing adjustments of a grid of analyses.

Entries as in :mod:`._methods_text`; references are cited by key in ``REFERENCES``.
"""

from __future__ import annotations

from ._methods_text import MethodText

__all__ = ["CHECKS", "REFERENCES"]

REFERENCES: dict[str, str] = {
    "rosenbaum_2002": "Rosenbaum, P. R. (2002). Observational Studies, 2nd edition. Springer.",
    "rambachan_roth_2023": "Rambachan, A. & Roth, J. (2023). A more credible approach to parallel trends. Review of "
                           "Economic Studies 90(5), 2555-2591.",
    "roth_2023": "Roth, J., Sant'Anna, P. H. C., Bilinski, A. & Poe, J. (2023). What's trending in "
                 "difference-in-differences? A synthesis of the recent econometrics literature. Journal of "
                 "Econometrics 235(2), 2218-2244.",
    "imbens_wooldridge_2009": "Imbens, G. W. & Wooldridge, J. M. (2009). Recent developments in the econometrics "
                              "of program evaluation. Journal of Economic Literature 47(1), 5-86.",
    "cinelli_hazlett_2020": "Cinelli, C. & Hazlett, C. (2020). Making sense of sensitivity: extending omitted "
                            "variable bias. Journal of the Royal Statistical Society Series B 82(1), 39-67.",
    "vanderweele_ding_2017": "VanderWeele, T. J. & Ding, P. (2017). Sensitivity analysis in observational research: "
                             "introducing the E-value. Annals of Internal Medicine 167(4), 268-274.",
    "fieller_1954": "Fieller, E. C. (1954). Some problems in interval estimation. Journal of the Royal Statistical "
                    "Society Series B 16(2), 175-185.",
    "holm_1979": "Holm, S. (1979). A simple sequentially rejective multiple test procedure. Scandinavian Journal of "
                 "Statistics 6(2), 65-70.",
    "bh_1995": "Benjamini, Y. & Hochberg, Y. (1995). Controlling the false discovery rate: a practical and powerful "
               "approach to multiple testing. Journal of the Royal Statistical Society Series B 57(1), 289-300.",
}

CHECKS: dict[str, MethodText] = {
    "rosenbaum_bounds": MethodText(
        name={"fr": "Bornes de Rosenbaum (sensibilité à un facteur de confusion caché)",
              "en": "Rosenbaum bounds (sensitivity to hidden confounding)"},
        estimand={"fr": "Pour chaque Γ, la borne de la p-valeur du test apparié quand un facteur caché multiplie "
                        "jusqu'à Γ les chances d'être traité au sein d'une paire ; le Γ critique est le plus petit "
                        "qui rend l'effet non significatif.",
                  "en": "For each Γ, the bound on the matched test's p-value when a hidden factor multiplies the odds "
                        "of treatment within a pair by up to Γ; the critical Γ is the smallest that makes the effect "
                        "non-significant."},
        assumptions={"fr": "Des paires appariées ; Γ = 1 correspond à l'absence de biais caché.",
                     "en": "Matched pairs; Γ = 1 is no hidden bias."},
        inference={"fr": "Test des rangs signés de Wilcoxon (résultat continu) ou de McNemar (résultat binaire), "
                         "unilatéral ; bornes exactes ou par approximation normale.",
                   "en": "Wilcoxon signed-rank test (continuous outcome) or McNemar test (binary outcome), one-sided; "
                         "exact or normal-approximation bounds."},
        references=("rosenbaum_2002",),
        options=("test", "method", "gammas"),
    ),
    "honest_did": MethodText(
        name={"fr": "HonestDiD (sensibilité aux écarts aux tendances parallèles)",
              "en": "HonestDiD (sensitivity to violations of parallel trends)"},
        estimand={"fr": "Ensembles de confiance robustes d'un effet par temps relatif quand les tendances "
                        "parallèles ne tiennent qu'approximativement ; la valeur de rupture est le plus grand écart "
                        "toléré pour lequel l'effet reste non nul.",
                  "en": "Robust confidence sets for an event-time effect when parallel trends hold only "
                        "approximately; the breakdown value is the largest tolerated violation at which the effect "
                        "stays non-zero."},
        assumptions={"fr": "Amplitudes relatives : l'écart après l'entrée ne dépasse pas M̄ fois le plus fort écart "
                           "observé avant ; régularité : la pente de l'écart varie d'au plus M d'une période à "
                           "l'autre.",
                     "en": "Relative magnitudes: the post-entry violation is at most M̄ times the largest pre-entry "
                           "one; smoothness: the slope of the violation changes by at most M between periods."},
        inference={"fr": "Tests conditionnels hybrides les moins favorables (amplitudes relatives) ou intervalles "
                         "de longueur fixe optimaux (régularité), à partir des estimations et de leur covariance.",
                   "en": "Conditional least-favourable hybrid tests (relative magnitudes) or optimal fixed-length "
                         "confidence intervals (smoothness), from the estimates and their covariance."},
        references=("rambachan_roth_2023",),
        options=("restriction", "mbar", "m", "e", "window", "method"),
    ),
    "placebo_entry": MethodText(
        name={"fr": "Dates d'entrée fictives (placebo)", "en": "Placebo entry dates"},
        estimand={"fr": "Les effets estimés quand chaque cohorte est réputée entrer quelques périodes plus tôt, "
                        "les observations postérieures à l'entrée réelle écartées : ils devraient être nuls.",
                  "en": "The effects estimated when each cohort is taken to enter a few periods earlier, with the "
                        "observations from the true entry on dropped: they should be zero."},
        assumptions={"fr": "Sous tendances parallèles et sans anticipation, les effets placebo sont nuls ; des "
                           "effets loin de 0 signalent des tendances divergentes ou une anticipation.",
                     "en": "Under parallel trends and no anticipation the placebo effects are zero; effects far from "
                           "0 point to diverging trends or anticipation."},
        inference={"fr": "Celle de l'estimateur ré-estimé.", "en": "That of the re-estimated estimator."},
        references=("roth_2023",),
        options=("shift",),
    ),
    "placebo_group": MethodText(
        name={"fr": "Groupe placebo (faux traités)", "en": "Placebo group (fake treated)"},
        estimand={"fr": "L'effet estimé quand des unités non traitées (celles d'un filtre, ou des unités jamais "
                        "traitées munies d'une date d'entrée fictive) tiennent le rôle des traités face aux autres "
                        "non-traités, les vrais traités écartés : il devrait être nul.",
                  "en": "The effect estimated when untreated units (those of a filter, or never-treated units given "
                        "a fake entry date) play the treated against the other untreated units, the real treated "
                        "dropped: it should be zero."},
        assumptions={"fr": "Si le dispositif élimine les différences entre non-traités (mêmes résultats à "
                           "covariables données, ou mêmes tendances), l'effet placebo est nul ; un effet loin de 0 "
                           "signale une sélection ou des tendances que le dispositif ne corrige pas.",
                     "en": "If the design removes the differences between untreated units (same outcomes given the "
                           "covariates, or same trends), the placebo effect is zero; an effect far from 0 points to "
                           "a selection or trends the design does not remove."},
        inference={"fr": "Celle de l'estimateur ré-estimé.", "en": "That of the re-estimated estimator."},
        references=("imbens_wooldridge_2009",),
        options=("filter", "share", "entry", "n_placebo", "n_comparison"),
    ),
    "ovb_sensitivity": MethodText(
        name={"fr": "Sensibilité au biais de variable omise (Cinelli et Hazlett)",
              "en": "Omitted-variable-bias sensitivity (Cinelli & Hazlett)"},
        estimand={"fr": "Part de la variance résiduelle du traitement et du résultat qu'un facteur omis devrait "
                        "expliquer pour annuler l'estimation (valeur de robustesse), pour la régression additive "
                        "avec les mêmes covariables.",
                  "en": "The share of the residual variance of treatment and outcome an omitted confounder would "
                        "have to explain to bring the estimate to zero (robustness value), for the additive "
                        "regression on the same covariates."},
        assumptions={"fr": "Exacte pour le coefficient de la régression additive ; pour IPW ou l'estimateur "
                           "doublement robuste, une analyse d'accompagnement.",
                     "en": "Exact for the additive regression coefficient; for IPW or doubly robust estimates, a "
                           "companion analysis."},
        inference={"fr": "Estimation, écart-type et intervalle ajustés pour un facteur omis de force donnée "
                         "(bornes par rapport aux covariables observées).",
                   "en": "Adjusted estimate, standard error and interval for an omitted confounder of a given "
                         "strength (bounds relative to observed covariates)."},
        references=("cinelli_hazlett_2020",),
        options=("benchmark", "q", "alpha"),
    ),
    "evalue": MethodText(
        name={"fr": "E-valeur (VanderWeele et Ding)", "en": "E-value (VanderWeele & Ding)"},
        estimand={"fr": "La force minimale d'association, sur l'échelle du rapport de risques, qu'un facteur de "
                        "confusion non mesuré devrait avoir avec le traitement et le résultat pour expliquer tout "
                        "l'effet observé (et pour la borne de l'intervalle la plus proche de 1).",
                  "en": "The minimum strength of association, on the risk-ratio scale, that an unmeasured "
                        "confounder would need with both treatment and outcome to explain away the observed effect "
                        "(and the interval limit closest to 1)."},
        assumptions={"fr": "Résultat binaire (ou rapport de risques approché) ; aucune hypothèse sur la forme du "
                           "facteur de confusion.",
                     "en": "A binary outcome (or an approximate risk ratio); no assumption on the confounder's "
                           "form."},
        inference={"fr": "Intervalle du rapport de risques par la méthode delta sur son logarithme.",
                   "en": "Risk-ratio interval by the delta method on its logarithm."},
        references=("vanderweele_ding_2017",),
        options=("scale", "rare"),
    ),
    "cost_per_outcome": MethodText(
        name={"fr": "Coût par résultat supplémentaire", "en": "Cost per additional outcome"},
        estimand={"fr": "Le coût du programme divisé par le nombre de résultats supplémentaires qu'il produit "
                        "(effet × participants) ; le coût est tenu pour connu.",
                  "en": "The programme's cost divided by the number of additional outcomes it produces (effect x "
                        "participants); the cost is taken as known."},
        assumptions={"fr": "Celles de l'estimation de l'effet.", "en": "Those of the effect's estimate."},
        inference={"fr": "Ensemble de confiance par la méthode delta quand l'effet est loin de 0, sinon ensemble "
                         "de Fieller (éventuellement non borné).",
                   "en": "Delta-method confidence set when the effect is far from 0, otherwise Fieller's set "
                         "(possibly unbounded)."},
        references=("fieller_1954",),
    ),
    "multiple_testing": MethodText(
        name={"fr": "Tests multiples sur une grille d'analyses", "en": "Multiple testing across a grid of analyses"},
        estimand={"fr": "Les p-valeurs ajustées d'une famille d'effets (plusieurs résultats, sous-groupes) et le "
                        "test d'égalité des effets entre niveaux d'un sous-groupe.",
                  "en": "Adjusted p-values of a family of effects (several outcomes, subgroups) and the test of equal "
                        "effects across the levels of a subgroup."},
        assumptions={"fr": "Holm contrôle le risque de première espèce de la famille ; Benjamini-Hochberg le taux "
                           "de fausses découvertes (tests indépendants ou positivement dépendants).",
                     "en": "Holm controls the family-wise error rate; Benjamini-Hochberg the false discovery rate "
                           "(independent or positively dependent tests)."},
        inference={"fr": "Test de Wald d'égalité sur des sous-échantillons disjoints (indépendants).",
                   "en": "Wald test of equality on disjoint (independent) subsamples."},
        references=("holm_1979", "bh_1995"),
    ),
}
