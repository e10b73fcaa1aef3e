//! The Pareto stage through the binary: real IBM data checked against sums
//! computed here independently (csv crate, no polars), the qcc textbook
//! example through the generic form, charts, determinism.

use crate::common::repo;
use std::collections::HashMap;

use serde_json::Value;

use crate::common::churnlab;
use crate::tolerance::{agree, CENTS, SAME_SUMS};

fn json(args: &[&str]) -> Value {
    let out = churnlab().args(args).output().expect("run churnlab");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

/// Counts and Monthly Charge sums per Churn Reason over churned rows, read
/// with the csv crate.
fn ibm_by_reason() -> HashMap<String, (usize, f64)> {
    let mut rdr = csv::Reader::from_path(repo("data/ibm_telco/telco_11.1.3_merged.csv")).unwrap();
    let h = rdr.headers().unwrap().clone();
    let col = |name: &str| h.iter().position(|c| c == name).unwrap();
    let (label, reason, charge) = (
        col("Churn Label"),
        col("Churn Reason"),
        col("Monthly Charge"),
    );
    let mut m: HashMap<String, (usize, f64)> = HashMap::new();
    for r in rdr.records() {
        let r = r.unwrap();
        if &r[label] == "Yes" {
            let e = m.entry(r[reason].to_string()).or_default();
            e.0 += 1;
            e.1 += r[charge].parse::<f64>().unwrap();
        }
    }
    m
}

#[test]
fn ibm_telco_both_rankings_match_independent_sums() {
    let v = json(&[
        "pareto",
        "--format",
        "json",
        "--config",
        repo("data/ibm_telco/study.toml").to_str().unwrap(),
    ]);
    let expect = ibm_by_reason();
    assert_eq!(v["n_churned"], 1869);
    for ranking in ["by_frequency", "by_revenue"] {
        let rows = v[ranking].as_array().unwrap();
        assert_eq!(rows.len(), expect.len(), "{ranking}: one row per reason");
        let mut total = 0;
        for r in rows {
            let (n, sum) = expect[r["reason"].as_str().unwrap()];
            assert_eq!(r["count"].as_u64().unwrap() as usize, n);
            assert!(agree(r["revenue"].as_f64().unwrap(), sum, 0.0, CENTS));
            let share = r["share"].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&share));
            total += n;
        }
        assert_eq!(total, 1869);
        let last = rows.last().unwrap()["cumulative_share"].as_f64().unwrap();
        assert!(agree(last, 1.0, 0.0, SAME_SUMS));
    }
    // Published facts (shared/datasets/README.md): top reasons by count and their Monthly Charge.
    let f = &v["by_frequency"];
    assert_eq!(f[0]["reason"], "Competitor had better devices");
    assert_eq!(f[0]["count"], 313);
    assert!(agree(
        f[0]["revenue"].as_f64().unwrap(),
        24_073.20,
        0.0,
        CENTS
    ));
    assert_eq!(f[1]["reason"], "Competitor made better offer");
    assert_eq!(f[2]["reason"], "Attitude of support person");
    // top 3 reach 45.2 % and the top 10 80.9 % of churned customers
    assert!((f[2]["cumulative_share"].as_f64().unwrap() - 0.452).abs() < 5e-4);
    assert!((f[9]["cumulative_share"].as_f64().unwrap() - 0.809).abs() < 5e-4);
    assert_eq!(f[9]["vital_few"], true);
    assert_eq!(f[10]["vital_few"], false);
    assert!(agree(
        v["total_revenue"].as_f64().unwrap(),
        139_130.85,
        0.0,
        CENTS
    ));
    // Drill-down (shared/datasets/README.md): Competitor 841 churned, $64,528.75 of Monthly Charge.
    let cats = &v["categories"]["categories"]["by_frequency"];
    assert_eq!(cats[0]["reason"], "Competitor");
    assert_eq!(cats[0]["count"], 841);
    assert!(agree(
        cats[0]["revenue"].as_f64().unwrap(),
        64_528.75,
        0.0,
        CENTS
    ));
    let within = &v["categories"]["within"][0];
    assert_eq!(within["level"], "Competitor");
    let n: u64 = within["pareto"]["by_frequency"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["count"].as_u64().unwrap())
        .sum();
    assert_eq!(n, 841);
}

#[test]
fn demo_rankings_differ_and_mix_shift_is_tested() {
    let v = json(&[
        "pareto",
        "--format",
        "json",
        "--config",
        repo("data/demo/study.toml").to_str().unwrap(),
    ]);
    let truth: Value =
        serde_json::from_str(&std::fs::read_to_string(repo("data/demo/truth.json")).unwrap())
            .unwrap();
    assert_eq!(v["by_frequency"][0]["reason"], truth["reasons_by_count"][0]);
    assert_eq!(
        v["by_revenue"][0]["reason"],
        truth["reasons_by_lost_arr"][0]
    );
    assert_ne!(v["by_frequency"][0]["reason"], v["by_revenue"][0]["reason"]);
    // one Pareto per segment level (3 segments + 4 regions)
    assert_eq!(v["segments"].as_array().unwrap().len(), 7);
    let shift = &v["mix_shift"];
    assert_eq!(shift["latest"], "2024-Q4");
    assert_eq!(shift["previous"], "2024-Q3");
    let p = shift["test"]["p_value"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&p));
    let movers = shift["movers"].as_array().unwrap();
    let changes: Vec<f64> = movers
        .iter()
        .map(|m| m["change"].as_f64().unwrap().abs())
        .collect();
    assert!(changes.windows(2).all(|w| w[0] >= w[1]));
    let n_latest: u64 = movers
        .iter()
        .map(|m| m["count_latest"].as_u64().unwrap())
        .sum();
    assert_eq!(shift["n_latest"].as_u64().unwrap(), n_latest);
}

#[test]
fn generic_form_reproduces_qcc_example() {
    // R qcc vignette: pareto.chart(defect) with contact num. 94, price code 80,
    // supplier code 66, part num. 33, schedule date 27.
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("defect,cost\n");
    for (label, n) in [
        ("price code", 80),
        ("contact num.", 94),
        ("supplier code", 66),
        ("part num.", 33),
        ("schedule date", 27),
    ] {
        for _ in 0..n {
            text.push_str(&format!("{label},1.5\n"));
        }
    }
    let f = dir.path().join("defects.csv");
    std::fs::write(&f, text).unwrap();
    let v = json(&[
        "pareto",
        "--format",
        "json",
        "--input",
        f.to_str().unwrap(),
        "--category",
        "defect",
        "--weight",
        "cost",
    ]);
    let cum: Vec<f64> = v["by_frequency"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["cumulative_share"].as_f64().unwrap())
        .collect();
    for (c, want) in cum.iter().zip([0.3133, 0.58, 0.80, 0.91, 1.0]) {
        assert!((c - want).abs() < 5e-5, "{cum:?}"); // qcc prints two decimals of a percent
    }
    assert_eq!(v["by_frequency"][0]["reason"], "contact num.");
}

#[test]
fn charts_are_written_and_runs_are_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("charts");
    let cfg = repo("data/demo/study.toml");
    let run = |extra: &[&str]| {
        let mut args = vec![
            "pareto",
            "--format",
            "csv",
            "--config",
            cfg.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        churnlab().args(&args).output().unwrap()
    };
    let a = run(&["--png", png.to_str().unwrap()]);
    assert!(a.status.success(), "{}", String::from_utf8_lossy(&a.stderr));
    for stem in ["pareto_frequency", "pareto_revenue"] {
        let bytes = std::fs::read(png.join(format!("{stem}.png"))).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        assert!(bytes.len() > 20_000, "{stem}.png looks empty");
        let svg = std::fs::read_to_string(png.join(format!("{stem}.svg"))).unwrap();
        assert!(svg.contains("<svg") && svg.contains("Cumulative"));
    }
    let first = std::fs::read(png.join("pareto_revenue.png")).unwrap();
    // existing charts are not replaced without --force
    let again = run(&["--png", png.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(2));
    let forced = run(&["--png", png.to_str().unwrap(), "--force"]);
    assert!(forced.status.success());
    assert_eq!(
        first,
        std::fs::read(png.join("pareto_revenue.png")).unwrap(),
        "PNG bytes differ between runs"
    );
    assert_eq!(a.stdout, forced.stdout, "CSV differs between runs");
}

#[test]
fn no_reason_column_is_a_clear_error() {
    let f = crate::common::Fixture::study_with("reason = \"reason\"\n", "");
    let out = churnlab()
        .args(["pareto", "--config"])
        .arg(f.config())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("accounts.reason"));
}
