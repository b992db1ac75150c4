"""entropy_balancing() on LaLonde's NSW-treated / CPS-1 sample against independent implementations.

Data: tests/reference/data/matchit_lalonde_cps.csv (185 NSW treated, 15,992 CPS-1 controls). Expected
numbers: tests/reference/data/ebal_lalonde.json, written by tests/reference/generate/ebal_lalonde.py
from two independent Python implementations of entropy balancing (``empirical_calibration`` 0.12, Google,
and ``ebal`` 1.0.0, a port of Hainmueller's R ``ebal``), which the tests do not need. Compared: the ATT
on re78, the controls' Kish ESS and the normalised control weights (summing to 1) of 20 controls (the
ten largest weights and ten fixed ids), for means (moments=1), means and squares (moments=2), and means
with sampling weights (empirical_calibration only). Observed agreement: ATT and ESS within 4e-9
relative, single weights within 8e-9 relative (the references stop at balance tolerances of 1e-7 to
1e-10); tested at 1e-8 (ATT, ESS) and 1e-7 (weights).

Also the printed output of the R package ``entbal`` (README, moments 3 on the same data): ATT 1392.1 and
ESS 116.45 as printed; entbal stops at a looser balance (its printed weighted RE75 mean is 1532.14 against
the treated 1532.06), so these agree to its solver's slack (0.1 dollar, 0.02 in ESS), not to the digits.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from iej_impact import entropy_balancing

pytestmark = pytest.mark.reference

DATA = Path(__file__).parent / "data"
REF = json.loads((DATA / "ebal_lalonde.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def lalonde() -> pd.DataFrame:
    d = pd.read_csv(DATA / "matchit_lalonde_cps.csv")
    ids = d["id"].to_numpy()
    d["sw"] = 0.5 + ((7919 * ids) % 100) / 100.0
    return d


def _fit(d: pd.DataFrame, moments: int, weights: str | None = None):
    return entropy_balancing(d, outcome="re78", treatment="treat", covariates=REF["covariates"], moments=moments,
                             weights=weights)


CASES = [(name, impl) for name, case in REF["cases"].items() for impl in case if impl != "moments"]


@pytest.mark.parametrize(("case", "impl"), CASES)
def test_att_ess_and_weights_match_the_references(lalonde, case, impl):
    spec = REF["cases"][case]
    weights = "sw" if "sampling_weights" in case else None
    res = _fit(lalonde, spec["moments"], weights)
    ref = spec[impl]
    assert res.estimate == pytest.approx(ref["att"], rel=1e-8)
    ctrl = lalonde["treat"].to_numpy() == 0
    final = res.diagnostics["weights"] * (lalonde["sw"].to_numpy() if weights else 1.0)
    w = final[ctrl] / final[ctrl].sum()
    assert 1.0 / np.sum(w**2) == pytest.approx(ref["control_ess"], rel=1e-8)
    ids = lalonde.loc[ctrl, "id"].to_numpy()
    pos = {int(i): k for k, i in enumerate(ids)}
    for unit, expected in ref["weights"].items():
        assert w[pos[int(unit)]] == pytest.approx(expected, rel=1e-7, abs=1e-14), unit
    assert res.diagnostics["entropy_balancing"]["max_abs_std_imbalance"] < 1e-8


def test_three_moments_agree_with_the_printed_entbal_output(lalonde):
    """entbal README: n_moments = 3 on dw99cps1, ATT 1392.1 (svyglm), ESS of the controls 116.45."""
    res = _fit(lalonde, 3)
    printed = REF["entbal_readme"]
    assert res.estimate == pytest.approx(printed["att"], abs=0.1)
    assert res.sample_sizes.loc["used", "control_ess"] == pytest.approx(printed["control_ess"], abs=0.02)
    # 4 binary covariates, and x, x^2, x^3 of the 4 continuous ones
    assert len(res.diagnostics["entropy_balancing"]["constraints"]) == 16
