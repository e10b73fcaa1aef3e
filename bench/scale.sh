#!/usr/bin/env bash
# Growth of the in-memory path: `churnlab run` (every stage, report, charts,
# SQLite feed) on the demo at 1M and 10M accounts x 24 months, under
# /usr/bin/time -v. Writes bench/results/scale.md: wall time and peak RSS at
# each size and the 10M / 1M time ratio (issue 19 asks for ≤ 12x, < 8 GB).
# Usage: bash bench/scale.sh [REPEAT] [SMALL] [LARGE]
set -euo pipefail
cd "$(dirname "$0")/.."
REPEAT=${1:-1}
SMALL=${2:-1000000}
LARGE=${3:-10000000}
OUT=bench/results/scale.md
SCRATCH=$(mktemp -d /tmp/churnlab_scale_bench.XXXXXX)
trap 'rm -rf "$SCRATCH"' EXIT

cargo build --release --bin churnlab
source bench/common.sh
rows=()
for N in "$SMALL" "$LARGE"; do
  DATA=/tmp/churnlab_bench_$N
  ensure_demo_data
  disk_mb=$(du -cm "$DATA/accounts.csv" "$DATA/revenue.csv" "$DATA/renewals.csv" | tail -1 | awk '{print $1}')
  read -r med lo hi rss < <(series target/release/churnlab run --config "$DATA/study.toml" \
    --out "$SCRATCH/run_$N" --force --kpi-db "$SCRATCH/kpis_$N.sqlite" --quiet)
  rows+=("$N $disk_mb $med $lo $hi $rss")
  rm -rf "$SCRATCH/run_$N" "$SCRATCH/kpis_$N.sqlite"
done

python3 - "$REPEAT" "$(nproc)" "${rows[@]}" > "$OUT" <<'PY'
import sys
rep, cores, *rows = sys.argv[1:]
rows = [r.split() for r in rows]
print("# Growth of the in-memory path: churnlab run at 1M and 10M accounts\n")
print(f"Demo data (`demo-data --seed 42`, 24 months, renewals), same machine ({cores} cores); "
      f"/usr/bin/time -v, median [min-max] of {rep} run(s), peak RSS = the largest.\n")
print("| accounts | CSV on disk | wall s | peak RSS |")
print("|---|---|---|---|")
for n, disk, med, lo, hi, rss in rows:
    print(f"| {int(n):,} | {float(disk):,.0f} MB | {float(med):.2f} [{float(lo):.2f}-{float(hi):.2f}] | {float(rss):,.0f} MB |")
(n1, _, t1, *_), (n2, _, t2, _, _, r2) = rows
print(f"\n**{int(n2) // int(n1)}x the accounts took {float(t2) / float(t1):.1f}x the time**, peak {float(r2) / 1024:.1f} GB "
      f"(targets: within 12x, under 8 GB).")
PY
cat "$OUT"
