#!/usr/bin/env python3
"""Reference values for churnlab's survival statistics (Kaplan-Meier,
log-rank, Cox with Efron and Breslow ties, concordance, the scaled-Schoenfeld
proportional-hazards test, RMST, Firth's penalised Cox), computed with
lifelines and statsmodels on fixed real data:

- the Rossi recidivism data (tests/data/survival/rossi.csv, from
  ../shared/datasets/survival/, lifelines 0.30.3's bundled copy);
- Rossi with delayed entry times (entry = floor(week * f) + 0.5 for a fixed
  f per row, so no entry coincides with an exit week);
- IBM Telco 11.1.3 (data/ibm_telco/telco_11.1.3_merged.csv): `Tenure in
  Months` as the duration, `Churn Label` = "Yes" as the event, Contract and
  Internet Type as categoricals (references Month-to-Month and Fiber Optic),
  Monthly Charge, Number of Referrals and Age as numeric covariates.

Pinned: Python 3.11.7, lifelines 0.30.3, statsmodels 0.15.0, scipy 1.17.1,
numpy 2.4.6, pandas 2.3.3 as in ../../../shared/peers/requirements.txt
(bench/load.sh builds that venv). Models are fitted tightly (lifelines
precision 1e-13; statsmodels Newton with tol 1e-14): lifelines stops one
Newton step early at its default tolerance.

Formulas with no library function, computed here in numpy beside the
library values they build on (each says so in its key):
- the global proportional-hazards test (R cox.zph before survival 3.0:
  uᵀVu·D/Σ(g−ḡ)², u = Σ (g−ḡ)·Schoenfeld residual), from lifelines'
  Schoenfeld residuals and variance matrix; lifelines has per-term tests only;
- the standard error of the RMST (survRM2 / print.survfit(rmean=τ):
  Σ A_j² d_j / (n_j (n_j − d_j))) from lifelines' event table; lifelines'
  `return_variance` is the variance of min(T, τ), not the estimator's;
- the score test, from statsmodels PHReg's score and Hessian at β = 0;
- Firth's penalised Cox (R coxphf's objective l(β) + ½ log det I(β)),
  maximised with scipy on statsmodels PHReg's loglike and Hessian.

Regenerate (from the repo root):
    bench/.venv/bin/python tests/reference/survival_reference.py > tests/reference/survival.json
"""
import json
import os
import sys
import warnings

import lifelines
import numpy as np
import pandas as pd
import scipy
import statsmodels
from lifelines import CoxPHFitter, KaplanMeierFitter
from lifelines.statistics import (logrank_test, multivariate_logrank_test,
                                  pairwise_logrank_test, proportional_hazard_test)
from lifelines.utils import concordance_index, restricted_mean_survival_time
from scipy import optimize, stats
from statsmodels.duration.hazard_regression import PHReg
from statsmodels.duration.survfunc import survdiff

warnings.simplefilter("ignore")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TIGHT = {"precision": 1e-13, "r_precision": 1e-15, "max_steps": 500}


def f(x):
    x = float(x)
    return None if not np.isfinite(x) else x


def km_json(t, e, entry=None, horizons=(), tau=None):
    kmf = KaplanMeierFitter().fit(t, e, entry=entry)
    sf = kmf.survival_function_.iloc[:, 0]
    ci = kmf.confidence_interval_
    tab = kmf.event_table
    cum = np.asarray(kmf._cumulative_sq_)
    rows = []
    for k, time in enumerate(tab.index):
        if tab["removed"].iloc[k] == 0:
            continue
        s = sf.loc[time]
        rows.append({"time": f(time), "at_risk": int(tab["at_risk"].iloc[k]),
                     "events": int(tab["observed"].iloc[k]), "censored": int(tab["censored"].iloc[k]),
                     "survival": f(s), "std_error": f(s * np.sqrt(cum[k])),
                     "ci_low": f(ci.iloc[k, 0]), "ci_high": f(ci.iloc[k, 1])})
    med = kmf.median_survival_time_
    from lifelines.utils import median_survival_times
    mci = median_survival_times(kmf.confidence_interval_)
    out = {"n": int(len(t)), "events": int(np.sum(e)), "table": rows, "median": f(med),
           "median_ci": [f(mci.iloc[0, 0]), f(mci.iloc[0, 1])],
           "at_horizons": [{"time": h, "survival": f(kmf.survival_function_at_times(h).iloc[0]),
                            "ci_low": f(ci[ci.index <= h].iloc[-1, 0]),
                            "ci_high": f(ci[ci.index <= h].iloc[-1, 1])} for h in horizons]}
    if tau is not None:
        rm = restricted_mean_survival_time(kmf, t=tau)
        # SE of the RMST estimator (survRM2): numpy from lifelines' event table.
        times = sf.index.values
        svals = sf.values
        var = 0.0
        for k, time in enumerate(tab.index):
            d, n = tab["observed"].iloc[k], tab["at_risk"].iloc[k]
            if time > tau or d == 0 or d >= n:
                continue
            grid = np.append(times[(times >= time) & (times <= tau)], tau)
            vals = svals[(times >= time) & (times <= tau)]
            area = np.sum(np.diff(grid) * vals)
            var += area * area * d / (n * (n - d))
        out["rmst"] = {"tau": tau, "rmst": f(rm), "std_error_numpy_survRM2": f(np.sqrt(var))}
    return out


def lifelines_cox(df, dur, ev, entry=None, strata=None):
    cph = CoxPHFitter()
    cph.fit(df, dur, ev, entry_col=entry, strata=strata, fit_options=TIGHT)
    s = cph.summary
    lr = cph.log_likelihood_ratio_test()
    out = {"terms": list(s.index), "estimate": [f(v) for v in s["coef"]],
           "std_error": [f(v) for v in s["se(coef)"]], "z": [f(v) for v in s["z"]],
           "p_value": [f(v) for v in s["p"]],
           "ci_low": [f(v) for v in s["coef lower 95%"]], "ci_high": [f(v) for v in s["coef upper 95%"]],
           "hazard_ratio": [f(v) for v in s["exp(coef)"]],
           "log_partial_likelihood": f(cph.log_likelihood_),
           "lr_statistic": f(lr.test_statistic), "lr_p_value": f(lr.p_value),
           "concordance": f(cph.concordance_index_), "aic": f(cph.AIC_partial_)}
    if strata is None and entry is None:
        ph = {}
        resid = cph.compute_residuals(df, kind="schoenfeld")
        for tr in ("rank", "km"):
            r = proportional_hazard_test(cph, df, time_transform=tr)
            # Global (numpy, R cox.zph < 3.0): from lifelines' residuals, times and variance.
            ev_mask = cph.event_observed.astype(bool).values
            trans = {"rank": lambda t, c: np.cumsum(c),
                     "km": lambda t, c: 1 - KaplanMeierFitter().fit(t, c).survival_function_.loc[t, "KM_estimate"].values}[tr]
            g = np.asarray(trans(cph.durations, cph.event_observed))[ev_mask]
            gg = g - g.mean()
            R = resid.values  # events only, in lifelines' sorted order
            u = gg @ R
            V = cph.variance_matrix_.values
            glob = float(u @ V @ u * ev_mask.sum() / np.sum(gg ** 2))
            ph[tr] = {"terms": [str(i) for i in r.summary.index],  # lifelines sorts them by name
                      "statistic": [f(v) for v in r.summary["test_statistic"]],
                      "p_value": [f(v) for v in r.summary["p"]],
                      "global_numpy": f(glob), "global_p_numpy": f(stats.chi2.sf(glob, R.shape[1]))}
        out["ph_test"] = ph
    return out


def statsmodels_cox(X, t, e, ties, entry=None, strata=None):
    m = PHReg(t, X, status=e, entry=entry, strata=strata, ties=ties)
    r = m.fit(method="newton", maxiter=200, tol=1e-14, disp=False)
    zero = np.zeros(X.shape[1])
    u0 = m.score(zero)
    h0 = m.hessian(zero)
    score = float(u0 @ np.linalg.solve(-h0, u0))
    ll0 = m.loglike(zero)
    ci = r.conf_int()
    return {"estimate": [f(v) for v in r.params], "std_error": [f(v) for v in r.bse],
            "p_value": [f(v) for v in r.pvalues], "ci_low": [f(v) for v in ci[:, 0]],
            "ci_high": [f(v) for v in ci[:, 1]], "log_partial_likelihood": f(r.llf),
            "log_partial_likelihood_null": f(ll0), "score_statistic": f(score),
            "wald_statistic": f(r.params @ np.linalg.solve(r.cov_params(), r.params))}


def firth_cox(X, t, e, ties):
    m = PHReg(t, X, status=e, ties=ties)

    def neg(b):
        sign, logdet = np.linalg.slogdet(-m.hessian(b))
        return -(m.loglike(b) + 0.5 * logdet)

    b = optimize.minimize(neg, np.zeros(X.shape[1]), method="Nelder-Mead",
                          options={"xatol": 1e-12, "fatol": 1e-14, "maxiter": 40000, "maxfev": 80000}).x
    b = optimize.minimize(neg, b, method="BFGS", options={"gtol": 1e-10}).x
    cov = np.linalg.inv(-m.hessian(b))
    return {"estimate": [f(v) for v in b], "std_error": [f(v) for v in np.sqrt(np.diag(cov))],
            "penalized_log_likelihood": f(-neg(b)), "log_partial_likelihood": f(m.loglike(b))}


def main():
    out = {"meta": {"python": sys.version.split()[0], "lifelines": lifelines.__version__,
                    "statsmodels": statsmodels.__version__, "scipy": scipy.__version__,
                    "numpy": np.__version__, "pandas": pd.__version__}}
    rossi = pd.read_csv(os.path.join(ROOT, "tests/data/survival/rossi.csv"))
    cov = ["fin", "age", "race", "wexp", "mar", "paro", "prio"]
    t, e = rossi["week"].values.astype(float), rossi["arrest"].values
    r = {"km_all": km_json(t, e, horizons=[12, 26, 52], tau=52.0)}
    r["km_fin"] = {str(v): km_json(t[rossi.fin == v], e[rossi.fin == v], horizons=[12, 26, 52], tau=52.0)
                   for v in (0, 1)}
    lr = logrank_test(t[rossi.fin == 0], t[rossi.fin == 1], e[rossi.fin == 0], e[rossi.fin == 1])
    r["logrank_fin"] = {"statistic": f(lr.test_statistic), "p_value": f(lr.p_value)}
    age3 = np.where(rossi.age < 20, 0, np.where(rossi.age <= 25, 1, 2))
    mlr = multivariate_logrank_test(t, age3, e)
    r["logrank_age3"] = {"groups": "age < 20 | 20-25 | > 25", "statistic": f(mlr.test_statistic),
                         "df": int(mlr.degrees_of_freedom), "p_value": f(mlr.p_value)}
    pw = pairwise_logrank_test(t, age3, e)
    r["pairwise_age3"] = [{"a": int(a), "b": int(b), "statistic": f(row["test_statistic"]),
                           "p_value": f(row["p"])} for (a, b), row in pw.summary.iterrows()]
    chi, p = survdiff(t, e, rossi.fin.values, strata=rossi.wexp.values)
    r["logrank_fin_strata_wexp_statsmodels"] = {"statistic": f(chi), "p_value": f(p)}
    df = rossi[["week", "arrest"] + cov]
    r["cox_efron"] = lifelines_cox(df, "week", "arrest")
    r["cox_efron"]["statsmodels"] = statsmodels_cox(rossi[cov].values.astype(float), t, e, "efron")
    r["cox_breslow_statsmodels"] = statsmodels_cox(rossi[cov].values.astype(float), t, e, "breslow")
    r["cox_efron_strata_wexp"] = lifelines_cox(df, "week", "arrest", strata=["wexp"])
    # Delayed entry: fixed fractions per row.
    frac = ((np.arange(len(rossi)) * 7) % 10) / 20.0
    entry = np.floor(t * frac) + 0.5
    entry = np.where(entry < t, entry, 0.0)
    re = rossi.assign(entry=entry)
    r["entry"] = entry.tolist()
    r["km_entry"] = km_json(t, e, entry=entry, horizons=[12, 26])
    r["cox_efron_entry"] = lifelines_cox(re[["week", "arrest", "entry"] + cov], "week", "arrest", entry="entry")
    r["cox_breslow_entry_statsmodels"] = statsmodels_cox(rossi[cov].values.astype(float), t, e, "breslow",
                                                        entry=entry)
    # Firth: a covariate equal to the event flag gives a monotone likelihood.
    Xf = np.column_stack([rossi.fin.values, rossi.age.values, e]).astype(float)
    r["firth_breslow"] = firth_cox(Xf, t, e, "breslow")
    r["firth_breslow"]["terms"] = ["fin", "age", "sep"]
    out["rossi"] = r

    tel = pd.read_csv(os.path.join(ROOT, "data/ibm_telco/telco_11.1.3_merged.csv"),
                      keep_default_na=False, dtype=str)
    tt = tel["Tenure in Months"].astype(float).values
    te = (tel["Churn Label"] == "Yes").astype(int).values
    X = pd.DataFrame({
        "Contract[One Year]": (tel["Contract"] == "One Year").astype(float),
        "Contract[Two Year]": (tel["Contract"] == "Two Year").astype(float),
        "Internet Type[DSL]": (tel["Internet Type"] == "DSL").astype(float),
        "Internet Type[None]": (tel["Internet Type"] == "None").astype(float),
        "Internet Type[Cable]": (tel["Internet Type"] == "Cable").astype(float),
        "Monthly Charge": tel["Monthly Charge"].astype(float),
        "Number of Referrals": tel["Number of Referrals"].astype(float),
        "Age": tel["Age"].astype(float),
    })
    tdf = X.assign(T=tt, E=te)
    tr = {"km_contract": {lev: km_json(tt[tel.Contract == lev], te[tel.Contract == lev],
                                       horizons=[12, 24, 36], tau=36.0)
                          for lev in ("Month-to-Month", "One Year", "Two Year")}}
    codes = tel["Contract"].map({"Month-to-Month": 0, "Two Year": 1, "One Year": 2}).values
    m = multivariate_logrank_test(tt, codes, te)
    tr["logrank_contract"] = {"statistic": f(m.test_statistic), "df": int(m.degrees_of_freedom),
                              "p_value": f(m.p_value)}
    tr["cox_efron"] = lifelines_cox(tdf, "T", "E")
    tr["cox_breslow_statsmodels"] = statsmodels_cox(X.values, tt, te, "breslow")
    tr["cox_efron"]["statsmodels"] = statsmodels_cox(X.values, tt, te, "efron")
    out["telco"] = tr
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
