//! The survival curves on SQL engines: the demo's 50,000 accounts (with
//! their revenue, which sets the study window) in PostgreSQL and in four
//! Parquet files on Spark give the same durations (window, delayed entry,
//! accounts and events), the same Kaplan–Meier curves overall and per
//! driver level or bin, log-rank and pairwise tests, restricted means and
//! survival KPIs as the files in memory (counts exactly, the rest within
//! 1e-6), from one read of the accounts table for the durations' checks
//! and one for the curves; bad dates are refused as in a file (exit 2,
//! naming table, column, key and value).

use std::path::Path;

use serde_json::Value;

use crate::common::{churnlab, stdout_of};
use crate::engine::{json_of, parquet_parts, pg_load, refused, server, Demo};
use crate::engine_model::same_json;

/// The parts of the survival report an engine computes.
pub(crate) const CURVES: [&str; 13] = [
    "source",
    "unit",
    "n",
    "events",
    "n_left_truncated",
    "conf_type",
    "horizons",
    "tau",
    "curves",
    "kaplan_meier",
    "rmst",
    "drivers",
    "kpis",
];

/// `survival --format json` from the demo's files, in memory.
fn in_memory(demo: &Demo) -> Value {
    json_of("survival", &demo.path("study.toml"))
}

/// The engine's curves are the in-memory ones; its notes are theirs and
/// the one about the Cox model; the stages read the accounts once each.
fn same_curves(memory: &Value, engine: &Value) {
    assert!(memory["n_left_truncated"].as_u64().unwrap() > 1000);
    let drivers = engine["drivers"].as_array().expect("drivers");
    assert!(drivers.len() >= 8, "{drivers:?}");
    assert!(drivers
        .iter()
        .any(|d| d["logrank"]["p_value"].as_f64().unwrap() < 1e-6));
    for k in CURVES {
        same_json(&memory[k], &engine[k], k);
    }
    // The Cox model, its concordance aside (not on an engine yet).
    let (mut m, mut e) = (memory["cox"].clone(), engine["cox"].clone());
    assert!(m["concordance"].as_f64().unwrap() > 0.6 && e["concordance"].is_null());
    for c in [&mut m, &mut e] {
        c.as_object_mut().unwrap().remove("concordance");
    }
    assert!(e["driver_tests"].as_array().unwrap().len() >= 8, "{e}");
    same_json(&m, &e, "cox");
    // The PH check (the demo's files list the accounts by id, the order an
    // engine ranks tied events in) and its warnings.
    assert!(memory["ph_test"]["terms"].as_array().unwrap().len() >= 8);
    same_json(&memory["ph_test"], &engine["ph_test"], "ph_test");
    same_json(
        &memory["ph_warnings"],
        &engine["ph_warnings"],
        "ph_warnings",
    );
    // The Cox verdicts beside the logistic model's, with their notes.
    let comparison = engine["comparison"].as_array().unwrap();
    assert!(
        comparison.len() >= 8
            && comparison
                .iter()
                .all(|c| c["logistic_significant"].is_boolean()),
        "{comparison:?}"
    );
    same_json(&memory["comparison"], &engine["comparison"], "comparison");
    // One scan per pass: the moments, the fit's passes (its first and one
    // per iteration), the null and score passes, the drivers' LR refits in
    // rounds, all together (fewer scans than refits), and two for the PH
    // check (its sums, the fit's means).
    let cox_stage = stage(engine, "Cox model and LR tests");
    let queries = cox_stage["queries"].as_u64().unwrap();
    assert_eq!(cox_stage["scans"][0][1].as_u64(), Some(queries));
    let rounds = queries - (e["iterations"].as_u64().unwrap() + 6);
    assert!(rounds < 8, "{queries} queries: {cox_stage}");
    let notes = engine["notes"].as_array().unwrap();
    let (last, theirs) = notes.split_last().expect("the engine's note");
    assert_eq!(&Value::Array(theirs.to_vec()), &memory["notes"]);
    assert!(last.as_str().unwrap().contains("concordance"), "{last}");
    assert!(!engine["ph_test"].is_null());
    for name in ["durations checks", "survival curves"] {
        let stage = stage(engine, name);
        assert_eq!(stage["queries"], 1, "{stage}");
        assert_eq!(stage["scans"][0][1], 1, "{stage}");
    }
}

/// The engine's use in stage `name`.
fn stage<'a>(engine: &'a Value, name: &str) -> &'a Value {
    engine["usage"]["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["stage"] == name)
        .unwrap_or_else(|| panic!("no stage {name}: {}", engine["usage"]))
}

/// The table for people and the KM, Cox and PH CSVs.
fn prints(cfg: &Path) {
    let out = stdout_of(churnlab().args(["survival", "--config"]).arg(cfg));
    assert!(
        out.contains("All accounts") && out.contains("table reads"),
        "{out}"
    );
    let csv = stdout_of(
        churnlab()
            .args(["survival", "--format", "csv", "--table", "km", "--config"])
            .arg(cfg),
    );
    assert!(csv.lines().count() > 20, "{csv}");
    let cox = stdout_of(
        churnlab()
            .args(["survival", "--format", "csv", "--table", "cox", "--config"])
            .arg(cfg),
    );
    assert!(cox.lines().count() > 8, "{cox}");
    let ph = stdout_of(
        churnlab()
            .args(["survival", "--format", "csv", "--table", "ph", "--config"])
            .arg(cfg),
    );
    assert!(ph.lines().count() > 8, "{ph}");
}

#[test]
fn postgres_survival_curves_equal_the_in_memory_ones() {
    let Some(url) = server("CHURNLAB_TEST_PG", "CHURNLAB_REQUIRE_PG") else {
        return;
    };
    let demo = Demo::new(50_000);
    let cfg = demo.on_postgres(&url, "engine_survival");
    same_curves(&in_memory(&demo), &json_of("survival", &cfg));
    prints(&cfg);
    // The control command does not run on an engine yet, and the refusal
    // says what does.
    let err = refused(&cfg, "control");
    assert!(
        err.contains("`survival`")
            && err.contains("`renewals --table kpis`")
            && err.contains("`run` (every stage but the renewals at risk)"),
        "{err}"
    );
}

#[test]
fn spark_survival_curves_equal_the_in_memory_ones() {
    let Some(url) = server("CHURNLAB_TEST_SPARK", "CHURNLAB_REQUIRE_SPARK") else {
        return;
    };
    let demo = Demo::new(50_000);
    let cfg = demo.on_spark(&url);
    same_curves(&in_memory(&demo), &json_of("survival", &cfg));
}

/// Date faults, each in its own copy of the first 300 rows of the demo's
/// accounts (the window then ends the day after the latest end date):
/// (what, the edited CSV, its line, its account, the words the error must
/// hold besides the row: `row N` from a file, the account from an engine).
type Fault = (&'static str, String, usize, String, Vec<String>);

fn date_faults(demo: &Demo) -> Vec<Fault> {
    let csv = std::fs::read_to_string(demo.path("accounts.csv")).unwrap();
    let head: Vec<&str> = csv.lines().take(301).collect();
    let base = head.join("\n") + "\n";
    let cells = |line: usize| head[line].split(',').collect::<Vec<&str>>();
    let edit = |line: usize, col: usize, value: &str| {
        let mut c = cells(line);
        c[col] = value;
        base.replacen(head[line], &c.join(","), 1)
    };
    let churned: Vec<usize> = (1..head.len()).filter(|&i| cells(i)[6] == "1").collect();
    let retained: Vec<usize> = (1..head.len()).filter(|&i| cells(i)[6] == "0").collect();
    let id = |line: usize| cells(line)[0].to_string();
    let w = |x: &[&str]| x.iter().map(|s| s.to_string()).collect::<Vec<String>>();
    let (c1, c2, r1) = (churned[2], churned[4], retained[7]);
    vec![
        (
            "a start date that is not a date",
            edit(17, 4, "2021-13-45"),
            17,
            id(17),
            w(&["column `start_date`", "`2021-13-45`", "is not a date"]),
        ),
        (
            "an end before its start",
            edit(c1, 5, "2001-02-03"),
            c1,
            id(c1),
            w(&[
                "column `end_date`",
                "`2001-02-03`",
                "is before the start date",
            ]),
        ),
        (
            "a churn without its end date",
            edit(c2, 5, ""),
            c2,
            id(c2),
            w(&["column `end_date`", "is blank on a churned account"]),
        ),
        (
            "a start after the window",
            edit(r1, 4, "2099-01-01"),
            r1,
            id(r1),
            w(&[
                "column `start_date`",
                "`2099-01-01`",
                "a time to churn must be positive",
            ]),
        ),
    ]
}

/// Each fault is refused by `validate` and `survival` from the file, from
/// PostgreSQL and from Spark, with the same words.
#[test]
fn bad_dates_are_named_by_table_column_key_and_value_on_both_engines() {
    let pg = server("CHURNLAB_TEST_PG", "CHURNLAB_REQUIRE_PG");
    let spark = server("CHURNLAB_TEST_SPARK", "CHURNLAB_REQUIRE_SPARK");
    let demo = Demo::new(400);
    let study = std::fs::read_to_string(demo.path("study.toml")).unwrap();
    // Without the revenue and renewals files (they come last): their
    // accounts are not these 300.
    let (head, _) = study.split_once("[revenue]").expect("a [revenue] section");
    assert!(!head.contains("[renewals]"));
    std::fs::write(demo.path("study.toml"), head).unwrap();
    for (k, (what, csv, line, id, words)) in date_faults(&demo).into_iter().enumerate() {
        let file = demo.path(&format!("faulty_{k}.csv"));
        std::fs::write(&file, &csv).unwrap();
        let text = std::fs::read_to_string(demo.path("study.toml"))
            .unwrap()
            .replacen("accounts.csv", &format!("faulty_{k}.csv"), 1);
        let files = demo.path(&format!("faulty_{k}.toml"));
        std::fs::write(&files, text).unwrap();
        let mut configs = vec![(files, format!("faulty_{k}.csv"), format!("row {line}:"))];
        if let Some(url) = &pg {
            let schema = format!("engine_date_fault_{k}");
            pg_load(url, &schema, "accounts", &csv);
            let t = format!("{schema}.accounts");
            let cfg = demo.engine_config(&format!("{schema}.toml"), &t, url);
            configs.push((cfg, format!("table {t}"), id.clone()));
        }
        if let Some(url) = &spark {
            let parts = parquet_parts(demo.dir.path(), &format!("date_fault_{k}"), &csv, 2);
            let t = format!("parquet:{}", parts.display());
            let cfg = demo.engine_config(&format!("date_fault_{k}.toml"), &t, url);
            configs.push((cfg, format!("table {t}"), id.clone()));
        }
        for (cfg, table, row) in &configs {
            for command in ["validate", "survival"] {
                let err = refused(cfg, command);
                for w in words.iter().chain([table, row]) {
                    assert!(
                        err.contains(w.as_str()),
                        "{what}, {command}: `{w}` not in {err}"
                    );
                }
            }
        }
    }
}
