"""Matching on the propensity score (or on covariates): a step that yields weights and subclasses.

:func:`match` returns a frozen :class:`MatchResult` holding, for every row of the input, the
matching weight, the subclass (pair or stratum id), whether the row was discarded, and the
distance; ``matched_data()`` gives MatchIt's ``match.data`` and ``sample_sizes`` its ``nn``
table. Effect estimation is a separate step (:meth:`MatchResult.estimate`, :func:`psm`).

Methods
-------
``nearest``
    Greedy nearest-neighbour matching on a 1-D distance, 1:k, with or without replacement, with
    MatchIt's conventions (see :mod:`iej_impact.matching._nearest`): all units ordered together by
    (distance, data row); a focal unit's candidates are the nearest available control before it and
    the nearest after it in that order, the one before winning at equal distance; without
    replacement, focal units are matched in ``order`` and 1:k proceeds in rounds. With
    ``distance="mahalanobis"`` the nearest control is the one with the smallest Mahalanobis distance
    on ``mahalanobis`` covariates (pooled within-arm covariance, as MatchIt >= 4.4), among controls
    within the caliper on the logit of the propensity score; ties go to the first control in data
    order.
    With replacement, ``ties=True`` keeps every control as close as the ``ratio``-th nearest
    (Stata's ``teffects``, R Matching), and ``estimand="ATE"`` matches every treated unit to
    controls and every control to treated units (Abadie & Imbens 2006); the matched sets are then
    in ``MatchResult.match_sets`` (see :mod:`iej_impact.matching._sets`).
``subclass``
    Subclassification on quantiles of the focal arm's score (MatchIt's ``method = "subclass"``):
    breaks at the ``subclasses`` quantiles (R type 7) of the focal units' score (all units' score for
    the ATE), intervals closed on the left, the extreme ones open-ended; a subclass missing one arm
    borrows the nearest unit(s) of that arm from the neighbouring subclass (MatchIt's "scoot").
``radius``
    Every focal unit is matched to all controls within ``caliper`` of its distance (Dehejia &
    Wahba 2002): control weights as for matching with replacement with a variable ratio.
``kernel``
    Kernel matching (Heckman, Ichimura & Todd 1997): the counterfactual of focal unit i is the
    average of the controls weighted by K((d_j - d_i) / h) / sum_k K((d_k - d_i) / h), with
    ``kernel`` Epanechnikov, K(u) = 3/4 (1 - u^2) on |u| <= 1, or Gaussian (terms beyond 8
    bandwidths, below 1.3e-14 of the peak, are dropped). Bandwidth ``h``: ``bandwidth`` (in the
    units of ``caliper_scale``), by default Silverman's rule 1.06 SD(d) n^(-1/5) over the units kept.

Weights (MatchIt's, stated for the ATT; swap the arms for the ATC)
    Treated units with a match weigh 1. Each control weighs the sum, over the treated units it is
    matched to, of 1 / (number of controls matched to that treated unit) (kernel: of its kernel
    share); control weights are then rescaled to sum to the number of controls with a positive
    weight. Subclassification: controls weigh (treated / controls in their subclass), rescaled to
    sum to the number of controls in a subclass. Unmatched and discarded units weigh 0.

Caliper
    ``caliper`` is in standard deviations of the distance unless ``caliper_scale="raw"``. As in
    MatchIt, the SD is the sample SD (denominator n - 1) over *all* units not discarded, both arms
    pooled. A control is within the caliper when |d_i - d_j| <= caliper.

Discard (common support on the distance, MatchIt's ``discard``)
    ``treated``: treated units outside [min, max] of the controls' distance; ``control``: controls
    outside the treated range; ``both``: both. Discarded units are neither matched nor matches.

References
----------
Ho, D., Imai, K., King, G. & Stuart, E. (2011). MatchIt: Nonparametric Preprocessing for
Parametric Causal Inference. Journal of Statistical Software 42(8).
Austin, P. (2011). Optimal caliper widths for propensity-score matching. Pharmaceutical
Statistics 10(2) (caliper of 0.2 SD of the logit score).
Rosenbaum, P. & Rubin, D. (1985). Constructing a control group using multivariate matched
sampling methods that incorporate the propensity score. The American Statistician 39(1).
Heckman, J., Ichimura, H. & Todd, P. (1997). Matching as an econometric evaluation estimator.
Review of Economic Studies 64(4).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from .._validation import (
    arguments_checked,
    as_column_list,
    check_binary,
    check_choice,
    check_columns,
    check_dataframe,
    check_estimand,
    check_number,
    describe_rows,
    example_rows,
    physical_memory,
    short_repr,
)
from ..data._numeric_text import check_numeric
from ..errors import DataError, EstimationError, OverlapWarning, SpecificationError, TieWarning
from ..inference import (
    AbadieImbens,
    Clustered,
    PairCluster,
    cluster_codes,
    normal_ci,
    parse_inference,
    se_from_influence,
)
from ..observational._design import check_covariate_kinds
from ..results import EffectResult, Result, Summary, jsonable
from ._inference import (
    NNEffects,
    nn_effects,
    ps_adjustment_parts_ate,
    ps_adjustment_unavailable,
    sigma2_kind,
)
from ._inference import ps_adjustment_parts as _ps_adjustment_parts  # noqa: F401  (re-exported for tests)
from ._inference import ps_adjustment_term as _ps_adjustment_term
from ._nearest import NO_MATCH, focal_order, nearest_match, stable_argsort
from ._sets import ListSets, MatchSets, RangeSets, knn_ranges, sets_from_matrix, total_usage

__all__ = ["match", "MatchResult", "psm", "estimate_effect"]

_FUNC = "match"
#: bytes per (unit, neighbour) slot of nearest-neighbour matching (index, distance and work arrays)
_BYTES_PER_MATCH_SLOT = 64

Method = Literal["nearest", "subclass", "radius", "kernel"]
METHODS: tuple[str, ...] = ("nearest", "subclass", "radius", "kernel")
DISTANCES: tuple[str, ...] = ("propensity", "logit", "mahalanobis")
ORDERS: tuple[str, ...] = ("largest", "smallest", "data", "random")
DISCARDS: tuple[str, ...] = ("none", "treated", "control", "both")
CALIPER_SCALES: tuple[str, ...] = ("sd", "raw")
KERNELS: tuple[str, ...] = ("epanechnikov", "gaussian")
_GAUSS_SUPPORT = 8.0


@dataclass(frozen=True)
class MatchResult(Result):
    """The outcome of :func:`match`: weights, subclasses and bookkeeping for every input row.

    Attributes
    ----------
    data : the input frame (a shallow, copy-on-write copy; never modified).
    treatment, covariates, estimand, method : as passed to :func:`match`.
    distance_name : "propensity", "logit", "mahalanobis" or the column used as distance.
    distance : (n,) the 1-D distance matched on (for Mahalanobis matching, the logit score the
        caliper, order and discard use).
    propensity : (n,) the estimated propensity score, or None when a distance column was given.
    weights : (n,) matching weights (0 = not in the matched sample).
    subclass : (n,) pair / subclass id (1, 2, ...), -1 where none (unmatched, or matching with
        replacement, radius and kernel matching, where a unit may belong to several sets).
    discarded : (n,) True for units dropped by ``discard``.
    match_matrix : (n_focal, ratio) row positions of the matches of each focal unit (focal units in
        data order), -1 where none; nearest-neighbour matching only, else None.
    caliper : the caliper in the units of the distance (after scaling by the SD), or None.
    bandwidth : the kernel bandwidth in the units of the distance (kernel matching), else None.
    sample_sizes : All / Matched / Unmatched / Discarded per arm, with effective sample sizes.
    spec : the arguments of the call (provenance).
    notes : conventions and caveats shown in summaries.
    propensity_model : the fitted :class:`~iej_impact.observational._propensity.PropensityScore` when the score
        was estimated here (None for a ``score``/``distance`` column); its linearization feeds the
        Abadie-Imbens (2016) adjustment of the standard error.
    match_sets : nearest-neighbour matching: the matched sets, keyed by the arm of the units
        being matched ("treated": matches of treated units among controls; "control": the
        reverse; both for the ATE). With ``ties=True`` or the ATE, ``match_matrix`` is None (sets
        vary in size) and ``match_sets`` is the record of the matching.
    """

    data: pd.DataFrame = field(repr=False)
    treatment: str
    covariates: tuple[str, ...]
    estimand: str
    method: str
    distance_name: str
    distance: np.ndarray = field(repr=False)
    propensity: np.ndarray | None = field(repr=False)
    weights: np.ndarray = field(repr=False)
    subclass: np.ndarray = field(repr=False)
    discarded: np.ndarray = field(repr=False)
    match_matrix: np.ndarray | None = field(repr=False)
    caliper: float | None
    bandwidth: float | None
    sample_sizes: pd.DataFrame = field(repr=False)
    spec: Mapping[str, object] = field(default_factory=dict, repr=False)
    notes: tuple[str, ...] = ()
    propensity_model: Any = field(default=None, repr=False)
    match_sets: Mapping[str, MatchSets] | None = field(default=None, repr=False)

    # -- views -----------------------------------------------------------------------------
    @property
    def treated(self) -> np.ndarray:
        """(n,) bool: treatment indicator."""
        return self.data[self.treatment].to_numpy(dtype=float) == 1

    @property
    def matched(self) -> np.ndarray:
        """(n,) bool: row is in the matched sample (positive weight)."""
        return self.weights > 0

    def matched_data(self) -> pd.DataFrame:
        """The matched rows with ``distance``, ``weights`` and ``subclass`` columns (MatchIt's match.data).

        ``subclass`` is a nullable integer (missing after matching with replacement, radius and
        kernel matching). Column names that already exist in the data are not overwritten: the
        new column gets a leading underscore instead.
        """
        keep = self.matched
        out = self.data.loc[keep].copy()
        sub = pd.array(np.where(self.subclass[keep] >= 0, self.subclass[keep], 0), dtype="Int64")
        sub[self.subclass[keep] < 0] = pd.NA
        for name, values in (("distance", self.distance[keep]), ("weights", self.weights[keep]), ("subclass", sub)):
            col = name
            while col in out.columns:
                col = "_" + col
            out[col] = values
        return out

    def pairs(self) -> pd.DataFrame:
        """Matched sets as a long table: one row per (focal unit, match), by data index label.

        Columns ``treated``, ``control`` (index labels of the two units), ``k`` (1 for the first
        match, 2 for the second...), ``subclass`` (pair id; missing with replacement) and
        ``distance_difference`` (|d_treated - d_control| on the matching distance).
        Nearest-neighbour matching only.
        """
        if self.match_matrix is None and self.match_sets is not None:
            return self._pairs_from_sets()
        if self.match_matrix is None:
            raise SpecificationError(
                f"pairs() is defined for method='nearest' only; this result used method={self.method!r}, where "
                "a unit is compared with a weighted set of units. Use matched_data() and its weights instead."
            )
        focal = ~self.treated if self.estimand == "ATC" else self.treated
        focal_rows = np.flatnonzero(focal)
        mm = self.match_matrix
        fi, ki = np.nonzero(mm >= 0)
        f_rows = focal_rows[fi]
        c_rows = mm[fi, ki]
        labels = self.data.index.to_numpy()
        t_rows, ctl_rows = (c_rows, f_rows) if self.estimand == "ATC" else (f_rows, c_rows)
        sub = pd.array(self.subclass[f_rows], dtype="Int64")
        sub[self.subclass[f_rows] < 0] = pd.NA
        out = pd.DataFrame(
            {
                "treated": labels[t_rows],
                "control": labels[ctl_rows],
                "k": ki + 1,
                "subclass": sub,
                "distance_difference": np.abs(self.distance[f_rows] - self.distance[c_rows]),
            }
        )
        return out

    def _pairs_from_sets(self) -> pd.DataFrame:
        """pairs() for matched sets (ties kept, or the ATE): k numbers a set's members by distance, then row.

        For the ATE a column ``focal`` says which unit's counterfactual the pair imputes.
        """
        labels = self.data.index.to_numpy()
        frames = []
        for arm, sets in (self.match_sets or {}).items():
            pos, rows = sets.pairs()
            f_rows = sets.focal[pos]
            diff = np.abs(self.distance[f_rows] - self.distance[rows])
            order = np.lexsort((rows, diff, pos))
            pos, rows, f_rows, diff = pos[order], rows[order], f_rows[order], diff[order]
            start = np.concatenate([[0], np.flatnonzero(np.diff(pos)) + 1]) if pos.size else np.zeros(0, int)
            rank = np.arange(pos.shape[0]) - np.repeat(start, np.diff(np.concatenate([start, [pos.shape[0]]])))
            t_rows, c_rows = (f_rows, rows) if arm == "treated" else (rows, f_rows)
            frame = pd.DataFrame(
                {
                    "treated": labels[t_rows],
                    "control": labels[c_rows],
                    "k": rank + 1,
                    "subclass": pd.array([pd.NA] * pos.shape[0], dtype="Int64"),
                    "distance_difference": diff,
                }
            )
            if self.estimand == "ATE":
                frame.insert(0, "focal", arm)
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)

    def balance(self, **kwargs: Any) -> Any:
        """Covariate balance before and after matching: ``balance_table`` with these weights.

        Keyword arguments are passed to :func:`iej_impact.observational._balance.balance_table` (``stats``,
        ``sd_denominator``, ``threshold``...).
        """
        from ..observational._balance import balance_table

        return balance_table(
            self.data, treatment=self.treatment, covariates=list(self.covariates), weights=self.weights, **kwargs
        )

    def estimate(
        self,
        outcome: str,
        *,
        se: object = None,
        alpha: float = 0.05,
        ps_adjustment: bool = True,
        bias_adjust: bool | Sequence[str] = False,
    ) -> Any:
        """Effect estimate on the matched sample (see :func:`estimate_effect`)."""
        return estimate_effect(
            self, outcome, se=se, alpha=alpha, ps_adjustment=ps_adjustment, bias_adjust=bias_adjust
        )

    def sensitivity(self, outcome: str, **kwargs: Any) -> Any:
        """Rosenbaum bounds for this 1:1 matching (see :func:`iej_impact.matching._sensitivity.rosenbaum_bounds`)."""
        from ._sensitivity import rosenbaum_bounds

        return rosenbaum_bounds(self, outcome=outcome, **kwargs)

    # -- display / export ----------------------------------------------------------------------
    def summary(self) -> Summary:
        spec = {
            "method": self.method,
            "estimand": self.estimand,
            "distance": self.distance_name,
        }
        for key in ("ratio", "replace", "ties", "order", "discard", "exact", "subclasses", "kernel"):
            if key in self.spec and self.spec[key] not in (None, (), []) and not (key == "ties" and not self.spec[key]):
                spec[key] = self.spec[key]
        if self.caliper is not None:
            spec["caliper"] = f"{self.caliper:.6g} (distance units)"
        if self.bandwidth is not None:
            spec["bandwidth"] = f"{self.bandwidth:.6g} (distance units)"
        spec_table = pd.DataFrame({"value": [str(v) for v in spec.values()]}, index=pd.Index(list(spec), name="setting"))
        return Summary(
            title=f"Matching: {self.method} ({self.estimand})",
            tables=(("Specification", spec_table), ("Sample sizes", self.sample_sizes)),
            notes=self.notes,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe record: specification, caliper, bandwidth and sample sizes."""
        return jsonable(
            {
                "method": self.method,
                "estimand": self.estimand,
                "distance": self.distance_name,
                "caliper": self.caliper,
                "bandwidth": self.bandwidth,
                "sample_sizes": {str(i): r.to_dict() for i, r in self.sample_sizes.iterrows()},
                "spec": dict(self.spec),
                "notes": list(self.notes),
            }
        )


# =============================================================================================
# match()
# =============================================================================================
def match(
    data: pd.DataFrame,
    *,
    treatment: str,
    covariates: Sequence[str],
    estimand: str = "ATT",
    ps_model: object = "logit",
    method: str = "nearest",
    distance: str = "propensity",
    ratio: int = 1,
    replace: bool = False,
    caliper: float | None = None,
    caliper_scale: str = "sd",
    order: str | None = None,
    exact: Sequence[str] | str = (),
    discard: str = "none",
    subclasses: int = 6,
    mahalanobis: Sequence[str] | None = None,
    kernel: str = "epanechnikov",
    bandwidth: float | None = None,
    score: str | None = None,
    random_state: int | None = None,
    ties: bool = False,
) -> MatchResult:
    """Match treated and control units; return weights, subclasses and the sample-size table.

    Parameters
    ----------
    data : one row per unit; never modified.
    treatment : 0/1 (or bool) treatment column.
    covariates : columns of the propensity-score model (and of the balance table).
    estimand : "ATT" (treated units are matched to controls), "ATC" (controls are matched to
        treated units) or "ATE" (``method="subclass"``, or ``method="nearest"`` with
        ``replace=True``: every treated unit is matched to its ``ratio`` nearest controls and
        every control to its ``ratio`` nearest treated units, Abadie & Imbens 2006).
    ps_model : "logit", "probit", "gbm" or an object with ``fit``/``predict_proba``; passed to
        :func:`iej_impact.observational._propensity.propensity_score`. Unused when ``distance`` is a column.
    method : "nearest", "subclass", "radius" or "kernel" (see the module docstring).
    distance : "propensity" (the score), "logit" (its log-odds), "mahalanobis" (Mahalanobis
        distance on ``mahalanobis`` covariates, within a caliper on the logit score), or the name
        of a numeric column holding a precomputed distance (a score estimated elsewhere).
    ratio : k in 1:k nearest-neighbour matching.
    replace : match with replacement (a control may serve several treated units).
    caliper : maximum distance between matched units, in SDs of the distance (``caliper_scale="sd"``,
        SD over all units not discarded, both arms) or in distance units (``"raw"``). Required for
        ``method="radius"`` (the radius).
    caliper_scale : "sd" or "raw" (also the unit of ``bandwidth``).
    order : order in which focal units are matched without replacement: "largest" or "smallest"
        distance first, "data" order, or "random" (drawn with ``random_state``). Default (None):
        MatchIt's, "largest" for the ATT and "smallest" for the ATC: the units hardest to match
        first.
    exact : columns to match exactly on (units are matched within their cells only).
    discard : common-support rule on the distance: "none", "treated", "control" or "both".
    subclasses : number of subclasses for ``method="subclass"``.
    mahalanobis : covariates of the Mahalanobis distance (default: ``covariates``); categorical
        columns are expanded to indicators.
    kernel : "epanechnikov" or "gaussian" (``method="kernel"``).
    bandwidth : kernel bandwidth in the units of ``caliper_scale``; default Silverman's rule.
    score : column holding a propensity score estimated elsewhere (values in (0, 1)); used instead
        of fitting ``ps_model`` for ``distance`` "propensity", "logit" and "mahalanobis".
    random_state : seed for ``order="random"``.
    ties : nearest-neighbour matching with replacement only. False (default): exactly ``ratio``
        matches per unit, ties in the distance broken by MatchIt's rule (data order). True: every
        unit of the other arm at a distance equal to that of the ``ratio``-th nearest is kept too,
        each member of the matched set weighing 1 / (size of the set), as Stata's ``teffects``
        and R Matching's ``Match(ties = TRUE)`` do; the result then does not depend on the row
        order. Distances are equal when they differ by floating-point noise only
        (:func:`iej_impact.matching._sets.tie_tolerance`).

    Returns
    -------
    MatchResult

    Raises
    ------
    DataError : missing columns, non-binary treatment, one arm empty, missing or non-numeric
        values in the covariates, exact-matching columns or the distance.
    SpecificationError : an option is not allowed (names the allowed values).
    EstimationError : no unit left after ``discard``, no focal unit matched (e.g. caliper too
        narrow), or units the estimand needs have a fitted score of exactly 0 or 1 (separation: no
        possible counterpart) and were matched all the same; dropping them with ``discard`` or a
        caliper leaves the score's OverlapWarning and an estimate for the units kept. A caliper that leaves *some* focal units unmatched gives an :class:`OverlapWarning`
        with the count; the estimand then refers to the matched focal units only.

    Notes
    -----
    Matching assumes selection on observables (no unmeasured confounder) and overlap. The
    conventions reproduce MatchIt (checked against MatchIt on LaLonde's data, see
    tests/reference/test_matchit.py); MatchIt 4.5.1 as built by Debian compares distances with an
    integer ``abs`` and so differs from the documented rule on raw propensity scores.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> df = pd.DataFrame({"d": [1, 1, 0, 0, 0, 0], "ps": [0.8, 0.6, 0.7, 0.55, 0.2, 0.1]})
    >>> res = match(df, treatment="d", covariates=[], distance="ps")
    >>> res.pairs()[["treated", "control"]].values.tolist()
    [[0, 2], [1, 3]]
    """
    check_dataframe(data, _FUNC)
    covs = as_column_list("covariates", covariates, _FUNC)
    exact_cols = as_column_list("exact", exact, _FUNC)
    method = str(check_choice("method", method, METHODS, _FUNC))
    allowed_est = ("ATT", "ATC", "ATE") if method in ("subclass", "nearest") else ("ATT", "ATC")
    if isinstance(estimand, str) and estimand.upper() == "ATE" and method not in ("subclass", "nearest"):
        raise SpecificationError(
            f"the 'estimand' parameter of match() must be one of {{'ATT', 'ATC'}} for method={method!r}; got 'ATE'. "
            f"{method.capitalize()} matching imputes the counterfactual of one arm only; for the ATE use "
            "method='nearest' with replace=True, method='subclass', or ipw() / doubly_robust()."
        )
    estimand = check_estimand(estimand, _FUNC, allowed_est)
    if not isinstance(ties, (bool, np.bool_)):
        raise SpecificationError(f"the 'ties' parameter of match() must be True or False; got {ties!r}.")
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
    caliper_scale = str(check_choice("caliper_scale", caliper_scale, CALIPER_SCALES, _FUNC))
    discard = str(check_choice("discard", discard, DISCARDS, _FUNC))
    kernel = str(check_choice("kernel", kernel, KERNELS, _FUNC))
    if order is None:
        order = "smallest" if estimand == "ATC" else "largest"
    order = str(check_choice("order", order, ORDERS, _FUNC))
    ratio = int(check_number("ratio", ratio, _FUNC, low=1, integer=True))
    max_ratio = max(1, physical_memory() // (_BYTES_PER_MATCH_SLOT * len(data)))
    if ratio > max_ratio:
        raise SpecificationError(
            f"the 'ratio' parameter of match() must be <= {max_ratio} for {len(data)} units on this machine "
            f"(1:{ratio} matching would need {ratio * len(data) * _BYTES_PER_MATCH_SLOT / 2**30:.3g} GiB of memory); "
            f"got {ratio}."
        )
    if random_state is not None:
        random_state = int(check_number("random_state", random_state, _FUNC, low=0, integer=True))
    subclasses = int(check_number("subclasses", subclasses, _FUNC, low=2, integer=True))
    if not isinstance(replace, (bool, np.bool_)):
        raise SpecificationError(f"the 'replace' parameter of match() must be True or False; got {replace!r}.")
    if caliper is not None:
        caliper = check_number("caliper", caliper, _FUNC, low=0.0, low_open=True)
    if bandwidth is not None:
        bandwidth = check_number("bandwidth", bandwidth, _FUNC, low=0.0, low_open=True)
    if method == "radius" and caliper is None:
        raise SpecificationError(
            "method='radius' needs 'caliper': the radius within which every control is a match "
            "(in SDs of the distance, or raw with caliper_scale='raw')."
        )
    if not isinstance(distance, str):
        raise SpecificationError(
            f"the 'distance' parameter of match() must be one of {set(DISTANCES)} or a column name; got {distance!r}."
        )
    if distance == "mahalanobis" and method != "nearest":
        raise SpecificationError(
            f"distance='mahalanobis' is available with method='nearest' only; got method={method!r}. "
            "Subclassification, radius and kernel matching work on a one-dimensional score."
        )
    if method != "nearest" and ratio != 1:
        raise SpecificationError(f"'ratio' applies to method='nearest' only; got ratio={ratio} with method={method!r}.")

    column_distance = distance not in DISTANCES
    if score is not None and column_distance:
        raise SpecificationError(
            f"give either a precomputed 'score' or a distance column, not both (score={score!r}, distance={distance!r})."
        )
    needed = [treatment] + covs + exact_cols + ([distance] if column_distance else []) + ([score] if score else [])
    check_columns(data, needed, _FUNC)
    if treatment in covs:
        raise SpecificationError(f"the treatment column '{treatment}' cannot also be a covariate.")
    d_arr = check_binary(data, treatment, _FUNC).astype(bool)
    n = d_arr.shape[0]
    _check_no_missing(data, covs + exact_cols, "covariate")
    check_covariate_kinds(data, covs, _FUNC)  # text among numbers: refused here, so `validate` finds it too
    arguments_checked()

    # ---- the score / distance ------------------------------------------------------------------
    propensity: np.ndarray | None = None
    ps_fit = None
    if column_distance:
        dist = _numeric_column(data, distance)
        distance_name = distance
    else:
        if score is not None:
            propensity = _numeric_column(data, score)
            bad = ~((propensity > 0) & (propensity < 1))
            if bad.any():
                raise DataError(
                    f"{_FUNC}(): the score column '{score}' must hold probabilities strictly between 0 and 1; "
                    f"{describe_rows(data, bad)} do not.",
                    column=score,
                    rows=example_rows(data, bad),
                )
        elif not covs:
            raise SpecificationError(
                f"distance={distance!r} needs a propensity-score model: pass 'covariates', or give a column "
                "with a precomputed score as 'score' (or as 'distance')."
            )
        else:
            propensity, ps_fit = _propensity(data, treatment, covs, ps_model)
        logit = _logit(propensity)
        dist = propensity if distance == "propensity" else logit
        distance_name = distance
    if not np.isfinite(dist).all():
        bad = ~np.isfinite(dist)
        raise DataError(
            f"match(): the distance has non-finite values in {describe_rows(data, bad)}"
            + (" (propensity scores of exactly 0 or 1: the logit is infinite; use distance='propensity' "
               "or a model that does not separate the arms)." if not column_distance else "."),
            column=distance if column_distance else None,
            rows=example_rows(data, bad),
        )

    focal = ~d_arr if estimand == "ATC" else d_arr
    # ---- discard -------------------------------------------------------------------------------
    discarded = _discard(dist, d_arr, discard)
    eligible = ~discarded
    n_f_kept = int((focal & eligible).sum())
    n_c_kept = int((~focal & eligible).sum())
    if n_f_kept == 0 or n_c_kept == 0:
        raise EstimationError(
            f"match(): discard={discard!r} leaves {int((d_arr & eligible).sum())} treated and "
            f"{int((~d_arr & eligible).sum())} control units: the arms' distance ranges do not overlap "
            "(empty common support). Check the propensity-score model or use discard='none'."
        )

    # ---- caliper / bandwidth in distance units -------------------------------------------------
    sd = float(np.std(dist[eligible], ddof=1)) if eligible.sum() > 1 else 0.0
    caliper_raw: float | None = None
    if caliper is not None:
        caliper_raw = float(caliper) * sd if caliper_scale == "sd" else float(caliper)
    strata = _strata(data, exact_cols) if exact_cols else None

    notes: list[str] = []
    match_matrix = None
    bandwidth_raw = None
    rng = np.random.default_rng(random_state)
    subclass = np.full(n, -1, dtype=np.int64)
    match_sets: dict[str, MatchSets] | None = None
    z: np.ndarray | None = None
    if method == "nearest":
        ford = focal_order(dist[focal], order, rng)
        if distance == "mahalanobis":
            mcols = as_column_list("mahalanobis", mahalanobis, _FUNC) if mahalanobis is not None else covs
            check_columns(data, mcols, _FUNC, role="Mahalanobis covariate")
            _check_no_missing(data, mcols, "Mahalanobis covariate")
            z = _mahalanobis_space(data, mcols, d_arr, eligible)
            notes.append(
                "Mahalanobis distance on " + ", ".join(mcols) + " (pooled within-arm covariance)"
                + (" within a caliper on the logit propensity score." if caliper_raw is not None else ".")
            )
        if estimand == "ATE" or ties:
            match_sets = _replacement_sets(
                dist, z, d_arr, eligible, ratio, caliper_raw, strata, estimand, bool(ties)
            )
            weights = _weights_from_sets(match_sets, d_arr, estimand)
        else:
            if z is not None:
                match_matrix = _mahalanobis_match(
                    z, dist, focal, eligible, ford, ratio, bool(replace), caliper_raw, strata
                )
            else:
                match_matrix = nearest_match(
                    dist, focal, eligible=eligible, order=ford, ratio=ratio, replace=bool(replace),
                    caliper=caliper_raw, strata=strata,
                )
            weights = _weights_from_matrix(match_matrix, focal, n)
            if z is None:
                _warn_broken_ties(data, dist, focal, eligible, strata, match_matrix, notes, bool(replace))
            if not replace:
                subclass = _pair_ids(match_matrix, focal)
            match_sets = {"treated" if estimand == "ATT" else "control": sets_from_matrix(
                match_matrix, np.flatnonzero(focal), n)}
        if ties:
            notes.append(
                f"Nearest-neighbour matching with replacement, {ratio} match(es) per unit with ties kept: every unit "
                f"of the other arm as close as the {_ordinal(ratio)} nearest is a match, each of a unit's matches "
                "weighing 1 / (number of its matches)."
            )
        else:
            notes.append(
                "Nearest-neighbour matching with MatchIt's conventions: units ordered by (distance, data row); "
                "the nearest available control before or after a focal unit, the one before at equal distance"
                + ("; without replacement, matched in order " + repr(order)
                   + (", in rounds for 1:k" if ratio > 1 else "") if not replace else "; with replacement")
                + "."
            )
        if estimand == "ATE":
            notes.append(
                "ATE by matching (Abadie & Imbens 2006): treated units matched to controls and controls to treated "
                "units; a unit's weight is 1 + sum of 1/(number of matches) over the units it serves as a match."
            )
    elif method == "subclass":
        subclass = _subclassify(dist, d_arr, eligible, subclasses, estimand, notes)
        weights = _subclass_weights(subclass, d_arr, estimand)
    elif method == "radius":
        weights = _radius_weights(dist, focal, eligible, float(caliper_raw), strata)  # type: ignore[arg-type]
    else:
        if bandwidth is None:
            n_kept = int(eligible.sum())
            bandwidth_raw = 1.06 * sd * n_kept ** (-0.2)
            notes.append(f"Kernel bandwidth by Silverman's rule: 1.06 x SD x n^(-1/5) = {bandwidth_raw:.6g}.")
        else:
            bandwidth_raw = float(bandwidth) * sd if caliper_scale == "sd" else float(bandwidth)
        if bandwidth_raw <= 0:
            raise EstimationError("match(): the kernel bandwidth is 0 (the distance is constant); pass 'bandwidth'.")
        weights = _kernel_weights(dist, focal, eligible, bandwidth_raw, kernel, strata)

    if estimand == "ATE" and method == "nearest":
        _check_ate_matched(data, match_sets, d_arr, eligible, caliper, caliper_scale, exact_cols, notes)
    matched_focal = int(((weights > 0) & focal & eligible).sum())
    arm_f = "control" if estimand == "ATC" else "treated"
    arm_c = "treated" if estimand == "ATC" else "control"
    nearest_ate = estimand == "ATE" and method == "nearest"
    if not nearest_ate and (matched_focal == 0 or not ((weights > 0) & ~focal).any()):
        why = f" within caliper={caliper} ({'SD of the distance' if caliper_scale == 'sd' else 'raw'})" if caliper else ""
        raise EstimationError(
            f"match(): no {arm_f} unit found a {arm_c} match{why} ({n_f_kept} {arm_f} and {n_c_kept} {arm_c} "
            "units available). Widen the caliper, relax 'exact', or check the overlap of the propensity score."
        )
    if propensity is not None:
        _refuse_separated_matches(data, propensity, d_arr, weights, estimand, ps_fit)
    unmatched_focal = focal & eligible & (weights == 0)
    if ties and estimand != "ATE":
        unmatched_focal = focal & eligible & ~_own_mask(match_sets, n)
    if unmatched_focal.any() and not nearest_ate:
        k = int(unmatched_focal.sum())
        reason = _no_match_reason(caliper, caliper_scale, exact_cols)
        msg = (
            f"{k} of {n_f_kept} {arm_f} units have no {arm_c} match {reason} and are dropped "
            f"({describe_rows(data, unmatched_focal)}); the estimate then refers to the matched {arm_f} units "
            f"only, not the full {estimand}."
        )
        warnings.warn(msg, OverlapWarning, stacklevel=2)
        notes.append(msg)

    sizes = _sample_sizes(d_arr, weights, discarded)
    spec = {
        "treatment": treatment,
        "covariates": list(covs),
        "estimand": estimand,
        "ps_model": ps_model if isinstance(ps_model, str) else type(ps_model).__name__,
        "method": method,
        "distance": distance,
        "ratio": ratio,
        "replace": bool(replace),
        "caliper": caliper,
        "caliper_scale": caliper_scale,
        "order": order,
        "exact": list(exact_cols),
        "discard": discard,
        "subclasses": subclasses if method == "subclass" else None,
        "mahalanobis": list(mahalanobis) if mahalanobis is not None else None,
        "kernel": kernel if method == "kernel" else None,
        "bandwidth": bandwidth,
        "score": score,
        "random_state": random_state,
        "ties": bool(ties),
    }
    if caliper_raw is not None and caliper_scale == "sd":
        notes.append(
            f"Caliper {caliper} SD = {caliper_raw:.6g} in distance units (sample SD over all {int(eligible.sum())} "
            "units not discarded, both arms pooled, as MatchIt)."
        )
    return MatchResult(
        data=data.copy(deep=False),
        treatment=treatment,
        covariates=tuple(covs),
        estimand=estimand,
        method=method,
        distance_name=distance_name,
        distance=dist,
        propensity=propensity,
        weights=weights,
        subclass=subclass,
        discarded=discarded,
        match_matrix=match_matrix,
        caliper=caliper_raw,
        bandwidth=bandwidth_raw,
        sample_sizes=sizes,
        spec=spec,
        notes=tuple(notes),
        propensity_model=ps_fit,
        match_sets=match_sets,
    )


# =============================================================================================
# helpers: input
# =============================================================================================
def _warn_broken_ties(
    data: pd.DataFrame,
    dist: np.ndarray,
    focal: np.ndarray,
    eligible: np.ndarray,
    strata: np.ndarray | None,
    mm: np.ndarray,
    notes: list[str],
    replace: bool = True,
) -> None:
    """Warn when, with ``ties=False``, focal units' last match was picked by row order among other-arm
    units at exactly the same distance (with or without replacement).

    For each focal unit with matches, let delta be the distance to its farthest (k-th) match; the
    choice depended on the tie rule when more eligible units of the other arm (in its exact-matching
    cell) lie at exactly distance delta than the unit has matches at that distance. With a discrete
    score (categorical covariates only) this is common, and when the data are sorted by anything
    related to the outcome the row-order rule can bias the estimate; ``ties=True`` (Abadie & Imbens
    2006; Stata's teffects, R Matching) uses every tied unit instead.

    Without replacement the same count is made over all eligible units of the other arm (taken or
    not): when a tied control was taken by another focal unit, which of the two got it was decided
    by the matching order, itself data order among focal units with equal distances. Either way a
    re-sorted input can give another estimate.
    """
    f_rows = np.flatnonzero(focal)
    has = mm[:, 0] >= 0
    if not has.any():
        return
    rows = f_rows[has]
    m = mm[has]
    valid = m >= 0
    gap = np.where(valid, np.abs(dist[np.maximum(m, 0)] - dist[rows][:, None]), -np.inf)
    delta = gap.max(axis=1)
    at_delta = (valid & (gap == delta[:, None])).sum(axis=1)
    other = ~focal & eligible
    key_other = dist[other]
    key_query_lo = dist[rows] - delta
    key_query_hi = dist[rows] + delta
    if strata is not None:
        # shift each cell to its own range so that searches stay within the unit's cell
        codes = pd.factorize(strata)[0].astype(float)
        span = float(np.ptp(dist)) * 4.0 + 1.0
        key_other = key_other + codes[other] * span
        key_query_lo = key_query_lo + codes[rows] * span
        key_query_hi = key_query_hi + codes[rows] * span
    srt = np.sort(key_other)

    def count_at(v: np.ndarray) -> np.ndarray:
        return np.searchsorted(srt, v, side="right") - np.searchsorted(srt, v, side="left")

    n_eq = count_at(key_query_lo) + np.where(delta > 0, count_at(key_query_hi), 0)
    broken = n_eq > at_delta
    if not broken.any():
        return
    mask = np.zeros(dist.shape[0], dtype=bool)
    mask[rows[broken]] = True
    k = int(broken.sum())
    if replace:
        fix = "Pass ties=True to use every tied unit (Abadie & Imbens 2006; Stata's teffects, R Matching)."
    else:
        fix = ("To get a result that does not depend on the row order, match with replace=True, ties=True (every tied "
               "unit is used; Abadie & Imbens 2006, Stata's teffects, R Matching), or add a continuous covariate to "
               "the score so that fewer units tie; at least sort the rows by a stable identifier before matching so "
               "that the result can be reproduced (order='random' with a random_state draws the matching order "
               "reproducibly, but still from the rows in data order).")
    msg = (
        f"{k} of {rows.shape[0]} matched units ({100.0 * k / rows.shape[0]:.1f}%) had more units of the other arm at "
        f"exactly the distance of their last match than matches"
        + ("" if replace else " (matching without replacement)")
        + f": the tie was broken by data row order (MatchIt's rule), so the estimate depends on how the rows are "
        f"sorted ({describe_rows(data, mask)}). " + fix
    )
    warnings.warn(msg, TieWarning, stacklevel=3)
    notes.append(msg)


def _refuse_separated_matches(
    data: pd.DataFrame, p: np.ndarray, d: np.ndarray, weights: np.ndarray, estimand: str, ps_fit: Any
) -> None:
    """Units the estimand needs, with a score of 1 (treated; 0 for controls), left in the matched sample.

    A score at 0 or 1 to machine precision (complete or quasi-complete separation, see
    :func:`iej_impact.observational._propensity.propensity_score`) says that no unit of the other arm shares those
    covariate values: any match is outside common support and the effect is not identified for these
    units (ipw() refuses the same data). When ``discard`` or a caliper removed them, the OverlapWarning
    of the score stands and the estimate refers to the units kept.
    """
    from ..observational._propensity import SCORE_EPS, separation_hints

    at1, at0 = p > 1 - SCORE_EPS, p < SCORE_EPS
    need = {"ATT": d & at1, "ATC": ~d & at0}.get(estimand, (d & at1) | (~d & at0))
    bad = need & (weights > 0)
    if not bad.any():
        return
    design = getattr(ps_fit, "design", None)
    hints = separation_hints(design, d) if design is not None else []
    hint = f" Likely cause: {'; '.join(hints[:3])}." if hints else ""
    n1, n0 = int((bad & d).sum()), int((bad & ~d).sum())
    raise EstimationError(
        f"{_FUNC}(): the propensity-score model separates the arms: {int(bad.sum())} units the {estimand} needs "
        f"({n1} treated with a score of 1, {n0} control with a score of 0, to within {SCORE_EPS:g}; "
        f"{describe_rows(data, bad)}) have no possible counterpart in the other arm, yet were matched; the effect "
        f"is not identified for them.{hint} Drop or merge the covariate or category that separates the arms, "
        "restrict the sample to comparable units, or drop these units explicitly with discard='both' (or a "
        "caliper); the estimate then refers to the units kept."
    )


def _check_no_missing(data: pd.DataFrame, columns: Sequence[str], role: str) -> None:
    for c in columns:
        na = data[c].isna().to_numpy()
        if na.any():
            raise DataError(
                f"{_FUNC}(): {role} '{c}' has missing values in {describe_rows(data, na)} of {len(data)}. "
                "Matching needs complete covariates: drop these rows (a sample filter) or impute them first.",
                column=c,
                rows=example_rows(data, na),
            )


def _numeric_column(data: pd.DataFrame, column: str) -> np.ndarray:
    s = data[column]
    if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
        raise DataError(
            f"{_FUNC}(): the distance column '{column}' must be numeric; it has dtype {s.dtype}.", column=column
        )
    arr = s.to_numpy(dtype=float, na_value=np.nan)
    if np.isnan(arr).any():
        mask = np.isnan(arr)
        raise DataError(
            f"{_FUNC}(): the distance column '{column}' has missing values in {describe_rows(data, mask)}.",
            column=column,
            rows=example_rows(data, mask),
        )
    return arr


def _propensity(data: pd.DataFrame, treatment: str, covariates: list[str], model: object) -> tuple[np.ndarray, Any]:
    """Estimated propensity score and its fit, from :func:`iej_impact.observational._propensity.propensity_score`."""
    from ..observational._propensity import propensity_score

    ps = propensity_score(data, treatment=treatment, covariates=covariates, model=model)
    scores = np.asarray(getattr(ps, "scores", ps), dtype=float)
    if scores.shape != (len(data),):
        raise EstimationError(
            f"{_FUNC}(): the propensity-score model returned {scores.shape[0]} scores for {len(data)} rows."
        )
    return scores, ps


def _logit(p: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.log(p) - np.log1p(-p)


def _strata(data: pd.DataFrame, columns: list[str]) -> np.ndarray:
    return data.groupby(columns, sort=True, dropna=False, observed=True).ngroup().to_numpy()


def _discard(dist: np.ndarray, treat: np.ndarray, rule: str) -> np.ndarray:
    """MatchIt's common-support rule on the distance (units outside the other arm's range)."""
    if rule == "none":
        return np.zeros(dist.shape[0], dtype=bool)
    lo1, hi1 = dist[treat].min(), dist[treat].max()
    lo0, hi0 = dist[~treat].min(), dist[~treat].max()
    if rule == "both":
        return (dist < max(lo0, lo1)) | (dist > min(hi0, hi1))
    if rule == "control":
        return ~treat & ((dist < lo1) | (dist > hi1))
    return treat & ((dist < lo0) | (dist > hi0))


# =============================================================================================
# helpers: weights and tables
# =============================================================================================
def _weights_from_matrix(mm: np.ndarray, focal: np.ndarray, n: int) -> np.ndarray:
    """MatchIt's weights from a match matrix: focal 1, controls sum of 1/k_i, rescaled."""
    focal_rows = np.flatnonzero(focal)
    k = (mm >= 0).sum(axis=1)
    w = np.zeros(n)
    has = k > 0
    w[focal_rows[has]] = 1.0
    rows, cols = np.nonzero(mm >= 0)
    np.add.at(w, mm[rows, cols], 1.0 / k[rows])
    return _rescale_controls(w, focal)


def _rescale_controls(w: np.ndarray, focal: np.ndarray) -> np.ndarray:
    ctrl = ~focal & (w > 0)
    total = w[ctrl].sum()
    if total > 0:
        w[ctrl] *= ctrl.sum() / total
    return w


def _ordinal(k: int) -> str:
    """1st, 2nd, 3rd, 4th, ..., 11th, 12th, 13th, 21st."""
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k}{suffix}"


def _replacement_sets(
    dist: np.ndarray,
    z: np.ndarray | None,
    treat: np.ndarray,
    eligible: np.ndarray,
    ratio: int,
    caliper: float | None,
    strata: np.ndarray | None,
    estimand: str,
    ties: bool,
) -> dict[str, MatchSets]:
    """Matched sets with replacement for the arms being matched (both for the ATE).

    Key "treated": every treated unit's matches among the controls; "control": the reverse.
    Discarded units neither get nor serve as matches (their sets are empty).
    """
    n = dist.shape[0]
    arms = ("treated", "control") if estimand == "ATE" else ("control",) if estimand == "ATC" else ("treated",)
    out: dict[str, MatchSets] = {}
    for arm in arms:
        f_mask = treat if arm == "treated" else ~treat
        f_rows = np.flatnonzero(f_mask)
        if z is not None:
            out[arm] = _mahalanobis_sets(z, dist, f_mask, eligible, ratio, caliper, strata, ties)
        elif ties:
            rs = knn_ranges(dist, f_rows, np.flatnonzero(~f_mask & eligible), ratio, caliper=caliper, strata=strata)
            hi = np.where(eligible[f_rows], rs.hi, rs.lo)
            out[arm] = RangeSets(focal=rs.focal, n=n, pool=rs.pool, lo=rs.lo, hi=hi)
        else:
            mm = nearest_match(
                dist, f_mask, eligible=eligible, ratio=ratio, replace=True, caliper=caliper, strata=strata
            )
            out[arm] = sets_from_matrix(mm, f_rows, n)
    return out


def _no_match_reason(caliper: float | None, caliper_scale: str, exact_cols: Sequence[str]) -> str:
    """How to say why a unit found no match: outside the caliper, alone in its exact cell, or none left."""
    if caliper is not None:
        return f"within caliper={caliper} ({caliper_scale})"
    return "in their exact-matching cell" if exact_cols else "available"


def _own_mask(sets: Mapping[str, MatchSets] | None, n: int) -> np.ndarray:
    """(n,) bool: units whose own counterfactual is imputed (focal units with at least one match)."""
    own = np.zeros(n, dtype=bool)
    for s in (sets or {}).values():
        own[s.focal[s.matched]] = True
    return own


def _weights_from_sets(sets: Mapping[str, MatchSets], treat: np.ndarray, estimand: str) -> np.ndarray:
    """Matching weights from matched sets.

    ATE: 1 (if the unit is matched) + K, K = sum of 1/size over the sets the unit belongs to, so
    that the weighted difference in means is the matching estimator. ATT/ATC: MatchIt's weights
    (focal units 1, the other arm K rescaled to sum to its number of matched units).
    """
    n = treat.shape[0]
    own = _own_mask(sets, n)
    k, _ = total_usage(sets, n)
    w = own.astype(float) + k
    if estimand == "ATE":
        return w
    focal = ~treat if estimand == "ATC" else treat
    w[focal] = own[focal].astype(float)
    return _rescale_controls(w, focal)


def _check_ate_matched(
    data: pd.DataFrame,
    sets: Mapping[str, MatchSets] | None,
    treat: np.ndarray,
    eligible: np.ndarray,
    caliper: float | None,
    caliper_scale: str,
    exact_cols: list[str],
    notes: list[str],
) -> None:
    """ATE: every arm needs matched units; units left without a match are dropped with a warning."""
    n = treat.shape[0]
    own = _own_mask(sets, n)
    for arm, mask in (("treated", treat), ("control", ~treat)):
        other = "control" if arm == "treated" else "treated"
        if not (own & mask).any():
            raise EstimationError(
                f"match(): no {arm} unit found a {other} match ({int((mask & eligible).sum())} {arm} and "
                f"{int((~mask & eligible).sum())} {other} units available"
                + (f", caliper={caliper} ({caliper_scale})" if caliper is not None else "")
                + "). Widen the caliper, relax 'exact', or check the overlap of the propensity score."
            )
    lost = eligible & ~own
    if lost.any():
        reason = _no_match_reason(caliper, caliper_scale, exact_cols)
        msg = (
            f"{int((lost & treat).sum())} treated and {int((lost & ~treat).sum())} control units have no match "
            f"{reason} and are dropped ({describe_rows(data, lost)}); the estimate then refers to the matched "
            "units only, not the full ATE."
        )
        warnings.warn(msg, OverlapWarning, stacklevel=3)
        notes.append(msg)


def _pair_ids(mm: np.ndarray, focal: np.ndarray) -> np.ndarray:
    """Pair ids 1..K, numbered by the focal unit's data row, for matching without replacement."""
    n = focal.shape[0]
    sub = np.full(n, -1, dtype=np.int64)
    focal_rows = np.flatnonzero(focal)
    has = (mm >= 0).any(axis=1)
    ids = np.cumsum(has)
    sub[focal_rows[has]] = ids[has]
    rows, cols = np.nonzero(mm >= 0)
    sub[mm[rows, cols]] = ids[rows]
    return sub


def _ess(w: np.ndarray) -> float:
    s2 = float(np.sum(w**2))
    return float(np.sum(w) ** 2 / s2) if s2 > 0 else 0.0


def _sample_sizes(treat: np.ndarray, weights: np.ndarray, discarded: np.ndarray) -> pd.DataFrame:
    """All / Matched / Unmatched / Discarded per arm, with effective sample sizes (MatchIt's nn)."""
    rows = {}
    for name, arm in (("control", ~treat), ("treated", treat)):
        m = arm & (weights > 0)
        rows[name] = {
            "all": int(arm.sum()),
            "matched": int(m.sum()),
            "unmatched": int((arm & (weights == 0) & ~discarded).sum()),
            "discarded": int((arm & discarded).sum()),
        }
        rows[name + "_ess"] = {
            "all": float(arm.sum()),
            "matched": _ess(weights[m]),
            "unmatched": float("nan"),
            "discarded": float("nan"),
        }
    out = pd.DataFrame(rows)[["control", "treated", "control_ess", "treated_ess"]]
    out.index.name = "sample"
    return out


# =============================================================================================
# subclassification
# =============================================================================================
def _quantile7(x: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """R's default (type 7) quantiles."""
    return np.quantile(x, probs, method="linear")


def _subclassify(
    dist: np.ndarray, treat: np.ndarray, eligible: np.ndarray, k: int, estimand: str, notes: list[str]
) -> np.ndarray:
    """Subclass 1..S for every unit kept (-1 if discarded), on quantiles of the focal arm's score."""
    base = dist[treat] if estimand == "ATT" else dist[~treat] if estimand == "ATC" else dist
    q = _quantile7(base, np.linspace(0.0, 1.0, k + 1))
    x = dist[eligible]
    # intervals [q_i, q_{i+1}), the first and last open-ended (R's findInterval(all.inside = TRUE))
    sub = np.clip(np.searchsorted(q, x, side="right"), 1, k)
    uniq = np.unique(sub)
    if uniq.shape[0] != k:
        notes.append(f"Ties in the score gave {uniq.shape[0]} subclasses instead of {k}.")
        warnings.warn(
            f"match(): ties in the score gave {uniq.shape[0]} distinct subclasses instead of the {k} requested.",
            OverlapWarning,
            stacklevel=3,
        )
    sub = np.searchsorted(uniq, sub) + 1  # renumber 1..S
    sub = _scoot(sub, treat[eligible], x, uniq.shape[0])
    out = np.full(dist.shape[0], -1, dtype=np.int64)
    out[eligible] = sub
    return out


def _scoot(sub: np.ndarray, treat: np.ndarray, x: np.ndarray, s: int) -> np.ndarray:
    """Give every subclass at least one unit of each arm by moving units from neighbouring subclasses.

    MatchIt's rule (``subclass_scoot``, min.n = 1): for each arm, while a subclass lacks it, take the
    first such subclass; compare the surplus (units beyond one) of that arm in the subclasses to its
    left and to its right, each divided by its distance in subclasses; borrow from the nearest
    non-empty subclass on the side with the larger weighted surplus (the left one on a tie, and
    always the left one for the last subclass): its unit with the largest score if it lies to the
    left, the smallest if to the right.
    """
    sub = sub.copy()
    for arm in (True, False):
        mask = treat == arm
        if mask.sum() < s:
            raise EstimationError(
                f"match(): only {int(mask.sum())} {'treated' if arm else 'control'} units for {s} subclasses; "
                "each subclass needs at least one unit of each arm. Use fewer subclasses."
            )
        counts = np.bincount(sub[mask], minlength=s + 1)[1:]
        while (counts == 0).any():
            e = int(np.flatnonzero(counts == 0)[0])  # 0-based subclass index
            left = np.arange(e)
            right = np.arange(e + 1, s)
            surplus_l = np.sum(np.maximum(counts[left] - 1, 0) / (e - left)) if e > 0 else -1.0
            surplus_r = np.sum(np.maximum(counts[right] - 1, 0) / (right - e)) if e < s - 1 else -1.0
            if e == s - 1 or (e != 0 and surplus_l >= surplus_r):
                src = int(left[counts[left] > 0].max())
                cand = np.flatnonzero(mask & (sub == src + 1))
                pick = cand[np.argmax(x[cand])]
            else:
                src = int(right[counts[right] > 0].min())
                cand = np.flatnonzero(mask & (sub == src + 1))
                pick = cand[np.argmin(x[cand])]
            sub[pick] = e + 1
            counts[e] += 1
            counts[src] -= 1
    return sub


def _subclass_weights(sub: np.ndarray, treat: np.ndarray, estimand: str) -> np.ndarray:
    """MatchIt's subclassification weights (stratum propensity p_s: ATT controls p/(1-p), etc.)."""
    n = sub.shape[0]
    w = np.zeros(n)
    inc = sub > 0
    s = int(sub.max())
    n1 = np.bincount(sub[inc & treat], minlength=s + 1).astype(float)
    n0 = np.bincount(sub[inc & ~treat], minlength=s + 1).astype(float)
    i1 = inc & treat
    i0 = inc & ~treat
    with np.errstate(divide="ignore", invalid="ignore"):
        if estimand == "ATT":
            w[i1] = 1.0
            w[i0] = (n1 / n0)[sub[i0]]
            w[i0] *= i0.sum() / w[i0].sum()
        elif estimand == "ATC":
            w[i0] = 1.0
            w[i1] = (n0 / n1)[sub[i1]]
            w[i1] *= i1.sum() / w[i1].sum()
        else:
            tot = n1 + n0
            w[i1] = (tot / n1)[sub[i1]]
            w[i0] = (tot / n0)[sub[i0]]
            w[i1] *= i1.sum() / w[i1].sum()
            w[i0] *= i0.sum() / w[i0].sum()
    return w


# =============================================================================================
# radius and kernel matching
# =============================================================================================
def _groups(strata: np.ndarray | None, n: int) -> list[np.ndarray]:
    if strata is None:
        return [np.arange(n)]
    srt = np.argsort(strata, kind="stable")
    cuts = np.flatnonzero(np.diff(strata[srt])) + 1
    return np.split(srt, cuts)


def _radius_weights(
    dist: np.ndarray, focal: np.ndarray, eligible: np.ndarray, radius: float, strata: np.ndarray | None
) -> np.ndarray:
    """Radius matching: each focal unit's matches are all controls with |d_i - d_j| <= radius."""
    n = dist.shape[0]
    w = np.zeros(n)
    for rows in _groups(strata, n):
        f = rows[focal[rows] & eligible[rows]]
        c = rows[~focal[rows] & eligible[rows]]
        if f.size == 0 or c.size == 0:
            continue
        c = c[stable_argsort(dist[c])]
        cd = dist[c]
        df = dist[f]
        lo = np.searchsorted(cd, df - radius, side="left")
        hi = np.searchsorted(cd, df + radius, side="right")
        # guard the float boundary so that membership is exactly |d_i - d_j| <= radius
        lo = _fix_bounds_left(cd, df, lo, radius)
        hi = _fix_bounds_right(cd, df, hi, radius)
        cnt = hi - lo
        has = cnt > 0
        w[f[has]] = 1.0
        acc = np.zeros(c.size + 1)
        np.add.at(acc, lo[has], 1.0 / cnt[has])
        np.add.at(acc, hi[has], -1.0 / cnt[has])
        w[c] += np.cumsum(acc)[:-1]
    w[~focal & (w < 1e-12)] = 0.0
    return _rescale_controls(w, focal)


def _fix_bounds_left(cd: np.ndarray, df: np.ndarray, lo: np.ndarray, r: float) -> np.ndarray:
    lo = lo.copy()
    m = cd.shape[0]
    for _ in range(3):
        down = (lo > 0) & (np.abs(df - cd[np.maximum(lo - 1, 0)]) <= r)
        up = (lo < m) & (np.abs(df - cd[np.minimum(lo, m - 1)]) > r) & (cd[np.minimum(lo, m - 1)] < df)
        if not (down.any() or up.any()):
            break
        lo = lo - down + up
    return lo


def _fix_bounds_right(cd: np.ndarray, df: np.ndarray, hi: np.ndarray, r: float) -> np.ndarray:
    hi = hi.copy()
    m = cd.shape[0]
    for _ in range(3):
        up = (hi < m) & (np.abs(cd[np.minimum(hi, m - 1)] - df) <= r)
        down = (hi > 0) & (np.abs(cd[np.maximum(hi - 1, 0)] - df) > r) & (cd[np.maximum(hi - 1, 0)] > df)
        if not (down.any() or up.any()):
            break
        hi = hi + up - down
    return hi


def _kernel_weights(
    dist: np.ndarray,
    focal: np.ndarray,
    eligible: np.ndarray,
    h: float,
    kernel: str,
    strata: np.ndarray | None,
    block: int = 4_000_000,
) -> np.ndarray:
    """Kernel matching weights, computed in blocks of focal units over a sorted window of controls."""
    n = dist.shape[0]
    w = np.zeros(n)
    support = 1.0 if kernel == "epanechnikov" else _GAUSS_SUPPORT
    for rows in _groups(strata, n):
        f = rows[focal[rows] & eligible[rows]]
        c = rows[~focal[rows] & eligible[rows]]
        if f.size == 0 or c.size == 0:
            continue
        f = f[stable_argsort(dist[f])]
        c = c[stable_argsort(dist[c])]
        cd = dist[c]
        df = dist[f]
        lo_all = np.searchsorted(cd, df - support * h, side="left")
        hi_all = np.searchsorted(cd, df + support * h, side="right")
        wc = np.zeros(c.size)
        start = 0
        while start < f.size:
            # grow the block while the dense (block x window) matrix stays small
            stop = start + 1
            while stop < f.size and (stop + 1 - start) * (hi_all[stop] - lo_all[start]) <= block:
                stop += 1
            lo, hi = int(lo_all[start]), int(hi_all[stop - 1])
            if hi > lo:
                u = (cd[None, lo:hi] - df[start:stop, None]) / h
                if kernel == "epanechnikov":
                    k = np.where(np.abs(u) <= 1.0, 0.75 * (1.0 - u * u), 0.0)
                else:
                    k = np.where(np.abs(u) <= support, np.exp(-0.5 * u * u), 0.0)
                tot = k.sum(axis=1)
                has = tot > 0
                w[f[start:stop][has]] = 1.0
                wc[lo:hi] += (k[has] / tot[has, None]).sum(axis=0)
            start = stop
        w[c] += wc
    return _rescale_controls(w, focal)


# =============================================================================================
# Mahalanobis matching
# =============================================================================================
def _mahalanobis_space(data: pd.DataFrame, columns: list[str], treat: np.ndarray, eligible: np.ndarray) -> np.ndarray:
    """Covariates transformed so Euclidean distance = Mahalanobis distance (pooled within-arm covariance).

    The covariance is MatchIt's: covariates centred within each arm, cross-products divided by
    n - 2, over the units not discarded; a singular covariance uses its pseudo-inverse.
    """
    frame = data[columns]
    cat = [c for c in columns if not pd.api.types.is_numeric_dtype(frame[c]) or pd.api.types.is_bool_dtype(frame[c])]
    if cat:
        frame = pd.get_dummies(frame, columns=cat, drop_first=True, dtype=float)
    x = frame.to_numpy(dtype=float)
    keep = np.ptp(x[eligible], axis=0) > 1e-8 if x.shape[0] else np.ones(x.shape[1], bool)
    x = x[:, keep]
    if x.shape[1] == 0:
        raise DataError(f"{_FUNC}(): the Mahalanobis covariates {columns} are constant among the units kept.")
    xe = x[eligible]
    te = treat[eligible]
    centred = xe.copy()
    for arm in (True, False):
        centred[te == arm] -= xe[te == arm].mean(axis=0)
    cov = centred.T @ centred / max(xe.shape[0] - 2, 1)
    vals, vecs = np.linalg.eigh(cov)
    tol = vals.max() * 1e-10
    inv_sqrt = np.where(vals > tol, 1.0 / np.sqrt(np.where(vals > tol, vals, 1.0)), 0.0)
    return x @ (vecs * inv_sqrt)


def _mahalanobis_sets(
    z: np.ndarray,
    score: np.ndarray,
    focal: np.ndarray,
    eligible: np.ndarray,
    ratio: int,
    caliper: float | None,
    strata: np.ndarray | None,
    ties: bool,
) -> MatchSets:
    """Mahalanobis matching with replacement as matched sets (ties kept when ``ties``).

    Candidates: eligible units of the other arm within the caliper on ``score`` (and the stratum);
    matches: the ``ratio`` nearest in the Mahalanobis metric, ties to the earlier data row, or with
    ``ties`` every candidate as close as the ``ratio``-th nearest.
    """
    n = score.shape[0]
    focal_rows = np.flatnonzero(focal)
    if not ties:
        mm = _mahalanobis_match(z, score, focal, eligible, np.arange(focal_rows.shape[0]), ratio, True, caliper, strata)
        return sets_from_matrix(mm, focal_rows, n)
    ctrl = np.flatnonzero(~focal & eligible)
    ctrl = ctrl[stable_argsort(score[ctrl])]
    cs = score[ctrl]
    cal = np.inf if caliper is None else caliper
    sizes = np.zeros(focal_rows.shape[0], dtype=np.int64)
    chunks: list[np.ndarray] = []
    for p, t in enumerate(focal_rows.tolist()):
        if not eligible[t]:
            continue
        if np.isfinite(cal):
            lo = int(np.searchsorted(cs, score[t] - cal, side="left"))
            hi = int(np.searchsorted(cs, score[t] + cal, side="right"))
        else:
            lo, hi = 0, cs.shape[0]
        ok = np.abs(cs[lo:hi] - score[t]) <= cal
        if strata is not None:
            ok &= strata[ctrl[lo:hi]] == strata[t]
        rows = ctrl[lo:hi][ok]
        if rows.size == 0:
            continue
        d2 = np.sum((z[rows] - z[t]) ** 2, axis=1)
        kth = np.partition(d2, min(ratio, d2.size) - 1)[min(ratio, d2.size) - 1]
        keep = rows[d2 <= kth + 64 * np.finfo(float).eps * max(float(d2.max()), 1.0)]
        keep.sort()
        sizes[p] = keep.size
        chunks.append(keep)
    indptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    indices = np.concatenate(chunks).astype(np.int64) if chunks else np.zeros(0, dtype=np.int64)
    return ListSets(focal=focal_rows, n=n, indptr=indptr, indices=indices)


def _mahalanobis_match(
    z: np.ndarray,
    score: np.ndarray,
    focal: np.ndarray,
    eligible: np.ndarray,
    order: np.ndarray,
    ratio: int,
    replace: bool,
    caliper: float | None,
    strata: np.ndarray | None,
) -> np.ndarray:
    """Greedy Mahalanobis matching within a caliper on ``score``; ties to the first control in data order.

    Without replacement, rounds as for the 1-D search; with replacement, the k nearest at once.
    Cost: O(n_focal x controls within the caliper x covariates).
    """
    focal_rows = np.flatnonzero(focal)
    nf = focal_rows.shape[0]
    out = np.full((nf, ratio), NO_MATCH, dtype=np.int64)
    ctrl = np.flatnonzero(~focal & eligible)
    ctrl = ctrl[stable_argsort(score[ctrl])]
    cs = score[ctrl]
    avail = np.ones(ctrl.shape[0], dtype=bool)
    active = eligible[focal_rows].copy()
    cal = np.inf if caliper is None else caliper
    st = strata if strata is not None else None
    for r in range(1 if replace else ratio):
        for p in np.asarray(order).tolist():
            if not active[p]:
                continue
            t = focal_rows[p]
            if np.isfinite(cal):
                lo = int(np.searchsorted(cs, score[t] - cal, side="left"))
                hi = int(np.searchsorted(cs, score[t] + cal, side="right"))
            else:
                lo, hi = 0, cs.shape[0]
            idx = np.arange(lo, hi)
            ok = np.abs(cs[lo:hi] - score[t]) <= cal
            if not replace:
                ok &= avail[lo:hi]
            if st is not None:
                ok &= st[ctrl[lo:hi]] == st[t]
            idx = idx[ok]
            if idx.size == 0:
                active[p] = False
                continue
            rows = ctrl[idx]
            d2 = np.sum((z[rows] - z[t]) ** 2, axis=1)
            if replace:
                pick = np.lexsort((rows, d2))[:ratio]
                out[p, : pick.size] = rows[pick]
            else:
                best = np.flatnonzero(d2 == d2.min())
                j = best[np.argmin(rows[best])]
                out[p, r] = rows[j]
                avail[idx[j]] = False
    return out

# =============================================================================================
# effect estimation on the matched sample
# =============================================================================================
_SE_BY_METHOD = {
    "nearest": ("abadie_imbens", "pair_cluster", "robust", "clustered"),
    "subclass": ("pair_cluster", "robust", "clustered"),
    "radius": ("robust", "clustered"),
    "kernel": ("robust", "clustered"),
}


def estimate_effect(
    result: MatchResult,
    outcome: str,
    *,
    se: object = None,
    alpha: float = 0.05,
    ps_adjustment: bool = True,
    bias_adjust: bool | Sequence[str] = False,
) -> EffectResult:
    """Difference in weighted mean outcomes between the arms of a matched sample, with its SE.

    tau_hat = sum_i w_i D_i Y_i / sum_i w_i D_i - sum_i w_i (1 - D_i) Y_i / sum_i w_i (1 - D_i),
    with the matching weights w (for the ATT, the mean over matched treated units of Y_i minus the
    mean of their matches' outcomes; for the ATC, the same with the arms swapped). For
    nearest-neighbour matching with replacement this is the matching estimator
    tau_hat = (1/N) sum_i [Y_i(1)^ - Y_i(0)^] over the N matched units being matched (treated for
    the ATT, controls for the ATC, all units for the ATE), with Y_i(w)^ = Y_i in the unit's own
    arm and the mean outcome of its matches in the other arm (Abadie & Imbens 2006, eq. 2-4).

    Bias correction (``bias_adjust``; nearest-neighbour matching with replacement only): True
    (the matching covariates: ``mahalanobis`` covariates for a Mahalanobis distance, else the
    ``covariates`` of the score model, else the matching distance itself) or a list of numeric
    columns Z. Abadie & Imbens (2011): for the units matched in arm a, with matches in arm w,
    mu_w(z) = b_0 + b' z is fitted by least squares on the units of arm w used as matches, each
    weighted by K_j = sum over the matched sets holding j of 1/(size of the set), which is what
    R Matching's ``BiasAdjust`` does (its regression weights ``Kcount``; read in its source,
    version 4.10-8) and Abadie, Drukker, Herr & Imbens' Stata ``nnmatch`` (version 1.3.1, the
    predecessor of ``teffects nnmatch``: a regression over the matched pairs weighted 1/#J(i),
    i.e. K_j per unit; Stata's ``teffects biasadj()`` itself was not checked against Stata output);
    then Y_i(w)^ = mean_j [Y_j + mu_w(Z_i) - mu_w(Z_j)]. Only the arms being
    imputed are fitted (controls for the ATT, treated units for the ATC, both for the ATE). The
    Abadie-Imbens SE is computed with the corrected unit effects (AI 2011, section 4; as R
    Matching does, to 1e-12 in tests/reference/test_matching_r.py). The correction removes the conditional bias of
    matching on several continuous covariates, which vanishes too slowly (AI 2006, Theorem 1);
    matching on a one-dimensional score it changes little.

    Inference (``se``; None = the method's default, listed first):

    * nearest neighbour: ``abadie_imbens`` (default), ``pair_cluster`` (without replacement),
      ``robust``, ``{type: clustered, by: col}``;
    * subclassification: ``pair_cluster`` (clustered on subclass), ``robust``, clustered;
    * radius, kernel: ``robust``, clustered (conditional on the weights: they ignore that the
      weights were estimated).

    The bootstrap is not offered: it is invalid for nearest-neighbour matching (Abadie & Imbens
    2008, Econometrica 76(6)).

    ``abadie_imbens`` is Abadie & Imbens' (2006) estimator for matching estimators, extended to any
    estimand and a variable number of matches per unit. With own_i = 1 for the units whose
    counterfactual is imputed (matched treated units for the ATT, controls for the ATC, all
    matched units for the ATE; N of them), tau_i = Y_i(1)^ - Y_i(0)^ (bias-corrected if
    requested), and K_j, Q_j the sums of 1/#J(l) and 1/#J(l)^2 over the matched sets J(l) holding
    unit j,

        V = N^-2 [ sum_{own} (tau_i - tau_hat)^2 + sum_j (K_j^2 + 2 own_j K_j - Q_j) sigma_j^2 ]

    (AI 2006: K^2 - Q for the ATT, K^2 + (2M - 1)/M K for the ATE with M matches and no ties).
    sigma_j^2 comes from the J = ``neighbours`` (default 2) nearest units of j's own arm on the
    distance (the logit score for Mahalanobis matching): ``sigma2="ai2006"``,
    J/(J+1) (Y_j - their mean)^2 (AI 2006, eq. 14; m/(m+1) with m tied neighbours), or
    ``"sample"``, the sample variance of Y over j and its neighbours (R Matching's
    ``Var.calc = J``); the default ``"auto"`` takes the first without ties and the second with
    ``ties=True``. Choose with ``se={"type": "abadie_imbens", "neighbours": 1, "sigma2": "sample"}``.

    When the score was estimated here by a parametric model (``ps_model="logit"`` or ``"probit"``,
    maximum likelihood) and the units were matched on it (``distance="propensity"`` or ``"logit"``),
    the variance is adjusted for the estimation of the score (Abadie & Imbens 2016), as Stata's
    ``teffects psmatch`` does. With I the per-unit Fisher information of the score model,
    f_i = dp/d(X'theta) at unit i, sums over every unit kept, cov_w(i) = cov(X, Y | p_i, D = w) and
    m_w(i) = E[Y(w) | p_i] estimated over the L = 4 units of arm w nearest to unit i on the score
    (AI 2016, section 4; unit i left out of the means):

    * ATE (Theorem 1): V_adj = V - c' I^{-1} c / N with
      c = (1/N) sum_i f_i [cov_1(i) / p_i + cov_0(i) / (1 - p_i)]; never larger than V.
    * ATT (Theorem 2; ATC: the arms swapped), N_1 matched treated units:
      V_adj = V - c_t' I^{-1} c_t / N + (dtau/dtheta)' I^{-1} (dtau/dtheta) / N, with
      c_t = (1/N_1) sum_i f_i X_i (m_1(i) - m_0(i) - tau_hat)
            + (1/N_1) sum_i f_i [cov_1(i) + p_i / (1 - p_i) cov_0(i)] and
      dtau/dtheta = (1/N_1) sum_i f_i X_i (m_1(i) - m_0(i) - tau_hat) + (1/N_1) sum_i f_i [cov_1(i) - cov_0(i)],
      the sample analogue of E[f X (mu_1(X) - mu_0(X) - tau)] / P(D = 1). Of either sign.

    Versions before this one used V - (c'I^-1 c + 2 c'I^-1 g) / N for the ATT, with g from the
    matched imputations; it over-corrects when outcomes depend on X beyond the score (Monte Carlo
    in docs/explanation/matching-methods.md and tests/test_matching_ate.py). ``ps_adjustment=False``
    gives the 2006 SE (the score treated as known); a score given as a column (``score=``,
    ``distance=<column>``) or from a non-parametric model is always treated as known, and the note
    says so. The theory assumes matching with replacement and that every unit being matched is
    matched; after matching without replacement or with a caliper the adjustment is an
    approximation (noted in the result).

    ``pair_cluster`` is the cluster-robust SE of the
    weighted regression of Y on (1, D), clusters = pairs/subclasses, with the factor
    G/(G-1) (N-1)/(N-2) (R's sandwich::vcovCL default type HC1, as the MatchIt vignette uses);
    valid for matching without replacement (Austin & Small 2014; Abadie & Spiess 2022).
    ``robust`` is the HC1 SE of that weighted regression.

    References
    ----------
    Abadie, A. & Imbens, G. (2006). Large sample properties of matching estimators for average
    treatment effects. Econometrica 74(1). Abadie, A. & Imbens, G. (2011). Bias-corrected matching
    estimators for average treatment effects. JBES 29(1). Abadie, A. & Imbens, G. (2016). Matching
    on the estimated propensity score. Econometrica 84(2). Abadie, A. & Spiess, J. (2022). Robust
    post-matching inference. JASA 117(538).
    """
    func = "psm"
    data = result.data
    check_columns(data, [outcome], func, role="outcome")
    check_number("alpha", alpha, func, low=0.0, high=0.5, low_open=True)
    if not isinstance(ps_adjustment, (bool, np.bool_)):
        raise SpecificationError(f"the 'ps_adjustment' parameter of {func}() must be True or False; got {ps_adjustment!r}.")
    bias_cols = _bias_columns(result, bias_adjust, func)
    allowed = _se_allowed(result.method, bool(result.spec.get("replace")))
    if se is None:
        se = allowed[0]
    inference = parse_inference(se, func, allowed)
    if bias_cols and not isinstance(inference, AbadieImbens):
        raise SpecificationError(
            f"bias_adjust applies with se='abadie_imbens' only (the standard error of the bias-corrected matching "
            f"estimator, Abadie & Imbens 2011); got se={inference.name!r}. Drop 'se' or pass bias_adjust=False."
        )
    w = result.weights
    used = w > 0
    y_all = data[outcome]
    na = y_all.isna().to_numpy() & used
    if na.any():
        raise DataError(
            f"{func}(): outcome '{outcome}' is missing for {describe_rows(data, na)} in the matched sample; "
            "drop these units before matching so the matched sets stay complete.",
            column=outcome,
            rows=example_rows(data, na),
        )
    check_numeric(data, outcome, func, allow_missing=True)  # text or inf anywhere in the outcome: not an outcome
    y = check_numeric(data.loc[used], outcome, func)
    yfull = np.zeros(len(data))
    yfull[used] = y
    d = result.treated
    s1 = w[used & d].sum()
    s0 = w[used & ~d].sum()
    mu1 = float(np.sum(w[used & d] * yfull[used & d]) / s1)
    mu0 = float(np.sum(w[used & ~d] * yfull[used & ~d]) / s0)
    estimate = mu1 - mu0
    n1 = int((used & d).sum())
    n0 = int((used & ~d).sum())
    notes = list(result.notes)
    diagnostics_extra: dict[str, object] = {}
    y_any = pd.to_numeric(y_all, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    effects: NNEffects | None = None
    if result.method == "nearest" and result.match_sets is not None and (
        isinstance(inference, AbadieImbens) or bias_cols or result.estimand == "ATE" or result.spec.get("ties")
    ):
        ai = inference if isinstance(inference, AbadieImbens) else AbadieImbens()
        effects = nn_effects(result, y_any, bias_cols, func, neighbours=ai.neighbours, sigma2=ai.sigma2)
        if bias_cols or result.estimand == "ATE" or result.spec.get("ties"):
            estimate = effects.estimate  # = the weighted difference in means up to rounding, unless bias-corrected
    if bias_cols and effects is not None:
        diagnostics_extra["bias_adjust"] = {
            "columns": list(bias_cols),
            "slopes": {arm: dict(zip(bias_cols, map(float, b), strict=True)) for arm, b in effects.slopes.items()},
        }
        notes.append(
            "Bias-corrected matching (Abadie & Imbens 2011): imputed outcomes adjusted by a least-squares "
            f"regression on {', '.join(bias_cols)} fitted on the units used as matches, weighted by the number of "
            "times each is used; the uncorrected estimate is "
            f"{mu1 - mu0:.6g}."
        )
    if isinstance(inference, AbadieImbens):
        if effects is None:
            raise SpecificationError("se='abadie_imbens' applies to nearest-neighbour matching only.")
        std_error = math.sqrt(effects.variance)
        kind = sigma2_kind(inference.sigma2, bool(result.spec.get("ties")))
        base = (
            f"Abadie-Imbens standard error with J = {inference.neighbours} same-arm neighbours for the conditional "
            "variance ("
            + ("J/(J+1) (Y_i - their mean)^2, AI 2006 eq. 14" if kind == "ai2006"
               else "sample variance over the unit and its neighbours, as R Matching's Var.calc")
            + (", ties kept)" if result.spec.get("ties") else ")")
        )
        why_known = ps_adjustment_unavailable(result)
        if why_known is None and ps_adjustment:
            se_2006 = std_error
            if result.estimand == "ATE":
                c, a_inv, n_fit = ps_adjustment_parts_ate(result, y_any, effects)
                delta = -float(c @ a_inv @ c) / n_fit
            else:
                delta = _ps_adjustment_term(result, y_any, effects.estimate)
            var_adj = std_error**2 + delta
            if var_adj <= 0:
                raise EstimationError(
                    f"psm(): the Abadie-Imbens (2016) adjustment for the estimated propensity score gives a "
                    f"non-positive variance ({std_error**2:.4g} {delta:+.4g}); the sample is too small for it. "
                    "Use ps_adjustment=False (score treated as known) or se='pair_cluster'."
                )
            std_error = math.sqrt(var_adj)
            diagnostics_extra["se_score_known"] = se_2006
            notes.append(
                f"{base}, adjusted for the estimated propensity score (Abadie & Imbens 2016); "
                f"treating the score as known would give {se_2006:.6g}."
            )
            if not result.spec.get("replace") or result.caliper is not None or bool(result.spec.get("exact")):
                notes.append(
                    "The Abadie-Imbens (2016) adjustment is derived for matching with replacement with every focal "
                    "unit matched; after matching without replacement, a caliper or exact matching it is an "
                    "approximation (se='pair_cluster' is the alternative without replacement)."
                )
        else:
            reason = "not adjusted by request (ps_adjustment=False)" if why_known is None else why_known
            notes.append(f"{base} (Abadie & Imbens 2006); the propensity score is treated as known: {reason}.")
    else:
        # weighted regression of Y on (1, D): influence function of the difference in weighted means
        n = int(used.sum())
        wu = w[used]
        du = d[used]
        psi = np.where(du, wu * (y - mu1) / s1, -wu * (y - mu0) / s0) * n
        if isinstance(inference, PairCluster):
            clusters = result.subclass[used]
            if (clusters < 0).any():
                raise SpecificationError(
                    "se='pair_cluster' needs pair or subclass ids, which matching with replacement does not "
                    "define; use se='abadie_imbens'."
                )
            codes = pd.factorize(clusters)[0]
            std_error = se_from_influence(psi, clusters=codes, small_sample=True) * math.sqrt((n - 1) / (n - 2))
            notes.append(f"Standard error clustered on {int(codes.max()) + 1} matched pairs/subclasses (HC1 factors).")
        elif isinstance(inference, Clustered):
            codes = cluster_codes(data.loc[used], inference.columns, func)
            std_error = se_from_influence(psi, clusters=codes, small_sample=True) * math.sqrt((n - 1) / (n - 2))
            notes.append(
                f"Standard error clustered on {', '.join(inference.columns)} ({int(codes.max()) + 1} clusters, HC1 factors), "
                "conditional on the matching weights."
            )
        else:
            std_error = float(np.sqrt(np.sum(psi**2) * n / (n - 2)) / n)
            notes.append("Robust (HC1) standard error of the weighted difference in means, conditional on the weights.")
    lo, hi, p = normal_ci(estimate, std_error, alpha)
    return EffectResult(
        method="psm",
        estimand=result.estimand,
        outcome=outcome,
        estimate=float(estimate),
        std_error=float(std_error),
        ci=(lo, hi),
        p_value=p,
        inference=inference,
        n_treated=n1,
        n_control=n0,
        alpha=alpha,
        sample_sizes=result.sample_sizes,
        diagnostics={"matching": result, **diagnostics_extra},
        spec={**dict(result.spec), "outcome": outcome, "se": inference.to_dict(),
              "ps_adjustment": bool(ps_adjustment), "bias_adjust": list(bias_cols) if bias_cols else False},
        notes=tuple(notes),
    )


def _se_allowed(method: str, replace: bool) -> tuple[str, ...]:
    """The standard errors offered after matching with ``method`` (pairs exist only without replacement)."""
    if method == "nearest" and replace:
        return ("abadie_imbens", "robust", "clustered")
    return _SE_BY_METHOD[method]


def _check_effect_options(data: pd.DataFrame, method: object, replace: object, se: object, alpha: object,
                          ps_adjustment: object) -> None:
    """psm()'s checks of the options of :func:`estimate_effect`, run before matching so that a wrong
    ``se`` or ``alpha`` is reported at once (and by ``iej-impact validate``)."""
    check_number("alpha", alpha, "psm", low=0.0, high=0.5, low_open=True)
    if not isinstance(ps_adjustment, (bool, np.bool_)):
        raise SpecificationError(f"the 'ps_adjustment' parameter of psm() must be True or False; got {short_repr(ps_adjustment)}.")
    if se is None or not isinstance(method, str) or method not in _SE_BY_METHOD:
        return  # the default; or a method match() refuses with its own message
    inference = parse_inference(se, "psm", _se_allowed(method, replace is True or replace is np.True_))
    if isinstance(inference, Clustered):
        check_columns(data, inference.columns, "psm", role="cluster column")


def _bias_columns(result: MatchResult, bias_adjust: object, func: str) -> list[str] | None:
    """The columns of the bias correction (None: no correction), after checking it applies."""
    if bias_adjust is False or bias_adjust is None:
        return None
    if result.method != "nearest" or not result.spec.get("replace"):
        what = f"method={result.method!r}" if result.method != "nearest" else "matching without replacement"
        raise SpecificationError(
            f"bias_adjust is defined for nearest-neighbour matching with replacement (Abadie & Imbens 2011); this "
            f"result used {what}. Match with method='nearest', replace=True, or pass bias_adjust=False"
            + (" (radius, kernel and subclass estimators average over many units instead)." if result.method != "nearest"
               else ".")
        )
    if bias_adjust is True or (isinstance(bias_adjust, (np.bool_,)) and bool(bias_adjust)):
        if result.distance_name == "mahalanobis":
            cols = list(result.spec.get("mahalanobis") or result.covariates)
        else:
            cols = list(result.covariates)
        if not cols:
            if result.distance_name in DISTANCES:
                cols = [str(result.spec.get("score"))]
            else:
                cols = [result.distance_name]
        return cols
    cols = as_column_list("bias_adjust", bias_adjust, func)
    if not cols:
        raise SpecificationError(
            f"the 'bias_adjust' parameter of {func}() must be True, False or a non-empty list of columns; got []."
        )
    check_columns(result.data, cols, func, role="bias_adjust column")
    return cols


def psm(
    data: pd.DataFrame,
    *,
    outcome: str,
    treatment: str,
    covariates: Sequence[str],
    estimand: str = "ATT",
    ps_model: object = "logit",
    method: str = "nearest",
    distance: str = "propensity",
    ratio: int = 1,
    replace: bool = False,
    caliper: float | None = None,
    caliper_scale: str = "sd",
    order: str | None = None,
    exact: Sequence[str] | str = (),
    discard: str = "none",
    subclasses: int = 6,
    mahalanobis: Sequence[str] | None = None,
    kernel: str = "epanechnikov",
    bandwidth: float | None = None,
    score: str | None = None,
    se: object = None,
    alpha: float = 0.05,
    random_state: int | None = None,
    ps_adjustment: bool = True,
    ties: bool = False,
    bias_adjust: bool | Sequence[str] = False,
) -> EffectResult:
    """Propensity-score matching estimate: :func:`match` followed by :func:`estimate_effect`.

    Every argument but ``outcome``, ``se``, ``alpha``, ``ps_adjustment`` and ``bias_adjust`` is
    passed to :func:`match` (see there for the matching conventions, ``estimand="ATE"`` and
    ``ties``); ``se``, ``alpha``, ``ps_adjustment`` and ``bias_adjust`` (Abadie-Imbens 2011 bias
    correction: False, True or a list of columns) to :func:`estimate_effect`
    (see there for the standard errors; None = the method's default: Abadie-Imbens for
    nearest-neighbour matching, adjusted for the estimated score (Abadie & Imbens 2016) when a
    logit/probit score was fitted here and ``ps_adjustment`` is True; pair/subclass-clustered for
    subclassification; robust for radius and kernel matching).

    Returns
    -------
    EffectResult with method "psm"; ``diagnostics["matching"]`` holds the :class:`MatchResult`
    and ``sample_sizes`` its All / Matched / Unmatched / Discarded table.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=400)
    >>> d = (rng.random(400) < 1 / (1 + np.exp(-x))).astype(int)
    >>> df = pd.DataFrame({"x": x, "d": d, "ps": 1 / (1 + np.exp(-x)), "y": x + 2.0 * d + rng.normal(size=400)})
    >>> res = psm(df, outcome="y", treatment="d", covariates=[], distance="ps", replace=True)
    >>> abs(res.estimate - 2.0) < 0.3
    True
    """
    check_dataframe(data, "psm")
    check_columns(data, [outcome], "psm", role="outcome")
    _check_effect_options(data, method, replace, se, alpha, ps_adjustment)
    result = match(
        data,
        treatment=treatment,
        covariates=covariates,
        estimand=estimand,
        ps_model=ps_model,
        method=method,
        distance=distance,
        ratio=ratio,
        replace=replace,
        caliper=caliper,
        caliper_scale=caliper_scale,
        order=order,
        exact=exact,
        discard=discard,
        subclasses=subclasses,
        mahalanobis=mahalanobis,
        kernel=kernel,
        bandwidth=bandwidth,
        score=score,
        random_state=random_state,
        ties=ties,
    )
    return estimate_effect(result, outcome, se=se, alpha=alpha, ps_adjustment=ps_adjustment, bias_adjust=bias_adjust)
