"""The arguments of :func:`~iej_impact.matching._match.match`: their checks and the checked set, :class:`MatchSpec`.

:func:`check_match_arguments` checks every argument on its own and against the others (which
estimands and options each method allows) and returns a frozen :class:`MatchSpec`, which the
distance, the matching methods and the result read; :func:`check_match_data` then checks the
columns they name. Both run before ``arguments_checked()``, so ``iej-impact validate`` finds what
they refuse.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from .._params import Boolean, Columns, Constraint, Interval, Options
from .._validation import (
    as_column_list,
    check_binary,
    check_choice,
    check_columns,
    check_estimand,
    check_number,
    describe_rows,
    example_rows,
    physical_memory,
)
from ..errors import DataError, SpecificationError
from ..observational._design import check_covariate_kinds
from ..observational._propensity import check_sampling_weights

__all__ = [
    "CALIPER_SCALES",
    "DISCARDS",
    "DISTANCES",
    "FUNC",
    "KERNELS",
    "METHODS",
    "ORDERS",
    "MatchSpec",
    "check_match_arguments",
    "check_match_data",
    "check_no_missing",
]

#: the function named in error messages
FUNC = "match"
#: bytes per (unit, neighbour) slot of nearest-neighbour matching (index, distance and work arrays)
_BYTES_PER_MATCH_SLOT = 64

METHODS: tuple[str, ...] = ("nearest", "subclass", "radius", "kernel")
DISTANCES: tuple[str, ...] = ("propensity", "logit", "mahalanobis")
ORDERS: tuple[str, ...] = ("largest", "smallest", "data", "random")
DISCARDS: tuple[str, ...] = ("none", "treated", "control", "both")
CALIPER_SCALES: tuple[str, ...] = ("sd", "raw")
KERNELS: tuple[str, ...] = ("epanechnikov", "gaussian")


@dataclass(frozen=True)
class MatchSpec:
    """The arguments of :func:`match` once checked (see there for their meaning).

    ``order`` is resolved (MatchIt's default for the estimand when None was passed), ``estimand``
    upper-cased; ``mahalanobis`` is as passed: its columns are checked when the Mahalanobis
    distance is built. The field order is that of ``MatchResult.spec``.
    """

    treatment: str
    covariates: tuple[str, ...]
    estimand: str
    ps_model: object
    method: str
    distance: str
    ratio: int
    replace: bool
    caliper: float | None
    caliper_scale: str
    order: str
    exact: tuple[str, ...]
    discard: str
    subclasses: int
    mahalanobis: Sequence[str] | None
    kernel: str
    bandwidth: float | None
    score: str | None
    random_state: int | None
    ties: bool
    weights: str | None = None

    @property
    def column_distance(self) -> bool:
        """True when ``distance`` names a column holding a precomputed distance."""
        return self.distance not in DISTANCES

    def provenance(self) -> dict[str, object]:
        """The record kept as ``MatchResult.spec``: lists for column sets, the score model's name,
        and None for the options of the methods not used."""
        out: dict[str, object] = {f.name: getattr(self, f.name) for f in fields(self)}
        out.update(
            covariates=list(self.covariates),
            ps_model=self.ps_model if isinstance(self.ps_model, str) else type(self.ps_model).__name__,
            exact=list(self.exact),
            subclasses=self.subclasses if self.method == "subclass" else None,
            mahalanobis=list(self.mahalanobis) if self.mahalanobis is not None else None,
            kernel=self.kernel if self.method == "kernel" else None,
        )
        return out


#: the per-parameter constraints of :func:`~iej_impact.matching.match` (see :mod:`iej_impact._params`);
#: the rules that tie parameters together (estimand and method, ties and replace, ratio and the machine's
#: memory, ...) are in :func:`check_match_arguments`
MATCH_PARAMS: dict[str, Constraint] = {
    "treatment": Columns(single=True), "covariates": Columns(), "exact": Columns(),
    "mahalanobis": Columns(none_ok=True), "score": Columns(single=True, none_ok=True),
    "weights": Columns(single=True, none_ok=True),
    "method": Options(METHODS), "replace": Boolean(), "ties": Boolean(),
    "caliper": Interval(0.0, low_open=True, none_ok=True), "caliper_scale": Options(CALIPER_SCALES),
    "discard": Options(DISCARDS), "kernel": Options(KERNELS), "bandwidth": Interval(0.0, low_open=True, none_ok=True),
    "subclasses": Interval(low=2, integer=True), "random_state": Interval(low=0, integer=True, none_ok=True),
}


def check_match_arguments(
    n_units: int,
    *,
    treatment: str,
    covariates: Sequence[str],
    estimand: str,
    ps_model: object,
    method: str,
    distance: str,
    ratio: int,
    replace: bool,
    caliper: float | None,
    caliper_scale: str,
    order: str | None,
    exact: Sequence[str] | str,
    discard: str,
    subclasses: int,
    mahalanobis: Sequence[str] | None,
    kernel: str,
    bandwidth: float | None,
    score: str | None,
    random_state: int | None,
    ties: bool,
    weights: str | None = None,
) -> MatchSpec:
    """Check the arguments of :func:`match` for ``n_units`` rows (the data is checked after, by
    :func:`check_match_data`); SpecificationError names the allowed values."""
    covs = as_column_list("covariates", covariates, FUNC)
    exact_cols = as_column_list("exact", exact, FUNC)
    if mahalanobis is not None:
        mahalanobis = as_column_list("mahalanobis", mahalanobis, FUNC)
    method = str(method)  # the simple per-parameter rules are match()'s constraint table (MATCH_PARAMS)
    allowed_est = ("ATT", "ATC", "ATE") if method in ("subclass", "nearest") else ("ATT", "ATC")
    if isinstance(estimand, str) and estimand.upper() == "ATE" and method not in ("subclass", "nearest"):
        raise SpecificationError(
            f"the 'estimand' parameter of match() must be one of {{'ATT', 'ATC'}} for method={method!r}; got 'ATE'. "
            f"{method.capitalize()} matching imputes the counterfactual of one arm only; for the ATE use "
            "method='nearest' with replace=True, method='subclass', or ipw() / doubly_robust()."
        )
    estimand = check_estimand(estimand, FUNC, allowed_est)
    if method == "nearest" and estimand == "ATE" and not replace:
        raise SpecificationError(
            "estimand='ATE' with method='nearest' needs replace=True: every treated unit is matched to controls "
            "and every control to treated units, so the smaller arm must serve as matches many times over (and "
            "without replacement the matched sets would depend on the matching order). Pass replace=True, or use "
            "method='subclass', ipw() or doubly_robust() for the ATE."
        )
    if ties and (method != "nearest" or not replace):
        raise SpecificationError(
            f"ties=True applies to nearest-neighbour matching with replacement (method='nearest', replace=True); "
            f"got method={method!r}, replace={replace!r}. Without replacement a tied control can serve one unit "
            "only, so ties are broken in data order (MatchIt's rule): pass ties=False, or replace=True."
        )
    if order is None:
        order = "smallest" if estimand == "ATC" else "largest"
    order = str(check_choice("order", order, ORDERS, FUNC))
    ratio = int(check_number("ratio", ratio, FUNC, low=1, integer=True))
    max_ratio = max(1, physical_memory() // (_BYTES_PER_MATCH_SLOT * n_units))
    if ratio > max_ratio:
        raise SpecificationError(
            f"the 'ratio' parameter of match() must be <= {max_ratio} for {n_units} units on this machine "
            f"(1:{ratio} matching would need {ratio * n_units * _BYTES_PER_MATCH_SLOT / 2**30:.3g} GiB of memory); "
            f"got {ratio}."
        )
    _check_method_options(method, distance, ratio, caliper, score)
    return MatchSpec(
        treatment=treatment, covariates=tuple(covs), estimand=estimand, ps_model=ps_model, method=method,
        distance=distance, ratio=ratio, replace=bool(replace), caliper=caliper, caliper_scale=caliper_scale,
        order=order, exact=tuple(exact_cols), discard=discard, subclasses=subclasses, mahalanobis=mahalanobis,
        kernel=kernel, bandwidth=bandwidth, score=score, random_state=random_state, ties=bool(ties), weights=weights,
    )


def _check_method_options(method: str, distance: object, ratio: int, caliper: float | None, score: str | None) -> None:
    """The options that only some methods or distances take."""
    if method == "radius" and caliper is None:
        raise SpecificationError(
            "method='radius' needs 'caliper': the radius within which every control is a match "
            "(in SDs of the distance, or raw with caliper_scale='raw')."
        )
    if not isinstance(distance, str):
        raise SpecificationError(
            f"the 'distance' parameter of match() must be one of {list(DISTANCES)} or a column name; got {distance!r}."
        )
    if distance == "mahalanobis" and method != "nearest":
        raise SpecificationError(
            f"distance='mahalanobis' is available with method='nearest' only; got method={method!r}. "
            "Subclassification, radius and kernel matching work on a one-dimensional score."
        )
    if method != "nearest" and ratio != 1:
        raise SpecificationError(f"'ratio' applies to method='nearest' only; got ratio={ratio} with method={method!r}.")
    if score is not None and distance not in DISTANCES:
        raise SpecificationError(
            f"give either a precomputed 'score' or a distance column, not both (score={score!r}, distance={distance!r})."
        )


def check_match_data(data: pd.DataFrame, spec: MatchSpec) -> tuple[np.ndarray, np.ndarray | None]:
    """Check the columns ``spec`` names (present; treatment binary; covariates complete and of one
    kind each; sampling weights finite and > 0) and return the (n,) bool treatment indicator and the
    sampling weights (None without them)."""
    covs = list(spec.covariates)
    needed = (
        [spec.treatment] + covs + list(spec.exact)
        + ([spec.distance] if spec.column_distance else []) + ([spec.score] if spec.score else [])
        + ([spec.weights] if spec.weights else [])
    )
    check_columns(data, needed, FUNC)
    if spec.treatment in covs:
        raise SpecificationError(f"the treatment column '{spec.treatment}' cannot also be a covariate.")
    treated = check_binary(data, spec.treatment, FUNC).astype(bool)
    check_no_missing(data, covs + list(spec.exact), "covariate")
    check_covariate_kinds(data, covs, FUNC)  # text among numbers: refused here, so `validate` finds it too
    if spec.distance == "mahalanobis" and spec.mahalanobis is not None:
        check_columns(data, list(spec.mahalanobis), FUNC, role="Mahalanobis covariate")
        check_no_missing(data, list(spec.mahalanobis), "Mahalanobis covariate")
    return treated, check_sampling_weights(data, spec.weights, FUNC)


def check_no_missing(data: pd.DataFrame, columns: Sequence[str], role: str) -> None:
    """Refuse missing values in matching columns (covariates, exact-matching or Mahalanobis columns)."""
    for c in columns:
        na = data[c].isna().to_numpy()
        if na.any():
            raise DataError(
                f"{FUNC}(): {role} '{c}' has missing values in {describe_rows(data, na)} of {len(data)}. "
                "Matching needs complete covariates: drop these rows (a sample filter) or impute them first.",
                column=c,
                rows=example_rows(data, na),
            )
