"""Shared fixtures: paths and small data sets with known answers."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

# Spark's Python tasks (indicators_engine) run in this interpreter, whichever test starts the session
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)

REFERENCE_DATA = Path(__file__).parent / "reference" / "data"


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)


@pytest.fixture
def nsw() -> pd.DataFrame:
    """Dehejia-Wahba NSW experimental sample (see tests/reference/generate/extract_nsw.py)."""
    return pd.read_csv(REFERENCE_DATA / "nsw_dw.csv")


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Say which iej_impact the suite imports (the installed wheel under `make test`) and the versions."""
    import importlib.metadata as md

    import iej_impact

    names = ("numpy", "pandas", "scipy", "statsmodels", "scikit-learn", "matplotlib", "pyarrow")
    versions = ", ".join(f"{n} {md.version(n)}" for n in names)
    return [f"iej_impact from {Path(iej_impact.__file__).parent}", versions]
