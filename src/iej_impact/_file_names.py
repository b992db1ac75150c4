"""File names of a run's outputs: a result name (``psm[outcome=employed,subgroup=female:1]``) as a file name
that every file system takes."""

from __future__ import annotations

import re

__all__ = ["file_stem"]


def file_stem(name: str) -> str:
    """A result name as a file name: ``:`` becomes ``=``, any character other than letters, digits and
    ``_ - . = , [ ]`` becomes ``_``.

    >>> file_stem("ipw[outcome=employed_12m,subgroup=female:1]")
    'ipw[outcome=employed_12m,subgroup=female=1]'
    """
    return re.sub(r"[^A-Za-z0-9_.=,\[\]-]", "_", name.replace(":", "="))
