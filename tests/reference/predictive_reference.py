#!/usr/bin/env python3
"""Reference values for churnlab's predictive-power measures
(src/stats/predictive.rs), on fixed real data: the BigML / Orange telecom
churn set (shared/datasets/bigml_orange_telecom). A logistic model
(statsmodels) fitted on churn-bigml-80.csv scores the held-out
churn-bigml-20.csv; the scores are rounded to 3 decimals (so there are ties,
the hard case for the AUC and DeLong) and written beside this script as
cases/orange_scores.csv (churned, p), which the Rust test reads. Then:

- AUC: sklearn.metrics.roc_auc_score;
- DeLong standard error: an independent O(n1 n0) implementation of
  DeLong, DeLong & Clarke-Pearson (1988) from the pairwise kernel, with
  the 95 % interval AUC +- 1.959963984540054 SE (pROC's ci.auc delong);
- Brier score: sklearn.metrics.brier_score_loss;
- calibration intercept: statsmodels GLM Binomial, y ~ 1 with offset
  logit(p); calibration slope: GLM Binomial y ~ 1 + logit(p) (p clipped
  to [1e-10, 1 - 1e-10]);
- deciles: the stable argsort of p split by numpy.array_split into 10;
  top-decile lift = observed rate of the last group / overall rate.

Pinned: tests/reference/requirements.txt (Python 3.11.7).
Regenerate (from the repo root):
    bench/.venv/bin/python tests/reference/predictive_reference.py > tests/reference/predictive.json
"""
import json
import os

import numpy as np
import pandas as pd
import statsmodels.api as sm
from sklearn.metrics import brier_score_loss, roc_auc_score

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "..", "shared", "datasets", "bigml_orange_telecom")
COLS = ["Customer service calls", "Total day minutes", "Total eve minutes", "Number vmail messages"]


def design(df):
    x = df[COLS].astype(float).copy()
    x["intl"] = (df["International plan"] == "Yes").astype(float)
    return sm.add_constant(x)


train = pd.read_csv(os.path.join(DATA, "churn-bigml-80.csv"))
test = pd.read_csv(os.path.join(DATA, "churn-bigml-20.csv"))
fit = sm.Logit(train["Churn"].astype(float), design(train)).fit(disp=0)
p = np.round(fit.predict(design(test)).to_numpy(), 3)
y = test["Churn"].astype(bool).to_numpy()
pd.DataFrame({"churned": y.astype(int), "p": p}).to_csv(
    os.path.join(HERE, "cases", "orange_scores.csv"), index=False, float_format="%.3f"
)

pos, neg = p[y], p[~y]
psi = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
v10, v01 = psi.mean(axis=1), psi.mean(axis=0)
auc_pairwise = v10.mean()
se = np.sqrt(v10.var(ddof=1) / len(pos) + v01.var(ddof=1) / len(neg))
z = 1.959963984540054

lp = np.log(np.clip(p, 1e-10, 1 - 1e-10) / (1 - np.clip(p, 1e-10, 1 - 1e-10)))
yf = y.astype(float)
citl = sm.GLM(yf, np.ones(len(yf)), offset=lp, family=sm.families.Binomial()).fit(tol=1e-14)
slope = sm.GLM(yf, sm.add_constant(lp), family=sm.families.Binomial()).fit(tol=1e-14)

order = np.argsort(p, kind="stable")
groups = np.array_split(order, 10)
deciles = [
    {"n": int(len(g)), "events": int(y[g].sum()), "predicted": float(p[g].mean()), "observed": float(y[g].mean())}
    for g in groups
]
print(json.dumps({
    "n": int(len(y)),
    "events": int(y.sum()),
    "auc_sklearn": float(roc_auc_score(y, p)),
    "auc_pairwise": float(auc_pairwise),
    "delong_se": float(se),
    "ci_low": float(auc_pairwise - z * se),
    "ci_high": float(auc_pairwise + z * se),
    "brier": float(brier_score_loss(y, p)),
    "calibration_intercept": float(citl.params[0]),
    "calibration_intercept_se": float(citl.bse[0]),
    "calibration_slope": float(slope.params[1]),
    "calibration_slope_se": float(slope.bse[1]),
    "deciles": deciles,
    "top_decile_lift": float(y[groups[-1]].mean() / y.mean()),
}, indent=2))
