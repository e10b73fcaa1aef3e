"""Asserts on the values the notebooks computed (notebooks/out/*.json), so a
notebook that runs without error but says something wrong still fails CI.
Each expected value is computed here independently from the input files
with pandas, or is the demo generator's planted truth (data/demo/truth.json)."""
import json
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "notebooks" / "out"


def top_reasons(df, reason, weight):
    churned = df[df["_churned"]]
    reasons = churned[reason].fillna("(not given)").replace("", "(not given)")
    count = reasons.value_counts()
    revenue = churned.groupby(reasons)[weight].sum()
    # ties break by name, as churnlab and the peer pipeline do
    first = lambda s: sorted(s[s == s.max()].index)[0]
    return first(count), first(revenue)


# Quarterly study on the demo data.
q = json.loads((OUT / "quarterly_driver_study.json").read_text())
demo = pd.read_csv(ROOT / "data" / "demo" / "accounts.csv", keep_default_na=False, na_values=[""])
demo["_churned"] = demo["churned"].astype(int) == 1
by_count, by_revenue = top_reasons(demo, "cancellation_reason", "arr")
assert q["top_by_count"] == by_count, q["top_by_count"]
assert q["top_by_revenue"] == by_revenue, q["top_by_revenue"]
assert by_count != by_revenue
truth = json.loads((ROOT / "data" / "demo" / "truth.json").read_text())
assert set(q["recommended"]) == set(truth["true_effectiveness_kpis"]), q["recommended"]
assert truth["confounder"] in q["confounded"], q["confounded"]
assert q["laney_flagged"] == [truth["special_cause"]["month"]], q["laney_flagged"]
rates = demo.groupby("training_quality")["_churned"].mean()
for level, rate in rates.items():
    assert abs(q["tq_rate_by_level"][str(int(level))] - rate) < 1e-12, level
assert rates.is_monotonic_decreasing

# IBM Telco.
t = json.loads((OUT / "real_data_telco.json").read_text())
telco = pd.read_csv(ROOT / "data" / "ibm_telco" / "telco_11.1.3_merged.csv", keep_default_na=False, na_values=[""])
telco["_churned"] = telco["Churn Label"] == "Yes"
assert (t["rows"], t["churned"]) == (7043, int(telco["_churned"].sum())) == (7043, 1869)
by_count, by_revenue = top_reasons(telco, "Churn Reason", "Monthly Charge")
assert t["top_by_count"] == by_count, (t["top_by_count"], by_count)
assert t["top_by_revenue"] == by_revenue, (t["top_by_revenue"], by_revenue)
assert t["first_pass_method"] == "firth", t
assert t["separation_drivers"] == ["Satisfaction Score"], t
assert t["satisfaction_verdict"] == "separation", t
assert t["clean_method"] == "newton", t
# The notebook's closing text names these; keep it true.
assert sorted(t["clean_recommended"]) == ["Number of Referrals", "Online Security", "Premium Tech Support"], t
print("notebooks: checked", len(q) + len(t), "computed values against pandas and the planted truth")
