#!/usr/bin/env bash
# Fuzzes churnlab's input paths with cargo fuzz (libFuzzer, nightly Rust):
# the study config parser, the cell parsers, the accounts reader (CSV,
# NDJSON, Parquet bytes), the revenue readers (the streaming reader checked
# against the full reader bit for bit), the `spc` series reader and the
# renewals table. Each target starts from its committed corpus (fuzz/corpus/<target>/), which is
# minimised again at the end; CI replays it on stable (tests/it/fuzz_replay.rs).
# Writes fuzz/results.md: executions, crashes and corpus size per target.
#
# Usage: bash scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#   (default 600 s each; e.g. `bash scripts/fuzz.sh 60 cells config`)
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-600}
shift || true
TARGETS=(config cells accounts revenue spc renewals)
if [ $# -gt 0 ]; then TARGETS=("$@"); fi

if ! rustup toolchain list | grep -q '^nightly'; then
  echo "fuzz.sh: needs the nightly toolchain (rustup toolchain install nightly)" >&2
  exit 2
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  cargo +nightly install cargo-fuzz --locked
fi

LOGS=fuzz/logs
mkdir -p "$LOGS" fuzz/results
for t in "${TARGETS[@]}"; do
  corpus=fuzz/corpus/$t
  before=$(find "$corpus" -type f | wc -l)
  status=0
  # -close_fd_mask=1: the targets print nothing; silence stdout of libraries.
  # -detect_leaks=0: LeakSanitizer reports the 32 bytes libc allocates to
  # register a thread-local destructor for a thread-pool thread (polars,
  # rayon) that lives to the end of the process: not a leak of ours.
  (cd fuzz && cargo +nightly fuzz run "$t" "corpus/$t" -- \
      -max_total_time="$SECS" -print_final_stats=1 -close_fd_mask=1 \
      -timeout=20 -rss_limit_mb=4096 -detect_leaks=0) >"$LOGS/$t.log" 2>&1 || status=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$LOGS/$t.log" | tail -1 | grep -o '[0-9]*$' || echo 0)
  crashes=$(find fuzz/artifacts/"$t" -type f 2>/dev/null | wc -l)
  # Keep only the inputs that add coverage.
  (cd fuzz && cargo +nightly fuzz cmin "$t" "corpus/$t") >>"$LOGS/$t.log" 2>&1 || true
  after=$(find "$corpus" -type f | wc -l)
  echo "$t: $execs executions in ${SECS}s, exit $status, crash files $crashes, corpus $before → $after"
  # One row per target, kept across runs (targets may be run separately).
  echo "| $t | $execs | $SECS | $crashes | $before | $after | $(date -u +%Y-%m-%d) |" > "fuzz/results/$t.row"
done
{
  echo "# Fuzzing: executions per target"
  echo
  echo "The latest \`bash scripts/fuzz.sh SECONDS TARGET…\` of each target, $(nproc) cores."
  echo "Crash files are inputs in fuzz/artifacts/<target>/ (0: none found)."
  echo
  echo "| target | executions | seconds | crash files | corpus before | corpus after cmin | date |"
  echo "|---|---|---|---|---|---|---|"
  cat fuzz/results/*.row
} > fuzz/results.md
cat fuzz/results.md
