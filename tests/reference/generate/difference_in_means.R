# Reference numbers for tests/test_naive.py: raw difference in means on the NSW experimental
# sample (Dehejia-Wahba), with the Welch / HC2 standard error and a clustered SE.
# Run from the repository root:  Rscript tests/reference/generate/difference_in_means.R
# R 4.2.2, sandwich 3.0-2 (Debian packages r-base-core, r-cran-sandwich).
library(sandwich)
d <- read.csv("tests/reference/data/nsw_dw.csv")
fit <- lm(re78 ~ treat, data = d)
tt <- t.test(re78 ~ treat, data = d, var.equal = FALSE)
d$cl <- d$age %/% 5                       # an arbitrary cluster variable for the CR1 check
cat(sprintf("estimate %.10f\n", coef(fit)[["treat"]]))
cat(sprintf("se_hc2 %.10f\n", sqrt(vcovHC(fit, type = "HC2")["treat", "treat"])))
cat(sprintf("welch_t %.10f\n", -unname(tt$statistic)))   # t.test orders groups 0, 1
cat(sprintf("se_cluster_cr1 %.10f\n", sqrt(vcovCL(fit, cluster = ~cl, type = "HC1")["treat", "treat"])))
