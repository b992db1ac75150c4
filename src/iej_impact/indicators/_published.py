"""Published figures: read them, check their scale, and compare them with each other and with the data.

Three checks, each row of the comparison table saying which one:

* ``computed_vs_published``: the figure recomputed from the microdata vs the printed figure, within
  half the printed precision (56.4 % printed to 0.1 % is consistent with any share in [0.5635, 0.5645]);
* ``published_share_vs_counts``: a printed share vs its printed numerator and denominator (the 2015
  report prints 1 083 drop-outs out of about 7 040 leavers "(16 %)", but 1 083 / 7 040 = 15.4 %);
* ``published_parts_vs_total``: printed parts vs their printed total, for the additive relations of the
  registry (1 083 + 4 009 + 1 939 = 7 031, not 7 040; 31 % + 7 % + 14 % = 52 %, not 57 %), within the
  sum of the members' half-precisions.

The printed figures keep their ``scope`` (e.g. ``AMBIGUOUS_NPDC_OR_NATIONAL_PON`` for the 31/7/14 %
split that the report attributes to the national programme), shown next to every comparison.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .._validation import suggest
from ..data._parsing import parse_number, parse_share
from ..errors import DataError, ScaleError, UnknownCodeError
from ._registry import published_figures, registry, relations

__all__ = ["load_published", "compare_published", "COMPARISON_COLUMNS"]

COMPARISON_COLUMNS = [
    "check", "figure", "framework", "code", "measure", "published", "computed", "difference", "tolerance",
    "consistent", "scope", "source", "note",
]
_MEASURES = ("value", "numerator", "denominator")
#: count indicator of a population: its numerator is the population's size
_POPULATION_COUNT = {"all": "PROG:PARTICIPANTS", "leavers": "PROG:LEAVERS"}


def load_published(published: str | Path | pd.DataFrame, func: str) -> pd.DataFrame:
    """Read and check published figures (a bundled set name, a CSV path or a DataFrame)."""
    if isinstance(published, pd.DataFrame):
        frame = published.copy()
        where = "published figures"
    elif isinstance(published, (str, Path)) and str(published).lower().endswith((".csv", ".txt")):
        path = Path(published)
        if not path.exists():
            raise DataError(f"{func}(): published figures file not found: {path}.")
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        where = path.name
    else:
        frame = published_figures(str(published))
        where = f"published figures '{published}'"
    missing = [c for c in ("framework", "code", "value") if c not in frame.columns]
    if missing:
        raise DataError(f"{func}(): {where} need columns framework, code, value (and measure, precision, scope); "
                        f"missing {missing}.", column=missing[0])
    frame = frame.reset_index(drop=True)
    if "measure" not in frame.columns:
        frame["measure"] = "value"
    frame["measure"] = frame["measure"].replace("", "value")
    bad = ~frame["measure"].isin(_MEASURES)
    if bad.any():
        raise DataError(f"{func}(): {where}: column 'measure' must be one of {list(_MEASURES)}; got "
                        f"{sorted(set(frame.loc[bad, 'measure'].astype(str)))}.", column="measure")
    for col, default in (("scope", ""), ("source_locator", ""), ("note", ""), ("figure_id", ""), ("approximate", False)):
        if col not in frame.columns:
            frame[col] = default
    frame["approximate"] = frame["approximate"].astype(str).str.lower().isin(("true", "1"))
    frame["figure_id"] = np.where(frame["figure_id"].astype(str) == "", frame.index.astype(str), frame["figure_id"])
    reg = registry().set_index("key")
    keys = frame["framework"].astype(str) + ":" + frame["code"].astype(str)
    unknown = ~keys.isin(reg.index)
    if unknown.any():
        first = keys[unknown].iloc[0]
        raise UnknownCodeError(f"{func}(): {where}: unknown indicator(s) {sorted(set(keys[unknown]))}; use registry "
                               "keys framework:code (e.g. FR:MEN, ESF:CO12, PROG:LEAVERS)." + suggest(first, reg.index),
                               column="code")
    frame["key"] = keys
    units = reg.loc[keys, "unit"].to_numpy()
    share_rows = (frame["measure"] == "value").to_numpy() & (units == "share")
    raw = frame["value"]
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        value = raw.to_numpy(dtype=float)
    else:  # text, possibly French ("56,4 %", "1 083"): parsed deliberately
        value = np.empty(len(frame))
        text = raw.astype(str)
        if share_rows.any():
            value[share_rows] = parse_share(text[share_rows], style="fr", column="value",
                                            source=where).to_numpy(dtype=float)
        if (~share_rows).any():
            value[~share_rows] = parse_number(text[~share_rows], style="fr", column="value",
                                              source=where).values.to_numpy(dtype=float)
    frame["value"] = value
    over = share_rows & (value > 1)
    if over.any():
        shown = ", ".join(f"{k} = {v:g}" for k, v in zip(keys[over], value[over], strict=True))
        raise ScaleError(f"{func}(): {where}: shares must be fractions between 0 and 1, but {shown} "
                         f"look{'s' if over.sum() == 1 else ''} like percentages (0-100); divide by 100 "
                         "(56.4 % is 0.564) or write them with a '%' sign.", column="value",
                         rows=frame.loc[over, "figure_id"].tolist())
    if (value < 0).any():
        raise DataError(f"{func}(): {where}: negative published values for "
                        f"{sorted(set(keys[value < 0]))}.", column="value")
    if "precision" in frame.columns:
        frame["precision"] = pd.to_numeric(frame["precision"], errors="coerce")
    else:
        frame["precision"] = np.nan
    default_precision = np.where(share_rows, 0.001, 1.0)
    frame["precision"] = frame["precision"].fillna(pd.Series(default_precision, index=frame.index))
    return frame


def compare_published(published: pd.DataFrame, computed: pd.DataFrame) -> pd.DataFrame:
    """The three checks of the module docstring. ``computed``: total-level rows indexed by key."""
    reg = registry().set_index("key")
    rows: list[dict[str, object]] = []
    for r in published.itertuples(index=False):
        comp = np.nan
        note = r.note
        if r.key in computed.index:
            row = computed.loc[r.key]
            comp = row[r.measure]
            if bool(row["suppressed"]) and r.measure != "denominator":
                note = (note + " " if note else "") + "Computed figure withheld (disclosure control)."
        tol = r.precision / 2
        rows.append(_row("computed_vs_published", r.figure_id, r.framework, r.code, r.measure, r.value, comp, tol,
                         r.scope, r.source_locator, note))
    pub = published.drop_duplicates(["key", "measure"], keep="first").set_index(["key", "measure"])
    # printed share vs printed counts
    for (k, measure), r in pub.iterrows():
        if measure != "value":
            continue
        pop = reg.loc[k, "population"]
        den_key = _POPULATION_COUNT.get(pop)
        if (k, "numerator") not in pub.index or den_key is None or (den_key, "numerator") not in pub.index:
            continue
        num, den = pub.loc[(k, "numerator"), "value"], pub.loc[(den_key, "numerator"), "value"]
        share = num / den if den else np.nan
        rows.append(_row("published_share_vs_counts", r["figure_id"], k.split(":")[0], k.split(":")[1], "value",
                         r["value"], share, r["precision"] / 2, r["scope"], r["source_locator"],
                         f"{num:,.0f} / {den:,.0f} = {share:.4f} ({den_key} numerator as denominator)."))
    # printed parts vs printed total
    for rel in relations():
        for measure in ("numerator", "value"):
            parts = [(p, measure) for p in rel.parts]
            if not all(p in pub.index for p in parts):
                continue
            part_pop = {reg.loc[p, "population"] for p in rel.parts}
            if measure == "value":
                if len(part_pop) != 1:
                    continue
                (pop,) = part_pop
                if _POPULATION_COUNT.get(pop) == rel.total:
                    total, total_prec, total_scope = 1.0, 0.0, ""
                elif (rel.total, "value") in pub.index and reg.loc[rel.total, "population"] == pop:
                    t = pub.loc[(rel.total, "value")]
                    total, total_prec, total_scope = t["value"], t["precision"], t["scope"]
                else:
                    continue
            else:
                if (rel.total, "numerator") not in pub.index:
                    continue
                t = pub.loc[(rel.total, "numerator")]
                total, total_prec, total_scope = t["value"], t["precision"], t["scope"]
            part_values = [pub.loc[p, "value"] for p in parts]
            tol = (sum(pub.loc[p, "precision"] for p in parts) + total_prec) / 2
            scopes = sorted({str(pub.loc[p, "scope"]) for p in parts} | ({str(total_scope)} if total_scope else set()))
            fw, code = rel.total.split(":")
            shown = " + ".join(f"{v:g}" for v in part_values)
            rows.append(_row("published_parts_vs_total", rel.relation_id, fw, code, measure, total, sum(part_values),
                             tol, "; ".join(s for s in scopes if s), "relations.csv",
                             f"{' + '.join(rel.parts)}: {shown} = {sum(part_values):g} vs total {total:g}. {rel.note}"))
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)


def _row(check: str, figure: object, fw: str, code: str, measure: str, published: float, computed: float,
         tol: float, scope: object, source: object, note: object) -> dict[str, object]:
    diff = computed - published if np.isfinite(computed) else np.nan
    consistent = bool(abs(diff) <= tol + 1e-9) if np.isfinite(diff) else None
    return {"check": check, "figure": figure, "framework": fw, "code": code, "measure": measure,
            "published": float(published), "computed": float(computed), "difference": diff, "tolerance": float(tol),
            "consistent": consistent, "scope": scope, "source": source, "note": note}
