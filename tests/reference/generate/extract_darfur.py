"""Copy the darfur data of Cinelli & Hazlett (2020) from the PySensemakr package into tests/reference/data.

Run once (PySensemakr is not a dependency of iej_impact or of its tests):

    python -m venv /tmp/venv-sm && /tmp/venv-sm/bin/pip install PySensemakr==0.0.8
    /tmp/venv-sm/bin/python tests/reference/generate/extract_darfur.py   # writes tests/reference/data/darfur.csv

Source: the file ``sensemakr/data/darfur.csv`` of PySensemakr 0.0.8 (PyPI; MIT licence), which
its ``references.txt`` says was extracted from the R package sensemakr (``data/darfur.rda``;
GPL-3). The data were curated by Chad Hazlett for Hazlett, C. (2019), "Angry or weary? How
violence impacts attitudes toward peace among Darfurian refugees", Journal of Conflict Resolution
64(5), 844-870, and are the running example of Cinelli & Hazlett (2020). 1,276 survey respondents,
14 columns; the file is copied byte for byte (see tests/reference/data/darfur.md).
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import sensemakr

SOURCE = Path(sensemakr.__file__).parent / "data" / "darfur.csv"
OUT = Path(__file__).resolve().parents[1] / "data" / "darfur.csv"


def main() -> None:
    shutil.copyfile(SOURCE, OUT)
    print(OUT, hashlib.sha256(OUT.read_bytes()).hexdigest())


if __name__ == "__main__":
    main()
