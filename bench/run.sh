#!/usr/bin/env bash
# End-to-end benchmark: `churnlab run` (every stage, report, charts, SQLite
# feed) beside the Python reference pipeline of ../shared/peers on the same
# 1,000,000-account x 24-month demo files, in the same run, under
# /usr/bin/time -v. Writes bench/results/run.md.
# Usage: bash bench/run.sh [ACCOUNTS] [REPEAT]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
REPEAT=${2:-3}
DATA=${BENCH_DATA:-/tmp/churnlab_bench_$N}
OUT=bench/results/run.md
SCRATCH=$(mktemp -d /tmp/churnlab_run_bench.XXXXXX)
trap 'rm -rf "$SCRATCH"' EXIT

cargo build --release --bin churnlab
source bench/common.sh
ensure_demo_data
ensure_venv

disk_mb=$(du -cm "$DATA/accounts.csv" "$DATA/revenue.csv" | tail -1 | awk '{print $1}')
read -r c_med c_min c_max c_rss < <(series target/release/churnlab run --config "$DATA/study.toml" \
  --out "$SCRATCH/churnlab" --force --kpi-db "$SCRATCH/kpis.sqlite" --quiet)
read -r p_med p_min p_max p_rss < <(series bench/.venv/bin/python ../shared/peers/python_pipeline.py \
  --data "$DATA" --out "$SCRATCH/peer")

python3 - "$N" "$disk_mb" "$c_med" "$c_min" "$c_max" "$c_rss" "$p_med" "$p_min" "$p_max" "$p_rss" "$REPEAT" "$(nproc)" > "$OUT" <<'PY'
import sys
n, disk, cm, cmin, cmax, cr, pm, pmin, pmax, pr, rep, cores = sys.argv[1:]
n, disk = int(n), float(disk)
cm, cmin, cmax, cr, pm, pmin, pmax, pr = map(float, (cm, cmin, cmax, cr, pm, pmin, pmax, pr))
print(f"# Whole study: churnlab run vs the Python reference pipeline\n")
print(f"{n:,} demo accounts x 24 months (`demo-data --seed 42`, {disk:.0f} MB of CSV), "
      f"same files, same machine ({cores} cores), same run; /usr/bin/time -v, "
      f"median [min-max] of {rep} runs, peak RSS = the largest of the runs.\n")
print("| implementation | wall s | peak RSS |")
print("|---|---|---|")
print(f"| `churnlab run` (load + validate, Pareto, drivers, KPIs, control charts, report.html, every chart as PNG and SVG, CSVs, SQLite feed) | {cm:.2f} [{cmin:.2f}-{cmax:.2f}] | {cr:,.0f} MB |")
print(f"| `python_pipeline.py` (../shared/peers: pandas, scipy, statsmodels, lifelines, matplotlib) | {pm:.2f} [{pmin:.2f}-{pmax:.2f}] | {pr:,.0f} MB |")
print(f"\n**churnlab is {pm / cm:.1f}x faster end to end and uses {cr / pr:.2f}x the peer's peak memory** "
      f"(targets: at least 10x faster, under 0.5x the memory).")
PY
cat "$OUT"
