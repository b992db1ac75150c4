"""The demo configuration run on a smaller synthetic cohort, in French (with variable labels) and in English.

The report tests (language, labels, numbers, summary, spreadsheets, browser) read these runs; the
configuration is configs/demo.yaml with ``n_participants`` lowered so a run takes seconds.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from iej_impact.runner import RunResult, run

DEMO = Path(__file__).resolve().parents[1] / "configs" / "demo.yaml"

LABELS = {
    "employed_12m": "En emploi 12 mois après l'entrée",
    "training_6m": "En formation 6 mois après l'entrée",
    "employed": "En emploi (mois par mois)",
    "age": "Âge à l'entrée",
    "female": "Femme",
}


def demo_run(directory: Path, language: str, labels: dict[str, str] | None = None, n: int = 1200) -> RunResult:
    """Run the demo configuration (``n`` participants) in ``language`` into ``directory/out``."""
    cfg = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    cfg["data"]["synthetic"]["n_participants"] = n
    cfg["report"]["language"] = language
    cfg["report"].pop("labels", None)
    if labels:
        cfg["report"]["labels"] = labels
    path = directory / "demo.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return run(path, output_dir=directory / "out", force=True)
