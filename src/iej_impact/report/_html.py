"""The self-contained HTML report of a run.

``build_report`` reads result objects (it never refits anything) and writes one HTML file with
inline CSS and figures embedded as base64 PNG: it opens offline, prints cleanly, and can be sent
by e-mail or archived as a single file. The file is deterministic: it holds no date, clock or
timing, and every table is rendered in a fixed order, so the same results give the same bytes
(a report can be diffed and snapshot-tested). Labels are French by default (``language="en"`` for
English); numbers are formatted for the reader (decimal comma in French) in the display only.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Literal

import pandas as pd

from .._atomic_write import write_bytes_atomic
from ..errors import SpecificationError
from ._effects_table import effect_rows
from ._html_blocks import count, esc, unique
from ._html_grids import grids_section
from ._html_sections import (
    FLOW_COLUMNS,
    details_section,
    effects_section,
    figures_section,
    flow_section,
    inference_label,
    preparation_section,
    reproducibility_section,
)
from ._i18n import check_language, format_int, method_label, t
from ._labels import label, variable_labels
from ._methods_appendix import appendix_section
from ._placebo_section import placebo_section
from ._summary_page import summary_section

__all__ = ["build_report"]

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

CSS = """
:root { --ink: #1b1b1b; --muted: #5a5a5a; --rule: #c9c9c9; --band: #f3f5f7; --accent: #0b4f8a; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 90rem; margin: 0 auto; padding: 1.5rem 1.5rem 3rem; }
h1 { font-size: 1.7rem; margin: 0 0 1rem; color: var(--accent); }
h2 { font-size: 1.25rem; margin: 2.2rem 0 0.6rem; padding-bottom: 0.2rem; border-bottom: 2px solid var(--accent); }
h3 { font-size: 1.05rem; margin: 1.4rem 0 0.4rem; }
.result-detail h3 + h3, .result-detail h3.summary-title { font-size: 0.95rem; color: var(--muted); margin-top: 0.2rem; }
nav ol { columns: 2; margin: 0 0 1rem; padding-left: 1.2rem; }
nav a, a { color: var(--accent); }
dl.design { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1.2rem; margin: 0; }
dl.design dt { font-weight: 600; }
dl.design dd { margin: 0; }
.table-wrap { overflow-x: auto; max-width: 100%; }
details.long-table, details.original-notes { margin: 0.4rem 0; }
details > summary { cursor: pointer; color: var(--accent); }
td { overflow-wrap: anywhere; }
td.num { overflow-wrap: normal; }
section.summary p { margin: 0.5rem 0 0.8rem; max-width: 60rem; }
table { border-collapse: collapse; margin: 0.4rem 0 0.8rem; font-size: 0.88rem; font-variant-numeric: tabular-nums; }
th, td { padding: 0.25rem 0.6rem; border-bottom: 1px solid var(--rule); text-align: left; vertical-align: top; }
thead th { border-bottom: 2px solid var(--ink); background: var(--band); }
td.num, th.num { text-align: right; white-space: nowrap; }
tbody tr:nth-child(even) { background: #fafbfc; }
p.caption { margin: 0.2rem 0; color: var(--muted); font-size: 0.85rem; }
figure { margin: 1rem 0 1.6rem; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--rule); }
figcaption { color: var(--muted); font-size: 0.85rem; margin-top: 0.3rem; }
pre { background: var(--band); padding: 0.6rem 0.8rem; overflow-x: auto; font-size: 0.8rem; line-height: 1.35; }
code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace; }
ul.notes li { margin: 0.2rem 0; }
footer { margin-top: 2.5rem; color: var(--muted); font-size: 0.8rem; }
@media print {
  body { font-size: 10.5pt; }
  main { max-width: none; padding: 0; }
  nav { display: none; }
  h2 { break-after: avoid; }
  table, figure, pre, .result-detail { break-inside: avoid; }
  .table-wrap { overflow: visible; }
  details.long-table:not([open]) { display: none; }
  a { color: inherit; text-decoration: none; }
}
""".strip()


# ----------------------------------------------------------------------------------------- inputs


def _check_inputs(
    title: object,
    results: object,
    sample_flow: object,
    truths: object,
    manifest: object,
    figures: object,
    notes: object,
) -> None:
    func = "build_report"
    if not isinstance(title, str):
        raise SpecificationError(f"the 'title' parameter of {func}() must be a string; got {type(title).__name__}.")
    if not isinstance(results, Mapping):
        raise SpecificationError(f"the 'results' parameter of {func}() must be a mapping name -> result object; "
                                 f"got {type(results).__name__}.")
    for name, res in results.items():
        if not (hasattr(res, "summary") or hasattr(res, "to_frame")):
            raise SpecificationError(
                f"results[{name!r}] passed to {func}() is a {type(res).__name__}, which has neither summary() nor "
                "to_frame(); pass the result objects returned by iej_impact's estimators."
            )
    if not isinstance(sample_flow, pd.DataFrame):
        raise SpecificationError(f"the 'sample_flow' parameter of {func}() must be the sample-flow DataFrame "
                                 f"(Sample.flow.table); got {type(sample_flow).__name__}.")
    missing = [c for c in FLOW_COLUMNS if c not in sample_flow.columns]
    if missing:
        raise SpecificationError(
            f"the 'sample_flow' table passed to {func}() lacks column(s) {missing}; it needs {list(FLOW_COLUMNS)} "
            f"(it has {list(map(str, sample_flow.columns))}). Pass Sample.flow.table from define_sample()."
        )
    if truths is not None:
        if not isinstance(truths, Mapping):
            raise SpecificationError(f"the 'truths' parameter of {func}() must be a mapping name -> true effect "
                                     f"(or None); got {type(truths).__name__}.")
        unknown = [k for k in truths if k not in results]
        if unknown:
            raise SpecificationError(
                f"the 'truths' parameter of {func}() names result(s) {unknown} that are not in 'results' "
                f"(results are: {list(results)}). Use the same names as in 'results'."
            )
        for k, v in truths.items():
            if v is not None and (isinstance(v, bool) or not isinstance(v, numbers.Real)):
                raise SpecificationError(f"truths[{k!r}] passed to {func}() must be a number or None; got {v!r}.")
    if manifest is not None and not isinstance(manifest, Mapping):
        raise SpecificationError(f"the 'manifest' parameter of {func}() must be a mapping (or None); "
                                 f"got {type(manifest).__name__}.")
    if figures is not None:
        if not isinstance(figures, Mapping):
            raise SpecificationError(f"the 'figures' parameter of {func}() must be a mapping caption -> PNG path; "
                                     f"got {type(figures).__name__}.")
        for key, fig_path in figures.items():
            p = Path(fig_path)
            if not p.is_file():
                raise SpecificationError(f"figures[{key!r}] passed to {func}(): file not found: {p}.")
            with p.open("rb") as fh:
                if fh.read(8) != _PNG_MAGIC:
                    raise SpecificationError(f"figures[{key!r}] passed to {func}(): {p} is not a PNG image; the "
                                             "report embeds PNG only (save figures with save_figure()).")
    if isinstance(notes, str) or not isinstance(notes, Sequence) or not all(isinstance(n, str) for n in notes):
        raise SpecificationError(f"the 'notes' parameter of {func}() must be a sequence of strings; got {notes!r}.")


# ----------------------------------------------------------------------------------------- page


def _design_section(results: Mapping[str, object], flow: pd.DataFrame, manifest: Mapping[str, object] | None,
                    language: str) -> str:
    rows = effect_rows(results)
    none = t("none", language)
    items: list[tuple[str, str]] = [
        (t("n_analyses", language), format_int(len(results), language)),
        (t("n_effects", language), format_int(len(rows), language)),
        (t("methods", language), ", ".join(unique([method_label(r["method"], language) for r in rows])) or none),
        (t("estimands", language), ", ".join(unique([r["estimand"] for r in rows])) or none),
        (t("outcomes", language), ", ".join(unique([label(r["outcome"]) for r in rows if r["outcome"] is not None]))
         or none),
        (t("inference_methods", language),
         ", ".join(unique([inference_label(r["inference"], r["inference_by"], language) for r in rows])) or none),
    ]
    if len(flow):
        first, last = flow.iloc[0], flow.iloc[-1]
        items.append((t("rows_read", language), format_int(count(first["rows_in"]), language)))
        n_t, n_c = count(last["treated_out"]), count(last["control_out"])
        total = format_int(count(last["rows_out"]), language)
        if n_t is not None and n_c is not None:
            text = t("arm_counts", language, total=total, treated=format_int(n_t, language), control=format_int(n_c, language))
        else:
            text = t("rows_only", language, total=total)
        items.append((t("analysis_sample", language), text))
    if manifest is not None and manifest.get("seed") is not None:
        items.append((t("seed", language), str(manifest["seed"])))
    body = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in items)
    return f"<h2 id='design'>{esc(t('design', language))}</h2>\n<dl class='design'>{body}</dl>"


def _notes_section(notes: Sequence[str], language: str) -> str:
    items = [t("note_rounding", language), *notes]
    body = "".join(f"<li>{esc(n)}</li>" for n in items)
    return f"<h2 id='notes'>{esc(t('notes', language))}</h2>\n<ul class='notes'>{body}</ul>"


def _package_version() -> str:
    try:
        return metadata.version("iej_impact")
    except metadata.PackageNotFoundError:
        return "(version inconnue)"


# ----------------------------------------------------------------------------------------- entry point


def build_report(
    path: str | Path,
    *,
    title: str,
    results: Mapping[str, object],
    sample_flow: pd.DataFrame,
    language: Literal["fr", "en"] = "fr",
    truths: Mapping[str, float | None] | None = None,
    manifest: Mapping[str, object] | None = None,
    figures: Mapping[str, str | Path] | None = None,
    notes: Sequence[str] = (),
    preparation_flow: pd.DataFrame | None = None,
    labels: Mapping[str, str] | None = None,
    grids: Mapping[str, pd.DataFrame] | None = None,
    placebos: Sequence[str] = (),
) -> Path:
    """Write a self-contained, deterministic HTML report of a run and return its path.

    Parameters
    ----------
    path : the HTML file to write (missing parent directories are created). It is written to a
        temporary file in the same directory and moved into place with ``os.replace``, so readers
        never see half a report and a failure leaves no partial file.
    title : the report's title (escaped like all user text).
    results : mapping from analysis name to result object. Every result with a ``summary()`` gets a
        detail section; results that carry an ``estimate`` (in ``to_dict()`` or as an attribute)
        also get a row in the effect table (method, estimand, outcome, estimate, standard error,
        confidence interval, p-value, inference, treated/control counts).
    sample_flow : the row accounting of the run (columns step, rows_in, rows_out, treated_out,
        control_out, reason), shown with the rows excluded at each step, in all and per arm.
    language : "fr" (default) or "en": every heading and label, and the number format (French:
        decimal comma, narrow no-break space between thousands). Data are never reformatted.
    truths : on synthetic data, the true effect of each named result (None when unknown). When
        given, the effect table adds the true value, the bias (estimate − truth) and whether the
        confidence interval covers the truth.
    manifest : seed, input files with their sha256, package versions and resolved configuration,
        shown in the reproducibility section. Top-level keys that change between identical runs
        (timings, dates, host) are left out so the report stays byte-for-byte reproducible.
    figures : mapping from a key to a PNG file, embedded as base64 ``<img>``. The keys "effects" and
        "sample_flow" get translated captions; other keys are shown as they are.
    notes : extra caveats, listed in the last section.
    preparation_flow : the preparation flow of a run that prepared raw sources (``Prepared.flow``:
        step, table, rows in and out, per arm, reason, examples), shown before the sample flow.
    labels : variable name -> label (``report.labels`` of a run): variables (outcomes, covariates)
        are shown under their labels in the tables and the summary.
    grids : the grid tables of a run keyed by file stem (``grid_<name>``: one row per cell with raw and
        adjusted p-values; ``grid_<name>_equality``: tests of equal effects across subgroup levels), shown in
        their own section; subgroup cells are then left out of the summary's paragraphs.
    placebos : names of results that are placebo outcomes (an analysis with ``role: placebo``). They
        are shown in the placebo-test section with the placebo re-estimates (results named
        ``<name>.placebo_entry`` and ``<name>.placebo_group``), each with a one-sentence reading.

    Returns
    -------
    Path of the written report.

    Notes
    -----
    The report computes nothing beyond display arithmetic (bias and coverage on synthetic data, and
    per-arm exclusions as differences of consecutive sample-flow rows); every number comes from the
    result objects, as in the reporting layers of pyfixest (``etable``) and R's ``did`` (``tidy``),
    which consume fitted results rather than refit.
    """
    language = check_language(language, "build_report")  # type: ignore[assignment]
    _check_inputs(title, results, sample_flow, truths, manifest, figures, notes)
    if labels is not None and (not isinstance(labels, Mapping)
                               or not all(isinstance(k, str) and isinstance(v, str) for k, v in labels.items())):
        raise SpecificationError(f"the 'labels' parameter of build_report() must map variable names to label "
                                 f"strings; got {labels!r}.")
    if isinstance(placebos, str) or not isinstance(placebos, Sequence) or not all(isinstance(n, str) for n in placebos):
        raise SpecificationError(f"the 'placebos' parameter of build_report() must be a sequence of result names; got "
                                 f"{placebos!r}.")
    if labels is None:
        return _write_report(path, title, results, sample_flow, str(language), truths, manifest, figures, notes,
                             preparation_flow, grids, placebos)
    with variable_labels(labels):
        return _write_report(path, title, results, sample_flow, str(language), truths, manifest, figures, notes,
                             preparation_flow, grids, placebos)


def _write_report(path: str | Path, title: str, results: Mapping[str, object], sample_flow: pd.DataFrame, lang: str,
                  truths: Mapping[str, float | None] | None, manifest: Mapping[str, object] | None,
                  figures: Mapping[str, str | Path] | None, notes: Sequence[str],
                  preparation_flow: pd.DataFrame | None, grids: Mapping[str, pd.DataFrame] | None = None,
                  placebos: Sequence[str] = ()) -> Path:
    path = Path(path)
    grid_html = grids_section(grids, lang)
    placebo_html = placebo_section(results, lang, placebos)
    toc = [
        ("summary", t("summary", lang)), ("design", t("design", lang)),
        *([("preparation", t("preparation", lang))] if preparation_flow is not None and len(preparation_flow) else []),
        ("sample-flow", t("sample_flow", lang)), ("effects", t("effects", lang)),
        *([("grids", t("grids", lang))] if grid_html else []),
        *([("placebos", t("placebos", lang))] if placebo_html else []),
        ("details", t("details", lang)), ("figures", t("figures", lang)),
        ("methods", t("methods_appendix", lang)), ("reproducibility", t("reproducibility", lang)),
        ("notes", t("notes", lang)),
    ]
    nav = "".join(f"<li><a href='#{anchor}'>{esc(label)}</a></li>" for anchor, label in toc)
    body = [
        f"<h1>{esc(title)}</h1>",
        f"<nav aria-label='{esc(t('contents', lang))}'><ol>{nav}</ol></nav>",
        summary_section(results, lang, truths, skip_subgroups=bool(grid_html)),
        _design_section(results, sample_flow, manifest, lang),
        preparation_section(preparation_flow, lang),
        flow_section(sample_flow, lang),
        effects_section(results, truths, lang),
        grid_html,
        *([placebo_html] if placebo_html else []),
        details_section(results, lang),
        figures_section(figures, lang),
        appendix_section(results, manifest, lang),
        reproducibility_section(manifest, lang),
        _notes_section(notes, lang),
        f"<footer>{esc(t('produced_by', lang, version=_package_version()))}</footer>",
    ]
    document = (
        "<!DOCTYPE html>\n"
        f"<html lang='{lang}'>\n<head>\n<meta charset='utf-8'>\n"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>\n"
        f"<title>{esc(title)}</title>\n<style>\n{CSS}\n</style>\n</head>\n<body>\n<main>\n"
        + "\n".join(body)
        + "\n</main>\n</body>\n</html>\n"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(path, document.encode("utf-8"))
    return path
