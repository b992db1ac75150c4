"""Run one competing implementation of IPW / doubly robust estimation on a saved data set (benchmark helper).

Called by ``benchmarks/bench_weighting.py`` in a subprocess, with the Python of a *separate* virtualenv
that holds the peers (so their dependency pins never touch the project's environment):

    /path/to/peers-venv/bin/python benchmarks/peers_weighting.py TOOL DATA.npz

TOOL is one of ``dowhy_ipw`` (point estimate), ``dowhy_ipw_se`` (the same plus DoWhy's standard error,
which DoWhy obtains by bootstrapping the whole estimator), ``causalinference_weighting``,
``causalinference_ols``. DATA.npz holds
``x`` (n x k covariates), ``d`` (0/1 treatment) and ``y`` (outcome). The script prints one JSON line:
the tool, its version, the seconds spent in the estimation call(s) (imports and data loading
excluded), the estimate, the standard error when the tool gives one, and the process's peak resident
memory (VmHWM, imports and data included).
It imports nothing from iej_impact.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from importlib import metadata

import numpy as np


def main(tool: str, path: str) -> dict[str, object]:
    data = np.load(path)
    x, d, y = data["x"], data["d"].astype(int), data["y"]
    covs = [f"x{i}" for i in range(x.shape[1])]
    se = None
    if tool in ("dowhy_ipw", "dowhy_ipw_se"):
        import logging

        import pandas as pd
        from dowhy import CausalModel

        logging.disable(logging.WARNING)
        frame = pd.DataFrame(x, columns=covs)
        frame["treated"] = d.astype(bool)
        frame["y"] = y
        version = metadata.version("dowhy")
        start = time.perf_counter()
        model = CausalModel(data=frame, treatment="treated", outcome="y", common_causes=covs)
        estimand = model.identify_effect(proceed_when_unidentifiable=True)
        est = model.estimate_effect(estimand, method_name="backdoor.propensity_score_weighting", target_units="ate",
                                    method_params={"weighting_scheme": "ips_weight"})
        if tool == "dowhy_ipw_se":
            se = float(np.ravel(est.get_standard_error())[0])
        seconds = time.perf_counter() - start
        estimate = float(est.value)
    elif tool.startswith("causalinference"):
        from causalinference import CausalModel

        version = metadata.version("CausalInference")
        start = time.perf_counter()
        cm = CausalModel(y, d, x)
        if tool == "causalinference_weighting":
            cm.est_propensity()
            cm.est_via_weighting()
            key = "weighting"
        else:
            cm.est_via_ols(adj=2)
            key = "ols"
        seconds = time.perf_counter() - start
        estimate = float(cm.estimates[key]["ate"])
        se = float(cm.estimates[key]["ate_se"])
    else:
        raise SystemExit(f"unknown tool {tool!r}")
    return {"tool": tool, "version": version, "seconds": seconds, "estimate": estimate, "std_error": se,
            "peak_rss_mb": round(_peak_rss_mb(), 1), "rows": int(x.shape[0])}


def _peak_rss_mb() -> float:
    """Peak resident memory of this process: VmHWM, which starts afresh at exec (ru_maxrss would carry
    over the parent's peak from before the fork)."""
    status = "/proc/self/status"
    try:
        with open(status) as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return float(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2])))
