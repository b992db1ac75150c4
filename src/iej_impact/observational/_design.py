"""The covariate design matrix shared by every propensity-score and outcome model.

One place turns a DataFrame and a list of covariate names into a float64 matrix, so that
:func:`~iej_impact.observational._propensity.propensity_score`, :func:`~iej_impact.observational._regression.regression_adjustment`,
:func:`~iej_impact.observational._weighting.ipw`, :func:`~iej_impact.observational._doubly_robust.doubly_robust` and
:func:`~iej_impact.observational._balance.balance_table` all see the same columns:

* numeric columns are used as they are (booleans become 0/1);
* pandas ``Categorical`` columns, and text/object columns that are either words only or plain
  numbers only (``astype(str)``, R's ``factor()``), are expanded to one 0/1 dummy per level, named
  ``column[level]``; for model matrices the *reference level* is dropped (the first level of a
  pandas ``Categorical``, else the smallest value in sorted order, as R and patsy do), for balance
  tables every level is kept (as cobalt does);
* missing or infinite values are a :class:`~iej_impact.errors.DataError` that counts them per
  column and names example rows: a model silently fitted on fewer rows would change the estimand;
* a text column some of whose values read as numbers (``abc`` among ages, decimal commas ``20,5``
  read without a parser) is a :class:`~iej_impact.errors.DataError` naming the values, their
  counts, example rows and the ``parse:`` declaration that reads them (``fr_number``), or how to
  declare the column a category (``parse: {col: category}`` or a pandas ``Categorical``): it is
  never silently turned into one dummy per value.

The intercept is *not* part of the design: the fitting code adds it (and scales the columns, see
:func:`scaled_with_intercept`), so a user's constant column is reported as an error rather than
absorbed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._row_blocks import ROWS, shifted_moments
from .._validation import _plain, as_column_list, check_columns, describe_rows, example_rows
from ..data._numeric_text import mixed_text_numbers, text_number_error
from ..errors import DataError

__all__ = ["Term", "Design", "design_matrix", "scaled_with_intercept"]


@dataclass(frozen=True)
class Term:
    """How one covariate enters the design.

    Attributes
    ----------
    column : the DataFrame column.
    kind : "numeric" or "categorical".
    levels : for a categorical covariate, every level in order (the first is the reference).
    names : the design-matrix columns this covariate produced.
    """

    column: str
    kind: str
    levels: tuple[object, ...] = ()
    names: tuple[str, ...] = ()

    @property
    def reference(self) -> object | None:
        """The level left out of model matrices (None for numeric covariates)."""
        return self.levels[0] if self.kind == "categorical" and self.levels else None

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"column": self.column, "kind": self.kind, "names": list(self.names)}
        if self.kind == "categorical":
            out["levels"] = [_plain(v) for v in self.levels]
            out["reference"] = _plain(self.reference)
        return out


@dataclass(frozen=True)
class Design:
    """A covariate design matrix (without intercept) and the recipe that produced it.

    Attributes
    ----------
    matrix : (n, p) float64 array, rows in the order of the data.
    names : the p column names (``age``, ``region[north]``...).
    terms : one :class:`Term` per covariate, in the order given.
    drop_reference : whether categorical reference levels were left out.
    """

    matrix: np.ndarray = field(repr=False)
    names: tuple[str, ...]
    terms: tuple[Term, ...]
    drop_reference: bool = True

    @property
    def n_columns(self) -> int:
        return len(self.names)

    def to_frame(self, index: pd.Index | None = None) -> pd.DataFrame:
        """The matrix as a DataFrame with the design's column names."""
        return pd.DataFrame(self.matrix, columns=list(self.names), index=index)

    def binary_columns(self) -> np.ndarray:
        """Boolean mask: which design columns only take the values 0 and 1."""
        m = self.matrix
        if m.shape[1] == 0:
            return np.zeros(0, dtype=bool)
        out = np.ones(m.shape[1], dtype=bool)
        for start in range(0, m.shape[0], ROWS):  # by row blocks: no strided column scans
            block = m[start:start + ROWS]
            out &= ((block == 0) | (block == 1)).all(axis=0)
        return out

    def spec(self) -> dict[str, object]:
        """JSON-safe description (terms, reference levels, column names)."""
        return {"names": list(self.names), "terms": [t.to_dict() for t in self.terms],
                "drop_reference": self.drop_reference}


def _is_categorical(s: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(s):
        return False
    return not pd.api.types.is_numeric_dtype(s)


def check_covariate_kinds(data: pd.DataFrame, covs: Sequence[str], func: str) -> None:
    """A text column enters as a category only when it is plainly one (see :func:`mixed_text_numbers`).

    A pandas ``Categorical`` is a declared category and always expands to dummies. A text
    (object/string) column mixing numbers and other values is either numeric with stray text
    (``abc``, a decimal comma ``20,5``, ``nc``) or a category coded with numbers; neither is
    guessed: DataError naming the values and the declaration that settles it.
    """
    for c in covs:
        s = data[c]
        if isinstance(s.dtype, pd.CategoricalDtype) or not _is_categorical(s):
            continue
        if mixed_text_numbers(s):
            raise text_number_error(data, c, func, role="covariate", categorical_hint=True)


def _levels(s: pd.Series) -> list[object]:
    if isinstance(s.dtype, pd.CategoricalDtype):
        present = set(pd.unique(s.dropna()))
        return [c for c in s.cat.categories if c in present]
    values = pd.unique(s.dropna())
    try:
        return sorted(values)
    except TypeError:  # mixed types: order by their text
        return sorted(values, key=str)


def design_matrix(
    data: pd.DataFrame,
    covariates: str | Sequence[str],
    *,
    func: str = "design_matrix",
    drop_reference: bool = True,
) -> Design:
    """Build the float64 design matrix of ``covariates`` (no intercept).

    Parameters
    ----------
    data : the analysis data, one row per unit.
    covariates : column names. Numeric and boolean columns enter as they are; categorical columns
        and text columns of words only or of plain numbers only are expanded to 0/1 dummies named
        ``column[level]``.
    func : name of the public function calling, used in error messages.
    drop_reference : leave out the first level of each categorical covariate (model matrices);
        False keeps every level (balance tables).

    Returns
    -------
    Design

    Raises
    ------
    DataError
        A covariate is absent, has missing or infinite values (counted per covariate, with example
        rows), is text mixing numbers and other values, or a categorical covariate has a single
        level.
    """
    covs = as_column_list("covariates", covariates, func)
    if len(set(covs)) != len(covs):
        dup = sorted({c for c in covs if covs.count(c) > 1})
        raise DataError(f"{func}(): covariate(s) {dup} listed more than once in 'covariates'; list each once.",
                        column=dup[0])
    check_columns(data, covs, func, role="covariate")
    check_covariate_kinds(data, covs, func)
    n = len(data)

    # missing values: one message for every covariate that has any, with counts
    problems: list[tuple[str, np.ndarray, str]] = []
    numeric: dict[str, np.ndarray] = {}  # the float64 values of the numeric covariates
    for c in covs:
        s = data[c]
        what = "missing"
        if _is_categorical(s):
            na = s.isna().to_numpy()
        else:
            vals = numeric[c] = s.to_numpy(dtype=np.float64, na_value=np.nan)
            if bool(np.isfinite(vals).all()):  # one pass in the usual case
                continue
            na = ~np.isfinite(vals)
            if np.isinf(vals).any():
                what = "missing or infinite"
        if na.any():
            problems.append((c, na, f"'{c}': {int(na.sum())} {what}"))
    if problems:
        first_col, first_mask, _ = problems[0]
        raise DataError(
            f"{func}(): covariates have missing values ({'; '.join(p[2] for p in problems)}; e.g. column "
            f"'{first_col}' in {describe_rows(data, first_mask)}). Models would drop these rows silently; "
            "drop or impute them first (e.g. with a sample filter), or leave the covariate out.",
            column=first_col,
            rows=example_rows(data, first_mask),
        )

    columns: list[tuple[str, np.ndarray | tuple[np.ndarray, int]]] = []
    names: list[str] = []
    terms: list[Term] = []
    for c in covs:
        s = data[c]
        if _is_categorical(s):
            levels = _levels(s)
            if len(levels) < 2:
                only = _plain(levels[0]) if levels else None
                raise DataError(
                    f"{func}(): covariate '{c}' has a single level ({only!r}); it carries no "
                    "information; remove it from 'covariates'.",
                    column=c,
                )
            kept = levels[1:] if drop_reference else levels
            codes = pd.Categorical(s, categories=levels).codes  # integer codes: fast comparisons
            cols = [f"{c}[{lv}]" for lv in kept]
            first = len(levels) - len(kept)
            columns.extend((name, (codes, first + i)) for i, name in enumerate(cols))
            names.extend(cols)
            terms.append(Term(column=c, kind="categorical", levels=tuple(levels), names=tuple(cols)))
        else:
            col = numeric[c]
            if n and col.min() == col.max():
                raise DataError(
                    f"{func}(): covariate '{c}' is constant (every row is {_plain(col[0])!r}); it carries no "
                    "information and is collinear with the intercept; remove it from 'covariates'.",
                    column=c,
                )
            columns.append((c, col))
            names.append(c)
            terms.append(Term(column=c, kind="numeric", names=(c,)))
    matrix = np.empty((n, len(columns)), dtype=np.float64)
    # filled by row blocks: each block of the row-major matrix is written while it sits in the
    # cache (column by column over the whole matrix, every column would sweep all of its memory)
    for start in range(0, n, ROWS):
        block = matrix[start:start + ROWS]
        for j, (_, content) in enumerate(columns):
            if isinstance(content, tuple):
                codes, level = content
                block[:, j] = codes[start:start + ROWS] == level
            else:
                block[:, j] = content[start:start + ROWS]
    return Design(matrix=matrix, names=tuple(names), terms=tuple(terms), drop_reference=drop_reference)


def scaled_with_intercept(
    matrix: np.ndarray, weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Centre and scale the columns and prepend an intercept: ``Z = [1, (X - m) / s]``.

    Newton and least-squares steps on ``Z`` are well conditioned whatever the units of the
    covariates (earnings in euros next to 0/1 dummies). The model is the same: a coefficient
    vector ``g`` on ``Z`` is ``b = T g`` on ``[1, X]`` (see :func:`unscale_matrix`). Columns with
    zero spread keep s = 1 (the caller reports them).

    Returns
    -------
    (Z, m, s) with Z of shape (n, p + 1).
    """
    n, p = matrix.shape
    z = np.empty((n, p + 1), dtype=np.float64)
    z[:, 0] = 1.0
    if n == 0:
        return z, np.zeros(p), np.ones(p)
    tot = float(n) if weights is None else float(weights.sum())
    shift, _, _, first, second = shifted_moments(matrix, weights)  # pass 1: moments about the first row
    first, second = first[0], second[0]
    rows = min(ROWS, n)
    mean_dev = first / tot
    m = shift + mean_dev
    sd = np.sqrt(np.maximum(second / tot - mean_dev * mean_dev, 0.0))
    s = np.where(sd > 0, sd, 1.0)
    # pass 2: z = (x - m) / s, computed in a contiguous block buffer and copied into z's rows
    # (ufuncs writing straight into the strided z[:, 1:] loop row by row: about twice as slow)
    inv = 1.0 / s
    buf = np.empty((rows, p))
    for start in range(0, n, rows):
        block = buf[:min(rows, n - start)]
        np.subtract(matrix[start:start + rows], m, out=block)
        block *= inv
        z[start:start + rows, 1:] = block
    return z, m, s


def unscale_matrix(m: np.ndarray, s: np.ndarray) -> np.ndarray:
    """The matrix T with ``b = T g``: coefficients on ``[1, X]`` from coefficients on ``Z``."""
    p = len(m)
    t = np.zeros((p + 1, p + 1))
    t[0, 0] = 1.0
    t[0, 1:] = -m / s
    t[np.arange(1, p + 1), np.arange(1, p + 1)] = 1.0 / s
    return t
