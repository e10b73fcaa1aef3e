#!/usr/bin/env bash
# Load-and-validate benchmark: churnlab validate vs bare polars reading vs
# pandas.read_csv on the same files (1,000,000 accounts x 24 months by default).
# Writes bench/results/load.md. Usage: bash bench/load.sh [ACCOUNTS] [REPEAT]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
REPEAT=${2:-3}
DATA=${BENCH_DATA:-/tmp/churnlab_bench_$N}
OUT=bench/results/load.md

cargo build --release --bin churnlab --example polars_read
BIN=target/release/churnlab

source bench/common.sh
ensure_demo_data
ensure_venv

disk_mb=$(du -cm "$DATA/accounts.csv" "$DATA/revenue.csv" | tail -1 | awk '{print $1}')
rev_rows=$(($(wc -l < "$DATA/revenue.csv") - 1))
read -r c_med c_min c_max c_rss < <(series $BIN validate --config "$DATA/study.toml")
read -r p_med p_min p_max p_rss < <(series target/release/examples/polars_read "$DATA/accounts.csv" "$DATA/revenue.csv")
read -r d_med d_min d_max d_rss < <(series bench/.venv/bin/python bench/pandas_read.py "$DATA/accounts.csv" "$DATA/revenue.csv")

python3 - "$N" "$rev_rows" "$disk_mb" "$c_med" "$c_min" "$c_max" "$c_rss" "$p_med" "$p_min" "$p_max" "$p_rss" "$d_med" "$d_min" "$d_max" "$d_rss" "$REPEAT" > "$OUT" <<'PY'
import sys, platform, os
(n, rev, disk, cm, cmin, cmax, cr, pm, pmin, pmax, pr, dm, dmin, dmax, dr, rep) = sys.argv[1:]
n, rev, disk = int(n), int(rev), float(disk)
print(f"# Load benchmark: {n:,} accounts x 24 months ({rev:,} revenue rows, {disk:.0f} MB of CSV)\n")
print(f"Machine: {os.cpu_count()} CPUs, {platform.machine()}; median of {rep} runs [min-max]; peak RSS is the max over runs.\n")
print("| what | wall s | peak RSS MB | vs bare polars | RSS / on-disk |")
print("|---|---|---|---|---|")
for name, m, lo, hi, r in [
    ("churnlab validate (read + typed + every rule)", cm, cmin, cmax, cr),
    ("bare polars read_csv (both files)", pm, pmin, pmax, pr),
    ("pandas read_csv (both files)", dm, dmin, dmax, dr),
]:
    print(f"| {name} | {float(m):.2f} [{float(lo):.2f}-{float(hi):.2f}] | {float(r):,.0f} | {float(m)/float(pm):.2f}x | {float(r)/disk:.2f}x |")
PY
cat "$OUT"
