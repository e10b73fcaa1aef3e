#!/usr/bin/env python3
"""The KPI stage as an analyst writes it with pandas, doing the same work as
churnlab's KPI stage on the same files: pivot the MRR table to account x
month, then every month / quarter / TTM / YTD comparison (cohort, churned,
new, reactivated, starting / churned / contraction / expansion MRR, GRR, NRR,
logo churn, ARPA), NPS with its CI, time-to-value median and p75 and the KPI
means overall and per segment level, and the per-CSM efficiency table with
funnel limits. The functions are those of tests/reference/kpis_reference.py,
which the Rust tests match to 1e-9. Reading the CSVs is not timed.

Usage: python bench/kpis_stage.py DATA_DIR [REPEAT]
"""
import importlib.util
import os
import sys
import time

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location(
    "kref", os.path.join(HERE, "..", "tests", "reference", "kpis_reference.py")
)
kref = importlib.util.module_from_spec(spec)
spec.loader.exec_module(kref)

data = sys.argv[1]
repeat = int(sys.argv[2]) if len(sys.argv) > 2 else 1
acc = pd.read_csv(f"{data}/accounts.csv", dtype={"account_id": str})
rev = pd.read_csv(f"{data}/revenue.csv", dtype={"account_id": str, "month": str})

for _ in range(repeat):
    t = time.perf_counter()
    rows = kref.periods(rev)
    groups = [kref.group_kpis(acc, "all")]
    for col in ["segment", "region"]:
        for lev, g in acc.groupby(col, sort=False):
            groups.append(kref.group_kpis(g, f"{col}={lev}"))
    by = acc.groupby("csm_id").agg(n=("churned", "size"), ch=("churned", "sum"), arr=("arr", "sum"))
    by["carr"] = acc[acc["churned"] == 1].groupby("csm_id")["arr"].sum().reindex(by.index).fillna(0.0)
    pbar = by["ch"].sum() / by["n"].sum()
    sig = np.sqrt(pbar * (1 - pbar) / by["n"])
    by["lcl"] = (pbar - 3 * sig).clip(lower=0)
    by["ucl"] = (pbar + 3 * sig).clip(upper=1)
    secs = time.perf_counter() - t
    print(f"pandas kpis_stage_s {secs:.3f} periods {len(rows)} groups {len(groups)} owners {len(by)}")
