"""Shared by the indicator engine tests (DuckDB and Spark): participations that reach every place where
a partition of persons sees less than the whole table, and the comparison of two indicator tables."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd

REFERENCE = "2016-06-30"
BASE = {"reference_date": REFERENCE, "late_exit_status": "unknown"}


def participations(n: int = 3000, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    ops = pd.DataFrame({"operation_id": [f"OP{j}" for j in range(12)],
                        "operator_type": rng.choice(["MISSION_LOCALE", "ASSOCIATION", "CFA"], 12),
                        "amount_fse_iej": rng.integers(10_000, 90_000, 12).astype(float),
                        "target_participants": rng.integers(50, 400, 12).astype(float)})
    entry = np.datetime64("2014-06-01") + rng.integers(0, 800, n).astype("timedelta64[D]")
    age = rng.integers(15, 27, n)  # some outside the YEI window 16-25: counted warnings
    birth = entry - (age * 365.25 + rng.integers(0, 300, n)).astype("timedelta64[D]")
    leaver = rng.random(n) < 0.6
    exit_ = np.where(leaver, entry + rng.integers(20, 400, n).astype("timedelta64[D]"), np.datetime64("NaT"))
    lm = rng.choice(["UNEMPLOYED", "INACTIVE", "EMPLOYED"], n, p=[0.7, 0.27, 0.03])
    surveyed = leaver & (exit_ <= np.datetime64(REFERENCE)) & (rng.random(n) < 0.4)  # a survey needs an exit
    frame = pd.DataFrame({
        "participation_id": [f"P{i}" for i in range(n)],
        "person_id": [f"Y{i}" for i in rng.integers(0, int(n * 0.7), n)],
        "operation_id": rng.choice(ops["operation_id"].to_numpy(), n),
        "sex": rng.choice(["F", "M"], n),
        "birth_date": birth, "entry_date": entry, "exit_date": exit_,
        "lm_status_entry": lm,
        "unemp_duration_months": np.where((lm == "UNEMPLOYED") & (rng.random(n) < 0.95), rng.integers(0, 30, n),
                                          np.nan),
        "in_education_training_entry": np.where(lm == "INACTIVE", rng.random(n) < 0.1, None),
        "national_level": rng.choice(["VI", "VBIS", "V", "IV", "III"], n),
        "hh_jobless": rng.random(n) < 0.2, "disability_rqth": rng.random(n) < 0.03,
        "zone": pd.array(rng.choice(["QPV", "ZRR", "OTHER", None], n, p=[0.3, 0.2, 0.49, 0.01]), dtype=object),
        "exit_reason": np.where(leaver, rng.choice(["COMPLETED", "DROPOUT", "OTHER"], n), None),
        "exit_status_fr": np.where(leaver, rng.choice(["EMPLOI_DURABLE", "FORMATION", "SANS_SOLUTION"], n), None),
        "exit_status_date": np.where(leaver, exit_ + rng.integers(0, 40, n).astype("timedelta64[D]"),
                                     np.datetime64("NaT")),
        "status_6m": np.where(surveyed, rng.choice(["EMPLOYED", "EDUCATION", "UNEMPLOYED"], n), None),
        "status_6m_date": np.where(surveyed, exit_ + np.timedelta64(182, "D"), np.datetime64("NaT")),
        "sample_weight_6m": np.where(surveyed, rng.uniform(1, 6, n), np.nan),
    })
    frame = frame[~frame.duplicated(["person_id", "operation_id"])].reset_index(drop=True)
    return frame, ops



def _without_examples(texts: list[str]) -> list[str]:
    """Messages without their example identifiers (a partition's first rows are not the table's)."""
    return [re.sub(r"\(e\.g\. [^)]*\)", "(e.g. ...)", t) for t in texts]


def run(func, *args, **kw):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = func(*args, **kw)
    ours = [w for w in caught if w.category.__module__.startswith("iej_impact")]  # not PySpark's about pandas
    return res, sorted((w.category.__name__, str(w.message)) for w in ours)


def assert_same(a, b, warned_a, warned_b) -> None:
    pd.testing.assert_frame_equal(a.table, b.table, check_exact=False, rtol=1e-12, atol=1e-12)
    pd.testing.assert_frame_equal(a.reconciliation, b.reconciliation, check_exact=False, rtol=1e-12, atol=1e-9)
    pd.testing.assert_frame_equal(a.coverage, b.coverage)
    pd.testing.assert_frame_equal(a.skipped, b.skipped)
    assert _without_examples(list(a.notes)) == _without_examples(list(b.notes))
    assert [(c, m) for c, m in zip([w[0] for w in warned_a], _without_examples([w[1] for w in warned_a]), strict=True)] \
        == [(c, m) for c, m in zip([w[0] for w in warned_b], _without_examples([w[1] for w in warned_b]), strict=True)]
    assert a.breakdowns == b.breakdowns
