#!/usr/bin/env bash
# KPI-stage benchmark: churnlab vs pandas doing the same group-bys
# on the same 1,000,000-account demo files, in the same run. Loading is not
# timed on either side. Writes bench/results/kpis.md.
# Usage: bash bench/kpis.sh [ACCOUNTS] [REPEAT]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
REPEAT=${2:-3}
DATA=${BENCH_DATA:-/tmp/churnlab_bench_$N}
OUT=bench/results/kpis.md

cargo build --release --bin churnlab --example bench_kpis
source bench/common.sh
ensure_demo_data
ensure_venv

rust=$(target/release/examples/bench_kpis "$DATA/study.toml" "$REPEAT")
py=$(bench/.venv/bin/python bench/kpis_stage.py "$DATA" "$REPEAT")
echo "$rust"
echo "$py"
r_med=$(secs_median "$rust")
p_med=$(secs_median "$py")
r_all=$(secs_all "$rust")
p_all=$(secs_all "$py")
n_periods=$(echo "$rust" | head -1 | awk '{print $5}')
speedup=$(awk -v p="$p_med" -v r="$r_med" 'BEGIN {printf "%.1f", p / r}')
mkdir -p bench/results
cat > "$OUT" <<MD
# KPI stage: churnlab vs pandas

$N demo accounts × 24 months of MRR (\`demo-data --seed 42 --months 24\`). Same files,
same machine, same run ($(nproc) cores); reading the files is not timed on either
side. Work on both sides: $n_periods period comparisons (every month, quarter, TTM
and YTD: cohort, churned, new, reactivated, MRR bridge, GRR, NRR, logo churn,
ARPA), NPS with CI, time-to-value median / p75 and KPI means overall and per
segment level, efficiency per CSM with funnel limits. pandas pivots the long
MRR table inside its timing; churnlab builds its account × month matrix while
loading (about 0.2 s at 1M accounts, see bench/results/load.md), outside its
timing. churnlab also runs the recommendation (ARR-at-stake counterfactuals
per driver), which the pandas side does not. Median of $REPEAT runs.

| implementation | median s | runs (s) |
|---|---|---|
| churnlab (\`examples/bench_kpis.rs\`) | $r_med | $r_all |
| pandas (\`bench/kpis_stage.py\`) | $p_med | $p_all |

**churnlab is ${speedup}× faster.**
MD
cat "$OUT"
