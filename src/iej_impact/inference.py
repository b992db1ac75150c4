"""Inference objects and the influence-function machinery behind every standard error.

An estimator computes its estimate and, where theory gives one, the influence function
``psi`` (one value per unit) such that ``estimate - theta ~ mean(psi)``; then

* ``Robust``     : Var = sum(psi_i^2) / n^2                      (heteroskedasticity-robust)
* ``Clustered``  : Var = G/(G-1) * sum_g (sum_{i in g} psi_i)^2 / n^2   (Liang-Zeger, CR1-style)
* ``Bootstrap``  : resampling (units or clusters), for estimators where it is valid.

Matching estimators add ``AbadieImbens`` and ``PairCluster``. Users pass a string
(``"robust"``), a mapping (``{"type": "clustered", "by": "territory_id"}``) or one of these objects;
:func:`parse_inference` turns any of them into an object and refuses what an estimator does not
support (no silent fallback).

References: Liang & Zeger (1986) Biometrika 73(1); Cameron & Miller (2015) J. Human Resources 50(2),
section IV for the small-sample factor G/(G-1).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd
from scipy import stats

from ._validation import check_choice, check_number, suggest
from .errors import DataError, SpecificationError

__all__ = [
    "Inference",
    "Robust",
    "Clustered",
    "Bootstrap",
    "AbadieImbens",
    "PairCluster",
    "parse_inference",
    "se_from_influence",
    "normal_ci",
]


@dataclass(frozen=True)
class Inference:
    """Base class: a description of how a standard error is computed."""

    #: the string written to results.json "inference"
    _name: ClassVar[str] = ""

    @property
    def name(self) -> str:
        return self._name

    def to_dict(self) -> dict[str, object]:
        return {"type": self.name}

    def describe(self) -> str:
        return self.name


@dataclass(frozen=True)
class Robust(Inference):
    """Heteroskedasticity-robust (sandwich / influence-function) standard error."""

    _name: ClassVar[str] = "robust"

    def describe(self) -> str:
        return "robust (influence-function / sandwich) standard error, normal CI"


@dataclass(frozen=True)
class Clustered(Inference):
    """Cluster-robust standard error by column(s) ``by``, with the G/(G-1) small-sample factor."""

    by: str | tuple[str, ...] = ""

    def __post_init__(self) -> None:
        if not self.by:
            raise SpecificationError("Clustered() needs 'by': the column(s) defining the clusters.")
        if not isinstance(self.by, str):
            object.__setattr__(self, "by", tuple(self.by))

    _name: ClassVar[str] = "clustered"

    @property
    def columns(self) -> list[str]:
        return [self.by] if isinstance(self.by, str) else list(self.by)

    def to_dict(self) -> dict[str, object]:
        return {"type": "clustered", "by": self.by if isinstance(self.by, str) else list(self.by)}

    def describe(self) -> str:
        return (f"cluster-robust standard error by {', '.join(self.columns)} (small-sample factor: see the "
                "estimator's notes), normal CI")


#: most bootstrap resamples accepted (the standard error is stable long before; more only costs time and memory)
MAX_BOOTSTRAP_REPS = 100_000


@dataclass(frozen=True)
class Bootstrap(Inference):
    """Bootstrap standard error: ``reps`` resamples of units (or of clusters ``cluster``), 2 to
    ``MAX_BOOTSTRAP_REPS`` (100,000)."""

    reps: int = 999
    cluster: str | None = None
    random_state: int | None = None

    def __post_init__(self) -> None:
        check_number("reps", self.reps, "Bootstrap", low=2, high=MAX_BOOTSTRAP_REPS, integer=True)

    _name: ClassVar[str] = "bootstrap"

    def to_dict(self) -> dict[str, object]:
        return {"type": "bootstrap", "reps": int(self.reps), "cluster": self.cluster, "random_state": self.random_state}

    def describe(self) -> str:
        unit = f"clusters of {self.cluster}" if self.cluster else "units"
        return f"bootstrap standard error ({self.reps} draws over {unit}; scheme in the estimator's notes)"


@dataclass(frozen=True)
class AbadieImbens(Inference):
    """Abadie-Imbens (2006, 2016) standard error for nearest-neighbour matching.

    ``neighbours``: J, the number of same-arm units whose outcomes estimate each unit's
    conditional variance (Stata's ``vce(robust, nn(J))``, R Matching's ``Var.calc = J``).
    ``sigma2``: "ai2006" (J/(J+1) (Y_i - mean of the J)^2, Abadie & Imbens 2006 eq. 14),
    "sample" (sample variance of Y over the unit and its J neighbours, as R Matching)
    or "auto" (the first, or the second when matching keeps ties).
    """

    neighbours: int = 2
    sigma2: str = "auto"

    _name: ClassVar[str] = "abadie_imbens"

    def __post_init__(self) -> None:
        if isinstance(self.neighbours, bool) or not isinstance(self.neighbours, (int, np.integer)) or self.neighbours < 1:
            raise SpecificationError(
                f"the 'neighbours' of se='abadie_imbens' must be an integer >= 1; got {self.neighbours!r}."
            )
        if self.sigma2 not in ("auto", "ai2006", "sample"):
            raise SpecificationError(
                f"the 'sigma2' of se='abadie_imbens' must be one of {{'auto', 'ai2006', 'sample'}}; got {self.sigma2!r}."
            )

    def to_dict(self) -> dict[str, object]:
        return {"type": self.name, "neighbours": int(self.neighbours), "sigma2": self.sigma2}

    def describe(self) -> str:
        return f"Abadie-Imbens standard error for matching estimators ({self.neighbours} same-arm neighbours)"


@dataclass(frozen=True)
class PairCluster(Inference):
    """Standard error clustered on matched pairs / subclasses (matching without replacement)."""

    _name: ClassVar[str] = "pair_cluster"


_BY_NAME: dict[str, type[Inference]] = {
    "robust": Robust,
    "clustered": Clustered,
    "bootstrap": Bootstrap,
    "abadie_imbens": AbadieImbens,
    "pair_cluster": PairCluster,
}


def parse_inference(value: object, func: str, allowed: Sequence[str]) -> Inference:
    """Turn ``se=`` (string, mapping or Inference object) into an Inference the estimator supports.

    Raises SpecificationError naming the allowed choices; never falls back silently.
    """
    allowed = tuple(allowed)
    if isinstance(value, Inference):
        obj = value
    elif isinstance(value, str):
        check_choice("se", value, allowed, func)
        cls = _BY_NAME[value]
        if cls is Clustered:
            raise SpecificationError(
                f"se='clustered' for {func}() needs the cluster column: use "
                "{type: clustered, by: <column>} or Clustered(by=...)."
            )
        obj = cls()
    elif isinstance(value, Mapping):
        params = dict(value)
        kind = params.pop("type", None)
        if kind is None:
            raise SpecificationError(f"the 'se' mapping of {func}() needs a 'type' key (one of {list(allowed)}).")
        check_choice("se.type", kind, allowed, func)
        cls = _BY_NAME[kind]
        fields = {f for f in cls.__dataclass_fields__}  # type: ignore[attr-defined]
        unknown = [k for k in params if k not in fields]
        if unknown:
            raise SpecificationError(
                f"unknown key '{unknown[0]}' in 'se' of {func}() for type '{kind}'; allowed keys: "
                f"{sorted(fields) or 'none'}." + suggest(unknown[0], fields)
            )
        try:
            obj = cls(**params)
        except TypeError as exc:  # pragma: no cover - defensive
            raise SpecificationError(f"invalid 'se' for {func}(): {exc}") from None
    else:
        raise SpecificationError(
            f"the 'se' parameter of {func}() must be a string, a mapping or an Inference object; got {value!r}."
        )
    if obj.name not in allowed:
        raise SpecificationError(
            f"{func}() does not support se={obj.name!r}; choose one of {list(allowed)}."
        )
    return obj


def cluster_codes(data: pd.DataFrame, columns: Sequence[str], func: str) -> np.ndarray:
    """Integer cluster codes from one or more columns; missing cluster ids are an error."""
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise DataError(f"{func}(): cluster column '{missing[0]}' not found in the data.", column=missing[0])
    frame = data[list(columns)]
    na = frame.isna().any(axis=1).to_numpy()
    if na.any():
        raise DataError(
            f"{func}(): cluster column(s) {list(columns)} missing in {int(na.sum())} rows; "
            "every unit needs a cluster id.",
            column=columns[0],
        )
    if len(columns) == 1:
        return pd.factorize(frame.iloc[:, 0], sort=True)[0]
    return frame.groupby(list(columns), sort=True, observed=True).ngroup().to_numpy()


def se_from_influence(
    psi: np.ndarray, *, clusters: np.ndarray | None = None, small_sample: bool = True
) -> float:
    """Standard error of an estimator whose influence function is ``psi`` (n values).

    ``Var = sum(psi^2) / n^2``; with ``clusters``, psi is first summed within cluster and the
    variance multiplied by G/(G-1) when ``small_sample``.
    """
    psi = np.asarray(psi, dtype=float)
    n = psi.shape[0]
    if clusters is None:
        return float(np.sqrt(np.sum(psi**2)) / n)
    sums = np.bincount(np.asarray(clusters), weights=psi)
    g = int(np.count_nonzero(np.bincount(np.asarray(clusters))))
    if g < 2:
        raise DataError("cluster-robust standard errors need at least 2 clusters; the data have 1.")
    factor = g / (g - 1) if small_sample else 1.0
    return float(np.sqrt(factor * np.sum(sums**2)) / n)


def bootstrap_se(
    statistic: Callable[[np.ndarray], float],
    n: int,
    spec: Bootstrap,
    *,
    clusters: np.ndarray | None = None,
    strata: np.ndarray | None = None,
) -> tuple[float, np.ndarray]:
    """Bootstrap SE of ``statistic(index_array)`` by resampling rows (or whole clusters).

    With ``strata`` (e.g. the treatment arm), rows are resampled within each stratum so every
    resample keeps the stratum sizes. Returns (SE, the replicate estimates). Replicates where the
    statistic is undefined (NaN) are an error: a silent drop would bias the SE.
    """
    rng = np.random.default_rng(spec.random_state)
    reps = int(spec.reps)
    draws = np.empty(reps)
    if clusters is None and strata is not None:
        groups = [np.flatnonzero(strata == s) for s in np.unique(strata)]
        for b in range(reps):
            draws[b] = statistic(np.concatenate([g[rng.integers(0, len(g), len(g))] for g in groups]))
    elif clusters is None:
        for b in range(reps):
            draws[b] = statistic(rng.integers(0, n, n))
    else:
        clusters = np.asarray(clusters)
        order = np.argsort(clusters, kind="stable")
        bounds = np.flatnonzero(np.diff(clusters[order])) + 1
        members = np.split(order, bounds)
        g = len(members)
        for b in range(reps):
            pick = rng.integers(0, g, g)
            draws[b] = statistic(np.concatenate([members[j] for j in pick]))
    bad = ~np.isfinite(draws)
    if bad.any():
        from .errors import EstimationError

        raise EstimationError(
            f"{int(bad.sum())} of {reps} bootstrap resamples gave an undefined estimate (e.g. a resample "
            "with no treated or no control unit); use an analytic standard error instead."
        )
    return float(np.std(draws, ddof=1)), draws


def normal_ci(estimate: float, se: float, alpha: float = 0.05) -> tuple[float, float, float]:
    """(ci_lower, ci_upper, two-sided p-value) from the normal approximation."""
    if not np.isfinite(se) or se <= 0:
        return (float("nan"), float("nan"), float("nan"))
    z = stats.norm.ppf(1 - alpha / 2)
    p = 2 * stats.norm.sf(abs(estimate / se))
    return (estimate - z * se, estimate + z * se, float(p))
