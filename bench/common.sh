# Shared set-up of the benchmarks (sourced by load.sh, drivers.sh, kpis.sh, run.sh).
# Expects N, DATA (and REPEAT for `series`); provides the demo data, the
# Python venv, `median` and the /usr/bin/time wrappers `measure` and `series`.

# Generates the N-account demo data unless a current copy (one whose
# study.toml has a [kpis] section and whose truth has the hazard model) is
# already in $DATA.
ensure_demo_data() {
  if [ ! -f "$DATA/truth.json" ] || ! grep -q "^\[kpis\]" "$DATA/study.toml" \
      || ! grep -q '"hazard_model"' "$DATA/truth.json" || [ ! -f "$DATA/renewals.csv" ]; then
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

# Prints "wall_seconds peak_rss_mb" for one run of the command (output discarded).
measure() {
  local log
  log=$(mktemp)
  /usr/bin/time -v "$@" > /dev/null 2> "$log"
  local wall rss
  wall=$(grep 'Elapsed (wall clock)' "$log" | awk '{print $NF}' | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
  rss=$(grep 'Maximum resident set size' "$log" | awk '{print $NF/1024}')
  rm -f "$log"
  echo "$wall $rss"
}

# Runs a command REPEAT times; prints "median_wall min_wall max_wall max_rss".
series() {
  local walls=() rsss=()
  for _ in $(seq "$REPEAT"); do
    read -r w r < <(measure "$@")
    walls+=("$w"); rsss+=("$r")
  done
  python3 - "${walls[@]}" -- "${rsss[@]}" <<'PY'
import statistics, sys
args = sys.argv[1:]
k = args.index("--")
w = [float(x) for x in args[:k]]; r = [float(x) for x in args[k + 1:]]
print(f"{statistics.median(w):.2f} {min(w):.2f} {max(w):.2f} {max(r):.0f}")
PY
}
