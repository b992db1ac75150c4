"""Nothing is guessed from malformed data (data-file and API cases).

Each test carries the label of the case it covers: D02, D09, D13, D14, D18, D19, D21b, D40, D40b,
A03, A13, P05. Data are the synthetic cohort (300 participants, seed 7),
built in memory or written to ``tmp_path``; CLI cases call ``iej_impact.cli.main``.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import iej_impact as iej
from iej_impact import simulate_cohort
from iej_impact.cli import main
from iej_impact.errors import (
    DataError,
    DuplicateIdWarning,
    EstimationError,
    OverlapWarning,
    SpecificationError,
    TieWarning,
)
from iej_impact.observational._design import design_matrix

COVS = ["female", "age", "isced_0_2", "jobless_household"]
PSM = {"name": "psm1", "estimator": "psm", "outcome": "employed_12m", "covariates": COVS, "estimand": "ATT"}


@pytest.fixture(scope="module")
def cohort():
    return simulate_cohort(n_participants=300, seed=7, panel="balanced")


@pytest.fixture()
def base(cohort) -> pd.DataFrame:
    cols = ["person_id", "treated", "female", "age", "isced_0_2", "jobless_household", "employed_12m", "territory_id"]
    return cohort.persons[cols].reset_index(drop=True).copy()


@pytest.fixture()
def panel(cohort) -> pd.DataFrame:
    pan = cohort.panel
    ids = pan.person_id.drop_duplicates().sample(200, random_state=1)
    keep = pan.person_id.isin(ids) & pan.period.between(13, 36)
    cols = ["person_id", "period", "first_treat_period", "treated_post", "employed", "female", "age"]
    return pan.loc[keep, cols].reset_index(drop=True).copy()


def run_cli(tmp_path: Path, data_text: str, *, data: dict | None = None, sample: dict | None = None,
            analyses: list | None = None) -> int:
    (tmp_path / "data.csv").write_text(data_text, encoding="utf-8")
    cfg = {
        "version": 1,
        "project": {"name": "t", "output_dir": "out", "seed": 1},
        "data": {"path": "data.csv", **(data or {})},
        "sample": sample if sample is not None else {"treatment": "treated"},
        "analyses": analyses or [PSM],
        "report": {"formats": []},
    }
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return main(["run", str(path)])


# ------------------------------------------------------------------------------------------
# D18, D19: text in a numeric-use column
# ------------------------------------------------------------------------------------------


def test_D19_abc_in_a_covariate_is_a_data_error_naming_column_value_and_row(base):
    bad = base.astype({"age": object})
    bad.loc[7, "age"] = "abc"
    bad["age"] = bad["age"].astype(str)  # as read from a file: the whole column is text
    for fit in (lambda: iej.psm(bad, outcome="employed_12m", treatment="treated", covariates=COVS),
                lambda: iej.ipw(bad, outcome="employed_12m", treatment="treated", covariates=COVS),
                lambda: design_matrix(bad, COVS)):
        with pytest.raises(DataError) as err:
            fit()
        msg = str(err.value)
        assert "'age'" in msg and "'abc' (1 row)" in msg and base.person_id[7] in msg
        assert err.value.column == "age" and err.value.rows == (base.person_id[7],)


def test_D19_cli_exit_2(tmp_path, base, capsys):
    text = base.to_csv(index=False).splitlines()
    cells = text[8].split(",")
    cells[3] = "abc"  # age of data row 8
    text[8] = ",".join(cells)
    assert run_cli(tmp_path, "\n".join(text) + "\n") == 2
    err = capsys.readouterr().err
    assert "covariate 'age' must be numeric" in err and "'abc' (1 row)" in err
    assert not (tmp_path / "out").exists()
    # validate finds it too (psm and ipw), without estimating
    for analysis in (PSM, {"name": "ipw1", "estimator": "ipw", "outcome": "employed_12m", "covariates": COVS}):
        run_cli(tmp_path, "\n".join(text) + "\n", analyses=[analysis])
        capsys.readouterr()
        assert main(["validate", str(tmp_path / "cfg.yaml")]) == 2
        assert "covariate 'age' must be numeric" in capsys.readouterr().err


def test_D18_decimal_commas_without_parser_suggest_fr_number(tmp_path, base, capsys):
    frame = base.astype({"age": float})
    frame.loc[::2, "age"] += 0.5
    text = frame.to_csv(index=False, sep=";", decimal=",")
    assert run_cli(tmp_path, text, data={"sep": ";"}) == 2
    err = capsys.readouterr().err
    assert "covariate 'age' must be numeric" in err and "'20,5'" in err
    assert "parse: {age: fr_number}" in err
    # with the parser declared the same file runs
    assert run_cli(tmp_path, text, data={"sep": ";", "parse": {"age": "fr_number"}}) == 0


def test_numbers_mixed_into_a_text_category_are_refused_and_category_parser_declares_it(tmp_path, base):
    dept = np.where(np.arange(len(base)) % 3 == 0, "2A", np.where(np.arange(len(base)) % 3 == 1, "59", "62"))
    frame = base.assign(dept=dept)
    frame["dept"] = frame["dept"].astype(str)
    with pytest.raises(DataError, match=r"covariate 'dept'.*'2A'.*parse: \{dept: category\}"):
        design_matrix(frame, ["dept"])
    path = tmp_path / "d.csv"
    frame.to_csv(path, index=False)
    declared = iej.load_data(path, parse={"dept": "category"})
    assert isinstance(declared["dept"].dtype, pd.CategoricalDtype)
    design = design_matrix(declared, ["dept"])
    assert design.names == ("dept[59]", "dept[62]")


def test_plain_text_category_without_numbers_is_still_expanded(base):
    design = design_matrix(base, ["territory_id"])
    assert design.terms[0].kind == "categorical"


# ------------------------------------------------------------------------------------------
# D09: inf in a used column
# ------------------------------------------------------------------------------------------


def test_D09_inf_outcome_is_a_data_error_naming_the_row(base):
    bad = base.astype({"employed_12m": float})
    bad.loc[3, "employed_12m"] = np.inf
    for est in (iej.psm, iej.ipw, iej.regression_adjustment):
        with pytest.raises(DataError, match=rf"'employed_12m' has infinite values.*{base.person_id[3]}"):
            est(bad, outcome="employed_12m", treatment="treated", covariates=COVS)
    with pytest.raises(DataError, match="infinite"):
        iej.difference_in_means(bad, outcome="employed_12m", treatment="treated")


def test_D09_inf_weights_and_cli_exit_2(tmp_path, base, capsys):
    w = base.assign(w=1.0)
    w.loc[2, "w"] = -np.inf
    with pytest.raises(DataError, match=r"'w' has infinite values"):
        iej.difference_in_means(w, outcome="employed_12m", treatment="treated", weights="w")
    bad = base.astype({"employed_12m": float})
    bad.loc[3, "employed_12m"] = np.inf
    assert run_cli(tmp_path, bad.to_csv(index=False)) == 2
    assert "infinite values" in capsys.readouterr().err


def test_inf_panel_outcome_refused_by_att_gt(panel):
    bad = panel.astype({"employed": float})
    bad.loc[5, "employed"] = np.inf
    with pytest.raises(DataError, match="'employed' has infinite values"):
        iej.att_gt(bad, outcome="employed", unit="person_id", time="period", cohort="first_treat_period")


# ------------------------------------------------------------------------------------------
# D14, D02: the loader
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".xlsx"])
def test_D14_duplicated_header_names_file_and_column(tmp_path, base, suffix):
    frame = base.rename(columns={"isced_0_2": "age"})
    path = tmp_path / f"data{suffix}"
    if suffix == ".xlsx":
        pytest.importorskip("openpyxl")
        frame.to_excel(path, index=False)
    else:
        frame.to_csv(path, index=False, sep="\t" if suffix == ".tsv" else ",")
    with pytest.raises(DataError) as err:
        iej.load_data(path)
    msg = str(err.value)
    assert msg.startswith(f"data{suffix}: ") and "'age' in columns 4, 5" in msg
    assert err.value.column == "age"


def test_D14_cli_exit_2(tmp_path, base, capsys):
    assert run_cli(tmp_path, base.rename(columns={"isced_0_2": "age"}).to_csv(index=False)) == 2
    assert "names a column more than once ('age'" in capsys.readouterr().err


def test_D02_header_only_file_says_no_rows(tmp_path, base, capsys):
    header = ",".join(base.columns) + "\n"
    (tmp_path / "h.csv").write_text(header, encoding="utf-8")
    with pytest.raises(DataError, match=r"^h\.csv: 'h\.csv' has a header \(8 columns\) but no data rows"):
        iej.load_data(tmp_path / "h.csv")
    assert run_cli(tmp_path, header) == 2
    err = capsys.readouterr().err
    assert "data.csv" in err and "no data rows" in err and "relax the filters" not in err
    with pytest.raises(DataError, match="the data have no rows"):
        iej.define_sample(base.iloc[:0], treatment="treated")


# ------------------------------------------------------------------------------------------
# D21b: a dropna step empties the sample
# ------------------------------------------------------------------------------------------


def test_D21b_message_names_the_dropna_step(tmp_path, base, capsys):
    empty = base.assign(employed_12m=np.nan)
    with pytest.raises(DataError) as err:
        iej.define_sample(empty, treatment="treated", dropna=["employed_12m"], filters=["age >= 0"])
    msg = str(err.value)
    assert "complete cases: employed_12m (missing employed_12m) excludes 900 of 900 rows" in msg
    assert "filter 1" not in msg  # the filter kept every row: not named
    assert run_cli(tmp_path, empty.to_csv(index=False), sample={"treatment": "treated", "dropna": ["employed_12m"]}) == 2
    assert "complete cases: employed_12m" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------
# D40, D40b: repeated ids
# ------------------------------------------------------------------------------------------


def test_D40_detected_id_repeated_warns_and_exclusions_trace_rows_by_position(base):
    dup = base.copy()
    dup.loc[::2, "person_id"] = "P1"
    with pytest.warns(DuplicateIdWarning, match=r"'person_id' holds the same value on several rows: 450 of 900"):
        s = iej.define_sample(dup, treatment="treated", filters=["age >= 20"])
    excl = s.flow.exclusions
    assert list(excl.columns) == ["row_id", "row", "step", "reason", "arm"]
    assert excl["row"].is_unique
    assert set(excl["row"]) == set(np.flatnonzero(~(dup["age"] >= 20).to_numpy()))
    assert (excl["row_id"].to_numpy() == dup["person_id"].to_numpy()[excl["row"].to_numpy()]).all()


def test_D40_declared_id_column_must_be_unique(base):
    dup = base.assign(person_id="P1")
    with pytest.raises(DataError, match=r"id column must identify rows.*'P1' \(900 rows\)"):
        iej.define_sample(dup, treatment="treated", id_column="person_id")
    # a panel's unit id repeats by design: no warning when unit and time are given
    with warnings.catch_warnings():
        warnings.simplefilter("error", DuplicateIdWarning)
        iej.define_sample(pd.DataFrame({"person_id": ["a", "a", "b", "b"], "t": [1, 2, 1, 2]}), unit="person_id",
                          time="t")


def test_D40_cli_records_the_warning(tmp_path, base, capsys):
    assert run_cli(tmp_path, base.assign(person_id="P1").to_csv(index=False)) == 0
    assert "DuplicateIdWarning" in capsys.readouterr().err
    import json

    res = json.loads((tmp_path / "out" / "results.json").read_text())
    assert res["sample_warnings"][0]["category"] == "DuplicateIdWarning"


# ------------------------------------------------------------------------------------------
# D13: separation in psm
# ------------------------------------------------------------------------------------------


def test_D13_separating_covariate_is_an_estimation_error_like_ipw(base):
    sep = base.assign(sep=base["treated"])
    covs = [*COVS, "sep"]
    with pytest.raises(EstimationError, match="positivity fails"):
        iej.ipw(sep, outcome="employed_12m", treatment="treated", covariates=covs)
    with pytest.raises(EstimationError, match=r"separates the arms: 300 units the ATT needs.*'sep' = 1 are treated"):
        iej.psm(sep, outcome="employed_12m", treatment="treated", covariates=covs)


def test_D13_cli_exit_1(tmp_path, base, capsys):
    sep = base.assign(sep=base["treated"])
    spec = {**PSM, "covariates": [*COVS, "sep"]}
    assert run_cli(tmp_path, sep.to_csv(index=False), analyses=[spec]) == 1
    assert "estimation failed" in capsys.readouterr().err


def test_few_separated_units_dropped_by_caliper_keep_the_warning(base):
    few = base.assign(rare=0)
    treated_rows = np.flatnonzero(base["treated"].to_numpy() == 1)[:3]
    few.loc[treated_rows, "rare"] = 1  # three treated units with a category no control has
    covs = [*COVS, "rare"]
    with pytest.raises(EstimationError, match="3 units the ATT needs"):
        iej.psm(few, outcome="employed_12m", treatment="treated", covariates=covs)
    with pytest.warns(OverlapWarning):
        res = iej.psm(few, outcome="employed_12m", treatment="treated", covariates=covs, caliper=0.2)
    assert np.isfinite(res.estimate)


# ------------------------------------------------------------------------------------------
# A03, A13: ties and options of psm
# ------------------------------------------------------------------------------------------


def _psm_ties(frame: pd.DataFrame, **kw) -> tuple[float, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = iej.psm(frame, outcome="employed_12m", treatment="treated", covariates=COVS, **kw)
    return res.estimate, [str(w.message) for w in caught if issubclass(w.category, TieWarning)]


def test_A03_ties_without_replacement_warn_in_every_row_order(base):
    estimates = []
    for seed in (None, 1, 2, 3):
        frame = base if seed is None else base.sample(frac=1, random_state=seed)
        est, tie = _psm_ties(frame)
        estimates.append(est)
        assert len(tie) == 1 and "matching without replacement" in tie[0] and "replace=True, ties=True" in tie[0]
        assert "294 of 300 matched units (98.0%)" in tie[0]
    assert len(set(np.round(estimates, 10))) > 1  # the dependence the warning reports
    _, tie = _psm_ties(base, replace=True)
    assert len(tie) == 1 and "Pass ties=True" in tie[0]


def test_A03_no_tie_warning_on_a_continuous_score(base):
    rng = np.random.default_rng(0)
    frame = base.assign(x=rng.normal(size=len(base)))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        iej.psm(frame, outcome="employed_12m", treatment="treated", covariates=[*COVS, "x"])
    assert not [w for w in caught if issubclass(w.category, TieWarning)]


def test_A13_negative_random_state_is_a_specification_error(base):
    with pytest.raises(SpecificationError, match=r"'random_state' parameter of psm\(\) must be >= 0; got -1"):
        iej.psm(base, outcome="employed_12m", treatment="treated", covariates=COVS, order="random", random_state=-1)


# ------------------------------------------------------------------------------------------
# P05: a panel outcome missing in every row
# ------------------------------------------------------------------------------------------


def test_P05_all_missing_panel_outcome_names_the_column(panel):
    empty = panel.assign(employed=np.nan)
    roles = {"outcome": "employed", "unit": "person_id", "time": "period"}
    with pytest.raises(DataError, match=r"att_gt\(\): every one of the 4800 rows.*outcome 'employed': 4800") as err:
        iej.att_gt(empty, cohort="first_treat_period", **roles)
    assert err.value.column == "employed"
    with pytest.raises(DataError, match="'employed' has missing values"):
        iej.twfe(empty, treatment="treated_post", **roles)
    with pytest.raises(DataError, match="'employed' has missing values"):
        iej.event_study(empty, cohort="first_treat_period", window=(-3, 3), reference=-1, **roles)


def test_separated_score_se_falls_back_to_the_score_treated_as_known(base):
    """After a caliper drops the separated units, the Abadie-Imbens (2016) adjustment, which expands the
    score's likelihood around its maximum, was NaN (no maximum exists); the SE now treats the score as known."""
    few = base.assign(rare=0)
    few.loc[np.flatnonzero(base["treated"].to_numpy() == 1)[:3], "rare"] = 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OverlapWarning)
        warnings.simplefilter("ignore", TieWarning)
        warnings.simplefilter("error", RuntimeWarning)
        res = iej.psm(few, outcome="employed_12m", treatment="treated", covariates=[*COVS, "rare"], caliper=0.2)
    assert np.isfinite(res.std_error)
    assert any("separation" in n for n in res.notes)


def test_A04_ties_true_gives_the_same_estimate_and_se_in_every_row_order(base):
    """With replace=True, ties=True the matched sets use every tied unit; the Abadie-Imbens (2016)
    adjustment's local neighbourhoods order tied units by their values, so the SE is the same too."""
    fits = []
    for seed in (None, 1, 2, 3):
        frame = base if seed is None else base.sample(frac=1, random_state=seed)
        res = iej.psm(frame, outcome="employed_12m", treatment="treated", covariates=COVS, replace=True, ties=True)
        fits.append((res.estimate, res.std_error))
    est, se = np.array(fits).T
    np.testing.assert_allclose(est, est[0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(se, se[0], rtol=1e-10, atol=0)
    assert np.isfinite(se).all() and se[0] > 0
