"""Reference entropy-balancing weights and ATT on LaLonde's NSW-treated / CPS-1 sample, from two
independent implementations, for tests/reference/test_ebal_reference.py.

* ``empirical_calibration`` 0.12 (Google; PyPI): ``calibrate(..., objective=Objective.ENTROPY)``
  solves the dual's first-order conditions with ``scipy.optimize.fsolve``; it takes baseline
  (sampling) weights for the units reweighted and target weights for the target units. Its fsolve
  fails on the raw columns (earnings in dollars next to 0/1 dummies), so it is given the columns
  standardized over all units, and squares of the standardized columns for moments=2 (affine maps
  of the constraint columns, together with the constant: the same constraints, the same weights).
* ``ebal`` 1.0.0 (Eddie Yang; PyPI): a Python port of Hainmueller's R ``ebal::ebalance`` (Newton's
  method on the dual with a line search), run with ``PCA=False`` so that it balances the columns
  given, and a constraint tolerance of 1e-6 on the raw columns.

Data: tests/reference/data/matchit_lalonde_cps.csv (185 NSW treated, 15,992 CPS-1 controls; see
matchit_extract_lalonde.py). Covariates age, educ, black, hisp, marr, nodegree, re74, re75; outcome
re78. Cases: means (moments=1); means and squares of the four non-binary covariates (moments=2); and
means with sampling weights s_i = 0.5 + ((7919 * id) mod 100) / 100 on every unit (empirical_calibration
only: ebal's target is the unweighted treated mean).

Also recorded, transcribed from a printed output (not computed here): the README of the R package
``entbal`` (B. Vegetabile, github.com/bvegetabile/entbal, commit 3309ea4) runs entropy balancing on
the same sample (its data set dw99cps1) with ``n_moments = 3`` (orthogonal polynomials of degree 3 of
the four continuous covariates, the binary ones as they are), L-BFGS-B with ``bal_tol = 1e-8``, and
prints the ATT from ``svyglm(RE78 ~ TA)`` as 1392.1 and the controls' weighted ESS as 116.45.

Run in a throwaway environment (the test suite does not need these packages):

    python -m venv /tmp/ebref && /tmp/ebref/bin/pip install empirical-calibration==0.12 ebal==1.0.0 pandas
    /tmp/ebref/bin/python tests/reference/generate/ebal_lalonde.py
"""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd
from ebal import ebal_bin
from empirical_calibration import Objective, calibrate

HERE = Path(__file__).resolve().parents[1]
COVS = ["age", "educ", "black", "hisp", "marr", "nodegree", "re74", "re75"]
CONTINUOUS = ["age", "educ", "re74", "re75"]
#: controls whose weights are recorded (ids), besides the ten largest weights
SHOWN_IDS = [186, 187, 188, 189, 190, 500, 1000, 5000, 10000, 16177]


def sampling_weights(ids: np.ndarray) -> np.ndarray:
    return 0.5 + ((7919 * ids) % 100) / 100.0


def standardized(x: np.ndarray) -> np.ndarray:
    return (x - x.mean(axis=0)) / x.std(axis=0)


def columns(d: pd.DataFrame, moments: int, *, centred: bool = False) -> np.ndarray:
    """The balanced columns: the covariates and, for moments=2, the squares of the continuous ones
    (raw squares, or with ``centred`` squares of the standardized columns: the same span with the
    constant, so the same constraints)."""
    x = d[COVS].to_numpy(dtype=float)
    if moments == 2:
        sq = d[CONTINUOUS].to_numpy(dtype=float)
        sq = standardized(sq) ** 2 if centred else sq**2
        x = np.column_stack([x, sq])
    return standardized(x) if centred else x


def record(d: pd.DataFrame, w_ctrl: np.ndarray, s: np.ndarray | None) -> dict[str, object]:
    """ATT, control ESS and the normalised control weights (summing to 1) at chosen ids."""
    t = d["treat"].to_numpy() == 1
    y = d["re78"].to_numpy(dtype=float)
    st = np.ones(int(t.sum())) if s is None else s[t]
    w = w_ctrl / w_ctrl.sum()
    ids = d.loc[~t, "id"].to_numpy()
    top = ids[np.argsort(-w)[:10]]
    shown = sorted(set(SHOWN_IDS) | set(top.tolist()))
    pos = {int(i): k for k, i in enumerate(ids)}
    return {
        "att": float(st @ y[t] / st.sum() - w @ y[~t]),
        "control_ess": float(1.0 / np.sum(w**2)),
        "weights": {str(i): float(w[pos[i]]) for i in shown},
    }


def main() -> None:
    d = pd.read_csv(HERE / "data" / "matchit_lalonde_cps.csv")
    t = d["treat"].to_numpy() == 1
    out: dict[str, object] = {
        "software": {"empirical_calibration": version("empirical_calibration"), "ebal": version("ebal"),
                     "numpy": np.__version__, "scipy": version("scipy")},
        "data": "tests/reference/data/matchit_lalonde_cps.csv",
        "covariates": COVS, "outcome": "re78", "estimand": "ATT",
        "sampling_weights": "0.5 + ((7919 * id) mod 100) / 100",
        "cases": {},
        "entbal_readme": {"moments": 3, "att": 1392.1, "control_ess": 116.45,
                          "source": "github.com/bvegetabile/entbal README.md (commit 3309ea4), printed output"},
    }
    cases: dict[str, dict[str, object]] = {}
    for moments in (1, 2):
        x = columns(d, moments)
        xs = columns(d, moments, centred=True)
        w_ec, ok = calibrate(xs[~t], xs[t], objective=Objective.ENTROPY)
        assert ok, "empirical_calibration did not converge"
        res = ebal_bin(PCA=False, print_level=-1, max_iterations=1000, constraint_tolerance=1e-6).ebalance(
            Treatment=t.astype(int), X=x, Y=d["re78"].to_numpy(dtype=float))
        assert res["converged"], "ebal did not converge"
        cases[f"moments{moments}"] = {
            "moments": moments,
            "empirical_calibration": record(d, w_ec, None),
            "ebal": {**record(d, res["w"][~t], None), "maxdiff": float(res["maxdiff"])},
        }
    s = sampling_weights(d["id"].to_numpy())
    xs = columns(d, 1, centred=True)
    w_ec, ok = calibrate(xs[~t], xs[t], baseline_weights=s[~t], target_weights=s[t], objective=Objective.ENTROPY)
    assert ok
    cases["moments1_sampling_weights"] = {"moments": 1, "empirical_calibration": record(d, w_ec, s)}
    out["cases"] = cases
    path = HERE / "data" / "ebal_lalonde.json"
    path.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
