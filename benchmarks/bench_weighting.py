"""Weighting suite: AIPW / IPW with analytic standard errors at 10^6 rows, against DoWhy and causalinference.

Run from the repository root:

    .venv/bin/python benchmarks/run.py --suite weighting                 # 10^6 rows (the target size)
    .venv/bin/python benchmarks/run.py --suite weighting --sizes 1e5 1e6

Design: n rows, 12 covariates (6 normal, 6 binary), about 40% treated by a logit model,
a linear outcome with a constant effect 0.5. Steps timed in the benchmark's own process:

* ``aipw_with_se`` / ``iej_impact``: :func:`iej_impact.doubly_robust` (logit score,
  OLS outcome models, ATE) with its stacked influence-function SE, plus every diagnostic it
  computes by default (overlap table, weight summary, balance table before/after, outcome-model SEs);
* ``ipw_with_se`` / ``iej_impact``: :func:`iej_impact.ipw` likewise;
* ``aipw_with_se`` / ``numpy_plain``: a bare numpy AIPW (Newton logit, two least-squares fits, the
  AIPW mean and the SE of its scores; no checks, no diagnostics): what any implementation must at
  least do.

The peers run in subprocesses with the Python of a separate virtualenv (``IEJ_PEERS_PYTHON``,
default ``/work/peers-venv/bin/python``; create it with ``python3 -m venv /work/peers-venv &&
/work/peers-venv/bin/pip install dowhy causalinference``) on the same data saved to a temporary
``.npz``: DoWhy's propensity-score weighting (point estimate; and with its bootstrap standard error),
causalinference's ``est_via_weighting`` (after ``est_propensity``) and ``est_via_ols``. Each
subprocess reports the seconds spent in its estimation calls (imports and loading excluded) and its
peak RSS; its wall time (start-up included) is the timed step. A peer that is missing, fails or
exceeds its time limit is recorded as such in ``info["peers"]``. ``info["ratios_vs_iej_aipw"]``
divides each tool's own estimation seconds by iej_impact's AIPW seconds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.run import benchmark, current_rss_mb

N_COVARIATES = 12
SEED = 20180101
HERE = Path(__file__).resolve().parent
PEERS = {  # tool -> time limit in seconds
    "dowhy_ipw": 600.0,
    "dowhy_ipw_se": 300.0,
    "causalinference_weighting": 600.0,
    "causalinference_ols": 600.0,
}


def _data(size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(SEED)
    x = rng.normal(size=(size, N_COVARIATES))
    x[:, 6:] = (x[:, 6:] > 0.3).astype(float)
    index = -0.5 + x @ np.linspace(0.5, -0.3, N_COVARIATES) * 0.8
    d = (rng.random(size) < 1.0 / (1.0 + np.exp(-index))).astype(np.int8)
    y = 1.0 + x @ np.linspace(0.2, 1.0, N_COVARIATES) + 0.5 * d + rng.normal(size=size)
    return x, d, y


def _plain_aipw(x: np.ndarray, d: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Bare AIPW: Newton logit (8 steps), per-arm least squares, the AIPW mean and its influence-function
    SE (sd of the AIPW scores / sqrt(n), valid without a correction for the estimated nuisances)."""
    z = np.column_stack([np.ones(len(y)), x])
    g = np.zeros(z.shape[1])
    for _ in range(8):
        p = 1.0 / (1.0 + np.exp(-(z @ g)))
        zw = z * np.sqrt(p * (1 - p))[:, None]
        g = g + np.linalg.solve(zw.T @ zw, z.T @ (d - p))
    p = 1.0 / (1.0 + np.exp(-(z @ g)))
    t = d == 1
    b1 = np.linalg.lstsq(z[t], y[t], rcond=None)[0]
    b0 = np.linalg.lstsq(z[~t], y[~t], rcond=None)[0]
    m1, m0 = z @ b1, z @ b0
    scores = m1 - m0 + d * (y - m1) / p - (1 - d) * (y - m0) / (1 - p)
    return float(scores.mean()), float(scores.std() / np.sqrt(len(y)))


def _run_peer(python: str, tool: str, path: str, limit: float) -> dict[str, object]:
    start = time.perf_counter()
    try:
        proc = subprocess.run([python, str(HERE / "peers_weighting.py"), tool, path], capture_output=True, text=True,
                              timeout=limit, check=False)
    except subprocess.TimeoutExpired:
        return {"tool": tool, "status": "timeout", "limit_seconds": limit,
                "wall_seconds": round(time.perf_counter() - start, 3)}
    wall = round(time.perf_counter() - start, 3)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return {"tool": tool, "status": "error", "returncode": proc.returncode, "message": " | ".join(tail),
                "wall_seconds": wall}
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    return {**out, "status": "ok", "wall_seconds": wall}


@benchmark(
    "aipw_analytic_se",
    suite="weighting",
    sizes=(1_000_000,),
    baseline="iej_impact",
    packages=("matplotlib",),
    description="doubly_robust() AIPW ATE with stacked influence-function SE (12 covariates) vs a bare numpy AIPW, "
    "DoWhy propensity-score weighting and causalinference weighting/OLS run in a separate virtualenv",
)
def aipw_analytic_se(size: int, timer) -> dict[str, object]:
    from iej_impact import doubly_robust, ipw

    x, d, y = _data(size)
    covs = [f"x{i}" for i in range(N_COVARIATES)]
    frame = pd.DataFrame(x, columns=covs)
    frame["treated"] = d
    frame["y"] = y
    rss_before = current_rss_mb()
    with timer.step("aipw_with_se", tool="iej_impact"):
        aipw = doubly_robust(frame, outcome="y", treatment="treated", covariates=covs)
    ours = timer.steps[-1]["seconds"]
    with timer.step("ipw_with_se", tool="iej_impact"):
        res_ipw = ipw(frame, outcome="y", treatment="treated", covariates=covs)
    with timer.step("aipw_with_se", tool="numpy_plain"):
        plain, plain_se = _plain_aipw(x, d, y)
    info: dict[str, object] = {
        "rows": size,
        "treated": int(d.sum()),
        "iej_aipw": {"estimate": aipw.estimate, "std_error": aipw.std_error, "seconds": ours,
                     "rss_before_mb": rss_before, "peak_rss_after_mb": timer.steps[0]["peak_rss_mb"]},
        "iej_ipw": {"estimate": res_ipw.estimate, "std_error": res_ipw.std_error},
        "numpy_plain_aipw_estimate": plain,
        "numpy_plain_aipw_std_error": plain_se,
    }
    python = os.environ.get("IEJ_PEERS_PYTHON", "/work/peers-venv/bin/python")
    peers: list[dict[str, object]] = []
    if not Path(python).exists():
        peers.append({"status": "unavailable", "message": f"no peers interpreter at {python} (set IEJ_PEERS_PYTHON)"})
    else:
        with tempfile.TemporaryDirectory() as tmp:
            path = str(Path(tmp) / "data.npz")
            np.savez(path, x=x, d=d, y=y)
            del frame, x, d, y
            for tool, limit in PEERS.items():
                with timer.step("peer_process", tool=tool):
                    peers.append(_run_peer(python, tool, path, limit))
    info["peers"] = peers
    plain_seconds = next(s["seconds"] for s in timer.steps if s["tool"] == "numpy_plain")
    ratios = {"numpy_plain_aipw_with_se": plain_seconds / ours}
    for p in peers:
        if p.get("status") == "ok":
            ratios[str(p["tool"])] = float(p["seconds"]) / ours
    info["ratios_vs_iej_aipw"] = {k: round(v, 3) for k, v in ratios.items()}
    info["python"] = sys.version.split()[0]
    return info
