# Reference numbers for tests/reference/test_matching_r.py: R's Matching package (Sekhon),
# nearest-neighbour matching with replacement on a propensity score, ATT / ATC / ATE, M = 1 and 3,
# ties kept, with and without the Abadie-Imbens (2011) bias adjustment.
#
# Run from the repository root:
#   Rscript tests/reference/generate/matching_r.R
# writes tests/reference/data/matching_r.json and the score files
#   tests/reference/data/matching_r_lalonde_ps.csv   (id, ps)      LaLonde NSW treated + CPS controls (rounded)
#   tests/reference/data/matching_r_cattaneo2_ps.csv (row, ps)     Cattaneo's birth weights (Stata's cattaneo2)
#   tests/reference/data/matching_r_simulated.csv    (x, d, y, ps) a small continuous design without ties
# R 4.2.2, Matching 4.10-8 (Debian r-cran-matching), jsonlite.
#
# Conventions and why:
# * X = a logit propensity score fitted here by glm; it is written with 17 significant digits so
#   that Python matches on exactly the same numbers (and the same ties).
# * ties = TRUE, replace = TRUE, distance.tolerance = 0. Matching counts as tied every unit whose
#   squared distance on the *standardised* X is within distance.tolerance (default 1e-5) of the
#   M-th smallest, plus a hard-coded 1e-10 (TOL in LessEqualTestScalar, src/matching.cc) that
#   cannot be switched off: on X = ps that is every unit within about 1e-5 SD of the M-th nearest
#   when that one is very close. iej_impact ties exactly equal distances only (up to
#   floating-point noise). On Cattaneo's data the score takes few distinct values and the two
#   rules coincide. LaLonde's 16,000 CPS controls have near-identical scores (gaps of 1e-8), so
#   its score is rounded here to 4 decimals: that creates genuine ties (thousands of controls at
#   0.0000) and puts distinct distances at least 1e-4 apart, where Matching's slack cannot merge
#   them.
# * Var.calc = J: Matching estimates sigma^2(X_i) by the sample variance of Y over unit i and
#   its J nearest units of the same arm (ties kept). Both J = 1 and J = 2 are recorded; see
#   tests/reference/test_matching_r.py for which iej_impact estimator each corresponds to.
# * BiasAdjust = TRUE regresses Y on (1, Z) with Z = X (the score) within each imputed arm,
#   weighted by the number of times each unit is used as a match (Matching's Kcount).
# * ties = FALSE in Matching breaks ties at the M-th distance at random (unif_rand(), after
#   set.seed) and then forces version = "fast" (Var.calc = 0, no bias adjustment): it is only
#   comparable where no ties exist. The simulated design has none, so there ties = TRUE and FALSE
#   must agree with each other and with iej_impact's ties = False.
suppressPackageStartupMessages({
  library(Matching)
  library(jsonlite)
})

num <- function(x) format(x, digits = 17, scientific = FALSE, trim = TRUE)

run <- function(dataset, Y, Tr, X, estimand, M, bias, ties = TRUE, var_calc = c(1, 2)) {
  out <- list(dataset = dataset, estimand = estimand, M = M, bias_adjust = bias, ties = ties)
  for (vc in var_calc) {
    set.seed(20240601)
    m <- Match(Y = Y, Tr = Tr, X = X, estimand = estimand, M = M, BiasAdjust = bias,
               replace = TRUE, ties = ties, Var.calc = vc, distance.tolerance = 0)
    out$estimate <- unname(m$est[1, 1])
    out$estimate_noadj <- unname(m$est.noadj)
    out[[paste0("se_var_calc_", vc)]] <- unname(m$se)
    out$n_pairs <- length(m$index.treated)
    out$weights_sum <- sum(m$weights)
  }
  out
}

specs <- list()

# ---- LaLonde: NSW treated + CPS-1 controls -------------------------------------------------
d <- read.csv("tests/reference/data/matchit_lalonde_cps.csv")
f <- treat ~ age + age2 + educ + educ2 + black + hisp + marr + nodegree + re74 + re75 + u74 + u75
ps <- round(unname(fitted(glm(f, data = d, family = binomial(link = "logit")))), 4)
write.csv(data.frame(id = d$id, ps = num(ps)), "tests/reference/data/matching_r_lalonde_ps.csv",
          row.names = FALSE, quote = FALSE)
ps <- read.csv("tests/reference/data/matching_r_lalonde_ps.csv")$ps  # the numbers Python reads
for (est in c("ATT", "ATE")) for (M in c(1, 3)) for (bias in c(FALSE, TRUE)) {
  specs[[length(specs) + 1]] <- run("lalonde", d$re78, d$treat, ps, est, M, bias)
}

# ---- Cattaneo (2010) birth weights: the Stata teffects psmatch example -------------------------
cat2 <- read.csv("tests/reference/data/cattaneo2.csv")
ps2 <- unname(fitted(glm(mbsmoke ~ mmarried + mage + mage2 + fbaby + medu, data = cat2,
                         family = binomial(link = "logit"))))
write.csv(data.frame(row = seq_len(nrow(cat2)) - 1L, ps = num(ps2)),
          "tests/reference/data/matching_r_cattaneo2_ps.csv", row.names = FALSE, quote = FALSE)
ps2 <- read.csv("tests/reference/data/matching_r_cattaneo2_ps.csv")$ps
for (est in c("ATT", "ATE")) for (M in c(1, 3)) for (bias in c(FALSE, TRUE)) {
  specs[[length(specs) + 1]] <- run("cattaneo2", cat2$bweight, cat2$mbsmoke, ps2, est, M, bias)
}
specs[[length(specs) + 1]] <- run("cattaneo2", cat2$bweight, cat2$mbsmoke, ps2, "ATC", 1, FALSE)
specs[[length(specs) + 1]] <- run("cattaneo2", cat2$bweight, cat2$mbsmoke, ps2, "ATC", 3, TRUE)

# ---- a continuous design without ties: ties = TRUE and FALSE coincide ------------------------
set.seed(7)
n <- 400
x <- rnorm(n)
dd <- rbinom(n, 1, plogis(-0.3 + 0.8 * x))
y <- 1 + x + dd * (1 + 0.5 * x) + rnorm(n)
ps3 <- unname(fitted(glm(dd ~ x, family = binomial(link = "logit"))))
write.csv(data.frame(x = num(x), d = dd, y = num(y), ps = num(ps3)),
          "tests/reference/data/matching_r_simulated.csv", row.names = FALSE, quote = FALSE)
sim <- read.csv("tests/reference/data/matching_r_simulated.csv")
for (est in c("ATT", "ATE")) for (M in c(1, 3)) {
  specs[[length(specs) + 1]] <- run("simulated", sim$y, sim$d, sim$ps, est, M, FALSE, ties = TRUE)
  # ties = FALSE: version "fast", Var.calc forced to 0 (homoskedastic SE): only the estimate is kept
  set.seed(20240601)
  m <- suppressWarnings(Match(Y = sim$y, Tr = sim$d, X = sim$ps, estimand = est, M = M, replace = TRUE,
                              ties = FALSE, distance.tolerance = 0))
  specs[[length(specs) + 1]] <- list(dataset = "simulated", estimand = est, M = M, bias_adjust = FALSE,
                                     ties = FALSE, estimate = unname(m$est[1, 1]),
                                     n_pairs = length(m$index.treated))
}

out <- list(
  generator = "tests/reference/generate/matching_r.R",
  r_version = R.version.string,
  matching_version = as.character(packageVersion("Matching")),
  call = paste("Match(Y, Tr, X = ps, estimand, M, BiasAdjust, replace = TRUE, ties, Var.calc,",
               "distance.tolerance = 0)"),
  specs = specs
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), "tests/reference/data/matching_r.json")
cat("wrote", length(specs), "specifications\n")
