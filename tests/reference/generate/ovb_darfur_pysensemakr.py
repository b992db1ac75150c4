"""Reference numbers for ovb_sensitivity() on the darfur data, from PySensemakr (an independent implementation).

Run once (PySensemakr is not a dependency of iej_impact or of its tests; 0.0.8 needs pandas < 2.2):

    python -m venv /tmp/venv-sm
    /tmp/venv-sm/bin/pip install PySensemakr==0.0.8 pandas==2.1.4 numpy==1.26.4 statsmodels==0.14.1 scipy==1.11.4
    /tmp/venv-sm/bin/python tests/reference/generate/ovb_darfur_pysensemakr.py   # writes tests/reference/data/ovb_darfur.json

The model is the one of Cinelli & Hazlett (2020, section 6) and of the sensemakr README:
``peacefactor ~ directlyharmed + age + farmer_dar + herder_dar + pastvoted + hhsize_darfur + female + village``
(village fixed effects as 485 dummies), on tests/reference/data/darfur.csv.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import statsmodels.formula.api as smf
from sensemakr import bias_functions as bf
from sensemakr import main as smkr_main
from sensemakr import sensitivity_statistics as ss

HERE = Path(__file__).resolve().parents[1]
FORMULA = "peacefactor ~ directlyharmed + age + farmer_dar + herder_dar + pastvoted + hhsize_darfur + female + village"


def _records(frame: pd.DataFrame) -> list[dict[str, object]]:
    keep = ["bound_label", "r2dz_x", "r2yz_dx", "adjusted_estimate", "adjusted_se", "adjusted_t", "adjusted_lower_CI",
            "adjusted_upper_CI"]
    return [{k: (float(v) if k != "bound_label" else str(v)) for k, v in row.items() if k in keep}
            for row in frame.to_dict(orient="records")]


def main() -> None:
    darfur = pd.read_csv(HERE / "data" / "darfur.csv")
    model = smf.ols(FORMULA, data=darfur).fit()
    out: dict[str, object] = {"formula": FORMULA, "software": "PySensemakr 0.0.8, statsmodels 0.14.1"}
    female = smkr_main.Sensemakr(model=model, treatment="directlyharmed", benchmark_covariates=["female"], kd=[1, 2, 3])
    out["sensitivity_stats"] = {k: float(v) for k, v in female.sensitivity_stats.items()}
    out["bounds_female"] = _records(female.bounds)
    asym = smkr_main.Sensemakr(model=model, treatment="directlyharmed", benchmark_covariates=["pastvoted"], kd=[1, 2],
                               ky=[3, 1])
    out["bounds_pastvoted_kd12_ky31"] = _records(asym.bounds)
    villages = [c for c in model.params.index if c.startswith("village[")]
    group = smkr_main.Sensemakr(model=model, treatment="directlyharmed", benchmark_covariates={"village": villages},
                                kd=[0.1])
    out["bounds_village_group_kd01"] = _records(group.bounds)
    t, dof = float(model.tvalues["directlyharmed"]), int(model.df_resid)
    out["robustness_values"] = [
        {"q": q, "alpha": a, "rv": float(ss.robustness_value(t_statistic=t, dof=dof, q=q, alpha=a))}
        for q, a in ((1, 1.0), (1, 0.05), (0.5, 1.0), (0.5, 0.05), (2, 0.1), (1, 0.001))
    ]
    # large t-values relative to dof: the case where the weakest confounder is not of equal strengths
    out["robustness_values_numeric"] = [
        {"t": t_, "dof": df_, "q": q, "alpha": a, "rv": float(ss.robustness_value(t_statistic=t_, dof=df_, q=q, alpha=a))}
        for t_, df_, q, a in ((30.0, 50, 1, 0.05), (-10.0, 20, 1, 0.05), (10.0, 20, 0.5, 0.1), (1.0, 100, 1, 0.05))
    ]
    manual = [(0.1, 0.2), (0.05, 0.3), (0.2, 0.05)]
    out["manual"] = [
        {"r2dz_x": a, "r2yz_dx": b,
         "adjusted_estimate": float(bf.adjusted_estimate(a, b, model=model, treatment="directlyharmed")),
         "adjusted_se": float(bf.adjusted_se(a, b, model=model, treatment="directlyharmed")),
         "adjusted_t": float(bf.adjusted_t(a, b, model=model, treatment="directlyharmed"))}
        for a, b in manual
    ]
    (HERE / "data" / "ovb_darfur.json").write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
