"""The French of estimators' notes (report._i18n_notes): numbers in the French format, unknown notes
and unknown fragments left in English (marked) rather than half translated, English untouched."""

from __future__ import annotations

from iej_impact.report._html_sections import _notes_html
from iej_impact.report._i18n import NNBSP
from iej_impact.report._i18n_notes import translate_note

_IPW = ("Inverse-probability weighting with normalized (Hajek) weights, as Stata's teffects ipw; weights 1 for "
        "treated and e(X)/(1-e(X)) for control units; propensity score: {model}. Assumes a correctly specified "
        "propensity-score model. References: Hirano, Imbens & Ridder (2003), Econometrica 71(4); Lunceford & "
        "Davidian (2004), Stat. Med. 23(19); Wooldridge (2010), section 21.3.")


def test_numbers_are_written_the_french_way():
    note = ("Caliper 0.25 SD = 0.0278144 in distance units (sample SD over all 12000 units not discarded, both arms "
            "pooled, as MatchIt).")
    fr = translate_note(note, "fr")
    assert fr is not None
    assert "Caliper de 0,25 écart-type = 0,0278144" in fr
    assert f"les 12{NNBSP}000 unités" in fr
    wald = "joint Wald test that every lead coefficient (event times [-4, -3]) is zero: chi2(2) = 3.723, p = 0.1554."
    assert translate_note(wald, "fr") == ("Test de Wald joint de nullité des coefficients avant l'entrée (temps "
                                          "relatifs \u22124, \u22123) : chi2(2) = 3,723, p = 0,1554.")


def test_english_is_returned_as_written():
    note = _IPW.format(model="logit")
    assert translate_note(note, "en") == note
    assert translate_note("Something no estimator writes.", "en") == "Something no estimator writes."


def test_an_unknown_note_or_fragment_stays_english_and_marked():
    assert translate_note("Something no estimator writes.", "fr") is None
    assert translate_note(_IPW.format(model="logit"), "fr").startswith("Pondération par l'inverse")
    # a propensity model the French table does not know: the whole note stays English, not half translated
    assert translate_note(_IPW.format(model="MyForest"), "fr") is None
    shown = _notes_html([_IPW.format(model="logit"), _IPW.format(model="MyForest")], "fr")
    assert "<ul class='notes' lang='en'>" in shown
    assert shown.count("<li>") == 2 and "MyForest" in shown.split("lang='en'")[1]


def test_a_wald_test_with_an_unknown_null_stays_english():
    assert translate_note("joint Wald test that the moon is cheese: chi2(1) = 1.000, p = 0.3173", "fr") is None


def test_the_notes_of_the_other_estimators_have_a_french_version():
    """Estimators and options the demo does not use: every note of their summaries is known in French."""
    import inspect
    import warnings

    import iej_impact as ij

    cohort = ij.simulate_cohort(150, seed=3, panel="balanced", months_before=3, months_after=3)
    p, panel = cohort.persons, cohort.panel
    covs = ["female", "age", "isced_0_2", "unemployed_entry"]
    common = {"outcome": "employed_12m", "treatment": "treated", "covariates": covs}
    staggered = {"outcome": "employed", "unit": "person_id", "time": "period", "cohort": "first_treat_period"}
    two = panel[panel["period"].isin([panel["period"].min(), panel["period"].max()])].copy()
    two["post"] = (two["period"] == two["period"].max()).astype(int)
    two["ever"] = two.groupby("person_id")["treated_post"].transform("max")
    two_by_two = {"outcome": "employed", "treatment": "ever", "post": "post"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ipw_ate = ij.ipw(p, **common, estimand="ATE", trim=0.05, stabilized=True)
        results = [
            ij.entropy_balancing(p, **common, moments=2, estimand="ATE"),
            ij.doubly_robust(p, **common, method="ipwra"), ipw_ate,
            ij.regression_adjustment(p, **common, outcome_model="logit"),
            ij.psm(p, **common, method="subclass"), ij.psm(p, **common, se="pair_cluster"),
            ij.ovb_sensitivity(p, **common, benchmark=["female"]), ij.evalue(ipw_ate),
            ij.imputation_did(panel, **staggered), ij.sun_abraham(panel, **staggered, window=(-2, 2)),
            ij.att_gt(panel, **staggered, control_group="never_treated", base_period="varying"),
            ij.did(two, **two_by_two, unit="person_id", covariates=["female"]),
            ij.did(two, **two_by_two, method="ipw", covariates=["female"]),
            ij.matched_did(two, **two_by_two, unit="person_id", covariates=["female", "age"]),
            ij.wald_did(two.assign(g=two["ever"]), outcome="employed", group="g", post="post",
                        treatment_take_up="treated_post", unit="person_id"),
        ]
    unknown = []
    for res in results:
        summary = res.summary(language="en") if "language" in inspect.signature(res.summary).parameters \
            else res.summary()
        assert summary.notes
        unknown += [n for n in summary.notes if translate_note(n, "fr") is None]
    assert not unknown, unknown
