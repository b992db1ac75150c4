"""DiD suite: att_gt against csdid and differences, twfe against linearmodels and pyfixest.

Run from the repository root (sizes are numbers of units; every unit has 8 periods):

    .venv/bin/python benchmarks/run.py --suite did                              # defaults below
    .venv/bin/python benchmarks/run.py --suite did --only att_gt --sizes 1e5
    .venv/bin/python benchmarks/run.py --suite did --only twfe --sizes 1e6

Design. ``att_gt``: a balanced panel of n units x 8 periods, cohorts first treated in
periods 3-8 (60%) or never (40%), two time-invariant covariates (x1 normal, x2 binary) that shift
both selection and trends, effects growing with exposure and varying by cohort. Four runs: without
covariates and with both covariates (doubly robust), each with analytic SEs and with 999
multiplier-bootstrap draws; never-treated controls, varying base period. ``twfe``: n units x 8
periods, staggered binary treatment, unit and period effects, SE clustered by unit (CR1).

The peers run in a separate Python environment (``IEJ_PEERS_PYTHON``, default
``/work/peers-venv/bin/python``, with csdid, differences, linearmodels and pyfixest installed), one
fresh process per (tool, configuration), on the same data written to a temporary ``.npz`` file.
Each peer process times only its estimation call (data loading and imports excluded, as ours) and
reports its own peak RSS, which is recorded in ``info`` as ``<step>[<tool>]_peak_rss_mb``; the step
time is recorded under the same label as ours so the harness prints the ratios (baseline
``iej_impact``: ratio = peer seconds / ours). Agreement with the peers is recorded too (largest
absolute difference of the ATT(g,t), or of the TWFE coefficient and SE).
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.run import benchmark, peak_rss_mb

SEED = 20180101
N_PERIODS = 8
PEERS_PYTHON = os.environ.get("IEJ_PEERS_PYTHON", "/work/peers-venv/bin/python")

_PEER_DRIVER = textwrap.dedent('''
    import json, resource, sys, time, warnings
    import numpy as np, pandas as pd
    warnings.simplefilter("ignore")
    tool, config, path = sys.argv[1], sys.argv[2], sys.argv[3]
    z = np.load(path)
    df = pd.DataFrame({k: z[k] for k in z.files})
    out = {}
    if tool == "csdid":
        from csdid.att_gt import ATTgt
        df["g0"] = np.nan_to_num(df["g"], nan=0.0)
        cov = config.startswith("cov")
        boot = config.endswith("boot999")
        t0 = time.perf_counter()
        m = ATTgt(yname="y", tname="t", idname="id", gname="g0", data=df, control_group=["nevertreated"],
                  xformla="y~x1+x2" if cov else None, biters=999, cband=boot)
        r = m.fit(est_method="dr", bstrap=boot)
        out["seconds"] = time.perf_counter() - t0
        mp = m.MP
        out["cells"] = [[float(a), float(b), float(c)] for a, b, c in zip(mp["group"], mp["t"], mp["att"])]
    elif tool == "differences":
        from differences import ATTgt
        cov = config.startswith("cov")
        boot = config.endswith("boot999")
        df["t"] = df["t"].astype(int)
        df["g"] = df["g"].astype("Int64")  # differences needs integer periods and cohorts (NA = never treated)
        panel = df.set_index(["id", "t"])
        t0 = time.perf_counter()
        m = ATTgt(data=panel, cohort_column="g")
        r = m.fit(formula="y ~ x1 + x2" if cov else "y", est_method="dr", control_group="never_treated",
                  boot_iterations=999 if boot else 0, random_state=1, progress_bar=False)
        out["seconds"] = time.perf_counter() - t0
        frame = m.results().reset_index()
        flat = frame.copy()
        flat.columns = ["|".join(map(str, c)) if isinstance(c, tuple) else str(c) for c in frame.columns]
        gcol = next(c for c in flat.columns if c.startswith("cohort"))
        tcol = next(c for c in flat.columns if c.startswith("time"))
        acol = next(c for c in flat.columns if "ATT" in c and "std" not in c.lower() and "lower" not in c.lower()
                    and "upper" not in c.lower())
        out["cells"] = [[float(a), float(b), float(c)] for a, b, c in zip(flat[gcol], flat[tcol], flat[acol])]
    elif tool == "linearmodels":
        from linearmodels import PanelOLS
        panel = df.set_index(["id", "t"])
        t0 = time.perf_counter()
        r = PanelOLS(panel["y"], panel[["d"]], entity_effects=True, time_effects=True).fit(
            cov_type="clustered", cluster_entity=True, debiased=True, group_debias=True)
        out["seconds"] = time.perf_counter() - t0
        out["coef"], out["se"] = float(r.params.iloc[0]), float(r.std_errors.iloc[0])
    elif tool == "pyfixest":
        import pyfixest as pf
        t0 = time.perf_counter()
        r = pf.feols("y ~ d | id + t", data=df, vcov={"CRV1": "id"})
        out["seconds"] = time.perf_counter() - t0
        out["coef"], out["se"] = float(r.coef().iloc[0]), float(r.se().iloc[0])
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("RESULT " + json.dumps(out))
''')


def _staggered_panel(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """n units x 8 periods; cohorts 3..8 or never (NaN); selection and trends depend on x1, x2."""
    x1 = rng.normal(size=n)
    x2 = (rng.random(n) < 0.4).astype(float)
    p_treat = 1 / (1 + np.exp(-(0.4 + 0.5 * x1 - 0.4 * x2)))
    treated = rng.random(n) < p_treat * 0.85
    g = np.where(treated, rng.integers(3, N_PERIODS + 1, n), 0).astype(float)
    g[g == 0] = np.nan
    unit = np.repeat(np.arange(n), N_PERIODS)
    t = np.tile(np.arange(1, N_PERIODS + 1), n).astype(float)
    gg = g[unit]
    exposure = np.where(np.isnan(gg), -1.0, t - gg)
    effect = np.where(exposure >= 0, 0.2 + 0.05 * exposure - 0.02 * (np.nan_to_num(gg) - 3), 0.0)
    alpha_i = rng.normal(size=n) + 0.5 * x1
    y = alpha_i[unit] + 0.1 * t + 0.05 * t * x1[unit] - 0.03 * t * x2[unit] + effect + rng.normal(size=n * N_PERIODS)
    return pd.DataFrame({"id": unit.astype(np.int64), "t": t, "g": gg, "y": y, "x1": x1[unit], "x2": x2[unit],
                         "d": (exposure >= 0).astype(np.int64)})


def _run_peer(tool: str, config: str, path: Path, timeout: float = 1500.0) -> dict[str, object]:
    if not Path(PEERS_PYTHON).exists():
        return {"error": f"peer environment not found: {PEERS_PYTHON} (set IEJ_PEERS_PYTHON)"}
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as fh:
        fh.write(_PEER_DRIVER)
        script = fh.name
    try:
        done = subprocess.run([PEERS_PYTHON, script, tool, config, str(path)], capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"{tool} timed out after {timeout:g} s"}
    finally:
        os.unlink(script)
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    tail = " | ".join((done.stderr or "").strip().splitlines()[-3:])
    return {"error": f"{tool} failed (exit {done.returncode}): {tail}"}


def _record(timer, label: str, tool: str, result: dict[str, object]) -> None:
    """Record a peer's own timing as a step of this run (so ratios are printed), and its peak RSS."""
    if "error" in result:
        timer.info(**{f"{label}[{tool}]_error": result["error"]})
        return
    timer.steps.append({"label": label, "tool": tool, "seconds": round(float(result["seconds"]), 6),
                        "peak_rss_mb": round(float(result["peak_rss_mb"]), 2)})
    timer.info(**{f"{label}[{tool}]_peak_rss_mb": round(float(result["peak_rss_mb"]), 1)})
    timer.flush("running")


@benchmark(
    "att_gt",
    suite="did",
    sizes=(100_000,),
    baseline="iej_impact",
    packages=("matplotlib",),
    description="Callaway-Sant'Anna ATT(g,t), n units x 8 periods, never-treated controls: no covariates / 2 "
    "covariates (dr), analytic / 999 multiplier-bootstrap draws; vs csdid and differences (peer venv)",
)
def att_gt_bench(size: int, timer) -> dict[str, object]:
    from iej_impact import att_gt
    from iej_impact.inference import Bootstrap

    frame = _staggered_panel(size, np.random.default_rng(SEED))
    configs = {"nocov": ([], None), "cov_dr": (["x1", "x2"], None),
               "nocov_boot999": ([], Bootstrap(reps=999, random_state=1)),
               "cov_dr_boot999": (["x1", "x2"], Bootstrap(reps=999, random_state=1))}
    ours: dict[str, pd.DataFrame] = {}
    for config, (covs, se) in configs.items():
        with timer.step(f"att_gt_{config}", tool="iej_impact"):
            res = att_gt(frame, outcome="y", unit="id", time="t", cohort="g", covariates=covs, method="dr", se=se)
        ours[config] = res.table
        if config == "cov_dr_boot999":
            with timer.step("aggregate_dynamic_boot999", tool="iej_impact"):
                res.aggregate("dynamic")
    timer.info(iej_impact_peak_rss_mb=round(peak_rss_mb() or 0.0, 1), cells=len(ours["nocov"]))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "panel.npz"
        np.savez(path, **{c: frame[c].to_numpy() for c in ("id", "t", "g", "y", "x1", "x2")})
        del frame
        for config in configs:
            for tool in ("csdid", "differences"):
                result = _run_peer(tool, config, path)
                _record(timer, f"att_gt_{config}", tool, result)
                cells = result.get("cells")
                if cells:
                    theirs = pd.DataFrame(cells, columns=["group", "time", "theirs"])
                    merged = ours[config].merge(theirs, on=["group", "time"])
                    timer.info(**{f"att_gt_{config}[{tool}]_max_abs_diff": float(
                        np.nanmax(np.abs(merged["estimate"] - merged["theirs"]))) if len(merged) else None,
                        f"att_gt_{config}[{tool}]_cells_compared": len(merged)})
    return {"units": size, "periods": N_PERIODS}


@benchmark(
    "att_gt_scaling",
    suite="did",
    sizes=(100_000, 1_000_000),
    description="att_gt alone (no peers): n units x 8 periods, 2 covariates, doubly robust, analytic SEs, "
    "then the dynamic aggregation; the time from 10^5 to 10^6 units shows whether it scales linearly",
)
def att_gt_scaling(size: int, timer) -> dict[str, object]:
    from iej_impact import att_gt

    frame = _staggered_panel(size, np.random.default_rng(SEED))
    with timer.step("att_gt_cov_dr"):
        res = att_gt(frame, outcome="y", unit="id", time="t", cohort="g", covariates=["x1", "x2"], method="dr")
    with timer.step("aggregate_dynamic"):
        dynamic = res.aggregate("dynamic")
    return {"units": size, "periods": N_PERIODS, "cells": len(res.table),
            "overall": round(float(dynamic.estimate), 6), "overall_se": round(float(dynamic.std_error), 6)}


@benchmark(
    "twfe",
    suite="did",
    sizes=(1_000_000,),
    baseline="iej_impact",
    description="static TWFE, n units x 8 periods, unit and period effects, SE clustered by unit; vs linearmodels "
    "PanelOLS and pyfixest feols (peer venv)",
)
def twfe_bench(size: int, timer) -> dict[str, object]:
    from iej_impact import twfe

    frame = _staggered_panel(size, np.random.default_rng(SEED))[["id", "t", "y", "d"]]
    with timer.step("twfe", tool="iej_impact"):
        res = twfe(frame, outcome="y", unit="id", time="t", treatment="d")
    timer.info(iej_impact_peak_rss_mb=round(peak_rss_mb() or 0.0, 1), coef=res.estimate, se=res.std_error)
    all_se = twfe(frame, outcome="y", unit="id", time="t", treatment="d", small_sample="all").std_error
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "panel.npz"
        np.savez(path, **{c: frame[c].to_numpy() for c in frame.columns})
        del frame
        for tool, ref_se in (("pyfixest", res.std_error), ("linearmodels", all_se)):
            result = _run_peer(tool, "twfe", path)
            _record(timer, "twfe", tool, result)
            if "coef" in result:
                timer.info(**{f"twfe[{tool}]_coef_diff": abs(float(result["coef"]) - res.estimate),
                              f"twfe[{tool}]_se_rel_diff": abs(float(result["se"]) / ref_se - 1)})
    return {"units": size, "rows": size * N_PERIODS}
