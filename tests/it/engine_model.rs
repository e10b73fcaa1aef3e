//! The driver stage on SQL engines: the demo's 50,000 accounts (with a
//! categorical driver added, so dummies and a reference level are
//! exercised) in PostgreSQL and in four Parquet files on Spark give the
//! same report as the files in memory. The univariate screen's counts,
//! contingency and rate tables and the model's sample, events and terms are
//! the same; the tests' statistics, p- and q-values and effect sizes, the
//! coefficients, standard errors, z, p, CIs, odds ratios, VIFs, marginal
//! effects, fit statistics, the AUC, every driver's LR test, the
//! correlations and the verdicts agree within 1e-6 relative. A separated
//! data set goes through Firth's fit on both engines. The accounts table is
//! read once for the screen and once per round of Newton steps (the LR
//! refits of a round share one read).

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::{churnlab, stdout_of};
use crate::engine::{json_of, parquet_table, pg_load, server, Demo};

/// Estimates agree to this relative tolerance (the issue's): an engine
/// sums in its own order, so Newton stops at the same optimum up to the
/// last bits. A p-value below 1e-12 is compared absolutely: there its
/// relative error is the statistic's times the statistic, not a sign of a
/// different fit.
const TOL: f64 = 1e-6;

fn near(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= TOL * a.abs().max(b.abs()) || (a.abs().max(b.abs()) < 1e-12)
}

fn near_value(a: &Value, b: &Value, what: &str) {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => assert!(near(x, y), "{what}: {x} vs {y}"),
        _ => assert_eq!(a, b, "{what}"),
    }
}

/// The demo's study plus `segment` as a categorical driver, reading its
/// accounts from `accounts` (a file name or an engine table). The separated
/// subset of the accounts goes without the revenue and renewals tables,
/// which name the others.
fn config(demo: &Demo, name: &str, accounts: &str, url: Option<&str>) -> PathBuf {
    let mut text = std::fs::read_to_string(demo.path("study.toml")).expect("study.toml");
    if accounts.contains("separated") {
        for section in ["[revenue]", "[renewals]"] {
            if let Some(a) = text.find(&format!("\n{section}\n")) {
                let b = text[a + 1..].find("\n[").map_or(text.len(), |b| a + 1 + b);
                text.replace_range(a..b, "");
            }
        }
    }
    let source = match url {
        Some(_) => format!("table = \"{accounts}\""),
        None => format!("path = \"{accounts}\""),
    };
    let mut text = text.replacen("path = \"accounts.csv\"", &source, 1)
        + "\n[[drivers]]\ncolumn = \"segment\"\nkind = \"categorical\"\nlabel = \"Segment\"\ncontrollable = false\n";
    if let Some(u) = url {
        text.push_str(&format!("\n[engine]\nurl = \"{u}\"\n"));
    }
    let p = demo.path(name);
    std::fs::write(&p, text).expect("write config");
    p
}

fn drivers_json(config: &Path) -> Value {
    json_of("drivers", config)
}

/// `memory` and `engine` agree at `path`: numbers within [`TOL`], the
/// rest (counts are numbers too, but equal ones pass `near` exactly)
/// equal, objects key by key, arrays item by item.
pub(crate) fn same_json(memory: &Value, engine: &Value, path: &str) {
    match (memory, engine) {
        (Value::Object(a), Value::Object(b)) => {
            let mut ka: Vec<&String> = a.keys().collect();
            let mut kb: Vec<&String> = b.keys().collect();
            ka.sort();
            kb.sort();
            assert_eq!(ka, kb, "{path}: keys");
            for (k, v) in a {
                same_json(v, &b[k], &format!("{path}.{k}"));
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            assert_eq!(a.len(), b.len(), "{path}: length");
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                same_json(x, y, &format!("{path}[{i}]"));
            }
        }
        _ => near_value(memory, engine, path),
    }
}

/// The engine's report is the in-memory one (its own `table` and `usage`
/// aside): the whole of it, the univariate screen, the model, the LR
/// tests, the correlations, the confounding notes and the warnings.
fn same_report(memory: &Value, engine: &Value) {
    let mut e = engine.clone();
    if let Some(o) = e.as_object_mut() {
        assert!(o.remove("table").is_some() && o.remove("usage").is_some());
    }
    assert!(!memory["univariate"].as_array().unwrap().is_empty());
    same_json(memory, &e, "drivers");
}

/// Reads of the accounts table: three for the checks, one for the
/// univariate screen's tallies, one for the rows' moments, one per round of Newton steps (a Firth step takes two), two at
/// the fit; the LR refits share rounds, so they add fewer reads than one
/// per refit.
fn few_reads(engine: &Value) {
    let scans = engine["usage"]["scans"][0][1].as_u64().unwrap();
    let iterations = engine["model"]["iterations"].as_u64().unwrap();
    let per_step = if engine["model"]["method"] == "firth" {
        2
    } else {
        1
    };
    let refits = engine["drivers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| !d["lr_statistic"].is_null())
        .count() as u64;
    let model = 3 + 1 + 1 + per_step * (iterations + 1) + 2;
    // Per stage: the checks' three reads, the screen's one, the model's rest.
    let stages = engine["usage"]["stages"].as_array().unwrap();
    let names: Vec<&str> = stages
        .iter()
        .map(|s| s["stage"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["accounts checks", "univariate screen", "model and LR tests"]
    );
    let reads = |s: &Value| s["scans"][0][1].as_u64().unwrap();
    assert_eq!((reads(&stages[0]), reads(&stages[1])), (3, 1));
    assert_eq!(
        stages.iter().map(reads).sum::<u64>(),
        scans,
        "the stages' reads add up"
    );
    assert!(stages.iter().all(|s| s["seconds"].as_f64().unwrap() > 0.0));
    assert!(
        scans > model && scans < model + refits,
        "{scans} reads of the accounts table: the model's {model} and {refits} LR refits"
    );
}

/// The first `n` accounts with `exec_sponsor` set to yes only on retained
/// ones: no sponsored account churned (quasi-complete separation).
fn separated(demo: &Demo, n: usize) -> String {
    let csv = std::fs::read_to_string(demo.path("accounts.csv")).unwrap();
    let mut lines = csv.lines();
    let header = lines.next().unwrap();
    let cols: Vec<&str> = header.split(',').collect();
    let churned = cols.iter().position(|c| *c == "churned").unwrap();
    let sponsor = cols.iter().position(|c| *c == "exec_sponsor").unwrap();
    let mut out = format!("{header}\n");
    for l in lines.take(n) {
        let mut f: Vec<String> = l.split(',').map(str::to_string).collect();
        if f[churned] == "1" {
            f[sponsor] = "no".into();
        }
        out.push_str(&f.join(","));
        out.push('\n');
    }
    out
}

#[test]
fn postgres_drivers_equal_the_in_memory_ones() {
    let Some(url) = server("CHURNLAB_TEST_PG", "CHURNLAB_REQUIRE_PG") else {
        return;
    };
    let demo = Demo::new(50_000);
    let csv = std::fs::read_to_string(demo.path("accounts.csv")).unwrap();
    pg_load(&url, "engine_model", "accounts", &csv);
    let memory = drivers_json(&config(&demo, "mem.toml", "accounts.csv", None));
    let engine = drivers_json(&config(
        &demo,
        "pg.toml",
        "engine_model.accounts",
        Some(&url),
    ));
    assert_eq!(memory["model"]["method"], "newton");
    same_report(&memory, &engine);
    few_reads(&engine);
    // The table for people names the engine and its reads.
    let out = stdout_of(
        churnlab()
            .args(["drivers", "--config"])
            .arg(demo.path("pg.toml")),
    );
    assert!(out.contains("Univariate screening"), "{out}");
    assert!(
        out.contains("segment[") && out.contains("table reads"),
        "{out}"
    );

    // Separation: Firth's fit on both.
    std::fs::write(demo.path("separated.csv"), separated(&demo, 3_000)).unwrap();
    pg_load(&url, "engine_model", "separated", &separated(&demo, 3_000));
    let memory = drivers_json(&config(&demo, "sep_mem.toml", "separated.csv", None));
    let engine = drivers_json(&config(
        &demo,
        "sep_pg.toml",
        "engine_model.separated",
        Some(&url),
    ));
    assert_eq!(memory["model"]["method"], "firth");
    same_report(&memory, &engine);
}

#[test]
fn spark_drivers_equal_the_in_memory_ones() {
    let Some(url) = server("CHURNLAB_TEST_SPARK", "CHURNLAB_REQUIRE_SPARK") else {
        return;
    };
    let demo = Demo::new(50_000);
    let table = parquet_table(&demo, "accounts.csv", 4);
    let memory = drivers_json(&config(&demo, "mem.toml", "accounts.csv", None));
    let engine = drivers_json(&config(&demo, "spark.toml", &table, Some(&url)));
    same_report(&memory, &engine);
    few_reads(&engine);

    let sep = separated(&demo, 3_000);
    std::fs::write(demo.path("separated.csv"), &sep).unwrap();
    let table = parquet_table(&demo, "separated.csv", 2);
    let memory = drivers_json(&config(&demo, "sep_mem.toml", "separated.csv", None));
    let engine = drivers_json(&config(&demo, "sep_spark.toml", &table, Some(&url)));
    assert_eq!(memory["model"]["method"], "firth");
    same_report(&memory, &engine);
}
