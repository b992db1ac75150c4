"""Self-test suite of the benchmark harness: a trivial numpy benchmark with two competing tools.

Run it with ``python benchmarks/run.py --suite selftest``. It checks the harness end to end
(fresh process per size, step timing, tool ratios, peak memory) without touching iej_impact.
"""

from __future__ import annotations

import numpy as np

from benchmarks.run import benchmark


@benchmark(
    "sort_floats",
    suite="selftest",
    sizes=(10_000, 100_000, 1_000_000),
    baseline="np.sort",
    packages=("numpy",),
    description="order n uniform floats: np.sort vs np.argsort (plus gather); results must agree",
)
def sort_floats(size: int, timer) -> dict[str, object]:
    rng = np.random.default_rng(20180101)
    values = rng.random(size)  # untimed input
    with timer.step("order", tool="np.sort"):
        ordered = np.sort(values)
    with timer.step("order", tool="np.argsort"):
        ordered_via_index = values[np.argsort(values)]
    with timer.step("check"):
        agree = bool(np.array_equal(ordered, ordered_via_index))
    if not agree:
        raise RuntimeError("np.sort and np.argsort disagree on the same input")
    return {"input_mb": round(values.nbytes / 2**20, 3)}
