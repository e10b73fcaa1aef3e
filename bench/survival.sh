#!/usr/bin/env bash
# Survival benchmark: churnlab's Kaplan–Meier / log-rank tables and Cox fit
# beside lifelines 0.30.3 doing the same work on the same complete cases, in
# the same run, at 100,000 and 1,000,000 demo accounts (complete cases of the
# eight drivers: about 54 %). Loading is not timed on either side.
# Writes bench/results/survival.md.
# Usage: bash bench/survival.sh [REPEAT] [SIZES...]
set -euo pipefail
cd "$(dirname "$0")/.."
REPEAT=${1:-3}
shift || true
SIZES=(100000 1000000)
if [ $# -gt 0 ]; then SIZES=("$@"); fi
OUT=bench/results/survival.md
SCRATCH=$(mktemp -d /tmp/churnlab_survival_bench.XXXXXX)
trap 'rm -rf "$SCRATCH"' EXIT

cargo build --release --bin churnlab --example bench_survival
source bench/common.sh
ensure_venv

med() { echo "$1" | awk -v k="$2" '{for (i = 1; i < NF; i++) if ($i == k) print $(i + 1)}' | median; }
rows=()
for N in "${SIZES[@]}"; do
  DATA=${BENCH_DATA_DIR:-/tmp}/churnlab_bench_$N
  ensure_demo_data
  rust=$(target/release/examples/bench_survival "$DATA/study.toml" "$REPEAT" "$SCRATCH/cases_$N.csv")
  py=$(bench/.venv/bin/python bench/survival_peer.py "$SCRATCH/cases_$N.csv" "$REPEAT")
  echo "$rust"
  echo "$py"
  n=$(echo "$rust" | head -1 | awk '{for (i = 1; i < NF; i++) if ($i == "n") print $(i + 1)}')
  ev=$(echo "$rust" | head -1 | awk '{for (i = 1; i < NF; i++) if ($i == "events") print $(i + 1)}')
  rk=$(med "$rust" km_s); rc=$(med "$rust" cox_s); rs=$(med "$rust" stage_s)
  pk=$(med "$py" km_s); pc=$(med "$py" cox_s)
  b_r=$(echo "$rust" | head -1 | awk '{for (i = 1; i < NF; i++) if ($i == "beta0") print $(i + 1)}')
  b_p=$(echo "$py" | head -1 | awk '{for (i = 1; i < NF; i++) if ($i == "beta0") print $(i + 1)}')
  rows+=("| $N | $n | $ev | $rk | $pk | $(awk -v p="$pk" -v r="$rk" 'BEGIN {printf "%.0f", p / r}')× | $rc | $pc | $(awk -v p="$pc" -v r="$rc" 'BEGIN {printf "%.0f", p / r}')× | $rs | $b_r / $b_p |")
done
mkdir -p bench/results
{
  echo "# Survival: churnlab vs lifelines"
  echo
  echo "Demo accounts (\`demo-data --seed 42 --months 24\`), complete cases of the eight drivers,"
  echo "durations in months with delayed entry. Same cases (written by \`examples/bench_survival.rs\`,"
  echo "read by \`bench/survival_peer.py\`), same machine ($(nproc) cores), same run; loading not timed;"
  echo "median of $REPEAT runs after one untimed warm-up of the KM work on each side, seconds."
  echo
  echo "- KM: Kaplan–Meier with entry overall and per level of the two yes/no drivers (5 curves) and"
  echo "  their two log-rank tests (lifelines' \`logrank_test\` takes no entry, so neither side uses it there)."
  echo "- Cox: Efron ties, eight covariates, delayed entry, standard errors and Harrell's C."
  echo "- Stage: churnlab's whole survival stage of \`run\` (every driver's curves and tests, the Cox"
  echo "  model with one LR refit per driver, the PH test, RMST), for scale; lifelines has no single call for it."
  echo "- Last column: the first coefficient from each side (lifelines at its default tolerance)."
  echo
  echo "| accounts | cases | events | churnlab KM | lifelines KM | speed-up | churnlab Cox | lifelines Cox | speed-up | churnlab stage | β(training_quality) churnlab / lifelines |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
} > "$OUT"
cat "$OUT"
