#!/usr/bin/env python3
"""The driver stage as an analyst writes it with scipy + statsmodels, doing
the same work churnlab's stage does, on the same files: per driver Welch's t,
Mann-Whitney U, Hedges' g (numeric/ordinal) or chi-square + Fisher + odds
ratio (binary), churn rate per level/bin with Wilson CIs, BH correction; then
the multivariable Logit (complete cases), its null model, per-driver LR tests
(one refit per driver), average marginal effects with delta-method SEs, VIFs
and the correlation matrix. Loading is not timed.

Usage: python bench/drivers_stage.py DATA_DIR [REPEAT]
"""
import sys
import time

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.outliers_influence import variance_inflation_factor
from statsmodels.stats.proportion import proportion_confint

DRIVERS = {"training_quality": "ordinal", "time_to_value_days": "numeric", "onboarding_completed": "binary",
           "support_tickets": "numeric", "nps": "ordinal", "product_adoption": "numeric",
           "qbrs_completed": "numeric", "exec_sponsor": "binary"}

data = sys.argv[1]
repeat = int(sys.argv[2]) if len(sys.argv) > 2 else 1
acc = pd.read_csv(f"{data}/accounts.csv", usecols=["churned", *DRIVERS])
y_all = acc["churned"].to_numpy(dtype=float)
for d, k in DRIVERS.items():
    if k == "binary":
        acc[d] = acc[d].map({"yes": 1.0, "no": 0.0, True: 1.0, False: 0.0})
X_all = acc[list(DRIVERS)].astype(float)


def stage():
    ps = []
    for d, kind in DRIVERS.items():
        x = X_all[d].to_numpy()
        ok = ~np.isnan(x)
        xo, yo = x[ok], y_all[ok]
        g1, g0 = xo[yo == 1], xo[yo == 0]
        if kind == "binary":
            tab = np.array([[np.sum((xo == 1) & (yo == 1)), np.sum((xo == 1) & (yo == 0))],
                            [np.sum((xo == 0) & (yo == 1)), np.sum((xo == 0) & (yo == 0))]], float)
            c = stats.chi2_contingency(tab)
            stats.chi2_contingency(tab, correction=False)
            stats.fisher_exact(tab)
            ps.append(c.pvalue)
            for row in tab:
                proportion_confint(row[0], row.sum(), method="wilson")
        else:
            t = stats.ttest_ind(g1, g0, equal_var=False)
            u = stats.mannwhitneyu(g1, g0, alternative="two-sided")
            ps.append(u.pvalue if kind == "ordinal" else t.pvalue)
            bins = pd.qcut(xo, 5, duplicates="drop") if len(np.unique(xo)) > 10 else xo
            g = pd.DataFrame({"b": bins, "y": yo}).groupby("b", observed=True)["y"].agg(["sum", "count"])
            proportion_confint(g["sum"].to_numpy(), g["count"].to_numpy(), method="wilson")
    multipletests(ps, method="fdr_bh")
    cc = X_all.notna().all(axis=1).to_numpy()
    Xk = sm.add_constant(X_all[cc].to_numpy(), has_constant="add")
    yc = y_all[cc]
    res = sm.Logit(yc, Xk).fit(method="newton", disp=0, maxiter=100)
    _ = res.llnull, res.llr_pvalue, res.conf_int(), res.prsquared
    lr = []
    for j in range(1, Xk.shape[1]):
        keep = [i for i in range(Xk.shape[1]) if i != j]
        r = sm.Logit(yc, Xk[:, keep]).fit(method="newton", disp=0, maxiter=100,
                                          start_params=res.params[keep])
        lr.append(stats.chi2.sf(2 * (res.llf - r.llf), 1))
    multipletests(lr, method="fdr_bh")
    res.get_margeff(at="overall", method="dydx").summary_frame()
    [variance_inflation_factor(Xk, i) for i in range(1, Xk.shape[1])]
    np.corrcoef(Xk[:, 1:].T)
    p = res.predict(Xk)
    r = stats.rankdata(p)
    n1 = yc.sum()
    _auc = (r[yc == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * (len(yc) - n1))
    return int(cc.sum())


for _ in range(repeat):
    t = time.perf_counter()
    n = stage()
    print(f"python drivers_stage_s {time.perf_counter() - t:.3f} n_model {n}", flush=True)
