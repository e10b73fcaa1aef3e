#!/usr/bin/env python3
"""Reference values for churnlab's renewal KPIs, computed with pandas on the
demo study (data/demo), written independently of the Rust code from the
definitions in shared/data-contract.md section 5:

- renewal quota, closed so far, gross / net dollar renewal rate, logo
  renewal rate, quota attainment and late renewals, for every month,
  quarter and year to date, overall and per segment, region and owner;
- once from the renewals table (renewals.csv), once from renewals derived
  from start_date and a 12-month term with the revenue table: every
  anniversary whose month is in the table after its first month is due when
  the account is billed the month before (ARR due = 12 x that MRR); renewed
  when billed the month after the renewal's month (renewed ARR = 12 x that
  MRR), churned when not, open when that month is past the table; later
  anniversaries up to the end of the quarter after the as-of date's are open
  renewals of the accounts billed in the table's last month.

Pinned: tests/reference/requirements.txt (bench/.venv with those packages).
Regenerate (from the repo root):
    bench/.venv/bin/python tests/reference/renewals_reference.py > tests/reference/renewals.json
"""
import json
import os

import numpy as np
import pandas as pd

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEMO = os.path.join(ROOT, "data", "demo")
TERM = 12
OWNER_QUARTERS = ("2024-Q4", "2025-Q1", "2025-Q2")


def mlabel(k):
    return f"{k // 12:04d}-{k % 12 + 1:02d}"


def mindex(ts):
    return ts.dt.year * 12 + ts.dt.month - 1


def kpi_rows(ren, accounts, as_of):
    """Every (grain, period, group) row from a frame of renewals with
    account_id, renewal_date, arr_due, outcome, renewed_arr."""
    df = ren.merge(accounts, on="account_id", how="left")
    df["k"] = mindex(df["renewal_date"])
    df["decided"] = df["outcome"] != "open"
    df["is_renewed"] = df["outcome"] == "renewed"
    df["closed_arr"] = np.where(df["decided"], df["arr_due"], 0.0)
    df["capped"] = np.where(df["is_renewed"], np.minimum(df["renewed_arr"], df["arr_due"]), 0.0)
    df["ren_arr"] = np.where(df["is_renewed"], df["renewed_arr"], 0.0)
    df["late"] = (df["outcome"] == "open") & (df["renewal_date"] < as_of)
    df["late_arr"] = np.where(df["late"], df["arr_due"], 0.0)
    first, last = int(df["k"].min()), int(df["k"].max())
    groups = [("all", None)] + [(c, c) for c in ("segment", "region", "csm_id")]

    def summarise(sub):
        due = len(sub)
        quota = float(sub["arr_due"].sum())
        decided = int(sub["decided"].sum())
        closed = float(sub["closed_arr"].sum())
        renewed = int(sub["is_renewed"].sum())
        capped = float(sub["capped"].sum())
        ren_arr = float(sub["ren_arr"].sum())

        def ratio(a, b):
            return a / b if b > 0 else None

        return {
            "due": due,
            "quota": quota,
            "decided": decided,
            "closed": closed,
            "renewed": renewed,
            "renewed_capped": capped,
            "renewed_arr": ren_arr,
            "open": int((sub["outcome"] == "open").sum()),
            "late": int(sub["late"].sum()),
            "late_arr": float(sub["late_arr"].sum()),
            "closed_share": ratio(closed, quota),
            "gross_dollar_renewal_rate": ratio(capped, closed),
            "net_dollar_renewal_rate": ratio(ren_arr, closed),
            "logo_renewal_rate": ratio(renewed, decided),
            "quota_attainment": ratio(capped, quota),
        }

    # The periods: (grain, label, set of month indices).
    periods = []
    for k in range(first, last + 1):
        periods.append(("month", mlabel(k), [k]))
    q = first - first % 3
    while q <= last:
        periods.append(("quarter", f"{q // 12:04d}-Q{q % 12 // 3 + 1}", [q, q + 1, q + 2]))
        q += 3
    for k in range(first, last + 1):
        periods.append(("ytd", mlabel(k), list(range(k - k % 12, k + 1))))

    out = {}
    for grain, lab, ks in periods:
        sel = df[df["k"].isin(ks)]
        out[f"{grain}|{lab}|all"] = summarise(sel)
        for name, col in groups[1:]:
            # Owners: the quarters before, of and after the as-of date's
            # (2024-Q4, 2025-Q1, 2025-Q2), as churnlab reports them.
            if name == "csm_id" and (grain != "quarter" or lab not in OWNER_QUARTERS):
                continue
            for level, sub in sel.groupby(col):
                out[f"{grain}|{lab}|{name}={level}"] = summarise(sub)
    return out


def derived(accounts, rev):
    rev = rev.assign(k=rev["month"].map(lambda s: int(s[:4]) * 12 + int(s[5:7]) - 1))
    first, last = int(rev["k"].min()), int(rev["k"].max())
    n = last - first + 1
    wide = rev.pivot(index="account_id", columns="k", values="mrr").reindex(
        columns=range(first, last + 1)
    )
    as_of = pd.Timestamp(year=(last + 1) // 12, month=(last + 1) % 12 + 1, day=1)
    qk = (as_of.year * 12 + as_of.month - 1)
    horizon = qk - qk % 3 + 6
    rows = []
    for acc, start in zip(accounts["account_id"], accounts["start_date"]):
        if acc not in wide.index or pd.isna(start):
            continue
        mrr = wide.loc[acc].to_numpy()

        def billed(m):
            if 0 <= m < n and not np.isnan(mrr[m]) and mrr[m] > 0:
                return mrr[m]
            return None

        kk = 1
        while True:
            d = start + pd.DateOffset(months=TERM * kk)
            kk += 1
            dk = d.year * 12 + d.month - 1
            if dk >= horizon:
                break
            m = dk - first
            if m < 1:
                continue
            if m < n:
                before = billed(m - 1)
                if before is None:
                    continue
                if m + 1 >= n:
                    rows.append((acc, d, 12 * before, "open", np.nan))
                elif billed(m + 1) is not None:
                    rows.append((acc, d, 12 * before, "renewed", 12 * billed(m + 1)))
                else:
                    rows.append((acc, d, 12 * before, "churned", np.nan))
            else:
                lastm = billed(n - 1)
                if lastm is None:
                    break
                rows.append((acc, d, 12 * lastm, "open", np.nan))
    ren = pd.DataFrame(rows, columns=["account_id", "renewal_date", "arr_due", "outcome", "renewed_arr"])
    return ren, as_of


def main():
    accounts = pd.read_csv(
        os.path.join(DEMO, "accounts.csv"),
        usecols=["account_id", "segment", "region", "csm_id", "start_date"],
        dtype={"account_id": str, "csm_id": str},
        parse_dates=["start_date"],
    )
    groups = accounts[["account_id", "segment", "region", "csm_id"]]
    table = pd.read_csv(
        os.path.join(DEMO, "renewals.csv"),
        dtype={"account_id": str},
        parse_dates=["renewal_date", "closed_date"],
    )
    as_of = pd.Timestamp("2025-01-01")  # the day after revenue.csv's last month
    rev = pd.read_csv(os.path.join(DEMO, "revenue.csv"), dtype={"account_id": str})
    der, der_as_of = derived(accounts, rev)
    assert der_as_of == as_of
    out = {
        "pandas": pd.__version__,
        "numpy": np.__version__,
        "as_of": str(as_of.date()),
        "table": {"renewals": len(table), "rows": kpi_rows(table, groups, as_of)},
        "derived": {
            "renewals": len(der),
            "by_outcome": der["outcome"].value_counts().to_dict(),
            "rows": kpi_rows(der, groups, as_of),
        },
    }
    json.dump(out, fp=__import__("sys").stdout, indent=0, sort_keys=True)


if __name__ == "__main__":
    main()
