//! The multivariable model on SQL engines: the demo's 50,000 accounts (with
//! a categorical driver added, so dummies and a reference level are
//! exercised) in PostgreSQL and in four Parquet files on Spark give the
//! same model as the files in memory: the same sample, events and terms,
//! and coefficients, standard errors, z, p, CIs, odds ratios, VIFs,
//! marginal effects, fit statistics, the AUC and every driver's LR test
//! within 1e-6 relative. A separated data set goes through Firth's fit on
//! both engines. The accounts table is read once per round of Newton steps
//! (the LR refits of a round share one read).

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

/// The in-memory report's model and LR tests equal the engine's.
fn same_model(memory: &Value, engine: &Value) {
    let (a, b) = (&memory["model"], &engine["model"]);
    for k in [
        "method",
        "n",
        "n_dropped_missing",
        "events",
        "converged",
        "llr_df",
    ] {
        assert_eq!(a[k], b[k], "{k}");
    }
    for k in [
        "log_likelihood",
        "penalized_log_likelihood",
        "ll_null",
        "pseudo_r2",
        "llr",
        "llr_p_value",
        "aic",
        "bic",
        "auc",
    ] {
        near_value(&a[k], &b[k], k);
    }
    assert_eq!(a["dropped_terms"], b["dropped_terms"]);
    assert_eq!(a["separation"], b["separation"]);
    let (ca, cb) = (
        a["coefficients"].as_array().unwrap(),
        b["coefficients"].as_array().unwrap(),
    );
    assert_eq!(ca.len(), cb.len(), "terms");
    for (x, y) in ca.iter().zip(cb) {
        let term = x["term"].as_str().unwrap();
        for (k, v) in x.as_object().unwrap() {
            near_value(v, &y[k], &format!("{term}: {k}"));
        }
    }
    let tests: Vec<&Value> = memory["drivers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| !d["lr_statistic"].is_null())
        .collect();
    let lr = engine["lr_tests"].as_array().unwrap();
    assert_eq!(tests.len(), lr.len(), "LR tests");
    for (x, y) in tests.iter().zip(lr) {
        assert_eq!(x["driver"], y["driver"]);
        assert_eq!(x["df"], y["df"]);
        near_value(&x["lr_statistic"], &y["statistic"], "LR statistic");
        near_value(&x["p_value"], &y["p_value"], "LR p-value");
    }
}

/// Reads of the accounts table: three for the checks, one for the rows'
/// moments, one per round of Newton steps (a Firth step takes two), two at
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
    let refits = engine["lr_tests"].as_array().unwrap().len() as u64;
    let model = 3 + 1 + per_step * (iterations + 1) + 2;
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
fn postgres_model_equals_the_in_memory_one() {
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
    same_model(&memory, &engine);
    few_reads(&engine);
    // The table for people names the engine and its reads.
    let out = stdout_of(
        churnlab()
            .args(["drivers", "--config"])
            .arg(demo.path("pg.toml")),
    );
    assert!(
        out.contains("Likelihood-ratio test of dropping each driver"),
        "{out}"
    );
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
    same_model(&memory, &engine);
}

#[test]
fn spark_model_equals_the_in_memory_one() {
    let Some(url) = server("CHURNLAB_TEST_SPARK", "CHURNLAB_REQUIRE_SPARK") else {
        return;
    };
    let demo = Demo::new(50_000);
    let table = parquet_table(&demo, "accounts.csv", 4);
    let memory = drivers_json(&config(&demo, "mem.toml", "accounts.csv", None));
    let engine = drivers_json(&config(&demo, "spark.toml", &table, Some(&url)));
    same_model(&memory, &engine);
    few_reads(&engine);

    let sep = separated(&demo, 3_000);
    std::fs::write(demo.path("separated.csv"), &sep).unwrap();
    let table = parquet_table(&demo, "separated.csv", 2);
    let memory = drivers_json(&config(&demo, "sep_mem.toml", "separated.csv", None));
    let engine = drivers_json(&config(&demo, "sep_spark.toml", &table, Some(&url)));
    assert_eq!(memory["model"]["method"], "firth");
    same_model(&memory, &engine);
}
