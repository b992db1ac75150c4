"""Deliberate parsing of French numbers, shares, dates and flags, as written in French administrative extracts."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from iej_impact.data._parser_specs import ParserSpec, parse_column, parser_spec
from iej_impact.data._parsing import parse_bool, parse_dates, parse_number, parse_share, parse_text
from iej_impact.data._periods import parse_periods
from iej_impact.errors import ParseError, ScaleError, SpecificationError

NBSP, NNBSP = "\u00a0", "\u202f"
IDS = pd.Series(["P1", "P2", "P3", "P4"], name="participation_id")


# --------------------------------------------------------------------------------------------
# numbers
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value", "estimate", "nc"),
    [
        ("1 298 429 €", 1298429.0, False, False),
        (f"1{NBSP}298{NBSP}429{NBSP}€", 1298429.0, False, False),
        (f"1{NNBSP}298{NNBSP}429", 1298429.0, False, False),
        ("1 298 429,50 €", 1298429.5, False, False),
        ("7 520 000€", 7520000.0, False, False),
        ("56,4 %", 56.4, False, False),
        ("~7 900 000", 7900000.0, True, False),
        ("~7 900 000 €", 7900000.0, True, False),
        ("~ 19 000", 19000.0, True, False),
        ("≈1 000", 1000.0, True, False),
        ("nc", np.nan, False, True),
        ("n.c.", np.nan, False, True),
        ("NC", np.nan, False, True),
        ("", np.nan, False, False),
        ("   ", np.nan, False, False),
        ("15,4 M€", 15400000.0, False, False),
        ("25,03 M€", 25030000.0, False, False),
        ("-3,5", -3.5, False, False),
        ("\u22123,5", -3.5, False, False),
        ("+2", 2.0, False, False),
        ("0,1", 0.1, False, False),
        ("11000", 11000.0, False, False),
        (" 132 € ", 132.0, False, False),
    ],
)
def test_parse_number_french(text, value, estimate, nc):
    out = parse_number(pd.Series([text]))
    got = out.values.iloc[0]
    assert (np.isnan(value) and np.isnan(got)) or got == value
    assert bool(out.is_estimate.iloc[0]) is estimate
    assert bool(out.is_nc.iloc[0]) is nc


@pytest.mark.parametrize(
    ("text", "value"),
    [("1,298,429.5", 1298429.5), ("1 298 429", 1298429.0), ("56.4%", 56.4), ("0.25", 0.25), ("~1,000", 1000.0)],
)
def test_parse_number_english(text, value):
    assert parse_number(pd.Series([text]), style="en").values.iloc[0] == value


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("12.5", "uses '.'"),
        ("1.298.429", "uses '.'"),
        ("1 29 8", "is not a fr number"),
        ("1,298,429", "is not a fr number"),
        (f"1{NBSP}298 429", "is not a fr number"),  # two kinds of separator in one number
        ("abc", "is not a fr number"),
        ("12 jeunes", "is not a fr number"),
    ],
)
def test_parse_number_rejects_what_does_not_follow_the_style(text, reason):
    series = pd.Series(["10", text, "20", text], name="amount")
    with pytest.raises(ParseError) as info:
        parse_number(series, source="annex4.csv", rows=IDS)
    msg = str(info.value)
    assert msg.startswith("annex4.csv: column 'amount'")
    assert reason in msg and repr(text) in msg
    assert "2 rows (e.g. participation_id P2, P4)" in msg
    assert info.value.column == "amount" and info.value.rows == ("P2", "P4") and info.value.source == "annex4.csv"


def test_parse_number_rejects_booleans_and_passes_numbers_through():
    with pytest.raises(ParseError, match="boolean"):
        parse_number(pd.Series(["1", True], dtype=object))
    numeric = pd.Series([1.5, np.nan, 3], name="x")
    out = parse_number(numeric)
    pd.testing.assert_series_equal(out.values, numeric.astype(float))
    assert not out.is_estimate.any() and not out.is_nc.any()
    mixed = parse_number(pd.Series([1298429, "1 000"], dtype=object))
    assert mixed.values.tolist() == [1298429.0, 1000.0]


def test_parse_number_keeps_the_index_and_handles_many_rows():
    series = pd.Series(["1 000", "~2 000", "nc", None] * 50_000, index=np.arange(200_000) * 3)
    out = parse_number(series)
    assert out.values.index.equals(series.index)
    assert out.values.sum() == 150_000_000.0
    assert int(out.is_estimate.sum()) == 50_000 and int(out.is_nc.sum()) == 50_000


def test_parse_number_checks_its_style_argument():
    with pytest.raises(SpecificationError, match="'style' parameter of parse_number"):
        parse_number(pd.Series(["1"]), style="de")  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# shares
# --------------------------------------------------------------------------------------------


def test_parse_share_fractions():
    out = parse_share(pd.Series(["56,4 %", "0,2", None, "nc", "100 %", "0 %", "1"]))
    expected = [0.564, 0.2, np.nan, np.nan, 1.0, 0.0, 1.0]
    np.testing.assert_array_equal(out.to_numpy(), np.array(expected))
    assert out.iloc[0] == 0.564  # exact decimal conversion, not 56.4 / 100 = 0.5639999...


def test_parse_share_bare_percentages_are_a_scale_error():
    series = pd.Series(["56,4", "0,3", "12", "56,4"], name="share_men")
    with pytest.raises(ParseError) as info:
        parse_share(series, source="profile.csv", rows=IDS)
    assert isinstance(info.value, ScaleError)
    msg = str(info.value)
    assert "profile.csv: column 'share_men'" in msg
    assert "shares given as 0-100 instead of 0-1" in msg
    assert "3 bare values are above 1" in msg and "'56,4', '12'" in msg
    assert "participation_id P1, P3, P4" in msg
    assert "scale='percent'" in msg


def test_parse_share_percent_scale_and_range():
    out = parse_share(pd.Series(["56,4", "12", "43,6 %"]), scale="percent")
    assert out.tolist() == [0.564, 0.12, 0.436]
    with pytest.raises(ParseError, match=r"outside \[0, 1\].*'120 %'"):
        parse_share(pd.Series(["120 %"], name="s"))
    with pytest.raises(ParseError, match="outside"):
        parse_share(pd.Series(["-5 %"], name="s"))
    with pytest.raises(ParseError, match="approximate"):
        parse_share(pd.Series(["~50 %"], name="s"))
    with pytest.raises(SpecificationError, match="scale"):
        parse_share(pd.Series(["1"]), scale="per_mille")  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# dates
# --------------------------------------------------------------------------------------------


def test_parse_dates_french_and_iso():
    out = parse_dates(pd.Series(["01/03/2015", "", None, "31/12/2015", " 1/2/2016 "]))
    assert pd.api.types.is_datetime64_any_dtype(out)
    assert out.iloc[0] == pd.Timestamp("2015-03-01") and out.iloc[3] == pd.Timestamp("2015-12-31")
    assert pd.isna(out.iloc[1]) and pd.isna(out.iloc[2])
    assert out.iloc[4] == pd.Timestamp("2016-02-01")
    iso = parse_dates(pd.Series(["2015-03-01", "2015-03-02 00:00:00", "2015-03-03T12:30"]), format="iso")
    assert iso.tolist() == [pd.Timestamp("2015-03-01"), pd.Timestamp("2015-03-02"), pd.Timestamp("2015-03-03 12:30")]
    months = parse_dates(pd.Series(["2015-03", "2016-11"]), format="%Y-%m")
    assert months.tolist() == [pd.Timestamp("2015-03-01"), pd.Timestamp("2016-11-01")]


def test_parse_dates_passes_datetimes_through():
    stamps = pd.Series(pd.to_datetime(["2015-01-01", None]))
    assert parse_dates(stamps) is stamps
    objects = pd.Series([pd.Timestamp("2015-01-01").to_pydatetime(), None], dtype=object)
    assert parse_dates(objects).iloc[0] == pd.Timestamp("2015-01-01")


def test_mixed_date_formats_are_an_error_not_a_guess():
    series = pd.Series(["01/03/2015", "2015-03-02", "15/04/2015", "2015-04-01"], name="entry_date")
    with pytest.raises(ParseError) as info:
        parse_dates(series, source="mdfse.csv", rows=IDS)
    msg = str(info.value)
    assert msg.startswith("mdfse.csv: column 'entry_date'")
    assert "mixes date formats" in msg
    assert "'2015-03-02', '2015-04-01'" in msg and "ISO" in msg
    assert "2 rows (e.g. participation_id P2, P4)" in msg
    assert info.value.rows == ("P2", "P4")


def test_declared_iso_rejects_french_dates():
    with pytest.raises(ParseError, match=r"1 is a date in dd/mm/yyyy \('01/03/2015'\)"):
        parse_dates(pd.Series(["2015-03-01", "01/03/2015"], name="d"), format="iso")


def test_impossible_and_unreadable_dates():
    with pytest.raises(ParseError, match=r"not a real calendar date \('31/02/2015'\)"):
        parse_dates(pd.Series(["31/02/2015"], name="d"))
    with pytest.raises(ParseError, match=r"matches no date format \('mars 2015'\)"):
        parse_dates(pd.Series(["mars 2015"], name="d"))
    with pytest.raises(ParseError, match="Excel serial"):
        parse_dates(pd.Series([42064, "01/03/2015"], dtype=object, name="d"))
    with pytest.raises(SpecificationError, match="format"):
        parse_dates(pd.Series(["01/03/2015"]), format="")


# --------------------------------------------------------------------------------------------
# flags and parser declarations
# --------------------------------------------------------------------------------------------


def test_parse_bool():
    out = parse_bool(pd.Series(["oui", "Non", None, "1", "FALSE", "vrai", " yes "]))
    assert out.dtype == "boolean"
    assert out.tolist() == [True, False, pd.NA, True, False, True, True]
    assert parse_bool(pd.Series([1, 0, 1.0])).tolist() == [True, False, True]
    with pytest.raises(ParseError, match=r"'peut-être'.*oui"):
        parse_bool(pd.Series(["oui", "peut-être"], name="hh_jobless"))


def test_parser_spec_forms():
    assert parser_spec("fr_number") == ParserSpec(type="number", style="fr")
    assert parser_spec("share") == ParserSpec(type="share", style="fr", scale="fraction")
    assert parser_spec("percent").scale == "percent"
    assert parser_spec("date:%d/%m/%Y") == ParserSpec(type="date", format="%d/%m/%Y")
    assert parser_spec("date").format == "iso"
    spec = parser_spec({"type": "fr_number", "estimate_column": "target_is_estimate"})
    assert spec.type == "number" and spec.estimate_column == "target_is_estimate"
    assert parser_spec({"type": "share", "scale": "percent", "style": "en"}).style == "en"


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ("fr_numbr", "Did you mean 'fr_number'"),
        ({"type": "number", "styl": "fr"}, "Did you mean 'style'"),
        ({"style": "fr"}, "needs a 'type'"),
        ({"type": "money"}, "unknown parser type"),
        ({"type": "number", "style": "de"}, "'style'"),
        ({"type": "date", "estimate_column": "x"}, "number parsers only"),
        (3, "must be a name or a mapping"),
    ],
)
def test_parser_spec_errors(spec, match):
    with pytest.raises(SpecificationError, match=match):
        parser_spec(spec, column="amount")


def test_parse_column_requires_a_home_for_estimate_flags():
    series = pd.Series(["11 000", "~19 000", "nc"], name="target")
    with pytest.raises(ParseError) as info:
        parse_column(series, "fr_number", column="target_participants", source="annex5.csv", rows=IDS[:3])
    msg = str(info.value)
    assert "1 approximate value ('~19 000')" in msg and "participation_id P2" in msg
    assert "estimate_column: target_participants_is_estimate" in msg
    out = parse_column(series, {"type": "fr_number", "estimate_column": "target_is_estimate", "nc_column": "target_nc"},
                       column="target_participants")
    assert out["target_participants"].tolist()[:2] == [11000.0, 19000.0]
    assert out["target_is_estimate"].tolist() == [False, True, False]
    assert out["target_nc"].tolist() == [False, False, True]
    assert parse_column(pd.Series(["oui"]), "bool", column="b")["b"].tolist() == [True]
    assert parse_column(pd.Series(["5 %"]), "share", column="s")["s"].tolist() == [0.05]


def test_parse_text_keeps_codes_as_written():
    assert parse_text(pd.Series(["01", "2A", None, " 3"])).tolist()[:2] == ["01", "2A"]
    assert parse_text(pd.Series(["01", "2A", None, " 3"])).tolist()[3] == " 3"  # as written, not trimmed
    out = parse_text(pd.Series([1, 2.0, np.nan]), column="dept")
    assert out.tolist()[:2] == ["1", "2"] and pd.isna(out.iloc[2]) and out.dtype == object
    with pytest.raises(ParseError, match=r"column 'dept' .*row 1.*2\.5 \(float\) has no single text form"):
        parse_text(pd.Series([1.0, 2.5]), column="dept")
    assert parser_spec("text") == ParserSpec(type="text") == parser_spec({"type": "text"})
    assert parse_column(pd.Series([7, 8]), "text", column="c")["c"].tolist() == ["7", "8"]


# --------------------------------------------------------------------------------------------
# periods (quarters and months)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "unit", "index"),
    [
        ("2012T1", "quarter", 4 * 2012),
        ("2012t3", "quarter", 4 * 2012 + 2),
        ("2012Q4", "quarter", 4 * 2012 + 3),
        ("2012-Q2", "quarter", 4 * 2012 + 1),
        ("2012-T2", "quarter", 4 * 2012 + 1),
        (" 2013T1 ", "quarter", 4 * 2013),
        ("2012-03", "quarter", 4 * 2012),  # a month gives its quarter
        ("04/2012", "quarter", 4 * 2012 + 1),
        ("201212", "quarter", 4 * 2012 + 3),
        ("2012-09-30", "quarter", 4 * 2012 + 2),  # an ISO date gives its quarter
        ("2012-03", "month", 12 * 2012 + 2),
        ("03/2012", "month", 12 * 2012 + 2),
        ("3/2012", "month", 12 * 2012 + 2),
        ("201203", "month", 12 * 2012 + 2),
        ("2012-03-15", "month", 12 * 2012 + 2),
        ("2012-03-15 10:30", "month", 12 * 2012 + 2),
    ],
)
def test_parse_periods_reads_every_written_form(text, unit, index):
    out = parse_periods(pd.Series([text]), unit=unit)
    assert out.dtype == "Int64" and out.tolist() == [index]


def test_parse_periods_are_consecutive_and_missing_stays_missing():
    out = parse_periods(pd.Series(["2012T3", "2012T4", None, "", "2013T1", np.nan], name="quarter"))
    assert out.name == "quarter" and out.dtype == "Int64"
    assert out.iloc[[0, 1, 4]].diff().dropna().tolist() == [1, 1]  # across the year boundary too
    assert out.isna().tolist() == [False, False, True, True, False, True]  # NA is not 0
    assert divmod(int(out.iloc[0]), 4) == (2012, 2)  # back to the calendar: year, quarter - 1
    months = parse_periods(pd.Series(["2012-12", "01/2013", pd.NA]), unit="month")
    assert months.iloc[1] - months.iloc[0] == 1 and pd.isna(months.iloc[2])
    # spellings of one granularity may be mixed
    assert parse_periods(pd.Series(["2012T1", "2012Q1", "2012-Q1"])).nunique() == 1
    assert parse_periods(pd.Series(["2012-03", "03/2012", "201203", "2012-03-31"]), unit="month").nunique() == 1


def test_parse_periods_typed_values():
    dates = pd.Series(pd.to_datetime(["2012-02-10", None, "2012-11-30"]))
    assert parse_periods(dates).tolist() == [4 * 2012, pd.NA, 4 * 2012 + 3]
    assert parse_periods(dates, unit="month").tolist() == [12 * 2012 + 1, pd.NA, 12 * 2012 + 10]
    objects = pd.Series([pd.Timestamp("2012-05-01"), None], dtype=object)
    assert parse_periods(objects).tolist() == [4 * 2012 + 1, pd.NA]
    quarters = pd.Series(pd.period_range("2012Q4", periods=2, freq="Q"))
    assert parse_periods(quarters).tolist() == [4 * 2012 + 3, 4 * 2013]
    months = pd.Series(pd.period_range("2012-12", periods=2, freq="M"))
    assert parse_periods(months).tolist() == [4 * 2012 + 3, 4 * 2013]
    assert parse_periods(months, unit="month").tolist() == [12 * 2012 + 11, 12 * 2013]
    assert parse_periods(pd.Series([201203, 201204.0, np.nan]), unit="month").tolist() == [24146, 24147, pd.NA]
    with pytest.raises(ParseError, match=r"quarter.*a quarter, not a month"):
        parse_periods(quarters, unit="month", column="quarter")


@pytest.mark.parametrize(
    ("values", "unit", "match"),
    [
        (["2012T1", "2012T5", "2012T5"], "quarter", r"'2012T5' \(2 rows\): no quarter 5 exists"),
        (["2012Q0"], "quarter", "no quarter 0 exists"),
        (["13/2012"], "month", r"'13/2012' \(1 row\): no month 13 exists"),
        (["2012-00"], "quarter", "no month 0 exists"),
        (["2012"], "quarter", "a year alone, not a quarter"),
        ([2012], "month", "a year alone, not a month"),
        (["2012T1"], "month", "a quarter, not a month"),
        (["2012-02-30"], "month", "not a real calendar date"),
        (["01/03/2012"], "month", "dd/mm/yyyy date"),
        (["20121"], "quarter", "no quarter form"),
        (["T1 2012"], "quarter", "no quarter form"),
        ([True], "quarter", "a boolean"),
        ([1.5], "month", "a float, not a month"),
    ],
)
def test_parse_periods_refuses_what_it_cannot_read(values, unit, match):
    with pytest.raises(ParseError, match=match) as info:
        parse_periods(pd.Series(values, dtype=object), unit=unit, column="quarter", rows=IDS[: len(values)])
    assert info.value.column == "quarter" and "column 'quarter'" in str(info.value)
    assert "participation_id" in str(info.value)


def test_parse_periods_refuses_quarters_mixed_with_months():
    series = pd.Series(["2012T1", "2012-04", "2012Q2", "2012-05-02"], dtype=object)
    with pytest.raises(ParseError) as info:
        parse_periods(series, column="quarter", rows=IDS)
    msg = str(info.value)
    assert "column 'quarter' mixes quarters ('2012T1', '2012Q2': 2 rows)" in msg
    assert "'2012-04', '2012-05-02'" in msg and "P2" in msg and "P4" in msg and "not guessed" in msg
    assert list(info.value.rows) == ["P2", "P4"]


def test_parser_spec_period_forms():
    assert parser_spec("period:quarter") == ParserSpec(type="period", format="quarter")
    assert parser_spec({"type": "period", "format": "month"}) == ParserSpec(type="period", format="month")
    out = parse_column(pd.Series(["2012T2", None]), "period:quarter", column="quarter")
    assert out["quarter"].tolist() == [4 * 2012 + 1, pd.NA]
    with pytest.raises(SpecificationError, match="Did you mean 'quarter'"):
        parser_spec("period:quartr", column="q")
    with pytest.raises(SpecificationError, match="needs a 'format'"):
        parser_spec({"type": "period"}, column="q")
    with pytest.raises(SpecificationError, match="period:quarter"):
        parser_spec("periods", column="q")
    with pytest.raises(SpecificationError, match="'unit'"):
        parse_periods(pd.Series(["2012T1"]), unit="year")  # type: ignore[arg-type]


def test_quarters_parsed_from_a_file_are_the_time_of_the_did_estimators(tmp_path):
    import iej_impact as iej
    from iej_impact.data import load_data

    rng = np.random.default_rng(3)
    quarters = ["2011T3", "2011T4", "2012T1", "2012T2", "2012T3", "2012T4"]
    first = {0: "2012T1", 1: "2012T3", 2: ""}  # third group never treated
    lines = ["id;quarter;first_quarter;y"]
    for i in range(60):
        for k, q in enumerate(quarters):
            g = first[i % 3]
            treated = g and k >= quarters.index(g)
            lines.append(f"{i};{q};{g};{1.0 + 0.1 * k + 2.0 * bool(treated) + rng.normal(scale=0.1):.4f}")
    path = tmp_path / "panel.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    data = load_data(path, sep=";", parse={"quarter": "period:quarter", "first_quarter": "period:quarter"})
    assert data["quarter"].dtype == "Int64" and data["first_quarter"].isna().sum() == 120
    assert sorted(data["quarter"].unique()) == list(range(4 * 2011 + 2, 4 * 2012 + 4))
    gt = iej.att_gt(data, outcome="y", unit="id", time="quarter", cohort="first_quarter")
    assert abs(gt.aggregate("simple").estimate - 2.0) < 0.1
    es = iej.event_study(data, outcome="y", unit="id", time="quarter", cohort="first_quarter", window=(-2, 2))
    assert es is not None
    data["d"] = (data["quarter"] >= data["first_quarter"]).fillna(False).astype(int)
    assert abs(iej.twfe(data, outcome="y", unit="id", time="quarter", treatment="d").estimate - 2.0) < 0.1


@pytest.mark.parametrize("dtype", [object, "string", "str"])
def test_parse_periods_same_on_every_text_dtype_without_warnings(dtype):
    """pandas 2.2 (object text, or the nullable "string") and pandas 3 (the default "str" dtype)."""
    raw = ["2012T1", None, "2012Q2", "", "2012-Q3"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = parse_periods(pd.Series(raw, dtype=dtype), column="quarter")
        assert out.tolist() == [4 * 2012, pd.NA, 4 * 2012 + 1, pd.NA, 4 * 2012 + 2]
        with pytest.raises(ParseError, match=r"'2012T5' \(1 row\)"):
            parse_periods(pd.Series(["2012T1", "2012T5", None], dtype=dtype), column="quarter")
