"""Synthetic IEJ cohort with known true effects: the demo dataset and the test bed of every estimator.

:func:`simulate_cohort` draws participants of the PON IEJ *volet déconcentré* in Nord-Pas-de-Calais
(calibrated on the 2015 regional evaluation report) and a comparison cohort of NEET youths followed
by the same missions locales, with monthly employment and training potential outcomes. It returns
the canonical tables (operations, participations, comparison cohort and panel;
docs/reference/data-model.md), an analysis-ready person table and the *truth*: true ATT/ATE/ATC of
each outcome and true group-time effects ATT(g, t). Everything is vectorised (loops run over
months, never over persons) and deterministic for a seed: the CSV files written for a seed are
byte-identical on the lowest and the newest supported numpy and pandas (checked: numpy 1.26 with
pandas 2.2, numpy 2.4 with pandas 3.1); Parquet files hold the same values, with the string type
and writer metadata of the installed pyarrow.

Calendar
--------
Integer ``period`` = months since 2013-01 inclusive (2013-01 = 1, 2014-01 = 13, 2015-12 = 36);
``month`` is the first day of that month. Participants enter in periods 13-36 with weights
``1 / (1 + exp(-(k - 6) / 3))`` for k = 0..23 (the programme ramps up through 2014); comparison
youths get a pseudo-entry (their mission-locale contact) from the **same** distribution, so the
calendar is balanced between arms. ``entry_period`` holds (pseudo-)entry for everyone;
``first_treat_period`` is the entry period for participants and NaN (never treated) for comparison
youths. Event time e = period - entry_period.

Populations and covariates
--------------------------
Each arm has its own covariate distribution; within an arm the binary covariates are correlated
through a latent disadvantage z ~ N(0, 1): x = 1{l z + sqrt(1 - l^2) eps > Phi^-1(1 - share)},
which reproduces each share exactly in expectation. Shares (participants / comparison, loading l):

======================  ============  ==========  =======
covariate               participants  comparison  loading
======================  ============  ==========  =======
female                  0.436         0.490       0
CITE 0-2 (isced_0_2)    0.600         0.480       (education latent, -0.5)
CITE 0-4 (isced_0_4)    0.947         0.880       (education latent, -0.5)
jobless_household       0.202         0.140       0.5
disability              0.027         0.018       0.25
social_minima           0.053         0.035       0.5
homeless                0.033         0.018       0.45
qpv_resident            0.300         0.220       0.4
rural                   0.140         0.170       -0.2
unemployed_entry        0.720         0.780       0
hh_dependent_children   0.090         0.070       0.2
hh_single_adult         0.050         0.040       0.3
======================  ============  ==========  =======

Participants' shares are the report's (men 56.4 %, CITE 0-4 94.7 %, CITE 0-2 60.0 %, jobless
household 20.2 %, disability 2.7 %, social minima 5.3 %, homeless 3.3 %); the others and the whole
comparison column are assumptions (a less disadvantaged NEET population: fewer low-educated youths,
jobless households, minima recipients, homeless and QPV residents; more women). ISCED levels 0-7 have probabilities (.04, .06, .50, .33, .017, .035, .015, .003) for
participants and (.03, .05, .40, .37, .03, .08, .035, .005) for comparison youths; ``national_level``
follows the *report's* correspondence (VI for ISCED 0-1, VBIS/V for ISCED 2, IV for 3-4, III, II, I
above, the inverse of the ``seed_2015`` variant of the package's ISCED map), not strict ISCED 2011
(which puts level V, CAP/BEP, in ISCED 3). Age at entry is 16 + Binomial(9, p) for
ISCED 0-2 (17 + Binomial(8, p) for 3-4, 20 + Binomial(5, p) for 5+) with p = 0.40 for participants
and 0.47 for comparison youths, so every age is 16-25. Unemployment duration (UNEMPLOYED only;
0 for INACTIVE in ``persons``, null in the participations and comparison tables) is
floor(Exp(1) * m * exp(0.25 z - 0.03125)), capped at 36, with m = 8 months for participants and
5.5 for comparison youths. Territories
(20 mission-locale areas ``ML01``..``ML20``, Dirichlet(4) weights) have the **same** distribution in
both arms. Overlap is good: every covariate value has comparison units and the propensity score
stays well inside (0, 1).

Outcome model
-------------
For outcome k in {employed, in_training}, person i (entry or pseudo-entry g_i), calendar period
t = g_i + e::

    index_ik = a_k + b_k'X_i + c_k (age_i - 20) + tau_k[territory_i] + u_ik                      (1)
    logit p0_ikt = index_ik + trend_k (t - 25) / 12 + season_k(t) + c_k e / 12
                   + D_i * dip(e) * 1{k = employed}                                               (2)
    logit p1_ikt = logit p0_ikt + h_ik * b_k(e)                                                   (3)

* X = ``ADJUSTMENT_COVARIATES`` (female, age, isced_0_2, isced_0_4, jobless_household, disability,
  social_minima, homeless, qpv_resident, rural, unemployed_entry, unemp_duration_months). Employment
  coefficients: -0.15, +0.08/year, -0.45, -0.35, -0.30, -0.60, -0.35, -0.50, -0.25, -0.10, +0.20,
  -0.025/month (training: +0.10, -0.18/year, -0.20, +0.30, -0.15, +0.20, -0.20, -0.40, -0.10,
  -0.15, +0.10, -0.01). Disadvantage lowers employment, so participants have lower Y(0).
* u_ik ~ N(0, 0.7^2) (employment), N(0, 0.5^2) (training): a permanent unobserved effect,
  independent of treatment and of X. tau_k ~ N(0, 0.15^2) / N(0, 0.10^2) by territory.
* Common calendar effects: employment trend +0.08 logit per year, seasonality
  0.12 sin(2 pi (month - 4) / 12) (peak in July); training -0.30 in July-August, +0.06 otherwise.
  Ageing: c_k e / 12.
* **Ashenfelter dip**: dip(-3, -2, -1) = (-0.4, -0.8, -1.2), participants only (D_i = 1), in both
  potential outcomes (before entry Y(1) = Y(0)). It is a *transitory* shock: the months before entry
  only, none after. Participants' employment falls from about 28 % at e = -6 to 12 % at e = -1;
  comparison youths (a stock sample, not selected on a recent job loss) have no dip.
* **Effects** (no anticipation: b_k(e) = 0 for e < 0, so p1 = p0 exactly before entry).
  Employment: lock-in b(0, 1, 2) = (-0.30, -0.22, -0.10), then b(e) = 0.26 (1 - exp(-(e - 2) / 4)),
  growing to a plateau. Training: b(e) = 1.10 during the programme (e = 0..5), then
  0.25 + 0.85 exp(-(e - 5) / 3).
* **Heterogeneity**: h_ik = coh(g_i) (1 + m_k'W_i) with coh(g) = 1.3 - 0.6 (g - 13) / 23 (early
  entrants benefit more than late ones) and, for employment, m = +1.0 isced_0_2, +0.6
  jobless_household, -0.25 female, -0.10 (age - 20); for training m = +0.3 female. The ATT therefore
  differs from the ATC and ATE, and effects vary with event time *and* entry cohort.
* **Realisations**: y_d,ikt = 1{U_ikt < p_d,ikt} for d = 0, 1 with ONE uniform per person-month shared
  by both potential outcomes; U_ikt = Phi(eps_ikt), eps a stationary Gaussian AR(1) over months
  (rho = 0.6) for serial persistence; employment and training chains are independent. Observed
  y = y1 for participants, y0 for comparison youths.

Outcomes: ``employed_6m/12m/18m`` = employed at e = 6/12/18, ``training_6m/12m`` = in training at
e = 6/12 (exactly the panel's values there). ``emp_months_pre12`` = employed months over
e = -12..-1 (affected by the dip).

Truth
-----
``truth``: for each outcome and estimand, ``value`` = mean of p1 - p0 over the estimand's population
(ATT: participants, ATC: comparison youths, ATE: everyone), i.e. the conditional-on-sample effect;
``value_realized`` = mean of y1 - y0. ``group_time``: ATT(g, t) = mean over cohort g of
p1_ikt - p0_ikt for every observed (g, t) (event times -months_before..months_after, or the whole
balanced span), zero before entry by construction. ``potential_outcomes`` holds p0, p1, y0, y1 of
each outcome and the person-level indices (1), from which :meth:`SyntheticCohort.panel_probabilities`
recomputes p0 and p1 of every panel row.

What identifies what
--------------------
* **Selection on observables.** Treatment depends on X only (the arms differ in X; u, the
  territories, the calendar and the uniforms have the same distribution in both arms), so
  Y(0), Y(1) _||_ D | X with X = ``ADJUSTMENT_COVARIATES``, and overlap holds: PSM, IPW, RA and
  AIPW on X identify ATT, ATE and ATC of every cross-sectional outcome. The naive difference in
  means is biased (about -4.5 pp for employment; about +1 pp for training). A linear regression
  adjustment with arm-specific slopes on X is nearly unbiased (|bias| < 0.3 pp; the outcome model is
  logistic, so linear adjustment is slightly misspecified).
* **emp_months_pre12 is a bad control.** It is pre-treatment but depressed by the dip, which only
  participants have: at equal emp_months_pre12 participants have a higher permanent u than
  comparison youths, so adding it to X biases the employment ATT upwards (about +1.1 pp). It is
  *not* harmless; use it only to show this (or drop e = -3..-1 when building it).
* **Difference-in-differences.** Conditional on X, parallel trends hold exactly for any base period
  outside the dip window (given X the untreated levels are equal across arms). Unconditionally
  they hold only approximately (logistic nonlinearity with different baseline levels: about
  -0.1 to -0.3 pp with base period g - 5). With the base period g - 1 (inside the dip) DiD is
  biased by about +17 pp: use ``anticipation=3`` (base period g - 4) in Callaway-Sant'Anna, or
  drop e = -3..-1. Not-yet-treated controls need the same care, as later cohorts dip before
  their own entry.
* **Staggered adoption.** Effects vary with event time (lock-in then growth) and with entry cohort,
  so static TWFE is biased (window panel, 20 000 participants, seed 3: 0.066 with the dip months
  kept and 0.029 without them, against an average post-entry employment ATT(g, t) of 0.043), while
  Callaway-Sant'Anna ATT(g, t) with never-treated controls and a base period outside the dip
  recovers ``group_time``.

Administrative tables
---------------------
* ``operations``: the 52 PON lines of the report's annex 4 with its group totals (2 repérage lines, 20
  territorial missions locales + 1 GIP = 15 560 326 EUR / 12 314 youths, 22 associations with three
  targets "nc" (null), the 3 cooperatives IDF, CREFO, INSTEP, 3 firms and the CCAS), 2 PRF lines of
  the POR and 4 apprenticeship lines sharing the funding envelope ``POR-APPRENTISSAGE-2015``
  (amount and target null). Amounts within a group are split at random (seeded) so totals match.
* ``participations``, extract of 31/12/2015: first operation by family (repérage 3 %, own
  mission locale 45 %, ML-type GIP 2 %, associations 18 %, cooperatives 20 %, firms/CCAS 4 %, PRF
  4 %, apprenticeship 4 %); programme duration 30 + floor(335 Beta(2.5, 1.5)) days, so about 55 %
  of participants have exited by 31/12/2015 (report: 7 040 of 12 740 = 55.3 %) and every exit is
  within 12 months. 80 % of repérage leavers enter the mission locale of their territory 1-45 days
  later (a second participation; about 1-2 % of persons). Effects do not depend on the operation.
* Exits. The report's figures do not add up (1 083 + 4 009 + 1 939 = 7 031 of 7 040 leavers;
  31 + 7 + 14 = 52 % of "positive" exits against 57 %). Leavers' shares used here:
  drop-outs without a solution 1083/7040 = 15.4 % (``DROPOUT``; half SANS_SOLUTION, half
  RECHERCHE_EMPLOI), positive exits 4009/7040 = 56.9 % (EMPLOI_DURABLE 31 %, EMPLOI_AUTRE 7 %,
  FORMATION 10 % + ETUDES 4 % = the report's 14 %, and the 4.9 pp gap as CREATION_ENTREPRISE 1 %
  and APPRENTISSAGE 3.9 %), no solution at the end 1939/7040 = 27.5 % (RECHERCHE_EMPLOI 70 %,
  SANS_SOLUTION 30 %) and the 9 unaccounted records as INCONNU (0.13 %). Counts are exact
  (largest remainders); employment exits go preferentially to leavers employed in the month after
  exit and training exits to those in training (rank on state + 0.7 U(0, 1)), so the exit table is
  coherent with the register panel. 15 % of positive exits are DROPOUT_FOR_JOB_OR_TRAINING;
  ``exit_status_date`` is 0-28 days after exit (at most the extract date); ``offer_received_at_exit``
  has probability 0.88 (positive exits), 0.25 (no solution), 0.05 (drop-outs): 58 % of leavers.
  ``status_6m`` comes from a later 6-month survey of a stratified sample of first-participation
  leavers (inclusion 25-50 % by exit status, ``sample_weight_6m`` = 1 / inclusion probability),
  read from the register state 6 months after exit.
* ``comparison``: source IMILO, eligible, never contaminated (no comparison youth ever enters
  the programme; person ids ``C...`` never appear among participants ``P...``).

Panel
-----
``panel="window"``: each person from e = -months_before to e = +months_after (unbalanced in
calendar time, like register extracts around a reference date); ``"balanced"``: every person over
periods 13 - months_before .. 36 + months_after (1..54 by default); ``"none"``: no panel. Columns
``person_id`` (categorical), ``period`` (int32), ``month``, ``event_time`` (int8, relative to
(pseudo-)entry for everyone), ``group`` (TREATED/COMPARISON), ``first_treat_period`` (float32, NaN
for comparison), ``treated``, ``post`` (e >= 0), ``treated_post``, ``employed``, ``in_training``,
``territory_id`` and the time-invariant ``female, age, isced_0_2, jobless_household`` (int8).
About 32 bytes per row: a 10^5-participant window panel (comparison ratio 2: 9.3 million rows)
takes about 300 MiB. ``persons`` and the truth do not depend on the panel settings (the draws of
the core months e = -12..18 come first, in a fixed order).

Performance (2-core machine): 10^4 participants with a window panel in about 0.3 s; 10^6
participants with ``panel="none"`` in about 16 s. At national scale (10^6 participants with their
panel, which does not fit in memory comfortably), :func:`write_cohort_parquet` (module ``_chunked``)
draws the same process block by block and writes it to Parquet in bounded memory: about 80 s and
0.6 GB of peak memory for 10^6 participants with the window panel.

Modules
-------
:func:`simulate_cohort` (this module) draws from six generators spawned from the seed (design,
persons, administration, and the core / forward / backward months), always in the same order:
``_draw_design`` draws the territories and operations, ``_simulate_persons`` everything about a set
of persons given the design (the one implementation of the process, which the chunked writer calls
block by block), and the parts are each owned by one module of ``iej_impact.datasets.synthetic``:

* ``_calendar``: periods, (pseudo-)entry and birth dates, the extract date;
* ``_population``: the covariates of each arm (latent disadvantage, education, age, unemployment
  duration, national level) and ``ADJUSTMENT_COVARIATES``;
* ``_outcome_model``: equations (1)-(3): person indices, calendar, dip, effect paths, heterogeneity;
* ``_monthly_outcomes``: the month-by-month pass (AR(1) uniforms, realisations, true ATT(g, t));
* ``_operations``: the operations table and the operation of each first participation;
* ``_participations`` and ``_exits``: the participations table (durations, second participations; exit cells and
  fields, the 6-month survey);
* ``_person_tables`` and ``_panel``: ``persons``, the comparison table and the panel;
* ``_truth``: the true effects, the potential outcomes and the record of every parameter;
* ``_result``: :class:`SyntheticCohort` (true effects, panel probabilities, writing the files);
* ``_chunked``: :func:`write_cohort_parquet`, the cohort drawn block by block and written to Parquet
  (its docstring says how blocks are seeded, what is reproducible and how whole-sample quantities are
  handled); ``write_parquet``: its command line;
* ``_exact`` and ``_columns``: arithmetic and columns that give the same bytes on every supported
  numpy and pandas.

References
----------
Ashenfelter, O. (1978). Estimating the effect of training programs on earnings. REStat 60(1), 47-57.
Heckman, J., LaLonde, R. and Smith, J. (1999). The economics and econometrics of active labor
market programs. Handbook of Labor Economics 3A, ch. 31.
Imbens, G. (2004). Nonparametric estimation of average treatment effects under exogeneity: a
review. REStat 86(1), 4-29.
Callaway, B. and Sant'Anna, P. (2021). Difference-in-differences with multiple time periods.
J. Econometrics 225(2), 200-230.
Goodman-Bacon, A. (2021). Difference-in-differences with variation in treatment timing.
J. Econometrics 225(2), 254-277.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..._validation import arguments_checked, check_choice, check_number, physical_memory
from ...errors import SpecificationError
from ._calendar import _birth_dates, _draw_entry
from ._columns import _ids
from ._monthly_outcomes import _event_window, _Latent, _simulate_months
from ._operations import _build_operations
from ._outcome_model import _OUTCOME_MODEL, PANEL_OUTCOMES, _heterogeneity, _person_index
from ._panel import _panel_frame
from ._participations import _draw_durations, _participations
from ._person_tables import _comparison_frame, _persons_frame
from ._population import _N_TERRITORIES, _draw_arm
from ._result import SyntheticCohort
from ._truth import _params, _truth_tables

__all__ = ["max_participants", "simulate_cohort"]

_FUNC = "simulate_cohort"


#: memory budget per simulated person and per panel row (about 4 times what the simulation itself
#: takes, for the tables, their copies and the work arrays of a run on them)
_BYTES_PER_PERSON, _BYTES_PER_PANEL_ROW = 2 * 2**10, 320


def _bytes_per_person(panel: str = "window", months_before: int = 12, months_after: int = 18) -> int:
    """Memory budget of one simulated person with the given panel."""
    rows = {"none": 0, "window": months_before + months_after + 1,
            "balanced": (36 + months_after) - (13 - months_before) + 1}.get(panel, 0)
    return _BYTES_PER_PERSON + _BYTES_PER_PANEL_ROW * rows


def max_participants(comparison_ratio: float = 2.0, panel: str = "window", months_before: int = 12,
                     months_after: int = 18) -> int:
    """The largest ``n_participants`` whose cohort (``comparison_ratio`` comparison youths per
    participant, the given panel) fits in this machine's physical memory, with a 4-fold margin."""
    per_person = _bytes_per_person(panel, months_before, months_after) * (1.0 + float(comparison_ratio))
    return max(10, int(physical_memory() // per_person))


def simulate_cohort(
    n_participants: int = 5000,
    *,
    comparison_ratio: float = 2.0,
    seed: int = 20180101,
    panel: Literal["window", "balanced", "none"] = "window",
    months_before: int = 12,
    months_after: int = 18,
) -> SyntheticCohort:
    """Simulate the synthetic IEJ cohort (participants + comparison youths) with known true effects.

    The data-generating process is documented in the module docstring (:mod:`iej_impact.datasets.synthetic._cohort`).

    Parameters
    ----------
    n_participants : number of participants (persons), at least 10 and at most
        :func:`max_participants` (what the machine's memory holds).
    comparison_ratio : comparison youths per participant (> 0); their number is rounded.
    seed : seed of the numpy generator; the same seed and arguments give identical tables.
    panel : ``"window"`` (each person from entry - months_before to entry + months_after),
        ``"balanced"`` (every person over every period from 13 - months_before to 36 + months_after)
        or ``"none"``.
    months_before, months_after : panel window around (pseudo-)entry, 0 to 36 months. The outcomes,
        ``emp_months_pre12`` and ``persons`` do not depend on the panel settings.

    Returns
    -------
    SyntheticCohort

    Examples
    --------
    >>> cohort = simulate_cohort(500, seed=1, panel="none")
    >>> round(cohort.true_effect("employed_12m", "ATT"), 3) > 0
    True
    """
    check_number("n_participants", n_participants, _FUNC, low=10, integer=True)
    ratio = check_number("comparison_ratio", comparison_ratio, _FUNC, low=0.0, low_open=True, high=100.0)
    seed_ = int(check_number("seed", seed, _FUNC, low=0, integer=True))
    check_choice("panel", panel, ("window", "balanced", "none"), _FUNC)
    mb = int(check_number("months_before", months_before, _FUNC, low=0, high=36, integer=True))
    ma = int(check_number("months_after", months_after, _FUNC, low=0, high=36, integer=True))
    limit = max_participants(ratio, panel, mb, ma)
    if n_participants > limit:
        raise SpecificationError(
            f"the 'n_participants' parameter of {_FUNC}() must be <= {limit} on this machine (a cohort with "
            f"{comparison_ratio:g} comparison youths per participant and panel={panel!r} needs about "
            f"{_bytes_per_person(panel, mb, ma) // 1024} KiB per person, and the machine has "
            f"{physical_memory() / 2**30:.1f} GiB of memory); got {n_participants}."
        )
    n1 = int(n_participants)
    arguments_checked()
    n0 = max(1, int(round(ratio * n1)))

    r_design, r_persons, r_admin, r_core, r_fwd, r_bwd = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed_).spawn(6)
    )
    design = _draw_design(r_design)
    part = _simulate_persons(design, (r_persons, r_admin, r_core, r_fwd, r_bwd), n1, n0, panel=panel, mb=mb, ma=ma)
    truth, po = _truth_tables(part.person_id, part.treated, part.lat, part.sim["po"])
    params = _params(seed_, n1, n0, ratio, panel, mb, ma, design.territory_weights, design.territory_effect)
    return SyntheticCohort(persons=part.persons, participations=part.participations,
                           operations=design.ops.drop(columns=["family"]), comparison=part.comparison,
                           panel=part.panel, truth=truth, group_time=part.sim["group_time"], potential_outcomes=po,
                           params=params)


@dataclass(frozen=True)
class _Design:
    """The draws shared by every person: territory weights and effects, the operations table."""

    territory_weights: np.ndarray
    territory_effect: dict[str, np.ndarray]
    ops: pd.DataFrame


def _draw_design(rng: np.random.Generator) -> _Design:
    """Territories (Dirichlet(4) weights), their effects on each outcome and the operations, in this order.

    Nothing here depends on the number of persons, so every cohort drawn from the same seed's design
    generator (child 0 of ``SeedSequence(seed).spawn(6)``) has the same design.
    """
    territory_weights = rng.dirichlet(np.full(_N_TERRITORIES, 4.0))
    territory_effect = {k: rng.normal(0.0, _OUTCOME_MODEL[k]["sd_territory"], _N_TERRITORIES)
                        for k in PANEL_OUTCOMES}
    return _Design(territory_weights, territory_effect, _build_operations(rng, territory_weights))


@dataclass(frozen=True)
class _Persons:
    """``n1`` participants then ``n0`` comparison youths drawn by :func:`_simulate_persons`."""

    person_id: pd.api.extensions.ExtensionArray
    treated: np.ndarray
    lat: _Latent
    sim: dict[str, Any]  # the monthly pass (:func:`._monthly_outcomes._simulate_months`)
    persons: pd.DataFrame
    participations: pd.DataFrame
    comparison: pd.DataFrame
    panel: pd.DataFrame | None


def _simulate_persons(design: _Design, rngs: tuple[np.random.Generator, ...], n1: int, n0: int, *, panel: str,
                      mb: int, ma: int, first_id: tuple[int, int] = (1, 1)) -> _Persons:
    """The data-generating process of ``n1`` participants and ``n0`` comparison youths given the design.

    ``rngs`` are the persons, administration, core-, forward- and backward-month generators, each
    used in a fixed order. Persons are numbered ``P<first_id[0]>``... and ``C<first_id[1]>``...
    Either arm may be empty (the chunked writer draws one arm per block).
    """
    r_persons, r_admin, r_core, r_fwd, r_bwd = rngs
    n = n1 + n0
    # persons: covariates by arm, (pseudo-)entry, territory, unobserved effects, birth dates
    c1, c0 = _draw_arm(r_persons, n1, "participants"), _draw_arm(r_persons, n0, "comparison")
    cov = {k: np.concatenate([c1[k], c0[k]]) for k in c1}
    g, entry = _draw_entry(r_persons, n)
    territory = r_persons.choice(_N_TERRITORIES, size=n, p=design.territory_weights)
    u = {k: r_persons.normal(0.0, _OUTCOME_MODEL[k]["sd_u"], n) for k in PANEL_OUTCOMES}
    birth = _birth_dates(r_persons, entry, cov["age"])
    treated = np.concatenate([np.ones(n1, dtype=np.int8), np.zeros(n0, dtype=np.int8)])
    lat = _Latent(
        treated=treated,
        g=g,
        index={k: _person_index(k, cov, territory, design.territory_effect[k], u[k]) for k in PANEL_OUTCOMES},
        h={k: _heterogeneity(k, g, cov) for k in PANEL_OUTCOMES},
    )

    # programme durations (drawn before the outcomes: the exit month locates the exit-status month)
    exit_date = entry[:n1] + _draw_durations(r_admin, n1)
    exit_k = (exit_date.astype("datetime64[M]") - entry[:n1].astype("datetime64[M]")).astype(np.int64)

    e_range, gt_span, gt_rule = _event_window(panel, mb, ma)
    sim = _simulate_months(lat, (r_core, r_fwd, r_bwd), e_range=e_range, gt_rule=gt_rule, gt_span=gt_span,
                           panel=panel, exit_k=exit_k)

    person_id = _ids({"P": n1, "C": n0}, first=dict(zip("PC", first_id, strict=True)))
    territory_id = np.array([f"ML{i + 1:02d}" for i in range(_N_TERRITORIES)], dtype=object)[territory]

    # participations and operations
    ops = design.ops
    parts, first_op, n_parts = _participations(r_admin, ops, person_id, cov, territory, entry, birth, exit_date,
                                               sim, n1)
    persons = _persons_frame(person_id, treated, entry, g, cov, territory_id, sim, ops, first_op, n_parts, n1)
    comparison = _comparison_frame(person_id[n1:], entry[n1:], cov, territory_id[n1:], birth[n1:],
                                   sim["emp_pre12"][n1:], n1)
    panel_df = None if panel == "none" else _panel_frame(sim["store"], panel, person_id, treated, g, cov,
                                                          territory_id, mb, ma, gt_span)
    return _Persons(person_id, treated, lat, sim, persons, parts, comparison, panel_df)
