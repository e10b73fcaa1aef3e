#!/usr/bin/env bash
# Driver-stage benchmark: churnlab vs scipy + statsmodels doing the same work
# on the same 1,000,000-account demo files, in the same run. Loading is not
# timed on either side. Writes bench/results/drivers.md.
# Usage: bash bench/drivers.sh [ACCOUNTS] [REPEAT]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
REPEAT=${2:-3}
DATA=${BENCH_DATA:-/tmp/churnlab_bench_$N}
OUT=bench/results/drivers.md

cargo build --release --bin churnlab --example bench_drivers
source bench/common.sh
ensure_demo_data
ensure_venv

rust=$(target/release/examples/bench_drivers "$DATA/study.toml" "$REPEAT")
py=$(bench/.venv/bin/python bench/drivers_stage.py "$DATA" "$REPEAT")
echo "$rust"
echo "$py"
r_med=$(secs_median "$rust")
p_med=$(secs_median "$py")
r_all=$(secs_all "$rust")
p_all=$(secs_all "$py")
n_model=$(echo "$rust" | head -1 | awk '{print $5}')
speedup=$(awk -v p="$p_med" -v r="$r_med" 'BEGIN {printf "%.1f", p / r}')
mkdir -p bench/results
cat > "$OUT" <<MD
# Driver stage: churnlab vs scipy + statsmodels

$N demo accounts (\`demo-data --seed 42 --months 24\`), 8 drivers, $n_model complete
cases in the model. Same files, same machine, same run ($(nproc) cores); loading not
timed. Work on both sides: univariate tests with rate tables and BH, the
multivariable logit with its null model, one LR refit per driver, average
marginal effects with delta-method SEs, VIFs, correlations, AUC.
Median of $REPEAT runs.

| implementation | median s | runs (s) |
|---|---|---|
| churnlab (\`examples/bench_drivers.rs\`) | $r_med | $r_all |
| scipy + statsmodels (\`bench/drivers_stage.py\`) | $p_med | $p_all |

**churnlab is ${speedup}× faster.**
MD
cat "$OUT"
