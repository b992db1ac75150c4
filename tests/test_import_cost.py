"""``import iej_impact`` loads only what estimating needs (matplotlib, PyYAML, statsmodels on use)."""

from __future__ import annotations

import subprocess
import sys

import iej_impact


def _modules_after(code: str) -> set[str]:
    probe = (
        f"{code}\nimport sys\n"
        "print(' '.join(m for m in ('matplotlib', 'yaml', 'statsmodels') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    return set(done.stdout.split())


def test_import_does_not_load_plotting_yaml_or_statsmodels():
    assert _modules_after("import iej_impact") == set()


def test_estimating_does_not_load_them_either():
    code = (
        "import numpy as np, pandas as pd\n"
        "import iej_impact as iej\n"
        "rng = np.random.default_rng(1)\n"
        "x = rng.normal(size=400)\n"
        "d = pd.DataFrame({'x': x, 't': (rng.random(400) < 1 / (1 + np.exp(-x))).astype(int)})\n"
        "d['y'] = d.x + d.t + rng.normal(size=400)\n"
        "iej.ipw(d, outcome='y', treatment='t', covariates=['x'])\n"
        "iej.psm(d, outcome='y', treatment='t', covariates=['x'])\n"
        "iej.doubly_robust(d, outcome='y', treatment='t', covariates=['x'])\n"
    )
    assert _modules_after(code) == set()


def test_indicators_read_the_code_lists_without_plotting_or_statsmodels():
    code = "import iej_impact as iej\nc = iej.simulate_cohort(300, seed=1)\niej.programme_indicators(c.participations)\n"
    assert _modules_after(code) <= {"yaml"}  # the code-list index is YAML


def test_lazy_names_resolve_and_are_listed():
    for name in iej_impact.__all__:
        assert getattr(iej_impact, name) is not None, name
    assert {"run", "validate", "plot_effects", "build_report", "load_config"} <= set(dir(iej_impact))
    assert _modules_after("import iej_impact; iej_impact.plot_effects") == {"matplotlib"}
