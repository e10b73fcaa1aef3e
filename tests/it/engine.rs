//! The study's passes on SQL engines: the demo's accounts (50,000 of them)
//! loaded into PostgreSQL (a table, text columns and a typed revenue
//! column) and into Spark (four Parquet files, read in place by a
//! two-executor local cluster) give the same Pareto stage as the files in
//! memory: the same counts and ranks, sums within 1e-9 relative; bad rows
//! in the engine get the same class of error as in a file (exit 2, naming
//! table, column, key and value). The servers are started by
//! `scripts/postgres.sh` and `scripts/spark.sh` (`scripts/test.sh` sources
//! both); without them these tests say they were skipped, unless the
//! script asked for them (`CHURNLAB_REQUIRE_*`).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde_json::Value;
use tempfile::TempDir;

use crate::common::{churnlab, stdout_of};

/// Sums are compared to this relative tolerance: an engine adds in its own
/// order, so only the last bits may differ.
const SUM_TOL: f64 = 1e-9;

/// A demo study in a temporary folder.
pub(crate) struct Demo {
    pub(crate) dir: TempDir,
}

impl Demo {
    pub(crate) fn new(accounts: usize) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        stdout_of(
            churnlab()
                .args(["demo-data", "--accounts", &accounts.to_string(), "--out"])
                .arg(dir.path()),
        );
        Demo { dir }
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The demo's study with its accounts read from `table` on `url`.
    pub(crate) fn engine_config(&self, name: &str, table: &str, url: &str) -> PathBuf {
        self.engine_config_with(name, table, None, url)
    }

    /// … and its revenue from `revenue` there too, when given.
    pub(crate) fn engine_config_with(
        &self,
        name: &str,
        table: &str,
        revenue: Option<&str>,
        url: &str,
    ) -> PathBuf {
        let text = std::fs::read_to_string(self.path("study.toml")).expect("study.toml");
        assert!(text.contains("path = \"accounts.csv\""));
        let mut text = text.replacen(
            "path = \"accounts.csv\"",
            &format!("table = \"{table}\""),
            1,
        ) + &format!("\n[engine]\nurl = \"{url}\"\n");
        if let Some(r) = revenue {
            assert!(text.contains("path = \"revenue.csv\""));
            text = text.replacen("path = \"revenue.csv\"", &format!("table = \"{r}\""), 1);
        }
        let p = self.path(name);
        std::fs::write(&p, text).expect("write config");
        p
    }

    /// The demo's accounts, revenue and renewals loaded into `schema` on
    /// PostgreSQL at `url`, and the study reading them there.
    pub(crate) fn on_postgres(&self, url: &str, schema: &str) -> PathBuf {
        for t in ["accounts", "revenue", "renewals"] {
            let csv = std::fs::read_to_string(self.path(&format!("{t}.csv"))).unwrap();
            pg_load(url, schema, t, &csv);
        }
        let (acc, rev) = (format!("{schema}.accounts"), format!("{schema}.revenue"));
        let cfg = self.engine_config_with(&format!("{schema}.toml"), &acc, Some(&rev), url);
        self.renewals_at(&cfg, &format!("{schema}.renewals"))
    }

    /// The demo's accounts, revenue and renewals as four Parquet files
    /// each, and the study reading them on Spark at `url`.
    pub(crate) fn on_spark(&self, url: &str) -> PathBuf {
        let acc = parquet_table(self, "accounts.csv", 4);
        let rev = parquet_table(self, "revenue.csv", 4);
        let cfg = self.engine_config_with("spark.toml", &acc, Some(&rev), url);
        self.renewals_at(&cfg, &parquet_table(self, "renewals.csv", 4))
    }

    /// The study `cfg` with its renewals read from `table` on its engine.
    pub(crate) fn renewals_at(&self, cfg: &Path, table: &str) -> PathBuf {
        let text = std::fs::read_to_string(cfg).expect("config");
        assert!(text.contains("path = \"renewals.csv\""));
        let text = text.replacen(
            "path = \"renewals.csv\"",
            &format!("table = \"{table}\""),
            1,
        );
        std::fs::write(cfg, text).expect("write config");
        cfg.to_path_buf()
    }
}

/// Runs `churnlab <command> --format json` on a config.
pub(crate) fn json_of(command: &str, config: &Path) -> Value {
    let out = stdout_of(
        churnlab()
            .args([command, "--format", "json", "--config"])
            .arg(config),
    );
    serde_json::from_str(&out).expect("json")
}

fn pareto_json(config: &Path) -> Value {
    json_of("pareto", config)
}

fn close(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= SUM_TOL * a.abs().max(b.abs())
}

/// The same ranking: reasons, counts, ranks and flags exactly; revenue and
/// shares within [`SUM_TOL`].
fn same_ranking(a: &Value, b: &Value, what: &str) {
    let (ra, rb) = (a.as_array(), b.as_array());
    let (Some(ra), Some(rb)) = (ra, rb) else {
        assert_eq!(a, b, "{what}");
        return;
    };
    assert_eq!(ra.len(), rb.len(), "{what}: rows");
    for (x, y) in ra.iter().zip(rb) {
        for k in ["reason", "count", "rank", "rank_other", "vital_few", "kind"] {
            assert_eq!(x[k], y[k], "{what}: {k} of {}", x["reason"]);
        }
        for k in ["revenue", "share", "cumulative_share"] {
            let (p, q) = (
                x[k].as_f64().expect("number"),
                y[k].as_f64().expect("number"),
            );
            assert!(close(p, q), "{what}: {k} of {}: {p} vs {q}", x["reason"]);
        }
    }
}

fn same_pareto(a: &Value, b: &Value, what: &str) {
    same_ranking(
        &a["by_frequency"],
        &b["by_frequency"],
        &format!("{what} by frequency"),
    );
    same_ranking(
        &a["by_revenue"],
        &b["by_revenue"],
        &format!("{what} by revenue"),
    );
    assert_eq!(a["total_count"], b["total_count"], "{what}");
    assert_eq!(a["n_not_given"], b["n_not_given"], "{what}");
    let (p, q) = (
        a["total_revenue"].as_f64().unwrap(),
        b["total_revenue"].as_f64().unwrap(),
    );
    assert!(close(p, q), "{what}: total revenue {p} vs {q}");
}

/// The whole Pareto stage agrees: overall and every segment level.
/// The Pareto stage on the engine of `cfg` equals the in-memory one, and
/// reads the accounts table once after the checks' three.
fn same_pareto_stage(demo: &Demo, cfg: &Path) {
    let engine = pareto_json(cfg);
    same_stage(&pareto_json(&demo.path("study.toml")), &engine);
    let stages = &engine["usage"]["stages"];
    assert_eq!(stages[0]["stage"], "accounts checks");
    assert_eq!(stages[0]["scans"][0][1], 3);
    assert_eq!(stages[1]["stage"], "pareto");
    assert_eq!(stages[1]["scans"][0][1], 1);
}

pub(crate) fn same_stage(memory: &Value, engine: &Value) {
    assert_eq!(memory["n_churned"], engine["n_churned"]);
    same_pareto(memory, engine, "overall");
    let (sa, sb) = (
        memory["segments"].as_array().unwrap(),
        engine["segments"].as_array().unwrap(),
    );
    assert_eq!(sa.len(), sb.len(), "segment levels");
    assert!(sa.len() >= 4, "the demo has segment levels");
    for (x, y) in sa.iter().zip(sb) {
        assert_eq!((&x["column"], &x["level"]), (&y["column"], &y["level"]));
        same_pareto(
            &x["pareto"],
            &y["pareto"],
            &format!("{} = {}", x["column"], x["level"]),
        );
    }
}

fn validate_json(config: &Path) -> Value {
    json_of("validate", config)
}

/// `validate` on an engine gives the files' summary: the counts, every
/// driver's spread, the segments' levels, the revenue window, the
/// durations and the same warnings in the same order (the tables named
/// where the files' paths stand; renewals are not on an engine yet), and
/// says what it asked of the engine.
pub(crate) fn same_summary(files: &Value, engine: &Value) {
    let mut e = engine.clone();
    let usage = e.as_object_mut().unwrap().remove("usage").expect("usage");
    assert!(usage["stages"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["stage"] == "summary"));
    same_load_summary(files, &e);
}

/// The load summary `e` made on an engine is the files' `files`.
pub(crate) fn same_load_summary(files: &Value, e: &Value) {
    let mut m = files.clone();
    m["accounts"]["path"] = e["accounts"]["path"].clone();
    m["revenue"]["path"] = e["revenue"]["path"].clone();
    // The renewals as the file's, when the engine holds their table.
    if e["renewals"].is_null() {
        m["renewals"] = Value::Null;
    } else {
        m["renewals"]["source"] = e["renewals"]["source"].clone();
    }
    assert_eq!(e["accounts"]["rows"], 50_000);
    let warnings = e["warnings"].as_array().unwrap();
    assert!(warnings.len() >= 3, "{warnings:?}");
    assert!(e["drivers"]
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["mean"].is_number()));
    crate::engine_model::same_json(&m, e, "summary");
}

/// Runs a command that must be refused as bad input; its stderr.
pub(crate) fn refused(config: &Path, command: &str) -> String {
    let out = churnlab()
        .args([command, "--config"])
        .arg(config)
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{command}: {err}");
    err
}

/// The engine's URL from the test scripts, or `None` (skipped) when the
/// server was not started and not required.
pub(crate) fn server(var: &str, require: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(u) => Some(u),
        Err(_) => {
            assert!(
                std::env::var_os(require).is_none(),
                "{require} is set but {var} is not"
            );
            eprintln!("skipped: {var} is not set (scripts/test.sh starts the server)");
            None
        }
    }
}

/// The faults, each in its own copy of the first 300 rows of the demo's
/// accounts: (what, the edited CSV, the words the error must hold).
fn faults(demo: &Demo) -> Vec<(&'static str, String, Vec<String>)> {
    let csv = std::fs::read_to_string(demo.path("accounts.csv")).unwrap();
    let head: Vec<&str> = csv.lines().take(301).collect();
    let base = head.join("\n") + "\n";
    let id = |line: usize| head[line].split(',').next().unwrap().to_string();
    // Row `line` with cell `col` (0-based, the demo's column order) set to `value`.
    let edit = |line: usize, col: usize, value: &str| {
        let mut cells: Vec<&str> = head[line].split(',').collect();
        cells[col] = value;
        base.replacen(head[line], &cells.join(","), 1)
    };
    let words = |w: &[&str]| w.iter().map(|x| x.to_string()).collect::<Vec<String>>();
    vec![
        (
            "duplicate id",
            edit(4, 0, &id(3)),
            words(&["account_id", &id(3), "2 rows"]),
        ),
        (
            "bad outcome label",
            edit(7, 6, "maybe"),
            words(&["column `churned`", &id(7), "`maybe`"]),
        ),
        (
            "negative revenue",
            edit(9, 8, "-430.5"),
            words(&["column `arr`", &id(9), "`-430.5`", "negative"]),
        ),
        (
            "driver out of its range",
            edit(11, 9, "9"),
            words(&[
                "column `training_quality`",
                &id(11),
                "`9`",
                "outside the range [1, 5]",
            ]),
        ),
        (
            "a number that is text",
            edit(13, 10, "soon"),
            words(&[
                "column `time_to_value_days`",
                &id(13),
                "`soon`",
                "is not a number",
            ]),
        ),
        (
            "a yes/no driver's label",
            edit(15, 11, "perhaps"),
            words(&["column `onboarding_completed`", &id(15), "`perhaps`"]),
        ),
    ]
}

// ---------------------------------------------------------------- PostgreSQL

/// Loads a CSV into `schema.table` (text columns; `arr` and `mrr` doubles).
pub(crate) fn pg_load(url: &str, schema: &str, table: &str, csv: &str) {
    let mut c = postgres::Client::connect(url, postgres::NoTls).expect("connect");
    let header = csv.lines().next().unwrap();
    let cols: Vec<String> = header
        .split(',')
        .map(|h| {
            let ty = if h == "arr" || h == "mrr" {
                "DOUBLE PRECISION"
            } else {
                "TEXT"
            };
            format!("\"{h}\" {ty}")
        })
        .collect();
    c.batch_execute(&format!(
        "CREATE SCHEMA IF NOT EXISTS {schema}; DROP TABLE IF EXISTS {schema}.{table}; CREATE TABLE {schema}.{table} ({})",
        cols.join(", ")
    ))
    .expect("create");
    let mut w = c
        .copy_in(&format!(
            "COPY {schema}.{table} FROM STDIN WITH (FORMAT csv, HEADER true)"
        ))
        .expect("copy");
    w.write_all(csv.as_bytes()).expect("copy rows");
    w.finish().expect("copy done");
}

/// The revenue table's faults, each in its own copy of the first rows:
/// (what, the edited CSV, the words the error must hold).
fn revenue_faults(demo: &Demo) -> Vec<(&'static str, String, Vec<String>)> {
    let csv = std::fs::read_to_string(demo.path("revenue.csv")).unwrap();
    let head: Vec<&str> = csv.lines().take(2001).collect();
    let base = head.join("\n") + "\n";
    let edit = |line: usize, col: usize, value: &str| {
        let mut cells: Vec<&str> = head[line].split(',').collect();
        cells[col] = value;
        base.replacen(head[line], &cells.join(","), 1)
    };
    let cell = |line: usize, col: usize| head[line].split(',').nth(col).unwrap().to_string();
    let words = |w: &[&str]| w.iter().map(|x| x.to_string()).collect::<Vec<String>>();
    vec![
        (
            "unknown account",
            edit(5, 0, "Z9999999"),
            words(&["column `account_id`", "Z9999999", "not in table"]),
        ),
        (
            "negative MRR",
            edit(8, 2, "-12.5"),
            words(&["column `mrr`", &cell(8, 0), "`-12.5`", "negative"]),
        ),
        (
            "blank MRR",
            edit(12, 2, ""),
            words(&[
                "column `mrr`",
                &format!("account_id {}, month {}", cell(12, 0), cell(12, 1)),
                "is blank",
            ]),
        ),
        (
            "bad month",
            edit(10, 1, "2023-13"),
            words(&["column `month`", &cell(10, 0), "`2023-13`"]),
        ),
        (
            "account-month twice",
            edit(3, 1, &cell(2, 1)),
            words(&["column `month`", &cell(2, 0), &cell(2, 1), "more than once"]),
        ),
    ]
}

/// The renewals table's faults, each in its own copy of it: (what, the
/// edited CSV, the words the error must hold).
fn renewal_faults(demo: &Demo) -> Vec<(&'static str, String, Vec<String>)> {
    let csv = std::fs::read_to_string(demo.path("renewals.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    let edit = |line: usize, col: usize, value: &str| {
        let mut cells: Vec<&str> = lines[line].split(',').collect();
        cells[col] = value;
        csv.replacen(lines[line], &cells.join(","), 1)
    };
    let cell = |line: usize, col: usize| lines[line].split(',').nth(col).unwrap().to_string();
    let renewed = (10..lines.len())
        .find(|&l| cell(l, 3) == "renewed")
        .expect("a renewed row");
    let open = (10..lines.len())
        .find(|&l| cell(l, 3) == "open")
        .expect("an open row");
    let key = |l: usize| format!("account_id {}, renewal_date {}", cell(l, 0), cell(l, 1));
    let words = |w: &[&str]| w.iter().map(|x| x.to_string()).collect::<Vec<String>>();
    vec![
        (
            "unknown account",
            edit(5, 0, "Z9999999"),
            words(&["column `account_id`", "Z9999999", "not in table"]),
        ),
        (
            "bad outcome label",
            edit(7, 3, "maybe"),
            words(&["column `outcome`", "`maybe`", "not a renewal outcome"]),
        ),
        (
            "negative ARR due",
            edit(9, 2, "-5.5"),
            words(&["column `arr_due`", &cell(9, 0), "`-5.5`", "negative"]),
        ),
        (
            "renewed ARR on a churned row",
            edit(renewed, 3, "churned"),
            words(&[
                "column `renewed_arr`",
                &format!(
                    "account_id {}, renewal_date {}",
                    cell(renewed, 0),
                    cell(renewed, 1)
                ),
                "whose outcome is churned",
            ]),
        ),
        (
            "renewed ARR on an open row",
            edit(open, 4, "1000"),
            words(&["column `renewed_arr`", &key(open), "whose outcome is open"]),
        ),
        (
            "closed date on an open row",
            edit(open, 5, "2024-01-01"),
            words(&[
                "column `closed_date`",
                &key(open),
                "closed date on an open renewal",
            ]),
        ),
        (
            "closed more than a term early",
            edit(renewed, 5, "2000-01-01"),
            words(&[
                "column `closed_date`",
                &key(renewed),
                &format!(
                    "more than a term (12 months) before the renewal date {}",
                    cell(renewed, 1)
                ),
            ]),
        ),
        (
            "bad renewal date",
            edit(13, 1, "2024-02-30"),
            words(&["column `renewal_date`", "`2024-02-30`", "not a date"]),
        ),
        (
            "a renewal twice",
            csv.replacen(lines[3], lines[2], 1),
            words(&["column `renewal_date`", &cell(2, 0), "more than once"]),
        ),
    ]
}

/// The rules across the renewals' columns say the same words from a file
/// as on an engine (the column and the problem; a file names the row).
#[test]
fn renewal_faults_in_a_file_get_the_engines_words() {
    let demo = Demo::new(2_000);
    let across = [
        "renewed ARR on a churned row",
        "renewed ARR on an open row",
        "closed date on an open row",
        "closed more than a term early",
    ];
    let faults = renewal_faults(&demo);
    let good = std::fs::read_to_string(demo.path("renewals.csv")).unwrap();
    for (what, csv, words) in faults.into_iter().filter(|f| across.contains(&f.0)) {
        std::fs::write(demo.path("renewals.csv"), &csv).unwrap();
        let err = refused(&demo.path("study.toml"), "validate");
        assert!(err.contains("renewals.csv, column `"), "{what}: {err}");
        for w in [&words[0], &words[2]] {
            assert!(err.contains(w.as_str()), "{what}: `{w}` not in {err}");
        }
    }
    std::fs::write(demo.path("renewals.csv"), good).unwrap();
}

#[test]
fn postgres_pareto_equals_the_in_memory_one() {
    let Some(url) = server("CHURNLAB_TEST_PG", "CHURNLAB_REQUIRE_PG") else {
        return;
    };
    let demo = Demo::new(50_000);
    let csv = std::fs::read_to_string(demo.path("accounts.csv")).unwrap();
    pg_load(&url, "engine_pareto", "accounts", &csv);
    let rev = std::fs::read_to_string(demo.path("revenue.csv")).unwrap();
    pg_load(&url, "engine_pareto", "revenue", &rev);
    let cfg = demo.engine_config_with(
        "pg.toml",
        "engine_pareto.accounts",
        Some("engine_pareto.revenue"),
        &url,
    );
    same_pareto_stage(&demo, &cfg);
    // --engine overrides the config's url; validate reports the table.
    let out = stdout_of(
        churnlab()
            .args(["validate", "--format", "json", "--engine", &url, "--config"])
            .arg(&cfg),
    );
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["accounts"]["path"], "table engine_pareto.accounts");
    same_summary(&validate_json(&demo.path("study.toml")), &v);
    assert!(!out.contains("password"), "{out}");
}

#[test]
fn postgres_bad_rows_are_named_by_table_column_key_and_value() {
    let Some(url) = server("CHURNLAB_TEST_PG", "CHURNLAB_REQUIRE_PG") else {
        return;
    };
    let demo = Demo::new(400);
    for (k, (what, csv, words)) in faults(&demo).into_iter().enumerate() {
        let schema = format!("engine_fault_{k}");
        pg_load(&url, &schema, "accounts", &csv);
        let cfg = demo.engine_config(
            &format!("{schema}.toml"),
            &format!("{schema}.accounts"),
            &url,
        );
        for command in ["validate", "pareto"] {
            let err = refused(&cfg, command);
            assert!(
                err.contains(&format!("table {schema}.accounts")),
                "{what}: {err}"
            );
            for w in &words {
                assert!(err.contains(w.as_str()), "{what}: `{w}` not in {err}");
            }
        }
    }
    let accounts = std::fs::read_to_string(demo.path("accounts.csv")).unwrap();
    for (k, (what, csv, words)) in revenue_faults(&demo).into_iter().enumerate() {
        let schema = format!("engine_rev_fault_{k}");
        pg_load(&url, &schema, "accounts", &accounts);
        pg_load(&url, &schema, "revenue", &csv);
        let cfg = demo.engine_config_with(
            &format!("{schema}.toml"),
            &format!("{schema}.accounts"),
            Some(&format!("{schema}.revenue")),
            &url,
        );
        let err = refused(&cfg, "validate");
        assert!(
            err.contains(&format!("table {schema}.revenue")),
            "{what}: {err}"
        );
        for w in &words {
            assert!(err.contains(w.as_str()), "{what}: `{w}` not in {err}");
        }
    }
    for (k, (what, csv, words)) in renewal_faults(&demo).into_iter().enumerate() {
        let schema = format!("engine_ren_fault_{k}");
        pg_load(&url, &schema, "accounts", &accounts);
        pg_load(&url, &schema, "renewals", &csv);
        let cfg = demo.engine_config(
            &format!("{schema}.toml"),
            &format!("{schema}.accounts"),
            &url,
        );
        let err = refused(
            &demo.renewals_at(&cfg, &format!("{schema}.renewals")),
            "validate",
        );
        assert!(
            err.contains(&format!("table {schema}.renewals")),
            "{what}: {err}"
        );
        for w in &words {
            assert!(err.contains(w.as_str()), "{what}: `{w}` not in {err}");
        }
    }
    // A table that does not exist, and an unreachable server.
    let cfg = demo.engine_config("missing.toml", "no_such_schema.accounts", &url);
    let err = refused(&cfg, "validate");
    assert!(err.contains("table no_such_schema.accounts"), "{err}");
    let cfg = demo.engine_config(
        "down.toml",
        "x.accounts",
        "postgres://u:hunter2@127.0.0.1:1/db",
    );
    let out = churnlab()
        .args(["validate", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("127.0.0.1:1") && err.contains("db"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
}

// --------------------------------------------------------------------- Spark

/// Writes a CSV as `parts` Parquet files in a new folder (types as polars
/// infers them: numbers, booleans, text).
pub(crate) fn parquet_parts(dir: &Path, name: &str, csv: &str, parts: usize) -> PathBuf {
    use polars::prelude::*;
    let src = dir.join(format!("{name}.csv"));
    std::fs::write(&src, csv).unwrap();
    let df = CsvReadOptions::default()
        .with_has_header(true)
        .try_into_reader_with_file_path(Some(src))
        .unwrap()
        .finish()
        .unwrap();
    let out = dir.join(name);
    std::fs::create_dir_all(&out).unwrap();
    let n = df.height();
    let step = n.div_ceil(parts);
    for k in 0..parts {
        let mut part = df.slice((k * step) as i64, step);
        let f = std::fs::File::create(out.join(format!("part-{k}.parquet"))).unwrap();
        ParquetWriter::new(f).finish(&mut part).unwrap();
    }
    out
}

/// A demo file (`accounts.csv`, …) as `parts` Parquet files, named as a
/// Spark table (`parquet:/…`).
pub(crate) fn parquet_table(demo: &Demo, file: &str, parts: usize) -> String {
    let csv = std::fs::read_to_string(demo.path(file)).unwrap();
    let name = file.replace(".csv", "_parquet");
    let dir = parquet_parts(demo.dir.path(), &name, &csv, parts);
    format!("parquet:{}", dir.display())
}

/// GET on Spark's REST API (plain HTTP on loopback).
pub(crate) fn rest(ui: &str, path: &str) -> Value {
    let host = ui.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(host).expect("Spark UI");
    write!(s, "GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n").unwrap();
    let mut body = String::new();
    s.read_to_string(&mut body).unwrap();
    let json = body.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    serde_json::from_str(json).unwrap_or_else(|e| panic!("{path}: {e}: {body}"))
}

#[test]
fn spark_pareto_equals_the_in_memory_one_on_both_executors() {
    let Some(url) = server("CHURNLAB_TEST_SPARK", "CHURNLAB_REQUIRE_SPARK") else {
        return;
    };
    let demo = Demo::new(50_000);
    let cfg = demo.on_spark(&url);
    same_pareto_stage(&demo, &cfg);
    same_summary(
        &validate_json(&demo.path("study.toml")),
        &validate_json(&cfg),
    );
    // Both executors ran tasks.
    let ui = std::env::var("CHURNLAB_TEST_SPARK_UI").expect("CHURNLAB_TEST_SPARK_UI");
    let apps = rest(&ui, "/api/v1/applications");
    let id = apps[0]["id"].as_str().expect("an application");
    let execs = rest(&ui, &format!("/api/v1/applications/{id}/executors"));
    let busy: Vec<&Value> = execs
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["id"] != "driver" && e["completedTasks"].as_u64().unwrap_or(0) > 0)
        .collect();
    assert!(busy.len() >= 2, "executors with completed tasks: {execs}");
}

#[test]
fn spark_bad_rows_are_named_by_table_column_key_and_value() {
    let Some(url) = server("CHURNLAB_TEST_SPARK", "CHURNLAB_REQUIRE_SPARK") else {
        return;
    };
    let demo = Demo::new(400);
    for (k, (what, csv, words)) in faults(&demo).into_iter().enumerate() {
        let parts = parquet_parts(demo.dir.path(), &format!("fault_{k}"), &csv, 2);
        let table = format!("parquet:{}", parts.display());
        let cfg = demo.engine_config(&format!("fault_{k}.toml"), &table, &url);
        // validate only: pareto runs the same checks first (the PostgreSQL
        // test runs both), and each Spark command costs seconds.
        for command in ["validate"] {
            let err = refused(&cfg, command);
            assert!(err.contains(&format!("table {table}")), "{what}: {err}");
            for w in &words {
                assert!(err.contains(w.as_str()), "{what}: `{w}` not in {err}");
            }
        }
    }
    let accounts = std::fs::read_to_string(demo.path("accounts.csv")).unwrap();
    let acc_parts = parquet_parts(demo.dir.path(), "accounts_ok", &accounts, 2);
    let acc_table = format!("parquet:{}", acc_parts.display());
    for (k, (what, csv, words)) in revenue_faults(&demo).into_iter().enumerate() {
        let parts = parquet_parts(demo.dir.path(), &format!("rev_fault_{k}"), &csv, 2);
        let table = format!("parquet:{}", parts.display());
        let cfg = demo.engine_config_with(
            &format!("rev_fault_{k}.toml"),
            &acc_table,
            Some(&table),
            &url,
        );
        let err = refused(&cfg, "validate");
        assert!(err.contains(&format!("table {table}")), "{what}: {err}");
        for w in &words {
            assert!(err.contains(w.as_str()), "{what}: `{w}` not in {err}");
        }
    }
    for (k, (what, csv, words)) in renewal_faults(&demo).into_iter().enumerate() {
        let parts = parquet_parts(demo.dir.path(), &format!("ren_fault_{k}"), &csv, 2);
        let table = format!("parquet:{}", parts.display());
        let cfg = demo.engine_config(&format!("ren_fault_{k}.toml"), &acc_table, &url);
        let err = refused(&demo.renewals_at(&cfg, &table), "validate");
        assert!(err.contains(&format!("table {table}")), "{what}: {err}");
        for w in &words {
            assert!(err.contains(w.as_str()), "{what}: `{w}` not in {err}");
        }
    }
    let table = format!("parquet:{}", demo.path("nowhere").display());
    let cfg = demo.engine_config("missing.toml", &table, &url);
    let err = refused(&cfg, "validate");
    assert!(err.contains(&format!("table {table}")), "{err}");
}
