"""Matching suite: the nearest-neighbour matching step against a sorted-search lower bound, and psm().

Run from the repository root:

    .venv/bin/python benchmarks/run.py --suite matching                     # 1e4, 1e5, 1e6 rows
    .venv/bin/python benchmarks/run.py --suite matching --only nn_matching_step --sizes 1e6

Design: n rows, 10% treated, 12 covariates; 1:1 nearest neighbour without replacement,
largest score first, caliper 0.2 SD of the logit score. The *lower bound* is what any
nearest-neighbour matcher on a 1-D score must at least do: sort the controls' scores and
``np.searchsorted`` the treated scores into them. ``iej_impact_core`` is the greedy search of
``iej_impact.matching._nearest`` (sort by (score, row), greedy pass with the caliper); ``iej_impact.match`` adds
input checks, the discard rule, weights, pair ids and the sample-size table. The target is the
core within 3x of the lower bound. Every step gets the same score, so the timings exclude the
propensity model; ``psm_pipeline`` times the whole ``psm()`` call (score, matching, ATT,
Abadie-Imbens SE) separately.

``psm_vs_peers`` runs the reference PSM job (logit score on the 12 covariates, 1:1 nearest neighbour
without replacement, caliper 0.2 SD of the logit score, ATT and its SE) with iej_impact's ``psm()``
and with MatchIt (R), DoWhy, causalinference and psmpy, each tool in its own process
(``benchmarks/peers_matching.py`` / ``benchmarks/peers_matching.R``) on the same data written once
per size to a CSV file. The peers run with the Python of a separate virtualenv (``IEJ_PEERS_PYTHON``,
default ``/work/peers-venv/bin/python``: ``pip install dowhy causalinference psmpy`` there, never in
the project's environment) and with ``Rscript`` (``IEJ_RSCRIPT``; packages MatchIt, data.table,
sandwich, jsonlite). Each process gets ``PEER_TIMEOUT`` seconds and an address-space limit of
``PEER_MEMORY_MB`` (``prlimit --as``); a time-out, an allocation failure, a kill or an exception is
recorded with its message. A tool that failed at a smaller size in the same ``run.py`` invocation is
not run again ("not attempted"). Each record holds the tool's own job seconds (reading the CSV,
start-up and imports excluded; reading is ``read_seconds``), its peak RSS, its ATT and SE, iej_impact's
ATT on the same data (the design's, and under the tool's own convention where it differs), and
``ratio_vs_iej_psm`` = tool job seconds / iej_impact ``psm()`` seconds. What each tool does
differently from the design is in ``TOOL_DIFFERENCES`` and in its record.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.run import benchmark

N_COVARIATES = 12
SEED = 20180101
HERE = Path(__file__).resolve().parent


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
    from iej_impact import match
    from iej_impact.matching._nearest import focal_order, nearest_match

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
    from iej_impact import match

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


def _plain_newton_logit(z: np.ndarray, d: np.ndarray, tol: float = 1e-10) -> tuple[np.ndarray, int]:
    """A bare Newton-Raphson logit (no step control, no checks): the floor for any score fit."""
    beta = np.zeros(z.shape[1])
    for it in range(1, 61):
        p = 1.0 / (1.0 + np.exp(-(z @ beta)))
        zh = z * np.sqrt(p * (1.0 - p))[:, None]
        step = np.linalg.solve(zh.T @ zh, z.T @ (d - p))
        beta = beta + step
        if np.max(np.abs(step)) <= tol * (1.0 + np.max(np.abs(beta))):
            return beta, it
    return beta, 60


@benchmark(
    "score_fit",
    suite="matching",
    sizes=(1_000_000, 5_000_000),
    baseline="plain_newton",
    description="the logit propensity score of psm() (propensity_score(): design, Newton with step control, "
    "separation check, covariance) vs a bare numpy Newton logit on the same centred and scaled design",
)
def score_fit(size: int, timer) -> dict[str, object]:
    from iej_impact import propensity_score
    from iej_impact.observational._design import scaled_with_intercept

    frame = _design(size)
    covs = [f"x{i}" for i in range(N_COVARIATES)]
    z, _, _ = scaled_with_intercept(frame[covs].to_numpy(dtype=float), np.ones(size))
    d = frame["treated"].to_numpy(dtype=float)
    with timer.step("score", tool="plain_newton"):
        _, iterations = _plain_newton_logit(z, d)
    del z
    with timer.step("score", tool="iej_impact"):
        ps = propensity_score(frame, treatment="treated", covariates=covs)
    return {"rows": size, "plain_iterations": iterations, "iej_iterations": int(ps.iterations)}


# ----------------------------------------------------------------------------------------- psm_vs_peers

PEER_TIMEOUT = 300.0  # seconds per tool process (start-up, reading and the job)
PEER_MEMORY_MB = 8192  # address-space limit per tool process
#: (tool, runner): the order in which the tools run at each size; iej_impact first, for the ratios
TOOLS = (
    ("iej_impact", "project"),
    ("matchit", "r"),
    ("dowhy", "peers"),
    ("causalinference", "peers"),
    ("psmpy", "peers"),
    ("dowhy_bootstrap_se", "peers"),
)
TOOL_DIFFERENCES = {
    "iej_impact": "the design: psm(distance='logit', caliper=0.2): logit MLE score, 1:1 NN without replacement, "
    "largest score first, caliper 0.2 SD of the logit score, ATT with the Abadie-Imbens SE adjusted for the "
    "estimated score (2016); the balance table is timed separately",
    "matchit": "same job: glm logit score, matchit(method='nearest', caliper=0.2, std.caliper=TRUE, "
    "m.order='largest') on the linear predictor (passed as a numeric distance times 1e7, which sidesteps "
    "Debian's MatchIt 4.5.1 integer-abs bug and changes nothing else), ATT = lm(y ~ treated, weights) on "
    "match.data() with the pair-clustered SE (vcovCL, HC1) of the MatchIt vignette, not Abadie-Imbens",
    "dowhy": "backdoor.propensity_score_matching: scikit-learn LogisticRegression with its default L2 penalty "
    "(C=1), nearest control on the propensity score itself (not its logit), WITH replacement, no caliper "
    "(all treated matched); it also matches every control to a treated unit (for the ATC) whatever the target; "
    "no SE",
    "causalinference": "est_propensity() (logit MLE on the 12 covariates), then est_via_matching(matches=1) on "
    "the logit of that score (a second CausalModel whose only covariate is the score): WITH replacement, "
    "no caliper, ties all kept, controls also matched to treated units (ATC, ATE); ATT SE = its Abadie-Imbens "
    "form with the conservative (pooled) variance, score treated as known",
    "psmpy": "logistic_ps(balance=False) (scikit-learn liblinear, L2 penalty C=1 on the intercept too; logit "
    "clipped at p >= 0.9999), kdtree_matched(replacement=False) with the caliper 0.2 SD of its logit computed "
    "here (psmpy takes raw units), treated units in data order (not largest first); psmpy gives no effect: "
    "the ATT is the mean treated-minus-match difference computed here (in the timing), no SE",
    "dowhy_bootstrap_se": "as dowhy, plus DoWhy's standard error, obtained by bootstrapping the whole "
    "estimator (its default 399 resamples; the bootstrap is not valid for nearest-neighbour matching, "
    "Abadie & Imbens 2008)",
}
PIPELINE_TARGET = {"size": 1_000_000, "seconds": 5.0, "peak_rss_mb": 2048.0}
_STATE_ROOT = Path(tempfile.gettempdir()) / "iej_impact-bench-matching"


def _peers_python() -> str:
    return os.environ.get("IEJ_PEERS_PYTHON", "/work/peers-venv/bin/python")


def _rscript() -> str | None:
    return os.environ.get("IEJ_RSCRIPT") or shutil.which("Rscript")


def _tool_command(tool: str, runner: str, data: Path, result: Path) -> tuple[list[str] | None, str]:
    """The command that runs ``tool``, or None and the reason it cannot run here."""
    if runner == "r":
        rscript = _rscript()
        if rscript is None or not Path(rscript).exists():
            return None, "no Rscript found (install R with MatchIt, or set IEJ_RSCRIPT)"
        return [rscript, str(HERE / "peers_matching.R"), str(data), str(result)], "Rscript"
    python = sys.executable if runner == "project" else _peers_python()
    if not Path(python).exists():
        return None, f"no peers interpreter at {python} (set IEJ_PEERS_PYTHON)"
    label = "project interpreter" if runner == "project" else "peers interpreter"
    return [python, str(HERE / "peers_matching.py"), tool, str(data), str(result)], f"{label} {python}"


def _vm_hwm_mb(pid: int) -> float | None:
    """Peak resident memory (VmHWM) of a running process we started, in MB."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(float(line.split()[1]) / 1024, 1)
    return None


def _descendants(pid: int) -> list[int]:
    """Processes started by ``pid`` (and by them), read from /proc."""
    found: list[int] = []
    stack = [pid]
    while stack:
        parent = stack.pop()
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{parent}/task").iterdir():
                with contextlib.suppress(OSError):
                    children = [int(c) for c in (task / "children").read_text().split()]
                    found += children
                    stack += children
    return found


def _kill_tree(proc: subprocess.Popen[bytes]) -> None:
    for pid in [*_descendants(proc.pid), proc.pid]:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


def _limited(command: list[str], memory_mb: float) -> tuple[list[str], Any]:
    """The command under an address-space limit: ``prlimit --as`` where available, else setrlimit in the child."""
    limit = int(memory_mb * 2**20)
    prlimit = shutil.which("prlimit")
    if prlimit:
        return [prlimit, f"--as={limit}", "--", *command], None

    def set_limit() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return command, set_limit


def run_tool(tool: str, runner: str, data: Path, workdir: Path, *, timeout: float = PEER_TIMEOUT,
             memory_mb: float = PEER_MEMORY_MB) -> dict[str, Any]:
    """Run one tool on ``data`` in its own process; failures become the record's status, never an exception."""
    result = workdir / f"{tool}.json"
    record: dict[str, Any] = {"tool": tool, "status": "error", "message": None, "limit_seconds": timeout,
                              "memory_limit_mb": memory_mb, "load_average_before": _load()}
    command, how = _tool_command(tool, runner, data, result)
    record["runner"] = how
    if command is None:
        return record | {"status": "unavailable", "message": how}
    command, preexec = _limited(command, memory_mb)
    stderr_path = workdir / f"{tool}.stderr"
    sampled_peak: float | None = None
    timed_out = False
    start = time.perf_counter()
    with open(stderr_path, "wb") as stderr:
        proc = subprocess.Popen(command, cwd=HERE.parent, stdin=subprocess.DEVNULL, stdout=stderr, stderr=stderr,
                                preexec_fn=preexec)
        deadline = start + timeout
        while True:
            sampled_peak = _vm_hwm_mb(proc.pid) or sampled_peak
            try:
                proc.wait(timeout=0.25)
                break
            except subprocess.TimeoutExpired:
                if time.perf_counter() >= deadline:
                    timed_out = True
                    _kill_tree(proc)
                    proc.wait()
                    break
    record["process_seconds"] = round(time.perf_counter() - start, 3)
    record["returncode"] = proc.returncode
    reported: dict[str, Any] = {}
    if result.exists():
        with contextlib.suppress(json.JSONDecodeError):
            reported = json.loads(result.read_text(encoding="utf-8"))
    if timed_out:
        record.update(status="timeout", message=f"killed after {timeout:g} s (start-up, reading and the job)",
                      peak_rss_mb=sampled_peak, peak_rss_source="VmHWM sampled every 0.25 s until the kill")
        return record
    if reported:
        record.update({k: v for k, v in reported.items() if k not in ("tool", "pid")})
        record["peak_rss_source"] = "VmHWM reported by the tool process at its end"
        return record
    tail = stderr_path.read_text(errors="replace").strip().splitlines()[-4:]
    if proc.returncode == -signal.SIGKILL:
        record.update(status="memory_error", message="killed by SIGKILL without a time-out (the kernel's "
                      "out-of-memory killer): " + " | ".join(tail))
    else:
        record["message"] = f"exited with status {proc.returncode} without a result: " + " | ".join(tail)
    record.update(peak_rss_mb=sampled_peak, peak_rss_source="VmHWM sampled every 0.25 s")
    return record


def _load() -> list[float] | None:
    with contextlib.suppress(OSError, AttributeError):
        return [round(v, 2) for v in os.getloadavg()]
    return None


def _size_text(size: int) -> str:
    exponent = int(round(np.log10(size))) if size > 0 else 0
    return f"10^{exponent}" if 10**exponent == size else f"{size:,d}"


# Failures are remembered between the sizes of one run.py invocation, which runs every size in its own
# process: a small JSON file under the temporary directory, keyed by the harness process (pid and start
# time, so that a reused pid is not mistaken for it). Directories of finished invocations are removed.


def _harness_key() -> str | None:
    """``<pid>-<start time>`` of the run.py process that started this one, or None when run otherwise."""
    ppid = os.getppid()
    try:
        cmdline = Path(f"/proc/{ppid}/cmdline").read_bytes().split(b"\0")
        started = Path(f"/proc/{ppid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None
    if not any(part.endswith(b"run.py") for part in cmdline):
        return None
    return f"{ppid}-{started}"


def _alive(key: str) -> bool:
    pid, _, started = key.partition("-")
    try:
        return Path(f"/proc/{int(pid)}/stat").read_text().rsplit(")", 1)[1].split()[19] == started
    except (OSError, IndexError, ValueError):
        return False


def _failure_state() -> Path | None:
    key = _harness_key()
    if key is None:
        return None
    with contextlib.suppress(OSError):
        _STATE_ROOT.mkdir(exist_ok=True)
        for entry in _STATE_ROOT.iterdir():
            if entry.is_dir() and entry.name != key and not _alive(entry.name):
                shutil.rmtree(entry, ignore_errors=True)
        (_STATE_ROOT / key).mkdir(exist_ok=True)
        return _STATE_ROOT / key / "failures.json"
    return None


def _read_failures(path: Path | None) -> dict[str, dict[str, Any]]:
    if path is None or not path.exists():
        return {}
    with contextlib.suppress(OSError, json.JSONDecodeError):
        return json.loads(path.read_text(encoding="utf-8"))
    return {}


def _write_failures(path: Path | None, failures: dict[str, dict[str, Any]]) -> None:
    if path is None:
        return
    with contextlib.suppress(OSError):
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        tmp.write_text(json.dumps(failures), encoding="utf-8")
        os.replace(tmp, path)


@benchmark(
    "psm_vs_peers",
    suite="matching",
    sizes=(10_000, 100_000, 1_000_000),
    baseline="iej_impact",
    description="reference PSM job (logit score on 12 covariates, 1:1 NN without replacement, caliper 0.2 SD of the "
    "logit, ATT + SE): iej_impact psm() vs MatchIt, DoWhy, causalinference, psmpy, each in its own process on "
    "the same CSV (time-out 300 s, 8 GB address space); the step ratios are whole processes, "
    "info.ratios_vs_iej_psm the jobs",
)
def psm_vs_peers(size: int, timer) -> dict[str, object]:
    frame = _design(size).drop(columns="score")  # the true score stays out of every tool's reach
    frame.insert(0, "id", np.arange(size))
    state = _failure_state()
    failures = _read_failures(state)
    info: dict[str, Any] = {
        "rows": size,
        "treated": int(frame["treated"].sum()),
        "limits": {"timeout_seconds": PEER_TIMEOUT, "memory_limit_mb": PEER_MEMORY_MB,
                   "how": "prlimit --as" if shutil.which("prlimit") else "setrlimit(RLIMIT_AS) in the child"},
        "load_average_start": _load(),
        "failures_remembered_across_sizes": state is not None,
        "tools": {},
    }
    with tempfile.TemporaryDirectory(prefix="iej-bench-psm-") as tmp:
        data = Path(tmp) / "design.csv"
        with timer.step("write_csv"):
            frame.to_csv(data, index=False)
        info["data_file"] = {"format": "csv", "mb": round(data.stat().st_size / 2**20, 1),
                             "write_seconds": timer.steps[-1]["seconds"]}
        del frame
        for tool, runner in TOOLS:
            earlier = failures.get(tool)
            if earlier is not None and earlier["size"] < size:
                record = {"tool": tool, "status": "not_attempted",
                          "message": f"not attempted: failed at {_size_text(earlier['size'])} ({earlier['status']})"}
            else:
                with timer.step("tool_process", tool=tool):
                    record = run_tool(tool, runner, data, Path(tmp))
                if record["status"] not in ("ok", "unavailable"):
                    failures.setdefault(tool, {"size": size, "status": record["status"]})
                    _write_failures(state, failures)
            record["differs_from_design"] = TOOL_DIFFERENCES[tool]
            info["tools"][tool] = record
            timer.info(**info)  # kept if the harness kills this process
    _compare(info)
    info["load_average_end"] = _load()
    return info


def _compare(info: dict[str, Any]) -> None:
    """Add iej_impact's ATT on the same data and the time ratios to every tool's record."""
    ours = info["tools"].get("iej_impact", {})
    ok = ours.get("status") == "ok"
    conventions = ours.get("att_under_peer_conventions", {}) if ok else {}
    ratios: dict[str, float | None] = {}
    for tool, record in info["tools"].items():
        if tool == "iej_impact":
            continue
        record["att_iej_impact_design"] = ours.get("att") if ok else None
        # a tool with no convention of its own (MatchIt) does the design's job
        convention = conventions.get(tool.removesuffix("_bootstrap_se"), {"att": ours.get("att")}) if ok else None
        record["att_iej_impact_same_convention"] = None if convention is None else convention["att"]
        seconds = record.get("seconds") if record.get("status") == "ok" else None
        ratio = seconds / ours["seconds"] if ok and seconds is not None and ours["seconds"] > 0 else None
        record["ratio_vs_iej_psm"] = None if ratio is None else round(ratio, 3)
        ratios[tool] = record["ratio_vs_iej_psm"]
    info["ratios_vs_iej_psm"] = ratios
    if ok:
        info["iej_impact_pipeline"] = {
            "psm_seconds": ours["seconds"], "balance_seconds": ours["balance_seconds"],
            "pipeline_seconds": ours["pipeline_seconds"], "peak_rss_mb": ours["peak_rss_mb"],
            "target": PIPELINE_TARGET,
            "within_target": bool(ours["pipeline_seconds"] <= PIPELINE_TARGET["seconds"]
                                  and ours["peak_rss_mb"] is not None
                                  and ours["peak_rss_mb"] <= PIPELINE_TARGET["peak_rss_mb"]),
        }
