"""The benchmark harness (benchmarks/run.py): fresh process per size, JSON record, recorded failures."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RUN = ROOT / "benchmarks" / "run.py"

FAULTY_SUITE = textwrap.dedent(
    """
    import time

    from benchmarks.run import benchmark


    @benchmark("quick", sizes=(5,), baseline="b")
    def quick(size, timer):
        with timer.step("add", tool="a"):
            sum(range(size))
        with timer.step("add", tool="b"):
            sum(list(range(size)))
        timer.info(note="fine")


    @benchmark("sleeper", sizes=(5,))
    def sleeper(size, timer):
        with timer.step("setup"):
            pass
        with timer.step("sleep"):
            time.sleep(120)


    @benchmark("raiser", sizes=(5,))
    def raiser(size, timer):
        with timer.step("divide"):
            return 1 / 0


    @benchmark("hog", sizes=(5,))
    def hog(size, timer):
        with timer.step("allocate"):
            bytearray(2**62)


    @benchmark("limited", sizes=(5,))
    def limited(size, timer):
        with timer.step("allocate"):
            bytearray(2**30)
    """
)


def harness(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(RUN), *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def faulty_dir(tmp_path) -> Path:
    d = tmp_path / "suites"
    d.mkdir()
    (d / "bench_faulty.py").write_text(FAULTY_SUITE, encoding="utf-8")
    return d


def test_selftest_suite_records_steps_tools_memory_and_machine(tmp_path):
    out = tmp_path / "selftest.json"
    done = harness("--suite", "selftest", "--sizes", "1e3", "2000", "--timeout", "60", "--out", str(out))
    assert done.returncode == 0, done.stderr
    payload = json.loads(out.read_text(encoding="utf-8"))
    assert payload["schema"] == "iej_impact-benchmarks/1" and payload["suite"] == "selftest"
    machine = payload["machine"]
    for key in ("cpu_count", "platform", "python", "packages", "thread_settings"):
        assert key in machine
    assert machine["cpu_count"] >= 1 and machine["packages"]["numpy"]
    runs = payload["runs"]
    assert [(r["benchmark"], r["size"], r["status"]) for r in runs] == [("sort_floats", 1000, "ok"),
                                                                        ("sort_floats", 2000, "ok")]
    # each size ran in its own interpreter
    assert runs[0]["pid"] != runs[1]["pid"]
    for run in runs:
        assert run["message"] is None
        assert [(s["label"], s["tool"]) for s in run["steps"]] == [("order", "np.sort"), ("order", "np.argsort"),
                                                                   ("check", None)]
        assert all(s["seconds"] >= 0 for s in run["steps"])
        assert run["peak_rss_mb"] > 5 and run["wall_seconds"] >= sum(s["seconds"] for s in run["steps"])
        ratios = {r["tool"]: r for r in run["ratios"]}
        assert ratios["np.sort"]["ratio"] == 1.0 and ratios["np.argsort"]["baseline"] == "np.sort"
        argsort = next(s for s in run["steps"] if s["tool"] == "np.argsort")["seconds"]
        sort = next(s for s in run["steps"] if s["tool"] == "np.sort")["seconds"]
        assert ratios["np.argsort"]["ratio"] == pytest.approx(argsort / sort, rel=1e-3)
        assert run["info"] == {"input_mb": round(run["size"] * 8 / 2**20, 3)}
    # the printed table shows each tool and its ratio
    assert "np.argsort" in done.stdout and "1.00x" in done.stdout


def test_timeout_error_and_memory_failures_are_recorded(tmp_path, faulty_dir):
    out = tmp_path / "faulty.json"
    done = harness("--bench-dir", str(faulty_dir), "--suite", "faulty", "--only", "quick", "sleeper", "raiser", "hog",
                   "--timeout", "3", "--out", str(out))
    # an erroring benchmark makes the exit status 1, but every run is recorded
    assert done.returncode == 1, done.stderr
    runs = {r["benchmark"]: r for r in json.loads(out.read_text(encoding="utf-8"))["runs"]}
    assert set(runs) == {"quick", "sleeper", "raiser", "hog"}

    quick = runs["quick"]
    assert quick["status"] == "ok" and quick["info"] == {"note": "fine"}
    assert {r["tool"]: r["baseline"] for r in quick["ratios"]} == {"a": "b", "b": "b"}

    sleeper = runs["sleeper"]
    assert sleeper["status"] == "timeout"
    assert [s["label"] for s in sleeper["steps"]] == ["setup"]
    assert "killed after 3 s during step 'sleep'" in sleeper["message"]
    assert 3 <= sleeper["process_seconds"] < 30

    raiser = runs["raiser"]
    assert raiser["status"] == "error"
    assert raiser["message"] == "ZeroDivisionError in step 'divide': division by zero"
    assert "1 / 0" in raiser["traceback"]

    hog = runs["hog"]
    assert hog["status"] == "memory_error" and "MemoryError in step 'allocate'" in hog["message"]
    assert "faulty" in done.stdout and "timeout" in done.stdout and "-> ZeroDivisionError" in done.stdout


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS semantics are Linux-specific")
def test_memory_limit_turns_large_allocation_into_memory_error(tmp_path, faulty_dir):
    out = tmp_path / "limited.json"
    done = harness("--bench-dir", str(faulty_dir), "--suite", "faulty", "--only", "limited", "--memory-limit", "300",
                   "--out", str(out))
    assert done.returncode == 0, done.stderr
    (run,) = json.loads(out.read_text(encoding="utf-8"))["runs"]
    assert run["status"] == "memory_error"
    assert json.loads(out.read_text(encoding="utf-8"))["options"]["memory_limit_mb"] == 300


def test_usage_errors_exit_2_and_name_the_choices(faulty_dir):
    done = harness("--bench-dir", str(faulty_dir), "--suite", "nosuch")
    assert done.returncode == 2 and "Available suites" in done.stderr and "faulty" in done.stderr
    done = harness("--bench-dir", str(faulty_dir), "--suite", "faulty", "--only", "quik")
    assert done.returncode == 2 and "['quik']" in done.stderr and "'quick'" in done.stderr
    done = harness("--suite", "selftest", "--sizes", "0.5")
    assert done.returncode == 2 and "positive whole number" in done.stderr
    listed = harness("--suite", "selftest", "--list")
    assert listed.returncode == 0 and "sort_floats: sizes 10,000, 100,000, 1,000,000" in listed.stdout


def test_a_benchmark_declaring_another_suite_is_refused(tmp_path):
    d = tmp_path / "suites"
    d.mkdir()
    (d / "bench_one.py").write_text(
        "from benchmarks.run import benchmark\n\n@benchmark('x', suite='two')\ndef x(size, timer):\n    pass\n",
        encoding="utf-8",
    )
    done = harness("--bench-dir", str(d), "--suite", "one")
    assert done.returncode == 2 and "declares suite 'two'" in done.stderr
