"""French of the notes written by the difference-in-differences estimators and HonestDiD.

``PATTERNS`` are whole notes (staggered ATT(g,t), aggregations, cohort-aligned comparisons, TWFE,
event studies, HonestDiD); ``NULLS`` are the null hypotheses of the pre-trend Wald tests, which
the note 'joint Wald test that <null>: chi2(...)' embeds (the ``{n|wald}`` slot). Template slots
are explained in :mod:`~iej_impact.report._i18n_notes`.
"""

from __future__ import annotations

import re

__all__ = ["NULLS", "PATTERNS", "se_text"]

#: how a 2x2, matched or Wald DiD computed its standard error (the ``{n|se}`` slot)
_SE_TEXTS = (
    (r"influence function, sqrt\(sum psi\^2\) / n \(clustered by unit\)",
     "fonction d'influence, √(Σ psi²) / n (par grappes d'unités)"),
    (r"influence function, sqrt\(sum psi\^2\) / n", "fonction d'influence, √(Σ psi²) / n"),
    (r"clustered by \[(.+)\] \((\d+) clusters, G/\(G-1\)\)", "par grappes ({0} ; {1} grappes, facteur G/(G−1))"),
    (r"multiplier bootstrap, (\d+) Rademacher draws \(seed (\d+)\)",
     "bootstrap multiplicateur, {0} tirages de Rademacher (graine {1})"),
    (r"clustered on (\d+) matched pairs/subclasses \(G/\(G-1\)\)",
     "par grappes sur {0} paires ou sous-classes appariées (facteur G/(G−1))"),
    (r"weighted influence function \(matching weights taken as fixed\)",
     "fonction d'influence pondérée (poids d'appariement tenus pour fixes)"),
    (r"influence function \(delta method\), summed within '(\w+)'",
     "fonction d'influence (méthode delta), sommée par '{0}'"),
    (r"influence function \(delta method\), rows independent",
     "fonction d'influence (méthode delta), lignes indépendantes"),
)


def se_text(text: str) -> str | None:
    """The French of a DiD standard-error description; None when unknown."""
    for pattern, template in _SE_TEXTS:
        m = re.fullmatch(pattern, text)
        if m:
            return template.format(*(g.replace("'", "") for g in m.groups()))
    return None


_SE_FROM_IF = "Écarts-types tirés des fonctions d'influence"

PATTERNS: tuple[tuple[str, str], ...] = (
    # --- aggregations and pre-trend tests
    (r"Overall ATT: post-treatment ATT\(g,t\) weighted by cohort size\.",
     "ATT global : moyenne des ATT(g, t) après l'entrée, pondérée par la taille des cohortes."),
    (r"Overall ATT: average of the event-time ATTs over e >= 0\.",
     "ATT global : moyenne des ATT par temps relatif pour e ≥ 0."),
    (r"joint Wald test that (.+): chi2\((\d+)\) = (\d+(?:\.\d+)?), p = (\d+(?:\.\d+)?)\.?",
     "Test de Wald joint de nullité {1|wald} : chi2({2}) = {3}, p = {4}."),
    (r"pre-trend test not available: no pre-treatment coefficient to test\.",
     "Test de tendances préalables indisponible : aucun coefficient avant l'entrée à tester."),
    (r"Universal base period: every event-time ATT is relative to the last period before the anticipation window "
     r"\(event time (-?\d+)\), where it is 0 by construction\.",
     "Période de base universelle : chaque ATT par temps relatif se lit par rapport à la dernière période avant la "
     "fenêtre d'anticipation (temps relatif {1}), où il vaut 0 par construction."),
    (r"Universal base period: every event-time ATT is relative to the last period before the anticipation window\.",
     "Période de base universelle : chaque ATT par temps relatif se lit par rapport à la dernière période avant la "
     "fenêtre d'anticipation."),
    (r"Varying base period: each lead compares a period with the one before it \(short differences\); the "
     r"post-entry ATTs are relative to the last period before the anticipation window \(event time (-?\d+)\)\.",
     "Période de base glissante : chaque effet avant l'entrée compare une période à la précédente (différences "
     "courtes) ; les ATT après l'entrée se lisent par rapport à la dernière période avant la fenêtre d'anticipation "
     "(temps relatif {1})."),
    (r"Varying base period: each lead compares a period with the one before it \(short differences\); the "
     r"post-entry ATTs are relative to the last period before the anticipation window\.",
     "Période de base glissante : chaque effet avant l'entrée compare une période à la précédente (différences "
     "courtes) ; les ATT après l'entrée se lisent par rapport à la dernière période avant la fenêtre "
     "d'anticipation."),
    # --- staggered ATT(g,t) (Callaway & Sant'Anna) and cohort-aligned comparisons
    (r"Comparison group: (not-yet-treated|never-treated) units; base period: (\w+); anticipation: (\d+); 2x2 "
     r"estimator: (\w+) without covariates; (.+)\.",
     "Groupe de comparaison : {1|phrase} ; période de base : {2|phrase} ; anticipation : {3} ; estimateur 2×2 : "
     "{4|phrase}, sans covariables ; {5|design}."),
    (r"Comparison group: (not-yet-treated|never-treated) units; base period: (\w+); anticipation: (\d+); 2x2 "
     r"estimator: (\w+) with covariates (\[.*?\]); (.+)\.",
     "Groupe de comparaison : {1|phrase} ; période de base : {2|phrase} ; anticipation : {3} ; estimateur 2×2 : "
     "{4|phrase}, avec les covariables {5|list} ; {6|design}."),
    (r"Unbalanced panel: each 2x2 comparison uses every observation in its two periods \(R did's "
     r"allow_unbalanced_panel\); influence functions are summed by unit\.",
     "Panel non équilibré : chaque comparaison 2×2 utilise toutes les observations de ses deux périodes (comme "
     "allow_unbalanced_panel du paquet R did) ; les fonctions d'influence sont sommées par unité."),
    (r"(\d+) ATT\(g,t\) cells without an estimate are left out of the aggregation\.",
     "{1} cellules ATT(g, t) sans estimation sont laissées hors de l'agrégation."),
    (r"Standard errors from the influence functions, clustered by unit \(no small-sample factor, as R did\)\.",
     _SE_FROM_IF + ", par grappes d'unités (sans facteur de petit échantillon, comme le paquet R did)."),
    (r"Standard errors from the influence functions, clustered by unit \(each unit is in one cohort; no small-sample "
     r"factor\)\.",
     _SE_FROM_IF + ", par grappes d'unités (chaque unité appartient à une seule cohorte ; sans facteur de petit "
     "échantillon)."),
    (r"Standard errors from the influence functions, clustered by (\[.*?\]) \(G/\(G-1\)\)\.",
     _SE_FROM_IF + ", par grappes ({1|list}), facteur G/(G−1)."),
    (r"Standard errors from the influence functions, multiplier bootstrap with (\d+) Rademacher draws \(seed (\d+)\), "
     r"uniform sup-t band\.",
     _SE_FROM_IF + ", bootstrap multiplicateur à {1} tirages de Rademacher (graine {2|raw}), bande uniforme sup-t."),
    (r"Cohort-aligned comparison: the participants who entered in period g against the (\d+) comparison units whose "
     r"reference period \('(\w+)'\) is g \((\d+) participants, (\d+) cohorts\); universal base period: the last "
     r"period before g - (\d+) \(event time (-?\d+)\); anticipation: \d+; 2x2 estimator: difference of mean changes "
     r"\(no covariates\); cells at event times (-?\d+) to (-?\d+)\.",
     "Comparaison alignée sur les cohortes : les participants entrés à la période g face aux {1} unités de "
     "comparaison dont la période de référence ('{2|raw}') est g ({3} participants, {4} cohortes) ; période de base "
     "universelle : la dernière période avant g − {5} (temps relatif {6}) ; anticipation : {5} ; estimateur 2×2 : "
     "différence des évolutions moyennes (sans covariables) ; cellules aux temps relatifs {7} à {8}."),
    # --- two-way fixed effects and event studies
    (r"Two-way fixed effects \((\d+) units, (\d+) periods, (\d+) observations, (balanced|unbalanced)\); cluster-robust "
     r"SE by (\[.*?\]) \((\d+) clusters\), small-sample factor '([\w/()-]+)' = ([\d.]+)\.",
     "Effets fixes à deux dimensions ({1} unités, {2} périodes, {3} observations, panel {4|phrase}) ; écart-type "
     "robuste par grappes ({5|list} ; {6} grappes), facteur de petit échantillon « {7|raw} » = {8}."),
    (r"Two-way fixed effects \((\d+) units, (\d+) periods, (\d+) observations, (balanced|unbalanced)\); "
     r"heteroskedasticity-robust HC1 SE \(factor ([\d.]+)\)\.",
     "Effets fixes à deux dimensions ({1} unités, {2} périodes, {3} observations, panel {4|phrase}) ; écart-type "
     "robuste à l'hétéroscédasticité HC1 (facteur {5})."),
    (r"Two-way fixed effects \((\d+) units, (\d+) periods, (\d+) observations, balanced; computed by (duckdb|spark)\); "
     r"cluster-robust SE by (\[.*?\]) \((\d+) clusters\), small-sample factor '([\w/()-]+)' = ([\d.]+)\.",
     "Effets fixes à deux dimensions ({1} unités, {2} périodes, {3} observations, panel équilibré ; calculé par "
     "{4|raw}) ; écart-type robuste par grappes ({5|list} ; {6} grappes), facteur de petit échantillon « {7|raw} » = "
     "{8}."),
    (r"Two-way fixed effects \((\d+) units, (\d+) periods, (\d+) observations, balanced; computed by (duckdb|spark)\); "
     r"heteroskedasticity-robust HC1 SE \(factor ([\d.]+)\)\.",
     "Effets fixes à deux dimensions ({1} unités, {2} périodes, {3} observations, panel équilibré ; calculé par "
     "{4|raw}) ; écart-type robuste à l'hétéroscédasticité HC1 (facteur {5})."),
    (r"The Goodman-Bacon decomposition is not computed on the engine path\.",
     "La décomposition de Goodman-Bacon n'est pas calculée par le moteur SQL (DuckDB, Spark)."),
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
    (r"Dynamic TWFE with unit and period effects; window [\[(](-?\d+), (-?\d+)[\])] with binned end points \(event time "
     r"<= (-?\d+) and >= (-?\d+)\), reference (-?\d+); (\d+) units, (\d+) observations\.",
     "TWFE dynamique avec effets unité et période ; fenêtre [{1} ; {2}], extrémités regroupées (temps relatif "
     "≤ {3} et ≥ {4}), référence {5} ; {6} unités, {7} observations."),
    (r"Dynamic TWFE with unit and period effects; window [\[(](-?\d+), (-?\d+)[\])] with binned end points \(event time "
     r"<= (-?\d+) and >= (-?\d+)\), reference (-?\d+); (\d+) units, (\d+) observations; computed by (duckdb|spark) "
     r"from the demeaned cross-products \(balanced panel\)\.",
     "TWFE dynamique avec effets unité et période ; fenêtre [{1} ; {2}], extrémités regroupées (temps relatif "
     "≤ {3} et ≥ {4}), référence {5} ; {6} unités, {7} observations ; calculé par {8|raw} à partir des produits "
     "croisés des variables centrées (panel équilibré)."),
    (r"Coefficients are contaminated by other periods' effects when effects differ across cohorts \(Sun & Abraham "
     r"2021\); att_gt\(\.\.\.\)\.aggregate\('dynamic'\) is robust to that\.",
     "Les coefficients sont contaminés par les effets d'autres périodes quand les effets diffèrent d'une cohorte à "
     "l'autre (Sun et Abraham 2021) ; l'agrégation par temps relatif des ATT(g, t) de att_gt n'a pas ce défaut."),
    # --- bootstrap bands and pre-trend tests that cannot be computed
    (r"Uniform band critical value ([\d.]+) \(pointwise ([\d.]+)\)\.",
     "Valeur critique de la bande uniforme : {1} (ponctuelle : {2})."),
    (r"Uniform band: sup-t critical value from the same multiplier draws\.",
     "Bande uniforme : valeur critique sup-t tirée des mêmes tirages multiplicateurs."),
    (r"Multiplier bootstrap \((\d+) Rademacher draws, seed (\d+)\), the same draws as the ATT\(g,t\)\.",
     "Bootstrap multiplicateur ({1} tirages de Rademacher, graine {2|raw}), les mêmes tirages que pour les ATT(g, t)."),
    (r"pre-trend test not available: (singular covariance matrix|missing estimates or covariances)\.",
     "Test de tendances préalables indisponible : {1|phrase}."),
    # --- 2x2, matched and Wald DiD
    (r"2x2 DiD on (panel|repeated cross-sections) \((\d+) (units|rows)\), method '(\w+)' without covariates; "
     r"standard error: (.+)\.",
     "Double différence 2×2 sur {1|phrase} ({2} {3|phrase}), méthode {4|phrase}, sans covariables ; écart-type : "
     "{5|se}."),
    (r"2x2 DiD on (panel|repeated cross-sections) \((\d+) (units|rows)\), method '(\w+)' with covariates "
     r"(\[.*?\]); standard error: (.+)\.",
     "Double différence 2×2 sur {1|phrase} ({2} {3|phrase}), méthode {4|phrase}, avec les covariables {5|list} ; "
     "écart-type : {6|se}."),
    (r"Assumes \(conditional\) parallel trends, no anticipation and overlap\.",
     "Suppose des tendances parallèles (conditionnelles), l'absence d'anticipation et le recouvrement."),
    (r"Matched on (\[.*?\]) \(logit score, 1:(\d+), (with|without) replacement, caliper ([\d.]+|None)\); (\d+) "
     r"treated units unmatched and dropped; SE (.+)\.",
     "Appariement sur {1|list} (score logit, 1:{2}, {3|phrase} remise, caliper {4}) ; {5} traités sans "
     "appariement écartés ; écart-type {6|se}."),
    (r"Assumes parallel trends conditional on the matching variables\.",
     "Suppose des tendances parallèles conditionnelles aux variables d'appariement."),
    (r"Wald-DiD: DiD of '(\w+)' \(([-\d.e+]+)\) / DiD of the take-up '(\w+)' \(([-\d.e+]+)\); standard error: "
     r"(.+)\.",
     "DiD de Wald : double différence de '{1|raw}' ({2}) / double différence du recours '{3|raw}' ({4}) ; "
     "écart-type : {5|se}."),
    (r"Identifies the switchers' LATE under parallel trends of Y\(0\) and treatment effects stable over time \(and "
     r"equal across groups if group 0's take-up changes\); otherwise see the Wald-TC of de Chaisemartin & "
     r"D'Haultfoeuille \(2018\), not implemented\.",
     "Identifie l'effet local moyen (LATE) des unités dont le recours change, sous tendances parallèles de Y(0) et "
     "effets stables dans le temps (et égaux entre groupes si le recours du groupe 0 varie) ; sinon, voir le "
     "Wald-TC de de Chaisemartin et D'Haultfœuille (2018), non implémenté."),
    # --- imputation (Borusyak, Jaravel & Spiess) and interaction-weighted (Sun & Abraham) event studies
    (r"Imputation estimator \(Borusyak, Jaravel & Spiess 2024\): unit and period effects fitted on (\d+) untreated "
     r"observations; (\d+) treated observations imputed; overall ATT weights every treated observation at e >= 0 "
     r"equally\.",
     "Estimateur par imputation (Borusyak, Jaravel et Spiess 2024) : effets unité et période estimés sur {1} "
     "observations non traitées ; {2} observations traitées imputées ; l'ATT global pondère également chaque "
     "observation traitée à e ≥ 0."),
    (r"Standard errors: BJS conservative variance \(Theorem 3\), clustered by (.+?), effects averaged by cohort x "
     r"period in the auxiliary model, no small-sample factor\.",
     "Écarts-types : variance conservatrice de BJS (théorème 3), par grappes ({1|raw}), effets moyennés par cohorte "
     "× période dans le modèle auxiliaire, sans facteur de petit échantillon."),
    (r"Lead rows \(post = False\) are the coefficients of the pre-trend regression on untreated observations \(BJS "
     r"Test 1, CR1 standard errors\), not imputed effects\.",
     "Les lignes avant l'entrée (post = False) sont les coefficients de la régression de tendances préalables sur "
     "les observations non traitées (test 1 de BJS, écarts-types CR1), et non des effets imputés."),
    (r"Anticipation: the (\d+) period\(s\) before entry are left out of the Y\(0\) fit\.",
     "Anticipation : les {1} période(s) avant l'entrée sont exclues de l'estimation de Y(0)."),
    (r"Sun & Abraham \(2021\) interaction-weighted estimator: unit and period effects with every cohort x "
     r"relative-period interaction \(reference -1\), averaged with the cohorts' shares of the observations at each "
     r"event time; overall ATT: every post-entry cell weighted by its observations\.",
     "Estimateur pondéré par interactions de Sun et Abraham (2021) : effets unité et période avec toutes les "
     "interactions cohorte × temps relatif (référence −1), moyennées avec les parts des cohortes parmi les "
     "observations de chaque temps relatif ; ATT global : chaque cellule après l'entrée pondérée par ses "
     "observations."),
    (r"Standard errors: clustered by (.+?) \(CR1, fixest's small-sample factor\), delta method with the estimated "
     r"shares' contribution \(std_error_fixed_shares: shares taken as known\)\.",
     "Écarts-types : par grappes ({1|raw}) (CR1, facteur de petit échantillon de fixest), méthode delta avec la "
     "contribution de l'estimation des parts (std_error_fixed_shares : parts tenues pour connues)."),
    # --- HonestDiD (Rambachan & Roth)
    (r"Restriction: (.+?); (C-LF|FLCI|Conditional|C-F|\S+) sets at level ([\d.]+)\.",
     "Restriction : {1|phrase} ; ensembles {2|raw} au niveau {3}."),
    (r"Breakdown value \(largest (Mbar|M) at which the set excludes 0\): (?:Mbar|M) = ([\d.e+-]+)\.",
     "Valeur de rupture (plus grand {1|phrase} pour lequel l'ensemble exclut 0) : {1|phrase} = {2}."),
    (r"Breakdown value \(largest (Mbar|M) at which the set excludes 0\): none: the set contains 0 even at "
     r"(?:Mbar|M) = 0\.",
     "Valeur de rupture (plus grand {1|phrase} pour lequel l'ensemble exclut 0) : aucune, l'ensemble contient 0 même "
     "pour {1|phrase} = 0."),
    (r"(\d+) pre-periods \(event times (-?\d+)\.\.(-?\d+)\) and (\d+) post-periods \((-?\d+)\.\.(-?\d+)\) around the "
     r"reference period (-?\d+)\.",
     "{1} périodes avant (temps relatifs {2} à {3}) et {4} périodes après ({5} à {6}) autour de la période de "
     "référence {7}."),
    (r"Sets: union over the location and sign of the largest pre-period change of ARP conditional least-favourable "
     r"hybrid tests \(kappa = alpha/10, (\d+) draws\)\.",
     "Ensembles : union, sur la position et le signe de la plus forte variation avant l'entrée, de tests ARP "
     "hybrides conditionnels les moins favorables (kappa = alpha/10, {1} tirages)."),
    (r"Sets: union over the location and sign of the largest pre-period change of ARP conditional tests\.",
     "Ensembles : union, sur la position et le signe de la plus forte variation avant l'entrée, de tests ARP "
     "conditionnels."),
    (r"Sets: optimal fixed-length confidence intervals \(affine in the coefficients\)\.",
     "Ensembles : intervalles de confiance optimaux de longueur fixe (affines dans les coefficients)."),
)

#: null hypotheses of the pre-trend Wald tests, in the note 'joint Wald test that <null>: ...'
NULLS: tuple[tuple[str, str], ...] = (
    (r"every pre-treatment (?:event-time ATT|ATT\(g,t\)) before the anticipation window \(event time < (-?\d+)\) "
     r"is zero",
     "de tous les effets avant l'entrée, hors fenêtre d'anticipation (temps relatif < {1})"),
    (r"every pre-treatment (?:event-time ATT|ATT\(g,t\)) is zero( \(anticipation window included\))?",
     "de tous les effets avant l'entrée{1|phrase}"),
    (r"every (?:event-time ATT|ATT\(g,t\)) at event times (\[.*?\]) is zero",
     "des effets aux temps relatifs {1|list}"),
    (r"every lead coefficient \(event times (\[.*?\])\) is zero",
     "des coefficients avant l'entrée (temps relatifs {1|list})"),
    (r"every lead coefficient \(event times (\[.*?\])\) of the regression on untreated observations is zero "
     r"\(BJS Test 1\)",
     "des coefficients avant l'entrée (temps relatifs {1|list}) de la régression sur les observations non traitées "
     "(test 1 de BJS)"),
    (r"every event-time effect before the reference -1 \(event times (\[.*?\])\) is zero",
     "des effets par temps relatif avant la référence −1 (temps relatifs {1|list})"),
)


_DESIGNS = (
    (re.compile(r"balanced panel of (\d+) units x (\d+) periods"), "panel équilibré de {0} unités × {1} périodes"),
    (re.compile(r"balanced panel of (\d+) units x (\d+) periods; computed by (duckdb|spark) from per-cohort moments"),
     "panel équilibré de {0} unités × {1} périodes ; calculé par {2} à partir des moments par cohorte"),
    (re.compile(r"balanced panel of (\d+) units x (\d+) periods; computed by (duckdb|spark) from the unit table and "
                r"the outcomes read in chunks of units"),
     "panel équilibré de {0} unités × {1} périodes ; calculé par {2} à partir de la table des unités et des "
     "résultats lus par paquets d'unités"),
    (re.compile(r"unbalanced panel of (\d+) units \((\d+) observations\), repeated-cross-section 2x2 estimators"),
     "panel non équilibré de {0} unités ({1} observations), estimateurs 2×2 pour coupes répétées"),
    (re.compile(r"repeated cross-sections \((\d+) observations\)"), "coupes transversales répétées ({0} observations)"),
)


def design_text(text: str) -> str | None:
    """The French of a staggered design's description (``balanced panel of 12000 units x 54 periods``...), its
    numbers left for the caller to localise; None when the description is not one of the known designs."""
    for pattern, template in _DESIGNS:
        m = pattern.fullmatch(text.strip())
        if m:
            return template.format(*m.groups())
    return None
