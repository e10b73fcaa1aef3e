#!/usr/bin/env bash
# What the renewals stage costs a whole run: `churnlab run` on the same
# N-account x 24-month demo files with and without the [renewals] section
# (the demo's renewals table), alternating, under /usr/bin/time -v.
# Writes bench/results/renewals.md.
# Usage: bash bench/renewals.sh [ACCOUNTS] [REPEAT]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
REPEAT=${2:-3}
DATA=${BENCH_DATA:-/tmp/churnlab_bench_$N}
OUT=bench/results/renewals.md
SCRATCH=$(mktemp -d /tmp/churnlab_renewals_bench.XXXXXX)
trap 'rm -rf "$SCRATCH"' EXIT

cargo build --release --bin churnlab
source bench/common.sh
ensure_demo_data
# The same study without its [renewals] section (the last section written).
sed '/^\[renewals\]/,$d' "$DATA/study.toml" > "$DATA/study_no_renewals.toml"
rows=$(($(wc -l < "$DATA/renewals.csv") - 1))

with=() without=() rss_with=() rss_without=()
for _ in $(seq "$REPEAT"); do
  read -r w r < <(measure target/release/churnlab run --config "$DATA/study_no_renewals.toml" \
    --out "$SCRATCH/without" --force --kpi-db "$SCRATCH/without.sqlite" --quiet)
  without+=("$w"); rss_without+=("$r")
  read -r w r < <(measure target/release/churnlab run --config "$DATA/study.toml" \
    --out "$SCRATCH/with" --force --kpi-db "$SCRATCH/with.sqlite" --quiet)
  with+=("$w"); rss_with+=("$r")
done
python3 - "$N" "$rows" "$REPEAT" "$(nproc)" "${without[*]}" "${with[*]}" "${rss_without[*]}" "${rss_with[*]}" > "$OUT" <<'PY'
import statistics, sys
n, rows, rep, cores = map(int, sys.argv[1:5])
wo, wi, ro, ri = ([float(x) for x in a.split()] for a in sys.argv[5:9])
mo, mi = statistics.median(wo), statistics.median(wi)
print("# The renewals stage in a whole run\n")
print(f"{n:,} demo accounts x 24 months and their {rows:,} renewals (`demo-data --seed 42`), "
      f"`churnlab run` with and without `[renewals]`, alternating, same machine ({cores} cores); "
      f"/usr/bin/time -v, median [min-max] of {rep} runs.\n")
print("| study | wall s | peak RSS |")
print("|---|---|---|")
print(f"| without `[renewals]` | {mo:.2f} [{min(wo):.2f}-{max(wo):.2f}] | {max(ro):,.0f} MB |")
print(f"| with `[renewals]` (read + check the table, KPIs per period and group, feed rows, charts) | {mi:.2f} [{min(wi):.2f}-{max(wi):.2f}] | {max(ri):,.0f} MB |")
print(f"\n**The renewals stage adds {100 * (mi / mo - 1):+.1f} % to the run** (target: within 10 %).")
PY
cat "$OUT"
