# Reference numbers for tests/test_staggered.py, tests/test_did.py, tests/test_twfe.py and
# tests/test_event_study.py: the R `did` package (Callaway & Sant'Anna) and DRDID (Sant'Anna & Zhao)
# on the did package's example panel `mpdta` (tests/reference/data/mpdta.csv, identical to did::mpdta),
# and two-way fixed effects by estimatr/sandwich/plm.
#
# Run from the repository root (writes tests/reference/data/did_mpdta.json):
#
#   Rscript tests/reference/generate/did_mpdta.R
#
# Software used for the committed numbers: R 4.2.2 (Debian), did 2.1.2 (CRAN), DRDID 1.0.6 (CRAN),
# BMisc 1.4.8, trust 0.1-8, installed from source into /work/R-lib; estimatr 1.0.0, plm 2.6-2,
# sandwich (Debian packages).
#
# One upstream fix is applied to did 2.1.2 before running: the influence function of the estimated
# group weights in aggte(type = "group") indexed the ATT(g,t) vector instead of the list of groups
# (did commit 9229716, "Fix IF of weights for selective treatment timing", released in did 2.3.0).
# Only the standard error of the overall group-aggregated ATT changes; both the patched value and
# the value printed by unpatched did 2.1.2 are written.
#
# Standard errors are analytic (bstrap = FALSE, cband = FALSE): sqrt(mean(psi^2) / n) from the
# influence functions, which is what did prints without the bootstrap. All numbers are written
# with 15 significant digits.

.libPaths(c("/work/R-lib", .libPaths()))
suppressPackageStartupMessages({
  library(did)
  library(DRDID)
  library(jsonlite)
  library(estimatr)
  library(sandwich)
  library(plm)
})

out_path <- "tests/reference/data/did_mpdta.json"
mpdta <- read.csv("tests/reference/data/mpdta.csv")
stopifnot(isTRUE(all.equal(mpdta$lemp, did::mpdta$lemp)))

# --------------------------------------------------------------------------- the did 2.1.2 fix
aggte_unpatched <- did:::compute.aggte
src <- deparse(did:::compute.aggte)
start <- grep("selective.wif <- wif", src, fixed = TRUE)
stopifnot(length(start) == 1)
hit <- start - 1 + grep("group = group", src[start:(start + 5)], fixed = TRUE)[1]
src[hit] <- sub("group = group", "group = glist", src[hit], fixed = TRUE)
aggte_patched <- eval(parse(text = src), envir = environment(did:::compute.aggte))
assignInNamespace("compute.aggte", aggte_patched, ns = "did")

# --------------------------------------------------------------------------- helpers
num <- function(x) if (is.null(x)) NULL else signif(as.numeric(x), 15)

gt_table <- function(res) {
  data.frame(group = res$group, time = res$t, estimate = num(res$att), std_error = num(res$se))
}

agg <- function(res, type, ...) {
  a <- aggte(res, type = type, bstrap = FALSE, cband = FALSE, ...)
  by <- NULL
  if (type != "simple") {
    by <- data.frame(level = a$egt, estimate = num(a$att.egt), std_error = num(a$se.egt))
  }
  list(estimate = num(a$overall.att), std_error = num(a$overall.se), by = by)
}

run_case <- function(name, xformla = ~1, control_group = "nevertreated", est_method = "dr",
                     anticipation = 0, base_period = "varying", data = mpdta, panel = TRUE,
                     allow_unbalanced_panel = FALSE, weightsname = NULL, extra_dynamic = TRUE) {
  res <- suppressWarnings(att_gt(yname = "lemp", tname = "year", idname = "countyreal", gname = "first.treat",
                                 xformla = xformla, data = data, panel = panel,
                                 allow_unbalanced_panel = allow_unbalanced_panel,
                                 control_group = control_group, est_method = est_method,
                                 anticipation = anticipation, base_period = base_period,
                                 weightsname = weightsname, bstrap = FALSE, cband = FALSE))
  case <- list(
    name = name,
    args = list(covariates = all.vars(xformla), control_group = control_group, method = est_method,
                anticipation = anticipation, base_period = base_period, panel = panel,
                allow_unbalanced_panel = allow_unbalanced_panel, weights = weightsname),
    n = res$n,
    att_gt = gt_table(res),
    wald_pretest = list(statistic = num(res$W), p_value = num(res$Wpval)),
    simple = suppressWarnings(agg(res, "simple")),
    group = suppressWarnings(agg(res, "group")),
    dynamic = suppressWarnings(agg(res, "dynamic")),
    calendar = suppressWarnings(agg(res, "calendar"))
  )
  if (extra_dynamic) {
    case$dynamic_window = suppressWarnings(agg(res, "dynamic", min_e = -2, max_e = 2))
    case$dynamic_balanced = suppressWarnings(agg(res, "dynamic", balance_e = 1))
    case$group_max_e = suppressWarnings(agg(res, "group", max_e = 1))
  }
  case
}

cases <- list()
for (cg in c("nevertreated", "notyettreated")) {
  for (xf in list(~1, ~lpop)) {
    for (m in c("reg", "ipw", "dr")) {
      nm <- paste(cg, if (length(all.vars(xf))) "lpop" else "nocov", m, sep = "_")
      cases[[nm]] <- run_case(nm, xformla = xf, control_group = cg, est_method = m)
    }
  }
}
cases[["universal_nocov_dr"]] <- run_case("universal_nocov_dr", base_period = "universal")
cases[["universal_lpop_dr"]] <- run_case("universal_lpop_dr", xformla = ~lpop, base_period = "universal")
cases[["universal_notyet_lpop_reg"]] <- run_case("universal_notyet_lpop_reg", xformla = ~lpop,
                                                 control_group = "notyettreated", est_method = "reg",
                                                 base_period = "universal")
cases[["anticipation1_nocov_dr"]] <- run_case("anticipation1_nocov_dr", anticipation = 1)
cases[["anticipation1_notyet_lpop_ipw"]] <- run_case("anticipation1_notyet_lpop_ipw", xformla = ~lpop,
                                                     control_group = "notyettreated", est_method = "ipw",
                                                     anticipation = 1)

# sampling weights (time-invariant, per county): w = lpop
mpdta_w <- mpdta
mpdta_w$w <- mpdta_w$lpop
cases[["weights_lpop_dr"]] <- run_case("weights_lpop_dr", xformla = ~lpop, weightsname = "w", data = mpdta_w)
cases[["weights_nocov_reg"]] <- run_case("weights_nocov_reg", weightsname = "w", data = mpdta_w, est_method = "reg")

# unbalanced panel: drop a deterministic 10% of county-years (countyreal %% 10 == year %% 10)
drop <- (mpdta$countyreal %% 10) == (mpdta$year %% 10)
mpdta_unbal <- mpdta[!drop, ]
cases[["unbalanced_nocov_dr"]] <- run_case("unbalanced_nocov_dr", data = mpdta_unbal, allow_unbalanced_panel = TRUE)
cases[["unbalanced_lpop_reg"]] <- run_case("unbalanced_lpop_reg", xformla = ~lpop, est_method = "reg",
                                           data = mpdta_unbal, allow_unbalanced_panel = TRUE)
cases[["unbalanced_notyet_lpop_dr"]] <- run_case("unbalanced_notyet_lpop_dr", xformla = ~lpop,
                                                 control_group = "notyettreated",
                                                 data = mpdta_unbal, allow_unbalanced_panel = TRUE)
cases[["unbalanced_lpop_ipw"]] <- run_case("unbalanced_lpop_ipw", xformla = ~lpop, est_method = "ipw",
                                           data = mpdta_unbal, allow_unbalanced_panel = TRUE)

# repeated cross sections: the rows of mpdta treated as independent observations
cases[["rcs_nocov_dr"]] <- run_case("rcs_nocov_dr", panel = FALSE)
cases[["rcs_lpop_dr"]] <- run_case("rcs_lpop_dr", xformla = ~lpop, panel = FALSE)
cases[["rcs_lpop_reg"]] <- run_case("rcs_lpop_reg", xformla = ~lpop, est_method = "reg", panel = FALSE)
cases[["rcs_lpop_ipw"]] <- run_case("rcs_lpop_ipw", xformla = ~lpop, est_method = "ipw", panel = FALSE)

# unpatched did 2.1.2: overall group-aggregated SE as printed by CRAN did 2.1.2 (for the record)
assignInNamespace("compute.aggte", aggte_unpatched, ns = "did")
res0 <- att_gt(yname = "lemp", tname = "year", idname = "countyreal", gname = "first.treat", data = mpdta,
               est_method = "reg", bstrap = FALSE, cband = FALSE)
g0 <- suppressWarnings(aggte(res0, type = "group", bstrap = FALSE, cband = FALSE))
assignInNamespace("compute.aggte", aggte_patched, ns = "did")

# --------------------------------------------------------------------------- DRDID 2x2
# 2003 (pre) vs 2004 (post); treated = first treated in 2004, comparison = never treated
two <- mpdta[mpdta$year %in% c(2003, 2004) & mpdta$first.treat %in% c(0, 2004), ]
two <- two[order(two$countyreal, two$year), ]
pre <- two[two$year == 2003, ]
post <- two[two$year == 2004, ]
stopifnot(all(pre$countyreal == post$countyreal))
D <- as.numeric(pre$first.treat == 2004)
X <- cbind(1, pre$lpop)
drdid_ref <- function(fit, n) {
  psi <- as.numeric(fit$att.inf.func)
  list(estimate = num(fit$ATT), std_error = num(sqrt(sum(psi^2)) / n), drdid_se = num(fit$se))
}
n2 <- length(D)
panel2 <- list(
  reg = drdid_ref(reg_did_panel(post$lemp, pre$lemp, D, X, inffunc = TRUE), n2),
  ipw = drdid_ref(std_ipw_did_panel(post$lemp, pre$lemp, D, X, inffunc = TRUE), n2),
  dr = drdid_ref(drdid_panel(post$lemp, pre$lemp, D, X, inffunc = TRUE), n2),
  reg_nocov = drdid_ref(reg_did_panel(post$lemp, pre$lemp, D, NULL, inffunc = TRUE), n2)
)
Drc <- as.numeric(two$first.treat == 2004)
postrc <- as.numeric(two$year == 2004)
Xrc <- cbind(1, two$lpop)
nrc <- nrow(two)
rc2 <- list(
  reg = drdid_ref(reg_did_rc(two$lemp, postrc, Drc, Xrc, inffunc = TRUE), nrc),
  ipw = drdid_ref(std_ipw_did_rc(two$lemp, postrc, Drc, Xrc, inffunc = TRUE), nrc),
  dr = drdid_ref(drdid_rc(two$lemp, postrc, Drc, Xrc, inffunc = TRUE), nrc),
  reg_nocov = drdid_ref(reg_did_rc(two$lemp, postrc, Drc, NULL, inffunc = TRUE), nrc)
)
# weighted (w = lpop) panel DR
panel2$dr_weighted <- drdid_ref(drdid_panel(post$lemp, pre$lemp, D, X, i.weights = pre$lpop, inffunc = TRUE), n2)

# --------------------------------------------------------------------------- TWFE
tw <- mpdta
tw$treated_post <- as.numeric(tw$first.treat > 0 & tw$year >= tw$first.treat)
tw$state <- tw$countyreal %/% 1000
tw$lpop_trend <- tw$lpop * (tw$year - 2003)
tw$w <- tw$lpop
twfe_fit <- function(formula, clusters, weights = NULL) {
  # estimatr with the fixed effects absorbed; se_type "stata" = CR1 with (N-1)/(N-K) counting only
  # the non-absorbed coefficients, and a second SE with no (N-1)/(N-K) factor ("CR0 x G/(G-1)").
  tw$.cl <- tw[[clusters]]
  tw$.w <- if (is.null(weights)) 1 else tw[[weights]]
  fit <- lm_robust(formula, data = tw, fixed_effects = ~ countyreal + year, clusters = .cl, weights = .w,
                   se_type = "stata")
  # the same with every dummy explicit, and sandwich::vcovCL
  f2 <- update(formula, . ~ . + factor(countyreal) + factor(year))
  lmfit <- lm(f2, data = tw, weights = .w)
  k <- names(coef(fit))
  v_hc0 <- vcovCL(lmfit, cluster = tw$.cl, type = "HC0", cadjust = TRUE)[k, k, drop = FALSE]
  v_hc1 <- vcovCL(lmfit, cluster = tw$.cl, type = "HC1", cadjust = TRUE)[k, k, drop = FALSE]
  list(coef = as.list(num(coef(fit))), std_error_estimatr_stata = as.list(num(fit$std.error)),
       std_error_cluster_g = as.list(num(sqrt(diag(v_hc0)))),
       std_error_cluster_hc1_all_dummies = as.list(num(sqrt(diag(v_hc1)))),
       n = nrow(tw), clusters = length(unique(tw[[clusters]])), lm_rank = lmfit$rank)
}
twfe <- list(
  basic = twfe_fit(lemp ~ treated_post, "countyreal"),
  covariate = twfe_fit(lemp ~ treated_post + lpop_trend, "countyreal"),
  weighted = twfe_fit(lemp ~ treated_post, "countyreal", weights = "w"),
  state_cluster = twfe_fit(lemp ~ treated_post, "state")
)
# plm within estimator, clustered by county (Arellano, HC1 df adjustment within plm)
pw <- plm(lemp ~ treated_post, data = tw, index = c("countyreal", "year"), model = "within", effect = "twoways")
twfe$plm_within <- list(coef = num(coef(pw)[["treated_post"]]),
                        std_error_arellano_hc0 = num(sqrt(vcovHC(pw, method = "arellano", type = "HC0", cluster = "group")[1, 1])))

# --------------------------------------------------------------------------- event study (dynamic TWFE)
# leads/lags of event time e = year - first.treat for treated counties, window (-3, 3), reference -1;
# mpdta's event times run -4..3, so e = -4 is binned into the "-3 or less" end point.
es <- tw
es$e <- ifelse(es$first.treat > 0, es$year - es$first.treat, NA)
es$e_b <- pmax(pmin(es$e, 3), -3)
levels_e <- c(-3, -2, 0, 1, 2, 3)
for (k in levels_e) {
  nm <- paste0("e_", ifelse(k < 0, paste0("m", -k), k))
  es[[nm]] <- as.numeric(!is.na(es$e_b) & es$e_b == k)
}
es_vars <- paste0("e_", ifelse(levels_e < 0, paste0("m", -levels_e), levels_e))
es_fit <- lm_robust(as.formula(paste("lemp ~", paste(es_vars, collapse = " + "))), data = es,
                    fixed_effects = ~ countyreal + year, clusters = es$countyreal, se_type = "stata")
pre_vars <- c("e_m3", "e_m2")
Vpre <- es_fit$vcov[pre_vars, pre_vars]
bpre <- coef(es_fit)[pre_vars]
W_es <- as.numeric(t(bpre) %*% solve(Vpre) %*% bpre)
event_study <- list(
  window = c(-3, 3), reference = -1,
  terms = data.frame(event_time = levels_e, estimate = num(coef(es_fit)[es_vars]), std_error = num(es_fit$std.error[es_vars])),
  pretrend_wald = list(statistic = num(W_es), df = 2, p_value = num(pchisq(W_es, 2, lower.tail = FALSE)))
)

payload <- list(
  source = list(
    command = "Rscript tests/reference/generate/did_mpdta.R",
    R = R.version.string,
    did = as.character(packageVersion("did")), DRDID = as.character(packageVersion("DRDID")),
    BMisc = as.character(packageVersion("BMisc")), estimatr = as.character(packageVersion("estimatr")),
    sandwich = as.character(packageVersion("sandwich")), plm = as.character(packageVersion("plm")),
    patch = "did commit 9229716 (group-aggregation weight influence function) applied to did 2.1.2"
  ),
  published = list(
    note = "did vignette 'Getting started' (did 2.1.2), est_method = 'reg', never-treated controls, no covariates",
    att_2004_2004 = -0.0105, att_2004_2004_se = 0.0233, group_overall = -0.031, dynamic_overall = -0.0772
  ),
  att_gt = cases,
  group_overall_se_unpatched_did_2_1_2 = num(g0$overall.se),
  drdid_2x2 = list(panel = panel2, repeated_cross_section = rc2, n_panel = n2, n_rc = nrc),
  twfe = twfe,
  event_study = event_study
)
writeLines(toJSON(payload, auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null", null = "null"), out_path)
cat("written", out_path, "\n")
