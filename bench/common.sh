# Shared set-up of the stage benchmarks (sourced by drivers.sh and kpis.sh).
# Expects N and DATA; provides the demo data, the Python venv and `median`.

# Generates the 1M-account demo data unless a current copy (one whose
# study.toml has a [kpis] section) is already in $DATA.
ensure_demo_data() {
  if [ ! -f "$DATA/truth.json" ] || ! grep -q "^\[kpis\]" "$DATA/study.toml"; then
    target/release/churnlab demo-data --out "$DATA" --accounts "$N" --months 24 --seed 42 --force
  fi
}

# Creates bench/.venv with the peer pipeline's pinned packages.
ensure_venv() {
  if [ ! -x bench/.venv/bin/python ]; then
    python3 -m venv bench/.venv
    bench/.venv/bin/pip install -q -r ../shared/peers/requirements.txt
  fi
}

# Median of the numbers on stdin, one per line.
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# Field 3 (seconds) of each line of $1: the median, then all runs.
secs_median() { echo "$1" | awk '{print $3}' | median; }
secs_all() { echo "$1" | awk '{print $3}' | paste -sd' '; }
