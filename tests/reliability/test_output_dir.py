"""Output directories of `iej-impact run` / `simulate`: never delete what the run did not write.

Cases: C62-C70, R06, R07, S07 (what --force may replace, checked before any estimation),
K1-K6 (signals, temp dirs left by killed runs) and CR1-CR4. Every test works in
``tmp_path`` (the current directory is moved there too).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

import iej_impact
from iej_impact import _output_dir, simulate_cohort
from iej_impact import runner as runner_mod
from iej_impact._output_dir import MARKER, check_output_dir, staged
from iej_impact.cli import main

SRC = Path(iej_impact.__file__).resolve().parents[1]


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every entry below ``folder`` with its bytes (None for folders)."""
    return {p.relative_to(folder).as_posix(): (p.read_bytes() if p.is_file() else None)
            for p in sorted(folder.rglob("*"))}


def make_project(folder: Path, *, output_dir: str = "out", data: str = "data.csv", n: int = 150,
                 analyses: list[str] = ("employed_12m",)) -> Path:
    """A config reading a CSV file (precious input) beside it; returns the config path."""
    folder.mkdir(parents=True, exist_ok=True)
    data_path = folder / data
    data_path.parent.mkdir(parents=True, exist_ok=True)
    simulate_cohort(n, seed=5, panel="none").persons.to_csv(data_path, index=False)
    cfg = {
        "version": 1,
        "project": {"name": "t", "output_dir": output_dir, "seed": 1},
        "data": {"path": data},
        "sample": {"treatment": "treated"},
        "analyses": [{"name": f"naive_{o}", "estimator": "difference_in_means", "outcome": o} for o in analyses],
        "report": {"title": "T", "language": "en", "formats": []},
    }
    path = folder / "cfg.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def never_load(monkeypatch):
    """Fail the test if the run gets as far as reading the data (the check must come first)."""
    calls = []
    monkeypatch.setattr(runner_mod, "load_run_data", lambda cfg: calls.append(cfg) or pytest.fail("data loaded"))
    return calls


def run_cli(*args: str) -> int:
    return main([str(a) for a in args])


# --- what --force may replace -----------------------------------------------------------------

def test_C62_C63_output_dir_dot_is_the_config_folder_never_replaced(tmp_path, capsys, never_load):
    cfg = make_project(tmp_path / "p", output_dir=".")
    before = snapshot(tmp_path / "p")
    for extra in ([], ["--force"]):
        assert run_cli("run", cfg, *extra) == 2
        err = capsys.readouterr().err
        assert "project.output_dir" in err and "Traceback" not in err
        assert "cfg.yaml" in err and "never replaced" in err
    assert snapshot(tmp_path / "p") == before


def test_C64_output_dir_holding_the_data_is_refused(tmp_path, capsys, never_load):
    cfg = make_project(tmp_path / "p", output_dir="inputs", data="inputs/data.csv")
    (tmp_path / "p" / "inputs" / "notes.txt").write_text("mine")
    before = snapshot(tmp_path / "p")
    assert run_cli("run", cfg, "--force") == 2
    err = capsys.readouterr().err
    assert "project.output_dir" in err and "data.csv" in err
    assert snapshot(tmp_path / "p") == before


def test_C65_output_dir_that_is_the_data_file_is_refused(tmp_path, capsys, never_load):
    cfg = make_project(tmp_path / "p", output_dir="data.csv")
    before = snapshot(tmp_path / "p")
    assert run_cli("run", cfg, "--force") == 2
    err = capsys.readouterr().err
    assert "project.output_dir" in err and "data.csv" in err
    assert snapshot(tmp_path / "p") == before
    assert not list((tmp_path / "p").glob(".data.csv.*"))


def test_R07_output_dir_option_naming_the_config_folder_is_refused(tmp_path, capsys, never_load):
    cfg = make_project(tmp_path / "R07")
    (tmp_path / "R07" / "precious.txt").write_text("x")
    before = snapshot(tmp_path / "R07")
    assert run_cli("run", cfg, "--output-dir", tmp_path / "R07", "--force") == 2
    assert "--output-dir" in capsys.readouterr().err
    assert snapshot(tmp_path / "R07") == before


def test_R06_output_dir_is_the_current_directory(tmp_path, monkeypatch, capsys, never_load):
    cfg = make_project(tmp_path / "cfgdir")
    work = tmp_path / "a" / "work"
    work.mkdir(parents=True)
    (work / "keep.txt").write_text("x")
    monkeypatch.chdir(work)
    assert run_cli("run", cfg, "--output-dir", ".", "--force") == 2
    err = capsys.readouterr().err
    assert "--output-dir" in err and "current directory" in err and "Traceback" not in err
    assert (work / "keep.txt").read_text() == "x"
    # a folder holding the current directory is refused as well
    assert run_cli("run", cfg, "--output-dir", "..", "--force") == 2
    assert "holding the current directory" in capsys.readouterr().err
    assert (work / "keep.txt").exists() and (tmp_path / "cfgdir" / "data.csv").exists()


def test_S07_simulate_into_the_current_directory_with_force_is_refused(tmp_path, monkeypatch, capsys):
    work = tmp_path / "S07"
    (work / "sub").mkdir(parents=True)
    (work / "precious.txt").write_text("x")
    (work / "sub" / "also.txt").write_text("y")
    before = snapshot(work)
    monkeypatch.chdir(work)
    calls = []
    monkeypatch.setattr("iej_impact.datasets.synthetic._cohort.simulate_cohort", lambda *a, **k: calls.append(1))
    assert run_cli("simulate", "--output-dir", ".", "--n-participants", "50", "--force") == 2
    err = capsys.readouterr().err
    assert "--output-dir" in err and "Traceback" not in err
    assert snapshot(work) == before and not calls
    # 'sub' is not the cwd but holds files iej-impact did not write
    assert run_cli("simulate", "--output-dir", "sub", "--n-participants", "50", "--force") == 2
    assert "not written by iej-impact" in capsys.readouterr().err
    assert snapshot(work) == before


def test_folder_without_the_marker_is_refused_with_a_way_forward(tmp_path, capsys, never_load):
    """A folder iej-impact did not write (or wrote before markers existed): the message says what to do."""
    cfg = make_project(tmp_path / "p")
    (tmp_path / "p" / "out" / "figures").mkdir(parents=True)
    (tmp_path / "p" / "out" / "results.json").write_text("{}")
    before = snapshot(tmp_path / "p")
    assert run_cli("run", cfg, "--force") == 2
    err = capsys.readouterr().err
    assert "project.output_dir" in err and MARKER in err and "remove it yourself" in err
    assert snapshot(tmp_path / "p") == before


def test_symlinked_output_dir_is_refused(tmp_path, capsys, never_load):
    cfg = make_project(tmp_path / "p")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "p" / "out").symlink_to(tmp_path / "elsewhere")
    assert run_cli("run", cfg, "--force") == 2
    assert "symbolic link" in capsys.readouterr().err
    assert (tmp_path / "p" / "out").is_symlink()


def test_previous_run_is_replaced_with_force_and_its_old_content_is_gone(tmp_path, capsys):
    cfg = make_project(tmp_path / "p", analyses=["employed_12m"])
    out = tmp_path / "p" / "out"
    assert run_cli("run", cfg) == 0
    marker = json.loads((out / MARKER).read_text())
    assert marker["tool"] == "iej_impact" and marker["kind"] == "run" and marker["version"] == iej_impact.__version__
    assert {"results.json", "manifest.json", "tables/naive_employed_12m.csv"} <= set(marker["files"])
    assert run_cli("run", cfg) == 2  # still needs --force
    make_project(tmp_path / "p", analyses=["training_6m"])
    assert run_cli("run", cfg, "--force") == 0
    assert not (out / "tables" / "naive_employed_12m.csv").exists()
    assert (out / "tables" / "naive_training_6m.csv").exists()
    assert set(json.loads((out / "results.json").read_text())["results"]) == {"naive_training_6m"}
    assert [p.name for p in (tmp_path / "p").iterdir() if p.name.startswith(".")] == []
    assert (tmp_path / "p" / "data.csv").exists() and cfg.exists()


def test_previous_run_holding_a_file_it_did_not_write_is_refused(tmp_path, capsys):
    cfg = make_project(tmp_path / "p")
    out = tmp_path / "p" / "out"
    assert run_cli("run", cfg) == 0
    (out / "tables" / "my_notes.txt").write_text("mine")
    (out / ".DS_Store").write_text("finder")  # operating-system droppings do not count
    capsys.readouterr()
    assert run_cli("run", cfg, "--force") == 2
    err = capsys.readouterr().err
    assert "tables/my_notes.txt" in err and ".DS_Store" not in err
    assert (out / "tables" / "my_notes.txt").read_text() == "mine"


def test_simulate_writes_the_marker_and_replaces_only_its_own_output(tmp_path, capsys):
    out = tmp_path / "cohort"
    assert run_cli("simulate", "--output-dir", out, "--n-participants", "60") == 0
    marker = json.loads((out / MARKER).read_text())
    assert marker["kind"] == "simulate" and "persons.csv" in marker["files"]
    assert run_cli("simulate", "--output-dir", out, "--n-participants", "60", "--seed", "9", "--force") == 0
    assert json.loads((out / "truth.json").read_text())["seed"] == 9


def test_run_api_applies_the_same_rules(tmp_path):
    cfg = make_project(tmp_path / "p")
    with pytest.raises(iej_impact.ConfigError, match="holds the run.s input"):
        iej_impact.run(cfg, output_dir=tmp_path / "p", force=True)
    assert (tmp_path / "p" / "data.csv").exists()
    res = iej_impact.run(cfg, output_dir=tmp_path / "o")
    assert (res.output_dir / MARKER).exists()


# --- checks before estimating ---------------------------------------------------------------

def test_C66_parent_is_a_file_refused_before_reading_data(tmp_path, capsys, never_load):
    cfg = make_project(tmp_path / "p", output_dir="data.csv/out")
    assert run_cli("run", cfg) == 2
    err = capsys.readouterr().err
    assert "project.output_dir" in err and "is a file, not a folder" in err and "internal error" not in err
    assert (tmp_path / "p" / "data.csv").is_file()


@pytest.mark.parametrize("how", ["option", "config"])
def test_C67_empty_output_dir_is_refused(tmp_path, capsys, never_load, how):
    cfg = make_project(tmp_path / "p", output_dir="" if how == "config" else "out")
    extra = ["--output-dir", ""] if how == "option" else []
    assert run_cli("run", cfg, *extra, "--force") == 2
    err = capsys.readouterr().err
    assert ("--output-dir" if how == "option" else "project.output_dir") in err and "empty" in err
    assert run_cli("simulate", "--output-dir", "", "--force") == 2
    assert "--output-dir" in capsys.readouterr().err


def _immutable(path: Path) -> bool:
    """chattr +i (root on ext4 & co.); False where unavailable."""
    if shutil.which("chattr") is None:
        return False
    return subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode == 0


def test_C69_unwritable_parent_refused_before_reading_data(tmp_path, capsys, monkeypatch, never_load):
    cfg = make_project(tmp_path / "p", output_dir="ro/out")
    ro = tmp_path / "p" / "ro"
    ro.mkdir()
    locked = _immutable(ro)
    if not locked:  # no chattr here: make the write probe fail as it would
        def deny(*a, **k):
            raise PermissionError(13, "Permission denied")
        monkeypatch.setattr(_output_dir.tempfile, "mkstemp", deny)
    try:
        assert run_cli("run", cfg) == 2
    finally:
        if locked:
            subprocess.run(["chattr", "-i", str(ro)], check=True)
    err = capsys.readouterr().err
    assert "project.output_dir" in err and "cannot be written" in err and "internal error" not in err
    assert list(ro.iterdir()) == []


def test_C69b_existing_output_that_cannot_be_moved(tmp_path, capsys):
    cfg = make_project(tmp_path / "p")
    prev = tmp_path / "p" / "out"
    assert run_cli("run", cfg) == 0
    before = snapshot(prev)
    if not _immutable(prev):
        pytest.skip("chattr +i unavailable")
    try:
        assert run_cli("run", cfg, "--force") == 2
    finally:
        subprocess.run(["chattr", "-i", str(prev)], check=True)
    err = capsys.readouterr().err
    assert "project.output_dir" in err and "cannot be replaced" in err and "internal error" not in err
    assert snapshot(prev) == before
    assert [p.name for p in prev.parent.iterdir() if p.name.startswith(".out")] == []


def test_C69b_move_aside_failing_at_the_end_leaves_previous_intact(tmp_path, capsys, monkeypatch):
    """If setting the previous output aside fails at swap time (after the checks), exit 2, prev intact."""
    cfg = make_project(tmp_path / "p")
    prev = tmp_path / "p" / "out"
    assert run_cli("run", cfg) == 0
    before = snapshot(prev)
    real_rename = os.rename

    def rename(src, dst):
        if Path(src) == prev:
            raise PermissionError(1, "Operation not permitted")
        return real_rename(src, dst)

    monkeypatch.setattr(_output_dir.os, "rename", rename)
    assert run_cli("run", cfg, "--force") == 2
    err = capsys.readouterr().err
    assert "cannot be moved aside" in err and "left as it was" in err
    assert snapshot(prev) == before
    assert [p.name for p in prev.parent.iterdir() if p.name.startswith(".out")] == []


def test_CR1_previous_output_restored_when_the_final_rename_fails(tmp_path, capsys, monkeypatch):
    cfg = make_project(tmp_path / "p")
    prev = tmp_path / "p" / "out"
    assert run_cli("run", cfg) == 0
    before = snapshot(prev)
    real_rename = os.rename

    def rename(src, dst):
        if Path(dst) == prev and ".tmp-" in Path(src).name:
            raise OSError(39, "Directory not empty")
        return real_rename(src, dst)

    monkeypatch.setattr(_output_dir.os, "rename", rename)
    assert run_cli("run", cfg, "--force") == 2
    assert "left as it was" in capsys.readouterr().err
    assert snapshot(prev) == before
    assert [p.name for p in prev.parent.iterdir() if p.name.startswith(".out")] == []


def test_CR2_two_writers_in_one_process_use_distinct_temp_dirs(tmp_path):
    target = check_output_dir(tmp_path / "out", kind="run", force=True, location="--output-dir")
    with staged(target) as first:
        (first / "a.txt").write_text("first")
        with staged(target) as second:
            assert first != second and first.exists()
            (second / "b.txt").write_text("second")
        assert (first / "a.txt").exists()  # the second writer did not remove the first one's files
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [MARKER, "a.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


# --- temp dirs of killed runs, signals ------------------------------------------------------

def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _fake_leftover(parent: Path, kind: str, pid: int, marker: bool = True, token: str = "deadbeef") -> Path:
    d = parent / f".out.{kind}-{pid}-{_output_dir._HOST}-{token}"
    (d / "tables").mkdir(parents=True)
    (d / "tables" / "x.csv").write_text("1\n")
    if marker:
        (d / MARKER).write_text(json.dumps({"tool": "iej_impact", "files": ["tables", "tables/x.csv"]}))
    return d


def test_CR4_K3_stale_temp_dirs_of_dead_runs_are_cleaned_by_the_next_run(tmp_path):
    cfg = make_project(tmp_path / "p")
    parent = tmp_path / "p"
    dead = _dead_pid()
    stale_tmp = _fake_leftover(parent, "tmp", dead)
    live_tmp = _fake_leftover(parent, "tmp", os.getpid())  # a run still going in this process
    foreign = _fake_leftover(parent, "tmp", dead, marker=False, token="f00d")
    assert run_cli("run", cfg) == 0
    assert not stale_tmp.exists()
    assert live_tmp.exists() and foreign.exists()  # alive, or not ours (no marker): left alone
    stale_old = _fake_leftover(parent, "old", dead)
    assert run_cli("run", cfg, "--force") == 0
    assert not stale_old.exists() and (parent / "out" / "results.json").exists()


def test_K6_previous_output_set_aside_by_a_killed_run_is_put_back(tmp_path, capsys):
    cfg = make_project(tmp_path / "p")
    parent = tmp_path / "p"
    assert run_cli("run", cfg) == 0
    set_aside = parent / f".out.old-{_dead_pid()}-{_output_dir._HOST}-0badf00d"
    os.rename(parent / "out", set_aside)  # killed between its two renames
    before = snapshot(set_aside)
    assert run_cli("run", cfg) == 2  # the next run puts the previous output back, then refuses without --force
    assert "already exists" in capsys.readouterr().err
    assert snapshot(parent / "out") == before and not set_aside.exists()


def test_K1_ctrl_c_exits_130_with_one_line_and_no_traceback(tmp_path, capsys, monkeypatch):
    cfg = make_project(tmp_path / "p")

    def interrupted(cfg):
        raise KeyboardInterrupt

    monkeypatch.setattr(runner_mod, "load_run_data", interrupted)
    assert run_cli("run", cfg) == 130
    err = capsys.readouterr().err
    assert err == "iej-impact: interrupted (SIGINT)\n"
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # handler restored


SLOW_WRITE = """
import sys, time
import iej_impact.data._io as io
write_table = io.write_table
def slow(*args, **kwargs):
    time.sleep(0.3)
    return write_table(*args, **kwargs)
io.write_table = slow  # a slow disk: the write phase lasts a few seconds
from iej_impact.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize(("sig", "code", "name"), [(signal.SIGTERM, 143, "SIGTERM"), (signal.SIGINT, 130, "SIGINT")])
def test_K2_K4_signal_during_the_write_phase_removes_the_temp_dir(tmp_path, sig, code, name):
    cfg = make_project(tmp_path / "p")
    parent = tmp_path / "p"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    # a job started in the background by a non-interactive shell inherits SIGINT ignored, and Python then
    # keeps ignoring it: give the run the default disposition, as a terminal would
    proc = subprocess.Popen([sys.executable, "-c", SLOW_WRITE, "run", str(cfg)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 120
        while not list(parent.glob(".out.tmp-*/tables")) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)  # wait for the write phase (the temp dir and its first folder exist)
        assert proc.poll() is None, "the run ended before its write phase was reached"
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == code
    assert err == f"iej-impact: interrupted ({name})\n"
    assert [p.name for p in parent.iterdir()] != [] and not list(parent.glob(".out*"))
    assert not (parent / "out").exists()
