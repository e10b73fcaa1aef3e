#!/usr/bin/env bash
# The stages that run on a SQL engine, at N demo accounts x 24 months, on
# the three engines side by side in one run: in memory (the CSV files),
# PostgreSQL (the tables loaded with COPY: text columns, typed ARR / MRR)
# and Spark Connect on the local two-executor cluster (the CSVs written as
# PARTS Parquet files each). For each of `validate`, `pareto`, `drivers`
# (the univariate screen, the model and every LR test), `kpis` (the whole
# KPI stage, with the driver model) and `survival` (the durations, the
# Kaplan-Meier curves and tests, the Cox model with its LR tests and PH
# check, the driver model beside it): wall time (median
# of REPEAT), and on an engine the queries sent and the reads of each table.
# Writes bench/results/engine.md. The servers are the test harness's
# (scripts/postgres.sh, scripts/spark.sh: loopback, stopped at exit).
# `run` (the whole study but the renewals at risk, writing the report; the
# renewals table on the engine too) is timed the same way. COMMANDS picks the commands (default: all six) and
# BENCH_OUT the table's file (default bench/results/engine.md).
# Usage: [COMMANDS="run"] [BENCH_OUT=…] bash bench/engine.sh [ACCOUNTS] [REPEAT] [PARTS]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
REPEAT=${2:-3}
PARTS=${3:-8}
DATA=${BENCH_DATA:-/tmp/churnlab_bench_$N}
OUT=${BENCH_OUT:-bench/results/engine.md}
COMMANDS=${COMMANDS:-validate pareto drivers kpis survival run}
SCRATCH=$(mktemp -d /tmp/churnlab_engine_bench.XXXXXX)

cargo build --release --locked --features spark --bin churnlab --example to_parquet
source bench/common.sh
ensure_demo_data
source scripts/postgres.sh
source scripts/spark.sh
trap 'stop_spark; rm -rf "$SCRATCH"' EXIT

# The tables on each engine.
for t in accounts revenue renewals; do
  target/release/examples/to_parquet "$DATA/$t.csv" "$SCRATCH/$t" "$PARTS"
  cols=$(head -1 "$DATA/$t.csv" | tr ',' '\n' | awk '{ty = ($1 == "arr" || $1 == "mrr" || $1 == "arr_due" || $1 == "renewed_arr") ? "DOUBLE PRECISION" : "TEXT"; printf "%s\"%s\" %s", (NR > 1 ? ", " : ""), $1, ty}')
  psql -q "$CHURNLAB_TEST_PG" -c "CREATE SCHEMA IF NOT EXISTS bench; DROP TABLE IF EXISTS bench.$t; CREATE TABLE bench.$t ($cols)"
  psql -q "$CHURNLAB_TEST_PG" -c "\\copy bench.$t FROM '$DATA/$t.csv' WITH (FORMAT csv, HEADER true)"
  psql -q "$CHURNLAB_TEST_PG" -c "ANALYZE bench.$t"
done
# One config per engine: the demo's study, its tables swapped.
engine_config() { # NAME ACCOUNTS REVENUE RENEWALS URL
  sed -e "s|^path = \"accounts.csv\"|table = \"$2\"|" -e "s|^path = \"revenue.csv\"|table = \"$3\"|" \
    -e "s|^path = \"renewals.csv\"|table = \"$4\"|" \
    "$DATA/study.toml" > "$DATA/study_$1.toml"
  printf '\n[engine]\nurl = "%s"\n' "$5" >> "$DATA/study_$1.toml"
}
engine_config postgres bench.accounts bench.revenue bench.renewals "$CHURNLAB_TEST_PG"
engine_config spark "parquet:$SCRATCH/accounts" "parquet:$SCRATCH/revenue" "parquet:$SCRATCH/renewals" "$CHURNLAB_TEST_SPARK"
cp "$DATA/study.toml" "$DATA/study_memory.toml"

rows=()
for cmd in $COMMANDS; do
  for engine in memory postgres spark; do
    times=()
    for _ in $(seq "$REPEAT"); do
      start=$(date +%s.%N)
      if [ "$cmd" = run ]; then
        # results.json holds no usage (reruns are byte-identical): the
        # engine's usage is read back from the `[engine]` lines --timings
        # prints on stderr.
        rm -rf "$SCRATCH/run_out"
        target/release/churnlab run --config "$DATA/study_$engine.toml" --out "$SCRATCH/run_out" \
          --no-kpi-db --quiet --timings 2> "$SCRATCH/run.err"
        python3 - "$SCRATCH/run.err" > "$SCRATCH/out.json" <<'PY'
import json, re, sys
lines = open(sys.argv[1]).read().splitlines()
reads = lambda t: [(x.rsplit(" ", 1)[0], int(x.rsplit(" ", 1)[1].rstrip("×")))
                   for x in t.split(", ") if x.endswith("×")]
use, at = None, None
for i, l in enumerate(lines):
    if l.startswith("[engine] "):
        m = re.match(r"\[engine\] (\d+) queries \(table reads: (.*)\)$", l)
        use, at = {"queries": int(m[1]), "scans": reads(m[2]), "stages": []}, i
    elif use is not None and l.startswith("  "):
        m = re.match(r"  (.*): (\d+) queries \((.*)\), ([\d.]+) s$", l)
        if m:
            use["stages"].append({"stage": m[1], "queries": int(m[2]), "scans": reads(m[3]), "seconds": float(m[4])})
print(json.dumps({} if use is None else {"usage": use}))
PY
      else
        target/release/churnlab "$cmd" --config "$DATA/study_$engine.toml" --format json > "$SCRATCH/out.json"
      fi
      times+=("$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN {printf "%.3f", b - a}')")
    done
    use=$(python3 - "$SCRATCH/out.json" <<'PY'
import json, sys
u = json.load(open(sys.argv[1])).get("usage")
print("" if u is None else f'{u["queries"]} | ' + ", ".join(f"{t.split()[-1].rstrip('/').split('/')[-1].split('.')[-1]} {k}" for t, k in u["scans"]))
PY
)
    cp "$SCRATCH/out.json" "$SCRATCH/$cmd.$engine.json"
    rows+=("$cmd|$engine|$(printf '%s\n' "${times[@]}" | median)|$(printf '%s ' "${times[@]}")|${use:- | }")
  done
done
rev_rows=$(($(wc -l < "$DATA/revenue.csv") - 1))
ren_rows=$(($(wc -l < "$DATA/renewals.csv") - 1))
python3 - "$N" "$REPEAT" "$PARTS" "$(nproc)" "$SCRATCH" "$rev_rows" "$ren_rows" "$COMMANDS" "${rows[@]}" > "$OUT" <<'PY'
import json, os, sys
n, rep, parts, cores = map(int, sys.argv[1:5])
scratch, rev_rows, ren_rows, commands = sys.argv[5], int(sys.argv[6]), int(sys.argv[7]), sys.argv[8].split()
rows_of = {"accounts": n, "revenue": rev_rows, "renewals": ren_rows}
short = lambda t: t.split()[-1].rstrip('/').split('/')[-1].split('.')[-1]
print("# The stages that run on an engine\n")
print(f"{n:,} demo accounts x 24 months (`demo-data --seed 42`), same machine ({cores} cores), same run: "
      f"in memory from the CSV files; PostgreSQL 15 on loopback (tables loaded with COPY); Spark Connect "
      f"4.2.1 on `local-cluster[2,1,1024]` (two executors of one core and 1 GiB) reading {parts} Parquet "
      f"files per table. Wall time of the command, median [all] of {rep} runs; queries and table reads as the "
      f"command's JSON reports them. `kpis` computes every KPI, with the driver model its recommendation "
      f"needs, in memory and on an engine. `survival` in memory also fits the logistic model (the verdicts it sets beside the Cox "
      f"model's), the concordance and the PH check; on an engine all of that but the concordance. `run` is the whole "
      f"study with its report (on an engine without the renewals at risk, which need files), its usage read from "
      f"`--timings`.\n")
print("| command | engine | wall s | runs | queries | table reads |")
print("|---|---|---|---|---|---|")
for r in sys.argv[9:]:
    cmd, engine, med, runs, rest = r.split("|", 4)
    q, reads = (x.strip() for x in rest.split("|", 1))
    print(f"| `{cmd}` | {engine} | {float(med):.2f} | {runs.strip()} | {q or '–'} | {reads or '–'} |")
print("\nPer stage (the last run of each command; seconds = the engine's time answering the stage's queries):\n")
print("| command | engine | stage | queries | table reads | s | s per 1M rows read |")
print("|---|---|---|---|---|---|---|")
for cmd in commands:
    for engine in ["postgres", "spark"]:
        f = os.path.join(scratch, f"{cmd}.{engine}.json")
        u = json.load(open(f)).get("usage") if os.path.exists(f) else None
        for st in (u or {}).get("stages", []):
            reads = ", ".join(f"{short(t)} {k}" for t, k in st["scans"]) or "–"
            k = sum(k for _, k in st["scans"])
            rows_read = sum(k * rows_of.get(short(t), 0) for t, k in st["scans"])
            per = f"{st['seconds'] / (rows_read / 1e6):.3f}" if rows_read else "–"
            print(f"| `{cmd}` | {engine} | {st['stage']} | {st['queries']} | {reads} | {st['seconds']:.2f} | {per} |")
PY
cat "$OUT"
