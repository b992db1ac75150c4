"""Cattaneo's birth-weight data and Stata 14 ``teffects`` results, as shipped with statsmodels.

Run from the repository root with the project's virtualenv (statsmodels is a dependency):

    .venv/bin/python tests/reference/generate/extract_cattaneo2.py

writes

* ``tests/reference/data/cattaneo2.csv``: the columns of the models below from statsmodels'
  ``statsmodels/treatment/tests/results/cataneo2.csv`` (Stata's ``webuse cattaneo2``, 4,642 births;
  Cattaneo 2010, J. Econometrics 155(2)); the 0/1 versions ``mbsmoke_`` etc. are renamed to Stata's names;
* ``tests/reference/data/teffects_cattaneo2.json``: the effect, potential-outcome mean and model
  coefficients with their standard errors from statsmodels' ``results_teffects.py`` (tables exported
  from Stata 14 by its authors), each with the Stata command that produced it.

The commands are reconstructed from the tables' row names (outcome model ``prenatal1 mmarried mage
fbaby``, treatment model ``mmarried c.mage##c.mage fbaby medu``) and statsmodels'
``test_teffects.py`` (probit treatment model); they are the examples of Stata's Treatment-Effects
Reference Manual. ``c.mage#c.mage`` is the column ``mage2``. Stata's ``aipw ..., wnls`` variant is
not reproduced by iej_impact and is left out.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import statsmodels
from statsmodels.treatment.tests.results import results_teffects as stata

ROOT = Path(__file__).resolve().parents[1] / "data"
SOURCE = Path(statsmodels.__file__).parent / "treatment" / "tests" / "results" / "cataneo2.csv"
OUTCOME_MODEL = "bweight prenatal1 mmarried mage fbaby"
PS_MODEL = "mbsmoke mmarried c.mage##c.mage fbaby medu, probit"
SPECS = {
    "ra_ate": (stata.results_ra, "table", f"teffects ra ({OUTCOME_MODEL}) (mbsmoke)"),
    "ra_atet": (stata.results_ra, "table_t", f"teffects ra ({OUTCOME_MODEL}) (mbsmoke), atet"),
    "ipw_ate": (stata.results_ipw, "table", f"teffects ipw (bweight) ({PS_MODEL})"),
    "ipw_atet": (stata.results_ipw, "table_t", f"teffects ipw (bweight) ({PS_MODEL}), atet"),
    "aipw_ate": (stata.results_aipw, "table", f"teffects aipw ({OUTCOME_MODEL}) ({PS_MODEL})"),
    "ipwra_ate": (stata.results_ipwra, "table", f"teffects ipwra ({OUTCOME_MODEL}) ({PS_MODEL})"),
    "ipwra_atet": (stata.results_ipwra, "table_t", f"teffects ipwra ({OUTCOME_MODEL}) ({PS_MODEL}), atet"),
}


def _rows(bunch: object, table: str) -> list[dict[str, object]]:
    values = getattr(bunch, table)
    names = getattr(bunch, table + "_rownames")
    return [{"row": name, "b": float(values[i, 0]), "se": float(values[i, 1])} for i, name in enumerate(names)]


def main() -> None:
    raw = pd.read_csv(SOURCE)
    data = pd.DataFrame({
        "bweight": raw["bweight"],
        "mbsmoke": raw["mbsmoke_"],
        "prenatal1": raw["prenatal1_"],
        "mmarried": raw["mmarried_"],
        "mage": raw["mage"],
        "mage2": raw["mage2"].astype(int),
        "fbaby": raw["fbaby_"],
        "medu": raw["medu"],
    })
    data.to_csv(ROOT / "cattaneo2.csv", index=False)
    out = {
        "source": "statsmodels " + statsmodels.__version__ + ", statsmodels/treatment/tests/results/results_teffects.py "
                  "(Stata 14 teffects output)",
        "columns": "rows in Stata order: effect (r1vs0.mbsmoke), POmean of the control arm (0.mbsmoke), then the "
                   "outcome-model coefficients of arm 0 and arm 1 (each ending with _cons), then the treatment-model "
                   "coefficients (ending with _cons)",
        "specs": {name: {"command": cmd, "rows": _rows(bunch, table)} for name, (bunch, table, cmd) in SPECS.items()},
    }
    (ROOT / "teffects_cattaneo2.json").write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {ROOT / 'cattaneo2.csv'} ({len(data)} rows) and {ROOT / 'teffects_cattaneo2.json'}")


if __name__ == "__main__":
    main()
