"""Reference numbers for tests/reference/test_event_study_pyfixest.py: pyfixest on mpdta.

pyfixest is not a dependency of iej_impact; run this in a separate environment with pyfixest installed
(the numbers committed were produced with pyfixest 0.60.0), from the repository root:

    python -m venv /tmp/venv-pf && /tmp/venv-pf/bin/pip install pyfixest
    /tmp/venv-pf/bin/python tests/reference/generate/event_study_pyfixest.py

It writes tests/reference/data/event_study_pyfixest.json with

- ``did2s``: Gardner's two-stage estimator (first stage: unit and year effects on the untreated
  observations; second stage: the adjusted outcome on the treatment indicators), overall ATT and one
  indicator per horizon h >= 0 (pyfixest's feols is told to keep singleton fixed effects, see below). Its point estimates are those of the imputation estimator of Borusyak,
  Jaravel & Spiess (equal weights within each horizon); its standard errors are Gardner's GMM ones
  (CRV1 by county), not BJS's conservative variance.
- ``saturated``: pyfixest's saturated event study (``i(rel_time, first_treated_period, ref=-1)``
  with unit and year effects, CRV1 by county): the cohort x event-time coefficients of Sun & Abraham's
  regression, and their ``aggregate()`` by event time with cohort-share weights taken as known.
"""

from __future__ import annotations

import functools
import importlib
import json
import warnings
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd
import pyfixest as pf

# pyfixest's feols drops singleton fixed effects by default; the first stage of did2s then loses the 2004 cohort's
# one untreated year (2003) and did2s fails on mismatched shapes. Keep them, as fixest (R) does by default: a unit with
# one untreated observation still identifies its effect, which the imputation needs.
did2s_module = importlib.import_module("pyfixest.did.did2s")
did2s_module.feols = functools.partial(did2s_module.feols, fixef_rm="none")

ROOT = Path(__file__).resolve().parents[1] / "data"
m = pd.read_csv(ROOT / "mpdta.csv")
g = m["first.treat"]
m["treat"] = ((g > 0) & (m["year"] >= g)).astype(int)
m["horizon"] = np.where(m["treat"] == 1, m["year"] - g, -1000).astype(int)

out: dict = {"source": {"command": "python tests/reference/generate/event_study_pyfixest.py",
                        "pyfixest": metadata.version("pyfixest"), "data": "mpdta (R did), lemp, countyreal, year, "
                                                                           "first.treat (0: never treated)"}}
static = pf.did2s(m, yname="lemp", first_stage="~ 0 | countyreal + year", second_stage="~ treat", treatment="treat",
                  cluster="countyreal")
dyn = pf.did2s(m, yname="lemp", first_stage="~ 0 | countyreal + year", second_stage="~ i(horizon, ref=-1000)",
               treatment="treat", cluster="countyreal")
out["did2s"] = {"overall": {"estimate": float(static.coef()["treat"]), "std_error": float(static.se()["treat"])},
                "horizons": {str(int(k.split("::")[1].rstrip("]").split(".")[0])): {"estimate": float(v),
                                                                                   "std_error": float(dyn.se()[k])}
                             for k, v in dyn.coef().items()}}
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    sat = pf.event_study(m, yname="lemp", idname="countyreal", tname="year", gname="first.treat",
                         estimator="saturated")
coefs = {k: {"estimate": float(v), "std_error": float(sat.se()[k])} for k, v in sat.coef().items()}
agg = sat.aggregate()
out["saturated"] = {"coefficients": coefs,
                    "aggregate": {str(int(float(k))): {"estimate": float(r["Estimate"]), "std_error": float(r["Std. Error"])}
                                  for k, r in agg.iterrows()}}
(ROOT / "event_study_pyfixest.json").write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
print(json.dumps(out, indent=2))
