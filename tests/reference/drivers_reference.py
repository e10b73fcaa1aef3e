#!/usr/bin/env python3
"""Reference values for churnlab's driver statistics, computed with
statsmodels / scipy on the study configs listed in CASES (the same TOML files
the Rust tests load, so both sides read identical data and roles).

Pinned: Python 3.11.7, scipy 1.17.1, statsmodels 0.15.0, numpy, pandas as in
../../../shared/peers/requirements.txt (bench/load.sh builds that venv).

Regenerate (from the repo root):
    bench/.venv/bin/python tests/reference/drivers_reference.py > tests/reference/drivers.json
"""
import json
import os
import sys
import tomllib

import numpy as np
import pandas as pd
import scipy
import statsmodels
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.contingency_tables import Table2x2
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.outliers_influence import variance_inflation_factor
from statsmodels.stats.proportion import proportion_confint

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# (case name, config, OLS outcome or None)
CASES = [
    ("demo", "data/demo/study.toml", "nps"),
    ("ibm_telco", "data/ibm_telco/study.toml", None),
    ("bigml", "tests/data/bigml/study.toml", "Customer service calls"),
]
TRUE = {"1", "true", "yes", "y", "t"}
FALSE = {"0", "false", "no", "n", "f"}


def flag(s, positive=None):
    def one(v):
        v = v.strip()
        if v == "":
            return np.nan
        if positive is not None:
            return 1.0 if v == positive else 0.0
        lv = v.lower()
        if lv in TRUE:
            return 1.0
        if lv in FALSE:
            return 0.0
        raise ValueError(v)
    return s.map(one).astype(float)


def load(cfg_path):
    cfg = tomllib.load(open(os.path.join(ROOT, cfg_path), "rb"))
    base = os.path.dirname(os.path.join(ROOT, cfg_path))
    acc = cfg["accounts"]
    df = pd.read_csv(os.path.join(base, acc["path"]), dtype=str, keep_default_na=False,
                     encoding="utf-8-sig")
    miss = set(acc.get("missing_values", []))
    ch = df[acc["churned"]].str.strip()
    if acc.get("churned_values"):
        y = ch.isin(acc["churned_values"]).astype(float)
    else:
        y = flag(ch)
    drivers = []
    for d in cfg["drivers"]:
        col = df[d["column"]].str.strip().map(lambda v: "" if v in miss else v)
        kind = d["kind"]
        if kind in ("numeric", "ordinal"):
            vals = pd.to_numeric(col.replace("", np.nan), errors="raise").astype(float)
            drivers.append((d["column"], kind, vals, None))
        elif kind == "binary":
            drivers.append((d["column"], kind, flag(col, d.get("positive")), None))
        else:
            vals = col.replace("", np.nan)
            counts = vals.value_counts()
            levels = sorted(counts.index, key=lambda l: (-counts[l], l))
            ref = d.get("reference", levels[0])
            drivers.append((d["column"], kind, vals, (levels, ref)))
    return y.to_numpy(), drivers


def f(x):
    return None if x is None or (isinstance(x, float) and np.isnan(x)) else float(x)


def univariate(y, name, kind, vals, cat):
    ok = vals.notna().to_numpy()
    yo = y[ok]
    r = {"driver": name, "n": int(ok.sum()), "n_missing": int((~ok).sum())}
    if kind in ("numeric", "ordinal"):
        x = vals.to_numpy()[ok]
        g1, g0 = x[yo == 1], x[yo == 0]
        t = stats.ttest_ind(g1, g0, equal_var=False)
        u = stats.mannwhitneyu(g1, g0, alternative="two-sided")
        n1, n0 = len(g1), len(g0)
        sp = np.sqrt(((n1 - 1) * g1.var(ddof=1) + (n0 - 1) * g0.var(ddof=1)) / (n1 + n0 - 2))
        d = (g1.mean() - g0.mean()) / sp
        r.update(welch_t=f(t.statistic), welch_df=f(t.df), welch_p=f(t.pvalue),
                 mw_u=f(u.statistic), mw_p=f(u.pvalue),
                 hedges_g=f(d * (1 - 3 / (4 * (n1 + n0) - 9))),
                 rank_biserial=f(2 * u.statistic / (n1 * n0) - 1),
                 primary_p=f(u.pvalue if kind == "ordinal" else t.pvalue))
        xs = np.unique(x)
        if len(xs) <= 10:
            rows = []
            for v in xs:
                m = x == v
                k, n = int(yo[m].sum()), int(m.sum())
                lo, hi = proportion_confint(k, n, method="wilson")
                rows.append({"level": v, "n": n, "churned": k, "ci_low": f(lo), "ci_high": f(hi)})
            r["rates"] = rows
        return r
    if kind == "binary":
        levels, ref = ["no", "yes"], "no"
        lab = np.where(vals.to_numpy()[ok] > 0.5, "yes", "no")
    else:
        levels, ref = cat
        lab = vals.to_numpy()[ok]
    present = [l for l in levels if (lab == l).any()]
    tab = np.array([[((lab == l) & (yo == 1)).sum(), ((lab == l) & (yo == 0)).sum()] for l in present], float)
    c = stats.chi2_contingency(tab, correction=True)
    cu = stats.chi2_contingency(tab, correction=False)
    r.update(chi2=f(c.statistic), chi2_p=f(c.pvalue), dof=int(c.dof),
             cramers_v=f(np.sqrt(cu.statistic / tab.sum())), primary_p=f(c.pvalue))
    rows = []
    for l, (k, m) in zip(present, tab):
        lo, hi = proportion_confint(k, k + m, method="wilson")
        rows.append({"level": l, "n": int(k + m), "churned": int(k), "ci_low": f(lo), "ci_high": f(hi)})
    r["rates"] = rows
    if len(present) == 2:
        o = [l for l in present if l != ref][0] if ref in present else present[1]
        rr = ref if ref in present else present[0]
        io, ir = present.index(o), present.index(rr)
        t2 = np.array([tab[io], tab[ir]])
        fe = stats.fisher_exact(t2)
        tt = Table2x2(t2)
        lo, hi = tt.oddsratio_confint()
        r.update(fisher_p=f(fe.pvalue), odds_ratio=f(tt.oddsratio), or_ci_low=f(lo), or_ci_high=f(hi))
        if (c.expected_freq < 5).any():
            r["primary_p"] = f(fe.pvalue)
    return r


def design(y, drivers, skip=()):
    cols, names, owner = [], [], []
    for name, kind, vals, cat in drivers:
        if name in skip:
            continue
        if kind == "categorical":
            levels, ref = cat
            for l in levels:
                if l != ref:
                    cols.append(np.where(vals.isna(), np.nan, (vals == l).astype(float)))
                    names.append(f"{name}[{l}]")
                    owner.append(name)
        else:
            cols.append(vals.to_numpy(dtype=float))
            names.append(name)
            owner.append(name)
    X = np.column_stack(cols)
    ok = ~np.isnan(X).any(axis=1)
    return X, names, owner, ok


def auc(y, s):
    r = stats.rankdata(s)
    n1 = y.sum()
    n0 = len(y) - n1
    return float((r[y == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def model(y, drivers):
    X, names, owner, ok = design(y, drivers)
    Xc = sm.add_constant(X[ok], has_constant="add")
    yc = y[ok]
    res = sm.Logit(yc, Xc).fit(method="newton", maxiter=100, tol=1e-12, disp=0)
    ci = res.conf_int()
    me = res.get_margeff(at="overall", method="dydx")
    terms = ["Intercept"] + names
    coefs = []
    for i, t in enumerate(terms):
        c = {"term": t, "estimate": f(res.params[i]), "std_error": f(res.bse[i]), "z": f(res.tvalues[i]),
             "p_value": f(res.pvalues[i]), "ci_low": f(ci[i, 0]), "ci_high": f(ci[i, 1])}
        if i > 0:
            c["vif"] = f(variance_inflation_factor(Xc, i))
            c["ame"] = f(me.margeff[i - 1])
            c["ame_se"] = f(me.margeff_se[i - 1])
            c["sd"] = f(Xc[:, i].std(ddof=1))
        coefs.append(c)
    lr = []
    for d in dict.fromkeys(owner):
        keep = [0] + [i + 1 for i, o in enumerate(owner) if o != d]
        rr = sm.Logit(yc, Xc[:, keep]).fit(method="newton", maxiter=100, tol=1e-12, disp=0)
        stat = 2 * (res.llf - rr.llf)
        df = len(terms) - len(keep)
        lr.append({"driver": d, "statistic": f(stat), "df": df, "p_value": f(stats.chi2.sf(stat, df))})
    q = multipletests([x["p_value"] for x in lr], method="fdr_bh")[1]
    for x, qq in zip(lr, q):
        x["q_value"] = f(qq)
    corr = np.corrcoef(X[ok].T)
    return {"n": int(ok.sum()), "events": int(yc.sum()), "log_likelihood": f(res.llf), "ll_null": f(res.llnull),
            "pseudo_r2": f(res.prsquared), "llr": f(res.llr), "llr_p_value": f(res.llr_pvalue),
            "aic": f(res.aic), "bic": f(res.bic), "auc": auc(yc, res.predict(Xc)),
            "coefficients": coefs, "lr_tests": lr,
            "term_correlation": {"terms": names, "matrix": [[f(v) for v in row] for row in corr]}}


def ols(drivers, outcome):
    yv = [d for d in drivers if d[0] == outcome][0][2].to_numpy(dtype=float)
    X, names, owner, ok = design(None, drivers, skip=(outcome,))
    ok = ok & ~np.isnan(yv)
    res = sm.OLS(yv[ok], sm.add_constant(X[ok], has_constant="add")).fit()
    ci = res.conf_int()
    terms = ["Intercept"] + names
    return {"outcome": outcome, "n": int(ok.sum()), "r_squared": f(res.rsquared), "adj_r_squared": f(res.rsquared_adj),
            "f_statistic": f(res.fvalue), "f_p_value": f(res.f_pvalue), "log_likelihood": f(res.llf),
            "aic": f(res.aic), "bic": f(res.bic),
            "coefficients": [{"term": t, "estimate": f(res.params[i]), "std_error": f(res.bse[i]),
                              "t": f(res.tvalues[i]), "p_value": f(res.pvalues[i]),
                              "ci_low": f(ci[i, 0]), "ci_high": f(ci[i, 1])} for i, t in enumerate(terms)]}


out = {"generated_by": "tests/reference/drivers_reference.py",
       "versions": {"python": sys.version.split()[0], "numpy": np.__version__, "pandas": pd.__version__,
                    "scipy": scipy.__version__, "statsmodels": statsmodels.__version__},
       "cases": []}
for name, path, outcome in CASES:
    y, drivers = load(path)
    uni = [univariate(y, *d) for d in drivers]
    q = multipletests([u["primary_p"] for u in uni], method="fdr_bh")[1]
    for u, qq in zip(uni, q):
        u["q_value"] = f(qq)
    case = {"name": name, "config": path, "univariate": uni, "model": model(y, drivers)}
    if outcome:
        case["ols"] = ols(drivers, outcome)
    out["cases"].append(case)
json.dump(out, sys.stdout, indent=1)
print()
