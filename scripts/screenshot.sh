#!/usr/bin/env bash
# Renders the demo report's first screen in headless Chromium (Debian's
# `chromium`, installed when missing) to docs/img/report_first_screen.png,
# the picture in the README. Usage: bash scripts/screenshot.sh [WIDTHxHEIGHT]
set -euo pipefail
cd "$(dirname "$0")/.."
size="${1:-1280x1000}"
if ! command -v chromium >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cargo run --release --quiet -- run --config data/demo/study.toml --out "$tmp/demo" --no-kpi-db --quiet
# The flags keep Chromium off the network (this machine has none) and out of
# the user's profile.
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$tmp/profile" --hide-scrollbars --window-size="${size/x/,}" \
    --screenshot="$tmp/shot.png" "file://$tmp/demo/report.html" >/dev/null 2>&1
mkdir -p docs/img
mv "$tmp/shot.png" docs/img/report_first_screen.png
echo "wrote docs/img/report_first_screen.png ($size)"
