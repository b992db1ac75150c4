"""Cohort steps: stacking the participant and comparison arms, and comparison units later found
among participants (contamination).

Comparison-cohort practice: the comparison units are persons who did not enter the programme at
their reference date. A comparison unit later found among the participants is *contaminated*:
the evaluator either drops it, or keeps it flagged with the date of its later entry so that a
contamination-robust estimator (censoring at entry, an instrument, a fuzzy design) can use it.
Either way the choice is an option of the step, and every unit concerned is counted in the flow
with example ids (and listed in the exclusions when dropped).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .._validation import short_repr
from ..data._arms import stack_arms
from ..data._rows import example_ids, format_value
from ..errors import DataError
from ._joins import same_ids
from ._prepare import register_step
from ._workspace import N_EXAMPLES, StepFailed, TableInfo, Workspace

__all__ = ["remove_contamination", "stack"]

ACTIONS = ("drop", "flag")
REFERENCE_KEYS = ("participants", "comparison", "into")
CROSSWALK_KEYS = ("table", "comparison", "participants")


def _name(value: object, key: str, table: str | None = None) -> str:
    if not isinstance(value, str) or not value:
        raise StepFailed(f"'{key}' must be a name (text); got {short_repr(value)}.", table=table)
    return value


def _spec(value: object, keys: tuple[str, ...], key: str, example: str) -> dict[str, str]:
    """A mapping option with exactly ``keys``, each a name."""
    if not isinstance(value, Mapping) or set(value) != set(keys):
        raise StepFailed(f"'{key}' must be a mapping with exactly the keys {list(keys)} ({example}); got "
                         f"{short_repr(value)}.")
    return {k: _name(value[k], f"{key}.{k}") for k in keys}


def _new_table(ws: Workspace, new_table: object) -> str:
    name = _name(new_table, "new_table")
    if name in ws.frames:
        raise StepFailed(f"'new_table': a table {name!r} already exists; name the new table differently "
                         f"(tables so far: {sorted(ws.frames)}).")
    return name


def _kind(s: pd.Series) -> str:
    if pd.api.types.is_datetime64_any_dtype(s):
        return "dates"
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        return "numbers"
    return str(s.dtype)


def _check_arm(ws: Workspace, table: str, allowed: tuple[str, ...], key: str) -> None:
    arm = ws.info[table].arm
    if arm not in allowed:
        raise StepFailed(f"'{key}': table {table!r} holds {arm!r} rows; this step needs a table of "
                         f"{' or '.join(repr(a) for a in allowed)} rows (declare the source's arm: data.sources."
                         f"<name>.arm, or arms= in prepare()).", table=table)


def _origin(ws: Workspace, table: str) -> str:
    return ws.info[table].origin or table


# -- stack --------------------------------------------------------------------------------------
@register_step("stack")
def stack(ws: Workspace, *, participants: str, comparison: str, new_table: str, treatment_column: str = "treated",
          id: str | None = "person_id", reference_date: Mapping[str, str] | None = None) -> None:
    """Stack the ``participants`` and ``comparison`` tables into ``new_table`` (arm ``stacked``)
    with a 1/0 ``treatment_column`` (1 for participants, first; 0 for comparison units), by
    :func:`iej_impact.data.stack_arms`. The two tables are not modified.

    Options
    -------
    participants, comparison : the two arms (tables whose arm is ``participants`` / ``comparison``,
        or undeclared).
    new_table : the name of the stacked table (a new name: no table is silently replaced).
    treatment_column : the created 1/0 column; neither arm may already have it.
    id : the person identifier of both arms. A person in both arms is refused (contamination)
        unless the comparison row is flagged True in a column ``contaminated`` (what
        ``remove_contamination`` with ``action: flag`` writes by default); run
        ``remove_contamination`` first. ``null`` skips the check, only for arms that share no
        identifier space.
    reference_date : ``{participants: col, comparison: col, into: col}``: the date each unit is
        compared at (participants: their entry date; comparison units: their reference date)
        put in one column ``into`` (both dates, or both period indexes). ``into`` may be an arm's
        own column, but not another column of either arm.

    Columns found in one arm only are missing for the other (a MissingDataWarning names them).
    """
    p_frame = ws.get(participants, key="participants")
    c_frame = ws.get(comparison, key="comparison")
    if participants == comparison:
        raise StepFailed(f"'participants' and 'comparison' name the same table {participants!r}.", table=participants)
    _check_arm(ws, participants, ("participants", "none"), "participants")
    _check_arm(ws, comparison, ("comparison", "none"), "comparison")
    name = _new_table(ws, new_table)
    tcol = _name(treatment_column, "treatment_column")
    for table, frame in ((participants, p_frame), (comparison, c_frame)):
        if tcol in frame.columns:
            raise StepFailed(f"'treatment_column': table {table!r} already has a column {tcol!r}; stacking creates "
                             "it. Choose another treatment_column.", table=table, column=tcol)
        if id is not None:
            ws.columns(table, [_name(id, "id")], "id")
    ref_text = ""
    if reference_date is not None:
        p_frame, c_frame, ref_text = _reference(ws, participants, comparison, p_frame, c_frame, reference_date)
    try:
        stacked = stack_arms(p_frame, c_frame, treatment_column=tcol, id_column=id)
    except DataError as exc:
        table = comparison if exc.source == "comparison" else participants
        hint = (" Run a remove_contamination step on the comparison table before stacking."
                if "both among participants" in str(exc) else "")
        text = str(exc).removeprefix(f"{exc.source}: ").replace("stack_arms(): ", "")
        raise StepFailed(text + hint, table=table, column=exc.column,
                         rows=exc.rows) from None
    id_column = id if id is not None else ws.info[participants].id_column
    origin = f"{_origin(ws, participants)} + {_origin(ws, comparison)}"
    ws.put(name, stacked, f"stacked {len(p_frame)} rows of {participants!r} ({tcol}=1) and {len(c_frame)} rows of "
           f"{comparison!r} ({tcol}=0){ref_text}", rows_in=len(p_frame) + len(c_frame),
           info=TableInfo(arm="stacked", id_column=id_column if id_column in stacked.columns else None,
                          treatment=tcol, origin=origin))


def _reference(ws: Workspace, participants: str, comparison: str, p_frame: pd.DataFrame, c_frame: pd.DataFrame,
               spec: object) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """Both arms with the reference date column ``into`` (copies)."""
    ref = _spec(spec, REFERENCE_KEYS, "reference_date", "e.g. {participants: entry_date, comparison: "
                "reference_date, into: reference_date}")
    into = ref["into"]
    kinds = {}
    for arm, table, frame in (("participants", participants, p_frame), ("comparison", comparison, c_frame)):
        col = ws.columns(table, [ref[arm]], f"reference_date.{arm}")[0]
        if into in frame.columns and into != col:
            raise StepFailed(f"'reference_date.into': table {table!r} already has a column {into!r} (not its reference "
                             f"date {col!r}); choose another name for the stacked reference date.",
                             table=table, column=into)
        kinds[arm] = _kind(frame[col])
        if kinds[arm] not in ("dates", "numbers"):
            raise StepFailed(f"'reference_date.{arm}': column {col!r} holds {frame[col].dtype} values, neither dates "
                             "nor period indexes; declare its parser (parse: {col: \"date:...\"} or "
                             "\"period:quarter\").", table=table, column=col)
    if kinds["participants"] != kinds["comparison"]:
        raise StepFailed(f"'reference_date': {ref['participants']!r} of {participants!r} holds "
                         f"{kinds['participants']} but {ref['comparison']!r} of {comparison!r} holds "
                         f"{kinds['comparison']}; both must be dates, or both period indexes.",
                         table=comparison, column=ref["comparison"])
    p_out = p_frame.assign(**{into: p_frame[ref["participants"]]})
    c_out = c_frame.assign(**{into: c_frame[ref["comparison"]]})
    return p_out, c_out, (f"; reference date {into} = {ref['participants']} (participants), "
                          f"{ref['comparison']} (comparison)")


# -- remove_contamination ----------------------------------------------------------------------
@register_step("remove_contamination")
def remove_contamination(ws: Workspace, *, table: str, participants: str, key: str | None = None,
                         crosswalk: Mapping[str, str] | None = None, entry: str = "entry_date", action: str = "drop",
                         flag: str = "contaminated", later_entry: str = "contamination_date",
                         reference: str | None = None) -> None:
    """Find the comparison units of ``table`` later found among the participants, and drop or flag
    them. ``table`` is a comparison table, or a stacked table (then only its control rows are
    examined; participant rows are left as they are).

    Options
    -------
    participants : the participants table (its treated rows if it is a stacked table), with each
        participant's entry date ``entry`` (a date, or a period index; a person with several
        participations has several).
    key : a person identifier column present in both tables; or
    crosswalk : ``{table: name, comparison: col, participants: col}``: a linkage table whose
        column ``comparison`` holds the comparison table's ids (same column name there) and
        ``participants`` the participants table's ids (same column name there). Rows with a
        missing id link nothing (counted). Refused: a comparison id mapped to two different
        persons; crosswalk rows whose ids are found in neither table (a wrong crosswalk, or ids
        read with another type: ``12`` vs ``'12'``).
    action : ``drop`` (the contaminated rows go to the exclusions) or ``flag`` (kept, with
        ``flag`` True and ``later_entry`` the date of the person's first entry; other rows
        False / missing). The flag and date columns must be new.
    reference : optional, the comparison's reference date column in ``table`` (same kind as
        ``entry``). Then only an entry *after* it is a later entry (contamination; dropped or
        flagged with the first such date), and a unit whose person had already entered on or
        before its reference date was a participant then, not a comparison unit: it is dropped
        whatever ``action`` (its own exclusion reason). Without ``reference``, every unit found
        among participants is contaminated, dated by the person's first entry.

    Assumptions: the ids of the two sides identify persons (no fuzzy matching); a missing id
    matches nothing; an entry date needed (``flag``, or with ``reference``) must not be missing.
    """
    frame = ws.get(table)
    p_table = _name(participants, "participants")
    p_frame = ws.get(p_table, key="participants")
    _check_arm(ws, table, ("comparison", "stacked"), "table")
    _check_arm(ws, p_table, ("participants", "stacked", "none"), "participants")
    if action not in ACTIONS:
        raise StepFailed(f"'action' must be one of {list(ACTIONS)}; got {short_repr(action)}.", table=table)
    controls = ws.arm_labels(table, frame) == "control"
    treated = ws.arm_labels(p_table, p_frame) != "control"
    if (key is None) == (crosswalk is None):
        raise StepFailed("give either 'key' (an id column of both tables) or 'crosswalk' ({table, comparison, "
                         "participants}), not both nor neither.", table=table)
    if key is not None:
        col = ws.columns(table, [_name(key, "key", table)], "key")[0]
        ws.columns(p_table, [col], "key")
        same_ids(ws, (p_table, col), (table, col), "key")
        c_ids, pid_col = frame[col], col
        pairs = pd.DataFrame({"cid": p_frame[col][treated], "pid": p_frame[col][treated]}).dropna().drop_duplicates()
        xw_text = f"by {col}"
    else:
        c_col, pid_col, pairs, xw_text = _crosswalk(ws, table, frame, controls, p_table, p_frame, treated, crosswalk)
        c_ids = frame[c_col]
    needs_date = action == "flag" or reference is not None
    if needs_date:
        ws.columns(p_table, [_name(entry, "entry", p_table)], "entry")
    ref = None
    if reference is not None:
        ref = frame[ws.columns(table, [_name(reference, "reference", table)], "reference")[0]]
    later, prior = _contamination(ws, table, frame, controls, c_ids, pairs, p_table, p_frame, treated,
                                  pid_col, entry if needs_date else None, ref)
    missing_id = int((controls & c_ids.isna().to_numpy()).sum())
    _apply(ws, table, frame, later, prior, action, flag, later_entry, reference,
           xw_text + (f"; {missing_id} comparison rows with a missing id not checked" if missing_id else ""))


def _crosswalk(ws: Workspace, table: str, frame: pd.DataFrame, controls: np.ndarray, p_table: str,
               p_frame: pd.DataFrame, treated: np.ndarray, crosswalk: object) -> tuple[str, str, pd.DataFrame, str]:
    """The checked crosswalk: its columns, the (comparison id, participant id) pairs and a text."""
    spec = _spec(crosswalk, CROSSWALK_KEYS, "crosswalk", "e.g. {table: links, comparison: imilo_id, participants: "
                 "person_id}")
    xw_table = spec["table"]
    xw = ws.get(xw_table, key="crosswalk.table")
    c_col, p_col = spec["comparison"], spec["participants"]
    ws.columns(xw_table, [c_col], "crosswalk.comparison")
    ws.columns(xw_table, [p_col], "crosswalk.participants")
    ws.columns(table, [c_col], "crosswalk.comparison")
    ws.columns(p_table, [p_col], "crosswalk.participants")
    same_ids(ws, (table, c_col), (xw_table, c_col), "crosswalk.comparison")
    same_ids(ws, (p_table, p_col), (xw_table, p_col), "crosswalk.participants")
    complete = xw[c_col].notna().to_numpy() & xw[p_col].notna().to_numpy()
    links = xw.loc[complete, [c_col, p_col]]
    n_persons = links.drop_duplicates().groupby(c_col, sort=False)[p_col].agg(list)
    several = n_persons[n_persons.map(len) > 1]
    if len(several):
        shown = "; ".join(f"{format_value(c)} -> {', '.join(map(format_value, ps[:3]))}"
                          for c, ps in list(several.items())[:N_EXAMPLES])
        mask = complete & xw[c_col].isin(several.index).to_numpy()
        raise StepFailed(f"'crosswalk': {len(several)} comparison ids of column {c_col!r} are mapped to several "
                         f"persons ({p_col}): {shown}. A comparison unit is one person; correct the crosswalk.",
                         table=xw_table, column=c_col, rows=example_ids(mask, ws.ids(xw_table), N_EXAMPLES))
    in_c = xw[c_col].isin(frame[c_col][controls].dropna()).to_numpy()
    in_p = xw[p_col].isin(p_frame[p_col][treated].dropna()).to_numpy()
    neither = complete & ~in_c & ~in_p
    if neither.any():
        first = xw.loc[neither].iloc[0]
        c_ex, p_ex = frame[c_col].dropna(), p_frame[p_col].dropna()
        seen = (f" (the tables hold e.g. {format_value(c_ex.iloc[0])} ({type(_plain(c_ex.iloc[0])).__name__})"
                f" and {format_value(p_ex.iloc[0])} ({type(_plain(p_ex.iloc[0])).__name__}))"
                if len(c_ex) and len(p_ex) else "")
        raise StepFailed(f"'crosswalk': {int(neither.sum())} rows link ids found in neither {table!r} ({c_col}) nor "
                         f"{p_table!r} ({p_col}), e.g. {format_value(first[c_col])} "
                         f"({type(_plain(first[c_col])).__name__}) -> {format_value(first[p_col])} "
                         f"({type(_plain(first[p_col])).__name__}){seen}. Check that the crosswalk belongs to these "
                         "files and that its ids are read with the same type (parse: {col: text}).",
                         table=xw_table, column=c_col, rows=example_ids(neither, ws.ids(xw_table), N_EXAMPLES))
    pairs = links.rename(columns={c_col: "cid", p_col: "pid"}).drop_duplicates()
    n_missing = int((~complete).sum())
    half = complete & (in_c != in_p)  # one side found, the other not: a link that cannot be used
    only_c, only_p = complete & in_c & ~in_p, complete & in_p & ~in_c
    text = f"through crosswalk {xw_table!r}" + (f"; {n_missing} crosswalk rows with a missing id link nothing"
                                                 if n_missing else "")
    if half.any():
        ids = ws.ids(xw_table)
        text += (f"; {int(only_c.sum())} crosswalk rows name a comparison id with no participant in {p_table!r} and "
                 f"{int(only_p.sum())} a participant with no comparison id in {table!r} (they link nothing; e.g. "
                 f"{', '.join(map(str, example_ids(half, ids, N_EXAMPLES)))})")
    return c_col, p_col, pairs, text


def _plain(v: object) -> object:
    return v.item() if isinstance(v, np.generic) else v


def _contamination(ws: Workspace, table: str, frame: pd.DataFrame, controls: np.ndarray, c_ids: pd.Series,
                   pairs: pd.DataFrame, p_table: str, p_frame: pd.DataFrame, treated: np.ndarray, pid_col: str,
                   entry: str | None, ref: pd.Series | None) -> tuple[pd.Series, np.ndarray]:
    """Per comparison row: the date of later entry (index: row positions of contaminated rows;
    values NaN when no date is needed), and the rows already participants at their reference date."""
    positions = np.flatnonzero(controls)
    rows = pd.DataFrame({"row": positions, "cid": c_ids.array.take(positions)}).dropna()
    hits = rows.merge(pairs, on="cid", how="inner")
    if entry is None:
        undated_rows = pd.Series(np.nan, index=pd.unique(hits["row"]))
        return undated_rows, np.zeros(len(frame), dtype=bool)
    dates = pd.DataFrame({"pid": p_frame[pid_col][treated], "entry": p_frame[entry][treated]}).dropna(subset=["pid"])
    if not len(dates) or _kind(dates["entry"]) not in ("dates", "numbers"):
        raise StepFailed(f"'entry': column {entry!r} holds {p_frame[entry].dtype} values, neither dates nor period "
                         "indexes; declare its parser.", table=p_table, column=entry)
    hits = hits.merge(dates, on="pid", how="inner")
    undated = hits["entry"].isna().to_numpy()
    if undated.any():
        ids = pd.unique(hits["pid"][undated])
        mask = treated & p_frame[pid_col].isin(ids).to_numpy() & p_frame[entry].isna().to_numpy()
        raise StepFailed(f"'entry': {len(ids)} participants matched to comparison units have no {entry!r} "
                         f"(e.g. {pid_col} {', '.join(map(format_value, ids[:N_EXAMPLES]))}); the date of later entry "
                         "is needed (action: flag, or reference). Repair or drop those rows first.",
                         table=p_table, column=entry, rows=example_ids(mask, ws.ids(p_table), N_EXAMPLES))
    prior = np.zeros(len(frame), dtype=bool)
    if ref is not None:
        if _kind(ref) != _kind(dates["entry"]):
            raise StepFailed(f"'reference': column {ref.name!r} holds {_kind(ref)} but {entry!r} of {p_table!r} holds "
                             f"{_kind(dates['entry'])}; both must be dates, or both period indexes.",
                             table=table, column=str(ref.name))
        hits["ref"] = ref.array.take(hits["row"].to_numpy())
        no_ref = np.zeros(len(frame), dtype=bool)
        no_ref[hits.loc[hits["ref"].isna(), "row"].to_numpy()] = True
        if no_ref.any():
            raise StepFailed(f"'reference': {int(no_ref.sum())} comparison units found among participants have no "
                             f"{ref.name!r}, so an entry cannot be placed before or after it.", table=table,
                             column=str(ref.name), rows=example_ids(no_ref, ws.ids(table), N_EXAMPLES))
        before = (hits["entry"] <= hits["ref"]).to_numpy()
        prior[hits.loc[before, "row"].to_numpy()] = True
        hits = hits.loc[~before & ~prior[hits["row"].to_numpy()]]
    return hits.groupby("row")["entry"].min(), prior


def _apply(ws: Workspace, table: str, frame: pd.DataFrame, later: pd.Series, prior: np.ndarray, action: str,
           flag: str, later_entry: str, reference: str | None, how: str) -> None:
    """Drop or flag the contaminated rows; drop the rows already participants at reference."""
    mask = np.zeros(len(frame), dtype=bool)
    mask[later.index.to_numpy(dtype=int)] = True
    n = int(mask.sum())
    after = f" after {reference}" if reference else ""
    what = f"{n} comparison units found among participants (entry{after}; matched {how})"
    if action == "drop":
        ws.drop(table, mask, f"contaminated: {what}; dropped")
        if reference is not None:
            ws.drop(table, prior[~mask], f"already a participant on or before {reference}: not a comparison unit "
                    f"({int(prior.sum())} dropped)")
        return
    for col, key in ((flag, "flag"), (later_entry, "later_entry")):
        if _name(col, key, table) in frame.columns:
            raise StepFailed(f"'{key}': table {table!r} already has a column {col!r}; choose another name.",
                             table=table, column=col)
    out = frame.copy()
    out[flag] = mask
    if pd.api.types.is_integer_dtype(later.dtype):  # period indexes: missing stays missing
        later = later.astype("Int64")
    out[later_entry] = later.reindex(np.arange(len(frame))).set_axis(out.index)
    ws.put(table, out, f"contaminated: {what}; kept, {flag}=True, entry date in {later_entry}",
           examples=example_ids(mask, ws.ids(table), N_EXAMPLES))
    if reference is not None:
        ws.drop(table, prior, f"already a participant on or before {reference}: not a comparison unit "
                f"({int(prior.sum())} dropped)")
