# Reference numbers for tests/reference/test_rosenbaum_published.py from Keele's R package rbounds, run on
# the examples of its own help pages (psens.Rd, hlsens.Rd, binarysens.Rd):
#   * lead in children's blood (Morton et al. 1982; the 33 pairs typed in psens.Rd / hlsens.Rd, "Replication
#     of Rosenbaum Sensitivity Tests From Chapter 4 of Observational Studies"): psens(), hlsens();
#   * smoking and lung cancer (Hammond 1964; binarysens.Rd: "Example From Rosenbaum Observational Studies Pg
#     112", 110 and 12 discordant pairs): binarysens(12, 110);
#   * the help pages' Match() examples: LaLonde's NSW data (Matching::lalonde, 1:1 nearest neighbour on the
#     Dehejia-Wahba logit score, without replacement, as in hlsens.Rd) for psens()/hlsens(), and the
#     Gerber-Green-Imai get-out-the-vote data (Matching::GerberGreenImai, as in binarysens.Rd) for
#     binarysens(). The matched pairs are written to CSV so that the Python tests use exactly these pairs.
#
# rbounds is not packaged by Debian and CRAN is not reachable from the build machine: the sources are CRAN's
# releases as mirrored at https://github.com/cran/rbounds (commit 473e391 = version 2.2, 2022-04-29;
# commit 168825b = version 2.1, 2014-12-08). Each release goes to its own library; the script runs once per
# release, from the repository root:
#   git -C rbounds archive --prefix=rbounds22/ 473e391 | tar -x -C /tmp
#   git -C rbounds archive --prefix=rbounds21/ 168825b | tar -x -C /tmp
#   R CMD INSTALL -l /tmp/lib22 /tmp/rbounds22
#   R CMD INSTALL -l /tmp/lib21 /tmp/rbounds21          # 2.1 depends on Matching (Debian r-cran-matching)
#   Rscript tests/reference/generate/rosenbaum_rbounds.R /tmp/lib22 tests/reference/data/rosenbaum_rbounds_2.2.json
#   Rscript tests/reference/generate/rosenbaum_rbounds.R /tmp/lib21 tests/reference/data/rosenbaum_rbounds_2.1.json
# R 4.2.2, Matching 4.10-8, jsonlite 1.8.4 (Debian packages).
#
# The 2.2 run also writes tests/reference/data/rosenbaum_lalonde_pairs.csv and
# rosenbaum_gerber_discordant.json (the matching does not depend on the rbounds release).
#
# Conventions of rbounds recorded by these numbers (read from its sources, see the test module docstring):
# psens: signed-rank statistic with zero differences dropped before ranking, normal approximation without
# continuity correction, p-values rounded to 4 decimals; hlsens: grid search with step pr from the
# wilcox.test() estimate, rounded to 5 significant digits; binarysens: exact binomial tails rounded to
# 5 decimals, P(X >= a) in 2.1 but P(X > a) in 2.2.
suppressPackageStartupMessages({
  library(jsonlite)
  library(Matching)
})
args <- commandArgs(trailingOnly = TRUE)
stopifnot(length(args) == 2)
library(rbounds, lib.loc = args[1])
version <- as.character(packageVersion("rbounds", lib.loc = args[1]))

bounds_of <- function(obj) {
  # rbounds >= 2.0 returns an object with a 'bounds' data frame; psens/binarysens < 2.0 only print
  b <- obj$bounds
  list(gamma = b[[1]], lower = b[[2]], upper = b[[3]])
}

# --- lead (psens.Rd / hlsens.Rd) -----------------------------------------------------------------------------
trt <- c(38, 23, 41, 18, 37, 36, 23, 62, 31, 34, 24, 14, 21, 17, 16, 20, 15, 10, 45, 39, 22, 35, 49, 48, 44, 35,
         43, 39, 34, 13, 73, 25, 27)
ctrl <- c(16, 18, 18, 24, 19, 11, 10, 15, 16, 18, 18, 13, 19, 10, 16, 16, 24, 13, 9, 14, 21, 19, 7, 18, 19, 12,
          11, 22, 25, 16, 13, 11, 13)
out <- list(
  rbounds_version = version,
  r_version = R.version.string,
  lead = list(
    treated = trt, control = ctrl,
    psens = bounds_of(psens(trt, ctrl)),                                 # help-page call: Gamma = 6, GammaInc = 1
    psens_fine = bounds_of(psens(trt, ctrl, Gamma = 6, GammaInc = 0.25)),
    hlsens = bounds_of(hlsens(trt, ctrl)),                               # pr = 0.1, Gamma = 6, GammaInc = 1
    hl_start = unname(wilcox.test(trt, ctrl, paired = TRUE, conf.int = TRUE, exact = FALSE)$estimate)
  ),
  # --- Hammond (binarysens.Rd): binarysens(12, 110) ---------------------------------------------------------
  hammond = list(discordant_treated = 110L, discordant_control = 12L,
                 binarysens = bounds_of(binarysens(12, 110)))
)

# --- LaLonde, Match() example of the help pages (hlsens.Rd: replace = FALSE) -------------------------------------
data(lalonde, package = "Matching")
dw <- glm(treat ~ age + I(age^2) + educ + I(educ^2) + black + hisp + married + nodegr + re74 + I(re74^2) + re75 +
            I(re75^2) + u74 + u75, family = binomial, data = lalonde)
set.seed(20240611)                                                      # ties are broken at random without replacement
m_dw <- Match(Y = lalonde$re78, Tr = lalonde$treat, X = dw$fitted, replace = FALSE)
lt <- m_dw$mdata$Y[m_dw$mdata$Tr == 1]
lc <- m_dw$mdata$Y[m_dw$mdata$Tr == 0]
out$lalonde <- list(
  n_pairs = length(lt),
  psens = bounds_of(psens(lt, lc, Gamma = 2, GammaInc = 0.1)),
  hlsens = bounds_of(hlsens(lt, lc, pr = 0.1, Gamma = 2, GammaInc = 0.1)),
  hl_start = unname(wilcox.test(lt, lc, paired = TRUE, conf.int = TRUE, exact = FALSE)$estimate)
)

# --- Gerber, Green & Imai, Match() example of binarysens.Rd (M = 1, replace = FALSE) ----------------------------
data(GerberGreenImai, package = "Matching")
ps <- glm(PHN.C1 ~ PERSONS + VOTE96.1 + NEW + MAJORPTY + AGE + WARD + PERSONS:VOTE96.1 + PERSONS:NEW + AGE2,
          family = binomial(logit), data = GerberGreenImai)
set.seed(20240611)
m_g <- Match(Y = GerberGreenImai$VOTED98, Tr = GerberGreenImai$PHN.C1, X = fitted(ps), M = 1, replace = FALSE)
yt <- m_g$mdata$Y[m_g$mdata$Tr == 1]
yc <- m_g$mdata$Y[m_g$mdata$Tr == 0]
n10 <- sum(yt == 1 & yc == 0)                                             # treated voted, control did not
n01 <- sum(yt == 0 & yc == 1)
# both releases take the two discordant counts and test the larger one
out$gerber <- list(n_pairs = length(yt), discordant_treated = n10, discordant_control = n01,
                   binarysens = bounds_of(binarysens(min(n10, n01), max(n10, n01), Gamma = 2, GammaInc = 0.1)))

if (version == "2.2") {
  write.csv(data.frame(treated = lt, control = lc), "tests/reference/data/rosenbaum_lalonde_pairs.csv",
            row.names = FALSE)
}
write_json(out, args[2], digits = NA, auto_unbox = TRUE, pretty = TRUE)
cat("wrote", args[2], "\n")
