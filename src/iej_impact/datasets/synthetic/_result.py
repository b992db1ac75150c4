"""The synthetic cohort as returned by ``simulate_cohort``: its tables, its truth and how to write them.

:class:`SyntheticCohort` holds the canonical tables (operations, participations, comparison
cohort, panel), the analysis-ready ``persons`` table and the truth, looks up true effects,
recomputes p0 and p1 of every panel row from the outcome model (:mod:`._outcome_model`), and writes
one file per table plus ``truth.json``: the same seed gives the same bytes (CSV: UTF-8, ISO dates,
``\\n`` line ends).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from scipy.special import expit

from ..._validation import check_choice, check_estimand
from ...errors import SpecificationError
from ...results import jsonable
from ._outcome_model import OUTCOMES, PANEL_OUTCOMES, _heterogeneity, _logits


@dataclass(frozen=True)
class SyntheticCohort:
    """The synthetic IEJ cohort: canonical tables, an analysis-ready person table and the truth.

    Attributes
    ----------
    persons : one row per person (participants ``P...`` then comparison youths ``C...``), analysis-ready:
        entry dates and periods, covariates, ``emp_months_pre12`` and the observed outcomes
        ``employed_6m/12m/18m``, ``training_6m/12m``.
    participations : canonical participations table (participants only, extract of 31/12/2015; about 2 % of the
        participants have a second participation).
    operations : canonical operations table (the 2015 report's annex 4 lines, PRF lines, apprenticeship lines
        sharing one envelope).
    comparison : canonical comparison cohort table (i-milo style comparison cohort).
    panel : person x month panel table (``None`` when ``panel="none"``).
    truth : true effects: ``outcome, estimand, value, value_realized, n, definition``.
    group_time : true ATT(g, t) of the panel outcomes: ``outcome, group, time, event_time, att, n``.
    potential_outcomes : ``person_id, treated, index_employed, index_training`` and, for every outcome,
        ``p0_<o>, p1_<o>, y0_<o>, y1_<o>``.
    params : every parameter of the data-generating process (JSON-safe), for provenance.
    """

    persons: pd.DataFrame
    participations: pd.DataFrame
    operations: pd.DataFrame
    comparison: pd.DataFrame
    panel: pd.DataFrame | None
    truth: pd.DataFrame
    group_time: pd.DataFrame
    potential_outcomes: pd.DataFrame
    params: Mapping[str, object] = field(repr=False)

    def __repr__(self) -> str:
        n1 = int(self.persons["treated"].sum())
        rows = "none" if self.panel is None else f"{len(self.panel)} rows"
        return (f"SyntheticCohort(participants={n1}, comparison={len(self.persons) - n1}, "
                f"participations={len(self.participations)}, panel={rows}, seed={self.params.get('seed')})")

    def true_effect(self, outcome: str, estimand: str = "ATT") -> float:
        """The true effect (mean of p1 - p0 over the estimand's population) of one outcome.

        Parameters
        ----------
        outcome : one of ``employed_6m, employed_12m, employed_18m, training_6m, training_12m``.
        estimand : ``"ATT"`` (participants), ``"ATC"`` (comparison youths) or ``"ATE"`` (everyone).
        """
        func = "SyntheticCohort.true_effect"
        check_choice("outcome", outcome, OUTCOMES, func)
        est = check_estimand(estimand, func)
        hit = self.truth[(self.truth["outcome"] == outcome) & (self.truth["estimand"] == est)]
        return float(hit["value"].iloc[0])

    def panel_probabilities(self) -> pd.DataFrame:
        """p0 and p1 of ``employed`` and ``in_training`` for every panel row (same row order).

        Recomputed from ``persons``, the person-level indices in ``potential_outcomes`` and the
        outcome model, so ``group_time`` can be checked against the panel.
        """
        if self.panel is None:
            raise SpecificationError(
                "SyntheticCohort.panel_probabilities(): this cohort has no panel (panel='none'); "
                "simulate it with panel='window' or panel='balanced'."
            )
        pid = self.panel["person_id"]
        ids = pd.Index(self.persons["person_id"])
        if isinstance(pid.dtype, pd.CategoricalDtype) and pid.cat.categories.equals(ids):
            idx = pid.cat.codes.to_numpy().astype(np.int64)
        else:
            idx = ids.get_indexer(pid)
        po = self.potential_outcomes
        treated = self.persons["treated"].to_numpy()[idx].astype(float)
        g = self.persons["entry_period"].to_numpy()[idx].astype(np.int64)
        cov = {c: self.persons[c].to_numpy()[idx].astype(float)
               for c in ("isced_0_2", "jobless_household", "female", "age")}
        e = self.panel["event_time"].to_numpy().astype(np.int64)
        out = {"person_id": pid.to_numpy(), "period": self.panel["period"].to_numpy(), "event_time": e}
        for kind in PANEL_OUTCOMES:
            index = po[f"index_{kind.replace('in_', '')}"].to_numpy()[idx]
            h = _heterogeneity(kind, g, cov)
            l0, l1 = _logits(kind, index, treated, h, g, e)
            out[f"p0_{kind}"] = expit(l0)
            out[f"p1_{kind}"] = expit(l1)
        return pd.DataFrame(out)

    def write(self, directory: str | Path, *, format: Literal["csv", "parquet"] = "csv") -> dict[str, Path]:
        """Write one file per table plus ``truth.json``; same seed, same bytes.

        Files: ``persons, participations, operations, comparison, panel`` (when simulated),
        ``truth, group_time, potential_outcomes`` as ``.csv`` (UTF-8, ISO dates, ``\\n`` line ends) or
        ``.parquet``, and ``truth.json`` (true effects and every DGP parameter, plain JSON).
        Returns the path of each file by table name (``truth_json`` for the JSON file).
        """
        check_choice("format", format, ("csv", "parquet"), "SyntheticCohort.write")
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        tables = {
            "persons": self.persons, "participations": self.participations, "operations": self.operations,
            "comparison": self.comparison, "panel": self.panel, "truth": self.truth,
            "group_time": self.group_time, "potential_outcomes": self.potential_outcomes,
        }
        paths: dict[str, Path] = {}
        for name, frame in tables.items():
            if frame is None:
                continue
            path = out / f"{name}.{format}"
            if format == "csv":
                frame.to_csv(path, index=False, lineterminator="\n", date_format="%Y-%m-%d", encoding="utf-8")
            else:
                frame.to_parquet(path, index=False, engine="pyarrow")
            paths[name] = path
        doc = {
            "description": "True effects of the synthetic IEJ cohort (iej_impact.simulate_cohort); "
                           "value = mean of p1 - p0 over the estimand's population.",
            "seed": self.params.get("seed"),
            "truth": jsonable(self.truth),
            "params": jsonable(self.params),
        }
        path = out / "truth.json"
        path.write_text(json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
        paths["truth_json"] = path
        return paths
