"""The record of a matching: :class:`MatchRecord`, the fields and views of a ``MatchResult``.

It holds, for every row of the input, the matching weight, the subclass (pair or stratum id),
whether the row was discarded and the distance, with the matched sets; its views give MatchIt's
``match.data`` (``matched_data()``) and the matched pairs (``pairs()``). The public
:class:`~iej_impact.matching._result.MatchResult` adds the effect estimate; the record sits below
it so that the estimators' code can read a matching without importing the type that calls it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import SpecificationError
from ..results import Result, Summary, jsonable
from ._sets import MatchSets

__all__ = ["MatchRecord"]


@dataclass(frozen=True)
class MatchRecord(Result):
    """What a matching produced: its arguments, weights, subclasses, matched sets and bookkeeping.

    The fields and views of :class:`~iej_impact.matching._result.MatchResult` (documented there),
    without the effect estimate. The estimators' code (:mod:`iej_impact.matching._estimate`,
    :mod:`iej_impact.matching._inference`) reads a record, so that it need not import the result
    type, whose ``estimate()`` calls it.
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
    sampling_weights: np.ndarray | None = field(default=None, repr=False)
    distance_order: np.ndarray | None = field(default=None, repr=False)  # rows by (distance, row), if known

    # -- views -----------------------------------------------------------------------------
    @property
    def treated(self) -> np.ndarray:
        """(n,) bool: treatment indicator."""
        return self.data[self.treatment].to_numpy(dtype=float) == 1

    @property
    def matched(self) -> np.ndarray:
        """(n,) bool: row is in the matched sample (positive weight)."""
        return self.weights > 0

    @property
    def final_weights(self) -> np.ndarray:
        """(n,) the weights of the effect estimate: the matching weights times the sampling weights when
        ``match(weights=...)`` gave some (MatchIt's ``s.weights``), else the matching weights."""
        return self.weights if self.sampling_weights is None else self.weights * self.sampling_weights

    def matched_data(self) -> pd.DataFrame:
        """The matched rows with ``distance``, ``weights`` and ``subclass`` columns (MatchIt's match.data).

        ``weights`` are the weights of the effect estimate: the matching weights, times the sampling
        weights when the matching was given some (as MatchIt's ``match_data()`` with ``s.weights``).
        ``subclass`` is a nullable integer (missing after matching with replacement, radius and
        kernel matching). Column names that already exist in the data are not overwritten: the
        new column gets a leading underscore instead.
        """
        keep = self.matched
        out = self.data.loc[keep].copy()
        sub = pd.array(np.where(self.subclass[keep] >= 0, self.subclass[keep], 0), dtype="Int64")
        sub[self.subclass[keep] < 0] = pd.NA
        for name, values in (("distance", self.distance[keep]), ("weights", self.final_weights[keep]),
                             ("subclass", sub)):
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

        With sampling weights (``match(weights=...)``) both columns are sampling-weighted (before:
        the sampling weights; after: matching times sampling weights, as MatchIt's ``summary()`` with
        ``s.weights``). Keyword arguments are passed to
        :func:`iej_impact.observational._balance.balance_table` (``stats``, ``sd_denominator``,
        ``threshold``...).
        """
        from ..observational._balance import balance_table

        if self.sampling_weights is not None:
            kwargs.setdefault("sampling_weights", self.sampling_weights)
        return balance_table(
            self.data, treatment=self.treatment, covariates=list(self.covariates), weights=self.weights, **kwargs
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
        for key in ("ratio", "replace", "ties", "order", "discard", "exact", "subclasses", "kernel", "weights"):
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

