#!/usr/bin/env python3
"""The survival work of examples/bench_survival.rs done the way an analyst
does it with lifelines 0.30.3, on the CSV that example wrote (the same
complete cases, durations in months and delayed-entry times):

- km: KaplanMeierFitter with entry, overall and per level of the two yes/no
  drivers (5 curves), and logrank_test for each of the two (no entry there);
- cox: CoxPHFitter (Efron, lifelines' only ties method) on the eight drivers
  with entry_col, its summary (standard errors) and concordance_index_.

Loading is not timed. Prints one line per run.
Usage: python bench/survival_peer.py CASES.csv [REPEAT]
"""
import sys
import time

import pandas as pd
from lifelines import CoxPHFitter, KaplanMeierFitter
from lifelines.statistics import logrank_test

path = sys.argv[1]
repeat = int(sys.argv[2]) if len(sys.argv) > 2 else 1
df = pd.read_csv(path)
covariates = [c for c in df.columns if c not in ("T", "E", "entry")]
binary = ["onboarding_completed", "exec_sponsor"]

def km_work():
    rows = len(KaplanMeierFitter().fit(df["T"], df["E"], entry=df["entry"]).event_table)
    for b in binary:
        for level in (0.0, 1.0):
            d = df[df[b] == level]
            rows += len(KaplanMeierFitter().fit(d["T"], d["E"], entry=d["entry"]).event_table)
        a, c = df[df[b] == 0.0], df[df[b] == 1.0]
        logrank_test(a["T"], c["T"], a["E"], c["E"])
    return rows


# One untimed warm-up of the KM work, as the Rust side does.
km_work()
for _ in range(repeat):
    t0 = time.perf_counter()
    rows = km_work()
    km_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    cph = CoxPHFitter().fit(df[["T", "E", "entry"] + covariates], "T", "E", entry_col="entry")
    _ = cph.summary
    conc = cph.concordance_index_
    cox_s = time.perf_counter() - t0
    print(f"lifelines km_s {km_s:.3f} cox_s {cox_s:.3f} n {len(df)} km_rows {rows} "
          f"concordance {conc:.6f} beta0 {cph.params_.iloc[0]:.9f}", flush=True)
