"""Laney p' reference values for tests/it/spc.rs.

Two independent computations that must agree before anything is written:
  1. pccpy 0.16.2 (PyPI), an open implementation of Minitab's documented
     Laney P' chart (`laney_p_chart`);
  2. the formulas of Minitab's "Methods and formulas for Laney P' Chart"
     written out here with numpy: p̄ = Σx/Σn, z_i = (p_i − p̄)/√(p̄(1−p̄)/n_i),
     σz = mean|z_i − z_{i−1}| / 1.128, limits p̄ ± 3·σz·√(p̄(1−p̄)/n_i)
     clipped to [0, 1].
Data (tests/data/spc/): orangejuice.csv (qcc; the 30 trial samples, n = 50),
laney_demo_logo_churn.csv (the demo study's monthly logo churn: churned of
the start-of-month cohort), laney_overdispersed.csv (30 weeks, n from 2,000
to 20,000, beta-binomial around 3 %, numpy seed 20021).

Run:  python tests/reference/laney_reference.py  (writes tests/reference/laney.json)
"""
import csv
import json
import os

import numpy as np
import pccpy

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "data", "spc")


def read(name, label, x, n, keep=lambda r: True):
    with open(os.path.join(DATA, name), newline="") as f:
        rows = [r for r in csv.DictReader(f) if keep(r)]
    return [r[label] for r in rows], np.array([float(r[x]) for r in rows]), np.array([float(r[n]) for r in rows])


def by_formula(x, n):
    p = x / n
    pbar = x.sum() / n.sum()
    sp = np.sqrt(pbar * (1 - pbar) / n)
    z = (p - pbar) / sp
    sigma_z = np.mean(np.abs(np.diff(z))) / 1.128
    ucl = np.minimum(1.0, pbar + 3 * sigma_z * sp)
    lcl = np.maximum(0.0, pbar - 3 * sigma_z * sp)
    return pbar, sigma_z, lcl, ucl


def case(labels, x, n):
    pbar, sigma_z, lcl, ucl = by_formula(x, n)
    chart = pccpy.laney_p_chart(x.astype(int), n.astype(int))
    params = chart.params[0]
    frame = chart.to_frame()
    # pccpy uses d2(2) = 1.1283791671 (exact), Minitab documents 1.128: the
    # two differ by 3.4e-4 relative, so compare pccpy after rescaling σz.
    scale = 1.1283791670955126 / 1.128
    assert abs(params["center"] - pbar) < 1e-15
    assert abs(params["sigma_z"] * scale - sigma_z) < 1e-12 * sigma_z
    p_ucl = np.minimum(1.0, pbar + (frame["P_LCS"].to_numpy() - pbar) * scale)
    assert np.allclose(p_ucl, ucl, rtol=1e-12, atol=0)
    p = x / n
    return {
        "labels": labels,
        "center": pbar,
        "sigma_z": sigma_z,
        "sigma_z_exact_d2": params["sigma_z"],
        "lcl": lcl.tolist(),
        "ucl": ucl.tolist(),
        "beyond_limits": [labels[i] for i in range(len(p)) if p[i] > ucl[i] or p[i] < lcl[i]],
    }


out = {
    "tool": f"pccpy {pccpy.__version__ if hasattr(pccpy, '__version__') else '0.16.2'}, numpy {np.__version__}",
    "orangejuice": case(*read("orangejuice.csv", "sample", "D", "size", lambda r: r["trial"] == "TRUE")),
    "demo_logo_churn": case(*read("laney_demo_logo_churn.csv", "month", "churned", "cohort")),
    "overdispersed": case(*read("laney_overdispersed.csv", "week", "defectives", "n")),
}
with open(os.path.join(HERE, "laney.json"), "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
print({k: (v["center"], v["sigma_z"], v["beyond_limits"]) for k, v in out.items() if k != "tool"})
