"""Reference numbers for tests/reference/test_honest_did_r.py: the README example of R HonestDiD.

R is not available here, so the expected numbers are read from the README that R HonestDiD knits
(https://github.com/asheshrambachan/HonestDiD, master at commit 6813f02, version 0.2.8): its
printed tables and, at full precision, the objects knitr cached beside it (README_cache/gfm/*.rdb,
R serialisation read with the Python package ``rdata`` 1.1.0 in a throwaway virtual environment).

The example (README section "Example usage - Medicaid expansions"): the ACS state panel
``ehec_data`` (Mixtape-Sessions/Advanced-DID, Exercises/Data/ehec_data.csv), years < 2016, states
first treated in 2015 dropped, D = 1 for the 2014 cohort, and the TWFE event study
``feols(dins ~ i(year, D, ref = 2013) | stfips + year, cluster = "stfips")``: 5 pre-period and 2
post-period coefficients. The README does not cache these inputs; they are computed here with
``iej_impact.event_study`` (cohort 2014, window (-6, 1), reference -1, CR1 clustered by state with
the nested small-sample factor) on the data frame the README caches (``df_nonstaggered``, chunk 8,
the panel as R read it from ehec_data.dta), which reproduces fixest: on the README's own variant
with a simulated control (whose betahat and sigma the README does cache, chunk 8) the coefficients
agree to 1e-15 and the covariances to 2e-18.

Cached objects used (file name -> object, the date of the commit that added the file):
* unnamed-chunk-4 (2024-03-28): ``createSensitivityResults_relativeMagnitudes(Mbarvec = 0.5..2)``,
  the table printed in the README;
* unnamed-chunk-5 (2022-09-14; a stale cache of an earlier README layout): the same call with
  Mbarvec = 0, 0.5, ..., 2;
* unnamed-chunk-6 (2024-03-28): ``createSensitivityResults(Mvec = 0, 0.01, ..., 0.05)`` (FLCI), printed;
* unnamed-chunk-7 (2024-03-28): relative magnitudes for the average effect, ``l_vec = c(0.5, 0.5)``;
* unnamed-chunk-8 (2024-03-28): betahat and sigma of the regression with the simulated control; the
  FLCI table printed under it (README section "Regressions with controls") is copied as printed;
* unnamed-chunk-9 (2023-05-19) and unnamed-chunk-12 (2024-03-28): the Callaway-Sant'Anna example
  (README section "Staggered timing"): ``did::att_gt(control_group = "notyettreated",
  base_period = "universal")`` on the whole panel, ``aggte(type = "dynamic", min_e = -5, max_e = 5)``
  and ``honest_did(es, e = 0, type = "relative_magnitude", Mbarvec = 0.5..2)`` (100 grid points):
  the robust sets and the original CI. The event-time effects and their covariance are computed here
  with ``iej_impact.att_gt`` and ``aggregate("dynamic", min_e=-5, max_e=5)`` on the panel the README
  caches (``df``, chunk 10); the original CI of event time 0 agrees with R's to 1e-16.

Usage (writes tests/reference/data/honest_did_readme.json):

    python tests/reference/generate/honest_did_readme.py HONESTDID_REPO

with HONESTDID_REPO a checkout of the R package; needs ``rdata``.
"""

from __future__ import annotations

import gzip
import json
import sys
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

PRINTED_SD_CONTROL = {"M": [0.0, 0.01, 0.02, 0.03, 0.04, 0.05],
                      "lb": ["0.0264", "0.0128", "0.00186", "-0.00814", "-0.0181", "-0.0281"],
                      "ub": ["0.0607", "0.0788", "0.0908", "0.101", "0.111", "0.121"]}


def _cached(repo: Path, chunk: str) -> dict[str, object]:
    import rdata  # noqa: PLC0415 - only the generator needs it

    rdx = next((repo / "README_cache" / "gfm").glob(f"unnamed-chunk-{chunk}_*.rdx"))
    index = rdata.conversion.convert(rdata.parser.parse_data(gzip.decompress(rdx.read_bytes())))
    blob = rdx.with_suffix(".rdb").read_bytes()
    out = {}
    for name, (offset, length) in index["variables"].items():
        raw = zlib.decompress(blob[int(offset) + 4:int(offset) + int(length)])
        try:
            out[name] = rdata.conversion.convert(rdata.parser.parse_data(raw))
        except Exception:  # objects rdata cannot convert (fixest fits) are not needed
            continue
    return out


def _raw_lists(repo: Path, chunk: str, name: str) -> list[list[float]]:
    """The numeric vectors of a cached list that rdata cannot convert (tibbles nested in a list)."""
    import rdata  # noqa: PLC0415

    rdx = next((repo / "README_cache" / "gfm").glob(f"unnamed-chunk-{chunk}_*.rdx"))
    index = rdata.conversion.convert(rdata.parser.parse_data(gzip.decompress(rdx.read_bytes())))
    offset, length = index["variables"][name]
    blob = rdx.with_suffix(".rdb").read_bytes()[int(offset) + 4:int(offset) + int(length)]
    out = []

    def walk(obj: object) -> None:
        value = getattr(obj, "value", None)
        if isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, np.ndarray) and value.dtype.kind == "f":
            out.append(value.ravel().tolist())

    walk(rdata.parser.parse_data(zlib.decompress(blob)).object)
    return out


def _callaway_santanna(repo: Path) -> dict[str, object]:
    from iej_impact import att_gt

    df = pd.DataFrame({k: np.asarray(v, dtype=float) for k, v in _cached(repo, "10")["df"].items()
                       if k in ("stfips", "year", "dins", "yexp2")})
    res = att_gt(df, outcome="dins", unit="stfips", time="year", cohort="yexp2", control_group="not_yet_treated",
                 base_period="universal")
    dyn = res.aggregate("dynamic", min_e=-5, max_e=5)
    keep = [j for j, e in enumerate(dyn.by["event_time"]) if e != -1]
    out = {"event_times": [int(dyn.by["event_time"][j]) for j in keep],
           "betahat": dyn.by["estimate"].to_numpy()[keep].tolist(),
           "sigma": dyn.by_vcov[np.ix_(keep, keep)].tolist(), "num_pre": 4}
    for chunk, key in (("9", "rm_2023"), ("12", "rm_2024")):
        lb, ub, mbar, orig_lb, orig_ub = _raw_lists(repo, chunk, "sensitivity_results")
        out[key] = {"Mbar": mbar, "lb": lb, "ub": ub, "original": [orig_lb[0], orig_ub[0]]}
    return out


def _table(frame: pd.DataFrame) -> dict[str, list[float]]:
    key = "Mbar" if "Mbar" in frame else "M"
    return {key: frame[key].tolist(), "lb": frame["lb"].tolist(), "ub": frame["ub"].tolist()}


def main(repo: Path) -> None:
    from iej_impact import event_study

    chunk8 = _cached(repo, "8")
    df = pd.DataFrame({k: np.asarray(v, dtype=float) for k, v in chunk8["df_nonstaggered"].items()})
    df["g"] = np.where(df["D"] == 1, 2014.0, np.nan)
    fit = event_study(df, outcome="dins", unit="stfips", time="year", cohort="g", window=(-6, 1), reference=-1)
    names = list(fit.vcov.columns)
    est = fit.table.set_index("event_time").loc[[int(c.split("=")[1]) for c in names], "estimate"]
    out = {
        "source": "R HonestDiD README (github.com/asheshrambachan/HonestDiD, commit 6813f02, v0.2.8): printed "
                  "tables and knitr cache; see tests/reference/generate/honest_did_readme.py",
        "medicaid": {"betahat": est.tolist(), "sigma": fit.vcov.to_numpy().tolist(), "names": names,
                     "num_pre": 5},
        "medicaid_control": {"betahat": np.asarray(chunk8["betahat"]).ravel().tolist(),
                             "sigma": np.asarray(chunk8["sigma"]).tolist(), "num_pre": 5},
        "rm_2024": _table(_cached(repo, "4")["delta_rm_results"]),
        "rm_2022": _table(_cached(repo, "5")["delta_rm_results"]),
        "sd_2024": _table(_cached(repo, "6")["delta_sd_results"]),
        "rm_average_2024": _table(_cached(repo, "7")["delta_rm_results_avg"]),
        "sd_control_printed": PRINTED_SD_CONTROL,
        "callaway_santanna": _callaway_santanna(repo),
    }
    target = Path(__file__).resolve().parents[1] / "data" / "honest_did_readme.json"
    target.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
