#!/usr/bin/env bash
# The one test command (README, .ci/run): the whole Rust suite in the release
# profile (so CI builds polars once, for the tests and the binary they drive)
# against throwaway PostgreSQL and Spark Connect servers on loopback (the
# KPI-feed and engine tests; with the Spark client, feature `spark`), then the
# analyst notebooks executed headless (notebooks/run.sh). Arguments go to
# `cargo test` and skip the notebooks (a filtered run).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/postgres.sh
source scripts/spark.sh
cargo test --release --locked --features spark "$@"
if [ $# -eq 0 ]; then
    bash notebooks/run.sh
fi
