"""Extract the LaLonde NSW-treated / CPS-comparison sample used by the MatchIt reference tests.

NSW treated units of the Dehejia-Wahba sample (185, dataset ``nsw_mixtape``) stacked with the
15,992 CPS-1 comparison units (dataset ``cps_mixtape``), both from the `causaldata` package
(PyPI, version 0.1.5). Adds the Dehejia-Wahba derived covariates (age^2, educ^2, zero-earnings
indicators u74/u75) so R and Python read identical columns.

Run from the repository root:  python tests/reference/generate/matchit_extract_lalonde.py
(needs `pip install causaldata`); then  Rscript tests/reference/generate/matchit_lalonde.R
"""

from pathlib import Path

import pandas as pd
from causaldata import cps_mixtape, nsw_mixtape

out = Path(__file__).resolve().parents[1] / "data" / "matchit_lalonde_cps.csv"
cols = ["treat", "age", "educ", "black", "hisp", "marr", "nodegree", "re74", "re75", "re78"]
nsw = nsw_mixtape.load_pandas().data
cps = cps_mixtape.load_pandas().data
d = pd.concat([nsw.loc[nsw["treat"] == 1, cols], cps[cols]], ignore_index=True).astype("float64")
d["age2"] = d["age"] ** 2
d["educ2"] = d["educ"] ** 2
d["u74"] = (d["re74"] == 0).astype("float64")
d["u75"] = (d["re75"] == 0).astype("float64")
d.insert(0, "id", range(1, len(d) + 1))
d.to_csv(out, index=False, float_format="%.10g")
print(f"wrote {out} ({len(d)} rows, {int(d['treat'].sum())} treated)")
