"""Run one propensity-score matching tool on a saved data set (helper of ``benchmarks/bench_matching.py``).

Called in a subprocess, one tool per process:

    PYTHON benchmarks/peers_matching.py TOOL DATA.csv RESULT.json

``PYTHON`` is the interpreter of a *separate* virtualenv for the peers (``psmpy``, ``causalinference``,
``dowhy``, ``dowhy_bootstrap_se``), so that their dependency pins never touch the project's
environment, and the project's own interpreter for ``iej_impact``. MatchIt has its R counterpart,
``benchmarks/peers_matching.R``. DATA.csv holds ``id``, ``x0`` ... ``x11`` (covariates), ``treated``
(0/1) and ``y`` (outcome).

The job is the reference PSM job, done as closely as each tool allows (what differs is in ``DEVIATIONS``
of ``bench_matching.py``): a logit propensity score on the covariates, 1:1 nearest-neighbour
matching without replacement within a caliper of 0.2 SD of the logit score, and the ATT with its
standard error where the tool gives one. ``seconds`` covers that job only (score model, matching,
effect and SE, plus what the tool needs to get there from the loaded frame); reading the CSV is
``read_seconds``; interpreter start-up and imports are in neither.

RESULT.json receives one object: ``status`` (``ok``, ``memory_error`` or ``error``, with ``message``),
the tool's version, ``read_seconds``, ``seconds``, ``att``, ``se`` (None when the tool gives none),
``matched_treated`` and ``peak_rss_mb`` (VmHWM: the process's own peak resident memory, interpreter,
imports and data included). Only the ``iej_impact`` tool imports iej_impact.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
import traceback
import warnings
from importlib import metadata
from typing import Any

N_COVARIATES = 12
CALIPER_SD = 0.2
BOOTSTRAP_SEED = 20180101
COVARIATES = [f"x{i}" for i in range(N_COVARIATES)]


def peak_rss_mb() -> float | None:
    """This process's peak resident memory: VmHWM, which starts afresh at ``exec`` (``ru_maxrss`` would
    carry over the parent's peak from before the fork)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return round(float(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    try:
        import resource

        return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    except ImportError:
        return None


def read_data(path: str) -> Any:
    import pandas as pd

    # pandas >= 3 parses the written doubles exactly by default (same numbers in every tool)
    return pd.read_csv(path)


def _logit(p: Any) -> Any:
    import numpy as np

    return np.log(p) - np.log1p(-p)


# ----------------------------------------------------------------------------------------- the tools


def run_iej_impact(frame: Any) -> dict[str, Any]:
    """psm(): logit score, 1:1 NN without replacement, caliper 0.2 SD of the logit, ATT with the
    Abadie-Imbens SE adjusted for the estimated score (2016); then the balance table. Afterwards,
    untimed for the ratio, the ATT under each peer's own convention on the same data."""
    from iej_impact import psm

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        res = psm(frame, outcome="y", treatment="treated", covariates=COVARIATES, distance="logit",
                  caliper=CALIPER_SD)
        psm_seconds = time.perf_counter() - start
        matching = res.diagnostics["matching"]
        start = time.perf_counter()
        table = matching.balance()
        balance_seconds = time.perf_counter() - start
    peak = peak_rss_mb()
    out: dict[str, Any] = {
        "version": metadata.version("iej_impact"),
        "seconds": psm_seconds,
        "balance_seconds": balance_seconds,
        "pipeline_seconds": psm_seconds + balance_seconds,
        "peak_rss_mb": peak,
        "att": float(res.estimate),
        "se": float(res.std_error),
        "se_score_known": _as_float(res.diagnostics.get("se_score_known")),
        "matched_treated": int(matching.sample_sizes.loc["matched", "treated"]),
        "max_abs_smd_after": float(table.smd.abs().max()),
        "warnings": sorted({f"{type(w.message).__name__}: {w.message}" for w in caught}),
    }
    conventions = {
        # DoWhy: the nearest control on the propensity score itself, with replacement, no caliper
        "dowhy": {"distance": "propensity", "replace": True},
        # causalinference: the nearest control on the logit score, with replacement, no caliper
        "causalinference": {"distance": "logit", "replace": True},
        # psmpy: without replacement within the caliper, treated units taken in data order
        "psmpy": {"distance": "logit", "caliper": CALIPER_SD, "order": "data"},
    }
    same: dict[str, Any] = {}
    for peer, options in conventions.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            start = time.perf_counter()
            alt = psm(frame, outcome="y", treatment="treated", covariates=COVARIATES, **options)
            seconds = time.perf_counter() - start
        same[peer] = {"options": options, "att": float(alt.estimate), "se": float(alt.std_error),
                      "matched_treated": int(alt.diagnostics["matching"].sample_sizes.loc["matched", "treated"]),
                      "seconds": seconds}
    out["att_under_peer_conventions"] = same
    return out


def _as_float(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def run_psmpy(frame: Any) -> dict[str, Any]:
    """psmpy: its logistic score (scikit-learn liblinear), the caliper computed here from its logit
    score (psmpy takes a caliper in distance units), KD-tree matching without replacement; the ATT
    is the mean treated-minus-matched-control difference (psmpy gives no effect estimate or SE)."""
    import numpy as np
    from psmpy import PsmPy

    y = frame.set_index("id")["y"]
    data = frame[["id", "treated", *COVARIATES]].copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        model = PsmPy(data, treatment="treated", indx="id", exclude=[])
        model.logistic_ps(balance=False)
        caliper = CALIPER_SD * float(np.std(model.predicted_data["propensity_logit"].to_numpy(), ddof=1))
        model.kdtree_matched(matcher="propensity_logit", replacement=False, caliper=caliper, drop_unmatched=True)
        pairs = model.matched_ids
        treated_ids = pairs["id"].to_numpy()
        control_ids = pairs["matched_ID"].to_numpy().astype(np.int64)
        att = float(np.mean(y.loc[treated_ids].to_numpy() - y.loc[control_ids].to_numpy()))
        seconds = time.perf_counter() - start
    return {"version": metadata.version("psmpy"), "seconds": seconds, "att": att, "se": None,
            "matched_treated": len(pairs), "caliper_raw": caliper}


def run_causalinference(frame: Any) -> dict[str, Any]:
    """causalinference: est_propensity() (logit on the 12 covariates), then est_via_matching() on the
    logit of that score (a second CausalModel with the score as its only covariate): 1:1 with
    replacement, no caliper, ATT with its analytic SE."""
    import numpy as np
    from causalinference import CausalModel

    y = frame["y"].to_numpy(dtype=float)
    d = frame["treated"].to_numpy(dtype=int)
    x = frame[COVARIATES].to_numpy(dtype=float)
    start = time.perf_counter()
    model = CausalModel(y, d, x)
    model.est_propensity()
    score = _logit(np.asarray(model.propensity["fitted"], dtype=float))
    on_score = CausalModel(y, d, score[:, None])
    on_score.est_via_matching(matches=1, bias_adj=False)
    est = on_score.estimates["matching"]
    att, se = float(est["att"]), float(est["att_se"])
    seconds = time.perf_counter() - start
    return {"version": metadata.version("CausalInference"), "seconds": seconds, "att": att, "se": se,
            "matched_treated": int(d.sum())}


def run_dowhy(frame: Any, *, bootstrap_se: bool) -> dict[str, Any]:
    """DoWhy backdoor.propensity_score_matching (its default scikit-learn logistic score, nearest
    control on the score with replacement, no caliper); with ``bootstrap_se`` also DoWhy's standard
    error, which it obtains by bootstrapping the whole estimator."""
    import logging

    import numpy as np
    from dowhy import CausalModel

    logging.disable(logging.WARNING)
    # DoWhy's bootstrap draws from numpy's legacy global generator (sklearn.utils.resample, random_state=None)
    np.random.seed(BOOTSTRAP_SEED)  # noqa: NPY002
    data = frame[[*COVARIATES, "treated", "y"]].copy()
    data["treated"] = data["treated"].astype(bool)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        model = CausalModel(data=data, treatment="treated", outcome="y", common_causes=COVARIATES)
        estimand = model.identify_effect(proceed_when_unidentifiable=True)
        est = model.estimate_effect(estimand, method_name="backdoor.propensity_score_matching", target_units="att")
        se = float(np.ravel(est.get_standard_error())[0]) if bootstrap_se else None
        seconds = time.perf_counter() - start
    return {"version": metadata.version("dowhy"), "seconds": seconds, "att": float(est.value), "se": se,
            "matched_treated": int(data["treated"].sum())}


TOOLS = {
    "iej_impact": run_iej_impact,
    "psmpy": run_psmpy,
    "causalinference": run_causalinference,
    "dowhy": lambda frame: run_dowhy(frame, bootstrap_se=False),
    "dowhy_bootstrap_se": lambda frame: run_dowhy(frame, bootstrap_se=True),
}


def main(tool: str, data_path: str, result_path: str) -> int:
    if tool not in TOOLS:
        raise SystemExit(f"unknown tool {tool!r}; choose from {sorted(TOOLS)}")
    result: dict[str, Any] = {"tool": tool, "pid": os.getpid()}
    try:
        start = time.perf_counter()
        frame = read_data(data_path)
        result["read_seconds"] = time.perf_counter() - start
        result["rows"] = len(frame)
        result.update(TOOLS[tool](frame))
        result["status"] = "ok"
    except MemoryError as exc:
        result.update(status="memory_error", message=f"{type(exc).__name__}: {exc}"[:500])
    except Exception as exc:  # a tool's failure is a recorded outcome
        tail = traceback.format_exc(limit=-3).strip().splitlines()[-6:]
        result.update(status="error", message=f"{type(exc).__name__}: {exc}"[:500], traceback=tail)
    result.setdefault("peak_rss_mb", peak_rss_mb())
    for key in ("att", "se"):
        if isinstance(result.get(key), float) and not math.isfinite(result[key]):
            result[key] = None
    tmp = f"{result_path}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(result, fh, default=str)
    os.replace(tmp, result_path)
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 4:
        raise SystemExit("usage: peers_matching.py TOOL DATA.csv RESULT.json")
    sys.exit(main(*sys.argv[1:]))
