#!/usr/bin/env bash
# The one test command (README, .ci/run): the whole Rust suite in the release
# profile, so CI builds polars once for the tests and the binary they drive.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --release --locked "$@"
