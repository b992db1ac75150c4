"""The progress display stays silent when output is not a terminal."""

from __future__ import annotations

from iej_impact._progress import progress


def test_silent_when_not_a_terminal(capsys):
    assert list(progress(range(5), desc="x")) == [0, 1, 2, 3, 4]
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


def test_bar_when_enabled(capsys):
    assert list(progress(range(3), desc="steps", enabled=True)) == [0, 1, 2]
    assert "steps" in capsys.readouterr().err
