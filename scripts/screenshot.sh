#!/usr/bin/env bash
# Renders the demo report's first screen and its forest plot in headless
# Chromium (Debian's `chromium`, installed when missing) to
# docs/img/report_first_screen.png (the picture in the README) and
# docs/img/drivers_forest_demo.png, and copies the run's one-slide dashboard
# to docs/img/kpi_slide_demo.png. Usage: bash scripts/screenshot.sh [WIDTHxHEIGHT]
set -euo pipefail
cd "$(dirname "$0")/.."
size="${1:-1280x1000}"
if ! command -v chromium >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null \
        || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; }
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cargo run --release --quiet -- run --config data/demo/study.toml --out "$tmp/demo" --no-kpi-db --quiet
# The flags keep Chromium off the network (this machine has none) and out of
# the user's profile.
shot() { # URL WIDTHxHEIGHT OUT
    chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$tmp/profile" --hide-scrollbars --window-size="${2/x/,}" \
        --screenshot="$3" "$1" >/dev/null 2>&1
}
mkdir -p docs/img
cp "$tmp/demo/charts/kpi_slide.png" docs/img/kpi_slide_demo.png
shot "file://$tmp/demo/report.html" "$size" docs/img/report_first_screen.png
shot "file://$tmp/demo/charts/drivers_forest.svg" 1280x720 docs/img/drivers_forest_demo.png
# The time-to-churn section alone: the page's head and that section.
python3 - "$tmp/demo/report.html" "$tmp/survival.html" <<'PY'
import sys
s = open(sys.argv[1], encoding="utf-8").read()
a = s.index('<section id="survival">')
b = s.index("</section>", a) + len("</section>")
m1, m2 = s.index("<main>") + len("<main>"), s.index("</main>")
open(sys.argv[2], "w", encoding="utf-8").write(s[:m1] + s[a:b] + s[m2:])
PY
shot "file://$tmp/survival.html" 1280x9000 docs/img/report_survival.png
shot "file://$tmp/demo/charts/survival_km_onboarding-completed.svg" 1280x776 docs/img/survival_km_demo.png
echo "wrote docs/img/kpi_slide_demo.png, docs/img/report_first_screen.png ($size), docs/img/drivers_forest_demo.png, docs/img/report_survival.png and docs/img/survival_km_demo.png"
