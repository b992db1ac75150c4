"""The indicator registry: which indicators exist, how each is computed, and the published benchmarks.

Everything here is read from versioned data files in ``indicators/registry/`` so that definitions can be
reviewed (and corrected against the authentic EUR-Lex text) without touching code:

* ``registry.csv``: one row per indicator, keyed by ``(framework, code)`` because the YEI result codes
  CR01-CR12 collide with the ESF codes CR01-CR09. ``rule`` names the numerator condition and
  ``population`` the denominator population (defined in :mod:`iej_impact.indicators._rules` and
  :mod:`iej_impact.indicators._exit_rules`);
  ``source`` gives the provenance ([S] the 2015 NPdC evaluation report, [V] verified public source,
  [K] general knowledge, to be checked).
* ``relations.csv``: additive relations between indicators (parts that must sum to a total). They drive
  the reconciliation table and the secondary cell suppression.
* ``exit_status_map.csv``: French exit situation -> EU situation and the 2015 report's exit category.
* ``operator_types.csv``: operator type -> "social partner or NGO" (ESF CO20).
* ``published_2015.csv``: the 2015 NPdC evaluation report's figures, with their printed precision and
  scope, for comparisons.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import pandas as pd

from .._validation import suggest
from ..errors import SpecificationError

__all__ = [
    "REGISTRY_VERSION",
    "FAMILIES",
    "FRAMEWORKS",
    "registry",
    "relations",
    "exit_status_map",
    "operator_types",
    "published_figures",
    "select_indicators",
    "key",
]

#: bump when an indicator definition, label or relation changes
REGISTRY_VERSION = "2026.1"
FRAMEWORKS: tuple[str, ...] = ("PROG", "ESF", "YEI", "FR")
#: indicator families, in display order
FAMILIES: tuple[str, ...] = (
    "totals", "output", "entity", "yei_immediate", "yei_longer", "esf_result", "profile", "report_exits", "targets",
)
_DATA = "indicators/registry"


def key(framework: str, code: str) -> str:
    """The registry key ``"FRAMEWORK:CODE"`` (e.g. ``"YEI:CR04"``)."""
    return f"{framework}:{code}"


def _read(name: str) -> pd.DataFrame:
    with resources.files("iej_impact").joinpath(_DATA, name).open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False)


@lru_cache(maxsize=1)
def _registry() -> pd.DataFrame:
    frame = _read("registry.csv")
    frame["weighted"] = frame["weighted"].str.lower().eq("true")
    frame["key"] = frame["framework"] + ":" + frame["code"]
    if frame["key"].duplicated().any():  # pragma: no cover - guarded by the test suite
        raise RuntimeError(f"duplicate indicator keys in registry.csv: {frame.loc[frame['key'].duplicated(), 'key'].tolist()}")
    frame["order"] = range(len(frame))
    return frame


def registry() -> pd.DataFrame:
    """The indicator registry (a copy): framework, code, family, rule, population, unit, weighted,
    label_en, label_fr, source, note, key, order."""
    return _registry().copy()


@dataclass(frozen=True)
class Relation:
    """An additive relation between indicator numerators: ``total = sum(parts)`` (+ a residual)."""

    relation_id: str
    total: str
    parts: tuple[str, ...]
    label_en: str
    label_fr: str
    note: str


@lru_cache(maxsize=1)
def relations() -> tuple[Relation, ...]:
    """The additive relations of ``relations.csv``."""
    frame = _read("relations.csv")
    return tuple(
        Relation(r.relation_id, r.total, tuple(p for p in r.parts.split(";") if p), r.label_en, r.label_fr, r.note)
        for r in frame.itertuples(index=False)
    )


@lru_cache(maxsize=1)
def _exit_status_map() -> pd.DataFrame:
    return _read("exit_status_map.csv").set_index("exit_status_fr")


def exit_status_map() -> pd.DataFrame:
    """French exit situation (index) -> ``exit_status_eu``, ``report_category`` ('' = none), ``note``."""
    return _exit_status_map().copy()


@lru_cache(maxsize=1)
def _operator_types() -> pd.Series:
    frame = _read("operator_types.csv")
    return pd.Series(frame["ngo_or_social_partner"].str.lower().eq("true").to_numpy(), index=frame["operator_type"])


def operator_types() -> pd.Series:
    """Operator type -> True when it counts as a social partner or NGO for ESF CO20."""
    return _operator_types().copy()


def published_figures(name: str = "report_2015") -> pd.DataFrame:
    """Published benchmark figures shipped with the package (``"report_2015"``: the 2015 NPdC report)."""
    files = {"report_2015": "published_2015.csv"}
    if name not in files:
        raise SpecificationError(
            f"unknown published figure set {name!r}; available: {sorted(files)}. "
            "Pass a DataFrame (or a CSV path) with columns framework, code, measure, value, precision."
            + suggest(name, files)
        )
    frame = _read(files[name])
    frame["value"] = frame["value"].astype(float)
    frame["precision"] = frame["precision"].astype(float)
    frame["approximate"] = frame["approximate"].str.lower().eq("true")
    return frame


def select_indicators(selection: str | Iterable[str], func: str) -> tuple[pd.DataFrame, bool]:
    """Registry rows chosen by ``selection`` and whether the choice was explicit.

    ``selection`` is ``"all"`` or a list of framework names (``"ESF"``), family names (``"yei_immediate"``)
    or keys (``"YEI:CR04"``). Returns ``(rows, explicit)``; ``explicit`` is False for ``"all"``, in which
    case indicators whose columns are absent are skipped with a note rather than raising.
    """
    reg = _registry()
    if isinstance(selection, str):
        if selection == "all":
            return reg.copy(), False
        selection = [selection]
    items = list(selection)
    if not items:
        raise SpecificationError(f"the 'indicators' parameter of {func}() is empty; use 'all' or name some indicators.")
    mask = pd.Series(False, index=reg.index)
    allowed: list[str] = list(FRAMEWORKS) + list(FAMILIES) + reg["key"].tolist()
    for item in items:
        if not isinstance(item, str):
            raise SpecificationError(f"the 'indicators' parameter of {func}() must hold strings; got {item!r}.")
        if item in FRAMEWORKS:
            mask |= reg["framework"] == item
        elif item in FAMILIES:
            mask |= reg["family"] == item
        elif item in set(reg["key"]):
            mask |= reg["key"] == item
        else:
            raise SpecificationError(
                f"unknown indicator {item!r} in the 'indicators' parameter of {func}(); give 'all', a framework "
                f"({', '.join(FRAMEWORKS)}), a family ({', '.join(FAMILIES)}) or a key such as 'YEI:CR04' "
                "(framework:code, since YEI and ESF CR codes collide)." + suggest(item, allowed)
            )
    return reg[mask].copy(), True


def labels_for(keys: Sequence[str]) -> pd.DataFrame:
    """label_en / label_fr for registry keys (in the given order)."""
    reg = _registry().set_index("key")
    return reg.loc[list(keys), ["label_en", "label_fr"]]
