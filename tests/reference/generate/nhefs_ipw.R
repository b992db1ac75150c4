# Reference numbers for tests/reference/test_teffects_reference.py: Hernan & Robins' IPW of the effect of
# quitting smoking (qsmk) on weight gain 1971-1982 (wt82_71) in NHEFS, "Causal Inference: What If" (2020),
# ch. 12, programs 12.2 (non-stabilized weights) and 12.3 (stabilized weights).
#
# Run from the repository root:
#   python tests/reference/generate/extract_nhefs.py    # writes tests/reference/data/nhefs.csv (needs causaldata)
#   Rscript tests/reference/generate/nhefs_ipw.R         # writes tests/reference/data/nhefs_ipw.json
# R 4.2.2, geepack, jsonlite (Debian packages).
#
# Besides the book's numbers (logit score, weighted regression of wt82_71 on qsmk, GEE sandwich SE that
# treats the weights as known, hence conservative), the script computes the SE that accounts for the
# estimated score: the M-estimation sandwich A^-1 B A^-T / n of the stacked moment functions
# (logit score; weighted mean of the outcome in each arm), with A from central finite differences. This
# is an implementation independent of iej_impact's analytic influence functions.
suppressPackageStartupMessages({
  library(geepack)
  library(jsonlite)
})
d <- read.csv("tests/reference/data/nhefs.csv")
d <- d[!is.na(d$wt82_71), ]                              # the 1,566 uncensored individuals (book, section 12.1)
f <- qsmk ~ sex + race + age + I(age^2) + as.factor(education) + smokeintensity + I(smokeintensity^2) +
  smokeyrs + I(smokeyrs^2) + as.factor(exercise) + as.factor(active) + wt71 + I(wt71^2)
fit <- glm(f, family = binomial(), data = d, control = glm.control(epsilon = 1e-14, maxit = 100))
p <- unname(fitted(fit))
d$w <- ifelse(d$qsmk == 1, 1 / p, 1 / (1 - p))
msm <- geeglm(wt82_71 ~ qsmk, data = d, weights = w, id = seqn, corstr = "independence")
b <- coef(msm)[["qsmk"]]
se_gee <- sqrt(vcov(msm)["qsmk", "qsmk"])
# stabilized weights (program 12.3)
pd <- mean(d$qsmk)
d$sw <- ifelse(d$qsmk == 1, pd / p, (1 - pd) / (1 - p))
msm_s <- geeglm(wt82_71 ~ qsmk, data = d, weights = sw, id = seqn, corstr = "independence")

# stacked M-estimation: theta = (gamma, mu1, mu0); moments: logit score, D/p (y - mu1), (1-D)/(1-p) (y - mu0)
X <- model.matrix(fit)
y <- d$wt82_71
D <- d$qsmk
moments <- function(theta) {
  k <- ncol(X)
  g <- theta[1:k]
  pr <- 1 / (1 + exp(-drop(X %*% g)))
  cbind(X * (D - pr), D / pr * (y - theta[k + 1]), (1 - D) / (1 - pr) * (y - theta[k + 2]))
}
mu1 <- sum(d$w * D * y) / sum(d$w * D)
mu0 <- sum(d$w * (1 - D) * y) / sum(d$w * (1 - D))
theta <- c(coef(fit), mu1, mu0)
n <- nrow(X)
K <- length(theta)
A <- matrix(0, K, K)
for (j in seq_len(K)) {
  h <- 1e-6 * max(1, abs(theta[j]))
  tp <- theta; tp[j] <- tp[j] + h
  tm <- theta; tm[j] <- tm[j] - h
  A[, j] <- (colMeans(moments(tp)) - colMeans(moments(tm))) / (2 * h)
}
G <- moments(theta)
B <- crossprod(G) / n
V <- solve(A) %*% B %*% t(solve(A)) / n
cvec <- c(rep(0, K - 2), 1, -1)
se_stacked <- sqrt(drop(t(cvec) %*% V %*% cvec))

out <- list(
  software = paste0(R.version.string, ", geepack ", packageVersion("geepack")),
  source = "Hernan & Robins (2020), Causal Inference: What If, programs 12.2 and 12.3",
  n = n,
  ps_formula = deparse(f, width.cutoff = 500L),
  ps_coef = as.list(coef(fit)),
  ate = b,
  se_gee_conservative = se_gee,
  ci_gee = c(b - qnorm(0.975) * se_gee, b + qnorm(0.975) * se_gee),
  ate_stabilized = coef(msm_s)[["qsmk"]],
  weights_mean = mean(d$w), weights_max = max(d$w),
  stabilized_weights_mean = mean(d$sw), stabilized_weights_max = max(d$sw),
  mu1 = mu1, mu0 = mu0,
  se_stacked = se_stacked,
  se_stacked_mu1 = sqrt(V[K - 1, K - 1]), se_stacked_mu0 = sqrt(V[K, K])
)
write_json(out, "tests/reference/data/nhefs_ipw.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
cat("wrote tests/reference/data/nhefs_ipw.json\n")
