"""rosenbaum_bounds() against the published examples of R rbounds (Keele) and of Rosenbaum's DOS package.

Sources of the expected numbers (all produced by the authors' own software on the examples of its help
pages, with the scripts in tests/reference/generate/, R 4.2.2):

* ``data/rosenbaum_rbounds_2.2.json`` and ``_2.1.json``: rbounds 2.2 (CRAN 2022-04-29) and 2.1 (CRAN
  2014-12-08), sources from github.com/cran/rbounds (commits 473e391 and 168825b), run by
  ``generate/rosenbaum_rbounds.R``:
  - lead in children's blood, Morton et al. (1982), 33 pairs typed in rbounds' man/psens.Rd and
    man/hlsens.Rd ("Replication of Rosenbaum Sensitivity Tests From Chapter 4 of Observational Studies"):
    ``psens(trt, ctrl)`` and ``hlsens(trt, ctrl)``;
  - smoking and lung cancer, Hammond (1964): man/binarysens.Rd, "Example From Rosenbaum Observational Studies
    Pg 112", ``binarysens(12, 110)`` (110 discordant pairs in which only the smoker died of lung cancer, 12
    in which only the non-smoker did);
  - the help pages' ``Match()`` examples: LaLonde's NSW data (``Matching::lalonde``, Dehejia-Wahba logit
    score, 1:1 without replacement; pairs in ``data/rosenbaum_lalonde_pairs.csv``) for ``psens``/``hlsens``,
    and the Gerber-Green-Imai get-out-the-vote data for ``binarysens``.
* ``data/rosenbaum_dos.json``: DOS 1.0.0 (Rosenbaum, companion to Design of Observational Studies; sources
  from github.com/cran/DOS, commit b87aa96), run by ``generate/rosenbaum_dos.R`` on DOS's data sets
  ``lead`` and ``werfel`` (``data/rosenbaum_lead.csv``, ``data/rosenbaum_werfel.csv``):
  - ``senWilcox(lead$dif, gamma)``: man/senWilcox.Rd states that these calls "reproduce parts of Tables 4.3
    and 4.4 in Rosenbaum (2002)", and DOS2's man/lead.Rd that the Gamma = 5 value is in Table 2 of
    Rosenbaum (2011, Biometrics 67(3));
  - ``senWilcox(d, gamma = 3)`` on werfel: "the approximate one-sided P-value computed in Section 3.5" of
    Design of Observational Studies (2010); ``senWilcoxExact(d, gamma = 2)``: "the exact one-sided P-value
    computed in Section 3.9"; ``senWilcoxExact(d - 0.0935 / 0.0936, gamma = 3)`` bracket the one-sided
    confidence limit of Table 3.3 (man/senWilcoxExact.Rd).

The books themselves are not publicly available, so their tables are checked through the authors' software.

Conventions, read from the R sources and reproduced here by options of rosenbaum_bounds():
psens drops zero differences before ranking (``zero_method="wilcox"``, the default) and uses the normal
approximation without continuity correction, printing 4 decimals; senWilcox ranks zeros with the other
|d| and gives them score 0 (``zero_method="pratt"``: T = 527 for the lead data); senWilcoxExact convolves the
exact distribution (``method="exact"``). binarysens computes exact binomial tails P(X >= a) in 2.1 (our
default) but P(X > a) in 2.2, i.e. the tail of a + 1: a regression of 2.2, pinned below. hlsens searches a
grid of step pr = 0.1 from stats::wilcox.test's estimate; our Hodges-Lehmann bounds are the exact solutions
(Walsh-average order statistics), so the grid values are checked to be the first grid points past them.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from iej_impact import rosenbaum_bounds

pytestmark = pytest.mark.reference

DATA = Path(__file__).parent / "data"


def _json(name: str) -> dict:
    with open(DATA / name) as fh:
        return json.load(fh)


@pytest.fixture(scope="module")
def rb22() -> dict:
    return _json("rosenbaum_rbounds_2.2.json")


@pytest.fixture(scope="module")
def rb21() -> dict:
    return _json("rosenbaum_rbounds_2.1.json")


@pytest.fixture(scope="module")
def dos() -> dict:
    return _json("rosenbaum_dos.json")


@pytest.fixture(scope="module")
def lead() -> pd.DataFrame:
    return pd.read_csv(DATA / "rosenbaum_lead.csv")


def _binary_pairs(favour_treated: int, favour_control: int) -> np.ndarray:
    return np.array([[1.0, 0.0]] * favour_treated + [[0.0, 1.0]] * favour_control)


def _walsh(diff: np.ndarray) -> np.ndarray:
    i, j = np.triu_indices(diff.shape[0])
    return np.sort((diff[i] + diff[j]) / 2)


def _solution_interval(walsh: np.ndarray, k: float) -> tuple[float, float]:
    """[sup{tau: T(tau) > M - k}, inf{tau: T(tau) < M - k}] = [W_(ceil k), W_(floor k + 1)] (1-based)."""
    if abs(k - round(k)) < 1e-9:
        k = float(round(k))
    return float(walsh[int(np.ceil(k)) - 1]), float(walsh[int(np.floor(k))])


def _signif5_tol(x: float) -> float:
    """Half a unit in the 5th significant digit (hlsens prints signif(x, 5))."""
    return 0.5 * 10.0 ** (np.floor(np.log10(abs(x))) - 4) if x else 1e-12


# ---------------------------------------------------------------------------------------------------------
# lead in children's blood (Morton et al. 1982), signed-rank test


def test_lead_data_are_the_rbounds_help_page_pairs(lead, rb22):
    """DOS's lead data and the vectors typed in rbounds' help pages are the same 33 pairs (other order)."""
    rb = np.column_stack([rb22["lead"]["treated"], rb22["lead"]["control"]])
    dos_pairs = lead[["exposed", "control"]].to_numpy()
    assert sorted(map(tuple, rb)) == sorted(map(tuple, dos_pairs))
    np.testing.assert_array_equal(lead["dif"], lead["exposed"] - lead["control"])


@pytest.mark.parametrize("key", ["psens", "psens_fine"])
@pytest.mark.parametrize("version", ["2.1", "2.2"])
def test_lead_psens(key, version, rb21, rb22):
    """rbounds psens(trt, ctrl) (man/psens.Rd; and GammaInc = 0.25): p-value bounds printed to 4 decimals."""
    ref = (rb21 if version == "2.1" else rb22)["lead"]
    pairs = np.column_stack([ref["treated"], ref["control"]]).astype(float)
    res = rosenbaum_bounds(pairs, gammas=ref[key]["gamma"])
    assert res.zero_method == "wilcox" and res.method == "normal" and res.statistic == 499.0 and res.n_pairs == 32
    np.testing.assert_allclose(res.p_upper, ref[key]["upper"], rtol=0, atol=5e-5 + 1e-12)
    np.testing.assert_allclose(res.p_lower, ref[key]["lower"], rtol=0, atol=5e-5 + 1e-12)
    assert ref[key]["upper"][1:] == sorted(ref[key]["upper"][1:])  # the table is not a constant: the test can fail


def test_lead_senwilcox_pratt(lead, dos):
    """DOS senWilcox(lead$dif, gamma) (man/senWilcox.Rd: parts of Tables 4.3-4.4 of Rosenbaum 2002):
    one-sided upper bounds at full precision, T = 527 with Pratt's zeros; the critical Gamma lies between
    the tabulated 4.25 (p = 0.0468) and 4.5 (p = 0.0554)."""
    rows = dos["lead"]
    gammas = [r["gamma"] for r in rows]
    res = rosenbaum_bounds(lead[["exposed", "control"]], gammas=gammas, zero_method="pratt")
    assert res.statistic == 527.0 and res.n_pairs == 32 and res.n_total == 33
    np.testing.assert_allclose(res.p_upper, [r["pval_greater"] for r in rows], rtol=1e-10)
    by_gamma = {r["gamma"]: r["pval_greater"] for r in rows}
    assert by_gamma[4.25] < 0.05 < by_gamma[4.5]
    assert 4.25 < res.critical_gamma < 4.5
    # the two conventions differ in the third decimal on these data: the option matters
    wilcox = rosenbaum_bounds(lead[["exposed", "control"]], gammas=gammas)
    assert np.max(np.abs(wilcox.p_upper - res.p_upper)) > 1e-3


def test_lead_hodges_lehmann_bounds(lead, dos):
    """Hodges-Lehmann bounds vs their definition (Walsh averages, brute force) and DOS senWilcox's
    ``estimate`` (uniroot, tolerance about 1.2e-4; on a flat stretch of the step function, where the
    equation holds on a whole interval, uniroot returns any point of it and we return its midpoint)."""
    rows = dos["lead"]
    gammas = np.array([r["gamma"] for r in rows])
    res = rosenbaum_bounds(lead[["exposed", "control"]], gammas=gammas, zero_method="pratt")
    walsh = _walsh(lead["dif"].to_numpy(float))
    m = walsh.shape[0]
    assert res.hl_lower[0] == res.hl_upper[0] == np.median(walsh) == 15.0
    for g, low, high, row in zip(gammas, res.hl_lower, res.hl_upper, rows, strict=True):
        for ours, k, theirs in ((low, m / (1 + g), row["estimate_low"]), (high, m * g / (1 + g), row["estimate_high"])):
            a, b = _solution_interval(walsh, k)
            assert ours == pytest.approx((a + b) / 2, abs=1e-12)
            assert a - 2e-4 <= theirs <= b + 2e-4
            if a == b:
                assert ours == pytest.approx(theirs, abs=2e-4)
    assert np.all(np.diff(res.hl_lower) <= 0) and np.all(np.diff(res.hl_upper) >= 0)


def _check_hlsens(res, walsh: np.ndarray, ref: dict, start: float, pr: float = 0.1) -> None:
    """hlsens steps from ``start`` by ``pr``: down until T(tau) >= E T+ (first grid point below
    b = inf{T < E T+}), up until T(tau) <= E T- (first grid point above a' = sup{T > E T-})."""
    m = walsh.shape[0]
    assert ref["lower"][0] == ref["upper"][0] == pytest.approx(start, abs=_signif5_tol(start))
    for g, low, high, r_low, r_high in zip(res.gammas[1:], res.hl_lower[1:], res.hl_upper[1:], ref["lower"][1:],
                                           ref["upper"][1:], strict=True):
        a, b = _solution_interval(walsh, m / (1 + g))
        assert start >= b and b - pr - _signif5_tol(r_low) <= r_low <= b + _signif5_tol(r_low)
        assert abs(r_low - low) <= pr + (b - a) / 2 + _signif5_tol(r_low)
        a2, b2 = _solution_interval(walsh, m * g / (1 + g))
        assert start <= a2 and a2 - _signif5_tol(r_high) <= r_high <= a2 + pr + _signif5_tol(r_high)
        assert abs(r_high - high) <= pr + (b2 - a2) / 2 + _signif5_tol(r_high)


def test_lead_hlsens(rb22):
    """rbounds hlsens(trt, ctrl) (man/hlsens.Rd), grid of step 0.1. At Gamma = 1 it prints
    stats::wilcox.test(exact = FALSE)'s estimate, 15.5, computed after dropping the zero difference, where
    the median of the Walsh averages of all 33 pairs (ours, and DOS's) is 15.0; for Gamma > 1 hlsens itself
    uses all pairs."""
    ref = rb22["lead"]
    pairs = np.column_stack([ref["treated"], ref["control"]]).astype(float)
    res = rosenbaum_bounds(pairs, gammas=ref["hlsens"]["gamma"])
    _check_hlsens(res, _walsh(pairs[:, 0] - pairs[:, 1]), ref["hlsens"], ref["hl_start"])
    assert res.hl_lower[0] == 15.0 and ref["hlsens"]["lower"][0] == 15.5
    np.testing.assert_allclose(res.hl_lower[1:], [10.25, 8.0, 6.5, 5.0, 4.0])
    np.testing.assert_allclose(res.hl_upper[1:], [19.5, 23.0, 25.0, 26.5, 28.0])


# ---------------------------------------------------------------------------------------------------------
# LaLonde (Matching::lalonde), the Match() example of rbounds' help pages


def test_lalonde_psens_and_hlsens(rb22, rb21):
    """psens(..., Gamma = 2, GammaInc = 0.1) and hlsens(..., pr = 0.1, Gamma = 2, GammaInc = 0.1) on the 185
    pairs of Match(Y = re78, Tr = treat, X = DW score, replace = FALSE): many pairs with zero earnings in both
    arms (zero differences) and ties."""
    pairs = pd.read_csv(DATA / "rosenbaum_lalonde_pairs.csv").to_numpy(float)
    ref = rb22["lalonde"]
    assert pairs.shape[0] == ref["n_pairs"] == rb21["lalonde"]["n_pairs"] == 185
    assert ref["psens"] == rb21["lalonde"]["psens"]
    res = rosenbaum_bounds(pairs, gammas=ref["psens"]["gamma"])
    diff = pairs[:, 0] - pairs[:, 1]
    assert (diff == 0).sum() > 10 and res.n_pairs == 185 - (diff == 0).sum()
    np.testing.assert_allclose(res.p_upper, ref["psens"]["upper"], rtol=0, atol=5e-5 + 1e-12)
    np.testing.assert_allclose(res.p_lower, ref["psens"]["lower"], rtol=0, atol=5e-5 + 1e-12)
    assert 1.1 < res.critical_gamma < 1.2  # psens: 0.0304 at Gamma = 1.1, 0.0818 at 1.2
    # and it is where the upper bound crosses alpha (psens prints only a 0.1 grid)
    at = rosenbaum_bounds(pairs, gammas=[res.critical_gamma])
    assert at.p_upper[0] == pytest.approx(0.05, abs=1e-6)
    _check_hlsens(res, _walsh(diff), ref["hlsens"], ref["hl_start"])


# ---------------------------------------------------------------------------------------------------------
# McNemar: Hammond (1964) smoking and lung cancer; Gerber-Green-Imai


@pytest.mark.parametrize("example", ["hammond", "gerber"])
def test_binarysens_2_1_is_the_exact_binomial_tail(example, rb21):
    """rbounds 2.1 binarysens: P(X >= a), X ~ Binomial(D, Gamma / (1 + Gamma)), printed to 5 decimals
    (Hammond: binarysens(12, 110), man/binarysens.Rd; Gerber: binarysens on the Match() pairs,
    Gamma = 1, 1.1, ..., 2)."""
    ref = rb21[example]
    a, c = ref["discordant_treated"], ref["discordant_control"]
    res = rosenbaum_bounds(_binary_pairs(a, c), gammas=ref["binarysens"]["gamma"])
    assert res.test == "mcnemar" and res.method == "exact" and res.statistic == a and res.n_pairs == a + c
    assert res.hl_lower is None and list(res.to_frame().columns) == ["gamma", "p_lower", "p_upper", "significant"]
    np.testing.assert_allclose(res.p_upper, ref["binarysens"]["upper"], rtol=0, atol=5e-6 + 1e-12)
    np.testing.assert_allclose(res.p_lower, ref["binarysens"]["lower"], rtol=0, atol=5e-6 + 1e-12)
    assert res.p_upper[0] == pytest.approx(stats.binomtest(a, a + c, 0.5, alternative="greater").pvalue, rel=1e-12)


def test_hammond_critical_gamma(rb21):
    """Hammond's 110 vs 12 discordant pairs: binarysens 2.1 gives 0.02317 at Gamma = 5 and 0.09693 at 6."""
    ref = rb21["hammond"]["binarysens"]
    assert ref["upper"][4] < 0.05 < ref["upper"][5]
    res = rosenbaum_bounds(_binary_pairs(110, 12))
    assert 5.0 < res.critical_gamma < 6.0
    p = res.critical_gamma / (1 + res.critical_gamma)
    assert stats.binom.sf(109, 122, p) == pytest.approx(0.05, abs=1e-9)


@pytest.mark.parametrize("example", ["hammond", "gerber"])
def test_binarysens_2_2_is_the_tail_of_a_plus_one(example, rb21, rb22):
    """rbounds 2.2 replaced sum(dbinom(a:D)) by 1 - pbinom(a, D) = P(X > a) (R/binarysens.R): its numbers are
    the tails of a + 1 of D, ours (and 2.1's) those of a. Pinned so that a user comparing with rbounds 2.2
    sees why they differ (Hammond at Gamma = 4: 0.00080 in 2.2, 0.00196 in 2.1 and here)."""
    ref = rb22[example]
    a, c = ref["discordant_treated"], ref["discordant_control"]
    assert ref["binarysens"]["upper"] != rb21[example]["binarysens"]["upper"]
    shifted = rosenbaum_bounds(_binary_pairs(a + 1, c - 1), gammas=ref["binarysens"]["gamma"])
    np.testing.assert_allclose(shifted.p_upper, ref["binarysens"]["upper"], rtol=0, atol=5e-6 + 1e-12)
    np.testing.assert_allclose(shifted.p_lower, ref["binarysens"]["lower"], rtol=0, atol=5e-6 + 1e-12)


# ---------------------------------------------------------------------------------------------------------
# werfel (Werfel et al. 1998), Design of Observational Studies sections 3.5 and 3.9: exact distribution


@pytest.fixture(scope="module")
def werfel() -> np.ndarray:
    w = pd.read_csv(DATA / "rosenbaum_werfel.csv")
    return np.column_stack([w["serpc_p"], w["cerpc_p"]]).astype(float)


def test_werfel_normal_approximation(werfel, dos):
    """senWilcox(d, gamma = 3): DOS section 3.5's approximate one-sided P-value."""
    res = rosenbaum_bounds(werfel, gammas=[3.0], zero_method="pratt")
    assert res.n_pairs == dos["werfel"]["n_pairs"] == 39
    assert res.p_upper[0] == pytest.approx(dos["werfel"]["senWilcox_gamma3"], rel=1e-10)


def test_werfel_exact(werfel, dos):
    """senWilcoxExact(d, gamma) (DOS section 3.9; Gamma = 2 is the book's example) and, at Gamma = 1,
    R's exact wilcox.test(d, alternative = "greater"). senWilcoxExact returns 1 - P(T+ < t), exact to about
    1e-15 in absolute terms; we sum the upper tail."""
    rows = dos["werfel"]["exact"]
    res = rosenbaum_bounds(werfel, gammas=[r["gamma"] for r in rows], method="exact")
    assert res.method == "exact"
    np.testing.assert_allclose(res.p_upper, [r["pval"] for r in rows], rtol=1e-9, atol=1e-14)
    assert res.p_upper[0] == pytest.approx(dos["werfel"]["wilcox_test_exact_greater"], rel=1e-9)
    normal = rosenbaum_bounds(werfel, gammas=[r["gamma"] for r in rows])
    assert np.all(np.abs(normal.p_upper / res.p_upper - 1) > 1e-3)  # the two methods are distinguishable here


def test_werfel_exact_confidence_limit(werfel, dos):
    """senWilcoxExact(d - 0.0935, 3) < 0.05 < senWilcoxExact(d - 0.0936, 3): the one-sided 95% confidence
    limit of Table 3.3 of Design of Observational Studies at Gamma = 3 lies between the two shifts."""
    for row in dos["werfel"]["exact_shifted"]:
        shifted = werfel - np.array([row["shift"], 0.0])
        res = rosenbaum_bounds(shifted, gammas=[row["gamma"]], method="exact", hodges_lehmann=False)
        assert res.p_upper[0] == pytest.approx(row["pval"], rel=1e-9)
    low, high = (r["pval"] for r in dos["werfel"]["exact_shifted"])
    assert low < 0.05 < high
