"""What ships: the wheel and sdist carry every data file the package reads.

Every file under ``src/iej_impact/`` that is not Python source (code lists, the indicator registry,
report assets, any folder added later) is read by the package at run time, so each must be inside
the wheel, and inside the sdist the wheel is built from. ``make test`` builds both and passes their
paths in ``IEJ_WHEEL`` / ``IEJ_SDIST``; without them (a plain ``pytest`` in a checkout) the test
builds a wheel itself with the running interpreter's setuptools.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import zipfile
from importlib import resources
from pathlib import Path

import pytest

import iej_impact

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_SRC = ROOT / "src" / "iej_impact"


def _data_files() -> list[str]:
    """Paths (relative to the package) of every non-Python file in the source package."""
    files = []
    for path in PACKAGE_SRC.rglob("*"):
        if path.is_dir() or "__pycache__" in path.parts or path.suffix in {".py", ".pyc"}:
            continue
        files.append(path.relative_to(PACKAGE_SRC).as_posix())
    return sorted(files)


def test_the_source_package_has_data_files() -> None:
    # guards the tests below against passing vacuously on an empty list
    files = _data_files()
    assert "indicators/registry/registry.csv" in files
    assert "data/codelists/index.yaml" in files
    assert len(files) >= 25


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    given = os.environ.get("IEJ_WHEEL")
    if given:
        return Path(given)
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(out), str(ROOT)],
        capture_output=True, text=True, timeout=300,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot build a wheel with this interpreter's tools: {done.stderr[-400:]}")
    return next(out.glob("iej_impact-*.whl"))


def test_the_wheel_contains_every_data_file_the_package_reads(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    missing = [f for f in _data_files() if f"iej_impact/{f}" not in names]
    assert not missing, f"{wheel.name} lacks {len(missing)} data files, e.g. {missing[:5]}; see pyproject package-data"
    modules = [p.relative_to(PACKAGE_SRC).as_posix() for p in PACKAGE_SRC.rglob("*.py") if "__pycache__" not in p.parts]
    lacking = [m for m in modules if f"iej_impact/{m}" not in names]
    assert not lacking, f"{wheel.name} lacks modules {lacking[:5]}"


def test_the_sdist_contains_every_data_file() -> None:
    given = os.environ.get("IEJ_SDIST")
    if not given:
        pytest.skip("IEJ_SDIST not set (make test builds the sdist and sets it)")
    with tarfile.open(given) as tf:
        names = {n.split("/", 1)[1] for n in tf.getnames() if "/" in n}
    missing = [f for f in _data_files() if f"src/iej_impact/{f}" not in names]
    assert not missing, f"{Path(given).name} lacks {missing[:5]}"


def test_the_installed_package_reads_its_data_files() -> None:
    root = resources.files("iej_impact")
    unreadable = [f for f in _data_files() if not root.joinpath(f).is_file()]
    assert not unreadable, f"installed iej_impact ({iej_impact.__file__}) lacks {unreadable[:5]}"


def test_tests_run_against_the_installed_package_when_asked() -> None:
    """``make test`` sets IEJ_EXPECT_INSTALLED: the suite must then import the wheel, not src/."""
    if not os.environ.get("IEJ_EXPECT_INSTALLED"):
        pytest.skip("IEJ_EXPECT_INSTALLED not set")
    location = Path(iej_impact.__file__).resolve()
    assert PACKAGE_SRC.resolve() not in location.parents, f"tests imported the checkout: {location}"
    assert "site-packages" in location.parts
