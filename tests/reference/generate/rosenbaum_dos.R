# Reference numbers for tests/reference/test_rosenbaum_published.py from Rosenbaum's own R package DOS
# (companion to "Design of Observational Studies", 2010; version 1.0.0, 2018), run on the examples of its help
# pages, and the two data sets those examples use:
#   * lead (Morton et al. 1982, 33 matched pairs; man/lead.Rd: "used as an example in Rosenbaum (1991, 2002,
#     2011, 2017)"): senWilcox() at several Gamma. man/senWilcox.Rd says its calls at Gamma = 1 and 2
#     "reproduce parts of Tables 4.3 and 4.4 in Rosenbaum (2002)", and DOS2's man/lead.Rd that
#     senWilcox(lead$dif, gamma = 5) is "in Table 2" of Rosenbaum (2011, Biometrics 67(3)).
#   * werfel (Werfel et al. 1998, 39 welders and matched controls): senWilcox(d, gamma = 3) "reproduces the
#     approximate one-sided P-value computed in Section 3.5" of Design of Observational Studies;
#     senWilcoxExact(d, gamma = 2) "reproduces the exact one-sided P-value computed in Section 3.9", and the
#     calls at d - 0.0935 and d - 0.0936 with gamma = 3 bracket the one-sided confidence limit of Table 3.3
#     (man/senWilcoxExact.Rd).
# senWilcox: normal approximation, no continuity correction; zero differences get a rank among all |d| and
# then score 0 (rank(|d|) * (|d| > 0)). senWilcoxExact: exact distribution by convolution, zeros dropped,
# no ties allowed.
#
# DOS is not packaged by Debian and CRAN is not reachable from the build machine: the source is CRAN's
# release as mirrored at https://github.com/cran/DOS (commit b87aa96 = version 1.0.0). From the repository
# root:
#   git -C DOS archive --prefix=DOS/ b87aa96 | tar -x -C /tmp && R CMD INSTALL -l /tmp/libdos /tmp/DOS
#   Rscript tests/reference/generate/rosenbaum_dos.R /tmp/libdos
# writes tests/reference/data/rosenbaum_dos.json, rosenbaum_lead.csv and rosenbaum_werfel.csv.
# R 4.2.2, MASS 7.3-58.2, jsonlite 1.8.4 (Debian packages). DOS2 0.5.2 (github.com/cran/DOS2) ships the same
# senWilcox.R and the same lead and werfel data files (identical checksums).
suppressPackageStartupMessages(library(jsonlite))
args <- commandArgs(trailingOnly = TRUE)
stopifnot(length(args) == 1)
library(DOS, lib.loc = args[1])
data(lead, package = "DOS")
data(werfel, package = "DOS")
write.csv(lead, "tests/reference/data/rosenbaum_lead.csv", row.names = FALSE)
write.csv(werfel, "tests/reference/data/rosenbaum_werfel.csv", row.names = FALSE)

gammas <- c(1, 1.5, 2, 2.5, 3, 3.5, 4, 4.25, 4.5, 5, 5.5, 6)
lead_rows <- lapply(gammas, function(g) {
  one <- senWilcox(lead$dif, gamma = g, conf.int = TRUE, alternative = "greater")
  two <- senWilcox(lead$dif, gamma = g, conf.int = TRUE, alternative = "twosided")
  list(gamma = g, pval_greater = one$pval, estimate_low = unname(two$estimate[1]),
       estimate_high = unname(two$estimate[2]))
})

d <- werfel$serpc_p - werfel$cerpc_p
out <- list(
  dos_version = as.character(packageVersion("DOS", lib.loc = args[1])),
  r_version = R.version.string,
  lead = lead_rows,
  werfel = list(
    n_pairs = length(d),
    senWilcox_gamma3 = senWilcox(d, gamma = 3)$pval,
    exact = lapply(c(1, 1.5, 2, 2.5, 3), function(g) list(gamma = g, pval = senWilcoxExact(d, gamma = g))),
    exact_shifted = list(
      list(shift = 0.0935, gamma = 3, pval = senWilcoxExact(d - 0.0935, gamma = 3)),
      list(shift = 0.0936, gamma = 3, pval = senWilcoxExact(d - 0.0936, gamma = 3))
    ),
    wilcox_test_exact_greater = wilcox.test(d, alternative = "greater")$p.value
  )
)
write_json(out, "tests/reference/data/rosenbaum_dos.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
cat("wrote tests/reference/data/rosenbaum_dos.json\n")
