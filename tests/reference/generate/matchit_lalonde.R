# Reference numbers for tests/reference/test_matchit.py: MatchIt on LaLonde (NSW treated, CPS controls).
#
# Run from the repository root:
#   python tests/reference/generate/matchit_extract_lalonde.py   # writes tests/reference/data/matchit_lalonde_cps.csv
#   Rscript tests/reference/generate/matchit_lalonde.R            # writes tests/reference/data/matchit_lalonde.json
#                                                                  # and matchit_lalonde_scores.csv
# R 4.2.2, MatchIt 4.5.1 (Debian package r-cran-matchit), sandwich 3.0-2, jsonlite.
#
# MatchIt 4.5.1 as built on Linux compares nearest-neighbour distances with the *integer* abs()
# (fixed upstream in 4.5.4): |difference| is truncated towards zero, so on a propensity score in
# (0, 1) every difference is 0, the caliper never binds and the control *before* the treated unit
# always wins. The specifications below therefore pass the distance multiplied by a large constant
# SCALE (so truncation to an integer loses less than 1e-9 of a propensity score, 1e-7 of a logit,
# and no difference overflows an int). This changes nothing else: the matching order, the joint
# sort and a caliper given in SDs of the distance are all scale-invariant. Spec "nn_ps_unscaled_bug"
# keeps the raw score to record the bug itself. A second 4.5.1 bug (a control matched several times
# to the same treated unit with replace = TRUE and ratio > 1, fixed in 4.5.3) is avoided by not
# generating that specification here; the Python test checks it against a brute-force search.
suppressPackageStartupMessages({
  library(MatchIt)
  library(jsonlite)
  library(sandwich)
})
d <- read.csv("tests/reference/data/matchit_lalonde_cps.csv")
f <- treat ~ age + age2 + educ + educ2 + black + hisp + marr + nodegree + re74 + re75 + u74 + u75
fit <- glm(f, data = d, family = binomial(link = "logit"))
ps <- unname(fitted(fit))
lp <- unname(fit$linear.predictors)
SCALE_PS <- 1e9
SCALE_LP <- 1e7

run <- function(name, distance, scale, args, descr) {
  m <- do.call(matchit, c(list(formula = f, data = d, distance = distance), args))
  w <- m$weights
  sub_all <- !is.null(m$subclass) && is.null(m$match.matrix)   # subclassification: every unit has one
  keep <- if (sub_all) integer(0) else which(w > 0)
  mm <- m$match.matrix
  pairs <- if (is.null(mm)) NULL else lapply(seq_len(nrow(mm)), function(i) {
    ctrl <- mm[i, ]
    ctrl <- ctrl[!is.na(ctrl)]
    list(treated = d$id[as.integer(rownames(mm)[i])], controls = d$id[as.integer(ctrl)])
  })
  tr <- d$treat == 1
  att <- weighted.mean(d$re78[tr], w[tr]) - weighted.mean(d$re78[!tr], w[!tr])
  nn <- summary(m)$nn
  # standard errors of the weighted difference in means (MatchIt vignette): lm on match.data,
  # clustered on pairs/subclasses (vcovCL, type HC1) where they exist, else HC1
  md <- match.data(m)
  fit_md <- lm(re78 ~ treat, data = md, weights = weights)
  se_pair <- if ("subclass" %in% names(md)) sqrt(vcovCL(fit_md, cluster = ~subclass, type = "HC1")["treat", "treat"]) else NULL
  se_hc1 <- sqrt(vcovHC(fit_md, type = "HC1")["treat", "treat"])
  list(
    name = name, description = descr,
    args = args[!names(args) %in% c("exact", "mahvars")],
    mahvars = if (is.null(args$mahvars)) NULL else all.vars(args$mahvars),
    exact = if (is.null(args$exact)) NULL else all.vars(args$exact),
    scale = scale,
    caliper_raw = if (is.null(m$caliper)) NULL else unname(m$caliper) / scale,
    ids = d$id[keep], weights = unname(w[keep]),
    subclass = if (is.null(m$subclass) || sub_all) NULL else as.integer(as.character(m$subclass[keep])),
    subclass_all = if (sub_all) as.integer(as.character(m$subclass)) else NULL,
    control_weight_by_subclass = if (sub_all) unname(tapply(w[d$treat == 0], m$subclass[d$treat == 0], unique)) else NULL,
    q_cut = if (is.null(m$q.cut)) NULL else unname(m$q.cut),
    discarded_ids = d$id[m$discarded],
    pairs = pairs,
    att = att, att_lm = unname(coef(fit_md)["treat"]), se_pair_cluster = se_pair, se_hc1 = se_hc1,
    nn = list(rows = rownames(nn), control = unname(nn[, "Control"]), treated = unname(nn[, "Treated"]))
  )
}

specs <- list(
  run("nn_ps", ps * SCALE_PS, SCALE_PS, list(method = "nearest"),
      "1:1 nearest neighbour on the propensity score, without replacement, largest first"),
  run("nn_ps_replace", ps * SCALE_PS, SCALE_PS, list(method = "nearest", replace = TRUE),
      "1:1 nearest neighbour on the propensity score, with replacement"),
  run("nn_logit_cal02", lp * SCALE_LP, SCALE_LP, list(method = "nearest", caliper = 0.2),
      "1:1 on the logit score, without replacement, caliper 0.2 SD of the logit score"),
  run("nn_logit_cal01", lp * SCALE_LP, SCALE_LP, list(method = "nearest", caliper = 0.1),
      "1:1 on the logit score, without replacement, caliper 0.1 SD of the logit score"),
  run("nn_logit_1to3", lp * SCALE_LP, SCALE_LP, list(method = "nearest", ratio = 3),
      "1:3 on the logit score, without replacement (matched in rounds)"),
  run("nn_logit_1to3_cal02", lp * SCALE_LP, SCALE_LP, list(method = "nearest", ratio = 3, caliper = 0.2),
      "1:3 on the logit score, without replacement, caliper 0.2 SD"),
  run("nn_logit_replace_cal02", lp * SCALE_LP, SCALE_LP, list(method = "nearest", replace = TRUE, caliper = 0.2),
      "1:1 on the logit score, with replacement, caliper 0.2 SD"),
  run("nn_logit_smallest", lp * SCALE_LP, SCALE_LP, list(method = "nearest", m.order = "smallest"),
      "1:1 on the logit score, without replacement, smallest first"),
  run("nn_logit_exact_cal02", lp * SCALE_LP, SCALE_LP,
      list(method = "nearest", caliper = 0.2, exact = ~ black + nodegree),
      "1:1 on the logit score within exact strata of black x nodegree, caliper 0.2 SD"),
  run("nn_logit_discard_both", lp * SCALE_LP, SCALE_LP, list(method = "nearest", discard = "both"),
      "1:1 on the logit score, discarding units outside the common support of the distance"),
  run("mahal_logit_cal02", lp, 1,
      list(method = "nearest", caliper = 0.2, mahvars = ~ age + educ + black + hisp + marr + nodegree + re74 + re75),
      "1:1 Mahalanobis matching on 8 covariates within a caliper of 0.2 SD of the logit score (no integer abs on this path)"),
  run("subclass6", ps, 1, list(method = "subclass", subclass = 6),
      "subclassification on 6 quantiles of the treated units' propensity score (ATT weights)"),
  run("nn_ps_unscaled_bug", ps, 1, list(method = "nearest"),
      "1:1 on the raw propensity score: shows MatchIt 4.5.1's integer-abs bug (not a reference)")
)

out <- list(
  software = sprintf("R %s, MatchIt %s", getRversion(), packageVersion("MatchIt")),
  formula = paste(deparse(f, width.cutoff = 500L), collapse = " "),
  glm_coef = as.list(coef(fit)),
  specs = specs
)
# the scores R matched on, at full precision, so the Python test matches on exactly the same numbers
write.csv(data.frame(id = d$id, ps = sprintf("%.17g", ps), lp = sprintf("%.17g", lp)),
          "tests/reference/data/matchit_lalonde_scores.csv", row.names = FALSE, quote = FALSE)
write_json(out, "tests/reference/data/matchit_lalonde.json", digits = NA, auto_unbox = TRUE, null = "null")
cat("wrote tests/reference/data/matchit_lalonde.json\n")
