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
        ({"data": {"path": "a.txt", "format": "xlsx"}}, r"^data\.format: unknown file format 'xlsx'; formats: csv, excel"),
        ({"data": {"path": "a.txt", "format": "parket"}}, r"^data\.format: .*Did you mean 'parquet'"),
        ({"data": {"path": "a.txt", "format": 3}}, r"^data\.format: unknown file format 3"),
        ({"data": {"path": "a.txt", "format": "excel", "sep": ";"}}, r"^data\.format: a field separator \(sep\)"),
        ({"data": {"path": "a.csv", "tables": {"ops": {"path": "o.txt", "format": "txt"}}}},
         r"^data\.tables\.ops\.format: unknown file format 'txt'"),
        ({"data": {"path": "a.csv", "tables": {"ops": {"path": "o.txt", "fromat": "csv"}}}},
         r"^data\.tables\.ops\.fromat: unknown key.*Did you mean 'format'"),
    ],
)
def test_config_errors(override, pattern):
    with pytest.raises(ConfigError, match=pattern):
        parse_config(base(**override))


def test_format_is_a_reader_option_of_data_and_of_tables():
    cfg = parse_config(base(data={"path": "x.txt", "format": "csv", "sep": "\\t",
                                  "tables": {"ops": {"path": "o.bin", "format": "parquet"}}}))
    assert cfg.data["format"] == "csv" and cfg.data["sep"] == "\t"
    assert cfg.data["tables"]["ops"]["format"] == "parquet"


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


def test_runner_reads_txt_extracts_with_a_declared_separator_or_format(tmp_path):
    from iej_impact.runner import load_run_data

    (tmp_path / "mdfse.txt").write_text("person_id;y;d\nP1;1;1\nP2;0;0\n", encoding="utf-8")
    pd = pytest.importorskip("pandas")
    pd.DataFrame({"operation_id": ["OP1"], "amount": [2.0]}).to_parquet(tmp_path / "ops.bin")
    cfg = parse_config(base(data={"path": "mdfse.txt", "sep": ";", "tables": {"ops": {"path": "ops.bin", "format": "parquet"}}},
                            analyses=[{"name": "a", "estimator": "difference_in_means", "outcome": "y", "treatment": "d",
                                       "table": "main"},
                                      {"name": "b", "estimator": "programme_indicators", "table": "ops"}]),
                       base_dir=tmp_path)
    run = load_run_data(cfg, every_table=True)
    assert run.frame["person_id"].tolist() == ["P1", "P2"] and run.frame["y"].tolist() == [1, 0]
    assert run.extra["ops"]["amount"].tolist() == [2.0]
    wrong = parse_config(base(data={"path": "mdfse.txt", "format": "excel"}), base_dir=tmp_path)
    with pytest.raises(ConfigError, match=r"^data: mdfse.txt: could not read 'mdfse.txt' as an excel file \(declared"):
        load_run_data(wrong)
    bare = parse_config(base(data={"path": "mdfse.txt"}), base_dir=tmp_path)
    with pytest.raises(ConfigError, match=r"^data: mdfse.txt: unsupported file type '.txt'.*sep: ';'"):
        load_run_data(bare)


def test_codes_from_yaml_match_values_as_read_and_normalize_on_request(tmp_path):
    from iej_impact.runner import load_run_data

    (tmp_path / "mdfse.txt").write_text("person_id;sexe;y;d\nP1;H;1;1\nP2;F;0;0\nP3; h;1;0\n", encoding="utf-8")

    def config(codes: str, parse: str = "{}") -> object:
        path = tmp_path / "cfg.yaml"
        path.write_text(f"""version: 1
project: {{name: t, output_dir: out}}
data: {{path: mdfse.txt, sep: ";", codes: {codes}, parse: {parse}}}
analyses: [{{name: a, estimator: difference_in_means, outcome: y, treatment: d}}]
""", encoding="utf-8")
        return load_config(path)

    with pytest.raises(ConfigError) as info:  # no silent normalisation
        load_run_data(config("""{sexe: {H: M, F: F}}"""))
    msg = str(info.value)
    assert msg.startswith("data: mdfse.txt: column 'sexe'") and "' h' (1 row, e.g. person_id P3)" in msg
    assert "codes: {sexe: {map: {...}, normalize: true}}" in msg
    with pytest.raises(ConfigError, match=r"' h' \(1 row"):
        load_run_data(config("""{sexe: {map: {H: M, F: F}, normalize: space}}"""))
    run = load_run_data(config("""{sexe: {map: {H: M, F: F}, normalize: true}}"""))
    assert run.frame["sexe"].tolist() == ["M", "F", "M"]
    (tmp_path / "mdfse.txt").write_text("person_id;sexe;y;d\nP1;1;1;1\nP2;2;0;0\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"1 \(int\), 2 \(int\) where codes: \{sexe: \.\.\.\} has '1' \(str\)"):
        load_run_data(config("""{sexe: {'1': M, '2': F}}"""))
    assert load_run_data(config("""{sexe: {'1': M, '2': F}}""", "{sexe: text}")).frame["sexe"].tolist() == ["M", "F"]
    assert load_run_data(config("""{sexe: {1: M, 2: F}}""")).frame["sexe"].tolist() == ["M", "F"]


# ----------------------------------------------------------------------------------------- aggregate: options


def _staggered(aggregate, estimator="att_gt"):
    analysis = {"name": "cs", "estimator": estimator, "outcome": "y", "unit": "u", "time": "t", "cohort": "g",
                "aggregate": aggregate}
    if estimator == "aligned_did":
        analysis["reference"] = "r"
    return base(analyses=[analysis])


@pytest.mark.parametrize("estimator", ["att_gt", "aligned_did"])
def test_aggregate_takes_options_per_aggregation(estimator):
    cfg = parse_config(_staggered(["simple", {"dynamic": {"min_e": -4, "max_e": 6}}, {"group": None}], estimator))
    a = cfg.analyses[0]
    assert a.aggregate == ("simple", "dynamic", "group")
    assert a.aggregate_options == {"dynamic": {"min_e": -4, "max_e": 6}}
    assert cfg.resolved()["analyses"][0]["aggregate"] == ["simple", {"dynamic": {"min_e": -4, "max_e": 6}}, "group"]
    assert a.plot_options("event_study") == {"min_e": -4, "max_e": 6} and a.plot_options("group_time") == {}
    assert parse_config(_staggered({"dynamic": {"balance_e": 2}})).analyses[0].aggregate_options == {
        "dynamic": {"balance_e": 2}}
    assert parse_config(_staggered("dynamic")).analyses[0].aggregate == ("dynamic",)


@pytest.mark.parametrize(("aggregate", "pattern"), [
    ([{"dynamic": {"min_x": 1}}], r"^analyses\[0\]\.aggregate\.dynamic\.min_x: unknown option 'min_x'.*Did you mean"),
    ([{"dynamic": {"min_e": "a"}}], r"^analyses\[0\]\.aggregate\.dynamic\.min_e: the 'min_e' parameter .* number"),
    ([{"dynamic": {"min_e": 3, "max_e": 1}}], r"^analyses\[0\]\.aggregate\.dynamic: min_e \(3\) must be <= max_e"),
    ([{"group": {"balance_e": 1}}], r"^analyses\[0\]\.aggregate\.group: balance_e applies to the 'dynamic'"),
    ([{"calendar": {"max_e": 1}}], r"^analyses\[0\]\.aggregate\.calendar: min_e/max_e do not apply"),
    ([{"dynamic": {"pretrend_leads": [1]}}], r"^analyses\[0\]\.aggregate\.dynamic\.pretrend_leads: .* <= -1"),
    ([{"dynamic": 5}], r"^analyses\[0\]\.aggregate: the options of the aggregation 'dynamic' must be a mapping"),
    (["dynamic", {"dynamic": {"min_e": -2}}], r"^analyses\[0\]\.aggregate: the aggregation 'dynamic' is given twice"),
    ([{"dynamc": {"min_e": -2}}], r"^analyses\[0\]\.aggregate: unknown aggregation 'dynamc'.*Did you mean 'dynamic'"),
    ([5], r"^analyses\[0\]\.aggregate: must be a list of aggregations, each a name or a name with its options"),
    ([{"dynamic": {}, "group": {}}], r"^analyses\[0\]\.aggregate: must be a list of aggregations"),
    (5, r"^analyses\[0\]\.aggregate: must be a list of aggregations"),
])
def test_aggregate_options_are_checked_when_the_config_is_read(aggregate, pattern):
    with pytest.raises(ConfigError, match=pattern):
        parse_config(_staggered(aggregate))


def test_aggregate_is_for_group_time_results_only():
    cfg = base(analyses=[{"name": "a", "estimator": "difference_in_means", "outcome": "y", "treatment": "d",
                          "aggregate": [{"dynamic": {"min_e": -1}}]}])
    with pytest.raises(ConfigError, match=r"cannot be aggregated \(only att_gt and aligned_did"):
        parse_config(cfg)
