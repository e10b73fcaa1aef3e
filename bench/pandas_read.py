"""Baseline for the load benchmark: pandas.read_csv of the same files, as the
Python peer reads them (keep_default_na=False so "NA" stays a region)."""
import sys

import pandas as pd

rows = 0
for path in sys.argv[1:]:
    df = pd.read_csv(path, keep_default_na=False, na_values=[""])
    rows += len(df)
    print(f"{path}: {len(df)} rows x {df.shape[1]} columns", file=sys.stderr)
print(rows)
