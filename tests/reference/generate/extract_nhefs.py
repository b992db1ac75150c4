"""Extract the NHEFS columns used by Hernan & Robins' IPW programs (ch. 12) from the causaldata package.

Run once (causaldata is not a dependency of iej_impact or of its tests):

    python -m venv /tmp/cd && /tmp/cd/bin/pip install causaldata pandas
    /tmp/cd/bin/python tests/reference/generate/extract_nhefs.py   # writes tests/reference/data/nhefs.csv

Source: causaldata 0.1.5 (PyPI), data set ``nhefs`` (1,629 smokers of the NHANES I Epidemiologic
Follow-up Study, as cleaned for Hernan, M. & Robins, J. (2020), Causal Inference: What If). All
1,629 rows are kept, including the 63 with a missing weight change ``wt82_71`` (censored), so the
tests can show that missing outcomes are refused; Hernan & Robins analyse the 1,566 others.
Categorical columns are written as their integer codes.
"""

from __future__ import annotations

from pathlib import Path

from causaldata import nhefs

COLUMNS = ["seqn", "qsmk", "sex", "race", "age", "education", "smokeintensity", "smokeyrs", "exercise",
           "active", "wt71", "wt82_71"]
OUT = Path(__file__).resolve().parents[1] / "data" / "nhefs.csv"


def main() -> None:
    frame = nhefs.load_pandas().data[COLUMNS].copy()
    for col in ("seqn", "qsmk", "sex", "race", "age", "education", "smokeintensity", "smokeyrs", "exercise",
                "active"):
        frame[col] = frame[col].astype(float).astype("Int64")
    frame.to_csv(OUT, index=False, float_format="%.10g")
    print(f"wrote {OUT} ({len(frame)} rows, {frame['wt82_71'].isna().sum()} with missing wt82_71)")


if __name__ == "__main__":
    main()
