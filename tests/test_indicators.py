"""Programme indicators: hand-checked values for every indicator, the 2015 report reproduced (with its
inconsistencies flagged), breakdowns, person-level counting, targets and costs, disclosure control and
bad-input errors."""

from __future__ import annotations

import inspect
import json
import warnings

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from iej_impact import IndicatorTable, programme_indicators
from iej_impact.errors import (
    CostDenominatorError,
    DataError,
    DateOrderError,
    DuplicateParticipationError,
    EligibilityWarning,
    MissingDataWarning,
    ParseError,
    ScaleError,
    SpecificationError,
    UnknownCodeError,
)
from iej_impact.indicators._registry import registry

pytestmark = pytest.mark.filterwarnings("ignore::iej_impact.errors.IejImpactWarning")

T, F, N = True, False, None
REF = "2016-06-30"


# ---------------------------------------------------------------------------------------------- fixtures


def small_participations() -> pd.DataFrame:
    """Twelve participations whose every indicator is counted by hand in HAND below.

    Ages at entry 20 22 26 30 19 18 56 21 23 24 55 17; P12 is person Y1 again (another operation) and leaves
    after the reference date; P10-P11 are still in.
    """
    ages = [20, 22, 26, 30, 19, 18, 56, 21, 23, 24, 55, 17]
    entry = pd.Timestamp("2015-01-01")
    return pd.DataFrame({
        "participation_id": [f"P{i}" for i in range(1, 13)],
        "person_id": [f"Y{i}" for i in range(1, 12)] + ["Y1"],
        "operation_id": ["O1"] * 4 + ["O3"] * 3 + ["O4", "O5", "O2", "O2", "O2"],
        "sex": ["M", "F", "M", "M", "F", "F", "M", "M", "F", "M", "F", "M"],
        "birth_date": [entry - pd.DateOffset(years=a) - pd.Timedelta(days=10) for a in ages],
        "entry_date": [entry] * 12,
        "exit_date": [pd.Timestamp("2015-06-30")] * 9 + [pd.NaT, pd.NaT, pd.Timestamp("2016-09-30")],
        "lm_status_entry": ["UNEMPLOYED", "UNEMPLOYED", "UNEMPLOYED", "UNEMPLOYED", "INACTIVE", "INACTIVE",
                            "UNEMPLOYED", "EMPLOYED", "INACTIVE", "UNEMPLOYED", "INACTIVE", "UNEMPLOYED"],
        "unemp_duration_months": [8, 3, 10, 13, None, None, 24, None, None, None, None, 7],
        "in_education_training_entry": [N, N, N, N, F, T, N, N, F, N, F, N],
        "isced_entry": [0, 1, 2, 3, 4, 5, 2, 3, None, 1, 6, 2],
        "hh_jobless": [T, T, F, T, N, F, F, F, F, F, F, F],
        "hh_dependent_children": [T, F, F, T, F, T, F, F, F, F, F, F],
        "hh_single_adult": [F, F, F, T, F, T, F, F, T, F, F, F],
        "migrant_minority": [F, F, T, F, F, F, T, N, F, F, F, F],
        "disability_rqth": [F, F, F, F, T, F, F, F, F, F, F, F],
        "other_disadvantaged": [F, F, F, F, F, F, F, F, F, T, F, F],
        "homeless": [F, F, F, F, F, F, F, F, F, F, F, T],
        "rural": [F, T, T, F, F, F, F, F, F, F, T, F],
        "social_minima": [F, F, F, T, F, F, F, F, T, F, F, F],
        "exit_reason": ["COMPLETED", "DROPOUT_FOR_JOB_OR_TRAINING", "COMPLETED", "DROPOUT", "COMPLETED", "COMPLETED",
                        "COMPLETED", "OTHER", "COMPLETED", None, None, None],
        "exit_status_fr": ["EMPLOI_DURABLE", "EMPLOI_AUTRE", "FORMATION", "SANS_SOLUTION", "RECHERCHE_EMPLOI",
                           "CREATION_ENTREPRISE", "SANS_SOLUTION", "APPRENTISSAGE", "INCONNU", None, None, None],
        "exit_status_date": [pd.Timestamp("2015-07-10")] * 9 + [pd.NaT] * 3,
        "offer_received_at_exit": [T, T, F, F, T, F, F, T, N, N, N, N],
        "qualification_gained": [F, F, T, F, F, F, T, F, N, N, N, N],
        "status_6m": ["EMPLOYED", "SELF_EMPLOYED", "EDUCATION", "UNEMPLOYED", "APPRENTICESHIP", "UNKNOWN", "EMPLOYED",
                      "EMPLOYED", None, None, None, None],
        "status_6m_date": pd.to_datetime(["2015-12-30", "2016-01-05", "2015-12-20", "2015-12-30", "2016-01-10", None,
                                          "2015-12-31", "2016-01-01", None, None, None, None]),
        "sample_weight_6m": [2.0, 1.0, 1.5, 1.0, 3.0, None, 2.0, 1.0, None, None, None, None],
        "improved_situation_6m": [N, N, N, N, N, N, N, T, N, N, N, N],
    })


def small_operations() -> pd.DataFrame:
    """O3 + O4 share the envelope G1 (amount and target given once, on O3); O2's target is 'nc'."""
    return pd.DataFrame({
        "operation_id": ["O1", "O2", "O3", "O4", "O5"],
        "programme": ["PON_IEJ_DECONCENTRE"] * 2 + ["POR_FEDER_FSE_IEJ"] * 2 + ["PON_IEJ_DECONCENTRE"],
        "operator_type": ["ASSOCIATION", "MISSION_LOCALE", "CFA", "E2C", "GIP"],
        "action_type": ["ACCOMPAGNEMENT", "ACCOMPAGNEMENT", "APPRENTISSAGE", "APPRENTISSAGE", "REPERAGE"],
        "amount_fse_iej": [100000.0, 60000.0, 90000.0, None, 20000.0],
        "funding_group_id": [None, None, "G1", "G1", None],
        "target_participants": [50, None, 30, None, 40],
    })


def run_small(**kw) -> IndicatorTable:
    args = {"min_cell_size": 1, "by_sex": False, "reference_date": REF}
    args.update(kw)
    return programme_indicators(small_participations(), **args)


# key: (numerator, denominator), counted by hand from small_participations (P12 has not left by REF)
HAND: dict[str, tuple[float, float | None]] = {
    "PROG:PARTICIPANTS": (12, None),
    "PROG:PERSONS": (11, None),                 # Y1 twice
    "PROG:LEAVERS": (9, 12),                    # P1-P9
    "ESF:CO01": (7, 12),                        # P1 P2 P3 P4 P7 P10 P12
    "ESF:CO02": (4, 12),                        # P1 (20y, 8m) P4 (30y, 13m) P7 (56y, 24m) P12 (17y, 7m); P3 26y 10m no
    "ESF:CO03": (4, 12),                        # P5 P6 P9 P11
    "ESF:CO04": (3, 12),                        # P5 P9 P11 (P6 in education)
    "ESF:CO05": (1, 12),                        # P8
    "ESF:CO06": (8, 12),                        # under 25
    "ESF:CO07": (2, 12),                        # P7 56, P11 55
    "ESF:CO08": (2, 12),                        # P7 unemployed, P11 inactive not in education
    "ESF:CO09": (5, 12),                        # ISCED 1-2: P2 P3 P7 P10 P12
    "ESF:CO10": (3, 12),                        # ISCED 3-4: P4 P5 P8
    "ESF:CO11": (2, 12),                        # ISCED 5+: P6 P11
    "ESF:CO12": (3, 12),                        # P1 P2 P4 (P5 unknown)
    "ESF:CO13": (2, 12),                        # jobless with children: P1 P4
    "ESF:CO14": (2, 12),                        # single adult with children: P4 P6
    "ESF:CO15": (2, 12),                        # P3 P7 (P8 unknown)
    "ESF:CO16": (1, 12),                        # P5
    "ESF:CO17": (1, 12),                        # P10
    "ESF:CO18": (1, 12),                        # P12
    "ESF:CO19": (3, 12),                        # P2 P3 P11
    "ESF:CR01": (1, 3),                         # inactive leavers P5 P6 P9; P5 searching
    "ESF:CR02": (2, 9),                         # P3 training, P8 apprenticeship (EU: education/training)
    "ESF:CR03": (2, 9),                         # qualification P3 P7
    "ESF:CR04": (3, 9),                         # P1 P2 employed, P6 self-employed
    "ESF:CR05": (6, 7),                         # disadvantaged leavers P1-P7; P4 has nothing
    "ESF:CR06": (6.0, 11.5),                    # weighted: P1 2 + P2 1 + P7 2 + P8 1 of 11.5
    "ESF:CR07": (1.0, 1.0),                     # employed at entry and followed up: P8, improved
    "ESF:CR08": (2.0, 2.0),                     # over 54 followed up: P7 (weight 2), employed
    "ESF:CR09": (5.0, 10.5),                    # disadvantaged followed up: P1 P2 P3 P4 P5 P7
    "YEI:CR01": (3, 5),                         # unemployed leavers P1 P2 P3 P4 P7: completed P1 P3 P7
    "YEI:CR02": (2, 5),                         # offers P1 P2
    "YEI:CR03": (4, 5),                         # P1 P2 employed, P3 training, P7 qualification
    "YEI:CR04": (2, 3),                         # LTU leavers P1 P4 P7: completed P1 P7
    "YEI:CR05": (1, 3),                         # offer P1
    "YEI:CR06": (2, 3),                         # P1 employed, P7 qualification
    "YEI:CR07": (2, 2),                         # inactive-not-in-education leavers P5 P9, both completed
    "YEI:CR08": (1, 2),                         # offer P5 (P9 unknown)
    "YEI:CR09": (0, 2),                         # P5 searching, P9 unknown
    "YEI:CR10": (4.5, 11.5),                    # weighted: P3 1.5 (education) + P5 3 (apprenticeship)
    "YEI:CR11": (5.0, 11.5),                    # employees P1 2, P7 2, P8 1
    "YEI:CR12": (1.0, 11.5),                    # self-employed P2 1
    "PROG:ISCED_0": (1, 12),                    # P1
    "FR:MEN": (7, 12),
    "FR:WOMEN": (5, 12),
    "FR:CITE_0_4": (9, 12),
    "FR:CITE_0_2": (6, 12),                     # ISCED 0-2 includes level 0 (P1)
    "FR:SOCIAL_MINIMA": (2, 12),                # P4 P9
    "FR:EXIT_POSITIVE": (5, 9),                 # P1 P2 P3 P6 P8
    "FR:EXIT_EMPLOI_DURABLE": (2, 9),           # P1, P8 (apprenticeship: work-study, French convention)
    "FR:EXIT_EMPLOI_AUTRE": (2, 9),             # P2, P6 (business creation)
    "FR:EXIT_FORMATION_ETUDES": (1, 9),         # P3
    "FR:EXIT_ABANDON_SANS_SOLUTION": (1, 9),    # P4
    "FR:EXIT_SANS_SOLUTION": (2, 9),            # P5 searching, P7 no solution (both completed)
    "FR:OFFER_RATE": (4, 9),                    # P1 P2 P5 P8
}


def test_every_participant_indicator_of_the_registry_is_hand_checked():
    reg = registry()
    participant = set(reg.loc[~reg["family"].isin(["targets", "entity"]), "key"])
    assert participant == set(HAND)


@pytest.mark.parametrize("key", sorted(HAND))
def test_indicator_on_hand_checked_data(key):
    res = run_small()
    fw, code = key.split(":")
    row = res.get(fw, code)
    num, den = HAND[key]
    assert row["numerator"] == pytest.approx(num)
    if den is None:
        assert pd.isna(row["denominator"]) and row["value"] == pytest.approx(num)
    else:
        assert row["denominator"] == pytest.approx(den)
        assert row["value"] == pytest.approx(num / den)
        assert row["ci_lower"] <= row["value"] <= row["ci_upper"]
    assert not row["suppressed"]


def test_yei_and_esf_result_codes_are_distinct_keys():
    res = run_small()
    assert res.value("YEI", "CR04") == pytest.approx(2 / 3)
    assert res.value("ESF", "CR04") == pytest.approx(3 / 9)


def test_wilson_interval_matches_statsmodels():
    row = run_small().get("ESF", "CO01")
    lo, hi = proportion_confint(7, 12, alpha=0.05, method="wilson")
    assert (row["ci_lower"], row["ci_upper"]) == pytest.approx((lo, hi))
    row90 = run_small(alpha=0.10).get("ESF", "CO01")
    assert row90["ci_upper"] - row90["ci_lower"] < hi - lo


def test_weighted_share_uses_design_based_variance():
    df = small_participations()
    row = run_small().get("YEI", "CR10")
    assert (row["sample_numerator"], row["sample_denominator"]) == (2, 7)
    assert row["weighted"]
    # independent row-level computation of the linearised variance and the effective sample size
    fu = df[df["status_6m"].notna() & (df["status_6m"] != "UNKNOWN")]
    w = fu["sample_weight_6m"].to_numpy()
    y = fu["status_6m"].isin(["EDUCATION", "QUALIFYING_TRAINING", "APPRENTICESHIP", "TRAINEESHIP"]).to_numpy()
    p = (w * y).sum() / w.sum()
    n = len(w)
    var = n / (n - 1) * ((w * (y - p)) ** 2).sum() / w.sum() ** 2
    n_eff = p * (1 - p) / var
    lo, hi = proportion_confint(p * n_eff, n_eff, alpha=0.05, method="wilson")
    assert row["value"] == pytest.approx(p)
    assert (row["ci_lower"], row["ci_upper"]) == pytest.approx((lo, hi))


def test_equal_weights_give_wilson_at_n_minus_one():
    df = small_participations()
    df["sample_weight_6m"] = df["sample_weight_6m"].notna().map({True: 4.0, False: np.nan})
    row = programme_indicators(df, min_cell_size=1, by_sex=False, reference_date=REF).get("YEI", "CR11")
    lo, hi = proportion_confint(3 / 7 * 6, 6, alpha=0.05, method="wilson")  # n_eff = n - 1 = 6
    assert row["value"] == pytest.approx(3 / 7)
    assert (row["ci_lower"], row["ci_upper"]) == pytest.approx((lo, hi))


def test_six_month_indicators_unweighted_without_weights():
    res = run_small(weights=None)
    row = res.get("YEI", "CR10")
    assert (row["numerator"], row["denominator"]) == (2, 7)
    assert not row["weighted"]
    assert any("unweighted" in n for n in res.notes)


def test_isced_from_national_level_with_either_map():
    df = small_participations().drop(columns="isced_entry")
    df["national_level"] = ["VI", "VBIS", "V", "V", "IV", "III", "V", "IV", None, "VBIS", "II", "VI"]
    strict = programme_indicators(df, min_cell_size=1, by_sex=False, reference_date=REF)
    seed = programme_indicators(df, min_cell_size=1, by_sex=False, reference_date=REF, isced_map="seed_2015")
    # ISCED 2011: CAP/BEP (V) are ISCED 3 -> CITE 0-2 = VI, VBIS = 4; the 2015 report puts V in CITE 0-2 -> 7
    assert strict.get("FR", "CITE_0_2")["numerator"] == 4
    assert seed.get("FR", "CITE_0_2")["numerator"] == 7
    assert strict.get("FR", "CITE_0_4")["numerator"] == seed.get("FR", "CITE_0_4")["numerator"] == 9
    assert any("seed_2015" in n for n in seed.notes)


# ----------------------------------------------------------------------------------------- reconciliation


def test_reconciliation_reports_gaps_instead_of_hiding_them():
    res = run_small()
    rec = res.reconciliation.set_index(["relation", "level"])
    assert rec.loc[("exits", "total"), "gap"] == 1  # P9's exit situation is unknown
    assert rec.loc[("exits", "total"), "status"] == "gap"
    assert rec.loc[("isced", "total"), "gap"] == 1  # P9 has no education level
    assert rec.loc[("lm_status", "total"), "status"] == "ok"
    assert "gap +1" in res.get("PROG", "LEAVERS")["note"]
    assert set(res.issues()["what"]) >= {"exits", "isced"}


# ------------------------------------------------------------------------------------------ the 2015 report


def report_2015(seed: int = 2015) -> pd.DataFrame:
    """A participant file with the counts of the 2015 NPdC report (participant profile and exits).

    12,740 participations: 7,185 men, 12,065 at CITE 0-4 of which 7,644 at CITE 0-2, 2,573 in jobless
    households, 344 with a disability, 675 on social minima, 420 homeless. 7,040 leavers: 4,009 positive
    exits (2,200 + 600 employment, 1,209 training), 1,083 drop-outs without a solution, 1,939 without a
    solution at the end and 9 unknown (the report's 7,031 vs 7,040); 4,083 offers (58 %).
    """
    rng = np.random.default_rng(seed)
    n, n_leave = 12_740, 7_040

    def flags(k: int) -> np.ndarray:
        out = np.zeros(n, dtype=bool)
        out[rng.choice(n, size=k, replace=False)] = True
        return out

    isced = np.repeat([0, 2, 3, 5], [300, 7_644 - 300, 12_065 - 7_644, 12_740 - 12_065])
    rng.shuffle(isced)
    sizes = [2_200, 600, 1_209, 1_083, 1_939, 9]
    fr = np.repeat(np.array(["EMPLOI_DURABLE", "EMPLOI_AUTRE", "FORMATION", "SANS_SOLUTION", "SANS_SOLUTION",
                             "INCONNU"], dtype=object), sizes)
    reason = np.repeat(np.array(["COMPLETED", "COMPLETED", "COMPLETED", "DROPOUT", "COMPLETED", "COMPLETED"],
                                dtype=object), sizes)
    reason[:150] = "DROPOUT_FOR_JOB_OR_TRAINING"  # left for a job: a positive exit, not a drop-out without solution
    order = rng.permutation(n_leave)
    offer = np.zeros(n_leave, dtype=bool)
    offer[rng.choice(n_leave, size=4_083, replace=False)] = True
    entry = pd.Timestamp("2014-06-01") + pd.to_timedelta(rng.integers(0, 390, n), unit="D")
    leaver = flags(n_leave)
    exit_ = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    exit_[leaver] = (entry[leaver] + pd.to_timedelta(rng.integers(30, 180, n_leave), unit="D")).to_numpy()

    def at_exit(values: np.ndarray) -> np.ndarray:
        out = np.full(n, None, dtype=object)
        out[leaver] = values
        return out

    return pd.DataFrame({
        "participation_id": [f"P{i:05d}" for i in range(n)],
        "person_id": [f"Y{i:05d}" for i in range(n)],
        "operation_id": rng.choice([f"OP{j:02d}" for j in range(52)], size=n),
        "sex": np.where(flags(7_185), "M", "F"),
        "entry_date": entry, "exit_date": exit_,
        "lm_status_entry": np.where(flags(2_000), "INACTIVE", "UNEMPLOYED"),
        "isced_entry": isced,
        "hh_jobless": flags(2_573), "disability_rqth": flags(344), "social_minima": flags(675), "homeless": flags(420),
        "exit_reason": at_exit(reason[order]), "exit_status_fr": at_exit(fr[order]),
        "offer_received_at_exit": at_exit(offer),
    })


@pytest.fixture(scope="module")
def report_result() -> IndicatorTable:
    return programme_indicators(report_2015(), published="report_2015", scope="NPDC_PON_DECONC",
                                reference_date="2015-12-31")


@pytest.mark.parametrize(("fw", "code", "printed", "digits"), [
    ("FR", "MEN", 56.4, 1), ("FR", "WOMEN", 43.6, 1), ("FR", "CITE_0_4", 94.7, 1), ("FR", "CITE_0_2", 60.0, 1),
    ("ESF", "CO12", 20.2, 1), ("ESF", "CO16", 2.7, 1), ("FR", "SOCIAL_MINIMA", 5.3, 1), ("ESF", "CO18", 3.3, 1),
    ("FR", "EXIT_POSITIVE", 57, 0), ("FR", "OFFER_RATE", 58, 0),
])
def test_report_2015_percentages_are_reproduced(report_result, fw, code, printed, digits):
    assert round(100 * report_result.value(fw, code), digits) == printed


def test_report_2015_counts_and_the_dropout_discrepancy(report_result):
    res = report_result
    assert res.get("PROG", "PARTICIPANTS")["numerator"] == 12_740
    assert res.get("PROG", "LEAVERS")["numerator"] == 7_040
    assert res.get("FR", "EXIT_POSITIVE")["numerator"] == 4_009
    drop = res.get("FR", "EXIT_ABANDON_SANS_SOLUTION")
    assert (drop["numerator"], drop["denominator"]) == (1_083, 7_040)
    assert round(100 * drop["value"], 1) == 15.4  # the report prints 16 %
    cmp_ = res.comparison.set_index(["check", "figure"])
    assert not cmp_.loc[("computed_vs_published", "dropout_share"), "consistent"]
    assert not cmp_.loc[("published_share_vs_counts", "dropout_share"), "consistent"]
    assert cmp_.loc[("computed_vs_published", "men"), "consistent"]
    assert cmp_.loc[("computed_vs_published", "positive_share"), "consistent"]


def test_report_2015_inconsistencies_are_flagged(report_result):
    res = report_result
    # (relation, level) is not unique (one row per sex): a list key gives a one-row frame on pandas 2 and 3
    rec = res.reconciliation.set_index(["relation", "level"]).sort_index()
    assert rec.loc[[("exits", "total")], ["total", "parts_sum", "gap"]].to_numpy().tolist() == [[7_040, 7_031, 9]]
    cmp_ = res.comparison.set_index(["check", "figure"])
    exits = cmp_.loc[("published_parts_vs_total", "exits")]
    assert (exits["published"], exits["computed"], exits["consistent"]) == (7_040, 7_031, False)
    split = cmp_.loc[("published_parts_vs_total", "positive_exits")]
    assert split["computed"] == pytest.approx(0.52) and split["published"] == pytest.approx(0.57)
    assert not split["consistent"]
    assert "AMBIGUOUS" in split["scope"]
    issues = res.issues()
    assert {"reconciliation", "computed_vs_published", "published_share_vs_counts",
            "published_parts_vs_total"} <= set(issues["kind"])
    text = res.summary().as_text()
    assert "7,031" in text and "15.4%" in text


def test_published_shares_on_a_0_100_scale_are_rejected():
    pub = pd.DataFrame({"framework": ["FR"], "code": ["MEN"], "value": [56.4]})
    with pytest.raises(ScaleError, match=r"FR:MEN = 56.4.*0-100"):
        run_small(published=pub)
    text_pub = pd.DataFrame({"framework": ["FR"], "code": ["MEN"], "value": ["56,4"]})
    with pytest.raises(ScaleError, match="0-100"):
        run_small(published=text_pub)
    ok = run_small(published=pd.DataFrame({"framework": ["FR"], "code": ["MEN"], "value": ["58,3 %"],
                                           "precision": [0.001]}))
    assert ok.comparison["consistent"].tolist() == [True]


def test_published_figures_with_unknown_codes_are_rejected():
    with pytest.raises(UnknownCodeError, match="FR:MAN"):
        run_small(published=pd.DataFrame({"framework": ["FR"], "code": ["MAN"], "value": [0.5]}))


# ------------------------------------------------------------------------------------------------ breakdowns


def test_breakdown_by_sex_margins_add_up():
    res = run_small(by_sex=True)
    t = res.table
    part = t[t["code"] == "CO01"].set_index("level")
    total = part.loc["total", "numerator"]
    by_sex = t[(t["code"] == "CO01") & (t["level"] == "sex")]
    assert by_sex["numerator"].sum() == total == 7
    assert res.get("ESF", "CO01", sex="F")["numerator"] == 1  # P2
    assert res.get("ESF", "CO01", sex="M")["numerator"] == 6
    assert res.breakdowns == ("sex",)


def test_breakdown_by_column_period_and_sex_with_margins():
    df = small_participations()
    df.loc[6:, "entry_date"] = pd.Timestamp("2015-04-02")
    res = programme_indicators(df, by=["operation_id"], period="quarter", min_cell_size=1, reference_date=REF)
    assert res.breakdowns == ("operation_id", "entry_quarter", "sex")
    levels = set(res.table["level"].astype(str))
    assert levels >= {"total", "operation_id", "entry_quarter", "sex", "operation_id+entry_quarter+sex"}
    assert set(res.table["entry_quarter"].dropna().astype(str)) == {"2015Q1", "2015Q2"}
    assert res.get("PROG", "PARTICIPANTS", entry_quarter="2015Q2")["numerator"] == 6
    assert res.get("PROG", "PARTICIPANTS", operation_id="O2", entry_quarter="2015Q2", sex="M")["numerator"] == 2
    # additivity: operations partition the participations
    t = res.table
    ops = t[(t["code"] == "PARTICIPANTS") & (t["level"] == "operation_id")]
    assert ops["numerator"].sum() == 12


def test_breakdown_by_month_and_without_margins():
    res = run_small(period="month", margins=False)
    assert set(res.table["level"].astype(str)) == {"total", "entry_month"}
    assert res.table["entry_month"].dropna().astype(str).unique().tolist() == ["2015-01"]


def test_missing_breakdown_values_form_their_own_group():
    df = small_participations()
    df["territory"] = ["A"] * 6 + [None] * 6
    res = programme_indicators(df, by="territory", by_sex=False, min_cell_size=1, reference_date=REF)
    assert res.get("PROG", "PARTICIPANTS", territory="(missing)")["numerator"] == 6


def test_distinct_persons_per_group_match_pandas():
    rng = np.random.default_rng(3)
    n = 400
    df = pd.DataFrame({
        "person_id": rng.integers(0, 150, n).astype(str),
        "operation_id": rng.integers(0, 6, n).astype(str),
        "entry_date": pd.Timestamp("2015-01-01") + pd.to_timedelta(rng.integers(0, 200, n), unit="D"),
        "sex": rng.choice(["F", "M"], n),
    }).drop_duplicates(["person_id", "operation_id"])
    res = programme_indicators(df, by=["operation_id"], period="quarter", min_cell_size=1)
    t = res.table[res.table["code"] == "PERSONS"]
    df["entry_quarter"] = pd.PeriodIndex(df["entry_date"], freq="Q").strftime("%YQ%q")
    for level, cols in (("operation_id", ["operation_id"]), ("entry_quarter+sex", ["entry_quarter", "sex"]),
                        ("operation_id+entry_quarter+sex", ["operation_id", "entry_quarter", "sex"])):
        expected = df.groupby(cols)["person_id"].nunique()
        got = t[t["level"] == level].set_index(cols)["numerator"]
        got.index = got.index.set_levels([lv.astype(str) for lv in got.index.levels]) if isinstance(
            got.index, pd.MultiIndex) else got.index.astype(str)
        assert got.sort_index().tolist() == expected.sort_index().tolist()
    assert t[t["level"] == "total"]["numerator"].item() == df["person_id"].nunique()


# ---------------------------------------------------------------------------------------- person counting


def test_person_counting_requires_a_rule():
    with pytest.raises(SpecificationError, match="person_rule"):
        run_small(count="person")
    with pytest.raises(SpecificationError, match="count='person'"):
        run_small(person_rule="first_entry")


@pytest.mark.parametrize(("rule", "kept_op_of_y1"), [("first_entry", "O1"), ("last_exit", "O2"), ("longest", "O2")])
def test_person_counting_rules(rule, kept_op_of_y1):
    df = small_participations()
    df.loc[11, "entry_date"] = pd.Timestamp("2015-02-01")  # P12 (Y1 again) enters later, is still in at REF
    res = programme_indicators(df, count="person", person_rule=rule, min_cell_size=1, by=["operation_id"],
                               by_sex=False, reference_date=REF)
    assert res.get("PROG", "PARTICIPANTS")["numerator"] == 11
    other = "O2" if kept_op_of_y1 == "O1" else "O1"
    ops = {"O1": 4, "O2": 3}
    assert res.get("PROG", "PARTICIPANTS", operation_id=kept_op_of_y1)["numerator"] == ops[kept_op_of_y1]
    assert res.get("PROG", "PARTICIPANTS", operation_id=other)["numerator"] == ops[other] - 1
    assert "PROG:PERSONS" not in set(res.table["framework"].astype(str) + ":" + res.table["code"].astype(str))


def test_reference_date_excludes_later_entries():
    df = small_participations()
    df.loc[0, "entry_date"] = pd.Timestamp("2016-08-01")
    df.loc[0, "exit_date"] = pd.Timestamp("2016-09-01")
    res = programme_indicators(df, min_cell_size=1, by_sex=False, reference_date=REF,
                               indicators=["PROG:PARTICIPANTS", "PROG:LEAVERS"])
    assert res.get("PROG", "PARTICIPANTS")["numerator"] == 11
    assert res.get("PROG", "LEAVERS")["numerator"] == 8
    assert any("entered after the reference date" in n for n in res.notes)


# ------------------------------------------------------------------------------------ targets and costs


def test_targets_and_costs_with_a_shared_envelope_and_an_nc_target():
    res = run_small(operations=small_operations(), missing_targets="report")
    get = res.get
    # cost units: O1 (100k, 50), O2 (60k, nc), G1 = O3 + O4 (90k, 30), O5 (20k, 40)
    assert get("PROG", "TARGET")["value"] == 120
    assert get("PROG", "ACHIEVED")["value"] == 12
    assert get("PROG", "AMOUNT")["value"] == 270_000
    assert get("PROG", "COST_PER_TARGET")["value"] == pytest.approx(210_000 / 120)  # O2 left out: nc
    assert get("PROG", "COST_PER_PARTICIPANT")["value"] == pytest.approx(270_000 / 12)
    assert get("PROG", "ACHIEVEMENT_RATE")["value"] == pytest.approx(9 / 120)  # O1 4 + G1 4 + O5 1
    assert "O2" in get("PROG", "COST_PER_TARGET")["note"]
    assert get("PROG", "COST_PER_TARGET", action_type="ACCOMPAGNEMENT")["value"] == pytest.approx(2_000)
    assert get("PROG", "COST_PER_TARGET", action_type="APPRENTISSAGE")["value"] == pytest.approx(3_000)
    assert get("PROG", "COST_PER_PARTICIPANT", action_type="ACCOMPAGNEMENT")["value"] == pytest.approx(160_000 / 7)
    assert get("PROG", "COST_PER_TARGET", funding_group_id="G1")["value"] == pytest.approx(3_000)
    # per operation: the shared envelope is not split
    o3 = get("PROG", "COST_PER_TARGET", operation_id="O3")
    assert pd.isna(o3["value"]) and "funding_group_id G1" in o3["note"]
    assert get("PROG", "ACHIEVEMENT_RATE", operation_id="O3")["value"] == pytest.approx(3 / 30)
    # the envelope spans two operator types: reported as '(mixed)', never allocated
    assert get("PROG", "AMOUNT", operator_type="(mixed)")["value"] == 90_000
    assert pd.isna(get("PROG", "COST_PER_TARGET", operator_type="MISSION_LOCALE")["value"])


def test_entity_indicator_co20_from_operator_types():
    res = run_small(operations=small_operations(), missing_targets="report")
    row = res.get("ESF", "CO20")  # association, mission locale, E2C of 5 operations
    assert (row["numerator"], row["denominator"]) == (3, 5)
    assert res.get("ESF", "CO20", action_type="APPRENTISSAGE")["value"] == 0.5


def test_cost_with_a_missing_target_is_an_error_by_default():
    with pytest.raises(CostDenominatorError, match=r"operation O2 \(nc, 60,000 EUR\).*missing_targets='report'"):
        run_small(operations=small_operations())


def test_cost_with_a_zero_target_is_an_error():
    ops = small_operations()
    ops.loc[ops["operation_id"] == "O5", "target_participants"] = 0
    ops.loc[ops["operation_id"] == "O2", "target_participants"] = 10
    with pytest.raises(CostDenominatorError, match=r"O5 \(target 0"):
        run_small(operations=ops)


def test_operations_amounts_in_french_text_and_nc_are_parsed():
    ops = small_operations()
    ops["amount_fse_iej"] = ["100 000 €", "60 000 €", "90 000 €", None, "20 000 €"]
    ops["target_participants"] = ["50", "nc", "30", None, "40"]
    res = run_small(operations=ops, missing_targets="report")
    assert res.value("PROG", "COST_PER_TARGET") == pytest.approx(1_750)


@pytest.mark.parametrize(("change", "error", "match"), [
    ({"amount_fse_iej": [-1.0, 60000.0, 90000.0, None, 20000.0]}, CostDenominatorError, "negative"),
    ({"funding_group_id": [None, None, None, None, None]}, CostDenominatorError, "outside any funding group"),
    ({"operator_type": ["ASSOCIATION", "MISSION LOCALE", "CFA", "E2C", "GIP"]}, UnknownCodeError, "MISSION LOCALE"),
    ({"operation_id": ["O1", "O1", "O3", "O4", "O5"]}, DuplicateParticipationError, "not unique"),
])
def test_bad_operations_tables(change, error, match):
    ops = small_operations().assign(**change)
    with pytest.raises(error, match=match):
        run_small(operations=ops, missing_targets="report")


def test_participations_in_unknown_operations_are_rejected():
    ops = small_operations()[lambda d: d["operation_id"] != "O5"]
    with pytest.raises(UnknownCodeError, match=r"'O5' \(1 participations\)"):
        run_small(operations=ops, missing_targets="report")


def test_operations_from_a_file(tmp_path):
    path = tmp_path / "operations.csv"
    small_operations().to_csv(path, index=False)
    res = run_small(operations=str(path), missing_targets="report")
    assert res.value("PROG", "AMOUNT") == 270_000


def test_explicit_target_indicators_need_operations():
    with pytest.raises(DataError, match="operations table"):
        run_small(indicators=["targets"])


# ---------------------------------------------------------------------------------------- disclosure control


def test_primary_and_secondary_suppression_in_the_indicator_table():
    # 30 participants, 3 women: their cells are withheld, and the men's with them (total - men = women)
    df = pd.DataFrame({"entry_date": ["2015-03-01"] * 30, "sex": ["F"] * 3 + ["M"] * 27,
                       "lm_status_entry": ["UNEMPLOYED"] * 25 + ["INACTIVE"] * 5})
    res = programme_indicators(df, min_cell_size=5)
    women = res.get("PROG", "PARTICIPANTS", sex="F")
    men = res.get("PROG", "PARTICIPANTS", sex="M")
    assert women["suppressed"] and women["suppression"] == "primary" and pd.isna(women["numerator"])
    assert men["suppressed"] and men["suppression"] == "secondary" and pd.isna(men["numerator"])
    total = res.get("PROG", "PARTICIPANTS")
    assert not total["suppressed"] and total["numerator"] == 30
    # FR:MEN (total) is the same count as PARTICIPANTS(sex=M): withheld with it
    assert res.get("FR", "MEN")["suppressed"]
    assert res.get("FR", "WOMEN")["suppression"] == "primary"
    # CO03 = 5 inactive is safe, CO01's complement (5) too; but CO01 for women hides with their denominator
    co01_f = res.get("ESF", "CO01", sex="F")
    assert co01_f["suppressed"] and pd.isna(co01_f["denominator"]) and pd.isna(co01_f["ci_lower"])
    assert pd.isna(co01_f["sample_numerator"])
    assert not res.get("ESF", "CO03")["suppressed"]


def test_complement_rule_withholds_near_total_shares():
    df = pd.DataFrame({"entry_date": ["2015-03-01"] * 40, "sex": ["M"] * 40,
                       "lm_status_entry": ["UNEMPLOYED"] * 38 + ["INACTIVE"] * 2})
    res = programme_indicators(df, min_cell_size=5, by_sex=False)
    co01 = res.get("ESF", "CO01")  # 38 of 40: the 2 others would be revealed by difference
    assert co01["suppressed"] and co01["suppression"] == "primary"
    assert co01["denominator"] == 40


def test_no_margin_relation_has_a_single_withheld_cell():
    rng = np.random.default_rng(11)
    n = 600
    df = pd.DataFrame({
        "entry_date": pd.Timestamp("2015-01-01") + pd.to_timedelta(rng.integers(0, 360, n), unit="D"),
        "sex": rng.choice(["F", "M"], n, p=[0.3, 0.7]),
        "operation_id": rng.choice(["A", "B", "C", "D", "E"], n, p=[0.5, 0.3, 0.1, 0.07, 0.03]),
        "lm_status_entry": rng.choice(["UNEMPLOYED", "INACTIVE", "EMPLOYED"], n, p=[0.8, 0.18, 0.02]),
    })
    res = programme_indicators(df, by=["operation_id"], period="quarter", min_cell_size=11)
    t = res.table
    assert t["suppressed"].any()
    dims = list(res.breakdowns)
    for code in ("PARTICIPANTS", "CO01", "CO03", "CO05"):
        sub = t[t["code"] == code]
        for d in dims:
            others = [x for x in dims if x != d]
            children = sub[sub[d].notna()]
            for _, grp in children.groupby([sub.loc[children.index, o].astype(object).fillna("*") for o in others],
                                           dropna=False):
                keys = {o: grp[o].iloc[0] for o in others}
                parent = sub[sub[d].isna()]
                for o in others:
                    parent = parent[parent[o].isna()] if pd.isna(keys[o]) else parent[parent[o] == keys[o]]
                hidden = int(grp["suppressed"].sum()) + int(parent["suppressed"].sum())
                assert hidden != 1, f"{code}: relation over {d} at {keys} leaks a withheld cell"
    # nothing withheld is shown
    hid = t[t["suppressed"]]
    assert hid["numerator"].isna().all() and hid["value"].isna().all() and hid["ci_lower"].isna().all()


def test_suppressed_cells_are_null_in_the_json():
    df = pd.DataFrame({"entry_date": ["2015-03-01"] * 30, "sex": ["F"] * 3 + ["M"] * 27})
    d = programme_indicators(df, min_cell_size=5).to_dict()
    women = [r for r in d["indicators"] if r["code"] == "PARTICIPANTS" and r["group"] == {"sex": "F"}][0]
    assert women["suppressed"] is True and women["numerator"] is None and women["value"] is None


def test_targets_table_is_protected_too():
    res = run_small(operations=small_operations(), missing_targets="report", min_cell_size=3)
    o5 = res.get("PROG", "ACHIEVED", operation_id="O5")  # one participant
    assert o5["suppressed"] and o5["suppression"] == "primary"
    assert res.get("PROG", "COST_PER_PARTICIPANT", operation_id="O5")["suppressed"]
    assert not res.get("PROG", "TARGET", operation_id="O5")["suppressed"]  # targets are not person counts
    ach = res.table[(res.table["code"] == "ACHIEVED") & (res.table["level"] == "operation_id")]
    assert ach["suppressed"].sum() >= 2  # O5 (1) and O4 (1): never a lone withheld operation


# ------------------------------------------------------------------------------------------ bad input


@pytest.mark.parametrize(("column", "values", "match"), [
    ("sex", ["X"] + ["M"] * 11, r"column 'sex' has values not in the 'sex' code list.*'X' \(1 row\)"),
    ("lm_status_entry", ["UNEMPLOYD"] * 2 + ["UNEMPLOYED"] * 10, r"'UNEMPLOYD' \(2 rows\)"),
    ("isced_entry", [9] + [1] * 11, "ISCED 2011 level 0-8"),
    ("exit_status_fr", ["EMPLOI"] + [None] * 11, "exit_status_fr"),
    ("status_6m", ["WORKING"] + [None] * 11, "status_6m"),
])
def test_unknown_codes_are_listed_with_counts_and_rows(column, values, match):
    df = small_participations()
    df[column] = values
    with pytest.raises(UnknownCodeError, match=match) as err:
        programme_indicators(df, reference_date=REF)
    assert err.value.column == column
    assert err.value.rows and err.value.rows[0] == "P1"


def test_unknown_national_level_is_rejected():
    df = small_participations().drop(columns="isced_entry")
    df["national_level"] = ["5"] + ["IV"] * 11
    with pytest.raises(UnknownCodeError, match="national_level.*'5'"):
        programme_indicators(df, reference_date=REF)


def test_exit_before_entry_is_rejected():
    df = small_participations()
    df.loc[3, "exit_date"] = pd.Timestamp("2014-12-01")
    with pytest.raises(DateOrderError, match=r"exit before entry.*P4") as err:
        programme_indicators(df, reference_date=REF)
    assert err.value.rows == ("P4",)


def test_six_month_status_without_a_date_is_rejected():
    df = small_participations()
    df.loc[1, "status_6m_date"] = pd.NaT
    with pytest.raises(DataError, match="status_6m is recorded without a status_6m_date.*P2"):
        programme_indicators(df, reference_date=REF)
    with pytest.raises(DataError, match="no status_6m_date column"):
        programme_indicators(small_participations().drop(columns="status_6m_date"), reference_date=REF)


def test_six_month_status_outside_the_window_or_before_exit_is_rejected():
    df = small_participations()
    df.loc[0, "status_6m_date"] = pd.Timestamp("2016-04-01")
    with pytest.raises(DateOrderError, match="exit_date \\+ 6 months"):
        programme_indicators(df, reference_date=REF)
    assert programme_indicators(df, reference_date=REF, six_month_window_days=120, min_cell_size=1).value(
        "YEI", "CR11") > 0
    df.loc[0, "status_6m_date"] = pd.Timestamp("2015-05-01")
    with pytest.raises(DateOrderError, match="before exit_date"):
        programme_indicators(df, reference_date=REF)


def test_six_month_status_of_a_participant_still_in_is_rejected():
    df = small_participations()
    df.loc[9, ["status_6m", "status_6m_date"]] = ["EMPLOYED", pd.Timestamp("2016-01-01")]
    with pytest.raises(DateOrderError, match="no exit date"):
        programme_indicators(df, reference_date=REF)


def test_survey_weights_must_cover_every_followed_up_leaver():
    df = small_participations()
    df.loc[2, "sample_weight_6m"] = np.nan
    with pytest.raises(DataError, match="sample_weight_6m is missing.*P3"):
        programme_indicators(df, reference_date=REF)
    df.loc[2, "sample_weight_6m"] = 0.0
    with pytest.raises(DataError, match="must be a number > 0"):
        programme_indicators(df, reference_date=REF)


def test_exit_situation_observed_too_late():
    df = small_participations()
    df.loc[0, "exit_status_date"] = pd.Timestamp("2015-08-15")  # 46 days after exit
    with pytest.raises(DateOrderError, match="more than 28 days"):
        programme_indicators(df, reference_date=REF)
    res = programme_indicators(df, reference_date=REF, late_exit_status="unknown", min_cell_size=1, by_sex=False)
    assert res.get("FR", "EXIT_POSITIVE")["numerator"] == 4  # P1's job no longer counts upon leaving
    assert res.get("ESF", "CR04")["numerator"] == 2


def test_duplicates_are_rejected():
    df = small_participations()
    df.loc[11, "operation_id"] = "O1"  # Y1 twice in O1: a re-entry to merge
    with pytest.raises(DuplicateParticipationError, match="merge re-entries"):
        programme_indicators(df, reference_date=REF)
    df = small_participations()
    df.loc[1, "participation_id"] = "P1"
    with pytest.raises(DuplicateParticipationError, match="participation_id is not unique"):
        programme_indicators(df, reference_date=REF)


def test_other_data_errors():
    with pytest.raises(DataError, match="column 'sex' is empty"):
        programme_indicators(small_participations().assign(sex=[None] + ["M"] * 11), reference_date=REF)
    with pytest.raises(DataError, match="'sex' not found"):
        programme_indicators(small_participations().drop(columns="sex"))
    with pytest.raises(ParseError, match="not ISO dates.*31/12/2015"):
        programme_indicators(small_participations().assign(entry_date="31/12/2015"))
    with pytest.raises(DataError, match="must be boolean.*'peut-être'"):
        programme_indicators(small_participations().assign(homeless=["peut-être"] + [False] * 11), reference_date=REF)
    with pytest.raises(DataError, match="breakdown column 'region'"):
        programme_indicators(small_participations(), by="region")


def test_bad_arguments():
    with pytest.raises(SpecificationError, match="unknown indicator 'YEI:CR13'"):
        run_small(indicators=["YEI:CR13"])
    with pytest.raises(SpecificationError, match="'period'"):
        run_small(period="week")
    with pytest.raises(SpecificationError, match="min_cell_size"):
        run_small(min_cell_size=0)
    with pytest.raises(SpecificationError, match="reference_date"):
        run_small(reference_date="not a date")
    with pytest.raises(SpecificationError, match="yei_age"):
        run_small(yei_age=(25, 16))
    with pytest.raises(SpecificationError, match="name of an output column"):
        programme_indicators(small_participations().assign(value=1), by="value", reference_date=REF)


def test_explicitly_requested_indicators_need_their_columns():
    df = small_participations().drop(columns="status_6m")
    with pytest.raises(DataError, match="YEI:CR10: needs columns status_6m"):
        programme_indicators(df, indicators=["yei_longer"], reference_date=REF)
    res = programme_indicators(df, reference_date=REF, min_cell_size=1)
    assert "YEI:CR10" in set(res.skipped["indicator"])


def test_eligibility_and_missing_data_warnings():
    with pytest.warns(EligibilityWarning, match="employed at entry"):
        programme_indicators(small_participations(), reference_date=REF)
    with pytest.warns(MissingDataWarning, match="no unemployment duration"):
        programme_indicators(small_participations(), reference_date=REF)


# ------------------------------------------------------------------------------------------- outputs


def test_to_dict_is_json_safe_and_follows_the_contract():
    res = run_small(by_sex=True, min_cell_size=3, operations=small_operations(), missing_targets="report")
    d = res.to_dict()
    text = json.dumps(d, allow_nan=False)
    assert json.loads(text)["indicators"]
    row = [r for r in d["indicators"] if r["framework"] == "ESF" and r["code"] == "CO01" and r["group"] == {}][0]
    assert set(row) >= {"framework", "code", "label", "group", "numerator", "denominator", "value", "ci_lower",
                        "ci_upper", "suppressed"}
    assert row["label"]["en"].startswith("Unemployed") and row["label"]["fr"].startswith("Chômeurs")
    assert isinstance(row["numerator"], int) and isinstance(row["denominator"], int)
    assert {"reconciliation", "comparison", "issues", "coverage", "skipped", "notes", "spec"} <= set(d)
    grouped = [r for r in d["indicators"] if r["group"] == {"sex": "F"}]
    assert grouped


def test_to_frame_and_summary():
    res = run_small(by_sex=True)
    frame = res.to_frame()
    assert "group" in frame.columns
    assert frame.loc[(frame["code"] == "CO01") & (frame["level"] == "sex"), "group"].tolist() == ["sex=F", "sex=M"]
    text = res.summary().as_text()
    assert "ESF:CO01" in text and "Reconciliation" in text
    assert "Indicateurs" in res.summary(language="fr").as_text()
    assert res.summary().as_text() == run_small(by_sex=True).summary().as_text()  # deterministic
    assert "IndicatorTable(" in repr(res)


def test_input_is_not_modified_and_results_are_deterministic():
    df = small_participations()
    before = df.copy()
    a = programme_indicators(df, reference_date=REF, by=["operation_id"], min_cell_size=2)
    b = programme_indicators(df, reference_date=REF, by=["operation_id"], min_cell_size=2)
    pd.testing.assert_frame_equal(df, before)
    pd.testing.assert_frame_equal(a.table, b.table)


def test_config_style_call_binds_keyword_arguments():
    # the YAML runner binds `estimator: programme_indicators` keys with inspect.signature(...).bind
    params = {"by": ["operation_id"], "min_cell_size": 5, "period": "quarter", "reference_date": REF,
              "published": "report_2015", "scope": "TEST"}
    bound = inspect.signature(programme_indicators).bind(small_participations(), **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = programme_indicators(*bound.args, **bound.kwargs)
    assert res.spec["min_cell_size"] == 5 and res.table["scope"].astype(str).eq("TEST").all()
    assert len(res.comparison)


def test_own_wilson_equals_statsmodels_over_counts_sizes_and_levels():
    from iej_impact.indicators._engine import wilson

    n = np.repeat([1, 2, 5, 17, 100, 5000], 7).astype(float)
    c = np.round(n * np.tile([0, 0.01, 0.2, 0.5, 0.77, 0.99, 1.0], 6))
    for alpha in (0.01, 0.05, 0.1, 0.32):
        lo, hi = wilson(c, n, alpha)
        ref_lo, ref_hi = proportion_confint(c, n, alpha=alpha, method="wilson")
        np.testing.assert_allclose(lo, np.clip(ref_lo, 0, 1), rtol=0, atol=1e-13)
        np.testing.assert_allclose(hi, np.clip(ref_hi, 0, 1), rtol=0, atol=1e-13)
