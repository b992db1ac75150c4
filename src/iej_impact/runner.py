"""Config-driven runs: load data, define the sample, run each analysis, write every output.

The runner is a loop over the library's public functions (no second implementation). Outputs
are written to a temporary directory beside the target and renamed on success, so a failed run
leaves nothing half-written; an existing output directory is replaced only with ``force=True``.
"""

from __future__ import annotations

import json
import platform
import sys
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from ._config_grid import check_grid, file_stem
from ._output_dir import OutputTarget, check_output_dir, staged
from ._params import column_parameters
from ._progress import progress, record_steps, step
from ._run_data import RunData, load_run_data, table_names, tables_used, warning_records
from ._run_engine import check_engine_analysis, external_accounting, run_engine_analysis
from ._run_grid import add_grid_fields, comparison_tables, grid_frames, run_cells, write_comparison_plots
from ._run_sensitivity import PLACEBO_METHODS, check_sensitivity, placebo_outcomes, run_sensitivity, seeded
from ._run_truth import grid_truths, result_truths
from ._validation import check_arguments, suggest
from .config import (
    COLUMN_PARAMS,
    PATH_PARAMS,
    AnalysisSpec,
    RunConfig,
    bind_analysis,
    load_config,
    parameter_location,
)
from .data._sample import Sample, define_sample
from .errors import ConfigError, ConfigErrors, DataError, EstimationError, SpecificationError
from .results import jsonable

__all__ = ["run", "validate", "RunResult", "load_run_data"]

VERSIONED_PACKAGES = (
    "iej_impact", "numpy", "pandas", "scipy", "statsmodels", "scikit-learn", "linearmodels", "matplotlib", "pyarrow", "PyYAML",
)


@dataclass(frozen=True)
class RunResult:
    """What a run produced (also written to ``output_dir``)."""

    output_dir: Path
    results: dict[str, Any]
    sample: Sample
    results_json: dict[str, Any]
    manifest: dict[str, Any]
    report_path: Path | None = None
    truths: dict[str, float | None] = field(default_factory=dict)


class _Samples:
    """The main sample (sample rules applied) and, lazily, one accounted sample per extra table."""

    def __init__(self, cfg: RunConfig, rd: RunData) -> None:
        self.cfg, self.rd = cfg, rd
        self.main, self.warnings = _define(cfg, rd)
        self.extra: dict[str, Sample] = {}

    def for_analysis(self, spec: Any) -> Sample:
        name = spec.table
        if name in (None, "main", self.rd.main_name):
            return self.main
        if name not in self.extra:
            frame = self.rd.extra[name]
            roles = {k: v for k, v in _sample_roles(self.cfg, self.rd).items()
                     if k in ("unit", "time", "cohort", "treatment", "never_treated")
                     and (k == "never_treated" or v in frame.columns)}
            if "cohort" not in roles:
                roles.pop("never_treated", None)
            try:
                self.extra[name] = define_sample(frame, **roles)
            except (DataError, SpecificationError) as exc:
                raise ConfigError(str(exc), location=f"{spec.location}.table ({name})") from exc
        return self.extra[name]


def _sample_roles(cfg: RunConfig, rd: RunData) -> dict[str, Any]:
    roles = dict(cfg.sample)
    if "treatment" not in roles and rd.treatment is not None:
        roles["treatment"] = rd.treatment
    if "id_column" not in roles and rd.id_column is not None:  # the id a preparation gave the main table
        roles["id_column"] = rd.id_column
    return roles


def _define(cfg: RunConfig, rd: RunData) -> tuple[Sample, list[dict[str, str]]]:
    """The main sample, and the warnings defining it raised (echoed on stderr, kept in results.json)."""
    roles = _sample_roles(cfg, rd)
    # panel roles (unit/time/cohort) describe whichever table has those columns (often the panel,
    # not the main person table): a role must be a column of the main table or of a table the
    # analyses use; it applies to the main sample only when the main table has it.
    used = tables_used(cfg)
    frames = [list(rd.frame.columns)] + [list(f.columns) for name, f in rd.extra.items() if name in used]
    frames += [t.columns for name, t in rd.external.items() if name in used]  # an external table: its schema
    for role in ("unit", "time", "cohort"):
        if role not in roles:
            continue
        if not any(roles[role] in f for f in frames):
            columns = sorted({str(c) for f in frames for c in f})
            raise ConfigError(
                f"column {roles[role]!r} not found in the data (nor in a table the analyses use)."
                f"{suggest(roles[role], columns)}", location=f"sample.{role}")
        if roles[role] not in rd.frame.columns:
            roles.pop(role)
    if "cohort" not in roles:
        roles.pop("never_treated", None)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            sample = define_sample(rd.frame, **roles)
    except (DataError, SpecificationError) as exc:
        where = getattr(exc, "location", None)  # a filter's error names filters[i]
        if where:
            raise ConfigError(exc.detail, location=f"sample.{where}") from exc  # type: ignore[attr-defined]
        column = getattr(exc, "column", None)
        key = next((k for k in ("treatment", "unit", "time", "cohort", "id_column") if column and roles.get(k) == column),
                   None)
        raise ConfigError(str(exc), location=f"sample.{key}" if key else "sample") from exc
    return sample, warning_records(caught, "sample")


def validate(config: str | Path | RunConfig) -> dict[str, Any]:
    """Parse the config, load the data (every declared table), define the sample, and run every
    analysis' own argument and column checks without estimating anything.

    Returns a short report (rows, columns, analyses checked). Raises ConfigError / DataError.
    """
    cfg = config if isinstance(config, RunConfig) else load_config(config)
    rd = load_run_data(cfg, every_table=True)
    samples = _Samples(cfg, rd)
    checked = _check_analyses(cfg, rd, samples, cfg.analyses)
    report = {"rows": len(rd.frame), "rows_in_sample": len(samples.main.data), "columns": list(map(str, rd.frame.columns)),
              "analyses": checked}
    if rd.preparation is not None:
        report["preparation"] = jsonable(rd.preparation.flow)
    report.update({"external": {n: {"files": len(t.files), "rows": t.rows} for n, t in rd.external.items()}}
                  if rd.external else {})
    return report


def _check_analyses(cfg: RunConfig, rd: RunData, samples: _Samples, analyses: Any) -> list[str]:
    """Bind each analysis and run its function's checks (columns, then parameters) on its sample,
    stopping each before it estimates. Every analysis is checked: one problem is a ConfigError with its
    YAML location, several a ConfigErrors listing each (the first problem of each analysis)."""
    roles = _sample_roles(cfg, rd)
    checked: list[str] = []
    errors: list[ConfigError] = []
    for spec in analyses:
        try:
            _check_analysis(spec, roles, cfg, rd, samples)
        except ConfigError as exc:
            errors.append(exc)
            continue
        checked.append(spec.name)
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise ConfigErrors(errors) from errors[0]
    return checked


def _check_analysis(spec: AnalysisSpec, roles: Mapping[str, Any], cfg: RunConfig, rd: RunData,
                    samples: _Samples) -> None:
    if spec.engine is not None:  # the columns it names, against the external table's schema or the loaded table
        kwargs = bind_analysis(spec, roles, cfg.seed, cfg.base_dir, rd.tables)
        ext = rd.external.get(spec.table)
        check_engine_analysis(spec, kwargs, ext.columns if ext else list(map(str, samples.for_analysis(spec).data.columns)))
        return
    sample = samples.for_analysis(spec)
    for one in check_grid(spec, sample.data, rd.tables, cfg.resolve):  # once per outcome of a grid
        kwargs = bind_analysis(one, roles, cfg.seed, cfg.base_dir, rd.tables)
        _check_columns(one, kwargs, sample.data)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the run records the warnings; the checks need not repeat them
                check_arguments(one.function, sample.data, **kwargs)
        except (DataError, SpecificationError) as exc:
            raise ConfigError(str(exc), location=_location(one, exc)) from exc
        check_sensitivity(seeded(one, cfg.seed), kwargs, sample.data)


def _check_columns(spec: AnalysisSpec, kwargs: Mapping[str, Any], frame: pd.DataFrame) -> None:
    """Column-naming parameters (and ``se: {by: ...}``) must name columns of the analysis' table."""
    keys = dict.fromkeys([*COLUMN_PARAMS, *column_parameters(spec.function)])  # the function's Columns constraints
    named: list[tuple[str, Any]] = [(key, kwargs[key]) for key in keys if kwargs.get(key) is not None]
    se = kwargs.get("se")
    if isinstance(se, Mapping):
        named += [(f"se.{key}", se[key]) for key in ("by", "cluster") if se.get(key) is not None]
    for key, value in named:
        cols = [value] if isinstance(value, str) else value if isinstance(value, list) else []
        missing = [c for c in cols if isinstance(c, str) and c not in frame.columns]
        if missing:
            raise ConfigError(
                f"column {missing[0]!r} not found in the data.{suggest(missing[0], map(str, frame.columns))}",
                location=f"{spec.location}.{key}")


def _location(spec: AnalysisSpec, exc: BaseException) -> str:
    """``analyses[i].<parameter>`` when the message names a parameter the analysis sets, else ``analyses[i] (name)``."""
    where = parameter_location(exc, spec.location, spec.params)
    return where if where != spec.location else f"{spec.location} ({spec.name})"


def run(
    config: str | Path | RunConfig,
    *,
    output_dir: str | Path | None = None,
    force: bool = False,
    only: list[str] | None = None,
) -> RunResult:
    """Run every analysis of a configuration and write results, tables, figures, report, manifest.

    Long steps show a progress display on stderr when it is a terminal (``iej_impact.show_progress``
    switches it); the manifest lists every step with its seconds (``steps``).
    """
    with record_steps() as steps:
        return _run(config, output_dir, force, only, steps)


def _run(config: str | Path | RunConfig, output_dir: str | Path | None, force: bool, only: list[str] | None,
         steps: list[dict[str, Any]]) -> RunResult:
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    cfg = config if isinstance(config, RunConfig) else load_config(config)
    target = _output_target(cfg, output_dir, force)
    out = target.path
    analyses = [a for a in cfg.analyses if not only or a.name in only]
    if only:
        unknown = sorted(set(only) - {a.name for a in cfg.analyses})
        if unknown:
            raise ConfigError(f"--only names unknown analyses {unknown}; known: {[a.name for a in cfg.analyses]}.")

    tick = time.perf_counter()
    with step("data.load"):  # reading the files (and data.prepare's steps, timed each within it)
        rd = load_run_data(cfg)
    timings["load_data"] = time.perf_counter() - tick
    tick = time.perf_counter()
    with step("sample"):
        samples = _Samples(cfg, rd)
        sample = samples.main
        _check_analyses(cfg, rd, samples, analyses)  # every user error before the first estimation
    timings["define_sample"] = time.perf_counter() - tick
    roles = _sample_roles(cfg, rd)

    results: dict[str, Any] = {}
    run_warnings: dict[str, list[dict[str, str]]] = {}
    plots: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    grids: dict[str, Any] = {}
    for spec in progress(analyses, desc="analyses", total=len(analyses)):
        tick = time.perf_counter()
        spec = seeded(spec, cfg.seed)  # random draws of a sensitivity analysis (placebo_group) use the run's seed
        kwargs = bind_analysis(spec, roles, cfg.seed, cfg.base_dir, rd.tables)
        with step(f"{spec.location} {spec.name}"):  # each grid cell is a step within it, ticked on a bar
            if spec.engine is not None:  # out of core: the external table's files, or the loaded table as a frame
                source = rd.external[spec.table].source if spec.table in rd.external else samples.for_analysis(spec).data
                cells, grid = [spec.name], None
                run_warnings[spec.name] = run_engine_analysis(spec, kwargs, source, results)
            else:
                cells, grid = run_cells(spec, kwargs, samples.for_analysis(spec), results, run_warnings, _run_analysis,
                                        rd.tables, cfg.resolve, cfg.seed)  # the analysis, or each cell of its grid
        grids.update({spec.name: grid} if grid else {})
        for cell in cells:
            plots[cell] = [(kind, spec.plot_options(kind)) for kind in spec.plots]
            if "ovb" in (spec.sensitivity or {}):
                plots[f"{cell}.ovb"] = [("contour", {})]
            plots.update({key: [("sensitivity", {})] for key in results if key.startswith(f"{cell}.honest_did")})
        timings[f"analysis:{spec.name}"] = time.perf_counter() - tick

    truths = result_truths(rd.synthetic, results)
    grid_truths(truths, grids, rd.synthetic)
    manifest = _manifest(cfg, rd, sample)
    if rd.external:  # rows (Parquet footers) and the units each engine analysis used
        manifest["external_tables"] = external_accounting(cfg, rd.external, results, analyses)
    results_json = {
        "results": {name: _result_dict(res, truths.get(name), run_warnings.get(name, []))
                    for name, res in results.items()},
        "sample_flow": sample.flow.to_dict(),
        **({"external_tables": manifest["external_tables"]} if rd.external else {}),
        "manifest": manifest,
    }
    add_grid_fields(results_json, grids)
    results_json.update({"grid": grids} if grids else {})
    designs = {k: v for k, v in results.items() if not set(k.split(".")) & set(PLACEBO_METHODS)}  # placebos estimate 0
    results_json["comparisons"] = comparison_tables(designs, truths, grids)
    if rd.preparation is not None:
        results_json["preparation_flow"] = jsonable(rd.preparation.flow)
    if rd.preparation_warnings:
        results_json["preparation_warnings"] = rd.preparation_warnings
    if samples.warnings:
        results_json["sample_warnings"] = samples.warnings
    if samples.extra:
        results_json["sample_flow_tables"] = {name: s.flow.to_dict() for name, s in sorted(samples.extra.items())}
    if rd.synthetic is not None:
        results_json["synthetic_truth"] = jsonable(rd.synthetic.truth)

    tick = time.perf_counter()
    report_path = _write_outputs(target, cfg, samples, results, plots, truths, results_json, manifest, timings, t0,
                                 steps)
    timings["write_outputs"] = time.perf_counter() - tick
    final_report = out / report_path.name if report_path else None
    return RunResult(output_dir=out, results=results, sample=sample, results_json=results_json, manifest=manifest,
                     report_path=final_report, truths=truths)


def _run_analysis(spec: AnalysisSpec, kwargs: Mapping[str, Any], sample: Sample,
                  results: dict[str, Any]) -> list[dict[str, str]]:
    """Estimate one analysis and the results derived from it (aggregations, sensitivity) into ``results``.

    Checks that its plots exist (they are drawn with the outputs); returns the warnings it raised.
    User errors become ConfigError located at the analysis' YAML key.
    """
    where = f"{spec.location} ({spec.name})"
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res = spec.function(sample.data, **kwargs)
    except (DataError, SpecificationError) as exc:
        raise ConfigError(str(exc), location=_location(spec, exc)) from exc
    except EstimationError as exc:
        raise EstimationError(f"{where}: {exc}") from exc
    records = warning_records(caught, where)
    results[spec.name] = res
    for kind in spec.aggregate:
        if not hasattr(res, "aggregate"):
            raise ConfigError(f"{spec.estimator}() results cannot be aggregated.", location=f"{spec.location}.aggregate")
        try:
            results[f"{spec.name}.{kind}"] = res.aggregate(kind, **spec.aggregate_options.get(kind, {}))
        except (DataError, SpecificationError) as exc:
            raise ConfigError(str(exc), location=f"{spec.location}.aggregate") from exc
    with warnings.catch_warnings(record=True) as caught:  # e.g. a placebo's cells that cannot be estimated
        warnings.simplefilter("always")
        run_sensitivity(spec, kwargs, sample, res, results)
    records += warning_records(caught, f"{spec.location}.sensitivity ({spec.name})")
    for kind in spec.plots:
        if not hasattr(res, f"plot_{kind}"):
            avail = sorted(m[5:] for m in dir(res) if m.startswith("plot_"))
            raise ConfigError(f"no plot {kind!r} for {spec.estimator}(); available: {avail}.", location=f"{spec.location}.plots")
    return records


def _result_dict(res: Any, truth: float | None, warns: list[dict[str, str]] = ()) -> dict[str, Any]:
    from .report._diagnostics import result_diagnostics
    from .report._effects_table import truth_check

    d = res.to_dict()
    if isinstance(d, dict):
        d["warnings"] = list(warns)
        diagnostics = result_diagnostics(res)
        if diagnostics:
            d["diagnostics"] = diagnostics
    if truth is not None and isinstance(d, dict):
        d["true_value"] = truth
        d["bias"], d["ci_covers_truth"] = truth_check(d.get("estimate"), d.get("ci_lower"), d.get("ci_upper"), truth)
    return jsonable(d)


def _versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"python": platform.python_version()}
    for pkg in VERSIONED_PACKAGES:
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = None
    return out


def _analysis_inputs(cfg: RunConfig) -> list[dict[str, Any]]:
    """Files named by analyses (e.g. an operations table), with their sha256."""
    from .data._io import file_sha256

    out = []
    for spec in cfg.analyses:
        for key in PATH_PARAMS:
            value = spec.params.get(key)
            if isinstance(value, str) and value not in table_names(cfg):
                path = cfg.resolve(value)
                out.append({"role": f"{spec.name}.{key}", "path": value,
                            "sha256": file_sha256(path) if path.is_file() else None})
    return out


def _manifest(cfg: RunConfig, rd: RunData, sample: Sample) -> dict[str, Any]:
    return jsonable({
        "config_file": cfg.path.name if cfg.path else None,
        "config": cfg.resolved(),
        "inputs": rd.inputs + _analysis_inputs(cfg),
        "seed": cfg.seed,
        "package_versions": _versions(),
        "row_accounting": sample.flow.to_dict(),
        **({"preparation_accounting": jsonable(rd.preparation.flow),
            "rows_removed_in_preparation": len(rd.preparation.exclusions)} if rd.preparation is not None else {}),
        "excluded_rows": len(sample.flow.exclusions),
    })


def _output_target(cfg: RunConfig, output_dir: str | Path | None, force: bool) -> OutputTarget:
    """Check the output directory before any data is read (see ``_output_dir`` for the rules)."""
    if output_dir is not None:
        raw, location = output_dir, "--output-dir"
    else:
        given = cfg.project.get("output_dir")
        raw = cfg.output_dir if given is None or given.strip() else given
        location = "project.output_dir"
    return check_output_dir(raw, kind="run", force=force, location=location, inputs=_input_files(cfg),
                            config_dir=cfg.base_dir)


def _input_files(cfg: RunConfig) -> list[Path]:
    """Every file the run reads: the config, data files, extra tables, files named by analyses."""
    files = [cfg.path] if cfg.path is not None else []
    files += [cfg.resolve(cfg.data[k]) for k in ("path", "participants", "comparison") if k in cfg.data]
    files += [cfg.resolve(spec["path"]) for spec in cfg.data.get("tables", {}).values()]
    files += [cfg.resolve(spec["path"]) for spec in cfg.data.get("sources", {}).values()]
    files += [cfg.resolve(p) for spec in cfg.data.get("external", {}).values()
              for p in (spec["path"] if isinstance(spec["path"], list) else [spec["path"]]) if "://" not in p]
    names = table_names(cfg)
    for spec in cfg.analyses:
        files += [cfg.resolve(v) for k, v in spec.params.items()
                  if k in PATH_PARAMS and isinstance(v, str) and v not in names]
        cost_file = spec.grid.get("cost", {}).get("operations")
        files += [cfg.resolve(cost_file)] if cost_file and cost_file not in names else []
    return files


def _write_outputs(target: OutputTarget, cfg: RunConfig, samples: _Samples, results: Mapping[str, Any],
                   plots: Mapping[str, list[tuple[str, dict[str, Any]]]], truths: Mapping[str, float | None],
                   results_json: dict[str, Any], manifest: dict[str, Any], timings: dict[str, float],
                   t0: float, steps: list[dict[str, Any]]) -> Path | None:
    from .data._io import write_table
    from .report._effects_table import effects_frame
    from .report._labels import variable_labels
    from .report._spreadsheets import write_spreadsheets

    sample = samples.main
    rd_preparation = samples.rd.preparation
    # keyed by file name: a grid cell's name holds ':' and brackets, which not every file system takes
    tables: dict[str, pd.DataFrame] = {file_stem(name): res.to_frame() for name, res in results.items()}
    tables["sample_flow"] = sample.flow.table
    tables["exclusions"] = sample.flow.exclusions
    if rd_preparation is not None:
        tables["preparation_flow"] = rd_preparation.flow
        tables["preparation_exclusions"] = rd_preparation.exclusions
    for name, extra in sorted(samples.extra.items()):
        tables[f"sample_flow_{name}"] = extra.flow.table
    effects = effects_frame(results, truths)
    tables["effects"] = effects
    grid_tables = grid_frames(results_json)  # grid_<name>, grid_<name>_equality, compare_<outcome>
    tables.update(grid_tables)
    lang = cfg.report["language"]
    with staged(target) as tmp, variable_labels(cfg.report.get("labels")):
        (tmp / "tables").mkdir(parents=True)
        (tmp / "figures").mkdir()
        with step("outputs.tables"):
            for name, frame in progress(tables.items(), desc="tables", total=len(tables)):
                write_table(frame, tmp / "tables" / f"{name}.csv")
            write_spreadsheets(tables, tmp / "tables", lang)  # tables/excel/*.csv and tables/tables.xlsx, for people
            (tmp / "results.json").write_text(_dumps(results_json), encoding="utf-8")
        with step("outputs.figures"):
            figures = _figures(tmp, cfg, results, plots, truths, effects, sample, lang)
            write_comparison_plots(tmp, grid_tables, lang, figures)
        report_path = None
        if "html" in cfg.report["formats"]:
            from .report._html import build_report

            with step("outputs.report"):
                report_path = build_report(
                    tmp / "report.html", title=cfg.report["title"], results=results, sample_flow=sample.flow.table,
                    language=lang, truths=truths or None, manifest=manifest, figures=figures,
                    preparation_flow=rd_preparation.flow if rd_preparation is not None else None,
                    labels=cfg.report.get("labels"), grids=grid_tables, placebos=placebo_outcomes(cfg, results),
                )
        timings["total_before_rename"] = time.perf_counter() - t0
        full_manifest = dict(manifest)
        full_manifest["timings_seconds"] = {k: round(v, 4) for k, v in timings.items()}
        full_manifest["steps"] = [dict(s) for s in steps]  # each step, in order: {name, seconds[, within]}
        full_manifest["command"] = " ".join(sys.argv)
        (tmp / "manifest.json").write_text(_dumps(jsonable(full_manifest)), encoding="utf-8")

    return report_path


def _figures(tmp: Path, cfg: RunConfig, results: Mapping[str, Any], plots: Mapping[str, list[tuple[str, dict[str, Any]]]],
             truths: Mapping[str, float | None], effects: pd.DataFrame, sample: Sample, lang: str) -> dict[str, Path]:
    from .report._plots_auto import diagnostic_plots
    from .report._plotting import plot_effects, plot_sample_flow, save_figure

    figures: dict[str, Path] = {}
    if len(effects):
        ax = plot_effects(effects, truths=truths if any(v is not None for v in truths.values()) else None, language=lang)
        figures["effects"] = save_figure(ax, tmp / "figures" / "effects.png", close=True)
    ax = plot_sample_flow(sample.flow.table, language=lang)
    figures["sample_flow"] = save_figure(ax, tmp / "figures" / "sample_flow.png", close=True)
    for name, kinds in progress(plots.items(), desc="figures", total=len(plots)):
        for kind, options in kinds:
            ax = getattr(results[name], f"plot_{kind}")(language=lang, **options)
            figures[f"{name}_{kind}"] = save_figure(ax, tmp / "figures" / f"{file_stem(name)}_{kind}.png", close=True)
    for name in _first_cells(cfg, results):  # balance and overlap of every matching/weighting analysis
        for kind, ax in diagnostic_plots(results[name], lang):
            if f"{name}_{kind}" not in figures:
                figures[f"{name}_{kind}"] = save_figure(ax, tmp / "figures" / f"{file_stem(name)}_{kind}.png",
                                                        close=True)
    return figures


def _first_cells(cfg: RunConfig, results: Mapping[str, Any]) -> list[str]:
    """Each analysis' result, or the first whole-sample cell of its grid (the cells of one analysis share their
    covariates and sample, so their balance and overlap are the same unless an outcome has missing values)."""
    names = []
    for spec in cfg.analyses:
        cells = [n for n in results if n == spec.name or (n.startswith(spec.name + "[") and "subgroup=" not in n
                                                           and "]." not in n)]
        names += cells[:1]
    return names


def _dumps(obj: Any) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False, allow_nan=False) + "\n"

