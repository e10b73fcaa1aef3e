#!/usr/bin/env python3
"""Reference values for churnlab's KPI arithmetic, computed with pandas /
numpy / scipy on the demo study (data/demo), written independently of the
Rust code from the definitions in shared/data-contract.md:

- period KPIs (month, quarter, TTM, YTD) from a wide account x month pivot;
- NPS with its trinomial-variance 95 % CI, time-to-value median / p75
  (numpy.percentile, linear), means with t intervals (scipy.stats.t);
- efficiency per CSM with p-chart funnel limits.

Pinned as tests/reference/drivers_reference.py (bench/.venv).
Regenerate (from the repo root):
    bench/.venv/bin/python tests/reference/kpis_reference.py > tests/reference/kpis.json
"""
import json
import os

import numpy as np
import pandas as pd
import scipy
from scipy import stats

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEMO = os.path.join(ROOT, "data", "demo")
Z = stats.norm.ppf(0.975)


def month_index(s):
    y, m = s.split("-")
    return int(y) * 12 + int(m) - 1


def label(k):
    return f"{k // 12:04d}-{k % 12 + 1:02d}"


def periods(rev):
    rev = rev.assign(k=rev["month"].map(month_index))
    first, last = rev["k"].min(), rev["k"].max()
    wide = rev.pivot(index="account_id", columns="k", values="mrr").reindex(
        columns=range(first, last + 1)
    )
    billed = wide.fillna(0.0)
    first_billed = (billed > 0).idxmax(axis=1).where((billed > 0).any(axis=1), np.inf)

    def compare(grain, period, s, e):
        x, y = billed[s], billed[e]
        coh = x > 0
        stay = coh & (y > 0)
        out_ = (~coh) & (y > 0)
        react = out_ & (first_billed < s)
        new = out_ & ~(first_billed < s)
        start = x[coh].sum()
        churned_mrr = x[coh & (y <= 0)].sum()
        d = (y - x)[stay]
        contraction = (-d[d < 0]).sum()
        expansion = d[d > 0].sum()
        row = dict(
            grain=grain,
            period=period,
            cohort=int(coh.sum()),
            churned=int((coh & (y <= 0)).sum()),
            new=int(new.sum()),
            reactivated=int(react.sum()),
            billed_end=int((y > 0).sum()),
            starting_mrr=float(start),
            churned_mrr=float(churned_mrr),
            contraction_mrr=float(contraction),
            expansion_mrr=float(expansion),
            new_mrr=float(y[new].sum()),
            reactivation_mrr=float(y[react].sum()),
            ending_mrr=float(y[y > 0].sum()),
        )
        row["logo_churn_rate"] = row["churned"] / row["cohort"]
        row["grr"] = (start - churned_mrr - contraction) / start
        row["nrr"] = (start - churned_mrr - contraction + expansion) / start
        row["arpa"] = row["ending_mrr"] / row["billed_end"]
        return row

    rows = []
    for e in range(first + 1, last + 1):
        rows.append(compare("month", label(e), e - 1, e))
    q = first - first % 3
    while q <= last:
        s, e = q - 1, q + 2
        if s >= first:
            rows.append(compare("quarter", f"{q // 12}-Q{q % 12 // 3 + 1}", s, min(e, last)))
        q += 3
    for e in range(first, last + 1):
        if e - 12 >= first:
            rows.append(compare("ttm", label(e), e - 12, e))
        s = (e // 12 - 1) * 12 + 11
        if s >= first:
            rows.append(compare("ytd", label(e), s, e))
    return rows


def group_kpis(df, key):
    out = {"segment": key, "accounts": int(len(df))}
    a = df["nps"].dropna()
    n = len(a)
    pp, pd_ = (a >= 9).mean(), (a <= 6).mean()
    score = pp - pd_
    se = np.sqrt((pp + pd_ - score**2) / n)
    out["nps"] = 100 * score
    out["nps_se"] = 100 * se
    out["nps_ci"] = [max(-100, 100 * (score - Z * se)), min(100, 100 * (score + Z * se))]
    out["nps_response_rate"] = n / len(df)
    t = df["time_to_value_days"].dropna().to_numpy()
    out["ttv_median"] = float(np.percentile(t, 50))
    out["ttv_p75"] = float(np.percentile(t, 75))
    means = {}
    for c in ["training_quality", "product_adoption"]:
        v = df[c].dropna().to_numpy()
        m, sd = v.mean(), v.std(ddof=1)
        half = stats.t.ppf(0.975, len(v) - 1) * sd / np.sqrt(len(v))
        means[c] = dict(n=int(len(v)), mean=m, sd=sd, ci=[m - half, m + half])
    out["means"] = means
    return out


def main():
    acc = pd.read_csv(os.path.join(DEMO, "accounts.csv"), dtype={"account_id": str})
    rev = pd.read_csv(os.path.join(DEMO, "revenue.csv"), dtype={"account_id": str, "month": str})
    groups = [group_kpis(acc, "all")]
    for col in ["segment", "region"]:
        for lev, g in acc.groupby(col, sort=False):
            groups.append(group_kpis(g, f"{col}={lev}"))
    by = acc.groupby("csm_id").agg(n=("churned", "size"), ch=("churned", "sum"), arr=("arr", "sum"))
    by["carr"] = acc[acc["churned"] == 1].groupby("csm_id")["arr"].sum()
    by["carr"] = by["carr"].fillna(0.0)
    pbar = by["ch"].sum() / by["n"].sum()
    sig = np.sqrt(pbar * (1 - pbar) / by["n"])
    owners = [
        dict(
            owner=o,
            accounts=int(r.n),
            churned=int(r.ch),
            arr_managed=float(r.arr),
            churned_arr=float(r.carr),
            rate=r.ch / r.n,
            lcl=max(0.0, pbar - 3 * sig[o]),
            ucl=min(1.0, pbar + 3 * sig[o]),
        )
        for o, r in by.iterrows()
    ]
    print(
        json.dumps(
            dict(
                versions=dict(pandas=pd.__version__, numpy=np.__version__, scipy=scipy.__version__),
                periods=periods(rev),
                groups=groups,
                owners=dict(center=pbar, rows=owners),
            ),
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
