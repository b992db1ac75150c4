"""Matching suite: the nearest-neighbour matching step against a sorted-search lower bound, and psm().

Run from the repository root:

    .venv/bin/python benchmarks/run.py --suite matching                     # 1e4, 1e5, 1e6 rows
    .venv/bin/python benchmarks/run.py --suite matching --only nn_matching_step --sizes 1e6

Design (issue 6): n rows, 10% treated, 12 covariates; 1:1 nearest neighbour without replacement,
largest score first, caliper 0.2 SD of the logit score. The *lower bound* is what any
nearest-neighbour matcher on a 1-D score must at least do: sort the controls' scores and
``np.searchsorted`` the treated scores into them. ``iej_impact_core`` is the greedy search of
``iej_impact._nearest`` (sort by (score, row), greedy pass with the caliper); ``iej_impact.match`` adds
input checks, the discard rule, weights, pair ids and the sample-size table. The target is the
core within 3x of the lower bound. Every step gets the same score, so the timings exclude the
propensity model; ``psm_pipeline`` times the whole ``psm()`` call (score, matching, ATT,
Abadie-Imbens SE) separately.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from benchmarks.run import benchmark

N_COVARIATES = 12
SEED = 20180101


def _design(size: int) -> pd.DataFrame:
    """n units, 12 covariates (continuous and binary), about 10% treated by a logit model."""
    rng = np.random.default_rng(SEED)
    x = rng.normal(size=(size, N_COVARIATES))
    x[:, 6:] = (x[:, 6:] > 0.3).astype(float)
    beta = np.linspace(0.5, -0.3, N_COVARIATES)
    index = -2.6 + x @ beta * 0.8
    ps = 1.0 / (1.0 + np.exp(-index))
    d = (rng.random(size) < ps).astype(np.int8)
    y = 1.0 + x @ np.linspace(0.2, 1.0, N_COVARIATES) + 0.5 * d + rng.normal(size=size)
    frame = pd.DataFrame(x, columns=[f"x{i}" for i in range(N_COVARIATES)])
    frame["treated"] = d
    frame["score"] = index  # the logit of the true propensity score
    frame["y"] = y
    return frame


@benchmark(
    "nn_matching_step",
    suite="matching",
    sizes=(10_000, 100_000, 1_000_000),
    baseline="sorted_search_lower_bound",
    description="1:1 NN without replacement, caliper 0.2 SD of the logit score, 10% treated: "
    "np.sort + np.searchsorted lower bound vs iej_impact core vs match()",
)
def nn_matching_step(size: int, timer) -> dict[str, object]:
    from iej_impact._nearest import focal_order, nearest_match
    from iej_impact.matching import match

    frame = _design(size)
    score = frame["score"].to_numpy()
    treated = frame["treated"].to_numpy() == 1
    caliper = 0.2 * float(np.std(score, ddof=1))
    with timer.step("match_step", tool="sorted_search_lower_bound"):
        sorted_controls = np.sort(score[~treated])
        position = np.searchsorted(sorted_controls, score[treated])
    with timer.step("match_step", tool="iej_impact_core"):
        order = focal_order(score[treated], "largest")
        mm = nearest_match(score, treated, order=order, caliper=caliper)
    with timer.step("match", tool="iej_impact.match"):
        res = match(frame, treatment="treated", covariates=[], distance="score", caliper=0.2)
    if not np.array_equal(mm, res.match_matrix):
        raise RuntimeError("the core and match() disagree on the same input")
    return {
        "rows": size,
        "treated": int(treated.sum()),
        "matched_treated": int((mm[:, 0] >= 0).sum()),
        "lower_bound_positions": int(position.shape[0]),
    }


@benchmark(
    "psm_pipeline",
    suite="matching",
    sizes=(10_000, 100_000, 1_000_000),
    description="psm(): logit propensity score on 12 covariates, 1:1 NN without replacement, caliper 0.2, "
    "ATT with Abadie-Imbens SE; then the balance table of the matched sample",
)
def psm_pipeline(size: int, timer) -> dict[str, object]:
    from iej_impact.matching import match

    frame = _design(size)
    covs = [f"x{i}" for i in range(N_COVARIATES)]
    with timer.step("match_with_score"):
        res = match(frame, treatment="treated", covariates=covs, distance="logit", caliper=0.2)
    with timer.step("estimate_abadie_imbens"):
        est = res.estimate("y", se="abadie_imbens")
    with timer.step("balance"):
        res.balance()
    return {"rows": size, "att": round(est.estimate, 4), "se": round(est.std_error, 4),
            "matched_treated": int(res.sample_sizes.loc["matched", "treated"])}
