//! The period KPIs on SQL engines: the demo's 50,000 accounts × 24 months
//! of revenue in PostgreSQL (MRR a double column) and in four Parquet
//! files on Spark give the same month, quarter, TTM and YTD rows as the
//! files in memory — cohort, churned, new and reactivated counts exactly,
//! the MRR sums within 1e-9 relative, GRR, NRR, logo churn and ARPA within
//! 1e-6 — and the same control charts of the monthly KPIs (limits, centre
//! lines, signals), from one read of the revenue table.

use std::path::Path;

use serde_json::Value;

use crate::common::{churnlab, stdout_of};
use crate::engine::{json_of, parquet_table, pg_load, server, Demo};
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
    let stage = e_stage(engine, "period KPIs");
    assert_eq!(stage["queries"], 1, "{stage}");
    assert_eq!(stage["scans"].as_array().unwrap().len(), 1, "{stage}");
    assert_eq!(stage["scans"][0][1], 1, "{stage}");
}

fn e_stage<'a>(engine: &'a Value, name: &str) -> &'a Value {
    engine["usage"]["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["stage"] == name)
        .unwrap_or_else(|| panic!("no stage {name}: {engine}"))
}

/// The table for people and the periods CSV; the KPIs not on an engine
/// yet are refused as a config error (exit 2) that says so.
fn prints(cfg: &Path) {
    let out = stdout_of(churnlab().args(["kpis", "--config"]).arg(cfg));
    assert!(
        out.contains("Period KPIs by quarter") && out.contains("table reads"),
        "{out}"
    );
    let csv = stdout_of(
        churnlab()
            .args(["kpis", "--format", "csv", "--table", "periods", "--config"])
            .arg(cfg),
    );
    assert!(csv.lines().count() > 40, "{csv}");
    let refused = churnlab()
        .args(["kpis", "--format", "csv", "--table", "owners", "--config"])
        .arg(cfg)
        .output()
        .expect("run");
    assert_eq!(refused.status.code(), Some(2));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("--table owners on an engine"), "{err}");
}

#[test]
fn postgres_period_kpis_equal_the_in_memory_ones() {
    let Some(url) = server("CHURNLAB_TEST_PG", "CHURNLAB_REQUIRE_PG") else {
        return;
    };
    let demo = Demo::new(50_000);
    for t in ["accounts", "revenue"] {
        let csv = std::fs::read_to_string(demo.path(&format!("{t}.csv"))).unwrap();
        pg_load(&url, "engine_kpis", t, &csv);
    }
    let cfg = demo.engine_config_with(
        "pg.toml",
        "engine_kpis.accounts",
        Some("engine_kpis.revenue"),
        &url,
    );
    same_kpis(&in_memory(&demo), &json_of("kpis", &cfg));
    prints(&cfg);
}

#[test]
fn spark_period_kpis_equal_the_in_memory_ones() {
    let Some(url) = server("CHURNLAB_TEST_SPARK", "CHURNLAB_REQUIRE_SPARK") else {
        return;
    };
    let demo = Demo::new(50_000);
    let acc = parquet_table(&demo, "accounts.csv", 4);
    let rev = parquet_table(&demo, "revenue.csv", 4);
    let cfg = demo.engine_config_with("spark.toml", &acc, Some(&rev), &url);
    same_kpis(&in_memory(&demo), &json_of("kpis", &cfg));
}
