"""Result objects: one frozen type for every effect estimate, and the shared ``Summary`` renderer.

Design (after linearmodels/statsmodels): an estimator returns an immutable result; summaries,
tables, plots and reports only read it. ``Summary`` is deterministic (no clock, fixed float
formats) so it can be snapshot-tested and diffed.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from .inference import Inference

__all__ = ["Summary", "Result", "EffectResult", "jsonable"]

TIDY_COLUMNS = ["term", "estimate", "std_error", "statistic", "p_value", "ci_lower", "ci_upper", "n_obs"]


def _fmt(v: object, digits: int = 4) -> str:
    if v is None:
        return ""
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (int, np.integer)):
        return f"{int(v):d}"
    if isinstance(v, (float, np.floating)):
        if not math.isfinite(float(v)):
            return "NA" if math.isnan(float(v)) else str(float(v))
        return f"{float(v):.{digits}f}"
    return str(v)


@dataclass(frozen=True)
class Summary:
    """A title, a list of (caption, table) pairs and notes, with text/HTML/Markdown renderers."""

    title: str
    tables: tuple[tuple[str, pd.DataFrame], ...] = ()
    notes: tuple[str, ...] = ()
    digits: int = 4

    def _formatted(self, frame: pd.DataFrame) -> pd.DataFrame:
        return frame.map(lambda v: _fmt(v, self.digits))

    def as_text(self) -> str:
        out = [self.title, "=" * max(len(self.title), 20)]
        for caption, frame in self.tables:
            if caption:
                out.append(caption)
            out.append(self._formatted(frame).to_string())
            out.append("")
        for note in self.notes:
            out.append(f"Note: {note}")
        return "\n".join(out).rstrip() + "\n"

    def as_html(self) -> str:
        parts = [f"<h3>{html.escape(self.title)}</h3>"]
        for caption, frame in self.tables:
            if caption:
                parts.append(f"<p class='caption'>{html.escape(caption)}</p>")
            parts.append(self._formatted(frame).to_html(border=0, classes="table", escape=True))
        if self.notes:
            parts.append("<ul class='notes'>" + "".join(f"<li>{html.escape(n)}</li>" for n in self.notes) + "</ul>")
        return "\n".join(parts)

    def as_markdown(self) -> str:
        parts = [f"### {self.title}", ""]
        for caption, frame in self.tables:
            if caption:
                parts += [f"*{caption}*", ""]
            f = self._formatted(frame)
            cols = [str(f.index.name or "")] + [str(c) for c in f.columns]
            parts.append("| " + " | ".join(cols) + " |")
            parts.append("|" + "---|" * len(cols))
            for idx, row in f.iterrows():
                parts.append("| " + " | ".join([str(idx)] + list(row)) + " |")
            parts.append("")
        parts += [f"> {n}" for n in self.notes]
        return "\n".join(parts).rstrip() + "\n"

    def __str__(self) -> str:
        return self.as_text()


class Result:
    """Shared behaviour of result objects: display from ``summary()``."""

    __slots__ = ()

    def summary(self) -> Summary:  # overridden by every result
        return Summary(title=type(self).__name__)

    def __str__(self) -> str:
        return self.summary().as_text()

    def _repr_html_(self) -> str:
        return self.summary().as_html()


def jsonable(obj: Any) -> Any:
    """Convert to plain JSON types: numpy scalars -> Python, NaN/inf -> None, frames -> records."""
    if obj is None or isinstance(obj, (str, bool)):
        return obj
    if isinstance(obj, (np.bool_,)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        return f if math.isfinite(f) else None
    if isinstance(obj, Inference):
        return obj.to_dict()
    if isinstance(obj, pd.DataFrame):
        frame = obj.reset_index() if not isinstance(obj.index, pd.RangeIndex) else obj
        return [jsonable(r) for r in frame.to_dict(orient="records")]
    if isinstance(obj, pd.Series):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, np.ndarray):
        return [jsonable(v) for v in obj.tolist()]
    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        items = sorted(obj, key=str) if isinstance(obj, (set, frozenset)) else obj
        return [jsonable(v) for v in items]
    if isinstance(obj, (pd.Timestamp, pd.Period)):
        return str(obj)
    if hasattr(obj, "to_dict"):
        return jsonable(obj.to_dict())
    if pd.api.types.is_scalar(obj) and pd.isna(obj):
        return None
    return str(obj)


@dataclass(frozen=True, slots=True)
class EffectResult(Result):
    """An effect estimate with its standard error, CI, inference method and estimand.

    Attributes
    ----------
    method : estimator name ("difference_in_means", "psm", "ipw", "did", ...).
    estimand : "ATE", "ATT" or "ATC" (or a DiD-specific label such as "ATT(g,t)").
    outcome : outcome column.
    estimate, std_error, ci, p_value : the estimate and its inference (normal CI unless stated).
    alpha : 1 - confidence level.
    inference : the Inference object that produced ``std_error``.
    n_treated, n_control : units used in each arm.
    sample_sizes : table, rows "all"/"used"/... , columns "control"/"treated" (and "ess" where useful).
    diagnostics : extra objects (balance tables, propensity scores...), read by reports.
    spec : the exact arguments of the call (provenance).
    notes : plain-language caveats (assumptions, conventions) shown in summaries and reports.
    influence : per-unit influence function, kept so SEs can be recomputed without refitting.
    """

    method: str
    estimand: str
    outcome: str | None
    estimate: float
    std_error: float
    ci: tuple[float, float]
    p_value: float
    inference: Inference
    n_treated: int
    n_control: int
    alpha: float = 0.05
    sample_sizes: pd.DataFrame = field(default_factory=pd.DataFrame, compare=False)
    diagnostics: Mapping[str, object] = field(default_factory=dict, compare=False)
    spec: Mapping[str, object] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    influence: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def ci_lower(self) -> float:
        return self.ci[0]

    @property
    def ci_upper(self) -> float:
        return self.ci[1]

    @property
    def statistic(self) -> float:
        return self.estimate / self.std_error if self.std_error else float("nan")

    def to_frame(self) -> pd.DataFrame:
        """One tidy row with the canonical columns shared by every result."""
        row = {
            "term": f"{self.estimand}" + (f" on {self.outcome}" if self.outcome else ""),
            "estimate": self.estimate,
            "std_error": self.std_error,
            "statistic": self.statistic,
            "p_value": self.p_value,
            "ci_lower": self.ci_lower,
            "ci_upper": self.ci_upper,
            "n_obs": self.n_treated + self.n_control,
        }
        return pd.DataFrame([row], columns=TIDY_COLUMNS)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dictionary, with the keys of results.json."""
        out: dict[str, Any] = {
            "method": self.method,
            "estimand": self.estimand,
            "outcome": self.outcome,
            "estimate": self.estimate,
            "std_error": self.std_error,
            "ci_lower": self.ci_lower,
            "ci_upper": self.ci_upper,
            "ci_level": 1 - self.alpha,
            "p_value": self.p_value,
            "n_treated": self.n_treated,
            "n_control": self.n_control,
            "inference": self.inference.name,
            "inference_detail": self.inference.to_dict(),
            "sample_sizes": _sample_sizes_dict(self.sample_sizes),
            "spec": dict(self.spec),
            "notes": list(self.notes),
        }
        return jsonable(out)

    def summary(self) -> Summary:
        level = f"{100 * (1 - self.alpha):g}%"
        table = pd.DataFrame(
            {
                "estimate": [self.estimate],
                "std_error": [self.std_error],
                "statistic": [self.statistic],
                "p_value": [self.p_value],
                f"ci_lower ({level})": [self.ci_lower],
                f"ci_upper ({level})": [self.ci_upper],
            },
            index=pd.Index([self.estimand], name="estimand"),
        )
        tables: list[tuple[str, pd.DataFrame]] = [("Effect", table)]
        if len(self.sample_sizes):
            tables.append(("Sample sizes", self.sample_sizes))
        notes = (f"Inference: {self.inference.describe()}.",) + tuple(self.notes)
        title = f"{self.method}: {self.estimand}" + (f" on {self.outcome}" if self.outcome else "")
        return Summary(title=title, tables=tuple(tables), notes=notes)

    def with_inference(self, **changes: Any) -> EffectResult:
        """A new result with some fields replaced (never mutates this one)."""
        return replace(self, **changes)

    def __repr__(self) -> str:
        return (
            f"EffectResult(method={self.method!r}, estimand={self.estimand!r}, outcome={self.outcome!r}, "
            f"estimate={self.estimate:.6g}, std_error={self.std_error:.6g}, inference={self.inference.name!r})"
        )


def _sample_sizes_dict(frame: pd.DataFrame) -> dict[str, Any]:
    if frame is None or len(frame) == 0:
        return {}
    return {str(idx): jsonable(row.to_dict()) for idx, row in frame.iterrows()}
