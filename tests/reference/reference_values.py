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

json.dump(out, sys.stdout, indent=1)
print()
