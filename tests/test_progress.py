"""Progress display and step clock: silent off a terminal, shown when asked, never in results.

The display goes to stderr only when stderr is a terminal (``show_progress(None)``, the default),
or when forced (``show_progress(True)``, ``--progress``). pytest's capture is not a terminal, so
the automatic mode must stay silent here. The manifest's ``steps`` list each step of a run.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import iej_impact
from iej_impact import _progress
from iej_impact._progress import progress, record_steps, show_progress, step, task
from iej_impact.cli import main

SRC = Path(__file__).resolve().parents[1] / "src"
#: what a tqdm bar writes: carriage returns, a percentage bar, a rate
BAR_MARKS = re.compile(r"\r|\d+%\||it/s|s/it|\[\d\d:\d\d")


@pytest.fixture(autouse=True)
def _automatic_mode():
    """Every test starts and ends with the default (automatic) setting."""
    with show_progress(None):
        yield


def test_silent_when_not_a_terminal(capsys):
    assert list(progress(range(5), desc="x")) == [0, 1, 2, 3, 4]
    with task("work", total=3) as ticker:
        ticker.stage("a stage")
        ticker.update(3)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


def test_bar_when_enabled(capsys):
    assert list(progress(range(3), desc="steps", enabled=True)) == [0, 1, 2]
    assert "steps" in capsys.readouterr().err


def test_show_progress_is_a_setting_and_a_context_manager(capsys):
    assert not _progress.progress_enabled()  # pytest's capture is no terminal
    with show_progress(True):
        assert _progress.progress_enabled()
        with task("inner work", total=2, unit="stage") as ticker:
            ticker.stage("first stage")
            ticker.update(2)
        with show_progress(False):
            assert not _progress.progress_enabled()
        assert _progress.progress_enabled()
    assert not _progress.progress_enabled()
    err = capsys.readouterr().err
    assert "inner work" in err and "first stage" in err
    iej_impact.show_progress(True)  # called plainly: holds until changed
    assert _progress.progress_enabled()
    iej_impact.show_progress(None)
    assert not _progress.progress_enabled()
    with pytest.raises(TypeError, match="True, False or None"):
        show_progress("yes")  # type: ignore[arg-type]


def test_task_when_false_stays_hidden_even_when_forced(capsys):
    with show_progress(True), task("small input", total=1, when=False) as ticker:
        ticker.update(1)
    assert capsys.readouterr().err == ""


def test_steps_are_recorded_in_start_order_with_their_outer_step():
    with step("outside any record"):
        pass
    with record_steps() as steps:
        with step("first"):
            with step("nested"):
                pass
        with step("second"):
            pass
    assert [s["name"] for s in steps] == ["first", "nested", "second"]
    assert steps[1]["within"] == "first" and "within" not in steps[0] and "within" not in steps[2]
    assert all(isinstance(s["seconds"], float) and s["seconds"] >= 0 for s in steps)
    with record_steps() as again:
        pass
    assert again == []  # a new record starts empty; steps outside a record were not kept


def test_a_failed_step_still_gets_its_seconds():
    with record_steps() as steps, pytest.raises(ValueError), step("fails"):
        raise ValueError("boom")
    assert steps[0]["name"] == "fails" and steps[0]["seconds"] is not None


# ------------------------------------------------------------------------------------------- CLI runs
def _config(tmp_path: Path) -> Path:
    """Two sources, two preparation steps, a grid analysis and a bootstrap: every kind of step."""
    persons = iej_impact.simulate_cohort(n_participants=300, seed=5, panel="none").persons
    persons.to_csv(tmp_path / "persons.csv", index=False)
    persons[["person_id"]].head(10).to_csv(tmp_path / "extra.csv", index=False)
    cfg = {
        "version": 1,
        "project": {"name": "progress", "output_dir": "out", "seed": 11},
        "data": {
            "sources": {"persons": {"path": "persons.csv", "arm": "stacked", "treatment": "treated"},
                        "extra": {"path": "extra.csv"}},
            "prepare": [{"step": "drop_duplicates", "table": "persons"},
                        {"step": "filter", "table": "persons", "where": "age >= 17"}],
            "main": "persons",
        },
        "sample": {"treatment": "treated"},
        "analyses": [
            {"name": "naive_grid", "estimator": "difference_in_means", "outcome": ["employed_6m", "employed_12m"],
             "estimand": "ATT"},
            {"name": "naive_boot", "estimator": "difference_in_means", "outcome": "employed_12m", "estimand": "ATT",
             "se": {"type": "bootstrap", "reps": 30, "random_state": 1}},
        ],
        "report": {"title": "Progress", "language": "en"},
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return path


def test_cli_is_quiet_off_a_terminal_and_shows_steps_with_progress(tmp_path, capsys):
    cfg = _config(tmp_path)
    assert main(["run", str(cfg), "--output-dir", str(tmp_path / "quiet")]) == 0
    quiet = capsys.readouterr()
    assert not BAR_MARKS.search(quiet.err), quiet.err
    assert "data.prepare" not in quiet.err and "analyses" not in quiet.err

    assert main(["run", str(cfg), "--output-dir", str(tmp_path / "shown"), "--progress"]) == 0
    shown = capsys.readouterr()
    assert BAR_MARKS.search(shown.err)
    for desc in ("data.sources", "data.prepare", "analyses", "naive_grid: cells", "bootstrap", "figures"):
        assert desc in shown.err, desc
    assert not BAR_MARKS.search(shown.out)  # stdout keeps only the two result lines
    assert shown.out.splitlines()[0].startswith("Results: ")

    assert main(["run", str(cfg), "--output-dir", str(tmp_path / "hidden"), "--no-progress"]) == 0
    assert not BAR_MARKS.search(capsys.readouterr().err)

    # the same results.json with and without the display; timings only in the manifest
    quiet_json = (tmp_path / "quiet" / "results.json").read_bytes()
    assert quiet_json == (tmp_path / "shown" / "results.json").read_bytes()
    assert quiet_json == (tmp_path / "hidden" / "results.json").read_bytes()
    assert b"seconds" not in quiet_json and b'"steps"' not in quiet_json

    manifest = json.loads((tmp_path / "shown" / "manifest.json").read_text(encoding="utf-8"))
    names = [s["name"] for s in manifest["steps"]]
    assert names == [
        "data.load", "data.sources.persons", "data.sources.extra",
        "data.prepare[0] drop_duplicates", "data.prepare[1] filter", "sample",
        "analyses[0] naive_grid", "naive_grid[outcome=employed_6m]", "naive_grid[outcome=employed_12m]",
        "analyses[1] naive_boot", "outputs.tables", "outputs.figures", "outputs.report",
    ]
    within = {s["name"]: s.get("within") for s in manifest["steps"]}
    assert within["data.prepare[1] filter"] == "data.load"
    assert within["naive_grid[outcome=employed_12m]"] == "analyses[0] naive_grid"
    assert within["sample"] is None and within["outputs.report"] is None
    assert all(isinstance(s["seconds"], float) for s in manifest["steps"])
    assert set(manifest["timings_seconds"]) >= {"load_data", "define_sample", "analysis:naive_grid",
                                                "analysis:naive_boot", "total_before_rename"}


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_cli_shows_bars_by_itself_when_stderr_is_a_terminal(tmp_path):
    """No flag: a run whose stderr is a (pseudo-)terminal shows the bars; ``--no-progress`` hides them."""
    import pty

    cfg = _config(tmp_path)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}

    def stderr_on_a_terminal(*flags: str) -> str:
        master, slave = pty.openpty()
        proc = subprocess.Popen([sys.executable, "-m", "iej_impact.cli", "run", str(cfg), "--force", *flags],
                                stdout=subprocess.DEVNULL, stderr=slave, env=env, cwd=tmp_path)
        os.close(slave)
        chunks = []
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # the other end closed: the run is over
                break
            if not data:
                break
            chunks.append(data)
        os.close(master)
        assert proc.wait(timeout=300) == 0
        return b"".join(chunks).decode("utf-8", "replace")

    shown = stderr_on_a_terminal()
    assert BAR_MARKS.search(shown.replace("\r\n", "\n")) and "data.prepare" in shown and "analyses" in shown
    hidden = stderr_on_a_terminal("--no-progress")
    assert not BAR_MARKS.search(hidden.replace("\r\n", "\n")) and "data.prepare" not in hidden


def test_validate_takes_the_flag_too(tmp_path, capsys):
    cfg = _config(tmp_path)
    assert main(["validate", str(cfg), "--progress"]) == 0
    assert "data.prepare" in capsys.readouterr().err
    assert main(["validate", str(cfg)]) == 0
    assert not BAR_MARKS.search(capsys.readouterr().err)


# ---------------------------------------------------------------------------- inside the estimators
def test_att_gt_ticks_its_group_time_cells_and_gives_the_same_result(capsys):
    rng = np.random.default_rng(2)
    units, periods = 120, 6
    cohort = rng.choice([3.0, 4.0, 5.0, np.nan], size=units)
    frame = pd.DataFrame({"unit": np.repeat(np.arange(units), periods), "time": np.tile(np.arange(1, periods + 1), units),
                          "cohort": np.repeat(cohort, periods)})
    frame["y"] = rng.normal(size=len(frame)) + 0.5 * (frame["time"] >= frame["cohort"])
    args = {"outcome": "y", "unit": "unit", "time": "time", "cohort": "cohort"}
    quiet = iej_impact.att_gt(frame, **args)
    assert capsys.readouterr().err == ""
    with show_progress(True):
        shown = iej_impact.att_gt(frame, **args)
    assert "att_gt(): group-time cells" in capsys.readouterr().err
    pd.testing.assert_frame_equal(quiet.table, shown.table)


def test_psm_on_a_large_sample_shows_its_stages(capsys):
    n = _progress.LARGE  # from this size on, the score fit and the matching have bars of their own
    rng = np.random.default_rng(4)
    x = rng.normal(size=n)
    d = (rng.random(n) < 1 / (1 + np.exp(2.0 - x))).astype(int)
    frame = pd.DataFrame({"x": x, "d": d, "y": x + 0.3 * d + rng.normal(size=n)})
    with show_progress(True):
        res = iej_impact.psm(frame, outcome="y", treatment="d", covariates=["x"], replace=True)
    err = capsys.readouterr().err
    for desc in ("Newton iterations", "nearest matching", "Abadie-Imbens SE"):
        assert desc in err, desc
    assert isinstance(res.inference, iej_impact.AbadieImbens) and "adjusted for the estimated" in " ".join(res.notes)
    quiet = iej_impact.psm(frame, outcome="y", treatment="d", covariates=["x"], replace=True)
    assert capsys.readouterr().err == ""
    assert (quiet.estimate, quiet.std_error) == (res.estimate, res.std_error)


# ------------------------------------------------------------------------------------------- memory
def test_steps_carry_their_peak_memory_and_an_outer_step_keeps_its_inner_peaks():
    import numpy as np

    from iej_impact import _memory

    with record_steps() as steps:
        with step("outer"):
            with step("inner"):
                big = np.ones(60_000_000 // 8)  # 60 MB touched inside the inner step
                big[::512] = 2.0
                del big
            with step("after"):
                pass
    peaks = {s["name"]: s["peak_mb"] for s in steps}
    assert set(peaks) == {"outer", "inner", "after"}
    assert peaks["outer"] >= peaks["inner"]  # the inner peak is folded into the outer one before the reset
    if _memory.per_step():  # Linux: peaks are per step, so the 60 MB show in 'inner' and not in 'after'
        assert peaks["inner"] - peaks["after"] > 40


def test_out_of_memory_names_the_step(tmp_path, capsys, monkeypatch):
    import functools

    from iej_impact import config as config_module

    original = config_module.ESTIMATORS["difference_in_means"]

    @functools.wraps(original)  # the same signature and checks (validation passes); estimating runs out
    def exhausted(*args, **kwargs):
        from iej_impact._validation import _DRY_RUN

        if _DRY_RUN.get():
            return original(*args, **kwargs)
        raise MemoryError()

    monkeypatch.setitem(config_module.ESTIMATORS, "difference_in_means", exhausted)
    cfg = _config(tmp_path)
    assert main(["run", str(cfg), "--output-dir", str(tmp_path / "oom")]) == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("iej-impact: out of memory in step naive_grid[outcome=employed_6m]: the process could not "
                          "allocate more memory"), err
    assert not (tmp_path / "oom").exists()  # nothing half-written
