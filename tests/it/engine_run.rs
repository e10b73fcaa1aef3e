//! `run` on SQL engines: the demo's 50,000 accounts × 24 months in
//! PostgreSQL and in four Parquet files on Spark give the run from files'
//! results, stage by stage: the load summary and its warnings, the Pareto
//! rankings, the driver report, the whole KPI stage with the survival
//! KPIs, the survival stage (its concordance aside) and the renewal KPIs —
//! counts exactly, sums within 1e-9, the rest within 1e-6 — and the same
//! report, summary and charts beside them; the renewals at risk, which need
//! files for now, are left out with a note; `--timings` lists every stage's
//! queries and table reads.

use std::path::Path;

use serde_json::Value;

use crate::common::churnlab;
use crate::engine::{json_of, same_load_summary, same_stage, server, Demo};
use crate::engine_kpis::same_kpi_report;
use crate::engine_model::same_json;
use crate::engine_survival::CURVES;

/// `run` of `config` into `out`, with `--timings`: its results and stderr.
fn run(config: &Path, out: &Path) -> (Value, String) {
    let o = churnlab()
        .args(["run", "--no-kpi-db", "--timings", "--config"])
        .arg(config)
        .arg("--out")
        .arg(out)
        .env("SOURCE_DATE_EPOCH", "1")
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "{err}");
    let text = std::fs::read_to_string(out.join("results.json")).expect("results.json");
    (serde_json::from_str(&text).expect("json"), err)
}

/// The engine's run is the files' run, stage by stage.
fn same_run(demo: &Demo, cfg: &Path) {
    let (m, _) = run(&demo.path("study.toml"), &demo.path("run_files"));
    let out = demo.path("run_engine");
    let (e, err) = run(cfg, &out);
    same_load_summary(&m["data"], &e["data"]);
    same_stage(&m["pareto"], &e["pareto"]);
    same_json(&m["drivers"], &e["drivers"], "drivers");
    same_kpi_report(&m["kpis"], e["kpis"].clone());
    let (ms, es) = (&m["survival"], &e["survival"]);
    for k in CURVES {
        same_json(&ms[k], &es[k], k);
    }
    for k in ["ph_test", "ph_warnings", "comparison"] {
        same_json(&ms[k], &es[k], k);
    }
    let (mut mc, mut ec) = (ms["cox"].clone(), es["cox"].clone());
    assert!(ec["concordance"].is_null());
    for c in [&mut mc, &mut ec] {
        c.as_object_mut().unwrap().remove("concordance");
    }
    same_json(&mc, &ec, "cox");
    // The renewal KPIs of every period and group, the table named where
    // the file's path stands; the renewals at risk need files: left out,
    // and the notes say so.
    let (mut mr, er) = (m["renewals"].clone(), &e["renewals"]);
    assert!(er["rows"].as_array().unwrap().len() > 50, "{er}");
    assert!(er["source"].as_str().unwrap().contains("renewals"));
    mr["source"] = er["source"].clone();
    same_json(&mr, er, "renewals");
    assert!(!m["forward"].is_null() && e["forward"].is_null());
    let notes = e["notes"].as_array().unwrap();
    assert!(
        notes
            .iter()
            .any(|n| n.as_str().unwrap().contains("renewals at risk")),
        "{notes:?}"
    );
    // `renewals` on the engine: the same KPIs as the run's, with its usage;
    // the renewals at risk are refused (exit 2), saying what runs.
    let mut r = json_of("renewals", cfg);
    assert_eq!(
        r["usage"]["stages"].as_array().unwrap().len(),
        4,
        "{}",
        r["usage"]
    );
    for k in ["usage", "table"] {
        r.as_object_mut().unwrap().remove(k);
    }
    same_json(er, &r, "renewals --engine");
    let o = churnlab()
        .args(["renewals", "--table", "at-risk", "--config"])
        .arg(cfg)
        .output()
        .expect("renewals");
    let refusal = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{refusal}");
    assert!(
        refusal.contains("does not run on an engine yet") && refusal.contains("--table kpis"),
        "{refusal}"
    );
    // The same report beside the results, its charts included.
    let html = std::fs::read_to_string(out.join("report.html")).expect("report.html");
    assert!(html.contains("renewals at risk do not run on an engine"));
    for f in [
        "summary.md",
        "kpis.csv",
        "drivers_model.csv",
        "survival_cox.csv",
    ] {
        assert!(out.join(f).exists(), "{f}");
    }
    let charts = std::fs::read_dir(out.join("charts"))
        .expect("charts")
        .count();
    assert!(charts > 20, "{charts} chart files");
    // Every stage's queries and reads under --timings.
    for stage in [
        "accounts checks",
        "summary",
        "pareto",
        "model and LR tests",
        "period KPIs",
        "recommendation and cohorts",
        "survival curves",
        "Cox model and LR tests",
        "renewals checks",
        "renewal KPIs",
    ] {
        assert!(err.contains(&format!("  {stage}: ")), "{stage}: {err}");
    }
}

#[test]
fn postgres_run_equals_the_run_from_files() {
    let Some(url) = server("CHURNLAB_TEST_PG", "CHURNLAB_REQUIRE_PG") else {
        return;
    };
    let demo = Demo::new(50_000);
    same_run(&demo, &demo.on_postgres(&url, "engine_run"));
}

#[test]
fn spark_run_equals_the_run_from_files() {
    let Some(url) = server("CHURNLAB_TEST_SPARK", "CHURNLAB_REQUIRE_SPARK") else {
        return;
    };
    let demo = Demo::new(50_000);
    same_run(&demo, &demo.on_spark(&url));
}
