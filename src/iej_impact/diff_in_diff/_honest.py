"""HonestDiD: confidence sets for an event-study effect that stay valid when parallel trends fail a little.

:func:`honest_did` takes the event-study coefficients beta (pre and post periods, relative to the
reference period) and their covariance, from an :class:`~iej_impact.diff_in_diff.EventStudyResult`
or the dynamic aggregation of :func:`~iej_impact.diff_in_diff.att_gt`, and returns, for each value of
the sensitivity parameter, a confidence set for theta = l'tau_post (the effect at one event time, or
the average over the post periods) under a restriction on how far the post-treatment violation of
parallel trends delta_post may go given the pre-treatment one (Rambachan & Roth 2023):

* ``"relative_magnitude"``, Delta^RM(Mbar): each post-period change |delta_t - delta_{t-1}| is at
  most Mbar times the largest pre-period change. Mbar = 0 is exact parallel trends after the
  reference period; Mbar = 1, violations no larger than the worst one seen before. Sets by the
  conditional least-favourable hybrid test of Andrews, Roth & Pakes (2023), as R HonestDiD does
  by default for this restriction.
* ``"smoothness"``, Delta^SD(M): the slope of delta changes by at most M between consecutive
  periods (M = 0: delta is a linear trend, extrapolated from the pre-periods). Sets are
  fixed-length confidence intervals (FLCI), the default of R HonestDiD for this restriction.

The breakdown value is the largest Mbar (or M) at which the set still excludes 0, found by
bisection on the test of theta = 0 (for the FLCI, on |centre| - half-length); it is None when 0
is not excluded even at Mbar = 0 (M = 0). The bisection assumes that 0, once in the set, stays in
it for larger values: true of the identified sets, usual but not guaranteed for the confidence
sets (the FLCI's half-length grows with M but its centre moves; the conditional tests change with
Mbar). At Mbar = 0 the "conditional" set is exactly the ordinary CI, the default C-LF set close to
it; at M = 0 the FLCI is the CI of the linearly de-trended estimate, not the ordinary CI. The
numerics are in :mod:`._honest_core`.

Assumptions: the coefficients are asymptotically normal with the given covariance; the reference
period is the last one before treatment (or before anticipation); event times are consecutive.
The pre-period coefficients must measure the difference in trends relative to the reference period:
an ``att_gt`` result must therefore use ``base_period="universal"`` (with the default "varying" base
the pre-period cells are period-to-period changes, and the restrictions do not apply to them).
Binned end points of :func:`~iej_impact.diff_in_diff.event_study` are treated as the end periods.

References
----------
Rambachan, A. and Roth, J. (2023). A more credible approach to parallel trends. Review of Economic
Studies 90(5), 2555-2591.
Andrews, I., Roth, J. and Pakes, A. (2023). Inference for linear conditional moment inequalities.
Review of Economic Studies 90(6), 2763-2791.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import special

from .._progress import progress
from .._validation import check_choice, check_number
from ..errors import SpecificationError
from ..results import Result, Summary, jsonable
from ._honest_core import RMSet, flci

__all__ = ["HonestDiDResult", "check_options", "honest_did", "honest_did_coefficients"]

Restriction = Literal["relative_magnitude", "smoothness"]
_PARAM = {"relative_magnitude": "mbar", "smoothness": "m"}


@dataclass(frozen=True)
class HonestDiDResult(Result):
    """Robust confidence sets for theta = l'tau_post over a grid of Mbar (or M), with the original CI.

    ``bounds``: one row per value of the sensitivity parameter (column ``mbar`` or ``m``) with
    ``ci_lower``, ``ci_upper`` and ``excludes_zero``. ``original_ci``: the usual CI of l'beta_post.
    ``breakdown``: the largest parameter value at which the set excludes 0 (None: not even at 0).
    """

    restriction: str
    method: str
    parameter: str
    outcome: str | None
    theta_hat: float
    std_error: float
    original_ci: tuple[float, float]
    bounds: pd.DataFrame
    breakdown: float | None
    alpha: float
    l_vec: tuple[float, ...]
    pre_periods: tuple[int, ...]
    post_periods: tuple[int, ...]
    reference: int
    spec: Mapping[str, object] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def parameter_name(self) -> str:
        """``"mbar"`` (relative magnitudes) or ``"m"`` (smoothness)."""
        return _PARAM[self.restriction]

    def to_frame(self) -> pd.DataFrame:
        """The original CI (term "original") then one row per parameter value (term "mbar=0.5", ...)."""
        name = self.parameter_name
        rows = [{"term": "original", name: np.nan, "method": "original", "ci_lower": self.original_ci[0],
                 "ci_upper": self.original_ci[1],
                 "excludes_zero": bool(self.original_ci[0] > 0 or self.original_ci[1] < 0)}]
        for r in self.bounds.to_dict("records"):
            rows.append({"term": f"{name}={r[name]:g}", name: r[name], "method": self.method, "ci_lower": r["ci_lower"],
                         "ci_upper": r["ci_upper"], "excludes_zero": r["excludes_zero"]})
        return pd.DataFrame(rows, columns=["term", name, "method", "ci_lower", "ci_upper", "excludes_zero"])

    def to_dict(self) -> dict[str, Any]:
        """results.json entry: the restriction, the original CI and the robust sets (no top-level estimate)."""
        return jsonable({
            "method": "honest_did", "restriction": self.restriction, "ci_method": self.method,
            "parameter": self.parameter, "outcome": self.outcome, "ci_level": 1 - self.alpha,
            "original": {"estimate": self.theta_hat, "std_error": self.std_error, "ci_lower": self.original_ci[0],
                         "ci_upper": self.original_ci[1]},
            "bounds": self.bounds.to_dict("records"), "breakdown": self.breakdown,
            "l_vec": list(self.l_vec), "pre_periods": list(self.pre_periods), "post_periods": list(self.post_periods),
            "reference": self.reference, "spec": dict(self.spec), "notes": list(self.notes)})

    def summary(self) -> Summary:
        name = {"mbar": "Mbar", "m": "M"}[self.parameter_name]
        shown = self.to_frame().set_index("term").drop(columns=["excludes_zero"])
        what = ("relative magnitudes, Delta^RM(Mbar)" if self.restriction == "relative_magnitude"
                else "smoothness, Delta^SD(M)")
        brk = ("none: the set contains 0 even at " + name + " = 0" if self.breakdown is None
               else f"{name} = {self.breakdown:.4g}")
        notes = (f"Restriction: {what}; {self.method} sets at level {1 - self.alpha:g}.",
                 f"Breakdown value (largest {name} at which the set excludes 0): {brk}.") + self.notes
        return Summary(title=f"HonestDiD sensitivity: {self.parameter}" + (f" on {self.outcome}" if self.outcome else ""),
                       tables=(("Robust confidence sets", shown),), notes=notes)

    def plot_sensitivity(self, ax: Any = None, *, language: str = "en") -> Any:
        """The original CI, then the robust set at each Mbar (or M); returns the Axes. Labels in ``language``."""
        from ..report._plots_did import plot_honest_did

        return plot_honest_did(self, ax, language=language)

    plot = plot_sensitivity


# ----------------------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class _Coefficients:
    beta: np.ndarray
    sigma: np.ndarray
    pre: list[int]
    post: list[int]
    reference: int
    outcome: str | None
    source: str
    notes: tuple[str, ...] = ()


def _from_result(result: Any, window: Sequence[int] | None) -> _Coefficients:
    from ._event_study import EventStudyResult
    from ._staggered import AggregateResult, GroupTimeResult

    if isinstance(result, GroupTimeResult):
        result = result.aggregate("dynamic")
    if isinstance(result, EventStudyResult):
        table = result.table[result.table["event_time"] != result.reference]
        times = [int(v) for v in table["event_time"]]
        cov = result.vcov.loc[[f"event_time={k}" for k in times], [f"event_time={k}" for k in times]].to_numpy(dtype=float)
        notes = (f"event_study(): the end points {result.window} bin the event times beyond them; they are taken "
                 "as the first and last periods.",)
        coefs = _Coefficients(table["estimate"].to_numpy(dtype=float), cov, [], [], int(result.reference),
                              result.outcome, "event_study", notes)
        return _split(coefs, times, window)
    if isinstance(result, AggregateResult):
        if result.kind != "dynamic":
            raise SpecificationError(f"honest_did() needs event-time effects: the 'dynamic' aggregation, not "
                                     f"{result.kind!r}.")
        if result.base_period != "universal":
            raise SpecificationError("honest_did() needs att_gt(..., base_period='universal'): with the 'varying' base "
                                     "period the pre-treatment effects are period-to-period changes, not differences "
                                     "from the reference period.")
        if result.by_vcov is None:
            raise SpecificationError("this aggregation has no covariance of its event-time effects; re-run aggregate().")
        if result.reference_event_time is None:
            raise SpecificationError("honest_did() needs one reference period: the base period of this aggregation is "
                                     "not at the same event time for every cohort.")
        reference = int(result.reference_event_time)
        times_all = [int(v) for v in result.by["event_time"]]
        keep = [j for j, k in enumerate(times_all) if k != reference]
        coefs = _Coefficients(result.by["estimate"].to_numpy(dtype=float)[keep],
                              np.asarray(result.by_vcov, dtype=float)[np.ix_(keep, keep)], [], [], reference,
                              result.outcome, "att_gt dynamic")
        return _split(coefs, [times_all[j] for j in keep], window)
    raise SpecificationError(f"honest_did() takes an event_study() result or an att_gt() result (or its dynamic "
                             f"aggregation); got {type(result).__name__}.")


def _split(c: _Coefficients, times: list[int], window: Sequence[int] | None) -> _Coefficients:
    """Keep the event times in ``window`` and check that they are consecutive around the reference."""
    idx = list(range(len(times)))
    if window is not None:
        if len(window) != 2:
            raise SpecificationError(f"'window' must be two event times (first, last); got {window!r}.")
        idx = [j for j in idx if window[0] <= times[j] <= window[1]]
    pre = sorted((times[j], j) for j in idx if times[j] < c.reference)
    post = sorted((times[j], j) for j in idx if times[j] > c.reference)
    if not pre or not post:
        raise SpecificationError(f"honest_did() needs at least one pre-period and one post-period around the reference "
                                 f"period {c.reference}; got event times {[times[j] for j in idx]}.")
    expected_pre = list(range(c.reference - len(pre), c.reference))
    expected_post = list(range(c.reference + 1, c.reference + 1 + len(post)))
    if [k for k, _ in pre] != expected_pre or [k for k, _ in post] != expected_post:
        raise SpecificationError(f"honest_did() needs consecutive event times around the reference {c.reference}; got "
                                 f"{[k for k, _ in pre]} before and {[k for k, _ in post]} after.")
    order = [j for _, j in pre] + [j for _, j in post]
    beta, sigma = c.beta[order], c.sigma[np.ix_(order, order)]
    if not (np.all(np.isfinite(beta)) and np.all(np.isfinite(sigma))):
        raise SpecificationError("honest_did(): some event-time effects or covariances are missing; restrict the "
                                 "event times with 'window'.")
    return _Coefficients(beta, sigma, [k for k, _ in pre], [k for k, _ in post], c.reference, c.outcome, c.source,
                         c.notes)


def _l_vector(e: int | str, post: list[int]) -> tuple[np.ndarray, str]:
    if isinstance(e, str):
        check_choice("e", e, ("average",), "honest_did")
        return np.full(len(post), 1.0 / len(post)), f"average effect over event times {post[0]}..{post[-1]}"
    if isinstance(e, bool) or not isinstance(e, (int, np.integer)) or int(e) not in post:
        raise SpecificationError(f"the 'e' parameter of honest_did() must be a post-period event time {post} or "
                                 f"'average'; got {e!r}.")
    return np.eye(len(post))[post.index(int(e))], f"effect at event time {int(e)}"


# ----------------------------------------------------------------------------------------- the sets


def _grid_set(accept: Any, grid: np.ndarray, refine: bool, expand: bool) -> tuple[float, float, str]:
    """(lower, upper, note) of the accepted points of ``grid``; open ends extend the grid, ends are refined."""
    note = ""
    ok = accept(grid)
    for _ in range(8 if expand else 0):
        if not (ok[0] or ok[-1]):
            break
        width = grid[-1] - grid[0]
        lo = grid[0] - (width if ok[0] else 0.0)
        hi = grid[-1] + (width if ok[-1] else 0.0)
        grid = np.linspace(lo, hi, len(grid))
        ok = accept(grid)
    if not ok.any():
        return np.nan, np.nan, "empty set on the grid"
    if ok[0] or ok[-1]:
        note = "the set reaches the end of the grid"
    i, j = int(np.argmax(ok)), len(ok) - 1 - int(np.argmax(ok[::-1]))
    if not ok[i:j + 1].all():
        note = "the accepted points are not contiguous; the set shown is their hull"
    lo, hi = float(grid[i]), float(grid[j])
    if refine:
        if i > 0:
            lo = _bisect(accept, float(grid[i - 1]), lo)
        if j < len(grid) - 1:
            hi = _bisect(accept, float(grid[j + 1]), hi)
    return lo, hi, note


def _bisect(accept: Any, out: float, inside: float, steps: int = 40) -> float:
    for _ in range(steps):
        mid = 0.5 * (out + inside)
        if accept(np.array([mid]))[0]:
            inside = mid
        else:
            out = mid
    return inside


def _breakdown(rejects_zero: Any, start: float) -> float | None:
    """sup{x >= 0 : rejects_zero(x)} by doubling then bisection (None if not even at 0)."""
    if not rejects_zero(0.0):
        return None
    lo, hi = 0.0, max(start, 1e-12)
    while rejects_zero(hi):
        lo, hi = hi, 2 * hi
        if hi > 1e6 * max(start, 1.0):
            return float("inf")
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if rejects_zero(mid) else (lo, mid)
        if hi - lo <= 1e-6 * max(hi, 1e-12):
            break
    return lo


def _sd_default_grid(beta: np.ndarray, sigma: np.ndarray, n_pre: int, alpha: float) -> np.ndarray:
    """R HonestDiD's default M grid: 10 points from 0 to an upper bound of the pre-period second differences."""
    if n_pre < 2:
        return np.linspace(0.0, float(np.sqrt(sigma[0, 0])), 10)
    a = np.zeros((n_pre - 1, n_pre))
    for r in range(n_pre - 1):
        a[r, r:r + 3] = [1.0, -2.0, 1.0][: n_pre - r]
    diffs = a @ beta[:n_pre]
    se = np.sqrt(np.diag(a @ sigma[:n_pre, :n_pre] @ a.T))
    return np.linspace(0.0, float(np.max(np.abs(diffs) + special.ndtri(1 - alpha) * se)), 10)


def _sets(c: _Coefficients, l_vec: np.ndarray, restriction: str, values: np.ndarray, alpha: float, method: str,
          grid_points: int, grid: Sequence[float] | None, refine: bool, draws: np.ndarray) -> tuple[pd.DataFrame,
                                                                                                   float | None, list[str]]:
    """The robust set at each value, and the breakdown value."""
    n_pre = len(c.pre)
    theta = float(l_vec @ c.beta[n_pre:])
    sd = float(np.sqrt(l_vec @ c.sigma[n_pre:, n_pre:] @ l_vec))
    rows, notes = [], []
    if restriction == "smoothness":
        for m in progress(values, desc="honest_did(): confidence sets", unit="M"):
            lo, hi = flci(c.beta, c.sigma, n_pre, l_vec, float(m), alpha).interval
            rows.append((float(m), lo, hi))

        def rejects_zero(m: float) -> bool:
            f = flci(c.beta, c.sigma, n_pre, l_vec, m, alpha)
            return abs(f.center) > f.half_length

        start = float(max(values.max(), sd))
    else:
        base = np.linspace(*(grid if grid is not None else (theta - 20 * sd, theta + 20 * sd)), grid_points)
        for mbar in progress(values, desc="honest_did(): confidence sets", unit="Mbar"):
            rm = RMSet(c.beta, c.sigma, n_pre, l_vec, float(mbar), alpha, method, draws)
            lo, hi, note = _grid_set(rm.accept, base, refine, grid is None)
            rows.append((float(mbar), lo, hi))
            if note:
                notes.append(f"Mbar = {mbar:g}: {note}.")

        def rejects_zero(mbar: float) -> bool:
            return not RMSet(c.beta, c.sigma, n_pre, l_vec, mbar, alpha, method, draws).accept(np.zeros(1))[0]

        start = 1.0
    frame = pd.DataFrame(rows, columns=[_PARAM[restriction], "ci_lower", "ci_upper"])
    frame["excludes_zero"] = (frame["ci_lower"] > 0) | (frame["ci_upper"] < 0)
    return frame, _breakdown(rejects_zero, start), notes


def honest_did_coefficients(
    betahat: Sequence[float],
    sigma: Any,
    *,
    num_pre: int,
    l_vec: Sequence[float] | None = None,
    restriction: Restriction = "relative_magnitude",
    mbar: Sequence[float] | None = None,
    m: Sequence[float] | None = None,
    alpha: float = 0.05,
    method: str | None = None,
    grid_points: int = 1000,
    grid: Sequence[float] | None = None,
    refine: bool = True,
    draws: int = 1000,
    random_state: int | np.ndarray = 0,
    outcome: str | None = None,
) -> HonestDiDResult:
    """HonestDiD sets from event-study coefficients given directly (R HonestDiD's calling convention).

    Parameters
    ----------
    betahat : the ``num_pre`` pre-period then the post-period coefficients (reference period left out),
        in time order.
    sigma : their covariance matrix.
    num_pre : number of pre-period coefficients.
    l_vec : weights of theta = l'tau_post over the post periods (default: the first post period).
    restriction, mbar, m, alpha, method, grid_points, grid, refine, draws, random_state : see
        :func:`honest_did`. ``random_state`` may also be an array of standard normal draws (draws x
        2 * post periods) for the least favourable critical value.

    Returns
    -------
    HonestDiDResult (event times labelled -num_pre..-1 and 1..T, reference 0).
    """
    beta = np.asarray(betahat, dtype=float).ravel()
    cov = np.asarray(sigma, dtype=float)
    check_number("num_pre", num_pre, "honest_did_coefficients", low=1, integer=True)
    if cov.shape != (beta.size, beta.size) or beta.size <= num_pre:
        raise SpecificationError(f"honest_did_coefficients(): sigma must be {beta.size} x {beta.size} and betahat must "
                                 f"have post-period coefficients after the {num_pre} pre-period ones; got sigma "
                                 f"{cov.shape}, {beta.size} coefficients.")
    n_post = beta.size - int(num_pre)
    coefs = _Coefficients(beta, cov, list(range(-int(num_pre), 0)), list(range(1, n_post + 1)), 0, outcome,
                          "coefficients")
    if l_vec is None:
        lv, label = np.eye(n_post)[0], "effect at the first post period"
    else:
        lv = np.asarray(l_vec, dtype=float).ravel()
        if lv.size != n_post or not np.any(lv):
            raise SpecificationError(f"l_vec must have {n_post} weights, not all zero; got {list(lv)}.")
        label = f"l'tau_post with l = {[round(float(v), 6) for v in lv]}"
    return _honest(coefs, lv, label, restriction, mbar, m, alpha, method, grid_points, grid, refine, draws,
                   random_state, {})


def honest_did(
    result: Any,
    *,
    restriction: Restriction = "relative_magnitude",
    mbar: Sequence[float] | None = None,
    m: Sequence[float] | None = None,
    e: int | str = 0,
    window: Sequence[int] | None = None,
    alpha: float = 0.05,
    method: str | None = None,
    grid_points: int = 1000,
    grid: Sequence[float] | None = None,
    refine: bool = True,
    draws: int = 1000,
    random_state: int = 0,
) -> HonestDiDResult:
    """Rambachan & Roth (2023) sensitivity of an event-study effect to violations of parallel trends.

    Parameters
    ----------
    result : an :func:`~iej_impact.event_study` result, an :func:`~iej_impact.att_gt` result (its
        dynamic aggregation is taken) or that dynamic aggregation; an ``att_gt`` must use
        ``base_period="universal"``. The reference period is the event_study's ``reference``, or
        -1 - anticipation for att_gt; pre-periods are the event times before it, post-periods after.
    restriction : "relative_magnitude" (Delta^RM(Mbar), default) or "smoothness" (Delta^SD(M)).
    mbar : values of Mbar (relative magnitudes; default 0, 0.5, 1, 1.5, 2).
    m : values of M, in units of the outcome per period squared (smoothness; default: 10 values
        from 0 to an upper confidence bound of the largest pre-period second difference, as R).
    e : the post-period event time whose effect is theta (default 0), or "average" for the mean
        over the post periods.
    window : (first, last) event times to use (default: all); the post periods of a relative
        magnitudes set are limited to about nine (the test enumerates C(2T, T) bases).
    alpha : 1 - confidence level.
    method : relative magnitudes: "C-LF" (default: conditional least-favourable hybrid, kappa =
        alpha/10) or "conditional" (ARP conditional test); smoothness: "FLCI" (the only one here).
    grid_points, grid : relative magnitudes sets are found by testing theta on a grid of
        ``grid_points`` values over ``grid`` = (low, high); the default grid is the estimate +- 20
        standard errors, widened while the set reaches an end. R HonestDiD's default grid is
        (-20, 20) standard errors around 0.
    refine : refine each end of the set by bisection between the last accepted and the first
        rejected grid point (default True; False reports grid points, as R).
    draws, random_state : number of normal draws and seed for the least favourable critical value
        (the same draws for every polyhedron and every Mbar, as R's set.seed(0)).

    Returns
    -------
    HonestDiDResult: ``bounds`` (one row per value), ``original_ci``, ``breakdown``; ``summary()``,
    ``to_frame()``, ``plot_sensitivity()``.

    Notes
    -----
    Compared with R HonestDiD 0.2.8: the folded-normal quantile of the FLCI is computed exactly
    (R simulates it with 10^6 draws) and the FLCI programme is solved by SLSQP (R: CVXR with a
    bisection on the standard deviation); the least favourable critical value uses numpy's
    generator (R: set.seed(0) and mvtnorm); with a single post period the second stage of the
    hybrid is truncated at the least favourable critical value, as in ARP and as R does with
    several post periods (R's single-period route omits the truncation); sets are refined beyond
    the grid and the grid follows the estimate. The reference tests reproduce R's numbers with R's
    draws (tests/reference/test_honest_did_r.py).

    References
    ----------
    Rambachan & Roth (2023), Review of Economic Studies 90(5), 2555-2591; Andrews, Roth & Pakes
    (2023), Review of Economic Studies 90(6), 2763-2791; Armstrong & Kolesar (2018),
    Econometrica 86(2), 655-683.
    """
    check_options(restriction, mbar, m, alpha, method, grid_points, grid, draws, e, window)
    coefs = _from_result(result, window)
    lv, label = _l_vector(e, coefs.post)
    spec = {"e": e, "window": list(window) if window is not None else None, "source": coefs.source}
    return _honest(coefs, lv, label, restriction, mbar, m, alpha, method, grid_points, grid, refine, draws,
                   random_state, spec)


def check_options(restriction: str, mbar: Any, m: Any, alpha: float, method: str | None, grid_points: int,
                  grid: Any, draws: int, e: Any = 0, window: Any = None) -> tuple[str, np.ndarray | None]:
    """Check the options of honest_did() that do not depend on the result (the configuration checks them
    before anything is estimated). Returns the method and the values of Mbar or M (None: the default)."""
    func = "honest_did"
    check_choice("restriction", restriction, ("relative_magnitude", "smoothness"), func)
    check_number("alpha", alpha, func, low=0.0, high=0.5, low_open=True)
    check_number("grid_points", grid_points, func, low=10, integer=True)
    check_number("draws", draws, func, low=100, integer=True)
    methods = ("C-LF", "conditional") if restriction == "relative_magnitude" else ("FLCI",)
    method = methods[0] if method is None else method
    check_choice("method", method, methods, func)
    other, mine = ("m", "mbar") if restriction == "relative_magnitude" else ("mbar", "m")
    if {"mbar": mbar, "m": m}[other] is not None:
        raise SpecificationError(f"'{other}' is not a parameter of the {restriction} restriction; use '{mine}'.")
    given = mbar if restriction == "relative_magnitude" else m
    values = None
    if given is not None:
        try:
            values = np.atleast_1d(np.asarray(given, dtype=float)).ravel()
        except (TypeError, ValueError):
            values = np.array([np.nan])
        if values.size == 0 or not np.all(np.isfinite(values)) or np.any(values < 0):
            raise SpecificationError(f"'{mine}' must be a list of numbers >= 0; got {given!r}.")
    for name, pair in (("grid", grid), ("window", window)):
        if pair is not None and (isinstance(pair, (str, bytes)) or not hasattr(pair, "__len__") or len(pair) != 2
                                 or not all(isinstance(v, (int, float, np.integer, np.floating))
                                            and not isinstance(v, bool) for v in pair) or not pair[0] < pair[1]):
            raise SpecificationError(f"'{name}' must be (low, high) with low < high; got {pair!r}.")
    if not (e == "average" or (isinstance(e, (int, np.integer)) and not isinstance(e, bool))):
        raise SpecificationError(f"the 'e' parameter of honest_did() must be an event time (an integer) or "
                                 f"'average'; got {e!r}.")
    return method, values


def _honest(c: _Coefficients, l_vec: np.ndarray, label: str, restriction: str, mbar: Sequence[float] | None,
            m: Sequence[float] | None, alpha: float, method: str | None, grid_points: int,
            grid: Sequence[float] | None, refine: bool, draws: int, random_state: int | np.ndarray,
            spec: dict[str, Any]) -> HonestDiDResult:
    method, values = check_options(restriction, mbar, m, alpha, method, grid_points, grid, draws)
    if values is None:
        values = (np.array([0.0, 0.5, 1.0, 1.5, 2.0]) if restriction == "relative_magnitude"
                  else _sd_default_grid(c.beta, c.sigma, len(c.pre), alpha))
    n_pre, n_post = len(c.pre), len(c.post)
    if isinstance(random_state, np.ndarray):
        z = random_state
    else:
        z = np.random.default_rng(random_state).standard_normal((int(draws), 2 * n_post))
    bounds, breakdown, notes = _sets(c, l_vec, restriction, values, float(alpha), method, int(grid_points), grid,
                                     refine, z)
    theta = float(l_vec @ c.beta[n_pre:])
    sd = float(np.sqrt(l_vec @ c.sigma[n_pre:, n_pre:] @ l_vec))
    zc = float(special.ndtri(1 - alpha / 2))
    full_spec = {**spec, "restriction": restriction, _PARAM[restriction]: values.tolist(), "alpha": alpha,
                 "method": method, "grid_points": grid_points, "grid": list(grid) if grid is not None else None,
                 "refine": refine, "draws": draws if restriction == "relative_magnitude" else None,
                 "random_state": random_state if not isinstance(random_state, np.ndarray) else "array"}
    all_notes = [f"{n_pre} pre-periods (event times {c.pre[0]}..{c.pre[-1]}) and {n_post} post-periods "
                 f"({c.post[0]}..{c.post[-1]}) around the reference period {c.reference}.", *c.notes, *notes]
    if restriction == "relative_magnitude":
        all_notes.append("Sets: union over the location and sign of the largest pre-period change of ARP "
                         + ("conditional least-favourable hybrid tests (kappa = alpha/10, "
                            f"{int(z.shape[0])} draws)." if method == "C-LF" else "conditional tests."))
    else:
        all_notes.append("Sets: optimal fixed-length confidence intervals (affine in the coefficients).")
    return HonestDiDResult(restriction=restriction, method=method, parameter=label, outcome=c.outcome,
                           theta_hat=theta, std_error=sd, original_ci=(theta - zc * sd, theta + zc * sd),
                           bounds=bounds, breakdown=breakdown, alpha=float(alpha),
                           l_vec=tuple(float(v) for v in l_vec), pre_periods=tuple(c.pre), post_periods=tuple(c.post),
                           reference=c.reference, spec=full_spec, notes=tuple(all_notes))
