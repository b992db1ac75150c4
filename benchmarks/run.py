#!/usr/bin/env python
"""Benchmark harness: run registered benchmarks, one fresh process per (benchmark, size).

Usage (from the repository root)::

    python benchmarks/run.py [--suite NAME] [--only BENCH ...] [--sizes 1e4 1e5 1e6]
                             [--timeout SECONDS] [--memory-limit MB] [--out PATH] [--list] [--strict]

A suite is a module ``benchmarks/bench_<suite>.py`` whose functions are registered with
:func:`benchmark`. Each function takes ``(size, timer)``; it builds its inputs untimed and wraps
the work to measure in ``with timer.step("label", tool="name"):`` blocks. Every size runs in its
own subprocess, so the peak resident memory recorded is that run's alone, a crash or a time-out
cannot affect the next run, and imports are never cached between sizes.

Recorded per run: wall seconds per step (and per tool when several tools do the same step), the
peak RSS after each step and at the end (``getrusage(RUSAGE_SELF).ru_maxrss`` in the child), the
status ``ok | timeout | memory_error | error`` with a message, and anything the benchmark passes
to ``timer.info(...)``. The machine (CPUs, platform, Python, package versions, thread settings)
is recorded once. Results go to one JSON file (default ``benchmarks/results/<suite>.json``) and a
compact table is printed, with time ratios between tools within a benchmark.

Exit status: 0 when no run ended in ``error`` (time-outs and memory failures are recorded
outcomes, expected at large sizes), 1 when some run raised an error (or, with ``--strict``, when
any run is not ``ok``), 2 on a usage error (unknown suite, benchmark or option).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib.util
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:  # so that bench modules can `from benchmarks.run import benchmark`
    sys.path.insert(0, str(ROOT))

SCHEMA = "iej_impact-benchmarks/1"
DEFAULT_SIZES: tuple[int, ...] = (10_000, 100_000, 1_000_000)
DEFAULT_TIMEOUT = 900.0
STATUSES = ("ok", "timeout", "memory_error", "error")
#: packages whose versions are always recorded (plus each benchmark's own ``packages``)
RECORDED_PACKAGES = ("iej_impact", "numpy", "pandas", "scipy", "statsmodels", "scikit-learn", "linearmodels",
                     "pyarrow", "psutil")
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS",
                    "VECLIB_MAXIMUM_THREADS", "POLARS_MAX_THREADS")
BENCH_ATTRIBUTE = "__benchmark__"


# ----------------------------------------------------------------------------------------- registration


@dataclass(frozen=True)
class BenchmarkSpec:
    """A registered benchmark: its name, suite, default sizes and the tool ratios are taken against."""

    name: str
    func: Callable[..., object]
    suite: str | None
    sizes: tuple[int, ...]
    baseline: str | None
    packages: tuple[str, ...]
    description: str


def benchmark(
    name: str,
    *,
    suite: str | None = None,
    sizes: Sequence[int] = DEFAULT_SIZES,
    baseline: str | None = None,
    packages: Sequence[str] = (),
    description: str = "",
) -> Callable[[Callable[..., object]], Callable[..., object]]:
    """Register ``func(size, timer)`` as benchmark ``name``.

    Parameters
    ----------
    name : unique within its suite; the name used by ``--only``.
    suite : the suite, which must match the module name ``bench_<suite>.py`` (default: taken from it).
    sizes : default problem sizes (rows, units...), overridden by ``--sizes``.
    baseline : for steps timed with several tools, the tool the others are compared with
        (ratio = tool seconds / baseline seconds); default: the first tool timed for that step.
    packages : extra distributions whose versions are recorded (e.g. the competing tools).
    description : one line for the JSON file.

    The function may return a mapping, which is recorded with ``timer.info``.
    """
    if not isinstance(name, str) or not name or any(c.isspace() for c in name):
        raise ValueError(f"benchmark name must be a non-empty string without spaces; got {name!r}.")
    clean_sizes = tuple(int(s) for s in sizes)
    if not clean_sizes or any(s < 1 or s != float(t) for s, t in zip(clean_sizes, sizes, strict=True)):
        raise ValueError(f"benchmark {name!r}: sizes must be positive integers; got {tuple(sizes)!r}.")

    def register(func: Callable[..., object]) -> Callable[..., object]:
        spec = BenchmarkSpec(name=name, func=func, suite=suite, sizes=clean_sizes, baseline=baseline,
                             packages=tuple(packages), description=description)
        setattr(func, BENCH_ATTRIBUTE, spec)
        return func

    return register


def discover(bench_dir: Path, suite: str) -> tuple[ModuleType, list[BenchmarkSpec]]:
    """Import ``bench_dir/bench_<suite>.py`` and return its benchmarks, in definition order."""
    path = bench_dir / f"bench_{suite}.py"
    if not path.is_file():
        available = sorted(p.stem[len("bench_"):] for p in bench_dir.glob("bench_*.py"))
        raise UsageError(f"no suite {suite!r}: {path} does not exist. Available suites in {bench_dir}: "
                         f"{', '.join(available) or 'none'}.")
    if str(bench_dir) not in sys.path:
        sys.path.insert(1, str(bench_dir))
    module_spec = importlib.util.spec_from_file_location(f"bench_{suite}", path)
    if module_spec is None or module_spec.loader is None:
        raise UsageError(f"cannot import {path} as a Python module.")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[module_spec.name] = module
    module_spec.loader.exec_module(module)
    specs: list[BenchmarkSpec] = []
    for obj in vars(module).values():
        spec = getattr(obj, BENCH_ATTRIBUTE, None)
        # duck-typed: the module may hold a second copy of this file's classes (benchmarks.run vs __main__)
        if spec is None or not hasattr(spec, "func") or spec.func is not obj:
            continue
        if spec.suite not in (None, suite):
            raise UsageError(f"benchmark {spec.name!r} in {path.name} declares suite {spec.suite!r}; "
                             f"a benchmark belongs to the suite of its module ({suite!r}).")
        if any(s.name == spec.name for s in specs):
            raise UsageError(f"two benchmarks are named {spec.name!r} in {path.name}; names must be unique.")
        specs.append(spec)
    if not specs:
        raise UsageError(f"{path} registers no benchmark; decorate functions with @benchmark(...).")
    return module, specs


class UsageError(Exception):
    """A wrong command line or suite definition (exit status 2)."""


# ----------------------------------------------------------------------------------------- memory


def peak_rss_mb() -> float | None:
    """Peak resident set size of this process so far, in MB (None where it cannot be measured)."""
    try:
        import resource
    except ImportError:  # Windows
        try:
            import psutil

            return psutil.Process().memory_info().peak_wset / 2**20  # type: ignore[attr-defined]
        except (ImportError, AttributeError):
            return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes on macOS, KiB on Linux


def current_rss_mb() -> float | None:
    """Current resident set size in MB (psutil, else /proc on Linux)."""
    try:
        import psutil

        return psutil.Process().memory_info().rss / 2**20
    except ImportError:
        pass
    statm = Path("/proc/self/statm")
    if statm.exists():
        pages = int(statm.read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    return None


# ----------------------------------------------------------------------------------------- timer (child side)


class Timer:
    """Times named steps of one benchmark run; passed to the benchmark as ``timer``.

    ``with timer.step("fit", tool="iej_impact"):`` times the block (after a garbage collection,
    outside the timed region). Each (label, tool) pair may be timed once per run. Progress is
    written to the result file after each step, so a run killed by the time-out still reports the
    steps it finished and the one it was in.
    """

    def __init__(self, result_file: Path | None = None) -> None:
        self.result_file = result_file
        self.steps: list[dict[str, Any]] = []
        self.info_values: dict[str, Any] = {}
        self.current: dict[str, Any] | None = None
        self.started = time.perf_counter()

    @contextlib.contextmanager
    def step(self, label: str, *, tool: str | None = None) -> Iterator[None]:
        if self.current is not None:
            raise RuntimeError(f"timer.step({label!r}) opened inside step {self.current['label']!r}; steps do not nest.")
        if any(s["label"] == label and s["tool"] == tool for s in self.steps):
            raise RuntimeError(f"step {label!r} (tool {tool!r}) was already timed in this run; use distinct labels.")
        gc.collect()
        self.current = {"label": label, "tool": tool}
        self.flush("running")
        start = time.perf_counter()
        yield
        seconds = time.perf_counter() - start
        self.steps.append({"label": label, "tool": tool, "seconds": round(seconds, 6),
                           "peak_rss_mb": _round(peak_rss_mb())})
        self.current = None
        self.flush("running")

    def info(self, **values: object) -> None:
        """Record extra facts about the run (rows written, matches found...): JSON-safe values."""
        self.info_values.update(values)

    def snapshot(self, status: str) -> dict[str, Any]:
        return {"status": status, "steps": list(self.steps), "current_step": self.current,
                "info": dict(self.info_values), "pid": os.getpid(),
                "elapsed_seconds": round(time.perf_counter() - self.started, 6)}

    def flush(self, status: str, **extra: Any) -> None:
        if self.result_file is None:
            return
        payload = self.snapshot(status) | extra
        _write_json(self.result_file, payload)


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def _write_json(path: Path, payload: object) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def run_child(bench_dir: Path, suite: str, name: str, size: int, result_file: Path, memory_limit_mb: float | None) -> int:
    """Child process: run one benchmark at one size and write its outcome to ``result_file``."""
    if memory_limit_mb is not None:
        import resource

        limit = int(memory_limit_mb * 2**20)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    timer = Timer(result_file)
    rss_start = current_rss_mb()
    try:
        _, specs = discover(bench_dir, suite)
        spec = next(s for s in specs if s.name == name)
        timer.started = time.perf_counter()
        returned = spec.func(size, timer)
        if isinstance(returned, Mapping):
            timer.info(**{str(k): v for k, v in returned.items()})
        status, message, trace = "ok", None, None
    except MemoryError as exc:
        status, message, trace = "memory_error", _exception_message(exc, timer), _trace()
    except Exception as exc:  # a benchmark's failure is a recorded outcome, not a crash of the harness
        status, message, trace = "error", _exception_message(exc, timer), _trace()
    timer.flush(status, message=message, traceback=trace, peak_rss_mb=_round(peak_rss_mb()),
                rss_at_start_mb=_round(rss_start), wall_seconds=round(time.perf_counter() - timer.started, 6),
                final=True)
    return 0


def _exception_message(exc: BaseException, timer: Timer) -> str:
    where = f" in step {timer.current['label']!r}" if timer.current else ""
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}{where}: {text}"


def _trace(limit: int = 8) -> str:
    return "".join(traceback.format_exc(limit=-limit)).strip()


# ----------------------------------------------------------------------------------------- parent side


def machine_info(packages: Sequence[str]) -> dict[str, Any]:
    """The machine and software a benchmark file was produced on."""
    info: dict[str, Any] = {
        "platform": platform.platform(),
        "system": platform.system(),
        "machine": platform.machine(),
        "processor": platform.processor() or None,
        "cpu_model": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpu_available": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "memory_total_mb": None,
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "thread_settings": {k: os.environ.get(k) for k in THREAD_VARIABLES},
        "packages": {},
        "git_commit": _git_commit(),
    }
    try:
        import psutil

        info["memory_total_mb"] = round(psutil.virtual_memory().total / 2**20)
    except ImportError:
        pass
    for pkg in dict.fromkeys([*RECORDED_PACKAGES, *packages]):
        try:
            info["packages"][pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            info["packages"][pkg] = None
    return info


def _cpu_model() -> str | None:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    return None


def _git_commit() -> str | None:
    try:
        done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def tool_ratios(steps: Sequence[Mapping[str, Any]], baseline: str | None) -> list[dict[str, Any]]:
    """For each step label timed with two or more tools: seconds of each tool / seconds of the baseline tool."""
    out: list[dict[str, Any]] = []
    labels = list(dict.fromkeys(s["label"] for s in steps))
    for label in labels:
        timed = [s for s in steps if s["label"] == label and s["tool"] is not None]
        if len(timed) < 2:
            continue
        base = next((s for s in timed if s["tool"] == baseline), timed[0])
        for s in timed:
            ratio = s["seconds"] / base["seconds"] if base["seconds"] > 0 else None
            out.append({"label": label, "tool": s["tool"], "baseline": base["tool"],
                        "ratio": None if ratio is None else round(ratio, 4)})
    return out


def run_one(spec: BenchmarkSpec, suite: str, size: int, bench_dir: Path, timeout: float,
            memory_limit_mb: float | None) -> dict[str, Any]:
    """Run one (benchmark, size) in a fresh interpreter and return its record."""
    with tempfile.TemporaryDirectory(prefix="iej-bench-") as tmp:
        result_file = Path(tmp) / "result.json"
        cmd = [sys.executable, str(Path(__file__).resolve()), "--child", "--bench-dir", str(bench_dir),
               "--suite", suite, "--bench", spec.name, "--size", str(size), "--result-file", str(result_file)]
        if memory_limit_mb is not None:
            cmd += ["--memory-limit", str(memory_limit_mb)]
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=(os.name == "posix"))
        timed_out = False
        try:
            _, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill(proc)
            _, stderr = proc.communicate()
        process_seconds = time.perf_counter() - started
        child: dict[str, Any] = {}
        if result_file.exists():
            with contextlib.suppress(json.JSONDecodeError):
                child = json.loads(result_file.read_text(encoding="utf-8"))

    record: dict[str, Any] = {
        "benchmark": spec.name,
        "size": size,
        "status": "error",
        "message": None,
        "wall_seconds": child.get("wall_seconds"),
        "process_seconds": round(process_seconds, 4),
        "steps": child.get("steps", []),
        "peak_rss_mb": child.get("peak_rss_mb"),
        "rss_at_start_mb": child.get("rss_at_start_mb"),
        "info": child.get("info", {}),
        "ratios": [],
        "pid": child.get("pid", proc.pid),
        "returncode": proc.returncode,
    }
    done = [f"{s['label']}" + (f" [{s['tool']}]" if s["tool"] else "") for s in record["steps"]]
    current = child.get("current_step")
    if timed_out:
        record["status"] = "timeout"
        where = f" during step {current['label']!r}" + (f" [{current['tool']}]" if current and current["tool"] else "") \
            if current else ""
        record["message"] = f"killed after {timeout:g} s{where}; steps finished: {', '.join(done) or 'none'}."
    elif child.get("final"):
        record["status"] = child["status"]
        record["message"] = child.get("message")
        if child.get("traceback"):
            record["traceback"] = child["traceback"]
    elif proc.returncode is not None and proc.returncode < 0 and -proc.returncode == getattr(signal, "SIGKILL", 9):
        record["status"] = "memory_error"
        record["message"] = ("the process was killed by SIGKILL without a time-out, most likely by the kernel's "
                             f"out-of-memory killer; steps finished: {', '.join(done) or 'none'}.")
    else:
        tail = "\n".join((stderr or "").strip().splitlines()[-12:])
        record["message"] = f"the benchmark process exited with status {proc.returncode} before reporting: {tail}"
    record["ratios"] = tool_ratios(record["steps"], spec.baseline)
    return record


def _kill(proc: subprocess.Popen[str]) -> None:
    """Kill the child we started (and its own children, which share its process group on POSIX)."""
    if os.name == "posix":
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    else:
        proc.kill()


# ----------------------------------------------------------------------------------------- output


def _fmt_size(n: int) -> str:
    return f"{n:,d}"


def _fmt_seconds(s: float | None) -> str:
    if s is None:
        return "-"
    return f"{s:.4f}" if s < 10 else f"{s:.1f}"


def format_table(payload: Mapping[str, Any]) -> str:
    """The compact text table printed at the end of a run."""
    m = payload["machine"]
    lines = [
        f"suite {payload['suite']}: {m['platform']}, {m['cpu_available']}/{m['cpu_count']} CPUs, "
        f"Python {m['python']}" + (f", {m['memory_total_mb']:,} MB RAM" if m.get("memory_total_mb") else ""),
    ]
    header = ["benchmark", "size", "status", "step", "tool", "seconds", "ratio", "peak MB"]
    rows: list[list[str]] = []
    for run in payload["runs"]:
        ratio = {(r["label"], r["tool"]): r["ratio"] for r in run["ratios"]}
        first = [run["benchmark"], _fmt_size(run["size"]), run["status"]]
        peak = "-" if run["peak_rss_mb"] is None else f"{run['peak_rss_mb']:.1f}"
        steps = run["steps"] or [{"label": "-", "tool": None, "seconds": None}]
        for i, s in enumerate(steps):
            r = ratio.get((s["label"], s["tool"]))
            rows.append((first if i == 0 else ["", "", ""]) + [
                s["label"], s["tool"] or "", _fmt_seconds(s["seconds"]), "" if r is None else f"{r:.2f}x",
                peak if i == 0 else "",
            ])
        if run["status"] != "ok" and run["message"]:
            message = run["message"] if len(run["message"]) <= 160 else run["message"][:157] + "..."
            rows.append(["", "", "", f"-> {message}", "", "", "", ""])
    widths = [max(len(header[j]), *(len(r[j]) for r in rows if not r[3].startswith("-> "))) for j in range(len(header))]
    right = {1, 5, 6, 7}

    def line(cells: Sequence[str]) -> str:
        if cells[3].startswith("-> "):
            return " " * (sum(widths[:3]) + 6) + cells[3]
        return "  ".join(c.rjust(widths[j]) if j in right else c.ljust(widths[j]) for j, c in enumerate(cells)).rstrip()

    lines.append(line(header))
    lines.append("  ".join("-" * w for w in widths))
    lines += [line(r) for r in rows]
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------- command line


def _size(text: str) -> int:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"size {text!r} is not a number (write e.g. 10000 or 1e4)") from None
    if value < 1 or value != int(value):
        raise argparse.ArgumentTypeError(f"size {text!r} must be a positive whole number")
    return int(value)


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be > 0")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python benchmarks/run.py",
        description="Run the benchmarks of a suite (benchmarks/bench_<suite>.py), each size in a fresh process.",
    )
    parser.add_argument("--suite", default="foundation", help="suite name: runs benchmarks/bench_<suite>.py "
                        "(default: foundation)")
    parser.add_argument("--only", nargs="+", metavar="BENCH", help="run only these benchmarks of the suite")
    parser.add_argument("--sizes", nargs="+", type=_size, metavar="N",
                        help="problem sizes for every selected benchmark (e.g. 1e4 1e5 1e6); default: each benchmark's own")
    parser.add_argument("--timeout", type=_positive, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                        help=f"wall-clock limit per (benchmark, size) process (default {DEFAULT_TIMEOUT:g})")
    parser.add_argument("--memory-limit", type=_positive, metavar="MB",
                        help="address-space limit per process (RLIMIT_AS, POSIX); exceeding it is recorded as memory_error")
    parser.add_argument("--out", type=Path, metavar="PATH", help="JSON output (default benchmarks/results/<suite>.json)")
    parser.add_argument("--bench-dir", type=Path, default=HERE, help=argparse.SUPPRESS)
    parser.add_argument("--list", action="store_true", help="list the suite's benchmarks and their default sizes, then exit")
    parser.add_argument("--strict", action="store_true", help="exit with status 1 when any run is not ok")
    # child mode (internal)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--bench", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--result-file", type=Path, help=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    bench_dir = args.bench_dir.resolve()
    if args.child:
        return run_child(bench_dir, args.suite, args.bench, args.size, args.result_file, args.memory_limit)
    try:
        _, specs = discover(bench_dir, args.suite)
        if args.only:
            unknown = [n for n in args.only if n not in {s.name for s in specs}]
            if unknown:
                raise UsageError(f"unknown benchmark(s) {unknown} in suite {args.suite!r}; "
                                 f"available: {[s.name for s in specs]}.")
            specs = [s for s in specs if s.name in args.only]
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.list:
        for s in specs:
            print(f"{s.name}: sizes {', '.join(map(_fmt_size, s.sizes))}" + (f" - {s.description}" if s.description else ""))
        return 0

    out = args.out or HERE / "results" / f"{args.suite}.json"
    packages = [p for s in specs for p in s.packages]
    payload: dict[str, Any] = {
        "schema": SCHEMA,
        "suite": args.suite,
        "created_utc": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": ["python", "benchmarks/run.py", *(argv if argv is not None else sys.argv[1:])],
        "options": {"sizes": args.sizes, "timeout_seconds": args.timeout, "memory_limit_mb": args.memory_limit,
                    "only": args.only},
        "machine": machine_info(packages),
        "benchmarks": [{"name": s.name, "sizes": list(s.sizes), "baseline": s.baseline, "description": s.description}
                       for s in specs],
        "runs": [],
    }
    for spec in specs:
        for size in args.sizes or spec.sizes:
            print(f"[{args.suite}] {spec.name} n={_fmt_size(size)} ...", end=" ", file=sys.stderr, flush=True)
            record = run_one(spec, args.suite, size, bench_dir, args.timeout, args.memory_limit)
            print(f"{record['status']} ({record['process_seconds']:.1f} s)", file=sys.stderr, flush=True)
            payload["runs"].append(record)

    out.parent.mkdir(parents=True, exist_ok=True)
    _write_json(out, payload)
    print(format_table(payload))
    print(f"\nwritten: {out}")
    statuses = [r["status"] for r in payload["runs"]]
    if "error" in statuses or (args.strict and any(s != "ok" for s in statuses)):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
