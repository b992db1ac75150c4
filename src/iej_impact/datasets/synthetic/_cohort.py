"""Synthetic IEJ cohort with known true effects: the demo dataset and the test bed of every estimator.

:func:`simulate_cohort` draws participants of the PON IEJ *volet déconcentré* in Nord-Pas-de-Calais
(calibrated on the 2015 regional evaluation report, domain.md A.2) and a comparison cohort of NEET
youths followed by the same missions locales, with monthly employment and training potential
outcomes. It returns the canonical tables (operations E.1, participations E.2, comparison E.3,
panel E.4), an analysis-ready person table and the *truth*: true ATT/ATE/ATC of each outcome and
true group-time effects ATT(g, t). Everything is vectorised (loops run over months, never over
persons) and deterministic for a seed: the CSV files written for a seed are byte-identical on the
lowest and the newest supported numpy and pandas (checked: numpy 1.26 with pandas 2.2, numpy 2.4 with
pandas 3.1); Parquet files hold the same values, with the string type and writer metadata of the
installed pyarrow.

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
(domain.md A.3 item 13). Age at entry is 16 + Binomial(9, p) for
ISCED 0-2 (17 + Binomial(8, p) for 3-4, 20 + Binomial(5, p) for 5+) with p = 0.40 for participants
and 0.47 for comparison youths, so every age is 16-25. Unemployment duration (UNEMPLOYED only;
0 for INACTIVE in ``persons``, null in E.2/E.3) is floor(Exp(1) * m * exp(0.25 z - 0.03125)),
capped at 36, with m = 8 months for participants and 5.5 for comparison youths. Territories
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
* ``operations`` (E.1): the 52 PON lines of annex 4 with its group totals (2 repérage lines, 20
  territorial missions locales + 1 GIP = 15 560 326 EUR / 12 314 youths, 22 associations with three
  targets "nc" (null), the 3 cooperatives IDF, CREFO, INSTEP, 3 firms and the CCAS), 2 PRF lines of
  the POR and 4 apprenticeship lines sharing the funding envelope ``POR-APPRENTISSAGE-2015``
  (amount and target null). Amounts within a group are split at random (seeded) so totals match.
* ``participations`` (E.2), extract of 31/12/2015: first operation by family (repérage 3 %, own
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
* ``comparison`` (E.3): source IMILO, eligible, never contaminated (no comparison youth ever enters
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
participants with ``panel="none"`` in about 16 s.

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

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.special import expit, ndtr, ndtri

from ..._validation import arguments_checked, check_choice, check_estimand, check_number, physical_memory
from ...errors import SpecificationError
from ...results import jsonable

__all__ = [
    "ADJUSTMENT_COVARIATES",
    "OUTCOMES",
    "PANEL_OUTCOMES",
    "SyntheticCohort",
    "simulate_cohort",
]

_FUNC = "simulate_cohort"

# ---------------------------------------------------------------------------------------------
# Calendar
# ---------------------------------------------------------------------------------------------
#: period p is the month _PERIOD_ORIGIN + p: period 1 = 2013-01, 13 = 2014-01, 36 = 2015-12
_PERIOD_ORIGIN = np.datetime64("2012-12", "M")
FIRST_ENTRY_PERIOD = 13
LAST_ENTRY_PERIOD = 36
#: date of the MDFSE / i-milo extracts (the report's reference date)
EXTRACT_DATE = np.datetime64("2015-12-31", "D")
#: period at which the calendar trend is zero (2015-01)
_TREND_CENTRE = 25
#: event times simulated whatever the panel settings (emp_months_pre12 and the outcomes need them)
_CORE = (-12, 18)
#: entries ramp up: weight of entry month k (k = 0 for 2014-01) is 1 / (1 + exp(-(k - 6) / 3))
_ENTRY_RAMP = {"midpoint_month_index": 6.0, "scale_months": 3.0}

# ---------------------------------------------------------------------------------------------
# Outcomes and covariates
# ---------------------------------------------------------------------------------------------
OUTCOMES: tuple[str, ...] = ("employed_6m", "employed_12m", "employed_18m", "training_6m", "training_12m")
PANEL_OUTCOMES: tuple[str, ...] = ("employed", "in_training")
_OUTCOME_SOURCE: dict[str, tuple[str, int]] = {
    "employed_6m": ("employed", 6),
    "employed_12m": ("employed", 12),
    "employed_18m": ("employed", 18),
    "training_6m": ("in_training", 6),
    "training_12m": ("in_training", 12),
}
_ESTIMANDS = ("ATT", "ATE", "ATC")

#: the covariates whose distribution differs between the arms AND that enter Y(0): adjusting for
#: all of them (with a flexible enough model) identifies every effect of the cohort
ADJUSTMENT_COVARIATES: tuple[str, ...] = (
    "female",
    "age",
    "isced_0_2",
    "isced_0_4",
    "jobless_household",
    "disability",
    "social_minima",
    "homeless",
    "qpv_resident",
    "rural",
    "unemployed_entry",
    "unemp_duration_months",
)

#: binary covariates: (share among participants, share among comparison youths, loading on the
#: latent disadvantage z). x = 1{loading * z + sqrt(1 - loading^2) * e > Phi^-1(1 - share)}, z, e ~ N(0, 1)
_BINARY_COVARIATES: dict[str, tuple[float, float, float]] = {
    "female": (0.436, 0.490, 0.0),
    "jobless_household": (0.202, 0.140, 0.5),
    "disability": (0.027, 0.018, 0.25),
    "social_minima": (0.053, 0.035, 0.5),
    "homeless": (0.033, 0.018, 0.45),
    "qpv_resident": (0.300, 0.220, 0.4),
    "rural": (0.140, 0.170, -0.2),
    "unemployed_entry": (0.720, 0.780, 0.0),
    "hh_dependent_children": (0.090, 0.070, 0.2),
    "hh_single_adult": (0.050, 0.040, 0.3),
}
#: ISCED level 0..8 distribution (report's correspondence: French level V inside CITE 0-2)
_ISCED_PMF: dict[str, tuple[float, ...]] = {
    # CITE 0-2 = 0.600, CITE 0-4 = 0.947 (report, NPdC participants)
    "participants": (0.040, 0.060, 0.500, 0.330, 0.017, 0.035, 0.015, 0.003, 0.0),
    # CITE 0-2 = 0.480, CITE 0-4 = 0.880
    "comparison": (0.030, 0.050, 0.400, 0.370, 0.030, 0.080, 0.035, 0.005, 0.0),
}
#: education latent = -loading * z + sqrt(1 - loading^2) * e, cut at the arm's ISCED quantiles
_EDUCATION_LOADING = 0.5
#: age at entry = min_age[ISCED group] + Binomial(25 - min_age, p[arm])
_AGE_MODEL: dict[str, dict[str, float]] = {
    "min_age_by_isced_group": {"0-2": 16, "3-4": 17, "5-8": 20},
    "binomial_p": {"participants": 0.40, "comparison": 0.47},
}
#: months of unemployment at entry (UNEMPLOYED only): floor(Exp(mean[arm] * exp(0.25 z - 0.25^2/2))), capped
_UNEMP_DURATION: dict[str, Any] = {"mean_months": {"participants": 8.0, "comparison": 5.5}, "loading": 0.25, "cap": 36}
#: national level from ISCED (the report's grouping; see domain.md A.3 item 13)
_NATIONAL_LEVEL = {0: "VI", 1: "VI", 3: "IV", 4: "IV", 5: "III", 6: "II", 7: "I", 8: "I"}
_ISCED2_VBIS_SHARE = 0.45  # ISCED 2 -> VBIS with this probability, else V
_N_TERRITORIES = 20

# ---------------------------------------------------------------------------------------------
# Outcome model (logit scale)
# ---------------------------------------------------------------------------------------------
_OUTCOME_MODEL: dict[str, dict[str, float]] = {
    "employed": {
        "intercept": -0.20,
        "female": -0.15,
        "age": 0.08,  # per year of age at the month, centred at 20
        "isced_0_2": -0.45,
        "isced_0_4": -0.35,
        "jobless_household": -0.30,
        "disability": -0.60,
        "social_minima": -0.35,
        "homeless": -0.50,
        "qpv_resident": -0.25,
        "rural": -0.10,
        "unemployed_entry": 0.20,
        "unemp_duration_months": -0.025,
        "sd_u": 0.70,
        "sd_territory": 0.15,
        "trend_per_year": 0.08,
        "ar1_rho": 0.60,
    },
    "in_training": {
        "intercept": -1.70,
        "female": 0.10,
        "age": -0.18,
        "isced_0_2": -0.20,
        "isced_0_4": 0.30,
        "jobless_household": -0.15,
        "disability": 0.20,
        "social_minima": -0.20,
        "homeless": -0.40,
        "qpv_resident": -0.10,
        "rural": -0.15,
        "unemployed_entry": 0.10,
        "unemp_duration_months": -0.010,
        "sd_u": 0.50,
        "sd_territory": 0.10,
        "trend_per_year": 0.0,
        "ar1_rho": 0.60,
    },
}
_EMPLOYMENT_SEASON_AMPLITUDE = 0.12  # amplitude * sin(2 pi (month_of_year - 4) / 12): peak in July
_TRAINING_SEASON = {"july_august": -0.30, "other_months": 0.06}  # sums to zero over a year
#: Ashenfelter dip: added to participants' employment logit at event times -3, -2, -1 (both Y(0) and Y(1))
_DIP: dict[int, float] = {-3: -0.40, -2: -0.80, -1: -1.20}
#: effect paths b(e) on the logit scale (multiplied by the person's heterogeneity factor h)
_EFFECT_PATHS: dict[str, dict[str, Any]] = {
    "employed": {"lock_in": {0: -0.30, 1: -0.22, 2: -0.10}, "plateau": 0.26, "growth_months": 4.0},
    "in_training": {"programme_months": 6, "in_programme": 1.10, "plateau": 0.25, "decay_months": 3.0},
}
#: h = cohort(g) * (1 + sum_k m_k * x_k) with x_k in {isced_0_2, jobless_household, female, age - 20};
#: cohort(g) = start + slope * (g - 13) / 23, i.e. 1.3 for January 2014 entrants down to 0.7 for December 2015
_HETEROGENEITY: dict[str, Any] = {
    "cohort": {"start": 1.30, "slope": -0.60},
    "employed": {"isced_0_2": 1.00, "jobless_household": 0.60, "female": -0.25, "age_minus_20": -0.10},
    "in_training": {"isced_0_2": 0.0, "jobless_household": 0.0, "female": 0.30, "age_minus_20": 0.0},
}

# ---------------------------------------------------------------------------------------------
# Administrative model (participations)
# ---------------------------------------------------------------------------------------------
#: programme duration in days = 30 + floor(335 * Beta(a, b)) (so every exit is within 12 months)
_DURATION = {"min_days": 30, "span_days": 335, "beta_a": 2.5, "beta_b": 1.5}
#: exit cells (block, exit_status_fr): shares of leavers. The report's 1 083 + 4 009 + 1 939 = 7 031
#: leavers of 7 040 are used as 1083/7040, 4009/7040, 1939/7040 and the 9 unaccounted for as INCONNU;
#: the positive exits (56.9 %) are split 31 % durable employment, 7 % other employment and 14 %
#: training/education as in the report, and the remaining 4.9 pp between business creation (1 %)
#: and apprenticeship (3.9 %).
_EXIT_CELLS: tuple[tuple[str, str, float], ...] = (
    ("EMPLOYMENT", "EMPLOI_DURABLE", 0.31),
    ("EMPLOYMENT", "EMPLOI_AUTRE", 0.07),
    ("EMPLOYMENT", "CREATION_ENTREPRISE", 0.01),
    ("EMPLOYMENT", "APPRENTISSAGE", 4009 / 7040 - 0.53),
    ("TRAINING", "FORMATION", 0.10),
    ("TRAINING", "ETUDES", 0.04),
    ("DROPOUT", "SANS_SOLUTION", 1083 / 7040 * 0.5),
    ("DROPOUT", "RECHERCHE_EMPLOI", 1083 / 7040 * 0.5),
    ("NO_SOLUTION", "RECHERCHE_EMPLOI", 1939 / 7040 * 0.7),
    ("NO_SOLUTION", "SANS_SOLUTION", 1939 / 7040 * 0.3),
    ("UNKNOWN", "INCONNU", 9 / 7040),
)
_EXIT_STATUS_EU = {
    "EMPLOI_DURABLE": "EMPLOYED",
    "EMPLOI_AUTRE": "EMPLOYED",
    "CREATION_ENTREPRISE": "SELF_EMPLOYED",
    "APPRENTISSAGE": "EDUCATION_TRAINING",
    "FORMATION": "EDUCATION_TRAINING",
    "ETUDES": "EDUCATION_TRAINING",
    "RECHERCHE_EMPLOI": "JOB_SEARCHING",
    "SANS_SOLUTION": "INACTIVE",
    "INCONNU": "UNKNOWN",
}
_EXIT_SCORE_NOISE = 0.7  # score = state in the month after exit + noise * U(0, 1)
_DROPOUT_FOR_JOB_SHARE = 0.15  # positive exits recorded as DROPOUT_FOR_JOB_OR_TRAINING
_OFFER_PROBABILITY = {"POSITIVE": 0.88, "NO_SOLUTION": 0.25, "DROPOUT": 0.05}
_QUALIFICATION_PROBABILITY = {"COMPLETED": 0.15, "OTHER": 0.02}
_PE_REGISTERED = {"UNEMPLOYED": 0.70, "INACTIVE": 0.10}
#: 6-month follow-up survey of leavers: inclusion probability by exit_status_eu (weight = 1 / p)
_SURVEY_INCLUSION = {
    "EMPLOYED": 0.25,
    "SELF_EMPLOYED": 0.50,
    "EDUCATION_TRAINING": 0.30,
    "JOB_SEARCHING": 0.40,
    "INACTIVE": 0.40,
    "UNKNOWN": 0.50,
}
#: first-participation operation families and their shares among participants
_OPERATION_FAMILIES: dict[str, float] = {
    "REPERAGE": 0.03,
    "ML_OWN_TERRITORY": 0.45,
    "ML_GIP": 0.02,
    "ASSOCIATION": 0.18,
    "COOPERATIVE": 0.20,
    "ENTREPRISE_CCAS": 0.04,
    "PRF": 0.04,
    "APPRENTISSAGE": 0.04,
}
_SECOND_PARTICIPATION_PROBABILITY = 0.8  # repérage leavers who go on to their mission locale
_SECOND_ENTRY_GAP_DAYS = (1, 45)


# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------
def _months(period: np.ndarray | int) -> np.ndarray:
    """Period index -> numpy datetime64[M]."""
    return _PERIOD_ORIGIN + np.asarray(period, dtype=np.int64)


def _month_start(period: np.ndarray | int) -> np.ndarray:
    """Period index -> first day of the month as datetime64[us] (pandas' default resolution)."""
    return _months(period).astype("datetime64[D]").astype("datetime64[us]")


def _month_of_year(period: np.ndarray) -> np.ndarray:
    return (np.asarray(period) - 1) % 12 + 1


def _ids(prefixes: Mapping[str, int], width: int = 7) -> pd.api.extensions.ExtensionArray:
    """'P0000001', ..., 'C0000001', ... as a pandas string array built without a Python loop."""
    parts = [prefix + pd.Series(np.arange(1, n + 1, dtype=np.int64)).astype("str").str.zfill(width)
             for prefix, n in prefixes.items()]
    return pd.concat(parts, ignore_index=True).astype("str").array


def _text(values: Any) -> pd.api.extensions.ExtensionArray:
    """A text column whose missing entries stay missing (never the strings 'None' or 'nan').

    ``astype("str")`` alone differs by pandas version: pandas 3 gives its ``str`` dtype with NaN for
    missing, pandas 2 gives object strings and writes None as 'None'. Masking afterwards keeps the
    missing entries missing on both (NaN in pandas 3's ``str``, None in pandas 2's object column, as
    pandas 2 reads them back from Parquet), so the written CSV and Parquet files hold the same values.
    """
    s = pd.Series(np.asarray(values, dtype=object), dtype=object)
    return s.astype("str").where(s.notna(), None).array


def _exp(x: np.ndarray | float) -> np.ndarray:
    """exp element by element with the C library's ``math.exp``.

    numpy's vectorised ``np.exp`` (and ``log``, ``log1p`` ...) differs in the last bit between numpy
    1.26 and 2.x, which changed the written cohort; ``math.exp`` does not depend on numpy's version.
    """
    a = np.asarray(x, dtype=float)
    return np.fromiter((math.exp(v) for v in a.ravel().tolist()), dtype=float, count=a.size).reshape(a.shape)


def _normalized(w: np.ndarray) -> np.ndarray:
    """w / sum(w) with the correctly rounded sum (math.fsum): numpy's summation order is version-dependent."""
    w = np.asarray(w, dtype=float)
    return w / math.fsum(w.tolist())


def _mean(x: np.ndarray) -> float:
    """Correctly rounded mean (math.fsum), the same on every numpy version."""
    return math.fsum(np.asarray(x, dtype=float).tolist()) / x.size


def _largest_remainder(n: int, shares: np.ndarray) -> np.ndarray:
    """Integer counts summing to n, as close as possible to n * shares (Hamilton's method)."""
    shares = _normalized(shares)
    raw = n * shares
    counts = np.floor(raw).astype(np.int64)
    short = n - int(counts.sum())
    if short > 0:
        counts[np.argsort(-(raw - counts), kind="stable")[:short]] += 1
    return counts


def _latent_binary(rng: np.random.Generator, z: np.ndarray, share: float, loading: float) -> np.ndarray:
    latent = loading * z + np.sqrt(1.0 - loading**2) * rng.standard_normal(z.size)
    return (latent > ndtri(1.0 - share)).astype(np.int8)


def _cohort_factor(g: np.ndarray) -> np.ndarray:
    c = _HETEROGENEITY["cohort"]
    return c["start"] + c["slope"] * (np.asarray(g, dtype=float) - FIRST_ENTRY_PERIOD) / (
        LAST_ENTRY_PERIOD - FIRST_ENTRY_PERIOD
    )


def _heterogeneity(kind: str, g: np.ndarray, cov: Mapping[str, np.ndarray]) -> np.ndarray:
    """Person-level effect multiplier h_i (entry cohort x education x household x sex x age)."""
    m = _HETEROGENEITY[kind]
    scale = (1.0 + m["isced_0_2"] * cov["isced_0_2"] + m["jobless_household"] * cov["jobless_household"]
             + m["female"] * cov["female"] + m["age_minus_20"] * (np.asarray(cov["age"], dtype=float) - 20.0))
    return _cohort_factor(g) * scale


def _effect_path(kind: str, e: np.ndarray | int) -> np.ndarray:
    """Effect b(e) on the logit scale at event time e (0 before entry: no anticipation)."""
    e = np.asarray(e, dtype=float)
    p = _EFFECT_PATHS[kind]
    if kind == "employed":
        lock = np.zeros_like(e)
        for month, value in p["lock_in"].items():
            lock = np.where(e == month, value, lock)
        n_lock = len(p["lock_in"])
        grow = p["plateau"] * (1.0 - _exp(-(e - (n_lock - 1)) / p["growth_months"]))
        out = np.where(e < n_lock, lock, grow)
    else:
        after = p["plateau"] + (p["in_programme"] - p["plateau"]) * _exp(
            -(e - (p["programme_months"] - 1)) / p["decay_months"]
        )
        out = np.where(e < p["programme_months"], p["in_programme"], after)
    return np.where(e < 0, 0.0, out)


def _dip(e: np.ndarray | int) -> np.ndarray:
    e = np.asarray(e)
    out = np.zeros(e.shape, dtype=float)
    for month, value in _DIP.items():
        out = np.where(e == month, value, out)
    return out


def _season(kind: str, period: np.ndarray) -> np.ndarray:
    moy = _month_of_year(period)
    if kind == "employed":
        return _EMPLOYMENT_SEASON_AMPLITUDE * np.sin(2.0 * np.pi * (moy - 4) / 12.0)
    return np.where((moy == 7) | (moy == 8), _TRAINING_SEASON["july_august"], _TRAINING_SEASON["other_months"])


def _calendar_term(kind: str, period: np.ndarray) -> np.ndarray:
    """Common calendar trend + seasonality at each period (computed once per distinct period)."""
    period = np.asarray(period, dtype=np.int64)
    lo, hi = int(period.min()), int(period.max())
    grid = np.arange(lo, hi + 1)
    table = _OUTCOME_MODEL[kind]["trend_per_year"] * (grid - _TREND_CENTRE) / 12.0 + _season(kind, grid)
    return table[period - lo]


def _logits(
    kind: str,
    index: np.ndarray,
    treated: np.ndarray,
    h: np.ndarray,
    g: np.ndarray,
    e: np.ndarray | int,
) -> tuple[np.ndarray, np.ndarray]:
    """Logits of p0 and p1 at event time e (scalar or array) for persons with time-invariant ``index``.

    ``index`` = intercept + beta'X + beta_age (age at entry - 20) + territory effect + u (module
    docstring, equation (1)); the calendar trend and seasonality at t = g + e, the ageing
    beta_age * e / 12, the dip (participants, employment) and the effect h * b(e) are added here.
    """
    m = _OUTCOME_MODEL[kind]
    l0 = index + _calendar_term(kind, g + np.asarray(e)) + m["age"] * np.asarray(e, dtype=float) / 12.0
    if kind == "employed":
        l0 = l0 + treated * _dip(e)
    l1 = l0 + h * _effect_path(kind, e)
    return l0, l1


def _person_index(kind: str, cov: Mapping[str, np.ndarray], territory: np.ndarray, territory_effect: np.ndarray,
                  u: np.ndarray) -> np.ndarray:
    m = _OUTCOME_MODEL[kind]
    out = m["intercept"] + m["age"] * (cov["age"] - 20.0) + territory_effect[territory] + u
    for name in ADJUSTMENT_COVARIATES:
        if name != "age":
            out = out + m[name] * cov[name]
    return out


def _draw_arm(rng: np.random.Generator, n: int, arm: str) -> dict[str, np.ndarray]:
    """Covariates of one arm ('participants' or 'comparison'), correlated through a latent z."""
    col = 0 if arm == "participants" else 1
    z = rng.standard_normal(n)
    cov: dict[str, np.ndarray] = {}
    for name, spec in _BINARY_COVARIATES.items():
        cov[name] = _latent_binary(rng, z, spec[col], spec[2])
    # education: an ordered latent cut at the arm's ISCED quantiles
    edu = -_EDUCATION_LOADING * z + np.sqrt(1.0 - _EDUCATION_LOADING**2) * rng.standard_normal(n)
    cuts = ndtri(np.clip(np.cumsum(_ISCED_PMF[arm])[:-1], 0.0, 1.0))
    isced = np.searchsorted(cuts, edu, side="right").astype(np.int64)
    cov["isced"] = isced
    cov["isced_0_2"] = (isced <= 2).astype(np.int8)
    cov["isced_0_4"] = (isced <= 4).astype(np.int8)
    group = np.where(isced <= 2, 0, np.where(isced <= 4, 1, 2))
    mins = _AGE_MODEL["min_age_by_isced_group"]
    min_age = np.array([mins["0-2"], mins["3-4"], mins["5-8"]], dtype=np.int64)[group]
    cov["age"] = min_age + rng.binomial(25 - min_age, _AGE_MODEL["binomial_p"][arm])
    mean = _UNEMP_DURATION["mean_months"][arm]
    a = _UNEMP_DURATION["loading"]
    dur = np.floor(rng.exponential(1.0, n) * mean * _exp(a * z - a * a / 2.0))
    dur = np.minimum(dur, _UNEMP_DURATION["cap"]).astype(np.int64)
    cov["unemp_duration_months"] = np.where(cov["unemployed_entry"] == 1, dur, 0)
    nat = np.empty(n, dtype=object)
    for level, code in _NATIONAL_LEVEL.items():
        nat[isced == level] = code
    is2 = isced == 2
    nat[is2] = np.where(rng.random(int(is2.sum())) < _ISCED2_VBIS_SHARE, "VBIS", "V")
    cov["national_level"] = nat
    return cov


def _entry_weights() -> np.ndarray:
    k = np.arange(LAST_ENTRY_PERIOD - FIRST_ENTRY_PERIOD + 1, dtype=float)
    w = 1.0 / (1.0 + _exp(-(k - _ENTRY_RAMP["midpoint_month_index"]) / _ENTRY_RAMP["scale_months"]))
    return _normalized(w)


def _draw_entry(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Entry period (13..36, ramping up) and entry date (uniform day within the month)."""
    period = FIRST_ENTRY_PERIOD + rng.choice(LAST_ENTRY_PERIOD - FIRST_ENTRY_PERIOD + 1, size=n, p=_entry_weights())
    start = _months(period).astype("datetime64[D]")
    days = ((_months(period) + 1).astype("datetime64[D]") - start).astype(np.int64)
    date = start + np.floor(rng.random(n) * days).astype(np.int64)
    return period.astype(np.int64), date


def _birth_dates(rng: np.random.Generator, entry: np.ndarray, age: np.ndarray) -> np.ndarray:
    """Birth dates such that the completed age at ``entry`` is exactly ``age`` (entries are 2014-2015)."""
    month = entry.astype("datetime64[M]")
    day = (entry - month.astype("datetime64[D]")).astype(np.int64)
    # same month and day, ``age`` (resp. age + 1) years earlier; entry days are never 29 February
    latest = (month - 12 * age).astype("datetime64[D]") + day
    earliest = (month - 12 * (age + 1)).astype("datetime64[D]") + day + 1
    span = (latest - earliest).astype(np.int64) + 1
    return earliest + np.floor(rng.random(entry.size) * span).astype(np.int64)


def _add_months(dates: np.ndarray, months: int) -> np.ndarray:
    m = dates.astype("datetime64[M]")
    day = (dates - m.astype("datetime64[D]")).astype(np.int64)
    target = m + months
    last = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(np.int64) - 1
    return target.astype("datetime64[D]") + np.minimum(day, last)


# ---------------------------------------------------------------------------------------------
# Operations (E.1), loosely calibrated on annexes 4 and 5 of the 2015 report
# ---------------------------------------------------------------------------------------------
_PON = ("PON_IEJ_DECONCENTRE", "DIRECCTE")
_POR = ("POR_FEDER_FSE_IEJ", "CONSEIL_REGIONAL")
_APPRENTICESHIP_GROUP = "POR-APPRENTISSAGE-2015"


def _build_operations(rng: np.random.Generator, territory_weights: np.ndarray) -> pd.DataFrame:
    """About 60 operations: the 52 PON lines of annex 4 (group totals kept exactly), 2 PRF lines and
    4 apprenticeship lines of the POR sharing one funding envelope (amount and target null)."""
    rows: list[dict[str, Any]] = []

    def add(family: str, name: str, otype: str, stage: str, action: str, amount: float | None, target: int | None,
            years: int, start: str, end: str, *, programme: tuple[str, str] = _PON, group: str | None = None,
            estimate: bool = False, territory: str | None = None, title: str | None = None) -> None:
        rows.append({
            "programme": programme[0], "managing_authority": programme[1], "region_code": "31",
            "region_code_vintage": 2015, "operator_name": name, "operator_id": None, "operator_type": otype,
            "stage": stage, "action_type": action,
            "title": title or {"REPERAGE": "Repérage des jeunes NEET", "ACCOMPAGNEMENT": "Accompagnement renforcé",
                               "QUALIFICATION_PREQUALIFICATION": "Programme régional de formation",
                               "APPRENTISSAGE": "Sas préparatoire à l'apprentissage"}[action],
            "amount_fse_iej": amount, "funding_group_id": group, "target_participants": target,
            "target_is_estimate": estimate, "target_years": years, "start_date": start, "end_date": end,
            "family": family, "territory_id": territory,
        })

    def split(total: int, n: int, concentration: float = 8.0, weights: np.ndarray | None = None) -> np.ndarray:
        w = rng.dirichlet(np.full(n, concentration)) if weights is None else weights * rng.lognormal(0, 0.2, n)
        return _largest_remainder(total, w)

    add("REPERAGE", "GIP FCIP (plates-formes de suivi et d'appui aux décrocheurs)", "GIP", "REPERAGE", "REPERAGE",
        1_298_429, 11_000, 2, "2014-01-01", "2015-12-31")
    add("REPERAGE", "Passeport Formation", "ASSOCIATION", "REPERAGE", "REPERAGE", 167_094, 150, 2,
        "2014-01-01", "2015-12-31")
    # 21 mission-locale type lines: 15 560 326 EUR / 12 314 youths; 20 territorial MLs + 1 GIP
    w = np.append(territory_weights, np.mean(territory_weights))
    amounts, targets = split(15_560_326, 21, weights=w), split(12_314, 21, weights=w)
    for i in range(_N_TERRITORIES):
        tid = f"ML{i + 1:02d}"
        add("ML_OWN_TERRITORY", f"Mission locale {tid}", "MISSION_LOCALE", "ACCOMPAGNEMENT", "ACCOMPAGNEMENT",
            int(amounts[i]), int(targets[i]), 2, "2014-01-01", "2015-12-31", territory=tid)
    add("ML_GIP", "GIP insertion des jeunes (type mission locale)", "GIP", "ACCOMPAGNEMENT", "ACCOMPAGNEMENT",
        int(amounts[-1]), int(targets[-1]), 2, "2014-01-01", "2015-12-31")
    # 22 associations: 10 415 120 EUR / 8 449 youths; three targets "nc" (null)
    nc = [("ACEP", 313_533), ("Association Loi 1901", 80_336), ("AAE Profil", 160_205)]
    rest = 10_415_120 - sum(a for _, a in nc)
    amounts, targets = split(rest, 19), split(8_449, 19)
    for i in range(19):
        add("ASSOCIATION", f"Association d'insertion {i + 1:02d}", "ASSOCIATION", "ACCOMPAGNEMENT", "ACCOMPAGNEMENT",
            int(amounts[i]), int(targets[i]), 2, "2014-01-01", "2015-12-31")
    for name, amount in nc:
        add("ASSOCIATION", name, "ASSOCIATION", "ACCOMPAGNEMENT", "ACCOMPAGNEMENT", amount, None, 2,
            "2014-01-01", "2015-12-31")
    for name, amount, target in (("IDF", 6_084_812, 37_394), ("SCOP CREFO", 1_709_606, 990),
                                 ("INSTEP", 1_885_828, 700)):
        add("COOPERATIVE", name, "COOPERATIVE", "ACCOMPAGNEMENT", "ACCOMPAGNEMENT", amount, target, 3,
            "2014-01-01", "2016-12-31")
    amounts, targets = split(1_610_489 - 216_835, 3), split(1_540 - 920, 3)
    for i, name in enumerate(("Campus Pro", "COEF3", "POP")):
        add("ENTREPRISE_CCAS", name, "ENTREPRISE", "ACCOMPAGNEMENT", "ACCOMPAGNEMENT", int(amounts[i]),
            int(targets[i]), 2, "2014-01-01", "2015-12-31")
    add("ENTREPRISE_CCAS", "CCAS Carvin", "ETABLISSEMENT_PUBLIC", "ACCOMPAGNEMENT", "ACCOMPAGNEMENT", 216_835, 920, 2,
        "2014-01-01", "2015-12-31")
    # POR (annex 5): PRF lines and the apprenticeship call (one envelope shared by 41 operators)
    add("PRF", "Conseil régional - PRF 2014-2015", "COLLECTIVITE", "FORMATION_INSERTION",
        "QUALIFICATION_PREQUALIFICATION", 7_520_000, 945, 1, "2014-01-01", "2015-12-31", programme=_POR)
    add("PRF", "Conseil régional - PRF 2015-2016", "COLLECTIVITE", "FORMATION_INSERTION",
        "QUALIFICATION_PREQUALIFICATION", 7_900_000, 1_000, 1, "2015-07-01", "2016-12-31", programme=_POR,
        estimate=True)
    for name, otype in (("CFA BTP", "CFA"), ("CRMA", "CHAMBRE_CONSULAIRE"), ("E2C Grand Lille", "E2C"),
                        ("Association sas apprentissage", "ASSOCIATION")):
        add("APPRENTISSAGE", name, otype, "FORMATION_INSERTION", "APPRENTISSAGE", None, None, 3,
            "2014-01-01", "2016-12-31", programme=_POR, group=_APPRENTICESHIP_GROUP)
    ops = pd.DataFrame(rows)
    ops.insert(0, "operation_id", [f"OP{i + 1:03d}" for i in range(len(ops))])
    ops["amount_fse_iej"] = ops["amount_fse_iej"].astype("float64")
    ops["target_participants"] = ops["target_participants"].astype("Int64")
    ops["target_years"] = ops["target_years"].astype("int64")
    ops["target_is_estimate"] = ops["target_is_estimate"].astype(bool)
    for c in ("start_date", "end_date"):
        ops[c] = pd.to_datetime(ops[c]).astype("datetime64[us]")
    ops["source"] = "MDFSE"
    ops["extract_date"] = pd.Timestamp(str(EXTRACT_DATE)).as_unit("us")
    return ops


# ---------------------------------------------------------------------------------------------
# The monthly outcome simulation (one pass over event times, vectorised over persons)
# ---------------------------------------------------------------------------------------------
@dataclass
class _Latent:
    """Person-level arrays of the outcome model (all persons; participants first)."""

    treated: np.ndarray
    g: np.ndarray  # entry (participants) or pseudo-entry (comparison) period
    index: dict[str, np.ndarray]
    h: dict[str, np.ndarray]


def _simulate_months(
    lat: _Latent,
    rngs: tuple[np.random.Generator, np.random.Generator, np.random.Generator],
    *,
    e_range: tuple[int, int],
    gt_rule: tuple[str, int, int],
    gt_span: tuple[int, int],
    panel: str,
    exit_k: np.ndarray,
) -> dict[str, Any]:
    """Simulate p0, p1 and the realised y0, y1 month by month and record what the tables need.

    The uniforms are U_it = Phi(eps_it) with eps an AR(1) Gaussian chain per person and outcome,
    anchored at event time 0 and run forwards and backwards (a stationary AR(1) is reversible).
    Draws for event times in the core window come from ``core`` in a fixed order, draws outside it
    from ``fwd`` / ``bwd``, so the core (hence ``persons``) does not depend on the panel settings.
    """
    r_core, r_fwd, r_bwd = rngs
    n = lat.treated.size
    n1 = exit_k.size
    treated_b = lat.treated.astype(bool)
    kinds = PANEL_OUTCOMES
    rho = np.array([[_OUTCOME_MODEL[k]["ar1_rho"]] for k in kinds])
    shock_sd = np.sqrt(1.0 - rho**2)
    out: dict[str, Any] = {
        "emp_pre12": np.zeros(n, dtype=np.int64),
        "po": {},
        "exit_next": {k: np.zeros(n1, dtype=np.int8) for k in kinds},
        "exit_6m": {k: np.zeros(n1, dtype=np.int8) for k in kinds},
    }
    wanted = {(src, e): o for o, (src, e) in _OUTCOME_SOURCE.items()}
    cohorts = LAST_ENTRY_PERIOD - FIRST_ENTRY_PERIOD + 1
    width = gt_span[1] - gt_span[0] + 1
    gt_sum = {k: np.zeros(cohorts * width) for k in kinds}
    gt_n = np.zeros(cohorts * width, dtype=np.int64)
    g1 = lat.g[treated_b]
    rule, lo, hi = gt_rule
    if panel == "window":
        store = {k: np.zeros((hi - lo + 1, n), dtype=np.int8) for k in kinds}
    elif panel == "balanced":
        store = {k: np.zeros((width, n), dtype=np.int8) for k in kinds}
    else:
        store = {}
    out["store"] = store

    def step(e: int, eps: np.ndarray) -> None:
        u = ndtr(eps)
        gt_mask = None
        if rule == "event":
            in_gt = lo <= e <= hi
        else:
            t1 = g1 + e
            gt_mask = (t1 >= gt_span[0]) & (t1 <= gt_span[1])
            in_gt = bool(gt_mask.any())
        if in_gt:
            flat = (g1 - FIRST_ENTRY_PERIOD) * width + (g1 + e - gt_span[0])
            sel = np.ones(g1.size, dtype=bool) if gt_mask is None else gt_mask
            gt_n[:] += np.bincount(flat[sel], minlength=cohorts * width)
        at_next, at_6m = exit_k + 1 == e, exit_k + 6 == e
        for j, kind in enumerate(kinds):
            l0, l1 = _logits(kind, lat.index[kind], lat.treated, lat.h[kind], lat.g, e)
            p0 = expit(l0)
            p1 = expit(l1) if e >= 0 else p0
            y0 = u[j] < p0
            y1 = u[j] < p1 if e >= 0 else y0
            yobs = np.where(treated_b, y1, y0).astype(np.int8)
            if kind == "employed" and -12 <= e <= -1:
                out["emp_pre12"] += yobs
            name = wanted.get((kind, e))
            if name is not None:
                out["po"][name] = (p0, p1, y0.astype(np.int8), y1.astype(np.int8))
            out["exit_next"][kind][at_next] = yobs[:n1][at_next]
            out["exit_6m"][kind][at_6m] = yobs[:n1][at_6m]
            if in_gt:
                diff = (p1 - p0)[treated_b]
                gt_sum[kind] += np.bincount(flat[sel], weights=diff[sel], minlength=cohorts * width)
            if panel == "window" and lo <= e <= hi:
                store[kind][e - lo] = yobs
            elif panel == "balanced":
                t = lat.g + e
                ok = (t >= gt_span[0]) & (t <= gt_span[1])
                store[kind][t[ok] - gt_span[0], np.flatnonzero(ok)] = yobs[ok]

    e_lo, e_hi = e_range
    eps = r_core.standard_normal((2, n))
    anchor = eps.copy()
    step(0, eps)
    for e in range(1, e_hi + 1):
        z = (r_core if e <= _CORE[1] else r_fwd).standard_normal((2, n))
        eps = rho * eps + shock_sd * z
        step(e, eps)
    eps = anchor
    for e in range(-1, e_lo - 1, -1):
        z = (r_core if e >= _CORE[0] else r_bwd).standard_normal((2, n))
        eps = rho * eps + shock_sd * z
        step(e, eps)

    rows = []
    g_grid = np.repeat(np.arange(FIRST_ENTRY_PERIOD, LAST_ENTRY_PERIOD + 1), width)
    t_grid = np.tile(np.arange(gt_span[0], gt_span[1] + 1), cohorts)
    keep = gt_n > 0
    for kind in kinds:
        rows.append(pd.DataFrame({
            "outcome": kind,
            "group": g_grid[keep].astype(np.int64),
            "time": t_grid[keep].astype(np.int64),
            "event_time": (t_grid - g_grid)[keep].astype(np.int64),
            "att": gt_sum[kind][keep] / gt_n[keep],
            "n": gt_n[keep].astype(np.int64),
        }))
    out["group_time"] = pd.concat(rows, ignore_index=True)
    return out


# ---------------------------------------------------------------------------------------------
# Participations (E.2): operations, exits, offers, 6-month survey
# ---------------------------------------------------------------------------------------------
def _assign_operations(rng: np.random.Generator, ops: pd.DataFrame, territory: np.ndarray,
                       entry: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Operation row index and family of each participant's first participation."""
    fam_names = list(_OPERATION_FAMILIES)
    fam = rng.choice(len(fam_names), size=territory.size, p=np.array(list(_OPERATION_FAMILIES.values())))
    op = np.full(territory.size, -1, dtype=np.int64)
    target = ops["target_participants"].astype("float64").to_numpy()
    target = np.where(np.isnan(target), np.nanmedian(target[ops["family"].to_numpy() == "ASSOCIATION"]), target)
    for j, name in enumerate(fam_names):
        m = fam == j
        rows = np.flatnonzero(ops["family"].to_numpy() == name)
        if name == "ML_OWN_TERRITORY":
            by_territory = {int(ops["territory_id"].iloc[r][2:]) - 1: r for r in rows}
            lookup = np.array([by_territory[i] for i in range(_N_TERRITORIES)])
            op[m] = lookup[territory[m]]
        elif name == "PRF":
            op[m] = np.where(entry[m] < np.datetime64("2015-07-01"), rows[0], rows[1])
        else:
            w = np.ones(rows.size) if name == "APPRENTISSAGE" else target[rows]
            op[m] = rows[rng.choice(rows.size, size=int(m.sum()), p=_normalized(w))]
    return op, np.array(fam_names, dtype=object)[fam]


def _assign_exit_cells(rng: np.random.Generator, emp_next: np.ndarray, train_next: np.ndarray) -> np.ndarray:
    """Exit cell (index into _EXIT_CELLS) of each leaver: exact counts, coherent with the register.

    Counts per cell are n * share rounded by largest remainders. Employment exits go to the leavers
    ranked highest on employed-next-month + noise, training exits to the next on in-training + noise,
    the rest (drop-outs, no solution, unknown) at random.
    """
    n = emp_next.size
    shares = np.array([c[2] for c in _EXIT_CELLS])
    counts = _largest_remainder(n, shares)
    blocks = np.array([c[0] for c in _EXIT_CELLS])
    cells = np.arange(len(_EXIT_CELLS))
    labels = np.empty(n, dtype=np.int64)
    order = np.argsort(-(emp_next + _EXIT_SCORE_NOISE * rng.random(n)), kind="stable")
    k_emp = int(counts[blocks == "EMPLOYMENT"].sum())
    emp_rows, rest = order[:k_emp], order[k_emp:]
    rest = rest[np.argsort(-(train_next[rest] + _EXIT_SCORE_NOISE * rng.random(rest.size)), kind="stable")]
    k_tr = int(counts[blocks == "TRAINING"].sum())
    tr_rows, other_rows = rest[:k_tr], rest[k_tr:]
    for rows_, block in ((emp_rows, ("EMPLOYMENT",)), (tr_rows, ("TRAINING",)),
                         (other_rows, ("DROPOUT", "NO_SOLUTION", "UNKNOWN"))):
        sel = np.isin(blocks, block)
        labels[rows_] = rng.permutation(np.repeat(cells[sel], counts[sel]))
    return labels


def _exit_fields(rng: np.random.Generator, cell: np.ndarray, exit_date: np.ndarray) -> dict[str, np.ndarray]:
    """exit_reason, statuses, status date, offer, qualification for leavers in the given cells."""
    n = cell.size
    block = np.array([c[0] for c in _EXIT_CELLS], dtype=object)[cell]
    fr = np.array([c[1] for c in _EXIT_CELLS], dtype=object)[cell]
    eu = np.array([_EXIT_STATUS_EU[c[1]] for c in _EXIT_CELLS], dtype=object)[cell]
    positive = (block == "EMPLOYMENT") | (block == "TRAINING")
    reason = np.where(block == "DROPOUT", "DROPOUT", np.where(block == "UNKNOWN", "OTHER", "COMPLETED")).astype(object)
    early = positive & (rng.random(n) < _DROPOUT_FOR_JOB_SHARE)
    reason[early] = "DROPOUT_FOR_JOB_OR_TRAINING"
    status_date = exit_date + rng.integers(0, 29, size=n)
    p_offer = np.where(positive, _OFFER_PROBABILITY["POSITIVE"],
                       np.where(block == "NO_SOLUTION", _OFFER_PROBABILITY["NO_SOLUTION"],
                                _OFFER_PROBABILITY["DROPOUT"]))
    offer = rng.random(n) < p_offer
    offer_known = block != "UNKNOWN"
    offer_type = np.full(n, None, dtype=object)
    emp_like = np.isin(fr, ["EMPLOI_DURABLE", "EMPLOI_AUTRE", "CREATION_ENTREPRISE"])
    offer_type[offer & emp_like] = "EMPLOYMENT"
    offer_type[offer & np.isin(fr, ["FORMATION", "ETUDES"])] = "CONTINUED_EDUCATION"
    offer_type[offer & (fr == "APPRENTISSAGE")] = "APPRENTICESHIP"
    other = offer & ~positive & offer_known
    pick = rng.choice(3, size=n, p=[0.5, 0.3, 0.2])
    offer_type[other] = np.array(["EMPLOYMENT", "TRAINEESHIP", "CONTINUED_EDUCATION"], dtype=object)[pick[other]]
    offer_type[~offer_known] = None
    p_q = np.where(reason == "COMPLETED", _QUALIFICATION_PROBABILITY["COMPLETED"], _QUALIFICATION_PROBABILITY["OTHER"])
    qualification = rng.random(n) < p_q
    return {"exit_reason": reason, "exit_status_fr": fr, "exit_status_eu": eu, "exit_status_date": status_date,
            "offer": offer, "offer_known": offer_known, "offer_type": offer_type, "qualification": qualification,
            "block": block}


def _status_6m(rng: np.random.Generator, emp: np.ndarray, train: np.ndarray, fr: np.ndarray) -> np.ndarray:
    n = emp.size
    out = np.where(rng.random(n) < 0.75, "UNEMPLOYED", "INACTIVE").astype(object)
    tr_only = (train == 1) & (emp == 0)
    out[tr_only] = np.where(rng.random(int(tr_only.sum())) < 0.7, "QUALIFYING_TRAINING", "EDUCATION")
    out[(emp == 1) & (train == 0)] = "EMPLOYED"
    out[(emp == 1) & (train == 0) & (fr == "CREATION_ENTREPRISE")] = "SELF_EMPLOYED"
    out[(emp == 1) & (train == 1)] = "APPRENTICESHIP"
    return out


def _nullable_bool(values: np.ndarray, known: np.ndarray) -> pd.arrays.BooleanArray:
    return pd.arrays.BooleanArray(np.asarray(values, dtype=bool), ~np.asarray(known, dtype=bool))


def _nullable_int(values: np.ndarray, known: np.ndarray) -> pd.arrays.IntegerArray:
    return pd.arrays.IntegerArray(np.asarray(values, dtype=np.int64), ~np.asarray(known, dtype=bool))


# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SyntheticCohort:
    """The synthetic IEJ cohort: canonical tables, an analysis-ready person table and the truth.

    Attributes
    ----------
    persons : one row per person (participants ``P...`` then comparison youths ``C...``), analysis-ready:
        entry dates and periods, covariates, ``emp_months_pre12`` and the observed outcomes
        ``employed_6m/12m/18m``, ``training_6m/12m``.
    participations : canonical table E.2 (participants only, extract of 31/12/2015; about 2 % of the
        participants have a second participation).
    operations : canonical table E.1 (annex 4 lines, PRF lines, apprenticeship lines sharing one envelope).
    comparison : canonical table E.3 (i-milo style comparison cohort).
    panel : person x month table E.4 (``None`` when ``panel="none"``).
    truth : true effects: ``outcome, estimand, value, value_realized, n, definition``.
    group_time : true ATT(g, t) of the panel outcomes: ``outcome, group, time, event_time, att, n``.
    potential_outcomes : ``person_id, treated, index_employed, index_training`` and, for every outcome,
        ``p0_<o>, p1_<o>, y0_<o>, y1_<o>``.
    params : every parameter of the data-generating process (JSON-safe), for provenance.
    """

    persons: pd.DataFrame
    participations: pd.DataFrame
    operations: pd.DataFrame
    comparison: pd.DataFrame
    panel: pd.DataFrame | None
    truth: pd.DataFrame
    group_time: pd.DataFrame
    potential_outcomes: pd.DataFrame
    params: Mapping[str, object] = field(repr=False)

    def __repr__(self) -> str:
        n1 = int(self.persons["treated"].sum())
        rows = "none" if self.panel is None else f"{len(self.panel)} rows"
        return (f"SyntheticCohort(participants={n1}, comparison={len(self.persons) - n1}, "
                f"participations={len(self.participations)}, panel={rows}, seed={self.params.get('seed')})")

    def true_effect(self, outcome: str, estimand: str = "ATT") -> float:
        """The true effect (mean of p1 - p0 over the estimand's population) of one outcome.

        Parameters
        ----------
        outcome : one of ``employed_6m, employed_12m, employed_18m, training_6m, training_12m``.
        estimand : ``"ATT"`` (participants), ``"ATC"`` (comparison youths) or ``"ATE"`` (everyone).
        """
        func = "SyntheticCohort.true_effect"
        check_choice("outcome", outcome, OUTCOMES, func)
        est = check_estimand(estimand, func)
        hit = self.truth[(self.truth["outcome"] == outcome) & (self.truth["estimand"] == est)]
        return float(hit["value"].iloc[0])

    def panel_probabilities(self) -> pd.DataFrame:
        """p0 and p1 of ``employed`` and ``in_training`` for every panel row (same row order).

        Recomputed from ``persons``, the person-level indices in ``potential_outcomes`` and the
        outcome model, so ``group_time`` can be checked against the panel.
        """
        if self.panel is None:
            raise SpecificationError(
                "SyntheticCohort.panel_probabilities(): this cohort has no panel (panel='none'); "
                "simulate it with panel='window' or panel='balanced'."
            )
        pid = self.panel["person_id"]
        ids = pd.Index(self.persons["person_id"])
        if isinstance(pid.dtype, pd.CategoricalDtype) and pid.cat.categories.equals(ids):
            idx = pid.cat.codes.to_numpy().astype(np.int64)
        else:
            idx = ids.get_indexer(pid)
        po = self.potential_outcomes
        treated = self.persons["treated"].to_numpy()[idx].astype(float)
        g = self.persons["entry_period"].to_numpy()[idx].astype(np.int64)
        cov = {c: self.persons[c].to_numpy()[idx].astype(float)
               for c in ("isced_0_2", "jobless_household", "female", "age")}
        e = self.panel["event_time"].to_numpy().astype(np.int64)
        out = {"person_id": pid.to_numpy(), "period": self.panel["period"].to_numpy(), "event_time": e}
        for kind in PANEL_OUTCOMES:
            index = po[f"index_{kind.replace('in_', '')}"].to_numpy()[idx]
            h = _heterogeneity(kind, g, cov)
            l0, l1 = _logits(kind, index, treated, h, g, e)
            out[f"p0_{kind}"] = expit(l0)
            out[f"p1_{kind}"] = expit(l1)
        return pd.DataFrame(out)

    def write(self, directory: str | Path, *, format: Literal["csv", "parquet"] = "csv") -> dict[str, Path]:
        """Write one file per table plus ``truth.json``; same seed, same bytes.

        Files: ``persons, participations, operations, comparison, panel`` (when simulated),
        ``truth, group_time, potential_outcomes`` as ``.csv`` (UTF-8, ISO dates, ``\\n`` line ends) or
        ``.parquet``, and ``truth.json`` (true effects and every DGP parameter, plain JSON).
        Returns the path of each file by table name (``truth_json`` for the JSON file).
        """
        check_choice("format", format, ("csv", "parquet"), "SyntheticCohort.write")
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        tables = {
            "persons": self.persons, "participations": self.participations, "operations": self.operations,
            "comparison": self.comparison, "panel": self.panel, "truth": self.truth,
            "group_time": self.group_time, "potential_outcomes": self.potential_outcomes,
        }
        paths: dict[str, Path] = {}
        for name, frame in tables.items():
            if frame is None:
                continue
            path = out / f"{name}.{format}"
            if format == "csv":
                frame.to_csv(path, index=False, lineterminator="\n", date_format="%Y-%m-%d", encoding="utf-8")
            else:
                frame.to_parquet(path, index=False, engine="pyarrow")
            paths[name] = path
        doc = {
            "description": "True effects of the synthetic IEJ cohort (iej_impact.simulate_cohort); "
                           "value = mean of p1 - p0 over the estimand's population.",
            "seed": self.params.get("seed"),
            "truth": jsonable(self.truth),
            "params": jsonable(self.params),
        }
        path = out / "truth.json"
        path.write_text(json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
        paths["truth_json"] = path
        return paths


#: memory budget per simulated person and per panel row (about 4 times what the simulation itself
#: takes, for the tables, their copies and the work arrays of a run on them)
_BYTES_PER_PERSON, _BYTES_PER_PANEL_ROW = 2 * 2**10, 320


def _bytes_per_person(panel: str = "window", months_before: int = 12, months_after: int = 18) -> int:
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
    n = n1 + n0

    r_design, r_persons, r_admin, r_core, r_fwd, r_bwd = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed_).spawn(6)
    )
    # design: territories and their effects, operations
    territory_weights = r_design.dirichlet(np.full(_N_TERRITORIES, 4.0))
    territory_effect = {k: r_design.normal(0.0, _OUTCOME_MODEL[k]["sd_territory"], _N_TERRITORIES)
                        for k in PANEL_OUTCOMES}
    ops = _build_operations(r_design, territory_weights)

    # persons: covariates by arm, (pseudo-)entry, territory, unobserved effects, birth dates
    c1, c0 = _draw_arm(r_persons, n1, "participants"), _draw_arm(r_persons, n0, "comparison")
    cov = {k: np.concatenate([c1[k], c0[k]]) for k in c1}
    g, entry = _draw_entry(r_persons, n)
    territory = r_persons.choice(_N_TERRITORIES, size=n, p=territory_weights)
    u = {k: r_persons.normal(0.0, _OUTCOME_MODEL[k]["sd_u"], n) for k in PANEL_OUTCOMES}
    birth = _birth_dates(r_persons, entry, cov["age"])
    treated = np.concatenate([np.ones(n1, dtype=np.int8), np.zeros(n0, dtype=np.int8)])
    lat = _Latent(
        treated=treated,
        g=g,
        index={k: _person_index(k, cov, territory, territory_effect[k], u[k]) for k in PANEL_OUTCOMES},
        h={k: _heterogeneity(k, g, cov) for k in PANEL_OUTCOMES},
    )

    # programme durations (drawn before the outcomes: the exit month locates the exit-status month)
    d = _DURATION
    dur = d["min_days"] + np.floor(d["span_days"] * r_admin.beta(d["beta_a"], d["beta_b"], n1)).astype(np.int64)
    exit_date = entry[:n1] + dur
    exit_k = (exit_date.astype("datetime64[M]") - entry[:n1].astype("datetime64[M]")).astype(np.int64)

    if panel == "balanced":
        gt_span = (FIRST_ENTRY_PERIOD - mb, LAST_ENTRY_PERIOD + ma)
        e_range = (min(_CORE[0], gt_span[0] - LAST_ENTRY_PERIOD), max(_CORE[1], gt_span[1] - FIRST_ENTRY_PERIOD))
        gt_rule = ("calendar", gt_span[0], gt_span[1])
    else:
        gt_span = (FIRST_ENTRY_PERIOD - mb, LAST_ENTRY_PERIOD + ma)
        e_range = (min(_CORE[0], -mb), max(_CORE[1], ma))
        gt_rule = ("event", -mb, ma)
    sim = _simulate_months(lat, (r_core, r_fwd, r_bwd), e_range=e_range, gt_rule=gt_rule, gt_span=gt_span,
                           panel=panel, exit_k=exit_k)

    person_id = _ids({"P": n1, "C": n0})
    territory_id = np.array([f"ML{i + 1:02d}" for i in range(_N_TERRITORIES)], dtype=object)[territory]

    # participations and operations
    parts, first_op, n_parts = _participations(r_admin, ops, person_id, cov, territory, territory_id, entry, birth,
                                               exit_date, sim, n1)
    operations = ops.drop(columns=["family"])

    persons = _persons_frame(person_id, treated, entry, g, cov, territory_id, sim, ops, first_op, n_parts, n1)
    comparison = _comparison_frame(person_id[n1:], entry[n1:], cov, territory_id[n1:], birth[n1:],
                                   sim["emp_pre12"][n1:], n1)
    truth, po = _truth_tables(person_id, treated, lat, sim["po"])
    panel_df = None if panel == "none" else _panel_frame(sim["store"], panel, person_id, treated, g, cov,
                                                          territory_id, mb, ma, gt_span)
    params = _params(seed_, n1, n0, ratio, panel, mb, ma, territory_weights, territory_effect)
    return SyntheticCohort(persons=persons, participations=parts, operations=operations, comparison=comparison,
                           panel=panel_df, truth=truth, group_time=sim["group_time"], potential_outcomes=po,
                           params=params)


# ---------------------------------------------------------------------------------------------
# Table builders
# ---------------------------------------------------------------------------------------------
def _dates(values: np.ndarray, known: np.ndarray | None = None) -> np.ndarray:
    out = np.asarray(values).astype("datetime64[D]").astype("datetime64[us]")
    if known is not None:
        out = np.where(known, out, np.datetime64("NaT", "us"))
    return out


def _participations(
    rng: np.random.Generator,
    ops: pd.DataFrame,
    person_id: pd.api.extensions.ExtensionArray,
    cov: Mapping[str, np.ndarray],
    territory: np.ndarray,
    territory_id: np.ndarray,
    entry: np.ndarray,
    birth: np.ndarray,
    exit_date: np.ndarray,
    sim: Mapping[str, Any],
    n1: int,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Canonical participations (E.2) as of the 31/12/2015 extract."""
    op1, family = _assign_operations(rng, ops, territory[:n1], entry[:n1])
    pe_registered = rng.random(n1) < np.where(cov["unemployed_entry"][:n1] == 1, _PE_REGISTERED["UNEMPLOYED"],
                                              _PE_REGISTERED["INACTIVE"])
    exited = exit_date <= EXTRACT_DATE
    leavers = np.flatnonzero(exited)
    cell1 = np.full(n1, -1, dtype=np.int64)
    cell1[leavers] = _assign_exit_cells(rng, sim["exit_next"]["employed"][leavers].astype(float),
                                        sim["exit_next"]["in_training"][leavers].astype(float))
    # a few repérage leavers go on to the mission locale of their territory (a second participation)
    gap = rng.integers(_SECOND_ENTRY_GAP_DAYS[0], _SECOND_ENTRY_GAP_DAYS[1] + 1, size=n1)
    entry2_all = exit_date + gap
    second = ((family == "REPERAGE") & exited & (entry2_all <= EXTRACT_DATE)
              & (rng.random(n1) < _SECOND_PARTICIPATION_PROBABILITY))
    i2 = np.flatnonzero(second)
    fam = ops["family"].to_numpy()
    ml_rows = np.flatnonzero(fam == "ML_OWN_TERRITORY")
    ml_lookup = np.empty(_N_TERRITORIES, dtype=np.int64)
    ml_lookup[[int(t[2:]) - 1 for t in ops["territory_id"].to_numpy()[ml_rows]]] = ml_rows
    d = _DURATION
    dur2 = d["min_days"] + np.floor(d["span_days"] * rng.beta(d["beta_a"], d["beta_b"], i2.size)).astype(np.int64)
    entry2 = entry2_all[i2]
    exit2 = entry2 + dur2
    exited2 = exit2 <= EXTRACT_DATE
    shares = np.array([c[2] for c in _EXIT_CELLS])
    cell2 = np.where(exited2, rng.choice(len(_EXIT_CELLS), size=i2.size, p=_normalized(shares)), -1)

    pidx = np.concatenate([np.arange(n1), i2])
    first = np.concatenate([np.ones(n1, dtype=bool), np.zeros(i2.size, dtype=bool)])
    p_entry = np.concatenate([entry[:n1], entry2])
    p_exit = np.concatenate([exit_date, exit2])
    p_exited = np.concatenate([exited, exited2])
    p_op = np.concatenate([op1, ml_lookup[territory[i2]]])
    p_cell = np.concatenate([cell1, cell2])
    m = pidx.size
    ex = np.flatnonzero(p_exited)
    ef = _exit_fields(rng, p_cell[ex], p_exit[ex])

    def on_leavers(values: np.ndarray, fill: object = None) -> np.ndarray:
        out = np.full(m, fill, dtype=object)
        out[ex] = values
        return out

    offer = np.zeros(m, dtype=bool)
    offer[ex] = ef["offer"]
    offer_known = np.zeros(m, dtype=bool)
    offer_known[ex] = ef["offer_known"]
    qual = np.zeros(m, dtype=bool)
    qual[ex] = ef["qualification"]
    status_date = np.full(m, np.datetime64("NaT"), dtype="datetime64[D]")
    status_date[ex] = np.minimum(ef["exit_status_date"], EXTRACT_DATE)  # recorded by the extract date
    eu = on_leavers(ef["exit_status_eu"])
    fr = on_leavers(ef["exit_status_fr"])
    # 6-month follow-up: a stratified sample of first-participation leavers (weights = 1 / inclusion prob.)
    pi = np.zeros(m)
    for status, prob in _SURVEY_INCLUSION.items():
        pi[eu == status] = prob
    sampled = first & p_exited & (rng.random(m) < pi)
    s_rows = np.flatnonzero(sampled)
    s_person = pidx[s_rows]
    status6 = np.full(m, None, dtype=object)
    status6[s_rows] = _status_6m(rng, sim["exit_6m"]["employed"][s_person], sim["exit_6m"]["in_training"][s_person],
                                 fr[s_rows])
    date6 = np.full(m, np.datetime64("NaT"), dtype="datetime64[D]")
    date6[s_rows] = _add_months(p_exit[s_rows], 6) + rng.integers(-10, 11, size=s_rows.size)
    weight6 = np.full(m, np.nan)
    weight6[s_rows] = 1.0 / pi[s_rows]

    unemployed = cov["unemployed_entry"][pidx] == 1
    frame = pd.DataFrame({
        "person_id": person_id[pidx],
        "operation_id": ops["operation_id"].to_numpy()[p_op],
        "entry_date": _dates(p_entry),
        "exit_date": _dates(p_exit, p_exited),
        "sex": np.where(cov["female"][pidx] == 1, "F", "M"),
        "birth_date": _dates(birth[pidx]),
        "lm_status_entry": np.where(unemployed, "UNEMPLOYED", "INACTIVE"),
        "unemp_duration_months": _nullable_int(cov["unemp_duration_months"][pidx], unemployed),
        "in_education_training_entry": np.zeros(m, dtype=bool),
        "pe_registered_entry": pe_registered[pidx],
        "national_level": cov["national_level"][pidx],
        "isced_entry": cov["isced"][pidx],
        "hh_jobless": cov["jobless_household"][pidx].astype(bool),
        "hh_dependent_children": cov["hh_dependent_children"][pidx].astype(bool),
        "hh_single_adult": cov["hh_single_adult"][pidx].astype(bool),
        "disability_rqth": cov["disability"][pidx].astype(bool),
        "social_minima": cov["social_minima"][pidx].astype(bool),
        "homeless": cov["homeless"][pidx].astype(bool),
        "rural": cov["rural"][pidx].astype(bool),
        "qpv_resident": cov["qpv_resident"][pidx].astype(bool),
        "exit_reason": on_leavers(ef["exit_reason"]),
        "exit_status_fr": fr,
        "exit_status_eu": eu,
        "exit_status_date": _dates(status_date, p_exited),
        "offer_received_at_exit": _nullable_bool(offer, offer_known),
        "offer_type": on_leavers(ef["offer_type"]),
        "qualification_gained": _nullable_bool(qual, p_exited),
        "status_6m": status6,
        "status_6m_date": _dates(date6, sampled),
        "sample_weight_6m": weight6,
        "source": "MDFSE",
        "extract_date": np.full(m, _dates(np.array([EXTRACT_DATE]))[0]),
    })
    for c in ("exit_reason", "exit_status_fr", "exit_status_eu", "offer_type", "status_6m"):
        frame[c] = _text(frame[c])
    order = np.lexsort((p_entry, pidx))
    frame = frame.iloc[order].reset_index(drop=True)
    frame.insert(0, "participation_id", _ids({"PA": m}))
    n_parts = np.ones(n1, dtype=np.int64)
    n_parts[i2] += 1
    return frame, op1, n_parts


_PERSON_COVARIATES = (
    "female", "age", "isced", "isced_0_2", "isced_0_4", "national_level", "jobless_household", "disability",
    "social_minima", "homeless", "qpv_resident", "rural", "hh_dependent_children", "hh_single_adult",
)


def _observed(po: Mapping[str, tuple[np.ndarray, ...]], name: str, treated: np.ndarray) -> np.ndarray:
    _, _, y0, y1 = po[name]
    return np.where(treated == 1, y1, y0).astype(np.int8)


def _persons_frame(person_id: pd.api.extensions.ExtensionArray, treated: np.ndarray, entry: np.ndarray, g: np.ndarray,
                   cov: Mapping[str, np.ndarray], territory_id: np.ndarray, sim: Mapping[str, Any],
                   ops: pd.DataFrame, first_op: np.ndarray, n_parts: np.ndarray, n1: int) -> pd.DataFrame:
    n = person_id.size
    cols: dict[str, Any] = {
        "person_id": person_id,
        "treated": treated,
        "entry_date": _dates(entry),
        "month": _month_start(g),
        "entry_period": g.astype(np.int64),
        "first_treat_period": np.where(treated == 1, g, np.nan).astype(np.float64),
    }
    for name in _PERSON_COVARIATES:
        cols[name] = cov[name]
    cols["lm_status_entry"] = np.where(cov["unemployed_entry"] == 1, "UNEMPLOYED", "INACTIVE")
    cols["unemployed_entry"] = cov["unemployed_entry"]
    cols["unemp_duration_months"] = cov["unemp_duration_months"].astype(np.int64)
    cols["territory_id"] = territory_id
    cols["emp_months_pre12"] = sim["emp_pre12"].astype(np.int64)
    op_id = np.full(n, None, dtype=object)
    op_id[:n1] = ops["operation_id"].to_numpy()[first_op]
    action = np.full(n, None, dtype=object)
    action[:n1] = ops["action_type"].to_numpy()[first_op]
    cols["operation_id"] = _text(op_id)
    cols["action_type"] = _text(action)
    cols["n_participations"] = np.concatenate([n_parts, np.zeros(n - n1, dtype=np.int64)])
    for name in OUTCOMES:
        cols[name] = _observed(sim["po"], name, treated)
    frame = pd.DataFrame(cols)
    for c in ("national_level", "lm_status_entry", "territory_id"):
        frame[c] = frame[c].astype("str")
    return frame


def _comparison_frame(person_id: pd.api.extensions.ExtensionArray, entry: np.ndarray, cov: Mapping[str, np.ndarray],
                      territory_id: np.ndarray, birth: np.ndarray, emp_pre12: np.ndarray, n1: int) -> pd.DataFrame:
    """Canonical comparison cohort (E.3): NEETs followed by the same missions locales, never treated."""
    c = {k: v[n1:] for k, v in cov.items()}
    n = person_id.size
    unemployed = c["unemployed_entry"] == 1
    frame = pd.DataFrame({
        "person_id": person_id,
        "source": "IMILO",
        "extract_date": np.full(n, _dates(np.array([EXTRACT_DATE]))[0]),
        "pseudo_entry_date": _dates(entry),
        "eligible": np.ones(n, dtype=bool),
        "territory_id": territory_id,
        "sex": np.where(c["female"] == 1, "F", "M"),
        "birth_date": _dates(birth),
        "national_level": c["national_level"],
        "isced_entry": c["isced"],
        "lm_status_entry": np.where(unemployed, "UNEMPLOYED", "INACTIVE"),
        "unemp_duration_months": _nullable_int(c["unemp_duration_months"], unemployed),
        "hh_jobless": c["jobless_household"].astype(bool),
        "hh_dependent_children": c["hh_dependent_children"].astype(bool),
        "hh_single_adult": c["hh_single_adult"].astype(bool),
        "disability_rqth": c["disability"].astype(bool),
        "social_minima": c["social_minima"].astype(bool),
        "homeless": c["homeless"].astype(bool),
        "rural": c["rural"].astype(bool),
        "qpv_resident": c["qpv_resident"].astype(bool),
        "emp_months_pre12": emp_pre12.astype(np.int64),
        "contaminated": np.zeros(n, dtype=bool),
        "contamination_date": np.full(n, np.datetime64("NaT", "us")),
    })
    for col in ("person_id", "territory_id", "national_level"):
        frame[col] = frame[col].astype("str")
    return frame


def _truth_tables(person_id: pd.api.extensions.ExtensionArray, treated: np.ndarray, lat: _Latent,
                  po: Mapping[str, tuple[np.ndarray, ...]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    cols: dict[str, Any] = {
        "person_id": person_id,
        "treated": treated,
        "index_employed": lat.index["employed"],
        "index_training": lat.index["in_training"],
    }
    rows = []
    populations = {"ATT": treated == 1, "ATE": np.ones(treated.size, dtype=bool), "ATC": treated == 0}
    who = {"ATT": "participants", "ATE": "persons (participants and comparison youths)", "ATC": "comparison youths"}
    for name in OUTCOMES:
        p0, p1, y0, y1 = po[name]
        cols.update({f"p0_{name}": p0, f"p1_{name}": p1, f"y0_{name}": y0, f"y1_{name}": y1})
        kind, month = _OUTCOME_SOURCE[name]
        label = "employed" if kind == "employed" else "in training"
        for est in _ESTIMANDS:
            m = populations[est]
            rows.append({
                "outcome": name,
                "estimand": est,
                "value": _mean(p1[m] - p0[m]),
                "value_realized": _mean(y1[m].astype(np.float64) - y0[m]),
                "n": int(m.sum()),
                "definition": (f"{est}: mean over the {int(m.sum())} {who[est]} of p1 - p0, the probabilities of "
                               f"being {label} in the month of (pseudo-)entry + {month} with and without the IEJ; "
                               f"value_realized = mean of y1 - y0 (one shared uniform draw)"),
            })
    return pd.DataFrame(rows), pd.DataFrame(cols)


def _panel_frame(store: Mapping[str, np.ndarray], mode: str, person_id: pd.api.extensions.ExtensionArray,
                 treated: np.ndarray,
                 g: np.ndarray, cov: Mapping[str, np.ndarray], territory_id: np.ndarray, mb: int, ma: int,
                 span: tuple[int, int]) -> pd.DataFrame:
    """Person x month panel (E.4), sorted by person then period, with compact dtypes."""
    n = person_id.size
    if mode == "window":
        width = mb + ma + 1
        codes = np.repeat(np.arange(n, dtype=np.int32), width)
        event_time = np.tile(np.arange(-mb, ma + 1, dtype=np.int32), n)
        period = g.astype(np.int32)[codes] + event_time
    else:
        width = span[1] - span[0] + 1
        codes = np.repeat(np.arange(n, dtype=np.int32), width)
        period = np.tile(np.arange(span[0], span[1] + 1, dtype=np.int32), n)
        event_time = period - g.astype(np.int32)[codes]
    lo = int(period.min())
    months = _month_start(np.arange(lo, int(period.max()) + 1))
    is_treated = treated[codes]
    territories = pd.Index(sorted(set(territory_id.tolist())), dtype="str")
    frame = pd.DataFrame({
        "person_id": pd.Categorical.from_codes(codes, categories=pd.Index(person_id, dtype="str")),
        "period": period.astype(np.int32),
        "month": months[period - lo],
        "event_time": event_time.astype(np.int8),
        "group": pd.Categorical.from_codes((1 - is_treated).astype(np.int8), categories=["TREATED", "COMPARISON"]),
        "first_treat_period": np.where(is_treated == 1, g[codes], np.nan).astype(np.float32),
        "treated": is_treated.astype(np.int8),
        "post": (event_time >= 0).astype(np.int8),
        "treated_post": (is_treated * (event_time >= 0)).astype(np.int8),
        "employed": store["employed"].T.ravel(),
        "in_training": store["in_training"].T.ravel(),
        "territory_id": pd.Categorical.from_codes(territories.get_indexer(territory_id)[codes].astype(np.int8),
                                                  categories=territories),
        "female": cov["female"][codes].astype(np.int8),
        "age": cov["age"][codes].astype(np.int8),
        "isced_0_2": cov["isced_0_2"][codes].astype(np.int8),
        "jobless_household": cov["jobless_household"][codes].astype(np.int8),
    })
    return frame


def _params(seed: int, n1: int, n0: int, ratio: float, panel: str, mb: int, ma: int,
            territory_weights: np.ndarray, territory_effect: Mapping[str, np.ndarray]) -> dict[str, Any]:
    """Every parameter of the data-generating process, JSON-safe."""
    params = {
        "generator": "iej_impact.simulate_cohort",
        "seed": seed,
        "n_participants": n1,
        "n_comparison": n0,
        "comparison_ratio": ratio,
        "panel": panel,
        "months_before": mb,
        "months_after": ma,
        "calendar": {
            "period_1": "2013-01",
            "entry_periods": [FIRST_ENTRY_PERIOD, LAST_ENTRY_PERIOD],
            "entry_ramp": _ENTRY_RAMP,
            "entry_weights": _entry_weights(),
            "extract_date": str(EXTRACT_DATE),
            "trend_centre_period": _TREND_CENTRE,
            "core_event_times": list(_CORE),
        },
        "covariates": {
            "binary": {k: {"participants": v[0], "comparison": v[1], "loading_on_z": v[2]}
                       for k, v in _BINARY_COVARIATES.items()},
            "isced_pmf": _ISCED_PMF,
            "education_loading_on_z": _EDUCATION_LOADING,
            "age": _AGE_MODEL,
            "unemp_duration": _UNEMP_DURATION,
            "national_level_from_isced": _NATIONAL_LEVEL,
            "isced2_vbis_share": _ISCED2_VBIS_SHARE,
            "territories": {"n": _N_TERRITORIES, "weights": territory_weights,
                            "effects": {k: v for k, v in territory_effect.items()}},
        },
        "outcome_model": _OUTCOME_MODEL,
        "seasonality": {"employed_amplitude": _EMPLOYMENT_SEASON_AMPLITUDE, "in_training": _TRAINING_SEASON},
        "dip": _DIP,
        "effect_paths": _EFFECT_PATHS,
        "heterogeneity": _HETEROGENEITY,
        "adjustment_covariates": list(ADJUSTMENT_COVARIATES),
        "bad_controls": ["emp_months_pre12"],
        "administration": {
            "duration": _DURATION,
            "exit_cells": [{"block": b, "exit_status_fr": s, "share": p} for b, s, p in _EXIT_CELLS],
            "exit_status_eu": _EXIT_STATUS_EU,
            "exit_score_noise": _EXIT_SCORE_NOISE,
            "dropout_for_job_share": _DROPOUT_FOR_JOB_SHARE,
            "offer_probability": _OFFER_PROBABILITY,
            "qualification_probability": _QUALIFICATION_PROBABILITY,
            "pe_registered": _PE_REGISTERED,
            "survey_inclusion": _SURVEY_INCLUSION,
            "operation_families": _OPERATION_FAMILIES,
            "second_participation_probability": _SECOND_PARTICIPATION_PROBABILITY,
            "second_entry_gap_days": list(_SECOND_ENTRY_GAP_DAYS),
            "apprenticeship_funding_group": _APPRENTICESHIP_GROUP,
        },
    }
    return jsonable(params)
