"""The methods appendix's text (report._methods_text*): an entry for every estimator a configuration can name
and every sensitivity analysis it can ask for, each complete in French and English, with resolvable references."""

from __future__ import annotations

import re

import pytest

from iej_impact.config import ESTIMATORS, SENSITIVITY_METHODS
from iej_impact.report._methods_appendix import METHODS, REFERENCES, appendix_section, method_keys

#: sensitivity methods of the configuration -> their appendix entry
_SENSITIVITY_ENTRY = {"rosenbaum": "rosenbaum_bounds", "ovb": "ovb_sensitivity", "evalue": "evalue",
                      "honest_did": "honest_did", "placebo_entry": "placebo_entry",
                      "placebo_group": "placebo_group"}


def test_every_estimator_and_sensitivity_method_of_the_config_has_an_entry():
    assert set(ESTIMATORS) <= set(METHODS), sorted(set(ESTIMATORS) - set(METHODS))
    methods = {m for ms in SENSITIVITY_METHODS.values() for m in ms}
    assert methods <= set(_SENSITIVITY_ENTRY), "a new sensitivity method: map it to its appendix entry here"
    assert {_SENSITIVITY_ENTRY[m] for m in methods} <= set(METHODS)


@pytest.mark.parametrize("key", sorted(METHODS))
def test_each_entry_is_complete_in_both_languages(key):
    entry = METHODS[key]
    for field in ("name", "estimand", "assumptions", "inference"):
        text = getattr(entry, field)
        assert set(text) == {"fr", "en"}, (key, field)
        assert text["fr"].strip() and text["en"].strip(), (key, field)
        assert text["fr"] != text["en"] or field == "name", (key, field)
    assert entry.references, key
    for ref in entry.references:
        # author(s), year in parentheses, title, and where it was published
        assert re.match(r"^\w[^()]+ \(\d{4}\)\. .+[.?] .+", REFERENCES[ref]), REFERENCES[ref]


def test_every_reference_is_cited():
    cited = {r for entry in METHODS.values() for r in entry.references}
    assert cited == set(REFERENCES)


class _Effect:
    """A stand-in result: what the appendix reads is the class name, ``method`` and ``spec``."""

    def __init__(self, method: str, spec: dict) -> None:
        self.method, self.spec = method, spec


def test_results_are_mapped_to_their_estimator_and_options_are_shown_as_written():
    aipw = _Effect("aipw", {"estimand": "ATT", "method": "aipw", "trim": None, "se": {"type": "clustered", "by": "c"}})
    placebo = _Effect("att_gt", {"control_group": "never_treated", "placebo_entry": {"shift": 2, "dropped": 10}})
    assert method_keys(aipw) == ["doubly_robust"]
    assert method_keys(placebo) == ["att_gt", "placebo_entry"]
    assert method_keys(_Effect("something_else", {})) == []
    html = appendix_section({"dr": aipw, "pl": placebo}, None, "en")
    assert re.findall(r"id='method-(\w+)'", html) == ["doubly_robust", "att_gt", "placebo_entry"]
    assert "dr: <code>estimand = ATT; method = aipw; se = {type: clustered, by: c}</code>" in html
    assert "pl: <code>shift = 2</code>" in html
    assert "trim" not in html
    fr = appendix_section({"dr": aipw}, {"config": {"analyses": [{"name": "g", "outcome": ["a", "b"]}]}}, "fr")
    assert "id='method-multiple_testing'" in fr and "Annexe méthodologique" in fr
    assert "dr : <code>" in fr
