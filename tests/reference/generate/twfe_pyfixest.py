"""Reference numbers for tests/test_twfe.py: pyfixest CRV1 standard errors of TWFE on mpdta.

pyfixest is not a dependency of iej_impact; run this in a separate environment with pyfixest installed
(the numbers committed were produced with pyfixest 0.60.0), from the repository root:

    python -m venv /tmp/peers && /tmp/peers/bin/pip install pyfixest
    /tmp/peers/bin/python tests/reference/generate/twfe_pyfixest.py

It writes tests/reference/data/twfe_pyfixest.json. pyfixest's default small-sample correction for CRV1
(fixest's ssc(adj = TRUE, fixef.K = "nested", cluster.adj = TRUE)) is iej_impact's small_sample="nested".
"""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path

import pandas as pd
import pyfixest as pf

ROOT = Path(__file__).resolve().parents[1] / "data"
m = pd.read_csv(ROOT / "mpdta.csv")
m["treated_post"] = ((m["first.treat"] > 0) & (m["year"] >= m["first.treat"])).astype(int)
m["state"] = m["countyreal"] // 1000
m["lpop_trend"] = m["lpop"] * (m["year"] - 2003)
m["w"] = m["lpop"]

cases = {
    "basic": dict(fml="lemp ~ treated_post | countyreal + year", vcov={"CRV1": "countyreal"}),
    "state_cluster": dict(fml="lemp ~ treated_post | countyreal + year", vcov={"CRV1": "state"}),
    "covariate": dict(fml="lemp ~ treated_post + lpop_trend | countyreal + year", vcov={"CRV1": "countyreal"}),
    "weighted": dict(fml="lemp ~ treated_post | countyreal + year", vcov={"CRV1": "countyreal"}, weights="w"),
}
out = {"source": {"command": "python tests/reference/generate/twfe_pyfixest.py", "pyfixest": metadata.version("pyfixest")},
       "cases": {}}
for name, kw in cases.items():
    fit = pf.feols(data=m, **kw)
    out["cases"][name] = {"coef": {k: float(v) for k, v in fit.coef().items()},
                          "std_error": {k: float(v) for k, v in fit.se().items()}}
(ROOT / "twfe_pyfixest.json").write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
print("written", ROOT / "twfe_pyfixest.json")
