#!/usr/bin/env bash
# What the renewals stage costs a whole run: `churnlab run` on the same
# N-account x 24-month demo files with and without the [renewals] section
# (the demo's renewals table), alternating, under /usr/bin/time -v.
# With BEFORE=BINARY (a churnlab built at the commit before the renewals
# work, 36a730b: `git worktree add /tmp/before 36a730b` and build it there),
# that binary runs the study without [renewals] in the same rounds: the
# issue's "today's time".
# Writes bench/results/renewals.md.
# Usage: [BEFORE=BINARY] bash bench/renewals.sh [ACCOUNTS] [REPEAT]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
REPEAT=${2:-3}
DATA=${BENCH_DATA:-/tmp/churnlab_bench_$N}
OUT=bench/results/renewals.md
SCRATCH=$(mktemp -d /tmp/churnlab_renewals_bench.XXXXXX)
trap 'rm -rf "$SCRATCH"' EXIT

cargo build --release --locked --features spark --bin churnlab
source bench/common.sh
ensure_demo_data
# The same study without its [renewals] section (the last section written).
sed '/^\[renewals\]/,$d' "$DATA/study.toml" > "$DATA/study_no_renewals.toml"
rows=$(($(wc -l < "$DATA/renewals.csv") - 1))

BEFORE=${BEFORE:-}
with=() without=() rss_with=() rss_without=() before=() rss_before=()
for _ in $(seq "$REPEAT"); do
  if [ -n "$BEFORE" ]; then
    read -r w r < <(measure "$BEFORE" run --config "$DATA/study_no_renewals.toml" \
      --out "$SCRATCH/before" --force --kpi-db "$SCRATCH/before.sqlite" --quiet)
    before+=("$w"); rss_before+=("$r")
  fi
  read -r w r < <(measure target/release/churnlab run --config "$DATA/study_no_renewals.toml" \
    --out "$SCRATCH/without" --force --kpi-db "$SCRATCH/without.sqlite" --quiet)
  without+=("$w"); rss_without+=("$r")
  read -r w r < <(measure target/release/churnlab run --config "$DATA/study.toml" \
    --out "$SCRATCH/with" --force --kpi-db "$SCRATCH/with.sqlite" --quiet)
  with+=("$w"); rss_with+=("$r")
done
python3 - "$N" "$rows" "$REPEAT" "$(nproc)" "${without[*]}" "${with[*]}" "${rss_without[*]}" "${rss_with[*]}" "${before[*]}" "${rss_before[*]}" > "$OUT" <<'PY'
import statistics, sys
n, rows, rep, cores = map(int, sys.argv[1:5])
wo, wi, ro, ri, bo, rb = ([float(x) for x in a.split()] for a in sys.argv[5:11])
mo, mi = statistics.median(wo), statistics.median(wi)
print("# The renewals stage in a whole run\n")
print(f"{n:,} demo accounts x 24 months and their {rows:,} renewals (`demo-data --seed 42`), "
      f"`churnlab run` with and without `[renewals]`, alternating, same machine ({cores} cores); "
      f"/usr/bin/time -v, median [min-max] of {rep} runs.\n")
print("| study | wall s | peak RSS |")
print("|---|---|---|")
print(f"| without `[renewals]` | {mo:.2f} [{min(wo):.2f}-{max(wo):.2f}] | {max(ro):,.0f} MB |")
print(f"| with `[renewals]` (read + check the table, KPIs per period and group, feed rows, charts) | {mi:.2f} [{min(wi):.2f}-{max(wi):.2f}] | {max(ri):,.0f} MB |")
if bo:
    mb = statistics.median(bo)
    print(f"| before the renewals work (36a730b), without `[renewals]` | {mb:.2f} [{min(bo):.2f}-{max(bo):.2f}] | {max(rb):,.0f} MB |")
print(f"\n**The renewals stage adds {100 * (mi / mo - 1):+.1f} % to the run** of the same binary.")
if bo:
    print(f"\n**The run with renewals is {100 * (mi / mb - 1):+.1f} % of the run before the renewals work** "
          f"(the issue's target: within 10 % of that day's time); the same study without renewals is "
          f"{100 * (mo / mb - 1):+.1f} %.")
PY
cat "$OUT"
