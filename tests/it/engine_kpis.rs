//! The period KPIs on SQL engines: the demo's 50,000 accounts × 24 months
//! of revenue in PostgreSQL (MRR a double column) and in four Parquet
//! files on Spark give the same month, quarter, TTM and YTD rows as the
//! files in memory — cohort, churned, new and reactivated counts exactly,
//! the MRR sums within 1e-9 relative, GRR, NRR, logo churn and ARPA within
//! 1e-6 — and the same control charts of the monthly KPIs (limits, centre
//! lines, signals), from one read of the revenue table; and the same
//! account KPIs overall and per segment level (NPS with its interval, the
//! median and p75 of time to value, the means with theirs) and owners'
//! funnel, from one read of the accounts table; and with the driver model
//! the same recommendation (every driver's ARR at stake), the drivers'
//! start-month cohort charts and the same feed, from three more.

use std::path::Path;

use serde_json::Value;

use crate::common::{churnlab, stdout_of};
use crate::engine::{json_of, pg_load, server, Demo};
use crate::engine_model::same_json;

/// Sums an engine adds in its own order: only the last bits may differ.
const SUM_TOL: f64 = 1e-9;

/// The in-memory run's KPI section (`results.json`).
fn in_memory(demo: &Demo) -> Value {
    let out = demo.path("run");
    stdout_of(
        churnlab()
            .args(["run", "--quiet", "--no-kpi-db", "--config"])
            .arg(demo.path("study.toml"))
            .arg("--out")
            .arg(&out),
    );
    let text = std::fs::read_to_string(out.join("results.json")).expect("results.json");
    let v: Value = serde_json::from_str(&text).expect("json");
    v["kpis"].clone()
}

/// The engine's period rows and control charts are the in-memory ones;
/// the period pass reads the revenue table once.
fn same_kpis(memory: &Value, engine: &Value) {
    let (m, e) = (&memory["periods"], &engine["periods"]);
    let rows = e["rows"].as_array().expect("rows");
    assert!(
        rows.len() > 40,
        "month, quarter, TTM and YTD rows: {}",
        rows.len()
    );
    same_json(m, e, "periods");
    for (a, b) in m["rows"].as_array().unwrap().iter().zip(rows) {
        for k in ["starting_mrr", "churned_mrr", "expansion_mrr", "ending_mrr"] {
            let (x, y) = (a[k].as_f64().unwrap(), b[k].as_f64().unwrap());
            assert!(
                (x - y).abs() <= SUM_TOL * x.abs().max(y.abs()),
                "{} {k}: {x} vs {y}",
                a["period"]
            );
        }
    }
    let charts = engine["control"].as_array().expect("control");
    assert!(charts.len() >= 4, "logo churn, GRR, NRR, ARPA: {charts:?}");
    let mem = memory["control"].as_array().expect("control");
    // The monthly KPIs' charts come first in memory; the drivers' follow.
    same_json(
        &Value::Array(mem[..charts.len()].to_vec()),
        &Value::Array(charts.clone()),
        "control",
    );
    for name in ["period KPIs", "account KPIs"] {
        let stage = e_stage(engine, name);
        assert_eq!(stage["queries"], 1, "{stage}");
        assert_eq!(stage["scans"].as_array().unwrap().len(), 1, "{stage}");
        assert_eq!(stage["scans"][0][1], 1, "{stage}");
    }
    // Everyone, then each segment level; NPS, time to value and the means.
    let groups = engine["accounts"].as_array().expect("accounts");
    assert!(groups.len() > 3, "{groups:?}");
    assert!(!groups[0]["nps"].is_null() && !groups[0]["time_to_value"].is_null());
    assert_eq!(groups[0]["means"].as_array().unwrap().len(), 2);
    same_json(&memory["accounts"], &engine["accounts"], "accounts");
    assert!(engine["efficiency"]["owners"].as_array().unwrap().len() > 5);
    same_json(&memory["efficiency"], &engine["efficiency"], "efficiency");
    same_report(memory, engine);
    // The recommendation: the spread scan, the stakes scan, the cohorts.
    let stage = e_stage(engine, "recommendation and cohorts");
    assert_eq!(stage["queries"], 3, "{stage}");
    assert_eq!(stage["scans"][0][1], 3, "{stage}");
}

/// The engine's whole KPI report is the in-memory one (its table, revenue
/// and usage aside): the recommendation with every driver's ARR at stake,
/// the drivers' start-month cohort charts, the feed, the definitions and
/// the notes. A run adds the survival and renewal KPIs after the stage's
/// own, so the engine's feed, definitions and charts are the first of the
/// run's.
fn same_report(memory: &Value, engine: &Value) {
    let mut e = engine.clone();
    if let Some(o) = e.as_object_mut() {
        for k in ["table", "revenue", "usage"] {
            assert!(o.remove(k).is_some(), "{k}");
        }
    }
    same_kpi_report(memory, e);
}

/// The KPI report `e` made on an engine is the in-memory run's `memory`,
/// whose feed, definitions and charts may go on past the engine's (the
/// renewal KPIs a run from files adds last).
pub(crate) fn same_kpi_report(memory: &Value, mut e: Value) {
    let mut m = memory.clone();
    for k in ["feed", "definitions", "control"] {
        let n = e[k].as_array().map_or(0, Vec::len);
        if let Some(a) = m[k].as_array_mut() {
            assert!(
                a.len() >= n,
                "{k}: {} in memory, {n} on the engine",
                a.len()
            );
            a.truncate(n);
        }
    }
    // A change is a difference of two sums: its error is the sums' (1e-9
    // of the value), not a share of itself (0 against 2e-7 on 1e8 of MRR).
    let (mf, ef) = (
        m["feed"].as_array_mut().unwrap(),
        e["feed"].as_array_mut().unwrap(),
    );
    for (i, (a, b)) in mf.iter_mut().zip(ef.iter_mut()).enumerate() {
        let scale = a["value"].as_f64().unwrap_or(0.0).abs();
        for k in ["change_prev", "change_yoy"] {
            if let (Some(x), Some(y)) = (a[k].as_f64(), b[k].as_f64()) {
                assert!(
                    (x - y).abs() <= SUM_TOL * scale.max(x.abs()).max(1.0),
                    "feed[{i}].{k}: {x} vs {y}"
                );
                a[k] = Value::Null;
                b[k] = Value::Null;
            }
        }
    }
    let rec = &e["recommendation"]["candidates"];
    let recommended: Vec<&Value> = rec
        .as_array()
        .expect("candidates")
        .iter()
        .filter(|c| c["verdict"] == "recommended")
        .collect();
    assert!(recommended.len() >= 3, "{rec}");
    assert!(recommended
        .iter()
        .all(|c| c["arr_at_stake"].as_f64().unwrap() > 0.0));
    let driver_charts = e["control"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["stem"].as_str().unwrap().starts_with("control_driver_"))
        .count();
    assert!(driver_charts >= 2, "cohort charts: {driver_charts}");
    same_json(&m, &e, "kpis");
}

fn e_stage<'a>(engine: &'a Value, name: &str) -> &'a Value {
    engine["usage"]["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["stage"] == name)
        .unwrap_or_else(|| panic!("no stage {name}: {engine}"))
}

/// The table for people and the periods, feed and owners CSVs.
fn prints(cfg: &Path) {
    let out = stdout_of(churnlab().args(["kpis", "--config"]).arg(cfg));
    assert!(
        out.contains("Period KPIs by quarter")
            && out.contains("Account KPIs")
            && out.contains("table reads"),
        "{out}"
    );
    let csv = stdout_of(
        churnlab()
            .args(["kpis", "--format", "csv", "--table", "periods", "--config"])
            .arg(cfg),
    );
    assert!(csv.lines().count() > 40, "{csv}");
    let feed = stdout_of(
        churnlab()
            .args(["kpis", "--format", "csv", "--table", "feed", "--config"])
            .arg(cfg),
    );
    assert!(feed.contains("driver:"), "{feed}");
    let owners = stdout_of(
        churnlab()
            .args(["kpis", "--format", "csv", "--table", "owners", "--config"])
            .arg(cfg),
    );
    assert!(owners.lines().count() > 5, "{owners}");
}

#[test]
fn postgres_period_kpis_equal_the_in_memory_ones() {
    let Some(url) = server("CHURNLAB_TEST_PG", "CHURNLAB_REQUIRE_PG") else {
        return;
    };
    let demo = Demo::new(50_000);
    let cfg = demo.on_postgres(&url, "engine_kpis");
    same_kpis(&in_memory(&demo), &json_of("kpis", &cfg));
    prints(&cfg);
}

#[test]
fn spark_period_kpis_equal_the_in_memory_ones() {
    let Some(url) = server("CHURNLAB_TEST_SPARK", "CHURNLAB_REQUIRE_SPARK") else {
        return;
    };
    let demo = Demo::new(50_000);
    let cfg = demo.on_spark(&url);
    same_kpis(&in_memory(&demo), &json_of("kpis", &cfg));
}

/// The cohort rules on a small table that has each case: expansion,
/// contraction, churn on an explicit 0 row, months without a row,
/// reactivation, a new account, a partial quarter and a quarter without
/// its start month.
const HARD_REVENUE: &str = "account_id,month,mrr
a,2023-12,100
a,2024-01,150
a,2024-02,150
a,2024-03,150
a,2024-04,150
b,2023-12,200
b,2024-01,120
b,2024-02,120
b,2024-03,120
b,2024-04,90
c,2023-12,300
c,2024-01,300
c,2024-02,0
c,2024-04,310
d,2024-03,80
d,2024-04,80
e,2023-12,50
e,2024-02,50
e,2024-04,50
";

/// `kpis --format csv --table periods` of the hard cases from files and
/// from PostgreSQL: the same text (whole numbers: every sum is exact).
#[test]
fn postgres_period_kpis_of_the_hard_cases_equal_the_files() {
    let Some(url) = server("CHURNLAB_TEST_PG", "CHURNLAB_REQUIRE_PG") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let accounts = "account_id,churned,x\na,0,1\nb,0,2\nc,0,3\nd,0,4\ne,1,5\n";
    std::fs::write(dir.path().join("accounts.csv"), accounts).unwrap();
    std::fs::write(dir.path().join("revenue.csv"), HARD_REVENUE).unwrap();
    let study = "[study]\nname = \"hard cases\"\n\n[accounts]\npath = \"accounts.csv\"\nid = \"account_id\"\nchurned = \"churned\"\n\n[[drivers]]\ncolumn = \"x\"\nkind = \"numeric\"\n\n[revenue]\npath = \"revenue.csv\"\nid = \"account_id\"\nperiod = \"month\"\nmrr = \"mrr\"\n";
    let files = dir.path().join("files.toml");
    std::fs::write(&files, study).unwrap();
    pg_load(&url, "engine_kpis_hard", "accounts", accounts);
    pg_load(&url, "engine_kpis_hard", "revenue", HARD_REVENUE);
    let engine = dir.path().join("pg.toml");
    let text = study
        .replacen(
            "path = \"accounts.csv\"",
            "table = \"engine_kpis_hard.accounts\"",
            1,
        )
        .replacen(
            "path = \"revenue.csv\"",
            "table = \"engine_kpis_hard.revenue\"",
            1,
        )
        + &format!("\n[engine]\nurl = \"{url}\"\n");
    std::fs::write(&engine, text).unwrap();
    let periods = |cfg: &Path| {
        stdout_of(
            churnlab()
                .args(["kpis", "--format", "csv", "--table", "periods", "--config"])
                .arg(cfg),
        )
    };
    let (memory, on_pg) = (periods(&files), periods(&engine));
    assert_eq!(memory, on_pg);
    // The cases are there: a month without a row (e churns in January,
    // comes back in February), a new account (d in March), two
    // reactivations in April (c after its 0 row, e after a month without
    // a row), the partial 2024-Q2 and no 2023-Q4 (no start month).
    let row = |period: &str| -> String {
        memory
            .lines()
            .find(|l| l.starts_with(&format!("month,{period},")))
            .unwrap_or_else(|| panic!("no month {period}: {memory}"))
            .to_string()
    };
    let header: Vec<&str> = memory.lines().next().unwrap().split(',').collect();
    let field = |line: &str, name: &str| -> String {
        let j = header
            .iter()
            .position(|h| *h == name)
            .unwrap_or_else(|| panic!("{name}: {header:?}"));
        line.split(',').nth(j).unwrap().to_string()
    };
    assert_eq!(field(&row("2024-01"), "churned"), "1", "{memory}");
    assert_eq!(field(&row("2024-02"), "reactivated"), "1", "{memory}");
    assert_eq!(field(&row("2024-03"), "new"), "1", "{memory}");
    assert_eq!(field(&row("2024-04"), "reactivated"), "2", "{memory}");
    assert!(
        memory
            .lines()
            .any(|l| l.starts_with("quarter,2024-Q2,") && l.contains("true")),
        "{memory}"
    );
    assert!(!memory.contains("2023-Q4"), "{memory}");

    // A blank MRR cell is refused in both, naming the column (and on the
    // engine the account and month).
    let blank = HARD_REVENUE.replacen("e,2024-02,50", "e,2024-02,", 1);
    std::fs::write(dir.path().join("revenue.csv"), &blank).unwrap();
    pg_load(&url, "engine_kpis_hard", "revenue", &blank);
    for (cfg, words) in [
        (&files, vec!["revenue.csv", "column `mrr`", "is blank"]),
        (
            &engine,
            vec![
                "table engine_kpis_hard.revenue",
                "column `mrr`",
                "account_id e, month 2024-02",
                "is blank",
            ],
        ),
    ] {
        let out = churnlab()
            .args(["kpis", "--config"])
            .arg(cfg)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{cfg:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        for w in words {
            assert!(err.contains(w), "`{w}` not in {err}");
        }
    }
}
