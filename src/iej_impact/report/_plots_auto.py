"""The diagnostic figures every matching or weighting analysis gets in a run's report, without asking: the
covariate balance before and after adjustment (Love plot, as cobalt's ``love.plot``) and the overlap of the
propensity score by arm. They are read from the result's diagnostics (the matching, the weighted balance table,
the fitted propensity score); nothing is refitted."""

from __future__ import annotations

from typing import Any

__all__ = ["diagnostic_plots"]


def _balance(res: Any) -> Any:
    diagnostics = getattr(res, "diagnostics", None) or {}
    matching = diagnostics.get("matching")
    if matching is not None and callable(getattr(matching, "balance", None)):
        return matching.balance()
    balance = diagnostics.get("balance")
    return balance if getattr(balance, "weighted", False) else None


def _propensity(res: Any) -> Any:
    diagnostics = getattr(res, "diagnostics", None) or {}
    ps = diagnostics.get("propensity")
    if ps is None and diagnostics.get("matching") is not None:
        ps = getattr(diagnostics["matching"], "propensity_model", None)
    return ps if callable(getattr(ps, "plot_overlap", None)) else None


def diagnostic_plots(res: Any, language: str) -> list[tuple[str, Any]]:
    """``[("love", axes), ("overlap", axes)]`` for a result with a balance after adjustment and a propensity
    score (either may be missing: Mahalanobis matching has no score, a naive comparison neither)."""
    out = []
    balance = _balance(res)
    if balance is not None and callable(getattr(balance, "plot_love", None)):
        out.append(("love", balance.plot_love(language=language)))
    ps = _propensity(res)
    if ps is not None:
        out.append(("overlap", ps.plot_overlap(language=language)))
    return out
