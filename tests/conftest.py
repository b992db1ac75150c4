"""Shared fixtures: paths and small data sets with known answers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

REFERENCE_DATA = Path(__file__).parent / "reference" / "data"


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)


@pytest.fixture
def nsw() -> pd.DataFrame:
    """Dehejia-Wahba NSW experimental sample (see tests/reference/generate/extract_nsw.py)."""
    return pd.read_csv(REFERENCE_DATA / "nsw_dw.csv")
