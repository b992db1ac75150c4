"""Config parsing: unknown keys, wrong types and bad values name their YAML location."""

from __future__ import annotations

import pytest

from iej_impact.config import bind_analysis, load_config, parse_config
from iej_impact.errors import ConfigError


def base(**over):
    cfg = {
        "version": 1,
        "project": {"name": "t", "output_dir": "out", "seed": 1},
        "data": {"path": "x.csv"},
        "analyses": [{"name": "a", "estimator": "difference_in_means", "outcome": "y", "treatment": "d"}],
    }
    cfg.update(over)
    return cfg


def test_minimal_config_parses_with_defaults():
    cfg = parse_config(base(), base_dir="/tmp/p")
    assert cfg.report == {"title": "t", "language": "fr", "formats": ["html"]}
    assert str(cfg.output_dir) == "/tmp/p/out"
    assert cfg.analyses[0].params == {"outcome": "y", "treatment": "d"}


def test_unknown_analysis_key_names_location_and_suggests():
    cfg = base(analyses=[{"name": "a", "estimator": "difference_in_means", "outcome": "y", "treatment": "d", "estimnd": "ATT"}])
    with pytest.raises(ConfigError, match=r"^analyses\[0\]\.estimnd: unknown parameter 'estimnd'.*Did you mean 'estimand'"):
        parse_config(cfg)


def test_unknown_estimator_suggests():
    cfg = base(analyses=[{"name": "a", "estimator": "difference_in_mean"}])
    with pytest.raises(ConfigError, match=r"analyses\[0\]\.estimator: unknown estimator.*Did you mean 'difference_in_means'"):
        parse_config(cfg)


@pytest.mark.parametrize(
    ("override", "pattern"),
    [
        ({"projet": {}}, r"^projet: unknown key.*Did you mean 'project'"),
        ({"project": {"seed": "abc"}}, r"^project\.seed: must be an integer"),
        ({"version": 2}, r"^version: unsupported"),
        ({"data": {"path": "a.csv", "participants": "b.csv"}}, r"^data: give exactly one data source"),
        ({"data": {"participants": "b.csv"}}, r"^data: 'participants' needs 'comparison'"),
        ({"data": {"synthetic": {"table": "persns"}}}, r"^data\.synthetic\.table: .*Did you mean 'persons'"),
        ({"report": {"language": "de"}}, r"^report\.language"),
        ({"analyses": []}, r"^analyses: 'analyses' must be a non-empty list"),
        ({"sample": {"filter": []}}, r"^sample\.filter: unknown key.*Did you mean 'filters'"),
    ],
)
def test_config_errors(override, pattern):
    with pytest.raises(ConfigError, match=pattern):
        parse_config(base(**override))


def test_duplicate_names_refused():
    a = {"name": "a", "estimator": "difference_in_means", "outcome": "y", "treatment": "d"}
    with pytest.raises(ConfigError, match=r"analyses\[1\]\.name: duplicate"):
        parse_config(base(analyses=[a, dict(a)]))


def test_binding_fills_sample_roles_and_reports_missing():
    cfg = parse_config(base(analyses=[{"name": "a", "estimator": "difference_in_means", "outcome": "y"}]))
    kwargs = bind_analysis(cfg.analyses[0], {"treatment": "treated"}, seed=1)
    assert kwargs == {"outcome": "y", "treatment": "treated"}
    with pytest.raises(ConfigError, match=r"analyses\[0\] \(a\): difference_in_means\(\) needs 'treatment'"):
        bind_analysis(cfg.analyses[0], {}, seed=1)


def test_missing_file_and_bad_yaml(tmp_path):
    with pytest.raises(ConfigError, match="configuration file not found"):
        load_config(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("project: {name: x\nanalyses: [", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML at line"):
        load_config(bad)
