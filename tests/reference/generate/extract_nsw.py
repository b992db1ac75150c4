"""Extract the Dehejia-Wahba NSW experimental sample (185 treated, 260 controls) used by the
reference tests, from the `causaldata` package (PyPI, version 0.1.5, dataset nsw_mixtape).

Run: python tests/reference/generate/extract_nsw.py  (needs `pip install causaldata`)
"""

from pathlib import Path

from causaldata import nsw_mixtape

out = Path(__file__).resolve().parents[1] / "data" / "nsw_dw.csv"
d = nsw_mixtape.load_pandas().data
d = d[["treat", "age", "educ", "black", "hisp", "marr", "nodegree", "re74", "re75", "re78"]].astype("float64")
d.insert(0, "id", range(1, len(d) + 1))
d.to_csv(out, index=False, float_format="%.17g")
