# MatchIt on a saved data set (helper of benchmarks/bench_matching.py, the R counterpart of
# benchmarks/peers_matching.py). Called in a subprocess:
#
#   Rscript benchmarks/peers_matching.R DATA.csv RESULT.json
#
# DATA.csv holds id, x0 ... x11 (covariates), treated (0/1) and y (outcome). The job (reference PSM job): a
# logit propensity score on the 12 covariates (glm), 1:1 nearest-neighbour matching without
# replacement, largest score first, within a caliper of 0.2 SD of the logit score (matchit), and the
# ATT with the standard error the MatchIt vignette recommends: lm(y ~ treated) on match.data() with
# the matching weights, cluster-robust on the pairs (sandwich::vcovCL, type HC1).
#
# MatchIt 4.5.1 as built by Debian compares nearest-neighbour distances with the integer abs(), which
# truncates every logit difference below 1 to 0 (fixed upstream in 4.5.4). As in
# tests/reference/generate/matchit_lalonde.R, the linear predictor is therefore passed as a numeric
# distance multiplied by SCALE: the matching order, the joint sort and a caliper in SDs of the
# distance are scale-invariant, so the matches are those of distance = "glm", link = "linear.logit"
# without the bug, and the work done is the same.
#
# RESULT.json receives one object: status ("ok", "memory_error" or "error", with message), the
# MatchIt version, read_seconds (data.table::fread), seconds (glm, matchit, match.data, lm, vcovCL;
# package loading excluded), att, se, matched_treated and peak_rss_mb (VmHWM of this process).

suppressPackageStartupMessages({
  library(MatchIt)
  library(data.table)
  library(sandwich)
  library(jsonlite)
})

SCALE <- 1e7
CALIPER_SD <- 0.2
COVARIATES <- paste0("x", 0:11)

peak_rss_mb <- function() {
  status <- tryCatch(readLines("/proc/self/status"), error = function(e) character(0))
  line <- grep("^VmHWM:", status, value = TRUE)
  if (length(line) == 0) return(NULL)
  round(as.numeric(strsplit(trimws(sub("^VmHWM:", "", line)), "[[:space:]]+")[[1]][1]) / 1024, 1)
}

run <- function(data_path) {
  start <- proc.time()[["elapsed"]]
  d <- as.data.frame(fread(data_path))
  read_seconds <- proc.time()[["elapsed"]] - start

  f <- reformulate(COVARIATES, response = "treated")
  start <- proc.time()[["elapsed"]]
  fit <- glm(f, data = d, family = binomial(link = "logit"))
  lp <- unname(fit$linear.predictors)
  m <- matchit(f, data = d, method = "nearest", distance = lp * SCALE, ratio = 1, replace = FALSE,
               m.order = "largest", caliper = CALIPER_SD, std.caliper = TRUE)
  md <- match.data(m)
  fit_md <- lm(y ~ treated, data = md, weights = weights)
  att <- unname(coef(fit_md)["treated"])
  se <- sqrt(vcovCL(fit_md, cluster = ~subclass, type = "HC1")["treated", "treated"])
  seconds <- proc.time()[["elapsed"]] - start

  list(status = "ok", version = as.character(packageVersion("MatchIt")),
       r_version = paste(R.version$major, R.version$minor, sep = "."),
       read_seconds = read_seconds, seconds = seconds, rows = nrow(d), att = att, se = se,
       matched_treated = sum(md$treated == 1), caliper_raw = unname(m$caliper) / SCALE)
}

main <- function() {
  args <- commandArgs(trailingOnly = TRUE)
  if (length(args) != 2) stop("usage: Rscript peers_matching.R DATA.csv RESULT.json")
  result <- tryCatch(run(args[[1]]), error = function(e) {
    message_text <- conditionMessage(e)
    status <- if (grepl("cannot allocate", message_text, fixed = TRUE)) "memory_error" else "error"
    list(status = status, message = substr(paste0("R error: ", message_text), 1, 500))
  })
  result$tool <- "matchit"
  result$pid <- Sys.getpid()
  result$peak_rss_mb <- peak_rss_mb()
  tmp <- paste0(args[[2]], ".tmp")
  writeLines(toJSON(result, auto_unbox = TRUE, digits = NA, null = "null"), tmp)
  invisible(file.rename(tmp, args[[2]]))
}

main()
