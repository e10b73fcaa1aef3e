#!/usr/bin/env python3
"""Reference values for churnlab's Cox predictions (src/survival/predict.rs):
the chance of an event between two times given no event at the first,
1 - exp(-(H0(t1) - H0(t0)) exp(x'b)), on the Rossi recidivism data
(tests/data/survival/rossi.csv, from shared/datasets/survival) with the
delayed entry of survival_reference.py, Breslow ties.

- statsmodels PHReg(ties="breslow", entry=...): coefficients, covariance and
  baseline_cumulative_hazard (at x = 0);
- the baseline computed here from its definition, H0(t) = sum over event
  times s <= t of d(s) / sum over {entry < s <= exit} of exp(x'b); it
  equals statsmodels' baseline_cumulative_hazard without entry (asserted),
  but with delayed entry statsmodels and lifelines keep subjects in the risk
  sets before they enter, so the definition is the reference there;
- the 95 % interval from the delta method on the centred linear predictor,
  (x - mean)'b +- 1.959963984540054 sqrt((x - mean)' V (x - mean)).

Pinned: tests/reference/requirements.txt.
Regenerate (from the repo root):
    bench/.venv/bin/python tests/reference/cox_predict_reference.py > tests/reference/cox_predict.json
"""
import json
import os

import numpy as np
import pandas as pd
from statsmodels.duration.hazard_regression import PHReg

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
rossi = pd.read_csv(os.path.join(ROOT, "tests/data/survival/rossi.csv"))
cov = ["fin", "age", "race", "wexp", "mar", "paro", "prio"]
t, e = rossi["week"].values.astype(float), rossi["arrest"].values
frac = ((np.arange(len(rossi)) * 7) % 10) / 20.0
entry = np.floor(t * frac) + 0.5
entry = np.where(entry < t, entry, 0.0)
X = rossi[cov].values.astype(float)
res = PHReg(t, X, status=e, entry=entry, ties="breslow").fit()
b, V = res.params, res.cov_params()
times = np.unique(t[e == 1])


def breslow(beta, start):
    r = np.exp(X @ beta)
    return np.cumsum([((t == s) & (e == 1)).sum() / r[(start < s) & (t >= s)].sum() for s in times])


# The definition reproduces statsmodels' baseline without entry (which it
# reports just before each event time: one step behind)...
plain = PHReg(t, X, status=e, ties="breslow").fit()
sm_h = plain.baseline_cumulative_hazard[0][1]
assert np.allclose(breslow(plain.params, np.zeros_like(t))[:-1], sm_h[1:], rtol=1e-10, atol=0)
# ...but statsmodels' (like lifelines') baseline keeps every subject in the
# risk sets before its entry, so with delayed entry the definition is used.
own = breslow(b, entry)


def H(x):
    k = np.searchsorted(times, x, side="right")
    return 0.0 if k == 0 else own[k - 1]


mean = X.mean(axis=0)
z = 1.959963984540054
rows = []
for i, (t0, t1) in enumerate([(0.0, 52.0), (10.0, 40.0), (20.5, 30.0), (5.0, 5.0), (40.0, 60.0)] * 2):
    x = X[i * 37]
    dh = H(t1) - H(t0)
    xc = x - mean
    eta, se = xc @ b, np.sqrt(xc @ V @ xc)
    base = dh * np.exp(mean @ b)
    rows.append({"row": int(i * 37), "t0": t0, "t1": t1,
                 "p": float(1 - np.exp(-dh * np.exp(x @ b))),
                 "low": float(1 - np.exp(-base * np.exp(eta - z * se))),
                 "high": float(1 - np.exp(-base * np.exp(eta + z * se)))})
print(json.dumps({"entry": entry.tolist(), "beta": b.tolist(), "predictions": rows}, indent=1))
