"""The sensitivity analyses and placebo checks of an analysis' ``sensitivity:`` key, run beside its estimate.

Each method stores its result beside the analysis' own, under ``<name>.<method>``: Rosenbaum bounds of a
psm analysis (``<name>.sensitivity``), omitted-variable sensitivity (``<name>.ovb``), E-values
(``<name>.evalue``), HonestDiD sets (``<name>.honest_did``, or ``<name>.honest_did.<restriction>``),
the re-estimate with earlier entries (``<name>.placebo_entry``) and with a placebo group
(``<name>.placebo_group``); a placebo att_gt result, which has no single estimate, also gets its
simple aggregation (``<name>.placebo_entry.simple``, ``<name>.placebo_group.simple``). The checks that need the data but no estimate run before any estimation.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Mapping
from typing import Any

import pandas as pd

from ._validation import check_arguments
from .config import AnalysisSpec
from .data._sample import Sample
from .errors import ConfigError, DataError, SpecificationError

__all__ = ["PLACEBO_METHODS", "check_sensitivity", "placebo_outcomes", "run_sensitivity", "seeded"]

#: the sensitivity methods whose result is the estimator's own result on a placebo sample
PLACEBO_METHODS = ("placebo_entry", "placebo_group")


def seeded(spec: AnalysisSpec, seed: int | None) -> AnalysisSpec:
    """``spec`` with the run's seed as the ``random_state`` of its placebo group (unless the config sets one)."""
    sens = spec.sensitivity or {}
    if "placebo_group" not in sens or seed is None or "random_state" in sens["placebo_group"]:
        return spec
    return dataclasses.replace(spec, sensitivity={**sens, "placebo_group": {**sens["placebo_group"],
                                                                            "random_state": seed}})


def placebo_outcomes(cfg: Any, results: Mapping[str, Any]) -> list[str]:
    """The results of the analyses marked ``role: placebo`` (each cell of a grid), for the report's placebo tests."""
    names = [spec.name for spec in cfg.analyses if spec.role == "placebo"]
    return [key for key in results for name in names if key == name or (key.startswith(f"{name}[") and key.endswith("]"))]


def run_sensitivity(spec: AnalysisSpec, kwargs: Mapping[str, Any], sample: Sample, res: Any,
                    results: dict[str, Any]) -> None:
    """Run every method of ``spec.sensitivity`` on the analysis' result ``res`` into ``results``; user errors
    become ConfigError located at ``<analysis>.sensitivity.<method>``."""
    from .observational import evalue, ovb_sensitivity

    for method, options in (spec.sensitivity or {}).items():
        try:
            if method == "honest_did":
                results.update(_honest_did_results(spec, options, res, results))
            elif method == "rosenbaum":
                results[f"{spec.name}.sensitivity"] = res.diagnostics["matching"].sensitivity(kwargs["outcome"],
                                                                                              **options)
            elif method == "placebo_entry":
                from .diff_in_diff._placebo import placebo_entry

                results[f"{spec.name}.placebo_entry"] = placebo_entry(sample.data, spec.function, **options, **kwargs)
            elif method == "placebo_group":
                from .diff_in_diff._placebo_group import placebo_group

                both = {**kwargs, **options}  # its random_state also goes to the estimator (e.g. ipw's)
                results[f"{spec.name}.placebo_group"] = placebo_group(sample.data, spec.function, **both)
            elif method == "ovb":
                results[f"{spec.name}.ovb"] = ovb_sensitivity(sample.data, result=res, **options)
            else:
                results[f"{spec.name}.evalue"] = evalue(res, **options)
            if method in PLACEBO_METHODS:
                results.update(_overall(f"{spec.name}.{method}", results[f"{spec.name}.{method}"]))
        except (DataError, SpecificationError) as exc:
            raise ConfigError(str(exc), location=f"{spec.location}.sensitivity.{method}") from exc


def check_sensitivity(spec: AnalysisSpec, kwargs: Mapping[str, Any], frame: pd.DataFrame) -> None:
    """Before estimating: the omitted-variable options' own checks (a dry run), a 0/1 outcome for E-values,
    and the placebo group's sample (its filter, the units it selects, its entry period)."""
    from .observational import ovb_sensitivity

    sens = spec.sensitivity or {}
    regression = {k: kwargs.get(k) for k in ("outcome", "treatment", "covariates", "weights")}
    try:
        if "ovb" in sens:
            check_arguments(ovb_sensitivity, frame, **regression, **sens["ovb"])
    except (DataError, SpecificationError) as exc:
        raise ConfigError(str(exc), location=f"{spec.location}.sensitivity.ovb") from exc
    if "evalue" in sens and not pd.to_numeric(frame[kwargs["outcome"]], errors="coerce").isin([0, 1]).all():
        raise ConfigError(f"an E-value needs a 0/1 outcome (the risk ratio of the arm means); '{kwargs['outcome']}' "
                          "has other values.", location=f"{spec.location}.sensitivity.evalue")
    if "placebo_group" in sens:
        from .diff_in_diff._placebo_group import placebo_group_data

        roles = {k: kwargs.get(k) for k in ("treatment", "unit", "time", "cohort", "never_treated")}
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                placebo_group_data(frame, **sens["placebo_group"], **roles)
        except (DataError, SpecificationError) as exc:
            raise ConfigError(str(exc), location=f"{spec.location}.sensitivity.placebo_group") from exc


def _overall(name: str, res: Any) -> dict[str, Any]:
    """A placebo att_gt result has no single estimate: its simple aggregation, stored as ``<name>.simple``."""
    if getattr(res, "estimate", None) is None and callable(getattr(res, "aggregate", None)):
        return {f"{name}.simple": res.aggregate("simple")}
    return {}


def _honest_did_results(spec: AnalysisSpec, entries: Any, res: Any, results: Mapping[str, Any]) -> dict[str, Any]:
    """``sensitivity: {honest_did: ...}``: one result under ``<name>.honest_did``, or, for a list of options,
    one per restriction under ``<name>.honest_did.<restriction>``. An att_gt analysis uses its dynamic
    aggregation (the one of ``aggregate:`` when listed there)."""
    from .diff_in_diff._honest import honest_did

    source = results.get(f"{spec.name}.dynamic", res)
    if isinstance(entries, list):
        return {f"{spec.name}.honest_did.{e.get('restriction', 'relative_magnitude')}": honest_did(source, **e)
                for e in entries}
    return {f"{spec.name}.honest_did": honest_did(source, **entries)}
