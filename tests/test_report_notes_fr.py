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
