#!/usr/bin/env python3
"""Reference values for churnlab's statistics, computed with scipy/statsmodels
on fixed data. Pinned: Python 3.11.7, the versions in
../../../shared/peers/requirements.txt (scipy 1.17.1, statsmodels 0.15.0,
numpy 2.4.6, pandas 2.3.3).

Regenerate (from the repo root):
    bench/.venv/bin/python tests/reference/reference_values.py > tests/reference/values.json
"""
import json
import sys

import numpy as np
import scipy
from scipy import stats

out = {
    "generated_by": "tests/reference/reference_values.py",
    "versions": {"python": sys.version.split()[0], "numpy": np.__version__, "scipy": scipy.__version__},
}

# chi-square test of independence / homogeneity
tables = [
    ([[12, 5], [7, 19]], True),
    ([[12, 5], [7, 19]], False),
    # reason mix: 5 reasons x 2 periods
    ([[40, 52], [25, 18], [13, 30], [9, 8], [3, 11]], False),
    ([[10, 20, 30, 40], [15, 15, 25, 45], [30, 10, 20, 40]], False),
    ([[1, 0, 3], [4, 6, 2]], False),
]
cases = []
for t, corr in tables:
    r = stats.chi2_contingency(np.array(t, dtype=float), correction=corr)
    cases.append({"table": t, "correction": corr, "statistic": float(r.statistic),
                  "p_value": float(r.pvalue), "dof": int(r.dof)})
out["chi2_contingency"] = cases

# two-sample tests on small fixed samples: exact Mann-Whitney (no ties,
# a group of <= 8), asymptotic with ties, and Welch's t
from statsmodels.stats.contingency_tables import Table2x2
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

samples = [
    ([1.1, 2.3, 3.8, 4.0, 7.5], [0.2, 0.9, 1.7, 2.0, 2.2, 3.1, 5.5]),          # exact
    ([3.0, 4.0, 9.0], [0.5, 1.0, 1.5, 2.0, 2.5, 3.5, 5.0, 6.0, 7.0, 8.0, 10.0, 11.0]),  # exact, 3 vs 12
    ([1, 2, 2, 3, 3, 3, 4, 5], [2, 3, 4, 4, 4, 5, 5, 5, 5, 6]),              # ties -> asymptotic
    ([5, 6, 7, 8, 9, 10, 11, 12, 13, 14], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]),  # large-ish, ties
]
tw = []
for a, b in samples:
    t = stats.ttest_ind(a, b, equal_var=False)
    u = stats.mannwhitneyu(a, b, alternative="two-sided")
    tw.append({"a": a, "b": b, "welch_t": float(t.statistic), "welch_df": float(t.df),
               "welch_p": float(t.pvalue), "mw_u": float(u.statistic), "mw_p": float(u.pvalue)})
out["two_sample"] = tw

# Fisher exact and odds ratios on 2x2 tables [[a, b], [c, d]]
t22 = [[3, 1, 1, 3], [8, 2, 1, 5], [0, 7, 4, 9], [12, 500, 3, 620], [2, 30, 9, 14], [1, 0, 0, 1]]
fx = []
for a, b, c, d in t22:
    tab = np.array([[a, b], [c, d]], float)
    # Haldane-Anscombe: with a zero cell, 0.5 is added to every cell (statsmodels'
    # own shift_zeros replaces only the zero cells, which is not the textbook rule)
    tt = Table2x2(tab + 0.5 if (tab == 0).any() else tab)
    lo, hi = tt.oddsratio_confint()
    fx.append({"table": [a, b, c, d], "fisher_p": float(stats.fisher_exact(tab).pvalue),
               "odds_ratio": float(tt.oddsratio), "or_ci_low": float(lo), "or_ci_high": float(hi)})
out["table2x2"] = fx

# Wilson intervals
out["wilson"] = [{"k": k, "n": n, "low": float(proportion_confint(k, n, method="wilson")[0]),
                  "high": float(proportion_confint(k, n, method="wilson")[1])}
                 for k, n in [(0, 10), (3, 10), (10, 10), (1, 3), (2423, 10000)]]

# multiple-testing corrections
p = [0.01, 0.04, 0.03, 0.005, 0.2, 0.5, 0.0001, 0.049]
out["multipletests"] = {"p": p, **{m: [float(v) for v in multipletests(p, method=k)[1]]
                                   for m, k in [("bh", "fdr_bh"), ("holm", "holm"), ("bonferroni", "bonferroni")]}}

json.dump(out, sys.stdout, indent=1)
print()
