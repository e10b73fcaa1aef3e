#!/usr/bin/env Rscript
# Reference values for churnlab's Firth (bias-reduced) logistic regression,
# from R's brglm2 (type = "AS_mean", which for the logit link is Firth's
# Jeffreys-prior penalty, as logistf). Debian packages: r-base-core, r-cran-brglm2.
#
# Regenerate (from the repo root):
#   Rscript tests/reference/firth_reference.R > tests/reference/firth.json
suppressPackageStartupMessages(library(brglm2))

num <- function(x) formatC(x, digits = 17, format = "g")
emit_fit <- function(name, fit, terms) {
  s <- summary(fit)$coefficients
  rows <- character(0)
  for (i in seq_len(nrow(s))) {
    rows <- c(rows, sprintf('{"term": "%s", "estimate": %s, "std_error": %s}',
                            terms[i], num(s[i, 1]), num(s[i, 2])))
  }
  sprintf('{"name": "%s", "converged": %s, "coefficients": [%s]}', name,
          tolower(as.character(fit$converged)), paste(rows, collapse = ", "))
}

# 1. IBM Telco with the separating Satisfaction Score (tests/reference/cases/ibm_satisfaction.toml).
d <- read.csv("data/ibm_telco/telco_11.1.3_merged.csv", check.names = FALSE, stringsAsFactors = FALSE)
y <- as.numeric(d[["Churn Label"]] == "Yes")
x <- data.frame(
  sat = d[["Satisfaction Score"]],
  two = as.numeric(d[["Contract"]] == "Two Year"),
  one = as.numeric(d[["Contract"]] == "One Year"),
  ten = d[["Tenure in Months"]]
)
f1 <- glm(y ~ sat + two + one + ten, data = x, family = binomial("logit"),
          method = "brglmFit", type = "AS_mean", epsilon = 1e-12, maxit = 500)
ibm <- emit_fit("ibm_satisfaction", f1,
                c("Intercept", "Satisfaction Score", "Contract[Two Year]", "Contract[One Year]", "Tenure in Months"))

# 2. A small completely separated set (tests/data/separation/tiny.csv).
t <- read.csv("tests/data/separation/tiny.csv", stringsAsFactors = FALSE)
f2 <- glm(churned ~ x + z, data = t, family = binomial("logit"),
          method = "brglmFit", type = "AS_mean", epsilon = 1e-12, maxit = 500)
tiny <- emit_fit("tiny", f2, c("Intercept", "x", "z"))

cat(sprintf('{"generated_by": "tests/reference/firth_reference.R", "R": "%s", "brglm2": "%s",\n "cases": [%s,\n %s]}\n',
            paste(R.version$major, R.version$minor, sep = "."),
            as.character(packageVersion("brglm2")), ibm, tiny))
