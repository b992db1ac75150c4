"""Result rules: the situation of leavers upon leaving and six months later.

Upon leaving: ``exit_date`` on or before the reference date makes a leaver; the exit situation
(``exit_status_fr`` mapped to the EU statuses, or ``exit_status_eu``) counts when observed within
``upon_leaving_days`` (28) days after exit; YEI "completed" is ``exit_reason == COMPLETED``.
Six months later: the observed ``status_6m`` of leavers, dated within ``six_month_window_days`` of
exit + 6 months, weighted by ``sample_weight_6m`` when the status comes from a survey.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._validation import describe_rows, example_rows
from ..errors import DataError
from ._messages import Counted
from ._registry import exit_status_map
from ._rule_columns import FlagTable, has_code, raise_order, read_coded, read_dates, read_flag, read_number, where_of

__all__ = ["exit_flags", "six_month_flags"]


def exit_flags(table: FlagTable, exit_: pd.Series | None) -> None:
    """Flags of the situation upon leaving: leaver, completed, offer, qualification, exit statuses."""
    df, flags, unavailable, notes, cover, opts = (table.df, table.flags, table.unavailable, table.notes, table.cover,
                                                  table.opts)
    n = len(df)
    if exit_ is None:
        for r in ("leaver", "completed", "offer", "qualification", "exit_job_search", "exit_education_training",
                  "exit_employed", "yei_positive", "esf_positive", "fr_positive", "fr_emploi_durable",
                  "fr_emploi_autre", "fr_formation_etudes", "fr_dropout_no_solution", "fr_no_solution"):
            unavailable[r] = "needs column exit_date"
        return
    leaver = exit_.notna().to_numpy()
    flags["leaver"] = leaver
    has = set(df.columns).__contains__
    if has("exit_reason"):
        reason = read_coded(df, "exit_reason", "exit_reason", opts)
        flags["completed"] = leaver & has_code(reason, "COMPLETED")
        dropout = has_code(reason, "DROPOUT", "DROPOUT_FOR_JOB_OR_TRAINING")
        reason_known = reason.codes >= 0
        cover("exit_reason", ~reason_known, leaver, "leavers")
    else:
        unavailable["completed"] = "needs column exit_reason"
        dropout = reason_known = None
    for col, rule in (("offer_received_at_exit", "offer"), ("qualification_gained", "qualification")):
        if has(col):
            val, known = read_flag(df, col, opts)
            flags[rule] = leaver & val
            cover(col, ~known, leaver, "leavers")
        else:
            unavailable[rule] = f"needs column {col}"

    eu = fr_cat = None
    if has("exit_status_fr"):
        fr = read_coded(df, "exit_status_fr", "exit_status_fr", opts)
        emap = exit_status_map()
        fr_codes = fr.categories.to_numpy(dtype=object)
        eu_by_fr = emap.reindex(fr_codes)["exit_status_eu"].to_numpy()
        cat_by_fr = emap.reindex(fr_codes)["report_category"].fillna("").to_numpy()
        lookup_eu = np.append(eu_by_fr, None)
        lookup_cat = np.append(cat_by_fr, "")
        fr_cat = lookup_cat[fr.codes]  # code -1 -> last element
        eu = lookup_eu[fr.codes]
    if has("exit_status_eu"):
        given_arr = read_coded(df, "exit_status_eu", "exit_status_eu", opts).values()
        eu = given_arr if eu is None else np.where(given_arr != None, given_arr, eu)  # noqa: E711
    status_known = None
    if eu is not None:
        eu = np.asarray(eu, dtype=object)
        status_known = leaver & (eu != None) & (eu != "UNKNOWN")  # noqa: E711
        status_known, fr_cat = _observed_upon_leaving(table, exit_, status_known, fr_cat)
        cover("exit_status", ~status_known, leaver, "leavers")
        employed = status_known & np.isin(eu, ["EMPLOYED", "SELF_EMPLOYED"])
        edu = status_known & (eu == "EDUCATION_TRAINING")
        flags["exit_employed"], flags["exit_education_training"] = employed, edu
        flags["exit_job_search"] = status_known & (eu == "JOB_SEARCHING")
        qual = flags.get("qualification", np.zeros(n, dtype=bool))
        flags["yei_positive"] = employed | edu | qual
        flags["esf_positive"] = flags["yei_positive"] | flags["exit_job_search"]
        if "qualification" not in flags:
            notes.append("No qualification_gained column: YEI CR03/CR06/CR09 and ESF CR05 count exits to employment "
                         "and education/training only.")
    else:
        for r in ("exit_job_search", "exit_education_training", "exit_employed", "yei_positive", "esf_positive"):
            unavailable[r] = "needs column exit_status_fr or exit_status_eu"
    _french_categories(table, leaver, fr_cat, dropout, reason_known)


def six_month_flags(table: FlagTable, exit_: pd.Series | None) -> np.ndarray | None:
    """Flags of the situation six months after leaving; returns the survey weights (None: unweighted)."""
    df, flags, unavailable, notes, cover, opts = (table.df, table.flags, table.unavailable, table.notes, table.cover,
                                                  table.opts)
    names = ("followup6m", "s6_employed", "s6_employee", "s6_self_employed", "s6_education", "s6_improved")
    if "status_6m" not in df.columns or exit_ is None:
        for r in names:
            unavailable[r] = "needs columns status_6m and exit_date"
        return None
    where = where_of(opts)
    st = read_coded(df, "status_6m", "status_6m", opts)
    leaver = flags["leaver"]
    recorded = (st.codes >= 0) & ~has_code(st, "UNKNOWN")
    raise_order(df, recorded & ~leaver, "status_6m is recorded for participations with no exit date (a six-month "
                 "situation needs an exit)", "status_6m", opts)
    if "status_6m_date" not in df.columns:
        if recorded.any():
            raise DataError(f"{where}: status_6m is given but the data have no status_6m_date column; the six-month "
                            "situation needs the date it was observed (about exit_date + 6 months).",
                            column="status_6m_date", rows=example_rows(df, recorded), source=opts.source)
        sdate = pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
    else:
        sdate = read_dates(df, "status_6m_date", opts)
    no_date = recorded & sdate.isna().to_numpy()
    if no_date.any():
        raise DataError(f"{where}: status_6m is recorded without a status_6m_date in {describe_rows(df, no_date)}; "
                        "give the date the six-month situation was observed, or clear status_6m.",
                        column="status_6m_date", rows=example_rows(df, no_date), source=opts.source)
    raise_order(df, recorded & (sdate < exit_).to_numpy(), "status_6m_date is before exit_date", "status_6m_date",
                 opts)
    target = exit_ + pd.DateOffset(months=6)
    off = recorded & ((sdate - target).abs() > pd.Timedelta(days=opts.six_month_window_days)).to_numpy()
    raise_order(df, off, f"status_6m_date is more than {opts.six_month_window_days} days away from exit_date + 6 "
                 "months (widen six_month_window_days if your follow-up window is wider)", "status_6m_date", opts)
    followup = leaver & recorded
    flags["followup6m"] = followup
    cover("status_6m", ~recorded, leaver, "leavers")
    flags["s6_employed"] = followup & has_code(st, "EMPLOYED", "SELF_EMPLOYED")
    flags["s6_employee"] = followup & has_code(st, "EMPLOYED")
    flags["s6_self_employed"] = followup & has_code(st, "SELF_EMPLOYED")
    flags["s6_education"] = followup & has_code(st, "EDUCATION", "QUALIFYING_TRAINING", "APPRENTICESHIP", "TRAINEESHIP")
    if "improved_situation_6m" in df.columns:
        val, known = read_flag(df, "improved_situation_6m", opts)
        flags["s6_improved"] = followup & val
    else:
        unavailable["s6_improved"] = "needs column improved_situation_6m"

    wcol = opts.weights
    if wcol is None:
        notes.append("Six-month indicators are unweighted (weights=None).")
        return None
    if wcol not in df.columns:
        if wcol != "sample_weight_6m":
            raise DataError(f"{where}: weights column '{wcol}' not found.", column=wcol, source=opts.source)
        notes.append("Six-month indicators are unweighted: no sample_weight_6m column (statuses taken as a census "
                     "of leavers with a recorded situation).")
        return None
    w = read_number(df, wcol, opts, low=0.0, low_open=True)
    missing = followup & np.isnan(w)
    if np.isnan(w[followup]).all() and followup.any():
        notes.append(f"Six-month indicators are unweighted: {wcol} is empty for every followed-up leaver.")
        return None
    if missing.any():
        raise missing_weights_error(where, wcol, Counted.of("{rows}", df, missing), opts.source)
    notes.append(weighted_note(wcol))
    return np.where(followup, w, 0.0)


def weighted_note(wcol: str) -> str:
    """The note of weighted six-month indicators."""
    return f"Six-month indicators are weighted by {wcol} (design-based CI; see the notes)."


def missing_weights_error(where: str, wcol: str, rows: Counted, source: str | None) -> DataError:
    """The error for followed-up leavers without a weight while others have one (``rows``: those leavers)."""
    return DataError(f"{where}: {wcol} is missing for {rows.text()} with a recorded status_6m; when the six-month "
                     "situation comes from a sample survey every respondent needs a weight (CR10-CR12 and ESF "
                     "CR06-CR09 are weighted estimates).", column=wcol, rows=list(rows.examples), source=source)


def _observed_upon_leaving(table: FlagTable, exit_: pd.Series, status_known: np.ndarray,
                           fr_cat: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
    """Exit situations observed more than ``upon_leaving_days`` after exit: an error, or unknown on request."""
    df, notes, opts = table.df, table.notes, table.opts
    if table.has("exit_status_date"):
        sdate = read_dates(df, "exit_status_date", opts)
        observed = status_known & sdate.notna().to_numpy()
        raise_order(df, observed & (sdate < exit_).to_numpy(),
                     "exit_status_date is before exit_date (situation 'upon leaving' observed before leaving)",
                     "exit_status_date", opts)
        late = observed & (sdate > exit_ + pd.Timedelta(days=opts.upon_leaving_days)).to_numpy()
        if late.any():
            if opts.late_exit_status == "error":
                raise_order(df, late, f"exit_status_date is more than {opts.upon_leaving_days} days after "
                             "exit_date, so the situation is not 'upon leaving' (4 weeks, ESF rules); correct the "
                             "dates, or pass late_exit_status='unknown' to count these situations as unknown",
                             "exit_status_date", opts)
            notes.append(Counted.of(f"{{n}} exit situation(s) observed more than {opts.upon_leaving_days} days "
                                    "after exit are counted as unknown (late_exit_status='unknown').", df, late))
            status_known &= ~late
            if fr_cat is not None:
                fr_cat = np.where(late, "", fr_cat)
    else:
        notes.append("No exit_status_date column: exit situations are taken as observed upon leaving.")
    return status_known, fr_cat


def _french_categories(table: FlagTable, leaver: np.ndarray, fr_cat: np.ndarray | None, dropout: np.ndarray | None,
                       reason_known: np.ndarray | None) -> None:
    """The French report categories of the exit situation (durable job, other job, training, no solution)."""
    flags, unavailable = table.flags, table.unavailable
    if fr_cat is not None:
        fr_cat = np.where(leaver, fr_cat, "")
        flags["fr_emploi_durable"] = fr_cat == "EMPLOI_DURABLE"
        flags["fr_emploi_autre"] = fr_cat == "EMPLOI_AUTRE"
        flags["fr_formation_etudes"] = fr_cat == "FORMATION_ETUDES"
        flags["fr_positive"] = flags["fr_emploi_durable"] | flags["fr_emploi_autre"] | flags["fr_formation_etudes"]
        no_solution = fr_cat == "SANS_SOLUTION"
        if dropout is not None:
            flags["fr_dropout_no_solution"] = no_solution & dropout
            flags["fr_no_solution"] = no_solution & reason_known & ~dropout
        else:
            unavailable["fr_dropout_no_solution"] = unavailable["fr_no_solution"] = "needs column exit_reason"
    else:
        for r in ("fr_positive", "fr_emploi_durable", "fr_emploi_autre", "fr_formation_etudes",
                  "fr_dropout_no_solution", "fr_no_solution"):
            unavailable[r] = "needs column exit_status_fr"
