"""YAML run configuration: parsing, key checks and binding analyses to public functions.

This is a thin layer: an analysis names a public function (``estimator:``) and every other key
is a keyword argument of that function (bound with ``inspect.signature``). Semantic checks stay
the library's own; here we only check the shape of the YAML, and report unknown keys with the
YAML location and a suggestion. See docs/how-to/config.md and docs/interface.md.
"""

from __future__ import annotations

import inspect
import os
import re
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._config_data import (
    _NAME_RE,
    SYNTHETIC_TABLES,
    _check_keys,
    _mapping,
    _seed,
    parameter_location,
    parse_data,
    prepared_tables,
)
from ._config_engine import parse_engine, parse_external
from ._config_grid import GRID_KEYS, parse_grid
from ._config_report import parse_labels
from ._validation import short_repr, suggest
from ._yaml import read_yaml
from .diff_in_diff._aligned import aligned_did
from .diff_in_diff._event_study import event_study
from .diff_in_diff._imputation import imputation_did
from .diff_in_diff._matched import matched_did
from .diff_in_diff._staggered import att_gt
from .diff_in_diff._sun_abraham import sun_abraham
from .diff_in_diff._twfe import twfe
from .diff_in_diff._two_by_two import did
from .diff_in_diff._wald import wald_did
from .errors import ConfigError, DataError, SpecificationError
from .indicators._programme import programme_indicators
from .matching._match import psm
from .observational._balance import balance_table
from .observational._doubly_robust import doubly_robust
from .observational._entropy import entropy_balancing
from .observational._naive import difference_in_means
from .observational._regression import regression_adjustment
from .observational._weighting import ipw

__all__ = ["ESTIMATORS", "AnalysisSpec", "RunConfig", "load_config", "parse_config", "bind_analysis"]

#: estimator name in configs -> public function (the keys are the functions' names)
ESTIMATORS: dict[str, Callable[..., Any]] = {
    "difference_in_means": difference_in_means,
    "psm": psm,
    "regression_adjustment": regression_adjustment,
    "ipw": ipw,
    "doubly_robust": doubly_robust,
    "entropy_balancing": entropy_balancing,
    "did": did,
    "wald_did": wald_did,
    "matched_did": matched_did,
    "twfe": twfe,
    "event_study": event_study,
    "att_gt": att_gt,
    "imputation_did": imputation_did,
    "sun_abraham": sun_abraham,
    "aligned_did": aligned_did,
    "balance_table": balance_table,
    "programme_indicators": programme_indicators,
}

#: ``table`` picks the input table of an analysis (default: the main table, which the sample rules apply to)
#: ``engine`` runs att_gt / twfe out of core (:mod:`iej_impact._config_engine`)
RESERVED_ANALYSIS_KEYS = ("name", "estimator", "plots", "aggregate", "table", "sensitivity", "role", "engine",
                          *GRID_KEYS)
#: ``role: placebo`` marks an analysis of an outcome the programme cannot have changed (measured before entry)
#: ``definitions`` holds YAML anchors (e.g. a covariate list) reused below; it is not read otherwise
TOP_KEYS = ("version", "project", "data", "sample", "analyses", "report", "description", "definitions")
PROJECT_KEYS = ("name", "output_dir", "seed")
SAMPLE_KEYS = ("filters", "dropna", "unit", "time", "cohort", "treatment", "never_treated", "id_column")
REPORT_KEYS = ("title", "language", "formats", "labels")
REPORT_FORMATS = ("html",)
#: parameters of estimators that take a file path (resolved relative to the config file, hashed in the manifest)
PATH_PARAMS = ("operations", "published")
#: parameters of estimators that name columns (checked by `validate`)
COLUMN_PARAMS = ("outcome", "treatment", "covariates", "weights", "unit", "time", "cohort", "post", "exact", "by")
#: the parameters among them that name exactly one column (checked to be strings when the config is read)
SINGLE_COLUMN_PARAMS = ("outcome", "treatment", "weights", "unit", "time", "cohort", "post")


@dataclass(frozen=True)
class AnalysisSpec:
    """One entry of ``analyses:``."""

    index: int
    name: str
    estimator: str
    params: dict[str, Any]
    plots: tuple[str, ...] = ()
    aggregate: tuple[str, ...] = ()
    table: str | None = None
    #: options of each aggregation given as ``{kind: {option: value}}`` (checked; e.g. min_e, max_e)
    aggregate_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: options of the Rosenbaum bounds computed on the analysis' matching (None: none computed)
    sensitivity: dict[str, Any] | None = None
    #: ``subgroups`` and ``cost`` (:mod:`iej_impact._config_grid`); a list ``outcome`` stays in ``params``
    grid: Mapping[str, Any] = field(default_factory=dict)
    #: "placebo" for a placebo outcome (shown in the report's placebo tests), else None
    role: str | None = None
    #: ``{name: duckdb | spark[, memory_limit, threads]}``: estimated by the engine twin (None: in memory)
    engine: Mapping[str, Any] | None = None

    @property
    def location(self) -> str:
        return f"analyses[{self.index}]"

    @property
    def function(self) -> Callable[..., Any]:
        return ESTIMATORS[self.estimator]

    def plot_options(self, kind: str) -> dict[str, Any]:
        """Keyword arguments of the plot ``plot_<kind>``: the event-study plot of a result aggregated with
        ``{dynamic: {...}}`` draws the dynamic aggregation with those options (its event-time window)."""
        return dict(self.aggregate_options.get("dynamic", {})) if kind == "event_study" else {}


@dataclass(frozen=True)
class RunConfig:
    """A parsed configuration (paths resolved relative to the config file)."""

    base_dir: Path
    project: dict[str, Any]
    data: dict[str, Any]
    sample: dict[str, Any]
    analyses: tuple[AnalysisSpec, ...]
    report: dict[str, Any]
    version: int = 1
    path: Path | None = None
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def seed(self) -> int | None:
        return self.project.get("seed")

    @property
    def output_dir(self) -> Path:
        return self.resolve(self.project.get("output_dir", "runs/" + _slug(self.project.get("name", "run"))))

    def resolve(self, p: str | Path) -> Path:
        p = Path(p)
        return Path(os.path.normpath(p if p.is_absolute() else (self.base_dir / p)))

    def resolved(self) -> dict[str, Any]:
        """The configuration as run (defaults filled in), for the manifest."""
        return {
            "version": self.version,
            "project": self.project,
            "data": self.data,
            "sample": self.sample,
            "analyses": [
                {"name": a.name, "estimator": a.estimator, **({"table": a.table} if a.table else {}), **a.params,
                 **({"plots": list(a.plots)} if a.plots else {}),
                 **({"aggregate": [{k: dict(a.aggregate_options[k])} if a.aggregate_options.get(k) else k
                                   for k in a.aggregate]} if a.aggregate else {}),
                 **({"sensitivity": a.sensitivity} if a.sensitivity is not None else {}), **a.grid,
                 **({"engine": dict(a.engine)} if a.engine else {})}
                for a in self.analyses
            ],
            "report": self.report,
        }


def load_config(path: str | Path) -> RunConfig:
    """Read and check a YAML run configuration (UTF-8 text; see :mod:`iej_impact._yaml` for the YAML rules)."""
    path = Path(path)
    raw = read_yaml(path)
    if raw is None:
        raise ConfigError(f"{path}: the configuration file is empty (or holds only comments); see docs/how-to/config.md.")
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{path}: the configuration must be a YAML mapping (key: value); got {type(raw).__name__}.")
    return parse_config(raw, base_dir=path.resolve().parent, path=path)


def parse_config(raw: Any, *, base_dir: str | Path = ".", path: Path | None = None) -> RunConfig:
    """Check the shape of a configuration mapping and build a RunConfig."""
    if not isinstance(raw, Mapping):
        raise ConfigError(f"the configuration must be a YAML mapping; got {type(raw).__name__}.")
    _check_keys(raw, TOP_KEYS, "")
    version = raw.get("version", 1)
    if isinstance(version, bool) or version != 1:
        raise ConfigError(f"unsupported configuration version {short_repr(version)}; this release reads version 1.",
                          location="version")
    project = dict(_mapping(raw.get("project", {}), "project"))
    _check_keys(project, PROJECT_KEYS, "project")
    if "seed" in project:
        _seed(project["seed"], "project.seed")
    for key in ("name", "output_dir"):
        if key in project and (not isinstance(project[key], str) or not project[key].strip()):
            raise ConfigError(f"must be a non-empty string; got {short_repr(project[key])}.", location=f"project.{key}")

    if "data" not in raw:
        raise ConfigError("missing 'data' section (give data.path, data.participants + data.comparison, or data.synthetic).")
    data = parse_data(raw["data"])
    parse_external(data)  # data.external: Parquet tables only engines read

    sample = dict(_mapping(raw.get("sample", {}) or {}, "sample"))
    _check_keys(sample, SAMPLE_KEYS, "sample")
    if "filters" in sample:
        filters = sample["filters"]
        if isinstance(filters, str):
            filters = [filters]
        if not isinstance(filters, list) or not all(isinstance(f, str) for f in filters):
            raise ConfigError("must be a list of filter expressions (text), e.g. [\"age >= 16 and age <= 25\"].", location="sample.filters")
        sample["filters"] = filters
    _check_sample_roles(sample)

    raw_analyses = raw.get("analyses")
    if not isinstance(raw_analyses, list) or not raw_analyses:
        raise ConfigError("'analyses' must be a non-empty list of analyses.", location="analyses")
    analyses = []
    seen: set[str] = set()
    for i, entry in enumerate(raw_analyses):
        analyses.append(_parse_analysis(i, entry, seen))

    known_tables = (set(data.get("tables", {})) | (set(SYNTHETIC_TABLES) if "synthetic" in data else set()) | {"main"}
                    | prepared_tables(data) | set(data.get("external", {})))
    for a in analyses:
        if a.table is not None and a.table not in known_tables:
            raise ConfigError(
                f"unknown table {short_repr(a.table)}; tables: {sorted(known_tables)} ('main' is data.path / the stacked arms / "
                f"data.synthetic.table).{suggest(a.table, known_tables)}", location=f"{a.location}.table")
        if a.table in data.get("external", {}) and a.engine is None:
            raise ConfigError(f"{a.table!r} is an external table (data.external), which only an engine reads: add "
                              "'engine: duckdb' (att_gt, twfe, event_study, programme_indicators).",
                              location=f"{a.location}.table")
        if a.engine is not None and a.engine["name"] == "spark" and a.table not in data.get("external", {}):
            raise ConfigError("the spark engine reads an external table (data.external: Parquet files the cluster can "
                              "read); set 'table:' to one, or use engine: duckdb.", location=f"{a.location}.table")

    report = dict(_mapping(raw.get("report", {}) or {}, "report"))
    _check_keys(report, REPORT_KEYS, "report")
    report.setdefault("title", project.get("name", "iej_impact"))
    report.setdefault("language", "fr")
    report.setdefault("formats", ["html"])
    if not isinstance(report["title"], str):
        raise ConfigError(f"must be a string; got {short_repr(report['title'])}.", location="report.title")
    if report["language"] not in ("fr", "en"):
        raise ConfigError(f"must be 'fr' or 'en'; got {short_repr(report['language'])}.", location="report.language")
    if not isinstance(report["formats"], list) or any(f not in REPORT_FORMATS for f in report["formats"]):
        raise ConfigError(f"must be a list drawn from {list(REPORT_FORMATS)} ([] writes no report); got "
                          f"{short_repr(report['formats'])}.", location="report.formats")
    if "labels" in report:
        report["labels"] = parse_labels(report["labels"])

    return RunConfig(base_dir=Path(base_dir), project=project, data=data, sample=sample, analyses=tuple(analyses),
                     report=report, version=1, path=path, raw=dict(raw))


#: sample roles that name one column
SAMPLE_ROLE_KEYS = ("unit", "time", "cohort", "treatment", "id_column")


def _check_sample_roles(sample: dict[str, Any]) -> None:
    for key in SAMPLE_ROLE_KEYS:
        if key in sample and (not isinstance(sample[key], str) or not sample[key]):
            raise ConfigError(f"must be a column name (a string); got {short_repr(sample[key])}.", location=f"sample.{key}")
    if "never_treated" in sample and isinstance(sample["never_treated"], (list, dict)):
        raise ConfigError("must be one value (e.g. 0 or 9999) that also means 'never treated' in the cohort column; "
                          f"got {short_repr(sample['never_treated'])}.", location="sample.never_treated")
    if "dropna" in sample:
        cols = sample["dropna"]
        cols = [cols] if isinstance(cols, str) else cols
        if not isinstance(cols, list) or not all(isinstance(c, str) for c in cols):
            raise ConfigError(f"must be a list of column names; got {short_repr(sample['dropna'])}.", location="sample.dropna")
        sample["dropna"] = cols


def _parse_analysis(i: int, entry: Any, seen: set[str]) -> AnalysisSpec:
    loc = f"analyses[{i}]"
    entry = dict(_mapping(entry, loc))
    name = entry.get("name")
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise ConfigError(
            f"needs a 'name': letters, digits, '_' or '-', starting with a letter; got {short_repr(name)}.",
            location=f"{loc}.name")
    if name in seen:
        raise ConfigError(f"duplicate analysis name {short_repr(name)}; names are the keys of results.json.", location=f"{loc}.name")
    seen.add(name)
    loc = f"analyses[{i}] ({name})"
    est = entry.get("estimator")
    if not isinstance(est, str) or est not in ESTIMATORS:
        raise ConfigError(
            f"unknown estimator {short_repr(est)}; available: {sorted(ESTIMATORS)}.{suggest(est, ESTIMATORS)}",
            location=f"analyses[{i}].estimator")
    plots = entry.get("plots", []) or []
    plots = [plots] if isinstance(plots, str) else plots
    if not isinstance(plots, list) or not all(isinstance(v, str) for v in plots):
        raise ConfigError("must be a list of names.", location=f"analyses[{i}].plots")
    aggregate, aggregate_options = _parse_aggregate(entry.get("aggregate", []) or [], f"analyses[{i}].aggregate")
    _check_outputs(est, plots, aggregate, f"analyses[{i}]", aggregate_options)
    table = entry.get("table")
    if table is not None and not isinstance(table, str):
        raise ConfigError(f"must be a table name; got {short_repr(table)}.", location=f"analyses[{i}].table")
    sensitivity = _parse_sensitivity(entry.get("sensitivity"), est, f"analyses[{i}].sensitivity")
    role = entry.get("role")
    if role is not None and role != "placebo":
        raise ConfigError(f"the only role is 'placebo' (an outcome the programme cannot have changed, shown with the "
                          f"placebo tests); got {short_repr(role)}.", location=f"analyses[{i}].role")
    params = {k: v for k, v in entry.items() if k not in RESERVED_ANALYSIS_KEYS}
    fn = ESTIMATORS[est]
    grid = parse_grid(entry, est, fn, f"analyses[{i}]")
    sig = inspect.signature(fn)
    accepted = [p for p in list(sig.parameters)[1:]]
    for key in params:
        if key not in accepted:
            raise ConfigError(
                f"unknown parameter '{key}' for {est}(); accepted: {accepted}.{suggest(key, accepted)}",
                location=f"analyses[{i}].{key}")
        if key in SINGLE_COLUMN_PARAMS and params[key] is not None and not isinstance(params[key], str) \
                and not (key == "outcome" and isinstance(params[key], list)):  # a list of outcomes: a grid
            raise ConfigError(f"must be a column name (a string); got {short_repr(params[key])}.",
                              location=f"analyses[{i}].{key}")
    engine = parse_engine(entry.get("engine"), est, params, grid, sensitivity, f"analyses[{i}]")
    return AnalysisSpec(index=i, name=name, estimator=est, params=params, plots=tuple(plots), aggregate=tuple(aggregate),
                        table=table, sensitivity=sensitivity, aggregate_options=aggregate_options, grid=grid, role=role,
                        engine=engine)


def _parse_aggregate(value: Any, loc: str) -> tuple[list[str], dict[str, dict[str, Any]]]:
    """``aggregate: [simple, {dynamic: {min_e: -4, max_e: 6}}]``: the kinds in order, and the options given."""
    kinds: list[str] = []
    options: dict[str, dict[str, Any]] = {}
    items = [value] if isinstance(value, (str, Mapping)) else value
    for item in items if isinstance(items, list) else [items]:
        kind, opts = next(iter(item.items())) if isinstance(item, Mapping) and len(item) == 1 else (item, None)
        problem = ("must be a list of aggregations, each a name or a name with its options, e.g. [simple, {dynamic: "
                   "{min_e: -4, max_e: 6}}]" if not isinstance(kind, str) else
                   f"the options of the aggregation {kind!r} must be a mapping, e.g. {{min_e: -4, max_e: 6}}"
                   if not isinstance(opts, (Mapping, type(None))) else
                   f"the aggregation {kind!r} is given twice; results.json holds one '<name>.{kind}'" if kind in kinds
                   else "")
        if problem:
            raise ConfigError(f"{problem}; got {short_repr(item)}.", location=loc)
        kinds.append(kind)
        options.update({kind: dict(opts)} if opts else {})
    return kinds, options


def _check_outputs(est: str, plots: list[str], aggregate: list[str], loc: str,
                   options: Mapping[str, Mapping[str, Any]] | None = None) -> None:
    """``plots`` and ``aggregate`` must exist on the estimator's result class (read from its return type), and the
    options of an aggregation pass its ``aggregate``'s own checks (``check_aggregation``) before any estimation."""
    result_cls = typing.get_type_hints(ESTIMATORS[est]).get("return")
    avail = sorted(m[5:] for m in dir(result_cls) if m.startswith("plot_"))
    for kind in plots:
        if kind not in avail:
            raise ConfigError(f"no plot {short_repr(kind)} for {est}(); available: {avail}.{suggest(kind, avail)}",
                              location=f"{loc}.plots")
    if aggregate and not hasattr(result_cls, "aggregate"):
        raise ConfigError(f"{est}() results cannot be aggregated (only att_gt and aligned_did results can).",
                          location=f"{loc}.aggregate")
    if aggregate:
        kinds = typing.get_args(typing.get_type_hints(result_cls.aggregate).get("kind"))
        for kind in aggregate:
            if kinds and kind not in kinds:
                raise ConfigError(f"unknown aggregation {short_repr(kind)}; one of {list(kinds)}.{suggest(kind, kinds)}",
                                  location=f"{loc}.aggregate")
    for kind, opts in (options or {}).items():
        accepted = [p.name for p in inspect.signature(result_cls.aggregate).parameters.values()
                    if p.kind is inspect.Parameter.KEYWORD_ONLY]
        bad = [key for key in opts if key not in accepted]
        where = f"{loc}.aggregate.{kind}" + (f".{bad[0]}" if bad else "")
        try:
            if bad:
                raise SpecificationError(f"unknown option '{bad[0]}' of the {kind!r} aggregation; accepted: {accepted}."
                                         + suggest(bad[0], accepted))
            result_cls.check_aggregation(kind, **opts)
        except SpecificationError as exc:
            raise ConfigError(str(exc), location=where if bad else parameter_location(exc, where, opts)) from None


#: the sensitivity analyses each estimator's result supports (``sensitivity: {<method>: true | {options}}``)
SENSITIVITY_METHODS = {"psm": ("rosenbaum", "placebo_group"), "regression_adjustment": ("ovb", "evalue", "placebo_group"),
                       "ipw": ("ovb", "evalue", "placebo_group"), "doubly_robust": ("ovb", "evalue", "placebo_group"),
                       "difference_in_means": ("placebo_group",), "twfe": ("placebo_group",),
                       "att_gt": ("honest_did", "placebo_entry", "placebo_group"),
                       "event_study": ("honest_did", "placebo_entry", "placebo_group")}


def sensitivity_function(method: str) -> tuple[Callable[..., Any], tuple[str, ...]]:
    """The function of a sensitivity method and its parameters that the run fills in (not options)."""
    from .diff_in_diff._honest import honest_did
    from .diff_in_diff._placebo import placebo_entry
    from .diff_in_diff._placebo_group import placebo_group
    from .matching._sensitivity import rosenbaum_bounds
    from .observational import evalue, ovb_sensitivity

    return {"honest_did": (honest_did, ("result",)), "rosenbaum": (rosenbaum_bounds, ("result_or_pairs", "outcome")),
            "ovb": (ovb_sensitivity, ("data", "outcome", "treatment", "covariates", "weights", "result")),
            "evalue": (evalue, ("effect", "lower", "upper", "scale", "rare", "se", "alpha")),
            "placebo_entry": (placebo_entry, ("data", "estimator", "time", "cohort", "kwargs")),
            "placebo_group": (placebo_group, ("data", "estimator", "kwargs"))}[method]


def _parse_sensitivity(value: Any, estimator: str, loc: str) -> dict[str, Any] | None:
    """``sensitivity:`` as {method: options}: false/absent (none); psm also takes true or rosenbaum_bounds()
    options directly (the Rosenbaum bounds, its only method)."""
    if value is None or value is False:
        return None
    methods = SENSITIVITY_METHODS.get(estimator)
    if methods is None:
        supported = ", ".join(f"{e} ({'/'.join(m)})" for e, m in SENSITIVITY_METHODS.items())
        raise ConfigError(f"'sensitivity' is not available for estimator {short_repr(estimator)}; it is for {supported}. "
                          "(Rosenbaum bounds apply to matched pairs.)", location=loc)
    every = {m for ms in SENSITIVITY_METHODS.values() for m in ms}
    flat = estimator == "psm" and (value is True or (isinstance(value, Mapping) and not set(value) & every))
    if flat:
        value = {"rosenbaum": value}
    if not isinstance(value, Mapping):
        raise ConfigError(f"must be true, false or a mapping; for {estimator}: {{{': ..., '.join(methods)}: ...}} "
                          f"with true or a mapping of options; got {short_repr(value)}.", location=loc)
    out: dict[str, Any] = {}
    for method, options in value.items():
        if method not in methods:
            raise ConfigError(f"unknown sensitivity analysis {short_repr(method)} for {estimator}; available: "
                              f"{list(methods)}.{suggest(str(method), methods)}", location=f"{loc}.{method}")
        if options is False or options is None:
            continue
        if method == "honest_did":
            out["honest_did"] = _parse_honest_did(options, f"{loc}.honest_did")
            continue
        if options is not True and not isinstance(options, Mapping):
            raise ConfigError(f"must be true, false or a mapping of options; got {short_repr(options)}.",
                              location=f"{loc}.{method}")
        func, filled = sensitivity_function(method)
        accepted = [p for p in inspect.signature(func).parameters if p not in filled]
        for key in options if isinstance(options, Mapping) else ():
            if key not in accepted:
                where = f"{loc}.{key}" if flat else f"{loc}.{method}.{key}"
                raise ConfigError(f"unknown option '{key}' of {func.__name__}(); accepted: {accepted}."
                                  f"{suggest(key, accepted)}", location=where)
        out[str(method)] = {} if options is True else dict(options)
        if method == "placebo_entry" and "shift" not in out[method]:
            raise ConfigError("placebo_entry needs the number of periods to move each entry: {shift: 2}.",
                              location=f"{loc}.placebo_entry")
        if method == "placebo_group" and estimator not in ("att_gt", "event_study", "twfe") and "filter" not in out[method]:
            raise ConfigError(f"placebo_group on {estimator} needs the comparison units that play the treated, as a "
                              "filter: {filter: \"refused_offer == 1\"}.", location=f"{loc}.placebo_group")
    return out or None


def _parse_honest_did(entries: Any, loc: str) -> dict[str, Any] | list[dict[str, Any]]:
    """``honest_did: true | {options} | [{options}, ...]`` (a list: one entry per restriction), checked
    as far as it can be without the result (honest_did's check_options)."""
    from .diff_in_diff._honest import check_options, honest_did

    entries = {} if entries is True else entries
    sig = inspect.signature(honest_did)
    accepted, seen = [p for p in sig.parameters if p != "result"], set()
    for j, entry in enumerate(entries if isinstance(entries, list) else [entries]):
        where = loc + (f"[{j}]" if isinstance(entries, list) else "")
        if not isinstance(entry, Mapping):
            raise ConfigError(f"must be true or a mapping of honest_did() options (or a list of them); got "
                              f"{short_repr(entry)}.", location=where)
        for key in entry:
            if key not in accepted:
                raise ConfigError(f"unknown option '{key}' of honest_did(); accepted: {accepted}.{suggest(key, accepted)}",
                                  location=f"{where}.{key}")
        try:
            check_options(**{p: entry.get(p, sig.parameters[p].default) for p in
                             ("restriction", "mbar", "m", "alpha", "method", "grid_points", "grid", "draws", "e", "window")})
        except (SpecificationError, DataError) as exc:
            raise ConfigError(str(exc), location=where) from exc
        restriction = entry.get("restriction", "relative_magnitude")
        if isinstance(entries, list) and restriction in seen:
            raise ConfigError(f"two entries with restriction {short_repr(restriction)}; each entry of the list is stored "
                              "under <name>.honest_did.<restriction>.", location=where)
        seen.add(restriction)
    return [dict(e) for e in entries] if isinstance(entries, list) else dict(entries)


def bind_analysis(
    spec: AnalysisSpec,
    sample_roles: Mapping[str, Any],
    seed: int | None,
    base_dir: Path | None = None,
    tables: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Keyword arguments for the analysis' function: its params, with sample roles and the seed
    filled in where the function takes them and the analysis does not set them. A ``PATH_PARAMS``
    value naming one of the run's ``tables`` is replaced by that table; any other is a file path,
    made relative to ``base_dir`` (the config file's folder)."""
    fn = spec.function
    sig = inspect.signature(fn)
    kwargs = dict(spec.params)
    for key in PATH_PARAMS:
        value = kwargs.get(key)
        if not isinstance(value, str):
            continue
        if tables is not None and value in tables:
            kwargs[key] = tables[value]
        elif base_dir is not None and not Path(value).is_absolute():
            kwargs[key] = os.path.normpath(Path(base_dir) / value)
    for role in ("unit", "time", "cohort", "treatment"):
        if role in sig.parameters and role not in kwargs and sample_roles.get(role):
            kwargs[role] = sample_roles[role]
    if "random_state" in sig.parameters and "random_state" not in kwargs and seed is not None:
        kwargs["random_state"] = seed
    missing = [
        name for name, p in list(sig.parameters.items())[1:]
        if p.default is inspect.Parameter.empty and p.kind is inspect.Parameter.KEYWORD_ONLY and name not in kwargs
    ]
    if missing:
        raise ConfigError(
            f"{spec.estimator}() needs {', '.join(repr(m) for m in missing)}; add "
            f"{'it' if len(missing) == 1 else 'them'} to the analysis.", location=f"{spec.location} ({spec.name})")
    return kwargs


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", str(text)).strip("_").lower() or "run"
